/* The exit-reason audit: for every basic exit reason 0-85, the tests that trigger it,
 * checked against the model's own statement of which reasons it can produce
 * (sim/vmcs/exit_support.h).
 *
 * Each trigger row names a ctest (image/NAME, guest/NAME or unit/test_NAME) and an
 * exact text of that test's source that asserts the reason: the row is kept honest by
 * requiring the text to be there on an assertion line (on_assertion_line) and to name
 * the reason (its number, 0x8000_00NN for an entry failure, or EXIT_REASON_NAME).
 * Suppression rows, whose text is on an assertion line too, name a test that shows the
 * governing control at 0 (or, for VMFUNC, the function enabled and the switch valid)
 * letting the instruction or event pass without the exit, or the architected fault
 * instead of it.
 *
 * The completeness test fails when the default model ("xeon") can produce a reason
 * that has neither a trigger row nor an UNTESTED row (a gap stated here), when an
 * UNTESTED reason gained a trigger row (drop the UNTESTED row), or when a trigger row
 * names a reason the model cannot produce, or when a reason the default model
 * produces under a VM-execution control has no suppression row. It prints the
 * totals and the gaps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/cpu/cpuid.h"
#include "sim/vmcs/caps.h"
#include "sim/vmcs/exit_reasons.h"
#include "sim/vmcs/exit_support.h"
#include "tests/unit/test_sources.h"

enum row_kind { TRIGGER, SUPPRESS, UNTESTED };

struct row {
	uint8_t reason;
	enum row_kind kind;
	const char *test;      /* ctest name; UNTESTED: NULL */
	const char *evidence;  /* exact source text; UNTESTED: what is missing */
};

#define T(n, test, ev) { n, TRIGGER, test, ev }
#define S(n, test, ev) { n, SUPPRESS, test, ev }
#define U(n, why)      { n, UNTESTED, NULL, why }

