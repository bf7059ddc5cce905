; Posted-interrupt processing (pin-based control 7, SDM Vol. 3C "Posted-Interrupt
; Processing") with virtual-interrupt delivery, external-interrupt exiting and
; "acknowledge interrupt on exit"; notification vector F2H, the descriptor a 64-byte
; block of the image. The guest keeps RFLAGS.IF = 0, so virtual interrupts stay
; pending and can be looked at.
; - The guest sends itself a fixed IPI with the notification vector through the
;   local APIC: no VM exit. The PIR (vectors 31H and 50H) is ORed into VIRR and
;   cleared, the outstanding-notification bit cleared, RVI = 50H, and the local APIC
;   has neither F2H requested nor in service; the guest runs on to its VMCALL (18).
; - Suppression: another vector (40H) is an external-interrupt exit (1, 80000040H).
; - A notification pending at VM entry (the VMM sends it to itself with IF = 0) is
;   processed before the guest's first instruction: vector 60H posted, RVI = 60H.
; - The same with RFLAGS.IF = 1 and CPUID (an instruction the simulator executes)
;   first: vector 70H posted is delivered through the guest's IDT before CPUID, so
;   the guest's first exit is its handler's VMCALL (18), the frame holds CPUID's
;   RIP and SVI = 70H; no CPUID exit at the handler's RIP.
; Two LPs (the second never started) and --smp-events instruction: a self-IPI is
; seen before the next instruction. With one LP it waits for the engine's next stop
; (smp_kick), by default for the next translated block: both are later.
;! args: --cpus 2 --smp-events instruction --max-insns 20000000
;! status: 1
;! stdout: ok notify-reason
;! stdout: ok notify-rvi
;! stdout: ok notify-virr-31
;! stdout: ok notify-virr-50
;! stdout: ok notify-pir-clear
;! stdout: ok notify-on-clear
;! stdout: ok notify-irr-clear
;! stdout: ok notify-isr-clear
;! stdout: ok other-reason
;! stdout: ok other-intr-info
;! stdout: ok entry-reason
;! stdout: ok entry-rvi
;! stdout: ok entry-virr-60
;! stdout: ok entry-pir-clear
;! stdout: ok entry-irr-clear
;! stdout: ok open-reason
;! stdout: ok open-rip
;! stdout: ok open-frame-rip
;! stdout: ok open-svi
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define APIC 0xFEE00000
%define NV 0xF2
%define ACK_ON_EXIT (1 << 15)
%define PROC_TPR_SHADOW (1 << 21)
%define PIN_EXTINT 1
%define PIN_POSTED (1 << 7)
%define VID (1 << 9)
%define VMCS_PI_NV 0x0002
%define VMCS_PI_DESC 0x2016
%define VIRR 0x200
%define IRR_F2 0x270                    ; IRR bits 255:224: F2H is bit 18
%define ISR_F2 0x170

start:
        call idt_setup
        VMX_PAGING_WITH_APIC APIC, apic_pd
        mov rbx, APIC
        mov dword [rbx + 0xF0], 0x1FF   ; SPIV: APIC software-enabled
        VMM_SETUP PIN_EXTINT | PIN_POSTED, (1 << 31) | PROC_TPR_SHADOW, ACK_ON_EXIT, 0
        VMM_WRITE VMCS_PROC2_CTLS, VID
        lea rax, [rel vapic_page]
        VMM_WRITE VMCS_VAPIC_ADDR, rax
        VMM_WRITE VMCS_TPR_THRESHOLD, 0
        VMM_WRITE VMCS_GUEST_INTR_STATUS, 0
        VMM_WRITE VMCS_PI_NV, NV
        lea rax, [rel pi_desc]
        VMM_WRITE VMCS_PI_DESC, rax
        mov dword [rel pi_desc + 4], 1 << 17    ; vector 31H
        mov dword [rel pi_desc + 8], 1 << 16    ; vector 50H
        mov byte [rel pi_desc + 32], 1          ; ON
        VMM_GUEST guest
        call vmm_run
        CHECK "notify-reason", rax, 18
        VMM_CHECK_MASK "notify-rvi", VMCS_GUEST_INTR_STATUS, 0xff, 0x50
        mov eax, [rel vapic_page + VIRR + 0x10]
        CHECK "notify-virr-31", rax, 1 << 17
        mov eax, [rel vapic_page + VIRR + 0x20]
        CHECK "notify-virr-50", rax, 1 << 16
        mov rax, [rel pi_desc]
        or rax, [rel pi_desc + 8]
        or rax, [rel pi_desc + 16]
        or rax, [rel pi_desc + 24]
        CHECK "notify-pir-clear", rax, 0
        movzx eax, byte [rel pi_desc + 32]
        CHECK "notify-on-clear", rax, 0
        APIC_READ IRR_F2
        CHECK "notify-irr-clear", rax, 0
        APIC_READ ISR_F2
        CHECK "notify-isr-clear", rax, 0

        lea rax, [rel guest.other]
        VMM_WRITE VMCS_GUEST_RIP, rax
        call vmm_run
        CHECK "other-reason", rax, 1
        VMM_CHECK "other-intr-info", VMCS_EXIT_INTR, 0x80000040
        mov rbx, APIC
        mov dword [rbx + 0xB0], 0       ; EOI

        ; A notification pending at VM entry.
        cli
        mov dword [rel pi_desc + 12], 1     ; vector 60H
        mov byte [rel pi_desc + 32], 1
        mov rbx, APIC
        mov dword [rbx + 0x300], 0x00044000 | NV   ; fixed, to self
        lea rax, [rel guest.entry]
        VMM_WRITE VMCS_GUEST_RIP, rax
        call vmm_run
        CHECK "entry-reason", rax, 18
        VMM_CHECK_MASK "entry-rvi", VMCS_GUEST_INTR_STATUS, 0xff, 0x60
        mov eax, [rel vapic_page + VIRR + 0x30]
        CHECK "entry-virr-60", rax, 1
        mov eax, [rel pi_desc + 12]
        CHECK "entry-pir-clear", rax, 0
        APIC_READ IRR_F2
        CHECK "entry-irr-clear", rax, 0

        ; A notification pending at entry, interrupts open, CPUID first.
        mov dword [rel pi_desc + 12], 1 << 16   ; vector 70H
        mov byte [rel pi_desc + 32], 1
        mov rbx, APIC
        mov dword [rbx + 0x300], 0x00044000 | NV
        VMM_GUEST_GATE 0x70, guest.handler
        lea rax, [rel guest_idt]
        VMM_WRITE VMCS_GUEST_IDTR_BASE, rax
        VMM_WRITE VMCS_GUEST_IDTR_LIMIT, 0x80 * 16 - 1
        VMM_WRITE VMCS_GUEST_RFLAGS, 0x202
        VMM_GUEST guest.open
        call vmm_run
        CHECK "open-reason", rax, 18
        lea rdx, [rel guest.handler]
        VMM_READ VMCS_GUEST_RIP
        CHECK "open-rip", rax, rdx
        lea rdx, [rel guest.open]
        VMM_READ VMCS_GUEST_RSP
        mov rax, [rax]
        CHECK "open-frame-rip", rax, rdx
        VMM_CHECK_MASK "open-svi", VMCS_GUEST_INTR_STATUS, 0xff00, 0x7000
        call checks_done

guest:
        mov rax, APIC + 0x300
        mov dword [rax], 0x00044000 | NV    ; fixed, to self
        nop
        nop
        vmcall
        ud2
.other:
        mov rax, APIC + 0x300
        mov dword [rax], 0x00044040
        nop
        ud2
.entry:
        vmcall
        ud2
.open:
        cpuid
        ud2
.handler:
        vmcall
        ud2

        align 64, db 0
pi_desc: times 64 db 0

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
apic_pd: resb 4096
vapic_page: resb 4096
guest_idt: resb 0x80 * 16
ELF64_END
