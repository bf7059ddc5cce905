/* Instructions whose VM exit one VM-execution control decides (SDM "Instructions That
 * Cause VM Exits Conditionally"): one row per instruction group, the control that turns
 * it on, and the fault that has priority over the exit (SDM Vol. 3C "Relative Priority
 * of Faults and VM Exits": invalid-opcode exceptions and faults based on privilege
 * level come first). */
#include <string.h>

#include "sim/cpu/cpuid.h"
#include "sim/cpu/exception.h"
#include "sim/cpu/guest_tlb.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/modrm.h"
#include "sim/cpu/msr.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/exit_reasons.h"
#include "sim/vmcs/fields.h"

#define CR0_PE     (1u << 0)
#define CR4_PCE    (1u << 8)
#define CR4_UMIP   (1u << 11)
#define RFLAGS_VM  (1u << 17)

/* When the instruction faults instead of exiting (the engine raises the fault once
 * the hook returns). */
enum cond_fault {
	FAULT_CPL,            /* #GP or #UD at CPL > 0 */
	FAULT_CPL_PCE,        /* RDPMC: #GP at CPL > 0 unless CR4.PCE */
	FAULT_CPL_UMIP,       /* SGDT/SIDT: #GP at CPL > 0 with CR4.UMIP */
	FAULT_PM_CPL,         /* LLDT/LTR: #UD outside protected mode, #GP at CPL > 0 */
	FAULT_PM_CPL_UMIP,    /* SLDT/STR: #UD outside protected mode, UMIP as above */
	FAULT_MONITOR,        /* MONITOR/MWAIT: #UD without CPUID.01H:ECX.MONITOR[3] or at
			 CPL > 0 (SDM Vol. 2B, MONITOR and MWAIT, "Protected Mode
			 Exceptions") */
	FAULT_NONE,           /* PAUSE */
};

struct cond_exit {
	uint16_t reason;
	uint32_t ctl_field;        /* CPU_BASED_VM_EXEC_CONTROL or SECONDARY_VM_EXEC_CONTROL */
	uint32_t control;
	bool secondary;            /* needs "activate secondary controls" too */
	int8_t reg;                /* ModRM.reg that selects the row, or -1 */
	enum cond_fault fault;
};

static const struct cond_exit cond_exits[] = {
	{ EXIT_REASON_HLT,                 CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_HLT_EXITING,     false, -1, FAULT_CPL },
	{ EXIT_REASON_INVLPG,              CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_INVLPG_EXITING,  false, -1, FAULT_CPL },
	{ EXIT_REASON_MWAIT_INSTRUCTION,   CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_MWAIT_EXITING,   false, -1, FAULT_MONITOR },
	{ EXIT_REASON_RDPMC,               CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_RDPMC_EXITING,   false, -1, FAULT_CPL_PCE },
	{ EXIT_REASON_MONITOR_INSTRUCTION, CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_MONITOR_EXITING, false, -1, FAULT_MONITOR },
	{ EXIT_REASON_PAUSE_INSTRUCTION,   CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_PAUSE_EXITING,   false, -1, FAULT_NONE },
	{ EXIT_REASON_WBINVD,              SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC_WBINVD_EXITING, true, -1, FAULT_CPL },
	/* Descriptor-table exiting: SGDT /0, SIDT /1, LGDT /2, LIDT /3 (0F 01) and SLDT /0,
	 * STR /1, LLDT /2, LTR /3 (0F 00). */
	{ EXIT_REASON_GDTR_IDTR, SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC_DESC, true, 0, FAULT_CPL_UMIP },
	{ EXIT_REASON_GDTR_IDTR, SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC_DESC, true, 1, FAULT_CPL_UMIP },
	{ EXIT_REASON_GDTR_IDTR, SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC_DESC, true, 2, FAULT_CPL },
	{ EXIT_REASON_GDTR_IDTR, SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC_DESC, true, 3, FAULT_CPL },
	{ EXIT_REASON_LDTR_TR,   SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC_DESC, true, 0, FAULT_PM_CPL_UMIP },
	{ EXIT_REASON_LDTR_TR,   SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC_DESC, true, 1, FAULT_PM_CPL_UMIP },
	{ EXIT_REASON_LDTR_TR,   SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC_DESC, true, 2, FAULT_PM_CPL },
	{ EXIT_REASON_LDTR_TR,   SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC_DESC, true, 3, FAULT_PM_CPL },
};

/* The CPUID model (not the engine's) says whether MONITOR and MWAIT exist. */
static bool has_monitor(const struct lp *lp)
{
	struct cpuid_regs r;
	cpuid_query(lp->m->model, NULL, false, 1, 0, &r);
	return r.ecx & CPUID_01_ECX_MONITOR;
}