static const struct row rows[] = {
	T(0, "image/vmexit_exception", "CHECK \"ud-reason\", rax, 0"),
	T(0, "image/vmexit_ept", "CHECK \"pf-reason\", rax, 0"),
	T(0, "image/vmexit_debug_regs", "CHECK \"nop-step-reason\", rax, 0"),
	T(0, "image/vmexit_nmi", "CHECK \"exit-reason\", rax, 0"),
	S(0, "image/vmexit_exception", "CHECK \"guest-ud-delivered\""),
	S(0, "image/vmexit_nmi", "CHECK \"noexit-delivered\""),
	S(0, "image/vmexit_exception", "CHECK \"nomatch-write-delivered\""),
	T(1, "image/vmexit_external_interrupt", "CHECK \"ack-reason\", rax, 1"),
	T(1, "image/vmexit_external_interrupt", "CHECK \"noack-reason\", rax, 1"),
	S(1, "image/vmexit_external_interrupt", "CHECK \"noexit-still-in-irr\""),
	T(2, "image/vmexit_triple_fault", "CHECK \"tf-reason\", rax, 2"),
	T(3, "image/vmexit_init_signal", "CHECK \"init-reason\", rax, 3"),
	T(4, "image/vmexit_sipi_signal", "CHECK \"sipi-reason\", rax, 4"),
	T(5, "image/vmx_smm_exits", "VMM_CHECK \"smi-exit-reason\", VMCS_EXIT_REASON, (1 << 29) | 5"),
	T(7, "image/vmexit_window_shadow", "CHECK \"irq-open-reason\", rax, 7"),
	T(7, "image/vmexit_mtf_window", "CHECK \"iw-open-reason\", rax, 7"),
	T(8, "image/vmexit_nmi_window", "CHECK \"open-reason\", rax, 8"),
	T(8, "image/vmexit_window_shadow", "CHECK \"nmi-open-reason\", rax, 8"),
	S(7, "image/vmexit_mtf_window", "CHECK \"final-vmcall\", rax, 18"),
	S(8, "image/vmexit_nmi_window", "CHECK \"final-vmcall\", rax, 18"),
	T(9, "image/vmexit_task_switch", "CHECK \"jmp-tss-reason\", rax, 9"),
	T(9, "image/vmexit_task_switch", "CHECK \"int-gate-reason\", rax, 9"),
	T(10, "image/vmexit_cpuid", "CHECK \"cpuid-reason\", rax, 10"),
	T(10, "unit/test_fuzzbugs", "assert_exit(&x, EXIT_REASON_CPUID, G_CODE, 5)"),
	T(11, "image/vmexit_invd_xsetbv", "CHECK \"getsec-reason\", rax, 11"),
	T(12, "image/vmexit_hlt", "CHECK \"hlt-reason\", rax, 12"),
	S(12, "image/vmexit_hlt", ";! stderr: guest halted"),
	T(13, "image/vmexit_invd_xsetbv", "CHECK \"invd-reason\", rax, 13"),
	T(14, "image/vmexit_conditional", "CHECK \"invlpg-reason\", rax, 14"),
	S(14, "image/vmexit_conditional", "VMM_CHECK \"monitor-off-ud-rip\", VMCS_GUEST_RIP, g_monitor2"),
	T(15, "image/vmexit_conditional", "CHECK \"rdpmc-reason\", rax, 15"),
	S(15, "image/vmexit_conditional", "CHECK \"rdpmc-off-gp-reason\", rax, 0"),
	T(16, "image/vmexit_conditional", "CHECK \"rdtsc-reason\", rax, 16"),
	S(16, "image/vmexit_conditional", "CHECK \"offset-phase\", rax, 18"),
	T(17, "image/vmx_smm_rsm", "VMM_CHECK \"rsm-reason\", VMCS_EXIT_REASON, 17"),
	T(18, "image/vmexit_vmcall_vmx", "dq n_vmcall, 18"),
	T(18, "image/vmexit_cpuid", "CHECK \"vmcall-reason\", rax, 18"),
	T(19, "image/vmexit_vmcall_vmx", "dq n_vmclear, 19"),
	T(20, "image/vmexit_vmcall_vmx", "dq n_vmlaunch, 20"),
	T(21, "image/vmexit_vmcall_vmx", "dq n_vmptrld, 21"),
	T(21, "image/vmexit_insn_info", "CHECK \"vmptrld-reason\", rax, 21"),
	T(22, "image/vmexit_vmcall_vmx", "dq n_vmptrst, 22"),
	T(23, "image/vmexit_vmcall_vmx", "dq n_vmread, 23"),
	T(23, "image/vmexit_insn_info", "CHECK \"vmread-mem-reason\", rax, 23"),
	S(23, "image/vmx_vmcs_shadowing", "CHECK_MASK \"shadow-vmread-succeeded\""),
	T(24, "image/vmexit_vmcall_vmx", "dq n_vmresume, 24"),
	T(25, "image/vmexit_vmcall_vmx", "dq n_vmwrite, 25"),
	S(25, "image/vmx_vmcs_shadowing", "CHECK_MASK \"shadow-vmwrite-succeeded\""),
	T(26, "image/vmexit_vmcall_vmx", "dq n_vmxoff, 26"),
	T(27, "image/vmexit_vmcall_vmx", "dq n_vmxon, 27"),
	T(28, "image/vmexit_cr", "CHECK \"cr0-write-exit-reason\", rax, 28"),
	T(28, "image/vmexit_clts_lmsw", "CHECK \"clts-reason\", rax, 28"),
	S(28, "image/vmexit_cr", "CHECK_MASK \"cr0-read-shadow\""),
	T(28, "image/vmexit_cr", "CHECK \"cr4-write-exit-reason\", rax, 28"),
	S(28, "image/vmexit_cr", "VMM_CHECK \"cr3-target-no-exit\""),
	S(28, "image/vmexit_cr", "VMM_CHECK_MASK \"cr4-guest-bit-written\""),
	S(28, "image/vmexit_cr", "CHECK \"off-done-reason\", rax, 18"),
	T(29, "unit/test_fuzzbugs", "assert_exit(&x, EXIT_REASON_DR_ACCESS"),
	S(29, "image/vmexit_debug_regs", "CHECK \"dr-exit-reason\", rax, 18"),
	T(30, "image/vmexit_io", "CHECK \"out-imm8-reason\", rax, 30"),
	S(30, "image/vmexit_io", ";! stdout: guest: COM1 without an exit"),
	T(31, "image/vmexit_msr", "CHECK \"rd-reason\", rax, 31"),
	S(31, "image/vmexit_msr", "CHECK \"guest-rd-pat\""),
	T(32, "image/vmexit_msr", "CHECK \"wr-reason\", rax, 32"),
	S(32, "image/vmexit_msr", "VMM_CHECK \"guest-sysenter-cs-saved\""),
	T(33, "image/vmentry_fail_guest", "exit reason 0x80000021"),
	T(33, "unit/test_entry_steps", "EXIT_REASON_INVALID_STATE"),
	T(34, "unit/test_entry_steps", "EXIT_REASON_MSR_LOAD_FAIL | EXIT_REASON_FAILED_VMENTRY"),
	T(37, "image/vmexit_mtf_window", "CHECK \"mtf1-reason\", rax, 37"),
	S(37, "image/vmexit_mtf_window", "CHECK \"mtf-off-vmcall\", rax, 18"),
	T(40, "image/vmexit_conditional", "CHECK \"pause-reason\", rax, 40"),
	S(40, "image/vmexit_conditional", "VMM_CHECK \"monitor-off-ud-rip\", VMCS_GUEST_RIP, g_monitor2"),
	T(40, "image/vmexit_pause_loop", "CHECK \"tight-reason\", rax, 40"),
	S(40, "image/vmexit_pause_loop", "CHECK \"gap-no-exit\", rax, 18"),
	T(41, "unit/test_entry_steps", "EXIT_REASON_MCE_DURING_VMENTRY | EXIT_REASON_FAILED_VMENTRY"),
	T(43, "image/vmexit_apic_access", "CHECK \"tpr-low-reason\", rax, 43"),
	T(43, "image/vmexit_apic_access", "CHECK \"cr8-reason\", rax, 43"),
	T(43, "image/vmexit_apic_access", "CHECK \"entry-tpr-reason\", rax, 43"),
	S(43, "image/vmexit_apic_access", "CHECK \"vtpr-write-reason\", rax, 18"),
	S(43, "image/vmexit_apic_access", "CHECK \"entry-tpr-none\", rax, 18"),
	T(44, "image/vmexit_apic_access", "CHECK \"read-reason\", rax, 44"),
	T(44, "image/vmexit_apic_access", "CHECK \"write-reason\", rax, 44"),
	T(44, "image/vmexit_apic_access", "CHECK \"fetch-reason\", rax, 44"),
	S(44, "image/vmexit_apic_access", "CHECK \"plain-reason\", rax, 18"),
	T(45, "image/vmexit_apic_virt", "CHECK \"eoi-reason\", rax, 45"),
	T(45, "image/vmexit_apic_virt", "CHECK \"ipi-reason\", rax, 45"),
	S(45, "image/vmexit_apic_virt", "CHECK \"eoi-noexit-reason\", rax, 18"),
	T(46, "image/vmexit_descriptor_table", "CHECK \"sgdt-reason\", rax, 46"),
	S(46, "image/vmexit_descriptor_table", "CHECK \"native-sgdt-limit\""),
	T(47, "image/vmexit_descriptor_table", "CHECK \"sldt-reason\", rax, 47"),
	S(47, "image/vmexit_descriptor_table", "CHECK \"native-sldt\""),
	T(48, "image/vmexit_ept", "CHECK \"read-reason\", rax, 48"),
	S(48, "image/vmexit_ept", "CHECK \"no-ept-not-present-vmcall\", rax, 18"),
	T(49, "image/vmexit_ept", "CHECK \"misconfig-reason\", rax, 49"),
	S(49, "image/vmexit_ept", "CHECK \"no-ept-misconfig-vmcall\", rax, 18"),
	T(50, "image/vmexit_vmcall_vmx", "dq n_invept, 50"),
	T(51, "image/vmexit_conditional", "CHECK \"rdtscp-reason\", rax, 51"),
	S(51, "image/vmexit_conditional", ";! stdout: ok rdtscp-offset-added"),
	T(52, "image/vmexit_preemption_timer", "CHECK \"timer-reason\", rax, 52"),
	T(52, "image/vmexit_preemption_timer_hlt", "CHECK \"hlt-reason\", rax, 52"),
	S(52, "image/vmexit_preemption_timer", "CHECK \"timer-off-vmcall\", rax, 18"),
	T(53, "image/vmexit_vmcall_vmx", "dq n_invvpid, 53"),
	T(54, "image/vmexit_descriptor_table", "CHECK \"wbinvd-reason\", rax, 54"),
	S(54, "image/vmexit_descriptor_table", "CHECK \"native-phase\", rax, 18"),
	T(55, "image/vmexit_invd_xsetbv", "CHECK \"xsetbv-reason\", rax, 55"),
	T(56, "image/vmexit_apic_virt", "CHECK \"svr-reason\", rax, 56"),
	T(56, "image/vmexit_apic_virt", "CHECK \"eoi-arv-reason\", rax, 56"),
	S(56, "image/vmexit_apic_virt", "CHECK \"tpr-arv-reason\", rax, 18"),
	S(56, "image/vmexit_apic_virt", "CHECK \"svr-noarv-reason\", rax, 44"),
	T(57, "image/vmexit_rdrand_invpcid", "CHECK \"rdrand64-reason\", rax, 57"),
	S(57, "image/vmexit_rdrand_invpcid", "CHECK \"native-rdrand-1\""),
	T(58, "image/vmexit_rdrand_invpcid", "CHECK \"invpcid-reason\", rax, 58"),
	S(58, "image/vmexit_rdrand_invpcid", "CHECK \"native-reason\", rax, 18"),
	T(59, "image/vmexit_vmfunc", "CHECK \"ecx512-reason\", rax, 59"),
	S(59, "image/vmexit_vmfunc", "CHECK \"switch-reason\", rax, 18"),
	T(61, "image/vmexit_rdrand_invpcid", "CHECK \"rdseed16-reason\", rax, 61"),
	S(61, "image/vmexit_rdrand_invpcid", "CHECK \"native-rdseed-2\""),
	T(62, "image/vmexit_pml", "CHECK \"full-reason\", rax, 62"),
	T(62, "image/vmexit_pml", "CHECK \"read-full-reason\", rax, 62"),
	S(62, "image/vmexit_pml", "CHECK \"off-log-untouched\""),
	T(76, "image/vmexit_vmcall_vmx", "dq n_seamcall, 76"),
	T(77, "unit/test_kvmlike_td", "assert_int_equal(st->exits_by_reason[EXIT_REASON_TDCALL]"),
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))
#define LAST_REASON 85

