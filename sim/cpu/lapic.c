/* xAPIC registers: one table of registers (offset, storage, writable bits, side
 * effect), one lookup; IPIs from the ICR. */
#include "sim/cpu/lapic.h"

#include <stdbool.h>
#include <stddef.h>

#include "sim/cpu/boot.h"
#include "sim/cpu/ioapic.h"
#include "sim/cpu/lapic_timer.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/smp.h"

#define APIC_VERSION      0x00050014u   /* bits 23:16: LVT entries - 1; bits 7:0: version */
#define APIC_SPIV_ENABLE  (1u << 8)
#define LVT_MASKED        (1u << 16)
#define NO_STORAGE        ((size_t)-1)

/* ICR low fields */
#define ICR_VECTOR(v)     ((v) & 0xffu)
#define ICR_MODE(v)       (((v) >> 8) & 7u)
#define ICR_LOGICAL       (1u << 11)
#define ICR_LEVEL_ASSERT  (1u << 14)
#define ICR_TRIGGER_LEVEL (1u << 15)
#define ICR_SHORTHAND(v)  (((v) >> 18) & 3u)
#define ICR_WRITABLE      0x000ccfffu   /* vector, mode, dest mode, level, trigger, shorthand */

enum icr_mode { DM_FIXED, DM_LOWEST, DM_SMI, DM_RESERVED, DM_NMI, DM_INIT, DM_STARTUP, DM_EXTINT };
enum icr_shorthand { SH_NONE, SH_SELF, SH_ALL, SH_ALL_BUT_SELF };

struct lapic_reg;
typedef void (*lapic_write_fn)(struct lp *lp, const struct lapic_reg *r, uint32_t v);
typedef uint32_t (*lapic_read_fn)(const struct lp *lp);

struct lapic_reg {
	uint16_t offset;
	uint16_t count;          /* registers of the same kind at 16-byte steps */
	size_t member;           /* offsetof in struct lapic, or NO_STORAGE (reads 0) */
	uint32_t writable;       /* bits a write changes; 0: read-only */
	lapic_read_fn read;      /* a computed value instead of the storage */
	lapic_write_fn write;    /* a side effect after the store */
};

static uint32_t *reg_storage(struct lapic *a, const struct lapic_reg *r, unsigned index)
{
	return (uint32_t *)((char *)a + r->member) + index;
}

static uint32_t read_version(const struct lp *lp) { return APIC_VERSION; }
/* The highest vector set in a 256-bit register, or -1. An empty register (IRR at
 * nearly every entry and exit) is told by one test of the whole, not word by word. */
static int highest_vector(const uint32_t bits[8])
{
	if (lapic_reg_empty(bits))
		return -1;
	for (int w = 7; w >= 0; w--)
		if (bits[w])
			return w * 32 + 31 - __builtin_clz(bits[w]);
	return -1;
}

/* PPR (SDM "Processor Priority Register"): TPR if its class is at least that of
 * the highest vector in service (ISRV), else ISRV's class. */
static uint32_t ppr_of(const struct lapic *a)
{
	int isrv = highest_vector(a->isr);
	uint32_t tpr = a->tpr & 0xff;
	if (isrv < 0 || (tpr >> 4) >= ((unsigned)isrv >> 4))
		return tpr;
	return (unsigned)isrv & 0xf0;
}

static uint32_t read_ppr(const struct lp *lp) { return ppr_of(&lp->lapic); }

int lapic_deliverable_irr(const struct lapic *a)
{
	int v = highest_vector(a->irr);
	return v >= 0 && ((unsigned)v >> 4) > (ppr_of(a) >> 4) ? v : -1;
}

void lapic_accept(struct lapic *a, unsigned vector)
{
	a->irr[vector / 32] &= ~(1u << (vector % 32));
	a->isr[vector / 32] |= 1u << (vector % 32);
}

void lapic_dismiss(struct lapic *a, unsigned vector)
{
	/* Accepted, it is the highest vector in service, which the EOI retires. */
	a->irr[vector / 32] &= ~(1u << (vector % 32));
}

bool lapic_irr_pending(const struct lapic *a)
{
	return highest_vector(a->irr) >= 0;
}

