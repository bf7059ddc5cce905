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
/* Pool pages in use (kvmlike's own and user space's): what a leak check compares. */
uint64_t kvm_hosted_pages_in_use(void);

#endif
