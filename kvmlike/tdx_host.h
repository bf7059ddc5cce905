/* The host kernel's TDX core (Linux arch/x86/virt/vmx/tdx/tdx.c, written anew):
 * SEAMCALL with retry, per-LP enabling, and the module's bring-up: metadata,
 * TDMRs and PAMTs built from the memory kvmlike owns, configuration, keys, TDMR
 * initialization. KVM's TDX half calls it. */
#ifndef KVMLIKE_TDX_HOST_H
#define KVMLIKE_TDX_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "kvmlike/vmx_insn.h"

/* The status codes: the one table the module also uses (data only). */
#include "sim/tdx_module_stub/status.h"

#define TDX_SEAMCALL_STATUS_MASK    0xFFFFFFFF00000000ull

/* The leaves the host core uses. */
enum {
	TDH_PHYMEM_PAGE_RDMD = 24, TDH_SYS_KEY_CONFIG = 31, TDH_SYS_INIT = 33, TDH_SYS_RD = 34,
	TDH_SYS_LP_INIT = 35, TDH_SYS_TDMR_INIT = 36, TDH_SYS_CONFIG = 45,
};

/* SEAMCALL, repeated while the module's random-number source is dry (sc_retry). */
uint64_t seamcall_ret(uint64_t fn, struct tdx_module_args *args);

/* What the bring-up read and built, for KVM and for `vtsim demo`. */
#define TDX_MAX_CPUID_CONFIG 32
struct tdx_sys_info {
	uint16_t major, minor, update;
	uint64_t features0;
	uint16_t max_tdmrs, max_reserved_per_tdmr;
	uint32_t tdr_base_size, tdcs_base_size, tdvps_base_size;
	uint16_t max_vcpus_per_td;
	unsigned ntdmrs;
	uint64_t pamt_bytes;
	uint32_t global_keyid, nr_tdx_keyids;
	unsigned keyid_shift;      /* a KeyID's place in a physical address */
	/* The CPUID bits a TD's configuration may set: per leaf (leaf | subleaf << 32,
	 * subleaf ~0 for none), EBX:EAX and EDX:ECX masks. */
	uint16_t num_cpuid_config;
	uint64_t cpuid_config_leaves[TDX_MAX_CPUID_CONFIG];
	uint64_t cpuid_config_values[TDX_MAX_CPUID_CONFIG][2];
};

/* Brings the module up on every LP; 0, or -ENODEV (no module, or it refused). */
int tdx_enable(void);
const struct tdx_sys_info *tdx_sys_info(void);

/* The KeyIDs TDs get (private KeyIDs after the global one): a KeyID, or -ENOSPC. */
#define TDX_MAX_GUEST_KEYIDS 64
int tdx_guest_keyid_alloc(void);
void tdx_guest_keyid_free(unsigned keyid);
/* A physical address with a KeyID, as TDH.PHYMEM.PAGE.WBINVD takes it. */
uint64_t mk_keyed_paddr(unsigned keyid, uint64_t pa);

/* SEAMCALLs issued so far, by leaf: calls and the last status, for the demo. */
#define TDX_NR_LEAVES 64
struct tdx_seamcall_stat {
	uint64_t calls, failures;
	uint64_t last_status;
};
const struct tdx_seamcall_stat *tdx_seamcall_stats(void);

#endif
