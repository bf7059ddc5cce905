/* CPU state beyond Unicorn's register API: see cpustate.h for why. */
#include "sim/cpu/cpustate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* QEMU's hidden-flag bits (target/i386/cpu.h) that a segment load recomputes. */
#define DESC_B_MASK    (1u << 22)
#define DESC_L_MASK    (1u << 21)
#define DESC_P_MASK    (1u << 15)
#define CR0_PE         1u
#define EFLAGS_VM      (1u << 17)

/* QEMU's SegmentCache: selector, base, limit, flags (descriptor high dword). */
#define SC_SIZE   24
#define SC_SEL    0
#define SC_BASE   8
#define SC_LIMIT  16
#define SC_FLAGS  20
_Static_assert(CPUSTATE_SEGS_LEN == (SEG_COUNT + 2) * SC_SIZE, "segment caches, then GDTR and IDTR");

/* Where the members sit when CPUX86State starts with regs[16], eip, eflags,
 * cc_dst/src/src2, cc_op, df, hflags, hflags2, segs[6], ldt, tr, gdt, idt, cr[5]. */
#define EXPECT_HFLAGS 176
#define EXPECT_SEGS   184
#define EXPECT_CR     424
/* cr[5], a20_mask, bnd_regs[4], bndcs_regs, msr_bndcfgs, then efer. */
#define EXPECT_EFER   560
#define HOT_SIZE      576
/* regs[16], eip, eflags, cc_*, df, hflags, hflags2: what cpustate_regs reads. */
#define REGS_SIZE     (EXPECT_HFLAGS + 8)

uint64_t cpu_reg(uc_engine *uc, int reg)
{
	uint64_t v = 0;
	uc_reg_read(uc, reg, &v);
	return v;
}

void cpu_set_reg(uc_engine *uc, int reg, uint64_t v)
{
	uc_reg_write(uc, reg, &v);
}

uint64_t cpu_msr(uc_engine *uc, uint32_t idx)
{
	uc_x86_msr msr = { .rid = idx };
	uc_reg_read(uc, UC_X86_REG_MSR, &msr);
	return msr.value;
}

void cpu_set_msr(uc_engine *uc, uint32_t idx, uint64_t v)
{
	uc_x86_msr msr = { .rid = idx, .value = v };
	uc_reg_write(uc, UC_X86_REG_MSR, &msr);
}

static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static void wr64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* Unicorn's register IDs in ModRM/VMCS order. */
const int cpu_gpr_ids[16] = {
	UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX,
	UC_X86_REG_RSP, UC_X86_REG_RBP, UC_X86_REG_RSI, UC_X86_REG_RDI,
	UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_R10, UC_X86_REG_R11,
	UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
};

/* Finds `pat` in `buf`; returns its offset or -1. */
static long find_bytes(const uint8_t *buf, size_t n, const void *pat, size_t m)
{
	for (size_t i = 0; i + m <= n; i += 4)
		if (!memcmp(buf + i, pat, m))
			return (long)i;
	return -1;
}

/* Where writing one register (or MSR: reg UC_X86_REG_MSR) changes the saved state:
 * the first and last changed byte of the context, [lo, hi). False when the write
 * fails or changes nothing. `a` and `b` are scratch contexts. Only the bytes up to
 * `total` count: some words past the debug registers change by themselves. */
static bool probe_where(uc_engine *uc, uc_context *a, uc_context *b, size_t total, int reg,
			const void *val, size_t *lo, size_t *hi)
{
	uc_context_save(uc, a);
	if (uc_reg_write(uc, reg, val) != UC_ERR_OK)
		return false;
	uc_context_save(uc, b);
	const uint8_t *pa = (const uint8_t *)a, *pb = (const uint8_t *)b;
	size_t i = 0, j = total;
	while (i < total && pa[i] == pb[i])
		i++;
	while (j > i && pa[j - 1] == pb[j - 1])
		j--;
	*lo = i;
	*hi = j;
	return i < j;
}

static bool probe_msr(uc_engine *uc, uc_context *a, uc_context *b, size_t total, uint32_t idx,
		      uint64_t v, size_t *lo, size_t *hi)
{
	uc_x86_msr msr = { .rid = idx, .value = v };
	return probe_where(uc, a, b, total, UC_X86_REG_MSR, &msr, lo, hi);
}

/* A register write whose every change must fall inside [from, to). */
static bool probe_inside(uc_engine *uc, uc_context *a, uc_context *b, size_t total, int reg,
			 const void *val, size_t from, size_t to)
{
	size_t lo, hi;
	return probe_where(uc, a, b, total, reg, val, &lo, &hi) && lo >= from && hi <= to;
}

/* The SYSCALL MSRs in the order QEMU keeps them (IA32_STAR, a word of AMD's,
 * IA32_LSTAR, IA32_CSTAR, IA32_FMASK, IA32_KERNEL_GS_BASE): offsets from STAR's.
 * The values are canonical with every byte non-zero, so each change shows whole. */
static const struct { uint32_t msr; size_t at; uint64_t probe; } syscall_msr_probe[] = {
	{ 0xc0000081, 0, 0x0123456789abcdefull },
	{ 0xc0000082, 16, 0xffff8a5b3c4d5e6full },
	{ 0xc0000083, 24, 0xffff8b5c3d4e5f61ull },
	{ 0xc0000084, 32, 0x1122334455667788ull },
	{ 0xc0000102, 40, 0xffff8c5d3e4f5162ull },
};

/* The SYSENTER MSRs (CS found by the caller, at `cs_at`): ESP and EIP whole words
 * after it, and which bits of CS the engine's WRMSR keeps. */
