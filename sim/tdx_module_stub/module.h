/* The TDX module, in C: what SEAMCALL reaches (TDX module ABI; where the module
 * source and Linux disagree, Linux's reading). The module keeps its state the
 * way the real one does: sys_state and per-LP initialization in its own object,
 * the PAMT in the memory the VMM donated for it. This is the platform half
 * (TDH.SYS.*, TDH.PHYMEM.PAGE.RDMD); the TD leaves come with the TD issue. */
#ifndef VTSIM_TDX_MODULE_H
#define VTSIM_TDX_MODULE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/cpu/phys.h"

#define TDX_MAX_LPS            64
#define TDX_MAX_PACKAGES       8
#define TDX_MAX_CMRS           32
#define TDX_MAX_TDMRS          64
#define TDX_MAX_RSVD_PER_TDMR  16
#define TDX_MAX_HKIDS          2048

/* What the platform tells the module when it is loaded. */
struct tdx_platform_info {
	unsigned nr_lps;
	unsigned nr_packages;
	unsigned package_of_lp[TDX_MAX_LPS];
	unsigned ncmrs;
	struct { uint64_t base, size; } cmr[TDX_MAX_CMRS];
	unsigned first_tdx_keyid, nr_tdx_keyids;   /* from IA32_MKTME_KEYID_PARTITIONING */
	unsigned keyid_shift;                      /* HKID bits start here in a PA */
	unsigned keyid_bits;                       /* and are this many (IA32_TME_ACTIVATE 35:32) */
	uint32_t cpuid_1_eax;                      /* family/model/stepping */
	uint64_t seam_base, seam_size;             /* SEAMRR: the module's own memory */
};

enum tdx_sys_state {
	TDX_SYS_STATE_SYSINIT_PENDING, TDX_SYS_STATE_SYSINIT_DONE, TDX_SYS_STATE_SYSCONFIG_DONE, TDX_SYS_STATE_READY, TDX_SYS_STATE_SHUTDOWN,
};

struct tdx_module;

/* The processor state a TD vCPU owns besides its GPRs and VMCS fields, which the
 * module switches itself at TD entry and exit (TDX module ABI: the TDVPS keeps
 * the TD's extended state per XFAM, XCR0, CR2, DR0-DR3 and DR6): x87 (FCW, FSW,
 * the full tag word FTW, ST0-ST7 as 80-bit values in 16-byte slots, the last
 * instruction and operand pointers), MXCSR,
 * YMM0-YMM15 (XMM in the low 16 bytes). */
struct tdx_xstate {
	/* Each in a 64-bit slot, whatever its width: the register API's sizes vary. */
	uint64_t fcw, fsw, ftw, fop, fcs, fds, mxcsr, fip, fdp;
	uint8_t st[8][16];
	uint8_t ymm[16][32];
	uint64_t xcr0;
	uint64_t cr2, dr[4], dr6;
};

/* What the module asks of the logical processor it runs on, in SEAM VMX root
 * operation: its own VMCSs (the TD VMCSs in TDVPS pages) and running a TD vCPU in
 * SEAM non-root operation. sim/seam provides them; the SEAMCALL that is running
 * owns the LP meanwhile (the VMM's current VMCS and registers come back at
 * SEAMRET). */
struct tdx_cpu_ops {
	void *ctx;
	/* VMCLEAR (when `clear`) then VMPTRLD of the VMCS at `pa`; 0, or -1 on VMfail. */
	int (*vmcs_load)(void *ctx, unsigned lp, uint64_t pa, bool clear);
	uint64_t (*vmread)(void *ctx, unsigned lp, uint32_t field);
	void (*vmwrite)(void *ctx, unsigned lp, uint32_t field, uint64_t value);
	/* Host-state fields of the current VMCS: what the LP runs with now. */
	void (*write_host_state)(void *ctx, unsigned lp);
	/* VMLAUNCH or VMRESUME with the guest GPRs `gpr` (ModRM order, RSP from the
	 * VMCS), running until the next VM exit; `gpr` gets the guest's at the exit.
	 * 0: a VM exit (reason in the VMCS); 1: a VM-entry failure (a VM exit whose
	 * reason, bit 31 set, is in the VMCS); -1: a VMfail (its error is in the
	 * VMCS); -2: the machine stopped. */
	int (*run)(void *ctx, unsigned lp, bool launch, uint64_t gpr[16]);
	/* INVEPT of every translation derived from `eptp` on this LP. */
	void (*invept)(void *ctx, unsigned lp, uint64_t eptp);
	/* RDMSR of the capability MSRs the module sizes its VMCS controls by. */
	uint64_t (*rdmsr)(void *ctx, unsigned lp, uint32_t msr);
	/* RDMSR and WRMSR of `n` (<= 32) MSRs on the LP, as the TD's software would
	 * do them (its native MSRs, switched at TD entry and exit): bit i of the
	 * result set when MSR i is refused (#GP: the CPU model lacks it, or the
	 * value). */
	unsigned (*msr_read)(void *ctx, unsigned lp, unsigned n, const uint32_t *msr, uint64_t *value);
	unsigned (*msr_write)(void *ctx, unsigned lp, unsigned n, const uint32_t *msr, const uint64_t *value);
	/* The state of struct tdx_xstate on the LP: as the TD runs with it, or (`vmm`)
	 * as the VMM has it (what it finds when the SEAMCALL returns). */
	void (*xstate_read)(void *ctx, unsigned lp, bool vmm, struct tdx_xstate *s);
	void (*xstate_write)(void *ctx, unsigned lp, bool vmm, const struct tdx_xstate *s);
	/* At a TD exit, once the module has put in the LP the SYSCALL MSRs' values
	 * the ABI leaves there: the VMM goes on with those, not with its own from
	 * before TDH.VP.ENTER. */
	void (*leave_to_vmm)(void *ctx, unsigned lp);
	/* CPUID as the platform answers it. */
	void (*cpuid)(void *ctx, unsigned lp, uint32_t leaf, uint32_t sub, uint32_t out[4]);
	/* Is an interrupt waiting that the LP would take (its local APIC's IRR above
	 * PPR)? The long leaves stop for it (TDX_INTERRUPTED_RESUMABLE). NULL: never. */
	bool (*interrupt_pending)(void *ctx, unsigned lp);
};

