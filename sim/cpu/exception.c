/* Exception and interrupt delivery: see exception.h. */
#include "sim/cpu/exception.h"
#include "sim/cpu/exc_explain.h"

#include <stdio.h>
#include <string.h>

#include "sim/cpu/insn_mem.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/msr.h"
#include "sim/cpu/noncanon.h"
#include "sim/cpu/tsc_cost.h"
#include "sim/cpu/vmx_debug.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/cpu/vmx_task_switch.h"
#include "sim/vmcs/exit_reasons.h"

#define RFLAGS_TF  (1ull << 8)
#define RFLAGS_IF  (1ull << 9)
#define RFLAGS_NT  (1ull << 14)
#define RFLAGS_RF  (1ull << 16)
#define RFLAGS_VM  (1ull << 17)
#define RFLAGS_AC  (1ull << 18)
#define CR0_PE     1ull
#define EFER_LMA   (1ull << 10)

static const char *const names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP",
	"#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

const char *exc_name(unsigned vector)
{
	if (vector < 32 && names[vector])
		return names[vector];
	return "INT";
}

bool exc_has_error_code(unsigned vector)
{
	switch (vector) {
	case VEC_DF: case VEC_TS: case VEC_NP: case VEC_SS: case VEC_GP: case VEC_PF:
	case VEC_AC: case VEC_CP:
		return true;
	default:
		return false;
	}
}

static bool contributory(unsigned v)
{
	return v == VEC_DE || v == VEC_TS || v == VEC_NP || v == VEC_SS || v == VEC_GP;
}

/* A fault met while delivering an event. */
struct dfault {
	unsigned vector;
	uint32_t error_code;
	bool cr2_valid;
	uint64_t cr2;
	/* With EPT: an EPT violation or misconfiguration met on the way is a VM exit
	 * that records the event being delivered (IDT-vectoring information). */
	bool ept;
	struct mmu_fault mf;
};

static int raise_df(struct dfault *f, unsigned vector, uint32_t ec)
{
	f->ept = false;
	f->vector = vector;
	f->error_code = ec;
	f->cr2_valid = false;
	return -1;
}

static int raise_pf(struct dfault *f, const struct mmu_fault *mf)
{
	f->ept = mf->kind != MMU_FAULT_PF;
	f->mf = *mf;
	f->vector = VEC_PF;
	f->error_code = mf->error_code;
	f->cr2_valid = true;
	f->cr2 = mf->la;
	return -1;
}

/* The state a delivery works on. */
struct dctx {
	struct lp *lp;
	struct mmu_ctx mc;
	struct seg segs[SEG_COUNT];
	uint64_t rsp, rflags;
	unsigned vector;
	uint32_t error_code;
	bool push_error;
	enum exc_source src;
	uint32_t ext;          /* EXT bit for error codes of faults met on the way */
	uint64_t frame_rip;
	uc_x86_mmr idtr, gdtr;
	uint16_t task_sel;     /* DELIVER_TASK_SWITCH: the new TSS */
};

static int sys_read(struct dctx *d, uint64_t la, void *buf, size_t n, struct dfault *f)
{
	struct mmu_fault mf;
	if (mmu_read(&d->lp->m->pm, &d->mc, la, buf, n, MMU_SUPERVISOR, &mf))
		return raise_pf(f, &mf);
	return 0;
}

/* Reads the descriptor for `sel` from the GDT or LDT. Faults use `ec_vector`. */
static int read_descriptor(struct dctx *d, uint16_t sel, uint64_t *desc, struct dfault *f)
{
	uint64_t base, limit;
	if (sel & 4) {
		if (d->segs[SEG_LDTR].attr & SEG_ATTR_UNUSABLE)
			return raise_df(f, VEC_GP, (sel & 0xfffc) | d->ext);
		base = d->segs[SEG_LDTR].base;
		limit = d->segs[SEG_LDTR].limit;
	} else {
		base = d->gdtr.base;
		limit = d->gdtr.limit;
	}
	if ((uint64_t)(sel & ~7u) + 7 > limit)
		return raise_df(f, VEC_GP, (sel & 0xfffc) | d->ext);
	return sys_read(d, base + (sel & ~7u), desc, 8, f);
}

static struct seg seg_from_desc(uint16_t sel, uint64_t desc)
{
	uint32_t lo = (uint32_t)desc, hi = (uint32_t)(desc >> 32);
	struct seg s;
	s.sel = sel;
	s.base = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);
	s.limit = (lo & 0xffff) | (hi & 0xf0000);
	if (hi & (1u << 23))
		s.limit = (s.limit << 12) | 0xfff;
	s.attr = (hi >> 8) & 0xf0ff;
	return s;
}

