/* The VMX instruction unit: see vmx.h. Each instruction is one function that walks
 * the SDM's checks in order; the outcomes are reported in one place each
 * (succeed, fail_invalid, fail_valid, fault), as Linux's nested_vmx_* helpers do. */
#include "sim/cpu/coverage.h"
#include "sim/cpu/vmx.h"

#include <string.h>

#include "sim/cpu/exception.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/msr.h"
#include "sim/cpu/vmfunc.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/caps.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/entry_steps.h"
#include "sim/vmcs/error_rules.h"
#include "sim/vmcs/errors.h"
#include "sim/vmcs/exit_reasons.h"

static const char *const insn_names[] = {
#define VMX_INSN_NAME(n) #n,
	VMX_INSNS(VMX_INSN_NAME)
#undef VMX_INSN_NAME
};

const char *vmx_insn_name(enum vmx_insn_id id)
{
	return id < VMX_NR_INSNS ? insn_names[id] : "?";
}

void vmx_lp_reset(struct vmx_lp *v)
{
	memset(v, 0, sizeof(*v));
	v->current = VMCS_PTR_NONE;
	vmcs_cache_init(&v->vmcs);
}

/* ---- outcomes ------------------------------------------------------------------ */

static void succeed(struct vmx_result *r)
{
	r->status = VMX_SUCCEED;
}

static void fail_invalid(struct vmx_result *r, enum vmfail_invalid_cause cause)
{
	r->status = VMX_FAIL_INVALID;
	r->invalid_cause = cause;
}

static void fail_valid(struct lp *lp, struct vmx_result *r, uint32_t error)
{
	r->status = VMX_FAIL_VALID;
	r->error = error;
	vmcs_write_enc(&lp->vmx.vmcs, VM_INSTRUCTION_ERROR, error);
}

/* VMfail(n): VMfailValid if there is a current VMCS to hold the number. */
static void fail(struct lp *lp, struct vmx_result *r, uint32_t error)
{
	if (lp->vmx.current != VMCS_PTR_NONE) {
		fail_valid(lp, r, error);
	} else {
		fail_invalid(r, VMFAIL_INVALID_NO_VMCS_FOR_ERROR);
		r->error = error;
	}
}

static void fault(struct vmx_result *r, uint8_t vector, uint32_t ec)
{
	r->status = VMX_FAULT;
	r->fault = (struct vmx_fault){ .vector = vector, .error_code = ec };
}

static void not_modelled(struct vmx_result *r, const char *why)
{
	r->status = VMX_NOT_MODELLED;
	r->why = why;
}

/* ---- the processor's mode ------------------------------------------------------- */

struct mode {
	uint64_t cr0, cr4, efer, rflags, rip;
	unsigned cpl;
	bool cs_l;
};

static void get_mode(const struct cpu_view *v, struct mode *md)
{
	md->cr0 = v->cr0;
	md->cr4 = v->cr4;
	md->efer = v->efer;
	md->rflags = v->eflags;
	md->rip = v->rip;
	md->cs_l = v->segs[SEG_CS].attr & (1u << 13);
	md->cpl = v->cpl;
}

/* #UD conditions shared by the VMX instructions: real mode, virtual-8086 mode,
 * compatibility mode. */
static bool mode_ud(const struct mode *md)
{
	bool lma = md->efer & (1u << 10);
	return !(md->cr0 & 1) || (md->rflags & (1u << 17)) || (lma && !md->cs_l);
}

static bool long64(const struct mode *md)
{
	return (md->efer & (1u << 10)) && md->cs_l;
}

/* The exit reason of each VMX instruction in non-root operation. */
static const uint16_t insn_exit_reason[VMX_NR_INSNS] = {
	[VMX_VMXON] = EXIT_REASON_VMON, [VMX_VMXOFF] = EXIT_REASON_VMOFF,
	[VMX_VMCLEAR] = EXIT_REASON_VMCLEAR, [VMX_VMPTRLD] = EXIT_REASON_VMPTRLD,
	[VMX_VMPTRST] = EXIT_REASON_VMPTRST, [VMX_VMREAD] = EXIT_REASON_VMREAD,
	[VMX_VMWRITE] = EXIT_REASON_VMWRITE, [VMX_VMLAUNCH] = EXIT_REASON_VMLAUNCH,
	[VMX_VMRESUME] = EXIT_REASON_VMRESUME, [VMX_VMCALL] = EXIT_REASON_VMCALL,
	[VMX_INVEPT] = EXIT_REASON_INVEPT, [VMX_INVVPID] = EXIT_REASON_INVVPID,
	[VMX_VMFUNC] = EXIT_REASON_VMFUNC,
};

static void vm_exit_for(struct vmx_result *r, enum vmx_insn_id id)
{
	r->status = VMX_VMEXIT;
	r->exit_reason = insn_exit_reason[id];
}

/* The "standard" checks before the instruction's own (vmx_semantics, section 2):
 * true when they decided the outcome. */
