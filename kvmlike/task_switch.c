/* The task switch a guest outside IA-32e mode asks for (VM exit 9), performed for
 * it as Linux's kvm_task_switch and emulator_task_switch do, in the SDM's order
 * (Vol. 3A "Task Switching"): the processor made the checks before the exit (the
 * gate, the new TSS descriptor's type, P and limit: sim/cpu/vmx_task_switch.c),
 * so what is left is saving the old task, the busy flags, the back link and NT,
 * loading the new task and committing it (TR, CR0.TS), then loading its segment
 * descriptors, whose faults are the new task's. Both TSS formats go through one
 * table of field offsets. Not modelled (docs/design.md): virtual-8086 tasks,
 * paged guests other than 4-level, segment limits of the pushed error code, the
 * DR7 local-enable bits Linux clears, and #DF when a fault meets the event. */
#include <string.h>

#include "kvmlike/kvm_x86.h"

#define X86_EFLAGS_NT  (1u << 14)
#define X86_EFLAGS_VM  (1u << 17)
#define X86_CR0_TS     (1ull << 3)
#define TS_VECTOR      10
#define NP_VECTOR      11
#define SS_VECTOR      12
#define GP_VECTOR      13

/* Where a TSS keeps each piece of a task's state; -1: not in this format. */
struct tss_layout {
	unsigned width;            /* of each field: 4 (32-bit TSS) or 2 (16-bit) */
	unsigned min_limit;        /* 67H or 2BH */
	int cr3, eip, eflags;
	int gpr[8];                /* VCPU_REGS_RAX .. VCPU_REGS_RDI */
	int seg[6];                /* VCPU_SREG_ES .. VCPU_SREG_GS */
	int ldt;
	bool save_ldt;             /* Linux saves the LDT selector of a 16-bit TSS only */
};

static const struct tss_layout tss32 = {
	.width = 4, .min_limit = 0x67, .cr3 = 0x1c, .eip = 0x20, .eflags = 0x24,
	.gpr = { 0x28, 0x2c, 0x30, 0x34, 0x38, 0x3c, 0x40, 0x44 },
	.seg = { 0x48, 0x4c, 0x50, 0x54, 0x58, 0x5c }, .ldt = 0x60,
};

static const struct tss_layout tss16 = {
	.width = 2, .min_limit = 0x2b, .cr3 = -1, .eip = 0x0e, .eflags = 0x10,
	.gpr = { 0x12, 0x14, 0x16, 0x18, 0x1a, 0x1c, 0x1e, 0x20 },
	.seg = { 0x22, 0x24, 0x26, 0x28, -1, -1 }, .ldt = 0x2a, .save_ldt = true,
};

/* The order the new task's segment registers are loaded in (SDM, Linux). */
static const int seg_load_order[] = { VCPU_SREG_LDTR, VCPU_SREG_ES, VCPU_SREG_CS, VCPU_SREG_SS,
				      VCPU_SREG_DS, VCPU_SREG_FS, VCPU_SREG_GS };

/* A task switch in progress: the exit's inputs and what has been read so far. */
struct task_switch {
	struct kvm_vcpu *vcpu;
	uint16_t sel;              /* the new TSS */
	int reason;                /* enum kvm_task_switch_reason */
	int idt_index;             /* a software interrupt's vector, else -1 */
	bool has_error_code;
	uint32_t error_code;
	uint64_t new_desc, old_desc;
	uint16_t old_sel;
	uint64_t old_base, new_base;
	const struct tss_layout *old_fmt, *new_fmt;
	uint32_t eflags;
	/* The fault to raise, when vector != 0. */
	unsigned fault_vector;
	uint32_t fault_code;
};

/* ---- guest memory (linear addresses, paging off or 4-level) -------------------- */

static void *guest_byte(struct kvm_vcpu *vcpu, uint64_t la)
{
	uint64_t gpa;
	if (guest_linear_to_gpa(vcpu, la, &gpa))
		return NULL;
	return kvm_gpa_to_hva(vcpu->kvm, gpa, 1);
}