struct tdx_module *tdx_module_create(struct phys *pm, const struct tdx_platform_info *info,
				     const struct tdx_cpu_ops *cpu);
void tdx_module_destroy(struct tdx_module *mod);

/* One SEAMCALL on logical processor `lp`: the registers in ModRM order (RAX, RCX,
 * RDX, RBX, RSP, RBP, RSI, RDI, R8..R15), inputs in, outputs and RAX = status
 * out. */
void tdx_module_seamcall(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);

/* For tests and the fuzzer: the platform state, and RND_NO_ENTROPY on the next
 * `n` leaves that draw random numbers. */
enum tdx_sys_state tdx_module_sys_state(const struct tdx_module *mod);
void tdx_module_inject_no_entropy(struct tdx_module *mod, unsigned n);
/* Contention, which this machine (one leaf at a time) never produces by itself:
 * the next `n` locks a leaf takes (a page operand's PAMT entry, or the global lock
 * of TDH.SYS.LP.INIT/CONFIG/KEY.CONFIG) are found held, as when another LP holds
 * them: TDX_OPERAND_BUSY with the operand id, or TDX_SYS_BUSY; nothing waits. */
void tdx_module_inject_busy(struct tdx_module *mod, unsigned n);
/* Another LP holding (or letting go of) the PAMT lock of the 4 KiB page at `pa`:
 * leaves that take the page meanwhile return TDX_OPERAND_BUSY. -1 if `pa` is not
 * an initialized TDMR page. */
int tdx_module_hold_page(struct tdx_module *mod, uint64_t pa, bool hold);

/* For tests and the fuzzer: every 4 KiB of every TDMR, counted by the type of the
 * page holding it (count[type]; a 2 MiB page counts 512 times); what
 * TDH.PHYMEM.PAGE.RDMD of each 4 KiB would say, read directly. */
void tdx_module_pamt_census(const struct tdx_module *mod, uint64_t count[256]);

/* For tests and the fuzzer: the key ownership table. tdx_module_kot_state gives
 * an HKID's entry (0 FREE, 1 ASSIGNED, 2 FLUSHED, 3 RESERVED). tdx_module_kot_check
 * holds it against the TDs whose TDR pages are `tdrs` (every TD the module has):
 * the global HKID RESERVED once SYS.CONFIG set it; a TD's HKID ASSIGNED until
 * TDH.MNG.VPFLUSHDONE, FLUSHED until TDH.MNG.KEY.FREEID, FREE after; no two TDs
 * holding one; every other HKID FREE. False, and what differs in `why`, if not. */
enum { TDX_KOT_FREE, TDX_KOT_ASSIGNED, TDX_KOT_FLUSHED, TDX_KOT_RESERVED };
unsigned tdx_module_kot_state(const struct tdx_module *mod, unsigned hkid);
bool tdx_module_kot_check(const struct tdx_module *mod, const uint64_t *tdrs, unsigned n,
			  char *why, size_t len);

/* For snapshots: the module's own state (its global data included), saved into
 * and restored from a buffer of tdx_module_state_size() bytes. */
size_t tdx_module_state_size(void);
void tdx_module_state_save(const struct tdx_module *mod, void *buf);
void tdx_module_state_restore(struct tdx_module *mod, const void *buf);

/* Does the platform vouch for this TDREPORT (TDG.MR.REPORT's output)? Its MAC
 * must be the platform's and its hashes those of its TEE_TCB_INFO and TDINFO. */
bool tdx_report_verify(const uint8_t report[1024]);

/* The leaf's name ("TDH.SYS.INIT"), or NULL. */
const char *tdx_leaf_name(unsigned leaf);

#endif
