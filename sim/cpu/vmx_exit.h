/* The VM-exit half of VMX transitions (vmx_exit.c). */
#ifndef VTSIM_VMX_EXIT_H
#define VTSIM_VMX_EXIT_H

#include <stdint.h>

struct lp;

/* Loads the host-state area of the current VMCS into the LP (SDM "Loading Host
 * State"); the VM-exit MSR-load list is not processed yet. */
void vmx_load_host_state(struct lp *lp);
/* The same at a VM exit: `gpr` (the guest's GPRs; RSP is replaced by the host's)
 * is loaded in the same copy as the segment registers, and `efer` is the EFER the
 * processor has before host state loads (the guest's), which the host keeps
 * without "load IA32_EFER". */
void vmx_load_host_state_gprs(struct lp *lp, const uint64_t *gpr, uint64_t efer);

/* Loads the VM-exit MSR-load list (VMX abort 4 if an entry cannot be loaded). */
void vmx_exit_msr_load(struct lp *lp);

/* Loads an MSR list into the active engine: 0, or the 1-based failing entry. */
uint32_t vmx_msr_list_load(struct lp *lp, uint64_t addr, uint32_t count);

#endif
