; The trace's exception exits: the VM-exit interruption information decoded (vector,
; name, type, error code) and, for #PF, the qualification as the faulting address
; (vmexit_exception's exits).
;! args: --max-insns 20000000 --trace=vmx
;! status: 1
;! stderr: ^exit lp0 .* reason=0 EXCEPTION_NMI qual=0x0 len=0 rip=0x[0-9a-f]+ vector=6 name=#UD type=hw-exception insn=ud2$
;! stderr: ^exit lp0 .* reason=0 EXCEPTION_NMI qual=0x0 len=1 rip=0x[0-9a-f]+ vector=3 name=#BP type=sw-exception insn=int3$
;! stderr: ^exit lp0 .* reason=0 EXCEPTION_NMI qual=0x3fe000 len=0 rip=0x[0-9a-f]+ pf_linear=0x3fe000 vector=14 name=#PF type=hw-exception err=0x0 insn=mov al, byte ptr \[rbx\]$
%include "vmexit_exception.asm"
