; The local APIC timer (sim/cpu/lapic_timer.h), paging off, one processor. Its clock
; is the TSC's (CPUID 15H: TSC / crystal = 1/1), divided by the divide configuration.
;  - One-shot, masked, divide by 1: the current count starts at the initial count and
;    goes down by the ticks that pass; divide by 16 counts 16 times slower; at 0 it
;    stays 0 and, masked, requests nothing.
;  - One-shot, unmasked: one interrupt (vector 40H, in service in its handler, EOI
;    retires it), no earlier than the count reaching 0; writing 0 stops the count.
;  - Periodic: the number of interrupts in a stretch of time is that time over the
;    period (to one), the current count between 1 and the initial count; a HLT loop
;    sleeps from tick to tick: five ticks take five periods (plus the deliveries).
;  - TSC-deadline (CPUID.01H:ECX[24]): the initial count is cleared and then ignored,
;    the current count reads 0; IA32_TSC_DEADLINE (6E0H) reads back, fires once the
;    TSC reaches it and then reads 0; a deadline in the past fires right after the
;    WRMSR; 0 disarms; leaving the mode disarms and the MSR then reads 0.
;! status: 1
;! stdout: ok divide-reset
;! stdout: ok current-idle
;! stdout: ok cpuid-tsc-deadline
;! stdout: ok current-starts-at-initial
;! stdout: ok current-decreases-by-ticks
;! stdout: ok divide-16-counts-slower
;! stdout: ok masked-expired-reads-0
;! stdout: ok masked-no-request
;! stdout: ok masked-no-interrupt
;! stdout: ok one-shot-fires-once
;! stdout: ok one-shot-in-service-in-handler
;! stdout: ok one-shot-not-early
;! stdout: ok one-shot-expired-reads-0
;! stdout: ok one-shot-isr-retired
;! stdout: ok zero-initial-stops-count
;! stdout: ok zero-initial-no-interrupt
;! stdout: ok periodic-ticks-match-time
;! stdout: ok periodic-current-in-range
;! stdout: ok periodic-hlt-ticks
;! stdout: ok periodic-hlt-time
;! stdout: ok tsc-mode-initial-cleared
;! stdout: ok tsc-mode-initial-ignored
;! stdout: ok tsc-mode-current-0
;! stdout: ok tsc-deadline-reset
;! stdout: ok tsc-deadline-reads-back
;! stdout: ok tsc-deadline-fires
;! stdout: ok tsc-deadline-not-early
;! stdout: ok tsc-deadline-cleared
;! stdout: ok tsc-deadline-past-fires-at-once
;! stdout: ok tsc-deadline-zero-disarms
;! stdout: ok msr-reads-0-outside-tsc-mode
;! stdout: ok mode-change-disarms

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"

%define APIC 0xFEE00000
%define R(off) dword [APIC + off]
%define LVT_TIMER 0x320
%define INITIAL   0x380
%define CURRENT   0x390
%define DIVIDE    0x3e0
%define EOI       0x0b0
%define VEC       0x40
%define IRR_VEC   0x220                 ; IRR bits 95:64: vector 40H is bit 0
%define ISR_VEC   0x120
%define MASKED    (1 << 16)
%define PERIODIC  (1 << 17)
%define TSC_MODE  (1 << 18)
%define MSR_TSC_DEADLINE 0x6e0

; %1 iterations of a two-instruction loop (ecx clobbered)
%macro SPIN 1
        mov ecx, %1
%%l:    dec ecx
        jnz %%l
%endmacro

; "ok NAME" when %2 <= %3 (unsigned; eax, edx clobbered)
%macro CHECK_LE32 3
        mov eax, %2
        xor edx, edx
        cmp eax, %3
        setbe dl
        CHECK32 %1, edx, 1
%endmacro