/* Checks the handler's code segment; fills *cs. */
static int load_handler_cs(struct dctx *d, uint16_t sel, bool long_mode, struct seg *cs,
			   struct dfault *f)
{
	if ((sel & 0xfffc) == 0)
		return raise_df(f, VEC_GP, d->ext);
	uint64_t desc;
	if (read_descriptor(d, sel, &desc, f))
		return -1;
	struct seg s = seg_from_desc(sel, desc);
	unsigned dpl = (s.attr >> 5) & 3;
	unsigned cpl = d->mc.cpl;
	bool code = (s.attr & 0x18) == 0x18;
	if (!code || dpl > cpl)
		return raise_df(f, VEC_GP, (sel & 0xfffc) | d->ext);
	if (!(s.attr & 0x80))
		return raise_df(f, VEC_NP, (sel & 0xfffc) | d->ext);
	if (long_mode && (!(s.attr & (1u << 13)) || (s.attr & (1u << 14))))
		return raise_df(f, VEC_GP, (sel & 0xfffc) | d->ext);
	bool conforming = s.attr & 4;
	unsigned new_cpl = conforming ? cpl : dpl;
	s.sel = (sel & 0xfffc) | new_cpl;
	s.attr |= 1; /* accessed */
	*cs = s;
	return 0;
}

static int push(struct dctx *d, uint64_t *sp, uint64_t v, unsigned width, uint64_t ss_base,
		struct dfault *f)
{
	*sp -= width;
	struct mmu_fault mf;
	uint64_t la = ss_base + (width == 8 ? *sp : (*sp & 0xffffffffull));
	if (width == 2)
		la = ss_base + (*sp & 0xffff);
	if (mmu_write(&d->lp->m->pm, &d->mc, la, &v, width, MMU_SUPERVISOR, &mf))
		return raise_pf(f, &mf);
	return 0;
}

static uint64_t delivered_rflags(uint64_t rflags, bool clear_if)
{
	rflags &= ~(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM);
	if (clear_if)
		rflags &= ~RFLAGS_IF;
	return rflags;
}

static void commit(struct dctx *d, const struct seg *cs, const struct seg *ss, uint64_t rip,
		   uint64_t rsp, uint64_t rflags)
{
	struct lp *lp = d->lp;
	struct seg segs[SEG_COUNT];
	memcpy(segs, d->segs, sizeof(segs));
	unsigned mask = 1u << SEG_CS;
	segs[SEG_CS] = *cs;
	if (ss) {
		segs[SEG_SS] = *ss;
		mask |= 1u << SEG_SS;
	}
	cpustate_set_segs(&lp->cs, segs, mask);
	cpu_set_reg(lp->uc, UC_X86_REG_RSP, rsp);
	cpu_set_reg(lp->uc, UC_X86_REG_RFLAGS, rflags);
	cpu_set_reg(lp->uc, UC_X86_REG_RIP, rip);
}

/* Real-address mode: the interrupt vector table. */
static int deliver_real(struct dctx *d, struct dfault *f)
{
	uint64_t entry = d->idtr.base + d->vector * 4;
	if ((uint64_t)d->vector * 4 + 3 > d->idtr.limit)
		return raise_df(f, VEC_GP, 0);
	uint32_t ivt;
	if (sys_read(d, entry, &ivt, 4, f))
		return -1;
	uint64_t sp = d->rsp;
	uint64_t ssb = d->segs[SEG_SS].base;
	if (push(d, &sp, d->rflags, 2, ssb, f) || push(d, &sp, d->segs[SEG_CS].sel, 2, ssb, f) ||
	    push(d, &sp, d->frame_rip, 2, ssb, f))
		return -1;
	struct seg cs = d->segs[SEG_CS];
	cs.sel = ivt >> 16;
	cs.base = (uint64_t)cs.sel << 4;
	commit(d, &cs, NULL, ivt & 0xffff, (d->rsp & ~0xffffull) | (sp & 0xffff),
	       d->rflags & ~(RFLAGS_TF | RFLAGS_IF | RFLAGS_AC | RFLAGS_RF));
	return 0;
}

