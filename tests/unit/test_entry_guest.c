/* VM-entry checks, class guest (sim/vmcs/entry_guest.c): the valid fixture and its
 * 32-bit and virtual-8086 variants pass; then, for every GUEST_* ID, a VMCS that breaks
 * exactly that rule fails on that row, naming the field and the exit qualification.
 * IDs that the xeon model cannot violate (the feature is absent, or an earlier row
 * refuses the only way to break them) are shown to hold, and why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/cpu/phys.h"
#include "sim/vmcs/caps.h"
#include "sim/vmcs/entry.h"
#include "sim/vmcs/vmcs.h"
#include "tests/unit/entry_fixture.h"

#define BIT(n) ((uint64_t)1 << (n))
#define RAM_SIZE (4u << 20)

#define PROC_SECONDARY   BIT(31)
#define PROC2_EPT        BIT(1)
#define PROC2_UG         BIT(7)
#define PROC2_SHADOW     BIT(14)
#define PIN_NMI_EXITING  BIT(3)
#define PIN_VIRTUAL_NMIS BIT(5)
#define ENT_LOAD_DEBUG   BIT(2)
#define ENT_IA32E        BIT(9)
#define ENT_SMM          BIT(10)
#define LINK_REGION      0x6000
#define NONCANON         0x0000800000000000ull

struct t {
	struct vmcs_cache v;
	struct entry_diag d;
	struct entry_ctx c;
	struct phys pm;
	const struct vmcs_caps *caps;
	struct vmcs_caps *wide;       /* setup_wide's model, freed at teardown */
};

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->pm.ram = calloc(1, RAM_SIZE);
	assert_non_null(t->pm.ram);
	t->pm.size = RAM_SIZE;
	t->pm.maxphyaddr = 46;
	t->caps = vmcs_caps_for_model("xeon");
	assert_non_null(t->caps);
	entry_fixture_valid(&t->v, t->caps);
	entry_fixture_ctx(&t->c, &t->v, t->caps, &t->pm, &t->d);
	*state = t;
	return 0;
}

/* The VM-entry controls and CR4 bits of features xeon lacks, so that their rows,
 * which xeon never lets run, can be broken one by one: load IA32_PERF_GLOBAL_CTRL
 * (13), BNDCFGS (16), IA32_RTIT_CTL (18), UINV (19), CET state (20), IA32_LBR_CTL
 * (21), PKRS (22), FRED (23), IA32_SPEC_CTRL (24); CR4.PCIDE, CET, PKS, FRED. */
#define WIDE_ENTRY (BIT(13) | BIT(16) | BIT(18) | BIT(19) | BIT(20) | BIT(21) | BIT(22) | \
		    BIT(23) | BIT(24))
#define CR4_PCIDE BIT(17)
#define CR4_CET   BIT(23)
#define CR4_PKS   BIT(24)
#define CR4_FRED  BIT(32)

static int setup_wide(void **state)
{
	setup(state);
	struct t *t = *state;
	t->wide = vmcs_caps_widened(t->caps, (uint32_t)WIDE_ENTRY,
				    CR4_PCIDE | CR4_CET | CR4_PKS | CR4_FRED);
	assert_non_null(t->wide);
	t->caps = t->wide;
	entry_fixture_valid(&t->v, t->caps);
	entry_fixture_ctx(&t->c, &t->v, t->caps, &t->pm, &t->d);
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;
	free(t->wide);
	free(t->pm.ram);
	free(t);
	return 0;
}

static void set(struct t *t, uint32_t enc, uint64_t v) { vmcs_write_enc(&t->v, enc, v); }
static uint64_t get(struct t *t, uint32_t enc) { return vmcs_read_enc(&t->v, enc); }
static void or_field(struct t *t, uint32_t enc, uint64_t bits) { set(t, enc, get(t, enc) | bits); }
static void clr_field(struct t *t, uint32_t enc, uint64_t bits) { set(t, enc, get(t, enc) & ~bits); }

static void passes(struct t *t)
{
	const struct entry_check *r = entry_run(&t->c, ENTRY_GUEST);
	if (r)
		fail_msg("expected no failure, got %s: %s", r->id, t->d.rule);
}

/* A row's predicate alone, for a rule an earlier row always shadows on xeon; the
 * diagnostic is reset first. */
static bool pred(struct t *t, const char *id)
{
	for (size_t i = 0; i < entry_checks_guest_count; i++)
		if (strcmp(entry_checks_guest[i].id, id) == 0) {
			memset(&t->d, 0, sizeof(t->d));
			return entry_checks_guest[i].pred(&t->c);
		}
	fail_msg("no row %s", id);
	return false;
}

static void fails(struct t *t, const char *id, uint32_t field, uint32_t qual)
{
	const struct entry_check *r = entry_run(&t->c, ENTRY_GUEST);
	if (!r)
		fail_msg("expected %s to fail, every check passed", id);
	assert_string_equal(r->id, id);
	assert_string_equal(t->d.id, id);
	assert_int_equal(t->d.cls, ENTRY_GUEST);
	assert_non_null(t->d.section);
	assert_int_equal(t->d.field, field);
	assert_int_equal(t->d.qualification, qual);
	assert_true(t->d.rule[0] != '\0');
}

/* ---- Variants ---- */

/* A 32-bit protected-mode guest: no IA-32e mode, CS a 32-bit code segment; with `pae`,
 * PAE paging and a PDPT at CR3 whose first entry is present. */
static void make_prot32(struct t *t, bool pae)
{
	clr_field(t, VM_ENTRY_CONTROLS, ENT_IA32E);
	set(t, GUEST_CS_AR_BYTES, 0xc09b);
	if (pae) {
		phys_write64(&t->pm, FIX_GUEST_CR3, 0x300001);
		phys_write64(&t->pm, FIX_GUEST_CR3 + 8, 0);
		phys_write64(&t->pm, FIX_GUEST_CR3 + 16, 0x301001);
		phys_write64(&t->pm, FIX_GUEST_CR3 + 24, 0);
	} else {
		clr_field(t, GUEST_CR4, BIT(5));
	}
}

/* A virtual-8086 guest (32-bit paging underneath). */
static void make_v86(struct t *t)
{
	static const uint32_t sel[] = { GUEST_CS_SELECTOR, GUEST_SS_SELECTOR, GUEST_DS_SELECTOR,
					GUEST_ES_SELECTOR, GUEST_FS_SELECTOR, GUEST_GS_SELECTOR };
	make_prot32(t, false);
	set(t, GUEST_RFLAGS, 0x20202);
	for (int i = 0; i < 6; i++) {
		uint64_t s = 0x1000 + 0x100 * (uint64_t)i;
		uint32_t idx = (sel[i] - GUEST_ES_SELECTOR) / 2;
		set(t, sel[i], s);
		set(t, GUEST_ES_BASE + 2 * idx, s << 4);
		set(t, GUEST_ES_LIMIT + 2 * idx, 0xffff);
		set(t, GUEST_ES_AR_BYTES + 2 * idx, 0xf3);
	}
}

