/* The VMX instruction unit, driven directly (as the hosted VMM will drive it):
 * the error numbers, the VMCS cache, and two logical processors sharing a VMCS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/cpu/boot.h"
#include "sim/cpu/exception.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/vmx.h"
#include "sim/vmcs/errors.h"

#define VMXON0 0x10000
#define VMXON1 0x11000
#define VMCS_A 0x12000
#define VMCS_B 0x13000

/* A memory operand held by the test. */
struct mem { uint8_t bytes[16]; };

static int mem_read(void *ctx, void *buf, unsigned n, struct vmx_fault *f)
{
	memcpy(buf, ((struct mem *)ctx)->bytes, n);
	return 0;
}

static int mem_write(void *ctx, const void *buf, unsigned n, struct vmx_fault *f)
{
	memcpy(((struct mem *)ctx)->bytes, buf, n);
	return 0;
}

static struct vtsim_machine *machine(const char *model)
{
	struct vtsim_config cfg;
	char err[256];
	vtsim_config_defaults(&cfg);
	cfg.ram_size = 16u << 20;
	cfg.nr_cpus = 2;
	cfg.cpu_model = model;
	struct vtsim_machine *m = vtsim_machine_create(&cfg, err, sizeof(err));
	assert_non_null(m);
	boot_build_reserved(m);
	uint32_t rev = vmcs_caps_revision_id(m->vmx_caps);
	for (uint64_t pa = VMXON0; pa <= VMCS_B; pa += 0x1000)
		phys_write32(&m->pm, pa, rev);
	for (unsigned i = 0; i < m->nr_lps; i++) {
		/* Each LP as a VMM finds it: 64-bit mode, CPL 0, CR4.VMXE set. */
		boot_enter_elf64(&m->lps[i], 0x100000);
		cpu_set_reg(m->lps[i].uc, UC_X86_REG_CR4, 0x2620);
	}
	return m;
}

/* Runs one instruction with a pointer (or 16-byte) memory operand. */
static struct vmx_result run_mem(struct lp *lp, enum vmx_insn_id id, uint64_t reg, uint64_t ptr,
				 uint64_t hi)
{
	struct mem mm;
	memcpy(mm.bytes, &ptr, 8);
	memcpy(mm.bytes + 8, &hi, 8);
	struct vmx_operands ops = { .reg_value = reg, .opsize = 8, .read = mem_read,
				    .write = mem_write, .ctx = &mm };
	struct cpu_view v;
	struct vmx_result r;
	cpustate_view(&lp->cs, &v);
	vmx_execute(lp, &v, id, &ops, &r);
	if (id == VMX_VMPTRST)
		memcpy(&r.out, mm.bytes, 8);
	return r;
}

static struct vmx_result run_reg(struct lp *lp, enum vmx_insn_id id, uint64_t reg, uint64_t rm)
{
	struct vmx_operands ops = { .reg_form = true, .reg_value = reg, .rm_value = rm, .opsize = 8 };
	struct cpu_view v;
	struct vmx_result r;
	cpustate_view(&lp->cs, &v);
	vmx_execute(lp, &v, id, &ops, &r);
	return r;
}

static void expect_ok(struct vmx_result r) { assert_int_equal(r.status, VMX_SUCCEED); }
static void expect_invalid(struct vmx_result r) { assert_int_equal(r.status, VMX_FAIL_INVALID); }
static void expect_valid(struct vmx_result r, unsigned n)
{
	assert_int_equal(r.status, VMX_FAIL_VALID);
	assert_int_equal(r.error, n);
}

static uint64_t vmread(struct lp *lp, uint32_t field)
{
	struct vmx_result r = run_reg(lp, VMX_VMREAD, field, 0);
	expect_ok(r);
	return r.out;
}

static void test_vmx_ud_outside_vmx_operation(void **state)
{
	struct vtsim_machine *m = machine(NULL);
	struct vmx_result r = run_reg(&m->lps[0], VMX_VMREAD, GUEST_RIP, 0);
	assert_int_equal(r.status, VMX_FAULT);
	assert_int_equal(r.fault.vector, VEC_UD);
	cpu_set_reg(m->lps[0].uc, UC_X86_REG_CR4, 0x620);      /* VMXE clear */
	r = run_mem(&m->lps[0], VMX_VMXON, 0, VMXON0, 0);
	assert_int_equal(r.fault.vector, VEC_UD);
	vtsim_machine_destroy(m);
}