/* Reads the IDT gate; checks limit, type, DPL for software interrupts, presence. */
static int read_gate(struct dctx *d, bool long_mode, uint64_t gate[2], struct dfault *f)
{
	unsigned size = long_mode ? 16 : 8;
	uint32_t idt_ec = d->vector * 8 + 2 + d->ext;
	if ((uint64_t)d->vector * size + size - 1 > d->idtr.limit)
		return raise_df(f, VEC_GP, idt_ec);
	gate[1] = 0;
	if (sys_read(d, d->idtr.base + (uint64_t)d->vector * size, gate, size, f))
		return -1;
	unsigned type = (gate[0] >> 40) & 0x1f;   /* S and type */
	unsigned dpl = (gate[0] >> 45) & 3;
	bool ok = long_mode ? (type == 0xe || type == 0xf)
			    : (type == 0x5 || type == 0x6 || type == 0x7 || type == 0xe || type == 0xf);
	if (!ok)
		return raise_df(f, VEC_GP, idt_ec);
	if (d->src == EXC_SOFT && dpl < d->mc.cpl)
		return raise_df(f, VEC_GP, d->vector * 8 + 2);
	if (!(gate[0] & (1ull << 47)))
		return raise_df(f, VEC_NP, idt_ec);
	return 0;
}

/* deliver_protected's result when the event met a task gate in a guest and its
 * checks passed: VM exit 9 (vmx_task_switch.h), the TSS selector in d->task_sel. */
#define DELIVER_TASK_SWITCH 1

/* A task gate: in a guest, the checks before the task switch's VM exit (the gate's
 * P bit and, for software interrupts, DPL were read_gate's; no privilege checks
 * on the TSS), each failure a fault of the delivery with EXT. Outside VMX non-root
 * operation vtsim has no task switches: the machine stops. */
static int task_gate(struct dctx *d, uint16_t sel, struct dfault *f)
{
	if (!d->lp->vmx.non_root) {
		machine_stop(d->lp->m, d->lp, VTSIM_STOP_INTERNAL, 70,
			     "vector %u uses a task gate: hardware task switching is not modelled by vtsim "
			     "outside VMX non-root operation", d->vector);
		return 0;
	}
	uint64_t desc;
	if (sel & 4)
		return raise_df(f, VEC_GP, (sel & 0xfffc) | d->ext);
	if (read_descriptor(d, sel, &desc, f))
		return -1;
	unsigned vec = task_switch_tss_fault(desc, TASK_SWITCH_IDT_GATE);
	if (vec)
		return raise_df(f, vec, (sel & 0xfffc) | d->ext);
	d->task_sel = sel;
	return DELIVER_TASK_SWITCH;
}

static int deliver_protected(struct dctx *d, struct dfault *f)
{
	uint64_t gate[2];
	if (read_gate(d, false, gate, f))
		return -1;
	unsigned type = (gate[0] >> 40) & 0xf;
	if (type == 0x5)
		return task_gate(d, (uint16_t)(gate[0] >> 16), f);
	unsigned width = (type & 8) ? 4 : 2;
	uint16_t sel = (uint16_t)(gate[0] >> 16);
	uint64_t off = (gate[0] & 0xffff) | ((gate[0] >> 32) & 0xffff0000ull);
	if (width == 2)
		off &= 0xffff;
	struct seg cs;
	if (load_handler_cs(d, sel, false, &cs, f))
		return -1;
	unsigned new_cpl = cs.sel & 3;
	uint64_t sp = d->rsp;
	struct seg ss = d->segs[SEG_SS];
	bool stack_switch = new_cpl < d->mc.cpl;
	if (stack_switch) {
		struct seg tr = d->segs[SEG_TR];
		uint32_t esp;
		uint16_t ss_sel;
		uint64_t at = tr.base + 4 + new_cpl * 8;
		if (at + 6 - tr.base > tr.limit)
			return raise_df(f, VEC_TS, (tr.sel & 0xfffc) | d->ext);
		if (sys_read(d, at, &esp, 4, f) || sys_read(d, at + 4, &ss_sel, 2, f))
			return -1;
		uint64_t desc;
		if ((ss_sel & 0xfffc) == 0 || read_descriptor(d, ss_sel, &desc, f))
			return (ss_sel & 0xfffc) ? -1 : raise_df(f, VEC_TS, d->ext);
		ss = seg_from_desc(ss_sel, desc);
		if ((ss_sel & 3) != new_cpl || ((ss.attr >> 5) & 3) != new_cpl || (ss.attr & 0x1a) != 0x12)
			return raise_df(f, VEC_TS, (ss_sel & 0xfffc) | d->ext);
		if (!(ss.attr & 0x80))
			return raise_df(f, VEC_SS, (ss_sel & 0xfffc) | d->ext);
		sp = esp;
	}
	uint64_t ssb = ss.base;
	uint64_t mask = (ss.attr & (1u << 14)) ? 0xffffffffull : 0xffff;
	sp &= mask;
	if (stack_switch) {
		if (push(d, &sp, d->segs[SEG_SS].sel, width, ssb, f) ||
		    push(d, &sp, d->rsp, width, ssb, f))
			return -1;
	}
	if (push(d, &sp, d->rflags, width, ssb, f) || push(d, &sp, d->segs[SEG_CS].sel, width, ssb, f) ||
	    push(d, &sp, d->frame_rip, width, ssb, f))
		return -1;
	if (d->push_error && push(d, &sp, d->error_code, width, ssb, f))
		return -1;
	uint64_t rsp = (d->rsp & ~mask) | (sp & mask);
	if (stack_switch)
		rsp = sp & mask;
	commit(d, &cs, stack_switch ? &ss : NULL, off, rsp,
	       delivered_rflags(d->rflags, !(type & 1)));
	return 0;
}

