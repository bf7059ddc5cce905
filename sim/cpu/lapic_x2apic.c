/* x2APIC mode: the mode bits of IA32_APIC_BASE, and one table of the registers as
 * MSRs (lapic_x2apic.h). */
#include "sim/cpu/lapic_x2apic.h"

#include <stddef.h>

#include "sim/cpu/lapic.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/smp.h"

#define MODE_BITS      (LAPIC_BASE_ENABLE | LAPIC_BASE_EXTD)
#define ICR_LO_VALID   0x000ccfffu   /* vector, mode, dest mode, level, trigger, shorthand */

struct x2apic_reg;
typedef int (*x2_read_fn)(struct lp *lp, const struct x2apic_reg *r, unsigned index, uint64_t *v);
typedef int (*x2_write_fn)(struct lp *lp, const struct x2apic_reg *r, uint64_t v);

struct x2apic_reg {
	uint16_t msr;
	uint16_t count;        /* registers of the same kind at consecutive MSRs */
	uint32_t writable;     /* bits a WRMSR may set; another set bit is #GP(0) */
	x2_read_fn read;       /* NULL: write-only */
	x2_write_fn write;     /* NULL: read-only */
};

static uint64_t xapic_offset(const struct x2apic_reg *r, unsigned index)
{
	return (uint64_t)(r->msr - 0x800u + index) << 4;
}

static int rd_reg(struct lp *lp, const struct x2apic_reg *r, unsigned index, uint64_t *v)
{
	*v = lapic_reg_read(lp, xapic_offset(r, index));
	return 0;
}
static int rd_id(struct lp *lp, const struct x2apic_reg *r, unsigned index, uint64_t *v)
{
	*v = lp->apic_id;
	return 0;
}
static int rd_ldr(struct lp *lp, const struct x2apic_reg *r, unsigned index, uint64_t *v)
{
	*v = lp->lapic.ldr;
	return 0;
}
static int rd_icr(struct lp *lp, const struct x2apic_reg *r, unsigned index, uint64_t *v)
{
	*v = (uint64_t)lp->lapic.icr_hi << 32 | lp->lapic.icr_lo;
	return 0;
}

/* Reserved bits set (EOI and ESR have none that may be 1). */
static bool reserved_set(const struct x2apic_reg *r, uint64_t v)
{
	return (v & ~(uint64_t)r->writable) != 0;
}

static int wr_reg(struct lp *lp, const struct x2apic_reg *r, uint64_t v)
{
	if (reserved_set(r, v))
		return -1;
	lapic_reg_write(lp, xapic_offset(r, 0), (uint32_t)v);
	return 0;
}
static int wr_icr(struct lp *lp, const struct x2apic_reg *r, uint64_t v)
{
	if (v & ~(0xffffffff00000000ull | ICR_LO_VALID))
		return -1;
	lp->lapic.icr_lo = (uint32_t)v;
	lp->lapic.icr_hi = (uint32_t)(v >> 32);
	lapic_send_ipi(lp);
	return 0;
}
static int wr_self_ipi(struct lp *lp, const struct x2apic_reg *r, uint64_t v)
{
	if (reserved_set(r, v))
		return -1;
	lapic_request(&lp->lapic, (unsigned)v);   /* vectors 0-15 are dropped */
	smp_kick(lp);
	return 0;
}

