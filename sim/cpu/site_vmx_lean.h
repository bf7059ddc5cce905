/* The lean path of the sites a VMM runs most, VMREAD and VMWRITE with register
 * operands (docs/design.md, "Site fast path"): inline in the site hook (sites.c),
 * so that a VMREAD that succeeds is one function from the translated code's call to
 * the retirement, with no call, frame or copy of the state between.
 *
 * Where the live state is known and a jump goes in place, it reads the hidden mode
 * flags, RFLAGS and CR3 where the engine keeps them and tests the usual state at
 * once: CPL 0, protected mode outside virtual-8086 mode of the width the operands
 * were decoded for (one mask, site_lean_mode), no TF, the address space the site
 * was read in, no vmx trace; then VMX operation, root, a current VMCS; then the
 * field through the site's memo (the encoding it last named: a field's description
 * depends on nothing else, vmx_memo_fill) and a VMWRITE's read-only rule; and
 * retires with one write of the destination and cpustate_clear_arith_jump. Anything
 * else, false with nothing changed: the full handler runs.
 */
#ifndef VTSIM_SITE_VMX_LEAN_H
#define VTSIM_SITE_VMX_LEAN_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sim/cpu/machine.h"
#include "sim/cpu/sites.h"
#include "sim/cpu/vmx.h"
#include "sim/vmcs/caps.h"
#include "sim/vmcs/vmcs.h"

/* The hidden flags (cpustate.h's HF_*) that say the lean path may run a site whose
 * operands were decoded for `bits`: (hflags & *mask) == *want. CPL 0 and CR0.PE
 * always; 64-bit code (CS.L, which the engine sets only in IA-32e mode), or 32- or
 * 16-bit code (CS.D) outside IA-32e mode. */
static inline void site_lean_mode(unsigned bits, uint32_t *mask, uint32_t *want)
{
	if (bits == 64) {
		*mask = HF_CPL_MASK | HF_PE_MASK | HF_CS64_MASK;
		*want = HF_PE_MASK | HF_CS64_MASK;
		return;
	}
	*mask = HF_CPL_MASK | HF_PE_MASK | HF_LMA_MASK | HF_CS64_MASK | HF_CS32_MASK;
	*want = HF_PE_MASK | (bits == 32 ? HF_CS32_MASK : 0);
}

/* For a site that site_vmx_lean_fits (st->lean) and was read in the guest the
 * engine runs. */
static inline bool site_vmx_lean(struct lp *lp, struct site *st)
{
	struct cpustate *cs = &lp->cs;
	if (!cpustate_jump_in_place(cs, lp->active->in_loop))
		return false;
	const uint8_t *head = cs->env - cs->lay->data;
	uint32_t hf;
	uint64_t fl, cr3;
	memcpy(&hf, head + cs->lay->hflags, 4);
	memcpy(&fl, cs->env + ENV_EFLAGS, 8);
	memcpy(&cr3, head + cs->lay->cr + 24, 8);
	if ((hf & st->lean_hf_mask) != st->lean_hf_want || (fl & ((1u << 8) | (1u << 17))) ||
	    cr3 != st->cr3 || trace_on(lp->m, VTSIM_TRACE_VMX))
		return false;
	struct vmx_lp *vmx = &lp->vmx;
	if (!vmx->on || vmx->non_root || vmx->current == VMCS_PTR_NONE)
		return false;
	uint64_t *gpr = (uint64_t *)(void *)cs->env;
	const struct modrm *o = &st->insn.modrm;
	bool long64 = st->insn.modrm_bits == 64;
	uint64_t enc = long64 ? gpr[o->reg] : (uint32_t)gpr[o->reg];   /* as field_of reads it */
	struct vmcs_field_memo *memo = &st->memo;
	if ((!memo->f || memo->enc != enc) && !vmx_memo_fill(lp, enc, memo))
		return false;                  /* VMfailValid(12) */
	const struct vmcs_field_info *f = memo->f;
	if (st->insn.vmx_id == VMX_VMWRITE) {
		if (f->read_only && !vmcs_caps_vmwrite_exit_info(lp->m->vmx_caps))
			return false;          /* VMfailValid(13) */
		uint64_t val = gpr[o->rm];
		vmcs_set(&vmx->vmcs, f, memo->high, long64 ? val : (uint32_t)val);
	} else {
		uint64_t val = vmcs_get(&vmx->vmcs, f, memo->high);
		gpr[o->rm] = long64 ? val : (uint32_t)val;
	}
	/* VMsucceed: the six arithmetic flags clear, RIP past the instruction. */
	cpustate_clear_arith_jump(cs, gpr[16] + st->insn.len);
	return true;
}

#endif
