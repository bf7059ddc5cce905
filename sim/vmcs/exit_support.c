/* The exit-reason support table (exit_support.h): one row per basic exit reason.
 * Controls without an exit reason of their own that the xeon model does not offer
 * because vtsim does not implement them (sim/vmcs/caps.c): IPI virtualization
 * (tertiary bit 4). */
#include <stddef.h>
#include <string.h>

#include "sim/vmcs/exit_support.h"
#include "sim/cpu/cpuid.h"
#include "sim/vmcs/exit_reasons.h"

#define ALWAYS(n, w)       { .reason = n, .gate = EXIT_GATE_ALWAYS, .why = w }
#define CTL(n, c, b, w)    { .reason = n, .gate = EXIT_GATE_CTL, .ctl = VMCS_CTL_##c, .bit = b, .why = w }
/* A control's exit for an instruction that exists only with CPUID.01H:ECX bits f. */
#define CTL_CPUID(n, c, b, f, w) { .reason = n, .gate = EXIT_GATE_CTL, .ctl = VMCS_CTL_##c, .bit = b, \
				   .cpuid_01_ecx = f, .why = w }
#define MSR(n, m, b, w)    { .reason = n, .gate = EXIT_GATE_MSR, .msr = m, .bit = b, .why = w }
#define SEAM(n, w)         { .reason = n, .gate = EXIT_GATE_SEAM, .why = w }
#define NONE(n, w)         { .reason = n, .gate = EXIT_GATE_NONE, .why = w }
/* Rows whose gate the model opens although vtsim does not produce the exit (m: what
 * is missing). */
#define CTL_GAP(n, c, b, w, m) { .reason = n, .gate = EXIT_GATE_CTL, .ctl = VMCS_CTL_##c, .bit = b, .why = w, .missing = m }

/* XSAVES and XRSTORS exit when EDX:EAX & IA32_XSS & the XSS-exiting bitmap is not 0
 * (SDM Vol. 3C "Instructions That Cause VM Exits Conditionally"), so an exit needs a
 * supervisor state component in IA32_XSS as well as the instructions. */
#define XSAVES_WHY "not modelled, because no model claims XSAVES (TCG lacks XSAVES/XRSTORS) and " \
	"an exit needs EDX:EAX & IA32_XSS & XSS-exiting bitmap != 0: a supervisor state " \
	"component, each of which (PT, PASID, CET, HDC, UINTR, arch LBR, HWP) needs a " \
	"feature the engine lacks; \"enable XSAVES/XRSTORS\" is not allowed"

