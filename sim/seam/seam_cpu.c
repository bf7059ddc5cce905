/* The logical processor as the TDX module uses it in SEAM VMX root operation
 * (struct tdx_cpu_ops): its VMCSs, VM entries into TDs, INVEPT, the capability
 * MSRs, CPUID and whether an interrupt is pending. A TD's VM exit comes back here, not to the VMM: the root
 * engine keeps the VMM's state (vmx_exit skips host-state loading in SEAM root),
 * and seam_module_call gives the VMM back its registers and current VMCS. */
#include "sim/cpu/coverage.h"
#include "sim/seam/seam.h"
#include "sim/seam/seam_diag.h"

#include <string.h>

#include "sim/cpu/cpuid.h"
#include "sim/cpu/guest_tlb.h"
#include "sim/cpu/lapic.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/msr.h"
#include "sim/cpu/vmx.h"
#include "sim/tdx_module_stub/module.h"
#include "sim/vmcs/caps.h"
#include "sim/vmcs/fields.h"

static struct lp *lp_at(void *ctx, unsigned lpn)
{
	return &((struct vtsim_machine *)ctx)->lps[lpn];
}

/* VMPTRLD, with VMCLEAR (and a fresh revision identifier) first when `clear`. */
static int op_vmcs_load(void *ctx, unsigned lpn, uint64_t pa, bool clear)
{
	struct lp *lp = lp_at(ctx, lpn);
	struct vmx_lp *v = &lp->vmx;
	struct phys *pm = &lp->m->pm;
	if (!phys_is_ram(pm, pa, 4096))
		return -1;
	if (clear) {
		if (v->vmcs.ptr == pa)
			vmcs_cache_flush(&v->vmcs, pm);   /* written back; loaded again below */
		phys_write32(pm, pa, vmcs_caps_revision_id(lp->m->vmx_caps));
		vmcs_region_clear_launch(pm, pa);
	}
	vmcs_cache_switch(&v->vmcs, pm, pa);
	v->current = pa;
	return 0;
}

static uint64_t op_vmread(void *ctx, unsigned lpn, uint32_t field)
{
	return vmcs_read_enc(&lp_at(ctx, lpn)->vmx.vmcs, field);
}

static void op_vmwrite(void *ctx, unsigned lpn, uint32_t field, uint64_t value)
{
	vmcs_write_enc(&lp_at(ctx, lpn)->vmx.vmcs, field, value);
}

/* The host-state area: the LP's state now, which is valid 64-bit root state (the
 * TD's exits never load it: see vmx_exit). */
static void op_write_host_state(void *ctx, unsigned lpn)
{
	struct lp *lp = lp_at(ctx, lpn);
	struct vmcs_cache *c = &lp->vmx.vmcs;
	struct cpu_view v;
	cpustate_view(&lp->root.cs, &v);
	uc_x86_mmr gdtr = { 0 }, idtr = { 0 };
	uc_reg_read(lp->root.uc, UC_X86_REG_GDTR, &gdtr);
	uc_reg_read(lp->root.uc, UC_X86_REG_IDTR, &idtr);
	static const struct { uint32_t field; int seg; } sels[] = {
		{ HOST_ES_SELECTOR, SEG_ES }, { HOST_CS_SELECTOR, SEG_CS }, { HOST_SS_SELECTOR, SEG_SS },
		{ HOST_DS_SELECTOR, SEG_DS }, { HOST_FS_SELECTOR, SEG_FS }, { HOST_GS_SELECTOR, SEG_GS },
		{ HOST_TR_SELECTOR, SEG_TR },
	};
	for (size_t i = 0; i < sizeof(sels) / sizeof(sels[0]); i++)
		vmcs_write_enc(c, sels[i].field, v.segs[sels[i].seg].sel & ~7u);
	vmcs_write_enc(c, HOST_CR0, v.cr0);
	vmcs_write_enc(c, HOST_CR3, v.cr3);
	vmcs_write_enc(c, HOST_CR4, v.cr4);
	vmcs_write_enc(c, HOST_FS_BASE, v.segs[SEG_FS].base);
	vmcs_write_enc(c, HOST_GS_BASE, v.segs[SEG_GS].base);
	vmcs_write_enc(c, HOST_TR_BASE, v.segs[SEG_TR].base);
	vmcs_write_enc(c, HOST_GDTR_BASE, gdtr.base);
	vmcs_write_enc(c, HOST_IDTR_BASE, idtr.base);
	vmcs_write_enc(c, HOST_IA32_EFER, v.efer);
	vmcs_write_enc(c, HOST_IA32_PAT, lp->pat);
	vmcs_write_enc(c, HOST_RSP, v.gpr[4]);
	vmcs_write_enc(c, HOST_RIP, v.rip);
}

