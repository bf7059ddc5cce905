/* CPU models: constant CPUID tables and the per-LP bits computed at query time.
 *
 * What a model may claim. The engine is Unicorn 2.1.1 (QEMU 5.0 TCG). A feature is
 * claimed only if (a) the modelled Intel part has it and (b) TCG executes it, checked
 * in Unicorn 2.1.1's qemu/target/i386: cpu.c TCG_*_FEATURES, and translate.c /
 * excp_helper.c / helper.c / fpu_helper.c for what the instructions actually do.
 * Executed by vtsim instead of TCG, so claimed by the xeon model:
 *  - RDRAND and RDSEED: TCG's int_helper.c draws from a GRand seeded by the host, so
 *    two runs would differ; vtsim's values are a fixed per-LP sequence (rdrand.c).
 *  - INVPCID, which TCG lacks (invpcid.c); PCID itself stays unclaimed.
 *  - SMX, so CR4.SMXE can be set and GETSEC exists (TCG lacks it): getsec.c answers
 *    GETSEC[CAPABILITIES] as a part on a board without a TXT chipset (no other leaf),
 *    and in VMX non-root operation GETSEC is VM exit 11. The minimal model leaves it
 *    out, as client parts without TXT do.
 * Deliberately left out although TCG lists them:
 *  - MONITOR/MWAIT: TCG's MWAIT is a HLT that no store to the monitored line wakes
 *    (misc_helper.c helper_mwait: "XXX: store address?"); an MWAIT idle or wait loop
 *    would hang. Firmware may clear it too (IA32_MISC_ENABLE[18]).
 *  - PKU: it needs the PKRU XSAVE component; the models keep XCR0 to x87|SSE.
 *  - LA57: vtsim's MACHINE.md and EPT model are 4-level, 48-bit.
 *  - ACPI (thermal-monitor MSRs), MPX (not on Sapphire Rapids), SVM/SSE4A/3DNow! (AMD).
 * Absent from TCG, so never claimed: AVX, AVX2, AVX-512, FMA, F16C, AMX, HLE/RTM,
 * PCID, UMIP, RDPID, SHA, GFNI, XSAVEC/XSAVES, CET,
 * SERIALIZE, WAITPKG, VME, PDCM, DS, TM.
 * VMX (CPUID.01H:ECX[5]) is claimed: the simulator implements it above the engine, and
 * so are the local APIC's x2APIC mode (ECX[21], lapic_x2apic.h) and TSC-deadline timer
 * (ECX[24], lapic_timer.h).
 * The hypervisor bit (CPUID.01H:ECX[31]) is clear: vtsim models hardware.
 *
 * Informational bits with no instruction behind them, claimed as the real parts do:
 * SS (self snoop), HTT (with leaves 04H/0BH modelled), ARAT (vtsim has no C-states),
 * invariant TSC (the virtual TSC counts retired instructions at a constant rate),
 * PREFETCHW (TCG decodes 0F 0D /1 as a NOP whatever its feature words say).
 */
#include "sim/cpu/cpuid.h"

#include <string.h>
#include <unicorn/unicorn.h>

/* One leaf/subleaf of a model. Leaves that are not subleaf-indexed use subleaf 0; a row
 * marked all_subleaves answers every subleaf of its leaf (topology leaves, computed). */
struct cpuid_row {
	uint32_t leaf;
	uint32_t subleaf;
	bool all_subleaves;
	struct cpuid_regs r;
};

struct cpu_model {
	const char *name;
	const char *description;
	const char *brand;         /* leaves 80000002H-80000004H, at most 47 characters */
	int engine_cpu;            /* UC_CPU_X86_* */
	const struct cpuid_row *rows;
	size_t nr_rows;
};

#define ROW(l, s, a, b, c, d) { .leaf = (l), .subleaf = (s), .r = { (a), (b), (c), (d) } }
#define ROW_COMPUTED(l) { .leaf = (l), .all_subleaves = true }

/* "GenuineIntel" in EBX, EDX, ECX. */
#define VENDOR_EBX 0x756E6547u  /* "Genu" */
#define VENDOR_EDX 0x49656E69u  /* "ineI" */
#define VENDOR_ECX 0x6C65746Eu  /* "ntel" */

/* CPUID.01H:EAX: stepping [3:0], model [7:4], family [11:8], extended model [19:16]. */
#define SIGNATURE(family, model, stepping) \
	((((model) >> 4) << 16) | ((family) << 8) | (((model) & 0xF) << 4) | (stepping))

