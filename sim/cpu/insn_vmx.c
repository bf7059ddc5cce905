/* VMX instructions met in guest code: decode the operands from the instruction bytes,
 * reach memory operands through segmentation and paging, call the instruction unit,
 * and apply its outcome (RFLAGS, the destination, RIP, or an exception). */
#include <stdio.h>
#include <string.h>

#include "sim/cpu/exception.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/noncanon.h"
#include "sim/cpu/sites.h"
#include "sim/cpu/modrm.h"
#include "sim/cpu/msr.h"
#include "sim/cpu/vmx.h"
#include "sim/cpu/vmx_diag.h"
#include "sim/cpu/vmx_exit.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/errors.h"

#define RFLAGS_ARITH 0x8d5u   /* CF PF AF ZF SF OF */
#define RFLAGS_CF 0x1u
#define RFLAGS_ZF 0x40u

/* The memory operand as the instruction reaches it. */
struct mem_ctx {
	struct lp *lp;
	struct mmu_ctx mc;
	struct seg seg;
	int seg_reg;
	uint64_t ea;              /* effective address (offset in the segment) */
	bool long64;
};

/* Segmentation: the linear address of the operand, or a #GP/#SS. */
static int linear(struct mem_ctx *c, unsigned n, bool write, uint64_t *la, struct vmx_fault *f)
{
	uint8_t vec = c->seg_reg == SEG_SS ? VEC_SS : VEC_GP;
	if (c->long64) {
		uint64_t base = (c->seg_reg == SEG_FS || c->seg_reg == SEG_GS) ? c->seg.base : 0;
		*la = base + c->ea;
		if (!la_canonical(*la, c->mc.cr4) || !la_canonical(*la + n - 1, c->mc.cr4)) {
			*f = (struct vmx_fault){ .vector = vec };
			return -1;
		}
		return 0;
	}
	const struct seg *s = &c->seg;
	bool code = s->attr & 8;
	bool bad = (s->attr & SEG_ATTR_UNUSABLE) || (write && (code || !(s->attr & 2))) ||
		   (!write && code && !(s->attr & 2));
	bool expand_down = !code && (s->attr & 4);
	uint64_t last = c->ea + n - 1;
	if (expand_down)
		bad = bad || c->ea <= s->limit || last > ((s->attr & (1u << 14)) ? 0xffffffffull : 0xffff);
	else
		bad = bad || last > s->limit;
	if (bad) {
		*f = (struct vmx_fault){ .vector = vec };
		return -1;
	}
	*la = (s->base + c->ea) & 0xffffffffull;
	return 0;
}

static int mem_access(struct mem_ctx *c, void *rbuf, const void *wbuf, unsigned n, struct vmx_fault *f)
{
	uint64_t la;
	if (linear(c, n, wbuf != NULL, &la, f))
		return -1;
	struct mmu_fault mf;
	int r = wbuf ? mmu_write(&c->lp->m->pm, &c->mc, la, wbuf, n, 0, &mf)
		     : mmu_read(&c->lp->m->pm, &c->mc, la, rbuf, n, 0, &mf);
	if (r) {
		*f = (struct vmx_fault){ .vector = VEC_PF, .error_code = mf.error_code,
					 .cr2_valid = true, .cr2 = mf.la };
		return -1;
	}
	return 0;
}

static int mem_read(void *ctx, void *buf, unsigned n, struct vmx_fault *f)
{
	return mem_access(ctx, buf, NULL, n, f);
}

static int mem_write(void *ctx, const void *buf, unsigned n, struct vmx_fault *f)
{
	return mem_access(ctx, NULL, buf, n, f);
}

/* VM-exit instruction information for the VMX instructions: the operand fields, and
 * Reg2 31:28 (the ModRM.reg operand). The exit qualification is the displacement. */
static uint32_t vmx_insn_info(const struct modrm *o, bool has_modrm, uint64_t *qualification)
{
	*qualification = 0;
	if (!has_modrm)
		return 0;
	*qualification = o->reg_form ? 0 : (uint64_t)o->disp;
	return modrm_insn_info(o) | (uint32_t)(o->reg & 15) << 28;
}

static bool has_lock_prefix(const struct site_insn *in)
{
	for (unsigned i = 0; i < in->len; i++) {
		uint8_t b = in->bytes[i];
		if (b == 0xf0)
			return true;
		/* REX bytes (40-4F) among the prefixes: a site's bytes hold them only in
		 * 64-bit mode, where they are no instruction of their own. */
		if (!(b == 0x66 || b == 0x67 || b == 0xf2 || b == 0xf3 || b == 0x2e || b == 0x36 ||
		      b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65 || (b & 0xf0) == 0x40))
			return false;
	}
	return false;
}

bool site_vmx_fast(struct lp *lp, const struct cpu_regs *r, const struct site_insn *in)
{
	bool write = in->vmx_id == VMX_VMWRITE;
	unsigned bits = r->cs64 ? 64 : r->cs32 ? 32 : 16;
	/* Only what completes without an event or a line to tell: the others go the
	 * whole way (site_vmx), which raises, exits, fails, traces and single-steps. */
	if ((in->vmx_id != VMX_VMREAD && !write) || in->modrm_bits != bits || !in->modrm.reg_form ||
	    (r->eflags & (1u << 8)) || trace_on(lp->m, VTSIM_TRACE_VMX) || has_lock_prefix(in))
		return false;
	const struct modrm *o = &in->modrm;
	uint64_t val = r->gpr[o->rm];            /* VMWRITE's source */
	if (!vmx_reg_access_fast(lp, r, write, r->gpr[o->reg], &val, r->cs64 ? 8 : 4))
		return false;
	/* VMsucceed: the six arithmetic flags clear; VMREAD's destination; RIP. */
	int ids[2] = { UC_X86_REG_EFLAGS, cpu_gpr_ids[o->rm] };
	uint64_t vals[2] = { r->eflags & ~(uint64_t)RFLAGS_ARITH, val };
	site_retire_regs(lp, r->rip + in->len, ids, vals, write ? 1 : 2);
	return true;
}

