/* Machine snapshots (include/vtsim/snapshot.h): a copy of the machine's state, and
 * a log of the RAM pages written after it (struct phys_dirty), so that a restore
 * copies back only those. The simulator's own writes are noted as it makes them
 * (phys_write, the KeyID views); every other write to RAM or a KeyID view (a
 * software CPU's store, a TD's store to its private memory, a hosted VMM's pointer)
 * is caught by write-protecting RAM and the views in the host process: the first
 * write to a page faults, the fault handler logs the page and opens it
 * (phys_dirty_fault). A page written once stays open and logged across restores
 * (each restore compares it): the pages an input writes every time cost no fault
 * after the first input. A restore so touches only the logged pages, whatever the
 * size of RAM: their contents, and for those of RAM their owner and poison (every
 * change of a page's ownership writes or faults on it, keyed_mem.c). */
#include "vtsim/snapshot.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sim/cpu/keyed_mem.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/snapshot.h"
#include "sim/tdx_module_stub/module.h"

#define PAGE 4096ull

/* The pages written since the snapshot: a bit and a list entry per page of each
 * view (view 0 is RAM, view k the KeyID-k view), or `all` when the list overflowed
 * or a write of unknown extent was noted. With `guarded`, RAM and the views are
 * write-protected except their open pages (the logged ones). */
struct phys_dirty {
	uint64_t pages;               /* per view */
	unsigned nviews;
	uint64_t *bits;
	uint32_t *list;
	size_t n, cap;
	bool all;
	bool guarded;
	uint8_t *ram;
	uint8_t *const *key_view;     /* [view]: view k's memory (NULL: none), from view 1 */
	/* The guest engine's code (snapshot_sync_guest_code): RAM pages that left the
	 * log since the last sync (restored, then protected again), and whether the
	 * next sync must drop every translation (no log of what changed). */
	uint64_t *stale_bits;
	uint32_t *stale;
	size_t nstale;
	bool code_full;
	/* The physical pages of the 512 bytes at the guest's entry at the last sync:
	 * the sites' primed scan of that entry (sites.h) holds while they stay. */
	uint64_t entry_pa[2];
	bool entry_known;
};

/* Pages (of RAM and the views) kept open across restores at most; more are
 * protected again. */
#define OPEN_MAX 64

/* The LP's plain fields a snapshot keeps, copied one way on taking and the other on
 * restoring. */
#define LP_SNAP_SCALARS(X)                                                             \
	X(activity) X(insns) X(event_ticks) X(feature_control) X(apic_base) X(tsc_offset) X(tsc_aux)   \
	X(misc_enable) X(pat) X(rand_state) X(debugctl) X(lapic) X(smm) X(init_pending) X(nmi) \
	X(halt_rip) X(halt_seq) X(halt_if) X(chain_len) X(chain_insns)

/* The machine's: the devices on the I/O bus, the open-bus page count, the
 * scheduler's halt sequence, and how the run ended. */
#define MACHINE_SNAP_SCALARS(X) \
	X(fw_cfg) X(pc) X(ioapic) X(com1) X(open_bus_pages) X(halt_seq) X(stopped) X(result)

struct lp_snap {
	uc_context *ctx;              /* the root engine's CPU state */
	enum lp_activity activity;
	uint64_t insns, event_ticks, feature_control, apic_base, tsc_offset, tsc_aux, misc_enable, pat, rand_state;
	uint64_t debugctl;
	struct lapic lapic;
	struct smm_lp smm;            /* SMM state and the dual-monitor treatment */
	bool init_pending;
	struct nmi_state nmi;
	uint64_t halt_rip, halt_seq;
	bool halt_if;
	struct vmx_lp vmx;
	struct exc_step chain[EXC_CHAIN_MAX];
	int chain_len;
	uint64_t chain_insns;
	uint64_t root_runs, guest_runs;
};

struct vtsim_snapshot {
	struct phys_dirty dirty;
	uint8_t *ram;                 /* RAM as it was */
	/* TDX: which KeyID owned each page, the poison marks, and the private pages'
	 * contents in their views (a view's other pages are zero). */
	uint8_t *owner, *poisoned;
	bool *key_poisoned;
	uint8_t *private_data;        /* PAGE per private page, in page order */
	uint32_t *private_at;         /* per RAM page: its index in private_data */
	void *module;
	unsigned nr_lps;
	struct lp_snap *lps;
	/* The machine's plain fields (MACHINE_SNAP_SCALARS). */
	struct fw_cfg fw_cfg;
	struct pc_ports pc;
	struct ioapic ioapic;
	struct uart16550 com1;
	unsigned open_bus_pages;
	uint64_t halt_seq;
	bool stopped;
	struct vtsim_result result;
	char stop_msg[sizeof(((struct vtsim_machine *)0)->stop_msg)];
	struct vtsim_snapshot_stats stats;
};

