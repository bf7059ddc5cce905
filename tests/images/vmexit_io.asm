; I/O instructions in a guest (reason 30, fault-like). With "unconditional I/O
; exiting" (primary bit 24) every one exits; the qualification is size-1 (2:0),
; IN (3), string (4), REP (5), immediate operand (6), port (31:16), and the
; instruction length is the whole instruction's. With "use I/O bitmaps" (bit 25)
; bitmap A (ports 0-7FFFh) and B (8000h-FFFFh) decide: port 80h and 8001h are set;
; the guest's COM1 output (3F8h/3FDh clear) goes straight out; a 4-byte access at
; 7FFEh exits because it touches 8001h; a 2-byte access at FFFFh wraps and exits.
; The exits are fault-like: an exiting INSD stores nothing and leaves RDI alone, and
; the value the VMM puts in AL for an emulated IN is what the guest sees.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok out-imm8-reason
;! stdout: ok out-imm8-qual
;! stdout: ok out-imm8-len
;! stdout: ok out-imm8-rip
;! stdout: ok in-dx-reason
;! stdout: ok in-dx-qual
;! stdout: ok in-dx-len
;! stdout: ok in-dx-rip
;! stdout: ok in-imm8-dword-qual
;! stdout: ok in-imm8-dword-len
;! stdout: ok out-dx-word-qual
;! stdout: ok out-dx-word-len
;! stdout: ok rep-outsb-qual
;! stdout: ok rep-outsb-len
;! stdout: ok insd-qual
;! stdout: ok insd-len
;! stdout: ok insd-rdi-kept
;! stdout: ok insd-no-store
;! stdout: ok guest-saw-in-value
;! stdout: ok uncond-done
;! stdout: guest: COM1 without an exit
;! stdout: ok bm-out-80-qual
;! stdout: ok bm-out-80-rip
;! stdout: ok bm-in-8001-qual
;! stdout: ok bm-in-8001-rip
;! stdout: ok bm-span-7ffe-qual
;! stdout: ok bm-wrap-ffff-qual
;! stdout: ok bm-done
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"


start:
        call idt_setup
        VMM_SETUP 0, 1 << 24, 0, 0      ; unconditional I/O exiting
        VMM_GUEST guest
        call vmm_run
        CHECK "out-imm8-reason", rax, 30
        VMM_CHECK "out-imm8-qual", VMCS_EXIT_QUAL, 0x00800040
        VMM_CHECK "out-imm8-len", VMCS_EXIT_INSLEN, 2
        VMM_CHECK "out-imm8-rip", VMCS_GUEST_RIP, guest.out_imm
        call vmm_skip
        call vmm_run
        CHECK "in-dx-reason", rax, 30
        VMM_CHECK "in-dx-qual", VMCS_EXIT_QUAL, 0x03fd0008
        VMM_CHECK "in-dx-len", VMCS_EXIT_INSLEN, 1
        VMM_CHECK "in-dx-rip", VMCS_GUEST_RIP, guest.in_dx
        call vmm_skip
        mov al, 0x5a                    ; the emulated IN's value
        call vmm_run
        VMM_CHECK "in-imm8-dword-qual", VMCS_EXIT_QUAL, 0x0071004b
        VMM_CHECK "in-imm8-dword-len", VMCS_EXIT_INSLEN, 2
        call vmm_skip
        call vmm_run
        VMM_CHECK "out-dx-word-qual", VMCS_EXIT_QUAL, 0x12340001
        VMM_CHECK "out-dx-word-len", VMCS_EXIT_INSLEN, 2
        call vmm_skip
        call vmm_run
        VMM_CHECK "rep-outsb-qual", VMCS_EXIT_QUAL, 0x00800030
        VMM_CHECK "rep-outsb-len", VMCS_EXIT_INSLEN, 2
        call vmm_skip
        call vmm_run
        VMM_CHECK "insd-qual", VMCS_EXIT_QUAL, 0x0080001b
        VMM_CHECK "insd-len", VMCS_EXIT_INSLEN, 1
        CHECK "insd-rdi-kept", rdi, scratch     ; fault-like: nothing of INSD happened
        CHECK "insd-no-store", [rel scratch], 0x1111111111111111
        call vmm_skip
        call vmm_run
        CHECK "guest-saw-in-value", r12, 0x5a
        CHECK "uncond-done", rax, 18
        ; ---- with I/O bitmaps
        or byte [rel vmm_io_bitmap_a + 0x80 / 8], 1 << (0x80 % 8)
        or byte [rel vmm_io_bitmap_b + 0x0001 / 8], 1 << (0x0001 % 8)     ; 8001h
        VMM_CLRBITS VMCS_PROC_CTLS, 1 << 24
        VMM_SETBITS VMCS_PROC_CTLS, 1 << 25
        call vmm_skip
        call vmm_run
        VMM_CHECK "bm-out-80-qual", VMCS_EXIT_QUAL, 0x00800040
        VMM_CHECK "bm-out-80-rip", VMCS_GUEST_RIP, guest.bm_out80
        call vmm_skip
        call vmm_run
        VMM_CHECK "bm-in-8001-qual", VMCS_EXIT_QUAL, 0x80010008
        VMM_CHECK "bm-in-8001-rip", VMCS_GUEST_RIP, guest.bm_in8001
        call vmm_skip
        call vmm_run
        VMM_CHECK "bm-span-7ffe-qual", VMCS_EXIT_QUAL, 0x7ffe0003
        call vmm_skip
        call vmm_run
        VMM_CHECK "bm-wrap-ffff-qual", VMCS_EXIT_QUAL, 0xffff0009
        call vmm_skip
        call vmm_run
        CHECK "bm-done", rax, 18
        call checks_done

guest:
.out_imm:
        out 0x80, al
        mov dx, 0x3fd
.in_dx: in al, dx
        movzx r12d, al
        in eax, 0x71
        mov dx, 0x1234
        out dx, ax
        mov dx, 0x80
        lea rsi, [rel msg]
        mov ecx, 1
        rep outsb
        lea rdi, [rel scratch]
        insd
        vmcall
        lea rsi, [rel msg]
        call puts                       ; COM1: not in the bitmap
.bm_out80:
        out 0x80, al
        mov dx, 0x8001
.bm_in8001:
        in al, dx
        mov dx, 0x7ffe
        out dx, eax
        mov dx, 0xffff
        in ax, dx
        vmcall
        ud2

msg:    db "guest: COM1 without an exit", 10, 0
        align 8, db 0
scratch: dq 0x1111111111111111

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
