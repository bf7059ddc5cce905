/* A GDB remote stub for `vtsim run --gdb 127.0.0.1:PORT`: gdb sees the current
 * logical processor's registers (the VMM's in VMX root, the guest's in VMX non-root:
 * whichever engine runs), reads and writes memory at linear addresses of the current
 * mode (through the guest's paging and EPT in non-root operation), sets breakpoints,
 * steps, continues and interrupts, and can stop at every VM exit and at every failed
 * VM entry (`monitor vmexitbp on`, `monitor entryfailbp on`).
 *
 * How it keeps the engines fast: breakpoints are Unicorn code hooks bound to their
 * one address (guest memory is never patched), and stepping adds an every-
 * instruction hook only while a step is under way. Hooks change only while an
 * engine is stopped: the stub stops an engine (uc_emu_stop) and does its work at the
 * top of the run loop (gdbstub_before_run), never inside a callback. An engine that
 * is suspended behind a VM entry or exit gets its hooks when it next runs.
 *
 * Several LPs (--cpus N) are gdb's threads 1..N, stopped all at once (all-stop):
 * a stop names the LP that hit it, `Hg` picks the LP whose registers and memory gdb
 * reads, a step is for one LP while the others run their quanta, and `info threads`
 * shows each LP's mode. Breakpoints and watchpoints are in every LP's engines.
 *
 * The run loop and the VMX units call the functions below; nothing else knows the
 * stub exists. */
#ifndef VTSIM_GDBSTUB_H
#define VTSIM_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gdbstub;
struct lp;
struct vtsim_machine;

/* Listens on addr ("127.0.0.1:1234"; port 0 picks a free one), loopback only. NULL
 * with a one-line reason in err. */
struct gdbstub *gdbstub_open(struct vtsim_machine *m, const char *addr, char *err, size_t errlen);
void gdbstub_close(struct gdbstub *g);

/* Before the first instruction: says where it listens (on the machine's diagnostics
 * stream) and waits for gdb to connect. The first gdbstub_before_run serves it. */
void gdbstub_attach(struct gdbstub *g);

/* The run loop, before it starts lp's engine: serves the debugger while the machine
 * is stopped for it, then brings the engine's hooks up to date. */
void gdbstub_before_run(struct gdbstub *g, struct lp *lp);

/* The run loop, after the engine returned: true when the stub stopped it (the loop
 * goes round again without looking for another reason). */
bool gdbstub_take_rerun(struct gdbstub *g);

/* Every so many retired instructions, inside the running engine: an interrupt
 * from gdb (Ctrl-C) stops the machine. */
void gdbstub_poll(struct gdbstub *g, struct lp *lp);
/* How many instructions may run between two polls. */
#define GDBSTUB_POLL_INSNS (1ull << 20)

/* A VM exit has loaded the host state (lp's active engine is the root one). */
void gdbstub_on_vmexit(struct gdbstub *g, struct lp *lp, uint32_t reason, uint64_t qualification,
		       uint64_t guest_rip);
/* A VM entry is about to run the guest engine. */
void gdbstub_on_vmentry(struct gdbstub *g, struct lp *lp);
/* VMLAUNCH or VMRESUME failed a check; `why` says which, in a sentence. */
void gdbstub_on_entry_fail(struct gdbstub *g, struct lp *lp, const char *why);

/* The run is over: gdb is told the exit status. */
void gdbstub_on_end(struct gdbstub *g, int status, const char *why);

#endif
