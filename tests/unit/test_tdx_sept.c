/* The Secure EPT and measurement leaves of the TDX module, each outcome exact: a TD
 * built as KVM builds it (CREATE, KEY.CONFIG, ADDCX, MNG.INIT, a vCPU; SEPT.ADD at
 * levels 3, 2 and 1; PAGE.ADD from a source page; 16 MR.EXTENDs per page;
 * MR.FINALIZE), the PAMT as TDH.PHYMEM.PAGE.RDMD shows it, MRTD against a SHA-384
 * computed here over the same 128-byte blocks, the refusals (status, operand id and
 * the RCX/RDX extended error), BLOCK/TRACK/REMOVE and UNBLOCK in a running TD,
 * SEPT.REMOVE, and the teardown that reclaims every page. MRTD has no leaf yet: it is
 * read from the TDCS (the first TDCS page, `struct tdcs`) in simulated RAM, through
 * the TD's KeyID. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "tests/unit/kvm_fixture.h"
#include "kvmlike/kvm.h"
#include "kvmlike/runtime_hosted.h"
#include "sim/cpu/machine.h"
#include "sim/tdx_module_stub/td.h"
#include "vtsim/hosted.h"
#include "tests/unit/tdx_pages.h"

/* Leaves td.h does not name. */
enum { LEAF_KEY_CONFIG = 8, LEAF_CREATE = 9, LEAF_VPFLUSHDONE = 19, LEAF_FREEID = 20,
       LEAF_RDMD = 24, LEAF_RECLAIM = 28, LEAF_CACHE_WB = 40 };

#define PA_MASK  0x000ffffffffff000ull
#define SVE      (1ull << 63)
#define RCX      TDX_OPERAND_ID_RCX
#define R8       TDX_OPERAND_ID_R8
#define STATE(s) ((uint64_t)(s) << 8)

static struct vtsim_machine *m;
static FILE *devnull;

static int setup(void **state)
{
	struct vtsim_config cfg;
	vtsim_config_defaults(&cfg);
	devnull = fopen("/dev/null", "w");
	m = kvm_fixture_up(&cfg, devnull);      /* VMXON and the module's bring-up */
	return 0;
}

static int teardown(void **state)
{
	kvm_fixture_down(m);
	fclose(devnull);
	return 0;
}

/* A SEAMCALL on LP 0 with RCX, RDX, R8, R9; the registers it returns in *out. */
static uint64_t sc4(uint64_t rax, uint64_t rcx, uint64_t rdx, uint64_t r8, uint64_t r9,
		    struct vtsim_seamcall_args *out)
{
	struct vtsim_seamcall_args a = { .rax = rax, .rcx = rcx, .rdx = rdx, .r8 = r8, .r9 = r9 };
	assert_int_equal(vtsim_seamcall(m, 0, &a), VTSIM_SEAMCALL_DONE);
	if (out)
		*out = a;
	return a.rax;
}

static uint64_t sc(uint64_t rax, uint64_t rcx, uint64_t rdx, struct vtsim_seamcall_args *out)
{
	return sc4(rax, rcx, rdx, 0, 0, out);
}

/* TDH.PHYMEM.PAGE.RDMD: the page type, and its owner. */
static uint64_t page_type(uint64_t pa, uint64_t *owner)
{
	struct vtsim_seamcall_args a;
	assert_int_equal(sc(LEAF_RDMD, pa, 0, &a), TDX_SUCCESS);
	if (owner)
		*owner = a.rdx;
	return a.rcx;
}

static void assert_page(uint64_t pa, uint64_t type, uint64_t owner)
{
	uint64_t o;
	assert_int_equal(page_type(pa, &o), type);
	assert_int_equal(o, owner);
}

static uint8_t *ram(uint64_t pa)
{
	return vtsim_machine_ram(m, NULL) + pa;
}

/* ---- building a TD as KVM does -------------------------------------------------- */

struct td {
	uint64_t tdr, tdcs[TDX_TDCS_PAGES], tdvpr, tdvpx[5];
	uint64_t sept[8];            /* S-EPT pages added, in order */
	unsigned nsept;
	uint64_t pages[8];           /* private pages (PAGE.ADD / PAGE.AUG) */
	unsigned npages;
	unsigned hkid;
};

/* TD_PARAMS that TDH.MNG.INIT accepts: x87 and SSE, one vCPU, WB 4-level S-EPT,
 * NO_RBP_MOD, 2.5 GHz. */
static void valid_params(uint8_t *p)
{
	memset(p, 0, 1024);
	uint64_t xfam = 3, eptp = 6 | 3 << 3, flags = 1 << 2;
	uint16_t vcpus = 1, tsc = 100;
	memcpy(p + 8, &xfam, 8);
	memcpy(p + 16, &vcpus, 2);
	memcpy(p + 24, &eptp, 8);
	memcpy(p + 32, &flags, 8);
	memcpy(p + 40, &tsc, 2);
}

/* CREATE, KEY.CONFIG, 6 ADDCX, MNG.INIT; VP.CREATE, 5 VP.ADDCX, VP.INIT (v1). */
static void create_td(struct td *td, uint64_t hkid)
{
	memset(td, 0, sizeof(*td));
	td->hkid = (unsigned)hkid;
	td->tdr = kvm_alloc_pages(1);
	assert_int_equal(sc(LEAF_CREATE, td->tdr, hkid, NULL), TDX_SUCCESS);
	assert_int_equal(sc(LEAF_KEY_CONFIG, td->tdr, 0, NULL), TDX_SUCCESS);
	for (int i = 0; i < TDX_TDCS_PAGES; i++) {
		td->tdcs[i] = kvm_alloc_pages(1);
		assert_int_equal(sc(TDH_MNG_ADDCX, td->tdcs[i], td->tdr, NULL), TDX_SUCCESS);
	}
	uint64_t params = kvm_alloc_pages(1);
	valid_params(ram(params));
	assert_int_equal(sc(TDH_MNG_INIT, td->tdr, params, NULL), TDX_SUCCESS);

	td->tdvpr = kvm_alloc_pages(1);
	assert_int_equal(sc(TDH_VP_CREATE, td->tdvpr, td->tdr, NULL), TDX_SUCCESS);
	for (int i = 0; i < 5; i++) {
		td->tdvpx[i] = kvm_alloc_pages(1);
		assert_int_equal(sc(TDH_VP_ADDCX, td->tdvpx[i], td->tdvpr, NULL), TDX_SUCCESS);
	}
	assert_int_equal(sc4(TDH_VP_INIT | 1 << 16, td->tdvpr, 0, 0, 0, NULL), TDX_SUCCESS);
}

/* TDH.MEM.SEPT.ADD (version 0) of a new page for the entry at `level` over `gpa`. */
static uint64_t sept_add(struct td *td, uint64_t gpa, unsigned level)
{
	uint64_t page = kvm_alloc_pages(1);
	uint64_t r = sc4(TDH_MEM_SEPT_ADD, gpa | level, td->tdr, page, 0, NULL);
	if (r == TDX_SUCCESS) {
		td->sept[td->nsept++] = page;
		assert_page(page, PT_EPT, td->tdr);
	}
	return r;
}

/* The S-EPT pages a 4 KiB GPA needs, as KVM adds them (levels 3, 2, 1); the ones
 * already there are refused as EPT_ENTRY_STATE_INCORRECT and skipped. */
static void map_tables(struct td *td, uint64_t gpa)
{
	for (unsigned level = 3; level >= 1; level--) {
		uint64_t base = gpa & ~((1ull << (12 + 9 * level)) - 1);
		struct vtsim_seamcall_args a;
		uint64_t page = kvm_alloc_pages(1);
		uint64_t r = sc4(TDH_MEM_SEPT_ADD, base | level, td->tdr, page, 0, &a);
		if (r == TDX_SUCCESS) {
			td->sept[td->nsept++] = page;
			assert_page(page, PT_EPT, td->tdr);
		} else {
			assert_int_equal(r, TDX_EPT_ENTRY_STATE_INCORRECT | RCX);
			assert_int_equal(a.rdx, level | STATE(SEPT_NL_MAPPED));
			assert_page(page, PT_NDA, 0);
			kvm_free_pages(page, 1);
		}
	}
}

