/* Skipping segment moves that would change nothing: see vmx_seg_image.h. */
#include "sim/cpu/vmx_seg_image.h"

#include "sim/vmcs/fields.h"

#define WORDS (VMCS_MAX_FIELDS / 64)
/* Bit `pos` of the slot bitmaps, if it lies in word w. */
#define BIT_IN(w, pos) ((pos) / 64 == (w) ? 1ull << ((pos) % 64) : 0)
#define GUEST_SEG(w, S)                                                                   \
	(BIT_IN(w, VMCS_POS_GUEST_##S##_SELECTOR) | BIT_IN(w, VMCS_POS_GUEST_##S##_BASE) |  \
	 BIT_IN(w, VMCS_POS_GUEST_##S##_LIMIT) | BIT_IN(w, VMCS_POS_GUEST_##S##_AR_BYTES))
#define GUEST_MASK(w)                                                                     \
	(GUEST_SEG(w, ES) | GUEST_SEG(w, CS) | GUEST_SEG(w, SS) | GUEST_SEG(w, DS) |          \
	 GUEST_SEG(w, FS) | GUEST_SEG(w, GS) | GUEST_SEG(w, LDTR) | GUEST_SEG(w, TR) |        \
	 BIT_IN(w, VMCS_POS_GUEST_GDTR_BASE) | BIT_IN(w, VMCS_POS_GUEST_GDTR_LIMIT) |         \
	 BIT_IN(w, VMCS_POS_GUEST_IDTR_BASE) | BIT_IN(w, VMCS_POS_GUEST_IDTR_LIMIT) |         \
	 BIT_IN(w, VMCS_POS_GUEST_SYSENTER_CS) | BIT_IN(w, VMCS_POS_GUEST_SYSENTER_ESP) |     \
	 BIT_IN(w, VMCS_POS_GUEST_SYSENTER_EIP))
#define HOST_MASK(w)                                                                      \
	(BIT_IN(w, VMCS_POS_HOST_ES_SELECTOR) | BIT_IN(w, VMCS_POS_HOST_CS_SELECTOR) |        \
	 BIT_IN(w, VMCS_POS_HOST_SS_SELECTOR) | BIT_IN(w, VMCS_POS_HOST_DS_SELECTOR) |        \
	 BIT_IN(w, VMCS_POS_HOST_FS_SELECTOR) | BIT_IN(w, VMCS_POS_HOST_GS_SELECTOR) |        \
	 BIT_IN(w, VMCS_POS_HOST_TR_SELECTOR) | BIT_IN(w, VMCS_POS_HOST_FS_BASE) |            \
	 BIT_IN(w, VMCS_POS_HOST_GS_BASE) | BIT_IN(w, VMCS_POS_HOST_TR_BASE) |                \
	 BIT_IN(w, VMCS_POS_HOST_GDTR_BASE) | BIT_IN(w, VMCS_POS_HOST_IDTR_BASE) |            \
	 BIT_IN(w, VMCS_POS_VM_EXIT_CONTROLS) | BIT_IN(w, VMCS_POS_HOST_IA32_SYSENTER_CS) |   \
	 BIT_IN(w, VMCS_POS_HOST_IA32_SYSENTER_ESP) | BIT_IN(w, VMCS_POS_HOST_IA32_SYSENTER_EIP))

const uint64_t seg_image_side_mask[2][WORDS] = {
	[SEG_IMAGE_GUEST] = { GUEST_MASK(0), GUEST_MASK(1), GUEST_MASK(2), GUEST_MASK(3) },
	[SEG_IMAGE_HOST] = { HOST_MASK(0), HOST_MASK(1), HOST_MASK(2), HOST_MASK(3) },
};
_Static_assert(WORDS == SEG_IMAGE_MASK_WORDS, "the header's mask has as many words");

static void side_synced(struct vmcs_cache *v, enum seg_image_side side)
{
	for (int w = 0; w < WORDS; w++)
		v->unsynced[w] &= ~seg_image_side_mask[side][w];
}

void seg_image_loaded(struct seg_image *im, enum seg_image_side side, struct vmcs_cache *v,
		      struct cpustate *cs)
{
	im->loads = cpustate_segs_copy(cs, &im->bytes);
	im->saves = false;
	side_synced(v, side);
}

/* A save that wrote no new value into fields that load as the engine's bytes
 * leaves them both ways exact; any other leaves nothing known. */
void seg_image_saved(struct seg_image *im, struct vmcs_cache *v, bool held)
{
	if (held && seg_image_side_clean(v, SEG_IMAGE_GUEST))
		im->saves = true;
	else
		im->loads = im->saves = false;
}
