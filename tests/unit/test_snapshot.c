/* Machine snapshots (include/vtsim/snapshot.h) through the hosted interface: what a
 * restore brings back (registers, CR4, IA32_DEBUGCTL, the VMX state and VMCS contents, RAM the
 * simulator wrote, RAM others declared) and how it finds it (the write log, or a
 * compare of every page when the extent is unknown), with the exact page counts;
 * a restore refused for another machine's snapshot; the devices' state; a taken snapshot refused while
 * a guest runs is not testable here (hosted calls return with every guest
 * stopped), so the refusal of a wrong machine stands for the checks. Writes no
 * one declared (a hosted VMM's pointer, a guest's store) are caught by the write
 * protection, and a guest entered again after a restore runs its code: the code
 * the restore put back, or a VMM wrote, not a stale translation of other code.
 * On a TDX platform the KeyID views are protected and logged the same way: a
 * restore puts back a TD's stores, page ownership and poison from the log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sim/cpu/boot.h"
#include "sim/cpu/keyed_mem.h"
#include "sim/cpu/machine.h"
#include "sim/vmcs/exit_reasons.h"
#include "tests/unit/entry_fixture.h"
#include "vtsim/hosted.h"
#include "vtsim/snapshot.h"
#include "vtsim/vtsim.h"

#define VMXON_PA 0x200000u
#define VMCS_PA  0x201000u
#define VMCS2_PA 0x202000u
#define GUEST_RIP_ENC 0x681eu
#define GUEST_RSP_ENC 0x681cu
#define IA32_DEBUGCTL 0x1d9u

static struct vtsim_machine *boot(void)
{
	struct vtsim_config cfg;
	char err[256];
	vtsim_config_defaults(&cfg);
	cfg.ram_size = 16u << 20;
	struct vtsim_machine *m = vtsim_machine_create(&cfg, err, sizeof(err));
	assert_non_null(m);
	assert_int_equal(vtsim_hosted_start(m, err, sizeof(err)), 0);
	return m;
}

static enum vtsim_vmx_outcome vmx_ptr(struct vtsim_machine *m, enum vtsim_vmx_insn insn, uint64_t pa)
{
	struct vtsim_vmx_operands ops = { .mem = true };
	struct vtsim_vmx_result r;
	memcpy(ops.data, &pa, 8);
	vtsim_vmx(m, 0, insn, &ops, &r);
	return r.outcome;
}

static void vmwrite(struct vtsim_machine *m, uint32_t enc, uint64_t val)
{
	struct vtsim_vmx_operands ops = { .reg = enc, .rm = val };
	struct vtsim_vmx_result r;
	vtsim_vmx(m, 0, VTSIM_VMWRITE, &ops, &r);
	assert_int_equal(r.outcome, VTSIM_VMSUCCEED);
}

static uint64_t vmread(struct vtsim_machine *m, uint32_t enc)
{
	struct vtsim_vmx_operands ops = { .reg = enc };
	struct vtsim_vmx_result r;
	vtsim_vmx(m, 0, VTSIM_VMREAD, &ops, &r);
	assert_int_equal(r.outcome, VTSIM_VMSUCCEED);
	return r.value;
}

static uint64_t vmptrst(struct vtsim_machine *m)
{
	struct vtsim_vmx_operands ops = { .mem = true };
	struct vtsim_vmx_result r;
	uint64_t v;
	vtsim_vmx(m, 0, VTSIM_VMPTRST, &ops, &r);
	assert_int_equal(r.outcome, VTSIM_VMSUCCEED);
	memcpy(&v, ops.data, 8);
	return v;
}

/* VMX operation with a current VMCS whose guest RIP is 0x1234. */
static struct vtsim_machine *boot_vmx(void)
{
	struct vtsim_machine *m = boot();
	uint32_t rev;
	uint8_t *ram = vtsim_machine_ram(m, NULL);
	uint64_t basic;
	assert_int_equal(vtsim_hosted_rdmsr(m, 0, 0x480, &basic), 0);
	rev = (uint32_t)basic & 0x7fffffff;
	memcpy(ram + VMXON_PA, &rev, 4);
	memcpy(ram + VMCS_PA, &rev, 4);
	memcpy(ram + VMCS2_PA, &rev, 4);
	uint64_t cr4;
	assert_int_equal(vtsim_hosted_read_cr(m, 0, 4, &cr4), 0);
	assert_int_equal(vtsim_hosted_write_cr(m, 0, 4, cr4 | 1u << 13), 0);
	assert_int_equal(vmx_ptr(m, VTSIM_VMXON, VMXON_PA), VTSIM_VMSUCCEED);
	assert_int_equal(vmx_ptr(m, VTSIM_VMCLEAR, VMCS_PA), VTSIM_VMSUCCEED);
	assert_int_equal(vmx_ptr(m, VTSIM_VMPTRLD, VMCS_PA), VTSIM_VMSUCCEED);
	vmwrite(m, GUEST_RIP_ENC, 0x1234);
	return m;
}

