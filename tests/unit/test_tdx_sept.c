/* The Secure EPT and measurement leaves of the TDX module, each outcome exact: a TD
 * built as KVM builds it (CREATE, KEY.CONFIG, ADDCX, MNG.INIT, a vCPU; SEPT.ADD at
 * levels 3, 2 and 1; PAGE.ADD from a source page; 16 MR.EXTENDs per page;
 * MR.FINALIZE), the PAMT as TDH.PHYMEM.PAGE.RDMD shows it, MRTD against a SHA-384
 * computed here over the same 128-byte blocks, the refusals (status, operand id and
 * the RCX/RDX extended error), BLOCK/TRACK/REMOVE and UNBLOCK in a running TD,
 * SEPT.REMOVE, and the teardown that reclaims every page. MRTD has no leaf yet: it is
 * read from the TDCS (the first TDCS page, `struct tdcs`) in simulated RAM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "kvmlike/kvm.h"
#include "kvmlike/runtime_hosted.h"
#include "sim/tdx_module_stub/td.h"
#include "vtsim/hosted.h"

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
	char err[256];
	vtsim_config_defaults(&cfg);
	cfg.tdx = true;
	m = vtsim_machine_create(&cfg, err, sizeof(err));
	assert_non_null(m);
	assert_int_equal(vtsim_hosted_start(m, err, sizeof(err)), 0);
	devnull = fopen("/dev/null", "w");
	assert_int_equal(kvm_hosted_attach(m, devnull), 0);
	assert_int_equal(kvm_init(), 0);      /* VMXON and the module's bring-up */
	return 0;
}

static int teardown(void **state)
{
	kvm_exit();
	kvm_hosted_detach();
	vtsim_machine_destroy(m);
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

/* MRTD as the module holds it: in the TDCS, at the start of the first TDCS page. */
static const uint8_t *module_mrtd(const struct td *td)
{
	return ram(td->tdcs[0]) + offsetof(struct tdcs, mrtd);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_build_td_and_mrtd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_track_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sept_remove_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_teardown, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
