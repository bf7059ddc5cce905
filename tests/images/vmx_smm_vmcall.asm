; The dual-monitor treatment of SMIs and SMM on the xeon model (IA32_VMX_BASIC[49] = 1):
; - an SMI from the APM control port (OUT to B2H) enters SMM at SMBASE + 8000H (default
;   SMBASE 30000H); only there may IA32_SMM_MONITOR_CTL (9BH) be written and
;   IA32_SMBASE (9EH) be read; RSM returns after the OUT;
; - VMCALL in VMX root operation then runs the activation checks in the SDM's order:
;   VMfailInvalid without a current VMCS, 19 (launched VMCS), 20 (VM-exit controls:
;   a default1 bit clear; a misaligned MSR-store area), 22 (MSEG revision), 24
;   (SMM-monitor features), and activates: an SMM VM exit (reason 18 | bit 29) into
;   the STM with the state of the MSEG header (64-bit, CS 08H, RIP/RSP/CR3/GDTR from
;   the header's offsets), the VMCS current at the VMCALL becoming the SMM-transfer
;   VMCS whose executive-VMCS pointer is the VMXON pointer;
; - in the STM: VMCALL is VMfail(1) (in SMM), VMXOFF VMfail(23), and VM entries check
;   the executive-VMCS pointer: 16 (misaligned; a region without the VMCS revision
;   identifier), 17 (a clear executive VMCS), 18 ("deactivate dual-monitor
;   treatment" with an executive VMCS other than the VMXON region), 25 (a launched
;   executive VMCS whose pin-based controls lack their default1 bits);
; - VMLAUNCH with "deactivate dual-monitor treatment" and the VMXON pointer returns
;   to the executive monitor after its VMCALL, outside SMM, with the VMCS-link pointer
;   (none) as current VMCS; VMXOFF then succeeds.
;! args: --max-insns 50000000
;! status: 1
;! stderr: ^vtsim: VMCALL at RIP=0x101503 on lp0: VMfailInvalid; no current VMCS\. VMCALL activating the dual-monitor treatment needs a current VMCS \(it becomes the executive VMCS\): VMPTRLD a clear VMCS before the VMCALL \(SDM Vol\. 3C, "Activating the Dual-Monitor Treatment"\)$
;! stderr: ^vtsim: VMCALL at RIP=0x1016e9 on lp0: VMfailValid\(22\), VMCALL with incorrect MSEG revision identifier; current VMCS 0x103000\. VMCALL activating the dual-monitor treatment needs MSEG's revision identifier to equal IA32_VMX_MISC\[63:32\]: write that value at the start of MSEG \(IA32_SMM_MONITOR_CTL\[31:12\]\) \(SDM Vol\. 3C, "Activating the Dual-Monitor Treatment"\)$
;! stderr: ^vtsim: VMXOFF at RIP=0x101a7d on lp0: VMfailValid\(23\), VMXOFF under dual-monitor treatment of SMIs and SMM; no operand\. VMXOFF is refused while SMIs and SMM have the dual-monitor treatment: have the SMM monitor deactivate the treatment \(a VM entry with "deactivate dual-monitor treatment"\) before VMXOFF \(SDM Vol\. 3C, "VMXOFF-Leave VMX Operation"\)$
;! stderr: ^vtsim: VMLAUNCH at RIP=0x101ba0 on lp0: VMfailValid\(17\), VM entry with non-launched executive VMCS; current VMCS 0x103000\. A VM entry that returns from SMM to VMX non-root operation needs a launched executive VMCS: return only to a VMCS that was launched when the SMI came \(or to the VMXON pointer, for root operation\) \(SDM Vol\. 3C, "VM Entries That Return from SMM"\)$
;! stdout: ok rdmsr-monitor-ctl
;! stdout: wrmsr-monitor-ctl-outside-smm: EXC 0d ERR 00000000 RIP ok
;! stdout: rdmsr-smbase-outside-smm: EXC 0d ERR 00000000 RIP ok
;! stdout: ok smi-returned
;! stdout: ok smi-regs-kept
;! stdout: ok smbase-in-smm
;! stdout: ok monitor-ctl-set
;! stdout: ok vmcall-1st-exit
;! stdout: ok vmcall-no-vmcs
;! stdout: ok vmcall-launched-vmcs
;! stdout: ok vmcall-exit-ctls
;! stdout: ok vmcall-msr-store-area
;! stdout: ok vmcall-mseg-revision
;! stdout: ok vmcall-mseg-features
;! stdout: stm: entered
;! stdout: ok stm-exit-reason
;! stdout: ok stm-exec-vmcs-ptr
;! stdout: ok stm-guest-rip
;! stdout: ok stm-insn-len
;! stdout: ok stm-smbase
;! stdout: ok stm-vmcall-in-smm
;! stdout: ok stm-vmxoff
;! stdout: ok stm-exec-misaligned
;! stdout: ok stm-exec-bad-revision
;! stdout: ok stm-exec-not-launched
;! stdout: ok stm-deactivate-not-vmxon
;! stdout: ok stm-exec-bad-controls
;! stdout: ok back-in-executive-monitor
;! stdout: ok vmptrst-link
;! stdout: smbase-after-return: EXC 0d ERR 00000000 RIP ok
;! stdout: ok vmxoff-after-deactivation
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
%define VMCS_INSLEN     0x440c
%define VMCS_GRIP       0x681e
%define VMCS_GSMBASE    0x4828
%define VMCS_LINK       0x2800
%define VMCS_EXITCTL    0x400c
%define VMCS_ENTRYCTL   0x4012
%define VMCS_PINCTL     0x4000
%define VMCS_STORE_CNT  0x400e
%define VMCS_STORE_ADDR 0x2006

start:
        call idt_setup
        ; The SMI handler goes to SMBASE + 8000H.
        lea rsi, [rel smi_handler]
        mov edi, SMI_ENTRY
        mov ecx, smi_handler_end - smi_handler
        rep movsb

        mov ecx, 0x9b
        rdmsr
        CHECK "rdmsr-monitor-ctl", rax, 0
        PUTS "wrmsr-monitor-ctl-outside-smm: "
        mov ecx, 0x9b
        xor edx, edx
        mov eax, 1
        TRY wrmsr
        PUTS "rdmsr-smbase-outside-smm: "
        mov ecx, 0x9e
        TRY rdmsr

        ; MSEG header in mseg (bss); the SMI handler writes valid | MSEG base.
        lea rax, [rel mseg]
        or eax, 1
        mov [abs SMI_ENTRY + smi_value - smi_handler], eax
        mov rbx, 0x1111
        mov r12, 0x2222
        mov al, 1
        out 0xb2, al                    ; SMI: the handler runs, RSM comes back here
.after_smi:
        CHECK "smi-returned", 1, 1
        CHECK "smi-regs-kept", r12, 0x2222
        mov eax, [abs SMI_ENTRY + smi_smbase - smi_handler]
        CHECK "smbase-in-smm", rax, SMBASE
        mov ecx, 0x9b
        rdmsr
        lea rdx, [rel mseg]
        or rdx, 1
        CHECK "monitor-ctl-set", rax, rdx

        ; vmcs_a: a full VMCS (vmm_setup); launched once, then VMCLEARed and copied
        ; into vmcs_b, which is launched too.
        VMM_SETUP 0, 0, 0, 0
        VMM_GUEST guest
        call vmm_run
        CHECK "vmcall-1st-exit", rax, 18
        vmclear [rel p_vmcs_a]
        VMX_EXPECT_FAIL_INVALID "vmcall-no-vmcs", vmcall
        lea rsi, [rel vmcs_a]
        lea rdi, [rel vmcs_b]
        mov ecx, 4096
        rep movsb
        vmptrld [rel p_vmcs_b]
        mov byte [rel vmm_launched], 0
        call vmm_run
        VMX_EXPECT_FAIL_VALID "vmcall-launched-vmcs", 19, vmcall
        VMM_WRITE VMCS_PINCTL, 0        ; the executive VMCS of error 25
        vmptrld [rel p_vmcs_a]          ; clear, valid: the future SMM-transfer VMCS

        VMM_READ VMCS_EXITCTL
        mov r13, rax
        VMM_WRITE VMCS_EXITCTL, 0x200   ; default1 bits clear
        VMX_EXPECT_FAIL_VALID "vmcall-exit-ctls", 20, vmcall
        VMM_WRITE VMCS_EXITCTL, r13
        VMM_WRITE VMCS_STORE_CNT, 1
        VMM_WRITE VMCS_STORE_ADDR, 0x1008
        VMX_EXPECT_FAIL_VALID "vmcall-msr-store-area", 20, vmcall
        VMM_WRITE VMCS_STORE_CNT, 0

        ; The MSEG header: revision (IA32_VMX_MISC[63:32]) wrong first.
        mov ecx, 0x485
        rdmsr
        lea rbx, [rel mseg]
        lea eax, [rdx + 1]
        mov [rbx + 0], eax
        VMX_EXPECT_FAIL_VALID "vmcall-mseg-revision", 22, vmcall
        mov [rbx + 0], edx
        mov dword [rbx + 4], 3          ; bit 1 reserved
        VMX_EXPECT_FAIL_VALID "vmcall-mseg-features", 24, vmcall
        mov dword [rbx + 4], 1          ; IA-32e mode SMM
        sgdt [rel gdtr_now]
        movzx eax, word [rel gdtr_now]
        mov [rbx + 8], eax              ; GDTR limit
        mov rax, [rel gdtr_now + 2]
        sub eax, ebx
        mov [rbx + 12], eax             ; GDTR base offset
        mov dword [rbx + 16], 8         ; CS selector
        lea rax, [rel stm_entry]
        sub eax, ebx
        mov [rbx + 20], eax             ; EIP offset
        lea rax, [rel stm_stack_top]
        sub eax, ebx
        mov [rbx + 24], eax             ; ESP offset
        mov rax, cr3
        sub eax, ebx
        mov [rbx + 28], eax             ; CR3 offset
        mov [rel exec_rsp], rsp
.activate:
        vmcall                          ; activates: the STM runs next
.back:
        mov rsp, [rel exec_rsp]
        CHECK "back-in-executive-monitor", 1, 1
        vmptrst [rel vmx_tmp]
        CHECK "vmptrst-link", [rel vmx_tmp], -1
        PUTS "smbase-after-return: "
        mov ecx, 0x9e
        TRY rdmsr
        VMX_EXPECT_OK "vmxoff-after-deactivation", vmxoff
        call checks_done

; ---- the SMM-transfer monitor (64-bit, IDTR limit 0: no exception may happen) ----
stm_entry:
        PUTSLN "stm: entered"
        VMM_CHECK "stm-exit-reason", VMCS_EXIT_REASON, (1 << 29) | 18
        lea rbx, [rel vmxon_region]
        VMM_CHECK "stm-exec-vmcs-ptr", VMCS_EXEC_PTR, rbx
        lea rbx, [rel start.activate]
        VMM_CHECK "stm-guest-rip", VMCS_GRIP, rbx
        VMM_CHECK "stm-insn-len", VMCS_INSLEN, 3
        VMM_CHECK "stm-smbase", VMCS_GSMBASE, SMBASE
        VMX_EXPECT_FAIL_VALID "stm-vmcall-in-smm", 1, vmcall
        VMX_EXPECT_FAIL_VALID "stm-vmxoff", 23, vmxoff
        VMM_WRITE VMCS_EXEC_PTR, 0x1008
        VMX_EXPECT_FAIL_VALID "stm-exec-misaligned", 16, vmlaunch
        lea rax, [rel mseg]             ; a page without the VMCS revision identifier
        add rax, 4096
        VMM_WRITE VMCS_EXEC_PTR, rax
        VMX_EXPECT_FAIL_VALID "stm-exec-bad-revision", 16, vmlaunch
        lea rax, [rel vmcs_c]           ; revision identifier, never launched
        VMM_WRITE VMCS_EXEC_PTR, rax
        VMX_EXPECT_FAIL_VALID "stm-exec-not-launched", 17, vmlaunch
        VMM_SETBITS VMCS_ENTRYCTL, 1 << 11
        VMX_EXPECT_FAIL_VALID "stm-deactivate-not-vmxon", 18, vmlaunch
        VMM_CLRBITS VMCS_ENTRYCTL, 1 << 11
        lea rax, [rel vmcs_b]           ; launched, pin-based controls invalid
        VMM_WRITE VMCS_EXEC_PTR, rax
        VMX_EXPECT_FAIL_VALID "stm-exec-bad-controls", 25, vmlaunch
        ; Back to the executive monitor, after its VMCALL, deactivating.
        lea rax, [rel vmxon_region]
        VMM_WRITE VMCS_EXEC_PTR, rax
        VMM_SETBITS VMCS_ENTRYCTL, 1 << 11
        VMM_READ VMCS_GRIP
        add rax, 3
        VMM_WRITE VMCS_GRIP, rax
        vmlaunch
        PUTSLN "BAD stm: the return from SMM failed"
        VMM_READ 0x4400
        PUT_HEX rax, 8
        call newline
        exit_with 1

guest:
        vmcall
        jmp guest

; ---- the SMI handler, copied to SMBASE + 8000H (16-bit, CS base = SMBASE) ----
        bits 16
smi_handler:
        mov ecx, 0x9e
        rdmsr
        mov [cs:0x8000 + smi_smbase - smi_handler], eax
        mov ecx, 0x9b
        mov eax, [cs:0x8000 + smi_value - smi_handler]
        xor edx, edx
        wrmsr
        rsm
smi_value:  dd 0
smi_smbase: dd 0
smi_handler_end:
        bits 64

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
mseg:           resb 4096
mseg_no_vmcs:   resb 4096
stm_stack:      resb 8192
stm_stack_top:
gdtr_now:       resb 10
exec_rsp:       resq 1
ELF64_END
