/* kvmlike's page pool, the same in both runtimes (runtime_hosted.c, native/):
 * one owner byte per page of a range of physical memory, first fit from where
 * the last allocation ended, so that consecutive allocations are contiguous. */
#ifndef KVMLIKE_PAGE_POOL_H
#define KVMLIKE_PAGE_POOL_H

#include <stdbool.h>
#include <stdint.h>

enum { PAGE_FREE, PAGE_KERNEL, PAGE_USER, PAGE_HEAP };

struct page_pool {
	uint64_t base, pages;        /* the range: pages of 4 KiB from base */
	uint8_t *owner;              /* one byte per page: PAGE_* */
	uint64_t next;               /* where the next search starts */
};

/* n contiguous pages for `owner`: their physical address (not zeroed), or 0. */
uint64_t page_pool_take(struct page_pool *p, unsigned n, uint8_t owner);
void page_pool_give(struct page_pool *p, uint64_t pa, unsigned n);
/* Is all of [pa, pa+size) in the pool and taken by `owner`? */
bool page_pool_owned_by(const struct page_pool *p, uint64_t pa, uint64_t size, uint8_t owner);
/* Pages taken for guests and kvmlike's structures (PAGE_KERNEL, PAGE_USER). */
uint64_t page_pool_in_use(const struct page_pool *p);

#endif
