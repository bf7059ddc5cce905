/* Simulator-instruction sites: see sites.h for why. */
#include "sim/cpu/sites.h"

#include <stdlib.h>
#include <string.h>

#include "sim/cpu/machine.h"
#include "sim/cpu/site_vmx_lean.h"
#include "sim/cpu/vmx.h"
#include "sim/cpu/vmx_debug.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/cpu/vmx_task_switch.h"
#include "sim/cpu/vmx_timer.h"
#include "sim/vmcs/exit_reasons.h"

/* ---- classification ------------------------------------------------------ */

struct site_pattern {
	enum site_kind kind;
	const char *name;
	uint8_t prefix;        /* mandatory prefix (0x66, 0xf3) or 0 for none of 66/F2/F3 */
	bool any_prefix;       /* the legacy prefixes do not select another instruction */
	uint8_t op[3];
	uint8_t oplen;
	bool modrm;            /* a ModRM byte follows the opcode */
	int8_t reg;            /* required ModRM.reg, or -1 */
	bool mem_only;         /* register forms (mod = 3) are another instruction */
	int8_t vmx_id;         /* enum vmx_insn_id for SITE_VMX */
	site_handler_fn handler;
	bool reg_only;         /* memory forms (mod != 3) are another instruction */
};

/* Opcode bytes after legacy and REX prefixes. */
static const struct site_pattern patterns[] = {
	{ SITE_SEAMCALL, "SEAMCALL", 0x66, false, { 0x0f, 0x01, 0xcf }, 3, false, -1, false, -1, site_seamcall },
	{ SITE_TDCALL, "TDCALL", 0x66, false, { 0x0f, 0x01, 0xcc }, 3, false, -1, false, -1, site_tdcall },
	{ SITE_RDMSR,  "RDMSR",  0, true, { 0x0f, 0x32 },       2, false, -1, false, -1, site_rdmsr },
	{ SITE_RSM,    "RSM",    0, true, { 0x0f, 0xaa },       2, false, -1, false, -1, site_rsm },
	{ SITE_SYSCALL, "SYSCALL", 0, true, { 0x0f, 0x05 },     2, false, -1, false, -1, site_syscall },
	{ SITE_SYSRET, "SYSRET", 0, true, { 0x0f, 0x07 },       2, false, -1, false, -1, site_sysret },
	/* RDRAND and RDSEED, with or without 66 (vmx_id holds the exit reason); F3 0F C7 /7
	 * is RDPID, and the memory forms are VMX instructions. */
	{ SITE_RDRAND, "RDRAND", 0, false, { 0x0f, 0xc7 },      2, true, 6, false, 57, site_rdrand, true },
	{ SITE_RDRAND, "RDRAND", 0x66, false, { 0x0f, 0xc7 },   2, true, 6, false, 57, site_rdrand, true },
	{ SITE_RDRAND, "RDSEED", 0, false, { 0x0f, 0xc7 },      2, true, 7, false, 61, site_rdrand, true },
	{ SITE_RDRAND, "RDSEED", 0x66, false, { 0x0f, 0xc7 },   2, true, 7, false, 61, site_rdrand, true },
	{ SITE_INVPCID, "INVPCID", 0x66, false, { 0x0f, 0x38, 0x82 }, 3, true, -1, true, 58, site_invpcid },
	{ SITE_WRMSR,  "WRMSR",  0, true, { 0x0f, 0x30 },       2, false, -1, false, -1, site_wrmsr },
	{ SITE_RDTSC,  "RDTSC",  0, true, { 0x0f, 0x31 },       2, false, -1, false, -1, site_rdtsc },
	{ SITE_RDTSCP, "RDTSCP", 0, true, { 0x0f, 0x01, 0xf9 }, 3, false, -1, false, -1, site_rdtscp },
	{ SITE_MOV_TO_CR, "MOV to CR", 0, true, { 0x0f, 0x22 }, 2, true, -1, false, -1, site_mov_to_cr },
	{ SITE_MOV_FROM_CR, "MOV from CR", 0, true, { 0x0f, 0x20 }, 2, true, -1, false, -1, site_mov_from_cr },
	{ SITE_MOV_DR, "MOV from DR", 0, true, { 0x0f, 0x21 }, 2, true, -1, false, -1, site_mov_dr },
	{ SITE_MOV_DR, "MOV to DR",   0, true, { 0x0f, 0x23 }, 2, true, -1, false, -1, site_mov_dr },
	{ SITE_CPUID, "CPUID", 0, true, { 0x0f, 0xa2 },      2, false, -1, false, -1, site_cpuid },
	{ SITE_CLTS, "CLTS", 0, true, { 0x0f, 0x06 },        2, false, -1, false, -1, site_clts },
	{ SITE_LMSW, "LMSW", 0, true, { 0x0f, 0x01 },        2, true, 6, false, -1, site_lmsw },
	{ SITE_SMSW, "SMSW", 0, true, { 0x0f, 0x01 },        2, true, 4, false, -1, site_smsw },
	/* Unconditional exits in VMX non-root operation (vmx_id holds the reason). */
	{ SITE_GUEST_EXIT, "INVD",   0, true, { 0x0f, 0x08 },       2, false, -1, false, 13, site_guest_exit },
	{ SITE_GUEST_EXIT, "XSETBV", 0, true, { 0x0f, 0x01, 0xd1 }, 3, false, -1, false, 55, site_guest_exit },
	{ SITE_GETSEC, "GETSEC", 0, true, { 0x0f, 0x37 },           2, false, -1, false, 11, site_getsec },
	/* Exits decided by one VM-execution control (vmx_id holds the reason; the table of
	 * controls is in vmx_cond_exit.c). */
	{ SITE_COND_EXIT, "INVLPG", 0, true, { 0x0f, 0x01 },  2, true, 7, true, 14, site_cond_exit },
	{ SITE_COND_EXIT, "RDPMC",  0, true, { 0x0f, 0x33 },  2, false, -1, false, 15, site_cond_exit },
	{ SITE_COND_EXIT, "WBINVD", 0, true, { 0x0f, 0x09 },  2, false, -1, false, 54, site_cond_exit },
	{ SITE_COND_EXIT, "MONITOR", 0, true, { 0x0f, 0x01, 0xc8 }, 3, false, -1, false, 39, site_cond_exit },
	{ SITE_COND_EXIT, "MWAIT",  0, true, { 0x0f, 0x01, 0xc9 }, 3, false, -1, false, 36, site_cond_exit },
	{ SITE_COND_EXIT, "PAUSE",  0xf3, false, { 0x90 },    1, false, -1, false, 40, site_cond_exit },
	/* HLT exits before it executes, with its own RIP and length (prefixes too). */
	{ SITE_COND_EXIT, "HLT",    0, true, { 0xf4 },        1, false, -1, false, 12, site_cond_exit },
	{ SITE_COND_EXIT, "SGDT",   0, true, { 0x0f, 0x01 },  2, true, 0, true, 46, site_cond_exit },
	{ SITE_COND_EXIT, "SIDT",   0, true, { 0x0f, 0x01 },  2, true, 1, true, 46, site_cond_exit },
	{ SITE_COND_EXIT, "LGDT",   0, true, { 0x0f, 0x01 },  2, true, 2, true, 46, site_cond_exit },
	{ SITE_COND_EXIT, "LIDT",   0, true, { 0x0f, 0x01 },  2, true, 3, true, 46, site_cond_exit },
	{ SITE_COND_EXIT, "SLDT",   0, true, { 0x0f, 0x00 },  2, true, 0, false, 47, site_cond_exit },
	{ SITE_COND_EXIT, "STR",    0, true, { 0x0f, 0x00 },  2, true, 1, false, 47, site_cond_exit },
	{ SITE_COND_EXIT, "LLDT",   0, true, { 0x0f, 0x00 },  2, true, 2, false, 47, site_cond_exit },
	{ SITE_COND_EXIT, "LTR",    0, true, { 0x0f, 0x00 },  2, true, 3, false, 47, site_cond_exit },
	{ SITE_IO, "IN imm8",  0, true, { 0xe4 }, 1, false, -1, false, -1, site_io },
	{ SITE_IO, "IN imm8",  0, true, { 0xe5 }, 1, false, -1, false, -1, site_io },
	{ SITE_IO, "OUT imm8", 0, true, { 0xe6 }, 1, false, -1, false, -1, site_io },
	{ SITE_IO, "OUT imm8", 0, true, { 0xe7 }, 1, false, -1, false, -1, site_io },
	{ SITE_IO, "IN DX",    0, true, { 0xec }, 1, false, -1, false, -1, site_io },
	{ SITE_IO, "IN DX",    0, true, { 0xed }, 1, false, -1, false, -1, site_io },
	{ SITE_IO, "OUT DX",   0, true, { 0xee }, 1, false, -1, false, -1, site_io },
	{ SITE_IO, "OUT DX",   0, true, { 0xef }, 1, false, -1, false, -1, site_io },
	{ SITE_IO, "INS",      0, true, { 0x6c }, 1, false, -1, false, -1, site_io },
	{ SITE_IO, "INS",      0, true, { 0x6d }, 1, false, -1, false, -1, site_io },
	{ SITE_IO, "OUTS",     0, true, { 0x6e }, 1, false, -1, false, -1, site_io },
	{ SITE_IO, "OUTS",     0, true, { 0x6f }, 1, false, -1, false, -1, site_io },
	/* Far CALL/JMP (ptr16:16/32 and m16:16/32) and IRET: task switches in a guest
	 * outside IA-32e mode (scan hooks them nowhere else). */
	{ SITE_TASK_SWITCH, "CALL far", 0, true, { 0x9a }, 1, false, -1, false, -1, site_task_switch },
	{ SITE_TASK_SWITCH, "JMP far",  0, true, { 0xea }, 1, false, -1, false, -1, site_task_switch },
	{ SITE_TASK_SWITCH, "CALL far", 0, true, { 0xff }, 1, true, 3, true, -1, site_task_switch },
	{ SITE_TASK_SWITCH, "JMP far",  0, true, { 0xff }, 1, true, 5, true, -1, site_task_switch },
	{ SITE_TASK_SWITCH, "IRET",     0, true, { 0xcf }, 1, false, -1, false, -1, site_task_switch },
	{ SITE_VMX, "VMXON",    0xf3, false, { 0x0f, 0xc7 }, 2, true, 6, true, VMX_VMXON, site_vmx },
	{ SITE_VMX, "VMCLEAR",  0x66, false, { 0x0f, 0xc7 }, 2, true, 6, true, VMX_VMCLEAR, site_vmx },
	{ SITE_VMX, "VMPTRLD",  0, false, { 0x0f, 0xc7 },    2, true, 6, true, VMX_VMPTRLD, site_vmx },
	{ SITE_VMX, "VMPTRST",  0, false, { 0x0f, 0xc7 },    2, true, 7, true, VMX_VMPTRST, site_vmx },
	{ SITE_VMX, "VMREAD",   0, false, { 0x0f, 0x78 },    2, true, -1, false, VMX_VMREAD, site_vmx },
	{ SITE_VMX, "VMWRITE",  0, false, { 0x0f, 0x79 },    2, true, -1, false, VMX_VMWRITE, site_vmx },
	{ SITE_VMX, "VMCALL",   0, true, { 0x0f, 0x01, 0xc1 }, 3, false, -1, false, VMX_VMCALL, site_vmx },
	{ SITE_VMX, "VMLAUNCH", 0, true, { 0x0f, 0x01, 0xc2 }, 3, false, -1, false, VMX_VMLAUNCH, site_vmx },
	{ SITE_VMX, "VMRESUME", 0, true, { 0x0f, 0x01, 0xc3 }, 3, false, -1, false, VMX_VMRESUME, site_vmx },
	{ SITE_VMX, "VMXOFF",   0, true, { 0x0f, 0x01, 0xc4 }, 3, false, -1, false, VMX_VMXOFF, site_vmx },
	{ SITE_VMX, "VMFUNC",   0, true, { 0x0f, 0x01, 0xd4 }, 3, false, -1, false, VMX_VMFUNC, site_vmx },
	{ SITE_VMX, "INVEPT",   0x66, false, { 0x0f, 0x38, 0x80 }, 3, true, -1, true, VMX_INVEPT, site_vmx },
	{ SITE_VMX, "INVVPID",  0x66, false, { 0x0f, 0x38, 0x81 }, 3, true, -1, true, VMX_INVVPID, site_vmx },
};

