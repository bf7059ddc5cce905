/* The machine: RAM, logical processors, the run loop. Public API in vtsim.h. */
#include "sim/cpu/coverage.h"
#include "sim/cpu/disasm.h"
#include "sim/cpu/machine.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sim/cpu/apicv.h"
#include "sim/cpu/boot.h"
#include "sim/cpu/exception.h"
#include "sim/cpu/interrupt.h"
#include "sim/cpu/io.h"
#include "sim/cpu/lapic_timer.h"
#include "sim/cpu/loader.h"
#include "sim/cpu/msr.h"
#include "sim/cpu/snapshot.h"
#include "sim/cpu/smp.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/cpu/vmx_timer.h"
#include "sim/debug/gdbstub.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/exit_reasons.h"

#define MIN_RAM (8ull << 20)
#define MAX_RAM (4ull << 30)   /* 32-bit multiboot code must reach the reserved area */
#define MAX_LPS 64
#define MAX_OPEN_BUS_PAGES 4096
#define ENGINE_CODE_CACHE (64u << 20)
/* The guest engine's is smaller: every VMLAUNCH (and a snapshot restore after the
 * guest ran) flushes it, and a flush clears the whole cache. */
#define GUEST_ENGINE_CODE_CACHE (1u << 20)

void vtsim_config_defaults(struct vtsim_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ram_size = 128ull << 20;
	cfg->nr_cpus = 1;
	cfg->trace_mask = 0;
}

const char *vtsim_cpu_model_name(unsigned i, const char **description)
{
	if (i >= cpuid_model_count())
		return NULL;
	const struct cpu_model *m = cpuid_model_at(i);
	if (description)
		*description = cpuid_model_description(m);
	return cpuid_model_name(m);
}

int vtsim_parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: break;
	}
	if (*end == 'i' || *end == 'B')
		end++;
	if (*end == 'B')
		end++;
	if (*end || (shift && v > (~0ull >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* ---- trace and stop ------------------------------------------------------- */

void trace_event(struct vtsim_machine *m, unsigned cls, const char *fmt, ...)
{
	if (!(m->cfg.trace_mask & cls))
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(m->trace, fmt, ap);
	va_end(ap);
	fputc('\n', m->trace);
}

void machine_stop(struct vtsim_machine *m, struct lp *lp, enum vtsim_stop why, int status,
		  const char *fmt, ...)
{
	if (m->stopped)
		return;
	m->stopped = true;
	m->result.reason = why;
	m->result.exit_status = status;
	m->result.rip = lp ? cpu_reg(lp->uc, UC_X86_REG_RIP) : 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->stop_msg, sizeof(m->stop_msg), fmt, ap);
	va_end(ap);
	if (lp)
		uc_emu_stop(lp->uc);
}

/* Wall-clock checks for --timeout come every this many instructions. */
#define TIMEOUT_STRIDE (1ull << 22)

void lp_retire_recompute(struct lp *lp)
{
	const struct vtsim_machine *m = lp->m;
	uint64_t c = ~0ull;
	if (m->cfg.max_insns)
		c = m->cfg.max_insns + 1;
	if (m->cfg.timeout_s > 0 && lp->insns + TIMEOUT_STRIDE < c)
		c = lp->insns + TIMEOUT_STRIDE;
	/* Each asked once: they are calls into other files (entry and exit run this). */
	uint64_t p = vmx_timer_check_point(lp);
	c = p < c ? p : c;
	p = lapic_timer_check_point(lp);
	c = p < c ? p : c;
	p = intr_check_point(lp);
	c = p < c ? p : c;
	if (lp->quantum_end && lp->quantum_end < c)
		c = lp->quantum_end;
	if (m->dbg && lp->insns + GDBSTUB_POLL_INSNS < c)
		c = lp->insns + GDBSTUB_POLL_INSNS;   /* look for gdb's Ctrl-C now and then */
	if (lp->stop_at_block)
		c = 0;                        /* the next block start takes the slow path */
	lp->retire_check = c;
}

void lp_retire_slow(struct lp *lp)
{
	struct vtsim_machine *m = lp->m;
	if (m->stopped)
		return;
	if (m->cfg.max_insns && lp->insns > m->cfg.max_insns) {
		machine_stop(m, lp, VTSIM_STOP_LIMIT, 4, "instruction limit (--max-insns %llu) reached",
			     (unsigned long long)m->cfg.max_insns);
		return;
	}
	if (lp->quantum_end && lp->insns >= lp->quantum_end) {
		/* The quantum is over: the block just counted runs, the engine stops
		 * before the next one (sites.c, on_block_slow). */
		lp->quantum_end = 0;
		lp->yield_due = true;
		lp->stop_at_block = true;
	}
	lapic_timer_run(lp);
	intr_watch_run(lp);
	if (m->dbg)
		gdbstub_poll(m->dbg, lp);
	if (m->cfg.timeout_s > 0) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		double el = (double)(now.tv_sec - m->start.tv_sec) + (now.tv_nsec - m->start.tv_nsec) / 1e9;
		if (el > m->cfg.timeout_s) {
			machine_stop(m, lp, VTSIM_STOP_LIMIT, 4, "time limit (--timeout %g s) reached",
				     m->cfg.timeout_s);
			return;
		}
	}
	lp_retire_recompute(lp);
}

/* Runs that need the retired-instruction count from their first instruction: a
 * limit on it, the wall-clock checks it paces, gdb's polls, the quantum of
 * several LPs. The others count from the first observation of time. */
static bool counts_from_start(const struct vtsim_machine *m)
{
	return m->cfg.max_insns || m->cfg.timeout_s > 0 || m->cfg.gdb || m->nr_lps > 1;
}

void lp_restart_run(struct lp *lp)
{
	lp->co_restart = true;
	uc_emu_stop(lp->uc);
}

void lp_count_instructions(struct lp *lp)
{
	if (lp->counting)
		return;
	lp->counting = true;
	/* Unicorn compiles hooks into translated code: each engine drops its
	 * translations before it runs again (lp_run_once). One suspended in a run
	 * (the root engine under a guest, the guest engine after an exit) or running
	 * this callback stops when the callback returns; an idle one ignores this. */
	struct engine *engines[] = { &lp->root, &lp->guest };
	for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++) {
		if (!engines[i]->uc)
			continue;
		engines[i]->count_due = true;
		mmio_note_stop(lp, engines[i]->uc);
		uc_emu_stop(engines[i]->uc);
	}
	if (lp->co_started)
		lp->co_force_restart = true;
}