static bool calibrate_sysenter(uc_engine *uc, struct cpustate_layout *lay, uc_context *a, uc_context *b,
			       size_t end, size_t cs_at)
{
	size_t lo, hi;
	lay->sysenter[0] = cs_at;
	for (int i = 1; i < 3; i++) {
		if (!probe_msr(uc, a, b, end, 0x174 + (uint32_t)i, 0x8877665544332211ull + (uint64_t)i, &lo, &hi) ||
		    hi != lo + 8 || lo <= cs_at)
			return false;
		lay->sysenter[i] = lo;
	}
	cpu_set_msr(uc, 0x174, 0xffffffff);
	lay->sysenter_cs_mask = (uint32_t)cpu_msr(uc, 0x174);
	uc_context_save(uc, a);
	return rd32((const uint8_t *)a + cs_at) == lay->sysenter_cs_mask;
}

/* The optional half of the calibration: the state VM entry and exit leave alone,
 * which vmx_carry.c copies between the engines. Each place is found by writing a
 * register through the API and seeing which bytes of the saved state change. NULL
 * on success, else what did not match. */
static const char *calibrate_shared(uc_engine *uc, struct cpustate_layout *lay, size_t dr_at)
{
	/* The probes leave the engine as they found it (`keep`): the engine is LP 0's. */
	uc_context *a = NULL, *b = NULL, *keep = NULL;
	if (uc_context_alloc(uc, &a) != UC_ERR_OK || uc_context_alloc(uc, &b) != UC_ERR_OK ||
	    uc_context_alloc(uc, &keep) != UC_ERR_OK) {
		if (a)
			uc_context_free(a);
		if (b)
			uc_context_free(b);
		return "no context";
	}
	uc_context_save(uc, keep);
	const char *why = NULL;
	size_t lo, hi, end = dr_at + 8 * 8;      /* nothing carried lies past DR7 */
	lay->dr = dr_at;
	/* (The API's CR2 write also rewrites CR3: only CR2's place is checked.) */
	uint64_t v = 0x1122334455667788ull;
	if (!probe_where(uc, a, b, end, UC_X86_REG_CR2, &v, &lo, &hi) || rd64((const uint8_t *)b + lay->cr + 16) != v)
		why = "CR2";
	v = 0xffff4ff1;
	if (!why && !probe_inside(uc, a, b, end, UC_X86_REG_DR6, &v, dr_at + 48, dr_at + 56))
		why = "DR6";
	/* The x87 state, MXCSR and XMM0-15 run from just after EFER to the end of
	 * XMM15's slot (QEMU keeps wider slots, and after them registers no model here
	 * has, then the upper halves of YMM0-15, then IA32_SYSENTER_CS). */
	lay->fpu = lay->efer + 8;
	size_t sysenter = 0, x0 = 0, x15 = 0, y0 = 0, y15 = 0;
	if (!why && (!probe_msr(uc, a, b, end, 0x174, 0x5a5a, &sysenter, &hi) || sysenter <= lay->fpu))
		why = "IA32_SYSENTER_CS";
	if (!why && !calibrate_sysenter(uc, lay, a, b, end, sysenter))
		why = "IA32_SYSENTER_ESP and IA32_SYSENTER_EIP";
	uint8_t vec[32];
	for (int i = 0; i < 32; i++)
		vec[i] = (uint8_t)(0x81 + i);
	/* YMM writes after the XMM ones with the same low half change the upper alone. */
	if (!why && !(probe_where(uc, a, b, end, UC_X86_REG_XMM0, vec, &x0, &hi) && hi == x0 + 16 &&
		      probe_where(uc, a, b, end, UC_X86_REG_XMM15, vec, &x15, &hi) && hi == x15 + 16 &&
		      probe_where(uc, a, b, end, UC_X86_REG_YMM0, vec, &y0, &hi) && hi == y0 + 16 &&
		      probe_where(uc, a, b, end, UC_X86_REG_YMM15, vec, &y15, &hi) && hi == y15 + 16 &&
		      x15 > x0 && (x15 - x0) % 15 == 0 && y15 == y0 + 15 * 16))
		why = "the XMM and YMM registers";
	lay->fpu_len = x0 + (x15 - x0) / 15 * 16 - lay->fpu;
	lay->xmm = x0;
	lay->xmm_stride = (x15 - x0) / 15;
	lay->ymmh = y0;
	size_t fpu_end = lay->fpu + lay->fpu_len;
	uint32_t mxcsr = 0x7f80;
	uint16_t fpcw = 0x0c7f, fpsw = 0x3800;
	uint8_t st0[10] = { 1, 2, 3, 4, 5, 6, 7, 0x88, 0xff, 0x3f };
	/* The x87 state and MXCSR lie before XMM0 (the carry copies that head and
	 * 16 bytes of each XMM slot). */
	if (!why && !(fpu_end <= y0 && y0 + YMMH_LEN <= sysenter && x0 > lay->fpu &&
		      probe_inside(uc, a, b, end, UC_X86_REG_MXCSR, &mxcsr, lay->fpu, x0) &&
		      probe_inside(uc, a, b, end, UC_X86_REG_FPCW, &fpcw, lay->fpu, x0) &&
		      probe_inside(uc, a, b, end, UC_X86_REG_FPSW, &fpsw, lay->fpu, x0) &&
		      probe_inside(uc, a, b, end, UC_X86_REG_ST0, st0, lay->fpu, x0) &&
		      probe_inside(uc, a, b, end, UC_X86_REG_ST7, st0, lay->fpu, x0)))
		why = "the x87 registers and MXCSR";
	for (size_t i = 0; !why && i < sizeof(syscall_msr_probe) / sizeof(syscall_msr_probe[0]); i++) {
		if (!probe_msr(uc, a, b, end, syscall_msr_probe[i].msr, syscall_msr_probe[i].probe, &lo, &hi) ||
		    hi != lo + 8 || (i && lo != lay->syscall_msrs + syscall_msr_probe[i].at))
			why = "the SYSCALL MSRs";
		else if (!i)
			lay->syscall_msrs = lo;
	}
	/* XCR0 has no API: it is the word after IA32_TSC_AUX, and holds x87 (bit 0),
	 * always set, and no component above 19 (the last one defined). */
	if (!why && !probe_msr(uc, a, b, end, 0xc0000103, 0x11223344, &lo, &hi))
		why = "IA32_TSC_AUX";
	lay->xcr0 = lo + 8;
	uint64_t xcr0 = 0;
	uc_context_save(uc, a);
	memcpy(&xcr0, (const uint8_t *)a + lay->xcr0, 8);
	if (!why && (!(xcr0 & 1) || xcr0 >> 20))
		why = "XCR0";
	uc_context_restore(uc, keep);
	uc_context_free(keep);
	uc_context_free(a);
	uc_context_free(b);
	lay->shared_ok = !why;
	return why;
}