static bool is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x66: case 0x67: case 0xf2: case 0xf3: case 0xf0:
	case 0x2e: case 0x36: case 0x3e: case 0x26: case 0x64: case 0x65:
		return true;
	default:
		return false;
	}
}

static const struct site_pattern *match(const uint8_t *bytes, unsigned len, bool long_mode)
{
	unsigned i = 0;
	uint8_t mand = 0, rex = 0;
	/* In 64-bit mode REX bytes may come among the legacy prefixes (only one right
	 * before the opcode counts, the others are ignored). */
	while (i < len && (is_legacy_prefix(bytes[i]) || (long_mode && (bytes[i] & 0xf0) == 0x40))) {
		if (bytes[i] == 0x66 || bytes[i] == 0xf2 || bytes[i] == 0xf3)
			mand = bytes[i];
		rex = (bytes[i] & 0xf0) == 0x40 ? bytes[i] : 0;
		i++;
	}
	for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
		const struct site_pattern *pt = &patterns[p];
		if (len < i + pt->oplen + (pt->modrm ? 1u : 0u) || memcmp(bytes + i, pt->op, pt->oplen))
			continue;
		/* 90H with REX.B is XCHG r8, rAX, not NOP (so F3 REX.B 90H is no PAUSE). */
		if (pt->oplen == 1 && pt->op[0] == 0x90 && (rex & 1))
			continue;
		if (!pt->any_prefix && mand != pt->prefix)
			continue;
		if (pt->modrm) {
			uint8_t modrm = bytes[i + pt->oplen];
			if (pt->reg >= 0 && ((modrm >> 3) & 7) != (unsigned)pt->reg)
				continue;
			if (pt->mem_only && (modrm >> 6) == 3)
				continue;
			if (pt->reg_only && (modrm >> 6) != 3)
				continue;
		}
		return pt;
	}
	return NULL;
}

enum site_kind site_classify_insn(const uint8_t *bytes, unsigned len, bool long_mode,
				  uint8_t *vmx_id)
{
	const struct site_pattern *pt = match(bytes, len, long_mode);
	if (vmx_id)
		*vmx_id = pt && pt->vmx_id >= 0 ? (uint8_t)pt->vmx_id : 0;
	return pt ? pt->kind : SITE_NONE;
}

enum site_kind site_classify(const uint8_t *bytes, unsigned len, bool long_mode)
{
	return site_classify_insn(bytes, len, long_mode, NULL);
}

/* Reads the instruction in bytes[0..len) into `in`, for code of `bits` (64, 32 or
 * 16): its kind and, when its pattern has a ModRM operand, that operand decoded. */
