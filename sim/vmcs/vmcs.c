/* VMCS storage: see vmcs.h. */
#include "sim/vmcs/vmcs.h"

#include <string.h>

static size_t slot_of(const struct vmcs_field_info *f)
{
	return (size_t)(f - vmcs_field_at(0));
}

void vmcs_cache_init(struct vmcs_cache *c)
{
	memset(c, 0, sizeof(*c));
	c->ptr = VMCS_PTR_NONE;
	c->ctl_host_changed = true;
	memset(c->changed, 0xff, sizeof(c->changed));
}

int vmcs_enc_slot(uint32_t enc)
{
	bool high;
	const struct vmcs_field_info *f = vmcs_field_find(enc, &high);
	return f ? (int)slot_of(f) : -1;
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

uint64_t vmcs_get(const struct vmcs_cache *c, const struct vmcs_field_info *f, bool high)
{
	uint64_t v = c->val[slot_of(f)];
	return high ? v >> 32 : v;
}

void vmcs_set(struct vmcs_cache *c, const struct vmcs_field_info *f, bool high, uint64_t v)
{
	uint64_t *slot = &c->val[slot_of(f)];
	uint64_t old = *slot;
	c->dirty = true;
	if (high) {
		*slot = (*slot & 0xffffffffull) | (v << 32);
	} else {
		unsigned bytes = vmcs_width_bytes(f->width);
		*slot = bytes == 8 ? v : v & ((1ull << (8 * bytes)) - 1);
	}
	if (*slot != old) {
		size_t i = slot_of(f);
		c->changed[i / 64] |= 1ull << (i % 64);
		if (f->type == VMCS_TYPE_CONTROL || f->type == VMCS_TYPE_HOST)
			c->ctl_host_changed = true;
	}
}

uint64_t vmcs_read_enc(const struct vmcs_cache *c, uint32_t enc)
{
	bool high;
	const struct vmcs_field_info *f = vmcs_field_find(enc, &high);
	return f ? vmcs_get(c, f, high) : 0;
}

void vmcs_write_enc(struct vmcs_cache *c, uint32_t enc, uint64_t v)
{
	bool high;
	const struct vmcs_field_info *f = vmcs_field_find(enc, &high);
	if (f)
		vmcs_set(c, f, high, v);
}
