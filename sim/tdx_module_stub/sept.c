/* The Secure EPT and the leaves that change it (TDX module ABI): real EPT-format
 * tables in TD pages, rooted in TDCS page 3, whose entries carry their S-EPT state
 * in software-available bits 59:52 as the public state code (FREE, MAPPED,
 * PENDING, BLOCKED, NL_MAPPED, ...). Hardware walks them like any EPT: only MAPPED
 * leaves and NL_MAPPED non-leaves have their RWX bits set. Which states each leaf
 * accepts is one table (the module's S-EPT state lookup, as data); TLB tracking
 * follows the TD epoch and the per-epoch counts of running vCPUs in the TDCS. */
#include "sim/tdx_module_stub/td.h"

#include "sim/cpu/keyed_mem.h"

#include <string.h>

#define SEPT_LEVELS      4
#define SEPT_STATE_SHIFT 52
#define SEPT_STATE_MASK  (0xffull << SEPT_STATE_SHIFT)
#define SEPT_PA_MASK     0x000ffffffffff000ull
#define SEPT_SVE         (1ull << 63)
#define SEPT_RWX         7ull
#define SEPT_WB          (6ull << 3)
#define SEPT_PS          (1ull << 7) /* a leaf above level 0: a 2 MiB or 1 GiB page */
#define SEPT_FREE_ENTRY  SEPT_SVE    /* FREE, and #VE suppressed */

/* ---- the state lookup: which S-EPT states each leaf may find ----------------- */

/* A state's bit in a mask: the leaf states 0-5 are bits 0-5, the non-leaf states
 * (0x81, 0x84) bits 33 and 36. */
#define ST(x) ((x) >= 0x80 ? 1ull << (32 + ((x) & 0x1f)) : 1ull << ((x) & 0x1f))

static const struct { unsigned leaf; uint64_t states; } sept_state_lookup[] = {
	{ TDH_MEM_PAGE_ADD,      ST(SEPT_FREE) },
	{ TDH_MEM_SEPT_ADD,      ST(SEPT_FREE) },
	{ TDH_MEM_PAGE_AUG,      ST(SEPT_FREE) | ST(SEPT_REMOVED) },
	{ TDH_MEM_RANGE_BLOCK,   ST(SEPT_NL_MAPPED) | ST(SEPT_MAPPED) | ST(SEPT_PENDING) },
	{ TDH_MR_EXTEND,         ST(SEPT_MAPPED) },
	{ TDH_MEM_PAGE_REMOVE,   ST(SEPT_MAPPED) | ST(SEPT_BLOCKED) | ST(SEPT_PENDING) |
				 ST(SEPT_PENDING_BLOCKED) },
	{ TDH_MEM_SEPT_REMOVE,   ST(SEPT_NL_MAPPED) | ST(SEPT_NL_BLOCKED) },
	{ TDH_MEM_RANGE_UNBLOCK, ST(SEPT_NL_BLOCKED) | ST(SEPT_BLOCKED) | ST(SEPT_PENDING_BLOCKED) },
	{ TDH_MEM_RD,            ST(SEPT_MAPPED) | ST(SEPT_BLOCKED) },
	{ TDH_MEM_WR,            ST(SEPT_MAPPED) | ST(SEPT_BLOCKED) },
	{ TDH_MEM_PAGE_DEMOTE,   ST(SEPT_MAPPED) | ST(SEPT_BLOCKED) | ST(SEPT_PENDING) |
				 ST(SEPT_PENDING_BLOCKED) },
	{ TDH_MEM_PAGE_PROMOTE,  ST(SEPT_NL_MAPPED) | ST(SEPT_NL_BLOCKED) },
};

static bool state_allowed(unsigned leaf, unsigned st)
{
	for (size_t i = 0; i < sizeof(sept_state_lookup) / sizeof(sept_state_lookup[0]); i++)
		if (sept_state_lookup[i].leaf == leaf)
			return sept_state_lookup[i].states & ST(st);
	return false;
}

/* ---- entries ------------------------------------------------------------------ */

static unsigned entry_state(uint64_t e)
{
	return (unsigned)((e & SEPT_STATE_MASK) >> SEPT_STATE_SHIFT);
}

/* A leaf maps its page with the TD's KeyID in the address (a private page's data
 * is in that KeyID's view of memory); tables are the module's own. */
static uint64_t make_entry(uint64_t pa, unsigned st, bool leaf)
{
	/* Entries the TD cannot use suppress #VE: the CPU exits to the module, which
	 * decides (a #VE for a pending page, or an exit to the VMM). */
	bool present = st == SEPT_MAPPED || st == SEPT_NL_MAPPED;
	return (pa & SEPT_PA_MASK) | (present ? SEPT_RWX : SEPT_SVE) | (leaf ? SEPT_WB : 0) |
	       ((uint64_t)st << SEPT_STATE_SHIFT);
}