/* 0, or -1 when a byte is not guest RAM (an MMIO page, a page not mapped): Linux
 * refuses MMIO during a task switch too. */
int kvm_read_guest_linear(struct kvm_vcpu *vcpu, uint64_t la, void *buf, unsigned len)
{
	for (unsigned i = 0; i < len; i++) {
		uint8_t *p = guest_byte(vcpu, la + i);
		if (!p)
			return -1;
		((uint8_t *)buf)[i] = *p;
	}
	return 0;
}

int kvm_write_guest_linear(struct kvm_vcpu *vcpu, uint64_t la, const void *buf, unsigned len)
{
	for (unsigned i = 0; i < len; i++) {
		uint8_t *p = guest_byte(vcpu, la + i);
		if (!p)
			return -1;
		*p = ((const uint8_t *)buf)[i];
	}
	return 0;
}

/* ---- descriptors ------------------------------------------------------------------ */

static uint32_t desc_base(uint64_t d)
{
	return (uint32_t)((d >> 16) & 0xffffff) | (uint32_t)((d >> 56) << 24);
}

static uint32_t desc_limit(uint64_t d)
{
	uint32_t lim = (uint32_t)(d & 0xffff) | (uint32_t)((d >> 32) & 0xf0000);
	return (d >> 55) & 1 ? lim << 12 | 0xfff : lim;
}

static unsigned desc_type(uint64_t d) { return (d >> 40) & 0xf; }
static bool desc_s(uint64_t d) { return (d >> 44) & 1; }
static unsigned desc_dpl(uint64_t d) { return (d >> 45) & 3; }
static bool desc_p(uint64_t d) { return (d >> 47) & 1; }

static void desc_to_segment(uint64_t d, uint16_t sel, struct kvm_segment *s)
{
	*s = (struct kvm_segment){
		.base = desc_base(d), .limit = desc_limit(d), .selector = sel,
		.type = (uint8_t)desc_type(d), .s = desc_s(d), .dpl = (uint8_t)desc_dpl(d),
		.present = desc_p(d), .avl = (d >> 52) & 1, .l = (d >> 53) & 1,
		.db = (d >> 54) & 1, .g = (d >> 55) & 1,
	};
}

/* The descriptor's address in the GDT, or the LDT for TI = 1: false (with the
 * fault Linux's get_descriptor_ptr gives, #GP(selector)) beyond the table. */
static bool desc_addr(struct task_switch *ts, uint16_t sel, uint64_t *addr)
{
	struct kvm_vcpu *vcpu = ts->vcpu;
	uint64_t base, limit;
	if (sel & 4) {
		struct kvm_segment ldt;
		kvm_x86_call(vcpu->kvm, get_segment)(vcpu, &ldt, VCPU_SREG_LDTR);
		base = ldt.base;
		limit = ldt.unusable ? 0 : ldt.limit;
		if (ldt.unusable)
			goto fault;
	} else {
		struct kvm_dtable gdt;
		kvm_x86_call(vcpu->kvm, get_gdt)(vcpu, &gdt);
		base = gdt.base;
		limit = gdt.limit;
	}
	if ((uint64_t)(sel & ~7u) + 7 <= limit) {
		*addr = base + (sel & ~7u);
		return true;
	}
fault:
	ts->fault_vector = GP_VECTOR;
	ts->fault_code = sel & 0xfffc;
	return false;
}

/* 1 read, 0 a fault recorded in ts, -1 guest memory kvmlike cannot reach. */
static int read_desc(struct task_switch *ts, uint16_t sel, uint64_t *d)
{
	uint64_t a;
	if (!desc_addr(ts, sel, &a))
		return 0;
	return kvm_read_guest_linear(ts->vcpu, a, d, 8) ? -1 : 1;
}