static void restore_ok(struct vtsim_machine *m, struct vtsim_snapshot *s)
{
	char err[256] = "";
	if (vtsim_snapshot_restore(m, s, err, sizeof(err)))
		fail_msg("restore: %s", err);
}

/* Registers, CR4, the current VMCS and its fields, and RAM the simulator wrote
 * (VMCLEAR writes the VMCS region back): each comes back, from the log alone. */
static void test_restore_from_log(void **state)
{
	struct vtsim_machine *m = boot_vmx();
	uint8_t *ram = vtsim_machine_ram(m, NULL);
	char err[256];
	uint64_t gpr[16], cr4;
	vtsim_hosted_get_gprs(m, 0, gpr);
	assert_int_equal(vtsim_hosted_read_cr(m, 0, 4, &cr4), 0);
	uint8_t region[4096];
	memcpy(region, ram + VMCS_PA, sizeof(region));

	assert_int_equal(vtsim_hosted_wrmsr(m, 0, IA32_DEBUGCTL, 0x2), 0);   /* BTF */

	struct vtsim_snapshot *s = vtsim_snapshot_take(m, err, sizeof(err));
	assert_non_null(s);
	for (int round = 0; round < 3; round++) {
		uint64_t junk[16];
		for (int i = 0; i < 16; i++)
			junk[i] = 0x1111111111111111ull * (unsigned)(i + 1 + round);
		vtsim_hosted_set_gprs(m, 0, junk);
		assert_int_equal(vtsim_hosted_write_cr(m, 0, 4, cr4 | 1u << 9), 0);
		assert_int_equal(vtsim_hosted_wrmsr(m, 0, IA32_DEBUGCTL, 0x1), 0);
		vmwrite(m, GUEST_RIP_ENC, 0xdead0000u + (unsigned)round);
		vmwrite(m, GUEST_RSP_ENC, 0x7000);
		assert_int_equal(vmx_ptr(m, VTSIM_VMCLEAR, VMCS_PA), VTSIM_VMSUCCEED);
		assert_int_equal(vmx_ptr(m, VTSIM_VMPTRLD, VMCS2_PA), VTSIM_VMSUCCEED);
		assert_int_not_equal(memcmp(region, ram + VMCS_PA, sizeof(region)), 0);

		restore_ok(m, s);
		uint64_t now[16], cr4_now;
		vtsim_hosted_get_gprs(m, 0, now);
		assert_memory_equal(now, gpr, sizeof(gpr));
		assert_int_equal(vtsim_hosted_read_cr(m, 0, 4, &cr4_now), 0);
		assert_int_equal(cr4_now, cr4);
		uint64_t debugctl;
		assert_int_equal(vtsim_hosted_rdmsr(m, 0, IA32_DEBUGCTL, &debugctl), 0);
		assert_int_equal(debugctl, 0x2);
		assert_int_equal(vmptrst(m), VMCS_PA);
		assert_int_equal(vmread(m, GUEST_RIP_ENC), 0x1234);
		assert_int_equal(vmread(m, GUEST_RSP_ENC), 0);
		assert_memory_equal(ram + VMCS_PA, region, sizeof(region));
		struct vtsim_snapshot_stats st;
		vtsim_snapshot_stats(s, &st);
		assert_int_equal(st.restores, round + 1);
		/* The VMCS page VMCLEAR wrote, each round; the region VMPTRLD read is
		 * not written. */
		assert_int_equal(st.pages_restored, round + 1);
		assert_int_equal(st.full_compares, 0);
	}
	vtsim_snapshot_free(m, s);
	vtsim_machine_destroy(m);
}

