; The legacy PC ports: the 8259 PICs' mask registers (0x21, 0xA1) hold what is written;
; ICW1 on the command port clears the mask and starts ICW2..ICW4 on the data port; the
; command port reads 0 (nothing requested, nothing in service). PCI configuration
; mechanism #1: CONFIG_ADDRESS (0xCF8, doubleword) reads back with bits 1:0 clear, and
; CONFIG_DATA reads all ones (no device) whatever the size. The multiboot information
; lies below 1 MiB, outside page 0 (a kernel puts its AP trampoline there). CPUID leaf
; 0AH (no architectural PMU) is all zeros; 80000008H gives MAXPHYADDR 52 (xeon).
;! status: 1
;! stdout: ok pic-master-mask
;! stdout: ok pic-slave-mask
;! stdout: ok pic-icw1-clears-mask
;! stdout: ok pic-after-icw4
;! stdout: ok pic-command-read
;! stdout: ok pci-address
;! stdout: ok pci-address-low-bits
;! stdout: ok pci-data-dword
;! stdout: ok pci-data-word
;! stdout: ok pci-data-byte
;! stdout: ok pci-address-byte-access
;! stdout: ok mbi-not-page0
;! stdout: ok mbi-below-1m
;! stdout: ok cpuid-0a-eax
;! stdout: ok cpuid-0a-ebx
;! stdout: ok cpuid-0a-ecx
;! stdout: ok cpuid-0a-edx
;! stdout: ok maxphyaddr

%include "multiboot.inc"
MB_ELF32_BEGIN start
%include "lib32.inc"

start:
        mov esp, stack_top
        mov [mbi], ebx
        mov al, 0xff
        out 0x21, al
        mov al, 0xfb
        out 0xa1, al
        in al, 0x21
        movzx eax, al
        CHECK32 "pic-master-mask", eax, 0xff
        in al, 0xa1
        movzx eax, al
        CHECK32 "pic-slave-mask", eax, 0xfb
        mov al, 0x11                    ; ICW1: cascade, ICW4 follows
        out 0x20, al
        in al, 0x21
        movzx eax, al
        CHECK32 "pic-icw1-clears-mask", eax, 0
        mov al, 0x20                    ; ICW2: vectors 20H-27H
        out 0x21, al
        mov al, 0x04                    ; ICW3: slave on IR2
        out 0x21, al
        mov al, 0x01                    ; ICW4: 8086 mode
        out 0x21, al
        mov al, 0xfe                    ; now OCW1
        out 0x21, al
        in al, 0x21
        movzx eax, al
        CHECK32 "pic-after-icw4", eax, 0xfe
        in al, 0x20
        movzx eax, al
        CHECK32 "pic-command-read", eax, 0

        mov dx, 0xcf8
        mov eax, 0x80001008             ; bus 0, device 2, function 0, register 8
        out dx, eax
        in eax, dx
        CHECK32 "pci-address", eax, 0x80001008
        mov eax, 0x80000013
        out dx, eax
        in eax, dx
        CHECK32 "pci-address-low-bits", eax, 0x80000010
        mov dx, 0xcfc
        in eax, dx
        CHECK32 "pci-data-dword", eax, 0xffffffff
        mov dx, 0xcfe
        xor eax, eax
        in ax, dx
        CHECK32 "pci-data-word", eax, 0xffff
        mov dx, 0xcfd
        xor eax, eax
        in al, dx
        CHECK32 "pci-data-byte", eax, 0xff
        mov dx, 0xcf8                   ; a byte access is not CONFIG_ADDRESS
        xor eax, eax
        in al, dx
        CHECK32 "pci-address-byte-access", eax, 0xff

        mov ebx, [mbi]
        xor eax, eax
        cmp ebx, 0x1000
        setae al
        CHECK32 "mbi-not-page0", eax, 1
        xor eax, eax
        cmp ebx, 0x100000 - 116         ; the whole 116-byte structure
        setbe al
        CHECK32 "mbi-below-1m", eax, 1

        mov eax, 0x0a
        xor ecx, ecx
        cpuid
        CHECK32 "cpuid-0a-eax", eax, 0
        CHECK32 "cpuid-0a-ebx", ebx, 0
        CHECK32 "cpuid-0a-ecx", ecx, 0
        CHECK32 "cpuid-0a-edx", edx, 0
        mov eax, 0x80000008
        cpuid
        and eax, 0xff
        CHECK32 "maxphyaddr", eax, 52
        call checks_done32

mbi:    dd 0

MB_BSS
        resb 4096
stack_top:
MB_END
