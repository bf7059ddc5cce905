/* VMX capability MSRs of the CPU models: the architectural invariants of their values
 * (SDM Vol. 3 Appendix A), which MSRs exist, consistency with the CPUID models, and
 * which VMCS fields each model supports. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "sim/cpu/cpuid.h"
#include "sim/vmcs/caps.h"
#include "sim/vmcs/fields.h"

#define BIT64(n) (1ull << (n))

/* Default1 classes of the four original control words. */
#define PIN_DEFAULT1   0x00000016u
#define PROC_DEFAULT1  0x0401E172u
#define EXIT_DEFAULT1  0x00036DFFu
#define ENTRY_DEFAULT1 0x000011FFu

#define BASIC_TRUE_CTLS BIT64(55)

/* Control bits the tests refer to. */
#define PIN_VIRTUAL_NMIS       BIT64(5)
#define PIN_PREEMPTION_TIMER   BIT64(6)
#define PIN_POSTED_INTR        BIT64(7)
#define PROC_CR3_LOAD          BIT64(15)
#define PROC_CR3_STORE         BIT64(16)
#define PROC_TERTIARY          BIT64(17)
#define PROC_TPR_SHADOW        BIT64(21)
#define PROC_NMI_WINDOW        BIT64(22)
#define PROC_SECONDARY         BIT64(31)
#define PROC2_EPT              BIT64(1)
#define PROC2_RDTSCP           BIT64(3)
#define PROC2_X2APIC           BIT64(4)
#define PROC2_VPID             BIT64(5)
#define PROC2_UG               BIT64(7)
#define PROC2_APIC_REG         BIT64(8)
#define PROC2_VID              BIT64(9)
#define PROC2_RDRAND_EXITING   BIT64(11)
#define PROC2_INVPCID          BIT64(12)
#define PROC2_VMFUNC           BIT64(13)
#define PROC2_SHADOW_VMCS      BIT64(14)
#define PROC2_ENCLS            BIT64(15)
#define PROC2_RDSEED_EXITING   BIT64(16)
#define PROC2_PML              BIT64(17)
#define PROC2_EPT_VE           BIT64(18)
#define PROC2_XSAVES           BIT64(20)
#define PROC2_USR_WAIT_PAUSE   BIT64(26)
#define PROC3_IPI_VIRT         BIT64(4)
#define EXIT_SAVE_DEBUG        BIT64(2)
#define EXIT_HOST_64           BIT64(9)
#define EXIT_LOAD_PERF_GLOBAL  BIT64(12)
#define EXIT_ACK_INTR          BIT64(15)
#define EXIT_SAVE_PREEMPTION   BIT64(22)
#define EXIT_LOAD_CET          BIT64(28)
#define EXIT_SAVE_PERF_GLOBAL  BIT64(30)
#define EXIT_SECONDARY         BIT64(31)
#define ENTRY_LOAD_DEBUG       BIT64(2)
#define ENTRY_IA32E            BIT64(9)
#define ENTRY_SMM              BIT64(10)
#define ENTRY_DEACT_DUAL_MON   BIT64(11)
#define ENTRY_LOAD_PERF_GLOBAL BIT64(13)
#define ENTRY_LOAD_CET         BIT64(20)
#define ENTRY_LOAD_PKRS        BIT64(22)
#define MISC_SAVE_EFER_LMA     BIT64(5)
#define MISC_VMWRITE_ALL       BIT64(29)
#define EPT_CAP_WALK4          BIT64(6)
#define EPT_CAP_WALK5          BIT64(7)
#define EPT_CAP_UC             BIT64(8)
#define EPT_CAP_WB             BIT64(14)
#define EPT_CAP_1G             BIT64(17)
#define EPT_CAP_INVEPT         BIT64(20)
#define EPT_CAP_AD             BIT64(21)
#define EPT_CAP_INVEPT_TYPES   (BIT64(25) | BIT64(26))
#define VPID_CAP_INVVPID       BIT64(32)
#define VPID_CAP_TYPES         (BIT64(40) | BIT64(41) | BIT64(42) | BIT64(43))

static const char *const model_names[] = { "xeon", "minimal" };

static const struct vmcs_caps *caps(const char *name)
{
	const struct vmcs_caps *c = vmcs_caps_for_model(name);

	assert_non_null(c);
	return c;
}

static uint64_t rd(const struct vmcs_caps *c, uint32_t msr)
{
	uint64_t v = 0xDEADBEEF;

	assert_int_equal(vmcs_caps_rdmsr(c, msr, &v), 0);
	return v;
}

static bool present(const struct vmcs_caps *c, uint32_t msr)
{
	uint64_t v = 0x5A5A;
	int r = vmcs_caps_rdmsr(c, msr, &v);

	if (r)
		assert_int_equal(v, 0x5A5A);  /* untouched on #GP */
	return r == 0;
}

static uint32_t lo(uint64_t v) { return (uint32_t)v; }
static uint32_t hi(uint64_t v) { return (uint32_t)(v >> 32); }

