/* Simulator-instruction sites: where in guest code an instruction sits that the
 * simulator must execute or check itself (RDMSR, WRMSR, RDTSC, RDTSCP, MOV to a
 * control register; the VMX and SEAM instructions later).
 *
 * Why: Unicorn executes RDMSR/WRMSR/RDTSC silently against its own model and
 * offers no hook for them, and leaving the engine to emulate an instruction costs
 * microseconds. So when Unicorn translates a block (UC_HOOK_EDGE_GENERATED), the
 * block is scanned; every such instruction gets a code hook bound to exactly its
 * address, and the block is translated again with the hook in place. From then on
 * the instruction is emulated inside the hook, in tens of nanoseconds, and code
 * without such instructions runs with no hook at all.
 *
 * One code hook: with more than one code hook on an engine, Unicorn calls each
 * hooked instruction's hooks through a walk of the whole list (helper_uc_tracecode,
 * about 14 host instructions a hook, sites or not); with one, it compiles a direct
 * call into the block, and the hook's range only decides at translation which
 * instructions get it. So where the hook's record and the engine's hook count can
 * be found (hook_layout.h), an engine has one site hook, whose range is set to
 * [first site, last site] of each block with sites when it is translated: every
 * translation but an engine's first is reported to the edge hook, whose scan sees
 * the block's sites (those it finds and those the table knows at its addresses);
 * when the range then in force did not cover them, the range moves to cover them,
 * the engine stops before the block runs and the block is translated again (as
 * when a scan finds new sites). A block translated once keeps its calls whatever
 * the range does later; the instructions between two sites that get the call too
 * find no site and go on. Translations made before the edge hook has reported one
 * (an engine's first runs) are covered by the prime scan of each run's first
 * block, as the per-site hooks were. While the engine has another code hook (the
 * instruction trace, a debugger's, an event window's), its translations walk the
 * list and check each range at run time: the range is then every instruction, and
 * stays so until a flush when the engine runs with no other code hook again
 * (`wide`). Without the layout (or with VTSIM_SITE_HOOKS=each), one hook per site
 * as described above, and the sweep below.
 */
#ifndef VTSIM_SITES_H
#define VTSIM_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unicorn/unicorn.h>

#include "sim/cpu/modrm.h"
#include "sim/vmcs/fields.h"

struct lp;
struct cpu_view;

enum site_kind {
	SITE_NONE,
	SITE_RDMSR,
	SITE_WRMSR,
	SITE_RDTSC,
	SITE_RDTSCP,
	SITE_MOV_TO_CR,
	SITE_MOV_FROM_CR,
	SITE_MOV_DR,
	SITE_VMX,
	SITE_CPUID,
	SITE_GUEST_EXIT,       /* executes natively in root, exits unconditionally from a guest */
	SITE_IO,               /* IN, OUT, INS, OUTS: exits from a guest per the controls */
	SITE_COND_EXIT,        /* exits from a guest when a VM-execution control says so */
	SITE_CLTS,             /* CLTS, LMSW, SMSW: CR0 bits 3:0 under the guest/host mask */
	SITE_LMSW,
	SITE_SMSW,
	SITE_SEAMCALL,         /* 66 0F 01 CF, into the TDX module (sim/seam) */
	SITE_TDCALL,           /* 66 0F 01 CC: a TD's call to the module (a VM exit) */
	SITE_RSM,              /* 0F AA: leaves SMM (smm.c) */
	SITE_SYSCALL,          /* 0F 05, 0F 07: Intel's rules, not the engine's (syscall.c) */
	SITE_SYSRET,
	SITE_RDRAND,           /* RDRAND, RDSEED: vtsim's deterministic values (rdrand.c) */
	SITE_INVPCID,          /* 66 0F 38 82: the engine lacks it (invpcid.c) */
	SITE_GETSEC,           /* 0F 37: the engine lacks it; exit 11 from a guest (getsec.c) */
	SITE_TASK_SWITCH,      /* far CALL/JMP, IRET: a guest's task switch is VM exit 9
				* (vmx_task_switch.c); hooked only where one can happen */
	SITE_KIND_COUNT,
};

#define SITE_PA_NONE UINT64_MAX

/* A decoded instruction at a site. */
struct site_insn {
	enum site_kind kind;
	uint8_t len;
	uint8_t bytes[15];
	uint8_t vmx_id;                /* SITE_VMX: which (enum vmx_insn_id); SITE_GUEST_EXIT:
				  the basic exit reason */
	/* The ModRM operand, for a kind that has one, decoded once when the bytes were
	 * read, for code of `modrm_bits` (64, 32 or 16; 0: not decoded). A handler
	 * running the site in another mode decodes the bytes again. */
	uint8_t modrm_bits;
	struct modrm modrm;
};

/* A kind's handler (the list is at the end). */
typedef void (*site_handler_fn)(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);

