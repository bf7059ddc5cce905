/* The module's TD control structures and the checks every TD-scope leaf shares
 * (inside sim/tdx_module_stub). The TDR, TDCS and TDVPS live at the start of the
 * pages the VMM donated, in the layouts below: module-private, seen by the host
 * only through the leaves. */
#ifndef VTSIM_TDX_TD_H
#define VTSIM_TDX_TD_H

#include "sim/tdx_module_stub/module_priv.h"

/* TDR lifecycle states. */
enum { TD_HKID_ASSIGNED, TD_KEYS_CONFIGURED, TD_BLOCKED, TD_TEARDOWN };

/* OP_STATE of a TD (the TDCS). */
enum { OP_UNINITIALIZED, OP_INITIALIZED, OP_RUNNABLE, OP_NR_STATES };

/* VCPU states (the TDVPS). */
enum { VCPU_UNINITIALIZED = 0, VCPU_READY = 2, VCPU_ACTIVE = 4, VCPU_DISABLED = 8 };

/* How a vCPU last left the TD (what the next TDH.VP.ENTER resumes from). */
enum { TD_EXIT_ASYNC_FAULT = 0, TD_EXIT_ASYNC_TRAP = 1, TD_EXIT_TDVMCALL = 2 };

#define TDCS_MSR_BITMAP_PAGE 2         /* the TD VMCS's MSR bitmaps are TDCS page 2 */
#define TDCS_SEPT_ROOT_PAGE 3          /* the S-EPT root is TDCS page 3 */
#define TD_MSR_SWITCHED 8              /* native MSRs the module switches itself (td_msr.c) */
#define TDVPS_TDCX (TDX_TDVPS_PAGES - 1)
#define TDVPS_VE_INFO_PAGE 1           /* the VE-information area: TDCX page 1 */
#define TDVPS_VAPIC_PAGE 3             /* the virtual-APIC page: TDCX page 3 */

/* The VE-information area (SDM "Virtualization Exceptions"; the TDX module adds
 * the instruction's length and information): written by the CPU for a converted
 * EPT violation and by the module for the #VEs it injects. */
enum {
	VE_EXIT_REASON = 0, VE_VALID = 4, VE_QUALIFICATION = 8, VE_GLA = 16, VE_GPA = 24,
	VE_EPTP_INDEX = 32, VE_INSN_LEN = 36, VE_INSN_INFO = 40,
};
#define VE_INFO_IN_USE 0xffffffffu
#define TD_SHARED_BIT (1ull << 47)     /* GPAW 48: the shared bit is GPA bit 47 */

struct tdr {
	uint32_t lifecycle;
	uint32_t fatal;
	uint32_t hkid;
	uint32_t num_tdcx;
	uint64_t pkg_configured;     /* a bit per package */
	uint64_t chldcnt;            /* pages the TD owns (4 KiB units) */
	uint64_t tdcx[TDX_TDCS_PAGES];
};

/* The TDCS, at the start of the first TDCS page. */
struct tdcs {
	uint32_t op_state;
	uint16_t max_vcpus, num_vcpus;
	uint64_t attributes, xfam, eptp_controls, config_flags;
	uint16_t tsc_frequency;
	uint64_t tsc_offset, tsc_multiplier;
	uint64_t cpuid[8][2];
	/* TLB tracking: the TD's epoch and the vCPUs running in each of the last two. */
	uint64_t td_epoch;
	uint64_t refcount[2];
	uint32_t num_assoc_vcpus;
	uint32_t hkid;
	/* Measurement: MRTD's running SHA-384 state until TDH.MR.FINALIZE, then its
	 * value; the RTMRs. */
	uint8_t mrtd_state[224];
	uint8_t mrtd[48];
	uint8_t rtmr[4][48];
	uint8_t mrconfigid[48], mrowner[48], mrownerconfig[48];   /* from TD_PARAMS */
	uint64_t td_ctls;            /* TD_CTLS, which the guest sets (TDG.VM.WR) */
};