static void test_vmx_caps_every_cpuid_model_has_caps(void **state)
{
	(void)state;
	for (size_t i = 0; i < cpuid_model_count(); i++) {
		const struct cpu_model *m = cpuid_model_at(i);
		const struct vmcs_caps *c = vmcs_caps_for_cpu(m);

		assert_non_null(c);
		assert_string_equal(vmcs_caps_model_name(c), cpuid_model_name(m));
		assert_ptr_equal(vmcs_caps_for_model(cpuid_model_name(m)), c);
	}
	assert_null(vmcs_caps_for_model("pentium"));
	assert_null(vmcs_caps_for_model(NULL));
	assert_null(vmcs_caps_for_cpu(NULL));
	assert_ptr_not_equal(caps("xeon"), caps("minimal"));
}

static void test_vmx_caps_basic(void **state)
{
	(void)state;
	uint32_t revs[2];

	for (size_t i = 0; i < 2; i++) {
		const struct vmcs_caps *c = caps(model_names[i]);
		uint64_t b = rd(c, MSR_IA32_VMX_BASIC);
		uint64_t size = (b >> 32) & 0x1FFF;

		revs[i] = lo(b);
		assert_int_not_equal(lo(b) & 0x7FFFFFFF, 0);   /* revision id nonzero */
		assert_int_equal(lo(b) >> 31, 0);              /* bit 31 always 0 */
		assert_int_equal(vmcs_caps_revision_id(c), lo(b));
		assert_true(size > 0 && size <= 4096);
		assert_int_equal(size, 4096);
		assert_int_equal((b >> 45) & 7, 0);            /* 47:45 reserved */
		assert_int_equal((b >> 48) & 1, 0);            /* Intel 64: no 32-bit limit */
		/* Dual-monitor treatment of SMIs and SMM: xeon only. */
		assert_int_equal((b >> 49) & 1, !strcmp(model_names[i], "xeon"));
		assert_int_equal((b >> 50) & 0xF, 6);          /* WB */
		assert_int_equal((b >> 57) & 1, 0);            /* reserved */
		assert_int_equal(b >> 59, 0);                  /* reserved */
		assert_int_equal((b >> 58) & 1, 0);            /* no FRED */
	}
	assert_int_not_equal(revs[0], revs[1]);

	/* xeon: INS/OUTS info, TRUE controls, relaxed error-code rule. */
	uint64_t x = rd(caps("xeon"), MSR_IA32_VMX_BASIC);
	assert_true(x & BIT64(54));
	assert_true(x & BIT64(55));
	assert_true(x & BIT64(56));
	/* minimal: none of them. */
	uint64_t m = rd(caps("minimal"), MSR_IA32_VMX_BASIC);
	assert_false(m & BIT64(54));
	assert_false(m & BIT64(55));
	assert_false(m & BIT64(56));
}

/* Original MSRs: allowed-0 is exactly the default1 class and within allowed-1. */
static void test_vmx_caps_original_ctls_default1(void **state)
{
	static const struct { uint32_t msr; uint32_t default1; uint32_t reserved0; } ctls[] = {
		{ MSR_IA32_VMX_PINBASED_CTLS, PIN_DEFAULT1, 0xFFFFFF00u },
		{ MSR_IA32_VMX_PROCBASED_CTLS, PROC_DEFAULT1, BIT64(0) | BIT64(18) },
		{ MSR_IA32_VMX_EXIT_CTLS, EXIT_DEFAULT1, 0 },
		{ MSR_IA32_VMX_ENTRY_CTLS, ENTRY_DEFAULT1, 0xFE000000u },
	};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		const struct vmcs_caps *c = caps(model_names[i]);

		for (size_t j = 0; j < sizeof(ctls) / sizeof(ctls[0]); j++) {
			uint64_t v = rd(c, ctls[j].msr);

			assert_int_equal(lo(v), ctls[j].default1);
			assert_int_equal(lo(v) & ~hi(v), 0);          /* allowed-0 within allowed-1 */
			assert_int_equal(hi(v) & ctls[j].reserved0, 0); /* reserved-0 bits never 1 */
		}
	}
}

/* TRUE MSRs: exist iff BASIC[55]; allowed-0 a subset of the original's, only default1
 * bits may be cleared, allowed-1 identical. */
static void test_vmx_caps_true_ctls(void **state)
{
	static const struct { uint32_t orig, tru; } pairs[] = {
		{ MSR_IA32_VMX_PINBASED_CTLS, MSR_IA32_VMX_TRUE_PINBASED_CTLS },
		{ MSR_IA32_VMX_PROCBASED_CTLS, MSR_IA32_VMX_TRUE_PROCBASED_CTLS },
		{ MSR_IA32_VMX_EXIT_CTLS, MSR_IA32_VMX_TRUE_EXIT_CTLS },
		{ MSR_IA32_VMX_ENTRY_CTLS, MSR_IA32_VMX_TRUE_ENTRY_CTLS },
	};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		const struct vmcs_caps *c = caps(model_names[i]);
		bool has_true = rd(c, MSR_IA32_VMX_BASIC) & BASIC_TRUE_CTLS;

		for (size_t j = 0; j < 4; j++) {
			assert_int_equal(present(c, pairs[j].tru), has_true);
			if (!has_true)
				continue;
			uint64_t o = rd(c, pairs[j].orig), t = rd(c, pairs[j].tru);
			assert_int_equal(lo(t) & ~lo(o), 0);
			assert_int_equal(hi(t), hi(o));
			assert_int_equal(lo(t) & ~hi(t), 0);
		}
	}
	/* xeon: CR3 exits and debug-control save/load may be 0; pin default1 stays. */
	const struct vmcs_caps *x = caps("xeon");
	assert_int_equal(lo(rd(x, MSR_IA32_VMX_TRUE_PINBASED_CTLS)), PIN_DEFAULT1);
	assert_int_equal(lo(rd(x, MSR_IA32_VMX_TRUE_PROCBASED_CTLS)),
			 PROC_DEFAULT1 & ~(PROC_CR3_LOAD | PROC_CR3_STORE));
	assert_int_equal(lo(rd(x, MSR_IA32_VMX_TRUE_EXIT_CTLS)), EXIT_DEFAULT1 & ~EXIT_SAVE_DEBUG);
	assert_int_equal(lo(rd(x, MSR_IA32_VMX_TRUE_ENTRY_CTLS)),
			 ENTRY_DEFAULT1 & ~ENTRY_LOAD_DEBUG);
}

