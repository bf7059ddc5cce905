/* Access to the software CPU's architectural state beyond what Unicorn's register
 * API offers.
 *
 * Unicorn 2.1's x86 register API cannot set a segment register's hidden part in
 * 64-bit mode (only the selector), reads no exception error code, and writing CR2
 * through it reloads CR3. VM entry, VM exit and exception delivery need all three.
 * uc_context_save/restore copy QEMU's CPUX86State up to its `retaddr` member, so
 * this module patches a saved context and restores it. The offsets it uses are
 * calibrated and verified against the register API when a machine is created: a
 * Unicorn build with another layout is refused with a clear message, never
 * silently misused.
 */
#ifndef VTSIM_CPUSTATE_H
#define VTSIM_CPUSTATE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unicorn/unicorn.h>

enum seg_reg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR, SEG_COUNT };

/* A segment register, the way the processor caches it. `attr` uses the layout of
 * bits 8..23 of a descriptor's high dword shifted down by 8, as in the VMCS
 * access-rights fields: type 3:0, S 4, DPL 6:5, P 7, AVL 12, L 13, D/B 14, G 15,
 * and bit 16 "unusable". */
struct seg {
	uint16_t sel;
	uint64_t base;
	uint32_t limit;
	uint32_t attr;
};
#define SEG_ATTR_UNUSABLE (1u << 16)

/* GDTR or IDTR: base and 16-bit limit. */
struct dtr {
	uint64_t base;
	uint32_t limit;
};

/* Offsets into a saved uc_context's data, found by cpustate_calibrate(). */
struct cpustate_layout {
	size_t ctx_size;
	size_t hflags;
	size_t segs;         /* segs[6], then ldt, tr, gdt, idt */
	size_t cr;           /* cr[5] */
	size_t error_code;
	size_t exception_is_int;
	size_t old_exception;
	size_t efer;
	size_t data;         /* where the copy of the CPU state starts in a context */
	/* What VM entry and exit do not switch (vmx_carry.c), found by a second,
	 * optional calibration: when it fails (`shared_err` says why) the carrying
	 * goes through the register API instead. */
	bool shared_ok;
	size_t fpu, fpu_len;     /* x87 (and MMX) registers and status, MXCSR, XMM0-15 */
	size_t xmm, xmm_stride;  /* XMM0's 16 bytes, and from one XMM register to the next */
	size_t ymmh;             /* the upper halves of YMM0-15, YMMH_LEN bytes */
	size_t syscall_msrs;     /* IA32_STAR .. IA32_KERNEL_GS_BASE, SYSCALL_MSRS_LEN bytes */
	size_t xcr0;
	size_t dr;               /* DR0-DR7 */
	/* IA32_SYSENTER_CS, _ESP and _EIP, and the bits of CS a WRMSR keeps. */
	size_t sysenter[3];
	uint32_t sysenter_cs_mask;
	char shared_err[160];
	/* Where an engine keeps its live state (cpustate_env_calibrate): the word of
	 * the engine pointing to its CPU object, and the CPU object's word pointing to
	 * the state, which lies env_in_cpu bytes into the CPU object. */
	bool env_ok;
	size_t env_cpu_at, env_ptr_at, env_in_cpu;
	/* RFLAGS written in place (cpustate_set_rflags) leaves the state a register
	 * API write leaves: checked at calibration, with the engine's code for "flags
	 * held whole in CC_SRC" (QEMU's CC_OP_EFLAGS) as the write stores it. */
	bool rflags_ok;
	int32_t cc_op_eflags;
	/* RFLAGS read in place (cpustate_rflags) when the engine's lazy flags are held
	 * whole (cc_op_eflags), come from a logical operation (QEMU's CC_OP_LOGICB,
	 * W, L and Q, four codes from cc_op_logic) or from a register XORed with
	 * itself (CC_OP_CLR), as the register API's read derives them: found and
	 * checked at calibration (rflags_read_ok; otherwise the API reads every
	 * RFLAGS). */
	bool rflags_read_ok;
	int32_t cc_op_logic, cc_op_clr;
	/* Where the engine's exit request lies, as bytes before the live state: QEMU's
	 * icount_decr word, which the translated code tests after every code hook.
	 * cpustate_hook_jump finds it at the first RIP write made in a code hook (0: not
	 * looked for yet; -1: not found, so the register API does every such write). */
	int exit_req_back;
};
#define SYSCALL_MSRS_LEN 48
#define YMMH_LEN 256