static bool is_leaf_state(unsigned st)
{
	return st != SEPT_FREE && st != SEPT_REMOVED && st != SEPT_NL_MAPPED && st != SEPT_NL_BLOCKED;
}

/* A leaf entry at `level`: above 4 KiB it maps a large page (PS). */
static uint64_t make_leaf(uint64_t pa, unsigned st, unsigned level)
{
	return make_entry(pa, st, true) | (level ? SEPT_PS : 0);
}

/* The same entry in another state: its page, size and memory type kept. */
static uint64_t restate(uint64_t e, unsigned st)
{
	bool leaf = st != SEPT_NL_MAPPED && st != SEPT_NL_BLOCKED;
	return make_entry(e & SEPT_PA_MASK, st, leaf) | (e & SEPT_PS);
}

/* The size of the pages the entries of a table at `level` map. */
static uint64_t level_size(unsigned level)
{
	return 1ull << (12 + 9 * level);
}

static bool is_blocked(unsigned st)
{
	return st == SEPT_BLOCKED || st == SEPT_NL_BLOCKED || st == SEPT_PENDING_BLOCKED;
}

/* An S-EPT table page is the TD's private memory: the module and the CPU's EPT
 * walk reach it with the TD's HKID (in the EPTP and in each non-leaf entry). */
static uint64_t sept_keyed(const struct tdx_module *mod, const struct tdr *t, uint64_t page)
{
	return td_keyed(mod, page, t->hkid);
}

void sept_table_init(struct tdx_module *mod, const struct tdr *t, uint64_t page)
{
	keyed_mem_make_private(mod->pm, page, t->hkid);
	for (unsigned i = 0; i < 512; i++)
		phys_write64(mod->pm, sept_keyed(mod, t, page) + 8 * i, SEPT_FREE_ENTRY);
}

uint64_t sept_eptp(const struct tdx_module *mod, const struct tdr *t, const struct tdcs *c)
{
	return sept_keyed(mod, t, t->tdcx[TDCS_SEPT_ROOT_PAGE]) | c->eptp_controls;
}

struct sept_walk {
	uint64_t keyid_bits;         /* where a KeyID sits in an address */
	uint64_t entry_pa, entry;
	unsigned level;              /* where the walk stopped */
	unsigned state;
};

/* Walks from the root toward the entry at `level` mapping `gpa`; true when it got
 * there (false: stopped at a free entry or a leaf above it). */
static bool walk(struct tdx_module *mod, const struct tdr *t, uint64_t gpa, unsigned level,
		 struct sept_walk *w)
{
	uint64_t table = sept_keyed(mod, t, t->tdcx[TDCS_SEPT_ROOT_PAGE]);
	w->keyid_bits = SEPT_PA_MASK & ~((1ull << mod->info.keyid_shift) - 1);
	for (unsigned l = SEPT_LEVELS - 1;; l--) {
		w->entry_pa = table + ((gpa >> (12 + 9 * l)) & 511) * 8;
		w->entry = phys_read64(mod->pm, w->entry_pa);
		w->level = l;
		w->state = entry_state(w->entry);
		if (l == level)
			return true;
		if (w->state != SEPT_NL_MAPPED && w->state != SEPT_NL_BLOCKED)
			return false;
		table = w->entry & SEPT_PA_MASK;
	}
}

/* Walks to the leaf mapping `gpa`, whatever its size: false when the walk stops
 * at a free or removed entry. */
static bool walk_to_leaf(struct tdx_module *mod, const struct tdr *t, uint64_t gpa, struct sept_walk *w)
{
	return walk(mod, t, gpa & ~0xfffull, 0, w) || is_leaf_state(w->state);
}

/* What the host is told an entry is: the architectural bits (no KeyID, no
 * software state), a free entry as Suppress-#VE only. */
static uint64_t arch_entry(const struct sept_walk *w)
{
	uint64_t e = w->entry;
	return entry_state(e) == SEPT_FREE ? SEPT_SVE : e & ~SEPT_STATE_MASK & ~w->keyid_bits;
}

/* The extended error information S-EPT failures return: the entry and its level
 * and state. */
static uint64_t ext_err(uint64_t status, const struct sept_walk *w, uint64_t gpr[16])
{
	gpr[R_RCX] = arch_entry(w);
	gpr[R_RDX] = w->level | (uint64_t)w->state << 8;
	return status;
}

/* The GPA-and-level operand (page_info: level in 2:0, GPA in 51:12): a private GPA
 * within GPAW, aligned to the level's size, with the level in [min, max]. */
