; The TDX bring-up of tdx_bringup.asm with --json: the SEAMCALL refused before VMXON
; and the two error statuses come as JSON objects (leaf, RIP, status, name, operand,
; rule, ABI sections), and nothing as a vtsim: line.
;! args: --tdx --json --max-insns 10000000
;! status: 1
;! stderr: ^\{"event": "seamcall-refused", "lp": 0, "rip": "0x101c11", "result": "#UD", "rule": "SEAMCALL exists only in VMX operation: execute VMXON first", "spec": "SEAMCALL"\}$
;! stderr: ^\{"event": "seamcall-error", "lp": 0, "leaf": "TDH\.SYS\.INIT\(33\)", "rip": "0x101ec5", "status": "0xc000050000000000", "name": "TDX_SYS_INIT_NOT_PENDING", "operand": "", "rule": "TDH\.SYS\.INIT runs once per platform, first; it has run already", "abi": "TDH\.SYS\.INIT Leaf; Completion Status Codes"\}$
;! stderr: ^\{"event": "seamcall-error", "lp": 0, "leaf": "leaf 32767 \(not one of the module\)", "rip": "0x101f48", "status": "0xc000010000000000", "name": "TDX_OPERAND_INVALID", "operand": "operand RAX \(operand id 0\)", "rule": "an operand of the leaf \(the register the low bits name\) is not valid: misaligned, a reserved bit set, an address outside the TDMRs or the TD's GPA width, or a value the leaf does not take", "abi": "Completion Status Codes"\}$
;! not-stderr: ^vtsim:
%include "tdx_bringup.asm"
