/* The trace's VM-exit line (docs/trace.md): the basic reason and its name, the raw
 * qualification, then the qualification decoded per reason, the guest-physical and
 * guest-linear addresses of EPT exits, the interruption and IDT-vectoring
 * information decoded, and the guest instruction at the saved RIP, disassembled. */
#include <stdio.h>

#include "sim/cpu/disasm.h"
#include "sim/cpu/exit_decode.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/exit_reasons.h"
#include "sim/vmcs/fields.h"

/* The guest instruction at `rip` in words (disasm.h), in the guest's code size,
 * through the guest's paging and EPT; "(unreadable)" if it cannot be fetched.
 * Returns its length, 0 when it could not be read or decoded. */
static unsigned guest_insn(struct lp *lp, uint64_t rip, char *out, size_t size)
{
	const struct vmcs_cache *v = &lp->vmx.vmcs;
	uint64_t cs_ar = vmcs_read_enc(v, GUEST_CS_AR_BYTES);
	struct mmu_ctx c;
	lp_mmu_ctx(lp, &c);
	bool long64 = (c.efer & (1u << 10)) && (cs_ar & (1u << 13));
	uint64_t la = long64 ? rip : (vmcs_read_enc(v, GUEST_CS_BASE) + rip) & 0xffffffffull;
	uint8_t buf[15];
	size_t n = sizeof(buf);
	struct mmu_fault f;
	/* An instruction that ends short of the next page may not reach into it. */
	if (mmu_fetch(&lp->m->pm, &c, la, buf, n, MMU_SUPERVISOR | MMU_NO_AD, &f)) {
		n = 0x1000 - (la & 0xfff);
		if (n > sizeof(buf) || mmu_fetch(&lp->m->pm, &c, la, buf, n, MMU_SUPERVISOR | MMU_NO_AD, &f)) {
			snprintf(out, size, "(unreadable)");
			return 0;
		}
	}
	csh h = long64 ? lp->cs_handle : (cs_ar & (1u << 14)) ? lp->cs32 : lp->cs16;
	return disasm_one(h, buf, n, rip, out, size);
}

void vmx_check_exit_insn(struct lp *lp, uint32_t reason, const struct vmx_exit_info *info)
{
	char insn[160];
	unsigned len = guest_insn(lp, info->rip, insn, sizeof(insn));
	/* Bytes that decode as nothing prove nothing. */
	if (!len || len == info->insn_len)
		return;
	struct vtsim_machine *m = lp->m;
	if (!m->exit_check_failures++)
		snprintf(m->exit_check_msg, sizeof(m->exit_check_msg),
			 "lp%u: exit reason %u (%s) reports a %u-byte instruction at RIP 0x%llx, "
			 "where the guest has the %u-byte '%s'", lp->id, reason & 0xffff,
			 vmx_exit_reason_name(reason & 0xffff), info->insn_len,
			 (unsigned long long)info->rip, len, insn);
}

void vmx_trace_exit(struct lp *lp, uint32_t reason, const struct vmx_exit_info *info)
{
	struct exit_decoded q, intr, idt;
	exit_qual_decode(reason, info->qualification, info->intr_info, &q);
	char addrs[64] = "";
	unsigned basic = reason & 0xffff;
	if (basic == EXIT_REASON_EPT_VIOLATION || basic == EXIT_REASON_EPT_MISCONFIG)
		snprintf(addrs, sizeof(addrs), " gpa=0x%llx gla=0x%llx", (unsigned long long)info->guest_physical,
			 (unsigned long long)info->guest_linear);
	intr.kv[0] = idt.kv[0] = 0;
	if (info->intr_info & 0x80000000u)
		intr_info_decode(info->intr_info, info->intr_error, "", &intr);
	if (info->idt_vectoring_info & 0x80000000u)
		intr_info_decode(info->idt_vectoring_info, info->idt_vectoring_error, "idt_", &idt);
	char insn[160];
	guest_insn(lp, info->rip, insn, sizeof(insn));
	trace_event(lp->m, trace_cls_transition(lp) | VTSIM_TRACE_EXITS,
		    "exit lp%u vmcs=0x%llx reason=%u %s qual=0x%llx len=%u rip=0x%llx%s%s%s%s%s%s%s insn=%s",
		    lp->id, (unsigned long long)lp->vmx.current, basic, vmx_exit_reason_name(basic),
		    (unsigned long long)info->qualification, info->insn_len, (unsigned long long)info->rip,
		    q.kv[0] ? " " : "", q.kv, addrs, intr.kv[0] ? " " : "", intr.kv, idt.kv[0] ? " " : "",
		    idt.kv, insn);
}