static bool gpa_operand(uint64_t info, unsigned min, unsigned max, uint64_t *gpa, unsigned *level)
{
	*level = info & 7;
	*gpa = info & ~0xfffull;
	if ((info & 0xff8) || *level < min || *level > max)
		return false;
	if (*gpa >= TD_SHARED_BIT)                /* shared, or beyond GPAW */
		return false;
	return !(*gpa & ((1ull << (12 + 9 * *level)) - 1));
}

/* Walks to the entry a leaf works on and checks its state against the lookup. */
static uint64_t reach(struct tdx_module *mod, const struct tdr *t, unsigned leaf, uint64_t gpa,
		      unsigned level, struct sept_walk *w, uint64_t gpr[16])
{
	if (!walk(mod, t, gpa, level, w))
		return ext_err(tdx_err(TDX_EPT_WALK_FAILED, TDX_OPERAND_ID_RCX), w, gpr);
	if (!state_allowed(leaf, w->state)) {
		bool blocked = w->state == SEPT_BLOCKED || w->state == SEPT_NL_BLOCKED ||
			       w->state == SEPT_PENDING_BLOCKED;
		if (leaf == TDH_MEM_RANGE_BLOCK && blocked)
			return ext_err(tdx_err(TDX_GPA_RANGE_ALREADY_BLOCKED, TDX_OPERAND_ID_RCX), w, gpr);
		return ext_err(tdx_err(TDX_EPT_ENTRY_STATE_INCORRECT, TDX_OPERAND_ID_RCX), w, gpr);
	}
	return TDX_SUCCESS;
}

/* Has the TLB tracking begun after the block at `bepoch` completed? */
static bool tracked(const struct tdcs *c, uint64_t bepoch)
{
	uint64_t prev = c->td_epoch - 1;
	return bepoch < prev || (bepoch == prev && c->refcount[bepoch & 1] == 0);
}

static uint64_t pamt_entry_of(struct tdx_module *mod, uint64_t pa, unsigned level, struct pamt_entry *e)
{
	const struct tdx_tdmr *tm = tdx_tdmr_of(mod, pa);
	uint64_t at = pamt_entry_addr(tm, pa, level);
	pamt_get(mod->pm, at, e);
	return at;
}

/* A page of `level`'s size the TD takes: its PAMT entry (at that level) becomes
 * `type`, owned by the TDR; the child count is in 4 KiB units. */
static void take_pages(struct tdx_module *mod, uint64_t entry, unsigned level, uint64_t tdr_pa,
		       struct tdr *t, unsigned type)
{
	struct pamt_entry e = { .type = (uint8_t)type, .owner = tdr_pa >> 12 };
	pamt_put(mod->pm, entry, &e);
	t->chldcnt += 1ull << (9 * level);
	tdr_put(mod, tdr_pa, t);
}

static void take_page(struct tdx_module *mod, uint64_t entry, uint64_t tdr_pa, struct tdr *t,
		      unsigned type)
{
	take_pages(mod, entry, PT_4KB, tdr_pa, t, type);
}

/* The page (of `level`'s size) at `pa` leaves the TD. */
static void give_back_page(struct tdx_module *mod, uint64_t pa, unsigned level, uint64_t tdr_pa,
			   struct tdr *t)
{
	struct pamt_entry e;
	uint64_t at = pamt_entry_of(mod, pa, level, &e), pages = 1ull << (9 * level);
	e = (struct pamt_entry){ .type = PT_NDA };
	pamt_put(mod->pm, at, &e);
	for (uint64_t i = 0; i < pages; i++)
		keyed_mem_make_shared(mod->pm, pa + 4096 * i);
	t->chldcnt -= pages;
	tdr_put(mod, tdr_pa, t);
}

/* MRTD's 128-byte blocks: the operation's name, then the GPA at byte 16. */
static void measure_block(struct tdcs *c, const char *what, uint64_t gpa)
{
	uint8_t b[128] = { 0 };
	memcpy(b, what, strlen(what));
	memcpy(b + 16, &gpa, 8);
	td_mrtd_extend(c, b, sizeof(b));
}

/* The page an entry maps or links (the one whose PAMT holds the blocking epoch),
 * without a KeyID, and the level of that page's PAMT entry (a table is a 4 KiB
 * page; a leaf's page is its level's size). */
static uint64_t entry_page(const struct tdx_module *mod, const struct sept_walk *w)
{
	return w->entry & SEPT_PA_MASK & ((1ull << mod->info.keyid_shift) - 1);
}

static unsigned entry_page_level(const struct sept_walk *w)
{
	return is_leaf_state(w->state) ? w->level : PT_4KB;
}

