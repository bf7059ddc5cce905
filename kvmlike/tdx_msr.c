/* Which MSRs a TD's VMM may read and write (Linux tdx_has_emulated_msr,
 * tdx_get_msr, tdx_set_msr): the TDX module virtualizes most of a TD's MSRs
 * itself and sends only these to the VMM (TDVMCALL<Instruction.RDMSR/WRMSR>).
 * Of those, APIC_BASE, EFER and FEATURE_CONTROL are read-only, and the x2APIC
 * registers the CPU virtualizes (TPR, PPR, EOI, ISR, TMR, IRR) are not the
 * VMM's: it has no access to the TD's virtual-APIC page. */
#include "kvmlike/kvm_x86.h"
#include "kvmlike/x86_ops.h"

#define MSR_IA32_FEAT_CTL      0x3a
#define MSR_IA32_APICBASE      0x1b
#define MSR_EFER               0xc0000080
#define MSR_IA32_MCG_EXT_CTL   0x4d0
#define FEAT_CTL_LOCKED        1ull
#define KVM_MAX_MCE_BANKS      32

struct msr_range { uint32_t first, last; };

static const struct msr_range td_emulated[] = {
	{ 0x8b, 0x8b },                 /* IA32_UCODE_REV */
	{ 0x10a, 0x10a },               /* IA32_ARCH_CAPABILITIES */
	{ 0x1fc, 0x1fc },               /* IA32_POWER_CTL */
	{ 0x277, 0x277 },               /* IA32_PAT */
	{ 0xfe, 0xfe },                 /* IA32_MTRRCAP */
	{ 0x200, 0x26f },               /* MTRR_PHYSBASE0 .. MTRR_FIX4K_F8000 */
	{ 0x2ff, 0x2ff },               /* IA32_MTRR_DEF_TYPE */
	{ 0x6e0, 0x6e0 },               /* IA32_TSC_DEADLINE */
	{ 0x1a0, 0x1a0 },               /* IA32_MISC_ENABLE */
	{ 0xce, 0xce },                 /* PLATFORM_INFO */
	{ 0x140, 0x140 },               /* MISC_FEATURE_ENABLES */
	{ MSR_IA32_APICBASE, MSR_IA32_APICBASE },
	{ MSR_EFER, MSR_EFER },
	{ MSR_IA32_FEAT_CTL, MSR_IA32_FEAT_CTL },
	{ 0x179, 0x17b },               /* IA32_MCG_CAP, MCG_STATUS, MCG_CTL */
	{ MSR_IA32_MCG_EXT_CTL, MSR_IA32_MCG_EXT_CTL },
	{ 0x400, 0x400 + 4 * KVM_MAX_MCE_BANKS - 1 },   /* IA32_MCi_CTL/STATUS/ADDR/MISC */
	{ 0x280, 0x280 + KVM_MAX_MCE_BANKS - 1 },       /* IA32_MCi_CTL2 */
	{ 0x4b564d05, 0x4b564d05 },     /* MSR_KVM_POLL_CONTROL */
	{ 0x800, 0x8ff },               /* x2APIC, less td_apic_virtualized */
};

/* x2APIC registers the CPU virtualizes in the TD's virtual-APIC page. */
static const struct msr_range td_apic_virtualized[] = {
	{ 0x808, 0x808 },               /* TPR */
	{ 0x80a, 0x80b },               /* PPR, EOI */
	{ 0x810, 0x827 },               /* ISR, TMR, IRR */
};

static bool in_ranges(const struct msr_range *r, unsigned n, uint32_t index)
{
	for (unsigned i = 0; i < n; i++)
		if (index >= r[i].first && index <= r[i].last)
			return true;
	return false;
}

#define IN(table, index) in_ranges(table, sizeof(table) / sizeof(table[0]), index)

bool tdx_has_emulated_msr(uint32_t index)
{
	return IN(td_emulated, index) && !IN(td_apic_virtualized, index);
}

static bool tdx_is_read_only_msr(uint32_t index)
{
	return index == MSR_IA32_APICBASE || index == MSR_EFER || index == MSR_IA32_FEAT_CTL;
}

/* FEATURE_CONTROL reads locked (no LMCE: kvmlike offers no MCE); MCG_EXT_CTL
 * exists only with LMCE. Anything else the TD may ask for, kvmlike's table answers. */
int tdx_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *data)
{
	if (index == MSR_IA32_FEAT_CTL) {
		*data = FEAT_CTL_LOCKED;
		return 0;
	}
	if (index == MSR_IA32_MCG_EXT_CTL || !tdx_has_emulated_msr(index))
		return -1;
	return kvm_get_msr_common(vcpu, index, data);
}

int tdx_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t data)
{
	if (index == MSR_IA32_MCG_EXT_CTL || tdx_is_read_only_msr(index) ||
	    !tdx_has_emulated_msr(index))
		return -1;
	return kvm_set_msr_common(vcpu, index, data);
}
