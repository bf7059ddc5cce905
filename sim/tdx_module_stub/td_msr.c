/* MSR virtualization in a TD: the TD VMCS uses no MSR bitmap, so every RDMSR and
 * WRMSR of the guest exits to the module, which decides by the MSR (one table,
 * first matching row):
 *  - #VE (the default, GHCI): the guest learns of the access through
 *    TDG.VP.VEINFO.GET (exit reason 31 or 32) and asks the host VMM with
 *    TDG.VP.VMCALL<Instruction.RDMSR/WRMSR>;
 *  - #GP(0): MSRs a TD may not have at all: the VMX capability MSRs (a TD has no
 *    VMX: CPUID.1:ECX.VMX is 0, and those MSRs #GP where VMX is absent) and the
 *    SEAM range registers, which only SEAM software may see.
 * No MSR is passed through to the hardware: the guest's FS/GS bases, SYSENTER and
 * SYSCALL MSRs that the real module lets the TD access natively #VE here too. */
#include "sim/tdx_module_stub/td.h"

#include "sim/vmcs/exit_reasons.h"

#define VEC_GP 13

enum td_msr_action { TD_MSR_VE, TD_MSR_GP };

static const struct {
	uint32_t first, last;
	enum td_msr_action read, write;
} td_msr_rules[] = {
	{ 0x480, 0x493, TD_MSR_GP, TD_MSR_GP },       /* IA32_VMX_BASIC .. IA32_VMX_EXIT_CTLS2 */
	{ 0x1400, 0x1401, TD_MSR_GP, TD_MSR_GP },     /* IA32_SEAMRR_PHYS_BASE, _MASK */
};

static enum td_msr_action td_msr_action(uint32_t msr, bool write)
{
	for (size_t i = 0; i < sizeof(td_msr_rules) / sizeof(td_msr_rules[0]); i++)
		if (msr >= td_msr_rules[i].first && msr <= td_msr_rules[i].last)
			return write ? td_msr_rules[i].write : td_msr_rules[i].read;
	return TD_MSR_VE;
}

enum td_exit_action td_msr_exit(struct td_run *r)
{
	bool write = (r->reason & 0xffff) == EXIT_REASON_MSR_WRITE;
	if (td_msr_action((uint32_t)r->guest[R_RCX], write) == TD_MSR_GP) {
		td_inject(r, VEC_GP, true, 0);
		return TD_RESUME;
	}
	return td_exit_ve(r);
}