/* ---- the leaves ---------------------------------------------------------------- */

/* What an S-EPT leaf works on: the TD and the GPA and level it names, and the
 * walk to that entry. */
struct sept_op {
	struct tdr t;
	struct tdcs c;
	uint64_t gpa;
	unsigned level;
	struct sept_walk w;
};

/* The start the S-EPT leaves share, in the module's order: the TDR (its checks
 * and the OP_STATE lookup), then the GPA-and-level in RCX, the level in [min, max]. */
static uint64_t sept_leaf_begin(struct tdx_module *mod, unsigned leaf, uint64_t tdr, uint64_t gpr[16],
				unsigned min, unsigned max, struct sept_op *op)
{
	uint64_t r = td_enter_leaf(mod, leaf, tdr, TDX_OPERAND_ID_RDX, &op->t, &op->c);
	if (r)
		return r;
	if (!gpa_operand(gpr[R_RCX], min, max, &op->gpa, &op->level))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	return TDX_SUCCESS;
}

uint64_t tdh_mem_sept_add(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct tdr t;
	struct tdcs c;
	bool v1 = (gpr[R_RAX] >> 16) & 0xff;
	bool allow_existing = v1 && (gpr[R_RDX] & 1);
	uint64_t tdr = gpr[R_RDX] & ~(uint64_t)(v1 ? 1 : 0), page = gpr[R_R8], gpa, entry;
	unsigned level;
	uint64_t r = td_enter_leaf(mod, TDH_MEM_SEPT_ADD, tdr, TDX_OPERAND_ID_RDX, &t, &c);
	if (r)
		return r;
	if (!gpa_operand(gpr[R_RCX], 1, SEPT_LEVELS - 1, &gpa, &level))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	struct sept_walk w;
	if (!walk(mod, &t, gpa, level, &w))
		return ext_err(tdx_err(TDX_EPT_WALK_FAILED, TDX_OPERAND_ID_RCX), &w, gpr);
	if (allow_existing && w.state == SEPT_NL_MAPPED) {
		gpr[R_R8] = page | 1ull << 63;       /* already there: the page is not used */
		return TDX_SUCCESS;
	}
	if ((r = reach(mod, &t, TDH_MEM_SEPT_ADD, gpa, level, &w, gpr)))
		return r;
	struct pamt_entry e;
	if ((r = td_page_operand(mod, page, TDX_OPERAND_ID_R8, PT_NDA, &entry, &e)))
		return r;
	sept_table_init(mod, &t, page);              /* every entry FREE */
	phys_write64(mod->pm, w.entry_pa, make_entry(sept_keyed(mod, &t, page), SEPT_NL_MAPPED, false));
	take_page(mod, entry, tdr, &t, PT_EPT);
	if (v1)
		gpr[R_R8] = 0;                       /* version 1: the page was used */
	return TDX_SUCCESS;
}

uint64_t tdh_mem_sept_rd(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct sept_op op;
	uint64_t r = sept_leaf_begin(mod, TDH_MEM_SEPT_RD, gpr[R_RDX], gpr, 0, SEPT_LEVELS - 1, &op);
	if (r)
		return r;
	bool there = walk(mod, &op.t, op.gpa, op.level, &op.w);
	ext_err(0, &op.w, gpr);
	gpr[R_R8] = 0;
	return there ? TDX_SUCCESS : tdx_err(TDX_EPT_WALK_FAILED, TDX_OPERAND_ID_RCX);
}

uint64_t tdh_mem_page_add(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct sept_op op;
	uint64_t tdr = gpr[R_RDX], page = gpr[R_R8], src = gpr[R_R9], entry;
	uint64_t r = sept_leaf_begin(mod, TDH_MEM_PAGE_ADD, tdr, gpr, 0, 0, &op);
	if (r)
		return r;
	/* The module's order: the S-EPT entry, then the source, then the new page. */
	if ((r = reach(mod, &op.t, TDH_MEM_PAGE_ADD, op.gpa, 0, &op.w, gpr)))
		return r;
	/* The source is ordinary memory, read with KeyID 0. */
	if ((src & 0xfff) || (src >> mod->info.keyid_shift) || !phys_is_ram(mod->pm, src, 4096))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R9);
	struct pamt_entry e;
	if ((r = td_page_operand(mod, page, TDX_OPERAND_ID_R8, PT_NDA, &entry, &e)))
		return r;
	uint8_t data[4096];
	uint64_t keyed = page | (uint64_t)op.t.hkid << mod->info.keyid_shift;
	phys_read(mod->pm, src, data, sizeof(data));
	keyed_mem_make_private(mod->pm, page, op.t.hkid);
	phys_write(mod->pm, keyed, data, sizeof(data));
	phys_write64(mod->pm, op.w.entry_pa, make_entry(keyed, SEPT_MAPPED, true));
	measure_block(&op.c, "MEM.PAGE.ADD", op.gpa);
	tdcs_put(mod, &op.t, &op.c);
	take_page(mod, entry, tdr, &op.t, PT_REG);
	return TDX_SUCCESS;
}

