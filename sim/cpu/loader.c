/* Image loader: ELF64 x86-64 executables and Multiboot v1 images (ELF32 or the
 * a.out kludge), and the Multiboot v1 information structure.
 *
 * Everything here works in two phases: a plan is built and checked against the
 * file and against RAM, and only a plan that passed every check is written.
 * That is what lets loader.h promise that a rejected image leaves RAM untouched.
 *
 * The file is untrusted input (it is fuzzed): every field is read byte by byte
 * (no alignment or host-endianness assumptions), and every sum of two file-supplied
 * numbers goes through a check that cannot itself overflow.
 */
#include "sim/cpu/loader.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- ELF constants (the few we need; <elf.h> is not on every host) ---- */

#define ELF_MAGIC_SIZE  4
#define EI_CLASS        4
#define EI_DATA         5
#define ELFCLASS32      1
#define ELFCLASS64      2
#define ELFDATA2LSB     1
#define ET_EXEC         2
#define ET_DYN          3
#define EM_386          3
#define EM_X86_64       62
#define PT_LOAD         1
#define PN_XNUM         0xffff

#define ELF32_EHDR_SIZE 52
#define ELF64_EHDR_SIZE 64
#define ELF32_PHDR_SIZE 32
#define ELF64_PHDR_SIZE 56
#define ELF_PHDRS_MAX   65536u /* bytes of program headers read, as Linux's loader */

/* ---- Multiboot v1 constants (Multiboot Specification 0.6.96) ---- */

#define MB_HEADER_MAGIC      0x1BADB002u
#define MB_SEARCH_LIMIT      8192  /* the header lies wholly in the first 8 KiB */
#define MB_HEADER_MIN_SIZE   12    /* magic, flags, checksum */
#define MB_HEADER_AOUT_SIZE  32    /* ... header_addr .. entry_addr */

/* Header flags 0-15 are requirements: the image cannot boot without them. */
#define MB_FLAG_PAGE_ALIGN   (1u << 0)   /* modules page aligned: we always do */
#define MB_FLAG_MEMORY_INFO  (1u << 1)   /* mem_* and mmap_*: we always do */
#define MB_FLAG_VIDEO_MODE   (1u << 2)   /* no display here: ignored, as QEMU does */
#define MB_FLAG_AOUT_KLUDGE  (1u << 16)  /* load by the header's address fields */
#define MB_FLAGS_REQUIRED    0xffffu
#define MB_FLAGS_HONOURED    (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | MB_FLAG_VIDEO_MODE)

/* Multiboot information flags we set. */
#define MBI_FLAG_MEM      (1u << 0)
#define MBI_FLAG_CMDLINE  (1u << 2)
#define MBI_FLAG_MODS     (1u << 3)
#define MBI_FLAG_MMAP     (1u << 6)

/* struct multiboot_info: byte offsets of the fields we fill, and its full size
 * (through the framebuffer fields, which we leave zero). */
#define MBI_FLAGS         0
#define MBI_MEM_LOWER     4
#define MBI_MEM_UPPER     8
#define MBI_BOOT_DEVICE   12
#define MBI_CMDLINE       16
#define MBI_MODS_COUNT    20
#define MBI_MODS_ADDR     24
#define MBI_MMAP_LENGTH   44
#define MBI_MMAP_ADDR     48
#define MBI_SIZE          116

#define MB_MODULE_SIZE    16   /* mod_start, mod_end, string, reserved */
#define MB_MMAP_ENTRY     24   /* size (=20, not counting itself), base, length, type */
#define MB_MMAP_TYPE_RAM      1
#define MB_MMAP_TYPE_RESERVED 2

/* The PC low-memory map the multiboot memory map describes. */
#define LOW_RAM_END       0x9FC00ull   /* conventional RAM; the EBDA follows */
#define VGA_HOLE          0xA0000ull
#define BIOS_AREA         0xF0000ull
#define ONE_MIB           0x100000ull
#define FOUR_GIB          0x100000000ull
#define PAGE_SIZE         0x1000ull
#define MBI_PREFERRED     0x9000ull
/* The block goes in conventional RAM, never in page 0, and not in the EBDA
 * (which the memory map calls reserved, so a kernel would not expect data there). */
#define MBI_AREA_START    PAGE_SIZE
#define MBI_AREA_END      LOW_RAM_END

/* ---- small helpers ---- */

/* Formats a one-line error into err (if there is room) and returns -1. */
static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)v);
	wr32(p + 4, (uint32_t)(v >> 32));
}

/* True if [off, off + len) lies inside [0, size); cannot overflow. */
static bool range_in(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* *sum = a + b, false if that wraps around 2^64. */
static bool add_ok(uint64_t a, uint64_t b, uint64_t *sum)
{
	if (b > UINT64_MAX - a)
		return false;
	*sum = a + b;
	return true;
}

/* Next multiple of PAGE_SIZE at or above v, false if there is none. */
static bool page_align_up(uint64_t v, uint64_t *out)
{
	uint64_t t;

	if (!add_ok(v, PAGE_SIZE - 1, &t))
		return false;
	*out = t & ~(PAGE_SIZE - 1);
	return true;
}

static bool ranges_overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 < b1 && b0 < a1;
}

/* ---- the load plan ---- */

