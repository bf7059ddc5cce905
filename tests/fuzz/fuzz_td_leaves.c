/* The TD leaves of the TDX module (TDX module ABI: lifecycle, S-EPT, measurement,
 * TDH.VP.ENTER and TDH.VP.FLUSH) under random call sequences, issued as a host VMM
 * issues them (include/vtsim/hosted.h). One --tdx machine of 2 LPs is brought up
 * once per process (kvmlike's kvm_init does Linux's bring-up) and a snapshot taken;
 * each input starts from that snapshot (include/vtsim/snapshot.h), builds fresh TDs
 * from a pool of pages the harness allocated, runs them, and tears every TD down at
 * its end in KVM's order (an oracle: every step must succeed). The snapshot makes
 * inputs independent beyond what the teardown gives back (the module's counters,
 * virtual time, the software CPUs' translations); FUZZ_RESET_COST=1 prints what the
 * restores cost at exit.
 *
 * Next to the module runs a model built only from the calls that succeeded: which
 * TDs live (TDR, HKID, lifecycle, OP_STATE, TDCS pages, vCPUs and the LP each is
 * associated with) and, per TD, the S-EPT entries each success made (GPA, level,
 * state, page). Oracles, after every call:
 *  - the status is in the module's table (tdx_status_known); its bits 31:0 an
 *    operand id, or for TDH.VP.ENTER with class SUCCESS/NON_RECOVERABLE the TD
 *    exit reason in 15:0; a success is 0;
 *  - a success is one the model allows (the TDR a live TD, a new page free, the
 *    S-EPT entry in a state the leaf takes, a removed page the mapped one...);
 *  - PAMT: TDH.PHYMEM.PAGE.RDMD of every pool page (and the harness's source and
 *    TD_PARAMS pages, and sample pages of its 2 MiB run) gives the model's type,
 *    owner and size (a 4 KiB page inside a 2 MiB one reports the 2 MiB page): PT_NDA for pages the module
 *    was never given or gave back, and each PT_TDR/TDCX/TDVPR/REG/EPT page owned by
 *    a live TDR the harness created; so the pages each TDR owns are the ones the
 *    model counts;
 *  - S-EPT: TDH.MEM.SEPT.RD of every (GPA, level) of a small GPA set and every
 *    entry the model has: where the model has an entry, SUCCESS with its state and
 *    page (PENDING may have become MAPPED by the guest's TDG.MEM.PAGE.ACCEPT during
 *    a TDH.VP.ENTER); elsewhere FREE, or EPT_WALK_FAILED exactly where the model
 *    lacks a table above;
 *  - KOT: each TDX HKID's entry in the key ownership table is the one the model's
 *    TDs give it, and the one the module's own TDRs give it (tdx_module_kot_check);
 *  - no host-visible read returns TD private data: every pool page a live TD owns
 *    is private to the model's KeyID and reads as zeros through KeyID 0 and the
 *    other TDX KeyIDs (after a success that gives or takes a page, and at the end of
 *    the input, all of them; otherwise the global HKID and the live TDs');
 *  - at the end of the input, the teardown (BLOCK/TRACK/REMOVE of what is mapped
 *    while the HKID is live, VP.FLUSH on the vCPU's LP, VPFLUSHDONE, CACHE.WB,
 *    KEY.FREEID, RECLAIM of every page, the TDR last) succeeds step by step and
 *    leaves every pool page PT_NDA;
 *  - no crash, no sanitizer report.
 * An oracle failure prints what differed and aborts. FUZZ_TD_TRACE=1 in the
 * environment prints every call.
 *
 * Large pages: besides the pool the harness has one 2 MiB-aligned run of 512
 * pages. TDH.MEM.PAGE.AUG at level 1 may take it whole (the model then has a
 * PENDING 2 MiB leaf and the run as one PT_REG page of size 1); PAGE.REMOVE,
 * RANGE.BLOCK/UNBLOCK and the teardown work on that leaf at level 1; four sample
 * pages of the run (first, second, middle, last) are also 4 KiB page operands,
 * so a 4 KiB use and a 2 MiB use of the run exclude each other. The model does
 * not follow DEMOTE or PROMOTE (512 entries): those are not called with level 1
 * or 2.
 *
 * Input: records of 8 bytes.
 *   0  operation (optab[]: a TD leaf with operands biased toward valid ones, a raw
 *      leaf, or a macro: BUILD a td_hello TD, RUN its vCPU answering TDVMCALLs
 *      (R10 = 0) and adding pages on EPT violations, ZAP = BLOCK/TRACK/REMOVE)
 *   1  bit 0 LP; bit 1 version 1; bits 3:2 == 3: flip a random bit of an operand;
 *      bit 4 TD slot; bits 6:5 vCPU slot; bit 7 VP.ENTER hint bits
 *   2  page operand selector (pick_page)
 *   3  second page / TDR selector (>= 0xf0: not the live TDR)
 *   4  GPA: bits 3:0 index into gpa_tab (15: from bytes 5-7), bits 5:4 level,
 *      bit 6 not aligned to the level, bit 7 allow_existing (SEPT.ADD v1)
 *   5-7 auxiliary values (counts, HKID choice, TD_PARAMS variant, which bit flips)
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlike/kvm.h"
#include "kvmlike/runtime_hosted.h"
#include "sim/cpu/keyed_mem.h"
#include "sim/cpu/machine.h"
#include "sim/tdx_module_stub/module.h"
#include "sim/tdx_module_stub/status.h"
#include "vtsim/hosted.h"
#include "vtsim/vtsim.h"
#include "tests/fuzz/reset_cost.h"
#include "tests/fuzz/tdx_oracles.h"
#include "tests/unit/tdx_pages.h"

extern const unsigned char vtsim_guest_td_hello[];
extern const unsigned int vtsim_guest_td_hello_len;

#define PG        4096ull
#define PA_MASK   0x000ffffffffff000ull
#define SVE       (1ull << 63)
#define NLP       2
#define POOL      72
#define NBIG      4                  /* sample pages of the 2 MiB run, after the pool's */
#define NPAGES    (POOL + NBIG)
#define SZ_2M     0x200000ull
#define NTD       2
#define NVCPU     3
#define NENT      96
#define REC       8
#define MAX_RECS  48
#define IMAGE_GPA 0xffff8000ull
#define SHARED    (1ull << 47)

/* SEAMCALL leaves (TDX module ABI numbers). */
enum {
	VP_ENTER = 0, MNG_ADDCX = 1, PAGE_ADD = 2, SEPT_ADD = 3, VP_ADDCX = 4, PAGE_AUG = 6,
	RANGE_BLOCK = 7, KEY_CONFIG = 8, MNG_CREATE = 9, VP_CREATE = 10, MNG_RD = 11,
	MR_EXTEND = 16, MR_FINALIZE = 17, VP_FLUSH = 18, VPFLUSHDONE = 19, KEY_FREEID = 20,
	MNG_INIT = 21, VP_INIT = 22, PAGE_RDMD = 24, SEPT_RD = 25, VP_RD = 26,
	KEY_RECLAIMID = 27, PAGE_RECLAIM = 28, PAGE_REMOVE = 29, SEPT_REMOVE = 30,
	MEM_TRACK = 38, RANGE_UNBLOCK = 39, CACHE_WB = 40, PAGE_WBINVD = 41, VP_WR = 43,
};

/* PAMT page types; S-EPT states (the architectural codes SEPT.RD reports). */
enum { PT_NDA = 0, PT_RSVD = 1, PT_REG = 3, PT_TDR = 4, PT_TDCX = 5, PT_TDVPR = 6, PT_EPT = 8 };
enum {
	S_FREE = 0, S_BLOCKED = 1, S_PENDING = 2, S_PENDING_BLOCKED = 3, S_MAPPED = 4,
	S_NL_BLOCKED = 0x81, S_NL_MAPPED = 0x84,
};
/* TD lifecycle and OP_STATE as the model follows them. */
enum { L_HKID_ASSIGNED, L_KEYS_CONFIGURED, L_BLOCKED, L_TEARDOWN };
enum { OP_UNINIT, OP_INIT, OP_RUNNABLE };

struct ent {
	bool used;
	uint64_t gpa;
	unsigned level, state;
	uint64_t hpa;
};

struct vcpu {
	bool live, ready, disabled;
	uint64_t tdvpr;
	unsigned ntdcx;
	int assoc;                       /* LP, or -1 */
	struct vtsim_seamcall_args last; /* what the last TD exit returned */
};

struct td {
	bool live, fatal_possible, fatal, ran, wb_needed, debug;
	bool page_taken;                 /* a page removed while the TD could run */
	uint64_t tdr;
	unsigned hkid;
	int life, op;
	unsigned ntdcs, max_vcpus;
	uint64_t tdcs[6];
	struct vcpu vcpu[NVCPU];
	struct ent ent[NENT];
};

struct page {
	uint8_t type;
	int8_t owner;                    /* TD slot, or -1 */
};

static struct {
	struct vtsim_machine *m;
	uint8_t *ram;
	uint64_t pool_base, src, params;
	uint64_t first_keyid, nr_keyids, keyid_shift, seamrr_base, reserved_base;
	struct page page[NPAGES];
	uint64_t big_base;               /* the 2 MiB run */
	struct page big;                 /* the run as a 2 MiB page: PT_NDA or PT_REG */
	struct td td[NTD];
	bool trace, quick;
	unsigned long calls;
	unsigned long input_calls;   /* calls before this input (the trace numbers from it) */
	const uint8_t *input;
	size_t input_size;
	struct vtsim_snapshot *snap;     /* the machine after setup */
} H;

static struct reset_cost reset = { .target = "fuzz_td_leaves" };

static void print_reset_cost(void)
{
	reset_cost_print(&reset);
}

/* The GPAs operations pick from; the first 14 are also the S-EPT oracle's. */
static const uint64_t gpa_tab[16] = {
	0xffff8000, 0xffff9000, 0xffffa000, 0xffffb000, 0xffffc000, 0xffffd000, 0xffffe000,
	0xfffff000, 0x100000, 0x200000, 0x201000, 0x40000000, 0, 0x7ffffffff000ull,
	SHARED | 0x100000, 0,
};
#define NGPA_ORACLE 14

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* The last inputs of this process: an oracle may fail on state an earlier input
 * left (the machine is shared), so with FUZZ_TD_HISTORY=dir they are written there
 * (hist-00 the oldest) for a replay in one process: fuzz_td_leaves dir/hist-*. */
