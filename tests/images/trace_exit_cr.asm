; The trace's control-register exits: CR number, access type, general register
; (vmexit_cr's exits).
;! args: --max-insns 20000000 --trace=vmx
;! status: 1
;! stderr: ^exit lp0 .* reason=28 CR_ACCESS qual=0x100 len=3 rip=0x[0-9a-f]+ cr=0 type=mov-to-cr gpr=rcx insn=mov cr0, rcx$
;! stderr: ^exit lp0 .* reason=28 CR_ACCESS qual=0x313 len=3 rip=0x[0-9a-f]+ cr=3 type=mov-from-cr gpr=rbx insn=mov rbx, cr3$
%include "vmexit_cr.asm"