static int deliver_long(struct dctx *d, struct dfault *f)
{
	uint64_t gate[2];
	if (read_gate(d, true, gate, f))
		return -1;
	unsigned type = (gate[0] >> 40) & 0xf;
	uint16_t sel = (uint16_t)(gate[0] >> 16);
	unsigned ist = (gate[0] >> 32) & 7;
	uint64_t off = (gate[0] & 0xffff) | ((gate[0] >> 32) & 0xffff0000ull) | (gate[1] << 32);
	struct seg cs;
	if (load_handler_cs(d, sel, true, &cs, f))
		return -1;
	unsigned new_cpl = cs.sel & 3;
	bool priv_change = new_cpl < d->mc.cpl;
	uint64_t sp = d->rsp;
	if (priv_change || ist) {
		struct seg tr = d->segs[SEG_TR];
		uint64_t at = ist ? tr.base + 0x24 + (ist - 1) * 8 : tr.base + 4 + new_cpl * 8;
		if (at + 7 - tr.base > tr.limit)
			return raise_df(f, VEC_TS, (tr.sel & 0xfffc) | d->ext);
		if (sys_read(d, at, &sp, 8, f))
			return -1;
	}
	/* The stack pointer must be canonical before anything is pushed. */
	if ((uint64_t)((int64_t)(sp << 16) >> 16) != sp)
		return raise_df(f, VEC_SS, d->ext);
	sp &= ~0xfull;
	if (push(d, &sp, d->segs[SEG_SS].sel, 8, 0, f) || push(d, &sp, d->rsp, 8, 0, f) ||
	    push(d, &sp, d->rflags, 8, 0, f) || push(d, &sp, d->segs[SEG_CS].sel, 8, 0, f) ||
	    push(d, &sp, d->frame_rip, 8, 0, f))
		return -1;
	if (d->push_error && push(d, &sp, d->error_code, 8, 0, f))
		return -1;
	struct seg ss = { .sel = (uint16_t)new_cpl, .base = 0, .limit = 0,
			  .attr = SEG_ATTR_UNUSABLE | (new_cpl << 5) };
	commit(d, &cs, priv_change ? &ss : NULL, off, sp, delivered_rflags(d->rflags, !(type & 1)));
	return 0;
}

static void prepare(struct dctx *d, struct lp *lp)
{
	memset(d, 0, sizeof(*d));
	d->lp = lp;
	lp_mmu_ctx(lp, &d->mc);
	cpustate_get_segs(&lp->cs, d->segs);
	d->rsp = cpu_reg(lp->uc, UC_X86_REG_RSP);
	d->rflags = cpu_reg(lp->uc, UC_X86_REG_RFLAGS);
	uc_reg_read(lp->uc, UC_X86_REG_IDTR, &d->idtr);
	uc_reg_read(lp->uc, UC_X86_REG_GDTR, &d->gdtr);
}

/* The fault chain, "#UD (vector 6, RIP=0x...) -> ...", and why it shut down. */
static void describe_chain(struct lp *lp, char *buf, size_t size, char *why, size_t why_size)
{
	size_t n = 0;
	buf[0] = 0;
	for (int i = 0; i < lp->chain_len && n < size; i++) {
		const struct exc_step *s = &lp->chain[i];
		n += (size_t)snprintf(buf + n, size - n, "%s%s (vector %u", i ? " -> " : "",
				      exc_name(s->vector), s->vector);
		if (n < size && s->has_error)
			n += (size_t)snprintf(buf + n, size - n, ", error 0x%x", s->error_code);
		if (n < size)
			n += (size_t)snprintf(buf + n, size - n, ", RIP=0x%llx)", (unsigned long long)s->rip);
	}
	uc_x86_mmr idtr;
	uc_reg_read(lp->uc, UC_X86_REG_IDTR, &idtr);
	exc_chain_explain(lp->chain, lp->chain_len, idtr.limit,
			  (cpu_msr(lp->uc, MSR_IA32_EFER) & (1u << 10)) ? 16 : 8, why, why_size);
}