void lapic_request(struct lapic *a, unsigned vector)
{
	if (vector >= 16 && vector < 256)
		a->irr[vector / 32] |= 1u << (vector % 32);
}

bool lapic_requested(const struct lapic *a, unsigned vector)
{
	return vector < 256 && (a->irr[vector / 32] >> (vector % 32)) & 1;
}

/* EOI retires the highest vector in service; one that waits may now be accepted. */
static void write_eoi(struct lp *lp, const struct lapic_reg *r, uint32_t v)
{
	int isrv = highest_vector(lp->lapic.isr);
	if (isrv < 0)
		return;
	uint32_t bit = 1u << (isrv % 32);
	lp->lapic.isr[isrv / 32] &= ~bit;
	/* A level-triggered vector's EOI goes to the I/O APIC too (the version register
	 * offers no EOI-broadcast suppression); TMR keeps its bit until the vector is
	 * accepted again edge-triggered. */
	if (lp->lapic.tmr[isrv / 32] & bit)
		ioapic_eoi(lp, (unsigned)isrv);
	if (lapic_irr_pending(&lp->lapic))
		smp_kick(lp);
}

/* A lower TPR may let a waiting vector through. */
static void write_tpr(struct lp *lp, const struct lapic_reg *r, uint32_t v)
{
	if (lapic_irr_pending(&lp->lapic))
		smp_kick(lp);
}

/* Software-disabling the APIC (SPIV bit 8 clear) masks every LVT entry, and while it
 * is disabled attempts to clear a mask bit are ignored (SDM "Local APIC State After It
 * Has Been Software Disabled"): after a write of SPIV or of an LVT entry. */
static void mask_lvt_if_disabled(struct lp *lp, const struct lapic_reg *r, uint32_t v)
{
	if (!(lp->lapic.spiv & APIC_SPIV_ENABLE))
		for (unsigned i = 0; i < LAPIC_NR_LVT; i++)
			lp->lapic.lvt[i] |= LVT_MASKED;
}

/* A write of ESR latches the errors seen since the last write: there are none. */
static void write_esr(struct lp *lp, const struct lapic_reg *r, uint32_t v)
{
	lp->lapic.esr = 0;
}

static void send_ipi(struct lp *lp, const struct lapic_reg *r, uint32_t v);

/* The timer's registers (lapic_timer.h). */
static void write_lvt_timer(struct lp *lp, const struct lapic_reg *r, uint32_t v)
{
	mask_lvt_if_disabled(lp, r, v);
	lapic_timer_write_lvt(lp);
}
static void write_initial_count(struct lp *lp, const struct lapic_reg *r, uint32_t v)
{
	lapic_timer_write_initial(lp, v);
}
static void write_divide(struct lp *lp, const struct lapic_reg *r, uint32_t v)
{
	lapic_timer_write_divide(lp);
}
static uint32_t read_current_count(const struct lp *lp) { return lapic_timer_current(lp); }

