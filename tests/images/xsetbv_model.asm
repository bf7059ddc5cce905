; XSETBV outside a guest takes only the XCR0 components the CPU model's
; CPUID.(EAX=0DH,ECX=0):EDX:EAX lists (SDM "XSETBV": #GP(0) for a bit set there that
; is clear in that leaf). The models list x87 and SSE; the engine underneath would
; also take AVX (bit 2) and PKRU (bit 9), which the hosted VMM's XSETBV refused, so
; kvmlike's two builds disagreed on a guest's XSETBV of 7. Here: the leaf says 3;
; 7 and 203H are #GP(0) and leave XCR0 as it was; 3 and 1 are taken; ECX = 1 and
; x87 clear are #GP(0) too.
;! status: 1
;! stdout: ok cpuid-0d-eax
;! stdout: ok cpuid-0d-edx
;! stdout: ok xcr0-3
;! stdout: xsetbv-avx: EXC 0d ERR 00000000 RIP ok
;! stdout: xsetbv-pkru: EXC 0d ERR 00000000 RIP ok
;! stdout: ok xcr0-still-3
;! stdout: xsetbv-ecx1: EXC 0d ERR 00000000 RIP ok
;! stdout: xsetbv-no-x87: EXC 0d ERR 00000000 RIP ok
;! stdout: ok xcr0-1
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

%macro SET_XCR0 2                       ; ecx, edx:eax = 0:value
        mov ecx, %1
        mov eax, %2
        xor edx, edx
%endmacro

start:
        call idt_setup
        mov rax, cr4
        or eax, 1 << 18                 ; OSXSAVE
        mov cr4, rax
        mov eax, 0xd
        xor ecx, ecx
        cpuid
        mov r12, rdx
        CHECK "cpuid-0d-eax", rax, 3
        CHECK "cpuid-0d-edx", r12, 0
        SET_XCR0 0, 3
        xsetbv
        xor ecx, ecx
        xgetbv
        CHECK "xcr0-3", rax, 3
        PUTS "xsetbv-avx: "
        SET_XCR0 0, 7
        TRY xsetbv
        PUTS "xsetbv-pkru: "
        SET_XCR0 0, 0x203
        TRY xsetbv
        xor ecx, ecx
        xgetbv
        CHECK "xcr0-still-3", rax, 3
        PUTS "xsetbv-ecx1: "
        SET_XCR0 1, 3
        TRY xsetbv
        PUTS "xsetbv-no-x87: "
        SET_XCR0 0, 2
        TRY xsetbv
        SET_XCR0 0, 1
        xsetbv
        xor ecx, ecx
        xgetbv
        CHECK "xcr0-1", rax, 1
        jmp checks_done

ELF64_END