/* ---- the write log --------------------------------------------------------------- */

static void dirty_mark(struct phys_dirty *d, unsigned view, uint64_t page)
{
	if (view >= d->nviews || page >= d->pages || d->all)
		return;
	uint64_t i = view * d->pages + page;
	if (d->bits[i / 64] & (1ull << (i % 64)))
		return;
	d->bits[i / 64] |= 1ull << (i % 64);
	if (d->n == d->cap) {
		d->all = true;
		return;
	}
	d->list[d->n++] = (uint32_t)i;
}

static bool dirty_has(const struct phys_dirty *d, unsigned view, uint64_t page)
{
	uint64_t i = view * d->pages + page;
	return d->bits[i / 64] & (1ull << (i % 64));
}

static uint8_t *view_base(const struct phys_dirty *d, unsigned view)
{
	return view ? d->key_view[view] : d->ram;
}

static void page_protect(struct phys_dirty *d, unsigned view, uint64_t p, int prot)
{
	if (view_base(d, view))
		mprotect(view_base(d, view) + p * PAGE, PAGE, prot);
}

/* The whole of RAM and of every view. */
static void protect_all(struct phys_dirty *d, int prot)
{
	for (unsigned view = 0; view < d->nviews; view++)
		if (view_base(d, view))
			mprotect(view_base(d, view), d->pages * PAGE, prot);
}

/* The simulator is about to write page p of a view: open it now rather than take
 * the fault (not a private page's RAM: its fault is the poison, keyed_mem.h). */
static void open_for_write(struct phys *pm, struct phys_dirty *d, unsigned view, uint64_t p)
{
	if (d->guarded && p < d->pages && view < d->nviews && !dirty_has(d, view, p) &&
	    (view || !keyed_mem_owner(pm, p * PAGE)))
		page_protect(d, view, p, PROT_READ | PROT_WRITE);
}

void phys_dirty_note(struct phys *pm, uint64_t pa, size_t n)
{
	struct phys_dirty *d = pm->dirty;
	unsigned view = 0;
	if (pa >= pm->size && pm->key_view) {
		view = (unsigned)(pa >> pm->keyid_shift);
		pa &= (1ull << pm->keyid_shift) - 1;
	}
	for (uint64_t p = pa / PAGE; n && p <= (pa + n - 1) / PAGE; p++) {
		open_for_write(pm, d, view, p);
		dirty_mark(d, view, p);
	}
}

bool phys_dirty_fault(struct phys *pm, unsigned view, uint64_t pfn)
{
	struct phys_dirty *d = pm->dirty;
	if (!d->guarded || pfn >= d->pages || view >= d->nviews)
		return false;
	dirty_mark(d, view, pfn);
	page_protect(d, view, pfn, PROT_READ | PROT_WRITE);
	return true;
}

/* Drops the translated code of the LP's root engine, and its sites are read again
 * from the entry on (the primed scan of a run's first block, sites.h, is skipped
 * for a place already scanned in the same site space); the guest engine's code is
 * brought up to date before it runs again (lp_run_once calls
 * snapshot_sync_guest_code), never under it: while its coroutine lives it is
 * suspended inside a translated block (at the last VM exit). */
static void drop_engine_translations(struct lp *lp, bool root, bool guest)
{
	if (root) {
		uc_ctl_flush_tb(lp->root.uc);
		sites_new_space(&lp->root.sites);
	}
	if (guest && lp->guest.uc)
		lp->co_flush_tb = true;
}

static void drop_translations(struct lp *lp)
{
	drop_engine_translations(lp, true, true);
}

void vtsim_snapshot_note_write(struct vtsim_machine *m, uint64_t pa, uint64_t n)
{
	/* The engines translated code from what was there before, maybe without
	 * retiring any of it (an instruction that faulted): those translations go. */
	for (unsigned i = 0; i < m->nr_lps; i++)
		drop_translations(&m->lps[i]);
	if (!m->pm.dirty)
		return;
	if (!n)
		m->pm.dirty->all = true;
	else
		phys_dirty_note(&m->pm, pa, n);
}