static void read_insn(struct site_insn *in, const uint8_t *bytes, unsigned len, unsigned bits)
{
	const struct site_pattern *pt = match(bytes, len, bits == 64);
	if (len > sizeof(in->bytes))
		len = sizeof(in->bytes);
	in->kind = pt ? pt->kind : SITE_NONE;
	in->vmx_id = pt && pt->vmx_id >= 0 ? (uint8_t)pt->vmx_id : 0;
	in->len = (uint8_t)len;
	memcpy(in->bytes, bytes, len);
	in->modrm_bits = 0;
	if (pt && pt->modrm && !modrm_decode(in, bits == 64, bits == 32, &in->modrm))
		in->modrm_bits = (uint8_t)bits;
}

static site_handler_fn handler_of(enum site_kind k);

/* After the site's instruction was (re)read: its handler, whether the lean
 * VMREAD/VMWRITE path may run it, and no field remembered. */
static void site_took_insn(struct site *st)
{
	st->handler = handler_of(st->insn.kind);
	st->lean = site_vmx_lean_fits(&st->insn);
	if (st->lean)
		site_lean_mode(st->insn.modrm_bits, &st->lean_hf_mask, &st->lean_hf_want);
	/* CPUID's VM exit reads the segments itself, when they changed (vmx_exit.c). */
	st->mode_view = site_vmx_mode_only(&st->insn) || st->insn.kind == SITE_CPUID;
	st->memo.f = NULL;
}

static const struct site_pattern *pattern_of(enum site_kind k)
{
	for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++)
		if (patterns[p].kind == k)
			return &patterns[p];
	return NULL;
}

/* The handler of a kind (NULL for SITE_NONE): looked up once when a site is read,
 * not at each run. */
static site_handler_fn handler_of(enum site_kind k)
{
	const struct site_pattern *p = pattern_of(k);
	return p ? p->handler : NULL;
}

const char *site_kind_name(enum site_kind k)
{
	if (k == SITE_VMX)
		return "VMX instruction";
	const struct site_pattern *p = pattern_of(k);
	return p ? p->name : "none";
}

/* ---- tables --------------------------------------------------------------- */

static uint64_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static struct site *site_find(struct sites *s, uint64_t va)
{
	if (!s->cap)
		return NULL;
	for (size_t i = hash64(va) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->tab[i].used)
			return NULL;
		if (s->tab[i].va == va)
			return &s->tab[i];
	}
}

static unsigned hot_slot(uint64_t va)
{
	return (va ^ (va >> 4)) & (SITES_HOT - 1);
}

/* site_find through the hook's cache (struct sites' hot). */
static inline struct site *site_lookup(struct sites *s, uint64_t va)
{
	struct site **h = &s->hot[hot_slot(va)];
	if (*h && (*h)->va == va)
		return *h;
	struct site *st = site_find(s, va);
	if (st)
		*h = st;
	return st;
}

/* The table moved or lost sites: the cache's pointers go. */
static void hot_clear(struct sites *s)
{
	memset(s->hot, 0, sizeof(s->hot));
}

static struct site *site_insert(struct sites *s, uint64_t va)
{
	if ((s->count + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 256;
		struct site *nt = calloc(ncap, sizeof(*nt));
		if (!nt)
			return NULL;
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->tab[i].used)
				continue;
			size_t j = hash64(s->tab[i].va) & (ncap - 1);
			while (nt[j].used)
				j = (j + 1) & (ncap - 1);
			nt[j] = s->tab[i];
		}
		free(s->tab);
		s->tab = nt;
		s->cap = ncap;
		hot_clear(s);
	}
	size_t i = hash64(va) & (s->cap - 1);
	while (s->tab[i].used)
		i = (i + 1) & (s->cap - 1);
	s->tab[i].va = va;
	s->tab[i].used = true;
	s->count++;
	return &s->tab[i];
}

static uint32_t *block_slot(struct sites *s, uint64_t key)
{
	if ((s->bcount + 1) * 2 > s->bcap) {
		size_t ncap = s->bcap ? s->bcap * 2 : 1024;
		struct block_count *nt = calloc(ncap, sizeof(*nt));
		if (!nt)
			return NULL;
		for (size_t i = 0; i < s->bcap; i++) {
			if (!s->blocks[i].key)
				continue;
			size_t j = hash64(s->blocks[i].key) & (ncap - 1);
			while (nt[j].key)
				j = (j + 1) & (ncap - 1);
			nt[j] = s->blocks[i];
		}
		free(s->blocks);
		s->blocks = nt;
		s->bcap = ncap;
	}
	size_t i = hash64(key) & (s->bcap - 1);
	while (s->blocks[i].key && s->blocks[i].key != key)
		i = (i + 1) & (s->bcap - 1);
	if (!s->blocks[i].key) {
		s->blocks[i].key = key;
		s->blocks[i].icount = 0;
		s->bcount++;
	}
	return &s->blocks[i].icount;
}

static uint64_t block_key(uint64_t pc, uint64_t size)
{
	return (pc ^ (size << 48)) | 1ull << 63;
}

/* ---- code access ---------------------------------------------------------- */

static bool code_is_64(struct lp *lp)
{
	struct seg cs;
	cpustate_get_seg(&lp->cs, SEG_CS, &cs);
	return (cpu_msr(lp->uc, 0xc0000080) & (1u << 10)) && (cs.attr & (1u << 13));
}

/* The decoder for the code the LP runs now: 64-, 32- or 16-bit (CS.L, CS.D). */
static csh code_handle(struct lp *lp)
{
	if (code_is_64(lp))
		return lp->cs_handle;
	struct seg cs;
	cpustate_get_seg(&lp->cs, SEG_CS, &cs);
	return (cs.attr & (1u << 14)) ? lp->cs32 : lp->cs16;
}

/* The width of the code a decoder handle reads. */
static unsigned code_bits(struct lp *lp, csh h)
{
	return h == lp->cs_handle ? 64 : h == lp->cs32 ? 32 : 16;
}

/* Reads up to n code bytes at linear address la; returns how many were readable. */
static size_t code_read_ctx(struct lp *lp, const struct mmu_ctx *c, uint64_t la, uint8_t *buf, size_t n)
{
	struct mmu_fault f;
	size_t got = 0;
	while (got < n) {
		size_t in_page = 4096 - ((la + got) & 0xfff);
		size_t len = n - got < in_page ? n - got : in_page;
		if (mmu_fetch(&lp->m->pm, c, la + got, buf + got, len, MMU_SUPERVISOR | MMU_NO_AD, &f))
			break;
		got += len;
	}
	return got;
}

static size_t code_read(struct lp *lp, uint64_t la, uint8_t *buf, size_t n)
{
	struct mmu_ctx c;
	lp_mmu_ctx(lp, &c);
	return code_read_ctx(lp, &c, la, buf, n);
}

/* Where the instruction of `len` bytes at linear address la lies in physical
 * memory now, SITE_PA_NONE if it is not mapped or crosses a page (the engine keys
 * its translations by physical address). */
static uint64_t site_pa(struct lp *lp, uint64_t la, size_t len)
{
	struct mmu_ctx c;
	struct mmu_fault f;
	uint64_t pa;
	if ((la & 0xfff) + len > 0x1000)
		return SITE_PA_NONE;
	lp_mmu_ctx(lp, &c);
	if (mmu_translate(&lp->m->pm, &c, la, MMU_FETCH, MMU_SUPERVISOR | MMU_NO_AD, &pa, &f))
		return SITE_PA_NONE;
	return pa;
}

/* ---- the sweep of cold sites (sites.h says why) ----------------------------- */

/* Site runs between two looks for cold sites, and how many sites an engine holds
 * before a sweep is worth two engine stops. The first looks come sooner (the period
 * doubles from SWEEP_FIRST_PERIOD up to SWEEP_PERIOD): a VMM's setup leaves its
 * sites behind at once, and until the sweep every site run walks their hooks (at
 * the full period, the first 32768 site runs of an exit loop did). */
#define SWEEP_FIRST_PERIOD 1024u
#define SWEEP_PERIOD 16384u
#define SWEEP_MIN_SITES 4u

