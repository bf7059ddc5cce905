/* The TD MSR virtualization table (sim/tdx_module_stub/td_msr.c), row by row
 * where an image cannot reach it: each access's class for a TD, the rows that
 * depend on the TD's ATTRIBUTES or XFAM (native with the feature, #GP without;
 * this module's FIXED1 bits grant none of them, so no TD can be built with one),
 * and MSRs in no row. The classes a running TD meets (native round trips, #GP,
 * #VE, EFER, REDUCE_VE) are asserted by image/td_native_msr and image/td_ve_msr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim/tdx_module_stub/td.h"

static const struct {
	uint32_t msr;
	unsigned read, write;
} plain[] = {
	{ 0x10, TD_MSR_NATIVE, TD_MSR_VE },            /* IA32_TIME_STAMP_COUNTER */
	{ 0x48, TD_MSR_NATIVE, TD_MSR_NATIVE },        /* IA32_SPEC_CTRL */
	{ 0x87, TD_MSR_VE_OR_GP, TD_MSR_VE_OR_GP },    /* IA32_MKTME_KEYID_PARTITIONING */
	{ 0x8f, TD_MSR_GP, TD_MSR_GP },                /* IA32_SGXLEPUBKEYHASH3 */
	{ 0x9b, TD_MSR_GP, TD_MSR_GP },                /* IA32_SMM_MONITOR_CTL */
	{ 0xbd, TD_MSR_VE_OR_GP, TD_MSR_GP },          /* IA32_XAPIC_DISABLE_STATUS */
	{ 0x10a, TD_MSR_VE_OR_GP, TD_MSR_GP },         /* IA32_ARCH_CAPABILITIES */
	{ 0x174, TD_MSR_NATIVE, TD_MSR_NATIVE },       /* IA32_SYSENTER_CS */
	{ 0x176, TD_MSR_NATIVE, TD_MSR_NATIVE },       /* IA32_SYSENTER_EIP */
	{ 0x1a0, TD_MSR_VE_OR_GP, TD_MSR_VE },         /* IA32_MISC_ENABLE */
	{ 0x1d9, TD_MSR_VE_OR_GP, TD_MSR_VE_OR_GP },   /* IA32_DEBUGCTL */
	{ 0x277, TD_MSR_NATIVE, TD_MSR_NATIVE },       /* IA32_PAT */
	{ 0x480, TD_MSR_VE_OR_GP, TD_MSR_GP },         /* IA32_VMX_BASIC */
	{ 0x492, TD_MSR_VE_OR_GP, TD_MSR_GP },         /* IA32_VMX_PROCBASED_CTLS3 */
	{ 0x493, TD_MSR_VE_OR_GP, TD_MSR_VE_OR_GP },   /* in no row */
	{ 0x600, TD_MSR_NATIVE, TD_MSR_NATIVE },       /* IA32_DS_AREA */
	{ 0x6e0, TD_MSR_VE_OR_GP, TD_MSR_VE_OR_GP },   /* IA32_TSC_DEADLINE */
	{ 0x800, TD_MSR_GP, TD_MSR_GP },               /* reserved x2APIC */
	{ 0x802, TD_MSR_VE_OR_GP, TD_MSR_VE_OR_GP },   /* x2APIC ID: the VMM's (#VE) */
	{ 0x808, TD_MSR_VAPIC, TD_MSR_VAPIC },         /* x2APIC TPR: the virtual APIC's */
	{ 0x80b, TD_MSR_VE_OR_GP, TD_MSR_VAPIC },      /* x2APIC EOI: write-only, virtualized */
	{ 0x820, TD_MSR_VAPIC, TD_MSR_VE_OR_GP },      /* x2APIC IRR: read-only */
	{ 0x830, TD_MSR_VE_OR_GP, TD_MSR_VE_OR_GP },   /* x2APIC ICR: the VMM's (#VE) */
	{ 0x83f, TD_MSR_VE_OR_GP, TD_MSR_VAPIC },      /* x2APIC SELF IPI */
	{ 0x8ff, TD_MSR_GP, TD_MSR_GP },               /* reserved x2APIC */
	{ 0xc80, TD_MSR_NATIVE, TD_MSR_VE },           /* IA32_DEBUG_INTERFACE */
	{ 0xd90, TD_MSR_GP, TD_MSR_GP },               /* IA32_BNDCFGS */
	{ 0xda0, TD_MSR_NATIVE, TD_MSR_XSS_WR },       /* IA32_XSS */
	{ 0x1400, TD_MSR_VE_OR_GP, TD_MSR_VE_OR_GP },  /* IA32_SEAMRR_PHYS_BASE: in no row */
	{ 0x1b01, TD_MSR_NATIVE, TD_MSR_NATIVE },      /* IA32_UARCH_MISC_CTL */
	{ 0xc0000080, TD_MSR_NATIVE, TD_MSR_EFER_WR }, /* IA32_EFER */
	{ 0xc0000081, TD_MSR_NATIVE, TD_MSR_NATIVE },  /* IA32_STAR */
	{ 0xc0000082, TD_MSR_NATIVE, TD_MSR_NATIVE },  /* IA32_LSTAR */
	{ 0xc0000083, TD_MSR_VE_OR_GP, TD_MSR_VE_OR_GP }, /* IA32_CSTAR: in no row */
	{ 0xc0000084, TD_MSR_NATIVE, TD_MSR_NATIVE },  /* IA32_FMASK */
	{ 0xc0000100, TD_MSR_NATIVE, TD_MSR_NATIVE },  /* IA32_FS_BASE */
	{ 0xc0000102, TD_MSR_NATIVE, TD_MSR_NATIVE },  /* IA32_KERNEL_GS_BASE */
	{ 0xc0000103, TD_MSR_NATIVE, TD_MSR_NATIVE },  /* IA32_TSC_AUX */
	{ 0xc0000104, TD_MSR_VE_OR_GP, TD_MSR_VE_OR_GP }, /* in no row */
};

