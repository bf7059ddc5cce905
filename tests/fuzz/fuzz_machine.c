/* Hostile guest code: the input is the code of a bare-metal ELF64 image, run with an
 * instruction limit. Whatever it does, the machine ends in one of the architected
 * ways (MACHINE.md "How a run ends") and vtsim itself never crashes. The first byte
 * chooses a small prologue that installs an IDT, so that exception delivery paths
 * are reached as often as plain shutdowns. One machine serves every input: a
 * snapshot taken after loading an image of NOPs is restored, and the input's code
 * written over the NOPs (include/vtsim/snapshot.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtsim/snapshot.h"
#include "vtsim/vtsim.h"

#define LOAD 0x100000
#define CODE_MAX 2048

static size_t make_elf(uint8_t *out, const uint8_t *code, size_t len)
{
	memset(out, 0, 120);
	memcpy(out, "\x7f" "ELF\x02\x01\x01", 7);
	out[16] = 2; out[18] = 62; out[20] = 1;
	uint64_t entry = LOAD + 120, phoff = 64;
	memcpy(out + 24, &entry, 8);
	memcpy(out + 32, &phoff, 8);
	out[52] = 64; out[54] = 56; out[56] = 1;
	uint8_t *ph = out + 64;
	ph[0] = 1; ph[4] = 7;
	uint64_t addr = LOAD, size = 120 + len, memsz = 0x10000;
	memcpy(ph + 16, &addr, 8);
	memcpy(ph + 24, &addr, 8);
	memcpy(ph + 32, &size, 8);
	memcpy(ph + 40, &memsz, 8);
	memcpy(out + 120, code, len);
	return 120 + len;
}

/* lidt [rip+0]: an IDT at LOAD+0x8000 whose 32 gates all point at LOAD+0x9000,
 * where the input's tail is copied (its "handler"). */
static size_t prologue(uint8_t *p, uint8_t *idt_area)
{
	static const uint8_t lidt[] = { 0x0f, 0x01, 0x1d, 0x06, 0x00, 0x00, 0x00, /* lidt [rip+6] */
					0xeb, 0x0a };                               /* jmp over */
	memcpy(p, lidt, sizeof(lidt));
	uint16_t limit = 32 * 16 - 1;
	uint64_t base = LOAD + 0x8000;
	memcpy(p + sizeof(lidt), &limit, 2);
	memcpy(p + sizeof(lidt) + 2, &base, 8);
	for (int v = 0; v < 32; v++) {
		uint64_t off = LOAD + 0x9000;
		uint8_t *g = idt_area + v * 16;
		g[0] = off & 0xff; g[1] = (off >> 8) & 0xff;
		g[2] = 0x08; g[3] = 0;                   /* selector */
		g[4] = 0; g[5] = 0x8e;                   /* 64-bit interrupt gate, P */
		g[6] = (off >> 16) & 0xff; g[7] = (off >> 24) & 0xff;
	}
	return sizeof(lidt) + 10;
}

/* The machine, booted once from an image whose code is all NOPs; its snapshot is
 * restored before each input, whose code is then written where the image's was. */
static struct vtsim_machine *m;
static struct vtsim_snapshot *snap;

static void setup(uint8_t *img, size_t n)
{
	struct vtsim_config cfg;
	vtsim_config_defaults(&cfg);
	cfg.ram_size = 16u << 20;
	cfg.max_insns = 20000;
	cfg.timeout_s = 5;
	FILE *devnull = fopen("/dev/null", "w");
	cfg.console = cfg.diag = cfg.trace = devnull;
	char err[256];
	m = vtsim_machine_create(&cfg, err, sizeof(err));
	if (!m || vtsim_machine_load(m, img, n, NULL, NULL, 0, err, sizeof(err)) ||
	    !(snap = vtsim_snapshot_take(m, err, sizeof(err)))) {
		fprintf(stderr, "fuzz_machine: %s\n", err);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > CODE_MAX)
		return 0;
	static uint8_t code[0xa000], img[0xa000 + 256];
	const size_t len = 0x9000 - 120 + 0x800;
	memset(code, 0x90, sizeof(code));
	if (!m)
		setup(img, make_elf(img, code, len));
	size_t off = 0;
	if (data[0] & 1)
		off = prologue(code, code + 0x8000 - 120);
	memcpy(code + off, data + 1, size - 1);
	if (data[0] & 1)  /* the handler: the input again, then a debug exit */
		memcpy(code + 0x9000 - 120, data + 1, (size - 1) / 2);

	char err[256];
	if (vtsim_snapshot_restore(m, snap, err, sizeof(err))) {
		fprintf(stderr, "fuzz_machine: %s\n", err);
		abort();
	}
	/* Where the loader put the image's code (its one segment maps the file at LOAD). */
	memcpy(vtsim_machine_ram(m, NULL) + LOAD + 120, code, len);
	vtsim_snapshot_note_write(m, LOAD + 120, len);
	struct vtsim_result res;
	vtsim_machine_run(m, &res);
	switch (res.reason) {
	case VTSIM_STOP_DEBUG_EXIT:
		if (!(res.exit_status & 1))
			abort();
		break;
	case VTSIM_STOP_HALT:
		if (res.exit_status != 0)
			abort();
		break;
	case VTSIM_STOP_TRIPLE_FAULT:
		if (res.exit_status != 3)
			abort();
		break;
	case VTSIM_STOP_LIMIT:
		if (res.exit_status != 4)
			abort();
		break;
	case VTSIM_STOP_INTERNAL:
		/* A documented vtsim limitation (e.g. a task gate): allowed, explained. */
		break;
	default:
		abort();
	}
	return 0;
}
