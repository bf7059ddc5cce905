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
	uint32_t cpuid_1_eax;                      /* family/model/stepping */
};

enum tdx_sys_state {
	TDX_SYS_STATE_SYSINIT_PENDING, TDX_SYS_STATE_SYSINIT_DONE, TDX_SYS_STATE_SYSCONFIG_DONE, TDX_SYS_STATE_READY, TDX_SYS_STATE_SHUTDOWN,
};

struct tdx_module;

struct tdx_module *tdx_module_create(struct phys *pm, const struct tdx_platform_info *info);
void tdx_module_destroy(struct tdx_module *mod);

/* One SEAMCALL on logical processor `lp`: the registers in ModRM order (RAX, RCX,
 * RDX, RBX, RSP, RBP, RSI, RDI, R8..R15), inputs in, outputs and RAX = status
 * out. */
void tdx_module_seamcall(struct tdx_module *mod, unsigned lp, uint64_t gpr[16]);

/* For tests and the fuzzer: the platform state, and RND_NO_ENTROPY on the next
 * `n` leaves that draw random numbers. */
enum tdx_sys_state tdx_module_sys_state(const struct tdx_module *mod);
void tdx_module_inject_no_entropy(struct tdx_module *mod, unsigned n);

/* The leaf's name ("TDH.SYS.INIT"), or NULL. */
const char *tdx_leaf_name(unsigned leaf);

#endif