static void test_vmx_vmxon_checks(void **state)
{
	struct vtsim_machine *m = machine(NULL);
	struct lp *lp = &m->lps[0];
	expect_invalid(run_mem(lp, VMX_VMXON, 0, VMXON0 + 8, 0));         /* unaligned */
	expect_invalid(run_mem(lp, VMX_VMXON, 0, 1ull << 52, 0));          /* beyond MAXPHYADDR */
	phys_write32(&m->pm, VMXON1, 0x80000000u | vmcs_caps_revision_id(m->vmx_caps));
	expect_invalid(run_mem(lp, VMX_VMXON, 0, VMXON1, 0));              /* bit 31 set */
	phys_write32(&m->pm, VMXON1, 0x1234);
	expect_invalid(run_mem(lp, VMX_VMXON, 0, VMXON1, 0));              /* wrong revision */
	lp->feature_control = 1;                                           /* VMX disabled */
	assert_int_equal(run_mem(lp, VMX_VMXON, 0, VMXON0, 0).fault.vector, VEC_GP);
	lp->feature_control = 5;
	expect_ok(run_mem(lp, VMX_VMXON, 0, VMXON0, 0));
	expect_invalid(run_mem(lp, VMX_VMXON, 0, VMXON0, 0));              /* 15, but no VMCS */
	expect_ok(run_mem(lp, VMX_VMPTRLD, 0, VMCS_A, 0));
	expect_valid(run_mem(lp, VMX_VMXON, 0, VMXON0, 0), VMXERR_VMXON_IN_VMX_ROOT_OPERATION);
	assert_int_equal(vmread(lp, VM_INSTRUCTION_ERROR), 15);
	vtsim_machine_destroy(m);
}

static void test_vmx_pointer_errors(void **state)
{
	struct vtsim_machine *m = machine(NULL);
	struct lp *lp = &m->lps[0];
	expect_ok(run_mem(lp, VMX_VMXON, 0, VMXON0, 0));
	expect_invalid(run_mem(lp, VMX_VMCLEAR, 0, VMCS_A + 4, 0));        /* no VMCS: invalid */
	expect_ok(run_mem(lp, VMX_VMPTRLD, 0, VMCS_A, 0));
	expect_valid(run_mem(lp, VMX_VMCLEAR, 0, VMCS_A + 4, 0), VMXERR_VMCLEAR_INVALID_ADDRESS);
	expect_valid(run_mem(lp, VMX_VMCLEAR, 0, VMXON0, 0), VMXERR_VMCLEAR_VMXON_POINTER);
	expect_valid(run_mem(lp, VMX_VMPTRLD, 0, 1ull << 52, 0), VMXERR_VMPTRLD_INVALID_ADDRESS);
	expect_valid(run_mem(lp, VMX_VMPTRLD, 0, VMXON0, 0), VMXERR_VMPTRLD_VMXON_POINTER);
	phys_write32(&m->pm, VMCS_B, 0x4321);
	expect_valid(run_mem(lp, VMX_VMPTRLD, 0, VMCS_B, 0), VMXERR_VMPTRLD_INCORRECT_VMCS_REVISION_ID);
	/* VMCLEAR of the current VMCS makes the pointer invalid. */
	expect_ok(run_mem(lp, VMX_VMCLEAR, 0, VMCS_A, 0));
	struct vmx_result r = run_mem(lp, VMX_VMPTRST, 0, 0, 0);
	expect_ok(r);
	assert_int_equal(r.out, ~0ull);
	vtsim_machine_destroy(m);
}