bool site_vmx_lean_fits(const struct site_insn *in)
{
	return in->kind == SITE_VMX && (in->vmx_id == VMX_VMREAD || in->vmx_id == VMX_VMWRITE) &&
	       in->modrm_bits && in->modrm.reg_form && !has_lock_prefix(in);
}

/* The instructions with a ModRM operand, whose memory form reads the segments. */
static bool vmx_has_modrm(enum vmx_insn_id id)
{
	return id == VMX_VMXON || id == VMX_VMCLEAR || id == VMX_VMPTRLD || id == VMX_VMPTRST ||
	       id == VMX_VMREAD || id == VMX_VMWRITE || id == VMX_INVEPT || id == VMX_INVVPID;
}

bool site_vmx_mode_only(const struct site_insn *in)
{
	return in->kind == SITE_VMX && !vmx_has_modrm((enum vmx_insn_id)in->vmx_id);
}

void site_vmx(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	uint64_t rip = v->rip;
	enum vmx_insn_id id = (enum vmx_insn_id)in->vmx_id;
	/* LOCK makes every VMX instruction #UD, before anything else. */
	if (has_lock_prefix(in)) {
		if (trace_on(lp->m, VTSIM_TRACE_VMX))
			trace_event(lp->m, VTSIM_TRACE_VMX, "vmx lp%u %s : #UD(0x0) (LOCK prefix) rip=0x%llx",
				    lp->id, vmx_insn_name(id), (unsigned long long)rip);
		exc_fault(lp, VEC_UD, 0);
		return;
	}
	bool long64 = cpu_view_long64(v);
	bool cs32 = v->segs[SEG_CS].attr & (1u << 14);

	struct vmx_operands ops = { .opsize = long64 ? 8 : 4, .insn_len = in->len, .read = mem_read,
				    .write = mem_write };
	struct mem_ctx mctx = { .lp = lp, .long64 = long64 };
	ops.ctx = &mctx;
	bool has_modrm = vmx_has_modrm(id);
	struct modrm decoded = { 0 };
	const struct modrm *o = &decoded;
	if (has_modrm) {
		unsigned bits = long64 ? 64 : cs32 ? 32 : 16;
		if (in->modrm_bits == bits)
			o = &in->modrm;    /* decoded when the site was read */
		else if (modrm_decode(in, long64, cs32, &decoded)) {
			machine_stop(lp->m, lp, VTSIM_STOP_INTERNAL, 70,
				     "%s at RIP=0x%llx uses an addressing form vtsim does not model",
				     vmx_insn_name(id), (unsigned long long)rip);
			return;
		}
		ops.reg_form = o->reg_form;
		ops.reg_value = v->gpr[o->reg];
		if (o->reg_form) {
			ops.rm_value = v->gpr[o->rm];
		} else {
			mctx.ea = modrm_offset(o, v, in->len);
			mctx.seg_reg = o->seg;
			mctx.seg = v->segs[o->seg];
			mmu_ctx_from_view(&mctx.mc, lp, v);
		}
	}

	struct vmx_result r;
	vmx_execute(lp, v, id, &ops, &r);
	vmx_tell_outcome(lp, rip, id, &r);

	uint64_t rflags;
	switch (r.status) {
	case VMX_ENTRY_FAILED:
		/* As a VM exit: host state from the VMCS, RIP = HOST_RIP, RFLAGS = 2, and
		 * the VM-exit MSR-load list (but no guest state saved). */
		vmx_load_host_state(lp);
		vmx_exit_msr_load(lp);
		return;
	case VMX_ENTERED:
		/* The guest ran and exited (host state is loaded), or the machine stopped. */
		if (lp->m->stopped)
			uc_emu_stop(lp->root.uc);
		return;
	case VMX_VMEXIT: {
		struct vmx_exit_info xi = { .insn_len = in->len, .rip = rip };
		xi.insn_info = vmx_insn_info(o, has_modrm, &xi.qualification);
		vmx_exit(lp, r.exit_reason, &xi);
		return;
	}
	case VMX_STATE_LOADED:
		return;
	case VMX_FAULT:
		if (r.fault.cr2_valid)
			cpustate_set_cr2(&lp->cs, r.fault.cr2);
		exc_fault(lp, r.fault.vector, r.fault.error_code);
		return;
	case VMX_NOT_MODELLED:
		machine_stop(lp->m, lp, VTSIM_STOP_INTERNAL, 70, "%s at RIP=0x%llx: %s", vmx_insn_name(id),
			     (unsigned long long)rip, r.why);
		return;
	case VMX_SUCCEED:
	case VMX_FAIL_INVALID:
	case VMX_FAIL_VALID:
		/* All six arithmetic flags are the outcome's: the view has the rest. */
		rflags = v->eflags & ~(uint64_t)RFLAGS_ARITH;
		if (r.status == VMX_FAIL_INVALID)
			rflags |= RFLAGS_CF;
		else if (r.status == VMX_FAIL_VALID)
			rflags |= RFLAGS_ZF;
		{
			/* RFLAGS, the destination and RIP in one engine call. */
			int ids[2] = { UC_X86_REG_EFLAGS, r.reg_out ? cpu_gpr_ids[o->rm] : 0 };
			uint64_t vals[2] = { rflags, r.out };
			site_retire_regs(lp, rip + in->len, ids, vals, r.reg_out ? 2 : 1);
		}
		return;
	}
}
