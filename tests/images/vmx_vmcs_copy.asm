; The VMCS as memory (SDM Vol. 3C "Software Use of the VMCS and Related Structures",
; "VMCLEAR"): after VMCLEAR the region holds the VMCS's data, so a byte copy of it to
; another 4 KiB page is a VMCS with the same field values (kvm-unit-tests relies on
; this): VMPTRLD of the copy reads them back, its launch state is clear (VMRESUME:
; VMfailValid(5)), and the original and the copy are independent afterwards. Two
; VMCSes made current in turn without VMCLEAR each keep their own fields. The
; revision id (dword 0) and the VMX-abort indicator (dword 1) are what software sees.
;! args: --max-insns 10000000
;! status: 1
;! stdout: ok vmxon
;! stdout: ok vmclear-a
;! stdout: ok vmptrld-a
;! stdout: ok vmwrite-16
;! stdout: ok vmwrite-32
;! stdout: ok vmwrite-64
;! stdout: ok vmwrite-natural
;! stdout: ok vmwrite-exit-info
;! stdout: ok vmclear-a-flush
;! stdout: ok region-revision
;! stdout: ok region-abort-indicator
;! stdout: ok vmptrld-copy
;! stdout: ok copy-16
;! stdout: ok copy-32
;! stdout: ok copy-64
;! stdout: ok copy-natural
;! stdout: ok copy-exit-info
;! stdout: ok copy-vmresume-clear
;! stdout: ok copy-vmwrite
;! stdout: ok copy-vmclear
;! stdout: ok vmptrld-a-again
;! stdout: ok original-16
;! stdout: ok original-natural
;! stdout: ok interleave-vmclear-c
;! stdout: ok interleave-vmptrld-c
;! stdout: ok interleave-write-c
;! stdout: ok interleave-vmptrld-a
;! stdout: ok interleave-write-a
;! stdout: ok interleave-vmptrld-c-again
;! stdout: ok interleave-read-c
;! stdout: ok interleave-vmptrld-a-again
;! stdout: ok interleave-read-a
;! stdout: ok vmxoff
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"

%macro WRITE 3                          ; name, encoding, value
        mov rbx, %2
        mov rax, %3
        VMX_EXPECT_OK %1, vmwrite rbx, rax
%endmacro

start:
        call idt_setup
        call vmx_setup
        VMX_ON
        VMX_EXPECT_OK "vmclear-a", vmclear [rel p_vmcs_a]
        VMX_EXPECT_OK "vmptrld-a", vmptrld [rel p_vmcs_a]
        WRITE "vmwrite-16", 0x0802, 0x1234                      ; guest CS selector
        WRITE "vmwrite-32", 0x4002, 0x8401E172                  ; primary controls
        WRITE "vmwrite-64", 0x2802, 0x0123456789ABCDEF          ; guest IA32_DEBUGCTL
        WRITE "vmwrite-natural", 0x6C16, 0xFFFFFFFF81234567     ; host RIP
        WRITE "vmwrite-exit-info", 0x4402, 0x30                 ; exit reason
        VMX_EXPECT_OK "vmclear-a-flush", vmclear [rel p_vmcs_a]
        mov eax, [rel vmcs_a]
        CHECK "region-revision", rax, [rel vmx_rev]
        mov eax, [rel vmcs_a + 4]
        CHECK "region-abort-indicator", rax, 0

        lea rsi, [rel vmcs_a]
        lea rdi, [rel vmcs_b]
        mov ecx, 4096 / 8
        cld
        rep movsq
        VMX_EXPECT_OK "vmptrld-copy", vmptrld [rel p_vmcs_b]
        VMX_READ_CHECK "copy-16", 0x0802, 0x1234
        VMX_READ_CHECK "copy-32", 0x4002, 0x8401E172
        VMX_READ_CHECK "copy-64", 0x2802, 0x0123456789ABCDEF
        VMX_READ_CHECK "copy-natural", 0x6C16, 0xFFFFFFFF81234567
        VMX_READ_CHECK "copy-exit-info", 0x4402, 0x30
        VMX_EXPECT_FAIL_VALID "copy-vmresume-clear", 5, vmresume
        WRITE "copy-vmwrite", 0x0802, 0x5678
        VMX_EXPECT_OK "copy-vmclear", vmclear [rel p_vmcs_b]
        VMX_EXPECT_OK "vmptrld-a-again", vmptrld [rel p_vmcs_a]
        VMX_READ_CHECK "original-16", 0x0802, 0x1234
        VMX_READ_CHECK "original-natural", 0x6C16, 0xFFFFFFFF81234567

        VMX_EXPECT_OK "interleave-vmclear-c", vmclear [rel p_vmcs_c]
        VMX_EXPECT_OK "interleave-vmptrld-c", vmptrld [rel p_vmcs_c]
        WRITE "interleave-write-c", 0x681E, 0xCCCC
        VMX_EXPECT_OK "interleave-vmptrld-a", vmptrld [rel p_vmcs_a]
        WRITE "interleave-write-a", 0x681E, 0xAAAA
        VMX_EXPECT_OK "interleave-vmptrld-c-again", vmptrld [rel p_vmcs_c]
        VMX_READ_CHECK "interleave-read-c", 0x681E, 0xCCCC
        VMX_EXPECT_OK "interleave-vmptrld-a-again", vmptrld [rel p_vmcs_a]
        VMX_READ_CHECK "interleave-read-a", 0x681E, 0xAAAA
        VMX_EXPECT_OK "vmxoff", vmxoff
        call checks_done

ELF64_BSS
VMX_BSS
ELF64_END
