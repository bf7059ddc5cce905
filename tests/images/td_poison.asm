; A TD's private memory seen from the host (KeyID 0), from bare-metal code on a --tdx
; machine: the platform and the TD are brought up as in td_lifecycle.asm
; (tdx_bringup.inc), the TD runs to its first TDVMCALL; then
;  - the host reads the TD's private pages through KeyID 0: zeros, every byte (the
;    image's copy they were added from is not), and the TD goes on (a read does no
;    harm);
;  - the host writes one byte of a private page: the page is poisoned, and the next
;    TDH.VP.ENTER returns TDX_TD_FATAL (0xE000060400000000), as does one after it;
;  - teardown (VP.FLUSH is allowed on a fatal TD) still reclaims every page, and the
;    page written is ordinary memory again.
; Every SEAMCALL's status is checked: anything unexpected prints the leaf and the
; status and exits with status 3.
;! args: --tdx --mem 128M --max-insns 50000000
;! status: 1
;! stdout: TDX module initialized: 1 TDMR, PAMT 4108 KiB, global KeyID 16
;! stdout: TD created
;! stdout: TD finalized
;! stdout: TD entered: TDVMCALL<Instruction.IO> 'P'
;! stdout: host read of the TD's 4 private pages through KeyID 0: all zeros
;! stdout: TD entered again: TDVMCALL<Instruction.IO> 'o'
;! stdout: host write to a private page through KeyID 0
;! stdout: TDH.VP.ENTER: TDX_TD_FATAL
;! stdout: TDH.VP.ENTER again: TDX_TD_FATAL
;! stdout: TD torn down: 20 pages reclaimed
;! stdout: the page written is ordinary memory again
;! not-stderr: triple

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"
%include "vmx.inc"
%include "tdx_bringup.inc"

%define POISON_PAGE 3                   ; the guest's code page
%define POISON_OFFSET 0x10

start:
        TDX_START_PLATFORM_AND_TD

        xor r10d, r10d
        xor r11d, r11d
        call enter_io
        PUTS "TD entered: TDVMCALL<Instruction.IO> '"
        call putc
        PUTSLN "'"

        ; The private pages through KeyID 0 (the boot identity map): zeros, though
        ; the image's copy of each is not.
        xor ebx, ebx
.page:  lea rax, [rel td_guest_hpa]
        mov rsi, [rax + rbx * 8]
        call page_is_zero
        jnz bad_read
        mov rsi, rbx
        shl rsi, 12
        lea rax, [rel td_guest_image]
        add rsi, rax
        call page_is_zero
        jz bad_source
        inc ebx
        cmp ebx, TD_GUEST_PAGES
        jb .page
        PUTSLN "host read of the TD's 4 private pages through KeyID 0: all zeros"

        xor r10d, r10d                          ; the answer: success
        xor r11d, r11d
        call enter_io
        PUTS "TD entered again: TDVMCALL<Instruction.IO> '"
        call putc
        PUTSLN "'"

        mov rax, [rel td_guest_hpa + POISON_PAGE * 8]
        mov byte [rax + POISON_OFFSET], 0x55
        PUTSLN "host write to a private page through KeyID 0"

        xor r10d, r10d
        xor r11d, r11d
        mov rcx, [rel td_tdvpr]
        call td_vp_enter
        mov rdx, TDX_TD_FATAL
        cmp rax, rdx
        jne bad_enter
        PUTSLN "TDH.VP.ENTER: TDX_TD_FATAL"
        mov rcx, [rel td_tdvpr]
        call td_vp_enter
        mov rdx, TDX_TD_FATAL
        cmp rax, rdx
        jne bad_enter
        PUTSLN "TDH.VP.ENTER again: TDX_TD_FATAL"

        call td_teardown
        mov rax, [rel td_guest_hpa + POISON_PAGE * 8]
        mov byte [rax + POISON_OFFSET + 0x10], 0x66
        cmp byte [rax + POISON_OFFSET + 0x10], 0x66
        jne bad_after
        PUTSLN "the page written is ordinary memory again"
        exit_with 0

; TDH.VP.ENTER with the answer in r10-r15, which must end in the guest's next
; TDVMCALL<Instruction.IO>: al = its byte.
enter_io:
        mov rcx, [rel td_tdvpr]
        call td_vp_enter
        test rax, rax
        js bad_enter                            ; an error: bit 63
        cmp rax, TD_EXIT_TDCALL
        jne bad_enter
        cmp r11, TDVMCALL_IO
        jne bad_enter
        mov eax, r15d
        ret

; rsi = page: ZF = 1 if all its bytes are 0
page_is_zero:
        push rax
        push rcx
        push rdi
        mov rdi, rsi
        xor eax, eax
        mov ecx, 4096 / 8
        cld
        repe scasq
        pop rdi
        pop rcx
        pop rax
        ret

bad_enter:
        PUTS "FAIL: TDH.VP.ENTER status "
        call put_hex64
        call newline
        exit_with TDX_FAIL_EXIT
bad_read:
        PUTS "FAIL: a private page reads as data through KeyID 0: page "
        mov rax, rbx
        call put_dec
        call newline
        exit_with TDX_FAIL_EXIT
bad_source:
        PUTSLN "FAIL: the guest image has a page of zeros"
        exit_with TDX_FAIL_EXIT
bad_after:
        PUTSLN "FAIL: the reclaimed page does not keep what is written to it"
        exit_with TDX_FAIL_EXIT

; ---------------------------------------------------------------- the TD guest
; As td_lifecycle.asm's: its message one TDVMCALL<Instruction.IO> per byte, then
; TDVMCALL<Instruction.HLT>. The host lets it get to the second byte.
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
        inc rsi
        jmp .next
.halt:  mov r11d, TDVMCALL_HLT
        xor r12d, r12d
        call td_tdvmcall
        jmp .halt
td_msg: db "Poisoned soon", 10, 0
TD_GUEST_END

ELF64_BSS
VMX_BSS
ELF64_END