static void secondary(struct t *t, uint64_t bits)
{
	or_field(t, CPU_BASED_VM_EXEC_CONTROL, PROC_SECONDARY);
	or_field(t, SECONDARY_VM_EXEC_CONTROL, bits);
}

/* A usable LDT. */
static void make_ldt(struct t *t)
{
	set(t, GUEST_LDTR_SELECTOR, 0x20);
	set(t, GUEST_LDTR_BASE, 0x4000);
	set(t, GUEST_LDTR_LIMIT, 0xff);
	set(t, GUEST_LDTR_AR_BYTES, 0x82);
}

/* CPL 3: CS and SS at DPL/RPL 3. */
static void make_cpl3(struct t *t)
{
	set(t, GUEST_CS_SELECTOR, 0x0b);
	set(t, GUEST_CS_AR_BYTES, 0xa0fb);
	set(t, GUEST_SS_SELECTOR, 0x13);
	set(t, GUEST_SS_AR_BYTES, 0xc0f3);
}

/* ---- Passing states ---- */

static void test_entry_guest_table(void **state)
{
	(void)state;
	assert_int_equal(entry_checks_guest_count, 72);
	for (size_t i = 0; i < entry_checks_guest_count; i++) {
		const struct entry_check *r = &entry_checks_guest[i];
		assert_non_null(r->pred);
		assert_non_null(r->summary);
		assert_true(strncmp(r->id, "GUEST_", 6) == 0);
		assert_true(strncmp(r->section, "3.1.", 4) == 0);
		for (size_t j = 0; j < i; j++)
			assert_true(strcmp(r->id, entry_checks_guest[j].id) != 0);
	}
	assert_string_equal(entry_checks_guest[0].id, "GUEST_RFLAGS_RSVD");
	assert_string_equal(entry_checks_guest[71].id, "GUEST_PDPTE");
}

static void test_entry_guest_fixture_passes(void **state)
{
	struct t *t = *state;
	passes(t);
	/* And without memory at all. */
	t->c.pm = NULL;
	passes(t);
}

static void test_entry_guest_prot32_passes(void **state)
{
	struct t *t = *state;
	make_prot32(t, true);
	passes(t);
	make_prot32(t, false);
	passes(t);
	/* A 16-bit busy TSS is fine outside IA-32e mode. */
	set(t, GUEST_TR_AR_BYTES, 0x83);
	passes(t);
}

static void test_entry_guest_v86_passes(void **state)
{
	struct t *t = *state;
	make_v86(t);
	passes(t);
}

static void test_entry_guest_unrestricted_real_mode_passes(void **state)
{
	struct t *t = *state;
	secondary(t, PROC2_EPT | PROC2_UG);
	clr_field(t, VM_ENTRY_CONTROLS, ENT_IA32E);
	set(t, GUEST_CR0, 0x00000030);    /* real mode: PE = PG = 0, NE, ET */
	set(t, GUEST_CS_SELECTOR, 0xf000);
	set(t, GUEST_CS_BASE, 0xf0000);
	set(t, GUEST_CS_LIMIT, 0xffff);
	set(t, GUEST_CS_AR_BYTES, 0x93);  /* data type 3, allowed with unrestricted guest */
	set(t, GUEST_SS_AR_BYTES, 0x93);
	set(t, GUEST_SS_LIMIT, 0xffff);
	set(t, GUEST_RIP, 0xfff0);
	passes(t);
}

static void test_entry_guest_cpl3_passes(void **state)
{
	struct t *t = *state;
	make_cpl3(t);
	passes(t);
}

static void test_entry_guest_ldt_passes(void **state)
{
	struct t *t = *state;
	make_ldt(t);
	passes(t);
}

/* ---- C.1 ---- */

static void test_entry_guest_rflags_rsvd(void **state)
{
	struct t *t = *state;
	set(t, GUEST_RFLAGS, 0);
	fails(t, "GUEST_RFLAGS_RSVD", GUEST_RFLAGS, 0);
	set(t, GUEST_RFLAGS, 0x2 | BIT(3));
	fails(t, "GUEST_RFLAGS_RSVD", GUEST_RFLAGS, 0);
	set(t, GUEST_RFLAGS, 0x2 | BIT(22));
	fails(t, "GUEST_RFLAGS_RSVD", GUEST_RFLAGS, 0);
}

static void test_entry_guest_rflags_vm(void **state)
{
	struct t *t = *state;
	set(t, GUEST_RFLAGS, 0x20002);    /* VM in an IA-32e mode guest */
	fails(t, "GUEST_RFLAGS_VM", GUEST_RFLAGS, 0);
}

static void test_entry_guest_cr0_fixed(void **state)
{
	struct t *t = *state;
	set(t, GUEST_CR0, 0x80050013);    /* NE clear */
	fails(t, "GUEST_CR0_FIXED", GUEST_CR0, 0);
	set(t, GUEST_CR0, 0x180050033ull); /* bit 32: outside FIXED1 */
	fails(t, "GUEST_CR0_FIXED", GUEST_CR0, 0);
	/* CD and NW are never checked. */
	set(t, GUEST_CR0, 0xe0050033);
	passes(t);
}

static void test_entry_guest_cr0_pg_pe(void **state)
{
	struct t *t = *state;
	secondary(t, PROC2_EPT | PROC2_UG);
	set(t, GUEST_CR0, 0x80050032);    /* PG without PE: only UG gets past CR0_FIXED */
	fails(t, "GUEST_CR0_PG_PE", GUEST_CR0, 0);
}

static void test_entry_guest_cr4_fixed(void **state)
{
	struct t *t = *state;
	clr_field(t, GUEST_CR4, BIT(13));  /* VMXE */
	fails(t, "GUEST_CR4_FIXED", GUEST_CR4, 0);
}

static void test_entry_guest_cr3_width(void **state)
{
	struct t *t = *state;
	set(t, GUEST_CR3, BIT(46) | FIX_GUEST_CR3);
	fails(t, "GUEST_CR3_WIDTH", GUEST_CR3, 0);
}

/* xeon has no CET: CR4.CET is outside CR4_FIXED1, so GUEST_CR4_FIXED refuses first. */
static void test_entry_guest_cet_wp(void **state)
{
	struct t *t = *state;
	or_field(t, GUEST_CR4, BIT(23));
	clr_field(t, GUEST_CR0, BIT(16));
	fails(t, "GUEST_CR4_FIXED", GUEST_CR4, 0);
}

static void test_entry_guest_ia32e_pg_pae(void **state)
{
	struct t *t = *state;
	clr_field(t, GUEST_CR4, BIT(5));
	fails(t, "GUEST_IA32E_PG_PAE", GUEST_CR4, 0);
	or_field(t, GUEST_CR4, BIT(5));
	secondary(t, PROC2_EPT | PROC2_UG);
	clr_field(t, GUEST_CR0, BIT(31));
	fails(t, "GUEST_IA32E_PG_PAE", GUEST_CR0, 0);
}

