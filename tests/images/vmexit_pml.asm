; Page-modification logging (SDM Vol. 3C "Page-Modification Logging"): with "enable
; PML" (secondary control 17) and EPT accessed/dirty flags (EPTP bit 6), each write
; that sets an EPT dirty flag logs its 4 KiB-aligned guest-physical address at PML
; address + 8 * PML index (field 0812H) and counts the index down; a write to a page
; already dirty and a read log nothing. With the index outside 0-511, a walk that must
; set an accessed or dirty flag sets none and the access does not happen: a PML-full
; VM exit (62, qualification 0, RIP of the access) comes instead, for a read needing
; an accessed flag too. With PML off the dirty flag is still set but nothing is logged.
; Every EPT entry starts accessed (and leaves dirty) except the test pages', so the
; guest's own page walks log nothing.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok log-vmcall
;! stdout: ok log-index
;! stdout: ok log-511
;! stdout: ok log-510
;! stdout: ok log-509-untouched
;! stdout: ok log-dirty
;! stdout: ok log-read-accessed
;! stdout: ok log-read-not-dirty
;! stdout: ok full-reason
;! stdout: ok full-qual
;! stdout: ok full-rip
;! stdout: ok full-index
;! stdout: ok full-entry-0
;! stdout: ok full-not-dirty
;! stdout: ok full-not-written
;! stdout: ok refill-vmcall
;! stdout: ok refill-511
;! stdout: ok refill-index
;! stdout: ok refill-written
;! stdout: ok read-full-reason
;! stdout: ok read-full-rip
;! stdout: ok read-full-not-accessed
;! stdout: ok off-vmcall
;! stdout: ok off-log-untouched
;! stdout: ok off-index-kept
;! stdout: ok off-dirty
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define VPID_FIELD     0x0000
%define EPTP_FIELD     0x201a
%define PML_ADDRESS    0x200e
%define PML_INDEX      0x0812
%define EPT_WB         0x30                    ; memory type 6 in bits 5:3
%define EPT_A          0x100
%define EPT_D          0x200
%define PROC2_EPT_VPID_PML ((1 << 1) | (1 << 5) | (1 << 17))

; EPT_CLR label, bits: clear bits of the 4 KiB EPT entry of the page at label; INVEPT.
%macro EPT_CLR 2
        push rax
        lea rax, [rel %1]
        call ept_entry_of
        and qword [rbx], ~(%2)
        call ept_flush
        pop rax
%endmacro

; EPT_BITS label, mask -> rax = the EPT entry of the page at label, AND mask.
%macro EPT_BITS 2
        lea rax, [rel %1]
        call ept_entry_of
        mov rax, [rbx]
        and eax, %2
%endmacro