/* One piece of the image: file bytes [offset, offset + filesz) go to physical
 * [paddr, paddr + filesz), then zeros up to paddr + memsz. */
struct segment {
	unsigned index;     /* program header number, for messages */
	uint64_t offset;
	uint64_t filesz;
	uint64_t paddr;
	uint64_t vaddr;
	uint64_t memsz;
};

struct plan {
	enum loader_kind kind;
	uint32_t mb_flags;
	uint64_t entry;
	struct segment *segs;   /* malloc'ed for ELF, &single for the a.out kludge */
	unsigned nsegs;
	struct segment single;
	uint64_t max_end;       /* segments must end at or below this (limit, or 4 GiB) */
	bool elf32;             /* an ELF32 without a multiboot header is taken (as LOADER_ELF32) */
};

static void plan_free(struct plan *p)
{
	if (p->segs != &p->single)
		free(p->segs);
	p->segs = NULL;
}

/* ---- ELF headers ---- */

/* The fields of an ELF32 or ELF64 file header that the loader uses. */
struct elf_header {
	unsigned cls;           /* ELFCLASS32 or ELFCLASS64 */
	uint16_t type;
	uint16_t machine;
	uint64_t entry;
	uint64_t phoff;
	uint16_t phentsize;
	uint16_t phnum;
};

static bool is_elf(const uint8_t *data, size_t size)
{
	return size >= ELF_MAGIC_SIZE && memcmp(data, "\x7f" "ELF", ELF_MAGIC_SIZE) == 0;
}

static const char *elf_machine_name(uint16_t m)
{
	switch (m) {
	case 2: return "SPARC";
	case EM_386: return "i386";
	case 8: return "MIPS";
	case 20: return "PowerPC";
	case 21: return "PowerPC64";
	case 22: return "S390";
	case 40: return "ARM";
	case 43: return "SPARC V9";
	case 50: return "IA-64";
	case EM_X86_64: return "x86-64";
	case 183: return "AArch64";
	case 243: return "RISC-V";
	case 258: return "LoongArch";
	default: return NULL;
	}
}

static const char *elf_type_name(uint16_t t)
{
	switch (t) {
	case 0: return "ET_NONE";
	case 1: return "ET_REL (object file)";
	case 4: return "ET_CORE (core dump)";
	default: return "unknown";
	}
}

/* Reads the class-dependent file header; checks only that it is in the file, of a
 * known class and little-endian. The caller decides what machine/type it accepts. */
static int elf_read_header(const uint8_t *data, size_t size, struct elf_header *h,
			   char *err, size_t errlen)
{
	size_t need;

	if (size <= EI_DATA)
		return fail(err, errlen, "truncated ELF: file size 0x%zx is smaller than e_ident",
			    size);
	h->cls = data[EI_CLASS];
	if (h->cls != ELFCLASS32 && h->cls != ELFCLASS64)
		return fail(err, errlen, "ELF class %u, expected ELFCLASS64 (2) or a multiboot "
			    "ELFCLASS32 (1)", h->cls);
	if (data[EI_DATA] != ELFDATA2LSB)
		return fail(err, errlen, "ELF data encoding %u%s, expected little-endian (1)",
			    data[EI_DATA], data[EI_DATA] == 2 ? " (big-endian)" : "");
	need = h->cls == ELFCLASS64 ? ELF64_EHDR_SIZE : ELF32_EHDR_SIZE;
	if (size < need)
		return fail(err, errlen, "truncated ELF: file size 0x%zx is smaller than the "
			    "ELF%s header (0x%zx bytes)", size,
			    h->cls == ELFCLASS64 ? "64" : "32", need);
	h->type = rd16(data + 16);
	h->machine = rd16(data + 18);
	if (h->cls == ELFCLASS64) {
		h->entry = rd64(data + 24);
		h->phoff = rd64(data + 32);
		h->phentsize = rd16(data + 54);
		h->phnum = rd16(data + 56);
	} else {
		h->entry = rd32(data + 24);
		h->phoff = rd32(data + 28);
		h->phentsize = rd16(data + 42);
		h->phnum = rd16(data + 44);
	}
	return 0;
}

static int elf_check_machine(const struct elf_header *h, uint16_t want, char *err,
			     size_t errlen)
{
	const char *found = elf_machine_name(h->machine);

	if (h->machine == want)
		return 0;
	if (found)
		return fail(err, errlen, "ELF machine %u (%s), expected %s (%u)", h->machine,
			    found, elf_machine_name(want), want);
	return fail(err, errlen, "ELF machine %u, expected %s (%u)", h->machine,
		    elf_machine_name(want), want);
}

/* Only fixed-address executables: nothing here relocates. */
static int elf_check_type(const struct elf_header *h, char *err, size_t errlen)
{
	if (h->type == ET_EXEC)
		return 0;
	if (h->type == ET_DYN)
		return fail(err, errlen, "ELF type ET_DYN (PIE or shared object) is not supported: "
			    "link a static, non-PIE executable (ET_EXEC, e.g. -static -no-pie)");
	return fail(err, errlen, "ELF type %u (%s), expected an executable (ET_EXEC, 2)",
		    h->type, elf_type_name(h->type));
}

