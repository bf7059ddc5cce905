; #UD for VMX instructions where the SDM says so (VMX instruction reference,
; "Protected Mode Exceptions" / "64-Bit Mode Exceptions" and the first test of each
; Operation section):
;   - outside VMX operation, with CR4.VMXE = 0 and with CR4.VMXE = 1: VMXOFF, VMCLEAR,
;     VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH, VMRESUME, INVEPT, INVVPID, VMCALL,
;     VMFUNC (every operand valid, so nothing else could fault);
;   - in compatibility mode (IA32_EFER.LMA = 1, CS.L = 0), outside VMX operation and in
;     VMX root: VMXON, VMPTRST, VMREAD, VMWRITE, VMCALL, VMXOFF, VMLAUNCH, INVEPT;
;   - in VMX root: VMFUNC (#UD outside non-root), the register forms of VMXON (F3 0F C7
;     /6 mod=3), INVEPT and INVVPID (66 0F 38 80/81 mod=3), and a LOCK prefix on VMPTRLD,
;     VMREAD, VMCALL and VMXOFF;
;   the processor is still in VMX root afterwards (VMPTRST succeeds), VMXOFF succeeds.
;! args: --max-insns 10000000
;! status: 1
;! stdout: vmxe0-vmxoff: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe0-vmclear: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe0-vmptrld: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe0-vmptrst: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe0-vmread: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe0-vmwrite: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe0-vmlaunch: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe0-vmresume: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe0-invept: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe0-invvpid: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe0-vmcall: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe0-vmfunc: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe1-vmxoff: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe1-vmclear: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe1-vmptrld: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe1-vmptrst: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe1-vmread: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe1-vmwrite: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe1-vmlaunch: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe1-vmresume: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe1-invept: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe1-invvpid: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe1-vmcall: EXC 06 ERR 00000000 RIP ok
;! stdout: vmxe1-vmfunc: EXC 06 ERR 00000000 RIP ok
;! stdout: compat-outside-vmxon: EXC 06 ERR 00000000 RIP ok
;! stdout: compat-outside-vmptrst: EXC 06 ERR 00000000 RIP ok
;! stdout: ok vmxon
;! stdout: ok vmptrld
;! stdout: compat-root-vmxon: EXC 06 ERR 00000000 RIP ok
;! stdout: compat-root-vmptrst: EXC 06 ERR 00000000 RIP ok
;! stdout: compat-root-vmread: EXC 06 ERR 00000000 RIP ok
;! stdout: compat-root-vmwrite: EXC 06 ERR 00000000 RIP ok
;! stdout: compat-root-vmcall: EXC 06 ERR 00000000 RIP ok
;! stdout: compat-root-vmxoff: EXC 06 ERR 00000000 RIP ok
;! stdout: compat-root-vmlaunch: EXC 06 ERR 00000000 RIP ok
;! stdout: compat-root-invept: EXC 06 ERR 00000000 RIP ok
;! stdout: root-vmfunc: EXC 06 ERR 00000000 RIP ok
;! stdout: root-vmxon-reg: EXC 06 ERR 00000000 RIP ok
;! stdout: root-invept-reg: EXC 06 ERR 00000000 RIP ok
;! stdout: root-invvpid-reg: EXC 06 ERR 00000000 RIP ok
;! stdout: root-lock-vmptrld: EXC 06 ERR 00000000 RIP ok
;! stdout: root-lock-vmread: EXC 06 ERR 00000000 RIP ok
;! stdout: root-lock-vmcall: EXC 06 ERR 00000000 RIP ok
;! stdout: root-lock-vmxoff: EXC 06 ERR 00000000 RIP ok
;! stdout: ok still-in-root
;! stdout: ok vmptrst-value
;! stdout: ok vmxoff
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"

%macro UD_CASE 3+
        PUTS %1, %2, ": "
        TRY %3
%endmacro

; every instruction but VMXON, operands valid
%macro UD_ALL 1
        mov eax, 2                      ; INVEPT/INVVPID type: all-context
        mov ebx, 0x681E                 ; GUEST_RIP
        UD_CASE %1, "vmxoff", vmxoff
        UD_CASE %1, "vmclear", vmclear [rel p_vmcs_a]
        UD_CASE %1, "vmptrld", vmptrld [rel p_vmcs_a]
        UD_CASE %1, "vmptrst", vmptrst [rel vmx_tmp]
        UD_CASE %1, "vmread", vmread rcx, rbx
        UD_CASE %1, "vmwrite", vmwrite rbx, rcx
        UD_CASE %1, "vmlaunch", vmlaunch
        UD_CASE %1, "vmresume", vmresume
        UD_CASE %1, "invept", invept rax, [rel desc]
        UD_CASE %1, "invvpid", invvpid rax, [rel desc]
        UD_CASE %1, "vmcall", vmcall
        xor eax, eax
        xor ecx, ecx
        UD_CASE %1, "vmfunc", vmfunc