static size_t cold_sites(const struct sites *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->cap; i++)
		n += s->tab[i].used && !s->tab[i].hits;
	return n;
}

static void reset_hits(struct sites *s)
{
	for (size_t i = 0; i < s->cap; i++)
		s->tab[i].hits = 0;
}

/* May the engine stop here without changing what the simulation does? Only the
 * root engine of a single LP with no debugger, nothing due at the next run's start
 * (lp_run_once would take it there, earlier than otherwise), and only after a
 * handler that wrote RIP: Unicorn then leaves the block and looks up the one at
 * the new RIP, exactly what a new run does. */
static bool sweep_may_stop(struct lp *lp, struct sites *s, uc_engine *uc, uint64_t address)
{
	return lp->active == &lp->root && lp->m->nr_lps == 1 &&
	       !lp->m->dbg && !lp->yield_due && !lp->stop_due && !intr_pending(lp) &&
	       cpu_reg(uc, UC_X86_REG_RIP) != address;
}

/* The look for cold sites and the sweep's stops (sweep_step's uncommon part). */
static __attribute__((noinline)) void sweep_look(struct lp *lp, struct sites *s, uc_engine *uc,
						 uint64_t address, uint64_t block_end)
{
	if (s->ranged)
		return;        /* no per-site hooks to sweep */
	if (s->sweep == SWEEP_IDLE) {
		if (!s->period)
			s->period = SWEEP_FIRST_PERIOD;
		if (s->calls < s->period)
			return;
		s->calls = 0;
		if (s->period < SWEEP_PERIOD)
			s->period *= 2;
		if (s->count >= SWEEP_MIN_SITES && cold_sites(s) * 2 >= s->count)
			s->sweep = SWEEP_WANT_DELETE;
		else
			reset_hits(s);
		return;
	}
	if (s->sweep_stopped || !sweep_may_stop(lp, s, uc, address))
		return;
	s->sweep_stopped = true;
	s->restart_end = block_end;
	uc_emu_stop(uc);
}

/* After each site's handler: count, look for cold sites now and then, and stop the
 * engine when the sweep needs a stop. Inline: it runs at every site. */
static inline void sweep_step(struct lp *lp, struct sites *s, uc_engine *uc, uint64_t address,
			      uint64_t block_end)
{
	if (s != &lp->root.sites)
		return;        /* a guest's engine keeps its sites (its VMM's setup is not here) */
	if (++s->calls < s->period && s->sweep == SWEEP_IDLE)
		return;
	sweep_look(lp, s, uc, address, block_end);
}

/* Can the site's translations be found and dropped by its address? Its bytes are
 * still where it was read, in the guest the engine runs now, and in the same
 * address space or at least on the same physical page (code read before paging
 * was turned on, where paging maps it 1:1). */
static bool site_droppable(struct lp *lp, const struct sites *s, const struct site *st, uint64_t cr3)
{
	uint8_t cur[15];
	return st->space == s->space && st->insn.len &&
	       (st->cr3 == cr3 || (st->pa != SITE_PA_NONE && site_pa(lp, st->va, st->insn.len) == st->pa)) &&
	       code_read(lp, st->va, cur, st->insn.len) == st->insn.len &&
	       !memcmp(cur, st->insn.bytes, st->insn.len);
}

/* The engine is stopped: deletes the hooks of the sites that did not run since the
 * last sweep and drops the translations that call them (a block translated with a
 * hook calls the hook list at that instruction even after the hook is gone, and the
 * instruction would then run in the engine): by address, or, when some site's
 * cannot be found that way (read in another address space), all of them at once;
 * the others are kept, their counts cleared. Scans hook a deleted site again if its
 * code is translated again; the next run's first block, which no edge leads to, is
 * scanned again too. Each hook left costs every site run (sites.h). */
static void sweep_delete(struct lp *lp, struct sites *s)
{
	struct site *nt = calloc(s->cap, sizeof(*nt));
	if (!nt)
		return;
	s->gone_n = 0;
	uint64_t cr3 = cpu_reg(lp->uc, UC_X86_REG_CR3), cr2 = cpu_reg(lp->uc, UC_X86_REG_CR2);
	size_t kept = 0;
	bool flush_all = false;
	for (size_t i = 0; i < s->cap; i++) {
		const struct site *st = &s->tab[i];
		if (!st->used)
			continue;
		if (!st->hits) {
			if (st->hook)
				uc_hook_del(lp->uc, st->hook);
			if (site_droppable(lp, s, st, cr3))
				uc_ctl_remove_cache(lp->uc, st->va, st->va + st->insn.len);
			else
				flush_all = true;
			s->swept++;
			if (s->gone_n < SWEEP_GONE_MAX)
				s->gone[s->gone_n] = st->va;
			s->gone_n++;
			continue;
		}
		size_t j = hash64(st->va) & (s->cap - 1);
		while (nt[j].used)
			j = (j + 1) & (s->cap - 1);
		nt[j] = *st;
		nt[j].hits = 0;
		kept++;
	}
	free(s->tab);
	s->tab = nt;
	s->count = kept;
	hot_clear(s);
	if (flush_all) {
		uc_ctl_flush_tb(lp->uc);
		s->flushed++;
		memset(s->primed_ring, 0, sizeof(s->primed_ring));
	}
	/* Dropping translations probes pages through the engine's MMU. */
	if (cpu_reg(lp->uc, UC_X86_REG_CR2) != cr2)
		cpustate_set_cr2(&lp->cs, cr2);
}

/* Before a run: the sweep's steps that need the engine stopped. */
static void sweep_before_run(struct lp *lp, struct sites *s)
{
	if (s->sweep == SWEEP_WANT_FREE) {
		s->sweep = SWEEP_IDLE;   /* the run after the deletion returned: freed */
	} else if (s->sweep == SWEEP_WANT_DELETE) {
		sweep_delete(lp, s);
		s->sweep = SWEEP_WANT_FREE;
	}
}

/* ---- hooks ---------------------------------------------------------------- */

void site_retire(struct lp *lp, uint64_t next_rip)
{
	cpustate_jump(&lp->cs, next_rip, lp->active->in_loop);
	lp->sites->retired = true;
}

/* What site_retire_regs writes in place, by register ID: a GPR's ModRM number + 1,
 * or RETIRE_RFLAGS; 0 for the rest (through the register API). */
#define RETIRE_RFLAGS 17
static const uint8_t retire_slot[UC_X86_REG_ENDING] = {
	[UC_X86_REG_RAX] = 1, [UC_X86_REG_RCX] = 2, [UC_X86_REG_RDX] = 3, [UC_X86_REG_RBX] = 4,
	[UC_X86_REG_RSP] = 5, [UC_X86_REG_RBP] = 6, [UC_X86_REG_RSI] = 7, [UC_X86_REG_RDI] = 8,
	[UC_X86_REG_R8] = 9, [UC_X86_REG_R9] = 10, [UC_X86_REG_R10] = 11, [UC_X86_REG_R11] = 12,
	[UC_X86_REG_R12] = 13, [UC_X86_REG_R13] = 14, [UC_X86_REG_R14] = 15, [UC_X86_REG_R15] = 16,
	[UC_X86_REG_EFLAGS] = RETIRE_RFLAGS, [UC_X86_REG_RFLAGS] = RETIRE_RFLAGS,
};

/* The GPR (ModRM number) a register ID names, or -1 for RFLAGS/EFLAGS, or -2. */
static int retire_target(int id)
{
	unsigned t = id > 0 && id < UC_X86_REG_ENDING ? retire_slot[id] : 0;
	return t == RETIRE_RFLAGS ? -1 : (int)t - 1 - (t == 0);
}