static void bit_clear(struct phys_dirty *d, uint32_t i)
{
	d->bits[i / 64] &= ~(1ull << (i % 64));
}

/* RAM page p may have changed behind the guest engine since its last sync. */
static void stale_mark(struct phys_dirty *d, uint64_t p)
{
	if (d->stale_bits[p / 64] & (1ull << (p % 64)))
		return;
	if (d->nstale == d->pages) {
		d->code_full = true;
		return;
	}
	d->stale_bits[p / 64] |= 1ull << (p % 64);
	d->stale[d->nstale++] = (uint32_t)p;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* The pages of log entries e[0..n) write-protected again: a run of consecutive
 * pages of a view by one call (each is a system call and a TLB shootdown, the
 * bulk of a restore's cost). */
static void protect_runs(struct phys_dirty *d, uint32_t *e, size_t n)
{
	qsort(e, n, sizeof(*e), cmp_u32);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && e[j] == e[j - 1] + 1 && e[j] % d->pages; j++)
			;
		uint8_t *base = view_base(d, (unsigned)(e[i] / d->pages));
		if (base)
			mprotect(base + (e[i] % d->pages) * PAGE, (j - i) * PAGE, PROT_READ);
	}
}

/* After a restore: the log starts again. Guarded, the first OPEN_MAX pages logged
 * stay open and logged (those an input writes first, likely the next one too);
 * the others are protected again. */
static void dirty_clear(struct phys_dirty *d)
{
	size_t keep = 0;
	if (d->all) {
		d->code_full = true;
		memset(d->bits, 0, (d->pages * d->nviews + 63) / 64 * 8);
		if (d->guarded)
			protect_all(d, PROT_READ);
	} else {
		keep = d->guarded && d->n > OPEN_MAX ? OPEN_MAX : d->guarded ? d->n : 0;
		for (size_t i = keep; i < d->n; i++) {
			bit_clear(d, d->list[i]);
			if (d->list[i] < d->pages)
				stale_mark(d, d->list[i]);
		}
		if (d->guarded)
			protect_runs(d, d->list + keep, d->n - keep);
	}
	d->n = keep;
	d->all = false;
}

/* ---- the guest engine's translated code ------------------------------------------------ */

/* A snapshot can vouch for what changed in RAM since the guest engine's last sync
 * when it sees every write (guarded, nothing of unknown extent) on a machine of
 * one LP without KeyID views (their pages are not logged). */
static bool code_changes_known(const struct vtsim_machine *m, const struct phys_dirty *d)
{
	return d && d->guarded && !d->all && !d->code_full && m->nr_lps == 1 && !m->pm.keyed &&
	       !m->seam.enabled;
}

/* The engine's translations of code in RAM page p go (those of every linear
 * address it was run at): the engine is asked for the page at "linear address"
 * p * PAGE while the fill hook answers with the identity (guest_tlb.c). */
static void drop_page_code(uc_engine *uc, uint64_t p)
{
	uc_ctl_remove_cache(uc, p * PAGE, (p + 1) * PAGE);
}

static bool page_in(const struct phys_dirty *d, uint64_t p)
{
	return p < d->pages && ((d->stale_bits[p / 64] >> (p % 64)) & 1 || dirty_has(d, 0, p));
}

/* Every page that may have changed since the last sync: those that left the log
 * since, and those in it (an open page is written without a fault). */
static void drop_changed_code(struct lp *lp, struct phys_dirty *d)
{
	uc_engine *uc = lp->guest.uc;
	uc_ctl_tlb_mode(uc, UC_TLB_VIRTUAL);
	uc_ctl_flush_tlb(uc);
	lp->gtlb.identity = true;
	for (size_t i = 0; i < d->nstale; i++)
		drop_page_code(uc, d->stale[i]);
	for (size_t i = 0; i < d->n; i++)
		if (d->list[i] < d->pages)
			drop_page_code(uc, d->list[i]);
	lp->gtlb.identity = false;
	uc_ctl_tlb_mode(uc, lp->gtlb.virtual_mode ? UC_TLB_VIRTUAL : UC_TLB_CPU);
	uc_ctl_flush_tlb(uc);
}