/* The allowed-0/allowed-1 helpers answer with the MSR VM entry uses. */
static void test_vmx_caps_allowed_helpers(void **state)
{
	static const struct { enum vmcs_ctl ctl; uint32_t orig, tru; } words[] = {
		{ VMCS_CTL_PIN, MSR_IA32_VMX_PINBASED_CTLS, MSR_IA32_VMX_TRUE_PINBASED_CTLS },
		{ VMCS_CTL_PROC, MSR_IA32_VMX_PROCBASED_CTLS, MSR_IA32_VMX_TRUE_PROCBASED_CTLS },
		{ VMCS_CTL_EXIT, MSR_IA32_VMX_EXIT_CTLS, MSR_IA32_VMX_TRUE_EXIT_CTLS },
		{ VMCS_CTL_ENTRY, MSR_IA32_VMX_ENTRY_CTLS, MSR_IA32_VMX_TRUE_ENTRY_CTLS },
	};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		const struct vmcs_caps *c = caps(model_names[i]);
		bool has_true = rd(c, MSR_IA32_VMX_BASIC) & BASIC_TRUE_CTLS;

		for (size_t j = 0; j < 4; j++) {
			uint64_t v = rd(c, has_true ? words[j].tru : words[j].orig);

			assert_int_equal(vmcs_caps_allowed0(c, words[j].ctl), lo(v));
			assert_int_equal(vmcs_caps_allowed1(c, words[j].ctl), hi(v));
			assert_true(vmcs_caps_ctl_valid(c, words[j].ctl, lo(v)));
			assert_true(vmcs_caps_ctl_valid(c, words[j].ctl, hi(v)));
			if (lo(v))  /* a must-be-1 bit cleared */
				assert_false(vmcs_caps_ctl_valid(c, words[j].ctl,
								 lo(v) & (lo(v) - 1)));
			if (~hi(v))  /* a must-be-0 bit set */
				assert_false(vmcs_caps_ctl_valid(c, words[j].ctl,
								 lo(v) | (~hi(v) & -~hi(v))));
		}
		assert_int_equal(vmcs_caps_allowed0(c, VMCS_CTL_PROC3), 0);
		assert_int_equal(vmcs_caps_allowed0(c, VMCS_CTL_EXIT2), 0);
		assert_int_equal(vmcs_caps_allowed0(c, VMCS_CTL_VMFUNC), 0);
		assert_int_equal(vmcs_caps_allowed1(c, VMCS_CTL_NONE), 0);
		assert_int_equal(vmcs_caps_allowed1(c, VMCS_CTL_BASIC), 0);
		assert_int_equal(vmcs_caps_allowed1(c, VMCS_CTL_SEAM), 0);
	}
	/* minimal without TRUE MSRs: CR3 exits must stay 1. */
	const struct vmcs_caps *m = caps("minimal");
	assert_true(vmcs_caps_allowed0(m, VMCS_CTL_PROC) & PROC_CR3_LOAD);
	assert_false(vmcs_caps_ctl_valid(m, VMCS_CTL_PROC, PROC_DEFAULT1 & ~PROC_CR3_LOAD));
	/* xeon with them: CR3 exits may be 0. */
	const struct vmcs_caps *x = caps("xeon");
	assert_true(vmcs_caps_ctl_valid(x, VMCS_CTL_PROC,
					PROC_DEFAULT1 & ~(PROC_CR3_LOAD | PROC_CR3_STORE)));
	assert_true(vmcs_caps_ctl_valid(x, VMCS_CTL_PROC2, PROC2_EPT | PROC2_UG | PROC2_VPID));
	assert_true(vmcs_caps_ctl_valid(x, VMCS_CTL_PROC3, 0));
	assert_false(vmcs_caps_ctl_valid(x, VMCS_CTL_PROC3, PROC3_IPI_VIRT));   /* not modelled */
	assert_false(vmcs_caps_ctl_valid(x, VMCS_CTL_PROC3, BIT64(1)));
	assert_true(vmcs_caps_ctl_valid(x, VMCS_CTL_VMFUNC, 1));
	assert_false(vmcs_caps_ctl_valid(x, VMCS_CTL_VMFUNC, 2));
	assert_true(vmcs_caps_ctl_valid(x, VMCS_CTL_EXIT2, 0));
	assert_false(vmcs_caps_ctl_valid(x, VMCS_CTL_EXIT2, 1));
}

