/* CPU models: what CPUID answers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <unicorn/unicorn.h>

#include "sim/cpu/cpuid.h"

enum reg { EAX, EBX, ECX, EDX };

static uint32_t reg_of(const struct cpuid_regs *r, enum reg reg)
{
	switch (reg) {
	case EAX: return r->eax;
	case EBX: return r->ebx;
	case ECX: return r->ecx;
	default:  return r->edx;
	}
}

static struct cpuid_regs q(const struct cpu_model *m, unsigned nr_cpus, unsigned apic_id,
			   uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_topology t = { .nr_cpus = nr_cpus, .apic_id = apic_id };
	struct cpuid_regs r;

	cpuid_query(m, &t, false, leaf, subleaf, &r);
	return r;
}

static struct cpuid_regs q0(const struct cpu_model *m, uint32_t leaf, uint32_t subleaf)
{
	return q(m, 1, 0, leaf, subleaf);
}

static void assert_regs_equal(struct cpuid_regs a, struct cpuid_regs b)
{
	assert_int_equal(a.eax, b.eax);
	assert_int_equal(a.ebx, b.ebx);
	assert_int_equal(a.ecx, b.ecx);
	assert_int_equal(a.edx, b.edx);
}

/* Every feature bit a model may set, each checked in Unicorn 2.1.1's QEMU 5.0 TCG
 * (qemu/target/i386). "TCG_x" = listed in cpu.c TCG_x_FEATURES; the rest says where the
 * behaviour is. Bits with no instruction behind them say what models them instead. */
