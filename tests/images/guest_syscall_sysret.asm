; SYSCALL and SYSRET in a 64-bit guest, as Intel processors execute them (SDM Vol. 2B
; "SYSCALL", "SYSRET"); neither is a VM exit, so each is looked at through the exit
; that follows it.
;  - SYSCALL: RCX = next RIP, R11 = RFLAGS, RFLAGS &= ~IA32_FMASK, CS = STAR[47:32]
;    (flat 64-bit code, DPL 0, AR A09B), SS = STAR[47:32] + 8 (AR C093), RIP = LSTAR.
;  - SYSRET with REX.W: RFLAGS = (R11 & 3C7FD7H) | 2, so VM (17), RF (16) and the
;    reserved bits 3, 5, 15 and 63:22 are dropped; CS = (STAR[63:48] + 16) | 3 (AR
;    A0FB), SS = (STAR[63:48] + 8) | 3 (AR C0F3), RIP = RCX. The guest then fetches at
;    CPL 3 from a supervisor page: #PF, a VM exit through the exception bitmap. The
;    state saved there must enter again (fuzz finding vmx_guest_sysret_rflags_vm: a
;    VM flag kept from R11 made VM entry fail with reason 33).
;  - SYSRET without REX.W returns to compatibility mode: CS = STAR[63:48] | 3 (AR
;    C0FB), RIP = ECX.
;  - SYSRET with a non-canonical RCX is #GP(0) at the SYSRET, nothing loaded.
;  - SYSCALL in compatibility mode is #UD (Intel; AMD allows it).
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok syscall-reason
;! stdout: ok syscall-rip
;! stdout: ok syscall-rcx
;! stdout: ok syscall-r11
;! stdout: ok syscall-rflags
;! stdout: ok syscall-cs
;! stdout: ok syscall-cs-ar
;! stdout: ok syscall-ss
;! stdout: ok syscall-ss-ar
;! stdout: ok sysret64-reason
;! stdout: ok sysret64-intr
;! stdout: ok sysret64-rip
;! stdout: ok sysret64-rflags
;! stdout: ok sysret64-cs
;! stdout: ok sysret64-cs-ar
;! stdout: ok sysret64-ss
;! stdout: ok sysret64-ss-ar
;! stdout: ok sysret64-reenter
;! stdout: ok sysret32-reason
;! stdout: ok sysret32-rip
;! stdout: ok sysret32-cs
;! stdout: ok sysret32-cs-ar
;! stdout: ok sysret32-rflags
;! stdout: ok sysret-noncanon-reason
;! stdout: ok sysret-noncanon-intr
;! stdout: ok sysret-noncanon-rip
;! stdout: ok sysret-noncanon-cs
;! stdout: ok compat-syscall-reason
;! stdout: ok compat-syscall-intr
;! stdout: ok compat-syscall-rip
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define GUEST_CS_SEL   0x0802
%define GUEST_SS_SEL   0x0804
%define GUEST_CS_AR    0x4816
%define GUEST_SS_AR    0x4818
%define STAR_SYSRET    0x20             ; STAR[63:48]
%define EXC_UD         (1 << 6)
%define EXC_GP         (1 << 13)
%define EXC_PF         (1 << 14)

; The guest back at CPL 0 in 64-bit mode, at a label.
%macro GUEST_CPL0_AT 1
        VMM_WRITE GUEST_CS_SEL, 0x08
        VMM_WRITE GUEST_CS_AR, 0xa09b
        VMM_WRITE GUEST_SS_SEL, 0x10
        VMM_WRITE GUEST_SS_AR, 0xc093
        VMM_WRITE VMCS_GUEST_RFLAGS, 2
        VMM_GUEST %1
%endmacro

