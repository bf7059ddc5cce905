/* System-management mode and the dual-monitor treatment of SMIs and SMM: see smm.h.
 * SDM Vol. 3C, "System Management Mode": "SMI Handler Execution Environment",
 * "Dual-Monitor Treatment of SMIs and SMM" (SMM VM exits, VM entries that return
 * from SMM, the SMM monitor control MSR, activating and deactivating). */
#include "sim/cpu/smm.h"

#include <string.h>

#include "sim/cpu/exception.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/msr.h"
#include "sim/cpu/sites.h"
#include "sim/cpu/vmx.h"
#include "sim/cpu/vmx_exit.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/caps.h"
#include "sim/vmcs/error_rules.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/entry.h"
#include "sim/vmcs/errors.h"
#include "sim/vmcs/exit_reasons.h"

#define MONITOR_CTL_VALID        1ull
#define MONITOR_CTL_SMI_UNBLOCK  (1ull << 2)   /* writable only if IA32_VMX_MISC[28] */
#define MONITOR_CTL_MSEG_BASE    0xfffff000ull
#define VMX_MISC_SMBASE_MSR      (1ull << 15)
#define VMX_MISC_SMI_UNBLOCK     (1ull << 28)
#define VMX_BASIC_DUAL_MONITOR   (1ull << 49)
#define EXIT_REASON_FROM_ROOT    (1u << 29)    /* an SMM VM exit from VMX root operation */

/* SMRAM: the state-save map ends at SMBASE + FFFFH; offsets from SMBASE + 8000H. */
#define SMRAM_HANDLER            0x8000u
#define SMRAM_SMBASE_FIELD       0x7ef8u
#define SMRAM_REVISION_FIELD     0x7efcu
#define SMM_REVISION_ID          0x00020064u   /* bit 17: SMBASE relocation; 64-bit map */

/* The MSEG header (SDM Table "Format of MSEG Header"), 32-bit fields. */
enum mseg_field {
	MSEG_REVISION = 0, MSEG_FEATURES = 4, MSEG_GDTR_LIMIT = 8, MSEG_GDTR_BASE_OFFSET = 12,
	MSEG_CS_SELECTOR = 16, MSEG_EIP_OFFSET = 20, MSEG_ESP_OFFSET = 24, MSEG_CR3_OFFSET = 28,
};
#define MSEG_FEATURE_IA32E       1u

void smm_lp_reset(struct smm_lp *s)
{
	memset(s, 0, sizeof(*s));
	s->smbase = SMM_DEFAULT_SMBASE;
	s->transfer_vmcs = VMCS_PTR_NONE;
}

static uint64_t cap(struct lp *lp, uint32_t msr)
{
	uint64_t v = 0;
	return vmcs_caps_rdmsr(lp->m->vmx_caps, msr, &v) ? 0 : v;
}

bool smm_dual_monitor_supported(struct lp *lp)
{
	return cap(lp, MSR_IA32_VMX_BASIC) & VMX_BASIC_DUAL_MONITOR;
}

static uint64_t mseg_base(struct lp *lp)
{
	return lp->smm.monitor_ctl & MONITOR_CTL_MSEG_BASE;
}

static uint32_t mseg_read(struct lp *lp, enum mseg_field f)
{
	return phys_read32(&lp->m->pm, mseg_base(lp) + f);
}

/* ---- the MSRs ------------------------------------------------------------------- */

int smm_rdmsr(struct lp *lp, uint32_t idx, uint64_t *v)
{
	if (idx == MSR_IA32_SMBASE) {
		/* Exists if IA32_VMX_MISC[15]; readable in SMM only. */
		if (!(cap(lp, MSR_IA32_VMX_MISC) & VMX_MISC_SMBASE_MSR) || !lp->smm.in_smm)
			return -1;
		*v = lp->smm.smbase;
		return 0;
	}
	if (!smm_dual_monitor_supported(lp))
		return -1;
	*v = lp->smm.monitor_ctl;
	return 0;
}