void lp_mmu_ctx(struct lp *lp, struct mmu_ctx *c)
{
	struct cpu_view v;
	cpustate_view(&lp->cs, &v);
	mmu_ctx_from_view(c, lp, &v);
}

/* ---- engine hooks ----------------------------------------------------------- */

/* CPUID in a guest exits before it executes (a site in the guest engine; outside
 * non-root operation the engine's own CPUID hook answers). */
void site_cpuid(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	if (!lp->vmx.non_root)
		return;
	/* Nothing changed the guest's state since the hook read `v`. */
	struct vmx_exit_info xi = { .insn_len = in->len, .rip = v->rip, .view = v };
	vmx_exit(lp, EXIT_REASON_CPUID, &xi);
}

/* XSETBV outside a guest: the engine checks XCR0 against its own CPU's features,
 * which may list components (AVX, PKRU) the model's CPUID.0DH does not; the model
 * decides, as for the hosted VMM's vtsim_hosted_xsetbv. #UD (no CR4.OSXSAVE) and the
 * other #GPs (CPL, ECX, x87, AVX without SSE) are the engine's. */
static void root_xsetbv(struct lp *lp, const struct cpu_view *v)
{
	if (!(v->cr4 & (1u << 18)) || v->cpl > 0 || (uint32_t)cpu_reg(lp->uc, UC_X86_REG_RCX))
		return;
	uint64_t xcr0 = (cpu_reg(lp->uc, UC_X86_REG_RDX) << 32) | (uint32_t)cpu_reg(lp->uc, UC_X86_REG_RAX);
	struct cpuid_topology topo = { lp->m->nr_lps, lp->apic_id };
	if (!cpuid_xcr0_valid(lp->m->model, &topo, xcr0))
		exc_fault(lp, VEC_GP, 0);
}

void site_guest_exit(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	/* #UD and privilege faults come before the VM exit (SDM "Relative Priority of
	 * Faults and VM Exits"): XSETBV needs CR4.OSXSAVE, INVD and XSETBV CPL 0; the
	 * engine raises those itself. */
	if (!lp->vmx.non_root) {
		if (in->vmx_id == EXIT_REASON_XSETBV)
			root_xsetbv(lp, v);
		return;
	}
	if ((in->vmx_id == EXIT_REASON_XSETBV && !(v->cr4 & (1u << 18))) || v->cpl > 0)
		return;
	struct vmx_exit_info xi = { .insn_len = in->len, .rip = v->rip, .view = v };
	vmx_exit(lp, in->vmx_id, &xi);
}

/* CPUID's length for its exit: 0F A2 and every prefix before it (redundant REX and
 * legacy prefixes change nothing but are part of the instruction). */
static unsigned cpuid_len(struct lp *lp, uint64_t rip)
{
	struct mmu_ctx c;
	struct mmu_fault f;
	struct seg cs;
	lp_mmu_ctx(lp, &c);
	cpustate_get_seg(&lp->cs, SEG_CS, &cs);
	uint64_t la = rip + cs.base;
	for (unsigned i = 0; i < 14; i++) {
		uint8_t b;
		if (mmu_fetch(&lp->m->pm, &c, la + i, &b, 1, MMU_SUPERVISOR | MMU_NO_AD, &f))
			break;
		if (b == 0x0f)
			return i + 2;
	}
	return 2;
}

static int on_cpuid(uc_engine *uc, void *user)
{
	struct lp *lp = user;
	if (lp->vmx.non_root) {         /* CPUID always exits from a guest */
		uint64_t rip = cpu_reg(uc, UC_X86_REG_RIP);
		struct vmx_exit_info xi = { .insn_len = cpuid_len(lp, rip), .rip = rip, .restart = true };
		vmx_exit(lp, EXIT_REASON_CPUID, &xi);
		return 1;
	}
	uint32_t leaf = (uint32_t)cpu_reg(uc, UC_X86_REG_RAX);
	uint32_t sub = (uint32_t)cpu_reg(uc, UC_X86_REG_RCX);
	struct cpuid_topology topo = { lp->m->nr_lps, lp->apic_id };
	bool osxsave = (cpu_reg(uc, UC_X86_REG_CR4) >> 18) & 1;
	struct cpuid_regs r;
	cpuid_query(lp->m->model, &topo, osxsave, leaf, sub, &r);
	cpu_set_reg(uc, UC_X86_REG_RAX, r.eax);
	cpu_set_reg(uc, UC_X86_REG_RBX, r.ebx);
	cpu_set_reg(uc, UC_X86_REG_RCX, r.ecx);
	cpu_set_reg(uc, UC_X86_REG_RDX, r.edx);
	if (trace_on(lp->m, VTSIM_TRACE_CPUID))
		trace_event(lp->m, VTSIM_TRACE_CPUID,
			    "cpuid lp%u leaf=0x%x sub=0x%x -> eax=0x%x ebx=0x%x ecx=0x%x edx=0x%x",
			    lp->id, leaf, sub, r.eax, r.ebx, r.ecx, r.edx);
	return 1; /* skip the engine's own CPUID */
}

/* #UD: answered "handled" so that the engine reports vector 6 to the interrupt
 * hook, which delivers it (or, later, emulates the VMX instruction it was). */
static bool on_insn_invalid(uc_engine *uc, void *user)
{
	return true;
}

/* An access to a physical address with no RAM behind it: a device (mmio.h) or the
 * open bus. Pages are mapped as they are touched, up to a bound. */