#define AT(m) offsetof(struct lapic, m)
static const struct lapic_reg regs[] = {
	{ 0x020, 1, AT(id), 0xff000000u, NULL, NULL },
	{ 0x030, 1, NO_STORAGE, 0, read_version, NULL },
	{ 0x080, 1, AT(tpr), 0xffu, NULL, write_tpr },
	{ 0x090, 1, NO_STORAGE, 0, NULL, NULL },                 /* APR */
	{ 0x0a0, 1, NO_STORAGE, 0, read_ppr, NULL },
	{ 0x0b0, 1, NO_STORAGE, 0, NULL, write_eoi },
	{ 0x0c0, 1, NO_STORAGE, 0, NULL, NULL },                 /* RRD */
	{ 0x0d0, 1, AT(ldr), 0xff000000u, NULL, NULL },
	{ 0x0e0, 1, AT(dfr), 0xf0000000u, NULL, NULL },   /* bits 27:0 stay ones */
	{ 0x0f0, 1, AT(spiv), 0x3ffu, NULL, mask_lvt_if_disabled },
	{ 0x100, 8, AT(isr), 0, NULL, NULL },
	{ 0x180, 8, AT(tmr), 0, NULL, NULL },
	{ 0x200, 8, AT(irr), 0, NULL, NULL },
	{ 0x280, 1, AT(esr), 0, NULL, write_esr },
	{ 0x300, 1, AT(icr_lo), ICR_WRITABLE, NULL, send_ipi },
	{ 0x310, 1, AT(icr_hi), 0xff000000u, NULL, NULL },
	{ 0x320, 1, AT(lvt[0]), 0x000700ffu, NULL, write_lvt_timer },  /* timer: vector, mask, mode */
	{ 0x330, 1, AT(lvt[1]), 0x000107ffu, NULL, mask_lvt_if_disabled },  /* thermal */
	{ 0x340, 1, AT(lvt[2]), 0x000107ffu, NULL, mask_lvt_if_disabled },  /* performance counters */
	{ 0x350, 1, AT(lvt[3]), 0x0001a7ffu, NULL, mask_lvt_if_disabled },  /* LINT0 */
	{ 0x360, 1, AT(lvt[4]), 0x0001a7ffu, NULL, mask_lvt_if_disabled },  /* LINT1 */
	{ 0x370, 1, AT(lvt[5]), 0x000100ffu, NULL, mask_lvt_if_disabled },  /* error */
	{ 0x380, 1, AT(timer_initial), 0, NULL, write_initial_count },   /* stored unless TSC-deadline */
	{ 0x390, 1, NO_STORAGE, 0, read_current_count, NULL },
	{ 0x3e0, 1, AT(timer_divide), 0x0000000bu, NULL, write_divide },
};

static const struct lapic_reg *find_reg(uint64_t offset, unsigned *index)
{
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		uint64_t first = regs[i].offset, end = first + 16u * regs[i].count;
		if (offset >= first && offset < end) {
			*index = (unsigned)((offset - first) / 16);
			return &regs[i];
		}
	}
	return NULL;
}

void lapic_reset(struct lapic *a, uint32_t apic_id)
{
	*a = (struct lapic){ .id = apic_id << 24, .dfr = 0xffffffffu, .spiv = 0xff };
	for (unsigned i = 0; i < LAPIC_NR_LVT; i++)
		a->lvt[i] = LVT_MASKED;
	lapic_timer_reset(a);
}

bool lapic_x2apic(const struct lp *lp)
{
	return (lp->apic_base & (LAPIC_BASE_ENABLE | LAPIC_BASE_EXTD)) == (LAPIC_BASE_ENABLE | LAPIC_BASE_EXTD);
}

/* The page decodes as the APIC while IA32_APIC_BASE enables it in xAPIC mode at the
 * default base (x2APIC mode leaves the page as a disabled APIC does). */
static bool lapic_visible(const struct lp *lp)
{
	return (lp->apic_base & (LAPIC_BASE_ENABLE | LAPIC_BASE_EXTD)) == LAPIC_BASE_ENABLE &&
	       (lp->apic_base & ~0xfffull & ((1ull << lp->m->pm.maxphyaddr) - 1)) == LAPIC_DEFAULT_BASE;
}

uint32_t lapic_reg_read(struct lp *lp, uint64_t dword_offset)
{
	unsigned index;
	const struct lapic_reg *r = find_reg(dword_offset, &index);
	if (!r || (dword_offset & 0xf))
		return 0;
	if (r->read)
		return r->read(lp);
	return r->member == NO_STORAGE ? 0 : *reg_storage(&lp->lapic, r, index);
}

uint64_t lapic_mmio_read(struct lp *lp, uint64_t offset, unsigned size)
{
	if (!lapic_visible(lp))
		return mmio_size_mask(size);
	/* Registers are doublewords at 16-byte steps; a narrower or misaligned read gets
	 * the bytes of the doubleword it falls in (bytes 4-15 of a slot read as 0). */
	uint64_t v = lapic_reg_read(lp, offset & ~3ull) | (uint64_t)lapic_reg_read(lp, (offset & ~3ull) + 4) << 32;
	v >>= 8 * (offset & 3);
	return v & mmio_size_mask(size);
}

