/* The module's SEAMCALL dispatcher: one table of leaves with the platform states
 * each may run in and the versions it accepts, checked in the module's order
 * before the leaf runs. */
#include "sim/tdx_module_stub/td.h"

#include <stdlib.h>
#include <string.h>

#define STATE(s) (1u << (s))
#define BEFORE_READY (STATE(TDX_SYS_STATE_SYSINIT_PENDING) | STATE(TDX_SYS_STATE_SYSINIT_DONE) | STATE(TDX_SYS_STATE_SYSCONFIG_DONE))
#define READY        STATE(TDX_SYS_STATE_READY)
#define ANY_STATE    (BEFORE_READY | READY)

struct tdx_leaf {
	unsigned nr;
	const char *name;
	tdx_leaf_fn fn;          /* NULL: named but not implemented here yet */
	uint32_t states;         /* sys_states it runs in (else SYS_NOT_READY); the
				  * bring-up leaves run in all and check their own step */
	uint8_t max_version;
};

static const struct tdx_leaf leaves[] = {
	{ 0, "TDH.VP.ENTER", tdh_vp_enter, READY, 0 },
	{ 1, "TDH.MNG.ADDCX", tdh_mng_addcx, READY, 0 },
	{ 2, "TDH.MEM.PAGE.ADD", tdh_mem_page_add, READY, 0 },
	{ 3, "TDH.MEM.SEPT.ADD", tdh_mem_sept_add, READY, 1 },
	{ 4, "TDH.VP.ADDCX", tdh_vp_addcx, READY, 0 },
	{ 6, "TDH.MEM.PAGE.AUG", tdh_mem_page_aug, READY, 0 },
	{ 7, "TDH.MEM.RANGE.BLOCK", tdh_mem_range_block, READY, 0 },
	{ 8, "TDH.MNG.KEY.CONFIG", tdh_mng_key_config, READY, 0 },
	{ 9, "TDH.MNG.CREATE", tdh_mng_create, READY, 0 },
	{ 10, "TDH.VP.CREATE", tdh_vp_create, READY, 0 },
	{ 11, "TDH.MNG.RD", tdh_mng_rd, READY, 1 },
	{ 12, "TDH.MEM.RD", tdh_mem_rd, READY, 0 },
	{ 13, "TDH.MNG.WR", tdh_mng_wr, READY, 1 },
	{ 14, "TDH.MEM.WR", tdh_mem_wr, READY, 0 },
	{ 15, "TDH.MEM.PAGE.DEMOTE", tdh_mem_page_demote, READY, 0 },
	{ 16, "TDH.MR.EXTEND", tdh_mr_extend, READY, 0 },
	{ 17, "TDH.MR.FINALIZE", tdh_mr_finalize, READY, 0 },
	{ 18, "TDH.VP.FLUSH", tdh_vp_flush, READY, 0 },
	{ 19, "TDH.MNG.VPFLUSHDONE", tdh_mng_vpflushdone, READY, 0 },
	{ 20, "TDH.MNG.KEY.FREEID", tdh_mng_key_freeid, READY, 0 },
	{ 21, "TDH.MNG.INIT", tdh_mng_init, READY, 0 },
	{ 22, "TDH.VP.INIT", tdh_vp_init, READY, 1 },
	{ 23, "TDH.MEM.PAGE.PROMOTE", tdh_mem_page_promote, READY, 1 },
	{ 24, "TDH.PHYMEM.PAGE.RDMD", tdh_phymem_page_rdmd, READY, 0 },
	{ 26, "TDH.VP.RD", tdh_vp_rd, READY, 1 },
	{ 27, "TDH.MNG.KEY.RECLAIMID", tdh_mng_key_reclaimid, READY, 0 },
	{ 25, "TDH.MEM.SEPT.RD", tdh_mem_sept_rd, READY, 0 },
	{ 28, "TDH.PHYMEM.PAGE.RECLAIM", tdh_phymem_page_reclaim, READY, 0 },
	{ 29, "TDH.MEM.PAGE.REMOVE", tdh_mem_page_remove, READY, 0 },
	{ 30, "TDH.MEM.SEPT.REMOVE", tdh_mem_sept_remove, READY, 0 },
	{ 31, "TDH.SYS.KEY.CONFIG", tdh_sys_key_config, ANY_STATE, 0 },
	{ 33, "TDH.SYS.INIT", tdh_sys_init, ANY_STATE, 0 },
	{ 34, "TDH.SYS.RD", tdh_sys_rd, ANY_STATE, 0 },
	{ 35, "TDH.SYS.LP.INIT", tdh_sys_lp_init, ANY_STATE, 0 },
	{ 36, "TDH.SYS.TDMR.INIT", tdh_sys_tdmr_init, READY, 0 },
	{ 37, "TDH.SYS.RDALL", tdh_sys_rdall, ANY_STATE, 0 },
	{ 38, "TDH.MEM.TRACK", tdh_mem_track, READY, 0 },
	{ 39, "TDH.MEM.RANGE.UNBLOCK", tdh_mem_range_unblock, READY, 0 },
	{ 40, "TDH.PHYMEM.CACHE.WB", tdh_phymem_cache_wb, READY, 0 },
	{ 41, "TDH.PHYMEM.PAGE.WBINVD", tdh_phymem_page_wbinvd, READY, 0 },
	{ 43, "TDH.VP.WR", tdh_vp_wr, READY, 1 },
	{ 44, "TDH.SYS.LP.SHUTDOWN", tdh_sys_lp_shutdown, ANY_STATE | STATE(TDX_SYS_STATE_SHUTDOWN), 0 },
	{ 45, "TDH.SYS.CONFIG", tdh_sys_config, ANY_STATE, 0 },
};

