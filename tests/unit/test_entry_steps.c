/* The steps of VMLAUNCH/VMRESUME around the check tables (sim/vmcs/entry_steps.h):
 * every basic check (PRE_*) broken alone on a VMCS that would otherwise enter, with
 * its architected outcome, and the behaviours after the checks (ENTRY_*), through
 * the hosted interface. Every ID that `vtsim checks` lists in classes "basic" and
 * "after" must have a case here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "entry_fixture.h"
#include "sim/cpu/exception.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/vmx.h"
#include "sim/vmcs/entry_steps.h"
#include "sim/vmcs/errors.h"
#include "sim/vmcs/exit_reasons.h"
#include "vtsim/hosted.h"

#define VMXON_PA 0x10000
#define VMCS_PA  0x12000
#define SHADOW_PA 0x13000

static struct vtsim_machine *m;

static void vmx(enum vtsim_vmx_insn insn, uint64_t reg, uint64_t rm, bool mem, uint64_t ptr,
		struct vtsim_vmx_result *r)
{
	struct vtsim_vmx_operands ops = { .reg = reg, .rm = rm, .mem = mem };
	memcpy(ops.data, &ptr, 8);
	vtsim_vmx(m, 0, insn, &ops, r);
}

static void vmx_ok(enum vtsim_vmx_insn insn, uint64_t reg, uint64_t rm, bool mem, uint64_t ptr)
{
	struct vtsim_vmx_result r;
	vmx(insn, reg, rm, mem, ptr, &r);
	assert_int_equal(r.outcome, VTSIM_VMSUCCEED);
}

static uint64_t vmread(uint32_t field)
{
	struct vtsim_vmx_result r;
	vmx(VTSIM_VMREAD, field, 0, false, 0, &r);
	assert_int_equal(r.outcome, VTSIM_VMSUCCEED);
	return r.value;
}

/* A machine in VMX root operation; with `vmcs`, a current VMCS holding the valid
 * fixture (entry_fixture.h), whose guest takes every exception as a VM exit. */
static struct lp *setup(bool vmcs)
{
	struct vtsim_config cfg;
	char err[256];
	vtsim_config_defaults(&cfg);
	cfg.ram_size = 16u << 20;
	m = vtsim_machine_create(&cfg, err, sizeof(err));
	assert_non_null(m);
	assert_int_equal(vtsim_hosted_start(m, err, sizeof(err)), 0);
	uint32_t rev = vmcs_caps_revision_id(m->vmx_caps);
	phys_write32(&m->pm, VMXON_PA, rev);
	phys_write32(&m->pm, VMCS_PA, rev);
	phys_write32(&m->pm, SHADOW_PA, rev | 0x80000000u);
	uint64_t cr4;
	assert_int_equal(vtsim_hosted_read_cr(m, 0, 4, &cr4), 0);
	assert_int_equal(vtsim_hosted_write_cr(m, 0, 4, cr4 | (1u << 13)), 0);    /* CR4.VMXE */
	vmx_ok(VTSIM_VMXON, 0, 0, true, VMXON_PA);
	if (!vmcs)
		return &m->lps[0];
	vmx_ok(VTSIM_VMCLEAR, 0, 0, true, VMCS_PA);
	vmx_ok(VTSIM_VMPTRLD, 0, 0, true, VMCS_PA);
	struct vmcs_cache fix;
	entry_fixture_valid(&fix, m->vmx_caps);
	for (size_t i = 0; i < vmcs_field_count(); i++) {
		const struct vmcs_field_info *f = vmcs_field_at(i);
		uint64_t val = vmcs_read_enc(&fix, f->encoding);
		if (val && !f->read_only)
			vmx_ok(VTSIM_VMWRITE, f->encoding, val, false, 0);
	}
	vmx_ok(VTSIM_VMWRITE, EXCEPTION_BITMAP, ~0u, false, 0);
	return &m->lps[0];
}

static void teardown(void)
{
	vtsim_machine_destroy(m);
	m = NULL;
}

/* VMLAUNCH or VMRESUME through the instruction unit with the LP's state as `adjust`
 * leaves the view (CPL), so that a basic check is met before anything runs. */
static struct vmx_result unit_entry(bool launch, unsigned cpl)
{
	struct lp *lp = &m->lps[0];
	struct cpu_view v;
	struct vmx_result r;
	struct vmx_operands ops = { .reg_form = true, .opsize = 8 };
	cpustate_view(&lp->cs, &v);
	v.cpl = cpl;
	vmx_execute(lp, &v, launch ? VMX_VMLAUNCH : VMX_VMRESUME, &ops, &r);
	return r;
}

