; INVVPID r64, m128 on xeon (IA32_VMX_EPT_VPID_CAP: INVVPID of types 0-3). SDM Vol. 3C
; "INVVPID": descriptor bits 15:0 VPID, 63:16 reserved (must be 0), 127:64 linear
; address. The descriptor is read first (#PF error 0 on a not-present page, #GP(0)
; non-canonical); then VMfail(28) -- VMfailInvalid without a current VMCS -- for an
; unsupported type (4, bits 63:32 of the register, all ones), any of bits 63:16 set,
; VPID 0 with types 0, 1 and 3, and (type 0 only) a non-canonical address. Type 2
; accepts VPID 0; types 1-3 ignore the address.
;! args: --max-insns 10000000
;! status: 1
;! stderr: ^vtsim: INVVPID at RIP=0x101675 on lp0: VMfailValid\(28\), invalid operand to INVEPT/INVVPID; type 1, descriptor VPID 0x0 \(bits 63:0 of the first quadword\) and linear address 0x401000\. INVEPT and INVVPID need a type the capability MSR IA32_VMX_EPT_VPID_CAP reports, and an operand valid for that type \(a valid EPTP for single-context INVEPT; bits 63:16 of the descriptor clear, a nonzero VPID except for the all-context type, and a canonical address for the individual-address type\): read IA32_VMX_EPT_VPID_CAP and use a type it reports, with a descriptor as that type needs \(SDM Vol\. 3C, "INVEPT-Invalidate Translations Derived from EPT" and "INVVPID"\)$
;! stdout: ok vmxon
;! stdout: invvpid-not-present: EXC 0e ERR 00000000 RIP ok CR2 00000000003fe000
;! stdout: invvpid-noncanonical: EXC 0d ERR 00000000 RIP ok
;! stdout: ok novmcs-invvpid-type4
;! stdout: ok novmcs-invvpid-vpid0
;! stdout: ok novmcs-invvpid-type2
;! stdout: ok vmptrld
;! stdout: ok type0
;! stdout: ok type0-high-canonical
;! stdout: ok type1
;! stdout: ok type2
;! stdout: ok type2-vpid0
;! stdout: ok type3
;! stdout: ok type1-noncanonical-address
;! stdout: ok type2-noncanonical-address
;! stdout: ok type3-noncanonical-address
;! stdout: ok type0-vpid-ffff
;! stdout: ok unaligned-descriptor
;! stdout: ok type4
;! stdout: ok type-bit32
;! stdout: ok type-all-ones
;! stdout: ok type0-reserved-bit16
;! stdout: ok type1-reserved-bit63
;! stdout: ok type2-reserved-bit32
;! stdout: ok type3-reserved-bit40
;! stdout: ok type0-vpid0
;! stdout: ok type1-vpid0
;! stdout: ok type3-vpid0
;! stdout: ok type0-noncanonical-address
;! stdout: ok type0-noncanonical-address-high
;! stdout: ok vmxoff
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"

; INVVPID_CASE OK|BAD, name, type, desc-low, desc-high
%macro INVVPID_CASE 5
        push rax
        mov rax, %4
        mov [rel desc], rax
        mov rax, %5
        mov [rel desc + 8], rax
        pop rax
        mov rax, %3
%ifidn %1, OK
        VMX_EXPECT_OK %2, invvpid rax, [rel desc]
%else
        VMX_EXPECT_FAIL_VALID %2, 28, invvpid rax, [rel desc]
%endif
%endmacro

%define CANON   0x0000000000401000
%define CANON_H 0xFFFF800000001000
%define NONCANON   0x0000800000000000
%define NONCANON_H 0xFFFF7FFFFFFFF000

start:
        call idt_setup
        call vmx_setup
        call vmx_paging_setup
        VMX_ON

        mov eax, 2
        mov rbx, VMX_NP_PAGE
        VMX_EXPECT_EXC "invvpid-not-present", invvpid rax, [rbx]
        mov rbx, 0x8000000000000000
        VMX_EXPECT_EXC "invvpid-noncanonical", invvpid rax, [rbx]

        mov qword [rel desc], 1
        mov qword [rel desc + 8], 0
        mov eax, 4
        VMX_EXPECT_FAIL_INVALID "novmcs-invvpid-type4", invvpid rax, [rel desc]
        mov qword [rel desc], 0
        mov eax, 1
        VMX_EXPECT_FAIL_INVALID "novmcs-invvpid-vpid0", invvpid rax, [rel desc]
        mov eax, 2
        VMX_EXPECT_OK "novmcs-invvpid-type2", invvpid rax, [rel desc]

        VMX_EXPECT_OK "vmptrld", vmptrld [rel p_vmcs_a]
        INVVPID_CASE OK, "type0", 0, 1, CANON
        INVVPID_CASE OK, "type0-high-canonical", 0, 1, CANON_H
        INVVPID_CASE OK, "type1", 1, 1, 0
        INVVPID_CASE OK, "type2", 2, 7, 0
        INVVPID_CASE OK, "type2-vpid0", 2, 0, 0
        INVVPID_CASE OK, "type3", 3, 0x1234, 0
        INVVPID_CASE OK, "type1-noncanonical-address", 1, 1, NONCANON
        INVVPID_CASE OK, "type2-noncanonical-address", 2, 1, NONCANON
        INVVPID_CASE OK, "type3-noncanonical-address", 3, 1, NONCANON
        INVVPID_CASE OK, "type0-vpid-ffff", 0, 0xFFFF, CANON
        mov qword [rel odd + 5], 9
        mov qword [rel odd + 13], 0
        mov eax, 1
        VMX_EXPECT_OK "unaligned-descriptor", invvpid rax, [rel odd + 5]

        INVVPID_CASE BAD, "type4", 4, 1, CANON
        INVVPID_CASE BAD, "type-bit32", 0x100000001, 1, CANON
        INVVPID_CASE BAD, "type-all-ones", -1, 1, CANON
        INVVPID_CASE BAD, "type0-reserved-bit16", 0, 0x10001, CANON
        INVVPID_CASE BAD, "type1-reserved-bit63", 1, 0x8000000000000001, CANON
        INVVPID_CASE BAD, "type2-reserved-bit32", 2, 0x100000000, CANON
        INVVPID_CASE BAD, "type3-reserved-bit40", 3, 0x10000000001, CANON
        INVVPID_CASE BAD, "type0-vpid0", 0, 0, CANON
        INVVPID_CASE BAD, "type1-vpid0", 1, 0, CANON
        INVVPID_CASE BAD, "type3-vpid0", 3, 0, CANON
        INVVPID_CASE BAD, "type0-noncanonical-address", 0, 1, NONCANON
        INVVPID_CASE BAD, "type0-noncanonical-address-high", 0, 1, NONCANON_H
        VMX_EXPECT_OK "vmxoff", vmxoff
        call checks_done

        align 16, db 0
desc:   dq 0, 0
odd:    times 32 db 0

ELF64_BSS
VMX_BSS
ELF64_END
