/* What bringing a booted machine back costs, for the targets that restore a
 * snapshot before each input (include/vtsim/snapshot.h): restore_timed restores
 * and adds the CPU time and the pages copied back to a tally; with
 * FUZZ_RESET_COST set in the environment, the tally is printed on stderr when the
 * process exits. Not per input: the pages a restore copies back are those the
 * input before wrote, and an input's trace must not depend on the ones before it. */
#ifndef VTSIM_FUZZ_RESET_COST_H
#define VTSIM_FUZZ_RESET_COST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "vtsim/snapshot.h"

struct reset_cost {
	const char *target;
	double cpu_s;
	uint64_t restores, pages, full_compares;
};

static inline double reset_cost_cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int restore_timed(struct reset_cost *c, struct vtsim_machine *m,
				struct vtsim_snapshot *s, char *err, size_t errlen)
{
	struct vtsim_snapshot_stats a, b;
	vtsim_snapshot_stats(s, &a);
	double t0 = reset_cost_cpu_now();
	int rc = vtsim_snapshot_restore(m, s, err, errlen);
	c->cpu_s += reset_cost_cpu_now() - t0;
	vtsim_snapshot_stats(s, &b);
	c->restores++;
	c->pages += b.pages_restored - a.pages_restored;
	c->full_compares += b.full_compares - a.full_compares;
	return rc;
}

static inline void reset_cost_print(const struct reset_cost *c)
{
	if (!getenv("FUZZ_RESET_COST") || !c->restores)
		return;
	fprintf(stderr, "%s: %llu restores, %.1f us and %.1f pages copied back each, %llu compared every page\n",
		c->target, (unsigned long long)c->restores, c->cpu_s / (double)c->restores * 1e6,
		(double)c->pages / (double)c->restores, (unsigned long long)c->full_compares);
}

#endif
