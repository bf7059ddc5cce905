/* The fuzzing harness's speed: what a snapshot restore costs, and how many inputs
 * per second tests/fuzz/fuzz_vmcs_entry.c runs (its entry point is compiled into
 * vtsim under another name, without coverage or sanitizers). Both are timed in the
 * thread's CPU time. */
#include "bench/bench.h"
#include "bench/bench_clock.h"

#include <stdint.h>
#include <string.h>

#include "vtsim/hosted.h"
#include "vtsim/snapshot.h"
#include "vtsim/vtsim.h"

int vtsim_fuzz_vmcs_entry(const uint8_t *data, size_t size);


static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int vmx_ptr(struct vtsim_machine *m, enum vtsim_vmx_insn insn, uint64_t pa)
{
	struct vtsim_vmx_operands ops = { .mem = true };
	struct vtsim_vmx_result r;
	memcpy(ops.data, &pa, 8);
	vtsim_vmx(m, 0, insn, &ops, &r);
	return r.outcome == VTSIM_VMSUCCEED ? 0 : -1;
}

/* A machine in VMX operation with a current VMCS; each round changes the GPRs, a
 * VMCS field and one RAM page (VMCLEAR writes the region back, VMPTRLD loads it
 * again), then restores: the restore alone is timed. */
double bench_snapshot_reset(void)
{
	struct vtsim_config cfg;
	char err[256];
	vtsim_config_defaults(&cfg);
	cfg.ram_size = 16u << 20;
	struct vtsim_machine *m = vtsim_machine_create(&cfg, err, sizeof(err));
	if (!m || vtsim_hosted_start(m, err, sizeof(err)))
		return -1;
	uint64_t basic, cr4;
	uint8_t *ram = vtsim_machine_ram(m, NULL);
	vtsim_hosted_rdmsr(m, 0, 0x480, &basic);
	uint32_t rev = (uint32_t)basic & 0x7fffffff;
	memcpy(ram + 0x200000, &rev, 4);
	memcpy(ram + 0x201000, &rev, 4);
	vtsim_hosted_read_cr(m, 0, 4, &cr4);
	struct vtsim_snapshot *s = NULL;
	double best = -1;
	if (vtsim_hosted_write_cr(m, 0, 4, cr4 | 1u << 13) || vmx_ptr(m, VTSIM_VMXON, 0x200000) ||
	    vmx_ptr(m, VTSIM_VMPTRLD, 0x201000) || !(s = vtsim_snapshot_take(m, err, sizeof(err))))
		goto out;
	for (int rep = 0; rep < 5; rep++) {
		const int rounds = 20000;
		double spent = 0;
		uint64_t gpr[16] = { 1, 2, 3 };
		for (int i = 0; i < rounds; i++) {
			struct vtsim_vmx_operands w = { .reg = 0x681e, .rm = (uint64_t)i };
			struct vtsim_vmx_result r;
			gpr[0] = (uint64_t)i;
			vtsim_hosted_set_gprs(m, 0, gpr);
			vtsim_vmx(m, 0, VTSIM_VMWRITE, &w, &r);
			if (vmx_ptr(m, VTSIM_VMCLEAR, 0x201000) || vmx_ptr(m, VTSIM_VMPTRLD, 0x201000))
				goto out;
			double t0 = bench_cpu_seconds();
			if (vtsim_snapshot_restore(m, s, err, sizeof(err)))
				goto out;
			spent += bench_cpu_seconds() - t0;
		}
		double us = spent / rounds * 1e6;
		if (best < 0 || us < best)
			best = us;
	}
out:
	vtsim_snapshot_free(m, s);
	vtsim_machine_destroy(m);
	return best;
}

/* Inputs as libFuzzer makes them from the target's format: a flags byte and up to
 * 8 records of 11 bytes, pseudo-random (fixed seed), cycled. */
double bench_fuzz_vmcs_entry(void)
{
	enum { NIN = 512, MAXLEN = 1 + 8 * 11 };
	static uint8_t in[NIN][MAXLEN];
	static size_t len[NIN];
	uint64_t seed = 0x9E3779B97F4A7C15ull;
	for (int i = 0; i < NIN; i++) {
		len[i] = 1 + 11 * (xorshift(&seed) % 9);
		for (size_t k = 0; k < len[i]; k++)
			in[i][k] = (uint8_t)xorshift(&seed);
	}
	vtsim_fuzz_vmcs_entry(in[0], len[0]);   /* boots, primes, takes the snapshot */
	double best = -1;
	for (int rep = 0; rep < 5; rep++) {
		const int execs = 20000;
		double t0 = bench_cpu_seconds();
		for (int i = 0; i < execs; i++)
			vtsim_fuzz_vmcs_entry(in[i % NIN], len[i % NIN]);
		double rate = execs / (bench_cpu_seconds() - t0);
		if (rate > best)
			best = rate;
	}
	return best;
}
