/* Pending debug exceptions across VM entry and VM exit (SDM Vol. 3, "Guest
 * Non-Register State" and "Saving Non-Register State", "Delivery of Pending Debug
 * Exceptions after VM Entry", "Monitor Trap Flag"; Vol. 3 "Debug Exceptions" on
 * MOV SS/POP SS deferring #DB).
 *
 * The guest's pending-debug-exceptions field uses DR6's layout for B3-B0 (bits 3:0)
 * and BS (bit 14), plus "enabled breakpoint" (bit 12) and RTM (bit 16). While the
 * guest runs, lp->vmx.pending_dbg holds the debug exceptions that are pending but
 * not yet delivered: the ones VM entry loaded under MOV-SS blocking, which wait for
 * the end of the guest's first instruction. */
#ifndef VTSIM_VMX_DEBUG_H
#define VTSIM_VMX_DEBUG_H

#include <stdbool.h>
#include <stdint.h>
#include <unicorn/unicorn.h>

struct lp;
struct vmx_exit_info;

#define PENDING_DBG_B0_3  0xfull
#define PENDING_DBG_BP    (1ull << 12)    /* an enabled breakpoint matched */
#define PENDING_DBG_BS    (1ull << 14)
#define PENDING_DBG_RTM   (1ull << 16)
/* The bits of the field that say a #DB is pending ("valid pending debug
 * exceptions"), and the ones that become DR6 bits / the exit qualification. */
#define PENDING_DBG_VALID (PENDING_DBG_BP | PENDING_DBG_BS)
#define PENDING_DBG_DR6   (PENDING_DBG_B0_3 | PENDING_DBG_BS)

/* At VM entry, after event injection (`injected`: an event was injected). An
 * injected event makes the field's exceptions lost; MOV-SS blocking holds them
 * until the first instruction has completed; otherwise the #DB (a trap) is
 * delivered, or exits through the exception bitmap, before any instruction. True
 * when a #DB was delivered or exited (the guest's first boundary follows an event). */
bool vmx_dbg_enter(struct lp *lp, bool injected);

/* Debug exceptions still held from VM entry, in DR6 layout, merged into the #DB
 * that is being raised now (and no longer held). */
uint64_t vmx_dbg_take(struct lp *lp);

/* The engine raised a single-step trap (RFLAGS.TF) after the instruction that
 * ended at `rip`. With the monitor trap flag, the MTF VM exit has priority and the
 * trap stays in the pending-debug-exceptions field; otherwise the #DB (BS with any
 * held bits) is delivered or exits. */
void vmx_dbg_single_step(struct lp *lp, uint64_t rip);

/* At an instruction boundary after the guest's first instruction: the held
 * exceptions, if any, are now delivered as a #DB trap. True when that happened. */
bool vmx_dbg_boundary(struct lp *lp, uint64_t rip);

/* The value VM exit saves in the pending-debug-exceptions field: the held
 * exceptions, and BS when RFLAGS.TF single-stepped a MOV SS/POP SS whose
 * blocking still holds. Zero for a #DB exception exit, which reports them in its
 * qualification instead. The held exceptions end with the exit. */
uint64_t vmx_dbg_at_exit(struct lp *lp, uint32_t reason, const struct vmx_exit_info *info,
			 uint32_t interruptibility, uint64_t rflags);

#endif
