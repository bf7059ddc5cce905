/* The VM-entry coverage recorder (sim/vmcs/entry_coverage.h): the valid fixture
 * passes every row once; a broken rule counts its row failed, every earlier row
 * passed and no later row at all; the result and diagnostic equal those of entry_run()
 * class by class; the basic checks (PRE_*) and the section-E behaviours (ENTRY_*) count
 * too; the printout has one line per ID of the checklist and the summary line. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/vmcs/caps.h"
#include "sim/vmcs/entry.h"
#include "sim/vmcs/entry_coverage.h"
#include "sim/vmcs/entry_steps.h"
#include "sim/vmcs/vmcs.h"
#include "tests/unit/entry_fixture.h"

#define RAM_SIZE 0x10000

struct t {
	const struct vmcs_caps *caps;
	struct vmcs_cache v;
	struct entry_ctx c;
	struct entry_diag d;
	struct phys pm;
	struct entry_coverage cov;
	uint8_t ram[RAM_SIZE];
};

static struct t *fix(void)
{
	struct t *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->caps = vmcs_caps_for_model("xeon");
	assert_non_null(t->caps);
	t->pm.ram = t->ram;
	t->pm.size = RAM_SIZE;
	t->pm.maxphyaddr = 46;
	entry_fixture_valid(&t->v, t->caps);
	entry_fixture_ctx(&t->c, &t->v, t->caps, &t->pm, &t->d);
	return t;
}

static size_t index_of(const char *id)
{
	for (size_t i = 0; i < entry_check_total(); i++)
		if (!strcmp(entry_check_at(i, NULL)->id, id))
			return i;
	fail_msg("no check %s", id);
	return 0;
}

/* The same outcome from entry_run() class by class, as VM entry runs it. */
static const struct entry_check *run_by_class(struct t *t, struct entry_diag *d)
{
	struct entry_ctx c = t->c;
	c.diag = d;
	for (int k = 0; k < ENTRY_NR_CLASSES; k++) {
		const struct entry_check *e = entry_run(&c, (enum entry_class)k);
		if (e)
			return e;
	}
	return NULL;
}

/* Exactly rows [0, fail) passed once, row `fail` failed once (none if fail = total). */
static void assert_counts(const struct entry_coverage *cov, size_t fail)
{
	size_t total = entry_check_total();
	for (size_t i = 0; i < total; i++) {
		assert_int_equal(cov->passed[i], i < fail ? 1 : 0);
		assert_int_equal(cov->failed[i], i == fail ? 1 : 0);
	}
}

static void valid_passes_all(void **state)
{
	struct t *t = fix();
	size_t total = entry_check_total();
	assert_true(total > 0 && total <= ENTRY_COVERAGE_MAX);
	assert_null(entry_run_all_recording(&t->c, &t->cov));
	assert_null(t->d.id);
	assert_counts(&t->cov, total);
	struct entry_diag d2 = { 0 };
	assert_null(run_by_class(t, &d2));
	free(t);
}

static void check_broken(struct t *t, const char *id, enum entry_class cls)
{
	size_t k = index_of(id);
	const struct entry_check *e = entry_run_all_recording(&t->c, &t->cov);
	assert_non_null(e);
	assert_string_equal(e->id, id);
	assert_string_equal(t->d.id, id);
	assert_int_equal(t->d.cls, cls);
	assert_ptr_equal(e, entry_check_at(k, NULL));
	assert_counts(&t->cov, k);

	struct entry_diag d2 = { 0 };
	assert_ptr_equal(run_by_class(t, &d2), e);
	assert_int_equal(d2.cls, t->d.cls);
	assert_int_equal(d2.field, t->d.field);
	assert_int_equal(d2.value, t->d.value);
	assert_int_equal(d2.qualification, t->d.qualification);
	assert_string_equal(d2.rule, t->d.rule);
}

static void control_rule_counts(void **state)
{
	struct t *t = fix();
	vmcs_write_enc(&t->v, CR3_TARGET_COUNT, 5);   /* IA32_VMX_MISC[24:16] = 4 */
	check_broken(t, "CTL_CR3_TARGET_COUNT", ENTRY_CTL);
	assert_int_equal(t->d.field, CR3_TARGET_COUNT);
	free(t);
}

static void guest_rule_counts(void **state)
{
	struct t *t = fix();
	vmcs_write_enc(&t->v, GUEST_RFLAGS, 0);       /* bit 1 must be 1 */
	check_broken(t, "GUEST_RFLAGS_RSVD", ENTRY_GUEST);
	free(t);
}

static void counts_accumulate_and_merge(void **state)
{
	struct t *t = fix();
	size_t k = index_of("CTL_CR3_TARGET_COUNT");
	entry_run_all_recording(&t->c, &t->cov);                  /* all pass */
	vmcs_write_enc(&t->v, CR3_TARGET_COUNT, 5);
	entry_run_all_recording(&t->c, &t->cov);                  /* fails at k */
	assert_non_null(entry_run_all_recording(&t->c, NULL));    /* no recorder */
	assert_int_equal(t->cov.passed[0], 2);
	assert_int_equal(t->cov.passed[k], 1);
	assert_int_equal(t->cov.failed[k], 1);
	assert_int_equal(t->cov.passed[k + 1], 1);

	struct entry_coverage *sum = calloc(1, sizeof(*sum));
	assert_non_null(sum);
	entry_coverage_merge(sum, &t->cov);
	entry_coverage_merge(sum, &t->cov);
	assert_int_equal(sum->passed[0], 4);
	assert_int_equal(sum->failed[k], 2);
	sum->passed[1] = UINT32_MAX;
	entry_coverage_merge(sum, &t->cov);
	assert_int_equal(sum->passed[1], UINT32_MAX);              /* saturates */
	free(sum);
	free(t);
}