/* xeon has neither PCID nor FRED: both CR4 bits are outside CR4_FIXED1. */
static void test_entry_guest_non_ia32e_cr4(void **state)
{
	struct t *t = *state;
	make_prot32(t, true);
	or_field(t, GUEST_CR4, BIT(17));
	fails(t, "GUEST_CR4_FIXED", GUEST_CR4, 0);
}

static void test_entry_guest_debugctl(void **state)
{
	struct t *t = *state;
	set(t, GUEST_IA32_DEBUGCTL, BIT(2));
	passes(t);                        /* not loaded */
	or_field(t, VM_ENTRY_CONTROLS, ENT_LOAD_DEBUG);
	fails(t, "GUEST_DEBUGCTL", GUEST_IA32_DEBUGCTL, 0);
	set(t, GUEST_IA32_DEBUGCTL, 0x3);
	passes(t);
}

static void test_entry_guest_dr7(void **state)
{
	struct t *t = *state;
	or_field(t, VM_ENTRY_CONTROLS, ENT_LOAD_DEBUG);
	set(t, GUEST_DR7, BIT(32) | 0x400);
	fails(t, "GUEST_DR7", GUEST_DR7, 0);
}

static void test_entry_guest_sysenter_canon(void **state)
{
	struct t *t = *state;
	set(t, GUEST_SYSENTER_EIP, NONCANON);
	fails(t, "GUEST_SYSENTER_CANON", GUEST_SYSENTER_EIP, 0);
	set(t, GUEST_SYSENTER_EIP, 0xffff800000000000ull);
	set(t, GUEST_SYSENTER_ESP, 0x0001000000000000ull);
	fails(t, "GUEST_SYSENTER_CANON", GUEST_SYSENTER_ESP, 0);
}

/* The "load ..." controls xeon cannot set (no CET, PMU, MPX, PT, arch LBR, PKS, FRED,
 * SPEC_CTRL load, user interrupts): the rows hold whatever the fields say. */
static void infeasible_load(struct t *t, unsigned ctl_bit, uint32_t field, uint64_t bad)
{
	assert_false(vmcs_caps_allowed1(t->caps, VMCS_CTL_ENTRY) & BIT(ctl_bit));
	or_field(t, VM_ENTRY_CONTROLS, BIT(ctl_bit));
	set(t, field, bad);
	passes(t);
}

static void test_entry_guest_cet_state(void **state)
{
	infeasible_load(*state, 20, GUEST_S_CET, 0x3c0);
	infeasible_load(*state, 20, GUEST_SSP, 3);
}

static void test_entry_guest_perf_global_ctrl(void **state)
{
	infeasible_load(*state, 13, GUEST_IA32_PERF_GLOBAL_CTRL, ~0ull);
}

static void test_entry_guest_pat(void **state)
{
	struct t *t = *state;
	or_field(t, VM_ENTRY_CONTROLS, BIT(14));
	passes(t);
	set(t, GUEST_IA32_PAT, 0x0007040600070402ull);
	fails(t, "GUEST_PAT", GUEST_IA32_PAT, 0);
	set(t, GUEST_IA32_PAT, 0x0807040600070406ull);
	fails(t, "GUEST_PAT", GUEST_IA32_PAT, 0);
}

static void test_entry_guest_efer(void **state)
{
	struct t *t = *state;
	or_field(t, VM_ENTRY_CONTROLS, BIT(15));
	passes(t);
	set(t, GUEST_IA32_EFER, 0xd01 | BIT(1));   /* reserved */
	fails(t, "GUEST_EFER", GUEST_IA32_EFER, 0);
	set(t, GUEST_IA32_EFER, 0x901);            /* LMA = 0 in an IA-32e mode guest */
	fails(t, "GUEST_EFER", GUEST_IA32_EFER, 0);
	set(t, GUEST_IA32_EFER, 0xc01);            /* LME = 0 with paging on */
	fails(t, "GUEST_EFER", GUEST_IA32_EFER, 0);
}

static void test_entry_guest_bndcfgs(void **state)
{
	infeasible_load(*state, 16, GUEST_BNDCFGS, 0xffc);
}

static void test_entry_guest_rtit_ctl(void **state)
{
	infeasible_load(*state, 18, GUEST_IA32_RTIT_CTL, ~0ull);
}

static void test_entry_guest_lbr_ctl(void **state)
{
	infeasible_load(*state, 21, GUEST_IA32_LBR_CTL, ~0ull);
}

static void test_entry_guest_pkrs(void **state)
{
	infeasible_load(*state, 22, GUEST_IA32_PKRS, BIT(40));
}

static void test_entry_guest_fred(void **state)
{
	infeasible_load(*state, 23, GUEST_IA32_FRED_CONFIG, BIT(2));
}

static void test_entry_guest_spec_ctrl(void **state)
{
	infeasible_load(*state, 24, GUEST_IA32_SPEC_CTRL, ~0ull);
}

static void test_entry_guest_uinv(void **state)
{
	infeasible_load(*state, 19, GUEST_UINV, 0x1ff);
}

/* ---- C.2 ---- */

static void test_entry_guest_tr_ti(void **state)
{
	struct t *t = *state;
	set(t, GUEST_TR_SELECTOR, 0x1c);
	fails(t, "GUEST_TR_TI", GUEST_TR_SELECTOR, 0);
}

static void test_entry_guest_ldtr_ti(void **state)
{
	struct t *t = *state;
	set(t, GUEST_LDTR_SELECTOR, 0x24);
	passes(t);                        /* unusable: not checked */
	make_ldt(t);
	set(t, GUEST_LDTR_SELECTOR, 0x24);
	fails(t, "GUEST_LDTR_TI", GUEST_LDTR_SELECTOR, 0);
}

static void test_entry_guest_ss_rpl_eq_cs_rpl(void **state)
{
	struct t *t = *state;
	set(t, GUEST_SS_SELECTOR, 0x13);
	fails(t, "GUEST_SS_RPL_EQ_CS_RPL", GUEST_SS_SELECTOR, 0);
}

static void test_entry_guest_v86_base(void **state)
{
	struct t *t = *state;
	make_v86(t);
	set(t, GUEST_DS_BASE, get(t, GUEST_DS_BASE) + 0x10);
	fails(t, "GUEST_V86_BASE", GUEST_DS_BASE, 0);
}

static void test_entry_guest_v86_limit(void **state)
{
	struct t *t = *state;
	make_v86(t);
	set(t, GUEST_FS_LIMIT, 0xfffff);
	fails(t, "GUEST_V86_LIMIT", GUEST_FS_LIMIT, 0);
}

static void test_entry_guest_v86_ar(void **state)
{
	struct t *t = *state;
	make_v86(t);
	set(t, GUEST_GS_AR_BYTES, 0xf2);
	fails(t, "GUEST_V86_AR", GUEST_GS_AR_BYTES, 0);
}