static int op_run(void *ctx, unsigned lpn, bool launch, uint64_t gpr[16])
{
	struct lp *lp = lp_at(ctx, lpn);
	cpustate_set_gprs(&lp->root.cs, gpr, true);
	struct cpu_view v;
	cpustate_view(&lp->root.cs, &v);
	struct vmx_operands ops = { .reg_form = true, .opsize = 8 };
	struct vmx_result r;
	vmx_execute(lp, &v, launch ? VMX_VMLAUNCH : VMX_VMRESUME, &ops, &r);
	if (lp->m->stopped)
		return -2;
	if (r.status == VMX_ENTRY_FAILED)
		return 1;
	if (r.status != VMX_ENTERED)
		return -1;
	cpustate_get_gprs(&lp->root.cs, gpr);
	return 0;
}

static void op_invept(void *ctx, unsigned lpn, uint64_t eptp)
{
	guest_tlb_flush(lp_at(ctx, lpn));
}

static uint64_t op_rdmsr(void *ctx, unsigned lpn, uint32_t msr)
{
	uint64_t v = 0;
	vmcs_caps_rdmsr(lp_at(ctx, lpn)->m->vmx_caps, msr, &v);
	return v;
}

/* The MSRs each engine holds for itself (its SYSCALL and SWAPGS use them): a
 * TD's are in the guest engine, where the TD runs; the root engine keeps the
 * VMM's. Every other MSR is the LP's, one for both. */
static bool engine_msr(uint32_t msr)
{
	return msr == 0xc0000081 || msr == 0xc0000082 || msr == 0xc0000083 || msr == 0xc0000084 ||
	       msr == 0xc0000102;
}

/* RDMSR/WRMSR as the TD's software would do them on this LP: the engine's own
 * MSRs in one call to the guest engine, the others one by one. */
static unsigned op_msr_access(void *ctx, unsigned lpn, unsigned n, const uint32_t *msr,
			      uint64_t *value, bool write)
{
	struct lp *lp = lp_at(ctx, lpn);
	uc_x86_msr em[32];
	void *ptrs[32];
	int ids[32];
	unsigned at[32], ne = 0, refused = 0;
	for (unsigned i = 0; i < n && i < 32; i++) {
		if (engine_msr(msr[i])) {
			em[ne] = (uc_x86_msr){ .rid = msr[i], .value = write ? value[i] : 0 };
			ids[ne] = UC_X86_REG_MSR;
			ptrs[ne] = &em[ne];
			at[ne++] = i;
		} else if (write ? msr_write(lp, msr[i], value[i]) : msr_read(lp, msr[i], &value[i])) {
			refused |= 1u << i;
		}
	}
	if (!ne)
		return refused;
	if (lp_guest_engine(lp)) {
		for (unsigned k = 0; k < ne; k++)
			refused |= 1u << at[k];
		return refused;
	}
	if (write) {
		uc_reg_write_batch(lp->guest.uc, ids, ptrs, (int)ne);
	} else {
		uc_reg_read_batch(lp->guest.uc, ids, ptrs, (int)ne);
		for (unsigned k = 0; k < ne; k++)
			value[at[k]] = em[k].value;
	}
	return refused;
}

