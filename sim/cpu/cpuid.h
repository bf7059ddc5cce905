/* CPU models: what CPUID answers, leaf by leaf, for the software CPU.
 *
 * The simulator, not the host and not Unicorn's QEMU model, answers CPUID. A model is a
 * named, constant table of leaves (one row per leaf/subleaf); cpuid_query() looks a row
 * up and fills in the few per-LP bits the hardware computes (initial APIC ID, OSXSAVE,
 * topology). No mutable state: queries are pure functions of their arguments.
 *
 * A model claims only features that the engine (Unicorn 2.1.1, QEMU 5.0 TCG) executes,
 * or that vtsim executes itself: no AVX/AVX2/AVX-512/FMA/F16C/AMX, no TSX, no
 * PKU/PCID/UMIP; x2APIC, the TSC-deadline timer, RDRAND, RDSEED and INVPCID (xeon)
 * are vtsim's (TCG's RDRAND draws from an unseeded host generator: runs would differ).
 * cpuid.c lists the features claimed and why; tests/unit/test_cpuid.c checks every
 * claimed bit against the list verified in the TCG source.
 */
#ifndef VTSIM_CPUID_H
#define VTSIM_CPUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

/* Where the LP asking sits: one thread per core, nr_cpus cores in one package. */
struct cpuid_topology {
	unsigned nr_cpus;  /* 0 is taken as 1 */
	unsigned apic_id;  /* initial (x2)APIC ID of this LP */
};

struct cpu_model;  /* opaque: a named table of leaves */

/* Models by name ("xeon", "minimal"); NULL if unknown. Names are case-sensitive. */
const struct cpu_model *cpuid_model_find(const char *name);
const struct cpu_model *cpuid_model_default(void);  /* "xeon" */
/* All models, for listing: index 0 .. cpuid_model_count() - 1 (NULL past the end). */
size_t cpuid_model_count(void);
const struct cpu_model *cpuid_model_at(size_t i);
const char *cpuid_model_name(const struct cpu_model *m);
const char *cpuid_model_description(const struct cpu_model *m);

/* Fills `out` for leaf/subleaf as the model's CPU would, for the LP given by `topo`
 * (NULL: one CPU, APIC ID 0). Dynamic bits: CPUID.01H:EBX[31:24] initial APIC ID and
 * EBX[23:16] addressable IDs, CPUID.01H:ECX.OSXSAVE[27] = cr4_osxsave (when the model
 * has XSAVE), leaf 04H sharing fields, leaves 0BH/1FH x2APIC topology. A leaf above the
 * maximum basic leaf, or above the maximum extended leaf, returns the data of the
 * highest basic leaf with the same subleaf (SDM: CPUID, "INPUT EAX = 0").
 * Leaves inside the range that the model does not list read as zero. */
void cpuid_query(const struct cpu_model *m, const struct cpuid_topology *topo,
		 bool cr4_osxsave, uint32_t leaf, uint32_t subleaf, struct cpuid_regs *out);

/* Whether XSETBV may set XCR0 to `xcr0` on this model (SDM "XSETBV"): x87 set, AVX
 * only with SSE, and no component that CPUID.(EAX=0DH,ECX=0):EDX:EAX does not list. */
bool cpuid_xcr0_valid(const struct cpu_model *m, const struct cpuid_topology *topo, uint64_t xcr0);

/* MAXPHYADDR (CPUID.80000008H:EAX[7:0]) and the linear-address width (EAX[15:8]). */
unsigned cpuid_maxphyaddr(const struct cpu_model *m);
unsigned cpuid_maxlinaddr(const struct cpu_model *m);

