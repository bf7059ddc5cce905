/* `vtsim bench`: the benchmarks, each measured over repetitions with the median
 * reported, against the goal its issue sets. A capability that does not exist yet
 * has no benchmark here (and no key in the JSON object). Every time is the calling
 * thread's CPU time (bench_clock.h), so that other processes on the host do not
 * inflate it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtsim/vtsim.h"
#include "bench/bench.h"
#include "bench/bench_clock.h"
#include "sim/vmcs/entry.h"
#include "tests/unit/entry_fixture.h"

extern const unsigned char vtsim_guest_bench_vmread[];
extern const unsigned int vtsim_guest_bench_vmread_len;
extern const unsigned char vtsim_guest_vmm_cpuid[];
extern const unsigned int vtsim_guest_vmm_cpuid_len;
extern const unsigned char vtsim_guest_bench_smp[];
extern const unsigned int vtsim_guest_bench_smp_len;

#define COUNT_PA 0x200000


/* Boots `img` on `cpus` LPs with the iteration count at COUNT_PA; seconds of run
 * time (load and machine creation excluded), or a negative value if the guest did
 * not succeed. */
static double run_image_on(const unsigned char *img, unsigned len, uint64_t iterations, unsigned cpus,
			   bool exact_events)
{
	struct vtsim_config cfg;
	char err[256];
	vtsim_config_defaults(&cfg);
	cfg.ram_size = 64u << 20;
	cfg.nr_cpus = cpus;
	cfg.smp_exact_events = exact_events;
	FILE *devnull = fopen("/dev/null", "w");
	cfg.console = devnull;      /* the guests' console is not part of the measure */
	struct vtsim_machine *m = vtsim_machine_create(&cfg, err, sizeof(err));
	if (!m) {
		if (devnull)
			fclose(devnull);
		return -1;
	}
	if (vtsim_machine_load(m, img, len, NULL, NULL, 0, err, sizeof(err))) {
		vtsim_machine_destroy(m);
		if (devnull)
			fclose(devnull);
		return -1;
	}
	memcpy(vtsim_machine_ram(m, NULL) + COUNT_PA, &iterations, 8);
	struct vtsim_result res;
	double t0 = bench_cpu_seconds();
	vtsim_machine_run(m, &res);
	double t = bench_cpu_seconds() - t0;
	vtsim_machine_destroy(m);
	if (devnull)
		fclose(devnull);
	return res.reason == VTSIM_STOP_DEBUG_EXIT && res.exit_status == 1 ? t : -1;
}

static double run_image(const unsigned char *img, unsigned len, uint64_t iterations)
{
	return run_image_on(img, len, iterations, 1, false);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(v[0]), cmp_double);
	return v[n / 2];
}

double bench_per_iteration_us(double (*run)(const void *ctx, uint64_t iterations), const void *ctx,
			      uint64_t base, uint64_t n, int reps)
{
	double v[16];
	if (reps > 16)
		reps = 16;
	for (int i = 0; i < reps; i++) {
		double t0 = run(ctx, base), t1 = run(ctx, base + n);
		if (t0 < 0 || t1 < 0) {
			fprintf(stderr, "vtsim: bench: a run of %llu iterations failed\n",
				(unsigned long long)(t0 < 0 ? base : base + n));
			return -1;
		}
		v[i] = (t1 - t0) / (double)n * 1e6;
	}
	double m = bench_median(v, (size_t)reps);
	if (m <= 0)
		fprintf(stderr, "vtsim: bench: %llu more iterations took no more time (median of %d): "
			"the noise exceeds what is measured\n", (unsigned long long)n, reps);
	return m > 0 ? m : -1;
}

struct image { const unsigned char *img; unsigned len; };

static double run_bundled_image(const void *ctx, uint64_t iterations)
{
	const struct image *im = ctx;
	return run_image(im->img, im->len, iterations);
}

/* Per-iteration cost of a bundled image, in us. */
static double per_iteration_us(const unsigned char *img, unsigned len, uint64_t n, int reps)
{
	const struct image im = { img, len };
	return bench_per_iteration_us(run_bundled_image, &im, 0, n, reps);
}

static double bench_vmread(void)
{
	return per_iteration_us(vtsim_guest_bench_vmread, vtsim_guest_bench_vmread_len, 1000000, 5);
}

/* Guest CPUID -> VM exit -> the VMM reads the reason and length, advances the
 * guest's RIP, VMRESUME -> guest: one round trip per iteration, all instruction
 * level. The zero-iteration baseline still does one exit (the final VMCALL). */
static double bench_exit_roundtrip(void)
{
	return per_iteration_us(vtsim_guest_vmm_cpuid, vtsim_guest_vmm_cpuid_len, 100000, 5);
}