static bool preamble(struct lp *lp, const struct mode *md, struct vmx_result *r)
{
	if (!lp->vmx.on || mode_ud(md)) {
		fault(r, VEC_UD, 0);
		return true;
	}
	if (lp->vmx.non_root) {
		vm_exit_for(r, (enum vmx_insn_id)r->insn);
		return true;
	}
	if (md->cpl > 0) {
		fault(r, VEC_GP, 0);
		return true;
	}
	return false;
}

static uint64_t cap(struct lp *lp, uint32_t msr)
{
	uint64_t v = 0;
	if (vmcs_caps_rdmsr(lp->m->vmx_caps, msr, &v))
		return 0;
	return v;
}

static bool pa_valid(struct lp *lp, uint64_t pa)
{
	/* 4 KiB aligned, no bits beyond the physical-address width (32 bits when
	 * IA32_VMX_BASIC[48] says so). */
	unsigned width = (cap(lp, MSR_IA32_VMX_BASIC) >> 48) & 1 ? 32 : lp->m->pm.maxphyaddr;
	return !(pa & 0xfff) && !(pa >> width);
}

static bool read_operand(const struct vmx_operands *ops, void *buf, unsigned n, struct vmx_result *r)
{
	if (ops->read(ops->ctx, buf, n, &r->fault)) {
		r->status = VMX_FAULT;
		return false;
	}
	return true;
}

static bool write_operand(const struct vmx_operands *ops, const void *buf, unsigned n,
			  struct vmx_result *r)
{
	if (ops->write(ops->ctx, buf, n, &r->fault)) {
		r->status = VMX_FAULT;
		return false;
	}
	return true;
}

/* ---- CR0/CR4 in VMX operation --------------------------------------------------- */

static int fixed_ok(uint64_t v, uint64_t fixed0, uint64_t fixed1)
{
	return ((v & fixed0) == fixed0 && !(v & ~fixed1)) ? 0 : -1;
}

/* An unrestricted guest may clear PE and PG (SDM "Unrestricted Guests"): its MOV
 * to CR0 is held to IA32_VMX_CR0_FIXED0 without them. */
static bool unrestricted_guest(struct lp *lp)
{
	return lp->vmx.non_root &&
	       (vmcs_secondary_controls(&lp->vmx.vmcs) & SECONDARY_EXEC_UNRESTRICTED_GUEST);
}

int vmx_check_cr0(struct lp *lp, uint64_t cr0)
{
	if (!lp->vmx.on)
		return 0;
	uint64_t fixed0 = cap(lp, MSR_IA32_VMX_CR0_FIXED0);
	if (unrestricted_guest(lp))
		fixed0 &= ~(uint64_t)0x80000001u;     /* PG, PE */
	/* The FIXED MSRs are 64 bits wide but CR0 bits 63:32 are checked elsewhere. */
	return fixed_ok((uint32_t)cr0, fixed0, cap(lp, MSR_IA32_VMX_CR0_FIXED1) | 0xffffffff00000000ull);
}

int vmx_check_cr4(struct lp *lp, uint64_t cr4)
{
	if (!lp->vmx.on)
		return 0;
	return fixed_ok(cr4, cap(lp, MSR_IA32_VMX_CR4_FIXED0), cap(lp, MSR_IA32_VMX_CR4_FIXED1));
}

/* ---- the instructions ------------------------------------------------------------ */

static void do_vmxon(struct lp *lp, const struct mode *md, const struct vmx_operands *ops,
		     struct vmx_result *r)
{
	struct vmx_lp *v = &lp->vmx;
	if (!(md->cr4 & (1u << 13)) || mode_ud(md) || ops->reg_form)
		return fault(r, VEC_UD, 0);
	if (v->on) {
		if (v->non_root)
			return vm_exit_for(r, VMX_VMXON);
		if (md->cpl > 0)
			return fault(r, VEC_GP, 0);
		return fail(lp, r, VMXERR_VMXON_IN_VMX_ROOT_OPERATION);
	}
	/* Not in VMX operation yet. */
	bool cr_ok = !fixed_ok((uint32_t)md->cr0, cap(lp, MSR_IA32_VMX_CR0_FIXED0),
			       cap(lp, MSR_IA32_VMX_CR0_FIXED1) | 0xffffffff00000000ull) &&
		     !fixed_ok(md->cr4, cap(lp, MSR_IA32_VMX_CR4_FIXED0), cap(lp, MSR_IA32_VMX_CR4_FIXED1));
	uint64_t fc = lp->feature_control;
	if (md->cpl > 0 || !cr_ok || !(fc & 1) || !(fc & 4))
		return fault(r, VEC_GP, 0);
	uint64_t ptr;
	if (!read_operand(ops, &ptr, 8, r))
		return;
	r->value = ptr;
	if (!pa_valid(lp, ptr))
		return fail_invalid(r, VMFAIL_INVALID_VMXON_ADDRESS);
	uint32_t rev = phys_read32(&lp->m->pm, ptr);
	if ((rev & 0x7fffffff) != vmcs_caps_revision_id(lp->m->vmx_caps) || (rev >> 31))
		return fail_invalid(r, VMFAIL_INVALID_VMXON_REVISION);
	v->on = true;
	v->non_root = false;
	v->vmxon_ptr = ptr;
	v->epoch = (lp->id << 24) | ((v->epoch + 1) & 0xffffff);
	v->current = VMCS_PTR_NONE;
	vmcs_cache_init(&v->vmcs);
	succeed(r);
}