/* GPRs and RFLAGS straight into the live state (what the register API's writes
 * leave there, cpustate.h): false, with nothing written, for anything else. */
static bool retire_in_place(struct lp *lp, const int *ids, const uint64_t *vals, unsigned n)
{
	int t[SITE_RETIRE_MAX_REGS];
	if (!cpustate_regs_in_place(&lp->cs))
		return false;
	for (unsigned i = 0; i < n; i++)
		if ((t[i] = retire_target(ids[i])) == -2)
			return false;
	for (unsigned i = 0; i < n; i++) {
		if (t[i] < 0)
			cpustate_set_rflags(&lp->cs, vals[i]);
		else
			cpustate_set_gpr(&lp->cs, (unsigned)t[i], vals[i]);
	}
	return true;
}

void site_retire_regs(struct lp *lp, uint64_t next_rip, const int *ids, const uint64_t *vals,
		      unsigned n)
{
	if (n > SITE_RETIRE_MAX_REGS)
		n = SITE_RETIRE_MAX_REGS;
	/* RIP's write is what ends the block being run (cpustate_jump). */
	if (retire_in_place(lp, ids, vals, n)) {
		cpustate_jump(&lp->cs, next_rip, lp->active->in_loop);
		lp->sites->retired = true;
		return;
	}
	int regs[SITE_RETIRE_MAX_REGS + 1];
	void *ptrs[SITE_RETIRE_MAX_REGS + 1];
	/* The engine only reads through these pointers. */
	for (unsigned i = 0; i < n; i++) {
		regs[i] = ids[i];
		ptrs[i] = (void *)&vals[i];
	}
	regs[n] = UC_X86_REG_RIP;
	ptrs[n] = &next_rip;
	uc_reg_write_batch(lp->uc, regs, ptrs, (int)n + 1);
	lp->sites->retired = true;
}

/* A handler, then the single-step trap of what it retired: TF as the instruction
 * began (v), RIP the next instruction's (an MTF VM exit outranks it in a guest). */
static void run_handler(struct lp *lp, site_handler_fn handler, const struct cpu_view *v,
			const struct site_insn *in)
{
	lp->sites->retired = false;
	handler(lp, v, in);
	if (lp->sites->retired && (v->eflags & (1u << 8)) && !lp->m->stopped)
		vmx_dbg_single_step(lp, cpu_reg(lp->uc, UC_X86_REG_RIP));
	lp->sites->retired = false;
}

/* The fast path of the most frequent sites, VMREAD and VMWRITE (site_vmx_fast),
 * from the registers alone: true if it executed the instruction. The site must have
 * been read in this address space and guest, as on_site checks below. */
static bool ran_fast(struct lp *lp, const struct site *st)
{
	if (st->insn.kind != SITE_VMX || (st->insn.vmx_id != VMX_VMREAD && st->insn.vmx_id != VMX_VMWRITE) ||
	    st->space != lp->sites->space || st->cr3 != cpustate_cr3(&lp->cs))
		return false;
	struct cpu_regs r;
	cpustate_regs(&lp->cs, &r);
	if (!site_vmx_fast(lp, &r, &st->insn))
		return false;
	lp->sites->retired = false;
	return true;
}

/* Every site but a lean one that ran (on_site): the register fast path, else the
 * view and the kind's handler. Out of line: its frame (a whole cpu_view) would
 * cost the lean path at every run. */
static __attribute__((noinline)) void on_site_full(uc_engine *uc, struct lp *lp, struct sites *s,
						   struct site *st, uint64_t address)
{
	/* (A handler may move the table: what the sweep needs is read now.) */
	uint64_t block_end = st->block_end;
	if (ran_fast(lp, st)) {
		sweep_step(lp, s, uc, address, block_end);
		return;
	}
	struct cpu_view v;
	if (st->mode_view)
		cpustate_view_mode(&lp->cs, &v);
	else
		cpustate_view(&lp->cs, &v);
	/* The same linear address may hold other code in another address space: look
	 * again when CR3 or the guest differs from the one the site was read in.
	 * (Rewritten code makes the engine translate the block again, and the scan
	 * updates the site.) */
	if (st->cr3 != v.cr3 || st->space != lp->sites->space) {
		uint8_t cur[15];
		struct mmu_ctx c;
		mmu_ctx_from_view(&c, lp, &v);
		size_t got = code_read_ctx(lp, &c, address, cur, sizeof(cur));
		if (got < st->insn.len || memcmp(cur, st->insn.bytes, st->insn.len)) {
			cs_insn *ci = NULL;
			csh h = code_handle(lp);
			size_t n = cs_disasm(h, cur, got, address, 1, &ci);
			if (n == 1)
				read_insn(&st->insn, cur, ci[0].size, code_bits(lp, h));
			else
				st->insn.kind = SITE_NONE;
			cs_free(ci, n);
			site_took_insn(st);
		}
		st->cr3 = v.cr3;
		st->space = lp->sites->space;
		if (st->insn.kind == SITE_NONE)
			return;
	}
	if (st->handler)
		run_handler(lp, st->handler, &v, &st->insn);
	if (lp->m->stopped)
		uc_emu_stop(uc);
	else
		sweep_step(lp, s, uc, address, block_end);
}

/* The code hook: at a site's address, the site's instruction executed by vtsim; at
 * any other (an instruction between two sites that the one hook's range reaches,
 * sites.h), nothing. */
static void on_site(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	(void)size;
	struct lp *lp = user;
	struct sites *s = lp->sites;
	struct site *st = site_lookup(s, address);
	if (!st || lp->m->stopped)
		return;
	st->hits++;
	if (st->lean && st->space == s->space) {
		uint64_t block_end = st->block_end;
		if (site_vmx_lean(lp, st)) {
			if (!s->ranged)
				sweep_step(lp, s, uc, address, block_end);
			return;
		}
	}
	on_site_full(uc, lp, s, st, address);
}

/* Instructions Capstone 5 does not decode at all, matched on their bytes so that a
 * scan goes on past them (SEAMCALL decodes, as ENCLS). */
static const uint8_t raw_tdcall[] = { 0x66, 0x0f, 0x01, 0xcc };

/* The length of an instruction Capstone 5 does not decode but the engine executes: a
 * reserved-NOP hint (0F 18-0F 1F /r, such as 0F 1C C0) or an x87 alias (D8-DF /r, such
 * as DC DC): prefixes, the opcode and the ModRM operand for the address size. 0 when
 * it is not one of those, or is cut short. */
static unsigned undecoded_len(const uint8_t *b, size_t n, unsigned bits)
{
	unsigned i = 0, asize = bits;
	while (i < n && i < 15 && (is_legacy_prefix(b[i]) || (bits == 64 && (b[i] & 0xf0) == 0x40))) {
		if (b[i] == 0x67)
			asize = bits == 64 ? 32 : bits == 32 ? 16 : 32;
		i++;
	}
	if (i + 2 <= n && (b[i] & 0xf8) == 0xd8)
		i += 1;
	else if (i + 3 <= n && b[i] == 0x0f && (b[i + 1] & 0xf8) == 0x18)
		i += 2;
	else
		return 0;
	unsigned mod = b[i] >> 6, rm = b[i] & 7;
	i++;
	if (mod != 3) {
		if (asize == 16) {
			i += mod == 1 ? 1 : mod == 2 || (mod == 0 && rm == 6) ? 2 : 0;
		} else {
			if (rm == 4) {
				if (i >= n)
					return 0;
				if (mod == 0 && (b[i] & 7) == 5)
					i += 4;
				i++;
			}
			i += mod == 1 ? 1 : mod == 2 || (mod == 0 && rm == 5) ? 4 : 0;
		}
	}
	return i <= n && i <= 15 ? i : 0;
}