%endmacro

; COMPAT_TRY name, insn: runs insn (assembled as 32-bit code) in compatibility mode
; (CS = 0x18, a 32-bit code segment of the image's GDT); it must #UD at its address,
; the handler's IRETQ resumes in compatibility mode, which far-jumps back.
%macro COMPAT_TRY 2+
        PUTS %1, ": "
        mov qword [rel exc_expect_rip], %%f
        mov qword [rel exc_resume_rip], %%r
        jmp far dword [rel %%p]           ; m16:32 (nasm adds REX.W otherwise)
%%p:    dd %%f
        dw 0x18
bits 32
%%f:    %2
%%r:    jmp 0x08:%%b
bits 64
%%b:    call exc_check_taken
%endmacro

start:
        lgdt [rel gdt_ptr]
        call idt_setup
        call vmx_setup

        UD_ALL "vmxe0-"
        call vmx_cr4_on
        UD_ALL "vmxe1-"
        mov ebx, 0x681E
        COMPAT_TRY "compat-outside-vmxon", vmxon [p_vmxon]
        COMPAT_TRY "compat-outside-vmptrst", vmptrst [vmx_tmp]

        VMX_ON
        VMX_EXPECT_OK "vmptrld", vmptrld [rel p_vmcs_a]
        mov eax, 2
        mov ebx, 0x681E
        COMPAT_TRY "compat-root-vmxon", vmxon [p_vmxon]
        COMPAT_TRY "compat-root-vmptrst", vmptrst [vmx_tmp]
        COMPAT_TRY "compat-root-vmread", vmread ecx, ebx
        COMPAT_TRY "compat-root-vmwrite", vmwrite ebx, ecx
        COMPAT_TRY "compat-root-vmcall", vmcall
        COMPAT_TRY "compat-root-vmxoff", vmxoff
        COMPAT_TRY "compat-root-vmlaunch", vmlaunch
        COMPAT_TRY "compat-root-invept", invept eax, [desc]

        xor eax, eax
        xor ecx, ecx
        UD_CASE "root-", "vmfunc", vmfunc
        UD_CASE "root-", "vmxon-reg", db 0xF3, 0x0F, 0xC7, 0xF0        ; vmxon rax
        UD_CASE "root-", "invept-reg", db 0x66, 0x0F, 0x38, 0x80, 0xC0 ; invept rax, rax
        UD_CASE "root-", "invvpid-reg", db 0x66, 0x0F, 0x38, 0x81, 0xC0
        mov ebx, 0x681E
        lea rsi, [rel p_vmcs_a]
        UD_CASE "root-", "lock-vmptrld", db 0xF0, 0x0F, 0xC7, 0x36     ; lock vmptrld [rsi]
        UD_CASE "root-", "lock-vmread", db 0xF0, 0x0F, 0x78, 0xD9      ; lock vmread rcx, rbx
        UD_CASE "root-", "lock-vmcall", db 0xF0, 0x0F, 0x01, 0xC1
        UD_CASE "root-", "lock-vmxoff", db 0xF0, 0x0F, 0x01, 0xC4

        mov qword [rel vmx_tmp], 0
        VMX_EXPECT_OK "still-in-root", vmptrst [rel vmx_tmp]
        CHECK "vmptrst-value", [rel vmx_tmp], [rel p_vmcs_a]
        VMX_EXPECT_OK "vmxoff", vmxoff
        call checks_done

        align 16, db 0
desc:   dq 0, 0

        align 8, db 0
gdt:    dq 0
        dq 0x00209A0000000000           ; 0x08: 64-bit code
        dq 0x00CF92000000FFFF           ; 0x10: data
        dq 0x00CF9A000000FFFF           ; 0x18: 32-bit code (compatibility mode)
gdt_ptr:
        dw 4 * 8 - 1
        dq gdt

ELF64_BSS
VMX_BSS
ELF64_END
