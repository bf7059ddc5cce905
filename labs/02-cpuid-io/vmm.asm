; Lab 2: handle CPUID and I/O exits.
;
; This VMM is complete up to its exit handlers: it enters a 64-bit guest with HLT
; exiting and unconditional I/O exiting on. The guest asks CPUID whether it runs
; under a hypervisor (leaf 1, ECX bit 31) and which one (leaf 0x40000000: the
; signature in EBX, ECX, EDX), then prints what it found on COM1 with OUT
; instructions, and halts. CPUID always causes a VM exit; with unconditional I/O
; exiting, so does every OUT.
;
; Your part: handle_cpuid and handle_io, and their rows in lab_exit_handlers. The
; guest must see the hypervisor bit set and the signature "VtsimLabVMM!", and its
; bytes must reach COM1. `make check` tells you what happens now.
%define LAB_EXIT_HANDLERS
%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "lab_vmcs.inc"
%include "lab_controls.inc"

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
        xor ebx, ebx                            ; pin-based: nothing wanted
        mov ecx, CPU_BASED_HLT_EXITING | CPU_BASED_UNCOND_IO_EXITING
        mov esi, VM_EXIT_HOST_ADDR_SPACE_SIZE
        mov edi, VM_ENTRY_IA32E_MODE
        xor r8d, r8d
        call lab_controls
        lea rax, [rel lab_exit_entry]           ; exits go through the handler table
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

; The exit handlers, by basic exit reason. lab_exit_entry saved the guest's
; general registers in lab_gregs (LAB_GREG(REG_RAX) ...): a handler reads and
; writes them there, and moves GUEST_RIP past an instruction it has emulated
; (lab_skip_instruction). When it returns, the guest resumes.
lab_exit_handlers:
        dq EXIT_REASON_HLT, handle_hlt
        dq -1

handle_hlt:
        PUTSLN "vmm: the guest halted: exit reason 12 (HLT)"
        exit_with 0

; ---------------------------------------------------------------- your part
; TODO: handle_cpuid (exit reason 10) and handle_io (exit reason 30).
; ---------------------------------------------------------------- end of your part

; ---------------------------------------------------------------- the guest
guest:
        mov eax, 1
        cpuid
        lea rsi, [rel msg_no_hv]
        bt ecx, 31
        jnc .say
        lea rsi, [rel msg_hv]
.say:   call guest_puts
        mov eax, 0x40000000
        cpuid
        mov [rel signature + 0], ebx
        mov [rel signature + 4], ecx
        mov [rel signature + 8], edx
        lea rsi, [rel msg_sig]
        call guest_puts
        lea rsi, [rel signature]
        call guest_puts
        lea rsi, [rel msg_nl]
        call guest_puts
        hlt
        jmp guest

; rsi: NUL-terminated, one OUT to COM1 a byte
guest_puts:
        mov dx, 0x3f8
.next:  lodsb
        test al, al
        jz .done
        out dx, al
        jmp .next
.done:  ret

msg_hv:         db "guest: CPUID.1:ECX.hypervisor = 1", 10, 0
msg_no_hv:      db "guest: CPUID.1:ECX.hypervisor = 0", 10, 0
msg_sig:        db "guest: hypervisor signature ", 0
msg_nl:         db 10, 0
signature:      times 13 db 0

ELF64_BSS
VMX_BSS
        alignb 4096
                resb 8192
host_stack_top:
                resb 8192
guest_stack_top:
ELF64_END
