/* The VMX instruction unit: VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE,
 * VMLAUNCH, VMRESUME, VMCALL, INVEPT, INVVPID and VMFUNC, each with the checks of the
 * SDM in their order, and the logical processor's VMX state.
 *
 * The unit does not decode: it takes the operands as the instruction names them (a
 * register value, or accessors for a memory operand) and returns the architected
 * outcome. The code hook at an instruction's site (insn_vmx.c) and the hosted VMM
 * both call it, so both get the same semantics. */
#ifndef VTSIM_VMX_H
#define VTSIM_VMX_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/cpu/ept.h"
#include "sim/cpu/pml.h"
#include "sim/cpu/vmx_seg_image.h"
#include "sim/vmcs/entry.h"
#include "sim/vmcs/vmcs.h"

struct lp;

/* Per logical processor. */
struct vmx_lp {
	bool on;                  /* in VMX operation */
	bool non_root;
	uint64_t vmxon_ptr;
	/* Which VMX operation this is: (LP id << 24) | VMXONs executed on the LP. VMLAUNCH
	 * records it in the VMCS region; VMRESUME of a VMCS launched in an earlier VMX
	 * operation (VMXOFF and VMXON in between, without VMCLEAR) is error 6. */
	uint32_t epoch;
	uint64_t current;         /* current-VMCS pointer, VMCS_PTR_NONE if invalid */
	struct vmcs_cache vmcs;   /* the current VMCS, cached */
	struct vmx_seg_images seg_images;   /* what VM entry and exit need not move again */
	struct entry_diag last_entry_diag;   /* why the last VM entry failed */
	uint64_t entries, exits;
	bool checked_lma;         /* EFER.LMA when the control and host checks last passed */
	struct entry_cache guest_checks;   /* what the guest-state checks last read */
	bool last_entry_failed;   /* last_entry_diag describes a failure */
	/* The VMCS as the last VM entry that passed its checks found it (kept only
	 * with --vmcs-diff): what a failed entry is compared with. */
	bool has_last_entered;
	struct vmcs_cache last_entered;
	/* The VMX-preemption timer, in virtual time: it expires when the LP's clock
	 * (lp_clock, tsc_cost.h) reaches the deadline (the timer counts down once
	 * every 2^rate TSC ticks, rate from IA32_VMX_MISC[4:0]). */
	bool timer_active;
	uint64_t timer_deadline;
	unsigned timer_rate;
	/* EPT of the running guest: ept_active points at ept while "enable EPT" is
	 * set in the VMCS that entered, NULL otherwise. */
	struct ept ept;
	const struct ept *ept_active;
	struct pml pml;           /* the page-modification log of the running guest */
	uint16_t vpid;            /* VPID of the guest the guest engine's TLB holds */
	/* SEAM VMX root operation (the TDX module runs): a VM entry enters a TD, whose
	 * VMCS also names the shared EPT (SHARED_EPT_POINTER); shared_eptp is the one
	 * the guest engine's TLB was filled under. */
	bool seam_root;
	uint64_t shared_eptp;
	uint64_t space_vmcs;      /* the VMCS the guest engine's code sites were read under */
	bool entry_mce;           /* a machine check strikes the next VM entry (ENTRY_MCE) */
	unsigned entry_mce_countdown;   /* cfg.inject_entry_mce: entries to pass until one does */
	bool guest_mce;           /* ... or the guest's first instruction after it */
	unsigned guest_mce_countdown;   /* cfg.inject_guest_mce: completed entries until one is */
	uint8_t guest_mce_next;   /* ... the index of the count that runs down */
	/* Exits at instruction boundaries (vmx_events.c). */
	bool mtf, mtf_skip, irq_window, nmi_window;
	bool vnmi_blocked;        /* virtual-NMI blocking ("virtual NMIs" set) */
	/* The guest's activity state while it does not run: 0 active, 1 HLT (a HLT,
	 * or VM entry in that state), 2 shutdown (VM entry in that state). An exit
	 * saves it; only an event that wakes it (machine.c guest_waits) ends it. */
	uint8_t guest_activity;
	/* PAUSE-loop exiting: the TSC at the last PAUSE at CPL 0 and at the first of
	 * its loop; none yet since the VM entry when !ple_seen. */
	bool ple_seen;
	uint64_t ple_last, ple_first;
	/* The guest was entered in the wait-for-SIPI activity state (smp.h): it runs no
	 * instruction; a start-up IPI (its vector in sipi_vector, -1 until one came)
	 * is a VM exit. */
	bool wait_for_sipi;
	int16_t sipi_vector;
	bool iret_done;           /* an IRET just ran: the blocking ends at the boundary */
	uint64_t mtf_entry_la;    /* the linear RIP VM entry resumed the guest at */
	uint64_t pending_dbg;     /* debug exceptions pending, not yet delivered (vmx_debug.h) */
	bool boundary_hooked, boundary_want;
	size_t boundary_hook;
};

#define VMX_INSNS(X) \
	X(VMXON) X(VMXOFF) X(VMCLEAR) X(VMPTRLD) X(VMPTRST) X(VMREAD) X(VMWRITE) \
	X(VMLAUNCH) X(VMRESUME) X(VMCALL) X(INVEPT) X(INVVPID) X(VMFUNC)

