/* Non-canonical linear addresses in 64-bit mode (noncanon.h). */
#include "sim/cpu/noncanon.h"

#include <capstone/capstone.h>

#include "sim/cpu/exception.h"
#include "sim/cpu/insn_mem.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/mmu.h"

bool noncanon_in_64bit_mode(struct lp *lp, uint64_t la)
{
	struct cpu_view v;
	cpustate_view(&lp->cs, &v);
	return cpu_view_long64(&v) && !la_canonical(la, v.cr4);
}

/* Up to n bytes of code or data at la, as a supervisor access that sets no
 * accessed or dirty flag: what vtsim reads to look at an instruction. */
static size_t peek(struct lp *lp, uint64_t la, void *buf, size_t n)
{
	struct mmu_ctx c;
	struct mmu_fault f;
	lp_mmu_ctx(lp, &c);
	for (; n; n--)
		if (!mmu_read(&lp->m->pm, &c, la, buf, n, MMU_SUPERVISOR | MMU_NO_AD, &f))
			return n;
	return 0;
}

/* The 64-bit instruction at la, decoded with details; NULL when it cannot be. */
static cs_insn *decode(csh h, struct lp *lp, uint64_t la)
{
	uint8_t code[15];
	size_t got = peek(lp, la, code, sizeof(code));
	cs_insn *ci = NULL;
	if (got && cs_disasm(h, code, got, la, 1, &ci) == 1)
		return ci;
	return NULL;
}

bool noncanon_via_stack(struct lp *lp, uint64_t rip)
{
	struct cpu_view v;
	cpustate_view(&lp->cs, &v);
	if (!cpu_view_long64(&v))
		return false;
	csh h;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return false;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	bool ss = false;
	/* Capstone decodes nothing for bytes that are no instruction, such as one
	 * longer than 15 bytes (the #GP(0) the engine raised for it): no stack access. */
	cs_insn *ci = decode(h, lp, rip);
	if (ci) {
		const cs_x86 *x = &ci->detail->x86;
		for (int i = 0; i < x->op_count; i++) {
			const cs_x86_op *op = &x->operands[i];
			if (op->type != X86_OP_MEM || ci->id == X86_INS_LEA)
				continue;
			bool via_ss = op->mem.segment == X86_REG_SS ||
				      (op->mem.segment == X86_REG_INVALID &&
				       (op->mem.base == X86_REG_RSP || op->mem.base == X86_REG_RBP));
			if (via_ss && !la_canonical(insn_operand_la(lp, ci, op, true, false), v.cr4))
				ss = true;
		}
		/* Implicit stack accesses: push, pop, call, ret and friends. */
		for (int i = 0; i < ci->detail->regs_read_count; i++)
			if (ci->detail->regs_read[i] == X86_REG_RSP) {
				uint64_t sp = cpu_reg(lp->uc, UC_X86_REG_RSP);
				if (!la_canonical(sp, v.cr4) || !la_canonical(sp - 8, v.cr4))
					ss = true;
			}
		cs_free(ci, 1);
	}
	cs_close(&h);
	return ss;
}

void noncanon_data_fault(struct lp *lp)
{
	uint64_t rip = cpu_reg(lp->uc, UC_X86_REG_RIP);
	exc_fault(lp, noncanon_via_stack(lp, rip) ? VEC_SS : VEC_GP, 0);
}

/* The value of a branch's target operand: an immediate (Capstone resolves a
 * relative one), a register or a quadword in memory. */
static bool operand_value(struct lp *lp, const cs_insn *ci, const cs_x86_op *op, uint64_t *val)
{
	switch (op->type) {
	case X86_OP_IMM:
		*val = (uint64_t)op->imm;
		return true;
	case X86_OP_REG:
		*val = insn_reg_value(lp, op->reg);
		return true;
	case X86_OP_MEM:
		return op->size == 8 && peek(lp, insn_operand_la(lp, ci, op, true, false), val, 8) == 8;
	default:
		return false;
	}
}

