; Two processors share the host thread in quanta of retired instructions: each is
; stopped between blocks and resumed exactly there, again and again, and computes
; what it would alone. The BSP starts the AP (INIT, start-up IPI); both run the same
; register-only loop (xorshift32, an add, a data-dependent rotate; 200000 times, some
; 3 million instructions, so many quanta each) and must get the checksum computed
; outside (0x34bdddf7).
;! args: --cpus 2
;! status: 1
;! stdout: ok bsp-checksum
;! stdout: ok ap-checksum
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
        call compute
        mov [bsp_sum], eax
.wait:  pause
        cmp dword [ap_done], 1
        jne .wait
        CHECK32 "bsp-checksum", [bsp_sum], 0x34bdddf7
        CHECK32 "ap-checksum", [ap_sum], 0x34bdddf7
        jmp checks_done32

; eax = the checksum of 200000 rounds
compute:
        mov eax, 0x12345678                     ; x
        xor ebx, ebx                            ; acc
        mov ecx, 200000
.loop:  mov edx, eax
        shl edx, 13
        xor eax, edx
        mov edx, eax
        shr edx, 17
        xor eax, edx
        mov edx, eax
        shl edx, 5
        xor eax, edx
        add ebx, eax
        test al, 1
        jz .even
        rol ebx, 1
.even:  dec ecx
        jnz .loop
        xor eax, ebx
        ret

ap32:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov esp, ap_stack_top
        call compute
        mov [ap_sum], eax
        mov dword [ap_done], 1
.idle:  cli
        hlt
        jmp .idle

SMP_TRAMPOLINE

bsp_sum: dd 0
ap_sum: dd 0
ap_done: dd 0

MB_BSS
        resb 1024
ap_stack_top:
        resb 4096
stack_top:
MB_END