int smm_wrmsr(struct lp *lp, uint32_t idx, uint64_t v)
{
	if (idx == MSR_IA32_SMBASE || !smm_dual_monitor_supported(lp) || !lp->smm.in_smm)
		return -1;
	uint64_t writable = MONITOR_CTL_VALID | MONITOR_CTL_MSEG_BASE;
	if (cap(lp, MSR_IA32_VMX_MISC) & VMX_MISC_SMI_UNBLOCK)
		writable |= MONITOR_CTL_SMI_UNBLOCK;
	if (v & ~writable)
		return -1;
	lp->smm.monitor_ctl = v;
	return 0;
}

/* ---- the default treatment: SMI and RSM ------------------------------------------ */

static void save_state(struct lp *lp, uint64_t rip)
{
	struct smm_saved *sv = &lp->smm.saved;
	uc_engine *uc = lp->uc;
	cpustate_get_gprs(&lp->cs, sv->gpr);
	cpustate_get_segs(&lp->cs, sv->segs);
	sv->rip = rip;
	sv->rflags = cpu_reg(uc, UC_X86_REG_RFLAGS);
	sv->cr0 = cpu_reg(uc, UC_X86_REG_CR0);
	sv->cr3 = cpu_reg(uc, UC_X86_REG_CR3);
	sv->cr4 = cpu_reg(uc, UC_X86_REG_CR4);
	sv->efer = cpu_msr(uc, MSR_IA32_EFER);
	sv->dr7 = cpu_reg(uc, UC_X86_REG_DR7);
	uc_x86_mmr gdtr, idtr;
	uc_reg_read(uc, UC_X86_REG_GDTR, &gdtr);
	uc_reg_read(uc, UC_X86_REG_IDTR, &idtr);
	sv->gdtr_base = gdtr.base;
	sv->gdtr_limit = gdtr.limit;
	sv->idtr_base = idtr.base;
	sv->idtr_limit = idtr.limit;
	uint64_t map = (uint64_t)lp->smm.smbase + SMRAM_HANDLER;
	phys_write32(&lp->m->pm, map + SMRAM_REVISION_FIELD, SMM_REVISION_ID);
	phys_write32(&lp->m->pm, map + SMRAM_SMBASE_FIELD, lp->smm.smbase);
}

/* The SMI handler's execution environment (SDM Table "Processor Register
 * Initialization in SMM"): CS base SMBASE, selector SMBASE >> 4, every limit
 * 4 GiB, RIP 8000H, RFLAGS 2, CR0.PE/EM/TS/PG clear, CR4 and EFER 0, DR7 400H. */
static void enter_smm(struct lp *lp, uint64_t rip)
{
	uc_engine *uc = lp->uc;
	save_state(lp, rip);
	lp->smm.in_smm = true;
	uint64_t cr0 = lp->smm.saved.cr0 & ~(0x80000000ull | 0xc | 1);
	load_control_state(&lp->cs, cr0, lp->smm.saved.cr3, 0, 0);
	struct seg s[SEG_COUNT];
	struct seg data = { 0, 0, 0xffffffff, 0x8093 };
	s[SEG_CS] = (struct seg){ (uint16_t)(lp->smm.smbase >> 4), lp->smm.smbase, 0xffffffff, 0x809b };
	s[SEG_DS] = s[SEG_ES] = s[SEG_SS] = s[SEG_FS] = s[SEG_GS] = data;
	cpustate_set_segs(&lp->cs, s, 0x3f);
	cpu_set_reg(uc, UC_X86_REG_DR7, 0x400);
	cpu_set_reg(uc, UC_X86_REG_RFLAGS, 0x2);
	cpu_set_reg(uc, UC_X86_REG_RIP, SMRAM_HANDLER);
	trace_event(lp->m, VTSIM_TRACE_VMX, "smm lp%u SMI: enter SMM smbase=0x%x from rip=0x%llx", lp->id,
		    lp->smm.smbase, (unsigned long long)rip);
}

