/* `vtsim fuzz-replay TARGET FILE [--trace]`: one input through a fuzz target of
 * tests/fuzz/, compiled into vtsim (without sanitizers), as the fuzzer ran it. */
#ifndef VTSIM_TOOLS_FUZZ_REPLAY_H
#define VTSIM_TOOLS_FUZZ_REPLAY_H

int vtsim_fuzz_replay_main(int argc, char **argv);
/* `vtsim checks --coverage [--target T] CORPUS_DIR...` (argv[0] is "--coverage"):
 * the corpus through its target with a coverage collector installed (entry checks
 * passed/failed, exit reasons, SEAMCALL leaf/status pairs). */
int vtsim_checks_coverage_main(int argc, char **argv);

#endif