static void do_vmxoff(struct lp *lp, const struct mode *md, const struct vmx_operands *ops,
		      struct vmx_result *r)
{
	if (preamble(lp, md, r))
		return;
	if (lp->smm.dual)
		return fail(lp, r, VMXERR_VMXOFF_UNDER_DUAL_MONITOR_TREATMENT_OF_SMIS_AND_SMM);
	/* The cached VMCS goes back to memory, as nothing can reach it any more. */
	vmcs_cache_flush(&lp->vmx.vmcs, &lp->m->pm);
	lp->vmx.on = false;
	lp->vmx.current = VMCS_PTR_NONE;
	succeed(r);
	/* An INIT held in VMX root operation is taken now, before the next instruction
	 * (SDM "INIT Signal"): the engine stops after this one (its handler runs at the
	 * site, which has synchronized RIP) and the run loop takes it. */
	if (lp->init_pending && lp->uc) {
		lp->stop_due = true;
		uc_emu_stop(lp->uc);
	}
}

/* VMCLEAR and VMPTRLD share their first steps: memory form only, the standard
 * checks, then a VMCS pointer that must be a valid address other than the VMXON
 * region's (each instruction with its own error numbers). True with *ptr when the
 * instruction goes on. */
static bool vmcs_pointer_operand(struct lp *lp, const struct mode *md, const struct vmx_operands *ops,
				 struct vmx_result *r, uint32_t err_address, uint32_t err_vmxon,
				 uint64_t *ptr)
{
	if (ops->reg_form) {
		fault(r, VEC_UD, 0);
		return false;
	}
	if (preamble(lp, md, r) || !read_operand(ops, ptr, 8, r))
		return false;
	r->value = *ptr;
	if (!pa_valid(lp, *ptr)) {
		fail(lp, r, err_address);
		return false;
	}
	if (*ptr == lp->vmx.vmxon_ptr) {
		fail(lp, r, err_vmxon);
		return false;
	}
	return true;
}

static void do_vmclear(struct lp *lp, const struct mode *md, const struct vmx_operands *ops,
		       struct vmx_result *r)
{
	struct vmx_lp *v = &lp->vmx;
	uint64_t ptr;
	if (!vmcs_pointer_operand(lp, md, ops, r, VMXERR_VMCLEAR_INVALID_ADDRESS,
				  VMXERR_VMCLEAR_VMXON_POINTER, &ptr))
		return;
	if (v->vmcs.ptr == ptr)
		vmcs_cache_flush(&v->vmcs, &lp->m->pm);
	vmcs_region_clear_launch(&lp->m->pm, ptr);
	if (v->current == ptr)
		v->current = VMCS_PTR_NONE;
	succeed(r);
}

static void do_vmptrld(struct lp *lp, const struct mode *md, const struct vmx_operands *ops,
		       struct vmx_result *r)
{
	struct vmx_lp *v = &lp->vmx;
	uint64_t ptr;
	if (!vmcs_pointer_operand(lp, md, ops, r, VMXERR_VMPTRLD_INVALID_ADDRESS,
				  VMXERR_VMPTRLD_VMXON_POINTER, &ptr))
		return;
	uint32_t rev = phys_read32(&lp->m->pm, ptr);
	bool shadow_ok = vmcs_caps_feature_supported(lp->m->vmx_caps, FEAT_SHADOW_VMCS);
	if ((rev & 0x7fffffff) != vmcs_caps_revision_id(lp->m->vmx_caps) || ((rev >> 31) && !shadow_ok))
		return fail(lp, r, VMXERR_VMPTRLD_INCORRECT_VMCS_REVISION_ID);
	vmcs_cache_switch(&v->vmcs, &lp->m->pm, ptr);
	v->current = ptr;
	succeed(r);
}

static void do_vmptrst(struct lp *lp, const struct mode *md, const struct vmx_operands *ops,
		       struct vmx_result *r)
{
	if (ops->reg_form)
		return fault(r, VEC_UD, 0);
	if (preamble(lp, md, r))
		return;
	uint64_t ptr = lp->vmx.current;
	r->value = ptr;
	if (!write_operand(ops, &ptr, 8, r))
		return;
	succeed(r);
}

/* The field an encoding names on this CPU model, or NULL (error 12). */
static const struct vmcs_field_info *field_of(struct lp *lp, const struct mode *md, uint64_t enc,
					      bool *high)
{
	if (!long64(md))
		enc = (uint32_t)enc;
	const struct vmcs_field_info *f = vmcs_field_find(enc, high);
	if (!f || !vmcs_caps_field_supported(lp->m->vmx_caps, f))
		return NULL;
	return f;
}

/* VMCS shadowing (SDM "VMCS Shadowing"): in VMX non-root operation with "VMCS
 * shadowing", a VMREAD or VMWRITE whose field encoding has bits 63:15 clear and
 * whose bit (encoding bits 14:0) in the VMREAD or VMWRITE bitmap is 0 does not exit:
 * at CPL 0 it reads or writes the shadow VMCS the VMCS link pointer names. */