static const struct verified {
	const char *name;
	uint32_t leaf, subleaf;
	enum reg reg;
	uint32_t bit;
	const char *evidence;
} verified[] = {
	{ "FPU",   1, 0, EDX, CPUID_01_EDX_FPU,   "TCG_FEATURES; fpu_helper.c" },
	{ "DE",    1, 0, EDX, CPUID_01_EDX_DE,    "TCG_FEATURES; CR4.DE in bpt_helper.c" },
	{ "PSE",   1, 0, EDX, CPUID_01_EDX_PSE,   "TCG_FEATURES; 4 MiB pages in excp_helper.c" },
	{ "TSC",   1, 0, EDX, CPUID_01_EDX_TSC,   "TCG_FEATURES; RDTSC hooked, virtual TSC" },
	{ "MSR",   1, 0, EDX, CPUID_01_EDX_MSR,   "TCG_FEATURES; RDMSR/WRMSR answered by vtsim" },
	{ "PAE",   1, 0, EDX, CPUID_01_EDX_PAE,   "TCG_FEATURES; excp_helper.c walk" },
	{ "MCE",   1, 0, EDX, CPUID_01_EDX_MCE,   "TCG_FEATURES; CR4.MCE, no #MC ever raised" },
	{ "CX8",   1, 0, EDX, CPUID_01_EDX_CX8,   "TCG_FEATURES; translate.c cmpxchg8b" },
	{ "APIC",  1, 0, EDX, CPUID_01_EDX_APIC,  "TCG_FEATURES; xAPIC MMIO modelled by vtsim" },
	{ "SEP",   1, 0, EDX, CPUID_01_EDX_SEP,   "TCG_FEATURES; seg_helper.c sysenter" },
	{ "MTRR",  1, 0, EDX, CPUID_01_EDX_MTRR,  "TCG_FEATURES; MTRR MSRs" },
	{ "PGE",   1, 0, EDX, CPUID_01_EDX_PGE,   "TCG_FEATURES; global pages" },
	{ "MCA",   1, 0, EDX, CPUID_01_EDX_MCA,   "TCG_FEATURES; MCG MSRs" },
	{ "CMOV",  1, 0, EDX, CPUID_01_EDX_CMOV,  "TCG_FEATURES; translate.c cmovcc/fcmov" },
	{ "PAT",   1, 0, EDX, CPUID_01_EDX_PAT,   "TCG_FEATURES; IA32_PAT owned by vtsim" },
	{ "PSE36", 1, 0, EDX, CPUID_01_EDX_PSE36, "TCG_FEATURES; excp_helper.c pse36 path" },
	{ "CLFSH", 1, 0, EDX, CPUID_01_EDX_CLFSH, "TCG_FEATURES; translate.c clflush" },
	{ "MMX",   1, 0, EDX, CPUID_01_EDX_MMX,   "TCG_FEATURES; ops_sse.h" },
	{ "FXSR",  1, 0, EDX, CPUID_01_EDX_FXSR,  "TCG_FEATURES; fxsave/fxrstor" },
	{ "SSE",   1, 0, EDX, CPUID_01_EDX_SSE,   "TCG_FEATURES; ops_sse.h" },
	{ "SSE2",  1, 0, EDX, CPUID_01_EDX_SSE2,  "TCG_FEATURES; ops_sse.h" },
	{ "SS",    1, 0, EDX, CPUID_01_EDX_SS,    "TCG_FEATURES; informational (self snoop)" },
	{ "HTT",   1, 0, EDX, CPUID_01_EDX_HTT,   "topology: leaf 1 EBX[23:16], leaves 4/0BH modelled" },

	{ "SSE3",      1, 0, ECX, CPUID_01_ECX_SSE3,      "TCG_EXT_FEATURES; ops_sse.h" },
	{ "PCLMULQDQ", 1, 0, ECX, CPUID_01_ECX_PCLMULQDQ, "TCG_EXT_FEATURES; sse_op_table7" },
	{ "VMX",       1, 0, ECX, CPUID_01_ECX_VMX,       "implemented by vtsim above the engine" },
	{ "SSSE3",     1, 0, ECX, CPUID_01_ECX_SSSE3,     "TCG_EXT_FEATURES; sse_op_table6" },
	{ "CX16",      1, 0, ECX, CPUID_01_ECX_CX16,      "TCG_EXT_FEATURES; cmpxchg16b" },
	{ "SSE4.1",    1, 0, ECX, CPUID_01_ECX_SSE4_1,    "TCG_EXT_FEATURES; sse_op_table6/7" },
	{ "SSE4.2",    1, 0, ECX, CPUID_01_ECX_SSE4_2,    "TCG_EXT_FEATURES; crc32, pcmpxstrx" },
	{ "MOVBE",     1, 0, ECX, CPUID_01_ECX_MOVBE,     "TCG_EXT_FEATURES; translate.c movbe" },
	{ "POPCNT",    1, 0, ECX, CPUID_01_ECX_POPCNT,    "TCG_EXT_FEATURES; translate.c popcnt" },
	{ "AES",       1, 0, ECX, CPUID_01_ECX_AES,       "TCG_EXT_FEATURES; aesni helpers" },
	{ "XSAVE",     1, 0, ECX, CPUID_01_ECX_XSAVE,     "TCG_EXT_FEATURES; fpu_helper.c xsave" },
	{ "OSXSAVE",   1, 0, ECX, CPUID_01_ECX_OSXSAVE,   "dynamic: mirrors CR4.OSXSAVE" },
	{ "RDRAND",    1, 0, ECX, CPUID_01_ECX_RDRAND,    "executed by vtsim: fixed per-LP sequence (rdrand.c)" },
	{ "SMX",       1, 0, ECX, CPUID_01_ECX_SMX,       "GETSEC executed by vtsim (getsec.c), xeon only" },
	{ "TSC_DEADLINE", 1, 0, ECX, CPUID_01_ECX_TSC_DEADLINE, "IA32_TSC_DEADLINE, APIC timer (lapic_timer.c)" },
	{ "X2APIC",    1, 0, ECX, CPUID_01_ECX_X2APIC,    "x2APIC mode of the local APIC (lapic_x2apic.c)" },

	{ "ARAT", 6, 0, EAX, CPUID_06_EAX_ARAT, "TCG_6_EAX_FEATURES; vtsim has no C-states" },

	{ "FSGSBASE",   7, 0, EBX, CPUID_07_0_EBX_FSGSBASE,   "TCG_7_0_EBX; rd/wr fs/gs base" },
	{ "BMI1",       7, 0, EBX, CPUID_07_0_EBX_BMI1,       "TCG_7_0_EBX; andn/bextr/blsi/tzcnt" },
	{ "SMEP",       7, 0, EBX, CPUID_07_0_EBX_SMEP,       "TCG_7_0_EBX; excp_helper.c CR4.SMEP" },
	{ "BMI2",       7, 0, EBX, CPUID_07_0_EBX_BMI2,       "TCG_7_0_EBX; bzhi/pdep/pext/mulx/rorx" },
	{ "ERMS",       7, 0, EBX, CPUID_07_0_EBX_ERMS,       "TCG_7_0_EBX; rep movsb/stosb" },
	{ "ADX",        7, 0, EBX, CPUID_07_0_EBX_ADX,        "TCG_7_0_EBX; adcx/adox" },
	{ "SMAP",       7, 0, EBX, CPUID_07_0_EBX_SMAP,       "TCG_7_0_EBX; stac/clac, MMU_KSMAP_IDX" },
	{ "CLFLUSHOPT", 7, 0, EBX, CPUID_07_0_EBX_CLFLUSHOPT, "TCG_7_0_EBX; translate.c" },
	{ "CLWB",       7, 0, EBX, CPUID_07_0_EBX_CLWB,       "TCG_7_0_EBX; translate.c" },
	{ "INVPCID",    7, 0, EBX, CPUID_07_0_EBX_INVPCID,    "executed by vtsim (invpcid.c)" },
	{ "RDSEED",     7, 0, EBX, CPUID_07_0_EBX_RDSEED,     "executed by vtsim (rdrand.c)" },

	{ "XSAVEOPT", 0xD, 1, EAX, CPUID_0D_1_EAX_XSAVEOPT, "TCG_XSAVE_FEATURES; translate.c" },
	{ "XGETBV1",  0xD, 1, EAX, CPUID_0D_1_EAX_XGETBV1,  "TCG_XSAVE_FEATURES; helper_xgetbv" },

	{ "LAHF_LM",   0x80000001, 0, ECX, CPUID_80000001_ECX_LAHF_LM,   "TCG_EXT3_FEATURES" },
	{ "LZCNT",     0x80000001, 0, ECX, CPUID_80000001_ECX_LZCNT,     "TCG_EXT3_FEATURES (ABM)" },
	{ "PREFETCHW", 0x80000001, 0, ECX, CPUID_80000001_ECX_PREFETCHW, "translate.c 0F 0D: NOP" },
	{ "SYSCALL",   0x80000001, 0, EDX, CPUID_80000001_EDX_SYSCALL,   "TCG_EXT2 (x86-64)" },
	{ "NX",        0x80000001, 0, EDX, CPUID_80000001_EDX_NX,        "TCG_EXT2; EFER.NXE" },
	{ "PDPE1GB",   0x80000001, 0, EDX, CPUID_80000001_EDX_PDPE1GB,   "TCG_EXT2; 1 GiB pages" },
	{ "RDTSCP",    0x80000001, 0, EDX, CPUID_80000001_EDX_RDTSCP,    "TCG_EXT2; hooked" },
	{ "LM",        0x80000001, 0, EDX, CPUID_80000001_EDX_LM,        "TCG_EXT2 (x86-64)" },

	{ "INVARIANT_TSC", 0x80000007, 0, EDX, CPUID_80000007_EDX_INVARIANT_TSC,
	  "virtual TSC counts retired instructions" },
};