static bool on_unmapped(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
			void *user)
{
	struct lp *lp = user;
	struct vtsim_machine *m = lp->m;
	if (m->stopped)
		return false;
	if (m->open_bus_pages >= MAX_OPEN_BUS_PAGES) {
		machine_stop(m, lp, VTSIM_STOP_INTERNAL, 70,
			     "more than %u pages of unbacked physical memory touched (last 0x%llx)",
			     MAX_OPEN_BUS_PAGES, (unsigned long long)addr);
		return false;
	}
	uint64_t page = addr & ~0xfffull;
	for (uint64_t p = page; p < addr + (uint64_t)size; p += 0x1000) {
		if (mmio_map_page(lp, uc, p) != UC_ERR_OK) {
			machine_stop(m, lp, VTSIM_STOP_INTERNAL, 70,
				     "cannot map the open bus at physical 0x%llx", (unsigned long long)p);
			return false;
		}
		m->open_bus_pages++;
	}
	return true;
}

static void on_insn_trace(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	struct lp *lp = user;
	uint8_t buf[16];
	struct mmu_ctx c;
	struct mmu_fault f;
	lp_mmu_ctx(lp, &c);
	size_t n = size <= 15 ? size : 15;
	if (mmu_fetch(&lp->m->pm, &c, address, buf, n, MMU_SUPERVISOR | MMU_NO_AD, &f)) {
		trace_event(lp->m, VTSIM_TRACE_INSN, "insn lp%u 0x%llx: (unreadable)", lp->id,
			    (unsigned long long)address);
		return;
	}
	struct seg cs;
	cpustate_get_seg(&lp->cs, SEG_CS, &cs);
	csh h = (c.efer & (1u << 10)) && (cs.attr & (1u << 13)) ? lp->cs_handle
		: (cs.attr & (1u << 14)) ? lp->cs32 : lp->cs16;
	char text[160];
	disasm_one(h, buf, n, address, text, sizeof(text));
	trace_event(lp->m, VTSIM_TRACE_INSN, "insn lp%u 0x%llx: %s", lp->id, (unsigned long long)address, text);
}

/* With several LPs and events looked at before the next instruction: an event an
 * LP raised for itself from an MMIO write (a self-IPI, an EOI or TPR write) stops
 * it before the next instruction. Neither a block hook nor the MMIO callback can:
 * from either the engine reports a stale RIP (a chained block stores none) and,
 * from the callback, stale flags. Costs a call on every instruction. */
static void on_insn_sched(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	struct lp *lp = user;
	if (lp->stop_due)
		uc_emu_stop(uc);
}

/* ---- creation --------------------------------------------------------------- */

void lp_switch(struct lp *lp, struct engine *e)
{
	lp->active = e;
	lp->uc = e->uc;
	lp->cs = e->cs;
	lp->sites = &e->sites;
}

/* RAM (or a KeyID's view of it, at `at`) in an engine. The SEAM range is not
 * there: software outside SEAM reads all ones from it and its writes are dropped
 * (the abort page); the module reaches it directly. (The KeyID views hold
 * nothing of it: the module keeps its memory at KeyID 0, so they stay whole,
 * which keeps an engine cheap to open.) */
static uc_err map_ram(struct vtsim_machine *m, uc_engine *uc, uint64_t at, uint8_t *ram)
{
	if (!m->seam.enabled || at)
		return uc_mem_map_ptr(uc, at, m->pm.size, UC_PROT_ALL, ram);
	uint64_t base = m->seam.seamrr_base, end = base + m->seam.seamrr_size;
	uc_err ue = uc_mem_map_ptr(uc, at, base, UC_PROT_ALL, ram);
	if (ue == UC_ERR_OK)
		ue = mmio_map_open_bus(uc, at + base, m->seam.seamrr_size);
	if (ue == UC_ERR_OK && end < m->pm.size)
		ue = uc_mem_map_ptr(uc, at + end, m->pm.size - end, UC_PROT_ALL, ram + end);
	return ue;
}

/* VTSIM_CPU_STATE (a debugging aid; set, it also makes each engine say which
 * way its state is accessed): "context" leaves the live states alone (the saved
 * contexts), "api" carries what entry and exit do not switch through the
 * register API, as a Unicorn build the calibration does not know would. */
static void force_state_access(struct cpustate_layout *lay, const char *access)
{
	if (!access)
		return;
	if (!strcmp(access, "context") || !strcmp(access, "api"))
		lay->env_ok = false;
	if (!strcmp(access, "api") && lay->shared_ok) {
		lay->shared_ok = false;
		snprintf(lay->shared_err, sizeof(lay->shared_err), "VTSIM_CPU_STATE=api");
	}
}

