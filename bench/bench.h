/* The benchmark suite behind `vtsim bench`. */
#ifndef VTSIM_BENCH_H
#define VTSIM_BENCH_H

int vtsim_bench_main(int argc, char **argv);

/* bench_kvmlike.c: through kvmlike; each returns its value or -1. */
double bench_exit_roundtrip_hosted(void);
double bench_io_exit_roundtrip(void);
double bench_msr_exit_roundtrip(void);
double bench_ept_violation_roundtrip(void);
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