static void stale_clear(struct phys_dirty *d)
{
	for (size_t i = 0; i < d->nstale; i++)
		d->stale_bits[d->stale[i] / 64] = 0;
	d->nstale = 0;
}

/* Where the guest's entry code is: the physical pages of the first and the last of
 * the bytes the sites' primed scan reads there (512 and an instruction's 15). False
 * when they are not both mapped. */
static bool entry_pages(struct lp *lp, uint64_t pa[2])
{
	struct seg cs;
	cpustate_get_seg(&lp->cs, SEG_CS, &cs);
	bool lm = (cpu_msr(lp->uc, 0xc0000080) & (1u << 10)) && (cs.attr & (1u << 13));
	uint64_t la = cpu_reg(lp->uc, UC_X86_REG_RIP) + (lm ? 0 : cs.base);
	struct mmu_ctx c;
	struct mmu_fault f;
	lp_mmu_ctx(lp, &c);
	const unsigned flags = MMU_SUPERVISOR | MMU_NO_AD;
	if (mmu_translate(&lp->m->pm, &c, la, MMU_FETCH, flags, &pa[0], &f) ||
	    mmu_translate(&lp->m->pm, &c, la + 512 + 15, MMU_FETCH, flags, &pa[1], &f))
		return false;
	pa[0] /= PAGE;
	pa[1] /= PAGE;
	return true;
}

void snapshot_sync_guest_code(struct lp *lp)
{
	struct phys_dirty *d = lp->m->pm.dirty;
	uint64_t pa[2];
	bool entry = entry_pages(lp, pa);
	if (!code_changes_known(lp->m, d)) {
		uc_ctl_flush_tb(lp->guest.uc);
		sites_new_space(&lp->guest.sites);
		if (d) {
			stale_clear(d);
			d->code_full = false;
		}
	} else {
		/* The sites of a block are found when it is translated again, but the
		 * entry's block is found by the primed scan, which a run at the same
		 * place in the same site space skips: a new space when its bytes may
		 * differ. */
		if (!entry || !d->entry_known || pa[0] != d->entry_pa[0] || pa[1] != d->entry_pa[1] ||
		    page_in(d, pa[0]) || page_in(d, pa[1]))
			sites_new_space(&lp->guest.sites);
		drop_changed_code(lp, d);
		stale_clear(d);
	}
	if (!d)
		return;
	d->entry_known = entry;
	d->entry_pa[0] = entry ? pa[0] : 0;
	d->entry_pa[1] = entry ? pa[1] : 0;
}

/* ---- taking ------------------------------------------------------------------------ */

static bool lp_in_guest(const struct lp *lp)
{
	return lp->vmx.non_root || lp->active != &lp->root;
}

static int lp_take(struct lp *lp, struct lp_snap *s)
{
	if (uc_context_alloc(lp->root.uc, &s->ctx) != UC_ERR_OK ||
	    uc_context_save(lp->root.uc, s->ctx) != UC_ERR_OK)
		return -1;
#define TAKE(f) s->f = lp->f;
	LP_SNAP_SCALARS(TAKE)
#undef TAKE
	s->vmx = lp->vmx;
	memcpy(s->chain, lp->chain, sizeof(s->chain));
	s->root_runs = lp->root.runs;
	s->guest_runs = lp->guest.runs;
	return 0;
}

static int keyed_take(struct vtsim_snapshot *s, const struct phys *pm)
{
	const struct keyed_mem *k = pm->keyed;
	uint64_t pages = pm->size / PAGE, nprivate = 0;
	if (!k)
		return 0;
	s->owner = malloc(pages);
	s->poisoned = malloc(pages);
	s->key_poisoned = malloc(pm->nr_key_views * sizeof(bool));
	s->private_at = malloc(pages * sizeof(uint32_t));
	if (!s->owner || !s->poisoned || !s->key_poisoned || !s->private_at)
		return -1;
	for (uint64_t p = 0; p < pages; p++) {
		s->owner[p] = (uint8_t)keyed_mem_owner(pm, p * PAGE);
		s->poisoned[p] = keyed_mem_page_poisoned(pm, p * PAGE);
		nprivate += s->owner[p] != 0;
	}
	for (unsigned key = 0; key < pm->nr_key_views; key++)
		s->key_poisoned[key] = keyed_mem_key_poisoned(pm, key);
	s->private_data = malloc(nprivate ? nprivate * PAGE : 1);
	if (!s->private_data)
		return -1;
	for (uint64_t p = 0, i = 0; p < pages; p++) {
		s->private_at[p] = (uint32_t)i;
		if (s->owner[p])
			memcpy(s->private_data + PAGE * i++, pm->key_view[s->owner[p]] + p * PAGE, PAGE);
	}
	return 0;
}

