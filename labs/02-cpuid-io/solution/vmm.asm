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
        dq EXIT_REASON_CPUID, handle_cpuid
        dq EXIT_REASON_IO_INSTRUCTION, handle_io
        dq -1

handle_hlt:
        PUTSLN "vmm: the guest halted: exit reason 12 (HLT)"
        exit_with 0

; ---------------------------------------------------------------- your part
; CPUID: the guest's EAX (leaf) and ECX (subleaf) in, EAX, EBX, ECX, EDX out (each
; 32 bits, zero-extended). Leaf 0x40000000 is the hypervisor's own; leaf 1 gets
; the hypervisor bit; the rest is what this processor answers.
handle_cpuid:
        mov rax, LAB_GREG(REG_RAX)
        mov rcx, LAB_GREG(REG_RCX)
        cmp eax, 0x40000000
        je .ours
        cpuid
        cmp dword LAB_GREG(REG_RAX), 1
        jne .store
        bts ecx, 31                             ; CPUID.1:ECX.hypervisor
        jmp .store
.ours:  mov eax, 0x40000000                     ; the highest hypervisor leaf
        mov ebx, 'Vtsi'
        mov ecx, 'mLab'
        mov edx, 'VMM!'
.store: mov LAB_GREG(REG_RAX), rax              ; a 32-bit mov zero-extended them
        mov LAB_GREG(REG_RBX), rbx
        mov LAB_GREG(REG_RCX), rcx
        mov LAB_GREG(REG_RDX), rdx
        jmp lab_skip_instruction

; I/O (SDM "Exit Qualification for I/O Instructions"): bits 2:0 size - 1, bit 3
; direction (1 = IN), bit 4 string, bit 5 REP, bits 31:16 the port. This VMM
; emulates a byte OUT to COM1 by doing it itself; anything else is an error.
handle_io:
        mov eax, EXIT_QUALIFICATION
        vmread rax, rax
        mov rbx, rax
        shr rbx, 16
        cmp bx, 0x3f8
        jne .other
        test eax, 0x3f                          ; a 1-byte OUT, not a string
        jnz .other
        mov al, LAB_GREG(REG_RAX)
        mov dx, 0x3f8
        out dx, al
        jmp lab_skip_instruction
.other: PUTSLN "vmm: an I/O instruction this VMM does not emulate"
        exit_with 1
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
