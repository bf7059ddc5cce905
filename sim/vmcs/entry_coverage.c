/* VM-entry check coverage: see entry_coverage.h. */
#include "sim/vmcs/entry_coverage.h"

static void bump(uint32_t *n)
{
	if (*n != UINT32_MAX)
		(*n)++;
}

const struct entry_check *entry_run_all_recording(struct entry_ctx *c, struct entry_coverage *cov)
{
	size_t total = entry_check_total();
	enum entry_class prev = ENTRY_NR_CLASSES;
	for (size_t i = 0; i < total; i++) {
		enum entry_class cls;
		const struct entry_check *row = entry_check_at(i, &cls);
		if (!row)
			break;
		/* As entry_run(): the record is cleared once per class. */
		if (cls != prev) {
			c->diag->qualification = 0;
			prev = cls;
		}
		bool ok = row->pred(c);
		if (cov && i < ENTRY_COVERAGE_MAX)
			bump(ok ? &cov->passed[i] : &cov->failed[i]);
		if (ok)
			continue;
		c->diag->id = row->id;
		c->diag->cls = cls;
		c->diag->section = row->section;
		return row;
	}
	c->diag->id = NULL;
	return NULL;
}

void entry_coverage_pre(struct entry_coverage *cov, enum entry_pre_id failed)
{
	for (unsigned i = 0; i < ENTRY_PRE_COUNT && i <= (unsigned)failed; i++)
		bump(i == (unsigned)failed ? &cov->pre_failed[i] : &cov->pre_passed[i]);
}

void entry_coverage_after(struct entry_coverage *cov, enum entry_after_id step)
{
	bump(&cov->after_hit[step]);
}

static uint32_t sat_add(uint32_t a, uint32_t b)
{
	uint64_t s = (uint64_t)a + b;
	return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

void entry_coverage_merge(struct entry_coverage *dst, const struct entry_coverage *src)
{
	for (size_t i = 0; i < ENTRY_COVERAGE_MAX; i++) {
		dst->passed[i] = sat_add(dst->passed[i], src->passed[i]);
		dst->failed[i] = sat_add(dst->failed[i], src->failed[i]);
	}
	for (size_t i = 0; i < ENTRY_PRE_COUNT; i++) {
		dst->pre_passed[i] = sat_add(dst->pre_passed[i], src->pre_passed[i]);
		dst->pre_failed[i] = sat_add(dst->pre_failed[i], src->pre_failed[i]);
	}
	for (size_t i = 0; i < ENTRY_AFTER_COUNT; i++)
		dst->after_hit[i] = sat_add(dst->after_hit[i], src->after_hit[i]);
}

/* The checklist in the order an entry meets it (vtsim_entry_check's): each ID
 * with its two counters. Table rows past ENTRY_COVERAGE_MAX have none (NULL). */
struct checklist_row {
	const char *id;
	const uint32_t *passed, *failed;
};

static const uint32_t no_failures;

static bool checklist_row(const struct entry_coverage *cov, size_t i, struct checklist_row *r)
{
	if (i < ENTRY_PRE_COUNT) {
		*r = (struct checklist_row){ entry_pre_checks[i].id, &cov->pre_passed[i], &cov->pre_failed[i] };
		return true;
	}
	i -= ENTRY_PRE_COUNT;
	size_t rows = entry_check_total();
	if (i < rows) {
		const struct entry_check *row = entry_check_at(i, NULL);
		bool counted = i < ENTRY_COVERAGE_MAX;
		*r = (struct checklist_row){ row->id, counted ? &cov->passed[i] : NULL,
					     counted ? &cov->failed[i] : NULL };
		return true;
	}
	i -= rows;
	if (i < ENTRY_AFTER_COUNT) {
		*r = (struct checklist_row){ entry_after_checks[i].id, &cov->after_hit[i], &no_failures };
		return true;
	}
	return false;
}

void entry_coverage_summarize(const struct entry_coverage *cov, struct entry_coverage_summary *s)
{
	struct checklist_row r;
	s->total = s->hit = s->passed = s->failed = 0;
	for (size_t i = 0; checklist_row(cov, i, &r); i++) {
		s->total++;
		if (!r.passed)
			continue;
		s->passed += *r.passed != 0;
		s->failed += *r.failed != 0;
		s->hit += *r.passed || *r.failed;
	}
}

void entry_coverage_print_summary(FILE *out, const struct entry_coverage *cov)
{
	struct entry_coverage_summary s;
	entry_coverage_summarize(cov, &s);
	fprintf(out, "checks hit: %u of %u (passed %u, failed %u)\n", s.hit, s.total, s.passed,
		s.failed);
}

void entry_coverage_print(FILE *out, const struct entry_coverage *cov)
{
	struct checklist_row r;
	for (size_t i = 0; checklist_row(cov, i, &r); i++) {
		if (!r.passed)
			fprintf(out, "%s not counted (more than %d rows)\n", r.id, ENTRY_COVERAGE_MAX);
		else
			fprintf(out, "%s passed=%u failed=%u\n", r.id, (unsigned)*r.passed,
				(unsigned)*r.failed);
	}
	entry_coverage_print_summary(out, cov);
}