/* Finds and verifies the layout on a fresh engine (which it leaves in an unspecified
 * state). 0 on success, -1 with a message. */
int cpustate_calibrate(uc_engine *uc, struct cpustate_layout *lay, char *err, size_t errlen);

/* The live state. uc_context_save and uc_context_restore copy all of it (5.5 KB)
 * where VM entry and exit carry a third of it (vmx_carry.c): with the state's
 * address they copy only that, in place. Unicorn has no API for the address; the
 * calibration (part of the optional half, run by cpustate_calibrate) finds the
 * two pointers that lead to it, and accepts them only if what they lead to holds
 * what a context save copies and changes with a register write through the API.
 * cpustate_env_find follows them for one engine and checks the same (NULL when the
 * calibration failed or the check does; `scratch` is a whole-state context). */
void cpustate_env_calibrate(uc_engine *uc, struct cpustate_layout *lay);
uint8_t *cpustate_env_find(uc_engine *uc, const struct cpustate_layout *lay, uc_context *scratch);

/* One engine's view: the layout and scratch contexts for read-modify-write: `ctx`
 * copies the whole state; `hot` only its head (registers, segments, control
 * registers, EFER), which is all the frequent paths need and a tenth of the copy. */
struct cpustate {
	uc_engine *uc;
	struct cpustate_layout *lay;   /* the machine's: cpustate_jump completes it */
	uc_context *ctx;
	uc_context *hot;
	uc_context *regs;          /* only the registers and mode flags (cpustate_regs) */
	uint8_t *env;              /* the live state, or NULL (cpustate_env_find) */
};

/* Which way an engine's state is read and written, for diagnostics: "in place"
 * (the live state), "saved contexts" (copies through uc_context_save/restore) or
 * "saved contexts, carry through the register API" (no optional calibration). */
const char *cpustate_access(const struct cpustate *cs);

/* What the simulator's instruction handlers ask about the processor's state, read
 * in one copy. `eflags` holds the system flags (IF, TF, IOPL, VM, AC ...) and DF,
 * not the arithmetic ones (the engine computes those lazily). */
struct cpu_view {
	uint64_t cr0, cr2, cr3, cr4, efer, eflags;
	uint64_t gpr[16];           /* RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15 */
	uint64_t rip;
	unsigned cpl;
	bool intr_shadow;           /* blocking by STI or MOV SS (one engine flag) */
	bool has_segs;              /* segs, gdtr and idtr were read (not by cpustate_view_mode) */
	struct seg segs[SEG_COUNT];
	struct dtr gdtr, idtr;
};
void cpustate_view(struct cpustate *cs, struct cpu_view *v);
/* Less: the view without the segments but CS and without GDTR and IDTR (zero,
 * and has_segs false), for a handler that reads nothing but the registers and
 * the mode (a VMX instruction without operands: VMRESUME), or reads the rest
 * itself when it needs it (CPUID's VM exit, which saves the segments only when
 * they changed). The segment conversion is half the cost of a whole view. */
void cpustate_view_mode(struct cpustate *cs, struct cpu_view *v);

/* Less: the general registers, RIP, RFLAGS and the processor's mode as the engine's
 * hidden flags mirror CR0.PE, EFER.LMA and CS (verified when the layout is
 * calibrated), in a copy of the first 184 bytes of the state instead of 576 and no
 * segment conversion. What VMREAD and VMWRITE with register operands need. */