static void report_triple_fault(struct lp *lp)
{
	char buf[400], why[600];
	describe_chain(lp, buf, sizeof(buf), why, sizeof(why));
	if (lp->vmx.non_root) {         /* a guest's shutdown is a VM exit */
		fflush(lp->m->console);
		if (lp->m->cfg.json)
			fprintf(lp->m->diag, "{\"event\": \"guest-triple-fault\", \"lp\": %u, \"exit_reason\": 2, "
				"\"chain\": \"%s\"}\n", lp->id, buf);
		else
			fprintf(lp->m->diag, "vtsim: lp%u: the guest shut down, a VM exit with reason 2 "
				"(TRIPLE_FAULT) to its VMM: %s. %s\n", lp->id, buf, why);
		struct vmx_exit_info xi = { .rip = lp->chain[0].rip };
		vmx_exit(lp, EXIT_REASON_TRIPLE_FAULT, &xi);
		return;
	}
	machine_stop(lp->m, lp, VTSIM_STOP_TRIPLE_FAULT, 3, "triple fault (shutdown): %s. %s", buf, why);
}

static void chain_add(struct lp *lp, unsigned vector, bool has_err, uint32_t ec, uint64_t rip)
{
	if (lp->chain_len < EXC_CHAIN_MAX)
		lp->chain[lp->chain_len++] = (struct exc_step){ (uint8_t)vector, has_err, ec, rip };
}

static void deliver(struct lp *lp, unsigned vector, uint32_t error_code, bool has_err,
		    enum exc_source src, uint64_t insn_rip, uint64_t next_rip);

/* Exceptions push an error code only in protected mode: real-address mode delivers
 * none, and VM-exit and IDT-vectoring information then say there is none. */
static bool pushes_error_code(struct lp *lp, unsigned vector)
{
	return (cpu_reg(lp->uc, UC_X86_REG_CR0) & CR0_PE) && exc_has_error_code(vector);
}

/* The event being delivered when another exception arose (the IDT-vectoring
 * information of an exit the second one causes; none when idt_info is 0), and for
 * a #PF its address. */
struct exc_nested {
	uint32_t idt_info, idt_error;
	bool cr2_valid;
	uint64_t cr2;
};

/* In VMX non-root operation, an exception whose bit is set in the exception bitmap
 * (for #PF: compared with the error-code mask and match) is a VM exit instead. A #DB
 * has `db_qual` (its DR6 bits) as the qualification. `nested` (or NULL): the
 * exception arose delivering another event. */
static bool exception_exits(struct lp *lp, unsigned vector, uint32_t error_code,
			    enum exc_source src, uint64_t insn_rip, uint64_t next_rip,
			    uint64_t db_qual, const struct exc_nested *nested)
{
	bool soft_exc = src == EXC_SOFT && (vector == VEC_BP || vector == VEC_OF);
	bool priv_soft = src == EXC_PRIV_SOFT;
	if (!lp->vmx.non_root || vector > 31 || (src == EXC_SOFT && !soft_exc) || src == EXC_EXTERNAL)
		return false;
	const struct vmcs_cache *v = &lp->vmx.vmcs;
	bool bit = (vmcs_read_enc(v, EXCEPTION_BITMAP) >> vector) & 1;
	if (vector == VEC_PF) {
		uint32_t mask = (uint32_t)vmcs_read_enc(v, PAGE_FAULT_ERROR_CODE_MASK);
		uint32_t match = (uint32_t)vmcs_read_enc(v, PAGE_FAULT_ERROR_CODE_MATCH);
		bit = bit == ((error_code & mask) == match);
	}
	if (!bit)
		return false;
	bool has_err = !soft_exc && !priv_soft && pushes_error_code(lp, vector);
	unsigned type = soft_exc ? 6u : priv_soft ? 5u : 3u;
	struct vmx_exit_info xi = {
		/* Bit 12: a fault of an IRET that unblocked NMIs (not for #DF, nor
		 * during event delivery). */
		.intr_info = vector | type << 8 | (has_err ? 1u << 11 : 0) | 0x80000000u |
			     (!(nested && nested->idt_info) && vector != VEC_DF && nmi_unblocked_by_iret(lp) ? 1u << 12 : 0),
		.intr_error = has_err ? error_code : 0,
		.insn_len = soft_exc || priv_soft ? (uint32_t)(next_rip - insn_rip) : 0,
		.qualification = vector == VEC_PF ? (nested && nested->cr2_valid ? nested->cr2
							       : cpu_reg(lp->uc, UC_X86_REG_CR2))
			       : vector == VEC_DB && !priv_soft ? db_qual : 0,
		.idt_vectoring_info = nested ? nested->idt_info : 0,
		.idt_vectoring_error = nested ? nested->idt_error : 0,
		.rip = insn_rip,
	};
	vmx_exit(lp, EXIT_REASON_EXCEPTION_NMI, &xi);
	return true;
}