/* Capstone rejects a LOCK prefix on an instruction that cannot take one, which the
 * engine would run anyway (IN, OUT): decoded without it, the instruction keeps its
 * bytes and length so that its site can raise the #UD. */
static bool decode_without_lock(csh h, const uint8_t **code, size_t *got, uint64_t *addr,
				cs_insn *ci, unsigned bits)
{
	uint8_t b[15];
	size_t n = 0, i = 0, dropped = 0;
	for (; i < *got && i < sizeof(b); i++) {
		bool prefix = is_legacy_prefix((*code)[i]) || (bits == 64 && ((*code)[i] & 0xf0) == 0x40);
		if (!prefix)
			break;
		if ((*code)[i] == 0xf0)
			dropped++;
		else
			b[n++] = (*code)[i];
	}
	if (!dropped)
		return false;
	for (; i < *got && n < sizeof(b); i++)
		b[n++] = (*code)[i];
	const uint8_t *p = b;
	size_t left = n;
	uint64_t a = *addr;
	if (!cs_disasm_iter(h, &p, &left, &a, ci))
		return false;
	size_t len = ci->size + dropped;
	if (len > 15 || len > *got)
		return false;
	ci->size = (uint16_t)len;
	memcpy(ci->bytes, *code, len);
	ci->address = *addr;
	*code += len;
	*got -= len;
	*addr += len;
	return true;
}

/* The next instruction of a scan: Capstone's, or one of the raw ones above. */
static bool next_insn(csh h, const uint8_t **code, size_t *got, uint64_t *addr, cs_insn *ci,
		      unsigned bits)
{
	if (cs_disasm_iter(h, code, got, addr, ci))
		return true;
	if (decode_without_lock(h, code, got, addr, ci, bits))
		return true;
	unsigned len = undecoded_len(*code, *got, bits);
	if (len) {
		ci->address = *addr;
		ci->size = (uint16_t)len;
		memcpy(ci->bytes, *code, len);
		*code += len;
		*got -= len;
		*addr += len;
		return true;
	}
	if (*got < sizeof(raw_tdcall) || memcmp(*code, raw_tdcall, sizeof(raw_tdcall)))
		return false;
	ci->address = *addr;
	ci->size = sizeof(raw_tdcall);
	memcpy(ci->bytes, raw_tdcall, sizeof(raw_tdcall));
	*code += sizeof(raw_tdcall);
	*got -= sizeof(raw_tdcall);
	*addr += sizeof(raw_tdcall);
	return true;
}

/* A scan stopped at bytes no decoder takes (the engine raises #UD there): a site
 * read at that address from older bytes no longer applies, as when a guest rewrites
 * an instruction ahead of it in the same block and the engine translates the rest
 * again. Only when all 15 bytes were there: an instruction cut short by the end of
 * what could be read may still be a whole site. */
static void forget_undecodable(struct sites *s, uint64_t addr, size_t got)
{
	struct site *st = site_find(s, addr);
	if (!st || got < 15)
		return;
	st->insn.kind = SITE_NONE;
	site_took_insn(st);
}

/* Does the instruction end the engine's block whatever follows? Every jump, call,
 * return, LOOP/JCXZ, software interrupt, IRET, HLT and UD2 does (QEMU ends a block at
 * each); other instructions may too (an undecodable one, a MOV to CR), which a
 * scan that stops here merely reads past. */
static bool ends_block(const uint8_t *b, unsigned len, bool long_mode)
{
	unsigned i = 0;
	while (i < len && (is_legacy_prefix(b[i]) || (long_mode && (b[i] & 0xf0) == 0x40)))
		i++;
	if (i >= len)
		return false;
	uint8_t op = b[i];
	if ((op & 0xf0) == 0x70 || (op >= 0xe0 && op <= 0xe3) || (op >= 0xe8 && op <= 0xeb) ||
	    op == 0xc2 || op == 0xc3 || (op >= 0xca && op <= 0xcf) || op == 0x9a || op == 0xf4)
		return true;
	if (op == 0xff && i + 1 < len) {
		unsigned reg = (b[i + 1] >> 3) & 7;
		return reg >= 2 && reg <= 5;      /* CALL/JMP near and far, indirect */
	}
	return op == 0x0f && i + 1 < len && ((b[i + 1] & 0xf0) == 0x80 || b[i + 1] == 0x0b);
}

/* ---- the one code hook (sites.h) ------------------------------------------- */

/* The engine's code hooks besides the sites' own. */
static int other_code_hooks(struct lp *lp, const struct sites *s)
{
	return hook_code_count(&lp->m->hooks, lp->uc) - (s->range_hook != 0);
}

static bool range_every(const struct sites *s)
{
	return s->range_begin > s->range_end;
}

/* Did the range in force call the hook at every instruction of [lo, hi]? */
static bool range_covers(const struct sites *s, uint64_t lo, uint64_t hi)
{
	return s->range_hook && (range_every(s) || (s->range_begin <= lo && hi <= s->range_end));
}

static void range_write(struct lp *lp, struct sites *s, uint64_t begin, uint64_t end)
{
	hook_range_write(&lp->m->hooks, s->range_hook, begin, end);
	s->range_begin = begin;
	s->range_end = end;
}

/* The next translations must call the hook at [lo, hi]: the range moves there
 * (the hook comes back first if it was forgotten, after the engine's other hooks).
 * With another code hook, the range is every instruction from now on (`wide`). */
static void range_need(struct lp *lp, struct sites *s, uint64_t lo, uint64_t hi)
{
	if (!s->range_hook && uc_hook_add(lp->uc, &s->range_hook, UC_HOOK_CODE, (void *)on_site, lp,
					  lo, hi) != UC_ERR_OK) {
		s->range_hook = 0;
		return;
	}
	if (other_code_hooks(lp, s) > 0)
		s->wide = true;
	if (s->wide)
		range_write(lp, s, 1, 0);
	else
		range_write(lp, s, lo, hi);
}

/* After a translation the scan checked: one made with another code hook on the
 * engine checks the range at run time whenever it runs, so the range may only
 * grow (to every instruction) until such translations are flushed. */
static void range_translated(struct lp *lp, struct sites *s)
{
	s->edge_seen = true;
	if (s->range_hook && !s->wide && other_code_hooks(lp, s) > 0) {
		s->wide = true;
		range_write(lp, s, 1, 0);
	}
}

/* Before a run (the engine stopped): translations that check the range at run time
 * go with a flush once the engine has no other code hook, and the range can narrow
 * again (to nothing until a block with sites is translated). */
static void range_narrow(struct lp *lp, struct sites *s)
{
	if (!s->wide || !s->edge_seen || other_code_hooks(lp, s) > 0)
		return;
	uc_ctl_flush_tb(lp->uc);
	s->wide = false;
	if (s->range_hook)
		range_write(lp, s, UINT64_MAX, UINT64_MAX);
}

/* A scan saw table sites in [lo, hi] (or could not read all of its block): if the
 * range in force did not cover them, it does now and the block is translated
 * again. True if so. */
static bool range_check(struct lp *lp, struct sites *s, uint64_t lo, uint64_t hi)
{
	if (lo > hi || range_covers(s, lo, hi))
		return false;
	range_need(lp, s, lo, hi);
	s->range_moves++;
	return true;
}

/* Scans the instructions that start in [pc, pc+size) for simulator instructions;
 * hooks the new ones. Returns the number of instructions seen. The engine ends a
 * block inside an instruction it cannot decode (INVPCID: it raises the #UD at
 * translation), so the bytes after the block are read too, to decode a last
 * instruction whole. With `one_block`, the scan ends after the first instruction
 * that ends the engine's block (ends_block). */
