/* A TD's exit round trip: guests/td_bench.asm does TDG.VP.VMCALL<Instruction.CPUID>
 * in a loop; each one is a TD exit (reason 77) out of TDH.VP.ENTER to the hosted
 * VMM, which answers in R10-R15 and enters again. The TD is built as
 * tests/unit/test_tdx_td_run.c builds it (kvmlike brings the TDX module up; the
 * SEAMCALLs that make the TD are issued here, as KVM's TDX code would). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/bench_clock.h"
#include "kvmlike/kvm.h"
#include "kvmlike/runtime.h"
#include "kvmlike/runtime_hosted.h"
#include "tools/vmm.h"
#include "vtsim/hosted.h"

extern const unsigned char vtsim_guest_td_bench[];
extern const unsigned int vtsim_guest_td_bench_len;

enum { VP_ENTER = 0, ADDCX = 1, PAGE_ADD = 2, SEPT_ADD = 3, VP_ADDCX = 4, KEY_CONFIG = 8,
       CREATE = 9, VP_CREATE = 10, MR_EXTEND = 16, MR_FINALIZE = 17, MNG_INIT = 21,
       VP_INIT = 22 };
#define IMAGE_GPA 0xffff8000ull
#define EXIT_TDCALL 77
#define TDVMCALL_CPUID 10



/* A SEAMCALL on LP 0: the module's status, or ~0 if it did not run. */
static uint64_t sc(struct vtsim_machine *m, uint64_t leaf, uint64_t rcx, uint64_t rdx,
		   uint64_t r8, uint64_t r9)
{
	struct vtsim_seamcall_args a = { .rax = leaf, .rcx = rcx, .rdx = rdx, .r8 = r8, .r9 = r9 };
	return vtsim_seamcall(m, 0, &a) == VTSIM_SEAMCALL_DONE ? a.rax : ~0ull;
}

/* TDR, TDCS, MNG.INIT, one vCPU, the image added and measured at IMAGE_GPA,
 * finalized: the vCPU's TDVPR, or 0. */
static uint64_t build_td(struct vtsim_machine *m)
{
	uint64_t tdr = kvm_alloc_pages(1);
	if (sc(m, CREATE, tdr, 17, 0, 0) || sc(m, KEY_CONFIG, tdr, 0, 0, 0))
		return 0;
	for (int i = 0; i < 6; i++)
		if (sc(m, ADDCX, kvm_alloc_pages(1), tdr, 0, 0))
			return 0;
	uint64_t params = kvm_alloc_pages(1);
	uint8_t *p = __va(params);
	memset(p, 0, 1024);
	uint64_t xfam = 3, eptp = 6 | 3 << 3, flags = 1 << 2;      /* NO_RBP_MOD */
	uint16_t vcpus = 1, tsc = 100;
	memcpy(p + 8, &xfam, 8);
	memcpy(p + 16, &vcpus, 2);
	memcpy(p + 24, &eptp, 8);
	memcpy(p + 32, &flags, 8);
	memcpy(p + 40, &tsc, 2);
	if (sc(m, MNG_INIT, tdr, params, 0, 0))
		return 0;

	uint64_t tdvpr = kvm_alloc_pages(1);
	if (sc(m, VP_CREATE, tdvpr, tdr, 0, 0))
		return 0;
	for (int i = 0; i < 5; i++)
		if (sc(m, VP_ADDCX, kvm_alloc_pages(1), tdvpr, 0, 0))
			return 0;
	if (sc(m, VP_INIT | 1 << 16, tdvpr, 0x1234, 0, 0))
		return 0;

	if (vtsim_guest_td_bench_len != 0x8000)
		return 0;
	for (unsigned level = 3; level >= 1; level--) {   /* S-EPT down to the 4 KiB table */
		uint64_t info = (IMAGE_GPA & ~((1ull << (12 + 9 * level)) - 1)) | level;
		if (sc(m, SEPT_ADD | 1 << 16, info, tdr | 1, kvm_alloc_pages(1), 0))
			return 0;
	}
	uint64_t src = kvm_alloc_pages(1);
	for (uint64_t off = 0; off < 0x8000; off += 4096) {
		memcpy(__va(src), vtsim_guest_td_bench + off, 4096);
		if (sc(m, PAGE_ADD, IMAGE_GPA + off, tdr, kvm_alloc_pages(1), src))
			return 0;
		for (unsigned c = 0; c < 4096; c += 256)
			if (sc(m, MR_EXTEND, IMAGE_GPA + off + c, tdr, 0, 0))
				return 0;
	}
	return sc(m, MR_FINALIZE, tdr, 0, 0, 0) ? 0 : tdvpr;
}

/* `n` TD exits, each answered (CPUID leaf 0 as the VMM's CPUID table gives it)
 * and re-entered: 0, or -1 on anything but the expected TDVMCALL. */
