/* The TDX platform (--tdx): the SEAM range, the MKTME/TDX KeyID split, and the
 * SEAMCALL instruction that takes VMX root operation into the TDX module
 * (sim/tdx_module_stub). Facts: the TDX module ABI and the SEAMCALL pseudocode
 * (#UD outside VMX operation or 64-bit mode, a VM exit in VMX non-root operation,
 * #GP above CPL 0, VMfailInvalid with RAX unchanged when no module is loaded). */
#ifndef VTSIM_SEAM_H
#define VTSIM_SEAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vtsim_machine;
struct lp;
struct cpu_view;
struct tdx_module;

#define MSR_IA32_MKTME_KEYID_PARTITIONING 0x87
#define MSR_IA32_TME_ACTIVATE             0x982
#define MSR_IA32_SEAMRR_PHYS_BASE         0x1400
#define MSR_IA32_SEAMRR_PHYS_MASK         0x1401

#define SEAM_NR_MKTME_KEYIDS 15
#define SEAM_NR_TDX_KEYIDS   48
#define SEAM_KEYID_BITS      6            /* 64 KeyIDs: 0, 1-15 MKTME, 16-63 TDX */
/* SEAMRR base and mask are bits 51:25: the range is 32 MiB, aligned, placed as
 * high below the reserved area at the top of RAM as that allows. */
#define SEAM_RANGE_SIZE      (32ull << 20)

struct seam_platform {
	bool enabled;
	uint64_t seamrr_base, seamrr_size;
	unsigned keyid_shift;                 /* MAXPHYADDR - KeyID bits */
	struct tdx_module *module;            /* NULL: no module loaded */
	/* A context copying the CPU state up to XCR0 only (seam_xstate.c), made at
	 * the first use: a whole-state copy costs a tenth of a TD round trip. */
	struct uc_context *xcr0_ctx;
};

/* Sets up the platform for a machine created with cfg.tdx. 0, or -1 with a reason. */
int seam_init(struct vtsim_machine *m, char *err, size_t errlen);
void seam_fini(struct vtsim_machine *m);

/* The platform's MSRs: 0 and *val, or -1 (#GP) when the machine is not a TDX
 * platform. Writes are refused: firmware locked them. */
int seam_rdmsr(struct lp *lp, uint32_t msr, uint64_t *val);

enum seamcall_outcome {
	SEAMCALL_DONE,           /* the module ran the leaf: RAX holds its status */
	SEAMCALL_VMFAIL_INVALID, /* no module: CF = 1, RAX unchanged */
	SEAMCALL_UD,
	SEAMCALL_GP,
	SEAMCALL_VMEXIT,         /* in VMX non-root operation: exit reason 76 */
};

struct tdx_cpu_ops;
/* The LP services the module runs on (seam_cpu.c). */
void seam_cpu_ops(struct vtsim_machine *m, struct tdx_cpu_ops *ops);
/* Its extended-state members (seam_xstate.c). */
void seam_xstate_ops(struct tdx_cpu_ops *ops);
void seam_xstate_fini(struct vtsim_machine *m);
/* Runs one leaf on `lp`, giving the VMM back its registers and current VMCS when
 * the leaf ran a TD or touched the LP's VMX state. */
void seam_module_call(struct lp *lp, uint64_t gpr[16]);

/* SEAMCALL on `lp` in the state `v` shows, with the registers in ModRM order. */
enum seamcall_outcome seam_seamcall(struct lp *lp, const struct cpu_view *v, uint64_t gpr[16]);

#endif
