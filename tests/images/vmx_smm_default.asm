; SMM under the default treatment on the minimal model (IA32_VMX_BASIC[49] = 0, so no
; dual-monitor treatment): IA32_SMM_MONITOR_CTL (9BH) does not exist (#GP), RSM outside
; SMM is #UD, an OUT to the APM control port (B2H) enters SMM at SMBASE + 8000H in
; the SMM entry state (CS = SMBASE >> 4, EFLAGS 2, CR0.PE/PG clear, CR4 0) with the
; revision identifier and SMBASE in the state-save map, RSM returns right after the
; OUT with the state of before, and a handler that writes a new SMBASE into the map
; relocates the next SMI. VMCALL in VMX root operation stays VMfail(1).
;! args: --cpu minimal --max-insns 10000000
;! status: 1
;! stdout: rdmsr-monitor-ctl: EXC 0d ERR 00000000 RIP ok
;! stdout: rsm-outside-smm: EXC 06 ERR 00000000 RIP ok
;! stdout: ok smi1-count
;! stdout: ok smi1-cs
;! stdout: ok smi1-eflags
;! stdout: ok smi1-cr0-pe-pg
;! stdout: ok smi1-cr4
;! stdout: ok smi1-revision
;! stdout: ok smi1-smbase-field
;! stdout: ok smi1-regs-kept
;! stdout: ok smi1-rsp-kept
;! stdout: ok smi2-relocated
;! stdout: ok smi2-cs
;! stdout: ok vmxon
;! stdout: ok vmptrld
;! stdout: ok vmcall-no-dual-monitor
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"

%define SMBASE1 0x30000
%define SMBASE2 0x40000
%define H1 (SMBASE1 + 0x8000)
%define H2 (SMBASE2 + 0x8000)
%define V(b, x) (b + (x) - smi_handler)

start:
        call idt_setup
        call vmx_setup
        PUTS "rdmsr-monitor-ctl: "
        mov ecx, 0x9b
        TRY rdmsr
        PUTS "rsm-outside-smm: "
        TRY rsm
        lea rsi, [rel smi_handler]
        mov edi, H1
        mov ecx, smi_handler_end - smi_handler
        rep movsb
        lea rsi, [rel smi_handler]
        mov edi, H2
        mov ecx, smi_handler_end - smi_handler
        rep movsb
        mov dword [abs V(H1, smi_new_smbase)], SMBASE2
        mov r12, 0x1234
        mov r13, rsp
        mov al, 0
        out 0xb2, al
        mov eax, [abs V(H1, smi_count)]
        CHECK "smi1-count", rax, 1
        movzx eax, word [abs V(H1, smi_cs)]
        CHECK "smi1-cs", rax, SMBASE1 >> 4
        mov eax, [abs V(H1, smi_eflags)]
        CHECK "smi1-eflags", rax, 2
        mov eax, [abs V(H1, smi_cr0)]
        and eax, 0x80000001
        CHECK "smi1-cr0-pe-pg", rax, 0
        mov eax, [abs V(H1, smi_cr4)]
        CHECK "smi1-cr4", rax, 0
        mov eax, [abs SMBASE1 + 0xfefc]
        CHECK "smi1-revision", rax, 0x00020064
        mov eax, [abs SMBASE1 + 0xfef8]
        CHECK "smi1-smbase-field", rax, SMBASE2    ; the handler wrote it
        CHECK "smi1-regs-kept", r12, 0x1234
        mov rbx, rsp
        CHECK "smi1-rsp-kept", rbx, r13
        mov dword [abs V(H2, smi_new_smbase)], SMBASE2
        out 0xb2, al
        mov eax, [abs V(H2, smi_count)]
        CHECK "smi2-relocated", rax, 1
        movzx eax, word [abs V(H2, smi_cs)]
        CHECK "smi2-cs", rax, SMBASE2 >> 4
        VMX_ON
        VMX_EXPECT_OK "vmptrld", vmptrld [rel p_vmcs_a]
        VMX_EXPECT_FAIL_VALID "vmcall-no-dual-monitor", 1, vmcall
        call checks_done

; ---- the SMI handler (16-bit; CS base = SMBASE, so CS:8000H is its first byte) ----
        bits 16
smi_handler:
        inc dword [cs:0x8000 + smi_count - smi_handler]
        mov [cs:0x8000 + smi_cs - smi_handler], cs
        pushfd
        pop eax
        mov [cs:0x8000 + smi_eflags - smi_handler], eax
        mov eax, cr0
        mov [cs:0x8000 + smi_cr0 - smi_handler], eax
        mov eax, cr4
        mov [cs:0x8000 + smi_cr4 - smi_handler], eax
        mov eax, [cs:0x8000 + smi_new_smbase - smi_handler]
        mov [cs:0xfef8], eax            ; the SMBASE field of the state-save map
        rsm
        align 4
smi_count:      dd 0
smi_cs:         dd 0
smi_eflags:     dd 0
smi_cr0:        dd 0
smi_cr4:        dd 0
smi_new_smbase: dd 0
smi_handler_end:
        bits 64

ELF64_BSS
VMX_BSS
ELF64_END
