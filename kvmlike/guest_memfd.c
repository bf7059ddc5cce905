/* guest_memfd (Linux virt/kvm/guest_memfd.c, reduced): the file a TD's private
 * memory comes from. A memslot bound to one (KVM_MEM_GUEST_MEMFD) has two halves:
 * userspace_addr backs its shared GPAs, the file its private ones, so the pages a
 * TD owns are never the ones user space maps. A page is allocated (zeroed, one of
 * kvmlike's own, which user space cannot map) the first time the VM maps it
 * privately and stays in the file through conversions until user space punches a
 * hole there (fallocate, as QEMU does when memory becomes shared) or the VM goes. */
#include "kvmlike/kvm.h"
#include "kvmlike/kvm_x86.h"

#define GMEM_HUGE_PAGES 512        /* 4 KiB pages in a 2 MiB one */

struct kvm_gmem {
	uint64_t npages;           /* the file's size in pages */
	uint64_t *pa;              /* per page: the host page, or 0 (a hole) */
};

static struct kvm_gmem *gmem_file(struct kvm *kvm, int fd)
{
	return fd >= 0 && fd < KVM_MAX_GMEM_FILES ? kvm->gmem_files[fd] : NULL;
}

int kvm_create_guest_memfd(struct kvm *kvm, const struct kvm_create_guest_memfd *args)
{
	if (!args || args->flags || !args->size || (args->size & (PAGE_SIZE - 1)))
		return -EINVAL;
	int fd = 0;
	while (fd < KVM_MAX_GMEM_FILES && kvm->gmem_files[fd])
		fd++;
	if (fd == KVM_MAX_GMEM_FILES)
		return -EMFILE;
	struct kvm_gmem *f = kzalloc(sizeof(*f));
	uint64_t n = args->size >> PAGE_SHIFT;
	if (f)
		f->pa = kzalloc(n * sizeof(f->pa[0]));
	if (!f || !f->pa) {
		kfree(f);
		return -ENOMEM;
	}
	f->npages = n;
	kvm->gmem_files[fd] = f;
	return fd;
}

/* Where `slot`'s private pages are (Linux kvm_gmem_bind): the whole slot inside
 * the file, page-aligned, no other slot bound to any of it. */
int kvm_gmem_bind(struct kvm *kvm, struct kvm_memory_slot *slot, unsigned fd, uint64_t offset)
{
	struct kvm_gmem *f = gmem_file(kvm, (int)fd);
	if (fd >= KVM_MAX_GMEM_FILES || !f)
		return -EBADF;
	uint64_t first = offset >> PAGE_SHIFT;
	if ((offset & (PAGE_SIZE - 1)) || first > f->npages || slot->npages > f->npages - first)
		return -EINVAL;
	for (unsigned i = 0; i < KVM_MAX_MEMSLOTS; i++) {
		const struct kvm_memory_slot *o = &kvm->memslots[i];
		if (o != slot && o->used && o->gmem == f && first < o->gmem_pgoff + o->npages &&
		    o->gmem_pgoff < first + slot->npages)
			return -EEXIST;
	}
	slot->gmem = f;
	slot->gmem_pgoff = first;
	return 0;
}

static uint64_t gmem_index(const struct kvm_memory_slot *slot, uint64_t gfn)
{
	return gfn - slot->base_gfn + slot->gmem_pgoff;
}

/* 2 MiB of host pages aligned to 2 MiB: twice as much is taken and what lies
 * outside the aligned half given back. */
static uint64_t alloc_huge(void)
{
	uint64_t size = (uint64_t)GMEM_HUGE_PAGES << PAGE_SHIFT;
	uint64_t pa = kvm_alloc_pages(2 * GMEM_HUGE_PAGES);
	if (!pa)
		return 0;
	uint64_t start = (pa + size - 1) & ~(size - 1), end = pa + 2 * size;
	if (start > pa)
		kvm_free_pages(pa, (unsigned)((start - pa) >> PAGE_SHIFT));
	if (end > start + size)
		kvm_free_pages(start + size, (unsigned)((end - start - size) >> PAGE_SHIFT));
	return start;
}

uint64_t kvm_gmem_get_pfn(const struct kvm_memory_slot *slot, uint64_t gfn, unsigned level)
{
	struct kvm_gmem *f = slot->gmem;
	if (!f || gfn < slot->base_gfn || gfn - slot->base_gfn >= slot->npages)
		return 0;
	uint64_t i = gmem_index(slot, gfn);
	if (f->pa[i])
		return f->pa[i];
	unsigned n = level ? GMEM_HUGE_PAGES : 1;
	uint64_t pa = level ? alloc_huge() : kvm_alloc_pages(1);
	if (!pa)
		return 0;
	for (unsigned k = 0; k < n; k++)
		f->pa[i + k] = pa + ((uint64_t)k << PAGE_SHIFT);
	return pa;
}