static int dirty_init(struct phys_dirty *d, const struct phys *pm)
{
	d->pages = pm->size / PAGE;
	d->nviews = pm->key_view ? pm->nr_key_views : 1;
	d->key_view = pm->key_view;
	d->cap = 16384;
	d->bits = calloc((d->pages * d->nviews + 63) / 64, 8);
	d->list = malloc(d->cap * sizeof(uint32_t));
	d->stale_bits = calloc((d->pages + 63) / 64, 8);
	d->stale = malloc(d->pages * sizeof(uint32_t));
	/* The guest engine's translations were made before anything was logged. */
	d->code_full = true;
	return d->bits && d->list && d->stale_bits && d->stale && d->pages * d->nviews < UINT32_MAX
	       ? 0 : -1;
}

/* RAM and the views write-protected, so that every write to them is seen (when
 * the fault handler can watch one more machine; otherwise a restore after code
 * ran compares). */
static void dirty_arm(struct phys *pm, struct phys_dirty *d)
{
	pm->dirty = d;
	d->ram = pm->ram;
	if (ram_fault_watch(pm))
		return;
	d->guarded = true;
	protect_all(d, PROT_READ);
}

/* RAM and the views writable again, but for the private pages KeyID 0 may not
 * write. */
static void dirty_disarm(struct phys *pm, struct phys_dirty *d)
{
	if (pm->dirty == d)
		pm->dirty = NULL;
	if (!d->guarded)
		return;
	d->guarded = false;
	protect_all(d, PROT_READ | PROT_WRITE);
	for (uint64_t p = 0; pm->keyed && p < d->pages; p++)
		if (keyed_mem_owner(pm, p * PAGE) && !keyed_mem_page_poisoned(pm, p * PAGE))
			page_protect(d, 0, p, PROT_READ);
	ram_fault_unwatch(pm);
}

struct vtsim_snapshot *vtsim_snapshot_take(struct vtsim_machine *m, char *err, size_t errlen)
{
	for (unsigned i = 0; i < m->nr_lps; i++)
		if (lp_in_guest(&m->lps[i])) {
			snprintf(err, errlen, "snapshot: LP %u is running a guest (VMX non-root operation)", i);
			return NULL;
		}
	/* From here on every LP counts instructions, so that an input's virtual time
	 * does not depend on whether an earlier one looked at the TSC, and a restore
	 * sees from the counts which LPs ran code. */
	for (unsigned i = 0; i < m->nr_lps; i++)
		lp_count_instructions(&m->lps[i]);
	struct vtsim_snapshot *s = calloc(1, sizeof(*s));
	if (!s)
		goto oom;
	s->nr_lps = m->nr_lps;
	s->lps = calloc(m->nr_lps, sizeof(*s->lps));
	s->ram = malloc(m->pm.size);
	if (!s->lps || !s->ram || dirty_init(&s->dirty, &m->pm) || keyed_take(s, &m->pm))
		goto oom;
	memcpy(s->ram, m->pm.ram, m->pm.size);
	for (unsigned i = 0; i < m->nr_lps; i++)
		if (lp_take(&m->lps[i], &s->lps[i]))
			goto oom;
	if (m->seam.module) {
		if (!(s->module = malloc(tdx_module_state_size())))
			goto oom;
		tdx_module_state_save(m->seam.module, s->module);
	}
#define TAKE(f) s->f = m->f;
	MACHINE_SNAP_SCALARS(TAKE)
#undef TAKE
	memcpy(s->stop_msg, m->stop_msg, sizeof(s->stop_msg));
	if (m->pm.dirty)
		dirty_disarm(&m->pm, m->pm.dirty);   /* the previous snapshot */
	dirty_arm(&m->pm, &s->dirty);
	return s;
oom:
	snprintf(err, errlen, "snapshot: out of memory");
	vtsim_snapshot_free(m, s);
	return NULL;
}