uint64_t tdh_mr_extend(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct tdr t;
	struct tdcs c;
	uint64_t gpa = gpr[R_RCX];
	uint64_t r = td_enter_leaf(mod, TDH_MR_EXTEND, gpr[R_RDX], TDX_OPERAND_ID_RDX, &t, &c);
	if (r)
		return r;
	if ((gpa & 0xff) || gpa >= TD_SHARED_BIT)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	/* A walk that stops short is EPT_ENTRY_NOT_PRESENT with the entry where it
	 * stopped; a leaf that is not MAPPED is EPT_ENTRY_NOT_PRESENT alone. */
	struct sept_walk w;
	if (!walk(mod, &t, gpa & ~0xfffull, 0, &w))
		return ext_err(tdx_err(TDX_EPT_ENTRY_NOT_PRESENT, TDX_OPERAND_ID_RCX), &w, gpr);
	if (!state_allowed(TDH_MR_EXTEND, w.state)) {
		gpr[R_RCX] = gpr[R_RDX] = 0;
		return TDX_EPT_ENTRY_NOT_PRESENT;
	}
	uint8_t chunk[256];
	phys_read(mod->pm, (w.entry & SEPT_PA_MASK) + (gpa & 0xfff), chunk, sizeof(chunk));
	measure_block(&c, "MR.EXTEND", gpa);
	td_mrtd_extend(&c, chunk, sizeof(chunk));
	tdcs_put(mod, &t, &c);
	return TDX_SUCCESS;
}

/* TDH.MEM.PAGE.AUG (6): RCX = GPA | level (4 KiB or 2 MiB), RDX = TDR, R8 = the
 * page. The module's order: the S-EPT entry at that level (FREE or REMOVED), then
 * the page operand (a free 4 KiB page, or a free 2 MiB range); the entry becomes a
 * PENDING leaf of that size and the page the TD's, every 4 KiB of it counted. */
uint64_t tdh_mem_page_aug(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct sept_op op;
	uint64_t tdr = gpr[R_RDX], page = gpr[R_R8], entry;
	uint64_t r = sept_leaf_begin(mod, TDH_MEM_PAGE_AUG, tdr, gpr, 0, 1, &op);
	if (r)
		return r;
	if ((r = reach(mod, &op.t, TDH_MEM_PAGE_AUG, op.gpa, op.level, &op.w, gpr)))
		return r;
	gpr[R_RCX] = gpr[R_RDX] = 0;                 /* no extended error from here on */
	struct pamt_entry e;
	r = op.level ? td_free_2m_operand(mod, page, TDX_OPERAND_ID_R8, &entry) :
		       td_page_operand(mod, page, TDX_OPERAND_ID_R8, PT_NDA, &entry, &e);
	if (r)
		return r;
	for (uint64_t i = 0; i < level_size(op.level) / 4096; i++)
		keyed_mem_make_private(mod->pm, page + 4096 * i, op.t.hkid);
	uint64_t keyed = page | (uint64_t)op.t.hkid << mod->info.keyid_shift;
	phys_write64(mod->pm, op.w.entry_pa, make_leaf(keyed, SEPT_PENDING, op.level));
	take_pages(mod, entry, op.level, tdr, &op.t, PT_REG);
	return TDX_SUCCESS;
}

uint64_t tdh_mem_range_block(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct sept_op op;
	uint64_t r = sept_leaf_begin(mod, TDH_MEM_RANGE_BLOCK, gpr[R_RDX], gpr, 0, SEPT_LEVELS - 1, &op);
	if (r)
		return r;
	if ((r = reach(mod, &op.t, TDH_MEM_RANGE_BLOCK, op.gpa, op.level, &op.w, gpr)))
		return r;
	unsigned to = op.w.state == SEPT_NL_MAPPED ? SEPT_NL_BLOCKED :
		      op.w.state == SEPT_MAPPED ? SEPT_BLOCKED : SEPT_PENDING_BLOCKED;
	phys_write64(mod->pm, op.w.entry_pa, restate(op.w.entry, to));
	struct pamt_entry e;
	uint64_t at = pamt_entry_of(mod, entry_page(mod, &op.w), entry_page_level(&op.w), &e);
	e.bepoch = op.c.td_epoch;
	pamt_put(mod->pm, at, &e);
	op.w.entry = phys_read64(mod->pm, op.w.entry_pa);
	op.w.state = to;
	ext_err(0, &op.w, gpr);
	return TDX_SUCCESS;
}

