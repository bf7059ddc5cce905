; MACHINE.md "Devices": anything else on the I/O bus reads as all ones (per access
; size) and ignores writes.
;! status: 1
;! stdout: in8  0080 ff
;! stdout: in16 1234 ffff
;! stdout: in32 1234 ffffffff
;! stdout: in8  2018 ff
;! stdout: after writes ff ffff ffffffff
;! stdout: ins 0080 ffffffff

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        call idt_setup
        xor eax, eax
        in al, 0x80
        PUTS "in8  0080 "
        PUT_HEX rax, 2
        call newline
        xor eax, eax
        mov dx, 0x1234
        in ax, dx
        PUTS "in16 1234 "
        PUT_HEX rax, 4
        call newline
        xor eax, eax
        in eax, dx
        PUTS "in32 1234 "
        PUT_HEX rax, 8
        call newline
        xor eax, eax
        mov dx, 0x2018                  ; past pc-testdev's interrupt lines
        in al, dx
        PUTS "in8  2018 "
        PUT_HEX rax, 2
        call newline
        ; writes are ignored: the ports still read all ones
        mov al, 0x12
        out 0x80, al
        mov dx, 0x1234
        mov ax, 0x3456
        out dx, ax
        mov eax, 0x789ABCDE
        out dx, eax
        PUTS "after writes "
        xor eax, eax
        in al, 0x80
        PUT_HEX rax, 2
        PUTS " "
        xor eax, eax
        in ax, dx
        PUT_HEX rax, 4
        PUTS " "
        xor eax, eax
        in eax, dx
        PUT_HEX rax, 8
        call newline
        ; string input: INSB x4 from port 0x80 fills memory with 0xff
        lea rdi, [rel buf]
        mov dx, 0x80
        mov ecx, 4
        cld
        rep insb
        PUTS "ins 0080 "
        mov eax, [rel buf]
        PUT_HEX rax, 8
        call newline
        exit_with 0

buf:    dd 0

ELF64_END
