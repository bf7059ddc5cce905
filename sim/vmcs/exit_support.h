/* Which basic exit reasons (0-85) a CPU model can produce, and what governs each: the
 * model's statement, per reason, of "this exit exists here" or "not modelled, because".
 *
 * A reason is producible when its gate is open in the model's capabilities:
 *   EXIT_GATE_ALWAYS   unconditional in VMX non-root operation (or an entry failure);
 *   EXIT_GATE_CTL      a VM-execution control's 1-setting is allowed (ctl, bit);
 *   EXIT_GATE_MSR      a bit of a VMX capability MSR is 1 (msr, bit);
 *   EXIT_GATE_SEAM     the model has SEAM (TDX);
 *   EXIT_GATE_NONE     never: vtsim does not model what causes it (why says what).
 * A row may also need a feature of the model's CPUID (cpuid_01_ecx): an instruction
 * the CPUID model lacks is #UD, and an invalid-opcode exception has priority over a
 * VM exit (SDM Vol. 3C "Relative Priority of Faults and VM Exits").
 * A row may also say the gate is open but vtsim does not produce the exit yet
 * (missing != NULL): a known gap, stated here so that it is not mistaken for support.
 * tests/unit/test_exit_triggers.c checks every producible reason has a trigger test.
 */
#ifndef VTSIM_VMCS_EXIT_SUPPORT_H
#define VTSIM_VMCS_EXIT_SUPPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/vmcs/caps.h"
#include "sim/vmcs/fields.h"

enum exit_gate { EXIT_GATE_ALWAYS, EXIT_GATE_CTL, EXIT_GATE_MSR, EXIT_GATE_SEAM, EXIT_GATE_NONE };

struct exit_support {
	uint8_t reason;
	enum exit_gate gate;
	enum vmcs_ctl ctl;      /* EXIT_GATE_CTL */
	uint32_t msr;           /* EXIT_GATE_MSR */
	uint8_t bit;            /* EXIT_GATE_CTL, EXIT_GATE_MSR */
	uint32_t cpuid_01_ecx;  /* CPUID.01H:ECX bits the instruction needs (0: none) */
	const char *why;        /* what governs the exit, or why it is not modelled */
	const char *missing;    /* gate open, exit not produced by vtsim yet (NULL: none) */
};

/* The row of a basic exit reason; NULL for a reserved number or one above 85. */
const struct exit_support *exit_support_of(unsigned reason);

/* The gate is open in c (a control the model does not allow, or an MSR the model
 * lacks, keeps it shut). Says nothing of `missing`. */
bool exit_support_gate_open(const struct vmcs_caps *c, const struct exit_support *s);

/* The model c makes vtsim produce this exit: the gate is open and nothing is missing. */
bool exit_support_producible(const struct vmcs_caps *c, unsigned reason);

#endif
