/* The engine's live CPU state: see cpustate.h (cpustate_env_calibrate). */
#include "sim/cpu/cpustate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The process's readable and writable mappings, from /proc/self/maps: the search
 * dereferences a word only when it points into one of them, so it never faults. */
struct span {
	uintptr_t lo, hi;
};
struct spans {
	struct span *s;
	size_t n;
};

static void spans_read(struct spans *sp)
{
	sp->s = NULL;
	sp->n = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		return;
	size_t cap = 0;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perm[8];
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3 || perm[0] != 'r' || perm[1] != 'w')
			continue;
		if (sp->n == cap) {
			cap = cap ? 2 * cap : 256;
			struct span *s = realloc(sp->s, cap * sizeof(*s));
			if (!s)
				break;
			sp->s = s;
		}
		sp->s[sp->n++] = (struct span){ lo, hi };
	}
	fclose(f);
}

static bool spans_hold(const struct spans *sp, uintptr_t p, size_t len)
{
	if (!p || (p & 7) || p + len < p)
		return false;
	for (size_t i = 0; i < sp->n; i++)
		if (p >= sp->s[i].lo && p + len <= sp->s[i].hi)
			return true;
	return false;
}

/* The search reads words of objects it does not know the size of (inside mapped
 * memory, so never a fault): a sanitizer's redzone between heap blocks is not an
 * error here. */
#define UNCHECKED __attribute__((no_sanitize("address")))

UNCHECKED static uintptr_t word_at(uintptr_t p)
{
	return *(const volatile uintptr_t *)p;
}

UNCHECKED static bool same_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* How far into the CPU object its CPUX86State may lie. */
#define ENV_IN_CPU_MAX 65536

/* How many bytes of the state a context save copies (the length is the context's
 * first member, as cpustate_init relies on; `full` is a whole-state context): all
 * of them must match before vtsim reads or writes any in place. 0 if the length is
 * not one the layout can be (then nothing matches). */
static size_t env_len(const struct cpustate_layout *lay, const uc_context *full)
{
	size_t n;
	memcpy(&n, full, sizeof(n));
	return n >= lay->dr + 8 * 8 - lay->data && n <= lay->ctx_size - lay->data ? n : 0;
}

/* `env` is the engine's state if it holds what a save copies and follows a
 * register write through the API (which rules out a copy of the state). */
static bool env_is_live(uc_engine *uc, const struct cpustate_layout *lay, uc_context *ctx, const uint8_t *env)
{
	uc_context_save(uc, ctx);
	size_t len = env_len(lay, ctx);
	if (!len || !same_bytes(env, (const uint8_t *)ctx + lay->data, len))
		return false;
	uint64_t rbx = cpu_reg(uc, UC_X86_REG_RBX), probe = ~rbx ^ 0x5a5a0000a5a5ull, seen;
	cpu_set_reg(uc, UC_X86_REG_RBX, probe);
	seen = word_at((uintptr_t)env + 3 * 8);      /* regs[3] */
	cpu_set_reg(uc, UC_X86_REG_RBX, rbx);
	return seen == probe;
}

/* Unicorn keeps a pointer to the CPU object in the engine, and the CPU object a
 * pointer to its CPUX86State: two words, found by trying each word of the engine
 * (up to 8 KiB) and of what it points to (up to 4 KiB). */
void cpustate_env_calibrate(uc_engine *uc, struct cpustate_layout *lay)
{
	lay->env_ok = false;
	uc_context *ctx = NULL;
	if (uc_context_alloc(uc, &ctx) != UC_ERR_OK)
		return;
	struct spans sp;
	spans_read(&sp);
	uc_context_save(uc, ctx);
	const uint8_t *want = (const uint8_t *)ctx + lay->data;
	size_t len = env_len(lay, ctx);
	uint64_t rax;
	memcpy(&rax, want, 8);
	uintptr_t base = (uintptr_t)uc;
	for (size_t o1 = 0; o1 < 8192 && !lay->env_ok && spans_hold(&sp, base + o1, 8); o1 += 8) {
		uintptr_t cpu = word_at(base + o1);
		for (size_t o2 = 0; o2 < 4096 && !lay->env_ok && spans_hold(&sp, cpu + o2, 8); o2 += 8) {
			uintptr_t env = word_at(cpu + o2);
			/* The state is a member of the CPU object (after its generic part), which
			 * points to it: a chain through anything else is not the same in every
			 * engine. */
			if (env <= cpu || env - cpu > ENV_IN_CPU_MAX || !spans_hold(&sp, env, len) ||
			    word_at(env) != rax)
				continue;
			if (env_is_live(uc, lay, ctx, (const uint8_t *)env)) {
				lay->env_ok = true;
				lay->env_cpu_at = o1;
				lay->env_ptr_at = o2;
				lay->env_in_cpu = env - cpu;
			}
		}
	}
	free(sp.s);
	uc_context_free(ctx);
}

/* Follows the calibrated chain in this engine, each word only after checking
 * that it points into a read-write mapping: another Unicorn build (or an engine
 * laid out otherwise) gives NULL, never a fault. */