#define HIST 64
static struct {
	uint8_t data[MAX_RECS * REC];
	size_t size;
} hist[HIST];
static unsigned hist_next;

static void dump_history(void)
{
	const char *dir = getenv("FUZZ_TD_HISTORY");
	if (!dir)
		return;
	for (unsigned i = 0; i < HIST; i++) {
		unsigned k = (hist_next + i) % HIST;
		char path[4096];
		snprintf(path, sizeof(path), "%s/hist-%02u", dir, i);
		FILE *f = fopen(path, "wb");
		if (f) {
			fwrite(hist[k].data, 1, hist[k].size, f);
			fclose(f);
		}
	}
}

static void fail(const char *fmt, ...)
{
	dump_history();
	va_list ap;
	fprintf(stderr, "fuzz_td_leaves: oracle: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (after %lu calls)\n", H.calls);
	abort();
}

static const char *sname(uint64_t st)
{
	const char *n = tdx_status_name(st);
	return n ? n : "?";
}

static uint64_t span(unsigned level)
{
	return 1ull << (12 + 9 * level);
}

/* An entry's or output's PA without the KeyID bits (S-EPT entries may carry the
 * TD's HKID above the platform's address bits). */
static uint64_t hpa_of(uint64_t v)
{
	return v & PA_MASK & ((1ull << H.keyid_shift) - 1);
}

/* The 2 MiB run's sample pages, in pages from its start. */
static const unsigned big_sample[NBIG] = { 0, 1, 255, 511 };

static int pool_idx(uint64_t pa)
{
	for (unsigned k = 0; k < NBIG; k++)
		if (pa == H.big_base + big_sample[k] * PG)
			return POOL + (int)k;
	if (pa < H.pool_base || (pa & 0xfff) || pa >= H.pool_base + POOL * PG)
		return -1;
	return (int)((pa - H.pool_base) / PG);
}

static uint64_t pool_pa(unsigned i)
{
	if (i >= POOL)
		return H.big_base + big_sample[i - POOL] * PG;
	return H.pool_base + (uint64_t)i * PG;
}

/* Is page i part of the 2 MiB run while a TD has it as a 2 MiB page? */
static bool in_big_page(unsigned i)
{
	return i >= POOL && H.big.type != PT_NDA;
}

/* ---- the model's lookups ------------------------------------------------------- */

static struct td *td_by_tdr(uint64_t tdr)
{
	for (unsigned i = 0; i < NTD; i++)
		if (H.td[i].live && H.td[i].tdr == tdr)
			return &H.td[i];
	return NULL;
}

static struct vcpu *vcpu_by_tdvpr(uint64_t pa, struct td **tdp)
{
	for (unsigned i = 0; i < NTD; i++)
		for (unsigned v = 0; v < NVCPU; v++)
			if (H.td[i].live && H.td[i].vcpu[v].live && H.td[i].vcpu[v].tdvpr == pa) {
				*tdp = &H.td[i];
				return &H.td[i].vcpu[v];
			}
	*tdp = NULL;
	return NULL;
}

static int slot_of(const struct td *t)
{
	return (int)(t - H.td);
}

static struct ent *find_ent(struct td *t, uint64_t gpa, unsigned level)
{
	for (unsigned i = 0; i < NENT; i++)
		if (t->ent[i].used && t->ent[i].gpa == gpa && t->ent[i].level == level)
			return &t->ent[i];
	return NULL;
}

static bool is_nl(unsigned s)
{
	return s == S_NL_MAPPED || s == S_NL_BLOCKED;
}

/* Does the model have the tables a walk to (gpa, level) passes? */
static bool reachable(struct td *t, uint64_t gpa, unsigned level)
{
	for (unsigned l = level + 1; l <= 3; l++) {
		struct ent *e = find_ent(t, gpa & ~(span(l) - 1), l);
		if (!e || !is_nl(e->state))
			return false;
	}
	return true;
}

static bool children(struct td *t, uint64_t gpa, unsigned level)
{
	for (unsigned i = 0; i < NENT; i++)
		if (t->ent[i].used && t->ent[i].level < level && (t->ent[i].gpa & ~(span(level) - 1)) == gpa)
			return true;
	return false;
}

static void page_set(uint64_t pa, uint8_t type, int owner, const char *what)
{
	int i = pool_idx(pa);
	if (i < 0)
		fail("%s succeeded with page %#llx, not one of the pool's", what, (unsigned long long)pa);
	if (type != PT_NDA && H.page[i].type != PT_NDA)
		fail("%s took page %#llx, which the model has as type %u of TD %d", what,
		     (unsigned long long)pa, H.page[i].type, H.page[i].owner);
	if (type != PT_NDA && in_big_page((unsigned)i))
		fail("%s took page %#llx, which is inside TD %d's 2 MiB page", what, (unsigned long long)pa,
		     H.big.owner);
	H.page[i].type = type;
	H.page[i].owner = (int8_t)owner;
}

static unsigned td_pages(int slot)
{
	unsigned n = H.big.type != PT_NDA && H.big.owner == slot;
	for (unsigned i = 0; i < NPAGES; i++)
		if (H.page[i].type != PT_NDA && H.page[i].owner == slot)
			n++;
	return n;
}

/* ---- calls --------------------------------------------------------------------- */

static bool operand_id_ok(uint32_t id)
{
	return id <= 15 || (id >= 64 && id <= 72) || id == 95 || id == 96 || (id >= 0x80 && id <= 0x82) ||
	       (id >= 0x90 && id <= 0x93) || id == 0xa8 || id == 0xa9 || id == 0xac || id == 0xb0 ||
	       (id >= 0xb8 && id <= 0xbc);
}

static bool entered(uint64_t st)
{
	uint64_t hi = st & 0xffffffff00000000ull;
	return hi == TDX_SUCCESS || hi == TDX_NON_RECOVERABLE_VCPU || hi == TDX_NON_RECOVERABLE_TD ||
	       hi == TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE || hi == TDX_NON_RECOVERABLE_TD_WRONG_APIC_MODE ||
	       hi == TDX_NON_RECOVERABLE_TD_CORRUPTED_MD;
}

static void check_status(unsigned leaf, uint64_t st)
{
	if (!tdx_status_known(st))
		fail("leaf %u: status %#llx is not in the module's table", leaf, (unsigned long long)st);
	uint32_t lo = (uint32_t)st;
	if (leaf == VP_ENTER && entered(st)) {
		if (lo >> 16 || (lo & 0xffff) >= 128)
			fail("TDH.VP.ENTER: status %#llx: bits 31:0 not an exit reason", (unsigned long long)st);
		return;
	}
	if (!st)
		return;
	if (!(st >> 32) && lo)
		fail("leaf %u: success %#llx with bits 31:0 set", leaf, (unsigned long long)st);
	if (!operand_id_ok(lo))
		fail("leaf %u: status %#llx: bits 31:0 not an operand id", leaf, (unsigned long long)st);
}

static void trace_call(unsigned lp, const struct vtsim_seamcall_args *in, const struct vtsim_seamcall_args *out)
{
	fprintf(stderr, "  [%lu] LP%u leaf %llu v%llu rcx=%#llx rdx=%#llx r8=%#llx r9=%#llx -> %#llx %s"
		" (rcx=%#llx rdx=%#llx r8=%#llx)\n", H.calls - H.input_calls, lp,
		(unsigned long long)(in->rax & 0xffff), (unsigned long long)((in->rax >> 16) & 0xff),
		(unsigned long long)in->rcx, (unsigned long long)in->rdx, (unsigned long long)in->r8,
		(unsigned long long)in->r9, (unsigned long long)out->rax, sname(out->rax),
		(unsigned long long)out->rcx, (unsigned long long)out->rdx, (unsigned long long)out->r8);
	if (!(in->rax & 0xffff))        /* a TD exit: the TDVMCALL's sub-function and argument */
		fprintf(stderr, "      TD exit: r10=%#llx r11=%#llx r12=%#llx r15=%#llx\n", (unsigned long long)out->r10,
			(unsigned long long)out->r11, (unsigned long long)out->r12, (unsigned long long)out->r15);
}

/* One SEAMCALL: it must reach the module and answer a known status. */
static uint64_t raw_call(unsigned lp, struct vtsim_seamcall_args *a)
{
	struct vtsim_seamcall_args in = *a;
	enum vtsim_seamcall_outcome o = vtsim_seamcall(H.m, lp, a);
	H.calls++;
	if (o != VTSIM_SEAMCALL_DONE)
		fail("leaf %llu on LP %u did not reach the module (outcome %d)",
		     (unsigned long long)(in.rax & 0xffff), lp, (int)o);
	if (H.trace)
		trace_call(lp, &in, a);
	check_status((unsigned)(in.rax & 0xffff), a->rax);
	return a->rax;
}

static uint64_t sc(unsigned leaf, uint64_t rcx, uint64_t rdx, struct vtsim_seamcall_args *out)
{
	struct vtsim_seamcall_args a = { .rax = leaf, .rcx = rcx, .rdx = rdx };
	raw_call(0, &a);
	if (out)
		*out = a;
	return a.rax;
}

/* ---- oracles --------------------------------------------------------------------- */

static void check_page_size(uint64_t pa, uint8_t type, uint64_t owner, unsigned size, const char *what)
{
	struct vtsim_seamcall_args a;
	uint64_t st = sc(PAGE_RDMD, pa, 0, &a);
	if (st != TDX_SUCCESS)
		fail("%s: RDMD of pool page %#llx: %#llx %s", what, (unsigned long long)pa,
		     (unsigned long long)st, sname(st));
	if (a.rcx != type || a.rdx != owner || a.r8 != size)
		fail("%s: page %#llx: PAMT type %llu owner %#llx size %llu; the model has type %u owner %#llx size %u",
		     what, (unsigned long long)pa, (unsigned long long)a.rcx, (unsigned long long)a.rdx,
		     (unsigned long long)a.r8, type, (unsigned long long)owner, size);
	if (type != PT_NDA && type != PT_TDR && !td_by_tdr(owner))
		fail("%s: page %#llx owned by %#llx, not a live TDR", what, (unsigned long long)pa,
		     (unsigned long long)owner);
}

static void check_page(uint64_t pa, uint8_t type, uint64_t owner, const char *what)
{
	check_page_size(pa, type, owner, 0, what);
}

/* Page i as the model has it: its own, or the 2 MiB page holding it. */
static void check_model_page(unsigned i, const char *what)
{
	const struct page *p = in_big_page(i) ? &H.big : &H.page[i];
	uint64_t owner = 0;
	if (p->type != PT_NDA && p->type != PT_TDR)
		owner = H.td[p->owner].tdr;
	check_page_size(pool_pa(i), p->type, owner, in_big_page(i), what);
}

