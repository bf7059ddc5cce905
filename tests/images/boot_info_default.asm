; Boot info block with no options: 128 MiB of RAM, one logical processor, no TDX.
;! status: 1
;! stdout: ok magic
;! stdout: ok ram-size
;! stdout: ok nr-cpus
;! stdout: ok flags
;! stdout: ok tdx-keyids

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        mov rbx, rdi
        call idt_setup
        mov rax, "VTSIMBI1"
        CHECK "magic", [rbx], rax
        CHECK "ram-size", [rbx + 8], 0x8000000
        mov eax, [rbx + 24]
        CHECK "nr-cpus", rax, 1
        mov eax, [rbx + 28]
        and eax, 1
        CHECK "flags", rax, 0
        CHECK "tdx-keyids", [rbx + 32], 0
        call checks_done

ELF64_END
