/* The TDX platform from the host's side: a --tdx machine brought up the way Linux
 * brings up the TDX module (VMXON everywhere, the KeyID split from MSR 0x87,
 * TDH.SYS.INIT, TDH.SYS.LP.INIT on every LP, the global metadata through
 * TDH.SYS.RD, one TDMR with its PAMT, TDH.SYS.CONFIG, TDH.SYS.KEY.CONFIG per
 * package, TDH.SYS.TDMR.INIT), then the PAMT as TDH.PHYMEM.PAGE.RDMD reports it,
 * every refusal with its exact status and operand id, and SEAMCALL's own
 * outcomes. Facts: the TDX module ABI (status values, operand ids, TDMR_INFO
 * layout, the platform state machine) and Linux's bring-up order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/cpu/machine.h"
#include "sim/tdx_module_stub/module.h"
#include "sim/tdx_module_stub/status.h"
#include "vtsim/hosted.h"
#include "vtsim/vtsim.h"

#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define GIB (1ull << 30)

/* SEAMCALL leaves (RAX bits 15:0). */
enum {
	TDH_MNG_CREATE = 9,
	TDH_PHYMEM_PAGE_RDMD = 24,
	TDH_SYS_KEY_CONFIG = 31,
	TDH_SYS_INIT = 33,
	TDH_SYS_RD = 34,
	TDH_SYS_LP_INIT = 35,
	TDH_SYS_TDMR_INIT = 36,
	TDH_SYS_LP_SHUTDOWN = 44,
	TDH_SYS_CONFIG = 45,
};

/* Global metadata field ids: sim/tdx_module_stub/md_fields.h. */
#include "sim/tdx_module_stub/md_fields.h"

#define TDX_FEATURES0_NO_RBP_MOD     (1ull << 18)
#define TDX_FEATURES0_TOPOLOGY_ENUM  (1ull << 20)

#define MSR_IA32_MTRRCAP                  0xfe
#define MSR_IA32_MKTME_KEYID_PARTITIONING 0x87
#define MSR_IA32_TME_ACTIVATE             0x982
#define MSR_IA32_SEAMRR_PHYS_BASE         0x1400
#define MSR_IA32_SEAMRR_PHYS_MASK         0x1401
#define MSR_IA32_VMX_BASIC                0x480
#define CR4_VMXE                          (1ull << 13)

/* Where the test puts its structures in the machine's RAM (all inside the CMR). */
#define VMXON_PA(lp)     (0x10000ull + (lp) * 0x1000ull)
#define TDMR_ARRAY_PA    0x40000ull
#define TDMR_INFO_PA(i)  (0x41000ull + (i) * 0x200ull)
#define TDMR_INFO_SIZE   0x200ull       /* 64 + 16 reserved areas of 16 bytes, 512-aligned */
#define PAMT_PA          (32 * MIB)
#define PAMT2_PA         (48 * MIB)     /* a second TDMR's PAMT */
#define MAX_LPS          8
#define MAX_RSVD         16
#define MAX_CMRS         32
#define MAX_CPUID_CONFIG 64

/* The PAMT levels, as TDMR_INFO numbers them (4K, 2M, 1G). */
enum { L4K, L2M, L1G };

/* Page types in the PAMT (TDH.PHYMEM.PAGE.RDMD RCX). */
enum { PT_NDA = 0, PT_RSVD = 1 };

/* What Linux reads from the module before it configures it. */
struct sysinfo {
	uint64_t major, minor, update;
	uint64_t features0;
	uint64_t max_tdmrs, max_rsvd_per_tdmr, pamt_entry_size[3];
	uint64_t tdr_base_size, tdcs_base_size, tdvps_base_size;
	uint64_t attributes_fixed0, attributes_fixed1, xfam_fixed0, xfam_fixed1;
	uint64_t num_cpuid_config, max_vcpus_per_td;
	uint64_t cpuid_leaf[MAX_CPUID_CONFIG], cpuid_value[MAX_CPUID_CONFIG][2];
	uint64_t ncmrs, cmr_base[MAX_CMRS], cmr_size[MAX_CMRS];
};

/* One TDMR as the test lays it out before it writes the TDMR_INFO. */
struct tdmr {
	uint64_t base, size;
	uint64_t pamt_base[3], pamt_size[3];     /* by level: 4K, 2M, 1G */
	unsigned nrsvd;
	struct { uint64_t offset, size; } rsvd[MAX_RSVD];
};

struct plat {
	struct vtsim_machine *m;
	unsigned nr_lps;
	uint8_t *ram;
	uint64_t ram_size;
	unsigned keyid_shift;           /* HKID bits start here in a PA */
	uint64_t nr_mktme_keyids, nr_tdx_keyids;
	uint64_t global_keyid;
	uint64_t seamrr_base;
	struct sysinfo si;
	struct tdmr tdmr;               /* the TDMR of the bring-up */
};

/* ---- status assertions --------------------------------------------------------------- */

static void check_status(uint64_t got, uint64_t want, const char *expr, const char *file, int line)
{
	if (got == want)
		return;
	const char *gn = tdx_status_name(got), *wn = tdx_status_name(want);
	print_error("%s = 0x%016llx (%s | 0x%x), expected 0x%016llx (%s | 0x%x)\n", expr,
		    (unsigned long long)got, gn ? gn : "?", (unsigned)(got & 0xffffffff),
		    (unsigned long long)want, wn ? wn : "?", (unsigned)(want & 0xffffffff));
	_fail(file, line);
}

/* The exact 64-bit RAX: status | operand id. */
#define assert_status(got, want) check_status((got), (want), #got, __FILE__, __LINE__)

/* ---- the machine ------------------------------------------------------------------------ */

static void put64(struct plat *p, uint64_t pa, uint64_t v)
{
	assert_true(pa + 8 <= p->ram_size);
	for (int i = 0; i < 8; i++)
		p->ram[pa + i] = (uint8_t)(v >> (8 * i));
}

static void put32(struct plat *p, uint64_t pa, uint32_t v)
{
	assert_true(pa + 4 <= p->ram_size);
	for (int i = 0; i < 4; i++)
		p->ram[pa + i] = (uint8_t)(v >> (8 * i));
}

static struct vtsim_machine *new_machine(bool tdx, const char *model, unsigned nr_lps,
					 char *err, size_t errlen)
{
	struct vtsim_config cfg;
	vtsim_config_defaults(&cfg);
	cfg.tdx = tdx;
	cfg.cpu_model = model;
	cfg.nr_cpus = nr_lps;
	return vtsim_machine_create(&cfg, err, errlen);
}

static struct plat *plat_new(bool tdx, unsigned nr_lps)
{
	char err[256] = "";
	struct plat *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	assert_true(nr_lps <= MAX_LPS);
	p->nr_lps = nr_lps;
	p->m = new_machine(tdx, NULL, nr_lps, err, sizeof(err));
	if (!p->m)
		fail_msg("machine: %s", err);
	if (vtsim_hosted_start(p->m, err, sizeof(err)))
		fail_msg("hosted start: %s", err);
	p->ram = vtsim_machine_ram(p->m, &p->ram_size);
	assert_non_null(p->ram);
	return p;
}

static void plat_free(struct plat *p)
{
	if (!p)
		return;
	vtsim_machine_destroy(p->m);
	free(p);
}

/* VMXON on one LP, as KVM's hardware enable does it: the VMXON region carries the
 * VMCS revision id of IA32_VMX_BASIC, and CR4.VMXE is set first. */
static void vmxon(struct plat *p, unsigned lp)
{
	uint64_t basic, cr4;
	assert_int_equal(vtsim_hosted_rdmsr(p->m, lp, MSR_IA32_VMX_BASIC, &basic), 0);
	put32(p, VMXON_PA(lp), (uint32_t)basic & 0x7fffffff);
	assert_int_equal(vtsim_hosted_read_cr(p->m, lp, 4, &cr4), 0);
	assert_int_equal(vtsim_hosted_write_cr(p->m, lp, 4, cr4 | CR4_VMXE), 0);
	struct vtsim_vmx_operands ops = { .mem = true };
	struct vtsim_vmx_result r;
	uint64_t pa = VMXON_PA(lp);
	memcpy(ops.data, &pa, 8);
	vtsim_vmx(p->m, lp, VTSIM_VMXON, &ops, &r);
	assert_int_equal(r.outcome, VTSIM_VMSUCCEED);
}

static void vmxon_all(struct plat *p)
{
	for (unsigned lp = 0; lp < p->nr_lps; lp++)
		vmxon(p, lp);
}

static struct tdx_module *module_of(struct plat *p)
{
	assert_non_null(p->m->seam.module);
	return p->m->seam.module;
}

