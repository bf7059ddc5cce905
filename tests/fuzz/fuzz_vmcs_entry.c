/* The VM-entry checks under hostile VMCS contents, on the "xeon" model. An input
 * changes the valid VMCS of tests/unit/entry_fixture.h (so that most inputs break one
 * rule or a few and reach deep rows), or starts from pseudo-random values in every
 * field; then VMLAUNCH (or VMRESUME) checks it.
 *
 * Input: a flags byte, then 11-byte records (op, field index: 2 bytes LE, value: 8
 * bytes LE). Flags: bit 0 start from random fields (the PRNG seeded by bytes 1..8 of
 * the input), bit 1 VMRESUME, bit 2 a processor outside IA-32e mode (IA32_EFER.LMA =
 * 0). The field index is taken modulo the field table (sim/vmcs/fields.h). Ops
 * (op % 8): 0 set, 1 xor, 2 or, 3 and-not, 4 flip bit value % 64, 5 set the low byte
 * only, 6 write the value to memory at (index * 8) % 64 KiB (for the MSR-load list and
 * the other structures the checks read), 7 set one of the eight control words (index %
 * 8) to its required bits plus value's allowed bits.
 *
 * Oracle (abort on violation): no crash or undefined behaviour (the libFuzzer build
 * has ASan and UBSan); the recorder (sim/vmcs/entry_coverage.h) and entry_run() class
 * by class agree on the first failing row and the whole diagnostic; the failing row
 * is in the class the diagnostic names, its ID has that class's prefix, the rule text
 * is filled, the qualification is one that class may report, the field named is a
 * field; and the VMX instruction unit's VMLAUNCH/VMRESUME on the same VMCS and memory
 * (whose guest-state checks reuse what passed for the previous input, skipping rows
 * whose fields this input did not change)
 * gives that class's architected result: VMfailValid(7) for a control, (8) for host
 * state, a failed entry with exit reason 33 (guest state) or 34 (MSR loading) and bit
 * 31, with the row's qualification. A VMCS passing every row (in IA-32e mode) is
 * entered for real through the hosted interface (include/vtsim/hosted.h): VMLAUNCH
 * (or VMRESUME) -> the guest's instructions -> a VM exit. The fixture's guest runs
 * "nop; nop; cpuid; hlt" at 0x400000 (identity page tables at its CR3, 0x200000), so
 * with the fixture's controls it exits for CPUID after two instructions; the
 * machine's instruction limit (GUEST_BUDGET) bounds what an input's controls make
 * of it. Oracle: the entry the checks passed happens: the outcome is a VM exit with
 * a basic reason (bit 31 clear, a reason vtsim names), or the machine stopping (the
 * instruction limit, a guest halt, the guest's debug exit, a documented
 * limitation); never a VMfail, a failed entry or a fault of the instruction.
 *
 * Each input starts from the same machine: a snapshot (include/vtsim/snapshot.h)
 * taken after setup is restored first (registers, VMX state and the VMCS cache, the
 * entry checks' cache, the RAM the previous input wrote). Before it, one VMLAUNCH of
 * the fixture failed only at MSR loading, so the snapshot's guest-state check cache
 * is valid: every input's VMLAUNCH re-runs just the rows its changes touch.
 *
 * The rows hit (passed, failed) accumulate over the run: the summary line goes to
 * stderr at exit, "vmcs_entry: checks hit: X of Y (passed P, failed F)", preceded by
 * one line per row ("ID passed=N failed=M") when VMCS_ENTRY_COVERAGE is set in the
 * environment. A corpus's coverage: VMCS_ENTRY_COVERAGE=1 fuzz_vmcs_entry -runs=0 DIR. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cpu/boot.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/vmx.h"
#include "vtsim/hosted.h"
#include "vtsim/snapshot.h"
#include "sim/vmcs/exit_reasons.h"
#include "sim/vmcs/entry_coverage.h"
#include "tests/unit/entry_fixture.h"

#define REC      11
#define WIN      0x10000u      /* memory an input may write: [0, WIN) */
#define VMXON_PA 0x300000u
#define VMCS_PA  0x301000u