/* text holds `word` with no digit, letter or '_' on either side. */
static bool has_word(const char *text, const char *word)
{
	size_t wl = strlen(word);
	for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
		char before = p == text ? ' ' : p[-1], after = p[wl];
		bool edge_b = !(before == '_' || (before >= '0' && before <= '9') ||
				(before >= 'a' && before <= 'z') || (before >= 'A' && before <= 'Z'));
		bool edge_a = !(after == '_' || (after >= '0' && after <= '9') ||
				(after >= 'a' && after <= 'z') || (after >= 'A' && after <= 'Z'));
		if (edge_b && edge_a)
			return true;
	}
	return false;
}

/* The evidence names the reason: its number, its entry-failure form or its symbol. */
static bool names_reason(const char *ev, unsigned n)
{
	char w[64];
	snprintf(w, sizeof(w), "%u", n);
	if (has_word(ev, w))
		return true;
	snprintf(w, sizeof(w), "0x%x", 0x80000000u | n);
	if (has_word(ev, w))
		return true;
	snprintf(w, sizeof(w), "EXIT_REASON_%s", vmx_exit_reason_name(n));
	return has_word(ev, w);
}

static unsigned rows_of(unsigned n, enum row_kind kind)
{
	unsigned k = 0;
	for (size_t i = 0; i < NROWS; i++)
		k += rows[i].reason == n && rows[i].kind == kind;
	return k;
}

