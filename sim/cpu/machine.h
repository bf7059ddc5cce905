/* The machine object and its logical processors (internal to sim/). */
#ifndef VTSIM_MACHINE_H
#define VTSIM_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unicorn/unicorn.h>
#include <capstone/capstone.h>

#include "vtsim/vtsim.h"
#include "sim/cpu/breakpoint.h"
#include "sim/cpu/coro.h"
#include "sim/cpu/diag_once.h"
#include "sim/cpu/hook_layout.h"
#include "sim/cpu/cpustate.h"
#include "sim/cpu/cpuid.h"
#include "sim/cpu/fw_cfg.h"
#include "sim/cpu/ioapic.h"
#include "sim/cpu/guest_tlb.h"
#include "sim/cpu/interrupt.h"
#include "sim/cpu/lapic.h"
#include "sim/cpu/mmio.h"
#include "sim/cpu/mmu.h"
#include "sim/cpu/pc_ports.h"
#include "sim/cpu/phys.h"
#include "sim/cpu/sites.h"
#include "sim/cpu/smm.h"
#include "sim/cpu/uart.h"
#include "sim/cpu/vmx.h"
#include "sim/seam/seam.h"
#include "sim/vmcs/caps.h"

/* Activity of a logical processor. */
enum lp_activity {
	LP_ACTIVE,
	LP_WAIT_FOR_SIPI,   /* application processors until INIT/SIPI */
	LP_HALTED,          /* HLT, with several LPs: waits until an event wakes it */
};

/* One step of an exception chain, kept for the triple-fault report. */
struct exc_step {
	uint8_t vector;
	bool has_error;
	uint32_t error_code;
	uint64_t rip;
};

#define EXC_CHAIN_MAX 4

/* A software CPU: one Unicorn engine with its own translations and hooks. An LP has
 * one for VMX root operation and outside VMX (root), and one for the guest in VMX
 * non-root operation (guest), created at the first VM entry. */
struct engine {
	uc_engine *uc;
	struct cpustate cs;
	struct sites sites;
	struct bp_watch bp;    /* its instruction breakpoints' hooks (breakpoint.h) */
	uint64_t pdpte[4];     /* PAE paging's PDPTE registers (pdpte.h) */
	uint64_t runs;         /* engine runs started: a snapshot restore drops the
				* translations of an engine that ran since */
	bool count_due;        /* the LP began counting: install the block hook and
				* drop the translations before the next run */
	/* RIP of the block start its run stopped at (~0: none): a block entered
	 * through a chained jump has not stored its RIP, the engine reports an
	 * older one. Per engine: the root engine's run spans the guest's. */
	uint64_t block_stop_rip;
	bool in_loop;          /* inside uc_emu_start (cpustate_jump) */
};

struct lp {
	struct vtsim_machine *m;
	unsigned id;
	uint32_t apic_id;
	enum lp_activity activity;
	/* The engine running now; uc, cs and sites are its, copied for brevity. */
	struct engine *active;
	uc_engine *uc;
	struct cpustate cs;
	struct sites *sites;
	struct engine root, guest;
	/* The guest engine runs on a coroutine of its own, so that VM entry and VM exit
	 * switch stacks inside the engines' callbacks instead of leaving and
	 * re-entering the engines (microseconds each). */
	struct coro co_root, co_guest;
	void *co_stack;
	bool co_started;       /* the guest coroutine exists (and has not returned) */
	bool co_terminate;     /* asked to finish: the machine is going away */
	bool co_restart;       /* the guest engine was stopped to start afresh */
	bool on_guest_stack;   /* running on the guest coroutine's stack */
	bool co_force_restart; /* the next entry needs the guest engine started afresh */
	bool co_flush_tb;      /* ... with its translations dropped first (a VMLAUNCH) */
	bool co_entry_restart; /* that entry's RIP goes back in when the stopped run returns */
	uint64_t co_entry_rip;
	csh cs_handle;                /* Capstone, 64-bit (32-bit code is decoded with cs32) */
	csh cs32, cs16;

