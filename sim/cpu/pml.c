/* Page-modification logging: see pml.h. */
#include "sim/cpu/pml.h"

#include "sim/cpu/machine.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/fields.h"

bool pml_has_room(const struct pml *p)
{
	return p->index < PML_ENTRIES;
}

void pml_log(struct phys *pm, struct pml *p, uint64_t gpa)
{
	phys_write64(pm, p->address + 8ull * p->index, gpa & ~0xfffull);
	p->index--;
}

static bool pml_enabled(const struct vmcs_cache *v)
{
	return vmcs_secondary_controls(v) & SECONDARY_EXEC_ENABLE_PML;
}

void pml_enter(struct lp *lp)
{
	const struct vmcs_cache *v = &lp->vmx.vmcs;
	lp->vmx.ept.pml = NULL;
	if (!lp->vmx.ept_active || !pml_enabled(v))
		return;
	lp->vmx.pml.address = vmcs_read_enc(v, PML_ADDRESS);
	lp->vmx.pml.index = (uint16_t)vmcs_read_enc(v, GUEST_PML_INDEX);
	lp->vmx.ept.pml = &lp->vmx.pml;
}

void pml_save(struct lp *lp)
{
	if (lp->vmx.ept_active && lp->vmx.ept.pml)
		vmcs_write_enc(&lp->vmx.vmcs, GUEST_PML_INDEX, lp->vmx.pml.index);
}
