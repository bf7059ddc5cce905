/* The guest engine's TLB with EPT: filled by a two-dimensional walk (the guest's
 * page tables, each of their addresses and the final one through the EPT). */
#include "sim/cpu/guest_tlb.h"

#include <stdlib.h>
#include <string.h>

#include "sim/cpu/apicv.h"
#include "sim/cpu/exception.h"
#include "sim/cpu/insn_mem.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/noncanon.h"

static const uint32_t prot_of[] = { [MMU_READ] = UC_PROT_READ, [MMU_WRITE] = UC_PROT_WRITE,
				    [MMU_FETCH] = UC_PROT_EXEC };

static uint32_t rights_to_prot(unsigned allowed)
{
	uint32_t p = 0;
	for (int a = MMU_READ; a <= MMU_FETCH; a++)
		if (allowed & (1u << a))
			p |= prot_of[a];
	return p;
}

static bool overlaps(uint64_t page, uint64_t base, uint64_t limit)
{
	return page <= base + limit && base <= page + 0xfff;
}

/* The engine fills its TLB for descriptor-table and TSS reads as supervisor
 * accesses even at CPL 3, but does not say which fill is which: a page that holds
 * one of those tables is given its supervisor translation. */
static bool system_table_page(struct lp *lp, uint64_t page)
{
	uc_x86_mmr gdtr, idtr;
	uc_reg_read(lp->uc, UC_X86_REG_GDTR, &gdtr);
	uc_reg_read(lp->uc, UC_X86_REG_IDTR, &idtr);
	struct seg ldtr, tr;
	cpustate_get_seg(&lp->cs, SEG_LDTR, &ldtr);
	cpustate_get_seg(&lp->cs, SEG_TR, &tr);
	return overlaps(page, gdtr.base, gdtr.limit) || overlaps(page, idtr.base, idtr.limit) ||
	       overlaps(page, ldtr.base, ldtr.limit) || overlaps(page, tr.base, tr.limit);
}

/* A fill at CPL 3 that only the supervisor may make: the engine's own reads of a
 * descriptor table or the TSS (it does not say which fill is one). A page that holds
 * such a table is given its supervisor translation unless the instruction itself
 * names the page (a fetch, or an explicit operand: the user access that must #PF). */
static bool implicit_supervisor_fill(struct lp *lp, const struct mmu_ctx *c, uint64_t va,
				     enum mmu_access acc)
{
	uint64_t page = va & ~0xfffull, la;
	return c->cpl == 3 && acc != MMU_FETCH && system_table_page(lp, page) &&
	       insn_mem_access_in_page(lp, page, acc == MMU_WRITE, &la) != 0;
}

/* Adds the paging entries of a new log to those an entry reads again: false when
 * one is not in memory the simulator can read in place. */
static bool note_entries(struct guest_tlb *t, const struct phys *pm, const struct mmu_walk_log *log)
{
	for (unsigned j = 0; j < log->n; j++) {
		const uint8_t *at = phys_byte(pm, log->hpa[j]);
		if (!at)
			return false;
		unsigned i = 0;
		while (i < t->nkept_entries && !(t->kept_entry[i].at == at && t->kept_entry[i].val == log->val[j] &&
						 t->kept_entry[i].wide == log->wide[j]))
			i++;
		if (i == t->nkept_entries)
			t->kept_entry[t->nkept_entries++] = (struct kept_entry){ at, log->val[j], log->wide[j] };
	}
	return true;
}