/* ---- the basic checks, each broken alone ----------------------------------------- */

static struct vmx_result pre_ud_mode(void)
{
	setup(true);
	vmx_ok(VTSIM_VMXOFF, 0, 0, false, 0);
	return unit_entry(true, 0);
}

static struct vmx_result pre_nonroot(void)
{
	setup(true);
	m->lps[0].vmx.non_root = true;          /* as if a guest executed it */
	struct vmx_result r = unit_entry(false, 0);
	m->lps[0].vmx.non_root = false;
	return r;
}

static struct vmx_result pre_cpl(void) { setup(true); return unit_entry(true, 3); }
static struct vmx_result pre_vmcs_ptr(void) { setup(false); return unit_entry(true, 0); }

static struct vmx_result pre_not_shadow(void)
{
	setup(true);
	vmx_ok(VTSIM_VMPTRLD, 0, 0, true, SHADOW_PA);
	return unit_entry(true, 0);
}

/* The instruction before RIP is MOV SS, AX and the interrupt shadow is on. */
static struct vmx_result pre_movss(void)
{
	struct lp *lp = setup(true);
	uint64_t rip = cpu_reg(lp->uc, UC_X86_REG_RIP);
	static const uint8_t mov_ss_ax[] = { 0x8e, 0xd0 };
	phys_write(&m->pm, rip - 2, mov_ss_ax, sizeof(mov_ss_ax));
	cpustate_set_interrupt_shadow(&lp->cs, true);
	return unit_entry(true, 0);
}

static struct vmx_result pre_launch_clear(void)
{
	struct lp *lp = setup(true);
	lp->vmx.vmcs.launched = true;
	return unit_entry(true, 0);
}

static struct vmx_result pre_resume_launched(void) { setup(true); return unit_entry(false, 0); }

/* Launched, then VMXOFF and VMXON: the VMCS made current again without VMCLEAR. */
static struct vmx_result pre_resume_corrupted(void)
{
	setup(true);
	struct vtsim_vmx_result r;
	vmx(VTSIM_VMLAUNCH, 0, 0, false, 0, &r);
	assert_int_equal(r.outcome, VTSIM_VMEXIT);
	vmx_ok(VTSIM_VMXOFF, 0, 0, false, 0);
	vmx_ok(VTSIM_VMXON, 0, 0, true, VMXON_PA);
	vmx_ok(VTSIM_VMPTRLD, 0, 0, true, VMCS_PA);
	return unit_entry(false, 0);
}

static const struct pre_case {
	const char *id;
	struct vmx_result (*run)(void);
	enum vmx_status status;
	uint32_t detail;          /* vector, error number or exit reason */
} pre_cases[] = {
	{ "PRE_UD_MODE", pre_ud_mode, VMX_FAULT, VEC_UD },
	{ "PRE_NONROOT", pre_nonroot, VMX_VMEXIT, EXIT_REASON_VMRESUME },
	{ "PRE_CPL", pre_cpl, VMX_FAULT, VEC_GP },
	{ "PRE_VMCS_PTR", pre_vmcs_ptr, VMX_FAIL_INVALID, 0 },
	{ "PRE_NOT_SHADOW", pre_not_shadow, VMX_FAIL_INVALID, 0 },
	{ "PRE_MOVSS", pre_movss, VMX_FAIL_VALID, VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS },
	{ "PRE_LAUNCH_CLEAR", pre_launch_clear, VMX_FAIL_VALID, VMXERR_VMLAUNCH_NONCLEAR_VMCS },
	{ "PRE_RESUME_LAUNCHED", pre_resume_launched, VMX_FAIL_VALID, VMXERR_VMRESUME_NONLAUNCHED_VMCS },
	{ "PRE_RESUME_CORRUPTED", pre_resume_corrupted, VMX_FAIL_VALID, VMXERR_VMRESUME_AFTER_VMXOFF },
};

/* Basic checks that need a whole platform state (SMM with the dual-monitor
 * treatment active): their conformance images assert each error number. */
static const char *const pre_image_tested[] = {
	"PRE_SMM_EXEC_VMCS",      /* tests/images/vmx_smm_vmcall.asm: 16, 17, 18, 25 */
};

static void check_pre_case(const struct pre_case *c)
{
	struct vmx_result r = c->run();
	if ((int)r.status != (int)c->status)
		fail_msg("%s: status %d, expected %d", c->id, r.status, c->status);
	uint32_t got = r.status == VMX_FAULT ? r.fault.vector : r.status == VMX_VMEXIT ? r.exit_reason
		       : r.status == VMX_FAIL_VALID ? r.error : 0;
	if (got != c->detail)
		fail_msg("%s: got %u, expected %u", c->id, got, c->detail);
	if (r.status == VMX_FAULT)
		assert_int_equal(r.fault.error_code, 0);
	teardown();
}

