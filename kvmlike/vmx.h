/* kvmlike's VMX definitions (Linux arch/x86/include/asm/vmx.h): the VMCS field
 * encodings, control bits and exit reasons, taken from the one table of each that
 * the simulator also reads (sim/vmcs/fields.def, controls.h, exit_reasons.h): data
 * shared, so that the hypervisor and the hardware cannot disagree by typo. */
#ifndef KVMLIKE_VMX_H
#define KVMLIKE_VMX_H

#include <stdint.h>

#define BIT64(n) (1ull << (n))
#include "sim/vmcs/controls.h"
#include "sim/vmcs/exit_reasons.h"

enum vmcs_field {
#define VMCS_FIELD(name, enc, ...) name = enc,
#include "sim/vmcs/fields.def"
#undef VMCS_FIELD
};

/* Capability MSRs. */
#define MSR_IA32_FEAT_CTL             0x3a
#define MSR_IA32_VMX_BASIC            0x480
#define MSR_IA32_VMX_PINBASED_CTLS    0x481
#define MSR_IA32_VMX_PROCBASED_CTLS   0x482
#define MSR_IA32_VMX_EXIT_CTLS        0x483
#define MSR_IA32_VMX_ENTRY_CTLS       0x484
#define MSR_IA32_VMX_CR0_FIXED0       0x486
#define MSR_IA32_VMX_CR0_FIXED1       0x487
#define MSR_IA32_VMX_CR4_FIXED0       0x488
#define MSR_IA32_VMX_CR4_FIXED1       0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2  0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP     0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS  0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS      0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS     0x490
#define MSR_EFER                      0xc0000080
#define MSR_IA32_CR_PAT               0x277
#define MSR_FS_BASE                   0xc0000100
#define MSR_GS_BASE                   0xc0000101
#define MSR_KERNEL_GS_BASE            0xc0000102
#define MSR_IA32_APIC_BASE            0x1b
#define MSR_IA32_MISC_ENABLE          0x1a0
#define MSR_IA32_TSC                  0x10
#define MSR_MTRRcap                   0xfe
#define MSR_MTRRdefType               0x2ff

#define FEAT_CTL_LOCKED                  BIT64(0)
#define FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX BIT64(2)

#define X86_CR0_PE (1ull << 0)
#define X86_CR0_MP (1ull << 1)
#define X86_CR0_TS (1ull << 3)
#define X86_CR0_ET (1ull << 4)
#define X86_CR0_NE (1ull << 5)
#define X86_CR0_WP (1ull << 16)
#define X86_CR0_NW (1ull << 29)
#define X86_CR0_CD (1ull << 30)
#define X86_CR0_PG (1ull << 31)
#define X86_CR4_PAE  (1ull << 5)
#define X86_CR4_VMXE (1ull << 13)
#define X86_CR4_OSXSAVE (1ull << 18)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

/* VM-entry interruption information. */
#define INTR_INFO_VALID_MASK      0x80000000u
#define INTR_INFO_DELIVER_CODE_MASK 0x800u
#define INTR_TYPE_HARD_EXCEPTION  (3u << 8)
#define INTR_TYPE_NMI_INTR        (2u << 8)
#define INTR_TYPE_EXT_INTR        (0u << 8)
#define INTR_TYPE_SOFT_INTR       (4u << 8)
#define INTR_TYPE_PRIV_SW_EXCEPTION (5u << 8)   /* INT1 (ICEBP) */
#define INTR_INFO_INTR_TYPE_MASK  (7u << 8)

/* Guest interruptibility state. */
#define GUEST_INTR_STATE_STI    (1u << 0)
#define GUEST_INTR_STATE_MOV_SS (1u << 1)
#define GUEST_INTR_STATE_NMI    (1u << 3)
#define X86_EFLAGS_IF           (1ull << 9)
#define X86_EFLAGS_TF           (1ull << 8)

/* DR6 (Linux's names): the breakpoint-condition bits a #DB clears first, the bits
 * that read as 1 (and RTM, active low), single step. */
#define DR_TRAP_BITS   0xfull
#define DR6_ACTIVE_LOW 0xffff0ff0ull
#define DR6_BS         (1ull << 14)
#define DR6_VOLATILE   0x0001e80full

#define DB_VECTOR 1
#define NMI_VECTOR 2
#define GP_VECTOR 13
#define UD_VECTOR 6
#define PF_VECTOR 14
#define AC_VECTOR 17
#define MC_VECTOR 18
#define PFERR_RSVD_MASK (1u << 3)

#endif
