; The local APIC timer's interrupt arrives in a loop of two translated blocks that
; jump to each other (the engine chains them, storing no RIP between them): each
; interrupt returns to the instruction after the last one that completed, so both
; blocks run the same number of times whatever the ticks interrupt (periodic timer,
; initial counts 5003 and 7919, divide by 1: hundreds of ticks at many points of the
; loop). A return to a stale RIP would run one of the blocks once more or once less.
;! status: 1
;! stdout: ok ticks-5003
;! stdout: ok blocks-ran-alike-5003
;! stdout: ok loop-count-5003
;! stdout: ok ticks-7919
;! stdout: ok blocks-ran-alike-7919
;! stdout: ok loop-count-7919

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"

%define APIC 0xFEE00000
%define R(off) dword [APIC + off]
%define LVT_TIMER 0x320
%define INITIAL   0x380
%define DIVIDE    0x3e0
%define EOI       0x0b0
%define VEC       0x40
%define PERIODIC  (1 << 17)
%define LOOPS     200000

; "ok NAME" when %2 >= %3 (unsigned; eax, edx clobbered)
%macro CHECK_GE32 3
        mov eax, %2
        xor edx, edx
        cmp eax, %3
        setae dl
        CHECK32 %1, edx, 1
%endmacro

; one run of the two-block loop with the timer's period %1; checks named %2-%4
%macro RUN 4
        mov dword [ticks], 0
        mov dword [xa], 0
        mov dword [xb], 0
        mov R(INITIAL), %1
        sti
        call two_blocks
        cli
        mov R(INITIAL), 0
        CHECK_GE32 %2, [ticks], 100
        mov eax, [xa]
        sub eax, [xb]
        CHECK32 %3, eax, 0
        CHECK32 %4, [xb], LOOPS
%endmacro

start:
        mov esp, stack_top
        call setup_idt
        mov R(0xf0), 0x1ff              ; SPIV: software enabled
        mov R(DIVIDE), 0xb              ; divide by 1
        mov R(LVT_TIMER), PERIODIC | VEC
        RUN 5003, "ticks-5003", "blocks-ran-alike-5003", "loop-count-5003"
        RUN 7919, "ticks-7919", "blocks-ran-alike-7919", "loop-count-7919"
        call checks_done32

two_blocks:
        mov ecx, LOOPS
        jmp .a
        align 64, db 0xCC
.a:     inc dword [xa]
        add esi, 3
        jmp .b
        align 64, db 0xCC
.b:     inc dword [xb]
        sub esi, 3
        dec ecx
        jnz .a
        ret

setup_idt:
        IDT32_WIDE idt, timer_handler, VEC
        ret

timer_handler:
        inc dword [ticks]
        mov R(EOI), 0
        iretd

        align 4, db 0
ticks:  dd 0
xa:     dd 0
xb:     dd 0

MB_BSS
        alignb 8
idt:    resb 256 * 8
        resb 4096
stack_top:
MB_END