/* An architectural PMU: CPUID.0AH:EAX[7:0], its version, is not 0. */
static bool has_pmu(const struct lp *lp)
{
	struct cpuid_regs r;
	cpuid_query(lp->m->model, NULL, false, 0x0a, 0, &r);
	return (r.eax & 0xff) != 0;
}

static bool faults_first(const struct lp *lp, enum cond_fault f, const struct cpu_view *v)
{
	bool pm = (v->cr0 & CR0_PE) && !(v->eflags & RFLAGS_VM);
	bool user = v->cpl > 0;
	switch (f) {
	case FAULT_CPL:         return user;
	case FAULT_CPL_PCE:     return user && !(v->cr4 & CR4_PCE);
	case FAULT_CPL_UMIP:    return user && (v->cr4 & CR4_UMIP);
	case FAULT_PM_CPL:      return !pm || user;
	case FAULT_PM_CPL_UMIP: return !pm || (user && (v->cr4 & CR4_UMIP));
	case FAULT_MONITOR:     return user || !has_monitor(lp);
	case FAULT_NONE:        return false;
	}
	return false;
}

static unsigned modrm_reg_of(const struct site_insn *in, bool long64);
static void fill_exit_info(const struct cpu_view *v, const struct site_insn *in,
			   uint16_t reason, struct vmx_exit_info *xi);

