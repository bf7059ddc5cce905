; A TD guest that gives up: after a line on COM1 it makes TDVMCALL<ReportFatalError>
; (GHCI) with an error code in R12 (bit 63 clear: no information page, R13 0) and
; an ASCII message in R14 and R15, exposing R10-R15 (RCX = FC00H). KVM reports it
; to user space as KVM_EXIT_SYSTEM_EVENT (KVM_SYSTEM_EVENT_TDX_FATAL) with the 16
; GPRs (tests/scenarios: td_fatal_error). Should the VMM run it again, it asks again.
%include "td_boot.inc"

ERROR_CODE equ 0x0000000000a5f00d

td_main:
	lea rsi, [rel msg_start]
	call puts
.again:
	mov r11, 0x10003                ; ReportFatalError
	mov r12, ERROR_CODE
	xor r13d, r13d
	mov r14, [rel msg_fatal]
	mov r15, [rel msg_fatal + 8]
	call tdvmcall
	jmp .again

msg_start: db "A TD that reports a fatal error", 10, 0
msg_fatal: db "TD gives", " up now", 0
	align 8, db 0

	TD_RESET_VECTOR
