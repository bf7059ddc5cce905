/* Every TD leaf's error statuses, machine-checked.
 *
 * The refusals TD-scope leaves share, one loop over a table of leaves: the TDR (or
 * TDVPR) operand not such a page (TDX_PAGE_METADATA_INCORRECT), not aligned
 * (TDX_OPERAND_INVALID), outside the TDMRs (TDX_OPERAND_ADDR_RANGE_ERROR) or locked
 * by another LP (TDX_OPERAND_BUSY), each with the operand's register id; for the
 * leaves that enter the TDCS, the TD's state: keys not configured, TDCS pages
 * missing, an OP_STATE the leaf does not run in, a fatal TD. The vCPU leaves on a
 * finalized and on a flushed TD; the page leaves' operand refusals; the S-EPT
 * leaves' walk failures (TDX_EPT_WALK_FAILED with the entry). Each refusal
 * leaves the pages as they were (TDH.PHYMEM.PAGE.RDMD).
 *
 * The audit: for every leaf the module dispatches (and every guest leaf), the
 * statuses its code can return (the module's return paths, its shared checks
 * included), each with the ctest and exact source text that provoke it, or stated
 * unreachable, or counted as untested (the count may only go down). A
 * deterministic random walk of SEAMCALLs holds the module to the list: no leaf may
 * return a status it does not declare. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/kvm_fixture.h"
#include "kvmlike/kvm.h"
#include "kvmlike/runtime_hosted.h"
#include "sim/cpu/machine.h"
#include "sim/tdx_module_stub/module.h"
#include "sim/tdx_module_stub/status.h"
#include "sim/tdx_module_stub/td.h"
#include "tests/unit/test_sources.h"
#include "vtsim/hosted.h"

enum { RCX = 1, RDX = 2 };
enum { VP_RD = 26, VP_WR = 43 };
#define FIELD_PEND_NMI 0x200000000000000Bull
enum { VP_ENTER = 0, ADDCX = 1, VP_ADDCX = 4, KEY_CONFIG = 8, CREATE = 9, VP_CREATE = 10,
       VP_FLUSH = 18, VPFLUSHDONE = 19, FREEID = 20, MNG_INIT = 21, VP_INIT = 22, RDMD = 24,
       CACHE_WB = 40 };

static struct vtsim_machine *m;
static FILE *devnull;

static int setup(void **state)
{
	struct vtsim_config cfg;
	devnull = fopen("/dev/null", "w");
	vtsim_config_defaults(&cfg);
	cfg.diag = devnull;          /* the refusals' explanations: asserted elsewhere */
	m = kvm_fixture_up(&cfg, devnull);
	return 0;
}

static int teardown(void **state)
{
	kvm_fixture_down(m);
	fclose(devnull);
	return 0;
}

static uint64_t call(struct vtsim_seamcall_args *a)
{
	assert_int_equal(vtsim_seamcall(m, 0, a), VTSIM_SEAMCALL_DONE);
	return a->rax;
}

static uint64_t sc(uint64_t leaf, uint64_t rcx, uint64_t rdx)
{
	struct vtsim_seamcall_args a = { .rax = leaf, .rcx = rcx, .rdx = rdx };
	return call(&a);
}

static uint64_t page_type(uint64_t pa)
{
	struct vtsim_seamcall_args a = { .rax = RDMD, .rcx = pa };
	assert_int_equal(call(&a), TDX_SUCCESS);
	return a.rcx;
}

/* TDs in the states the refusals need. */
struct tds {
	uint64_t no_keys, no_tdcs, uninit, ready, ready_tdvpr;
};

static uint64_t td_created(unsigned hkid, bool keys, unsigned tdcs_pages)
{
	uint64_t tdr = kvm_alloc_pages(1);
	assert_int_equal(sc(CREATE, tdr, hkid), TDX_SUCCESS);
	if (keys)
		assert_int_equal(sc(KEY_CONFIG, tdr, 0), TDX_SUCCESS);
	for (unsigned i = 0; i < tdcs_pages; i++)
		assert_int_equal(sc(ADDCX, kvm_alloc_pages(1), tdr), TDX_SUCCESS);
	return tdr;
}

static void make_tds(struct tds *t)
{
	t->no_keys = td_created(17, false, 0);
	t->no_tdcs = td_created(18, true, 0);
	t->uninit = td_created(19, true, 6);
	t->ready = td_created(20, true, 6);
	uint64_t params = kvm_alloc_pages(1);
	uint8_t *p = (uint8_t *)vtsim_machine_ram(m, NULL) + params;
	uint64_t attributes = 1, xfam = 3, eptp = 6 | 3 << 3, flags = 1 << 2;  /* DEBUG; x87 SSE; */
	uint16_t vcpus = 1, tsc = 100;                                          /* WB 4-level; NO_RBP_MOD */
	memcpy(p + 0, &attributes, 8);
	memcpy(p + 8, &xfam, 8);
	memcpy(p + 16, &vcpus, 2);
	memcpy(p + 24, &eptp, 8);
	memcpy(p + 32, &flags, 8);
	memcpy(p + 40, &tsc, 2);
	assert_int_equal(sc(MNG_INIT, t->ready, params), TDX_SUCCESS);
	t->ready_tdvpr = kvm_alloc_pages(1);
	assert_int_equal(sc(VP_CREATE, t->ready_tdvpr, t->ready), TDX_SUCCESS);
}

/* A TD-scope leaf: where its TDR or TDVPR operand is, the other operands it is
 * given (valid in form, so that the TD operand's checks decide), and which TD-state
 * refusals apply (`enters`: the leaf enters the TDCS, with its OP_STATE check
 * unless `any_op_state`). */
struct td_leaf {
	unsigned leaf;
	const char *name;
	unsigned reg;            /* RCX or RDX */
	bool vcpu;               /* a TDVPR, not a TDR */
	bool enters;
	bool uninit_ok;          /* runs in OP_STATE UNINITIALIZED */
	uint64_t rcx;            /* RCX when the TD operand is RDX */
	bool runnable_refused;   /* a vCPU leaf that does not run once the TD is finalized */
};

#define GPA_L1 (0x200000ull | 1)
static const struct td_leaf td_leaves[] = {
	{ 0, "TDH.VP.ENTER", RCX, true, false, false, 0 },
	{ 1, "TDH.MNG.ADDCX", RDX, false, false, false, 0 },
	{ 2, "TDH.MEM.PAGE.ADD", RDX, false, true, false, 0x200000 },
	{ 3, "TDH.MEM.SEPT.ADD", RDX, false, true, false, GPA_L1 },
	{ 4, "TDH.VP.ADDCX", RDX, true, false, false, 0, true },
	{ 6, "TDH.MEM.PAGE.AUG", RDX, false, true, false, 0x200000 },
	{ 7, "TDH.MEM.RANGE.BLOCK", RDX, false, true, false, 0x200000 },
	{ 8, "TDH.MNG.KEY.CONFIG", RCX, false, false, false, 0 },
	{ 10, "TDH.VP.CREATE", RDX, false, true, false, 0 },
	{ 11, "TDH.MNG.RD", RCX, false, true, false, 0 },
	{ 12, "TDH.MEM.RD", RDX, false, true, false, 0x200000 },
	{ 13, "TDH.MNG.WR", RCX, false, true, false, 0 },
	{ 14, "TDH.MEM.WR", RDX, false, true, false, 0x200000 },
	{ 15, "TDH.MEM.PAGE.DEMOTE", RDX, false, true, false, GPA_L1 },
	{ 16, "TDH.MR.EXTEND", RDX, false, true, false, 0x200000 },
	{ 17, "TDH.MR.FINALIZE", RCX, false, true, false, 0 },
	{ 18, "TDH.VP.FLUSH", RCX, true, false, false, 0 },
	{ 19, "TDH.MNG.VPFLUSHDONE", RCX, false, false, false, 0 },
	{ 20, "TDH.MNG.KEY.FREEID", RCX, false, false, false, 0 },
	{ 21, "TDH.MNG.INIT", RCX, false, true, true, 0 },
	{ 22, "TDH.VP.INIT", RCX, true, false, false, 0, true },
	{ 23, "TDH.MEM.PAGE.PROMOTE", RDX, false, true, false, GPA_L1 },
	{ 25, "TDH.MEM.SEPT.RD", RDX, false, true, false, GPA_L1 },
	{ 26, "TDH.VP.RD", RCX, true, false, false, 0 },
	{ 29, "TDH.MEM.PAGE.REMOVE", RDX, false, true, false, 0x200000 },
	{ 30, "TDH.MEM.SEPT.REMOVE", RDX, false, true, false, GPA_L1 },
	{ 38, "TDH.MEM.TRACK", RCX, false, true, false, 0 },
	{ 39, "TDH.MEM.RANGE.UNBLOCK", RDX, false, true, false, 0x200000 },
	{ 43, "TDH.VP.WR", RCX, true, false, false, 0 },
};
#define NLEAVES (sizeof(td_leaves) / sizeof(td_leaves[0]))

/* The leaf with its TD operand `td`; the other operands as its row gives them. */
static uint64_t td_call(const struct td_leaf *l, uint64_t td)
{
	struct vtsim_seamcall_args a = { .rax = l->leaf };
	if (l->reg == RCX) {
		a.rcx = td;
	} else {
		a.rcx = l->rcx;
		a.rdx = td;
	}
	return call(&a);
}

static void test_td_operand_refusals(void **state)
{
	struct tds t;
	make_tds(&t);
	uint64_t nda = kvm_alloc_pages(1), beyond = 2ull << 30;
	assert_int_equal(page_type(nda), 0);
	for (size_t i = 0; i < NLEAVES; i++) {
		const struct td_leaf *l = &td_leaves[i];
		uint64_t good = l->vcpu ? t.ready_tdvpr : t.ready, st;
		print_message("%s\n", l->name);
		assert_int_equal(td_call(l, nda), TDX_PAGE_METADATA_INCORRECT | l->reg);
		assert_int_equal(td_call(l, good | 0x800), TDX_OPERAND_INVALID | l->reg);
		assert_int_equal(td_call(l, beyond), TDX_OPERAND_ADDR_RANGE_ERROR | l->reg);
		/* A TDR where a TDVPR belongs, and the other way round. */
		assert_int_equal(td_call(l, l->vcpu ? t.ready : t.ready_tdvpr),
				 TDX_PAGE_METADATA_INCORRECT | l->reg);
		assert_int_equal(tdx_module_hold_page(m->seam.module, good, true), 0);
		assert_int_equal(td_call(l, good), TDX_OPERAND_BUSY | l->reg);
		assert_int_equal(tdx_module_hold_page(m->seam.module, good, false), 0);
		if (!l->enters)
			continue;
		assert_int_equal(td_call(l, t.no_keys), TDX_TD_KEYS_NOT_CONFIGURED);
		assert_int_equal(td_call(l, t.no_tdcs), TDX_TDCS_NOT_ALLOCATED);
		st = td_call(l, t.uninit);
		if (!l->uninit_ok)
			assert_int_equal(st, TDX_OP_STATE_INCORRECT);
		else
			assert_int_not_equal(st & ~0xffffffffull, TDX_OP_STATE_INCORRECT);
	}
	/* Still what they were. */
	assert_int_equal(page_type(t.no_keys), 4);
	assert_int_equal(page_type(t.ready_tdvpr), 6);
	assert_int_equal(page_type(nda), 0);
}

/* A TD the host wrote into (its TDR through KeyID 0) is fatal: every leaf that
 * enters it says so, and TDH.VP.FLUSH still runs (teardown). */