#define RFLAGS_ARITH_MASK 0x8d5u   /* OF, SF, ZF, AF, PF, CF */
#define RFLAGS_DF         (1u << 10)

/* Does cpustate_rflags_to_state leave what the register API's RFLAGS and EFLAGS writes
 * leave? Each probe value is written both ways from the same state and the two
 * states compared up to the debug registers (the words past them change by
 * themselves). The engine is left as it was found. */
static void calibrate_rflags(uc_engine *uc, struct cpustate_layout *lay)
{
	static const uint64_t probes[] = { 0x2 | 0x8d5 | RFLAGS_DF, 0x202, 0x40046 };
	static const int ids[] = { UC_X86_REG_RFLAGS, UC_X86_REG_EFLAGS };
	uc_context *a = NULL, *b = NULL, *keep = NULL;
	lay->rflags_ok = false;
	if (!lay->shared_ok || uc_context_alloc(uc, &a) != UC_ERR_OK || uc_context_alloc(uc, &b) != UC_ERR_OK ||
	    uc_context_alloc(uc, &keep) != UC_ERR_OK)
		goto out;
	uc_context_save(uc, keep);
	size_t end = lay->dr + 8 * 8;
	bool ok = true;
	for (size_t i = 0; ok && i < sizeof(probes) / sizeof(probes[0]); i++) {
		for (size_t k = 0; ok && k < sizeof(ids) / sizeof(ids[0]); k++) {
			uc_context_save(uc, a);
			ok = uc_reg_write(uc, ids[k], &probes[i]) == UC_ERR_OK;
			uc_context_save(uc, b);
			int32_t op = (int32_t)rd32((const uint8_t *)b + lay->data + ENV_CC_OP);
			if (i == 0 && k == 0)
				lay->cc_op_eflags = op;
			cpustate_rflags_to_state(lay, (uint8_t *)a, probes[i]);
			ok = ok && op == lay->cc_op_eflags && !memcmp(a, b, end);
		}
	}
	uc_context_restore(uc, keep);
	lay->rflags_ok = ok;
out:
	if (a)
		uc_context_free(a);
	if (b)
		uc_context_free(b);
	if (keep)
		uc_context_free(keep);
}

/* RFLAGS from the lazy form at `d` (the state's data), as the register API's read
 * computes it (QEMU's cpu_compute_eflags: the low 32 bits of eflags without the
 * arithmetic flags and DF, the arithmetic flags from cc_op, DF from df), for the
 * forms the calibration knows; false for any other. */
#define CC_P 0x04u
#define CC_Z 0x40u
#define CC_S 0x80u
static bool rflags_from_state(const struct cpustate_layout *l, const uint8_t *d, uint64_t *out)
{
	int32_t op = (int32_t)rd32(d + ENV_CC_OP);
	uint32_t arith;
	if (op == l->cc_op_eflags) {
		arith = (uint32_t)rd64(d + ENV_CC_SRC);          /* whole */
	} else if (op == l->cc_op_clr && op > 0) {
		arith = CC_Z | CC_P;                          /* XOR or SUB of a register with itself */
	} else if ((uint32_t)(op - l->cc_op_logic) < 4 && l->cc_op_logic > 0) {
		/* CF, AF and OF clear; PF, ZF and SF of the result at its width. */
		unsigned bits = 8u << (op - l->cc_op_logic);
		uint64_t dst = rd64(d + 18 * 8);              /* cc_dst */
		if (bits < 64)
			dst &= (1ull << bits) - 1;
		arith = (__builtin_parity((uint8_t)dst) ? 0 : CC_P) | (dst ? 0 : CC_Z) |
			((dst >> (bits - 1)) & 1 ? CC_S : 0);
	} else {
		return false;
	}
	uint32_t df = rd32(d + ENV_DF);
	*out = ((uint32_t)rd64(d + ENV_EFLAGS) & ~(RFLAGS_ARITH_MASK | RFLAGS_DF)) | arith | (df & RFLAGS_DF);
	return true;
}

/* The lazy forms rflags_from_state reads, each written into a saved state and
 * read back through the register API: (cc_dst, cc_src, eflags, df). The results
 * tell the widths apart (a sign bit, a zero at one width only), and cc_src both
 * 0 and all ones rule out every other operation's formula (carries, shifts, MUL,
 * BMI: each reads it). */
