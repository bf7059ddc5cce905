; A TD whose guest triple-faults (a #UD with no IDT) is explained on stderr: the
; TD's shutdown (its #UD, the #PFs at the IDT it has not mapped, the #DF), and
; TDH.VP.ENTER's TDX_NON_RECOVERABLE_VCPU with the exit reason (2) in bits 31:0,
; after which the vCPU will not run again; teardown still reclaims every page.
; Built and torn down as in td_lifecycle.asm (tdx_bringup.inc).
;! args: --tdx --mem 128M --max-insns 50000000
;! status: 1
;! stdout: TDX module initialized: 1 TDMR, PAMT 4108 KiB, global KeyID 16
;! stdout: TD created
;! stdout: TD finalized
;! stdout: TDH.VP.ENTER: TDX_NON_RECOVERABLE_VCPU
;! stdout: TD torn down: 20 pages reclaimed
;! stderr: ^vtsim: lp0: the guest shut down, a VM exit with reason 2 \(TRIPLE_FAULT\) to its VMM: #UD \(vector 6, RIP=0x[0-9a-f]+\) -> #PF .* -> #DF \(vector 8, error 0x0, RIP=0x[0-9a-f]+\)\. Why: 
;! stderr: ^vtsim: SEAMCALL TDH.VP.ENTER on lp0 returned TDX_NON_RECOVERABLE_VCPU \(0x4000000100000002\): the vCPU hit an error it cannot recover from and will not run again; tear the TD down \(TDX module ABI, "Completion Status Codes"\)$
;! not-stderr: TDX_TD_FATAL

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "tdx_bringup.inc"

start:
        TDX_START_PLATFORM_AND_TD
        mov rcx, [rel td_tdvpr]
        call td_vp_enter
        mov rbx, 0x4000000100000002             ; TDX_NON_RECOVERABLE_VCPU, exit reason 2
        cmp rax, rbx
        jne .wrong
        PUTSLN "TDH.VP.ENTER: TDX_NON_RECOVERABLE_VCPU"
        call td_teardown
        exit_with 0
.wrong: PUTSLN "FAIL: TDH.VP.ENTER did not return TDX_NON_RECOVERABLE_VCPU"
        exit_with TDX_FAIL_EXIT

; ---------------------------------------------------------------- the TD guest
; A #UD with no IDT: #UD, then #GP for the missing gate, then #DF, then shutdown.
TD_GUEST_BEGIN
td_guest_main:
        ud2
TD_GUEST_END

ELF64_BSS
VMX_BSS
ELF64_END
