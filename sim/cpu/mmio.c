/* The MMIO device table and the open bus. */
#include "sim/cpu/mmio.h"

#include "sim/cpu/lapic.h"
#include "sim/cpu/machine.h"

static const struct mmio_dev devices[] = {
	{ LAPIC_DEFAULT_BASE, 0x1000, "local APIC", lapic_mmio_read, lapic_mmio_write },
};
_Static_assert(sizeof(devices) / sizeof(devices[0]) <= MMIO_MAX_DEVS, "raise MMIO_MAX_DEVS");

static uint64_t dev_read(uc_engine *uc, uint64_t off, unsigned size, void *user)
{
	struct mmio_binding *b = user;
	return b->dev->read(b->lp, off, size);
}

static void dev_write(uc_engine *uc, uint64_t off, unsigned size, uint64_t v, void *user)
{
	struct mmio_binding *b = user;
	b->dev->write(b->lp, off, size, v);
}

static uint64_t open_bus_read(uc_engine *uc, uint64_t off, unsigned size, void *user)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
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