	/* Several LPs (smp.h): the LP's own coroutine, its quantum, why its engine was
	 * asked to stop. */
	struct coro co_sched;          /* where the LP left the scheduler */
	void *sched_stack;
	bool sched_done;               /* its run loop is over */
	uint64_t quantum_end;          /* insns when it stops for the next LP (0: none) */
	bool yield_due;                /* the quantum is over: yield at the next boundary */
	bool stop_due;                 /* an event to look at: its engine was stopped */
	bool stop_at_block;            /* its engine stops at the next block start (smp.h) */
	bool init_pending;             /* INIT in VMX non-root operation: an exit is due */
	struct nmi_state nmi;          /* a pending NMI and blocking by NMI (interrupt.h) */
	struct nmi_watch nmi_watch;    /* the root engine's IRET hook while NMIs are blocked */
	uint64_t hlt_next_rip;         /* RIP after a HLT about to execute in this run */
	/* The last instruction start the boundary hook saw and the last block the block
	 * hook counted (~0 / size 0: none): which branch a fetch at a non-canonical
	 * address came from (noncanon.h). */
	uint64_t last_insn_la, last_block_la;
	uint32_t last_block_size;
	/* DR6 as the run began or vtsim last wrote it: the engine sets BS itself before
	 * its single-step #DB reaches vtsim, which a #DB VM exit must not leave there. */
	uint64_t dr6_known;
	uint64_t halt_rip, halt_seq;   /* LP_HALTED: where, and the order of halting */
	bool halt_if;

	/* Virtual time: instructions retired, counted at block entry while `counting`
	 * (docs/machine.md, "Virtual time"): from the start when the run needs the
	 * count (--max-insns, --timeout, gdb, several LPs), else from the first time
	 * software observes time (lp_count_instructions). */
	bool counting;
	uint64_t insns;
	/* Of those, the block running now (counted at its start): an instruction in
	 * it sees the clock as the block began (lp_clock_seen, tsc_cost.h). 0 between
	 * runs and across VM entry and exit. */
	uint32_t block_insns;
	uint64_t retire_check;         /* lp_retire's slow path runs from this count */
	uint64_t event_ticks;          /* TSC ticks events cost (tsc_cost.h) */
	unsigned spurious_stops;       /* engine stops without progress, in a row */
	uint64_t spurious_rip;         /* ... at this RIP */

	/* MSRs the simulator owns (the rest live in the engine). */
	uint64_t feature_control;
	uint64_t apic_base;
	uint64_t tsc_offset;          /* IA32_TSC = insns + event_ticks + tsc_offset */
	uint64_t tsc_aux;
	uint64_t misc_enable;
	uint64_t pat;
	uint64_t debugctl;
	uint64_t rand_state;          /* RDRAND/RDSEED's sequence (rdrand.c); 0 = not seeded */

	struct lapic lapic;
	struct mmio_binding mmio[MMIO_MAX_DEVS];   /* the engines' MMIO callbacks' context */
	struct mmio_stops mmio_stops;              /* stops asked inside MMIO callbacks */

	struct vmx_lp vmx;
	struct smm_lp smm;            /* SMM and the dual-monitor treatment (smm.c) */
	struct guest_tlb gtlb;        /* the guest engine's translations with EPT */

	/* The exception being delivered, for #DF and triple-fault decisions. */
	struct exc_step chain[EXC_CHAIN_MAX];
	int chain_len;
	uint64_t chain_insns;         /* `insns` when the chain started */
};

struct vtsim_machine {
	struct vtsim_config cfg;
	struct phys pm;
	uint64_t reserved_base;
	uint64_t boot_info;           /* physical address of the boot-info block */
	const struct cpu_model *model;
	const struct vmcs_caps *vmx_caps;   /* the model's VMX capability MSRs */
	struct cpustate_layout layout;
	struct hook_layout hooks;     /* the sites' one code hook (sites.h) */

	unsigned nr_lps;
	struct lp *lps;

	/* The coverage collector installed when the machine was made, or NULL. */
	struct vtsim_coverage *cov;

	/* The TDX platform (--tdx): SEAM range, KeyIDs, the module. */
	struct seam_platform seam;

	/* The PC devices on the I/O bus (io.c's table). */
	struct fw_cfg fw_cfg;
	struct pc_ports pc;
	struct ioapic ioapic;

	/* Open-bus pages mapped on demand above RAM. */
	unsigned open_bus_pages;