void site_rsm(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	struct smm_lp *s = &lp->smm;
	/* In VMX non-root operation in SMM (a guest the SMM-transfer monitor entered
	 * with "entry to SMM") RSM is a VM exit (SDM Vol. 3C "Instructions That Cause
	 * VM Exits Conditionally"). */
	if (lp->vmx.non_root && s->in_smm) {
		struct vmx_exit_info xi = { .insn_len = in->len, .rip = v->rip };
		vmx_exit(lp, EXIT_REASON_RSM, &xi);
		return;
	}
	/* RSM outside SMM is #UD; so is RSM in the STM (it leaves SMM by VM entry). */
	if (!s->in_smm || s->dual) {
		exc_fault(lp, VEC_UD, 0);
		return;
	}
	struct smm_saved *sv = &s->saved;
	uc_engine *uc = lp->uc;
	/* The SMI handler may relocate SMBASE through its field in the map. */
	s->smbase = phys_read32(&lp->m->pm, (uint64_t)s->smbase + SMRAM_HANDLER + SMRAM_SMBASE_FIELD);
	load_control_state(&lp->cs, sv->cr0, sv->cr3, sv->cr4, sv->efer);
	cpustate_set_segs(&lp->cs, sv->segs, 0xff);
	uc_x86_mmr gdtr = { .base = sv->gdtr_base, .limit = sv->gdtr_limit };
	uc_x86_mmr idtr = { .base = sv->idtr_base, .limit = sv->idtr_limit };
	uc_reg_write(uc, UC_X86_REG_GDTR, &gdtr);
	uc_reg_write(uc, UC_X86_REG_IDTR, &idtr);
	cpustate_set_gprs(&lp->cs, sv->gpr, false);
	cpu_set_reg(uc, UC_X86_REG_DR7, sv->dr7);
	cpu_set_reg(uc, UC_X86_REG_RFLAGS, sv->rflags);
	cpu_set_reg(uc, UC_X86_REG_RIP, sv->rip);
	s->in_smm = false;
	trace_event(lp->m, VTSIM_TRACE_VMX, "smm lp%u RSM: leave SMM to rip=0x%llx smbase=0x%x", lp->id,
		    (unsigned long long)sv->rip, s->smbase);
}

/* ---- SMM VM exits ---------------------------------------------------------------- */

/* The STM's state when VMCALL activates it, from the MSEG header (SDM "Loading Host
 * State" under "Activating the Dual-Monitor Treatment"): the VMCS then current was
 * the executive monitor's and holds no host state for the STM. */
static void load_stm_state(struct lp *lp)
{
	uc_engine *uc = lp->uc;
	uint64_t mseg = mseg_base(lp);
	bool ia32e = mseg_read(lp, MSEG_FEATURES) & MSEG_FEATURE_IA32E;
	uint32_t cr3_off = mseg_read(lp, MSEG_CR3_OFFSET);
	uint64_t cr0 = (cpu_reg(uc, UC_X86_REG_CR0) & 0x60000000ull) | 0x80000033ull;   /* CD, NW kept; PG NE ET MP PE */
	uint64_t cr3 = ((mseg + cr3_off) & 0xfffff000ull) | (cr3_off & 0x18);
	uint64_t cr4 = cpu_reg(uc, UC_X86_REG_CR4) & ~0xf0ull;   /* MCE, PGE, PAE, PSE */
	cr4 |= ia32e ? 0x20 : 0x10;
	uint64_t efer = cpu_msr(uc, MSR_IA32_EFER) & ~0x500ull;
	if (ia32e)
		efer |= 0x500;   /* LME, LMA */
	load_control_state(&lp->cs, cr0, cr3, cr4, efer);
	cpu_set_reg(uc, UC_X86_REG_DR7, 0x400);
	lp->debugctl = 0;

	uint16_t cs = (uint16_t)(mseg_read(lp, MSEG_CS_SELECTOR) & 0xfff8);
	if (!cs)
		cs = 8;
	uint16_t ds = (uint16_t)(cs + 8);
	if (!ds)
		ds = 8;
	struct seg s[SEG_COUNT];
	struct seg data = { ds, 0, 0xffffffff, 0xc093 };
	s[SEG_CS] = (struct seg){ cs, 0, 0xffffffff, ia32e ? 0xa09bu : 0xc09bu };
	s[SEG_DS] = s[SEG_ES] = s[SEG_SS] = s[SEG_FS] = s[SEG_GS] = data;
	s[SEG_LDTR] = (struct seg){ 0, 0, 0, SEG_ATTR_UNUSABLE };
	cpustate_set_segs(&lp->cs, s, 0x7f);   /* TR is left as it was */
	cpu_set_msr(uc, 0xc0000100, 0);
	cpu_set_msr(uc, 0xc0000101, 0);

	uc_x86_mmr gdtr = { .base = (mseg + mseg_read(lp, MSEG_GDTR_BASE_OFFSET)) & 0xffffffffull,
			    .limit = mseg_read(lp, MSEG_GDTR_LIMIT) & 0xffff };
	uc_x86_mmr idtr;
	uc_reg_read(uc, UC_X86_REG_IDTR, &idtr);
	idtr.limit = 0;
	uc_reg_write(uc, UC_X86_REG_GDTR, &gdtr);
	uc_reg_write(uc, UC_X86_REG_IDTR, &idtr);
	cpu_set_reg(uc, UC_X86_REG_RSP, (mseg + mseg_read(lp, MSEG_ESP_OFFSET)) & 0xffffffffull);
	cpu_set_reg(uc, UC_X86_REG_RFLAGS, 0x2);
	cpu_set_reg(uc, UC_X86_REG_RIP, (mseg + mseg_read(lp, MSEG_EIP_OFFSET)) & 0xffffffffull);
}

