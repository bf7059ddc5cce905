/* The page pool (page_pool.h). */
#include "kvmlike/page_pool.h"

#include <string.h>

#define POOL_PAGE_SHIFT 12

uint64_t page_pool_take(struct page_pool *p, unsigned n, uint8_t owner)
{
	if (!n)
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		uint64_t start = pass ? 0 : p->next, run = 0;
		for (uint64_t i = start; i < p->pages; i++) {
			run = p->owner[i] ? 0 : run + 1;
			if (run == n) {
				uint64_t first = i + 1 - n;
				memset(p->owner + first, owner, n);
				p->next = i + 1;
				return p->base + (first << POOL_PAGE_SHIFT);
			}
		}
	}
	return 0;
}

void page_pool_give(struct page_pool *p, uint64_t pa, unsigned n)
{
	if (!pa || pa < p->base)
		return;
	uint64_t first = (pa - p->base) >> POOL_PAGE_SHIFT;
	for (unsigned i = 0; i < n && first + i < p->pages; i++)
		p->owner[first + i] = PAGE_FREE;
}

uint64_t page_pool_in_use(const struct page_pool *p)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < p->pages; i++)
		n += p->owner[i] == PAGE_KERNEL || p->owner[i] == PAGE_USER;
	return n;
}

bool page_pool_owned_by(const struct page_pool *p, uint64_t pa, uint64_t size, uint8_t owner)
{
	uint64_t bytes = p->pages << POOL_PAGE_SHIFT;
	if (pa < p->base || pa - p->base > bytes || size > bytes - (pa - p->base))
		return false;
	for (uint64_t i = (pa - p->base) >> POOL_PAGE_SHIFT; i < (pa - p->base + size) >> POOL_PAGE_SHIFT; i++)
		if (p->owner[i] != owner)
			return false;
	return true;
}