#define PRIME_MSR_PA 0x302000u   /* an MSR-load entry with reserved bits set */

#define GUEST_BUDGET 1024            /* guest instructions an input may run (virtual
					* time counts a block's when it starts) */

static struct vtsim_machine *m;
static struct vtsim_snapshot *snap;
static struct vmcs_cache fixture;
static struct entry_coverage cov;   /* over the whole run */

static const struct { enum vmcs_ctl ctl; uint32_t enc; } ctl_words[8] = {
	{ VMCS_CTL_PIN, PIN_BASED_VM_EXEC_CONTROL },
	{ VMCS_CTL_PROC, CPU_BASED_VM_EXEC_CONTROL },
	{ VMCS_CTL_PROC2, SECONDARY_VM_EXEC_CONTROL },
	{ VMCS_CTL_PROC3, TERTIARY_VM_EXEC_CONTROL },
	{ VMCS_CTL_EXIT, VM_EXIT_CONTROLS },
	{ VMCS_CTL_EXIT2, SECONDARY_VM_EXIT_CONTROLS },
	{ VMCS_CTL_ENTRY, VM_ENTRY_CONTROLS },
	{ VMCS_CTL_VMFUNC, VM_FUNCTION_CONTROL },
};

#ifndef VTSIM_FUZZ_EMBEDDED
static void report(void)
{
	if (getenv("VMCS_ENTRY_COVERAGE"))
		entry_coverage_print(stderr, &cov);
	fputs("vmcs_entry: ", stderr);
	entry_coverage_print_summary(stderr, &cov);
}
#endif

static int mem_read(void *ctx, void *buf, unsigned n, struct vmx_fault *f)
{
	memset(buf, 0, n);
	memcpy(buf, ctx, n < 8 ? n : 8);
	return 0;
}

static int mem_write(void *ctx, const void *buf, unsigned n, struct vmx_fault *f)
{
	return 0;
}

static void run_insn(enum vmx_insn_id id, uint64_t ptr, struct vmx_result *res)
{
	struct lp *lp = &m->lps[0];
	struct vmx_operands ops = { .rm_value = ptr, .opsize = 8, .read = mem_read,
				    .write = mem_write, .ctx = &ptr };
	struct cpu_view v;
	memset(res, 0, sizeof(*res));
	cpustate_view(&lp->cs, &v);
	vmx_execute(lp, &v, id, &ops, res);
}

/* The fixture in the current VMCS through VMWRITE's path, then one VMLAUNCH that
 * passes the control, host and guest checks and fails at the MSR-load list (its
 * one entry has reserved bits set): the guest-state check cache is valid for the
 * fixture. With the count back at the fixture's, the snapshot. */
static void prime_and_snapshot(void)
{
	struct lp *lp = &m->lps[0];
	struct vmcs_cache *v = &lp->vmx.vmcs;
	struct vmx_result r;
	char err[256];
	for (size_t i = 0; i < vmcs_field_count(); i++) {
		uint32_t enc = vmcs_field_at(i)->encoding;
		vmcs_write_enc(v, enc, vmcs_read_enc(&fixture, enc));
	}
	phys_write64(&m->pm, PRIME_MSR_PA, 0x174ull | 1ull << 32);
	vmcs_write_enc(v, VM_ENTRY_MSR_LOAD_ADDR, PRIME_MSR_PA);
	vmcs_write_enc(v, VM_ENTRY_MSR_LOAD_COUNT, 1);
	run_insn(VMX_VMLAUNCH, 0, &r);
	if (r.status != VMX_ENTRY_FAILED ||
	    vmcs_read_enc(v, VM_EXIT_REASON) != (34u | 0x80000000u) || !lp->vmx.guest_checks.valid) {
		fprintf(stderr, "vmcs_entry: priming VMLAUNCH: status %d, exit reason 0x%llx\n",
			(int)r.status, (unsigned long long)vmcs_read_enc(v, VM_EXIT_REASON));
		abort();
	}
	vmcs_write_enc(v, VM_ENTRY_MSR_LOAD_ADDR, vmcs_read_enc(&fixture, VM_ENTRY_MSR_LOAD_ADDR));
	vmcs_write_enc(v, VM_ENTRY_MSR_LOAD_COUNT, vmcs_read_enc(&fixture, VM_ENTRY_MSR_LOAD_COUNT));
	vmcs_write_enc(v, VM_EXIT_REASON, vmcs_read_enc(&fixture, VM_EXIT_REASON));
	vmcs_write_enc(v, EXIT_QUALIFICATION, vmcs_read_enc(&fixture, EXIT_QUALIFICATION));
	phys_write64(&m->pm, PRIME_MSR_PA, 0);
	if (!(snap = vtsim_snapshot_take(m, err, sizeof(err)))) {
		fprintf(stderr, "vmcs_entry: %s\n", err);
		abort();
	}
}

