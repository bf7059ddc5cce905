; A load error: a multiboot a.out-kludge header whose checksum is off by one.
; Status 2, a message about the checksum, nothing executed.
;! status: 2
;! stdout-file: none
;! stderr: [Cc]hecksum
;! not-stderr: halted|triple

%define MB_CHECKSUM_ADJ 1
%include "multiboot.inc"
MB_AOUT_BEGIN start
start:  mov al, 0
        out 0xF4, al
        jmp start
MB_END
