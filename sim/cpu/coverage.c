/* The architecture coverage collector (include/vtsim/coverage.h). */
#include "sim/cpu/coverage.h"

#include <stdlib.h>
#include <string.h>

#include "sim/tdx_module_stub/module.h"
#include "sim/tdx_module_stub/status.h"
#include "sim/vmcs/exit_reasons.h"

/* The one process-wide setting the header explains. */
static struct vtsim_coverage *installed;

struct vtsim_coverage *vtsim_coverage_new(void)
{
	return calloc(1, sizeof(struct vtsim_coverage));
}

void vtsim_coverage_free(struct vtsim_coverage *cov)
{
	if (installed == cov)
		installed = NULL;
	free(cov);
}

void vtsim_coverage_install(struct vtsim_coverage *cov)
{
	installed = cov;
}

struct vtsim_coverage *coverage_installed(void)
{
	return installed;
}

void coverage_entry(struct vtsim_coverage *cov, const struct entry_ctx *c)
{
	struct entry_diag d;
	struct entry_ctx rc = *c;
	memset(&d, 0, sizeof(d));
	rc.diag = &d;
	entry_run_all_recording(&rc, &cov->entry);
}

void coverage_exit(struct vtsim_coverage *cov, uint32_t reason)
{
	unsigned basic = reason & 0xffff;
	if (basic >= COVERAGE_EXIT_REASONS)
		return;
	if (reason & 0x80000000u)
		cov->failed_entries[basic]++;
	else
		cov->exits[basic]++;
}

void coverage_seamcall(struct vtsim_coverage *cov, unsigned leaf, uint64_t status)
{
	status &= 0xffffffff00000000ull;
	for (unsigned i = 0; i < cov->npairs; i++)
		if (cov->pairs[i].leaf == leaf && cov->pairs[i].status == status) {
			cov->pairs[i].n++;
			return;
		}
	if (cov->npairs == COVERAGE_PAIRS) {
		cov->pairs_dropped++;
		return;
	}
	cov->pairs[cov->npairs].leaf = (uint16_t)leaf;
	cov->pairs[cov->npairs].status = status;
	cov->pairs[cov->npairs++].n = 1;
}

static int pair_order(const void *a, const void *b)
{
	const struct coverage_pair *x = a, *y = b;
	if (x->leaf != y->leaf)
		return x->leaf < y->leaf ? -1 : 1;
	return x->status < y->status ? -1 : x->status > y->status;
}

static void print_exits(FILE *out, const char *what, const uint64_t *counts)
{
	for (unsigned r = 0; r < COVERAGE_EXIT_REASONS; r++)
		if (counts[r]) {
			const char *name = vmx_exit_reason_name(r);
			fprintf(out, "%s %s (%u): %llu\n", what, name ? name : "?", r,
				(unsigned long long)counts[r]);
		}
}

void vtsim_coverage_print(FILE *out, const struct vtsim_coverage *cov)
{
	entry_coverage_print(out, &cov->entry);
	unsigned nexit = 0, nfail = 0;
	for (unsigned r = 0; r < COVERAGE_EXIT_REASONS; r++) {
		nexit += cov->exits[r] != 0;
		nfail += cov->failed_entries[r] != 0;
	}
	print_exits(out, "exit", cov->exits);
	print_exits(out, "failed-entry", cov->failed_entries);
	fprintf(out, "exit reasons: %u, failed-entry reasons: %u\n", nexit, nfail);
	struct coverage_pair *sorted = malloc(sizeof(cov->pairs));
	if (!sorted)
		return;
	memcpy(sorted, cov->pairs, sizeof(cov->pairs[0]) * cov->npairs);
	qsort(sorted, cov->npairs, sizeof(sorted[0]), pair_order);
	for (unsigned i = 0; i < cov->npairs; i++) {
		const char *leaf = tdx_leaf_name(sorted[i].leaf), *st = tdx_status_name(sorted[i].status);
		fprintf(out, "seamcall %s (%u) %s (0x%016llx): %llu\n", leaf ? leaf : "?", sorted[i].leaf,
			st ? st : "?", (unsigned long long)sorted[i].status, (unsigned long long)sorted[i].n);
	}
	fprintf(out, "seamcall leaf/status pairs: %u%s\n", cov->npairs,
		cov->pairs_dropped ? " (more not counted)" : "");
	free(sorted);
}
