/* VM-entry checks, class host (checklist section B): the valid fixture passes every
 * row; for every ID, breaking exactly that rule makes the host class fail with that ID
 * and names the field found wrong; boundary values pass.
 *
 * Only the host class runs here. Rows that depend on a VM-exit control the xeon model
 * cannot enable ("load CET state", "load PKRS", "load IA32_PERF_GLOBAL_CTRL", the
 * secondary VM-exit controls) are driven by writing that control into the VMCS anyway:
 * the control class would refuse it (CTL_EXIT_RESERVED), but the host rows read only
 * the VMCS, so they are exercised as a model with the feature would run them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sim/vmcs/caps.h"
#include "sim/vmcs/entry.h"
#include "sim/vmcs/vmcs.h"
#include "tests/unit/entry_fixture.h"

#define BIT64(n) (1ull << (n))

#define EXIT_HOST_ADDR64      BIT64(9)
#define EXIT_LOAD_PERF_GLOBAL BIT64(12)
#define EXIT_LOAD_PAT         BIT64(19)
#define EXIT_LOAD_EFER        BIT64(21)
#define EXIT_LOAD_CET         BIT64(28)
#define EXIT_LOAD_PKRS        BIT64(29)
#define EXIT_SECONDARY        BIT64(31)
#define EXIT2_LOAD_FRED       BIT64(1)
#define EXIT2_LOAD_SPEC_CTRL  BIT64(2)
#define ENTRY_IA32E_GUEST     BIT64(9)

#define CR0_PG    BIT64(31)
#define CR0_WP    BIT64(16)
#define CR4_PAE   BIT64(5)
#define CR4_VMXE  BIT64(13)
#define CR4_PCIDE BIT64(17)
#define CR4_CET   BIT64(23)

static struct vmcs_cache vmcs;
static struct entry_ctx ctx;
static struct entry_diag diag;
static const struct vmcs_caps *caps;

/* The fixture: a 64-bit host entered from IA-32e mode. */
static void fresh(void)
{
	caps = vmcs_caps_for_model("xeon");
	assert_non_null(caps);
	memset(&ctx, 0, sizeof(ctx));
	entry_fixture_valid(&vmcs, caps);
	entry_fixture_ctx(&ctx, &vmcs, caps, NULL, &diag);
	ctx.lma = true;
}

/* The fixture turned into a 32-bit host entered from outside IA-32e mode (legacy
 * protected mode), with a 32-bit guest: also valid. */
static void fresh32(void)
{
	fresh();
	ctx.lma = false;
	vmcs_write_enc(&vmcs, VM_EXIT_CONTROLS, vmcs_read_enc(&vmcs, VM_EXIT_CONTROLS) & ~EXIT_HOST_ADDR64);
	vmcs_write_enc(&vmcs, VM_ENTRY_CONTROLS, vmcs_read_enc(&vmcs, VM_ENTRY_CONTROLS) & ~ENTRY_IA32E_GUEST);
}

static void set(uint32_t enc, uint64_t v)
{
	vmcs_write_enc(&vmcs, enc, v);
}

static void or_bits(uint32_t enc, uint64_t bits)
{
	vmcs_write_enc(&vmcs, enc, vmcs_read_enc(&vmcs, enc) | bits);
}

static void clear_bits(uint32_t enc, uint64_t bits)
{
	vmcs_write_enc(&vmcs, enc, vmcs_read_enc(&vmcs, enc) & ~bits);
}

static void passes(void)
{
	const struct entry_check *r = entry_run(&ctx, ENTRY_HOST);
	if (r)
		print_message("unexpected %s: %s\n", r->id, diag.rule);
	assert_null(r);
}

static void fails(const char *id, uint32_t field)
{
	const struct entry_check *r = entry_run(&ctx, ENTRY_HOST);
	assert_non_null(r);
	assert_string_equal(r->id, id);
	assert_string_equal(diag.id, id);
	assert_int_equal(diag.cls, ENTRY_HOST);
	assert_int_equal(diag.field, field);
	assert_int_equal(diag.value, vmcs_read_enc(&vmcs, field));
	assert_true(diag.rule[0] != '\0');
}