/* What an SMM VM exit records besides the reason. */
struct smm_exit {
	uint32_t reason;
	uint64_t rip;             /* the executive monitor's RIP to save */
	uint32_t insn_len;        /* VMCALL */
	uint64_t qual;            /* an I/O SMI: the I/O instruction; else 0 */
	bool io;                  /* an I/O SMI: the I/O fields below are recorded */
	uint64_t io_rcx, io_rsi, io_rdi, io_rip;
	bool activate;            /* this VMCALL activates the dual-monitor treatment */
};

/* An SMM VM exit from VMX root operation (SDM "SMM VM Exits"): the SMM-transfer VMCS
 * becomes current, its executive-VMCS pointer receives the VMXON pointer, the exit
 * is recorded there and the executive monitor's state saved in its guest-state
 * area; then the STM's state is loaded. */
static void smm_vm_exit(struct lp *lp, const struct smm_exit *x)
{
	struct smm_lp *s = &lp->smm;
	struct vmx_lp *v = &lp->vmx;
	if (x->activate)
		s->transfer_vmcs = v->current;
	vmcs_cache_switch(&v->vmcs, &lp->m->pm, s->transfer_vmcs);
	v->current = s->transfer_vmcs;
	struct vmcs_cache *c = &v->vmcs;
	vmcs_write_enc(c, EXECUTIVE_VMCS_POINTER, v->vmxon_ptr);
	vmcs_write_enc(c, VM_EXIT_REASON, x->reason | EXIT_REASON_FROM_ROOT);
	vmcs_write_enc(c, EXIT_QUALIFICATION, x->qual);
	vmcs_write_enc(c, VM_EXIT_INSTRUCTION_LEN, x->insn_len);
	vmcs_write_enc(c, IO_RCX, x->io ? x->io_rcx : 0);
	vmcs_write_enc(c, IO_RSI, x->io ? x->io_rsi : 0);
	vmcs_write_enc(c, IO_RDI, x->io ? x->io_rdi : 0);
	vmcs_write_enc(c, IO_RIP, x->io ? x->io_rip : 0);
	vmx_save_guest_state(lp, &lp->root, x->rip, NULL);
	vmcs_write_enc(c, GUEST_SMBASE, s->smbase);
	c->dirty = true;
	s->in_smm = true;
	s->dual = true;
	trace_event(lp->m, VTSIM_TRACE_VMX, "smm lp%u SMM VM exit reason=%u%s from root rip=0x%llx "
		    "transfer-vmcs=0x%llx", lp->id, x->reason, x->activate ? " (activates dual-monitor)" : "",
		    (unsigned long long)x->rip, (unsigned long long)s->transfer_vmcs);
	if (x->activate) {
		load_stm_state(lp);
	} else {
		vmx_load_host_state(lp);
		vmx_exit_msr_load(lp);
	}
}

void smm_raise_io_smi(struct lp *lp, uint64_t io_rip, unsigned len, uint64_t qual)
{
	struct smm_lp *s = &lp->smm;
	if (s->in_smm)
		return;   /* SMIs are blocked in SMM; vtsim does not latch one */
	if (!s->dual) {
		enter_smm(lp, io_rip + len);
		return;
	}
	struct smm_exit x = { .reason = EXIT_REASON_IO_SMI, .rip = io_rip + len, .io = true, .qual = qual,
			      .io_rcx = cpu_reg(lp->uc, UC_X86_REG_RCX),
			      .io_rsi = cpu_reg(lp->uc, UC_X86_REG_RSI),
			      .io_rdi = cpu_reg(lp->uc, UC_X86_REG_RDI), .io_rip = io_rip };
	smm_vm_exit(lp, &x);
}