static void test_fatal_td_refusals(void **state)
{
	struct tds t;
	make_tds(&t);
	((uint8_t *)vtsim_machine_ram(m, NULL))[t.ready + 8] = 1;
	for (size_t i = 0; i < NLEAVES; i++) {
		const struct td_leaf *l = &td_leaves[i];
		if (!l->enters && !l->vcpu)
			continue;
		print_message("%s\n", l->name);
		uint64_t st = td_call(l, l->vcpu ? t.ready_tdvpr : t.ready);
		if (l->leaf == VP_FLUSH)
			assert_int_equal(st, TDX_SUCCESS);
		else
			assert_int_equal(st, TDX_TD_FATAL);
	}
	assert_int_equal(sc(VPFLUSHDONE, t.ready, 0), TDX_SUCCESS);
}

/* The vCPU leaves on a TDVPR whose TD moved on: finalized (TDH.VP.ADDCX and
 * TDH.VP.INIT are for building it: TDX_OP_STATE_INCORRECT), then its HKID flushed
 * (TDH.MNG.VPFLUSHDONE: every vCPU leaf finds the keys gone,
 * TDX_TD_KEYS_NOT_CONFIGURED). */
static void test_vcpu_leaves_after_the_td_moved_on(void **state)
{
	struct tds t;
	make_tds(&t);
	/* Before TDH.VP.INIT the vCPU has no metadata to read or write. */
	struct vtsim_seamcall_args md = { .rax = VP_RD, .rcx = t.ready_tdvpr, .rdx = FIELD_PEND_NMI };
	assert_int_equal(call(&md), TDX_VCPU_STATE_INCORRECT);          /* VP.RD, not initialized */
	md = (struct vtsim_seamcall_args){ .rax = VP_WR, .rcx = t.ready_tdvpr, .rdx = FIELD_PEND_NMI,
					   .r8 = 1, .r9 = 1 };
	assert_int_equal(call(&md), TDX_VCPU_STATE_INCORRECT);          /* VP.WR, not initialized */
	for (int i = 0; i < 5; i++)
		assert_int_equal(sc(VP_ADDCX, kvm_alloc_pages(1), t.ready_tdvpr), TDX_SUCCESS);
	assert_int_equal(sc(VP_INIT, t.ready_tdvpr, 0), TDX_SUCCESS);
	md = (struct vtsim_seamcall_args){ .rax = VP_WR, .rcx = t.ready_tdvpr, .rdx = 0x1234567,
					   .r8 = 1, .r9 = 1 };
	assert_int_equal(call(&md), TDX_METADATA_FIELD_ID_INCORRECT);   /* VP.WR, no such field */
	assert_int_equal(md.r8, 0);
	assert_int_equal(sc(17, t.ready, 0), TDX_SUCCESS);       /* TDH.MR.FINALIZE */
	for (size_t i = 0; i < NLEAVES; i++)
		if (td_leaves[i].runnable_refused)
			assert_int_equal(td_call(&td_leaves[i], t.ready_tdvpr), TDX_OP_STATE_INCORRECT);
	assert_int_equal(sc(VPFLUSHDONE, t.ready, 0), TDX_SUCCESS);
	for (size_t i = 0; i < NLEAVES; i++)
		if (td_leaves[i].vcpu)
			assert_int_equal(td_call(&td_leaves[i], t.ready_tdvpr), TDX_TD_KEYS_NOT_CONFIGURED);
	assert_int_equal(page_type(t.ready_tdvpr), 6);
}

/* Leaves whose RCX is any page (TDH.MNG.CREATE's new TDR, with HKID 30;
 * TDH.PHYMEM.PAGE.RECLAIM; TDH.PHYMEM.PAGE.WBINVD): the same operand refusals,
 * with RCX's id. */
static const struct { unsigned leaf; uint64_t rdx; } page_leaves[] = {
	{ CREATE, 30 }, { 28, 0 }, { 41, 0 },
};
#define NPAGE_LEAVES (sizeof(page_leaves) / sizeof(page_leaves[0]))

static void test_page_operand_refusals(void **state)
{
	uint64_t page = kvm_alloc_pages(1);
	for (size_t i = 0; i < NPAGE_LEAVES; i++) {
		unsigned leaf = page_leaves[i].leaf;
		uint64_t rdx = page_leaves[i].rdx;
		assert_int_equal(sc(leaf, page | 0x40, rdx), TDX_OPERAND_INVALID | RCX);
		assert_int_equal(sc(leaf, 2ull << 30, rdx), TDX_OPERAND_ADDR_RANGE_ERROR | RCX);
		assert_int_equal(tdx_module_hold_page(m->seam.module, page, true), 0);
		assert_int_equal(sc(leaf, page, rdx), TDX_OPERAND_BUSY | RCX);
		assert_int_equal(tdx_module_hold_page(m->seam.module, page, false), 0);
	}
	assert_int_equal(page_type(page), 0);
	assert_int_equal(tdx_module_kot_state(m->seam.module, 30), TDX_KOT_FREE);
}

/* The S-EPT leaves on a TD with nothing but the S-EPT root: the walk to the GPA
 * stops at the free PML4 entry, TDX_EPT_WALK_FAILED | RCX, with that entry (RCX: its
 * value, Suppress #VE set) and its level and state (RDX: 3, FREE) as outputs. */
static const struct { unsigned leaf; uint64_t gpa_level; } walks[] = {
	{ 2, 0x200000 }, { 3, GPA_L1 }, { 6, 0x200000 }, { 7, 0x200000 }, { 12, 0x200000 },
	{ 14, 0x200000 }, { 15, GPA_L1 }, { 23, GPA_L1 }, { 25, GPA_L1 }, { 29, 0x200000 },
	{ 30, GPA_L1 }, { 39, 0x200000 },
};
#define NWALKS (sizeof(walks) / sizeof(walks[0]))

