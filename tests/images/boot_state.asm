; MACHINE.md "State of the boot logical processor at the entry point", checked from
; inside: registers saved before anything else, then compared one by one.
;! args: --mem 128M
;! status: 1
;! stdout: ok gprs-zero
;! stdout: ok rflags
;! stdout: ok cr0
;! stdout: ok cr4
;! stdout: ok efer
;! stdout: ok cs
;! stdout: ok ds
;! stdout: ok es
;! stdout: ok ss
;! stdout: ok fs
;! stdout: ok gs
;! stdout: ok tr
;! stdout: ok ldtr
;! stdout: ok idtr-limit
;! stdout: ok gdt-limit
;! stdout: ok gdt-in-reserved
;! stdout: ok gdt-null
;! stdout: ok gdt-code64
;! stdout: ok gdt-data
;! stdout: ok gdt-tss-busy64
;! stdout: ok gdt-tss-high
;! stdout: ok tss-limit
;! stdout: ok bootinfo-magic
;! stdout: ok rdi-in-reserved
;! stdout: ok rsp-in-reserved
;! stdout: ok rsp-stack-64k
;! stdout: ok rsp-below-top
;! stdout: ok cr3-in-reserved
;! stdout: ok identity-map
;! stdout: ok top-of-ram-rw
;! stdout: ok bss-zero
;! stdout: ok feature-control
;! stdout: ok fs-base
;! stdout: ok gs-base
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        ; first: every GPR as it came, before any instruction changes one
        mov [rel s_gpr + 0*8], rax
        mov [rel s_gpr + 1*8], rbx
        mov [rel s_gpr + 2*8], rcx
        mov [rel s_gpr + 3*8], rdx
        mov [rel s_gpr + 4*8], rsi
        mov [rel s_gpr + 5*8], rbp
        mov [rel s_gpr + 6*8], r8
        mov [rel s_gpr + 7*8], r9
        mov [rel s_gpr + 8*8], r10
        mov [rel s_gpr + 9*8], r11
        mov [rel s_gpr + 10*8], r12
        mov [rel s_gpr + 11*8], r13
        mov [rel s_gpr + 12*8], r14
        mov [rel s_gpr + 13*8], r15
        mov [rel s_rdi], rdi
        mov [rel s_rsp], rsp
        pushfq
        pop qword [rel s_rflags]
        mov rax, cr0
        mov [rel s_cr0], rax
        mov rax, cr3
        mov [rel s_cr3], rax
        mov rax, cr4
        mov [rel s_cr4], rax
        mov ecx, 0xC0000080
        rdmsr
        mov [rel s_efer], eax
        mov [rel s_efer + 4], edx
        mov [rel s_cs], cs
        mov [rel s_ds], ds
        mov [rel s_es], es
        mov [rel s_ss], ss
        mov [rel s_fs], fs
        mov [rel s_gs], gs
        str [rel s_tr]
        sldt [rel s_ldtr]
        sidt [rel s_idtr]
        sgdt [rel s_gdtr]
        ; from here on exceptions print instead of triple-faulting
        call idt_setup

        ; GPRs other than RDI/RSP are 0: OR them together
        xor eax, eax
        lea rsi, [rel s_gpr]
        mov ecx, 14
.or:    or rax, [rsi]
        add rsi, 8
        dec ecx
        jnz .or
        CHECK "gprs-zero", rax, 0
        CHECK "rflags", [rel s_rflags], 0x2
        CHECK "cr0", [rel s_cr0], 0x80010033
        CHECK "cr4", [rel s_cr4], 0x620
        CHECK "efer", [rel s_efer], 0xD01
        CHECK "cs", [rel s_cs], 0x08
        CHECK "ds", [rel s_ds], 0x10
        CHECK "es", [rel s_es], 0x10
        CHECK "ss", [rel s_ss], 0x10
        CHECK "fs", [rel s_fs], 0
        CHECK "gs", [rel s_gs], 0
        CHECK "tr", [rel s_tr], 0x18
        CHECK "ldtr", [rel s_ldtr], 0
        movzx eax, word [rel s_idtr]
        CHECK "idtr-limit", rax, 0

        ; the GDT: at least 5 slots (the TSS descriptor is 16 bytes at 0x18)
        mov rbx, [rel s_gdtr + 2]                 ; base
        movzx eax, word [rel s_gdtr]
        xor edx, edx
        cmp eax, 0x27
        setae dl
        CHECK "gdt-limit", rdx, 1
        mov r15, [rdi + 16]                       ; reserved_base, from boot info
        xor edx, edx
        cmp rbx, r15
        setae dl
        CHECK "gdt-in-reserved", rdx, 1
        CHECK "gdt-null", [rbx], 0
        ; code: P=1 DPL=0 S=1 code, L=1 D=0
        mov rdx, 0x0060F80000000000
        CHECK_MASK "gdt-code64", [rbx + 0x08], rdx, 0x0020980000000000
        ; data: P=1 DPL=0 S=1 data, writable
        mov rdx, 0x0000FA0000000000
        CHECK_MASK "gdt-data", [rbx + 0x10], rdx, 0x0000920000000000
        ; TSS: P=1 DPL=0 S=0 type 0xB (busy 64-bit TSS)
        mov rdx, 0x0000FF0000000000
        CHECK_MASK "gdt-tss-busy64", [rbx + 0x18], rdx, 0x00008B0000000000
        ; upper half of a 16-byte system descriptor: type field (bits 12:8) zero
        mov rdx, 0x00001F0000000000
        CHECK_MASK "gdt-tss-high", [rbx + 0x20], rdx, 0
        ; TSS limit (bits 15:0, 51:48; G scales it) at least 0x67
        mov rax, [rbx + 0x18]
        mov rdx, rax
        and eax, 0xFFFF
        shr rdx, 32
        mov rcx, rdx
        and edx, 0xF0000
        or eax, edx
        bt ecx, 23                                ; G
        jnc .nog
        shl eax, 12
        or eax, 0xFFF
