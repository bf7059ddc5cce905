/* The guest translations vtsim keeps per TLB context, as the SDM tags them (Vol. 3C
 * "Information That May Be Cached"): the VPID, the EPTP (EPTRTA) with EPT, and for
 * a TD the shared EPTP. The engine has one TLB; when the guest engine changes
 * context (an entry into another VM, VMFUNC's EPTP switching) that TLB is emptied,
 * and its fills are then answered from the context's entries without a walk until
 * an architected invalidation drops them (INVEPT, INVVPID, INVLPG, INVPCID, MOV to
 * CR0/CR3/CR4, a VM entry without VPID). Entries are also bound to the guest's
 * control state: a fill under another CR0/CR3/CR4/EFER drops the context first. */
#ifndef VTSIM_TLB_CTX_H
#define VTSIM_TLB_CTX_H

#include <stdbool.h>
#include <stdint.h>

#define TLB_CTX_MAX   4
#define TLB_CTX_SLOTS 512       /* direct-mapped, a power of two */
#define TLB_CTX_LARGE_MAX 16

struct tlb_key {
	uint16_t vpid;               /* 0: VPID off (or VPID 0) */
	bool ept;
	uint64_t eptp, shared;       /* 0 without EPT / without a shared EPT */
};

/* One cached translation: the 4 KiB piece at va for one privilege view. */
struct tlb_slot {
	uint64_t va;                 /* page | view bits (TLB_VIEW_*), 0: empty */
	uint64_t pa;                 /* page | rights (bit 1 << enum mmu_access) | shift << 3 */
	uint32_t gen;                /* valid while it equals the context's */
};

#define TLB_VIEW_VALID 1u
#define TLB_VIEW_USER  2u         /* filled at CPL 3 */
#define TLB_VIEW_AC    4u         /* ... with RFLAGS.AC set (SMAP) */

struct tlb_ctx {
	bool used;
	struct tlb_key key;
	uint32_t gen;                /* bumping it drops every slot */
	uint64_t stamp;              /* last made current (replacement) */
	bool filled;                 /* a slot was written since the last drop */
	bool state_set;
	uint64_t cr0, cr3, cr4, efer;
	/* The guest pages larger than 4 KiB it holds pieces of (base | shift). */
	uint64_t large[TLB_CTX_LARGE_MAX];
	unsigned nlarge;
	bool large_overflow;
	struct tlb_slot slot[TLB_CTX_SLOTS];
};

struct tlb_ctx_set {
	struct tlb_ctx ctx[TLB_CTX_MAX];
	unsigned nused;              /* those with `used` (never unset) */
	uint64_t clock;
};

static inline bool tlb_key_eq(const struct tlb_key *a, const struct tlb_key *b)
{
	return a->vpid == b->vpid && a->ept == b->ept && a->eptp == b->eptp && a->shared == b->shared;
}

/* The context for `k`, made empty (in place of the one current longest ago, never
 * `keep`) when there is none. */
struct tlb_ctx *tlb_ctx_get(struct tlb_ctx_set *s, const struct tlb_key *k, const struct tlb_ctx *keep);

void tlb_ctx_drop(struct tlb_ctx *c);

/* Binds the context to the control state of a fill, dropping it if it was filled
 * under another. */
void tlb_ctx_bind(struct tlb_ctx *c, uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer);

/* The cached piece for va in view `view`: true and *pa (page), *rights, *shift. */
bool tlb_ctx_lookup(const struct tlb_ctx *c, uint64_t va, unsigned view, uint64_t *pa,
		    unsigned *rights, unsigned *shift);
void tlb_ctx_insert(struct tlb_ctx *c, uint64_t va, unsigned view, uint64_t pa, unsigned rights,
		    unsigned shift);

/* Notes a piece of the large guest page (base | shift) around va. */
void tlb_ctx_note_large(struct tlb_ctx *c, uint64_t va, unsigned shift);

/* Whether la lies in a large page the context holds pieces of (or it lost count). */
bool tlb_ctx_in_large(const struct tlb_ctx *c, uint64_t la);

/* Drops what the context holds for la: its pieces in every view, or everything
 * when la lies in a large page. */
void tlb_ctx_invlpg(struct tlb_ctx *c, uint64_t la);

#endif
