; SMM VM exits under the dual-monitor treatment, after VMCALL activated it and the STM
; returned to the executive monitor without deactivating (VMLAUNCH with the VMXON
; pointer as executive-VMCS pointer; the VMCS-link pointer, vmcs_b, becomes current):
; - VMXOFF in the executive monitor, outside SMM: VMfailValid(23);
; - an OUT to the APM control port is an I/O SMI: an SMM VM exit, reason 5 | bit 29
;   (from VMX root), qualification = the OUT's size, direction, operand and port,
;   into the STM at the SMM-transfer VMCS's HOST_RIP, with I/O RIP =
;   the OUT, I/O RCX = RCX, guest RIP = the next instruction, the SMM-transfer VMCS
;   current again; VMRESUME returns after the OUT;
; - VMCALL in the executive monitor: an SMM VM exit, reason 18 | bit 29; the STM
;   deactivates the treatment (VMRESUME with "deactivate dual-monitor treatment"),
;   after which VMXOFF succeeds and IA32_SMM_MONITOR_CTL keeps its value.
;! args: --max-insns 50000000
;! status: 1
;! stdout: ok monitor-ctl-set
;! stdout: stm: activated
;! stdout: ok stm-activation-reason
;! stdout: ok back-after-activation
;! stdout: ok vmptrst-link-pointer
;! stdout: ok vmxoff-under-dual-monitor
;! stdout: stm: SMM VM exit 1
;! stdout: ok smi-exit-reason
;! stdout: ok smi-exit-qual
;! stdout: ok smi-io-rip
;! stdout: ok smi-io-rcx
;! stdout: ok smi-guest-rip
;! stdout: ok smi-vmptrst-transfer
;! stdout: ok back-after-smi
;! stdout: stm: SMM VM exit 2
;! stdout: ok vmcall-exit-reason
;! stdout: ok vmcall-guest-rip
;! stdout: ok back-after-deactivation
;! stdout: ok vmxoff-after-deactivation
;! stdout: ok monitor-ctl-kept
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define SMBASE          0x30000
%define SMI_ENTRY       (SMBASE + 0x8000)
%define VMCS_EXEC_PTR   0x200c
%define VMCS_EXIT_REASON 0x4402
%define VMCS_GRIP       0x681e
%define VMCS_LINK       0x2800
%define VMCS_ENTRYCTL   0x4012
%define VMCS_IO_RCX     0x6402
%define VMCS_IO_RIP     0x6408
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
        mov r14, rdx
        CHECK "monitor-ctl-set", rax, rdx

        VMM_SETUP 0, 0, 0, 0            ; vmcs_a: clear, valid; the SMM-transfer VMCS
        call mseg_setup
        mov [rel exec_rsp], rsp
        vmcall                          ; activates the dual-monitor treatment
        mov rsp, [rel exec_rsp]
        CHECK "back-after-activation", 1, 1
        vmptrst [rel vmx_tmp]
        CHECK "vmptrst-link-pointer", [rel vmx_tmp], [rel p_vmcs_b]
        VMX_EXPECT_FAIL_VALID "vmxoff-under-dual-monitor", 23, vmxoff

        mov ecx, 0x5555
        mov al, 2
.smi:   out 0xb2, al                    ; I/O SMI: an SMM VM exit to the STM
.after_smi:
        mov rsp, [rel exec_rsp]
        CHECK "back-after-smi", 1, 1
.vmcall:
        vmcall                          ; an SMM VM exit; the STM deactivates
.after_vmcall:
        mov rsp, [rel exec_rsp]
        CHECK "back-after-deactivation", 1, 1
        VMX_EXPECT_OK "vmxoff-after-deactivation", vmxoff
        mov ecx, 0x9b
        rdmsr
        CHECK "monitor-ctl-kept", rax, r14
        call checks_done

%include "stm.inc"

; ---- the STM ----
stm_init:
        PUTSLN "stm: activated"
        VMM_CHECK "stm-activation-reason", VMCS_EXIT_REASON, (1 << 29) | 18
        ; Later SMM VM exits come to stm_exit on the STM's stack.
        lea rax, [rel stm_exit]
        VMM_WRITE VMCS_HOST_RIP, rax
        lea rax, [rel stm_stack_top]
        VMM_WRITE VMCS_HOST_RSP, rax
        lea rax, [rel vmcs_b]
        VMM_WRITE VMCS_LINK, rax        ; current VMCS after the return
        call skip_vmcall
        vmlaunch                        ; back to the executive monitor
        PUTSLN "BAD stm: return after activation failed"
        exit_with 1

stm_exit:
        inc dword [rel stm_exits]
        PUTS "stm: SMM VM exit "
        mov eax, [rel stm_exits]
        PUT_HEX rax, 1
        call newline
        cmp dword [rel stm_exits], 1
        jne .second
        VMM_CHECK "smi-exit-reason", VMCS_EXIT_REASON, (1 << 29) | 5
        ; OUT imm8, AL to port B2h: 1 byte (0), OUT (bit 3 = 0), immediate (bit 6)
        VMM_CHECK "smi-exit-qual", VMCS_EXIT_QUAL, (0xb2 << 16) | (1 << 6)
        lea rbx, [rel start.smi]
        VMM_CHECK "smi-io-rip", VMCS_IO_RIP, rbx
        VMM_CHECK "smi-io-rcx", VMCS_IO_RCX, 0x5555
        lea rbx, [rel start.after_smi]
        VMM_CHECK "smi-guest-rip", VMCS_GRIP, rbx
        vmptrst [rel vmx_tmp]
        CHECK "smi-vmptrst-transfer", [rel vmx_tmp], [rel p_vmcs_a]
        vmresume
        PUTSLN "BAD stm: return after the SMI failed"
        exit_with 1
.second:
        VMM_CHECK "vmcall-exit-reason", VMCS_EXIT_REASON, (1 << 29) | 18
        lea rbx, [rel start.vmcall]
        VMM_CHECK "vmcall-guest-rip", VMCS_GRIP, rbx
        call skip_vmcall
        VMM_SETBITS VMCS_ENTRYCTL, 1 << 11     ; deactivate dual-monitor treatment
        vmresume
        PUTSLN "BAD stm: deactivation failed"
        VMM_READ 0x4400
        PUT_HEX rax, 8
        call newline
        exit_with 1

skip_vmcall:
        push rax
        VMM_READ VMCS_GRIP
        add rax, 3
        VMM_WRITE VMCS_GRIP, rax
        pop rax
        ret

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

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
mseg:           resb 4096
stm_stack:      resb 8192
stm_stack_top:
gdtr_now:       resb 10
exec_rsp:       resq 1
stm_exits:      resd 1
ELF64_END
