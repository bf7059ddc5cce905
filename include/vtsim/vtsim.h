/* vtsim: the public embedding API.
 *
 * A machine is one object: RAM, logical processors, devices, configuration.
 * Nothing is global, so a program (a test, a fuzzer) may create, run and destroy
 * as many machines as it likes.
 */
#ifndef VTSIM_H
#define VTSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Trace classes, selectable one by one (--trace=insn,exc,io,msr). */
enum {
	VTSIM_TRACE_INSN = 1u << 0,  /* every executed instruction (slow) */
	VTSIM_TRACE_EXC  = 1u << 1,  /* exceptions and interrupts delivered */
	VTSIM_TRACE_IO   = 1u << 2,  /* port I/O */
	VTSIM_TRACE_MSR  = 1u << 3,  /* RDMSR/WRMSR */
	VTSIM_TRACE_CPUID = 1u << 4, /* CPUID */
	VTSIM_TRACE_RUN  = 1u << 5,  /* boot, halt, end of run */
	VTSIM_TRACE_VMX  = 1u << 6,  /* VMX instructions and their outcome, entries, exits */
	VTSIM_TRACE_EXITS = 1u << 7, /* VM exits only (also part of VMX) */
	VTSIM_TRACE_SEAM = 1u << 8,  /* SEAMCALLs with their SEAMRET status, TD entries and
					exits (TDCALL is a TD exit); also part of VMX */
	VTSIM_TRACE_DEFAULT = VTSIM_TRACE_EXC | VTSIM_TRACE_IO | VTSIM_TRACE_MSR |
			      VTSIM_TRACE_CPUID | VTSIM_TRACE_RUN | VTSIM_TRACE_VMX |
			      VTSIM_TRACE_EXITS | VTSIM_TRACE_SEAM,
	VTSIM_TRACE_ALL  = 0x1ff,
};

#define VTSIM_MAX_GUEST_MCE 4     /* cfg.inject_guest_mce's counts */

struct vtsim_config {
	uint64_t ram_size;        /* bytes; default 128 MiB */
	unsigned nr_cpus;         /* logical processors; default 1 */
	bool smp_exact_events;    /* several LPs: an event an LP raises for itself (self-IPI,
				     EOI, TPR) is looked at before the next instruction, at the
				     cost of a hook on every instruction, instead of at the
				     next translated-block start (docs/machine.md) */
	bool tdx;                 /* TDX platform (SEAMRR, KeyIDs, module) */
	const char *cpu_model;    /* CPU model name (vtsim cpus); NULL = the default */
	uint64_t max_insns;       /* 0 = unlimited */
	double timeout_s;         /* wall-clock limit; 0 = none */
	unsigned trace_mask;      /* VTSIM_TRACE_* */
	FILE *trace;              /* trace output; NULL = stderr */
	FILE *console;            /* COM1 and port 0xE9 output; NULL = stdout */
	FILE *diag;               /* diagnostics (halt, triple fault); NULL = stderr */
	bool json;                /* diagnostics as JSON objects, one per line */
	bool vmcs_dump;           /* a failed VM entry also dumps the VMCS by field name */
	bool vmcs_diff;           /* ... and the fields changed since the last VM entry on that LP */
	const char *gdb;          /* "127.0.0.1:PORT": a GDB stub there, waited for before the
				     first instruction (loopback only); NULL = none */
	bool check_exits;         /* self-check for fuzzing: every VM exit that reports an
				     instruction length must match the instruction at its RIP
				     (costs a decode per such exit); see vtsim_exit_check_failures */
	unsigned inject_entry_mce;   /* fault injection, a property of the run: the Nth VM entry
				     on LP 0 that passes its checks meets a machine check and
				     fails (vtsim_inject_entry_mce); 0 = none */
	unsigned inject_guest_mce[VTSIM_MAX_GUEST_MCE];   /* ... the guests of the Nth VM entries on
				     LP 0 that complete, counted from the run's start, increasing
				     (0 ends the list): the first instruction of each meets a machine
				     check (vtsim_inject_guest_mce) */
};

/* Why the last VM entry on a logical processor failed a check, as data. */
struct vtsim_entry_failure {
	const char *check;        /* stable ID, e.g. "CTL_PIN_RESERVED"; NULL if none failed */
	const char *check_class;  /* "control", "host", "guest", "msr-load" */
	const char *sdm_section;  /* relative to the "VM Entries" chapter, e.g. "2.1.1" */
	const char *field;        /* the VMCS field found wrong, NULL if none */
	uint32_t field_encoding;
	uint64_t value;
	const char *rule;         /* the rule and what satisfies it, in a sentence */
	unsigned vm_instruction_error;   /* 7 or 8; 0 for guest-state/MSR-load failures */
	uint32_t exit_reason;     /* 33 or 34 with bit 31 set; 0 for VMfailValid */
	uint32_t qualification;
};