/* Writes the simulator did not make: a declared range comes back through the log,
 * an undeclared one only after a note of unknown extent, by comparing every page. */
static void test_restore_declared_and_compared(void **state)
{
	struct vtsim_machine *m = boot_vmx();
	uint8_t *ram = vtsim_machine_ram(m, NULL);
	char err[256];
	struct vtsim_snapshot *s = vtsim_snapshot_take(m, err, sizeof(err));
	assert_non_null(s);
	struct vtsim_snapshot_stats st;

	memset(ram + 0x300000, 0xab, 0x2000);
	vtsim_snapshot_note_write(m, 0x300000, 0x2000);
	restore_ok(m, s);
	vtsim_snapshot_stats(s, &st);
	assert_int_equal(st.pages_restored, 2);
	assert_int_equal(st.full_compares, 0);
	assert_int_equal(ram[0x300000], 0);
	assert_int_equal(ram[0x301fff], 0);

	ram[0x400000] = 1;
	ram[0x500800] = 2;
	ram[0xfff000] = 3;
	vtsim_snapshot_note_write(m, 0, 0);
	restore_ok(m, s);
	vtsim_snapshot_stats(s, &st);
	assert_int_equal(st.pages_restored, 2 + 3);
	assert_int_equal(st.full_compares, 1);
	assert_int_equal(ram[0x400000] | ram[0x500800] | ram[0xfff000], 0);

	/* Nothing changed: nothing is copied. */
	restore_ok(m, s);
	vtsim_snapshot_stats(s, &st);
	assert_int_equal(st.restores, 3);
	assert_int_equal(st.pages_restored, 5);
	vtsim_snapshot_free(m, s);
	vtsim_machine_destroy(m);
}

/* Writes through the hosted VMM's own pointer, declared to no one: the write
 * protection logs each page, so the restore copies exactly those back without
 * comparing every page; a page written again after the restore stays logged. */
static void test_restore_undeclared_writes(void **state)
{
	struct vtsim_machine *m = boot_vmx();
	uint8_t *ram = vtsim_machine_ram(m, NULL);
	char err[256];
	struct vtsim_snapshot *s = vtsim_snapshot_take(m, err, sizeof(err));
	assert_non_null(s);
	struct vtsim_snapshot_stats st;
	ram[0x400000] = 1;
	ram[0x500800] = 2;
	memset(ram + 0xffe000, 3, 0x2000);
	restore_ok(m, s);
	vtsim_snapshot_stats(s, &st);
	assert_int_equal(st.pages_restored, 4);
	assert_int_equal(st.full_compares, 0);
	assert_int_equal(ram[0x400000] | ram[0x500800] | ram[0xffe000] | ram[0xffffff], 0);
	ram[0x500801] = 4;
	restore_ok(m, s);
	vtsim_snapshot_stats(s, &st);
	assert_int_equal(st.pages_restored, 5);
	assert_int_equal(st.full_compares, 0);
	assert_int_equal(ram[0x500801], 0);
	vtsim_snapshot_free(m, s);
	/* Disarmed: RAM is writable as before. */
	ram[0x400000] = 5;
	assert_int_equal(ram[0x400000], 5);
	vtsim_machine_destroy(m);
}

/* VMX root operation (xeon) with the entry fixture in the current VMCS and its
 * guest's code in RAM. */
