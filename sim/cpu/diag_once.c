/* Distinct failures, remembered by (what, RIP): see diag_once.h. */
#include "sim/cpu/diag_once.h"

enum diag_verdict diag_once(struct diag_once *d, uint64_t what, uint64_t rip)
{
	for (unsigned i = 0; i < d->n; i++)
		if (d->seen[i].what == what && d->seen[i].rip == rip)
			return DIAG_SEEN;
	if (d->n == DIAG_ONCE_MAX) {
		if (d->overflow_told)
			return DIAG_SEEN;
		d->overflow_told = true;
		return DIAG_TELL_OVERFLOW;
	}
	d->seen[d->n].what = what;
	d->seen[d->n++].rip = rip;
	return DIAG_TELL;
}
