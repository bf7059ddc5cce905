/* MSRs: one row per register, and the instructions that reach them. */
#include "sim/cpu/msr.h"

#include <stddef.h>

#include "sim/cpu/apicv.h"
#include "sim/cpu/exception.h"
#include "sim/cpu/lapic_timer.h"
#include "sim/cpu/lapic_x2apic.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/sites.h"
#include "sim/cpu/tsc_cost.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/exit_reasons.h"

typedef int (*msr_rd_fn)(struct lp *lp, uint32_t idx, uint64_t *val);
typedef int (*msr_wr_fn)(struct lp *lp, uint32_t idx, uint64_t val);

struct msr_def {
	uint32_t first, last;
	const char *name;
	msr_rd_fn read;
	msr_wr_fn write;
};

static bool canonical(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

uint64_t lp_tsc(struct lp *lp)
{
	lp_count_instructions(lp);     /* time is observed: it moves from now on */
	return lp_clock(lp) + lp->tsc_offset;
}

/* The TSC as the guest reads it in VMX non-root operation (SDM "Timestamp-Counter
 * Offsetting and Scaling"): with "use TSC offsetting", ((TSC * TSC_MULTIPLIER) >> 48)
 * when "use TSC scaling" is also set, plus TSC_OFFSET. */
static uint64_t guest_tsc_value(struct lp *lp)
{
	const struct vmcs_cache *c = &lp->vmx.vmcs;
	uint64_t tsc = lp_tsc(lp), proc = vmcs_read_enc(c, CPU_BASED_VM_EXEC_CONTROL);
	if (!(proc & CPU_BASED_USE_TSC_OFFSETTING))
		return tsc;
	if (vmcs_secondary_controls(c) & SECONDARY_EXEC_TSC_SCALING)
		tsc = (uint64_t)(((unsigned __int128)tsc * vmcs_read_enc(c, TSC_MULTIPLIER)) >> 48);
	return tsc + vmcs_read_enc(c, TSC_OFFSET);
}

/* A guest's RDMSR that the MSR bitmap lets through reads the guest's TSC. */
static int rd_tsc(struct lp *lp, uint32_t idx, uint64_t *v)
{
	*v = lp->vmx.non_root ? guest_tsc_value(lp) : lp_tsc(lp);
	return 0;
}
static int wr_tsc(struct lp *lp, uint32_t idx, uint64_t v)
{
	lp_count_instructions(lp);
	lp->tsc_offset = v - lp_clock(lp);
	lp_retire_recompute(lp);      /* a TSC deadline moved in virtual time */
	return 0;
}

static int rd_apic_base(struct lp *lp, uint32_t idx, uint64_t *v) { *v = lp->apic_base; return 0; }
static int wr_apic_base(struct lp *lp, uint32_t idx, uint64_t v)
{
	/* Bits 7:0, 9 and those above MAXPHYADDR are reserved; BSP (8) is read-only. */
	uint64_t rsvd = 0x2ffull | ~((1ull << lp->m->pm.maxphyaddr) - 1);
	if (v & rsvd & ~(1ull << 8))
		return -1;
	return x2apic_write_apic_base(lp, v);
}

/* IA32_FEATURE_CONTROL: lock (0), VMX in SMX (1), VMX outside SMX (2), SENTER
 * enables (14:8), SENTER global (15), and more above that the model lacks. */
static int rd_feature_control(struct lp *lp, uint32_t idx, uint64_t *v) { *v = lp->feature_control; return 0; }
static int wr_feature_control(struct lp *lp, uint32_t idx, uint64_t v)
{
	if (lp->feature_control & 1)
		return -1;               /* locked until reset */
	if (v & ~0xff07ull)
		return -1;
	lp->feature_control = v;
	return 0;
}

/* IA32_MTRRCAP: no variable or fixed MTRRs are modelled; bit 15 says SEAMRR
 * exists, on a TDX platform. */
static int rd_mtrrcap(struct lp *lp, uint32_t idx, uint64_t *v)
{
	*v = lp->m->seam.enabled ? 1u << 15 : 0;
	return 0;
}

static int rd_misc_enable(struct lp *lp, uint32_t idx, uint64_t *v) { *v = lp->misc_enable; return 0; }
static int wr_misc_enable(struct lp *lp, uint32_t idx, uint64_t v) { lp->misc_enable = v; return 0; }

static int rd_pat(struct lp *lp, uint32_t idx, uint64_t *v) { *v = lp->pat; return 0; }
static int wr_pat(struct lp *lp, uint32_t idx, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		unsigned t = (v >> (8 * i)) & 0xff;
		if (t == 2 || t == 3 || t > 7)
			return -1;       /* reserved memory types */
	}
	lp->pat = v;
	return 0;
}

