/* The state VM entry and VM exit do not switch: see vmx_carry.h. */
#include "sim/cpu/vmx_carry.h"

#include <stddef.h>
#include <string.h>

#include "sim/cpu/machine.h"

/* What is carried, as places in the engine's saved state (cpustate_layout's
 * offsets; `len` 0 is the FPU block's calibrated length). DR7, the SYSENTER MSRs,
 * IA32_EFER, IA32_PAT and IA32_DEBUGCTL are the VMCS's; PAT, DEBUGCTL and
 * IA32_TSC_AUX live in struct lp, one per processor, and need no copy; RSP is the
 * VMCS's and the other GPRs are loaded with the segments (vmx_entry.c, vmx_exit.c). */
static const struct carried {
	const char *what;
	size_t at;          /* offsetof(struct cpustate_layout, the place) */
	size_t add;
	size_t len;
} carried[] = {
	/* A guest's #PF leaves its address for the VMM, and the VMM's for the guest
	 * (KVM saves and restores it around each run). */
	{ "CR2", offsetof(struct cpustate_layout, cr), 16, 8 },
	/* Loaded by neither transition (only DR7 is, by the controls). */
	{ "DR0-DR3", offsetof(struct cpustate_layout, dr), 0, 32 },
	{ "DR6", offsetof(struct cpustate_layout, dr), 48, 8 },
	/* The x87, MMX, SSE and AVX registers, MXCSR and the x87 status: VMMs swap the
	 * guest's FPU state in and out themselves. XMM0-XMM15 follow the table: QEMU
	 * keeps each in a wider slot, whose first 16 bytes alone are any model's. */
	{ "x87 registers and status, MXCSR", offsetof(struct cpustate_layout, fpu), 0, 0 },
	{ "YMM0-YMM15 upper halves", offsetof(struct cpustate_layout, ymmh), 0, YMMH_LEN },
	/* No VMCS field: a guest's WRMSR through an allowing MSR bitmap stays. */
	{ "IA32_STAR, IA32_LSTAR, IA32_CSTAR, IA32_FMASK, IA32_KERNEL_GS_BASE",
	  offsetof(struct cpustate_layout, syscall_msrs), 0, SYSCALL_MSRS_LEN },
	/* XSETBV always exits: the VMM sets the guest's XCR0. */
	{ "XCR0", offsetof(struct cpustate_layout, xcr0), 0, 8 },
};

static size_t place(const struct cpustate_layout *l, const struct carried *c)
{
	size_t at;
	memcpy(&at, (const uint8_t *)l + c->at, sizeof(at));
	return at + c->add;
}

static size_t length(const struct cpustate_layout *l, const struct carried *c)
{
	return c->len ? c->len : l->xmm - l->fpu;
}

/* In place, from one live state to the other (the idle engine's: a restore would
 * copy the same bytes there, and the rest of its state besides). */
static void carry_env(struct cpustate *from, struct cpustate *to)
{
	const struct cpustate_layout *l = from->lay;
	const uint8_t *src = from->env;
	uint8_t *dst = to->env;
	const size_t stride = l->xmm_stride;
	for (size_t i = 0; i < sizeof(carried) / sizeof(carried[0]); i++) {
		size_t at = place(l, &carried[i]) - l->data;
		memcpy(dst + at, src + at, length(l, &carried[i]));
	}
	/* The XMM registers, 16 bytes of each slot: two moves each. */
	for (size_t k = 0, at = l->xmm - l->data; k < 16; k++, at += stride)
		memcpy(dst + at, src + at, 16);
}

/* The two fallbacks stay out of line: the copy in place, on every VM entry and
 * exit, needs neither their stack buffers nor their register saves. */
#define FALLBACK __attribute__((noinline, cold))

/* Without the live states' addresses: one copy of each engine's state; the
 * target's goes back only when something differs (in a loop of exits with
 * untouched FPU state, nothing does). */
