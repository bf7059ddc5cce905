; APIC-access VM exits (reason 44) and the TPR shadow (reason 43), no EPT. The
; APIC-access page is an ordinary RAM page of the image; the guest shares the VMM's
; identity map, so its linear addresses are the physical ones.
; - "virtualize APIC accesses" alone: a read, a write and an instruction fetch in
;   the page exit before they take effect (fault-like: GUEST_RIP is the access's),
;   qualification = page offset | access type << 12 (0 read, 1 write, 2 fetch),
;   and for a data access the instruction's length.
; - with "use TPR shadow": a 32-bit read or write of VTPR (offset 80H) goes to the
;   virtual-APIC page (a write clears VTPR bytes 3:1); any other offset still
;   exits; a VTPR write that leaves VTPR[7:4] below TPR threshold[3:0] is followed
;   by a TPR-below-threshold exit (trap-like: GUEST_RIP is the next instruction's,
;   qualification 0), one that does not is not; VM entry with VTPR[7:4] below the
;   threshold exits (43) before the guest's first instruction.
; - MOV from/to CR8 with "use TPR shadow" read and write VTPR[7:4]; a MOV to CR8
;   below the threshold exits (43) after it, one at or above it does not.
; - with "virtualize APIC accesses" clear the page is ordinary memory.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok read-reason
;! stdout: ok read-qual
;! stdout: ok read-rip
;! stdout: ok read-len
;! stdout: ok read-rax-kept
;! stdout: ok write-reason
;! stdout: ok write-qual
;! stdout: ok write-rip
;! stdout: ok write-len
;! stdout: ok write-not-done
;! stdout: ok fetch-reason
;! stdout: ok fetch-qual
;! stdout: ok fetch-rip
;! stdout: ok vtpr-read-reason
;! stdout: ok vtpr-read-qual
;! stdout: ok vtpr-read-rip
;! stdout: ok vtpr-read-value
;! stdout: ok vtpr-write-reason
;! stdout: ok vtpr-write-value
;! stdout: ok vtpr-write-not-in-page
;! stdout: ok tpr-low-reason
;! stdout: ok tpr-low-qual
;! stdout: ok tpr-low-rip
;! stdout: ok tpr-low-vtpr
;! stdout: ok entry-tpr-reason
;! stdout: ok entry-tpr-rip
;! stdout: ok entry-tpr-none
;! stdout: ok cr8-reason
;! stdout: ok cr8-rip
;! stdout: ok cr8-read
;! stdout: ok cr8-vtpr
;! stdout: ok plain-reason
;! stdout: ok plain-read
;! stdout: ok plain-write
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define PROC_TPR_SHADOW  (1 << 21)

; run the guest from label %1 (rbx = the APIC-access page)
%macro RUN_AT 1
        push rax
        lea rax, [rel %1]
        VMM_WRITE VMCS_GUEST_RIP, rax
        pop rax
        lea rbx, [rel apic_page]
        call vmm_run
%endmacro

start:
        call idt_setup
        call vmx_paging_setup
        mov dword [rel apic_page + 0x20], 0x11111111
        mov dword [rel apic_page + 0x80], 0x22222222
        mov dword [rel apic_page + 0x310], 0x33333333
        VMM_SETUP 0, 1 << 31, 0, 0             ; activate secondary controls
        VMM_WRITE VMCS_PROC2_CTLS, 1            ; virtualize APIC accesses
        lea rax, [rel apic_page]
        VMM_WRITE VMCS_APIC_ACCESS_ADDR, rax
        VMM_GUEST g_read

        mov eax, 0x5a5a
        RUN_AT g_read
        CHECK "read-reason", rax, 44
        VMM_CHECK "read-qual", VMCS_EXIT_QUAL, 0x020
        lea rbx, [rel g_read]
        VMM_CHECK "read-rip", VMCS_GUEST_RIP, rbx
        VMM_CHECK "read-len", VMCS_EXIT_INSLEN, 3       ; 8B 43 20
        CHECK "read-rax-kept", VMM_GREG(0), 0x5a5a

        RUN_AT g_write
        CHECK "write-reason", rax, 44
        VMM_CHECK "write-qual", VMCS_EXIT_QUAL, 0x1310
        lea rbx, [rel g_write]
        VMM_CHECK "write-rip", VMCS_GUEST_RIP, rbx
        VMM_CHECK "write-len", VMCS_EXIT_INSLEN, 10     ; C7 83 disp32 imm32
        mov eax, [rel apic_page + 0x310]
        CHECK "write-not-done", rax, 0x33333333

        RUN_AT g_fetch
        CHECK "fetch-reason", rax, 44
        VMM_CHECK "fetch-qual", VMCS_EXIT_QUAL, 0x2040
        lea rbx, [rel apic_page + 0x40]
        VMM_CHECK "fetch-rip", VMCS_GUEST_RIP, rbx

        ; "use TPR shadow": VTPR 50H, threshold 0
        VMM_SETBITS VMCS_PROC_CTLS, PROC_TPR_SHADOW
        lea rax, [rel vapic_page]
        VMM_WRITE VMCS_VAPIC_ADDR, rax
        VMM_WRITE VMCS_TPR_THRESHOLD, 0
        mov dword [rel vapic_page + 0x80], 0x50
        RUN_AT g_vtpr_read
        CHECK "vtpr-read-reason", rax, 44      ; the second read (offset 90H) exits
        VMM_CHECK "vtpr-read-qual", VMCS_EXIT_QUAL, 0x090
        lea rbx, [rel g_vtpr_read.apr]
        VMM_CHECK "vtpr-read-rip", VMCS_GUEST_RIP, rbx
        CHECK "vtpr-read-value", VMM_GREG(0), 0x50

        RUN_AT g_vtpr_write
        CHECK "vtpr-write-reason", rax, 18     ; VTPR 70H >= threshold 0: no exit
        mov eax, [rel vapic_page + 0x80]
        CHECK "vtpr-write-value", rax, 0x70
        mov eax, [rel apic_page + 0x80]
        CHECK "vtpr-write-not-in-page", rax, 0x22222222

        VMM_WRITE VMCS_TPR_THRESHOLD, 5
        RUN_AT g_tpr_low
        CHECK "tpr-low-reason", rax, 43
        VMM_CHECK "tpr-low-qual", VMCS_EXIT_QUAL, 0
        lea rbx, [rel g_tpr_low.after]
        VMM_CHECK "tpr-low-rip", VMCS_GUEST_RIP, rbx
        mov eax, [rel vapic_page + 0x80]
        CHECK "tpr-low-vtpr", rax, 0x40
        call vmm_run                           ; VTPR 40H < threshold 5 at entry
        CHECK "entry-tpr-reason", rax, 43
        lea rbx, [rel g_tpr_low.after]
        VMM_CHECK "entry-tpr-rip", VMCS_GUEST_RIP, rbx
        VMM_WRITE VMCS_TPR_THRESHOLD, 4
        call vmm_run
        CHECK "entry-tpr-none", rax, 18

        VMM_WRITE VMCS_TPR_THRESHOLD, 3
        mov dword [rel vapic_page + 0x80], 0x5f
        RUN_AT g_cr8
        CHECK "cr8-reason", rax, 43            ; CR8 := 4 passes, CR8 := 2 exits
        lea rbx, [rel g_cr8.after]
        VMM_CHECK "cr8-rip", VMCS_GUEST_RIP, rbx
        CHECK "cr8-read", VMM_GREG(0), 5
        mov eax, [rel vapic_page + 0x80]
        CHECK "cr8-vtpr", rax, 0x20

        ; "virtualize APIC accesses" clear: the page is memory
        VMM_CLRBITS VMCS_PROC_CTLS, PROC_TPR_SHADOW
        VMM_WRITE VMCS_PROC2_CTLS, 0
        RUN_AT g_plain
        CHECK "plain-reason", rax, 18
        CHECK "plain-read", VMM_GREG(0), 0x11111111
        mov eax, [rel apic_page + 0x310]
        CHECK "plain-write", rax, 0x44
        call checks_done

g_read:
        mov eax, [rbx + 0x20]
        vmcall
g_write:
        mov dword [rbx + 0x310], 0x44
        vmcall
g_fetch:
        lea rax, [rbx + 0x40]
        jmp rax
g_vtpr_read:
        mov eax, [rbx + 0x80]
.apr:   mov ecx, [rbx + 0x90]
        vmcall
g_vtpr_write:
        mov dword [rbx + 0x80], 0xFFFFFF70
        vmcall
g_tpr_low:
        mov ecx, 0x40
        mov [rbx + 0x80], ecx
.after: vmcall
g_cr8:
        mov rax, cr8
        mov ecx, 4
        mov cr8, rcx
        mov ecx, 2
        mov cr8, rcx
.after: vmcall
g_plain:
        mov eax, [rbx + 0x20]
        mov dword [rbx + 0x310], 0x44
        vmcall

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
apic_page:  resb 4096
vapic_page: resb 4096
ELF64_END
