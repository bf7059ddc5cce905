; CLTS and LMSW under the CR0 guest/host mask: CLTS exits (reason 28, access type 2)
; when the host owns TS and the read shadow shows it set, and otherwise leaves the
; host's TS alone; LMSW exits (access type 3, source data in bits 31:16, memory
; operand in bit 6 and its linear address in GUEST_LINEAR_ADDRESS) when it would
; change an owned bit; SMSW reads the shadow in owned bits.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok clts-reason
;! stdout: ok clts-qual
;! stdout: ok clts-len
;! stdout: ok lmsw-reg-reason
;! stdout: ok lmsw-reg-qual
;! stdout: ok lmsw-mem-reason
;! stdout: ok lmsw-mem-qual
;! stdout: ok lmsw-mem-linear
;! stdout: ok final-phase
;! stdout: ok smsw-reg-shadow
;! stdout: ok smsw-mem-shadow
;! stdout: ok mov-cr0-shadow
;! stdout: ok host-ts-kept
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define CR0_MASK   0x6000
%define CR0_SHADOW 0x6004

start:
        call idt_setup
        VMM_SETUP 0, 0, 0, 0
        VMM_GUEST guest
        VMM_SETBITS VMCS_GUEST_CR0, 8          ; the guest runs with TS set
        VMM_WRITE CR0_MASK, 8                  ; the host owns TS ...
        VMM_WRITE CR0_SHADOW, 8                ; ... and the guest believes it set
        call vmm_run
        CHECK "clts-reason", rax, 28
        VMM_CHECK "clts-qual", VMCS_EXIT_QUAL, 0x20
        VMM_CHECK "clts-len", VMCS_EXIT_INSLEN, 2
        call vmm_skip
        VMM_WRITE CR0_SHADOW, 0                ; now the guest believes TS clear
        call vmm_run
        CHECK "lmsw-reg-reason", rax, 28
        VMM_CHECK "lmsw-reg-qual", VMCS_EXIT_QUAL, 0xb0030
        call vmm_skip
        call vmm_run
        CHECK "lmsw-mem-reason", rax, 28
        VMM_CHECK "lmsw-mem-qual", VMCS_EXIT_QUAL, 0x90070
        VMM_READ VMCS_GUEST_LINEAR
        lea rbx, [rel msw_word]
        CHECK "lmsw-mem-linear", rax, rbx
        call vmm_skip
        call vmm_run
        CHECK "final-phase", rax, 18           ; the guest's VMCALL
        mov rax, [rel smsw_reg]
        CHECK "smsw-reg-shadow", rax, 0
        movzx rax, word [rel smsw_mem]
        and eax, 8
        CHECK "smsw-mem-shadow", rax, 0
        mov rax, [rel movcr0]
        CHECK "mov-cr0-shadow", rax, 0
        VMM_READ VMCS_GUEST_CR0
        and eax, 8
        CHECK "host-ts-kept", rax, 8
        call checks_done

guest:
        clts                                   ; exits: shadow TS = 1
        clts                                   ; shadow TS = 0: nothing changes
        mov eax, 0x0b                          ; PE MP TS: TS differs from the shadow
        lmsw ax
        lmsw [rel msw_word]
        smsw rax
        and rax, 8
        mov [rel smsw_reg], rax
        smsw [rel smsw_mem]
        mov rax, cr0
        and rax, 8
        mov [rel movcr0], rax
        vmcall
        ud2

msw_word: dw 0x0009
smsw_mem: dw 0xffff
smsw_reg: dq -1
movcr0:   dq -1

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