static const char *untested_why(unsigned n)
{
	for (size_t i = 0; i < NROWS; i++)
		if (rows[i].reason == n && rows[i].kind == UNTESTED)
			return rows[i].evidence;
	return "";
}

static const struct vmcs_caps *default_caps(void)
{
	const struct vmcs_caps *c = vmcs_caps_for_cpu(cpuid_model_default());
	assert_non_null(c);
	return c;
}

/* Every reason 0-85 the SDM names has a support row; reserved numbers have none. */
static void test_exit_support_covers_0_to_85(void **state)
{
	(void)state;
	for (unsigned n = 0; n <= LAST_REASON; n++) {
		bool reserved = !strcmp(vmx_exit_reason_name(n), "RESERVED");
		const struct exit_support *s = exit_support_of(n);
		if (reserved) {
			assert_null(s);
			continue;
		}
		if (!s)
			fail_msg("reason %u (%s) has no exit_support row", n, vmx_exit_reason_name(n));
		assert_int_equal(s->reason, n);
		assert_non_null(s->why);
	}
	assert_null(exit_support_of(LAST_REASON + 1));
}

/* The line of `src` that holds `at` asserts something: an image's CHECK (CHECK,
 * VMM_CHECK, CHECK_MASK ...) or its expected output (";! stdout:"/";! stderr:"), a
 * row of an image's table of expected exits ("dq n_NAME, REASON", walked by a
 * checking loop), or a cmocka assert_ in a unit test. A comment or a control write
 * that merely mentions the text does not count. */