/* A row's predicate alone, for rules an earlier row always shadows on xeon. */
static bool pred(const char *id)
{
	for (size_t i = 0; i < entry_checks_host_count; i++)
		if (strcmp(entry_checks_host[i].id, id) == 0) {
			memset(&diag, 0, sizeof(diag));
			return entry_checks_host[i].pred(&ctx);
		}
	fail_msg("no row %s", id);
	return false;
}

static void test_entry_host_fixture_passes(void **state)
{
	(void)state;
	fresh();
	assert_null(entry_run(&ctx, ENTRY_HOST));
	fresh32();
	assert_null(entry_run(&ctx, ENTRY_HOST));
}

/* Every ID of checklist section B, in its order, once. */
static void test_entry_host_table(void **state)
{
	(void)state;
	static const char *const ids[] = {
		"HOST_ADDRSZ_LMA1", "HOST_ADDRSZ_LMA0", "HOST_CR0_FIXED", "HOST_CR4_FIXED",
		"HOST_CR3_WIDTH", "HOST_CET_WP", "HOST_SYSENTER_CANON", "HOST_CET_STATE",
		"HOST_PERF_GLOBAL_CTRL", "HOST_PAT", "HOST_EFER", "HOST_PKRS", "HOST_FRED",
		"HOST_SPEC_CTRL", "HOST_SEL_RPL_TI", "HOST_CS_NONNULL", "HOST_TR_NONNULL",
		"HOST_SS_NONNULL", "HOST_BASE_CANON", "HOST_ADDRSZ0_RULES", "HOST_ADDRSZ1_RULES",
	};
	assert_int_equal(entry_checks_host_count, sizeof(ids) / sizeof(ids[0]));
	for (size_t i = 0; i < entry_checks_host_count; i++) {
		assert_string_equal(entry_checks_host[i].id, ids[i]);
		assert_non_null(entry_checks_host[i].section);
		assert_true(entry_checks_host[i].section[0] == '2');
		assert_non_null(entry_checks_host[i].summary);
		assert_non_null(entry_checks_host[i].pred);
	}
}

static void test_entry_host_addrsz_lma1(void **state)
{
	(void)state;
	fresh();
	clear_bits(VM_EXIT_CONTROLS, EXIT_HOST_ADDR64);
	fails("HOST_ADDRSZ_LMA1", VM_EXIT_CONTROLS);
}

static void test_entry_host_addrsz_lma0(void **state)
{
	(void)state;
	/* Outside IA-32e mode with an IA-32e guest. */
	fresh32();
	or_bits(VM_ENTRY_CONTROLS, ENTRY_IA32E_GUEST);
	fails("HOST_ADDRSZ_LMA0", VM_ENTRY_CONTROLS);
	/* Outside IA-32e mode with a 64-bit host. */
	fresh32();
	or_bits(VM_EXIT_CONTROLS, EXIT_HOST_ADDR64);
	fails("HOST_ADDRSZ_LMA0", VM_EXIT_CONTROLS);
	/* The fixture's 64-bit controls, entered from legacy mode. */
	fresh();
	ctx.lma = false;
	fails("HOST_ADDRSZ_LMA0", VM_ENTRY_CONTROLS);
}

static void test_entry_host_cr0_fixed(void **state)
{
	(void)state;
	fresh();
	clear_bits(HOST_CR0, CR0_PG);              /* FIXED0 requires PG */
	fails("HOST_CR0_FIXED", HOST_CR0);
	fresh();
	or_bits(HOST_CR0, BIT64(32));              /* beyond FIXED1 */
	fails("HOST_CR0_FIXED", HOST_CR0);
	/* Boundary: exactly the FIXED0 bits (PE, NE, PG). */
	fresh();
	set(HOST_CR0, 0x80000021);
	passes();
}

