/* Translations kept per TLB context (tlb_ctx.h). */
#include "sim/cpu/tlb_ctx.h"

#include <string.h>

void tlb_ctx_drop(struct tlb_ctx *c)
{
	c->gen++;
	c->filled = false;
	c->state_set = false;
	c->nlarge = 0;
	c->large_overflow = false;
}

struct tlb_ctx *tlb_ctx_get(struct tlb_ctx_set *s, const struct tlb_key *k, const struct tlb_ctx *keep)
{
	struct tlb_ctx *victim = NULL;
	for (unsigned i = 0; i < TLB_CTX_MAX; i++) {
		struct tlb_ctx *c = &s->ctx[i];
		if (c->used && tlb_key_eq(&c->key, k)) {
			c->stamp = ++s->clock;
			return c;
		}
		if (c != keep && (!victim || !c->used || (victim->used && c->stamp < victim->stamp)))
			victim = c;
	}
	tlb_ctx_drop(victim);
	s->nused += !victim->used;
	victim->used = true;
	victim->key = *k;
	victim->stamp = ++s->clock;
	return victim;
}

void tlb_ctx_bind(struct tlb_ctx *c, uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer)
{
	if (c->state_set && c->cr0 == cr0 && c->cr3 == cr3 && c->cr4 == cr4 && c->efer == efer)
		return;
	if (c->state_set)
		tlb_ctx_drop(c);
	c->state_set = true;
	c->cr0 = cr0;
	c->cr3 = cr3;
	c->cr4 = cr4;
	c->efer = efer;
}

static unsigned slot_index(uint64_t va, unsigned view)
{
	uint64_t h = ((va >> 12) ^ view) * 0x9e3779b97f4a7c15ull;
	return (unsigned)(h >> 40) & (TLB_CTX_SLOTS - 1);
}

bool tlb_ctx_lookup(const struct tlb_ctx *c, uint64_t va, unsigned view, uint64_t *pa,
		    unsigned *rights, unsigned *shift)
{
	uint64_t tag = (va & ~0xfffull) | view | TLB_VIEW_VALID;
	const struct tlb_slot *sl = &c->slot[slot_index(va, view)];
	if (sl->va != tag || sl->gen != c->gen)
		return false;
	*pa = sl->pa & ~0xfffull;
	*rights = sl->pa & 7;
	*shift = (sl->pa >> 3) & 0x3f;
	return true;
}

void tlb_ctx_insert(struct tlb_ctx *c, uint64_t va, unsigned view, uint64_t pa, unsigned rights,
		    unsigned shift)
{
	struct tlb_slot *sl = &c->slot[slot_index(va, view)];
	sl->va = (va & ~0xfffull) | view | TLB_VIEW_VALID;
	sl->pa = (pa & ~0xfffull) | (rights & 7) | (uint64_t)shift << 3;
	sl->gen = c->gen;
	c->filled = true;
	if (shift > 12)
		tlb_ctx_note_large(c, va, shift);
}

void tlb_ctx_note_large(struct tlb_ctx *c, uint64_t va, unsigned shift)
{
	uint64_t base = va & ~((1ull << shift) - 1);
	for (unsigned i = 0; i < c->nlarge; i++)
		if (c->large[i] == (base | shift))
			return;
	if (c->nlarge == TLB_CTX_LARGE_MAX)
		c->large_overflow = true;
	else
		c->large[c->nlarge++] = base | shift;
}

bool tlb_ctx_in_large(const struct tlb_ctx *c, uint64_t la)
{
	if (c->large_overflow)
		return true;
	for (unsigned i = 0; i < c->nlarge; i++) {
		uint64_t mask = ~((1ull << (c->large[i] & 0x3f)) - 1);
		if ((la & mask) == (c->large[i] & mask))
			return true;
	}
	return false;
}

void tlb_ctx_invlpg(struct tlb_ctx *c, uint64_t la)
{
	if (tlb_ctx_in_large(c, la)) {
		tlb_ctx_drop(c);
		return;
	}
	for (unsigned view = 0; view < 8; view += 2) {
		struct tlb_slot *sl = &c->slot[slot_index(la, view)];
		if (sl->va == ((la & ~0xfffull) | view | TLB_VIEW_VALID))
			sl->va = 0;
	}
}
