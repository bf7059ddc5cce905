/* `vtsim explain`: what a number a student or developer already has means: a
 * VM-instruction error, an exit reason with its qualification, a TDX module status,
 * a VM-entry check ID. Every answer comes from the tables the simulator runs on. */
#include "tools/explain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/tdx_module_stub/status.h"
#include "sim/vmcs/errors.h"
#include "sim/vmcs/exit_reasons.h"
#include "vtsim/vtsim.h"

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end ? -1 : 0;
}

static int explain_error(const char *arg)
{
	uint64_t n;
	if (parse_u64(arg, &n) || n > 0xffffffffu) {
		fprintf(stderr, "vtsim: explain error: '%s' is not a number\n", arg);
		return 2;
	}
	printf("VM-instruction error %llu: %s.\n", (unsigned long long)n, vmx_insn_error_str((unsigned)n));
	if (n == 7)
		printf("A control field broke a rule of the VM-entry checks on controls (CTL_*; "
		       "`vtsim checks` lists them). vtsim run names the rule on stderr.\n");
	else if (n == 8)
		printf("A host-state field broke a rule of the checks on host state (HOST_*). "
		       "vtsim run names the rule on stderr.\n");
	printf("(SDM Vol. 3C, \"VM Instruction Error Numbers\".)\n");
	return 0;
}

static const char *const cr_access_types[] = { "MOV to CR", "MOV from CR", "CLTS", "LMSW" };
static const char *const gpr_names[] = { "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
					 "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15" };

static void qual_cr(uint64_t q)
{
	unsigned type = (q >> 4) & 3;
	printf("  control register CR%llu, access type %u (%s)", (unsigned long long)(q & 15), type,
	       cr_access_types[type]);
	if (type < 2)
		printf(", general register %s", gpr_names[(q >> 8) & 15]);
	if (type == 3)
		printf(", LMSW source 0x%llx, %s operand", (unsigned long long)((q >> 16) & 0xffff),
		       (q >> 6) & 1 ? "memory" : "register");
	printf("\n");
}

static void qual_dr(uint64_t q)
{
	printf("  debug register DR%llu, %s, general register %s\n", (unsigned long long)(q & 7),
	       (q >> 4) & 1 ? "MOV from DR" : "MOV to DR", gpr_names[(q >> 8) & 15]);
}

static void qual_io(uint64_t q)
{
	printf("  %s of %llu byte(s) at port 0x%llx%s%s%s\n", (q >> 3) & 1 ? "IN" : "OUT",
	       (unsigned long long)(q & 7) + 1, (unsigned long long)(q >> 16 & 0xffff),
	       (q >> 4) & 1 ? ", string instruction" : "", (q >> 5) & 1 ? ", REP prefix" : "",
	       (q >> 6) & 1 ? ", port in an immediate" : ", port in DX");
}

static void qual_ept(uint64_t q)
{
	static const char *const bits[] = { "data read", "data write", "instruction fetch",
					    "the entries allowed reads", "the entries allowed writes",
					    "the entries allowed execution" };
	printf("  EPT violation:");
	const char *sep = " ";
	for (int i = 0; i < 6; i++)
		if ((q >> i) & 1) {
			printf("%s%s", sep, bits[i]);
			sep = ", ";
		}
	if ((q & 0x38) == 0)
		printf("%sthe translation was not present", sep);
	printf("\n  guest-linear address %s", (q >> 7) & 1 ? "valid" : "not valid");
	if ((q >> 7) & 1)
		printf(", %s", (q >> 8) & 1 ? "the access was to the final guest-physical address"
					    : "the access was to a guest paging-structure entry");
	printf("%s\n", (q >> 12) & 1 ? "; NMI unblocking due to IRET" : "");
}

static void qual_entry_failure(uint64_t reason, uint64_t q)
{
	if ((reason & 0xffff) == 34)
		printf("  the MSR-load list's entry %llu (1-based) failed\n", (unsigned long long)q);
	else
		printf("  qualification %llu: %s\n", (unsigned long long)q,
		       q == 2 ? "a PDPTE was invalid" : q == 3 ? "NMI injection with blocking by STI"
		       : q == 4 ? "the VMCS link pointer was invalid" : "no detail");
}

