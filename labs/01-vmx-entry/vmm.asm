; Lab 1: bring up VMX and enter a guest.
;
; This bare-metal VMM turns VMX on, makes a VMCS current, fills in the host-state
; and guest-state areas and runs VMLAUNCH. The guest shares the VMM's address space:
; it prints a greeting on COM1 and executes HLT, which the VMM asks to exit on. When
; the HLT exit (reason 12) reaches the VMM, the lab is done.
;
; Your part is setup_controls, below: the four VM-execution, VM-exit and VM-entry
; control fields. `make check` tells you whether the guest ran, or which VM-entry
; check failed. (README.md says what to read.)
%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "lab_vmcs.inc"

start:
        call idt_setup
        call vmx_setup                          ; revision identifier into the regions
        call vmx_cr4_on                         ; CR4.VMXE
        vmxon [rel p_vmxon]
        jbe vmx_failed
        vmclear [rel p_vmcs_a]
        jbe vmx_failed
        vmptrld [rel p_vmcs_a]
        jbe vmx_failed
        PUTSLN "vmm: VMXON, VMCLEAR and VMPTRLD ok"
        call setup_controls
        lea rax, [rel vm_exit]
        lea rbx, [rel host_stack_top]
        call lab_host_state                     ; HOST_*: this CPU as it is now
        lea rax, [rel guest]
        lea rbx, [rel guest_stack_top]
        call lab_guest_state                    ; GUEST_*: a flat 64-bit guest
        PUTSLN "vmm: VMLAUNCH"
        vmlaunch
        ; Only a VMLAUNCH that failed (VMfailInvalid or VMfailValid) gets here.
        call lab_report_vmfail
        exit_with 1

; ---------------------------------------------------------------- your part
; The VM-execution controls (pin-based, primary processor-based), the VM-exit and
; the VM-entry controls. What the VMM wants:
;   - the guest's HLT causes a VM exit (primary processor-based control, bit 7);
;   - the VM exit returns to a 64-bit host (VM-exit control "host address-space
;     size", bit 9);
;   - the guest runs in IA-32e mode (VM-entry control "IA-32e mode guest", bit 9).
; TODO: a processor does not let software choose every bit of these fields.
setup_controls:
        LAB_VMWRITE PIN_BASED_VM_EXEC_CONTROL, 0
        LAB_VMWRITE CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_HLT_EXITING
        LAB_VMWRITE VM_EXIT_CONTROLS, VM_EXIT_HOST_ADDR_SPACE_SIZE
        LAB_VMWRITE VM_ENTRY_CONTROLS, VM_ENTRY_IA32E_MODE
        ret
; ---------------------------------------------------------------- end of your part

; HOST_RIP: every VM exit, and a VM entry that failed after its control and
; host-state checks, comes here.
vm_exit:
        mov eax, VM_EXIT_REASON
        vmread rbx, rax
        bt ebx, 31
        jc .entry_failed
        cmp ebx, EXIT_REASON_HLT
        jne .unexpected
        PUTSLN "vmm: the guest halted: exit reason 12 (HLT)"
        exit_with 0
.entry_failed:
        PUTS "vmm: VM entry failed loading guest state, exit reason 0x"
        PUT_HEX rbx, 8
        call newline
        exit_with 1
.unexpected:
        PUTS "vmm: unexpected exit reason "
        PUT_HEX rbx, 8
        call newline
        exit_with 1

vmx_failed:
        PUTSLN "vmm: VMXON, VMCLEAR or VMPTRLD failed"
        exit_with 1

; ---------------------------------------------------------------- the guest
guest:
        PUTSLN "guest: hello from VMX non-root operation"
        hlt
        jmp guest

ELF64_BSS
VMX_BSS
        alignb 4096
                resb 8192
host_stack_top:
                resb 8192
guest_stack_top:
ELF64_END
