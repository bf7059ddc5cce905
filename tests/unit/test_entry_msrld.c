/* VM-entry checks, class msr-load (sim/vmcs/entry_msrld.c): the VM-entry MSR-load list
 * in memory. A valid list passes; for every MSRLD_* ID a list whose first bad entry
 * breaks that rule fails on that row with the entry's 1-based number as exit
 * qualification; the first bad entry decides, and no count makes the walk run away. */
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

#define RAM_SIZE (4u << 20)
#define LIST 0x7000

#define MSR_TSC            0x10u
#define MSR_SYSENTER_EIP   0x176u
#define MSR_PAT            0x277u
#define MSR_EFER           0xc0000080u
#define MSR_STAR           0xc0000081u
#define MSR_LSTAR          0xc0000082u
#define MSR_FS_BASE        0xc0000100u
#define MSR_GS_BASE        0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_TSC_AUX        0xc0000103u

struct t {
	struct vmcs_cache v;
	struct entry_diag d;
	struct entry_ctx c;
	struct phys pm;
	const struct vmcs_caps *caps;
	uint32_t n;   /* entries written */
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
	vmcs_write_enc(&t->v, VM_ENTRY_MSR_LOAD_ADDR, LIST);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;
	free(t->pm.ram);
	free(t);
	return 0;
}

/* Appends an entry (index with its reserved half, data) and counts it. */
static void add_raw(struct t *t, uint64_t head, uint64_t data)
{
	phys_write64(&t->pm, LIST + 16ull * t->n, head);
	phys_write64(&t->pm, LIST + 16ull * t->n + 8, data);
	t->n++;
	vmcs_write_enc(&t->v, VM_ENTRY_MSR_LOAD_COUNT, t->n);
}

static void add(struct t *t, uint32_t msr, uint64_t data) { add_raw(t, msr, data); }

/* Three good entries. */
static void good_list(struct t *t)
{
	add(t, MSR_EFER, 0xd01);
	add(t, MSR_STAR, 0x0023001000000000ull);
	add(t, MSR_PAT, 0x0007040600070406ull);
}

static void passes(struct t *t)
{
	const struct entry_check *r = entry_run(&t->c, ENTRY_MSRLD);
	if (r)
		fail_msg("expected no failure, got %s: %s", r->id, t->d.rule);
}

static void fails(struct t *t, const char *id, uint32_t field, uint32_t qual)
{
	const struct entry_check *r = entry_run(&t->c, ENTRY_MSRLD);
	if (!r)
		fail_msg("expected %s to fail, every check passed", id);
	assert_string_equal(r->id, id);
	assert_string_equal(t->d.id, id);
	assert_int_equal(t->d.cls, ENTRY_MSRLD);
	assert_int_equal(t->d.field, field);
	assert_int_equal(t->d.qualification, qual);
	assert_true(t->d.rule[0] != '\0');
}

static void test_entry_msrld_table(void **state)
{
	(void)state;
	static const char *const ids[] = { "MSRLD_RSVD", "MSRLD_FSGS", "MSRLD_X2APIC",
					   "MSRLD_SMM_ONLY", "MSRLD_MODEL", "MSRLD_WRMSR_GP",
					   "MSRLD_COUNT" };
	assert_int_equal(entry_checks_msrld_count, 7);
	for (size_t i = 0; i < 7; i++) {
		assert_string_equal(entry_checks_msrld[i].id, ids[i]);
		assert_non_null(entry_checks_msrld[i].pred);
		assert_string_equal(entry_checks_msrld[i].section, "4");
	}
}

static void test_entry_msrld_fixture_passes(void **state)
{
	struct t *t = *state;
	passes(t);                        /* empty list */
	t->c.pm = NULL;
	passes(t);
}

static void test_entry_msrld_valid_list_passes(void **state)
{
	struct t *t = *state;
	good_list(t);
	add(t, MSR_TSC, 0x123456789ull);
	add(t, MSR_SYSENTER_EIP, 0xffffffff81000000ull);
	add(t, MSR_KERNEL_GS_BASE, 0xffff888000000000ull);
	add(t, MSR_TSC_AUX, 7);
	add(t, MSR_LSTAR, 0xffffffff81800000ull);
	passes(t);
}

static void test_entry_msrld_rsvd(void **state)
{
	struct t *t = *state;
	good_list(t);
	add_raw(t, (1ull << 32) | MSR_TSC, 0);
	fails(t, "MSRLD_RSVD", VM_ENTRY_MSR_LOAD_ADDR, 4);
}

static void test_entry_msrld_fsgs(void **state)
{
	struct t *t = *state;
	add(t, MSR_FS_BASE, 0);
	fails(t, "MSRLD_FSGS", VM_ENTRY_MSR_LOAD_ADDR, 1);
	t->n = 0;
	add(t, MSR_EFER, 0xd01);
	add(t, MSR_GS_BASE, 0);
	fails(t, "MSRLD_FSGS", VM_ENTRY_MSR_LOAD_ADDR, 2);
}

static void test_entry_msrld_x2apic(void **state)
{
	struct t *t = *state;
	good_list(t);
	add(t, 0x808, 0);                 /* x2APIC TPR */
	fails(t, "MSRLD_X2APIC", VM_ENTRY_MSR_LOAD_ADDR, 4);
	t->n = 3;
	add(t, 0x8ff, 0);
	fails(t, "MSRLD_X2APIC", VM_ENTRY_MSR_LOAD_ADDR, 4);
}

static void test_entry_msrld_smm_only(void **state)
{
	struct t *t = *state;
	add(t, MSR_PAT, 0x0007040600070406ull);
	add(t, 0x9b, 0);                  /* IA32_SMM_MONITOR_CTL */
	fails(t, "MSRLD_SMM_ONLY", VM_ENTRY_MSR_LOAD_ADDR, 2);
}

