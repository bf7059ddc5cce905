/* The scenarios (scenarios.h) with kvmlike hosted: a simulated TDX machine (128
 * MiB, one LP as `vtsim run --tdx` makes, or the LPs `--cpus N` asks for; the
 * run's fault injection `--inject-entry-mce N`, `--inject-guest-mce N` as `vtsim run`
 * takes them), kvmlike's
 * log and the trace on stdout. Exit status 0 when every scenario ended as it
 * should. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlike/runtime_hosted.h"
#include "tests/scenarios/scenarios.h"
#include "vtsim/hosted.h"

int main(int argc, char **argv)
{
	struct vtsim_config cfg;
	char err[256] = "cannot attach kvmlike";
	vtsim_config_defaults(&cfg);
	cfg.tdx = true;
	unsigned guest_mces = 0;
	for (int i = 1; i < argc; i += 2) {
		long n = i + 1 < argc ? atol(argv[i + 1]) : 0;
		if (!strcmp(argv[i], "--cpus") && n > 0) {
			cfg.nr_cpus = (unsigned)n;
		} else if (!strcmp(argv[i], "--inject-entry-mce") && n > 0) {
			cfg.inject_entry_mce = (unsigned)n;
		} else if (!strcmp(argv[i], "--inject-guest-mce") && n > 0 && guest_mces < VTSIM_MAX_GUEST_MCE) {
			cfg.inject_guest_mce[guest_mces++] = (unsigned)n;
		} else {
			fprintf(stderr, "usage: kvmlike_scenarios [--cpus N] [--inject-entry-mce N] [--inject-guest-mce N]\n");
			return 2;
		}
	}
	struct vtsim_machine *m = vtsim_machine_create(&cfg, err, sizeof(err));
	if (!m || vtsim_hosted_start(m, err, sizeof(err)) || kvm_hosted_attach(m, stdout)) {
		fprintf(stderr, "kvmlike_scenarios: %s\n", err);
		return 2;
	}
	int r = kvm_scenarios_main();
	fflush(stdout);
	kvm_hosted_detach();
	vtsim_machine_destroy(m);
	return r ? 1 : 0;
}
