; The trace's EPT-violation exits: access, the rights the entries gave, guest-linear
; validity and kind, the guest-physical and guest-linear addresses, the instruction;
; a fetch from a page the EPT does not map cannot be disassembled (vmexit_ept's exits).
;! args: --max-insns 20000000 --trace=vmx
;! status: 1
;! stderr: ^exit lp0 .* reason=48 EPT_VIOLATION qual=0x181 len=0 rip=0x[0-9a-f]+ access=r allowed=- gla_valid=1 gla_kind=final nmi_unblocking=0 gpa=0x119123 gla=0x119123 insn=mov rax, qword ptr \[rip \+ 0x[0-9a-f]+\]$
;! stderr: ^exit lp0 .* reason=48 EPT_VIOLATION qual=0x18a .* access=w allowed=r gla_valid=1 gla_kind=final nmi_unblocking=0 gpa=0x119456 gla=0x119456 insn=mov qword ptr
;! stderr: ^exit lp0 .* reason=48 EPT_VIOLATION qual=0x19c len=0 rip=0x119010 access=x allowed=rw .* gpa=0x119010 gla=0x119010 insn=\(unreadable\)$
%include "vmexit_ept.asm"
