; VMfailValid(6), "VMRESUME after VMXOFF": a VMCS launched in one VMX operation and
; not VMCLEARed before VMXOFF cannot be resumed after the next VMXON, even though its
; region still says "launched" (vtsim records in the region which VMX operation
; launched it: docs/design.md, "Error 6"). The same VMCS resumes in the VMX operation
; that launched it; VMCLEAR makes it clear (VMRESUME: error 5, before error 6), and a
; new VMLAUNCH then makes it resumable again.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok vmcall-exit
;! stdout: ok resume-same-operation
;! stdout: ok vmxoff
;! stdout: ok vmxon-again
;! stdout: ok vmptrld-again
;! stdout: ok vmresume-after-vmxoff
;! stdout: ok vmlaunch-still-launched
;! stdout: ok vmclear
;! stdout: ok vmptrld-cleared
;! stdout: ok vmresume-cleared
;! stdout: ok relaunch-exit
;! stdout: ok resume-after-relaunch
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

start:
        call idt_setup
        VMM_SETUP 0, 0, 0, 0
        VMM_GUEST guest
        call vmm_run                    ; VMLAUNCH; the guest's VMCALL exits
        CHECK "vmcall-exit", rax, 18
        call vmm_skip
        call vmm_run                    ; VMRESUME in the same VMX operation
        CHECK "resume-same-operation", rax, 18
        call vmm_skip
        VMX_EXPECT_OK "vmxoff", vmxoff
        VMX_EXPECT_OK "vmxon-again", vmxon [rel p_vmxon]
        VMX_EXPECT_OK "vmptrld-again", vmptrld [rel p_vmcs_a]
        VMX_EXPECT_FAIL_VALID "vmresume-after-vmxoff", 6, vmresume
        VMX_EXPECT_FAIL_VALID "vmlaunch-still-launched", 4, vmlaunch
        VMX_EXPECT_OK "vmclear", vmclear [rel p_vmcs_a]
        VMX_EXPECT_OK "vmptrld-cleared", vmptrld [rel p_vmcs_a]
        VMX_EXPECT_FAIL_VALID "vmresume-cleared", 5, vmresume
        mov byte [rel vmm_launched], 0
        call vmm_run                    ; VMLAUNCH in this VMX operation
        CHECK "relaunch-exit", rax, 18
        call vmm_skip
        call vmm_run
        CHECK "resume-after-relaunch", rax, 18
        call checks_done

guest:
        vmcall
        jmp guest

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
