/* Decoding the ModRM operand of a site instruction (see modrm.h). */
#include <string.h>

#include "sim/cpu/modrm.h"

#include "sim/cpu/cpustate.h"
#include "sim/cpu/sites.h"

int modrm_decode(const struct site_insn *in, bool long64, bool cs32, struct modrm *o)
{
	const uint8_t *b = in->bytes;
	unsigned i = 0, rex = 0;
	int seg_override = -1;
	bool addr_override = false, op66 = false;
	/* Legacy prefixes, and in 64-bit mode REX bytes among them: only a REX right
	 * before the opcode counts. */
	for (; i < 14; i++) {
		if (long64 && (b[i] & 0xf0) == 0x40) {
			rex = b[i];
			continue;
		}
		switch (b[i]) {
		case 0x26: seg_override = SEG_ES; break;
		case 0x2e: seg_override = SEG_CS; break;
		case 0x36: seg_override = SEG_SS; break;
		case 0x3e: seg_override = SEG_DS; break;
		case 0x64: seg_override = SEG_FS; break;
		case 0x65: seg_override = SEG_GS; break;
		case 0x67: addr_override = true; break;
		case 0x66: op66 = true; break;
		case 0xf2: case 0xf3: case 0xf0: break;
		default: goto opcode;
		}
		rex = 0;
	}
opcode:
	/* 0F xx, 0F 38 xx, or a one-byte opcode (FF /3, FF /5: far CALL/JMP) */
	i += b[i] != 0x0f ? 1 : b[i + 1] == 0x38 ? 3 : 2;
	uint8_t m = b[i++];
	memset(o, 0, sizeof(*o));
	o->reg = ((m >> 3) & 7) | ((rex & 4) ? 8 : 0);
	o->base = o->index = -1;
	o->rex = rex;
	o->opsize_prefix = op66;
	o->scale = 1;
	unsigned mod = m >> 6, rm = m & 7;
	if (mod == 3) {
		o->reg_form = true;
		o->rm = rm | ((rex & 1) ? 8 : 0);
		return 0;
	}
	o->addr_bits = long64 ? (addr_override ? 32 : 64) : (cs32 != addr_override ? 32 : 16);
	if (o->addr_bits == 16) {
		/* 16-bit addressing: BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP (disp16 alone
		 * with mod = 0), BX; BP-based forms use SS. */
		static const int8_t base16[8] = { 3, 3, 5, 5, -1, -1, 5, 3 };
		static const int8_t index16[8] = { 6, 7, 6, 7, 6, 7, -1, -1 };
		o->base = base16[rm];
		o->index = index16[rm];
		if (rm == 4 || rm == 5) {       /* [SI], [DI]: the register is the base */
			o->base = o->index;
			o->index = -1;
		}
		if (mod == 0 && rm == 6) {
			o->base = -1;
			o->disp = (int16_t)(b[i] | b[i + 1] << 8);
		} else if (mod == 1) {
			o->disp = (int8_t)b[i];
		} else if (mod == 2) {
			o->disp = (int16_t)(b[i] | b[i + 1] << 8);
		}
		o->seg = seg_override >= 0 ? seg_override : o->base == 5 ? SEG_SS : SEG_DS;
		return 0;
	}
	if (rm == 4) {
		uint8_t sib = b[i++];
		o->scale = 1u << (sib >> 6);
		unsigned idx = ((sib >> 3) & 7) | ((rex & 2) ? 8 : 0);
		o->index = idx == 4 ? -1 : (int)idx;
		unsigned base = sib & 7;
		if (base == 5 && mod == 0) {
			int32_t d;
			memcpy(&d, b + i, 4);
			i += 4;
			o->disp = d;
		} else {
			o->base = (int)(base | ((rex & 1) ? 8 : 0));
		}
	} else if (rm == 5 && mod == 0) {
		int32_t d;
		memcpy(&d, b + i, 4);
		i += 4;
		o->disp = d;
		o->rip_rel = long64;
	} else {
		o->base = (int)(rm | ((rex & 1) ? 8 : 0));
	}
	if (mod == 1) {
		o->disp += (int8_t)b[i];
	} else if (mod == 2) {
		int32_t d;
		memcpy(&d, b + i, 4);
		o->disp += d;
	}
	bool ss_base = o->base == 4 || o->base == 5;
	o->seg = seg_override >= 0 ? seg_override : ss_base ? SEG_SS : SEG_DS;
	return 0;
}

uint64_t modrm_offset(const struct modrm *o, const struct cpu_view *v, unsigned insn_len)
{
	uint64_t ea = (uint64_t)o->disp;
	if (o->rip_rel)
		ea += v->rip + insn_len;
	if (o->base >= 0)
		ea += v->gpr[o->base];
	if (o->index >= 0)
		ea += v->gpr[o->index] * o->scale;
	return o->addr_bits == 32 ? (uint32_t)ea : o->addr_bits == 16 ? (uint16_t)ea : ea;
}

uint64_t modrm_linear(const struct modrm *o, const struct cpu_view *v, unsigned insn_len)
{
	uint64_t la = modrm_offset(o, v, insn_len);
	bool long64 = cpu_view_long64(v);
	if (!long64 || o->seg == SEG_FS || o->seg == SEG_GS)
		la += v->segs[o->seg].base;
	return long64 ? la : (uint32_t)la;
}

bool modrm_seg_readable(const struct cpu_view *v, int seg, uint64_t off, unsigned n)
{
	const struct seg *s = &v->segs[seg];
	bool code = s->attr & 8, readable = s->attr & 2;
	if ((s->attr & SEG_ATTR_UNUSABLE) || (code && !readable))
		return false;
	uint64_t last = off + n - 1, top = (s->attr & (1u << 14)) ? 0xffffffffull : 0xffff;
	if (!code && (s->attr & 4))
		return off > s->limit && last <= top;
	return last <= s->limit;
}

uint32_t modrm_insn_info(const struct modrm *o)
{
	if (o->reg_form)
		return 1u << 10 | (uint32_t)(o->rm & 15) << 3;
	unsigned scale_bits = o->scale == 8 ? 3 : o->scale == 4 ? 2 : o->scale == 2 ? 1 : 0;
	uint32_t info = scale_bits | (o->addr_bits == 64 ? 2u : o->addr_bits == 32 ? 1u : 0u) << 7 |
			(uint32_t)o->seg << 15;
	info |= o->index >= 0 ? (uint32_t)o->index << 18 : 1u << 22;
	info |= o->base >= 0 ? (uint32_t)o->base << 23 : 1u << 27;
	return info;
}