/* The Unicorn CPU model (a UC_CPU_X86_* value for UC_CTL_CPU_MODEL) the engine must be
 * created with so that TCG executes what this model claims. TCG gates instructions on
 * its own feature words (translate.c: MOVBE, CX16, POPCNT, BMI1/2, ADX, LZCNT/TZCNT,
 * RDTSCP, FSGSBASE, CLWB, CLFLUSHOPT, XSAVEOPT, LAHF in 64-bit mode...), and CR4.SMAP
 * and EFER.NXE writes are dropped without them; Unicorn's default "qemu64" also has
 * AMD's vendor, which makes SYSENTER #UD in 64-bit mode. Without the right engine model,
 * LZCNT and TZCNT silently execute as BSR and BSF. */
int cpuid_model_engine_cpu(const struct cpu_model *m);

/* Feature bits by their SDM names (CPUID.<leaf>[.<subleaf>]:<reg>.<name>). Only the
 * ones vtsim's models or tests refer to. */
#define CPUID_01_ECX_SSE3       (1u << 0)
#define CPUID_01_ECX_PCLMULQDQ  (1u << 1)
#define CPUID_01_ECX_DTES64     (1u << 2)
#define CPUID_01_ECX_MONITOR    (1u << 3)
#define CPUID_01_ECX_DS_CPL     (1u << 4)
#define CPUID_01_ECX_VMX        (1u << 5)
#define CPUID_01_ECX_SMX        (1u << 6)
#define CPUID_01_ECX_EIST       (1u << 7)
#define CPUID_01_ECX_TM2        (1u << 8)
#define CPUID_01_ECX_SSSE3      (1u << 9)
#define CPUID_01_ECX_SDBG       (1u << 11)
#define CPUID_01_ECX_FMA        (1u << 12)
#define CPUID_01_ECX_CX16       (1u << 13)
#define CPUID_01_ECX_XTPR       (1u << 14)
#define CPUID_01_ECX_PDCM       (1u << 15)
#define CPUID_01_ECX_PCID       (1u << 17)
#define CPUID_01_ECX_DCA        (1u << 18)
#define CPUID_01_ECX_SSE4_1     (1u << 19)
#define CPUID_01_ECX_SSE4_2     (1u << 20)
#define CPUID_01_ECX_X2APIC     (1u << 21)
#define CPUID_01_ECX_MOVBE      (1u << 22)
#define CPUID_01_ECX_POPCNT     (1u << 23)
#define CPUID_01_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_01_ECX_AES        (1u << 25)
#define CPUID_01_ECX_XSAVE      (1u << 26)
#define CPUID_01_ECX_OSXSAVE    (1u << 27)
#define CPUID_01_ECX_AVX        (1u << 28)
#define CPUID_01_ECX_F16C       (1u << 29)
#define CPUID_01_ECX_RDRAND     (1u << 30)
#define CPUID_01_ECX_HYPERVISOR (1u << 31)  /* reserved on hardware; set by hypervisors */

#define CPUID_01_EDX_FPU        (1u << 0)
#define CPUID_01_EDX_VME        (1u << 1)
#define CPUID_01_EDX_DE         (1u << 2)
#define CPUID_01_EDX_PSE        (1u << 3)
#define CPUID_01_EDX_TSC        (1u << 4)
#define CPUID_01_EDX_MSR        (1u << 5)
#define CPUID_01_EDX_PAE        (1u << 6)
#define CPUID_01_EDX_MCE        (1u << 7)
#define CPUID_01_EDX_CX8        (1u << 8)
#define CPUID_01_EDX_APIC       (1u << 9)
#define CPUID_01_EDX_SEP        (1u << 11)
#define CPUID_01_EDX_MTRR       (1u << 12)
#define CPUID_01_EDX_PGE        (1u << 13)
#define CPUID_01_EDX_MCA        (1u << 14)
#define CPUID_01_EDX_CMOV       (1u << 15)
#define CPUID_01_EDX_PAT        (1u << 16)
#define CPUID_01_EDX_PSE36      (1u << 17)
#define CPUID_01_EDX_PSN        (1u << 18)
#define CPUID_01_EDX_CLFSH      (1u << 19)
#define CPUID_01_EDX_DS         (1u << 21)
#define CPUID_01_EDX_ACPI       (1u << 22)
#define CPUID_01_EDX_MMX        (1u << 23)
#define CPUID_01_EDX_FXSR       (1u << 24)
#define CPUID_01_EDX_SSE        (1u << 25)
#define CPUID_01_EDX_SSE2       (1u << 26)
#define CPUID_01_EDX_SS         (1u << 27)
#define CPUID_01_EDX_HTT        (1u << 28)
#define CPUID_01_EDX_TM         (1u << 29)
#define CPUID_01_EDX_PBE        (1u << 31)

