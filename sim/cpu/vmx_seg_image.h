/* What VM entry and exit know an engine's segment registers hold, so that they move
 * them only when something may have changed.
 *
 * Every VM exit saves the guest's segment registers, GDTR, IDTR and SYSENTER MSRs
 * into the VMCS (39 fields) and loads the host's from it; every entry loads the
 * guest's back.
 * In a loop of exits nothing changes: the guest loads no segment, the VMM writes
 * none of those fields. An image is the engine's bytes (cpustate_segs_copy) as a
 * transition last left or found them; the VMCS's `unsynced` bits say which fields
 * changed since (a VMWRITE, a save, another VMCS made current). A transition skips
 * its segment moves when the engine still holds the image byte for byte and none
 * of the fields it moves changed: moving them would leave the very same bytes and
 * values. Not a guess: a far jump, a MOV to a segment register, LGDT, anything that
 * changes a byte, makes the compare fail, and the move is made in full.
 *
 * Loading is not the inverse of saving (an unusable segment keeps only its DPL in
 * the engine; a descriptor load leaves base and limit bits in the engine's flags),
 * so an image says which way it is exact: `loads` (loading the fields would leave
 * the bytes), `saves` (saving the bytes would leave the fields). */
#ifndef VTSIM_VMX_SEG_IMAGE_H
#define VTSIM_VMX_SEG_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/cpu/cpustate.h"
#include "sim/vmcs/vmcs.h"

struct seg_image {
	bool loads, saves;
	struct cpu_seg_bytes bytes;
};

/* One for each engine's side of the transitions: in struct vmx_lp, so that a
 * snapshot's restore puts it back with the VMCS cache it was made against. */
struct vmx_seg_images {
	struct seg_image guest;   /* the guest engine and the guest-state area */
	struct seg_image host;    /* the root engine and the host-state area (loads only) */
};

/* Which fields each side moves: the guest's 32 segment fields with GDTR, IDTR and
 * the SYSENTER MSRs; the host's selectors, bases, GDTR and IDTR bases, SYSENTER
 * MSRs, and the VM-exit controls (the host address-space size picks CS.L). */
enum seg_image_side { SEG_IMAGE_GUEST, SEG_IMAGE_HOST };

/* The fields each side moves, as bitmaps of VMCS cache slots. */
#define SEG_IMAGE_MASK_WORDS 4
extern const uint64_t seg_image_side_mask[2][SEG_IMAGE_MASK_WORDS];

/* None of the side's fields changed since it last moved them. */
static inline bool seg_image_side_clean(const struct vmcs_cache *v, enum seg_image_side side)
{
	const uint64_t *m = seg_image_side_mask[side];
	return !((v->unsynced[0] & m[0]) | (v->unsynced[1] & m[1]) | (v->unsynced[2] & m[2]) |
		 (v->unsynced[3] & m[3]));
}

/* Whether loading the side's fields from `v` into `cs` may be skipped (inline, with
 * the compare: every exit asks for the host's side, every entry for the guest's). */
static inline bool seg_image_load_skips(const struct seg_image *im, enum seg_image_side side,
					const struct vmcs_cache *v, struct cpustate *cs)
{
	return im->loads && seg_image_side_clean(v, side) && cpustate_segs_equal(cs, &im->bytes);
}
/* After a load in full: the engine's bytes are what the fields load as. */
void seg_image_loaded(struct seg_image *im, enum seg_image_side side, struct vmcs_cache *v,
		      struct cpustate *cs);

/* Whether saving the guest engine's segment registers may be skipped (the fields
 * hold what the save would write). */
static inline bool seg_image_save_skips(const struct seg_image *im, const struct vmcs_cache *v,
					struct cpustate *cs)
{
	return im->saves && seg_image_side_clean(v, SEG_IMAGE_GUEST) && cpustate_segs_equal(cs, &im->bytes);
}
/* After a save in full; `held`: seg_image_load_skips said yes just before it (the
 * engine held what the fields load as). */
void seg_image_saved(struct seg_image *im, struct vmcs_cache *v, bool held);

#endif
