/* VM-exit qualifications and interruption information, decoded: a table of one
 * decoder per basic exit reason (SDM "Exit Qualification for ..."), each writing
 * key=value words and a sentence through kv() and say(). */
#include "sim/cpu/exit_decode.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/cpu/exception.h"
#include "sim/vmcs/exit_reasons.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void append(char *buf, size_t size, const char *sep, const char *fmt, va_list ap)
{
	size_t n = strlen(buf);
	if (n && sep && n + 1 < size) {
		strcpy(buf + n, sep);
		n += strlen(sep);
	}
	if (n < size)
		vsnprintf(buf + n, size - n, fmt, ap);
}

__attribute__((format(printf, 2, 3)))
static void kv(struct exit_decoded *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	append(d->kv, sizeof(d->kv), " ", fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3)))
static void say(struct exit_decoded *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	append(d->text, sizeof(d->text), NULL, fmt, ap);
	va_end(ap);
}

static const char *const gpr_names[16] = { "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
					   "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15" };
static const char *const gpr_keys[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
					  "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };

/* Exception or NMI: the qualification depends on the vector, which the
 * interruption information gives (0 when unknown). */
static void qual_exception(uint64_t q, uint32_t intr, struct exit_decoded *d)
{
	unsigned vector = intr & 0xff;
	bool known = intr & 0x80000000u;
	if (known && vector == 14) {
		kv(d, "pf_linear=0x%llx", (unsigned long long)q);
		say(d, "the #PF's faulting linear address 0x%llx (CR2 is not written)", (unsigned long long)q);
	} else if (known && vector == 1) {
		kv(d, "dr6=0x%llx", (unsigned long long)q);
		say(d, "the #DB's DR6-style bits 0x%llx (B0-B3, BD, BS; DR6 is not written)", (unsigned long long)q);
	} else if (known) {
		say(d, "none (0) for vector %u", vector);
	} else {
		kv(d, "qual_addr_or_dr6=0x%llx", (unsigned long long)q);
		say(d, "for #PF, the faulting linear address 0x%llx (CR2 is not written); for #DB, the "
		    "DR6-style bits B0-B3, BD, BS; 0 for other vectors", (unsigned long long)q);
	}
}

static void qual_sipi(uint64_t q, uint32_t intr, struct exit_decoded *d)
{
	kv(d, "sipi_vector=0x%llx", (unsigned long long)(q & 0xff));
	say(d, "SIPI vector 0x%llx (the AP starts at 0x%llx)", (unsigned long long)(q & 0xff),
	    (unsigned long long)(q & 0xff) << 12);
}

static void qual_task_switch(uint64_t q, uint32_t intr, struct exit_decoded *d)
{
	static const char *const src[] = { "call", "iret", "jmp", "idt-gate" };
	static const char *const src_text[] = { "CALL", "IRET", "JMP", "a task gate in the IDT" };
	unsigned s = (q >> 30) & 3;
	kv(d, "tss_selector=0x%llx source=%s", (unsigned long long)(q & 0xffff), src[s]);
	say(d, "task switch to the TSS selected by 0x%llx, caused by %s", (unsigned long long)(q & 0xffff),
	    src_text[s]);
}

static void qual_linear(uint64_t q, uint32_t intr, struct exit_decoded *d)
{
	kv(d, "linear=0x%llx", (unsigned long long)q);
	say(d, "the linear address operand 0x%llx", (unsigned long long)q);
}

/* VMX instructions, descriptor-table instructions, INVEPT, INVVPID, INVPCID: the
 * memory operand's displacement (0 for a register operand); the operands are in
 * VMX_INSTRUCTION_INFO. */
static void qual_displacement(uint64_t q, uint32_t intr, struct exit_decoded *d)
{
	kv(d, "disp=0x%llx", (unsigned long long)q);
	say(d, "displacement 0x%llx of the memory operand (0 for a register operand; the operands "
	    "are in VMX_INSTRUCTION_INFO)", (unsigned long long)q);
}

static void qual_cr(uint64_t q, uint32_t intr, struct exit_decoded *d)
{
	static const char *const types[] = { "mov-to-cr", "mov-from-cr", "clts", "lmsw" };
	static const char *const type_text[] = { "MOV to CR", "MOV from CR", "CLTS", "LMSW" };
	unsigned type = (q >> 4) & 3, reg = (q >> 8) & 15;
	kv(d, "cr=%llu type=%s", (unsigned long long)(q & 15), types[type]);
	say(d, "control register CR%llu, access type %u (%s)", (unsigned long long)(q & 15), type,
	    type_text[type]);
	if (type < 2) {
		kv(d, "gpr=%s", gpr_keys[reg]);
		say(d, ", general register %s", gpr_names[reg]);
	}
	if (type == 3) {
		kv(d, "lmsw_source=0x%llx lmsw_operand=%s", (unsigned long long)((q >> 16) & 0xffff),
		   (q >> 6) & 1 ? "memory" : "register");
		say(d, ", LMSW source 0x%llx, %s operand", (unsigned long long)((q >> 16) & 0xffff),
		    (q >> 6) & 1 ? "memory" : "register");
	}
}

static void qual_dr(uint64_t q, uint32_t intr, struct exit_decoded *d)
{
	bool from = (q >> 4) & 1;
	unsigned reg = (q >> 8) & 15;
	kv(d, "dr=%llu dir=%s gpr=%s", (unsigned long long)(q & 7), from ? "mov-from-dr" : "mov-to-dr",
	   gpr_keys[reg]);
	say(d, "debug register DR%llu, %s, general register %s", (unsigned long long)(q & 7),
	    from ? "MOV from DR" : "MOV to DR", gpr_names[reg]);
}

static void qual_io(uint64_t q, uint32_t intr, struct exit_decoded *d)
{
	bool in = (q >> 3) & 1, str = (q >> 4) & 1, rep = (q >> 5) & 1, imm = (q >> 6) & 1;
	unsigned size = (unsigned)(q & 7) + 1, port = (unsigned)(q >> 16) & 0xffff;
	kv(d, "dir=%s size=%u port=0x%x string=%d rep=%d imm=%d", in ? "in" : "out", size, port, str, rep, imm);
	say(d, "%s of %u byte(s) at port 0x%x%s%s%s", in ? "IN" : "OUT", size, port,
	    str ? ", string instruction" : "", rep ? ", REP prefix" : "",
	    imm ? ", port in an immediate" : ", port in DX");
}

static void qual_ept_violation(uint64_t q, uint32_t intr, struct exit_decoded *d)
{
	static const char *const bits[] = { "data read", "data write", "instruction fetch",
					    "the entries allowed reads", "the entries allowed writes",
					    "the entries allowed execution" };
	char acc[4] = "", perm[4] = "";
	size_t na = 0, np = 0;
	for (int i = 0; i < 3; i++) {
		if ((q >> i) & 1)
			acc[na++] = "rwx"[i];
		if ((q >> (i + 3)) & 1)
			perm[np++] = "rwx"[i];
	}
	bool gla = (q >> 7) & 1;
	kv(d, "access=%s allowed=%s gla_valid=%d", na ? acc : "-", np ? perm : "-", gla);
	if (gla)
		kv(d, "gla_kind=%s", (q >> 8) & 1 ? "final" : "paging-entry");
	kv(d, "nmi_unblocking=%d", (int)((q >> 12) & 1));
	say(d, "EPT violation:");
	const char *sep = " ";
	for (int i = 0; i < 6; i++)
		if ((q >> i) & 1) {
			say(d, "%s%s", sep, bits[i]);
			sep = ", ";
		}
	if ((q & 0x38) == 0)
		say(d, "%sthe translation was not present", sep);
	say(d, "; guest-linear address %s", gla ? "valid" : "not valid");
	if (gla)
		say(d, ", %s", (q >> 8) & 1 ? "the access was to the final guest-physical address"
					    : "the access was to a guest paging-structure entry");
	if ((q >> 12) & 1)
		say(d, "; NMI unblocking due to IRET");
}

static void qual_apic_access(uint64_t q, uint32_t intr, struct exit_decoded *d)
{
	static const char *const types[16] = { "linear-read", "linear-write", "linear-fetch",
					       "linear-event", "", "", "", "",
					       "", "", "physical-event", "physical-fetch-or-read" };
	unsigned type = (q >> 12) & 15;
	kv(d, "offset=0x%llx access_type=%u", (unsigned long long)(q & 0xfff), type);
	say(d, "APIC-access page offset 0x%llx, access type %u (%s)", (unsigned long long)(q & 0xfff),
	    type, types[type][0] ? types[type] : "reserved");
}

static void qual_apic_write(uint64_t q, uint32_t intr, struct exit_decoded *d)
{
	kv(d, "offset=0x%llx", (unsigned long long)(q & 0xfff));
	say(d, "write to the virtual-APIC page at offset 0x%llx", (unsigned long long)(q & 0xfff));
}

static void qual_eoi(uint64_t q, uint32_t intr, struct exit_decoded *d)
{
	kv(d, "vector=0x%llx", (unsigned long long)(q & 0xff));
	say(d, "EOI of vector 0x%llx", (unsigned long long)(q & 0xff));
}

static void qual_invalid_state(uint64_t q, uint32_t intr, struct exit_decoded *d)
{
	static const char *const why[] = { "no detail", "no detail", "a PDPTE was invalid",
					   "NMI injection with blocking by STI",
					   "the VMCS link pointer was invalid" };
	kv(d, "entry_failure=%llu", (unsigned long long)q);
	say(d, "qualification %llu: %s", (unsigned long long)q, q < ARRAY_SIZE(why) ? why[q] : "no detail");
}

static void qual_msr_load_fail(uint64_t q, uint32_t intr, struct exit_decoded *d)
{
	kv(d, "msr_entry=%llu", (unsigned long long)q);
	say(d, "the MSR-load list's entry %llu (1-based) failed", (unsigned long long)q);
}

/* An SMM VM exit for an SMI right after an I/O instruction: that instruction, in
 * the I/O-instruction format (SDM "Exit Qualification for SMIs That Arrive
 * Immediately After the Retirement of an I/O Instruction"). */
static void qual_io_smi(uint64_t q, uint32_t intr, struct exit_decoded *d)
{
	say(d, "the I/O instruction the SMI followed: ");
	qual_io(q, intr, d);
}

static void qual_mwait(uint64_t q, uint32_t intr, struct exit_decoded *d)
{
	kv(d, "monitor_armed=%d", (int)(q & 1));
	say(d, "the address-range monitoring hardware was %s", q & 1 ? "armed (MONITOR ran)" : "not armed");
}

/* Bit 12 of the qualifications of exits that can block NMIs again: the exit
 * happened while an IRET unblocked NMIs. */
static void nmi_unblocking(uint64_t q, struct exit_decoded *d)
{
	kv(d, "nmi_unblocking=%d", (int)((q >> 12) & 1));
	if ((q >> 12) & 1)
		say(d, "; NMI unblocking due to IRET");
}

static void qual_pml_full(uint64_t q, uint32_t intr, struct exit_decoded *d)
{
	say(d, "the page-modification log was full");
	nmi_unblocking(q, d);
	kv(d, "async=%d", (int)((q >> 16) & 1));
	if ((q >> 16) & 1)
		say(d, "; asynchronous to instruction execution");
}

static void qual_spp(uint64_t q, uint32_t intr, struct exit_decoded *d)
{
	kv(d, "spp=%s", (q >> 11) & 1 ? "miss" : "misconfig");
	say(d, "%s", (q >> 11) & 1 ? "SPP miss (no SPP table entry for the page)" : "SPP misconfiguration");
	nmi_unblocking(q, d);
}

static void qual_notify(uint64_t q, uint32_t intr, struct exit_decoded *d)
{
	kv(d, "context_invalid=%d", (int)(q & 1));
	say(d, "no instruction boundary within the notify window; the VM context is %s",
	    q & 1 ? "invalid (the guest cannot be resumed)" : "valid");
	nmi_unblocking(q, d);
}

typedef void (*qual_fn)(uint64_t q, uint32_t intr, struct exit_decoded *d);

static const struct {
	uint16_t reason;
	qual_fn decode;
} decoders[] = {
	{ EXIT_REASON_EXCEPTION_NMI, qual_exception },
	{ EXIT_REASON_SIPI_SIGNAL, qual_sipi },
	{ EXIT_REASON_IO_SMI, qual_io_smi },
	{ EXIT_REASON_TASK_SWITCH, qual_task_switch },
	{ EXIT_REASON_INVLPG, qual_linear },
	{ EXIT_REASON_VMCLEAR, qual_displacement },
	{ EXIT_REASON_VMPTRLD, qual_displacement },
	{ EXIT_REASON_VMPTRST, qual_displacement },
	{ EXIT_REASON_VMREAD, qual_displacement },
	{ EXIT_REASON_VMWRITE, qual_displacement },
	{ EXIT_REASON_VMON, qual_displacement },
	{ EXIT_REASON_CR_ACCESS, qual_cr },
	{ EXIT_REASON_DR_ACCESS, qual_dr },
	{ EXIT_REASON_IO_INSTRUCTION, qual_io },
	{ EXIT_REASON_INVALID_STATE, qual_invalid_state },
	{ EXIT_REASON_MSR_LOAD_FAIL, qual_msr_load_fail },
	{ EXIT_REASON_MWAIT_INSTRUCTION, qual_mwait },
	{ EXIT_REASON_APIC_ACCESS, qual_apic_access },
	{ EXIT_REASON_EOI_INDUCED, qual_eoi },
	{ EXIT_REASON_GDTR_IDTR, qual_displacement },
	{ EXIT_REASON_LDTR_TR, qual_displacement },
	{ EXIT_REASON_EPT_VIOLATION, qual_ept_violation },
	{ EXIT_REASON_INVEPT, qual_displacement },
	{ EXIT_REASON_INVVPID, qual_displacement },
	{ EXIT_REASON_APIC_WRITE, qual_apic_write },
	{ EXIT_REASON_INVPCID, qual_displacement },
	{ EXIT_REASON_PML_FULL, qual_pml_full },
	{ EXIT_REASON_SPP, qual_spp },
	{ EXIT_REASON_NOTIFY, qual_notify },
};

bool exit_qual_decode(uint32_t reason, uint64_t qual, uint32_t intr_info, struct exit_decoded *d)
{
	d->kv[0] = d->text[0] = 0;
	unsigned basic = reason & 0xffff;
	for (size_t i = 0; i < ARRAY_SIZE(decoders); i++)
		if (decoders[i].reason == basic) {
			decoders[i].decode(qual, intr_info, d);
			return true;
		}
	return false;
}

void intr_info_decode(uint32_t info, uint32_t error_code, const char *prefix, struct exit_decoded *d)
{
	static const char *const types[8] = { "ext-interrupt", "reserved", "nmi", "hw-exception",
					      "sw-interrupt", "priv-sw-exception", "sw-exception", "other" };
	static const char *const type_text[8] = { "external interrupt", "reserved type", "NMI",
						  "hardware exception", "software interrupt (INT n)",
						  "privileged software exception (INT1)",
						  "software exception (INT3, INTO)", "other event" };
	d->kv[0] = d->text[0] = 0;
	if (!(info & 0x80000000u)) {
		kv(d, "%svalid=0", prefix);
		say(d, "not valid (bit 31 clear)");
		return;
	}
	unsigned vector = info & 0xff, type = (info >> 8) & 7;
	bool ec = (info >> 11) & 1, nmi_unblock = (info >> 12) & 1;
	const char *name = type == 3 || type == 6 ? exc_name(vector) : type == 2 ? "NMI" : NULL;
	kv(d, "%svector=%u", prefix, vector);
	if (name)
		kv(d, "%sname=%s", prefix, name);
	kv(d, "%stype=%s", prefix, types[type]);
	if (ec)
		kv(d, "%serr=0x%x", prefix, error_code);
	if (nmi_unblock)
		kv(d, "%snmi_unblocking=1", prefix);
	say(d, "vector %u%s%s%s, %s", vector, name ? " (" : "", name ? name : "", name ? ")" : "",
	    type_text[type]);
	if (ec)
		say(d, ", error code 0x%x", error_code);
	else
		say(d, ", no error code");
	if (nmi_unblock)
		say(d, ", NMI unblocking due to IRET");
}