/* Reads program header i into *s (PT_LOAD or not: returns its p_type). The header
 * itself must lie inside the file. */
static int elf_read_phdr(const uint8_t *data, size_t size, const struct elf_header *h,
			 unsigned i, uint32_t *type, struct segment *s, char *err,
			 size_t errlen)
{
	unsigned phsize = h->cls == ELFCLASS64 ? ELF64_PHDR_SIZE : ELF32_PHDR_SIZE;
	uint64_t off;
	const uint8_t *p;

	/* i * phentsize < 2^32, so only the addition to phoff can wrap (it cannot once
	 * header 0 was found inside the file, but this must not rely on the order). */
	if (!add_ok(h->phoff, (uint64_t)i * h->phentsize, &off))
		return fail(err, errlen, "truncated ELF: program header %u lies outside the file "
			    "(e_phoff 0x%" PRIx64 " wraps around)", i, h->phoff);
	if (!range_in(off, phsize, size))
		return fail(err, errlen, "truncated ELF: program header %u lies outside the file "
			    "(offset 0x%" PRIx64 ", file size 0x%zx)", i, off, size);
	p = data + off;
	s->index = i;
	*type = rd32(p);
	if (h->cls == ELFCLASS64) {
		s->offset = rd64(p + 8);
		s->vaddr = rd64(p + 16);
		s->paddr = rd64(p + 24);
		s->filesz = rd64(p + 32);
		s->memsz = rd64(p + 40);
	} else {
		s->offset = rd32(p + 4);
		s->vaddr = rd32(p + 8);
		s->paddr = rd32(p + 12);
		s->filesz = rd32(p + 16);
		s->memsz = rd32(p + 20);
	}
	return 0;
}

/* Collects the PT_LOAD segments into p->segs (allocated here). */
static int elf_collect_segments(const uint8_t *data, size_t size,
				const struct elf_header *h, struct plan *p, char *err,
				size_t errlen)
{
	unsigned phsize = h->cls == ELFCLASS64 ? ELF64_PHDR_SIZE : ELF32_PHDR_SIZE;
	struct segment s;
	uint32_t type;
	unsigned i, n = 0;

	if (h->phnum == PN_XNUM)
		return fail(err, errlen, "ELF uses extended program header numbering "
			    "(e_phnum 0xffff), not supported");
	if (h->phnum && h->phentsize < phsize)
		return fail(err, errlen, "ELF e_phentsize %u is smaller than a program header "
			    "(%u bytes)", h->phentsize, phsize);
	/* Linux's ELF loader reads at most 64 KiB of program headers; more is no
	 * executable anyone builds, and each one costs a pass here. */
	if ((size_t)h->phnum * h->phentsize > ELF_PHDRS_MAX)
		return fail(err, errlen, "ELF has %u program headers of %u bytes, more than "
			    "the %u bytes of them a loader reads", h->phnum, h->phentsize,
			    ELF_PHDRS_MAX);
	/* First pass: every header readable, and how many are PT_LOAD. */
	for (i = 0; i < h->phnum; i++) {
		if (elf_read_phdr(data, size, h, i, &type, &s, err, errlen))
			return -1;
		n += type == PT_LOAD;
	}
	if (n == 0)
		return fail(err, errlen, "ELF has no PT_LOAD segments (e_phnum %u): nothing to load",
			    h->phnum);
	p->segs = calloc(n, sizeof(*p->segs));
	if (!p->segs)
		return fail(err, errlen, "out of memory for %u segments", n);
	for (i = 0; i < h->phnum; i++) {
		elf_read_phdr(data, size, h, i, &type, &s, err, errlen);
		if (type == PT_LOAD)
			p->segs[p->nsegs++] = s;
	}
	return 0;
}

/* ---- Multiboot header ---- */

