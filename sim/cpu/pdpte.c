/* PAE paging's PDPTE registers (pdpte.h). */
#include "sim/cpu/pdpte.h"

#include <string.h>

#include "sim/cpu/exception.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/fields.h"

#define CR0_PG   (1ull << 31)
#define CR4_PAE  (1ull << 5)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

/* The bits whose change under PAE paging reloads the PDPTEs: CR0.CD, NW, PG and
 * CR4.PAE, PGE, PSE, SMEP. */
#define CR0_RELOAD ((1ull << 30) | (1ull << 29) | CR0_PG)
#define CR4_RELOAD (CR4_PAE | (1ull << 7) | (1ull << 4) | (1ull << 20))

bool pdpte_pae_paging(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	return (cr0 & CR0_PG) && (cr4 & CR4_PAE) && !(efer & EFER_LMA);
}

int pdpte_mov_to_cr(struct lp *lp, const struct cpu_view *cv, unsigned cr, uint64_t v)
{
	uint64_t cr0 = cv->cr0, cr3 = cv->cr3, cr4 = cv->cr4;
	bool reload;
	if (cr == 3) {
		reload = true;
		cr3 = v;
	} else if (cr == 0) {
		reload = (v ^ cr0) & CR0_RELOAD;
		cr0 = v;
	} else if (cr == 4) {
		reload = (v ^ cr4) & CR4_RELOAD;
		cr4 = v;
	} else {
		return 0;
	}
	/* Setting CR0.PG with EFER.LME enters IA-32e mode, not PAE paging. */
	uint64_t efer = (cr0 & CR0_PG) && (cv->efer & EFER_LME) ? cv->efer | EFER_LMA : cv->efer & ~EFER_LMA;
	if (!reload || !pdpte_pae_paging(cr0, cr4, efer))
		return 0;
	struct mmu_ctx c;
	struct mmu_fault f;
	uint64_t e[4];
	mmu_ctx_from_view(&c, lp, cv);
	int r = mmu_load_pdptes(&lp->m->pm, &c, cr3, e, &f);
	if (r < 0) {
		vmx_exit_ept(lp, &f, cv->rip, 0, 0, 0);
		return -1;
	}
	if (r > 0) {
		exc_fault(lp, VEC_GP, 0);
		return -1;
	}
	memcpy(lp->active->pdpte, e, sizeof(e));
	return 0;
}

/* The guest engine's paging mode now. */
static bool guest_pae(struct lp *lp)
{
	struct cpu_view v;
	cpustate_view(&lp->guest.cs, &v);
	return pdpte_pae_paging(v.cr0, v.cr4, v.efer);
}

void pdpte_vm_entry(struct lp *lp)
{
	if (!lp->vmx.ept_active || !guest_pae(lp))
		return;
	for (unsigned i = 0; i < 4; i++)
		lp->guest.pdpte[i] = vmcs_read_enc(&lp->vmx.vmcs, (uint32_t)GUEST_PDPTR0 + 2 * i);
}

void pdpte_vm_exit(struct lp *lp)
{
	if (!lp->vmx.ept_active || !guest_pae(lp))
		return;
	for (unsigned i = 0; i < 4; i++)
		vmcs_write_enc(&lp->vmx.vmcs, (uint32_t)GUEST_PDPTR0 + 2 * i, lp->guest.pdpte[i]);
}

int pdpte_host_check(struct lp *lp, uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer,
		     uint64_t out[4])
{
	if (!pdpte_pae_paging(cr0, cr4, efer))
		return 0;
	struct mmu_ctx c = { 0 };      /* no EPT: host CR3 is a physical address */
	struct mmu_fault f;
	return mmu_load_pdptes(&lp->m->pm, &c, cr3, out, &f) > 0;
}
