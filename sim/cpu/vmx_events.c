/* VM exits at instruction boundaries that a control asks for (SDM Vol. 3, "VM
 * Exits Caused by ... Monitor Trap Flag", "Interrupt-Window Exiting and
 * Virtual-Interrupt Delivery", "NMI-Window Exiting"): the monitor trap flag (exit
 * 37 after each instruction, trap-like), interrupt-window exiting (exit 7 at the
 * first boundary where RFLAGS.IF = 1 and no STI or MOV SS blocking holds), and
 * NMI-window exiting (exit 8 at the first boundary without virtual-NMI blocking,
 * which an injected NMI sets and IRET clears), the IRET that ends blocking by NMI
 * after an NMI delivered through the guest's IDT (interrupt.h), and the delivery of a recognized
 * virtual interrupt (apicv.h) where interrupts are open. Debug traps held from VM entry
 * (vmx_debug.h) are delivered between the MTF exit and the windows, and alignment
 * checking (align_check.h) comes last. While one is armed, a virtual NMI or an NMI is
 * blocked, a debug trap is held or the guest's CR0.AM is set, the guest engine calls back at every instruction; otherwise it
 * does not, and runs at full speed. */
#include <string.h>

#include "sim/cpu/align_check.h"
#include "sim/cpu/apicv.h"
#include "sim/cpu/interrupt.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/noncanon.h"
#include "sim/cpu/vmx_debug.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/exit_reasons.h"
#include "sim/vmcs/fields.h"

#define RFLAGS_IF (1ull << 9)
#define RFLAGS_AC (1ull << 18)

static bool interrupts_open(struct lp *lp)
{
	return (cpu_reg(lp->uc, UC_X86_REG_RFLAGS) & RFLAGS_IF) && !cpustate_interrupt_shadow(&lp->cs);
}

static bool nmi_exiting(const struct vmx_lp *v)
{
	return vmcs_read_enc(&v->vmcs, PIN_BASED_VM_EXEC_CONTROL) & PIN_BASED_NMI_EXITING;
}

/* An event delivered from the boundary hook moves RIP to its handler, but the
 * engine would still call the other hooks of the instruction it was about to
 * execute: lp_restart_run skips them, and the run starts again at the handler.
 *
 * A VM exit taken here comes back here at the next VM entry: the guest coroutine
 * resumes inside this hook. If that entry put the guest elsewhere (an event
 * delivered, RIP moved by the VMM), the rest of the struck instruction's hooks must
 * not run: a site's would execute that instruction, or exit for it, at the new RIP. */
static void boundary_exit(struct lp *lp, uc_engine *uc, uint32_t reason, const struct vmx_exit_info *xi)
{
	vmx_exit(lp, reason, xi);
	if (!lp->m->stopped && !lp->co_terminate && lp->vmx.non_root && cpu_reg(uc, UC_X86_REG_RIP) != xi->rip)
		lp_restart_run(lp);
}

static void on_boundary(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	struct lp *lp = user;
	struct vmx_lp *v = &lp->vmx;
	if (!v->non_root || lp->m->stopped)
		return;
	/* A branch went to a non-canonical address: it faults, nothing is fetched. */
	if (!la_canonical(address, 0) && noncanon_in_64bit_mode(lp, address)) {
		noncanon_fetch_fault(lp);
		lp_restart_run(lp);
		return;
	}
	lp->last_insn_la = address;
	struct cpu_view cv;
	cpustate_view(&lp->cs, &cv);
	struct vmx_exit_info xi = { .rip = address - (cpu_view_long64(&cv) ? 0 : cv.segs[SEG_CS].base) };
	/* An MTF exit comes once the first instruction after VM entry has completed:
	 * at every boundary but the one before that instruction. (The guest may also
	 * resume inside the hook of that instruction, which then runs without another
	 * call.) It outranks the interrupt window. */
	bool first = v->mtf_skip && address == v->mtf_entry_la;
	v->mtf_skip = false;
	/* IRET ends virtual-NMI blocking once it has completed: at the next boundary. */
	if (v->iret_done) {
		v->iret_done = false;
		v->vnmi_blocked = false;
	}
	if (v->vnmi_blocked && insn_is_iret(lp, address))
		v->iret_done = true;
	/* Blocking by NMI (NMI exiting clear: IRET unblocks NMIs as outside VMX).
	 * An NMI held by it is taken once the engine has stopped. */
	if (lp->nmi.blocked && !nmi_exiting(v) && nmi_iret_boundary(lp, address) && lp->nmi.pending) {
		lp->stop_due = true;
		uc_emu_stop(uc);
		return;
	}
	if (v->mtf && !first) {
		boundary_exit(lp, uc, EXIT_REASON_MONITOR_TRAP_FLAG, &xi);
		return;
	}
	/* Debug traps come next: those VM entry held under MOV-SS blocking are due
	 * once the first instruction has completed. */
	if (!first && vmx_dbg_boundary(lp, xi.rip)) {
		lp_restart_run(lp);
		return;
	}
	/* NMI window: no virtual-NMI blocking and no MOV-SS blocking (the engine has
	 * one shadow flag for STI and MOV SS, so an STI shadow delays it too). */
	if (v->nmi_window && !v->vnmi_blocked && !cpustate_interrupt_shadow(&lp->cs)) {
		boundary_exit(lp, uc, EXIT_REASON_NMI_WINDOW, &xi);
		return;
	}
	if (v->irq_window && interrupts_open(lp)) {
		boundary_exit(lp, uc, EXIT_REASON_INTERRUPT_WINDOW, &xi);
		return;
	}
	if (apicv_virq(lp) && interrupts_open(lp)) {
		apicv_deliver(lp, xi.rip);
		lp_restart_run(lp);
		return;
	}
	/* Last, the instruction's own fault: #AC before it executes. */
	if (align_check_fault(lp, xi.rip))
		lp_restart_run(lp);
}

