/* cpustate_env.c and the in-place access built on it: the calibration finds each
 * engine's own live state on the builds vtsim supports, and what cpustate writes
 * in place is what the register API then reads (and the other way round), with
 * and without the live state's address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sim/cpu/cpustate.h"

struct two {
	struct cpustate_layout lay;
	uc_engine *a, *b;
	struct cpustate ca, cb;
};

static void two_open(struct two *t, bool in_place)
{
	char err[256];
	uc_engine *probe;
	assert_int_equal(uc_open(UC_ARCH_X86, UC_MODE_64, &probe), UC_ERR_OK);
	assert_int_equal(cpustate_calibrate(probe, &t->lay, err, sizeof(err)), 0);
	uc_close(probe);
	assert_true(t->lay.env_ok);
	assert_int_equal(uc_open(UC_ARCH_X86, UC_MODE_64, &t->a), UC_ERR_OK);
	assert_int_equal(uc_open(UC_ARCH_X86, UC_MODE_64, &t->b), UC_ERR_OK);
	assert_int_equal(cpustate_init(&t->ca, t->a, &t->lay), 0);
	assert_int_equal(cpustate_init(&t->cb, t->b, &t->lay), 0);
	assert_non_null(t->ca.env);
	assert_non_null(t->cb.env);
	assert_ptr_not_equal(t->ca.env, t->cb.env);
	if (!in_place)
		t->ca.env = t->cb.env = NULL;
}

static void two_close(struct two *t)
{
	cpustate_fini(&t->ca);
	cpustate_fini(&t->cb);
	uc_close(t->a);
	uc_close(t->b);
}

/* A register the API writes in one engine shows in that engine's state only. */
static void test_each_engine_its_own_state(void **state)
{
	(void)state;
	struct two t;
	two_open(&t, true);
	cpu_set_reg(t.a, UC_X86_REG_R9, 0x1111222233334444ull);
	cpu_set_reg(t.b, UC_X86_REG_R9, 0x5555666677778888ull);
	uint64_t ga[16], gb[16];
	cpustate_get_gprs(&t.ca, ga);
	cpustate_get_gprs(&t.cb, gb);
	assert_int_equal(ga[9], 0x1111222233334444ull);
	assert_int_equal(gb[9], 0x5555666677778888ull);
	two_close(&t);
}

static void sysenter_both_ways(bool in_place)
{
	struct two t;
	two_open(&t, in_place);
	/* Written in place, read through RDMSR's path; CS keeps what WRMSR keeps. */
	const uint64_t w[3] = { 0xabcd0010, 0xffff800012345678ull, 0xffff8000deadbee0ull };
	cpustate_set_sysenter(&t.ca, w);
	cpu_set_msr(t.b, 0x174, w[0]);
	assert_int_equal(cpu_msr(t.a, 0x174), cpu_msr(t.b, 0x174));
	assert_int_equal(cpu_msr(t.a, 0x175), w[1]);
	assert_int_equal(cpu_msr(t.a, 0x176), w[2]);
	/* Written through WRMSR's path, read in place. */
	cpu_set_msr(t.a, 0x174, 0x23);
	cpu_set_msr(t.a, 0x175, 0x7000);
	cpu_set_msr(t.a, 0x176, 0xffffffff81000000ull);
	uint64_t r[3];
	cpustate_get_sysenter(&t.ca, r);
	assert_int_equal(r[0], 0x23);
	assert_int_equal(r[1], 0x7000);
	assert_int_equal(r[2], 0xffffffff81000000ull);
	/* The other engine is untouched. */
	assert_int_equal(cpu_msr(t.b, 0x175), 0);
	two_close(&t);
}

static void test_sysenter_in_place(void **state)
{
	(void)state;
	sysenter_both_ways(true);
}

static void test_sysenter_through_the_api(void **state)
{
	(void)state;
	sysenter_both_ways(false);
}

/* A patch in place (GPRs, CR2, the interrupt shadow) is what the API reads. */
static void test_patches_in_place_reach_the_api(void **state)
{
	(void)state;
	struct two t;
	two_open(&t, true);
	uint64_t g[16];
	for (int i = 0; i < 16; i++)
		g[i] = 0x1000 * (uint64_t)(i + 1);
	cpustate_set_gprs(&t.ca, g, true);
	assert_int_equal(cpu_reg(t.a, UC_X86_REG_RBX), 0x4000);
	assert_int_equal(cpu_reg(t.a, UC_X86_REG_R15), 0x10000);
	assert_int_equal(cpu_reg(t.a, UC_X86_REG_RSP), 0);     /* kept */
	cpustate_set_cr2(&t.ca, 0xdead000);
	assert_int_equal(cpu_reg(t.a, UC_X86_REG_CR2), 0xdead000);
	assert_int_equal(cpu_reg(t.b, UC_X86_REG_CR2), 0);
	cpustate_set_interrupt_shadow(&t.ca, true);
	assert_true(cpustate_interrupt_shadow(&t.ca));
	assert_false(cpustate_interrupt_shadow(&t.cb));
	two_close(&t);
}

