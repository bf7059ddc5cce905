; VM entry and exit move the segment registers, GDTR, IDTR and the SYSENTER MSRs only when something
; may have changed them (vmx_seg_image.h): this image changes them every way it can
; between round trips and checks that no move served a stale value. Each step is a
; VMCALL exit that the VMM checks, then resumes past; the steps that change nothing
; come right after the ones that do, where a stale skip would show.
;   guest side: the guest loads DS null and back, LGDT with another limit and back,
;     the VMM VMWRITEs FS's base and DS's selector and rights between entries, and
;     the guest reads them back (saved fields and the guest's own view of them);
;     the guest WRMSRs IA32_SYSENTER_ESP and RDMSRs IA32_SYSENTER_EIP after a VMWRITE
;     of GUEST_SYSENTER_EIP (the MSR bitmap lets them through);
;   CPUID's exit (whose site reads no segment; the save reads them when it must):
;     the guest's LGDT, then CPUID, and LGDT back, then CPUID: each exit saves the
;     new limit and the segment registers the guest left alone;
;   host side: the VMM loads DS null and LGDT with another limit between entries
;     (each exit must load the host state again), VMWRITEs HOST_DS_SELECTOR and
;     HOST_FS_BASE between entries (the next exit loads the new values), WRMSRs its
;     IA32_SYSENTER_CS and VMWRITEs HOST_IA32_SYSENTER_ESP.
;! status: 1
;! stdout: ok base-reason
;! stdout: ok base-ds
;! stdout: ok round-2
;! stdout: ok null-ds-sel
;! stdout: ok null-ds-unusable
;! stdout: ok round-3
;! stdout: ok null-ds-again-sel
;! stdout: ok null-ds-again-unusable
;! stdout: ok round-4
;! stdout: ok flat-ds-sel
;! stdout: ok flat-ds-ar
;! stdout: ok round-5
;! stdout: ok flat-ds-again-ar
;! stdout: ok fs-base-read
;! stdout: ok fs-base-saved
;! stdout: ok round-6
;! stdout: ok fs-base-b-read
;! stdout: ok gdtr-limit-saved
;! stdout: ok round-7
;! stdout: ok gdtr-limit-again
;! stdout: ok round-8
;! stdout: ok gdtr-limit-back
;! stdout: ok round-steady
;! stdout: ok round-9
;! stdout: ok vmwrite-ds-seen
;! stdout: ok vmwrite-ds-saved
;! stdout: ok round-10
;! stdout: ok vmwrite-ds-again
;! stdout: ok round-sysenter
;! stdout: ok sysenter-esp-saved
;! stdout: ok round-sysenter-steady
;! stdout: ok sysenter-esp-again
;! stdout: ok round-sysenter-vmwrite
;! stdout: ok sysenter-eip-seen
;! stdout: ok cpuid-reason
;! stdout: ok cpuid-gdtr-limit
;! stdout: ok cpuid-ss-sel
;! stdout: ok cpuid-tr-sel
;! stdout: ok cpuid-back-reason
;! stdout: ok cpuid-gdtr-back
;! stdout: ok cpuid-back-ss-sel
;! stdout: ok round-11
;! stdout: ok host-ds-reloaded
;! stdout: ok round-12
;! stdout: ok host-ds-vmwrite-null
;! stdout: ok round-13
;! stdout: ok host-ds-vmwrite-back
;! stdout: ok round-14
;! stdout: ok host-gdtr-limit-reloaded
;! stdout: ok round-15
;! stdout: ok host-fs-base-a
;! stdout: ok round-16
;! stdout: ok host-fs-base-b
;! stdout: ok round-host-sysenter
;! stdout: ok host-sysenter-cs-reloaded
;! stdout: ok round-host-sysenter-vmwrite
;! stdout: ok host-sysenter-esp-vmwrite
;! stdout: ok last-reason
;! not-stdout: BAD
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define MAGIC_A 0x5a5a1111a5a5aaaa
%define MAGIC_B 0x3c3c2222c3c3bbbb

; One round trip: resume the guest past its VMCALL, expect the next VMCALL.
%macro ROUND 1
        call vmm_skip
        call vmm_run
        CHECK %1, rax, 18
%endmacro

start:
        call idt_setup
        VMM_SETUP 0, 1 << 28, 0, 0                        ; MSR bitmap (clear: no MSR exits)
        VMM_GUEST guest
        call vmm_run                                       ; 1: as set up
        CHECK "base-reason", rax, 18
        VMM_CHECK "base-ds", 0x0806, 0x10
        ROUND "round-2"                                         ; 2: the guest loaded DS null
        VMM_CHECK "null-ds-sel", 0x0806, 0
        VMM_CHECK_MASK "null-ds-unusable", 0x481a, 0x10000, 0x10000
        ROUND "round-3"                                         ; 3: nothing changed
        VMM_CHECK "null-ds-again-sel", 0x0806, 0
        VMM_CHECK_MASK "null-ds-again-unusable", 0x481a, 0x10000, 0x10000
        ROUND "round-4"                                         ; 4: DS 10H again
        VMM_CHECK "flat-ds-sel", 0x0806, 0x10
        VMM_CHECK "flat-ds-ar", 0x481a, 0xc093
        VMM_WRITE 0x680e, fs_data_a                        ; GUEST_FS_BASE (FS unusable)
        ROUND "round-5"                                         ; 5: the guest read [fs:0]
        VMM_CHECK "flat-ds-again-ar", 0x481a, 0xc093
        mov rax, VMM_GREG(0)
        mov rdx, MAGIC_A
        CHECK "fs-base-read", rax, rdx
        VMM_CHECK "fs-base-saved", 0x680e, fs_data_a
        VMM_WRITE 0x680e, fs_data_b
        ROUND "round-6"                                         ; 6: read again, then LGDT
        mov rax, VMM_GREG(0)
        mov rdx, MAGIC_B
        CHECK "fs-base-b-read", rax, rdx
        movzx ebx, word [rel vmm_gdtr]
        sub ebx, 8
        VMM_CHECK "gdtr-limit-saved", 0x4810, rbx
        ROUND "round-7"                                         ; 7: nothing changed
        movzx ebx, word [rel vmm_gdtr]
        sub ebx, 8
        VMM_CHECK "gdtr-limit-again", 0x4810, rbx
        ROUND "round-8"                                         ; 8: the guest's LGDT back
        movzx ebx, word [rel vmm_gdtr]
        VMM_CHECK "gdtr-limit-back", 0x4810, rbx
        ROUND "round-steady"                               ; 8b: nothing changed
        VMM_WRITE 0x0806, 0                                ; DS: null, unusable
        VMM_WRITE 0x481a, 0x10000
        ROUND "round-9"                                         ; 9: the guest read DS
        mov rax, VMM_GREG(0)
        CHECK "vmwrite-ds-seen", rax, 0
        VMM_CHECK_MASK "vmwrite-ds-saved", 0x481a, 0x10000, 0x10000
        ROUND "round-10"                                        ; 10: nothing changed
        VMM_CHECK "vmwrite-ds-again", 0x0806, 0
        ROUND "round-sysenter"                             ; 11: the guest's WRMSR 175H
        VMM_CHECK "sysenter-esp-saved", 0x6824, 0x5e5e0000
        ROUND "round-sysenter-steady"                      ; 12: nothing changed
        VMM_CHECK "sysenter-esp-again", 0x6824, 0x5e5e0000
        VMM_WRITE 0x6826, 0x5e1e1000                       ; GUEST_SYSENTER_EIP
        ROUND "round-sysenter-vmwrite"                     ; 13: the guest's RDMSR 176H
        mov rax, VMM_GREG(0)
        CHECK "sysenter-eip-seen", rax, 0x5e1e1000
        call vmm_skip                                      ; 14: LGDT, then CPUID
        call vmm_run
        CHECK "cpuid-reason", rax, 10
        movzx ebx, word [rel vmm_gdtr]
        sub ebx, 8
        VMM_CHECK "cpuid-gdtr-limit", 0x4810, rbx
        VMM_CHECK "cpuid-ss-sel", 0x0804, 0x10
        VMM_CHECK "cpuid-tr-sel", 0x080e, 0x18
        call vmm_skip                                      ; 15: LGDT back, CPUID
        call vmm_run
        CHECK "cpuid-back-reason", rax, 10
        movzx ebx, word [rel vmm_gdtr]
        VMM_CHECK "cpuid-gdtr-back", 0x4810, rbx
        VMM_CHECK "cpuid-back-ss-sel", 0x0804, 0x10

        ; The host side: the VMM changes its own state, or the host-state area.
        xor eax, eax
        mov ds, ax
        ROUND "round-11"                                   ; (past CPUID 15)
        movzx eax, word [rel vmm_exit_ds]
        CHECK "host-ds-reloaded", rax, 0x10
        VMM_WRITE 0x0c06, 0                                ; HOST_DS_SELECTOR
        ROUND "round-12"
        movzx eax, word [rel vmm_exit_ds]
        CHECK "host-ds-vmwrite-null", rax, 0
        VMM_WRITE 0x0c06, 0x10
        ROUND "round-13"
        movzx eax, word [rel vmm_exit_ds]
        CHECK "host-ds-vmwrite-back", rax, 0x10
        mov ax, [rel vmm_gdtr]
        mov [rel host_gdtr], ax
        mov rax, [rel vmm_gdtr + 2]
        mov [rel host_gdtr + 2], rax
        sub word [rel host_gdtr], 8
        lgdt [rel host_gdtr]
        ROUND "round-14"
        movzx eax, word [rel vmm_exit_gdtr]
        CHECK "host-gdtr-limit-reloaded", rax, 0xffff      ; the limit an exit loads
        VMM_WRITE 0x6c06, fs_data_a                        ; HOST_FS_BASE
        ROUND "round-15"
        mov rax, [fs:0]
        mov rdx, MAGIC_A
        CHECK "host-fs-base-a", rax, rdx
        VMM_WRITE 0x6c06, fs_data_b
        ROUND "round-16"
        mov rax, [fs:0]
        mov rdx, MAGIC_B
        CHECK "host-fs-base-b", rax, rdx
        mov ecx, 0x174                                     ; the VMM's own SYSENTER_CS
        mov eax, 0x33
        xor edx, edx
        wrmsr
        ROUND "round-host-sysenter"
        RDMSR64 0x174
        CHECK "host-sysenter-cs-reloaded", rax, 0          ; HOST_IA32_SYSENTER_CS
        VMM_WRITE 0x6c10, 0x5e2e2000                       ; HOST_IA32_SYSENTER_ESP
        ROUND "round-host-sysenter-vmwrite"
        RDMSR64 0x175
        CHECK "host-sysenter-esp-vmwrite", rax, 0x5e2e2000
        ROUND "last-reason"
        call checks_done

guest:
        vmcall                                             ; 1
        xor eax, eax
        mov ds, ax
        vmcall                                             ; 2
        vmcall                                             ; 3
        mov eax, 0x10
        mov ds, ax
        vmcall                                             ; 4
        mov rax, [fs:0]
        vmcall                                             ; 5
        mov rax, [fs:0]
        sgdt [rel guest_gdtr]
        mov rbx, [rel guest_gdtr + 2]
        mov [rel guest_gdtr2 + 2], rbx
        mov bx, [rel guest_gdtr]
        sub bx, 8
        mov [rel guest_gdtr2], bx
        lgdt [rel guest_gdtr2]
        vmcall                                             ; 6
        vmcall                                             ; 7
        lgdt [rel guest_gdtr]
        vmcall                                             ; 8
        vmcall                                             ; 8b
        xor eax, eax
        dec rax
        mov ax, ds
        movzx eax, ax
        vmcall                                             ; 9
        vmcall                                             ; 10
        mov ecx, 0x175                                     ; IA32_SYSENTER_ESP
        mov eax, 0x5e5e0000
        xor edx, edx
        wrmsr
        vmcall                                             ; 11
        vmcall                                             ; 12
        RDMSR64 0x176
        vmcall                                             ; 13
        lgdt [rel guest_gdtr2]
        cpuid                                              ; 14
        lgdt [rel guest_gdtr]
        cpuid                                              ; 15
.loop:  vmcall                                             ; 14 and on
        jmp .loop

align 8
fs_data_a: dq MAGIC_A
fs_data_b: dq MAGIC_B

ELF64_BSS
guest_gdtr: resb 10
guest_gdtr2: resb 10
host_gdtr: resb 10
VMX_BSS
VMM64_BSS
ELF64_END