static const struct { uint64_t dst, src, eflags; int32_t df; } rflags_probes[] = {
	{ 0, 0, 0x2, 1 }, { 0x80, ~0ull, 0x202, 1 }, { 0x100, 0, 0x302, -1 },
	{ 0x8000, ~0ull, 0x2, 1 }, { 0x10000, 0, 0x40202, 1 }, { 0x80000000u, ~0ull, 0x2, -1 },
	{ 0x100000000ull, 0, 0x202, 1 }, { 0x8000000000000000ull, ~0ull, 0x2, 1 },
	{ 0x3, 0, 0x2, 1 }, { 0x7, ~0ull, 0x2, 1 }, { 0xfffffffffffffffeull, 0x8d5, 0x2, 1 },
	{ 0x5a5a5a5a00000000ull, 0x8d5 | 0x300, 0x30fff0202ull, -1 },
};
#define NR_RFLAGS_PROBES (sizeof(rflags_probes) / sizeof(rflags_probes[0]))

/* The register API's RFLAGS for lazy form `i` with operation `op` (the engine is
 * at `a`, a saved state, which this leaves patched). */
static uint64_t api_rflags_of(uc_engine *uc, const struct cpustate_layout *l, uc_context *a, size_t i,
			      int32_t op)
{
	uint8_t *d = (uint8_t *)a + l->data;
	wr64(d + ENV_EFLAGS, rflags_probes[i].eflags);
	wr64(d + 18 * 8, rflags_probes[i].dst);
	wr64(d + ENV_CC_SRC, rflags_probes[i].src);
	wr64(d + 20 * 8, rflags_probes[i].src);
	wr32(d + ENV_CC_OP, (uint32_t)op);
	wr32(d + ENV_DF, (uint32_t)rflags_probes[i].df);
	uc_context_restore(uc, a);
	return cpu_reg(uc, UC_X86_REG_RFLAGS);
}

/* Whether rflags_from_state answers as the API for every probe with `op`. */
static bool rflags_read_matches(uc_engine *uc, const struct cpustate_layout *l, uc_context *a, int32_t op)
{
	for (size_t i = 0; i < NR_RFLAGS_PROBES; i++) {
		uint64_t api = api_rflags_of(uc, l, a, i, op), mine;
		if (!rflags_from_state(l, (const uint8_t *)a + l->data, &mine) || mine != api)
			return false;
	}
	return true;
}

/* The one operation code after CC_OP_EFLAGS (and before 64: QEMU has about 50)
 * with which the API answers every probe as rflags_from_state does when it takes
 * that code for the one `*code` names; 0 when none or several do. */
static int32_t find_cc_op(uc_engine *uc, struct cpustate_layout *lay, uc_context *a, int32_t *code)
{
	int32_t found = 0;
	for (int32_t op = lay->cc_op_eflags + 1; op < 64; op++) {
		*code = op;
		if (rflags_read_matches(uc, lay, a, op))
			found = found ? -1 : op;     /* two: not what this expects */
	}
	*code = 0;
	return found > 0 ? found : 0;
}

/* Finds QEMU's CC_OP_LOGICB (byte-wide logical operations; W, L and Q must follow
 * it) and CC_OP_CLR (a register XORed with itself: ZF and PF), then checks the
 * whole read, CC_OP_EFLAGS too. The engine is left as it was found. */
static void calibrate_rflags_read(uc_engine *uc, struct cpustate_layout *lay)
{
	uc_context *a = NULL, *keep = NULL;
	lay->rflags_read_ok = false;
	lay->cc_op_logic = lay->cc_op_clr = 0;
	if (!lay->rflags_ok || uc_context_alloc(uc, &a) != UC_ERR_OK || uc_context_alloc(uc, &keep) != UC_ERR_OK)
		goto out;
	/* The probes change only the registers' head of the state: contexts of that
	 * length (as cpustate_init's regs) make each of some 300 restores short. */
	size_t head = REGS_SIZE;
	memcpy(a, &head, sizeof(head));
	memcpy(keep, &head, sizeof(head));
	uc_context_save(uc, keep);
	uc_context_save(uc, a);
	int32_t logic = find_cc_op(uc, lay, a, &lay->cc_op_logic);
	int32_t clr = find_cc_op(uc, lay, a, &lay->cc_op_clr);
	lay->cc_op_logic = logic;
	lay->cc_op_clr = clr;
	bool ok = logic && clr && rflags_read_matches(uc, lay, a, lay->cc_op_eflags) &&
		  rflags_read_matches(uc, lay, a, clr);
	for (int32_t w = 0; ok && w < 4; w++)
		ok = rflags_read_matches(uc, lay, a, logic + w);
	lay->rflags_read_ok = ok;
	uc_context_restore(uc, keep);
out:
	if (a)
		uc_context_free(a);
	if (keep)
		uc_context_free(keep);
}

