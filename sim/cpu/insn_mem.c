/* Memory operands of an instruction, as linear addresses (insn_mem.h). */
#include "sim/cpu/insn_mem.h"

#include <capstone/capstone.h>

#include "sim/cpu/machine.h"

uint64_t insn_reg_value(struct lp *lp, unsigned reg)
{
	/* Capstone's 64-, 32- and 16-bit names of the sixteen registers, in order. */
	static const unsigned names[3][16] = {
		{ X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX, X86_REG_RSP, X86_REG_RBP, X86_REG_RSI,
		  X86_REG_RDI, X86_REG_R8, X86_REG_R9, X86_REG_R10, X86_REG_R11, X86_REG_R12, X86_REG_R13,
		  X86_REG_R14, X86_REG_R15 },
		{ X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX, X86_REG_ESP, X86_REG_EBP, X86_REG_ESI,
		  X86_REG_EDI, X86_REG_R8D, X86_REG_R9D, X86_REG_R10D, X86_REG_R11D, X86_REG_R12D,
		  X86_REG_R13D, X86_REG_R14D, X86_REG_R15D },
		{ X86_REG_AX, X86_REG_CX, X86_REG_DX, X86_REG_BX, X86_REG_SP, X86_REG_BP, X86_REG_SI,
		  X86_REG_DI, X86_REG_R8W, X86_REG_R9W, X86_REG_R10W, X86_REG_R11W, X86_REG_R12W,
		  X86_REG_R13W, X86_REG_R14W, X86_REG_R15W },
	};
	static const uint64_t width_mask[3] = { ~0ull, 0xffffffffull, 0xffffull };
	if (reg == X86_REG_RIP || reg == X86_REG_EIP)
		return cpu_reg(lp->uc, UC_X86_REG_RIP);
	for (int w = 0; w < 3; w++)
		for (int i = 0; i < 16; i++)
			if (names[w][i] == reg)
				return cpu_reg(lp->uc, cpu_gpr_ids[i]) & width_mask[w];
	return 0;
}

static uint64_t seg_base(struct lp *lp, unsigned cs_seg, bool long64)
{
	static const struct { unsigned cs; enum seg_reg s; } map[] = {
		{ X86_REG_ES, SEG_ES }, { X86_REG_CS, SEG_CS }, { X86_REG_SS, SEG_SS },
		{ X86_REG_DS, SEG_DS }, { X86_REG_FS, SEG_FS }, { X86_REG_GS, SEG_GS },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].cs == cs_seg) {
			if (long64 && map[i].s != SEG_FS && map[i].s != SEG_GS)
				return 0;
			struct seg s;
			cpustate_get_seg(&lp->cs, map[i].s, &s);
			return s.base;
		}
	return 0;
}

/* Does [la, la + size) meet the page? Then *out is its first byte there. */
static bool meets(uint64_t la, unsigned size, uint64_t page, uint64_t *out)
{
	uint64_t end = la + (size ? size : 1) - 1;
	if ((la & ~0xfffull) != page && (end & ~0xfffull) != page)
		return false;
	*out = (la & ~0xfffull) == page ? la : page;
	return true;
}

static bool is_stack_insn(unsigned id, bool *write)
{
	switch (id) {
	case X86_INS_PUSH: case X86_INS_PUSHFQ: case X86_INS_PUSHFD: case X86_INS_PUSHF:
	case X86_INS_CALL:
		*write = true;
		return true;
	case X86_INS_POP: case X86_INS_POPFQ: case X86_INS_POPFD: case X86_INS_POPF:
	case X86_INS_RET: case X86_INS_IRETQ: case X86_INS_IRETD: case X86_INS_IRET:
		*write = false;
		return true;
	default:
		return false;
	}
}

/* Calls visit() for each memory access of the instruction at RIP (linear address,
 * size, whether it reads and whether it writes) until it returns true; true then. */
typedef bool (*access_visit)(void *ctx, uint64_t la, unsigned size, bool read, bool write);

/* The instruction at RIP, decoded with its operands' details (Capstone handle and
 * instruction for the caller to free with insn_done); false when it cannot be read
 * or decoded. */
struct insn_at_rip {
	struct cpu_view v;
	bool long64, code32;
	csh h;
	cs_insn *ci;
};

