; MACHINE.md "Boot info block": the block at RDI reflects --mem and --cpus, no TDX.
;! args: --mem 64M --cpus 2
;! status: 1
;! stdout: ok magic
;! stdout: ok ram-size
;! stdout: ok reserved-below-ram
;! stdout: ok reserved-page-aligned
;! stdout: ok reserved-above-image
;! stdout: ok nr-cpus
;! stdout: ok flags-tdx
;! stdout: ok tdx-keyids

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        mov rbx, rdi
        call idt_setup
        mov rax, "VTSIMBI1"
        CHECK "magic", [rbx], rax
        CHECK "ram-size", [rbx + 8], 0x4000000
        mov rax, [rbx + 16]
        xor edx, edx
        cmp rax, [rbx + 8]
        setb dl
        CHECK "reserved-below-ram", rdx, 1
        mov rax, [rbx + 16]
        and eax, 0xFFF
        CHECK "reserved-page-aligned", rax, 0
        lea rax, [rel ELF64_MEM_END]
        xor edx, edx
        cmp rax, [rbx + 16]
        setbe dl
        CHECK "reserved-above-image", rdx, 1
        mov eax, [rbx + 24]
        CHECK "nr-cpus", rax, 2
        mov eax, [rbx + 28]
        and eax, 1
        CHECK "flags-tdx", rax, 0
        CHECK "tdx-keyids", [rbx + 32], 0
        call checks_done

ELF64_END
