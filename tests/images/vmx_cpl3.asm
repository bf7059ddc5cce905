; VMX instructions at CPL 3 (SDM Vol. 3C VMX instruction reference: after the #UD
; conditions and before anything else, "IF CPL > 0 THEN #GP(0)"). The image builds
; its own GDT (ring-3 code/data, a TSS whose RSP0 takes exceptions from ring 3) and
; user-accessible identity page tables, and IRETQs to ring 3 with IOPL 3 (so it can
; print); a UD2 at the end of each ring-3 part comes back to ring 0.
;   - in VMX root: VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH,
;     VMRESUME, INVEPT, INVVPID, VMCALL: #GP(0); the CPL check comes before the memory
;     operand (#GP(0), not #PF, for an operand on a not-present page); VMFUNC #UD;
;     back in ring 0 the processor is still in VMX root with the same current VMCS;
;     SEAMCALL (the CPU model has SEAM) #GP(0) too, and vtsim says why;
;   - outside VMX operation (CR4.VMXE = 1): VMXON #GP(0), VMPTRLD and VMCALL #UD.
;! args: --max-insns 10000000
;! status: 1
;! stdout: ok vmxon
;! stdout: ok vmptrld
;! stdout: cpl3-vmxon: EXC 0d ERR 00000000 RIP ok
;! stdout: cpl3-vmxoff: EXC 0d ERR 00000000 RIP ok
;! stdout: cpl3-vmclear: EXC 0d ERR 00000000 RIP ok
;! stdout: cpl3-vmptrld: EXC 0d ERR 00000000 RIP ok
;! stdout: cpl3-vmptrld-not-present: EXC 0d ERR 00000000 RIP ok
;! stdout: cpl3-vmptrst: EXC 0d ERR 00000000 RIP ok
;! stdout: cpl3-vmread: EXC 0d ERR 00000000 RIP ok
;! stdout: cpl3-vmwrite: EXC 0d ERR 00000000 RIP ok
;! stdout: cpl3-vmlaunch: EXC 0d ERR 00000000 RIP ok
;! stdout: cpl3-vmresume: EXC 0d ERR 00000000 RIP ok
;! stdout: cpl3-invept: EXC 0d ERR 00000000 RIP ok
;! stdout: cpl3-invvpid: EXC 0d ERR 00000000 RIP ok
;! stdout: cpl3-vmcall: EXC 0d ERR 00000000 RIP ok
;! stdout: cpl3-vmfunc: EXC 06 ERR 00000000 RIP ok
;! stdout: cpl3-seamcall: EXC 0d ERR 00000000 RIP ok
;! stdout: ok back-in-ring0
;! stdout: ok vmptrst
;! stdout: ok current-vmcs-kept
;! stdout: ok vmread-guest-rip
;! stdout: ok vmxoff
;! stdout: cpl3-outside-vmxon: EXC 0d ERR 00000000 RIP ok
;! stdout: cpl3-outside-vmptrld: EXC 06 ERR 00000000 RIP ok
;! stdout: cpl3-outside-vmcall: EXC 06 ERR 00000000 RIP ok
;! stdout: ok back-in-ring0-again
;! not-stderr: triple
;! stderr: ^vtsim: SEAMCALL at RIP=0x[0-9a-f]+ on lp0: #GP\(0\)\. SEAMCALL needs CPL 0: call it from the kernel \(Intel TDX CPU architecture specification, "SEAMCALL"\)$

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"

%define USER_NP 0x19000000              ; a 2 MiB page left not present

start:
        lgdt [rel gdt_ptr]
        lea rsp, [rel kstack_top]
        call idt_setup
        call vmx_setup
        ; TSS: RSP0, and its descriptor at 0x28
        lea rax, [rel kstack0_top]
        mov [rel tss + 4], rax
        lea rax, [rel tss]
        mov word [rel gdt + 0x28], 0x67
        mov [rel gdt + 0x28 + 2], ax
        shr rax, 16
        mov [rel gdt + 0x28 + 4], al
        mov byte [rel gdt + 0x28 + 5], 0x89     ; P, 64-bit TSS (available)
        mov [rel gdt + 0x28 + 7], ah
        shr rax, 16
        mov [rel gdt + 0x28 + 8], eax
        mov ax, 0x28
        ltr ax
        ; page tables: 0-1 GiB, 2 MiB pages, user-accessible, one hole
        lea rax, [rel upd]
        or rax, 7
        mov [rel updpt], rax
        lea rax, [rel updpt]
        or rax, 7
        mov [rel upml4], rax
        lea rdi, [rel upd]
        mov eax, 0x87
        mov ecx, 512
.pde:   mov [rdi], rax
        add rax, 0x200000
        add rdi, 8
        dec ecx
        jnz .pde
        mov qword [rel upd + (USER_NP >> 21) * 8], 0
        lea rax, [rel upml4]
        mov cr3, rax

        VMX_ON
        VMX_EXPECT_OK "vmptrld", vmptrld [rel p_vmcs_a]
        mov ebx, 0x681E
        mov eax, 0x4321
        vmwrite rbx, rax
        lea rax, [rel user_root]
        call enter_user
        PUTSLN "ok back-in-ring0"
        mov qword [rel vmx_tmp], 0
        VMX_EXPECT_OK "vmptrst", vmptrst [rel vmx_tmp]
        CHECK "current-vmcs-kept", [rel vmx_tmp], [rel p_vmcs_a]
        VMX_READ_CHECK "vmread-guest-rip", 0x681E, 0x4321
        VMX_EXPECT_OK "vmxoff", vmxoff
        lea rax, [rel user_outside]
        call enter_user
        PUTSLN "ok back-in-ring0-again"
        call checks_done

; rax = ring-3 entry point; returns when the ring-3 code executes UD2
enter_user:
        mov [rel ksave], rsp
        push qword 0x23                 ; SS
        lea rcx, [rel ustack_top]
        push rcx                        ; RSP
        push qword 0x3002               ; RFLAGS: IOPL 3
        push qword 0x1B                 ; CS
        push rax                        ; RIP
        iretq

; #UD handler for the UD2 that ends a ring-3 part: resume in ring 0 at enter_user's
; return address
back_to_ring0:
        lea rax, [rel .ret]
        mov [rdi + FR_RIP], rax
        mov qword [rdi + FR_CS], 0x08
        mov qword [rdi + FR_RFLAGS], 2
        mov rax, [rel ksave]
        mov [rdi + FR_RSP], rax
        mov qword [rdi + FR_SS], 0x10
        mov qword [rel exc_handlers + 6 * 8], 0
        ret
.ret:   ret

user_root:
        mov eax, 2
        mov ebx, 0x681E
        VMX_EXPECT_EXC "cpl3-vmxon", vmxon [rel p_vmxon]
        VMX_EXPECT_EXC "cpl3-vmxoff", vmxoff
        VMX_EXPECT_EXC "cpl3-vmclear", vmclear [rel p_vmcs_a]
        VMX_EXPECT_EXC "cpl3-vmptrld", vmptrld [rel p_vmcs_a]
        mov rcx, USER_NP
        VMX_EXPECT_EXC "cpl3-vmptrld-not-present", vmptrld [rcx]
        VMX_EXPECT_EXC "cpl3-vmptrst", vmptrst [rel vmx_tmp]
        VMX_EXPECT_EXC "cpl3-vmread", vmread rcx, rbx
        VMX_EXPECT_EXC "cpl3-vmwrite", vmwrite rbx, rcx
        VMX_EXPECT_EXC "cpl3-vmlaunch", vmlaunch
        VMX_EXPECT_EXC "cpl3-vmresume", vmresume
        VMX_EXPECT_EXC "cpl3-invept", invept rax, [rel desc]
        VMX_EXPECT_EXC "cpl3-invvpid", invvpid rax, [rel desc]
        VMX_EXPECT_EXC "cpl3-vmcall", vmcall
        xor eax, eax
        xor ecx, ecx
        VMX_EXPECT_EXC "cpl3-vmfunc", vmfunc
        VMX_EXPECT_EXC "cpl3-seamcall", db 0x66, 0x0f, 0x01, 0xcf      ; SEAMCALL
        SET_HANDLER 6, back_to_ring0
        ud2

user_outside:
        VMX_EXPECT_EXC "cpl3-outside-vmxon", vmxon [rel p_vmxon]
        VMX_EXPECT_EXC "cpl3-outside-vmptrld", vmptrld [rel p_vmcs_a]
        VMX_EXPECT_EXC "cpl3-outside-vmcall", vmcall
        SET_HANDLER 6, back_to_ring0
        ud2

        align 16, db 0
desc:   dq 0, 0
ksave:  dq 0

        align 8, db 0
gdt:    dq 0
        dq 0x00209A0000000000           ; 0x08: 64-bit code, DPL 0
        dq 0x0000920000000000           ; 0x10: data, DPL 0
        dq 0x0020FA0000000000           ; 0x18: 64-bit code, DPL 3
        dq 0x0000F20000000000           ; 0x20: data, DPL 3
        dq 0, 0                         ; 0x28: TSS (filled in)
gdt_ptr:
        dw 7 * 8 - 1
        dq gdt

        align 16, db 0
tss:    times 104 db 0

ELF64_BSS
VMX_BSS
upml4:  resb 4096
updpt:  resb 4096
upd:    resb 4096
        resb 8192
kstack_top:
        resb 8192
kstack0_top:
        resb 8192
ustack_top:
ELF64_END
