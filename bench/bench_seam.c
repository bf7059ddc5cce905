/* SEAMCALL from the hosted VMM: TDH.SYS.RD in a loop on a TDX platform whose
 * module has had SYS.INIT and LP.INIT (what Linux does before reading metadata). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/bench_clock.h"
#include "vtsim/hosted.h"


/* VMXON on LP 0: CR4.VMXE, and a VMXON region with the revision identifier. */
static int vmxon(struct vtsim_machine *m)
{
	uint64_t basic, cr4;
	uint8_t *ram = vtsim_machine_ram(m, NULL);
	const uint64_t region = 0x100000;
	if (vtsim_hosted_rdmsr(m, 0, 0x480, &basic) || vtsim_hosted_read_cr(m, 0, 4, &cr4) ||
	    vtsim_hosted_write_cr(m, 0, 4, cr4 | (1u << 13)))
		return -1;
	uint32_t rev = (uint32_t)basic & 0x7fffffff;
	memcpy(ram + region, &rev, 4);
	struct vtsim_vmx_operands ops = { .mem = true };
	struct vtsim_vmx_result r;
	memcpy(ops.data, &region, 8);
	vtsim_vmx(m, 0, VTSIM_VMXON, &ops, &r);
	return r.outcome == VTSIM_VMSUCCEED ? 0 : -1;
}

static uint64_t seamcall(struct vtsim_machine *m, uint64_t leaf, uint64_t rdx)
{
	struct vtsim_seamcall_args a = { .rax = leaf, .rdx = rdx };
	return vtsim_seamcall(m, 0, &a) == VTSIM_SEAMCALL_DONE ? a.rax : ~0ull;
}

double bench_seamcall_roundtrip(void)
{
	struct vtsim_config cfg;
	char err[256];
	vtsim_config_defaults(&cfg);
	cfg.tdx = true;
	struct vtsim_machine *m = vtsim_machine_create(&cfg, err, sizeof(err));
	if (!m)
		return -1;
	double best = -1;
	if (!vtsim_hosted_start(m, err, sizeof(err)) && !vmxon(m) &&
	    !seamcall(m, 33, 0) && !seamcall(m, 35, 0)) {
		const int n = 1000000;
		for (int rep = 0; rep < 5; rep++) {
			double t0 = bench_cpu_seconds();
			for (int i = 0; i < n; i++)
				if (seamcall(m, 34, 0x0800000100000004ull))   /* MAJOR_VERSION */
					goto out;
			double us = (bench_cpu_seconds() - t0) / n * 1e6;
			if (best < 0 || us < best)
				best = us;
		}
	}
out:
	vtsim_machine_destroy(m);
	return best;
}
