/* RDRAND and RDSEED (SDM Vol. 2B "RDRAND", "RDSEED"; Vol. 3C "Instructions That
 * Cause VM Exits Conditionally").
 *
 * Why vtsim executes them: the engine's RDRAND draws from a generator the host
 * seeds, so two runs would differ. vtsim's runs are deterministic (docs/design.md):
 * the values come from a per-LP splitmix64 sequence with a fixed seed, so the
 * same run draws the same numbers, and snapshots carry the sequence's state. Both
 * always succeed: the destination gets a value, CF = 1, OF = SF = ZF = AF = PF = 0.
 *
 * In VMX non-root operation "RDRAND exiting" and "RDSEED exiting" (secondary
 * controls 11 and 16) make them VM exits 57 and 61, fault-like, qualification 0,
 * instruction information: destination register in bits 6:3, operand size in
 * bits 12:11 (0: 16-bit, 1: 32-bit, 2: 64-bit). */
#include "sim/cpu/exception.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/modrm.h"
#include "sim/cpu/sites.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/exit_reasons.h"
#include "sim/vmcs/fields.h"

#define RFLAGS_STATUS 0x8d5ull          /* CF PF AF ZF SF OF */
#define RFLAGS_CF     1ull
#define RAND_SEED     0x767473696d52414eull  /* chosen ("vtsimRAN"): any fixed value keeps runs equal */

/* Which control makes each a VM exit (vmx_id of the site holds the reason). */
static const struct {
	uint16_t reason;
	uint32_t control;
} rand_exits[] = {
	{ EXIT_REASON_RDRAND, SECONDARY_EXEC_RDRAND_EXITING },
	{ EXIT_REASON_RDSEED, SECONDARY_EXEC_RDSEED_EXITING },
};

static bool rand_exiting(struct lp *lp, uint16_t reason)
{
	uint64_t proc2 = vmcs_secondary_controls(&lp->vmx.vmcs);
	for (size_t i = 0; i < sizeof(rand_exits) / sizeof(rand_exits[0]); i++)
		if (rand_exits[i].reason == reason)
			return proc2 & rand_exits[i].control;
	return false;
}

/* splitmix64: the next value of the LP's sequence. */
static uint64_t rand_next(struct lp *lp)
{
	if (!lp->rand_state)
		lp->rand_state = RAND_SEED ^ ((uint64_t)lp->id + 1) * 0x9e3779b97f4a7c15ull;
	uint64_t z = (lp->rand_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Operand size as the instruction-information code: 0 16-bit, 1 32-bit, 2 64-bit. */
static unsigned size_code(const struct modrm *o, bool long64, bool cs32)
{
	if (long64 && (o->rex & 8))
		return 2;
	bool default32 = long64 || cs32;
	return default32 != o->opsize_prefix ? 1 : 0;
}

void site_rdrand(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	bool long64 = cpu_view_long64(v);
	bool cs32 = v->segs[SEG_CS].attr & (1u << 14);
	struct modrm o;
	if (modrm_decode(in, long64, cs32, &o) || !o.reg_form)
		return;                 /* not RDRAND/RDSEED (the site matches register forms) */
	unsigned size = size_code(&o, long64, cs32);
	if (lp->vmx.non_root && rand_exiting(lp, in->vmx_id)) {
		struct vmx_exit_info xi = { .insn_len = in->len, .rip = v->rip,
					    .insn_info = (o.rm & 15) << 3 | size << 11 };
		vmx_exit(lp, in->vmx_id, &xi);
		return;
	}
	uint64_t val = rand_next(lp), old = v->gpr[o.rm & 15];
	if (size == 0)
		val = (old & ~0xffffull) | (val & 0xffff);
	else if (size == 1)
		val = (uint32_t)val;
	cpu_set_reg(lp->uc, cpu_gpr_ids[o.rm & 15], val);
	uint64_t rflags = cpu_reg(lp->uc, UC_X86_REG_RFLAGS);
	cpu_set_reg(lp->uc, UC_X86_REG_RFLAGS, (rflags & ~RFLAGS_STATUS) | RFLAGS_CF);
	site_retire(lp, v->rip + in->len);
}
