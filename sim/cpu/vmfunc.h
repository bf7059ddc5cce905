/* VM functions: VMFUNC in VMX non-root operation (SDM Vol. 3C "VM Functions",
 * "EPTP Switching"; Vol. 2 "VMFUNC").
 *
 * With "enable VM functions" (secondary control 13) set, VMFUNC invokes the VM
 * function EAX names. A function the VM-function controls do not enable (or EAX
 * above 63), or one that fails, is a VM exit with reason 59: fault-like, RIP and
 * instruction length of the VMFUNC, qualification 0. Function 0, EPTP switching,
 * loads EPT_POINTER from entry ECX of the 512-entry EPTP list at EPTP_LIST_ADDRESS
 * (it fails for ECX >= 512 or an entry that is not a valid EPTP) and, with
 * "EPT-violation #VE", records ECX in the EPTP-index field. Nothing else changes:
 * not RFLAGS, not the other registers.
 *
 * Without "enable VM functions", and outside VMX non-root operation, VMFUNC is #UD
 * (the caller, vmx.c, decides that). */
#ifndef VTSIM_VMFUNC_H
#define VTSIM_VMFUNC_H

#include <stdbool.h>
#include <stdint.h>

struct lp;

/* Runs the function EAX names in the guest (VM functions enabled). True when it
 * completed; false when VMFUNC must exit with reason 59. */
bool vmfunc_invoke(struct lp *lp, uint64_t eax, uint64_t ecx);

#endif
