/* VMCS storage: see vmcs.h. */
#include "sim/vmcs/vmcs.h"

#include <string.h>

void vmcs_cache_init(struct vmcs_cache *c)
{
	memset(c, 0, sizeof(*c));
	c->ptr = VMCS_PTR_NONE;
	c->ctl_host_changed = true;
	memset(c->changed, 0xff, sizeof(c->changed));
	memset(c->unsynced, 0xff, sizeof(c->unsynced));
}

int vmcs_enc_slot(uint32_t enc)
{
	bool high;
	const struct vmcs_field_info *f = vmcs_field_find(enc, &high);
	return f ? (int)vmcs_slot(f) : -1;
}

void vmcs_cache_load(struct vmcs_cache *c, struct phys *pm, uint64_t ptr)
{
	size_t n = vmcs_field_count();
	c->ptr = ptr;
	c->revision = phys_read32(pm, ptr + VMCS_OFF_REVISION);
	c->launched = phys_read32(pm, ptr + VMCS_OFF_LAUNCH) == VMCS_LAUNCHED_MAGIC;
	c->epoch = phys_read32(pm, ptr + VMCS_OFF_EPOCH);
	c->dirty = false;
	c->ctl_host_changed = true;
	memset(c->changed, 0xff, sizeof(c->changed));   /* another VMCS: nothing is known */
	memset(c->unsynced, 0xff, sizeof(c->unsynced));
	for (size_t i = 0; i < n; i++) {
		/* Keep what a field can hold, so random region contents read back as a
		 * processor would return them. */
		uint64_t v = phys_read64(pm, ptr + VMCS_OFF_DATA + 8 * i);
		unsigned bytes = vmcs_width_bytes(vmcs_field_at(i)->width);
		c->val[i] = bytes == 8 ? v : v & ((1ull << (8 * bytes)) - 1);
	}
}

void vmcs_cache_flush(struct vmcs_cache *c, struct phys *pm)
{
	if (c->ptr == VMCS_PTR_NONE)
		return;
	if (!c->dirty) {
		c->ptr = VMCS_PTR_NONE;
		return;
	}
	size_t n = vmcs_field_count();
	for (size_t i = 0; i < n; i++)
		phys_write64(pm, c->ptr + VMCS_OFF_DATA + 8 * i, c->val[i]);
	phys_write32(pm, c->ptr + VMCS_OFF_LAUNCH, c->launched ? VMCS_LAUNCHED_MAGIC : 0);
	phys_write32(pm, c->ptr + VMCS_OFF_EPOCH, c->epoch);
	c->ptr = VMCS_PTR_NONE;
}

void vmcs_cache_switch(struct vmcs_cache *c, struct phys *pm, uint64_t ptr)
{
	if (c->ptr == ptr)
		return;
	vmcs_cache_flush(c, pm);
	vmcs_cache_load(c, pm, ptr);
}

void vmcs_region_clear_launch(struct phys *pm, uint64_t ptr)
{
	phys_write32(pm, ptr + VMCS_OFF_LAUNCH, 0);
}