static void test_entry_guest_base_canon(void **state)
{
	struct t *t = *state;
	set(t, GUEST_FS_BASE, NONCANON);
	fails(t, "GUEST_BASE_CANON", GUEST_FS_BASE, 0);
	set(t, GUEST_FS_BASE, 0);
	set(t, GUEST_LDTR_BASE, NONCANON);
	passes(t);                        /* LDTR unusable */
	make_ldt(t);
	set(t, GUEST_LDTR_BASE, NONCANON);
	fails(t, "GUEST_BASE_CANON", GUEST_LDTR_BASE, 0);
}

static void test_entry_guest_base_high0(void **state)
{
	struct t *t = *state;
	set(t, GUEST_DS_BASE, BIT(32));
	fails(t, "GUEST_BASE_HIGH0", GUEST_DS_BASE, 0);
	set(t, GUEST_DS_AR_BYTES, 0x10000);   /* unusable: base not checked */
	passes(t);
	set(t, GUEST_CS_BASE, BIT(33));
	fails(t, "GUEST_BASE_HIGH0", GUEST_CS_BASE, 0);
}

static void test_entry_guest_cs_type(void **state)
{
	struct t *t = *state;
	set(t, GUEST_CS_AR_BYTES, 0xa093);    /* data, no unrestricted guest */
	fails(t, "GUEST_CS_TYPE", GUEST_CS_AR_BYTES, 0);
	set(t, GUEST_CS_AR_BYTES, 0xa09a);    /* code, not accessed */
	fails(t, "GUEST_CS_TYPE", GUEST_CS_AR_BYTES, 0);
}

static void test_entry_guest_ss_type(void **state)
{
	struct t *t = *state;
	set(t, GUEST_SS_AR_BYTES, 0xc091);
	fails(t, "GUEST_SS_TYPE", GUEST_SS_AR_BYTES, 0);
	set(t, GUEST_SS_AR_BYTES, 0x10000);   /* unusable SS is fine in 64-bit mode */
	passes(t);
}

static void test_entry_guest_dseg_type(void **state)
{
	struct t *t = *state;
	set(t, GUEST_ES_AR_BYTES, 0xc092);    /* not accessed */
	fails(t, "GUEST_DSEG_TYPE", GUEST_ES_AR_BYTES, 0);
	set(t, GUEST_ES_AR_BYTES, 0xc093);
	set(t, GUEST_DS_AR_BYTES, 0xc099);    /* execute-only code */
	fails(t, "GUEST_DSEG_TYPE", GUEST_DS_AR_BYTES, 0);
	set(t, GUEST_DS_AR_BYTES, 0xc09b);    /* readable code is fine */
	passes(t);
}

static void test_entry_guest_seg_s(void **state)
{
	struct t *t = *state;
	set(t, GUEST_GS_AR_BYTES, 0xc083);
	fails(t, "GUEST_SEG_S", GUEST_GS_AR_BYTES, 0);
}

static void test_entry_guest_cs_dpl(void **state)
{
	struct t *t = *state;
	set(t, GUEST_CS_AR_BYTES, 0xa0bb);    /* non-conforming, DPL 1, SS.DPL 0 */
	fails(t, "GUEST_CS_DPL", GUEST_CS_AR_BYTES, 0);
	set(t, GUEST_CS_AR_BYTES, 0xa0bf);    /* conforming, DPL 1 > SS.DPL 0 */
	fails(t, "GUEST_CS_DPL", GUEST_CS_AR_BYTES, 0);
	set(t, GUEST_CS_AR_BYTES, 0xa09f);    /* conforming, DPL 0 */
	passes(t);
}

static void test_entry_guest_ss_dpl(void **state)
{
	struct t *t = *state;
	set(t, GUEST_CS_AR_BYTES, 0xa0bb);    /* CS.DPL = SS.DPL = 1, both RPL 0 */
	set(t, GUEST_SS_AR_BYTES, 0xc0b3);
	fails(t, "GUEST_SS_DPL", GUEST_SS_AR_BYTES, 0);
}

static void test_entry_guest_dseg_dpl(void **state)
{
	struct t *t = *state;
	set(t, GUEST_DS_SELECTOR, 0x13);
	fails(t, "GUEST_DSEG_DPL", GUEST_DS_AR_BYTES, 0);
	set(t, GUEST_DS_AR_BYTES, 0xc09f);    /* conforming code: exempt */
	passes(t);
}

static void test_entry_guest_seg_p(void **state)
{
	struct t *t = *state;
	set(t, GUEST_DS_AR_BYTES, 0xc013);
	fails(t, "GUEST_SEG_P", GUEST_DS_AR_BYTES, 0);
}

static void test_entry_guest_seg_ar_rsvd(void **state)
{
	struct t *t = *state;
	set(t, GUEST_DS_AR_BYTES, 0xc193);
	fails(t, "GUEST_SEG_AR_RSVD", GUEST_DS_AR_BYTES, 0);
	set(t, GUEST_DS_AR_BYTES, 0xc093);
	set(t, GUEST_CS_AR_BYTES, 0x2a09b);
	fails(t, "GUEST_SEG_AR_RSVD", GUEST_CS_AR_BYTES, 0);
}

static void test_entry_guest_cs_db_l(void **state)
{
	struct t *t = *state;
	set(t, GUEST_CS_AR_BYTES, 0xe09b);
	fails(t, "GUEST_CS_DB_L", GUEST_CS_AR_BYTES, 0);
}

static void test_entry_guest_seg_g_limit(void **state)
{
	struct t *t = *state;
	set(t, GUEST_DS_LIMIT, 0xfffff000);   /* G = 1 with bits 11:0 not all 1 */
	fails(t, "GUEST_SEG_G_LIMIT", GUEST_DS_LIMIT, 0);
	set(t, GUEST_DS_LIMIT, 0xffffffff);
	set(t, GUEST_DS_AR_BYTES, 0x4093);    /* G = 0 with a limit above 1 MiB */
	fails(t, "GUEST_SEG_G_LIMIT", GUEST_DS_LIMIT, 0);
}

static void test_entry_guest_tr_type(void **state)
{
	struct t *t = *state;
	set(t, GUEST_TR_AR_BYTES, 0x83);      /* 16-bit TSS in IA-32e mode */
	fails(t, "GUEST_TR_TYPE", GUEST_TR_AR_BYTES, 0);
	set(t, GUEST_TR_AR_BYTES, 0x89);      /* available, not busy */
	fails(t, "GUEST_TR_TYPE", GUEST_TR_AR_BYTES, 0);
}

static void test_entry_guest_tr_attr(void **state)
{
	struct t *t = *state;
	set(t, GUEST_TR_AR_BYTES, 0x0b);      /* not present */
	fails(t, "GUEST_TR_ATTR", GUEST_TR_AR_BYTES, 0);
	set(t, GUEST_TR_AR_BYTES, 0x1008b);   /* unusable */
	fails(t, "GUEST_TR_ATTR", GUEST_TR_AR_BYTES, 0);
	set(t, GUEST_TR_AR_BYTES, 0x808b);    /* G = 1, limit 0x67 */
	fails(t, "GUEST_TR_ATTR", GUEST_TR_LIMIT, 0);
}