/* Whatever offsets the layout names (a Unicorn build laid out otherwise), the
 * search gives the engine's live state or NULL: every word it follows is checked
 * before it is read, and what it leads to must be the state. */
static void test_wrong_chain_gives_live_state_or_null(void **state)
{
	(void)state;
	struct two t;
	two_open(&t, true);
	struct cpustate_layout good = t.lay;
	uint8_t *live = t.ca.env;
	size_t *fields[] = { &t.lay.env_cpu_at, &t.lay.env_ptr_at, &t.lay.env_in_cpu };
	int found = 0;
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		t.lay = good;
		size_t at = *fields[f];
		for (size_t o = at > 512 ? at - 512 : 0; o < at + 512; o += 4) {
			t.lay = good;
			*fields[f] = o;
			uint8_t *env = cpustate_env_find(t.a, &t.lay, t.ca.ctx);
			assert_true(env == NULL || env == live);
			found += env != NULL;
		}
		t.lay = good;
		*fields[f] = (size_t)1 << 40;   /* outside anything mapped */
		assert_null(cpustate_env_find(t.a, &t.lay, t.ca.ctx));
	}
	/* The wrong values leave the engine as it was: the true chain still works. */
	t.lay = good;
	assert_ptr_equal(cpustate_env_find(t.a, &t.lay, t.ca.ctx), live);
	assert_true(found >= 3);     /* each true offset was among those tried */
	two_close(&t);
}

/* RFLAGS, a GPR and DR7 written by the site and transition paths' single-register
 * helpers are what the register API reads, CR3 and DR7 read by them are what it
 * wrote; in place (the calibration accepted the RFLAGS form) and through the API. */
static void single_registers_both_ways(bool in_place)
{
	struct two t;
	two_open(&t, in_place);
	assert_true(t.lay.rflags_ok);
	assert_int_equal(cpustate_regs_in_place(&t.ca), in_place);
	/* CF, PF, ZF, SF, OF, DF and AC, then none of the arithmetic flags: the
	 * engine keeps them apart from the rest, and none may linger. */
	cpustate_set_rflags(&t.ca, 0x40ed7);
	assert_int_equal(cpu_reg(t.a, UC_X86_REG_RFLAGS), 0x40ed7);
	assert_int_equal(cpustate_rflags(&t.ca), 0x40ed7);
	cpustate_set_rflags(&t.ca, 0x202);
	assert_int_equal(cpu_reg(t.a, UC_X86_REG_RFLAGS), 0x202);
	assert_int_equal(cpustate_rflags(&t.ca), 0x202);
	/* The calibration recognised the lazy forms RFLAGS is read from in place
	 * (tests/images/vmx_exit_rflags runs each). */
	assert_true(t.lay.rflags_read_ok);
	assert_int_equal(cpu_reg(t.b, UC_X86_REG_RFLAGS), 0x2);
	cpustate_set_gpr(&t.ca, 13, 0x1234567890abcdefull);
	assert_int_equal(cpu_reg(t.a, UC_X86_REG_R13), 0x1234567890abcdefull);
	assert_int_equal(cpu_reg(t.b, UC_X86_REG_R13), 0);
	cpustate_set_dr7(&t.ca, 0x455);
	assert_int_equal(cpu_reg(t.a, UC_X86_REG_DR7), 0x455);
	cpu_set_reg(t.a, UC_X86_REG_DR7, 0x400);
	assert_int_equal(cpustate_dr7(&t.ca), 0x400);
	cpu_set_reg(t.a, UC_X86_REG_CR3, 0x5000);
	assert_int_equal(cpustate_cr3(&t.ca), 0x5000);
	assert_int_equal(cpustate_cr3(&t.cb), cpu_reg(t.b, UC_X86_REG_CR3));
	two_close(&t);
}

static void test_single_registers_in_place(void **state)
{
	(void)state;
	single_registers_both_ways(true);
}

