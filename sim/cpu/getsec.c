/* GETSEC (SDM Vol. 2D "GETSEC", chapter "Safer Mode Extensions Reference"; Vol. 3C
 * "Instructions That Cause VM Exits Unconditionally").
 *
 * The xeon model claims SMX (CPUID.01H:ECX[6]) so that CR4.SMXE can be set and GETSEC
 * exists; the engine does not know the instruction (TCG raises #UD), so vtsim
 * executes it. The platform has no TXT-capable chipset and vtsim models no
 * authenticated code module or measured launch, so the only leaf is
 * GETSEC[CAPABILITIES] (EAX = 0), at any CPL: EAX = 0 for every index in EBX (no
 * chipset, no leaf but CAPABILITIES itself, bit 31 clear so no further index has
 * any). That is what an SMX processor on a board without TXT reports, and the SDM
 * makes every leaf CAPABILITIES does not list #UD. Since SENTER is never available,
 * an LP is never in SMX operation, and IA32_FEATURE_CONTROL's "VMXON inside SMX" bit
 * (1) and SENTER enables (15:8) are stored but never consulted.
 *
 * Order: #UD with CR4.SMXE = 0 (before any VM exit), then in VMX non-root operation
 * VM exit 11 at any CPL and for any leaf (no qualification, the instruction's length),
 * else the leaf. */
#include "sim/cpu/exception.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/sites.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/exit_reasons.h"

#define CR4_SMXE (1ull << 14)
#define GETSEC_CAPABILITIES 0u

void site_getsec(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	if (!(v->cr4 & CR4_SMXE)) {
		exc_fault(lp, VEC_UD, 0);
		return;
	}
	if (lp->vmx.non_root) {
		struct vmx_exit_info xi = { .insn_len = in->len, .rip = v->rip };
		vmx_exit(lp, EXIT_REASON_GETSEC, &xi);
		return;
	}
	if ((uint32_t)v->gpr[0] != GETSEC_CAPABILITIES) {
		exc_fault(lp, VEC_UD, 0);
		return;
	}
	/* A 32-bit result, zero-extended as every write of EAX. */
	site_retire_reg(lp, v->rip + in->len, UC_X86_REG_RAX, 0);
}