static bool is_jcc_or_jmp(unsigned id)
{
	static const unsigned ids[] = {
		X86_INS_JMP, X86_INS_JAE, X86_INS_JA, X86_INS_JBE, X86_INS_JB, X86_INS_JE,
		X86_INS_JGE, X86_INS_JG, X86_INS_JLE, X86_INS_JL, X86_INS_JNE, X86_INS_JNO,
		X86_INS_JNP, X86_INS_JNS, X86_INS_JO, X86_INS_JP, X86_INS_JS, X86_INS_JRCXZ,
		X86_INS_JECXZ,
	};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* Undoes what the near branch `ci` did before the engine faulted at `target`, if it
 * is one that goes there: RSP for CALL (the return address it stored stays in
 * memory below RSP, which software cannot rely on) and RET, RCX for LOOP. */
static bool undo_branch(struct lp *lp, const cs_insn *ci, uint64_t target)
{
	const cs_x86 *x = &ci->detail->x86;
	uint64_t rsp = cpu_reg(lp->uc, UC_X86_REG_RSP), rcx = cpu_reg(lp->uc, UC_X86_REG_RCX);
	uint64_t new_rsp = rsp, new_rcx = rcx, to;
	bool ok;
	switch (ci->id) {
	case X86_INS_CALL:
		new_rsp = rsp + 8;
		cpu_set_reg(lp->uc, UC_X86_REG_RSP, new_rsp);   /* the operand may use RSP */
		ok = x->op_count == 1 && operand_value(lp, ci, &x->operands[0], &to);
		break;
	case X86_INS_RET: {
		uint64_t pop = x->op_count == 1 && x->operands[0].type == X86_OP_IMM ? (uint16_t)x->operands[0].imm : 0;
		new_rsp = rsp - 8 - pop;
		ok = peek(lp, new_rsp, &to, 8) == 8;
		break;
	}
	case X86_INS_LOOP: case X86_INS_LOOPE: case X86_INS_LOOPNE:
		new_rcx = x->addr_size == 4 ? (uint32_t)(rcx + 1) : rcx + 1;
		ok = x->op_count == 1 && operand_value(lp, ci, &x->operands[0], &to);
		break;
	default:
		ok = is_jcc_or_jmp(ci->id) && x->op_count == 1 &&
		     operand_value(lp, ci, &x->operands[0], &to);
		break;
	}
	if (!ok || to != target) {
		cpu_set_reg(lp->uc, UC_X86_REG_RSP, rsp);
		return false;
	}
	cpu_set_reg(lp->uc, UC_X86_REG_RSP, new_rsp);
	cpu_set_reg(lp->uc, UC_X86_REG_RCX, new_rcx);
	return true;
}

/* The last instruction of the block [pc, pc + size): its RIP, or ~0. */
static uint64_t last_insn_of_block(csh h, struct lp *lp, uint64_t pc, uint32_t size)
{
	uint8_t buf[512 + 15];
	if (!size || size > 512)
		return ~0ull;
	size_t got = peek(lp, pc, buf, size + 15 > sizeof(buf) ? sizeof(buf) : size + 15);
	const uint8_t *code = buf;
	uint64_t addr = pc, last = ~0ull;
	cs_insn *ci = cs_malloc(h);
	while (got && addr < pc + size) {
		uint64_t at = addr;
		if (!cs_disasm_iter(h, &code, &got, &addr, ci))
			break;
		last = at;
	}
	cs_free(ci, 1);
	return addr == pc + size ? last : ~0ull;
}

/* Which instruction branched to `target`, undone; its RIP, or ~0. */
static uint64_t find_branch(struct lp *lp, uint64_t target)
{
	csh h;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return ~0ull;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	uint64_t cand[2] = { lp->last_insn_la, ~0ull }, found = ~0ull;
	if (lp->last_block_size)
		cand[1] = last_insn_of_block(h, lp, lp->last_block_la, lp->last_block_size);
	for (unsigned i = 0; i < 2 && found == ~0ull; i++) {
		if (cand[i] == ~0ull)
			continue;
		cs_insn *ci = decode(h, lp, cand[i]);
		if (ci && undo_branch(lp, ci, target))
			found = cand[i];
		if (ci)
			cs_free(ci, 1);
	}
	cs_close(&h);
	return found;
}

void noncanon_fetch_fault(struct lp *lp)
{
	uint64_t rip = cpu_reg(lp->uc, UC_X86_REG_RIP);
	/* An instruction that starts canonical and runs into the non-canonical range
	 * faults itself. */
	if (!noncanon_in_64bit_mode(lp, rip)) {
		exc_fault(lp, VEC_GP, 0);
		return;
	}
	uint64_t b = find_branch(lp, rip);
	if (b == ~0ull)
		b = rip;
	exc_deliver(lp, VEC_GP, 0, EXC_FAULT, b, b);
}
