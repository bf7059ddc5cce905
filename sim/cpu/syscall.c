/* SYSCALL and SYSRET as Intel processors execute them (SDM Vol. 2B "SYSCALL",
 * "SYSRET").
 *
 * Why vtsim takes them over: Unicorn's SYSCALL only calls the embedder's syscall
 * hooks and moves RIP past it (no RCX, R11, RFLAGS, CS, SS or LSTAR). Its SYSRET
 * (QEMU 5.0 TCG) follows AMD's rules: it runs outside 64-bit mode, where Intel
 * raises #UD; it loads RIP from a non-canonical RCX, where Intel raises #GP(0) at
 * CPL 0; and it loads RFLAGS from R11 keeping VM and RF, where Intel masks R11 with
 * 3C7FD7H (the reserved bits, RF and VM clear) and sets bit 1. A guest's SYSRET
 * with VM set in R11 then saved GUEST_RFLAGS with VM in 64-bit mode, and the next
 * VM entry failed (fuzz finding vmx_guest_sysret_rflags_vm).
 *
 * Both are done here whole. Neither causes a VM exit. */
#include <string.h>

#include "sim/cpu/exception.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/noncanon.h"
#include "sim/cpu/sites.h"

#define EFER_SCE        (1ull << 0)
#define EFER_LMA        (1ull << 10)
#define MSR_IA32_STAR   0xc0000081u
#define MSR_IA32_LSTAR  0xc0000082u
#define MSR_IA32_FMASK  0xc0000084u
#define RFLAGS_RF       (1ull << 16)
#define SYSRET_RFLAGS_MASK 0x3c7fd7ull    /* SDM SYSRET: RFLAGS := (R11 & 3C7FD7H) | 2 */
#define RFLAGS_FIXED1   (1ull << 1)

/* The segments SYSCALL and SYSRET load (attr as in struct seg). */
#define AR_CODE64_DPL0  0xa09bu           /* execute/read accessed, L = 1 */
#define AR_DATA_DPL0    0xc093u           /* read/write accessed, B = 1 */
#define AR_CODE64_DPL3  0xa0fbu
#define AR_CODE32_DPL3  0xc0fbu           /* execute/read accessed, D = 1 */
#define AR_DATA_DPL3    0xc0f3u           /* read/write accessed, B = 1 */

static bool is_legacy_prefix(uint8_t b)
{
	static const uint8_t prefixes[] = { 0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65 };
	return memchr(prefixes, b, sizeof(prefixes)) != NULL;
}

/* REX.W of a 64-bit-mode instruction: the REX byte right before the opcode counts. */
static bool rex_w(const struct site_insn *in)
{
	unsigned i = 0;
	uint8_t rex = 0;
	while (i < in->len && (is_legacy_prefix(in->bytes[i]) || (in->bytes[i] & 0xf0) == 0x40)) {
		rex = (in->bytes[i] & 0xf0) == 0x40 ? in->bytes[i] : 0;
		i++;
	}
	return rex & 0x08;
}

/* SYSCALL and SYSRET exist only in 64-bit mode with IA32_EFER.SCE on Intel. */
static bool syscall_ud(const struct cpu_view *v)
{
	return !(v->efer & EFER_SCE) || !(v->efer & EFER_LMA) || !cpu_view_long64(v);
}

static struct seg flat_seg(uint16_t sel, uint32_t attr)
{
	return (struct seg){ .sel = sel, .base = 0, .limit = 0xffffffffu, .attr = attr };
}

/* SDM SYSCALL: RCX := RIP of the next instruction; R11 := RFLAGS; RFLAGS :=
 * RFLAGS AND NOT IA32_FMASK (RF clear, as after any instruction); CS and SS from
 * IA32_STAR[47:32] at CPL 0; RIP := IA32_LSTAR. */
void site_syscall(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	if (syscall_ud(v)) {
		exc_fault(lp, VEC_UD, 0);
		return;
	}
	uint64_t rflags = cpu_reg(lp->uc, UC_X86_REG_RFLAGS);
	uint16_t sel = (uint16_t)(cpu_msr(lp->uc, MSR_IA32_STAR) >> 32);
	uint64_t fmask = cpu_msr(lp->uc, MSR_IA32_FMASK);
	struct seg segs[SEG_COUNT];
	memset(segs, 0, sizeof(segs));
	segs[SEG_CS] = flat_seg((uint16_t)(sel & 0xfffc), AR_CODE64_DPL0);
	segs[SEG_SS] = flat_seg((uint16_t)((sel + 8) & 0xfffc), AR_DATA_DPL0);
	cpu_set_reg(lp->uc, UC_X86_REG_RCX, v->rip + in->len);
	cpu_set_reg(lp->uc, UC_X86_REG_R11, rflags);
	cpustate_set_segs(&lp->cs, segs, (1u << SEG_CS) | (1u << SEG_SS));
	cpu_set_reg(lp->uc, UC_X86_REG_RFLAGS, (rflags & ~fmask & ~RFLAGS_RF) | RFLAGS_FIXED1);
	site_retire(lp, cpu_msr(lp->uc, MSR_IA32_LSTAR));
}

void site_sysret(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	if (syscall_ud(v)) {
		exc_fault(lp, VEC_UD, 0);
		return;
	}
	bool to64 = rex_w(in);
	uint64_t rcx = v->gpr[1];
	if (v->cpl != 0 || (to64 && !la_canonical(rcx, v->cr4))) {
		exc_fault(lp, VEC_GP, 0);
		return;
	}
	uint16_t base_sel = (uint16_t)(cpu_msr(lp->uc, MSR_IA32_STAR) >> 48);
	struct seg segs[SEG_COUNT];
	memset(segs, 0, sizeof(segs));
	segs[SEG_CS] = to64 ? flat_seg((uint16_t)((base_sel + 16) | 3), AR_CODE64_DPL3)
			    : flat_seg((uint16_t)(base_sel | 3), AR_CODE32_DPL3);
	segs[SEG_SS] = flat_seg((uint16_t)((base_sel + 8) | 3), AR_DATA_DPL3);
	cpustate_set_segs(&lp->cs, segs, (1u << SEG_CS) | (1u << SEG_SS));
	cpu_set_reg(lp->uc, UC_X86_REG_RFLAGS, (v->gpr[11] & SYSRET_RFLAGS_MASK) | RFLAGS_FIXED1);
	/* Last: writing RIP from a hook makes the engine leave the block here. */
	site_retire(lp, to64 ? rcx : (uint32_t)rcx);
}
