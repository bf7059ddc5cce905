/* Every VM-instruction error number has its rule (sim/vmcs/error_rules.c), and
 * every TDX status code its sentence (sim/tdx_module_stub/status_text.c), whatever
 * operand id bits 31:0 carry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

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

static void test_every_error_has_a_rule(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		const char *r = vmx_insn_error_rule(errors[i]);
		if (errors[i] == 0)
			assert_null(r);
		else if (!r)
			fail_msg("VM-instruction error %u has no rule", errors[i]);
	}
	assert_null(vmx_insn_error_rule(14));      /* not assigned */
	assert_null(vmx_insn_error_rule(1000));
	assert_string_equal(vmx_insn_error_rule(VMXERR_VMLAUNCH_NONCLEAR_VMCS),
			    "VMLAUNCH needs a current VMCS whose launch state is clear: after a successful "
			    "VMLAUNCH use VMRESUME, or VMCLEAR and VMPTRLD the VMCS to launch it again");
}

static void test_unknown_status(void **state)
{
	(void)state;
	assert_null(tdx_status_rule(0xC0000FFF00000000ull));
	assert_string_equal(tdx_status_rule(TDX_TD_KEYS_NOT_CONFIGURED),
			    "the TD's private key (its HKID) is not programmed yet: call "
			    "TDH.MNG.KEY.CONFIG on every package right after TDH.MNG.CREATE");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_status_has_a_rule),
		cmocka_unit_test(test_unknown_status),
		cmocka_unit_test(test_every_error_has_a_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