static bool on_assertion_line(const char *src, const char *at)
{
	const char *line = at;
	while (line > src && line[-1] != '\n')
		line--;
	while (*line == ' ' || *line == '\t')
		line++;
	const char *end = strchr(at, '\n');
	size_t len = end ? (size_t)(end - line) : strlen(line);
	char buf[512];
	snprintf(buf, sizeof(buf), "%.*s", (int)(len < sizeof(buf) - 1 ? len : sizeof(buf) - 1), line);
	if (!strncmp(buf, ";! stdout:", 10) || !strncmp(buf, ";! stderr:", 10) || !strncmp(buf, "dq n_", 5))
		return true;
	if (buf[0] == ';' || !strncmp(buf, "/*", 2) || buf[0] == '*' || !strncmp(buf, "//", 2))
		return false;
	return strstr(buf, "CHECK") || strstr(buf, "assert_");
}

/* The evidence occurs on an assertion line somewhere in the source. */
static bool asserted_in(const char *src, const char *evidence)
{
	for (const char *p = strstr(src, evidence); p; p = strstr(p + 1, evidence))
		if (on_assertion_line(src, p))
			return true;
	return false;
}

/* Each row's test exists and holds its evidence on an assertion line; a trigger's
 * evidence names the reason. */
static void test_exit_trigger_rows_are_real(void **state)
{
	(void)state;
	for (size_t i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i];
		assert_non_null(exit_support_of(r->reason));
		if (r->kind == UNTESTED)
			continue;
		char *path = test_source_path(r->test);
		char *src = test_source_text(path);
		if (!strstr(src, r->evidence))
			fail_msg("%s (%s) does not contain: %s", r->test, path, r->evidence);
		if (!asserted_in(src, r->evidence))
			fail_msg("%s (%s): \"%s\" is not on an assertion line", r->test, path, r->evidence);
		if (r->kind == TRIGGER && !names_reason(r->evidence, r->reason))
			fail_msg("%s: evidence \"%s\" does not name reason %u", r->test, r->evidence,
				 r->reason);
		free(src);
		free(path);
	}
}

