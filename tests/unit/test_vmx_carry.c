/* vmx_carry.c: what VM entry and exit do not switch passes from one engine to the
 * other, in place between the live states (cpustate_env_find), by the calibrated
 * raw copy and by the register-API fallback that a Unicorn build with another
 * layout gets (each value is read back through the
 * API, so a wrong offset shows). The calibration must succeed on the builds vtsim
 * supports (x86-64 and arm64 hosts). image/vmx_shared_state asserts the same
 * through a VMM and its guest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sim/cpu/cpustate.h"
#include "sim/cpu/vmx_carry.h"

struct duo {
	struct cpustate_layout lay;
	uc_engine *a, *b;
	struct cpustate ca, cb;
};

enum carry_way { WAY_ENV, WAY_RAW, WAY_API };

static void duo_open(struct duo *d, enum carry_way way)
{
	char err[256];
	uc_engine *probe;
	assert_int_equal(uc_open(UC_ARCH_X86, UC_MODE_64, &probe), UC_ERR_OK);
	assert_int_equal(cpustate_calibrate(probe, &d->lay, err, sizeof(err)), 0);
	uc_close(probe);
	assert_true(d->lay.shared_ok);
	assert_true(d->lay.env_ok);
	d->lay.shared_ok = way != WAY_API;
	/* The raw copy is what a build whose chain to the live state differs gets: a
	 * wrong offset must make the search give up, not crash. */
	if (way == WAY_RAW)
		d->lay.env_in_cpu += 8;
	assert_int_equal(uc_open(UC_ARCH_X86, UC_MODE_64, &d->a), UC_ERR_OK);
	assert_int_equal(uc_open(UC_ARCH_X86, UC_MODE_64, &d->b), UC_ERR_OK);
	assert_int_equal(cpustate_init(&d->ca, d->a, &d->lay), 0);
	assert_int_equal(cpustate_init(&d->cb, d->b, &d->lay), 0);
	/* Each engine's own state, found through the calibrated pointers. */
	assert_true((d->ca.env != NULL) == (way == WAY_ENV));
	assert_true((d->cb.env != NULL) == (way == WAY_ENV));
	assert_true(d->ca.env != d->cb.env || way != WAY_ENV);
}

static void duo_close(struct duo *d)
{
	cpustate_fini(&d->ca);
	cpustate_fini(&d->cb);
	uc_close(d->a);
	uc_close(d->b);
}

static const uint32_t msrs[] = { 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, 0xc0000102 };

/* The vector registers written and read: the ends of the XMM range (QEMU keeps
 * each register in a wider slot) and one in the middle, whole YMM registers. */
static const int ymm_regs[] = { UC_X86_REG_YMM0, UC_X86_REG_YMM9, UC_X86_REG_YMM15 };
#define NR_YMM (sizeof(ymm_regs) / sizeof(ymm_regs[0]))