static unsigned scan_blocks(struct lp *lp, uint64_t pc, size_t size, bool one_block)
{
	uint8_t buf[4096 + 16];
	struct sites *s = lp->sites;
	uint64_t block_end = pc + size;
	uint64_t first = UINT64_MAX, last = 0;   /* the table's sites seen, for the range */
	if (size > 4096)
		size = 4096;
	size_t got = code_read(lp, pc, buf, size + 15);
	bool readable = got > 0;
	csh h = code_handle(lp);
	bool lm = h == lp->cs_handle;
	const uint8_t *code = buf;
	uint64_t addr = pc;
	cs_insn *ci = cs_malloc(h);
	unsigned count = 0;
	bool added = false;
	lp->sites->scanned_blocks++;
	while (got && addr < pc + size) {
		if (!next_insn(h, &code, &got, &addr, ci, code_bits(lp, h))) {
			forget_undecodable(lp->sites, addr, got);
			break;
		}
		count++;
		if (one_block && ends_block(ci->bytes, ci->size, lm)) {
			size = addr - pc;        /* this instruction is the last */
			block_end = addr;
		}
		enum site_kind k = site_classify_insn(ci->bytes, ci->size, lm, NULL);
		if (k == SITE_TASK_SWITCH && !task_switch_watched(lp))
			k = SITE_NONE;
		struct site *st = site_find(lp->sites, ci->address);
		if (k == SITE_NONE && !st)
			continue;
		if (!st) {
			st = site_insert(lp->sites, ci->address);
			if (!st)
				break;
			if (!s->ranged) {
				if (uc_hook_add(lp->uc, &st->hook, UC_HOOK_CODE, (void *)on_site, lp,
						ci->address, ci->address) != UC_ERR_OK)
					st->hook = 0;
				added = true;
			}
		}
		if (ci->address < first)
			first = ci->address;
		last = ci->address;
		read_insn(&st->insn, ci->bytes, ci->size, code_bits(lp, h));
		site_took_insn(st);
		st->cr3 = cpu_reg(lp->uc, UC_X86_REG_CR3);
		st->pa = site_pa(lp, ci->address, ci->size);
		st->block_end = pc + size;
		st->space = lp->sites->space;
	}
	cs_free(ci, 1);
	/* The range: bytes the scan could not read or decode may hold sites too.
	 * Nothing readable at pc is another matter: the engine cannot fetch there
	 * either (the same translation), so no block starts there before a later
	 * run's scan can read it (a kvmlike guest's first page before its EPT entry
	 * exists). Covering the page then would put the hook on every instruction of
	 * the blocks translated after (vtsim bench guest_mips_ratio fell to 0.1). */
	if (s->ranged && addr < block_end && readable) {
		first = addr < first ? addr : first;
		last = block_end - 1;
	}
	if (s->ranged && range_check(lp, s, first, last))
		added = true;
	if (added) {
		if (!s->retranslate || pc < s->lo)
			s->lo = pc;
		if (!s->retranslate || pc + size > s->hi)
			s->hi = pc + size;
		s->retranslate = true;
	}
	return count;
}

static unsigned scan(struct lp *lp, uint64_t pc, size_t size)
{
	return scan_blocks(lp, pc, size, false);
}

static void on_edge(uc_engine *uc, uc_tb *cur, uc_tb *prev, void *user)
{
	struct lp *lp = user;
	uint32_t *slot = block_slot(lp->sites, block_key(cur->pc, cur->size));
	if (slot)
		*slot = cur->icount;
	memset(lp->sites->recent, 0, sizeof(lp->sites->recent));
	scan(lp, cur->pc, cur->size);
	if (lp->sites->ranged)
		range_translated(lp, lp->sites);
	/* The block was translated without the hooks just added (or with a range that
	 * missed its sites): stop before it runs (the stop request is seen at block
	 * entry) and translate it again. */
	if (lp->sites->retranslate)
		uc_emu_stop(uc);
}

/* The recent blocks: each block has two candidate slots, so that the two or three
 * blocks of a loop do not keep evicting each other when their addresses hash alike
 * (a VMREAD loop's two blocks, 3 bytes apart, did). */
static unsigned recent_slot(uint64_t address)
{
	return (address ^ (address >> 4)) & 3;
}

static struct block_count *recent_find(struct sites *s, uint64_t address, uint64_t key)
{
	unsigned h = recent_slot(address);
	if (s->recent[h].key == key)
		return &s->recent[h];
	if (s->recent[h ^ 1].key == key)
		return &s->recent[h ^ 1];
	return NULL;
}

/* The VMX-preemption timer reaches 0 within the `n` instructions of this block:
 * the exit comes before it runs (vmx_timer.h). */
static bool preemption_timer_expired(struct lp *lp, uint64_t address, uint32_t n)
{
	if (lp->insns < lp->retire_check)
		return false;              /* nothing due yet: the common case */
	if (!vmx_timer_due(lp, n)) {
		lp_retire_slow(lp);
		return false;
	}
	struct cpu_view v;
	cpustate_view(&lp->cs, &v);
	vmx_timer_expire(lp, address - (cpu_view_long64(&v) ? 0 : v.segs[SEG_CS].base), false);
	return true;
}

/* The engine stops at this block's start, before it runs: it is counted when it
 * does. The engine's RIP may be stale (a block entered by a chained jump stores
 * none): lp_run_once puts the block's back. */
static void stop_before_block(struct lp *lp, uint64_t address)
{
	struct cpu_view v;
	cpustate_view(&lp->cs, &v);
	lp->active->block_stop_rip = address - (cpu_view_long64(&v) ? 0 : v.segs[SEG_CS].base);
	uc_emu_stop(lp->uc);
}

/* The block's `n` instructions are counted, unless what was due at its start (the
 * slow path just run: an APIC timer interrupt that waited and can now be taken)
 * asked for a stop there. */
static void retire_block(struct lp *lp, uint64_t address, uint32_t n)
{
	if (lp->stop_at_block) {
		stop_before_block(lp, address);
		return;
	}
	lp->block_insns = n;
	lp_retire(lp, n);
}

/* Everything but a repeat of a recent block with nothing due: a stop several LPs
 * asked for (smp.h), the preemption timer and the limits, and blocks not counted
 * yet. */
static __attribute__((noinline)) void on_block_slow(struct lp *lp, uint64_t address, uint32_t size)
{
	lp->block_insns = 0;          /* the last block is over, this one not counted yet */
	if (lp->stop_at_block) {
		stop_before_block(lp, address);
		return;
	}
	uint64_t key = block_key(address, size);
	struct block_count *rc = recent_find(lp->sites, address, key);
	if (rc) {
		if (!preemption_timer_expired(lp, address, rc->icount))
			retire_block(lp, address, rc->icount);
		return;
	}
	uint32_t *slot = block_slot(lp->sites, key);
	if (slot && !*slot) {
		/* A block the edge callback never saw (the engine's first): count it. */
		uint8_t buf[4096 + 16];
		size_t got = code_read(lp, address, buf, size > 4096 ? 4096 : size);
		csh h = code_handle(lp);
		const uint8_t *code = buf;
		uint64_t addr = address;
		cs_insn *ci = cs_malloc(h);
		uint32_t n = 0;
		while (got && next_insn(h, &code, &got, &addr, ci, code_bits(lp, h)))
			n++;
		cs_free(ci, 1);
		*slot = n ? n : 1;
	}
	if (slot) {
		/* Into the block's first slot; what was there moves to the other. */
		unsigned h = recent_slot(address);
		lp->sites->recent[h ^ 1] = lp->sites->recent[h];
		lp->sites->recent[h] = (struct block_count){ .key = key, .icount = *slot };
	}
	uint32_t n = slot ? *slot : 1;
	if (!preemption_timer_expired(lp, address, n))
		retire_block(lp, address, n);
}