/* A machine whose LP is in VMX root operation in 64-bit mode with a current VMCS,
 * started as a hosted VMM's (its guests run through vtsim_vmx). */
static void setup(void)
{
	struct vtsim_config cfg;
	char err[256];
	vtsim_config_defaults(&cfg);
	cfg.ram_size = 16u << 20;
	cfg.cpu_model = "xeon";
	static FILE *null;
	if (!null)
		null = fopen("/dev/null", "w");
	cfg.console = cfg.diag = cfg.trace = null;
	m = vtsim_machine_create(&cfg, err, sizeof(err));
	if (!m || vtsim_hosted_start(m, err, sizeof(err))) {
		fprintf(stderr, "vmcs_entry: %s\n", err);
		abort();
	}
	struct lp *lp = &m->lps[0];
	vmx_lp_reset(&lp->vmx);
	boot_enter_elf64(lp, 0x100000);
	static const uint8_t code[] = { 0x90, 0x90, 0x0f, 0xa2, 0xf4 };   /* nop; nop; cpuid; hlt */
	entry_fixture_guest(&m->pm, code, sizeof(code));
	cpu_set_reg(lp->uc, UC_X86_REG_CR4, 0x2620);
	uint32_t rev = vmcs_caps_revision_id(m->vmx_caps);
	phys_write32(&m->pm, VMXON_PA, rev);
	phys_write32(&m->pm, VMCS_PA, rev);
	struct vmx_result r;
	run_insn(VMX_VMXON, VMXON_PA, &r);
	if (r.status != VMX_SUCCEED)
		abort();
	run_insn(VMX_VMPTRLD, VMCS_PA, &r);
	if (r.status != VMX_SUCCEED || lp->vmx.current != VMCS_PA)
		abort();
	entry_fixture_valid(&fixture, m->vmx_caps);
	prime_and_snapshot();
#ifndef VTSIM_FUZZ_EMBEDDED
	atexit(report);
#endif
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

/* Every field: kept, 0, all ones, a small value or a random one. */
static void randomize(struct vmcs_cache *v, uint64_t seed)
{
	uint64_t s = seed | 1;
	for (size_t i = 0; i < vmcs_field_count(); i++) {
		uint32_t enc = vmcs_field_at(i)->encoding;
		uint64_t r = rng_next(&s);
		switch (r & 7) {
		case 0: case 1: break;
		case 2: vmcs_write_enc(v, enc, 0); break;
		case 3: vmcs_write_enc(v, enc, ~0ull); break;
		case 4: vmcs_write_enc(v, enc, (r >> 8) & 0xff); break;
		default: vmcs_write_enc(v, enc, rng_next(&s)); break;
		}
	}
}

static void apply(struct vmcs_cache *v, const uint8_t *r)
{
	unsigned idx = (unsigned)r[1] | (unsigned)r[2] << 8;
	uint64_t val = rd64(r + 3);
	uint32_t enc = vmcs_field_at(idx % vmcs_field_count())->encoding;
	uint64_t old = vmcs_read_enc(v, enc);
	switch (r[0] % 8) {
	case 0: vmcs_write_enc(v, enc, val); break;
	case 1: vmcs_write_enc(v, enc, old ^ val); break;
	case 2: vmcs_write_enc(v, enc, old | val); break;
	case 3: vmcs_write_enc(v, enc, old & ~val); break;
	case 4: vmcs_write_enc(v, enc, old ^ (1ull << (val & 63))); break;
	case 5: vmcs_write_enc(v, enc, (old & ~0xffull) | (val & 0xff)); break;
	case 6: phys_write64(&m->pm, (idx * 8u) % WIN, val); break;
	case 7: {
		enum vmcs_ctl ctl = ctl_words[idx % 8].ctl;
		vmcs_write_enc(v, ctl_words[idx % 8].enc,
			       vmcs_caps_allowed0(m->vmx_caps, ctl) |
			       (val & vmcs_caps_allowed1(m->vmx_caps, ctl)));
		break;
	}
	}
}

static const struct entry_check *run_by_class(struct entry_ctx *c)
{
	for (int k = 0; k < ENTRY_NR_CLASSES; k++) {
		const struct entry_check *e = entry_run(c, (enum entry_class)k);
		if (e)
			return e;
	}
	return NULL;
}

/* The class whose table holds row e. */
static enum entry_class class_of(const struct entry_check *e)
{
	static const struct { const struct entry_check *rows; const size_t *n; } t[] = {
		{ entry_checks_ctl, &entry_checks_ctl_count },
		{ entry_checks_host, &entry_checks_host_count },
		{ entry_checks_guest, &entry_checks_guest_count },
		{ entry_checks_msrld, &entry_checks_msrld_count },
	};
	for (int k = 0; k < ENTRY_NR_CLASSES; k++)
		if (e >= t[k].rows && e < t[k].rows + *t[k].n)
			return (enum entry_class)k;
	abort();
}

static bool same_diag(const struct entry_diag *a, const struct entry_diag *b)
{
	return a->id == b->id && a->cls == b->cls && a->section == b->section &&
	       a->field == b->field && a->value == b->value &&
	       a->qualification == b->qualification && !strcmp(a->rule, b->rule);
}

static void check_failure(const struct entry_check *e, const struct entry_diag *d)
{
	static const char *const prefix[ENTRY_NR_CLASSES] = { "CTL_", "HOST_", "GUEST_", "MSRLD_" };
	enum entry_class k = class_of(e);
	if (d->cls != k || d->id != e->id || d->section != e->section)
		abort();
	if (strncmp(e->id, prefix[k], strlen(prefix[k])) != 0)
		abort();
	if (!d->rule[0])
		abort();
	if (d->field && !vmcs_field_find(d->field, NULL))
		abort();
	switch (k) {
	case ENTRY_CTL:
	case ENTRY_HOST:
		if (d->qualification)
			abort();
		break;
	case ENTRY_GUEST:   /* 0, 2 PDPTE, 3 NMI after STI, 4 VMCS link pointer */
		if (d->qualification != 0 && (d->qualification < 2 || d->qualification > 4))
			abort();
		break;
	case ENTRY_MSRLD:   /* the failing entry's 1-based number, within 512 * 8 */
		if (d->qualification < 1 || d->qualification > 4096)
			abort();
		break;
	default:
		abort();
	}
}

/* VMLAUNCH/VMRESUME by the instruction unit on the same VMCS. */
static void check_instruction(bool launch, const struct entry_check *e, const struct entry_diag *d)
{
	struct lp *lp = &m->lps[0];
	struct vmx_result r;
	lp->vmx.vmcs.launched = !launch;
	lp->vmx.vmcs.epoch = lp->vmx.epoch;   /* launched in this VMX operation */
	run_insn(launch ? VMX_VMLAUNCH : VMX_VMRESUME, 0, &r);
	if (!r.entry_diag || r.entry_diag->id != e->id)
		abort();
	switch (d->cls) {
	case ENTRY_CTL:
	case ENTRY_HOST:
		if (r.status != VMX_FAIL_VALID || r.error != (d->cls == ENTRY_CTL ? 7u : 8u) ||
		    vmcs_read_enc(&lp->vmx.vmcs, VM_INSTRUCTION_ERROR) != r.error)
			abort();
		break;
	case ENTRY_GUEST:
	case ENTRY_MSRLD: {
		uint32_t reason = (d->cls == ENTRY_GUEST ? 33u : 34u) | 0x80000000u;
		if (r.status != VMX_ENTRY_FAILED ||
		    vmcs_read_enc(&lp->vmx.vmcs, VM_EXIT_REASON) != reason ||
		    vmcs_read_enc(&lp->vmx.vmcs, EXIT_QUALIFICATION) != d->qualification)
			abort();
		break;
	}
	default:
		abort();
	}
}

/* A VMCS every row passed: VMLAUNCH/VMRESUME through the hosted interface runs the
 * guest until a VM exit, which must come (or the machine stops for a reason that is
 * no entry failure). */
static void check_entered(bool launch)
{
	struct lp *lp = &m->lps[0];
	struct vtsim_vmx_operands ops = { 0 };
	struct vtsim_vmx_result r;
	lp->vmx.vmcs.launched = !launch;
	lp->vmx.vmcs.epoch = lp->vmx.epoch;
	/* The budget: an instruction limit this far from the count now (the snapshot
	 * brings the count back; the limit is the machine's configuration). */
	m->cfg.max_insns = lp->insns + GUEST_BUDGET;
	lp_retire_recompute(lp);
	vtsim_vmx(m, 0, launch ? VTSIM_VMLAUNCH : VTSIM_VMRESUME, &ops, &r);
	m->cfg.max_insns = 0;
	lp_retire_recompute(lp);
	uint64_t reason = vmcs_read_enc(&lp->vmx.vmcs, VM_EXIT_REASON);
	switch (r.outcome) {
	case VTSIM_VMEXIT:
		if ((reason & 0x80000000u) || !vmx_exit_reason_name(reason & 0xffff)) {
			fprintf(stderr, "vmcs_entry: the checks passed; the entry exited with 0x%llx\n",
				(unsigned long long)reason);
			abort();
		}
		break;
	case VTSIM_VMX_STOPPED:   /* the budget, a halt, a debug exit, a limitation */
		break;
	default:
		fprintf(stderr, "vmcs_entry: the checks passed; the instruction gave outcome %d, "
			"error %u, vector %u, exit reason 0x%llx\n", (int)r.outcome, r.error, r.vector,
			(unsigned long long)reason);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!m)
		setup();
	struct lp *lp = &m->lps[0];
	struct vmcs_cache *v = &lp->vmx.vmcs;
	uint8_t flags = size ? data[0] : 0;
	bool launch = !(flags & 2), lma = !(flags & 4);

	char err[256];
	if (vtsim_snapshot_restore(m, snap, err, sizeof(err))) {
		fprintf(stderr, "vmcs_entry: %s\n", err);
		abort();
	}
	if ((flags & 1) && size >= 9)
		randomize(v, rd64(data + 1));
	for (size_t off = 1; off + REC <= size; off += REC)
		apply(v, data + off);

	struct entry_diag d1, d2;
	memset(&d1, 0, sizeof(d1));
	memset(&d2, 0, sizeof(d2));
	struct entry_ctx c = { .vmcs = v, .caps = m->vmx_caps, .pm = &m->pm,
			       .maxphyaddr = m->pm.maxphyaddr, .launch = launch, .lma = lma,
			       .diag = &d1 };
	const struct entry_check *e = entry_run_all_recording(&c, &cov);
	c.diag = &d2;
	const struct entry_check *e2 = run_by_class(&c);
	if (e != e2 || (e && !same_diag(&d1, &d2)))
		abort();
	if (!e) {
		if (lma)
			check_entered(launch);
		return 0;
	}
	check_failure(e, &d1);
	/* The instruction unit's LP is in IA-32e mode: compare when the context says so. */
	if (lma)
		check_instruction(launch, e, &d1);
	return 0;
}