/* Distinct values in `src`, then one carry: `dst` must read them back. */
static void carry_and_check(uc_engine *src, struct cpustate *cs_src, uc_engine *dst, struct cpustate *cs_dst,
			    uint64_t salt)
{
	uint8_t ymm[NR_YMM][32], st[10] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0xff, 0x3f };
	st[0] = (uint8_t)salt;
	for (size_t r = 0; r < NR_YMM; r++) {
		for (int i = 0; i < 32; i++)
			ymm[r][i] = (uint8_t)(salt + 7 * i + 64 * r);
		assert_int_equal(uc_reg_write(src, ymm_regs[r], ymm[r]), UC_ERR_OK);
	}
	uint32_t mxcsr = 0x5f80 ^ (salt & 0x3f);
	uint16_t fpcw = 0x27f ^ (salt & 0xc00);
	assert_int_equal(uc_reg_write(src, UC_X86_REG_MXCSR, &mxcsr), UC_ERR_OK);
	assert_int_equal(uc_reg_write(src, UC_X86_REG_FPCW, &fpcw), UC_ERR_OK);
	assert_int_equal(uc_reg_write(src, UC_X86_REG_ST0, st), UC_ERR_OK);
	cpustate_set_cr2(cs_src, 0x7000 + salt);
	cpu_set_reg(src, UC_X86_REG_DR0, 0x8000 + salt);
	cpu_set_reg(src, UC_X86_REG_DR2, 0x9000 + salt);
	cpu_set_reg(src, UC_X86_REG_DR3, 0xa000 + salt);
	cpu_set_reg(src, UC_X86_REG_DR6, 0xffff4ff2);
	for (size_t i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++)
		cpu_set_msr(src, msrs[i], 0xffff800000001000ull + salt + i);

	vmx_carry_state(cs_src, cs_dst);

	uint8_t ymm_b[32], st_b[10] = { 0 };
	uint32_t mxcsr_b = 0;
	uint16_t fpcw_b = 0;
	for (size_t r = 0; r < NR_YMM; r++) {
		memset(ymm_b, 0, sizeof(ymm_b));
		uc_reg_read(dst, ymm_regs[r], ymm_b);
		assert_memory_equal(ymm_b, ymm[r], 32);
	}
	uc_reg_read(dst, UC_X86_REG_MXCSR, &mxcsr_b);
	uc_reg_read(dst, UC_X86_REG_FPCW, &fpcw_b);
	uc_reg_read(dst, UC_X86_REG_ST0, st_b);
	assert_int_equal(mxcsr_b, mxcsr);
	assert_int_equal(fpcw_b, fpcw);
	assert_memory_equal(st_b, st, 10);
	assert_int_equal(cpu_reg(dst, UC_X86_REG_CR2), 0x7000 + salt);
	assert_int_equal(cpu_reg(dst, UC_X86_REG_DR0), 0x8000 + salt);
	assert_int_equal(cpu_reg(dst, UC_X86_REG_DR2), 0x9000 + salt);
	assert_int_equal(cpu_reg(dst, UC_X86_REG_DR3), 0xa000 + salt);
	assert_int_equal(cpu_reg(dst, UC_X86_REG_DR6), 0xffff4ff2);
	for (size_t i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++)
		assert_int_equal(cpu_msr(dst, msrs[i]), 0xffff800000001000ull + salt + i);
	/* The registers the VMCS switches are not touched. */
	assert_int_equal(cpu_reg(dst, UC_X86_REG_RAX), 0);
}

/* Round trips, as VM entries and exits make them: each way in turn, every value
 * changed before each carry, so a carry that lost one (or copied the wrong way)
 * leaves the other engine's old value. */
static void round_trips(struct duo *d)
{
	for (uint64_t r = 1; r <= 3; r++) {
		carry_and_check(d->a, &d->ca, d->b, &d->cb, 0x10 * r);
		carry_and_check(d->b, &d->cb, d->a, &d->ca, 0x10 * r + 8);
	}
}

static void carry_twice_and_xcr0(enum carry_way way)
{
	struct duo d;
	duo_open(&d, way);
	round_trips(&d);
	/* XCR0 (no register ID): patched in `a`'s saved state, it arrives in `b`'s. */
	uint64_t xcr0 = 1, got = 0;
	uc_context_save(d.a, d.ca.ctx);
	memcpy((uint8_t *)d.ca.ctx + d.lay.xcr0, &xcr0, 8);
	uc_context_restore(d.a, d.ca.ctx);
	vmx_carry_state(&d.ca, &d.cb);
	uc_context_save(d.b, d.cb.ctx);
	memcpy(&got, (uint8_t *)d.cb.ctx + d.lay.xcr0, 8);
	assert_int_equal(got, 1);
	duo_close(&d);
}

static void test_in_place(void **state)
{
	(void)state;
	carry_twice_and_xcr0(WAY_ENV);
}

static void test_raw_copy(void **state)
{
	(void)state;
	carry_twice_and_xcr0(WAY_RAW);
}

static void test_register_api_fallback(void **state)
{
	(void)state;
	struct duo d;
	duo_open(&d, WAY_API);
	round_trips(&d);
	duo_close(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_place),
		cmocka_unit_test(test_raw_copy),
		cmocka_unit_test(test_register_api_fallback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