static int rd_tsc_aux(struct lp *lp, uint32_t idx, uint64_t *v) { *v = lp->tsc_aux; return 0; }
static int wr_tsc_aux(struct lp *lp, uint32_t idx, uint64_t v)
{
	if (v >> 32)
		return -1;
	lp->tsc_aux = v;
	return 0;
}

/* IA32_VMX_BASIC .. IA32_VMX_EXIT_CTLS2: the CPU model's VMX capabilities, read-only;
 * those the model lacks raise #GP like any absent MSR. */
static int rd_vmx_cap(struct lp *lp, uint32_t idx, uint64_t *v)
{
	return vmcs_caps_rdmsr(lp->m->vmx_caps, idx, v);
}

static int rd_zero(struct lp *lp, uint32_t idx, uint64_t *v) { *v = 0; return 0; }
static int wr_ignore(struct lp *lp, uint32_t idx, uint64_t v) { return 0; }
static int wr_zero_only(struct lp *lp, uint32_t idx, uint64_t v) { return v ? -1 : 0; }

/* MSRs the engine itself must hold, because its own instructions use them
 * (SYSCALL, SWAPGS, segment bases, SYSENTER). */
static int rd_engine(struct lp *lp, uint32_t idx, uint64_t *v) { *v = cpu_msr(lp->uc, idx); return 0; }
static int wr_engine(struct lp *lp, uint32_t idx, uint64_t v) { cpu_set_msr(lp->uc, idx, v); return 0; }
static int wr_engine_canonical(struct lp *lp, uint32_t idx, uint64_t v)
{
	if (!canonical(v))
		return -1;
	cpu_set_msr(lp->uc, idx, v);
	return 0;
}

static int wr_efer(struct lp *lp, uint32_t idx, uint64_t v)
{
	const uint64_t writable = (1ull << 0) | (1ull << 8) | (1ull << 11); /* SCE, LME, NXE */
	uint64_t cur = cpu_msr(lp->uc, idx);
	if (v & ~(writable | (1ull << 10)))
		return -1;
	/* LME may not change while paging is on. */
	if (((v ^ cur) & (1ull << 8)) && (cpu_reg(lp->uc, UC_X86_REG_CR0) & (1ull << 31)))
		return -1;
	cpu_set_msr(lp->uc, idx, (v & writable) | (cur & (1ull << 10)));
	return 0;
}

/* IA32_DEBUGCTL: LBR, BTF, TR, BTS, BTINT, BTS_OFF_OS/USR, the freeze bits, uncore PMI
 * (no RTM_DEBUG: neither model has RTM); bits 5:2 and 63:16 reserved (the VM-entry
 * check on GUEST_IA32_DEBUGCTL uses the same bits). The value is held, loaded and
 * saved by VM entries and exits; what the bits ask for (branch records, single-step
 * on branches) is not modelled. */
#define DEBUGCTL_VALID 0x7fc3ull
static int rd_debugctl(struct lp *lp, uint32_t idx, uint64_t *v) { *v = lp->debugctl; return 0; }
static int wr_debugctl(struct lp *lp, uint32_t idx, uint64_t v)
{
	if (v & ~DEBUGCTL_VALID)
		return -1;
	lp->debugctl = v;
	return 0;
}

