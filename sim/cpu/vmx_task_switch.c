/* Task switches in a guest are VM exit 9: see vmx_task_switch.h.
 *
 * The instruction sources (far CALL/JMP through a TSS descriptor or a task gate,
 * IRET with RFLAGS.NT = 1) are sites of the guest engine (site_task_switch); the
 * IDT source is exception.c's delivery through a task gate. The SDM's order of
 * checks and their faults (JMP, CALL and IRET pseudocode, "Exception Conditions
 * Checked During a Task Switch"):
 *   task gate (CALL/JMP): DPL < CPL or DPL < RPL #GP(gate), not present #NP(gate),
 *     the TSS selector local or beyond the GDT limit #GP(TSS);
 *   TSS descriptor: not a TSS or busy #GP(TSS) (IRET: not a TSS or not busy
 *     #TS(TSS)), direct CALL/JMP also DPL < CPL or DPL < RPL #GP(TSS), not present
 *     #NP(TSS), limit below 67H (16-bit TSS: 2BH) #TS(TSS).
 * A selector that names neither a TSS nor a task gate is left to the engine (an
 * ordinary far transfer), as is a page fault reading the operand or the descriptor
 * of a CALL/JMP: the engine meets the same fault when it runs the instruction. A
 * memory operand outside its segment's limit faults here, the engine not checking
 * limits. */
#include "sim/cpu/vmx_task_switch.h"

#include <string.h>

#include "sim/cpu/exception.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/modrm.h"
#include "sim/cpu/msr.h"
#include "sim/cpu/sites.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/exit_reasons.h"

#define RFLAGS_NT  (1ull << 14)
#define RFLAGS_VM  (1ull << 17)
#define CR0_PE     1ull
#define EFER_LMA   (1ull << 10)

/* Descriptor type fields (S = 0). */
enum { TSS16_AVAIL = 1, TSS16_BUSY = 3, TASK_GATE = 5, TSS32_AVAIL = 9, TSS32_BUSY = 0xb };

static unsigned desc_type(uint64_t d) { return (d >> 40) & 0x1f; }   /* S and type */
static unsigned desc_dpl(uint64_t d) { return (d >> 45) & 3; }
static bool desc_present(uint64_t d) { return (d >> 47) & 1; }

static uint32_t desc_limit(uint64_t d)
{
	uint32_t lim = (uint32_t)(d & 0xffff) | (uint32_t)((d >> 32) & 0xf0000);
	return (d >> 55) & 1 ? lim << 12 | 0xfff : lim;
}

unsigned task_switch_tss_fault(uint64_t desc, enum task_switch_source src)
{
	unsigned t = desc_type(desc);
	bool busy = t == TSS16_BUSY || t == TSS32_BUSY;
	bool avail = t == TSS16_AVAIL || t == TSS32_AVAIL;
	if (src == TASK_SWITCH_IRET ? !busy : !avail)
		return src == TASK_SWITCH_IRET ? VEC_TS : VEC_GP;
	if (!desc_present(desc))
		return VEC_NP;
	bool tss32 = (t & 8) != 0;
	if (desc_limit(desc) < (tss32 ? 0x67u : 0x2bu))
		return VEC_TS;
	return 0;
}

void vmx_task_switch_exit(struct lp *lp, uint16_t sel, enum task_switch_source src,
			  uint64_t rip, uint32_t insn_len, uint32_t idt_info, uint32_t idt_error)
{
	struct vmx_exit_info xi = {
		.qualification = sel | (uint64_t)src << 30,
		.insn_len = insn_len,
		.idt_vectoring_info = idt_info,
		.idt_vectoring_error = idt_error,
		.rip = rip,
	};
	vmx_exit(lp, EXIT_REASON_TASK_SWITCH, &xi);
}

bool task_switch_watched(struct lp *lp)
{
	return lp->active == &lp->guest && !(cpu_msr(lp->uc, MSR_IA32_EFER) & EFER_LMA);
}

/* ---- the instruction sources ---------------------------------------------- */

/* What a site instruction is: its source and where its far pointer is. */
struct ts_insn {
	enum task_switch_source src;
	bool opsize32;          /* the offset part of the far pointer is 4 bytes */
	unsigned opcode_at;     /* index of the opcode byte */
};

static bool decode(const struct cpu_view *v, const struct site_insn *in, struct ts_insn *t)
{
	bool op66 = false;
	unsigned i = 0;
	/* The scan matched one of these opcodes after legacy prefixes, none of which
	 * has an opcode's value. */
	while (i < in->len && in->bytes[i] != 0x9a && in->bytes[i] != 0xea && in->bytes[i] != 0xcf &&
	       in->bytes[i] != 0xff)
		op66 |= in->bytes[i++] == 0x66;
	if (i >= in->len)
		return false;
	bool cs32 = (v->segs[SEG_CS].attr >> 14) & 1;
	t->opsize32 = cs32 != op66;
	t->opcode_at = i;
	switch (in->bytes[i]) {
	case 0x9a: t->src = TASK_SWITCH_CALL; return true;
	case 0xea: t->src = TASK_SWITCH_JMP; return true;
	case 0xcf: t->src = TASK_SWITCH_IRET; return true;
	case 0xff:
		if (i + 1 >= in->len || in->bytes[i + 1] >> 6 == 3)
			return false;
		t->src = ((in->bytes[i + 1] >> 3) & 7) == 3 ? TASK_SWITCH_CALL : TASK_SWITCH_JMP;
		return true;
	default:
		return false;
	}
}

