/* Instructions whose VM exit one VM-execution control decides (SDM "Instructions That
 * Cause VM Exits Conditionally"): one row per exit reason, the control that turns it
 * on, and what the qualification holds. */
#include "sim/cpu/machine.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/exit_reasons.h"
#include "sim/vmcs/fields.h"

struct cond_exit {
	uint16_t reason;
	uint32_t ctl_field;        /* CPU_BASED_VM_EXEC_CONTROL or SECONDARY_VM_EXEC_CONTROL */
	uint32_t control;
	bool secondary;            /* needs "activate secondary controls" too */
};

static const struct cond_exit cond_exits[] = {
	{ EXIT_REASON_INVLPG,              CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_INVLPG_EXITING,  false },
	{ EXIT_REASON_MWAIT_INSTRUCTION,   CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_MWAIT_EXITING,   false },
	{ EXIT_REASON_RDPMC,               CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_RDPMC_EXITING,   false },
	{ EXIT_REASON_MONITOR_INSTRUCTION, CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_MONITOR_EXITING, false },
	{ EXIT_REASON_PAUSE_INSTRUCTION,   CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_PAUSE_EXITING,   false },
	{ EXIT_REASON_WBINVD,              SECONDARY_VM_EXEC_CONTROL, SECONDARY_EXEC_WBINVD_EXITING, true },
};

/* The linear address an INVLPG names: 0F 01 /7 with a memory operand. */
static uint64_t invlpg_address(const struct cpu_view *v, const struct site_insn *in);

void site_cond_exit(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	/* Privilege faults come first; the engine raises them when the hook returns. */
	if (!lp->vmx.non_root || v->cpl > 0)
		return;
	const struct vmcs_cache *c = &lp->vmx.vmcs;
	for (size_t i = 0; i < sizeof(cond_exits) / sizeof(cond_exits[0]); i++) {
		const struct cond_exit *e = &cond_exits[i];
		if (e->reason != in->vmx_id)
			continue;
		if (e->secondary && !(vmcs_read_enc(c, CPU_BASED_VM_EXEC_CONTROL) &
				      CPU_BASED_ACTIVATE_SECONDARY_CONTROLS))
			return;
		if (!(vmcs_read_enc(c, e->ctl_field) & e->control))
			return;
		struct vmx_exit_info xi = { .insn_len = in->len, .rip = v->rip };
		if (e->reason == EXIT_REASON_INVLPG)
			xi.qualification = invlpg_address(v, in);
		vmx_exit(lp, e->reason, &xi);
		return;
	}
}

static uint64_t invlpg_address(const struct cpu_view *v, const struct site_insn *in)
{
	const uint8_t *b = in->bytes;
	unsigned i = 0, rex = 0;
	int seg = -1;
	bool a32 = false;
	for (;; i++) {
		switch (b[i]) {
		case 0x26: seg = SEG_ES; continue;
		case 0x2e: seg = SEG_CS; continue;
		case 0x36: seg = SEG_SS; continue;
		case 0x3e: seg = SEG_DS; continue;
		case 0x64: seg = SEG_FS; continue;
		case 0x65: seg = SEG_GS; continue;
		case 0x67: a32 = true; continue;
		case 0x66: case 0xf2: case 0xf3: continue;
		}
		break;
	}
	bool lm = cpu_view_long64(v);
	if (lm && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	i += 2;                               /* 0F 01 */
	uint8_t m = b[i++];
	unsigned mod = m >> 6, rm = m & 7;
	int base = -1, index = -1;
	unsigned scale = 1;
	int64_t disp = 0;
	bool rip_rel = false;
	if (rm == 4) {
		uint8_t sib = b[i++];
		scale = 1u << (sib >> 6);
		unsigned idx = ((sib >> 3) & 7) | ((rex & 2) ? 8 : 0);
		index = idx == 4 ? -1 : (int)idx;
		if ((sib & 7) == 5 && mod == 0) {
			int32_t d32;
			memcpy(&d32, b + i, 4);
			i += 4;
			disp = d32;
		} else {
			base = (sib & 7) | ((rex & 1) ? 8 : 0);
		}
	} else if (rm == 5 && mod == 0) {
		int32_t d32;
		memcpy(&d32, b + i, 4);
		i += 4;
		disp = d32;
		rip_rel = lm;
	} else {
		base = (int)(rm | ((rex & 1) ? 8 : 0));
	}
	if (mod == 1) {
		disp += (int8_t)b[i];
	} else if (mod == 2) {
		int32_t d32;
		memcpy(&d32, b + i, 4);
		disp += d32;
	}
	uint64_t ea = (uint64_t)disp + (rip_rel ? v->rip + in->len : 0) +
		      (base >= 0 ? v->gpr[base] : 0) + (index >= 0 ? v->gpr[index] * scale : 0);
	if (!lm || a32)
		ea = (uint32_t)ea;
	if (seg < 0)
		seg = (base == 4 || base == 5) ? SEG_SS : SEG_DS;
	uint64_t segbase = lm ? ((seg == SEG_FS || seg == SEG_GS) ? v->segs[seg].base : 0)
			      : v->segs[seg].base;
	return lm ? ea + segbase : (uint32_t)(ea + segbase);
}