static uintptr_t env_follow(uc_engine *uc, const struct cpustate_layout *lay, const struct spans *sp, size_t len)
{
	uintptr_t at = (uintptr_t)uc + lay->env_cpu_at;
	if (!spans_hold(sp, at, 8))
		return 0;
	uintptr_t cpu = word_at(at);
	if (!spans_hold(sp, cpu, 8) || cpu + lay->env_ptr_at < cpu || !spans_hold(sp, cpu + lay->env_ptr_at, 8))
		return 0;
	uintptr_t env = cpu + lay->env_in_cpu;
	if (env < cpu || word_at(cpu + lay->env_ptr_at) != env || !len || !spans_hold(sp, env, len))
		return 0;
	return env;
}

uint8_t *cpustate_env_find(uc_engine *uc, const struct cpustate_layout *lay, uc_context *scratch)
{
	if (!lay->env_ok)
		return NULL;
	/* Unicorn creates the CPU object on the engine's first use: a save is one. */
	uc_context_save(uc, scratch);
	struct spans sp;
	spans_read(&sp);
	uintptr_t env = env_follow(uc, lay, &sp, env_len(lay, scratch));
	free(sp.s);
	return env && env_is_live(uc, lay, scratch, (const uint8_t *)env) ? (uint8_t *)env : NULL;
}

/* ---- RIP writes that end the block in place (cpustate_jump) ---------------- */

/* The exit request is the last word of what QEMU keeps just before the state
 * (CPUNegativeOffsetState), up to alignment padding: the search looks this far. */
#define EXIT_REQ_WORDS 16
/* Its upper half, all ones, is the request; the lower half counts instructions
 * only with icount, which Unicorn does not use. */
#define EXIT_REQ_SET 0xffff0000u
/* RFLAGS bits the engine keeps outside `eflags` while its loop runs: OF, SF, ZF,
 * AF, PF, CF (in CC_SRC with CC_OP_EFLAGS) and DF (as +1/-1). */
#define EFLAGS_LAZY_BITS 0xcd5u

static uint32_t word32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* The API's write, watching the words before the state: the one word that it
 * turns from 0 into the request is the exit request. A write that changes none
 * (a request was pending already) says nothing: the next one looks again. */
static void jump_probe(struct cpustate *cs, struct cpustate_layout *lay, uint64_t rip)
{
	uint32_t before[EXIT_REQ_WORDS];
	const uint8_t *lo = cs->env - 4 * EXIT_REQ_WORDS;
	for (int i = 0; i < EXIT_REQ_WORDS; i++)
		before[i] = word32(lo + 4 * i);
	cpu_set_reg(cs->uc, UC_X86_REG_RIP, rip);
	int found = -1, n = 0;
	for (int i = 0; i < EXIT_REQ_WORDS; i++)
		if (word32(lo + 4 * i) != before[i]) {
			n++;
			if (!before[i] && word32(lo + 4 * i) == EXIT_REQ_SET)
				found = i;
		}
	if (n)
		lay->exit_req_back = n == 1 && found >= 0 ? 4 * (EXIT_REQ_WORDS - found) : -1;
}

/* The in-place jump: the lazy flags leave `eflags`, RIP, the exit request. */
static void jump_in_place(struct cpustate *cs, uint64_t rip)
{
	uint8_t *e = cs->env;
	uint64_t fl;
	memcpy(&fl, e + ENV_EFLAGS, 8);
	fl &= ~(uint64_t)EFLAGS_LAZY_BITS;
	memcpy(e + ENV_EFLAGS, &fl, 8);
	memcpy(e + ENV_EIP, &rip, 8);
	uint8_t *req = e - cs->lay->exit_req_back;
	uint32_t v = word32(req) | EXIT_REQ_SET;
	memcpy(req, &v, 4);
}

void cpustate_jump(struct cpustate *cs, uint64_t rip, bool in_loop)
{
	struct cpustate_layout *lay = cs->lay;
	if (!in_loop || !cs->env || !lay->rflags_ok || lay->exit_req_back < 0) {
		cpu_set_reg(cs->uc, UC_X86_REG_RIP, rip);
		return;
	}
	if (!lay->exit_req_back) {
		jump_probe(cs, lay, rip);
		return;
	}
	jump_in_place(cs, rip);
}

/* cpustate_set_rflags of the flags with the arithmetic ones clear writes CC_SRC 0
 * and CC_OP_EFLAGS, DF as it was, and `eflags` without them; the jump then takes
 * the lazy bits out of `eflags`, which is what is left here. */
void cpustate_clear_arith_jump(struct cpustate *cs, uint64_t rip)
{
	uint8_t *d = cs->env;
	uint64_t zero = 0;
	int32_t op = cs->lay->cc_op_eflags;
	memcpy(d + ENV_CC_SRC, &zero, 8);
	memcpy(d + ENV_CC_OP, &op, 4);
	uint64_t fl;
	memcpy(&fl, d + ENV_EFLAGS, 8);
	fl |= 2;
	memcpy(d + ENV_EFLAGS, &fl, 8);
	jump_in_place(cs, rip);
}