/* Where feature flags live: every set bit here must be in verified[]. */
static const struct feature_word {
	uint32_t leaf, subleaf;
	enum reg reg;
} feature_words[] = {
	{ 1, 0, ECX }, { 1, 0, EDX }, { 6, 0, EAX }, { 6, 0, ECX },
	{ 7, 0, EBX }, { 7, 0, ECX }, { 7, 0, EDX }, { 7, 1, EAX }, { 7, 1, EDX },
	{ 0xD, 1, EAX }, { 0x14, 0, EBX }, { 0x19, 0, EBX },
	{ 0x80000001, 0, ECX }, { 0x80000001, 0, EDX },
	{ 0x80000007, 0, EDX }, { 0x80000008, 0, EBX },
};

/* Features TCG does not execute (or vtsim leaves out on purpose): never claimed. */
static const struct feature_word_bit {
	const char *name;
	uint32_t leaf, subleaf;
	enum reg reg;
	uint32_t bit;
} never_claimed[] = {
	{ "AVX",        1, 0, ECX, CPUID_01_ECX_AVX },
	{ "FMA",        1, 0, ECX, CPUID_01_ECX_FMA },
	{ "F16C",       1, 0, ECX, CPUID_01_ECX_F16C },
	{ "HYPERVISOR", 1, 0, ECX, CPUID_01_ECX_HYPERVISOR },
	{ "MONITOR",    1, 0, ECX, CPUID_01_ECX_MONITOR },
	{ "PCID",       1, 0, ECX, CPUID_01_ECX_PCID },
	{ "PDCM",       1, 0, ECX, CPUID_01_ECX_PDCM },
	{ "VME",        1, 0, EDX, CPUID_01_EDX_VME },
	{ "ACPI",       1, 0, EDX, CPUID_01_EDX_ACPI },
	{ "DS",         1, 0, EDX, CPUID_01_EDX_DS },
	{ "AVX2",       7, 0, EBX, CPUID_07_0_EBX_AVX2 },
	{ "AVX512F",    7, 0, EBX, CPUID_07_0_EBX_AVX512F },
	{ "HLE",        7, 0, EBX, CPUID_07_0_EBX_HLE },
	{ "RTM",        7, 0, EBX, CPUID_07_0_EBX_RTM },
	{ "MPX",        7, 0, EBX, CPUID_07_0_EBX_MPX },
	{ "SHA",        7, 0, EBX, CPUID_07_0_EBX_SHA },
	{ "SGX",        7, 0, EBX, CPUID_07_0_EBX_SGX },
	{ "UMIP",       7, 0, ECX, CPUID_07_0_ECX_UMIP },
	{ "PKU",        7, 0, ECX, CPUID_07_0_ECX_PKU },
	{ "CET_SS",     7, 0, ECX, CPUID_07_0_ECX_CET_SS },
	{ "LA57",       7, 0, ECX, CPUID_07_0_ECX_LA57 },
	{ "RDPID",      7, 0, ECX, CPUID_07_0_ECX_RDPID },
	{ "AMX_TILE",   7, 0, EDX, CPUID_07_0_EDX_AMX_TILE },
	{ "SERIALIZE",  7, 0, EDX, CPUID_07_0_EDX_SERIALIZE },
	{ "XSAVEC",     0xD, 1, EAX, CPUID_0D_1_EAX_XSAVEC },
	{ "XSAVES",     0xD, 1, EAX, CPUID_0D_1_EAX_XSAVES },
	{ "XCR0_AVX",   0xD, 0, EAX, CPUID_XCR0_AVX },
};

