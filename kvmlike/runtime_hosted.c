/* The runtime of runtime.h on the host: pages come from the simulated machine's
 * RAM (so the simulated CPU sees what kvmlike writes there), __va/__pa translate
 * through the RAM's host mapping. kvmlike, like the kernel it imitates, runs on one
 * machine: that machine is this file's state. */
#include "kvmlike/runtime.h"
#include "kvmlike/runtime_hosted.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vtsim/hosted.h"

#define POOL_BASE (1ull << 20)   /* leave the first MiB alone, as firmware would */

static struct {
	struct vtsim_machine *m;
	FILE *log;
	uint8_t *ram;
	uint64_t ram_size;
	uint64_t pool_pages;
	uint8_t *used;              /* one byte per pool page */
	uint64_t next;              /* where the search for free pages starts */
	unsigned cpu;
} rt;

int kvm_hosted_attach(struct vtsim_machine *m, FILE *log)
{
	uint64_t size;
	uint8_t *ram = vtsim_machine_ram(m, &size);
	uint64_t top = vtsim_machine_ram_top(m);
	if (rt.m || top <= POOL_BASE)
		return -1;
	rt.pool_pages = (top - POOL_BASE) >> PAGE_SHIFT;
	rt.used = calloc(rt.pool_pages, 1);
	if (!rt.used)
		return -1;
	rt.m = m;
	rt.log = log ? log : stderr;
	rt.ram = ram;
	rt.ram_size = size;
	rt.next = 0;
	rt.cpu = 0;
	return 0;
}

void kvm_hosted_detach(void)
{
	free(rt.used);
	memset(&rt, 0, sizeof(rt));
}

struct vtsim_machine *kvm_machine(void)
{
	return rt.m;
}

enum { PAGE_FREE, PAGE_KERNEL, PAGE_USER };

uint64_t kvm_hosted_pages_in_use(void)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < rt.pool_pages; i++)
		n += rt.used[i] != PAGE_FREE;
	return n;
}

/* First fit from where the last allocation ended, so that consecutive
 * allocations are contiguous. */
static uint64_t alloc_pages(unsigned n, uint8_t owner)
{
	if (!n || !rt.m)
		return 0;
	for (uint64_t pass = 0; pass < 2; pass++) {
		uint64_t start = pass ? 0 : rt.next, run = 0;
		for (uint64_t i = start; i < rt.pool_pages; i++) {
			run = rt.used[i] ? 0 : run + 1;
			if (run == n) {
				uint64_t first = i + 1 - n;
				memset(rt.used + first, owner, n);
				rt.next = i + 1;
				uint64_t pa = POOL_BASE + (first << PAGE_SHIFT);
				memset(rt.ram + pa, 0, (size_t)n << PAGE_SHIFT);
				return pa;
			}
		}
	}
	return 0;
}

uint64_t kvm_alloc_pages(unsigned n)
{
	return alloc_pages(n, PAGE_KERNEL);
}

uint64_t kvm_alloc_user_pages(unsigned n)
{
	return alloc_pages(n, PAGE_USER);
}

void kvm_free_pages(uint64_t pa, unsigned n)
{
	if (!pa || pa < POOL_BASE)
		return;
	uint64_t first = (pa - POOL_BASE) >> PAGE_SHIFT;
	for (unsigned i = 0; i < n && first + i < rt.pool_pages; i++)
		rt.used[first + i] = PAGE_FREE;
}

uint64_t kvm_pages_in_use(void)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < rt.pool_pages; i++)
		n += rt.used[i] != PAGE_FREE;
	return n;
}

void *kzalloc(size_t size)
{
	return calloc(1, size);
}

void kfree(void *p)
{
	free(p);
}

void *__va(uint64_t pa)
{
	return rt.ram + pa;
}

uint64_t __pa(const void *va)
{
	return (uint64_t)((const uint8_t *)va - rt.ram);
}

uint64_t kvm_memory_top(void)
{
	return POOL_BASE + (rt.pool_pages << PAGE_SHIFT);
}

bool kvm_is_guest_memory(const void *va, uint64_t size)
{
	uintptr_t p = (uintptr_t)va, base = (uintptr_t)rt.ram + POOL_BASE;
	uint64_t pool = rt.pool_pages << PAGE_SHIFT;
	if (!rt.m || p < base || p - base > pool || size > pool - (p - base))
		return false;
	for (uint64_t i = (p - base) >> PAGE_SHIFT; i < (p - base + size) >> PAGE_SHIFT; i++)
		if (rt.used[i] != PAGE_USER)
			return false;
	return true;
}

void printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(rt.log ? rt.log : stderr, fmt, ap);
	va_end(ap);
}

unsigned num_online_cpus(void)
{
	return rt.m ? vtsim_machine_nr_cpus(rt.m) : 1;
}

unsigned smp_processor_id(void)
{
	return rt.cpu;
}

void kvm_set_current_cpu(unsigned cpu)
{
	rt.cpu = cpu;
}