enum vmx_insn_id {
#define VMX_INSN_ENUM(n) VMX_##n,
	VMX_INSNS(VMX_INSN_ENUM)
#undef VMX_INSN_ENUM
	VMX_NR_INSNS
};

const char *vmx_insn_name(enum vmx_insn_id id);

/* An exception raised by an instruction or by its operand access. */
struct vmx_fault {
	uint8_t vector;
	uint32_t error_code;
	bool cr2_valid;
	uint64_t cr2;
};

struct vmx_operands {
	bool reg_form;            /* the r/m operand is a register */
	uint64_t rm_value;        /* its value, when it is a register (VMWRITE's source) */
	uint64_t reg_value;       /* the ModRM.reg operand: field encoding, INVEPT/INVVPID type */
	unsigned opsize;          /* 4 or 8: VMREAD/VMWRITE operand size */
	unsigned insn_len;        /* the instruction's length (0: the shortest encoding) */
	/* Memory operand: 0, or -1 with *f filled. */
	int (*read)(void *ctx, void *buf, unsigned n, struct vmx_fault *f);
	int (*write)(void *ctx, const void *buf, unsigned n, struct vmx_fault *f);
	void *ctx;
};

enum vmx_status {
	VMX_SUCCEED,
	VMX_FAIL_INVALID,
	VMX_FAIL_VALID,
	VMX_FAULT,                /* an exception: the instruction did not complete */
	VMX_ENTRY_FAILED,         /* VM entry failed loading guest state or MSRs: the
				   * exit reason (33/34 with bit 31) is in the VMCS and
				   * host state must be loaded */
	VMX_NOT_MODELLED,         /* a vtsim limitation, explained in `why` */
	VMX_ENTERED,              /* VM entry succeeded: the guest runs next */
	VMX_VMEXIT,               /* in non-root operation: a VM exit with `exit_reason` */
	VMX_STATE_LOADED,         /* the instruction loaded a new processor state (an SMM VM
				   * exit, a VM entry that returns from SMM): nothing more to
				   * apply */
};

struct vmx_result {
	enum vmx_status status;
	uint32_t error;           /* VMX_FAIL_VALID: the VM-instruction error number;
				   * VMX_FAIL_INVALID after VMfail(n) without a current
				   * VMCS: the n that could not be recorded */
	uint8_t invalid_cause;    /* VMX_FAIL_INVALID: why (enum vmfail_invalid_cause) */
	struct vmx_fault fault;
	bool reg_out;             /* VMREAD into a register: the value to write */
	uint64_t out;
	const char *why;
	const struct entry_diag *entry_diag;   /* a failed VM-entry check, if any */
	uint32_t exit_reason;
	int insn;                 /* the instruction (enum vmx_insn_id) */
	/* For the trace: the field a VMREAD/VMWRITE named and the value moved. */
	uint64_t field;
	uint64_t value;
	bool has_field;
	uint64_t desc[2];         /* INVEPT/INVVPID: the descriptor read */
};

void vmx_lp_reset(struct vmx_lp *v);

struct cpu_view;
/* Executes `id` on the LP whose state `v` shows. */
void vmx_execute(struct lp *lp, const struct cpu_view *v, enum vmx_insn_id id,
		 const struct vmx_operands *ops, struct vmx_result *r);

/* VMREAD (write false: *val receives the field, truncated to `opsize` bytes) or
 * VMWRITE (write true: *val is written) with register operands, on a processor in the
 * mode `r` shows, when the instruction succeeds: true. False, with nothing changed,
 * for every other outcome (an exception, a VM exit, a VMfail): vmx_execute then runs
 * the instruction and reports it. The checks are vmx_execute's, in its order. */
struct cpu_regs;
bool vmx_reg_access_fast(struct lp *lp, const struct cpu_regs *r, bool write, uint64_t enc,
			 uint64_t *val, unsigned opsize);
/* The field VMREAD and VMWRITE name with encoding `enc` (as field_of reads it: the
 * low 32 bits outside 64-bit mode), into `memo`, for the lean site path
 * (site_vmx_lean.h), which looks it up only when the encoding is not the one `memo`
 * keeps (a field's description depends on the encoding and the CPU model alone,
 * which a machine never changes). False, `memo` unchanged, when the model has no
 * such field (VMfailValid(12)). */
bool vmx_memo_fill(struct lp *lp, uint64_t enc, struct vmcs_field_memo *memo);

/* An EPTP that VM entry would accept (memory type, walk length, A/D flags and
 * reserved bits against IA32_VMX_EPT_VPID_CAP, the physical-address width): INVEPT
 * single-context and EPTP switching check it too. */
bool vmx_eptp_valid(struct lp *lp, uint64_t eptp);

/* What the CR checks need: CR0/CR4 values allowed in VMX operation. 0 or -1. */
int vmx_check_cr0(struct lp *lp, uint64_t cr0);
int vmx_check_cr4(struct lp *lp, uint64_t cr4);

#endif
