/* fw_cfg: one table of items, a selector and a read offset. */
#include "sim/cpu/fw_cfg.h"

#include <stddef.h>

#include "sim/cpu/machine.h"

struct fw_cfg_item {
	uint16_t key;
	unsigned width;      /* bytes; reads past it give zeros */
	uint64_t (*value)(const struct vtsim_machine *m);
};

static uint64_t item_nb_cpus(const struct vtsim_machine *m) { return m->nr_lps; }
static uint64_t item_ram_size(const struct vtsim_machine *m) { return m->pm.size; }

static const struct fw_cfg_item items[] = {
	{ FW_CFG_RAM_SIZE, 8, item_ram_size },
	{ FW_CFG_NB_CPUS, 2, item_nb_cpus },
};

static uint8_t item_byte(const struct vtsim_machine *m, uint16_t key, uint32_t offset)
{
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		if (items[i].key == key)
			return offset < items[i].width ? (uint8_t)(items[i].value(m) >> (8 * offset)) : 0;
	return 0;
}

uint32_t fw_cfg_io_read(struct lp *lp, uint16_t port, unsigned size)
{
	struct fw_cfg *f = &lp->m->fw_cfg;
	if (port != FW_CFG_PORT_DATA)
		return 0xffffffffu;   /* the selector is write-only */
	/* A wider read takes consecutive bytes of the item, lowest first. */
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)item_byte(lp->m, f->selector, f->offset++) << (8 * i);
	return v;
}

void fw_cfg_io_write(struct lp *lp, uint16_t port, unsigned size, uint32_t v)
{
	struct fw_cfg *f = &lp->m->fw_cfg;
	if (port == FW_CFG_PORT_SEL && size >= 2) {
		f->selector = (uint16_t)v;
		f->offset = 0;
	}
}