/* Opens an engine with the machine's RAM and the simulator's hooks. */
static int engine_init(struct lp *lp, struct engine *e, char *err, size_t errlen)
{
	struct vtsim_machine *m = lp->m;
	struct engine *was = lp->active;
	uc_err ue = uc_open(UC_ARCH_X86, UC_MODE_64, &e->uc);
	if (ue != UC_ERR_OK) {
		snprintf(err, errlen, "cannot create the software CPU: %s", uc_strerror(ue));
		return -1;
	}
	uc_ctl_set_cpu_model(e->uc, cpuid_model_engine_cpu(m->model));
	/* Unicorn reserves 1 GiB for translated code by default, and a translation
	 * flush clears all of it, page by page: a smaller cache keeps flushes cheap
	 * (when it fills, the engine flushes it by itself). */
	uc_ctl_set_tcg_buffer_size(e->uc, e == &lp->guest ? GUEST_ENGINE_CODE_CACHE : ENGINE_CODE_CACHE);
	/* No exit address. With a plain `until` address, Unicorn probes the page of
	 * until-1 after every run to drop translations there; that probe page-faults
	 * inside the engine, clobbering CR2 and the engine's record of the exception
	 * in delivery. An empty exit list probes nothing. */
	uc_ctl_exits_enable(e->uc);
	const char *access = getenv("VTSIM_CPU_STATE");
	if (!m->layout.ctx_size) {
		if (cpustate_calibrate(e->uc, &m->layout, err, errlen))
			return -1;
		force_state_access(&m->layout, access);
		if (!m->layout.shared_ok)   /* once per machine: correct, only slower */
			fprintf(m->diag, "vtsim: %s; VM entries and exits carry the state they do not "
				"switch through the register API, XCR0 excepted\n", m->layout.shared_err);
		sites_calibrate(m, e->uc);
	}
	if (cpustate_init(&e->cs, e->uc, &m->layout)) {
		snprintf(err, errlen, "cannot allocate CPU state");
		return -1;
	}
	if (access)
		fprintf(m->diag, "vtsim: LP %u %s engine: CPU state %s\n", lp->id, e == &lp->guest ? "guest" : "root",
			cpustate_access(&e->cs));
	ue = map_ram(m, e->uc, 0, m->pm.ram);
	/* The KeyID views of RAM on a TDX platform, at their KeyIDs' addresses. */
	for (unsigned key = 0; ue == UC_ERR_OK && key < m->pm.nr_key_views; key++)
		if (m->pm.key_view[key])
			ue = map_ram(m, e->uc, (uint64_t)key << m->pm.keyid_shift, m->pm.key_view[key]);
	if (ue != UC_ERR_OK) {
		snprintf(err, errlen, "cannot map RAM into the software CPU: %s", uc_strerror(ue));
		return -1;
	}
	lp_switch(lp, e);   /* sites_init works on the active engine */
	uc_hook h;
	bool ok = uc_hook_add(e->uc, &h, UC_HOOK_INTR, (void *)exc_on_intr, lp, 1, 0) == UC_ERR_OK &&
		  uc_hook_add(e->uc, &h, UC_HOOK_INSN, (void *)on_cpuid, lp, 1, 0, UC_X86_INS_CPUID) == UC_ERR_OK &&
		  uc_hook_add(e->uc, &h, UC_HOOK_INSN, (void *)io_on_in, lp, 1, 0, UC_X86_INS_IN) == UC_ERR_OK &&
		  uc_hook_add(e->uc, &h, UC_HOOK_INSN, (void *)io_on_out, lp, 1, 0, UC_X86_INS_OUT) == UC_ERR_OK &&
		  uc_hook_add(e->uc, &h, UC_HOOK_INSN_INVALID, (void *)on_insn_invalid, lp, 1, 0) == UC_ERR_OK &&
		  uc_hook_add(e->uc, &h, UC_HOOK_MEM_UNMAPPED, (void *)on_unmapped, lp, 1, 0) == UC_ERR_OK &&
		  sites_init(lp) == 0;
	if (ok && m->cfg.nr_cpus > 1 && m->cfg.smp_exact_events)
		ok = uc_hook_add(e->uc, &h, UC_HOOK_CODE, (void *)on_insn_sched, lp, 1, 0) == UC_ERR_OK;
	if (ok && (m->cfg.trace_mask & VTSIM_TRACE_INSN))
		ok = uc_hook_add(e->uc, &h, UC_HOOK_CODE, (void *)on_insn_trace, lp, 1, 0) == UC_ERR_OK;
	if (was)
		lp_switch(lp, was);
	if (!ok) {
		snprintf(err, errlen, "cannot install the software CPU's hooks");
		return -1;
	}
	return 0;
}

static void engine_fini(struct lp *lp, struct engine *e)
{
	if (!e->uc)
		return;
	struct engine *was = lp->active;
	lp_switch(lp, e);
	sites_fini(lp);
	if (was && was != e)
		lp_switch(lp, was);
	cpustate_fini(&e->cs);
	uc_close(e->uc);
	e->uc = NULL;
}

int lp_guest_engine(struct lp *lp)
{
	if (lp->guest.uc)
		return 0;
	char err[256];
	if (engine_init(lp, &lp->guest, err, sizeof(err)) || guest_tlb_init(lp)) {
		machine_stop(lp->m, lp, VTSIM_STOP_INTERNAL, 70, "cannot create the guest's software CPU: %s", err);
		return -1;
	}
	return 0;
}

static int lp_init(struct vtsim_machine *m, struct lp *lp, unsigned id, char *err, size_t errlen)
{
	memset(lp, 0, sizeof(*lp));
	lp->m = m;
	lp->id = id;
	lp->apic_id = id;
	lp->last_insn_la = lp->last_block_la = ~0ull;
	lp->activity = id == 0 ? LP_ACTIVE : LP_WAIT_FOR_SIPI;
	lp->counting = counts_from_start(m);
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &lp->cs_handle) != CS_ERR_OK ||
	    cs_open(CS_ARCH_X86, CS_MODE_32, &lp->cs32) != CS_ERR_OK ||
	    cs_open(CS_ARCH_X86, CS_MODE_16, &lp->cs16) != CS_ERR_OK) {
		snprintf(err, errlen, "cannot open the Capstone decoder");
		return -1;
	}
	if (engine_init(lp, &lp->root, err, errlen))
		return -1;
	lp_switch(lp, &lp->root);
	msr_reset(lp, id == 0);
	lapic_reset(&lp->lapic, lp->apic_id);
	vmx_lp_reset(&lp->vmx);
	smm_lp_reset(&lp->smm);
	lp_retire_recompute(lp);
	return 0;
}

static void lp_fini(struct lp *lp)
{
	if (lp->co_started) {
		/* The guest engine is suspended inside a run: let it finish first. */
		lp->co_terminate = true;
		coro_switch(&lp->co_root, &lp->co_guest);
	}
	free(lp->co_stack);
	free(lp->sched_stack);
	lp_switch(lp, &lp->root);
	engine_fini(lp, &lp->guest);
	guest_tlb_fini(lp);
	engine_fini(lp, &lp->root);
	if (lp->cs_handle)
		cs_close(&lp->cs_handle);
	if (lp->cs32)
		cs_close(&lp->cs32);
	if (lp->cs16)
		cs_close(&lp->cs16);
}