struct mb_header {
	size_t offset;          /* of the magic in the file */
	uint32_t flags;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

enum mb_search { MB_NONE, MB_FOUND, MB_BAD_CHECKSUM };

/* Finds the first valid header (magic, 4-byte aligned, wholly in the first 8 KiB,
 * checksum right). Like other multiboot loaders, a magic with a wrong checksum is
 * skipped, not fatal; it is reported (first one, in *bad_*) if nothing valid is found. */
static enum mb_search mb_find_header(const uint8_t *data, size_t size, struct mb_header *mb,
				     size_t *bad_off, uint32_t *bad_sum)
{
	size_t end = size < MB_SEARCH_LIMIT ? size : MB_SEARCH_LIMIT;
	enum mb_search res = MB_NONE;
	size_t off;

	memset(mb, 0, sizeof(*mb));
	for (off = 0; off + MB_HEADER_MIN_SIZE <= end; off += 4) {
		uint32_t magic = rd32(data + off), flags, sum;

		if (magic != MB_HEADER_MAGIC)
			continue;
		flags = rd32(data + off + 4);
		sum = magic + flags + rd32(data + off + 8);
		if (sum != 0) {
			if (res == MB_NONE) {
				*bad_off = off;
				*bad_sum = sum;
				res = MB_BAD_CHECKSUM;
			}
			continue;
		}
		mb->offset = off;
		mb->flags = flags;
		/* The address fields exist only if the kludge flag says so; they must
		 * then be inside the 8 KiB too, which the caller checks. */
		if (off + MB_HEADER_AOUT_SIZE <= end) {
			mb->header_addr = rd32(data + off + 12);
			mb->load_addr = rd32(data + off + 16);
			mb->load_end_addr = rd32(data + off + 20);
			mb->bss_end_addr = rd32(data + off + 24);
			mb->entry_addr = rd32(data + off + 28);
		}
		return MB_FOUND;
	}
	return res;
}

/* Bits 0-15 are requirements; refuse an image that needs something we lack. */
static int mb_check_flags(const struct mb_header *mb, char *err, size_t errlen)
{
	uint32_t missing = mb->flags & MB_FLAGS_REQUIRED & ~MB_FLAGS_HONOURED;
	unsigned bit = 0;

	if (!missing)
		return 0;
	while (!(missing & (1u << bit)))
		bit++;
	return fail(err, errlen, "multiboot header flags 0x%08" PRIx32 " require feature bit %u, "
		    "which this loader does not provide (only bits 0, 1 and 2)", mb->flags, bit);
}

/* The a.out kludge: the header says where the file goes. The byte at the header's
 * file offset lands at header_addr, so the load starts (header_addr - load_addr)
 * bytes before it in the file. */
static int mb_plan_aout(size_t size, const struct mb_header *mb, struct plan *p, char *err,
			size_t errlen)
{
	size_t end8k = size < MB_SEARCH_LIMIT ? size : MB_SEARCH_LIMIT;
	struct segment *s = &p->single;
	uint64_t text_off, load_size, mem_size;

	if (mb->offset + MB_HEADER_AOUT_SIZE > end8k)
		return fail(err, errlen, "multiboot header at offset 0x%zx sets the a.out kludge "
			    "(flag 16) but its address fields are not within the first 8 KiB "
			    "of the file (file size 0x%zx)", mb->offset, size);
	if (mb->header_addr < mb->load_addr)
		return fail(err, errlen, "multiboot header_addr 0x%" PRIx32 " is below load_addr "
			    "0x%" PRIx32, mb->header_addr, mb->load_addr);
	if (mb->header_addr - mb->load_addr > mb->offset)
		return fail(err, errlen, "multiboot load_addr 0x%" PRIx32 " lies 0x%" PRIx32
			    " bytes before header_addr 0x%" PRIx32 ", but the header is at file "
			    "offset 0x%zx", mb->load_addr, mb->header_addr - mb->load_addr,
			    mb->header_addr, mb->offset);
	text_off = mb->offset - (mb->header_addr - mb->load_addr);
	if (mb->load_end_addr == 0) {
		load_size = size - text_off;          /* to the end of the file */
	} else {
		if (mb->load_end_addr < mb->load_addr)
			return fail(err, errlen, "multiboot load_end_addr 0x%" PRIx32 " is below "
				    "load_addr 0x%" PRIx32, mb->load_end_addr, mb->load_addr);
		load_size = (uint64_t)mb->load_end_addr - mb->load_addr;
		if (!range_in(text_off, load_size, size))
			return fail(err, errlen, "truncated multiboot image: [load_addr 0x%" PRIx32
				    ", load_end_addr 0x%" PRIx32 ") needs file bytes [0x%" PRIx64
				    ", 0x%" PRIx64 "), file size 0x%zx", mb->load_addr,
				    mb->load_end_addr, text_off, text_off + load_size, size);
	}
	mem_size = load_size;
	if (mb->bss_end_addr != 0) {
		if ((uint64_t)mb->bss_end_addr < mb->load_addr + load_size)
			return fail(err, errlen, "multiboot bss_end_addr 0x%" PRIx32 " is below the "
				    "end of the loaded image 0x%" PRIx64, mb->bss_end_addr,
				    mb->load_addr + load_size);
		mem_size = (uint64_t)mb->bss_end_addr - mb->load_addr;
	}
	s->index = 0;
	s->offset = text_off;
	s->filesz = load_size;
	s->paddr = s->vaddr = mb->load_addr;
	s->memsz = mem_size;
	p->segs = s;
	p->nsegs = 1;
	p->entry = mb->entry_addr;
	return 0;
}

/* ---- checking a plan ---- */

/* How messages name a segment: by program header number (as readelf -l counts),
 * or as the one piece an a.out-kludge image is. */
static void segment_name(const struct plan *p, const struct segment *s, char *buf,
			 size_t len)
{
	if (p->kind == LOADER_MULTIBOOT && (p->mb_flags & MB_FLAG_AOUT_KLUDGE))
		snprintf(buf, len, "multiboot a.out image");
	else
		snprintf(buf, len, "segment %u", s->index);
}

static int check_segment(const struct plan *p, const struct segment *s, size_t size,
			 uint64_t base, uint64_t limit, char *err, size_t errlen)
{
	char name[32];
	uint64_t end;

	segment_name(p, s, name, sizeof(name));
	if (!range_in(s->offset, s->filesz, size))
		return fail(err, errlen, "truncated ELF: %s file bytes lie outside the file "
			    "(p_offset 0x%" PRIx64 ", p_filesz 0x%" PRIx64 ", file size 0x%zx)",
			    name, s->offset, s->filesz, size);
	if (s->filesz > s->memsz)
		return fail(err, errlen, "%s: p_filesz 0x%" PRIx64 " is larger than p_memsz 0x%"
			    PRIx64, name, s->filesz, s->memsz);
	if (!add_ok(s->paddr, s->memsz, &end))
		return fail(err, errlen, "%s: p_paddr 0x%" PRIx64 " + p_memsz 0x%" PRIx64
			    " wraps around the address space", name, s->paddr, s->memsz);
	if (s->memsz && s->paddr < base)
		return fail(err, errlen, "%s [0x%" PRIx64 ", 0x%" PRIx64 ") starts below "
			    "0x%" PRIx64 ", where the memory it may load into begins", name,
			    s->paddr, end, base);
	if (end > limit)
		return fail(err, errlen, "%s [0x%" PRIx64 ", 0x%" PRIx64 ") does not fit "
			    "below reserved_base 0x%" PRIx64, name, s->paddr, end, limit);
	if (end > p->max_end)
		return fail(err, errlen, "%s [0x%" PRIx64 ", 0x%" PRIx64 ") lies above 4 GiB, "
			    "out of reach of a 32-bit multiboot kernel", name, s->paddr, end);
	return 0;
}

static int cmp_segment_paddr(const void *a, const void *b)
{
	const struct segment *x = a, *y = b;

	if (x->paddr != y->paddr)
		return x->paddr < y->paddr ? -1 : 1;
	/* Equal starts: order by index so the result is deterministic. */
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Sorted by address, two segments overlap iff some pair of neighbours (ignoring
 * empty segments, which occupy nothing) does. Sorts p->segs in place: writing
 * order does not matter once nothing overlaps. */
static int check_overlaps(struct plan *p, char *err, size_t errlen)
{
	const struct segment *prev = NULL;
	unsigned i;

	qsort(p->segs, p->nsegs, sizeof(*p->segs), cmp_segment_paddr);
	for (i = 0; i < p->nsegs; i++) {
		const struct segment *s = &p->segs[i];

		if (s->memsz == 0)
			continue;
		if (prev && s->paddr < prev->paddr + prev->memsz) {
			const struct segment *a = prev->index < s->index ? prev : s;
			const struct segment *b = a == prev ? s : prev;

			return fail(err, errlen, "segments %u [0x%" PRIx64 ", 0x%" PRIx64 ") and %u "
				    "[0x%" PRIx64 ", 0x%" PRIx64 ") overlap", a->index, a->paddr,
				    a->paddr + a->memsz, b->index, b->paddr, b->paddr + b->memsz);
		}
		if (!prev || s->paddr + s->memsz > prev->paddr + prev->memsz)
			prev = s;
	}
	return 0;
}

static void plan_extent(const struct plan *p, uint64_t *start, uint64_t *end)
{
	unsigned i;

	*start = UINT64_MAX;
	*end = 0;
	for (i = 0; i < p->nsegs; i++) {
		const struct segment *s = &p->segs[i];

		if (s->memsz == 0)
			continue;
		if (s->paddr < *start)
			*start = s->paddr;
		if (s->paddr + s->memsz > *end)
			*end = s->paddr + s->memsz;
	}
}

/* The entry point must be an address the load wrote, or the CPU starts in
 * whatever happened to be in RAM. */
static int check_entry_physical(const struct plan *p, char *err, size_t errlen)
{
	unsigned i;

	for (i = 0; i < p->nsegs; i++) {
		const struct segment *s = &p->segs[i];

		if (p->entry >= s->paddr && p->entry - s->paddr < s->memsz)
			return 0;
	}
	return fail(err, errlen, "entry point 0x%" PRIx64 " is not inside any loaded segment",
		    p->entry);
}

/* Multiboot ELF32 kernels are often linked to run at a high virtual address and
 * loaded low (p_vaddr != p_paddr); they are entered with paging off, so e_entry
 * is translated through the segment whose virtual range contains it, as GRUB and
 * QEMU do. */
static int translate_entry_virtual(struct plan *p, char *err, size_t errlen)
{
	unsigned i;

	for (i = 0; i < p->nsegs; i++) {
		const struct segment *s = &p->segs[i];

		if (p->entry >= s->vaddr && p->entry - s->vaddr < s->memsz) {
			p->entry = p->entry - s->vaddr + s->paddr;
			return 0;
		}
	}
	return fail(err, errlen, "entry point 0x%" PRIx64 " is not inside any loaded segment",
		    p->entry);
}

/* All the checks that do not depend on the format. */
static int plan_check(struct plan *p, size_t size, uint64_t base, uint64_t limit, char *err,
		      size_t errlen)
{
	unsigned i;

	for (i = 0; i < p->nsegs; i++)
		if (check_segment(p, &p->segs[i], size, base, limit, err, errlen))
			return -1;
	return check_overlaps(p, err, errlen);
}

/* ram holds physical memory from `base` on. Empty segments may lie anywhere and
 * write nothing. */
static void plan_write(const struct plan *p, const uint8_t *data, uint8_t *ram, uint64_t base)
{
	unsigned i;

	for (i = 0; i < p->nsegs; i++) {
		const struct segment *s = &p->segs[i];

		if (s->memsz == 0)
			continue;
		memcpy(ram + (s->paddr - base), data + s->offset, (size_t)s->filesz);
		memset(ram + (s->paddr - base) + s->filesz, 0, (size_t)(s->memsz - s->filesz));
	}
}

/* ---- the three formats ---- */

/* An executable for `machine` (ELF64 x86-64; a plain ELF32 i386, in a window
 * only), entered at e_entry, a physical address. */
static int plan_elf(const uint8_t *data, size_t size, const struct elf_header *h,
		    uint16_t machine, enum loader_kind kind, struct plan *p, char *err, size_t errlen)
{
	if (elf_check_machine(h, machine, err, errlen) || elf_check_type(h, err, errlen))
		return -1;
	p->kind = kind;
	p->entry = h->entry;
	return elf_collect_segments(data, size, h, p, err, errlen);
}

/* A multiboot image: the header decides between the a.out kludge and ELF32.
 * elf is the file's ELF32 header, or NULL if the file is not ELF. */
static int plan_multiboot(const uint8_t *data, size_t size, const struct elf_header *elf,
			  struct plan *p, char *err, size_t errlen)
{
	struct mb_header mb;
	size_t bad_off = 0;
	uint32_t bad_sum = 0;

	switch (mb_find_header(data, size, &mb, &bad_off, &bad_sum)) {
	case MB_BAD_CHECKSUM:
		return fail(err, errlen, "multiboot header at offset 0x%zx has a bad checksum "
			    "(magic + flags + checksum = 0x%08" PRIx32 ", must be 0)",
			    bad_off, bad_sum);
	case MB_NONE:
		if (elf && p->elf32)
			return plan_elf(data, size, elf, EM_386, LOADER_ELF32, p, err, errlen);
		if (elf)
			return fail(err, errlen, "ELF32 file without a multiboot header in its "
				    "first 8 KiB: expected an ELF64 x86-64 executable or a "
				    "multiboot image");
		return fail(err, errlen, "not an ELF64 x86-64 executable or multiboot image "
			    "(bad magic; no multiboot header in the first 8 KiB)");
	case MB_FOUND:
		break;
	}
	if (mb_check_flags(&mb, err, errlen))
		return -1;
	p->kind = LOADER_MULTIBOOT;
	p->mb_flags = mb.flags;
	p->max_end = FOUR_GIB;
	if (mb.flags & MB_FLAG_AOUT_KLUDGE)
		return mb_plan_aout(size, &mb, p, err, errlen);
	if (!elf)
		return fail(err, errlen, "multiboot header at offset 0x%zx has no a.out kludge "
			    "(flag 16) and the file is not ELF32", mb.offset);
	if (elf_check_machine(elf, EM_386, err, errlen) || elf_check_type(elf, err, errlen))
		return -1;
	p->entry = elf->entry;
	return elf_collect_segments(data, size, elf, p, err, errlen);
}

/* Decides the format and builds its (unchecked) plan. An ELF64 file wins over a
 * multiboot header it may also carry; everything else needs the header. */
static int plan_image(const uint8_t *data, size_t size, struct plan *p, char *err,
		      size_t errlen)
{
	struct elf_header h;

	if (!is_elf(data, size))
		return plan_multiboot(data, size, NULL, p, err, errlen);
	if (elf_read_header(data, size, &h, err, errlen))
		return -1;
	if (h.cls == ELFCLASS64)
		return plan_elf(data, size, &h, EM_X86_64, LOADER_ELF64, p, err, errlen);
	return plan_multiboot(data, size, &h, p, err, errlen);
}

static int load(const uint8_t *data, size_t size, uint8_t *ram, uint64_t base, uint64_t limit,
		bool elf32, struct loader_image *out, char *err, size_t errlen);

int loader_load(const uint8_t *data, size_t size, uint8_t *ram, uint64_t limit,
		struct loader_image *out, char *err, size_t errlen)
{
	return load(data, size, ram, 0, limit, false, out, err, errlen);
}

int loader_load_window(const uint8_t *data, size_t size, uint8_t *ram, uint64_t base,
		       uint64_t limit, struct loader_image *out, char *err, size_t errlen)
{
	return load(data, size, ram, base, limit, true, out, err, errlen);
}

static int load(const uint8_t *data, size_t size, uint8_t *ram, uint64_t base, uint64_t limit,
		bool elf32, struct loader_image *out, char *err, size_t errlen)
{
	struct plan p;
	int ret = -1;

	memset(&p, 0, sizeof(p));
	p.max_end = UINT64_MAX;
	p.elf32 = elf32;
	if (err && errlen)
		err[0] = '\0';
	if (!data)
		size = 0;
	if (size < ELF_MAGIC_SIZE)
		return fail(err, errlen, "not an ELF64 x86-64 executable or multiboot image "
			    "(file of %zu bytes is too short)", size);
	if (plan_image(data, size, &p, err, errlen) || plan_check(&p, size, base, limit, err, errlen))
		goto out;
	if (p.kind == LOADER_MULTIBOOT && !(p.mb_flags & MB_FLAG_AOUT_KLUDGE)) {
		if (translate_entry_virtual(&p, err, errlen))
			goto out;
	} else if (check_entry_physical(&p, err, errlen)) {
		goto out;
	}
	plan_write(&p, data, ram, base);
	memset(out, 0, sizeof(*out));
	out->kind = p.kind;
	out->entry = p.entry;
	out->mb_header_flags = p.mb_flags;
	plan_extent(&p, &out->load_start, &out->load_end);
	ret = 0;
out:
	plan_free(&p);
	return ret;
}

/* ---- the multiboot information structure ---- */

/* Where each part of the information block goes, relative to its base. */
struct mbi_layout {
	uint64_t mmap_off, mods_off, cmdline_off, strings_off, total;
	unsigned nmmap;
};

struct mmap_entry {
	uint64_t base, length;
	uint32_t type;
};

/* The memory map of MACHINE.md's PC-like machine; empty ranges are left out. */
static unsigned mbi_memory_map(uint64_t ram_size, uint64_t reserved_base,
			       struct mmap_entry map[5])
{
	const struct mmap_entry all[5] = {
		{ 0, LOW_RAM_END, MB_MMAP_TYPE_RAM },
		{ LOW_RAM_END, VGA_HOLE - LOW_RAM_END, MB_MMAP_TYPE_RESERVED },
		{ BIOS_AREA, ONE_MIB - BIOS_AREA, MB_MMAP_TYPE_RESERVED },
		{ ONE_MIB, reserved_base - ONE_MIB, MB_MMAP_TYPE_RAM },
		{ reserved_base, ram_size - reserved_base, MB_MMAP_TYPE_RESERVED },
	};
	unsigned i, n = 0;

	for (i = 0; i < 5; i++)
		if (all[i].length)
			map[n++] = all[i];
	return n;
}

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

/* Sizes the block: info, mmap, module list, then the strings. Saturates at
 * UINT64_MAX instead of wrapping, so a huge total is simply "does not fit". */
static void mbi_plan_layout(unsigned nmmap, const char *cmdline,
			    const struct loader_module *mods, unsigned nmods,
			    struct mbi_layout *l)
{
	uint64_t t;
	unsigned i;

	l->nmmap = nmmap;
	l->mmap_off = MBI_SIZE;
	l->mods_off = l->mmap_off + (uint64_t)nmmap * MB_MMAP_ENTRY;
	l->cmdline_off = l->mods_off + (uint64_t)nmods * MB_MODULE_SIZE;
	t = l->cmdline_off;
	if (!add_ok(t, strlen(str_or_empty(cmdline)) + 1, &t))
		t = UINT64_MAX;
	l->strings_off = t;
	for (i = 0; i < nmods && t != UINT64_MAX; i++)
		if (!add_ok(t, strlen(str_or_empty(mods[i].string)) + 1, &t))
			t = UINT64_MAX;
	l->total = t;
}

/* Module i's physical range, given where the previous one ended: page aligned,
 * and moved up to 1 MiB rather than overlapping the EBDA/VGA/BIOS hole that the
 * memory map reports reserved. False if it cannot be placed below reserved_base
 * (and 4 GiB, since mod_start/mod_end are 32-bit). */
static bool module_place(uint64_t prev_end, uint64_t size, uint64_t reserved_base,
			 uint64_t *start, uint64_t *end)
{
	uint64_t top = reserved_base < FOUR_GIB ? reserved_base : FOUR_GIB;

	if (!page_align_up(prev_end, start) || !add_ok(*start, size, end))
		return false;
	if (ranges_overlap(*start, *end, LOW_RAM_END, ONE_MIB) ||
	    (size == 0 && *start >= LOW_RAM_END && *start < ONE_MIB)) {
		*start = ONE_MIB;
		if (!add_ok(*start, size, end))
			return false;
	}
	return *end <= top;
}

static int mbi_check_modules(uint64_t reserved_base, const struct loader_image *img,
			     const struct loader_module *mods, unsigned nmods, char *err,
			     size_t errlen)
{
	uint64_t prev = img->load_end, start = 0, end = 0;
	unsigned i;

	for (i = 0; i < nmods; i++) {
		if (!module_place(prev, mods[i].size, reserved_base, &start, &end))
			return fail(err, errlen, "module %u (%.64s, 0x%zx bytes) at 0x%" PRIx64
				    " does not fit below reserved_base 0x%" PRIx64 "%s", i,
				    str_or_empty(mods[i].string), mods[i].size, start,
				    reserved_base, reserved_base > FOUR_GIB ? " and 4 GiB" : "");
		prev = end;
	}
	return 0;
}

/* True if [base, base + len) collides with the image or a module. */
static bool mbi_collides(uint64_t base, uint64_t len, uint64_t reserved_base,
			 const struct loader_image *img, const struct loader_module *mods,
			 unsigned nmods)
{
	uint64_t prev = img->load_end, start = 0, end = 0;
	unsigned i;

	if (ranges_overlap(base, base + len, img->load_start, img->load_end))
		return true;
	for (i = 0; i < nmods; i++) {
		module_place(prev, mods[i].size, reserved_base, &start, &end);
		if (ranges_overlap(base, base + len, start, end))
			return true;
		prev = end;
	}
	return false;
}

/* 0x9000 if free, else the lowest free page-aligned base in conventional RAM. */
static int mbi_find_base(uint64_t total, uint64_t reserved_base,
			 const struct loader_image *img, const struct loader_module *mods,
			 unsigned nmods, uint64_t *base, char *err, size_t errlen)
{
	uint64_t b;

	if (total > MBI_AREA_END - MBI_AREA_START)
		return fail(err, errlen, "multiboot information (0x%" PRIx64 " bytes with command "
			    "line and module names) does not fit in [0x%llx, 0x%llx)", total,
			    MBI_AREA_START, MBI_AREA_END);
	if (MBI_PREFERRED + total <= MBI_AREA_END &&
	    !mbi_collides(MBI_PREFERRED, total, reserved_base, img, mods, nmods)) {
		*base = MBI_PREFERRED;
		return 0;
	}
	for (b = MBI_AREA_START; b + total <= MBI_AREA_END; b += PAGE_SIZE) {
		if (!mbi_collides(b, total, reserved_base, img, mods, nmods)) {
			*base = b;
			return 0;
		}
	}
	return fail(err, errlen, "no room for the multiboot information (0x%" PRIx64 " bytes) "
		    "in [0x%llx, 0x%llx): the image occupies [0x%" PRIx64 ", 0x%" PRIx64 ")",
		    total, MBI_AREA_START, MBI_AREA_END, img->load_start, img->load_end);
}

/* Copies s with its NUL to ram[at] and returns the address after it. */
static uint64_t put_string(uint8_t *ram, uint64_t at, const char *s)
{
	size_t n = strlen(s) + 1;

	memcpy(ram + at, s, n);
	return at + n;
}

static void mbi_write(uint8_t *ram, uint64_t base, const struct mbi_layout *l,
		      const struct mmap_entry *map, uint64_t reserved_base,
		      const struct loader_image *img, const char *cmdline,
		      const struct loader_module *mods, unsigned nmods)
{
	uint8_t *mbi = ram + base;
	uint64_t upper_top = reserved_base < FOUR_GIB ? reserved_base : FOUR_GIB;
	uint64_t prev = img->load_end, start = 0, end = 0, str = base + l->strings_off;
	unsigned i;

	memset(mbi, 0, (size_t)l->total);
	wr32(mbi + MBI_FLAGS, MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MODS | MBI_FLAG_MMAP);
	wr32(mbi + MBI_MEM_LOWER, (uint32_t)(VGA_HOLE / 1024));
	wr32(mbi + MBI_MEM_UPPER, (uint32_t)((upper_top - ONE_MIB) / 1024));
	wr32(mbi + MBI_CMDLINE, (uint32_t)(base + l->cmdline_off));
	put_string(ram, base + l->cmdline_off, str_or_empty(cmdline));
	wr32(mbi + MBI_MODS_COUNT, nmods);
	wr32(mbi + MBI_MODS_ADDR, (uint32_t)(base + l->mods_off));
	wr32(mbi + MBI_MMAP_LENGTH, l->nmmap * MB_MMAP_ENTRY);
	wr32(mbi + MBI_MMAP_ADDR, (uint32_t)(base + l->mmap_off));
	for (i = 0; i < l->nmmap; i++) {
		uint8_t *e = mbi + l->mmap_off + (uint64_t)i * MB_MMAP_ENTRY;

		wr32(e, MB_MMAP_ENTRY - 4);
		wr64(e + 4, map[i].base);
		wr64(e + 12, map[i].length);
		wr32(e + 20, map[i].type);
	}
	for (i = 0; i < nmods; i++) {
		uint8_t *m = mbi + l->mods_off + (uint64_t)i * MB_MODULE_SIZE;

		module_place(prev, mods[i].size, reserved_base, &start, &end);
		if (mods[i].size)
			memcpy(ram + start, mods[i].data, mods[i].size);
		wr32(m, (uint32_t)start);
		wr32(m + 4, (uint32_t)end);
		wr32(m + 8, (uint32_t)str);
		str = put_string(ram, str, str_or_empty(mods[i].string));
		prev = end;
	}
}

int loader_build_multiboot_info(uint8_t *ram, uint64_t ram_size, uint64_t reserved_base,
				const struct loader_image *img, const char *cmdline,
				const struct loader_module *mods, unsigned nmods,
				uint32_t *mbi_addr, char *err, size_t errlen)
{
	struct mmap_entry map[5];
	struct mbi_layout l;
	uint64_t base;
	unsigned i;

	if (err && errlen)
		err[0] = '\0';
	if (reserved_base < ONE_MIB || reserved_base > ram_size)
		return fail(err, errlen, "reserved_base 0x%" PRIx64 " must lie in [1 MiB, RAM size "
			    "0x%" PRIx64 "] for a multiboot machine", reserved_base, ram_size);
	for (i = 0; i < nmods; i++)
		if (mods[i].size && !mods[i].data)
			return fail(err, errlen, "module %u (%.64s) has 0x%zx bytes but no data", i,
				    str_or_empty(mods[i].string), mods[i].size);
	if (mbi_check_modules(reserved_base, img, mods, nmods, err, errlen))
		return -1;
	mbi_plan_layout(mbi_memory_map(ram_size, reserved_base, map), cmdline, mods, nmods, &l);
	if (mbi_find_base(l.total, reserved_base, img, mods, nmods, &base, err, errlen))
		return -1;
	mbi_write(ram, base, &l, map, reserved_base, img, cmdline, mods, nmods);
	*mbi_addr = (uint32_t)base;
	return 0;
}
