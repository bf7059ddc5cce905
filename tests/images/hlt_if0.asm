; HLT outside VMX with RFLAGS.IF = 0 ends the run: status 0, "halted at RIP=" on stderr.
;! status: 0
;! stdout: before hlt
;! stderr: halted at RIP=
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        PUTSLN "before hlt"
        cli
        hlt
        PUTSLN "after hlt"
        exit_with 0x7F

ELF64_END