static enum tdx_sys_state sys_state(struct plat *p)
{
	return tdx_module_sys_state(module_of(p));
}

/* ---- SEAMCALL ---------------------------------------------------------------------------- */

/* One SEAMCALL that reaches the module; its status. */
static uint64_t seamcall(struct plat *p, unsigned lp, struct vtsim_seamcall_args *a)
{
	enum vtsim_seamcall_outcome o = vtsim_seamcall(p->m, lp, a);
	assert_int_equal(o, VTSIM_SEAMCALL_DONE);
	return a->rax;
}

static uint64_t call(struct plat *p, unsigned lp, uint64_t rax, uint64_t rcx, uint64_t rdx, uint64_t r8)
{
	struct vtsim_seamcall_args a = { .rax = rax, .rcx = rcx, .rdx = rdx, .r8 = r8 };
	return seamcall(p, lp, &a);
}

/* Repeats the call while the module has no entropy, as Linux's sc_retry does. */
static uint64_t call_retry(struct plat *p, unsigned lp, struct vtsim_seamcall_args *in, unsigned *tries)
{
	struct vtsim_seamcall_args a;
	unsigned n = 0;
	uint64_t st;
	do {
		a = *in;
		st = seamcall(p, lp, &a);
		n++;
	} while (st == TDX_RND_NO_ENTROPY && n < 1000);
	*in = a;
	if (tries)
		*tries = n;
	return st;
}

static uint64_t sys_rd(struct plat *p, unsigned lp, uint64_t field, uint64_t *value, uint64_t *next)
{
	struct vtsim_seamcall_args a = { .rax = TDH_SYS_RD, .rdx = field, .r8 = 0x5a5a5a5a5a5a5a5aull };
	uint64_t st = seamcall(p, lp, &a);
	if (value)
		*value = a.r8;
	if (next)
		*next = a.rdx;
	return st;
}

/* A field Linux cannot do without: the read must succeed. */
static uint64_t md(struct plat *p, uint64_t field)
{
	uint64_t v;
	uint64_t st = sys_rd(p, 0, field, &v, NULL);
	if (st != TDX_SUCCESS)
		fail_msg("TDH.SYS.RD 0x%016llx -> 0x%016llx", (unsigned long long)field, (unsigned long long)st);
	return v;
}

static uint64_t rdmd(struct plat *p, uint64_t pa, struct vtsim_seamcall_args *out)
{
	struct vtsim_seamcall_args a = { .rax = TDH_PHYMEM_PAGE_RDMD, .rcx = pa };
	uint64_t st = seamcall(p, 0, &a);
	if (out)
		*out = a;
	return st;
}

/* ---- the bring-up, step by step -------------------------------------------------------- */

/* MSR 0x87: MKTME KeyIDs in 31:0, TDX KeyIDs in 63:32; TDX KeyIDs follow the MKTME
 * ones and the first is the global KeyID. The KeyID bits sit at the top of the
 * physical address (IA32_TME_ACTIVATE 35:32 says how many). */
static void pick_keyids(struct plat *p)
{
	uint64_t part, act;
	uint32_t leaf[4];
	assert_int_equal(vtsim_hosted_rdmsr(p->m, 0, MSR_IA32_MKTME_KEYID_PARTITIONING, &part), 0);
	p->nr_mktme_keyids = part & 0xffffffff;
	p->nr_tdx_keyids = part >> 32;
	assert_true(p->nr_tdx_keyids >= 2);      /* one global, at least one for a TD */
	p->global_keyid = p->nr_mktme_keyids + 1;
	assert_int_equal(vtsim_hosted_rdmsr(p->m, 0, MSR_IA32_TME_ACTIVATE, &act), 0);
	vtsim_hosted_cpuid(p->m, 0, 0x80000008, 0, leaf);
	p->keyid_shift = (leaf[0] & 0xff) - (unsigned)((act >> 32) & 0xf);
	uint64_t base;
	assert_int_equal(vtsim_hosted_rdmsr(p->m, 0, MSR_IA32_SEAMRR_PHYS_BASE, &base), 0);
	p->seamrr_base = base & ~0xfffull;
}

static void sys_init(struct plat *p)
{
	assert_status(call(p, 0, TDH_SYS_INIT, 0, 0, 0), TDX_SUCCESS);
	assert_int_equal(sys_state(p), TDX_SYS_STATE_SYSINIT_DONE);
}

static void lp_init(struct plat *p, unsigned lp)
{
	/* Before its LP.INIT the LP may not read metadata; after, it may. */
	assert_status(sys_rd(p, lp, MD_MAJOR_VERSION, NULL, NULL), TDX_SYS_LP_INIT_NOT_DONE);
	assert_status(call(p, lp, TDH_SYS_LP_INIT, 0, 0, 0), TDX_SUCCESS);
	assert_status(sys_rd(p, lp, MD_MAJOR_VERSION, NULL, NULL), TDX_SUCCESS);
}

/* What Linux reads (get_tdx_sys_info), plus the CMRs. */
static void read_sysinfo(struct plat *p)
{
	struct sysinfo *s = &p->si;
	s->minor = md(p, MD_MINOR_VERSION);
	s->major = md(p, MD_MAJOR_VERSION);
	s->update = md(p, MD_UPDATE_VERSION);
	s->features0 = md(p, MD_TDX_FEATURES0);
	s->max_tdmrs = md(p, MD_MAX_TDMRS);
	s->max_rsvd_per_tdmr = md(p, MD_MAX_RESERVED_PER_TDMR);
	s->pamt_entry_size[L4K] = md(p, MD_PAMT_4K_ENTRY_SIZE);
	s->pamt_entry_size[L2M] = md(p, MD_PAMT_2M_ENTRY_SIZE);
	s->pamt_entry_size[L1G] = md(p, MD_PAMT_1G_ENTRY_SIZE);
	s->tdr_base_size = md(p, MD_TDR_BASE_SIZE);
	s->tdcs_base_size = md(p, MD_TDCS_BASE_SIZE);
	s->tdvps_base_size = md(p, MD_TDVPS_BASE_SIZE);
	s->attributes_fixed0 = md(p, MD_ATTRIBUTES_FIXED0);
	s->attributes_fixed1 = md(p, MD_ATTRIBUTES_FIXED1);
	s->xfam_fixed0 = md(p, MD_XFAM_FIXED0);
	s->xfam_fixed1 = md(p, MD_XFAM_FIXED1);
	s->num_cpuid_config = md(p, MD_NUM_CPUID_CONFIG);
	s->max_vcpus_per_td = md(p, MD_MAX_VCPUS_PER_TD);
	assert_true(s->num_cpuid_config >= 1 && s->num_cpuid_config <= MAX_CPUID_CONFIG);
	for (uint64_t i = 0; i < s->num_cpuid_config; i++) {
		s->cpuid_leaf[i] = md(p, MD_CPUID_CONFIG_LEAVES(i));
		s->cpuid_value[i][0] = md(p, MD_CPUID_CONFIG_VALUES(i, 0));
		s->cpuid_value[i][1] = md(p, MD_CPUID_CONFIG_VALUES(i, 1));
	}
	s->ncmrs = md(p, MD_NUM_CMRS);
	assert_true(s->ncmrs >= 1 && s->ncmrs <= MAX_CMRS);
	for (uint64_t i = 0; i < s->ncmrs; i++) {
		s->cmr_base[i] = md(p, MD_CMR_BASE(i));
		s->cmr_size[i] = md(p, MD_CMR_SIZE(i));
	}
}

/* What Linux and KVM require of those values. */
static void check_sysinfo(struct plat *p)
{
	const struct sysinfo *s = &p->si;
	assert_true(s->major >= 1);
	assert_true(s->features0 & TDX_FEATURES0_NO_RBP_MOD);
	assert_true(s->features0 & TDX_FEATURES0_TOPOLOGY_ENUM);
	assert_true(s->max_tdmrs >= 1);
	assert_true(s->max_rsvd_per_tdmr >= 2 && s->max_rsvd_per_tdmr <= MAX_RSVD);
	for (int l = L4K; l <= L1G; l++)
		assert_int_equal(s->pamt_entry_size[l], 16);
	assert_int_equal(s->tdr_base_size, 4096);
	assert_int_equal(s->tdcs_base_size % 4096, 0);
	assert_in_range(s->tdcs_base_size / 4096, 6, 9);
	assert_int_equal(s->tdvps_base_size % 4096, 0);
	assert_in_range(s->tdvps_base_size / 4096, 6, 15);
	/* Bits fixed to 1 are among the bits allowed to be 1. */
	assert_int_equal(s->attributes_fixed1 & s->attributes_fixed0, s->attributes_fixed0);
	assert_int_equal(s->xfam_fixed1 & s->xfam_fixed0, s->xfam_fixed0);
	assert_true(s->max_vcpus_per_td >= p->nr_lps);
	for (uint64_t i = 0; i < s->num_cpuid_config; i++) {
		uint32_t sub = (uint32_t)(s->cpuid_leaf[i] >> 32);
		assert_true(sub == 0xffffffffu || sub < 0x100);
	}
	/* Two CMRs: the RAM below the 32 MiB SEAM range and the RAM above it, up to
	 * the reserved area. */
	assert_int_equal(s->ncmrs, 2);
	assert_int_equal(s->cmr_base[0], 0);
	assert_int_equal(s->cmr_base[0] + s->cmr_size[0], p->seamrr_base);
	assert_int_equal(s->cmr_base[1], p->seamrr_base + (32ull << 20));
	assert_int_equal(s->cmr_base[1] + s->cmr_size[1], vtsim_machine_reserved_base(p->m));
}

