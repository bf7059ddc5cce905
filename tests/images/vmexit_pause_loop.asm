; PAUSE-loop exiting (secondary control 10; SDM Vol. 3, "Instructions That Cause
; VM Exits Conditionally", PAUSE): at CPL 0 a PAUSE more than PLE_Gap TSC ticks
; after the previous one starts a new loop (so does the first after VM entry), and
; one more than PLE_Window ticks after the start of its loop exits with reason 40
; (qualification 0, the PAUSE's RIP and length). Here Gap = 128 and Window = 4096:
; a tight loop of 3 instructions exits after about 4096 / 3 iterations, again as
; long after the VMRESUME (the entry reset the loop); a loop whose PAUSEs are more
; than 128 instructions apart never exits and reaches its VMCALL; without the
; control a tight loop does not exit either.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok tight-reason
;! stdout: ok tight-qual
;! stdout: ok tight-len
;! stdout: ok tight-rip
;! stdout: ok tight-after-window
;! stdout: ok resumed-reason
;! stdout: ok resumed-after-window
;! stdout: ok gap-no-exit
;! stdout: ok gap-loops-done
;! stdout: ok off-no-exit
;! stdout: ok off-loops-done
;! not-stdout: BAD
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define PROC2      0x401e
%define PLE_GAP    0x4020
%define PLE_WINDOW 0x4022

; "ok NAME" when %2 <= %1-register <= %3
%macro CHECK_RANGE 4
        cmp %2, %3
        jb %%bad
        cmp %2, %4
        ja %%bad
        PUTSLN "ok ", %1
        jmp %%done
%%bad:  PUTS "BAD ", %1, " "
        PUT_HEX %2, 16
        call newline
        mov byte [rel checks_failed], 1
%%done:
%endmacro

start:
        call idt_setup
        VMM_SETUP 0, (1 << 31), 0, 0
        VMM_WRITE PROC2, (1 << 10)             ; PAUSE-loop exiting
        VMM_WRITE PLE_GAP, 128
        VMM_WRITE PLE_WINDOW, 4096

        VMM_GUEST tight
        xor r13d, r13d
        call vmm_run
        CHECK "tight-reason", rax, 40
        VMM_CHECK "tight-qual", VMCS_EXIT_QUAL, 0
        VMM_CHECK "tight-len", VMCS_EXIT_INSLEN, 2
        lea rbx, [rel tight]
        VMM_CHECK "tight-rip", VMCS_GUEST_RIP, rbx
        CHECK_RANGE "tight-after-window", r13, 4096 / 3 - 8, 4096 / 3 + 8

        xor r13d, r13d
        call vmm_run                           ; VMRESUME at the same PAUSE
        CHECK "resumed-reason", rax, 40
        CHECK_RANGE "resumed-after-window", r13, 4096 / 3 - 8, 4096 / 3 + 8

        VMM_GUEST gapped
        mov r13d, 100                          ; 100 * ~200 ticks: far past the window
        call vmm_run
        CHECK "gap-no-exit", rax, 18
        CHECK "gap-loops-done", r13, 0

        VMM_WRITE PROC2, 0
        VMM_GUEST counted
        mov r13d, 10000
        call vmm_run
        CHECK "off-no-exit", rax, 18
        CHECK "off-loops-done", r13, 0
        call checks_done

tight:
        pause
        inc r13
        jmp tight

gapped:
        pause
        mov ecx, 100
.d:     dec ecx
        jnz .d
        dec r13
        jnz gapped
        vmcall

counted:
        pause
        dec r13
        jnz counted
        vmcall

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
