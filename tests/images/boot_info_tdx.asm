; MACHINE.md "Boot info block" on a TDX platform: the TDX flag and the KeyID split
; the block reports are those of IA32_MKTME_KEYID_PARTITIONING (MSR 0x87).
;! args: --tdx --mem 128M
;! status: 1
;! stdout: ok flags-tdx
;! stdout: ok tdx-keyids
;! stdout: ok first-tdx-keyid
;! stdout: ok msr-tdx-keyids
;! stdout: ok msr-first-tdx-keyid

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        mov rbx, rdi
        call idt_setup
        mov eax, [rbx + 28]
        and eax, 1
        CHECK "flags-tdx", rax, 1
        CHECK "tdx-keyids", [rbx + 32], 48
        CHECK "first-tdx-keyid", [rbx + 40], 16
        mov ecx, 0x87
        rdmsr
        CHECK "msr-tdx-keyids", rdx, [rbx + 32]
        inc eax                          ; MKTME KeyIDs, then the TDX ones
        CHECK "msr-first-tdx-keyid", rax, [rbx + 40]
        call checks_done

ELF64_END