static void pamt_oracle(const char *what)
{
	for (unsigned i = 0; i < NPAGES; i++)
		check_model_page(i, what);
	check_page(H.src, PT_NDA, 0, what);
	check_page(H.params, PT_NDA, 0, what);
}

static bool sept_readable(const struct td *t)
{
	return t->live && t->life == L_KEYS_CONFIGURED && t->ntdcs == 6 && t->op >= OP_INIT && !t->fatal;
}

static void sept_check_one(struct td *t, uint64_t gpa, unsigned level, const char *what)
{
	struct vtsim_seamcall_args a;
	uint64_t st = sc(SEPT_RD, gpa | level, t->tdr, &a);
	if (st == TDX_TD_FATAL && t->fatal_possible) {
		t->fatal = true;
		return;
	}
	struct ent *e = find_ent(t, gpa, level);
	if (!reachable(t, gpa, level)) {
		if (st != (TDX_EPT_WALK_FAILED | TDX_OPERAND_ID_RCX))
			fail("%s: SEPT.RD %#llx level %u: %#llx %s; the model has no table above it",
			     what, (unsigned long long)gpa, level, (unsigned long long)st, sname(st));
		return;
	}
	if (st != TDX_SUCCESS)
		fail("%s: SEPT.RD %#llx level %u: %#llx %s; the model has the tables above it",
		     what, (unsigned long long)gpa, level, (unsigned long long)st, sname(st));
	unsigned state = (unsigned)((a.rdx >> 8) & 0xff), lvl = a.rdx & 7;
	if (lvl != level)
		fail("%s: SEPT.RD %#llx level %u reports level %u", what, (unsigned long long)gpa, level, lvl);
	if (!e) {
		if (state != S_FREE || a.rcx != SVE)
			fail("%s: SEPT.RD %#llx level %u: state %#x entry %#llx; the model has it FREE",
			     what, (unsigned long long)gpa, level, state, (unsigned long long)a.rcx);
		return;
	}
	if (state != e->state && !(t->ran && e->state == S_PENDING && state == S_MAPPED))
		fail("%s: SEPT.RD %#llx level %u: state %#x; the model has %#x", what,
		     (unsigned long long)gpa, level, state, e->state);
	if (hpa_of(a.rcx) != e->hpa)
		fail("%s: SEPT.RD %#llx level %u: page %#llx; the model has %#llx", what,
		     (unsigned long long)gpa, level, (unsigned long long)a.rcx,
		     (unsigned long long)e->hpa);
	bool present = state == S_MAPPED || state == S_NL_MAPPED;
	if (((a.rcx & 7) == 7) != present)
		fail("%s: SEPT.RD %#llx level %u: state %#x with RWX %llu", what, (unsigned long long)gpa,
		     level, state, (unsigned long long)(a.rcx & 7));
	e->state = state;            /* PENDING -> MAPPED: the guest accepted it */
}

static void sept_oracle(struct td *t, const char *what)
{
	/* The GPA set at every level (each entry once), then the model's other entries. */
	uint64_t seen_gpa[NGPA_ORACLE * 4];
	unsigned seen_lvl[NGPA_ORACLE * 4], nseen = 0;
	for (unsigned i = 0; i < NGPA_ORACLE; i++)
		for (unsigned l = 0; l <= 3; l++) {
			uint64_t g = gpa_tab[i] & ~(span(l) - 1);
			bool dup = false;
			for (unsigned k = 0; k < nseen && !dup; k++)
				dup = seen_gpa[k] == g && seen_lvl[k] == l;
			if (dup)
				continue;
			seen_gpa[nseen] = g;
			seen_lvl[nseen++] = l;
			sept_check_one(t, g, l, what);
			if (t->fatal)
				return;
		}
	for (unsigned i = 0; i < NENT; i++) {
		struct ent *e = &t->ent[i];
		if (!e->used)
			continue;
		bool dup = false;
		for (unsigned k = 0; k < nseen && !dup; k++)
			dup = seen_gpa[k] == e->gpa && seen_lvl[k] == e->level;
		if (!dup)
			sept_check_one(t, e->gpa, e->level, what);
		if (t->fatal)
			return;
	}
	t->ran = false;
}

/* KOT: the module's key ownership table against the model (the global HKID, the
 * first TDX KeyID as kvm_init configures it, RESERVED; a live TD's HKID ASSIGNED
 * until TDH.MNG.VPFLUSHDONE, FLUSHED until TDH.MNG.KEY.FREEID, FREE after; every
 * other HKID FREE), and against the TDRs themselves (tdx_module_kot_check reads
 * each TDR's lifecycle and HKID). */
static void kot_oracle(const char *what)
{
	static const unsigned of_life[] = {
		[L_HKID_ASSIGNED] = TDX_KOT_ASSIGNED, [L_KEYS_CONFIGURED] = TDX_KOT_ASSIGNED,
		[L_BLOCKED] = TDX_KOT_FLUSHED, [L_TEARDOWN] = TDX_KOT_FREE,
	};
	const struct tdx_module *mod = H.m->seam.module;
	uint64_t tdrs[NTD];
	unsigned n = 0;
	for (unsigned k = (unsigned)H.first_keyid; k < H.first_keyid + H.nr_keyids; k++) {
		unsigned want = k == H.first_keyid ? TDX_KOT_RESERVED : TDX_KOT_FREE;
		for (unsigned i = 0; i < NTD; i++)
			if (H.td[i].live && H.td[i].hkid == k && of_life[H.td[i].life] != TDX_KOT_FREE)
				want = of_life[H.td[i].life];
		unsigned have = tdx_module_kot_state(mod, k);
		if (have != want)
			fail("%s: KOT entry of HKID %u is %u; the model has %u", what, k, have, want);
	}
	for (unsigned i = 0; i < NTD; i++)
		if (H.td[i].live)
			tdrs[n++] = H.td[i].tdr;
	char why[256];
	if (!tdx_oracle_kot(mod, tdrs, n, why, sizeof(why)))
		fail("%s: KOT against the TDRs: %s", what, why);
}

/* No host-visible read returns a TD's private data: each pool page a live TD owns
 * is private to the KeyID the model says (the global HKID for a TDR, the TD's HKID
 * for the others) and reads as zeros through KeyID 0 and through every other TDX
 * KeyID (tdx_oracles.h): `all_keys`, or else the global HKID and the live TDs'. */
static void check_private_page(uint64_t pa, unsigned key, bool all_keys, const char *what)
{
	struct phys *pm = &H.m->pm;
	if (keyed_mem_owner(pm, pa) != key)
		fail("%s: page %#llx is private to KeyID %u; the model has %u", what,
		     (unsigned long long)pa, keyed_mem_owner(pm, pa), key);
	unsigned keys[256], n = 0;
	for (unsigned k = (unsigned)H.first_keyid; k < H.first_keyid + H.nr_keyids && n < 256; k++) {
		bool sampled = all_keys || k == H.first_keyid;
		for (unsigned i = 0; i < NTD && !sampled; i++)
			sampled = H.td[i].live && H.td[i].hkid == k;
		if (sampled)
			keys[n++] = k;
	}
	char why[256];
	if (!tdx_oracle_private_page(pm, pa, key, keys, n, why, sizeof(why)))
		fail("%s: %s", what, why);
}

static void private_oracle(bool all_keys, const char *what)
{
	for (unsigned i = 0; i < NPAGES; i++) {
		const struct page *p = in_big_page(i) ? &H.big : &H.page[i];
		if (p->type == PT_NDA)
			continue;
		unsigned key = p->type == PT_TDR ? (unsigned)H.first_keyid : H.td[p->owner].hkid;
		check_private_page(pool_pa(i), key, all_keys, what);
	}
}

static void oracles(const char *what)
{
	kot_oracle(what);
	private_oracle(true, what);
	pamt_oracle(what);
	for (unsigned i = 0; i < NTD; i++)
		if (sept_readable(&H.td[i]))
			sept_oracle(&H.td[i], what);
}

/* ---- the model, from what succeeded --------------------------------------------- */

static struct ent *new_ent(struct td *t, uint64_t gpa, unsigned level, unsigned state, uint64_t hpa)
{
	for (unsigned i = 0; i < NENT; i++)
		if (!t->ent[i].used) {
			t->ent[i] = (struct ent){ true, gpa, level, state, hpa };
			return &t->ent[i];
		}
	fail("model: more than %d S-EPT entries", NENT);
}

/* The GPA-and-level operand of a success: what the ABI lets through. */
static void gpa_ok(const char *what, uint64_t info, unsigned min, unsigned max, uint64_t *gpa, unsigned *level)
{
	*level = info & 7;
	*gpa = info & ~0xfffull;
	if ((info & 0xff8) || *level < min || *level > max || *gpa >= SHARED || (*gpa & (span(*level) - 1)))
		fail("%s succeeded with GPA operand %#llx", what, (unsigned long long)info);
}

static struct td *need_td(const char *what, uint64_t tdr)
{
	struct td *t = td_by_tdr(tdr);
	if (!t)
		fail("%s succeeded with TDR operand %#llx, not a live TDR", what, (unsigned long long)tdr);
	if (t->fatal)
		fail("%s succeeded on a TD that reported TD_FATAL", what);
	return t;
}

static void need(bool cond, const char *what, const char *why)
{
	if (!cond)
		fail("%s succeeded, but %s", what, why);
}