static bool shadowed(struct lp *lp, const struct mode *md, const struct vmx_operands *ops, bool write)
{
	const struct vmcs_cache *c = &lp->vmx.vmcs;
	uint64_t enc = long64(md) ? ops->reg_value : (uint32_t)ops->reg_value;
	if (!lp->vmx.non_root || enc >> 15 || !(vmcs_secondary_controls(c) & SECONDARY_EXEC_SHADOW_VMCS))
		return false;
	uint8_t byte = 0xff;
	phys_read(&lp->m->pm, vmcs_read_enc(c, write ? VMWRITE_BITMAP : VMREAD_BITMAP) + enc / 8, &byte, 1);
	return !((byte >> (enc % 8)) & 1);
}

/* VMREAD and VMWRITE before their own checks: true when the outcome is decided.
 * Otherwise *shadow says whether they work on the shadow VMCS (loaded into `sh`,
 * VMfailInvalid when the link pointer is all ones) or on the current VMCS. */
static bool vmrw_preamble(struct lp *lp, const struct mode *md, const struct vmx_operands *ops, bool write,
			  struct vmx_result *r, struct vmcs_cache *sh, struct vmcs_cache **v)
{
	*v = &lp->vmx.vmcs;
	if (lp->vmx.on && !mode_ud(md) && shadowed(lp, md, ops, write)) {
		if (md->cpl > 0) {
			fault(r, VEC_GP, 0);
			return true;
		}
		r->field = ops->reg_value;
		r->has_field = true;
		uint64_t link = vmcs_read_enc(&lp->vmx.vmcs, VMCS_LINK_POINTER);
		if (link == VMCS_PTR_NONE) {
			fail_invalid(r, VMFAIL_INVALID_NO_CURRENT_VMCS);
			return true;
		}
		vmcs_cache_load(sh, &lp->m->pm, link);
		*v = sh;
		return false;
	}
	if (preamble(lp, md, r))
		return true;
	r->field = ops->reg_value;
	r->has_field = true;
	if (lp->vmx.current == VMCS_PTR_NONE) {
		fail_invalid(r, VMFAIL_INVALID_NO_CURRENT_VMCS);
		return true;
	}
	return false;
}

static void do_vmread(struct lp *lp, const struct mode *md, const struct vmx_operands *ops,
		      struct vmx_result *r)
{
	struct vmcs_cache sh, *v;
	if (vmrw_preamble(lp, md, ops, false, r, &sh, &v))
		return;
	bool high;
	const struct vmcs_field_info *f = field_of(lp, md, ops->reg_value, &high);
	if (!f)
		return fail_valid(lp, r, VMXERR_UNSUPPORTED_VMCS_COMPONENT);
	uint64_t val = vmcs_get(v, f, high);
	if (ops->opsize == 4)
		val = (uint32_t)val;
	r->value = val;
	if (ops->reg_form) {
		r->reg_out = true;
		r->out = val;
	} else if (!write_operand(ops, &val, ops->opsize, r)) {
		return;
	}
	succeed(r);
}

static void do_vmwrite(struct lp *lp, const struct mode *md, const struct vmx_operands *ops,
		       struct vmx_result *r)
{
	struct vmcs_cache sh, *v;
	if (vmrw_preamble(lp, md, ops, true, r, &sh, &v))
		return;
	uint64_t val = 0;
	if (ops->reg_form)
		val = ops->rm_value;
	else if (!read_operand(ops, &val, ops->opsize, r))
		return;
	if (ops->opsize == 4)
		val = (uint32_t)val;
	r->value = val;
	bool high;
	const struct vmcs_field_info *f = field_of(lp, md, ops->reg_value, &high);
	if (!f)
		return fail_valid(lp, r, VMXERR_UNSUPPORTED_VMCS_COMPONENT);
	if (f->read_only && !vmcs_caps_vmwrite_exit_info(lp->m->vmx_caps))
		return fail_valid(lp, r, VMXERR_VMWRITE_READ_ONLY_VMCS_COMPONENT);
	vmcs_set(v, f, high, val);
	if (v == &sh)
		vmcs_cache_flush(&sh, &lp->m->pm);   /* the shadow VMCS lives in memory */
	succeed(r);
}

/* A successful VMREAD (into *val, truncated to `opsize` bytes) or VMWRITE (of *val)
 * of field f of the current VMCS; false for VMWRITE's VMfailValid(13). */
static inline bool access_field(struct lp *lp, const struct vmcs_field_info *f, bool high, bool write,
			 uint64_t *val, unsigned opsize)
{
	if (!write) {
		uint64_t v = vmcs_get(&lp->vmx.vmcs, f, high);
		*val = opsize == 4 ? (uint32_t)v : v;
		return true;
	}
	if (f->read_only && !vmcs_caps_vmwrite_exit_info(lp->m->vmx_caps))
		return false;                  /* VMfailValid(13) */
	vmcs_set(&lp->vmx.vmcs, f, high, opsize == 4 ? (uint32_t)*val : *val);
	return true;
}