/* TDH.SYS.RD hands back the next field id: following it from the first field Linux
 * reads visits every field Linux reads, each once, and ends with -1. */
static void walk_metadata(struct plat *p)
{
	static const uint64_t wanted[] = {
		MD_MINOR_VERSION, MD_MAJOR_VERSION, MD_UPDATE_VERSION, MD_TDX_FEATURES0,
		MD_MAX_TDMRS, MD_MAX_RESERVED_PER_TDMR, MD_PAMT_4K_ENTRY_SIZE,
		MD_PAMT_2M_ENTRY_SIZE, MD_PAMT_1G_ENTRY_SIZE, MD_TDR_BASE_SIZE,
		MD_TDCS_BASE_SIZE, MD_TDVPS_BASE_SIZE, MD_ATTRIBUTES_FIXED0,
		MD_ATTRIBUTES_FIXED1, MD_XFAM_FIXED0, MD_XFAM_FIXED1, MD_NUM_CPUID_CONFIG,
		MD_MAX_VCPUS_PER_TD, MD_NUM_CMRS, MD_CMR_BASE(0), MD_CMR_SIZE(0),
		MD_CPUID_CONFIG_LEAVES(0), MD_CPUID_CONFIG_VALUES(0, 0), MD_CPUID_CONFIG_VALUES(0, 1),
	};
	unsigned seen[sizeof(wanted) / sizeof(wanted[0])] = { 0 };
	uint64_t id = MD_MINOR_VERSION, value, next;
	unsigned steps = 0;
	while (id != MD_FIELD_ID_NONE) {
		assert_true(++steps < 4096);
		assert_status(sys_rd(p, 0, id, &value, &next), TDX_SUCCESS);
		assert_int_not_equal(next, id);
		for (size_t k = 0; k < sizeof(wanted) / sizeof(wanted[0]); k++)
			if (wanted[k] == id)
				seen[k]++;
		id = next;
	}
	for (size_t k = 0; k < sizeof(wanted) / sizeof(wanted[0]); k++)
		if (seen[k] != 1)
			fail_msg("field 0x%016llx seen %u times on the walk",
				 (unsigned long long)wanted[k], seen[k]);
}

/* TDH.SYS.RDALL gives the same fields and values as the TDH.SYS.RD walk, in one
 * metadata list: header (size, sequences), then sequences of field id and value. */