/* The same loop on each of two LPs against one LP alone, in the same run: the
 * instructions per second of the two-LP machine over those of the one-LP machine
 * (1.0 when scheduling and the count the quantum needs cost nothing). The median
 * of 3 repetitions. */
static double smp_mips_ratio(bool exact_events, uint64_t n)
{
	double r[3];
	for (int rep = 0; rep < 3; rep++) {
		double t1 = run_image_on(vtsim_guest_bench_smp, vtsim_guest_bench_smp_len, n, 1, false);
		double t2 = run_image_on(vtsim_guest_bench_smp, vtsim_guest_bench_smp_len, n, 2, exact_events);
		if (t1 <= 0 || t2 <= 0)
			return -1;
		r[rep] = 2 * t1 / t2;
	}
	return bench_median(r, 3);
}

/* Events looked at at the next block start (the default): no hook per
 * instruction; 10 million iterations. */
static double bench_smp_guest_mips_ratio(void)
{
	return smp_mips_ratio(false, 10000000);
}

/* --smp-events instruction: a hook on every instruction. 2 million iterations,
 * about 24 million instructions per LP. */
static double bench_smp_exact_mips_ratio(void)
{
	return smp_mips_ratio(true, 2000000);
}

/* The whole VM-entry check table on a valid VMCS (every row passes, so every row
 * runs): individual checks per second, the median of 5 repetitions. */
static double bench_entry_checks(void)
{
	const struct vmcs_caps *caps = vmcs_caps_for_model("xeon");
	static struct vmcs_cache v;    /* large; static keeps it off the stack */
	entry_fixture_valid(&v, caps);
	struct entry_diag d;
	struct entry_ctx c;
	entry_fixture_ctx(&c, &v, caps, NULL, &d);
	double rate[5];
	for (int rep = 0; rep < 5; rep++) {
		const int passes = 20000;
		double t0 = bench_cpu_seconds();
		for (int i = 0; i < passes; i++)
			for (int k = 0; k < ENTRY_NR_CLASSES; k++)
				if (entry_run(&c, (enum entry_class)k))
					return -1;
		rate[rep] = (double)passes * (double)entry_check_total() / (bench_cpu_seconds() - t0);
	}
	return bench_median(rate, 5);
}

struct benchmark {
	const char *key;
	const char *what;
	const char *unit;
	double goal;
	int lower_is_better;
	double (*run)(void);
	const char *peer;          /* the hardware or peer figure it compares to, or "" */
};

static const struct benchmark benchmarks[] = {
	{ "vmread_us", "VMREAD in a guest loop (instruction level, code-hook fast path)", "us",
	  0.2, 1, bench_vmread, "Unicorn trap path ~4.4 us" },
	{ "entry_checks_per_s", "VM-entry checks on a valid VMCS (all rows, all classes)", "/s",
	  2e6, 0, bench_entry_checks, "HW: part of a ~0.4 us round trip" },
	{ "exit_roundtrip_insn_us", "guest CPUID -> VMM (VMREAD x2, VMWRITE, VMRESUME) -> guest", "us",
	  2.0, 1, bench_exit_roundtrip, "KVM on VT-x ~0.4 us; nested 3-7" },
	{ "exit_roundtrip_hosted_us", "guest CPUID -> kvmlike handle_exit -> VMRESUME (hosted)", "us",
	  1.0, 1, bench_exit_roundtrip_hosted, "KVM on VT-x ~0.4 us; nested 3-7" },
	{ "io_exit_roundtrip_us", "guest OUT -> kvmlike -> KVM_EXIT_IO to user space -> KVM_RUN", "us",
	  0, 1, bench_io_exit_roundtrip, "exit_roundtrip_hosted + user space" },
	{ "msr_exit_roundtrip_us", "guest RDMSR -> MSR-bitmap exit -> kvmlike emulation -> guest", "us",
	  0, 1, bench_msr_exit_roundtrip, "exit_roundtrip_hosted + emulation" },
	{ "ept_violation_roundtrip_us", "guest store to a fresh page -> EPT violation -> kvmlike maps it", "us",
	  0, 1, bench_ept_violation_roundtrip, "exit_roundtrip_hosted + page map" },
	{ "two_vm_switch_us", "two kvmlike VMs (own EPTP, VPID) by turns, 64 pages read per entry, OUT", "us",
	  0, 1, bench_two_vm_switch, "io_exit_roundtrip + the other VM's translations" },
	{ "guest_mips_ratio", "ALU loop in a kvmlike VM under EPT / the same on bare Unicorn", "",
	  0.5, 0, bench_guest_mips_ratio, "bare Unicorn, same run: 1.0" },
	{ "smp_guest_mips_ratio", "ALU loop on each of 2 LPs / the same loop on 1 LP (instructions per second)", "",
	  0.3, 0, bench_smp_guest_mips_ratio, "1 LP, same run: 1.0" },
	{ "smp_exact_mips_ratio", "the same with --smp-events instruction (a hook per instruction)", "",
	  0, 0, bench_smp_exact_mips_ratio, "1 LP, same run: 1.0" },
	{ "seamcall_roundtrip_us", "TDH.SYS.RD from the hosted VMM into the TDX module and back", "us",
	  1.0, 1, bench_seamcall_roundtrip, "no published hardware figure" },
	{ "td_exit_roundtrip_us", "TD TDVMCALL<Instruction.CPUID> -> VMM answers -> TDH.VP.ENTER", "us",
	  3.0, 1, bench_td_exit_roundtrip, "TDX hardware ~3.85 us" },
	{ "td_exit_roundtrip_hosted_us", "the same through kvmlike: tdx_handle_exit answers, KVM_RUN re-enters", "us",
	  3.0, 1, bench_td_exit_roundtrip_hosted, "TDX hardware ~3.85 us" },
	{ "snapshot_reset_us", "snapshot restore after GPRs, a VMCS field and a RAM page changed (CPU time)", "us",
	  0, 1, bench_snapshot_reset, "re-creating the machine instead" },
	{ "fuzz_vmcs_entry_execs_per_s", "fuzz_vmcs_entry inputs per CPU second (restore, VMCS edits, checks, VMLAUNCH)", "/s",
	  1e5, 0, bench_fuzz_vmcs_entry, "VT-x fuzzers: thousands/s" },
};