static void test_entry_guest_ldtr_attr(void **state)
{
	struct t *t = *state;
	make_ldt(t);
	set(t, GUEST_LDTR_AR_BYTES, 0x83);
	fails(t, "GUEST_LDTR_ATTR", GUEST_LDTR_AR_BYTES, 0);
	set(t, GUEST_LDTR_AR_BYTES, 0x02);
	fails(t, "GUEST_LDTR_ATTR", GUEST_LDTR_AR_BYTES, 0);
}

/* xeon has no FRED: CR4.FRED is outside CR4_FIXED1. */
static void test_entry_guest_fred_seg(void **state)
{
	struct t *t = *state;
	or_field(t, GUEST_CR4, BIT(32));
	set(t, GUEST_SS_AR_BYTES, 0xc0b3);
	fails(t, "GUEST_CR4_FIXED", GUEST_CR4, 0);
}

/* ---- C.3 ---- */

static void test_entry_guest_dtr_base(void **state)
{
	struct t *t = *state;
	set(t, GUEST_IDTR_BASE, NONCANON);
	fails(t, "GUEST_DTR_BASE", GUEST_IDTR_BASE, 0);
}

static void test_entry_guest_dtr_limit(void **state)
{
	struct t *t = *state;
	set(t, GUEST_GDTR_LIMIT, 0x10000);
	fails(t, "GUEST_DTR_LIMIT", GUEST_GDTR_LIMIT, 0);
}

/* ---- C.4 ---- */

static void test_entry_guest_rip_high0(void **state)
{
	struct t *t = *state;
	make_prot32(t, true);
	set(t, GUEST_RIP, BIT(32) | 0x1000);
	fails(t, "GUEST_RIP_HIGH0", GUEST_RIP, 0);
}

static void test_entry_guest_rip_canon(void **state)
{
	struct t *t = *state;
	set(t, GUEST_RIP, 0x0001000000000000ull);
	fails(t, "GUEST_RIP_CANON", GUEST_RIP, 0);
	/* Bit 47 is not compared: one bit weaker than canonical. */
	set(t, GUEST_RIP, NONCANON);
	passes(t);
	set(t, GUEST_RIP, 0xffff000000001000ull);
	passes(t);
}

static void test_entry_guest_rflags_if_inj(void **state)
{
	struct t *t = *state;
	set(t, VM_ENTRY_INTR_INFO_FIELD, 0x80000020);    /* external interrupt 32 */
	fails(t, "GUEST_RFLAGS_IF_INJ", GUEST_RFLAGS, 0);
	set(t, GUEST_RFLAGS, 0x202);
	passes(t);
}

/* ---- C.5 ---- */

static void test_entry_guest_act_valid(void **state)
{
	struct t *t = *state;
	set(t, GUEST_ACTIVITY_STATE, 4);
	fails(t, "GUEST_ACT_VALID", GUEST_ACTIVITY_STATE, 0);
	set(t, GUEST_ACTIVITY_STATE, 2);      /* shutdown: supported */
	passes(t);
}

static void test_entry_guest_act_hlt_ssdpl(void **state)
{
	struct t *t = *state;
	make_cpl3(t);
	set(t, GUEST_ACTIVITY_STATE, 1);
	fails(t, "GUEST_ACT_HLT_SSDPL", GUEST_ACTIVITY_STATE, 0);
}

static void test_entry_guest_act_blocking(void **state)
{
	struct t *t = *state;
	set(t, GUEST_RFLAGS, 0x202);
	set(t, GUEST_INTERRUPTIBILITY_INFO, 1);
	passes(t);
	set(t, GUEST_ACTIVITY_STATE, 1);
	fails(t, "GUEST_ACT_BLOCKING", GUEST_ACTIVITY_STATE, 0);
}

static void test_entry_guest_act_inj(void **state)
{
	struct t *t = *state;
	set(t, GUEST_RFLAGS, 0x202);
	set(t, VM_ENTRY_INTR_INFO_FIELD, 0x80000020);    /* external interrupt */
	set(t, GUEST_ACTIVITY_STATE, 3);                 /* wait-for-SIPI: nothing */
	fails(t, "GUEST_ACT_INJ", VM_ENTRY_INTR_INFO_FIELD, 0);
	set(t, GUEST_ACTIVITY_STATE, 1);                 /* HLT takes it */
	passes(t);
	set(t, VM_ENTRY_INTR_INFO_FIELD, 0x80000b0d);    /* #GP with error code: not in HLT */
	fails(t, "GUEST_ACT_INJ", VM_ENTRY_INTR_INFO_FIELD, 0);
	set(t, VM_ENTRY_INTR_INFO_FIELD, 0x80000312);    /* #MC */
	passes(t);
	set(t, GUEST_ACTIVITY_STATE, 2);                 /* shutdown: NMI and #MC only */
	passes(t);
	set(t, VM_ENTRY_INTR_INFO_FIELD, 0x80000301);    /* #DB */
	fails(t, "GUEST_ACT_INJ", VM_ENTRY_INTR_INFO_FIELD, 0);
}

/* xeon offers "entry to SMM": then the activity state may not be wait-for-SIPI. */
static void test_entry_guest_act_smm_sipi(void **state)
{
	struct t *t = *state;
	assert_true(vmcs_caps_allowed1(t->caps, VMCS_CTL_ENTRY) & ENT_SMM);
	set(t, GUEST_ACTIVITY_STATE, 3);
	passes(t);
	or_field(t, VM_ENTRY_CONTROLS, ENT_SMM);
	set(t, GUEST_INTERRUPTIBILITY_INFO, 4);          /* blocking by SMI, as it must */
	fails(t, "GUEST_ACT_SMM_SIPI", GUEST_ACTIVITY_STATE, 0);
	set(t, GUEST_ACTIVITY_STATE, 0);
	passes(t);
}

static void test_entry_guest_intr_rsvd(void **state)
{
	struct t *t = *state;
	set(t, GUEST_INTERRUPTIBILITY_INFO, 0x20);
	fails(t, "GUEST_INTR_RSVD", GUEST_INTERRUPTIBILITY_INFO, 0);
	set(t, GUEST_INTERRUPTIBILITY_INFO, 0x10);       /* enclave bit, no SGX */
	fails(t, "GUEST_INTR_RSVD", GUEST_INTERRUPTIBILITY_INFO, 0);
}

static void test_entry_guest_intr_sti_movss(void **state)
{
	struct t *t = *state;
	set(t, GUEST_RFLAGS, 0x202);
	set(t, GUEST_INTERRUPTIBILITY_INFO, 3);
	fails(t, "GUEST_INTR_STI_MOVSS", GUEST_INTERRUPTIBILITY_INFO, 0);
}

static void test_entry_guest_intr_sti_if(void **state)
{
	struct t *t = *state;
	set(t, GUEST_INTERRUPTIBILITY_INFO, 1);
	fails(t, "GUEST_INTR_STI_IF", GUEST_INTERRUPTIBILITY_INFO, 0);
}

