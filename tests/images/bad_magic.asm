; A load error: a text file is not an image. Status 2, a one-line message.
;! status: 2
;! stdout-file: none
;! not-stderr: halted|triple

        db "This is not a bare-metal image, just some text.", 10
        db "vtsim must refuse it with exit status 2.", 10
