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

void entry_coverage_merge(struct entry_coverage *dst, const struct entry_coverage *src)
{
	for (size_t i = 0; i < ENTRY_COVERAGE_MAX; i++) {
		uint64_t p = (uint64_t)dst->passed[i] + src->passed[i];
		uint64_t f = (uint64_t)dst->failed[i] + src->failed[i];
		dst->passed[i] = p > UINT32_MAX ? UINT32_MAX : (uint32_t)p;
		dst->failed[i] = f > UINT32_MAX ? UINT32_MAX : (uint32_t)f;
	}
}

void entry_coverage_summarize(const struct entry_coverage *cov, struct entry_coverage_summary *s)
{
	size_t total = entry_check_total();
	s->total = (unsigned)total;
	s->hit = s->passed = s->failed = 0;
	for (size_t i = 0; i < total && i < ENTRY_COVERAGE_MAX; i++) {
		s->passed += cov->passed[i] != 0;
		s->failed += cov->failed[i] != 0;
		s->hit += cov->passed[i] || cov->failed[i];
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
	size_t total = entry_check_total();
	for (size_t i = 0; i < total; i++) {
		const struct entry_check *row = entry_check_at(i, NULL);
		if (!row)
			break;
		if (i >= ENTRY_COVERAGE_MAX) {
			fprintf(out, "%s not counted (more than %d rows)\n", row->id, ENTRY_COVERAGE_MAX);
			continue;
		}
		fprintf(out, "%s passed=%u failed=%u\n", row->id, (unsigned)cov->passed[i],
			(unsigned)cov->failed[i]);
	}
	entry_coverage_print_summary(out, cov);
}
