; A load error: an otherwise valid ELF64 image for EM_386 (wrong machine). Status 2, nothing executed.
;! status: 2
;! stdout-file: none
;! not-stderr: halted|triple

%define ELF64_MACHINE 3
%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
start:
        PUTSLN "executed"
        exit_with 0
ELF64_END