static void test_entry_host_cr4_fixed(void **state)
{
	(void)state;
	fresh();
	clear_bits(HOST_CR4, CR4_VMXE);            /* FIXED0 requires VMXE */
	fails("HOST_CR4_FIXED", HOST_CR4);
	fresh();
	or_bits(HOST_CR4, BIT64(12));              /* LA57: xeon's CPUID lacks it */
	fails("HOST_CR4_FIXED", HOST_CR4);
	fresh();
	or_bits(HOST_CR4, CR4_PCIDE);              /* no PCID on xeon either */
	fails("HOST_CR4_FIXED", HOST_CR4);
}

static void test_entry_host_cr3_width(void **state)
{
	(void)state;
	fresh();                                   /* MAXPHYADDR 46 */
	set(HOST_CR3, BIT64(46) | FIX_HOST_CR3);
	fails("HOST_CR3_WIDTH", HOST_CR3);
	fresh();
	set(HOST_CR3, BIT64(63) | FIX_HOST_CR3);
	fails("HOST_CR3_WIDTH", HOST_CR3);
	/* No LAM on xeon: bits 62:61 are not exempt. */
	fresh();
	set(HOST_CR3, BIT64(61) | FIX_HOST_CR3);
	fails("HOST_CR3_WIDTH", HOST_CR3);
	/* Boundary: the highest address bit below MAXPHYADDR, and the PCD/PWT/low bits. */
	fresh();
	set(HOST_CR3, 0x00003ffffffff000ull | 0x18);
	passes();
}

/* CR4.CET (bit 23) is outside xeon's IA32_VMX_CR4_FIXED1, so HOST_CR4_FIXED always
 * fails first on xeon; the rule itself is checked through its predicate. */
static void test_entry_host_cet_wp(void **state)
{
	(void)state;
	fresh();
	or_bits(HOST_CR4, CR4_CET);
	clear_bits(HOST_CR0, CR0_WP);
	fails("HOST_CR4_FIXED", HOST_CR4);
	assert_false(pred("HOST_CET_WP"));
	assert_int_equal(diag.field, HOST_CR0);
	assert_int_equal(diag.value, vmcs_read_enc(&vmcs, HOST_CR0));
	/* WP set, or CET clear: holds. */
	or_bits(HOST_CR0, CR0_WP);
	assert_true(pred("HOST_CET_WP"));
	fresh();
	clear_bits(HOST_CR0, CR0_WP);
	assert_true(pred("HOST_CET_WP"));
	passes();
}

static void test_entry_host_sysenter_canon(void **state)
{
	(void)state;
	fresh();
	set(HOST_IA32_SYSENTER_ESP, 0x0000800000000000ull);
	fails("HOST_SYSENTER_CANON", HOST_IA32_SYSENTER_ESP);
	fresh();
	set(HOST_IA32_SYSENTER_EIP, 0xffff7fffffffffffull);
	fails("HOST_SYSENTER_CANON", HOST_IA32_SYSENTER_EIP);
	/* Boundaries of the canonical halves. */
	fresh();
	set(HOST_IA32_SYSENTER_ESP, 0x00007fffffffffffull);
	set(HOST_IA32_SYSENTER_EIP, 0xffff800000000000ull);
	passes();
}

