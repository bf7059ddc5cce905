/* Which VM-entry checks an input (or a corpus) exercised: a counter of passes and
 * failures per check, for the whole checklist: the instruction's basic checks (PRE_*,
 * entry_steps.h), the class tables indexed like entry_check_at() (CTL rows, then HOST,
 * GUEST, MSRLD), and what follows the checks (ENTRY_*, counted as passes when it
 * happens). The fuzz target vmcs_entry and `vtsim checks --coverage` read it; the
 * caller owns the struct, there is no global state.
 *
 * entry_run_all_recording() runs the rows as a VM entry does: class by class in that
 * order, stopping at the first failing row. That row counts one failure, every row
 * before it one pass, the rows after it nothing. Its result and the diagnostic are
 * those of entry_run() called class by class until a class fails. */
#ifndef VTSIM_ENTRY_COVERAGE_H
#define VTSIM_ENTRY_COVERAGE_H

#include <stdint.h>
#include <stdio.h>

#include "sim/vmcs/entry.h"
#include "sim/vmcs/entry_steps.h"

/* More than the checklist has (163 IDs, a few split into rows); rows past it would be
 * run but not counted, and entry_coverage_print() says so. */
#define ENTRY_COVERAGE_MAX 512

struct entry_coverage {
	uint32_t passed[ENTRY_COVERAGE_MAX];   /* saturating counters */
	uint32_t failed[ENTRY_COVERAGE_MAX];
	uint32_t pre_passed[ENTRY_PRE_COUNT], pre_failed[ENTRY_PRE_COUNT];
	uint32_t after_hit[ENTRY_AFTER_COUNT];
};

/* One VMLAUNCH/VMRESUME's basic checks: those before `failed` passed, `failed`
 * failed (ENTRY_PRE_COUNT: all passed). */
void entry_coverage_pre(struct entry_coverage *cov, enum entry_pre_id failed);
/* A section-E behaviour happened. */
void entry_coverage_after(struct entry_coverage *cov, enum entry_after_id step);

/* NULL when every row of every class holds, else the first failing row (c->diag is
 * filled as entry_run() fills it). cov may be NULL (then it only runs the checks). */
const struct entry_check *entry_run_all_recording(struct entry_ctx *c, struct entry_coverage *cov);

/* Adds src's counts to dst. */
void entry_coverage_merge(struct entry_coverage *dst, const struct entry_coverage *src);

struct entry_coverage_summary {
	unsigned total;    /* IDs of the checklist: PRE_*, the tables' rows, ENTRY_* */
	unsigned hit;      /* rows that passed or failed at least once */
	unsigned passed;   /* rows that passed at least once */
	unsigned failed;   /* rows that failed at least once */
};

void entry_coverage_summarize(const struct entry_coverage *cov, struct entry_coverage_summary *s);

/* One line per row, "ID passed=N failed=M", then the summary line
 * "checks hit: X of Y (passed P, failed F)" where P and F count rows, not runs. */
void entry_coverage_print(FILE *out, const struct entry_coverage *cov);
/* The summary line alone. */
void entry_coverage_print_summary(FILE *out, const struct entry_coverage *cov);

#endif
