/* Moving between VMX root and non-root operation: loading the guest-state area into
 * the guest engine at VM entry, saving it back and recording the exit information
 * at VM exit (vmx_entry.c, vmx_exit.c). */
#ifndef VTSIM_VMX_GUEST_H
#define VTSIM_VMX_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <unicorn/unicorn.h>

struct lp;
struct seg_image;

/* The segment-register fields of the guest-state area, in enum seg_reg order: their
 * encodings, and their slots in a vmcs_cache (vmcs.h), so that VM entry and exit,
 * which move all 32 each time, skip the lookup of each encoding. */
struct guest_seg_fields {
	uint32_t sel, base, limit, ar;
	uint16_t sel_slot, base_slot, limit_slot, ar_slot;
};
extern const struct guest_seg_fields vmx_guest_seg_fields[8];

/* Puts an engine in the paging mode CR0/CR3/CR4/EFER describe, writing only what
 * changed (each write flushes the engine's TLB). */
struct cpustate;
void load_control_state(struct cpustate *cs, uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer);
/* Loads the guest-state area's segment registers (with the FS/GS base MSRs), GDTR,
 * IDTR and SYSENTER MSRs from `v` into an engine: VM entry and the return from SMM.
 * `gpr` and `rip`, unless NULL, are loaded in the same copy (VM entry: the VMM's
 * GPRs, RSP the guest's, and the guest's RIP; in_loop as cpustate_jump's). With
 * `im` (VM entry's), the segments and tables only when the engine would not hold
 * the same bytes after (vmx_seg_image.h). */
void vmx_load_guest_tables(struct cpustate *cs, uc_engine *uc, struct vmcs_cache *v,
			   const uint64_t *gpr, const uint64_t *rip, bool in_loop, struct seg_image *im);

/* Loads guest state and enters the guest (the engine switch takes effect when the
 * run loop next starts an engine). 0, or -1 if the guest engine cannot exist. */
int vmx_enter_guest(struct lp *lp, bool launch);

/* Saves the state of engine `g` into the guest-state area of the current VMCS, with
 * `rip` for RIP (SDM "Saving Guest State"): the guest's at VM exits, the executive
 * monitor's (the root engine's) at SMM VM exits from VMX root operation. Returns
 * its EFER, saved or not. */
struct engine;
struct cpu_view;
/* `view`, unless NULL, is `g`'s state as last read, unchanged since (a whole view,
 * or one without the segments: cpustate_view_mode). */
uint64_t vmx_save_guest_state(struct lp *lp, struct engine *g, uint64_t rip, const struct cpu_view *view);

/* What a VM exit records besides the basic reason. */
struct vmx_exit_info {
	uint64_t qualification;
	uint32_t insn_len;          /* instruction-caused exits */
	uint32_t insn_info;
	uint32_t intr_info;         /* exits caused by events (exception bitmap ...) */
	uint32_t intr_error;
	uint64_t guest_linear;
	uint64_t guest_physical;
	uint32_t idt_vectoring_info;   /* the exit interrupted the delivery of this event */
	uint32_t idt_vectoring_error;
	uint64_t rip;               /* guest RIP to save (the instruction's, or the next) */
	bool restart;               /* the exit came from inside an instruction's helper:
				     * the guest engine must start afresh after re-entry */
	bool halted;                /* the guest was in the HLT state (activity state 1) */
	bool wait_for_sipi;         /* ... in the wait-for-SIPI state (activity state 3) */
	/* The guest engine's state as the exiting site's hook read it, when nothing
	 * changed it since (an unconditional exit): the save need not read it again
	 * (the segments it reads itself if the view has none and they changed).
	 * NULL: read it. */
	const struct cpu_view *view;
};

/* A VM exit from the running guest: saves guest state, records `reason` and `info`,
 * loads host state and switches to the root engine's side. It returns when the guest
 * is entered again (or the machine ends). */
void vmx_exit(struct lp *lp, uint32_t reason, const struct vmx_exit_info *info);

/* The trace line of that exit, decoded (exit_trace.c, docs/trace.md). */
void vmx_trace_exit(struct lp *lp, uint32_t reason, const struct vmx_exit_info *info);
/* cfg.check_exits: an exit that reports an instruction length must find an
 * instruction of that length at the guest's RIP; counts the exits that do not. */
void vmx_check_exit_insn(struct lp *lp, uint32_t reason, const struct vmx_exit_info *info);

/* At VM entry, after the event injection: arms the monitor trap flag and the
 * interrupt window, or takes the interrupt-window exit at once. True when the
 * entry ended in that exit. */
bool vmx_events_enter(struct lp *lp, bool injected);
/* The guest writes `cr0` to CR0: alignment checking may need the per-instruction
 * hook from the next instruction on. */
void vmx_events_cr0(struct lp *lp, uint64_t cr0);
/* An NMI was delivered in the guest (NMI exiting clear): the per-instruction hook
 * watches for the IRET that ends its blocking. */
void vmx_events_watch_iret(struct lp *lp);
/* Before the guest engine starts: installs or removes the per-instruction hook
 * those need (the engine must not be running then). */
void vmx_events_apply(struct lp *lp);

struct mmu_fault;
/* An EPT violation or misconfiguration (exit reasons 48 and 49) met by the
 * instruction at `rip`; `idt_info` (with its error code and, for software events,
 * the instruction length) is nonzero when it interrupted the delivery of an event. */
void vmx_exit_ept(struct lp *lp, const struct mmu_fault *f, uint64_t rip, uint32_t idt_info,
		  uint32_t idt_error, uint32_t insn_len);

#endif