/* The blocked-and-tracked rule for taking an entry away in a running TD. */
static uint64_t check_tracked(struct tdx_module *mod, const struct tdcs *c, const struct sept_walk *w,
			      uint64_t gpr[16])
{
	if (!td_tlb_tracking_required(c->op_state))
		return TDX_SUCCESS;
	if (!is_blocked(w->state))
		return ext_err(tdx_err(TDX_GPA_RANGE_NOT_BLOCKED, TDX_OPERAND_ID_RCX), w, gpr);
	struct pamt_entry e;
	pamt_entry_of(mod, entry_page(mod, w), entry_page_level(w), &e);
	if (!tracked(c, e.bepoch))
		return ext_err(tdx_err(TDX_TLB_TRACKING_NOT_DONE, TDX_OPERAND_ID_RCX), w, gpr);
	return TDX_SUCCESS;
}

uint64_t tdh_mem_range_unblock(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct sept_op op;
	uint64_t r = sept_leaf_begin(mod, TDH_MEM_RANGE_UNBLOCK, gpr[R_RDX], gpr, 0, SEPT_LEVELS - 1, &op);
	if (r)
		return r;
	if ((r = reach(mod, &op.t, TDH_MEM_RANGE_UNBLOCK, op.gpa, op.level, &op.w, gpr)))
		return r;
	if ((r = check_tracked(mod, &op.c, &op.w, gpr)))
		return r;
	unsigned to = op.w.state == SEPT_NL_BLOCKED ? SEPT_NL_MAPPED :
		      op.w.state == SEPT_BLOCKED ? SEPT_MAPPED : SEPT_PENDING;
	phys_write64(mod->pm, op.w.entry_pa, restate(op.w.entry, to));
	return TDX_SUCCESS;
}

uint64_t tdh_mem_track(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct tdr t;
	struct tdcs c;
	uint64_t r = td_enter_leaf(mod, TDH_MEM_TRACK, gpr[R_RCX], TDX_OPERAND_ID_RCX, &t, &c);
	if (r)
		return r;
	if (c.refcount[(c.td_epoch - 1) & 1])
		return TDX_PREVIOUS_TLB_EPOCH_BUSY;
	c.td_epoch++;
	tdcs_put(mod, &t, &c);
	return TDX_SUCCESS;
}

uint64_t tdh_mem_page_remove(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct sept_op op;
	uint64_t tdr = gpr[R_RDX];
	uint64_t r = sept_leaf_begin(mod, TDH_MEM_PAGE_REMOVE, tdr, gpr, 0, 2, &op);
	if (r)
		return r;
	if ((r = reach(mod, &op.t, TDH_MEM_PAGE_REMOVE, op.gpa, op.level, &op.w, gpr)) ||
	    (r = check_tracked(mod, &op.c, &op.w, gpr)))
		return r;
	ext_err(0, &op.w, gpr);
	phys_write64(mod->pm, op.w.entry_pa, SEPT_FREE_ENTRY);
	give_back_page(mod, entry_page(mod, &op.w), op.level, tdr, &op.t);
	return TDX_SUCCESS;
}

uint64_t tdh_mem_sept_remove(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct sept_op op;
	uint64_t tdr = gpr[R_RDX];
	uint64_t r = sept_leaf_begin(mod, TDH_MEM_SEPT_REMOVE, tdr, gpr, 1, SEPT_LEVELS - 1, &op);
	if (r)
		return r;
	if ((r = reach(mod, &op.t, TDH_MEM_SEPT_REMOVE, op.gpa, op.level, &op.w, gpr)) ||
	    (r = check_tracked(mod, &op.c, &op.w, gpr)))
		return r;
	uint64_t page = entry_page(mod, &op.w), keyed = op.w.entry & SEPT_PA_MASK;
	for (unsigned i = 0; i < 512; i++)
		if (phys_read64(mod->pm, keyed + 8 * i) != SEPT_FREE_ENTRY)
			return ext_err(tdx_err(TDX_EPT_PAGE_NOT_FREE, TDX_OPERAND_ID_RCX), &op.w, gpr);
	phys_write64(mod->pm, op.w.entry_pa, SEPT_FREE_ENTRY);
	give_back_page(mod, page, PT_4KB, tdr, &op.t);
	gpr[R_RCX] = page;
	return TDX_SUCCESS;
}

/* TDH.MEM.RD and TDH.MEM.WR: 8 bytes of a debug TD's private memory (RCX = GPA,
 * 8-byte aligned); WR writes R8 and returns the old value in R8. */
