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

#include "kvmlike/kvm.h"
#include "kvmlike/runtime_hosted.h"
#include "sim/tdx_module_stub/status.h"
#include "vtsim/hosted.h"

enum { ADDCX = 1, KEY_CONFIG = 8, CREATE = 9, VPFLUSHDONE = 19, FREEID = 20, RDMD = 24,
       RECLAIMID = 27, RECLAIM = 28, CACHE_WB = 40, WBINVD = 41 };
enum { PT_NDA = 0, PT_TDR = 4, PT_TDCX = 5 };

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
	assert_int_equal(sc(CREATE, tdr, hkid, NULL), TDX_SUCCESS);
	assert_int_equal(page_type(tdr, &owner), PT_TDR);
	assert_int_equal(owner, 0);
	assert_int_equal(sc(CREATE, tdr, 18, NULL), TDX_PAGE_METADATA_INCORRECT | 1);
	assert_int_equal(sc(CREATE, tdcx[6], hkid, NULL), TDX_HKID_NOT_FREE | 2);

	/* The key comes before any TDCS page; once per package. */
	assert_int_equal(sc(ADDCX, tdcx[0], tdr, NULL), TDX_TD_KEYS_NOT_CONFIGURED);
	assert_int_equal(sc(KEY_CONFIG, tdcx[0], 0, NULL), TDX_PAGE_METADATA_INCORRECT | 1);
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
	/* The TDR's cache lines go with the global KeyID (16), above the 40 PA bits. */
	assert_int_equal(sc(WBINVD, tdr | 16ull << 40, 0, NULL), TDX_SUCCESS);

	/* The HKID is free again. */
	assert_int_equal(sc(CREATE, tdr, hkid, NULL), TDX_SUCCESS);
	assert_int_equal(sc(WBINVD, tdr | 16ull << 40, 0, NULL), TDX_PAGE_METADATA_INCORRECT | 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_td_lifecycle_without_vcpus, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