void lapic_mmio_write(struct lp *lp, uint64_t offset, unsigned size, uint64_t v)
{
	/* Only an aligned doubleword (or the low half of a quadword) writes a register. */
	if (lapic_visible(lp) && size >= 4)
		lapic_reg_write(lp, offset, (uint32_t)v);
}

void lapic_reg_write(struct lp *lp, uint64_t offset, uint32_t v)
{
	unsigned index;
	if (offset & 0xf)
		return;
	const struct lapic_reg *r = find_reg(offset, &index);
	if (!r)
		return;
	if (r->member != NO_STORAGE && r->writable) {
		uint32_t *p = reg_storage(&lp->lapic, r, index);
		*p = (*p & ~r->writable) | (v & r->writable);
	}
	if (r->write)
		r->write(lp, r, v);
}

/* ---- interprocessor interrupts ---------------------------------------------- */

/* An x2APIC destination (SDM "x2APIC Logical Destination Mode"): all ones is a
 * broadcast; a physical one is an x2APIC ID, a logical one a cluster (bits 31:16)
 * and a bit per APIC in it (bits 15:0), matched against the LDR. */
static bool x2apic_dest_names(const struct lp *t, uint32_t lo, uint32_t dest)
{
	if (dest == 0xffffffffu)
		return true;
	if (!(lo & ICR_LOGICAL))
		return t->apic_id == dest;
	return (dest >> 16) == (t->lapic.ldr >> 16) && (dest & t->lapic.ldr & 0xffffu);
}

/* Does the ICR's destination (shorthand, or physical/logical destination) name `t`?
 * `dest` is ICR bits 63:32 in x2APIC mode, else bits 63:56. */
static bool ipi_targets(const struct lp *from, const struct lp *t, uint32_t lo, uint32_t dest, bool x2)
{
	switch (ICR_SHORTHAND(lo)) {
	case SH_SELF: return t == from;
	case SH_ALL: return true;
	case SH_ALL_BUT_SELF: return t != from;
	default: break;
	}
	if (x2)
		return x2apic_dest_names(t, lo, dest);
	if (!(lo & ICR_LOGICAL))
		return dest == 0xff || (t->lapic.id >> 24) == dest;
	uint8_t ldr = (uint8_t)(t->lapic.ldr >> 24);
	if ((t->lapic.dfr >> 28) == 0xf)          /* flat model: a bit per APIC */
		return (ldr & dest) != 0;
	/* cluster model: bits 7:4 the cluster (15: all), bits 3:0 APICs in it */
	return ((dest >> 4) == 0xf || (dest >> 4) == (ldr >> 4)) && (dest & ldr & 0xf);
}

/* INIT (SDM "INIT Signal"): latched for the target, which takes it at an
 * instruction boundary (interrupt.h): held while it is in VMX root operation. A
 * level de-assert only synchronizes arbitration IDs: no effect. */
static void deliver_init(struct lp *from, struct lp *t, uint32_t lo)
{
	if ((lo & ICR_TRIGGER_LEVEL) && !(lo & ICR_LEVEL_ASSERT))
		return;
	if (t == from && !from->vmx.on) {
		machine_stop(from->m, from, VTSIM_STOP_INTERNAL, 70,
			     "INIT IPI to the sending processor (lp%u): resetting a running processor "
			     "is not modelled", from->id);
		return;
	}
	if (t->activity == LP_WAIT_FOR_SIPI)
		return;
	t->init_pending = true;
	smp_kick(t);
}

/* A start-up IPI starts a processor waiting for one; any other ignores it. */
static void deliver_sipi(struct lp *from, struct lp *t, uint32_t lo)
{
	if (t->activity != LP_WAIT_FOR_SIPI || smp_sipi_to_guest(t, ICR_VECTOR(lo)))
		return;
	boot_enter_sipi(t, ICR_VECTOR(lo));
	t->activity = LP_ACTIVE;
	trace_event(t->m, VTSIM_TRACE_RUN, "run lp%u start-up vector=0x%02x cs:ip=%04x:0000", t->id,
		    ICR_VECTOR(lo), ICR_VECTOR(lo) << 8);
}

/* A fixed interrupt: requested in the target's IRR, accepted at one of its
 * instruction boundaries; its TMR bit says whether it is level-triggered (SDM
 * "Trigger Mode Register"). Vectors 0-15 are illegal and are dropped. */