static void test_vmx_vmread_vmwrite_rules(void **state)
{
	struct vtsim_machine *m = machine(NULL);
	struct lp *lp = &m->lps[0];
	expect_ok(run_mem(lp, VMX_VMXON, 0, VMXON0, 0));
	expect_invalid(run_reg(lp, VMX_VMREAD, GUEST_RIP, 0));              /* no current VMCS */
	expect_ok(run_mem(lp, VMX_VMPTRLD, 0, VMCS_A, 0));
	expect_ok(run_reg(lp, VMX_VMWRITE, GUEST_ES_SELECTOR, ~0ull));
	assert_int_equal(vmread(lp, GUEST_ES_SELECTOR), 0xffff);           /* 16-bit field */
	expect_ok(run_reg(lp, VMX_VMWRITE, EPT_POINTER, 0x1122334455667788ull));
	assert_int_equal(vmread(lp, EPT_POINTER | 1), 0x11223344);          /* HIGH access */
	expect_valid(run_reg(lp, VMX_VMREAD, GUEST_RIP | 1, 0), VMXERR_UNSUPPORTED_VMCS_COMPONENT);
	expect_valid(run_reg(lp, VMX_VMREAD, GUEST_RIP | (1ull << 32), 0), VMXERR_UNSUPPORTED_VMCS_COMPONENT);
	expect_valid(run_reg(lp, VMX_VMREAD, 0x1000 | GUEST_RIP, 0), VMXERR_UNSUPPORTED_VMCS_COMPONENT);
	/* xeon allows VMWRITE to exit-information fields (IA32_VMX_MISC bit 29). */
	expect_ok(run_reg(lp, VMX_VMWRITE, VM_EXIT_REASON, 33));
	assert_int_equal(vmread(lp, VM_EXIT_REASON), 33);
	expect_valid(run_reg(lp, VMX_VMRESUME, 0, 0), VMXERR_VMRESUME_NONLAUNCHED_VMCS);
	expect_valid(run_reg(lp, VMX_VMCALL, 0, 0), VMXERR_VMCALL_IN_VMX_ROOT_OPERATION);
	vtsim_machine_destroy(m);
}

/* The register-operand fast path (vmx_reg_access_fast) against the full
 * instruction: it completes exactly the accesses vmx_execute succeeds with, with the
 * same value, and leaves every other outcome (VMfail, #UD, #GP) to the full path
 * with nothing changed. cpustate_regs sees what cpustate_view sees. */
static void expect_fast_as_full(struct lp *lp, enum vmx_insn_id id, uint64_t field, uint64_t rm)
{
	struct cpu_regs r;
	struct cpu_view v;
	cpustate_regs(&lp->cs, &r);
	cpustate_view(&lp->cs, &v);
	assert_memory_equal(r.gpr, v.gpr, sizeof(r.gpr));
	assert_int_equal(r.rip, v.rip);
	assert_int_equal(r.eflags, v.eflags);
	assert_int_equal(r.cpl, v.cpl);
	assert_int_equal(r.pe, v.cr0 & 1);
	assert_int_equal(r.cs64, cpu_view_long64(&v));
	bool current = lp->vmx.current != VMCS_PTR_NONE;
	uint64_t error = current ? vmcs_read_enc(&lp->vmx.vmcs, VM_INSTRUCTION_ERROR) : 0;
	uint64_t val = rm;
	bool fast = vmx_reg_access_fast(lp, &r, id == VMX_VMWRITE, field, &val, 8);
	if (current)
		assert_int_equal(vmcs_read_enc(&lp->vmx.vmcs, VM_INSTRUCTION_ERROR), error);
	struct vmx_result full = run_reg(lp, id, field, rm);
	assert_int_equal(fast, full.status == VMX_SUCCEED);
	if (fast && id == VMX_VMREAD)
		assert_int_equal(val, full.out);
}

