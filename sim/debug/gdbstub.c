/* The GDB remote stub: see gdbstub.h. */
#include "sim/debug/gdbstub.h"

#include <stdlib.h>
#include <string.h>

#include "sim/cpu/machine.h"
#include "sim/debug/gdb_regs.h"
#include "sim/debug/rsp.h"
#include "sim/vmcs/exit_reasons.h"

#define MAX_BREAKPOINTS 64
#define MAX_WATCHPOINTS 4             /* as many as DR0-DR3 */
/* The widest access an instruction makes (AVX-512): a watch hook starts this much
 * below its range, so that an access that begins below it and overlaps is seen. */
#define MAX_ACCESS 64
#define SIGINT_GDB 2
#define SIGTRAP_GDB 5

/* The debug hooks installed in one engine of one LP, and the breakpoint generation
 * they reflect; the hooks' user data, so a stop knows its LP. */
struct engine_hooks {
	struct gdbstub *g;
	struct lp *lp;
	unsigned gen;
	bool stepping;
	uc_hook bp[MAX_BREAKPOINTS];
	unsigned nbp;
	uc_hook step;
	bool step_hooked;
	uc_hook wp[MAX_WATCHPOINTS];
	unsigned nwp;
	uc_hook after_access;         /* every instruction, while watchpoints exist */
	bool after_access_hooked;
};

/* gdb's Z2/Z3/Z4: a write, read or access watchpoint on LEN bytes at a linear
 * address, seen by the engine's memory hooks. Writes the simulator makes itself
 * (VMCS regions, the module's pages) are not instructions and are not seen. */
enum { WATCH_WRITE = 2, WATCH_READ = 3, WATCH_ACCESS = 4 };
struct watchpoint {
	uint64_t addr, len;
	uint8_t type;
};

struct breakpoint {
	uint64_t addr;
	uint8_t type;                 /* 0 software, 1 hardware: both are code hooks */
};

struct gdbstub {
	struct vtsim_machine *m;
	struct rsp rsp;
	bool attached;

	struct breakpoint bp[MAX_BREAKPOINTS];
	unsigned nbp;
	struct watchpoint wp[MAX_WATCHPOINTS];
	unsigned nwp;
	const struct watchpoint *hit; /* the watchpoint the last instruction triggered */
	unsigned gen;                 /* moves on when breakpoints or memory change */
	struct lp_hooks { struct engine_hooks root, guest; } *lph;   /* per LP */

	/* gdb's threads are the LPs, thread id = LP number + 1. */
	unsigned cur;                 /* the LP that stopped the machine */
	int sel;                      /* the LP `Hg` chose for registers and memory, -1: cur */
	unsigned step_lp;             /* the LP a step is for */

	/* The machine is stopped for the debugger (or will be at the next loop turn). */
	bool stop_pending;
	bool rerun;                   /* the stub stopped an engine */
	bool announce;                /* tell gdb about the stop (not for the first one) */
	int sig;
	char msg[512];                /* the console message that goes with the stop */

	/* Resuming: where from, and what to do there. */
	bool stepping, step_started;
	bool skip_once;               /* the breakpoint at resume_rip does not stop at once */
	uint64_t resume_rip;          /* where the stopped LP goes on */
	uint64_t step_rip;            /* where the stepped LP goes on */

	bool vmexit_bp, entryfail_bp;
	bool killed;
	char pkt[RSP_MAX_PACKET];
	char out[RSP_MAX_PACKET];
};

/* ---- hex ------------------------------------------------------------------ */

static const char hexd[] = "0123456789abcdef";

static void to_hex(char *out, const uint8_t *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexd[in[i] >> 4];
		out[2 * i + 1] = hexd[in[i] & 15];
	}
	out[2 * n] = 0;
}