/* Notes what a fill rests on (see guest_tlb_enter). */
static void note_fill(struct guest_tlb *t, const struct phys *pm, const struct mmu_ctx *c,
		      const struct mmu_walk_log *log)
{
	if (t->kept_inexact)
		return;
	if (!log->exact || t->nkept == GUEST_TLB_KEPT_MAX) {
		t->kept_inexact = true;
		return;
	}
	if (t->nkept == 0) {
		t->kept_cr0 = c->cr0;
		t->kept_cr3 = c->cr3;
		t->kept_cr4 = c->cr4;
		t->kept_efer = c->efer;
	} else if (c->cr0 != t->kept_cr0 || c->cr3 != t->kept_cr3 || c->cr4 != t->kept_cr4 ||
		   c->efer != t->kept_efer) {
		t->kept_inexact = true;
		return;
	}
	for (unsigned i = 0; i < t->nkept; i++) {
		const struct mmu_walk_log *k = &t->kept[i];
		if (k->n == log->n && !memcmp(k->hpa, log->hpa, log->n * sizeof(log->hpa[0])) &&
		    !memcmp(k->val, log->val, log->n * sizeof(log->val[0])))
			return;
	}
	if (!note_entries(t, pm, log)) {
		t->kept_inexact = true;
		return;
	}
	t->kept[t->nkept++] = *log;
}

/* The engine's TLB: emptied whenever the context it was filled from loses a
 * translation or stops being current. */
static void engine_tlb_flush(struct lp *lp)
{
	if (lp->guest.uc)
		uc_ctl_flush_tlb(lp->guest.uc);
	lp->gtlb.nkept = 0;
	lp->gtlb.nkept_entries = 0;
	/* Fills answered from the context rest on walks the logs no longer hold. */
	lp->gtlb.kept_inexact = lp->gtlb.cur && lp->gtlb.cur->filled;
}

/* Drops a context; the engine's TLB too when it is the current one. */
static void drop_ctx(struct lp *lp, struct tlb_ctx *c)
{
	tlb_ctx_drop(c);
	if (c == lp->gtlb.cur)
		engine_tlb_flush(lp);
}

/* The contexts an invalidation names: each that `match` accepts. */
typedef bool (*ctx_match_fn)(const struct tlb_ctx *c, uint64_t arg);

static void drop_matching(struct lp *lp, ctx_match_fn match, uint64_t arg)
{
	if (!lp->gtlb.ctxs)
		return;
	for (unsigned i = 0; i < TLB_CTX_MAX; i++) {
		struct tlb_ctx *c = &lp->gtlb.ctxs->ctx[i];
		if (c->used && match(c, arg))
			drop_ctx(lp, c);
	}
}

static bool match_any(const struct tlb_ctx *c, uint64_t arg)
{
	(void)c;
	(void)arg;
	return true;
}

static bool match_vpid(const struct tlb_ctx *c, uint64_t vpid)
{
	return c->key.vpid == vpid;
}

static bool match_some_vpid(const struct tlb_ctx *c, uint64_t arg)
{
	(void)arg;
	return c->key.vpid != 0;
}

#define EPTRTA(eptp) ((eptp) & 0x000ffffffffff000ull)

/* The EPT root names a context's guest-physical view (its EPTP, or a TD's shared EPTP). */
static bool match_eptrta(const struct tlb_ctx *c, uint64_t eptp)
{
	return c->key.ept && (EPTRTA(c->key.eptp) == EPTRTA(eptp) ||
			      (c->key.shared && EPTRTA(c->key.shared) == EPTRTA(eptp)));
}

void guest_tlb_invlpg(struct lp *lp, uint64_t la)
{
	struct tlb_ctx *cur = lp->gtlb.cur;
	if (!cur)
		return;
	/* The engine drops only the piece la is in: the rest of a large page goes here. */
	if (tlb_ctx_in_large(cur, la))
		engine_tlb_flush(lp);
	for (unsigned i = 0; i < TLB_CTX_MAX; i++) {
		struct tlb_ctx *c = &lp->gtlb.ctxs->ctx[i];
		if (c->used && c->key.vpid == cur->key.vpid)
			tlb_ctx_invlpg(c, la);
	}
}

void guest_tlb_invalidate_vpid(struct lp *lp)
{
	if (lp->gtlb.cur)
		drop_matching(lp, match_vpid, lp->gtlb.cur->key.vpid);
}

