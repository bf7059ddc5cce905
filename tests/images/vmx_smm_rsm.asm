; RSM in a guest of the SMM-transfer monitor: after VMCALL activated the dual-monitor
; treatment, the STM (in SMM, VMX root operation) enters a guest with "entry to SMM"
; (VM-entry control 10), which stays in SMM in VMX non-root operation; its RSM is a
; VM exit (reason 17, bit 29 clear: not an SMM VM exit), with the instruction's
; length (2) and RIP, to the host state of the guest's VMCS (the STM's). The guest's
; VMCS is a copy of vmcs_a, VMCLEARed, made in the executive monitor (vmm_setup's
; guest and host state, HOST_RIP = stm_rsm_exit, entry to SMM, blocking by SMI), since
; the STM has no setup of its own.
;! args: --max-insns 50000000
;! status: 1
;! stdout: ok monitor-ctl-set
;! stdout: stm: activated
;! stdout: ok stm-activation-reason
;! stdout: stm: RSM exit
;! stdout: ok rsm-reason
;! stdout: ok rsm-len
;! stdout: ok rsm-guest-rip
;! stdout: ok rsm-guest-ran
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define SMBASE          0x30000
%define SMI_ENTRY       (SMBASE + 0x8000)
%define VMCS_EXIT_REASON 0x4402
%define VMCS_ENTRYCTL   0x4012
%define VMCS_HOST_RSP   0x6c14
%define VMCS_HOST_RIP   0x6c16

start:
        call idt_setup
        lea rsi, [rel smi_handler]
        mov edi, SMI_ENTRY
        mov ecx, smi_handler_end - smi_handler
        rep movsb
        lea rax, [rel mseg]
        or eax, 1
        mov [abs SMI_ENTRY + smi_value - smi_handler], eax
        mov al, 1
        out 0xb2, al                    ; SMI (default treatment): enable the monitor
        mov ecx, 0x9b
        rdmsr
        lea rdx, [rel mseg]
        or rdx, 1
        CHECK "monitor-ctl-set", rax, rdx

        ; The SMM guest's VMCS: vmcs_a as vmm_setup leaves it, for an entry to SMM
        ; whose exits come to the STM; copied to vmcs_c once cleared.
        VMM_SETUP 0, 0, 0, 0
        VMM_GUEST rsm_guest
        lea rax, [rel stm_rsm_exit]
        VMM_WRITE VMCS_HOST_RIP, rax
        lea rax, [rel stm_stack_top]
        VMM_WRITE VMCS_HOST_RSP, rax
        VMM_SETBITS VMCS_ENTRYCTL, 1 << 10     ; entry to SMM
        VMM_WRITE VMCS_GUEST_INTERRUPTIBILITY, 4 ; blocking by SMI, as in SMM
        vmclear [rel p_vmcs_a]
        lea rsi, [rel vmcs_a]
        lea rdi, [rel vmcs_c]
        mov ecx, 4096
        rep movsb
        ; vmcs_a again, clear: the SMM-transfer VMCS.
        vmptrld [rel p_vmcs_a]
        VMM_CLRBITS VMCS_ENTRYCTL, 1 << 10
        VMM_WRITE VMCS_GUEST_INTERRUPTIBILITY, 0
        call mseg_setup
        vmcall                          ; activates the dual-monitor treatment
        PUTSLN "BAD activation returned"
        exit_with 1

%include "stm.inc"

; ---- the STM ----
stm_init:
        PUTSLN "stm: activated"
        VMM_CHECK "stm-activation-reason", VMCS_EXIT_REASON, (1 << 29) | 18
        vmptrld [rel p_vmcs_c]
        vmlaunch                        ; the SMM guest
        PUTS "BAD stm: entry to the SMM guest failed: "
        VMM_READ 0x4400
        PUT_HEX rax, 8
        call newline
        exit_with 1

stm_rsm_exit:
        PUTSLN "stm: RSM exit"
        VMM_CHECK "rsm-reason", VMCS_EXIT_REASON, 17
        VMM_CHECK "rsm-len", VMCS_EXIT_INSLEN, 2
        lea rbx, [rel rsm_guest.rsm]
        VMM_CHECK "rsm-guest-rip", VMCS_GUEST_RIP, rbx
        movzx eax, byte [rel guest_ran]
        CHECK "rsm-guest-ran", rax, 1
        call checks_done

rsm_guest:
        mov byte [rel guest_ran], 1
.rsm:   rsm
        ud2

; ---- the SMI handler (16-bit, at SMBASE + 8000H): enables the monitor ----
        bits 16
smi_handler:
        mov ecx, 0x9b
        mov eax, [cs:0x8000 + smi_value - smi_handler]
        xor edx, edx
        wrmsr
        rsm
smi_value:  dd 0
smi_handler_end:
        bits 64

guest_ran: db 0

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
mseg:           resb 4096
stm_stack:      resb 8192
stm_stack_top:
gdtr_now:       resb 10
ELF64_END