static int run_exits(struct vtsim_machine *m, uint64_t tdvpr, struct vtsim_seamcall_args *a,
		     const uint32_t cpuid0[4], long n)
{
	for (long i = 0; i < n; i++) {
		a->rax = VP_ENTER;
		a->rcx = tdvpr;
		if (vtsim_seamcall(m, 0, a) != VTSIM_SEAMCALL_DONE || a->rax != EXIT_TDCALL ||
		    a->rcx != 0xfc00 || a->r10 || a->r11 != TDVMCALL_CPUID || a->r12 || a->r13)
			return -1;
		a->r10 = 0;
		a->r11 = 0;
		a->r12 = cpuid0[0];
		a->r13 = cpuid0[1];
		a->r14 = cpuid0[2];
		a->r15 = cpuid0[3];
	}
	return 0;
}

/* Seconds to run td_bench with `n` TDVMCALLs under kvmlike and its user space
 * (tools/vmm.c: the KVM_TDX_* commands, then KVM_RUN to its HLT), or -1. */
static double run_td_hosted(const void *ctx, uint64_t n)
{
	enum { ITERATIONS_OFFSET = 0x5ff8 };    /* guests/td_bench.asm */
	static unsigned char img[0x8000];
	if (vtsim_guest_td_bench_len != sizeof(img))
		return -1;
	memcpy(img, vtsim_guest_td_bench, sizeof(img));
	memcpy(img + ITERATIONS_OFFSET, &n, 8);
	struct vtsim_config cfg;
	vtsim_config_defaults(&cfg);
	cfg.tdx = true;
	FILE *devnull = fopen("/dev/null", "w");
	if (!devnull)
		return -1;
	struct vmm_report r;
	double t0 = bench_cpu_seconds();
	int rc = vmm_run_flat_td(&cfg, img, sizeof(img), devnull, &r);
	double t = bench_cpu_seconds() - t0;
	fclose(devnull);
	return rc ? -1 : t;
}

/* The same round trip through kvmlike (issue #8's td_exit_roundtrip_hosted): the
 * TDVMCALL<Instruction.CPUID> is answered in tdx_handle_exit and KVM_RUN enters
 * the TD again without returning to user space. The median over 5 runs of (time
 * with 1 + n calls - time with 1) / n, in us: the TD's creation cancels out. */
double bench_td_exit_roundtrip_hosted(void)
{
	return bench_per_iteration_us(run_td_hosted, NULL, 1, 20000, 5);
}

/* The median over batches of the time per round trip, in us. */
double bench_td_exit_roundtrip(void)
{
	struct vtsim_config cfg;
	char err[256];
	vtsim_config_defaults(&cfg);
	cfg.tdx = true;
	FILE *devnull = fopen("/dev/null", "w");
	if (!devnull)
		return -1;
	struct vtsim_machine *m = vtsim_machine_create(&cfg, err, sizeof(err));
	if (!m) {
		fclose(devnull);
		return -1;
	}
	double result = -1;
	if (vtsim_hosted_start(m, err, sizeof(err)) || kvm_hosted_attach(m, devnull))
		goto out_machine;
	kvm_intel_tdx = true;    /* the parameter, as a `vtsim vm` without --tdx may have left it */
	if (kvm_init())
		goto out_attach;
	uint64_t tdvpr = build_td(m);
	if (!tdvpr)
		goto out_kvm;

	uint32_t cpuid0[4];
	vtsim_hosted_cpuid(m, 0, 0, 0, cpuid0);
	struct vtsim_seamcall_args a = { 0 };
	/* Warm-up: the boot (reset vector to long mode) and the first exits. */
	if (run_exits(m, tdvpr, &a, cpuid0, 1000))
		goto out_kvm;
	double t0 = bench_cpu_seconds();
	if (run_exits(m, tdvpr, &a, cpuid0, 10000))
		goto out_kvm;
	double est = (bench_cpu_seconds() - t0) / 10000;    /* CPU seconds per round trip */
	/* Many short batches (about 1 ms of CPU each, 0.3 s in all), each timed in the
	 * thread's CPU time: their median is the round trip's cost, not the host's load
	 * (a batch that loses its caches to another process still costs more). */
	enum { BATCHES = 301 };
	long n = (long)(0.001 / est);
	if (n < 100)
		n = 100;
	static double v[BATCHES];
	double cpu0 = bench_cpu_seconds(), w0 = bench_wall_seconds();
	for (int b = 0; b < BATCHES; b++) {
		t0 = bench_cpu_seconds();
		if (run_exits(m, tdvpr, &a, cpuid0, n))
			goto out_kvm;
		v[b] = (bench_cpu_seconds() - t0) / (double)n * 1e6;
	}
	double cpu_us = (bench_cpu_seconds() - cpu0) / ((double)n * BATCHES) * 1e6,
	       wall_us = (bench_wall_seconds() - w0) / ((double)n * BATCHES) * 1e6;
	result = bench_median(v, BATCHES);
	if (getenv("VTSIM_BENCH_VERBOSE"))
		fprintf(stderr, "td_exit_roundtrip: %ld exits x %d batches: min %.3f median %.3f "
			"max %.3f us; mean %.3f us wall, %.3f us CPU\n", n, BATCHES, v[0],
			v[BATCHES / 2], v[BATCHES - 1], wall_us, cpu_us);
out_kvm:
	kvm_exit();
out_attach:
	kvm_hosted_detach();
out_machine:
	vtsim_machine_destroy(m);
	fclose(devnull);
	return result;
}
