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

bool diag_first_time(struct diag_once *d, uint64_t what, uint64_t rip, FILE *out, bool json)
{
	enum diag_verdict v = diag_once(d, what, rip);
	if (v == DIAG_TELL_OVERFLOW && !json)
		fprintf(out, "vtsim: %u distinct VMfails and SEAMCALL errors explained; no more are "
			"(--trace=vmx,seam shows each)\n", DIAG_ONCE_MAX);
	return v == DIAG_TELL;
}

const char *diag_where(uint64_t rip, bool json, char *buf, size_t size)
{
	if (rip == DIAG_HOSTED)
		snprintf(buf, size, json ? "hosted" : "from the hosted VMM");
	else
		snprintf(buf, size, json ? "0x%llx" : "at RIP=0x%llx", (unsigned long long)rip);
	return buf;
}

void diag_json_str(FILE *out, const char *s)
{
	for (const char *p = s; *p; p++)
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if ((unsigned char)*p >= 0x20)
			fputc(*p, out);
}
