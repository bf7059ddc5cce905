/* How the unit tests that drive the TDX module from the hosted VMM start and end:
 * a TDX-capable machine from `cfg`, kvmlike attached (its log to `log`) and loaded
 * (VMXON on every LP, the module's bring-up); then the reverse. Include after
 * <cmocka.h>: a failure is a cmocka failure. */
#ifndef VTSIM_TESTS_UNIT_KVM_FIXTURE_H
#define VTSIM_TESTS_UNIT_KVM_FIXTURE_H

#include <stdio.h>

#include "kvmlike/kvm.h"
#include "kvmlike/runtime_hosted.h"
#include "vtsim/hosted.h"

static inline struct vtsim_machine *kvm_fixture_up(struct vtsim_config *cfg, FILE *log)
{
	char err[256];
	cfg->tdx = true;
	struct vtsim_machine *m = vtsim_machine_create(cfg, err, sizeof(err));
	assert_non_null(m);
	assert_int_equal(vtsim_hosted_start(m, err, sizeof(err)), 0);
	assert_int_equal(kvm_hosted_attach(m, log), 0);
	assert_int_equal(kvm_init(), 0);
	return m;
}

static inline void kvm_fixture_down(struct vtsim_machine *m)
{
	kvm_exit();
	kvm_hosted_detach();
	vtsim_machine_destroy(m);
}

#endif
