/* KeyID views of RAM and the poison of TD-private pages (keyed_mem.h). */
#include "sim/cpu/keyed_mem.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096ull

struct keyed_mem {
	unsigned first, n;
	uint8_t *owner;            /* per RAM page: the KeyID it is private to, or 0 */
	uint8_t *poisoned;         /* per RAM page */
	bool *key_poisoned;        /* per KeyID */
};

/* The machines whose RAM has private pages, for the fault handler. */
#define MAX_MACHINES 16
static struct phys *registry[MAX_MACHINES];
static struct sigaction previous;

static bool in_area(const void *addr, const uint8_t *base, uint64_t size)
{
	return base && (const uint8_t *)addr >= base && (const uint8_t *)addr < base + size;
}

/* The machine whose RAM (view 0) or KeyID view holds addr, and which view. */
static struct phys *machine_of(const void *addr, unsigned *view)
{
	for (unsigned i = 0; i < MAX_MACHINES; i++) {
		struct phys *pm = registry[i];
		for (unsigned v = 0; pm && v < (pm->key_view ? pm->nr_key_views : 1); v++)
			if (in_area(addr, v ? pm->key_view[v] : pm->ram, pm->size)) {
				*view = v;
				return pm;
			}
	}
	return NULL;
}

/* A write to a write-protected page: the armed snapshot's write log takes it
 * (phys_dirty_fault opens the page), and a write through KeyID 0 to a private page
 * re-keys the line: the page is the writer's now. A view is protected only by the
 * log. */
static void on_fault(int sig, siginfo_t *si, void *uctx)
{
	unsigned view = 0;
	struct phys *pm = machine_of(si->si_addr, &view);
	if (pm && view) {
		uint64_t pfn = (uint64_t)((uint8_t *)si->si_addr - pm->key_view[view]) / PAGE;
		if (pm->dirty && phys_dirty_fault(pm, view, pfn))
			return;
	} else if (pm) {
		uint64_t pfn = (uint64_t)((uint8_t *)si->si_addr - pm->ram) / PAGE;
		struct keyed_mem *k = pm->keyed;
		bool logged = pm->dirty && phys_dirty_fault(pm, 0, pfn);
		bool private = k && k->owner[pfn];
		if (private && !k->poisoned[pfn]) {
			k->poisoned[pfn] = 1;
			k->key_poisoned[k->owner[pfn]] = true;
		}
		if (private || logged) {
			mprotect(pm->ram + pfn * PAGE, PAGE, PROT_READ | PROT_WRITE);
			return;
		}
	}
	/* Not ours: whoever handled it before (a sanitizer, the default action). */
	if (previous.sa_flags & SA_SIGINFO) {
		previous.sa_sigaction(sig, si, uctx);
	} else if (previous.sa_handler != SIG_IGN && previous.sa_handler != SIG_DFL) {
		previous.sa_handler(sig);
	} else {
		signal(sig, SIG_DFL);          /* the access faults again, fatally */
	}
}

/* Puts the fault handler in place, before whatever handles SIGSEGV now (a test
 * framework or a sanitizer may have installed theirs since). */
static int handler_install(void)
{
	struct sigaction cur;
	if (sigaction(SIGSEGV, NULL, &cur))
		return -1;
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_fault)
		return 0;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSEGV, &sa, &previous);
}

static int registry_add(struct phys *pm)
{
	for (unsigned i = 0; i < MAX_MACHINES; i++)
		if (registry[i] == pm)
			return handler_install();
	for (unsigned i = 0; i < MAX_MACHINES; i++)
		if (!registry[i]) {
			registry[i] = pm;
			return handler_install();
		}
	return -1;
}

