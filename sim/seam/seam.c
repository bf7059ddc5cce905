/* The TDX platform and SEAMCALL (seam.h). */
#include "sim/seam/seam.h"
#include "sim/seam/seam_diag.h"

#include <stdio.h>

#include "sim/cpu/boot.h"
#include "sim/cpu/exception.h"
#include "sim/cpu/keyed_mem.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/sites.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/tdx_module_stub/module.h"
#include "sim/tdx_module_stub/status.h"
#include "sim/vmcs/exit_reasons.h"

int seam_init(struct vtsim_machine *m, char *err, size_t errlen)
{
	struct seam_platform *s = &m->seam;
	if (!vmcs_caps_has_seam(m->vmx_caps)) {
		snprintf(err, errlen, "--tdx: CPU model '%s' has no SEAM (TDX) support",
			 cpuid_model_name(m->model));
		return -1;
	}
	if (m->reserved_base < 2 * SEAM_RANGE_SIZE) {
		snprintf(err, errlen, "--tdx: the 32 MiB SEAM range needs 32 MiB of RAM below it and the "
			 "2 MiB reserved area above: give the machine at least 66 MiB (--mem)");
		return -1;
	}
	s->enabled = true;
	s->seamrr_size = SEAM_RANGE_SIZE;
	s->seamrr_base = (m->reserved_base - SEAM_RANGE_SIZE) & ~(SEAM_RANGE_SIZE - 1);
	s->keyid_shift = m->pm.maxphyaddr - SEAM_KEYID_BITS;
	struct tdx_platform_info info = {
		.nr_lps = m->nr_lps,
		.nr_packages = 1,                 /* CPUID: every LP in one package */
		.ncmrs = 1,
		.first_tdx_keyid = SEAM_NR_MKTME_KEYIDS + 1,
		.nr_tdx_keyids = SEAM_NR_TDX_KEYIDS,
		.keyid_shift = s->keyid_shift,
		.keyid_bits = SEAM_KEYID_BITS,
		.seam_base = s->seamrr_base,
		.seam_size = s->seamrr_size,
	};
	/* Convertible memory: RAM around the SEAM range, up to the reserved area. */
	info.cmr[0].base = 0;
	info.cmr[0].size = s->seamrr_base;
	uint64_t above = s->seamrr_base + SEAM_RANGE_SIZE;
	if (above < m->reserved_base) {
		info.cmr[1].base = above;
		info.cmr[1].size = m->reserved_base - above;
		info.ncmrs = 2;
	}
	if (keyed_mem_init(&m->pm, s->keyid_shift, info.first_tdx_keyid, info.nr_tdx_keyids)) {
		snprintf(err, errlen, "--tdx: cannot set up the TDX KeyIDs' views of memory");
		return -1;
	}
	struct tdx_cpu_ops ops;
	seam_cpu_ops(m, &ops);
	s->module = tdx_module_create(&m->pm, &info, &ops);
	if (!s->module) {
		snprintf(err, errlen, "--tdx: cannot load the TDX module");
		return -1;
	}
	return 0;
}

void seam_fini(struct vtsim_machine *m)
{
	tdx_module_destroy(m->seam.module);
	m->seam.module = NULL;
	seam_xstate_fini(m);
	keyed_mem_fini(&m->pm);
}

int seam_rdmsr(struct lp *lp, uint32_t msr, uint64_t *val)
{
	const struct seam_platform *s = &lp->m->seam;
	if (!s->enabled)
		return -1;
	switch (msr) {
	case MSR_IA32_MKTME_KEYID_PARTITIONING:
		*val = (uint64_t)SEAM_NR_TDX_KEYIDS << 32 | SEAM_NR_MKTME_KEYIDS;
		return 0;
	case MSR_IA32_TME_ACTIVATE:
		/* Locked (0), enabled (1), KeyID bits in 35:32. */
		*val = 3 | (uint64_t)SEAM_KEYID_BITS << 32;
		return 0;
	case MSR_IA32_SEAMRR_PHYS_BASE:
		*val = s->seamrr_base | (1u << 3);                /* configured */
		return 0;
	case MSR_IA32_SEAMRR_PHYS_MASK:
		*val = (~(s->seamrr_size - 1) & ((1ull << lp->m->pm.maxphyaddr) - 1) & ~0x1ffffffull) |
		       (1u << 10) | (1u << 11);                      /* locked, valid */
		return 0;
	}
	return -1;
}

enum seamcall_outcome seam_seamcall(struct lp *lp, const struct cpu_view *v, uint64_t gpr[16])
{
	if (!vmcs_caps_has_seam(lp->m->vmx_caps) || !lp->vmx.on || !cpu_view_long64(v))
		return SEAMCALL_UD;
	if (lp->vmx.non_root)
		return SEAMCALL_VMEXIT;
	if (v->cpl > 0)
		return SEAMCALL_GP;
	if (!lp->m->seam.module)
		return SEAMCALL_VMFAIL_INVALID;
	uint64_t leaf = gpr[0];
	seam_module_call(lp, gpr);
	if (trace_on(lp->m, VTSIM_TRACE_VMX | VTSIM_TRACE_SEAM)) {
		const char *name = tdx_leaf_name(leaf & 0xffff), *st = tdx_status_name(gpr[0]);
		trace_event(lp->m, VTSIM_TRACE_VMX | VTSIM_TRACE_SEAM, "seamcall lp%u %s(%llu) -> 0x%016llx %s", lp->id,
			    name ? name : "?", (unsigned long long)(leaf & 0xffff),
			    (unsigned long long)gpr[0], st ? st : "?");
	}
	return SEAMCALL_DONE;
}

/* The site handler: SEAMCALL in code on the software CPU (66 0F 01 CF, matched on
 * its bytes: Capstone reads it as ENCLS). */
void site_seamcall(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	uint64_t gpr[16];
	for (int i = 0; i < 16; i++)
		gpr[i] = v->gpr[i];
	enum seamcall_outcome outcome = seam_seamcall(lp, v, gpr);
	seam_tell_outcome(lp, v, v->rip, v->gpr[0], outcome, gpr[0]);
	switch (outcome) {
	case SEAMCALL_UD:
		exc_fault(lp, VEC_UD, 0);
		return;
	case SEAMCALL_GP:
		exc_fault(lp, VEC_GP, 0);
		return;
	case SEAMCALL_VMEXIT: {
		struct vmx_exit_info xi = { .insn_len = in->len, .rip = v->rip };
		vmx_exit(lp, EXIT_REASON_SEAMCALL, &xi);
		return;
	}
	case SEAMCALL_VMFAIL_INVALID:
		cpu_set_reg(lp->uc, UC_X86_REG_EFLAGS, (v->eflags & ~0x8d5ull) | 1);
		break;
	case SEAMCALL_DONE:
		cpustate_set_gprs(&lp->root.cs, gpr, true);
		cpu_set_reg(lp->uc, UC_X86_REG_EFLAGS, v->eflags & ~0x8d5ull);
		break;
	}
	site_retire(lp, v->rip + in->len);
}

/* TDCALL (66 0F 01 CC): outside VMX non-root operation it does not exist (#UD); in
 * non-root operation it is an unconditional VM exit (reason 77), whose handler (the
 * TDX module for a TD) decides what a CPL or mode it refuses gets. */
void site_tdcall(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	if (!lp->vmx.non_root) {
		exc_fault(lp, VEC_UD, 0);
		return;
	}
	struct vmx_exit_info xi = { .insn_len = in->len, .rip = v->rip };
	vmx_exit(lp, EXIT_REASON_TDCALL, &xi);
}