int cpustate_calibrate(uc_engine *uc, struct cpustate_layout *lay, char *err, size_t errlen)
{
	memset(lay, 0, sizeof(*lay));
	uc_context *ctx;
	if (uc_context_alloc(uc, &ctx) != UC_ERR_OK) {
		snprintf(err, errlen, "cannot allocate a Unicorn context");
		return -1;
	}
	lay->ctx_size = uc_context_size(uc) - 0; /* whole object; data offset found below */

	/* Distinctive register values, then look for them in the saved context. */
	for (int i = 0; i < 16; i++)
		cpu_set_reg(uc, cpu_gpr_ids[i], 0x5a5a000000000000ull | ((uint64_t)i << 32) | 0x1234u);
	static const uint64_t drs[4] = { 0x11110000d0d0d0d0ull, 0x22220000d1d1d1d1ull,
					 0x33330000d2d2d2d2ull, 0x44440000d3d3d3d3ull };
	for (int i = 0; i < 4; i++)
		cpu_set_reg(uc, UC_X86_REG_DR0 + i, drs[i]);
	uc_context_save(uc, ctx);

	/* The context object holds a header, then the copy of the CPU state. Find the
	 * start of the copy through RAX (regs[0]). */
	const uint8_t *raw = (const uint8_t *)ctx;
	size_t total = uc_context_size(uc);
	uint64_t rax = cpu_reg(uc, UC_X86_REG_RAX);
	long base = find_bytes(raw, total, &rax, 8);
	int ok = base >= 0;
	for (int i = 0; ok && i < 16; i++)
		ok = rd64(raw + base + 8 * i) == cpu_reg(uc, cpu_gpr_ids[i]);
	long dr = ok ? find_bytes(raw + base, total - base, drs, sizeof(drs)) : -1;
	if (!ok || dr < 16) {
		uc_context_free(ctx);
		snprintf(err, errlen, "unsupported Unicorn build: its CPU state layout is not the "
			 "one vtsim was written for (Unicorn 2.1.x); refusing to guess");
		return -1;
	}
	size_t data = (size_t)base;
	lay->data = data;
	lay->efer = data + EXPECT_EFER;
	lay->hflags = data + EXPECT_HFLAGS;
	lay->segs = data + EXPECT_SEGS;
	lay->cr = data + EXPECT_CR;
	/* error_code, exception_is_int and exception_next_eip sit just before dr[8]. */
	lay->error_code = data + (size_t)dr - 16;
	lay->exception_is_int = data + (size_t)dr - 12;
	/* dr[8], then four breakpoint pointers, then old_exception. */
	lay->old_exception = data + (size_t)dr + 8 * 8 + 4 * sizeof(void *);

	/* Verify what we will patch against the register API. */
	uc_x86_mmr gdtr = { 0 }, idtr = { 0 }, tr = { 0 };
	uc_reg_read(uc, UC_X86_REG_GDTR, &gdtr);
	uc_reg_read(uc, UC_X86_REG_IDTR, &idtr);
	uc_reg_read(uc, UC_X86_REG_TR, &tr);
	ok = rd64(raw + data + EXPECT_CR) == cpu_reg(uc, UC_X86_REG_CR0) &&
	     rd64(raw + data + EXPECT_CR + 24) == cpu_reg(uc, UC_X86_REG_CR3) &&
	     rd64(raw + data + EXPECT_CR + 32) == cpu_reg(uc, UC_X86_REG_CR4) &&
	     rd64(raw + lay->segs + 8 * SC_SIZE + SC_BASE) == gdtr.base &&
	     rd64(raw + lay->segs + 9 * SC_SIZE + SC_BASE) == idtr.base &&
	     rd32(raw + lay->segs + 9 * SC_SIZE + SC_LIMIT) == idtr.limit &&
	     rd32(raw + lay->segs + 7 * SC_SIZE + SC_LIMIT) == tr.limit &&
	     rd32(raw + lay->segs + SEG_CS * SC_SIZE + SC_SEL) == cpu_reg(uc, UC_X86_REG_CS);
	ok = ok && rd64(raw + lay->efer) == cpu_msr(uc, 0xc0000080);
	/* One more: a CR4 value round trip proves the cr[] offset. */
	uint64_t cr4 = cpu_reg(uc, UC_X86_REG_CR4) ^ (1u << 9); /* OSFXSR */
	cpu_set_reg(uc, UC_X86_REG_CR4, cr4);
	uc_context_save(uc, ctx);
	ok = ok && rd64(raw + data + EXPECT_CR + 32) == cpu_reg(uc, UC_X86_REG_CR4);
	/* cpustate_regs reads CR0.PE from the hidden flags: they must follow CR0. */
	for (uint64_t pe = 0; ok && pe < 2; pe++) {
		cpu_set_reg(uc, UC_X86_REG_CR0, (cpu_reg(uc, UC_X86_REG_CR0) & ~1ull) | pe);
		uc_context_save(uc, ctx);
		ok = ((rd32(raw + data + EXPECT_HFLAGS) & HF_PE_MASK) != 0) == (pe != 0);
	}
	uc_context_free(ctx);
	if (!ok) {
		snprintf(err, errlen, "unsupported Unicorn build: control-register or segment "
			 "state is not where vtsim expects it");
		return -1;
	}
	lay->ctx_size = total;
	const char *why = calibrate_shared(uc, lay, data + (size_t)dr);
	if (why)
		snprintf(lay->shared_err, sizeof(lay->shared_err), "%s not found in this Unicorn build's CPU state", why);
	else
		cpustate_env_calibrate(uc, lay);
	calibrate_rflags(uc, lay);
	calibrate_rflags_read(uc, lay);
	return 0;
}

int cpustate_init(struct cpustate *cs, uc_engine *uc, struct cpustate_layout *lay)
{
	cs->uc = uc;
	cs->lay = lay;
	if (uc_context_alloc(uc, &cs->ctx) != UC_ERR_OK || uc_context_alloc(uc, &cs->hot) != UC_ERR_OK ||
	    uc_context_alloc(uc, &cs->regs) != UC_ERR_OK)
		return -1;
	/* The copy's length is the context's first member (Unicorn's struct uc_context):
	 * the hot and regs contexts copy only the head of the state. */
	size_t hot = HOT_SIZE, regs = REGS_SIZE;
	memcpy(cs->hot, &hot, sizeof(hot));
	memcpy(cs->regs, &regs, sizeof(regs));
	cs->env = lay->shared_ok ? cpustate_env_find(uc, lay, cs->ctx) : NULL;
	return 0;
}

