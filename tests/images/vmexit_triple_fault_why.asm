; A guest's triple fault is a VM exit (reason 2) that tells its VMM nothing more;
; vtsim says on stderr which faults led to it and why (vmexit_triple_fault's guest:
; an IDT limit of 0).
;! args: --max-insns 20000000
;! status: 1
;! stderr: ^vtsim: lp0: the guest shut down, a VM exit with reason 2 \(TRIPLE_FAULT\) to its VMM: #UD \(vector 6, RIP=0x[0-9a-f]+\) -> #GP \(vector 13, error 0x33, RIP=0x[0-9a-f]+\) -> .*Why: #GP error 0x33 names IDT vector 6 while delivering an earlier event: its gate lies beyond the IDT limit 0x0
;! not-stderr: triple fault \(shutdown\)
%include "vmexit_triple_fault.asm"
