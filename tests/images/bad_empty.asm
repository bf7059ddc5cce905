; A load error: an empty file. Status 2.
;! status: 2
;! stdout-file: none
;! not-stderr: halted|triple
