/* TDX statuses as rules: one table of (status, sentence), every code of status.h. */
#include "sim/tdx_module_stub/status_text.h"

#include <stddef.h>

#include "sim/tdx_module_stub/status.h"

static const struct {
	uint64_t status;
	const char *rule;
} rules[] = {
	{ TDX_SUCCESS, "the leaf completed" },
	{ TDX_INTERRUPTED_RESUMABLE, "an interrupt stopped the leaf part-way; call it again with the "
	  "same operands to go on where it stopped" },
	{ TDX_INTERRUPTED_RESTARTABLE, "an interrupt stopped the leaf before it changed anything; call "
	  "it again" },
	{ TDX_NON_RECOVERABLE_TD_WRONG_APIC_MODE, "the TD needs the logical processor's local APIC in "
	  "x2APIC mode, and it was not; the TD cannot go on" },
	{ TDX_NON_RECOVERABLE_TD_CORRUPTED_MD, "the module found the TD's metadata corrupted; the TD "
	  "cannot go on" },
	{ TDX_PREVIOUS_TLB_EPOCH_BUSY, "vCPUs still run in the TD's previous TLB epoch: make them exit "
	  "(or flush them) before the next TDH.MEM.TRACK" },
	{ TDX_OPERAND_BUSY_HOST_PRIORITY, "the operand is busy and the host has priority to it; call "
	  "the leaf again" },
	{ TDX_PAGE_ALREADY_FREE, "the page is free in the PAMT already: nothing to reclaim (not an "
	  "error)" },
	{ TDX_PAGE_NOT_OWNED_BY_TD, "the page belongs to another TD (its PAMT entry names another TDR)" },
	{ TDX_TD_ASSOCIATED_PAGES_EXIST, "the TD still owns pages: reclaim all of them before its TDR" },
	{ TDX_SYS_LP_INIT_NOT_PENDING, "TDH.SYS.LP.INIT is not taken now: it follows TDH.SYS.INIT, once "
	  "per logical processor" },
	{ TDX_TDCS_NOT_ALLOCATED, "the TD's TDCS pages are not all added yet (TDH.MNG.ADDCX)" },
	{ TDX_NO_VCPUS, "the TD has no vCPU yet (TDH.VP.CREATE, TDH.VP.ADDCX, TDH.VP.INIT)" },
	{ TDX_NO_VALID_VE_INFO, "no #VE information is valid: no #VE is pending for "
	  "TDG.VP.VEINFO.GET to report" },
	{ TDX_TSC_ROLLBACK, "the platform's TSC is behind the value the TD last saw" },
	{ TDX_KEY_GENERATION_FAILED, "the key could not be generated (no entropy yet); call the leaf "
	  "again" },
	{ TDX_KEY_STATE_INCORRECT, "the TD's key is not in the state the leaf needs (configured, or "
	  "freed)" },
	{ TDX_NO_HKID_READY_TO_WBCACHE, "no HKID waits for a cache write-back: TDH.PHYMEM.CACHE.WB had "
	  "nothing to do (not an error)" },
	{ TDX_WBCACHE_RESUME_ERROR, "a resumed TDH.PHYMEM.CACHE.WB does not continue the one that was "
	  "interrupted" },
	{ TDX_INCORRECT_CPUID_VALUE, "a CPUID value in TD_PARAMS sets a bit the module fixes or the "
	  "platform does not have" },
	{ TDX_INCONSISTENT_MSR, "an MSR differs between logical processors where the module needs it "
	  "the same" },
	{ TDX_INCORRECT_MSR_VALUE, "an MSR holds a value the module does not accept" },
	{ TDX_TDMR_ALREADY_INITIALIZED, "the TDMR is fully initialized: TDH.SYS.TDMR.INIT is done for "
	  "it (not an error)" },
	{ TDX_INVALID_RESERVED_IN_TDMR, "a reserved area of a TDMR is not valid: 4 KiB-aligned, inside "
	  "the TDMR" },
	{ TDX_NON_ORDERED_RESERVED_IN_TDMR, "a TDMR's reserved areas must be sorted and must not overlap" },
	{ TDX_EPT_ENTRY_NOT_PRESENT, "the S-EPT entry for the GPA is not present" },
	{ TDX_EPT_ENTRY_NOT_LEAF, "the S-EPT entry maps a table at that level, not a page" },
	{ TDX_EPT_ENTRY_LEAF, "the S-EPT entry maps a page at that level, not a table" },
	{ TDX_GPA_RANGE_ALREADY_BLOCKED, "the GPA range is blocked already (not an error)" },
	{ TDX_PAGE_ALREADY_ACCEPTED, "the TD accepted that page already (not an error)" },
	{ TDX_EPT_INVALID_PROMOTE_CONDITIONS, "the S-EPT table cannot become one large page: its 512 "
	  "entries must all be MAPPED or all PENDING, mapping consecutive pages from an address aligned "
	  "to the large page's size" },
	{ TDX_EPT_PAGE_NOT_FREE, "the S-EPT page still maps something: remove what it maps first" },
	{ TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT, "the field read is the first of its context; the next "
	  "field identifier follows (not an error)" },
	{ TDX_METADATA_FIELD_SKIP, "the field is skipped in this listing (not an error)" },
	{ TDX_NON_RECOVERABLE_VCPU, "the vCPU hit an error it cannot recover from and will not run "
	  "again; tear the TD down" },
	{ TDX_NON_RECOVERABLE_TD, "the TD hit an error it cannot recover from and will not run again; "
	  "tear it down" },
	{ TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE, "the TD can no longer be entered: a machine check "
	  "struck its VM entry (exit reason 80000029H in the low bits) or the module's load of its VMCS "
	  "(the TD's memory was written through another KeyID), or the module's own VMCS did not enter "
	  "(a VMfail, or the machine stopped under it); the TD is fatal and only its teardown is left" },
	{ TDX_OPERAND_INVALID, "an operand of the leaf (the register the low bits name) is not valid: "
	  "misaligned, a reserved bit set, an address outside the TDMRs or the TD's GPA width, or a "
	  "value the leaf does not take" },
	{ TDX_OPERAND_ADDR_RANGE_ERROR, "an operand's physical address lies outside the ranges the leaf "
	  "accepts" },
	{ TDX_OPERAND_BUSY, "another leaf holds the lock on the operand the low bits name; the module "
	  "never waits: call the leaf again" },
	{ TDX_SYS_BUSY, "another leaf holds the module's global lock; call the leaf again" },
	{ TDX_RND_NO_ENTROPY, "the module's random source had no entropy yet; call the leaf again (Linux "
	  "retries it)" },
	{ TDX_PAGE_METADATA_INCORRECT, "a page operand's PAMT entry has the wrong page type, size or "
	  "owner for this leaf (a page the module already holds, or one of another TD)" },
	{ TDX_SYS_INIT_NOT_PENDING, "TDH.SYS.INIT runs once per platform, first; it has run already" },
	{ TDX_SYS_LP_INIT_NOT_DONE, "this logical processor has not run TDH.SYS.LP.INIT, which every LP "
	  "must run after TDH.SYS.INIT before it makes other SEAMCALLs" },
	{ TDX_SYS_LP_INIT_DONE, "TDH.SYS.LP.INIT has run on this logical processor already" },
	{ TDX_SYS_NOT_READY, "the module is not initialized: TDH.SYS.INIT, LP.INIT on every LP, "
	  "SYS.CONFIG, SYS.KEY.CONFIG on every package and TDMR.INIT until every TDMR is done come "
	  "before any TD leaf" },
	{ TDX_SYS_SHUTDOWN, "the module was shut down (TDH.SYS.LP.SHUTDOWN) and takes no more leaves" },
	{ TDX_SYS_KEY_CONFIG_NOT_PENDING, "TDH.SYS.KEY.CONFIG is taken once per package, after "
	  "TDH.SYS.CONFIG" },
	{ TDX_SYS_CONFIG_NOT_PENDING, "TDH.SYS.CONFIG is taken once, after TDH.SYS.INIT and "
	  "TDH.SYS.LP.INIT on every LP" },
	{ TDX_TD_FATAL, "the TD is fatal and will not run again (in vtsim: a private page of it was "
	  "written through another KeyID, so its next access would be a machine check); only the "
	  "teardown leaves (TDH.VP.FLUSH, TDH.MNG.VPFLUSHDONE, TDH.PHYMEM.CACHE.WB, "
	  "TDH.MNG.KEY.FREEID, TDH.PHYMEM.PAGE.RECLAIM) still work on it" },
	{ TDX_TD_NON_DEBUG, "the leaf works only on a debug TD (ATTRIBUTES.DEBUG set in TD_PARAMS)" },
	{ TDX_LIFECYCLE_STATE_INCORRECT, "the TD's life-cycle state does not allow the leaf: after "
	  "TDH.MNG.VPFLUSHDONE and TDH.MNG.KEY.FREEID only the teardown leaves do" },
	{ TDX_OP_STATE_INCORRECT, "the TD's OP_STATE does not allow the leaf now: TDH.MNG.INIT needs "
	  "all TDCS pages added, TDH.MEM.PAGE.ADD and TDH.MR.EXTEND a TD not yet finalized, "
	  "TDH.VP.ENTER a TD that TDH.MR.FINALIZE made runnable" },
	{ TDX_TDCX_NUM_INCORRECT, "not every TDCS (or TDCX) page was added before the leaf that "
	  "initializes them: add as many as TDH.SYS.RD's TDCS/TDVPS sizes say" },
	{ TDX_VCPU_STATE_INCORRECT, "the vCPU's state does not allow the leaf (TDH.VP.ENTER needs "
	  "TDH.VP.INIT done; TDH.VP.INIT needs all TDCX pages)" },
	{ TDX_VCPU_ASSOCIATED, "the vCPU is associated with another logical processor: TDH.VP.FLUSH it "
	  "there first" },
	{ TDX_VCPU_NOT_ASSOCIATED, "the vCPU is not associated with any logical processor" },
	{ TDX_MAX_VCPUS_EXCEEDED, "the TD has as many vCPUs as TD_PARAMS.MAX_VCPUS allows" },
	{ TDX_TD_KEYS_NOT_CONFIGURED, "the TD's private key (its HKID) is not programmed yet: call "
	  "TDH.MNG.KEY.CONFIG on every package right after TDH.MNG.CREATE" },
	{ TDX_KEY_CONFIGURED, "the TD's key is already programmed on this package (not an error)" },
	{ TDX_HKID_NOT_FREE, "the HKID is still in use by another TD" },
	{ TDX_FLUSHVP_NOT_DONE, "a vCPU of the TD is still associated with a logical processor: "
	  "TDH.VP.FLUSH each one before TDH.MNG.VPFLUSHDONE" },
	{ TDX_WBCACHE_NOT_COMPLETE, "the caches are not written back for the TD's HKID yet: finish "
	  "TDH.PHYMEM.CACHE.WB before TDH.MNG.KEY.FREEID" },
	{ TDX_INVALID_TDMR, "a TDMR is not valid: 1 GiB-aligned base and size, inside the CMRs" },
	{ TDX_NON_ORDERED_TDMR, "the TDMRs must be sorted by address and must not overlap" },
	{ TDX_TDMR_OUTSIDE_CMRS, "a TDMR covers memory outside the convertible memory ranges (CMRs)" },
	{ TDX_INVALID_PAMT, "a PAMT area is not valid: aligned, large enough for its TDMR (TDH.SYS.RD "
	  "gives the entry size)" },
	{ TDX_PAMT_OUTSIDE_CMRS, "a PAMT area lies outside the convertible memory ranges" },
	{ TDX_PAMT_OVERLAP, "PAMT areas overlap each other, a TDMR's reserved areas or the SEAM range" },
	{ TDX_EPT_WALK_FAILED, "the S-EPT walk to the GPA stopped at a level not present: add the S-EPT "
	  "pages above it first (TDH.MEM.SEPT.ADD, from level 3 down)" },
	{ TDX_EPT_ENTRY_FREE, "the S-EPT entry for the GPA is free: nothing is mapped there" },
	{ TDX_EPT_ENTRY_NOT_FREE, "the S-EPT entry for the GPA is already in use" },
	{ TDX_GPA_RANGE_NOT_BLOCKED, "the GPA range must be blocked first (TDH.MEM.RANGE.BLOCK)" },
	{ TDX_TLB_TRACKING_NOT_DONE, "TLB tracking is not done: TDH.MEM.TRACK, then make every vCPU "
	  "exit (or flush it) before the pages go" },
	{ TDX_EPT_ENTRY_STATE_INCORRECT, "the S-EPT entry's state does not allow the leaf (a page must "
	  "be blocked before it is removed; a pending page cannot be added again)" },
	{ TDX_PAGE_SIZE_MISMATCH, "the page size the leaf names differs from the size mapped in the S-EPT" },
	{ TDX_METADATA_FIELD_ID_INCORRECT, "the metadata field identifier names no field of that class" },
	{ TDX_METADATA_FIELD_NOT_WRITABLE, "the metadata field cannot be written by the caller" },
	{ TDX_METADATA_FIELD_NOT_READABLE, "the metadata field cannot be read by the caller" },
	{ TDX_METADATA_FIELD_VALUE_NOT_VALID, "the write would change bits of the metadata field the "
	  "caller may not write, or the value is not one the field takes (a posted-interrupt vector "
	  "above FFH)" },
	{ TDX_TD_VMCS_FIELD_NOT_INITIALIZED, "the TD VMCS field named in the low bits (its encoding) "
	  "still has its initial value: write the posted-interrupt vector and descriptor "
	  "(TDH.VP.WR) before turning posted interrupts on" },
};

const char *tdx_status_rule(uint64_t status)
{
	uint64_t code = status & 0xFFFFFFFF00000000ull;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].status == code)
			return rules[i].rule;
	return NULL;
}