	/* The scheduler of several LPs (smp.h): its context, the LP it runs now. */
	struct coro co_sched;
	struct lp *running;
	uint64_t halt_seq;

	/* How the run ends. */
	bool stopped;
	struct vtsim_result result;
	char stop_msg[1024];
	unsigned exit_check_failures;  /* cfg.check_exits: exits whose instruction was not at RIP */
	char exit_check_msg[256];
	struct timespec start;
	bool loaded;

	struct gdbstub *dbg;          /* the debugger's stub (--gdb), or NULL */

	/* VMfails and SEAMCALL errors explained on `diag` so far (each once). */
	struct diag_once told;

	/* COM1's registers; its bytes go straight out to the console. */
	struct uart16550 com1;
	FILE *console;
	FILE *trace;
	FILE *diag;
};

/* Makes `e` the LP's running engine (the run loop starts it next). */
void lp_switch(struct lp *lp, struct engine *e);
/* Creates the guest engine if it does not exist yet; -1 with a message in lp's
 * machine if it cannot be. */
int lp_guest_engine(struct lp *lp);

/* Runs the active engine once from its RIP; false when the run is over. */
bool lp_run_once(struct lp *lp);

/* Enters the guest coroutine (from root) and returns at the next VM exit or when
 * the machine stops; leaves it (from a VM exit) until the next VM entry. */
void lp_enter_guest(struct lp *lp);
void lp_leave_guest(struct lp *lp, bool restart);

/* Ends the run: records why, stops the engine of `lp`. */
void machine_stop(struct vtsim_machine *m, struct lp *lp, enum vtsim_stop why, int status,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Virtual time moves on by n instructions; the run stops at --max-insns and (checked
 * now and then) --timeout. The common case is one add and one compare: the rest
 * runs when the count reaches lp->retire_check, the nearest point where something
 * is due (a limit, a wall-clock check, the VMX-preemption timer). */
void lp_retire_slow(struct lp *lp);
/* Software observes virtual time (reads or writes the TSC, arms the VMX-preemption
 * timer or PAUSE-loop exiting), or something needs it: the LP counts instructions
 * from the next one on. Its engines get the block hook; one in the middle of a run
 * stops so that it runs again with it. */
/* From inside a callback of the active engine: the engine stops before anything
 * else of the instruction it is at runs (its other hooks: a site's would execute
 * that instruction or exit for it) and the run loop starts it again at once, at
 * RIP as the callback left it. For an event delivered from a hook, or a change to
 * the engine's hooks, which takes effect only while it is stopped. */
void lp_restart_run(struct lp *lp);
void lp_count_instructions(struct lp *lp);
void lp_retire_recompute(struct lp *lp);
static inline void lp_retire(struct lp *lp, uint64_t n)
{
	lp->insns += n;
	if (lp->insns >= lp->retire_check)
		lp_retire_slow(lp);
}

/* The translation context of an LP right now. */
void lp_mmu_ctx(struct lp *lp, struct mmu_ctx *c);
/* The translation context of the LP's running engine, whose state `v` holds: in a
 * guest with EPT on, guest-physical addresses go through the EPT. */
static inline void mmu_ctx_from_view(struct mmu_ctx *c, const struct lp *lp, const struct cpu_view *v)
{
	c->ept = lp->vmx.non_root ? lp->vmx.ept_active : NULL;
	c->pdpte = c->ept ? lp->guest.pdpte : NULL;
	c->cr0 = v->cr0;
	c->cr3 = v->cr3;
	c->cr4 = v->cr4;
	c->efer = v->efer;
	c->cpl = v->cpl;
	c->rflags_ac = (v->eflags >> 18) & 1;
}

/* Trace one event line if its class is enabled. */
void trace_event(struct vtsim_machine *m, unsigned cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline bool trace_on(const struct vtsim_machine *m, unsigned cls)
{
	return (m->cfg.trace_mask & cls) != 0;
}
/* The classes a VM entry or exit line belongs to: vmx, and seam when the LP is in
 * SEAM root (the TDX module entering or leaving a TD). Exits add `exits`. */
static inline unsigned trace_cls_transition(const struct lp *lp)
{
	return VTSIM_TRACE_VMX | (lp->vmx.seam_root ? VTSIM_TRACE_SEAM : 0);
}

#endif