/* Which MSRs exist follows the capabilities that announce them. */
static void test_vmx_caps_msr_presence_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		const struct vmcs_caps *c = caps(model_names[i]);
		uint64_t proc1 = hi(rd(c, MSR_IA32_VMX_PROCBASED_CTLS));
		uint64_t exit1 = hi(rd(c, MSR_IA32_VMX_EXIT_CTLS));
		bool has2 = proc1 & PROC_SECONDARY;
		uint64_t proc2_1 = has2 ? hi(rd(c, MSR_IA32_VMX_PROCBASED_CTLS2)) : 0;

		for (uint32_t msr = MSR_IA32_VMX_BASIC; msr <= MSR_IA32_VMX_VMCS_ENUM; msr++)
			assert_true(present(c, msr));
		assert_int_equal(present(c, MSR_IA32_VMX_PROCBASED_CTLS2), has2);
		assert_int_equal(present(c, MSR_IA32_VMX_EPT_VPID_CAP),
				 (proc2_1 & (PROC2_EPT | PROC2_VPID)) != 0);
		assert_int_equal(present(c, MSR_IA32_VMX_VMFUNC), (proc2_1 & PROC2_VMFUNC) != 0);
		assert_int_equal(present(c, MSR_IA32_VMX_PROCBASED_CTLS3),
				 (proc1 & PROC_TERTIARY) != 0);
		assert_int_equal(present(c, MSR_IA32_VMX_EXIT_CTLS2), (exit1 & EXIT_SECONDARY) != 0);
		/* Outside the range: never. */
		assert_false(present(c, 0x47F));
		assert_false(present(c, 0x494));
		assert_false(present(c, 0x3A));
		assert_true(vmcs_caps_is_vmx_msr(0x480));
		assert_true(vmcs_caps_is_vmx_msr(0x493));
		assert_false(vmcs_caps_is_vmx_msr(0x494));
		assert_false(vmcs_caps_is_vmx_msr(0x47F));
	}
}

static void test_vmx_caps_minimal_has_no_secondary_controls(void **state)
{
	const struct vmcs_caps *m = caps("minimal");

	(void)state;
	assert_false(hi(rd(m, MSR_IA32_VMX_PROCBASED_CTLS)) & PROC_SECONDARY);
	assert_false(hi(rd(m, MSR_IA32_VMX_PROCBASED_CTLS)) & PROC_TERTIARY);
	assert_false(present(m, MSR_IA32_VMX_PROCBASED_CTLS2));
	assert_false(present(m, MSR_IA32_VMX_EPT_VPID_CAP));
	assert_false(present(m, MSR_IA32_VMX_VMFUNC));
	assert_false(present(m, MSR_IA32_VMX_PROCBASED_CTLS3));
	assert_false(present(m, MSR_IA32_VMX_EXIT_CTLS2));
	for (uint32_t msr = MSR_IA32_VMX_TRUE_PINBASED_CTLS;
	     msr <= MSR_IA32_VMX_TRUE_ENTRY_CTLS; msr++)
		assert_false(present(m, msr));
	assert_int_equal(vmcs_caps_allowed1(m, VMCS_CTL_PROC2), 0);
	assert_int_equal(vmcs_caps_allowed1(m, VMCS_CTL_PROC3), 0);
	assert_int_equal(vmcs_caps_allowed1(m, VMCS_CTL_VMFUNC), 0);
	assert_false(hi(rd(m, MSR_IA32_VMX_PINBASED_CTLS)) & PIN_PREEMPTION_TIMER);
	assert_false(hi(rd(m, MSR_IA32_VMX_PINBASED_CTLS)) & PIN_POSTED_INTR);
}