/* The fixture itself enters (so each case above failed on its own rule), and the
 * successful VMLAUNCH makes the launch state launched (ENTRY_LAUNCHED). */
static void test_entry_fixture_enters_and_launches(void **state)
{
	(void)state;
	setup(true);
	struct vtsim_vmx_result r;
	vmx(VTSIM_VMLAUNCH, 0, 0, false, 0, &r);
	assert_int_equal(r.outcome, VTSIM_VMEXIT);
	/* The guest's first fetch finds no page tables: #PF, in the exception bitmap. */
	assert_int_equal(vmread(VM_EXIT_REASON), EXIT_REASON_EXCEPTION_NMI);
	assert_int_equal(vmread(VM_EXIT_INTR_INFO) & 0xff, VEC_PF);
	vmx(VTSIM_VMLAUNCH, 0, 0, false, 0, &r);
	assert_int_equal(r.outcome, VTSIM_VMFAIL_VALID);
	assert_int_equal(r.error, VMXERR_VMLAUNCH_NONCLEAR_VMCS);
	teardown();
}

static void test_entry_pre_checks(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pre_cases) / sizeof(pre_cases[0]); i++)
		check_pre_case(&pre_cases[i]);
}

/* A failed entry (ENTRY_FAIL_EXIT): exit reason 33 with bit 31; guest state not
 * saved, the injection still valid, the launch state still clear. */
static void test_entry_fail_exit(void **state)
{
	(void)state;
	setup(true);
	vmx_ok(VTSIM_VMWRITE, GUEST_ACTIVITY_STATE, 7, false, 0);      /* reserved state */
	vmx_ok(VTSIM_VMWRITE, VM_ENTRY_INTR_INFO_FIELD, 0x80000202u, false, 0);   /* NMI */
	uint64_t rip = vmread(GUEST_RIP);
	struct vtsim_vmx_result r;
	vmx(VTSIM_VMLAUNCH, 0, 0, false, 0, &r);
	assert_int_equal(r.outcome, VTSIM_ENTRY_FAILED);
	assert_int_equal(vmread(VM_EXIT_REASON), EXIT_REASON_INVALID_STATE | EXIT_REASON_FAILED_VMENTRY);
	assert_int_equal(vmread(GUEST_RIP), rip);
	assert_int_equal(vmread(VM_ENTRY_INTR_INFO_FIELD), 0x80000202u);
	vmx(VTSIM_VMRESUME, 0, 0, false, 0, &r);
	assert_int_equal(r.error, VMXERR_VMRESUME_NONLAUNCHED_VMCS);
	teardown();
}

/* An injected machine check (ENTRY_MCE) fails the entry that passed its checks with
 * exit reason 41, once; the next VMLAUNCH enters. */
static void test_entry_mce(void **state)
{
	(void)state;
	setup(true);
	assert_int_equal(vtsim_inject_entry_mce(m, 1), -1);
	assert_int_equal(vtsim_inject_entry_mce(m, 0), 0);
	struct vtsim_vmx_result r;
	vmx(VTSIM_VMLAUNCH, 0, 0, false, 0, &r);
	assert_int_equal(r.outcome, VTSIM_ENTRY_FAILED);
	assert_int_equal(vmread(VM_EXIT_REASON), EXIT_REASON_MCE_DURING_VMENTRY | EXIT_REASON_FAILED_VMENTRY);
	assert_int_equal(vmread(EXIT_QUALIFICATION), 0);
	vmx(VTSIM_VMRESUME, 0, 0, false, 0, &r);
	assert_int_equal(r.error, VMXERR_VMRESUME_NONLAUNCHED_VMCS);
	vmx(VTSIM_VMLAUNCH, 0, 0, false, 0, &r);
	assert_int_equal(r.outcome, VTSIM_VMEXIT);
	teardown();
}

/* A VM-entry MSR-load list whose second entry names an MSR VM entry may not load
 * fails the entry after the guest-state checks: exit reason 34 with bit 31, the
 * qualification the failing entry's index counted from 1, the launch state clear. */
