/* Task switches in VMX non-root operation (SDM Vol. 3C "Treatment of Task Switches"
 * and the exit qualification for task switches): any attempt is VM exit 9, after
 * the checks the task switch makes first (the gate's P bit and privilege, the new
 * TSS selector against the GDT limit, the descriptor read, its type, P, S and
 * limit), whose failures are faults in the guest. vtsim never performs the switch
 * in a guest; outside IA-32e mode only (there the engine raises #GP itself). */
#ifndef VTSIM_VMX_TASK_SWITCH_H
#define VTSIM_VMX_TASK_SWITCH_H

#include <stdint.h>

struct lp;

/* Bits 31:30 of the exit qualification. */
enum task_switch_source {
	TASK_SWITCH_CALL = 0,
	TASK_SWITCH_IRET = 1,
	TASK_SWITCH_JMP = 2,
	TASK_SWITCH_IDT_GATE = 3,
};

/* Check 4 on the new TSS descriptor: 0 when it is a TSS fit for a switch from
 * `src` (IRET returns to a busy TSS, the others need an available one), else the
 * vector of the fault, whose error code is the TSS selector. */
unsigned task_switch_tss_fault(uint64_t desc, enum task_switch_source src);

/* VM exit 9 with the qualification `sel | src << 30`; `rip` is the guest's RIP to
 * save (the instruction's), `insn_len` 0 where the SDM leaves it undefined, and
 * `idt_info`/`idt_error` the event whose delivery met an IDT task gate. */
void vmx_task_switch_exit(struct lp *lp, uint16_t sel, enum task_switch_source src,
			  uint64_t rip, uint32_t insn_len, uint32_t idt_info, uint32_t idt_error);

/* Should a scan hook far CALL/JMP and IRET here? In the guest engine outside
 * IA-32e mode only, so that other code pays nothing for them. */
_Bool task_switch_watched(struct lp *lp);

#endif