static const struct msr_def msrs[] = {
	{ 0x10, 0x10, "IA32_TIME_STAMP_COUNTER", rd_tsc, wr_tsc },
	{ 0x1b, 0x1b, "IA32_APIC_BASE", rd_apic_base, wr_apic_base },
	{ 0x3a, 0x3a, "IA32_FEATURE_CONTROL", rd_feature_control, wr_feature_control },
	{ 0x87, 0x87, "IA32_MKTME_KEYID_PARTITIONING", seam_rdmsr, NULL },
	{ 0x8b, 0x8b, "IA32_BIOS_SIGN_ID", rd_zero, wr_ignore },
	{ 0x9b, 0x9b, "IA32_SMM_MONITOR_CTL", smm_rdmsr, smm_wrmsr },
	{ 0x9e, 0x9e, "IA32_SMBASE", smm_rdmsr, smm_wrmsr },
	{ 0xfe, 0xfe, "IA32_MTRRCAP", rd_mtrrcap, NULL },
	{ 0x174, 0x176, "IA32_SYSENTER_CS/ESP/EIP", rd_engine, wr_engine },
	{ 0x179, 0x179, "IA32_MCG_CAP", rd_zero, NULL },
	{ 0x17a, 0x17a, "IA32_MCG_STATUS", rd_zero, wr_zero_only },
	{ 0x1a0, 0x1a0, "IA32_MISC_ENABLE", rd_misc_enable, wr_misc_enable },
	{ 0x1d9, 0x1d9, "IA32_DEBUGCTL", rd_debugctl, wr_debugctl },
	{ 0x277, 0x277, "IA32_PAT", rd_pat, wr_pat },
	{ 0x480, 0x493, "IA32_VMX_*", rd_vmx_cap, NULL },
	{ 0x6e0, 0x6e0, "IA32_TSC_DEADLINE", lapic_timer_rdmsr, lapic_timer_wrmsr },
	{ 0x800, 0x8ff, "x2APIC register", x2apic_rdmsr, x2apic_wrmsr },
	{ 0x2ff, 0x2ff, "IA32_MTRR_DEF_TYPE", rd_zero, wr_ignore },
	{ 0x982, 0x982, "IA32_TME_ACTIVATE", seam_rdmsr, NULL },
	{ 0x1400, 0x1401, "IA32_SEAMRR_PHYS_BASE/MASK", seam_rdmsr, NULL },
	{ 0xc0000080, 0xc0000080, "IA32_EFER", rd_engine, wr_efer },
	{ 0xc0000081, 0xc0000081, "IA32_STAR", rd_engine, wr_engine },
	{ 0xc0000082, 0xc0000082, "IA32_LSTAR", rd_engine, wr_engine_canonical },
	{ 0xc0000083, 0xc0000083, "IA32_CSTAR", rd_engine, wr_engine_canonical },
	{ 0xc0000084, 0xc0000084, "IA32_FMASK", rd_engine, wr_engine },
	{ 0xc0000100, 0xc0000100, "IA32_FS_BASE", rd_engine, wr_engine_canonical },
	{ 0xc0000101, 0xc0000101, "IA32_GS_BASE", rd_engine, wr_engine_canonical },
	{ 0xc0000102, 0xc0000102, "IA32_KERNEL_GS_BASE", rd_engine, wr_engine_canonical },
	{ 0xc0000103, 0xc0000103, "IA32_TSC_AUX", rd_tsc_aux, wr_tsc_aux },
};

static const struct msr_def *msr_find(uint32_t idx)
{
	for (size_t i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++)
		if (idx >= msrs[i].first && idx <= msrs[i].last)
			return &msrs[i];
	return NULL;
}

const char *msr_name(uint32_t idx)
{
	const struct msr_def *d = msr_find(idx);
	return d ? d->name : "unknown";
}

int msr_read(struct lp *lp, uint32_t idx, uint64_t *val)
{
	const struct msr_def *d = msr_find(idx);
	if (!d || !d->read)
		return -1;
	return d->read(lp, idx, val);
}

