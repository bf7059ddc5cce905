; A TD that accesses a page against its memory attribute, twice; each access
; reaches user space as KVM_EXIT_MEMORY_FAULT (KVM_RUN: -EFAULT), whose VMM
; converts the page the way the access wants and runs the TD again:
; 1. MapGPA(P, shared), a store through the shared alias, MapGPA(P, private):
;    the conversion zapped the alias, so a load through it is a shared fault on a
;    private page (flags 0, gpa P). After the VMM made P shared again the load
;    maps the shared page and sees the store.
; 2. MapGPA(P, shared), then TDG.MEM.PAGE.ACCEPT(P): a private fault on a shared
;    page (flags KVM_MEMORY_EXIT_FLAG_PRIVATE, gpa P); after the VMM made P private
;    the page is added and the ACCEPT succeeds.
%include "td_boot.inc"
PAGE equ 0x1fe000
td_main:
	map_gpa 0x800000000000 | PAGE, 0x1000      ; to shared
	mov rax, 0x4141414141414141
	mov [SHARED + PAGE], rax
	map_gpa PAGE, 0x1000                       ; to private: the alias goes
	mov rax, [SHARED + PAGE]                   ; a shared access to a private page
	mov rdx, 0x4141414141414141
	cmp rax, rdx
	jne fail
	lea rsi, [rel msg_alias]
	call puts
	map_gpa 0x800000000000 | PAGE, 0x1000      ; shared (it is already)
	mov eax, 6                                 ; TDG.MEM.PAGE.ACCEPT: a private access
	mov rcx, PAGE
	tdcall
	test rax, rax
	jnz fail
	cmp qword [PAGE], 0                        ; accepted pages read zero
	jne fail
	lea rsi, [rel msg_accept]
	call puts
	mov r11d, 12
	call tdvmcall
fail:	lea rsi, [rel msg_fail]
	call puts
	mov r11d, 12
	call tdvmcall
msg_alias:  db "shared access to a private page: converted by the VMM, shared data read", 10, 0
msg_accept: db "ACCEPT of a shared page: converted by the VMM, accepted, reads zero", 10, 0
msg_fail:   db "td_convert: FAILED", 10, 0
	TD_RESET_VECTOR