.nog:   xor edx, edx
        cmp eax, 0x67
        setae dl
        CHECK "tss-limit", rdx, 1

        ; boot info / stack / page tables live in the reserved area
        mov rax, "VTSIMBI1"
        CHECK "bootinfo-magic", [rdi], rax
        mov r14, [rdi + 8]                        ; ram size
        xor edx, edx
        cmp rdi, r15
        jb .rdi
        lea rax, [rdi + 48]
        cmp rax, r14
        ja .rdi
        inc edx
.rdi:   CHECK "rdi-in-reserved", rdx, 1
        mov rax, [rel s_rsp]
        xor edx, edx
        cmp rax, r15
        seta dl
        CHECK "rsp-in-reserved", rdx, 1
        sub rax, 0x10000
        xor edx, edx
        cmp rax, r15
        setae dl
        CHECK "rsp-stack-64k", rdx, 1
        xor edx, edx
        cmp [rel s_rsp], r14
        setbe dl
        CHECK "rsp-below-top", rdx, 1
        mov rax, [rel s_cr3]
        xor edx, edx
        cmp rax, r15
        setae dl
        CHECK "cr3-in-reserved", rdx, 1

        ; every 2 MiB of RAM identity-mapped by a present, writable, supervisor,
        ; executable 2 MiB page
        call identity_walk
        CHECK "identity-map", rax, 0

        ; RAM just below reserved_base is usable
        mov rax, 0x5A5AA5A512345678
        mov [r15 - 8], rax
        mov rdx, [r15 - 8]
        CHECK "top-of-ram-rw", rdx, rax

        ; .bss arrives zero-filled
        lea rsi, [rel bss_probe]
        mov ecx, 4096 / 8
        xor eax, eax
.bz:    or rax, [rsi]
        add rsi, 8
        dec ecx
        jnz .bz
        CHECK "bss-zero", rax, 0

        mov ecx, 0x3A
        rdmsr
        shl rdx, 32
        or rax, rdx
        CHECK "feature-control", rax, 5
        mov ecx, 0xC0000100
        rdmsr
        shl rdx, 32
        or rax, rdx
        CHECK "fs-base", rax, 0
        mov ecx, 0xC0000101
        rdmsr
        shl rdx, 32
        or rax, rdx
        CHECK "gs-base", rax, 0

        call checks_done

; rax = 0 if every 2 MiB page of [0, ram) is mapped as promised, else the first bad
; address | 1. r14 = ram size.
identity_walk:
        xor r9, r9
        mov r11, 0x000FFFFFFFFFF000
.page:  cmp r9, r14
        jae .good
        mov rax, [rel s_cr3]
        and rax, r11
        mov rcx, r9
        shr rcx, 39
        and ecx, 511
        mov rax, [rax + rcx * 8]                  ; PML4E
        test al, 1
        jz .bad
        mov r12, rax                              ; AND of entries (RW, US)
        mov r13, rax                              ; OR of entries (XD)
        and rax, r11
        mov rcx, r9
        shr rcx, 30
        and ecx, 511
        mov rax, [rax + rcx * 8]                  ; PDPTE
        test al, 1
        jz .bad
        test al, 0x80                             ; a 1 GiB page is not "2 MiB pages"
        jnz .bad
        and r12, rax
        or r13, rax
        and rax, r11
        mov rcx, r9
        shr rcx, 21
        and ecx, 511
        mov rax, [rax + rcx * 8]                  ; PDE
        test al, 1
        jz .bad
        test al, 0x80
        jz .bad
        and r12, rax
        or r13, rax
        mov rcx, 0x000FFFFFFFE00000
        and rax, rcx
        cmp rax, r9
        jne .bad
        test r12, 2                               ; writable at every level
        jz .bad
        test r12, 4                               ; supervisor
        jnz .bad
        bt r13, 63                                ; executable
        jc .bad
        add r9, 0x200000
        jmp .page
.good:  xor eax, eax
        ret
.bad:   lea rax, [r9 + 1]
        ret

ELF64_BSS
s_gpr:          resq 14
s_rdi:          resq 1
s_rsp:          resq 1
s_rflags:       resq 1
s_cr0:          resq 1
s_cr3:          resq 1
s_cr4:          resq 1
s_efer:         resq 1
s_cs:           resq 1
s_ds:           resq 1
s_es:           resq 1
s_ss:           resq 1
s_fs:           resq 1
s_gs:           resq 1
s_tr:           resq 1
s_ldtr:         resq 1
s_idtr:         resq 2
s_gdtr:         resq 2
bss_probe:      resb 4096
ELF64_END
