; INVEPT r64, m128 on xeon (IA32_VMX_EPT_VPID_CAP: INVEPT, single-context (type 1) and
; all-context (type 2); 4-level walks; UC and WB; accessed/dirty flags; MAXPHYADDR from
; CPUID). SDM Vol. 3C "INVEPT": the 128-bit descriptor is read first (#PF error 0 on a
; not-present page even for an unsupported type, #GP(0) non-canonical; alignment not
; required); then VMfail(28) -- VMfailInvalid without a current VMCS -- for a type
; not supported (0, 3, 4, bits 63:32 of the register, all ones) and for type 1 with an
; EPTP VM entry would reject: memory type other than UC (0) / WB (6), page-walk length
; other than 4 (bits 5:3 = 3), reserved bits 11:7, bits at or beyond MAXPHYADDR. Type
; 2 ignores the descriptor; bits 127:64 are not checked.
;! args: --max-insns 10000000
;! status: 1
;! stdout: ok vmxon
;! stdout: invept-not-present: EXC 0e ERR 00000000 RIP ok CR2 00000000003fe000
;! stdout: invept-not-present-type0: EXC 0e ERR 00000000 RIP ok CR2 00000000003fe000
;! stdout: invept-noncanonical: EXC 0d ERR 00000000 RIP ok
;! stdout: ok novmcs-invept-type0
;! stdout: ok novmcs-invept-type1-bad-eptp
;! stdout: ok novmcs-invept-type2
;! stdout: ok vmptrld
;! stdout: ok invept-type2
;! stdout: ok invept-type2-garbage-descriptor
;! stdout: ok invept-type1-wb
;! stdout: ok invept-type1-uc
;! stdout: ok invept-type1-wb-ad
;! stdout: ok invept-type1-high-bits-in-desc
;! stdout: ok invept-unaligned-descriptor
;! stdout: ok invept-type0
;! stdout: ok invept-type3
;! stdout: ok invept-type4
;! stdout: ok invept-type-bit32
;! stdout: ok invept-type-all-ones
;! stdout: ok invept-type1-memtype1
;! stdout: ok invept-type1-memtype2
;! stdout: ok invept-type1-memtype4
;! stdout: ok invept-type1-memtype7
;! stdout: ok invept-type1-walk1
;! stdout: ok invept-type1-walk3
;! stdout: ok invept-type1-walk5
;! stdout: ok invept-type1-bit7
;! stdout: ok invept-type1-bit11
;! stdout: ok invept-type1-beyond-maxphyaddr
;! stdout: ok invept-type1-bit63
;! stdout: ok vmxoff
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"

; EPTP_OK name, low-bits / EPTP_BAD name, low-bits: type 1 with EPTP = vmcs_c | bits
%macro EPTP_OK 2
        mov rax, [rel p_vmcs_c]
        or rax, %2
        mov [rel desc], rax
        mov eax, 1
        VMX_EXPECT_OK %1, invept rax, [rel desc]
%endmacro
%macro EPTP_BAD 2
        mov rax, [rel p_vmcs_c]
        or rax, %2
        mov [rel desc], rax
        mov eax, 1
        VMX_EXPECT_FAIL_VALID %1, 28, invept rax, [rel desc]
%endmacro
%macro TYPE_BAD 2
        mov rax, [rel p_vmcs_c]
        or rax, 0x1E
        mov [rel desc], rax
        mov rax, %2
        VMX_EXPECT_FAIL_VALID %1, 28, invept rax, [rel desc]
%endmacro

start:
        call idt_setup
        call vmx_setup
        call vmx_paging_setup
        VMX_ON

        mov eax, 2
        mov rbx, VMX_NP_PAGE
        VMX_EXPECT_EXC "invept-not-present", invept rax, [rbx]
        xor eax, eax
        VMX_EXPECT_EXC "invept-not-present-type0", invept rax, [rbx]
        mov eax, 2
        mov rbx, 0x8000000000000000
        VMX_EXPECT_EXC "invept-noncanonical", invept rax, [rbx]

        mov qword [rel desc], 0
        mov qword [rel desc + 8], 0
        xor eax, eax
        VMX_EXPECT_FAIL_INVALID "novmcs-invept-type0", invept rax, [rel desc]
        mov eax, 1
        VMX_EXPECT_FAIL_INVALID "novmcs-invept-type1-bad-eptp", invept rax, [rel desc]
        mov eax, 2
        VMX_EXPECT_OK "novmcs-invept-type2", invept rax, [rel desc]

        VMX_EXPECT_OK "vmptrld", vmptrld [rel p_vmcs_a]
        mov eax, 2
        VMX_EXPECT_OK "invept-type2", invept rax, [rel desc]
        mov rax, -1
        mov [rel desc], rax
        mov [rel desc + 8], rax
        mov eax, 2
        VMX_EXPECT_OK "invept-type2-garbage-descriptor", invept rax, [rel desc]
        mov qword [rel desc + 8], 0
        EPTP_OK "invept-type1-wb", 0x1E         ; WB, walk length 4 - 1
        EPTP_OK "invept-type1-uc", 0x18
        EPTP_OK "invept-type1-wb-ad", 0x5E      ; + accessed/dirty enable
        mov rax, -1
        mov [rel desc + 8], rax
        EPTP_OK "invept-type1-high-bits-in-desc", 0x1E
        mov qword [rel desc + 8], 0
        mov rax, [rel p_vmcs_c]
        or rax, 0x1E
        mov [rel odd + 3], rax
        mov eax, 1
        VMX_EXPECT_OK "invept-unaligned-descriptor", invept rax, [rel odd + 3]

        TYPE_BAD "invept-type0", 0
        TYPE_BAD "invept-type3", 3
        TYPE_BAD "invept-type4", 4
        TYPE_BAD "invept-type-bit32", 0x100000002
        TYPE_BAD "invept-type-all-ones", -1
        EPTP_BAD "invept-type1-memtype1", 0x19
        EPTP_BAD "invept-type1-memtype2", 0x1A
        EPTP_BAD "invept-type1-memtype4", 0x1C
        EPTP_BAD "invept-type1-memtype7", 0x1F
        EPTP_BAD "invept-type1-walk1", 0x06     ; bits 5:3 = 0
        EPTP_BAD "invept-type1-walk3", 0x16     ; bits 5:3 = 2
        EPTP_BAD "invept-type1-walk5", 0x26     ; bits 5:3 = 4 (no 5-level EPT)
        EPTP_BAD "invept-type1-bit7", 0x9E
        EPTP_BAD "invept-type1-bit11", 0x81E
        EPTP_BAD "invept-type1-beyond-maxphyaddr", [rel vmx_beyond]
        EPTP_BAD "invept-type1-bit63", [rel bit63]
        VMX_EXPECT_OK "vmxoff", vmxoff
        call checks_done

        align 16, db 0
desc:   dq 0, 0
odd:    times 32 db 0
bit63:  dq 0x800000000000001E

ELF64_BSS
VMX_BSS
ELF64_END