static const struct tdx_leaf *find_leaf(unsigned nr)
{
	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
		if (leaves[i].nr == nr)
			return &leaves[i];
	return NULL;
}

const char *tdx_leaf_name(unsigned nr)
{
	const struct tdx_leaf *l = find_leaf(nr);
	return l ? l->name : NULL;
}

struct tdx_module *tdx_module_create(struct phys *pm, const struct tdx_platform_info *info,
				     const struct tdx_cpu_ops *cpu)
{
	if (info->nr_lps > TDX_MAX_LPS || info->nr_packages > TDX_MAX_PACKAGES ||
	    info->ncmrs > TDX_MAX_CMRS || info->seam_size < sizeof(struct tdx_global) ||
	    !phys_is_ram(pm, info->seam_base, sizeof(struct tdx_global)))
		return NULL;
	struct tdx_module *mod = calloc(1, sizeof(*mod));
	if (!mod)
		return NULL;
	mod->pm = pm;
	mod->info = *info;
	if (cpu)
		mod->cpu = *cpu;
	/* Loading the module leaves its data region zeroed. */
	mod->g = (struct tdx_global *)phys_byte(pm, info->seam_base);
	memset(mod->g, 0, sizeof(*mod->g));
	mod->g->sys_state = TDX_SYS_STATE_SYSINIT_PENDING;
	return mod;
}

void tdx_module_destroy(struct tdx_module *mod)
{
	free(mod);
}

/* The injected results left and the global data (which the module writes in its
 * SEAM memory directly, not through the machine's logged writes). */
struct module_state {
	unsigned no_entropy, busy;
	struct tdx_global g;
};

size_t tdx_module_state_size(void)
{
	return sizeof(struct module_state);
}

void tdx_module_state_save(const struct tdx_module *mod, void *buf)
{
	struct module_state *s = buf;
	s->no_entropy = mod->no_entropy;
	s->busy = mod->busy;
	memcpy(&s->g, mod->g, sizeof(s->g));
}

void tdx_module_state_restore(struct tdx_module *mod, const void *buf)
{
	const struct module_state *s = buf;
	mod->no_entropy = s->no_entropy;
	mod->busy = s->busy;
	memcpy(mod->g, &s->g, sizeof(s->g));
}

enum tdx_sys_state tdx_module_sys_state(const struct tdx_module *mod)
{
	return mod->g->sys_state;
}

void tdx_module_inject_no_entropy(struct tdx_module *mod, unsigned n)
{
	mod->no_entropy = n;
}

void tdx_module_inject_busy(struct tdx_module *mod, unsigned n)
{
	mod->busy = n;
}

void tdx_module_seamcall(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	uint64_t rax = gpr[R_RAX];
	const struct tdx_leaf *l = find_leaf(rax & 0xffff);
	/* RAX: leaf in 15:0, version in 23:16, the rest 0. */
	if ((rax >> 24) || !l || ((rax >> 16) & 0xff) > l->max_version) {
		gpr[R_RAX] = tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
		return;
	}
	if (mod->g->sys_state == TDX_SYS_STATE_SHUTDOWN && !(l->states & STATE(TDX_SYS_STATE_SHUTDOWN))) {
		gpr[R_RAX] = TDX_SYS_SHUTDOWN;
		return;
	}
	if (!(l->states & STATE(mod->g->sys_state))) {
		gpr[R_RAX] = TDX_SYS_NOT_READY;
		return;
	}
	if (!l->fn) {
		/* A leaf of the TD half, which this module does not have yet: the module
		 * answers as it does for a leaf it does not dispatch. */
		gpr[R_RAX] = tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
		return;
	}
	gpr[R_RAX] = l->fn(mod, lp, gpr);
	pamt_unlock_all(mod);
}

/* ---- status names ---------------------------------------------------------------- */

static const struct { const char *name; uint64_t value; } status_names[] = {
#define TDX_STATUS_NAME(name, value) { #name, value },
	TDX_STATUS_CODES(TDX_STATUS_NAME)
#undef TDX_STATUS_NAME
};

const char *tdx_status_name(uint64_t status)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
		if (status_names[i].value == (status & 0xffffffff00000000ull))
			return status_names[i].name;
	return NULL;
}

bool tdx_status_known(uint64_t status)
{
	return tdx_status_name(status) != NULL;
}