/* PAGE.ADD of `src` at `gpa`, then 16 MR.EXTENDs of it. */
static uint64_t add_page(struct td *td, uint64_t gpa, uint64_t src, bool extend)
{
	uint64_t page = kvm_alloc_pages(1);
	assert_int_equal(sc4(TDH_MEM_PAGE_ADD, gpa, td->tdr, page, src, NULL), TDX_SUCCESS);
	td->pages[td->npages++] = page;
	assert_page(page, PT_REG, td->tdr);
	/* The TD's copy is in its KeyID's view: through KeyID 0 the page reads as zeros. */
	static const uint8_t zero[4096];
	assert_memory_equal(ram(page), zero, 4096);
	for (unsigned off = 0; extend && off < 4096; off += 256)
		assert_int_equal(sc(TDH_MR_EXTEND, gpa + off, td->tdr, NULL), TDX_SUCCESS);
	return page;
}

/* A module page as the module sees it: through `keyid` (KeyID 0 shows zeros). */
static uint8_t *keyed_ram(uint64_t pa, unsigned keyid)
{
	return phys_byte(&m->pm, td_keyed(m->seam.module, pa, keyid));
}

/* MRTD as the module holds it: in the TDCS, at the start of the first TDCS page. */
static const uint8_t *module_mrtd(const struct td *td)
{
	return keyed_ram(td->tdcs[0], td->hkid) + offsetof(struct tdcs, mrtd);
}

/* ---- MRTD, computed independently ------------------------------------------------ */

struct mrtd_calc {
	EVP_MD_CTX *ctx;
};

static void mrtd_begin(struct mrtd_calc *c)
{
	c->ctx = EVP_MD_CTX_new();
	assert_non_null(c->ctx);
	assert_int_equal(EVP_DigestInit_ex(c->ctx, EVP_sha384(), NULL), 1);
}

/* A 128-byte block: the ASCII name at 0, the GPA (little-endian) at 16. */
static void mrtd_block(struct mrtd_calc *c, const char *name, uint64_t gpa)
{
	uint8_t b[128] = { 0 };
	memcpy(b, name, strlen(name));
	for (int i = 0; i < 8; i++)
		b[16 + i] = (uint8_t)(gpa >> (8 * i));
	assert_int_equal(EVP_DigestUpdate(c->ctx, b, sizeof(b)), 1);
}

/* What PAGE.ADD and the 16 MR.EXTENDs of `data` at `gpa` add. */
static void mrtd_page(struct mrtd_calc *c, uint64_t gpa, const uint8_t *data, bool extend)
{
	mrtd_block(c, "MEM.PAGE.ADD", gpa);
	for (unsigned off = 0; extend && off < 4096; off += 256) {
		mrtd_block(c, "MR.EXTEND", gpa + off);
		assert_int_equal(EVP_DigestUpdate(c->ctx, data + off, 256), 1);
	}
}

static void mrtd_end(struct mrtd_calc *c, uint8_t out[48])
{
	unsigned len = 0;
	assert_int_equal(EVP_DigestFinal_ex(c->ctx, out, &len), 1);
	assert_int_equal(len, 48);
	EVP_MD_CTX_free(c->ctx);
}

/* A source page with known content: a pattern from `seed`. */
static uint64_t source_page(uint8_t seed)
{
	uint64_t src = kvm_alloc_pages(1);
	for (unsigned i = 0; i < 4096; i++)
		ram(src)[i] = (uint8_t)(seed + i * 7 + (i >> 8));
	return src;
}

/* Builds a TD with pages at `gpas` (the second without MR.EXTEND) from `src`,
 * finalizes it, and checks MRTD against the independent hash; *mrtd is the value. */
static void build_and_measure(struct td *td, uint64_t hkid, const uint64_t *gpas, unsigned n,
			      uint64_t src, uint8_t mrtd[48])
{
	struct mrtd_calc c;
	create_td(td, hkid);
	mrtd_begin(&c);
	for (unsigned i = 0; i < n; i++) {
		bool extend = i != 1;
		map_tables(td, gpas[i]);
		add_page(td, gpas[i], src, extend);
		mrtd_page(&c, gpas[i], ram(src), extend);
	}
	uint8_t zero[48] = { 0 };
	assert_memory_equal(module_mrtd(td), zero, 48);      /* not final yet */
	assert_int_equal(sc(TDH_MR_FINALIZE, td->tdr, 0, NULL), TDX_SUCCESS);
	mrtd_end(&c, mrtd);
	assert_memory_equal(module_mrtd(td), mrtd, 48);
}

/* ---- the tests ---------------------------------------------------------------------- */