static bool is_verified(uint32_t leaf, uint32_t subleaf, enum reg reg, uint32_t bit)
{
	for (size_t i = 0; i < sizeof(verified) / sizeof(verified[0]); i++)
		if (verified[i].leaf == leaf && verified[i].subleaf == subleaf &&
		    verified[i].reg == reg && verified[i].bit == bit)
			return true;
	return false;
}

static const struct cpu_model *xeon(void)
{
	const struct cpu_model *m = cpuid_model_find("xeon");
	assert_non_null(m);
	return m;
}

static const struct cpu_model *minimal(void)
{
	const struct cpu_model *m = cpuid_model_find("minimal");
	assert_non_null(m);
	return m;
}

static void test_cpuid_vendor_is_genuine_intel(void **state __attribute__((unused)))
{
	for (size_t i = 0; i < cpuid_model_count(); i++) {
		struct cpuid_regs r = q0(cpuid_model_at(i), 0, 0);
		char vendor[13];

		memcpy(vendor, &r.ebx, 4);
		memcpy(vendor + 4, &r.edx, 4);
		memcpy(vendor + 8, &r.ecx, 4);
		vendor[12] = 0;
		assert_string_equal(vendor, "GenuineIntel");
	}
}

static void test_cpuid_vmx_bit_set(void **state __attribute__((unused)))
{
	for (size_t i = 0; i < cpuid_model_count(); i++)
		assert_true(q0(cpuid_model_at(i), 1, 0).ecx & CPUID_01_ECX_VMX);
}

static void test_cpuid_hypervisor_bit_clear(void **state __attribute__((unused)))
{
	for (size_t i = 0; i < cpuid_model_count(); i++) {
		const struct cpu_model *m = cpuid_model_at(i);
		struct cpuid_regs r;

		assert_false(q0(m, 1, 0).ecx & CPUID_01_ECX_HYPERVISOR);
		cpuid_query(m, NULL, true, 1, 0, &r);
		assert_false(r.ecx & CPUID_01_ECX_HYPERVISOR);
	}
}