/* CPUID.01H:EBX static part: CLFLUSH line size in 8-byte units [15:8]; the APIC ID and
 * addressable-ID fields are filled per LP. */
#define LEAF1_EBX_CLFLUSH_64 (8u << 8)

/* Leaf 02H: one iteration (AL = 01H), descriptor FFH: "use leaf 04H". */
#define LEAF2_EAX_USE_LEAF4 0x0000FF01u

/* Leaf 04H registers: type [4:0], level [7:5], self-initializing [8]; EBX: line size,
 * partitions, ways (each minus 1); ECX: sets minus 1. EAX[25:14] and [31:26] are per
 * topology, filled at query time. */
#define CACHE_DATA    1u
#define CACHE_INSN    2u
#define CACHE_UNIFIED 3u
#define CACHE_EAX(type, level) ((type) | ((level) << 5) | (1u << 8))
#define CACHE_EBX(line, ways)  (((line) - 1u) | (((ways) - 1u) << 22))
#define CACHE_SETS(size, line, ways) ((size) / ((line) * (ways)) - 1u)
#define CACHE_EDX_INCLUSIVE (1u << 1)
#define CACHE_EDX_COMPLEX   (1u << 2)

/* Leaf 80000006H:ECX: line size [7:0], associativity code [15:12], size in KiB [31:16]. */
#define L2_ASSOC_8  0x6u
#define L2_ASSOC_16 0x8u
#define L2_ECX(kib, assoc, line) (((kib) << 16) | ((assoc) << 12) | (line))

/* XSAVE area: legacy region (512) + header (64); x87 and SSE live in the legacy part. */
#define XSAVE_SIZE_X87_SSE 576u

/* --- Features shared by both models (the parts have them, TCG executes them) --- */

/* CPUID.01H:EDX. */
#define COMMON_01_EDX (                                                             \
	CPUID_01_EDX_FPU | CPUID_01_EDX_DE | CPUID_01_EDX_PSE | CPUID_01_EDX_TSC |  \
	CPUID_01_EDX_MSR | CPUID_01_EDX_PAE | CPUID_01_EDX_MCE | CPUID_01_EDX_CX8 | \
	CPUID_01_EDX_APIC | CPUID_01_EDX_SEP | CPUID_01_EDX_MTRR |                  \
	CPUID_01_EDX_PGE | CPUID_01_EDX_MCA | CPUID_01_EDX_CMOV | CPUID_01_EDX_PAT | \
	CPUID_01_EDX_PSE36 | CPUID_01_EDX_CLFSH | CPUID_01_EDX_MMX |                \
	CPUID_01_EDX_FXSR | CPUID_01_EDX_SSE | CPUID_01_EDX_SSE2 | CPUID_01_EDX_SS | \
	CPUID_01_EDX_HTT)

/* CPUID.01H:ECX, without MOVBE (Haswell and later) and without OSXSAVE (dynamic). */
#define COMMON_01_ECX (                                                         \
	CPUID_01_ECX_SSE3 | CPUID_01_ECX_PCLMULQDQ | CPUID_01_ECX_VMX |         \
	CPUID_01_ECX_SSSE3 | CPUID_01_ECX_CX16 | CPUID_01_ECX_SSE4_1 |          \
	CPUID_01_ECX_SSE4_2 | CPUID_01_ECX_POPCNT | CPUID_01_ECX_AES |          \
	CPUID_01_ECX_XSAVE | CPUID_01_ECX_TSC_DEADLINE | CPUID_01_ECX_X2APIC)

#define COMMON_80000001_EDX (                                                   \
	CPUID_80000001_EDX_SYSCALL | CPUID_80000001_EDX_NX |                    \
	CPUID_80000001_EDX_RDTSCP | CPUID_80000001_EDX_LM)

/* ---------------- "xeon": Sapphire Rapids (family 6, model 8FH) ---------------- */

#define XEON_MAX_BASIC    0x1Fu
#define XEON_MAX_EXT      0x80000008u
#define XEON_MAXPHYADDR   52u
#define XEON_MAXLINADDR   48u

#define XEON_01_ECX (COMMON_01_ECX | CPUID_01_ECX_MOVBE | CPUID_01_ECX_RDRAND | CPUID_01_ECX_SMX)

