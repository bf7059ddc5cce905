/* Global metadata (TDH.SYS.RD): one table of the fields, with the ids of the ABI
 * (class << 56 | element size << 32 | field code) and this module's values. Linux
 * reads every field in the first group at bring-up and fails without one. */
#include "sim/tdx_module_stub/module_priv.h"
#include "sim/tdx_module_stub/md_fields.h"

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
	{ MD_MINOR_VERSION, MD_CONST, 5 },     /* MINOR_VERSION */
	{ MD_MAJOR_VERSION, MD_CONST, 1 },     /* MAJOR_VERSION */
	{ MD_UPDATE_VERSION, MD_CONST, 0 },     /* UPDATE_VERSION */
	{ MD_TDX_FEATURES0, MD_CONST, TDX_FEATURES0_NO_RBP_MOD | TDX_FEATURES0_TOPOLOGY_ENUM },
	{ MD_NUM_CMRS, MD_NCMRS, 0 },     /* NUM_CMRS */
	ARRAY_FIELDS(MD_CMR_BASE(0), MD_CMR_BASE, 6),
	ARRAY_FIELDS(MD_CMR_SIZE(0), MD_CMR_SIZE, 6),
	{ MD_MAX_TDMRS, MD_CONST, TDX_MAX_TDMRS },          /* MAX_TDMRS */
	{ MD_MAX_RESERVED_PER_TDMR, MD_CONST, TDX_MAX_RSVD_PER_TDMR },  /* MAX_RESERVED_PER_TDMR */
	{ MD_PAMT_4K_ENTRY_SIZE, MD_CONST, 16 },    /* PAMT_4K_ENTRY_SIZE */
	{ MD_PAMT_2M_ENTRY_SIZE, MD_CONST, 16 },    /* PAMT_2M_ENTRY_SIZE */
	{ MD_PAMT_1G_ENTRY_SIZE, MD_CONST, 16 },    /* PAMT_1G_ENTRY_SIZE */
	{ MD_TDR_BASE_SIZE, MD_CONST, TDR_BASE_SIZE },
	{ MD_TDCS_BASE_SIZE, MD_CONST, TDCS_BASE_SIZE },
	{ MD_TDVPS_BASE_SIZE, MD_CONST, TDVPS_BASE_SIZE },
	{ MD_ATTRIBUTES_FIXED0, MD_CONST, TDX_ATTRIBUTES_FIXED0 },
	{ MD_ATTRIBUTES_FIXED1, MD_CONST, TDX_ATTRIBUTES_FIXED1 },
	{ MD_XFAM_FIXED0, MD_CONST, TDX_XFAM_FIXED0 },
	{ MD_XFAM_FIXED1, MD_CONST, TDX_XFAM_FIXED1 },
	{ MD_NUM_CPUID_CONFIG, MD_CONST, NCPUID },                 /* NUM_CPUID_CONFIG */
	{ MD_MAX_VCPUS_PER_TD, MD_MAX_VCPUS, 0 },                  /* MAX_VCPUS_PER_TD */
	{ MD_CPUID_CONFIG_LEAVES(0), MD_CPUID_LEAF, 0 },
	{ MD_CPUID_CONFIG_LEAVES(1), MD_CPUID_LEAF, 1 },
	{ MD_CPUID_CONFIG_LEAVES(2), MD_CPUID_LEAF, 2 },
	{ MD_CPUID_CONFIG_VALUES(0, 0), MD_CPUID_VALUE, 0 },
	{ MD_CPUID_CONFIG_VALUES(0, 1), MD_CPUID_VALUE, 1 },
	{ MD_CPUID_CONFIG_VALUES(1, 0), MD_CPUID_VALUE, 2 },
	{ MD_CPUID_CONFIG_VALUES(1, 1), MD_CPUID_VALUE, 3 },
	{ MD_CPUID_CONFIG_VALUES(2, 0), MD_CPUID_VALUE, 4 },
	{ MD_CPUID_CONFIG_VALUES(2, 1), MD_CPUID_VALUE, 5 },
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