static void test_plain_rows(void **state)
{
	const struct tdcs c = { .xfam = 3 };
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (td_msr_class(&c, plain[i].msr, false) != plain[i].read ||
		    td_msr_class(&c, plain[i].msr, true) != plain[i].write)
			fail_msg("MSR 0x%x: read %u write %u, expected %u %u", plain[i].msr,
				 td_msr_class(&c, plain[i].msr, false), td_msr_class(&c, plain[i].msr, true),
				 plain[i].read, plain[i].write);
	}
}

/* A row that needs a feature: #GP without it, native with it. */
static const struct {
	uint32_t msr;
	uint64_t attributes, xfam;     /* what grants it */
} conditional[] = {
	{ 0xc1, 1ull << 63, 0 },          /* IA32_PMC0: PERFMON */
	{ 0x38f, 1ull << 63, 0 },         /* IA32_PERF_GLOBAL_CTRL */
	{ 0x4c8, 1ull << 63, 0 },         /* IA32_A_PMC7 */
	{ 0x6e1, 1ull << 30, 0 },         /* IA32_PKRS: PKS */
	{ 0x570, 0, 1ull << 8 },          /* IA32_RTIT_CTL: XFAM PT */
	{ 0x6a2, 0, 3ull << 11 },         /* IA32_S_CET: XFAM CET (both bits) */
	{ 0x985, 0, 1ull << 14 },         /* IA32_UINTR_RR: XFAM ULI */
	{ 0x14ce, 0, 1ull << 15 },        /* IA32_LBR_CTL: XFAM LBR */
	{ 0x1c4, 0, 3ull << 17 },         /* IA32_XFD: XFAM AMX */
};

static void test_conditional_rows(void **state)
{
	for (size_t i = 0; i < sizeof(conditional) / sizeof(conditional[0]); i++) {
		uint32_t msr = conditional[i].msr;
		struct tdcs without = { .xfam = 3 };
		struct tdcs with = { .attributes = conditional[i].attributes, .xfam = 3 | conditional[i].xfam };
		assert_int_equal(td_msr_class(&without, msr, false), TD_MSR_GP);
		assert_int_equal(td_msr_class(&without, msr, true), TD_MSR_GP);
		assert_int_equal(td_msr_class(&with, msr, false), TD_MSR_NATIVE);
		assert_int_equal(td_msr_class(&with, msr, true), TD_MSR_NATIVE);
	}
	/* CET needs both XFAM bits. */
	const struct tdcs half = { .xfam = 3 | 1ull << 11 };
	assert_int_equal(td_msr_class(&half, 0x6a0, false), TD_MSR_GP);
	/* TSX_CTRL and UMWAIT_CONTROL: no CPU model here has TSX or WAITPKG. */
	const struct tdcs all = { .attributes = ~0ull, .xfam = ~0ull };
	assert_int_equal(td_msr_class(&all, 0x122, false), TD_MSR_GP);
	assert_int_equal(td_msr_class(&all, 0xe1, true), TD_MSR_GP);
	/* PERF_CAPABILITIES: the read is the module's ("other"), a write native with PERFMON. */
	assert_int_equal(td_msr_class(&all, 0x345, false), TD_MSR_VE_OR_GP);
	assert_int_equal(td_msr_class(&all, 0x345, true), TD_MSR_NATIVE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_rows),
		cmocka_unit_test(test_conditional_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