static void test_sys_rdall(void **state)
{
	struct plat *p = *state;
	enum { TDH_SYS_RDALL = 37 };
	uint64_t list = 0x100000;
	sys_init(p);
	assert_status(call(p, 0, TDH_SYS_RDALL, 0, list, ~0ull), TDX_SYS_LP_INIT_NOT_DONE);
	lp_init(p, 0);
	assert_status(call(p, 0, TDH_SYS_RDALL, 0, list + 8, ~0ull), TDX_OPERAND_INVALID | 2);
	assert_status(call(p, 0, TDH_SYS_RDALL, 0, list | 1ull << p->keyid_shift, ~0ull),
		      TDX_OPERAND_INVALID | 2);
	assert_status(call(p, 0, TDH_SYS_RDALL, 0, list, 0x1234), TDX_METADATA_FIELD_ID_INCORRECT);
	struct vtsim_seamcall_args a = { .rax = TDH_SYS_RDALL, .rdx = list, .r8 = ~0ull };
	assert_status(seamcall(p, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.r8, ~0ull);                      /* all of them fit */
	uint16_t size, n;
	memcpy(&size, p->ram + list, 2);
	memcpy(&n, p->ram + list + 2, 2);
	assert_true(n > 20);
	assert_int_equal(size, 8 + 16 * n);
	uint64_t id, value, next;
	assert_status(sys_rd(p, 0, ~0ull, NULL, &id), TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
	for (unsigned i = 0; i < n; i++) {
		uint64_t got_id, got_value;
		memcpy(&got_id, p->ram + list + 8 + 16 * i, 8);
		memcpy(&got_value, p->ram + list + 16 + 16 * i, 8);
		assert_status(sys_rd(p, 0, id, &value, &next), TDX_SUCCESS);
		assert_int_equal(got_id, id);
		assert_int_equal(got_value, value);
		id = next;
	}
	assert_int_equal(id, MD_FIELD_ID_NONE);
	/* From the middle: the rest of the walk. */
	memcpy(&id, p->ram + list + 8 + 16 * 5, 8);
	a = (struct vtsim_seamcall_args){ .rax = TDH_SYS_RDALL, .rdx = list, .r8 = id };
	assert_status(seamcall(p, 0, &a), TDX_SUCCESS);
	memcpy(&n, p->ram + list + 2, 2);
	uint64_t first;
	memcpy(&first, p->ram + list + 8, 8);
	assert_int_equal(first, id);
	assert_true(n > 15);
}

/* The global lock held elsewhere (injected): LP.INIT, SYS.CONFIG and KEY.CONFIG
 * give up with TDX_SYS_BUSY and change nothing; once free, the same calls work. */
static void test_global_lock_busy(void **state)
{
	struct plat *p = *state;
	sys_init(p);
	tdx_module_inject_busy(module_of(p), 1);
	assert_status(call(p, 0, TDH_SYS_LP_INIT, 0, 0, 0), TDX_SYS_BUSY);
	assert_status(sys_rd(p, 0, MD_MAJOR_VERSION, NULL, NULL), TDX_SYS_LP_INIT_NOT_DONE);
	lp_init(p, 0);
}

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static void add_rsvd(struct tdmr *t, uint64_t offset, uint64_t size)
{
	assert_true(t->nrsvd < MAX_RSVD);
	t->rsvd[t->nrsvd].offset = offset;
	t->rsvd[t->nrsvd].size = size;
	t->nrsvd++;
}

static void sort_rsvd(struct tdmr *t)
{
	for (unsigned i = 1; i < t->nrsvd; i++)
		for (unsigned j = i; j > 0 && t->rsvd[j - 1].offset > t->rsvd[j].offset; j--) {
			uint64_t o = t->rsvd[j].offset, s = t->rsvd[j].size;
			t->rsvd[j] = t->rsvd[j - 1];
			t->rsvd[j - 1].offset = o;
			t->rsvd[j - 1].size = s;
		}
}

/* The PAMT of a TDMR, its three levels back to back from `at`; the bytes used. */
static uint64_t place_pamt(const struct plat *p, struct tdmr *t, uint64_t at)
{
	uint64_t start = at;
	for (int l = L4K; l <= L1G; l++) {
		uint64_t entries = t->size >> (12 + 9 * l);
		t->pamt_base[l] = at;
		t->pamt_size[l] = round_up(entries * p->si.pamt_entry_size[l], 4096);
		at += t->pamt_size[l];
	}
	return at - start;
}

/* Every part of the TDMR that no CMR covers, as reserved areas. */
static void reserve_holes(const struct plat *p, struct tdmr *t)
{
	uint64_t at = t->base, end = t->base + t->size;
	while (at < end) {
		uint64_t next_cmr = end;
		bool inside = false;
		for (uint64_t i = 0; i < p->si.ncmrs; i++) {
			uint64_t b = p->si.cmr_base[i], e = b + p->si.cmr_size[i];
			if (at >= b && at < e) {
				at = e;
				inside = true;
				break;
			}
			if (b > at && b < next_cmr)
				next_cmr = b;
		}
		if (inside)
			continue;
		add_rsvd(t, at - t->base, next_cmr - at);
		at = next_cmr;
	}
}

/* One TDMR [0, 1 GiB): the PAMT inside the CMR, and both the PAMT and what lies
 * outside the CMRs reserved, sorted by offset. */
static void plan_tdmr(const struct plat *p, struct tdmr *t)
{
	memset(t, 0, sizeof(*t));
	t->base = 0;
	t->size = GIB;
	uint64_t used = place_pamt(p, t, PAMT_PA);
	assert_true(PAMT_PA + used <= p->si.cmr_base[0] + p->si.cmr_size[0]);
	add_rsvd(t, PAMT_PA - t->base, used);
	reserve_holes(p, t);
	sort_rsvd(t);
}

static void write_tdmr_info(struct plat *p, uint64_t pa, const struct tdmr *t)
{
	assert_int_equal(pa % 512, 0);
	memset(p->ram + pa, 0, TDMR_INFO_SIZE);
	put64(p, pa + 0, t->base);
	put64(p, pa + 8, t->size);
	put64(p, pa + 16, t->pamt_base[L1G]);
	put64(p, pa + 24, t->pamt_size[L1G]);
	put64(p, pa + 32, t->pamt_base[L2M]);
	put64(p, pa + 40, t->pamt_size[L2M]);
	put64(p, pa + 48, t->pamt_base[L4K]);
	put64(p, pa + 56, t->pamt_size[L4K]);
	for (unsigned i = 0; i < t->nrsvd; i++) {
		put64(p, pa + 64 + 16 * i, t->rsvd[i].offset);
		put64(p, pa + 72 + 16 * i, t->rsvd[i].size);
	}
}

/* The TDMR_INFO array SYS.CONFIG takes: n PAs at TDMR_ARRAY_PA. */
static void write_tdmrs(struct plat *p, const struct tdmr *t, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		write_tdmr_info(p, TDMR_INFO_PA(i), &t[i]);
		put64(p, TDMR_ARRAY_PA + 8 * i, TDMR_INFO_PA(i));
	}
}

static uint64_t sys_config(struct plat *p, unsigned n)
{
	return call(p, 0, TDH_SYS_CONFIG, TDMR_ARRAY_PA, n, p->global_keyid);
}

/* The package of an LP: its x2APIC id above the core level of CPUID 0BH. */
static unsigned package_of(struct plat *p, unsigned lp)
{
	uint32_t r[4];
	vtsim_hosted_cpuid(p->m, lp, 0x0b, 1, r);
	return r[3] >> (r[0] & 0x1f);
}

/* TDH.SYS.KEY.CONFIG on one LP of each package, retried while the module has no
 * entropy. */
static void key_config(struct plat *p)
{
	unsigned done[MAX_LPS], ndone = 0;
	for (unsigned lp = 0; lp < p->nr_lps; lp++) {
		unsigned pkg = package_of(p, lp);
		bool seen = false;
		for (unsigned i = 0; i < ndone; i++)
			seen |= done[i] == pkg;
		if (seen)
			continue;
		done[ndone++] = pkg;
		struct vtsim_seamcall_args a = { .rax = TDH_SYS_KEY_CONFIG };
		assert_status(call_retry(p, lp, &a, NULL), TDX_SUCCESS);
	}
}

/* TDH.SYS.TDMR.INIT until RDX, the next address to initialize, reaches the end. */
static void tdmr_init(struct plat *p, const struct tdmr *t)
{
	uint64_t next = t->base;
	unsigned calls = 0;
	while (next < t->base + t->size) {
		struct vtsim_seamcall_args a = { .rax = TDH_SYS_TDMR_INIT, .rcx = t->base };
		assert_status(seamcall(p, 0, &a), TDX_SUCCESS);
		assert_int_equal(a.rdx % GIB, 0);       /* rounded down to 1 GiB */
		next = a.rdx;
		assert_true(++calls <= 1u << 20);
	}
}

/* Up to TDH.SYS.LP.INIT on every LP, with the metadata read. */
static void bringup_to_config(struct plat *p)
{
	vmxon_all(p);
	pick_keyids(p);
	/* Before TDH.SYS.INIT no LP.INIT is taken. */
	assert_status(call(p, 0, TDH_SYS_LP_INIT, 0, 0, 0), TDX_SYS_LP_INIT_NOT_PENDING);
	sys_init(p);
	for (unsigned lp = 0; lp < p->nr_lps; lp++)
		lp_init(p, lp);
	read_sysinfo(p);
	check_sysinfo(p);
	plan_tdmr(p, &p->tdmr);
	write_tdmrs(p, &p->tdmr, 1);
}

/* The whole of Linux's bring-up, each step's status and the state it leads to. */
static void bringup(struct plat *p)
{
	bringup_to_config(p);
	walk_metadata(p);
	/* KEY.CONFIG waits for SYS.CONFIG. */
	assert_status(call(p, 0, TDH_SYS_KEY_CONFIG, 0, 0, 0), TDX_SYS_KEY_CONFIG_NOT_PENDING);
	assert_status(sys_config(p, 1), TDX_SUCCESS);
	assert_int_equal(sys_state(p), TDX_SYS_STATE_SYSCONFIG_DONE);
	/* SYS.CONFIG is done once; TDMR.INIT waits for the keys. */
	assert_status(sys_config(p, 1), TDX_SYS_CONFIG_NOT_PENDING);
	assert_status(call(p, 0, TDH_SYS_TDMR_INIT, p->tdmr.base, 0, 0), TDX_SYS_NOT_READY);
	key_config(p);
	assert_int_equal(sys_state(p), TDX_SYS_STATE_READY);
	/* Before TDMR.INIT the TDMR's pages are not usable. */
	assert_status(rdmd(p, 0x100000, NULL), TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RCX);
	tdmr_init(p, &p->tdmr);
	/* Now they are. */
	assert_status(rdmd(p, 0x100000, NULL), TDX_SUCCESS);
}

/* ---- fixtures -------------------------------------------------------------------------- */

static int setup_1lp(void **state)
{
	*state = plat_new(true, 1);
	return 0;
}

static int setup_4lp(void **state)
{
	*state = plat_new(true, 4);
	return 0;
}

/* A --tdx machine with 1 LP in VMX root operation, its module untouched. */
static int setup_vmxon(void **state)
{
	struct plat *p = plat_new(true, 1);
	vmxon_all(p);
	pick_keyids(p);
	*state = p;
	return 0;
}

static int setup_vmxon_4lp(void **state)
{
	struct plat *p = plat_new(true, 4);
	vmxon_all(p);
	pick_keyids(p);
	*state = p;
	return 0;
}

/* ... and brought up to the point SYS.CONFIG is pending, the TDMR planned. */
static void test_config_and_key_config_busy(void **state)
{
	struct plat *p = *state;
	tdx_module_inject_busy(module_of(p), 1);
	assert_status(sys_config(p, 1), TDX_SYS_BUSY);
	assert_int_equal(sys_state(p), TDX_SYS_STATE_SYSINIT_DONE);
	assert_status(sys_config(p, 1), TDX_SUCCESS);
	tdx_module_inject_busy(module_of(p), 1);
	assert_status(call(p, 0, TDH_SYS_KEY_CONFIG, 0, 0, 0), TDX_SYS_BUSY);
	assert_int_equal(sys_state(p), TDX_SYS_STATE_SYSCONFIG_DONE);
	assert_status(call(p, 0, TDH_SYS_KEY_CONFIG, 0, 0, 0), TDX_SUCCESS);
	assert_int_equal(sys_state(p), TDX_SYS_STATE_READY);
}

static int setup_config_pending(void **state)
{
	struct plat *p = plat_new(true, 1);
	bringup_to_config(p);
	*state = p;
	return 0;
}

/* ... and brought up completely. */
static int setup_ready(void **state)
{
	struct plat *p = plat_new(true, 1);
	bringup(p);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	plat_free(*state);
	return 0;
}

/* ---- 1. the bring-up ------------------------------------------------------------------- */

static void test_linux_bringup_on_1_lp(void **state)
{
	struct plat *p = *state;
	assert_int_equal(sys_state(p), TDX_SYS_STATE_SYSINIT_PENDING);
	bringup(p);
	assert_int_equal(p->global_keyid, 16);
}

static void test_linux_bringup_on_4_lps(void **state)
{
	struct plat *p = *state;
	bringup(p);
	assert_true(p->si.max_vcpus_per_td >= 4);
}

static void test_key_config_is_retried_while_rnd_no_entropy(void **state)
{
	struct plat *p = *state;
	assert_status(sys_config(p, 1), TDX_SUCCESS);
	tdx_module_inject_no_entropy(module_of(p), 3);
	assert_status(call(p, 0, TDH_SYS_KEY_CONFIG, 0, 0, 0), TDX_RND_NO_ENTROPY);
	assert_int_equal(sys_state(p), TDX_SYS_STATE_SYSCONFIG_DONE);
	struct vtsim_seamcall_args a = { .rax = TDH_SYS_KEY_CONFIG };
	unsigned tries;
	assert_status(call_retry(p, 0, &a, &tries), TDX_SUCCESS);
	assert_int_equal(tries, 3);
	assert_int_equal(sys_state(p), TDX_SYS_STATE_READY);
}

static void test_tdmr_init_returns_the_next_address_rounded_to_1gib(void **state)
{
	struct plat *p = *state;
	assert_status(sys_config(p, 1), TDX_SUCCESS);
	assert_status(call(p, 0, TDH_SYS_KEY_CONFIG, 0, 0, 0), TDX_SUCCESS);
	struct vtsim_seamcall_args a = { .rax = TDH_SYS_TDMR_INIT, .rcx = p->tdmr.base };
	assert_status(seamcall(p, 0, &a), TDX_SUCCESS);
	assert_int_equal(a.rdx % GIB, 0);
	assert_true(a.rdx <= p->tdmr.base + p->tdmr.size);
}

static void test_sys_rd_of_null_field_id_gives_the_first_field_id(void **state)
{
	struct plat *p = *state;
	uint64_t value, next;
	/* A null field id (-1) asks for the first field of the context. */
	assert_status(sys_rd(p, 0, MD_FIELD_ID_NONE, &value, &next),
		      TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
	assert_int_equal(value, 0);
	assert_status(sys_rd(p, 0, next, &value, NULL), TDX_SUCCESS);
}

/* ---- 2. after the bring-up: the PAMT through RDMD ----------------------------------- */

static void test_rdmd_of_an_ordinary_page_is_pt_nda(void **state)
{
	struct plat *p = *state;
	struct vtsim_seamcall_args a;
	assert_status(rdmd(p, 0x200000, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, PT_NDA);
	assert_int_equal(a.rdx, 0);     /* no owner */
	assert_int_equal(a.r8, 0);      /* 4K */
	assert_int_equal(a.r9, 0);      /* no blocking epoch */
}

static void test_rdmd_of_a_pamt_page_is_pt_rsvd(void **state)
{
	struct plat *p = *state;
	struct vtsim_seamcall_args a;
	for (int l = L4K; l <= L1G; l++) {
		assert_status(rdmd(p, p->tdmr.pamt_base[l], &a), TDX_SUCCESS);
		assert_int_equal(a.rcx, PT_RSVD);
		assert_status(rdmd(p, p->tdmr.pamt_base[l] + p->tdmr.pamt_size[l] - 4096, &a), TDX_SUCCESS);
		assert_int_equal(a.rcx, PT_RSVD);
	}
	/* The page after the PAMT is free again. */
	assert_status(rdmd(p, p->tdmr.pamt_base[L1G] + p->tdmr.pamt_size[L1G], &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, PT_NDA);
}

static void test_rdmd_of_the_seam_range_in_the_tdmr_is_pt_rsvd(void **state)
{
	struct plat *p = *state;
	struct vtsim_seamcall_args a;
	assert_status(rdmd(p, p->seamrr_base, &a), TDX_SUCCESS);
	assert_int_equal(a.rcx, PT_RSVD);
}

static void test_rdmd_above_ram_outside_the_tdmr_is_addr_range_error(void **state)
{
	struct plat *p = *state;
	assert_true(2 * GIB > p->ram_size);
	assert_status(rdmd(p, 2 * GIB, NULL), TDX_OPERAND_ADDR_RANGE_ERROR | TDX_OPERAND_ID_RCX);
	assert_status(rdmd(p, 2 * GIB, NULL), 0xC000010100000001ull);
}

static void test_rdmd_of_an_unaligned_address_is_operand_invalid(void **state)
{
	struct plat *p = *state;
	assert_status(rdmd(p, 0x200800, NULL), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_status(rdmd(p, 0x200008, NULL), 0xC000010000000001ull);
}

static void test_rdmd_of_an_address_with_keyid_bits_is_operand_invalid(void **state)
{
	struct plat *p = *state;
	uint64_t pa = 0x200000 | p->global_keyid << p->keyid_shift;
	assert_status(rdmd(p, pa, NULL), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
}

static void test_tdmr_init_again_is_already_initialized(void **state)
{
	struct plat *p = *state;
	uint64_t st = call(p, 0, TDH_SYS_TDMR_INIT, p->tdmr.base, 0, 0);
	assert_status(st, TDX_TDMR_ALREADY_INITIALIZED);
	assert_status(st, 0x00000A0300000000ull);
	assert_false(st >> 63);         /* informational, not an error */
}

static void test_tdmr_init_of_an_address_that_starts_no_tdmr_is_operand_invalid(void **state)
{
	struct plat *p = *state;
	assert_status(call(p, 0, TDH_SYS_TDMR_INIT, GIB, 0, 0), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
}

static void test_td_leaf_after_bringup_is_no_longer_sys_not_ready(void **state)
{
	struct plat *p = *state;
	uint64_t st = call(p, 0, TDH_MNG_CREATE, 0x300000, p->global_keyid + 1, 0);
	assert_int_not_equal(st & 0xffffffff00000000ull, TDX_SYS_NOT_READY);
}

/* ---- 3. error paths: before TDH.SYS.INIT ---------------------------------------------- */

static void test_sys_rd_before_sys_init_is_lp_init_not_done(void **state)
{
	struct plat *p = *state;
	assert_status(sys_rd(p, 0, MD_MAJOR_VERSION, NULL, NULL), TDX_SYS_LP_INIT_NOT_DONE);
	assert_status(sys_rd(p, 0, MD_MAJOR_VERSION, NULL, NULL), 0xC000050200000000ull);
}

static void test_lp_init_before_sys_init_is_lp_init_not_pending(void **state)
{
	struct plat *p = *state;
	assert_status(call(p, 0, TDH_SYS_LP_INIT, 0, 0, 0), TDX_SYS_LP_INIT_NOT_PENDING);
	assert_status(call(p, 0, TDH_SYS_LP_INIT, 0, 0, 0), 0xC000050B00000000ull);
}

static void test_sys_config_before_sys_init_is_config_not_pending(void **state)
{
	struct plat *p = *state;
	assert_status(call(p, 0, TDH_SYS_CONFIG, TDMR_ARRAY_PA, 1, p->global_keyid),
		      TDX_SYS_CONFIG_NOT_PENDING);
}

static void test_key_config_before_sys_init_is_key_config_not_pending(void **state)
{
	struct plat *p = *state;
	assert_status(call(p, 0, TDH_SYS_KEY_CONFIG, 0, 0, 0), TDX_SYS_KEY_CONFIG_NOT_PENDING);
}

static void test_tdmr_init_before_sys_init_is_sys_not_ready(void **state)
{
	struct plat *p = *state;
	assert_status(call(p, 0, TDH_SYS_TDMR_INIT, 0, 0, 0), TDX_SYS_NOT_READY);
	assert_status(call(p, 0, TDH_SYS_TDMR_INIT, 0, 0, 0), 0xC000050500000000ull);
}

static void test_rdmd_before_sys_init_is_sys_not_ready(void **state)
{
	struct plat *p = *state;
	assert_status(rdmd(p, 0x200000, NULL), TDX_SYS_NOT_READY);
}

static void test_td_leaf_before_sys_init_is_sys_not_ready(void **state)
{
	struct plat *p = *state;
	assert_status(call(p, 0, TDH_MNG_CREATE, 0x300000, 17, 0), TDX_SYS_NOT_READY);
}

static void test_sys_init_twice_is_init_not_pending(void **state)
{
	struct plat *p = *state;
	assert_status(call(p, 0, TDH_SYS_INIT, 0, 0, 0), TDX_SUCCESS);
	assert_status(call(p, 0, TDH_SYS_INIT, 0, 0, 0), TDX_SYS_INIT_NOT_PENDING);
	assert_status(call(p, 0, TDH_SYS_INIT, 0, 0, 0), 0xC000050000000000ull);
}

static void test_sys_init_with_attributes_is_operand_invalid_rcx(void **state)
{
	struct plat *p = *state;
	assert_status(call(p, 0, TDH_SYS_INIT, 1, 0, 0), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	/* The refusal changed nothing: SYS.INIT is still pending. */
	assert_status(call(p, 0, TDH_SYS_INIT, 0, 0, 0), TDX_SUCCESS);
}

static void test_lp_init_twice_on_one_lp_is_lp_init_done(void **state)
{
	struct plat *p = *state;
	assert_status(call(p, 0, TDH_SYS_INIT, 0, 0, 0), TDX_SUCCESS);
	assert_status(call(p, 0, TDH_SYS_LP_INIT, 0, 0, 0), TDX_SUCCESS);
	assert_status(call(p, 0, TDH_SYS_LP_INIT, 0, 0, 0), TDX_SYS_LP_INIT_DONE);
	assert_status(call(p, 0, TDH_SYS_LP_INIT, 0, 0, 0), 0xC000050300000000ull);
}

static void test_sys_config_before_every_lp_did_lp_init_is_config_not_pending(void **state)
{
	struct plat *p = *state;
	assert_status(call(p, 0, TDH_SYS_INIT, 0, 0, 0), TDX_SUCCESS);
	for (unsigned lp = 0; lp < 3; lp++)
		assert_status(call(p, lp, TDH_SYS_LP_INIT, 0, 0, 0), TDX_SUCCESS);
	read_sysinfo(p);
	plan_tdmr(p, &p->tdmr);
	write_tdmrs(p, &p->tdmr, 1);
	assert_status(sys_config(p, 1), TDX_SYS_CONFIG_NOT_PENDING);
	/* The last LP's LP.INIT makes it pending. */
	assert_status(call(p, 3, TDH_SYS_LP_INIT, 0, 0, 0), TDX_SUCCESS);
	assert_status(sys_config(p, 1), TDX_SUCCESS);
}

/* ---- 3. error paths: RAX ------------------------------------------------------------- */

static void test_rax_bits_63_24_set_is_operand_invalid_rax(void **state)
{
	struct plat *p = *state;
	assert_status(call(p, 0, TDH_SYS_INIT | 1ull << 24, 0, 0, 0), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	assert_status(call(p, 0, TDH_SYS_INIT | 1ull << 62, 0, 0, 0), 0xC000010000000000ull);
	assert_status(call(p, 0, TDH_SYS_INIT, 0, 0, 0), TDX_SUCCESS);
}

static void test_unknown_leaf_is_operand_invalid_rax(void **state)
{
	struct plat *p = *state;
	assert_status(call(p, 0, 0x7fff, 0, 0, 0), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	assert_status(call(p, 0, 42, 0, 0, 0), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);  /* SEPT.WR */
}

static void test_version_the_leaf_does_not_take_is_operand_invalid_rax(void **state)
{
	struct plat *p = *state;
	assert_status(call(p, 0, TDH_SYS_INIT | 1 << 16, 0, 0, 0), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RAX);
	assert_status(call(p, 0, TDH_SYS_INIT, 0, 0, 0), TDX_SUCCESS);
}

/* ---- 3. error paths: TDH.SYS.RD ------------------------------------------------------- */

static void test_sys_rd_of_an_unknown_field_is_field_id_incorrect_rdx(void **state)
{
	struct plat *p = *state;
	uint64_t value;
	assert_status(sys_rd(p, 0, 0x9100000100007777ull, &value, NULL),
		      TDX_METADATA_FIELD_ID_INCORRECT);
	assert_status(sys_rd(p, 0, 0x9100000100007777ull, &value, NULL), 0xC0000C0000000000ull);
	assert_int_equal(value, 0);
}

static void test_sys_rd_of_an_unknown_field_returns_no_next_field(void **state)
{
	struct plat *p = *state;
	uint64_t next;
	assert_status(sys_rd(p, 0, 0x9100000100007777ull, NULL, &next),
		      TDX_METADATA_FIELD_ID_INCORRECT);
	assert_int_equal(next, MD_FIELD_ID_NONE);
}

/* ---- 3. error paths: TDH.SYS.CONFIG --------------------------------------------------- */

static void test_sys_config_with_a_misaligned_array_is_operand_invalid_rcx(void **state)
{
	struct plat *p = *state;
	put64(p, TDMR_ARRAY_PA + 8, TDMR_INFO_PA(0));
	assert_status(call(p, 0, TDH_SYS_CONFIG, TDMR_ARRAY_PA + 8, 1, p->global_keyid),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	/* The refusal changed nothing. */
	assert_status(sys_config(p, 1), TDX_SUCCESS);
}

static void test_sys_config_with_no_tdmr_is_operand_invalid_rdx(void **state)
{
	struct plat *p = *state;
	assert_status(sys_config(p, 0), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
}

static void test_sys_config_with_more_tdmrs_than_max_is_operand_invalid_rdx(void **state)
{
	struct plat *p = *state;
	assert_status(sys_config(p, p->si.max_tdmrs + 1), TDX_OPERAND_INVALID | TDX_OPERAND_ID_RDX);
}

static void test_sys_config_with_an_mktme_keyid_is_operand_invalid_r8(void **state)
{
	struct plat *p = *state;
	assert_status(call(p, 0, TDH_SYS_CONFIG, TDMR_ARRAY_PA, 1, p->nr_mktme_keyids),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R8);
	assert_status(call(p, 0, TDH_SYS_CONFIG, TDMR_ARRAY_PA, 1, 0),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R8);
}

static void test_sys_config_with_a_keyid_beyond_the_tdx_range_is_operand_invalid_r8(void **state)
{
	struct plat *p = *state;
	uint64_t beyond = p->nr_mktme_keyids + p->nr_tdx_keyids + 1;
	assert_status(call(p, 0, TDH_SYS_CONFIG, TDMR_ARRAY_PA, 1, beyond),
		      TDX_OPERAND_INVALID | TDX_OPERAND_ID_R8);
	/* The last TDX KeyID is a TDX KeyID. */
	assert_status(call(p, 0, TDH_SYS_CONFIG, TDMR_ARRAY_PA, 1, beyond - 1), TDX_SUCCESS);
}

static void test_sys_config_with_a_tdmr_not_1gib_aligned_is_invalid_tdmr(void **state)
{
	struct plat *p = *state;
	struct tdmr t = p->tdmr;
	t.base = 2 * MIB;
	write_tdmrs(p, &t, 1);
	assert_status(sys_config(p, 1), TDX_INVALID_TDMR | 0);
	assert_status(sys_config(p, 1), 0xC0000A0000000000ull);
}

/* TDMR 0 = [1, 2) GiB, all of it reserved (no CMR there), then TDMR 1 = [0, 1) GiB. */
static void test_sys_config_with_tdmrs_out_of_order_is_non_ordered_tdmr(void **state)
{
	struct plat *p = *state;
	struct tdmr t[2];
	memset(&t[0], 0, sizeof(t[0]));
	t[0].base = GIB;
	t[0].size = GIB;
	place_pamt(p, &t[0], PAMT2_PA);
	add_rsvd(&t[0], 0, GIB);
	t[1] = p->tdmr;
	/* TDMR 1's reserved areas also cover TDMR 0's PAMT. */
	uint64_t used = t[0].pamt_base[L1G] + t[0].pamt_size[L1G] - PAMT2_PA;
	add_rsvd(&t[1], PAMT2_PA, used);
	sort_rsvd(&t[1]);
	write_tdmrs(p, t, 2);
	assert_status(sys_config(p, 2), TDX_NON_ORDERED_TDMR | 1);
}

/* Two TDMRs whose PAMTs share memory: the details name the TDMR being checked
 * (1), the level of its PAMT area (4K: 0) and the TDMR whose PAMT it meets (0). */
static void test_sys_config_with_pamts_of_two_tdmrs_overlapping_names_both(void **state)
{
	struct plat *p = *state;
	struct tdmr t[2];
	t[0] = p->tdmr;
	memset(&t[1], 0, sizeof(t[1]));
	t[1].base = GIB;
	t[1].size = GIB;
	place_pamt(p, &t[1], PAMT_PA);
	add_rsvd(&t[1], 0, GIB);
	write_tdmrs(p, t, 2);
	assert_status(sys_config(p, 2), TDX_PAMT_OVERLAP | 0 << 16 | 0 << 8 | 1);
}

static void test_sys_config_with_a_tdmr_part_outside_the_cmrs_unreserved_is_tdmr_outside_cmrs(void **state)
{
	struct plat *p = *state;
	struct tdmr t = p->tdmr;
	/* Keep only the PAMT reserved: [CMR end, 1 GiB) becomes usable. */
	t.nrsvd = 0;
	add_rsvd(&t, PAMT_PA, t.pamt_base[L1G] + t.pamt_size[L1G] - PAMT_PA);
	write_tdmrs(p, &t, 1);
	assert_status(sys_config(p, 1), TDX_TDMR_OUTSIDE_CMRS | 0);
	assert_status(sys_config(p, 1), 0xC0000A0200000000ull);
}

static void test_sys_config_with_a_too_small_pamt_is_invalid_pamt(void **state)
{
	struct plat *p = *state;
	struct tdmr t = p->tdmr;
	t.pamt_size[L4K] -= 4096;
	write_tdmrs(p, &t, 1);
	assert_status(sys_config(p, 1), TDX_INVALID_PAMT | 0);
	assert_status(sys_config(p, 1), 0xC0000A1000000000ull);
	/* Byte 1 is the PAMT's level (4K 0, 2M 1, 1G 2); the module checks 1G first. */
	t.pamt_size[L2M] -= 4096;
	write_tdmrs(p, &t, 1);
	assert_status(sys_config(p, 1), TDX_INVALID_PAMT | 1 << 8);
	t.pamt_base[L1G] |= 0x800;
	write_tdmrs(p, &t, 1);
	assert_status(sys_config(p, 1), TDX_INVALID_PAMT | 2 << 8);
}

static void test_sys_config_with_a_pamt_in_the_seam_range_is_pamt_outside_cmrs(void **state)
{
	struct plat *p = *state;
	struct tdmr t = p->tdmr;
	/* The 4K PAMT moves into the SEAM range, which is reserved (outside the CMR). */
	t.pamt_base[L4K] = p->seamrr_base;
	assert_true(p->seamrr_base + t.pamt_size[L4K] <= p->ram_size);
	t.nrsvd = 0;
	add_rsvd(&t, t.pamt_base[L2M], t.pamt_size[L2M] + t.pamt_size[L1G]);
	reserve_holes(p, &t);
	sort_rsvd(&t);
	write_tdmrs(p, &t, 1);
	assert_status(sys_config(p, 1), TDX_PAMT_OUTSIDE_CMRS | 0);
	assert_status(sys_config(p, 1), 0xC0000A1100000000ull);
}

static void test_sys_config_with_a_pamt_not_in_a_reserved_area_is_pamt_overlap(void **state)
{
	struct plat *p = *state;
	struct tdmr t = p->tdmr;
	t.nrsvd = 0;
	reserve_holes(p, &t);
	write_tdmrs(p, &t, 1);
	assert_status(sys_config(p, 1), TDX_PAMT_OVERLAP | 0);
	assert_status(sys_config(p, 1), 0xC0000A1200000000ull);
}

static void test_sys_config_with_reserved_areas_out_of_order_is_non_ordered_reserved(void **state)
{
	struct plat *p = *state;
	struct tdmr t = p->tdmr;
	assert_true(t.nrsvd >= 2);
	t.rsvd[0] = p->tdmr.rsvd[1];
	t.rsvd[1] = p->tdmr.rsvd[0];
	write_tdmrs(p, &t, 1);
	/* Details: TDMR 0 in byte 0, the reserved area that is out of order (1) in byte 1. */
	assert_status(sys_config(p, 1), TDX_NON_ORDERED_RESERVED_IN_TDMR | 1 << 8 | 0);
	assert_status(sys_config(p, 1), 0xC0000A2100000100ull);
}

static void test_sys_config_with_a_reserved_area_past_the_tdmr_end_is_invalid_reserved(void **state)
{
	struct plat *p = *state;
	struct tdmr t = p->tdmr;
	t.rsvd[t.nrsvd - 1].size += 4096;   /* the hole ran to the TDMR's end */
	write_tdmrs(p, &t, 1);
	assert_status(sys_config(p, 1), TDX_INVALID_RESERVED_IN_TDMR | (t.nrsvd - 1) << 8 | 0);
}

static void test_sys_config_failure_leaves_config_pending(void **state)
{
	struct plat *p = *state;
	struct tdmr t = p->tdmr;
	t.pamt_size[L4K] = 0;
	write_tdmrs(p, &t, 1);
	assert_status(sys_config(p, 1), TDX_INVALID_PAMT | 0);
	assert_int_equal(sys_state(p), TDX_SYS_STATE_SYSINIT_DONE);
	assert_status(call(p, 0, TDH_SYS_KEY_CONFIG, 0, 0, 0), TDX_SYS_KEY_CONFIG_NOT_PENDING);
	write_tdmrs(p, &p->tdmr, 1);
	assert_status(sys_config(p, 1), TDX_SUCCESS);
}

/* ---- 3. error paths: KEY.CONFIG, LP.SHUTDOWN ------------------------------------------- */

static void test_key_config_twice_on_one_package_is_key_config_not_pending(void **state)
{
	struct plat *p = *state;
	assert_status(sys_config(p, 1), TDX_SUCCESS);
	assert_status(call(p, 0, TDH_SYS_KEY_CONFIG, 0, 0, 0), TDX_SUCCESS);
	assert_status(call(p, 0, TDH_SYS_KEY_CONFIG, 0, 0, 0), TDX_SYS_KEY_CONFIG_NOT_PENDING);
	assert_status(call(p, 0, TDH_SYS_KEY_CONFIG, 0, 0, 0), 0xC000050700000000ull);
}

static void test_any_leaf_after_lp_shutdown_is_sys_shutdown(void **state)
{
	struct plat *p = *state;
	assert_status(call(p, 0, TDH_SYS_LP_SHUTDOWN, 0, 0, 0), TDX_SUCCESS);
	assert_status(sys_rd(p, 0, MD_MAJOR_VERSION, NULL, NULL), TDX_SYS_SHUTDOWN);
	assert_status(rdmd(p, 0x200000, NULL), TDX_SYS_SHUTDOWN);
	assert_status(call(p, 0, TDH_SYS_TDMR_INIT, 0, 0, 0), TDX_SYS_SHUTDOWN);
	assert_status(call(p, 0, TDH_SYS_INIT, 0, 0, 0), 0xC000050600000000ull);
}

/* LP.SHUTDOWN before SYS.CONFIG: no HKID was ever reserved, and the KOT invariant
 * (tdx_module_kot_check) holds in the SHUTDOWN state. Found by the arm64 smoke run of
 * fuzz_seamcall (corpus/seamcall/lp_shutdown_before_config): the check took any
 * state from SYSCONFIG_DONE on as "SYS.CONFIG has run". */
static void test_lp_shutdown_before_config_reserves_no_hkid(void **state)
{
	struct plat *p = *state;
	char why[256] = "";
	assert_status(call(p, 0, TDH_SYS_LP_SHUTDOWN, 0, 0, 0), TDX_SUCCESS);
	const struct tdx_module *mod = p->m->seam.module;
	for (unsigned h = 0; h < 64; h++)
		assert_int_equal(tdx_module_kot_state(mod, h), TDX_KOT_FREE);
	bool ok = tdx_module_kot_check(mod, NULL, 0, why, sizeof(why));
	if (!ok)
		fail_msg("KOT check after LP.SHUTDOWN: %s", why);
}

/* ---- 4. SEAMCALL itself, and the platform MSRs ---------------------------------------- */

static void test_seamcall_before_vmxon_is_ud(void **state)
{
	struct plat *p = plat_new(true, 1);
	struct vtsim_seamcall_args a = { .rax = TDH_SYS_INIT };
	assert_int_equal(vtsim_seamcall(p->m, 0, &a), VTSIM_SEAMCALL_UD);
	plat_free(p);
}

static void test_seamcall_without_a_module_is_vmfail_invalid_with_rax_unchanged(void **state)
{
	struct plat *p = plat_new(false, 1);
	vmxon(p, 0);
	struct vtsim_seamcall_args a = { .rax = TDH_SYS_INIT, .rcx = 0x1234 };
	assert_int_equal(vtsim_seamcall(p->m, 0, &a), VTSIM_SEAMCALL_VMFAIL_INVALID);
	assert_int_equal(a.rax, TDH_SYS_INIT);
	assert_int_equal(a.rcx, 0x1234);
	plat_free(p);
}

static void test_tdx_on_a_cpu_model_without_seam_fails_with_a_message(void **state)
{
	char err[256] = "";
	struct vtsim_machine *m = new_machine(true, "minimal", 1, err, sizeof(err));
	assert_null(m);
	assert_true(strlen(err) > 0);
	assert_non_null(strstr(err, "minimal"));
}

static void test_keyid_partitioning_msr_without_tdx_is_gp(void **state)
{
	struct plat *p = plat_new(false, 1);
	uint64_t v;
	assert_int_equal(vtsim_hosted_rdmsr(p->m, 0, MSR_IA32_MKTME_KEYID_PARTITIONING, &v), -1);
	plat_free(p);
}

static void test_keyid_partitioning_msr_with_tdx_gives_48_tdx_and_15_mktme_keyids(void **state)
{
	struct plat *p = plat_new(true, 1);
	uint64_t v;
	assert_int_equal(vtsim_hosted_rdmsr(p->m, 0, MSR_IA32_MKTME_KEYID_PARTITIONING, &v), 0);
	assert_int_equal(v, (48ull << 32) | 15);
	plat_free(p);
}

/* IA32_SEAMRR_PHYS_BASE/MASK: base and mask in bits 51:25 (the SEAM range is a
 * multiple of 32 MiB, naturally aligned), base bit 3 = configured, mask bit 10 =
 * locked, bit 11 = enabled; the rest reserved (0). */
static void test_seamrr_msrs_describe_a_32mib_granular_range(void **state)
{
	struct plat *p = plat_new(true, 1);
	uint64_t base, mask;
	assert_int_equal(vtsim_hosted_rdmsr(p->m, 0, MSR_IA32_SEAMRR_PHYS_BASE, &base), 0);
	assert_int_equal(vtsim_hosted_rdmsr(p->m, 0, MSR_IA32_SEAMRR_PHYS_MASK, &mask), 0);
	assert_true(base & (1ull << 3));
	assert_int_equal(mask & ((1ull << 10) | (1ull << 11)), (1ull << 10) | (1ull << 11));
	assert_int_equal(base & 0x1fffff7ull, 0);      /* bits 24:4 and 2:0 reserved */
	assert_int_equal(mask & 0x1fff3ffull, 0);      /* bits 24:12 and 9:0 reserved */
	plat_free(p);
}

/* IA32_MTRRCAP bit 15 enumerates SEAMRR. */
static void test_mtrrcap_enumerates_seamrr_on_a_tdx_platform(void **state)
{
	struct plat *p = plat_new(true, 1);
	uint64_t cap;
	assert_int_equal(vtsim_hosted_rdmsr(p->m, 0, MSR_IA32_MTRRCAP, &cap), 0);
	assert_true(cap & (1ull << 15));
	plat_free(p);
}

/* ---- the values Linux compares raw ------------------------------------------------------ */

static void test_status_values_are_the_abi_values(void **state)
{
	assert_int_equal(TDX_SUCCESS, 0);
	assert_int_equal(TDX_OPERAND_INVALID, 0xC000010000000000ull);
	assert_int_equal(TDX_OPERAND_ADDR_RANGE_ERROR, 0xC000010100000000ull);
	assert_int_equal(TDX_RND_NO_ENTROPY, 0x8000020300000000ull);
	assert_int_equal(TDX_SYS_BUSY, 0x8000020200000000ull);
	assert_int_equal(TDX_KEY_CONFIGURED, 0x0000081500000000ull);
	assert_int_equal(TDX_TDMR_ALREADY_INITIALIZED, 0x00000A0300000000ull);
	assert_int_equal(TDX_SYS_NOT_READY, 0xC000050500000000ull);
	assert_int_equal(TDX_SYS_SHUTDOWN, 0xC000050600000000ull);
	assert_int_equal(TDX_NON_RECOVERABLE_TD, 0x4000000200000000ull);
	assert_int_equal(TDX_NON_RECOVERABLE_TD_WRONG_APIC_MODE, 0x6000000700000000ull);
	assert_int_equal(TDX_SEAMCALL_VMFAILINVALID, 0x8000FF00FFFF0000ull);
	assert_int_equal(TDX_OPERAND_ID_RCX, 1);
	assert_int_equal(TDX_OPERAND_ID_RDX, 2);
	assert_int_equal(TDX_OPERAND_ID_R8, 8);
}

#define T1(fn)      cmocka_unit_test_setup_teardown(fn, setup_1lp, teardown)
#define T4(fn)      cmocka_unit_test_setup_teardown(fn, setup_4lp, teardown)
#define TON(fn)     cmocka_unit_test_setup_teardown(fn, setup_vmxon, teardown)
#define TON4(fn)    cmocka_unit_test_setup_teardown(fn, setup_vmxon_4lp, teardown)
#define TCFG(fn)    cmocka_unit_test_setup_teardown(fn, setup_config_pending, teardown)
#define TREADY(fn)  cmocka_unit_test_setup_teardown(fn, setup_ready, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T1(test_linux_bringup_on_1_lp),
		T4(test_linux_bringup_on_4_lps),
		TCFG(test_key_config_is_retried_while_rnd_no_entropy),
		TCFG(test_config_and_key_config_busy),
		TCFG(test_tdmr_init_returns_the_next_address_rounded_to_1gib),
		TCFG(test_sys_rd_of_null_field_id_gives_the_first_field_id),

		TREADY(test_rdmd_of_an_ordinary_page_is_pt_nda),
		TREADY(test_rdmd_of_a_pamt_page_is_pt_rsvd),
		TREADY(test_rdmd_of_the_seam_range_in_the_tdmr_is_pt_rsvd),
		TREADY(test_rdmd_above_ram_outside_the_tdmr_is_addr_range_error),
		TREADY(test_rdmd_of_an_unaligned_address_is_operand_invalid),
		TREADY(test_rdmd_of_an_address_with_keyid_bits_is_operand_invalid),
		TREADY(test_tdmr_init_again_is_already_initialized),
		TREADY(test_tdmr_init_of_an_address_that_starts_no_tdmr_is_operand_invalid),
		TREADY(test_td_leaf_after_bringup_is_no_longer_sys_not_ready),

		TON(test_sys_rd_before_sys_init_is_lp_init_not_done),
		TON(test_sys_rdall),
		TON(test_global_lock_busy),
		TON(test_lp_init_before_sys_init_is_lp_init_not_pending),
		TON(test_sys_config_before_sys_init_is_config_not_pending),
		TON(test_key_config_before_sys_init_is_key_config_not_pending),
		TON(test_tdmr_init_before_sys_init_is_sys_not_ready),
		TON(test_rdmd_before_sys_init_is_sys_not_ready),
		TON(test_td_leaf_before_sys_init_is_sys_not_ready),
		TON(test_sys_init_twice_is_init_not_pending),
		TON(test_sys_init_with_attributes_is_operand_invalid_rcx),
		TON(test_lp_init_twice_on_one_lp_is_lp_init_done),
		TON4(test_sys_config_before_every_lp_did_lp_init_is_config_not_pending),
		TON(test_rax_bits_63_24_set_is_operand_invalid_rax),
		TON(test_unknown_leaf_is_operand_invalid_rax),
		TON(test_version_the_leaf_does_not_take_is_operand_invalid_rax),

		TCFG(test_sys_rd_of_an_unknown_field_is_field_id_incorrect_rdx),
		TCFG(test_sys_rd_of_an_unknown_field_returns_no_next_field),
		TCFG(test_sys_config_with_a_misaligned_array_is_operand_invalid_rcx),
		TCFG(test_sys_config_with_no_tdmr_is_operand_invalid_rdx),
		TCFG(test_sys_config_with_more_tdmrs_than_max_is_operand_invalid_rdx),
		TCFG(test_sys_config_with_an_mktme_keyid_is_operand_invalid_r8),
		TCFG(test_sys_config_with_a_keyid_beyond_the_tdx_range_is_operand_invalid_r8),
		TCFG(test_sys_config_with_a_tdmr_not_1gib_aligned_is_invalid_tdmr),
		TCFG(test_sys_config_with_tdmrs_out_of_order_is_non_ordered_tdmr),
		TCFG(test_sys_config_with_pamts_of_two_tdmrs_overlapping_names_both),
		TCFG(test_sys_config_with_a_tdmr_part_outside_the_cmrs_unreserved_is_tdmr_outside_cmrs),
		TCFG(test_sys_config_with_a_too_small_pamt_is_invalid_pamt),
		TCFG(test_sys_config_with_a_pamt_in_the_seam_range_is_pamt_outside_cmrs),
		TCFG(test_sys_config_with_a_pamt_not_in_a_reserved_area_is_pamt_overlap),
		TCFG(test_sys_config_with_reserved_areas_out_of_order_is_non_ordered_reserved),
		TCFG(test_sys_config_with_a_reserved_area_past_the_tdmr_end_is_invalid_reserved),
		TCFG(test_sys_config_failure_leaves_config_pending),
		TCFG(test_key_config_twice_on_one_package_is_key_config_not_pending),
		TREADY(test_any_leaf_after_lp_shutdown_is_sys_shutdown),
		TCFG(test_lp_shutdown_before_config_reserves_no_hkid),

		cmocka_unit_test(test_seamcall_before_vmxon_is_ud),
		cmocka_unit_test(test_seamcall_without_a_module_is_vmfail_invalid_with_rax_unchanged),
		cmocka_unit_test(test_tdx_on_a_cpu_model_without_seam_fails_with_a_message),
		cmocka_unit_test(test_keyid_partitioning_msr_without_tdx_is_gp),
		cmocka_unit_test(test_keyid_partitioning_msr_with_tdx_gives_48_tdx_and_15_mktme_keyids),
		cmocka_unit_test(test_seamrr_msrs_describe_a_32mib_granular_range),
		cmocka_unit_test(test_mtrrcap_enumerates_seamrr_on_a_tdx_platform),
		cmocka_unit_test(test_status_values_are_the_abi_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
