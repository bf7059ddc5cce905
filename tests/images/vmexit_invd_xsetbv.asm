; INVD (reason 13) and XSETBV (reason 55) are unconditional VM exits in a guest,
; fault-like: GUEST_RIP = the instruction, VM_EXIT_INSTRUCTION_LEN 2 and 3, the
; guest's ECX/EDX:EAX visible to the VMM, XCR0 unchanged (read back with XGETBV in
; the guest). CR4.OSXSAVE is set in host and guest so XSETBV is not #UD.
; The #UD conditions have priority over the exits (SDM "Relative Priority of Faults
; and VM Exits"): with the guest's CR4.OSXSAVE = 0 XSETBV is #UD in the guest, and
; GETSEC is #UD while CR4.SMXE = 0, so neither exits. With the guest's CR4.SMXE = 1
; GETSEC (reason 11) exits whatever the leaf: PARAMETERS here, which the model lacks.
; In VMX root operation (sim/cpu/getsec.c) GETSEC is #UD with CR4.SMXE = 0; with it,
; GETSEC[CAPABILITIES] says "no TXT chipset, no leaf" (EAX = 0, RAX zero-extended,
; for index 0 and 1) and PARAMETERS (EAX = 6) is #UD.
;! args: --max-insns 20000000
;! status: 1
;! stdout: root-getsec-no-smxe: EXC 06 ERR 00000000 RIP ok
;! stdout: ok root-capabilities
;! stdout: ok root-capabilities-index1
;! stdout: root-parameters: EXC 06 ERR 00000000 RIP ok
;! stdout: ok invd-reason
;! stdout: ok invd-len
;! stdout: ok invd-qual
;! stdout: ok invd-guest-rip
;! stdout: ok xsetbv-reason
;! stdout: ok xsetbv-len
;! stdout: ok xsetbv-qual
;! stdout: ok xsetbv-guest-rip
;! stdout: ok xsetbv-ecx
;! stdout: ok xsetbv-eax
;! stdout: ok xsetbv-edx
;! stdout: ok end-reason
;! stdout: ok xcr0-unchanged
;! stdout: xsetbv-no-osxsave: EXC 06 ERR 00000000 RIP ok
;! stdout: getsec-no-smxe: EXC 06 ERR 00000000 RIP ok
;! stdout: ok ud-phase-end
;! stdout: ok getsec-reason
;! stdout: ok getsec-len
;! stdout: ok getsec-qual
;! stdout: ok getsec-guest-rip
;! stdout: ok getsec-eax
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

start:
        call idt_setup
        PUTS "root-getsec-no-smxe: "
        TRY getsec
        mov rax, cr4
        bts rax, 14                     ; SMXE
        mov cr4, rax
        mov rax, 0xffffffff00000000     ; EAX = 0: CAPABILITIES
        xor ebx, ebx
        getsec
        CHECK "root-capabilities", rax, 0
        mov ebx, 1
        getsec
        CHECK "root-capabilities-index1", rax, 0
        mov eax, 6                      ; PARAMETERS
        PUTS "root-parameters: "
        TRY getsec
        mov rax, cr4
        btr rax, 14                     ; the guest starts with the host's CR4
        mov cr4, rax
        mov rax, cr4
        bts rax, 18                     ; OSXSAVE
        mov cr4, rax
        xor ecx, ecx
        xgetbv
        mov [rel xcr0], eax
        VMM_SETUP 0, 0, 0, 0
        VMM_GUEST guest
        call vmm_run
        CHECK "invd-reason", rax, 13
        VMM_CHECK "invd-len", VMCS_EXIT_INSLEN, 2
        VMM_CHECK "invd-qual", VMCS_EXIT_QUAL, 0
        VMM_CHECK "invd-guest-rip", VMCS_GUEST_RIP, guest.invd
        call vmm_skip
        call vmm_run
        CHECK "xsetbv-reason", rax, 55
        VMM_CHECK "xsetbv-len", VMCS_EXIT_INSLEN, 3
        VMM_CHECK "xsetbv-qual", VMCS_EXIT_QUAL, 0
        VMM_CHECK "xsetbv-guest-rip", VMCS_GUEST_RIP, guest.xsetbv
        CHECK "xsetbv-ecx", rcx, 0
        CHECK "xsetbv-eax", VMM_GREG(0), 7
        CHECK "xsetbv-edx", rdx, 0
        call vmm_skip
        call vmm_run
        CHECK "end-reason", rax, 18
        CHECK "xcr0-unchanged", r12, [rel xcr0]
        VMM_CLRBITS VMCS_GUEST_CR4, 1 << 18
        call vmm_skip
        call vmm_run
        CHECK "ud-phase-end", rax, 18
        VMM_SETBITS VMCS_GUEST_CR4, 1 << 14     ; SMXE
        call vmm_skip
        call vmm_run
        CHECK "getsec-reason", rax, 11
        VMM_CHECK "getsec-len", VMCS_EXIT_INSLEN, 2
        VMM_CHECK "getsec-qual", VMCS_EXIT_QUAL, 0
        VMM_CHECK "getsec-guest-rip", VMCS_GUEST_RIP, guest.getsec
        CHECK "getsec-eax", VMM_GREG(0), 6
        call checks_done

guest:
.invd:  invd
        xor ecx, ecx
        mov eax, 7                      ; x87 | SSE | AVX
        xor edx, edx
.xsetbv:
        xsetbv
        xor ecx, ecx
        xgetbv
        mov r12, rax
        vmcall
        PUTS "xsetbv-no-osxsave: "
        TRY xsetbv
        PUTS "getsec-no-smxe: "
        TRY getsec
        vmcall
        mov eax, 6                      ; PARAMETERS, a leaf the model lacks
.getsec:
        getsec
        ud2

        align 8, db 0
xcr0:   dq 0

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