static void apply_enter(unsigned lp, const struct vtsim_seamcall_args *in, const struct vtsim_seamcall_args *out)
{
	struct td *t;
	uint64_t st = out->rax;
	struct vcpu *v = vcpu_by_tdvpr(in->rcx & ~(3ull << 52), &t);
	if (entered(st)) {
		const char *w = "TDH.VP.ENTER";
		need(v != NULL, w, "its TDVPR is no vCPU of a live TD");
		need(v->ready && !v->disabled, w, "the vCPU is not initialized (or disabled)");
		need(t->op == OP_RUNNABLE && t->life == L_KEYS_CONFIGURED, w, "the TD is not runnable");
		need(!t->fatal, w, "the TD reported TD_FATAL");
		need(v->assoc < 0 || v->assoc == (int)lp, w, "the vCPU is associated with another LP");
		v->assoc = (int)lp;
		v->last = *out;
		t->ran = true;
		uint64_t hi = st & 0xffffffff00000000ull;
		if (hi == TDX_NON_RECOVERABLE_VCPU && !t->debug && !t->page_taken)
			/* td_hello does not triple-fault: its IDT, stack and page tables are
			 * its own, and the VMM's answers only echo what it exposed. (The host
			 * may change a debug TD's memory and registers. A page the VMM took
			 * away and gave back unaccepted, its IDT's say, makes #VE, #DF, a
			 * triple fault, as the TDX module has it.) */
			fail("TDH.VP.ENTER on LP %u: %#llx: the vCPU (td_hello) shut down", lp, (unsigned long long)st);
		if (hi == TDX_NON_RECOVERABLE_VCPU)
			v->disabled = true;
		else if (hi != TDX_SUCCESS)
			t->fatal_possible = true;
		if (hi == TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE) {
			/* The module's own VM entry of the vCPU failed (or the machine stopped):
			 * nothing the VMM or td_hello does may cause that. */
			struct vtsim_entry_failure ef;
			vtsim_last_entry_failure(H.m, lp, &ef);
			fail("TDH.VP.ENTER on LP %u: NON_RECOVERABLE_TD_NON_ACCESSIBLE; entry check %s (%s: %s) "
			     "field %#x value %#llx exit reason %#x; stop: %s", lp, ef.check ? ef.check : "-",
			     ef.check_class ? ef.check_class : "-", ef.rule ? ef.rule : "-", ef.field_encoding,
			     (unsigned long long)ef.value, ef.exit_reason, vtsim_machine_stop_message(H.m));
		}
	} else if (st == TDX_TD_FATAL) {
		/* Only a write to the TD's private memory through another KeyID, or an
		 * earlier NON_RECOVERABLE_TD exit, makes a TD fatal; the harness writes
		 * none. */
		if (t && !t->fatal_possible)
			fail("TDH.VP.ENTER: TD_FATAL for a TD that never had a NON_RECOVERABLE_TD exit");
		if (t)
			t->fatal = true;
	} else if (st == TDX_VCPU_ASSOCIATED) {
		if (!v || v->assoc < 0 || v->assoc == (int)lp)
			fail("TDH.VP.ENTER on LP %u: VCPU_ASSOCIATED; the model has the vCPU associated with %d",
			     lp, v ? v->assoc : -2);
	}
}

static void apply(unsigned lp, const struct vtsim_seamcall_args *in, const struct vtsim_seamcall_args *out)
{
	unsigned leaf = (unsigned)(in->rax & 0xffff), ver = (unsigned)((in->rax >> 16) & 0xff);
	uint64_t st = out->rax;
	const char *w = tdx_leaf_name(leaf);
	if (!w)
		w = "leaf";
	if (leaf == VP_ENTER) {
		apply_enter(lp, in, out);
		return;
	}
	if (st == TDX_TD_FATAL) {
		uint64_t tdr = (leaf == MNG_ADDCX || leaf == PAGE_ADD || leaf == SEPT_ADD || leaf == PAGE_AUG ||
				leaf == VP_CREATE || leaf == PAGE_REMOVE || leaf == SEPT_REMOVE ||
				leaf == RANGE_BLOCK || leaf == RANGE_UNBLOCK || leaf == SEPT_RD || leaf == MR_EXTEND)
			       ? in->rdx & ~1ull : in->rcx;
		struct td *t = td_by_tdr(tdr);
		if (!t) {
			struct td *tv;
			if (vcpu_by_tdvpr(leaf == VP_ADDCX ? in->rdx : in->rcx, &tv))
				t = tv;
		}
		if (t && !t->fatal_possible)
			fail("%s: TD_FATAL for a TD that never had a NON_RECOVERABLE_TD exit", w);
		if (t)
			t->fatal = true;
		return;
	}
	if (st != TDX_SUCCESS)
		return;
	struct td *t = NULL;
	struct vcpu *v = NULL;
	uint64_t gpa;
	unsigned level;
	struct ent *e;
	switch (leaf) {
	case MNG_CREATE: {
		for (unsigned i = 0; i < NTD && !t; i++)
			if (!H.td[i].live)
				t = &H.td[i];
		need(t != NULL, w, "the harness had no free TD slot (it should not have called)");
		for (unsigned i = 0; i < NTD; i++)
			if (H.td[i].live && H.td[i].life < L_TEARDOWN && H.td[i].hkid == in->rdx)
				fail("TDH.MNG.CREATE succeeded with HKID %llu, which live TD %u has",
				     (unsigned long long)in->rdx, i);
		need(in->rdx != H.first_keyid, w, "the HKID is the global one");
		memset(t, 0, sizeof(*t));
		for (unsigned i = 0; i < NVCPU; i++)
			t->vcpu[i].assoc = -1;
		t->live = true;
		t->tdr = in->rcx;
		t->hkid = (unsigned)in->rdx;
		t->life = L_HKID_ASSIGNED;
		t->op = OP_UNINIT;
		page_set(in->rcx, PT_TDR, slot_of(t), w);
		break;
	}
	case KEY_CONFIG:
		t = need_td(w, in->rcx);
		need(t->life == L_HKID_ASSIGNED, w, "the TD's key was configured already");
		t->life = L_KEYS_CONFIGURED;
		break;
	case MNG_ADDCX:
		t = need_td(w, in->rdx);
		need(t->life == L_KEYS_CONFIGURED && t->op == OP_UNINIT, w, "the TD is past TDCS allocation");
		need(t->ntdcs < 6, w, "the TD has all its TDCS pages");
		page_set(in->rcx, PT_TDCX, slot_of(t), w);
		t->tdcs[t->ntdcs++] = in->rcx;
		break;
	case MNG_INIT:
		t = need_td(w, in->rcx);
		need(t->ntdcs == 6 && t->op == OP_UNINIT && t->life == L_KEYS_CONFIGURED, w,
		     "the TD is not ready for it");
		memcpy(&t->max_vcpus, H.ram + in->rdx + 16, 2);
		t->max_vcpus &= 0xffff;
		t->debug = H.ram[in->rdx] & 1;       /* ATTRIBUTES.DEBUG */
		t->op = OP_INIT;
		break;
	case VP_CREATE:
		t = need_td(w, in->rdx);
		need(t->op == OP_INIT, w, "the TD is not INITIALIZED");
		for (unsigned i = 0; i < NVCPU && !v; i++)
			if (!t->vcpu[i].live)
				v = &t->vcpu[i];
		need(v != NULL, w, "the harness had no vCPU slot left (it should not have called)");
		memset(v, 0, sizeof(*v));
		v->live = true;
		v->tdvpr = in->rcx;
		v->assoc = -1;
		page_set(in->rcx, PT_TDVPR, slot_of(t), w);
		break;
	case VP_ADDCX:
		v = vcpu_by_tdvpr(in->rdx, &t);
		need(v != NULL, w, "RDX is no vCPU of a live TD");
		need(!v->ready && v->ntdcx < 5 && t->op == OP_INIT, w, "the vCPU has all its TDCX pages");
		page_set(in->rcx, PT_TDCX, slot_of(t), w);
		v->ntdcx++;
		break;
	case VP_INIT: {
		v = vcpu_by_tdvpr(in->rcx, &t);
		need(v != NULL, w, "RCX is no vCPU of a live TD");
		need(!v->ready && v->ntdcx == 5 && t->op == OP_INIT, w, "the vCPU is not ready for it");
		unsigned n = 0;
		for (unsigned i = 0; i < NVCPU; i++)
			n += t->vcpu[i].live && t->vcpu[i].ready;
		need(n < t->max_vcpus, w, "the TD has max_vcpus initialized vCPUs");
		v->ready = true;
		break;
	}
	case SEPT_ADD: {
		bool allow = ver && (in->rdx & 1);
		t = need_td(w, in->rdx & ~(uint64_t)(ver ? 1 : 0));
		gpa_ok(w, in->rcx, 1, 3, &gpa, &level);
		need(t->op >= OP_INIT, w, "the TD is not initialized");
		need(reachable(t, gpa, level), w, "the model lacks a table above the entry");
		e = find_ent(t, gpa, level);
		if (e) {
			need(allow && e->state == S_NL_MAPPED, w, "the entry is not FREE");
			need(out->r8 == (in->r8 | SVE), w, "allow_existing did not hand the page back in R8");
			break;
		}
		page_set(in->r8, PT_EPT, slot_of(t), w);
		new_ent(t, gpa, level, S_NL_MAPPED, in->r8);
		if (ver)
			need(out->r8 == 0, w, "version 1 did not return R8 = 0 for a used page");
		break;
	}
	case PAGE_ADD:
	case PAGE_AUG:
		t = need_td(w, in->rdx);
		gpa_ok(w, in->rcx, 0, leaf == PAGE_AUG, &gpa, &level);
		need(leaf == PAGE_AUG ? t->op >= OP_INIT : t->op == OP_INIT, w, "wrong OP_STATE");
		need(reachable(t, gpa, level) && !find_ent(t, gpa, level), w, "the model has no FREE entry there");
		if (level) {
			need(in->r8 == H.big_base && H.big.type == PT_NDA, w, "its 2 MiB page is not the free run");
			for (unsigned k = 0; k < NBIG; k++)
				need(H.page[POOL + k].type == PT_NDA, w, "a 4 KiB page of the run is in use");
			H.big = (struct page){ PT_REG, (int8_t)slot_of(t) };
		} else {
			page_set(in->r8, PT_REG, slot_of(t), w);
		}
		new_ent(t, gpa, level, leaf == PAGE_AUG ? S_PENDING : S_MAPPED, in->r8);
		break;
	case RANGE_BLOCK:
	case RANGE_UNBLOCK: {
		t = need_td(w, in->rdx);
		gpa_ok(w, in->rcx, 0, 3, &gpa, &level);
		e = find_ent(t, gpa, level);
		need(e && reachable(t, gpa, level), w, "the model has no entry there");
		static const struct { unsigned from, to; } blk[] = {
			{ S_MAPPED, S_BLOCKED }, { S_PENDING, S_PENDING_BLOCKED }, { S_NL_MAPPED, S_NL_BLOCKED },
		};
		bool done = false;
		for (unsigned i = 0; i < 3 && !done; i++) {
			unsigned from = leaf == RANGE_BLOCK ? blk[i].from : blk[i].to;
			unsigned to = leaf == RANGE_BLOCK ? blk[i].to : blk[i].from;
			if (e->state == from) {
				e->state = to;
				done = true;
			}
		}
		need(done, w, "the entry is in a state the leaf does not take");
		break;
	}
	case PAGE_REMOVE:
		t = need_td(w, in->rdx);
		gpa_ok(w, in->rcx, 0, 2, &gpa, &level);
		e = find_ent(t, gpa, level);
		need(e && !is_nl(e->state) && reachable(t, gpa, level), w, "the model has no page there");
		if (t->op == OP_RUNNABLE) {
			need(e->state == S_BLOCKED || e->state == S_PENDING_BLOCKED, w,
			     "the TD runs and the entry is not blocked");
			t->page_taken = true;
		}
		if (hpa_of(out->rcx) != e->hpa)
			fail("TDH.MEM.PAGE.REMOVE %#llx returned page %#llx; the model has %#llx",
			     (unsigned long long)gpa, (unsigned long long)out->rcx, (unsigned long long)e->hpa);
		if (level)
			H.big = (struct page){ PT_NDA, -1 };
		else
			page_set(e->hpa, PT_NDA, -1, w);
		e->used = false;
		break;
	case SEPT_REMOVE:
		t = need_td(w, in->rdx);
		gpa_ok(w, in->rcx, 1, 3, &gpa, &level);
		e = find_ent(t, gpa, level);
		need(e && reachable(t, gpa, level), w, "the model has no table there");
		need(!children(t, gpa, level), w, "the model has entries in the table");
		if (t->op == OP_RUNNABLE)
			need(e->state == S_NL_BLOCKED, w, "the TD runs and the entry is not blocked");
		if (hpa_of(out->rcx) != e->hpa || (out->rcx & 0xfff))
			fail("TDH.MEM.SEPT.REMOVE returned %#llx; the model has %#llx",
			     (unsigned long long)out->rcx, (unsigned long long)e->hpa);
		page_set(e->hpa, PT_NDA, -1, w);
		e->used = false;
		break;
	case MR_EXTEND:
		t = need_td(w, in->rdx);
		e = find_ent(t, in->rcx & ~0xfffull, 0);
		need(t->op == OP_INIT && e && e->state == S_MAPPED, w, "the model has no MAPPED page there");
		break;
	case MR_FINALIZE: {
		t = need_td(w, in->rcx);
		unsigned n = 0;
		for (unsigned i = 0; i < NVCPU; i++)
			n += t->vcpu[i].live && t->vcpu[i].ready;
		need(t->op == OP_INIT && n, w, "the TD is not INITIALIZED with a vCPU");
		t->op = OP_RUNNABLE;
		break;
	}
	case VP_FLUSH:
		v = vcpu_by_tdvpr(in->rcx, &t);
		need(v != NULL, w, "RCX is no vCPU of a live TD");
		need(v->assoc < 0 || v->assoc == (int)lp, w, "the vCPU is associated with another LP");
		v->assoc = -1;
		break;
	case VPFLUSHDONE:
		t = need_td(w, in->rcx);
		need(t->life == L_HKID_ASSIGNED || t->life == L_KEYS_CONFIGURED, w, "wrong lifecycle");
		for (unsigned i = 0; i < NVCPU; i++)
			need(!t->vcpu[i].live || t->vcpu[i].assoc < 0, w, "a vCPU is still associated");
		t->life = L_BLOCKED;
		t->wb_needed = true;
		break;
	case CACHE_WB:
		for (unsigned i = 0; i < NTD; i++)
			H.td[i].wb_needed = false;       /* one package */
		break;
	case KEY_FREEID:
		t = td_by_tdr(in->rcx);
		need(t && t->life == L_BLOCKED, w, "the TD is not TD_BLOCKED");
		need(!t->wb_needed, w, "no TDH.PHYMEM.CACHE.WB since TDH.MNG.VPFLUSHDONE");
		t->life = L_TEARDOWN;
		break;
	case PAGE_RECLAIM: {
		int i = pool_idx(in->rcx);
		if (in->rcx == H.big_base && H.big.type != PT_NDA) {
			t = &H.td[H.big.owner];
			need(t->life == L_TEARDOWN, w, "the owner is not in TD_TEARDOWN");
			if (out->rcx != PT_REG || out->rdx != t->tdr || out->r8 != 1)
				fail("TDH.PHYMEM.PAGE.RECLAIM of the 2 MiB page returned type %llu owner %#llx size %llu",
				     (unsigned long long)out->rcx, (unsigned long long)out->rdx,
				     (unsigned long long)out->r8);
			H.big = (struct page){ PT_NDA, -1 };
			break;
		}
		need(i >= 0 && H.page[i].type != PT_NDA, w, "the model has the page free");
		t = &H.td[H.page[i].owner];
		need(t->life == L_TEARDOWN, w, "the owner is not in TD_TEARDOWN");
		if (out->rcx != H.page[i].type || out->rdx != (H.page[i].type == PT_TDR ? 0 : t->tdr) || out->r8)
			fail("TDH.PHYMEM.PAGE.RECLAIM %#llx returned type %llu owner %#llx size %llu",
			     (unsigned long long)in->rcx, (unsigned long long)out->rcx,
			     (unsigned long long)out->rdx, (unsigned long long)out->r8);
		if (H.page[i].type == PT_TDR) {
			need(td_pages(slot_of(t)) == 1, w, "the TD still owns other pages");
			t->live = false;
		}
		page_set(in->rcx, PT_NDA, -1, w);
		break;
	}
	default:
		break;
	}
}

