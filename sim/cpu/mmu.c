/* The architected page walk (SDM Vol. 3, "Paging"). */
#include "sim/cpu/mmu.h"

#include "sim/cpu/ept.h"

#define CR0_PG   (1ull << 31)
#define CR0_WP   (1ull << 16)
#define CR4_PSE  (1ull << 4)
#define CR4_PAE  (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

#define PTE_P    (1ull << 0)
#define PTE_RW   (1ull << 1)
#define PTE_US   (1ull << 2)
#define PTE_A    (1ull << 5)
#define PTE_D    (1ull << 6)
#define PTE_PS   (1ull << 7)
#define PTE_XD   (1ull << 63)

/* What the walk accumulates over the levels it passes. */
struct walk {
	bool user_ok;      /* U/S=1 at every level */
	bool write_ok;     /* R/W=1 at every level */
	bool exec_ok;      /* XD=0 at every level */
};

static uint64_t addr_mask(unsigned maxphyaddr)
{
	return ((1ull << maxphyaddr) - 1) & ~0xfffull;
}

/* Reserved bits of a PAE/4-level entry at a level (4 = PML4, 3 = PDPT, 2 = PD,
 * 1 = PT; 5 = PML5), given whether it maps a page. */
static uint64_t rsvd_bits(const struct phys *pm, const struct mmu_ctx *c, int level, bool leaf)
{
	uint64_t r = ((1ull << 52) - 1) & ~((1ull << pm->maxphyaddr) - 1);
	if (!(c->efer & EFER_NXE))
		r |= PTE_XD;
	if (leaf && level == 2)
		r |= 0x1fe000ull;         /* bits 20:13 of a 2 MiB page */
	if (leaf && level == 3)
		r |= 0x3fffe000ull;       /* bits 29:13 of a 1 GiB page */
	if (level >= 4)
		r |= PTE_PS;              /* no large pages at PML4/PML5 */
	return r;
}

/* Reserved bits of a PAE PDPTE: 2:1, 8:5 and 63:MAXPHYADDR. */
static uint64_t pdpte_rsvd(const struct phys *pm)
{
	return 0x1e6ull | (~0ull << pm->maxphyaddr);
}

/* A guest paging-structure entry, found through the EPT when it is on. */
struct pte_loc {
	uint64_t gpa, hpa;
	unsigned rwx;         /* EPT rights on its page (all without EPT) */
};

static int ept_fault(struct mmu_fault *f, enum ept_outcome o, uint64_t gpa, uint64_t la,
		     unsigned acc, unsigned rwx, bool final, bool suppress_ve)
{
	f->suppress_ve = suppress_ve;
	f->kind = o == EPT_MISCONFIG ? MMU_FAULT_EPT_MISCONFIG :
		  o == EPT_PML_FULL ? MMU_FAULT_PML_FULL : MMU_FAULT_EPT_VIOLATION;
	f->la = la;
	f->gpa = gpa;
	f->final = final;
	f->error_code = 0;
	f->qualification = o == EPT_VIOLATION ? ept_violation_qualification(acc, rwx, true, final) : 0;
	return -1;
}

/* With EPT A/D flags on, the walk's accesses to guest paging structures count as
 * writes (SDM "Accessed and Dirty Flags for EPT"). A look (MMU_NO_AD) sets no EPT
 * flag either. */
static int pte_locate(struct phys *pm, const struct mmu_ctx *c, uint64_t gpa, uint64_t la,
		      unsigned flags, struct pte_loc *loc, struct mmu_fault *f)
{
	loc->gpa = gpa;
	loc->hpa = gpa;
	loc->rwx = EPT_R | EPT_W | EPT_X;
	if (!c->ept)
		return 0;
	/* A violation on such an access reports both read and write (SDM footnote to
	 * the EPT-violation qualification). */
	unsigned acc = c->ept->ad ? EPT_R | EPT_W : EPT_R;
	struct ept_walk w;
	enum ept_outcome o = ept_translate(pm, c->ept, gpa, acc | ((flags & MMU_NO_AD) ? EPT_LOOK : 0), &w);
	if (o != EPT_OK)
		return ept_fault(f, o, gpa, la, acc, w.rwx, false, w.suppress_ve);
	loc->hpa = w.hpa;
	loc->rwx = w.rwx;
	return 0;
}