static void test_vmx_caps_xeon_features(void **state)
{
	const struct vmcs_caps *x = caps("xeon");
	uint64_t pin1 = hi(rd(x, MSR_IA32_VMX_PINBASED_CTLS));
	uint64_t proc1 = hi(rd(x, MSR_IA32_VMX_PROCBASED_CTLS));
	uint64_t p2 = rd(x, MSR_IA32_VMX_PROCBASED_CTLS2);
	uint64_t exit1 = hi(rd(x, MSR_IA32_VMX_EXIT_CTLS));
	uint64_t entry1 = hi(rd(x, MSR_IA32_VMX_ENTRY_CTLS));

	(void)state;
	assert_int_equal(lo(p2), 0);  /* every secondary control may be 0 */
	assert_true(pin1 & PIN_PREEMPTION_TIMER);
	assert_true(pin1 & PIN_POSTED_INTR);
	assert_true(proc1 & PROC_SECONDARY);
	assert_true(proc1 & PROC_TERTIARY);
	for (unsigned b = 0; b < 32; b++)  /* every primary control but reserved 0 and 18 */
		assert_int_equal((proc1 >> b) & 1, b != 0 && b != 18);
	assert_true(hi(p2) & PROC2_EPT);
	assert_true(hi(p2) & PROC2_VPID);
	assert_true(hi(p2) & PROC2_UG);
	assert_true(hi(p2) & PROC2_SHADOW_VMCS);
	assert_true(hi(p2) & PROC2_VMFUNC);
	assert_true(hi(p2) & PROC2_PML);
	assert_true(hi(p2) & PROC2_EPT_VE);
	assert_true(hi(p2) & PROC2_VID);
	assert_true(hi(p2) & PROC2_X2APIC);    /* virtualize x2APIC mode (sim/cpu/apicv.h) */
	assert_true(exit1 & EXIT_SAVE_PREEMPTION);
	assert_true(exit1 & EXIT_HOST_64);
	assert_false(exit1 & EXIT_SECONDARY);
	assert_true(entry1 & ENTRY_IA32E);
	/* The dual-monitor treatment's entry controls (sim/cpu/smm.c). */
	assert_true(entry1 & ENTRY_SMM);
	assert_true(entry1 & ENTRY_DEACT_DUAL_MON);
	assert_int_equal(rd(x, MSR_IA32_VMX_PROCBASED_CTLS3), 0);   /* IPI virtualization: not modelled */
	assert_int_equal(rd(x, MSR_IA32_VMX_VMFUNC), 1);  /* EPTP switching */
	assert_true(vmcs_caps_has_seam(x));
	assert_false(vmcs_caps_has_seam(caps("minimal")));
}

/* Dependencies between capabilities that VMMs (and the SDM's entry checks) rely on. */
static void test_vmx_caps_feature_dependencies(void **state)
{
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		const struct vmcs_caps *c = caps(model_names[i]);
		uint64_t pin1 = vmcs_caps_allowed1(c, VMCS_CTL_PIN);
		uint64_t proc1 = vmcs_caps_allowed1(c, VMCS_CTL_PROC);
		uint64_t p2 = vmcs_caps_allowed1(c, VMCS_CTL_PROC2);
		uint64_t exit1 = vmcs_caps_allowed1(c, VMCS_CTL_EXIT);
		uint64_t misc = rd(c, MSR_IA32_VMX_MISC);

		if (p2 & PROC2_UG) {
			assert_true(p2 & PROC2_EPT);
			assert_true(misc & MISC_SAVE_EFER_LMA);
		}
		if (p2 & (PROC2_PML | PROC2_EPT_VE))
			assert_true(p2 & PROC2_EPT);
		if (p2 & PROC2_SHADOW_VMCS)
			assert_true(misc & MISC_VMWRITE_ALL);
		if (p2 & (PROC2_APIC_REG | PROC2_VID | PROC2_X2APIC))
			assert_true(proc1 & PROC_TPR_SHADOW);
		if (pin1 & PIN_POSTED_INTR) {
			assert_true(p2 & PROC2_VID);
			assert_true(exit1 & EXIT_ACK_INTR);
		}
		if (proc1 & PROC_NMI_WINDOW)
			assert_true(pin1 & PIN_VIRTUAL_NMIS);
		if (pin1 & PIN_PREEMPTION_TIMER)
			assert_true(exit1 & EXIT_SAVE_PREEMPTION);
		if (vmcs_caps_allowed1(c, VMCS_CTL_PROC3) & PROC3_IPI_VIRT)
			assert_true(p2 & PROC2_VID);
		if (vmcs_caps_allowed1(c, VMCS_CTL_VMFUNC) & 1)
			assert_true(p2 & PROC2_EPT);
		if (p2 & PROC2_EPT) {
			uint64_t cap = rd(c, MSR_IA32_VMX_EPT_VPID_CAP);
			assert_true(cap & EPT_CAP_WALK4);
			assert_true(cap & (EPT_CAP_UC | EPT_CAP_WB));
			assert_true(cap & EPT_CAP_INVEPT);
			assert_true(cap & EPT_CAP_INVEPT_TYPES);
			if (p2 & PROC2_PML)
				assert_true(cap & EPT_CAP_AD);
		}
		if (p2 & PROC2_VPID) {
			uint64_t cap = rd(c, MSR_IA32_VMX_EPT_VPID_CAP);
			assert_true(cap & VPID_CAP_INVVPID);
			assert_true(cap & VPID_CAP_TYPES);
		}
	}
}

static void test_vmx_caps_ept_vpid_cap_value(void **state)
{
	uint64_t cap = rd(caps("xeon"), MSR_IA32_VMX_EPT_VPID_CAP);

	(void)state;
	assert_int_equal(cap, 0x00000F0106334141ull);
	assert_false(cap & EPT_CAP_WALK5);  /* 4-level EPT only */
	/* Bits 27-31 and 44-63: reserved, or HLAT prefix size (not offered). */
	assert_int_equal(cap & 0xF8000000ull, 0);
	assert_int_equal(cap >> 44, 0);
}

