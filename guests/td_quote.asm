; A TD guest that asks the host for a quote, as an attestation agent in a TD
; does (GHCI): TDVMCALL<GetTdVmCallInfo> leaf 1 (what user space serves),
; <SetupEventNotifyInterrupt> (a good and a bad vector), TDG.MR.REPORT, then
; <GetQuote> with the TDREPORT in a shared buffer (first a private buffer, which
; KVM refuses). The buffer (GHCI "TDX quote buffer"): version (1), status (in
; flight: all ones), in_len, out_len, then the data; the quoting service puts the
; quote in the data and sets status 0. Each step prints its status in hex
; through TDVMCALL<Instruction.IO>; the guest ends with TDVMCALL<Instruction.HLT>.
%include "td_boot.inc"

REPORT     equ BASE + 0x6400            ; TDG.MR.REPORT: 1 KiB aligned, in the image
REPORTDATA equ BASE + 0x6800            ; 64-byte aligned
QBUF_GPA   equ 0x1f0000                 ; a GPA the TD only ever uses shared
QBUF       equ SHARED + QBUF_GPA
QBUF_SIZE  equ 0x2000
SHARED_BIT equ 1 << 47

td_main:
	lea rsi, [rel msg_start]
	call puts

	mov r11d, 0x10000               ; GetTdVmCallInfo, leaf 1
	mov r12d, 1
	call tdvmcall
	push r11
	lea rsi, [rel msg_info]
	mov rax, r10
	call put_status
	pop rax
	lea rsi, [rel msg_r11]
	call put_status

	mov r11d, 0x10004               ; SetupEventNotifyInterrupt
	mov r12d, 0xec
	call tdvmcall
	lea rsi, [rel msg_notify]
	mov rax, r10
	call put_status
	mov r11d, 0x10004
	mov r12d, 5                     ; an exception vector: refused
	call tdvmcall
	lea rsi, [rel msg_notify_bad]
	mov rax, r10
	call put_status

	mov rdi, REPORTDATA             ; REPORTDATA: what the quote binds
	lea rsi, [rel msg_reportdata]
	mov ecx, 64
	rep movsb
	mov eax, 4                      ; TDG.MR.REPORT
	mov ecx, REPORT
	mov edx, REPORTDATA
	xor r8d, r8d
	tdcall
	test rax, rax
	jnz fail

	mov rdi, QBUF                   ; the quote buffer, in shared memory
	mov qword [rdi], 1              ; version
	mov qword [rdi + 8], -1         ; status: in flight
	mov dword [rdi + 16], 1024      ; in_len
	mov dword [rdi + 20], 0         ; out_len
	add rdi, 24
	mov rsi, REPORT
	mov ecx, 1024
	rep movsb

	mov r11d, 0x10002               ; GetQuote on a private buffer: refused
	mov r12, QBUF_GPA
	mov r13d, QBUF_SIZE
	call tdvmcall
	lea rsi, [rel msg_quote_private]
	mov rax, r10
	call put_status

	mov r11d, 0x10002               ; GetQuote
	mov r12, QBUF_GPA | SHARED_BIT
	mov r13d, QBUF_SIZE
	call tdvmcall
	lea rsi, [rel msg_quote]
	mov rax, r10
	call put_status
	mov rbx, QBUF
	lea rsi, [rel msg_qstatus]
	mov rax, [rbx + 8]
	call put_status
	lea rsi, [rel msg_qlen]
	mov eax, [rbx + 20]
	call put_status
	cmp qword [rbx + 8], 0          ; no quote came (no quoting service): nothing to show
	jne .no_quote
	lea rsi, [rel msg_qmagic]
	call puts
	lea rsi, [rbx + 24]             ; the quote's first 8 bytes, as text
	mov edx, 8
.magic:
	lodsb
	call putc
	dec edx
	jnz .magic
	mov al, 10
	call putc
.no_quote:
	TD_HALT_LOOP msg_bye

fail:
	TD_FAIL_LOOP msg_fail

; The text at RSI, then RAX as 16 hex digits and a newline.
put_status:
	push rbx
	push rax
	call puts
	pop rax
	mov edx, 16
.digit:
	rol rax, 4
	push rax
	and eax, 15
	lea rbx, [rel hexdigits]
	mov al, [rbx + rax]
	call putc
	pop rax
	dec edx
	jnz .digit
	pop rbx
	mov al, 10
	jmp putc

hexdigits:         db "0123456789abcdef"
msg_start:         db "A TD asks for a quote (GHCI GetQuote)", 10, 0
msg_info:          db "GetTdVmCallInfo(1): ", 0
msg_r11:           db "  R11: ", 0
msg_notify:        db "SetupEventNotifyInterrupt(0xec): ", 0
msg_notify_bad:    db "SetupEventNotifyInterrupt(5): ", 0
msg_quote_private: db "GetQuote, private buffer: ", 0
msg_quote:         db "GetQuote: ", 0
msg_qstatus:       db "  buffer status: ", 0
msg_qlen:          db "  out_len: ", 0
msg_qmagic:        db "  quote: ", 0
msg_bye:           db "TD done", 10, 0
msg_fail:          db "TD: a TDCALL failed", 10, 0
msg_reportdata:    db "vtsim: the quote binds these 64 bytes of REPORTDATA.............", 0

	TD_RESET_VECTOR
