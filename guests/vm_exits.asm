; The exit paths kvmlike handles without user space (kvmlike/vmx.c's handler table),
; one instruction each, in a VMX guest loaded at 1 MiB and entered in long mode with
; identity page tables (tests/scenarios: vm_exit_handlers). Each case prints what the
; guest saw: the value read back, or the exception kvmlike injected. Its IDT catches
; #UD and #GP and resumes at the address the case set.
bits 64
org 0x100000

COM1 equ 0x3f8
NO_FAULT equ 0xff

; RESUME label: a fault in what follows resumes at `label` with its vector in
; fault_vector (NO_FAULT if none came).
%macro RESUME 1
	lea rax, [rel %1]
	mov [rel resume_at], rax
	mov byte [rel fault_vector], NO_FAULT
%endmacro

; SAY message, value: the message and the 32-bit value in hex, a line.
%macro SAY 2
	mov eax, %2
	lea rsi, [rel %1]
	call puts
	call puthex32
	call newline
%endmacro

; SAY_FAULT message: the message and the vector of the fault since RESUME.
%macro SAY_FAULT 1
	movzx ebx, byte [rel fault_vector]
	SAY %1, ebx
%endmacro

start:
	call idt_setup
	lea rsi, [rel msg_hello]
	call puts

	; CR0.MP belongs to the host (CR0 guest/host mask): clearing and setting it are
	; CR-access exits; the guest reads back what it wrote (the read shadow).
	mov rax, cr0
	and rax, ~2
	mov cr0, rax
	mov rbx, cr0
	SAY msg_cr0_clear, ebx
	or rax, 2
	mov cr0, rax
	mov rbx, cr0
	SAY msg_cr0_set, ebx
	; LMSW with MP clear: the LMSW form of the CR-access exit.
	smsw ax
	and ax, ~2
	lmsw ax
	mov rbx, cr0
	SAY msg_lmsw, ebx
	or rbx, 2
	mov cr0, rbx

	; CR4.OSXSAVE belongs to the host; then XSETBV, which always exits: XCR0 = 3
	; is accepted, XCR0 = 2 (no x87 state) is #GP.
	mov rax, cr4
	or rax, 1 << 18
	mov cr4, rax
	mov rbx, cr4
	SAY msg_cr4, ebx
	RESUME .xsetbv_ok
	xor ecx, ecx
	xor edx, edx
	mov eax, 3
	xsetbv
.xsetbv_ok:
	SAY_FAULT msg_xsetbv3
	RESUME .xsetbv_bad
	xor ecx, ecx
	xor edx, edx
	mov eax, 2
	xsetbv
.xsetbv_bad:
	SAY_FAULT msg_xsetbv2

	; Debug registers: MOV-DR exiting; kvmlike keeps DR0-3 and DR7.
	mov rax, 0x12345678
	mov dr0, rax
	mov rbx, dr0
	SAY msg_dr0, ebx
	mov rbx, dr7
	SAY msg_dr7, ebx

	; MSRs: every one exits but the segment bases (kvmlike's MSR bitmap).
	mov ecx, 0x277                     ; IA32_PAT
	rdmsr
	mov ebx, eax
	SAY msg_pat, ebx
	mov ecx, 0x277
	wrmsr
	RESUME .msr_unknown
	mov ecx, 0x1234                    ; an MSR kvmlike does not emulate
	rdmsr
.msr_unknown:
	SAY_FAULT msg_msr_unknown
	RESUME .msr_ro
	mov ecx, 0xfe                      ; IA32_MTRRCAP is read-only
	mov eax, 1
	xor edx, edx
	wrmsr
.msr_ro:
	SAY_FAULT msg_msr_ro

	; RDPMC exits; kvmlike exposes no PMU: #GP.
	RESUME .rdpmc
	xor ecx, ecx
	rdpmc
.rdpmc:
	SAY_FAULT msg_rdpmc

	; INVD always exits, WBINVD with WBINVD exiting: kvmlike skips both.
	RESUME .invd
	invd
	wbinvd
.invd:
	SAY_FAULT msg_invd

	; UD2 is #UD, which kvmlike intercepts (exception bitmap, exit 0) as Linux does
	; and gives back to the guest.
	RESUME .ud2
	ud2
.ud2:
	SAY_FAULT msg_ud2

	; VMX instructions exit in VMX non-root operation and kvmlike (no nested VMX)
	; answers #UD. VMXON too: the guest reads CR4.VMXE as 0 (the read shadow), but
	; its real CR4 has it set (IA32_VMX_CR4_FIXED0), so no #UD comes before the exit.
	RESUME .vmread
	vmread rbx, rax
.vmread:
	SAY_FAULT msg_vmread
	RESUME .vmptrst
	vmptrst [rel scratch]
.vmptrst:
	SAY_FAULT msg_vmptrst
	RESUME .invept
	mov eax, 2
	invept rax, [rel scratch]
.invept:
	SAY_FAULT msg_invept
	RESUME .vmxon
	vmxon [rel scratch]
.vmxon:
	SAY_FAULT msg_vmxon

	; A spin loop of PAUSEs on a lock whose holder never runs: pause-loop exiting
	; takes the guest out once the loop outlasts PLE_Window, and again after each
	; doubled window; kvmlike skips the PAUSE, so every round still runs.
	mov ecx, 20000
.spin:
	pause
	dec ecx
	jnz .spin
	SAY msg_pause, ecx

	; KVM_HC_MAP_GPA_RANGE: user space asked for its exit (KVM_CAP_EXIT_HYPERCALL), so
	; a good range goes out as KVM_EXIT_HYPERCALL and RAX comes back as user space's
	; answer; a range that is not page-aligned is -KVM_EINVAL from kvmlike itself.
	mov eax, 12
	mov ebx, 0x200000
	mov ecx, 4
	mov edx, 0x10                      ; KVM_MAP_GPA_RANGE_ENCRYPTED
	vmcall
	SAY msg_hc_map, eax
	mov eax, 12
	mov ebx, 0x200010
	vmcall
	neg eax
	SAY msg_hc_unaligned, eax

	lea rsi, [rel msg_bye]
	call puts
	hlt
	jmp $

; Interrupt gates for #UD (6) and #GP (13) in a 14-entry IDT.
idt_setup:
	lea rdi, [rel idt]
	lea rax, [rel ud_handler]
	mov ecx, 6
	call set_gate
	lea rax, [rel gp_handler]
	mov ecx, 13
	call set_gate
	lidt [rel idtr]
	ret

GATE_CS equ 0x08
%include "gate64.inc"

ud_handler:
	mov byte [rel fault_vector], 6
	jmp resume
gp_handler:
	add rsp, 8                         ; the error code
	mov byte [rel fault_vector], 13
resume:
	mov rax, [rel resume_at]
	mov [rsp], rax                     ; the interrupted RIP
	iretq

%include "serial.inc"

msg_hello:       db "exit paths kvmlike handles in the kernel", 10, 0
msg_cr0_clear:   db "CR0 after MOV CR0 clearing MP: 0x", 0
msg_cr0_set:     db "CR0 after MOV CR0 setting MP: 0x", 0
msg_lmsw:        db "CR0 after LMSW clearing MP: 0x", 0
msg_cr4:         db "CR4 after setting OSXSAVE: 0x", 0
msg_xsetbv3:     db "XSETBV XCR0=3, fault vector: 0x", 0
msg_xsetbv2:     db "XSETBV XCR0=2, fault vector: 0x", 0
msg_dr0:         db "DR0 read back: 0x", 0
msg_dr7:         db "DR7: 0x", 0
msg_pat:         db "RDMSR IA32_PAT, low half: 0x", 0
msg_msr_unknown: db "RDMSR 0x1234, fault vector: 0x", 0
msg_msr_ro:      db "WRMSR IA32_MTRRCAP, fault vector: 0x", 0
msg_rdpmc:       db "RDPMC, fault vector: 0x", 0
msg_invd:        db "INVD and WBINVD, fault vector: 0x", 0
msg_pause:       db "PAUSE loop of 20000 rounds, rounds left: 0x", 0
msg_ud2:         db "UD2, fault vector: 0x", 0
msg_vmread:      db "VMREAD, fault vector: 0x", 0
msg_vmptrst:     db "VMPTRST, fault vector: 0x", 0
msg_invept:      db "INVEPT, fault vector: 0x", 0
msg_vmxon:       db "VMXON, fault vector: 0x", 0
msg_hc_map:      db "hypercall MAP_GPA_RANGE answered: 0x", 0
msg_hc_unaligned: db "hypercall MAP_GPA_RANGE of 0x200010 answered: -0x", 0
msg_bye:         db "halting", 10, 0

align 16
idtr:         dw 14 * 16 - 1
              dq idt
align 16
idt:          times 14 * 16 db 0
resume_at:    dq 0
scratch:      times 16 db 0
fault_vector: db NO_FAULT