static const struct exit_support table[] = {
	ALWAYS(0, "exceptions through the exception bitmap (#PF with error-code mask/match); NMIs (the "
	       "local APIC's NMI IPIs) with NMI exiting (sim/cpu/interrupt.c)"),
	CTL(1, PIN, 0, "pin-based external-interrupt exiting"),
	ALWAYS(2, "a triple fault in the guest"),
	ALWAYS(3, "an INIT signal arriving in VMX non-root operation"),
	MSR(4, MSR_IA32_VMX_MISC, 8, "a SIPI while the guest is in the wait-for-SIPI activity state"),
	MSR(5, MSR_IA32_VMX_BASIC, 49, "an I/O SMI under the dual-monitor treatment (OUT to the APM control port)"),
	NONE(6, "no SMI source but the APM control port (an I/O SMI, reason 5) is modelled"),
	CTL(7, PROC, 2, "interrupt-window exiting"),
	CTL(8, PROC, 22, "NMI-window exiting"),
	ALWAYS(9, "any task switch in a guest outside IA-32e mode, after the checks before it: far CALL/JMP "
	       "to a TSS or task gate, IRET with NT = 1 (site_task_switch, sim/cpu/vmx_task_switch.c), an "
	       "event through an IDT task gate (sim/cpu/exception.c); vtsim never performs the switch"),
	ALWAYS(10, "CPUID, unconditional"),
	MSR(11, MSR_IA32_VMX_CR4_FIXED1, 14, "GETSEC with CR4.SMXE = 1, unconditional, any leaf and CPL "
	    "(sim/cpu/getsec.c); a model whose CPUID has no SMX cannot set CR4.SMXE, so GETSEC is #UD"),
	CTL(12, PROC, 7, "HLT exiting"),
	ALWAYS(13, "INVD, unconditional"),
	CTL(14, PROC, 9, "INVLPG exiting"),
	CTL(15, PROC, 11, "RDPMC exiting"),
	CTL(16, PROC, 12, "RDTSC exiting"),
	MSR(17, MSR_IA32_VMX_BASIC, 49, "RSM in SMM VMX non-root operation (a guest the SMM-transfer monitor entered with \"entry to SMM\")"),
	ALWAYS(18, "VMCALL, unconditional"),
	ALWAYS(19, "VMCLEAR, unconditional"),
	ALWAYS(20, "VMLAUNCH, unconditional"),
	ALWAYS(21, "VMPTRLD, unconditional"),
	ALWAYS(22, "VMPTRST, unconditional"),
	ALWAYS(23, "VMREAD, unless VMCS shadowing and the VMREAD bitmap let the guest read the shadow VMCS"),
	ALWAYS(24, "VMRESUME, unconditional"),
	ALWAYS(25, "VMWRITE, unless VMCS shadowing and the VMWRITE bitmap let the guest write the shadow VMCS"),
	ALWAYS(26, "VMXOFF, unconditional"),
	ALWAYS(27, "VMXON, unconditional"),
	ALWAYS(28, "MOV CR0/CR4 against the guest/host masks, CLTS, LMSW; CR3 and CR8 exiting"),
	CTL(29, PROC, 23, "MOV-DR exiting"),
	CTL(30, PROC, 24, "unconditional I/O exiting or the I/O bitmaps"),
	ALWAYS(31, "RDMSR: every MSR without MSR bitmaps, per the bitmap with them"),
	ALWAYS(32, "WRMSR: every MSR without MSR bitmaps, per the bitmap with them"),
	ALWAYS(33, "VM-entry failure: invalid guest state"),
	ALWAYS(34, "VM-entry failure: MSR loading"),
	NONE(35, "reserved"),
	CTL_CPUID(36, PROC, 10, CPUID_01_ECX_MONITOR,
	    "MWAIT exiting, if the CPUID model has MONITOR/MWAIT (else MWAIT is #UD, before the exit)"),
	CTL(37, PROC, 27, "monitor trap flag"),
	NONE(38, "reserved"),
	CTL_CPUID(39, PROC, 29, CPUID_01_ECX_MONITOR,
	    "MONITOR exiting, if the CPUID model has MONITOR/MWAIT (else MONITOR is #UD, before the exit)"),
	CTL(40, PROC, 30, "PAUSE exiting or pause-loop exiting"),
	ALWAYS(41, "VM-entry failure: machine-check event during VM entry"),
	NONE(42, "reserved"),
	CTL(43, PROC, 21, "TPR below threshold (use TPR shadow): after MOV to CR8 or a virtualized VTPR "
	    "write, and at VM entry (sim/cpu/apicv.c)"),
	CTL(44, PROC2, 0, "APIC access (virtualize APIC accesses): the guest TLB refuses the APIC-access "
	    "page (sim/cpu/apicv.c)"),
	CTL(45, PROC2, 9, "virtualized EOI (virtual-interrupt delivery) of a vector in the EOI-exit "
	    "bitmap (sim/cpu/apicv.c)"),
	CTL(46, PROC2, 2, "descriptor-table exiting: LGDT, LIDT, SGDT, SIDT"),
	CTL(47, PROC2, 2, "descriptor-table exiting: LLDT, LTR, SLDT, STR"),
	CTL(48, PROC2, 1, "EPT violation"),
	CTL(49, PROC2, 1, "EPT misconfiguration"),
	ALWAYS(50, "INVEPT, unconditional"),
	CTL(51, PROC2, 3, "RDTSCP with enable RDTSCP and RDTSC exiting"),
	CTL(52, PIN, 6, "VMX-preemption timer expired"),
	ALWAYS(53, "INVVPID, unconditional"),
	CTL(54, PROC2, 6, "WBINVD exiting"),
	ALWAYS(55, "XSETBV, unconditional"),
	CTL(56, PROC2, 8, "APIC write (APIC-register virtualization, or VID's EOI and ICR writes): a "
	    "virtualized write the VMM must emulate (sim/cpu/apicv.c)"),
	CTL(57, PROC2, 11, "RDRAND exiting"),
	CTL(58, PROC2, 12, "INVPCID with enable INVPCID and INVLPG exiting"),
	CTL(59, PROC2, 13, "VMFUNC with a function not enabled or a failed EPTP switch"),
	CTL(60, PROC2, 15, "ENCLS exiting (ENCLS-exiting bitmap): not modelled, because vtsim models no "
	    "SGX (no EPC, no enclaves; TCG has no ENCLS): no model claims SGX (CPUID.07H:EBX[2]), ENCLS "
	    "is #UD, and no model allows \"enable ENCLS exiting\""),
	CTL(61, PROC2, 16, "RDSEED exiting"),
	CTL(62, PROC2, 17, "page-modification log full (enable PML, with EPT A/D flags)"),
	CTL(63, PROC2, 20, XSAVES_WHY),
	CTL(64, PROC2, 20, XSAVES_WHY),
	CTL(65, PROC2, 27, "PCONFIG: the CPUID model has no PCONFIG"),
	CTL(66, PROC2, 23, "sub-page write permissions: not modelled"),
	CTL(67, PROC2, 26, "UMWAIT: the CPUID model has no WAITPKG"),
	CTL(68, PROC2, 26, "TPAUSE: the CPUID model has no WAITPKG"),
	CTL(69, PROC3, 0, "LOADIWKEY exiting: the CPUID model has no Key Locker"),
	CTL(70, PROC2, 28, "ENCLV exiting: the CPUID model has no SGX"),
	CTL(71, PROC2, 15, "SGX conflict: the CPUID model has no SGX"),
	CTL(72, PROC2, 29, "ENQCMD PASID translation: the CPUID model has no ENQCMD"),
	CTL(73, PROC2, 29, "ENQCMDS PASID translation: the CPUID model has no ENQCMD"),
	CTL(74, PROC2, 30, "bus-lock detection: not modelled"),
	CTL(75, PROC2, 31, "instruction timeout (notify window): not modelled"),
	SEAM(76, "SEAMCALL in VMX non-root operation, unconditional"),
	SEAM(77, "TDCALL in a TD (SEAM VMX non-root operation)"),
	NONE(78, "RDMSRLIST: the CPUID model has no MSRLIST"),
	NONE(79, "WRMSRLIST: the CPUID model has no MSRLIST"),
	NONE(80, "URDMSR: the CPUID model has no USER_MSR"),
	NONE(81, "UWRMSR: the CPUID model has no USER_MSR"),
	NONE(82, "reserved"),
	NONE(83, "reserved"),
	NONE(84, "RDMSR with an immediate: the CPUID model has no MSR_IMM"),
	NONE(85, "WRMSRNS with an immediate: the CPUID model has no MSR_IMM"),
};