int msr_write(struct lp *lp, uint32_t idx, uint64_t val)
{
	const struct msr_def *d = msr_find(idx);
	if (!d || !d->write)
		return -1;
	return d->write(lp, idx, val);
}

void msr_reset(struct lp *lp, bool bsp)
{
	lp->feature_control = 0;
	lp->apic_base = 0xfee00000ull | (1ull << 11) | (bsp ? 1ull << 8 : 0);
	lp->tsc_offset = 0;
	lp->tsc_aux = 0;
	lp->debugctl = 0;
	lp->misc_enable = 1; /* fast strings */
	lp->pat = 0x0007040600070406ull;
}

/* ---- the instructions ------------------------------------------------------ */

static bool privileged_ok(const struct cpu_view *v)
{
	if (v->eflags & (1u << 17))
		return false;            /* virtual-8086 mode */
	return v->cpl == 0;
}

/* In VMX non-root operation: does this RDMSR/WRMSR exit? Without MSR bitmaps every
 * access does; with them, the bit for the MSR (read-low 0, read-high 400h,
 * write-low 800h, write-high C00h) decides, and MSRs outside both ranges exit. */
static bool msr_exits(struct lp *lp, uint32_t idx, bool write)
{
	const struct vmcs_cache *v = &lp->vmx.vmcs;
	if (!(vmcs_read_enc(v, CPU_BASED_VM_EXEC_CONTROL) & CPU_BASED_USE_MSR_BITMAPS))
		return true;
	uint64_t base = vmcs_read_enc(v, MSR_BITMAP) + (write ? 0x800 : 0);
	if (idx >= 0xc0000000u && idx <= 0xc0001fffu) {
		base += 0x400;
		idx -= 0xc0000000u;
	} else if (idx > 0x1fff) {
		return true;
	}
	uint8_t byte;
	phys_read(&lp->m->pm, base + idx / 8, &byte, 1);
	return (byte >> (idx % 8)) & 1;
}

/* The exit's instruction length is the decoded one: prefixes (a REX, an operand-size
 * or segment prefix) count. */
static bool guest_msr_exit(struct lp *lp, const struct cpu_view *cv, const struct site_insn *in,
			   uint32_t idx, bool write)
{
	if (!lp->vmx.non_root || !msr_exits(lp, idx, write))
		return false;
	struct vmx_exit_info xi = { .insn_len = in->len, .rip = cv->rip };
	vmx_exit(lp, write ? EXIT_REASON_MSR_WRITE : EXIT_REASON_MSR_READ, &xi);
	return true;
}

/* An x2APIC MSR in VMX non-root operation, which "virtualize x2APIC mode" may
 * send to the virtual-APIC page (apicv.h). */
static bool guest_x2apic_msr(const struct lp *lp, uint32_t idx)
{
	return lp->vmx.non_root && (idx >> 8) == 8;
}

static void set_edx_eax(struct lp *lp, uint64_t v)
{
	cpu_set_reg(lp->uc, UC_X86_REG_RAX, (uint32_t)v);
	cpu_set_reg(lp->uc, UC_X86_REG_RDX, v >> 32);
}

static void next(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	site_retire(lp, v->rip + in->len);
}

void site_rdmsr(struct lp *lp, const struct cpu_view *cv, const struct site_insn *in)
{
	struct vtsim_machine *m = lp->m;
	uint32_t idx = (uint32_t)cv->gpr[1];
	uint64_t v = 0;
	bool ok = privileged_ok(cv);
	if (ok && guest_msr_exit(lp, cv, in, idx, false))
		return;
	int r = !ok ? -1 : guest_x2apic_msr(lp, idx) && apicv_rdmsr(lp, idx, &v) ? 0 : msr_read(lp, idx, &v);
	if (trace_on(m, VTSIM_TRACE_MSR)) {
		if (r)
			trace_event(m, VTSIM_TRACE_MSR, "msr lp%u rdmsr 0x%x(%s) : #GP(0)", lp->id, idx, msr_name(idx));
		else
			trace_event(m, VTSIM_TRACE_MSR, "msr lp%u rdmsr 0x%x(%s) -> 0x%llx", lp->id, idx,
				    msr_name(idx), (unsigned long long)v);
	}
	if (r) {
		exc_fault(lp, VEC_GP, 0);
		return;
	}
	set_edx_eax(lp, v);
	next(lp, cv, in);
}