start:
        mov esp, stack_top
        call setup_idt
        mov R(0xf0), 0x1ff              ; SPIV: software enabled
        CHECK32 "divide-reset", R(DIVIDE), 0
        CHECK32 "current-idle", R(CURRENT), 0
        mov eax, 1
        cpuid
        CHECK_MASK32 "cpuid-tsc-deadline", ecx, 1 << 24, 1 << 24

        ; ---- one-shot, masked
        mov R(DIVIDE), 0xb              ; divide by 1
        mov R(LVT_TIMER), MASKED | VEC
        mov R(INITIAL), 100000
        mov eax, R(CURRENT)
        mov [cur1], eax
        SPIN 1000
        mov eax, R(CURRENT)
        mov [cur2], eax
        mov eax, 100000
        sub eax, [cur1]
        CHECK_LE32 "current-starts-at-initial", eax, 16
        mov eax, [cur1]
        sub eax, [cur2]                 ; 2000 instructions and a few
        sub eax, 2000
        CHECK_LE32 "current-decreases-by-ticks", eax, 16
        mov R(DIVIDE), 0x3              ; divide by 16
        mov eax, R(CURRENT)
        mov [cur1], eax
        SPIN 8000                       ; 16000 ticks: 1000 counts
        mov eax, R(CURRENT)
        mov edx, [cur1]
        sub edx, eax
        sub edx, 1000
        CHECK_LE32 "divide-16-counts-slower", edx, 2
        mov R(DIVIDE), 0xb
        SPIN 60000
        CHECK32 "masked-expired-reads-0", R(CURRENT), 0
        CHECK32 "masked-no-request", R(IRR_VEC), 0
        CHECK32 "masked-no-interrupt", [ticks], 0

        ; ---- one-shot
        mov R(LVT_TIMER), VEC
        sti
        rdtsc
        mov [t0], eax
        mov R(INITIAL), 5000
        SPIN 10000
        cli
        CHECK32 "one-shot-fires-once", [ticks], 1
        CHECK32 "one-shot-in-service-in-handler", [isr_seen], 1
        mov eax, [h_tsc]
        sub eax, [t0]
        sub eax, 5000                   ; delivery (1000 ticks) and a block at most
        CHECK_LE32 "one-shot-not-early", eax, 1100
        CHECK32 "one-shot-expired-reads-0", R(CURRENT), 0
        CHECK32 "one-shot-isr-retired", R(ISR_VEC), 0
        mov dword [ticks], 0
        sti
        mov R(INITIAL), 5000
        SPIN 100
        mov R(INITIAL), 0
        CHECK32 "zero-initial-stops-count", R(CURRENT), 0
        SPIN 10000
        cli
        CHECK32 "zero-initial-no-interrupt", [ticks], 0

        ; ---- periodic: ticks over 200000 instructions and the deliveries
        mov R(LVT_TIMER), PERIODIC | VEC
        sti
        rdtsc
        mov [t0], eax
        mov R(INITIAL), 20000
        SPIN 100000
        mov eax, R(CURRENT)
        mov [cur1], eax
        mov R(INITIAL), 0
        rdtsc
        cli
        sub eax, [t0]
        xor edx, edx
        mov ecx, 20000
        div ecx                         ; whole periods that went by
        inc eax
        sub eax, [ticks]                ; 0 to 2: the count is that to one
        CHECK_LE32 "periodic-ticks-match-time", eax, 2
        mov eax, [cur1]
        dec eax
        CHECK_LE32 "periodic-current-in-range", eax, 20000 - 1
        mov dword [ticks], 0
        rdtsc
        mov [t0], eax
        mov R(INITIAL), 30000
        sti
.sleep: hlt
        cmp dword [ticks], 5
        jb .sleep
        cli
        mov R(INITIAL), 0
        CHECK32 "periodic-hlt-ticks", [ticks], 5
        mov eax, [h_tsc]
        sub eax, [t0]
        sub eax, 5 * 30000
        CHECK_LE32 "periodic-hlt-time", eax, 1100

        ; ---- TSC-deadline
        mov R(INITIAL), 1234
        mov R(LVT_TIMER), TSC_MODE | VEC
        CHECK32 "tsc-mode-initial-cleared", R(INITIAL), 0
        mov R(INITIAL), 1000
        CHECK32 "tsc-mode-initial-ignored", R(INITIAL), 0
        CHECK32 "tsc-mode-current-0", R(CURRENT), 0
        mov ecx, MSR_TSC_DEADLINE
        rdmsr
        or eax, edx
        CHECK32 "tsc-deadline-reset", eax, 0
        mov dword [ticks], 0
        rdtsc
        add eax, 20000
        adc edx, 0
        mov [dl_lo], eax
        mov ecx, MSR_TSC_DEADLINE
        wrmsr
        rdmsr
        CHECK32 "tsc-deadline-reads-back", eax, [dl_lo]
        sti
        SPIN 20000
        cli
        CHECK32 "tsc-deadline-fires", [ticks], 1
        mov eax, [h_tsc]
        sub eax, [dl_lo]
        CHECK_LE32 "tsc-deadline-not-early", eax, 1100
        mov ecx, MSR_TSC_DEADLINE
        rdmsr
        or eax, edx
        CHECK32 "tsc-deadline-cleared", eax, 0
        mov dword [ticks], 0
        sti
        nop                             ; past the STI's interrupt shadow
        mov eax, 1
        xor edx, edx
        wrmsr
        mov eax, [ticks]                ; the interrupt came before this
        cli
        CHECK32 "tsc-deadline-past-fires-at-once", eax, 1
        mov dword [ticks], 0
        rdtsc
        add eax, 5000
        adc edx, 0
        wrmsr
        xor eax, eax
        xor edx, edx
        wrmsr
        sti
        SPIN 10000
        cli
        CHECK32 "tsc-deadline-zero-disarms", [ticks], 0
        rdtsc
        add eax, 5000
        adc edx, 0
        mov ecx, MSR_TSC_DEADLINE
        wrmsr
        mov R(LVT_TIMER), VEC           ; one-shot: disarmed
        rdmsr
        or eax, edx
        CHECK32 "msr-reads-0-outside-tsc-mode", eax, 0
        sti
        SPIN 10000
        cli
        CHECK32 "mode-change-disarms", [ticks], 0
        call checks_done32

; The exception gates of lib32.inc and the timer's vector.
setup_idt:
        IDT32_WIDE idt, timer_handler, VEC
        ret

timer_handler:
        push eax
        push edx
        rdtsc
        mov [h_tsc], eax
        inc dword [ticks]
        mov eax, R(ISR_VEC)
        mov [isr_seen], eax
        mov R(EOI), 0
        pop edx
        pop eax
        iretd

        align 4, db 0
ticks:    dd 0
isr_seen: dd 0
h_tsc:    dd 0
t0:       dd 0
cur1:     dd 0
cur2:     dd 0
dl_lo:    dd 0

MB_BSS
        alignb 8
idt:    resb 256 * 8
        resb 4096
stack_top:
MB_END
