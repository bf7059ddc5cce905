/* Memory-mapped devices on the physical address space, above RAM: one table of
 * devices (base, size, read/write), consulted when an engine first touches a page
 * with no RAM behind it. A device page is mapped to the device; any other page to the
 * open bus (reads all ones, writes ignored). Devices: the local APIC (lapic.h). */
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

/* What an engine's MMIO callback needs: the LP and the device. */
struct mmio_binding {
	struct lp *lp;
	const struct mmio_dev *dev;
};

/* Maps [base, base + size) in `uc` as the open bus. */
uc_err mmio_map_open_bus(uc_engine *uc, uint64_t base, uint64_t size);

/* Maps the page at `page` in `uc` (an engine of `lp`) to its device or the open bus. */
uc_err mmio_map_page(struct lp *lp, uc_engine *uc, uint64_t page);

#endif