void exc_deliver(struct lp *lp, unsigned vector, uint32_t error_code, enum exc_source src,
		 uint64_t insn_rip, uint64_t next_rip)
{
	if (exception_exits(lp, vector, error_code, src, insn_rip, next_rip, 0, NULL))
		return;
	bool has_err = src != EXC_SOFT && src != EXC_EXTERNAL && src != EXC_PRIV_SOFT &&
		       pushes_error_code(lp, vector);
	deliver(lp, vector, error_code, has_err, src, insn_rip, next_rip);
}

void exc_debug(struct lp *lp, uint64_t dr6, enum exc_source src, uint64_t insn_rip,
	       uint64_t next_rip)
{
	if (exception_exits(lp, VEC_DB, 0, src, insn_rip, next_rip, dr6, NULL))
		return;            /* DR6 and DR7 stay as they are (SDM "Basic VM-Exit Information") */
	/* B0-B3 say which breakpoints matched this time: set or cleared by every #DB;
	 * the other bits are only ever set (SDM "Debug Status Register (DR6)"). */
	lp->dr6_known = (cpu_reg(lp->uc, UC_X86_REG_DR6) & ~0xfull) | dr6;
	cpu_set_reg(lp->uc, UC_X86_REG_DR6, lp->dr6_known);
	if (dr6 & DR6_BD)
		cpu_set_reg(lp->uc, UC_X86_REG_DR7, cpu_reg(lp->uc, UC_X86_REG_DR7) & ~(1ull << 13));
	deliver(lp, VEC_DB, 0, false, src, insn_rip, next_rip);
}

void exc_deliver_injected(struct lp *lp, unsigned vector, uint32_t error_code, bool push_error,
			  enum exc_source src, uint64_t insn_rip, uint64_t next_rip)
{
	/* The injection field's type says more than the source the caller derived
	 * from it: type 5 is a privileged software exception (INT1), and type 7
	 * vector 0 delivers nothing but makes an MTF VM exit pending before the
	 * guest's first instruction (SDM "Event Injection", "Pending MTF VM Exits"). */
	uint32_t info = (uint32_t)vmcs_read_enc(&lp->vmx.vmcs, VM_ENTRY_INTR_INFO_FIELD);
	unsigned type = (info >> 8) & 7;
	if (lp->vmx.non_root && (info & 0x80000000u) && (info & 0xff) == vector) {
		if (type == 7) {
			struct vmx_exit_info xi = { .rip = insn_rip };
			vmx_exit(lp, EXIT_REASON_MONITOR_TRAP_FLAG, &xi);
			return;
		}
		if (type == 5)
			src = EXC_PRIV_SOFT;
	}
	deliver(lp, vector, error_code, push_error, src, insn_rip, next_rip);
}

/* The IDT-vectoring information of an event whose delivery caused a VM exit
 * (SDM "Information for VM Exits During Event Delivery"): vector, type, error-code
 * valid, valid. */
static uint32_t idt_vectoring_info(unsigned vector, bool has_err, enum exc_source src)
{
	unsigned type = src == EXC_EXTERNAL ? (vector == VEC_NMI ? 2 : 0)
		      : src == EXC_SOFT ? (vector == VEC_BP || vector == VEC_OF ? 6 : 4)
		      : src == EXC_PRIV_SOFT ? 5
		      : 3;
	return vector | type << 8 | (has_err ? 1u << 11 : 0) | 0x80000000u;
}

static void deliver(struct lp *lp, unsigned vector, uint32_t error_code, bool has_err,
		    enum exc_source src, uint64_t insn_rip, uint64_t next_rip)
{
	struct vtsim_machine *m = lp->m;
	lp->chain_len = 0;
	uint64_t frame_rip = (src == EXC_FAULT) ? insn_rip : next_rip;
	chain_add(lp, vector, has_err, error_code, frame_rip);
	lp_retire(lp, 1); /* delivery takes time, so fault loops still reach the limits */
	tsc_charge(lp, TSC_EVENT_DELIVERY);
	if (m->stopped)
		return;