static int write_desc(struct task_switch *ts, uint16_t sel, uint64_t d)
{
	uint64_t a;
	if (!desc_addr(ts, sel, &a))
		return 0;
	return kvm_write_guest_linear(ts->vcpu, a, &d, 8) ? -1 : 1;
}

/* ---- the steps, each 0 to go on, -1 when kvmlike cannot do it ------------------- */

/* Reads both TSS descriptors and finds their formats (the new one's type bit 3). */
static int read_descriptors(struct task_switch *ts)
{
	struct kvm_segment tr;
	kvm_x86_call(ts->vcpu->kvm, get_segment)(ts->vcpu, &tr, VCPU_SREG_TR);
	ts->old_sel = tr.selector;
	ts->old_base = tr.base;
	ts->old_fmt = (tr.type & 8) ? &tss32 : &tss16;
	if (read_desc(ts, ts->sel, &ts->new_desc) != 1 || read_desc(ts, ts->old_sel, &ts->old_desc) != 1)
		return -1;         /* the processor read both before the exit */
	ts->new_base = desc_base(ts->new_desc);
	ts->new_fmt = (desc_type(ts->new_desc) & 8) ? &tss32 : &tss16;
	return 0;
}

/* INT n through a task gate: the gate's DPL against CPL and the TSS selector's
 * RPL (Linux checks it again; the processor did for the gate): #GP(vector's IDT
 * entry, IDT bit). */
static int check_soft_int_gate(struct task_switch *ts)
{
	struct kvm_vcpu *vcpu = ts->vcpu;
	if (ts->reason != KVM_TASK_SWITCH_GATE || ts->idt_index < 0)
		return 0;
	struct kvm_dtable idt;
	uint64_t gate;
	kvm_x86_call(vcpu->kvm, get_idt)(vcpu, &idt);
	if ((unsigned)ts->idt_index * 8 + 7 > idt.limit ||
	    kvm_read_guest_linear(vcpu, idt.base + (unsigned)ts->idt_index * 8, &gate, 8))
		return -1;
	unsigned dpl = desc_dpl(gate);
	if ((ts->sel & 3u) > dpl || (unsigned)kvm_x86_call(vcpu->kvm, get_cpl)(vcpu) > dpl) {
		ts->fault_vector = GP_VECTOR;
		ts->fault_code = ((unsigned)ts->idt_index << 3) | 2;
	}
	return 0;
}

/* The new TSS present and large enough (the processor checked; Linux again, #TS). */
static void check_new_tss(struct task_switch *ts)
{
	if (!desc_p(ts->new_desc) || desc_limit(ts->new_desc) < ts->new_fmt->min_limit) {
		ts->fault_vector = TS_VECTOR;
		ts->fault_code = ts->sel & 0xfffc;
	}
}

/* JMP and IRET leave the old task: its busy flag clears (type bit 1). */
static int clear_old_busy(struct task_switch *ts)
{
	if (ts->reason != KVM_TASK_SWITCH_IRET && ts->reason != KVM_TASK_SWITCH_JMP)
		return 0;
	ts->old_desc &= ~(2ull << 40);
	return write_desc(ts, ts->old_sel, ts->old_desc) == 1 ? 0 : -1;
}

static int tss_write(struct task_switch *ts, uint64_t base, int off, unsigned width, uint32_t v)
{
	return off < 0 ? 0 : kvm_write_guest_linear(ts->vcpu, base + (unsigned)off, &v, width);
}

static int tss_read(struct task_switch *ts, uint64_t base, int off, unsigned width, uint32_t *v)
{
	*v = 0;
	return off < 0 ? 0 : kvm_read_guest_linear(ts->vcpu, base + (unsigned)off, v, width);
}

/* The old task's EIP (after the instruction, for CALL, JMP, IRET and INT n),
 * EFLAGS (NT clear after IRET), general registers and selectors go into its TSS;
 * not CR3, nor (32-bit TSS) the LDT selector. */