void cpustate_fini(struct cpustate *cs)
{
	if (cs->ctx)
		uc_context_free(cs->ctx);
	if (cs->hot)
		uc_context_free(cs->hot);
	if (cs->regs)
		uc_context_free(cs->regs);
	cs->ctx = cs->hot = cs->regs = NULL;
	cs->env = NULL;
}

const char *cpustate_access(const struct cpustate *cs)
{
	if (cs->env)
		return !cs->lay->rflags_ok ? "in place, RFLAGS through the register API"
		       : cs->lay->rflags_read_ok ? "in place" : "in place, RFLAGS read through the register API";
	return cs->lay->shared_ok ? "saved contexts" : "saved contexts, carry through the register API";
}

/* The state at the layout's offsets: the live one in place when its address is
 * known (cpustate_env_find), else a copy of its first bytes, as many as the
 * context `c` takes. An edit of the copy goes back with state_commit; one in
 * place is done (a restore would copy the same bytes). */
/* The copies are the slow way. A call that keeps every register its caller uses
 * (clang's preserve_most) leaves the accessors on the exit round trip without
 * register saves on their way in place (38 -> 20 instructions for
 * cpustate_control). Clang 14 does not return a value from such a function
 * (it restores RAX too), so neither returns one. */
#if defined(__clang__) && defined(__x86_64__)
#define SLOW_WAY __attribute__((noinline, cold, preserve_most))
#else
#define SLOW_WAY __attribute__((noinline, cold))
#endif

static SLOW_WAY void state_save(struct cpustate *cs, uc_context *c)
{
	uc_context_save(cs->uc, c);
}

static SLOW_WAY void state_restore(struct cpustate *cs, uc_context *c)
{
	uc_context_restore(cs->uc, c);
}

static inline uint8_t *state_at(struct cpustate *cs, uc_context *c)
{
	if (cs->env)
		return (uint8_t *)((uintptr_t)cs->env - cs->lay->data);
	state_save(cs, c);
	return (uint8_t *)c;
}

static inline void state_commit(struct cpustate *cs, uc_context *c)
{
	if (!cs->env)
		state_restore(cs, c);
}

static void seg_from_cache(const uint8_t *sc, struct seg *s)
{
	uint32_t flags = rd32(sc + SC_FLAGS);
	s->sel = (uint16_t)rd32(sc + SC_SEL);
	s->base = rd64(sc + SC_BASE);
	s->limit = rd32(sc + SC_LIMIT);
	s->attr = (flags >> 8) & 0xf0ff;
	if (!(flags & DESC_P_MASK))
		s->attr |= SEG_ATTR_UNUSABLE;
}

/* TR holds a busy TSS (LTR marks it busy, a task switch loads a busy one), but the
 * engine's LTR keeps the descriptor's available type (1 or 9) in its cache: the
 * register as the processor holds it has the busy type (3 or 11), what a VM exit
 * saves and VM entry requires. */
static void tr_busy(struct seg *tr)
{
	unsigned type = tr->attr & 0xf;
	if (type == 1 || type == 9)
		tr->attr |= 2;
}

void cpustate_get_segs(struct cpustate *cs, struct seg segs[SEG_COUNT])
{
	const uint8_t *p = state_at(cs, cs->hot) + cs->lay->segs;
	for (int i = 0; i < SEG_COUNT; i++)
		seg_from_cache(p + i * SC_SIZE, &segs[i]);
	tr_busy(&segs[SEG_TR]);
}

void cpustate_get_seg(struct cpustate *cs, enum seg_reg r, struct seg *s)
{
	seg_from_cache(state_at(cs, cs->hot) + cs->lay->segs + r * SC_SIZE, s);
	if (r == SEG_TR)
		tr_busy(s);
}

/* GDTR and IDTR follow the eight segment caches (LDTR and TR last). */
static void dtr_from_cache(const uint8_t *sc, struct dtr *d)
{
	d->base = rd64(sc + SC_BASE);
	d->limit = rd32(sc + SC_LIMIT);
}

static void dtr_to_cache(uint8_t *sc, const struct dtr *d)
{
	wr64(sc + SC_BASE, d->base);
	wr32(sc + SC_LIMIT, d->limit & 0xffff);   /* as the register API stores it */
}

/* The view's registers and mode: all but the segments and descriptor tables. */
static void view_regs(struct cpustate *cs, const uint8_t *h, struct cpu_view *v)
{
	v->cr0 = rd64(h + cs->lay->cr);
	v->cr2 = rd64(h + cs->lay->cr + 16);
	v->cr3 = rd64(h + cs->lay->cr + 24);
	v->cr4 = rd64(h + cs->lay->cr + 32);
	v->efer = rd64(h + cs->lay->efer);
	memcpy(v->gpr, h + cs->lay->data, sizeof(v->gpr));
	v->rip = rd64(h + cs->lay->data + ENV_EIP);
	v->eflags = rd64(h + cs->lay->data + ENV_EFLAGS);
	/* DF lives apart, as +1/-1, after cc_dst/cc_src/cc_src2 and cc_op. */
	int32_t df;
	memcpy(&df, h + cs->lay->data + ENV_DF, 4);
	v->eflags = (v->eflags & ~(1ull << 10)) | (df < 0 ? 1ull << 10 : 0);
	v->cpl = rd32(h + cs->lay->hflags) & HF_CPL_MASK;
	v->intr_shadow = rd32(h + cs->lay->hflags) & HF_INHIBIT_IRQ_MASK;
}

