; A load error: an ELF64 image that says it is big-endian. Status 2, nothing executed.
;! status: 2
;! stdout-file: none
;! not-stderr: halted|triple

%define ELF64_DATA 2
%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
start:
        PUTSLN "executed"
        exit_with 0
ELF64_END