struct vtsim_machine *vtsim_machine_create(const struct vtsim_config *cfg, char *err, size_t errlen)
{
	if (cfg->ram_size < MIN_RAM || cfg->ram_size > MAX_RAM || (cfg->ram_size & ((2ull << 20) - 1))) {
		snprintf(err, errlen, "memory size %llu is not a multiple of 2 MiB between 8 MiB and 4 GiB",
			 (unsigned long long)cfg->ram_size);
		return NULL;
	}
	if (cfg->nr_cpus < 1 || cfg->nr_cpus > MAX_LPS) {
		snprintf(err, errlen, "number of CPUs %u is not between 1 and %u", cfg->nr_cpus, MAX_LPS);
		return NULL;
	}
	const struct cpu_model *model = cfg->cpu_model ? cpuid_model_find(cfg->cpu_model)
						       : cpuid_model_default();
	if (!model) {
		snprintf(err, errlen, "unknown CPU model '%s' (see vtsim cpus)", cfg->cpu_model);
		return NULL;
	}
	struct vtsim_machine *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->cfg = *cfg;
	m->console = cfg->console ? cfg->console : stdout;
	uart_reset(&m->com1);
	ioapic_reset(&m->ioapic);
	m->trace = cfg->trace ? cfg->trace : stderr;
	m->diag = cfg->diag ? cfg->diag : stderr;
	m->model = model;
	m->vmx_caps = vmcs_caps_for_cpu(m->model);
	m->pm.size = cfg->ram_size;
	m->pm.maxphyaddr = cpuid_maxphyaddr(m->model);
	/* Anonymous memory: untouched pages cost nothing. */
	void *ram = mmap(NULL, cfg->ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED) {
		snprintf(err, errlen, "cannot allocate %llu bytes of RAM", (unsigned long long)cfg->ram_size);
		free(m);
		return NULL;
	}
	m->pm.ram = ram;
	m->cov = coverage_installed();
	m->reserved_base = cfg->ram_size - BOOT_RESERVED_SIZE;
	m->nr_lps = cfg->nr_cpus;
	m->lps = calloc(m->nr_lps, sizeof(*m->lps));
	if (!m->lps) {
		snprintf(err, errlen, "out of memory");
		vtsim_machine_destroy(m);
		return NULL;
	}
	/* The platform first: the engines map RAM around the SEAM range and the
	 * KeyIDs' views of it. */
	if (cfg->tdx && seam_init(m, err, errlen)) {
		vtsim_machine_destroy(m);
		return NULL;
	}
	for (unsigned i = 0; i < m->nr_lps; i++) {
		if (lp_init(m, &m->lps[i], i, err, errlen)) {
			vtsim_machine_destroy(m);
			return NULL;
		}
	}
	m->lps[0].vmx.entry_mce_countdown = cfg->inject_entry_mce;
	m->lps[0].vmx.guest_mce_countdown = cfg->inject_guest_mce[0];
	if (cfg->gdb && !(m->dbg = gdbstub_open(m, cfg->gdb, err, errlen))) {
		vtsim_machine_destroy(m);
		return NULL;
	}
	for (unsigned i = 0; m->dbg && i < m->nr_lps; i++)
		lp_retire_recompute(&m->lps[i]);
	return m;
}

void vtsim_machine_destroy(struct vtsim_machine *m)
{
	if (!m)
		return;
	gdbstub_close(m->dbg);
	m->dbg = NULL;
	seam_fini(m);
	for (unsigned i = 0; m->lps && i < m->nr_lps; i++)
		lp_fini(&m->lps[i]);
	free(m->lps);
	if (m->pm.ram)
		munmap(m->pm.ram, m->pm.size);
	free(m);
}

int vtsim_inject_entry_mce(struct vtsim_machine *m, unsigned lp)
{
	if (lp >= m->nr_lps)
		return -1;
	m->lps[lp].vmx.entry_mce = true;
	return 0;
}

int vtsim_inject_guest_mce(struct vtsim_machine *m, unsigned lp)
{
	if (lp >= m->nr_lps)
		return -1;
	m->lps[lp].vmx.guest_mce = true;
	return 0;
}

unsigned vtsim_exit_check_failures(struct vtsim_machine *m, char *msg, size_t size)
{
	if (size)
		snprintf(msg, size, "%s", m->exit_check_msg);
	return m->exit_check_failures;
}

void vtsim_last_entry_failure(struct vtsim_machine *m, unsigned lp, struct vtsim_entry_failure *out)
{
	memset(out, 0, sizeof(*out));
	if (lp >= m->nr_lps || !m->lps[lp].vmx.last_entry_failed)
		return;
	const struct vmx_lp *v = &m->lps[lp].vmx;
	const struct entry_diag *d = &v->last_entry_diag;
	out->check = d->id;
	out->check_class = entry_class_name(d->cls);
	out->sdm_section = d->section;
	out->field = d->field ? vmcs_field_name(d->field) : NULL;
	out->field_encoding = d->field;
	out->value = d->value;
	out->rule = d->rule;
	bool vmfail = d->cls == ENTRY_CTL || d->cls == ENTRY_HOST;
	out->vm_instruction_error = vmfail ? (d->cls == ENTRY_CTL ? 7 : 8) : 0;
	out->exit_reason = vmfail ? 0 : (d->cls == ENTRY_GUEST ? 33u : 34u) | 0x80000000u;
	out->qualification = vmfail ? 0 : d->qualification;
}

uint8_t *vtsim_machine_ram(struct vtsim_machine *m, uint64_t *size)
{
	if (size)
		*size = m->pm.size;
	return m->pm.ram;
}

uint64_t vtsim_machine_reserved_base(const struct vtsim_machine *m)
{
	return m->reserved_base;
}

uint64_t vtsim_machine_ram_top(const struct vtsim_machine *m)
{
	return m->seam.enabled ? m->seam.seamrr_base : m->reserved_base;
}

int vtsim_machine_load(struct vtsim_machine *m, const uint8_t *image, size_t size,
		       const char *cmdline, const struct vtsim_module *mods, unsigned nmods,
		       char *err, size_t errlen)
{
	struct loader_image img;
	if (m->loaded) {
		snprintf(err, errlen, "an image is already loaded");
		return -1;
	}
	/* Software owns RAM up to the SEAM range (TDX) or the reserved area. */
	if (loader_load(image, size, m->pm.ram, vtsim_machine_ram_top(m), &img, err, errlen))
		return -1;
	boot_build_reserved(m);
	struct lp *bsp = &m->lps[0];
	if (img.kind == LOADER_ELF64) {
		boot_enter_elf64(bsp, img.entry);
	} else {
		struct loader_module lm[16];
		if (nmods > 16) {
			snprintf(err, errlen, "at most 16 modules (--initrd), %u given", nmods);
			return -1;
		}
		for (unsigned i = 0; i < nmods; i++)
			lm[i] = (struct loader_module){ mods[i].data, mods[i].size, mods[i].string };
		uint32_t mbi;
		if (loader_build_multiboot_info(m->pm.ram, m->pm.size, m->reserved_base, &img,
						cmdline ? cmdline : "", lm, nmods, &mbi, err, errlen))
			return -1;
		boot_enter_multiboot(bsp, (uint32_t)img.entry, mbi);
	}
	/* Firmware leaves IA32_FEATURE_CONTROL locked with VMX enabled on every
	 * processor, not only the one that boots. */
	for (unsigned i = 1; i < m->nr_lps; i++)
		m->lps[i].feature_control = bsp->feature_control;
	m->loaded = true;
	trace_event(m, VTSIM_TRACE_RUN, "run lp0 boot %s entry=0x%llx ram=0x%llx reserved_base=0x%llx cpus=%u",
		    img.kind == LOADER_ELF64 ? "elf64" : "multiboot", (unsigned long long)img.entry,
		    (unsigned long long)m->pm.size, (unsigned long long)m->reserved_base, m->nr_lps);
	return 0;
}