#define NR_BENCH (sizeof(benchmarks) / sizeof(benchmarks[0]))

/* vtsim bench --list: what a NAME may be, with its goal. */
static void bench_list(FILE *f)
{
	fprintf(f, "usage: vtsim bench [NAME] [--json]   (NAME: a benchmark, or the start of names)\n\n");
	fprintf(f, "%-28s %-12s  %s\n", "benchmark", "goal", "what");
	for (size_t i = 0; i < NR_BENCH; i++) {
		const struct benchmark *b = &benchmarks[i];
		char goal[24] = "(report)";
		if (b->goal != 0)
			snprintf(goal, sizeof(goal), "%s%.4g %s", b->lower_is_better ? "<= " : ">= ",
				 b->goal, b->unit);
		fprintf(f, "%-28s %-12s  %s\n", b->key, goal, b->what);
	}
}

int vtsim_bench_main(int argc, char **argv)
{
	int json = 0;
	const char *only = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--list") || !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			bench_list(stdout);
			return 0;
		} else if (argv[i][0] != '-' && !only)
			only = argv[i];
		else {
			fprintf(stderr, "vtsim: bench: unknown argument '%s' (vtsim bench --list)\n", argv[i]);
			return 2;
		}
	}
	double results[NR_BENCH];
	int ran[NR_BENCH] = { 0 };
	int found = 0, failed = 0;
	for (size_t i = 0; i < NR_BENCH; i++) {
		const struct benchmark *b = &benchmarks[i];
		if (only && strcmp(only, b->key) && strncmp(only, b->key, strlen(only)))
			continue;
		found = 1;
		results[i] = b->run();
		ran[i] = 1;
		if (results[i] < 0)
			failed = 1;
	}
	if (!found) {
		fprintf(stderr, "vtsim: bench: no benchmark named '%s' (vtsim bench --list names them)\n", only);
		return 2;
	}
	if (json) {
		printf("{");
		const char *sep = "";
		for (size_t i = 0; i < NR_BENCH; i++) {
			if (!ran[i] || results[i] < 0)
				continue;
			printf("%s\"%s\": %.4g", sep, benchmarks[i].key, results[i]);
			sep = ", ";
		}
		printf("}\n");
	} else {
		printf("%-26s %12s %10s  %-32s  %s\n", "benchmark", "value", "goal", "compares to", "what");
		for (size_t i = 0; i < NR_BENCH; i++) {
			if (!ran[i])
				continue;
			const struct benchmark *b = &benchmarks[i];
			if (results[i] < 0)
				printf("%-26s %12s %10s  %-32s  %s\n", b->key, "FAILED", "", b->peer, b->what);
			else if (b->goal == 0)
				printf("%-26s %9.4g %-2s %-10s  %-32s  %s\n", b->key, results[i], b->unit,
				       "(report)", b->peer, b->what);
			else
				printf("%-26s %9.4g %-2s %s%-7.4g  %-32s  %s\n", b->key, results[i], b->unit,
				       b->lower_is_better ? "<= " : ">= ", b->goal, b->peer, b->what);
		}
		printf("(times are this thread's CPU time, CLOCK_THREAD_CPUTIME_ID; medians of repeated runs)\n");
	}
	return failed ? 1 : 0;
}
