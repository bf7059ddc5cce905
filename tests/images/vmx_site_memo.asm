; What the site path keeps between runs of one VMREAD/VMWRITE must never answer for
; another state (sim/cpu/sites.c, insn_vmx.c: the lean path's per-site field memo,
; the sweep that deletes the hooks of cold sites). Each case runs one site again
; after something changed:
;   - the encoding: one VMREAD site reads GUEST_RIP, GUEST_RSP, the 16-bit guest ES
;     selector, GUEST_RIP's HIGH half, then an encoding no field has (VMfailValid(12),
;     its destination untouched), then GUEST_RIP again; one VMWRITE site writes two
;     fields in turn;
;   - the current VMCS: the same VMREAD site after VMPTRLD of another VMCS reads that
;     one's value, and after VMPTRLD of the first again its value;
;   - the code: a VMREAD site rewritten into VMWRITE (0F 78 -> 0F 79, same ModRM)
;     writes the field instead of reading it, and rewritten back reads again;
;   - the hook: a VMREAD site and an RDMSR site run once, then 20000 runs of another
;     site (the sweep looks after 1024, 3072, 7168 ... site runs and, with half the
;     sites cold, deletes their hooks: these two go at the second look), then both run
;     again and still give the field's value and IA32_VMX_BASIC's (which only vtsim
;     knows: the engine's RDMSR would not);
;   - the address space: linear page SPACE_PAGE holds vmread rax, rbx in the image's
;     own tables (A) and vmwrite rbx, rax in a copy (B) that maps it elsewhere; the
;     site runs in A, then in B (its block translated there, the site read again
;     as a VMWRITE), then in A again, whose block is still translated: a VMREAD
;     again (the lean path tests the CR3 the site was read in);
;   - 32-bit operands are not this image's (vmx_pm32 runs VMREAD/VMWRITE there).
;! args: --max-insns 10000000
;! status: 1
;! stdout: ok vmxon
;! stdout: ok vmptrld-a
;! stdout: ok enc-guest-rip
;! stdout: ok enc-guest-rsp
;! stdout: ok enc-guest-es
;! stdout: ok enc-guest-rip-high
;! stdout: ok enc-unknown-fails
;! stdout: ok enc-unknown-dest-unchanged
;! stdout: ok enc-guest-rip-again
;! stdout: ok write-site-rip
;! stdout: ok write-site-rsp
;! stdout: ok write-site-rip-value
;! stdout: ok write-site-rsp-value
;! stdout: ok vmcs-a-rip
;! stdout: ok vmptrld-b
;! stdout: ok vmcs-b-rip
;! stdout: ok vmptrld-a-again
;! stdout: ok vmcs-a-rip-again
;! stdout: ok smc-read
;! stdout: ok smc-write-field
;! stdout: ok smc-write-rax-unchanged
;! stdout: ok smc-read-back
;! stdout: ok cold-vmread-first
;! stdout: ok cold-rdmsr-first
;! stdout: ok hot-loop
;! stdout: ok cold-vmread-again
;! stdout: ok cold-rdmsr-again
;! stdout: ok space-a-read
;! stdout: ok space-b-write
;! stdout: ok space-a-read-again
;! stdout: ok vmxoff
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"

%define SENTINEL 0x5A5A5A5A5A5A5A5A
%define SPACE_PAGE 0x300000            ; the address-space case's linear page

start:
        call idt_setup
        call vmx_setup
        call vmx_paging_setup
        VMX_ON
        VMX_EXPECT_OK "vmptrld-a", vmptrld [rel p_vmcs_a]

        ; Fields of VMCS a, written by the general path (these sites are not the
        ; ones under test).
        mov ebx, 0x681E
        mov rax, 0x1111222233334444
        vmwrite rbx, rax
        mov ebx, 0x681C
        mov rax, 0x5555666677778888
        vmwrite rbx, rax
        mov ebx, 0x0800
        mov eax, 0x0abc
        vmwrite rbx, rax

        ; One site, one encoding after another.
        mov ebx, 0x681E
        call read_site
        CHECK "enc-guest-rip", rax, 0x1111222233334444
        mov ebx, 0x681C
        call read_site
        CHECK "enc-guest-rsp", rax, 0x5555666677778888
        mov ebx, 0x0800
        call read_site
        CHECK "enc-guest-es", rax, 0x0abc
        mov ebx, 0x681F                 ; natural width: no HIGH access
        mov rax, SENTINEL
        call read_site
        setz cl
        movzx ecx, cl
        CHECK "enc-guest-rip-high", rcx, 1
        mov ebx, 0x0C3E                 ; no field has this index
        mov rax, SENTINEL
        call read_site
        setz cl
        movzx ecx, cl
        CHECK "enc-unknown-fails", rcx, 1
        mov rcx, SENTINEL
        CHECK "enc-unknown-dest-unchanged", rax, rcx
        mov ebx, 0x681E
        call read_site
        CHECK "enc-guest-rip-again", rax, 0x1111222233334444

        ; One VMWRITE site, two fields.
        mov ebx, 0x681E
        mov rax, 0x0102030405060708
        call write_site
        setz cl
        movzx ecx, cl
        CHECK "write-site-rip", rcx, 0
        mov ebx, 0x681C
        mov rax, 0x1020304050607080
        call write_site
        setz cl
        movzx ecx, cl
        CHECK "write-site-rsp", rcx, 0
        mov ebx, 0x681E
        call read_site
        CHECK "write-site-rip-value", rax, 0x0102030405060708
        mov ebx, 0x681C
        call read_site
        CHECK "write-site-rsp-value", rax, 0x1020304050607080

        ; The same site, another current VMCS.
        mov ebx, 0x681E
        call read_site
        CHECK "vmcs-a-rip", rax, 0x0102030405060708
        VMX_EXPECT_OK "vmptrld-b", vmptrld [rel p_vmcs_b]
        mov ebx, 0x681E
        mov rax, 0x0BBB0BBB0BBB0BBB
        vmwrite rbx, rax
        call read_site
        CHECK "vmcs-b-rip", rax, 0x0BBB0BBB0BBB0BBB
        VMX_EXPECT_OK "vmptrld-a-again", vmptrld [rel p_vmcs_a]
        mov ebx, 0x681E
        call read_site
        CHECK "vmcs-a-rip-again", rax, 0x0102030405060708

        ; Self-modifying code: the VMREAD site becomes a VMWRITE and back.
        mov ebx, 0x681E
        call smc_site
        CHECK "smc-read", rax, 0x0102030405060708
        mov byte [rel smc_site + 1], 0x79
        mov ebx, 0x681E
        mov rax, 0x0C0C0C0C0C0C0C0C
        call smc_site                   ; now vmwrite rbx, rax
        mov rdx, rax
        mov ebx, 0x681E
        call read_site
        CHECK "smc-write-field", rax, 0x0C0C0C0C0C0C0C0C
        mov rax, 0x0C0C0C0C0C0C0C0C
        CHECK "smc-write-rax-unchanged", rdx, rax
        mov byte [rel smc_site + 1], 0x78
        mov ebx, 0x681C
        xor eax, eax
        call smc_site
        CHECK "smc-read-back", rax, 0x1020304050607080

        ; Cold sites: run once, swept while another site runs, run again.
        mov ebx, 0x681C
        call cold_vmread
        CHECK "cold-vmread-first", rax, 0x1020304050607080
        call cold_rdmsr
        mov ecx, [rel vmx_rev]
        CHECK "cold-rdmsr-first", rax, rcx
        mov ebx, 0x681E
        mov ecx, 20000
.hot:   call hot_site
        dec ecx
        jnz .hot
        CHECK "hot-loop", rax, 0x0C0C0C0C0C0C0C0C
        mov ebx, 0x681C
        xor eax, eax
        call cold_vmread
        CHECK "cold-vmread-again", rax, 0x1020304050607080
        call cold_rdmsr
        mov ecx, [rel vmx_rev]
        CHECK "cold-rdmsr-again", rax, rcx

        ; The same linear address, another address space, other code.
        call space_setup
        mov ebx, 0x681C
        mov rax, 0x0A0A0A0A0A0A0A0A
        vmwrite rbx, rax
        mov rax, SENTINEL
        mov r14, SPACE_PAGE
        call r14                        ; A: vmread rax, rbx
        mov rcx, 0x0A0A0A0A0A0A0A0A
        CHECK "space-a-read", rax, rcx
        lea rax, [rel space_pml4]
        mov cr3, rax
        mov rax, 0x0B0B0B0B0B0B0B0B
        call r14                        ; B: vmwrite rbx, rax
        lea rax, [rel vmx_pml4]
        mov cr3, rax
        mov ebx, 0x681C
        call read_site
        mov rcx, 0x0B0B0B0B0B0B0B0B
        CHECK "space-b-write", rax, rcx
        mov rax, SENTINEL
        call r14                        ; A again: vmread rax, rbx
        mov rcx, 0x0B0B0B0B0B0B0B0B
        CHECK "space-a-read-again", rax, rcx

        VMX_EXPECT_OK "vmxoff", vmxoff
        call checks_done

; Each site alone in its routine: vmread rax, rbx (0F 78 D8), or vmwrite rbx, rax.
        align 16, int3
read_site:
        vmread rax, rbx
        ret
        align 16, int3
write_site:
        vmwrite rbx, rax
        ret
        align 16, int3
smc_site:
        vmread rax, rbx
        ret
        align 16, int3
hot_site:
        push rax
        vmread rax, rbx
        add rsp, 8
        ret
        align 16, int3
cold_vmread:
        vmread rax, rbx
        ret
; Address space B: a copy of the image's tables (vmx_paging_setup's) in which linear
; SPACE_PAGE maps SPACE_PAGE + 1000H; A's page gets vmread rax, rbx; ret and B's
; vmwrite rbx, rax; ret (0F 78 D8 C3, 0F 79 D8 C3).
space_setup:
        lea rsi, [rel vmx_pml4]
        lea rdi, [rel space_pml4]
        mov ecx, 4 * 4096 / 8
        cld
        rep movsq
        lea rax, [rel space_pdpt]
        or rax, 3
        mov [rel space_pml4], rax
        lea rax, [rel space_pd]
        or rax, 3
        mov [rel space_pdpt], rax
        lea rax, [rel space_pt]
        or rax, 3
        mov [rel space_pd + 8], rax
        mov qword [rel space_pt + ((SPACE_PAGE - 0x200000) >> 12) * 8], (SPACE_PAGE + 0x1000) | 3
        mov edi, SPACE_PAGE
        mov dword [rdi], 0xC3D8780F
        mov dword [rdi + 0x1000], 0xC3D8790F
        ret

        align 16, int3
cold_rdmsr:                             ; eax := IA32_VMX_BASIC[31:0]
        push rcx
        push rdx
        mov ecx, 0x480
        rdmsr
        pop rdx
        pop rcx
        ret

ELF64_BSS
VMX_BSS
        alignb 4096
space_pml4:     resb 4096               ; space_setup's copies of vmx_pml4 .. vmx_pt
space_pdpt:     resb 4096
space_pd:       resb 4096
space_pt:       resb 4096
ELF64_END