static struct vtsim_machine *boot_fixture_guest(const uint8_t *code, size_t n)
{
	struct vtsim_config cfg;
	char err[256];
	vtsim_config_defaults(&cfg);
	cfg.ram_size = 16u << 20;
	cfg.cpu_model = "xeon";
	struct vtsim_machine *m = vtsim_machine_create(&cfg, err, sizeof(err));
	assert_non_null(m);
	assert_int_equal(vtsim_hosted_start(m, err, sizeof(err)), 0);
	struct lp *lp = &m->lps[0];
	boot_enter_elf64(lp, 0x100000);
	cpu_set_reg(lp->uc, UC_X86_REG_CR4, 0x2620);
	entry_fixture_guest(&m->pm, code, n);
	uint32_t rev = vmcs_caps_revision_id(m->vmx_caps);
	phys_write32(&m->pm, 0x300000, rev);
	phys_write32(&m->pm, 0x301000, rev);
	assert_int_equal(vmx_ptr(m, VTSIM_VMXON, 0x300000), VTSIM_VMSUCCEED);
	assert_int_equal(vmx_ptr(m, VTSIM_VMPTRLD, 0x301000), VTSIM_VMSUCCEED);
	struct vmcs_cache fixture;
	entry_fixture_valid(&fixture, m->vmx_caps);
	for (size_t i = 0; i < vmcs_field_count(); i++) {
		uint32_t enc = vmcs_field_at(i)->encoding;
		vmcs_write_enc(&lp->vmx.vmcs, enc, vmcs_read_enc(&fixture, enc));
	}
	return m;
}

/* VMLAUNCH, to the guest's CPUID exit at `rip`. */
static void launch_to_cpuid(struct vtsim_machine *m, uint64_t rip)
{
	struct vtsim_vmx_operands ops = { 0 };
	struct vtsim_vmx_result r;
	vtsim_vmx(m, 0, VTSIM_VMLAUNCH, &ops, &r);
	assert_int_equal(r.outcome, VTSIM_VMEXIT);
	assert_int_equal(vmread(m, VM_EXIT_REASON), EXIT_REASON_CPUID);
	assert_int_equal(vmread(m, GUEST_RIP), rip);
	assert_int_equal(vmread(m, VM_EXIT_INSTRUCTION_LEN), 2);
}

/* A guest entered, the machine restored, the guest entered again, three times:
 * each entry runs the guest's code to the same CPUID exit, and the guest's store
 * is undone by the restore from the write log alone. (A restore used to flush the
 * guest engine's translations while its coroutine was suspended inside one, and
 * the next entry jumped into freed code.) */
static void test_reentry_after_restore(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x89, 0x04, 0x25, 0x00, 0x00, 0x60, 0x00,   /* mov [0x600000], rax */
		0x0f, 0xa2,                                       /* cpuid */
		0xf4,                                             /* hlt */
	};
	struct vtsim_machine *m = boot_fixture_guest(code, sizeof(code));
	uint8_t *ram = vtsim_machine_ram(m, NULL);
	char err[256];
	uint64_t gpr[16] = { 0x1122334455667788ull };
	vtsim_hosted_set_gprs(m, 0, gpr);
	struct vtsim_snapshot *s = vtsim_snapshot_take(m, err, sizeof(err));
	assert_non_null(s);
	for (int round = 0; round < 3; round++) {
		launch_to_cpuid(m, FIX_GUEST_RIP + 8);
		uint64_t stored;
		memcpy(&stored, ram + 0x600000, 8);
		assert_int_equal(stored, 0x1122334455667788ull);
		restore_ok(m, s);
		memcpy(&stored, ram + 0x600000, 8);
		assert_int_equal(stored, 0);
		struct vtsim_snapshot_stats st;
		vtsim_snapshot_stats(s, &st);
		assert_int_equal(st.full_compares, 0);
	}
	vtsim_snapshot_free(m, s);
	vtsim_machine_destroy(m);
}

/* The guest's code: at 0x400000, with RAX != 0, it first rewrites the CPUID at
 * 0x401000 into two NOPs, then jumps there, and exits at that CPUID or at the one
 * after (0x401002). The rewritten code is on another page than the entry, whose
 * bytes the entry's site scan reads again when they change. */
#define SMC_AT 0x1000
static uint8_t smc_code[SMC_AT + 5];
static const uint8_t smc_entry[] = {
	0x48, 0x85, 0xc0,                                     /* test rax, rax */
	0x74, 0x0a,                                           /* jz 0x40000f */
	0x66, 0xc7, 0x04, 0x25, 0x00, 0x10, 0x40, 0x00, 0x90, 0x90, /* mov word [0x401000], 0x9090 */
	0xe9, 0xec, 0x0f, 0x00, 0x00,                         /* jmp 0x401000 */
};
static const uint8_t smc_target[] = {
	0x0f, 0xa2,                                           /* 0x401000: cpuid */
	0x0f, 0xa2,                                           /* 0x401002: cpuid */
	0xf4,
};