unsigned kvm_gmem_max_level(const struct kvm_memory_slot *slot, uint64_t gfn)
{
	const struct kvm_gmem *f = slot->gmem;
	uint64_t big = gfn & ~(uint64_t)(GMEM_HUGE_PAGES - 1);
	if (!f || big < slot->base_gfn || big + GMEM_HUGE_PAGES > slot->base_gfn + slot->npages)
		return 0;
	uint64_t i = gmem_index(slot, big);
	if ((i & (GMEM_HUGE_PAGES - 1)) || i + GMEM_HUGE_PAGES > f->npages)
		return 0;
	uint64_t first = f->pa[i];
	if (first & (((uint64_t)GMEM_HUGE_PAGES << PAGE_SHIFT) - 1))
		return 0;
	for (unsigned k = 1; k < GMEM_HUGE_PAGES; k++)
		if (f->pa[i + k] != (first ? first + ((uint64_t)k << PAGE_SHIFT) : 0))
			return 0;
	return 1;
}

void kvm_gmem_leak(const struct kvm_memory_slot *slot, uint64_t gfn, unsigned level)
{
	if (!slot->gmem)
		return;
	uint64_t i = gmem_index(slot, gfn);
	for (unsigned k = 0; k < (level ? GMEM_HUGE_PAGES : 1u); k++)
		slot->gmem->pa[i + k] = 0;
}

/* Before pages of the file go, the VM stops mapping them (Linux
 * kvm_gmem_invalidate_begin: the private GFNs of every slot bound there). */
static void gmem_invalidate(struct kvm *kvm, const struct kvm_gmem *f, uint64_t first, uint64_t end)
{
	for (unsigned i = 0; i < KVM_MAX_MEMSLOTS; i++) {
		const struct kvm_memory_slot *s = &kvm->memslots[i];
		if (!s->used || s->gmem != f || end <= s->gmem_pgoff || s->gmem_pgoff + s->npages <= first)
			continue;
		uint64_t a = first > s->gmem_pgoff ? first : s->gmem_pgoff;
		uint64_t b = end < s->gmem_pgoff + s->npages ? end : s->gmem_pgoff + s->npages;
		uint64_t gfn = s->base_gfn + (a - s->gmem_pgoff);
		if (kvm_mmu_unmap_gfn_range(kvm, gfn, gfn + (b - a), KVM_FILTER_PRIVATE))
			kvm_make_all_cpus_request(kvm, KVM_REQ_TLB_FLUSH);
	}
}

/* The GFN page `i` of the file backs in some slot, if the mirror still maps it
 * (the external hook refused to remove it): it stays. */
static bool gmem_page_in_use(struct kvm *kvm, const struct kvm_gmem *f, uint64_t i)
{
	for (unsigned k = 0; k < KVM_MAX_MEMSLOTS; k++) {
		const struct kvm_memory_slot *s = &kvm->memslots[k];
		if (s->used && s->gmem == f && i >= s->gmem_pgoff && i - s->gmem_pgoff < s->npages &&
		    kvm_mmu_find_private(kvm, s->base_gfn + i - s->gmem_pgoff))
			return true;
	}
	return false;
}

static void gmem_punch_hole(struct kvm *kvm, struct kvm_gmem *f, uint64_t first, uint64_t end)
{
	if (end > f->npages)
		end = f->npages;
	if (first >= end)
		return;
	gmem_invalidate(kvm, f, first, end);
	for (uint64_t i = first; i < end; i++) {
		if (!f->pa[i] || gmem_page_in_use(kvm, f, i))
			continue;
		kvm_free_pages(f->pa[i], 1);
		f->pa[i] = 0;
	}
}

int kvm_gmem_fallocate(struct kvm *kvm, int fd, int mode, uint64_t offset, uint64_t len)
{
	struct kvm_gmem *f = gmem_file(kvm, fd);
	if (!f)
		return -EBADF;
	if (!(mode & FALLOC_FL_KEEP_SIZE) || (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)))
		return -EOPNOTSUPP;
	if ((offset | len) & (PAGE_SIZE - 1))
		return -EINVAL;
	uint64_t first = offset >> PAGE_SHIFT, end = first + (len >> PAGE_SHIFT);
	if (end < first)
		return -EINVAL;
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		gmem_punch_hole(kvm, f, first, end);
		return 0;
	}
	if (end > f->npages)
		return -EINVAL;
	for (uint64_t i = first; i < end; i++) {
		if (f->pa[i])
			continue;
		if (!(f->pa[i] = kvm_alloc_pages(1)))      /* zeroed, as a new folio is */
			return -ENOMEM;
	}
	return 0;
}

const void *kvm_gmem_host_view(struct kvm *kvm, int fd, uint64_t offset)
{
	const struct kvm_gmem *f = gmem_file(kvm, fd);
	if (!f || offset >> PAGE_SHIFT >= f->npages || !f->pa[offset >> PAGE_SHIFT])
		return NULL;
	return (const uint8_t *)__va(f->pa[offset >> PAGE_SHIFT]) + (offset & (PAGE_SIZE - 1));
}

/* The VM is gone (its TD pages reclaimed or leaked already): its files close. */
void kvm_gmem_release_all(struct kvm *kvm)
{
	for (unsigned fd = 0; fd < KVM_MAX_GMEM_FILES; fd++) {
		struct kvm_gmem *f = kvm->gmem_files[fd];
		if (!f)
			continue;
		for (uint64_t i = 0; i < f->npages; i++)
			if (f->pa[i])
				kvm_free_pages(f->pa[i], 1);
		kfree(f->pa);
		kfree(f);
		kvm->gmem_files[fd] = NULL;
	}
}