#define CPUID_06_EAX_ARAT       (1u << 2)

#define CPUID_07_0_EBX_FSGSBASE   (1u << 0)
#define CPUID_07_0_EBX_TSC_ADJUST (1u << 1)
#define CPUID_07_0_EBX_SGX        (1u << 2)
#define CPUID_07_0_EBX_BMI1       (1u << 3)
#define CPUID_07_0_EBX_HLE        (1u << 4)
#define CPUID_07_0_EBX_AVX2       (1u << 5)
#define CPUID_07_0_EBX_SMEP       (1u << 7)
#define CPUID_07_0_EBX_BMI2       (1u << 8)
#define CPUID_07_0_EBX_ERMS       (1u << 9)
#define CPUID_07_0_EBX_INVPCID    (1u << 10)
#define CPUID_07_0_EBX_RTM        (1u << 11)
#define CPUID_07_0_EBX_MPX        (1u << 14)
#define CPUID_07_0_EBX_AVX512F    (1u << 16)
#define CPUID_07_0_EBX_RDSEED     (1u << 18)
#define CPUID_07_0_EBX_ADX        (1u << 19)
#define CPUID_07_0_EBX_SMAP       (1u << 20)
#define CPUID_07_0_EBX_CLFLUSHOPT (1u << 23)
#define CPUID_07_0_EBX_CLWB       (1u << 24)
#define CPUID_07_0_EBX_PT         (1u << 25)
#define CPUID_07_0_EBX_SHA        (1u << 29)

#define CPUID_07_0_ECX_UMIP       (1u << 2)
#define CPUID_07_0_ECX_PKU        (1u << 3)
#define CPUID_07_0_ECX_WAITPKG    (1u << 5)
#define CPUID_07_0_ECX_CET_SS     (1u << 7)
#define CPUID_07_0_ECX_GFNI       (1u << 8)
#define CPUID_07_0_ECX_LA57       (1u << 16)
#define CPUID_07_0_ECX_RDPID      (1u << 22)

#define CPUID_07_0_EDX_SERIALIZE  (1u << 14)
#define CPUID_07_0_EDX_AMX_TILE   (1u << 24)
#define CPUID_07_0_EDX_ARCH_CAPABILITIES (1u << 29)

#define CPUID_0D_1_EAX_XSAVEOPT   (1u << 0)
#define CPUID_0D_1_EAX_XSAVEC     (1u << 1)
#define CPUID_0D_1_EAX_XGETBV1    (1u << 2)
#define CPUID_0D_1_EAX_XSAVES     (1u << 3)

#define CPUID_80000001_ECX_LAHF_LM   (1u << 0)
#define CPUID_80000001_ECX_LZCNT     (1u << 5)
#define CPUID_80000001_ECX_PREFETCHW (1u << 8)

#define CPUID_80000001_EDX_SYSCALL   (1u << 11)
#define CPUID_80000001_EDX_NX        (1u << 20)
#define CPUID_80000001_EDX_PDPE1GB   (1u << 26)
#define CPUID_80000001_EDX_RDTSCP    (1u << 27)
#define CPUID_80000001_EDX_LM        (1u << 29)

#define CPUID_80000007_EDX_INVARIANT_TSC (1u << 8)

/* XCR0 state components (CPUID.0DH.0:EAX). */
#define CPUID_XCR0_X87  (1u << 0)
#define CPUID_XCR0_SSE  (1u << 1)
#define CPUID_XCR0_AVX  (1u << 2)

#endif
