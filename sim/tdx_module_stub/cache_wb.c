/* TDH.PHYMEM.CACHE.WB: the calling LP's package writes back and invalidates its
 * caches, so that the lines of the KeyIDs TDH.MNG.VPFLUSHDONE left FLUSHED are
 * gone from it (TDH.MNG.KEY.FREEID waits for every package).
 *
 * The write-back is long, so the leaf is interruptible (TDX module ABI): the
 * package's caches are TDX_WBCACHE_SUBBLOCKS sub-blocks, written back one at a
 * time, and after each one the leaf stops if an interrupt is pending on the LP
 * (the LP's local APIC would accept one: tdx_cpu_ops.interrupt_pending), with
 * TDX_INTERRUPTED_RESUMABLE. The VMM calls again with RCX = 1 to resume where it
 * stopped; RCX = 0 starts over. At least one sub-block is written per call, so
 * an interrupt that stays pending still lets the operation finish. The rule is
 * deterministic: the outcome depends only on the machine's state.
 *
 * Which KeyIDs an operation covers is fixed when it starts: those FLUSHED with
 * this package's bit pending then. Only when the last sub-block is written are
 * their bits cleared (a KeyID flushed meanwhile may have lines in the sub-blocks
 * already done). */
#include "sim/tdx_module_stub/module_priv.h"

#define TDX_WBCACHE_SUBBLOCKS 4

static bool interrupt_pending(struct tdx_module *mod, unsigned lp)
{
	return mod->cpu.interrupt_pending && mod->cpu.interrupt_pending(mod->cpu.ctx, lp);
}

/* Starts an operation on the package whose bit is `bit`: false when no KeyID
 * waits for it. */
static bool wbcache_start(struct tdx_module *mod, uint8_t bit)
{
	bool any = false;
	for (unsigned k = 0; k < TDX_MAX_HKIDS; k++) {
		bool covered = mod->g->kot[k] == KOT_FLUSHED && (mod->g->wbinvd_pending[k] & bit);
		mod->g->wbcache_covers[k] = covered ? (uint8_t)(mod->g->wbcache_covers[k] | bit)
						    : (uint8_t)(mod->g->wbcache_covers[k] & ~bit);
		any |= covered;
	}
	return any;
}

/* The last sub-block is written: the covered KeyIDs leave this package. */
static void wbcache_complete(struct tdx_module *mod, uint8_t bit)
{
	for (unsigned k = 0; k < TDX_MAX_HKIDS; k++)
		if (mod->g->wbcache_covers[k] & bit) {
			mod->g->wbinvd_pending[k] &= (uint8_t)~bit;
			mod->g->wbcache_covers[k] &= (uint8_t)~bit;
		}
}

uint64_t tdh_phymem_cache_wb(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	uint64_t mode = gpr[R_RCX];
	if (mode > 1)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	unsigned pkg = mod->info.package_of_lp[lp];
	uint8_t bit = (uint8_t)(1u << pkg), *next = &mod->g->wbcache_next[pkg];
	if (mode == 1 && !*next)         /* resuming what never started or finished */
		return TDX_WBCACHE_RESUME_ERROR;
	if (mode == 0) {
		*next = 0;
		if (!wbcache_start(mod, bit))
			return TDX_NO_HKID_READY_TO_WBCACHE;
	}
	do {
		(*next)++;               /* one sub-block written back */
		if (*next == TDX_WBCACHE_SUBBLOCKS) {
			*next = 0;
			wbcache_complete(mod, bit);
			return TDX_SUCCESS;
		}
	} while (!interrupt_pending(mod, lp));
	return TDX_INTERRUPTED_RESUMABLE;
}