/* ---- the run loop ------------------------------------------------------------- */

static uint64_t total_insns(const struct vtsim_machine *m)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < m->nr_lps; i++)
		n += m->lps[i].insns;
	return n;
}

/* Did the instruction just before RIP halt the processor? The byte is read as code
 * is fetched: an execute-only page (EPT) still holds the HLT. */
static bool after_hlt(struct lp *lp, uint64_t rip)
{
	struct mmu_ctx c;
	struct mmu_fault f;
	struct seg cs;
	uint8_t b = 0;
	lp_mmu_ctx(lp, &c);
	cpustate_get_seg(&lp->cs, SEG_CS, &cs);
	bool lm = (c.efer & (1u << 10)) && (cs.attr & (1u << 13));
	uint64_t la = rip - 1 + (lm ? 0 : cs.base);
	return !mmu_fetch(&lp->m->pm, &c, la, &b, 1, MMU_SUPERVISOR | MMU_NO_AD, &f) && b == 0xf4;
}

/* Where the instruction at RIP is fetched from: 2 when its first two bytes both
 * come from physical addresses with no RAM behind them (the engine maps those as
 * the open bus and never executes from it: UC_ERR_FETCH_PROT), 1 when only part of
 * it does, 0 when none of its first 15 bytes does. */
static int fetch_from_open_bus(struct lp *lp, uint64_t rip)
{
	struct mmu_ctx c;
	struct mmu_fault f;
	struct seg cs;
	lp_mmu_ctx(lp, &c);
	cpustate_get_seg(&lp->cs, SEG_CS, &cs);
	bool lm = (c.efer & (1u << 10)) && (cs.attr & (1u << 13));
	uint64_t la = rip + (lm ? 0 : cs.base);
	static const unsigned at[] = { 0, 1, 14 };  /* first, second, last possible byte */
	int open = 0;
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		uint64_t pa;
		if (!mmu_translate(&lp->m->pm, &c, la + at[i], MMU_FETCH, MMU_NO_AD, &pa, &f) &&
		    !phys_is_ram(&lp->m->pm, pa, 1))
			open |= 1 << i;
	}
	return (open & 3) == 3 ? 2 : open ? 1 : 0;
}

/* The guest is in the HLT or shutdown activity state (a HLT, or VM entry in that
 * state): true when an event wakes it now (lp_boundary takes it: an interrupt or
 * INIT exit saves the state, an interrupt delivered in the guest ends it); else
 * the preemption timer, which counts on in both states (SDM "VMX-Preemption
 * Timer"), exits at its deadline; else another LP may wake it; else nothing
 * ever will. With several LPs an event from another LP would have to come before
 * the timer's deadline: not modelled, the sleep lasts until the deadline. */
static bool guest_waits(struct vtsim_machine *m, struct lp *lp)
{
	uint64_t rip = cpu_reg(lp->uc, UC_X86_REG_RIP);
	bool ifl = (cpu_reg(lp->uc, UC_X86_REG_EFLAGS) >> 9) & 1;
	/* A recognized virtual interrupt wakes the HLT state as an external interrupt
	 * would, and is delivered before one (SDM "Virtual-Interrupt Delivery"); an NMI
	 * comes first. */
	if (lp->vmx.guest_activity == 1 && !lp->nmi.pending && ifl &&
	    !cpustate_interrupt_shadow(&lp->cs) && apicv_virq(lp)) {
		lp->vmx.guest_activity = 0;
		apicv_deliver(lp, rip);
		return true;
	}
	if (intr_ready(lp))
		return true;
	/* The host's APIC timer, if it fires before the preemption timer (which has
	 * priority over external interrupts when both are due). */
	if (lapic_timer_sleep(lp, lp->vmx.timer_active ? lp->vmx.timer_deadline : ~0ull))
		return true;
	if (lp->vmx.timer_active) {
		vmx_timer_expire(lp, rip, lp->vmx.guest_activity == 1);
		return true;
	}
	if (m->nr_lps > 1)
		return smp_halt(lp, rip, ifl);
	machine_stop(m, lp, VTSIM_STOP_HALT, 0, lp->vmx.guest_activity == 2
		     ? "the guest is in the shutdown activity state at RIP=0x%llx and nothing can wake it "
		       "(only an INIT, NMI or SMI would)"
		     : "the guest halted at RIP=0x%llx and no interrupt can wake it (\"HLT exiting\" is clear)",
		     (unsigned long long)rip);
	return false;
}

/* Another stop at `rip` with nothing retired since the last one: true after 1000 in
 * a row, a loop the run would never leave (a new RIP is progress even where nothing
 * is counted). */
static bool stalled(struct lp *lp, uint64_t rip)
{
	if (rip != lp->spurious_rip) {
		lp->spurious_rip = rip;
		lp->spurious_stops = 0;
	}
	return ++lp->spurious_stops >= 1000;
}

/* The engine stopped by itself: HLT, or an error it could not report otherwise.
 * Returns true when the run simply goes on. */
