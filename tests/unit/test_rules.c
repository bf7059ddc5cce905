/* Every VM-instruction error number and VMfailInvalid cause has its rule, what
 * would satisfy it and its SDM section (sim/vmcs/error_rules.c), and
 * every TDX status code its sentence (sim/tdx_module_stub/status_text.c), whatever
 * operand id bits 31:0 carry. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim/cpu/diag_once.h"
#include "sim/tdx_module_stub/status.h"
#include "sim/vmcs/error_rules.h"
#include "sim/vmcs/errors.h"
#include "sim/tdx_module_stub/status_text.h"

static const struct { const char *name; uint64_t value; } codes[] = {
#define STATUS_ROW(n, v) { #n, v },
	TDX_STATUS_CODES(STATUS_ROW)
#undef STATUS_ROW
};

static void test_every_status_has_a_rule(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *r = tdx_status_rule(codes[i].value);
		if (!r)
			fail_msg("%s has no sentence", codes[i].name);
		assert_true(strlen(r) > 10);
		assert_ptr_equal(tdx_status_rule(codes[i].value | 0x92), r);
	}
}

static const unsigned errors[] = {
#define ERROR_ROW(n, name, what) n,
	VMX_INSN_ERRORS(ERROR_ROW)
#undef ERROR_ROW
};

static void assert_complete(const struct vmx_fail_rule *r, const char *what, unsigned n)
{
	if (!r || !r->rule || !r->fix || !r->section)
		fail_msg("%s %u has no complete rule (rule, fix and SDM section)", what, n);
	assert_true(strlen(r->rule) > 20);
	assert_true(strlen(r->fix) > 10);
	assert_true(r->section[0] == '"');
}

/* Every number 1-28 the SDM assigns has a complete rule; the reserved ones (14,
 * 21, 27) and 0 have none. */
static void test_every_error_has_a_rule(void **state)
{
	(void)state;
	for (unsigned n = 0; n <= 28; n++) {
		bool assigned = false;
		for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
			assigned |= errors[i] == n && n != 0;
		if (assigned)
			assert_complete(vmx_insn_error_rule(n), "VM-instruction error", n);
		else
			assert_null(vmx_insn_error_rule(n));
	}
	assert_null(vmx_insn_error_rule(14));
	assert_null(vmx_insn_error_rule(21));
	assert_null(vmx_insn_error_rule(27));
	assert_null(vmx_insn_error_rule(1000));
	const struct vmx_fail_rule *r = vmx_insn_error_rule(VMXERR_VMLAUNCH_NONCLEAR_VMCS);
	assert_string_equal(r->rule, "VMLAUNCH needs a current VMCS whose launch state is clear");
	assert_string_equal(r->fix, "after a successful VMLAUNCH use VMRESUME, or VMCLEAR and VMPTRLD "
			    "the VMCS to launch it again");
	assert_string_equal(r->section, "\"VMLAUNCH/VMRESUME-Launch/Resume Virtual Machine\"");
}

/* Every cause of VMfailInvalid has one too. */
static void test_every_fail_invalid_cause_has_a_rule(void **state)
{
	(void)state;
	assert_null(vmx_fail_invalid_rule(VMFAIL_INVALID_NONE));
	for (unsigned c = VMFAIL_INVALID_NONE + 1; c < VMFAIL_INVALID_NR_CAUSES; c++)
		assert_complete(vmx_fail_invalid_rule(c), "VMfailInvalid cause", c);
	assert_null(vmx_fail_invalid_rule(VMFAIL_INVALID_NR_CAUSES));
	assert_string_equal(vmx_fail_invalid_rule(VMFAIL_INVALID_VMXON_REVISION)->fix,
			    "write the revision identifier there before VMXON");
}

static void test_unknown_status(void **state)
{
	(void)state;
	assert_null(tdx_status_rule(0xC0000FFF00000000ull));
	assert_string_equal(tdx_status_rule(TDX_TD_KEYS_NOT_CONFIGURED),
			    "the TD's private key (its HKID) is not programmed yet: call "
			    "TDH.MNG.KEY.CONFIG on every package right after TDH.MNG.CREATE");
}

/* Each distinct (what, RIP) is told once; after DIAG_ONCE_MAX of them, one notice
 * and then silence. */
static void test_diag_once(void **state)
{
	(void)state;
	struct diag_once d = { 0 };
	assert_int_equal(diag_once(&d, 12, 0x1000), DIAG_TELL);
	assert_int_equal(diag_once(&d, 12, 0x1000), DIAG_SEEN);
	assert_int_equal(diag_once(&d, 12, 0x1004), DIAG_TELL);
	assert_int_equal(diag_once(&d, 13, 0x1000), DIAG_TELL);
	for (uint64_t rip = 0x2000; d.n < DIAG_ONCE_MAX; rip++)
		assert_int_equal(diag_once(&d, 12, rip), DIAG_TELL);
	assert_int_equal(diag_once(&d, 12, 0x1000), DIAG_SEEN);
	assert_int_equal(diag_once(&d, 99, 0x1000), DIAG_TELL_OVERFLOW);
	assert_int_equal(diag_once(&d, 98, 0x1000), DIAG_SEEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_status_has_a_rule),
		cmocka_unit_test(test_unknown_status),
		cmocka_unit_test(test_every_error_has_a_rule),
		cmocka_unit_test(test_every_fail_invalid_cause_has_a_rule),
		cmocka_unit_test(test_diag_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
