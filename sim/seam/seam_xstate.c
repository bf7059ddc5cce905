/* The state a TD vCPU owns besides its GPRs and VMCS fields (struct tdx_xstate),
 * as the TDX module switches it on this LP. The TD runs in the LP's guest engine
 * and the VMM in its root engine: what the module loads for the TD goes into the
 * guest engine, and at a TD exit what it leaves there is what the VMM continues
 * with (vmx_carry_state, which VM exits in SEAM root operation skip). */
#include "sim/seam/seam.h"

#include <string.h>

#include "sim/cpu/machine.h"
#include "sim/cpu/vmx_carry.h"
#include "sim/tdx_module_stub/module.h"

/* FPSW before the ST registers: its TOP field says which physical register ST0 is. */
static const int x87_regs[] = {
	UC_X86_REG_FPCW, UC_X86_REG_FPSW, UC_X86_REG_FPTAG, UC_X86_REG_FOP, UC_X86_REG_FCS,
	UC_X86_REG_FDS, UC_X86_REG_MXCSR, UC_X86_REG_FIP, UC_X86_REG_FDP,
};
#define NR_X87 (sizeof(x87_regs) / sizeof(x87_regs[0]))
#define NR_REGS (NR_X87 + 8 + 16 + 5)

/* Where each register of the batch lives in struct tdx_xstate. */
static void xstate_ptrs(struct tdx_xstate *s, int *ids, void **ptr)
{
	void *x87[NR_X87] = { &s->fcw, &s->fsw, &s->ftw, &s->fop, &s->fcs, &s->fds, &s->mxcsr,
			      &s->fip, &s->fdp };
	unsigned n = 0;
	for (unsigned i = 0; i < NR_X87; i++, n++) {
		ids[n] = x87_regs[i];
		ptr[n] = x87[i];
	}
	for (unsigned i = 0; i < 8; i++, n++) {
		ids[n] = UC_X86_REG_ST0 + (int)i;
		ptr[n] = s->st[i];
	}
	for (unsigned i = 0; i < 16; i++, n++) {
		ids[n] = UC_X86_REG_YMM0 + (int)i;
		ptr[n] = s->ymm[i];
	}
	for (unsigned i = 0; i < 4; i++, n++) {
		ids[n] = UC_X86_REG_DR0 + (int)i;
		ptr[n] = &s->dr[i];
	}
	ids[n] = UC_X86_REG_DR6;
	ptr[n] = &s->dr6;
}

static struct lp *lp_at(void *ctx, unsigned lpn)
{
	return &((struct vtsim_machine *)ctx)->lps[lpn];
}

/* XCR0 has no register ID: it is read and written in a saved context, where the
 * layout calibration found it (without that, it stays as the engine has it). */
static uint64_t xcr0_get(struct cpustate *cs)
{
	uint64_t v = 1;
	if (cs->lay->shared_ok) {
		uc_context_save(cs->uc, cs->ctx);
		memcpy(&v, (const uint8_t *)cs->ctx + cs->lay->xcr0, 8);
	}
	return v;
}

static void xcr0_set(struct cpustate *cs, uint64_t v)
{
	if (!cs->lay->shared_ok || xcr0_get(cs) == v)
		return;
	memcpy((uint8_t *)cs->ctx + cs->lay->xcr0, &v, 8);
	uc_context_restore(cs->uc, cs->ctx);
}

/* The engine the TD runs in, made when the LP first needs one (NULL: it could not
 * be, and the machine stops). */
static struct engine *td_engine(struct lp *lp)
{
	return lp_guest_engine(lp) ? NULL : &lp->guest;
}

static void op_xstate_read(void *ctx, unsigned lpn, bool vmm, struct tdx_xstate *s)
{
	struct lp *lp = lp_at(ctx, lpn);
	struct engine *e = vmm ? &lp->root : td_engine(lp);
	int ids[NR_REGS];
	void *ptr[NR_REGS];
	memset(s, 0, sizeof(*s));
	if (!e)
		return;
	xstate_ptrs(s, ids, ptr);
	uc_reg_read_batch(e->uc, ids, ptr, (int)NR_REGS);
	s->cr2 = cpu_reg(e->uc, UC_X86_REG_CR2);
	s->xcr0 = xcr0_get(&e->cs);
}

static void op_xstate_write(void *ctx, unsigned lpn, const struct tdx_xstate *in)
{
	struct engine *e = td_engine(lp_at(ctx, lpn));
	struct tdx_xstate s = *in;
	int ids[NR_REGS];
	void *ptr[NR_REGS];
	if (!e)
		return;
	/* XCR0 first: a context restore would undo the register writes. */
	xcr0_set(&e->cs, s.xcr0);
	xstate_ptrs(&s, ids, ptr);
	uc_reg_write_batch(e->uc, ids, (void *const *)ptr, (int)NR_REGS);
	/* The register API's CR2 write reloads CR3 (cpustate.h): the calibrated one. */
	cpustate_set_cr2(&e->cs, s.cr2);
}

static void op_leave_to_vmm(void *ctx, unsigned lpn)
{
	struct lp *lp = lp_at(ctx, lpn);
	if (td_engine(lp))
		vmx_carry_state(&lp->guest.cs, &lp->root.cs);
}

void seam_xstate_ops(struct tdx_cpu_ops *ops)
{
	ops->xstate_read = op_xstate_read;
	ops->xstate_write = op_xstate_write;
	ops->leave_to_vmm = op_leave_to_vmm;
}