static void test_entry_msrld_model(void **state)
{
	struct t *t = *state;
	add(t, 0x79, 0);                  /* IA32_BIOS_UPDT_TRIG */
	fails(t, "MSRLD_MODEL", VM_ENTRY_MSR_LOAD_ADDR, 1);
	t->n = 0;
	add(t, 0x8b, 0);                  /* IA32_BIOS_SIGN_ID */
	fails(t, "MSRLD_MODEL", VM_ENTRY_MSR_LOAD_ADDR, 1);
}

static void test_entry_msrld_wrmsr_gp(void **state)
{
	struct t *t = *state;
	good_list(t);
	add(t, 0x1234, 0);                /* an MSR the model does not let VM entry load */
	fails(t, "MSRLD_WRMSR_GP", VM_ENTRY_MSR_LOAD_ADDR, 4);
	t->n = 3;
	add(t, MSR_LSTAR, 0x0000800000000000ull);   /* not canonical */
	fails(t, "MSRLD_WRMSR_GP", VM_ENTRY_MSR_LOAD_ADDR, 4);
	t->n = 0;
	add(t, MSR_PAT, 0x0007040600070402ull);     /* type 2 */
	fails(t, "MSRLD_WRMSR_GP", VM_ENTRY_MSR_LOAD_ADDR, 1);
	t->n = 0;
	add(t, MSR_EFER, 0xd01 | (1u << 1));        /* reserved EFER bit */
	fails(t, "MSRLD_WRMSR_GP", VM_ENTRY_MSR_LOAD_ADDR, 1);
	t->n = 0;
	add(t, MSR_EFER, 0x801);                    /* clears LME under paging */
	fails(t, "MSRLD_WRMSR_GP", VM_ENTRY_MSR_LOAD_ADDR, 1);
	t->n = 0;
	add(t, MSR_TSC_AUX, 1ull << 32);
	fails(t, "MSRLD_WRMSR_GP", VM_ENTRY_MSR_LOAD_ADDR, 1);
	t->n = 0;
	add(t, 0x480, 0);                           /* IA32_VMX_BASIC: read-only */
	fails(t, "MSRLD_WRMSR_GP", VM_ENTRY_MSR_LOAD_ADDR, 1);
}

/* The list may hold 512 * (IA32_VMX_MISC[27:25] + 1) entries (512 on xeon): entry
 * 513 fails, whatever the count says, and the walk goes no further. */
static void test_entry_msrld_count(void **state)
{
	struct t *t = *state;
	uint64_t misc;
	assert_int_equal(vmcs_caps_rdmsr(t->caps, MSR_IA32_VMX_MISC, &misc), 0);
	assert_int_equal((misc >> 25) & 7, 0);
	for (int i = 0; i < 512; i++)
		add(t, MSR_TSC_AUX, (uint64_t)i);
	passes(t);
	add(t, MSR_TSC_AUX, 0);
	fails(t, "MSRLD_COUNT", VM_ENTRY_MSR_LOAD_COUNT, 513);
	vmcs_write_enc(&t->v, VM_ENTRY_MSR_LOAD_COUNT, 0xffffffffu);
	fails(t, "MSRLD_COUNT", VM_ENTRY_MSR_LOAD_COUNT, 513);
	/* A bad entry within the limit is reported first. */
	phys_write64(&t->pm, LIST + 16 * 100, MSR_FS_BASE);
	fails(t, "MSRLD_FSGS", VM_ENTRY_MSR_LOAD_ADDR, 101);
}

/* The first bad entry decides the row, not the order of the rows. */
static void test_entry_msrld_first_bad_entry_wins(void **state)
{
	struct t *t = *state;
	add(t, MSR_EFER, 0xd01);
	add(t, 0x1234, 0);                          /* WRMSR_GP at entry 2 */
	add_raw(t, 1ull << 40, 0);                  /* RSVD at entry 3 */
	fails(t, "MSRLD_WRMSR_GP", VM_ENTRY_MSR_LOAD_ADDR, 2);
}

/* Lists in odd places read as the open bus (all ones) and fail cleanly. */
static void test_entry_msrld_bad_memory(void **state)
{
	struct t *t = *state;
	vmcs_write_enc(&t->v, VM_ENTRY_MSR_LOAD_COUNT, 2);
	vmcs_write_enc(&t->v, VM_ENTRY_MSR_LOAD_ADDR, RAM_SIZE - 4);   /* straddles the end */
	fails(t, "MSRLD_RSVD", VM_ENTRY_MSR_LOAD_ADDR, 1);
	vmcs_write_enc(&t->v, VM_ENTRY_MSR_LOAD_ADDR, ~0ull - 7);      /* wraps around */
	fails(t, "MSRLD_RSVD", VM_ENTRY_MSR_LOAD_ADDR, 1);
	vmcs_write_enc(&t->v, VM_ENTRY_MSR_LOAD_ADDR, LIST);
	t->c.pm = NULL;
	fails(t, "MSRLD_RSVD", VM_ENTRY_MSR_LOAD_ADDR, 1);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_entry_msrld_table),
		T(test_entry_msrld_fixture_passes),
		T(test_entry_msrld_valid_list_passes),
		T(test_entry_msrld_rsvd),
		T(test_entry_msrld_fsgs),
		T(test_entry_msrld_x2apic),
		T(test_entry_msrld_smm_only),
		T(test_entry_msrld_model),
		T(test_entry_msrld_wrmsr_gp),
		T(test_entry_msrld_count),
		T(test_entry_msrld_first_bad_entry_wins),
		T(test_entry_msrld_bad_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