static void test_entry_host_cet_state(void **state)
{
	(void)state;
	/* Without "load CET state" the CET fields are not looked at. */
	fresh();
	set(HOST_S_CET, 0x3c0);
	set(HOST_SSP, 3);
	passes();

	fresh();
	or_bits(VM_EXIT_CONTROLS, EXIT_LOAD_CET);
	passes();                                  /* all zero: valid */
	set(HOST_S_CET, BIT64(6));                 /* reserved */
	fails("HOST_CET_STATE", HOST_S_CET);
	set(HOST_S_CET, 0x0000800000000000ull);    /* legacy bitmap base not canonical */
	fails("HOST_CET_STATE", HOST_S_CET);
	set(HOST_S_CET, 0xffff800000000c3full);    /* every non-reserved low bit, canonical */
	passes();
	set(HOST_SSP, 0x7ffffffff002ull);          /* bits 1:0 */
	fails("HOST_CET_STATE", HOST_SSP);
	set(HOST_SSP, 0x0001000000000000ull);      /* not canonical */
	fails("HOST_CET_STATE", HOST_SSP);
	set(HOST_SSP, 0x00007ffffffffffcull);
	passes();
	set(HOST_INTR_SSP_TABLE, 0x8000000000000000ull);
	fails("HOST_CET_STATE", HOST_INTR_SSP_TABLE);
	set(HOST_INTR_SSP_TABLE, 0xffff800000000000ull);
	passes();

	/* A 32-bit host: S_CET and SSP must fit in 32 bits. */
	fresh32();
	or_bits(VM_EXIT_CONTROLS, EXIT_LOAD_CET);
	set(HOST_SSP, 0xfffffffcull);
	passes();
	set(HOST_SSP, 0x100000000ull);
	fails("HOST_CET_STATE", HOST_SSP);
	set(HOST_SSP, 0);
	set(HOST_S_CET, 0x100000000ull);
	fails("HOST_CET_STATE", HOST_S_CET);
}

/* xeon has no architectural PMU (CPUID.0AH is 0): every IA32_PERF_GLOBAL_CTRL bit is
 * reserved, so only 0 may be loaded. */
static void test_entry_host_perf_global_ctrl(void **state)
{
	(void)state;
	fresh();
	set(HOST_IA32_PERF_GLOBAL_CTRL, 1);
	passes();                                  /* control clear: not checked */
	or_bits(VM_EXIT_CONTROLS, EXIT_LOAD_PERF_GLOBAL);
	fails("HOST_PERF_GLOBAL_CTRL", HOST_IA32_PERF_GLOBAL_CTRL);
	set(HOST_IA32_PERF_GLOBAL_CTRL, BIT64(32));
	fails("HOST_PERF_GLOBAL_CTRL", HOST_IA32_PERF_GLOBAL_CTRL);
	set(HOST_IA32_PERF_GLOBAL_CTRL, 0);
	passes();
}

static void test_entry_host_pat(void **state)
{
	(void)state;
	fresh();
	set(HOST_IA32_PAT, 0x0202020202020202ull);
	passes();                                  /* control clear: not checked */
	or_bits(VM_EXIT_CONTROLS, EXIT_LOAD_PAT);
	fails("HOST_PAT", HOST_IA32_PAT);
	set(HOST_IA32_PAT, 0x0007040600070403ull); /* entry 0 = 3 */
	fails("HOST_PAT", HOST_IA32_PAT);
	set(HOST_IA32_PAT, 0x0807040600070406ull); /* entry 7 = 8 */
	fails("HOST_PAT", HOST_IA32_PAT);
	set(HOST_IA32_PAT, 0x1007040600070406ull); /* high bits of an entry */
	fails("HOST_PAT", HOST_IA32_PAT);
	/* Boundary: every valid type somewhere. */
	set(HOST_IA32_PAT, 0x0706050401000706ull);
	passes();
}

static void test_entry_host_efer(void **state)
{
	(void)state;
	fresh();
	set(HOST_IA32_EFER, 0);
	passes();                                  /* control clear: not checked */
	fresh();
	or_bits(VM_EXIT_CONTROLS, EXIT_LOAD_EFER);
	passes();                                  /* SCE, LME, LMA, NXE */
	set(HOST_IA32_EFER, 0xd01 | BIT64(12));    /* SVME: not on Intel */
	fails("HOST_EFER", HOST_IA32_EFER);
	set(HOST_IA32_EFER, 0xd01 | BIT64(63));
	fails("HOST_EFER", HOST_IA32_EFER);
	set(HOST_IA32_EFER, 0x901);                /* LMA clear with a 64-bit host */
	fails("HOST_EFER", HOST_IA32_EFER);
	set(HOST_IA32_EFER, 0xc01);                /* LME clear with a 64-bit host */
	fails("HOST_EFER", HOST_IA32_EFER);
	/* A 32-bit host: LMA and LME must both be 0. */
	fresh32();
	or_bits(VM_EXIT_CONTROLS, EXIT_LOAD_EFER);
	set(HOST_IA32_EFER, 0x801);
	passes();
	set(HOST_IA32_EFER, 0x901);                /* LME */
	fails("HOST_EFER", HOST_IA32_EFER);
	set(HOST_IA32_EFER, 0x401);                /* LMA */
	fails("HOST_EFER", HOST_IA32_EFER);
}