/* TD_CTLS bits: PENDING_VE_DISABLE, ENUM_TOPOLOGY, VIRT_CPUID2, REDUCE_VE. */
#define TD_CTLS_PENDING_VE_DISABLE 1ull
#define TD_CTLS_REDUCE_VE          8ull
#define TD_CTLS_WRITABLE           0xfull

/* The TDVPS, at the start of the TDVPR page; the TD VMCS is its first TDCX page. */
struct tdvps {
	uint32_t state;
	uint32_t num_tdcx;
	uint64_t tdr;
	uint64_t tdcx[TDVPS_TDCX];
	uint32_t vcpu_index;
	uint32_t x2apic_id;
	uint64_t initial_rcx;
	uint32_t assoc_lp;           /* LP + 1 the vCPU is associated with, 0 for none */
	uint32_t vmcs_ready;         /* the TD VMCS holds the vCPU (initialized) */
	uint32_t launched;           /* its launch state: launched since the last VMCLEAR */
	uint64_t vcpu_epoch;         /* the TD epoch the vCPU's TLB entries are from */
	uint32_t last_td_exit;
	uint32_t tdvmcall_mask;      /* what the last TDVMCALL exposed: GPRs 15:0, XMMs 31:16 */
	uint32_t pend_nmi;           /* an NMI the VMM asked for (PEND_NMI) */
	uint8_t cpuid_supervisor_ve; /* CPUID at CPL 0 is a #VE (TDG.VP.CPUIDVE.SET) */
	uint8_t cpuid_user_ve;       /* CPUID at CPL > 0 is a #VE */
	uint64_t gpr[16];            /* the guest's GPRs while outside the TD (RSP aside) */
	uint64_t msr[TD_MSR_SWITCHED]; /* the guest's native MSRs outside the VMCS, while outside the TD */
	/* (The #VE information is in the VE-information area, TDCX page 1.) */
};

/* The leaves the OP_STATE lookup knows (TDX module ABI leaf numbers). */
#define TDH_VP_ENTER        0
#define TDH_MNG_ADDCX       1
#define TDH_MEM_PAGE_ADD    2
#define TDH_MEM_SEPT_ADD    3
#define TDH_VP_ADDCX        4
#define TDH_MEM_PAGE_AUG    6
#define TDH_MEM_RANGE_BLOCK 7
#define TDH_VP_CREATE      10
#define TDH_MNG_RD         11
#define TDH_MR_EXTEND      16
#define TDH_MR_FINALIZE    17
#define TDH_VP_FLUSH       18
#define TDH_MNG_INIT       21
#define TDH_VP_INIT        22
#define TDH_MEM_SEPT_RD    25
#define TDH_VP_RD          26
#define TDH_MEM_PAGE_REMOVE 29
#define TDH_MEM_SEPT_REMOVE 30
#define TDH_MEM_TRACK      38
#define TDH_MEM_RANGE_UNBLOCK 39
#define TDH_VP_WR          43
#define TDH_MEM_RD         12
#define TDH_MNG_WR         13
#define TDH_MEM_WR         14
#define TDH_MEM_PAGE_DEMOTE 15
#define TDH_MEM_PAGE_PROMOTE 23

void td_zero_page(struct tdx_module *mod, uint64_t pa);
/* The module's control pages are private memory (issue "Private memory"): it
 * reaches the TDR with the global KeyID, the TD's TDCS pages, TDVPR page and
 * S-EPT tables with the TD's HKID (the CPU's EPT walk too). Through KeyID 0 they
 * read as zeros; a write there poisons them and makes the TD fatal. */
uint64_t td_keyed(const struct tdx_module *mod, uint64_t pa, unsigned keyid);
/* The module's shared-HPA check of a host-given address the CPU will use with a
 * shared KeyID (a posted-interrupt descriptor, the shared EPT): below 2^52,
 * [pa, pa + size) without its HKID bits outside SEAMRR, and the HKID one of
 * KeyID 0 and the MKTME KeyIDs, not a TDX one. */
