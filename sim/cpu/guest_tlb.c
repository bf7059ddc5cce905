/* The guest engine's TLB with EPT: filled by a two-dimensional walk (the guest's
 * page tables, each of their addresses and the final one through the EPT). */
#include "sim/cpu/guest_tlb.h"

#include <string.h>

#include "sim/cpu/apicv.h"
#include "sim/cpu/exception.h"
#include "sim/cpu/insn_mem.h"
#include "sim/cpu/machine.h"

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

/* Notes what a fill rests on (see guest_tlb_enter). */
static void note_fill(struct guest_tlb *t, const struct mmu_ctx *c, const struct mmu_walk_log *log)
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
	t->kept[t->nkept++] = *log;
}

/* Notes that the TLB holds a piece of the large guest page around va. */
static void note_large(struct guest_tlb *t, uint64_t va, unsigned shift)
{
	uint64_t base = va & ~((1ull << shift) - 1);
	for (unsigned i = 0; i < t->nlarge; i++)
		if (t->large[i] == (base | shift))
			return;
	if (t->nlarge == GUEST_TLB_LARGE_MAX)
		t->large_overflow = true;
	else
		t->large[t->nlarge++] = base | shift;
}

void guest_tlb_invlpg(struct lp *lp, uint64_t la)
{
	struct guest_tlb *t = &lp->gtlb;
	bool in_large = t->large_overflow;
	for (unsigned i = 0; i < t->nlarge && !in_large; i++) {
		uint64_t mask = ~((1ull << (t->large[i] & 0x3f)) - 1);
		in_large = (la & mask) == (t->large[i] & mask);
	}
	if (in_large)
		guest_tlb_flush(lp);
}

#define PTE_AD 0x60ull   /* accessed (5) and dirty (6) */

/* Whether an entry a fill rested on still holds the value the fill left: only an
 * accessed or dirty flag may have been set since (a translation cached with fewer
 * rights walks again for the rest). */
static bool entry_holds(struct phys *pm, const struct mmu_walk_log *k, unsigned i)
{
	uint64_t now = k->wide[i] ? phys_read64(pm, k->hpa[i]) : phys_read32(pm, k->hpa[i]);
	uint64_t was = k->val[i];
	return ((now ^ was) & ~PTE_AD) == 0 && (now & was & PTE_AD) == (was & PTE_AD);
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
	for (unsigned i = 0; i < t->nkept; i++)
		for (unsigned j = 0; j < t->kept[i].n; j++)
			if (!entry_holds(&lp->m->pm, &t->kept[i], j))
				return false;
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
	struct mmu_ctx c;
	struct mmu_fault f;
	struct mmu_walk_log log;
	uint64_t pa;
	unsigned allowed;
	lp_mmu_ctx(lp, &c);
	int r = mmu_translate_logged(&lp->m->pm, &c, va, acc, 0, &pa, &allowed, &f, &log);
	if (r && f.kind == MMU_FAULT_PF && implicit_supervisor_fill(lp, &c, va, acc))
		r = mmu_translate_logged(&lp->m->pm, &c, va, acc, MMU_SUPERVISOR, &pa, &allowed, &f, &log);
	if (!r && (pa & ~0xfffull) == lp->gtlb.apic_page) {
		lp->gtlb.pending = true;
		lp->gtlb.fault_apic = true;
		lp->gtlb.fault_page = va & ~0xfffull;
		lp->gtlb.fault_acc = acc;
		return false;
	}
	if (!r) {
		e->paddr = pa & ~0xfffull;
		e->perms = rights_to_prot(allowed);
		note_fill(&lp->gtlb, &c, &log);
		if (log.page_shift > 12)
			note_large(&lp->gtlb, va, log.page_shift);
		return true;
	}
	lp->gtlb.pending = true;
	lp->gtlb.fault_apic = false;
	lp->gtlb.fault_page = va;
	lp->gtlb.fault_acc = acc;
	return false;
}

int guest_tlb_init(struct lp *lp)
{
	uc_hook h;
	lp->gtlb.apic_page = APICV_NO_PAGE;
	return uc_hook_add(lp->guest.uc, &h, UC_HOOK_TLB_FILL, (void *)on_tlb_fill, lp, 1, 0) == UC_ERR_OK ? 0 : -1;
}

void guest_tlb_flush(struct lp *lp)
{
	if (lp->guest.uc)
		uc_ctl_flush_tlb(lp->guest.uc);
	lp->gtlb.nkept = 0;
	lp->gtlb.kept_inexact = false;
	lp->gtlb.nlarge = 0;
	lp->gtlb.large_overflow = false;
}

void guest_tlb_switch_eptp(struct lp *lp, uint64_t eptp)
{
	lp->gtlb.tag_eptp = eptp;
	guest_tlb_flush(lp);
}

void guest_tlb_enter(struct lp *lp, bool ept, uint64_t eptp, bool keep)
{
	struct guest_tlb *t = &lp->gtlb;
	uint64_t apic_page = apicv_access_page(lp);
	bool same = true;   /* the TLB was filled under the same translation scheme */
	if (!t->virtual_mode) {
		uc_ctl_tlb_mode(lp->guest.uc, UC_TLB_VIRTUAL);
		t->virtual_mode = true;
		same = false;
	}
	if (apic_page != t->apic_page)
		same = false;
	t->apic_page = apic_page;
	if (ept ? t->tag_eptp != eptp : t->tag_eptp != 0)
		same = false;
	t->tag_eptp = ept ? eptp : 0;
	/* With EPT the fills also rest on EPT entries, which the logs do not list
	 * (kept_inexact): only a VPID keeps those. */
	if (!same || !(keep || kept_still_valid(lp)))
		guest_tlb_flush(lp);
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
