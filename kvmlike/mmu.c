/* The generic MMU's view of a TD's private memory (Linux arch/x86/kvm/mmu/mmu.c
 * and the mirror root of tdp_mmu.c, reduced): the mirror records which private
 * pages are mapped, at which level, backed by which page, and every change to the
 * S-EPT behind it goes through the external hooks of kvm_x86_ops. Nothing here
 * knows TDX: conversions and guest_memfd holes zap through kvm_mmu_unmap_gfn_range
 * as Linux's kvm_arch_pre_set_memory_attributes and kvm_gmem_invalidate_begin do. */
#include "kvmlike/kvm_x86.h"

#define HUGE_PAGES 512u            /* 4 KiB pages in a 2 MiB one */

static uint64_t level_pages(unsigned level)
{
	return level ? HUGE_PAGES : 1;
}

int kvm_mmu_init_mirror(struct kvm *kvm)
{
	kvm->mirror = kzalloc(sizeof(*kvm->mirror));
	return kvm->mirror ? 0 : -ENOMEM;
}

void kvm_mmu_free_mirror(struct kvm *kvm)
{
	kfree(kvm->mirror);
	kvm->mirror = NULL;
}

const struct kvm_mirror_spte *kvm_mmu_find_private(const struct kvm *kvm, uint64_t gfn)
{
	const struct kvm_mirror *m = kvm->mirror;
	for (unsigned i = 0; m && i < m->n; i++)
		if (gfn >= m->spte[i].gfn && gfn - m->spte[i].gfn < level_pages(m->spte[i].level))
			return &m->spte[i];
	return NULL;
}

/* The entry that starts at `gfn` at `level`, or NULL. */
static struct kvm_mirror_spte *find_private_at(struct kvm_mirror *m, uint64_t gfn, unsigned level)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->spte[i].gfn == gfn && m->spte[i].level == level)
			return &m->spte[i];
	return NULL;
}

int kvm_mmu_map_private(struct kvm *kvm, uint64_t gfn, unsigned level, uint64_t source_pa)
{
	struct kvm_mirror *m = kvm->mirror;
	const struct kvm_memory_slot *slot = gfn_to_memslot(kvm, gfn);
	if (!m || !slot || !slot->gmem || m->n >= KVM_MAX_MIRROR_SPTES)
		return -EINVAL;
	int r = kvm_x86_call(kvm, link_external_spt)(kvm, gfn, (int)level);
	if (!r)
		r = kvm_x86_call(kvm, set_external_spte)(kvm, gfn, (int)level, source_pa);
	if (r)
		return r;
	/* The page set_external_spte was given: the file's, allocated by now. */
	m->spte[m->n++] = (struct kvm_mirror_spte){ gfn, level, kvm_gmem_get_pfn(slot, gfn, level) };
	return 0;
}

int kvm_mmu_split_private(struct kvm *kvm, uint64_t gfn)
{
	struct kvm_mirror *m = kvm->mirror;
	struct kvm_mirror_spte *huge = m ? find_private_at(m, gfn, 1) : NULL;
	if (!huge)
		return -EINVAL;
	if (m->n + HUGE_PAGES - 1 > KVM_MAX_MIRROR_SPTES)
		return -ENOMEM;
	int r = kvm_x86_call(kvm, split_external_spt)(kvm, gfn);
	if (r)
		return r;
	huge->level = 0;
	for (unsigned k = 1; k < HUGE_PAGES; k++)
		m->spte[m->n++] = (struct kvm_mirror_spte){ gfn + k, 0, huge->pa + k * PAGE_SIZE };
	return 0;
}

/* Removes the mirror's entries the test keeps (inside a range, or all) through
 * remove_external_spte; the ones the hook refuses stay recorded. */
static void remove_private_where(struct kvm *kvm, uint64_t start, uint64_t end, bool all)
{
	struct kvm_mirror *m = kvm->mirror;
	unsigned kept = 0;
	for (unsigned i = 0; i < m->n; i++) {
		const struct kvm_mirror_spte *p = &m->spte[i];
		bool inside = all || (p->gfn >= start && p->gfn + level_pages(p->level) <= end);
		if (inside && !kvm_x86_call(kvm, remove_external_spte)(kvm, p->gfn, (int)p->level, p->pa))
			continue;
		m->spte[kept++] = *p;
	}
	m->n = kept;
}

void kvm_mmu_zap_all_private(struct kvm *kvm)
{
	if (kvm->mirror)
		remove_private_where(kvm, 0, 0, true);
}

/* The mirror's part of a zap: a 2 MiB page only partly inside [start, end) is
 * split first (what stays outside keeps its mapping); how many were split. */
static unsigned unmap_private_range(struct kvm *kvm, uint64_t start, uint64_t end)
{
	struct kvm_mirror *m = kvm->mirror;
	unsigned splits = 0;
	/* A split appends 4 KiB entries, which this loop then passes over. */
	for (unsigned i = 0; i < m->n; i++) {
		const struct kvm_mirror_spte *p = &m->spte[i];
		uint64_t last = p->gfn + level_pages(p->level);
		bool overlaps = p->gfn < end && start < last;
		bool inside = p->gfn >= start && last <= end;
		if (!overlaps || inside || !p->level)
			continue;
		if (kvm_mmu_split_private(kvm, p->gfn))
			printk("kvmlike: a 2 MiB private page at 0x%llx could not be split\n",
			       (unsigned long long)(p->gfn << PAGE_SHIFT));
		else
			splits++;
	}
	remove_private_where(kvm, start, end, false);
	return splits;
}

/* The direct root's part: the GPAs with gfn_direct_bits, below those bits. */
static bool unmap_direct_range(struct kvm *kvm, uint64_t start, uint64_t end)
{
	uint64_t bits = kvm->gfn_direct_bits, first = start << PAGE_SHIFT, last = end << PAGE_SHIFT;
	if (bits && last > bits)
		last = bits;
	return kvm->direct_root && first < last &&
	       tdp_mmu_zap_range(kvm->direct_root, first | bits, last | bits);
}

bool kvm_mmu_unmap_gfn_range(struct kvm *kvm, uint64_t start, uint64_t end, unsigned attr_filter)
{
	bool flush = false;
	if ((attr_filter & KVM_FILTER_PRIVATE) && kvm->mirror)
		kvm->stat.ept_splits += unmap_private_range(kvm, start, end);
	if (attr_filter & KVM_FILTER_SHARED)
		flush = unmap_direct_range(kvm, start, end);
	return flush;
}
