/* The model's facts the entry checks share (see entry_model.h). */
#include "sim/vmcs/entry_model.h"

#define BIT(n) ((uint64_t)1 << (n))

struct cpuid_regs entry_model_cpuid(const struct vmcs_caps *caps, uint32_t leaf, uint32_t sub)
{
	struct cpuid_regs r = { 0, 0, 0, 0 };
	const struct cpu_model *m = cpuid_model_find(vmcs_caps_model_name(caps));
	if (m)
		cpuid_query(m, NULL, false, leaf, sub, &r);
	return r;
}

uint64_t entry_model_msr(const struct vmcs_caps *caps, uint32_t msr, uint64_t absent)
{
	uint64_t v;
	return vmcs_caps_rdmsr(caps, msr, &v) ? absent : v;
}

unsigned entry_model_la_width(const struct vmcs_caps *caps)
{
	const struct cpu_model *m = cpuid_model_find(vmcs_caps_model_name(caps));
	unsigned w = m ? cpuid_maxlinaddr(m) : 48;
	return w < 32 || w > 64 ? 48 : w;
}

bool entry_canonical_in(uint64_t v, unsigned w)
{
	if (w >= 64)
		return true;
	return (uint64_t)((int64_t)(v << (64 - w)) >> (64 - w)) == v;
}

uint64_t entry_model_efer_valid(const struct vmcs_caps *caps)
{
	uint32_t edx = entry_model_cpuid(caps, 0x80000001u, 0).edx;
	uint64_t ok = 0;
	if (edx & CPUID_80000001_EDX_SYSCALL)
		ok |= BIT(0);                   /* SCE */
	if (edx & CPUID_80000001_EDX_LM)
		ok |= BIT(8) | BIT(10);         /* LME, LMA */
	if (edx & CPUID_80000001_EDX_NX)
		ok |= BIT(11);                  /* NXE */
	return ok;
}

uint64_t entry_model_perf_global_valid(const struct vmcs_caps *caps)
{
	struct cpuid_regs r = entry_model_cpuid(caps, 0xa, 0);
	unsigned version = r.eax & 0xff;
	if (version == 0)
		return 0;
	unsigned gp = (r.eax >> 8) & 0xff;
	uint64_t valid = gp >= 32 ? 0xffffffffull : (BIT(gp) - 1);
	unsigned fixed = version > 1 ? (r.edx & 0x1f) : 0;
	uint64_t fixed_mask = BIT(fixed) - 1;
	if (version >= 5)
		fixed_mask |= r.ecx;            /* the fixed-counter support bitmap */
	return valid | ((fixed_mask & 0xffffffffull) << 32);
}

/* IA32_SPEC_CTRL bits and the CPUID.07H (subleaf 0 or 2) EDX bits enumerating them. */
static const struct {
	uint8_t sub, cpuid_bit;
	uint64_t msr_bits;
} spec_ctrl_bits[] = {
	{ 0, 26, BIT(0) },              /* IBRS */
	{ 0, 27, BIT(1) },              /* STIBP */
	{ 0, 31, BIT(2) },              /* SSBD */
	{ 2, 0,  BIT(7) },              /* PSFD */
	{ 2, 1,  BIT(3) | BIT(4) },     /* IPRED_DIS_U/S */
	{ 2, 2,  BIT(5) | BIT(6) },     /* RRSBA_DIS_U/S */
	{ 2, 3,  BIT(8) },              /* DDPD_U */
	{ 2, 4,  BIT(10) },             /* BHI_DIS_S */
};

uint64_t entry_model_spec_ctrl_valid(const struct vmcs_caps *caps)
{
	uint32_t edx0 = entry_model_cpuid(caps, 7, 0).edx, edx2 = entry_model_cpuid(caps, 7, 2).edx;
	uint64_t ok = 0;
	for (size_t i = 0; i < sizeof(spec_ctrl_bits) / sizeof(spec_ctrl_bits[0]); i++)
		if ((spec_ctrl_bits[i].sub ? edx2 : edx0) & (1u << spec_ctrl_bits[i].cpuid_bit))
			ok |= spec_ctrl_bits[i].msr_bits;
	return ok;
}

int entry_pat_bad_entry(uint64_t pat)
{
	for (int i = 0; i < 8; i++) {
		unsigned t = (pat >> (8 * i)) & 0xff;
		if (t > 7 || t == 2 || t == 3)
			return i;
	}
	return -1;
}