static void launch_with_rax(struct vtsim_machine *m, uint64_t rax, uint64_t exit_rip)
{
	uint64_t gpr[16] = { rax };
	vtsim_hosted_set_gprs(m, 0, gpr);
	launch_to_cpuid(m, exit_rip);
}

/* The guest engine keeps its translated code across restores and launches, and
 * drops that of the pages written or restored since: the guest rewrites its own
 * code and the restore puts the old code back behind the engine's back, which must
 * then run (a stale translation would run the rewritten code); a hosted VMM's
 * store into the guest's code, which no one declares, must run too, and the
 * restore must undo it for the next entry. */
static void test_restored_code_runs(void **state)
{
	memset(smc_code, 0xf4, sizeof(smc_code));
	memcpy(smc_code, smc_entry, sizeof(smc_entry));
	memcpy(smc_code + SMC_AT, smc_target, sizeof(smc_target));
	struct vtsim_machine *m = boot_fixture_guest(smc_code, sizeof(smc_code));
	uint8_t *ram = vtsim_machine_ram(m, NULL);
	char err[256];
	struct vtsim_snapshot *s = vtsim_snapshot_take(m, err, sizeof(err));
	assert_non_null(s);
	for (int round = 0; round < 2; round++) {
		launch_with_rax(m, 0, FIX_GUEST_RIP + SMC_AT);
		restore_ok(m, s);
		launch_with_rax(m, 1, FIX_GUEST_RIP + SMC_AT + 2);   /* the guest's rewrite runs */
		assert_int_equal(ram[FIX_GUEST_RIP + SMC_AT], 0x90);
		restore_ok(m, s);
		assert_int_equal(ram[FIX_GUEST_RIP + SMC_AT], 0x0f);
		launch_with_rax(m, 0, FIX_GUEST_RIP + SMC_AT);   /* the restored code runs */
		restore_ok(m, s);
		ram[FIX_GUEST_RIP + SMC_AT] = 0x90;              /* the VMM's rewrite */
		ram[FIX_GUEST_RIP + SMC_AT + 1] = 0x90;
		launch_with_rax(m, 0, FIX_GUEST_RIP + SMC_AT + 2);
		restore_ok(m, s);
		launch_with_rax(m, 0, FIX_GUEST_RIP + SMC_AT);
		restore_ok(m, s);
	}
	struct vtsim_snapshot_stats st;
	vtsim_snapshot_stats(s, &st);
	assert_int_equal(st.full_compares, 0);
	vtsim_snapshot_free(m, s);
	vtsim_machine_destroy(m);
}

/* A snapshot belongs to its machine, and only the last one taken is armed. */
static void test_restore_refused(void **state)
{
	struct vtsim_machine *a = boot(), *b = boot();
	char err[256] = "";
	struct vtsim_snapshot *sa = vtsim_snapshot_take(a, err, sizeof(err));
	assert_non_null(sa);
	assert_int_equal(vtsim_snapshot_restore(b, sa, err, sizeof(err)), -1);
	assert_string_equal(err, "snapshot: not this machine's armed snapshot");
	struct vtsim_snapshot *sa2 = vtsim_snapshot_take(a, err, sizeof(err));
	assert_non_null(sa2);
	err[0] = 0;
	assert_int_equal(vtsim_snapshot_restore(a, sa, err, sizeof(err)), -1);
	assert_string_equal(err, "snapshot: not this machine's armed snapshot");
	restore_ok(a, sa2);
	vtsim_snapshot_free(a, sa);
	vtsim_snapshot_free(a, sa2);
	vtsim_machine_destroy(a);
	vtsim_machine_destroy(b);
}

/* The devices on the I/O bus and the open-bus page count come back too: a fuzz
 * target that restores a machine before each input (fuzz_machine) must not let one
 * input's COM1, PIC, PCI or fw_cfg state reach the next. */