/* Why a run ended. The exit statuses are MACHINE.md's. */
enum vtsim_stop {
	VTSIM_STOP_DEBUG_EXIT = 1,   /* OUT to 0xF4: status (v << 1) | 1 */
	VTSIM_STOP_HALT,             /* HLT with IF=0 in root/outside VMX: status 0 */
	VTSIM_STOP_TRIPLE_FAULT,     /* shutdown: status 3 */
	VTSIM_STOP_LIMIT,            /* --max-insns or --timeout: status 4 */
	VTSIM_STOP_INTERNAL,         /* a vtsim limitation or bug, explained: status 70 */
};

struct vtsim_result {
	enum vtsim_stop reason;
	int exit_status;
	uint64_t rip;                /* where the boot LP was */
	uint64_t insns;              /* retired instructions (virtual time) */
};

struct vtsim_machine;

/* A module passed to a multiboot image (--initrd). */
struct vtsim_module {
	const uint8_t *data;
	size_t size;
	const char *string;
};

void vtsim_config_defaults(struct vtsim_config *cfg);

/* NULL on failure, with a one-line reason in err. */
struct vtsim_machine *vtsim_machine_create(const struct vtsim_config *cfg,
					   char *err, size_t errlen);
void vtsim_machine_destroy(struct vtsim_machine *m);

/* Loads an ELF64 or multiboot image and puts the boot LP in its entry state.
 * `cmdline` and `mods` are for multiboot images. 0, or -1 with a message. */
int vtsim_machine_load(struct vtsim_machine *m, const uint8_t *image, size_t size,
		       const char *cmdline, const struct vtsim_module *mods,
		       unsigned nmods, char *err, size_t errlen);

/* Runs until the machine stops; fills *res. */
void vtsim_machine_run(struct vtsim_machine *m, struct vtsim_result *res);

/* The last failed VM entry of logical processor `lp` (check == NULL if none). */
/* Fault injection: the next VM entry on `lp` that passes its checks meets a machine
 * check while it loads guest state, and fails with exit reason 41 (SDM "VM Entries",
 * "Machine-Check Events During VM Entry"), so a VMM's handling of that exit can be
 * tested. -1 if there is no such LP. cfg.inject_entry_mce (`vtsim run
 * --inject-entry-mce N`) arms the same for the Nth entry of the run on LP 0. */
int vtsim_inject_entry_mce(struct vtsim_machine *m, unsigned lp);
/* Fault injection: after the next VM entry on `lp` that completes, the guest's
 * first instruction meets a machine check (#MC, vector 18, an abort with no error
 * code): a VM exit if the exception bitmap has bit 18, else delivered through the
 * guest's IDT. An event injected by that entry is delivered first and keeps the
 * machine check armed for the entry after. -1 if there is no such LP.
 * cfg.inject_guest_mce (`vtsim run --inject-guest-mce N`, repeatable) arms the same
 * at the Nth entry of the run on LP 0 that completes (its injected event, if any,
 * delivered without a VM exit). */
int vtsim_inject_guest_mce(struct vtsim_machine *m, unsigned lp);

/* With cfg.check_exits: how many VM exits reported an instruction other than the
 * one at the guest's RIP (a simulator bug), and the first of them in `msg`. */
unsigned vtsim_exit_check_failures(struct vtsim_machine *m, char *msg, size_t size);

void vtsim_last_entry_failure(struct vtsim_machine *m, unsigned lp, struct vtsim_entry_failure *out);

/* A digest (SHA-256) of the machine's state: RAM, and each logical processor's
 * general registers, RIP, RFLAGS, CR0/CR3/CR4, EFER, VMX mode and retired
 * instructions. Two runs that reproduce each other end with the same digest. */
void vtsim_machine_state_hash(struct vtsim_machine *m, uint8_t out[32]);

/* Physical memory, for tests and tools. */
uint8_t *vtsim_machine_ram(struct vtsim_machine *m, uint64_t *size);
uint64_t vtsim_machine_reserved_base(const struct vtsim_machine *m);
/* The end of the RAM software may use: the reserved area, or on a TDX platform
 * the SEAM range below it. */
uint64_t vtsim_machine_ram_top(const struct vtsim_machine *m);

/* The CPU models (CPUID and VMX capabilities as data): name and description of
 * model i, or NULL past the last. */
const char *vtsim_cpu_model_name(unsigned i, const char **description);

/* The VM-entry checks implemented, in the order VM entry runs them: the stable ID
 * of check i (NULL past the last) with its class ("control", "host", "guest",
 * "msr-load"), SDM section (relative to the "VM Entries" chapter) and summary. */
const char *vtsim_entry_check(unsigned i, const char **cls, const char **section,
			      const char **summary);

/* Parses "128M", "1G", "65536"; 0 on success. */
int vtsim_parse_size(const char *s, uint64_t *out);

#ifdef __cplusplus
}
#endif
#endif
