; VMREAD and VMWRITE in 64-bit mode (SDM Vol. 3C "VMREAD", "VMWRITE", Appendix B field
; encodings), CPU model xeon (IA32_VMX_MISC[29] = 1).
;   - no current VMCS: VMfailInvalid, checked before the encoding and before a memory
;     destination is written;
;   - widths: a 16/32-bit field reads zero-extended into the 64-bit register, a write
;     keeps only the field's bits; 64-bit fields have a HIGH access (E|1, bits 63:32,
;     read and write) that leaves the other half alone; natural-width is 64 bits;
;   - memory operands (8 bytes, unaligned fine), #PF on them (VMREAD: a write, error 2
;     not present / 3 read-only; VMWRITE: a read, error 0), #GP(0) non-canonical;
;   - VMfailValid(12) from both for: bits 63:32 of the encoding register, reserved bit 12,
;     reserved bits 31:15, HIGH access to a 16-bit, 32-bit and natural-width field, an
;     index no field has, fields of features the model lacks (FRED, HLAT); a failing
;     VMREAD leaves its destination (register or not-present memory) alone;
;   - VM-exit information fields are writable on xeon (no error 13); the
;     VM-instruction error field keeps its value across successful instructions.
;! args: --max-insns 10000000
;! status: 1
;! stderr: ^vtsim: VMREAD at RIP=0x100c3f on lp0: VMfailInvalid; field 0x681e \(GUEST_RIP\)\. The instruction needs a current VMCS, and there is none \(none was loaded since VMXON, or VMCLEAR of the current one made it invalid\): VMPTRLD a VMCS before it \(SDM Vol\. 3C, "VMX Instruction Reference", the instruction's operation\)$
;! stderr: ^vtsim: VMREAD at RIP=0x10179a on lp0: VMfailValid\(12\), VMREAD/VMWRITE from/to unsupported VMCS component; field 0x10000681e \(no field of this CPU model\)\. VMREAD and VMWRITE need the encoding of a field this processor supports \(bits 63:32 of the register operand clear too\): use an encoding the CPU model has \(`--vmcs-dump` lists them; IA32_VMX_VMCS_ENUM gives the highest index\), or read the capability MSR that says whether the field exists first \(SDM Vol\. 3C, "VMREAD-Read Field from Virtual-Machine Control Structure" and "VMWRITE"\)$
;! stderr: ^vtsim: VMWRITE at RIP=0x101bba on lp0: VMfailValid\(12\), VMREAD/VMWRITE from/to unsupported VMCS component; field 0x10000681e \(no field of this CPU model\), value 0x4242\. VMREAD and VMWRITE need the encoding of a field this processor supports \(bits 63:32 of the register operand clear too\): use an encoding the CPU model has \(`--vmcs-dump` lists them; IA32_VMX_VMCS_ENUM gives the highest index\), or read the capability MSR that says whether the field exists first \(SDM Vol\. 3C, "VMREAD-Read Field from Virtual-Machine Control Structure" and "VMWRITE"\)$
;! stdout: ok vmxon
;! stdout: ok novmcs-vmread
;! stdout: ok novmcs-vmwrite
;! stdout: ok novmcs-vmread-bad-encoding
;! stdout: ok novmcs-vmwrite-bad-encoding
;! stdout: ok novmcs-vmread-not-present-memory
;! stdout: ok novmcs-vmread-dest-unchanged
;! stdout: ok vmptrld
;! stdout: ok vmwrite-16
;! stdout: ok vmread-16-zero-extended
;! stdout: ok vmwrite-16-high-bits
;! stdout: ok vmread-16-truncated
;! stdout: ok vmwrite-32
;! stdout: ok vmread-32-zero-extended
;! stdout: ok vmwrite-64
;! stdout: ok vmread-64
;! stdout: ok vmread-64-high
;! stdout: ok vmwrite-64-high
;! stdout: ok vmread-64-after-high-write
;! stdout: ok vmread-64-high-after-high-write
;! stdout: ok vmwrite-natural
;! stdout: ok vmread-natural
;! stdout: ok vmwrite-ctl-64
;! stdout: ok vmread-ctl-64
;! stdout: ok vmread-same-register
;! stdout: ok vmread-same-register-value
;! stdout: ok vmread-to-memory
;! stdout: ok vmread-to-memory-value
;! stdout: ok vmwrite-from-memory
;! stdout: ok vmwrite-from-memory-value
;! stdout: ok vmread-to-unaligned-memory
;! stdout: ok vmread-to-unaligned-memory-value
;! stdout: ok vmwrite-from-unaligned-memory
;! stdout: ok vmwrite-from-unaligned-memory-value
;! stdout: vmread-not-present: EXC 0e ERR 00000002 RIP ok CR2 00000000003fe100
;! stdout: vmread-read-only: EXC 0e ERR 00000003 RIP ok CR2 00000000003fd008
;! stdout: vmwrite-not-present: EXC 0e ERR 00000000 RIP ok CR2 00000000003fe200
;! stdout: vmread-noncanonical: EXC 0d ERR 00000000 RIP ok
;! stdout: vmwrite-noncanonical: EXC 0d ERR 00000000 RIP ok
;! stdout: ok vmread-enc-bits-63-32
;! stdout: ok vmread-enc-bit12
;! stdout: ok vmread-enc-bit15
;! stdout: ok vmread-enc-bit31
;! stdout: ok vmread-high-natural
;! stdout: ok vmread-high-16
;! stdout: ok vmread-high-32
;! stdout: ok vmread-unknown-index-16
;! stdout: ok vmread-unknown-index-natural
;! stdout: ok vmread-fred-config
;! stdout: ok vmread-hlat-prefix-size
;! stdout: ok vmread-fail-dest-unchanged
;! stdout: ok vmread-bad-encoding-not-present-memory
;! stdout: ok vmwrite-enc-bits-63-32
;! stdout: ok vmwrite-enc-bit12
;! stdout: ok vmwrite-enc-bit15
;! stdout: ok vmwrite-enc-bit31
;! stdout: ok vmwrite-high-natural
;! stdout: ok vmwrite-high-16
;! stdout: ok vmwrite-high-32
;! stdout: ok vmwrite-unknown-index-16
;! stdout: ok vmwrite-unknown-index-natural
;! stdout: ok vmwrite-fred-config
;! stdout: ok vmwrite-hlat-prefix-size
;! stdout: ok guest-rip-unchanged-by-failures
;! stdout: ok error-field-sticky
;! stdout: ok vmwrite-exit-reason
;! stdout: ok vmread-exit-reason
;! stdout: ok vmwrite-exit-qualification
;! stdout: ok vmread-exit-qualification
;! stdout: ok vmwrite-guest-physical-address
;! stdout: ok vmread-guest-physical-address
;! stdout: ok vmwrite-instruction-error
;! stdout: ok vmread-instruction-error
;! stdout: ok vmxoff
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"

%define SENTINEL 0x5A5A5A5A5A5A5A5A

; VMREAD_12 / VMWRITE_12 name-suffix, encoding: the instruction fails with 12
%macro VMREAD_12 2
%strcat __case_name "vmread-", %1
        mov rbx, %2
        VMX_EXPECT_FAIL_VALID __case_name, 12, vmread rax, rbx
%endmacro
%macro VMWRITE_12 2
%strcat __case_name "vmwrite-", %1
        mov rbx, %2
        VMX_EXPECT_FAIL_VALID __case_name, 12, vmwrite rbx, rax
%endmacro

start:
        call idt_setup
        call vmx_setup
        mov qword [abs VMX_RO_PAGE + 8], 0x66
        call vmx_paging_setup
        VMX_ON

        mov ebx, 0x681E
        mov rax, SENTINEL
        VMX_EXPECT_FAIL_INVALID "novmcs-vmread", vmread rax, rbx
        VMX_EXPECT_FAIL_INVALID "novmcs-vmwrite", vmwrite rbx, rax
        mov rbx, 0x100000800
        VMX_EXPECT_FAIL_INVALID "novmcs-vmread-bad-encoding", vmread rax, rbx
        VMX_EXPECT_FAIL_INVALID "novmcs-vmwrite-bad-encoding", vmwrite rbx, rax
        mov ebx, 0x681E
        mov rcx, VMX_NP_PAGE
        VMX_EXPECT_FAIL_INVALID "novmcs-vmread-not-present-memory", vmread [rcx], rbx
        mov rcx, SENTINEL
        CHECK "novmcs-vmread-dest-unchanged", rax, rcx

        VMX_EXPECT_OK "vmptrld", vmptrld [rel p_vmcs_a]
        ; widths
        mov ebx, 0x0800                 ; guest ES selector, 16 bits
        mov rax, -1
        VMX_EXPECT_OK "vmwrite-16", vmwrite rbx, rax
        VMX_READ_CHECK "vmread-16-zero-extended", 0x0800, 0xFFFF
        mov rax, 0x12345678ABCD
        VMX_EXPECT_OK "vmwrite-16-high-bits", vmwrite rbx, rax
        VMX_READ_CHECK "vmread-16-truncated", 0x0800, 0xABCD
        mov ebx, 0x4004                 ; exception bitmap, 32 bits
        mov rax, -1
        VMX_EXPECT_OK "vmwrite-32", vmwrite rbx, rax
        VMX_READ_CHECK "vmread-32-zero-extended", 0x4004, 0xFFFFFFFF
        mov ebx, 0x2800                 ; VMCS link pointer, 64 bits
        mov rax, 0x1122334455667788
        VMX_EXPECT_OK "vmwrite-64", vmwrite rbx, rax
        VMX_READ_CHECK "vmread-64", 0x2800, 0x1122334455667788
        VMX_READ_CHECK "vmread-64-high", 0x2801, 0x11223344
        mov ebx, 0x2801
        mov rax, 0xAABBCCDD99887766
        VMX_EXPECT_OK "vmwrite-64-high", vmwrite rbx, rax
        VMX_READ_CHECK "vmread-64-after-high-write", 0x2800, 0x9988776655667788
        VMX_READ_CHECK "vmread-64-high-after-high-write", 0x2801, 0x99887766
        mov ebx, 0x681E                 ; guest RIP, natural width
        mov rax, 0xFFFFFFFF80001234
        VMX_EXPECT_OK "vmwrite-natural", vmwrite rbx, rax
        VMX_READ_CHECK "vmread-natural", 0x681E, 0xFFFFFFFF80001234
        mov ebx, 0x2000                 ; I/O bitmap A, 64-bit control
        mov rax, 0xFFFFFFFFFFFFF000
        VMX_EXPECT_OK "vmwrite-ctl-64", vmwrite rbx, rax
        VMX_READ_CHECK "vmread-ctl-64", 0x2000, 0xFFFFFFFFFFFFF000
        mov ebx, 0x0800
        VMX_EXPECT_OK "vmread-same-register", vmread rbx, rbx
        CHECK "vmread-same-register-value", rbx, 0xABCD

        ; memory operands
        mov rax, -1
        mov [rel mem], rax
        mov [rel mem + 8], rax
        mov [rel mem + 16], rax
        mov ebx, 0x0800
        VMX_EXPECT_OK "vmread-to-memory", vmread [rel mem], rbx
        CHECK "vmread-to-memory-value", [rel mem], 0xABCD
        mov rax, 0x0123456789ABCDEF
        mov [rel mem + 8], rax
        mov ebx, 0x681C                 ; guest RSP
        VMX_EXPECT_OK "vmwrite-from-memory", vmwrite rbx, [rel mem + 8]
        VMX_READ_CHECK "vmwrite-from-memory-value", 0x681C, 0x0123456789ABCDEF
        mov ebx, 0x2800
        VMX_EXPECT_OK "vmread-to-unaligned-memory", vmread [rel mem + 13], rbx
        CHECK "vmread-to-unaligned-memory-value", [rel mem + 13], 0x9988776655667788
        mov rax, 0x7766554433221100
        mov [rel mem + 5], rax
        mov ebx, 0x681C
        VMX_EXPECT_OK "vmwrite-from-unaligned-memory", vmwrite rbx, [rel mem + 5]
        VMX_READ_CHECK "vmwrite-from-unaligned-memory-value", 0x681C, 0x7766554433221100
        mov ebx, 0x681E
        mov rcx, VMX_NP_PAGE + 0x100
        VMX_EXPECT_EXC "vmread-not-present", vmread [rcx], rbx
        mov rcx, VMX_RO_PAGE + 8
        VMX_EXPECT_EXC "vmread-read-only", vmread [rcx], rbx
        mov rcx, VMX_NP_PAGE + 0x200
        VMX_EXPECT_EXC "vmwrite-not-present", vmwrite rbx, [rcx]
        mov rcx, 0x8000000000000000
        VMX_EXPECT_EXC "vmread-noncanonical", vmread [rcx], rbx
        VMX_EXPECT_EXC "vmwrite-noncanonical", vmwrite rbx, [rcx]

        ; unsupported components
        mov rax, SENTINEL
        VMREAD_12 "enc-bits-63-32", 0x10000681E
        VMREAD_12 "enc-bit12", 0x1800
        VMREAD_12 "enc-bit15", 0x8800
        VMREAD_12 "enc-bit31", 0x80000800
        VMREAD_12 "high-natural", 0x681F
        VMREAD_12 "high-16", 0x0801
        VMREAD_12 "high-32", 0x4005
        VMREAD_12 "unknown-index-16", 0x0840
        VMREAD_12 "unknown-index-natural", 0x6C40
        VMREAD_12 "fred-config", 0x281A
        VMREAD_12 "hlat-prefix-size", 0x0006
        mov rcx, SENTINEL
        CHECK "vmread-fail-dest-unchanged", rax, rcx
        mov rbx, 0x681F
        mov rcx, VMX_NP_PAGE
        VMX_EXPECT_FAIL_VALID "vmread-bad-encoding-not-present-memory", 12, vmread [rcx], rbx
        mov rax, 0x4242
        VMWRITE_12 "enc-bits-63-32", 0x10000681E
        VMWRITE_12 "enc-bit12", 0x1800
        VMWRITE_12 "enc-bit15", 0x8800
        VMWRITE_12 "enc-bit31", 0x80000800
        VMWRITE_12 "high-natural", 0x681F
        VMWRITE_12 "high-16", 0x0801
        VMWRITE_12 "high-32", 0x4005
        VMWRITE_12 "unknown-index-16", 0x0840
        VMWRITE_12 "unknown-index-natural", 0x6C40
        VMWRITE_12 "fred-config", 0x281A
        VMWRITE_12 "hlat-prefix-size", 0x0006
        VMX_READ_CHECK "guest-rip-unchanged-by-failures", 0x681E, 0xFFFFFFFF80001234
        VMX_READ_CHECK "error-field-sticky", 0x4400, 12

        ; VM-exit information fields: writable (IA32_VMX_MISC[29] = 1)
        mov ebx, 0x4402
        mov eax, 0x12
        VMX_EXPECT_OK "vmwrite-exit-reason", vmwrite rbx, rax
        VMX_READ_CHECK "vmread-exit-reason", 0x4402, 0x12
        mov ebx, 0x6400
        mov rax, 0xDEADBEEF12345678
        VMX_EXPECT_OK "vmwrite-exit-qualification", vmwrite rbx, rax
        VMX_READ_CHECK "vmread-exit-qualification", 0x6400, 0xDEADBEEF12345678
        mov ebx, 0x2400
        mov rax, 0xABC000
        VMX_EXPECT_OK "vmwrite-guest-physical-address", vmwrite rbx, rax
        VMX_READ_CHECK "vmread-guest-physical-address", 0x2400, 0xABC000
        mov ebx, 0x4400
        mov eax, 0x77
        VMX_EXPECT_OK "vmwrite-instruction-error", vmwrite rbx, rax
        VMX_READ_CHECK "vmread-instruction-error", 0x4400, 0x77
        VMX_EXPECT_OK "vmxoff", vmxoff
        call checks_done

        align 16, db 0
mem:    times 32 db 0

ELF64_BSS
VMX_BSS
ELF64_END