	for (;;) {
		struct dctx d;
		prepare(&d, lp);
		d.vector = vector;
		d.error_code = error_code;
		d.push_error = has_err;
		d.src = src;
		/* EXT: the fault arose delivering an event from outside the program:
		 * an interrupt or an earlier exception, not INT n/INT3/INTO. */
		d.ext = src != EXC_SOFT ? 1 : 0;
		d.frame_rip = frame_rip;

		struct dfault f;
		int r;
		if (!(d.mc.cr0 & CR0_PE))
			r = deliver_real(&d, &f);
		else if (d.mc.efer & EFER_LMA)
			r = deliver_long(&d, &f);
		else
			r = deliver_protected(&d, &f);
		if (r == DELIVER_TASK_SWITCH) {
			bool soft = src == EXC_SOFT || src == EXC_PRIV_SOFT;
			vmx_task_switch_exit(lp, d.task_sel, TASK_SWITCH_IDT_GATE, insn_rip,
					     soft ? (uint32_t)(next_rip - insn_rip) : 0,
					     idt_vectoring_info(vector, has_err, src), has_err ? error_code : 0);
			return;
		}
		if (r == 0) {
			if (trace_on(m, VTSIM_TRACE_EXC))
				trace_event(m, VTSIM_TRACE_EXC,
					    "exc lp%u vector=%u(%s) err=%s0x%x rip=0x%llx -> 0x%llx",
					    lp->id, vector, exc_name(vector), has_err ? "" : "-",
					    has_err ? error_code : 0, (unsigned long long)frame_rip,
					    (unsigned long long)cpu_reg(lp->uc, UC_X86_REG_RIP));
			return;
		}
		if (f.ept) {
			vmx_exit_ept(lp, &f.mf, insn_rip,
				     idt_vectoring_info(vector, has_err, src), error_code,
				     src == EXC_SOFT || src == EXC_PRIV_SOFT ?
				     (uint32_t)(next_rip - insn_rip) : 0);
			return;
		}
		/* A fault while delivering: serial, #DF, or shutdown. */
		if (vector == VEC_DF) {
			if (f.cr2_valid)
				cpustate_set_cr2(&lp->cs, f.cr2);
			chain_add(lp, f.vector, exc_has_error_code(f.vector), f.error_code, insn_rip);
			report_triple_fault(lp);
			return;
		}
		bool df = (contributory(vector) && contributory(f.vector)) ||
			  (vector == VEC_PF && (f.vector == VEC_PF || contributory(f.vector)));
		/* In a guest, the exception that results (the fault, or the #DF it makes)
		 * is a VM exit if the exception bitmap names it, reporting the event it
		 * interrupted (SDM "Information for VM Exits During Event Delivery"). */
		struct exc_nested nested = {
			.idt_info = idt_vectoring_info(vector, has_err, src),
			.idt_error = has_err ? error_code : 0,
			.cr2_valid = f.cr2_valid, .cr2 = f.cr2,
		};
		if (exception_exits(lp, df ? VEC_DF : f.vector, df ? 0 : f.error_code, EXC_FAULT,
				    insn_rip, insn_rip, 0, &nested))
			return;
		if (f.cr2_valid)
			cpustate_set_cr2(&lp->cs, f.cr2);
		if (df) {
			chain_add(lp, f.vector, exc_has_error_code(f.vector), f.error_code, insn_rip);
			vector = VEC_DF;
			error_code = 0;
		} else {
			vector = f.vector;
			error_code = f.error_code;
		}
		has_err = pushes_error_code(lp, vector);
		src = EXC_FAULT;
		frame_rip = insn_rip;
		chain_add(lp, vector, has_err, error_code, insn_rip);
		if (lp->chain_len >= EXC_CHAIN_MAX) {
			report_triple_fault(lp);
			return;
		}
	}
}

void exc_fault(struct lp *lp, unsigned vector, uint32_t error_code)
{
	uint64_t rip = cpu_reg(lp->uc, UC_X86_REG_RIP);
	exc_deliver(lp, vector, error_code, EXC_FAULT, rip, rip);
}

void exc_page_fault(struct lp *lp, const struct mmu_fault *f)
{
	if (f->kind != MMU_FAULT_PF) {
		vmx_exit_ept(lp, f, cpu_reg(lp->uc, UC_X86_REG_RIP), 0, 0, 0);
		return;
	}
	/* A #PF that the exception bitmap makes a VM exit does not write CR2 (SDM
	 * "Architectural State before a VM Exit"): the address is the qualification.
	 * CR2 is the VMM's too (vmx_carry.h). */
	uint64_t rip = cpu_reg(lp->uc, UC_X86_REG_RIP);
	struct exc_nested addr = { .cr2_valid = true, .cr2 = f->la };
	if (exception_exits(lp, VEC_PF, f->error_code, EXC_FAULT, rip, rip, 0, &addr))
		return;
	cpustate_set_cr2(&lp->cs, f->la);
	exc_fault(lp, VEC_PF, f->error_code);
}

