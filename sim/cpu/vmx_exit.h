/* The VM-exit half of VMX transitions (vmx_exit.c). */
#ifndef VTSIM_VMX_EXIT_H
#define VTSIM_VMX_EXIT_H

struct lp;

/* Loads the host-state area of the current VMCS into the LP (SDM "Loading Host
 * State"); the VM-exit MSR-load list is not processed yet. */
void vmx_load_host_state(struct lp *lp);

#endif