static void test_entry_host_pkrs(void **state)
{
	(void)state;
	fresh();
	set(HOST_IA32_PKRS, BIT64(32));
	passes();                                  /* control clear: not checked */
	or_bits(VM_EXIT_CONTROLS, EXIT_LOAD_PKRS);
	fails("HOST_PKRS", HOST_IA32_PKRS);
	set(HOST_IA32_PKRS, 0xffffffffull);        /* boundary */
	passes();
}

static void test_entry_host_fred(void **state)
{
	(void)state;
	/* Secondary controls count only with "activate secondary VM-exit controls". */
	fresh();
	set(SECONDARY_VM_EXIT_CONTROLS, EXIT2_LOAD_FRED);
	set(HOST_IA32_FRED_CONFIG, 4);
	passes();

	fresh();
	or_bits(VM_EXIT_CONTROLS, EXIT_SECONDARY);
	set(SECONDARY_VM_EXIT_CONTROLS, EXIT2_LOAD_FRED);
	passes();                                  /* all zero: valid */
	set(HOST_IA32_FRED_CONFIG, 4);             /* bit 2 */
	fails("HOST_FRED", HOST_IA32_FRED_CONFIG);
	set(HOST_IA32_FRED_CONFIG, BIT64(11));
	fails("HOST_FRED", HOST_IA32_FRED_CONFIG);
	set(HOST_IA32_FRED_CONFIG, 0x0000800000000000ull);
	fails("HOST_FRED", HOST_IA32_FRED_CONFIG);
	/* Every non-reserved bit: entry point, stack level, redzone, shadow-stack, CSL. */
	set(HOST_IA32_FRED_CONFIG, 0xfffffffffffff7cbull);
	passes();
	set(HOST_IA32_FRED_RSP1, 0x7fffffffffe0ull); /* not 64-byte aligned */
	fails("HOST_FRED", HOST_IA32_FRED_RSP1);
	set(HOST_IA32_FRED_RSP1, 0x7fffffffffc0ull);
	passes();
	set(HOST_IA32_FRED_RSP3, 0x0000800000000000ull);
	fails("HOST_FRED", HOST_IA32_FRED_RSP3);
	set(HOST_IA32_FRED_RSP3, 0xffff800000000000ull);
	passes();
	set(HOST_IA32_FRED_SSP2, 0x1004);          /* not 8-byte aligned */
	fails("HOST_FRED", HOST_IA32_FRED_SSP2);
	set(HOST_IA32_FRED_SSP2, 0x1008);
	passes();
	set(HOST_IA32_FRED_SSP3, 0x8000000000000000ull);
	fails("HOST_FRED", HOST_IA32_FRED_SSP3);
}

/* xeon's CPUID enumerates no IA32_SPEC_CTRL bit: only 0 may be loaded. */
static void test_entry_host_spec_ctrl(void **state)
{
	(void)state;
	fresh();
	set(SECONDARY_VM_EXIT_CONTROLS, EXIT2_LOAD_SPEC_CTRL);
	set(HOST_IA32_SPEC_CTRL, 1);
	passes();                                  /* secondary controls not active */
	or_bits(VM_EXIT_CONTROLS, EXIT_SECONDARY);
	fails("HOST_SPEC_CTRL", HOST_IA32_SPEC_CTRL);
	set(HOST_IA32_SPEC_CTRL, 0);
	passes();
}

