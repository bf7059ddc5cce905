; A TD guest that converts a range larger than KVM sends to user space at once
; with TDVMCALL<MapGPA> (GHCI): to shared, then back to private. KVM hands it
; to the VMM in pieces; when the VMM answers TDVMCALL_STATUS_RETRY (1), R11
; says where to go on from, and the guest asks again for the rest (how often a
; VMM says RETRY is its own business: tests/scenarios asks for one, `vtsim vm
; --tdx` for none). Then the
; refusals, each with R11 = the GPA asked for: a GPA or size not page-aligned
; (TDVMCALL_STATUS_ALIGN_ERROR), and a range that crosses the shared bit, is
; empty or lies beyond the GPA width (TDVMCALL_STATUS_INVALID_OPERAND). Every
; answer is checked here; a wrong one prints "wrong answer" and the guest
; reports a fatal error. It ends with TDVMCALL<Instruction.HLT>.
%include "td_boot.inc"

SHARED_BIT     equ 1 << 47
RANGE          equ 0x10000000           ; no memory there: a conversion only
RANGE_SIZE     equ 0x501000             ; 5 MiB + 4 KiB
MAP_GPA        equ 0x10001
RETRY          equ 1
ALIGN_ERROR    equ 0x8000000000000002
INVALID        equ 0x8000000000000000

; MapGPA of [RBX, RBP), asked again from R11 while the VMM says RETRY.
convert:
	mov r11d, MAP_GPA
	mov r12, rbx
	mov r13, rbp
	sub r13, rbx
	call tdvmcall
	test r10, r10
	jz .done
	cmp r10, RETRY
	jne wrong
	cmp r11, rbx                    ; the VMM's place must be ahead, inside
	jbe wrong
	cmp r11, rbp
	jae wrong
	test r11d, 0xfff
	jnz wrong
	mov rbx, r11
	lea rsi, [rel msg_retry]
	call puts
	jmp convert
.done:
	ret

; A refusal: MapGPA(%1, %2) must answer %3 with R11 = %1.
%macro REFUSED 4
	mov r11d, MAP_GPA
	mov r12, %1
	mov r13, %2
	call tdvmcall
	mov rax, %3
	cmp r10, rax
	jne wrong
	mov rax, %1
	cmp r11, rax
	jne wrong
	lea rsi, [rel %4]
	call puts
%endmacro

td_main:
	lea rsi, [rel msg_start]
	call puts
	mov rbx, RANGE | SHARED_BIT
	mov rbp, (RANGE + RANGE_SIZE) | SHARED_BIT
	call convert
	lea rsi, [rel msg_shared]
	call puts
	mov rbx, RANGE
	mov rbp, RANGE + RANGE_SIZE
	call convert
	lea rsi, [rel msg_private]
	call puts

	REFUSED (RANGE + 0x800) | SHARED_BIT, 0x1000, ALIGN_ERROR, msg_align_gpa
	REFUSED RANGE, 0x800, ALIGN_ERROR, msg_align_size
	REFUSED SHARED_BIT - 0x1000, 0x2000, INVALID, msg_cross
	REFUSED RANGE, 0, INVALID, msg_empty
	REFUSED 1 << 48, 0x1000, INVALID, msg_wide
	TD_HALT_LOOP msg_bye

wrong:
	TD_FAIL_LOOP msg_wrong

msg_start:      db "A TD converts 5 MiB + 4 KiB with MapGPA", 10, 0
msg_retry:      db "MapGPA: RETRY, going on from R11", 10, 0
msg_shared:     db "MapGPA to shared: done", 10, 0
msg_private:    db "MapGPA to private: done", 10, 0
msg_align_gpa:  db "MapGPA, GPA not page-aligned: ALIGN_ERROR", 10, 0
msg_align_size: db "MapGPA, size not page-aligned: ALIGN_ERROR", 10, 0
msg_cross:      db "MapGPA across the shared bit: INVALID_OPERAND", 10, 0
msg_empty:      db "MapGPA of nothing: INVALID_OPERAND", 10, 0
msg_wide:       db "MapGPA beyond the GPA width: INVALID_OPERAND", 10, 0
msg_bye:        db "TD done", 10, 0
msg_wrong:      db "TD: wrong answer", 10, 0

	TD_RESET_VECTOR
