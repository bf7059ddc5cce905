/* Each distinct failure explained once per run: a VMM that probes (kvm-unit-tests
 * does thousands of VMREADs of fields a model lacks, from a few places) must not
 * flood the diagnostics stream. A failure is a (kind, what, RIP) triple: the kind
 * of event, a number saying which instruction or leaf and which error, and the
 * RIP. The trace (--trace=vmx, seam) still shows every one. */
#ifndef VTSIM_DIAG_ONCE_H
#define VTSIM_DIAG_ONCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/* diag_once, telling `out` (unless in JSON) the one notice when the table fills:
 * true when this failure is to be explained now. */
bool diag_first_time(struct diag_once *d, uint64_t what, uint64_t rip, FILE *out, bool json);

/* The RIP of an instruction a hosted VMM issued through include/vtsim/hosted.h: it
 * runs on the host, so the failure has no RIP on the software CPU. */
#define DIAG_HOSTED UINT64_MAX

/* Where a failure happened: for the sentence "at RIP=0x..." or "from the hosted
 * VMM"; for JSON (`json`) "0x..." or "hosted". Returns buf. */
const char *diag_where(uint64_t rip, bool json, char *buf, size_t size);

/* A JSON string's contents: quotes and backslashes escaped, control bytes dropped. */
void diag_json_str(FILE *out, const char *s);

#endif