/* The oracles for what a call that changed nothing (a refusal, a read, a TD exit)
 * could still have touched: the pool pages it named and the S-EPT entries over the
 * GPA it named; after TDH.VP.ENTER the TD's PENDING entries (the guest may accept
 * them) too. */
static void check_pool_page(uint64_t pa, const char *what)
{
	int i = pool_idx(pa & ((1ull << H.keyid_shift) - 1) & ~0xfffull);
	if (i >= 0)
		check_model_page((unsigned)i, what);
}

static void focused_oracles(const struct vtsim_seamcall_args *in, const char *what)
{
	check_pool_page(in->rcx, what);
	check_pool_page(in->rdx, what);
	check_pool_page(in->r8, what);
	for (unsigned i = 0; i < NTD; i++) {
		struct td *t = &H.td[i];
		if (!sept_readable(t))
			continue;
		if ((in->rax & 0xffff) == VP_ENTER) {
			for (unsigned k = 0; k < NENT && !t->fatal; k++)
				if (t->ent[k].used && t->ent[k].state == S_PENDING)
					sept_check_one(t, t->ent[k].gpa, t->ent[k].level, what);
			t->ran = false;
			continue;
		}
		uint64_t gpa = in->rcx & ~0xfffull & (SHARED - 1);
		for (unsigned l = 0; l <= 3 && !t->fatal; l++)
			sept_check_one(t, gpa & ~(span(l) - 1), l, what);
	}
}

/* A leaf through the model and the oracles: the focused ones after every call; the
 * whole pool's PAMT after a success that gives or takes a page, the TD's whole
 * S-EPT after a success that changes it (the teardown's steps, each required to
 * succeed, have the whole walk at its end instead). */
static uint64_t leaf_call(unsigned lp, struct vtsim_seamcall_args *a)
{
	struct vtsim_seamcall_args in = *a;
	unsigned leaf = (unsigned)(in.rax & 0xffff);
	const char *what = tdx_leaf_name(leaf) ? tdx_leaf_name(leaf) : "leaf";
	raw_call(lp, a);
	apply(lp, &in, a);
	bool pamt = leaf == MNG_CREATE || leaf == MNG_ADDCX || leaf == VP_CREATE || leaf == VP_ADDCX ||
		    leaf == SEPT_ADD || leaf == PAGE_ADD || leaf == PAGE_AUG || leaf == PAGE_REMOVE ||
		    leaf == SEPT_REMOVE || leaf == PAGE_RECLAIM;
	bool sept = leaf == SEPT_ADD || leaf == PAGE_ADD || leaf == PAGE_AUG || leaf == PAGE_REMOVE ||
		    leaf == SEPT_REMOVE || leaf == RANGE_BLOCK || leaf == RANGE_UNBLOCK;
	focused_oracles(&in, what);
	kot_oracle(what);
	private_oracle(a->rax == TDX_SUCCESS && pamt && !H.quick, what);
	if (a->rax == TDX_SUCCESS && pamt && !H.quick)
		pamt_oracle(what);
	if (a->rax == TDX_SUCCESS && sept && !H.quick) {
		struct td *t = td_by_tdr(in.rdx & ~1ull);
		if (t && sept_readable(t))
			sept_oracle(t, what);
	}
	return a->rax;
}

static uint64_t leaf4(unsigned lp, uint64_t rax, uint64_t rcx, uint64_t rdx, uint64_t r8, uint64_t r9,
		      struct vtsim_seamcall_args *out)
{
	struct vtsim_seamcall_args a = { .rax = rax, .rcx = rcx, .rdx = rdx, .r8 = r8, .r9 = r9 };
	leaf_call(lp, &a);
	if (out)
		*out = a;
	return a.rax;
}

/* ---- operands ------------------------------------------------------------------- */

/* The k-th pool page the model has free (or owned), wrapping; 0 if none. */
static uint64_t nth_page(unsigned k, bool owned)
{
	unsigned n = 0;
	for (unsigned i = 0; i < POOL; i++)
		n += (H.page[i].type != PT_NDA) == owned;
	if (!n)
		return 0;
	k %= n;
	for (unsigned i = 0; i < POOL; i++)
		if ((H.page[i].type != PT_NDA) == owned && !k--)
			return pool_pa(i);
	return 0;
}

static uint64_t free_page(void)
{
	uint64_t p = nth_page(0, false);
	return p ? p : pool_pa(0);
}

/* A page operand: mostly a free pool page, sometimes any pool page, a TD's own
 * structure, or one the module must refuse (unaligned, KeyID bits, outside the
 * TDMRs or reserved). */
static uint64_t pick_page(uint8_t sel, bool owned)
{
	unsigned k = sel & 31;
	switch (sel >> 5) {
	case 0: case 1: case 2: case 3: {
		uint64_t p = nth_page(k, owned);
		return p ? p : pool_pa(k);
	}
	case 4:
		return (k & 3) ? pool_pa((sel * 7u) % POOL) : pool_pa(POOL + (k >> 2) % NBIG);
	case 5: {
		struct td *t = &H.td[k & 1];
		if (!t->live)
			return pool_pa(k);
		switch ((k >> 1) % 4) {
		case 0: return t->tdr;
		case 1: return t->ntdcs ? t->tdcs[(k >> 3) % t->ntdcs] : t->tdr;
		case 2: return t->vcpu[0].live ? t->vcpu[0].tdvpr : t->tdr;
		default: {
			for (unsigned i = 0; i < NENT; i++)
				if (t->ent[(i + k) % NENT].used)
					return t->ent[(i + k) % NENT].hpa;
			return t->tdr;
		}
		}
	}
	case 6:
		switch (k & 7) {
		case 0: return pool_pa(k % POOL) | (8ull << (k >> 3));
		case 1: return pool_pa(k % POOL) | (1ull << H.keyid_shift);
		case 2: return H.seamrr_base;
		case 3: return H.reserved_base;
		case 4: return 4ull << 30;
		case 5: return 1ull << 46;
		case 6: return pool_pa(k % POOL) | (1ull << 52);
		default: return ~0ull << 12;
		}
	default:
		return free_page();
	}
}

