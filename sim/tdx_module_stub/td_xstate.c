/* A TD vCPU's extended state, kept in its TDVPS (TDCX page 2) while it is outside
 * the TD, as the TDX module keeps it: the x87/SSE/AVX registers (the XFAM
 * components), XCR0, CR2, DR0-DR3 and DR6 are loaded at TDH.VP.ENTER and saved at
 * the TD exit, which then leaves the LP in the ABI's synthetic INIT state, never a
 * value of the TD: x87 and SSE/AVX registers initialized (FCW 37FH, MXCSR 1F80H,
 * the rest 0, the tags empty), XCR0 = XFAM's user components (the XCR0 under
 * which the module saved the state; Linux's tdx_load_host_xsave_state sets the
 * host's back when they differ), CR2 0, DR0-DR3 0, DR6 FFFF0FF0H. A TDVMCALL
 * hands the VMM the XMM registers its RCX bits 31:16 select, and the next
 * TDH.VP.ENTER gives the TD back the VMM's values of those. The SYSCALL MSRs are
 * td_msr.c's. */
#include "sim/tdx_module_stub/td.h"

#include <string.h>

#include "sim/vmcs/fields.h"

#define TDVPS_XSTATE_PAGE 2
#define XCR0_USER_BITS 0x602ffull     /* XCR0 bits of user-mode components */
#define XCR0_RESET 1ull
#define DR6_INIT 0xffff0ff0ull

static void xstate_init(struct tdx_xstate *s, uint64_t xcr0)
{
	memset(s, 0, sizeof(*s));
	s->fcw = 0x37f;
	s->ftw = 0xffff;               /* every register empty (the full tag word) */
	s->mxcsr = 0x1f80;
	s->xcr0 = xcr0;
	s->dr6 = DR6_INIT;
}

static uint64_t xstate_pa(const struct td_run *r)
{
	return td_vcpu_page(r, TDVPS_XSTATE_PAGE);
}

void td_xstate_vcpu_init(struct tdx_module *mod, const struct tdr *t, const struct tdvps *v)
{
	struct tdx_xstate s;
	xstate_init(&s, XCR0_RESET);
	phys_write(mod->pm, td_keyed(mod, v->tdcx[TDVPS_XSTATE_PAGE], t->hkid), &s, sizeof(s));
}

/* The XMM registers a TDVMCALL passes (RCX bits 31:16): `to` takes `from`'s. */
static void pass_xmms(struct tdx_xstate *to, const struct tdx_xstate *from, uint32_t mask)
{
	for (unsigned i = 0; i < 16; i++)
		if (mask & (1u << (16 + i)))
			memcpy(to->ymm[i], from->ymm[i], 16);
}

void td_xstate_switch_to_td(struct td_run *r)
{
	struct tdx_module *mod = r->mod;
	if (!mod->cpu.xstate_write)
		return;
	struct tdx_xstate s;
	phys_read(mod->pm, xstate_pa(r), &s, sizeof(s));
	if (r->v.last_td_exit == TD_EXIT_TDVMCALL && (r->v.tdvmcall_mask >> 16)) {
		struct tdx_xstate vmm;
		mod->cpu.xstate_read(mod->cpu.ctx, r->lp, true, &vmm);
		pass_xmms(&s, &vmm, r->v.tdvmcall_mask);
	}
	mod->cpu.xstate_write(mod->cpu.ctx, r->lp, false, &s);
}

void td_xstate_switch_to_host(struct td_run *r)
{
	struct tdx_module *mod = r->mod;
	if (!mod->cpu.xstate_write)
		return;
	struct tdx_xstate td, init;
	mod->cpu.xstate_read(mod->cpu.ctx, r->lp, false, &td);
	phys_write(mod->pm, xstate_pa(r), &td, sizeof(td));
	xstate_init(&init, r->c.xfam & XCR0_USER_BITS);
	if (r->v.last_td_exit == TD_EXIT_TDVMCALL)
		pass_xmms(&init, &td, r->v.tdvmcall_mask);
	/* Straight into the VMM's side: what stays on the TD's is never seen, since
	 * the next entry there, a TD's or a VM's, loads all of it. */
	mod->cpu.xstate_write(mod->cpu.ctx, r->lp, true, &init);
}

/* XSETBV, which always exits: the module sets XCR0 for the TD when the value is
 * one the TD's XFAM allows (x87 always, AVX only with SSE), else #GP(0), as it
 * does for ECX other than 0 and at CPL > 0. */
enum td_exit_action td_xsetbv_exit(struct td_run *r)
{
	struct tdx_module *mod = r->mod;
	uint64_t xcr0 = (r->guest[R_RDX] << 32) | (uint32_t)r->guest[R_RAX];
	unsigned cpl = (td_vmread(r, GUEST_SS_AR_BYTES) >> 5) & 3;
	if ((uint32_t)r->guest[R_RCX] || cpl || !(xcr0 & 1) || ((xcr0 & 4) && !(xcr0 & 2)) ||
	    (xcr0 & ~(r->c.xfam & XCR0_USER_BITS)) || !mod->cpu.xstate_write) {
		td_inject(r, 13, true, 0);
		return TD_RESUME;
	}
	struct tdx_xstate s;
	mod->cpu.xstate_read(mod->cpu.ctx, r->lp, false, &s);
	s.xcr0 = xcr0;
	mod->cpu.xstate_write(mod->cpu.ctx, r->lp, false, &s);
	td_skip_insn(r);
	return TD_RESUME;
}
