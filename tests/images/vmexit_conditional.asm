; Exits decided by one VM-execution control: RDTSC exiting (16), RDTSCP with "enable
; RDTSCP" and RDTSC exiting (51), INVLPG exiting (14, qualification = the linear
; address), RDPMC exiting (15), PAUSE (40); with the control clear the instruction
; runs in the guest (RDTSC, RDTSCP, INVLPG, PAUSE), and "use TSC offsetting" adds
; TSC_OFFSET to what RDTSC and RDTSCP return there. MONITOR and MWAIT are #UD (the
; CPUID model lacks CPUID.01H:ECX.MONITOR[3]) even with MONITOR exiting (29) and
; MWAIT exiting (10) set: an invalid-opcode exception has priority over a VM exit
; (SDM Vol. 3C "Relative Priority of Faults and VM Exits"), so the #UD exits through
; the exception bitmap (reason 0) at the instruction, once with the controls set and
; once with them clear. RDPMC with RDPMC exiting clear is #GP(0): the model has no
; architectural PMU (CPUID.0AH), so ECX names no counter.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok rdtsc-reason
;! stdout: ok rdtsc-len
;! stdout: ok rdtscp-reason
;! stdout: ok rdtscp-len
;! stdout: ok rdtscp-qual
;! stdout: ok rdtscp-guest-rip
;! stdout: ok invlpg-reason
;! stdout: ok invlpg-qual
;! stdout: ok invlpg-len
;! stdout: ok rdpmc-reason
;! stdout: ok monitor-ud-reason
;! stdout: ok monitor-ud-intr
;! stdout: ok monitor-ud-rip
;! stdout: ok mwait-ud-reason
;! stdout: ok mwait-ud-intr
;! stdout: ok mwait-ud-rip
;! stdout: ok pause-reason
;! stdout: ok pause-len
;! stdout: ok monitor-off-ud-reason
;! stdout: ok monitor-off-ud-rip
;! stdout: ok mwait-off-ud-reason
;! stdout: ok mwait-off-ud-rip
;! stdout: ok rdpmc-off-gp-reason
;! stdout: ok rdpmc-off-gp-intr
;! stdout: ok rdpmc-off-gp-rip
;! stdout: ok offset-phase
;! stdout: ok tsc-offset-added
;! stdout: ok rdtscp-offset-added
;! stdout: ok rdtscp-aux
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

; primary controls: INVLPG 9, MWAIT 10, RDPMC 11, RDTSC 12, MONITOR 29, PAUSE 30
%define WANT_PROC ((1 << 9) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 29) | (1 << 30))