static void test_entry_guest_intr_extint_inj(void **state)
{
	struct t *t = *state;
	set(t, GUEST_RFLAGS, 0x202);
	set(t, VM_ENTRY_INTR_INFO_FIELD, 0x80000020);
	set(t, GUEST_INTERRUPTIBILITY_INFO, 2);
	fails(t, "GUEST_INTR_EXTINT_INJ", GUEST_INTERRUPTIBILITY_INFO, 0);
}

static void test_entry_guest_intr_nmi_inj(void **state)
{
	struct t *t = *state;
	set(t, VM_ENTRY_INTR_INFO_FIELD, 0x80000202);    /* NMI */
	passes(t);
	set(t, GUEST_INTERRUPTIBILITY_INFO, 2);          /* MOV SS: qualification 0 */
	fails(t, "GUEST_INTR_NMI_INJ", GUEST_INTERRUPTIBILITY_INFO, 0);
	set(t, GUEST_RFLAGS, 0x202);
	set(t, GUEST_INTERRUPTIBILITY_INFO, 1);          /* STI: qualification 3 */
	fails(t, "GUEST_INTR_NMI_INJ", GUEST_INTERRUPTIBILITY_INFO, 3);
}

static void test_entry_guest_intr_smi_not_smm(void **state)
{
	struct t *t = *state;
	set(t, GUEST_INTERRUPTIBILITY_INFO, 4);
	fails(t, "GUEST_INTR_SMI_NOT_SMM", GUEST_INTERRUPTIBILITY_INFO, 0);
}

/* xeon has no SMM: "entry to SMM" cannot be 1, so the row holds. */
/* "entry to SMM" = 1 needs blocking by SMI in the interruptibility state. */
static void test_entry_guest_intr_smi_entry_smm(void **state)
{
	struct t *t = *state;
	or_field(t, VM_ENTRY_CONTROLS, ENT_SMM);
	fails(t, "GUEST_INTR_SMI_ENTRY_SMM", GUEST_INTERRUPTIBILITY_INFO, 0);
	set(t, GUEST_INTERRUPTIBILITY_INFO, 4);
	passes(t);
}

static void test_entry_guest_intr_vnmi_inj(void **state)
{
	struct t *t = *state;
	set(t, VM_ENTRY_INTR_INFO_FIELD, 0x80000202);
	set(t, GUEST_INTERRUPTIBILITY_INFO, 8);
	passes(t);                        /* real NMIs: blocking by NMI is allowed */
	or_field(t, PIN_BASED_VM_EXEC_CONTROL, PIN_NMI_EXITING | PIN_VIRTUAL_NMIS);
	fails(t, "GUEST_INTR_VNMI_INJ", GUEST_INTERRUPTIBILITY_INFO, 0);
}

/* xeon has no FRED: CR4.FRED is outside CR4_FIXED1. */
static void test_entry_guest_intr_fred_sti(void **state)
{
	struct t *t = *state;
	make_cpl3(t);
	set(t, GUEST_RFLAGS, 0x202);
	set(t, GUEST_INTERRUPTIBILITY_INFO, 1);
	passes(t);
	or_field(t, GUEST_CR4, BIT(32));
	fails(t, "GUEST_CR4_FIXED", GUEST_CR4, 0);
}

static void test_entry_guest_penddbg_rsvd(void **state)
{
	struct t *t = *state;
	set(t, GUEST_PENDING_DBG_EXCEPTIONS, 0x10);
	fails(t, "GUEST_PENDDBG_RSVD", GUEST_PENDING_DBG_EXCEPTIONS, 0);
	set(t, GUEST_PENDING_DBG_EXCEPTIONS, 0x400f);    /* B3-B0 and BS */
	passes(t);
}

static void test_entry_guest_penddbg_bs(void **state)
{
	struct t *t = *state;
	set(t, GUEST_ACTIVITY_STATE, 1);
	set(t, GUEST_RFLAGS, 0x102);      /* TF */
	fails(t, "GUEST_PENDDBG_BS", GUEST_PENDING_DBG_EXCEPTIONS, 0);
	set(t, GUEST_PENDING_DBG_EXCEPTIONS, BIT(14));
	passes(t);
	set(t, GUEST_IA32_DEBUGCTL, 2);   /* BTF: BS must be 0 */
	fails(t, "GUEST_PENDDBG_BS", GUEST_PENDING_DBG_EXCEPTIONS, 0);
}

/* xeon has no RTM: bit 16 is reserved, so GUEST_PENDDBG_RSVD refuses first. */
static void test_entry_guest_penddbg_rtm(void **state)
{
	struct t *t = *state;
	set(t, GUEST_PENDING_DBG_EXCEPTIONS, BIT(16) | 0x3);
	fails(t, "GUEST_PENDDBG_RSVD", GUEST_PENDING_DBG_EXCEPTIONS, 0);
}

/* ---- Rows of features xeon lacks, on xeon widened by WIDE_ENTRY (setup_wide) ---- */

static void test_wide_cet_wp(void **state)
{
	struct t *t = *state;
	or_field(t, GUEST_CR4, CR4_CET);
	passes(t);
	clr_field(t, GUEST_CR0, BIT(16));
	fails(t, "GUEST_CET_WP", GUEST_CR0, 0);
}

static void test_wide_non_ia32e_cr4(void **state)
{
	struct t *t = *state;
	make_prot32(t, true);
	passes(t);
	or_field(t, GUEST_CR4, CR4_PCIDE);
	fails(t, "GUEST_NON_IA32E_CR4", GUEST_CR4, 0);
	clr_field(t, GUEST_CR4, CR4_PCIDE);
	or_field(t, GUEST_CR4, CR4_FRED);
	fails(t, "GUEST_NON_IA32E_CR4", GUEST_CR4, 0);
}

/* Sets the "load" control `bit`, and `field` to `bad` (refused), then `good` (taken). */
static void load_rule(struct t *t, unsigned bit, const char *id, uint32_t field, uint64_t bad,
		      uint64_t good)
{
	assert_true(vmcs_caps_allowed1(t->caps, VMCS_CTL_ENTRY) & BIT(bit));
	or_field(t, VM_ENTRY_CONTROLS, BIT(bit));
	set(t, field, bad);
	fails(t, id, field, 0);
	set(t, field, good);
	passes(t);
}

static void test_wide_cet_state(void **state)
{
	struct t *t = *state;
	load_rule(t, 20, "GUEST_CET_STATE", GUEST_S_CET, 0x3c0, 0x1);
	load_rule(t, 20, "GUEST_CET_STATE", GUEST_S_CET, NONCANON, 0xffff800000000000ull);
	load_rule(t, 20, "GUEST_CET_STATE", GUEST_SSP, 0x1002, 0x1000);
	load_rule(t, 20, "GUEST_CET_STATE", GUEST_INTR_SSP_TABLE, NONCANON, 0x2000);
}