#define XEON_07_EBX (                                                           \
	CPUID_07_0_EBX_FSGSBASE | CPUID_07_0_EBX_BMI1 | CPUID_07_0_EBX_SMEP |   \
	CPUID_07_0_EBX_BMI2 | CPUID_07_0_EBX_ERMS | CPUID_07_0_EBX_ADX |        \
	CPUID_07_0_EBX_SMAP | CPUID_07_0_EBX_CLFLUSHOPT | CPUID_07_0_EBX_CLWB |  \
	CPUID_07_0_EBX_INVPCID | CPUID_07_0_EBX_RDSEED)

#define XEON_80000001_ECX (                                                     \
	CPUID_80000001_ECX_LAHF_LM | CPUID_80000001_ECX_LZCNT |                 \
	CPUID_80000001_ECX_PREFETCHW)

static const struct cpuid_row xeon_rows[] = {
	ROW(0x00, 0, XEON_MAX_BASIC, VENDOR_EBX, VENDOR_ECX, VENDOR_EDX),
	ROW(0x01, 0, SIGNATURE(6u, 0x8Fu, 8u), LEAF1_EBX_CLFLUSH_64, XEON_01_ECX, COMMON_01_EDX),
	ROW(0x02, 0, LEAF2_EAX_USE_LEAF4, 0, 0, 0),
	/* L1D 48 KiB 12-way, L1I 32 KiB 8-way, L2 2 MiB 16-way (per core),
	 * L3 105 MiB 15-way non-inclusive with complex indexing (per package). */
	ROW(0x04, 0, CACHE_EAX(CACHE_DATA, 1u), CACHE_EBX(64u, 12u),
	    CACHE_SETS(48u << 10, 64u, 12u), 0),
	ROW(0x04, 1, CACHE_EAX(CACHE_INSN, 1u), CACHE_EBX(64u, 8u),
	    CACHE_SETS(32u << 10, 64u, 8u), 0),
	ROW(0x04, 2, CACHE_EAX(CACHE_UNIFIED, 2u), CACHE_EBX(64u, 16u),
	    CACHE_SETS(2u << 20, 64u, 16u), 0),
	ROW(0x04, 3, CACHE_EAX(CACHE_UNIFIED, 3u), CACHE_EBX(64u, 15u),
	    CACHE_SETS(105u << 20, 64u, 15u), CACHE_EDX_COMPLEX),
	ROW(0x06, 0, CPUID_06_EAX_ARAT, 0, 0, 0),
	/* EAX = 0: subleaf 0 is the only one. EDX features (SERIALIZE, AMX, ...): none in TCG. */
	ROW(0x07, 0, 0, XEON_07_EBX, 0, 0),
	ROW(0x0A, 0, 0, 0, 0, 0),            /* no architectural PMU */
	ROW_COMPUTED(0x0B),                  /* x2APIC topology: per LP */
	ROW(0x0D, 0, CPUID_XCR0_X87 | CPUID_XCR0_SSE, XSAVE_SIZE_X87_SSE, XSAVE_SIZE_X87_SSE, 0),
	ROW(0x0D, 1, CPUID_0D_1_EAX_XSAVEOPT | CPUID_0D_1_EAX_XGETBV1, 0, 0, 0),
	/* TSC / core crystal clock = 1/1, the crystal's frequency not enumerated: the
	 * APIC timer counts on the TSC's clock (lapic_timer.h). */
	ROW(0x15, 0, 1, 1, 0, 0),
	ROW_COMPUTED(0x1F),                  /* V2 extended topology: per LP */
	ROW(0x80000000u, 0, XEON_MAX_EXT, 0, 0, 0),
	ROW(0x80000001u, 0, 0, 0, XEON_80000001_ECX, COMMON_80000001_EDX | CPUID_80000001_EDX_PDPE1GB),
	ROW(0x80000002u, 0, 0, 0, 0, 0),     /* brand string: from the model */
	ROW(0x80000003u, 0, 0, 0, 0, 0),
	ROW(0x80000004u, 0, 0, 0, 0, 0),
	ROW(0x80000006u, 0, 0, 0, L2_ECX(2048u, L2_ASSOC_16, 64u), 0),
	ROW(0x80000007u, 0, 0, 0, 0, CPUID_80000007_EDX_INVARIANT_TSC),
	ROW(0x80000008u, 0, XEON_MAXPHYADDR | (XEON_MAXLINADDR << 8), 0, 0, 0),
};