static void deliver_fixed(struct lp *from, struct lp *t, uint32_t lo)
{
	unsigned vector = ICR_VECTOR(lo);
	if (vector < 16)
		return;
	lapic_request(&t->lapic, vector);
	uint32_t bit = 1u << (vector % 32);
	if (lo & ICR_TRIGGER_LEVEL)
		t->lapic.tmr[vector / 32] |= bit;
	else
		t->lapic.tmr[vector / 32] &= ~bit;
	smp_kick(t);
}

/* An NMI: the vector field is ignored; latched for the target, which takes it at an
 * instruction boundary (interrupt.h). A processor waiting for a start-up IPI
 * ignores it. */
static void deliver_nmi(struct lp *from, struct lp *t, uint32_t lo)
{
	(void)from;
	(void)lo;
	if (t->activity == LP_WAIT_FOR_SIPI)
		return;
	t->nmi.pending = true;
	smp_kick(t);
}

static void deliver_ipi(struct lp *from, struct lp *t, uint32_t lo)
{
	smp_catch_up(from, t);
	switch (ICR_MODE(lo)) {
	case DM_INIT: deliver_init(from, t, lo); return;
	case DM_STARTUP: deliver_sipi(from, t, lo); return;
	case DM_FIXED: case DM_LOWEST: deliver_fixed(from, t, lo); return;
	case DM_NMI: deliver_nmi(from, t, lo); return;
	default:
		machine_stop(from->m, from, VTSIM_STOP_INTERNAL, 70,
			     "IPI (ICR 0x%08x) to lp%u: SMI and ExtINT delivery are not modelled",
			     lo, t->id);
	}
}

static void send_ipi(struct lp *lp, const struct lapic_reg *r, uint32_t v)
{
	lapic_send_ipi(lp);
}

typedef bool (*names_fn)(const struct lp *from, const struct lp *t, uint32_t lo, uint32_t dest, bool x2);

/* The message `lo` to every processor `names` picks (lowest priority: the first in
 * APIC ID order, a fixed and reproducible arbitration). */
static void deliver_all(struct lp *from, uint32_t lo, uint32_t dest, bool x2, names_fn names)
{
	struct vtsim_machine *m = from->m;
	for (unsigned i = 0; i < m->nr_lps && !m->stopped; i++) {
		if (names(from, &m->lps[i], lo, dest, x2)) {
			deliver_ipi(from, &m->lps[i], lo);
			if (ICR_MODE(lo) == DM_LOWEST)
				break;
		}
	}
}

void lapic_send_ipi(struct lp *lp)
{
	struct vtsim_machine *m = lp->m;
	uint32_t lo = lp->lapic.icr_lo;
	bool x2 = lapic_x2apic(lp);
	uint32_t dest = x2 ? lp->lapic.icr_hi : lp->lapic.icr_hi >> 24;
	if (trace_on(m, VTSIM_TRACE_EXC))
		trace_event(m, VTSIM_TRACE_EXC, "ipi lp%u icr=0x%08x dest=0x%02x", lp->id, lo, dest);
	/* An IPI is edge-triggered but for INIT's level de-assert (the processor
	 * issues the trigger-mode bit as 0 for the other modes). */
	deliver_all(lp, ICR_MODE(lo) == DM_INIT ? lo : lo & ~ICR_TRIGGER_LEVEL, dest, x2, ipi_targets);
}

/* A device's 8-bit destination: an APIC in x2APIC mode reads it as an x2APIC
 * destination, FFH as the broadcast (as KVM does without interrupt remapping). */
static bool message_targets(const struct lp *from, const struct lp *t, uint32_t lo, uint32_t dest, bool x2)
{
	if (lapic_x2apic(t))
		return x2apic_dest_names(t, lo, dest == 0xff ? 0xffffffffu : dest);
	return ipi_targets(from, t, lo, dest, false);
}

void lapic_deliver_message(struct lp *from, uint32_t lo, uint8_t dest)
{
	deliver_all(from, (lo & ~(3u << 18)) | ICR_LEVEL_ASSERT, dest, false, message_targets);
}