static uint64_t tdr_op(const uint8_t *r)
{
	unsigned s = (r[1] >> 4) & 1;
	if (r[3] >= 0xf0)
		return pick_page((uint8_t)(r[2] ^ 0xa5), false);
	if (H.td[s].live)
		return H.td[s].tdr;
	if (H.td[!s].live)
		return H.td[!s].tdr;
	return pick_page(r[3], false);
}

static struct vcpu *vcpu_op(const uint8_t *r, struct td **tp)
{
	unsigned s = (r[1] >> 4) & 1, vs = ((r[1] >> 5) & 3) % NVCPU;
	for (unsigned i = 0; i < NTD; i++) {
		struct td *t = &H.td[(s + i) % NTD];
		if (!t->live)
			continue;
		for (unsigned j = 0; j < NVCPU; j++)
			if (t->vcpu[(vs + j) % NVCPU].live) {
				*tp = t;
				return &t->vcpu[(vs + j) % NVCPU];
			}
	}
	*tp = NULL;
	return NULL;
}

static uint64_t tdvpr_op(const uint8_t *r)
{
	struct td *t;
	struct vcpu *v = vcpu_op(r, &t);
	if (v && r[3] < 0xf0)
		return v->tdvpr;
	return tdr_op(r);
}

/* GPA | level. min_level..max_level: the levels the leaf takes (others rarely). */
static uint64_t gpa_op(const uint8_t *r, unsigned min_level, unsigned max_level)
{
	unsigned idx = r[4] & 15, level = (r[4] >> 4) & 3;
	uint64_t gpa = gpa_tab[idx];
	if (idx == 15)
		gpa = ((uint64_t)r[5] << 12 | (uint64_t)r[6] << 21 | (uint64_t)(r[7] & 0x7f) << 30) & (SHARED - 1);
	if (level < min_level || level > max_level) {
		if (!(r[4] & 0x40))
			level = min_level + level % (max_level - min_level + 1);
	}
	if (!(r[4] & 0x40))
		gpa &= ~(span(level) - 1);
	return gpa | level;
}

static unsigned pick_hkid(uint8_t sel)
{
	if (sel >= 0xf8)
		return sel == 0xff ? (unsigned)H.first_keyid : sel == 0xfe ? 0 : (unsigned)(H.first_keyid + H.nr_keyids);
	for (unsigned n = 0; n < H.nr_keyids - 1; n++) {
		unsigned k = (unsigned)(H.first_keyid + 1 + (sel + n) % (H.nr_keyids - 1));
		bool used = false;
		for (unsigned i = 0; i < NTD; i++)
			used |= H.td[i].live && H.td[i].life < L_TEARDOWN && H.td[i].hkid == k;
		if (!used || sel >= 0xf0)
			return k;
	}
	return (unsigned)H.first_keyid + 1;
}

static void write_params(uint8_t cfg, uint8_t x)
{
	uint8_t *p = H.ram + H.params;
	memset(p, 0, 1024);
	uint64_t attr = ((cfg & 1) ? 1ull << 28 : 0) | ((cfg & 2) ? 1 : 0);
	uint64_t xfam = (cfg & 4) ? 7 : 3, eptp = 6 | 3 << 3, flags = 1 << 2 | ((cfg & 0x10) ? 2 : 0);
	uint16_t vcpus = (uint16_t)(1 + ((cfg >> 3) & 1)), tsc = 100;
	memcpy(p, &attr, 8);
	memcpy(p + 8, &xfam, 8);
	memcpy(p + 16, &vcpus, 2);
	memcpy(p + 24, &eptp, 8);
	memcpy(p + 32, &flags, 8);
	memcpy(p + 40, &tsc, 2);
	if ((cfg >> 6) == 3)
		p[x] ^= (uint8_t)(1u << ((cfg >> 2) & 7));
}

/* The source of PAGE.ADD: the guest's image page for the image's GPAs. */
static void write_source(uint64_t gpa)
{
	uint8_t *p = H.ram + H.src;
	if (gpa >= IMAGE_GPA && gpa < IMAGE_GPA + vtsim_guest_td_hello_len)
		memcpy(p, vtsim_guest_td_hello + (gpa - IMAGE_GPA), PG);
	else
		for (unsigned i = 0; i < PG; i++)
			p[i] = (uint8_t)(i * 13 + (gpa >> 12));
}

/* ---- operations ----------------------------------------------------------------- */

static bool td_slot_free(void)
{
	for (unsigned i = 0; i < NTD; i++)
		if (!H.td[i].live)
			return true;
	return false;
}

static bool vcpu_slot_free(uint64_t tdr)
{
	struct td *t = td_by_tdr(tdr);
	if (!t)
		return true;         /* the module must refuse it */
	for (unsigned i = 0; i < NVCPU; i++)
		if (!t->vcpu[i].live)
			return true;
	return false;
}

static uint64_t enter(unsigned lp, struct vcpu *v, uint64_t rcx)
{
	struct vtsim_seamcall_args a = { 0 };
	if (v)
		a = v->last;         /* the VMM's registers: the guest's, answered */
	a.rax = VP_ENTER;
	a.rcx = rcx;
	a.r10 = 0;                   /* TDVMCALL answered: success */
	a.r11 = 0;
	leaf_call(lp, &a);
	return a.rax;
}

/* The S-EPT tables over gpa (levels 3, 2, 1) the model lacks, from free pages. */
static bool ensure_tables(struct td *t, unsigned lp, uint64_t gpa)
{
	for (unsigned l = 3; l >= 1; l--) {
		uint64_t g = gpa & ~(span(l) - 1);
		struct ent *e = find_ent(t, g, l);
		if (e && is_nl(e->state))
			continue;
		if (leaf4(lp, SEPT_ADD | 1 << 16, g | l, t->tdr | 1, free_page(), 0, NULL) != TDX_SUCCESS)
			return false;
	}
	return true;
}

static void build(unsigned s, const uint8_t *r)
{
	struct td *t = &H.td[s];
	unsigned lp = r[1] & 1;
	if (!t->live) {
		if (!td_slot_free())
			return;
		unsigned first = 0;          /* the new TD takes the first free slot */
		while (H.td[first].live)
			first++;
		if (leaf4(lp, MNG_CREATE, free_page(), pick_hkid(r[5] & 0x7f), 0, 0, NULL) != TDX_SUCCESS)
			return;
		t = &H.td[first];
	}
	if (t->life == L_HKID_ASSIGNED && leaf4(lp, KEY_CONFIG, t->tdr, 0, 0, 0, NULL))
		return;
	while (t->ntdcs < 6)
		if (leaf4(lp, MNG_ADDCX, free_page(), t->tdr, 0, 0, NULL))
			return;
	if (t->op == OP_UNINIT) {
		write_params((uint8_t)(r[6] & 0x3f), r[7]);
		if (leaf4(lp, MNG_INIT, t->tdr, H.params, 0, 0, NULL))
			return;
	}
	if (t->op == OP_INIT) {
		struct vcpu *v = NULL;
		for (unsigned i = 0; i < NVCPU && !v; i++)
			if (t->vcpu[i].live && !t->vcpu[i].ready)
				v = &t->vcpu[i];
		bool any_ready = false;
		for (unsigned i = 0; i < NVCPU; i++)
			any_ready |= t->vcpu[i].live && t->vcpu[i].ready;
		if (!v && !any_ready) {
			if (leaf4(lp, VP_CREATE, free_page(), t->tdr, 0, 0, NULL))
				return;
			for (unsigned i = 0; i < NVCPU && !v; i++)
				if (t->vcpu[i].live && !t->vcpu[i].ready)
					v = &t->vcpu[i];
		}
		if (v) {
			while (v->ntdcx < 5)
				if (leaf4(lp, VP_ADDCX, free_page(), v->tdvpr, 0, 0, NULL))
					return;
			if (leaf4(lp, VP_INIT | 1 << 16, v->tdvpr, r[5], (uint64_t)(v - t->vcpu), 0, NULL))
				return;
		}
		for (uint64_t off = 0; off < vtsim_guest_td_hello_len; off += PG) {
			uint64_t gpa = IMAGE_GPA + off;
			if (find_ent(t, gpa, 0))
				continue;
			if (!ensure_tables(t, lp, gpa))
				return;
			write_source(gpa);
			if (leaf4(lp, PAGE_ADD, gpa, t->tdr, free_page(), H.src, NULL))
				return;
		}
		if (r[7] & 1)
			leaf4(lp, MR_EXTEND, IMAGE_GPA + 0x7f00, t->tdr, 0, 0, NULL);
		leaf4(lp, MR_FINALIZE, t->tdr, 0, 0, 0, NULL);
	}
}

/* Runs a vCPU for up to n TD exits: TDVMCALLs answered (R10 = 0), EPT violations on
 * a private GPA by adding the page (S-EPT tables, TDH.MEM.PAGE.AUG). */
static void run(const uint8_t *r, unsigned n)
{
	struct td *t;
	struct vcpu *v = vcpu_op(r, &t);
	if (!v)
		return;
	unsigned lp = v->assoc >= 0 ? (unsigned)v->assoc : r[1] & 1;
	for (unsigned i = 0; i < n; i++) {
		uint64_t st = enter(lp, v, v->tdvpr);
		if (!t->live || st >> 32)
			return;
		unsigned reason = st & 0xffff;
		if (reason == 77)
			continue;
		if (reason != 48)
			return;
		uint64_t gpa = v->last.r8 & ~0xfffull;
		if (gpa >= SHARED || find_ent(t, gpa, 0) || !ensure_tables(t, lp, gpa))
			return;
		if (leaf4(lp, PAGE_AUG, gpa, t->tdr, free_page(), 0, NULL))
			return;
	}
}

