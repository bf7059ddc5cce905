/* CPUID as a TD sees it. A TD's CPUID always exits to the module, which answers
 * the leaves of its own table from the platform's values, the TD's configuration
 * (TD_PARAMS CPUID_VALUES, for the bits TDH.SYS.RD lists as configurable) and
 * values it fixes itself (no VMX or SMX, the hypervisor bit, the vCPU's x2APIC
 * ID, TDX's leaf 0x21). A leaf outside the table, and every leaf at a CPL for
 * which the guest asked so (TDG.VP.CPUIDVE.SET), is a #VE: the guest answers it,
 * asking the VMM if it wants. TDH.MNG.RD reads the same values as TD-scope
 * metadata (CPUID_VALUES), which is how KVM's KVM_TDX_GET_CPUID learns them. */
#include "sim/tdx_module_stub/td.h"

#include <string.h>

#define TD_CPUID_MAX_BASIC 0x21u      /* the TD's CPUID(0).EAX: TDX's own leaf */
#define TD_CPUID_MAX_EXT   0x80000008u

/* The leaves the module virtualizes; `nsub` counts the subleaves of those that
 * have them (0: the leaf ignores ECX). */
static const struct td_cpuid_leaf {
	uint32_t leaf;
	uint8_t nsub;
} td_cpuid_leaves[] = {
	{ 0x00, 0 }, { 0x01, 0 }, { 0x02, 0 }, { 0x04, 5 }, { 0x06, 0 }, { 0x07, 2 },
	{ 0x0a, 0 }, { 0x0b, 3 }, { 0x0d, 3 }, { 0x1f, 3 }, { 0x21, 1 },
	{ 0x80000000, 0 }, { 0x80000001, 0 }, { 0x80000006, 0 }, { 0x80000007, 0 },
	{ 0x80000008, 0 },
};

static const struct td_cpuid_leaf *td_cpuid_leaf(uint32_t leaf)
{
	for (size_t i = 0; i < sizeof(td_cpuid_leaves) / sizeof(td_cpuid_leaves[0]); i++)
		if (td_cpuid_leaves[i].leaf == leaf)
			return &td_cpuid_leaves[i];
	return NULL;
}

/* The TD's configuration over the platform's value: each configurable bit is
 * what the VMM put in TD_PARAMS. */
static void apply_config(const struct tdcs *c, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	for (unsigned i = 0; i < tdx_cpuid_config_count() && i < 8; i++) {
		uint64_t id, allowed[2];
		tdx_cpuid_config_at(i, &id, allowed);
		uint32_t cfg_sub = (uint32_t)(id >> 32);
		if ((uint32_t)id != leaf || (cfg_sub != ~0u && cfg_sub != sub))
			continue;
		for (unsigned q = 0; q < 4; q++) {
			uint32_t mask = (uint32_t)(allowed[q / 2] >> (32 * (q % 2)));
			uint32_t val = (uint32_t)(c->cpuid[i][q / 2] >> (32 * (q % 2)));
			out[q] = (out[q] & ~mask) | (val & mask);
		}
	}
}

/* The values the module fixes whatever the configuration says. */
static void apply_fixed(uint32_t leaf, uint32_t sub, uint32_t x2apic_id, uint32_t out[4])
{
	switch (leaf) {
	case 0x00:
		out[0] = TD_CPUID_MAX_BASIC;
		break;
	case 0x01:
		out[1] = (out[1] & 0x00ffffff) | x2apic_id << 24;
		out[2] &= ~((1u << 5) | (1u << 6));      /* VMX, SMX: not for a TD */
		out[2] |= 1u << 31;                      /* running under a hypervisor */
		break;
	case 0x0b:
	case 0x1f:
		out[3] = x2apic_id;
		break;
	case 0x21:
		memset(out, 0, 4 * sizeof(out[0]));
		if (sub == 0) {
			memcpy(&out[1], "Inte", 4);
			memcpy(&out[3], "lTDX", 4);
			memcpy(&out[2], "    ", 4);
		}
		break;
	case 0x80000000:
		out[0] = TD_CPUID_MAX_EXT;
		break;
	}
}

/* The value of a virtualized leaf (`l` from the table). */
static void td_cpuid_value(struct tdx_module *mod, unsigned lp, const struct tdcs *c,
			   uint32_t x2apic_id, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	uint32_t max_basic, max_ext, tmp[4];
	mod->cpu.cpuid(mod->cpu.ctx, lp, 0, 0, tmp);
	max_basic = tmp[0];
	mod->cpu.cpuid(mod->cpu.ctx, lp, 0x80000000, 0, tmp);
	max_ext = tmp[0];
	/* Past the platform's range the CPU would alias the highest basic leaf; the
	 * module's leaves there are its own. */
	if (leaf >= 0x80000000 ? leaf > max_ext : leaf > max_basic)
		memset(out, 0, 4 * sizeof(out[0]));
	else
		mod->cpu.cpuid(mod->cpu.ctx, lp, leaf, sub, out);
	apply_config(c, leaf, sub, out);
	apply_fixed(leaf, sub, x2apic_id, out);
}

bool td_cpuid(struct tdx_module *mod, unsigned lp, const struct tdcs *c, uint32_t x2apic_id,
	      uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	/* A leaf above its range's maximum reads as the highest basic leaf, as on
	 * the CPU; the hypervisor range is the VMM's, through the guest. */
	bool in_ext = leaf >= 0x80000000;
	if ((in_ext && leaf > TD_CPUID_MAX_EXT) || (!in_ext && leaf > TD_CPUID_MAX_BASIC &&
						    (leaf < 0x40000000 || leaf > 0x4fffffff)))
		leaf = TD_CPUID_MAX_BASIC;
	const struct td_cpuid_leaf *l = td_cpuid_leaf(leaf);
	if (!l)
		return false;
	td_cpuid_value(mod, lp, c, x2apic_id, leaf, l->nsub ? sub : 0, out);
	return true;
}

/* CPUID_VALUES field code (KVM's layout, tdx_read_cpuid): bit 16 leaf bit 31,
 * 15:9 leaf bits 6:0, 8 "no subleaf", 7:1 subleaf bits 6:0 (all ones with no
 * subleaf), 0 which half (0: EBX:EAX, 1: EDX:ECX); 23:17 reserved. */
uint64_t td_cpuid_md_read(struct tdx_module *mod, unsigned lp, const struct tdcs *c,
			  uint32_t code, uint64_t *value)
{
	uint32_t leaf = ((code >> 16) & 1u) << 31 | ((code >> 9) & 0x7f);
	bool no_sub = (code >> 8) & 1;
	uint32_t sub = (code >> 1) & 0x7f;
	const struct td_cpuid_leaf *l = td_cpuid_leaf(leaf);
	if ((code >> 17) & 0x7f || !l || (no_sub && sub != 0x7f) || no_sub != !l->nsub ||
	    (l->nsub && sub >= l->nsub))
		return TDX_METADATA_FIELD_ID_INCORRECT;
	uint32_t out[4];
	td_cpuid_value(mod, lp, c, 0, leaf, no_sub ? 0 : sub, out);   /* TD scope: no x2APIC ID */
	*value = code & 1 ? out[2] | (uint64_t)out[3] << 32 : out[0] | (uint64_t)out[1] << 32;
	return TDX_SUCCESS;
}
