/* VM functions: see vmfunc.h. */
#include "sim/cpu/vmfunc.h"

#include "sim/cpu/guest_tlb.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/vmx.h"
#include "sim/vmcs/caps.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/fields.h"

#define EPTP_LIST_ENTRIES 512u

typedef bool (*vm_function_fn)(struct lp *lp, uint64_t ecx);

static bool eptp_switch(struct lp *lp, uint64_t ecx);

/* The VM functions vtsim has, by number (the bit of the VM-function controls that
 * enables each). */
static const struct {
	unsigned number;
	vm_function_fn run;
} vm_functions[] = {
	{ 0, eptp_switch },
};

bool vmfunc_invoke(struct lp *lp, uint64_t eax, uint64_t ecx)
{
	uint64_t enabled = vmcs_read_enc(&lp->vmx.vmcs, VM_FUNCTION_CONTROL);
	uint32_t fn = (uint32_t)eax;
	if (fn > 63 || !(enabled & (1ull << fn)))
		return false;
	for (size_t i = 0; i < sizeof(vm_functions) / sizeof(vm_functions[0]); i++)
		if (vm_functions[i].number == fn)
			return vm_functions[i].run(lp, ecx);
	return false;          /* enabled, but not a function vtsim knows: VM entry
				* refuses such controls, so this is not reached */
}

/* EPTP switching (VM function 0): the EPTP in entry ECX of the EPTP list, checked
 * as VM entry checks EPT_POINTER, becomes the guest's. */
static bool eptp_switch(struct lp *lp, uint64_t ecx)
{
	uint32_t index = (uint32_t)ecx;
	if (index >= EPTP_LIST_ENTRIES)
		return false;
	struct vmcs_cache *c = &lp->vmx.vmcs;
	uint64_t list = vmcs_read_enc(c, EPTP_LIST_ADDRESS);
	uint64_t eptp = phys_read64(&lp->m->pm, list + 8ull * index);
	if (!vmx_eptp_valid(lp, eptp))
		return false;
	vmcs_write_enc(c, EPT_POINTER, eptp);
	uint64_t proc2 = vmcs_read_enc(c, SECONDARY_VM_EXEC_CONTROL);
	if (proc2 & SECONDARY_EXEC_EPT_VIOLATION_VE)
		vmcs_write_enc(c, EPTP_INDEX, (uint16_t)index);
	/* The walk's copy of the EPTP, then translations and code sites made under the
	 * old one: the same guest-physical page may now be another host page. */
	struct ept *e = &lp->vmx.ept;
	uint64_t shared_bit = e->shared_bit, shared_root = e->shared_root, cap = 0;
	vmcs_caps_rdmsr(lp->m->vmx_caps, MSR_IA32_VMX_EPT_VPID_CAP, &cap);
	struct pml *pml = e->pml;
	ept_init(e, eptp, cap, lp->m->pm.maxphyaddr);
	e->shared_bit = shared_bit;
	e->shared_root = shared_root;
	e->pml = pml;
	guest_tlb_switch_eptp(lp, eptp);
	sites_new_space(&lp->guest.sites);
	return true;
}