static void test_vmx_reg_access_fast_agrees(void **state)
{
	struct vtsim_machine *m = machine("minimal");
	struct lp *lp = &m->lps[0];
	expect_fast_as_full(lp, VMX_VMREAD, GUEST_RIP, 0);                  /* #UD: no VMXON */
	expect_ok(run_mem(lp, VMX_VMXON, 0, VMXON0, 0));
	expect_fast_as_full(lp, VMX_VMREAD, GUEST_RIP, 0);                  /* no current VMCS */
	expect_ok(run_mem(lp, VMX_VMPTRLD, 0, VMCS_A, 0));
	expect_fast_as_full(lp, VMX_VMWRITE, GUEST_RIP, 0x1234);
	expect_fast_as_full(lp, VMX_VMREAD, GUEST_RIP, 0);
	assert_int_equal(vmread(lp, GUEST_RIP), 0x1234);
	expect_fast_as_full(lp, VMX_VMWRITE, GUEST_ES_SELECTOR, ~0ull);     /* truncated */
	expect_fast_as_full(lp, VMX_VMREAD, GUEST_ES_SELECTOR, 0);
	expect_fast_as_full(lp, VMX_VMREAD, GUEST_RIP | 1, 0);              /* error 12 */
	expect_fast_as_full(lp, VMX_VMREAD, GUEST_RIP | (1ull << 32), 0);   /* error 12 */
	expect_fast_as_full(lp, VMX_VMREAD, EPT_POINTER, 0);                /* no EPT: 12 */
	expect_fast_as_full(lp, VMX_VMWRITE, VM_EXIT_REASON, 1);            /* read-only: 13 */
	expect_fast_as_full(lp, VMX_VMREAD, VM_EXIT_REASON, 0);
	/* CPL 3: #GP(0). */
	struct seg segs[SEG_COUNT];
	cpustate_get_segs(&lp->cs, segs);
	segs[SEG_CS].sel |= 3;
	segs[SEG_SS].sel |= 3;
	segs[SEG_CS].attr |= 3u << 5;
	segs[SEG_SS].attr |= 3u << 5;
	cpustate_set_segs(&lp->cs, segs, 1u << SEG_CS | 1u << SEG_SS);
	assert_int_equal(cpustate_cpl(&lp->cs), 3);
	expect_fast_as_full(lp, VMX_VMREAD, GUEST_RIP, 0);
	vtsim_machine_destroy(m);
}

/* A VMLAUNCH of a VMCS whose controls were never written fails the first control
 * check; the embedding API reports which, as data. */
static void test_vmx_last_entry_failure_is_reported(void **state)
{
	struct vtsim_machine *m = machine(NULL);
	struct lp *lp = &m->lps[0];
	struct vtsim_entry_failure f;
	vtsim_last_entry_failure(m, 0, &f);
	assert_null(f.check);
	expect_ok(run_mem(lp, VMX_VMXON, 0, VMXON0, 0));
	expect_ok(run_mem(lp, VMX_VMCLEAR, 0, VMCS_A, 0));
	expect_ok(run_mem(lp, VMX_VMPTRLD, 0, VMCS_A, 0));
	expect_valid(run_reg(lp, VMX_VMLAUNCH, 0, 0), VMXERR_ENTRY_INVALID_CONTROL_FIELD);
	vtsim_last_entry_failure(m, 0, &f);
	assert_string_equal(f.check, "CTL_PIN_RESERVED");
	assert_string_equal(f.check_class, "control");
	assert_string_equal(f.field, "PIN_BASED_VM_EXEC_CONTROL");
	assert_int_equal(f.vm_instruction_error, 7);
	assert_int_equal(f.exit_reason, 0);
	vtsim_machine_destroy(m);
}

static void test_vmx_minimal_model_rules(void **state)
{
	struct vtsim_machine *m = machine("minimal");
	struct lp *lp = &m->lps[0];
	expect_ok(run_mem(lp, VMX_VMXON, 0, VMXON0, 0));
	expect_ok(run_mem(lp, VMX_VMPTRLD, 0, VMCS_A, 0));
	expect_valid(run_reg(lp, VMX_VMWRITE, VM_EXIT_REASON, 1), VMXERR_VMWRITE_READ_ONLY_VMCS_COMPONENT);
	/* No secondary controls, so no EPT: its fields are unsupported components. */
	expect_valid(run_reg(lp, VMX_VMREAD, EPT_POINTER, 0), VMXERR_UNSUPPORTED_VMCS_COMPONENT);
	/* No VMCS shadowing: a region with the shadow bit is refused. */
	phys_write32(&m->pm, VMCS_B, 0x80000000u | vmcs_caps_revision_id(m->vmx_caps));
	expect_valid(run_mem(lp, VMX_VMPTRLD, 0, VMCS_B, 0), VMXERR_VMPTRLD_INCORRECT_VMCS_REVISION_ID);
	/* No INVEPT on this model. */
	assert_int_equal(run_mem(lp, VMX_INVEPT, 2, 0, 0).fault.vector, VEC_UD);
	vtsim_machine_destroy(m);
}

