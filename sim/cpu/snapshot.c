/* Machine snapshots (include/vtsim/snapshot.h): a copy of the machine's state, and
 * a log of the RAM pages the simulator writes after it (struct phys_dirty, which
 * phys_write and the KeyID views feed), so that a restore copies back only those. */
#include "vtsim/snapshot.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sim/cpu/keyed_mem.h"
#include "sim/cpu/machine.h"
#include "sim/tdx_module_stub/module.h"

#define PAGE 4096ull

/* The pages written since the snapshot: a bit and a list entry per page of each
 * view (view 0 is RAM, view k the KeyID-k view), or `all` when the list overflowed
 * or a write of unknown extent was noted. */
struct phys_dirty {
	uint64_t pages;               /* per view */
	unsigned nviews;
	uint64_t *bits;
	uint32_t *list;
	size_t n, cap;
	bool all;
};

/* The LP's plain fields a snapshot keeps, copied one way on taking and the other on
 * restoring. */
#define LP_SNAP_SCALARS(X)                                                             \
	X(activity) X(insns) X(event_ticks) X(feature_control) X(apic_base) X(tsc_offset) X(tsc_aux)   \
	X(misc_enable) X(pat) X(rand_state) X(debugctl) X(lapic) X(smm) X(init_pending) \
	X(halt_rip) X(halt_seq) X(halt_if) X(chain_len) X(chain_insns)

/* The machine's: the devices on the I/O bus, the open-bus page count, the
 * scheduler's halt sequence, and how the run ended. */
#define MACHINE_SNAP_SCALARS(X) \
	X(fw_cfg) X(pc) X(com1) X(open_bus_pages) X(halt_seq) X(stopped) X(result)