#define PTE_AD 0x60ull   /* accessed (5) and dirty (6) */

/* Whether an entry a fill rested on still holds the value the fill left: only an
 * accessed or dirty flag may have been set since (a translation cached with fewer
 * rights walks again for the rest). */
static bool entry_holds(const struct kept_entry *e)
{
	uint64_t now;
	if (e->wide) {
		memcpy(&now, e->at, 8);
	} else {
		uint32_t w;
		memcpy(&w, e->at, 4);
		now = w;
	}
	/* No bit differs but an accessed or dirty flag that was clear. */
	return ((now ^ e->val) & (~PTE_AD | e->val)) == 0;
}

/* Whether every translation filled since the last flush would be filled again the
 * same under the control state the guest enters with. */
static bool kept_still_valid(struct lp *lp)
{
	struct guest_tlb *t = &lp->gtlb;
	if (t->kept_inexact)
		return false;
	if (t->nkept == 0)
		return true;
	uint64_t cr0, cr3, cr4, efer;
	cpustate_control(&lp->guest.cs, &cr0, &cr3, &cr4, &efer);
	if (cr0 != t->kept_cr0 || cr3 != t->kept_cr3 || cr4 != t->kept_cr4 || efer != t->kept_efer)
		return false;
	for (unsigned i = 0; i < t->nkept_entries; i++)
		if (!entry_holds(&t->kept_entry[i]))
			return false;
	return true;
}

/* Whether a fill may be answered from, and kept in, the current context: not under
 * PAE paging (its PDPTE registers are not part of the context), and only under the
 * control state the context is bound to (a new one drops it). */
static bool cacheable(struct lp *lp, const struct mmu_ctx *c)
{
	struct tlb_ctx *cx = lp->gtlb.cur;
	bool pae = (c->cr0 & (1ull << 31)) && (c->cr4 & (1ull << 5)) && !(c->efer & (1ull << 10));
	if (!cx || (pae && c->pdpte))
		return false;
	tlb_ctx_bind(cx, c->cr0, c->cr3, c->cr4, c->efer);
	return true;
}

static bool on_tlb_fill(uc_engine *uc, uint64_t va, uc_mem_type type, uc_tlb_entry *e, void *user)
{
	struct lp *lp = user;
	if (lp->gtlb.identity) {
		e->paddr = va & ~0xfffull;
		e->perms = UC_PROT_ALL;
		return true;
	}
	enum mmu_access acc = type == UC_MEM_WRITE ? MMU_WRITE : type == UC_MEM_FETCH ? MMU_FETCH : MMU_READ;
	/* The engine leaves the canonical check to the fill it asks vtsim for. */
	if (!la_canonical(va, 0) && noncanon_in_64bit_mode(lp, va)) {
		lp->gtlb.pending = true;
		lp->gtlb.fault_apic = false;
		lp->gtlb.fault_noncanon = true;
		lp->gtlb.fault_page = va;
		lp->gtlb.fault_acc = acc;
		return false;
	}
	struct mmu_ctx c;
	struct mmu_fault f;
	struct mmu_walk_log log;
	uint64_t pa;
	unsigned allowed;
	lp_mmu_ctx(lp, &c);
	struct tlb_ctx *cx = cacheable(lp, &c) ? lp->gtlb.cur : NULL;
	unsigned view = (c.cpl == 3 ? TLB_VIEW_USER : 0) | (c.rflags_ac ? TLB_VIEW_AC : 0), shift;
	if (cx && tlb_ctx_lookup(cx, va, view, &pa, &allowed, &shift) && (allowed & (1u << acc)) &&
	    pa != lp->gtlb.apic_page) {
		e->paddr = pa;
		e->perms = rights_to_prot(allowed);
		return true;
	}
	int r = mmu_translate_logged(&lp->m->pm, &c, va, acc, 0, &pa, &allowed, &f, &log);
	if (r && f.kind == MMU_FAULT_PF && implicit_supervisor_fill(lp, &c, va, acc)) {
		r = mmu_translate_logged(&lp->m->pm, &c, va, acc, MMU_SUPERVISOR, &pa, &allowed, &f, &log);
		cx = NULL;           /* rights only this instruction has */
	}
	if (!r && (pa & ~0xfffull) == lp->gtlb.apic_page) {
		lp->gtlb.pending = true;
		lp->gtlb.fault_apic = true;
		lp->gtlb.fault_noncanon = false;
		lp->gtlb.fault_page = va & ~0xfffull;
		lp->gtlb.fault_acc = acc;
		return false;
	}
	if (!r) {
		e->paddr = pa & ~0xfffull;
		e->perms = rights_to_prot(allowed);
		note_fill(&lp->gtlb, &lp->m->pm, &c, &log);
		if (cx)
			tlb_ctx_insert(cx, va, view, pa, allowed, log.page_shift);
		else if (lp->gtlb.cur && log.page_shift > 12)
			tlb_ctx_note_large(lp->gtlb.cur, va, log.page_shift);
		return true;
	}
	lp->gtlb.pending = true;
	lp->gtlb.fault_apic = false;
	lp->gtlb.fault_noncanon = false;
	lp->gtlb.fault_page = va;
	lp->gtlb.fault_acc = acc;
	return false;
}