static bool engine_stopped(struct vtsim_machine *m, struct lp *lp, uc_err e, bool halted)
{
	uint64_t rip = cpu_reg(lp->uc, UC_X86_REG_RIP);
	if (lp->co_terminate)
		return false;       /* the guest coroutine is winding down: nothing to run */
	if (e == UC_ERR_OK && !halted) {
		/* Unicorn 2.1 sometimes ends a run without a reason when code writes to
		 * its own page and the next instruction faults (it drops the exception).
		 * Nothing has happened at RIP yet: run again from there. */
		if (!stalled(lp, rip)) {
			uc_ctl_flush_tb(lp->uc);
			return true;
		}
		machine_stop(m, lp, VTSIM_STOP_INTERNAL, 70,
			     "the software CPU keeps stopping at RIP=0x%llx without a reason",
			     (unsigned long long)rip);
		return false;
	}
	bool ifl = e == UC_ERR_OK && ((cpu_reg(lp->uc, UC_X86_REG_EFLAGS) >> 9) & 1);
	if (e == UC_ERR_OK && lp->vmx.non_root) {
		/* HLT in the guest: a VM exit if "HLT exiting" is set; otherwise the guest
		 * is in the HLT activity state until something wakes it. */
		if (vmcs_read_enc(&lp->vmx.vmcs, CPU_BASED_VM_EXEC_CONTROL) & CPU_BASED_HLT_EXITING) {
			struct vmx_exit_info xi = { .insn_len = 1, .rip = rip - 1 };
			vmx_exit(lp, EXIT_REASON_HLT, &xi);
			return true;
		}
		lp->vmx.guest_activity = 1;
		return guest_waits(m, lp);
	}
	if (e == UC_ERR_OK) {
		/* An interrupt the processor accepts now wakes it at once (an NMI
		 * whatever RFLAGS.IF says). */
		if ((ifl || lp->nmi.pending) && intr_ready(lp))
			return true;
		/* The APIC timer wakes it at its deadline if its interrupt is taken. */
		if (ifl && lapic_timer_sleep(lp, ~0ull) && intr_ready(lp))
			return true;
		if (m->nr_lps > 1)
			return smp_halt(lp, rip, ifl);
		/* Nothing else will raise an interrupt on this machine, so HLT with IF=1
		 * would wait forever: end the run the same way, saying so. */
		machine_stop(m, lp, VTSIM_STOP_HALT, 0, "halted at RIP=0x%llx%s", (unsigned long long)rip,
			     ifl ? " with interrupts enabled (no interrupt source will raise one)" : "");
		return false;
	}
	int open_bus = e == UC_ERR_FETCH_PROT ? fetch_from_open_bus(lp, rip) : 0;
	if (open_bus == 2) {
		/* The open bus reads as all ones: FF FF is FF /7, an undefined opcode
		 * (docs/machine.md, "Devices"). */
		exc_fault(lp, VEC_UD, 0);
		return !m->stopped;
	}
	if (open_bus == 1) {
		machine_stop(m, lp, VTSIM_STOP_INTERNAL, 70, "the instruction at RIP=0x%llx is fetched "
			     "partly from RAM and partly from the open bus (not modelled)",
			     (unsigned long long)rip);
		return false;
	}
	machine_stop(m, lp, VTSIM_STOP_INTERNAL, 70, "the software CPU stopped at RIP=0x%llx: %s",
		     (unsigned long long)rip, uc_strerror(e));
	return false;
}

/* Before the engine starts: the quantum's end, then the events the APIC holds. True
 * when the run goes on from here; *retake when the LP's state changed (an event
 * was taken) and the loop must start again. */
static bool lp_boundary(struct lp *lp, bool *retake)
{
	struct vtsim_machine *m = lp->m;
	*retake = false;
	if (lp->yield_due) {
		lp->yield_due = false;
		smp_yield(lp);
		if (m->stopped)
			return false;
	}
	lp->stop_due = false;
	if (lp->stop_at_block) {
		lp->stop_at_block = false;
		lp_retire_recompute(lp);
	}
	nmi_watch_apply(lp);
	if (smp_guest_wait_for_sipi(lp)) {
		*retake = true;
		return !m->stopped;
	}
	if (intr_pending(lp)) {
		if (intr_take(lp)) {
			*retake = true;
			return !m->stopped;
		}
	}
	intr_watch_arm(lp);
	return true;
}

/* Drops the engine's translations of [lo, hi), stopped: a scan hooked sites there.
 * Dropping them probes the pages through the engine's MMU, which would write CR2
 * if a page is no longer mapped. */
static void drop_translations(struct lp *lp, uint64_t lo, uint64_t hi)
{
	uint64_t cr2 = cpu_reg(lp->uc, UC_X86_REG_CR2);
	if (lo < hi)
		uc_ctl_remove_cache(lp->uc, lo, hi);
	if (cpu_reg(lp->uc, UC_X86_REG_CR2) != cr2)
		cpustate_set_cr2(&lp->cs, cr2);
}

