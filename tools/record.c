/* --record and --replay (record.h). */
#include "tools/record.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

void record_sha256(const void *data, size_t size, uint8_t out[32])
{
	unsigned len = 32;
	EVP_Digest(data, size, out, &len, EVP_sha256(), NULL);
}

/* Options that do not change what the machine does, with whether they take a value. */
static const struct { const char *name; bool value; } unrecorded[] = {
	{ "--record", true }, { "--replay", true }, { "--trace-file", true }, { "--gdb", true },
	{ "--json", false },
};

void record_set_args(struct record *r, int argc, char **argv)
{
	for (int i = 1; i < argc - 1; i++) {
		bool skip = !strncmp(argv[i], "--trace", 7) && (!argv[i][7] || argv[i][7] == '=');
		for (size_t k = 0; !skip && k < sizeof(unrecorded) / sizeof(unrecorded[0]); k++) {
			size_t n = strlen(unrecorded[k].name);
			if (strncmp(argv[i], unrecorded[k].name, n) || (argv[i][n] && argv[i][n] != '='))
				continue;
			skip = true;
			if (unrecorded[k].value && !argv[i][n])
				i++;               /* its value is the next argument */
		}
		if (!skip && r->nargs < RECORD_MAX_ARGS)
			r->args[r->nargs++] = strdup(argv[i]);
	}
}

static void put_hex(FILE *f, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

static int get_hex(const char *s, uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		b[i] = (uint8_t)v;
	}
	return s[2 * n] == 0 || s[2 * n] == '\n' || s[2 * n] == ' ' ? 0 : -1;
}

static void put_file(FILE *f, const char *what, const struct record_file *rf)
{
	fprintf(f, "%s %s sha256=", what, rf->path);
	put_hex(f, rf->sha256, 32);
	fputc('\n', f);
}

int record_write(const char *path, const struct record *r, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "--record: cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "vtsim-record 1\n");
	for (int i = 0; i < r->nargs; i++)
		fprintf(f, "arg %s\n", r->args[i]);
	put_file(f, "image", &r->image);
	for (unsigned i = 0; i < r->ninitrd; i++)
		put_file(f, "initrd", &r->initrd[i]);
	/* Nothing from outside the machine reaches it yet: time is virtual, no device
	 * takes input. Later inputs get lines of their own here. */
	fprintf(f, "inputs none\n");
	fprintf(f, "end status=%d rip=0x%" PRIx64 " insns=%" PRIu64 " state=", r->status, r->rip, r->insns);
	put_hex(f, r->state, 32);
	fputc('\n', f);
	if (fclose(f)) {
		snprintf(err, errlen, "--record: cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* "PATH sha256=HEX" */
static int parse_file(char *s, struct record_file *rf)
{
	char *h = strstr(s, " sha256=");
	if (!h || (size_t)(h - s) >= sizeof(rf->path))
		return -1;
	*h = 0;
	snprintf(rf->path, sizeof(rf->path), "%s", s);
	return get_hex(h + 8, rf->sha256, 32);
}

int record_read(const char *path, struct record *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "--replay: cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	char line[8192];
	int n = 0, bad = 0;
	bool image = false, end = false;
	while (!bad && fgets(line, sizeof(line), f)) {
		n++;
		line[strcspn(line, "\n")] = 0;
		char st[65];
		if (n == 1)
			bad = strcmp(line, "vtsim-record 1") != 0;
		else if (!strncmp(line, "arg ", 4))
			bad = r->nargs == RECORD_MAX_ARGS || !(r->args[r->nargs++] = strdup(line + 4));
		else if (!strncmp(line, "image ", 6)) {
			bad = image || parse_file(line + 6, &r->image);
			image = true;
		}
		else if (!strncmp(line, "initrd ", 7))
			bad = r->ninitrd == 16 || parse_file(line + 7, &r->initrd[r->ninitrd++]);
		else if (!strcmp(line, "inputs none"))
			;
		else if (!strncmp(line, "end ", 4)) {
			bad = end || sscanf(line, "end status=%d rip=0x%" SCNx64 " insns=%" SCNu64 " state=%64s",
					    &r->status, &r->rip, &r->insns, st) != 4 || get_hex(st, r->state, 32);
			end = true;
		} else
			bad = 1;
	}
	fclose(f);
	if (bad || !image || !end) {
		snprintf(err, errlen, "--replay: '%s' is not a vtsim record (line %d%s)", path, n,
			 !bad && !image ? ": no image" : !bad && !end ? ": no end" : "");
		record_free(r);
		return -1;
	}
	return 0;
}

void record_free(struct record *r)
{
	for (int i = 0; i < r->nargs; i++)
		free(r->args[i]);
	r->nargs = 0;
}

int record_compare(const struct record *want, const struct record *got, char *why, size_t len)
{
	if (want->status != got->status)
		snprintf(why, len, "exit status %d, recorded %d", got->status, want->status);
	else if (want->insns != got->insns)
		snprintf(why, len, "%" PRIu64 " instructions retired, recorded %" PRIu64, got->insns, want->insns);
	else if (want->rip != got->rip)
		snprintf(why, len, "ended at RIP=0x%" PRIx64 ", recorded 0x%" PRIx64, got->rip, want->rip);
	else if (memcmp(want->state, got->state, 32))
		snprintf(why, len, "the final machine state (RAM and registers) differs");
	else
		return 0;
	return -1;
}
