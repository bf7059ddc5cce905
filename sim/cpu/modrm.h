/* The ModRM/SIB operand of an instruction met at a site: decoded once from the
 * instruction bytes, then turned into an effective address or into the operand
 * fields of the VM-exit instruction-information word. */
#ifndef VTSIM_MODRM_H
#define VTSIM_MODRM_H

#include <stdbool.h>
#include <stdint.h>

struct cpu_view;
struct site_insn;     /* sites.h, which keeps each site's operand decoded */

struct modrm {
	unsigned reg;            /* ModRM.reg with REX.R */
	bool reg_form;           /* mod = 3 */
	unsigned rm;             /* register form: ModRM.rm with REX.B */
	int base, index;         /* -1 for none */
	unsigned scale;
	int64_t disp;
	bool rip_rel;
	int seg;                 /* enum seg_reg */
	unsigned addr_bits;      /* 16, 32 or 64 */
	unsigned rex;            /* the REX byte, 0 for none */
	bool opsize_prefix;      /* 66 */
};

/* Decodes prefixes, REX, the opcode (0F xx or 0F 38 xx) and ModRM/SIB/displacement,
 * 16-bit addressing included (base BX/BP, index SI/DI, or SI/DI alone as the base).
 * 0, or -1 for a form vtsim does not model (none at present). */
int modrm_decode(const struct site_insn *in, bool long64, bool cs32, struct modrm *o);

/* The effective address (offset within o->seg) of a memory operand. */
uint64_t modrm_offset(const struct modrm *o, const struct cpu_view *v, unsigned insn_len);

/* The linear address of a memory operand: the segment base added outside 64-bit
 * mode, and for FS/GS in it (segment limits are the engine's to check). */
uint64_t modrm_linear(const struct modrm *o, const struct cpu_view *v, unsigned insn_len);

/* Whether `n` bytes at offset `off` of a memory operand's segment may be read
 * outside 64-bit mode (SDM Vol. 3A "Limit Checking"): the segment is usable, not an
 * execute-only code segment, and holds every byte (an expand-down data segment
 * holds the offsets above its limit, up to FFFFH or, with the B flag, FFFFFFFFH).
 * The engine does not check segment limits; the faults are #SS(0) for SS, else
 * #GP(0). */
bool modrm_seg_readable(const struct cpu_view *v, int seg, uint64_t off, unsigned n);

/* The operand part of VM-exit instruction information (SDM "Information for VM Exits
 * Due to Instruction Execution"): scaling 1:0, Reg1 6:3 and bit 10 for a register
 * form, address size 9:7, segment 17:15, index 21:18 (invalid: 22), base 26:23
 * (invalid: 27). The instruction adds its own bits (identity, Reg2, operand size). */
uint32_t modrm_insn_info(const struct modrm *o);

#endif