int guest_tlb_init(struct lp *lp)
{
	uc_hook h;
	lp->gtlb.apic_page = APICV_NO_PAGE;
	lp->gtlb.ctxs = calloc(1, sizeof(*lp->gtlb.ctxs));
	if (!lp->gtlb.ctxs)
		return -1;
	return uc_hook_add(lp->guest.uc, &h, UC_HOOK_TLB_FILL, (void *)on_tlb_fill, lp, 1, 0) == UC_ERR_OK ? 0 : -1;
}

void guest_tlb_fini(struct lp *lp)
{
	free(lp->gtlb.ctxs);
	lp->gtlb.ctxs = NULL;
	lp->gtlb.cur = NULL;
}

void guest_tlb_flush(struct lp *lp)
{
	engine_tlb_flush(lp);
	drop_matching(lp, match_any, 0);
}

void guest_tlb_invept(struct lp *lp, unsigned type, uint64_t eptp)
{
	if (type == 1)
		drop_matching(lp, match_eptrta, eptp);
	else
		drop_matching(lp, match_any, 0);
}

void guest_tlb_invvpid(struct lp *lp, unsigned type, uint16_t vpid, uint64_t la)
{
	if (type == 0 && lp->gtlb.ctxs) {
		for (unsigned i = 0; i < TLB_CTX_MAX; i++) {
			struct tlb_ctx *c = &lp->gtlb.ctxs->ctx[i];
			if (!c->used || c->key.vpid != vpid)
				continue;
			/* The engine's own TLB cannot drop one address for us. */
			if (c == lp->gtlb.cur)
				engine_tlb_flush(lp);
			tlb_ctx_invlpg(c, la);
		}
	} else if (type == 2) {
		drop_matching(lp, match_some_vpid, 0);
	} else {
		drop_matching(lp, match_vpid, vpid);
	}
}

/* Makes the context of `k` current; the engine's TLB, filled from another, empties.
 * Inline: every VM entry asks, nearly always for the context already current. */
static inline __attribute__((always_inline)) void switch_ctx(struct lp *lp, const struct tlb_key *k)
{
	struct guest_tlb *t = &lp->gtlb;
	/* Nearly every entry runs in the context the last one did: no search then. */
	if (t->cur && tlb_key_eq(&t->cur->key, k)) {
		t->cur->stamp = ++t->ctxs->clock;
		return;
	}
	struct tlb_ctx *c = tlb_ctx_get(t->ctxs, k, t->cur);
	if (c == t->cur)
		return;
	engine_tlb_flush(lp);
	t->cur = c;
	t->tag_eptp = k->ept ? k->eptp : 0;
	/* The kept logs cover fills since the engine's TLB was emptied, not what the
	 * context held before. */
	t->kept_inexact = c->filled;
}