void cpustate_view(struct cpustate *cs, struct cpu_view *v)
{
	const uint8_t *h = state_at(cs, cs->hot);
	const uint8_t *p = h + cs->lay->segs;
	for (int i = 0; i < SEG_COUNT; i++)
		seg_from_cache(p + i * SC_SIZE, &v->segs[i]);
	tr_busy(&v->segs[SEG_TR]);
	view_regs(cs, h, v);
	v->has_segs = true;
	dtr_from_cache(p + SEG_COUNT * SC_SIZE, &v->gdtr);
	dtr_from_cache(p + (SEG_COUNT + 1) * SC_SIZE, &v->idtr);
}

void cpustate_view_mode(struct cpustate *cs, struct cpu_view *v)
{
	const uint8_t *h = state_at(cs, cs->hot);
	/* The rest zero, not stale: a few stores. */
	memset(v->segs, 0, sizeof(v->segs));
	memset(&v->gdtr, 0, sizeof(v->gdtr));
	memset(&v->idtr, 0, sizeof(v->idtr));
	seg_from_cache(h + cs->lay->segs + SEG_CS * SC_SIZE, &v->segs[SEG_CS]);
	view_regs(cs, h, v);
	v->has_segs = false;
}

void cpustate_control_copy(struct cpustate *cs, uint64_t *cr0, uint64_t *cr3, uint64_t *cr4, uint64_t *efer)
{
	const uint8_t *h = state_at(cs, cs->hot);
	*cr0 = rd64(h + cs->lay->cr);
	*cr3 = rd64(h + cs->lay->cr + 24);
	*cr4 = rd64(h + cs->lay->cr + 32);
	*efer = rd64(h + cs->lay->efer);
}

void cpustate_regs(struct cpustate *cs, struct cpu_regs *r)
{
	const uint8_t *c = state_at(cs, cs->regs), *h = c + cs->lay->data;
	memcpy(r->gpr, h, sizeof(r->gpr));
	r->rip = rd64(h + ENV_EIP);
	int32_t df;   /* as in cpustate_view */
	memcpy(&df, h + ENV_DF, 4);
	r->eflags = (rd64(h + ENV_EFLAGS) & ~(1ull << 10)) | (df < 0 ? 1ull << 10 : 0);
	uint32_t hf = rd32(c + cs->lay->hflags);
	r->cpl = hf & HF_CPL_MASK;
	r->pe = hf & HF_PE_MASK;
	r->lma = hf & HF_LMA_MASK;
	r->cs64 = hf & HF_CS64_MASK;
	r->cs32 = hf & HF_CS32_MASK;
}

static uint32_t seg_flags(const struct seg *s)
{
	if (s->attr & SEG_ATTR_UNUSABLE)
		return (s->attr & 0x60) << 8; /* keep DPL: SS.DPL is the CPL */
	return (s->attr & 0xf0ff) << 8;
}

/* Recomputes the hidden mode flags the way a processor's descriptor load does. */
static uint32_t recompute_hflags(uint32_t hflags, const uint8_t *segs, uint64_t cr0, uint64_t eflags)
{
	uint32_t cs_flags = rd32(segs + SEG_CS * SC_SIZE + SC_FLAGS);
	uint32_t ss_flags = rd32(segs + SEG_SS * SC_SIZE + SC_FLAGS);

	if ((hflags & HF_LMA_MASK) && (cs_flags & DESC_L_MASK))
		hflags |= HF_CS32_MASK | HF_SS32_MASK | HF_CS64_MASK;
	else
		hflags = (hflags & ~(HF_CS32_MASK | HF_CS64_MASK)) |
			 ((cs_flags & DESC_B_MASK) >> (22 - 4));
	hflags = (hflags & ~HF_CPL_MASK) | ((ss_flags >> 13) & 3);

	uint32_t nh = (ss_flags & DESC_B_MASK) >> (22 - 5);
	if (hflags & HF_CS64_MASK) {
		/* flat DS/ES/SS in long mode */
	} else if (!(cr0 & CR0_PE) || (eflags & EFLAGS_VM) || !(hflags & HF_CS32_MASK)) {
		nh |= HF_ADDSEG_MASK;
	} else {
		uint64_t bases = rd64(segs + SEG_DS * SC_SIZE + SC_BASE) |
				 rd64(segs + SEG_ES * SC_SIZE + SC_BASE) |
				 rd64(segs + SEG_SS * SC_SIZE + SC_BASE);
		nh |= (bases != 0) ? HF_ADDSEG_MASK : 0;
	}
	return (hflags & ~(HF_SS32_MASK | HF_ADDSEG_MASK)) | nh;
}

void cpustate_get_gprs(struct cpustate *cs, uint64_t gpr[16])
{
	const uint8_t *p = state_at(cs, cs->hot) + cs->lay->data;
	for (int i = 0; i < 16; i++)
		gpr[i] = rd64(p + 8 * i);
}

void cpustate_set_gprs(struct cpustate *cs, const uint64_t gpr[16], bool keep_rsp)
{
	uint8_t *p = state_at(cs, cs->hot) + cs->lay->data;
	for (int i = 0; i < 16; i++)
		if (!keep_rsp || i != 4)
			wr64(p + 8 * i, gpr[i]);
	state_commit(cs, cs->hot);
}

void cpustate_set_segs(struct cpustate *cs, const struct seg segs[SEG_COUNT], unsigned mask)
{
	cpustate_set_segs_tables(cs, segs, mask, NULL, NULL, NULL, NULL, false);
}

