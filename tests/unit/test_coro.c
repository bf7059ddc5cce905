/* Coroutines: switching back and forth keeps each side's registers, floating-point
 * values and modes, and a coroutine's stack is aligned as the ABI wants. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include "sim/cpu/coro.h"

#define STACK_SIZE (64u << 10)
#define ROUNDS     10000u

/* The test's own context and one coroutine on a heap stack. */
struct duo {
	struct coro main, co;
	void *stack;
	long value;          /* passed each way */
	uint64_t result;     /* what the coroutine computed before it finished */
	double fresult;
	int flag;
};

static struct duo *duo_new(void (*fn)(void *))
{
	struct duo *d = calloc(1, sizeof(*d));
	assert_non_null(d);
	d->stack = malloc(STACK_SIZE);
	assert_non_null(d->stack);
	coro_init(&d->co, d->stack, STACK_SIZE, fn, d);
	return d;
}

static void duo_free(struct duo *d)
{
	free(d->stack);
	free(d);
}

static void to_co(void *arg)
{
	struct duo *d = arg;
	coro_switch(&d->main, &d->co);
}

/* Takes &duo.co, not the duo: the two sides of a test differ in their step
 * function and in its argument, so no register holds the same value on both. */
static void to_main(void *arg)
{
	struct duo *d = (struct duo *)((char *)arg - offsetof(struct duo, co));
	coro_switch(&d->co, &d->main);
}

static void no_switch(void *arg)
{
	(void)arg;
}

/* Hides a value from the optimizer, so that what it knows about an address (its
 * alignment) or a constant does not decide a check at compile time. */
static uintptr_t opaque(uintptr_t v)
{
	__asm__ volatile("" : "+r"(v));
	return v;
}

/* ---- Ping-pong ---- */

static void triple_plus_one(void *arg)
{
	struct duo *d = arg;
	for (;;) {
		d->value = d->value * 3 + 1;
		coro_switch(&d->co, &d->main);
	}
}

static void test_coro_ping_pong(void **state)
{
	struct duo *d = duo_new(triple_plus_one);
	for (long i = 0; i < 100000; i++) {
		d->value = i;
		coro_switch(&d->main, &d->co);
		assert_int_equal(d->value, i * 3 + 1);
	}
	duo_free(d);
}

/* ---- Callee-saved registers ---- */

/* More values live across each call to step() than there are callee-saved
 * registers: at -O2 they fill those registers and spill to the stack. */
__attribute__((noinline)) static uint64_t mix(void (*step)(void *), void *arg, uint64_t seed,
					      unsigned first, unsigned rounds)
{
	uint64_t a = seed, b = seed ^ 0x9e3779b97f4a7c15ull, c = seed * 3, d = ~seed;
	uint64_t e = seed + 7, f = seed << 5, g = seed >> 3, h = seed * seed;
	for (unsigned i = first; i != first + rounds; i++) {
		a += b;
		b ^= c >> 3;
		c = c * 5 + d;
		d += e ^ i;
		e ^= f >> 7;
		f += g;
		g = g * 9 + h;
		h ^= a + i;
		step(arg);
	}
	return a + 3 * b + 5 * c + 7 * d + 11 * e + 13 * f + 17 * g + 19 * h;
}

static void mix_in_co(void *arg)
{
	struct duo *d = arg;
	d->result = mix(to_main, &d->co, 0x5eed2, 1u << 20, ROUNDS);
	coro_switch(&d->co, &d->main);   /* for good */
}

static void test_coro_callee_saved_registers_survive(void **state)
{
	struct duo *d = duo_new(mix_in_co);
	/* Each side runs mix() and switches once a round: every switch comes back to
	 * a mix() with different values in its registers. */
	uint64_t got = mix(to_co, d, 0x5eed1, 0, ROUNDS);
	coro_switch(&d->main, &d->co);   /* the coroutine's last round */
	assert_int_equal(got, mix(no_switch, NULL, 0x5eed1, 0, ROUNDS));
	assert_int_equal(d->result, mix(no_switch, NULL, 0x5eed2, 1u << 20, ROUNDS));
	duo_free(d);
}

/* ---- The frame pointer ---- */

/* At -O2 locals are addressed from the stack pointer, so mix() might not notice a
 * lost rbp / x29: read the register itself. */
#if defined(__x86_64__)
#define READ_FP(v) __asm__ volatile("movq %%rbp, %0" : "=r"(v))
#else
#define READ_FP(v) __asm__ volatile("mov %0, x29" : "=r"(v))
#endif

/* Switches with a frame pointer set up (asking for the frame address makes the
 * function keep one); whether it is the same on return. */
__attribute__((noinline)) static int fp_kept(struct coro *from, struct coro *to)
{
	uintptr_t before, after;
	opaque((uintptr_t)__builtin_frame_address(0));
	READ_FP(before);
	coro_switch(from, to);
	READ_FP(after);
	return before == after;
}

static void fp_in_co(void *arg)
{
	struct duo *d = arg;
	d->flag = 1;
	for (;;)
		d->flag &= fp_kept(&d->co, &d->main);
}

