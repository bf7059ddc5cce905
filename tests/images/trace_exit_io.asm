; The trace's exit lines decode the I/O qualification (direction, size, port, string,
; REP, immediate port) and disassemble the guest instruction (vmexit_io's exits).
;! args: --max-insns 20000000 --trace=vmx
;! status: 1
;! stderr: ^exit lp0 vmcs=0x[0-9a-f]+ reason=30 IO_INSTRUCTION qual=0x800040 len=2 rip=0x[0-9a-f]+ dir=out size=1 port=0x80 string=0 rep=0 imm=1 insn=out 0x80, al$
;! stderr: ^exit lp0 .* reason=30 IO_INSTRUCTION qual=0x3fd0008 len=1 .* dir=in size=1 port=0x3fd string=0 rep=0 imm=0 insn=in al, dx$
;! stderr: ^exit lp0 .* reason=30 IO_INSTRUCTION qual=0x12340001 len=2 .* dir=out size=2 port=0x1234 string=0 rep=0 imm=0 insn=out dx, ax$
;! stderr: ^exit lp0 .* reason=30 IO_INSTRUCTION qual=0x800030 len=2 .* dir=out size=1 port=0x80 string=1 rep=1 imm=0 insn=rep outsb dx, byte ptr \[rsi\]$
%include "vmexit_io.asm"