static const struct x2apic_reg regs[] = {
	{ 0x802, 1, 0, rd_id, NULL },                  /* x2APIC ID */
	{ 0x803, 1, 0, rd_reg, NULL },                 /* version */
	{ 0x808, 1, 0xffu, rd_reg, wr_reg },           /* TPR */
	{ 0x80a, 1, 0, rd_reg, NULL },                 /* PPR */
	{ 0x80b, 1, 0, NULL, wr_reg },                 /* EOI: 0 only */
	{ 0x80d, 1, 0, rd_ldr, NULL },                 /* LDR */
	{ 0x80f, 1, 0x3ffu, rd_reg, wr_reg },          /* SPIV */
	{ 0x810, 8, 0, rd_reg, NULL },                 /* ISR */
	{ 0x818, 8, 0, rd_reg, NULL },                 /* TMR */
	{ 0x820, 8, 0, rd_reg, NULL },                 /* IRR */
	{ 0x828, 1, 0, rd_reg, wr_reg },               /* ESR: 0 only */
	{ 0x830, 1, 0, rd_icr, wr_icr },               /* ICR, 64 bits */
	{ 0x832, 1, 0x000700ffu, rd_reg, wr_reg },     /* LVT timer */
	{ 0x833, 1, 0x000107ffu, rd_reg, wr_reg },     /* LVT thermal */
	{ 0x834, 1, 0x000107ffu, rd_reg, wr_reg },     /* LVT performance counters */
	{ 0x835, 1, 0x0001a7ffu, rd_reg, wr_reg },     /* LVT LINT0 */
	{ 0x836, 1, 0x0001a7ffu, rd_reg, wr_reg },     /* LVT LINT1 */
	{ 0x837, 1, 0x000100ffu, rd_reg, wr_reg },     /* LVT error */
	{ 0x838, 1, 0xffffffffu, rd_reg, wr_reg },     /* timer initial count */
	{ 0x839, 1, 0, rd_reg, NULL },                 /* timer current count */
	{ 0x83e, 1, 0x0000000bu, rd_reg, wr_reg },     /* timer divide configuration */
	{ 0x83f, 1, 0xffu, NULL, wr_self_ipi },        /* SELF IPI */
};

static const struct x2apic_reg *find_reg(uint32_t idx, unsigned *index)
{
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		if (idx >= regs[i].msr && idx < regs[i].msr + regs[i].count) {
			*index = idx - regs[i].msr;
			return &regs[i];
		}
	}
	return NULL;
}

int x2apic_rdmsr(struct lp *lp, uint32_t idx, uint64_t *v)
{
	unsigned index;
	const struct x2apic_reg *r = lapic_x2apic(lp) ? find_reg(idx, &index) : NULL;
	if (!r || !r->read)
		return -1;
	return r->read(lp, r, index, v);
}

/* An interrupt the write let through at this APIC is taken before the next
 * instruction: the engine stops after the WRMSR (its handler runs at the site). */
static void stop_if_deliverable(struct lp *lp)
{
	if (lapic_deliverable(&lp->lapic) >= 0) {
		lp->stop_due = true;
		uc_emu_stop(lp->uc);
	}
}

int x2apic_wrmsr(struct lp *lp, uint32_t idx, uint64_t v)
{
	unsigned index;
	const struct x2apic_reg *r = lapic_x2apic(lp) ? find_reg(idx, &index) : NULL;
	if (!r || !r->write || r->write(lp, r, v))
		return -1;
	if (!lp->m->stopped)
		stop_if_deliverable(lp);
	return 0;
}

/* The logical x2APIC ID (SDM "x2APIC Logical Destination Mode"). */
static uint32_t derived_ldr(uint32_t x2apic_id)
{
	return (x2apic_id >> 4) << 16 | 1u << (x2apic_id & 0xf);
}

void x2apic_after_init(struct lp *lp)
{
	if (lapic_x2apic(lp))
		lp->lapic.ldr = derived_ldr(lp->apic_id);
}

int x2apic_write_apic_base(struct lp *lp, uint64_t v)
{
	uint64_t from = lp->apic_base & MODE_BITS, to = v & MODE_BITS;
	if (to == LAPIC_BASE_EXTD ||                                 /* the invalid state */
	    (from == MODE_BITS && to == LAPIC_BASE_ENABLE) ||        /* x2APIC to xAPIC */
	    (from == 0 && to == MODE_BITS))                          /* disabled to x2APIC */
		return -1;
	lp->apic_base = (v & ~(1ull << 8)) | (lp->apic_base & (1ull << 8));   /* BSP: read-only */
	if (from != MODE_BITS && to == MODE_BITS)
		lp->lapic.ldr = derived_ldr(lp->apic_id);
	if (from == MODE_BITS && to == 0) {
		lapic_reset(&lp->lapic, lp->lapic.id >> 24);
		lp_retire_recompute(lp);     /* the timer no longer counts */
	}
	return 0;
}
