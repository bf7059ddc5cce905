/* VM exits at instruction boundaries that a control asks for (SDM Vol. 3, "VM
 * Exits Caused by ... Monitor Trap Flag", "Interrupt-Window Exiting"): the
 * monitor trap flag (exit 37 after each instruction, trap-like) and
 * interrupt-window exiting (exit 7 at the first boundary where RFLAGS.IF = 1 and
 * no STI or MOV SS blocking holds). While one is armed, the guest engine calls
 * back at every instruction; otherwise it does not, and runs at full speed. */
#include "sim/cpu/machine.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/exit_reasons.h"
#include "sim/vmcs/fields.h"

#define RFLAGS_IF (1ull << 9)

static bool interrupts_open(struct lp *lp)
{
	return (cpu_reg(lp->uc, UC_X86_REG_RFLAGS) & RFLAGS_IF) && !cpustate_interrupt_shadow(&lp->cs);
}

static void on_boundary(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	struct lp *lp = user;
	struct vmx_lp *v = &lp->vmx;
	if (!v->non_root || lp->m->stopped)
		return;
	struct cpu_view cv;
	cpustate_view(&lp->cs, &cv);
	struct vmx_exit_info xi = { .rip = address - (cpu_view_long64(&cv) ? 0 : cv.segs[SEG_CS].base) };
	/* An MTF exit comes once the first instruction after VM entry has completed:
	 * at every boundary but the one before that instruction. (The guest may also
	 * resume inside the hook of that instruction, which then runs without another
	 * call.) It outranks the interrupt window. */
	bool first = v->mtf_skip && address == v->mtf_entry_la;
	v->mtf_skip = false;
	if (v->mtf && !first) {
		vmx_exit(lp, EXIT_REASON_MONITOR_TRAP_FLAG, &xi);
		return;
	}
	if (v->irq_window && interrupts_open(lp))
		vmx_exit(lp, EXIT_REASON_INTERRUPT_WINDOW, &xi);
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
	if (v->irq_window && !injected &&
	    (vmcs_read_enc(&v->vmcs, GUEST_RFLAGS) & RFLAGS_IF) &&
	    !(vmcs_read_enc(&v->vmcs, GUEST_INTERRUPTIBILITY_INFO) & 3)) {
		/* Open already: the exit comes before the first instruction. */
		struct vmx_exit_info xi = { .rip = vmcs_read_enc(&v->vmcs, GUEST_RIP) };
		vmx_exit(lp, EXIT_REASON_INTERRUPT_WINDOW, &xi);
		return true;
	}
	v->boundary_want = v->mtf || v->irq_window;
	if (v->boundary_want != v->boundary_hooked)
		lp->co_force_restart = true;   /* the engine must stop to change its code */
	return false;
}

void vmx_events_apply(struct lp *lp)
{
	if (lp->vmx.non_root && lp->vmx.boundary_want != lp->vmx.boundary_hooked)
		watch(lp, lp->vmx.boundary_want);
}

