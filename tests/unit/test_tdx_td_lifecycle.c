/* The TD lifecycle leaves without vCPUs, in KVM's order: TDH.MNG.CREATE on a TDR
 * page with a private HKID, TDH.MNG.KEY.CONFIG, TDH.MNG.ADDCX of the TDCS pages;
 * teardown by TDH.MNG.VPFLUSHDONE, TDH.PHYMEM.CACHE.WB, TDH.MNG.KEY.FREEID and
 * TDH.PHYMEM.PAGE.RECLAIM of every page, TDH.PHYMEM.PAGE.WBINVD of the TDR; each
 * refusal's exact status, and the page ownership the PAMT shows (RDMD). The
 * platform is brought up by kvmlike as Linux does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/kvm_fixture.h"
#include "kvmlike/kvm.h"
#include "kvmlike/runtime_hosted.h"
#include "sim/cpu/machine.h"
#include "sim/tdx_module_stub/module.h"
#include "sim/tdx_module_stub/status.h"
#include "vtsim/hosted.h"

enum { ADDCX = 1, KEY_CONFIG = 8, CREATE = 9, MNG_RD = 11, VPFLUSHDONE = 19, FREEID = 20,
       MNG_INIT = 21, RDMD = 24, VP_ADDCX = 4, VP_CREATE = 10, MR_FINALIZE = 17, VP_INIT = 22,
       RECLAIMID = 27, RECLAIM = 28, CACHE_WB = 40, WBINVD = 41 };
enum { PT_NDA = 0, PT_TDR = 4, PT_TDCX = 5, PT_TDVPR = 6 };

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

static uint64_t sc(uint64_t leaf, uint64_t rcx, uint64_t rdx, struct vtsim_seamcall_args *out)
{
	struct vtsim_seamcall_args a = { .rax = leaf, .rcx = rcx, .rdx = rdx };
	assert_int_equal(vtsim_seamcall(m, 0, &a), VTSIM_SEAMCALL_DONE);
	if (out)
		*out = a;
	return a.rax;
}

static uint64_t page_type(uint64_t pa, uint64_t *owner)
{
	struct vtsim_seamcall_args a;
	assert_int_equal(sc(RDMD, pa, 0, &a), TDX_SUCCESS);
	if (owner)
		*owner = a.rdx;
	return a.rcx;
}

static void test_td_lifecycle_without_vcpus(void **state)
{
	const uint64_t hkid = 17;                 /* TDX KeyIDs are 16..63; 16 is global */
	uint64_t tdr = kvm_alloc_pages(1), tdcx[7], owner;
	for (int i = 0; i < 7; i++)
		tdcx[i] = kvm_alloc_pages(1);
	assert_int_equal(page_type(tdr, NULL), PT_NDA);

	/* TDH.MNG.CREATE: the operands, then the TDR. */
	assert_int_equal(sc(CREATE, tdr | 0x10, hkid, NULL), TDX_OPERAND_INVALID | 1);
	assert_int_equal(sc(CREATE, 2ull << 30, hkid, NULL), TDX_OPERAND_ADDR_RANGE_ERROR | 1);
	assert_int_equal(sc(CREATE, tdr, 16, NULL), TDX_OPERAND_INVALID | 2);
	assert_int_equal(sc(CREATE, tdr, 5, NULL), TDX_OPERAND_INVALID | 2);
	assert_int_equal(sc(CREATE, tdr, 64, NULL), TDX_OPERAND_INVALID | 2);
	/* The TD's UUID is random: with no entropy nothing changes, and it is retried. */
	tdx_module_inject_no_entropy(m->seam.module, 1);
	assert_int_equal(sc(CREATE, tdr, hkid, NULL), TDX_RND_NO_ENTROPY);
	assert_int_equal(page_type(tdr, NULL), PT_NDA);
	assert_int_equal(tdx_module_kot_state(m->seam.module, hkid), TDX_KOT_FREE);
	assert_int_equal(sc(CREATE, tdr, hkid, NULL), TDX_SUCCESS);
	assert_int_equal(page_type(tdr, &owner), PT_TDR);
	assert_int_equal(owner, 0);
	assert_int_equal(sc(CREATE, tdr, 18, NULL), TDX_PAGE_METADATA_INCORRECT | 1);
	assert_int_equal(sc(CREATE, tdcx[6], hkid, NULL), TDX_HKID_NOT_FREE | 2);

	/* The key comes before any TDCS page; once per package. */
	assert_int_equal(sc(ADDCX, tdcx[0], tdr, NULL), TDX_TD_KEYS_NOT_CONFIGURED);
	assert_int_equal(sc(KEY_CONFIG, tdcx[0], 0, NULL), TDX_PAGE_METADATA_INCORRECT | 1);
	tdx_module_inject_no_entropy(m->seam.module, 1);     /* the key is random too */
	assert_int_equal(sc(KEY_CONFIG, tdr, 0, NULL), TDX_KEY_GENERATION_FAILED);
	assert_int_equal(sc(ADDCX, tdcx[0], tdr, NULL), TDX_TD_KEYS_NOT_CONFIGURED);
	assert_int_equal(sc(KEY_CONFIG, tdr, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(KEY_CONFIG, tdr, 0, NULL), TDX_LIFECYCLE_STATE_INCORRECT);

	/* Six TDCS pages (TDCS_BASE_SIZE), owned by the TDR; a seventh is refused. */
	assert_int_equal(sc(ADDCX, tdcx[0], tdcx[1], NULL), TDX_PAGE_METADATA_INCORRECT | 2);
	for (int i = 0; i < 6; i++)
		assert_int_equal(sc(ADDCX, tdcx[i], tdr, NULL), TDX_SUCCESS);
	assert_int_equal(sc(ADDCX, tdcx[6], tdr, NULL), TDX_TDCX_NUM_INCORRECT);
	assert_int_equal(page_type(tdcx[3], &owner), PT_TDCX);
	assert_int_equal(owner, tdr);

	/* Nothing is reclaimed or freed before the teardown order allows it. */
	assert_int_equal(sc(RECLAIM, tdcx[0], 0, NULL), TDX_LIFECYCLE_STATE_INCORRECT);
	assert_int_equal(sc(FREEID, tdr, 0, NULL), TDX_LIFECYCLE_STATE_INCORRECT);
	assert_int_equal(sc(RECLAIM, tdcx[6], 0, NULL), TDX_PAGE_METADATA_INCORRECT | 1);

	/* VPFLUSHDONE, then the caches, then the HKID. */
	assert_int_equal(sc(VPFLUSHDONE, tdr, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(FREEID, tdr, 0, NULL), TDX_WBCACHE_NOT_COMPLETE);
	assert_int_equal(sc(CACHE_WB, 2, 0, NULL), TDX_OPERAND_INVALID | 1);
	assert_int_equal(sc(CACHE_WB, 0, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(CACHE_WB, 0, 0, NULL), TDX_NO_HKID_READY_TO_WBCACHE);
	assert_int_equal(sc(FREEID, tdr, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(RECLAIMID, tdr, 0, NULL), TDX_SUCCESS);

	/* The TDR last: its children first. */
	struct vtsim_seamcall_args a;
	assert_int_equal(sc(RECLAIM, tdr, 0, NULL), TDX_TD_ASSOCIATED_PAGES_EXIST);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(sc(RECLAIM, tdcx[i], 0, &a), TDX_SUCCESS);
		assert_int_equal(a.rcx, PT_TDCX);
		assert_int_equal(a.rdx, tdr);
		assert_int_equal(a.r8, 0);
		assert_int_equal(page_type(tdcx[i], NULL), PT_NDA);
	}
	assert_int_equal(sc(RECLAIM, tdr, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, PT_TDR);
	assert_int_equal(page_type(tdr, NULL), PT_NDA);
	/* The TDR's cache lines go with the global KeyID (16), above the 46 PA bits. */
	assert_int_equal(sc(WBINVD, tdr | 16ull << 46, 0, NULL), TDX_SUCCESS);

	/* The HKID is free again. */
	assert_int_equal(sc(CREATE, tdr, hkid, NULL), TDX_SUCCESS);
	assert_int_equal(sc(WBINVD, tdr | 16ull << 46, 0, NULL), TDX_PAGE_METADATA_INCORRECT | 1);
}

/* TD_PARAMS that TDH.MNG.INIT accepts: no attributes, x87 and SSE, one vCPU, WB
 * 4-level S-EPT, NO_RBP_MOD, 2.5 GHz, no CPUID bits configured. */
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

static uint64_t init_with(uint64_t tdr, uint64_t params_pa, void (*change)(uint8_t *p))
{
	uint8_t *p = (uint8_t *)vtsim_machine_ram(m, NULL) + params_pa;
	valid_params(p);
	if (change)
		change(p);
	return sc(MNG_INIT, tdr, params_pa, NULL);
}

static void bad_attributes(uint8_t *p) { p[0] = 2; }                     /* bit 1: not allowed */
static void bad_xfam(uint8_t *p) { p[8] = 1; }                           /* no SSE */
static void zero_vcpus(uint8_t *p) { p[16] = 0; }
static void l2_vms(uint8_t *p) { p[18] = 1; }
static void bad_eptp(uint8_t *p) { p[24] = 0; }                          /* UC */
static void gpaw52(uint8_t *p) { p[32] |= 1; }
static void bad_tsc(uint8_t *p) { p[40] = 3; }
static void reserved(uint8_t *p) { p[60] = 1; }
static void bad_cpuid(uint8_t *p) { p[256 + 7] = 0xff; }                 /* leaf 1 EAX bits 31:24 */

static void test_mng_init_checks_td_params(void **state)
{
	uint64_t tdr = kvm_alloc_pages(1), params = kvm_alloc_pages(1), tdcs[6];
	for (int i = 0; i < 6; i++)
		tdcs[i] = kvm_alloc_pages(1);
	assert_int_equal(sc(CREATE, tdr, 20, NULL), TDX_SUCCESS);
	assert_int_equal(init_with(tdr, params, NULL), TDX_TD_KEYS_NOT_CONFIGURED);
	assert_int_equal(sc(KEY_CONFIG, tdr, 0, NULL), TDX_SUCCESS);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sc(ADDCX, tdcs[i], tdr, NULL), TDX_SUCCESS);
	assert_int_equal(init_with(tdr, params, NULL), TDX_TDCS_NOT_ALLOCATED);
	assert_int_equal(sc(ADDCX, tdcs[5], tdr, NULL), TDX_SUCCESS);
	assert_int_equal(sc(MNG_RD, tdr, 0x110000000000000Bull, NULL), TDX_OP_STATE_INCORRECT);

	assert_int_equal(sc(MNG_INIT, tdr, params + 0x100, NULL), TDX_OPERAND_INVALID | 2);
	assert_int_equal(init_with(tdr, params, bad_attributes), TDX_OPERAND_INVALID | 64);
	assert_int_equal(init_with(tdr, params, bad_xfam), TDX_OPERAND_INVALID | 65);
	assert_int_equal(init_with(tdr, params, gpaw52), TDX_OPERAND_INVALID | 66);
	assert_int_equal(init_with(tdr, params, bad_eptp), TDX_OPERAND_INVALID | 67);
	assert_int_equal(init_with(tdr, params, zero_vcpus), TDX_OPERAND_INVALID | 68);
	assert_int_equal(init_with(tdr, params, bad_tsc), TDX_OPERAND_INVALID | 70);
	assert_int_equal(init_with(tdr, params, l2_vms), TDX_OPERAND_INVALID | 71);
	assert_int_equal(init_with(tdr, params, reserved), TDX_OPERAND_INVALID | 2);
	struct vtsim_seamcall_args a;
	uint8_t *p = (uint8_t *)vtsim_machine_ram(m, NULL) + params;
	valid_params(p);
	bad_cpuid(p);
	assert_int_equal(sc(MNG_INIT, tdr, params, &a), TDX_OPERAND_INVALID | 69);
	assert_int_equal(a.rcx, 0xffffffff00000001ull);       /* leaf 1, no subleaf */

	assert_int_equal(init_with(tdr, params, NULL), TDX_SUCCESS);
	assert_int_equal(init_with(tdr, params, NULL), TDX_OP_STATE_INCORRECT);
	assert_int_equal(sc(MNG_RD, tdr, 0x110000000000000Bull, &a), TDX_SUCCESS);
	assert_int_equal(a.r8, 1ull << 48);
	assert_int_equal(sc(MNG_RD, tdr, 0x110000000000000Aull, &a), TDX_SUCCESS);
	assert_int_equal(a.r8, 0);
	assert_int_equal(sc(MNG_RD, tdr, 0x1234, &a), TDX_METADATA_FIELD_ID_INCORRECT);
}

static void two_vcpus(uint8_t *p) { p[16] = 2; }

/* A vCPU: its TDVPR page, five TDCX pages, then TDH.VP.INIT (version 1, x2APIC ID). */
static uint64_t make_vcpu(uint64_t tdr, uint32_t x2apic, bool init)
{
	uint64_t tdvpr = kvm_alloc_pages(1);
	assert_int_equal(sc(VP_CREATE, tdvpr, tdr, NULL), TDX_SUCCESS);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sc(VP_ADDCX, kvm_alloc_pages(1), tdvpr, NULL), TDX_SUCCESS);
	if (init) {
		struct vtsim_seamcall_args a = { .rax = VP_INIT | 1 << 16, .rcx = tdvpr, .rdx = 0x1234,
						 .r8 = x2apic };
		assert_int_equal(vtsim_seamcall(m, 0, &a), VTSIM_SEAMCALL_DONE);
		assert_int_equal(a.rax, TDX_SUCCESS);
	}
	return tdvpr;
}

static void test_vcpus_and_finalize(void **state)
{
	uint64_t tdr = kvm_alloc_pages(1), params = kvm_alloc_pages(1), owner;
	assert_int_equal(sc(CREATE, tdr, 21, NULL), TDX_SUCCESS);
	assert_int_equal(sc(KEY_CONFIG, tdr, 0, NULL), TDX_SUCCESS);
	for (int i = 0; i < 6; i++)
		assert_int_equal(sc(ADDCX, kvm_alloc_pages(1), tdr, NULL), TDX_SUCCESS);
	assert_int_equal(sc(VP_CREATE, kvm_alloc_pages(1), tdr, NULL), TDX_OP_STATE_INCORRECT);
	assert_int_equal(init_with(tdr, params, two_vcpus), TDX_SUCCESS);
	enum { VP_ENTER = 0 };

	uint64_t tdvpr = kvm_alloc_pages(1);
	assert_int_equal(sc(VP_CREATE, tdvpr, tdr, NULL), TDX_SUCCESS);
	assert_int_equal(page_type(tdvpr, &owner), PT_TDVPR);
	assert_int_equal(owner, tdr);
	assert_int_equal(sc(VP_INIT, tdvpr, 0, NULL), TDX_TDCX_NUM_INCORRECT);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sc(VP_ADDCX, kvm_alloc_pages(1), tdvpr, NULL), TDX_SUCCESS);
	assert_int_equal(sc(VP_ADDCX, kvm_alloc_pages(1), tdvpr, NULL), TDX_TDCX_NUM_INCORRECT);
	assert_int_equal(sc(VP_ADDCX, kvm_alloc_pages(1), tdr, NULL), TDX_PAGE_METADATA_INCORRECT | 2);
	assert_int_equal(sc(MR_FINALIZE, tdr, 0, NULL), TDX_NO_VCPUS);
	assert_int_equal(sc(VP_INIT | 2 << 16, tdvpr, 0, NULL), TDX_OPERAND_INVALID | 0);
	assert_int_equal(sc(VP_ENTER, tdvpr, 0, NULL), TDX_OP_STATE_INCORRECT);    /* not initialized */
	assert_int_equal(sc(VP_INIT, tdvpr, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(VP_ENTER, tdvpr, 0, NULL), TDX_OP_STATE_INCORRECT);    /* not finalized */
	assert_int_equal(sc(VP_INIT, tdvpr, 0, NULL), TDX_VCPU_STATE_INCORRECT);
	assert_int_equal(sc(VP_ADDCX, kvm_alloc_pages(1), tdvpr, NULL), TDX_VCPU_STATE_INCORRECT);

	make_vcpu(tdr, 1, true);
	uint64_t third = make_vcpu(tdr, 2, false);
	assert_int_equal(sc(VP_INIT, third, 0, NULL), TDX_MAX_VCPUS_EXCEEDED);

	assert_int_equal(sc(MR_FINALIZE, tdr, 0, NULL), TDX_SUCCESS);
	/* A vCPU TDH.VP.INIT refused is not ready: no entry. */
	assert_int_equal(sc(VP_ENTER, third, 0, NULL), TDX_VCPU_STATE_INCORRECT);
	assert_int_equal(sc(MR_FINALIZE, tdr, 0, NULL), TDX_OP_STATE_INCORRECT);
	assert_int_equal(sc(VP_CREATE, kvm_alloc_pages(1), tdr, NULL), TDX_OP_STATE_INCORRECT);
	assert_int_equal(init_with(tdr, params, NULL), TDX_OP_STATE_INCORRECT);
}

/* A TD without vCPUs, created and flushed (TDH.MNG.VPFLUSHDONE): its HKID waits
 * for TDH.PHYMEM.CACHE.WB. */
static uint64_t flushed_td(uint64_t hkid)
{
	uint64_t tdr = kvm_alloc_pages(1);
	assert_int_equal(sc(CREATE, tdr, hkid, NULL), TDX_SUCCESS);
	assert_int_equal(sc(KEY_CONFIG, tdr, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(VPFLUSHDONE, tdr, 0, NULL), TDX_SUCCESS);
	return tdr;
}

/* An interrupt a device raised, waiting in LP 0's local APIC (vector 0x40, above
 * PPR 0), or taken away again. */
static void interrupt_on_lp0(bool pending)
{
	uint32_t *irr = &m->lps[0].lapic.irr[0x40 / 32];
	*irr = pending ? *irr | 1u << (0x40 % 32) : *irr & ~(1u << (0x40 % 32));
}

/* TDH.PHYMEM.CACHE.WB writes the package's caches back in 4 sub-blocks and stops
 * after one while an interrupt is pending: TDX_INTERRUPTED_RESUMABLE, resumed with
 * RCX = 1; resuming with nothing started is TDX_WBCACHE_RESUME_ERROR. The KeyIDs
 * an operation covers are those flushed when it started. */
static void test_cache_wb_interrupted_and_resumed(void **state)
{
	struct vtsim_seamcall_args a;
	assert_int_equal(sc(CACHE_WB, 1, 0, NULL), TDX_WBCACHE_RESUME_ERROR);
	uint64_t td1 = flushed_td(17);
	assert_int_equal(sc(CACHE_WB, 1, 0, NULL), TDX_WBCACHE_RESUME_ERROR);

	/* Interrupted after each sub-block; no outputs; the key waits meanwhile. */
	interrupt_on_lp0(true);
	assert_int_equal(sc(CACHE_WB, 0, 0, &a), TDX_INTERRUPTED_RESUMABLE);
	assert_int_equal(a.rcx, 0);
	assert_int_equal(sc(FREEID, td1, 0, NULL), TDX_WBCACHE_NOT_COMPLETE);
	assert_int_equal(sc(CACHE_WB, 1, 0, NULL), TDX_INTERRUPTED_RESUMABLE);
	/* RCX = 0 starts over: four sub-blocks again. */
	assert_int_equal(sc(CACHE_WB, 0, 0, NULL), TDX_INTERRUPTED_RESUMABLE);
	assert_int_equal(sc(CACHE_WB, 1, 0, NULL), TDX_INTERRUPTED_RESUMABLE);
	/* A second TD flushed now is not covered by the operation under way. */
	uint64_t td2 = flushed_td(18);
	assert_int_equal(sc(CACHE_WB, 1, 0, NULL), TDX_INTERRUPTED_RESUMABLE);
	assert_int_equal(sc(CACHE_WB, 1, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(CACHE_WB, 1, 0, NULL), TDX_WBCACHE_RESUME_ERROR);
	assert_int_equal(sc(FREEID, td1, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(VPFLUSHDONE, td1, 0, NULL), TDX_LIFECYCLE_STATE_INCORRECT);   /* done once */
	assert_int_equal(sc(FREEID, td2, 0, NULL), TDX_WBCACHE_NOT_COMPLETE);

	/* With no interrupt pending it runs to the end in one call. */
	interrupt_on_lp0(false);
	assert_int_equal(sc(CACHE_WB, 0, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(CACHE_WB, 1, 0, NULL), TDX_WBCACHE_RESUME_ERROR);
	assert_int_equal(sc(CACHE_WB, 0, 0, NULL), TDX_NO_HKID_READY_TO_WBCACHE);
	assert_int_equal(sc(FREEID, td2, 0, NULL), TDX_SUCCESS);
	/* An interrupt with nothing to write back changes nothing. */
	interrupt_on_lp0(true);
	assert_int_equal(sc(CACHE_WB, 0, 0, NULL), TDX_NO_HKID_READY_TO_WBCACHE);
	interrupt_on_lp0(false);
	assert_int_equal(sc(RECLAIM, td1, 0, NULL), TDX_SUCCESS);
	assert_int_equal(sc(RECLAIM, td2, 0, NULL), TDX_SUCCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_td_lifecycle_without_vcpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mng_init_checks_td_params, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vcpus_and_finalize, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_wb_interrupted_and_resumed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
