; A target for the gdb stub with two processors (tests/tools/gdb.sh): the BSP starts
; the AP (INIT, start-up IPI) and waits in a loop at 101100H; the AP, in protected
; mode at 101000H, stores its APIC ID and a flag. Fixed addresses, so that gdb can
; break on the AP's code and know where the BSP waits.
;! args: --cpus 2
;! status: 1
;! stdout: ok ap-id
;! not-stderr: triple

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"
%include "smp.inc"
%define AP_ENTRY ap32

start:
        mov esp, stack_top
        SMP_COPY_TRAMPOLINE
        SMP_START_AP 1
        jmp bsp_wait

SMP_TRAMPOLINE

        times 0x1000 - ($ - $$) int3
ap32:                                   ; 0x101000
        mov ax, 0x10
        mov ds, ax
        mov esi, [APIC + 0x20]
        shr esi, 24
        mov [ap_id], esi
        mov dword [ap_done], 1
.idle:  cli
        hlt
        jmp .idle

        times 0x1100 - ($ - $$) int3
bsp_wait:                               ; 0x101100
        pause
        cmp dword [ap_done], 1
        jne bsp_wait
        CHECK32 "ap-id", [ap_id], 1
        jmp checks_done32

ap_id: dd 0
ap_done: dd 0

MB_BSS
        resb 4096
stack_top:
MB_END
