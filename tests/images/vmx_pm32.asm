; VMX instructions in 32-bit protected mode (a multiboot image; SDM Vol. 3C VMX
; instruction reference, operand sizes outside IA-32e mode):
;   - VMXON: #UD with CR4.VMXE = 0; #GP(0) while CR0 violates IA32_VMX_CR0_FIXED0 --
;     multiboot enters with CR0.NE = 0 and paging off, and PG is fixed to 1 as well --
;     until both are set;
;   - VMXON/VMCLEAR/VMPTRLD/VMPTRST take a 64-bit pointer in memory in any mode (the
;     high dword counts: a bit at MAXPHYADDR there is VMfail(9));
;   - VMREAD/VMWRITE use 32-bit operands: VMREAD of a 64-bit field gives bits 31:0, its
;     HIGH access bits 63:32; VMWRITE of a 64-bit field clears bits 63:32; a 16-bit
;     field is truncated / zero-extended; a memory operand is 4 bytes; error 12 for a
;     HIGH access to a natural-width field and for reserved bit 31;
;   - INVEPT/INVVPID take the type from a 32-bit register; VMCALL is VMfailValid(1);
;   - in VMX operation CR0.PG and CR0.PE cannot be cleared, nor CR4.VMXE (#GP(0)).
;! args: --max-insns 10000000
;! status: 1
;! stdout: vmxon-vmxe0: EXC 06 ERR 00000000 EIP ok
;! stdout: vmxon-ne0-pg0: EXC 0d ERR 00000000 EIP ok
;! stdout: vmxon-pg0: EXC 0d ERR 00000000 EIP ok
;! stdout: vmxon-ne0: EXC 0d ERR 00000000 EIP ok
;! stdout: ok vmxon
;! stdout: ok vmptrst-none
;! stdout: ok vmptrst-none-lo
;! stdout: ok vmptrst-none-hi
;! stdout: ok vmclear
;! stdout: ok vmptrld
;! stdout: ok vmptrld-high-dword
;! stdout: ok vmptrst
;! stdout: ok vmptrst-lo
;! stdout: ok vmptrst-hi
;! stdout: ok vmwrite-64-high
;! stdout: ok vmwrite-64
;! stdout: ok vmread-64-high-cleared
;! stdout: ok vmread-64
;! stdout: ok vmwrite-64-high-again
;! stdout: ok vmread-64-low-only
;! stdout: ok vmread-64-high
;! stdout: ok vmwrite-16
;! stdout: ok vmread-16
;! stdout: ok vmwrite-natural
;! stdout: ok vmread-natural
;! stdout: ok vmread-to-memory
;! stdout: ok vmread-to-memory-lo
;! stdout: ok vmread-to-memory-hi-untouched
;! stdout: ok vmwrite-from-memory
;! stdout: ok vmwrite-from-memory-value
;! stdout: ok vmread-high-natural
;! stdout: ok vmwrite-enc-bit31
;! stdout: ok invept-type2
;! stdout: ok invept-type0
;! stdout: ok invvpid-type2
;! stdout: ok invvpid-type1-vpid0
;! stdout: ok vmcall
;! stdout: cr0-pg-clear: EXC 0d ERR 00000000 EIP ok
;! stdout: cr0-pe-pg-clear: EXC 0d ERR 00000000 EIP ok
;! stdout: cr4-vmxe-clear: EXC 0d ERR 00000000 EIP ok
;! stdout: ok cr0-unchanged
;! stdout: ok vmclear-current
;! stdout: ok vmread-no-current-vmcs
;! stdout: ok vmxoff
;! stdout: vmptrst-after-vmxoff: EXC 06 ERR 00000000 EIP ok
;! not-stderr: triple

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"
%include "vmx32.inc"

start:
        mov esp, stack_top
        lgdt [gdt_ptr]
        jmp 0x08:.cs
.cs:    mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        call idt32_setup
        call vmx32_setup

        VMX32_EXPECT_EXC "vmxon-vmxe0", vmxon [p32_vmxon]
        mov eax, cr4
        or eax, 0x2000                  ; VMXE
        mov cr4, eax
        VMX32_EXPECT_EXC "vmxon-ne0-pg0", vmxon [p32_vmxon]
        mov eax, cr0
        or eax, 0x20                    ; NE
        mov cr0, eax
        VMX32_EXPECT_EXC "vmxon-pg0", vmxon [p32_vmxon]
        ; 32-bit paging, 4 MiB pages, identity 0-1 GiB
        mov edi, pd
        mov eax, 0x83
        mov ecx, 256
.pde:   mov [edi], eax
        add eax, 0x400000
        add edi, 4
        dec ecx
        jnz .pde
        mov eax, cr4
        or eax, 0x10                    ; PSE
        mov cr4, eax
        mov eax, pd
        mov cr3, eax
        mov eax, cr0
        and eax, ~0x20                  ; NE = 0 again
        or eax, 0x80000000              ; PG
        mov cr0, eax
        VMX32_EXPECT_EXC "vmxon-ne0", vmxon [p32_vmxon]
        mov eax, cr0
        or eax, 0x20
        mov cr0, eax
        VMX32_EXPECT_OK "vmxon", vmxon [p32_vmxon]

        mov dword [p32_tmp], 0
        mov dword [p32_tmp + 4], 0
        VMX32_EXPECT_OK "vmptrst-none", vmptrst [p32_tmp]
        CHECK32 "vmptrst-none-lo", [p32_tmp], -1
        CHECK32 "vmptrst-none-hi", [p32_tmp + 4], -1
        VMX32_EXPECT_OK "vmclear", vmclear [p32_vmcs_a]
        VMX32_EXPECT_OK "vmptrld", vmptrld [p32_vmcs_a]
        mov eax, [p32_vmcs_b]
        mov [p32_ptr], eax
        mov eax, [vmx32_beyond_hi]
        mov [p32_ptr + 4], eax
        VMX32_EXPECT_FAIL_VALID "vmptrld-high-dword", 9, vmptrld [p32_ptr]
        mov dword [p32_tmp], 0
        mov dword [p32_tmp + 4], -1
        VMX32_EXPECT_OK "vmptrst", vmptrst [p32_tmp]
        CHECK32 "vmptrst-lo", [p32_tmp], vmx32_vmcs_a
        CHECK32 "vmptrst-hi", [p32_tmp + 4], 0

        mov ebx, 0x2801                 ; VMCS link pointer, HIGH
        mov eax, 0xAAAAAAAA
        VMX32_EXPECT_OK "vmwrite-64-high", vmwrite ebx, eax
        mov ebx, 0x2800
        mov eax, 0x12345678
        VMX32_EXPECT_OK "vmwrite-64", vmwrite ebx, eax
        VMX32_READ_CHECK "vmread-64-high-cleared", 0x2801, 0
        VMX32_READ_CHECK "vmread-64", 0x2800, 0x12345678
        mov ebx, 0x2801
        mov eax, 0x9ABCDEF0
        VMX32_EXPECT_OK "vmwrite-64-high-again", vmwrite ebx, eax
        VMX32_READ_CHECK "vmread-64-low-only", 0x2800, 0x12345678
        VMX32_READ_CHECK "vmread-64-high", 0x2801, 0x9ABCDEF0
        mov ebx, 0x0800
        mov eax, 0x12345678
        VMX32_EXPECT_OK "vmwrite-16", vmwrite ebx, eax
        VMX32_READ_CHECK "vmread-16", 0x0800, 0x5678
        mov ebx, 0x681E
        mov eax, 0xFFFFFFFF
        VMX32_EXPECT_OK "vmwrite-natural", vmwrite ebx, eax
        VMX32_READ_CHECK "vmread-natural", 0x681E, 0xFFFFFFFF
        mov dword [mem], -1
        mov dword [mem + 4], -1
        mov ebx, 0x0800
        VMX32_EXPECT_OK "vmread-to-memory", vmread [mem], ebx
        CHECK32 "vmread-to-memory-lo", [mem], 0x5678
        CHECK32 "vmread-to-memory-hi-untouched", [mem + 4], -1
        mov dword [mem + 8], 0x00C0FFEE
        mov ebx, 0x681C
        VMX32_EXPECT_OK "vmwrite-from-memory", vmwrite ebx, [mem + 8]
        VMX32_READ_CHECK "vmwrite-from-memory-value", 0x681C, 0x00C0FFEE
        mov ebx, 0x681F
        VMX32_EXPECT_FAIL_VALID "vmread-high-natural", 12, vmread eax, ebx
        mov ebx, 0x80000800
        VMX32_EXPECT_FAIL_VALID "vmwrite-enc-bit31", 12, vmwrite ebx, eax

        mov eax, 2
        VMX32_EXPECT_OK "invept-type2", invept eax, [desc]
        xor eax, eax
        VMX32_EXPECT_FAIL_VALID "invept-type0", 28, invept eax, [desc]
        mov eax, 2
        VMX32_EXPECT_OK "invvpid-type2", invvpid eax, [desc]
        mov eax, 1
        VMX32_EXPECT_FAIL_VALID "invvpid-type1-vpid0", 28, invvpid eax, [desc]
        VMX32_EXPECT_FAIL_VALID "vmcall", 1, vmcall

        mov esi, cr0
        mov eax, esi
        and eax, ~0x80000000
        VMX32_EXPECT_EXC "cr0-pg-clear", mov cr0, eax
        and eax, ~1
        VMX32_EXPECT_EXC "cr0-pe-pg-clear", mov cr0, eax
        mov eax, cr4
        and eax, ~0x2000
        VMX32_EXPECT_EXC "cr4-vmxe-clear", mov cr4, eax
        mov eax, cr0
        CHECK32 "cr0-unchanged", eax, esi
        VMX32_EXPECT_OK "vmclear-current", vmclear [p32_vmcs_a]
        mov ebx, 0x681E
        VMX32_EXPECT_FAIL_INVALID "vmread-no-current-vmcs", vmread eax, ebx
        VMX32_EXPECT_OK "vmxoff", vmxoff
        VMX32_EXPECT_EXC "vmptrst-after-vmxoff", vmptrst [p32_tmp]
        call checks_done32

        align 16, db 0
desc:   dq 0, 0
mem:    dq 0, 0

        align 8, db 0
gdt:    dq 0
        dq 0x00CF9A000000FFFF
        dq 0x00CF92000000FFFF
gdt_ptr:
        dw 3 * 8 - 1
        dd gdt

MB_BSS
VMX32_BSS
        alignb 4096
pd:     resb 4096
        resb 8192
stack_top:
MB_END
