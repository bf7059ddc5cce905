/* The hosted runtime: kvmlike on the host, driving one simulated machine. */
#ifndef KVMLIKE_RUNTIME_HOSTED_H
#define KVMLIKE_RUNTIME_HOSTED_H

#include <stdio.h>

#include "vtsim/vtsim.h"

/* Makes `m` (started with vtsim_hosted_start) the hardware kvmlike runs on: its
 * RAM below the reserved area becomes the page pool. Log lines go to `log`. One
 * machine at a time. 0, or -1. */
int kvm_hosted_attach(struct vtsim_machine *m, FILE *log);
void kvm_hosted_detach(void);
struct vtsim_machine *kvm_machine(void);

#endif
