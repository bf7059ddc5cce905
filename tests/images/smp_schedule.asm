; The schedule of several processors is part of the run: two processors increment a
; shared counter 100000 times each without a lock (load, a block boundary, store),
; so an update is lost whenever a turn ends between the load and the store. What
; they leave (the counter, and what each saw when it finished) depends on where
; every turn ended; tests/images/repeat.sh runs this twice and the two runs must
; agree (image/smp_schedule_repeats_*, in both --smp-events modes). Here: some
; updates were lost (turns did end inside the loop) and not all of them.
;! args: --cpus 2
;! status: 1
;! not-stderr: triple

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"
%include "smp.inc"
%define AP_ENTRY ap32
%define ROUNDS 100000

start:
        mov esp, stack_top
        SMP_COPY_TRAMPOLINE
        SMP_START_AP 1
        call bump
        mov [bsp_end], eax
.wait:  pause
        cmp dword [ap_done], 1
        jne .wait
        PUTS32 "counter "
        PUT_HEX32 [counter], 8
        PUTS32 " bsp-end "
        PUT_HEX32 [bsp_end], 8
        PUTS32 " ap-end "
        PUT_HEX32 [ap_end], 8
        call newline32
        mov eax, [counter]
        cmp eax, 2 * ROUNDS
        jae .bad                                ; nothing lost: no turn ended mid-update
        cmp eax, ROUNDS
        jbe .bad                                ; the second processor's work all lost
        jmp checks_done32
.bad:   PUTSLN32 "BAD counter"
        exit_with 1

; ROUNDS unlocked increments of the counter; eax = the counter after the last
bump:   mov ecx, ROUNDS
.loop:  mov eax, [counter]
        inc eax
        jmp .store                              ; a block ends here: a turn may too
.store: mov [counter], eax
        dec ecx
        jnz .loop
        ret

ap32:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov esp, ap_stack_top
        call bump
        mov [ap_end], eax
        mov dword [ap_done], 1
.idle:  cli
        hlt
        jmp .idle

SMP_TRAMPOLINE

counter: dd 0
bsp_end: dd 0
ap_end:  dd 0
ap_done: dd 0

MB_BSS
        resb 1024
ap_stack_top:
        resb 4096
stack_top:
MB_END
