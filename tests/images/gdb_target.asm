; The image tests/tools/gdb.sh debugs through the gdb stub (vtsim run --gdb). Its
; code and data sit at fixed addresses so that the script can name them:
;   0x102000 count_loop   add qword [counter], 1 (8 bytes); dec ecx; jnz: 5 rounds
;   0x102100 guest        the guest: CPUID (an exit), then VMCALL (an exit)
;   0x102200 bad_entry    VMRESUME with pin-based controls 0: VMfailValid(7)
;   0x103000 counter      the loop's count
;   0x103008 magic        0x1122334455667788
; Without a debugger it runs to the end and checks what happened.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok counter
;! stdout: ok cpuid-exit
;! stdout: ok vmcall-exit
;! stdout: ok entry-fail-error
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

start:
        call idt_setup
        mov ecx, 5
        call count_loop
        CHECK "counter", [rel counter], 5
        VMM_SETUP 0, 0, 0, 0
        VMM_GUEST guest
        call vmm_run
        CHECK "cpuid-exit", rax, 10
        call vmm_skip
        call vmm_run
        CHECK "vmcall-exit", rax, 18
        VMM_WRITE VMCS_PIN_CTLS, 0      ; lacks the bits the capability MSR requires
        jmp bad_entry
after_bad_entry:
        VMM_READ VMCS_INSN_ERROR
        CHECK "entry-fail-error", rax, 7
        call checks_done

        times 0x2000 - ($ - $$) int3
count_loop:                             ; 0x102000
        add qword [rel counter], 1
        dec ecx
        jnz count_loop
        ret

        times 0x2100 - ($ - $$) int3
guest:                                  ; 0x102100
        mov eax, 0
        cpuid
        vmcall
        ud2

        times 0x2200 - ($ - $$) int3
bad_entry:                              ; 0x102200
        vmresume
        jmp after_bad_entry             ; 0x102203

        times 0x3000 - ($ - $$) int3
counter: dq 0                           ; 0x103000
magic:   dq 0x1122334455667788          ; 0x103008

ELF64_BSS
VMX_BSS
VMM64_BSS
ELF64_END
