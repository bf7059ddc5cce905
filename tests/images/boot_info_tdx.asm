; MACHINE.md "Boot info block" with --tdx: flags bit 0 set, a nonzero number of TDX
; KeyIDs, consistent with IA32_MKTME_KEYID_PARTITIONING (MSR 0x87: bits 31:0 MKTME
; KeyIDs, bits 63:32 TDX KeyIDs; TDX KeyIDs follow the MKTME ones).
;! args: --tdx --cpus 1
;! status: 1
;! stdout: ok magic
;! stdout: ok flags-tdx
;! stdout: ok nr-keyids-nonzero
;! stdout: ok nr-keyids-msr87
;! stdout: ok first-keyid-msr87

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

start:
        mov rbx, rdi
        call idt_setup
        mov rax, "VTSIMBI1"
        CHECK "magic", [rbx], rax
        mov eax, [rbx + 28]
        and eax, 1
        CHECK "flags-tdx", rax, 1
        xor edx, edx
        cmp qword [rbx + 32], 0
        setne dl
        CHECK "nr-keyids-nonzero", rdx, 1
        mov ecx, 0x87
        rdmsr
        mov r8d, eax                    ; MKTME KeyIDs
        mov r9d, edx                    ; TDX KeyIDs
        CHECK "nr-keyids-msr87", [rbx + 32], r9
        lea rax, [r8 + 1]
        CHECK "first-keyid-msr87", [rbx + 40], rax
        call checks_done

ELF64_END