bool lp_run_once(struct lp *lp)
{
	struct vtsim_machine *m = lp->m;
	if (m->dbg) {
		gdbstub_before_run(m->dbg, lp);
		if (m->stopped)
			return false;
	}
	bool retake;
	if (!lp_boundary(lp, &retake))
		return false;
	if (retake)
		return true;
	if (lp->vmx.non_root && lp->vmx.guest_activity)
		return guest_waits(m, lp);
	if (lp->co_flush_tb && lp->active == &lp->guest) {
		lp->co_flush_tb = false;
		snapshot_sync_guest_code(lp);
	}
	if (lp->active->count_due) {
		lp->active->count_due = false;
		if (sites_count_blocks(lp)) {
			machine_stop(m, lp, VTSIM_STOP_INTERNAL, 70, "cannot install the instruction counter");
			return false;
		}
		uc_ctl_flush_tb(lp->uc);
	}
	if (lp->active == &lp->guest)
		vmx_events_apply(lp);
	bp_apply(lp);
	sites_prime(lp);
	uint64_t lo, hi;
	if (sites_take_hooked(lp->sites, &lo, &hi))
		drop_translations(lp, lo, hi);
	uint64_t rip = cpu_reg(lp->uc, UC_X86_REG_RIP);
	uint64_t before = lp->insns;
	/* No event is in delivery when a run starts (an engine call outside a run
	 * that probes an unmapped page would leave one recorded). */
	cpustate_exception_done(&lp->cs);
	lp->gtlb.pending = false;
	lp->hlt_next_rip = ~0ull;
	lp->dr6_known = cpu_reg(lp->uc, UC_X86_REG_DR6);
	lp->active->runs++;
	struct engine *en = lp->active;
	en->block_stop_rip = ~0ull;
	lp->co_entry_restart = false;
	en->in_loop = true;
	uc_err e = uc_emu_start(lp->uc, rip, ~0ull, 0, 0);
	en->in_loop = false;
	lp->block_insns = 0;
	mmio_resume(lp, en->uc);
	if (lp->co_entry_restart) {
		/* A forced restart resumed this run inside the last guest's block: what the
		 * engine did since (the block's rest, a stop at the next block's start)
		 * belongs to that code, and the guest starts where the entry put it. */
		lp->co_entry_restart = false;
		lp->co_restart = false;
		lp->mmio_stops.replay.valid = false;
		cpu_set_reg(lp->guest.uc, UC_X86_REG_RIP, lp->co_entry_rip);
		return !m->stopped;
	}
	if (en->block_stop_rip != ~0ull)
		cpu_set_reg(en->uc, UC_X86_REG_RIP, en->block_stop_rip);
	if (m->stopped)
		return false;
	if (lp->vmx.non_root && guest_tlb_take_fault(lp, e))
		return true;
	if (lp->insns != before)
		lp->spurious_stops = 0;
	if (lp->co_restart) {
		lp->co_restart = false;
		return true;
	}
	if (sites_take_retranslate(lp, &lo, &hi)) {
		if (lp->insns == before && stalled(lp, rip)) {
			/* Each retranslation adds a site; one RIP adding sites forever means
			 * the site table lost them (a bug): say so rather than hang. */
			machine_stop(m, lp, VTSIM_STOP_INTERNAL, 70,
				     "the software CPU keeps retranslating the block at RIP=0x%llx "
				     "without running it", (unsigned long long)rip);
			return false;
		}
		drop_translations(lp, lo, hi);
		return true;
	}
	if (m->dbg && gdbstub_take_rerun(m->dbg))
		return true;     /* stopped for the debugger: it is served next time round */
	/* A HLT the site hook saw is one; otherwise the byte before RIP says, unless
	 * the run was stopped on purpose (quantum, an event): then it is no HLT. */
	uint64_t now = cpu_reg(lp->uc, UC_X86_REG_RIP);
	bool requested = lp->stop_due || lp->yield_due || lp->active->count_due;
	bool halted = e == UC_ERR_OK && (lp->hlt_next_rip == now || (!requested && after_hlt(lp, now)));
	if (requested && !halted)
		return true;
	return engine_stopped(m, lp, e, halted);
}

/* The guest coroutine: runs the guest engine until the machine stops or goes away.
 * VM exits leave it from inside (lp_leave_guest) and VM entries come back there. */
static void guest_main(void *arg)
{
	struct lp *lp = arg;
	while (!lp->m->stopped && !lp->co_terminate && lp_run_once(lp))
		;
	lp->co_started = false;
	lp->on_guest_stack = false;
	lp_switch(lp, &lp->root);
	/* Back to whoever entered last, for good: a new entry starts afresh. */
	coro_switch(&lp->co_guest, &lp->co_root);
}

void lp_enter_guest(struct lp *lp)
{
	if (!lp->co_started) {
		const size_t size = 1u << 20;
		if (!lp->co_stack && !(lp->co_stack = malloc(size))) {
			machine_stop(lp->m, lp, VTSIM_STOP_INTERNAL, 70, "out of memory for the guest's stack");
			return;
		}
		coro_init(&lp->co_guest, lp->co_stack, size, guest_main, lp);
		lp->co_started = true;
	}
	lp->on_guest_stack = true;
	coro_switch(&lp->co_root, &lp->co_guest);
	lp->on_guest_stack = false;
}

void lp_leave_guest(struct lp *lp, bool restart)
{
	uc_engine *guest = lp->guest.uc;
	if (!lp->on_guest_stack)
		return;   /* the exit came during VM entry itself (event injection) */
	lp->on_guest_stack = false;
	coro_switch(&lp->co_guest, &lp->co_root);
	lp->on_guest_stack = true;
	/* Back at the next VM entry (or to finish). The exit happened inside an engine
	 * callback; a helper-based one would go on with the rest of its block, so make
	 * the engine start again from the RIP the entry loaded. */
	if (lp->co_force_restart) {
		lp->co_force_restart = false;
		restart = true;
		lp->co_entry_restart = true;
		lp->co_entry_rip = cpu_reg(guest, UC_X86_REG_RIP);
	}
	if (restart || lp->co_terminate || lp->m->stopped) {
		lp->co_restart = restart;
		uc_emu_stop(guest);
	}
}

void vtsim_machine_run(struct vtsim_machine *m, struct vtsim_result *res)
{
	clock_gettime(CLOCK_MONOTONIC, &m->start);
	if (!m->loaded)
		machine_stop(m, NULL, VTSIM_STOP_INTERNAL, 70, "no image loaded");
	struct lp *lp = &m->lps[0];
	if (m->dbg && !m->stopped)
		gdbstub_attach(m->dbg);
	if (m->nr_lps > 1) {
		smp_run(m);
	} else {
		m->running = lp;
		while (!m->stopped && lp_run_once(lp))
			;
		m->running = NULL;
	}
	fflush(m->console);
	m->result.insns = total_insns(m);
	const char *what = m->result.reason == VTSIM_STOP_DEBUG_EXIT ? NULL : m->stop_msg;
	trace_event(m, VTSIM_TRACE_RUN, "run lp0 end status=%d rip=0x%llx insns=%llu: %s",
		    m->result.exit_status, (unsigned long long)m->result.rip,
		    (unsigned long long)m->result.insns, m->stop_msg);
	if (what && *what) {
		if (m->result.reason == VTSIM_STOP_LIMIT)
			fprintf(m->diag, "vtsim: %s at RIP=0x%llx\n", what, (unsigned long long)m->result.rip);
		else
			fprintf(m->diag, "vtsim: %s\n", what);
	}
	if (m->dbg)
		gdbstub_on_end(m->dbg, m->result.exit_status, m->stop_msg);
	*res = m->result;
}