static bool insn_at_rip(struct lp *lp, struct insn_at_rip *d)
{
	cpustate_view(&lp->cs, &d->v);
	d->long64 = cpu_view_long64(&d->v);
	d->code32 = !d->long64 && (d->v.segs[SEG_CS].attr & (1u << 14));
	d->ci = NULL;
	uint64_t rip_la = d->v.rip + (d->long64 ? 0 : d->v.segs[SEG_CS].base);
	uint8_t code[15];
	struct mmu_ctx c;
	struct mmu_fault f;
	mmu_ctx_from_view(&c, lp, &d->v);
	size_t n = 0;
	while (n < sizeof(code) && !mmu_fetch(&lp->m->pm, &c, rip_la + n, code + n, 1,
					      MMU_SUPERVISOR | MMU_NO_AD, &f))
		n++;
	if (cs_open(CS_ARCH_X86, d->long64 ? CS_MODE_64 : d->code32 ? CS_MODE_32 : CS_MODE_16, &d->h) != CS_ERR_OK)
		return false;
	cs_option(d->h, CS_OPT_DETAIL, CS_OPT_ON);
	if (n && cs_disasm(d->h, code, n, d->v.rip, 1, &d->ci) == 1)
		return true;
	cs_close(&d->h);
	return false;
}

static void insn_done(struct insn_at_rip *d)
{
	cs_free(d->ci, 1);
	cs_close(&d->h);
}

uint64_t insn_operand_la(struct lp *lp, const cs_insn *ci, const cs_x86_op *op, bool long64, bool code32)
{
	uint64_t ea = (uint64_t)op->mem.disp;
	if (op->mem.base == X86_REG_RIP)
		ea += ci->address + ci->size;
	else if (op->mem.base != X86_REG_INVALID)
		ea += insn_reg_value(lp, op->mem.base);
	if (op->mem.index != X86_REG_INVALID)
		ea += insn_reg_value(lp, op->mem.index) * (uint64_t)op->mem.scale;
	if (!long64)
		ea &= code32 ? 0xffffffffull : 0xffffull;
	unsigned seg = op->mem.segment != X86_REG_INVALID ? op->mem.segment
		     : (op->mem.base == X86_REG_RSP || op->mem.base == X86_REG_RBP ||
			op->mem.base == X86_REG_ESP || op->mem.base == X86_REG_EBP) ? X86_REG_SS
		     : X86_REG_DS;
	return ea + seg_base(lp, seg, long64);
}

/* The linear address of a memory operand of the instruction at RIP. */
static uint64_t mem_operand_la(struct lp *lp, const struct insn_at_rip *d, const cs_x86_op *op)
{
	return insn_operand_la(lp, d->ci, op, d->long64, d->code32);
}

static bool each_access(struct lp *lp, access_visit visit, void *ctx)
{
	struct insn_at_rip d;
	if (!insn_at_rip(lp, &d))
		return false;
	const cs_x86 *x = &d.ci->detail->x86;
	bool done = false;
	/* LEA and the hint NOPs name memory without touching it. */
	bool touches = d.ci->id != X86_INS_LEA && d.ci->id != X86_INS_NOP;
	for (int i = 0; i < x->op_count && touches && !done; i++) {
		const cs_x86_op *op = &x->operands[i];
		if (op->type != X86_OP_MEM)
			continue;
		/* Capstone leaves the access unknown (0) for some reads. */
		bool rd = (op->access & CS_AC_READ) || !op->access;
		done = visit(ctx, mem_operand_la(lp, &d, op), op->size, rd, op->access & CS_AC_WRITE);
	}
	bool stack_write;
	if (!done && is_stack_insn(d.ci->id, &stack_write)) {
		unsigned size = d.long64 ? 8 : d.code32 ? 4 : 2;
		uint64_t sp = d.v.gpr[4] + seg_base(lp, X86_REG_SS, d.long64);
		done = visit(ctx, stack_write ? sp - size : sp, size, !stack_write, stack_write);
	}
	insn_done(&d);
	return done;
}

unsigned insn_mem_length(struct lp *lp)
{
	struct insn_at_rip d;
	if (!insn_at_rip(lp, &d))
		return 0;
	unsigned n = d.ci->size;
	insn_done(&d);
	return n;
}