struct cpu_regs {
	uint64_t gpr[16];           /* ModRM order, as cpu_view's */
	uint64_t rip;
	uint64_t eflags;            /* as cpu_view's: the system flags and DF */
	unsigned cpl;
	bool pe;                    /* CR0.PE */
	bool lma;                   /* EFER.LMA */
	bool cs64;                  /* 64-bit code: EFER.LMA and CS.L */
	bool cs32;                  /* CS.D */
};
void cpustate_regs(struct cpustate *cs, struct cpu_regs *r);

/* The live registers themselves, for a site handler that reads two and writes one
 * in place (VMREAD and VMWRITE's lean path, insn_vmx.c): `gpr` points into the
 * engine's state (ModRM order; RIP follows at [16]); the rest as cpu_regs has it,
 * `eflags` without DF (the engine keeps it apart), and CR3. False, with nothing
 * read, unless both the registers and a jump go in place (cpustate_set_gpr and
 * cpustate_jump without the register API), so that the caller may retire with
 * cpustate_clear_arith_jump. */
struct cpu_live {
	uint64_t *gpr;
	uint64_t eflags;
	uint64_t cr3;
	unsigned cpl;
	bool pe, lma, cs64, cs32;
};
static inline bool cpu_view_long64(const struct cpu_view *v)
{
	return (v->efer & (1u << 10)) && (v->segs[SEG_CS].attr & (1u << 13));
}

/* CR0, CR3, CR4 and EFER as the engine holds them, in one copy of the state's head;
 * inline where the live state is known (VM entry and exit ask three times). */
void cpustate_control_copy(struct cpustate *cs, uint64_t *cr0, uint64_t *cr3, uint64_t *cr4, uint64_t *efer);
static inline void cpustate_control(struct cpustate *cs, uint64_t *cr0, uint64_t *cr3, uint64_t *cr4,
				    uint64_t *efer)
{
	if (!cs->env) {
		cpustate_control_copy(cs, cr0, cr3, cr4, efer);
		return;
	}
	const uint8_t *h = cs->env - cs->lay->data;
	memcpy(cr0, h + cs->lay->cr, 8);
	memcpy(cr3, h + cs->lay->cr + 24, 8);
	memcpy(cr4, h + cs->lay->cr + 32, 8);
	memcpy(efer, h + cs->lay->efer, 8);
}

int cpustate_init(struct cpustate *cs, uc_engine *uc, struct cpustate_layout *lay);
void cpustate_fini(struct cpustate *cs);

/* Reads all segment registers (and LDTR/TR) with their hidden parts. */
void cpustate_get_segs(struct cpustate *cs, struct seg segs[SEG_COUNT]);
void cpustate_get_seg(struct cpustate *cs, enum seg_reg r, struct seg *s);

/* Loads segment registers with the given hidden parts, keeping the CPU's derived
 * mode flags (CPL, 16/32/64-bit code and stack) consistent, as a descriptor load by
 * the processor would. `mask` selects which of segs[] to load (bit per enum seg_reg). */
void cpustate_set_segs(struct cpustate *cs, const struct seg segs[SEG_COUNT], unsigned mask);
/* The same, and GDTR, IDTR, the sixteen GPRs and RIP in the same copy (each may be
 * NULL: left as it is). VM entry and exit load all of them: one context round
 * trip instead of a register call each. */
void cpustate_set_segs_tables(struct cpustate *cs, const struct seg segs[SEG_COUNT], unsigned mask,
			      const struct dtr *gdtr, const struct dtr *idtr, const uint64_t *gpr,
			      const uint64_t *rip, bool in_loop);

/* The eight segment caches (ES .. GS, LDTR, TR), GDTR and IDTR, byte for byte as
 * the engine keeps them (QEMU's SegmentCache, 24 bytes each): what VM entry and
 * exit compare to skip a load that would leave the same bytes (vmx_seg_image.h). */
#define CPUSTATE_SEGS_LEN ((SEG_COUNT + 2) * 24)
/* With the SYSENTER MSRs, which VM entry and exit move with them. */
struct cpu_seg_bytes {
	uint8_t segs[CPUSTATE_SEGS_LEN];
	uint64_t sysenter[3];   /* as cpustate_get_sysenter reads them */
};
/* Whether the engine holds `img`; false without the live state (no copy is made).
 * Inline: every VM exit asks twice and every entry once. */
