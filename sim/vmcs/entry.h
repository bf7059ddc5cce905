/* VM-entry checks (SDM Vol. 3, "VM Entries", sections 2 to 4): one table per class,
 * in SDM order, each row a stable ID (CTL_*, HOST_*, GUEST_*, MSRLD_*; `vtsim checks`
 * lists them), the SDM section, a one-line summary and a predicate named after the
 * ID. One loop runs a class; the first failing row fills the diagnostic
 * record that vtsim prints, traces and returns to embedders. Tests assert the ID,
 * never the wording. */
#ifndef VTSIM_ENTRY_H
#define VTSIM_ENTRY_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/cpu/phys.h"
#include "sim/vmcs/caps.h"
#include "sim/vmcs/vmcs.h"

enum entry_class {
	ENTRY_CTL,      /* VM-execution, VM-exit and VM-entry controls: VMfailValid(7) */
	ENTRY_HOST,     /* host-state area and address-space size: VMfailValid(8) */
	ENTRY_GUEST,    /* guest-state area: VM-entry failure, exit reason 33 */
	ENTRY_MSRLD,    /* VM-entry MSR-load list: VM-entry failure, exit reason 34 */
	ENTRY_NR_CLASSES
};

/* Why an entry failed, as data. */
struct entry_diag {
	const char *id;             /* "CTL_PIN_RESERVED" */
	enum entry_class cls;
	const char *section;        /* "27.2.1.1" style, relative: "VM Entries 2.1.1" */
	uint32_t field;             /* the VMCS field found wrong (encoding), 0 if none */
	uint64_t value;             /* its value */
	uint32_t qualification;     /* exit qualification for classes GUEST and MSRLD */
	char rule[200];             /* the rule violated and what satisfies it, our words */
};

/* What a predicate may look at. */
struct entry_ctx {
	const struct vmcs_cache *vmcs;
	const struct vmcs_caps *caps;
	struct phys *pm;            /* memory, for checks that read it (VTPR, PDPTEs, MSR list) */
	unsigned maxphyaddr;
	bool launch;                /* VMLAUNCH rather than VMRESUME */
	bool lma;                   /* IA32_EFER.LMA of the LP executing it (address-space size) */
	struct entry_diag *diag;
	/* While a cached class runs: the fields the current row reads, and whether it
	 * read memory (which no field records). */
	uint64_t *reads;
	bool read_memory;
};

/* What a class's checks read when they last all passed, row by row, so that a
 * row whose fields have not changed since need not run again (entry_run_cached). */
#define ENTRY_CACHE_ROWS 128
struct entry_cache {
	bool valid;                 /* every row passed with these dependencies */
	uint64_t vmcs_ptr;          /* the VMCS they were read from */
	bool launch;
	struct entry_row_deps {
		uint64_t fields[VMCS_MAX_FIELDS / 64];
		bool memory;            /* always runs */
	} rows[ENTRY_CACHE_ROWS];
	/* The same by field, kept in step with rows[]: the rows that read each slot,
	 * and those that read memory. An entry finds the rows to run from the few
	 * fields that changed instead of testing every row. */
	uint64_t readers[VMCS_MAX_FIELDS][ENTRY_CACHE_ROWS / 64];
	uint64_t memory_rows[ENTRY_CACHE_ROWS / 64];
};

/* True when the rule holds; otherwise it fills the diagnostic with entry_fail(). */
typedef bool (*entry_pred_fn)(struct entry_ctx *c);

struct entry_check {
	const char *id;
	const char *section;        /* relative to the "VM Entries" chapter, e.g. "2.1.1" */
	const char *summary;
	entry_pred_fn pred;
};

/* The tables, one per class, each in SDM order (entry_ctl.c, entry_host.c,
 * entry_guest.c). */
extern const struct entry_check entry_checks_ctl[];
extern const size_t entry_checks_ctl_count;
extern const struct entry_check entry_checks_host[];
extern const size_t entry_checks_host_count;
extern const struct entry_check entry_checks_guest[];
extern const size_t entry_checks_guest_count;
extern const struct entry_check entry_checks_msrld[];
extern const size_t entry_checks_msrld_count;

/* Runs one class: NULL if every check holds, else the failing row (diag filled). */
const struct entry_check *entry_run(struct entry_ctx *c, enum entry_class cls);

/* The same, skipping the rows that passed last time and read no field changed
 * since (c->vmcs->changed); the VMCS's changed bits are cleared when all pass.
 * Gives exactly entry_run's result. */
const struct entry_check *entry_run_cached(struct entry_ctx *c, enum entry_class cls,
					   struct entry_cache *cache);

/* Every implemented check, class by class, for `vtsim checks` and coverage. */
size_t entry_check_total(void);
const struct entry_check *entry_check_at(size_t i, enum entry_class *cls);
const char *entry_class_name(enum entry_class cls);

/* For predicates: the value of a field, and a failure with its explanation. */
static inline uint64_t entry_field(const struct entry_ctx *c, uint32_t enc)
{
	if (c->reads) {
		/* A constant encoding's slot is known at compile time (vmcs_const_slot). */
		int slot = __builtin_constant_p(enc) ? vmcs_const_slot(enc) : vmcs_enc_slot(enc);
		if (slot >= 0)
			c->reads[slot / 64] |= 1ull << (slot % 64);
	}
	return vmcs_read_enc(c->vmcs, enc);
}

bool entry_fail(struct entry_ctx *c, uint32_t field, uint64_t value, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Common tests. */
bool entry_pa_ok(const struct entry_ctx *c, uint64_t pa, uint64_t align);  /* aligned, < MAXPHYADDR */
bool entry_canonical(uint64_t v);

#endif
