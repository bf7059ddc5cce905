; The demo's TD guest: a 32 KiB image the VMM adds (measured) at the top of the
; first 4 GiB, so that the reset vector a TD vCPU starts at (0xFFFFFFF0, 32-bit
; protected mode without paging) is its last 16 bytes. It enters long mode on its
; own page tables, then talks to its host only the TDX way (GHCI):
;  - TDG.VP.VMCALL<Instruction.IO> to print on COM1,
;  - TDG.VP.INFO, and CPUID leaf 0x21 (the module answers: "IntelTDX    "),
;  - port I/O, CPUID of the hypervisor range and HLT executed natively: each is a
;    #VE, whose handler asks TDG.VP.VEINFO.GET what happened and forwards it as a
;    TDVMCALL,
;  - TDG.MEM.PAGE.ACCEPT of a page at 1 MiB the VMM adds after finalization
;    (TDH.MEM.PAGE.AUG), written and read back,
;  - TDG.MR.RTMR.EXTEND of RTMR[2],
;  - TDG.MR.REPORT, printing the MRTD its TDREPORT carries (the VMM computes the
;    value it expects from the pages it added: the two must match),
;  - TDVMCALL<MapGPA> of the page at GPA 0x1FF000 as shared, and a message for the
;    host written there (a VMM that refuses MapGPA gets told so instead), then a
;    read of a device register at the shared GPA 0x30000000: the VMM's shared EPT
;    makes it an EPT violation the CPU turns into a #VE, which the handler serves
;    with TDVMCALL<#VE.RequestMMIO>,
; and halts (a #VE, then TDVMCALL<Instruction.HLT>).
; The boot (page tables, long mode, GDT, reset vector) is td_boot.inc.
%include "td_boot.inc"

COM1  equ 0x3f8
MMIO_DEVICE equ 0x30000000              ; the VMM's device, at a shared GPA
ACCEPTED equ 0x100000

; ---- code ------------------------------------------------------------------------
td_main:
	lidt [rel idtr]

	lea rsi, [rel msg_hello]
	call puts

	mov eax, 1                      ; TDG.VP.INFO
	tdcall
	test rax, rax
	jnz fail
	cmp rcx, 48                     ; GPAW
	jne fail
	lea rsi, [rel msg_info]
	call puts

	mov eax, 7                      ; TDG.VM.RD of TDCS config flags: NO_RBP_MOD
	mov rdx, 0x1110000300000016
	tdcall
	test rax, rax
	jnz fail
	cmp r8, 4
	jne fail
	mov eax, 8                      ; TDG.VM.WR of TD_CTLS: REDUCE_VE (bit 3)
	mov rdx, 0x1110000300000017
	mov r8d, 8
	mov r9d, 8
	tdcall
	test rax, rax
	jnz fail
	test r8, r8                     ; the old value
	jnz fail
	mov eax, 8                      ; config flags are not the guest's to write
	mov rdx, 0x1110000300000016
	xor r8d, r8d
	mov r9d, 4
	tdcall
	mov rcx, 0xc0000c0100000000     ; TDX_METADATA_FIELD_NOT_WRITABLE
	cmp rax, rcx
	jne fail
	mov eax, 11                     ; TDG.SYS.RD of MAJOR_VERSION: 1
	mov rdx, 0x0800000100000004
	tdcall
	test rax, rax
	jnz fail
	cmp r8, 1
	jne fail
	lea rsi, [rel msg_md]
	call puts

	mov eax, 0x21                   ; answered by the TDX module
	xor ecx, ecx
	cpuid
	mov [rel sig], ebx
	mov [rel sig + 4], edx
	mov [rel sig + 8], ecx
	lea rsi, [rel msg_cpuid21]
	call puts
	lea rsi, [rel sig]
	call puts
	call newline

	lea rsi, [rel msg_ve_io]        ; OUT executed natively: #VE each
	call puts_native

	mov eax, 0x40000000             ; the hypervisor's leaf: #VE, answered by the VMM
	xor ecx, ecx
	cpuid
	mov [rel sig], ebx
	mov [rel sig + 4], ecx
	mov [rel sig + 8], edx
	lea rsi, [rel msg_cpuid_hv]
	call puts
	lea rsi, [rel sig]
	call puts
	call newline

	mov eax, 6                      ; TDG.MEM.PAGE.ACCEPT of 1 MiB (4 KiB)
	mov ecx, ACCEPTED
	tdcall
	test rax, rax
	jnz fail
	mov rdi, ACCEPTED
	cmp qword [rdi + 8], 0          ; an accepted page reads as zeros
	jne fail
	mov rax, 0x5444207365746972     ; "rites TD"
	mov [rdi + 8], rax
	cmp [rdi + 8], rax
	jne fail
	lea rsi, [rel msg_accept]
	call puts

	mov eax, 2                      ; TDG.MR.RTMR.EXTEND(RTMR[2])
	lea rcx, [rel rtmr_data]
	mov edx, 2
	tdcall
	test rax, rax
	jnz fail
	lea rsi, [rel msg_rtmr]
	call puts

	mov rdi, ACCEPTED + 0x40         ; REPORTDATA: 64 bytes of the TD's choosing
	lea rsi, [rel msg_hello]
	mov ecx, 64
	rep movsb
	mov eax, 4                      ; TDG.MR.REPORT into ACCEPTED + 1 KiB
	mov ecx, ACCEPTED + 0x400
	mov edx, ACCEPTED + 0x40
	xor r8d, r8d
	tdcall
	test rax, rax
	jnz fail
	lea rsi, [rel msg_report]
	call puts
	mov rsi, ACCEPTED + 0x400 + 512 + 16   ; TDINFO.MRTD
	mov ecx, 48
	call puthex
	mov al, 10
	call putc

	mov r11, 0x10001                ; MapGPA: GPA 0x1FF000 becomes shared
	mov r12, 0x8000001ff000
	mov r13, 0x1000
	call tdvmcall
	test r10, r10
	jnz .no_shared
	lea rsi, [rel msg_for_host]
	mov rdi, SHARED + 0x1ff000
.copy:
	lodsb
	stosb
	test al, al
	jnz .copy
	lea rsi, [rel msg_shared]
	call puts
	mov rdi, SHARED + MMIO_DEVICE
	mov eax, [rdi]                  ; 8B 07: the one MMIO instruction the #VE handler knows
	cmp eax, 0x4b564d31
	jne fail
	lea rsi, [rel msg_mmio]
	call puts
	jmp .bye
.no_shared:
	lea rsi, [rel msg_no_shared]
	call puts
.bye:
	lea rsi, [rel msg_bye]
	call puts
.halt:
	hlt                             ; a #VE: TDVMCALL<Instruction.HLT>
	jmp .halt

fail:
	TD_FAIL_LOOP msg_fail

; RCX bytes at RSI in hex.
puthex:
	push rbx
	push rdx
	mov edx, ecx
	lea rbx, [rel hexdigits]
.next:
	lodsb
	push rax
	shr al, 4
	xlatb
	call putc
	pop rax
	and al, 15
	xlatb
	call putc
	dec edx
	jnz .next
	pop rdx
	pop rbx
	ret

newline:
	mov al, 10
	jmp putc

; The same with OUT itself: each one a #VE the handler turns into a TDVMCALL.
puts_native:
	mov dx, COM1
.next:
	lodsb
	test al, al
	jz .done
	out dx, al
	jmp .next
.done:
	ret

; #VE: ask the module what happened, do it through the VMM, step over it.
; Saved registers, from the top of the stack: r15 ... rax (15 of them), then the
; interrupt frame (RIP at 15 * 8).
%define SAVED(n) [rsp + (14 - n) * 8]     ; n: 0 rax, 1 rcx, 2 rdx, 3 rbx
ve_handler:
	push rax
	push rcx
	push rdx
	push rbx
	push rbp
	push rsi
	push rdi
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	mov eax, 3                      ; TDG.VP.VEINFO.GET
	tdcall
	test rax, rax
	jnz fail
	mov edi, r10d                   ; instruction length
	cmp ecx, 10
	je .cpuid
	cmp ecx, 12
	je .hlt
	cmp ecx, 30
	je .io
	cmp ecx, 48
	je .mmio
	jmp fail
.mmio:                                  ; an EPT-violation #VE: MMIO by `mov eax, [rdi]`
	mov rax, [rsp + 15 * 8]         ; the faulting RIP
	cmp word [rax], 0x078b
	jne fail
	mov edi, 2                      ; its length
	mov r14, r9                     ; the guest-physical address (shared bit set)
	mov r11d, 48                    ; #VE.RequestMMIO: 4 bytes, a read
	mov r12d, 4
	xor r13d, r13d
	xor r15d, r15d
	call tdvmcall
	test r10, r10
	jnz fail
	mov eax, r11d
	mov SAVED(0), rax
	jmp .done
.cpuid:
	mov r11d, 10                    ; Instruction.CPUID
	mov r12d, SAVED(0)
	mov r13d, SAVED(1)
	call tdvmcall
	test r10, r10
	jnz fail
	mov SAVED(0), r12
	mov SAVED(3), r13
	mov SAVED(1), r14
	mov SAVED(2), r15
	jmp .done
.hlt:
	mov r11d, 12                    ; Instruction.HLT
	xor r12d, r12d
	call tdvmcall
	jmp .done
.io:
	mov r12, rdx                    ; exit qualification: size-1 in 2:0, IN in bit 3,
	and r12d, 7                     ; the port in 31:16
	inc r12d
	mov r13, rdx
	shr r13d, 3
	and r13d, 1
	xor r13d, 1                     ; GHCI: 1 = write
	mov r14, rdx
	shr r14d, 16
	mov r15, SAVED(0)
	mov r11d, 30
	call tdvmcall
	test r13d, r13d
	jnz .done
	mov SAVED(0), r11               ; IN: the value read (the VMM sizes it)
.done:
	add [rsp + 15 * 8], rdi
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rdi
	pop rsi
	pop rbp
	pop rbx
	pop rdx
	pop rcx
	pop rax
	iretq

; ---- data ------------------------------------------------------------------------
align 16
idt:
	times 20 dq 0, 0
	dw (ve_handler - $$ + BASE) & 0xffff, 0x18   ; vector 20 (#VE): interrupt gate
	db 0, 0x8e
	dw (ve_handler - $$ + BASE) >> 16
	dd 0, 0
idt_end:
idtr:
	dw idt_end - idt - 1
	dq idt
align 64
rtmr_data:
	db "vtsim TD runtime measurement, 48 bytes of it..."
	db 0
sig:
	times 16 db 0
msg_hello:    db "Hello from a TD (TDG.VP.VMCALL<Instruction.IO>)", 10, 0
msg_info:     db "TDG.VP.INFO: GPAW 48", 10, 0
msg_cpuid21:  db "CPUID 0x21 (from the TDX module): ", 0
msg_ve_io:    db "OUT instructions, each a #VE turned into a TDVMCALL", 10, 0
msg_cpuid_hv: db "CPUID 0x40000000 (#VE, answered by the VMM): ", 0
msg_accept:   db "TDG.MEM.PAGE.ACCEPT: the page at 1 MiB is ours", 10, 0
msg_rtmr:     db "TDG.MR.RTMR.EXTEND: RTMR[2] extended", 10, 0
msg_report:   db "TDG.MR.REPORT: MRTD ", 0
msg_md:       db "TDG.VM.RD/WR, TDG.SYS.RD: NO_RBP_MOD set, TD_CTLS written, module 1.x", 10, 0
msg_shared:   db "TDVMCALL<MapGPA>: the page at 0x1ff000 is shared; a message for the host is there", 10, 0
msg_mmio:     db "MMIO through a #VE (TDVMCALL<#VE.RequestMMIO>): the device id reads 0x4b564d31", 10, 0
msg_no_shared: db "TDVMCALL<MapGPA>: refused, no shared memory", 10, 0
msg_for_host: db "written by the TD in shared memory", 0
msg_bye:      db "TD done, halting", 10, 0
hexdigits:    db "0123456789abcdef"
msg_fail:     db "TD guest: FAILED", 10, 0

	TD_RESET_VECTOR
