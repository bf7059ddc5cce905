/* Which memory an instruction accesses: decoded from its bytes (Capstone) with
 * the LP's registers, for the events that must name an exact address the engine
 * does not report (CR2, the guest-linear and guest-physical addresses of an EPT
 * violation). */
#ifndef VTSIM_INSN_MEM_H
#define VTSIM_INSN_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include <capstone/capstone.h>

struct lp;

/* The value of a Capstone register (X86_REG_*: 64-, 32- and 16-bit general
 * registers, RIP) in the LP's running engine; 0 for others. */
uint64_t insn_reg_value(struct lp *lp, unsigned cs_reg);

/* The linear address of the memory operand `op` of the Capstone instruction `ci`
 * (decoded at its own address, with details), in the LP's running engine: base,
 * index, displacement, RIP-relative, the segment's base (only FS and GS in 64-bit
 * mode) and the address size of 32- and 16-bit code. */
uint64_t insn_operand_la(struct lp *lp, const cs_insn *ci, const cs_x86_op *op, bool long64, bool code32);

/* The first linear address in the 4 KiB page `page` that the instruction at RIP
 * (CS base included) reads (write = false) or writes: its explicit memory
 * operands, and the stack for PUSH, POP, CALL and RET. 0 and *la, or -1 when no
 * operand touches the page. */
int insn_mem_access_in_page(struct lp *lp, uint64_t page, bool write, uint64_t *la);

/* Does the instruction at RIP read (write = false) or write bytes of the physical
 * range [pa, pa + size), through the LP's current translation (looked up without
 * setting accessed or dirty flags)? */
bool insn_mem_touches_pa(struct lp *lp, uint64_t pa, unsigned size, bool write);

/* The instruction at RIP when it is a MOV between memory and a 32- or 64-bit general
 * register (8B, 89) or from an immediate to memory (C7): what an access that must
 * be redirected (APIC virtualization, apicv.h) needs to perform it in software. */
struct insn_mov {
	uint64_t la;          /* linear address of the memory operand */
	unsigned size;        /* its size in bytes */
	bool store;           /* memory is the destination */
	int gpr;              /* the register operand (0-15), -1 for an immediate */
	uint64_t imm;         /* the immediate (sign-extended) of a store */
	unsigned len;         /* instruction length */
};
/* 0 and *m, or -1 for any other instruction or form. */
int insn_mem_mov(struct lp *lp, struct insn_mov *m);

/* The length of the instruction at RIP, 0 when it cannot be decoded. */
unsigned insn_mem_length(struct lp *lp);

/* Does the instruction at RIP access memory at an address its operand size does
 * not divide (what alignment checking faults on)? */
bool insn_mem_misaligned(struct lp *lp);

#endif