static int save_old_task(struct task_switch *ts)
{
	struct kvm_vcpu *vcpu = ts->vcpu;
	const struct tss_layout *f = ts->old_fmt;
	int r = tss_write(ts, ts->old_base, f->eip, f->width, (uint32_t)kvm_rip_read(vcpu));
	r |= tss_write(ts, ts->old_base, f->eflags, f->width, ts->eflags);
	for (int i = 0; i < 8; i++)
		r |= tss_write(ts, ts->old_base, f->gpr[i], f->width,
			       (uint32_t)kvm_register_read(vcpu, (enum kvm_reg)(VCPU_REGS_RAX + i)));
	for (int s = VCPU_SREG_ES; s <= VCPU_SREG_GS; s++) {
		struct kvm_segment seg;
		kvm_x86_call(vcpu->kvm, get_segment)(vcpu, &seg, s);
		r |= tss_write(ts, ts->old_base, f->seg[s], f->width, seg.selector);
	}
	if (f->save_ldt) {
		struct kvm_segment ldt;
		kvm_x86_call(vcpu->kvm, get_segment)(vcpu, &ldt, VCPU_SREG_LDTR);
		r |= tss_write(ts, ts->old_base, f->ldt, f->width, ldt.selector);
	}
	return r ? -1 : 0;
}

/* CALL and a gate nest the new task: its previous-task link is the old TSS. */
static int link_new_task(struct task_switch *ts)
{
	if (ts->reason != KVM_TASK_SWITCH_CALL && ts->reason != KVM_TASK_SWITCH_GATE)
		return 0;
	return tss_write(ts, ts->new_base, 0, 2, ts->old_sel);
}

/* CR3 (32-bit TSS), EIP, EFLAGS (NT set when nested) and the general registers. */
static int load_new_registers(struct task_switch *ts, int32_t sels[7])
{
	struct kvm_vcpu *vcpu = ts->vcpu;
	const struct tss_layout *f = ts->new_fmt;
	uint32_t v, eip;
	if (f->cr3 >= 0) {
		if (tss_read(ts, ts->new_base, f->cr3, 4, &v))
			return -1;
		kvm_set_cr(vcpu, 3, v);
	}
	if (tss_read(ts, ts->new_base, f->eip, f->width, &eip) ||
	    tss_read(ts, ts->new_base, f->eflags, f->width, &v))
		return -1;
	if (v & X86_EFLAGS_VM)
		return -1;         /* a virtual-8086 task: not modelled */
	if (ts->reason == KVM_TASK_SWITCH_CALL || ts->reason == KVM_TASK_SWITCH_GATE)
		v |= X86_EFLAGS_NT;
	ts->eflags = v | 2;
	for (int i = 0; i < 8; i++) {
		uint32_t g;
		if (tss_read(ts, ts->new_base, f->gpr[i], f->width, &g))
			return -1;
		kvm_register_write(vcpu, (enum kvm_reg)(VCPU_REGS_RAX + i), g);
	}
	kvm_rip_write(vcpu, eip);
	kvm_x86_call(vcpu->kvm, set_rflags)(vcpu, ts->eflags);
	for (unsigned i = 0; i < 7; i++) {
		int s = seg_load_order[i];
		int off = s == VCPU_SREG_LDTR ? f->ldt : f->seg[s];
		uint32_t sel;
		if (tss_read(ts, ts->new_base, off, 2, &sel))
			return -1;
		sels[i] = off < 0 ? -1 : (int32_t)sel;   /* a 16-bit TSS leaves FS and GS */
	}
	return 0;
}

/* The switch is committed: the new TSS is busy (not after IRET, which returns
 * to a busy one), TR names it and CR0.TS is set. */
