/* VMX capabilities of the CPU models, as data: the values of the VMX capability MSRs
 * (IA32_VMX_BASIC 480H .. IA32_VMX_EXIT_CTLS2 493H) that RDMSR returns, and the
 * questions the rest of the simulator asks of them (may this control be 0 or 1? does
 * this VMCS field exist?).
 *
 * One set of capabilities per CPUID model of sim/cpu/cpuid.c, looked up by the same
 * name ("xeon", "minimal"). caps.c documents every value, bit by bit. CR4_FIXED1 is
 * not stored: it is computed from what the model's CPUID claims, so the two never
 * disagree; VMCS_ENUM is computed from the field table and the model's features.
 *
 * Which MSRs exist follows the architecture (SDM Vol. 3 Appendix A): the TRUE control
 * MSRs only if IA32_VMX_BASIC[55] = 1, PROCBASED_CTLS2 only if "activate secondary
 * controls" may be 1, EPT_VPID_CAP only if "enable EPT" or "enable VPID" may be 1,
 * VMFUNC only if "enable VM functions" may be 1, PROCBASED_CTLS3 only if "activate
 * tertiary controls" may be 1, EXIT_CTLS2 only if "activate secondary VM-exit controls"
 * may be 1. RDMSR of an MSR the model lacks is #GP(0), and so is WRMSR of any of them.
 *
 * No mutable state: every function is a pure function of its arguments.
 */
#ifndef VTSIM_VMCS_CAPS_H
#define VTSIM_VMCS_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/vmcs/fields.h"

#define MSR_IA32_VMX_BASIC            0x480
#define MSR_IA32_VMX_PINBASED_CTLS    0x481
#define MSR_IA32_VMX_PROCBASED_CTLS   0x482
#define MSR_IA32_VMX_EXIT_CTLS        0x483
#define MSR_IA32_VMX_ENTRY_CTLS       0x484
#define MSR_IA32_VMX_MISC             0x485
#define MSR_IA32_VMX_CR0_FIXED0       0x486
#define MSR_IA32_VMX_CR0_FIXED1       0x487
#define MSR_IA32_VMX_CR4_FIXED0       0x488
#define MSR_IA32_VMX_CR4_FIXED1       0x489
#define MSR_IA32_VMX_VMCS_ENUM        0x48a
#define MSR_IA32_VMX_PROCBASED_CTLS2  0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP     0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS  0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS   0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS  0x490
#define MSR_IA32_VMX_VMFUNC           0x491
#define MSR_IA32_VMX_PROCBASED_CTLS3  0x492
#define MSR_IA32_VMX_EXIT_CTLS2       0x493

#define MSR_IA32_VMX_FIRST MSR_IA32_VMX_BASIC
#define MSR_IA32_VMX_LAST  MSR_IA32_VMX_EXIT_CTLS2

struct cpu_model;
struct vmcs_caps;  /* opaque: one CPU model's capabilities */

/* By CPUID model name (cpuid_model_name()); NULL if no such model. */
const struct vmcs_caps *vmcs_caps_for_model(const char *cpu_model_name);
/* The same, from the CPUID model itself. */
const struct vmcs_caps *vmcs_caps_for_cpu(const struct cpu_model *m);
const char *vmcs_caps_model_name(const struct vmcs_caps *c);
/* A copy of `c` that also allows the VM-entry controls `entry_allowed1` (in both the
 * original and the TRUE MSR) and the CR4 bits `cr4_fixed1` to be 1, for the entry checks
 * of features no model has (CET, FRED, PKS, ...), whose rules would otherwise never
 * run. Its CPUID stays the model's. NULL without memory; free() it. */
struct vmcs_caps *vmcs_caps_widened(const struct vmcs_caps *c, uint32_t entry_allowed1,
				    uint64_t cr4_fixed1);

/* True for 480H..493H, the VMX capability MSRs (present in the model or not):
 * WRMSR to any of them is #GP(0). */
static inline bool vmcs_caps_is_vmx_msr(uint32_t msr)
{
	return msr >= MSR_IA32_VMX_FIRST && msr <= MSR_IA32_VMX_LAST;
}

/* RDMSR of a VMX capability MSR: 0 and *val, or -1 if the model does not have that MSR
 * (RDMSR raises #GP(0)); -1 also for any MSR outside 480H..493H. */
int vmcs_caps_rdmsr(const struct vmcs_caps *c, uint32_t msr, uint64_t *val);

/* IA32_VMX_CR4_FIXED1 as the model's CPUID announces each CR4 feature: what the
 * stored value must equal (checked by the unit tests). */
uint64_t vmcs_caps_cr4_fixed1_from_cpuid(const struct vmcs_caps *c);

/* The settings VM entry checks a control field against. allowed0: bits that must be 1;
 * allowed1: bits that may be 1. For pin-based, primary processor-based, VM-exit and
 * VM-entry controls these come from the TRUE MSR when IA32_VMX_BASIC[55] = 1, and from
 * the original MSR otherwise. A control word whose MSR the model lacks allows nothing
 * (allowed1 = 0: the control must be 0 if it is used at all). Tertiary, secondary
 * VM-exit and VM-function controls have no allowed-0 half: allowed0 = 0.
 * VMCS_CTL_NONE, VMCS_CTL_BASIC and VMCS_CTL_SEAM are not controls: both are 0. */
uint64_t vmcs_caps_allowed0(const struct vmcs_caps *c, enum vmcs_ctl ctl);
uint64_t vmcs_caps_allowed1(const struct vmcs_caps *c, enum vmcs_ctl ctl);
/* value has every allowed0 bit set and no bit outside allowed1. */
bool vmcs_caps_ctl_valid(const struct vmcs_caps *c, enum vmcs_ctl ctl, uint64_t value);

/* Whether the model has a feature (its gating control may be 1) and so the VMCS
 * fields it gates. A field the model does not support is an "unsupported VMCS
 * component" for VMREAD/VMWRITE: VMfailValid(12). FEAT_SEAM fields are supported by a
 * model with SEAM (TDX); the instruction unit must further allow them only in SEAM VMX
 * operation. */
bool vmcs_caps_feature_supported(const struct vmcs_caps *c, enum vmcs_feature f);
bool vmcs_caps_field_supported(const struct vmcs_caps *c, const struct vmcs_field_info *f);

/* Shortcuts for the instruction unit. */
uint32_t vmcs_caps_revision_id(const struct vmcs_caps *c);  /* IA32_VMX_BASIC[30:0] */
/* IA32_VMX_MISC[29]: VMWRITE may write VM-exit information fields (else error 13). */
bool vmcs_caps_vmwrite_exit_info(const struct vmcs_caps *c);
/* The model has SEAM (TDX): SEAMCALL, SEAMRR and the TD VMCS fields. */
bool vmcs_caps_has_seam(const struct vmcs_caps *c);

#endif
