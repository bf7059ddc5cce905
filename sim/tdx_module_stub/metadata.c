/* Global metadata (TDH.SYS.RD): one table of the fields, with the ids of the ABI
 * (class << 56 | element size << 32 | field code) and this module's values. Linux
 * reads every field in the first group at bring-up and fails without one. */
#include "sim/tdx_module_stub/module_priv.h"

#define TDX_FEATURES0_NO_RBP_MOD      (1ull << 18)
#define TDX_FEATURES0_TOPOLOGY_ENUM   (1ull << 20)

#define TDR_BASE_SIZE   (TDX_TDR_PAGES * 4096)
#define TDCS_BASE_SIZE  (TDX_TDCS_PAGES * 4096)
#define TDVPS_BASE_SIZE (TDX_TDVPS_PAGES * 4096)

/* CPUID leaves a TD's configuration may set (leaf | subleaf << 32; subleaf ~0 when
 * the leaf has none), and the bits of each register that may be configured. */
static const struct { uint64_t leaf; uint64_t values[2]; } cpuid_config[] = {
	{ 0x1 | 0xffffffffull << 32, { 0x00ff00ffffffffffull, 0xffffffffffffffffull } },
	{ 0x7 | 0ull << 32,          { 0xffffffff00000000ull, 0xffffffffffffffffull } },
	{ 0x80000008 | 0xffffffffull << 32, { 0x00000000000000ffull, 0 } },
};
#define NCPUID (sizeof(cpuid_config) / sizeof(cpuid_config[0]))

enum md_kind { MD_CONST, MD_CMR_BASE, MD_CMR_SIZE, MD_NCMRS, MD_CPUID_LEAF, MD_CPUID_VALUE,
	       MD_MAX_VCPUS };

struct md_field {
	uint64_t id;
	enum md_kind kind;
	uint64_t value;           /* MD_CONST; the index for the array kinds */
};

#define ARRAY_FIELDS(base, kind, n) \
	{ (base) + 0, kind, 0 }, { (base) + 1, kind, 1 }, { (base) + 2, kind, 2 }, \
	{ (base) + 3, kind, 3 }, { (base) + 4, kind, 4 }, { (base) + 5, kind, 5 }

static const struct md_field fields[] = {
	{ 0x0800000100000003ull, MD_CONST, 5 },     /* MINOR_VERSION */
	{ 0x0800000100000004ull, MD_CONST, 1 },     /* MAJOR_VERSION */
	{ 0x0800000100000005ull, MD_CONST, 0 },     /* UPDATE_VERSION */
	{ 0x0A00000300000008ull, MD_CONST, TDX_FEATURES0_NO_RBP_MOD | TDX_FEATURES0_TOPOLOGY_ENUM },
	{ 0x9000000100000000ull, MD_NCMRS, 0 },     /* NUM_CMRS */
	ARRAY_FIELDS(0x9000000300000080ull, MD_CMR_BASE, 6),
	ARRAY_FIELDS(0x9000000300000100ull, MD_CMR_SIZE, 6),
	{ 0x9100000100000008ull, MD_CONST, TDX_MAX_TDMRS },          /* MAX_TDMRS */
	{ 0x9100000100000009ull, MD_CONST, TDX_MAX_RSVD_PER_TDMR },  /* MAX_RESERVED_PER_TDMR */
	{ 0x9100000100000010ull, MD_CONST, 16 },    /* PAMT_4K_ENTRY_SIZE */
	{ 0x9100000100000011ull, MD_CONST, 16 },    /* PAMT_2M_ENTRY_SIZE */
	{ 0x9100000100000012ull, MD_CONST, 16 },    /* PAMT_1G_ENTRY_SIZE */
	{ 0x9800000100000000ull, MD_CONST, TDR_BASE_SIZE },
	{ 0x9800000100000100ull, MD_CONST, TDCS_BASE_SIZE },
	{ 0x9800000100000200ull, MD_CONST, TDVPS_BASE_SIZE },
	{ 0x1900000300000000ull, MD_CONST, TDX_ATTRIBUTES_FIXED0 },
	{ 0x1900000300000001ull, MD_CONST, TDX_ATTRIBUTES_FIXED1 },
	{ 0x1900000300000002ull, MD_CONST, TDX_XFAM_FIXED0 },
	{ 0x1900000300000003ull, MD_CONST, TDX_XFAM_FIXED1 },
	{ 0x9900000100000004ull, MD_CONST, NCPUID },                 /* NUM_CPUID_CONFIG */
	{ 0x9900000100000008ull, MD_MAX_VCPUS, 0 },                  /* MAX_VCPUS_PER_TD */
	{ 0x9900000300000400ull, MD_CPUID_LEAF, 0 },
	{ 0x9900000300000401ull, MD_CPUID_LEAF, 1 },
	{ 0x9900000300000402ull, MD_CPUID_LEAF, 2 },
	{ 0x9900000300000500ull, MD_CPUID_VALUE, 0 },
	{ 0x9900000300000501ull, MD_CPUID_VALUE, 1 },
	{ 0x9900000300000502ull, MD_CPUID_VALUE, 2 },
	{ 0x9900000300000503ull, MD_CPUID_VALUE, 3 },
	{ 0x9900000300000504ull, MD_CPUID_VALUE, 4 },
	{ 0x9900000300000505ull, MD_CPUID_VALUE, 5 },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static uint64_t field_value(const struct tdx_module *mod, const struct md_field *f)
{
	switch (f->kind) {
	case MD_CONST:       return f->value;
	case MD_NCMRS:       return mod->info.ncmrs;
	case MD_CMR_BASE:    return f->value < mod->info.ncmrs ? mod->info.cmr[f->value].base : 0;
	case MD_CMR_SIZE:    return f->value < mod->info.ncmrs ? mod->info.cmr[f->value].size : 0;
	case MD_CPUID_LEAF:  return cpuid_config[f->value].leaf;
	case MD_CPUID_VALUE: return cpuid_config[f->value / 2].values[f->value % 2];
	case MD_MAX_VCPUS:   return tdx_max_vcpus_per_td(mod);
	}
	return 0;
}

int tdx_metadata_read(const struct tdx_module *mod, uint64_t id, uint64_t *value, uint64_t *next)
{
	for (size_t i = 0; i < NFIELDS; i++) {
		if (fields[i].id != id)
			continue;
		*value = field_value(mod, &fields[i]);
		*next = i + 1 < NFIELDS ? fields[i + 1].id : ~0ull;
		return 0;
	}
	return -1;
}

void tdx_metadata_first(uint64_t *id)
{
	*id = fields[0].id;
}

unsigned tdx_max_vcpus_per_td(const struct tdx_module *mod)
{
	return mod->info.nr_lps > 8 ? mod->info.nr_lps : 8;
}

unsigned tdx_cpuid_config_count(void)
{
	return NCPUID;
}

void tdx_cpuid_config_at(unsigned i, uint64_t *leaf, uint64_t allowed[2])
{
	*leaf = cpuid_config[i].leaf;
	allowed[0] = cpuid_config[i].values[0];
	allowed[1] = cpuid_config[i].values[1];
}
