/* The clock of the single-threaded benchmarks.
 *
 * Every benchmark in bench/ runs the simulator on the calling thread (the guest
 * engines, kvmlike and the TDX module run on coroutines of that thread), so the
 * thread's CPU time is what an operation costs: unlike the wall clock, it does not
 * grow when other processes compete for the cores. Only bench/compare, which
 * compares whole processes with Bochs and QEMU, measures wall time. */
#ifndef VTSIM_BENCH_CLOCK_H
#define VTSIM_BENCH_CLOCK_H

#include <time.h>

/* CPU seconds this thread has used. */
static inline double bench_cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall seconds (only to report, beside the CPU time, how loaded the host was). */
static inline double bench_wall_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