static void test_entry_msr_load_fail(void **state)
{
	(void)state;
	setup(true);
	const uint64_t list = 0x14000;
	phys_write32(&m->pm, list, 0xc0000081u);               /* IA32_STAR: loadable */
	phys_write32(&m->pm, list + 4, 0);
	phys_write32(&m->pm, list + 8, 0);
	phys_write32(&m->pm, list + 12, 0x00230010u);
	phys_write32(&m->pm, list + 16, 0x1234);               /* no such MSR in the model */
	phys_write32(&m->pm, list + 20, 0);
	phys_write32(&m->pm, list + 24, 0);
	phys_write32(&m->pm, list + 28, 0);
	vmx_ok(VTSIM_VMWRITE, VM_ENTRY_MSR_LOAD_ADDR, list, false, 0);
	vmx_ok(VTSIM_VMWRITE, VM_ENTRY_MSR_LOAD_COUNT, 2, false, 0);
	uint64_t rip = vmread(GUEST_RIP);
	struct vtsim_vmx_result r;
	vmx(VTSIM_VMLAUNCH, 0, 0, false, 0, &r);
	assert_int_equal(r.outcome, VTSIM_ENTRY_FAILED);
	assert_int_equal(vmread(VM_EXIT_REASON), EXIT_REASON_MSR_LOAD_FAIL | EXIT_REASON_FAILED_VMENTRY);
	assert_int_equal(vmread(EXIT_QUALIFICATION), 2);
	assert_int_equal(vmread(GUEST_RIP), rip);
	vmx(VTSIM_VMRESUME, 0, 0, false, 0, &r);
	assert_int_equal(r.error, VMXERR_VMRESUME_NONLAUNCHED_VMCS);
	/* The list fixed, the same VMCS enters. */
	vmx_ok(VTSIM_VMWRITE, VM_ENTRY_MSR_LOAD_COUNT, 1, false, 0);
	vmx(VTSIM_VMLAUNCH, 0, 0, false, 0, &r);
	assert_int_equal(r.outcome, VTSIM_VMEXIT);
	teardown();
}

/* Event injection at entry (ENTRY_INJECT): an NMI injected into a guest whose IDT
 * is unreadable is delivered, and the #PF its delivery meets is a VM exit whose
 * IDT-vectoring information names the NMI. */
static void test_entry_inject(void **state)
{
	(void)state;
	setup(true);
	vmx_ok(VTSIM_VMWRITE, VM_ENTRY_INTR_INFO_FIELD, 0x80000202u, false, 0);
	struct vtsim_vmx_result r;
	vmx(VTSIM_VMLAUNCH, 0, 0, false, 0, &r);
	assert_int_equal(r.outcome, VTSIM_VMEXIT);
	assert_int_equal(vmread(VM_EXIT_REASON), EXIT_REASON_EXCEPTION_NMI);
	assert_int_equal(vmread(IDT_VECTORING_INFO_FIELD), 0x80000202u);
	assert_int_equal(vmread(VM_ENTRY_INTR_INFO_FIELD) >> 31, 0);
	teardown();
}

/* Every basic and after-check ID `vtsim checks` lists has its case here. */
static void test_entry_steps_all_covered(void **state)
{
	(void)state;
	static const char *const after_tested[] = { "ENTRY_FAIL_EXIT", "ENTRY_MCE", "ENTRY_LAUNCHED",
						    "ENTRY_INJECT" };
	const char *cls, *id;
	unsigned listed = 0;
	for (unsigned i = 0; (id = vtsim_entry_check(i, &cls, NULL, NULL)); i++) {
		bool found = false;
		if (!strcmp(cls, "basic")) {
			for (size_t k = 0; k < sizeof(pre_cases) / sizeof(pre_cases[0]); k++)
				found |= !strcmp(pre_cases[k].id, id);
			for (size_t k = 0; k < sizeof(pre_image_tested) / sizeof(pre_image_tested[0]); k++)
				found |= !strcmp(pre_image_tested[k], id);
		} else if (!strcmp(cls, "after")) {
			for (size_t k = 0; k < sizeof(after_tested) / sizeof(after_tested[0]); k++)
				found |= !strcmp(after_tested[k], id);
		} else {
			continue;
		}
		if (!found)
			fail_msg("%s (%s) has no test here", id, cls);
		listed++;
	}
	assert_int_equal(listed, ENTRY_PRE_COUNT + entry_after_checks_count);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_fixture_enters_and_launches),
		cmocka_unit_test(test_entry_pre_checks),
		cmocka_unit_test(test_entry_fail_exit),
		cmocka_unit_test(test_entry_mce),
		cmocka_unit_test(test_entry_msr_load_fail),
		cmocka_unit_test(test_entry_inject),
		cmocka_unit_test(test_entry_steps_all_covered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