static inline bool cpustate_segs_equal(struct cpustate *cs, const struct cpu_seg_bytes *img)
{
	if (!cs->env)
		return false;
	const uint8_t *h = cs->env - cs->lay->data;
	uint32_t sysenter_cs;
	uint64_t esp, eip;
	memcpy(&sysenter_cs, h + cs->lay->sysenter[0], 4);
	memcpy(&esp, h + cs->lay->sysenter[1], 8);
	memcpy(&eip, h + cs->lay->sysenter[2], 8);
	return sysenter_cs == img->sysenter[0] && esp == img->sysenter[1] && eip == img->sysenter[2] &&
	       !memcmp(h + cs->lay->segs, img->segs, CPUSTATE_SEGS_LEN);
}
/* Copies them into `img`: false, with nothing copied, without the live state. */
bool cpustate_segs_copy(struct cpustate *cs, struct cpu_seg_bytes *img);

/* The error code of the exception being reported to the interrupt hook, and whether
 * it came from INT n/INT3/INTO (software interrupt). */
uint32_t cpustate_error_code(struct cpustate *cs);
bool cpustate_exception_is_int(struct cpustate *cs);

void cpustate_set_cr2(struct cpustate *cs, uint64_t cr2);

/* The sixteen general-purpose registers in ModRM order, in one copy each way (the
 * register API costs a call per register); keep_rsp leaves RSP as it is. */
void cpustate_get_gprs(struct cpustate *cs, uint64_t gpr[16]);
/* The same in place, to read without a copy: NULL without the live state. */
static inline const uint64_t *cpustate_gprs_live(const struct cpustate *cs)
{
	return cs->env ? (const uint64_t *)(const void *)cs->env : NULL;
}
void cpustate_set_gprs(struct cpustate *cs, const uint64_t gpr[16], bool keep_rsp);

/* IA32_SYSENTER_CS, IA32_SYSENTER_ESP and IA32_SYSENTER_EIP, as RDMSR and WRMSR
 * would read and write them: in place in the live state when it is known, else
 * through the register API. VM entry and exit load (and exit saves) all three. */
void cpustate_get_sysenter(struct cpustate *cs, uint64_t v[3]);
void cpustate_set_sysenter(struct cpustate *cs, const uint64_t v[3]);

/* cpustate_interrupt_shadow and cpustate_set_interrupt_shadow (inline, below) on
 * a saved context: without the live state. */
bool cpustate_interrupt_shadow_ctx(struct cpustate *cs);
void cpustate_set_interrupt_shadow_ctx(struct cpustate *cs, bool on);

/* The engine remembers the last exception it raised, to turn the next one into #DF
 * as a processor would during delivery. It never delivers, so this must be
 * cleared once the simulator has delivered the exception. */
void cpustate_exception_done(struct cpustate *cs);

/* Register helpers (the Unicorn API with error checks folded away). */
/* Unicorn's IDs of RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15, in the order
 * ModRM and the VMX instruction information number them. */
extern const int cpu_gpr_ids[16];
uint64_t cpu_reg(uc_engine *uc, int reg);
void cpu_set_reg(uc_engine *uc, int reg, uint64_t v);
uint64_t cpu_msr(uc_engine *uc, uint32_t idx);
void cpu_set_msr(uc_engine *uc, uint32_t idx, uint64_t v);
/* Current privilege level (CS.DPL as cached; SS.DPL on real processors: equal). */
unsigned cpustate_cpl(struct cpustate *cs);

/* The hot path's single registers without a register-API call where the live state
 * is known (each falls back to the API): CR3 and DR7 read; RFLAGS written as the
 * API's write leaves it (arithmetic flags and DF in the engine's lazy form); one
 * GPR (ModRM number) written; DR7 written only when it changes (the API's write
 * also re-arms the engine's hardware breakpoints, which an equal value leaves). */
