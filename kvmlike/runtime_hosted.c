/* The runtime of runtime.h on the host: pages come from the simulated machine's
 * RAM (so the simulated CPU sees what kvmlike writes there), __va/__pa translate
 * through the RAM's host mapping. kvmlike, like the kernel it imitates, runs on one
 * machine: that machine is this file's state. */
#include "kvmlike/runtime.h"
#include "kvmlike/runtime_hosted.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlike/page_pool.h"
#include "vtsim/hosted.h"

#define POOL_BASE (1ull << 20)   /* leave the first MiB alone, as firmware would */

static struct {
	struct vtsim_machine *m;
	FILE *log;
	uint8_t *ram;
	uint64_t ram_size;
	struct page_pool pool;      /* RAM from POOL_BASE to the machine's RAM top */
	unsigned cpu;
} rt;

int kvm_hosted_attach(struct vtsim_machine *m, FILE *log)
{
	uint64_t size;
	uint8_t *ram = vtsim_machine_ram(m, &size);
	uint64_t top = vtsim_machine_ram_top(m);
	if (rt.m || top <= POOL_BASE)
		return -1;
	rt.pool = (struct page_pool){ .base = POOL_BASE, .pages = (top - POOL_BASE) >> PAGE_SHIFT };
	rt.pool.owner = calloc(rt.pool.pages, 1);
	if (!rt.pool.owner)
		return -1;
	rt.m = m;
	rt.log = log ? log : stderr;
	rt.ram = ram;
	rt.ram_size = size;
	rt.cpu = 0;
	return 0;
}

void kvm_hosted_detach(void)
{
	free(rt.pool.owner);
	memset(&rt, 0, sizeof(rt));
}

struct vtsim_machine *kvm_machine(void)
{
	return rt.m;
}

uint64_t kvm_hosted_pages_in_use(void)
{
	return page_pool_in_use(&rt.pool);
}

static uint64_t alloc_pages(unsigned n, uint8_t owner)
{
	if (!rt.m)
		return 0;
	uint64_t pa = page_pool_take(&rt.pool, n, owner);
	if (pa)
		memset(rt.ram + pa, 0, (size_t)n << PAGE_SHIFT);
	return pa;
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
	page_pool_give(&rt.pool, pa, n);
}

uint64_t kvm_pages_in_use(void)
{
	return page_pool_in_use(&rt.pool);
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
	return POOL_BASE + (rt.pool.pages << PAGE_SHIFT);
}

bool kvm_is_guest_memory(const void *va, uint64_t size)
{
	uintptr_t p = (uintptr_t)va, ram = (uintptr_t)rt.ram;
	return rt.m && p >= ram && page_pool_owned_by(&rt.pool, p - ram, size, PAGE_USER);
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

uint32_t apic_read(uint32_t reg)
{
	return vtsim_hosted_apic_read(kvm_machine(), smp_processor_id(), reg);
}

void apic_write(uint32_t reg, uint32_t v)
{
	vtsim_hosted_apic_write(kvm_machine(), smp_processor_id(), reg, v);
}

unsigned smp_processor_id(void)
{
	return rt.cpu;
}

void kvm_set_current_cpu(unsigned cpu)
{
	rt.cpu = cpu;
}
