; The VMX capability MSRs (0x480-0x48A) describe a VMX-capable CPU consistently
; (SDM Vol. 3 Appendix A): VMX_BASIC revision/size/WB memory type/no 32-bit limit;
; every control MSR has allowed-0 settings within allowed-1 and its default-1 bits
; in allowed-0; CR0/CR4 FIXED0 within FIXED1, PE/NE/PG and VMXE fixed to 1; the boot
; CR0 and CR4|VMXE satisfy them; VMCS_ENUM reports a highest index.
;! status: 1
;! stdout: ok basic-revision
;! stdout: ok basic-size
;! stdout: ok basic-memtype-wb
;! stdout: ok basic-no-32bit-limit
;! stdout: ok pinbased-allowed
;! stdout: ok pinbased-default1
;! stdout: ok procbased-allowed
;! stdout: ok procbased-default1
;! stdout: ok exit-allowed
;! stdout: ok exit-default1
;! stdout: ok entry-allowed
;! stdout: ok entry-default1
;! stdout: ok cr0-fixed-consistent
;! stdout: ok cr0-fixed0-pe-ne-pg
;! stdout: ok cr0-boot-allowed
;! stdout: ok cr4-fixed-consistent
;! stdout: ok cr4-fixed0-vmxe
;! stdout: ok cr4-boot-allowed
;! stdout: ok vmcs-enum

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

; CTLS name-allowed, name-default1, msr, default1: allowed-0 (low half) within allowed-1 (high half), and
; the default-1 bits are 1 in allowed-0
%macro CTLS 4
        RDMSR64 %3
        mov rbx, rax
        shr rbx, 32                     ; allowed-1
        mov edx, eax
        not ebx
        and edx, ebx                    ; allowed-0 & ~allowed-1
        CHECK %1, rdx, 0
        CHECK_MASK %2, rax, %4, %4
%endmacro

start:
        call idt_setup
        RDMSR64 0x480
        mov rbx, rax
        mov rax, rbx
        and eax, 0x7FFFFFFF
        xor edx, edx
        test eax, eax
        setnz dl
        CHECK "basic-revision", rdx, 1
        mov rax, rbx
        shr rax, 32
        and eax, 0x1FFF
        xor edx, edx
        test eax, eax
        jz .size
        cmp eax, 4096
        ja .size
        inc edx
.size:  CHECK "basic-size", rdx, 1
        mov rax, rbx
        shr rax, 50
        and eax, 0xF
        CHECK "basic-memtype-wb", rax, 6
        mov rax, rbx
        shr rax, 48
        and eax, 1
        CHECK "basic-no-32bit-limit", rax, 0

        CTLS "pinbased-allowed", "pinbased-default1", 0x481, 0x16
        CTLS "procbased-allowed", "procbased-default1", 0x482, 0x0401E172
        CTLS "exit-allowed", "exit-default1", 0x483, 0x00036DFF
        CTLS "entry-allowed", "entry-default1", 0x484, 0x000011FF

        RDMSR64 0x486
        mov r8, rax                     ; CR0 FIXED0
        RDMSR64 0x487
        mov r9, rax                     ; CR0 FIXED1
        mov rax, r9
        not rax
        and rax, r8
        CHECK "cr0-fixed-consistent", rax, 0
        CHECK_MASK "cr0-fixed0-pe-ne-pg", r8, 0x80000021, 0x80000021
        mov rax, cr0
        call fixed_ok
        CHECK "cr0-boot-allowed", rax, 1
        RDMSR64 0x488
        mov r8, rax                     ; CR4 FIXED0
        RDMSR64 0x489
        mov r9, rax                     ; CR4 FIXED1
        mov rax, r9
        not rax
        and rax, r8
        CHECK "cr4-fixed-consistent", rax, 0
        CHECK_MASK "cr4-fixed0-vmxe", r8, 0x2000, 0x2000
        mov rax, cr4
        or rax, 0x2000
        call fixed_ok
        CHECK "cr4-boot-allowed", rax, 1
        RDMSR64 0x48A
        shr eax, 1
        and eax, 0x1FF
        xor edx, edx
        test eax, eax
        setnz dl
        CHECK "vmcs-enum", rdx, 1
        call checks_done

; rax = value, r8 = FIXED0, r9 = FIXED1: rax = 1 if value has every FIXED0 bit and
; no bit outside FIXED1
fixed_ok:
        mov rdx, rax
        and rdx, r8
        cmp rdx, r8
        jne .no
        mov rdx, r9
        not rdx
        test rax, rdx
        jnz .no
        mov eax, 1
        ret
.no:    xor eax, eax
        ret

ELF64_END