void vtsim_snapshot_free(struct vtsim_machine *m, struct vtsim_snapshot *s)
{
	if (!s)
		return;
	if (m && m->pm.dirty == &s->dirty)
		dirty_disarm(&m->pm, &s->dirty);
	for (unsigned i = 0; s->lps && i < s->nr_lps; i++)
		if (s->lps[i].ctx)
			uc_context_free(s->lps[i].ctx);
	free(s->lps);
	free(s->ram);
	free(s->owner);
	free(s->poisoned);
	free(s->key_poisoned);
	free(s->private_data);
	free(s->private_at);
	free(s->module);
	free(s->dirty.bits);
	free(s->dirty.list);
	free(s->dirty.stale_bits);
	free(s->dirty.stale);
	free(s);
}

/* ---- restoring ---------------------------------------------------------------------- */

/* The page as it was in `view` (NULL: zero, a view page no TD owned). */
static const uint8_t *saved_page(const struct vtsim_snapshot *s, unsigned view, uint64_t p)
{
	if (!view)
		return s->ram + p * PAGE;
	if (s->owner && s->owner[p] == view)
		return s->private_data + PAGE * s->private_at[p];
	return NULL;
}

/* A private page's KeyID-0 page is write-protected: writing it back needs the
 * protection lifted first (keyed_restore puts the snapshot's back). */
static bool restore_page(struct vtsim_machine *m, const struct vtsim_snapshot *s, unsigned view,
			 uint64_t p, bool compare)
{
	uint8_t *now = view ? m->pm.key_view[view] + p * PAGE : m->pm.ram + p * PAGE;
	const uint8_t *was = saved_page(s, view, p);
	static const uint8_t zero[PAGE];
	if (!was)
		was = zero;
	if (compare && !memcmp(now, was, PAGE))
		return false;
	bool guarded = !view && keyed_mem_owner(&m->pm, p * PAGE) &&
		       !keyed_mem_page_poisoned(&m->pm, p * PAGE);
	if (guarded)
		mprotect(now, PAGE, PROT_READ | PROT_WRITE);
	memcpy(now, was, PAGE);
	if (guarded)
		mprotect(now, PAGE, PROT_READ);
	return true;
}

/* The logged pages (open RAM pages may be unchanged: compared first). */
static uint64_t restore_logged(struct vtsim_machine *m, const struct vtsim_snapshot *s)
{
	const struct phys_dirty *d = &s->dirty;
	uint64_t n = 0;
	for (size_t i = 0; i < d->n; i++)
		n += restore_page(m, s, (unsigned)(d->list[i] / d->pages), d->list[i] % d->pages, true);
	return n;
}

/* The view pages of page p a TD owns now or owned then. */
static uint64_t restore_views_of(struct vtsim_machine *m, const struct vtsim_snapshot *s, uint64_t p)
{
	unsigned now = keyed_mem_owner(&m->pm, p * PAGE), was = s->owner ? s->owner[p] : 0;
	uint64_t n = 0;
	if (now)
		n += restore_page(m, s, now, p, true);
	if (was && was != now)
		n += restore_page(m, s, was, p, true);
	return n;
}

/* Every RAM page, and every view page a TD owns now or owned then. */
static uint64_t restore_compare(struct vtsim_machine *m, const struct vtsim_snapshot *s)
{
	uint64_t n = 0, pages = m->pm.size / PAGE;
	for (uint64_t p = 0; p < pages; p++)
		n += restore_page(m, s, 0, p, true) + restore_views_of(m, s, p);
	return n;
}

/* Page p's ownership, poison and KeyID-0 protection as they were (a page left
 * writable is an open page of the log). */
static void keyed_restore_page(struct phys *pm, struct vtsim_snapshot *s, uint64_t p)
{
	unsigned now = keyed_mem_owner(pm, p * PAGE);
	if (now == s->owner[p] && keyed_mem_page_poisoned(pm, p * PAGE) == (bool)s->poisoned[p])
		return;
	keyed_mem_set_state(pm, p * PAGE, s->owner[p], s->poisoned[p]);
	if (s->dirty.guarded && (!s->owner[p] || s->poisoned[p]))
		dirty_mark(&s->dirty, 0, p);
}

/* The pages whose state may have changed: with a complete log its RAM pages (a
 * page changes owner only when the module writes it, and a poison is a write
 * fault on it), else every page. */
