/* Unicorn's hook record and code-hook count: see hook_layout.h for why and how. */
#include "sim/cpu/hook_layout.h"

#include <stdio.h>
#include <stdlib.h>

/* What a hook's record holds where the range is: begin, end, callback, user data
 * (Unicorn 2.1's struct hook), within its first HOOK_RECORD bytes. */
#define HOOK_RECORD 64
/* The bytes of uc_struct searched for the count: well inside the struct (its
 * jump buffers for nested runs alone take more than 12 KB). */
#define UC_WINDOW 8192
#define RANGE_MAGIC_BEGIN 0x7a11e5c0de0b0001ull
#define RANGE_MAGIC_END 0x7a11e5c0de0b0fffull
#define CODE_AT 0x1000ull

/* What the probe hooks saw. */
struct probe {
	unsigned calls;
	uint64_t last;
	uint64_t first_edge;    /* the first block the edge hook reported in a run */
};

static void on_probe_code(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	(void)uc;
	(void)size;
	struct probe *p = user;
	p->calls++;
	p->last = address;
}

static void on_probe_edge(uc_engine *uc, uc_tb *cur, uc_tb *prev, void *user)
{
	(void)uc;
	(void)prev;
	struct probe *p = user;
	if (p->first_edge == ~0ull)
		p->first_edge = cur->pc;
}

static void on_probe_nothing(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	(void)uc;
	(void)address;
	(void)size;
	(void)user;
}

static int fail(struct hook_layout *hl, const char *why)
{
	snprintf(hl->err, sizeof(hl->err), "%s", why);
	return -1;
}

/* The range: the words of the record followed by its callback and user data. */
static int find_range(struct hook_layout *hl, uc_hook h, void *cb, void *user)
{
	uint64_t want[4] = { RANGE_MAGIC_BEGIN, RANGE_MAGIC_END, (uint64_t)(uintptr_t)cb,
			     (uint64_t)(uintptr_t)user };
	uint8_t rec[HOOK_RECORD];
	memcpy(rec, (const void *)(uintptr_t)h, sizeof(rec));
	int found = 0;
	for (size_t at = 0; at + sizeof(want) <= sizeof(rec); at += 8)
		if (!memcmp(rec + at, want, sizeof(want))) {
			hl->range_at = at;
			found++;
		}
	return found == 1 ? 0 : fail(hl, "a code hook's range was not found in its record");
}

static int int_at(const uint8_t *snap, size_t at)
{
	int v;
	memcpy(&v, snap + at, sizeof(v));
	return v;
}

/* The count: the int that reads 0, 1, 2, 2, 1 across the snapshots (no code hook,
 * one, two, two and a block hook, one), with the block hooks' count right after it
 * going up with the block hook. */
static int find_count(struct hook_layout *hl, uint8_t (*snap)[UC_WINDOW])
{
	static const int code[5] = { 0, 1, 2, 2, 1 };
	int found = 0;
	for (size_t at = 0; at + 2 * sizeof(int) <= UC_WINDOW; at += sizeof(int)) {
		bool match = true;
		for (unsigned i = 0; i < 5 && match; i++)
			match = int_at(snap[i], at) == code[i];
		size_t blk = at + sizeof(int);
		if (match && int_at(snap[3], blk) == int_at(snap[2], blk) + 1 &&
		    int_at(snap[4], blk) == int_at(snap[3], blk)) {
			hl->code_count_at = at;
			found++;
		}
	}
	return found == 1 ? 0 : fail(hl, "the engine's count of code hooks was not found");
}

/* One run of the NOPs from `from` to the HLT (an engine opened by engine_init has
 * an empty exit list: nothing drops the translations after a run). */
static int run_nops(uc_engine *uc, uint64_t from, struct probe *p)
{
	p->calls = 0;
	p->last = 0;
	p->first_edge = ~0ull;
	return uc_emu_start(uc, from, ~0ull, 0, 0) == UC_ERR_OK ? 0 : -1;
}

/* Drops the probe's translations: by address, as a flush of an engine's whole code
 * cache (64 MiB for a root engine) costs tens of millions of instructions. */
static void drop_probe(uc_engine *uc)
{
	uc_ctl_remove_cache(uc, CODE_AT, CODE_AT + 0x1000);
}

/* The behaviour the sites rely on (hook_layout.h), with hook `h` the engine's only
 * code hook. */
