/* The instruction decoding an MMIO exit needs (Linux arch/x86/kvm/emulate.c does
 * all of x86; kvmlike only the moves a driver uses on device registers): MOV
 * r/m <-> reg (88, 89, 8A, 8B), MOV r/m, imm (C6, C7) and MOVZX (0F B6, 0F B7),
 * with legacy and REX prefixes; and the guest page walk that finds the bytes. */
#include "kvmlike/kvm_x86.h"

#include <string.h>

/* The length of the ModRM-addressed part (ModRM, SIB, displacement) in 64-bit
 * mode, or 0 if truncated. */
static unsigned modrm_len(const uint8_t *p, unsigned n)
{
	if (n < 1)
		return 0;
	unsigned mod = p[0] >> 6, rm = p[0] & 7, len = 1;
	if (mod != 3 && rm == 4) {
		if (n < 2)
			return 0;
		len++;
		if (mod == 0 && (p[1] & 7) == 5)
			len += 4;
	}
	if (mod == 1)
		len += 1;
	else if (mod == 2 || (mod == 0 && rm == 5))
		len += 4;
	return len <= n ? len : 0;
}

int decode_mmio_insn(const uint8_t *b, unsigned n, struct mmio_insn *o)
{
	unsigned i = 0;
	bool opsize16 = false;
	uint8_t rex = 0;
	while (i < n && (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0x2e || b[i] == 0x3e ||
			 b[i] == 0x26 || b[i] == 0x36 || b[i] == 0x64 || b[i] == 0x65)) {
		opsize16 |= b[i] == 0x66;
		i++;
	}
	if (i < n && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (i >= n)
		return -1;
	memset(o, 0, sizeof(*o));
	unsigned full = (rex & 8) ? 8 : opsize16 ? 2 : 4;
	uint8_t op = b[i++];
	bool two_byte = op == 0x0f;
	if (two_byte) {
		if (i >= n)
			return -1;
		op = b[i++];
		if (op != 0xb6 && op != 0xb7)
			return -1;
		o->size = op == 0xb6 ? 1 : 2;
		o->zero_extend = true;
	} else {
		switch (op) {
		case 0x88: case 0x8a: case 0xc6: o->size = 1; break;
		case 0x89: case 0x8b: case 0xc7: o->size = full; break;
		default: return -1;
		}
		o->write = op == 0x88 || op == 0x89 || op == 0xc6 || op == 0xc7;
		o->has_imm = op == 0xc6 || op == 0xc7;
		o->zero_extend = !o->write && o->size == 4;
	}
	if (i >= n || (b[i] >> 6) == 3)
		return -1;                 /* a register operand is no memory access */
	o->reg = ((b[i] >> 3) & 7) | ((rex & 4) ? 8 : 0);
	o->high_byte = o->size == 1 && !rex && !o->zero_extend && o->reg >= 4 && !o->has_imm;
	if (o->high_byte)
		o->reg -= 4;
	unsigned ml = modrm_len(b + i, n - i);
	if (!ml)
		return -1;
	i += ml;
	if (o->has_imm) {
		unsigned isz = o->size == 1 ? 1 : o->size == 2 ? 2 : 4;
		if (i + isz > n)
			return -1;
		int64_t imm = 0;
		for (unsigned k = 0; k < isz; k++)
			imm |= (int64_t)b[i + k] << (8 * k);
		if (isz == 4)
			imm = (int32_t)imm;        /* sign-extended to 64 bits */
		o->imm = (uint64_t)imm;
		i += isz;
	}
	o->len = i;
	return i <= 15 ? 0 : -1;
}

int guest_linear_to_gpa(struct kvm_vcpu *vcpu, uint64_t la, uint64_t *gpa)
{
	if (!(vcpu->cr0 & (1ull << 31))) {
		*gpa = la;
		return 0;
	}
	if (!(vcpu->efer & (1ull << 10)))
		return -1;                 /* only 4-level paging is walked */
	uint64_t table = kvm_register_read(vcpu, VCPU_EXREG_CR3) & 0x000ffffffffff000ull;
	for (int level = 4; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t *e = kvm_gpa_to_hva(vcpu->kvm, table + ((la >> shift) & 0x1ff) * 8, 8);
		if (!e || !(*e & 1))
			return -1;
		if (level == 1 || (level <= 3 && (*e & 0x80))) {
			uint64_t mask = (1ull << shift) - 1;
			*gpa = (*e & 0x000ffffffffff000ull & ~mask) | (la & mask);
			return 0;
		}
		table = *e & 0x000ffffffffff000ull;
	}
	return -1;
}