void site_wrmsr(struct lp *lp, const struct cpu_view *cv, const struct site_insn *in)
{
	struct vtsim_machine *m = lp->m;
	uint32_t idx = (uint32_t)cv->gpr[1];
	uint64_t v = (uint32_t)cv->gpr[0] | (cv->gpr[2] << 32);
	bool ok = privileged_ok(cv);
	if (ok && guest_msr_exit(lp, cv, in, idx, true))
		return;
	enum apicv_msr virt = ok && guest_x2apic_msr(lp, idx) ? apicv_wrmsr(lp, idx, v, cv->rip + in->len)
							      : APICV_MSR_APIC;
	if (virt == APICV_MSR_DONE)
		return;
	int r = ok && virt == APICV_MSR_APIC ? msr_write(lp, idx, v) : -1;
	if (trace_on(m, VTSIM_TRACE_MSR))
		trace_event(m, VTSIM_TRACE_MSR, "msr lp%u wrmsr 0x%x(%s) <- 0x%llx : %s", lp->id, idx,
			    msr_name(idx), (unsigned long long)v, r ? "#GP(0)" : "ok");
	if (r) {
		exc_fault(lp, VEC_GP, 0);
		return;
	}
	next(lp, cv, in);
}

static bool tsc_allowed(const struct cpu_view *v)
{
	/* CR4.TSD restricts RDTSC/RDTSCP to CPL 0. */
	return !(v->cr4 & (1u << 2)) || v->cpl == 0;
}

/* In VMX non-root operation: "RDTSC exiting" makes RDTSC/RDTSCP exit; otherwise
 * the guest reads its scaled and offset TSC. */

static bool guest_tsc(struct lp *lp, const struct cpu_view *v, const struct site_insn *in,
		      uint32_t reason, uint64_t *tsc)
{
	if (!lp->vmx.non_root) {
		*tsc = lp_tsc(lp);
		return false;
	}
	const struct vmcs_cache *c = &lp->vmx.vmcs;
	uint64_t proc = vmcs_read_enc(c, CPU_BASED_VM_EXEC_CONTROL);
	if (proc & CPU_BASED_RDTSC_EXITING) {
		struct vmx_exit_info xi = { .insn_len = in->len, .rip = v->rip };
		vmx_exit(lp, reason, &xi);
		return true;
	}
	*tsc = guest_tsc_value(lp);
	return false;
}

void site_rdtsc(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	if (!tsc_allowed(v)) {
		exc_fault(lp, VEC_GP, 0);
		return;
	}
	/* Each read moves virtual time on, so two reads in one block still differ. */
	lp->insns++;
	uint64_t tsc;
	if (guest_tsc(lp, v, in, EXIT_REASON_RDTSC, &tsc))
		return;
	set_edx_eax(lp, tsc);
	next(lp, v, in);
}

void site_rdtscp(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	/* A guest without "enable RDTSCP" (secondary controls) does not have it. */
	if (lp->vmx.non_root) {
		if (!(vmcs_secondary_controls(&lp->vmx.vmcs) & SECONDARY_EXEC_ENABLE_RDTSCP)) {
			exc_fault(lp, VEC_UD, 0);
			return;
		}
	}
	if (!tsc_allowed(v)) {
		exc_fault(lp, VEC_GP, 0);
		return;
	}
	lp->insns++;
	uint64_t tsc;
	if (guest_tsc(lp, v, in, EXIT_REASON_RDTSCP, &tsc))
		return;
	set_edx_eax(lp, tsc);
	cpu_set_reg(lp->uc, UC_X86_REG_RCX, (uint32_t)lp->tsc_aux);
	next(lp, v, in);
}
