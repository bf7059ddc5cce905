; A TD's native MSRs (the TDX module's MSR virtualization table, sim/tdx_module_stub/
; td_msr.c): a TD with two vCPUs on one LP, each value checked by this file's
; expected stdout:
;  - vCPU 0 writes IA32_STAR, LSTAR, FMASK, KERNEL_GS_BASE, TSC_AUX, FS_BASE,
;    GS_BASE, SYSENTER_ESP and PAT without a #VE and yields (a TD exit);
;  - the VMM then reads LSTAR, KERNEL_GS_BASE and IA32_TSC_AUX as the TD exit
;    left them, 0, not as it wrote them before the TD ran (the module initializes
;    them at a TD exit; Linux's TDX host restores its own), and its PAT;
;  - vCPU 1 reads the same MSRs: the values a new vCPU starts with (FMASK 20200h,
;    PAT 0007040600070406h, the rest 0), none of vCPU 0's; it writes its own;
;  - vCPU 0, entered again, reads back its own values (switched at each TD exit and
;    entry, per vCPU), then uses them: SYSCALL goes to its LSTAR with its FMASK
;    applied, RDTSCP returns its TSC_AUX, SWAPGS brings in its KERNEL_GS_BASE;
;  - the other classes: WRMSR of a reserved x2APIC MSR (800h) is #GP(0); RDMSR of
;    IA32_CSTAR (in no row) is a #VE with exit reason 31, WRMSR of
;    IA32_TIME_STAMP_COUNTER (read native, write #VE) one with 32; WRMSR of
;    IA32_EFER may change SCE only (the module emulates it), changing NXE is a #VE;
;    once the guest sets TD_CTLS.REDUCE_VE (TDG.VM.WR), IA32_TSC_DEADLINE and
;    IA32_CSTAR, #VE before, are #GP(0).
; The guest reports each value through a vendor-specific TDVMCALL (R10 = 1, R11 =
; an 8-character tag, R12 = the value) that the VMM prints as "tag value"; R10 = 2
; yields to the VMM, which enters the next vCPU of its script.
;! args: --tdx --mem 128M --max-insns 50000000
;! status: 1
;! stdout: TDX module initialized: 1 TDMR, PAMT 4108 KiB, global KeyID 16
;! stdout: TD created
;! stdout: TD finalized
;! stdout: -- vCPU 0 writes
;! stdout: VMM.LSTR 0000000000000000
;! stdout: VMM.KGS  0000000000000000
;! stdout: VMM.TSCX 0000000000000000
;! stdout: VMM.PAT  0007040600070406
;! stdout: -- vCPU 1
;! stdout: STAR     0000000000000000
;! stdout: LSTAR    0000000000000000
;! stdout: FMASK    0000000000020200
;! stdout: KGSBASE  0000000000000000
;! stdout: TSC_AUX  0000000000000000
;! stdout: FSBASE   0000000000000000
;! stdout: GSBASE   0000000000000000
;! stdout: SYSE.ESP 0000000000000000
;! stdout: PAT      0007040600070406
;! stdout: -- vCPU 0 again
;! stdout: STAR     0010000800000000
;! stdout: LSTAR    00000000fffff5e0
;! stdout: FMASK    0000000000004700
;! stdout: KGSBASE  0000123400005678
;! stdout: TSC_AUX  000000000000abcd
;! stdout: FSBASE   00007f0000001000
;! stdout: GSBASE   00007f0000002000
;! stdout: SYSE.ESP ffff800000003000
;! stdout: PAT      0007040600070106
;! stdout: SYSCALL  00000000fffff5e0
;! stdout: SYS.FLAG 0000000000000002
;! stdout: RDTSCP.C 000000000000abcd
;! stdout: SWAPGS   0000123400005678
;! stdout: GP.ERROR 0000000000000000
;! stdout: VE.REASN 000000000000001f
;! stdout: VE.REASN 0000000000000020
;! stdout: EFER     0000000000000d01
;! stdout: EFER.SCE 0000000000000d00
;! stdout: VE.REASN 0000000000000020
;! stdout: EFER.NXE 0000000000000d00
;! stdout: VM.WR    0000000000000000
;! stdout: GP.ERROR 0000000000000000
;! stdout: GP.ERROR 0000000000000000
;! stdout: -- done
;! stdout: TD torn down: 26 pages reclaimed
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "tdx_bringup.inc"

%define MSR_TSC        0x10
%define MSR_SYSE_ESP   0x175
%define MSR_PAT        0x277
%define MSR_X2APIC_RSV 0x800
%define MSR_EFER       0xc0000080
%define MSR_STAR       0xc0000081
%define MSR_LSTAR      0xc0000082
%define MSR_CSTAR      0xc0000083
%define MSR_FMASK      0xc0000084
%define MSR_FS_BASE    0xc0000100
%define MSR_GS_BASE    0xc0000101
%define MSR_KGS_BASE   0xc0000102
%define MSR_TSC_AUX    0xc0000103

; WRMSR_Q msr, value (64-bit; rax, rcx, rdx clobbered)
%macro WRMSR_Q 2
        mov ecx, %1
        mov rax, %2
        mov rdx, rax
        shr rdx, 32
        wrmsr
%endmacro

; VMM_SHOW tag, msr: the VMM's RDMSR, printed as "tag value".
%macro VMM_SHOW 2
        mov rax, %1
        mov [rel vmm_tag], rax
        mov ecx, %2
        rdmsr
        shl rdx, 32
        or rax, rdx
        call vmm_print
%endmacro

start:
        mov word [rel td_max_vcpus], 2
        TDX_START_PLATFORM_AND_TD
        WRMSR_Q MSR_LSTAR, 0x401000             ; the VMM's own
        WRMSR_Q MSR_KGS_BASE, 0x5000
        WRMSR_Q MSR_TSC_AUX, 0x77
        PUTSLN "-- vCPU 0 writes"
        mov rcx, [rel td_tdvprs]
        call vmm_run
        VMM_SHOW 'VMM.LSTR', MSR_LSTAR
        VMM_SHOW 'VMM.KGS ', MSR_KGS_BASE
        VMM_SHOW 'VMM.TSCX', MSR_TSC_AUX
        VMM_SHOW 'VMM.PAT ', MSR_PAT
        PUTSLN "-- vCPU 1"
        mov rcx, [rel td_tdvprs + 8]
        call vmm_run
        PUTSLN "-- vCPU 0 again"
        mov rcx, [rel td_tdvprs]
        call vmm_run
        PUTSLN "-- done"
        call td_teardown
        exit_with 0

; rax = value: "tag value" with the tag in vmm_tag.
vmm_print:
        push rax
        lea rsi, [rel vmm_tag]
        call puts
        PUTS " "
        pop rax
        call put_hex64
        call newline
        ret

; rcx = TDVPR: TDH.VP.ENTER until the guest yields; every exit must be a
; TDVMCALL with R10-R12 exposed: a report (R10 = 1), printed, or the yield (2).
vmm_run:
        mov [rel vmm_vcpu], rcx
        xor r10d, r10d
        xor r11d, r11d
.enter: mov rcx, [rel vmm_vcpu]
        call td_vp_enter
        mov rdx, TDX_STATUS_MASK
        test rax, rdx
        jnz .bad
        cmp eax, TD_EXIT_TDCALL
        jne .bad
        cmp rcx, 0x1c00
        jne .bad
        cmp r10, 2
        je .yield
        cmp r10, 1
        jne .bad
        mov [rel vmm_tag], r11
        mov rax, r12
        call vmm_print
        xor r10d, r10d                          ; TDG.VP.VMCALL_SUCCESS
        xor r11d, r11d
        jmp .enter
.yield: ret
.bad:   PUTS "FAIL: unexpected TD exit: status "
        call put_hex64
        PUTS " rcx "
        mov rax, rcx
        call put_hex64
        PUTS " r10 "
        mov rax, r10
        call put_hex64
        call newline
        exit_with TDX_FAIL_EXIT

        align 8, db 0
vmm_vcpu: dq 0
vmm_tag: dq 0
         db 0

; ---------------------------------------------------------------- the TD guest
%include "td_guest.inc"

; SHOW tag, msr: RDMSR, reported.
%macro SHOW 2
        mov ecx, %2
        rdmsr
        shl rdx, 32
        or rax, rdx
        REPORT %1, rax
%endmacro

%macro SHOW_ALL 0
        SHOW 'STAR    ', MSR_STAR
        SHOW 'LSTAR   ', MSR_LSTAR
        SHOW 'FMASK   ', MSR_FMASK
        SHOW 'KGSBASE ', MSR_KGS_BASE
        SHOW 'TSC_AUX ', MSR_TSC_AUX
        SHOW 'FSBASE  ', MSR_FS_BASE
        SHOW 'GSBASE  ', MSR_GS_BASE
        SHOW 'SYSE.ESP', MSR_SYSE_ESP
        SHOW 'PAT     ', MSR_PAT
%endmacro

TD_GUEST_BEGIN
td_guest_main:
        test esi, esi                           ; RSI: the vCPU's index (VP.INIT)
        jz .idt
        lea rsp, [rel g_stack1_top]             ; vCPU 1 has a stack of its own
.idt:   lea rdi, [rel g_idt]
        lea rax, [rel g_gp]
        push rsi
        mov esi, 13
        call g_set_gate
        lea rax, [rel g_ve]
        mov esi, 20
        call g_set_gate
        pop rsi
        mov [rel g_idtr + 2], rdi
        lidt [rel g_idtr]
        test esi, esi
        jnz g_vcpu1

        ; vCPU 0: its values, natively.
        WRMSR_Q MSR_STAR, 0x0010000800000000    ; SYSCALL CS 08h, SS 10h
        lea rax, [rel g_syscall]
        WRMSR_Q MSR_LSTAR, rax
        WRMSR_Q MSR_FMASK, 0x4700               ; NT, DF, IF, TF
        WRMSR_Q MSR_KGS_BASE, 0x0000123400005678
        WRMSR_Q MSR_TSC_AUX, 0xabcd
        WRMSR_Q MSR_FS_BASE, 0x00007f0000001000
        WRMSR_Q MSR_GS_BASE, 0x00007f0000002000
        WRMSR_Q MSR_SYSE_ESP, 0xffff800000003000
        WRMSR_Q MSR_PAT, 0x0007040600070106     ; PA1 write-combining
        call g_yield
        SHOW_ALL                                ; after vCPU 1 ran

        push 0x402                              ; DF set: FMASK clears it
        popfq
        syscall                                 ; to g_syscall, back to here
        cld
        REPORT 'SYS.FLAG', [rel g_sys_flags]
        rdtscp
        REPORT 'RDTSCP.C', rcx
        swapgs
        mov ecx, MSR_GS_BASE
        rdmsr
        shl rdx, 32
        or rax, rdx
        swapgs
        REPORT 'SWAPGS  ', rax

        WRMSR_Q MSR_X2APIC_RSV, 0               ; #GP
        mov ecx, MSR_CSTAR                      ; #VE (reason 31)
        rdmsr
        WRMSR_Q MSR_TSC, 0                      ; #VE (reason 32)
        SHOW 'EFER    ', MSR_EFER
        WRMSR_Q MSR_EFER, 0xd00                 ; SCE off: emulated
        SHOW 'EFER.SCE', MSR_EFER
        WRMSR_Q MSR_EFER, 0x500                 ; NXE off: #VE
        SHOW 'EFER.NXE', MSR_EFER
        mov eax, 8                              ; TDG.VM.WR of TD_CTLS: REDUCE_VE
        mov rdx, 0x1110000300000017
        mov r8d, 8
        mov r9d, 8
        TDCALL
        REPORT 'VM.WR   ', rax
        mov ecx, 0x6e0                          ; IA32_TSC_DEADLINE: #GP now
        rdmsr
        mov ecx, MSR_CSTAR                      ; in no row: #GP now
        rdmsr
        call g_yield
.halt:  hlt
        jmp .halt

        ; vCPU 1: what a new vCPU has, then values of its own.
g_vcpu1:
        SHOW_ALL
        WRMSR_Q MSR_STAR, 0x0023001000000000
        WRMSR_Q MSR_LSTAR, 0xffffffff81000000
        WRMSR_Q MSR_FMASK, 0x200
        WRMSR_Q MSR_KGS_BASE, 0x1111
        WRMSR_Q MSR_TSC_AUX, 1
        WRMSR_Q MSR_FS_BASE, 0x2222
        WRMSR_Q MSR_GS_BASE, 0x3333
        WRMSR_Q MSR_SYSE_ESP, 0x4444
        WRMSR_Q MSR_PAT, 0x0606060606060606
        call g_yield
.halt:  hlt
        jmp .halt

; SYSCALL's target: the RIP it came to (LSTAR) and RFLAGS after FMASK reported.
g_syscall:
        pushfq
        pop qword [rel g_sys_flags]
        lea rax, [rel g_syscall]
        push rcx
        REPORT 'SYSCALL ', rax
        pop rcx
        jmp rcx

TD_GUEST_HELPERS

g_yield:
        push rax
        push rcx
        push r10
        xor eax, eax
        mov ecx, 0x1c00
        mov r10d, 2                             ; vendor-specific: back to the VMM's script
        TDCALL
        pop r10
        pop rcx
        pop rax
        ret

; #VE: TDG.VP.VEINFO.GET, the exit reason reported, the instruction skipped.
g_ve:   push rax
        push rcx
        push rdx
        push r8
        push r9
        push r10
        push r11
        push r12
        mov eax, 3
        TDCALL
        mov eax, r10d                           ; the instruction's length
        add [rsp + 64], rax
        REPORT 'VE.REASN', rcx
        pop r12
        pop r11
        pop r10
        pop r9
        pop r8
        pop rdx
        pop rcx
        pop rax
        iretq

        align 8, db 0
g_sys_flags: dq 0
g_idtr: dw 21 * 16 - 1
        dq 0
        align 16, db 0
g_idt:  times 21 * 16 db 0
g_stack1: times 256 db 0
g_stack1_top:
TD_GUEST_END

ELF64_BSS
VMX_BSS
ELF64_END