/* Adds or removes the per-instruction hook. Only while the guest engine is not
 * running: the flush frees the translated code it may be executing. */
static void watch(struct lp *lp, bool on)
{
	struct vmx_lp *v = &lp->vmx;
	uc_engine *uc = lp->guest.uc;
	if (on == v->boundary_hooked || !uc)
		return;
	if (on && uc_hook_add(uc, &v->boundary_hook, UC_HOOK_CODE, (void *)on_boundary, lp, 1, 0) != UC_ERR_OK)
		return;
	/* A site's hook (an instruction the simulator executes, which may exit) added
	 * before the boundary hook would run first, and its exit would come before the
	 * window or MTF exit due at that boundary: the sites come back after it. */
	if (on)
		sites_forget(&lp->guest.sites, uc);
	if (!on)
		uc_hook_del(uc, v->boundary_hook);
	v->boundary_hooked = on;
	/* Code already translated was instrumented without (or with) the hook. */
	uc_ctl_flush_tb(uc);
}

bool vmx_events_enter(struct lp *lp, bool injected)
{
	struct vmx_lp *v = &lp->vmx;
	uint64_t proc = vmcs_read_enc(&v->vmcs, CPU_BASED_VM_EXEC_CONTROL);
	v->mtf = proc & CPU_BASED_MONITOR_TRAP_FLAG;
	/* After an injected event, the MTF exit comes before the handler's first
	 * instruction; otherwise after the guest's first instruction. */
	v->mtf_skip = !injected;
	v->mtf_entry_la = vmcs_read_enc(&v->vmcs, GUEST_RIP) + vmcs_read_enc(&v->vmcs, GUEST_CS_BASE);
	v->irq_window = proc & CPU_BASED_INTR_WINDOW_EXITING;
	v->nmi_window = proc & CPU_BASED_NMI_WINDOW_EXITING;
	v->iret_done = false;
	if (v->nmi_window && !v->vnmi_blocked && !injected &&
	    !(vmcs_read_enc(&v->vmcs, GUEST_INTERRUPTIBILITY_INFO) & 2)) {
		struct vmx_exit_info xi = { .rip = vmcs_read_enc(&v->vmcs, GUEST_RIP) };
		vmx_exit(lp, EXIT_REASON_NMI_WINDOW, &xi);
		return true;
	}
	if (v->irq_window && !injected &&
	    (vmcs_read_enc(&v->vmcs, GUEST_RFLAGS) & RFLAGS_IF) &&
	    !(vmcs_read_enc(&v->vmcs, GUEST_INTERRUPTIBILITY_INFO) & 3)) {
		/* Open already: the exit comes before the first instruction. */
		struct vmx_exit_info xi = { .rip = vmcs_read_enc(&v->vmcs, GUEST_RIP) };
		vmx_exit(lp, EXIT_REASON_INTERRUPT_WINDOW, &xi);
		return true;
	}
	/* Alignment checking only when CR0.AM and RFLAGS.AC are both set already (or
	 * once the guest sets CR0.AM, vmx_events_cr0): most guests run with CR0.AM
	 * and would otherwise all pay for the hook. */
	bool align = align_check_armed(vmcs_read_enc(&v->vmcs, GUEST_CR0)) &&
		     (vmcs_read_enc(&v->vmcs, GUEST_RFLAGS) & RFLAGS_AC);
	bool nmi_iret = lp->nmi.blocked && !nmi_exiting(v);
	v->boundary_want = v->mtf || v->irq_window || v->nmi_window || v->vnmi_blocked || v->pending_dbg ||
			   nmi_iret || apicv_virq(lp) || align;
	if (v->boundary_want != v->boundary_hooked)
		lp->co_force_restart = true;   /* the engine must stop to change its code */
	return false;
}

void vmx_events_cr0(struct lp *lp, uint64_t cr0)
{
	struct vmx_lp *v = &lp->vmx;
	if (!align_check_armed(cr0) || v->boundary_want)
		return;
	/* The engine stops after the MOV to CR0 and comes back with the hook. */
	v->boundary_want = true;
	lp_restart_run(lp);
}

void vmx_events_watch_iret(struct lp *lp)
{
	lp->vmx.boundary_want = true;
}

void vmx_events_apply(struct lp *lp)
{
	if (lp->vmx.non_root && lp->vmx.boundary_want != lp->vmx.boundary_hooked)
		watch(lp, lp->vmx.boundary_want);
}

