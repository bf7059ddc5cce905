; CPUID answers from the configured CPU model (not the host): an Intel CPU with VMX,
; not running under a hypervisor, 64-bit with NX, TSC and MSRs.
;! status: 1
;! stdout: vendor GenuineIntel
;! stdout: ok max-leaf>=1
;! stdout: ok vmx
;! stdout: ok hypervisor-bit
;! stdout: ok tsc
;! stdout: ok msr
;! stdout: ok apic
;! stdout: ok max-ext-leaf
;! stdout: ok lm
;! stdout: ok nx

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        call idt_setup
        xor eax, eax
        xor ecx, ecx
        cpuid
        mov [rel vendor], ebx
        mov [rel vendor + 4], edx
        mov [rel vendor + 8], ecx
        mov r8d, eax
        PUTS "vendor "
        lea rsi, [rel vendor]
        call puts
        call newline
        xor edx, edx
        cmp r8d, 1
        setae dl
        CHECK "max-leaf>=1", rdx, 1
        mov eax, 1
        xor ecx, ecx
        cpuid
        mov r8d, ecx
        mov r9d, edx
        CHECK_MASK "vmx", r8, 1 << 5, 1 << 5
        CHECK_MASK "hypervisor-bit", r8, 1 << 31, 0
        CHECK_MASK "tsc", r9, 1 << 4, 1 << 4
        CHECK_MASK "msr", r9, 1 << 5, 1 << 5
        CHECK_MASK "apic", r9, 1 << 9, 1 << 9
        mov eax, 0x80000000
        cpuid
        xor edx, edx
        cmp eax, 0x80000001
        setae dl
        CHECK "max-ext-leaf", rdx, 1
        mov eax, 0x80000001
        xor ecx, ecx
        cpuid
        mov r9d, edx
        CHECK_MASK "lm", r9, 1 << 29, 1 << 29
        CHECK_MASK "nx", r9, 1 << 20, 1 << 20
        call checks_done

vendor: times 16 db 0

ELF64_END