static uint64_t mem_rw(struct tdx_module *mod, unsigned leaf, uint64_t gpr[16])
{
	struct tdr t;
	struct tdcs c;
	uint64_t gpa = gpr[R_RCX], value = gpr[R_R8];
	gpr[R_R8] = 0;
	uint64_t r = td_enter_leaf(mod, leaf, gpr[R_RDX], TDX_OPERAND_ID_RDX, &t, &c);
	if (r)
		return r;
	if (!(c.attributes & TD_ATTR_DEBUG))
		return TDX_TD_NON_DEBUG;
	if ((gpa & 7) || gpa >= TD_SHARED_BIT)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	/* The leaf holding the GPA, of any size. */
	struct sept_walk w;
	if (!walk_to_leaf(mod, &t, gpa, &w))
		return ext_err(tdx_err(TDX_EPT_WALK_FAILED, TDX_OPERAND_ID_RCX), &w, gpr);
	if (!state_allowed(leaf, w.state))
		return ext_err(tdx_err(TDX_EPT_ENTRY_STATE_INCORRECT, TDX_OPERAND_ID_RCX), &w, gpr);
	uint64_t at = (w.entry & SEPT_PA_MASK) + (gpa & (level_size(w.level) - 1));   /* with the TD's KeyID */
	gpr[R_R8] = phys_read64(mod->pm, at);
	if (leaf == TDH_MEM_WR)
		phys_write64(mod->pm, at, value);
	return TDX_SUCCESS;
}

uint64_t tdh_mem_rd(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	return mem_rw(mod, TDH_MEM_RD, gpr);
}

uint64_t tdh_mem_wr(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	return mem_rw(mod, TDH_MEM_WR, gpr);
}

/* ---- large pages: DEMOTE splits a leaf, PROMOTE folds a table back ------------- */

#define NULL_PA (~0ull)              /* an L2 S-EPT page operand not given or not used */

/* PROMOTE's condition on the table it folds: 512 leaves all MAPPED or all PENDING,
 * each the first plus i pages (the same state and attributes), mapping one run
 * aligned to the merged page's size. */
static bool table_mergeable(struct tdx_module *mod, uint64_t table, unsigned level)
{
	uint64_t first = phys_read64(mod->pm, table), part = level_size(level - 1);
	unsigned st = entry_state(first);
	if ((st != SEPT_MAPPED && st != SEPT_PENDING) || (first & SEPT_PA_MASK & (512 * part - 1)))
		return false;
	for (unsigned i = 1; i < 512; i++)
		if (phys_read64(mod->pm, table + 8 * i) != first + i * part)
			return false;
	return true;
}

/* TDH.MEM.PAGE.PROMOTE (23): RCX = GPA | level (1 or 2), RDX = TDR. The non-leaf
 * entry there, blocked and tracked in a running TD, becomes the leaf its table's
 * 512 leaves add up to; the table page leaves the TD (RCX). Version 1 also
 * returns the L2 tables' pages in R9-R11: there are no L2 VMs, so NULL_PA. */
uint64_t tdh_mem_page_promote(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct sept_op op;
	uint64_t tdr = gpr[R_RDX];
	if ((gpr[R_RAX] >> 16) & 0xff)
		gpr[R_R9] = gpr[R_R10] = gpr[R_R11] = NULL_PA;
	uint64_t r = sept_leaf_begin(mod, TDH_MEM_PAGE_PROMOTE, tdr, gpr, 1, 2, &op);
	if (r)
		return r;
	if ((r = reach(mod, &op.t, TDH_MEM_PAGE_PROMOTE, op.gpa, op.level, &op.w, gpr)))
		return r;
	/* The table's PAMT entry is taken exclusively: it is about to go. */
	uint64_t table = entry_page(mod, &op.w);
	if (!pamt_lock(mod, pamt_entry_addr(tdx_tdmr_of(mod, table), table, PT_4KB)))
		return tdx_err(TDX_OPERAND_BUSY, TDX_OPERAND_ID_RCX);
	if ((r = check_tracked(mod, &op.c, &op.w, gpr)))
		return r;
	uint64_t keyed = op.w.entry & SEPT_PA_MASK;
	if (!table_mergeable(mod, keyed, op.level))
		return ext_err(tdx_err(TDX_EPT_INVALID_PROMOTE_CONDITIONS, TDX_OPERAND_ID_RCX), &op.w, gpr);
	uint64_t first = phys_read64(mod->pm, keyed);
	struct sept_walk leaf = { .entry = first };
	pamt_promote(mod, entry_page(mod, &leaf), op.level);
	/* The leaf is not blocked: its parts were not. */
	phys_write64(mod->pm, op.w.entry_pa, make_leaf(first & SEPT_PA_MASK, entry_state(first), op.level));
	give_back_page(mod, table, PT_4KB, tdr, &op.t);
	gpr[R_RCX] = table;
	gpr[R_RDX] = 0;
	return TDX_SUCCESS;
}