static void test_coro_frame_pointer_survives(void **state)
{
	struct duo *d = duo_new(fp_in_co);
	for (int i = 0; i < 3; i++)
		assert_true(fp_kept(&d->main, &d->co));
	assert_int_equal(d->flag, 1);
	duo_free(d);
}

/* ---- Floating-point values ---- */

/* Ten doubles live across each step, all made from the seed so that no register
 * holds the same constant on both sides: on arm64 they fill d8-d15, which the
 * switch keeps; on x86-64 no vector register is callee-saved, so they sit on the
 * stack. k + m = 1 keeps the values bounded. */
__attribute__((noinline)) static double fmix(void (*step)(void *), void *arg, double seed,
					     unsigned rounds)
{
	double k = 1 / (seed + 1), m = seed * k;
	double a = seed, b = -seed, c = k, d = m, e = seed * k, f = seed - m, g = k * m, h = -k;
	for (unsigned i = 0; i < rounds; i++) {
		a = a * k + b * m;
		b = b * m - c * k;
		c = c * k + d * m;
		d = d * m - e * k;
		e = e * k + f * m;
		f = f * m - g * k;
		g = g * k + h * m;
		h = h * m - a * k + k;
		step(arg);
	}
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h;
}

static void fmix_in_co(void *arg)
{
	struct duo *d = arg;
	d->fresult = fmix(to_main, &d->co, 2.5, ROUNDS);
	coro_switch(&d->co, &d->main);   /* for good */
}

static void test_coro_floating_point_values_survive(void **state)
{
	struct duo *d = duo_new(fmix_in_co);
	double got = fmix(to_co, d, 1.75, ROUNDS);
	coro_switch(&d->main, &d->co);
	assert_true(got == fmix(no_switch, NULL, 1.75, ROUNDS));
	assert_true(d->fresult == fmix(no_switch, NULL, 2.5, ROUNDS));
	duo_free(d);
}

/* ---- Two coroutines ---- */

struct trio {
	struct coro main, a, b;
	char log[32];
	size_t n;
};

/* a hands over to b directly; b goes back to the test. */
static void trio_a(void *arg)
{
	struct trio *t = arg;
	for (;;) {
		t->log[t->n++] = 'a';
		coro_switch(&t->a, &t->b);
	}
}

static void trio_b(void *arg)
{
	struct trio *t = arg;
	for (;;) {
		t->log[t->n++] = 'b';
		coro_switch(&t->b, &t->main);
	}
}

static void test_coro_two_coroutines(void **state)
{
	struct trio t = { .n = 0 };
	void *sa = malloc(STACK_SIZE), *sb = malloc(STACK_SIZE);
	coro_init(&t.a, sa, STACK_SIZE, trio_a, &t);
	coro_init(&t.b, sb, STACK_SIZE, trio_b, &t);
	for (int i = 0; i < 3; i++) {
		coro_switch(&t.main, &t.a);
		t.log[t.n++] = 'm';
	}
	t.log[t.n] = 0;
	assert_string_equal(t.log, "abmabmabm");
	free(sa);
	free(sb);
}

/* ---- A finished coroutine's stack can start another ---- */

static void run_once(void *arg)
{
	struct duo *d = arg;
	d->value++;
	coro_switch(&d->co, &d->main);   /* for good */
}

static void test_coro_reinit_after_finish(void **state)
{
	struct duo *d = duo_new(run_once);
	for (int i = 0; i < 3; i++) {
		coro_init(&d->co, d->stack, STACK_SIZE, run_once, d);
		coro_switch(&d->main, &d->co);
	}
	assert_int_equal(d->value, 3);
	duo_free(d);
}

/* ---- Stack alignment ---- */

/* What a coroutine found about its stack. */
struct probe {
	uintptr_t misalign;    /* of a 16-byte aligned local */
	char text[64];         /* printf of a double and a long double */
};

typedef float v4f __attribute__((vector_size(16)));

__attribute__((noinline)) static void probe_stack(struct probe *p)
{
	_Alignas(16) char buf[16];
	/* Aligned vector arithmetic on the stack: movaps on x86-64, which faults on a
	 * misaligned address. */
	volatile v4f v = { 1, 2, 3, 4 };
	v4f w = v * v;
	memset(buf, 0, sizeof(buf));
	p->misalign = opaque((uintptr_t)buf) & 15;
	/* Varargs with floating-point arguments: on x86-64 the callee saves xmm
	 * registers with aligned stores. long double is 16-byte aligned too. */
	long double x = (long double)opaque(9) / 4;
	snprintf(p->text, sizeof(p->text), "%.2f %.2Lf %.0f", (double)opaque(3) / 2, x,
		 (double)(w[0] + w[1] + w[2] + w[3]));
}

struct probe_run {
	struct coro main, co;
	struct probe probe;
};

static void probe_in_co(void *arg)
{
	struct probe_run *r = arg;
	probe_stack(&r->probe);
	coro_switch(&r->co, &r->main);   /* for good */
}

