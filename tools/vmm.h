/* A small user-space VMM on kvmlike's API (what kvmtool is to KVM): it gives a
 * flat 64-bit guest memory, long-mode page tables and a GDT, runs its vCPU, and
 * serves its port I/O console and one MMIO device. `vtsim demo` and `vtsim vm`
 * use it. */
#ifndef VTSIM_TOOLS_VMM_H
#define VTSIM_TOOLS_VMM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vtsim/vtsim.h"
#include "kvmlike/kvm_host.h"

struct vmm_report {
	bool ok;                      /* the guest halted */
	char error[256];              /* why not */
	struct kvm_vcpu_stat stat;
	unsigned ept_pages_mapped;
	uint32_t device_command;      /* the last value written to the device */
	int td_create;                /* KVM_CREATE_VM(KVM_X86_TDX_VM): 0 or -errno */
};

/* Creates a machine from `cfg`, loads kvmlike on it, and runs `img` as a VM to
 * its HLT. Console bytes and kvmlike's log go to `console`. 0, or -1 with report->error. */
int vmm_run_flat(const struct vtsim_config *cfg, const uint8_t *img, size_t len, FILE *console,
		 struct vmm_report *report);

/* The same for a TD (KVM_X86_TDX_VM): fails while kvmlike offers no TD type. */
int vmm_run_flat_td(const struct vtsim_config *cfg, const uint8_t *img, size_t len, FILE *console,
		    struct vmm_report *report);

#endif
