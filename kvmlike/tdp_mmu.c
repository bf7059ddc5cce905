/* Two-dimensional paging's host half (Linux arch/x86/kvm/mmu/tdp_mmu.c, reduced):
 * EPT tables in kvmlike's pages, filled one 4 KiB page at a time as EPT violations
 * show which guest-physical pages the guest uses. */
#include "kvmlike/kvm_x86.h"

#define EPT_RWX      7ull
#define EPT_MT_WB    (6ull << 3)
#define EPT_ADDR(e)  ((e) & 0x000ffffffffff000ull)

#define EPT_SUPPRESS_VE (1ull << 63)

/* Linux's MMIO SPTE for EPT (shadow_mmio_value): write and execute without read,
 * a misconfiguration, so the next access to the page is an EPT-misconfiguration exit
 * that is known to be MMIO without a memslot search. The memslot generation it was
 * made under sits in bits 57:52, which EPT ignores. */
#define EPT_MMIO_VALUE   6ull
#define EPT_MMIO_MASK    (EPT_RWX | EPT_SUPPRESS_VE | 0x000ffffffffff000ull | EPT_MT_WB)
#define EPT_MMIO_GEN_SHIFT 52
#define EPT_MMIO_GEN_MASK  0x3full

/* A table page with every entry empty. */
static uint64_t new_table(struct tdp_mmu *mmu)
{
	uint64_t page = kvm_alloc_pages(1);
	if (!page)
		return 0;
	mmu->pages++;
	uint64_t *e = __va(page);
	for (int i = 0; mmu->nonpresent && i < 512; i++)
		e[i] = mmu->nonpresent;
	return page;
}

int tdp_mmu_init(struct tdp_mmu *mmu)
{
	mmu->pages = 0;
	mmu->root = new_table(mmu);
	return mmu->root ? 0 : -ENOMEM;
}

int tdp_mmu_init_suppress_ve(struct tdp_mmu *mmu)
{
	mmu->nonpresent = EPT_SUPPRESS_VE;
	return tdp_mmu_init(mmu);
}

/* The 4 KiB entry for `gpa`; the tables on the way are made as needed when `make`,
 * else a missing one gives NULL (as does a lack of memory). */
static uint64_t *walk(struct tdp_mmu *mmu, uint64_t gpa, bool make)
{
	uint64_t table = mmu->root;
	for (int level = 4; level > 1; level--) {
		uint64_t *e = (uint64_t *)__va(table) + ((gpa >> (12 + 9 * (level - 1))) & 0x1ff);
		if (!(*e & EPT_RWX)) {
			uint64_t page = make ? new_table(mmu) : 0;
			if (!page)
				return NULL;
			*e = page | EPT_RWX;
		}
		table = EPT_ADDR(*e);
	}
	return (uint64_t *)__va(table) + ((gpa >> 12) & 0x1ff);
}

static uint64_t *leaf_entry(struct tdp_mmu *mmu, uint64_t gpa)
{
	return walk(mmu, gpa, true);
}

int tdp_mmu_map(struct tdp_mmu *mmu, uint64_t gpa, uint64_t hpa)
{
	uint64_t *pte = leaf_entry(mmu, gpa);
	if (!pte)
		return -ENOMEM;
	*pte = (hpa & ~(PAGE_SIZE - 1)) | EPT_MT_WB | EPT_RWX;
	return 0;
}

int tdp_mmu_map_mmio(struct tdp_mmu *mmu, uint64_t gpa)
{
	uint64_t *pte = leaf_entry(mmu, gpa);
	if (!pte)
		return -ENOMEM;
	*pte = 0;                  /* not present, #VE not suppressed */
	return 0;
}

int tdp_mmu_mark_mmio(struct tdp_mmu *mmu, uint64_t gpa, unsigned gen)
{
	uint64_t *pte = leaf_entry(mmu, gpa);
	if (!pte)
		return -ENOMEM;
	*pte = EPT_MMIO_VALUE | ((uint64_t)(gen & EPT_MMIO_GEN_MASK) << EPT_MMIO_GEN_SHIFT);
	return 0;
}

bool tdp_mmu_mmio_gen(struct tdp_mmu *mmu, uint64_t gpa, unsigned *gen)
{
	const uint64_t *pte = walk(mmu, gpa, false);
	if (!pte || (*pte & EPT_MMIO_MASK) != EPT_MMIO_VALUE)
		return false;
	*gen = (unsigned)((*pte >> EPT_MMIO_GEN_SHIFT) & EPT_MMIO_GEN_MASK);
	return true;
}

void tdp_mmu_zap(struct tdp_mmu *mmu, uint64_t gpa)
{
	uint64_t *pte = walk(mmu, gpa, false);
	if (pte)
		*pte = mmu->nonpresent;
}

/* The entries of `table` (at `level`, covering from `base`) inside [start, end). */
static bool zap_table(struct tdp_mmu *mmu, uint64_t table, int level, uint64_t base,
		      uint64_t start, uint64_t end)
{
	uint64_t span = 1ull << (12 + 9 * (level - 1));
	bool zapped = false;
	for (unsigned i = 0; i < 512; i++) {
		uint64_t lo = base + i * span, *e = (uint64_t *)__va(table) + i;
		if (lo >= end || lo + span <= start)
			continue;
		if (level > 1 && (*e & EPT_RWX))
			zapped |= zap_table(mmu, EPT_ADDR(*e), level - 1, lo, start, end);
		else if (level == 1 && *e != mmu->nonpresent) {
			*e = mmu->nonpresent;
			zapped = true;
		}
	}
	return zapped;
}

bool tdp_mmu_zap_range(struct tdp_mmu *mmu, uint64_t start, uint64_t end)
{
	return mmu->root && zap_table(mmu, mmu->root, 4, 0, start, end);
}

static void free_table(uint64_t table, int level)
{
	uint64_t *e = __va(table);
	for (int i = 0; level > 1 && i < 512; i++)
		if (e[i] & EPT_RWX)
			free_table(EPT_ADDR(e[i]), level - 1);
	kvm_free_pages(table, 1);
}

void tdp_mmu_destroy(struct tdp_mmu *mmu)
{
	if (mmu->root)
		free_table(mmu->root, 4);
	mmu->root = 0;
	mmu->pages = 0;
}
