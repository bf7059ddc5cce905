; The first steps of the TDX module's bring-up from bare-metal code on a --tdx
; machine: SEAMCALL (66 0F 01 CF) outside VMX operation is #UD; after VMXON,
; TDH.SYS.INIT (33), TDH.SYS.LP.INIT (35) and TDH.SYS.RD (34) of MAJOR_VERSION
; return with VMsucceed (CF = ZF = 0 ...), RAX = 0 (TDX_SUCCESS), R8 = the value and
; RDX = the next field id (UPDATE_VERSION); a second TDH.SYS.INIT is
; TDX_SYS_INIT_NOT_PENDING (0xC000050000000000), and a leaf number the module does
; not know is TDX_OPERAND_INVALID with operand id RAX (0xC000010000000000).
; The SEAM range (IA32_SEAMRR_PHYS_BASE), where the module keeps its global data,
; is the abort page from here: it reads all ones and a write is dropped, so the
; module still knows that TDH.SYS.INIT was done.
;! args: --tdx --max-insns 10000000
;! status: 1
;! stderr: ^vtsim: SEAMCALL TDH\.SYS\.INIT\(33\) at RIP=0x101ec5 on lp0 returned TDX_SYS_INIT_NOT_PENDING \(0xc000050000000000\): TDH\.SYS\.INIT runs once per platform, first; it has run already \(TDX module ABI, "TDH\.SYS\.INIT Leaf" and "Completion Status Codes"\)$
;! stderr: ^vtsim: SEAMCALL leaf 32767 \(not one of the module\) at RIP=0x101f48 on lp0 returned TDX_OPERAND_INVALID \(0xc000010000000000\), operand RAX \(operand id 0\): an operand of the leaf \(the register the low bits name\) is not valid: misaligned, a reserved bit set, an address outside the TDMRs or the TD's GPA width, or a value the leaf does not take \(TDX module ABI, "Completion Status Codes"; "Operand IDs"\)$
;! stdout: seamcall-before-vmxon: EXC 06 ERR 00000000 RIP ok
;! stdout: ok vmxon
;! stdout: ok sys-init
;! stdout: ok sys-init-rax
;! stdout: ok lp-init
;! stdout: ok lp-init-rax
;! stdout: ok sys-rd-major
;! stdout: ok sys-rd-major-rax
;! stdout: ok sys-rd-major-r8
;! stdout: ok sys-rd-major-next
;! stdout: ok seamrr-reads-ones
;! stdout: ok seamrr-write-dropped
;! stdout: ok sys-init-again
;! stdout: ok sys-init-again-rax
;! stdout: ok unknown-leaf
;! stdout: ok unknown-leaf-rax
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "tdx_bringup.inc"         ; SEAMCALL, the leaves and field ids

start:
        call idt_setup
        call vmx_setup
        mov eax, TDH_SYS_INIT
        xor ecx, ecx
        VMX_EXPECT_EXC "seamcall-before-vmxon", SEAMCALL
        VMX_ON

        mov eax, TDH_SYS_INIT
        xor ecx, ecx
        VMX_EXPECT_OK "sys-init", SEAMCALL
        CHECK "sys-init-rax", rax, 0

        mov eax, TDH_SYS_LP_INIT
        VMX_EXPECT_OK "lp-init", SEAMCALL
        CHECK "lp-init-rax", rax, 0

        mov eax, TDH_SYS_RD
        mov rdx, MD_MAJOR_VERSION
        mov r8, -1
        VMX_EXPECT_OK "sys-rd-major", SEAMCALL
        CHECK "sys-rd-major-rax", rax, 0
        CHECK "sys-rd-major-r8", r8, 1
        mov rcx, MD_UPDATE_VERSION
        CHECK "sys-rd-major-next", rdx, rcx

        mov ecx, 0x1400                 ; IA32_SEAMRR_PHYS_BASE
        rdmsr
        shl rdx, 32
        or rax, rdx
        and rax, ~0xfff
        mov rbx, rax
        mov rax, [rbx]
        CHECK "seamrr-reads-ones", rax, -1
        mov qword [rbx], 0
        mov qword [rbx + 8], 0
        mov rax, [rbx]
        CHECK "seamrr-write-dropped", rax, -1

        mov eax, TDH_SYS_INIT
        xor ecx, ecx
        VMX_EXPECT_OK "sys-init-again", SEAMCALL
        mov rcx, TDX_SYS_INIT_NOT_PENDING
        CHECK "sys-init-again-rax", rax, rcx

        mov eax, 0x7fff
        VMX_EXPECT_OK "unknown-leaf", SEAMCALL
        mov rcx, TDX_OPERAND_INVALID
        CHECK "unknown-leaf-rax", rax, rcx
        jmp checks_done

ELF64_BSS
VMX_BSS
ELF64_END