int keyed_mem_init(struct phys *pm, unsigned shift, unsigned first, unsigned n)
{
	struct keyed_mem *k = calloc(1, sizeof(*k));
	uint64_t pages = pm->size / PAGE;
	unsigned nviews = first + n;
	if (!k || nviews > 256 || (pm->size & (PAGE - 1)))
		goto fail;
	k->first = first;
	k->n = n;
	k->owner = calloc(pages, 1);
	k->poisoned = calloc(pages, 1);
	k->key_poisoned = calloc(nviews, sizeof(bool));
	pm->key_view = calloc(nviews, sizeof(uint8_t *));
	if (!k->owner || !k->poisoned || !k->key_poisoned || !pm->key_view)
		goto fail;
	pm->keyed = k;
	pm->keyid_shift = shift;
	pm->nr_key_views = nviews;
	/* Untouched anonymous memory costs nothing: a view per KeyID. */
	for (unsigned key = first; key < nviews; key++) {
		void *v = mmap(NULL, pm->size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (v == MAP_FAILED)
			goto fail;
		pm->key_view[key] = v;
	}
	if (registry_add(pm))
		goto fail;
	return 0;
fail:
	if (!pm->keyed && k) {
		free(k->owner);
		free(k->poisoned);
		free(k->key_poisoned);
		free(k);
	}
	keyed_mem_fini(pm);
	return -1;
}

static void registry_remove(const struct phys *pm)
{
	for (unsigned i = 0; i < MAX_MACHINES; i++)
		if (registry[i] == pm)
			registry[i] = NULL;
}

int ram_fault_watch(struct phys *pm)
{
	return registry_add(pm);
}

void ram_fault_unwatch(struct phys *pm)
{
	if (!pm->keyed)
		registry_remove(pm);
}

void keyed_mem_fini(struct phys *pm)
{
	struct keyed_mem *k = pm->keyed;
	registry_remove(pm);
	for (unsigned key = 0; pm->key_view && key < pm->nr_key_views; key++)
		if (pm->key_view[key])
			munmap(pm->key_view[key], pm->size);
	free(pm->key_view);
	pm->key_view = NULL;
	pm->nr_key_views = 0;
	if (k) {
		/* RAM is unmapped next; its protection does not matter then. */
		free(k->owner);
		free(k->poisoned);
		free(k->key_poisoned);
		free(k);
	}
	pm->keyed = NULL;
}

static bool page_ok(const struct phys *pm, uint64_t pa)
{
	return pm->keyed && !(pa & (PAGE - 1)) && pa < pm->size;
}

void keyed_mem_make_private(struct phys *pm, uint64_t pa, unsigned keyid)
{
	struct keyed_mem *k = pm->keyed;
	if (!page_ok(pm, pa) || keyid < k->first || keyid >= k->first + k->n)
		return;
	uint64_t pfn = pa / PAGE;
	if (k->owner[pfn])
		keyed_mem_make_shared(pm, pa);
	if (pm->dirty) {
		phys_dirty_note(pm, pa, PAGE);
		phys_dirty_note(pm, (uint64_t)keyid << pm->keyid_shift | pa, PAGE);
	}
	memset(pm->key_view[keyid] + pa, 0, PAGE);
	memset(pm->ram + pa, 0, PAGE);
	k->owner[pfn] = (uint8_t)keyid;
	k->poisoned[pfn] = 0;
	handler_install();
	mprotect(pm->ram + pa, PAGE, PROT_READ);
}

void keyed_mem_make_shared(struct phys *pm, uint64_t pa)
{
	struct keyed_mem *k = pm->keyed;
	if (!page_ok(pm, pa))
		return;
	uint64_t pfn = pa / PAGE;
	unsigned key = k->owner[pfn];
	if (!key)
		return;
	mprotect(pm->ram + pa, PAGE, PROT_READ | PROT_WRITE);
	if (pm->dirty) {
		phys_dirty_note(pm, pa, PAGE);
		phys_dirty_note(pm, (uint64_t)key << pm->keyid_shift | pa, PAGE);
	}
	memset(pm->key_view[key] + pa, 0, PAGE);
	memset(pm->ram + pa, 0, PAGE);
	k->owner[pfn] = 0;
	k->poisoned[pfn] = 0;
}

unsigned keyed_mem_owner(const struct phys *pm, uint64_t pa)
{
	return pm->keyed && pa < pm->size ? pm->keyed->owner[pa / PAGE] : 0;
}

bool keyed_mem_page_poisoned(const struct phys *pm, uint64_t pa)
{
	return pm->keyed && pa < pm->size && pm->keyed->poisoned[pa / PAGE];
}

bool keyed_mem_key_poisoned(const struct phys *pm, unsigned keyid)
{
	return pm->keyed && keyid < pm->nr_key_views && pm->keyed->key_poisoned[keyid];
}

void keyed_mem_key_reset(struct phys *pm, unsigned keyid)
{
	if (pm->keyed && keyid < pm->nr_key_views)
		pm->keyed->key_poisoned[keyid] = false;
}

void keyed_mem_set_state(struct phys *pm, uint64_t pa, unsigned keyid, bool poisoned)
{
	struct keyed_mem *k = pm->keyed;
	if (!page_ok(pm, pa) || keyid >= pm->nr_key_views)
		return;
	k->owner[pa / PAGE] = (uint8_t)keyid;
	k->poisoned[pa / PAGE] = poisoned;
	if (keyid && !poisoned) {
		handler_install();
		mprotect(pm->ram + pa, PAGE, PROT_READ);
	} else {
		mprotect(pm->ram + pa, PAGE, PROT_READ | PROT_WRITE);
	}
}

void keyed_mem_set_key_poisoned(struct phys *pm, unsigned keyid, bool poisoned)
{
	if (pm->keyed && keyid < pm->nr_key_views)
		pm->keyed->key_poisoned[keyid] = poisoned;
}