bool vmx_reg_access_fast(struct lp *lp, const struct cpu_regs *r, bool write, uint64_t enc,
			 uint64_t *val, unsigned opsize)
{
	/* The mode as get_mode has it, from the bits the checks below read: CR0.PE,
	 * RFLAGS.VM, EFER.LMA, CS.L (64-bit code), the CPL. */
	struct mode md = { .cr0 = r->pe, .rflags = r->eflags, .efer = r->lma ? 1u << 10 : 0,
			   .cs_l = r->cs64, .cpl = r->cpl, .rip = r->rip };
	/* preamble (#UD, VM exit, #GP) and VMfailInvalid for want of a current VMCS */
	if (!lp->vmx.on || mode_ud(&md) || lp->vmx.non_root || md.cpl > 0 ||
	    lp->vmx.current == VMCS_PTR_NONE)
		return false;
	bool high;
	const struct vmcs_field_info *f = field_of(lp, &md, enc, &high);
	if (!f)
		return false;                  /* VMfailValid(12) */
	return access_field(lp, f, high, write, val, opsize);
}

bool vmx_memo_fill(struct lp *lp, uint64_t enc, struct vmcs_field_memo *memo)
{
	bool high;
	const struct vmcs_field_info *f = vmcs_field_find(enc, &high);
	if (!f || !vmcs_caps_field_supported(lp->m->vmx_caps, f))
		return false;
	*memo = (struct vmcs_field_memo){ .f = f, .enc = enc, .high = high };
	return true;
}

/* The engine keeps one "interrupt shadow" flag for STI and MOV SS/POP SS alike, and
 * a code hook on MOV SS upsets its exception reporting, so the kind of blocking is
 * read from the instruction just before: STI is the one-byte FB. (A MOV SS whose
 * 8-bit displacement is FB is told apart by its opcode and ModRM.) */
static bool blocked_by_mov_ss(struct lp *lp)
{
	if (!cpustate_interrupt_shadow(&lp->cs))
		return false;
	struct mmu_ctx c;
	struct mmu_fault f;
	struct seg cs;
	uint8_t b[3] = { 0 };
	lp_mmu_ctx(lp, &c);
	cpustate_get_seg(&lp->cs, SEG_CS, &cs);
	bool lm = (c.efer & (1u << 10)) && (cs.attr & (1u << 13));
	uint64_t la = cpu_reg(lp->uc, UC_X86_REG_RIP) + (lm ? 0 : cs.base);
	if (mmu_read(&lp->m->pm, &c, la - 3, b, 3, MMU_SUPERVISOR | MMU_NO_AD, &f))
		return true;
	bool movss_disp8 = b[0] == 0x8e && (b[1] & 0x38) == 0x10 && (b[1] >> 6) == 1;
	return !(b[2] == 0xfb && !movss_disp8);
}

/* The basic checks of VMLAUNCH/VMRESUME (entry_steps.h), one predicate per ID,
 * each true when its rule is broken. */
struct pre_ctx {
	struct lp *lp;
	const struct mode *md;
	bool launch;
	uint32_t error;           /* a row whose error number varies sets it */
};

static bool pre_ud_mode(struct pre_ctx *c) { return !c->lp->vmx.on || mode_ud(c->md); }
static bool pre_nonroot(struct pre_ctx *c) { return c->lp->vmx.non_root; }
static bool pre_cpl(struct pre_ctx *c) { return c->md->cpl > 0; }
static bool pre_vmcs_ptr(struct pre_ctx *c) { return c->lp->vmx.current == VMCS_PTR_NONE; }
/* A shadow VMCS may be current, but never entered. */
static bool pre_not_shadow(struct pre_ctx *c) { return c->lp->vmx.vmcs.revision >> 31; }
static bool pre_movss(struct pre_ctx *c) { return blocked_by_mov_ss(c->lp); }
static bool pre_launch_clear(struct pre_ctx *c) { return c->launch && c->lp->vmx.vmcs.launched; }
static bool pre_resume_launched(struct pre_ctx *c)
{
	return !c->launch && !c->lp->vmx.vmcs.launched;
}

/* VMXOFF does not write a current VMCS back on real processors: a VMCS left
 * launched across VMXOFF/VMXON may be stale in memory (docs/design.md). */
static bool pre_resume_corrupted(struct pre_ctx *c)
{
	return !c->launch && c->lp->vmx.vmcs.epoch != c->lp->vmx.epoch;
}

/* In SMM with "entry to SMM" clear the entry returns from SMM: the checks on the
 * executive-VMCS pointer and executive VMCS come first (errors 16-18, 25). */
static bool smm_return_entry(const struct lp *lp)
{
	return lp->smm.in_smm && !(vmcs_read_enc(&lp->vmx.vmcs, VM_ENTRY_CONTROLS) & VM_ENTRY_TO_SMM);
}

static bool pre_smm_exec_vmcs(struct pre_ctx *c)
{
	return smm_return_entry(c->lp) && (c->error = smm_entry_checks(c->lp)) != 0;
}

