; VMCS shadowing (secondary control 14; SDM Vol. 3, "VMCS Shadowing"): a guest's
; VMREAD and VMWRITE whose bit in the VMREAD or VMWRITE bitmap is 0 do not exit but
; read and write the shadow VMCS the VMCS link pointer names (a region whose
; revision dword has bit 31 set), with VMsucceed; a set bit makes the instruction
; exit (VMREAD 23, VMWRITE 25) as without shadowing. The VMCS controlling the guest
; is left alone; the VMM reads the guest's write back from the shadow VMCS.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok vmwrite-bitmap-exit-reason
;! stdout: ok shadow-vmread-value
;! stdout: ok shadow-vmread-succeeded
;! stdout: ok shadow-vmwrite-succeeded
;! stdout: ok vmcs-not-written
;! stdout: ok shadow-holds-write
;! stdout: ok vmread-bitmap-exit-reason
;! not-stdout: BAD
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define PROC2          0x401e
%define VMREAD_BITMAP  0x2026
%define VMWRITE_BITMAP 0x2028
%define F_GUEST_RIP    0x681e
%define F_GUEST_RFLAGS 0x6820
%define F_EXC_BITMAP   0x4004

start:
        call idt_setup
        VMM_SETUP 0, (1 << 31), 0, 0
        ; The shadow VMCS (vmcs_b with bit 31 of its revision set): GUEST_RIP 1234h.
        mov eax, [rel vmx_rev]
        bts eax, 31
        mov [rel vmcs_b], eax
        vmclear [rel p_vmcs_b]
        vmptrld [rel p_vmcs_b]
        mov ebx, F_GUEST_RIP
        mov ecx, 0x1234
        vmwrite rbx, rcx
        vmptrld [rel p_vmcs_a]
        VMM_WRITE VMCS_LINK_PTR, [rel p_vmcs_b]
        VMM_WRITE PROC2, (1 << 14)
        lea rax, [rel rd_bitmap]
        VMM_WRITE VMREAD_BITMAP, rax
        lea rax, [rel wr_bitmap]
        VMM_WRITE VMWRITE_BITMAP, rax
        bts dword [rel wr_bitmap + F_EXC_BITMAP / 8], F_EXC_BITMAP % 8
        VMM_WRITE VMCS_GUEST_RFLAGS, 2

        VMM_GUEST guest
        call vmm_run
        CHECK "vmwrite-bitmap-exit-reason", rax, 25
        CHECK "shadow-vmread-value", r12, 0x1234
        CHECK_MASK "shadow-vmread-succeeded", r13, 0x8d5, 0     ; CF, PF, AF, ZF, SF, OF
        CHECK_MASK "shadow-vmwrite-succeeded", r14, 0x8d5, 0
        VMM_CHECK "vmcs-not-written", VMCS_GUEST_RFLAGS, 2
        vmptrld [rel p_vmcs_b]
        mov ebx, F_GUEST_RFLAGS
        vmread rax, rbx
        CHECK "shadow-holds-write", rax, 0x5678
        vmptrld [rel p_vmcs_a]

        ; A set VMREAD-bitmap bit: GUEST_RIP's read exits.
        bts dword [rel rd_bitmap + F_GUEST_RIP / 8], F_GUEST_RIP % 8
        VMM_GUEST guest
        call vmm_run
        CHECK "vmread-bitmap-exit-reason", rax, 23
        call checks_done

guest:
        mov ebx, F_GUEST_RIP
        vmread rax, rbx
        pushfq
        pop r13
        mov r12, rax
        mov ebx, F_GUEST_RFLAGS
        mov ecx, 0x5678
        vmwrite rbx, rcx
        pushfq
        pop r14
        mov ebx, F_EXC_BITMAP
        vmwrite rbx, rcx                       ; its bitmap bit is set: exits
        ud2

ELF64_BSS
        alignb 4096
rd_bitmap: resb 4096
wr_bitmap: resb 4096
VMX_BSS
VMM64_BSS
ELF64_END