const struct exit_support *exit_support_of(unsigned reason)
{
	if (reason >= sizeof(table) / sizeof(table[0]) || table[reason].reason != reason)
		return NULL;
	if (!strcmp(vmx_exit_reason_name(reason), "RESERVED"))
		return NULL;
	return &table[reason];
}

/* The model's CPUID has the features the instruction needs. */
static bool cpuid_has(const struct vmcs_caps *c, const struct exit_support *s)
{
	if (!s->cpuid_01_ecx)
		return true;
	const struct cpu_model *m = cpuid_model_find(vmcs_caps_model_name(c));
	struct cpuid_regs r;
	if (!m)
		return false;
	cpuid_query(m, NULL, false, 1, 0, &r);
	return (r.ecx & s->cpuid_01_ecx) == s->cpuid_01_ecx;
}

bool exit_support_gate_open(const struct vmcs_caps *c, const struct exit_support *s)
{
	uint64_t v;
	if (!cpuid_has(c, s))
		return false;

	switch (s->gate) {
	case EXIT_GATE_ALWAYS: return true;
	case EXIT_GATE_CTL:    return (vmcs_caps_allowed1(c, s->ctl) >> s->bit) & 1;
	case EXIT_GATE_MSR:    return !vmcs_caps_rdmsr(c, s->msr, &v) && ((v >> s->bit) & 1);
	case EXIT_GATE_SEAM:   return vmcs_caps_has_seam(c);
	default:               return false;
	}
}

bool exit_support_producible(const struct vmcs_caps *c, unsigned reason)
{
	const struct exit_support *s = exit_support_of(reason);

	return s && !s->missing && exit_support_gate_open(c, s);
}