bool td_shared_hpa_ok(const struct tdx_module *mod, uint64_t pa, uint64_t size);
void tdr_get(struct tdx_module *mod, uint64_t pa, struct tdr *t);
void tdr_put(struct tdx_module *mod, uint64_t pa, const struct tdr *t);
void tdcs_get(struct tdx_module *mod, const struct tdr *t, struct tdcs *c);
void tdcs_put(struct tdx_module *mod, const struct tdr *t, const struct tdcs *c);
void tdvps_get(struct tdx_module *mod, const struct tdr *t, uint64_t tdvpr, struct tdvps *v);
void tdvps_put(struct tdx_module *mod, const struct tdr *t, uint64_t tdvpr, const struct tdvps *v);

/* A free 2 MiB range the TD is to take (PAGE.AUG at level 1), in the module's
 * order: 2 MiB aligned without KeyID bits (OPERAND_INVALID), inside an initialized
 * part of a TDMR (OPERAND_ADDR_RANGE_ERROR), its 2 MiB PAMT entry locked
 * (OPERAND_BUSY), then neither a 1 GiB page holding it nor its 2 MiB entry nor any
 * of its 512 4 KiB entries in use (PAGE_METADATA_INCORRECT). 0 and the 2 MiB
 * entry's address, or the status. */
uint64_t td_free_2m_operand(struct tdx_module *mod, uint64_t pa, unsigned op, uint64_t *entry);

/* An explicit page operand, checked in the module's order: aligned without KeyID
 * bits (OPERAND_INVALID), inside an initialized part of a TDMR
 * (OPERAND_ADDR_RANGE_ERROR), then its PAMT type when want_type >= 0
 * (PAGE_METADATA_INCORRECT). 0 and its 4 KiB PAMT entry (and the entry's address),
 * or the status. */
uint64_t td_page_operand(struct tdx_module *mod, uint64_t pa, unsigned op, int want_type,
			 uint64_t *entry, struct pamt_entry *e);

/* The TDR of a TD-scope leaf, checked as the module does: the TDR page, not fatal,
 * keys configured, every TDCS page there, then the pair (leaf, OP_STATE) against
 * the lookup table. Fills *t and *c. */
uint64_t td_enter_leaf(struct tdx_module *mod, unsigned leaf, uint64_t tdr, unsigned op,
		       struct tdr *t, struct tdcs *c);
/* The same for a leaf naming a vCPU by its TDVPR page; fills *v too. */
uint64_t td_enter_vcpu_leaf(struct tdx_module *mod, unsigned leaf, uint64_t tdvpr, unsigned op,
			    struct tdvps *v, struct tdr *t, struct tdcs *c);
/* Does OP_STATE `s` need blocked-and-tracked before an S-EPT entry goes away? */
bool td_tlb_tracking_required(uint32_t op_state);