static void test_cpuid_no_avx_claimed(void **state __attribute__((unused)))
{
	for (size_t i = 0; i < cpuid_model_count(); i++) {
		const struct cpu_model *m = cpuid_model_at(i);
		for (size_t j = 0; j < sizeof(never_claimed) / sizeof(never_claimed[0]); j++) {
			const struct feature_word_bit *f = &never_claimed[j];
			struct cpuid_regs r;

			cpuid_query(m, NULL, true, f->leaf, f->subleaf, &r);
			if (reg_of(&r, f->reg) & f->bit)
				fail_msg("model %s claims %s", cpuid_model_name(m), f->name);
		}
	}
}

static void test_cpuid_claimed_features_verified(void **state __attribute__((unused)))
{
	for (size_t i = 0; i < cpuid_model_count(); i++) {
		const struct cpu_model *m = cpuid_model_at(i);
		for (size_t j = 0; j < sizeof(feature_words) / sizeof(feature_words[0]); j++) {
			const struct feature_word *w = &feature_words[j];
			uint32_t max = q0(m, w->leaf & 0x80000000u, 0).eax;

			if (w->leaf > max)
				continue;  /* out of range: another leaf's data, not flags */
			for (int osxsave = 0; osxsave <= 1; osxsave++) {
				struct cpuid_regs r;
				uint32_t v;

				cpuid_query(m, NULL, osxsave, w->leaf, w->subleaf, &r);
				v = reg_of(&r, w->reg);
				for (unsigned b = 0; b < 32; b++)
					if ((v >> b & 1) &&
					    !is_verified(w->leaf, w->subleaf, w->reg, 1u << b))
						fail_msg("model %s: CPUID.%XH.%u:%s bit %u not verified",
							 cpuid_model_name(m), w->leaf, w->subleaf,
							 ((const char *const[]){ "EAX", "EBX", "ECX", "EDX" })[w->reg], b);
			}
		}
	}
}

static void test_cpuid_leaf_0a_zero(void **state __attribute__((unused)))
{
	const struct cpuid_regs zero = { 0, 0, 0, 0 };
	for (size_t i = 0; i < cpuid_model_count(); i++)
		assert_regs_equal(q0(cpuid_model_at(i), 0xA, 0), zero);
}

static void test_cpuid_maxphyaddr(void **state __attribute__((unused)))
{
	struct cpuid_regs r = q0(xeon(), 0x80000008, 0);

	assert_true(cpuid_maxphyaddr(xeon()) >= 40);
	/* 52, as Sapphire Rapids reports it: with TME-MK the top 6 bits are KeyIDs. */
	assert_int_equal(cpuid_maxphyaddr(xeon()), 52);
	assert_int_equal(r.eax & 0xFF, 52);
	assert_int_equal(r.eax >> 8 & 0xFF, 48);
	assert_int_equal(cpuid_maxlinaddr(xeon()), 48);
	assert_int_equal(cpuid_maxphyaddr(minimal()), 36);
	assert_int_equal(q0(minimal(), 0x80000008, 0).eax & 0xFF, 36);
}

static void test_cpuid_max_extended_leaf_no_sev(void **state __attribute__((unused)))
{
	for (size_t i = 0; i < cpuid_model_count(); i++) {
		const struct cpu_model *m = cpuid_model_at(i);
		struct cpuid_regs top = q0(m, q0(m, 0, 0).eax, 0);

		assert_int_equal(q0(m, 0x80000000, 0).eax, 0x80000008);
		/* SEV leaf 8000001FH is out of range: Intel returns the highest basic leaf. */
		assert_regs_equal(q0(m, 0x8000001F, 0), top);
		assert_int_equal(q0(m, 0x80000001, 0).eax, 0);
	}
}

