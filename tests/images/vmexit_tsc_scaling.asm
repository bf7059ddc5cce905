; TSC offsetting and scaling (SDM Vol. 3, "Timestamp-Counter Offsetting and
; Scaling"): with "use TSC offsetting" and "use TSC scaling" (secondary bit 25) a
; guest's RDTSC, RDTSCP and RDMSR of IA32_TIME_STAMP_COUNTER (10H, let through by
; the MSR bitmap) read ((TSC * TSC_MULTIPLIER) >> 48) + TSC_OFFSET; with offsetting
; alone TSC + TSC_OFFSET (RDMSR included); with scaling but not offsetting, the TSC
; itself. Each value read must lie between the bounds the VMM's TSC before the
; entry and after the exit give. The VMM first sets its TSC to 2^40, so a missing
; factor 1.5 or offset is far outside them. The VM-exit MSR-store list saves IA32_TSC
; itself, neither scaled nor offset (as kvm-unit-tests' vmx_store_tsc_test expects):
; between the VMM's own readings.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok scaled-rdtsc
;! stdout: ok scaled-rdtscp
;! stdout: ok scaled-rdmsr
;! stdout: ok store-tsc
;! stdout: ok offset-rdtsc
;! stdout: ok offset-rdmsr
;! stdout: ok unscaled-rdtsc
;! stdout: ok unscaled-rdmsr
;! not-stdout: BAD
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define TSC_OFFSET     0x2010
%define TSC_MULTIPLIER 0x2032
%define PROC2          0x401e
%define MULT           (3 << 47)            ; 1.5
%define OFFSET         0x1000000000

; rax := the TSC
%macro READ_TSC 0
        rdtsc
        shl rdx, 32
        or rax, rdx
%endmacro

; %1 (a register other than rax/rdx/rcx) := ((%1 * [rel mult]) >> 48) + [rel offset]
%macro GUEST_VIEW 1
        mov rax, %1
        mul qword [rel mult]
        shrd rax, rdx, 48
        add rax, [rel offset]
        mov %1, rax
%endmacro

; "ok NAME" when r8 <= %2 <= r9
%macro CHECK_BETWEEN 2
        cmp %2, r8
        jb %%bad
        cmp %2, r9
        ja %%bad
        PUTSLN "ok ", %1
        jmp %%done
%%bad:  PUTS "BAD ", %1, " "
        PUT_HEX %2, 16
        PUTS " not in "
        PUT_HEX r8, 16
        PUTS ".."
        PUT_HEX r9, 16
        call newline
        mov byte [rel checks_failed], 1
%%done:
%endmacro

start:
        call idt_setup
        mov ecx, 0x10
        xor eax, eax
        mov edx, 0x100                       ; IA32_TSC := 2^40
        wrmsr
        VMM_SETUP 0, (1 << 3) | (1 << 28) | (1 << 31), 0, 0   ; TSC offsetting, MSR bitmaps
        VMM_WRITE PROC2, (1 << 3) | (1 << 25)                 ; RDTSCP, TSC scaling
        VMM_WRITE TSC_OFFSET, OFFSET
        VMM_WRITE TSC_MULTIPLIER, MULT

        mov rax, MULT
        mov [rel mult], rax
        mov rax, OFFSET
        mov [rel offset], rax
        mov dword [rel store_list], 0x10     ; IA32_TIME_STAMP_COUNTER
        VMM_WRITE 0x400e, 1                  ; VM_EXIT_MSR_STORE_COUNT
        lea rax, [rel store_list]
        VMM_WRITE 0x2006, rax                ; VM_EXIT_MSR_STORE_ADDR
        call round
        CHECK_BETWEEN "scaled-rdtsc", r12
        CHECK_BETWEEN "scaled-rdtscp", r13
        CHECK_BETWEEN "scaled-rdmsr", r14
        mov r8, [rel raw_before]
        mov r9, [rel raw_after]
        mov rax, [rel store_list + 8]
        CHECK_BETWEEN "store-tsc", rax
        VMM_WRITE 0x400e, 0

        VMM_WRITE PROC2, (1 << 3)            ; offsetting alone
        mov rax, 1
        shl rax, 48
        mov [rel mult], rax
        call round
        CHECK_BETWEEN "offset-rdtsc", r12
        CHECK_BETWEEN "offset-rdmsr", r14

        VMM_WRITE PROC2, (1 << 3) | (1 << 25)
        VMM_CLRBITS VMCS_PROC_CTLS, (1 << 3) ; scaling without offsetting: no effect
        mov qword [rel offset], 0
        call round
        CHECK_BETWEEN "unscaled-rdtsc", r12
        CHECK_BETWEEN "unscaled-rdmsr", r14
        call checks_done

; One entry: r8 := the guest view of the TSC before it, r9 := after the exit.
round:
        VMM_GUEST guest
        READ_TSC
        mov [rel raw_before], rax
        mov r8, rax
        GUEST_VIEW r8
        call vmm_run
        READ_TSC
        mov [rel raw_after], rax
        mov r9, rax
        GUEST_VIEW r9
        ret


guest:
        rdtsc
        shl rdx, 32
        or rax, rdx
        mov r12, rax
        rdtscp
        shl rdx, 32
        or rax, rdx
        mov r13, rax
        mov ecx, 0x10
        rdmsr
        shl rdx, 32
        or rax, rdx
        mov r14, rax
        vmcall

ELF64_BSS
mult:   resq 1
offset: resq 1
raw_before: resq 1
raw_after:  resq 1
        alignb 16
store_list: resq 2                           ; one MSR entry: index, reserved, value
VMX_BSS
VMM64_BSS
ELF64_END
