; A TD's whole life, driven from bare-metal code in VMX root operation on a --tdx
; machine, the way Linux and KVM drive the TDX module:
;  - the platform (tdx_bringup.inc): VMXON, TDH.SYS.INIT, LP.INIT, SYS.RD, one TDMR
;    with its PAMT (SYS.CONFIG), SYS.KEY.CONFIG, TDMR.INIT;
;  - the TD: MNG.CREATE, MNG.KEY.CONFIG, MNG.ADDCX, MNG.INIT (TD_PARAMS), VP.CREATE,
;    VP.ADDCX, VP.INIT; the guest below (4 pages at GPA 0xFFFFC000) mapped in the
;    S-EPT (SEPT.ADD, levels 3-1), added (PAGE.ADD from the image's copy) and
;    measured (16 MR.EXTENDs a page); MR.FINALIZE;
;  - TDH.VP.ENTER until the guest halts, each TDVMCALL<Instruction.IO> answered by
;    printing its byte on COM1 (so the TD's message is the run's output);
;  - teardown: VP.FLUSH, MNG.VPFLUSHDONE, PHYMEM.CACHE.WB, MNG.KEY.FREEID and
;    PHYMEM.PAGE.RECLAIM of all 20 pages (TDR, 6 TDCS, TDVPR, 5 TDCX, 3 S-EPT, 4
;    guest), the TDR last.
; Every SEAMCALL's status is checked: anything unexpected prints the leaf and the
; status and exits with status 3.
;! args: --tdx --mem 128M --max-insns 50000000
;! status: 1
;! stdout: TDX module initialized: 1 TDMR, PAMT 4108 KiB, global KeyID 16
;! stdout: TD created
;! stdout: TD finalized
;! stdout: Hello from a TD: long mode, TDG.VP.VMCALL<Instruction.IO> for each byte
;! stdout: TD halted after 73 TDVMCALLs
;! stdout: TD torn down: 20 pages reclaimed
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "tdx_bringup.inc"

start:
        TDX_START_PLATFORM_AND_TD
        call td_run
        PUTS "TD halted after "
        call put_dec
        PUTSLN " TDVMCALLs"
        call td_teardown
        exit_with 0

; ---------------------------------------------------------------- the TD guest
; Starts at the reset vector in 32-bit protected mode, enters long mode (the boot in
; TD_GUEST_BEGIN), prints its message one TDVMCALL<Instruction.IO> per byte, and
; halts with TDVMCALL<Instruction.HLT>.
TD_GUEST_BEGIN
td_guest_main:
        lea rsi, [rel td_msg]
.next:  movzx r15d, byte [rsi]
        test r15d, r15d
        jz .halt
        mov r11d, TDVMCALL_IO
        mov r12d, 1                             ; size
        mov r13d, 1                             ; OUT
        mov r14d, COM1
        call td_tdvmcall
        test rax, rax                           ; TDCALL itself
        jnz .fail
        test r10, r10                           ; the VMM's answer
        jnz .fail
        inc rsi
        jmp .next
.halt:  mov r11d, TDVMCALL_HLT
        xor r12d, r12d
        call td_tdvmcall
        jmp .halt
.fail:  ud2                                     ; a #UD in a TD without an IDT: a triple fault
td_msg: db "Hello from a TD: long mode, TDG.VP.VMCALL<Instruction.IO> for each byte", 10, 0
TD_GUEST_END

ELF64_BSS
VMX_BSS
ELF64_END
