; VMX operation on every processor, each with its own VMX state: the BSP and three
; APs (started by INIT and a start-up IPI) each turn on paging, CR0.NE and CR4.VMXE,
; run VMXON on a region of their own, VMPTRLD a VMCS of their own and VMWRITE
; GUEST_RIP = 1000H + APIC ID; each then reads back its GUEST_RIP and its current-VMCS
; pointer (VMPTRST), so no LP sees another's VMCS. Then INIT is blocked in VMX root
; operation (SDM "INIT Signal"): an INIT and a start-up IPI to the APs change nothing,
; they do not start again. The INIT stays latched: once the APs leave VMX operation
; (VMXOFF) they take it before their next instruction and wait for a start-up IPI
; (kvm-unit-tests' vmx_init_signal_test), which starts them again.
;! args: --cpus 4
;! status: 1
;! stdout: ok bsp-vmx
;! stdout: ok aps-started
;! stdout: ok vmxon-each
;! stdout: ok vmread-each
;! stdout: ok vmptrst-each
;! stdout: ok init-blocked-in-vmx-root
;! stdout: ok init-taken-at-vmxoff
;! stdout: ok started-again
;! not-stderr: triple

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"
%include "smp.inc"
%define AP_ENTRY ap32

%define NCPU 4
%define GUEST_RIP 0x681e

start:
        mov esp, stack_top
        ; page directory: 4 MiB identity pages for all 4 GiB (the APIC too)
        mov edi, pd
        mov eax, 0x83                           ; P | RW | PS
        mov ecx, 1024
.pd:    mov [edi], eax
        add eax, 0x400000
        add edi, 4
        loop .pd
        xor esi, esi
        call vmx_enter
        call vmx_report
        mov eax, [vmx_ok]
        CHECK32 "bsp-vmx", eax, 1

        SMP_COPY_TRAMPOLINE
        mov dword [APIC + 0x310], 0
        mov dword [APIC + 0x300], 0x000C4500    ; INIT, all excluding self
        mov dword [APIC + 0x300], 0x000C4608    ; start-up at 8000H
.wait:  pause
        cmp dword [ap_started], NCPU - 1
        jne .wait
        CHECK32 "aps-started", [ap_started], NCPU - 1

        ; vmx_ok / guest_rip / current VMCS of each LP
        xor ebx, ebx                            ; bits of the LPs that did well
        xor edx, edx
        xor edi, edi
        xor ecx, ecx
.each:  cmp dword [vmx_ok + ecx * 4], 1
        jne .n1
        bts ebx, ecx
.n1:    lea eax, [ecx + 0x1000]
        cmp [guest_rip + ecx * 4], eax
        jne .n2
        bts edx, ecx
.n2:    mov eax, ecx
        shl eax, 12
        add eax, vmcs_regions
        cmp [cur_vmcs + ecx * 8], eax
        jne .n3
        cmp dword [cur_vmcs + ecx * 8 + 4], 0
        jne .n3
        bts edi, ecx
.n3:    inc ecx
        cmp ecx, NCPU
        jb .each
        CHECK32 "vmxon-each", ebx, 0xf
        CHECK32 "vmread-each", edx, 0xf
        CHECK32 "vmptrst-each", edi, 0xf

        mov dword [APIC + 0x300], 0x000C4500    ; INIT: blocked in VMX root operation
        mov dword [APIC + 0x300], 0x000C4608    ; so this start-up IPI finds no waiter
        mov ecx, 200000
.spin:  pause
        loop .spin
        CHECK32 "init-blocked-in-vmx-root", [ap_started], NCPU - 1
        mov dword [release], 1                  ; the APs: VMXOFF
        mov ecx, 200000
.spin2: pause
        loop .spin2
        CHECK32 "init-taken-at-vmxoff", [ap_past_vmxoff], 0
        mov dword [APIC + 0x300], 0x000C4608    ; start-up at 8000H: they wait for it
.wait2: pause
        cmp dword [ap_past_vmxoff], NCPU - 1
        jne .wait2
        CHECK32 "started-again", [ap_started], 2 * (NCPU - 1)
        jmp checks_done32

; esi = APIC ID: paging, CR0.NE, CR4.VMXE, VMXON, VMPTRLD, VMWRITE, VMREAD, VMPTRST
vmx_enter:
        mov eax, cr4
        or eax, 0x2010                          ; VMXE | PSE
        mov cr4, eax
        mov eax, pd
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000020                      ; PG | NE
        mov cr0, eax
        mov ecx, 0x480                          ; IA32_VMX_BASIC: the revision identifier
        rdmsr
        and eax, 0x7fffffff
        mov ebx, esi
        shl ebx, 12
        mov [vmxon_regions + ebx], eax
        mov [vmcs_regions + ebx], eax
        lea eax, [vmxon_regions + ebx]
        mov [ptr_tmp + esi * 8], eax
        vmxon [ptr_tmp + esi * 8]
        jbe .bad
        jz .bad
        lea eax, [vmcs_regions + ebx]
        mov [ptr_tmp + esi * 8], eax
        vmclear [ptr_tmp + esi * 8]
        jbe .bad
        vmptrld [ptr_tmp + esi * 8]
        jbe .bad
        lea eax, [esi + 0x1000]
        mov ecx, GUEST_RIP
        vmwrite ecx, eax
        jbe .bad
        mov dword [vmx_ok + esi * 4], 1
.bad:   ret

; after vmx_enter: read back GUEST_RIP and the current-VMCS pointer
vmx_report:
        mov ecx, GUEST_RIP
        vmread eax, ecx
        mov [guest_rip + esi * 4], eax
        vmptrst [cur_vmcs + esi * 8]
        ret

ap32:
        SMP_AP_PROLOGUE ap_stacks
        call vmx_enter
        call vmx_report
        lock inc dword [ap_started]
.wait:  pause                                   ; in VMX root: the INIT waits
        cmp dword [release], 1
        jne .wait
        vmxoff                                  ; the INIT is taken here the first time
        lock inc dword [ap_past_vmxoff]
.idle:  cli
        hlt
        jmp .idle

SMP_TRAMPOLINE

ap_started: dd 0
release: dd 0
ap_past_vmxoff: dd 0

MB_BSS
        alignb 4096
pd:     resb 4096
vmxon_regions: resb NCPU * 4096
vmcs_regions: resb NCPU * 4096
vmx_ok: resd NCPU
guest_rip: resd NCPU
cur_vmcs: resq NCPU
ptr_tmp: resq NCPU
ap_stacks: resb NCPU * 1024
        resb 4096
stack_top:
MB_END