/* ------------- "minimal": Ivy Bridge client (family 6, model 3AH) ------------- */

#define MINIMAL_MAX_BASIC  0x0Du
#define MINIMAL_MAX_EXT    0x80000008u
#define MINIMAL_MAXPHYADDR 36u
#define MINIMAL_MAXLINADDR 48u

#define MINIMAL_07_EBX (CPUID_07_0_EBX_FSGSBASE | CPUID_07_0_EBX_SMEP | CPUID_07_0_EBX_ERMS)

static const struct cpuid_row minimal_rows[] = {
	ROW(0x00, 0, MINIMAL_MAX_BASIC, VENDOR_EBX, VENDOR_ECX, VENDOR_EDX),
	ROW(0x01, 0, SIGNATURE(6u, 0x3Au, 9u), LEAF1_EBX_CLFLUSH_64, COMMON_01_ECX, COMMON_01_EDX),
	ROW(0x02, 0, LEAF2_EAX_USE_LEAF4, 0, 0, 0),
	/* L1D and L1I 32 KiB 8-way, L2 256 KiB 8-way (per core), L3 8 MiB 16-way inclusive
	 * (per package). */
	ROW(0x04, 0, CACHE_EAX(CACHE_DATA, 1u), CACHE_EBX(64u, 8u),
	    CACHE_SETS(32u << 10, 64u, 8u), 0),
	ROW(0x04, 1, CACHE_EAX(CACHE_INSN, 1u), CACHE_EBX(64u, 8u),
	    CACHE_SETS(32u << 10, 64u, 8u), 0),
	ROW(0x04, 2, CACHE_EAX(CACHE_UNIFIED, 2u), CACHE_EBX(64u, 8u),
	    CACHE_SETS(256u << 10, 64u, 8u), 0),
	ROW(0x04, 3, CACHE_EAX(CACHE_UNIFIED, 3u), CACHE_EBX(64u, 16u),
	    CACHE_SETS(8u << 20, 64u, 16u), CACHE_EDX_INCLUSIVE | CACHE_EDX_COMPLEX),
	ROW(0x06, 0, CPUID_06_EAX_ARAT, 0, 0, 0),
	ROW(0x07, 0, 0, MINIMAL_07_EBX, 0, 0),
	ROW(0x0A, 0, 0, 0, 0, 0),            /* no architectural PMU */
	ROW_COMPUTED(0x0B),                  /* x2APIC topology: per LP */
	ROW(0x0D, 0, CPUID_XCR0_X87 | CPUID_XCR0_SSE, XSAVE_SIZE_X87_SSE, XSAVE_SIZE_X87_SSE, 0),
	ROW(0x0D, 1, CPUID_0D_1_EAX_XSAVEOPT, 0, 0, 0),
	ROW(0x80000000u, 0, MINIMAL_MAX_EXT, 0, 0, 0),
	ROW(0x80000001u, 0, 0, 0, CPUID_80000001_ECX_LAHF_LM, COMMON_80000001_EDX),
	ROW(0x80000002u, 0, 0, 0, 0, 0),     /* brand string: from the model */
	ROW(0x80000003u, 0, 0, 0, 0, 0),
	ROW(0x80000004u, 0, 0, 0, 0, 0),
	ROW(0x80000006u, 0, 0, 0, L2_ECX(256u, L2_ASSOC_8, 64u), 0),
	ROW(0x80000007u, 0, 0, 0, 0, CPUID_80000007_EDX_INVARIANT_TSC),
	ROW(0x80000008u, 0, MINIMAL_MAXPHYADDR | (MINIMAL_MAXLINADDR << 8), 0, 0, 0),
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Unicorn models whose features, once QEMU filters them to TCG_*_FEATURES, cover the
 * claims: Skylake-Server adds only RDRAND/RDSEED and PKU (not claimed), IvyBridge only
 * RDRAND. */
static const struct cpu_model models[] = {
	{
		.name = "xeon",
		.description = "Intel Xeon, Sapphire Rapids (family 6 model 8FH), "
			       "features limited to what the software CPU executes",
		.brand = "vtsim Virtual Xeon (Sapphire Rapids model)",
		.engine_cpu = UC_CPU_X86_SKYLAKE_SERVER,
		.rows = xeon_rows,
		.nr_rows = ARRAY_SIZE(xeon_rows),
	},
	{
		.name = "minimal",
		.description = "Intel Core, Ivy Bridge (family 6 model 3AH): an older VMX part",
		.brand = "vtsim Virtual Core (Ivy Bridge model)",
		.engine_cpu = UC_CPU_X86_IVYBRIDGE,
		.rows = minimal_rows,
		.nr_rows = ARRAY_SIZE(minimal_rows),
	},
};

/* Leaves whose output depends on ECX (SDM: CPUID, "Information Returned by CPUID"). */
static bool leaf_has_subleaves(uint32_t leaf)
{
	static const uint32_t indexed[] = {
		0x04, 0x07, 0x0B, 0x0D, 0x0F, 0x10, 0x12, 0x14, 0x17, 0x18,
		0x1A, 0x1B, 0x1D, 0x1E, 0x1F, 0x20, 0x23, 0x24,
	};
	for (size_t i = 0; i < ARRAY_SIZE(indexed); i++)
		if (indexed[i] == leaf)
			return true;
	return false;
}

static const struct cpuid_row *find_row(const struct cpu_model *m, uint32_t leaf,
					 uint32_t subleaf)
{
	if (!leaf_has_subleaves(leaf))
		subleaf = 0;
	for (size_t i = 0; i < m->nr_rows; i++)
		if (m->rows[i].leaf == leaf &&
		    (m->rows[i].all_subleaves || m->rows[i].subleaf == subleaf))
			return &m->rows[i];
	return NULL;
}

static uint32_t row_eax(const struct cpu_model *m, uint32_t leaf)
{
	const struct cpuid_row *row = find_row(m, leaf, 0);
	return row ? row->r.eax : 0;
}

/* Bits needed to number n IDs: the x2APIC ID shift of a level holding n of them. */
static unsigned ceil_log2(unsigned n)
{
	unsigned s = 0;
	while (s < 31 && (1u << s) < n)
		s++;
	return s;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* --- Per-LP bits, one function per leaf that has them --- */

struct query_ctx {
	const struct cpu_model *m;
	unsigned nr_cpus;
	unsigned apic_id;
	bool cr4_osxsave;
	uint32_t leaf;
	uint32_t subleaf;
};

/* EBX[23:16]: addressable logical-processor IDs in the package (valid with HTT);
 * EBX[31:24]: initial APIC ID; ECX[27]: OSXSAVE mirrors CR4.OSXSAVE. */
static void fill_leaf1(const struct query_ctx *q, struct cpuid_regs *r)
{
	uint32_t ids = min_u32(1u << ceil_log2(q->nr_cpus), 0xFF);

	r->ebx = (r->ebx & 0xFFFFu) | (ids << 16) | ((q->apic_id & 0xFFu) << 24);
	r->ecx &= ~CPUID_01_ECX_OSXSAVE;
	if (q->cr4_osxsave && (r->ecx & CPUID_01_ECX_XSAVE))
		r->ecx |= CPUID_01_ECX_OSXSAVE;
}

/* EAX[25:14]: IDs sharing the cache, minus 1 (one thread per core: level 1 and 2
 * caches are private, the last level is shared by the package);
 * EAX[31:26]: addressable core IDs in the package, minus 1. */
static void fill_leaf4(const struct query_ctx *q, struct cpuid_regs *r)
{
	uint32_t ids = 1u << ceil_log2(q->nr_cpus);
	uint32_t level = (r->eax >> 5) & 7;

	if ((r->eax & 0x1F) == 0)
		return;  /* no more caches */
	r->eax &= 0x3FFFu;
	if (level >= 3)
		r->eax |= (min_u32(ids, 1u << 12) - 1) << 14;
	r->eax |= (min_u32(ids, 1u << 6) - 1) << 26;
}

/* Leaves 0BH and 1FH: level 0 is SMT (one thread per core), level 1 is the core level
 * holding nr_cpus cores; later levels are invalid. EDX is the x2APIC ID at every
 * subleaf. */
#define TOPO_LEVEL_SMT  1u
#define TOPO_LEVEL_CORE 2u

static void fill_topology(const struct query_ctx *q, struct cpuid_regs *r)
{
	switch (q->subleaf) {
	case 0:
		r->eax = 0;
		r->ebx = 1;
		r->ecx = TOPO_LEVEL_SMT << 8;
		break;
	case 1:
		r->eax = ceil_log2(q->nr_cpus);
		r->ebx = min_u32(q->nr_cpus, 0xFFFF);
		r->ecx = 1u | (TOPO_LEVEL_CORE << 8);
		break;
	default:
		r->eax = 0;
		r->ebx = 0;
		r->ecx = q->subleaf & 0xFFu;
		break;
	}
	r->edx = q->apic_id;
}

/* Leaves 80000002H-80000004H: 16 bytes each of the NUL-padded 48-byte brand string. */
static void fill_brand(const struct query_ctx *q, struct cpuid_regs *r)
{
	char brand[48] = { 0 };
	const char *s = q->m->brand;
	size_t len = strlen(s);
	uint32_t w[4];
	const unsigned char *p;

	memcpy(brand, s, len < sizeof(brand) - 1 ? len : sizeof(brand) - 1);
	p = (const unsigned char *)brand + 16 * (q->leaf - 0x80000002u);
	for (unsigned i = 0; i < 4; i++)
		w[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
		       (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
	r->eax = w[0];
	r->ebx = w[1];
	r->ecx = w[2];
	r->edx = w[3];
}

static const struct {
	uint32_t leaf;
	void (*fill)(const struct query_ctx *q, struct cpuid_regs *r);
} dynamic_leaves[] = {
	{ 0x01, fill_leaf1 },
	{ 0x04, fill_leaf4 },
	{ 0x0B, fill_topology },
	{ 0x1F, fill_topology },
	{ 0x80000002u, fill_brand },
	{ 0x80000003u, fill_brand },
	{ 0x80000004u, fill_brand },
};

void cpuid_query(const struct cpu_model *m, const struct cpuid_topology *topo,
		 bool cr4_osxsave, uint32_t leaf, uint32_t subleaf, struct cpuid_regs *out)
{
	uint32_t max_basic = row_eax(m, 0);
	uint32_t max_ext = row_eax(m, 0x80000000u);
	const struct cpuid_row *row;
	struct query_ctx q = {
		.m = m,
		.nr_cpus = topo && topo->nr_cpus ? topo->nr_cpus : 1,
		.apic_id = topo ? topo->apic_id : 0,
		.cr4_osxsave = cr4_osxsave,
		.subleaf = subleaf,
	};

	/* Out of range, basic or extended (or in between, e.g. 40000000H): the highest
	 * basic leaf answers, with ECX as given. */
	if (leaf >= 0x80000000u ? leaf > max_ext : leaf > max_basic)
		leaf = max_basic;
	q.leaf = leaf;

	row = find_row(m, leaf, subleaf);
	*out = row ? row->r : (struct cpuid_regs){ 0, 0, 0, 0 };
	if (!row)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(dynamic_leaves); i++)
		if (dynamic_leaves[i].leaf == leaf)
			dynamic_leaves[i].fill(&q, out);
}

unsigned cpuid_maxphyaddr(const struct cpu_model *m)
{
	return row_eax(m, 0x80000008u) & 0xFFu;
}

unsigned cpuid_maxlinaddr(const struct cpu_model *m)
{
	return (row_eax(m, 0x80000008u) >> 8) & 0xFFu;
}

const struct cpu_model *cpuid_model_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(models); i++)
		if (strcmp(models[i].name, name) == 0)
			return &models[i];
	return NULL;
}

const struct cpu_model *cpuid_model_default(void)
{
	return &models[0];
}

size_t cpuid_model_count(void)
{
	return ARRAY_SIZE(models);
}

const struct cpu_model *cpuid_model_at(size_t i)
{
	return i < ARRAY_SIZE(models) ? &models[i] : NULL;
}

const char *cpuid_model_name(const struct cpu_model *m)
{
	return m->name;
}

const char *cpuid_model_description(const struct cpu_model *m)
{
	return m->description;
}

int cpuid_model_engine_cpu(const struct cpu_model *m)
{
	return m->engine_cpu;
}

bool cpuid_xcr0_valid(const struct cpu_model *m, const struct cpuid_topology *topo, uint64_t xcr0)
{
	struct cpuid_regs r;
	cpuid_query(m, topo, true, 0xd, 0, &r);
	return (xcr0 & CPUID_XCR0_X87) && (!(xcr0 & CPUID_XCR0_AVX) || (xcr0 & CPUID_XCR0_SSE)) &&
	       !(xcr0 & ~(((uint64_t)r.edx << 32) | r.eax));
}
