; The sites' one code hook (sim/cpu/sites.h, "One code hook"): its range decides,
; when a block is translated, which instructions call the simulator; a block
; translated while the range was elsewhere must be translated again before it runs,
; or its sites run in the engine. The sites here are RDMSR of IA32_VMX_BASIC, which
; only vtsim answers (the engine's own RDMSR does not give its value).
;
; - the reference: the image's first block reads the MSR (an engine's first
;   translations are not reported to the edge hook: the run's prime scan covers it);
; - one block of three sites (y0) is entered at every instruction boundary around
;   them: before all three, at each site, between two, after the last; each entry is
;   a block of its own, first translated while the range is on a site far away (one
;   of the far_N routines, each translated just before) or on the previous entry's
;   sites, which cover only some of this entry's (entries 4, 2, 0: the range holds
;   the third site, then the second and third, when the block with all three is
;   translated); then every entry again, translated already;
; - a block whose two sites are 300 instructions apart (z_start), entered at its start,
;   at the second site and between, in both orders;
; - then every entry of the three-site block once more, the range on z_start's sites.
; Each entry starts with EAX:EDX and the six result registers holding the
; reference, so a site the entry skips leaves them right and one that ran in the
; engine leaves them wrong.
;
; Also run as image/site_range_trace (tests/CMakeLists.txt) under --trace=insn:
; another code hook on the engine, whose translations then check the range at
; run time (sites.h, "One code hook": `wide`).
;! status: 1
;! stdout: ok reference
;! stdout: ok y4-far
;! stdout: ok y2-range-on-third
;! stdout: ok y0-range-on-second-third
;! stdout: ok y5-far
;! stdout: ok y3-far
;! stdout: ok y1-far
;! stdout: ok y6-no-site
;! stdout: ok y-again
;! stdout: ok y-again
;! stdout: ok y-again
;! stdout: ok y-again
;! stdout: ok y-again
;! stdout: ok y-again
;! stdout: ok y-again
;! stdout: ok z-mid-far
;! stdout: ok z-second
;! stdout: ok z-start
;! stdout: ok z-mid-again
;! stdout: ok y-after-z
;! stdout: ok y-after-z
;! stdout: ok y-after-z
;! stdout: ok y-after-z
;! stdout: ok y-after-z
;! stdout: ok y-after-z
;! stdout: ok y-after-z
;! not-stderr: triple|EXC

%include "elf64.inc"
ELF64_BEGIN start
%include "lib64.inc"

%define MSR_VMX_BASIC 0x480

; Entry N of y0, with the reference in EAX:EDX, ECX = the MSR and R8-R13 (the
; three sites' results); then each result checked.
%macro ENTER_Y 2
        call load_ref
        mov rbx, [rel y_entries + 8 * %1]
        call rbx
        call check_results
        CHECK %2, rax, 0
%endmacro

%macro ENTER_Z 2
        call load_ref
        lea rbx, [rel %1]
        call rbx
        call check_results
        CHECK %2, rax, 0
%endmacro

start:
        mov ecx, MSR_VMX_BASIC
        rdmsr
        mov [rel ref_lo], eax
        mov [rel ref_hi], edx
        call idt_setup
        mov eax, [rel ref_lo]
        or eax, [rel ref_hi]
        xor edx, edx
        test eax, eax
        setnz dl
        CHECK "reference", rdx, 1

        ; Entry 4 (the third site), the range on far_0's site.
        call far_0
        ENTER_Y 4, "y4-far"
        ENTER_Y 2, "y2-range-on-third"
        ENTER_Y 0, "y0-range-on-second-third"
        call far_1
        ENTER_Y 5, "y5-far"
        call far_2
        ENTER_Y 3, "y3-far"
        call far_3
        ENTER_Y 1, "y1-far"
        ENTER_Y 6, "y6-no-site"
        %assign i 0
        %rep 7
        ENTER_Y i, "y-again"
        %assign i i + 1
        %endrep

        call far_4
        ENTER_Z z_mid, "z-mid-far"
        ENTER_Z z_second, "z-second"
        ENTER_Z z_start, "z-start"
        ENTER_Z z_mid, "z-mid-again"
        ; Every entry of y0 once more, its blocks translated while the range was
        ; on their sites and now on z_start's (an engine whose translations check
        ; the range when they run would skip the sites now).
        %assign i 0
        %rep 7
        ENTER_Y i, "y-after-z"
        %assign i i + 1
        %endrep
        call checks_done

load_ref:
        mov eax, [rel ref_lo]
        mov edx, [rel ref_hi]
        mov ecx, MSR_VMX_BASIC
        mov r8d, eax
        mov r9d, edx
        mov r10d, eax
        mov r11d, edx
        mov r12d, eax
        mov r13d, edx
        ret

; RAX = 0 when R8-R13 all hold the reference, else a bit per wrong register.
check_results:
        xor eax, eax
        mov edx, [rel ref_lo]
        mov esi, [rel ref_hi]
        cmp r8d, edx
        setne al
        cmp r9d, esi
        setne cl
        or al, cl
        cmp r10d, edx
        setne cl
        shl cl, 1
        or al, cl
        cmp r11d, esi
        setne cl
        shl cl, 1
        or al, cl
        cmp r12d, edx
        setne cl
        shl cl, 2
        or al, cl
        cmp r13d, esi
        setne cl
        shl cl, 2
        or al, cl
        ret

        align 8
y_entries: dq y0, y1, y2, y3, y4, y5, y6
ref_lo: dd 0
ref_hi: dd 0

; One block, three sites; each label an entry. ECX stays the MSR.
        align 64
y0:     nop
y1:     rdmsr
y2:     mov r8d, eax
        mov r9d, edx
y3:     rdmsr
y4:     mov r10d, eax
        mov r11d, edx
y5:     rdmsr
        mov r12d, eax
        mov r13d, edx
y6:     nop
        ret

; Two sites 300 instructions apart.
        align 64
z_start:
        rdmsr
        mov r8d, eax
        mov r9d, edx
        %rep 150
        nop
        %endrep
z_mid:
        %rep 150
        nop
        %endrep
z_second:
        rdmsr
        mov r10d, eax
        mov r11d, edx
        ret

; Sites far away, each in a block of its own: calling one the first time has it
; translated, which moves the range there.
%macro FAR 1
        align 4096
far_%1: push rax
        push rdx
        mov ecx, MSR_VMX_BASIC
        rdmsr
        pop rdx
        pop rax
        ret
%endmacro
        FAR 0
        FAR 1
        FAR 2
        FAR 3
        FAR 4

ELF64_END
