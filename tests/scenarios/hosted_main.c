/* The scenarios (scenarios.h) with kvmlike hosted: a simulated TDX machine (128
 * MiB, one LP, as `vtsim run --tdx` makes), kvmlike's log and the trace on
 * stdout. Exit status 0 when every scenario ended as it should. */
#include <stdio.h>

#include "kvmlike/runtime_hosted.h"
#include "tests/scenarios/scenarios.h"
#include "vtsim/hosted.h"

int main(void)
{
	struct vtsim_config cfg;
	char err[256];
	vtsim_config_defaults(&cfg);
	cfg.tdx = true;
	struct vtsim_machine *m = vtsim_machine_create(&cfg, err, sizeof(err));
	if (!m || vtsim_hosted_start(m, err, sizeof(err)) || kvm_hosted_attach(m, stdout)) {
		fprintf(stderr, "kvmlike_scenarios: %s\n", m ? err : "cannot create the machine");
		return 2;
	}
	int r = kvm_scenarios_main();
	fflush(stdout);
	kvm_hosted_detach();
	vtsim_machine_destroy(m);
	return r ? 1 : 0;
}