static void test_build_td_and_mrtd(void **state)
{
	struct td td;
	uint64_t src = source_page(0x5a);
	const uint64_t gpas[] = { 0x200000, 0x201000, 0xFFFFF000 };
	uint8_t mrtd[48];
	build_and_measure(&td, 17, gpas, 3, src, mrtd);

	/* Levels 3, 2, 1 for 0x200000; levels 2, 1 more for 0xFFFFF000 (the PML4
	 * entry is shared); 0x201000 needed none. */
	assert_int_equal(td.nsept, 5);
	for (unsigned i = 0; i < td.nsept; i++)
		assert_page(td.sept[i], PT_EPT, td.tdr);
	/* The S-EPT is the TD's private memory: the host sees zeros where the module
	 * (with the TD's KeyID) sees entries (a free one is SVE only). */
	static const uint8_t zero[4096];
	uint64_t free_entry;
	for (unsigned i = 0; i < td.nsept; i++)
		assert_memory_equal(ram(td.sept[i]), zero, 4096);
	assert_memory_equal(ram(td.tdcs[TDCS_SEPT_ROOT_PAGE]), zero, 4096);
	memcpy(&free_entry, keyed_ram(td.sept[4], td.hkid), 8);         /* GPA 0xFFE00000 */
	assert_int_equal(free_entry, SVE);
	for (unsigned i = 0; i < td.npages; i++)
		assert_page(td.pages[i], PT_REG, td.tdr);
	assert_page(td.tdr, PT_TDR, 0);
	assert_page(td.tdcs[0], PT_TDCX, td.tdr);
	assert_page(td.tdvpr, PT_TDVPR, td.tdr);
	assert_page(src, PT_NDA, 0);

	/* SEPT.RD: the leaves MAPPED (RWX, the page), the non-leaves NL_MAPPED. */
	struct vtsim_seamcall_args a;
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(sc(TDH_MEM_SEPT_RD, gpas[i], td.tdr, &a), TDX_SUCCESS);
		assert_int_equal(a.rcx & PA_MASK, td.pages[i]);
		assert_int_equal(a.rcx & 7, 7);
		assert_int_equal(a.rcx & SVE, 0);
		assert_int_equal(a.rdx, 0 | STATE(SEPT_MAPPED));
	}
	assert_int_equal(sc(TDH_MEM_SEPT_RD, 0x200000 | 1, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx & PA_MASK, td.sept[2]);
	assert_int_equal(a.rcx & 7, 7);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_NL_MAPPED));
	assert_int_equal(sc(TDH_MEM_SEPT_RD, 0 | 3, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx & PA_MASK, td.sept[0]);
	assert_int_equal(a.rdx, 3 | STATE(SEPT_NL_MAPPED));
	/* A free leaf in an existing table: SVE only. */
	assert_int_equal(sc(TDH_MEM_SEPT_RD, 0x202000, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, SVE);
	assert_int_equal(a.rdx, 0 | STATE(SEPT_FREE));

	/* A different byte of content, or a different GPA, is a different MRTD; each
	 * still equals its own independent hash. */
	struct td td2, td3;
	uint8_t mrtd2[48], mrtd3[48];
	uint64_t src2 = source_page(0x5a);
	ram(src2)[4095] ^= 1;
	build_and_measure(&td2, 18, gpas, 3, src2, mrtd2);
	assert_memory_not_equal(mrtd, mrtd2, 48);
	const uint64_t gpas3[] = { 0x200000, 0x201000, 0xFFFFE000 };
	build_and_measure(&td3, 19, gpas3, 3, src, mrtd3);
	assert_memory_not_equal(mrtd, mrtd3, 48);
	assert_memory_not_equal(mrtd2, mrtd3, 48);
	/* After finalize: no more PAGE.ADD, MR.EXTEND, VP.CREATE or MR.FINALIZE. */
	uint64_t page = kvm_alloc_pages(1);
	assert_int_equal(sc4(TDH_MEM_PAGE_ADD, 0x202000, td.tdr, page, src, NULL), TDX_OP_STATE_INCORRECT);
	assert_int_equal(sc(TDH_MR_EXTEND, 0x200000, td.tdr, NULL), TDX_OP_STATE_INCORRECT);
	assert_int_equal(sc(TDH_VP_CREATE, page, td.tdr, NULL), TDX_OP_STATE_INCORRECT);
	assert_int_equal(sc(TDH_MR_FINALIZE, td.tdr, 0, NULL), TDX_OP_STATE_INCORRECT);
	assert_page(page, PT_NDA, 0);
	assert_memory_equal(module_mrtd(&td), mrtd, 48);
}

static void test_build_errors(void **state)
{
	struct td td;
	struct vtsim_seamcall_args a;
	uint64_t src = source_page(1), page = kvm_alloc_pages(1);
	create_td(&td, 17);

	/* PAGE.ADD before any SEPT.ADD: the walk stops at the free PML4 entry. */
	assert_int_equal(sc4(TDH_MEM_PAGE_ADD, 0x200000, td.tdr, page, src, &a),
			 TDX_EPT_WALK_FAILED | RCX);
	assert_int_equal(a.rcx, SVE);
	assert_int_equal(a.rdx, 3 | STATE(SEPT_FREE));
	assert_page(page, PT_NDA, 0);

	/* SEPT.ADD operands: level 0 or 4, a GPA not aligned to the level, a shared
	 * GPA (bit 47), reserved bits. */
	assert_int_equal(sc4(TDH_MEM_SEPT_ADD, 0x200000 | 0, td.tdr, page, 0, NULL), TDX_OPERAND_INVALID | RCX);
	assert_int_equal(sc4(TDH_MEM_SEPT_ADD, 0 | 4, td.tdr, page, 0, NULL), TDX_OPERAND_INVALID | RCX);
	assert_int_equal(sc4(TDH_MEM_SEPT_ADD, 0x201000 | 1, td.tdr, page, 0, NULL), TDX_OPERAND_INVALID | RCX);
	assert_int_equal(sc4(TDH_MEM_SEPT_ADD, 0x200000 | 2, td.tdr, page, 0, NULL), TDX_OPERAND_INVALID | RCX);
	assert_int_equal(sc4(TDH_MEM_SEPT_ADD, (1ull << 47) | 3, td.tdr, page, 0, NULL), TDX_OPERAND_INVALID | RCX);
	assert_int_equal(sc4(TDH_MEM_SEPT_ADD, (1ull << 47) | 0x200000 | 1, td.tdr, page, 0, NULL),
			 TDX_OPERAND_INVALID | RCX);
	assert_int_equal(sc4(TDH_MEM_SEPT_ADD, 0x200000 | 0x10 | 1, td.tdr, page, 0, NULL),
			 TDX_OPERAND_INVALID | RCX);
	/* Level 1 before level 2: the walk stops at the free PML4 entry. */
	assert_int_equal(sc4(TDH_MEM_SEPT_ADD, 0x200000 | 1, td.tdr, page, 0, &a), TDX_EPT_WALK_FAILED | RCX);
	assert_int_equal(a.rcx, SVE);
	assert_int_equal(a.rdx, 3 | STATE(SEPT_FREE));
	/* The new page must be free (NDA): a TDCS page, the TDR, the source... */
	assert_int_equal(sc4(TDH_MEM_SEPT_ADD, 0 | 3, td.tdr, td.tdcs[1], 0, NULL), TDX_PAGE_METADATA_INCORRECT | R8);
	assert_int_equal(sc4(TDH_MEM_SEPT_ADD, 0 | 3, td.tdr, td.tdr, 0, NULL), TDX_PAGE_METADATA_INCORRECT | R8);
	assert_int_equal(sc4(TDH_MEM_SEPT_ADD, 0 | 3, td.tdr, page | 0x800, 0, NULL), TDX_OPERAND_INVALID | R8);
	/* ...and the TDR a TDR. */
	assert_int_equal(sc4(TDH_MEM_SEPT_ADD, 0 | 3, td.tdcs[0], page, 0, NULL),
			 TDX_PAGE_METADATA_INCORRECT | TDX_OPERAND_ID_RDX);
	assert_page(page, PT_NDA, 0);

	assert_int_equal(sept_add(&td, 0, 3), TDX_SUCCESS);
	assert_int_equal(sept_add(&td, 0, 2), TDX_SUCCESS);
	/* PAGE.ADD with the level-1 table missing: the walk stops at level 1. */
	assert_int_equal(sc4(TDH_MEM_PAGE_ADD, 0x200000, td.tdr, page, src, &a), TDX_EPT_WALK_FAILED | RCX);
	assert_int_equal(a.rcx, SVE);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_FREE));
	assert_int_equal(sept_add(&td, 0x200000, 1), TDX_SUCCESS);

	/* SEPT.ADD on an existing entry: refused, the page not taken; version 1 with
	 * allow_existing succeeds without taking it (R8 bit 63: not used). */
	uint64_t spare = kvm_alloc_pages(1);
	assert_int_equal(sc4(TDH_MEM_SEPT_ADD, 0x200000 | 1, td.tdr, spare, 0, &a),
			 TDX_EPT_ENTRY_STATE_INCORRECT | RCX);
	assert_int_equal(a.rcx & PA_MASK, td.sept[2]);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_NL_MAPPED));
	assert_int_equal(sc4(TDH_MEM_SEPT_ADD | 1 << 16, 0x200000 | 1, td.tdr, spare, 0, &a),
			 TDX_EPT_ENTRY_STATE_INCORRECT | RCX);
	assert_int_equal(sc4(TDH_MEM_SEPT_ADD | 1 << 16, 0x200000 | 1, td.tdr | 1, spare, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.r8, spare | SVE);
	assert_page(spare, PT_NDA, 0);
	/* Version 1 adding a new page: R8 = 0 (the page was used). */
	assert_int_equal(sc4(TDH_MEM_SEPT_ADD | 1 << 16, 0x40000000 | 2, td.tdr | 1, spare, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.r8, 0);
	assert_page(spare, PT_EPT, td.tdr);
	td.sept[td.nsept++] = spare;
	assert_int_equal(sc4(TDH_MEM_SEPT_ADD | 2 << 16, 0x200000 | 1, td.tdr, page, 0, NULL),
			 TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);

	/* PAGE.ADD operands: level 0 only, private, the page free, the source RAM. */
	assert_int_equal(sc4(TDH_MEM_PAGE_ADD, 0x200000 | 1, td.tdr, page, src, NULL), TDX_OPERAND_INVALID | RCX);
	assert_int_equal(sc4(TDH_MEM_PAGE_ADD, (1ull << 47) | 0x200000, td.tdr, page, src, NULL),
			 TDX_OPERAND_INVALID | RCX);
	assert_int_equal(sc4(TDH_MEM_PAGE_ADD, 0x200000, td.tdr, td.sept[0], src, NULL),
			 TDX_PAGE_METADATA_INCORRECT | R8);
	assert_int_equal(sc4(TDH_MEM_PAGE_ADD, 0x200000, td.tdr, td.tdvpr, src, NULL),
			 TDX_PAGE_METADATA_INCORRECT | R8);
	assert_int_equal(sc4(TDH_MEM_PAGE_ADD, 0x200000, td.tdr, page, src | 8, NULL),
			 TDX_OPERAND_INVALID | TDX_OPERAND_ID_R9);

	/* MR.EXTEND of a GPA with nothing mapped: a free leaf (no extended error), or
	 * a walk that stops short (the entry where it stopped). */
	assert_int_equal(sc(TDH_MR_EXTEND, 0x200000, td.tdr, &a), TDX_EPT_ENTRY_NOT_PRESENT);
	assert_int_equal(a.rcx, 0);
	assert_int_equal(a.rdx, 0);
	assert_int_equal(sc(TDH_MR_EXTEND, 0x40000000, td.tdr, &a), TDX_EPT_ENTRY_NOT_PRESENT | RCX);
	assert_int_equal(a.rcx, SVE);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_FREE));

	uint64_t p0 = add_page(&td, 0x200000, src, true);
	/* PAGE.ADD twice at one GPA: the entry is MAPPED (same page or another). */
	assert_int_equal(sc4(TDH_MEM_PAGE_ADD, 0x200000, td.tdr, page, src, &a),
			 TDX_EPT_ENTRY_STATE_INCORRECT | RCX);
	assert_int_equal(a.rcx & PA_MASK, p0);
	assert_int_equal(a.rcx & 7, 7);
	assert_int_equal(a.rdx, 0 | STATE(SEPT_MAPPED));
	assert_int_equal(sc4(TDH_MEM_PAGE_ADD, 0x200000, td.tdr, p0, src, &a),
			 TDX_EPT_ENTRY_STATE_INCORRECT | RCX);
	assert_page(page, PT_NDA, 0);
	/* The same private page at a second GPA: it is no longer NDA. */
	assert_int_equal(sc4(TDH_MEM_PAGE_ADD, 0x201000, td.tdr, p0, src, NULL), TDX_PAGE_METADATA_INCORRECT | R8);

	/* MR.EXTEND: 256-byte aligned, private. */
	assert_int_equal(sc(TDH_MR_EXTEND, 0x200080, td.tdr, NULL), TDX_OPERAND_INVALID | RCX);
	assert_int_equal(sc(TDH_MR_EXTEND, 0x200001, td.tdr, NULL), TDX_OPERAND_INVALID | RCX);
	assert_int_equal(sc(TDH_MR_EXTEND, (1ull << 47) | 0x200000, td.tdr, NULL), TDX_OPERAND_INVALID | RCX);
	assert_int_equal(sc(TDH_MR_EXTEND, 0x200f00, td.tdr, NULL), TDX_SUCCESS);

	/* PAGE.AUG before finalize (INITIALIZED): the entry becomes PENDING. */
	uint64_t aug = kvm_alloc_pages(1);
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, 0x202000, td.tdr, td.tdcs[2], 0, NULL), TDX_PAGE_METADATA_INCORRECT | R8);
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, 0x202000, td.tdr, aug, 0, NULL), TDX_SUCCESS);
	assert_page(aug, PT_REG, td.tdr);
	assert_int_equal(sc(TDH_MEM_SEPT_RD, 0x202000, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx & PA_MASK, aug);
	assert_int_equal(a.rcx & 7, 0);
	assert_int_equal(a.rdx, 0 | STATE(SEPT_PENDING));
	/* AUG on a MAPPED or PENDING entry. */
	uint64_t aug2 = kvm_alloc_pages(1);
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, 0x200000, td.tdr, aug2, 0, &a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);
	assert_int_equal(a.rcx & PA_MASK, p0);
	assert_int_equal(a.rdx, 0 | STATE(SEPT_MAPPED));
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, 0x202000, td.tdr, aug2, 0, &a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);
	assert_int_equal(a.rdx, 0 | STATE(SEPT_PENDING));
	assert_page(aug2, PT_NDA, 0);
	/* MR.EXTEND of a PENDING page. */
	assert_int_equal(sc(TDH_MR_EXTEND, 0x202000, td.tdr, NULL), TDX_EPT_ENTRY_NOT_PRESENT);

	/* Before finalize, PAGE.REMOVE needs no BLOCK or TRACK. */
	assert_int_equal(sc(TDH_MEM_PAGE_REMOVE, 0x202000, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx & PA_MASK, aug);
	assert_page(aug, PT_NDA, 0);
	assert_int_equal(sc(TDH_MEM_PAGE_REMOVE, 0x200000, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx & PA_MASK, p0);
	assert_int_equal(a.rdx, 0 | STATE(SEPT_MAPPED));
	assert_page(p0, PT_NDA, 0);
	assert_int_equal(sc(TDH_MEM_SEPT_RD, 0x200000, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, SVE);
	assert_int_equal(a.rdx, 0 | STATE(SEPT_FREE));
	assert_int_equal(sc(TDH_MEM_PAGE_REMOVE, 0x200000, td.tdr, &a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);
	assert_int_equal(a.rcx, SVE);
	/* The GPA can be added again. */
	add_page(&td, 0x200000, src, false);

	/* SEPT.REMOVE of a table still mapping a page; then of the emptied one. */
	assert_int_equal(sc(TDH_MEM_SEPT_REMOVE, 0x200000 | 1, td.tdr, &a), TDX_EPT_PAGE_NOT_FREE | RCX);
	assert_int_equal(sc(TDH_MEM_SEPT_REMOVE, 0 | 2, td.tdr, &a), TDX_EPT_PAGE_NOT_FREE | RCX);
	assert_int_equal(sc(TDH_MEM_PAGE_REMOVE, 0x200000, td.tdr, NULL), TDX_SUCCESS);
	assert_int_equal(sc(TDH_MEM_SEPT_REMOVE, 0x200000 | 0, td.tdr, NULL), TDX_OPERAND_INVALID | RCX);
	assert_int_equal(sc(TDH_MEM_SEPT_REMOVE, 0x200000 | 1, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, td.sept[2]);
	assert_page(td.sept[2], PT_NDA, 0);
	assert_int_equal(sc(TDH_MEM_SEPT_RD, 0x200000 | 1, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, SVE);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_FREE));
	assert_int_equal(sc(TDH_MEM_SEPT_REMOVE, 0x200000 | 1, td.tdr, &a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);
}

/* A finalized TD with pages at 0x200000, 0x201000 and 0xFFFFF000. */
static void running_td(struct td *td, uint64_t hkid)
{
	uint64_t src = source_page(3);
	create_td(td, hkid);
	map_tables(td, 0x200000);
	map_tables(td, 0xFFFFF000);
	add_page(td, 0x200000, src, true);
	add_page(td, 0x201000, src, true);
	add_page(td, 0xFFFFF000, src, false);
	assert_int_equal(sc(TDH_MR_FINALIZE, td->tdr, 0, NULL), TDX_SUCCESS);
}

static void test_block_track_remove(void **state)
{
	struct td td;
	struct vtsim_seamcall_args a;
	running_td(&td, 17);
	uint64_t p0 = td.pages[0], p1 = td.pages[1];

	/* REMOVE of a page that is not blocked. */
	assert_int_equal(sc(TDH_MEM_PAGE_REMOVE, 0x200000, td.tdr, &a), TDX_GPA_RANGE_NOT_BLOCKED | RCX);
	assert_int_equal(a.rcx & PA_MASK, p0);
	assert_int_equal(a.rdx, 0 | STATE(SEPT_MAPPED));
	assert_page(p0, PT_REG, td.tdr);

	/* BLOCK: MAPPED -> BLOCKED (RWX cleared); the PAMT holds the blocking epoch. */
	assert_int_equal(sc(TDH_MEM_RANGE_BLOCK, 0x200000, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(sc(TDH_MEM_SEPT_RD, 0x200000, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx & PA_MASK, p0);
	assert_int_equal(a.rcx & 7, 0);
	assert_int_equal(a.rdx, 0 | STATE(SEPT_BLOCKED));
	assert_int_equal(sc(LEAF_RDMD, p0, 0, &a), TDX_SUCCESS);
	uint64_t bepoch = a.r9;
	assert_int_equal(a.rcx, PT_REG);

	/* BLOCK again. */
	assert_int_equal(sc(TDH_MEM_RANGE_BLOCK, 0x200000, td.tdr, &a), TDX_GPA_RANGE_ALREADY_BLOCKED | RCX);
	assert_int_equal(a.rcx & PA_MASK, p0);
	assert_int_equal(a.rdx, 0 | STATE(SEPT_BLOCKED));

	/* REMOVE before TRACK. */
	assert_int_equal(sc(TDH_MEM_PAGE_REMOVE, 0x200000, td.tdr, &a), TDX_TLB_TRACKING_NOT_DONE | RCX);
	assert_int_equal(a.rdx, 0 | STATE(SEPT_BLOCKED));
	assert_int_equal(sc(TDH_MEM_TRACK, td.tdcs[0], 0, NULL), TDX_PAGE_METADATA_INCORRECT | RCX);
	assert_int_equal(sc(TDH_MEM_TRACK, td.tdr, 0, NULL), TDX_SUCCESS);

	/* A page blocked after the TRACK is not tracked by it. */
	assert_int_equal(sc(TDH_MEM_RANGE_BLOCK, 0x201000, td.tdr, NULL), TDX_SUCCESS);
	assert_int_equal(sc(LEAF_RDMD, p1, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.r9, bepoch + 1);
	assert_int_equal(sc(TDH_MEM_PAGE_REMOVE, 0x201000, td.tdr, NULL), TDX_TLB_TRACKING_NOT_DONE | RCX);

	/* REMOVE: the page back to NDA, the entry FREE. */
	assert_int_equal(sc(TDH_MEM_PAGE_REMOVE, 0x200000, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx & PA_MASK, p0);
	assert_page(p0, PT_NDA, 0);
	assert_int_equal(sc(TDH_MEM_SEPT_RD, 0x200000, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, SVE);
	assert_int_equal(a.rdx, 0 | STATE(SEPT_FREE));

	/* UNBLOCK: needs the tracking too; then MAPPED again, RWX back. */
	assert_int_equal(sc(TDH_MEM_RANGE_UNBLOCK, 0x201000, td.tdr, &a), TDX_TLB_TRACKING_NOT_DONE | RCX);
	assert_int_equal(sc(TDH_MEM_TRACK, td.tdr, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(TDH_MEM_RANGE_UNBLOCK, 0x201000, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(sc(TDH_MEM_SEPT_RD, 0x201000, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx & PA_MASK, p1);
	assert_int_equal(a.rcx & 7, 7);
	assert_int_equal(a.rdx, 0 | STATE(SEPT_MAPPED));
	assert_int_equal(sc(TDH_MEM_RANGE_UNBLOCK, 0x201000, td.tdr, &a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);
	assert_int_equal(a.rdx, 0 | STATE(SEPT_MAPPED));
	assert_page(p1, PT_REG, td.tdr);

	/* BLOCK of a leaf never added: refused, and the entry is not RWX-present (KVM
	 * counts on that for pages it premapped but never added). */
	assert_int_equal(sc(TDH_MEM_RANGE_BLOCK, 0x203000, td.tdr, &a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);
	assert_int_equal(a.rcx & 7, 0);
	assert_int_equal(a.rcx, SVE);
	assert_int_equal(a.rdx, 0 | STATE(SEPT_FREE));
	/* BLOCK where no table is: the walk stops at the free level-2 entry. */
	assert_int_equal(sc(TDH_MEM_RANGE_BLOCK, 0x40000000, td.tdr, &a), TDX_EPT_WALK_FAILED | RCX);
	assert_int_equal(a.rdx, 2 | STATE(SEPT_FREE));

	/* PAGE.AUG after finalize (RUNNABLE): the freed GPA, PENDING; AUG on MAPPED
	 * is refused. */
	uint64_t aug = kvm_alloc_pages(1), aug2 = kvm_alloc_pages(1);
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, 0x200000, td.tdr, aug, 0, NULL), TDX_SUCCESS);
	assert_page(aug, PT_REG, td.tdr);
	assert_int_equal(sc(TDH_MEM_SEPT_RD, 0x200000, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rdx, 0 | STATE(SEPT_PENDING));
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, 0x201000, td.tdr, aug2, 0, &a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);
	assert_int_equal(a.rcx & PA_MASK, p1);
	assert_int_equal(a.rdx, 0 | STATE(SEPT_MAPPED));
	assert_page(aug2, PT_NDA, 0);
	/* A PENDING page: BLOCK gives PENDING_BLOCKED, removable once tracked. */
	assert_int_equal(sc(TDH_MEM_PAGE_REMOVE, 0x200000, td.tdr, NULL), TDX_GPA_RANGE_NOT_BLOCKED | RCX);
	assert_int_equal(sc(TDH_MEM_RANGE_BLOCK, 0x200000, td.tdr, NULL), TDX_SUCCESS);
	assert_int_equal(sc(TDH_MEM_SEPT_RD, 0x200000, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rdx, 0 | STATE(SEPT_PENDING_BLOCKED));
	assert_int_equal(sc(TDH_MEM_TRACK, td.tdr, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(TDH_MEM_PAGE_REMOVE, 0x200000, td.tdr, NULL), TDX_SUCCESS);
	assert_page(aug, PT_NDA, 0);
}

static void test_sept_remove_running(void **state)
{
	struct td td;
	struct vtsim_seamcall_args a;
	running_td(&td, 17);
	uint64_t leaf = td.pages[2];             /* 0xFFFFF000 */
	uint64_t table = td.sept[4];             /* level 1 over 0xFFE00000 */

	/* Not blocked; then blocked but not tracked; then tracked but not empty. */
	assert_int_equal(sc(TDH_MEM_SEPT_REMOVE, 0xFFE00000 | 1, td.tdr, &a), TDX_GPA_RANGE_NOT_BLOCKED | RCX);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_NL_MAPPED));
	assert_int_equal(sc(TDH_MEM_RANGE_BLOCK, 0xFFE00000 | 1, td.tdr, NULL), TDX_SUCCESS);
	assert_int_equal(sc(TDH_MEM_SEPT_RD, 0xFFE00000 | 1, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx & PA_MASK, table);
	assert_int_equal(a.rcx & 7, 0);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_NL_BLOCKED));
	assert_int_equal(sc(TDH_MEM_SEPT_REMOVE, 0xFFE00000 | 1, td.tdr, NULL), TDX_TLB_TRACKING_NOT_DONE | RCX);
	assert_int_equal(sc(TDH_MEM_TRACK, td.tdr, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(TDH_MEM_SEPT_REMOVE, 0xFFE00000 | 1, td.tdr, &a), TDX_EPT_PAGE_NOT_FREE | RCX);
	assert_page(table, PT_EPT, td.tdr);
	assert_int_equal(sc(TDH_MEM_RANGE_UNBLOCK, 0xFFE00000 | 1, td.tdr, NULL), TDX_SUCCESS);
	assert_int_equal(sc(TDH_MEM_SEPT_RD, 0xFFE00000 | 1, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx & 7, 7);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_NL_MAPPED));

	/* The leaf first (blocked, tracked), then the table. */
	assert_int_equal(sc(TDH_MEM_RANGE_BLOCK, 0xFFFFF000, td.tdr, NULL), TDX_SUCCESS);
	assert_int_equal(sc(TDH_MEM_TRACK, td.tdr, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(TDH_MEM_PAGE_REMOVE, 0xFFFFF000, td.tdr, NULL), TDX_SUCCESS);
	assert_page(leaf, PT_NDA, 0);
	assert_int_equal(sc(TDH_MEM_RANGE_BLOCK, 0xFFE00000 | 1, td.tdr, NULL), TDX_SUCCESS);
	assert_int_equal(sc(TDH_MEM_SEPT_REMOVE, 0xFFE00000 | 1, td.tdr, NULL), TDX_TLB_TRACKING_NOT_DONE | RCX);
	assert_int_equal(sc(TDH_MEM_TRACK, td.tdr, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(TDH_MEM_SEPT_REMOVE, 0xFFE00000 | 1, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, table);
	assert_page(table, PT_NDA, 0);
	assert_int_equal(sc(TDH_MEM_SEPT_RD, 0xFFE00000 | 1, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, SVE);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_FREE));
	/* The GPA's walk now stops at level 1. */
	assert_int_equal(sc(TDH_MEM_SEPT_RD, 0xFFFFF000, td.tdr, &a), TDX_EPT_WALK_FAILED | RCX);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_FREE));
	/* A new table can be linked in the running TD. */
	assert_int_equal(sept_add(&td, 0xFFE00000, 1), TDX_SUCCESS);
}

/* Reclaims `pa` and checks what RECLAIM returns. */
static void reclaim(uint64_t pa, uint64_t type, uint64_t owner)
{
	struct vtsim_seamcall_args a;
	assert_int_equal(sc(LEAF_RECLAIM, pa, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, type);
	assert_int_equal(a.rdx, owner);
	assert_int_equal(a.r8, 0);
	assert_page(pa, PT_NDA, 0);
}

static void test_teardown(void **state)
{
	struct td td;
	running_td(&td, 17);
	uint64_t aug = kvm_alloc_pages(1);
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, 0x203000, td.tdr, aug, 0, NULL), TDX_SUCCESS);
	td.pages[td.npages++] = aug;

	/* Nothing is reclaimed while the TD lives. */
	assert_int_equal(sc(LEAF_RECLAIM, td.pages[0], 0, NULL), TDX_LIFECYCLE_STATE_INCORRECT);
	assert_int_equal(sc(LEAF_RECLAIM, td.sept[0], 0, NULL), TDX_LIFECYCLE_STATE_INCORRECT);

	assert_int_equal(sc(LEAF_VPFLUSHDONE, td.tdr, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(LEAF_CACHE_WB, 0, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(LEAF_FREEID, td.tdr, 0, NULL), TDX_SUCCESS);

	/* The TDR last. */
	assert_int_equal(sc(LEAF_RECLAIM, td.tdr, 0, NULL), TDX_TD_ASSOCIATED_PAGES_EXIST);
	for (unsigned i = 0; i < td.npages; i++)
		reclaim(td.pages[i], PT_REG, td.tdr);
	for (unsigned i = 0; i < td.nsept; i++)
		reclaim(td.sept[i], PT_EPT, td.tdr);
	assert_int_equal(sc(LEAF_RECLAIM, td.tdr, 0, NULL), TDX_TD_ASSOCIATED_PAGES_EXIST);
	for (int i = 0; i < 5; i++)
		reclaim(td.tdvpx[i], PT_TDCX, td.tdr);
	reclaim(td.tdvpr, PT_TDVPR, td.tdr);
	for (int i = 0; i < TDX_TDCS_PAGES; i++)
		reclaim(td.tdcs[i], PT_TDCX, td.tdr);
	assert_int_equal(sc(LEAF_RECLAIM, td.pages[0], 0, NULL), TDX_PAGE_METADATA_INCORRECT | RCX);
	reclaim(td.tdr, PT_TDR, 0);
	assert_int_equal(sc(LEAF_RECLAIM, td.tdr, 0, NULL), TDX_PAGE_METADATA_INCORRECT | RCX);

	/* The HKID is free again: a new TD can use it. */
	struct td again;
	create_td(&again, 17);
}


/* ---- 2 MiB pages: PROMOTE and DEMOTE ----------------------------------------------- */

#define HUGE_GPA 0x400000ull
#define RDX      TDX_OPERAND_ID_RDX
#define NULL_PA  (~0ull)
enum { LEAF_DEMOTE = TDH_MEM_PAGE_DEMOTE, LEAF_PROMOTE = TDH_MEM_PAGE_PROMOTE };

/* The TD's child count, from its TDR (module memory, read directly). */
static uint64_t chldcnt(const struct td *td)
{
	return ((const struct tdr *)keyed_ram(td->tdr, m->seam.module->g->global_hkid))->chldcnt;
}

/* RDMD: type, owner and the size (level) of the page holding `pa`. */
static void assert_page_level(uint64_t pa, uint64_t type, uint64_t owner, uint64_t level)
{
	struct vtsim_seamcall_args a;
	assert_int_equal(sc(LEAF_RDMD, pa, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, type);
	assert_int_equal(a.rdx, owner);
	assert_int_equal(a.r8, level);
}

/* The 512 pages of [base, base + 2 MiB) at HUGE_GPA: PAGE.ADD (MAPPED) or PAGE.AUG
 * (PENDING), page i at GPA + i pages, except `skip` (512: none). */
static void fill_2m(struct td *td, uint64_t base, bool add, unsigned skip)
{
	uint64_t src = kvm_alloc_pages(1);
	for (unsigned i = 0; i < 512; i++) {
		if (i == skip)
			continue;
		uint64_t gpa = HUGE_GPA + 4096ull * i;
		if (add)
			assert_int_equal(sc4(TDH_MEM_PAGE_ADD, gpa, td->tdr, base + 4096ull * i, src, NULL), TDX_SUCCESS);
		else
			assert_int_equal(sc4(TDH_MEM_PAGE_AUG, gpa, td->tdr, base + 4096ull * i, 0, NULL), TDX_SUCCESS);
	}
}

/* Before finalize (no tracking): PROMOTE folds the level-1 table into a 2 MiB leaf,
 * DEMOTE splits it again; every refusal with its status, operand and ext-err. */
static void test_promote_demote(void **state)
{
	struct td td;
	struct vtsim_seamcall_args a;
	create_td(&td, 17);
	map_tables(&td, HUGE_GPA);
	uint64_t table = td.sept[td.nsept - 1], base = alloc_2m(), spare = kvm_alloc_pages(1);
	assert_true(base);

	/* Operands: level 0 or 3, a GPA not aligned to 2 MiB, a shared GPA, version 2. */
	assert_int_equal(sc(LEAF_PROMOTE, HUGE_GPA | 0, td.tdr, NULL), TDX_OPERAND_INVALID | RCX);
	assert_int_equal(sc(LEAF_PROMOTE, 0 | 3, td.tdr, NULL), TDX_OPERAND_INVALID | RCX);
	assert_int_equal(sc(LEAF_PROMOTE, (HUGE_GPA + 0x1000) | 1, td.tdr, NULL), TDX_OPERAND_INVALID | RCX);
	assert_int_equal(sc(LEAF_PROMOTE, (1ull << 47) | HUGE_GPA | 1, td.tdr, NULL), TDX_OPERAND_INVALID | RCX);
	assert_int_equal(sc(LEAF_PROMOTE | 2 << 16, HUGE_GPA | 1, td.tdr, NULL),
			 TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	assert_int_equal(sc(LEAF_PROMOTE, HUGE_GPA | 1, td.tdcs[0], NULL), TDX_PAGE_METADATA_INCORRECT | RDX);
	/* No level-2 table for the second GiB: the walk stops at level 2. */
	assert_int_equal(sc(LEAF_PROMOTE, 0x40000000 | 1, td.tdr, &a), TDX_EPT_WALK_FAILED | RCX);
	assert_int_equal(a.rcx, SVE);
	assert_int_equal(a.rdx, 2 | STATE(SEPT_FREE));

	/* A table with one free entry, then with one page out of place. */
	fill_2m(&td, base, true, 7);
	assert_int_equal(sc(LEAF_PROMOTE, HUGE_GPA | 1, td.tdr, &a), TDX_EPT_INVALID_PROMOTE_CONDITIONS | RCX);
	assert_int_equal(a.rcx & PA_MASK, table);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_NL_MAPPED));
	uint64_t stray = kvm_alloc_pages(1);
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, HUGE_GPA + 7 * 4096, td.tdr, stray, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(LEAF_PROMOTE, HUGE_GPA | 1, td.tdr, NULL), TDX_EPT_INVALID_PROMOTE_CONDITIONS | RCX);
	/* The right page, but PENDING among MAPPED ones. */
	assert_int_equal(sc(TDH_MEM_PAGE_REMOVE, HUGE_GPA + 7 * 4096, td.tdr, NULL), TDX_SUCCESS);
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, HUGE_GPA + 7 * 4096, td.tdr, base + 7 * 4096, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(LEAF_PROMOTE, HUGE_GPA | 1, td.tdr, NULL), TDX_EPT_INVALID_PROMOTE_CONDITIONS | RCX);
	assert_int_equal(sc(TDH_MEM_PAGE_REMOVE, HUGE_GPA + 7 * 4096, td.tdr, NULL), TDX_SUCCESS);
	uint64_t src = kvm_alloc_pages(1);
	assert_int_equal(sc4(TDH_MEM_PAGE_ADD, HUGE_GPA + 7 * 4096, td.tdr, base + 7 * 4096, src, NULL), TDX_SUCCESS);

	/* The table's PAMT entry held by another LP: busy. */
	struct tdx_module *mod = m->seam.module;
	assert_int_equal(tdx_module_hold_page(mod, table, true), 0);
	assert_int_equal(sc(LEAF_PROMOTE, HUGE_GPA | 1, td.tdr, NULL), TDX_OPERAND_BUSY | RCX);
	assert_int_equal(tdx_module_hold_page(mod, table, false), 0);

	/* PROMOTE (version 1): one MAPPED 2 MiB leaf (PS, RWX) at the run's start; the
	 * table leaves the TD (RCX); the PAMT has one 2 MiB PT_REG page; R9-R11 name
	 * no L2 tables. */
	uint64_t before = chldcnt(&td);
	assert_int_equal(sc4(LEAF_PROMOTE | 1 << 16, HUGE_GPA | 1, td.tdr, 0, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, table);
	assert_int_equal(a.r9, NULL_PA);
	assert_int_equal(a.r10, NULL_PA);
	assert_int_equal(a.r11, NULL_PA);
	assert_int_equal(chldcnt(&td), before - 1);
	assert_page_level(table, PT_NDA, 0, 0);
	assert_page_level(base, PT_REG, td.tdr, 1);
	assert_page_level(base + 0x1ff000, PT_REG, td.tdr, 1);
	assert_int_equal(sc(TDH_MEM_SEPT_RD, HUGE_GPA | 1, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx & PA_MASK, base);
	assert_int_equal(a.rcx & (7 | 1 << 7), 7 | 1 << 7);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_MAPPED));
	/* Below it there is no table: a 4 KiB walk stops at the 2 MiB leaf. */
	assert_int_equal(sc(TDH_MEM_SEPT_RD, HUGE_GPA + 0x3000, td.tdr, &a), TDX_EPT_WALK_FAILED | RCX);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_MAPPED));
	/* A page inside the 2 MiB page is the TD's: no leaf takes it as free. */
	assert_int_equal(sc4(TDH_MEM_SEPT_ADD, 0x40000000 | 2, td.tdr, base + 0x3000, 0, NULL),
			 TDX_PAGE_METADATA_INCORRECT | R8);
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, 0x600000 | 1, td.tdr, base, 0, NULL),
			 TDX_PAGE_METADATA_INCORRECT | R8);
	/* PROMOTE of the leaf; DEMOTE of a table. */
	assert_int_equal(sc(LEAF_PROMOTE, HUGE_GPA | 1, td.tdr, &a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_MAPPED));
	assert_int_equal(sc4(LEAF_DEMOTE, 0 | 2, td.tdr, spare, 0, &a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);
	assert_int_equal(a.rdx, 2 | STATE(SEPT_NL_MAPPED));

	/* DEMOTE operands: RDX's reserved bits, version 1, level 0, the new page not
	 * free (the TDR, a part of the 2 MiB page itself). */
	assert_int_equal(sc4(LEAF_DEMOTE, HUGE_GPA | 1, td.tdr | 2, spare, 0, NULL), TDX_OPERAND_INVALID | RDX);
	assert_int_equal(sc4(LEAF_DEMOTE, HUGE_GPA | 1, td.tdr | 1ull << 52, spare, 0, NULL),
			 TDX_OPERAND_INVALID | RDX);
	assert_int_equal(sc4(LEAF_DEMOTE | 1 << 16, HUGE_GPA | 1, td.tdr, spare, 0, NULL),
			 TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	assert_int_equal(sc4(LEAF_DEMOTE, HUGE_GPA, td.tdr, spare, 0, NULL), TDX_OPERAND_INVALID | RCX);
	assert_int_equal(sc4(LEAF_DEMOTE, HUGE_GPA | 1, td.tdr, td.tdr, 0, NULL), TDX_PAGE_METADATA_INCORRECT | R8);
	assert_int_equal(sc4(LEAF_DEMOTE, HUGE_GPA | 1, td.tdr, base + 0x5000, 0, NULL),
			 TDX_PAGE_METADATA_INCORRECT | R8);

	/* DEMOTE (RDX bit 0, the L2 add mode, is allowed): a table of 512 MAPPED
	 * 4 KiB leaves in order, each page PT_REG again. */
	assert_int_equal(sc4(LEAF_DEMOTE, HUGE_GPA | 1, td.tdr | 1, spare, 0, &a), TDX_SUCCESS);
	assert_int_equal(chldcnt(&td), before);
	assert_page_level(spare, PT_EPT, td.tdr, 0);
	assert_page_level(base + 0x5000, PT_REG, td.tdr, 0);
	assert_int_equal(sc(TDH_MEM_SEPT_RD, HUGE_GPA | 1, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx & PA_MASK, spare);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_NL_MAPPED));
	for (unsigned i = 0; i < 512; i += 73) {
		assert_int_equal(sc(TDH_MEM_SEPT_RD, HUGE_GPA + 4096ull * i, td.tdr, &a), TDX_SUCCESS);
		assert_int_equal(a.rcx & PA_MASK, base + 4096ull * i);
		assert_int_equal(a.rcx & (7 | 1 << 7), 7);
		assert_int_equal(a.rdx, 0 | STATE(SEPT_MAPPED));
	}
	/* And it folds again. */
	assert_int_equal(sc(LEAF_PROMOTE, HUGE_GPA | 1, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, spare);
	assert_page_level(spare, PT_NDA, 0, 0);
}

/* PENDING pages fold into a PENDING 2 MiB leaf and split back PENDING; the 2 MiB
 * page is removed whole. */
static void test_promote_pending(void **state)
{
	struct td td;
	struct vtsim_seamcall_args a;
	create_td(&td, 17);
	map_tables(&td, HUGE_GPA);
	uint64_t base = alloc_2m(), spare = kvm_alloc_pages(1);
	assert_true(base);
	fill_2m(&td, base, false, 512);
	uint64_t before = chldcnt(&td);
	assert_int_equal(sc(LEAF_PROMOTE, HUGE_GPA | 1, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(sc(TDH_MEM_SEPT_RD, HUGE_GPA | 1, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx & PA_MASK, base);
	assert_int_equal(a.rcx & 7, 0);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_PENDING));
	assert_int_equal(sc4(LEAF_DEMOTE, HUGE_GPA | 1, td.tdr, spare, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(TDH_MEM_SEPT_RD, HUGE_GPA + 0x1ff000, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx & PA_MASK, base + 0x1ff000);
	assert_int_equal(a.rdx, 0 | STATE(SEPT_PENDING));
	assert_int_equal(sc(LEAF_PROMOTE, HUGE_GPA | 1, td.tdr, NULL), TDX_SUCCESS);
	/* REMOVE of the 2 MiB leaf: the whole page leaves the TD. */
	assert_int_equal(sc(TDH_MEM_PAGE_REMOVE, HUGE_GPA | 1, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx & PA_MASK, base);
	assert_int_equal(chldcnt(&td), before - 1 - 512);
	assert_page_level(base, PT_NDA, 0, 0);
	assert_page_level(base + 0x1ff000, PT_NDA, 0, 0);
	assert_int_equal(sc(TDH_MEM_SEPT_RD, HUGE_GPA | 1, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_FREE));
}

/* In a running TD both need the entry blocked and the blocking tracked; the
 * result is not blocked. */
static void test_promote_demote_running(void **state)
{
	struct td td;
	struct vtsim_seamcall_args a;
	create_td(&td, 17);
	map_tables(&td, HUGE_GPA);
	uint64_t table = td.sept[td.nsept - 1], base = alloc_2m(), spare = kvm_alloc_pages(1);
	assert_true(base);
	fill_2m(&td, base, true, 512);
	assert_int_equal(sc(TDH_MR_FINALIZE, td.tdr, 0, NULL), TDX_SUCCESS);

	assert_int_equal(sc(LEAF_PROMOTE, HUGE_GPA | 1, td.tdr, &a), TDX_GPA_RANGE_NOT_BLOCKED | RCX);
	assert_int_equal(a.rcx & PA_MASK, table);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_NL_MAPPED));
	assert_int_equal(sc(TDH_MEM_RANGE_BLOCK, HUGE_GPA | 1, td.tdr, NULL), TDX_SUCCESS);
	assert_int_equal(sc(LEAF_PROMOTE, HUGE_GPA | 1, td.tdr, &a), TDX_TLB_TRACKING_NOT_DONE | RCX);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_NL_BLOCKED));
	assert_int_equal(sc(TDH_MEM_TRACK, td.tdr, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(LEAF_PROMOTE, HUGE_GPA | 1, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, table);
	assert_int_equal(sc(TDH_MEM_SEPT_RD, HUGE_GPA | 1, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_MAPPED));

	assert_int_equal(sc4(LEAF_DEMOTE, HUGE_GPA | 1, td.tdr, spare, 0, &a), TDX_GPA_RANGE_NOT_BLOCKED | RCX);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_MAPPED));
	/* Blocking the 2 MiB leaf stamps its 2 MiB PAMT entry. */
	assert_int_equal(sc(TDH_MEM_RANGE_BLOCK, HUGE_GPA | 1, td.tdr, NULL), TDX_SUCCESS);
	assert_int_equal(sc(LEAF_RDMD, base, 0, &a), TDX_SUCCESS);
	uint64_t bepoch = a.r9;
	assert_int_equal(sc4(LEAF_DEMOTE, HUGE_GPA | 1, td.tdr, spare, 0, &a), TDX_TLB_TRACKING_NOT_DONE | RCX);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_BLOCKED));
	assert_page_level(spare, PT_NDA, 0, 0);
	assert_int_equal(sc(TDH_MEM_TRACK, td.tdr, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc4(LEAF_DEMOTE, HUGE_GPA | 1, td.tdr, spare, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(TDH_MEM_SEPT_RD, HUGE_GPA + 0x10000, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx & 7, 7);
	assert_int_equal(a.rdx, 0 | STATE(SEPT_MAPPED));
	/* The parts start with no blocking epoch of their own. */
	assert_int_equal(sc(LEAF_RDMD, base + 0x10000, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.r8, 0);
	assert_int_equal(a.r9, 0);
	assert_true(bepoch > 0);
}

/* The end of the last TDMR: a PA no page operand may name. */
static uint64_t beyond_tdmrs(void)
{
	const struct tdx_global *g = m->seam.module->g;
	uint64_t end = 0;
	for (unsigned i = 0; i < g->ntdmrs; i++)
		if (g->tdmr[i].base + g->tdmr[i].size > end)
			end = g->tdmr[i].base + g->tdmr[i].size;
	return end;
}

/* PAGE.AUG of a 2 MiB page, in the module's order: the GPA-and-level, the S-EPT
 * entry at level 1 (its walk and state, with the ext-err), then the page operand
 * (2 MiB aligned, no KeyID bits, inside a TDMR, every 4 KiB of it free). It makes
 * a PENDING 2 MiB leaf, one 2 MiB PT_REG page in the PAMT and 512 more children;
 * REMOVE at level 1 gives it all back. */
static void test_aug_2m(void **state)
{
	struct td td;
	struct vtsim_seamcall_args a;
	create_td(&td, 17);
	map_tables(&td, HUGE_GPA);
	uint64_t table = td.sept[td.nsept - 1], base = alloc_2m(), other = alloc_2m();
	assert_true(base && other);
	const uint64_t gpa = 0x600000;                  /* its level-1 entry is FREE */
	const unsigned shift = m->seam.module->info.keyid_shift;

	/* The GPA: 1 GiB, not 2 MiB aligned. */
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, gpa | 2, td.tdr, base, 0, NULL), TDX_OPERAND_INVALID | RCX);
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, (gpa + 0x1000) | 1, td.tdr, base, 0, NULL),
			 TDX_OPERAND_INVALID | RCX);
	/* The entry comes before the page: no level-2 table for the second GiB, and a
	 * level-1 entry that links a table, each with a page operand that is wrong. */
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, 0x40000000 | 1, td.tdr, base + 0x1000, 0, &a),
			 TDX_EPT_WALK_FAILED | RCX);
	assert_int_equal(a.rcx, SVE);
	assert_int_equal(a.rdx, 2 | STATE(SEPT_FREE));
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, HUGE_GPA | 1, td.tdr, base + 0x1000, 0, &a),
			 TDX_EPT_ENTRY_STATE_INCORRECT | RCX);
	assert_int_equal(a.rcx & PA_MASK, table);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_NL_MAPPED));
	/* The page: 4 KiB aligned only, KeyID bits, past the TDMRs, a range holding
	 * the TDR; no ext-err. */
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, gpa | 1, td.tdr, base + 0x1000, 0, &a), TDX_OPERAND_INVALID | R8);
	assert_int_equal(a.rcx, 0);
	assert_int_equal(a.rdx, 0);
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, gpa | 1, td.tdr, base | 1ull << shift, 0, NULL),
			 TDX_OPERAND_INVALID | R8);
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, gpa | 1, td.tdr, beyond_tdmrs(), 0, NULL),
			 TDX_OPERAND_ADDR_RANGE_ERROR | R8);
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, gpa | 1, td.tdr, td.tdr & ~0x1fffffull, 0, NULL),
			 TDX_PAGE_METADATA_INCORRECT | R8);
	assert_int_equal(page_type(td.tdr, NULL), PT_TDR);

	/* AUG: one PENDING 2 MiB leaf (PS, no access), the page the TD's at 2 MiB. */
	uint64_t before = chldcnt(&td);
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, gpa | 1, td.tdr, base, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, 0);
	assert_int_equal(a.rdx, 0);
	assert_int_equal(chldcnt(&td), before + 512);
	assert_page_level(base, PT_REG, td.tdr, 1);
	assert_page_level(base + 0x1ff000, PT_REG, td.tdr, 1);
	assert_int_equal(sc(TDH_MEM_SEPT_RD, gpa | 1, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx & PA_MASK, base);
	assert_int_equal(a.rcx & (7 | 1 << 7), 1 << 7);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_PENDING));

	/* Again at that GPA: the entry is PENDING, the other page stays free. The
	 * page again at another GPA, or a 4 KiB part of it: not free. */
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, gpa | 1, td.tdr, other, 0, &a), TDX_EPT_ENTRY_STATE_INCORRECT | RCX);
	assert_int_equal(a.rcx & PA_MASK, base);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_PENDING));
	assert_page_level(other, PT_NDA, 0, 0);
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, 0x800000 | 1, td.tdr, base, 0, NULL),
			 TDX_PAGE_METADATA_INCORRECT | R8);
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, HUGE_GPA, td.tdr, base + 0x5000, 0, NULL),
			 TDX_PAGE_METADATA_INCORRECT | R8);
	/* A 4 KiB AUG below the 2 MiB leaf: the walk stops at it. */
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, gpa + 0x3000, td.tdr, other, 0, &a), TDX_EPT_WALK_FAILED | RCX);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_PENDING));
	/* A range where one 4 KiB page is the TD's. */
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, HUGE_GPA, td.tdr, other + 0x7000, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc4(TDH_MEM_PAGE_AUG, 0x800000 | 1, td.tdr, other, 0, NULL),
			 TDX_PAGE_METADATA_INCORRECT | R8);

	/* REMOVE at level 1 (before finalize: no blocking): every page back. */
	assert_int_equal(sc(TDH_MEM_PAGE_REMOVE, gpa | 1, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx & PA_MASK, base);
	assert_int_equal(chldcnt(&td), before + 1);
	assert_page_level(base, PT_NDA, 0, 0);
	assert_page_level(base + 0x1ff000, PT_NDA, 0, 0);
	assert_int_equal(sc(TDH_MEM_SEPT_RD, gpa | 1, td.tdr, &a), TDX_SUCCESS);
	assert_int_equal(a.rdx, 1 | STATE(SEPT_FREE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_build_td_and_mrtd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_track_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sept_remove_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_teardown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_promote_demote, setup, teardown),
		cmocka_unit_test_setup_teardown(test_promote_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_promote_demote_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aug_2m, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