/* ---- VMCALL: activating the dual-monitor treatment ------------------------------- */

/* An MSR area of `count` 16-byte entries at the address in `addr_field`: 16-byte
 * aligned and within the physical-address width to its last byte. */
static bool msr_area_bad(struct lp *lp, uint32_t addr_field, uint32_t count_field)
{
	const struct vmcs_cache *c = &lp->vmx.vmcs;
	uint64_t n = vmcs_read_enc(c, count_field), a = vmcs_read_enc(c, addr_field);
	unsigned w = lp->m->pm.maxphyaddr;
	return n && ((a & 15) || (a >> w) || ((a + n * 16 - 1) >> w));
}

static bool vmcs_not_clear(struct lp *lp)
{
	return lp->vmx.vmcs.launched;
}

/* SDM "Initial Checks": the VM-exit controls against IA32_VMX_(TRUE_)EXIT_CTLS, the
 * MSR-store and MSR-load areas. */
static bool exit_controls_invalid(struct lp *lp)
{
	uint64_t ctls = vmcs_read_enc(&lp->vmx.vmcs, VM_EXIT_CONTROLS);
	return !vmcs_caps_ctl_valid(lp->m->vmx_caps, VMCS_CTL_EXIT, ctls) ||
	       msr_area_bad(lp, VM_EXIT_MSR_STORE_ADDR, VM_EXIT_MSR_STORE_COUNT) ||
	       msr_area_bad(lp, VM_EXIT_MSR_LOAD_ADDR, VM_EXIT_MSR_LOAD_COUNT);
}

/* IA32_VMX_MISC[63:32] is the MSEG revision identifier. */
static bool mseg_revision_wrong(struct lp *lp)
{
	return mseg_read(lp, MSEG_REVISION) != (uint32_t)(cap(lp, MSR_IA32_VMX_MISC) >> 32);
}

/* Bits 31:1 reserved; bit 0 (IA-32e mode SMM) is allowed: every model has Intel 64. */
static bool mseg_features_invalid(struct lp *lp)
{
	return mseg_read(lp, MSEG_FEATURES) & ~MSEG_FEATURE_IA32E;
}

/* The checks of an activating VMCALL after "current-VMCS pointer is not valid", in
 * the SDM's order. The MSEG ones run "in SMM": a failure leaves SMM again, which
 * vtsim does not enter until they passed. */
static const struct activation_check {
	uint32_t error;
	bool (*fails)(struct lp *lp);
} activation_checks[] = {
	{ VMXERR_VMCALL_NONCLEAR_VMCS, vmcs_not_clear },
	{ VMXERR_VMCALL_INVALID_VM_EXIT_CONTROL_FIELDS, exit_controls_invalid },
	{ VMXERR_VMCALL_INCORRECT_MSEG_REVISION_ID, mseg_revision_wrong },
	{ VMXERR_VMCALL_INVALID_SMM_MONITOR_FEATURES, mseg_features_invalid },
};

static void vmfail(struct lp *lp, struct vmx_result *r, uint32_t error)
{
	if (lp->vmx.current == VMCS_PTR_NONE) {
		r->status = VMX_FAIL_INVALID;
		r->invalid_cause = VMFAIL_INVALID_NO_VMCS_FOR_ERROR;
		r->error = error;
		return;
	}
	r->status = VMX_FAIL_VALID;
	r->error = error;
	vmcs_write_enc(&lp->vmx.vmcs, VM_INSTRUCTION_ERROR, error);
}