/* The selector of a far CALL/JMP: the immediate's, or the one in memory. 1 with
 * *sel; 0 when reading it faults by paging (the engine's to raise); -1 when the
 * pointer lies outside its segment, a fault raised here (the engine checks no
 * segment limit), whatever the selector names. */
static int far_selector(struct lp *lp, const struct cpu_view *v, const struct site_insn *in,
			const struct ts_insn *t, uint16_t *sel)
{
	unsigned off = t->opsize32 ? 4 : 2;
	if (in->bytes[t->opcode_at] != 0xff) {
		unsigned at = t->opcode_at + 1 + off;
		if (at + 2 > in->len)
			return 0;
		*sel = (uint16_t)(in->bytes[at] | in->bytes[at + 1] << 8);
		return 1;
	}
	struct modrm o;
	if (modrm_decode(in, false, (v->segs[SEG_CS].attr >> 14) & 1, &o) || o.reg_form)
		return 0;
	if (!modrm_seg_readable(v, o.seg, modrm_offset(&o, v, in->len), off + 2)) {
		exc_fault(lp, o.seg == SEG_SS ? VEC_SS : VEC_GP, 0);
		return -1;
	}
	uint64_t la = (modrm_linear(&o, v, in->len) + off) & 0xffffffffull;   /* not IA-32e */
	struct mmu_ctx c;
	struct mmu_fault f;
	mmu_ctx_from_view(&c, lp, v);
	return mmu_read(&lp->m->pm, &c, la, sel, 2, 0, &f) ? 0 : 1;
}

/* Reads the descriptor of `sel` (GDT, or the LDT when TI = 1): false when it lies
 * beyond the table's limit. A page fault or EPT exit on the read is raised. */
static bool read_desc(struct lp *lp, const struct cpu_view *v, uint16_t sel, uint64_t *d,
		      bool *faulted)
{
	uint64_t base = v->gdtr.base, limit = v->gdtr.limit;
	*faulted = false;
	if (sel & 4) {
		if (v->segs[SEG_LDTR].attr & SEG_ATTR_UNUSABLE)
			return false;
		base = v->segs[SEG_LDTR].base;
		limit = v->segs[SEG_LDTR].limit;
	}
	if ((uint64_t)(sel & ~7u) + 7 > limit)
		return false;
	struct mmu_ctx c;
	struct mmu_fault f;
	mmu_ctx_from_view(&c, lp, v);
	if (mmu_read(&lp->m->pm, &c, base + (sel & ~7u), d, 8, MMU_SUPERVISOR, &f)) {
		*faulted = true;
		exc_page_fault(lp, &f);
		return false;
	}
	return true;
}

/* Checks 2-4 on the new TSS `sel` (which must be in the GDT), then the exit; a
 * failed check is a fault of the instruction. */
static void switch_to_tss(struct lp *lp, const struct cpu_view *v, const struct site_insn *in,
			  enum task_switch_source src, uint16_t sel, unsigned sel_fault)
{
	uint64_t d;
	bool faulted = false;
	if ((sel & 4) || !read_desc(lp, v, sel, &d, &faulted)) {
		if (!faulted)
			exc_fault(lp, sel_fault, sel & 0xfffc);
		return;
	}
	unsigned vec = task_switch_tss_fault(d, src);
	if (vec) {
		exc_fault(lp, vec, sel & 0xfffc);
		return;
	}
	vmx_task_switch_exit(lp, sel, src, v->rip, in->len, 0, 0);
}

static void far_transfer(struct lp *lp, const struct cpu_view *v, const struct site_insn *in,
			 const struct ts_insn *t)
{
	uint16_t sel;
	uint64_t d;
	bool faulted;
	if (far_selector(lp, v, in, t, &sel) != 1 || !(sel & 0xfffc) || !read_desc(lp, v, sel, &d, &faulted))
		return;            /* the engine raises what the operand or selector gives */
	unsigned type = desc_type(d), rpl = sel & 3;
	bool low_dpl = desc_dpl(d) < v->cpl || desc_dpl(d) < rpl;
	if (type == TSS16_AVAIL || type == TSS32_AVAIL) {
		if (low_dpl) {
			exc_fault(lp, VEC_GP, sel & 0xfffc);
			return;
		}
		switch_to_tss(lp, v, in, t->src, sel, VEC_GP);
	} else if (type == TASK_GATE) {
		if (low_dpl || !desc_present(d)) {
			exc_fault(lp, low_dpl ? VEC_GP : VEC_NP, sel & 0xfffc);
			return;
		}
		switch_to_tss(lp, v, in, t->src, (uint16_t)(d >> 16), VEC_GP);
	}
}

/* IRET with NT = 1: the new TSS is the current one's previous-task link. */
static void task_return(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	uint16_t link;
	struct mmu_ctx c;
	struct mmu_fault f;
	mmu_ctx_from_view(&c, lp, v);
	if (mmu_read(&lp->m->pm, &c, v->segs[SEG_TR].base, &link, 2, MMU_SUPERVISOR, &f)) {
		exc_page_fault(lp, &f);
		return;
	}
	switch_to_tss(lp, v, in, TASK_SWITCH_IRET, link, VEC_TS);
}

void site_task_switch(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	struct ts_insn t;
	if (!lp->vmx.non_root || (v->efer & EFER_LMA) || !(v->cr0 & CR0_PE) ||
	    (v->eflags & RFLAGS_VM) || !decode(v, in, &t))
		return;
	if (t.src == TASK_SWITCH_IRET) {
		if (v->eflags & RFLAGS_NT)
			task_return(lp, v, in);
		return;
	}
	far_transfer(lp, v, in, &t);
}
