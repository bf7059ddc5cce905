/* libFuzzer target for sim/cpu/loader.c.
 *
 * Loads the input into a 16 MiB RAM with reserved_base at 15 MiB. On success it
 * also builds the multiboot information, with two modules (the input itself and an
 * empty one) and a command line, and checks what the loader promises: the load
 * lies below the limit, the entry is inside it, the information block is in
 * conventional memory, and nothing at or above reserved_base was written.
 * A broken promise is an abort(), which the fuzzer reports like a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cpu/loader.h"

#define RAM_SIZE  (16u << 20)
#define LIMIT     (15u << 20)
#define CANARY    0xA5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The RAM outlives one input: allocating and clearing 16 MiB per run would cost
 * more than the loader. The region above LIMIT is filled once and must stay so. */
static uint8_t *fuzz_ram(void)
{
	static uint8_t *ram;

	if (!ram) {
		ram = malloc(RAM_SIZE);
		if (!ram)
			abort();
		memset(ram, CANARY, RAM_SIZE);
	}
	return ram;
}

static void check_above_limit_untouched(const uint8_t *ram)
{
	size_t i;

	for (i = LIMIT; i < RAM_SIZE; i += sizeof(uint64_t)) {
		uint64_t v;

		memcpy(&v, ram + i, sizeof(v));
		if (v != 0xA5A5A5A5A5A5A5A5ull)
			abort();
	}
}

/* An error message is one non-empty line. */
static void check_message(const char *err, size_t len)
{
	if (err[0] == '\0' || !memchr(err, '\0', len) || strchr(err, '\n'))
		abort();
}

static void check_image(const struct loader_image *img)
{
	if (img->kind != LOADER_ELF64 && img->kind != LOADER_MULTIBOOT)
		abort();
	if (img->load_start >= img->load_end || img->load_end > LIMIT)
		abort();
	if (img->entry < img->load_start || img->entry >= img->load_end)
		abort();
	if (img->kind == LOADER_ELF64 && img->mb_header_flags != 0)
		abort();
}

static void build_info(uint8_t *ram, const struct loader_image *img, const uint8_t *data,
		       size_t size)
{
	const struct loader_module mods[2] = {
		{ data, size, "fuzz-input" },
		{ NULL, 0, NULL },
	};
	char err[256];
	uint32_t mbi = 0;

	if (loader_build_multiboot_info(ram, RAM_SIZE, LIMIT, img, "console=ttyS0", mods, 2,
					&mbi, err, sizeof(err)) != 0) {
		check_message(err, sizeof(err));
		return;
	}
	if (mbi < 0x1000 || mbi >= 0xA0000 || (mbi & 3))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *ram = fuzz_ram();
	struct loader_image img;
	char err[256];

	if (loader_load(data, size, ram, LIMIT, &img, err, sizeof(err)) != 0) {
		check_message(err, sizeof(err));
		return 0;
	}
	check_image(&img);
	build_info(ram, &img, data, size);
	check_above_limit_untouched(ram);
	return 0;
}