void smm_vmcall(struct lp *lp, uint64_t rip, unsigned len, struct vmx_result *r)
{
	struct smm_lp *s = &lp->smm;
	if (s->in_smm || !smm_dual_monitor_supported(lp) || !(s->monitor_ctl & MONITOR_CTL_VALID))
		return vmfail(lp, r, VMXERR_VMCALL_IN_VMX_ROOT_OPERATION);
	struct smm_exit x = { .reason = EXIT_REASON_VMCALL, .rip = rip, .insn_len = len };
	if (!s->dual) {
		if (lp->vmx.current == VMCS_PTR_NONE) {
			r->status = VMX_FAIL_INVALID;
			r->invalid_cause = VMFAIL_INVALID_VMCALL_NO_VMCS;
			return;
		}
		for (size_t i = 0; i < sizeof(activation_checks) / sizeof(activation_checks[0]); i++)
			if (activation_checks[i].fails(lp))
				return vmfail(lp, r, activation_checks[i].error);
		x.activate = true;
	}
	smm_vm_exit(lp, &x);
	r->status = VMX_STATE_LOADED;
}

/* ---- VM entries that return from SMM --------------------------------------------- */

/* The executive-VMCS pointer field of the current VMCS. */
static uint64_t executive_ptr(struct lp *lp)
{
	return vmcs_read_enc(&lp->vmx.vmcs, EXECUTIVE_VMCS_POINTER);
}

static bool deactivating(struct lp *lp)
{
	return vmcs_read_enc(&lp->vmx.vmcs, VM_ENTRY_CONTROLS) & VM_ENTRY_DEACTIVATE_DUAL_MONITOR;
}

/* Aligned, within the physical-address width, and naming a region that holds the
 * VMCS revision identifier (the VMXON region does too). */
static bool exec_ptr_invalid(struct lp *lp)
{
	uint64_t p = executive_ptr(lp);
	if ((p & 0xfff) || (p >> lp->m->pm.maxphyaddr))
		return true;
	uint32_t rev = phys_read32(&lp->m->pm, p);
	return (rev & 0x7fffffff) != vmcs_caps_revision_id(lp->m->vmx_caps);
}

/* The launch state of the VMCS at p (the current one's is in the cache). */
static bool launched(struct lp *lp, uint64_t p)
{
	if (p == lp->vmx.vmcs.ptr)
		return lp->vmx.vmcs.launched;
	return phys_read32(&lp->m->pm, p + VMCS_OFF_LAUNCH) == VMCS_LAUNCHED_MAGIC;
}

static bool exec_not_launched(struct lp *lp)
{
	uint64_t p = executive_ptr(lp);
	return !deactivating(lp) && p != lp->vmx.vmxon_ptr && !launched(lp, p);
}

static bool exec_not_vmxon(struct lp *lp)
{
	return deactivating(lp) && executive_ptr(lp) != lp->vmx.vmxon_ptr;
}

/* The VM-execution control checks (SDM "VM Entries" 2.1.1, the rows of that section
 * in the control-check table) applied to the executive VMCS instead of the current
 * one, when the entry is to VMX non-root operation. */
static bool exec_controls_invalid(struct lp *lp)
{
	uint64_t p = executive_ptr(lp);
	if (p == lp->vmx.vmxon_ptr)
		return false;
	struct vmcs_cache exec;
	struct vmcs_cache *e = &exec;
	if (p == lp->vmx.vmcs.ptr)
		*e = lp->vmx.vmcs;
	else
		vmcs_cache_load(e, &lp->m->pm, p);
	struct entry_diag d;
	struct entry_ctx ec = { .vmcs = e, .caps = lp->m->vmx_caps, .pm = &lp->m->pm,
				.maxphyaddr = lp->m->pm.maxphyaddr, .diag = &d };
	for (size_t i = 0; i < entry_checks_ctl_count; i++)
		if (!strcmp(entry_checks_ctl[i].section, "2.1.1") && !entry_checks_ctl[i].pred(&ec))
			return true;
	return false;
}

/* The control checks of a VM entry in SMM: "entry to SMM" and "deactivate
 * dual-monitor treatment" may be 1 there, and an entry that returns from SMM does
 * not check the current VMCS's VM-execution controls (section 2.1.1; the executive
 * VMCS's were checked instead). Fills the diagnostic as entry_run does. */
const struct entry_check *smm_entry_run_ctl(struct entry_ctx *c, bool smm_return)
{
	c->diag->qualification = 0;
	for (size_t i = 0; i < entry_checks_ctl_count; i++) {
		const struct entry_check *row = &entry_checks_ctl[i];
		if (!strcmp(row->id, "CTL_SMM_OUTSIDE_SMM") || (smm_return && !strcmp(row->section, "2.1.1")))
			continue;
		if (row->pred(c))
			continue;
		c->diag->id = row->id;
		c->diag->cls = ENTRY_CTL;
		c->diag->section = row->section;
		return row;
	}
	c->diag->id = NULL;
	return NULL;
}