static unsigned op_msr_read(void *ctx, unsigned lpn, unsigned n, const uint32_t *msr, uint64_t *value)
{
	return op_msr_access(ctx, lpn, n, msr, value, false);
}

static unsigned op_msr_write(void *ctx, unsigned lpn, unsigned n, const uint32_t *msr,
			     const uint64_t *value)
{
	uint64_t v[32];
	for (unsigned i = 0; i < n && i < 32; i++)
		v[i] = value[i];
	return op_msr_access(ctx, lpn, n, msr, v, true);
}

static void op_cpuid(void *ctx, unsigned lpn, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	struct lp *lp = lp_at(ctx, lpn);
	struct cpuid_topology topo = { lp->m->nr_lps, lp->apic_id };
	struct cpuid_regs r;
	cpuid_query(lp->m->model, &topo, true, leaf, sub, &r);
	out[0] = r.eax;
	out[1] = r.ebx;
	out[2] = r.ecx;
	out[3] = r.edx;
}

/* An interrupt the LP's local APIC would accept now: the module's long leaves
 * stop for it. */
static bool op_interrupt_pending(void *ctx, unsigned lpn)
{
	return lapic_deliverable(&lp_at(ctx, lpn)->lapic) >= 0;
}

void seam_cpu_ops(struct vtsim_machine *m, struct tdx_cpu_ops *ops)
{
	*ops = (struct tdx_cpu_ops){
		.ctx = m, .vmcs_load = op_vmcs_load, .vmread = op_vmread, .vmwrite = op_vmwrite,
		.write_host_state = op_write_host_state, .run = op_run, .invept = op_invept,
		.rdmsr = op_rdmsr, .msr_read = op_msr_read, .msr_write = op_msr_write, .cpuid = op_cpuid, .interrupt_pending = op_interrupt_pending,
	};
	seam_xstate_ops(ops);
}

void seam_module_call(struct lp *lp, uint64_t gpr[16])
{
	struct tdx_module *mod = lp->m->seam.module;
	unsigned leaf = gpr[0] & 0xffff;
	/* Only TDH.VP.ENTER, TDH.VP.FLUSH and TDH.VP.RD/WR use the LP's VMX state: the
	 * VMM gets it back as it had it. */
	if (leaf != 0 && leaf != 18 && leaf != 26 && leaf != 43) {
		tdx_module_seamcall(mod, lp->id, gpr);
		seam_report_fatal(lp, leaf, gpr[0]);
		if (lp->m->cov)
			coverage_seamcall(lp->m->cov, leaf, gpr[0]);
		return;
	}
	uint64_t vmm_gpr[16], current = lp->vmx.current;
	cpustate_get_gprs(&lp->root.cs, vmm_gpr);
	/* IA32_PAT and IA32_DEBUGCTL are the LP's, not an engine's: a TD entry loads
	 * the TD's and its exits (to the module) do not load host state, so SEAMRET
	 * gives the VMM back its own. */
	uint64_t vmm_pat = lp->pat, vmm_debugctl = lp->debugctl;
	lp->vmx.seam_root = true;
	tdx_module_seamcall(mod, lp->id, gpr);
	lp->vmx.seam_root = false;
	lp->pat = vmm_pat;
	lp->debugctl = vmm_debugctl;
	seam_report_fatal(lp, leaf, gpr[0]);
	if (lp->m->cov)
		coverage_seamcall(lp->m->cov, leaf, gpr[0]);
	cpustate_set_gprs(&lp->root.cs, vmm_gpr, true);
	if (current != lp->vmx.current) {
		if (current != VMCS_PTR_NONE)
			vmcs_cache_switch(&lp->vmx.vmcs, &lp->m->pm, current);
		lp->vmx.current = current;
	}
}
