/* --record and --replay for `vtsim run`: a record is what a run's outcome depends on
 * (the options, the image and module bytes as SHA-256 digests, external inputs:
 * none today, time being virtual) and the outcome itself (exit status, RIP, retired
 * instructions, the digest of the final machine state). A replay runs the same
 * options on the same bytes and says whether the outcome is the same.
 *
 * The file is text, one item a line:
 *   vtsim-record 1
 *   arg --mem
 *   arg 128M
 *   image PATH sha256=HEX
 *   initrd PATH sha256=HEX
 *   inputs none
 *   end status=1 rip=0x10004a insns=2367 state=HEX
 */
#ifndef VTSIM_TOOLS_RECORD_H
#define VTSIM_TOOLS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vtsim/vtsim.h"

#define RECORD_MAX_ARGS 64

struct record_file {
	char path[4096];
	uint8_t sha256[32];
};

struct record {
	char *args[RECORD_MAX_ARGS];     /* the options, without --record/--replay/--trace* */
	int nargs;
	struct record_file image;
	struct record_file initrd[16];
	unsigned ninitrd;
	bool ran;                        /* the machine ran (the image loaded) */
	int status;
	uint64_t rip, insns;
	uint8_t state[32];
};

void record_sha256(const void *data, size_t size, uint8_t out[32]);

/* Keeps the options of `vtsim run` that decide the outcome (argv[1..argc-2]; the last
 * is the image): drops those that only say where output goes or how to debug. */
void record_set_args(struct record *r, int argc, char **argv);

int record_write(const char *path, const struct record *r, char *err, size_t errlen);
/* 0, or -1 with a one-line reason. */
int record_read(const char *path, struct record *r, char *err, size_t errlen);
void record_free(struct record *r);

/* Compares a replay's outcome with the record: 0 if the same, otherwise -1 and
 * what differs in `why`. */
int record_compare(const struct record *want, const struct record *got, char *why, size_t len);

#endif
