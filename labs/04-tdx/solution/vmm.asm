; Lab 4: bring up TDX and run a TD.
;
; A VMM on a --tdx machine, in VMX root operation, drives the TDX module with
; SEAMCALL the way Linux and KVM do. The platform half is given
; (tests/images/tdx_bringup.inc, tdx_platform_init): TDH.SYS.INIT, LP.INIT, one TDMR
; with its PAMT, SYS.CONFIG, SYS.KEY.CONFIG, TDMR.INIT. So are running the TD
; (td_run: TDH.VP.ENTER until the TD halts, printing its TDVMCALL<Instruction.IO>
; bytes) and the teardown (td_teardown).
;
; Your part is build_td: create the TD, give it its control structures and its
; vCPU, add the guest's four pages to it (measured), and make it runnable. Every
; SEAMCALL the library makes checks its status: an unexpected one prints
; "FAIL: SEAMCALL leaf N status S" and ends the run. `make check` names the leaf and
; the status, and vtsim explains both (`vtsim explain leaf N`, `vtsim explain status S`).
%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "tdx_bringup.inc"

start:
        call idt_setup
        call vmx_setup
        call tdx_platform_init                  ; rdi: the boot info block
        call build_td
        call td_run
        PUTS "vmm: the TD halted after "
        call put_dec
        PUTSLN " TDVMCALLs"
        call td_teardown
        exit_with 0

; ---------------------------------------------------------------- your part
; The TD, in the order the TDX module accepts (TDX module ABI, "TD Build"):
;   TDH.MNG.CREATE     the TD's root page (TDR) and its private KeyID (HKID)
;   TDH.MNG.KEY.CONFIG the KeyID programmed on the package
;   TDH.MNG.ADDCX      a TDCS page, tdx_tdcs_pages times
;   TDH.MNG.INIT       TD_PARAMS: attributes, XFAM, max vCPUs, the EPT's form
;   TDH.VP.CREATE, TDH.VP.ADDCX (tdx_tdcx_pages times), TDH.VP.INIT   the vCPU
;   per guest page: the S-EPT down to it (td_sept_map), TDH.MEM.PAGE.ADD, and
;                   TDH.MR.EXTEND of each of its 16 256-byte chunks (the measurement)
;   TDH.MR.FINALIZE    the measurement closed: the TD can run
; td_page gives a zeroed page the teardown will reclaim; TDX_CALL leaf, operands...
; makes a SEAMCALL that must succeed.
build_td:
        call tdx_page_alloc                     ; the TDR (reclaimed last)
        mov [rel td_tdr], rax
        mov rax, [rel tdx_global_keyid]
        inc rax                                 ; the first KeyID for TDs
        mov [rel td_hkid], rax
        TDX_CALL TDH_MNG_CREATE, [rel td_tdr], [rel td_hkid]
        TDX_CALL TDH_MNG_KEY_CONFIG, [rel td_tdr]
        mov rbx, [rel tdx_tdcs_pages]
.tdcs:  call td_page
        TDX_CALL TDH_MNG_ADDCX, rax, [rel td_tdr]
        dec rbx
        jnz .tdcs
        call tdx_page_alloc                     ; TD_PARAMS
        mov qword [rax + 8], 3                  ; XFAM: x87, SSE
        mov word [rax + 16], 1                  ; max_vcpus
        mov qword [rax + 24], 6 | 3 << 3        ; EPTP: write-back, 4 levels
        mov qword [rax + 32], 1 << 2            ; config_flags: NO_RBP_MOD
        mov word [rax + 40], 100                ; TSC frequency: 2.5 GHz (25 MHz units)
        TDX_CALL TDH_MNG_INIT, [rel td_tdr], rax
        call td_page
        mov [rel td_tdvpr], rax
        TDX_CALL TDH_VP_CREATE, rax, [rel td_tdr]
        mov rbx, [rel tdx_tdcx_pages]
.tdcx:  call td_page
        TDX_CALL TDH_VP_ADDCX, rax, [rel td_tdvpr]
        dec rbx
        jnz .tdcx
        mov eax, TDH_VP_INIT | 1 << 16          ; version 1: R8 = the x2APIC ID
        mov rcx, [rel td_tdvpr]
        xor edx, edx                            ; the vCPU's initial RCX
        xor r8d, r8d
        call tdx_call_ok
        PUTSLN "vmm: TD created"
        xor ebx, ebx                            ; the guest, page by page
.page:  mov rdx, rbx
        shl rdx, 12
        mov eax, TD_GUEST_GPA
        add rdx, rax
        call td_sept_map
        mov r12, rdx
        call td_page
        lea rcx, [rel td_guest_hpa]
        mov [rcx + rbx * 8], rax
        mov r9, rbx
        shl r9, 12
        lea rsi, [rel td_guest_image]
        add r9, rsi                             ; the source: the image's copy
        TDX_CALL TDH_MEM_PAGE_ADD, r12, [rel td_tdr], rax
        xor edi, edi
.chunk: lea rcx, [r12 + rdi]
        TDX_CALL TDH_MR_EXTEND, rcx, [rel td_tdr]
        add edi, 256
        cmp edi, 4096
        jb .chunk
        inc ebx
        cmp ebx, TD_GUEST_PAGES
        jb .page
        TDX_CALL TDH_MR_FINALIZE, [rel td_tdr]
        PUTSLN "vmm: TD built"
        ret
; ---------------------------------------------------------------- end of your part

; ---------------------------------------------------------------- the TD guest
; Starts at the reset vector, enters long mode (TD_GUEST_BEGIN), prints its message
; one TDVMCALL<Instruction.IO> a byte, and halts with TDVMCALL<Instruction.HLT>.
TD_GUEST_BEGIN
td_guest_main:
        lea rsi, [rel td_msg]
.next:  movzx r15d, byte [rsi]
        test r15d, r15d
        jz .halt
        mov r11d, TDVMCALL_IO
        mov r12d, 1                             ; size
        mov r13d, 1                             ; OUT
        mov r14d, COM1
        call td_tdvmcall
        test rax, rax
        jnz .fail
        test r10, r10
        jnz .fail
        inc rsi
        jmp .next
.halt:  mov r11d, TDVMCALL_HLT
        xor r12d, r12d
        call td_tdvmcall
        jmp .halt
.fail:  ud2
td_msg: db "td: hello from a trust domain", 10, 0
TD_GUEST_END

ELF64_BSS
VMX_BSS
ELF64_END