static void test_vmx_caps_misc(void **state)
{
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		const struct vmcs_caps *c = caps(model_names[i]);
		uint64_t misc = rd(c, MSR_IA32_VMX_MISC);

		assert_int_equal((misc >> 6) & 7, 7);           /* HLT, shutdown, wait-for-SIPI */
		assert_int_equal((misc >> 16) & 0x1FF, 4);      /* 4 CR3-target values */
		assert_int_equal((misc >> 25) & 7, 0);          /* 512-entry MSR lists */
		assert_int_equal((misc >> 9) & 0x1F, 0);        /* 13:9 reserved */
		assert_int_equal((misc >> 31) & 1, 0);          /* reserved */
		/* xeon: MSEG revision 1 and IA32_SMBASE; minimal: no dual monitor. */
		bool xeon = !strcmp(model_names[i], "xeon");
		assert_int_equal(misc >> 32, xeon ? 1 : 0);
		assert_int_equal((misc >> 15) & 1, xeon);
		assert_int_equal((misc >> 28) & 1, 0);
		assert_int_equal(vmcs_caps_vmwrite_exit_info(c), (misc >> 29) & 1);
	}
	uint64_t x = rd(caps("xeon"), MSR_IA32_VMX_MISC);
	assert_int_equal(x & 0x1F, 5);
	assert_true(x & BIT64(29));
	assert_true(x & BIT64(30));
	uint64_t m = rd(caps("minimal"), MSR_IA32_VMX_MISC);
	assert_false(m & BIT64(29));
	assert_false(m & BIT64(30));
}

static void test_vmx_caps_cr_fixed(void **state)
{
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		const struct vmcs_caps *c = caps(model_names[i]);
		uint64_t cr0f0 = rd(c, MSR_IA32_VMX_CR0_FIXED0), cr0f1 = rd(c, MSR_IA32_VMX_CR0_FIXED1);
		uint64_t cr4f0 = rd(c, MSR_IA32_VMX_CR4_FIXED0), cr4f1 = rd(c, MSR_IA32_VMX_CR4_FIXED1);

		assert_int_equal(cr0f0, 0x80000021u);
		assert_int_equal(cr0f1, 0xFFFFFFFFu);
		assert_int_equal(cr0f0 & ~cr0f1, 0);
		assert_int_equal(cr4f0, 0x2000);
		assert_int_equal(cr4f0 & ~cr4f1, 0);
		/* What both CPUID models claim: TSD, DE, PSE, PAE, MCE, PGE, PCE, OSFXSR,
		 * OSXMMEXCPT, VMXE, FSGSBASE, OSXSAVE, SMEP ... */
		assert_int_equal(cr4f1 & 0x001527FCull, 0x001527FCull);
		/* ... and what neither does: VME/PVI, UMIP, LA57, PCIDE, KL, PKE, CET, PKS,
		 * UINTR, LAM, FRED. */
		assert_int_equal(cr4f1 & 0x13CA1803ull, 0);
		assert_int_equal(cr4f1 & BIT64(32), 0);
	}
	assert_true(rd(caps("xeon"), MSR_IA32_VMX_CR4_FIXED1) & BIT64(21));     /* SMAP */
	assert_false(rd(caps("minimal"), MSR_IA32_VMX_CR4_FIXED1) & BIT64(21));
	assert_true(rd(caps("xeon"), MSR_IA32_VMX_CR4_FIXED1) & BIT64(14));     /* SMXE */
	assert_false(rd(caps("minimal"), MSR_IA32_VMX_CR4_FIXED1) & BIT64(14));
	assert_int_equal(rd(caps("xeon"), MSR_IA32_VMX_CR4_FIXED1), 0x3567FCull);
	assert_int_equal(rd(caps("minimal"), MSR_IA32_VMX_CR4_FIXED1), 0x1527FCull);
	/* The stored values are what the models' CPUID announces. */
	assert_int_equal(rd(caps("xeon"), MSR_IA32_VMX_CR4_FIXED1),
			 vmcs_caps_cr4_fixed1_from_cpuid(caps("xeon")));
	assert_int_equal(rd(caps("minimal"), MSR_IA32_VMX_CR4_FIXED1),
			 vmcs_caps_cr4_fixed1_from_cpuid(caps("minimal")));
}

/* VMCS_ENUM bits 9:1 = highest index of the fields the model supports. */
static void test_vmx_caps_vmcs_enum(void **state)
{
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		const struct vmcs_caps *c = caps(model_names[i]);
		uint64_t e = rd(c, MSR_IA32_VMX_VMCS_ENUM);
		unsigned max = 0;

		for (size_t j = 0; j < vmcs_field_count(); j++) {
			const struct vmcs_field_info *f = vmcs_field_at(j);
			if (vmcs_caps_field_supported(c, f) && vmcs_enc_index(f->encoding) > max)
				max = vmcs_enc_index(f->encoding);
		}
		assert_int_equal(e & 1, 0);
		assert_int_equal(e >> 10, 0);
		assert_int_equal(e >> 1, max);
	}
	/* xeon: SHARED_EPT_POINTER (203CH, index 1EH) is its highest (without IPI
	 * virtualization there is no PID_POINTER_TABLE, 2042H). */
	assert_int_equal(rd(caps("xeon"), MSR_IA32_VMX_VMCS_ENUM), 0x1eu << 1);
}

