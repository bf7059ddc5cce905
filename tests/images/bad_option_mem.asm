; A bad option value (--mem banana) with a valid image: status 2, nothing executed.
;! args: --mem banana
;! status: 2
;! stdout-file: none
;! not-stderr: halted|triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
start:
        PUTSLN "executed"
        exit_with 0
ELF64_END