start:
        call idt_setup
        call ept_setup
        call log_fill
        VMM_SETUP 0, 1 << 31, 0, 0             ; activate secondary controls
        VMM_WRITE VMCS_PROC2_CTLS, PROC2_EPT_VPID_PML
        VMM_WRITE VPID_FIELD, 1
        VMM_WRITE EPTP_FIELD, [rel ept_desc]
        lea rax, [rel pml_log]
        VMM_WRITE PML_ADDRESS, rax
        VMM_WRITE PML_INDEX, 511
        VMM_GUEST guest

        ; Two pages written (one twice), one read: two entries, from 511 down.
        EPT_CLR dpage0, EPT_D
        EPT_CLR dpage1, EPT_D
        EPT_CLR dpage2, EPT_A | EPT_D
        call vmm_run
        CHECK "log-vmcall", rax, 18
        VMM_CHECK "log-index", PML_INDEX, 509
        lea rbx, [rel dpage0]
        CHECK "log-511", [rel pml_log + 511 * 8], rbx
        lea rbx, [rel dpage1]
        CHECK "log-510", [rel pml_log + 510 * 8], rbx
        CHECK "log-509-untouched", [rel pml_log + 509 * 8], -1
        EPT_BITS dpage1, EPT_D
        CHECK "log-dirty", rax, EPT_D
        EPT_BITS dpage2, EPT_A | EPT_D
        CHECK "log-read-accessed", rax, EPT_A
        EPT_BITS dpage2, EPT_D
        CHECK "log-read-not-dirty", rax, 0

        ; One entry left (index 0): the first write takes it, the second exits.
        call vmm_skip
        call log_fill
        VMM_WRITE PML_INDEX, 0
        EPT_CLR dpage0, EPT_D
        EPT_CLR dpage1, EPT_D
        call vmm_run
        CHECK "full-reason", rax, 62
        VMM_CHECK "full-qual", VMCS_EXIT_QUAL, 0
        lea rbx, [rel g_full]
        VMM_CHECK "full-rip", VMCS_GUEST_RIP, rbx
        VMM_CHECK "full-index", PML_INDEX, 0xffff
        lea rbx, [rel dpage0]
        CHECK "full-entry-0", [rel pml_log], rbx
        EPT_BITS dpage1, EPT_D
        CHECK "full-not-dirty", rax, 0
        CHECK "full-not-written", [rel dpage1 + 0x18], 0

        ; The VMM empties the log: the write runs again and is logged.
        VMM_WRITE PML_INDEX, 511
        call vmm_run
        CHECK "refill-vmcall", rax, 18
        lea rbx, [rel dpage1]
        CHECK "refill-511", [rel pml_log + 511 * 8], rbx
        VMM_CHECK "refill-index", PML_INDEX, 510
        CHECK "refill-written", [rel dpage1 + 0x18], 0x77

        ; A read that must set an accessed flag meets a full log too.
        call vmm_skip
        VMM_WRITE PML_INDEX, 0xffff
        EPT_CLR dpage2, EPT_A | EPT_D
        call vmm_run
        CHECK "read-full-reason", rax, 62
        lea rbx, [rel g_read_full]
        VMM_CHECK "read-full-rip", VMCS_GUEST_RIP, rbx
        EPT_BITS dpage2, EPT_A
        CHECK "read-full-not-accessed", rax, 0

        ; PML off: the dirty flag is set, the log and the index stay as they are.
        call log_fill
        VMM_WRITE PML_INDEX, 511
        VMM_CLRBITS VMCS_PROC2_CTLS, 1 << 17
        EPT_CLR dpage0, EPT_D
        call vmm_run
        CHECK "off-vmcall", rax, 18
        CHECK "off-log-untouched", [rel pml_log + 511 * 8], -1
        VMM_CHECK "off-index-kept", PML_INDEX, 511
        EPT_BITS dpage0, EPT_D
        CHECK "off-dirty", rax, EPT_D
        call checks_done

guest:
        mov qword [rel dpage0 + 0x10], 0x11
        mov qword [rel dpage1 + 0x10], 0x22
        mov qword [rel dpage0 + 0x20], 0x33    ; dirty already: no entry
        mov rax, [rel dpage2 + 0x30]           ; a read: no entry
        vmcall
        mov qword [rel dpage0 + 0x18], 0x66
g_full: mov qword [rel dpage1 + 0x18], 0x77
        vmcall
g_read_full:
        mov rax, [rel dpage2 + 0x38]
        mov qword [rel dpage0 + 0x28], 0x88
        vmcall
        ud2

; Every log entry := -1 (so that untouched entries show).
log_fill:
        push rax
        push rcx
        push rdi
        lea rdi, [rel pml_log]
        mov rax, -1
        mov ecx, 512
        rep stosq
        pop rdi
        pop rcx
        pop rax
        ret

%include "ept64.inc"

; Identity EPT for 0-128 MiB: 4 KiB pages below 4 MiB, 2 MiB pages above; every
; entry accessed, every page dirty; A/D flags on in the EPTP.
ept_setup:
        EPT_LINK_FIRST_GIB EPT_A | 7
        lea rbx, [rel ept_pd]
        lea rax, [rel ept_pt]
        or rax, EPT_A | 7
        mov [rbx], rax
        add rax, 0x1000
        mov [rbx + 8], rax
        mov ecx, 2
.pd:    mov rax, rcx
        shl rax, 21
        or rax, EPT_A | EPT_D | 0x80 | EPT_WB | 7
        mov [rbx + rcx * 8], rax
        inc ecx
        cmp ecx, 64
        jne .pd
        lea rbx, [rel ept_pt]
        xor ecx, ecx
.pt:    mov rax, rcx
        shl rax, 12
        or rax, EPT_A | EPT_D | EPT_WB | 7
        mov [rbx + rcx * 8], rax
        inc ecx
        cmp ecx, 1024
        jne .pt
        lea rax, [rel ept_pml4]
        or rax, 0x5e                           ; WB, 4-level walk, A/D flags
        mov [rel ept_desc], rax
        ret

ept_desc: dq 0, 0

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
ept_pml4: resb 4096
ept_pdpt: resb 4096
ept_pd:   resb 4096
ept_pt:   resb 8192
pml_log:  resb 4096
dpage0:   resb 4096
dpage1:   resb 4096
dpage2:   resb 4096
ELF64_END