static int verify_runs(struct hook_layout *hl, uc_engine *uc, uc_hook h, struct probe *p)
{
	/* NOP x 4, JMP +10H; HLT there (a block that ends in HLT leaves the engine without
	 * ending normally, which is what makes the next translation reported). */
	static const uint8_t code[0x17] = { 0x90, 0x90, 0x90, 0x90, 0xeb, 0x10, [0x16] = 0xf4 };
	if (uc_mem_write(uc, CODE_AT, code, sizeof(code)) != UC_ERR_OK)
		return fail(hl, "the probe's code could not be written");
	if (hook_code_count(hl, uc) != 1)
		return fail(hl, "the count of code hooks does not read 1 with one hook");
	hook_range_write(hl, h, CODE_AT + 2, CODE_AT + 2);
	if (run_nops(uc, CODE_AT, p) || p->calls != 1 || p->last != CODE_AT + 2)
		return fail(hl, "a range written into a hook's record did not decide its calls");
	hook_range_write(hl, h, CODE_AT + 3, CODE_AT + 3);
	if (run_nops(uc, CODE_AT, p) || p->calls != 1 || p->last != CODE_AT + 2)
		return fail(hl, "a translated block did not keep its calls when the range moved");
	if (run_nops(uc, CODE_AT + 1, p) || p->first_edge != CODE_AT + 1 || p->calls != 1 ||
	    p->last != CODE_AT + 3)
		return fail(hl, "a later run's first translation was not reported to the edge hook");
	drop_probe(uc);
	if (run_nops(uc, CODE_AT, p) || p->first_edge != CODE_AT || p->calls != 1 || p->last != CODE_AT + 3)
		return fail(hl, "the first translation after a drop was not reported to the edge hook");
	return 0;
}

/* The page goes again with its translations, and every hook: the engine is left as
 * it was but for its CPU state and its record of the last block run. */
struct probe_hooks {
	uc_hook edge, a, b, blk;
	bool mapped;
};

static void clean_up(uc_engine *uc, const struct probe_hooks *ph)
{
	const uc_hook all[] = { ph->edge, ph->a, ph->b, ph->blk };
	if (ph->mapped) {
		drop_probe(uc);
		uc_mem_unmap(uc, CODE_AT, 0x1000);
	}
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i])
			uc_hook_del(uc, all[i]);
}

static int calibrate_on(struct hook_layout *hl, uc_engine *uc, uint8_t (*snap)[UC_WINDOW],
			struct probe_hooks *ph, struct probe *p)
{
	/* The edge hook first: the engine sets itself up at its first hook. */
	if (uc_hook_add(uc, &ph->edge, UC_HOOK_EDGE_GENERATED, (void *)on_probe_edge, p, 1, 0) != UC_ERR_OK)
		return fail(hl, "the engine took no hook");
	memcpy(snap[0], uc, UC_WINDOW);
	if (uc_hook_add(uc, &ph->a, UC_HOOK_CODE, (void *)on_probe_code, p, RANGE_MAGIC_BEGIN,
			RANGE_MAGIC_END) != UC_ERR_OK)
		return fail(hl, "the engine took no code hook");
	memcpy(snap[1], uc, UC_WINDOW);
	if (find_range(hl, ph->a, (void *)on_probe_code, p))
		return -1;
	if (uc_hook_add(uc, &ph->b, UC_HOOK_CODE, (void *)on_probe_nothing, NULL, 1, 0) != UC_ERR_OK)
		return fail(hl, "the engine took no second code hook");
	memcpy(snap[2], uc, UC_WINDOW);
	if (uc_hook_add(uc, &ph->blk, UC_HOOK_BLOCK, (void *)on_probe_nothing, NULL, 1, 0) != UC_ERR_OK)
		return fail(hl, "the engine took no block hook");
	memcpy(snap[3], uc, UC_WINDOW);
	uc_hook_del(uc, ph->b);
	ph->b = 0;
	memcpy(snap[4], uc, UC_WINDOW);
	uc_hook_del(uc, ph->blk);
	ph->blk = 0;
	if (find_count(hl, snap))
		return -1;
	ph->mapped = uc_mem_map(uc, CODE_AT, 0x1000, UC_PROT_ALL) == UC_ERR_OK;
	if (!ph->mapped)
		return fail(hl, "the engine could not map the probe's page");
	return verify_runs(hl, uc, ph->a, p);
}

void hook_layout_calibrate(struct hook_layout *hl, uc_engine *fresh)
{
	struct probe_hooks ph = { 0 };
	struct probe p = { 0 };
	hl->tried = true;
	uint8_t (*snap)[UC_WINDOW] = malloc(5 * UC_WINDOW);
	hl->ok = snap ? calibrate_on(hl, fresh, snap, &ph, &p) == 0 : fail(hl, "no memory") == 0;
	free(snap);
	clean_up(fresh, &ph);
}
