/* The hosted VMM's FXSAVE, FXRSTOR and XSETBV (include/vtsim/hosted.h): what a
 * hypervisor swaps when another vCPU takes the LP. The image is FXSAVE64's (SDM
 * Vol. 1 "FXSAVE"), made from and put back through the register API of the LP's
 * root engine, where the hosted VMM runs; XCR0, which has no register ID, goes
 * through the calibrated context. */
#include "vtsim/hosted.h"

#include <string.h>

#include "sim/cpu/cpuid.h"
#include "sim/cpu/machine.h"

/* FPSW before the ST registers: its TOP field says which register ST0 is. */
static const struct { int reg; unsigned at, len; } fx_fields[] = {
	{ UC_X86_REG_FPCW, 0, 2 }, { UC_X86_REG_FPSW, 2, 2 }, { UC_X86_REG_FOP, 6, 2 },
	{ UC_X86_REG_FIP, 8, 8 }, { UC_X86_REG_FDP, 16, 8 }, { UC_X86_REG_MXCSR, 24, 4 },
};
#define FX_FTW 4
#define FX_MXCSR_MASK 28
#define FX_ST 32
#define FX_XMM 160

static struct lp *lp_of(struct vtsim_machine *m, unsigned lp)
{
	return lp < m->nr_lps ? &m->lps[lp] : NULL;
}

void vtsim_hosted_fxsave(struct vtsim_machine *m, unsigned lpn, uint8_t image[512])
{
	struct lp *lp = lp_of(m, lpn);
	memset(image, 0, 512);
	if (!lp)
		return;
	uc_engine *uc = lp->root.uc;
	for (size_t i = 0; i < sizeof(fx_fields) / sizeof(fx_fields[0]); i++) {
		uint64_t v = 0;
		uc_reg_read(uc, fx_fields[i].reg, &v);
		memcpy(image + fx_fields[i].at, &v, fx_fields[i].len);
	}
	/* The abridged tag word: a bit per register, set unless it is empty (11b). */
	uint64_t ftw = 0;
	uc_reg_read(uc, UC_X86_REG_FPTAG, &ftw);
	for (unsigned r = 0; r < 8; r++)
		if (((ftw >> (2 * r)) & 3) != 3)
			image[FX_FTW] |= (uint8_t)(1u << r);
	uint32_t mask = 0xffff;
	memcpy(image + FX_MXCSR_MASK, &mask, 4);
	for (int r = 0; r < 8; r++) {
		uint8_t st[16] = { 0 };
		uc_reg_read(uc, UC_X86_REG_ST0 + r, st);
		memcpy(image + FX_ST + 16 * r, st, 10);
	}
	for (int r = 0; r < 16; r++)
		uc_reg_read(uc, UC_X86_REG_XMM0 + r, image + FX_XMM + 16 * r);
}

void vtsim_hosted_fxrstor(struct vtsim_machine *m, unsigned lpn, const uint8_t image[512])
{
	struct lp *lp = lp_of(m, lpn);
	if (!lp)
		return;
	uc_engine *uc = lp->root.uc;
	for (size_t i = 0; i < sizeof(fx_fields) / sizeof(fx_fields[0]); i++) {
		uint64_t v = 0;
		memcpy(&v, image + fx_fields[i].at, fx_fields[i].len);
		uc_reg_write(uc, fx_fields[i].reg, &v);
	}
	uint64_t ftw = 0;
	for (unsigned r = 0; r < 8; r++)
		if (!(image[FX_FTW] & (1u << r)))
			ftw |= 3ull << (2 * r);
	uc_reg_write(uc, UC_X86_REG_FPTAG, &ftw);
	for (int r = 0; r < 8; r++) {
		uint8_t st[16] = { 0 };
		memcpy(st, image + FX_ST + 16 * r, 10);
		uc_reg_write(uc, UC_X86_REG_ST0 + r, st);
	}
	for (int r = 0; r < 16; r++)
		uc_reg_write(uc, UC_X86_REG_XMM0 + r, image + FX_XMM + 16 * r);
}

int vtsim_hosted_xsetbv(struct vtsim_machine *m, unsigned lpn, uint64_t xcr0)
{
	struct lp *lp = lp_of(m, lpn);
	if (!lp || !lp->root.cs.lay->shared_ok)
		return -1;
	struct cpuid_topology topo = { m->nr_lps, lp->apic_id };
	if (!cpuid_xcr0_valid(m->model, &topo, xcr0))
		return -1;
	struct cpustate *cs = &lp->root.cs;
	uc_context_save(cs->uc, cs->ctx);
	memcpy((uint8_t *)cs->ctx + cs->lay->xcr0, &xcr0, 8);
	uc_context_restore(cs->uc, cs->ctx);
	return 0;
}
