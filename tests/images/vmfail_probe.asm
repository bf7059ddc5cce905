; A VMM that probes: VMREAD of a field the CPU model lacks (FRED's injected-event
; data, 0x2052), 200 times from one place, then from 70 places. vtsim explains
; each distinct (instruction, error, RIP) once on stderr: the loop's VMfail once,
; then 63 of the 70 others, then one line saying no more are explained (64 at most
; per run). tests/tools/diag_once.sh counts the lines; here, their text.
;! args: --max-insns 10000000
;! status: 1
;! stdout: ok vmxon
;! stdout: ok vmptrld
;! stdout: ok probe-loop
;! stdout: ok probe-places
;! stderr: ^vtsim: VMREAD at RIP=0x[0-9a-f]+ on lp0: VMfailValid\(12\), VMREAD/VMWRITE from/to unsupported VMCS component; field 0x2052 \(INJECTED_EVENT_DATA, which this CPU model does not have\)\. VMREAD and VMWRITE need the encoding of a field this processor supports \(bits 63:32 of the register operand clear too\): use an encoding the CPU model has \(`--vmcs-dump` lists them; IA32_VMX_VMCS_ENUM gives the highest index\), or read the capability MSR that says whether the field exists first \(SDM Vol\. 3C, "VMREAD-Read Field from Virtual-Machine Control Structure" and "VMWRITE"\)$
;! stderr: ^vtsim: 64 distinct VMfails and SEAMCALL errors explained; no more are \(--trace=vmx,seam shows each\)$

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"

start:
        call idt_setup
        call vmx_setup
        VMX_ON
        VMX_EXPECT_OK "vmptrld", vmptrld [rel p_vmcs_a]

        mov r12d, 200
        xor r13d, r13d                  ; failures seen (ZF = 1 after VMREAD)
.loop:  mov ebx, 0x2052
        vmread rax, rbx
        jnz .next
        inc r13d
.next:  dec r12d
        jnz .loop
        CHECK "probe-loop", r13, 200

        xor r13d, r13d
%rep 70
        mov ebx, 0x2052
        vmread rax, rbx
        setz al
        movzx eax, al
        add r13d, eax
%endrep
        CHECK "probe-places", r13, 70
        jmp checks_done

ELF64_BSS
VMX_BSS
ELF64_END
