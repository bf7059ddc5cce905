/* The VMCS as the processor keeps it: a region in physical memory and, while it is
 * current on a logical processor, a cached copy there (SDM Vol. 3, "Format of the
 * VMCS Region"; "VMCS data" is implementation-specific).
 *
 * vtsim's region layout: dword 0 revision identifier and shadow-VMCS indicator,
 * dword 1 VMX-abort indicator (both architectural), dword 2 launch state, dword 3
 * the VMX-operation epoch of the VMLAUNCH that launched it (see vmx.h: a VMRESUME
 * in a later VMX operation is error 6), then one quadword per field of the field
 * table, in table order. VMPTRLD loads the cache,
 * VMCLEAR (and making another VMCS current) writes it back, so a VMCLEARed region
 * copied elsewhere and made current holds the same field values. */
#ifndef VTSIM_VMCS_H
#define VTSIM_VMCS_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/cpu/phys.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/fields.h"

#define VMCS_PTR_NONE (~0ull)
#define VMCS_MAX_FIELDS 256
#define VMCS_OFF_REVISION 0
#define VMCS_OFF_ABORT 4
#define VMCS_OFF_LAUNCH 8
#define VMCS_OFF_EPOCH 12
#define VMCS_OFF_DATA 16
#define VMCS_LAUNCHED_MAGIC 0x4c41554eu   /* launch state "launched"; anything else: clear */

struct vmcs_cache {
	uint64_t ptr;                  /* VMCS_PTR_NONE: nothing cached */
	uint32_t revision;             /* dword 0 when it was made current */
	bool launched;
	uint32_t epoch;                /* dword 3: VMX operation it was launched in */
	bool dirty;                    /* changed since loaded: written back when flushed */
	/* A control or host-state field changed since the last VM entry that passed the
	 * checks on them: until one does, those checks would give the same result. */
	bool ctl_host_changed;
	/* Fields whose value changed since the last VM entry whose guest-state checks
	 * passed, a bit per slot: the checks that read none of them pass again. */
	uint64_t changed[VMCS_MAX_FIELDS / 64];
	/* The same since VM entry or exit last moved the field between this cache and
	 * an engine, cleared only there (vmx_seg_image.h): the segment registers that
	 * an engine still holds need not move again. */
	uint64_t unsynced[VMCS_MAX_FIELDS / 64];
	uint64_t val[VMCS_MAX_FIELDS];
};

/* The slot of a field encoding in val[] and the bitmaps, or -1 for none. */
int vmcs_enc_slot(uint32_t enc);

void vmcs_cache_init(struct vmcs_cache *c);
/* Makes the cache hold the VMCS at `ptr` (its region read from memory). */
void vmcs_cache_load(struct vmcs_cache *c, struct phys *pm, uint64_t ptr);
/* Writes the cache back to its region if it changed, and empties it. (A VMCS that
 * another LP changed and wrote back meanwhile keeps that LP's data.) */
void vmcs_cache_flush(struct vmcs_cache *c, struct phys *pm);
/* Makes the cache hold the VMCS at `ptr`: the one it holds goes back first, unless
 * it is that one already. */
void vmcs_cache_switch(struct vmcs_cache *c, struct phys *pm, uint64_t ptr);
/* Launch state := clear in the region at ptr. */
void vmcs_region_clear_launch(struct phys *pm, uint64_t ptr);

/* A field's slot in val[] and the bitmaps. */
static inline size_t vmcs_slot(const struct vmcs_field_info *f)
{
	return (size_t)(f - vmcs_fields);
}

/* Field access through the cache; the width rules come from the encoding. Inline,
 * with the lookup: VM entry and exit make a hundred of these each. */
static inline uint64_t vmcs_get(const struct vmcs_cache *c, const struct vmcs_field_info *f, bool high)
{
	uint64_t v = c->val[vmcs_slot(f)];
	return high ? v >> 32 : v;
}

/* Slot i of a field of width w and type t. */
static inline void vmcs_set_slot(struct vmcs_cache *c, size_t i, enum vmcs_width w, enum vmcs_type t,
				 bool high, uint64_t v)
{
	uint64_t old = c->val[i], nv;
	c->dirty = true;
	if (high) {
		nv = (old & 0xffffffffull) | (v << 32);
	} else {
		unsigned bytes = vmcs_width_bytes(w);
		nv = bytes == 8 ? v : v & ((1ull << (8 * bytes)) - 1);
	}
	c->val[i] = nv;
	if (nv != old) {
		c->changed[i / 64] |= 1ull << (i % 64);
		c->unsynced[i / 64] |= 1ull << (i % 64);
		if (t == VMCS_TYPE_CONTROL || t == VMCS_TYPE_HOST)
			c->ctl_host_changed = true;
	}
}

static inline void vmcs_set(struct vmcs_cache *c, const struct vmcs_field_info *f, bool high, uint64_t v)
{
	vmcs_set_slot(c, vmcs_slot(f), f->width, f->type, high, v);
}

/* By encoding, for the simulator's own use (VM entry, exits); unknown encodings read 0.
 * A constant encoding (nearly all of them) compiles to an access to its slot. */
static inline uint64_t vmcs_read_enc(const struct vmcs_cache *c, uint32_t enc)
{
	if (__builtin_constant_p(enc)) {
		int i = vmcs_const_slot(enc);
		return i < 0 ? 0 : (enc & 1) ? c->val[i] >> 32 : c->val[i];
	}
	bool high;
	const struct vmcs_field_info *f = vmcs_field_find(enc, &high);
	return f ? vmcs_get(c, f, high) : 0;
}

/* The secondary processor-based controls in effect: the field when "activate
 * secondary controls" is set, else none (SDM: the processor then treats every
 * secondary control as 0). */
static inline uint64_t vmcs_secondary_controls(const struct vmcs_cache *c)
{
	return (vmcs_read_enc(c, CPU_BASED_VM_EXEC_CONTROL) & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
		       ? vmcs_read_enc(c, SECONDARY_VM_EXEC_CONTROL) : 0;
}

static inline void vmcs_write_enc(struct vmcs_cache *c, uint32_t enc, uint64_t v)
{
	if (__builtin_constant_p(enc)) {
		int i = vmcs_const_slot(enc);
		if (i >= 0)
			vmcs_set_slot(c, (size_t)i, vmcs_enc_width(enc), vmcs_enc_type(enc), enc & 1, v);
		return;
	}
	bool high;
	const struct vmcs_field_info *f = vmcs_field_find(enc, &high);
	if (f)
		vmcs_set(c, f, high, v);
}

#endif
