/* What the CPU model behind a set of VMX capabilities implements, as the entry checks
 * of every class need it: its CPUID, its capability MSRs, and the MSR bits WRMSR would
 * accept (IA32_EFER, IA32_PERF_GLOBAL_CTRL, IA32_SPEC_CTRL, IA32_PAT). One place, so
 * the guest, host and MSR-load checks cannot disagree. */
#ifndef VTSIM_ENTRY_MODEL_H
#define VTSIM_ENTRY_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/cpu/cpuid.h"
#include "sim/vmcs/caps.h"

/* CPUID of the model (all zeros without one). */
struct cpuid_regs entry_model_cpuid(const struct vmcs_caps *caps, uint32_t leaf, uint32_t sub);
/* A capability MSR, or `absent` when the model has none. */
uint64_t entry_model_msr(const struct vmcs_caps *caps, uint32_t msr, uint64_t absent);

/* The linear-address width (CPUID.80000008H:EAX[15:8]; 48 when absent or odd). */
unsigned entry_model_la_width(const struct vmcs_caps *caps);
/* Canonical for a width of `w` bits. */
bool entry_canonical_in(uint64_t v, unsigned w);

/* IA32_EFER: SCE, LME/LMA, NXE as CPUID.80000001H:EDX announces them. */
uint64_t entry_model_efer_valid(const struct vmcs_caps *caps);
/* IA32_PERF_GLOBAL_CTRL: one enable per general-purpose (bits 0..) and fixed (bits
 * 32..) counter of CPUID.0AH. */
uint64_t entry_model_perf_global_valid(const struct vmcs_caps *caps);
/* IA32_SPEC_CTRL bits CPUID.07H (subleaves 0 and 2) enumerates. */
uint64_t entry_model_spec_ctrl_valid(const struct vmcs_caps *caps);

/* The first IA32_PAT entry that is not a memory type (0, 1, 4, 5, 6, 7), or -1. */
int entry_pat_bad_entry(uint64_t pat);

#endif