static void test_entry_host_sel_rpl_ti(void **state)
{
	(void)state;
	static const uint32_t sels[] = { HOST_ES_SELECTOR, HOST_CS_SELECTOR, HOST_SS_SELECTOR,
					 HOST_DS_SELECTOR, HOST_FS_SELECTOR, HOST_GS_SELECTOR,
					 HOST_TR_SELECTOR };
	for (size_t i = 0; i < sizeof(sels) / sizeof(sels[0]); i++) {
		fresh();
		or_bits(sels[i], 3);                   /* RPL 3 */
		fails("HOST_SEL_RPL_TI", sels[i]);
		fresh();
		or_bits(sels[i], 4);                   /* TI: the LDT */
		fails("HOST_SEL_RPL_TI", sels[i]);
	}
	/* Boundary: the highest GDT selector with RPL 0. */
	fresh();
	set(HOST_DS_SELECTOR, 0xfff8);
	passes();
}

static void test_entry_host_cs_nonnull(void **state)
{
	(void)state;
	fresh();
	set(HOST_CS_SELECTOR, 0);
	fails("HOST_CS_NONNULL", HOST_CS_SELECTOR);
}

static void test_entry_host_tr_nonnull(void **state)
{
	(void)state;
	fresh();
	set(HOST_TR_SELECTOR, 0);
	fails("HOST_TR_NONNULL", HOST_TR_SELECTOR);
}

static void test_entry_host_ss_nonnull(void **state)
{
	(void)state;
	fresh32();
	set(HOST_SS_SELECTOR, 0);
	fails("HOST_SS_NONNULL", HOST_SS_SELECTOR);
	/* A 64-bit host may have a null SS (and null data selectors). */
	fresh();
	set(HOST_SS_SELECTOR, 0);
	set(HOST_DS_SELECTOR, 0);
	set(HOST_ES_SELECTOR, 0);
	passes();
}

static void test_entry_host_base_canon(void **state)
{
	(void)state;
	static const uint32_t bases[] = { HOST_FS_BASE, HOST_GS_BASE, HOST_GDTR_BASE,
					  HOST_IDTR_BASE, HOST_TR_BASE };
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		fresh();
		set(bases[i], 0x0000800000000000ull);
		fails("HOST_BASE_CANON", bases[i]);
		fresh();
		set(bases[i], 0x00007fffffffffffull);
		passes();
		set(bases[i], 0xffff800000000000ull);
		passes();
	}
	/* The rule holds for a 32-bit host too (the fields are 64 bits wide). */
	fresh32();
	set(HOST_GS_BASE, 0x8000000000000000ull);
	fails("HOST_BASE_CANON", HOST_GS_BASE);
}

static void test_entry_host_addrsz0_rules(void **state)
{
	(void)state;
	fresh32();
	set(HOST_RIP, 0x100000000ull);
	fails("HOST_ADDRSZ0_RULES", HOST_RIP);
	set(HOST_RIP, 0xffffffffull);              /* boundary */
	passes();
	/* PCIDE is outside xeon's CR4_FIXED1 (HOST_CR4_FIXED fails first), and an IA-32e
	 * guest with a 32-bit host is caught first by HOST_ADDRSZ_LMA1/LMA0 whatever
	 * EFER.LMA is; both halves are checked through the predicate. */
	fresh32();
	or_bits(HOST_CR4, CR4_PCIDE);
	fails("HOST_CR4_FIXED", HOST_CR4);
	assert_false(pred("HOST_ADDRSZ0_RULES"));
	assert_int_equal(diag.field, HOST_CR4);
	fresh32();
	or_bits(VM_ENTRY_CONTROLS, ENTRY_IA32E_GUEST);
	fails("HOST_ADDRSZ_LMA0", VM_ENTRY_CONTROLS);
	assert_false(pred("HOST_ADDRSZ0_RULES"));
	assert_int_equal(diag.field, VM_ENTRY_CONTROLS);
	/* A 64-bit host is not subject to these rules. */
	fresh();
	set(HOST_RIP, 0xffffffff80000000ull);
	passes();
}

