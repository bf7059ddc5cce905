/* Memory-mapped devices on the physical address space, above RAM: one table of
 * devices (base, size, read/write), consulted when an engine first touches a page
 * with no RAM behind it. A device page is mapped to the device; any other page to the
 * open bus (reads all ones, writes ignored). Devices: the local APIC (lapic.h) and the
 * I/O APIC (ioapic.h). */
#ifndef VTSIM_MMIO_H
#define VTSIM_MMIO_H

#include <stdint.h>
#include <unicorn/unicorn.h>

struct lp;

struct mmio_dev {
	uint64_t base, size;
	const char *name;
	uint64_t (*read)(struct lp *lp, uint64_t offset, unsigned size);
	void (*write)(struct lp *lp, uint64_t offset, unsigned size, uint64_t v);
};

#define MMIO_MAX_DEVS 4

/* The bits an access of `size` bytes carries (all ones: what the open bus reads). */
static inline uint64_t mmio_size_mask(unsigned size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* What an engine's MMIO callback needs: the LP and the device. */
struct mmio_binding {
	struct lp *lp;
	const struct mmio_dev *dev;
};

/* One access to a device (physical address, size, direction, the value written
 * or read) and the engine that made it. */
struct mmio_access {
	uc_engine *uc;
	uint64_t pa, value;
	unsigned size;
	bool write, valid;
};

/* An engine stopped from inside an MMIO callback (uc_emu_stop) does not finish
 * the instruction: Unicorn checks for a stop after every memory access and leaves
 * the block there with RIP still at the block's start (or at the last instruction
 * it synchronized RIP for), so the instructions before the access would run again.
 * The LP notes such a stop (mmio_note_stop) and, once the engine is out, finds
 * the accessing instruction (mmio_resume: decoding forward from the stale RIP for
 * the first instruction that touches the device's address that way and, for a
 * MOV, stores the value the device got). A MOV between a register or an immediate
 * and the device retires there (a load's register takes the value read), so the
 * run goes on after it; any other instruction runs again with its device access
 * answered from the record instead of repeated (a write is not done twice, a read
 * gives the same value). */
struct mmio_stops {
	struct mmio_access cur;     /* the access whose callback runs now */
	bool stop_in_cur;           /* a stop was asked during it */
	struct mmio_access stopped; /* the access an engine stopped in, for mmio_resume */
	struct mmio_access replay;  /* to answer when the instruction runs again */
};

/* Called by whoever stops an engine of the LP (uc_emu_stop): from inside an MMIO
 * callback of that engine, the stop is noted for mmio_resume. */
void mmio_note_stop(struct lp *lp, uc_engine *uc);

/* After the LP's engine `uc` returned from its run: if it stopped inside an MMIO
 * access, RIP goes past the instruction that made it when that is a MOV (retired
 * here), else to it, its access to be answered from the record. Any record from
 * an earlier run of that engine is dropped. */
void mmio_resume(struct lp *lp, uc_engine *uc);

/* Maps [base, base + size) in `uc` as the open bus. */
uc_err mmio_map_open_bus(uc_engine *uc, uint64_t base, uint64_t size);

/* Maps the page at `page` in `uc` (an engine of `lp`) to its device or the open bus. */
uc_err mmio_map_page(struct lp *lp, uc_engine *uc, uint64_t page);

#endif