static void zap(const uint8_t *r)
{
	unsigned lp = r[1] & 1;
	uint64_t tdr = tdr_op(r), g = gpa_op(r, 0, 1);
	leaf4(lp, RANGE_BLOCK, g, tdr, 0, 0, NULL);
	leaf4(lp, MEM_TRACK, tdr, 0, 0, 0, NULL);
	leaf4(lp, PAGE_REMOVE, g, tdr, 0, 0, NULL);
}

enum {
	O_CREATE, O_KEYCFG, O_ADDCX, O_MNGINIT, O_VPCREATE, O_VPADDCX, O_VPINIT, O_SEPTADD,
	O_PAGEADD, O_EXTEND, O_FINALIZE, O_AUG, O_BLOCK, O_UNBLOCK, O_TRACK, O_REMOVE,
	O_SEPTREMOVE, O_SEPTRD, O_ENTER, O_FLUSH, O_FLUSHDONE, O_CACHEWB, O_FREEID, O_RECLAIM,
	O_WBINVD, O_MNGRD, O_RDMD, O_RECLAIMID, O_RAW, O_BUILD, O_RUN, O_ZAP,
};

static const uint8_t optab[64] = {
	O_CREATE, O_KEYCFG, O_ADDCX, O_MNGINIT, O_VPCREATE, O_VPADDCX, O_VPINIT, O_SEPTADD,
	O_PAGEADD, O_EXTEND, O_FINALIZE, O_AUG, O_BLOCK, O_UNBLOCK, O_TRACK, O_REMOVE,
	O_SEPTREMOVE, O_SEPTRD, O_ENTER, O_FLUSH, O_FLUSHDONE, O_CACHEWB, O_FREEID, O_RECLAIM,
	O_WBINVD, O_MNGRD, O_RDMD, O_RECLAIMID, O_RAW, O_BUILD, O_RUN, O_ZAP,
	O_SEPTADD, O_SEPTADD, O_AUG, O_AUG, O_AUG, O_BLOCK, O_BLOCK, O_BLOCK,
	O_TRACK, O_TRACK, O_TRACK, O_REMOVE, O_REMOVE, O_REMOVE, O_ENTER, O_ENTER,
	O_ENTER, O_RUN, O_RUN, O_RUN, O_ZAP, O_ZAP, O_BUILD, O_BUILD,
	O_UNBLOCK, O_SEPTREMOVE, O_FLUSH, O_RECLAIM, O_RAW, O_PAGEADD, O_ENTER, O_RUN,
};

/* Leaves the raw operation calls with operands from the same pickers. */
static const uint16_t raw_leaves[] = {
	MNG_ADDCX, PAGE_ADD, SEPT_ADD, VP_ADDCX, 5, PAGE_AUG, RANGE_BLOCK, KEY_CONFIG, MNG_RD,
	12, 13, 14, 15, MR_EXTEND, MR_FINALIZE, VP_FLUSH, VPFLUSHDONE, KEY_FREEID, MNG_INIT,
	VP_INIT, PAGE_RDMD, SEPT_RD, VP_RD, KEY_RECLAIMID, PAGE_RECLAIM, PAGE_REMOVE,
	SEPT_REMOVE, 31, 32, 33, 34, 35, 37, MEM_TRACK, RANGE_UNBLOCK, CACHE_WB, PAGE_WBINVD, 42,
	VP_WR, 45, 46, 47, 48, 64, 0x7fff,
};

static void chaos(const uint8_t *r, struct vtsim_seamcall_args *a)
{
	if (((r[1] >> 2) & 3) != 3)
		return;
	uint64_t bit = 1ull << (r[7] & 63);
	switch (r[6] % 5) {
	case 0: a->rcx ^= bit; break;
	case 1: a->rdx ^= bit; break;
	case 2: a->r8 ^= bit; break;
	case 3: a->r9 ^= bit; break;
	default: a->rax ^= 1ull << (16 + (r[7] % 48)); break;
	}
}

/* A page a leaf would take that is RAM the module may use but not the pool's (a
 * flipped bit, a raw call's operands): the model could not follow it. */
static bool stray_page(uint64_t pa)
{
	return !(pa & 0xfff) && pa < H.reserved_base && pool_idx(pa) < 0 && pa != H.big_base;
}

static bool stray(const struct vtsim_seamcall_args *a)
{
	switch (a->rax & 0xffff) {
	case MNG_CREATE: case MNG_ADDCX: case VP_CREATE: case VP_ADDCX:
		return stray_page(a->rcx);
	case PAGE_AUG:
		/* At 2 MiB: a run of pages other than the harness's (the pool's might be
		 * free 2 MiB around it). */
		if ((a->rcx & 7) == 1 && a->r8 != H.big_base && !(a->r8 & (SZ_2M - 1)) && a->r8 < H.reserved_base)
			return true;
		return stray_page(a->r8);
	case SEPT_ADD: case PAGE_ADD:
		return stray_page(a->r8);
	case 15: case 23:                /* DEMOTE, PROMOTE of a large page: not modelled */
		return (a->rcx & 7) == 1 || (a->rcx & 7) == 2;
	default:
		return false;
	}
}

static void record(const uint8_t *r)
{
	unsigned op = optab[r[0] & 63], lp = r[1] & 1, ver = (r[1] >> 1) & 1;
	struct vtsim_seamcall_args a = { 0 };
	switch (op) {
	case O_CREATE:
		if (!td_slot_free())
			return;
		a = (struct vtsim_seamcall_args){ .rax = MNG_CREATE, .rcx = pick_page(r[2], false),
						  .rdx = pick_hkid(r[5]) };
		break;
	case O_KEYCFG:
		a = (struct vtsim_seamcall_args){ .rax = KEY_CONFIG, .rcx = tdr_op(r) };
		break;
	case O_ADDCX:
		a = (struct vtsim_seamcall_args){ .rax = MNG_ADDCX, .rcx = pick_page(r[2], false), .rdx = tdr_op(r) };
		break;
	case O_MNGINIT:
		write_params(r[6], r[7]);
		a = (struct vtsim_seamcall_args){ .rax = MNG_INIT, .rcx = tdr_op(r),
						  .rdx = r[5] == 0xff ? H.params + 0x200 : H.params };
		break;
	case O_VPCREATE:
		a = (struct vtsim_seamcall_args){ .rax = VP_CREATE, .rcx = pick_page(r[2], false), .rdx = tdr_op(r) };
		if (!vcpu_slot_free(a.rdx))
			return;
		break;
	case O_VPADDCX:
		a = (struct vtsim_seamcall_args){ .rax = VP_ADDCX, .rcx = pick_page(r[2], false), .rdx = tdvpr_op(r) };
		break;
	case O_VPINIT:
		a = (struct vtsim_seamcall_args){ .rax = VP_INIT | (uint64_t)ver << 16, .rcx = tdvpr_op(r),
						  .rdx = r[5], .r8 = r[6] == 0xff ? 1ull << 32 : r[6] & 3 };
		break;
	case O_SEPTADD:
		a = (struct vtsim_seamcall_args){ .rax = SEPT_ADD | (uint64_t)ver << 16, .rcx = gpa_op(r, 1, 3),
						  .rdx = tdr_op(r) | (r[4] >> 7), .r8 = pick_page(r[2], false) };
		break;
	case O_PAGEADD: {
		uint64_t g = gpa_op(r, 0, 0);
		write_source(g & ~0xfffull);
		a = (struct vtsim_seamcall_args){ .rax = PAGE_ADD, .rcx = g, .rdx = tdr_op(r),
						  .r8 = pick_page(r[2], false), .r9 = r[5] == 0xff ? H.src | 8 : H.src };
		break;
	}
	case O_EXTEND:
		a = (struct vtsim_seamcall_args){ .rax = MR_EXTEND, .rcx = (gpa_op(r, 0, 0) & ~0xfffull) + (r[5] & 15) * 256ull,
						  .rdx = tdr_op(r) };
		break;
	case O_FINALIZE:
		a = (struct vtsim_seamcall_args){ .rax = MR_FINALIZE, .rcx = tdr_op(r) };
		break;
	case O_AUG: {
		/* At 2 MiB mostly the run, now and then a page the module must refuse. */
		uint64_t g = gpa_op(r, 0, 1);
		a = (struct vtsim_seamcall_args){ .rax = PAGE_AUG, .rcx = g, .rdx = tdr_op(r),
						  .r8 = (g & 7) == 1 && r[2] < 0xe0 ? H.big_base : pick_page(r[2], false) };
		break;
	}
	case O_BLOCK:
	case O_UNBLOCK:
	case O_SEPTRD:
		a = (struct vtsim_seamcall_args){ .rax = op == O_BLOCK ? RANGE_BLOCK : op == O_UNBLOCK ? RANGE_UNBLOCK : SEPT_RD,
						  .rcx = gpa_op(r, 0, 3), .rdx = tdr_op(r) };
		break;
	case O_TRACK:
		a = (struct vtsim_seamcall_args){ .rax = MEM_TRACK, .rcx = tdr_op(r) };
		break;
	case O_REMOVE:
		a = (struct vtsim_seamcall_args){ .rax = PAGE_REMOVE, .rcx = gpa_op(r, 0, 1), .rdx = tdr_op(r) };
		break;
	case O_SEPTREMOVE:
		a = (struct vtsim_seamcall_args){ .rax = SEPT_REMOVE, .rcx = gpa_op(r, 1, 3), .rdx = tdr_op(r) };
		break;
	case O_ENTER: {
		struct td *t;
		struct vcpu *v = vcpu_op(r, &t);
		uint64_t rcx = tdvpr_op(r) | ((r[1] & 0x80) ? (uint64_t)(r[5] & 3) << 52 : 0);
		if (v && v->tdvpr != (rcx & ~(3ull << 52)))
			v = NULL;
		a = v ? v->last : (struct vtsim_seamcall_args){ 0 };
		a.rax = VP_ENTER;
		a.rcx = rcx;
		a.r10 = 0;
		a.r11 = 0;
		chaos(r, &a);
		leaf_call(lp, &a);
		return;
	}
	case O_FLUSH:
		a = (struct vtsim_seamcall_args){ .rax = VP_FLUSH, .rcx = tdvpr_op(r) };
		break;
	case O_FLUSHDONE:
		a = (struct vtsim_seamcall_args){ .rax = VPFLUSHDONE, .rcx = tdr_op(r) };
		break;
	case O_CACHEWB:
		a = (struct vtsim_seamcall_args){ .rax = CACHE_WB, .rcx = r[5] == 0xff ? 2 : r[5] & 1 };
		break;
	case O_FREEID:
		a = (struct vtsim_seamcall_args){ .rax = KEY_FREEID, .rcx = tdr_op(r) };
		break;
	case O_RECLAIM:
		a = (struct vtsim_seamcall_args){ .rax = PAGE_RECLAIM, .rcx = pick_page(r[2], true) };
		break;
	case O_WBINVD:
		a = (struct vtsim_seamcall_args){ .rax = PAGE_WBINVD,
						  .rcx = pick_page(r[2], false) | ((uint64_t)(r[5] & 0x7f) << H.keyid_shift) };
		break;
	case O_MNGRD:
		a = (struct vtsim_seamcall_args){ .rax = MNG_RD | (uint64_t)ver << 16, .rcx = tdr_op(r),
						  .rdx = 0x110000000000000Aull + (r[5] & 3) };
		break;
	case O_RDMD:
		a = (struct vtsim_seamcall_args){ .rax = PAGE_RDMD, .rcx = pick_page(r[2], r[5] & 1) };
		break;
	case O_RECLAIMID:
		a = (struct vtsim_seamcall_args){ .rax = KEY_RECLAIMID, .rcx = tdr_op(r) };
		break;
	case O_RAW: {
		unsigned leaf = raw_leaves[r[5] % (sizeof(raw_leaves) / sizeof(raw_leaves[0]))];
		a = (struct vtsim_seamcall_args){ .rax = leaf | (uint64_t)ver << 16, .rcx = pick_page(r[2], r[6] & 1),
						  .rdx = (r[6] & 2) ? gpa_op(r, 0, 3) : tdr_op(r),
						  .r8 = pick_page(r[3], false), .r9 = H.src };
		if (leaf == MNG_INIT)
			write_params(r[6], r[7]);
		if (r[6] & 4) {
			uint64_t t = a.rcx;
			a.rcx = a.rdx;
			a.rdx = t;
		}
		break;
	}
	case O_BUILD:
		build((r[1] >> 4) & 1, r);
		return;
	case O_RUN:
		run(r, 1 + r[5] % 48);
		return;
	case O_ZAP:
		zap(r);
		return;
	}
	chaos(r, &a);
	if (stray(&a))
		return;
	if ((a.rax & 0xffff) == MNG_CREATE && !td_slot_free())
		return;
	if ((a.rax & 0xffff) == VP_CREATE && !vcpu_slot_free(a.rdx))
		return;
	leaf_call(lp, &a);
}