/* TD execution (vp_enter.c) and the guest's TDCALL leaves (tdcall.c). */
uint64_t tdh_vp_enter(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_vp_flush(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);

/* A TD vCPU between VM exits, as TDH.VP.ENTER holds it. */
struct td_run {
	struct tdx_module *mod;
	unsigned lp;
	uint64_t tdr_pa, tdvpr_pa;
	struct tdr t;
	struct tdcs c;
	struct tdvps v;
	uint64_t guest[16];          /* the guest's GPRs (RSP is in the VMCS) */
	uint64_t *vmm;               /* the SEAMCALL's registers: outputs go here */
	uint32_t reason;
	uint64_t qualification;
	uint64_t gpa;                /* the exit's guest-physical address */
	uint64_t ext_qualification;  /* the TD exit's extended qualification */
};
/* What an exit handler asks for: resume the TD, exit to the VMM, or exit with the
 * TD made fatal (NON_RECOVERABLE_TD_NON_ACCESSIBLE). */
enum td_exit_action { TD_RESUME, TD_EXIT_TO_VMM, TD_EXIT_FATAL };
uint64_t td_vmread(struct td_run *r, uint32_t field);
void td_vmwrite(struct td_run *r, uint32_t field, uint64_t value);
/* Injects a hardware exception into the guest at the next entry. */
void td_inject(struct td_run *r, unsigned vector, bool has_error, uint32_t error);
/* Moves the guest past the instruction that exited. */
void td_skip_insn(struct td_run *r);
/* The host physical address of private GPA `gpa` if the TD has it MAPPED. */
bool td_private_hpa(struct td_run *r, uint64_t gpa, uint64_t *hpa);
/* Makes the vCPU's TD VMCS current on the LP (VMCLEARed first when `clear`: it
 * comes from another LP), initializing it the first time (the state TDH.VP.INIT
 * architecturally leaves). 0, or -1. */
int td_vmcs_make_current(struct td_run *r, bool clear);
/* The vCPU's TDCX page `i` (0: the TD VMCS, 1: the VE-information area) as the
 * module and the CPU reach it: with the TD's HKID. */
uint64_t td_vcpu_page(const struct td_run *r, unsigned i);
/* TD-scope metadata (vp_md.c): TDH.VP.RD/WR, TDH.MNG.WR; TDH.MEM.RD/WR (sept.c). */
uint64_t tdh_vp_rd(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_vp_wr(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_mng_wr(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
/* TDG.VP.RD / TDG.VP.WR of the running vCPU (vp_md.c), the same field table. */
uint64_t td_vp_md_guest(struct td_run *r, bool write);
/* The module's masked metadata write (every TD and vCPU field): the bits of
 * `value` that `mask` selects and `writable` allows replace `old`'s into *out;
 * none selected is FIELD_NOT_WRITABLE, a selected bit not writable that would
 * change is FIELD_VALUE_NOT_VALID. Both bare, as every METADATA_FIELD status. */
uint64_t td_md_masked_write(uint64_t old, uint64_t value, uint64_t mask, uint64_t writable, uint64_t *out);
uint64_t tdh_mem_rd(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_mem_wr(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
#define TD_ATTR_DEBUG 1ull

/* CPUID as the TD sees it (cpuid.c): false when the module leaves the leaf to
 * the guest (#VE). TDH.MNG.RD of a CPUID_VALUES field (its code, bits 23:0). */
bool td_cpuid(struct tdx_module *mod, unsigned lp, const struct tdcs *c, uint32_t x2apic_id,
	      uint32_t leaf, uint32_t sub, uint32_t out[4]);
uint64_t td_cpuid_md_read(struct tdx_module *mod, unsigned lp, const struct tdcs *c,
			  uint32_t code, uint64_t *value);

/* A #VE for the exit the module is handling: its information in the vCPU's VE
 * area for TDG.VP.VEINFO.GET (vp_enter.c). */
enum td_exit_action td_exit_ve(struct td_run *r);
/* MSR virtualization (td_msr.c). td_msr_exit: an RDMSR or WRMSR the MSR bitmap
 * sent to the module (#VE, #GP or emulated, by the MSR). td_msr_class: the
 * table's class of an access for the TD `c` (enum td_msr_class). The MSR bitmaps
 * (TDCS page 2), written at TDH.MNG.INIT from the TD's ATTRIBUTES and XFAM. The
 * native MSRs outside the VMCS guest state: loaded from the TDVPS at TD entry,
 * saved there and reset at the TD exit to the VMM; a new vCPU's values. */
enum td_exit_action td_msr_exit(struct td_run *r);
enum td_msr_class { TD_MSR_VE_OR_GP, TD_MSR_VE, TD_MSR_GP, TD_MSR_NATIVE, TD_MSR_EFER_WR, TD_MSR_XSS_WR,
		    TD_MSR_VAPIC };
unsigned td_msr_class(const struct tdcs *c, uint32_t msr, bool write);
void td_msr_bitmap_init(struct tdx_module *mod, const struct tdr *t, const struct tdcs *c);
uint64_t td_msr_bitmap_pa(const struct tdx_module *mod, const struct tdr *t);
void td_msr_switch_to_td(struct td_run *r);
void td_msr_switch_to_host(struct td_run *r);
void td_msr_vcpu_init(struct tdvps *v);
/* The vCPU's extended state (td_xstate.c): its INIT state at TDH.VP.INIT, loaded
 * at TD entry, saved and scrubbed at the TD exit; XSETBV's exit. */
void td_xstate_vcpu_init(struct tdx_module *mod, const struct tdr *t, const struct tdvps *v);
void td_xstate_switch_to_td(struct td_run *r);
void td_xstate_switch_to_host(struct td_run *r);
enum td_exit_action td_xsetbv_exit(struct td_run *r);

/* A TDCALL from the guest: its leaf in guest RAX. */
enum td_exit_action td_tdcall(struct td_run *r);

/* Measurement (measure.c): MRTD's SHA-384, RTMR extension. */
void td_mrtd_init(struct tdcs *c);
void td_mrtd_extend(struct tdcs *c, const void *block, size_t len);
void td_mrtd_finalize(struct tdcs *c);
void td_rtmr_extend(struct tdcs *c, unsigned index, const uint8_t data[48]);
/* TDG.MR.REPORT's TDREPORT (1024 bytes) for the TD `c` describes, with
 * REPORTDATA, MACed with the platform's report key. */
void td_build_report(const struct tdcs *c, const uint8_t reportdata[64], uint8_t report[1024]);

/* S-EPT leaves (sept.c). */
uint64_t tdh_mem_sept_add(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_mem_sept_rd(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_mem_sept_remove(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_mem_page_add(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_mem_page_aug(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_mem_range_block(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_mem_range_unblock(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_mem_page_remove(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_mem_track(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_mr_extend(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
/* Large pages: DEMOTE splits a 2 MiB (1 GiB) leaf into a new S-EPT table of 512
 * smaller ones; PROMOTE folds such a table back into one leaf and frees it. */
uint64_t tdh_mem_page_demote(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);
uint64_t tdh_mem_page_promote(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);

/* The guest side of the S-EPT, for TD execution: the state of the 4 KiB leaf
 * mapping `gpa` (SEPT_* below, SEPT_FREE when the walk stops short) and the entry's
 * address. */
enum {
	SEPT_FREE = 0, SEPT_BLOCKED = 1, SEPT_PENDING = 2, SEPT_PENDING_BLOCKED = 3,
	SEPT_MAPPED = 4, SEPT_REMOVED = 5, SEPT_NL_BLOCKED = 0x81, SEPT_NL_MAPPED = 0x84,
};
/* A new S-EPT table of the TD `t`: private to its HKID, every entry FREE (and
 * suppressing #VE). */
void sept_table_init(struct tdx_module *mod, const struct tdr *t, uint64_t page);
/* The TD's EPTP: its S-EPT root with the HKID, and the TD's EPTP controls. */
uint64_t sept_eptp(const struct tdx_module *mod, const struct tdr *t, const struct tdcs *c);
unsigned sept_leaf_state(struct tdx_module *mod, const struct tdr *t, uint64_t gpa,
			 uint64_t *entry_pa, unsigned *level);
/* TDG.MEM.PAGE.ACCEPT of the page of `level` (0: 4 KiB, 1: 2 MiB) at `gpa`: a
 * PENDING leaf of that size becomes MAPPED, its page zeroed (TDX_SUCCESS);
 * PAGE_ALREADY_ACCEPTED or PAGE_SIZE_MISMATCH with the level in the low bits; ~0
 * when it is the VMM's to fix (an EPT violation; *violation is then the extended
 * exit qualification's info: requested level in 2:0, the level, state and
 * leafness of the entry where the walk stopped in 5:3, 13:6 and 14). */
uint64_t sept_accept(struct tdx_module *mod, const struct tdr *t, uint64_t gpa, unsigned level,
		     uint32_t *violation);

#endif
