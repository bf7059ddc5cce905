/* The little runtime kvmlike needs from the kernel it would live in: physical
 * pages and their addresses, a log, and which logical processor runs it. It is
 * the only interface between kvmlike and where it runs (runtime_hosted.c: on the
 * host, driving a simulated machine). */
#ifndef KVMLIKE_RUNTIME_H
#define KVMLIKE_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE  4096ull
#define PAGE_SHIFT 12

#define EINVAL 22
#define ENOMEM 12
#define ENODEV 19
#define EIO     5
#define EBUSY  16
#define EEXIST 17
#define ENOENT  2
#define E2BIG   7
#define EOPNOTSUPP 95
#define ENOTTY 25
#define EFAULT 14
#define ENOSPC 28
#define EAGAIN 11
#define EBADF   9
#define EMFILE 24
#define ENXIO   6

/* Host-physical pages, zeroed; 0 when none is left. The user variant is memory
 * user space may hand to guests (its "mmap"); kvmlike's own pages never are. */
uint64_t kvm_alloc_pages(unsigned n);
uint64_t kvm_alloc_user_pages(unsigned n);
void kvm_free_pages(uint64_t pa, unsigned n);
/* Pages allocated (kvmlike's and user space's) and not freed. */
uint64_t kvm_pages_in_use(void);
/* kvmlike's own objects (kmalloc/kfree): zeroed, NULL when out of memory. */
void *kzalloc(size_t size);
void kfree(void *p);

/* Host-physical <-> kvmlike's pointers. */
void *__va(uint64_t pa);
uint64_t __pa(const void *va);
/* The end of the RAM the kernel owns (what memblock would say). */
uint64_t kvm_memory_top(void);
/* Is [va, va+size) user memory, all of it from kvm_alloc_user_pages? */
bool kvm_is_guest_memory(const void *va, uint64_t size);

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reports a kvmlike bug or an unexpected hardware answer, once per call site. */
#define WARN_ON_ONCE(cond) ({                                                    \
	static bool __warned;                                                    \
	bool __c = (cond);                                                       \
	if (__c && !__warned) {                                                  \
		__warned = true;                                                 \
		printk("kvmlike: WARNING at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	}                                                                        \
	__c;                                                                     \
})

/* The local APIC of the processor kvmlike runs on, its xAPIC registers by offset
 * (Linux's apic_read and apic_write). */
uint32_t apic_read(uint32_t reg);
void apic_write(uint32_t reg, uint32_t v);

/* Logical processors, and the one kvmlike is running on now. */
unsigned num_online_cpus(void);
unsigned smp_processor_id(void);
void kvm_set_current_cpu(unsigned cpu);

#endif