struct site {
	uint64_t va;
	bool used;                     /* the slot holds a site (va may be 0: real-mode code at 0) */
	struct site_insn insn;
	uint64_t cr3;                  /* the address space the bytes were read in */
	uint64_t pa;                   /* ... the physical address they were read at
					* (SITE_PA_NONE: unknown, or across a page) */
	uint32_t space;                /* ... and the guest's (sites.space then) */
	uint32_t hits;                 /* runs since the last sweep */
	uint64_t block_end;            /* the end of the block it was last scanned in */
	uc_hook hook;
	site_handler_fn handler;       /* the kind's handler, NULL for SITE_NONE */
	bool lean;                     /* VMREAD or VMWRITE that site_vmx_lean may run */
	uint32_t lean_hf_mask, lean_hf_want;   /* ... in the modes site_lean_mode says */
	bool mode_view;                /* its handler reads no segment from the view (cpustate_view_mode) */
	struct vmcs_field_memo memo;   /* ... and the field it last named */
};

/* The sweep of cold sites. Unicorn calls every code hook's callback test at each
 * hooked instruction (helper_uc_tracecode walks the whole list), so each site hook
 * costs every site run: a VMM's setup code leaves dozens of sites that never run
 * again. (An engine with a single code hook is called without the walk: Unicorn
 * compiles the call into the block when it translates it.) Deleted hooks are only
 * freed when the outermost uc_emu_start returns, and the root engine of a VMM loop
 * never returns, so a sweep stops it twice, each time right after a site handler
 * moved RIP (the engine then looks up the block at the new RIP whether it stops or
 * not, so instruction counts do not change). A cold site's translations are
 * dropped by address when its bytes are still on the page they were read from (CR3
 * may differ: code read before paging, mapped 1:1), else every translation is;
 * either way its hook goes. */
enum sites_sweep {
	SWEEP_IDLE,
	SWEEP_WANT_DELETE,     /* cold sites found: stop, delete them before the next run */
	SWEEP_WANT_FREE,       /* deleted: stop once more so that Unicorn frees them */
};

struct block_count {
	uint64_t key;                  /* pc ^ size << 48; 0 = empty */
	uint32_t icount;
};

#define SITES_HOT 16

struct sites {
	struct site *tab;
	size_t cap, count;
	/* The sites the hook found lately, by address (site_lookup): a load and a compare
	 * instead of the hash and the probe. Pointers into `tab`: emptied whenever it
	 * moves or is rebuilt. */
	struct site *hot[SITES_HOT];
	struct block_count *blocks;
	size_t bcap, bcount;
	/* A few recent blocks in front of the table: loops run the same two or three. */
	struct block_count recent[4];
	/* A scan added hooks to a block already translated: the engine stops and the
	 * block is translated again. */
	bool retranslate;
	uint64_t lo, hi;
	bool primed;                   /* the first block (no edge callback) was scanned */
	/* Run starts scanned lately (linear address and CR3), so that restarts at
	 * the same place do not scan again. */
#define SITES_PRIMED_RING 8
	uint64_t primed_ring[SITES_PRIMED_RING];
	unsigned primed_next;
	uint64_t scanned_blocks;
	/* The guest the engine runs: another VM or TD (or the same VMCS relaunched)
	 * may hold other code at the same linear address and CR3. */
	uint32_t space;
	/* Site runs since the last look for cold sites, and the sweep's state. */
	uint32_t calls, period;        /* period: 0 before the first look */
	enum sites_sweep sweep;
	bool sweep_stopped;            /* the engine stopped for the sweep */
	uint64_t swept;                /* sites deleted by sweeps (statistics) */
	uint64_t flushed;              /* sweeps that dropped every translation */
	/* The run after a sweep's stop starts right after a site, in the rest of the
	 * block it was scanned in (to restart_end): that needs a scan only if the sweep
	 * deleted a site there (a prime scan would hook again the sites the sweep
	 * just deleted in the rest of the block). */
#define SWEEP_GONE_MAX 64
	uint64_t gone[SWEEP_GONE_MAX];
	size_t gone_n;                 /* deleted by the last sweep (may exceed the list) */
	bool sweep_restart;
	uint64_t restart_end;
	bool retired;                  /* the running handler completed its instruction */
	/* The one code hook (above). */
	bool ranged;                   /* this engine has one site hook, not one per site */
	uc_hook range_hook;            /* 0: none yet, or forgotten */
	uint64_t range_begin, range_end; /* its range (begin > end: every instruction) */
	bool edge_seen;                /* the edge hook reported a translation: it reports
					* every later one (hook_layout.h) */
	bool wide;                     /* translations that check the range at run time
					* may be cached: the range stays every instruction */
	uint64_t range_moves;          /* blocks translated again for the range (statistics) */
};