uint64_t cpustate_cr3(struct cpustate *cs);
/* RFLAGS as the register API reads it (the low 32 bits, the arithmetic flags
 * computed from the engine's lazy form): in place when the live state is known
 * and the lazy form is one the calibration checked, else through the API. */
uint64_t cpustate_rflags(struct cpustate *cs);
/* cpustate_set_rflags (inline, below) through the register API: without the
 * live state, or when the calibration did not find the write in place exact. */
void cpustate_set_rflags_api(struct cpustate *cs, uint64_t v);
/* cpustate_set_gpr (inline, below) through the register API: without the live state. */
void cpustate_set_gpr_api(struct cpustate *cs, unsigned reg, uint64_t v);
/* DR7 through the register API: without the live state, and every write. */
uint64_t cpustate_dr7_api(struct cpustate *cs);
void cpustate_write_dr7(struct cpustate *cs, uint64_t v);
/* Inline: every VM entry and exit asks (and nearly always finds it unchanged). */
static inline uint64_t cpustate_dr7(struct cpustate *cs)
{
	if (!cs->env)
		return cpustate_dr7_api(cs);
	uint64_t v;
	memcpy(&v, cs->env - cs->lay->data + cs->lay->dr + 7 * 8, 8);
	return v;
}
static inline void cpustate_set_dr7(struct cpustate *cs, uint64_t v)
{
	if (cpustate_dr7(cs) != v)
		cpustate_write_dr7(cs, v);
}
/* RIP := rip, where the register API's write also ends the block being run, so
 * that the engine goes on at `rip`. The API ends the engine's execution loop too,
 * and Unicorn enters it again (a third of a VMREAD's cost). With `in_loop` (the
 * engine is inside uc_emu_start: a hook of its, or one of a guest it runs) the
 * write goes in place with the engine's exit request, which ends the block at the
 * same point (the test after each code hook, or the next block's start) but not
 * the loop; RFLAGS then takes the form the engine keeps inside its loop
 * (arithmetic flags and DF only in their lazy fields), which leaving and entering
 * the loop would have made of it, so every RFLAGS write must come before. The
 * first such calls in a machine make the API's write and watch which word before
 * the live state it sets, until one sets a word (cs->lay keeps the answer); without
 * the live state, or the word, the API does them all. */
void cpustate_jump(struct cpustate *cs, uint64_t rip, bool in_loop);
/* After cpustate_live said true: RFLAGS's six arithmetic flags cleared, the rest
 * kept, and the jump to `rip`, leaving the very bytes cpustate_set_rflags and
 * cpustate_jump would (VMsucceed's retirement). */
void cpustate_clear_arith_jump(struct cpustate *cs, uint64_t rip);
/* Whether cpustate_set_rflags and cpustate_set_gpr write in place. */
static inline bool cpustate_regs_in_place(const struct cpustate *cs)
{
	return cs->env && cs->lay->rflags_ok;
}

/* Words of the engine's live state (QEMU's CPUX86State, from its start, where
 * cs->env points): the sixteen GPRs, then EIP, the flags outside the lazy form,
 * CC_DST, CC_SRC, CC_SRC2, and the lazy form's operation (CC_OP) beside DF as
 * +1/-1. The paths that use them in place run only where the calibration found
 * them so. */
#define ENV_EIP    (16 * 8)
#define ENV_EFLAGS (17 * 8)
#define ENV_CC_SRC (19 * 8)
#define ENV_CC_OP  (21 * 8)
#define ENV_DF     (21 * 8 + 4)

/* RFLAGS in the engine's form, at `h` (a context or the live state less the
 * layout's data offset): the arithmetic flags (OF SF ZF AF PF CF) whole in CC_SRC,
 * DF (bit 10) as +1/-1, the rest in eflags, as QEMU's cpu_load_eflags leaves them
 * after the register API's write (which takes the low 32 bits). */
