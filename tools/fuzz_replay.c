/* `vtsim fuzz-replay`: the fuzz targets' entry points, renamed vtsim_fuzz_<name> by
 * the build (fuzz_targets.h lists them), run on one input file. A target that finds
 * an oracle broken says what and aborts, as under the fuzzer; a target's state
 * starts fresh in each vtsim process, so a replay of one file is the input's first
 * run, which is deterministic (virtual time, fixed seeds). Several files run in one
 * process in the order given: each target starts every input from the same state,
 * so each input's trace is the same in any order (tests/tools/fuzz_determinism.sh). */
#include "tools/fuzz_replay.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_targets.h"
#include "vtsim/coverage.h"

#define DECLARE(name) int vtsim_fuzz_##name(const uint8_t *data, size_t size);
VTSIM_FUZZ_TARGETS(DECLARE)
#undef DECLARE

static const struct {
	const char *name;
	int (*run)(const uint8_t *data, size_t size);
} targets[] = {
#define ENTRY(name) { #name, vtsim_fuzz_##name },
	VTSIM_FUZZ_TARGETS(ENTRY)
#undef ENTRY
};

/* What --trace turns on in a target: its own trace switch, in the environment. */
static const struct { const char *target, *env, *value; } trace_switches[] = {
	{ "seamcall", "FUZZ_SEAMCALL_TRACE", "1" },
	{ "td_leaves", "FUZZ_TD_TRACE", "1" },
	{ "vmx", "FUZZ_VMX_TRACE", "1" },
	{ "vmcs_entry", "VMCS_ENTRY_COVERAGE", "1" },
	{ "vmx_guest", "VG_TRACE", "0xffff" },
	{ "vt_dispatch", "FUZZ_VT_TRACE", "1" },
};

static void list_targets(FILE *f)
{
	fputs("fuzz targets:", f);
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		fprintf(f, " %s", targets[i].name);
	fputc('\n', f);
}

static uint8_t *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	uint8_t *buf = malloc(cap);
	for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
		n += got;
		if (n == cap) {
			uint8_t *bigger = realloc(buf, cap *= 2);
			if (!bigger)
				free(buf);
			buf = bigger;
		}
	}
	fclose(f);
	*size = n;
	return buf;
}

static size_t find_target(const char *name)
{
	size_t t = 0;
	while (t < sizeof(targets) / sizeof(targets[0]) && strcmp(targets[t].name, name))
		t++;
	return t;
}

/* One input file through target t; -1 when it cannot be read. */
static int replay_file(size_t t, const char *file)
{
	size_t size = 0;
	uint8_t *data = slurp(file, &size);
	if (!data) {
		fprintf(stderr, "vtsim: fuzz-replay: %s: %s\n", file, strerror(errno ? errno : ENOMEM));
		return -1;
	}
	targets[t].run(data, size);
	free(data);
	fprintf(stderr, "fuzz-replay: %s: %s (%zu bytes): no oracle failed\n", targets[t].name, file, size);
	return 0;
}

/* vtsim fuzz-replay TARGET FILE... [--trace]: the files in the order given, in one
 * process (as the fuzzer runs them one after another). */
int vtsim_fuzz_replay_main(int argc, char **argv)
{
	const char *target = NULL;
	int trace = 0, first_file = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--trace"))
			trace = 1;
		else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "vtsim: fuzz-replay: unexpected argument '%s'\n", argv[i]);
			return 2;
		} else if (!target)
			target = argv[i];
		else if (!first_file)
			first_file = i;
	}
	if (!target || !first_file) {
		fprintf(stderr, "usage: vtsim fuzz-replay TARGET FILE... [--trace]\n");
		list_targets(stderr);
		return 2;
	}
	size_t t = find_target(target);
	if (t == sizeof(targets) / sizeof(targets[0])) {
		fprintf(stderr, "vtsim: fuzz-replay: no fuzz target '%s'\n", target);
		list_targets(stderr);
		return 2;
	}
	for (size_t i = 0; trace && i < sizeof(trace_switches) / sizeof(trace_switches[0]); i++)
		if (!strcmp(trace_switches[i].target, target))
			setenv(trace_switches[i].env, trace_switches[i].value, 1);
	for (int i = first_file; i < argc; i++)
		if (strcmp(argv[i], "--trace") && replay_file(t, argv[i]))
			return 2;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of `dir` through target t, in name order; the count, or -1. */
static long run_dir(size_t t, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	char **names = NULL;
	size_t n = 0, cap = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **bigger = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));
			if (!bigger)
				break;
			names = bigger;
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	long ran = 0;
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		size_t size;
		if (!names[i])
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		uint8_t *data = slurp(path, &size);
		if (data) {
			targets[t].run(data, size);
			ran++;
		}
		free(data);
		free(names[i]);
	}
	free(names);
	return ran;
}

/* vtsim checks --coverage [--target T] DIR...: T defaults to the first directory's
 * name (tests/fuzz/corpus/<target>). */
int vtsim_checks_coverage_main(int argc, char **argv)
{
	const char *target = NULL;
	int first_dir = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--target") && i + 1 < argc) {
			target = argv[++i];
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "vtsim: checks: unknown argument '%s'\n", argv[i]);
			return 2;
		} else if (!first_dir) {
			first_dir = i;
		}
	}
	if (!first_dir) {
		fprintf(stderr, "usage: vtsim checks --coverage [--target TARGET] CORPUS_DIR...\n");
		return 2;
	}
	if (!target) {
		const char *slash = strrchr(argv[first_dir], '/');
		target = slash && slash[1] ? slash + 1 : argv[first_dir];
	}
	size_t t = find_target(target);
	if (t == sizeof(targets) / sizeof(targets[0])) {
		fprintf(stderr, "vtsim: checks: no fuzz target '%s' (name it with --target)\n", target);
		list_targets(stderr);
		return 2;
	}
	struct vtsim_coverage *cov = vtsim_coverage_new();
	if (!cov)
		return 1;
	vtsim_coverage_install(cov);
	long total = 0;
	for (int i = first_dir; i < argc; i++) {
		if (argv[i][0] == '-' || (i > 1 && !strcmp(argv[i - 1], "--target")))
			continue;
		long n = run_dir(t, argv[i]);
		if (n < 0) {
			fprintf(stderr, "vtsim: checks: %s: %s\n", argv[i], strerror(errno));
			vtsim_coverage_free(cov);
			return 2;
		}
		total += n;
	}
	printf("coverage of %ld inputs through fuzz target %s\n", total, target);
	vtsim_coverage_print(stdout, cov);
	vtsim_coverage_free(cov);
	return 0;
}