/* Sets accessed/dirty bits in an entry; the write needs EPT write access. The
 * update is a locked read-modify-write of the entry (SDM Vol. 3, "Accessed and
 * Dirty Flags"; "Automatic Locking"): a violation on it reports a data read and a
 * data write (qualification bits 0 and 1). */
static int set_bits(struct phys *pm, const struct pte_loc *loc, uint64_t *e, uint64_t bits,
		    bool wide, unsigned flags, uint64_t la, struct mmu_fault *f)
{
	if ((flags & MMU_NO_AD) || (*e & bits) == bits)
		return 0;
	if (!(loc->rwx & EPT_W))
		return ept_fault(f, EPT_VIOLATION, loc->gpa, la, EPT_R | EPT_W, loc->rwx, false, true);
	*e |= bits;
	if (wide)
		phys_write64(pm, loc->hpa, *e);
	else
		phys_write32(pm, loc->hpa, (uint32_t)*e);
	return 0;
}

static int fault(struct mmu_fault *f, uint64_t la, uint32_t ec)
{
	f->kind = MMU_FAULT_PF;
	f->la = la;
	f->error_code = ec;
	return -1;
}

/* Applies the permission rules to the accumulated walk. */
static uint32_t check_perms(const struct mmu_ctx *c, const struct walk *w, enum mmu_access acc,
			    unsigned flags)
{
	bool user = c->cpl == 3 && !(flags & MMU_SUPERVISOR);
	if (user) {
		if (!w->user_ok)
			return PFEC_P;
		if (acc == MMU_WRITE && !w->write_ok)
			return PFEC_P;
	} else {
		if (acc == MMU_WRITE && !w->write_ok && (c->cr0 & CR0_WP))
			return PFEC_P;
		if (acc == MMU_FETCH && w->user_ok && (c->cr4 & CR4_SMEP))
			return PFEC_P;
		bool smap_exempt = !(flags & MMU_SUPERVISOR) && c->rflags_ac;
		if (acc != MMU_FETCH && w->user_ok && (c->cr4 & CR4_SMAP) && !smap_exempt)
			return PFEC_P;
	}
	if (acc == MMU_FETCH && !w->exec_ok)
		return PFEC_P;
	return 0;
}

/* The accesses a completed walk permits; writes only once the dirty bit is set. */
static unsigned walk_rights(const struct mmu_ctx *c, const struct walk *w, unsigned flags,
			    bool dirty)
{
	unsigned r = 0;
	for (int a = MMU_READ; a <= MMU_FETCH; a++)
		if (!check_perms(c, w, (enum mmu_access)a, flags) && (a != MMU_WRITE || dirty))
			r |= 1u << a;
	return r;
}

static uint32_t base_ec(const struct mmu_ctx *c, enum mmu_access acc, unsigned flags, bool nx_paging)
{
	uint32_t ec = 0;
	if (acc == MMU_WRITE)
		ec |= PFEC_W;
	if (c->cpl == 3 && !(flags & MMU_SUPERVISOR))
		ec |= PFEC_U;
	if (acc == MMU_FETCH && ((nx_paging && (c->efer & EFER_NXE)) || (c->cr4 & CR4_SMEP)))
		ec |= PFEC_I;
	return ec;
}

/* A paging-structure entry the translation rests on, as the walk left it. */
static void log_entry(struct mmu_walk_log *log, uint64_t hpa, uint64_t val, bool wide)
{
	if (!log)
		return;
	if (log->n == MMU_LOG_MAX) {
		log->exact = false;
		return;
	}
	log->hpa[log->n] = hpa;
	log->val[log->n] = val;
	log->wide[log->n] = wide;
	log->n++;
}

