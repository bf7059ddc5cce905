/* System-management mode, as far as the dual-monitor treatment of SMIs and SMM needs
 * it (SDM Vol. 3C, "System Management Mode"; the rules vtsim follows and its limits
 * are in docs/design.md, "SMM").
 *
 *  - SMIs: a byte written to the APM control port (B2H, as on a PC chipset) raises
 *    one after the OUT retires. Under the default treatment the logical processor
 *    saves its state, enters SMM at SMBASE + 8000H in the SDM's SMM entry state (a
 *    real-address-mode-like state with 4 GiB segment limits) and RSM returns.
 *  - IA32_SMM_MONITOR_CTL (9BH) and IA32_SMBASE (9EH), on models whose
 *    IA32_VMX_BASIC[49] reports the dual-monitor treatment.
 *  - VMCALL in VMX root operation activates the dual-monitor treatment (the checks
 *    for VM-instruction errors 19, 20, 22 and 24 in the SDM's order, then an SMM VM
 *    exit into the SMM-transfer monitor with the state the MSEG header prescribes);
 *    once it is active, SMIs and VMCALL in VMX root operation are SMM VM exits to
 *    the STM (exit reasons 5, 6, 18).
 *  - VMLAUNCH/VMRESUME in SMM check the executive-VMCS pointer (errors 16, 17, 18)
 *    and the executive VMCS's VM-execution controls (error 25); a VM entry that
 *    returns to the executive monitor leaves SMM.
 */
#ifndef VTSIM_SMM_H
#define VTSIM_SMM_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/cpu/cpustate.h"

struct lp;
struct vmx_result;

#define MSR_IA32_SMM_MONITOR_CTL 0x9b
#define MSR_IA32_SMBASE          0x9e
#define SMM_APM_CNT_PORT         0xb2
#define SMM_DEFAULT_SMBASE       0x30000u

/* What the default treatment's SMI saved, for RSM. */
struct smm_saved {
	uint64_t gpr[16], rip, rflags, cr0, cr3, cr4, efer, dr7;
	struct seg segs[SEG_COUNT];
	uint64_t gdtr_base, idtr_base;
	uint32_t gdtr_limit, idtr_limit;
};

/* Per logical processor. */
struct smm_lp {
	bool in_smm;
	bool dual;                /* the dual-monitor treatment is active */
	uint32_t smbase;
	uint64_t monitor_ctl;     /* IA32_SMM_MONITOR_CTL */
	uint64_t transfer_vmcs;   /* the SMM-transfer VMCS pointer */
	struct smm_saved saved;
};

void smm_lp_reset(struct smm_lp *s);

/* IA32_VMX_BASIC[49] of the LP's model. */
bool smm_dual_monitor_supported(struct lp *lp);

/* The MSR rows: 0, or -1 for #GP(0). */
int smm_rdmsr(struct lp *lp, uint32_t idx, uint64_t *v);
int smm_wrmsr(struct lp *lp, uint32_t idx, uint64_t v);

/* An SMI raised by the APM control port: the OUT at `io_rip` (`len` bytes) retires
 * and the SMI arrives right after it (an "I/O SMI"). Called from the OUT's site in
 * VMX root operation or outside VMX operation. `qual` describes the OUT as the SDM's
 * "Exit Qualification for SMIs That Arrive Immediately After the Retirement of an I/O
 * Instruction" lays it out (size - 1 in bits 2:0, direction 3, string 4, REP 5,
 * immediate operand 6, port 31:16): an SMM VM exit records it. */
void smm_raise_io_smi(struct lp *lp, uint64_t io_rip, unsigned len, uint64_t qual);

/* RSM (site_rsm, declared in sites.h): in SMM under the default treatment it
 * restores the state the SMI saved; #UD elsewhere. */

/* VMCALL in VMX root operation, from the point where the SDM's pseudocode tests the
 * dual-monitor treatment (after the mode and CPL checks): VMfail(1), the SMM VM exit
 * of an active treatment, or the activation checks and the activation. `rip` and
 * `len` locate the VMCALL. */
void smm_vmcall(struct lp *lp, uint64_t rip, unsigned len, struct vmx_result *r);

/* VMLAUNCH/VMRESUME in SMM with "entry to SMM" clear: the checks on the
 * executive-VMCS pointer and the executive VMCS (VM-instruction errors 16, 17, 18,
 * 25), in the SDM's order. 0 when they pass, else the error number. */
uint32_t smm_entry_checks(struct lp *lp);

/* The VM-entry control checks in SMM (instead of entry_run(ENTRY_CTL)): as outside,
 * except that the controls of SMM may be set and, when the entry returns from SMM,
 * the current VMCS's VM-execution controls are not checked. */
struct entry_ctx;
struct entry_check;
const struct entry_check *smm_entry_run_ctl(struct entry_ctx *c, bool smm_return);

/* After the other VM-entry checks passed: the VM entry that returns from SMM.
 * Fills r (VMX_STATE_LOADED, or VMX_NOT_MODELLED with the reason). */
void smm_return_from_smm(struct lp *lp, struct vmx_result *r);

#endif