struct lp_snap {
	uc_context *ctx;              /* the root engine's CPU state */
	enum lp_activity activity;
	uint64_t insns, event_ticks, feature_control, apic_base, tsc_offset, tsc_aux, misc_enable, pat, rand_state;
	uint64_t debugctl;
	struct lapic lapic;
	struct smm_lp smm;            /* SMM state and the dual-monitor treatment */
	bool init_pending;
	uint64_t halt_rip, halt_seq;
	bool halt_if;
	struct vmx_lp vmx;
	struct exc_step chain[EXC_CHAIN_MAX];
	int chain_len;
	uint64_t chain_insns;
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

void phys_dirty_note(struct phys *pm, uint64_t pa, size_t n)
{
	struct phys_dirty *d = pm->dirty;
	unsigned view = 0;
	if (pa >= pm->size && pm->key_view) {
		view = (unsigned)(pa >> pm->keyid_shift);
		pa &= (1ull << pm->keyid_shift) - 1;
	}
	for (uint64_t p = pa / PAGE; n && p <= (pa + n - 1) / PAGE; p++)
		dirty_mark(d, view, p);
}

/* Drops the LP's translated code. The guest engine, while its coroutine lives, is
 * suspended inside a translated block (at the last VM exit): its code cache is
 * dropped when it runs again (lp_run_once), never under it. */
static void drop_translations(struct lp *lp)
{
	uc_ctl_flush_tb(lp->root.uc);
	if (lp->guest.uc && lp->co_started)
		lp->co_flush_tb = true;
	else if (lp->guest.uc)
		uc_ctl_flush_tb(lp->guest.uc);
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

static void dirty_clear(struct phys_dirty *d)
{
	if (d->all) {
		memset(d->bits, 0, (d->pages * d->nviews + 63) / 64 * 8);
	} else {
		for (size_t i = 0; i < d->n; i++)
			d->bits[d->list[i] / 64] &= ~(1ull << (d->list[i] % 64));
	}
	d->n = 0;
	d->all = false;
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
	d->cap = 4096;
	d->bits = calloc((d->pages * d->nviews + 63) / 64, 8);
	d->list = malloc(d->cap * sizeof(uint32_t));
	return d->bits && d->list && d->pages * d->nviews < UINT32_MAX ? 0 : -1;
}

struct vtsim_snapshot *vtsim_snapshot_take(struct vtsim_machine *m, char *err, size_t errlen)
{
	for (unsigned i = 0; i < m->nr_lps; i++)
		if (lp_in_guest(&m->lps[i])) {
			snprintf(err, errlen, "snapshot: LP %u is running a guest (VMX non-root operation)", i);
			return NULL;
		}
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
	if (m->pm.dirty && m->pm.dirty != &s->dirty)
		m->pm.dirty = NULL;           /* the previous snapshot is disarmed */
	m->pm.dirty = &s->dirty;
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
		m->pm.dirty = NULL;
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

static uint64_t restore_logged(struct vtsim_machine *m, const struct vtsim_snapshot *s)
{
	const struct phys_dirty *d = &s->dirty;
	for (size_t i = 0; i < d->n; i++)
		restore_page(m, s, (unsigned)(d->list[i] / d->pages), d->list[i] % d->pages, false);
	return d->n;
}

/* Every RAM page, and every view page a TD owns now or owned then. */
static uint64_t restore_compare(struct vtsim_machine *m, const struct vtsim_snapshot *s)
{
	uint64_t n = 0, pages = m->pm.size / PAGE;
	for (uint64_t p = 0; p < pages; p++) {
		n += restore_page(m, s, 0, p, true);
		unsigned now = keyed_mem_owner(&m->pm, p * PAGE), was = s->owner ? s->owner[p] : 0;
		if (now)
			n += restore_page(m, s, now, p, true);
		if (was && was != now)
			n += restore_page(m, s, was, p, true);
	}
	return n;
}

/* Page ownership, poison and the KeyID-0 protection as they were. */
static void keyed_restore(struct vtsim_machine *m, const struct vtsim_snapshot *s)
{
	struct phys *pm = &m->pm;
	if (!s->owner)
		return;
	uint64_t pages = pm->size / PAGE;
	for (uint64_t p = 0; p < pages; p++) {
		unsigned now = keyed_mem_owner(pm, p * PAGE);
		if (now != s->owner[p] || keyed_mem_page_poisoned(pm, p * PAGE) != (bool)s->poisoned[p])
			keyed_mem_set_state(pm, p * PAGE, s->owner[p], s->poisoned[p]);
	}
	for (unsigned key = 0; key < pm->nr_key_views; key++)
		keyed_mem_set_key_poisoned(pm, key, s->key_poisoned[key]);
}

static void lp_restore(struct lp *lp, const struct lp_snap *s, bool code_ran)
{
	if (lp->active != &lp->root)
		lp_switch(lp, &lp->root);
	uc_context_restore(lp->root.uc, s->ctx);
	uc_ctl_flush_tlb(lp->root.uc);
	if (code_ran)
		drop_translations(lp);
#define RESTORE(f) lp->f = s->f;
	LP_SNAP_SCALARS(RESTORE)
#undef RESTORE
	/* The boundary hook is the engine's, installed or not now: keep its record. */
	bool hooked = lp->vmx.boundary_hooked, want = lp->vmx.boundary_want;
	size_t hook = lp->vmx.boundary_hook;
	lp->vmx = s->vmx;
	lp->vmx.boundary_hooked = hooked;
	lp->vmx.boundary_want = want;
	lp->vmx.boundary_hook = hook;
	if (lp->vmx.ept_active)
		lp->vmx.ept_active = &lp->vmx.ept;
	memcpy(lp->chain, s->chain, sizeof(lp->chain));
	/* The guest engine, if any, starts afresh at the next entry, translations gone. */
	if (lp->guest.uc) {
		lp->co_force_restart = true;
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
	bool compare = code_ran || s->dirty.all;
	uint64_t n = compare ? restore_compare(m, s) : restore_logged(m, s);
	keyed_restore(m, s);
	for (unsigned i = 0; i < m->nr_lps; i++)
		lp_restore(&m->lps[i], &s->lps[i], code_ran);
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