static void test_wide_perf_global_ctrl(void **state)
{
	/* xeon models no performance counters: every enable bit is one it lacks. */
	load_rule(*state, 13, "GUEST_PERF_GLOBAL_CTRL", GUEST_IA32_PERF_GLOBAL_CTRL, 1, 0);
}

static void test_wide_bndcfgs(void **state)
{
	struct t *t = *state;
	load_rule(t, 16, "GUEST_BNDCFGS", GUEST_BNDCFGS, 0x4, 0x3);
	load_rule(t, 16, "GUEST_BNDCFGS", GUEST_BNDCFGS, NONCANON, 0xfffff00000001000ull);
}

static void test_wide_rtit_ctl(void **state)
{
	load_rule(*state, 18, "GUEST_RTIT_CTL", GUEST_IA32_RTIT_CTL, BIT(18), 0x3ffff);
}

static void test_wide_lbr_ctl(void **state)
{
	load_rule(*state, 21, "GUEST_LBR_CTL", GUEST_IA32_LBR_CTL, BIT(4), 0x7f000f);
}

static void test_wide_pkrs(void **state)
{
	load_rule(*state, 22, "GUEST_PKRS", GUEST_IA32_PKRS, BIT(32), 0xffffffffull);
}

static void test_wide_fred(void **state)
{
	struct t *t = *state;
	load_rule(t, 23, "GUEST_FRED", GUEST_IA32_FRED_CONFIG, BIT(11), 0x8);
	load_rule(t, 23, "GUEST_FRED", GUEST_IA32_FRED_RSP2, 0x1020, 0x1040);
	load_rule(t, 23, "GUEST_FRED", GUEST_IA32_FRED_SSP3, NONCANON, 0x1008);
}

static void test_wide_spec_ctrl(void **state)
{
	load_rule(*state, 24, "GUEST_SPEC_CTRL", GUEST_IA32_SPEC_CTRL, BIT(63), 0);
}

static void test_wide_uinv(void **state)
{
	load_rule(*state, 19, "GUEST_UINV", GUEST_UINV, 0x100, 0xff);
}

static void test_wide_fred_seg(void **state)
{
	struct t *t = *state;
	or_field(t, GUEST_CR4, CR4_FRED);
	passes(t);
	clr_field(t, GUEST_CS_AR_BYTES, BIT(13));      /* L: compatibility mode at CPL 0 */
	fails(t, "GUEST_FRED_SEG", GUEST_CS_AR_BYTES, 0);
}

static void test_wide_intr_fred_sti(void **state)
{
	struct t *t = *state;
	make_cpl3(t);
	set(t, GUEST_RFLAGS, 0x202);
	set(t, GUEST_INTERRUPTIBILITY_INFO, 1);       /* blocking by STI */
	or_field(t, GUEST_CR4, CR4_FRED);
	fails(t, "GUEST_INTR_FRED_STI", GUEST_INTERRUPTIBILITY_INFO, 0);
	set(t, GUEST_INTERRUPTIBILITY_INFO, 0);
	passes(t);
}

/* GUEST_PENDDBG_RTM on xeon (no RTM): GUEST_PENDDBG_RSVD refuses bit 16 first, so
 * the rule's own reasons are checked through its predicate. */