/* Classifies the instruction in bytes[0..len): a simulator instruction or SITE_NONE. */
enum site_kind site_classify(const uint8_t *bytes, unsigned len, bool long_mode);
/* The same, also saying which VMX instruction it is (for SITE_VMX). */
enum site_kind site_classify_insn(const uint8_t *bytes, unsigned len, bool long_mode,
				  uint8_t *vmx_id);
const char *site_kind_name(enum site_kind k);

/* Whether the machine's engines get the one code hook (above): decided on its
 * first engine, fresh (hook_layout_calibrate), said on the diagnostics stream when
 * not. */
struct vtsim_machine;
void sites_calibrate(struct vtsim_machine *m, uc_engine *fresh);

/* The active engine's edge hook (scans), and its block hook when the LP counts
 * instructions (lp->counting). */
int sites_init(struct lp *lp);
void sites_fini(struct lp *lp);
/* Installs the block hook that counts retired instructions in the active engine
 * (its translated blocks must be dropped for it to reach them). */
int sites_count_blocks(struct lp *lp);

/* Scans the code at the LP's RIP before its engine first runs. */
void sites_prime(struct lp *lp);

/* A site handler executed its instruction itself and the next one is at `next_rip`:
 * RIP moves there, and when the instruction began with RFLAGS.TF = 1 its single-step
 * trap follows (the engine, whose run the handler left, would not raise it). */
void site_retire(struct lp *lp, uint64_t next_rip);
/* The same, writing registers `ids` (Unicorn's IDs: RFLAGS, a destination GPR) with
 * `vals` in the same engine call as RIP: one call instead of one per register. */
#define SITE_RETIRE_MAX_REGS 4
void site_retire_regs(struct lp *lp, uint64_t next_rip, const int *ids, const uint64_t *vals,
		      unsigned n);
static inline void site_retire_reg(struct lp *lp, uint64_t next_rip, int id, uint64_t val)
{
	site_retire_regs(lp, next_rip, &id, &val, 1);
}

/* The engine raised #UD at `rip`: if a simulator instruction sits there (one the
 * engine does not know, met before its block was scanned), hook it for next time and
 * execute it now. True if it did. */
bool sites_emulate_ud(struct lp *lp, uint64_t rip);

/* Removes the engine's site hooks and forgets the sites: scans of the next
 * translations hook them again, after any hook added meanwhile (the engine calls
 * an address's hooks in the order they were added). The engine must be stopped and
 * its translations flushed by the caller. */
void sites_forget(struct sites *s, uc_engine *uc);

/* The engine now runs another guest: sites read in the last one are read again
 * before they are trusted, and the first block of each run is scanned again. */
void sites_new_space(struct sites *s);

/* After the engine stopped: translate again what a scan hooked (true), or go on
 * after a stop the sweep asked for (true, with an empty range). */
bool sites_take_retranslate(struct lp *lp, uint64_t *lo, uint64_t *hi);
/* Before a run: the range a scan hooked since the engine last stopped whose
 * translations were not dropped yet (true), because the stop that scan asked for
 * ended in a restart that runs again at once (a VM entry, a guest's TLB fault), or
 * the scan was this run's prime. The code already translated there has no hook. */
bool sites_take_hooked(struct sites *s, uint64_t *lo, uint64_t *hi);

/* Handlers, one per kind, implemented by the instruction units (msr.c ...). They
 * run inside the code hook, with the processor's state as `v` shows it (v->rip is
 * the instruction's). */
void site_rdmsr(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_wrmsr(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_rdtsc(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_rdtscp(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_mov_to_cr(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_mov_from_cr(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_mov_dr(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_vmx(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_cpuid(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_guest_exit(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_io(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_cond_exit(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_clts(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_lmsw(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_smsw(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_seamcall(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_tdcall(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_rsm(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_syscall(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_sysret(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_rdrand(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_invpcid(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_getsec(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);
void site_task_switch(struct lp *lp, const struct cpu_view *v, const struct site_insn *in);

/* SITE_VMX's fast path (insn_vmx.c), tried before the processor's state is read in
 * full: VMREAD and VMWRITE with register operands that succeed, from the registers
 * alone. False when site_vmx must run. */
struct cpu_regs;
bool site_vmx_fast(struct lp *lp, const struct cpu_regs *r, const struct site_insn *in);
/* Leaner still, for a site whose instruction site_vmx_lean_fits (register operands,
 * decoded, no LOCK): site_vmx_lean (site_vmx_lean.h), inline in the site hook. */
bool site_vmx_lean_fits(const struct site_insn *in);
/* A VMX instruction without a ModRM operand (VMLAUNCH, VMRESUME, VMCALL, VMXOFF,
 * VMFUNC): site_vmx reads nothing of the view but the registers, the mode and CS,
 * so cpustate_view_mode will do. */
bool site_vmx_mode_only(const struct site_insn *in);

#endif