static void keyed_restore(struct vtsim_machine *m, struct vtsim_snapshot *s)
{
	struct phys *pm = &m->pm;
	const struct phys_dirty *d = &s->dirty;
	if (!s->owner)
		return;
	if (d->all || !d->guarded) {
		for (uint64_t p = 0; p < d->pages; p++)
			keyed_restore_page(pm, s, p);
	} else {
		for (size_t i = 0, n = d->n; i < n; i++)
			if (d->list[i] < d->pages)
				keyed_restore_page(pm, s, d->list[i]);
	}
	for (unsigned key = 0; key < pm->nr_key_views; key++)
		keyed_mem_set_key_poisoned(pm, key, s->key_poisoned[key]);
}

/* An engine that ran since the snapshot (or the last restore) may hold translations of code that is not
 * there any more (the restore put back what the snapshot saw, from which every
 * older translation came): those engines' translations go. */
static void lp_restore(struct lp *lp, struct lp_snap *s)
{
	bool root_ran = lp->root.runs != s->root_runs, guest_ran = lp->guest.runs != s->guest_runs;
	drop_engine_translations(lp, root_ran, guest_ran);
	s->root_runs = lp->root.runs;
	s->guest_runs = lp->guest.runs;
	if (lp->active != &lp->root)
		lp_switch(lp, &lp->root);
	uc_context_restore(lp->root.uc, s->ctx);
	/* An engine's TLB holds what its runs filled (a register write that changes
	 * paging flushes it itself): one that did not run since has nothing stale. */
	if (root_ran)
		uc_ctl_flush_tlb(lp->root.uc);
#define RESTORE(f) lp->f = s->f;
	LP_SNAP_SCALARS(RESTORE)
#undef RESTORE
	/* The boundary hook is the engine's, installed or not now, and so are the guest
	 * engine's code sites (read under space_vmcs; snapshot_sync_guest_code keeps
	 * them right for the code the restore puts back): keep their records. */
	bool hooked = lp->vmx.boundary_hooked, want = lp->vmx.boundary_want;
	size_t hook = lp->vmx.boundary_hook;
	uint64_t space_vmcs = lp->vmx.space_vmcs;
	lp->vmx = s->vmx;
	lp->vmx.boundary_hooked = hooked;
	lp->vmx.boundary_want = want;
	lp->vmx.boundary_hook = hook;
	lp->vmx.space_vmcs = space_vmcs;
	if (lp->vmx.ept_active)
		lp->vmx.ept_active = &lp->vmx.ept;
	memcpy(lp->chain, s->chain, sizeof(lp->chain));
	/* The guest engine, if any, starts afresh at the next entry, translations gone. */
	if (lp->guest.uc) {
		lp->co_force_restart = true;
		if (guest_ran)
			guest_tlb_flush(lp);
	}
	lp_retire_recompute(lp);
}

int vtsim_snapshot_restore(struct vtsim_machine *m, struct vtsim_snapshot *s, char *err,
			   size_t errlen)
{
	if (m->pm.dirty != &s->dirty || s->nr_lps != m->nr_lps) {
		snprintf(err, errlen, "snapshot: not this machine's armed snapshot");
		return -1;
	}
	for (unsigned i = 0; i < m->nr_lps; i++)
		if (m->lps[i].on_guest_stack) {
			snprintf(err, errlen, "snapshot: LP %u is running a guest", i);
			return -1;
		}
	bool code_ran = false;
	for (unsigned i = 0; i < m->nr_lps; i++)
		code_ran |= m->lps[i].insns != s->lps[i].insns;
	bool compare = s->dirty.all || (code_ran && !s->dirty.guarded);
	/* Guarded, the log has every write, a TD's stores to its views included. */
	uint64_t n = compare ? restore_compare(m, s) : restore_logged(m, s);
	keyed_restore(m, s);
	for (unsigned i = 0; i < m->nr_lps; i++)
		lp_restore(&m->lps[i], &s->lps[i]);
	if (s->module)
		tdx_module_state_restore(m->seam.module, s->module);
#define RESTORE(f) m->f = s->f;
	MACHINE_SNAP_SCALARS(RESTORE)
#undef RESTORE
	memcpy(m->stop_msg, s->stop_msg, sizeof(m->stop_msg));
	dirty_clear(&s->dirty);
	s->stats.restores++;
	s->stats.pages_restored += n;
	s->stats.full_compares += compare;
	return 0;
}

void vtsim_snapshot_stats(const struct vtsim_snapshot *s, struct vtsim_snapshot_stats *out)
{
	*out = s->stats;
}
