; Task switches in a guest are VM exit 9 (SDM Vol. 3C "Treatment of Task Switches",
; the exit qualification for task switches, "Information for VM Exits Due to
; Instruction Execution" and "... During Event Delivery"). A 32-bit protected-mode
; unrestricted guest with its own GDT (current task TSS A busy at 18H, TSS B
; available at 20H, a task gate to 20H at 28H, a not-present TSS at 30H, a busy TSS
; at 38H) and IDT (vectors 6 and 30H: task gates to 20H) attempts each kind of task
; switch. Each exit must carry the TSS selector in bits 15:0 and the source in bits
; 31:30 (0 CALL, 1 IRET, 2 JMP, 3 IDT task gate), the instruction length for CALL,
; JMP, IRET and INT n, IDT-vectoring information for the IDT cases, the RIP of the
; instruction, TR still 18H, and TSS B neither written nor marked busy. The checks
; before the exit fault in the guest instead: a JMP to the not-present TSS is
; #NP(30H), an IRET whose link names an available TSS is #TS(20H) (exits 0 through
; the exception bitmap), and a CALL m16:32 through the gate whose far pointer ends
; past DS's limit is #GP(0) (the limit check comes before the selector is used).
; An NMI injected at VM entry whose IDT entry (vector 2) is a task gate to 20H exits
; with reason 9 before the guest's first instruction: source 3, IDT-vectoring
; information 80000202H (NMI), and blocking by NMI saved in the interruptibility
; state, with virtual NMIs off (the NMI's delivery began: NMIs are blocked) and on
; (virtual-NMI blocking is in effect before the exit, SDM Vol. 3C "VM Exits Induced
; by ... Event Delivery").
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok jmp-tss-reason
;! stdout: ok jmp-tss-qual
;! stdout: ok jmp-tss-len
;! stdout: ok jmp-tss-rip
;! stdout: ok jmp-tss-tr
;! stdout: ok jmp-tss-untouched
;! stdout: ok jmp-tss-not-busy
;! stdout: ok call-tss-reason
;! stdout: ok call-tss-qual
;! stdout: ok call-tss-len
;! stdout: ok call-tss-rip
;! stdout: ok jmp-gate-reason
;! stdout: ok jmp-gate-qual
;! stdout: ok jmp-gate-len
;! stdout: ok jmp-mem-reason
;! stdout: ok jmp-mem-qual
;! stdout: ok jmp-mem-len
;! stdout: ok call-mem-gate-qual
;! stdout: ok call-mem-gate-len
;! stdout: ok iret-nt-reason
;! stdout: ok iret-nt-qual
;! stdout: ok iret-nt-len
;! stdout: ok iret-nt-rip
;! stdout: ok iret-nt-flags
;! stdout: ok int-gate-reason
;! stdout: ok int-gate-qual
;! stdout: ok int-gate-len
;! stdout: ok int-gate-idt-info
;! stdout: ok int-gate-rip
;! stdout: ok ud-gate-reason
;! stdout: ok ud-gate-qual
;! stdout: ok ud-gate-idt-info
;! stdout: ok ud-gate-rip
;! stdout: ok tss-b-untouched
;! stdout: ok tss-b-not-busy
;! stdout: ok nmi-gate-reason
;! stdout: ok nmi-gate-qual
;! stdout: ok nmi-gate-idt-info
;! stdout: ok nmi-gate-rip
;! stdout: ok nmi-gate-blocking
;! stdout: ok nmi-gate-guest-did-not-run
;! stdout: ok vnmi-gate-reason
;! stdout: ok vnmi-gate-qual
;! stdout: ok vnmi-gate-idt-info
;! stdout: ok vnmi-gate-blocking
;! stdout: ok jmp-np-reason
;! stdout: ok jmp-np-intr
;! stdout: ok jmp-np-error
;! stdout: ok jmp-np-rip
;! stdout: ok iret-avail-reason
;! stdout: ok iret-avail-intr
;! stdout: ok iret-avail-error
;! stdout: ok call-mem-limit-reason
;! stdout: ok call-mem-limit-intr
;! stdout: ok call-mem-limit-error
;! stdout: ok call-mem-limit-rip
;! not-stdout: BAD
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define GUEST_TR_SEL   0x080e
%define GUEST_DS_LIMIT 0x4806
%define GUEST_TR_BASE  0x6814
%define GUEST_GDTR_BASE  0x6816
%define GUEST_GDTR_LIMIT 0x4810
%define SENTINEL       0x5a5a5a5a

start:
        call idt_setup
        call ept_setup
        call tables_setup
        VMM_SETUP 0, (1 << 31), 0, 0
        VMM_GUEST32_UG                         ; 32-bit, no paging, under EPT
        VMM_WRITE VMCS_EXC_BITMAP, (1 << 10) | (1 << 11)   ; #TS, #NP exit
        lea rax, [rel gdt32]
        VMM_WRITE GUEST_GDTR_BASE, rax
        VMM_WRITE GUEST_GDTR_LIMIT, GDT32_LIMIT
        lea rax, [rel idt32]
        VMM_WRITE VMCS_GUEST_IDTR_BASE, rax
        VMM_WRITE VMCS_GUEST_IDTR_LIMIT, 0x7ff
        lea rax, [rel tss_a]
        VMM_WRITE GUEST_TR_BASE, rax

        VMM_GUEST g_jmp_tss
        call vmm_run
        CHECK "jmp-tss-reason", rax, 9
        VMM_CHECK "jmp-tss-qual", VMCS_EXIT_QUAL, (2 << 30) | 0x20
        VMM_CHECK "jmp-tss-len", VMCS_EXIT_INSLEN, 7
        VMM_CHECK "jmp-tss-rip", VMCS_GUEST_RIP, g_jmp_tss
        VMM_CHECK "jmp-tss-tr", GUEST_TR_SEL, 0x18
        mov eax, [rel tss_b + 0x20]
        CHECK "jmp-tss-untouched", rax, SENTINEL
        movzx eax, byte [rel gdt32 + 0x20 + 5]
        CHECK "jmp-tss-not-busy", rax, 0x89

        VMM_GUEST g_call_tss
        call vmm_run
        CHECK "call-tss-reason", rax, 9
        VMM_CHECK "call-tss-qual", VMCS_EXIT_QUAL, (0 << 30) | 0x20
        VMM_CHECK "call-tss-len", VMCS_EXIT_INSLEN, 7
        VMM_CHECK "call-tss-rip", VMCS_GUEST_RIP, g_call_tss

        VMM_GUEST g_jmp_gate
        call vmm_run
        CHECK "jmp-gate-reason", rax, 9
        VMM_CHECK "jmp-gate-qual", VMCS_EXIT_QUAL, (2 << 30) | 0x20
        VMM_CHECK "jmp-gate-len", VMCS_EXIT_INSLEN, 7

        VMM_GUEST g_jmp_mem                    ; JMP m16:32 (FF /5)
        call vmm_run
        CHECK "jmp-mem-reason", rax, 9
        VMM_CHECK "jmp-mem-qual", VMCS_EXIT_QUAL, (2 << 30) | 0x20
        VMM_CHECK "jmp-mem-len", VMCS_EXIT_INSLEN, 6

        VMM_GUEST g_call_mem_gate              ; CALL m16:32 (FF /3) through the gate
        xor ebx, ebx
        call vmm_run
        VMM_CHECK "call-mem-gate-qual", VMCS_EXIT_QUAL, (0 << 30) | 0x20
        VMM_CHECK "call-mem-gate-len", VMCS_EXIT_INSLEN, 7

        mov word [rel tss_a], 0x38             ; previous-task link: busy TSS D
        VMM_GUEST g_iret_nt
        call vmm_run
        CHECK "iret-nt-reason", rax, 9
        VMM_CHECK "iret-nt-qual", VMCS_EXIT_QUAL, (1 << 30) | 0x38
        VMM_CHECK "iret-nt-len", VMCS_EXIT_INSLEN, 1
        VMM_CHECK "iret-nt-rip", VMCS_GUEST_RIP, g_iret
        VMM_CHECK_MASK "iret-nt-flags", VMCS_GUEST_RFLAGS, 0x4000, 0x4000

        VMM_GUEST g_int_gate
        call vmm_run
        CHECK "int-gate-reason", rax, 9
        VMM_CHECK "int-gate-qual", VMCS_EXIT_QUAL, (3 << 30) | 0x20
        VMM_CHECK "int-gate-len", VMCS_EXIT_INSLEN, 2
        VMM_CHECK "int-gate-idt-info", VMCS_IDT_VEC_INFO, 0x80000430
        VMM_CHECK "int-gate-rip", VMCS_GUEST_RIP, g_int_gate

        VMM_GUEST g_ud_gate
        call vmm_run
        CHECK "ud-gate-reason", rax, 9
        VMM_CHECK "ud-gate-qual", VMCS_EXIT_QUAL, (3 << 30) | 0x20
        VMM_CHECK "ud-gate-idt-info", VMCS_IDT_VEC_INFO, 0x80000306
        VMM_CHECK "ud-gate-rip", VMCS_GUEST_RIP, g_ud_gate
        mov eax, [rel tss_b + 0x20]
        CHECK "tss-b-untouched", rax, SENTINEL
        movzx eax, byte [rel gdt32 + 0x20 + 5]
        CHECK "tss-b-not-busy", rax, 0x89

        VMM_GUEST g_nmi_gate
        VMM_WRITE VMCS_ENTRY_INTR, 0x80000202  ; NMI
        call vmm_run
        CHECK "nmi-gate-reason", rax, 9
        VMM_CHECK "nmi-gate-qual", VMCS_EXIT_QUAL, (3 << 30) | 0x20
        VMM_CHECK "nmi-gate-idt-info", VMCS_IDT_VEC_INFO, 0x80000202
        VMM_CHECK "nmi-gate-rip", VMCS_GUEST_RIP, g_nmi_gate
        VMM_CHECK_MASK "nmi-gate-blocking", VMCS_GUEST_INTERRUPTIBILITY, 8, 8
        movzx eax, byte [rel nmi_ran]
        CHECK "nmi-gate-guest-did-not-run", rax, 0
        VMM_WRITE VMCS_GUEST_INTERRUPTIBILITY, 0
        VMM_SETBITS VMCS_PIN_CTLS, (1 << 3) | (1 << 5)   ; NMI exiting, virtual NMIs
        VMM_GUEST g_nmi_gate
        VMM_WRITE VMCS_ENTRY_INTR, 0x80000202
        call vmm_run
        CHECK "vnmi-gate-reason", rax, 9
        VMM_CHECK "vnmi-gate-qual", VMCS_EXIT_QUAL, (3 << 30) | 0x20
        VMM_CHECK "vnmi-gate-idt-info", VMCS_IDT_VEC_INFO, 0x80000202
        VMM_CHECK_MASK "vnmi-gate-blocking", VMCS_GUEST_INTERRUPTIBILITY, 8, 8
        VMM_WRITE VMCS_GUEST_INTERRUPTIBILITY, 0
        VMM_CLRBITS VMCS_PIN_CTLS, (1 << 3) | (1 << 5)

        ; Checks 1-4 fail: faults in the guest, not exits 9.
        VMM_GUEST g_jmp_np
        call vmm_run
        CHECK "jmp-np-reason", rax, 0
        VMM_CHECK "jmp-np-intr", VMCS_EXIT_INTR, 0x80000b0b
        VMM_CHECK "jmp-np-error", VMCS_EXIT_INTR_ERR, 0x30
        VMM_CHECK "jmp-np-rip", VMCS_GUEST_RIP, g_jmp_np

        mov word [rel tss_a], 0x20             ; link: an available TSS
        VMM_GUEST g_iret_nt
        call vmm_run
        CHECK "iret-avail-reason", rax, 0
        VMM_CHECK "iret-avail-intr", VMCS_EXIT_INTR, 0x80000b0a
        VMM_CHECK "iret-avail-error", VMCS_EXIT_INTR_ERR, 0x20

        ; The far pointer at DS:FFFFFCH, DS limit FFFFFFH: its selector (the gate,
        ; 28H, at 1000000H) lies past the limit.
        VMM_WRITE VMCS_EXC_BITMAP, (1 << 10) | (1 << 11) | (1 << 13)   ; + #GP
        VMM_WRITE GUEST_DS_LIMIT, 0xffffff
        mov word [abs 0x1000000], 0x28
        VMM_GUEST g_call_mem_gate
        lea rax, [rel far_gate]
        mov ebx, 0xfffffc
        sub ebx, eax                           ; the guest's EBX + far_gate = FFFFFCH
        call vmm_run
        CHECK "call-mem-limit-reason", rax, 0
        VMM_CHECK "call-mem-limit-intr", VMCS_EXIT_INTR, 0x80000b0d
        VMM_CHECK "call-mem-limit-error", VMCS_EXIT_INTR_ERR, 0
        VMM_CHECK "call-mem-limit-rip", VMCS_GUEST_RIP, g_call_mem_gate
        call checks_done

EPT_IDENTITY_1G_ROUTINE

; gdt32[rdi] := a 32-bit TSS descriptor with base rax, limit 67H, access byte dl.
tss_desc:
        mov word [rdi], 0x67
        mov [rdi + 2], ax
        shr rax, 16
        mov [rdi + 4], al
        mov [rdi + 5], dl
        mov byte [rdi + 6], 0
        mov [rdi + 7], ah
        ret

; The guest's TSS descriptors, and TSS B filled with a sentinel.
tables_setup:
        lea rdi, [rel gdt32 + 0x18]
        lea rax, [rel tss_a]
        mov dl, 0x8b                           ; P, busy 32-bit TSS
        call tss_desc
        lea rdi, [rel gdt32 + 0x20]
        lea rax, [rel tss_b]
        mov dl, 0x89                           ; P, available 32-bit TSS
        call tss_desc
        lea rdi, [rel gdt32 + 0x30]
        lea rax, [rel tss_b]
        mov dl, 0x09                           ; not present
        call tss_desc
        lea rdi, [rel gdt32 + 0x38]
        lea rax, [rel tss_b]
        mov dl, 0x8b                           ; busy
        call tss_desc
        lea rdi, [rel tss_b]
        mov eax, SENTINEL
        mov ecx, 0x68 / 4
        rep stosd
        ret

        BITS 32
g_jmp_tss:
        jmp 0x20:0
g_call_tss:
        call 0x20:0
g_jmp_gate:
        jmp 0x28:0
g_iret_nt:
        pushfd
        or dword [esp], 0x4000                 ; NT
        popfd
g_iret:
        iretd
g_int_gate:
        int 0x30
g_ud_gate:
        ud2
g_nmi_gate:
        mov byte [nmi_ran], 1                  ; never runs: the NMI comes first
        hlt
g_jmp_np:
        jmp 0x30:0
g_jmp_mem:
        jmp far [far_tss]
g_call_mem_gate:
        call far [ds:ebx + far_gate]           ; EBX = 0; DS prefix: 7 bytes
far_tss:  dd 0
          dw 0x20
far_gate: dd 0
          dw 0x28
        BITS 64

eptp:   dq 0
nmi_ran: db 0

        align 8
gdt32:  dq 0
        dq 0x00cf9b000000ffff                  ; 08: code, 32-bit, flat
        dq 0x00cf93000000ffff                  ; 10: data, flat
        dq 0                                   ; 18: TSS A (tables_setup)
        dq 0                                   ; 20: TSS B
        dq 0x0000850000200000                  ; 28: task gate to 20H
        dq 0                                   ; 30: not-present TSS
        dq 0                                   ; 38: busy TSS D
GDT32_LIMIT equ $ - gdt32 - 1

        align 8
idt32:  times 2 dq 0
        dq 0x0000850000200000                  ; 02 (NMI): task gate to 20H
        times 3 dq 0
        dq 0x0000850000200000                  ; 06 (#UD): task gate to 20H
        times 0x30 - 7 dq 0
        dq 0x0000850000200000                  ; 30H: task gate to 20H
        times 256 - 0x31 dq 0

        align 16
tss_a:  times 0x68 db 0
tss_b:  times 0x68 db 0

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
ept_pml4: resb 4096
ept_pdpt: resb 4096
ept_pd:   resb 4096
ELF64_END