static void test_sept_walk_failures(void **state)
{
	struct tds t;
	make_tds(&t);
	for (size_t i = 0; i < NWALKS; i++) {
		struct vtsim_seamcall_args a = { .rax = walks[i].leaf, .rcx = walks[i].gpa_level,
						 .rdx = t.ready, .r8 = kvm_alloc_pages(1) };
		print_message("%s\n", tdx_leaf_name(walks[i].leaf));
		assert_int_equal(call(&a), TDX_EPT_WALK_FAILED | RCX);
		assert_int_equal(a.rcx, 1ull << 63);
		assert_int_equal(a.rdx, 3 | (uint64_t)SEPT_FREE << 8);
	}
	/* A page the guest has not accepted (PENDING, TDH.MEM.PAGE.AUG): the debug
	 * TD's memory at it is not readable or writable yet. */
	for (unsigned level = 3; level >= 1; level--) {
		uint64_t info = (0x200000 & ~((1ull << (12 + 9 * level)) - 1)) | level;
		struct vtsim_seamcall_args a = { .rax = 3, .rcx = info, .rdx = t.ready, .r8 = kvm_alloc_pages(1) };
		assert_int_equal(call(&a), TDX_SUCCESS);
	}
	struct vtsim_seamcall_args a = { .rax = 6, .rcx = 0x200000, .rdx = t.ready, .r8 = kvm_alloc_pages(1) };
	assert_int_equal(call(&a), TDX_SUCCESS);
	a = (struct vtsim_seamcall_args){ .rax = 12, .rcx = 0x200000, .rdx = t.ready };
	assert_int_equal(call(&a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);   /* MEM.RD of PENDING */
	assert_int_equal(a.rdx, 0 | (uint64_t)SEPT_PENDING << 8);
	assert_int_equal(a.r8, 0);
	a = (struct vtsim_seamcall_args){ .rax = 14, .rcx = 0x200000, .rdx = t.ready, .r8 = 5 };
	assert_int_equal(call(&a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);   /* MEM.WR of PENDING */
	assert_int_equal(a.rdx, 0 | (uint64_t)SEPT_PENDING << 8);
}

/* ---- the audit ---------------------------------------------------------------------- */

/* What each leaf's code can return besides TDX_SUCCESS: the statuses on its return
 * paths in sim/tdx_module_stub, the shared checks it calls included (read from the
 * source; the random walk below holds the module to it). Host leaves by number,
 * guest leaves (TDCALL) as 1000 + their number. The dispatcher's own refusals
 * (bad leaf or version, module not ready or shut down) are the "any" rows. */
struct leaf_decl {
	unsigned leaf;
	const char *name;
	const char *statuses;    /* names without TDX_, space-separated */
};

static const struct leaf_decl declared[] = {
	{ 0, "TDH.VP.ENTER",
	  "NON_RECOVERABLE_TD_NON_ACCESSIBLE NON_RECOVERABLE_VCPU "
	  "OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "OP_STATE_INCORRECT PAGE_METADATA_INCORRECT TDCS_NOT_ALLOCATED "
	  "TD_FATAL TD_KEYS_NOT_CONFIGURED VCPU_ASSOCIATED VCPU_STATE_INCORRECT" },
	{ 1, "TDH.MNG.ADDCX",
	  "OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "PAGE_METADATA_INCORRECT TDCX_NUM_INCORRECT TD_FATAL "
	  "TD_KEYS_NOT_CONFIGURED" },
	{ 2, "TDH.MEM.PAGE.ADD",
	  "EPT_ENTRY_STATE_INCORRECT EPT_WALK_FAILED GPA_RANGE_ALREADY_BLOCKED "
	  "OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "OP_STATE_INCORRECT PAGE_METADATA_INCORRECT TDCS_NOT_ALLOCATED "
	  "TD_FATAL TD_KEYS_NOT_CONFIGURED" },
	{ 3, "TDH.MEM.SEPT.ADD",
	  "EPT_ENTRY_STATE_INCORRECT EPT_WALK_FAILED GPA_RANGE_ALREADY_BLOCKED "
	  "OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "OP_STATE_INCORRECT PAGE_METADATA_INCORRECT TDCS_NOT_ALLOCATED "
	  "TD_FATAL TD_KEYS_NOT_CONFIGURED" },
	{ 4, "TDH.VP.ADDCX",
	  "OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "OP_STATE_INCORRECT PAGE_METADATA_INCORRECT TDCS_NOT_ALLOCATED "
	  "TDCX_NUM_INCORRECT TD_FATAL TD_KEYS_NOT_CONFIGURED "
	  "VCPU_STATE_INCORRECT" },
	{ 6, "TDH.MEM.PAGE.AUG",
	  "EPT_ENTRY_STATE_INCORRECT EPT_WALK_FAILED GPA_RANGE_ALREADY_BLOCKED "
	  "OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "OP_STATE_INCORRECT PAGE_METADATA_INCORRECT TDCS_NOT_ALLOCATED "
	  "TD_FATAL TD_KEYS_NOT_CONFIGURED" },
	{ 7, "TDH.MEM.RANGE.BLOCK",
	  "EPT_ENTRY_STATE_INCORRECT EPT_WALK_FAILED GPA_RANGE_ALREADY_BLOCKED "
	  "OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "OP_STATE_INCORRECT PAGE_METADATA_INCORRECT TDCS_NOT_ALLOCATED "
	  "TD_FATAL TD_KEYS_NOT_CONFIGURED" },
	{ 8, "TDH.MNG.KEY.CONFIG",
	  "KEY_CONFIGURED KEY_GENERATION_FAILED LIFECYCLE_STATE_INCORRECT "
	  "OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "PAGE_METADATA_INCORRECT TD_FATAL" },
	{ 9, "TDH.MNG.CREATE",
	  "HKID_NOT_FREE OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "PAGE_METADATA_INCORRECT RND_NO_ENTROPY" },
	{ 10, "TDH.VP.CREATE",
	  "OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "OP_STATE_INCORRECT PAGE_METADATA_INCORRECT TDCS_NOT_ALLOCATED "
	  "TD_FATAL TD_KEYS_NOT_CONFIGURED" },
	{ 11, "TDH.MNG.RD",
	  "METADATA_FIELD_ID_INCORRECT OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY "
	  "OPERAND_INVALID OP_STATE_INCORRECT PAGE_METADATA_INCORRECT "
	  "TDCS_NOT_ALLOCATED TD_FATAL TD_KEYS_NOT_CONFIGURED" },
	{ 12, "TDH.MEM.RD",
	  "EPT_ENTRY_STATE_INCORRECT EPT_WALK_FAILED OPERAND_ADDR_RANGE_ERROR "
	  "OPERAND_BUSY OPERAND_INVALID OP_STATE_INCORRECT "
	  "PAGE_METADATA_INCORRECT TDCS_NOT_ALLOCATED TD_FATAL "
	  "TD_KEYS_NOT_CONFIGURED TD_NON_DEBUG" },
	{ 13, "TDH.MNG.WR",
	  "METADATA_FIELD_ID_INCORRECT METADATA_FIELD_NOT_WRITABLE "
	  "OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "OP_STATE_INCORRECT PAGE_METADATA_INCORRECT TDCS_NOT_ALLOCATED "
	  "TD_FATAL TD_KEYS_NOT_CONFIGURED" },
	{ 14, "TDH.MEM.WR",
	  "EPT_ENTRY_STATE_INCORRECT EPT_WALK_FAILED OPERAND_ADDR_RANGE_ERROR "
	  "OPERAND_BUSY OPERAND_INVALID OP_STATE_INCORRECT "
	  "PAGE_METADATA_INCORRECT TDCS_NOT_ALLOCATED TD_FATAL "
	  "TD_KEYS_NOT_CONFIGURED TD_NON_DEBUG" },
	{ 15, "TDH.MEM.PAGE.DEMOTE",
	  "EPT_ENTRY_STATE_INCORRECT EPT_WALK_FAILED GPA_RANGE_ALREADY_BLOCKED "
	  "GPA_RANGE_NOT_BLOCKED OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY "
	  "OPERAND_INVALID OP_STATE_INCORRECT PAGE_METADATA_INCORRECT "
	  "TDCS_NOT_ALLOCATED TD_FATAL TD_KEYS_NOT_CONFIGURED "
	  "TLB_TRACKING_NOT_DONE" },
	{ 16, "TDH.MR.EXTEND",
	  "EPT_ENTRY_NOT_PRESENT OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY "
	  "OPERAND_INVALID OP_STATE_INCORRECT PAGE_METADATA_INCORRECT "
	  "TDCS_NOT_ALLOCATED TD_FATAL TD_KEYS_NOT_CONFIGURED" },
	{ 17, "TDH.MR.FINALIZE",
	  "NO_VCPUS OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "OP_STATE_INCORRECT PAGE_METADATA_INCORRECT TDCS_NOT_ALLOCATED "
	  "TD_FATAL TD_KEYS_NOT_CONFIGURED" },
	{ 18, "TDH.VP.FLUSH",
	  "OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "OP_STATE_INCORRECT PAGE_METADATA_INCORRECT TDCS_NOT_ALLOCATED "
	  "TD_FATAL TD_KEYS_NOT_CONFIGURED VCPU_NOT_ASSOCIATED" },
	{ 19, "TDH.MNG.VPFLUSHDONE",
	  "FLUSHVP_NOT_DONE LIFECYCLE_STATE_INCORRECT OPERAND_ADDR_RANGE_ERROR "
	  "OPERAND_BUSY OPERAND_INVALID PAGE_METADATA_INCORRECT" },
	{ 20, "TDH.MNG.KEY.FREEID",
	  "LIFECYCLE_STATE_INCORRECT OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY "
	  "OPERAND_INVALID PAGE_METADATA_INCORRECT WBCACHE_NOT_COMPLETE" },
	{ 21, "TDH.MNG.INIT",
	  "OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "OP_STATE_INCORRECT PAGE_METADATA_INCORRECT TDCS_NOT_ALLOCATED "
	  "TD_FATAL TD_KEYS_NOT_CONFIGURED" },
	{ 22, "TDH.VP.INIT",
	  "MAX_VCPUS_EXCEEDED OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY "
	  "OPERAND_INVALID OP_STATE_INCORRECT PAGE_METADATA_INCORRECT "
	  "TDCS_NOT_ALLOCATED TDCX_NUM_INCORRECT TD_FATAL TD_KEYS_NOT_CONFIGURED "
	  "VCPU_STATE_INCORRECT" },
	{ 23, "TDH.MEM.PAGE.PROMOTE",
	  "EPT_ENTRY_STATE_INCORRECT EPT_INVALID_PROMOTE_CONDITIONS "
	  "EPT_WALK_FAILED GPA_RANGE_ALREADY_BLOCKED GPA_RANGE_NOT_BLOCKED "
	  "OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "OP_STATE_INCORRECT PAGE_METADATA_INCORRECT TDCS_NOT_ALLOCATED "
	  "TD_FATAL TD_KEYS_NOT_CONFIGURED TLB_TRACKING_NOT_DONE" },
	{ 24, "TDH.PHYMEM.PAGE.RDMD",
	  "OPERAND_ADDR_RANGE_ERROR OPERAND_INVALID" },
	{ 25, "TDH.MEM.SEPT.RD",
	  "EPT_WALK_FAILED OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "OP_STATE_INCORRECT PAGE_METADATA_INCORRECT TDCS_NOT_ALLOCATED "
	  "TD_FATAL TD_KEYS_NOT_CONFIGURED" },
	{ 26, "TDH.VP.RD",
	  "METADATA_FIELD_ID_INCORRECT METADATA_FIELD_NOT_READABLE "
	  "METADATA_FIELD_NOT_WRITABLE NON_RECOVERABLE_TD_NON_ACCESSIBLE "
	  "OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "OP_STATE_INCORRECT PAGE_METADATA_INCORRECT TDCS_NOT_ALLOCATED "
	  "TD_FATAL TD_KEYS_NOT_CONFIGURED VCPU_ASSOCIATED VCPU_STATE_INCORRECT" },
	{ 27, "TDH.MNG.KEY.RECLAIMID",
	  "" },
	{ 28, "TDH.PHYMEM.PAGE.RECLAIM",
	  "LIFECYCLE_STATE_INCORRECT OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY "
	  "OPERAND_INVALID PAGE_METADATA_INCORRECT TD_ASSOCIATED_PAGES_EXIST" },
	{ 29, "TDH.MEM.PAGE.REMOVE",
	  "EPT_ENTRY_STATE_INCORRECT EPT_WALK_FAILED GPA_RANGE_ALREADY_BLOCKED "
	  "GPA_RANGE_NOT_BLOCKED OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY "
	  "OPERAND_INVALID OP_STATE_INCORRECT PAGE_METADATA_INCORRECT "
	  "TDCS_NOT_ALLOCATED TD_FATAL TD_KEYS_NOT_CONFIGURED "
	  "TLB_TRACKING_NOT_DONE" },
	{ 30, "TDH.MEM.SEPT.REMOVE",
	  "EPT_ENTRY_STATE_INCORRECT EPT_PAGE_NOT_FREE EPT_WALK_FAILED "
	  "GPA_RANGE_ALREADY_BLOCKED GPA_RANGE_NOT_BLOCKED "
	  "OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "OP_STATE_INCORRECT PAGE_METADATA_INCORRECT TDCS_NOT_ALLOCATED "
	  "TD_FATAL TD_KEYS_NOT_CONFIGURED TLB_TRACKING_NOT_DONE" },
	{ 31, "TDH.SYS.KEY.CONFIG",
	  "KEY_CONFIGURED RND_NO_ENTROPY SYS_BUSY SYS_KEY_CONFIG_NOT_PENDING" },
	{ 33, "TDH.SYS.INIT",
	  "OPERAND_INVALID SYS_INIT_NOT_PENDING" },
	{ 34, "TDH.SYS.RD",
	  "METADATA_FIELD_ID_INCORRECT METADATA_FIRST_FIELD_ID_IN_CONTEXT "
	  "SYS_LP_INIT_NOT_DONE" },
	{ 35, "TDH.SYS.LP.INIT",
	  "SYS_BUSY SYS_LP_INIT_DONE SYS_LP_INIT_NOT_PENDING" },
	{ 36, "TDH.SYS.TDMR.INIT",
	  "OPERAND_INVALID TDMR_ALREADY_INITIALIZED" },
	{ 37, "TDH.SYS.RDALL",
	  "METADATA_FIELD_ID_INCORRECT OPERAND_INVALID SYS_LP_INIT_NOT_DONE" },
	{ 38, "TDH.MEM.TRACK",
	  "OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "OP_STATE_INCORRECT PAGE_METADATA_INCORRECT PREVIOUS_TLB_EPOCH_BUSY "
	  "TDCS_NOT_ALLOCATED TD_FATAL TD_KEYS_NOT_CONFIGURED" },
	{ 39, "TDH.MEM.RANGE.UNBLOCK",
	  "EPT_ENTRY_STATE_INCORRECT EPT_WALK_FAILED GPA_RANGE_ALREADY_BLOCKED "
	  "GPA_RANGE_NOT_BLOCKED OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY "
	  "OPERAND_INVALID OP_STATE_INCORRECT PAGE_METADATA_INCORRECT "
	  "TDCS_NOT_ALLOCATED TD_FATAL TD_KEYS_NOT_CONFIGURED "
	  "TLB_TRACKING_NOT_DONE" },
	{ 40, "TDH.PHYMEM.CACHE.WB",
	  "INTERRUPTED_RESUMABLE NO_HKID_READY_TO_WBCACHE OPERAND_INVALID "
	  "WBCACHE_RESUME_ERROR" },
	{ 41, "TDH.PHYMEM.PAGE.WBINVD",
	  "OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "PAGE_METADATA_INCORRECT" },
	{ 43, "TDH.VP.WR",
	  "METADATA_FIELD_ID_INCORRECT METADATA_FIELD_NOT_READABLE "
	  "METADATA_FIELD_NOT_WRITABLE METADATA_FIELD_VALUE_NOT_VALID "
	  "NON_RECOVERABLE_TD_NON_ACCESSIBLE TD_VMCS_FIELD_NOT_INITIALIZED "
	  "OPERAND_ADDR_RANGE_ERROR OPERAND_BUSY OPERAND_INVALID "
	  "OP_STATE_INCORRECT PAGE_METADATA_INCORRECT TDCS_NOT_ALLOCATED "
	  "TD_FATAL TD_KEYS_NOT_CONFIGURED VCPU_ASSOCIATED VCPU_STATE_INCORRECT" },
	{ 44, "TDH.SYS.LP.SHUTDOWN",
	  "" },
	{ 45, "TDH.SYS.CONFIG",
	  "INVALID_PAMT INVALID_RESERVED_IN_TDMR INVALID_TDMR "
	  "NON_ORDERED_RESERVED_IN_TDMR NON_ORDERED_TDMR OPERAND_INVALID "
	  "PAMT_OUTSIDE_CMRS PAMT_OVERLAP SYS_BUSY SYS_CONFIG_NOT_PENDING "
	  "TDMR_OUTSIDE_CMRS" },
	{ 1000, "TDG.VP.VMCALL",
	  "OPERAND_INVALID" },
	{ 1001, "TDG.VP.INFO",
	  "" },
	{ 1002, "TDG.MR.RTMR.EXTEND",
	  "OPERAND_INVALID" },
	{ 1003, "TDG.VP.VEINFO.GET",
	  "NO_VALID_VE_INFO" },
	{ 1004, "TDG.MR.REPORT",
	  "OPERAND_INVALID" },
	{ 1005, "TDG.VP.CPUIDVE.SET",
	  "OPERAND_INVALID" },
	{ 1006, "TDG.MEM.PAGE.ACCEPT",
	  "OPERAND_INVALID PAGE_ALREADY_ACCEPTED PAGE_SIZE_MISMATCH" },
	{ 1007, "TDG.VM.RD",
	  "METADATA_FIELD_ID_INCORRECT" },
	{ 1008, "TDG.VM.WR",
	  "METADATA_FIELD_ID_INCORRECT METADATA_FIELD_NOT_WRITABLE" },
	{ 1009, "TDG.VP.RD",
	  "METADATA_FIELD_ID_INCORRECT METADATA_FIELD_NOT_READABLE "
	  "METADATA_FIELD_NOT_WRITABLE METADATA_FIELD_VALUE_NOT_VALID "
	  "METADATA_FIRST_FIELD_ID_IN_CONTEXT NON_RECOVERABLE_TD_NON_ACCESSIBLE "
	  "OPERAND_INVALID" },
	{ 1010, "TDG.VP.WR",
	  "METADATA_FIELD_ID_INCORRECT METADATA_FIELD_NOT_READABLE "
	  "METADATA_FIELD_NOT_WRITABLE METADATA_FIELD_VALUE_NOT_VALID "
	  "METADATA_FIRST_FIELD_ID_IN_CONTEXT NON_RECOVERABLE_TD_NON_ACCESSIBLE "
	  "OPERAND_INVALID" },
	{ 1011, "TDG.SYS.RD",
	  "METADATA_FIELD_ID_INCORRECT METADATA_FIRST_FIELD_ID_IN_CONTEXT" },
};

/* A test that provokes a (leaf, status): the ctest and an exact text of its source
 * that asserts it (naming the status, or its value in hex for images); or (N) why
 * no call can reach it. Rows are for what this file's loops (td_leaves,
 * page_leaves, walks) do not already assert: loop_covers credits those. */
struct row {
	const char *leaf, *status, *test, *evidence;   /* N: test NULL, evidence = why */
};
#define T(leaf, status, test, ev) { leaf, status, test, ev }
#define N(leaf, status, why)      { leaf, status, NULL, why }

static const struct row rows[] = {
	/* The dispatcher, before any leaf runs: every leaf. */
	T("any", "OPERAND_INVALID", "unit/test_tdx_platform",
	  "assert_status(call(p, 0, 0x7fff, 0, 0, 0), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);"),
	T("any", "SYS_NOT_READY", "unit/test_tdx_platform",
	  "assert_status(call(p, 0, TDH_MNG_CREATE, 0x300000, 17, 0), TDX_SYS_NOT_READY);"),
	T("any", "SYS_SHUTDOWN", "unit/test_tdx_platform",
	  "assert_status(sys_rd(p, 0, MD_MAJOR_VERSION, NULL, NULL), TDX_SYS_SHUTDOWN);"),
	/* Each leaf's own. */
	T("TDH.MEM.WR", "TD_NON_DEBUG", "unit/test_tdx_td_run",
	  "assert_int_equal(sc_args(&w), TDX_TD_NON_DEBUG);"),
	T("TDH.VP.ENTER", "VCPU_ASSOCIATED", "unit/test_tdx_td_run",
	  "assert_int_equal(b.rax, TDX_VCPU_ASSOCIATED);"),
	T("TDH.VP.RD", "VCPU_ASSOCIATED", "unit/test_tdx_td_run",
	  "assert_int_equal(md.rax, TDX_VCPU_ASSOCIATED);                  /* TDH.VP.RD */"),
	T("TDH.VP.WR", "METADATA_FIELD_VALUE_NOT_VALID", "unit/test_tdx_td_run",
	  "TDX_METADATA_FIELD_VALUE_NOT_VALID);            /* not a vector */"),
	T("TDH.VP.WR", "TD_VMCS_FIELD_NOT_INITIALIZED", "unit/test_tdx_td_run",
	  "TDX_TD_VMCS_FIELD_NOT_INITIALIZED | FIELD_POSTED_INTR_NV);"),
	T("TDH.VP.WR", "VCPU_ASSOCIATED", "unit/test_tdx_td_run",
	  "assert_int_equal(md.rax, TDX_VCPU_ASSOCIATED);                  /* TDH.VP.WR */"),
	T("TDH.VP.FLUSH", "VCPU_NOT_ASSOCIATED", "unit/test_tdx_td_run",
	  "assert_int_equal(f.rax, TDX_VCPU_NOT_ASSOCIATED);"),
	T("TDH.VP.ENTER", "NON_RECOVERABLE_TD_NON_ACCESSIBLE", "unit/test_tdx_td_run",
	  "assert_int_equal(sc(VP_ENTER, td.tdvpr, 0, 0, 0), TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE | 0x80000029ull);"),
	T("TDH.VP.RD", "NON_RECOVERABLE_TD_NON_ACCESSIBLE", "unit/test_tdx_td_run",
	  "assert_int_equal(vp_rd(td.tdvpr, FIELD_SHARED_EPTP, &v), TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE);"),
	T("TDH.VP.WR", "NON_RECOVERABLE_TD_NON_ACCESSIBLE", "unit/test_tdx_td_run",
	  "assert_int_equal(vp_wr(td.tdvpr, FIELD_SHARED_EPTP, 0x1000, 0x1000, &old), "
	  "TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE);"),
	T("TDH.VP.ENTER", "NON_RECOVERABLE_VCPU", "image/td_triple_fault",
	  "mov rbx, 0x4000000100000002             ; TDX_NON_RECOVERABLE_VCPU, exit reason 2"),
	T("TDH.SYS.TDMR.INIT", "TDMR_ALREADY_INITIALIZED", "unit/test_tdx_platform",
	  "assert_status(st, TDX_TDMR_ALREADY_INITIALIZED);"),
	T("TDH.MNG.VPFLUSHDONE", "LIFECYCLE_STATE_INCORRECT", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(VPFLUSHDONE, td1, 0, NULL), TDX_LIFECYCLE_STATE_INCORRECT);   /* done once */"),
	T("TDH.VP.RD", "VCPU_STATE_INCORRECT", "unit/test_tdx_leaf_errors",
	  "assert_int_equal(call(&md), TDX_VCPU_STATE_INCORRECT);          /* VP.RD, not initialized */"),
	T("TDH.VP.WR", "VCPU_STATE_INCORRECT", "unit/test_tdx_leaf_errors",
	  "assert_int_equal(call(&md), TDX_VCPU_STATE_INCORRECT);          /* VP.WR, not initialized */"),
	T("TDH.VP.WR", "METADATA_FIELD_ID_INCORRECT", "unit/test_tdx_leaf_errors",
	  "assert_int_equal(call(&md), TDX_METADATA_FIELD_ID_INCORRECT);   /* VP.WR, no such field */"),
	T("TDG.VM.WR", "METADATA_FIELD_ID_INCORRECT", "image/td_ve_msr", ";! stdout: VM.WR    c0000c0000000000"),
	T("TDG.SYS.RD", "METADATA_FIRST_FIELD_ID_IN_CONTEXT", "image/td_ve_msr",
	  ";! stdout: SYS.RD.0 00000c0b00000000"),
	T("TDG.VP.WR", "METADATA_FIELD_ID_INCORRECT", "image/td_ve_msr", ";! stdout: VP.WR.ID c0000c0000000000"),
	T("TDG.VP.WR", "OPERAND_INVALID", "image/td_ve_msr", ";! stdout: VP.WR.RC c000010000000001"),
	T("TDG.VP.WR", "METADATA_FIELD_NOT_READABLE", "image/td_ve_msr", ";! stdout: VP.WR.NR c0000c0200000000"),
	T("TDH.MEM.RD", "EPT_ENTRY_STATE_INCORRECT", "unit/test_tdx_leaf_errors",
	  "assert_int_equal(call(&a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);   /* MEM.RD of PENDING */"),
	T("TDH.MEM.WR", "EPT_ENTRY_STATE_INCORRECT", "unit/test_tdx_leaf_errors",
	  "assert_int_equal(call(&a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);   /* MEM.WR of PENDING */"),
	/* Declared (a shared check's return path) but unreachable for the leaf. */
	N("TDH.VP.ENTER", "TDCS_NOT_ALLOCATED", "a TDVPR exists only in a TD with all its TDCS pages"),
	N("TDH.VP.ADDCX", "TDCS_NOT_ALLOCATED", "a TDVPR exists only in a TD with all its TDCS pages"),
	N("TDH.VP.FLUSH", "TDCS_NOT_ALLOCATED", "a TDVPR exists only in a TD with all its TDCS pages"),
	N("TDH.VP.INIT", "TDCS_NOT_ALLOCATED", "a TDVPR exists only in a TD with all its TDCS pages"),
	N("TDH.VP.RD", "TDCS_NOT_ALLOCATED", "a TDVPR exists only in a TD with all its TDCS pages"),
	N("TDH.VP.WR", "TDCS_NOT_ALLOCATED", "a TDVPR exists only in a TD with all its TDCS pages"),
	N("TDH.VP.FLUSH", "OP_STATE_INCORRECT", "it runs in every OP_STATE"),
	N("TDH.VP.RD", "OP_STATE_INCORRECT", "it runs in INITIALIZED and RUNNABLE, the only OP_STATEs with a TDVPR"),
	N("TDH.VP.WR", "OP_STATE_INCORRECT", "it runs in INITIALIZED and RUNNABLE, the only OP_STATEs with a TDVPR"),
	N("TDH.MEM.PAGE.ADD", "GPA_RANGE_ALREADY_BLOCKED", "the shared walk gives it to TDH.MEM.RANGE.BLOCK only"),
	N("TDH.MEM.SEPT.ADD", "GPA_RANGE_ALREADY_BLOCKED", "the shared walk gives it to TDH.MEM.RANGE.BLOCK only"),
	N("TDH.MEM.PAGE.AUG", "GPA_RANGE_ALREADY_BLOCKED", "the shared walk gives it to TDH.MEM.RANGE.BLOCK only"),
	N("TDH.MEM.PAGE.DEMOTE", "GPA_RANGE_ALREADY_BLOCKED", "the shared walk gives it to TDH.MEM.RANGE.BLOCK only"),
	N("TDH.MEM.PAGE.PROMOTE", "GPA_RANGE_ALREADY_BLOCKED", "the shared walk gives it to TDH.MEM.RANGE.BLOCK only"),
	N("TDH.MEM.PAGE.REMOVE", "GPA_RANGE_ALREADY_BLOCKED", "the shared walk gives it to TDH.MEM.RANGE.BLOCK only"),
	N("TDH.MEM.SEPT.REMOVE", "GPA_RANGE_ALREADY_BLOCKED", "the shared walk gives it to TDH.MEM.RANGE.BLOCK only"),
	N("TDH.MEM.RANGE.UNBLOCK", "GPA_RANGE_ALREADY_BLOCKED", "the shared walk gives it to TDH.MEM.RANGE.BLOCK only"),
	N("TDH.MEM.RANGE.UNBLOCK", "GPA_RANGE_NOT_BLOCKED", "its entry-state check (BLOCKED only) comes first"),
	N("TDH.VP.RD", "METADATA_FIELD_NOT_WRITABLE", "the shared field check gives it to TDH.VP.WR only"),
	N("TDH.VP.WR", "METADATA_FIELD_NOT_READABLE", "the shared field check gives it to TDH.VP.RD only"),
	N("TDG.VP.RD", "METADATA_FIELD_NOT_WRITABLE", "a write's refusal (td_vp_md_guest), TDG.VP.WR only"),
	N("TDG.VP.RD", "METADATA_FIELD_VALUE_NOT_VALID", "a write's refusal (td_vp_md_guest), TDG.VP.WR only"),
	N("TDG.VP.WR", "METADATA_FIRST_FIELD_ID_IN_CONTEXT", "the null id is read's (td_vp_md_guest)"),
	N("TDG.VP.RD", "NON_RECOVERABLE_TD_NON_ACCESSIBLE",
	  "only a TD VMCS field's read loads the TD VMCS (vp_field_read), and no such field is "
	  "guest-readable (vp_md.c's table)"),
	N("TDG.VP.WR", "NON_RECOVERABLE_TD_NON_ACCESSIBLE",
	  "only a TD VMCS field's read loads the TD VMCS (vp_field_read), and no such field is "
	  "guest-readable (vp_md.c's table)"),
	N("TDH.MNG.ADDCX", "TD_FATAL", "only TDH.VP.ENTER makes a TD fatal, and it needs every TDCS page"),
	N("TDH.MNG.KEY.CONFIG", "TD_FATAL", "only TDH.VP.ENTER makes a TD fatal, and it needs the keys"),
	N("TDH.MNG.KEY.CONFIG", "KEY_CONFIGURED", "one package (seam.c): configured once, the TD moves on"),
	N("TDH.SYS.KEY.CONFIG", "KEY_CONFIGURED", "one package (seam.c): configured once, the module moves on"),

	T("TDH.VP.ENTER", "OPERAND_BUSY", "unit/test_tdx_td_run",
	  "assert_int_equal(sc(VP_ENTER, td.tdvpr, 0, 0, 0), TDX_OPERAND_BUSY | 1);       /* the TDVPR */"),
	T("TDH.VP.ENTER", "OP_STATE_INCORRECT", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(VP_ENTER, tdvpr, 0, NULL), TDX_OP_STATE_INCORRECT);    /* not initialized */"),
	T("TDH.VP.ENTER", "TD_FATAL", "unit/test_tdx_td_run",
	  "assert_int_equal(sc(VP_ENTER, td.tdvpr, 0, 0, 0), TDX_TD_FATAL);"),
	T("TDH.VP.ENTER", "VCPU_STATE_INCORRECT", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(VP_ENTER, third, 0, NULL), TDX_VCPU_STATE_INCORRECT);"),
	T("TDH.MNG.ADDCX", "PAGE_METADATA_INCORRECT", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(ADDCX, tdcx[0], tdcx[1], NULL), TDX_PAGE_METADATA_INCORRECT | 2);"),
	T("TDH.MNG.ADDCX", "TDCX_NUM_INCORRECT", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(ADDCX, tdcx[6], tdr, NULL), TDX_TDCX_NUM_INCORRECT);"),
	T("TDH.MNG.ADDCX", "TD_KEYS_NOT_CONFIGURED", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(ADDCX, tdcx[0], tdr, NULL), TDX_TD_KEYS_NOT_CONFIGURED);"),
	T("TDH.MEM.PAGE.ADD", "EPT_ENTRY_STATE_INCORRECT", "unit/test_tdx_sept",
	  "TDX_EPT_ENTRY_STATE_INCORRECT | RCX);"),
	T("TDH.MEM.PAGE.ADD", "EPT_WALK_FAILED", "unit/test_tdx_sept",
	  "TDX_EPT_WALK_FAILED | RCX);"),
	T("TDH.MEM.PAGE.ADD", "OPERAND_INVALID", "unit/test_tdx_sept",
	  "assert_int_equal(sc4(TDH_MEM_PAGE_ADD, 0x200000 | 1, td.tdr, page, src, NULL), TDX_OPERAND_INVALID | RCX);"),
	T("TDH.MEM.PAGE.ADD", "OP_STATE_INCORRECT", "unit/test_tdx_sept",
	  "assert_int_equal(sc4(TDH_MEM_PAGE_ADD, 0x202000, td.tdr, page, src, NULL), TDX_OP_STATE_INCORRECT);"),
	T("TDH.MEM.PAGE.ADD", "PAGE_METADATA_INCORRECT", "unit/test_tdx_sept",
	  "TDX_PAGE_METADATA_INCORRECT | R8);"),
	T("TDH.MEM.SEPT.ADD", "EPT_ENTRY_STATE_INCORRECT", "unit/test_tdx_sept",
	  "TDX_EPT_ENTRY_STATE_INCORRECT | RCX);"),
	T("TDH.MEM.SEPT.ADD", "EPT_WALK_FAILED", "unit/test_tdx_sept",
	  "assert_int_equal(sc4(TDH_MEM_SEPT_ADD, 0x200000 | 1, td.tdr, page, 0, &a), TDX_EPT_WALK_FAILED | RCX);"),
	T("TDH.MEM.SEPT.ADD", "OPERAND_INVALID", "unit/test_tdx_sept",
	  "assert_int_equal(sc4(TDH_MEM_SEPT_ADD, 0x200000 | 0, td.tdr, page, 0, NULL), TDX_OPERAND_INVALID | RCX);"),
	T("TDH.MEM.SEPT.ADD", "PAGE_METADATA_INCORRECT", "unit/test_tdx_sept",
	  "assert_int_equal(sc4(TDH_MEM_SEPT_ADD, 0 | 3, td.tdr, td.tdcs[1], 0, NULL), TDX_PAGE_METADATA_INCORRECT | R8);"),
	T("TDH.VP.ADDCX", "PAGE_METADATA_INCORRECT", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(VP_ADDCX, kvm_alloc_pages(1), tdr, NULL), TDX_PAGE_METADATA_INCORRECT | 2);"),
	T("TDH.VP.ADDCX", "TDCX_NUM_INCORRECT", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(VP_ADDCX, kvm_alloc_pages(1), tdvpr, NULL), TDX_TDCX_NUM_INCORRECT);"),
	T("TDH.VP.ADDCX", "VCPU_STATE_INCORRECT", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(VP_ADDCX, kvm_alloc_pages(1), tdvpr, NULL), TDX_VCPU_STATE_INCORRECT);"),
	T("TDH.MEM.PAGE.AUG", "EPT_ENTRY_STATE_INCORRECT", "unit/test_tdx_sept",
	  "assert_int_equal(sc4(TDH_MEM_PAGE_AUG, 0x200000, td.tdr, aug2, 0, &a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);"),
	T("TDH.MEM.PAGE.AUG", "EPT_WALK_FAILED", "unit/test_tdx_sept",
	  "TDX_EPT_WALK_FAILED | RCX);"),
	T("TDH.MEM.PAGE.AUG", "OPERAND_ADDR_RANGE_ERROR", "unit/test_tdx_sept",
	  "TDX_OPERAND_ADDR_RANGE_ERROR | R8);"),
	T("TDH.MEM.PAGE.AUG", "OPERAND_BUSY", "unit/test_tdx_td_run",
	  "assert_int_equal(sc(PAGE_AUG, 0x100000, td.tdr, page, 0), TDX_OPERAND_BUSY | 2);   /* the TDR */"),
	T("TDH.MEM.PAGE.AUG", "OPERAND_INVALID", "unit/test_tdx_sept",
	  "assert_int_equal(sc4(TDH_MEM_PAGE_AUG, gpa | 2, td.tdr, base, 0, NULL), TDX_OPERAND_INVALID | RCX);"),
	T("TDH.MEM.PAGE.AUG", "PAGE_METADATA_INCORRECT", "unit/test_tdx_sept",
	  "assert_int_equal(sc4(TDH_MEM_PAGE_AUG, 0x202000, td.tdr, td.tdcs[2], 0, NULL), TDX_PAGE_METADATA_INCORRECT | R8);"),
	T("TDH.MEM.PAGE.AUG", "TD_FATAL", "unit/test_tdx_td_run",
	  "assert_int_equal(sc(PAGE_AUG, 0x100000, td.tdr, kvm_alloc_pages(1), 0), TDX_TD_FATAL);"),
	T("TDH.MEM.RANGE.BLOCK", "EPT_ENTRY_STATE_INCORRECT", "unit/test_tdx_sept",
	  "assert_int_equal(sc(TDH_MEM_RANGE_BLOCK, 0x203000, td.tdr, &a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);"),
	T("TDH.MEM.RANGE.BLOCK", "EPT_WALK_FAILED", "unit/test_tdx_sept",
	  "assert_int_equal(sc(TDH_MEM_RANGE_BLOCK, 0x40000000, td.tdr, &a), TDX_EPT_WALK_FAILED | RCX);"),
	T("TDH.MEM.RANGE.BLOCK", "GPA_RANGE_ALREADY_BLOCKED", "unit/test_tdx_sept",
	  "assert_int_equal(sc(TDH_MEM_RANGE_BLOCK, 0x200000, td.tdr, &a), TDX_GPA_RANGE_ALREADY_BLOCKED | RCX);"),
	T("TDH.MNG.KEY.CONFIG", "KEY_GENERATION_FAILED", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(KEY_CONFIG, tdr, 0, NULL), TDX_KEY_GENERATION_FAILED);"),
	T("TDH.MNG.KEY.CONFIG", "LIFECYCLE_STATE_INCORRECT", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(KEY_CONFIG, tdr, 0, NULL), TDX_LIFECYCLE_STATE_INCORRECT);"),
	T("TDH.MNG.KEY.CONFIG", "PAGE_METADATA_INCORRECT", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(KEY_CONFIG, tdcx[0], 0, NULL), TDX_PAGE_METADATA_INCORRECT | 1);"),
	T("TDH.MNG.CREATE", "HKID_NOT_FREE", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(CREATE, tdcx[6], hkid, NULL), TDX_HKID_NOT_FREE | 2);"),
	T("TDH.MNG.CREATE", "OPERAND_ADDR_RANGE_ERROR", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(CREATE, 2ull << 30, hkid, NULL), TDX_OPERAND_ADDR_RANGE_ERROR | 1);"),
	T("TDH.MNG.CREATE", "OPERAND_INVALID", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(CREATE, tdr | 0x10, hkid, NULL), TDX_OPERAND_INVALID | 1);"),
	T("TDH.MNG.CREATE", "PAGE_METADATA_INCORRECT", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(CREATE, tdr, 18, NULL), TDX_PAGE_METADATA_INCORRECT | 1);"),
	T("TDH.MNG.CREATE", "RND_NO_ENTROPY", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(CREATE, tdr, hkid, NULL), TDX_RND_NO_ENTROPY);"),
	T("TDH.VP.CREATE", "OP_STATE_INCORRECT", "unit/test_tdx_sept",
	  "assert_int_equal(sc(TDH_VP_CREATE, page, td.tdr, NULL), TDX_OP_STATE_INCORRECT);"),
	T("TDH.MNG.RD", "METADATA_FIELD_ID_INCORRECT", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(MNG_RD, tdr, 0x1234, &a), TDX_METADATA_FIELD_ID_INCORRECT);"),
	T("TDH.MNG.RD", "OP_STATE_INCORRECT", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(MNG_RD, tdr, 0x110000000000000Bull, NULL), TDX_OP_STATE_INCORRECT);"),
	T("TDH.MEM.RD", "TD_NON_DEBUG", "unit/test_tdx_td_run",
	  "assert_int_equal(sc(MEM_RD, IMAGE_GPA, td.tdr, 0, 0), TDX_TD_NON_DEBUG);"),
	T("TDH.MNG.WR", "METADATA_FIELD_ID_INCORRECT", "unit/test_tdx_td_run",
	  "assert_int_equal(sc(MNG_WR, td.tdr, 0x77, 5, ~0ull), TDX_METADATA_FIELD_ID_INCORRECT);"),
	T("TDH.MNG.WR", "METADATA_FIELD_NOT_WRITABLE", "unit/test_tdx_td_run",
	  "assert_int_equal(sc(MNG_WR, td.tdr, FIELD_TSC_OFFSET, 5, ~0ull), TDX_METADATA_FIELD_NOT_WRITABLE);"),
	T("TDH.MEM.PAGE.DEMOTE", "EPT_ENTRY_STATE_INCORRECT", "unit/test_tdx_sept",
	  "assert_int_equal(sc4(LEAF_DEMOTE, 0 | 2, td.tdr, spare, 0, &a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);"),
	T("TDH.MEM.PAGE.DEMOTE", "GPA_RANGE_NOT_BLOCKED", "unit/test_tdx_sept",
	  "assert_int_equal(sc4(LEAF_DEMOTE, HUGE_GPA | 1, td.tdr, spare, 0, &a), TDX_GPA_RANGE_NOT_BLOCKED | RCX);"),
	T("TDH.MEM.PAGE.DEMOTE", "OPERAND_INVALID", "unit/test_tdx_sept",
	  "assert_int_equal(sc4(LEAF_DEMOTE, HUGE_GPA | 1, td.tdr | 2, spare, 0, NULL), TDX_OPERAND_INVALID | RDX);"),
	T("TDH.MEM.PAGE.DEMOTE", "PAGE_METADATA_INCORRECT", "unit/test_tdx_sept",
	  "assert_int_equal(sc4(LEAF_DEMOTE, HUGE_GPA | 1, td.tdr, td.tdr, 0, NULL), TDX_PAGE_METADATA_INCORRECT | R8);"),
	T("TDH.MEM.PAGE.DEMOTE", "TLB_TRACKING_NOT_DONE", "unit/test_tdx_sept",
	  "assert_int_equal(sc4(LEAF_DEMOTE, HUGE_GPA | 1, td.tdr, spare, 0, &a), TDX_TLB_TRACKING_NOT_DONE | RCX);"),
	T("TDH.MR.EXTEND", "EPT_ENTRY_NOT_PRESENT", "unit/test_tdx_sept",
	  "assert_int_equal(sc(TDH_MR_EXTEND, 0x200000, td.tdr, &a), TDX_EPT_ENTRY_NOT_PRESENT);"),
	T("TDH.MR.EXTEND", "OPERAND_INVALID", "unit/test_tdx_sept",
	  "assert_int_equal(sc(TDH_MR_EXTEND, 0x200080, td.tdr, NULL), TDX_OPERAND_INVALID | RCX);"),
	T("TDH.MR.EXTEND", "OP_STATE_INCORRECT", "unit/test_tdx_sept",
	  "assert_int_equal(sc(TDH_MR_EXTEND, 0x200000, td.tdr, NULL), TDX_OP_STATE_INCORRECT);"),
	T("TDH.MR.FINALIZE", "NO_VCPUS", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(MR_FINALIZE, tdr, 0, NULL), TDX_NO_VCPUS);"),
	T("TDH.MR.FINALIZE", "OP_STATE_INCORRECT", "unit/test_tdx_sept",
	  "assert_int_equal(sc(TDH_MR_FINALIZE, td.tdr, 0, NULL), TDX_OP_STATE_INCORRECT);"),
	T("TDH.VP.FLUSH", "TD_FATAL", "unit/test_tdx_td_run",
	  "assert_int_equal(sc(11, td.tdr, 0x110000000000000Aull, 0, 0), TDX_TD_FATAL);   /* MNG.RD */"),
	T("TDH.MNG.VPFLUSHDONE", "FLUSHVP_NOT_DONE", "unit/test_tdx_td_run",
	  "assert_int_equal(sc(VPFLUSHDONE, td.tdr, 0, 0, 0), TDX_FLUSHVP_NOT_DONE);"),
	T("TDH.MNG.KEY.FREEID", "LIFECYCLE_STATE_INCORRECT", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(FREEID, tdr, 0, NULL), TDX_LIFECYCLE_STATE_INCORRECT);"),
	T("TDH.MNG.KEY.FREEID", "WBCACHE_NOT_COMPLETE", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(FREEID, tdr, 0, NULL), TDX_WBCACHE_NOT_COMPLETE);"),
	T("TDH.MNG.INIT", "OPERAND_INVALID", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(MNG_INIT, tdr, params + 0x100, NULL), TDX_OPERAND_INVALID | 2);"),
	T("TDH.MNG.INIT", "OP_STATE_INCORRECT", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(init_with(tdr, params, NULL), TDX_OP_STATE_INCORRECT);"),
	T("TDH.MNG.INIT", "TDCS_NOT_ALLOCATED", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(init_with(tdr, params, NULL), TDX_TDCS_NOT_ALLOCATED);"),
	T("TDH.MNG.INIT", "TD_KEYS_NOT_CONFIGURED", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(init_with(tdr, params, NULL), TDX_TD_KEYS_NOT_CONFIGURED);"),
	T("TDH.VP.INIT", "MAX_VCPUS_EXCEEDED", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(VP_INIT, third, 0, NULL), TDX_MAX_VCPUS_EXCEEDED);"),
	T("TDH.VP.INIT", "OPERAND_INVALID", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(VP_INIT | 2 << 16, tdvpr, 0, NULL), TDX_OPERAND_INVALID | 0);"),
	T("TDH.VP.INIT", "TDCX_NUM_INCORRECT", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(VP_INIT, tdvpr, 0, NULL), TDX_TDCX_NUM_INCORRECT);"),
	T("TDH.VP.INIT", "VCPU_STATE_INCORRECT", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(VP_INIT, tdvpr, 0, NULL), TDX_VCPU_STATE_INCORRECT);"),
	T("TDH.MEM.PAGE.PROMOTE", "EPT_ENTRY_STATE_INCORRECT", "unit/test_tdx_sept",
	  "assert_int_equal(sc(LEAF_PROMOTE, HUGE_GPA | 1, td.tdr, &a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);"),
	T("TDH.MEM.PAGE.PROMOTE", "EPT_INVALID_PROMOTE_CONDITIONS", "unit/test_tdx_sept",
	  "assert_int_equal(sc(LEAF_PROMOTE, HUGE_GPA | 1, td.tdr, &a), TDX_EPT_INVALID_PROMOTE_CONDITIONS | RCX);"),
	T("TDH.MEM.PAGE.PROMOTE", "EPT_WALK_FAILED", "unit/test_tdx_sept",
	  "assert_int_equal(sc(LEAF_PROMOTE, 0x40000000 | 1, td.tdr, &a), TDX_EPT_WALK_FAILED | RCX);"),
	T("TDH.MEM.PAGE.PROMOTE", "GPA_RANGE_NOT_BLOCKED", "unit/test_tdx_sept",
	  "assert_int_equal(sc(LEAF_PROMOTE, HUGE_GPA | 1, td.tdr, &a), TDX_GPA_RANGE_NOT_BLOCKED | RCX);"),
	T("TDH.MEM.PAGE.PROMOTE", "OPERAND_BUSY", "unit/test_tdx_sept",
	  "assert_int_equal(sc(LEAF_PROMOTE, HUGE_GPA | 1, td.tdr, NULL), TDX_OPERAND_BUSY | RCX);"),
	T("TDH.MEM.PAGE.PROMOTE", "OPERAND_INVALID", "unit/test_tdx_sept",
	  "assert_int_equal(sc(LEAF_PROMOTE, HUGE_GPA | 0, td.tdr, NULL), TDX_OPERAND_INVALID | RCX);"),
	T("TDH.MEM.PAGE.PROMOTE", "PAGE_METADATA_INCORRECT", "unit/test_tdx_sept",
	  "assert_int_equal(sc(LEAF_PROMOTE, HUGE_GPA | 1, td.tdcs[0], NULL), TDX_PAGE_METADATA_INCORRECT | RDX);"),
	T("TDH.MEM.PAGE.PROMOTE", "TLB_TRACKING_NOT_DONE", "unit/test_tdx_sept",
	  "assert_int_equal(sc(LEAF_PROMOTE, HUGE_GPA | 1, td.tdr, &a), TDX_TLB_TRACKING_NOT_DONE | RCX);"),
	T("TDH.PHYMEM.PAGE.RDMD", "OPERAND_ADDR_RANGE_ERROR", "unit/test_tdx_platform",
	  "assert_status(rdmd(p, 0x100000, NULL), TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RCX);"),
	T("TDH.PHYMEM.PAGE.RDMD", "OPERAND_INVALID", "unit/test_tdx_platform",
	  "assert_status(rdmd(p, 0x200800, NULL), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);"),
	T("TDH.MEM.SEPT.RD", "EPT_WALK_FAILED", "unit/test_tdx_sept",
	  "assert_int_equal(sc(TDH_MEM_SEPT_RD, 0xFFFFF000, td.tdr, &a), TDX_EPT_WALK_FAILED | RCX);"),
	T("TDH.VP.RD", "METADATA_FIELD_ID_INCORRECT", "unit/test_tdx_td_run",
	  "assert_int_equal(vp_rd(td.tdvpr, 0x1234567ull, &v), TDX_METADATA_FIELD_ID_INCORRECT);"),
	T("TDH.VP.RD", "METADATA_FIELD_NOT_READABLE", "unit/test_tdx_td_run",
	  "assert_int_equal(vp_rd(td.tdvpr, FIELD_GUEST_RIP, &v), TDX_METADATA_FIELD_NOT_READABLE);"),
	T("TDH.VP.RD", "OPERAND_BUSY", "unit/test_tdx_td_run",
	  "assert_int_equal(vp_rd(td.tdvpr, FIELD_PEND_NMI, &v), TDX_OPERAND_BUSY | 1);"),
	T("TDH.VP.RD", "PAGE_METADATA_INCORRECT", "unit/test_tdx_td_run",
	  "assert_int_equal(vp_rd(td.tdr, FIELD_STATE_DETAILS, &v), TDX_PAGE_METADATA_INCORRECT | 1);"),
	T("TDH.PHYMEM.PAGE.RECLAIM", "LIFECYCLE_STATE_INCORRECT", "unit/test_tdx_sept",
	  "assert_int_equal(sc(LEAF_RECLAIM, td.pages[0], 0, NULL), TDX_LIFECYCLE_STATE_INCORRECT);"),
	T("TDH.PHYMEM.PAGE.RECLAIM", "PAGE_METADATA_INCORRECT", "unit/test_tdx_sept",
	  "assert_int_equal(sc(LEAF_RECLAIM, td.pages[0], 0, NULL), TDX_PAGE_METADATA_INCORRECT | RCX);"),
	T("TDH.PHYMEM.PAGE.RECLAIM", "TD_ASSOCIATED_PAGES_EXIST", "unit/test_tdx_sept",
	  "assert_int_equal(sc(LEAF_RECLAIM, td.tdr, 0, NULL), TDX_TD_ASSOCIATED_PAGES_EXIST);"),
	T("TDH.MEM.PAGE.REMOVE", "EPT_ENTRY_STATE_INCORRECT", "unit/test_tdx_sept",
	  "assert_int_equal(sc(TDH_MEM_PAGE_REMOVE, 0x200000, td.tdr, &a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);"),
	T("TDH.MEM.PAGE.REMOVE", "GPA_RANGE_NOT_BLOCKED", "unit/test_tdx_sept",
	  "assert_int_equal(sc(TDH_MEM_PAGE_REMOVE, 0x200000, td.tdr, &a), TDX_GPA_RANGE_NOT_BLOCKED | RCX);"),
	T("TDH.MEM.PAGE.REMOVE", "TLB_TRACKING_NOT_DONE", "unit/test_tdx_sept",
	  "assert_int_equal(sc(TDH_MEM_PAGE_REMOVE, 0x200000, td.tdr, &a), TDX_TLB_TRACKING_NOT_DONE | RCX);"),
	T("TDH.MEM.SEPT.REMOVE", "EPT_ENTRY_STATE_INCORRECT", "unit/test_tdx_sept",
	  "assert_int_equal(sc(TDH_MEM_SEPT_REMOVE, 0x200000 | 1, td.tdr, &a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);"),
	T("TDH.MEM.SEPT.REMOVE", "EPT_PAGE_NOT_FREE", "unit/test_tdx_sept",
	  "assert_int_equal(sc(TDH_MEM_SEPT_REMOVE, 0x200000 | 1, td.tdr, &a), TDX_EPT_PAGE_NOT_FREE | RCX);"),
	T("TDH.MEM.SEPT.REMOVE", "GPA_RANGE_NOT_BLOCKED", "unit/test_tdx_sept",
	  "assert_int_equal(sc(TDH_MEM_SEPT_REMOVE, 0xFFE00000 | 1, td.tdr, &a), TDX_GPA_RANGE_NOT_BLOCKED | RCX);"),
	T("TDH.MEM.SEPT.REMOVE", "OPERAND_INVALID", "unit/test_tdx_sept",
	  "assert_int_equal(sc(TDH_MEM_SEPT_REMOVE, 0x200000 | 0, td.tdr, NULL), TDX_OPERAND_INVALID | RCX);"),
	T("TDH.MEM.SEPT.REMOVE", "TLB_TRACKING_NOT_DONE", "unit/test_tdx_sept",
	  "assert_int_equal(sc(TDH_MEM_SEPT_REMOVE, 0xFFE00000 | 1, td.tdr, NULL), TDX_TLB_TRACKING_NOT_DONE | RCX);"),
	T("TDH.SYS.KEY.CONFIG", "RND_NO_ENTROPY", "unit/test_tdx_platform",
	  "assert_status(call(p, 0, TDH_SYS_KEY_CONFIG, 0, 0, 0), TDX_RND_NO_ENTROPY);"),
	T("TDH.SYS.KEY.CONFIG", "SYS_BUSY", "unit/test_tdx_platform",
	  "assert_status(call(p, 0, TDH_SYS_KEY_CONFIG, 0, 0, 0), TDX_SYS_BUSY);"),
	T("TDH.SYS.KEY.CONFIG", "SYS_KEY_CONFIG_NOT_PENDING", "unit/test_tdx_platform",
	  "assert_status(call(p, 0, TDH_SYS_KEY_CONFIG, 0, 0, 0), TDX_SYS_KEY_CONFIG_NOT_PENDING);"),
	T("TDH.SYS.INIT", "OPERAND_INVALID", "unit/test_tdx_platform",
	  "assert_status(call(p, 0, TDH_SYS_INIT, 1, 0, 0), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);"),
	T("TDH.SYS.INIT", "SYS_INIT_NOT_PENDING", "unit/test_tdx_platform",
	  "assert_status(call(p, 0, TDH_SYS_INIT, 0, 0, 0), TDX_SYS_INIT_NOT_PENDING);"),
	T("TDH.SYS.RD", "METADATA_FIELD_ID_INCORRECT", "unit/test_tdx_platform",
	  "      TDX_METADATA_FIELD_ID_INCORRECT);"),
	T("TDH.SYS.RD", "METADATA_FIRST_FIELD_ID_IN_CONTEXT", "unit/test_tdx_platform",
	  "assert_status(sys_rd(p, 0, ~0ull, NULL, &id), TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);"),
	T("TDH.SYS.RD", "SYS_LP_INIT_NOT_DONE", "unit/test_tdx_platform",
	  "assert_status(sys_rd(p, lp, MD_MAJOR_VERSION, NULL, NULL), TDX_SYS_LP_INIT_NOT_DONE);"),
	T("TDH.SYS.LP.INIT", "SYS_BUSY", "unit/test_tdx_platform",
	  "assert_status(call(p, 0, TDH_SYS_LP_INIT, 0, 0, 0), TDX_SYS_BUSY);"),
	T("TDH.SYS.LP.INIT", "SYS_LP_INIT_DONE", "unit/test_tdx_platform",
	  "assert_status(call(p, 0, TDH_SYS_LP_INIT, 0, 0, 0), TDX_SYS_LP_INIT_DONE);"),
	T("TDH.SYS.LP.INIT", "SYS_LP_INIT_NOT_PENDING", "unit/test_tdx_platform",
	  "assert_status(call(p, 0, TDH_SYS_LP_INIT, 0, 0, 0), TDX_SYS_LP_INIT_NOT_PENDING);"),
	T("TDH.SYS.TDMR.INIT", "OPERAND_INVALID", "unit/test_tdx_platform",
	  "assert_status(call(p, 0, TDH_SYS_TDMR_INIT, GIB, 0, 0), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);"),
	T("TDH.SYS.RDALL", "METADATA_FIELD_ID_INCORRECT", "unit/test_tdx_platform",
	  "assert_status(call(p, 0, TDH_SYS_RDALL, 0, list, 0x1234), TDX_METADATA_FIELD_ID_INCORRECT);"),
	T("TDH.SYS.RDALL", "OPERAND_INVALID", "unit/test_tdx_platform",
	  "assert_status(call(p, 0, TDH_SYS_RDALL, 0, list + 8, ~0ull), TDX_OPERAND_INVALID | 2);"),
	T("TDH.SYS.RDALL", "SYS_LP_INIT_NOT_DONE", "unit/test_tdx_platform",
	  "assert_status(call(p, 0, TDH_SYS_RDALL, 0, list, ~0ull), TDX_SYS_LP_INIT_NOT_DONE);"),
	T("TDH.MEM.TRACK", "PAGE_METADATA_INCORRECT", "unit/test_tdx_sept",
	  "assert_int_equal(sc(TDH_MEM_TRACK, td.tdcs[0], 0, NULL), TDX_PAGE_METADATA_INCORRECT | RCX);"),
	T("TDH.MEM.TRACK", "PREVIOUS_TLB_EPOCH_BUSY", "unit/test_tdx_td_run",
	  "assert_int_equal(sc(TRACK, td.tdr, 0, 0, 0), TDX_PREVIOUS_TLB_EPOCH_BUSY);"),
	T("TDH.MEM.RANGE.UNBLOCK", "EPT_ENTRY_STATE_INCORRECT", "unit/test_tdx_sept",
	  "assert_int_equal(sc(TDH_MEM_RANGE_UNBLOCK, 0x201000, td.tdr, &a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);"),
	T("TDH.MEM.RANGE.UNBLOCK", "TLB_TRACKING_NOT_DONE", "unit/test_tdx_sept",
	  "assert_int_equal(sc(TDH_MEM_RANGE_UNBLOCK, 0x201000, td.tdr, &a), TDX_TLB_TRACKING_NOT_DONE | RCX);"),
	T("TDH.PHYMEM.CACHE.WB", "INTERRUPTED_RESUMABLE", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(CACHE_WB, 0, 0, &a), TDX_INTERRUPTED_RESUMABLE);"),
	T("TDH.PHYMEM.CACHE.WB", "NO_HKID_READY_TO_WBCACHE", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(CACHE_WB, 0, 0, NULL), TDX_NO_HKID_READY_TO_WBCACHE);"),
	T("TDH.PHYMEM.CACHE.WB", "OPERAND_INVALID", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(CACHE_WB, 2, 0, NULL), TDX_OPERAND_INVALID | 1);"),
	T("TDH.PHYMEM.CACHE.WB", "WBCACHE_RESUME_ERROR", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(CACHE_WB, 1, 0, NULL), TDX_WBCACHE_RESUME_ERROR);"),
	T("TDH.PHYMEM.PAGE.WBINVD", "PAGE_METADATA_INCORRECT", "unit/test_tdx_td_lifecycle",
	  "assert_int_equal(sc(WBINVD, tdr | 16ull << 46, 0, NULL), TDX_PAGE_METADATA_INCORRECT | 1);"),
	T("TDH.VP.WR", "METADATA_FIELD_NOT_WRITABLE", "unit/test_tdx_td_run",
	  "assert_int_equal(vp_wr(td.tdvpr, FIELD_PIN_BASED, 0, 1, &old), TDX_METADATA_FIELD_NOT_WRITABLE);"),
	T("TDH.SYS.CONFIG", "INVALID_PAMT", "unit/test_tdx_platform",
	  "assert_status(sys_config(p, 1), TDX_INVALID_PAMT | 0);"),
	T("TDH.SYS.CONFIG", "INVALID_RESERVED_IN_TDMR", "unit/test_tdx_platform",
	  "assert_status(sys_config(p, 1), TDX_INVALID_RESERVED_IN_TDMR | (t.nrsvd - 1) << 8 | 0);"),
	T("TDH.SYS.CONFIG", "INVALID_TDMR", "unit/test_tdx_platform",
	  "assert_status(sys_config(p, 1), TDX_INVALID_TDMR | 0);"),
	T("TDH.SYS.CONFIG", "NON_ORDERED_RESERVED_IN_TDMR", "unit/test_tdx_platform",
	  "assert_status(sys_config(p, 1), TDX_NON_ORDERED_RESERVED_IN_TDMR | 1 << 8 | 0);"),
	T("TDH.SYS.CONFIG", "NON_ORDERED_TDMR", "unit/test_tdx_platform",
	  "assert_status(sys_config(p, 2), TDX_NON_ORDERED_TDMR | 1);"),
	T("TDH.SYS.CONFIG", "OPERAND_INVALID", "unit/test_tdx_platform",
	  "TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);"),
	T("TDH.SYS.CONFIG", "PAMT_OUTSIDE_CMRS", "unit/test_tdx_platform",
	  "assert_status(sys_config(p, 1), TDX_PAMT_OUTSIDE_CMRS | 0);"),
	T("TDH.SYS.CONFIG", "PAMT_OVERLAP", "unit/test_tdx_platform",
	  "assert_status(sys_config(p, 2), TDX_PAMT_OVERLAP | 0 << 16 | 0 << 8 | 1);"),
	T("TDH.SYS.CONFIG", "SYS_BUSY", "unit/test_tdx_platform",
	  "assert_status(sys_config(p, 1), TDX_SYS_BUSY);"),
	T("TDH.SYS.CONFIG", "SYS_CONFIG_NOT_PENDING", "unit/test_tdx_platform",
	  "assert_status(sys_config(p, 1), TDX_SYS_CONFIG_NOT_PENDING);"),
	T("TDH.SYS.CONFIG", "TDMR_OUTSIDE_CMRS", "unit/test_tdx_platform",
	  "assert_status(sys_config(p, 1), TDX_TDMR_OUTSIDE_CMRS | 0);"),
	T("TDG.VP.VMCALL", "OPERAND_INVALID", "image/td_ve_msr",
	  ";! stdout: VMCL.RSP c000010000000001"),
	T("TDG.MR.RTMR.EXTEND", "OPERAND_INVALID", "image/td_ve_msr",
	  ";! stdout: RTMR.ALN c000010000000001"),
	T("TDG.VP.VEINFO.GET", "NO_VALID_VE_INFO", "image/td_ve_msr",
	  ";! stdout: VEINFO   c000070400000000"),
	T("TDG.MR.REPORT", "OPERAND_INVALID", "image/td_ve_msr",
	  ";! stdout: REP.SUB  c000010000000008"),
	T("TDG.VP.CPUIDVE.SET", "OPERAND_INVALID", "unit/test_tdx_td_run",
	  "assert_int_equal(r[0], TDX_OPERAND_INVALID | 1);"),
	T("TDG.MEM.PAGE.ACCEPT", "OPERAND_INVALID", "unit/test_tdx_td_run",
	  "assert_int_equal(r[1], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);"),
	T("TDG.MEM.PAGE.ACCEPT", "PAGE_ALREADY_ACCEPTED", "unit/test_tdx_td_run",
	  "assert_int_equal(r[2], TDX_PAGE_ALREADY_ACCEPTED | 1);"),
	T("TDG.MEM.PAGE.ACCEPT", "PAGE_SIZE_MISMATCH", "unit/test_tdx_td_run",
	  "assert_int_equal(r[0], TDX_PAGE_SIZE_MISMATCH | 1);"),
	T("TDG.VM.RD", "METADATA_FIELD_ID_INCORRECT", "image/td_ve_msr",
	  ";! stdout: VM.RD    c0000c0000000000"),
	T("TDG.VM.WR", "METADATA_FIELD_NOT_WRITABLE", "guest/td_hello",
	  "mov rcx, 0xc0000c0100000000     ; TDX_METADATA_FIELD_NOT_WRITABLE"),
	T("TDG.VP.RD", "METADATA_FIELD_ID_INCORRECT", "unit/test_tdx_td_run",
	  "assert_int_equal(r[3], TDX_METADATA_FIELD_ID_INCORRECT);"),
	T("TDG.VP.RD", "METADATA_FIELD_NOT_READABLE", "unit/test_tdx_td_run",
	  "assert_int_equal(r[0], TDX_METADATA_FIELD_NOT_READABLE);"),
	T("TDG.VP.RD", "METADATA_FIRST_FIELD_ID_IN_CONTEXT", "unit/test_tdx_td_run",
	  "assert_int_equal(r[1], TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);"),
	T("TDG.VP.RD", "OPERAND_INVALID", "unit/test_tdx_td_run",
	  "assert_int_equal(r[2], TDX_OPERAND_INVALID | 1);"),
	T("TDG.VP.WR", "METADATA_FIELD_NOT_WRITABLE", "unit/test_tdx_td_run",
	  "assert_int_equal(r[1], TDX_METADATA_FIELD_NOT_WRITABLE);"),
	T("TDG.VP.WR", "METADATA_FIELD_VALUE_NOT_VALID", "unit/test_tdx_td_run",
	  "assert_int_equal(r[0], TDX_METADATA_FIELD_VALUE_NOT_VALID);"),
	T("TDG.SYS.RD", "METADATA_FIELD_ID_INCORRECT", "image/td_ve_msr",
	  ";! stdout: SYS.RD   c0000c0000000000"),
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))
#define NDECLARED (sizeof(declared) / sizeof(declared[0]))

/* The declared pairs no test provokes yet may only go down: lower it when a test
 * is added. */
#define MAX_UNTESTED 0

static const struct { const char *name; uint64_t value; } status_values[] = {
#define STATUS_VALUE(name, value) { #name, value },
	TDX_STATUS_CODES(STATUS_VALUE)
#undef STATUS_VALUE
};

static const uint64_t *status_value(const char *name_without_prefix)
{
	for (size_t i = 0; i < sizeof(status_values) / sizeof(status_values[0]); i++)
		if (!strcmp(status_values[i].name + 4, name_without_prefix))
			return &status_values[i].value;
	return NULL;
}

static bool declares(const struct leaf_decl *d, const char *status)
{
	size_t n = strlen(status);
	for (const char *p = strstr(d->statuses, status); p; p = strstr(p + 1, status))
		if ((p == d->statuses || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

static const struct leaf_decl *decl_named(const char *name)
{
	for (size_t i = 0; i < NDECLARED; i++)
		if (!strcmp(declared[i].name, name))
			return &declared[i];
	return NULL;
}

static const struct leaf_decl *decl_of(unsigned leaf)
{
	for (size_t i = 0; i < NDECLARED; i++)
		if (declared[i].leaf == leaf)
			return &declared[i];
	return NULL;
}

/* Does one of the loops above assert `status` for `leaf`? */
static bool loop_covers(unsigned leaf, const char *status)
{
	for (size_t i = 0; i < NWALKS; i++)
		if (walks[i].leaf == leaf && !strcmp(status, "EPT_WALK_FAILED"))
			return true;
	for (size_t i = 0; i < NPAGE_LEAVES; i++)
		if (page_leaves[i].leaf == leaf && (!strcmp(status, "OPERAND_INVALID") ||
		    !strcmp(status, "OPERAND_ADDR_RANGE_ERROR") || !strcmp(status, "OPERAND_BUSY")))
			return true;
	for (size_t i = 0; i < NLEAVES; i++) {
		const struct td_leaf *l = &td_leaves[i];
		if (l->leaf != leaf)
			continue;
		if (!strcmp(status, "PAGE_METADATA_INCORRECT") || !strcmp(status, "OPERAND_INVALID") ||
		    !strcmp(status, "OPERAND_ADDR_RANGE_ERROR") || !strcmp(status, "OPERAND_BUSY"))
			return true;
		if (!strcmp(status, "TD_KEYS_NOT_CONFIGURED"))
			return l->enters || l->vcpu;
		if (!strcmp(status, "TDCS_NOT_ALLOCATED"))
			return l->enters;
		if (!strcmp(status, "OP_STATE_INCORRECT"))
			return (l->enters && !l->uninit_ok) || l->runnable_refused;
		if (!strcmp(status, "TD_FATAL"))
			return (l->enters || l->vcpu) && leaf != VP_FLUSH;
	}
	return false;
}

/* The rows for (leaf, status) that name a test (`tested`) or say why it cannot
 * happen. */
static unsigned rows_for(const char *leaf, const char *status, bool tested)
{
	unsigned k = 0;
	for (size_t i = 0; i < NROWS; i++)
		k += !strcmp(rows[i].leaf, leaf) && !strcmp(rows[i].status, status) &&
		     (rows[i].test != NULL) == tested;
	return k;
}

/* The evidence names the status: TDX_NAME, or the value's upper half in hex. */
static bool names_status(const char *ev, const char *status)
{
	char w[96];
	snprintf(w, sizeof(w), "TDX_%s", status);
	if (strstr(ev, w))
		return true;
	snprintf(w, sizeof(w), "%08llx", (unsigned long long)(*status_value(status) >> 32));
	return strstr(ev, w) != NULL;
}

/* Every row: a declared pair, its test's source holding the evidence, naming it. */
static void test_status_rows_are_real(void **state)
{
	unsigned bad = 0;
	for (size_t i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i];
		if (!status_value(r->status))
			fail_msg("%s: no status TDX_%s", r->leaf, r->status);
		if (strcmp(r->leaf, "any")) {
			const struct leaf_decl *d = decl_named(r->leaf);
			if (!d || !declares(d, r->status)) {
				print_error("%s does not declare %s\n", r->leaf, r->status);
				bad++;
			}
		}
		if (!r->test)
			continue;
		char *path = test_source_path(r->test), *src = test_source_text(path);
		if (!strstr(src, r->evidence)) {
			print_error("%s (%s) does not contain: %s\n", r->test, path, r->evidence);
			bad++;
		}
		if (!names_status(r->evidence, r->status)) {
			print_error("%s: \"%s\" does not name %s\n", r->test, r->evidence, r->status);
			bad++;
		}
		free(src);
		free(path);
	}
	assert_int_equal(bad, 0);
}

/* Every declared pair: provoked by a test (a row or the loops), stated unreachable,
 * or counted as a gap and printed. Prints the totals. */
static void test_leaf_status_audit(void **state)
{
	unsigned pairs = 0, by_rows = 0, by_loops = 0, untested = 0, unreachable = 0, leaves_complete = 0;
	for (size_t i = 0; i < NDECLARED; i++) {
		const struct leaf_decl *d = &declared[i];
		unsigned gaps = 0;
		char buf[1024];
		snprintf(buf, sizeof(buf), "%s", d->statuses);
		for (char *save = NULL, *s = strtok_r(buf, " ", &save); s; s = strtok_r(NULL, " ", &save)) {
			if (!status_value(s))
				fail_msg("%s declares an unknown status %s", d->name, s);
			pairs++;
			bool loop = loop_covers(d->leaf, s);
			unsigned r = rows_for(d->name, s, true), n = rows_for(d->name, s, false);
			if (n && (loop || r))
				fail_msg("%s TDX_%s: tested, yet stated unreachable", d->name, s);
			by_loops += loop;
			by_rows += !loop && r;
			unreachable += n != 0;
			if (!loop && !r && !n) {
				untested++;
				gaps++;
				print_message("untested: %s TDX_%s\n", d->name, s);
			}
		}
		leaves_complete += !gaps;
	}
	print_message("leaf statuses: %u leaves, %u (leaf, status) pairs: %u asserted by the "
		      "shared-refusal loops, %u by other tests, %u unreachable, %u untested; %u "
		      "leaves with every status tested\n", (unsigned)NDECLARED, pairs, by_loops, by_rows,
		      unreachable, untested, leaves_complete);
	assert_true(untested <= MAX_UNTESTED);
}

/* Every leaf the module dispatches is declared (and nothing else is). */
static void test_every_leaf_declared(void **state)
{
	for (unsigned leaf = 0; leaf < 64; leaf++) {
		const char *name = tdx_leaf_name(leaf);
		const struct leaf_decl *d = decl_of(leaf);
		if (!name) {
			assert_null(d);
			continue;
		}
		if (!d)
			fail_msg("leaf %u %s is not declared", leaf, name);
		assert_string_equal(d->name, name);
	}
}

/* A deterministic walk of random SEAMCALLs over every host leaf, with operands
 * from a pool (the TDs' pages, free and foreign pages, GPAs, field ids, bad
 * values): each status a leaf returns must be one it declares. */
static void test_random_walk_stays_declared(void **state)
{
	struct tds t;
	make_tds(&t);
	uint64_t pool[] = {
		0, 1, t.no_keys, t.no_tdcs, t.uninit, t.ready, t.ready_tdvpr, kvm_alloc_pages(1),
		kvm_alloc_pages(1), kvm_alloc_pages(1), t.ready | 1, 2ull << 30, 0x200000, 0x200000 | 1,
		0x400000 | 2, 0x100000, 0xfffff000, 0x1110000300000016ull, 0x9100000000000100ull,
		0x0800000100000004ull, ~0ull, 1ull << 47, 18, 64, 0x801,
	};
	const unsigned n = sizeof(pool) / sizeof(pool[0]);
	uint64_t seed = 0x7d1c0ffee5eedull;
	unsigned calls = 0, statuses = 0;
	uint64_t seen[64][4] = { { 0 } };
	for (unsigned i = 0; i < 6000; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		unsigned leaf = (unsigned)(seed >> 58);
		const struct leaf_decl *d = decl_of(leaf);
		if (!d || leaf == 44)              /* TDH.SYS.LP.SHUTDOWN would end the walk */
			continue;
		struct vtsim_seamcall_args a = { .rax = leaf };
		a.rcx = pool[(seed >> 8) % n];
		a.rdx = pool[(seed >> 16) % n];
		a.r8 = pool[(seed >> 24) % n];
		a.r9 = pool[(seed >> 32) % n];
		if ((seed >> 40) % 8 == 0)
			a.rax |= 1ull << 16;         /* version 1 */
		uint64_t st = call(&a) & 0xffffffff00000000ull;
		calls++;
		if (!st)
			continue;
		const char *name = tdx_status_name(st);
		if (!name)
			fail_msg("%s returned an unknown status 0x%016llx", d->name, (unsigned long long)st);
		bool ok = declares(d, name + 4) || st == TDX_OPERAND_INVALID ||
			  st == TDX_SYS_NOT_READY || st == TDX_SYS_SHUTDOWN;
		if (!ok)
			fail_msg("%s returned %s, which it does not declare", d->name, name);
		for (unsigned k = 0; k < 4; k++) {
			if (seen[leaf][k] == st)
				break;
			if (!seen[leaf][k]) {
				seen[leaf][k] = st;
				statuses++;
				break;
			}
		}
	}
	print_message("random walk: %u SEAMCALLs, %u distinct (leaf, error status) pairs seen\n",
		      calls, statuses);
	assert_true(calls > 3000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_td_operand_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fatal_td_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vcpu_leaves_after_the_td_moved_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_operand_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sept_walk_failures, setup, teardown),
		cmocka_unit_test(test_status_rows_are_real),
		cmocka_unit_test(test_every_leaf_declared),
		cmocka_unit_test(test_leaf_status_audit),
		cmocka_unit_test_setup_teardown(test_random_walk_stays_declared, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