static const struct activation_check return_checks[] = {
	{ VMXERR_ENTRY_INVALID_EXECUTIVE_VMCS_POINTER, exec_ptr_invalid },
	{ VMXERR_ENTRY_NONLAUNCHED_EXECUTIVE_VMCS, exec_not_launched },
	{ VMXERR_ENTRY_EXECUTIVE_VMCS_POINTER_NOT_VMXON_POINTER, exec_not_vmxon },
	{ VMXERR_ENTRY_INVALID_VM_EXECUTION_CONTROL_FIELDS_IN_EXECUTIVE_VMCS, exec_controls_invalid },
};

uint32_t smm_entry_checks(struct lp *lp)
{
	for (size_t i = 0; i < sizeof(return_checks) / sizeof(return_checks[0]); i++)
		if (return_checks[i].fails(lp))
			return return_checks[i].error;
	return 0;
}

/* Loads the guest-state area of the current VMCS into the root engine: the VM entry
 * returns to the executive monitor, in VMX root operation. */
static void load_executive_monitor(struct lp *lp)
{
	struct vmcs_cache *v = &lp->vmx.vmcs;
	uc_engine *uc = lp->uc;
	uint64_t entry = vmcs_read_enc(v, VM_ENTRY_CONTROLS);
	uint64_t efer = cpu_msr(uc, MSR_IA32_EFER);
	if (entry & VM_ENTRY_LOAD_IA32_EFER)
		efer = vmcs_read_enc(v, GUEST_IA32_EFER);
	else
		efer = (entry & VM_ENTRY_IA32E_MODE) ? (efer | 0x500) : (efer & ~0x500ull);
	load_control_state(&lp->cs, vmcs_read_enc(v, GUEST_CR0), vmcs_read_enc(v, GUEST_CR3),
			   vmcs_read_enc(v, GUEST_CR4), efer);
	cpu_set_reg(uc, UC_X86_REG_DR7, vmcs_read_enc(v, GUEST_DR7));
	vmx_load_guest_tables(&lp->cs, uc, v, NULL, NULL, false, NULL);
	cpu_set_reg(uc, UC_X86_REG_RSP, vmcs_read_enc(v, GUEST_RSP));
	cpu_set_reg(uc, UC_X86_REG_RFLAGS, vmcs_read_enc(v, GUEST_RFLAGS));
	cpu_set_reg(uc, UC_X86_REG_RIP, vmcs_read_enc(v, GUEST_RIP));
}

void smm_return_from_smm(struct lp *lp, struct vmx_result *r)
{
	struct smm_lp *s = &lp->smm;
	struct vmx_lp *v = &lp->vmx;
	if (executive_ptr(lp) != v->vmxon_ptr) {
		r->status = VMX_NOT_MODELLED;
		r->why = "a VM entry from the SMM-transfer monitor to VMX non-root operation is not modelled "
			 "yet (only returns to the executive monitor are)";
		return;
	}
	bool deact = deactivating(lp);
	load_executive_monitor(lp);
	s->smbase = (uint32_t)vmcs_read_enc(&v->vmcs, GUEST_SMBASE);
	if (!deact)
		s->transfer_vmcs = v->current;
	uint64_t link = vmcs_read_enc(&v->vmcs, VMCS_LINK_POINTER);
	vmcs_cache_flush(&v->vmcs, &lp->m->pm);
	v->current = link;
	if (link != VMCS_PTR_NONE)
		vmcs_cache_load(&v->vmcs, &lp->m->pm, link);
	s->in_smm = false;
	if (deact) {
		s->dual = false;
		s->transfer_vmcs = VMCS_PTR_NONE;
	}
	guest_tlb_flush(lp);
	trace_event(lp->m, VTSIM_TRACE_VMX, "smm lp%u VM entry returns from SMM to the executive monitor "
		    "rip=0x%llx current=0x%llx%s", lp->id, (unsigned long long)cpu_reg(lp->uc, UC_X86_REG_RIP),
		    (unsigned long long)link, deact ? " (dual-monitor treatment deactivated)" : "");
	r->status = VMX_STATE_LOADED;
}
