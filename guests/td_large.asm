; A TD guest that uses private memory in 2 MiB pages (tests/scenarios: td_large_pages).
; The VMM gives it a memslot of 4 MiB at GPA 0x200000 that allows 2 MiB mappings.
; It says each step on COM1 (TDG.VP.VMCALL<Instruction.IO>) and stops with
; ReportFatalError at the first outcome that is not the architected one:
;  - TDG.MEM.PAGE.ACCEPT of 2 MiB at 0x200000 (the VMM maps it at 2 MiB: one
;    TDH.MEM.PAGE.AUG at level 1), read as zeros at its end, marked at both ends;
;    a 4 KiB ACCEPT inside it is PAGE_ALREADY_ACCEPTED with level 1,
;  - TDVMCALL<MapGPA> of its second 4 KiB page as shared: the VMM splits the
;    2 MiB page (BLOCK, TRACK, DEMOTE) and removes that page; the guest writes a
;    message for the host there, its private marks are still there, and a 2 MiB
;    ACCEPT now finds 4 KiB pages (PAGE_SIZE_MISMATCH with level 1),
;  - MapGPA of that page back to private and its 4 KiB ACCEPT (zeros),
;  - ACCEPT of 2 MiB at 0x400000, then MapGPA of all of it as shared (removed
;    whole, at level 1) and a message written through the shared view,
; and halts with TDVMCALL<Instruction.HLT>.
; The boot (page tables, long mode, GDT, reset vector) is td_boot.inc.
%include "td_boot.inc"

BIG   equ 0x200000                      ; the first 2 MiB page
BIG2  equ 0x400000                      ; the second
PAGE_ALREADY_ACCEPTED_2M equ 0x00000B0A00000001
PAGE_SIZE_MISMATCH_2M    equ 0xC0000B0B00000001

%macro accept 1
	mov eax, 6                      ; TDG.MEM.PAGE.ACCEPT: RCX = GPA | level
	mov rcx, %1
	tdcall
%endmacro

td_main:
	lea rsi, [rel msg_hello]
	call puts

	accept BIG | 1
	test rax, rax
	jnz fail
	cmp qword [BIG + 0x1ff008], 0   ; the whole 2 MiB is zeroed
	jne fail
	mov rax, 0x656772616c204454
	mov [BIG], rax
	mov [BIG + 0x1ff000], rax
	accept BIG + 0x1000
	mov rdx, PAGE_ALREADY_ACCEPTED_2M
	cmp rax, rdx
	jne fail
	lea rsi, [rel msg_accept]
	call puts

	map_gpa 0x800000000000 | (BIG + 0x1000), 0x1000
	lea rsi, [rel msg_for_host]
	mov rdi, SHARED + BIG + 0x1000
.copy:
	lodsb
	stosb
	test al, al
	jnz .copy
	mov rax, 0x656772616c204454
	cmp [BIG], rax                  ; the private 4 KiB pages kept their data
	jne fail
	cmp [BIG + 0x1ff000], rax
	jne fail
	accept BIG | 1
	mov rdx, PAGE_SIZE_MISMATCH_2M
	cmp rax, rdx
	jne fail
	lea rsi, [rel msg_split]
	call puts

	map_gpa BIG + 0x1000, 0x1000    ; back to private
	accept BIG + 0x1000
	test rax, rax
	jnz fail
	cmp qword [BIG + 0x1008], 0
	jne fail
	lea rsi, [rel msg_back]
	call puts

	accept BIG2 | 1
	test rax, rax
	jnz fail
	mov qword [BIG2 + 0x100000], 1
	map_gpa 0x800000000000 | BIG2, 0x200000
	lea rsi, [rel msg_for_host2]
	mov rdi, SHARED + BIG2 + 0x100000
.copy2:
	lodsb
	stosb
	test al, al
	jnz .copy2
	lea rsi, [rel msg_whole]
	call puts

	lea rsi, [rel msg_bye]
	call puts
	mov r11d, 12                    ; Instruction.HLT
	call tdvmcall
	jmp fail

fail:
	TD_FAIL_LOOP msg_fail

msg_hello:     db "TD with 2 MiB private pages", 10, 0
msg_accept:    db "TDG.MEM.PAGE.ACCEPT: 2 MiB at 0x200000 is ours, zeroed; 4 KiB of it: already accepted at 2 MiB", 10, 0
msg_split:     db "MapGPA: 4 KiB at 0x201000 is shared, the rest still private; 2 MiB ACCEPT: size mismatch", 10, 0
msg_back:      db "MapGPA: 0x201000 private again, accepted at 4 KiB", 10, 0
msg_whole:     db "ACCEPT 2 MiB at 0x400000, then all of it shared", 10, 0
msg_bye:       db "TD done, halting", 10, 0
msg_fail:      db "TD: unexpected outcome", 10, 0
msg_for_host:  db "shared 4 KiB of a split 2 MiB page", 0
msg_for_host2: db "shared 2 MiB page", 0

	TD_RESET_VECTOR
