/* kvmlike's scenario tests, written once and built twice: into a host program
 * (tests/scenarios/hosted_main.c, kvmlike hosted on a simulated machine) and
 * into the instruction-level image (kvmlike/native/, booted by `vtsim run
 * --tdx`). Each scenario plays user space on kvmlike's API and prints, through
 * printk, a trace of architected events: VM and TD exits (reason,
 * qualification), SEAMCALLs (leaf, status), the guests' console lines, the
 * KVM_TDX_* errors with their hw_error, and the pages still owned after
 * teardown. The two builds must print the same bytes. */
#ifndef VTSIM_TESTS_SCENARIOS_H
#define VTSIM_TESTS_SCENARIOS_H

/* Loads kvmlike (kvm_init), runs every scenario, unloads it. 0 when each one
 * ended as it should, 1 otherwise (the trace says where). */
int kvm_scenarios_main(void);

#endif