static bool cond_exit(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
static bool lgdt_lidt_noncanonical(struct lp *lp, const struct cpu_view *v,
				   const struct site_insn *in);

/* PAUSE-loop exiting (SDM "Instructions That Cause VM Exits Conditionally", PAUSE):
 * at CPL 0, a PAUSE more than PLE_Gap TSC ticks after the previous one (or the
 * first since VM entry) starts a loop; one more than PLE_Window ticks after its
 * loop started exits (reason 40, as PAUSE exiting, which comes first). */
static bool pause_loop_exit(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	const struct vmcs_cache *c = &lp->vmx.vmcs;
	struct vmx_lp *x = &lp->vmx;
	if (in->vmx_id != EXIT_REASON_PAUSE_INSTRUCTION || v->cpl != 0 ||
	    !(vmcs_secondary_controls(c) & SECONDARY_EXEC_PAUSE_LOOP_EXITING))
		return false;
	uint64_t now = lp_tsc(lp);
	bool exits = false;
	if (!x->ple_seen || now - x->ple_last > (uint32_t)vmcs_read_enc(c, PLE_GAP))
		x->ple_first = now;
	else
		exits = now - x->ple_first > (uint32_t)vmcs_read_enc(c, PLE_WINDOW);
	x->ple_last = now;
	x->ple_seen = true;
	if (!exits)
		return false;
	struct vmx_exit_info xi = { .insn_len = in->len, .rip = v->rip };
	vmx_exit(lp, EXIT_REASON_PAUSE_INSTRUCTION, &xi);
	return true;
}

/* The guest engine caches a large guest page 4 KiB at a time; the engine's own
 * INVLPG drops only the piece the address is in (guest_tlb_invlpg drops the rest). */
static void invlpg_in_guest(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	struct modrm o;
	if (modrm_decode(in, cpu_view_long64(v), v->segs[SEG_CS].attr & (1u << 14), &o))
		return;
	guest_tlb_invlpg(lp, modrm_linear(&o, v, in->len));
}

void site_cond_exit(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	if (lp->vmx.non_root && (cond_exit(lp, v, in) || pause_loop_exit(lp, v, in)))
		return;
	if (in->vmx_id == EXIT_REASON_INVLPG && lp->vmx.non_root)
		invlpg_in_guest(lp, v, in);
	/* RDPMC that does not exit: no model has an architectural PMU (CPUID.0AH is
	 * zero), so every ECX names an invalid counter, #GP(0) (SDM Vol. 2B RDPMC),
	 * where the engine would raise #UD. */
	if (in->vmx_id == EXIT_REASON_RDPMC && !has_pmu(lp)) {
		exc_fault(lp, VEC_GP, 0);
		return;
	}
	/* MONITOR and MWAIT the CPUID model lacks are #UD whatever the engine's own
	 * CPU model would do. */
	if ((in->vmx_id == EXIT_REASON_MONITOR_INSTRUCTION || in->vmx_id == EXIT_REASON_MWAIT_INSTRUCTION) &&
	    !has_monitor(lp)) {
		exc_fault(lp, VEC_UD, 0);
		return;
	}
	/* A HLT about to execute: the run loop tells a halt from a stop it asked for. */
	if (in->vmx_id == EXIT_REASON_HLT && v->cpl == 0)
		lp->hlt_next_rip = v->rip + in->len;
	/* What the engine does not check itself, in root and non-root operation. */
	if (in->vmx_id == EXIT_REASON_GDTR_IDTR && lgdt_lidt_noncanonical(lp, v, in))
		exc_fault(lp, VEC_GP, 0);
}

static bool canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* LGDT and LIDT in 64-bit mode load an 8-byte base, which must be canonical: #GP(0)
 * otherwise (SDM Vol. 2 "LGDT/LIDT"). CPL and the operand's own faults are the
 * engine's (then the base is not looked at). */
static bool lgdt_lidt_noncanonical(struct lp *lp, const struct cpu_view *v,
				   const struct site_insn *in)
{
	bool long64 = cpu_view_long64(v);
	struct modrm o;
	if (!long64 || v->cpl != 0 || modrm_decode(in, true, true, &o) || o.reg_form ||
	    ((o.reg & 7) != 2 && (o.reg & 7) != 3))
		return false;
	uint64_t la = modrm_linear(&o, v, in->len);
	if (!canonical(la) || !canonical(la + 9))
		return false;
	struct mmu_ctx mc;
	struct mmu_fault f;
	uint8_t desc[10];
	mmu_ctx_from_view(&mc, lp, v);
	if (mmu_read(&lp->m->pm, &mc, la, desc, sizeof(desc), MMU_NO_AD, &f))
		return false;
	uint64_t base;
	memcpy(&base, desc + 2, 8);
	return !canonical(base);
}

/* The exit, when the instruction's control is set and no fault comes first. */
static bool cond_exit(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	const struct vmcs_cache *c = &lp->vmx.vmcs;
	bool long64 = cpu_view_long64(v);
	for (size_t i = 0; i < sizeof(cond_exits) / sizeof(cond_exits[0]); i++) {
		const struct cond_exit *e = &cond_exits[i];
		if (e->reason != in->vmx_id)
			continue;
		if (e->reg >= 0 && (unsigned)e->reg != modrm_reg_of(in, long64))
			continue;
		if (faults_first(lp, e->fault, v))
			return false;
		if (e->secondary && !(vmcs_read_enc(c, CPU_BASED_VM_EXEC_CONTROL) &
				      CPU_BASED_ACTIVATE_SECONDARY_CONTROLS))
			return false;
		if (!(vmcs_read_enc(c, e->ctl_field) & e->control))
			return false;
		struct vmx_exit_info xi = { .insn_len = in->len, .rip = v->rip };
		fill_exit_info(v, in, e->reason, &xi);
		vmx_exit(lp, e->reason, &xi);
		return true;
	}
	return false;
}

/* ModRM.reg (without REX.R) of a 0F xx instruction. */
static unsigned modrm_reg_of(const struct site_insn *in, bool long64)
{
	struct modrm o;
	(void)modrm_decode(in, long64, true, &o);   /* reg is decoded even when -1 */
	return o.reg & 7;
}

/* Exit qualification and instruction information (SDM "Exit Qualification for
 * Instructions", "Information for VM Exits Due to Instruction Execution"). */
static void fill_exit_info(const struct cpu_view *v, const struct site_insn *in,
			   uint16_t reason, struct vmx_exit_info *xi)
{
	if (reason != EXIT_REASON_INVLPG && reason != EXIT_REASON_GDTR_IDTR &&
	    reason != EXIT_REASON_LDTR_TR)
		return;
	bool long64 = cpu_view_long64(v);
	bool cs32 = v->segs[SEG_CS].attr & (1u << 14);
	struct modrm o;
	if (modrm_decode(in, long64, cs32, &o))
		return;
	if (reason == EXIT_REASON_INVLPG) {
		xi->qualification = modrm_linear(&o, v, in->len);   /* the address it names */
		return;
	}
	/* Descriptor-table instructions: displacement as the qualification; identity in
	 * bits 29:28 (ModRM.reg); for GDTR/IDTR, operand size in bit 11 (1 = 32-bit,
	 * undefined in 64-bit mode, where vtsim reports 1). */
	xi->qualification = o.reg_form ? 0 : (uint64_t)o.disp;
	xi->insn_info = modrm_insn_info(&o) | (uint32_t)(o.reg & 3) << 28;
	if (reason == EXIT_REASON_GDTR_IDTR) {
		if (long64 || cs32 != o.opsize_prefix)
			xi->insn_info |= 1u << 11;
	}
}
