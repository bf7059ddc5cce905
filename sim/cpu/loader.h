/* Image loader: ELF64 (MACHINE.md "Image") and Multiboot v1 (ELF32 or a.out kludge).
 *
 * The loader validates the whole image before it writes a byte of RAM, so a bad
 * image leaves RAM untouched. Errors are one line, naming what is wrong.
 */
#ifndef VTSIM_LOADER_H
#define VTSIM_LOADER_H

#include <stddef.h>
#include <stdint.h>

enum loader_kind {
	LOADER_ELF64 = 1,      /* entered in 64-bit long mode */
	LOADER_MULTIBOOT = 2,  /* entered in 32-bit protected mode, EAX=0x2BADB002 */
	LOADER_ELF32 = 3,      /* an i386 ET_EXEC without a multiboot header (loader_load_window) */
};

struct loader_image {
	enum loader_kind kind;
	uint64_t entry;        /* RIP (ELF64 e_entry) or EIP (multiboot entry) */
	uint64_t load_start;   /* lowest physical address written */
	uint64_t load_end;     /* one past the highest physical address written (incl. bss) */
	uint32_t mb_header_flags; /* multiboot header flags (0 for ELF64) */
};

/* Loads `data` (size bytes) into ram[0 .. limit). `limit` is reserved_base: nothing
 * may be written at or above it. Returns 0, or -1 with a message in err. */
int loader_load(const uint8_t *data, size_t size, uint8_t *ram, uint64_t limit,
		struct loader_image *out, char *err, size_t errlen);

/* The same for a window of physical memory: ram holds [base, limit), and every
 * non-empty segment must lie inside it (a TD's firmware just below 4 GiB needs no
 * buffer from 0). Unlike loader_load it also takes a plain ELF32 i386 executable
 * (LOADER_ELF32, entry physical): a TD's 32-bit firmware. */
int loader_load_window(const uint8_t *data, size_t size, uint8_t *ram, uint64_t base,
		       uint64_t limit, struct loader_image *out, char *err, size_t errlen);

/* A module for the multiboot information (--initrd FILE). */
struct loader_module {
	const uint8_t *data;
	size_t size;
	const char *string;    /* the module's command line (its file name) */
};

/* Builds a Multiboot v1 information structure in RAM below 1 MiB (never in page 0),
 * with flags MEM|CMDLINE|MODS|MMAP (bits 0, 2, 3, 6), mem_lower/mem_upper, a memory
 * map describing [0, ram_size) with the reserved area [reserved_base, ram_size)
 * as type 2, the command line, and the modules copied page-aligned after
 * img->load_end and below reserved_base. Returns the physical address of the
 * structure in *mbi_addr; -1 with a message in err if it does not fit. */
int loader_build_multiboot_info(uint8_t *ram, uint64_t ram_size, uint64_t reserved_base,
				const struct loader_image *img, const char *cmdline,
				const struct loader_module *mods, unsigned nmods,
				uint32_t *mbi_addr, char *err, size_t errlen);

#endif