static FALLBACK void carry_raw(struct cpustate *from, struct cpustate *to)
{
	const struct cpustate_layout *l = from->lay;
	uc_context_save(from->uc, from->ctx);
	uc_context_save(to->uc, to->ctx);
	const uint8_t *src = (const uint8_t *)from->ctx;
	uint8_t *dst = (uint8_t *)to->ctx;
	bool changed = false;
	for (size_t i = 0; i < sizeof(carried) / sizeof(carried[0]); i++) {
		size_t at = place(l, &carried[i]), len = length(l, &carried[i]);
		if (memcmp(dst + at, src + at, len)) {
			memcpy(dst + at, src + at, len);
			changed = true;
		}
	}
	for (size_t k = 0, at = l->xmm; k < 16; k++, at += l->xmm_stride) {
		if (memcmp(dst + at, src + at, 16)) {
			memcpy(dst + at, src + at, 16);
			changed = true;
		}
	}
	if (changed)
		uc_context_restore(to->uc, to->ctx);
}

/* The same through the register API (FPSW before the ST registers: its TOP field
 * says which physical register ST0 is). XCR0 has no register ID. */
static const int carried_regs[] = {
	UC_X86_REG_DR0, UC_X86_REG_DR1, UC_X86_REG_DR2, UC_X86_REG_DR3, UC_X86_REG_DR6,
	UC_X86_REG_FPCW, UC_X86_REG_FPSW, UC_X86_REG_FPTAG, UC_X86_REG_FIP, UC_X86_REG_FCS,
	UC_X86_REG_FDP, UC_X86_REG_FDS, UC_X86_REG_FOP, UC_X86_REG_MXCSR,
	UC_X86_REG_ST0, UC_X86_REG_ST1, UC_X86_REG_ST2, UC_X86_REG_ST3,
	UC_X86_REG_ST4, UC_X86_REG_ST5, UC_X86_REG_ST6, UC_X86_REG_ST7,
	UC_X86_REG_YMM0, UC_X86_REG_YMM1, UC_X86_REG_YMM2, UC_X86_REG_YMM3,
	UC_X86_REG_YMM4, UC_X86_REG_YMM5, UC_X86_REG_YMM6, UC_X86_REG_YMM7,
	UC_X86_REG_YMM8, UC_X86_REG_YMM9, UC_X86_REG_YMM10, UC_X86_REG_YMM11,
	UC_X86_REG_YMM12, UC_X86_REG_YMM13, UC_X86_REG_YMM14, UC_X86_REG_YMM15,
};
static const uint32_t carried_msrs[] = { 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, 0xc0000102 };
#define NR_REGS (sizeof(carried_regs) / sizeof(carried_regs[0]))
#define NR_MSRS (sizeof(carried_msrs) / sizeof(carried_msrs[0]))

static FALLBACK void carry_api(struct cpustate *from, struct cpustate *to)
{
	uint8_t buf[NR_REGS][32];
	void *ptr[NR_REGS];
	for (size_t i = 0; i < NR_REGS; i++)
		ptr[i] = buf[i];
	memset(buf, 0, sizeof(buf));
	uc_reg_read_batch(from->uc, (int *)carried_regs, ptr, (int)NR_REGS);
	uc_reg_write_batch(to->uc, (int *)carried_regs, (void *const *)ptr, (int)NR_REGS);
	for (size_t i = 0; i < NR_MSRS; i++)
		cpu_set_msr(to->uc, carried_msrs[i], cpu_msr(from->uc, carried_msrs[i]));
	/* The register API's CR2 write reloads CR3 (cpustate.h): the calibrated one. */
	cpustate_set_cr2(to, cpu_reg(from->uc, UC_X86_REG_CR2));
}

void vmx_carry_state(struct cpustate *from, struct cpustate *to)
{
	if (from->env && to->env)
		carry_env(from, to);
	else if (from->lay->shared_ok)
		carry_raw(from, to);
	else
		carry_api(from, to);
}

void vmx_carry(struct lp *lp, struct engine *from, struct engine *to)
{
	if (!lp->vmx.seam_root)
		vmx_carry_state(&from->cs, &to->cs);
}