/* The first basic check broken, in the SDM's order (entry_steps.h's), or
 * ENTRY_PRE_COUNT. Direct calls rather than a table of them: every VMRESUME asks
 * all ten, and inlined they cost a few instructions each. */
static enum entry_pre_id first_pre_violated(struct pre_ctx *c)
{
	_Static_assert(ENTRY_PRE_COUNT == 10, "a basic check this sequence does not ask");
	return pre_ud_mode(c)          ? PRE_UD_MODE
	       : pre_nonroot(c)        ? PRE_NONROOT
	       : pre_cpl(c)            ? PRE_CPL
	       : pre_vmcs_ptr(c)       ? PRE_VMCS_PTR
	       : pre_not_shadow(c)     ? PRE_NOT_SHADOW
	       : pre_movss(c)          ? PRE_MOVSS
	       : pre_launch_clear(c)   ? PRE_LAUNCH_CLEAR
	       : pre_resume_launched(c) ? PRE_RESUME_LAUNCHED
	       : pre_resume_corrupted(c) ? PRE_RESUME_CORRUPTED
	       : pre_smm_exec_vmcs(c)  ? PRE_SMM_EXEC_VMCS
				       : ENTRY_PRE_COUNT;
}

/* Runs the basic checks in the SDM's order: true when one of them decided the
 * outcome, which the table gives. */
static bool entry_pre_failed(struct lp *lp, const struct mode *md, bool launch, struct vmx_result *r)
{
	struct pre_ctx c = { lp, md, launch, 0 };
	int i = (int)first_pre_violated(&c);
	if (lp->m->cov)
		entry_coverage_pre(&lp->m->cov->entry, (enum entry_pre_id)i);
	if (i == ENTRY_PRE_COUNT)
		return false;
	const struct entry_step *s = &entry_pre_checks[i];
	switch (s->outcome) {
	case PRE_FAULT_UD: fault(r, VEC_UD, 0); break;
	case PRE_VM_EXIT: vm_exit_for(r, (enum vmx_insn_id)r->insn); break;
	case PRE_FAULT_GP: fault(r, VEC_GP, 0); break;
	case PRE_FAIL_INVALID:
		fail_invalid(r, i == PRE_NOT_SHADOW ? VMFAIL_INVALID_SHADOW_VMCS
						    : VMFAIL_INVALID_NO_CURRENT_VMCS);
		break;
	case PRE_FAIL_VALID: fail_valid(lp, r, s->error ? s->error : c.error); break;
	}
	return true;
}

/* A section-E behaviour of the entry happened: counted by the coverage collector. */
static void cover_after(struct lp *lp, enum entry_after_id step)
{
	if (lp->m->cov)
		entry_coverage_after(&lp->m->cov->entry, step);
}

/* A VM-entry failure after the checks on controls and host state (exit reason 33,
 * 34 or 41 with bit 31): the caller loads host state (ENTRY_FAIL_EXIT). */
static void entry_fail_exit(struct lp *lp, struct vmx_result *r, uint32_t basic, uint32_t qual)
{
	struct vmx_lp *v = &lp->vmx;
	uint32_t reason = basic | EXIT_REASON_FAILED_VMENTRY;
	vmcs_write_enc(&v->vmcs, VM_EXIT_REASON, reason);
	vmcs_write_enc(&v->vmcs, EXIT_QUALIFICATION, qual);
	if (lp->m->cov)
		coverage_exit(lp->m->cov, reason);
	cover_after(lp, AFTER_FAIL_EXIT);
	r->status = VMX_ENTRY_FAILED;
}

static void do_vmlaunch_vmresume(struct lp *lp, const struct mode *md, bool launch,
				 struct vmx_result *r)
{
	struct vmx_lp *v = &lp->vmx;
	if (entry_pre_failed(lp, md, launch, r))
		return;
	bool smm_return = smm_return_entry(lp);

