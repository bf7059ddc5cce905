/* The EPT walk (SDM Vol. 3, "EPT Translation Mechanism", "EPT Misconfigurations",
 * "EPT Violations", "Accessed and Dirty Flags for EPT"). */
#include "sim/cpu/ept.h"

#include "sim/cpu/pml.h"

#define EPTE_PS    (1ull << 7)
#define EPTE_A     (1ull << 8)
#define EPTE_D     (1ull << 9)

void ept_init(struct ept *e, uint64_t eptp, uint64_t cap, unsigned maxphyaddr)
{
	e->eptp = eptp;
	e->maxphyaddr = maxphyaddr;
	e->root = eptp & ((1ull << maxphyaddr) - 1) & ~0xfffull;
	e->levels = ((eptp >> 3) & 7) + 1;
	e->ad = (eptp >> 6) & 1;
	e->exec_only = cap & 1;
	e->pages_2m = (cap >> 16) & 1;
	e->pages_1g = (cap >> 17) & 1;
	e->shared_bit = 0;
	e->shared_root = 0;
	e->pml = NULL;
}

/* Is a present entry misconfigured (SDM "EPT Misconfigurations")? */
static bool misconfigured(const struct ept *e, uint64_t ent, int level, bool leaf)
{
	unsigned rwx = ent & 7;
	if ((rwx & EPT_W) && !(rwx & EPT_R))
		return true;                         /* write without read */
	if (rwx == EPT_X && !e->exec_only)
		return true;                         /* execute-only, not supported */
	uint64_t rsvd = ((1ull << 52) - 1) & ~((1ull << e->maxphyaddr) - 1);
	if (!leaf)
		rsvd |= 0xf8;                        /* bits 7:3 of a table reference */
	else if (level == 2)
		rsvd |= 0x1ff000;                    /* bits 20:12 of a 2 MiB page */
	else if (level == 3)
		rsvd |= 0x3ffff000;                  /* bits 29:12 of a 1 GiB page */
	if (ent & rsvd)
		return true;
	if (leaf) {
		unsigned mt = (ent >> 3) & 7;
		if (mt == 2 || mt == 3 || mt == 7)
			return true;                 /* reserved memory types */
	}
	return false;
}

/* Does the entry at `level` map a page? */
static bool is_leaf(const struct ept *e, uint64_t ent, int level)
{
	if (level == 1)
		return true;
	if (!(ent & EPTE_PS))
		return false;
	return (level == 2 && e->pages_2m) || (level == 3 && e->pages_1g);
}

/* The accessed flags of the entries the walk used (ent_pa[0..n)), and the leaf's
 * dirty flag for a write (SDM "Accessed and Dirty Flags for EPT"); with PML, a
 * flag to set needs room in the log, and a dirty flag set is logged. */
static enum ept_outcome set_flags(struct phys *pm, const struct ept *e, uint64_t gpa, unsigned acc,
				  const uint64_t *ent_pa, int n, struct ept_walk *w)
{
	uint64_t val[5], set[5];
	bool any = false;
	for (int i = 0; i < n; i++) {
		val[i] = phys_read64(pm, ent_pa[i]);
		set[i] = EPTE_A | (i == n - 1 && (acc & EPT_W) ? EPTE_D : 0);
		any |= (val[i] & set[i]) != set[i];
	}
	w->dirty = ((val[n - 1] | set[n - 1]) & EPTE_D) != 0;
	if (!any)
		return EPT_OK;
	if (e->pml && !pml_has_room(e->pml))
		return EPT_PML_FULL;
	for (int i = 0; i < n; i++)
		if ((val[i] & set[i]) != set[i])
			phys_write64(pm, ent_pa[i], val[i] | set[i]);
	if (e->pml && (set[n - 1] & ~val[n - 1] & EPTE_D))
		pml_log(pm, e->pml, gpa);
	return EPT_OK;
}

enum ept_outcome ept_translate(struct phys *pm, const struct ept *e, uint64_t gpa, unsigned acc,
			       struct ept_walk *w)
{
	uint64_t am = ((1ull << e->maxphyaddr) - 1) & ~0xfffull;
	uint64_t table = (gpa & e->shared_bit) ? e->shared_root : e->root;
	uint64_t ent_pa[5];
	int n = 0;
	bool look = acc & EPT_LOOK;
	acc &= ~EPT_LOOK;
	w->rwx = EPT_R | EPT_W | EPT_X;
	w->dirty = false;
	for (int level = (int)e->levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t epa = table + ((gpa >> shift) & 0x1ff) * 8;
		uint64_t ent = phys_read64(pm, epa);
		w->rwx &= ent & 7;
		w->suppress_ve = ent >> 63;
		if (!(ent & 7))
			return EPT_VIOLATION;                /* not present */
		/* Bit 7 is reserved in a PML4E and PML5E, and in a PDPTE/PDE where the
		 * page size is not supported. */
		bool ps_rsvd = (ent & EPTE_PS) && (level >= 4 || (level == 3 && !e->pages_1g) ||
						   (level == 2 && !e->pages_2m));
		bool leaf = is_leaf(e, ent, level);
		if (ps_rsvd || misconfigured(e, ent, level, leaf))
			return EPT_MISCONFIG;
		ent_pa[n++] = epa;
		if (!leaf) {
			table = ent & am;
			continue;
		}
		if ((acc & w->rwx) != acc)
			return EPT_VIOLATION;
		uint64_t page_mask = (1ull << shift) - 1;
		w->hpa = (ent & am & ~page_mask) | (gpa & page_mask);
		if (!e->ad) {
			w->dirty = true;  /* no dirty flag to maintain: writes need no refill */
			return EPT_OK;
		}
		if (look) {
			w->dirty = (ent & EPTE_D) != 0;
			return EPT_OK;
		}
		return set_flags(pm, e, gpa, acc, ent_pa, n, w);
	}
	return EPT_VIOLATION; /* not reached: level 1 always maps */
}

uint64_t ept_violation_qualification(unsigned acc, unsigned rwx, bool linear_valid, bool final)
{
	uint64_t q = (acc & 7) | ((uint64_t)(rwx & 7) << 3);
	if (linear_valid)
		q |= 1ull << 7 | (final ? 1ull << 8 : 0);
	return q;
}
