/* A stand-in for libFuzzer's main(), for builds without libFuzzer (gcc, the arm64
 * cross build). Links with any tests/fuzz/fuzz_*.c target.
 *
 *   driver [-runs=N] [-seed=S] [-max_len=L] [CORPUS_DIR_OR_FILE ...]
 *
 * Runs every corpus file through LLVMFuzzerTestOneInput, then N pseudo-random
 * inputs from a fixed-seed xorshift generator (so a failure reproduces): half pure
 * random bytes, half corpus files mutated by bit flips, byte sets, field overwrites
 * with boundary values, truncations, extensions and chunk copies. There is no
 * coverage feedback; it is a smoke test that the target survives hostile input.
 *
 * Inputs are allocated at their exact size, so a sanitizer build catches reads
 * past the end. A crash (signal) saves the input as crash-driver-<n> in the current
 * directory, says so on stderr, and dies with the signal.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEFAULT_RUNS     1000
#define DEFAULT_SEED     0x9E3779B97F4A7C15ull
#define DEFAULT_MAX_LEN  4096

struct input {
	uint8_t *data;
	size_t size;
};

struct corpus {
	struct input *files;
	size_t n, cap;
};

/* What the signal handler reports: the input being run. Only the handler reads it. */
static const uint8_t *volatile current_data;
static volatile size_t current_size;
static volatile unsigned long current_index;

/* ---- crash reporting (async-signal-safe only) ---- */

static size_t fmt_ulong(char *buf, unsigned long v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

static void put_str(int fd, const char *s)
{
	ssize_t r = write(fd, s, strlen(s));

	(void)r;
}

static void on_crash(int sig)
{
	char name[64] = "crash-driver-";
	size_t len = strlen(name);
	int fd;

	len += fmt_ulong(name + len, current_index);
	name[len] = '\0';
	fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		ssize_t r = write(fd, (const void *)current_data, current_size);

		(void)r;
		close(fd);
	}
	put_str(2, "driver: crash (signal) on input #");
	put_str(2, name + strlen("crash-driver-"));
	put_str(2, ", saved to ");
	put_str(2, name);
	put_str(2, "\n");
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_crash_handlers(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_crash;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* ---- PRNG: xorshift64* ---- */

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return n ? rng_next(s) % n : 0;
}

/* ---- corpus ---- */

static void corpus_add(struct corpus *c, uint8_t *data, size_t size)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct input *f = realloc(c->files, cap * sizeof(*f));

		if (!f) {
			perror("driver: realloc");
			exit(1);
		}
		c->files = f;
		c->cap = cap;
	}
	c->files[c->n].data = data;
	c->files[c->n].size = size;
	c->n++;
}

static int read_file(const char *path, uint8_t **data, size_t *size)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (!fp)
		return -1;
	do {
		if (len == cap) {
			uint8_t *nb;

			cap = cap ? 2 * cap : 4096;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(fp);
				return -1;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, fp);
		len += got;
	} while (got);
	fclose(fp);
	*data = buf;
	*size = len;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void corpus_add_file(struct corpus *c, const char *path)
{
	uint8_t *data;
	size_t size;

	if (read_file(path, &data, &size)) {
		fprintf(stderr, "driver: cannot read %s\n", path);
		exit(1);
	}
	corpus_add(c, data, size);
}

/* Regular files of a directory, in name order so runs are reproducible. */
static void corpus_add_dir(struct corpus *c, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;

	if (!d) {
		fprintf(stderr, "driver: cannot open %s\n", dir);
		exit(1);
	}
	while ((e = readdir(d))) {
		char **nn;

		if (e->d_name[0] == '.')
			continue;
		nn = realloc(names, (n + 1) * sizeof(*names));
		if (!nn || !(nn[n] = malloc(strlen(dir) + strlen(e->d_name) + 2))) {
			perror("driver: malloc");
			exit(1);
		}
		names = nn;
		sprintf(names[n], "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		struct stat st;

		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			corpus_add_file(c, names[i]);
		free(names[i]);
	}
	free(names);
}

static void corpus_free(struct corpus *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->files[i].data);
	free(c->files);
}

/* ---- running and mutating ---- */

static void run_one(unsigned long index, const uint8_t *data, size_t size)
{
	/* An exact-size copy, so that reading one byte past the end is an overread. */
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy) {
		perror("driver: malloc");
		exit(1);
	}
	if (size)
		memcpy(copy, data, size);
	current_data = copy;
	current_size = size;
	current_index = index;
	LLVMFuzzerTestOneInput(copy, size);
	free(copy);
}

/* Values at the edges of loader arithmetic: zero, sign bits, all-ones, near
 * wrap-around, page and MiB boundaries. */
static uint64_t interesting_value(uint64_t *rng)
{
	static const uint64_t v[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x7fff, 0x8000, 0xffff,
		0x100000, 0xA0000, 0xF00000, 0xEFF000, 0xFFFFFF, 0x1000000, 0x7fffffff,
		0x80000000u, 0xfffffff0u, 0xffffffffu, 0x100000000ull,
		0x7fffffffffffffffull, 0x8000000000000000ull, 0xfffffffffffff000ull,
		0xfffffffffffffff0ull, 0xffffffffffffffffull,
	};
	uint64_t r = rng_below(rng, sizeof(v) / sizeof(v[0]) + 4);

	if (r < sizeof(v) / sizeof(v[0]))
		return v[r];
	return rng_next(rng) >> rng_below(rng, 64);
}

