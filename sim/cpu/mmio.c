/* The MMIO device table and the open bus. */
#include "sim/cpu/mmio.h"

#include "sim/cpu/diag_once.h"
#include "sim/cpu/insn_mem.h"
#include "sim/cpu/ioapic.h"
#include "sim/cpu/lapic.h"
#include "sim/cpu/machine.h"

static const struct mmio_dev devices[] = {
	{ LAPIC_DEFAULT_BASE, 0x1000, "local APIC", lapic_mmio_read, lapic_mmio_write },
	{ IOAPIC_BASE, 0x1000, "I/O APIC", ioapic_mmio_read, ioapic_mmio_write },
};
_Static_assert(sizeof(devices) / sizeof(devices[0]) <= MMIO_MAX_DEVS, "raise MMIO_MAX_DEVS");

/* The instruction put back by mmio_resume makes its access again: answered from
 * the record (consumed), not by the device. */
static bool replayed(struct mmio_stops *s, const struct mmio_access *a, uint64_t *value)
{
	const struct mmio_access *r = &s->replay;
	if (!r->valid || r->uc != a->uc || r->pa != a->pa || r->size != a->size || r->write != a->write ||
	    (a->write && r->value != a->value))
		return false;
	s->replay.valid = false;
	*value = r->value;
	return true;
}

static void access_begin(struct mmio_stops *s, const struct mmio_access *a)
{
	s->cur = *a;
	s->stop_in_cur = false;
}

static void access_end(struct mmio_stops *s, uint64_t value)
{
	if (s->stop_in_cur) {
		s->stopped = s->cur;
		s->stopped.value = value;
	}
	s->cur.valid = false;
	s->stop_in_cur = false;
}

static uint64_t dev_read(uc_engine *uc, uint64_t off, unsigned size, void *user)
{
	struct mmio_binding *b = user;
	struct mmio_stops *s = &b->lp->mmio_stops;
	struct mmio_access a = { uc, b->dev->base + off, 0, size, false, true };
	uint64_t v;
	if (replayed(s, &a, &v))
		return v;
	access_begin(s, &a);
	v = b->dev->read(b->lp, off, size);
	access_end(s, v);
	return v;
}

static void dev_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *user)
{
	struct mmio_binding *b = user;
	struct mmio_stops *s = &b->lp->mmio_stops;
	struct mmio_access a = { uc, b->dev->base + off, v, size, true, true };
	uint64_t old;
	if (replayed(s, &a, &old))
		return;
	access_begin(s, &a);
	b->dev->write(b->lp, off, size, v);
	access_end(s, v);
}

void mmio_note_stop(struct lp *lp, uc_engine *uc)
{
	if (lp->mmio_stops.cur.valid && lp->mmio_stops.cur.uc == uc)
		lp->mmio_stops.stop_in_cur = true;
}

/* Instructions looked at from the stale RIP: a translated block holds at most 512
 * guest instructions (QEMU's TCG_MAX_INSNS), and the accessing one is in it. */
#define RESUME_SCAN 512

/* diag_once's `what` for an access not found again (vmx_diag.c's use bits 40 up). */
#define DIAG_MMIO_RESUME (1ull << 63)

/* Is the instruction at RIP the one that made access `a`, as far as its form tells?
 * A MOV between a register (or an immediate) and memory of the access's size and
 * direction: a store's value is what the device got (the engine stopped right
 * before it, so its source register is as it was; an earlier MOV to the same
 * device register in the block, storing something else, is not taken for it). 1
 * for such a MOV, in *mv; 0 for a MOV that is not the one; -1 for other forms,
 * which are taken on the address alone. */
static int mov_made(struct lp *lp, const struct mmio_access *a, struct insn_mov *mv)
{
	if (insn_mem_mov(lp, mv) || mv->store != a->write || mv->size != a->size || (!mv->store && mv->gpr < 0))
		return -1;
	if (!a->write)
		return 1;
	uint64_t v = mv->gpr >= 0 ? cpu_reg(a->uc, cpu_gpr_ids[mv->gpr]) : mv->imm;
	uint64_t mask = mmio_size_mask(a->size);
	return (v & mask) == (a->value & mask);
}

/* The MOV's access is all it does: it retires here (a load's register takes what
 * the device gave, zero-extended as MOV does), so that the run goes on after it and
 * an interrupt the access raised is taken there, as on hardware. */
static void mov_retire(uc_engine *uc, const struct mmio_access *a, const struct insn_mov *mv, uint64_t rip)
{
	if (!mv->store)
		cpu_set_reg(uc, cpu_gpr_ids[mv->gpr], a->value);
	cpu_set_reg(uc, UC_X86_REG_RIP, rip + mv->len);
}

void mmio_resume(struct lp *lp, uc_engine *uc)
{
	struct mmio_stops *s = &lp->mmio_stops;
	if (s->replay.uc == uc)
		s->replay.valid = false;    /* its instruction has run again */
	struct mmio_access a = s->stopped;
	s->stopped.valid = false;
	if (!a.valid || a.uc != uc)
		return;
	uint64_t start = cpu_reg(uc, UC_X86_REG_RIP), rip = start;
	for (unsigned i = 0; i < RESUME_SCAN; i++) {
		struct insn_mov mv;
		int made = insn_mem_touches_pa(lp, a.pa, a.size, a.write) ? mov_made(lp, &a, &mv) : 0;
		if (made == 1) {
			mov_retire(uc, &a, &mv, rip);
			return;
		}
		if (made < 0) {
			s->replay = a;
			return;
		}
		unsigned len = insn_mem_length(lp);
		if (!len)
			break;
		rip += len;
		cpu_set_reg(uc, UC_X86_REG_RIP, rip);
	}
	/* Not found (the code changed under the engine): run from where it stopped. */
	cpu_set_reg(uc, UC_X86_REG_RIP, start);
	struct vtsim_machine *m = lp->m;
	if (!m->cfg.json && diag_first_time(&m->told, DIAG_MMIO_RESUME | a.pa, start, m->diag, false))
		fprintf(m->diag, "vtsim: lp%u: the software CPU stopped inside a device access at "
			"0x%llx and the instruction that made it was not found from RIP=0x%llx: the "
			"instructions between may run again\n", lp->id, (unsigned long long)a.pa,
			(unsigned long long)start);
}

static uint64_t open_bus_read(uc_engine *uc, uint64_t off, unsigned size, void *user)
{
	return mmio_size_mask(size);
}

static void open_bus_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *user)
{
}

uc_err mmio_map_open_bus(uc_engine *uc, uint64_t base, uint64_t size)
{
	return uc_mmio_map(uc, base, size, open_bus_read, NULL, open_bus_write, NULL);
}

uc_err mmio_map_page(struct lp *lp, uc_engine *uc, uint64_t page)
{
	for (unsigned i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		const struct mmio_dev *d = &devices[i];
		if (page >= d->base && page < d->base + d->size) {
			lp->mmio[i] = (struct mmio_binding){ lp, d };
			return uc_mmio_map(uc, d->base, d->size, dev_read, &lp->mmio[i], dev_write, &lp->mmio[i]);
		}
	}
	return mmio_map_open_bus(uc, page, 0x1000);
}
