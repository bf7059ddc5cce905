/* Unit tests for sim/cpu/loader.c: ELF64, multiboot ELF32 and a.out-kludge loading,
 * every rejection path (with RAM compared against a snapshot afterwards), and the
 * multiboot information structure. Images are built byte by byte here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/cpu/loader.h"

#define RAM_SIZE   (8ull << 20)
#define LIMIT      (7ull << 20)      /* reserved_base */
#define FILL       0xCC              /* what RAM holds before a load */
#define IMG_MAX    (16u << 10)

#define PT_LOAD 1
#define PT_NOTE 4
#define MB_MAGIC 0x1BADB002u

struct fixture {
	uint8_t *ram;
	uint8_t *snapshot;
	uint8_t *img;                    /* IMG_MAX bytes, zeroed per test */
	struct loader_image out;
	char err[256];
};

struct tseg {
	uint32_t type;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

/* ---- byte writers ---- */

static void w16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void w32(uint8_t *p, uint32_t v)
{
	w16(p, (uint16_t)v);
	w16(p + 2, (uint16_t)(v >> 16));
}

static void w64(uint8_t *p, uint64_t v)
{
	w32(p, (uint32_t)v);
	w32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t r32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t r64(const uint8_t *p)
{
	return (uint64_t)r32(p) | (uint64_t)r32(p + 4) << 32;
}

/* ---- image builders ---- */

static void put_ident(uint8_t *b, uint8_t cls)
{
	memcpy(b, "\x7f" "ELF", 4);
	b[4] = cls;
	b[5] = 1;     /* little-endian */
	b[6] = 1;     /* EV_CURRENT */
}

/* ELF64 header at 0, program headers at phoff. */
static void put_elf64(uint8_t *b, uint16_t type, uint16_t machine, uint64_t entry,
		      uint64_t phoff, const struct tseg *s, unsigned n)
{
	unsigned i;

	put_ident(b, 2);
	w16(b + 16, type);
	w16(b + 18, machine);
	w32(b + 20, 1);
	w64(b + 24, entry);
	w64(b + 32, phoff);
	w16(b + 52, 64);
	w16(b + 54, 56);
	w16(b + 56, (uint16_t)n);
	for (i = 0; i < n; i++) {
		uint8_t *p = b + phoff + 56 * i;

		w32(p, s[i].type);
		w32(p + 4, 7);
		w64(p + 8, s[i].offset);
		w64(p + 16, s[i].vaddr);
		w64(p + 24, s[i].paddr);
		w64(p + 32, s[i].filesz);
		w64(p + 40, s[i].memsz);
		w64(p + 48, 0x1000);
	}
}

/* ELF32 header at 0, program headers at 52. */
static void put_elf32(uint8_t *b, uint16_t machine, uint32_t entry, const struct tseg *s,
		      unsigned n)
{
	unsigned i;

	put_ident(b, 1);
	w16(b + 16, 2);
	w16(b + 18, machine);
	w32(b + 20, 1);
	w32(b + 24, entry);
	w32(b + 28, 52);
	w16(b + 40, 52);
	w16(b + 42, 32);
	w16(b + 44, (uint16_t)n);
	for (i = 0; i < n; i++) {
		uint8_t *p = b + 52 + 32 * i;

		w32(p, s[i].type);
		w32(p + 4, (uint32_t)s[i].offset);
		w32(p + 8, (uint32_t)s[i].vaddr);
		w32(p + 12, (uint32_t)s[i].paddr);
		w32(p + 16, (uint32_t)s[i].filesz);
		w32(p + 20, (uint32_t)s[i].memsz);
		w32(p + 24, 7);
		w32(p + 28, 0x1000);
	}
}

static void put_mb_header(uint8_t *p, uint32_t flags)
{
	w32(p, MB_MAGIC);
	w32(p + 4, flags);
	w32(p + 8, (uint32_t)(0u - MB_MAGIC - flags));
}

static void put_mb_aout(uint8_t *p, uint32_t flags, uint32_t header_addr, uint32_t load_addr,
			uint32_t load_end, uint32_t bss_end, uint32_t entry)
{
	put_mb_header(p, flags | (1u << 16));
	w32(p + 12, header_addr);
	w32(p + 16, load_addr);
	w32(p + 20, load_end);
	w32(p + 24, bss_end);
	w32(p + 28, entry);
}

/* Recognisable, position-dependent file contents. */
static void fill_pattern(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* ---- fixture and common checks ---- */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->ram = malloc(RAM_SIZE);
	f->snapshot = malloc(RAM_SIZE);
	f->img = calloc(1, IMG_MAX);
	if (!f->ram || !f->snapshot || !f->img)
		return -1;
	memset(f->ram, FILL, RAM_SIZE);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->ram);
	free(f->snapshot);
	free(f->img);
	free(f);
	return 0;
}

static int load(struct fixture *f, size_t size)
{
	memset(&f->out, 0x5a, sizeof(f->out));
	return loader_load(f->img, size, f->ram, LIMIT, &f->out, f->err, sizeof(f->err));
}

/* The image must be rejected with a one-line message containing `want`, and
 * RAM must be byte-for-byte what it was before. */
static void expect_reject(struct fixture *f, size_t size, const char *want)
{
	memcpy(f->snapshot, f->ram, RAM_SIZE);
	assert_int_equal(load(f, size), -1);
	if (!strstr(f->err, want))
		fail_msg("error \"%s\" does not contain \"%s\"", f->err, want);
	assert_null(strchr(f->err, '\n'));
	assert_memory_equal(f->ram, f->snapshot, RAM_SIZE);
}

static void expect_reject_exact(struct fixture *f, size_t size, const char *want)
{
	expect_reject(f, size, want);
	assert_string_equal(f->err, want);
}

static void assert_ram_is(struct fixture *f, uint64_t addr, const uint8_t *want, size_t n)
{
	assert_memory_equal(f->ram + addr, want, n);
}

static void assert_ram_filled(struct fixture *f, uint64_t addr, uint8_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (f->ram[addr + i] != v)
			fail_msg("ram[0x%llx] = 0x%02x, expected 0x%02x",
				 (unsigned long long)(addr + i), f->ram[addr + i], v);
}

/* A valid two-segment ELF64 (with a PT_NOTE between them) used by several tests. */
static size_t build_elf64_two_segments(struct fixture *f)
{
	const struct tseg s[3] = {
		{ PT_LOAD, 0x1000, 0x200000, 0x200000, 0x100, 0x100 },
		{ PT_NOTE, 0x1100, 0, 0, 0x10, 0x10 },
		{ PT_LOAD, 0x1200, 0x300000, 0x300000, 0x80, 0x80 },
	};

	put_elf64(f->img, 2, 62, 0x200010, 64, s, 3);
	fill_pattern(f->img + 0x1000, 0x100, 1);
	fill_pattern(f->img + 0x1200, 0x80, 99);
	return 0x1280;
}

/* ---- ELF64 ---- */

static void test_loader_elf64_valid(void **state)
{
	struct fixture *f = *state;
	size_t size = build_elf64_two_segments(f);

	assert_int_equal(load(f, size), 0);
	assert_int_equal(f->out.kind, LOADER_ELF64);
	assert_int_equal(f->out.entry, 0x200010);
	assert_int_equal(f->out.load_start, 0x200000);
	assert_int_equal(f->out.load_end, 0x300080);
	assert_int_equal(f->out.mb_header_flags, 0);
	assert_ram_is(f, 0x200000, f->img + 0x1000, 0x100);
	assert_ram_is(f, 0x300000, f->img + 0x1200, 0x80);
	/* Exactly the segments were written: the neighbours still hold the fill. */
	assert_int_equal(f->ram[0x1fffff], FILL);
	assert_ram_filled(f, 0x200100, FILL, 0x100000 - 0x100);
	assert_int_equal(f->ram[0x300080], FILL);
}

static void test_loader_elf64_bss_zeroed(void **state)
{
	struct fixture *f = *state;
	const struct tseg s = { PT_LOAD, 0x100, 0x400000, 0x400000, 0x40, 0x2000 };

	put_elf64(f->img, 2, 62, 0x400000, 64, &s, 1);
	fill_pattern(f->img + 0x100, 0x40, 5);
	assert_int_equal(load(f, 0x140), 0);
	assert_ram_is(f, 0x400000, f->img + 0x100, 0x40);
	assert_ram_filled(f, 0x400040, 0, 0x2000 - 0x40);
	assert_int_equal(f->ram[0x402000], FILL);
	assert_int_equal(f->out.load_start, 0x400000);
	assert_int_equal(f->out.load_end, 0x402000);
}

/* Segments may touch each other and reserved_base exactly. */
static void test_loader_elf64_segment_ending_at_limit(void **state)
{
	struct fixture *f = *state;
	const struct tseg s[2] = {
		{ PT_LOAD, 0x200, LIMIT - 0x2000, LIMIT - 0x2000, 0x10, 0x1000 },
		{ PT_LOAD, 0x200, LIMIT - 0x1000, LIMIT - 0x1000, 0x10, 0x1000 },
	};

	put_elf64(f->img, 2, 62, LIMIT - 0x1000, 64, s, 2);
	assert_int_equal(load(f, 0x210), 0);
	assert_int_equal(f->out.load_start, LIMIT - 0x2000);
	assert_int_equal(f->out.load_end, LIMIT);
	assert_int_equal(f->ram[LIMIT], FILL);
}

/* loader_load_window: ram holds [base, limit) (a TD's firmware below 4 GiB); a
 * segment lands at ram[paddr - base], one starting below base is refused and
 * nothing is written. */
static void test_loader_window(void **state)
{
	struct fixture *f = *state;
	const uint64_t base = 0xfff00000ull, top = 0x100000000ull;
	const struct tseg s[2] = {
		{ PT_LOAD, 0x100, 0xffff8000, 0xffff8000, 0x40, 0x1000 },
		{ PT_LOAD, 0x100, 0x100000, 0x100000, 0x40, 0x40 },
	};

	put_elf64(f->img, 2, 62, 0xffff8010, 64, s, 1);
	fill_pattern(f->img + 0x100, 0x40, 3);
	assert_int_equal(loader_load_window(f->img, 0x140, f->ram, base, top, &f->out, f->err,
					    sizeof(f->err)), 0);
	assert_int_equal(f->out.load_start, 0xffff8000);
	assert_int_equal(f->out.load_end, 0xffff9000);
	assert_ram_is(f, 0xf8000, f->img + 0x100, 0x40);
	assert_ram_filled(f, 0xf8040, 0, 0x1000 - 0x40);
	assert_int_equal(f->ram[0xf7fff], FILL);
	put_elf64(f->img, 2, 62, 0xffff8010, 64, s, 2);
	memcpy(f->snapshot, f->ram, RAM_SIZE);
	assert_int_equal(loader_load_window(f->img, 0x140, f->ram, base, top, &f->out, f->err,
					    sizeof(f->err)), -1);
	assert_string_equal(f->err, "segment 1 [0x100000, 0x100040) starts below 0xfff00000, "
			    "where the memory it may load into begins");
	assert_memory_equal(f->ram, f->snapshot, RAM_SIZE);
	/* A plain ELF32 i386 executable: taken here (a TD's 32-bit firmware), not by
	 * loader_load, which wants a multiboot header in an ELF32. */
	memset(f->img, 0, 0x100);
	put_elf32(f->img, 3, 0xffff8010, s, 1);
	assert_int_equal(loader_load_window(f->img, 0x140, f->ram, base, top, &f->out, f->err,
					    sizeof(f->err)), 0);
	assert_int_equal(f->out.kind, LOADER_ELF32);
	assert_int_equal(f->out.entry, 0xffff8010);
	assert_ram_is(f, 0xf8000, f->img + 0x100, 0x40);
	expect_reject(f, 0x140, "ELF32 file without a multiboot header");
}

static void test_loader_elf64_with_multiboot_header_is_elf64(void **state)
{
	struct fixture *f = *state;
	size_t size = build_elf64_two_segments(f);

	/* A multiboot header (even one with an unsupported required flag) inside
	 * the first 8 KiB does not change how an ELF64 file is loaded. */
	put_mb_header(f->img + 0x1000, 1u << 3);
	assert_int_equal(load(f, size), 0);
	assert_int_equal(f->out.kind, LOADER_ELF64);
	assert_int_equal(f->out.mb_header_flags, 0);
	assert_int_equal(r32(f->ram + 0x200000), MB_MAGIC);
}

static void test_loader_pie_rejected(void **state)
{
	struct fixture *f = *state;
	size_t size = build_elf64_two_segments(f);

	w16(f->img + 16, 3);   /* ET_DYN */
	expect_reject(f, size, "ELF type ET_DYN (PIE or shared object) is not supported");
}

static void test_loader_elf_relocatable_rejected(void **state)
{
	struct fixture *f = *state;
	size_t size = build_elf64_two_segments(f);

	w16(f->img + 16, 1);   /* ET_REL */
	expect_reject_exact(f, size, "ELF type 1 (ET_REL (object file)), expected an "
			    "executable (ET_EXEC, 2)");
}

static void test_loader_wrong_machine(void **state)
{
	struct fixture *f = *state;
	size_t size = build_elf64_two_segments(f);

	w16(f->img + 18, 183);
	expect_reject_exact(f, size, "ELF machine 183 (AArch64), expected x86-64 (62)");
	w16(f->img + 18, 4242);
	expect_reject_exact(f, size, "ELF machine 4242, expected x86-64 (62)");
}

static void test_loader_big_endian_rejected(void **state)
{
	struct fixture *f = *state;
	size_t size = build_elf64_two_segments(f);

	f->img[5] = 2;
	expect_reject_exact(f, size, "ELF data encoding 2 (big-endian), expected little-endian (1)");
}

static void test_loader_bad_class_rejected(void **state)
{
	struct fixture *f = *state;
	size_t size = build_elf64_two_segments(f);

	f->img[4] = 3;
	expect_reject(f, size, "ELF class 3, expected ELFCLASS64 (2)");
}

static void test_loader_elf32_without_multiboot_rejected(void **state)
{
	struct fixture *f = *state;
	const struct tseg s = { PT_LOAD, 0x100, 0x100000, 0x100000, 0x40, 0x40 };

	put_elf32(f->img, 3, 0x100000, &s, 1);
	expect_reject(f, 0x140, "ELF32 file without a multiboot header");
}

static void test_loader_not_an_image(void **state)
{
	struct fixture *f = *state;

	fill_pattern(f->img, 0x3000, 3);
	expect_reject(f, 0x3000, "not an ELF64 x86-64 executable or multiboot image (bad magic");
	expect_reject(f, 2, "not an ELF64 x86-64 executable or multiboot image");
	memcpy(f->snapshot, f->ram, RAM_SIZE);
	assert_int_equal(loader_load(NULL, 100, f->ram, LIMIT, &f->out, f->err, sizeof(f->err)),
			 -1);
	assert_memory_equal(f->ram, f->snapshot, RAM_SIZE);
	expect_reject(f, 0, "not an ELF64 x86-64 executable or multiboot image");
}

static void test_loader_truncated_header(void **state)
{
	struct fixture *f = *state;

	build_elf64_two_segments(f);
	expect_reject_exact(f, 40, "truncated ELF: file size 0x28 is smaller than the ELF64 "
			    "header (0x40 bytes)");
	expect_reject(f, 5, "truncated ELF");
}

static void test_loader_phdr_outside_file(void **state)
{
	struct fixture *f = *state;
	size_t size = build_elf64_two_segments(f);

	w64(f->img + 32, 0x1250);   /* e_phoff: header 0 would end at 0x1288 */
	expect_reject_exact(f, size, "truncated ELF: program header 0 lies outside the file "
			    "(offset 0x1250, file size 0x1280)");
	w64(f->img + 32, 0x1200);   /* headers 0 and 1 fit, 2 at 0x1270 does not */
	expect_reject_exact(f, size, "truncated ELF: program header 2 lies outside the file "
			    "(offset 0x1270, file size 0x1280)");
	w64(f->img + 32, 64);
	w16(f->img + 56, 0xffff);   /* PN_XNUM: the count would be in section header 0 */
	expect_reject(f, size, "extended program header numbering (e_phnum 0xffff)");
	w16(f->img + 56, 3);
	w16(f->img + 54, 40);       /* e_phentsize too small */
	expect_reject(f, size, "e_phentsize 40 is smaller than a program header (56 bytes)");
	/* 1171 headers of 56 bytes (65576) are more than Linux's 64 KiB of them;
	 * 1170 (65520) are not, and are read one by one until one is past the file. */
	w16(f->img + 54, 56);
	w16(f->img + 56, 1171);
	expect_reject_exact(f, size, "ELF has 1171 program headers of 56 bytes, more than the "
			    "65536 bytes of them a loader reads");
	w16(f->img + 56, 1170);
	expect_reject(f, size, "program header 83 lies outside the file");
}

static void test_loader_segment_outside_file(void **state)
{
	struct fixture *f = *state;
	size_t size = build_elf64_two_segments(f);

	/* Segment 2's file bytes run one past the end of the file. */
	expect_reject_exact(f, size - 1, "truncated ELF: segment 2 file bytes lie outside the "
			    "file (p_offset 0x1200, p_filesz 0x80, file size 0x127f)");
}

static void test_loader_segment_over_limit(void **state)
{
	struct fixture *f = *state;
	size_t size = build_elf64_two_segments(f);

	/* Segment 2 at [0x6ff000, 0x701000): 0x1000 past reserved_base 0x700000. */
	w64(f->img + 64 + 2 * 56 + 24, 0x6ff000);
	w64(f->img + 64 + 2 * 56 + 40, 0x2000);
	expect_reject_exact(f, size, "segment 2 [0x6ff000, 0x701000) does not fit below "
			    "reserved_base 0x700000");
}

static void test_loader_overflow_crafted_sizes(void **state)
{
	struct fixture *f = *state;
	size_t size = build_elf64_two_segments(f);
	uint8_t *ph0 = f->img + 64;

	/* p_offset + p_filesz wraps to a small number. */
	w64(ph0 + 8, UINT64_MAX - 0xf);
	w64(ph0 + 32, 0x20);
	w64(ph0 + 40, 0x20);
	expect_reject(f, size, "segment 0 file bytes lie outside the file");
	/* p_paddr + p_memsz wraps to below the limit. */
	w64(ph0 + 8, 0x1000);
	w64(ph0 + 32, 0x100);
	w64(ph0 + 24, UINT64_MAX - 0xff);
	w64(ph0 + 40, 0x200);
	expect_reject(f, size, "segment 0: p_paddr 0xffffffffffffff00 + p_memsz 0x200 wraps");
	/* Huge memsz at a low address. */
	w64(ph0 + 24, 0x200000);
	w64(ph0 + 40, UINT64_MAX);
	expect_reject(f, size, "segment 0: p_paddr 0x200000 + p_memsz 0xffffffffffffffff wraps");
	/* e_phoff so large that the header's end wraps. */
	w64(ph0 + 40, 0x100);
	w64(f->img + 32, UINT64_MAX - 8);
	expect_reject_exact(f, size, "truncated ELF: program header 0 lies outside the file "
			    "(offset 0xfffffffffffffff7, file size 0x1280)");
}

static void test_loader_filesz_larger_than_memsz(void **state)
{
	struct fixture *f = *state;
	size_t size = build_elf64_two_segments(f);

	w64(f->img + 64 + 40, 0xff);
	expect_reject_exact(f, size, "segment 0: p_filesz 0x100 is larger than p_memsz 0xff");
}

static void test_loader_zero_segments(void **state)
{
	struct fixture *f = *state;
	const struct tseg note = { PT_NOTE, 0x100, 0, 0, 0x10, 0x10 };

	put_elf64(f->img, 2, 62, 0x200000, 64, NULL, 0);
	expect_reject_exact(f, 0x200, "ELF has no PT_LOAD segments (e_phnum 0): nothing to load");
	put_elf64(f->img, 2, 62, 0x200000, 64, &note, 1);
	expect_reject_exact(f, 0x200, "ELF has no PT_LOAD segments (e_phnum 1): nothing to load");
}

static void test_loader_entry_outside_segments(void **state)
{
	struct fixture *f = *state;
	size_t size = build_elf64_two_segments(f);

	w64(f->img + 24, 0x200100);   /* one past segment 0 */
	expect_reject_exact(f, size, "entry point 0x200100 is not inside any loaded segment");
}

static void test_loader_overlapping_segments(void **state)
{
	struct fixture *f = *state;
	size_t size = build_elf64_two_segments(f);

	/* Segment 2 starts inside segment 0's bss. */
	w64(f->img + 64 + 40, 0x1000);
	w64(f->img + 64 + 2 * 56 + 24, 0x200800);
	expect_reject_exact(f, size, "segments 0 [0x200000, 0x201000) and 2 [0x200800, "
			    "0x200880) overlap");
}

static void test_loader_segments_at_same_address_overlap(void **state)
{
	struct fixture *f = *state;
	size_t size = build_elf64_two_segments(f);

	w64(f->img + 64 + 2 * 56 + 24, 0x200000);
	expect_reject_exact(f, size, "segments 0 [0x200000, 0x200100) and 2 [0x200000, "
			    "0x200080) overlap");
}

/* A PT_LOAD with p_memsz 0 occupies nothing: it overlaps nothing and is not part
 * of load_start/load_end. */
static void test_loader_empty_segment_ignored(void **state)
{
	struct fixture *f = *state;
	const struct tseg s[3] = {
		{ PT_LOAD, 0x200, 0x200000, 0x200000, 0x10, 0x100 },
		{ PT_LOAD, 0x200, 0x200080, 0x200080, 0, 0 },
		{ PT_LOAD, 0x200, 0x100000, 0x100000, 0, 0 },
	};

	put_elf64(f->img, 2, 62, 0x200000, 64, s, 3);
	assert_int_equal(load(f, 0x210), 0);
	assert_int_equal(f->out.load_start, 0x200000);
	assert_int_equal(f->out.load_end, 0x200100);
	/* ... but its entry point cannot be there. */
	w64(f->img + 24, 0x100000);
	expect_reject(f, 0x210, "entry point 0x100000 is not inside any loaded segment");
}

/* ---- Multiboot ---- */

/* Multiboot ELF32: header in the first segment, text + bss. */
static size_t build_mb_elf32(struct fixture *f, uint32_t mb_flags)
{
	const struct tseg s[2] = {
		{ PT_LOAD, 0x1000, 0x100000, 0x100000, 0x200, 0x200 },
		{ PT_LOAD, 0x1200, 0x102000, 0x102000, 0x100, 0x3000 },
	};

	put_elf32(f->img, 3, 0x10000c, s, 2);
	fill_pattern(f->img + 0x1000, 0x300, 11);
	put_mb_header(f->img + 0x1000, mb_flags);
	return 0x1300;
}

static void test_loader_multiboot_elf32(void **state)
{
	struct fixture *f = *state;
	size_t size = build_mb_elf32(f, 0x3);

	assert_int_equal(load(f, size), 0);
	assert_int_equal(f->out.kind, LOADER_MULTIBOOT);
	assert_int_equal(f->out.entry, 0x10000c);
	assert_int_equal(f->out.mb_header_flags, 0x3);
	assert_int_equal(f->out.load_start, 0x100000);
	assert_int_equal(f->out.load_end, 0x105000);
	assert_ram_is(f, 0x100000, f->img + 0x1000, 0x200);
	assert_ram_is(f, 0x102000, f->img + 0x1200, 0x100);
	assert_ram_filled(f, 0x102100, 0, 0x3000 - 0x100);
	assert_ram_filled(f, 0x100200, FILL, 0x1e00);
	assert_int_equal(f->ram[0x105000], FILL);
}

static void test_loader_multiboot_elf32_video_flag_ignored(void **state)
{
	struct fixture *f = *state;
	size_t size = build_mb_elf32(f, 0x7 | (1u << 20));

	assert_int_equal(load(f, size), 0);
	assert_int_equal(f->out.mb_header_flags, 0x7 | (1u << 20));
}

/* Linked at 0xC0100000, loaded at 1 MiB: entered at the physical address. */
static void test_loader_multiboot_elf32_higher_half_entry(void **state)
{
	struct fixture *f = *state;
	const struct tseg s = { PT_LOAD, 0x1000, 0xC0100000, 0x100000, 0x100, 0x100 };

	put_elf32(f->img, 3, 0xC0100020, &s, 1);
	put_mb_header(f->img + 0x1000, 0);
	assert_int_equal(load(f, 0x1100), 0);
	assert_int_equal(f->out.entry, 0x100020);
	assert_int_equal(r32(f->ram + 0x100000), MB_MAGIC);
}

static void test_loader_multiboot_elf32_entry_outside(void **state)
{
	struct fixture *f = *state;
	size_t size = build_mb_elf32(f, 0x3);

	w32(f->img + 24, 0x105000);   /* one past the bss of segment 1 */
	expect_reject_exact(f, size, "entry point 0x105000 is not inside any loaded segment");
}

/* With more than 4 GiB below reserved_base, a 32-bit kernel still cannot reach
 * past 4 GiB. (Rejected before any write, so the small RAM buffer is safe.) */
static void test_loader_multiboot_elf32_above_4g(void **state)
{
	struct fixture *f = *state;
	size_t size = build_mb_elf32(f, 0x3);

	w32(f->img + 52 + 32 + 12, 0xFFFFE000u);   /* segment 1: memsz 0x3000 */
	memcpy(f->snapshot, f->ram, RAM_SIZE);
	assert_int_equal(loader_load(f->img, size, f->ram, 0x400000000ull, &f->out, f->err,
				     sizeof(f->err)), -1);
	assert_string_equal(f->err, "segment 1 [0xffffe000, 0x100001000) lies above 4 GiB, "
			    "out of reach of a 32-bit multiboot kernel");
	assert_memory_equal(f->ram, f->snapshot, RAM_SIZE);
}

static void test_loader_multiboot_elf32_wrong_machine(void **state)
{
	struct fixture *f = *state;
	size_t size = build_mb_elf32(f, 0);

	w16(f->img + 18, 62);
	expect_reject_exact(f, size, "ELF machine 62 (x86-64), expected i386 (3)");
}

static void test_loader_multiboot_elf32_segment_over_limit(void **state)
{
	struct fixture *f = *state;
	size_t size = build_mb_elf32(f, 0);

	w32(f->img + 52 + 32 + 12, 0x6fe000);   /* segment 1 paddr; memsz 0x3000 */
	expect_reject_exact(f, size, "segment 1 [0x6fe000, 0x701000) does not fit below "
			    "reserved_base 0x700000");
}

static void test_loader_multiboot_unsupported_flag(void **state)
{
	struct fixture *f = *state;
	size_t size = build_mb_elf32(f, 0x3 | (1u << 5));

	expect_reject_exact(f, size, "multiboot header flags 0x00000023 require feature bit 5, "
			    "which this loader does not provide (only bits 0, 1 and 2)");
}

static void test_loader_multiboot_bad_checksum(void **state)
{
	struct fixture *f = *state;
	size_t size = build_mb_elf32(f, 0x3);

	w32(f->img + 0x1008, r32(f->img + 0x1008) + 1);
	expect_reject_exact(f, size, "multiboot header at offset 0x1000 has a bad checksum "
			    "(magic + flags + checksum = 0x00000001, must be 0)");
}

/* A bad header followed by a good one: the good one is used. */
static void test_loader_multiboot_skips_bad_checksum(void **state)
{
	struct fixture *f = *state;
	size_t size = build_mb_elf32(f, 0x3);

	put_mb_header(f->img + 0x1010, 0x2);
	w32(f->img + 0x1008, 0);   /* break the first */
	assert_int_equal(load(f, size), 0);
	assert_int_equal(f->out.mb_header_flags, 0x2);
}

static void test_loader_multiboot_header_beyond_8k(void **state)
{
	struct fixture *f = *state;
	const struct tseg s = { PT_LOAD, 0x0, 0x100000, 0x100000, 0x3000, 0x3000 };

	put_elf32(f->img, 3, 0x100000, &s, 1);
	/* The last place a 12-byte header fits wholly in the first 8 KiB. */
	put_mb_header(f->img + 8192 - 12, 0);
	assert_int_equal(load(f, 0x3000), 0);
	assert_int_equal(f->out.kind, LOADER_MULTIBOOT);

	memset(f->ram, FILL, RAM_SIZE);
	memset(f->img + 8192 - 12, 0, 12);
	put_mb_header(f->img + 8192 - 8, 0);     /* straddles the 8 KiB line */
	expect_reject(f, 0x3000, "ELF32 file without a multiboot header in its first 8 KiB");
	memset(f->img + 8192 - 8, 0, 12);
	put_mb_header(f->img + 8192, 0);
	expect_reject(f, 0x3000, "ELF32 file without a multiboot header in its first 8 KiB");
	/* Not 4-byte aligned: not a header either. */
	memset(f->img + 8192, 0, 12);
	put_mb_header(f->img + 0x102, 0);
	expect_reject(f, 0x3000, "ELF32 file without a multiboot header");
}

/* A flat binary: multiboot header at file offset 0x40, loaded at 1 MiB. */
static size_t build_aout(struct fixture *f, uint32_t load_end, uint32_t bss_end)
{
	fill_pattern(f->img, 0x800, 21);
	put_mb_aout(f->img + 0x40, 0x3, 0x100040, 0x100000, load_end, bss_end, 0x100060);
	return 0x800;
}

static void test_loader_multiboot_aout_kludge(void **state)
{
	struct fixture *f = *state;
	size_t size = build_aout(f, 0x100600, 0x102000);

	assert_int_equal(load(f, size), 0);
	assert_int_equal(f->out.kind, LOADER_MULTIBOOT);
	assert_int_equal(f->out.entry, 0x100060);
	assert_int_equal(f->out.mb_header_flags, 0x10003);
	assert_int_equal(f->out.load_start, 0x100000);
	assert_int_equal(f->out.load_end, 0x102000);
	assert_ram_is(f, 0x100000, f->img, 0x600);
	assert_int_equal(r32(f->ram + 0x100040), MB_MAGIC);
	assert_ram_filled(f, 0x100600, 0, 0x1a00);
	assert_int_equal(f->ram[0x102000], FILL);
	assert_int_equal(f->ram[0xfffff], FILL);
}

static void test_loader_multiboot_aout_to_end_of_file_no_bss(void **state)
{
	struct fixture *f = *state;
	size_t size = build_aout(f, 0, 0);

	assert_int_equal(load(f, size), 0);
	assert_int_equal(f->out.load_end, 0x100800);
	assert_ram_is(f, 0x100000, f->img, 0x800);
	assert_int_equal(f->ram[0x100800], FILL);
}

/* The text starts before the header in the file: header_addr - load_addr. */
static void test_loader_multiboot_aout_text_offset(void **state)
{
	struct fixture *f = *state;

	fill_pattern(f->img, 0x800, 23);
	put_mb_aout(f->img + 0x200, 0, 0x200100, 0x200000, 0, 0, 0x200000);
	assert_int_equal(load(f, 0x800), 0);
	assert_int_equal(f->out.load_start, 0x200000);
	assert_int_equal(f->out.load_end, 0x200700);
	assert_ram_is(f, 0x200000, f->img + 0x100, 0x700);
}

static void test_loader_multiboot_aout_errors(void **state)
{
	struct fixture *f = *state;
	size_t size = build_aout(f, 0x100900, 0);

	expect_reject(f, size, "truncated multiboot image: [load_addr 0x100000, load_end_addr "
		      "0x100900) needs file bytes [0x0, 0x900), file size 0x800");
	build_aout(f, 0x100600, 0x100500);
	expect_reject_exact(f, size, "multiboot bss_end_addr 0x100500 is below the end of the "
			    "loaded image 0x100600");
	build_aout(f, 0xff000, 0);
	expect_reject_exact(f, size, "multiboot load_end_addr 0xff000 is below load_addr 0x100000");
	put_mb_aout(f->img + 0x40, 0, 0x100040, 0x100000, 0, 0, 0x100800);
	expect_reject_exact(f, size, "entry point 0x100800 is not inside any loaded segment");
	put_mb_aout(f->img + 0x40, 0, 0x100040, 0x0fff00, 0, 0, 0x100040);
	expect_reject(f, size, "multiboot load_addr 0xfff00 lies 0x140 bytes before header_addr");
	put_mb_aout(f->img + 0x40, 0, 0x100040, 0x100080, 0, 0, 0x100080);
	expect_reject(f, size, "multiboot header_addr 0x100040 is below load_addr 0x100080");
	put_mb_aout(f->img + 0x40, 0, 0x6fff40, 0x6fff00, 0, 0, 0x6fff00);
	expect_reject_exact(f, size, "multiboot a.out image [0x6fff00, 0x700700) does not fit "
			    "below reserved_base 0x700000");
	/* Kludge fields past the 8 KiB. */
	memset(f->img, 0, IMG_MAX);
	put_mb_header(f->img + 8192 - 12, 1u << 16);
	expect_reject(f, 0x3000, "sets the a.out kludge (flag 16) but its address fields are "
		      "not within the first 8 KiB");
	/* A header without the kludge in a file that is not ELF. */
	put_mb_header(f->img + 8192 - 12, 0);
	expect_reject_exact(f, 0x3000, "multiboot header at offset 0x1ff4 has no a.out kludge "
			    "(flag 16) and the file is not ELF32");
}

/* ---- multiboot information ---- */

#define MBI_LO 0x1000
#define MBI_HI 0xA0000

struct mmap_want {
	uint64_t base, length;
	uint32_t type;
};

static void assert_mmap(const uint8_t *ram, uint32_t addr, uint32_t length,
			const struct mmap_want *want, unsigned n)
{
	unsigned i;

	assert_int_equal(length, n * 24);
	for (i = 0; i < n; i++) {
		const uint8_t *e = ram + addr + 24 * i;

		assert_int_equal(r32(e), 20);
		assert_int_equal(r64(e + 4), want[i].base);
		assert_int_equal(r64(e + 12), want[i].length);
		assert_int_equal(r32(e + 20), want[i].type);
	}
}

static void test_loader_mbi_fields_and_cmdline(void **state)
{
	struct fixture *f = *state;
	const struct mmap_want want[5] = {
		{ 0, 0x9FC00, 1 },
		{ 0x9FC00, 0x400, 2 },
		{ 0xF0000, 0x10000, 2 },
		{ 0x100000, LIMIT - 0x100000, 1 },
		{ LIMIT, RAM_SIZE - LIMIT, 2 },
	};
	size_t size = build_mb_elf32(f, 0x3);
	uint32_t mbi = 0;
	const uint8_t *m;

	assert_int_equal(load(f, size), 0);
	assert_int_equal(loader_build_multiboot_info(f->ram, RAM_SIZE, LIMIT, &f->out,
						     "console=ttyS0 quiet", NULL, 0, &mbi,
						     f->err, sizeof(f->err)), 0);
	assert_int_equal(mbi, 0x9000);
	m = f->ram + mbi;
	assert_int_equal(r32(m + 0), 0x4d);           /* MEM | CMDLINE | MODS | MMAP */
	assert_int_equal(r32(m + 4), 640);
	assert_int_equal(r32(m + 8), (LIMIT - 0x100000) / 1024);
	assert_int_equal(r32(m + 12), 0);             /* boot_device: not set */
	assert_int_equal(r32(m + 20), 0);             /* mods_count */
	assert_in_range(r32(m + 16), 0x9000, 0x9fff);
	assert_string_equal((const char *)f->ram + r32(m + 16), "console=ttyS0 quiet");
	assert_mmap(f->ram, r32(m + 48), r32(m + 44), want, 5);
	/* The syms, drives, config, loader name, APM, VBE, framebuffer fields are zero. */
	assert_int_equal(r32(m + 28), 0);
	assert_int_equal(r32(m + 52), 0);
	assert_int_equal(r32(m + 64), 0);
	assert_int_equal(r64(m + 88), 0);
	/* The image is intact. */
	assert_ram_is(f, 0x100000, f->img + 0x1000, 0x200);
}

/* No reserved area above reserved_base: the empty mmap entry is left out; a NULL
 * command line is an empty string. */
static void test_loader_mbi_reserved_base_at_ram_end(void **state)
{
	struct fixture *f = *state;
	const struct mmap_want want[4] = {
		{ 0, 0x9FC00, 1 },
		{ 0x9FC00, 0x400, 2 },
		{ 0xF0000, 0x10000, 2 },
		{ 0x100000, RAM_SIZE - 0x100000, 1 },
	};
	struct loader_image img = { LOADER_MULTIBOOT, 0x100000, 0x100000, 0x101000, 0 };
	uint32_t mbi = 0;

	assert_int_equal(loader_build_multiboot_info(f->ram, RAM_SIZE, RAM_SIZE, &img, NULL,
						     NULL, 0, &mbi, f->err, sizeof(f->err)), 0);
	assert_int_equal(r32(f->ram + mbi + 8), (RAM_SIZE - 0x100000) / 1024);
	assert_string_equal((const char *)f->ram + r32(f->ram + mbi + 16), "");
	assert_mmap(f->ram, r32(f->ram + mbi + 48), r32(f->ram + mbi + 44), want, 4);
}

/* mem_upper stops at 4 GiB whatever reserved_base is (the RAM buffer itself is only
 * touched below 1 MiB here). */
static void test_loader_mbi_mem_upper_capped_at_4g(void **state)
{
	struct fixture *f = *state;
	struct loader_image img = { LOADER_MULTIBOOT, 0x100000, 0x100000, 0x101000, 0 };
	uint32_t mbi = 0;

	assert_int_equal(loader_build_multiboot_info(f->ram, 0x200000000ull, 0x180000000ull,
						     &img, "", NULL, 0, &mbi, f->err,
						     sizeof(f->err)), 0);
	assert_int_equal(r32(f->ram + mbi + 8), (0x100000000ull - 0x100000) / 1024);
	assert_int_equal(r64(f->ram + r32(f->ram + mbi + 48) + 24 * 3 + 12),
			 0x180000000ull - 0x100000);
}

static void test_loader_mbi_modules(void **state)
{
	struct fixture *f = *state;
	static const uint8_t initrd[5000] = { 1, 2, 3 };
	static const uint8_t second[] = "second module";
	const struct loader_module mods[3] = {
		{ initrd, sizeof(initrd), "initrd.img" },
		{ second, sizeof(second), "/boot/second arg=1" },
		{ NULL, 0, NULL },
	};
	size_t size = build_mb_elf32(f, 0x3);   /* load_end 0x105000 */
	uint32_t mbi = 0, mods_addr;
	const uint8_t *m;

	assert_int_equal(load(f, size), 0);
	memcpy(f->snapshot, f->ram, RAM_SIZE);
	assert_int_equal(loader_build_multiboot_info(f->ram, RAM_SIZE, LIMIT, &f->out, "x",
						     mods, 3, &mbi, f->err, sizeof(f->err)), 0);
	assert_int_equal(r32(f->ram + mbi + 20), 3);
	mods_addr = r32(f->ram + mbi + 24);
	assert_in_range(mods_addr, mbi, 0x9fff);
	m = f->ram + mods_addr;
	/* Module 0 at the first page at or after load_end; 1 on the next page after it. */
	assert_int_equal(r32(m + 0), 0x105000);
	assert_int_equal(r32(m + 4), 0x105000 + sizeof(initrd));
	assert_string_equal((const char *)f->ram + r32(m + 8), "initrd.img");
	assert_int_equal(r32(m + 12), 0);
	assert_int_equal(r32(m + 16), 0x107000);
	assert_int_equal(r32(m + 20), 0x107000 + sizeof(second));
	assert_string_equal((const char *)f->ram + r32(m + 24), "/boot/second arg=1");
	/* An empty module sits at the next page boundary, with an empty name. */
	assert_int_equal(r32(m + 32), 0x108000);
	assert_int_equal(r32(m + 36), 0x108000);
	assert_string_equal((const char *)f->ram + r32(m + 40), "");
	assert_ram_is(f, 0x105000, initrd, sizeof(initrd));
	assert_ram_is(f, 0x107000, second, sizeof(second));
	/* Nothing between or after the modules was touched. */
	assert_memory_equal(f->ram + 0x105000 + sizeof(initrd),
			    f->snapshot + 0x105000 + sizeof(initrd), 0x2000 - sizeof(initrd));
	assert_memory_equal(f->ram + 0x107000 + sizeof(second),
			    f->snapshot + 0x107000 + sizeof(second), LIMIT - 0x107000 - sizeof(second));
	assert_ram_is(f, 0x100000, f->img + 0x1000, 0x200);
}

static void test_loader_mbi_modules_dont_fit(void **state)
{
	struct fixture *f = *state;
	uint8_t *big = calloc(1, 0x600000);
	const struct loader_module mods[2] = {
		{ (const uint8_t *)"tiny", 4, "a" },
		{ big, 0x600000, "big.bin" },
	};
	size_t size = build_mb_elf32(f, 0x3);
	uint32_t mbi = 0xdead;

	assert_non_null(big);
	assert_int_equal(load(f, size), 0);
	memcpy(f->snapshot, f->ram, RAM_SIZE);
	/* Module 1 would be [0x106000, 0x706000): past reserved_base 0x700000. */
	assert_int_equal(loader_build_multiboot_info(f->ram, RAM_SIZE, LIMIT, &f->out, "",
						     mods, 2, &mbi, f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, "module 1 (big.bin, 0x600000 bytes) at 0x106000 does not fit "
			    "below reserved_base 0x700000");
	assert_int_equal(mbi, 0xdead);
	assert_memory_equal(f->ram, f->snapshot, RAM_SIZE);
	/* An image ending near 2^64 leaves no room for a module (and must not wrap). */
	{
		struct loader_image far = f->out;

		far.load_end = UINT64_MAX - 10;
		assert_int_equal(loader_build_multiboot_info(f->ram, RAM_SIZE, LIMIT, &far, "",
							     mods, 1, &mbi, f->err,
							     sizeof(f->err)), -1);
		assert_non_null(strstr(f->err, "module 0 (a, 0x4 bytes)"));
	}
	/* A module with a size but no data is a caller bug, reported, not a crash. */
	{
		const struct loader_module bad = { NULL, 16, "nodata" };

		assert_int_equal(loader_build_multiboot_info(f->ram, RAM_SIZE, LIMIT, &f->out, "",
							     &bad, 1, &mbi, f->err,
							     sizeof(f->err)), -1);
		assert_string_equal(f->err, "module 0 (nodata) has 0x10 bytes but no data");
	}
	assert_memory_equal(f->ram, f->snapshot, RAM_SIZE);
	/* Exactly up to reserved_base is fine. */
	assert_int_equal(loader_build_multiboot_info(f->ram, RAM_SIZE, 0x706000, &f->out, "",
						     mods, 2, &mbi, f->err, sizeof(f->err)), 0);
	free(big);
}

/* An image in conventional memory covering 0x9000: the block goes elsewhere,
 * page aligned, clear of the image. */
static void test_loader_mbi_avoids_low_image(void **state)
{
	struct fixture *f = *state;
	size_t size;
	uint32_t mbi = 0;

	fill_pattern(f->img, 0x800, 21);
	put_mb_aout(f->img + 0x40, 0x3, 0x2040, 0x2000, 0, 0xA000, 0x2060);
	size = 0x800;
	assert_int_equal(load(f, size), 0);
	assert_int_equal(f->out.load_end, 0xA000);
	memcpy(f->snapshot, f->ram, RAM_SIZE);
	assert_int_equal(loader_build_multiboot_info(f->ram, RAM_SIZE, LIMIT, &f->out, "hi",
						     NULL, 0, &mbi, f->err, sizeof(f->err)), 0);
	assert_int_equal(mbi, 0x1000);    /* [0x1000, 0x2000) is the only gap below */
	assert_memory_equal(f->ram + 0x2000, f->snapshot + 0x2000, 0x8000);
	assert_string_equal((const char *)f->ram + r32(f->ram + mbi + 16), "hi");
}

/* A module placed in conventional memory over 0x9000 pushes the block aside. */
static void test_loader_mbi_avoids_low_module(void **state)
{
	struct fixture *f = *state;
	struct loader_image img = { LOADER_MULTIBOOT, 0x2000, 0x2000, 0x8800, 0 };
	static const uint8_t data[0x2000] = { 9, 8, 7 };
	const struct loader_module mod = { data, sizeof(data), "low" };
	uint32_t mbi = 0;

	assert_int_equal(loader_build_multiboot_info(f->ram, RAM_SIZE, LIMIT, &img, "", &mod, 1,
						     &mbi, f->err, sizeof(f->err)), 0);
	assert_int_equal(r32(f->ram + r32(f->ram + mbi + 24)), 0x9000);
	assert_ram_is(f, 0x9000, data, sizeof(data));
	assert_int_equal(mbi, 0x1000);
}

static void test_loader_mbi_bad_reserved_base(void **state)
{
	struct fixture *f = *state;
	struct loader_image img = { LOADER_MULTIBOOT, 0x100000, 0x100000, 0x101000, 0 };
	uint32_t mbi = 0;

	memcpy(f->snapshot, f->ram, RAM_SIZE);
	assert_int_equal(loader_build_multiboot_info(f->ram, RAM_SIZE, 0x80000, &img, "", NULL, 0,
						     &mbi, f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, "reserved_base 0x80000 must lie in [1 MiB, RAM size 0x800000] "
			    "for a multiboot machine");
	assert_int_equal(loader_build_multiboot_info(f->ram, RAM_SIZE, RAM_SIZE + 1, &img, "",
						     NULL, 0, &mbi, f->err, sizeof(f->err)), -1);
	assert_memory_equal(f->ram, f->snapshot, RAM_SIZE);
}

static void test_loader_mbi_no_room_in_low_memory(void **state)
{
	struct fixture *f = *state;
	struct loader_image img = { LOADER_MULTIBOOT, 0x1000, 0x800, 0x9FB00, 0 };
	uint32_t mbi = 0;

	memcpy(f->snapshot, f->ram, RAM_SIZE);
	assert_int_equal(loader_build_multiboot_info(f->ram, RAM_SIZE, LIMIT, &img, "",
						     NULL, 0, &mbi, f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, "no room for the multiboot information (0xed bytes) in "
			    "[0x1000, 0x9fc00): the image occupies [0x800, 0x9fb00)");
	assert_memory_equal(f->ram, f->snapshot, RAM_SIZE);
}

static void test_loader_mbi_cmdline_too_long(void **state)
{
	struct fixture *f = *state;
	struct loader_image img = { LOADER_MULTIBOOT, 0x100000, 0x100000, 0x101000, 0 };
	char *cmdline = malloc(0xA0000);
	uint32_t mbi = 0;

	assert_non_null(cmdline);
	memset(cmdline, 'a', 0xA0000 - 1);
	cmdline[0xA0000 - 1] = '\0';
	memcpy(f->snapshot, f->ram, RAM_SIZE);
	assert_int_equal(loader_build_multiboot_info(f->ram, RAM_SIZE, LIMIT, &img, cmdline,
						     NULL, 0, &mbi, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "does not fit in [0x1000, 0x9fc00)"));
	assert_memory_equal(f->ram, f->snapshot, RAM_SIZE);
	free(cmdline);
}

/* A module that would cross the EBDA/VGA/BIOS hole moves up to 1 MiB; the block
 * stays clear of both. */
static void test_loader_mbi_module_skips_low_hole(void **state)
{
	struct fixture *f = *state;
	struct loader_image img = { LOADER_MULTIBOOT, 0x2000, 0x2000, 0x3000, 0 };
	static const uint8_t small[0x1000] = { 0x42 };
	uint8_t *big = calloc(1, 0x9d000);
	uint32_t mbi = 0;
	const uint8_t *m;

	assert_non_null(big);
	big[0] = 0x77;
	const struct loader_module mods[2] = {
		{ small, sizeof(small), "m0" },   /* [0x3000, 0x4000) */
		{ big, 0x9d000, "m1" },           /* [0x4000, 0xA1000) would cross the hole */
	};

	assert_int_equal(loader_build_multiboot_info(f->ram, RAM_SIZE, LIMIT, &img, "", mods, 2,
						     &mbi, f->err, sizeof(f->err)), 0);
	m = f->ram + r32(f->ram + mbi + 24);
	assert_int_equal(r32(m + 0), 0x3000);
	assert_int_equal(r32(m + 16), 0x100000);
	assert_int_equal(r32(m + 20), 0x19d000);
	assert_int_equal(f->ram[0x100000], 0x77);
	assert_int_equal(mbi, 0x9000);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_loader_elf64_valid),
		T(test_loader_elf64_bss_zeroed),
		T(test_loader_elf64_segment_ending_at_limit),
		T(test_loader_window),
		T(test_loader_elf64_with_multiboot_header_is_elf64),
		T(test_loader_pie_rejected),
		T(test_loader_elf_relocatable_rejected),
		T(test_loader_wrong_machine),
		T(test_loader_big_endian_rejected),
		T(test_loader_bad_class_rejected),
		T(test_loader_elf32_without_multiboot_rejected),
		T(test_loader_not_an_image),
		T(test_loader_truncated_header),
		T(test_loader_phdr_outside_file),
		T(test_loader_segment_outside_file),
		T(test_loader_segment_over_limit),
		T(test_loader_overflow_crafted_sizes),
		T(test_loader_filesz_larger_than_memsz),
		T(test_loader_zero_segments),
		T(test_loader_entry_outside_segments),
		T(test_loader_overlapping_segments),
		T(test_loader_segments_at_same_address_overlap),
		T(test_loader_empty_segment_ignored),
		T(test_loader_multiboot_elf32),
		T(test_loader_multiboot_elf32_video_flag_ignored),
		T(test_loader_multiboot_elf32_higher_half_entry),
		T(test_loader_multiboot_elf32_entry_outside),
		T(test_loader_multiboot_elf32_above_4g),
		T(test_loader_multiboot_elf32_wrong_machine),
		T(test_loader_multiboot_elf32_segment_over_limit),
		T(test_loader_multiboot_unsupported_flag),
		T(test_loader_multiboot_bad_checksum),
		T(test_loader_multiboot_skips_bad_checksum),
		T(test_loader_multiboot_header_beyond_8k),
		T(test_loader_multiboot_aout_kludge),
		T(test_loader_multiboot_aout_to_end_of_file_no_bss),
		T(test_loader_multiboot_aout_text_offset),
		T(test_loader_multiboot_aout_errors),
		T(test_loader_mbi_fields_and_cmdline),
		T(test_loader_mbi_reserved_base_at_ram_end),
		T(test_loader_mbi_mem_upper_capped_at_4g),
		T(test_loader_mbi_modules),
		T(test_loader_mbi_modules_dont_fit),
		T(test_loader_mbi_avoids_low_image),
		T(test_loader_mbi_avoids_low_module),
		T(test_loader_mbi_bad_reserved_base),
		T(test_loader_mbi_no_room_in_low_memory),
		T(test_loader_mbi_cmdline_too_long),
		T(test_loader_mbi_module_skips_low_hole),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
