/* Instruction breakpoints: DR7 and DR0-DR3 decide, one code hook per armed address
 * (breakpoint.h). */
#include "sim/cpu/breakpoint.h"

#include "sim/cpu/exception.h"
#include "sim/cpu/machine.h"

#define DR7_ENABLES(dr7, n) (((dr7) >> (2 * (n))) & 3)      /* Ln, Gn */
#define DR7_RW(dr7, n) (((dr7) >> (16 + 4 * (n))) & 3)      /* 00: instruction */
#define RFLAGS_RF (1ull << 16)

/* The breakpoints the engine's registers arm (bit n), their addresses in la. */
static uint8_t wanted(uc_engine *uc, uint64_t la[BP_COUNT])
{
	uint64_t dr7 = cpu_reg(uc, UC_X86_REG_DR7);
	uint8_t set = 0;
	for (unsigned n = 0; n < BP_COUNT; n++) {
		la[n] = 0;
		if (DR7_ENABLES(dr7, n) && DR7_RW(dr7, n) == 0) {
			la[n] = cpu_reg(uc, UC_X86_REG_DR0 + n);
			set |= 1u << n;
		}
	}
	return set;
}

static bool same(const struct bp_watch *w, uint8_t set, const uint64_t la[BP_COUNT])
{
	if (set != w->armed)
		return false;
	for (unsigned n = 0; n < BP_COUNT; n++)
		if ((set >> n & 1) && la[n] != w->la[n])
			return false;
	return true;
}

bool bp_differs(struct lp *lp, struct engine *e)
{
	(void)lp;
	if (!e->uc || bp_none(&e->bp, cpustate_dr7(&e->cs)))
		return false;
	uint64_t la[BP_COUNT];
	uint8_t set = wanted(e->uc, la);
	return !same(&e->bp, set, la);
}

/* Before the instruction at a watched address: the enabled breakpoints there, as
 * the registers say now (a hook may outlive its breakpoint until the next stop). */
static void on_bp(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	(void)size;
	struct lp *lp = user;
	if (lp->uc != uc || lp->m->stopped)
		return;
	uint64_t la[BP_COUNT], hits = 0;
	uint8_t set = wanted(uc, la);
	for (unsigned n = 0; n < BP_COUNT; n++)
		if ((set >> n & 1) && la[n] == address)
			hits |= 1ull << n;
	if (!hits || (cpu_reg(uc, UC_X86_REG_RFLAGS) & RFLAGS_RF))
		return;
	uint64_t rip = cpu_reg(uc, UC_X86_REG_RIP);
	exc_debug(lp, hits, EXC_FAULT, rip, rip);
	/* The instruction's other hooks (a site's executes it) must not run at the
	 * handler's RIP: stopping skips them. A VM exit the #DB made comes back here at
	 * the next entry, and if that entry left the guest at this instruction, they run
	 * as they would have. */
	if (!lp->m->stopped && !lp->co_terminate && cpu_reg(uc, UC_X86_REG_RIP) != rip)
		lp_restart_run(lp);
}

void bp_apply(struct lp *lp)
{
	struct engine *e = lp->active;
	struct bp_watch *w = &e->bp;
	if (!bp_differs(lp, e))
		return;
	uint64_t la[BP_COUNT];
	uint8_t set = wanted(e->uc, la);
	for (unsigned n = 0; n < BP_COUNT; n++)
		if (w->armed >> n & 1)
			uc_hook_del(e->uc, w->hook[n]);
	w->armed = 0;
	for (unsigned n = 0; n < BP_COUNT; n++) {
		if (!(set >> n & 1) ||
		    uc_hook_add(e->uc, &w->hook[n], UC_HOOK_CODE, (void *)on_bp, lp, la[n], la[n]) != UC_ERR_OK)
			continue;
		w->la[n] = la[n];
		w->armed |= 1u << n;
	}
	/* The engine calls an address's hooks in the order they were added: a site's
	 * (an instruction the simulator executes) added before would run first, and the
	 * fault comes before the instruction. The sites come back after them, and code
	 * translated with the old hooks goes. */
	sites_forget(&e->sites, e->uc);
	uc_ctl_flush_tb(e->uc);
}

void bp_dr_written(struct lp *lp)
{
	if (bp_differs(lp, lp->active))
		lp_restart_run(lp);
}