static void overwrite_field(uint8_t *buf, size_t size, uint64_t *rng)
{
	static const unsigned widths[] = { 1, 2, 4, 8 };
	unsigned w = widths[rng_below(rng, 4)], i;
	uint64_t val = interesting_value(rng), off;

	if (size < w)
		return;
	off = rng_below(rng, size - w + 1);
	if (rng_below(rng, 2))
		off &= ~(uint64_t)(w - 1);   /* header fields are naturally aligned */
	for (i = 0; i < w; i++)
		buf[off + i] = (uint8_t)(val >> (8 * i));
}

static uint32_t rd32le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Mutating a multiboot header nearly always breaks its checksum, which would
 * keep every mutant out of the interesting code: repair it half the time. */
static void fix_multiboot_checksum(uint8_t *buf, size_t size)
{
	size_t off, end = size < 8192 ? size : 8192;

	for (off = 0; off + 12 <= end; off += 4) {
		if (rd32le(buf + off) == 0x1BADB002u) {
			uint32_t sum = 0u - 0x1BADB002u - rd32le(buf + off + 4);
			unsigned i;

			for (i = 0; i < 4; i++)
				buf[off + 8 + i] = (uint8_t)(sum >> (8 * i));
			return;
		}
	}
}

/* Returns a malloc'ed mutant of src in *out. */
static size_t mutate(const struct input *src, size_t max_len, uint64_t *rng, uint8_t **out)
{
	size_t cap = src->size > max_len ? src->size : max_len;
	uint8_t *buf = malloc(cap ? cap : 1);
	size_t size = src->size;
	unsigned k, n = 1 + (unsigned)rng_below(rng, 8);

	if (!buf) {
		perror("driver: malloc");
		exit(1);
	}
	if (size)
		memcpy(buf, src->data, size);
	for (k = 0; k < n; k++) {
		switch (rng_below(rng, 7)) {
		case 0:   /* bit flip */
			if (size)
				buf[rng_below(rng, size)] ^= (uint8_t)(1u << rng_below(rng, 8));
			break;
		case 1:   /* random byte */
			if (size)
				buf[rng_below(rng, size)] = (uint8_t)rng_next(rng);
			break;
		case 2:   /* field overwrite */
		case 3:
			overwrite_field(buf, size, rng);
			break;
		case 4:   /* truncation */
			size = rng_below(rng, size + 1);
			break;
		case 5: { /* extension with random bytes */
			size_t add = rng_below(rng, cap - size + 1);

			while (add--)
				buf[size++] = (uint8_t)rng_next(rng);
			break;
		}
		case 6: { /* copy a chunk inside the input (duplicates headers) */
			size_t from, to, len;

			if (!size)
				break;
			from = rng_below(rng, size);
			to = rng_below(rng, size);
			len = rng_below(rng, size - (from > to ? from : to) + 1);
			memmove(buf + to, buf + from, len);
			break;
		}
		}
	}
	if (rng_below(rng, 2))
		fix_multiboot_checksum(buf, size);
	*out = buf;
	return size;
}

static size_t random_input(size_t max_len, uint64_t *rng, uint8_t **out)
{
	size_t size = rng_below(rng, max_len + 1), i;
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf) {
		perror("driver: malloc");
		exit(1);
	}
	for (i = 0; i < size; i++)
		buf[i] = (uint8_t)rng_next(rng);
	*out = buf;
	return size;
}

/* "-name=value" with a numeric value: parses it into *v. */
static int flag_value(const char *arg, const char *name, unsigned long long *v)
{
	size_t n = strlen(name);
	char *end;

	if (strncmp(arg, name, n) != 0 || arg[n] != '=')
		return 0;
	*v = strtoull(arg + n + 1, &end, 0);
	if (*end || end == arg + n + 1) {
		fprintf(stderr, "driver: bad value in %s\n", arg);
		exit(1);
	}
	return 1;
}

int main(int argc, char **argv)
{
	unsigned long long runs = DEFAULT_RUNS, seed = DEFAULT_SEED, max_len = DEFAULT_MAX_LEN;
	struct corpus corpus = { 0 };
	unsigned long long i;
	unsigned long n = 0;
	uint64_t rng;
	int a;

	for (a = 1; a < argc; a++) {
		const char *arg = argv[a];
		struct stat st;

		if (arg[0] == '-') {
			if (!flag_value(arg, "-runs", &runs) && !flag_value(arg, "-seed", &seed) &&
			    !flag_value(arg, "-max_len", &max_len))
				fprintf(stderr, "driver: ignoring %s (libFuzzer-only flag)\n", arg);
		} else if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
			corpus_add_dir(&corpus, arg);
		} else {
			corpus_add_file(&corpus, arg);
		}
	}
	install_crash_handlers();
	rng = seed ? seed : DEFAULT_SEED;   /* xorshift must not start at 0 */

	for (i = 0; i < corpus.n; i++)
		run_one(n++, corpus.files[i].data, corpus.files[i].size);
	for (i = 0; i < runs; i++) {
		uint8_t *buf;
		size_t size;

		if (corpus.n && rng_below(&rng, 2))
			size = mutate(&corpus.files[rng_below(&rng, corpus.n)], max_len, &rng, &buf);
		else
			size = random_input(max_len, &rng, &buf);
		run_one(n++, buf, size);
		free(buf);
	}
	corpus_free(&corpus);
	printf("driver: %lu inputs, 0 crashes\n", n);
	return 0;
}