static void log_inexact(struct mmu_walk_log *log)
{
	if (log)
		log->exact = false;
}

/* 32-bit paging: CR4.PAE = 0. Gives the guest-physical address. */
static int walk32(struct phys *pm, const struct mmu_ctx *c, uint64_t la, enum mmu_access acc,
		  unsigned flags, uint64_t *pa, unsigned *allowed, struct mmu_fault *f,
		  struct mmu_walk_log *log)
{
	uint32_t ec = base_ec(c, acc, flags, false);
	struct pte_loc pdl, ptl;
	if (pte_locate(pm, c, (c->cr3 & 0xfffff000ull) + (((la >> 22) & 0x3ff) << 2), la, flags, &pdl, f))
		return -1;
	uint64_t pde = phys_read32(pm, pdl.hpa);
	if (!(pde & PTE_P))
		return fault(f, la, ec);
	struct walk w = { !!(pde & PTE_US), !!(pde & PTE_RW), true };
	if ((pde & PTE_PS) && (c->cr4 & CR4_PSE)) {
		if (pde & (1ull << 21))
			return fault(f, la, ec | PFEC_P | PFEC_RSVD);
		uint32_t pe = check_perms(c, &w, acc, flags);
		if (pe)
			return fault(f, la, ec | pe);
		if (set_bits(pm, &pdl, &pde, PTE_A | (acc == MMU_WRITE ? PTE_D : 0), false, flags, la, f))
			return -1;
		uint64_t hi = ((pde >> 13) & 0xff) << 32;   /* PSE-36 */
		*pa = (hi | (pde & 0xffc00000ull) | (la & 0x3fffff)) & ((1ull << pm->maxphyaddr) - 1);
		*allowed = walk_rights(c, &w, flags, pde & PTE_D);
		log_entry(log, pdl.hpa, pde, false);
		if (log)
			log->page_shift = 22;
		return 0;
	}
	if (pte_locate(pm, c, (pde & 0xfffff000ull) + (((la >> 12) & 0x3ff) << 2), la, flags, &ptl, f))
		return -1;
	uint64_t pte = phys_read32(pm, ptl.hpa);
	if (!(pte & PTE_P))
		return fault(f, la, ec);
	w.user_ok &= !!(pte & PTE_US);
	w.write_ok &= !!(pte & PTE_RW);
	uint32_t pe = check_perms(c, &w, acc, flags);
	if (pe)
		return fault(f, la, ec | pe);
	if (set_bits(pm, &pdl, &pde, PTE_A, false, flags, la, f) ||
	    set_bits(pm, &ptl, &pte, PTE_A | (acc == MMU_WRITE ? PTE_D : 0), false, flags, la, f))
		return -1;
	*pa = (pte & 0xfffff000ull) | (la & 0xfff);
	*allowed = walk_rights(c, &w, flags, pte & PTE_D);
	log_entry(log, pdl.hpa, pde, false);
	log_entry(log, ptl.hpa, pte, false);
	return 0;
}

/* PAE and 4/5-level paging. Gives the guest-physical address. */
static int walk64(struct phys *pm, const struct mmu_ctx *c, uint64_t la, enum mmu_access acc,
		  unsigned flags, uint64_t *pa, unsigned *allowed, struct mmu_fault *f,
		  struct mmu_walk_log *log)
{
	uint32_t ec = base_ec(c, acc, flags, true);
	bool lma = c->efer & EFER_LMA;
	int levels = lma ? ((c->cr4 & CR4_LA57) ? 5 : 4) : 3;
	uint64_t am = addr_mask(pm->maxphyaddr);
	uint64_t table = lma ? (c->cr3 & am) : (c->cr3 & 0xffffffe0ull);
	struct walk w = { true, true, true };
	struct pte_loc loc[5];
	uint64_t ent[5];
	int n = 0;