start:
        call idt_setup
        VMM_SETUP 0, WANT_PROC | (1 << 31), 0, 0
        VMM_WRITE 0x401e, (1 << 3)             ; secondary: enable RDTSCP
        VMM_WRITE VMCS_EXC_BITMAP, (1 << 6) | (1 << 13) ; #UD and #GP exit
        VMM_GUEST guest
        call vmm_run
        CHECK "rdtsc-reason", rax, 16
        VMM_CHECK "rdtsc-len", VMCS_EXIT_INSLEN, 2
        call vmm_skip
        call vmm_run
        CHECK "rdtscp-reason", rax, 51
        VMM_CHECK "rdtscp-len", VMCS_EXIT_INSLEN, 3
        VMM_CHECK "rdtscp-qual", VMCS_EXIT_QUAL, 0
        VMM_CHECK "rdtscp-guest-rip", VMCS_GUEST_RIP, g_rdtscp
        call vmm_skip
        call vmm_run
        CHECK "invlpg-reason", rax, 14
        VMM_CHECK "invlpg-qual", VMCS_EXIT_QUAL, 0x123456789000 + 0x40
        VMM_CHECK "invlpg-len", VMCS_EXIT_INSLEN, 4
        call vmm_skip
        call vmm_run
        CHECK "rdpmc-reason", rax, 15
        call vmm_skip
        call vmm_run
        CHECK "monitor-ud-reason", rax, 0
        VMM_CHECK "monitor-ud-intr", VMCS_EXIT_INTR, 0x80000306
        VMM_CHECK "monitor-ud-rip", VMCS_GUEST_RIP, g_monitor
        VMM_WRITE VMCS_GUEST_RIP, g_monitor + 3
        call vmm_run
        CHECK "mwait-ud-reason", rax, 0
        VMM_CHECK "mwait-ud-intr", VMCS_EXIT_INTR, 0x80000306
        VMM_CHECK "mwait-ud-rip", VMCS_GUEST_RIP, g_mwait
        VMM_WRITE VMCS_GUEST_RIP, g_mwait + 3
        call vmm_run
        CHECK "pause-reason", rax, 40
        VMM_CHECK "pause-len", VMCS_EXIT_INSLEN, 2
        call vmm_skip
        ; Now without RDTSC, INVLPG and PAUSE exiting (the guest runs each once
        ; more: the next exit is its VMCALL), with TSC offsetting (bit 3) and a large
        ; offset; MONITOR and MWAIT exiting clear too (still #UD), and RDPMC exiting.
        VMM_CLRBITS VMCS_PROC_CTLS, (1 << 12) | (1 << 9) | (1 << 30) | (1 << 10) | (1 << 29) | (1 << 11)
        VMM_SETBITS VMCS_PROC_CTLS, (1 << 3)
        VMM_WRITE 0x2010, 0x100000000000       ; TSC_OFFSET
        rdtsc
        shl rdx, 32
        or rax, rdx
        mov [rel host_tsc], rax
        call vmm_run
        CHECK "monitor-off-ud-reason", rax, 0
        VMM_CHECK "monitor-off-ud-rip", VMCS_GUEST_RIP, g_monitor2
        VMM_WRITE VMCS_GUEST_RIP, g_monitor2 + 3
        call vmm_run
        CHECK "mwait-off-ud-reason", rax, 0
        VMM_CHECK "mwait-off-ud-rip", VMCS_GUEST_RIP, g_mwait2
        VMM_WRITE VMCS_GUEST_RIP, g_mwait2 + 3
        call vmm_run
        CHECK "rdpmc-off-gp-reason", rax, 0
        VMM_CHECK "rdpmc-off-gp-intr", VMCS_EXIT_INTR, 0x80000b0d
        VMM_CHECK "rdpmc-off-gp-rip", VMCS_GUEST_RIP, g_rdpmc2
        VMM_WRITE VMCS_GUEST_RIP, g_rdpmc2 + 2
        call vmm_run
        CHECK "offset-phase", rax, 18          ; the guest's VMCALL
        mov rax, [rel guest_tsc]
        lea rsi, [rel n_tsc]
        call offset_check
        mov rax, [rel guest_tscp]
        lea rsi, [rel n_tscp]
        call offset_check
        CHECK "rdtscp-aux", [rel guest_aux], 0
        call checks_done

; rax = a TSC the guest read after host_tsc: "ok NAME" if it is host_tsc plus the
; offset plus less than 2^20 ticks (rsi = NAME).
offset_check:
        sub rax, [rel host_tsc]
        mov rbx, 0x100000000000
        cmp rax, rbx
        jb .bad
        mov rbx, 0x100000100000
        cmp rax, rbx
        jae .bad
        PUTS "ok "
        jmp .name
.bad:   PUTS "BAD "
.name:  call puts
        jmp newline

n_tsc:  db "tsc-offset-added", 0
n_tscp: db "rdtscp-offset-added", 0

guest:
        rdtsc
g_rdtscp:
        rdtscp
        mov rbx, 0x123456789000
        invlpg [rbx + 0x40]
        xor ecx, ecx
        rdpmc
        lea rax, [rel guest]
        xor ecx, ecx
        xor edx, edx
g_monitor:
        monitor
        xor eax, eax
g_mwait:
        mwait
        pause
        mov rbx, 0x123456789000         ; the same, their controls now clear
        invlpg [rbx + 0x40]
        pause
g_monitor2:
        monitor
g_mwait2:
        mwait
        xor ecx, ecx
g_rdpmc2:
        rdpmc
        rdtsc
        shl rdx, 32
        or rax, rdx
        mov [rel guest_tsc], rax
        mov ecx, 0x5a5a
        rdtscp
        shl rdx, 32
        or rax, rdx
        mov [rel guest_tscp], rax
        mov [rel guest_aux], rcx
        vmcall
        ud2

host_tsc:  dq 0
guest_tsc: dq 0
guest_tscp: dq 0
guest_aux: dq -1

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
