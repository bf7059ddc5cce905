; VMCALL, the VMX instructions and SEAMCALL (the model has SEAM) in a guest are
; unconditional VM exits: for each,
; the basic exit reason, VM_EXIT_INSTRUCTION_LEN and GUEST_RIP = the instruction's
; address; nothing of them executes (the guest's registers and memory are intact).
; The VMM skips each one. (Exit qualification and VM-exit instruction information
; are asserted in vmexit_insn_info.)
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok vmcall
;! stdout: ok vmcall-len
;! stdout: ok vmcall-rip
;! stdout: ok vmlaunch
;! stdout: ok vmlaunch-len
;! stdout: ok vmlaunch-rip
;! stdout: ok vmresume
;! stdout: ok vmresume-len
;! stdout: ok vmresume-rip
;! stdout: ok vmxoff
;! stdout: ok vmxoff-len
;! stdout: ok vmxoff-rip
;! stdout: ok vmclear
;! stdout: ok vmclear-len
;! stdout: ok vmclear-rip
;! stdout: ok vmptrld
;! stdout: ok vmptrld-len
;! stdout: ok vmptrld-rip
;! stdout: ok vmptrst
;! stdout: ok vmptrst-len
;! stdout: ok vmptrst-rip
;! stdout: ok vmread
;! stdout: ok vmread-len
;! stdout: ok vmread-rip
;! stdout: ok vmwrite
;! stdout: ok vmwrite-len
;! stdout: ok vmwrite-rip
;! stdout: ok vmxon
;! stdout: ok vmxon-len
;! stdout: ok vmxon-rip
;! stdout: ok invept
;! stdout: ok invept-len
;! stdout: ok invept-rip
;! stdout: ok invvpid
;! stdout: ok invvpid-len
;! stdout: ok invvpid-rip
;! stdout: ok vmcall-disp32
;! stdout: ok vmcall-disp32-len
;! stdout: ok vmcall-disp32-rip
;! stdout: ok vmclear-disp32
;! stdout: ok vmclear-disp32-len
;! stdout: ok vmclear-disp32-rip
;! stdout: ok vmread-rex
;! stdout: ok vmread-rex-len
;! stdout: ok vmread-rex-rip
;! stdout: ok seamcall
;! stdout: ok seamcall-len
;! stdout: ok seamcall-rip
;! stdout: ok guest-regs-kept
;! stdout: ok guest-vmptrst-no-store
;! stdout: ok vmcs-still-current
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
        mov qword [rel vmptrst_cell], -2
        lea rbx, [rel cases]
.loop:  cmp qword [rbx], 0
        je .done
        mov [rel cur], rbx
        lea rax, [rel scratch]
        mov rbx, 0x4402                 ; a field encoding for VMREAD/VMWRITE
        lea rcx, [rel scratch]          ; INVEPT/INVVPID descriptor
        mov rdx, 1                      ; INVEPT/INVVPID type
        lea rsi, [rel vmptrst_cell]
        call vmm_run
        mov [rel reason], rax
        mov [rel guest_rbx], rbx
        mov rbx, [rel cur]
        mov rsi, [rbx]
        mov rax, [rel reason]
        mov rdx, [rbx + 8]
        call check_eq
        add rsi, 32                     ; "NAME-len"
        VMM_READ VMCS_EXIT_INSLEN
        mov rdx, [rbx + 24]
        sub rdx, [rbx + 16]
        call check_eq
        add rsi, 32                     ; "NAME-rip"
        VMM_READ VMCS_GUEST_RIP
        mov rdx, [rbx + 16]
        call check_eq
        call vmm_skip
        add rbx, 32
        jmp .loop
.done:  CHECK "guest-regs-kept", [rel guest_rbx], 0x4402
        CHECK "guest-vmptrst-no-store", [rel vmptrst_cell], -2
        ; The guest's VMX instructions did nothing to the VMM's VMCS pointer.
        vmptrst [rel vmptrst_cell]
        CHECK "vmcs-still-current", [rel vmptrst_cell], vmcs_a
        call checks_done

%macro NAMES 1
        align 32, db 0
%%a:    db %1, 0
        align 32, db 0
        db %1, "-len", 0
        align 32, db 0
        db %1, "-rip", 0
        align 32, db 0
%endmacro

        align 8, db 0
cases:
        dq n_vmcall, 18, g_vmcall, g_vmlaunch
        dq n_vmlaunch, 20, g_vmlaunch, g_vmresume
        dq n_vmresume, 24, g_vmresume, g_vmxoff
        dq n_vmxoff, 26, g_vmxoff, g_vmclear
        dq n_vmclear, 19, g_vmclear, g_vmptrld
        dq n_vmptrld, 21, g_vmptrld, g_vmptrst
        dq n_vmptrst, 22, g_vmptrst, g_vmread
        dq n_vmread, 23, g_vmread, g_vmwrite
        dq n_vmwrite, 25, g_vmwrite, g_vmxon
        dq n_vmxon, 27, g_vmxon, g_invept
        dq n_invept, 50, g_invept, g_invvpid
        dq n_invvpid, 53, g_invvpid, g_vmcall2
        dq n_vmcall2, 18, g_vmcall2, g_vmclear2
        dq n_vmclear2, 19, g_vmclear2, g_vmread2
        dq n_vmread2, 23, g_vmread2, g_seamcall
        dq n_seamcall, 76, g_seamcall, g_end
        dq 0

        align 32, db 0
n_vmcall:       NAMES "vmcall"
n_vmlaunch:     NAMES "vmlaunch"
n_vmresume:     NAMES "vmresume"
n_vmxoff:       NAMES "vmxoff"
n_vmclear:      NAMES "vmclear"
n_vmptrld:      NAMES "vmptrld"
n_vmptrst:      NAMES "vmptrst"
n_vmread:       NAMES "vmread"
n_vmwrite:      NAMES "vmwrite"
n_vmxon:        NAMES "vmxon"
n_invept:       NAMES "invept"
n_invvpid:      NAMES "invvpid"
n_vmcall2:      NAMES "vmcall-disp32"
n_vmclear2:     NAMES "vmclear-disp32"
n_vmread2:      NAMES "vmread-rex"
n_seamcall:     NAMES "seamcall"

guest:
g_vmcall:       vmcall
g_vmlaunch:     vmlaunch
g_vmresume:     vmresume
g_vmxoff:       vmxoff
g_vmclear:      vmclear [rax]
g_vmptrld:      vmptrld [rax]
g_vmptrst:      vmptrst [rsi]
g_vmread:       vmread rbx, rbx
g_vmwrite:      vmwrite rbx, rbx
g_vmxon:        vmxon [rax]
g_invept:       invept rdx, [rcx]
g_invvpid:      invvpid rdx, [rcx]
g_vmcall2:      db 0x2e, 0x0f, 0x01, 0xc1       ; CS-prefixed VMCALL
g_vmclear2:     vmclear [rel p_vmcs_a]
g_vmread2:      vmread r11, r12
g_seamcall:     db 0x66, 0x0f, 0x01, 0xcf         ; SEAMCALL
g_end:          vmcall
                ud2

        align 8, db 0
cur:            dq 0
reason:         dq 0
guest_rbx:      dq 0
vmptrst_cell:   dq 0

ELF64_BSS
VMX_BSS
VMM64_BSS
scratch:        resb 64
ELF64_END