/* The default model: every reason it can produce is triggered by a test or stated as
 * untested here; nothing it cannot produce claims a trigger. Prints the audit. */
static void test_exit_triggers_complete_for_default_model(void **state)
{
	(void)state;
	const struct vmcs_caps *c = default_caps();
	unsigned tested = 0, untested = 0, unsupported = 0, gaps = 0, bad = 0;

	for (unsigned n = 0; n <= LAST_REASON; n++) {
		const struct exit_support *s = exit_support_of(n);
		if (!s)
			continue;
		unsigned t = rows_of(n, TRIGGER), u = rows_of(n, UNTESTED);
		if (!exit_support_producible(c, n)) {
			bool gap = s->missing && exit_support_gate_open(c, s);
			gaps += gap;
			unsupported += !gap;
			if (t || u) {
				print_error("reason %u %s: the model does not produce it, yet it has "
					    "test rows\n", n, vmx_exit_reason_name(n));
				bad++;
			}
			continue;
		}
		if (t && u) {
			print_error("reason %u %s: triggered now, drop its UNTESTED row\n", n,
				    vmx_exit_reason_name(n));
			bad++;
		} else if (t) {
			tested++;
		} else if (u) {
			untested++;
			print_message("untested: reason %u %s: %s\n", n, vmx_exit_reason_name(n),
				      untested_why(n));
		} else {
			print_error("reason %u %s: the default model produces it and no test "
				    "triggers it\n", n, vmx_exit_reason_name(n));
			bad++;
		}
	}
	for (unsigned n = 0; n <= LAST_REASON; n++) {
		const struct exit_support *s = exit_support_of(n);
		if (s && s->gate == EXIT_GATE_CTL && exit_support_producible(c, n) &&
		    !rows_of(n, SUPPRESS)) {
			print_error("no suppression test: reason %u %s (%s)\n", n,
				    vmx_exit_reason_name(n), s->why);
			bad++;
		}
		if (s && s->missing && exit_support_gate_open(c, s))
			print_message("gap: reason %u %s: the model allows it, vtsim does not "
				      "produce it: %s\n", n, vmx_exit_reason_name(n), s->missing);
	}
	print_message("exit reasons (default model): %u with trigger tests, %u supported "
		      "without tests, %u claimed but not produced, %u not supported\n",
		      tested, untested, gaps, unsupported);
	assert_int_equal(bad, 0);
}

/* The model's own statements: the gates of exits tied to instructions the CPUID model
 * lacks are shut in every model (MONITOR/MWAIT, XSAVES/XRSTORS, ENCLS, PCONFIG, user
 * wait ...); GETSEC's only in the one without SMX. */
static void test_exit_support_unclaimed_features_shut(void **state)
{
	(void)state;
	static const unsigned shut[] = { 36, 39, 60, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73,
					 74, 75, 78, 79, 80, 81, 84, 85 };
	for (const char *const *name = (const char *const[]){ "xeon", "minimal", NULL }; *name; name++) {
		const struct vmcs_caps *c = vmcs_caps_for_model(*name);
		assert_non_null(c);
		for (size_t i = 0; i < sizeof(shut) / sizeof(shut[0]); i++)
			if (exit_support_producible(c, shut[i]))
				fail_msg("%s: reason %u %s is producible", *name, shut[i],
					 vmx_exit_reason_name(shut[i]));
	}
	/* And the ones the minimal model's lack of secondary controls shuts. */
	const struct vmcs_caps *min = vmcs_caps_for_model("minimal");
	assert_false(exit_support_producible(min, 48));
	assert_false(exit_support_producible(min, 57));
	assert_false(exit_support_producible(min, 11));
	assert_true(exit_support_producible(default_caps(), 11));
	assert_true(exit_support_producible(min, 10));
	assert_true(exit_support_producible(default_caps(), 48));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_support_covers_0_to_85),
		cmocka_unit_test(test_exit_trigger_rows_are_real),
		cmocka_unit_test(test_exit_triggers_complete_for_default_model),
		cmocka_unit_test(test_exit_support_unclaimed_features_shut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
