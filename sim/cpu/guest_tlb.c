/* The guest engine's TLB with EPT: filled by a two-dimensional walk (the guest's
 * page tables, each of their addresses and the final one through the EPT). */
#include "sim/cpu/guest_tlb.h"

#include "sim/cpu/exception.h"
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

/* A poison slot for (va, acc): the same one again if the engine asks again. */
static unsigned poison_slot(struct guest_tlb *t, uint64_t va, enum mmu_access acc)
{
	for (unsigned i = 0; i < t->nslots; i++)
		if (t->slot[i].va == va && t->slot[i].acc == acc)
			return i;
	unsigned i = t->nslots < GUEST_TLB_POISON_SLOTS ? t->nslots++ : (unsigned)(va >> 12) % GUEST_TLB_POISON_SLOTS;
	/* Reusing a slot is safe: a stale entry that still points at it leads to a
	 * fresh walk of the slot's address, which finds no fault and runs again. */
	t->slot[i] = (struct guest_tlb_slot){ .va = va, .acc = acc };
	return i;
}

static bool on_tlb_fill(uc_engine *uc, uint64_t va, uc_mem_type type, uc_tlb_entry *e, void *user)
{
	struct lp *lp = user;
	enum mmu_access acc = type == UC_MEM_WRITE ? MMU_WRITE : type == UC_MEM_FETCH ? MMU_FETCH : MMU_READ;
	struct mmu_ctx c;
	struct mmu_fault f;
	uint64_t pa;
	unsigned allowed;
	lp_mmu_ctx(lp, &c);
	int r = mmu_translate_rights(&lp->m->pm, &c, va, acc, 0, &pa, &allowed, &f);
	if (r && f.kind == MMU_FAULT_PF && c.cpl == 3 && system_table_page(lp, va))
		r = mmu_translate_rights(&lp->m->pm, &c, va, acc, MMU_SUPERVISOR, &pa, &allowed, &f);
	if (!r) {
		e->paddr = pa & ~0xfffull;
		e->perms = rights_to_prot(allowed);
		return true;
	}
	unsigned i = poison_slot(&lp->gtlb, va, acc);
	e->paddr = GUEST_TLB_POISON_BASE + ((uint64_t)i << 12);
	e->perms = prot_of[acc];
	return true;
}

int guest_tlb_init(struct lp *lp)
{
	uc_hook h;
	return uc_hook_add(lp->guest.uc, &h, UC_HOOK_TLB_FILL, (void *)on_tlb_fill, lp, 1, 0) == UC_ERR_OK ? 0 : -1;
}

void guest_tlb_flush(struct lp *lp)
{
	if (lp->guest.uc)
		uc_ctl_flush_tlb(lp->guest.uc);
	lp->gtlb.nslots = 0;
}

void guest_tlb_enter(struct lp *lp, bool ept, uint64_t eptp, bool keep)
{
	struct guest_tlb *t = &lp->gtlb;
	if (ept != t->virtual_mode) {
		uc_ctl_tlb_mode(lp->guest.uc, ept ? UC_TLB_VIRTUAL : UC_TLB_CPU);
		t->virtual_mode = ept;
		keep = false;
	}
	if (ept && t->tag_eptp != eptp)
		keep = false;
	t->tag_eptp = ept ? eptp : 0;
	if (!keep)
		guest_tlb_flush(lp);
}

bool guest_tlb_on_poison(struct lp *lp, uint64_t addr)
{
	struct guest_tlb *t = &lp->gtlb;
	uint64_t i = (addr - GUEST_TLB_POISON_BASE) >> 12;
	if (!t->virtual_mode || i >= GUEST_TLB_POISON_SLOTS)
		return false;
	if (!t->pending) {  /* the first byte that faults is the one reported */
		t->pending = true;
		t->fault = t->slot[i];
		t->fault.va |= addr & 0xfff;
	}
	return false;       /* stops the engine at the instruction */
}

bool guest_tlb_take_fault(struct lp *lp)
{
	struct guest_tlb *t = &lp->gtlb;
	if (!t->pending)
		return false;
	t->pending = false;
	guest_tlb_flush(lp);
	/* Walk again with the exact address: that gives the exact CR2 or guest-physical
	 * address, and a translation fixed since the poison entry was made (a
	 * not-present entry needs no INVLPG) simply runs again. */
	struct mmu_ctx c;
	struct mmu_fault f;
	uint64_t pa;
	lp_mmu_ctx(lp, &c);
	unsigned flags = c.cpl == 3 && system_table_page(lp, t->fault.va) ? MMU_SUPERVISOR : 0;
	if (mmu_translate(&lp->m->pm, &c, t->fault.va, t->fault.acc, flags, &pa, &f))
		exc_page_fault(lp, &f);
	return true;
}