/* The index (0-15) of a 32- or 64-bit general register named by Capstone, or -1. */
static int gpr_index(unsigned reg, unsigned *bytes)
{
	static const unsigned r64[16] = {
		X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX, X86_REG_RSP, X86_REG_RBP, X86_REG_RSI,
		X86_REG_RDI, X86_REG_R8, X86_REG_R9, X86_REG_R10, X86_REG_R11, X86_REG_R12, X86_REG_R13,
		X86_REG_R14, X86_REG_R15 };
	static const unsigned r32[16] = {
		X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX, X86_REG_ESP, X86_REG_EBP, X86_REG_ESI,
		X86_REG_EDI, X86_REG_R8D, X86_REG_R9D, X86_REG_R10D, X86_REG_R11D, X86_REG_R12D,
		X86_REG_R13D, X86_REG_R14D, X86_REG_R15D };
	for (int i = 0; i < 16; i++) {
		if (r64[i] == reg || r32[i] == reg) {
			*bytes = r64[i] == reg ? 8 : 4;
			return i;
		}
	}
	return -1;
}

int insn_mem_mov(struct lp *lp, struct insn_mov *m)
{
	struct insn_at_rip d;
	if (!insn_at_rip(lp, &d))
		return -1;
	const cs_x86 *x = &d.ci->detail->x86;
	int r = -1;
	if (d.ci->id == X86_INS_MOV && x->op_count == 2) {
		const cs_x86_op *dst = &x->operands[0], *src = &x->operands[1];
		const cs_x86_op *mem = dst->type == X86_OP_MEM ? dst : src;
		const cs_x86_op *other = mem == dst ? src : dst;
		unsigned bytes = 0;
		m->store = mem == dst;
		m->size = mem->size;
		m->len = d.ci->size;
		m->gpr = other->type == X86_OP_REG ? gpr_index(other->reg, &bytes) : -1;
		m->imm = other->type == X86_OP_IMM ? (uint64_t)other->imm : 0;
		bool reg_ok = m->gpr >= 0 && bytes == m->size;
		bool imm_ok = other->type == X86_OP_IMM && m->store;
		if (mem->type == X86_OP_MEM && other->type != X86_OP_MEM && (reg_ok || imm_ok)) {
			m->la = mem_operand_la(lp, &d, mem);
			r = 0;
		}
	}
	insn_done(&d);
	return r;
}

struct in_page {
	uint64_t page, *la;
	bool write;
};

static bool access_in_page(void *ctx, uint64_t la, unsigned size, bool read, bool write)
{
	struct in_page *p = ctx;
	if (p->write ? !write : !read)
		return false;
	return meets(la, size, p->page, p->la);
}

int insn_mem_access_in_page(struct lp *lp, uint64_t page, bool write, uint64_t *la)
{
	struct in_page p = { page, la, write };
	return each_access(lp, access_in_page, &p) ? 0 : -1;
}

struct touches_pa {
	struct lp *lp;
	struct mmu_ctx c;
	uint64_t pa;
	unsigned size;
	bool write;
};

static bool access_touches_pa(void *ctx, uint64_t la, unsigned size, bool read, bool write)
{
	struct touches_pa *t = ctx;
	if (t->write ? !write : !read)
		return false;
	/* Each byte on its own: an access may cross into the range from another page. */
	for (unsigned i = 0; i < size; i++) {
		uint64_t pa;
		struct mmu_fault f;
		if (!mmu_translate(&t->lp->m->pm, &t->c, la + i, write ? MMU_WRITE : MMU_READ, MMU_NO_AD, &pa, &f) &&
		    pa >= t->pa && pa < t->pa + t->size)
			return true;
	}
	return false;
}

bool insn_mem_touches_pa(struct lp *lp, uint64_t pa, unsigned size, bool write)
{
	struct touches_pa t = { .lp = lp, .pa = pa, .size = size, .write = write };
	lp_mmu_ctx(lp, &t.c);
	return each_access(lp, access_touches_pa, &t);
}

/* SDM Vol. 3, "Alignment Checking", table "Alignment Requirements by Data Type":
 * words, doublewords and quadwords on their own size, 80-bit x87 data on 8; larger
 * operands have rules of their own (#GP for aligned SSE forms), not checked here. */
static bool misaligned(void *ctx, uint64_t la, unsigned size, bool read, bool write)
{
	unsigned align = size == 10 ? 8 : (size == 2 || size == 4 || size == 8) ? size : 1;
	return la & (align - 1);
}

bool insn_mem_misaligned(struct lp *lp)
{
	return each_access(lp, misaligned, NULL);
}