start:
        call idt_setup
        VMM_SETUP 0, (1 << 28), 0, 0           ; MSR bitmaps (all clear: no MSR exits)
        VMM_WRITE VMCS_EXC_BITMAP, EXC_UD | EXC_GP | EXC_PF
        VMM_GUEST guest
        call vmm_run
        CHECK "syscall-reason", rax, 18            ; the VMCALL at LSTAR
        lea rbx, [rel syscall_target]
        VMM_CHECK "syscall-rip", VMCS_GUEST_RIP, rbx
        lea rbx, [rel after_syscall]
        CHECK "syscall-rcx", VMM_GREG(1), rbx
        CHECK "syscall-r11", VMM_GREG(11), 0x40403
        VMM_CHECK "syscall-rflags", VMCS_GUEST_RFLAGS, 0x3
        VMM_CHECK "syscall-cs", GUEST_CS_SEL, 0x08
        VMM_CHECK "syscall-cs-ar", GUEST_CS_AR, 0xa09b
        VMM_CHECK "syscall-ss", GUEST_SS_SEL, 0x10
        VMM_CHECK "syscall-ss-ar", GUEST_SS_AR, 0xc093

        ; SYSRET to 64-bit mode with VM, RF and reserved bits in R11.
        call vmm_skip
        mov rcx, 0x0000123456789000
        mov r11, 0xffffffff00078ced
        call vmm_run
        CHECK "sysret64-reason", rax, 0
        VMM_CHECK "sysret64-intr", VMCS_EXIT_INTR, 0x80000b0e
        VMM_CHECK "sysret64-rip", VMCS_GUEST_RIP, 0x0000123456789000
        VMM_CHECK "sysret64-rflags", VMCS_GUEST_RFLAGS, 0x40cc7
        VMM_CHECK "sysret64-cs", GUEST_CS_SEL, STAR_SYSRET + 16 + 3
        VMM_CHECK "sysret64-cs-ar", GUEST_CS_AR, 0xa0fb
        VMM_CHECK "sysret64-ss", GUEST_SS_SEL, STAR_SYSRET + 8 + 3
        VMM_CHECK "sysret64-ss-ar", GUEST_SS_AR, 0xc0f3
        call vmm_run                               ; the saved state enters again
        CHECK "sysret64-reenter", rax, 0

        ; SYSRET to compatibility mode: ECX only.
        GUEST_CPL0_AT guest_sysret
        mov rcx, 0xdead000012345678
        mov r11, 0x202
        call vmm_run
        CHECK "sysret32-reason", rax, 0
        VMM_CHECK "sysret32-rip", VMCS_GUEST_RIP, 0x12345678
        VMM_CHECK "sysret32-cs", GUEST_CS_SEL, STAR_SYSRET + 3
        VMM_CHECK "sysret32-cs-ar", GUEST_CS_AR, 0xc0fb
        VMM_CHECK "sysret32-rflags", VMCS_GUEST_RFLAGS, 0x202

        ; SYSRET to a non-canonical RIP: #GP(0) at the SYSRET, still at CPL 0.
        GUEST_CPL0_AT guest_sysretq
        mov rcx, 0x0000800000000000
        mov r11, 2
        call vmm_run
        CHECK "sysret-noncanon-reason", rax, 0
        VMM_CHECK "sysret-noncanon-intr", VMCS_EXIT_INTR, 0x80000b0d
        lea rbx, [rel guest_sysretq]
        VMM_CHECK "sysret-noncanon-rip", VMCS_GUEST_RIP, rbx
        VMM_CHECK "sysret-noncanon-cs", GUEST_CS_SEL, 0x08

        ; SYSCALL in compatibility mode (CS.L = 0, D = 1): #UD.
        GUEST_CPL0_AT guest_compat
        VMM_WRITE GUEST_CS_AR, 0xc09b
        call vmm_run
        CHECK "compat-syscall-reason", rax, 0
        VMM_CHECK "compat-syscall-intr", VMCS_EXIT_INTR, 0x80000306
        lea rbx, [rel guest_compat]
        VMM_CHECK "compat-syscall-rip", VMCS_GUEST_RIP, rbx
        call checks_done

guest:
        mov ecx, 0xc0000080                        ; EFER.SCE
        rdmsr
        or eax, 1
        wrmsr
        mov ecx, 0xc0000081                        ; STAR: SYSCALL CS 08, SYSRET base 20
        xor eax, eax
        mov edx, (STAR_SYSRET << 16) | 0x08
        wrmsr
        mov ecx, 0xc0000082                        ; LSTAR
        lea rax, [rel syscall_target]
        mov rdx, rax
        shr rdx, 32
        wrmsr
        mov ecx, 0xc0000084                        ; FMASK: AC and DF
        mov eax, 0x40400
        xor edx, edx
        wrmsr
        push 0x40403                               ; AC, DF, CF
        popfq
        syscall
after_syscall:
        ud2
syscall_target:
        vmcall
guest_sysretq:
        o64 sysret
guest_sysret:
        sysret

        BITS 32
guest_compat:
        syscall
        BITS 64

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