static void test_vmx_invept_invvpid_operands(void **state)
{
	struct vtsim_machine *m = machine(NULL);
	struct lp *lp = &m->lps[0];
	expect_ok(run_mem(lp, VMX_VMXON, 0, VMXON0, 0));
	expect_ok(run_mem(lp, VMX_VMPTRLD, 0, VMCS_A, 0));
	uint64_t eptp = 0x50000 | (3 << 3) | 6;                          /* WB, 4-level */
	expect_ok(run_mem(lp, VMX_INVEPT, 1, eptp, 0));
	expect_ok(run_mem(lp, VMX_INVEPT, 2, 0, 0));
	expect_valid(run_mem(lp, VMX_INVEPT, 3, 0, 0), VMXERR_INVALID_OPERAND_TO_INVEPT_INVVPID);
	expect_valid(run_mem(lp, VMX_INVEPT, 1, 0x50000 | (2 << 3) | 6, 0), 28);  /* walk length 3 */
	expect_ok(run_mem(lp, VMX_INVVPID, 0, 1, 0x1000));
	expect_valid(run_mem(lp, VMX_INVVPID, 0, 0, 0x1000), 28);               /* VPID 0 */
	expect_valid(run_mem(lp, VMX_INVVPID, 0, 1, 1ull << 63), 28);           /* non-canonical */
	expect_valid(run_mem(lp, VMX_INVVPID, 1, 1 | (1ull << 16), 0), 28);     /* reserved bits */
	expect_ok(run_mem(lp, VMX_INVVPID, 2, 0, 0));
	expect_valid(run_mem(lp, VMX_INVVPID, 4, 1, 0), 28);
	vtsim_machine_destroy(m);
}

/* A VMCS is cached on the LP that made it current; another LP that loads the same
 * region sees memory, not that cache, until VMCLEAR writes it back. */
static void test_vmx_two_lps_share_a_vmcs_through_vmclear(void **state)
{
	struct vtsim_machine *m = machine(NULL);
	struct lp *a = &m->lps[0], *b = &m->lps[1];
	expect_ok(run_mem(a, VMX_VMXON, 0, VMXON0, 0));
	expect_ok(run_mem(b, VMX_VMXON, 0, VMXON1, 0));
	expect_ok(run_mem(a, VMX_VMCLEAR, 0, VMCS_A, 0));
	expect_ok(run_mem(a, VMX_VMPTRLD, 0, VMCS_A, 0));
	expect_ok(run_reg(a, VMX_VMWRITE, GUEST_RIP, 0x1111));
	/* Each LP has its own VMX state. */
	struct vmx_result r = run_mem(b, VMX_VMPTRST, 0, 0, 0);
	assert_int_equal(r.out, ~0ull);
	expect_ok(run_mem(b, VMX_VMPTRLD, 0, VMCS_A, 0));
	assert_int_equal(vmread(b, GUEST_RIP), 0);                        /* a's write is cached on a */
	expect_ok(run_mem(a, VMX_VMCLEAR, 0, VMCS_A, 0));
	expect_ok(run_mem(b, VMX_VMPTRLD, 0, VMCS_B, 0));
	expect_ok(run_mem(b, VMX_VMPTRLD, 0, VMCS_A, 0));
	assert_int_equal(vmread(b, GUEST_RIP), 0x1111);
	/* VMXOFF on a leaves b in VMX operation. */
	expect_ok(run_reg(a, VMX_VMXOFF, 0, 0));
	assert_int_equal(run_reg(a, VMX_VMREAD, GUEST_RIP, 0).fault.vector, VEC_UD);
	assert_int_equal(vmread(b, GUEST_RIP), 0x1111);
	vtsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vmx_ud_outside_vmx_operation),
		cmocka_unit_test(test_vmx_vmxon_checks),
		cmocka_unit_test(test_vmx_pointer_errors),
		cmocka_unit_test(test_vmx_vmread_vmwrite_rules),
		cmocka_unit_test(test_vmx_reg_access_fast_agrees),
		cmocka_unit_test(test_vmx_minimal_model_rules),
		cmocka_unit_test(test_vmx_last_entry_failure_is_reported),
		cmocka_unit_test(test_vmx_invept_invvpid_operands),
		cmocka_unit_test(test_vmx_two_lps_share_a_vmcs_through_vmclear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
