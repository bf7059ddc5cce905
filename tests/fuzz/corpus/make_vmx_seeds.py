#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_vmx (tests/fuzz/corpus/vmx/).

Each seed is a short VMX instruction sequence that reaches one architected
outcome, so that the fuzzer starts next to every VM-instruction error and fault
the unit has instead of having to find VMXON and a current VMCS first. Records
are fuzz_vmx.c's 12 bytes: instruction, pointer choice, flags, offset, a 64-bit
register value. Run from anywhere: python3 make_vmx_seeds.py
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vmx")

(VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH, VMRESUME,
 VMCALL, INVEPT, INVVPID, VMFUNC) = range(13)
REG_FORM = 0x40
RAW_PTR = 0x80       # the memory operand's pointer is the register value


def rec(insn, region=0, reg=0, flags=1, off=0):
    """region: the prepared page (0 VMXON's, 1-3 VMCS pages, 4 a shadow VMCS);
    flags bits 1:0 nonzero: no offset into it (else `off` is added)."""
    return struct.pack("<BBBBQ", insn, region, flags, off, reg)


def raw(insn, ptr, flags=1):
    return struct.pack("<BBBBQ", insn, RAW_PTR, flags, 0, ptr)


ON = rec(VMXON)
LOAD = rec(VMPTRLD, region=1)
SEEDS = {
    # VMXON in VMX root operation: VMfailInvalid without a current VMCS,
    # VMfailValid 15 with one.
    "vmxon_twice": ON + ON + LOAD + ON,
    # VMfailInvalid: VMXON's region not 4 KiB aligned.
    "vmxon_unaligned": rec(VMXON, flags=0, off=0x10),
    # VMfailValid 2 and 3 (a current VMCS makes them valid failures): VMCLEAR of
    # an unaligned pointer, of the VMXON pointer.
    "vmclear_bad_ptrs": ON + LOAD + rec(VMCLEAR, region=1, flags=0, off=0x08) + rec(VMCLEAR, region=0),
    # VMfailValid 9, 10, 11: VMPTRLD unaligned, of the VMXON pointer, of zeros
    # (revision identifier 0).
    "vmptrld_bad_ptrs": ON + LOAD + rec(VMPTRLD, region=2, flags=0, off=0x40) + rec(VMPTRLD, region=0)
    + raw(VMPTRLD, 0x20000),
    # A shadow VMCS (bit 31 of its revision) by VMPTRLD, then VMPTRST.
    "vmptrld_shadow": ON + rec(VMPTRLD, region=4) + rec(VMPTRST, region=3),
    # VMREAD and VMWRITE of GUEST_RIP, register and memory forms, then VMREAD of
    # an encoding that names no field (VMfailValid 12) and VMWRITE of the
    # exit reason (read-only: 13, unless IA32_VMX_MISC allows VMWRITE to any
    # field, as vtsim's does).
    "vmread_vmwrite": ON + LOAD + rec(VMWRITE, reg=0x681E, flags=REG_FORM)
    + rec(VMREAD, region=2, reg=0x681E, flags=REG_FORM) + rec(VMREAD, region=2, reg=0x681E, flags=1)
    + rec(VMREAD, reg=0x7FFF, flags=REG_FORM) + rec(VMWRITE, reg=0x4402, flags=REG_FORM),
    # VMfailInvalid: VMLAUNCH with no current VMCS; then a clear VMCS's VMLAUNCH
    # fails its control checks (VMfailValid 7) and VMRESUME wants it launched (5).
    "vmlaunch_vmresume": ON + rec(VMLAUNCH) + rec(VMCLEAR, region=1) + LOAD + rec(VMLAUNCH)
    + rec(VMRESUME),
    # VMfailValid 1: VMCALL in VMX root operation.
    "vmcall_root": ON + LOAD + rec(VMCALL),
    # INVEPT of each type: single-context with a valid EPTP (write-back, 4
    # levels: the pointer 0x1001e) and with an invalid one (0x10000), all-context,
    # 0 and 3 invalid (28); INVVPID of each type (VPID 1, address 1; 0 and 4: 28).
    "invept_types": ON + LOAD + rec(INVEPT, reg=1, flags=0, off=0x1E)
    + b"".join(rec(INVEPT, reg=t, flags=1) for t in (1, 2, 0, 3)),
    "invvpid_types": ON + LOAD + b"".join(raw(INVVPID, t) for t in (0, 1, 2, 3, 4)),
    # #UD: VMFUNC outside a guest, VMREAD after VMXOFF; VMPTRST with no current
    # VMCS stores ~0.
    "vmxoff_then_ud": ON + rec(VMPTRST, region=2) + rec(VMXOFF) + rec(VMREAD, reg=0x681E, flags=REG_FORM)
    + rec(VMFUNC),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
