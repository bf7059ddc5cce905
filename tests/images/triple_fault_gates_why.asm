; The triple-fault report names the gates that were not present (triple_fault_gates).
;! status: 3
;! stderr: Why: #NP error 0x6b names IDT vector 13 while delivering an earlier event: its gate is not present \(P = 0\); #NP error 0x43 names IDT vector 8 while delivering an earlier event: its gate is not present \(P = 0\); a fault while the processor delivers a #DF
%include "triple_fault_gates.asm"