static void test_penddbg_rtm_rule(void **state)
{
	struct t *t = *state;
	static const struct { uint64_t v; const char *why; } cases[] = {
		{ BIT(16) | BIT(12) | 0x1, "11:0" },
		{ BIT(16), "bit 12" },
		{ BIT(16) | BIT(12), "no RTM" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		set(t, GUEST_PENDING_DBG_EXCEPTIONS, cases[i].v);
		assert_false(pred(t, "GUEST_PENDDBG_RTM"));
		assert_int_equal(t->d.field, GUEST_PENDING_DBG_EXCEPTIONS);
		assert_int_equal(t->d.value, cases[i].v);
		if (!strstr(t->d.rule, cases[i].why))
			fail_msg("rule \"%s\" does not say \"%s\"", t->d.rule, cases[i].why);
	}
	set(t, GUEST_PENDING_DBG_EXCEPTIONS, BIT(12) | 0x1);
	assert_true(pred(t, "GUEST_PENDDBG_RTM"));
}

static void test_entry_guest_linkptr_addr(void **state)
{
	struct t *t = *state;
	set(t, VMCS_LINK_POINTER, LINK_REGION | 0x8);
	fails(t, "GUEST_LINKPTR_ADDR", VMCS_LINK_POINTER, 4);
	set(t, VMCS_LINK_POINTER, BIT(46));
	fails(t, "GUEST_LINKPTR_ADDR", VMCS_LINK_POINTER, 4);
}

static void test_entry_guest_linkptr_rev(void **state)
{
	struct t *t = *state;
	uint32_t rev = vmcs_caps_revision_id(t->caps);
	set(t, VMCS_LINK_POINTER, LINK_REGION);
	phys_write32(&t->pm, LINK_REGION, rev + 1);
	fails(t, "GUEST_LINKPTR_REV", VMCS_LINK_POINTER, 4);
	phys_write32(&t->pm, LINK_REGION, rev);
	passes(t);
	/* With VMCS shadowing the linked VMCS must be a shadow VMCS. */
	secondary(t, PROC2_SHADOW);
	fails(t, "GUEST_LINKPTR_REV", VMCS_LINK_POINTER, 4);
	phys_write32(&t->pm, LINK_REGION, rev | 0x80000000u);
	passes(t);
	/* Beyond RAM the region reads all ones. */
	set(t, VMCS_LINK_POINTER, 0x100000000ull);
	fails(t, "GUEST_LINKPTR_REV", VMCS_LINK_POINTER, 4);
	/* No memory: the open bus, never a crash. */
	t->c.pm = NULL;
	fails(t, "GUEST_LINKPTR_REV", VMCS_LINK_POINTER, 4);
}

static void test_entry_guest_linkptr_not_self(void **state)
{
	struct t *t = *state;
	set(t, VMCS_LINK_POINTER, t->v.ptr);
	phys_write32(&t->pm, t->v.ptr, vmcs_caps_revision_id(t->caps));
	fails(t, "GUEST_LINKPTR_NOT_SELF", VMCS_LINK_POINTER, 4);
}

/* ---- C.6 ---- */

static void test_entry_guest_pdpte(void **state)
{
	struct t *t = *state;
	make_prot32(t, true);
	phys_write64(&t->pm, FIX_GUEST_CR3 + 16, 0x301001 | BIT(1));
	fails(t, "GUEST_PDPTE", GUEST_CR3, 2);
	phys_write64(&t->pm, FIX_GUEST_CR3 + 16, 0x301001 | BIT(46));
	fails(t, "GUEST_PDPTE", GUEST_CR3, 2);
	/* Not present: the other bits are ignored. */
	phys_write64(&t->pm, FIX_GUEST_CR3 + 16, 0x301000 | BIT(1) | BIT(63));
	passes(t);
	/* CR3 bits 4:0 do not move the table. */
	set(t, GUEST_CR3, FIX_GUEST_CR3 | 0x18);
	passes(t);
	/* With EPT the PDPTEs come from the VMCS. */
	secondary(t, PROC2_EPT);
	passes(t);
	set(t, GUEST_PDPTR1, 0x5001 | BIT(5));
	fails(t, "GUEST_PDPTE", GUEST_PDPTR1, 2);
	/* Not checked in IA-32e mode. */
	or_field(t, VM_ENTRY_CONTROLS, ENT_IA32E);
	set(t, GUEST_CS_AR_BYTES, 0xa09b);
	passes(t);
}

/* ---- Robustness: random guest states never crash a predicate ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_entry_guest_random_states(void **state)
{
	struct t *t = *state;
	static const uint32_t fields[] = {
		GUEST_CR0, GUEST_CR3, GUEST_CR4, GUEST_RFLAGS, GUEST_RIP, GUEST_CS_AR_BYTES,
		GUEST_SS_AR_BYTES, GUEST_DS_AR_BYTES, GUEST_TR_AR_BYTES, GUEST_LDTR_AR_BYTES,
		GUEST_CS_LIMIT, GUEST_ACTIVITY_STATE, GUEST_INTERRUPTIBILITY_INFO,
		GUEST_PENDING_DBG_EXCEPTIONS, VMCS_LINK_POINTER, VM_ENTRY_CONTROLS,
		VM_ENTRY_INTR_INFO_FIELD, CPU_BASED_VM_EXEC_CONTROL, SECONDARY_VM_EXEC_CONTROL,
		PIN_BASED_VM_EXEC_CONTROL, GUEST_PDPTR0, GUEST_IA32_EFER, GUEST_SS_SELECTOR,
	};
	for (int round = 0; round < 20000; round++) {
		entry_fixture_valid(&t->v, t->caps);
		t->c.pm = (round & 1) ? &t->pm : NULL;
		int n = 1 + (int)(rnd() % 4);
		for (int k = 0; k < n; k++) {
			uint64_t v = rnd();
			if (rnd() & 1)
				v &= 0xffffffff;
			set(t, fields[rnd() % (sizeof(fields) / sizeof(fields[0]))], v);
		}
		const struct entry_check *r = entry_run(&t->c, ENTRY_GUEST);
		if (r) {
			assert_string_equal(t->d.id, r->id);
			assert_true(t->d.qualification == 0 || t->d.qualification == 2 ||
				    t->d.qualification == 3 || t->d.qualification == 4);
		}
	}
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
#define W(name) cmocka_unit_test_setup_teardown(name, setup_wide, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_entry_guest_table),
		T(test_entry_guest_fixture_passes),
		T(test_entry_guest_prot32_passes),
		T(test_entry_guest_v86_passes),
		T(test_entry_guest_unrestricted_real_mode_passes),
		T(test_entry_guest_cpl3_passes),
		T(test_entry_guest_ldt_passes),
		T(test_entry_guest_rflags_rsvd),
		T(test_entry_guest_rflags_vm),
		T(test_entry_guest_cr0_fixed),
		T(test_entry_guest_cr0_pg_pe),
		T(test_entry_guest_cr4_fixed),
		T(test_entry_guest_cr3_width),
		T(test_entry_guest_cet_wp),
		T(test_entry_guest_ia32e_pg_pae),
		T(test_entry_guest_non_ia32e_cr4),
		T(test_entry_guest_debugctl),
		T(test_entry_guest_dr7),
		T(test_entry_guest_sysenter_canon),
		T(test_entry_guest_cet_state),
		T(test_entry_guest_perf_global_ctrl),
		T(test_entry_guest_pat),
		T(test_entry_guest_efer),
		T(test_entry_guest_bndcfgs),
		T(test_entry_guest_rtit_ctl),
		T(test_entry_guest_lbr_ctl),
		T(test_entry_guest_pkrs),
		T(test_entry_guest_fred),
		T(test_entry_guest_spec_ctrl),
		T(test_entry_guest_uinv),
		T(test_entry_guest_tr_ti),
		T(test_entry_guest_ldtr_ti),
		T(test_entry_guest_ss_rpl_eq_cs_rpl),
		T(test_entry_guest_v86_base),
		T(test_entry_guest_v86_limit),
		T(test_entry_guest_v86_ar),
		T(test_entry_guest_base_canon),
		T(test_entry_guest_base_high0),
		T(test_entry_guest_cs_type),
		T(test_entry_guest_ss_type),
		T(test_entry_guest_dseg_type),
		T(test_entry_guest_seg_s),
		T(test_entry_guest_cs_dpl),
		T(test_entry_guest_ss_dpl),
		T(test_entry_guest_dseg_dpl),
		T(test_entry_guest_seg_p),
		T(test_entry_guest_seg_ar_rsvd),
		T(test_entry_guest_cs_db_l),
		T(test_entry_guest_seg_g_limit),
		T(test_entry_guest_tr_type),
		T(test_entry_guest_tr_attr),
		T(test_entry_guest_ldtr_attr),
		T(test_entry_guest_fred_seg),
		T(test_entry_guest_dtr_base),
		T(test_entry_guest_dtr_limit),
		T(test_entry_guest_rip_high0),
		T(test_entry_guest_rip_canon),
		T(test_entry_guest_rflags_if_inj),
		T(test_entry_guest_act_valid),
		T(test_entry_guest_act_hlt_ssdpl),
		T(test_entry_guest_act_blocking),
		T(test_entry_guest_act_inj),
		T(test_entry_guest_act_smm_sipi),
		T(test_entry_guest_intr_rsvd),
		T(test_entry_guest_intr_sti_movss),
		T(test_entry_guest_intr_sti_if),
		T(test_entry_guest_intr_extint_inj),
		T(test_entry_guest_intr_nmi_inj),
		T(test_entry_guest_intr_smi_not_smm),
		T(test_entry_guest_intr_smi_entry_smm),
		T(test_entry_guest_intr_vnmi_inj),
		T(test_entry_guest_intr_fred_sti),
		T(test_entry_guest_penddbg_rsvd),
		T(test_entry_guest_penddbg_bs),
		T(test_entry_guest_penddbg_rtm),
		T(test_penddbg_rtm_rule),
		W(test_wide_cet_wp),
		W(test_wide_non_ia32e_cr4),
		W(test_wide_cet_state),
		W(test_wide_perf_global_ctrl),
		W(test_wide_bndcfgs),
		W(test_wide_rtit_ctl),
		W(test_wide_lbr_ctl),
		W(test_wide_pkrs),
		W(test_wide_fred),
		W(test_wide_spec_ctrl),
		W(test_wide_uinv),
		W(test_wide_fred_seg),
		W(test_wide_intr_fred_sti),
		T(test_entry_guest_linkptr_addr),
		T(test_entry_guest_linkptr_rev),
		T(test_entry_guest_linkptr_not_self),
		T(test_entry_guest_pdpte),
		T(test_entry_guest_random_states),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
