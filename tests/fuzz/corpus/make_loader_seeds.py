#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_loader (tests/fuzz/corpus/loader/).

Small, valid images of each kind the loader accepts, so that the fuzzer starts
inside every format instead of having to discover the magic numbers:
  elf64_min         ELF64 x86-64, one PT_LOAD with bss
  elf64_two_mb      ELF64 with two PT_LOADs, a PT_NOTE and a multiboot header
  mb_elf32          multiboot ELF32, text + bss segments
  mb_elf32_high     multiboot ELF32 linked at 0xC0100000, loaded at 1 MiB
  mb_aout           multiboot a.out kludge flat binary with bss
Run from anywhere: python3 make_loader_seeds.py
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "loader")
CODE = bytes([0xFA, 0xF4, 0xEB, 0xFD])  # cli; hlt; jmp $-1
MB_MAGIC = 0x1BADB002


def mb_header(flags, aout=None):
    hdr = struct.pack("<III", MB_MAGIC, flags, (-(MB_MAGIC + flags)) & 0xFFFFFFFF)
    if aout:
        hdr += struct.pack("<5I", *aout)
    return hdr


def elf64(entry, segs, extra=b""):
    """segs: (type, offset, paddr, data, memsz); file data placed at offset."""
    phoff = 64
    eh = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    eh += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, entry, phoff, 0, 0, 64, 56, len(segs), 0, 0, 0)
    ph = b"".join(struct.pack("<IIQQQQQQ", t, 5, off, pa, pa, len(d), mem, 0x1000)
                  for t, off, pa, d, mem in segs)
    img = bytearray(eh + ph)
    for _, off, _, d, _ in segs:
        img += bytes(max(0, off + len(d) - len(img)))
        img[off:off + len(d)] = d
    return bytes(img)


def elf32(entry, segs):
    """segs: (offset, vaddr, paddr, data, memsz)."""
    eh = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    eh += struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, entry, 52, 0, 0, 52, 32, len(segs), 0, 0, 0)
    ph = b"".join(struct.pack("<8I", 1, off, va, pa, len(d), mem, 5, 0x1000)
                  for off, va, pa, d, mem in segs)
    img = bytearray(eh + ph)
    for off, _, _, d, _ in segs:
        img += bytes(max(0, off + len(d) - len(img)))
        img[off:off + len(d)] = d
    return bytes(img)


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {
        "elf64_min": elf64(0x200000, [(1, 0x80, 0x200000, CODE, 0x1000)]),
        "elf64_two_mb": elf64(0x20000c, [
            (1, 0x100, 0x200000, mb_header(3) + CODE, 0x100),
            (4, 0x180, 0, b"note", 4),
            (1, 0x200, 0x300000, bytes(range(32)), 0x2000),
        ]),
        "mb_elf32": elf32(0x10000c, [
            (0x80, 0x100000, 0x100000, mb_header(3) + CODE, 0x10),
            (0xa0, 0x101000, 0x101000, b"data", 0x1000),
        ]),
        "mb_elf32_high": elf32(0xC010000c, [
            (0x80, 0xC0100000, 0x100000, mb_header(1) + CODE, 0x2000),
        ]),
        # header at file offset 0 = header_addr; load to end of file; 4 KiB bss
        "mb_aout": mb_header(0x10003, (0x100000, 0x100000, 0, 0x102000, 0x100020))
                   + CODE + bytes(12),
    }
    for name, data in seeds.items():
        assert len(data) < 4096
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
