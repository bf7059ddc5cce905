; SEAMCALL the processor refuses, explained on stderr: outside VMX operation it is
; #UD; in VMX root operation on a machine without --tdx (the CPU has SEAM, but no
; TDX module is loaded in the SEAM range) it is VMfailInvalid with RAX unchanged.
; The loop makes the same VMfailInvalid three times at one RIP: it is explained
; once (tests/tools/diag_once.sh counts).
;! status: 1
;! stdout: seamcall-before-vmxon: EXC 06 ERR 00000000 RIP ok
;! stdout: ok vmxon
;! stdout: ok no-module
;! stdout: ok no-module-rax
;! stdout: ok no-module
;! stdout: ok no-module-rax
;! stdout: ok no-module
;! stdout: ok no-module-rax
;! stderr: ^vtsim: SEAMCALL at RIP=0x[0-9a-f]+ on lp0: #UD\. SEAMCALL exists only in VMX operation: execute VMXON first \(Intel TDX CPU architecture specification, "SEAMCALL"\)$
;! stderr: ^vtsim: SEAMCALL at RIP=0x[0-9a-f]+ on lp0: VMfailInvalid \(CF=1, RAX unchanged; Linux reports TDX_SEAMCALL_VMFAILINVALID\)\. No TDX module is loaded in the SEAM range \(SEAMRR\): run with --tdx, which loads vtsim's TDX module \(Intel TDX CPU architecture specification, "SEAMCALL"\)$

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "tdx_bringup.inc"

start:
        call idt_setup
        call vmx_setup
        mov eax, TDH_SYS_INIT
        xor ecx, ecx
        VMX_EXPECT_EXC "seamcall-before-vmxon", SEAMCALL
        VMX_ON

        mov r12d, 3
.again: mov eax, TDH_SYS_INIT
        xor ecx, ecx
        VMX_EXPECT_FAIL_INVALID "no-module", SEAMCALL
        CHECK "no-module-rax", rax, TDH_SYS_INIT
        dec r12d
        jnz .again
        jmp checks_done

ELF64_BSS
VMX_BSS
ELF64_END
