; The VMX-preemption timer (SDM Vol. 3, "VMX-Preemption Timer"): VM entry starts it
; at the timer-value field and it counts down by 1 each time bit X of the TSC
; changes (X = IA32_VMX_MISC[4:0]), so it reaches 0 when the TSC reaches
; ((TSC at entry >> X) + value) << X; it counts in the HLT state too, and an exit
; from there saves activity state 1 (HLT) with RIP after the HLT. No instruction
; may store a TSC value read at or past the deadline: the exit comes first.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok hlt-reason
;! stdout: ok hlt-activity
;! stdout: ok hlt-rip
;! stdout: ok hlt-saved-zero
;! stdout: ok hlt-slept-until-deadline
;! stdout: ok expiry-reason
;! stdout: ok expiry-saved-zero
;! stdout: ok expiry-no-tsc-past-deadline
;! stdout: ok expiry-not-early
;! not-stdout: BAD
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define TIMER_VALUE 0x482e
%define HLT_TICKS   1000                   ; timer value for the HLT case
%define LOOP_TICKS  40                     ; timer value for the store loop
%define EXIT_TICKS  1000                   ; a VM exit's cost (docs/machine.md, "Virtual time")

start:
        call idt_setup
        mov ecx, 0x485                         ; IA32_VMX_MISC: X in bits 4:0
        rdmsr
        and eax, 0x1f
        mov [rel rate], eax
        VMM_SETUP (1 << 6), 0, (1 << 22), 0
        VMM_WRITE 0x4826, 0                    ; active

        ; A guest that halts with "HLT exiting" clear sleeps until the timer expires.
        VMM_GUEST guest_hlt
        VMM_WRITE TIMER_VALUE, HLT_TICKS
        call vmm_run
        rdtsc
        shl rdx, 32
        or rax, rdx
        mov r14, rax                           ; TSC right after the exit
        VMM_READ VMCS_EXIT_REASON
        CHECK "hlt-reason", rax, 52
        VMM_CHECK "hlt-activity", VMCS_GUEST_ACTIVITY, 1
        lea rbx, [rel guest_hlt.after]
        VMM_CHECK "hlt-rip", VMCS_GUEST_RIP, rbx
        VMM_CHECK "hlt-saved-zero", TIMER_VALUE, 0
        ; r12 = the guest's TSC before HLT: at least value << X ticks minus the
        ; part of the first period before it, and not much more, passed, plus
        ; the VM exit's cost.
        mov ecx, [rel rate]
        mov rax, HLT_TICKS - 1
        shl rax, cl
        add rax, EXIT_TICKS
        mov rdx, r14
        sub rdx, r12
        cmp rdx, rax
        jb .slept_bad
        mov rax, HLT_TICKS + 1
        shl rax, cl
        add rax, EXIT_TICKS
        cmp rdx, rax
        ja .slept_bad
        PUTSLN "ok hlt-slept-until-deadline"
        jmp .loops
.slept_bad:
        PUTSLN "BAD hlt-slept-until-deadline"

        ; A guest storing TSC values in a loop, entered at 16 different points of
        ; a TSC period (the host spins r15 times first): none of the stored values
        ; may be at or past the deadline, and the exit may not come before it.
.loops: VMM_WRITE 0x4826, 0
        xor r15d, r15d
.trial: mov ecx, r15d
        inc ecx
.spin:  dec ecx
        jnz .spin
        VMM_GUEST guest_loop
        VMM_WRITE TIMER_VALUE, LOOP_TICKS
        mov qword [rel last], 0
        call vmm_run
        rdtsc
        shl rdx, 32
        or rax, rdx
        mov r14, rax
        VMM_READ VMCS_EXIT_REASON
        cmp eax, 52
        jne .reason_bad
        VMM_READ TIMER_VALUE
        test rax, rax
        jnz .saved_bad
        ; deadline bound: ((start >> X) + value) << X, start = r13 read after entry
        mov ecx, [rel rate]
        mov rax, r13
        shr rax, cl
        add rax, LOOP_TICKS
        shl rax, cl
        cmp [rel last], rax
        jae .past_bad
        ; not early: the host reads the TSC after the exit at or past
        ; ((start >> X) + value - 1) << X (start may be up to a period after entry)
        sub rax, 1
        shr rax, cl
        shl rax, cl
        cmp r14, rax
        jb .early_bad
        inc r15d
        cmp r15d, 64
        jb .trial
        PUTSLN "ok expiry-reason"
        PUTSLN "ok expiry-saved-zero"
        PUTSLN "ok expiry-no-tsc-past-deadline"
        PUTSLN "ok expiry-not-early"
        call checks_done
.reason_bad:
        PUTSLN "BAD expiry-reason"
        call checks_done
.saved_bad:
        PUTSLN "BAD expiry-saved-zero"
        call checks_done
.past_bad:
        PUTSLN "BAD expiry-no-tsc-past-deadline"
        call checks_done
.early_bad:
        PUTSLN "BAD expiry-not-early"
        call checks_done

guest_hlt:
        rdtsc
        shl rdx, 32
        or rax, rdx
        mov r12, rax
        hlt
.after: ud2

guest_loop:
        rdtsc
        shl rdx, 32
        or rax, rdx
        mov r13, rax
.l:     rdtsc
        shl rdx, 32
        or rax, rdx
        mov [rel last], rax
        jmp .l

ELF64_BSS
rate:   resq 1
last:   resq 1
VMX_BSS
VMM64_BSS
ELF64_END
