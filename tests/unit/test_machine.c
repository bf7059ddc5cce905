/* The machine through its public API: configuration checks, loading, running,
 * determinism, and the simulator-instruction sites inside loops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vtsim/vtsim.h"

#define LOAD 0x100000

/* A minimal ELF64 ET_EXEC with one PT_LOAD holding `code` at LOAD. */
static size_t make_elf(uint8_t *out, const uint8_t *code, size_t len)
{
	memset(out, 0, 120);
	memcpy(out, "\x7f" "ELF\x02\x01\x01", 7);
	out[16] = 2; out[18] = 62; out[20] = 1;          /* ET_EXEC, x86-64, version */
	uint64_t entry = LOAD + 120, phoff = 64;
	memcpy(out + 24, &entry, 8);
	memcpy(out + 32, &phoff, 8);
	out[52] = 64; out[54] = 56; out[56] = 1;         /* ehsize, phentsize, phnum */
	uint8_t *ph = out + 64;
	ph[0] = 1; ph[4] = 7;                            /* PT_LOAD, RWX */
	uint64_t addr = LOAD, size = 120 + len;
	memcpy(ph + 16, &addr, 8);
	memcpy(ph + 24, &addr, 8);
	memcpy(ph + 32, &size, 8);
	memcpy(ph + 40, &size, 8);
	memcpy(out + 120, code, len);
	return 120 + len;
}

struct run {
	int status;
	enum vtsim_stop reason;
	uint64_t insns;
	char console[256];
	char diag[512];
};

static void run_code(const uint8_t *code, size_t len, uint64_t max_insns, struct run *r)
{
	uint8_t img[4096];
	size_t n = make_elf(img, code, len);
	struct vtsim_config cfg;
	vtsim_config_defaults(&cfg);
	cfg.ram_size = 16u << 20;
	cfg.max_insns = max_insns;
	memset(r, 0, sizeof(*r));
	cfg.console = fmemopen(r->console, sizeof(r->console) - 1, "w");
	cfg.diag = fmemopen(r->diag, sizeof(r->diag) - 1, "w");
	char err[256];
	struct vtsim_machine *m = vtsim_machine_create(&cfg, err, sizeof(err));
	assert_non_null(m);
	assert_int_equal(vtsim_machine_load(m, img, n, NULL, NULL, 0, err, sizeof(err)), 0);
	struct vtsim_result res;
	vtsim_machine_run(m, &res);
	vtsim_machine_destroy(m);
	fclose(cfg.console);
	fclose(cfg.diag);
	r->status = res.exit_status;
	r->reason = res.reason;
	r->insns = res.insns;
}

static void test_machine_rejects_bad_config(void **state)
{
	struct vtsim_config cfg;
	char err[256];
	vtsim_config_defaults(&cfg);
	cfg.ram_size = (16u << 20) + 4096;
	assert_null(vtsim_machine_create(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "multiple of 2 MiB"));
	vtsim_config_defaults(&cfg);
	cfg.nr_cpus = 0;
	assert_null(vtsim_machine_create(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "CPUs"));
}

