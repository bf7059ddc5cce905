/* One instruction in words, for the trace and the diagnostics: Capstone's reading,
 * except for the TDX instructions Capstone 5 does not know (it reads TDCALL as no
 * instruction and SEAMCALL as ENCLS), which vtsim names itself. */
#ifndef VTSIM_DISASM_H
#define VTSIM_DISASM_H

#include <stddef.h>
#include <stdint.h>

#include <capstone/capstone.h>

/* The instruction at the start of `buf` (n bytes, at `rip`, decoded with `h`, whose
 * mode is the code size) into `out`, "(bad)" when it is no instruction. Returns its
 * length, 0 for "(bad)". */
unsigned disasm_one(csh h, const uint8_t *buf, size_t n, uint64_t rip, char *out, size_t size);

#endif