static void test_single_registers_through_the_api(void **state)
{
	(void)state;
	single_registers_both_ways(false);
}

/* cpustate_jump from a code hook: the engine goes on at the new RIP (the bytes
 * after the hooked instruction never run) with the RFLAGS written before the jump,
 * none of whose arithmetic flags may linger once an instruction changes them. The
 * first jump in the layout finds the exit request through the API (one made while
 * a request is pending already finds nothing and leaves it for the next), the
 * later ones write it in place; without in_loop the API does the write. */
#define JUMP_CODE 0x1000ull
static const uint8_t jump_code[] = {
	0xf9,                           /* 1000: stc */
	0x90,                           /* 1001: nop, hooked: jump to 1010 */
	0xb8, 0x01, 0x00, 0x00, 0x00,   /* 1002: mov eax, 1 (skipped) */
	0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
	0xf8,                           /* 1010: clc */
	0x9c,                           /* 1011: pushfq */
	0x5b,                           /* 1012: pop rbx */
};

struct jump_hook {
	struct cpustate *cs;
	bool in_loop;
	bool pending;      /* an exit request is pending already (the API's RIP write) */
};

static void on_jump_site(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	(void)uc, (void)address, (void)size;
	struct jump_hook *j = user;
	/* CF, ZF, SF and DF: CLC at the target clears CF alone. */
	cpustate_set_rflags(j->cs, 0x2 | 0x1 | 0x40 | 0x80 | 0x400);
	if (j->pending)
		cpu_set_reg(j->cs->uc, UC_X86_REG_RIP, JUMP_CODE + 0x10);
	cpustate_jump(j->cs, JUMP_CODE + 0x10, j->in_loop);
}

static void run_jump(struct two *t, bool in_loop, bool pending)
{
	struct jump_hook j = { &t->ca, in_loop, pending };
	uc_hook h;
	assert_int_equal(uc_hook_add(t->a, &h, UC_HOOK_CODE, on_jump_site, &j, JUMP_CODE + 1, JUMP_CODE + 1),
			 UC_ERR_OK);
	cpu_set_reg(t->a, UC_X86_REG_RAX, 0);
	cpu_set_reg(t->a, UC_X86_REG_RBX, 0);
	cpu_set_reg(t->a, UC_X86_REG_RSP, JUMP_CODE + 0x800);
	assert_int_equal(uc_emu_start(t->a, JUMP_CODE, JUMP_CODE + sizeof(jump_code), 0, 0), UC_ERR_OK);
	assert_int_equal(cpu_reg(t->a, UC_X86_REG_RAX), 0);
	assert_int_equal(cpu_reg(t->a, UC_X86_REG_RBX), 0x2 | 0x40 | 0x80 | 0x400);
	assert_int_equal(cpu_reg(t->a, UC_X86_REG_RFLAGS), 0x2 | 0x40 | 0x80 | 0x400);
	assert_int_equal(cpu_reg(t->a, UC_X86_REG_RIP), JUMP_CODE + sizeof(jump_code));
	uc_hook_del(t->a, h);
}

static void test_jump_from_a_code_hook(void **state)
{
	(void)state;
	struct two t;
	two_open(&t, true);
	assert_int_equal(uc_mem_map(t.a, JUMP_CODE, 0x1000, UC_PROT_ALL), UC_ERR_OK);
	assert_int_equal(uc_mem_write(t.a, JUMP_CODE, jump_code, sizeof(jump_code)), UC_ERR_OK);
	assert_int_equal(t.lay.exit_req_back, 0);
	run_jump(&t, false, false);
	assert_int_equal(t.lay.exit_req_back, 0);     /* the API's write: nothing looked for */
	run_jump(&t, true, true);                     /* watched, but nothing changes */
	assert_int_equal(t.lay.exit_req_back, 0);
	run_jump(&t, true, false);                    /* the API's, watched */
	assert_true(t.lay.exit_req_back > 0);
	run_jump(&t, true, false);                    /* in place */
	run_jump(&t, true, true);
	two_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_engine_its_own_state),
		cmocka_unit_test(test_sysenter_in_place),
		cmocka_unit_test(test_sysenter_through_the_api),
		cmocka_unit_test(test_patches_in_place_reach_the_api),
		cmocka_unit_test(test_single_registers_in_place),
		cmocka_unit_test(test_single_registers_through_the_api),
		cmocka_unit_test(test_wrong_chain_gives_live_state_or_null),
		cmocka_unit_test(test_jump_from_a_code_hook),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