void cpustate_set_segs_tables(struct cpustate *cs, const struct seg segs[SEG_COUNT], unsigned mask,
			      const struct dtr *gdtr, const struct dtr *idtr, const uint64_t *gpr,
			      const uint64_t *new_rip, bool in_loop)
{
	uint8_t *h = state_at(cs, cs->hot);
	/* RIP and the system flags as the register API reads them (the engine keeps
	 * the arithmetic flags apart; only VM matters here). */
	uint64_t rip = new_rip ? *new_rip : rd64(h + cs->lay->data + ENV_EIP);
	uint64_t eflags = rd64(h + cs->lay->data + ENV_EFLAGS);
	uint8_t *p = h + cs->lay->segs;
	for (unsigned m = mask & ((1u << SEG_COUNT) - 1); m; m &= m - 1) {
		unsigned i = (unsigned)__builtin_ctz(m);
		uint8_t *sc = p + i * SC_SIZE;
		wr32(sc + SC_SEL, segs[i].sel);
		wr64(sc + SC_BASE, segs[i].base);
		wr32(sc + SC_LIMIT, segs[i].limit);
		wr32(sc + SC_FLAGS, seg_flags(&segs[i]));
	}
	if (gdtr)
		dtr_to_cache(p + SEG_COUNT * SC_SIZE, gdtr);
	if (idtr)
		dtr_to_cache(p + (SEG_COUNT + 1) * SC_SIZE, idtr);
	if (gpr)
		memcpy(h + cs->lay->data, gpr, 16 * sizeof(gpr[0]));
	uint8_t *hf = h + cs->lay->hflags;
	uint64_t cr0 = rd64(h + cs->lay->cr);
	wr32(hf, recompute_hflags(rd32(hf), p, cr0, eflags));
	state_commit(cs, cs->hot);
	/* A new CS means a new translation context: make Unicorn look the PC up again. */
	cpustate_jump(cs, rip, in_loop);
}

bool cpustate_segs_copy(struct cpustate *cs, struct cpu_seg_bytes *img)
{
	if (!cs->env)
		return false;
	const uint8_t *h = cs->env - cs->lay->data;
	memcpy(img->segs, h + cs->lay->segs, CPUSTATE_SEGS_LEN);
	cpustate_get_sysenter(cs, img->sysenter);
	return true;
}

uint32_t cpustate_error_code(struct cpustate *cs)
{
	return rd32(state_at(cs, cs->ctx) + cs->lay->error_code);
}

bool cpustate_exception_is_int(struct cpustate *cs)
{
	return rd32(state_at(cs, cs->ctx) + cs->lay->exception_is_int) != 0;
}

void cpustate_exception_done(struct cpustate *cs)
{
	wr32(state_at(cs, cs->ctx) + cs->lay->old_exception, (uint32_t)-1);
	state_commit(cs, cs->ctx);
}

void cpustate_set_cr2(struct cpustate *cs, uint64_t cr2)
{
	wr64(state_at(cs, cs->hot) + cs->lay->cr + 16, cr2);
	state_commit(cs, cs->hot);
}

void cpustate_get_sysenter(struct cpustate *cs, uint64_t v[3])
{
	if (!cs->env) {
		for (uint32_t i = 0; i < 3; i++)
			v[i] = cpu_msr(cs->uc, 0x174 + i);
		return;
	}
	const uint8_t *h = state_at(cs, cs->hot);
	v[0] = rd32(h + cs->lay->sysenter[0]);
	v[1] = rd64(h + cs->lay->sysenter[1]);
	v[2] = rd64(h + cs->lay->sysenter[2]);
}

void cpustate_set_sysenter(struct cpustate *cs, const uint64_t v[3])
{
	if (!cs->env) {
		for (uint32_t i = 0; i < 3; i++)
			cpu_set_msr(cs->uc, 0x174 + i, v[i]);
		return;
	}
	uint8_t *h = state_at(cs, cs->hot);
	wr32(h + cs->lay->sysenter[0], (uint32_t)v[0] & cs->lay->sysenter_cs_mask);
	wr64(h + cs->lay->sysenter[1], v[1]);
	wr64(h + cs->lay->sysenter[2], v[2]);
}

bool cpustate_interrupt_shadow_ctx(struct cpustate *cs)
{
	return rd32(state_at(cs, cs->hot) + cs->lay->hflags) & HF_INHIBIT_IRQ_MASK;
}

void cpustate_set_interrupt_shadow_ctx(struct cpustate *cs, bool on)
{
	uint8_t *h = state_at(cs, cs->hot);
	uint32_t hf = rd32(h + cs->lay->hflags);
	wr32(h + cs->lay->hflags, on ? hf | (1u << 3) : hf & ~(1u << 3));
	state_commit(cs, cs->hot);
}

unsigned cpustate_cpl(struct cpustate *cs)
{
	return rd32(state_at(cs, cs->hot) + cs->lay->hflags) & HF_CPL_MASK;
}

uint64_t cpustate_cr3(struct cpustate *cs)
{
	return cs->env ? rd64(state_at(cs, cs->hot) + cs->lay->cr + 24) : cpu_reg(cs->uc, UC_X86_REG_CR3);
}

uint64_t cpustate_dr7_api(struct cpustate *cs)
{
	return cpu_reg(cs->uc, UC_X86_REG_DR7);
}

uint64_t cpustate_rflags(struct cpustate *cs)
{
	uint64_t v;
	if (cs->env && cs->lay->rflags_read_ok && rflags_from_state(cs->lay, cs->env, &v))
		return v;
	return cpu_reg(cs->uc, UC_X86_REG_RFLAGS);
}

void cpustate_write_dr7(struct cpustate *cs, uint64_t v)
{
	cpu_set_reg(cs->uc, UC_X86_REG_DR7, v);
}

void cpustate_set_rflags_api(struct cpustate *cs, uint64_t v)
{
	cpu_set_reg(cs->uc, UC_X86_REG_RFLAGS, v);
}

void cpustate_set_gpr_api(struct cpustate *cs, unsigned reg, uint64_t v)
{
	cpu_set_reg(cs->uc, cpu_gpr_ids[reg & 15], v);
}
