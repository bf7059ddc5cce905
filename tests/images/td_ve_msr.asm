; A TD guest's #VEs and the guest leaves' refusals, each value checked by this
; file's expected stdout:
;  - TDG.VP.VEINFO.GET with no #VE pending: TDX_NO_VALID_VE_INFO;
;  - TDG.MR.RTMR.EXTEND, TDG.MR.REPORT, TDG.VP.VMCALL, TDG.VP.WR with bad
;    operands: TDX_OPERAND_INVALID with the operand id; TDG.VM.RD, TDG.VM.WR,
;    TDG.SYS.RD and TDG.VP.WR of an unknown field: TDX_METADATA_FIELD_ID_INCORRECT
;    (TDG.VP.WR of PEND_NMI, not guest-readable: TDX_METADATA_FIELD_NOT_READABLE),
;    and their outputs; TDG.SYS.RD of the null id: the first id, with
;    TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT; every METADATA_FIELD status bare, as
;    the module returns it (no operand id);
;  - TDG.VM.WR with R9 all ones: CONFIG_FLAGS, none of it the guest's:
;    METADATA_FIELD_NOT_WRITABLE; TD_CTLS, its writable bits 3:0 written and the
;    rest unchanged: success; changing bit 4: METADATA_FIELD_VALUE_NOT_VALID;
;  - RDMSR and WRMSR of IA32_TSC_DEADLINE (0x6E0): a #VE (exit reason 31, 32; the
;    instruction's length 2), which the guest's handler forwards as
;    TDG.VP.VMCALL<Instruction.RDMSR/WRMSR>; the VMM below sees the MSR and value
;    in R12/R13 and answers in R11, which the guest gets in EDX:EAX;
;  - WRMSR of IA32_VMX_BASIC (read-only in a TD) and of IA32_SGXLEPUBKEYHASH0
;    (the module's #GP rows): #GP(0);
;  - a read of a page the VMM added after finalization (TDH.MEM.PAGE.AUG) that the
;    guest has not accepted: a #VE with the EPT violation's reason (48),
;    qualification and GPA; the handler accepts the page and the read returns 0;
;  - TDG.VP.VMCALL<ReportFatalError>: the VMM sees R12 (error code) and R13 and does
;    not enter the TD again; teardown reclaims every page.
; The guest reports each value through a vendor-specific TDVMCALL (R10 = 1, R11 =
; an 8-character tag, R12 = the value) that the VMM prints as "tag value".
;! args: --tdx --mem 128M --max-insns 50000000
;! status: 1
;! stdout: TDX module initialized: 1 TDMR, PAMT 4108 KiB, global KeyID 16
;! stdout: TD created
;! stdout: TD finalized
;! stdout: TDH.MEM.PAGE.AUG of GPA 0xFFE00000: PENDING
;! stdout: VEINFO   c000070400000000
;! stdout: RTMR.ALN c000010000000001
;! stdout: RTMR.GPA c000010000000001
;! stdout: RTMR.IDX c000010000000002
;! stdout: REP.OUT  c000010000000001
;! stdout: REP.DATA c000010000000002
;! stdout: REP.SUB  c000010000000008
;! stdout: VM.RD    c0000c0000000000
;! stdout: VM.RD.R8 0000000000000000
;! stdout: SYS.RD   c0000c0000000000
;! stdout: SYS.RDX  ffffffffffffffff
;! stdout: VMCL.RSP c000010000000001
;! stdout: VMCL.RBP c000010000000001
;! stdout: VMCL.HI  c000010000000001
;! stdout: VM.WR    c0000c0000000000
;! stdout: VM.WR.RO c0000c0100000000
;! stdout: VM.WR.WD 0000000000000000
;! stdout: VM.WR.CH c0000c0300000000
;! stdout: SYS.RD.0 00000c0b00000000
;! stdout: SYS.RD.N 0800000100000003
;! stdout: VP.WR.ID c0000c0000000000
;! stdout: VP.WR.RC c000010000000001
;! stdout: VP.WR.NR c0000c0200000000
;! stdout: VE.REASN 000000000000001f
;! stdout: VE.QUAL  0000000000000000
;! stdout: VE.LEN   0000000000000002
;! stdout: VMM: TDVMCALL<Instruction.RDMSR> R12 00000000000006e0
;! stdout: RDMSR.ST 0000000000000000
;! stdout: RDMSR.AX 0000000055667788
;! stdout: RDMSR.DX 0000000011223344
;! stdout: VE.REASN 0000000000000020
;! stdout: VE.QUAL  0000000000000000
;! stdout: VE.LEN   0000000000000002
;! stdout: VMM: TDVMCALL<Instruction.WRMSR> R12 00000000000006e0 R13 0000cafe12345678
;! stdout: WRMSR.ST 0000000000000000
;! stdout: GP.ERROR 0000000000000000
;! stdout: GP.ERROR 0000000000000000
;! stdout: VEINFO   c000070400000000
;! stdout: VE.REASN 0000000000000030
;! stdout: VE.QUAL  0000000000000181
;! stdout: VE.LEN   0000000000000000
;! stdout: VE.GLA   00000000ffe00010
;! stdout: VE.GPA   00000000ffe00010
;! stdout: ACCEPT   0000000000000000
;! stdout: PENDING  0000000000000000
;! stdout: VMM: TDVMCALL<ReportFatalError> R12 0000000000001234 R13 0000000000000000
;! stdout: TD torn down: 21 pages reclaimed
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "tdx_bringup.inc"

%define PENDING_GPA 0xFFE00000
%define TDVMCALL_RDMSR 31
%define TDVMCALL_WRMSR 32
%define TDVMCALL_REPORT_FATAL 0x10003

start:
        TDX_START_PLATFORM_AND_TD
        mov rdx, PENDING_GPA                    ; the S-EPT tables are the image's
        call td_sept_map
        call td_page
        TDX_CALL TDH_MEM_PAGE_AUG, PENDING_GPA, [rel td_tdr], rax
        PUTSLN "TDH.MEM.PAGE.AUG of GPA 0xFFE00000: PENDING"
        call vmm_run
        call td_teardown
        exit_with 0

; ---------------------------------------------------------------- the VMM
; TDH.VP.ENTER until ReportFatalError; every exit must be a TDVMCALL.
vmm_run:
        xor r10d, r10d
        xor r11d, r11d
.enter: mov rcx, [rel td_tdvpr]
        call td_vp_enter
        mov rdx, TDX_STATUS_MASK
        test rax, rdx
        jnz .bad
        cmp eax, TD_EXIT_TDCALL
        jne .bad
        mov [rel vmm_r12], r12
        mov [rel vmm_r13], r13
        cmp r10, 1
        je .report
        test r10, r10
        jnz .bad
        cmp r11, TDVMCALL_RDMSR
        je .rdmsr
        cmp r11, TDVMCALL_WRMSR
        je .wrmsr
        cmp r11, TDVMCALL_REPORT_FATAL
        je .fatal
        jmp .bad
.report:
        cmp rcx, 0x1c00                         ; R10-R12 exposed
        jne .bad
        mov [rel vmm_tag], r11
        lea rsi, [rel vmm_tag]
        call puts
        PUTS " "
        mov rax, r12
        call put_hex64
        call newline
        xor r11d, r11d
        jmp .answer
.rdmsr: PUTS "VMM: TDVMCALL<Instruction.RDMSR> R12 "
        mov rax, r12
        call put_hex64
        call newline
        mov r11, 0x1122334455667788             ; the MSR's value
        jmp .answer
.wrmsr: PUTS "VMM: TDVMCALL<Instruction.WRMSR> R12 "
        mov rax, r12
        call put_hex64
        PUTS " R13 "
        mov rax, r13
        call put_hex64
        call newline
        xor r11d, r11d
.answer:
        xor r10d, r10d                          ; TDG.VP.VMCALL_SUCCESS
        mov r12, [rel vmm_r12]
        mov r13, [rel vmm_r13]
        jmp .enter
.fatal: cmp rcx, 0xfc00
        jne .bad
        PUTS "VMM: TDVMCALL<ReportFatalError> R12 "
        mov rax, r12
        call put_hex64
        PUTS " R13 "
        mov rax, r13
        call put_hex64
        call newline
        ret
.bad:   PUTS "FAIL: unexpected TD exit: status "
        call put_hex64
        PUTS " rcx "
        mov rax, rcx
        call put_hex64
        PUTS " r10 "
        mov rax, r10
        call put_hex64
        PUTS " r11 "
        mov rax, r11
        call put_hex64
        call newline
        exit_with TDX_FAIL_EXIT

        align 8, db 0
vmm_r12: dq 0
vmm_r13: dq 0
vmm_tag: dq 0
         db 0

; ---------------------------------------------------------------- the TD guest
%include "td_guest.inc"

; TDG leaf in eax with rcx, rdx, r8: RAX reported under `tag`.
%macro TDG_ST 5
        mov eax, %2
        mov rcx, %3
        mov rdx, %4
        mov r8, %5
        TDCALL
        REPORT %1, rax
%endmacro

TD_GUEST_BEGIN
td_guest_main:
        lea rdi, [rel g_idt]
        lea rax, [rel g_gp]
        mov esi, 13
        call g_set_gate
        lea rax, [rel g_ve]
        mov esi, 20
        call g_set_gate
        mov [rel g_idtr + 2], rdi
        lidt [rel g_idtr]

        mov eax, 3                              ; TDG.VP.VEINFO.GET, no #VE yet
        TDCALL
        REPORT 'VEINFO  ', rax

        lea rbx, [rel g_buf]                    ; 64-byte aligned, private
        lea r14, [rbx + 8]
        lea r15, [rbx + 1]
        TDG_ST 'RTMR.ALN', 2, r14, 2, 0         ; TDG.MR.RTMR.EXTEND: GPA not aligned
        TDG_ST 'RTMR.GPA', 2, 0x1000, 2, 0      ;   a GPA the TD does not have
        TDG_ST 'RTMR.IDX', 2, rbx, 4, 0         ;   no RTMR[4]
        TDG_ST 'REP.OUT ', 4, 0xFFFFF100, rbx, 0 ; TDG.MR.REPORT: not 1 KiB aligned
        TDG_ST 'REP.DATA', 4, 0xFFFFF000, r15, 0 ; REPORTDATA not 64-byte aligned
        TDG_ST 'REP.SUB ', 4, 0xFFFFF000, rbx, 1 ; subtype 1
        TDG_ST 'VM.RD   ', 7, 0, 0x1234, 0x55   ; TDG.VM.RD: no such field
        REPORT 'VM.RD.R8', r8
        TDG_ST 'SYS.RD  ', 11, 0, 0x1234, 0x55  ; TDG.SYS.RD: no such field
        REPORT 'SYS.RDX ', rdx
        TDG_ST 'VMCL.RSP', 0, 0x10, 0, 0        ; TDG.VP.VMCALL: RSP exposed
        TDG_ST 'VMCL.RBP', 0, 0x20, 0, 0        ;   RBP, with NO_RBP_MOD
        mov rcx, 1 << 32
        TDG_ST 'VMCL.HI ', 0, rcx, 0, 0         ;   bits 63:32
        TDG_ST 'VM.WR   ', 8, 0, 0x1234, 0      ; TDG.VM.WR: no such field
        mov r9, -1                              ; R9: every bit
        TDG_ST 'VM.WR.RO', 8, 0, 0x1110000300000016, 0   ; CONFIG_FLAGS: none the guest's
        mov r9, -1
        TDG_ST 'VM.WR.WD', 8, 0, 0x1110000300000017, 0   ; TD_CTLS: bits 3:0 written, the rest kept
        mov r9, -1
        TDG_ST 'VM.WR.CH', 8, 0, 0x1110000300000017, 0x10 ;   changing bit 4, not the guest's
        TDG_ST 'SYS.RD.0', 11, 0, -1, 0         ; TDG.SYS.RD of the null id
        REPORT 'SYS.RD.N', rdx                  ;   the first id
        TDG_ST 'VP.WR.ID', 10, 0, 0xff, 0       ; TDG.VP.WR: no such field
        TDG_ST 'VP.WR.RC', 10, 1, 0xff, 0       ;   RCX not 0
        mov rdx, 0x200000000000000B
        TDG_ST 'VP.WR.NR', 10, 0, rdx, 0        ;   PEND_NMI: not the guest's to read

        mov ecx, 0x6e0                          ; IA32_TSC_DEADLINE: #VE
        rdmsr
        REPORT 'RDMSR.AX', rax
        REPORT 'RDMSR.DX', rdx
        mov ecx, 0x6e0
        mov edx, 0xcafe
        mov eax, 0x12345678
        wrmsr
        mov ecx, 0x480                          ; IA32_VMX_BASIC: a write #GPs
        wrmsr
        mov ecx, 0x8c                           ; IA32_SGXLEPUBKEYHASH0: #GP
        wrmsr
        mov eax, 3                              ; every #VE was read
        TDCALL
        REPORT 'VEINFO  ', rax

        mov ebx, PENDING_GPA
        mov rax, [rbx + 0x10]                   ; not accepted yet: #VE
        REPORT 'PENDING ', rax

        mov r11d, TDVMCALL_REPORT_FATAL
        mov r12d, 0x1234                        ; the error code
        xor r13d, r13d                          ; no data page
        call td_tdvmcall
        REPORT 'FATAL?  ', r10                  ; the VMM should not come back
.halt:  hlt
        jmp .halt

TD_GUEST_HELPERS

; #VE: TDG.VP.VEINFO.GET, each value reported; RDMSR and WRMSR forwarded to the
; VMM and skipped, a pending page accepted (the access runs again).
g_ve:   push rax
        push rcx
        push rdx
        push r8
        push r9
        push r10
        push r11
        push r12
        push r13
        mov eax, 3
        TDCALL
        mov [rel g_ve_len], r10d
        mov rax, rcx
        REPORT 'VE.REASN', rax
        REPORT 'VE.QUAL ', rdx
        REPORT 'VE.LEN  ', r10
        cmp eax, 31
        je .rdmsr
        cmp eax, 32
        je .wrmsr
        REPORT 'VE.GLA  ', r8
        REPORT 'VE.GPA  ', r9
        mov rcx, r9
        and rcx, ~0xfff
        mov eax, 6                              ; TDG.MEM.PAGE.ACCEPT, 4 KiB
        TDCALL
        REPORT 'ACCEPT  ', rax
        jmp .out
.rdmsr: mov r11d, TDVMCALL_RDMSR
        mov r12d, [rsp + 56]                    ; the MSR (ECX)
        call td_tdvmcall
        mov r13, r11                            ; the value
        REPORT 'RDMSR.ST', r10
        mov eax, r13d
        mov [rsp + 64], rax                     ; EDX:EAX
        shr r13, 32
        mov [rsp + 48], r13
        jmp .skip
.wrmsr: mov r11d, TDVMCALL_WRMSR
        mov r12d, [rsp + 56]
        mov r13d, [rsp + 48]
        shl r13, 32
        mov eax, [rsp + 64]
        or r13, rax
        call td_tdvmcall
        REPORT 'WRMSR.ST', r10
.skip:  mov eax, [rel g_ve_len]
        add [rsp + 72], rax
.out:   pop r13
        pop r12
        pop r11
        pop r10
        pop r9
        pop r8
        pop rdx
        pop rcx
        pop rax
        iretq

g_ve_len: dd 0
        align 8, db 0
g_idtr: dw 21 * 16 - 1
        dq 0
        align 64, db 0
g_buf:  times 64 db 0
g_idt:  times 21 * 16 db 0
TD_GUEST_END

ELF64_BSS
VMX_BSS
ELF64_END