	for (int level = levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t idx = (la >> shift) & 0x1ff;
		if (!lma && level == 3)
			idx = (la >> 30) & 3;
		bool pdpte_legacy = !lma && level == 3;
		uint64_t e;
		if (pdpte_legacy && c->pdpte) {
			e = c->pdpte[idx];     /* a register, checked when it was loaded */
		} else {
			if (pte_locate(pm, c, table + idx * 8, la, flags, &loc[n], f))
				return -1;
			e = phys_read64(pm, loc[n].hpa);
		}
		if (!(e & PTE_P))
			return fault(f, la, ec);
		bool leaf = level == 1 || (!pdpte_legacy && level <= 3 && (e & PTE_PS));
		uint64_t rsvd = pdpte_legacy ? pdpte_rsvd(pm) : rsvd_bits(pm, c, level, leaf);
		if (e & rsvd)
			return fault(f, la, ec | PFEC_P | PFEC_RSVD);
		if (!pdpte_legacy) {
			w.user_ok &= !!(e & PTE_US);
			w.write_ok &= !!(e & PTE_RW);
			w.exec_ok &= !(c->efer & EFER_NXE) || !(e & PTE_XD);
		}
		ent[n++] = e;
		if (leaf) {
			uint32_t pe = check_perms(c, &w, acc, flags);
			if (pe)
				return fault(f, la, ec | pe);
			for (int i = 0; i < n; i++) {
				bool last = i == n - 1;
				/* PAE paging's PDPTEs have no accessed bit (bit 5 is reserved
				 * there), and when they come from the registers they have no
				 * place in memory either (loc[0] is not filled). */
				if (!lma && i == 0)
					continue;
				uint64_t bits = PTE_A | (last && acc == MMU_WRITE ? PTE_D : 0);
				if (set_bits(pm, &loc[i], &ent[i], bits, true, flags, la, f))
					return -1;
			}
			uint64_t page_mask = (1ull << shift) - 1;
			*pa = (e & am & ~page_mask) | (la & page_mask);
			*allowed = walk_rights(c, &w, flags, ent[n - 1] & PTE_D);
			for (int i = 0; i < n; i++) {
				/* PAE paging's first entry is a PDPTE register, loaded when
				 * CR3 was: not something a later look at memory can vouch for. */
				if (!lma && i == 0)
					log_inexact(log);
				else
					log_entry(log, loc[i].hpa, ent[i], true);
			}
			if (log)
				log->page_shift = (uint8_t)shift;
			return 0;
		}
		table = e & am;
	}
	return fault(f, la, ec); /* not reached */
}

int mmu_load_pdptes(struct phys *pm, const struct mmu_ctx *c, uint64_t cr3, uint64_t out[4],
		    struct mmu_fault *f)
{
	struct pte_loc loc;
	uint64_t table = cr3 & 0xffffffe0ull;
	for (unsigned i = 0; i < 4; i++) {
		if (pte_locate(pm, c, table + 8 * i, 0, 0, &loc, f)) {
			f->qualification &= ~(3ull << 7);   /* no linear address: not a translation */
			return -1;
		}
		out[i] = phys_read64(pm, loc.hpa);
	}
	for (unsigned i = 0; i < 4; i++)
		if ((out[i] & PTE_P) && (out[i] & pdpte_rsvd(pm)))
			return 1;
	return 0;
}

static const unsigned ept_acc[] = { [MMU_READ] = EPT_R, [MMU_WRITE] = EPT_W, [MMU_FETCH] = EPT_X };

