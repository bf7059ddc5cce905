/* The benchmark suite behind `vtsim bench`. */
#ifndef VTSIM_BENCH_H
#define VTSIM_BENCH_H

#include <stddef.h>
#include <stdint.h>

int vtsim_bench_main(int argc, char **argv);

/* Sorts v[0..n) and gives its middle value. */
double bench_median(double *v, size_t n);

/* One iteration's cost in us: the median over `reps` runs (at most 16) of
 * (run(ctx, base + n) - run(ctx, base)) / n, where `run` gives the seconds a run
 * of that many iterations took, or a negative value if it failed (then -1). The
 * fixed cost of a run (a machine, a VM, a TD) cancels out. */
double bench_per_iteration_us(double (*run)(const void *ctx, uint64_t iterations), const void *ctx,
			      uint64_t base, uint64_t n, int reps);

/* bench_kvmlike.c: through kvmlike; each returns its value or -1. */
double bench_exit_roundtrip_hosted(void);
double bench_io_exit_roundtrip(void);
double bench_msr_exit_roundtrip(void);
double bench_ept_violation_roundtrip(void);
double bench_two_vm_switch(void);
double bench_guest_mips_ratio(void);
/* bench_seam.c */
double bench_seamcall_roundtrip(void);
/* bench_td.c */
double bench_td_exit_roundtrip(void);
double bench_td_exit_roundtrip_hosted(void);
/* bench_fuzz.c */
double bench_snapshot_reset(void);
double bench_fuzz_vmcs_entry(void);

#endif