static int commit_new_task(struct task_switch *ts)
{
	struct kvm_vcpu *vcpu = ts->vcpu;
	if (ts->reason != KVM_TASK_SWITCH_IRET)
		ts->new_desc |= 2ull << 40;
	if (write_desc(ts, ts->sel, ts->new_desc) != 1)
		return -1;
	struct kvm_segment tr;
	desc_to_segment(ts->new_desc, ts->sel, &tr);
	kvm_x86_call(vcpu->kvm, set_segment)(vcpu, &tr, VCPU_SREG_TR);
	kvm_x86_call(vcpu->kvm, set_cr0)(vcpu, vcpu->cr0 | X86_CR0_TS);
	return 0;
}

/* The checks of a segment register's descriptor in a task switch (Linux's
 * __load_segment_descriptor with X86_TRANSFER_TASK_SWITCH, the SDM's "Exception
 * Conditions Checked During a Task Switch"): the vector of its fault, or 0. */
static unsigned segment_fault(int seg, uint16_t sel, uint64_t d, unsigned cpl)
{
	unsigned type = desc_type(d), dpl = desc_dpl(d), rpl = sel & 3;
	bool bad;
	if (seg != VCPU_SREG_LDTR && !desc_s(d))
		return TS_VECTOR;
	switch (seg) {
	case VCPU_SREG_LDTR:
		bad = desc_s(d) || type != 2;
		break;
	case VCPU_SREG_SS:   /* a writable data segment at CPL */
		bad = rpl != cpl || (type & 0xa) != 0x2 || dpl != cpl;
		break;
	case VCPU_SREG_CS:   /* code: conforming DPL <= CPL, else DPL = CPL */
		bad = !(type & 8) || ((type & 4) ? dpl > cpl : (rpl > cpl || dpl != cpl));
		break;
	default:             /* data or readable code; DPL >= CPL, RPL unless conforming */
		bad = (type & 0xa) == 0x8 || ((type & 0xc) != 0xc && (rpl > dpl || cpl > dpl));
		break;
	}
	if (bad)
		return TS_VECTOR;
	if (!desc_p(d))
		return seg == VCPU_SREG_SS ? SS_VECTOR : NP_VECTOR;
	return 0;
}

/* Loads one segment register of the new task at `cpl`: 1 done, 0 a fault
 * recorded, -1 memory kvmlike cannot reach. A null selector is #GP(0) in CS and
 * SS (Linux's error code), an unusable register elsewhere. */
static int load_segment(struct task_switch *ts, int seg, uint16_t sel, unsigned cpl)
{
	struct kvm_vcpu *vcpu = ts->vcpu;
	struct kvm_segment s = { .selector = sel, .unusable = 1 };
	uint64_t d;
	if (!(sel & ~3u)) {
		if (seg == VCPU_SREG_CS || seg == VCPU_SREG_SS) {
			ts->fault_vector = GP_VECTOR;
			ts->fault_code = 0;
			return 0;
		}
		kvm_x86_call(vcpu->kvm, set_segment)(vcpu, &s, seg);
		return 1;
	}
	int r = read_desc(ts, sel, &d);
	if (r != 1)
		return r;
	unsigned vec = segment_fault(seg, sel, d, cpl);
	if (vec) {
		ts->fault_vector = vec;
		ts->fault_code = sel & 0xfffc;
		return 0;
	}
	if (desc_s(d) && !(desc_type(d) & 1)) {          /* accessed */
		d |= 1ull << 40;
		if (write_desc(ts, sel, d) != 1)
			return -1;
	}
	if (seg == VCPU_SREG_CS)
		sel = (uint16_t)((sel & 0xfffc) | cpl);
	desc_to_segment(d, sel, &s);
	kvm_x86_call(vcpu->kvm, set_segment)(vcpu, &s, seg);
	return 1;
}

/* The new task's selectors first (each keeps its old descriptor until loaded, so
 * that a fault leaves them as the SDM's partly loaded state), then their
 * descriptors in order at the CPL of CS's RPL; the first fault stops it. */
