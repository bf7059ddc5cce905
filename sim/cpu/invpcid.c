/* INVPCID (SDM Vol. 2A "INVPCID"; Vol. 3C "Instructions That Cause VM Exits
 * Conditionally", "Exit Qualification for Instructions", table of instruction
 * information for INVEPT, INVPCID and INVVPID).
 *
 * The engine does not know INVPCID (TCG raises #UD), so vtsim executes it: the
 * type in the register operand (0 individual address, 1 single PCID, 2 all
 * including globals, 3 all but globals) and the 16-byte descriptor in memory (PCID
 * in bits 11:0, bits 63:12 zero, the linear address in bits 127:64). Every type
 * drops all of the engine's translations: more than asked, never less. vtsim has
 * no PCIDs (CR4.PCIDE cannot be set), so types 0 and 1 need PCID 0.
 *
 * Faults, in this order: #UD in virtual-8086 mode or (in VMX non-root operation)
 * without "enable INVPCID"; #GP(0) at CPL > 0; then, in VMX non-root operation with
 * "INVLPG exiting", VM exit 58 (the qualification is the operand's displacement);
 * then #GP(0) for a type above 3, the operand's own faults (segment, #PF, EPT),
 * and #GP(0) for a descriptor with reserved bits, a non-zero PCID for types 0 and
 * 1, or a non-canonical address for type 0. */
#include <string.h>

#include "sim/cpu/exception.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/modrm.h"
#include "sim/cpu/sites.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/exit_reasons.h"
#include "sim/vmcs/fields.h"

#define CR0_PE     1ull
#define RFLAGS_VM  (1ull << 17)

static bool canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

static bool proc2_has(struct lp *lp, uint32_t control)
{
	return vmcs_secondary_controls(&lp->vmx.vmcs) & control;
}

/* The fault that comes before any VM exit, or -1. */
static int early_fault(struct lp *lp, const struct cpu_view *v)
{
	bool v8086 = (v->cr0 & CR0_PE) && (v->eflags & RFLAGS_VM);
	if (v8086 || (lp->vmx.non_root && !proc2_has(lp, SECONDARY_EXEC_ENABLE_INVPCID)))
		return VEC_UD;
	if ((v->cr0 & CR0_PE) && v->cpl > 0)
		return VEC_GP;
	return -1;
}

/* Reads the 16-byte descriptor: 0, or -1 after raising the operand's fault. */
static int read_descriptor(struct lp *lp, const struct cpu_view *v, const struct modrm *o,
			   unsigned len, uint64_t desc[2])
{
	uint64_t la = modrm_linear(o, v, len);
	unsigned vec = o->seg == SEG_SS ? VEC_SS : VEC_GP;
	if (cpu_view_long64(v)) {
		if (!canonical(la) || !canonical(la + 15)) {
			exc_fault(lp, vec, 0);
			return -1;
		}
	} else {
		if ((v->cr0 & CR0_PE) && !modrm_seg_readable(v, o->seg, modrm_offset(o, v, len), 16)) {
			exc_fault(lp, vec, 0);
			return -1;
		}
	}
	struct mmu_ctx mc;
	struct mmu_fault f;
	mmu_ctx_from_view(&mc, lp, v);
	if (mmu_read(&lp->m->pm, &mc, la, desc, 16, 0, &f)) {
		exc_page_fault(lp, &f);
		return -1;
	}
	return 0;
}

static bool descriptor_ok(uint64_t type, const uint64_t desc[2])
{
	if (desc[0] >> 12)
		return false;             /* bits 63:12 reserved */
	if (type <= 1 && (desc[0] & 0xfff))
		return false;             /* a PCID other than 0 while CR4.PCIDE = 0 */
	return type != 0 || canonical(desc[1]);
}

void site_invpcid(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	bool long64 = cpu_view_long64(v);
	bool cs32 = v->segs[SEG_CS].attr & (1u << 14);
	struct modrm o;
	if (modrm_decode(in, long64, cs32, &o) || o.reg_form)
		return;                   /* the engine's #UD */
	int vec = early_fault(lp, v);
	if (vec >= 0) {
		exc_fault(lp, (unsigned)vec, 0);
		return;
	}
	if (lp->vmx.non_root && (vmcs_read_enc(&lp->vmx.vmcs, CPU_BASED_VM_EXEC_CONTROL) &
				 CPU_BASED_INVLPG_EXITING)) {
		struct vmx_exit_info xi = { .insn_len = in->len, .rip = v->rip,
					    .qualification = (uint64_t)o.disp,
					    .insn_info = modrm_insn_info(&o) | (o.reg & 15) << 28 };
		vmx_exit(lp, EXIT_REASON_INVPCID, &xi);
		return;
	}
	uint64_t type = long64 ? v->gpr[o.reg & 15] : (uint32_t)v->gpr[o.reg & 15];
	if (type > 3) {
		exc_fault(lp, VEC_GP, 0);
		return;
	}
	uint64_t desc[2];
	if (read_descriptor(lp, v, &o, in->len, desc))
		return;
	if (!descriptor_ok(type, desc)) {
		exc_fault(lp, VEC_GP, 0);
		return;
	}
	uc_ctl_flush_tlb(lp->uc);
	if (lp->vmx.non_root)
		guest_tlb_invalidate_vpid(lp);
	site_retire(lp, v->rip + in->len);
}