int mmu_translate_logged(struct phys *pm, const struct mmu_ctx *c, uint64_t la,
			 enum mmu_access acc, unsigned flags, uint64_t *pa, unsigned *allowed,
			 struct mmu_fault *f, struct mmu_walk_log *log)
{
	uint64_t gpa;
	int r;
	if (log) {
		log->n = 0;
		log->page_shift = 12;
		/* Through the EPT, the translation also rests on EPT entries. */
		log->exact = c->ept == NULL;
	}
	if (!(c->cr0 & CR0_PG)) {
		gpa = (c->efer & EFER_LMA) ? la : (la & 0xffffffffull);
		*allowed = 7;
		r = 0;
	} else {
		if (!(c->efer & EFER_LMA))
			la &= 0xffffffffull;
		r = (c->cr4 & CR4_PAE) ? walk64(pm, c, la, acc, flags, &gpa, allowed, f, log)
				       : walk32(pm, c, la, acc, flags, &gpa, allowed, f, log);
	}
	if (r || !c->ept) {
		*pa = gpa;
		return r;
	}
	struct ept_walk w;
	enum ept_outcome o = ept_translate(pm, c->ept, gpa,
					   ept_acc[acc] | ((flags & MMU_NO_AD) ? EPT_LOOK : 0), &w);
	if (o != EPT_OK)
		return ept_fault(f, o, gpa, la, ept_acc[acc], w.rwx, true, w.suppress_ve);
	*pa = w.hpa;
	unsigned er = 0;
	for (int a = MMU_READ; a <= MMU_FETCH; a++)
		if ((w.rwx & ept_acc[a]) && (a != MMU_WRITE || w.dirty))
			er |= 1u << a;
	*allowed &= er;
	return 0;
}

int mmu_translate_rights(struct phys *pm, const struct mmu_ctx *c, uint64_t la,
			 enum mmu_access acc, unsigned flags, uint64_t *pa, unsigned *allowed,
			 struct mmu_fault *f)
{
	return mmu_translate_logged(pm, c, la, acc, flags, pa, allowed, f, NULL);
}

int mmu_translate(struct phys *pm, const struct mmu_ctx *c, uint64_t la,
		  enum mmu_access acc, unsigned flags, uint64_t *pa, struct mmu_fault *f)
{
	unsigned allowed;
	return mmu_translate_rights(pm, c, la, acc, flags, pa, &allowed, f);
}

static int access(struct phys *pm, const struct mmu_ctx *c, uint64_t la, void *rbuf,
		  const void *wbuf, size_t n, enum mmu_access acc, unsigned flags,
		  struct mmu_fault *f)
{
	/* Translate every page first, so a fault on the second page of a write leaves
	 * the first untouched. At most three pages for the accesses we make. */
	uint64_t pas[4];
	size_t lens[4];
	int np = 0;
	uint64_t cur = la;
	size_t left = n;
	while (left) {
		size_t in_page = 4096 - (cur & 0xfff);
		size_t len = left < in_page ? left : in_page;
		if (np == 4)
			return fault(f, cur, 0); /* callers never ask this much */
		if (mmu_translate(pm, c, cur, acc, flags, &pas[np], f))
			return -1;
		lens[np++] = len;
		cur += len;
		left -= len;
	}
	size_t off = 0;
	for (int i = 0; i < np; i++) {
		if (rbuf)
			phys_read(pm, pas[i], (uint8_t *)rbuf + off, lens[i]);
		else
			phys_write(pm, pas[i], (const uint8_t *)wbuf + off, lens[i]);
		off += lens[i];
	}
	return 0;
}

int mmu_read(struct phys *pm, const struct mmu_ctx *c, uint64_t la, void *buf, size_t n,
	     unsigned flags, struct mmu_fault *f)
{
	return access(pm, c, la, buf, NULL, n, MMU_READ, flags, f);
}

int mmu_write(struct phys *pm, const struct mmu_ctx *c, uint64_t la, const void *buf,
	      size_t n, unsigned flags, struct mmu_fault *f)
{
	return access(pm, c, la, NULL, buf, n, MMU_WRITE, flags, f);
}

int mmu_fetch(struct phys *pm, const struct mmu_ctx *c, uint64_t la, void *buf, size_t n,
	      unsigned flags, struct mmu_fault *f)
{
	return access(pm, c, la, buf, NULL, n, MMU_FETCH, flags, f);
}