static inline void cpustate_rflags_to_state(const struct cpustate_layout *l, uint8_t *h, uint64_t v)
{
	uint8_t *d = h + l->data;
	uint32_t f = (uint32_t)v, op = (uint32_t)l->cc_op_eflags, df = (f & (1u << 10)) ? (uint32_t)-1 : 1u;
	uint64_t cc_src = f & 0x8d5u, fl = f | 2u;
	memcpy(d + ENV_CC_SRC, &cc_src, 8);
	memcpy(d + ENV_CC_OP, &op, 4);
	memcpy(d + ENV_DF, &df, 4);
	memcpy(d + ENV_EFLAGS, &fl, 8);
}

/* Inline: VM entry and exit load RFLAGS each time. */
static inline void cpustate_set_rflags(struct cpustate *cs, uint64_t v)
{
	if (!cpustate_regs_in_place(cs))
		return cpustate_set_rflags_api(cs, v);
	cpustate_rflags_to_state(cs->lay, cs->env - cs->lay->data, v);
}

/* QEMU's hidden mode flags (env->hflags), as the calibration checks them. */
#define HF_CPL_MASK    3u
#define HF_INHIBIT_IRQ_MASK (1u << 3)
#define HF_CS32_MASK   (1u << 4)
#define HF_SS32_MASK   (1u << 5)
#define HF_ADDSEG_MASK (1u << 6)
#define HF_PE_MASK     (1u << 7)
#define HF_LMA_MASK    (1u << 14)
#define HF_CS64_MASK   (1u << 15)

/* Inline where the live state is known: VM entry sets each of these, the
 * VMRESUME's basic checks ask for the shadow. */
static inline void cpustate_set_gpr(struct cpustate *cs, unsigned reg, uint64_t v)
{
	if (!cs->env)
		return cpustate_set_gpr_api(cs, reg, v);
	memcpy(cs->env + 8 * (reg & 15), &v, 8);
}

/* Blocking by STI or by MOV SS/POP SS for one instruction (the engine keeps one
 * flag for both). */
static inline bool cpustate_interrupt_shadow(struct cpustate *cs)
{
	if (!cs->env)
		return cpustate_interrupt_shadow_ctx(cs);
	uint32_t hf;
	memcpy(&hf, cs->env - cs->lay->data + cs->lay->hflags, 4);
	return hf & HF_INHIBIT_IRQ_MASK;
}

/* Sets or clears the engine's one-instruction shadow (blocking by STI or MOV SS). */
static inline void cpustate_set_interrupt_shadow(struct cpustate *cs, bool on)
{
	if (!cs->env)
		return cpustate_set_interrupt_shadow_ctx(cs, on);
	uint8_t *p = cs->env - cs->lay->data + cs->lay->hflags;
	uint32_t hf;
	memcpy(&hf, p, 4);
	hf = on ? hf | HF_INHIBIT_IRQ_MASK : hf & ~HF_INHIBIT_IRQ_MASK;
	memcpy(p, &hf, 4);
}

/* Whether cpustate_jump goes in place (it may not until the exit request's word is
 * known, and never outside a run or without the live state). */
static inline bool cpustate_jump_in_place(const struct cpustate *cs, bool in_loop)
{
	return in_loop && cs->env && cs->lay->rflags_ok && cs->lay->exit_req_back > 0;
}

/* Inline: a VMREAD's whole lean path is a few dozen instructions. */
static inline bool cpustate_live(struct cpustate *cs, bool in_loop, struct cpu_live *l)
{
	if (!cpustate_regs_in_place(cs) || !cpustate_jump_in_place(cs, in_loop))
		return false;
	const uint8_t *c = cs->env - cs->lay->data;
	uint32_t hf;
	memcpy(&hf, c + cs->lay->hflags, 4);
	l->gpr = (uint64_t *)(void *)cs->env;
	memcpy(&l->eflags, cs->env + ENV_EFLAGS, 8);
	l->eflags &= ~(1ull << 10);
	memcpy(&l->cr3, c + cs->lay->cr + 24, 8);
	l->cpl = hf & HF_CPL_MASK;
	l->pe = hf & HF_PE_MASK;
	l->lma = hf & HF_LMA_MASK;
	l->cs64 = hf & HF_CS64_MASK;
	l->cs32 = hf & HF_CS32_MASK;
	return true;
}

#endif