static void test_cpuid_apic_id_in_leaf1_and_0b(void **state __attribute__((unused)))
{
	for (unsigned id = 0; id < 8; id++) {
		struct cpuid_regs r1 = q(xeon(), 8, id, 1, 0);
		assert_int_equal(r1.ebx >> 24, id);
		assert_int_equal(r1.ebx >> 16 & 0xFF, 8);  /* addressable IDs in the package */
		assert_int_equal(r1.ebx >> 8 & 0xFF, 8);   /* CLFLUSH: 64 bytes */
		for (uint32_t sub = 0; sub < 3; sub++) {
			assert_int_equal(q(xeon(), 8, id, 0xB, sub).edx, id);
			assert_int_equal(q(xeon(), 8, id, 0x1F, sub).edx, id);
			assert_int_equal(q(minimal(), 8, id, 0xB, sub).edx, id);
		}
	}
	/* x2APIC IDs above 255: leaf 1 carries the low byte, 0BH the whole ID. */
	assert_int_equal(q(xeon(), 512, 300, 1, 0).ebx >> 24, 300 & 0xFF);
	assert_int_equal(q(xeon(), 512, 300, 0xB, 0).edx, 300);
}

static void test_cpuid_topology_levels(void **state __attribute__((unused)))
{
	static const struct { unsigned nr, shift; } cases[] = {
		{ 1, 0 }, { 2, 1 }, { 4, 2 }, { 5, 3 }, { 64, 6 }, { 65, 7 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned nr = cases[i].nr;
		struct cpuid_regs smt = q(xeon(), nr, 0, 0xB, 0);
		struct cpuid_regs core = q(xeon(), nr, 0, 0xB, 1);
		struct cpuid_regs none = q(xeon(), nr, 0, 0xB, 2);

		/* One thread per core. */
		assert_int_equal(smt.eax & 0x1F, 0);
		assert_int_equal(smt.ebx & 0xFFFF, 1);
		assert_int_equal(smt.ecx, 0x100);
		/* nr cores in the package. */
		assert_int_equal(core.eax & 0x1F, cases[i].shift);
		assert_int_equal(core.ebx & 0xFFFF, nr);
		assert_int_equal(core.ecx, 0x201);
		/* Invalid level: EAX = EBX = 0, ECX[7:0] echoes the subleaf. */
		assert_int_equal(none.eax, 0);
		assert_int_equal(none.ebx, 0);
		assert_int_equal(none.ecx, 2);
		assert_regs_equal(q(xeon(), nr, 0, 0x1F, 1), core);
		assert_regs_equal(q(minimal(), nr, 0, 0xB, 1), core);
	}
	/* No topology given: one CPU, APIC ID 0; nr_cpus = 0 counts as 1. */
	struct cpuid_regs r;
	cpuid_query(xeon(), NULL, false, 0xB, 1, &r);
	assert_regs_equal(r, q(xeon(), 1, 0, 0xB, 1));
	assert_regs_equal(q(xeon(), 0, 0, 0xB, 1), q(xeon(), 1, 0, 0xB, 1));
}

static void test_cpuid_leaf4_follows_nr_cpus(void **state __attribute__((unused)))
{
	for (unsigned nr = 1; nr <= 16; nr++) {
		unsigned ids = 1;
		uint32_t sub;

		while (ids < nr)
			ids <<= 1;
		for (sub = 0; sub < 16; sub++) {
			struct cpuid_regs r = q(xeon(), nr, 0, 4, sub);
			unsigned type = r.eax & 0x1F, level = r.eax >> 5 & 7;

			if (type == 0)
				break;
			assert_int_equal(r.eax >> 26, ids - 1);
			assert_int_equal(r.eax >> 14 & 0xFFF, level == 3 ? ids - 1 : 0);
			/* size = ways * partitions * line * sets */
			assert_true(((r.ebx >> 22) + 1) * ((r.ebx >> 12 & 0x3FF) + 1) *
				    ((r.ebx & 0xFFF) + 1) * (r.ecx + 1) >= 32u << 10);
		}
		assert_int_equal(sub, 4);  /* L1D, L1I, L2, L3, then the null entry */
	}
}

static void test_cpuid_osxsave_follows_cr4(void **state __attribute__((unused)))
{
	for (size_t i = 0; i < cpuid_model_count(); i++) {
		const struct cpu_model *m = cpuid_model_at(i);
		struct cpuid_regs on, off;

		cpuid_query(m, NULL, true, 1, 0, &on);
		cpuid_query(m, NULL, false, 1, 0, &off);
		assert_true(on.ecx & CPUID_01_ECX_OSXSAVE);
		assert_false(off.ecx & CPUID_01_ECX_OSXSAVE);
		assert_int_equal(on.ecx & ~CPUID_01_ECX_OSXSAVE, off.ecx);
	}
}

static void test_cpuid_xsave_leaf_consistent(void **state __attribute__((unused)))
{
	for (size_t i = 0; i < cpuid_model_count(); i++) {
		const struct cpu_model *m = cpuid_model_at(i);
		struct cpuid_regs s0 = q0(m, 0xD, 0), s2 = q0(m, 0xD, 2);
		const struct cpuid_regs zero = { 0, 0, 0, 0 };

		assert_true(q0(m, 1, 0).ecx & CPUID_01_ECX_XSAVE);
		assert_int_equal(s0.eax, CPUID_XCR0_X87 | CPUID_XCR0_SSE);
		assert_int_equal(s0.edx, 0);
		assert_int_equal(s0.ebx, 576);
		assert_int_equal(s0.ecx, 576);
		assert_true(q0(m, 0xD, 1).eax & CPUID_0D_1_EAX_XSAVEOPT);
		assert_regs_equal(s2, zero);  /* no AVX state component */
	}
}

static void test_cpuid_leaf7_max_subleaf(void **state __attribute__((unused)))
{
	const struct cpuid_regs zero = { 0, 0, 0, 0 };
	for (size_t i = 0; i < cpuid_model_count(); i++) {
		const struct cpu_model *m = cpuid_model_at(i);

		assert_int_equal(q0(m, 7, 0).eax, 0);  /* subleaf 0 is the last */
		assert_regs_equal(q0(m, 7, 1), zero);
		assert_true(q0(m, 7, 0).ebx & CPUID_07_0_EBX_SMEP);
	}
}

static void test_cpuid_out_of_range_basic_returns_highest_basic(void **state __attribute__((unused)))
{
	/* xeon: max basic 1FH, whose answer depends on ECX: the subleaf goes through. */
	assert_int_equal(q0(xeon(), 0, 0).eax, 0x1F);
	for (uint32_t sub = 0; sub < 3; sub++) {
		assert_regs_equal(q(xeon(), 4, 3, 0x20, sub), q(xeon(), 4, 3, 0x1F, sub));
		assert_regs_equal(q(xeon(), 4, 3, 0x40000000, sub), q(xeon(), 4, 3, 0x1F, sub));
		assert_regs_equal(q(xeon(), 4, 3, 0x7FFFFFFF, sub), q(xeon(), 4, 3, 0x1F, sub));
	}
	/* minimal: max basic 0DH. */
	assert_int_equal(q0(minimal(), 0, 0).eax, 0xD);
	assert_regs_equal(q0(minimal(), 0xE, 0), q0(minimal(), 0xD, 0));
	assert_regs_equal(q0(minimal(), 0x1F, 1), q0(minimal(), 0xD, 1));
	/* In range but not modelled: zero. */
	const struct cpuid_regs zero = { 0, 0, 0, 0 };
	assert_regs_equal(q0(xeon(), 0x14, 0), zero);
	assert_regs_equal(q0(xeon(), 4, 4), zero);
}

static void test_cpuid_out_of_range_extended_returns_highest_basic(void **state __attribute__((unused)))
{
	static const uint32_t leaves[] = { 0x80000009, 0x8000000A, 0x8000001F, 0xC0000000,
					   0xFFFFFFFF };
	for (size_t i = 0; i < cpuid_model_count(); i++) {
		const struct cpu_model *m = cpuid_model_at(i);
		uint32_t top = q0(m, 0, 0).eax;

		for (size_t j = 0; j < sizeof(leaves) / sizeof(leaves[0]); j++)
			assert_regs_equal(q(m, 2, 1, leaves[j], 1), q(m, 2, 1, top, 1));
	}
}

static void test_cpuid_signature_and_brand(void **state __attribute__((unused)))
{
	uint32_t eax = q0(xeon(), 1, 0).eax;
	unsigned family = eax >> 8 & 0xF;
	unsigned model = (eax >> 4 & 0xF) | (eax >> 16 & 0xF) << 4;
	char brand[49];

	assert_int_equal(family, 6);
	assert_int_equal(model, 0x8F);
	for (uint32_t l = 0; l < 3; l++) {
		struct cpuid_regs r = q0(xeon(), 0x80000002 + l, 0);
		memcpy(brand + 16 * l, &r, 16);
	}
	brand[48] = 0;
	assert_string_equal(brand, "vtsim Virtual Xeon (Sapphire Rapids model)");
	assert_int_equal(q0(xeon(), 0x80000007, 0).edx, CPUID_80000007_EDX_INVARIANT_TSC);
}

static void test_cpuid_minimal_differs(void **state __attribute__((unused)))
{
	uint32_t eax = q0(minimal(), 1, 0).eax;

	assert_ptr_not_equal(minimal(), xeon());
	assert_int_equal(eax >> 8 & 0xF, 6);
	assert_int_equal((eax >> 4 & 0xF) | (eax >> 16 & 0xF) << 4, 0x3A);
	assert_int_not_equal(eax, q0(xeon(), 1, 0).eax);
	assert_false(q0(minimal(), 1, 0).ecx & CPUID_01_ECX_MOVBE);
	assert_true(q0(xeon(), 1, 0).ecx & CPUID_01_ECX_MOVBE);
	assert_false(q0(minimal(), 7, 0).ebx & CPUID_07_0_EBX_SMAP);
	assert_true(q0(xeon(), 7, 0).ebx & CPUID_07_0_EBX_SMAP);
	assert_int_not_equal(cpuid_maxphyaddr(minimal()), cpuid_maxphyaddr(xeon()));
	assert_string_not_equal(cpuid_model_description(minimal()),
				cpuid_model_description(xeon()));
}

static void test_cpuid_unknown_model_is_null(void **state __attribute__((unused)))
{
	assert_null(cpuid_model_find("pentium"));
	assert_null(cpuid_model_find(""));
	assert_null(cpuid_model_find("Xeon"));
	assert_null(cpuid_model_find("xeon2"));
	assert_null(cpuid_model_find(NULL));
	assert_null(cpuid_model_at(cpuid_model_count()));
}

static void test_cpuid_models_listed(void **state __attribute__((unused)))
{
	assert_ptr_equal(cpuid_model_default(), xeon());
	assert_string_equal(cpuid_model_name(cpuid_model_default()), "xeon");
	assert_true(cpuid_model_count() >= 2);
	for (size_t i = 0; i < cpuid_model_count(); i++) {
		const struct cpu_model *m = cpuid_model_at(i);
		assert_ptr_equal(cpuid_model_find(cpuid_model_name(m)), m);
		assert_true(strlen(cpuid_model_description(m)) > 0);
	}
}

static void test_cpuid_engine_cpu_is_intel_model(void **state __attribute__((unused)))
{
	/* The engine must decode what the model claims (see cpuid.h). */
	assert_int_equal(cpuid_model_engine_cpu(xeon()), UC_CPU_X86_SKYLAKE_SERVER);
	assert_int_equal(cpuid_model_engine_cpu(minimal()), UC_CPU_X86_IVYBRIDGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpuid_vendor_is_genuine_intel),
		cmocka_unit_test(test_cpuid_vmx_bit_set),
		cmocka_unit_test(test_cpuid_hypervisor_bit_clear),
		cmocka_unit_test(test_cpuid_no_avx_claimed),
		cmocka_unit_test(test_cpuid_claimed_features_verified),
		cmocka_unit_test(test_cpuid_leaf_0a_zero),
		cmocka_unit_test(test_cpuid_maxphyaddr),
		cmocka_unit_test(test_cpuid_max_extended_leaf_no_sev),
		cmocka_unit_test(test_cpuid_apic_id_in_leaf1_and_0b),
		cmocka_unit_test(test_cpuid_topology_levels),
		cmocka_unit_test(test_cpuid_leaf4_follows_nr_cpus),
		cmocka_unit_test(test_cpuid_osxsave_follows_cr4),
		cmocka_unit_test(test_cpuid_xsave_leaf_consistent),
		cmocka_unit_test(test_cpuid_leaf7_max_subleaf),
		cmocka_unit_test(test_cpuid_out_of_range_basic_returns_highest_basic),
		cmocka_unit_test(test_cpuid_out_of_range_extended_returns_highest_basic),
		cmocka_unit_test(test_cpuid_signature_and_brand),
		cmocka_unit_test(test_cpuid_minimal_differs),
		cmocka_unit_test(test_cpuid_unknown_model_is_null),
		cmocka_unit_test(test_cpuid_models_listed),
		cmocka_unit_test(test_cpuid_engine_cpu_is_intel_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
