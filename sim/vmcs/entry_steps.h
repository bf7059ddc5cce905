/* The steps of VMLAUNCH/VMRESUME around the check tables (entry.h): the basic
 * checks the instruction makes before any VMCS check (SDM Vol. 3 "VM Entries" 1,
 * checklist section 0, IDs PRE_*), and what happens after the checks (section E,
 * IDs ENTRY_*). Data only: the instruction unit (sim/cpu/vmx.c) runs the PRE rows
 * in this order with one predicate per ID, and `vtsim checks` lists both tables
 * with the class tables, so every ID of the checklist is countable. */
#ifndef VTSIM_ENTRY_STEPS_H
#define VTSIM_ENTRY_STEPS_H

#include <stddef.h>
#include <stdint.h>

enum entry_pre_id {
	PRE_UD_MODE,
	PRE_NONROOT,
	PRE_CPL,
	PRE_VMCS_PTR,
	PRE_NOT_SHADOW,
	PRE_MOVSS,
	PRE_LAUNCH_CLEAR,
	PRE_RESUME_LAUNCHED,
	PRE_RESUME_CORRUPTED,
	PRE_SMM_EXEC_VMCS,
	ENTRY_PRE_COUNT
};

/* The architected outcome when a basic check fails. */
enum entry_pre_outcome {
	PRE_FAULT_UD,           /* #UD */
	PRE_VM_EXIT,            /* a VM exit (reason 20 VMLAUNCH / 24 VMRESUME) */
	PRE_FAULT_GP,           /* #GP(0) */
	PRE_FAIL_INVALID,       /* VMfailInvalid */
	PRE_FAIL_VALID,         /* VMfailValid(error) */
};

struct entry_step {
	const char *id;
	const char *section;    /* relative to the "VM Entries" chapter, as entry.h's */
	const char *summary;
	enum entry_pre_outcome outcome;   /* PRE rows */
	uint8_t error;                    /* PRE_FAIL_VALID; 0: the check says which */
};

extern const struct entry_step entry_pre_checks[ENTRY_PRE_COUNT];

/* Section E: behaviours after the checks, each with its tests. */
enum entry_after_id {
	AFTER_FAIL_EXIT,        /* ENTRY_FAIL_EXIT */
	AFTER_MCE,              /* ENTRY_MCE */
	AFTER_LAUNCHED,         /* ENTRY_LAUNCHED */
	AFTER_INJECT,           /* ENTRY_INJECT */
	ENTRY_AFTER_COUNT
};
extern const struct entry_step entry_after_checks[ENTRY_AFTER_COUNT];
extern const size_t entry_after_checks_count;

#endif
