/* Each distinct failure explained once per run: a VMM that probes (kvm-unit-tests
 * does thousands of VMREADs of fields a model lacks, from a few places) must not
 * flood the diagnostics stream. A failure is a (kind, what, RIP) triple: the kind
 * of event, a number saying which instruction or leaf and which error, and the
 * RIP. The trace (--trace=vmx, seam) still shows every one. */
#ifndef VTSIM_DIAG_ONCE_H
#define VTSIM_DIAG_ONCE_H

#include <stdbool.h>
#include <stdint.h>

#define DIAG_ONCE_MAX 64          /* distinct failures explained, then one notice */

struct diag_once {
	struct { uint64_t what, rip; } seen[DIAG_ONCE_MAX];
	unsigned n;
	bool overflow_told;
};

enum diag_verdict {
	DIAG_TELL,                /* first time: explain it */
	DIAG_SEEN,                /* explained already (or after the notice): say nothing */
	DIAG_TELL_OVERFLOW,       /* the table is full: say once that no more are explained */
};

enum diag_verdict diag_once(struct diag_once *d, uint64_t what, uint64_t rip);

#endif
