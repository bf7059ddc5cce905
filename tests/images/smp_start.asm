; Application processors (SDM Vol. 3A "Multiple-Processor Management"), four LPs:
;   - INIT then two start-up IPIs to "all excluding self" (vector 08H: CS 0800H, IP 0,
;     real mode): each AP runs the trampoline at 8000H, enters protected mode and
;     writes its APIC ID (xAPIC ID register and CPUID.1:EBX[31:24]) into its slot; the
;     second start-up IPI finds them running and is ignored (each starts once);
;   - fixed IPIs (vector 40H) by physical destination to each AP and to "all excluding
;     self": the halted APs (STI; HLT) wake, take the interrupt through the IDT, EOI;
;   - a self-IPI with IF=0 waits in IRR (PPR 0, ISR empty); STI; HLT takes it at once,
;     and while in service ISR holds it and PPR is its class; EOI clears it.
;! args: --cpus 4
;! status: 1
;! stdout: ok cpus
;! stdout: ok aps-started
;! stdout: ok aps-started-once
;! stdout: ok apic-ids
;! stdout: ok cpuid-ids
;! stdout: ok ipi-physical
;! stdout: ok ipi-all-but-self
;! stdout: ok self-ipi-blocked-by-if
;! stdout: ok self-ipi-in-irr
;! stdout: ok self-ipi-taken
;! stdout: ok isr-in-service
;! stdout: ok ppr-in-service
;! stdout: ok isr-after-eoi
;! not-stderr: triple

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"
%include "smp.inc"
%define AP_ENTRY ap32

%define NCPU 4
%define IPI_VEC 0x40

start:
        mov esp, stack_top
        call idt_setup
        lidt [idt_ptr]
        ; the number of processors from fw_cfg (key 5)
        mov ax, 5
        mov dx, 0x510
        out dx, ax
        mov dx, 0x511
        in al, dx
        movzx eax, al
        CHECK32 "cpus", eax, NCPU

        ; the trampoline at 8000H
        SMP_COPY_TRAMPOLINE

        mov dword [APIC + 0x310], 0
        mov dword [APIC + 0x300], 0x000C4500    ; INIT, assert, all excluding self
        mov dword [APIC + 0x300], 0x000C4608    ; start-up, vector 08H
        mov dword [APIC + 0x300], 0x000C4608    ; and again, as the protocol says
.wait:  pause
        cmp dword [ap_started], NCPU - 1
        jne .wait
        CHECK32 "aps-started", [ap_started], NCPU - 1
        mov ecx, 100000                         ; let a restarted AP count itself again
.spin:  pause
        loop .spin
        CHECK32 "aps-started-once", [ap_started], NCPU - 1

        ; slot i holds i for APs 1..3
        xor eax, eax
        mov ecx, 1
.ids:   cmp [apic_ids + ecx * 4], ecx
        jne .idn
        bts eax, ecx
.idn:   inc ecx
        cmp ecx, NCPU
        jb .ids
        CHECK32 "apic-ids", eax, 0xe
        xor eax, eax
        mov ecx, 1
.cids:  cmp [cpuid_ids + ecx * 4], ecx
        jne .cidn
        bts eax, ecx
.cidn:  inc ecx
        cmp ecx, NCPU
        jb .cids
        CHECK32 "cpuid-ids", eax, 0xe

        ; a fixed IPI to each AP in turn, physical destination
        mov ecx, 1
.phys:  mov eax, ecx
        shl eax, 24
        mov [APIC + 0x310], eax
        mov dword [APIC + 0x300], 0x00004000 | IPI_VEC
.pw:    pause
        cmp dword [ipi_hits + ecx * 4], 1
        jne .pw
        inc ecx
        cmp ecx, NCPU
        jb .phys
        CHECK32 "ipi-physical", [ipi_hits + 4], 1

        mov dword [APIC + 0x300], 0x000C4000 | IPI_VEC   ; all excluding self
.aw:    pause
        mov eax, [ipi_hits + 4]
        add eax, [ipi_hits + 8]
        add eax, [ipi_hits + 12]
        cmp eax, 6
        jne .aw
        mov eax, [ipi_hits + 4]
        and eax, [ipi_hits + 8]
        and eax, [ipi_hits + 12]
        CHECK32 "ipi-all-but-self", eax, 2

        ; self-IPI: blocked while IF = 0, taken by STI; HLT
        cli
        mov dword [APIC + 0x300], 0x00044000 | IPI_VEC   ; self
        mov ecx, 1000
.s0:    loop .s0
        CHECK32 "self-ipi-blocked-by-if", [ipi_hits], 0
        CHECK32 "self-ipi-in-irr", [APIC + 0x200 + (IPI_VEC / 32) * 16], 1 << (IPI_VEC % 32)
        mov byte [bsp_peek], 1
        sti
        hlt
        cli
        CHECK32 "self-ipi-taken", [ipi_hits], 1
        CHECK32 "isr-in-service", [isr_seen], 1 << (IPI_VEC % 32)
        CHECK32 "ppr-in-service", [ppr_seen], IPI_VEC & 0xf0
        CHECK32 "isr-after-eoi", [APIC + 0x100 + (IPI_VEC / 32) * 16], 0
        jmp checks_done32

; IDT: vector 40H only (the rest not present)
idt_setup:
        mov eax, ipi_handler
        mov edi, idt + IPI_VEC * 8
        mov [edi], ax
        mov word [edi + 2], 0x28                ; the 32-bit code selector of both GDTs
        mov word [edi + 4], 0x8e00              ; present 32-bit interrupt gate
        shr eax, 16
        mov [edi + 6], ax
        ret

ipi_handler:
        push eax
        push ebx
        mov ebx, [APIC + 0x20]
        shr ebx, 24
        test ebx, ebx
        jnz .count
        cmp byte [bsp_peek], 0                  ; the BSP looks at ISR and PPR in service
        je .count
        mov eax, [APIC + 0x100 + (IPI_VEC / 32) * 16]
        mov [isr_seen], eax
        mov eax, [APIC + 0xa0]
        mov [ppr_seen], eax
.count: lock inc dword [ipi_hits + ebx * 4]
        mov dword [APIC + 0xb0], 0              ; EOI
        pop ebx
        pop eax
        iret

; 32-bit code of the APs, reached from the trampoline with CS 28H
ap32:
        SMP_AP_PROLOGUE ap_stacks
        lidt [idt_ptr]
        mov [apic_ids + esi * 4], esi
        mov eax, 1
        cpuid
        shr ebx, 24
        mov [cpuid_ids + esi * 4], ebx
        lock inc dword [ap_started]
        sti
.idle:  hlt
        jmp .idle

SMP_TRAMPOLINE

idt_ptr: dw 256 * 8 - 1
        dd idt
ap_started: dd 0
bsp_peek: db 0
        align 4
isr_seen: dd 0
ppr_seen: dd 0
apic_ids: times NCPU dd 0
cpuid_ids: times NCPU dd 0
ipi_hits: times NCPU dd 0

MB_BSS
        alignb 8
idt:    resb 256 * 8
ap_stacks: resb NCPU * 1024
        resb 4096
stack_top:
MB_END