/* ---- teardown, in KVM's order ---------------------------------------------------- */

static void expect(uint64_t st, uint64_t want, const char *what, uint64_t arg)
{
	if (st != want)
		fail("teardown: %s %#llx: %#llx %s, expected %#llx %s", what, (unsigned long long)arg,
		     (unsigned long long)st, sname(st), (unsigned long long)want, sname(want));
}

static void teardown_td(struct td *t)
{
	/* While the HKID is live: every private page blocked, tracked and removed. */
	if (sept_readable(t)) {
		bool running = t->op == OP_RUNNABLE;
		for (unsigned i = 0; i < NENT && running && !t->fatal; i++) {
			struct ent *e = &t->ent[i];
			if (!e->used || is_nl(e->state) || e->state == S_BLOCKED || e->state == S_PENDING_BLOCKED)
				continue;
			uint64_t st = leaf4(0, RANGE_BLOCK, e->gpa | e->level, t->tdr, 0, 0, NULL);
			if (st == TDX_TD_FATAL && t->fatal)
				break;
			expect(st, TDX_SUCCESS, "RANGE.BLOCK", e->gpa);
		}
		if (running && !t->fatal) {
			uint64_t st = leaf4(0, MEM_TRACK, t->tdr, 0, 0, 0, NULL);
			if (!t->fatal)
				expect(st, TDX_SUCCESS, "MEM.TRACK", t->tdr);
		}
		for (unsigned i = 0; i < NENT && !t->fatal; i++) {
			struct ent *e = &t->ent[i];
			if (!e->used || is_nl(e->state))
				continue;
			uint64_t gpa = e->gpa;
			uint64_t st = leaf4(0, PAGE_REMOVE, gpa | e->level, t->tdr, 0, 0, NULL);
			if (!t->fatal)
				expect(st, TDX_SUCCESS, "PAGE.REMOVE", gpa);
		}
	}
	for (unsigned i = 0; i < NVCPU; i++) {
		struct vcpu *v = &t->vcpu[i];
		if (v->live && v->assoc >= 0) {
			uint64_t st = leaf4((unsigned)v->assoc, VP_FLUSH, v->tdvpr, 0, 0, 0, NULL);
			expect(st, TDX_SUCCESS, "VP.FLUSH", v->tdvpr);
		}
	}
	if (t->life == L_HKID_ASSIGNED || t->life == L_KEYS_CONFIGURED)
		expect(leaf4(0, VPFLUSHDONE, t->tdr, 0, 0, 0, NULL), TDX_SUCCESS, "MNG.VPFLUSHDONE", t->tdr);
	if (t->life == L_BLOCKED) {
		uint64_t st = leaf4(0, CACHE_WB, 0, 0, 0, 0, NULL);
		if (st != TDX_SUCCESS && st != TDX_NO_HKID_READY_TO_WBCACHE)
			expect(st, TDX_SUCCESS, "PHYMEM.CACHE.WB", 0);
		expect(leaf4(0, KEY_FREEID, t->tdr, 0, 0, 0, NULL), TDX_SUCCESS, "MNG.KEY.FREEID", t->tdr);
	}
	int s = slot_of(t);
	for (unsigned i = 0; i < NPAGES; i++)
		if (H.page[i].type != PT_NDA && H.page[i].type != PT_TDR && H.page[i].owner == s)
			expect(leaf4(0, PAGE_RECLAIM, pool_pa(i), 0, 0, 0, NULL), TDX_SUCCESS, "PHYMEM.PAGE.RECLAIM",
			       pool_pa(i));
	if (H.big.type != PT_NDA && H.big.owner == s)
		expect(leaf4(0, PAGE_RECLAIM, H.big_base, 0, 0, 0, NULL), TDX_SUCCESS,
		       "PHYMEM.PAGE.RECLAIM of the 2 MiB page", H.big_base);
	expect(leaf4(0, PAGE_RECLAIM, t->tdr, 0, 0, 0, NULL), TDX_SUCCESS, "PHYMEM.PAGE.RECLAIM of the TDR", t->tdr);
	if (t->live)
		fail("teardown: the TD lives on after its TDR was reclaimed");
}

static void teardown(void)
{
	H.quick = true;
	for (unsigned i = 0; i < NTD; i++)
		if (H.td[i].live)
			teardown_td(&H.td[i]);
	H.quick = false;
	for (unsigned i = 0; i < NPAGES; i++)
		if (H.page[i].type != PT_NDA)
			fail("teardown: the model still has page %u", i);
	if (H.big.type != PT_NDA)
		fail("teardown: the model still has the 2 MiB page");
	pamt_oracle("after teardown");
}

/* ---- the platform, once ---------------------------------------------------------- */

static void setup(void)
{
	struct vtsim_config cfg;
	char err[256] = "";
	vtsim_config_defaults(&cfg);
	cfg.tdx = true;
	cfg.nr_cpus = NLP;
	H.m = vtsim_machine_create(&cfg, err, sizeof(err));
	if (!H.m)
		fail("setup: machine: %s", err);
	if (vtsim_hosted_start(H.m, err, sizeof(err)))
		fail("setup: hosted start: %s", err);
	static FILE *devnull;
	devnull = fopen("/dev/null", "w");
	if (kvm_hosted_attach(H.m, devnull) || kvm_init())
		fail("setup: kvmlike's bring-up failed");
	H.ram = vtsim_machine_ram(H.m, NULL);
	uint64_t part, act;
	uint32_t r[4];
	if (vtsim_hosted_rdmsr(H.m, 0, 0x87, &part) || vtsim_hosted_rdmsr(H.m, 0, 0x982, &act) ||
	    vtsim_hosted_rdmsr(H.m, 0, 0x1400, &H.seamrr_base))
		fail("setup: platform MSRs");
	H.first_keyid = (part & 0xffffffff) + 1;
	H.nr_keyids = part >> 32;
	vtsim_hosted_cpuid(H.m, 0, 0x80000008, 0, r);
	H.keyid_shift = (r[0] & 0xff) - ((act >> 32) & 0xf);
	H.seamrr_base &= ~0x1ffffffull & ((1ull << (r[0] & 0xff)) - 1);
	H.reserved_base = vtsim_machine_reserved_base(H.m);
	if (H.nr_keyids < 3)
		fail("setup: %llu TDX KeyIDs", (unsigned long long)H.nr_keyids);
	H.pool_base = kvm_alloc_pages(POOL);
	H.src = kvm_alloc_pages(1);
	H.params = kvm_alloc_pages(1);
	H.big_base = alloc_2m();
	if (!H.pool_base || !H.src || !H.params || !H.big_base)
		fail("setup: no pages");
	for (unsigned i = 0; i < NPAGES; i++)
		H.page[i].owner = -1;
	H.big.owner = -1;
	pamt_oracle("setup");
	if (!(H.snap = vtsim_snapshot_take(H.m, err, sizeof(err))))
		fail("setup: snapshot: %s", err);
	atexit(print_reset_cost);
}

#ifndef VTSIM_FUZZ_EMBEDDED   /* the sanitizers' settings, for the fuzzer build */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libunicorn.so\n";
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		setup();
		H.trace = getenv("FUZZ_TD_TRACE") != NULL;   /* the inputs' calls, not the bring-up's */
		ready = true;
	}
	/* The machine as setup left it (the teardown after each input gave every page
	 * back, so the model is that of setup already): the module's state, RAM and
	 * the software CPUs' translations do not depend on the inputs before. */
	char err[256];
	if (restore_timed(&reset, H.m, H.snap, err, sizeof(err)))
		fail("restore: %s", err);
	H.input = data;
	H.input_size = size;
	H.input_calls = H.calls;
	hist[hist_next].size = size < sizeof(hist[0].data) ? size : sizeof(hist[0].data);
	memcpy(hist[hist_next].data, data, hist[hist_next].size);
	hist_next = (hist_next + 1) % HIST;
	for (size_t off = 0, n = 0; off + REC <= size && n < MAX_RECS; off += REC, n++) {
		if (H.trace)
			fprintf(stderr, "record %zu: op %u\n", n, optab[data[off] & 63]);
		record(data + off);
	}
	oracles("the end of the input");
	if (H.trace)
		fprintf(stderr, "teardown\n");
	teardown();
	return 0;
}