	/* The checks on the controls, then on the host state (the SDM allows either
	 * order; this is Bochs' and the checklist's), then guest state and the MSR-load
	 * list. */
	struct entry_diag *d = &v->last_entry_diag;
	v->last_entry_failed = true;   /* until the checks below pass */
	struct entry_ctx ec = { .vmcs = &v->vmcs, .caps = lp->m->vmx_caps, .pm = &lp->m->pm,
				.maxphyaddr = lp->m->pm.maxphyaddr, .launch = launch, .diag = d,
				.lma = (md->efer >> 10) & 1 };
	if (lp->m->cov)
		coverage_entry(lp->m->cov, &ec);
	/* The checks on controls and host state read nothing but those fields, the
	 * model and EFER.LMA, except CTL_TPR_THRESHOLD_VTPR, which reads the virtual-APIC
	 * page: when none of that changed since they last passed, they pass again. */
	bool tpr_shadow = vmcs_read_enc(&v->vmcs, CPU_BASED_VM_EXEC_CONTROL) & CPU_BASED_TPR_SHADOW;
	bool reuse = !v->vmcs.ctl_host_changed && !tpr_shadow && v->checked_lma == ec.lma && !lp->smm.in_smm;
	if (!reuse) {
		if (lp->smm.in_smm ? smm_entry_run_ctl(&ec, smm_return) : entry_run(&ec, ENTRY_CTL)) {
			r->entry_diag = d;
			return fail_valid(lp, r, VMXERR_ENTRY_INVALID_CONTROL_FIELD);
		}
		if (entry_run(&ec, ENTRY_HOST)) {
			r->entry_diag = d;
			return fail_valid(lp, r, VMXERR_ENTRY_INVALID_HOST_STATE_FIELD);
		}
		v->vmcs.ctl_host_changed = false;
		v->checked_lma = ec.lma;
	}
	/* The guest-state checks skip the rows whose fields did not change since they
	 * all last passed (entry_run_cached). */
	bool guest_bad = entry_run_cached(&ec, ENTRY_GUEST, &v->guest_checks) != NULL;
	/* An empty MSR-load list passes every one of its rows: no walk (the common case). */
	bool msrs = vmcs_read_enc(&v->vmcs, VM_ENTRY_MSR_LOAD_COUNT) != 0;
	if (guest_bad || (msrs && entry_run(&ec, ENTRY_MSRLD))) {
		entry_fail_exit(lp, r, guest_bad ? EXIT_REASON_INVALID_STATE : EXIT_REASON_MSR_LOAD_FAIL,
				d->qualification);
		r->entry_diag = d;
		return;
	}
	v->last_entry_failed = false;
	/* A machine check armed for this entry (vtsim_inject_entry_mce, or the run's
	 * --inject-entry-mce counting down to it) strikes after the checks, while
	 * guest state loads: the entry fails (ENTRY_MCE). */
	if (v->entry_mce_countdown && !--v->entry_mce_countdown)
		v->entry_mce = true;
	if (v->entry_mce) {
		v->entry_mce = false;
		cover_after(lp, AFTER_MCE);
		return entry_fail_exit(lp, r, EXIT_REASON_MCE_DURING_VMENTRY, 0);
	}
	if (launch) {
		cover_after(lp, AFTER_LAUNCHED);
		/* Launch state := launched before the transition (SDM pseudocode), also
		 * for an entry that returns from SMM. */
		v->vmcs.launched = true;
		v->vmcs.epoch = v->epoch;
		v->vmcs.dirty = true;
	}
	if (smm_return)
		return smm_return_from_smm(lp, r);
	/* Asked here first: the arguments cost a field read and a call on every entry. */
	if (lp->m->cfg.trace_mask & trace_cls_transition(lp))
		trace_event(lp->m, trace_cls_transition(lp), "entry lp%u %s vmcs=0x%llx rip=0x%llx",
			    lp->id, launch ? "VMLAUNCH" : "VMRESUME", (unsigned long long)v->current,
			    (unsigned long long)vmcs_read_enc(&v->vmcs, GUEST_RIP));
	bool injects = lp->m->cov && (vmcs_read_enc(&v->vmcs, VM_ENTRY_INTR_INFO_FIELD) & 0x80000000u);
	if (vmx_enter_guest(lp, launch))
		return not_modelled(r, "the guest's software CPU could not be created");
	if (injects)
		cover_after(lp, AFTER_INJECT);
	v->entries++;
	r->status = VMX_ENTERED;
}

static void do_vmlaunch(struct lp *lp, const struct mode *md, const struct vmx_operands *ops,
			struct vmx_result *r)
{
	do_vmlaunch_vmresume(lp, md, true, r);
}

static void do_vmresume(struct lp *lp, const struct mode *md, const struct vmx_operands *ops,
			struct vmx_result *r)
{
	do_vmlaunch_vmresume(lp, md, false, r);
}

static void do_vmcall(struct lp *lp, const struct mode *md, const struct vmx_operands *ops,
		      struct vmx_result *r)
{
	if (!lp->vmx.on)
		return fault(r, VEC_UD, 0);
	if (lp->vmx.non_root)
		return vm_exit_for(r, VMX_VMCALL);    /* at any CPL */
	if (mode_ud(md))
		return fault(r, VEC_UD, 0);
	if (md->cpl > 0)
		return fault(r, VEC_GP, 0);
	/* From here on (VMfail(1) in SMM or without the treatment, the SMM VM exit, the
	 * activation checks) it is the dual-monitor treatment's business. */
	smm_vmcall(lp, md->rip, ops->insn_len ? ops->insn_len : 3, r);
}

static bool canonical(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}

bool vmx_eptp_valid(struct lp *lp, uint64_t eptp)
{
	uint64_t caps = cap(lp, MSR_IA32_VMX_EPT_VPID_CAP);
	unsigned type = eptp & 7;
	if (!((type == 0 && (caps & (1ull << 8))) || (type == 6 && (caps & (1ull << 14)))))
		return false;
	unsigned walk = (eptp >> 3) & 7;
	if (!((walk == 3 && (caps & (1ull << 6))) || (walk == 4 && (caps & (1ull << 7)))))
		return false;
	if ((eptp & (1ull << 6)) && !(caps & (1ull << 21)))
		return false;
	if (eptp & 0xf00)              /* bits 11:8 reserved (7 is supervisor shadow stack) */
		return false;
	if ((eptp & (1ull << 7)))
		return false;
	return !(eptp >> lp->m->pm.maxphyaddr);
}