/* A model offers no control for an instruction or MSR its CPUID does not have. */
static void test_vmx_caps_consistent_with_cpuid(void **state)
{
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		const struct cpu_model *m = cpuid_model_find(model_names[i]);
		const struct vmcs_caps *c = caps(model_names[i]);
		struct cpuid_regs l1, l7, l0a, l0d1, l80000001;
		uint64_t p2 = vmcs_caps_allowed1(c, VMCS_CTL_PROC2);
		uint64_t exit1 = vmcs_caps_allowed1(c, VMCS_CTL_EXIT);
		uint64_t entry1 = vmcs_caps_allowed1(c, VMCS_CTL_ENTRY);

		assert_non_null(m);
		cpuid_query(m, NULL, false, 1, 0, &l1);
		cpuid_query(m, NULL, false, 7, 0, &l7);
		cpuid_query(m, NULL, false, 0xA, 0, &l0a);
		cpuid_query(m, NULL, false, 0xD, 1, &l0d1);
		cpuid_query(m, NULL, false, 0x80000001u, 0, &l80000001);

		assert_true(l1.ecx & CPUID_01_ECX_VMX);
		if (p2 & PROC2_RDTSCP)
			assert_true(l80000001.edx & CPUID_80000001_EDX_RDTSCP);
		if (p2 & PROC2_INVPCID)
			assert_true(l7.ebx & CPUID_07_0_EBX_INVPCID);
		if (p2 & PROC2_RDRAND_EXITING)
			assert_true(l1.ecx & CPUID_01_ECX_RDRAND);
		if (p2 & PROC2_RDSEED_EXITING)
			assert_true(l7.ebx & CPUID_07_0_EBX_RDSEED);
		if (p2 & PROC2_XSAVES)
			assert_true(l0d1.eax & CPUID_0D_1_EAX_XSAVES);
		if (p2 & PROC2_ENCLS)
			assert_true(l7.ebx & CPUID_07_0_EBX_SGX);
		if (p2 & PROC2_USR_WAIT_PAUSE)
			assert_true(l7.ecx & CPUID_07_0_ECX_WAITPKG);
		/* IA32_PERF_GLOBAL_CTRL exists from architectural PMU version 2. */
		if ((exit1 & (EXIT_LOAD_PERF_GLOBAL | EXIT_SAVE_PERF_GLOBAL)) ||
		    (entry1 & ENTRY_LOAD_PERF_GLOBAL))
			assert_true((l0a.eax & 0xFF) >= 2);
		if ((exit1 & EXIT_LOAD_CET) || (entry1 & ENTRY_LOAD_CET))
			assert_true(l7.ecx & CPUID_07_0_ECX_CET_SS);
		if (entry1 & ENTRY_LOAD_PKRS)
			assert_true(l7.ecx & (1u << 31));
		/* A 64-bit host and guest need long mode. */
		if ((exit1 & EXIT_HOST_64) || (entry1 & ENTRY_IA32E))
			assert_true(l80000001.edx & CPUID_80000001_EDX_LM);
		if (p2 & PROC2_EPT) {
			uint64_t cap = rd(c, MSR_IA32_VMX_EPT_VPID_CAP);
			if (cap & EPT_CAP_1G)
				assert_true(l80000001.edx & CPUID_80000001_EDX_PDPE1GB);
			if (cap & EPT_CAP_WALK5)
				assert_true(l7.ecx & CPUID_07_0_ECX_LA57);
		}
	}
}

