; INS and OUTS exits (reason 30) report their memory operand (SDM Vol. 3, "Guest
; Linear Address" and "VM-Exit Instruction Information" for INS and OUTS;
; IA32_VMX_BASIC[54] = 1 on the model that runs this): the guest-linear address is
; the segment base plus RSI (OUTS) or RDI (INS) cut to the address size, and the
; instruction information holds the address size (9:7: 0 16-bit, 1 32-bit, 2
; 64-bit) and the segment register (17:15: DS or the override for OUTS, ES for
; INS). In 64-bit mode the bases of ES and DS count as 0, FS's does not; in
; compatibility mode (CS.L = 0, CS.D = 1) the address size is 32, or 16 with 67H.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok rep-outsb64-qual
;! stdout: ok rep-outsb64-info
;! stdout: ok rep-outsb64-linear
;! stdout: ok a32-fs-outsb-info
;! stdout: ok a32-fs-outsb-linear
;! stdout: ok insd64-qual
;! stdout: ok insd64-info
;! stdout: ok insd64-linear
;! stdout: ok compat-a16-outsw-qual
;! stdout: ok compat-a16-outsw-info
;! stdout: ok compat-a16-outsw-linear
;! stdout: ok compat-gs-insb-info
;! stdout: ok compat-gs-insb-linear
;! not-stdout: BAD
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define GUEST_FS_SELECTOR 0x0808
%define GUEST_FS_LIMIT    0x4808
%define GUEST_FS_AR       0x481c
%define GUEST_FS_BASE     0x680e
%define GUEST_DS_BASE     0x680c
%define GUEST_ES_BASE     0x6806
%define GUEST_CS_AR       0x4816

start:
        call idt_setup
        VMM_SETUP 0, (1 << 24), 0, 0           ; unconditional I/O exiting
        ; Bases the 64-bit cases ignore (ES, DS) or use (FS).
        VMM_WRITE GUEST_DS_BASE, 0x7000
        VMM_WRITE GUEST_ES_BASE, 0x9000
        VMM_WRITE GUEST_FS_SELECTOR, 0x10
        VMM_WRITE GUEST_FS_LIMIT, 0xffffffff
        VMM_WRITE GUEST_FS_AR, 0xc093
        VMM_WRITE GUEST_FS_BASE, 0x12345000

        ; 64-bit REP OUTSB at port 80h: DS, 64-bit addresses, RSI itself.
        VMM_GUEST g_rep_outsb
        mov edx, 0x80
        mov rsi, 0x123456789a
        call vmm_run
        VMM_CHECK "rep-outsb64-qual", VMCS_EXIT_QUAL, (0x80 << 16) | (1 << 5) | (1 << 4)
        VMM_CHECK "rep-outsb64-info", VMCS_EXIT_INSINFO, (3 << 15) | (2 << 7)
        mov rbx, 0x123456789a
        VMM_CHECK "rep-outsb64-linear", VMCS_GUEST_LINEAR, rbx

        ; 64-bit A32 FS OUTSB: FS, 32-bit addresses, FS base + ESI.
        VMM_GUEST g_a32_fs_outsb
        mov rsi, 0xffffffff00000100
        mov edx, 0x80
        call vmm_run
        VMM_CHECK "a32-fs-outsb-info", VMCS_EXIT_INSINFO, (4 << 15) | (1 << 7)
        VMM_CHECK "a32-fs-outsb-linear", VMCS_GUEST_LINEAR, 0x12345100

        ; 64-bit INSD: ES (base ignored), 64-bit addresses, RDI.
        VMM_GUEST g_insd
        mov rdi, 0x2000
        mov edx, 0x80
        call vmm_run
        VMM_CHECK "insd64-qual", VMCS_EXIT_QUAL, (0x80 << 16) | (1 << 4) | (1 << 3) | 3
        VMM_CHECK "insd64-info", VMCS_EXIT_INSINFO, (0 << 15) | (2 << 7)
        VMM_CHECK "insd64-linear", VMCS_GUEST_LINEAR, 0x2000

        ; Compatibility mode: CS.L = 0, CS.D = 1; DS and ES bases count there.
        VMM_WRITE GUEST_CS_AR, 0xc09b
        ; A16 OUTSW: DS base 7000h + SI (the upper bits of ESI dropped).
        VMM_GUEST g_a16_outsw
        mov esi, 0x12340
        mov edx, 0x80
        call vmm_run
        VMM_CHECK "compat-a16-outsw-qual", VMCS_EXIT_QUAL, (0x80 << 16) | (1 << 4) | 1
        VMM_CHECK "compat-a16-outsw-info", VMCS_EXIT_INSINFO, (3 << 15) | (0 << 7)
        VMM_CHECK "compat-a16-outsw-linear", VMCS_GUEST_LINEAR, 0x7000 + 0x2340
        ; GS INSB: INS always writes through ES (base 9000h) + EDI.
        VMM_GUEST g_gs_insb
        mov edi, 0x1234
        call vmm_run
        VMM_CHECK "compat-gs-insb-info", VMCS_EXIT_INSINFO, (0 << 15) | (1 << 7)
        VMM_CHECK "compat-gs-insb-linear", VMCS_GUEST_LINEAR, 0x9000 + 0x1234
        call checks_done

g_rep_outsb:
        rep outsb
        ud2
g_a32_fs_outsb:
        a32 fs outsb
        ud2
g_insd:
        insd
        ud2

        BITS 32
g_a16_outsw:
        a16 outsw
        ud2
g_gs_insb:
        db 0x65                                ; GS (ignored by INS)
        insb
        ud2
        BITS 64

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