static void test_machine_parse_size(void **state)
{
	uint64_t v;
	assert_int_equal(vtsim_parse_size("128M", &v), 0);
	assert_int_equal(v, 128ull << 20);
	assert_int_equal(vtsim_parse_size("1G", &v), 0);
	assert_int_equal(v, 1ull << 30);
	assert_int_equal(vtsim_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(vtsim_parse_size("12X", &v), -1);
	assert_int_equal(vtsim_parse_size("-1M", &v), -1);
	assert_int_equal(vtsim_parse_size("", &v), -1);
}

static void test_machine_load_error_leaves_machine_unloaded(void **state)
{
	struct vtsim_config cfg;
	char err[256];
	vtsim_config_defaults(&cfg);
	cfg.ram_size = 16u << 20;
	char diag[256] = { 0 };
	cfg.diag = fmemopen(diag, sizeof(diag) - 1, "w");
	struct vtsim_machine *m = vtsim_machine_create(&cfg, err, sizeof(err));
	assert_non_null(m);
	static const uint8_t junk[] = "this is not an image";
	assert_int_equal(vtsim_machine_load(m, junk, sizeof(junk), NULL, NULL, 0, err, sizeof(err)), -1);
	struct vtsim_result res;
	vtsim_machine_run(m, &res);
	assert_int_equal(res.reason, VTSIM_STOP_INTERNAL);
	vtsim_machine_destroy(m);
	fclose(cfg.diag);
	assert_non_null(strstr(diag, "no image loaded"));
}

/* out 0xe9 'A'; rdmsr IA32_FEATURE_CONTROL (5); print '0'+5; out 0xf4, 0 */
static const uint8_t msr_code[] = {
	0xb0, 'A', 0xe6, 0xe9,
	0xb9, 0x3a, 0x00, 0x00, 0x00, 0x0f, 0x32,
	0x04, '0', 0xe6, 0xe9,
	0x31, 0xc0, 0xe6, 0xf4,
};

static void test_machine_rdmsr_site_and_debug_exit(void **state)
{
	struct run r;
	run_code(msr_code, sizeof(msr_code), 0, &r);
	assert_string_equal(r.console, "A5");
	assert_int_equal(r.reason, VTSIM_STOP_DEBUG_EXIT);
	assert_int_equal(r.status, 1);
}

/* A loop of 1000 RDTSCs: every one goes through the site hook, and the TSC only
 * moves forward. r8 counts the times it did not; the exit value is r8. */
static const uint8_t tsc_loop[] = {
	0x45, 0x31, 0xc0,                   /* xor r8d, r8d */
	0xb9, 0xe8, 0x03, 0x00, 0x00,       /* mov ecx, 1000 */
	0x45, 0x31, 0xc9,                   /* xor r9d, r9d (previous TSC) */
	/* loop: */
	0x0f, 0x31,                         /* rdtsc */
	0x48, 0xc1, 0xe2, 0x20,             /* shl rdx, 32 */
	0x48, 0x09, 0xd0,                   /* or rax, rdx */
	0x4c, 0x39, 0xc8,                   /* cmp rax, r9 */
	0x77, 0x03,                         /* ja +3 */
	0x49, 0xff, 0xc0,                   /* inc r8 */
	0x49, 0x89, 0xc1,                   /* mov r9, rax */
	0xff, 0xc9,                         /* dec ecx */
	0x75, 0xe4,                         /* jnz loop */
	0x44, 0x89, 0xc0,                   /* mov eax, r8d */
	0xe6, 0xf4,                         /* out 0xf4, al */
};

static void test_machine_tsc_strictly_increases_in_a_loop(void **state)
{
	struct run r;
	run_code(tsc_loop, sizeof(tsc_loop), 0, &r);
	assert_int_equal(r.reason, VTSIM_STOP_DEBUG_EXIT);
	assert_int_equal(r.status, 1);       /* value 0: no step backwards or equal */
}

static void test_machine_runs_are_deterministic(void **state)
{
	struct run a, b;
	run_code(tsc_loop, sizeof(tsc_loop), 0, &a);
	run_code(tsc_loop, sizeof(tsc_loop), 0, &b);
	assert_int_equal(a.insns, b.insns);
	assert_true(a.insns > 1000);
	assert_int_equal(a.status, b.status);
}

static const uint8_t spin[] = { 0xeb, 0xfe };  /* jmp $ */

static void test_machine_max_insns_stops_a_spin(void **state)
{
	struct run r;
	run_code(spin, sizeof(spin), 5000, &r);
	assert_int_equal(r.reason, VTSIM_STOP_LIMIT);
	assert_int_equal(r.status, 4);
	assert_true(r.insns > 5000 && r.insns < 5100);
	assert_non_null(strstr(r.diag, "--max-insns 5000"));
}

static const uint8_t cli_hlt[] = { 0xfa, 0xf4 };

static void test_machine_hlt_with_if0_ends_with_status_0(void **state)
{
	struct run r;
	run_code(cli_hlt, sizeof(cli_hlt), 0, &r);
	assert_int_equal(r.reason, VTSIM_STOP_HALT);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.diag, "halted at RIP=0x10007a"));
}

/* No IDT (limit 0): #UD cannot be delivered -> #GP -> #DF -> shutdown. */
static const uint8_t ud_no_idt[] = { 0x0f, 0x0b };

static void test_machine_triple_fault_reports_the_chain(void **state)
{
	struct run r;
	run_code(ud_no_idt, sizeof(ud_no_idt), 0, &r);
	assert_int_equal(r.reason, VTSIM_STOP_TRIPLE_FAULT);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.diag, "#UD (vector 6"));
	assert_non_null(strstr(r.diag, "#GP (vector 13, error 0x33"));
	assert_non_null(strstr(r.diag, "#DF (vector 8"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_machine_rejects_bad_config),
		cmocka_unit_test(test_machine_parse_size),
		cmocka_unit_test(test_machine_load_error_leaves_machine_unloaded),
		cmocka_unit_test(test_machine_rdmsr_site_and_debug_exit),
		cmocka_unit_test(test_machine_tsc_strictly_increases_in_a_loop),
		cmocka_unit_test(test_machine_runs_are_deterministic),
		cmocka_unit_test(test_machine_max_insns_stops_a_spin),
		cmocka_unit_test(test_machine_hlt_with_if0_ends_with_status_0),
		cmocka_unit_test(test_machine_triple_fault_reports_the_chain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