/* INT n is two bytes, INT3 and INTO one: find where the instruction started. */
static uint64_t soft_int_rip(struct lp *lp, uint64_t next_rip, unsigned vector)
{
	uint8_t b = 0;
	struct mmu_ctx c;
	struct mmu_fault f;
	lp_mmu_ctx(lp, &c);
	struct seg cs;
	cpustate_get_seg(&lp->cs, SEG_CS, &cs);
	uint64_t base = (c.efer & EFER_LMA) && (cs.attr & (1u << 13)) ? 0 : cs.base;
	if (!mmu_read(&lp->m->pm, &c, base + next_rip - 1, &b, 1, MMU_SUPERVISOR | MMU_NO_AD, &f) &&
	    (b == 0xcc || b == 0xce))
		return next_rip - 1;
	return next_rip - 2;
}

/* INT1 (ICEBP, F1): the engine does not know it; the architecture makes it a #DB
 * trap. Its length (prefixes count), or 0 when the code at `rip` is not INT1. */
static unsigned icebp_len(struct lp *lp, uint64_t rip)
{
	struct mmu_ctx c;
	struct mmu_fault f;
	struct seg cs;
	uint8_t b[15];
	lp_mmu_ctx(lp, &c);
	cpustate_get_seg(&lp->cs, SEG_CS, &cs);
	bool long64 = (c.efer & EFER_LMA) && (cs.attr & (1u << 13));
	uint64_t base = long64 ? 0 : cs.base;
	for (unsigned i = 0; i < sizeof(b); i++) {
		if (mmu_fetch(&lp->m->pm, &c, base + rip + i, &b[i], 1, MMU_SUPERVISOR | MMU_NO_AD, &f))
			return 0;
		switch (b[i]) {
		case 0xf1:
			return i + 1;
		case 0x66: case 0x67: case 0xf2: case 0xf3: case 0xf0:
		case 0x2e: case 0x36: case 0x3e: case 0x26: case 0x64: case 0x65:
			continue;
		default:
			if (long64 && (b[i] & 0xf0) == 0x40)
				continue;
			return 0;
		}
	}
	return 0;
}

/* The engine's single-step #DB: the engine already set DR6.BS, which only the #DB's
 * delivery may do (a #DB VM exit leaves DR6 alone): DR6 goes back first. */
static void engine_single_step(struct lp *lp, uint64_t rip)
{
	cpu_set_reg(lp->uc, UC_X86_REG_DR6, lp->dr6_known);
	vmx_dbg_single_step(lp, rip);
}

void exc_on_intr(void *ucv, uint32_t intno, void *user)
{
	struct lp *lp = user;
	struct vtsim_machine *m = lp->m;
	if (m->stopped)
		return;
	if (intno > 255) {
		machine_stop(m, lp, VTSIM_STOP_INTERNAL, 70,
			     "the software CPU raised internal event %u, which vtsim does not model", intno);
		return;
	}
	uint64_t rip = cpu_reg(lp->uc, UC_X86_REG_RIP);
	bool is_int = cpustate_exception_is_int(&lp->cs);
	uint32_t ec = !is_int && exc_has_error_code(intno) ? cpustate_error_code(&lp->cs) : 0;
	cpustate_exception_done(&lp->cs);
	unsigned icebp;
	if (is_int) {
		exc_deliver(lp, intno, 0, EXC_SOFT, soft_int_rip(lp, rip, intno), rip);
	} else {
		/* #DB from single-step and data breakpoints are traps; other exceptions the
		 * engine raises are faults reported at the faulting instruction. */
		if (intno == VEC_UD && sites_emulate_ud(lp, rip))
			; /* a VMX instruction the engine does not know: executed */
		else if (intno == VEC_UD && (icebp = icebp_len(lp, rip)))
			exc_deliver(lp, VEC_DB, 0, EXC_PRIV_SOFT, rip, rip + icebp);
		else if (intno == VEC_DB)
			/* The engine's own #DB is single step (RFLAGS.TF), a trap: RIP is
			 * the next instruction's already. */
			engine_single_step(lp, rip);
		else if (intno == VEC_GP && ec == 0 && noncanon_in_64bit_mode(lp, rip))
			noncanon_fetch_fault(lp);     /* a branch went there */
		else if (intno == VEC_GP && ec == 0 && noncanon_via_stack(lp, rip))
			exc_deliver(lp, VEC_SS, 0, EXC_FAULT, rip, rip);
		else
			exc_deliver(lp, intno, ec, EXC_FAULT, rip, rip);
	}
	if (m->stopped)
		uc_emu_stop(lp->uc);
}