static int load_new_segments(struct task_switch *ts, const int32_t sels[7])
{
	struct kvm_vcpu *vcpu = ts->vcpu;
	for (unsigned i = 0; i < 7; i++) {
		struct kvm_segment s;
		if (sels[i] < 0)
			continue;
		kvm_x86_call(vcpu->kvm, get_segment)(vcpu, &s, seg_load_order[i]);
		s.selector = (uint16_t)sels[i];
		kvm_x86_call(vcpu->kvm, set_segment)(vcpu, &s, seg_load_order[i]);
	}
	unsigned cpl = sels[2] & 3;     /* CS's RPL */
	for (unsigned i = 0; i < 7; i++) {
		int r = sels[i] < 0 ? 1 : load_segment(ts, seg_load_order[i], (uint16_t)sels[i], cpl);
		if (r != 1)
			return r;
	}
	return 0;
}

/* An exception's error code goes on the new task's stack (32 or 16 bits, as
 * the new TSS). */
static int push_error_code(struct task_switch *ts)
{
	struct kvm_vcpu *vcpu = ts->vcpu;
	if (!ts->has_error_code)
		return 0;
	unsigned width = ts->new_fmt->width;
	struct kvm_segment ss;
	kvm_x86_call(vcpu->kvm, get_segment)(vcpu, &ss, VCPU_SREG_SS);
	uint64_t rsp = kvm_register_read(vcpu, VCPU_REGS_RSP);
	uint64_t sp = width == 4 || ss.db ? (uint32_t)(rsp - width) : (rsp & ~0xffffull) | (uint16_t)(rsp - width);
	if (kvm_write_guest_linear(vcpu, ss.base + (ss.db ? (uint32_t)sp : (uint16_t)sp), &ts->error_code, width))
		return -1;
	kvm_register_write(vcpu, VCPU_REGS_RSP, sp);
	return 0;
}

/* The steps up to the commit: a fault here is the old task's, nothing changed. */
static int prepare_switch(struct task_switch *ts)
{
	if (read_descriptors(ts) || check_soft_int_gate(ts))
		return -1;
	if (!ts->fault_vector)
		check_new_tss(ts);
	return 0;
}

/* The whole switch: 0 done (or a fault set in ts to raise), -1 kvmlike could not. */
static int do_task_switch(struct task_switch *ts)
{
	int32_t sels[7];
	if (prepare_switch(ts))
		return -1;
	if (ts->fault_vector)
		return 0;
	ts->eflags = (uint32_t)kvm_x86_call(ts->vcpu->kvm, get_rflags)(ts->vcpu);
	if (ts->reason == KVM_TASK_SWITCH_IRET)
		ts->eflags &= ~X86_EFLAGS_NT;
	if (clear_old_busy(ts) || save_old_task(ts) || link_new_task(ts) ||
	    load_new_registers(ts, sels) || commit_new_task(ts))
		return -1;
	int r = load_new_segments(ts, sels);
	if (r || ts->fault_vector)
		return r;
	return push_error_code(ts);
}

/* Linux's unhandled_task_switch: KVM_INTERNAL_ERROR_EMULATION with no data. */
static int task_switch_failed(struct kvm_vcpu *vcpu)
{
	vcpu->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	vcpu->run->internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	vcpu->run->internal.ndata = 0;
	return 0;
}

int kvm_task_switch(struct kvm_vcpu *vcpu, uint16_t tss_selector, int idt_index, int reason,
		    bool has_error_code, uint32_t error_code)
{
	struct task_switch ts = { .vcpu = vcpu, .sel = tss_selector, .reason = reason,
				  .idt_index = idt_index, .has_error_code = has_error_code,
				  .error_code = error_code };
	if (do_task_switch(&ts))
		return task_switch_failed(vcpu);
	if (ts.fault_vector)
		kvm_x86_call(vcpu->kvm, inject_exception)(vcpu, ts.fault_vector, true, ts.fault_code);
	return 1;
}