static char *print_to_string(const struct entry_coverage *cov, bool summary_only)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	if (summary_only)
		entry_coverage_print_summary(f, cov);
	else
		entry_coverage_print(f, cov);
	fclose(f);
	return buf;
}

/* Every ID of the checklist: the basic checks, the tables' rows, section E. */
static size_t checklist_total(void)
{
	return ENTRY_PRE_COUNT + entry_check_total() + ENTRY_AFTER_COUNT;
}

static void print_lines_and_summary(void **state)
{
	struct t *t = fix();
	size_t rows = entry_check_total(), total = checklist_total();
	size_t k = index_of("CTL_CR3_TARGET_COUNT");

	/* Nothing run: every row at zero. */
	char *s = print_to_string(&t->cov, true);
	char want[128];
	snprintf(want, sizeof(want), "checks hit: 0 of %zu (passed 0, failed 0)\n", total);
	assert_string_equal(s, want);
	free(s);

	/* One input failing at row k: k + 1 rows hit, k passed, 1 failed. */
	vmcs_write_enc(&t->v, CR3_TARGET_COUNT, 5);
	entry_run_all_recording(&t->c, &t->cov);
	s = print_to_string(&t->cov, false);
	size_t lines = 0;
	for (char *p = s; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, total + 1);
	assert_true(strncmp(s, "PRE_UD_MODE passed=0 failed=0\n", 30) == 0);
	assert_non_null(strstr(s, "\nCTL_CR3_TARGET_COUNT passed=0 failed=1\n"));
	assert_non_null(strstr(s, "\nCTL_PROC3_RESERVED passed=1 failed=0\n"));
	assert_non_null(strstr(s, "\nENTRY_INJECT passed=0 failed=0\n"));
	snprintf(want, sizeof(want), "\nchecks hit: %zu of %zu (passed %zu, failed 1)\n", k + 1,
		 total, k);
	assert_non_null(strstr(s, want));
	assert_int_equal(strlen(strstr(s, want)), strlen(want));   /* the last line */
	free(s);

	/* Then a valid one: every table row hit, all passed, one failed. */
	vmcs_write_enc(&t->v, CR3_TARGET_COUNT, 0);
	entry_run_all_recording(&t->c, &t->cov);
	s = print_to_string(&t->cov, true);
	snprintf(want, sizeof(want), "checks hit: %zu of %zu (passed %zu, failed 1)\n", rows,
		 total, rows);
	assert_string_equal(s, want);
	free(s);
	free(t);
}

/* The basic checks count like a class: those before the failing one passed; an
 * instruction that passes them all passes each. Section-E behaviours count as
 * passes when they happen; merging adds both kinds. */
static void pre_and_after_steps_count(void **state)
{
	struct t *t = fix();
	entry_coverage_pre(&t->cov, PRE_CPL);
	assert_int_equal(t->cov.pre_passed[PRE_UD_MODE], 1);
	assert_int_equal(t->cov.pre_passed[PRE_NONROOT], 1);
	assert_int_equal(t->cov.pre_passed[PRE_CPL], 0);
	assert_int_equal(t->cov.pre_failed[PRE_CPL], 1);
	assert_int_equal(t->cov.pre_passed[PRE_VMCS_PTR], 0);
	entry_coverage_pre(&t->cov, ENTRY_PRE_COUNT);
	for (unsigned i = 0; i < ENTRY_PRE_COUNT; i++)
		assert_int_equal(t->cov.pre_passed[i], i < PRE_CPL ? 2 : 1);
	entry_coverage_after(&t->cov, AFTER_LAUNCHED);

	char *s = print_to_string(&t->cov, false);
	assert_non_null(strstr(s, "\nPRE_CPL passed=1 failed=1\n"));
	assert_non_null(strstr(s, "\nENTRY_LAUNCHED passed=1 failed=0\n"));
	free(s);
	s = print_to_string(&t->cov, true);
	char want[128];
	snprintf(want, sizeof(want), "checks hit: %u of %zu (passed %u, failed 1)\n",
		 ENTRY_PRE_COUNT + 1, checklist_total(), ENTRY_PRE_COUNT + 1);
	assert_string_equal(s, want);
	free(s);

	struct entry_coverage *sum = calloc(1, sizeof(*sum));
	assert_non_null(sum);
	entry_coverage_merge(sum, &t->cov);
	entry_coverage_merge(sum, &t->cov);
	assert_int_equal(sum->pre_passed[PRE_UD_MODE], 4);
	assert_int_equal(sum->pre_failed[PRE_CPL], 2);
	assert_int_equal(sum->after_hit[AFTER_LAUNCHED], 2);
	free(sum);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_passes_all),
		cmocka_unit_test(control_rule_counts),
		cmocka_unit_test(guest_rule_counts),
		cmocka_unit_test(counts_accumulate_and_merge),
		cmocka_unit_test(print_lines_and_summary),
		cmocka_unit_test(pre_and_after_steps_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