void guest_tlb_switch_eptp(struct lp *lp, uint64_t eptp)
{
	struct tlb_key k = lp->gtlb.cur ? lp->gtlb.cur->key : (struct tlb_key){ 0 };
	k.ept = true;
	k.eptp = eptp;
	switch_ctx(lp, &k);
}

/* Without VPID a VM entry invalidates the translations tagged with VPID 0, except
 * the current context's when keeping them cannot be seen (kept_still_valid). */
static void drop_vpid0(struct lp *lp, const struct tlb_ctx *target)
{
	struct guest_tlb *t = &lp->gtlb;
	/* With one context in use (one VM, or VPIDs unused) it is the target. */
	for (unsigned i = 0; t->ctxs->nused > 1 && i < TLB_CTX_MAX; i++) {
		struct tlb_ctx *c = &t->ctxs->ctx[i];
		if (c->used && c->key.vpid == 0 && c != target)
			drop_ctx(lp, c);
	}
	if (target->key.vpid == 0 && !kept_still_valid(lp))
		drop_ctx(lp, t->cur);
}

void guest_tlb_enter(struct lp *lp, const struct tlb_key *k)
{
	struct guest_tlb *t = &lp->gtlb;
	uint64_t apic_page = apicv_access_page(lp);
	if (!t->virtual_mode) {
		uc_ctl_tlb_mode(lp->guest.uc, UC_TLB_VIRTUAL);
		t->virtual_mode = true;
		engine_tlb_flush(lp);
	}
	/* The engine's TLB may map the page that now is the APIC-access page. */
	if (apic_page != t->apic_page)
		engine_tlb_flush(lp);
	t->apic_page = apic_page;
	switch_ctx(lp, k);
	drop_vpid0(lp, t->cur);
}

/* The exact linear address the faulting access used: the instruction's own
 * bytes for a fetch, its decoded operand for data; the page when decoding fails. */
static uint64_t fault_address(struct lp *lp, uint64_t page, enum mmu_access acc)
{
	struct cpu_view v;
	cpustate_view(&lp->cs, &v);
	if (acc == MMU_FETCH) {
		uint64_t rip = v.rip + (cpu_view_long64(&v) ? 0 : v.segs[SEG_CS].base);
		return (rip & ~0xfffull) == page ? rip : page;
	}
	uint64_t la;
	return insn_mem_access_in_page(lp, page, acc == MMU_WRITE, &la) ? page : la;
}

bool guest_tlb_take_fault(struct lp *lp, uc_err e)
{
	struct guest_tlb *t = &lp->gtlb;
	if (!t->pending)
		return false;
	t->pending = false;
	/* A fill that failed for a probe the engine then did without leaves nothing
	 * to deliver: only a stop by the engine's exception path is one. */
	if (e != UC_ERR_EXCEPTION)
		return false;
	if (t->fault_apic) {
		apicv_access(lp, t->fault_page, t->fault_acc);
		return true;
	}
	if (t->fault_noncanon) {
		if (t->fault_acc == MMU_FETCH)
			noncanon_fetch_fault(lp);
		else
			noncanon_data_fault(lp);
		return true;
	}
	/* Walk again with the exact address: that gives the exact CR2 or guest-physical
	 * address, and a translation fixed in between simply runs again. */
	struct mmu_ctx c;
	struct mmu_fault f;
	uint64_t pa;
	lp_mmu_ctx(lp, &c);
	uint64_t la = fault_address(lp, t->fault_page, t->fault_acc);
	unsigned flags = implicit_supervisor_fill(lp, &c, t->fault_page, t->fault_acc) ? MMU_SUPERVISOR : 0;
	if (mmu_translate(&lp->m->pm, &c, la, t->fault_acc, flags, &pa, &f))
		exc_page_fault(lp, &f);
	return true;
}