static void test_restore_devices(void **state)
{
	struct vtsim_machine *m = boot();
	char err[256] = "";
	m->com1.scr = 0x11;
	m->com1.lcr = 0x03;
	m->pc.pci_address = 0x80000010;
	m->pc.pic[1].imr = 0xfb;
	m->fw_cfg.selector = 5;
	m->fw_cfg.offset = 2;
	m->open_bus_pages = 3;
	struct vtsim_snapshot *s = vtsim_snapshot_take(m, err, sizeof(err));
	assert_non_null(s);
	m->com1.scr = 0x22;
	m->com1.lcr = 0x83;
	m->pc.pci_address = 0x80000800;
	m->pc.pic[1].imr = 0;
	m->fw_cfg.selector = 3;
	m->fw_cfg.offset = 7;
	m->open_bus_pages = 9;
	restore_ok(m, s);
	assert_int_equal(m->com1.scr, 0x11);
	assert_int_equal(m->com1.lcr, 0x03);
	assert_int_equal(m->pc.pci_address, 0x80000010);
	assert_int_equal(m->pc.pic[1].imr, 0xfb);
	assert_int_equal(m->fw_cfg.selector, 5);
	assert_int_equal(m->fw_cfg.offset, 2);
	assert_int_equal(m->open_bus_pages, 3);
	vtsim_snapshot_free(m, s);
	vtsim_machine_destroy(m);
}

/* A TDX platform (KeyID views of RAM). */
static struct vtsim_machine *boot_tdx(void)
{
	struct vtsim_config cfg;
	char err[256];
	vtsim_config_defaults(&cfg);
	cfg.tdx = true;
	struct vtsim_machine *m = vtsim_machine_create(&cfg, err, sizeof(err));
	if (!m)
		fail_msg("machine: %s", err);
	assert_int_equal(vtsim_hosted_start(m, err, sizeof(err)), 0);
	assert_non_null(m->pm.keyed);
	return m;
}

/* A page made private after the snapshot and written through its KeyID's view (a
 * TD's store, straight to the host memory as the engine makes it), and a private
 * page of the snapshot written through its view and poisoned by a KeyID-0 store:
 * the restore gives back the views' contents, the owners and the poison from the
 * log, with the exact page counts, comparing no other page. */
static void test_restore_keyed_views(void **state)
{
	struct vtsim_machine *m = boot_tdx();
	struct phys *pm = &m->pm;
	unsigned key = pm->nr_key_views - 1;
	uint8_t *ram = pm->ram, *view = pm->key_view[key];
	char err[256];
	keyed_mem_make_private(pm, 0x500000, key);
	view[0x500000] = 0x11;
	struct vtsim_snapshot *s = vtsim_snapshot_take(m, err, sizeof(err));
	assert_non_null(s);
	struct vtsim_snapshot_stats st;

	keyed_mem_make_private(pm, 0x400000, key);
	view[0x400010] = 0x5a;
	view[0x500008] = 0x22;
	ram[0x500000] = 1;              /* KeyID 0 over a private page: poison */
	assert_true(keyed_mem_page_poisoned(pm, 0x500000));
	restore_ok(m, s);
	vtsim_snapshot_stats(s, &st);
	/* The two view pages and the poisoned page's KeyID-0 page. */
	assert_int_equal(st.pages_restored, 3);
	assert_int_equal(st.full_compares, 0);
	assert_int_equal(keyed_mem_owner(pm, 0x400000), 0);
	assert_int_equal(keyed_mem_owner(pm, 0x500000), key);
	assert_false(keyed_mem_page_poisoned(pm, 0x500000));
	assert_false(keyed_mem_key_poisoned(pm, key));
	assert_int_equal(view[0x400010] | view[0x500008] | ram[0x500000], 0);
	assert_int_equal(view[0x500000], 0x11);

	/* Again, from a log that kept those pages open. */
	view[0x500008] = 0x33;
	restore_ok(m, s);
	vtsim_snapshot_stats(s, &st);
	assert_int_equal(st.pages_restored, 4);
	assert_int_equal(st.full_compares, 0);
	assert_int_equal(view[0x500008], 0);
	vtsim_snapshot_free(m, s);
	vtsim_machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restore_from_log),
		cmocka_unit_test(test_restore_declared_and_compared),
		cmocka_unit_test(test_restore_undeclared_writes),
		cmocka_unit_test(test_reentry_after_restore),
		cmocka_unit_test(test_restored_code_runs),
		cmocka_unit_test(test_restore_refused),
		cmocka_unit_test(test_restore_devices),
		cmocka_unit_test(test_restore_keyed_views),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