/* TDH.MEM.PAGE.DEMOTE (15): RCX = GPA | level (1 or 2), RDX = TDR (bit 0, the L2
 * S-EPT add mode, has nothing to act on; bits 11:1 and 63:52 reserved), R8 = the
 * new S-EPT page. The leaf there, blocked and tracked in a running TD, becomes a
 * table of 512 leaves of the next size in its state, unblocked. */
uint64_t tdh_mem_page_demote(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct sept_op op;
	if (gpr[R_RDX] & 0xfff0000000000ffeull)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	uint64_t tdr = gpr[R_RDX] & SEPT_PA_MASK, page = gpr[R_R8], entry;
	uint64_t r = sept_leaf_begin(mod, TDH_MEM_PAGE_DEMOTE, tdr, gpr, 1, 2, &op);
	if (r)
		return r;
	if ((r = reach(mod, &op.t, TDH_MEM_PAGE_DEMOTE, op.gpa, op.level, &op.w, gpr)) ||
	    (r = check_tracked(mod, &op.c, &op.w, gpr)))
		return r;
	struct pamt_entry e;
	if ((r = td_page_operand(mod, page, TDX_OPERAND_ID_R8, PT_NDA, &entry, &e)))
		return r;
	unsigned st = op.w.state == SEPT_BLOCKED ? SEPT_MAPPED :
		      op.w.state == SEPT_PENDING_BLOCKED ? SEPT_PENDING : op.w.state;
	uint64_t big = op.w.entry & SEPT_PA_MASK, part = level_size(op.level - 1);
	uint64_t keyed = sept_keyed(mod, &op.t, page);
	keyed_mem_make_private(mod->pm, page, op.t.hkid);
	for (unsigned i = 0; i < 512; i++)
		phys_write64(mod->pm, keyed + 8 * i, make_leaf(big + i * part, st, op.level - 1));
	pamt_demote(mod, entry_page(mod, &op.w), op.level);
	phys_write64(mod->pm, op.w.entry_pa, make_entry(keyed, SEPT_NL_MAPPED, false));
	take_page(mod, entry, tdr, &op.t, PT_EPT);
	gpr[R_RCX] = gpr[R_RDX] = 0;
	return TDX_SUCCESS;
}

/* ---- for TD execution ---------------------------------------------------------- */

unsigned sept_leaf_state(struct tdx_module *mod, const struct tdr *t, uint64_t gpa,
			 uint64_t *entry_pa, unsigned *level)
{
	struct sept_walk w;
	if (!walk_to_leaf(mod, t, gpa, &w))
		return SEPT_FREE;
	*entry_pa = w.entry_pa;
	*level = w.level;
	return w.state;
}

/* What the VMM is told about an ACCEPT it must fix (the extended exit
 * qualification's info): the requested level (2:0), the level (5:3), state (13:6)
 * and leafness (14) of the entry where the module stopped. */
static uint32_t accept_violation(const struct sept_walk *w, unsigned level)
{
	return level | w->level << 3 | (w->state & 0xff) << 6 | (uint32_t)is_leaf_state(w->state) << 14;
}

uint64_t sept_accept(struct tdx_module *mod, const struct tdr *t, uint64_t gpa, unsigned level,
		     uint32_t *violation)
{
	struct sept_walk w;
	if (!walk(mod, t, gpa, level, &w)) {
		/* Stopped above: at a larger leaf (accepted already when MAPPED), or a
		 * missing table. */
		if (w.state == SEPT_MAPPED)
			return TDX_PAGE_ALREADY_ACCEPTED | w.level;
		*violation = accept_violation(&w, level);
		return ~0ull;
	}
	if (w.state == SEPT_NL_MAPPED || w.state == SEPT_NL_BLOCKED)
		return TDX_PAGE_SIZE_MISMATCH | level;   /* smaller pages map it */
	if (w.state == SEPT_MAPPED)
		return TDX_PAGE_ALREADY_ACCEPTED | level;
	if (w.state != SEPT_PENDING) {
		*violation = accept_violation(&w, level);
		return ~0ull;
	}
	uint64_t pa = w.entry & SEPT_PA_MASK;
	for (uint64_t i = 0; i < level_size(level) / 4096; i++)
		td_zero_page(mod, pa + 4096 * i);
	phys_write64(mod->pm, w.entry_pa, restate(w.entry, SEPT_MAPPED));
	return TDX_SUCCESS;
}