static int nibble(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes up to n bytes of hex; how many were decoded. */
static size_t from_hex(uint8_t *out, const char *in, size_t n)
{
	size_t i = 0;
	for (; i < n; i++) {
		int h = nibble(in[2 * i]), l = h < 0 ? -1 : nibble(in[2 * i + 1]);
		if (l < 0)
			break;
		out[i] = (uint8_t)(h << 4 | l);
	}
	return i;
}

/* A hex number at *s, which moves past it. */
static bool parse_hex(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;
	int d;
	while ((d = nibble(*p)) >= 0) {
		x = x << 4 | (uint64_t)d;
		p++;
	}
	if (p == *s)
		return false;
	*s = p;
	*v = x;
	return true;
}

static void send_console(struct gdbstub *g, const char *text)
{
	size_t n = strlen(text);
	if (n > (RSP_MAX_PACKET - 2) / 2)
		n = (RSP_MAX_PACKET - 2) / 2;
	g->out[0] = 'O';
	to_hex(g->out + 1, (const uint8_t *)text, n);
	rsp_send_str(&g->rsp, g->out);
}

/* ---- stopping ---------------------------------------------------------------- */

static void request_stop(struct gdbstub *g, struct lp *lp, uc_engine *uc, int sig)
{
	g->cur = lp->id;
	g->stop_pending = true;
	g->announce = true;
	g->sig = sig;
	g->rerun = true;
	uc_emu_stop(uc);
}

static void on_breakpoint(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	struct engine_hooks *h = user;
	struct gdbstub *g = h->g;
	if (g->skip_once && address == g->resume_rip && h->lp->id == g->cur) {
		g->skip_once = false;
		return;
	}
	if (h->lp->id == g->cur)
		g->skip_once = false;
	if (!g->stop_pending)
		request_stop(g, h->lp, uc, SIGTRAP_GDB);
}

/* Every instruction while a step is under way: the first is the one stepped (it
 * runs), the next one stops. */
static void on_step(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	struct engine_hooks *h = user;
	struct gdbstub *g = h->g;
	if (!g->stepping || g->stop_pending)
		return;
	if (!g->step_started) {
		g->step_started = true;
		if (address == g->step_rip)
			return;
	}
	request_stop(g, h->lp, uc, SIGTRAP_GDB);
}

/* A memory access by the running instruction: note the watchpoint it overlaps;
 * the instruction completes and the stop comes before the next one (after_access),
 * as with a hardware data breakpoint, which is a trap. */
static void on_watch(uc_engine *uc, uc_mem_type type, uint64_t address, int size, int64_t value,
		     void *user)
{
	struct engine_hooks *h = user;
	struct gdbstub *g = h->g;
	bool write = type == UC_MEM_WRITE;
	if (g->hit || g->stop_pending)
		return;
	for (unsigned i = 0; i < g->nwp; i++) {
		const struct watchpoint *w = &g->wp[i];
		bool kind_ok = w->type == WATCH_ACCESS || (w->type == WATCH_WRITE) == write;
		if (kind_ok && address < w->addr + w->len && w->addr < address + (uint64_t)size) {
			g->hit = w;
			return;
		}
	}
}

static void after_access(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	struct engine_hooks *h = user;
	struct gdbstub *g = h->g;
	if (g->hit && !g->stop_pending)
		request_stop(g, h->lp, uc, SIGTRAP_GDB);
}

static void add_watch_hooks(struct gdbstub *g, struct engine_hooks *h, uc_engine *uc)
{
	for (unsigned i = 0; i < g->nwp; i++) {
		const struct watchpoint *w = &g->wp[i];
		int types = w->type == WATCH_WRITE ? UC_HOOK_MEM_WRITE
			  : w->type == WATCH_READ  ? UC_HOOK_MEM_READ
						   : UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE;
		uint64_t begin = w->addr > MAX_ACCESS ? w->addr - MAX_ACCESS : 0;
		if (uc_hook_add(uc, &h->wp[h->nwp], types, (void *)on_watch, h, begin,
				w->addr + w->len - 1) == UC_ERR_OK)
			h->nwp++;
	}
	if (g->nwp)
		h->after_access_hooked = uc_hook_add(uc, &h->after_access, UC_HOOK_CODE,
						     (void *)after_access, h, 1, 0) == UC_ERR_OK;
}

static struct engine_hooks *hooks_of(struct gdbstub *g, struct lp *lp, struct engine *e)
{
	struct lp_hooks *l = &g->lph[lp->id];
	return e == &lp->guest ? &l->guest : &l->root;
}

/* Whether this LP's engines carry the step hook: only the LP being stepped's. */
static bool stepping_on(const struct gdbstub *g, const struct lp *lp)
{
	return g->stepping && lp->id == g->step_lp;
}

/* Rebuilds the active engine's debug hooks when breakpoints, memory or stepping
 * changed since it last ran. The engine is stopped: its translations may go. */
static void sync_hooks(struct gdbstub *g, struct lp *lp)
{
	struct engine *e = lp->active;
	struct engine_hooks *h = hooks_of(g, lp, e);
	bool stepping = stepping_on(g, lp);
	if (h->gen == g->gen && h->stepping == stepping)
		return;
	for (unsigned i = 0; i < h->nbp; i++)
		uc_hook_del(e->uc, h->bp[i]);
	h->nbp = 0;
	if (h->step_hooked)
		uc_hook_del(e->uc, h->step);
	h->step_hooked = false;
	for (unsigned i = 0; i < h->nwp; i++)
		uc_hook_del(e->uc, h->wp[i]);
	h->nwp = 0;
	if (h->after_access_hooked)
		uc_hook_del(e->uc, h->after_access);
	h->after_access_hooked = false;
	/* The engine calls an address's hooks in the order they were added: the sites'
	 * hooks (instructions the simulator executes) go and come back after ours, so
	 * that a breakpoint on one stops before it runs. */
	sites_forget(&e->sites, e->uc);
	for (unsigned i = 0; i < g->nbp; i++) {
		bool dup = false;
		for (unsigned j = 0; j < i; j++)
			dup |= g->bp[j].addr == g->bp[i].addr;
		if (!dup && uc_hook_add(e->uc, &h->bp[h->nbp], UC_HOOK_CODE, (void *)on_breakpoint, h,
					g->bp[i].addr, g->bp[i].addr) == UC_ERR_OK)
			h->nbp++;
	}
	if (stepping)
		h->step_hooked = uc_hook_add(e->uc, &h->step, UC_HOOK_CODE, (void *)on_step, h, 1, 0) == UC_ERR_OK;
	add_watch_hooks(g, h, e->uc);
	uc_ctl_flush_tb(e->uc);
	h->gen = g->gen;
	h->stepping = stepping;
}

/* ---- memory -------------------------------------------------------------------- */

/* A linear address of the current mode to physical: read rights first, then fetch
 * (execute-only EPT pages hold code gdb wants to see). */
static bool linear_to_phys(struct lp *lp, uint64_t la, uint64_t *pa)
{
	struct mmu_ctx c;
	struct mmu_fault f;
	lp_mmu_ctx(lp, &c);
	return !mmu_translate(&lp->m->pm, &c, la, MMU_READ, MMU_SUPERVISOR | MMU_NO_AD, pa, &f) ||
	       !mmu_translate(&lp->m->pm, &c, la, MMU_FETCH, MMU_SUPERVISOR | MMU_NO_AD, pa, &f);
}

/* Copies between the debugger and linear memory, page by page, up to the first
 * address that does not translate; how many bytes were copied. */
static size_t access_linear(struct lp *lp, uint64_t la, uint8_t *buf, size_t n, bool write)
{
	size_t done = 0;
	while (done < n) {
		uint64_t pa;
		size_t chunk = 4096 - ((la + done) & 0xfff);
		if (chunk > n - done)
			chunk = n - done;
		if (!linear_to_phys(lp, la + done, &pa))
			break;
		if (write)
			phys_write(&lp->m->pm, pa, buf + done, chunk);
		else
			phys_read(&lp->m->pm, pa, buf + done, chunk);
		done += chunk;
	}
	return done;
}

/* ---- packets ------------------------------------------------------------------- */

enum action { STAY, RESUME, LEAVE };

static enum action reply(struct gdbstub *g, const char *s)
{
	rsp_send_str(&g->rsp, s);
	return STAY;
}

static enum action stop_reply(struct gdbstub *g)
{
	static const char *const kind[] = { [WATCH_WRITE] = "watch", [WATCH_READ] = "rwatch",
					    [WATCH_ACCESS] = "awatch" };
	char r[64];
	if (g->hit)
		snprintf(r, sizeof(r), "T%02x%s:%llx;thread:%x;", g->sig, kind[g->hit->type],
			 (unsigned long long)g->hit->addr, g->cur + 1);
	else
		snprintf(r, sizeof(r), "T%02xthread:%x;", g->sig, g->cur + 1);
	return reply(g, r);
}

static enum action pk_query_supported(struct gdbstub *g, struct lp *lp, const char *a)
{
	char r[128];
	snprintf(r, sizeof(r), "PacketSize=%x;qXfer:features:read+;vContSupported+", RSP_MAX_PACKET - 16);
	return reply(g, r);
}

/* qXfer:features:read:target.xml:OFFSET,LENGTH */
static enum action pk_features(struct gdbstub *g, struct lp *lp, const char *a)
{
	static const char annex[] = "target.xml:";
	uint64_t off, len;
	if (strncmp(a, annex, sizeof(annex) - 1))
		return reply(g, "E00");
	a += sizeof(annex) - 1;
	if (!parse_hex(&a, &off) || *a++ != ',' || !parse_hex(&a, &len))
		return reply(g, "E01");
	char xml[GDB_TARGET_XML_MAX];
	size_t n = gdb_target_xml(xml, sizeof(xml));
	if (off >= n)
		return reply(g, "l");
	if (len > RSP_MAX_PACKET - 16)
		len = RSP_MAX_PACKET - 16;
	size_t k = n - off < len ? n - off : len;
	g->out[0] = off + k < n ? 'm' : 'l';
	memcpy(g->out + 1, xml + off, k);
	rsp_send(&g->rsp, g->out, k + 1);
	return STAY;
}

static enum action pk_read_regs(struct gdbstub *g, struct lp *lp, const char *a)
{
	char *o = g->out;
	for (unsigned i = 0; i < gdb_reg_count(); i++) {
		uint8_t b[GDB_REG_MAX_BYTES];
		gdb_reg_read(lp->uc, i, b);
		to_hex(o, b, gdb_reg_size(i));
		o += 2 * gdb_reg_size(i);
	}
	return reply(g, g->out);
}

static enum action pk_write_regs(struct gdbstub *g, struct lp *lp, const char *a)
{
	for (unsigned i = 0; i < gdb_reg_count(); i++) {
		uint8_t b[GDB_REG_MAX_BYTES], cur[GDB_REG_MAX_BYTES];
		unsigned n = gdb_reg_size(i);
		if (from_hex(b, a, n) != n)
			break;
		a += 2 * n;
		/* The registers gdb may not change come back as they were: ignore those. */
		gdb_reg_read(lp->uc, i, cur);
		if (memcmp(b, cur, n))
			gdb_reg_write(lp->uc, i, b);
	}
	return reply(g, "OK");
}

static enum action pk_read_reg(struct gdbstub *g, struct lp *lp, const char *a)
{
	uint64_t n;
	if (!parse_hex(&a, &n) || n >= gdb_reg_count())
		return reply(g, "E00");
	uint8_t b[GDB_REG_MAX_BYTES];
	gdb_reg_read(lp->uc, (unsigned)n, b);
	to_hex(g->out, b, gdb_reg_size((unsigned)n));
	return reply(g, g->out);
}

static enum action pk_write_reg(struct gdbstub *g, struct lp *lp, const char *a)
{
	uint64_t n;
	uint8_t b[GDB_REG_MAX_BYTES];
	if (!parse_hex(&a, &n) || *a++ != '=' || n >= gdb_reg_count() ||
	    from_hex(b, a, gdb_reg_size((unsigned)n)) != gdb_reg_size((unsigned)n))
		return reply(g, "E00");
	return reply(g, gdb_reg_write(lp->uc, (unsigned)n, b) ? "OK" : "E01");
}

static enum action pk_read_mem(struct gdbstub *g, struct lp *lp, const char *a)
{
	uint64_t la, len;
	if (!parse_hex(&a, &la) || *a++ != ',' || !parse_hex(&a, &len))
		return reply(g, "E01");
	uint8_t buf[(RSP_MAX_PACKET - 16) / 2];
	if (len > sizeof(buf))
		len = sizeof(buf);
	size_t got = access_linear(lp, la, buf, len, false);
	if (!got && len)
		return reply(g, "E14");        /* EFAULT: nothing mapped there */
	to_hex(g->out, buf, got);
	return reply(g, g->out);
}

static enum action pk_write_mem(struct gdbstub *g, struct lp *lp, const char *a)
{
	uint64_t la, len;
	uint8_t buf[(RSP_MAX_PACKET - 16) / 2];
	if (!parse_hex(&a, &la) || *a++ != ',' || !parse_hex(&a, &len) || *a++ != ':' ||
	    len > sizeof(buf) || from_hex(buf, a, len) != len)
		return reply(g, "E01");
	if (access_linear(lp, la, buf, len, true) != len)
		return reply(g, "E14");
	g->gen++;        /* code may have changed: the engines translate again */
	return reply(g, "OK");
}

/* Z0/Z1 (insert) and z0/z1 (remove) ADDR,KIND: both kinds are code hooks. */
static enum action watchpoint_packet(struct gdbstub *g, uint8_t type, uint64_t addr, uint64_t len,
				     bool insert)
{
	for (unsigned i = 0; i < g->nwp; i++) {
		struct watchpoint *w = &g->wp[i];
		if (w->addr != addr || w->len != len || w->type != type)
			continue;
		if (!insert) {
			*w = g->wp[--g->nwp];
			g->hit = NULL;
			g->gen++;
		}
		return reply(g, "OK");
	}
	if (!insert)
		return reply(g, "OK");
	if (g->nwp == MAX_WATCHPOINTS)
		return reply(g, "E28");         /* ENOSPC: gdb falls back to stepping */
	g->wp[g->nwp++] = (struct watchpoint){ addr, len, type };
	g->gen++;
	return reply(g, "OK");
}

static enum action breakpoint_packet(struct gdbstub *g, const char *a, bool insert)
{
	uint64_t type, addr, len;
	if (!parse_hex(&a, &type) || *a++ != ',' || !parse_hex(&a, &addr))
		return reply(g, "E01");
	if (type >= WATCH_WRITE && type <= WATCH_ACCESS) {
		if (*a++ != ',' || !parse_hex(&a, &len) || !len || addr + len - 1 < addr)
			return reply(g, "E01");
		return watchpoint_packet(g, (uint8_t)type, addr, len, insert);
	}
	if (type > 1)
		return reply(g, "");           /* unknown kind */
	for (unsigned i = 0; i < g->nbp; i++) {
		if (g->bp[i].addr != addr || g->bp[i].type != type)
			continue;
		if (!insert) {
			g->bp[i] = g->bp[--g->nbp];
			g->gen++;
		}
		return reply(g, "OK");
	}
	if (!insert)
		return reply(g, "OK");
	if (g->nbp == MAX_BREAKPOINTS)
		return reply(g, "E28");         /* ENOSPC */
	g->bp[g->nbp++] = (struct breakpoint){ addr, (uint8_t)type };
	g->gen++;
	return reply(g, "OK");
}

static enum action pk_insert_bp(struct gdbstub *g, struct lp *lp, const char *a)
{
	return breakpoint_packet(g, a, true);
}

static enum action pk_remove_bp(struct gdbstub *g, struct lp *lp, const char *a)
{
	return breakpoint_packet(g, a, false);
}

static bool breakpoint_at(const struct gdbstub *g, uint64_t addr)
{
	for (unsigned i = 0; i < g->nbp; i++)
		if (g->bp[i].addr == addr)
			return true;
	return false;
}

/* c/s [ADDR]: resume, optionally from ADDR, stepping one instruction of `lp` or
 * not. The LP that stopped goes on first; a breakpoint where it stands does not
 * stop it again at once. */
static enum action resume(struct gdbstub *g, struct lp *lp, const char *a, bool step)
{
	uint64_t addr;
	struct lp *cur = &g->m->lps[g->cur];
	if (parse_hex(&a, &addr))
		cpu_set_reg(lp->uc, UC_X86_REG_RIP, addr);
	g->resume_rip = cpu_reg(cur->uc, UC_X86_REG_RIP);
	g->skip_once = breakpoint_at(g, g->resume_rip);
	g->stepping = step;
	g->step_lp = lp->id;
	g->step_rip = cpu_reg(lp->uc, UC_X86_REG_RIP);
	g->step_started = false;
	g->hit = NULL;
	g->sel = -1;
	return RESUME;
}

static enum action pk_continue(struct gdbstub *g, struct lp *lp, const char *a)
{
	return resume(g, lp, a, false);
}

static enum action pk_step(struct gdbstub *g, struct lp *lp, const char *a)
{
	return resume(g, lp, a, true);
}

/* C/S SIG[;ADDR]: the signal means nothing to a machine. */
static enum action pk_continue_sig(struct gdbstub *g, struct lp *lp, const char *a)
{
	const char *semi = strchr(a, ';');
	return resume(g, lp, semi ? semi + 1 : "", false);
}

static enum action pk_step_sig(struct gdbstub *g, struct lp *lp, const char *a)
{
	const char *semi = strchr(a, ';');
	return resume(g, lp, semi ? semi + 1 : "", true);
}

/* A thread id of gdb's: the LP, NULL for one that does not exist; "0" (any) and
 * "-1" (all) are `dflt`. */
static struct lp *thread_lp(struct gdbstub *g, const char *a, struct lp *dflt)
{
	uint64_t tid;
	if (!strcmp(a, "-1") || !strcmp(a, "0") || !*a)
		return dflt;
	if (!parse_hex(&a, &tid) || *a || tid < 1 || tid > g->m->nr_lps)
		return NULL;
	return &g->m->lps[tid - 1];
}

/* vCont;ACTION[:THREAD][;...]: all-stop, so every LP runs; a step (s/S) is for its
 * thread (or the current one), and it decides if present. */
static enum action pk_vcont(struct gdbstub *g, struct lp *lp, const char *a)
{
	bool step = false, ok = false;
	struct lp *target = lp;
	for (const char *act = a; act; act = strchr(act, ';')) {
		act += *act == ';';
		char kind = *act;
		if (kind != 'c' && kind != 'C' && kind != 's' && kind != 'S')
			return reply(g, "E01");
		ok = true;
		if (kind == 's' || kind == 'S') {
			char tid[24] = "";
			const char *colon = strchr(act, ':'), *end = strchr(act, ';');
			if (colon && (!end || colon < end)) {
				size_t n = (size_t)((end ? end : colon + strlen(colon)) - colon - 1);
				snprintf(tid, sizeof(tid), "%.*s", (int)(n < sizeof(tid) ? n : sizeof(tid) - 1),
					 colon + 1);
			}
			if (!(target = thread_lp(g, tid, &g->m->lps[g->cur])))
				return reply(g, "E01");
			step = true;
			break;
		}
	}
	if (!ok)
		return reply(g, "E01");
	return resume(g, step ? target : &g->m->lps[g->cur], "", step);
}

static enum action pk_stop_reason(struct gdbstub *g, struct lp *lp, const char *a)
{
	return stop_reply(g);
}

static void forget_debugging(struct gdbstub *g)
{
	g->nbp = 0;
	g->nwp = 0;
	g->hit = NULL;
	g->stepping = false;
	g->vmexit_bp = g->entryfail_bp = false;
	g->gen++;
	g->attached = false;
}

static enum action pk_detach(struct gdbstub *g, struct lp *lp, const char *a)
{
	reply(g, "OK");
	forget_debugging(g);
	return LEAVE;
}

static enum action pk_kill(struct gdbstub *g, struct lp *lp, const char *a)
{
	if (*a == ';' || !strncmp(a, "Kill", 4))
		reply(g, "OK");                 /* vKill wants an answer, k does not */
	g->killed = true;
	forget_debugging(g);
	machine_stop(g->m, &g->m->lps[g->cur], VTSIM_STOP_LIMIT, 4, "the debugger ended the run");
	return LEAVE;
}

static enum action pk_ok(struct gdbstub *g, struct lp *lp, const char *a)
{
	return reply(g, "OK");
}

static enum action pk_attached(struct gdbstub *g, struct lp *lp, const char *a)
{
	return reply(g, "1");
}

static enum action pk_current_thread(struct gdbstub *g, struct lp *lp, const char *a)
{
	char r[16];
	snprintf(r, sizeof(r), "QC%x", g->cur + 1);
	return reply(g, r);
}

/* All threads in one answer: "m1,2,...". */
static enum action pk_first_thread(struct gdbstub *g, struct lp *lp, const char *a)
{
	size_t n = 0;
	g->out[n++] = 'm';
	for (unsigned i = 0; i < g->m->nr_lps && n + 12 < sizeof(g->out); i++)
		n += (size_t)snprintf(g->out + n, sizeof(g->out) - n, "%s%x", i ? "," : "", i + 1);
	g->out[n] = 0;
	return reply(g, g->out);
}

/* Hg: the thread whose registers and memory the next packets mean; Hc: ignored
 * (every LP runs; vCont says which one steps). */
static enum action pk_set_thread(struct gdbstub *g, struct lp *lp, const char *a)
{
	if (*a != 'g' && *a != 'c')
		return reply(g, "E01");
	struct lp *t = thread_lp(g, a + 1, NULL);
	if (!t && strcmp(a + 1, "0") && strcmp(a + 1, "-1"))
		return reply(g, "E01");
	if (*a == 'g')
		g->sel = t ? (int)t->id : -1;
	return reply(g, "OK");
}

/* T: is the thread alive (every LP is). */
static enum action pk_thread_alive(struct gdbstub *g, struct lp *lp, const char *a)
{
	return reply(g, thread_lp(g, a, NULL) ? "OK" : "E01");
}

static const char *mode_name(const struct lp *lp);

/* qThreadExtraInfo,TID: what `info threads` shows beside the thread, in hex. */
static enum action pk_thread_extra(struct gdbstub *g, struct lp *lp, const char *a)
{
	struct lp *t = thread_lp(g, a, NULL);
	if (!t)
		return reply(g, "E01");
	char text[96];
	snprintf(text, sizeof(text), "lp%u, %s%s", t->id, mode_name(t),
		 t->activity == LP_HALTED ? ", halted"
		 : t->activity == LP_WAIT_FOR_SIPI ? ", waiting for a start-up IPI" : "");
	to_hex(g->out, (const uint8_t *)text, strlen(text));
	return reply(g, g->out);
}

static enum action pk_next_thread(struct gdbstub *g, struct lp *lp, const char *a)
{
	return reply(g, "l");
}

static enum action pk_vcont_query(struct gdbstub *g, struct lp *lp, const char *a)
{
	return reply(g, "vCont;c;C;s;S");
}

/* ---- monitor commands ------------------------------------------------------------ */

static const char *mode_name(const struct lp *lp)
{
	if (!lp->vmx.on)
		return "outside VMX operation";
	if (lp->vmx.non_root)
		return lp->vmx.seam_root ? "SEAM VMX non-root operation (a TD)" : "VMX non-root operation (the guest)";
	return "VMX root operation";
}

static bool on_off(const char *arg, bool *flag)
{
	if (!strcmp(arg, "on"))
		*flag = true;
	else if (!strcmp(arg, "off"))
		*flag = false;
	else
		return false;
	return true;
}

static void mon_vmexitbp(struct gdbstub *g, struct lp *lp, const char *arg, char *out, size_t cap)
{
	if (on_off(arg, &g->vmexit_bp))
		snprintf(out, cap, "vmexitbp %s: %s\n", g->vmexit_bp ? "on" : "off",
			 g->vmexit_bp ? "every VM exit stops, in the VMM at HOST_RIP" : "VM exits do not stop");
	else
		snprintf(out, cap, "usage: monitor vmexitbp on|off\n");
}

static void mon_entryfailbp(struct gdbstub *g, struct lp *lp, const char *arg, char *out, size_t cap)
{
	if (on_off(arg, &g->entryfail_bp))
		snprintf(out, cap, "entryfailbp %s: %s\n", g->entryfail_bp ? "on" : "off",
			 g->entryfail_bp ? "a failed VMLAUNCH/VMRESUME stops after it" : "failed entries do not stop");
	else
		snprintf(out, cap, "usage: monitor entryfailbp on|off\n");
}

static void mon_status(struct gdbstub *g, struct lp *lp, const char *arg, char *out, size_t cap)
{
	snprintf(out, cap, "lp%u: %s; current VMCS 0x%llx; %llu VM entries, %llu VM exits; "
		 "%llu instructions retired\n", lp->id, mode_name(lp),
		 (unsigned long long)(lp->vmx.on ? lp->vmx.current : 0),
		 (unsigned long long)lp->vmx.entries, (unsigned long long)lp->vmx.exits,
		 (unsigned long long)lp->insns);
}

static void mon_help(struct gdbstub *g, struct lp *lp, const char *arg, char *out, size_t cap);

static const struct monitor_cmd {
	const char *name;
	void (*fn)(struct gdbstub *g, struct lp *lp, const char *arg, char *out, size_t cap);
	const char *help;
} monitor_cmds[] = {
	{ "vmexitbp", mon_vmexitbp, "vmexitbp on|off      stop at every VM exit (the VMM's state at HOST_RIP)" },
	{ "entryfailbp", mon_entryfailbp, "entryfailbp on|off   stop after a VMLAUNCH/VMRESUME that fails a check" },
	{ "status", mon_status, "status               the processor's VMX mode, VMCS, entries, exits, time" },
	{ "help", mon_help, "help                 this list" },
};

static void mon_help(struct gdbstub *g, struct lp *lp, const char *arg, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof(monitor_cmds) / sizeof(monitor_cmds[0]) && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s\n", monitor_cmds[i].help);
}

/* qRcmd,HEX: `monitor CMD ARG`; the answer comes as console output, then OK. */
static enum action pk_monitor(struct gdbstub *g, struct lp *lp, const char *a)
{
	char cmd[256] = { 0 }, out[1024];
	from_hex((uint8_t *)cmd, a, sizeof(cmd) - 1);
	char *arg = strchr(cmd, ' ');
	if (arg)
		*arg++ = 0;
	size_t i;
	for (i = 0; i < sizeof(monitor_cmds) / sizeof(monitor_cmds[0]); i++)
		if (!strcmp(cmd, monitor_cmds[i].name))
			break;
	if (i < sizeof(monitor_cmds) / sizeof(monitor_cmds[0]))
		monitor_cmds[i].fn(g, lp, arg ? arg : "", out, sizeof(out));
	else
		snprintf(out, sizeof(out), "unknown monitor command '%s' (monitor help)\n", cmd);
	send_console(g, out);
	return reply(g, "OK");
}

/* Packets by prefix; the first match wins (longer prefixes first). */
static const struct packet {
	const char *prefix;
	bool exact;
	enum action (*fn)(struct gdbstub *g, struct lp *lp, const char *args);
} packets[] = {
	{ "qSupported", false, pk_query_supported },
	{ "qXfer:features:read:", false, pk_features },
	{ "qAttached", false, pk_attached },
	{ "qC", true, pk_current_thread },
	{ "qfThreadInfo", true, pk_first_thread },
	{ "qThreadExtraInfo,", false, pk_thread_extra },
	{ "qsThreadInfo", true, pk_next_thread },
	{ "qRcmd,", false, pk_monitor },
	{ "qSymbol", false, pk_ok },
	{ "vCont?", true, pk_vcont_query },
	{ "vCont;", false, pk_vcont },
	{ "vKill", false, pk_kill },
	{ "?", true, pk_stop_reason },
	{ "g", true, pk_read_regs },
	{ "G", false, pk_write_regs },
	{ "p", false, pk_read_reg },
	{ "P", false, pk_write_reg },
	{ "m", false, pk_read_mem },
	{ "M", false, pk_write_mem },
	{ "Z", false, pk_insert_bp },
	{ "z", false, pk_remove_bp },
	{ "c", false, pk_continue },
	{ "s", false, pk_step },
	{ "C", false, pk_continue_sig },
	{ "S", false, pk_step_sig },
	{ "D", false, pk_detach },
	{ "k", true, pk_kill },
	{ "H", false, pk_set_thread },
	{ "T", false, pk_thread_alive },
};

/* `lp` is the LP the packet concerns: the one Hg chose, or the one that stopped. */
static enum action dispatch(struct gdbstub *g, struct lp *lp, const char *p)
{
	for (size_t i = 0; i < sizeof(packets) / sizeof(packets[0]); i++) {
		const struct packet *k = &packets[i];
		size_t n = strlen(k->prefix);
		if (k->exact ? !strcmp(p, k->prefix) : !strncmp(p, k->prefix, n))
			return k->fn(g, lp, p + n);
	}
	return reply(g, "");               /* unknown: the empty answer */
}

/* The machine is stopped: answer the debugger until it resumes or leaves. */
static void serve(struct gdbstub *g, struct lp *lp)
{
	if (g->announce) {
		if (g->msg[0])
			send_console(g, g->msg);
		stop_reply(g);
	}
	g->msg[0] = 0;
	g->announce = false;
	for (;;) {
		if (rsp_recv(&g->rsp, g->pkt, sizeof(g->pkt)) < 0) {
			forget_debugging(g);     /* gdb went away: the run goes on without it */
			return;
		}
		struct lp *target = g->sel >= 0 ? &g->m->lps[g->sel] : lp;
		enum action act = dispatch(g, target, g->pkt);
		if (act == LEAVE) {
			if (g->rsp.fd >= 0 && !g->killed)
				rsp_close_connection(&g->rsp);
			return;
		}
		if (act == RESUME)
			return;
	}
}

/* ---- the interface ------------------------------------------------------------- */

struct gdbstub *gdbstub_open(struct vtsim_machine *m, const char *addr, char *err, size_t errlen)
{
	struct gdbstub *g = calloc(1, sizeof(*g));
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->m = m;
	g->sel = -1;
	g->lph = calloc(m->nr_lps, sizeof(*g->lph));
	if (!g->lph) {
		snprintf(err, errlen, "out of memory");
		free(g);
		return NULL;
	}
	for (unsigned i = 0; i < m->nr_lps; i++) {
		g->lph[i].root = (struct engine_hooks){ .g = g, .lp = &m->lps[i] };
		g->lph[i].guest = (struct engine_hooks){ .g = g, .lp = &m->lps[i] };
	}
	if (rsp_listen(&g->rsp, addr, err, errlen)) {
		free(g->lph);
		free(g);
		return NULL;
	}
	g->gen = 1;          /* engines start at 0: they get their (empty) hooks once */
	return g;
}

void gdbstub_close(struct gdbstub *g)
{
	if (!g)
		return;
	rsp_close(&g->rsp);
	free(g->lph);
	free(g);
}

void gdbstub_attach(struct gdbstub *g)
{
	fprintf(g->m->diag, "vtsim: waiting for gdb on 127.0.0.1:%u\n", g->rsp.port);
	fflush(g->m->diag);
	if (rsp_accept(&g->rsp))
		return;
	g->attached = true;
	g->stop_pending = true;
	g->announce = false;         /* gdb asks with '?' */
	g->sig = SIGTRAP_GDB;
}

void gdbstub_before_run(struct gdbstub *g, struct lp *lp)
{
	g->rerun = false;
	if (g->stop_pending) {
		g->stop_pending = false;
		if (g->attached)
			serve(g, lp);
		g->rsp.interrupted = false;
	}
	sync_hooks(g, lp);
}

bool gdbstub_take_rerun(struct gdbstub *g)
{
	bool r = g->rerun;
	g->rerun = false;
	return r;
}

void gdbstub_poll(struct gdbstub *g, struct lp *lp)
{
	if (g->attached && !g->stop_pending && rsp_poll_interrupt(&g->rsp))
		request_stop(g, lp, lp->uc, SIGINT_GDB);
}

void gdbstub_on_vmexit(struct gdbstub *g, struct lp *lp, uint32_t reason, uint64_t qualification,
		       uint64_t guest_rip)
{
	if (!g->attached)
		return;
	bool stop = (g->vmexit_bp || stepping_on(g, lp)) && !g->stop_pending;
	if (stop) {
		/* A TD exits to the TDX module, which is not code gdb can see: the VMM stops
		 * after its SEAMCALL (TDH.VP.ENTER), or the TD at its next instruction when
		 * the module handles the exit itself and resumes it. */
		bool td = lp->vmx.seam_root;
		snprintf(g->msg, sizeof(g->msg), "vtsim: %s exit: reason %u %s%s, qualification 0x%llx, "
			 "%s RIP 0x%llx%s\n", td ? "TD" : "VM", reason & 0xffff,
			 vmx_exit_reason_name(reason & 0xffff),
			 (reason & 0x80000000u) ? " (VM-entry failure)" : "",
			 (unsigned long long)qualification, td ? "TD" : "guest", (unsigned long long)guest_rip,
			 td ? "; to the TDX module, which returns to the VMM after its SEAMCALL" : "");
		request_stop(g, lp, lp->root.uc, SIGTRAP_GDB);
	} else if (g->lph[lp->id].root.gen != g->gen) {
		/* Breakpoints changed while the guest ran: the VMM's engine stops once to
		 * take them. */
		g->rerun = true;
		uc_emu_stop(lp->root.uc);
	}
}

void gdbstub_on_vmentry(struct gdbstub *g, struct lp *lp)
{
	if (!g->attached)
		return;
	const struct engine_hooks *gh = &g->lph[lp->id].guest;
	if (stepping_on(g, lp) && !g->stop_pending) {
		/* A step over VMLAUNCH/VMRESUME ends at the guest's first instruction. */
		g->stop_pending = g->announce = true;
		g->sig = SIGTRAP_GDB;
		g->cur = lp->id;
	}
	if (g->stop_pending || gh->gen != g->gen || gh->stepping != stepping_on(g, lp))
		lp->co_force_restart = true;    /* the guest engine stops before it runs */
}

void gdbstub_on_entry_fail(struct gdbstub *g, struct lp *lp, const char *why)
{
	if (!g->attached || !g->entryfail_bp || g->stop_pending)
		return;
	snprintf(g->msg, sizeof(g->msg), "vtsim: %s\n", why);
	request_stop(g, lp, lp->root.uc, SIGTRAP_GDB);
}

void gdbstub_on_end(struct gdbstub *g, int status, const char *why)
{
	if (!g->attached || g->killed || g->rsp.fd < 0)
		return;
	if (why && *why) {
		char line[600];
		snprintf(line, sizeof(line), "vtsim: %s\n", why);
		send_console(g, line);
	}
	char r[8];
	snprintf(r, sizeof(r), "W%02x", status & 0xff);
	rsp_send_str(&g->rsp, r);
	rsp_wait_ack(&g->rsp, 2000);
}