static void test_coro_stack_alignment(void **state)
{
	enum { SLACK = 64, GUARD = 0xa5 };
	unsigned char *raw = malloc(STACK_SIZE + 2 * SLACK);
	assert_non_null(raw);
	/* Every misalignment of the start and of the size: coro_init aligns inside
	 * the region and writes nothing outside it. */
	for (unsigned off = 0; off < 16; off++) {
		for (unsigned cut = 0; cut < 16; cut += 5) {
			size_t size = STACK_SIZE - cut;
			struct probe_run r = { .probe.misalign = 99 };
			memset(raw, GUARD, STACK_SIZE + 2 * SLACK);
			coro_init(&r.co, raw + SLACK + off, size, probe_in_co, &r);
			coro_switch(&r.main, &r.co);
			assert_int_equal(r.probe.misalign, 0);
			assert_string_equal(r.probe.text, "1.50 2.25 30");
			for (size_t i = SLACK + off + size; i < STACK_SIZE + 2 * SLACK; i++)
				assert_int_equal(raw[i], GUARD);
		}
	}
	free(raw);
}

/* ---- Floating-point modes (x86-64: MXCSR and the x87 control word) ---- */

#if defined(__x86_64__)
#define MXCSR_RC     (3u << 13)
#define MXCSR_RC_UP  (2u << 13)
#define X87_RC       (3u << 10)
#define X87_RC_UP    (2u << 10)

static uint16_t x87_cw(void)
{
	uint16_t cw;
	__asm__ volatile("fnstcw %0" : "=m"(cw));
	return cw;
}

static void x87_set_cw(uint16_t cw)
{
	__asm__ volatile("fldcw %0" : : "m"(cw));
}

static void round_up(void)
{
	_mm_setcsr((_mm_getcsr() & ~MXCSR_RC) | MXCSR_RC_UP);
	x87_set_cw((x87_cw() & ~X87_RC) | X87_RC_UP);
}

static int rounding_is_up(void)
{
	return (_mm_getcsr() & MXCSR_RC) == MXCSR_RC_UP && (x87_cw() & X87_RC) == X87_RC_UP;
}

static int rounding_is_nearest(void)
{
	return (_mm_getcsr() & MXCSR_RC) == 0 && (x87_cw() & X87_RC) == 0;
}

/* Starts with the creator's modes (up), sets nearest, and finds nearest again
 * after the test, which runs with up in between. */
static void modes_in_co(void *arg)
{
	struct duo *d = arg;
	d->flag = rounding_is_up();
	uint32_t mxcsr = _mm_getcsr() & ~MXCSR_RC;
	uint16_t cw = x87_cw() & ~X87_RC;
	_mm_setcsr(mxcsr);
	x87_set_cw(cw);
	coro_switch(&d->co, &d->main);
	d->flag += rounding_is_nearest();
	coro_switch(&d->co, &d->main);   /* for good */
}

static void test_coro_floating_point_modes_per_context(void **state)
{
	uint32_t mxcsr = _mm_getcsr();
	uint16_t cw = x87_cw();
	assert_true(rounding_is_nearest());
	round_up();
	struct duo *d = duo_new(modes_in_co);   /* inherits rounding up */
	coro_switch(&d->main, &d->co);
	assert_true(rounding_is_up());           /* not the coroutine's nearest */
	coro_switch(&d->main, &d->co);
	assert_true(rounding_is_up());
	assert_int_equal(d->flag, 2);
	_mm_setcsr(mxcsr);
	x87_set_cw(cw);
	duo_free(d);
}
#endif

/* ---- An entry function that returns ---- */

static void returns(void *arg)
{
	(void)arg;
}

/* In a child process: the return must abort with a message. */
static void test_coro_return_aborts(void **state)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);
		signal(SIGABRT, SIG_DFL);
		dup2(fds[1], 2);
		struct duo *d = duo_new(returns);
		coro_switch(&d->main, &d->co);
		_exit(0);   /* not reached when the trap works */
	}
	close(fds[1]);
	char msg[256];
	size_t n = 0;
	ssize_t got;
	while (n < sizeof(msg) - 1 && (got = read(fds[0], msg + n, sizeof(msg) - 1 - n)) > 0)
		n += (size_t)got;
	msg[n] = 0;
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_non_null(strstr(msg, "coroutine entry function"));
	assert_non_null(strstr(msg, "returned"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coro_ping_pong),
		cmocka_unit_test(test_coro_callee_saved_registers_survive),
		cmocka_unit_test(test_coro_frame_pointer_survives),
		cmocka_unit_test(test_coro_floating_point_values_survive),
		cmocka_unit_test(test_coro_two_coroutines),
		cmocka_unit_test(test_coro_reinit_after_finish),
		cmocka_unit_test(test_coro_stack_alignment),
#if defined(__x86_64__)
		cmocka_unit_test(test_coro_floating_point_modes_per_context),
#endif
		cmocka_unit_test(test_coro_return_aborts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
