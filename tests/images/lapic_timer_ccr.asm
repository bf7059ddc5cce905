; The local APIC timer's current count and its interrupt agree (sim/cpu/lapic_timer.h),
; one processor, paging off, RFLAGS.IF = 1: a one-shot timer (divide by 1, vector
; 40H) is polled by reading the current count (390H, or MSR 839H in x2APIC mode)
; and, right after it in the same loop, the flag its handler sets. Once the count
; reads 0 the interrupt has been taken (the count reached 0, the interrupt was
; requested and IF let it through): the flag read after it is set. Initial counts
; 5000 to 5015, so that the count reaches 0 at each place in the loop.
;! status: 1
;! stdout: ok xapic-flag-when-zero
;! stdout: ok xapic-fired
;! stdout: ok x2apic-flag-when-zero
;! stdout: ok x2apic-fired

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"

%include "apic32.inc"
%define VEC 0x40
%define FIRST 5000
%define RUNS 16

start:
        mov esp, stack_top
        IDT32_WIDE idt, handler, VEC
        mov R(0xf0), 0x1ff              ; SPIV: software enabled
        mov R(0x3e0), 0xb               ; divide by 1
        mov R(0x320), VEC               ; one-shot, unmasked
        sti
        mov esi, FIRST
.next:  mov dword [fired], 0
        mov R(0x380), esi               ; initial count: the count starts
.poll:  mov eax, R(0x390)
        mov ecx, [fired]
        test eax, eax
        jnz .poll
        cmp ecx, 1
        je .ok
        inc dword [bad]
.ok:    inc esi
        cmp esi, FIRST + RUNS
        jb .next
        cli
        CHECK32 "xapic-flag-when-zero", [bad], 0
        CHECK32 "xapic-fired", [fires], RUNS

        WR 0x1b, 0xFEE00D00, 0          ; x2APIC mode
        WR 0x80f, 0x1ff, 0
        WR 0x83e, 0xb, 0
        WR 0x832, VEC, 0
        mov dword [x2apic], 1
        mov dword [bad], 0
        mov dword [fires], 0
        sti
        mov esi, FIRST
.next2: mov dword [fired], 0
        mov ecx, 0x838
        mov eax, esi
        xor edx, edx
        wrmsr
.poll2: mov ecx, 0x839
        rdmsr
        mov ecx, [fired]
        test eax, eax
        jnz .poll2
        cmp ecx, 1
        je .ok2
        inc dword [bad]
.ok2:   inc esi
        cmp esi, FIRST + RUNS
        jb .next2
        cli
        CHECK32 "x2apic-flag-when-zero", [bad], 0
        CHECK32 "x2apic-fired", [fires], RUNS
        call checks_done32

handler:
        push eax
        push ecx
        push edx
        mov dword [fired], 1
        inc dword [fires]
        APIC_EOI [x2apic]
        pop edx
        pop ecx
        pop eax
        iretd

        align 4, db 0
fired:  dd 0
fires:  dd 0
bad:    dd 0
x2apic: dd 0

MB_BSS
        alignb 8
idt:    resb 256 * 8
        resb 4096
stack_top:
MB_END