static void test_vmx_caps_field_support(void **state)
{
	const struct vmcs_caps *x = caps("xeon"), *m = caps("minimal");
	static const uint32_t both[] = {
		GUEST_RIP, VM_EXIT_REASON, CPU_BASED_VM_EXEC_CONTROL, VMCS_LINK_POINTER,
		IO_BITMAP_A, MSR_BITMAP, TSC_OFFSET, VIRTUAL_APIC_PAGE_ADDR, TPR_THRESHOLD,
		EXECUTIVE_VMCS_POINTER, IO_RCX, CR3_TARGET_VALUE3,
	};
	static const uint32_t xeon_only[] = {
		EPT_POINTER, VIRTUAL_PROCESSOR_ID, SECONDARY_VM_EXEC_CONTROL,
		TERTIARY_VM_EXEC_CONTROL, VMX_PREEMPTION_TIMER_VALUE, GUEST_IA32_PAT,
		HOST_IA32_EFER, GUEST_PDPTR3, GUEST_PHYSICAL_ADDRESS, VMREAD_BITMAP,
		PML_ADDRESS, GUEST_PML_INDEX, EPTP_LIST_ADDRESS, VM_FUNCTION_CONTROL,
		TSC_MULTIPLIER, POSTED_INTR_NV, POSTED_INTR_DESC_ADDR, EOI_EXIT_BITMAP0, GUEST_INTR_STATUS, EPTP_INDEX,
		VE_INFORMATION_ADDRESS, PLE_GAP, APIC_ACCESS_ADDR, SHARED_EPT_POINTER,
		GUEST_KEYID,
	};
	static const uint32_t neither[] = {
		GUEST_S_CET, HOST_SSP, GUEST_IA32_PKRS, GUEST_IA32_FRED_CONFIG,
		HOST_IA32_FRED_SSP1, SECONDARY_VM_EXIT_CONTROLS, GUEST_IA32_PERF_GLOBAL_CTRL,
		HOST_IA32_PERF_GLOBAL_CTRL, XSS_EXIT_BITMAP, ENCLS_EXITING_BITMAP,
		SPPT_POINTER, HLAT_POINTER, NOTIFY_WINDOW, GUEST_BNDCFGS, GUEST_IA32_RTIT_CTL,
		GUEST_IA32_LBR_CTL, GUEST_UINV, INJECTED_EVENT_DATA, ORIGINAL_EVENT_DATA,
		MSR_DATA, IA32_SPEC_CTRL_MASK, VIRTUAL_TIMER_VECTOR, GUEST_DEADLINE,
		PID_POINTER_TABLE, LAST_PID_POINTER_INDEX,   /* IPI virtualization: not modelled */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(both) / sizeof(both[0]); i++) {
		const struct vmcs_field_info *f = vmcs_field_find(both[i], NULL);
		assert_true(vmcs_caps_field_supported(x, f));
		assert_true(vmcs_caps_field_supported(m, f));
	}
	for (size_t i = 0; i < sizeof(xeon_only) / sizeof(xeon_only[0]); i++) {
		const struct vmcs_field_info *f = vmcs_field_find(xeon_only[i], NULL);
		assert_true(vmcs_caps_field_supported(x, f));
		assert_false(vmcs_caps_field_supported(m, f));
	}
	for (size_t i = 0; i < sizeof(neither) / sizeof(neither[0]); i++) {
		const struct vmcs_field_info *f = vmcs_field_find(neither[i], NULL);
		assert_false(vmcs_caps_field_supported(x, f));
		assert_false(vmcs_caps_field_supported(m, f));
	}
	assert_false(vmcs_caps_field_supported(x, NULL));
	assert_false(vmcs_caps_feature_supported(x, VMCS_NR_FEATURES));
	assert_true(vmcs_caps_feature_supported(m, FEAT_NONE));
	/* Every always-present field is supported everywhere. */
	for (size_t i = 0; i < vmcs_field_count(); i++) {
		const struct vmcs_field_info *f = vmcs_field_at(i);
		if (f->feature == FEAT_NONE) {
			assert_true(vmcs_caps_field_supported(x, f));
			assert_true(vmcs_caps_field_supported(m, f));
		}
		/* minimal supports nothing xeon lacks */
		if (vmcs_caps_field_supported(m, f))
			assert_true(vmcs_caps_field_supported(x, f));
	}
}

/* A feature is supported when its control may be 1, or its alternative control (the
 * "load on entry / save on exit" pairs) may be 1. */
static bool gate_open(const struct vmcs_caps *c, enum vmcs_ctl ctl, unsigned bit)
{
	switch (ctl) {
	case VMCS_CTL_NONE:  return true;
	case VMCS_CTL_BASIC: return (rd(c, MSR_IA32_VMX_BASIC) >> bit) & 1;
	case VMCS_CTL_SEAM:  return vmcs_caps_has_seam(c);
	default:             return (vmcs_caps_allowed1(c, ctl) >> bit) & 1;
	}
}

static void test_vmx_caps_feature_gates(void **state)
{
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		const struct vmcs_caps *c = caps(model_names[i]);

		for (int f = 0; f < VMCS_NR_FEATURES; f++) {
			const struct vmcs_feature_info *fi = vmcs_feature_info((enum vmcs_feature)f);
			bool want = gate_open(c, fi->ctl, fi->bit) ||
				    (fi->alt_ctl != VMCS_CTL_NONE &&
				     gate_open(c, fi->alt_ctl, fi->alt_bit));

			assert_int_equal(vmcs_caps_feature_supported(c, (enum vmcs_feature)f), want);
		}
	}
	assert_true(vmcs_caps_feature_supported(caps("xeon"), FEAT_GUEST_PAT));
	assert_false(vmcs_caps_feature_supported(caps("minimal"), FEAT_GUEST_PAT));
	assert_true(vmcs_caps_feature_supported(caps("xeon"), FEAT_SEAM));
	assert_false(vmcs_caps_feature_supported(caps("xeon"), FEAT_FRED_EVENT_DATA));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vmx_caps_every_cpuid_model_has_caps),
		cmocka_unit_test(test_vmx_caps_basic),
		cmocka_unit_test(test_vmx_caps_original_ctls_default1),
		cmocka_unit_test(test_vmx_caps_true_ctls),
		cmocka_unit_test(test_vmx_caps_allowed_helpers),
		cmocka_unit_test(test_vmx_caps_msr_presence_rules),
		cmocka_unit_test(test_vmx_caps_minimal_has_no_secondary_controls),
		cmocka_unit_test(test_vmx_caps_xeon_features),
		cmocka_unit_test(test_vmx_caps_feature_dependencies),
		cmocka_unit_test(test_vmx_caps_ept_vpid_cap_value),
		cmocka_unit_test(test_vmx_caps_misc),
		cmocka_unit_test(test_vmx_caps_cr_fixed),
		cmocka_unit_test(test_vmx_caps_vmcs_enum),
		cmocka_unit_test(test_vmx_caps_consistent_with_cpuid),
		cmocka_unit_test(test_vmx_caps_field_support),
		cmocka_unit_test(test_vmx_caps_feature_gates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