static int explain_exit(const char *reason_s, const char *qual_s)
{
	uint64_t reason, q = 0;
	if (parse_u64(reason_s, &reason) || reason > 0xffffffffu || (qual_s && parse_u64(qual_s, &q))) {
		fprintf(stderr, "vtsim: explain exit: expected REASON [QUALIFICATION] as numbers\n");
		return 2;
	}
	unsigned basic = reason & 0xffff;
	bool failed = reason & 0x80000000u;
	printf("Exit reason %llu (0x%llx): basic reason %u, %s%s.\n", (unsigned long long)reason,
	       (unsigned long long)reason, basic,
	       vmx_exit_reason_name(basic), failed ? ", and bit 31 set: the VM entry failed (the "
	       "guest never ran; host state was loaded as for an exit)" : "");
	if (!qual_s)
		return 0;
	printf("Qualification 0x%llx:\n", (unsigned long long)q);
	if (failed && (basic == 33 || basic == 34)) {
		qual_entry_failure(reason, q);
		return 0;
	}
	switch (basic) {
	case EXIT_REASON_CR_ACCESS: qual_cr(q); break;
	case EXIT_REASON_DR_ACCESS: qual_dr(q); break;
	case EXIT_REASON_IO_INSTRUCTION: qual_io(q); break;
	case EXIT_REASON_EPT_VIOLATION: qual_ept(q); break;
	case EXIT_REASON_EXCEPTION_NMI:
		printf("  for #PF, the faulting linear address (CR2 is not written); for #DB, the "
		       "DR6-style bits; otherwise 0\n");
		break;
	default:
		printf("  %s\n", q ? "see the SDM's table for this reason" : "none (0) for this reason");
	}
	return 0;
}

static const char *const operand_regs[16] = { "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
					      "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15" };

static int explain_status(const char *arg)
{
	uint64_t s;
	if (parse_u64(arg, &s)) {
		fprintf(stderr, "vtsim: explain status: '%s' is not a number\n", arg);
		return 2;
	}
	const char *name = tdx_status_name(s);
	if ((s & 0xffffffff00000000ull) == (TDX_SEAMCALL_VMFAILINVALID & 0xffffffff00000000ull) &&
	    (uint32_t)s == 0xffff0000u) {
		printf("TDX_SEAMCALL_VMFAILINVALID: Linux's code for a SEAMCALL that found no TDX module "
		       "(VMfailInvalid, RAX unchanged).\n");
		return 0;
	}
	if ((s & 0xffffffff00000000ull) == TDX_SW_ERROR) {
		printf("TDX_SW_ERROR | %u: Linux's code for a SEAMCALL that raised vector %u (%s).\n",
		       (unsigned)s, (unsigned)s, (uint32_t)s == 6 ? "#UD" : (uint32_t)s == 13 ? "#GP" : "?");
		return 0;
	}
	printf("Status 0x%016llx: %s.\n", (unsigned long long)s, name ? name : "not a code of the TDX module");
	printf("  %s%s%s, class 0x%02x, details 0x%02x / 0x%08x\n",
	       (s >> 63) & 1 ? "error" : "not an error (informational)",
	       (s >> 62) & 1 ? ", non-recoverable" : "", (s >> 61) & 1 ? ", fatal" : "",
	       (unsigned)(s >> 40) & 0xff, (unsigned)(s >> 32) & 0xff, (unsigned)s);
	uint32_t op = (uint32_t)s;
	if ((s >> 63) & 1) {
		if (op < 16)
			printf("  operand: %s (operand id %u)\n", operand_regs[op], op);
		else if (op)
			printf("  operand id or detail 0x%x (structures: 0x80 TDR, 0x92 S-EPT, 0xA9 TD "
			       "epoch, 0xBA KOT; TDMR errors: the TDMR's index)\n", op);
	}
	return 0;
}

static int explain_check(const char *id)
{
	const char *cls, *sec, *sum, *cid;
	for (unsigned i = 0; (cid = vtsim_entry_check(i, &cls, &sec, &sum)); i++)
		if (!strcmp(cid, id)) {
			printf("%s (%s check, SDM Vol. 3C \"VM Entries\" %s): %s.\n", cid, cls, sec, sum);
			printf("It fails VM entry with %s.\n",
			       !strcmp(cls, "control") ? "VMfailValid(7)" : !strcmp(cls, "host") ? "VMfailValid(8)"
			       : !strcmp(cls, "guest") ? "exit reason 33 | 0x80000000"
			       : "exit reason 34 | 0x80000000 (the entry's number in the qualification)");
			return 0;
		}
	fprintf(stderr, "vtsim: explain check: no check '%s' (vtsim checks lists them)\n", id);
	return 2;
}

int vtsim_explain_main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "error"))
		return explain_error(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "exit"))
		return explain_exit(argv[2], argc >= 4 ? argv[3] : NULL);
	if (argc >= 3 && !strcmp(argv[1], "status"))
		return explain_status(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "check"))
		return explain_check(argv[2]);
	fprintf(stderr, "usage: vtsim explain error N | exit REASON [QUALIFICATION] | status VALUE | check ID\n");
	return 2;
}
