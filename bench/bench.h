/* The benchmark suite behind `vtsim bench`. */
#ifndef VTSIM_BENCH_H
#define VTSIM_BENCH_H

int vtsim_bench_main(int argc, char **argv);

#endif
