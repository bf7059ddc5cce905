; Lab 3: set up EPT and handle an EPT violation.
;
; This VMM enters a 64-bit guest with EPT on. build_ept (given) makes the EPT
; paging structures: a PML4 table, a page-directory-pointer table and a page
; directory that map the first GiB of guest-physical memory 1:1 in 2 MiB pages, all
; but the 2 MiB at GUEST_DATA (0x400000), which stays unmapped. The guest writes a
; value there and reads it back. The first access is an EPT violation (exit reason
; 48); the VMM is to map that 2 MiB region to the host-physical memory at
; HOST_DATA (0x600000) and resume the guest, which then retries its write.
;
; Your part: the EPT pointer in setup_ept, and handle_ept_violation with its row in
; lab_exit_handlers. `make check` tells you what happens now.
%define LAB_EXIT_HANDLERS
%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "lab_vmcs.inc"
%include "lab_controls.inc"

%define GUEST_DATA 0x400000
%define HOST_DATA  0x600000
%define MAGIC      0x1234abcd

; EPT paging-structure entries (SDM "EPT Translation Mechanism"): bits 2:0 read,
; write, execute; in a 2 MiB leaf, bits 5:3 the memory type (6: write-back) and
; bit 7 set.
%define EPT_RWX     7
%define EPT_LEAF_2M (EPT_RWX | 6 << 3 | 1 << 7)

start:
        call idt_setup
        call vmx_setup
        call vmx_cr4_on
        vmxon [rel p_vmxon]
        jbe .fail
        vmclear [rel p_vmcs_a]
        jbe .fail
        vmptrld [rel p_vmcs_a]
        jbe .fail
        xor ebx, ebx
        mov ecx, CPU_BASED_HLT_EXITING | CPU_BASED_ACTIVATE_SECONDARY_CONTROLS
        mov esi, VM_EXIT_HOST_ADDR_SPACE_SIZE
        mov edi, VM_ENTRY_IA32E_MODE
        mov r8d, SECONDARY_EXEC_ENABLE_EPT
        call lab_controls
        call build_ept
        call setup_ept
        lea rax, [rel lab_exit_entry]
        lea rbx, [rel host_stack_top]
        call lab_host_state
        lea rax, [rel guest]
        lea rbx, [rel guest_stack_top]
        call lab_guest_state
        PUTSLN "vmm: VMLAUNCH"
        vmlaunch
        call lab_report_vmfail
        exit_with 1
.fail:  PUTSLN "vmm: VMXON, VMCLEAR or VMPTRLD failed"
        exit_with 1

; The first GiB 1:1 in 2 MiB pages, but for the one at GUEST_DATA.
build_ept:
        lea rax, [rel ept_pdpt]
        or rax, EPT_RWX
        mov [rel ept_pml4], rax
        lea rax, [rel ept_pd]
        or rax, EPT_RWX
        mov [rel ept_pdpt], rax
        lea rdi, [rel ept_pd]
        mov eax, EPT_LEAF_2M
        mov ecx, 512
.pde:   mov [rdi], rax
        add rax, 0x200000
        add rdi, 8
        dec ecx
        jnz .pde
        mov qword [rel ept_pd + (GUEST_DATA >> 21) * 8], 0
        ret

lab_exit_handlers:
        dq EXIT_REASON_HLT, handle_hlt
        dq -1

; The guest is done: what is in host-physical memory at HOST_DATA?
handle_hlt:
        PUTS "vmm: the guest halted; host-physical 0x600000 holds 0x"
        mov eax, [abs HOST_DATA]
        PUT_HEX rax, 8
        call newline
        exit_with 0

; ---------------------------------------------------------------- your part
; TODO: the EPT pointer (SDM "Extended-Page-Table Pointer (EPTP)").
setup_ept:
        lea rax, [rel ept_pml4]
        LAB_VMWRITE EPT_POINTER, rax
        ret

; TODO: handle_ept_violation (exit reason 48).
; ---------------------------------------------------------------- end of your part

; ---------------------------------------------------------------- the guest
guest:
        mov dword [abs GUEST_DATA], MAGIC
        mov eax, [abs GUEST_DATA]
        PUTS "guest: wrote and read back 0x"
        PUT_HEX rax, 8
        call newline
        hlt
        jmp guest

ELF64_BSS
VMX_BSS
        alignb 4096
ept_pml4:       resb 4096
ept_pdpt:       resb 4096
ept_pd:         resb 4096
                resb 8192
host_stack_top:
                resb 8192
guest_stack_top:
ELF64_END