/* Every translated block, each time it runs, while the LP counts instructions
 * (lp->counting): virtual time moves on by its instruction count. This runs more
 * than anything else vtsim does, so the common case (a block of the last few,
 * nothing due) is a few loads and compares. */
static void on_block(uc_engine *uc, uint64_t address, uint32_t size, void *user)
{
	struct lp *lp = user;
	lp->last_block_la = address;
	lp->last_block_size = size;
	if (lp->insns < lp->retire_check) {
		const struct block_count *rc = recent_find(lp->sites, address, block_key(address, size));
		if (rc) {
			lp->block_insns = rc->icount;
			lp_retire(lp, rc->icount);
			return;
		}
	}
	on_block_slow(lp, address, size);
}

int sites_count_blocks(struct lp *lp)
{
	uc_hook h;
	return uc_hook_add(lp->uc, &h, UC_HOOK_BLOCK, (void *)on_block, lp, 1, 0) == UC_ERR_OK ? 0 : -1;
}

void sites_calibrate(struct vtsim_machine *m, uc_engine *fresh)
{
	struct hook_layout *hl = &m->hooks;
	const char *want = getenv("VTSIM_SITE_HOOKS");
	if (want && !strcmp(want, "each")) {
		hl->tried = true;
		hl->ok = false;
		snprintf(hl->err, sizeof(hl->err), "VTSIM_SITE_HOOKS=each");
	} else {
		hook_layout_calibrate(hl, fresh);
	}
	if (!hl->ok)     /* once per machine: correct, only slower */
		fprintf(m->diag, "vtsim: %s; the sites get one code hook each\n", hl->err);
}

int sites_init(struct lp *lp)
{
	uc_hook h;
	memset(lp->sites, 0, sizeof(*lp->sites));
	if (lp->m->hooks.ok) {
		lp->sites->ranged = true;
		lp->sites->period = UINT32_MAX;     /* no sweep: a site costs nothing where it does not run */
	}
	if (uc_hook_add(lp->uc, &h, UC_HOOK_EDGE_GENERATED, (void *)on_edge, lp, 1, 0) != UC_ERR_OK)
		return -1;
	return lp->counting ? sites_count_blocks(lp) : 0;
}

void sites_fini(struct lp *lp)
{
	free(lp->sites->tab);
	free(lp->sites->blocks);
	memset(lp->sites, 0, sizeof(*lp->sites));
}

/* Did the last sweep delete a site in [lo, hi)? (Any counts when there were too
 * many to list.) */
static bool gone_in(const struct sites *s, uint64_t lo, uint64_t hi)
{
	if (s->gone_n > SWEEP_GONE_MAX)
		return true;
	for (size_t i = 0; i < s->gone_n; i++)
		if (s->gone[i] >= lo && s->gone[i] < hi)
			return true;
	return false;
}

/* The linear address the next run starts at. */
static uint64_t run_start_la(struct lp *lp)
{
	uint64_t rip = cpu_reg(lp->uc, UC_X86_REG_RIP);
	struct seg cs;
	cpustate_get_seg(&lp->cs, SEG_CS, &cs);
	return rip + (code_is_64(lp) ? 0 : cs.base);
}

/* With the one code hook, before the edge hook has reported a translation: a run's
 * first translations go unreported, so each run's first block is scanned (every
 * time: the range may have moved since) for the range to cover its sites. */
static void prime_ranged(struct lp *lp, struct sites *s)
{
	bool was_primed = s->primed;
	s->primed = true;
	scan_blocks(lp, run_start_la(lp), 4096, true);
	if (!was_primed)
		s->retranslate = false; /* nothing is translated yet */
}

void sites_prime(struct lp *lp)
{
	/* A run starts in a block no edge led to, so the edge hook never scans it:
	 * scan it here, unless it was one of the last few starts. (The first run,
	 * and every restart at a fresh RIP: after a fault the engine stops for, or
	 * a VM entry at a new guest RIP.) Only that block: the blocks after it
	 * have an edge, and code past it that never runs would only lengthen the
	 * hook list every site run walks (sites.h; a guest loop's one CPUID was
	 * three cold hooks away from an engine with one code hook, which Unicorn
	 * calls without the walk). */
	struct sites *s = lp->sites;
	if (s->ranged) {
		range_narrow(lp, s);
		if (!s->edge_seen)
			prime_ranged(lp, s);
		return;    /* later, every translation is scanned at the edge hook */
	}
	sweep_before_run(lp, s);
	uint64_t la = run_start_la(lp);
	bool sweep_restart = s->sweep_restart;
	s->sweep_restart = false;
	if (sweep_restart) {
		/* The block at la ends where the one the site was scanned in does. */
		if (s->restart_end > la && gone_in(s, la, s->restart_end))
			scan(lp, la, s->restart_end - la);
		return;
	}
	uint64_t key = (la ^ cpu_reg(lp->uc, UC_X86_REG_CR3) * 0x9e3779b97f4a7c15ull ^
			(uint64_t)s->space * 0xc2b2ae3d27d4eb4full) | 1;
	for (unsigned i = 0; i < SITES_PRIMED_RING; i++)
		if (s->primed_ring[i] == key)
			return;
	bool was_primed = s->primed;
	s->primed = true;
	if (!scan_blocks(lp, la, 512, true))
		return;            /* nothing readable there yet (e.g. not mapped by EPT) */
	s->primed_ring[s->primed_next++ % SITES_PRIMED_RING] = key;
	if (!was_primed)
		s->retranslate = false; /* nothing is translated yet */
}

bool sites_emulate_ud(struct lp *lp, uint64_t rip)
{
	struct seg cs;
	cpustate_get_seg(&lp->cs, SEG_CS, &cs);
	bool lm = code_is_64(lp);
	uint64_t la = rip + (lm ? 0 : cs.base);
	uint8_t buf[15];
	size_t got = code_read(lp, la, buf, sizeof(buf));
	csh h = code_handle(lp);
	cs_insn *ci = NULL;
	size_t n = cs_disasm(h, buf, got, la, 1, &ci);
	struct site_insn in = { 0 };
	if (n == 1)
		read_insn(&in, buf, ci[0].size, code_bits(lp, h));
	cs_free(ci, n);
	if (in.kind != SITE_VMX)
		return false;
	scan(lp, la, in.len);  /* hooks the site; the block is translated again */
	struct cpu_view v;
	cpustate_view(&lp->cs, &v);
	run_handler(lp, handler_of(in.kind), &v, &in);
	return true;
}

void sites_forget(struct sites *s, uc_engine *uc)
{
	for (size_t i = 0; i < s->cap; i++)
		if (s->tab[i].used && s->tab[i].hook)
			uc_hook_del(uc, s->tab[i].hook);
	if (s->range_hook)
		uc_hook_del(uc, s->range_hook);
	s->range_hook = 0;
	if (s->tab)
		memset(s->tab, 0, s->cap * sizeof(*s->tab));
	hot_clear(s);
	s->count = 0;
	memset(s->primed_ring, 0, sizeof(s->primed_ring));
	memset(s->recent, 0, sizeof(s->recent));
}

void sites_new_space(struct sites *s)
{
	s->space++;
}

bool sites_take_hooked(struct sites *s, uint64_t *lo, uint64_t *hi)
{
	if (!s->retranslate)
		return false;
	s->retranslate = false;
	*lo = s->lo;
	*hi = s->hi;
	return true;
}

bool sites_take_retranslate(struct lp *lp, uint64_t *lo, uint64_t *hi)
{
	bool swept = lp->sites->sweep_stopped;
	lp->sites->sweep_stopped = false;
	*lo = *hi = 0;
	if (!lp->sites->retranslate) {
		lp->sites->sweep_restart = swept;
		return swept;
	}
	return sites_take_hooked(lp->sites, lo, hi);
}