/* INVEPT and INVVPID alike: #UD for a register operand or without the capability
 * bit, the common preamble, then the 128-bit descriptor and the type register. False
 * when the instruction already ended (r says how). */
static bool inv_operands(struct lp *lp, const struct mode *md, const struct vmx_operands *ops,
			 uint64_t caps, uint64_t cap_bit, uint64_t desc[2], uint64_t *type,
			 struct vmx_result *r)
{
	if (ops->reg_form || !(caps & cap_bit)) {
		fault(r, VEC_UD, 0);
		return false;
	}
	if (preamble(lp, md, r) || !read_operand(ops, desc, 16, r))
		return false;
	r->desc[0] = desc[0];
	r->desc[1] = desc[1];
	*type = long64(md) ? ops->reg_value : (uint32_t)ops->reg_value;
	r->value = *type;
	return true;
}

static void do_invept(struct lp *lp, const struct mode *md, const struct vmx_operands *ops,
		      struct vmx_result *r)
{
	uint64_t caps = cap(lp, MSR_IA32_VMX_EPT_VPID_CAP), desc[2], type;
	if (!inv_operands(lp, md, ops, caps, 1ull << 20, desc, &type, r))
		return;
	bool supported = (type == 1 && (caps & (1ull << 25))) || (type == 2 && (caps & (1ull << 26)));
	if (!supported)
		return fail(lp, r, VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID);
	if (type == 1 && !vmx_eptp_valid(lp, desc[0]))
		return fail(lp, r, VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID);
	guest_tlb_invept(lp, (unsigned)type, desc[0]);
	succeed(r);
}

static void do_invvpid(struct lp *lp, const struct mode *md, const struct vmx_operands *ops,
		       struct vmx_result *r)
{
	uint64_t caps = cap(lp, MSR_IA32_VMX_EPT_VPID_CAP), desc[2], type;
	if (!inv_operands(lp, md, ops, caps, 1ull << 32, desc, &type, r))
		return;
	if (type > 3 || !(caps & (1ull << (40 + type))))
		return fail(lp, r, VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID);
	if (desc[0] >> 16)
		return fail(lp, r, VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID);
	uint16_t vpid = (uint16_t)desc[0];
	if (type != 2 && vpid == 0)
		return fail(lp, r, VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID);
	if (type == 0 && !canonical(desc[1]))
		return fail(lp, r, VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID);
	guest_tlb_invvpid(lp, (unsigned)type, vpid, desc[1]);
	succeed(r);
}

static void do_vmfunc(struct lp *lp, const struct mode *md, const struct vmx_operands *ops,
		      struct vmx_result *r)
{
	/* VM functions exist only in VMX non-root operation, and only with "enable VM
	 * functions"; elsewhere VMFUNC is #UD. It changes no flags and no register. */
	(void)md;
	const struct vmcs_cache *c = &lp->vmx.vmcs;
	bool enabled = lp->vmx.non_root && (vmcs_secondary_controls(c) & SECONDARY_EXEC_ENABLE_VMFUNC);
	if (!enabled) {
		fault(r, VEC_UD, 0);
		return;
	}
	if (!vmfunc_invoke(lp, cpu_reg(lp->uc, UC_X86_REG_RAX), cpu_reg(lp->uc, UC_X86_REG_RCX))) {
		r->status = VMX_VMEXIT;
		r->exit_reason = EXIT_REASON_VMFUNC;
		return;
	}
	cpu_set_reg(lp->uc, UC_X86_REG_RIP, cpu_reg(lp->uc, UC_X86_REG_RIP) + ops->insn_len);
	r->status = VMX_STATE_LOADED;
}

typedef void (*vmx_exec_fn)(struct lp *lp, const struct mode *md, const struct vmx_operands *ops,
			    struct vmx_result *r);

static const vmx_exec_fn exec_fns[VMX_NR_INSNS] = {
	[VMX_VMXON] = do_vmxon,       [VMX_VMXOFF] = do_vmxoff,     [VMX_VMCLEAR] = do_vmclear,
	[VMX_VMPTRLD] = do_vmptrld,   [VMX_VMPTRST] = do_vmptrst,   [VMX_VMREAD] = do_vmread,
	[VMX_VMWRITE] = do_vmwrite,   [VMX_VMLAUNCH] = do_vmlaunch, [VMX_VMRESUME] = do_vmresume,
	[VMX_VMCALL] = do_vmcall,     [VMX_INVEPT] = do_invept,     [VMX_INVVPID] = do_invvpid,
	[VMX_VMFUNC] = do_vmfunc,
};

void vmx_execute(struct lp *lp, const struct cpu_view *v, enum vmx_insn_id id,
		 const struct vmx_operands *ops, struct vmx_result *r)
{
	memset(r, 0, sizeof(*r));
	r->insn = id;
	if (id >= VMX_NR_INSNS) {
		fault(r, VEC_UD, 0);
		return;
	}
	struct mode md;
	get_mode(v, &md);
	exec_fns[id](lp, &md, ops, r);
}
