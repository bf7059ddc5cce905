; RDRAND, RDSEED and INVPCID in a guest (SDM Vol. 3C "Instructions That Cause VM Exits
; Conditionally"; Vol. 2 "RDRAND", "RDSEED", "INVPCID").
;  - "RDRAND exiting" / "RDSEED exiting" (secondary 11 / 16): exits 57 / 61 at the
;    instruction, qualification 0, instruction information = destination register
;    in bits 6:3 and operand size in bits 12:11 (0 16-bit, 1 32-bit, 2 64-bit).
;  - "enable INVPCID" (secondary 12) with "INVLPG exiting": exit 58, qualification =
;    the displacement, instruction information as for INVEPT (scaling, address size,
;    segment, index, base, register operand in bits 31:28).
;  - Without exiting: RDRAND/RDSEED give vtsim's fixed per-LP sequence (splitmix64,
;    the same every run) with CF = 1 and the other status flags 0; a 16-bit
;    destination keeps bits 63:16. INVPCID executes; type 4, or a PCID other than 0
;    while CR4.PCIDE = 0, is #GP(0); without "enable INVPCID" it is #UD.
;  - In VMX root operation both execute.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok rdrand64-reason
;! stdout: ok rdrand64-info
;! stdout: ok rdrand64-qual
;! stdout: ok rdrand64-len
;! stdout: ok rdrand64-rip
;! stdout: ok rdseed16-reason
;! stdout: ok rdseed16-info
;! stdout: ok rdrand32-reason
;! stdout: ok rdrand32-info
;! stdout: ok invpcid-reason
;! stdout: ok invpcid-qual
;! stdout: ok invpcid-info
;! stdout: ok invpcid-len
;! stdout: ok native-reason
;! stdout: ok native-rdrand-1
;! stdout: ok native-rdseed-2
;! stdout: ok native-rdrand16-keeps
;! stdout: ok native-rflags
;! stdout: ok invpcid-type4-intr
;! stdout: ok invpcid-pcid-intr
;! stdout: ok invpcid-ud-intr
;! stdout: ok root-rdrand-cf
;! stdout: ok root-invpcid
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define PROC_INVLPG      (1 << 9)
%define PROC2_RDRAND     (1 << 11)
%define PROC2_INVPCID    (1 << 12)
%define PROC2_RDSEED     (1 << 16)
%define EXC_UD           (1 << 6)
%define EXC_GP           (1 << 13)
; The first three values of LP 0's sequence: splitmix64 from rdrand.c's seed,
; computed apart from vtsim.
%define RAND_1           0xe07f4e4b904dd41d
%define RAND_2           0x736af276e48803d8
%define RAND_3           0x5e56ac248b205b06

start:
        call idt_setup
        VMM_SETUP 0, (1 << 31) | PROC_INVLPG, 0, 0
        VMM_WRITE VMCS_PROC2_CTLS, PROC2_RDRAND | PROC2_RDSEED | PROC2_INVPCID
        VMM_WRITE VMCS_EXC_BITMAP, EXC_UD | EXC_GP
        VMM_GUEST guest
        call vmm_run
        CHECK "rdrand64-reason", rax, 57
        VMM_CHECK "rdrand64-info", VMCS_EXIT_INSINFO, (9 << 3) | (2 << 11)
        VMM_CHECK "rdrand64-qual", VMCS_EXIT_QUAL, 0
        VMM_CHECK "rdrand64-len", VMCS_EXIT_INSLEN, 4
        lea rbx, [rel guest]
        VMM_CHECK "rdrand64-rip", VMCS_GUEST_RIP, rbx
        call vmm_skip
        call vmm_run
        CHECK "rdseed16-reason", rax, 61
        VMM_CHECK "rdseed16-info", VMCS_EXIT_INSINFO, (3 << 3) | (0 << 11)
        call vmm_skip
        call vmm_run
        CHECK "rdrand32-reason", rax, 57
        VMM_CHECK "rdrand32-info", VMCS_EXIT_INSINFO, (1 << 3) | (1 << 11)
        call vmm_skip
        call vmm_run
        CHECK "invpcid-reason", rax, 58
        VMM_CHECK "invpcid-qual", VMCS_EXIT_QUAL, 0x18
        VMM_CHECK "invpcid-info", VMCS_EXIT_INSINFO, 0xa1998102
        VMM_CHECK "invpcid-len", VMCS_EXIT_INSLEN, 8

        ; Now without the exits: the instructions execute in the guest.
        call vmm_skip
        VMM_WRITE VMCS_PROC2_CTLS, PROC2_INVPCID
        VMM_CLRBITS VMCS_PROC_CTLS, PROC_INVLPG
        call vmm_run
        CHECK "native-reason", rax, 18
        CHECK "native-rdrand-1", VMM_GREG(12), RAND_1
        CHECK "native-rdseed-2", VMM_GREG(13), RAND_2
        CHECK "native-rdrand16-keeps", VMM_GREG(14), (0x1111222233330000 | (RAND_3 & 0xffff))
        CHECK "native-rflags", VMM_GREG(15), 0x203         ; pushfq after RDRAND: CF, IF
        call vmm_skip
        call vmm_run
        VMM_CHECK "invpcid-type4-intr", VMCS_EXIT_INTR, 0x80000b0d
        lea rax, [rel g_pcid1]                  ; (a fault's exit has no length)
        VMM_WRITE VMCS_GUEST_RIP, rax
        call vmm_run
        VMM_CHECK "invpcid-pcid-intr", VMCS_EXIT_INTR, 0x80000b0d
        lea rax, [rel g_ud]
        VMM_WRITE VMCS_GUEST_RIP, rax
        VMM_WRITE VMCS_PROC2_CTLS, 0
        call vmm_run
        VMM_CHECK "invpcid-ud-intr", VMCS_EXIT_INTR, 0x80000306

        ; VMX root operation.
        push 0x8d4
        popfq
        rdrand rax
        setc al
        movzx eax, al
        CHECK "root-rdrand-cf", rax, 1
        mov eax, 2
        invpcid rax, [rel desc_zero]
        CHECK "root-invpcid", rax, 2
        call checks_done

guest:
        rdrand r9
        rdseed bx
        rdrand ecx
        lea rbx, [rel desc_zero - 0x18]
        xor esi, esi
        mov r10d, 2
        invpcid r10, [rbx + rsi * 4 + 0x18]
        ; executed
        rdrand r12
        rdseed r13
        mov r14, 0x1111222233334444
        push 0x8d4                              ; PF AF ZF SF OF set, CF clear
        popfq
        sti
        rdrand r14w
        pushfq
        pop r15
        cli
        mov eax, 2
        invpcid rax, [rel desc_zero]
        vmcall
        mov eax, 4
        invpcid rax, [rel desc_zero]            ; type 4: #GP
g_pcid1:
        mov eax, 1
        invpcid rax, [rel desc_pcid1]           ; PCID 1 with CR4.PCIDE = 0: #GP
g_ud:   invpcid rax, [rel desc_zero]            ; without "enable INVPCID": #UD
        ud2

        align 16
desc_zero:  dq 0, 0
desc_pcid1: dq 1, 0

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