static void test_entry_host_addrsz1_rules(void **state)
{
	(void)state;
	fresh();
	clear_bits(HOST_CR4, CR4_PAE);
	fails("HOST_ADDRSZ1_RULES", HOST_CR4);
	fresh();
	set(HOST_RIP, 0x0000800000000000ull);
	fails("HOST_ADDRSZ1_RULES", HOST_RIP);
	set(HOST_RIP, 0x00007fffffffffffull);      /* boundaries */
	passes();
	set(HOST_RIP, 0xffff800000000000ull);
	passes();
	/* A 32-bit host may run without PAE. */
	fresh32();
	clear_bits(HOST_CR4, CR4_PAE);
	passes();
}

/* Random host fields and controls: the class never crashes, and any failure names a
 * row of the table and a field. */
static void test_entry_host_random(void **state)
{
	(void)state;
	static const uint32_t fields[] = {
		VM_EXIT_CONTROLS, SECONDARY_VM_EXIT_CONTROLS, VM_ENTRY_CONTROLS,
		HOST_CR0, HOST_CR3, HOST_CR4, HOST_RIP, HOST_RSP,
		HOST_ES_SELECTOR, HOST_CS_SELECTOR, HOST_SS_SELECTOR, HOST_DS_SELECTOR,
		HOST_FS_SELECTOR, HOST_GS_SELECTOR, HOST_TR_SELECTOR,
		HOST_FS_BASE, HOST_GS_BASE, HOST_TR_BASE, HOST_GDTR_BASE, HOST_IDTR_BASE,
		HOST_IA32_SYSENTER_ESP, HOST_IA32_SYSENTER_EIP, HOST_S_CET, HOST_SSP,
		HOST_INTR_SSP_TABLE, HOST_IA32_PAT, HOST_IA32_EFER, HOST_IA32_PERF_GLOBAL_CTRL,
		HOST_IA32_PKRS, HOST_IA32_FRED_CONFIG, HOST_IA32_FRED_RSP1, HOST_IA32_FRED_SSP1,
		HOST_IA32_SPEC_CTRL,
	};
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned failed = 0;
	for (int n = 0; n < 20000; n++) {
		fresh();
		ctx.lma = n & 1;
		ctx.maxphyaddr = (unsigned)(n % 70);
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if (x & 1)
				set(fields[i], (x & 2) ? x : (x >> 40));
		}
		const struct entry_check *r = entry_run(&ctx, ENTRY_HOST);
		if (r) {
			failed++;
			assert_true(r >= entry_checks_host &&
				    r < entry_checks_host + entry_checks_host_count);
			assert_true(diag.field != 0);
		}
	}
	assert_true(failed > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_host_fixture_passes),
		cmocka_unit_test(test_entry_host_table),
		cmocka_unit_test(test_entry_host_addrsz_lma1),
		cmocka_unit_test(test_entry_host_addrsz_lma0),
		cmocka_unit_test(test_entry_host_cr0_fixed),
		cmocka_unit_test(test_entry_host_cr4_fixed),
		cmocka_unit_test(test_entry_host_cr3_width),
		cmocka_unit_test(test_entry_host_cet_wp),
		cmocka_unit_test(test_entry_host_sysenter_canon),
		cmocka_unit_test(test_entry_host_cet_state),
		cmocka_unit_test(test_entry_host_perf_global_ctrl),
		cmocka_unit_test(test_entry_host_pat),
		cmocka_unit_test(test_entry_host_efer),
		cmocka_unit_test(test_entry_host_pkrs),
		cmocka_unit_test(test_entry_host_fred),
		cmocka_unit_test(test_entry_host_spec_ctrl),
		cmocka_unit_test(test_entry_host_sel_rpl_ti),
		cmocka_unit_test(test_entry_host_cs_nonnull),
		cmocka_unit_test(test_entry_host_tr_nonnull),
		cmocka_unit_test(test_entry_host_ss_nonnull),
		cmocka_unit_test(test_entry_host_base_canon),
		cmocka_unit_test(test_entry_host_addrsz0_rules),
		cmocka_unit_test(test_entry_host_addrsz1_rules),
		cmocka_unit_test(test_entry_host_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
