; Memory operands of VMX instructions through segmentation in 32-bit protected mode
; (SDM Vol. 3C VMX instruction reference, "Protected Mode Exceptions": #GP(0) for an
; effective address outside the DS/ES/FS/GS segment limit or a NULL segment, #SS(0)
; outside the SS limit); the segment base is added; the whole operand (8 bytes for a
; pointer, 4 for VMREAD/VMWRITE, 16 for an INVEPT descriptor) must lie within the
; limit.
;! args: --max-insns 10000000
;! status: 1
;! stdout: ok vmxon
;! stdout: ok vmclear
;! stdout: ok vmptrld-es-base
;! stdout: ok vmptrst-es-base
;! stdout: ok vmptrst-es-base-value
;! stdout: ok vmptrld-in-limit
;! stdout: ok vmptrst-in-limit
;! stdout: ok vmptrst-in-limit-value
;! stdout: vmptrld-beyond-limit: EXC 0d ERR 00000000 EIP ok
;! stdout: vmptrld-straddles-limit: EXC 0d ERR 00000000 EIP ok
;! stdout: vmptrst-straddles-limit: EXC 0d ERR 00000000 EIP ok
;! stdout: ok vmread-in-limit
;! stdout: ok vmread-in-limit-value
;! stdout: vmread-straddles-limit: EXC 0d ERR 00000000 EIP ok
;! stdout: vmwrite-straddles-limit: EXC 0d ERR 00000000 EIP ok
;! stdout: invept-straddles-limit: EXC 0d ERR 00000000 EIP ok
;! stdout: vmptrst-null-es: EXC 0d ERR 00000000 EIP ok
;! stdout: vmptrld-beyond-ss-limit: EXC 0c ERR 00000000 EIP ok
;! stdout: ok vmptrst-current
;! stdout: ok current-is-b
;! stdout: ok vmxoff
;! not-stderr: triple

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"
%include "vmx32.inc"

start:
        mov esp, stack_top
        ; descriptor 0x20: base = limbuf, limit 0xFFF, byte granular
        mov eax, limbuf
        mov [gdt + 0x20 + 2], ax
        shr eax, 16
        mov [gdt + 0x20 + 4], al
        mov [gdt + 0x20 + 7], ah
        lgdt [gdt_ptr]
        jmp 0x08:.cs
.cs:    mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        call idt32_setup
        call vmx32_setup
        mov edi, pd
        mov eax, 0x83
        mov ecx, 256
.pde:   mov [edi], eax
        add eax, 0x400000
        add edi, 4
        dec ecx
        jnz .pde
        mov eax, cr4
        or eax, 0x2010                  ; VMXE, PSE
        mov cr4, eax
        mov eax, pd
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000020              ; PG, NE
        mov cr0, eax
        VMX32_EXPECT_OK "vmxon", vmxon [p32_vmxon]
        VMX32_EXPECT_OK "vmclear", vmclear [p32_vmcs_a]

        mov ax, 0x18                    ; base 0x10000
        mov es, ax
        VMX32_EXPECT_OK "vmptrld-es-base", vmptrld [es:p32_vmcs_a - 0x10000]
        mov dword [p32_tmp], 0
        VMX32_EXPECT_OK "vmptrst-es-base", vmptrst [es:p32_tmp - 0x10000]
        CHECK32 "vmptrst-es-base-value", [p32_tmp], vmx32_vmcs_a

        mov ax, 0x20                    ; base limbuf, limit 0xFFF
        mov es, ax
        mov eax, [p32_vmcs_b]
        mov [limbuf + 0xFF8], eax
        mov dword [limbuf + 0xFFC], 0
        VMX32_EXPECT_OK "vmptrld-in-limit", vmptrld [es:0xFF8]
        VMX32_EXPECT_OK "vmptrst-in-limit", vmptrst [es:0x10]
        CHECK32 "vmptrst-in-limit-value", [limbuf + 0x10], vmx32_vmcs_b
        VMX32_EXPECT_EXC "vmptrld-beyond-limit", vmptrld [es:0x2000]
        VMX32_EXPECT_EXC "vmptrld-straddles-limit", vmptrld [es:0xFFC]
        VMX32_EXPECT_EXC "vmptrst-straddles-limit", vmptrst [es:0xFF9]
        mov ebx, 0x4004                 ; exception bitmap
        mov eax, 0x11223344
        vmwrite ebx, eax
        VMX32_EXPECT_OK "vmread-in-limit", vmread [es:0xFFC], ebx
        CHECK32 "vmread-in-limit-value", [limbuf + 0xFFC], 0x11223344
        VMX32_EXPECT_EXC "vmread-straddles-limit", vmread [es:0xFFD], ebx
        VMX32_EXPECT_EXC "vmwrite-straddles-limit", vmwrite ebx, [es:0xFFE]
        mov eax, 2
        VMX32_EXPECT_EXC "invept-straddles-limit", invept eax, [es:0xFF8]
        xor eax, eax
        mov es, ax                      ; NULL
        VMX32_EXPECT_EXC "vmptrst-null-es", vmptrst [es:p32_tmp]
        mov ax, 0x10
        mov es, ax

        mov ax, 0x28                    ; SS limit 0x1FFFFF (the stack is below it)
        mov ss, ax
        xor ebp, ebp
        VMX32_EXPECT_EXC "vmptrld-beyond-ss-limit", vmptrld [ebp + 0x300000]
        mov ax, 0x10
        mov ss, ax
        mov dword [p32_tmp], 0
        VMX32_EXPECT_OK "vmptrst-current", vmptrst [p32_tmp]
        CHECK32 "current-is-b", [p32_tmp], vmx32_vmcs_b
        VMX32_EXPECT_OK "vmxoff", vmxoff
        call checks_done32

        align 8, db 0
gdt:    dq 0
        dq 0x00CF9A000000FFFF           ; 0x08 code
        dq 0x00CF92000000FFFF           ; 0x10 data
        dq 0x00CF92010000FFFF           ; 0x18 data, base 0x10000
        dq 0x0040920000000FFF           ; 0x20 data, base limbuf (patched), limit 0xFFF
        dq 0x00C09200000001FF           ; 0x28 data, limit 0x1FFFFF (4 KiB granular)
gdt_ptr:
        dw 6 * 8 - 1
        dd gdt

MB_BSS
VMX32_BSS
        alignb 4096
pd:     resb 4096
limbuf: resb 4096
        resb 8192
stack_top:
MB_END
