; VM entry without VPID (and without EPT) invalidates the guest's linear translations
; (SDM Vol. 3C "VPID and VM Entries/Exits": entries and exits with VPID 0000H). vtsim
; keeps the guest engine's translations across an entry when nothing they rest on
; changed; each case here changes one thing behind a cached translation and then
; needs the entry's invalidation to see it:
;   own-pte   the guest points its PTE at another page without INVLPG, then exits;
;   vmm-pte   the VMM points the guest's PTE back between the exit and VMRESUME;
;   accessed  the guest clears the PTE's accessed flag: the next access after the
;             entry walks again and sets it;
;   dirty     the same for the dirty flag and a write;
;   kept      nothing changed: the guest reads on through the same translation.
; The guest shares the VMM's page tables; TEST_LA is a 4 KiB page of vmx_pt.
;! args: --max-insns 20000000
;! status: 1
;! stdout: ok exit1-cpuid
;! stdout: ok exit2-cpuid
;! stdout: ok exit3-cpuid
;! stdout: ok exit4-cpuid
;! stdout: ok exit5-cpuid
;! stdout: ok vmcall
;! stdout: ok before-exit
;! stdout: ok own-pte
;! stdout: ok vmm-pte
;! stdout: ok accessed
;! stdout: ok dirty
;! stdout: ok kept
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "vmm64.inc"

%define TEST_LA  0x3F0000
%define PTE_A    0x20
%define PTE_D    0x40
%define MARK_A   0x1111aaaa1111aaaa
%define MARK_B   0x2222bbbb2222bbbb

start:
        call idt_setup
        call vmx_paging_setup
        VMX_MARKED_PAGES TEST_LA, page_a, page_b, MARK_A, MARK_B
        VMM_SETUP 0, 0, 0, 0
        VMM_GUEST guest
        mov r12, TEST_LA
        lea r14, [rel vmx_pt + ((TEST_LA - 0x200000) >> 12) * 8]

        call vmm_run                    ; the guest changed its PTE
        CHECK "exit1-cpuid", rax, 10
        call vmm_skip
        call vmm_run                    ; the VMM changes it back
        CHECK "exit2-cpuid", rax, 10
        lea rax, [rel page_a]
        or rax, 3
        mov [r14], rax
        call vmm_skip
        call vmm_run                    ; the guest cleared the accessed flag
        CHECK "exit3-cpuid", rax, 10
        call vmm_skip
        call vmm_run                    ; the guest cleared the dirty flag
        CHECK "exit4-cpuid", rax, 10
        call vmm_skip
        call vmm_run                    ; nothing changed
        CHECK "exit5-cpuid", rax, 10
        call vmm_skip
        call vmm_run
        CHECK "vmcall", rax, 18
        CHECK "before-exit", r8, MARK_A
        CHECK "own-pte", r9, MARK_B
        CHECK "vmm-pte", r10, MARK_A
        mov rax, r11
        and rax, PTE_A
        CHECK "accessed", rax, PTE_A
        mov rax, r13
        and rax, PTE_D
        CHECK "dirty", rax, PTE_D
        CHECK "kept", r15, MARK_A
        call checks_done

; R12 = TEST_LA, R14 = its PTE. CPUID exits leave RAX-RDX to the VMM.
guest:
        mov r8, [r12]                   ; cached: page_a
        lea rax, [rel page_b]
        or rax, 3
        mov [r14], rax                  ; no INVLPG
        cpuid
        mov r9, [r12]                   ; after the entry: page_b
        invlpg [r12]
        mov rax, [r12]                  ; cached: page_b
        cpuid
        mov r10, [r12]                  ; the VMM's PTE: page_a
        and qword [r14], ~PTE_A         ; no INVLPG
        cpuid
        mov rax, [r12]
        mov r11, [r14]                  ; accessed again
        mov rax, [r12]
        mov [r12], rax                  ; dirty
        and qword [r14], ~PTE_D         ; no INVLPG
        cpuid
        mov rax, [r12]
        mov [r12], rax
        mov r13, [r14]                  ; dirty again
        cpuid
        mov r15, [r12]
        vmcall
        ud2

ELF64_BSS
VMX_BSS
VMM64_BSS
        alignb 4096
page_a: resb 4096
page_b: resb 4096
ELF64_END
