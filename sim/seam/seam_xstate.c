/* The state a TD vCPU owns besides its GPRs and VMCS fields (struct tdx_xstate),
 * as the TDX module switches it on this LP. The TD runs in the LP's guest engine
 * and the VMM in its root engine: what the module loads for the TD goes into the
 * guest engine, what it leaves the VMM at a TD exit into the root engine (VM exits
 * in SEAM root operation carry nothing between them). */
#include "sim/seam/seam.h"

#include <string.h>

#include "sim/cpu/machine.h"
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

/* The engine the TD runs in, made when the LP first needs one (NULL: it could not
 * be, and the machine stops), or the VMM's. */
static struct engine *side(struct lp *lp, bool vmm)
{
	if (vmm)
		return &lp->root;
	return lp_guest_engine(lp) ? NULL : &lp->guest;
}

/* XCR0 has no register ID: it is read and written in a saved context, where the
 * layout calibration found it, one that copies the state only up to it (without
 * the calibration, XCR0 stays as the engine has it). */
static uc_context *xcr0_ctx(struct lp *lp, struct engine *e)
{
	struct seam_platform *s = &lp->m->seam;
	const struct cpustate_layout *lay = e->cs.lay;
	if (!lay->shared_ok)
		return NULL;
	if (!s->xcr0_ctx) {
		if (uc_context_alloc(e->uc, &s->xcr0_ctx) != UC_ERR_OK) {
			s->xcr0_ctx = NULL;
			return NULL;
		}
		/* The copy's length is the context's first member (as cpustate's hot one). */
		size_t len = lay->xcr0 + 8 - lay->data;
		memcpy(s->xcr0_ctx, &len, sizeof(len));
	}
	return s->xcr0_ctx;
}

static uint64_t xcr0_get(struct lp *lp, struct engine *e)
{
	uc_context *c = xcr0_ctx(lp, e);
	uint64_t v = 1;
	if (c) {
		uc_context_save(e->uc, c);
		memcpy(&v, (const uint8_t *)c + e->cs.lay->xcr0, 8);
	}
	return v;
}

static void xcr0_set(struct lp *lp, struct engine *e, uint64_t v)
{
	uc_context *c = xcr0_ctx(lp, e);
	if (!c || xcr0_get(lp, e) == v)
		return;
	memcpy((uint8_t *)c + e->cs.lay->xcr0, &v, 8);
	uc_context_restore(e->uc, c);
}

static void op_xstate_read(void *ctx, unsigned lpn, bool vmm, struct tdx_xstate *s)
{
	struct lp *lp = lp_at(ctx, lpn);
	struct engine *e = side(lp, vmm);
	int ids[NR_REGS];
	void *ptr[NR_REGS];
	memset(s, 0, sizeof(*s));
	if (!e)
		return;
	xstate_ptrs(s, ids, ptr);
	uc_reg_read_batch(e->uc, ids, ptr, (int)NR_REGS);
	s->cr2 = cpu_reg(e->uc, UC_X86_REG_CR2);
	s->xcr0 = xcr0_get(lp, e);
}

static void op_xstate_write(void *ctx, unsigned lpn, bool vmm, const struct tdx_xstate *in)
{
	struct lp *lp = lp_at(ctx, lpn);
	struct engine *e = side(lp, vmm);
	struct tdx_xstate s = *in;
	int ids[NR_REGS];
	void *ptr[NR_REGS];
	if (!e)
		return;
	/* XCR0 first: a context restore would undo the register writes. */
	xcr0_set(lp, e, s.xcr0);
	xstate_ptrs(&s, ids, ptr);
	uc_reg_write_batch(e->uc, ids, (void *const *)ptr, (int)NR_REGS);
	/* The register API's CR2 write reloads CR3 (cpustate.h): the calibrated one. */
	cpustate_set_cr2(&e->cs, s.cr2);
}

/* The SYSCALL MSRs each engine holds for itself (seam_cpu.c's engine_msr) and the
 * module switches (CSTAR, which a TD cannot write, stays the VMM's): the values
 * the module left in the TD's go to the VMM's. */
static void op_leave_to_vmm(void *ctx, unsigned lpn)
{
	static const uint32_t msrs[] = { 0xc0000081, 0xc0000082, 0xc0000084, 0xc0000102 };
	enum { N = sizeof(msrs) / sizeof(msrs[0]) };
	struct lp *lp = lp_at(ctx, lpn);
	struct engine *td = side(lp, false);
	uc_x86_msr v[N];
	void *ptr[N];
	int ids[N];
	if (!td)
		return;
	for (unsigned i = 0; i < N; i++) {
		v[i] = (uc_x86_msr){ .rid = msrs[i] };
		ptr[i] = &v[i];
		ids[i] = UC_X86_REG_MSR;
	}
	uc_reg_read_batch(td->uc, ids, ptr, N);
	uc_reg_write_batch(lp->root.uc, ids, (void *const *)ptr, N);
}

void seam_xstate_ops(struct tdx_cpu_ops *ops)
{
	ops->xstate_read = op_xstate_read;
	ops->xstate_write = op_xstate_write;
	ops->leave_to_vmm = op_leave_to_vmm;
}

void seam_xstate_fini(struct vtsim_machine *m)
{
	if (m->seam.xcr0_ctx)
		uc_context_free(m->seam.xcr0_ctx);
	m->seam.xcr0_ctx = NULL;
}
