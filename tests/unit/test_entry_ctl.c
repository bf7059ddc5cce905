/* VM-entry checks on the VMX controls (class ctl, VMfailValid(7)): the valid fixture
 * passes every row; each ID is broken alone, from the fixture, and must be the row
 * reported, naming the field found wrong; boundary values that must pass do. Rules the
 * "xeon" model cannot reach through the loop (their control is not allowed, so an
 * earlier RESERVED row fires) are shown to do so and their predicate is then run on
 * its own. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/vmcs/caps.h"
#include "sim/vmcs/entry.h"
#include "sim/vmcs/vmcs.h"
#include "tests/unit/entry_fixture.h"

#define BIT(n) (1ull << (n))

#define PIN_EXTINT          BIT(0)
#define PIN_NMI_EXITING     BIT(3)
#define PIN_VIRTUAL_NMIS    BIT(5)
#define PIN_PREEMPT_TIMER   BIT(6)
#define PIN_POSTED_INTR     BIT(7)
#define PROC_TERTIARY       BIT(17)
#define PROC_TPR_SHADOW     BIT(21)
#define PROC_NMI_WINDOW     BIT(22)
#define PROC_IO_BITMAPS     BIT(25)
#define PROC_MTF            BIT(27)
#define PROC_MSR_BITMAPS    BIT(28)
#define PROC_SECONDARY      BIT(31)
#define PROC2_APIC_ACCESS   BIT(0)
#define PROC2_EPT           BIT(1)
#define PROC2_X2APIC_MODE   BIT(4)
#define PROC2_VPID          BIT(5)
#define PROC2_UG            BIT(7)
#define PROC2_APIC_REG_VIRT BIT(8)
#define PROC2_VID           BIT(9)
#define PROC2_XSAVES        BIT(20)
#define PROC2_VMFUNC        BIT(13)
#define PROC2_SHADOW_VMCS   BIT(14)
#define PROC2_PML           BIT(17)
#define PROC2_EPT_VE        BIT(18)
#define PROC2_MBEC          BIT(22)
#define PROC2_SPP           BIT(23)
#define PROC2_PT_GPA        BIT(24)
#define PROC2_TSC_SCALING   BIT(25)
#define PROC3_LOADIWKEY     BIT(0)
#define PROC3_HLAT          BIT(1)
#define PROC3_IPIV          BIT(4)
#define EXIT_ACK_INTR       BIT(15)
#define EXIT_SAVE_PREEMPT   BIT(22)
#define EXIT_CLEAR_RTIT     BIT(25)
#define EXIT_SECONDARY      BIT(31)
#define ENTRY_SMM           BIT(10)
#define ENTRY_DEACT_DUAL    BIT(11)
#define ENTRY_LOAD_RTIT     BIT(18)

#define INTR_VALID          BIT(31)
#define INTR_EC             BIT(11)
#define INTR(type, vector)  (INTR_VALID | ((uint64_t)(type) << 8) | (vector))

#define EPTP_WB4(pa)        ((pa) | 6 | (3 << 3))   /* WB, 4-level walk */
#define MAXPA               46                      /* entry_fixture_ctx */
#define VAPIC_PAGE          0x8000
#define RAM_SIZE            0x10000

struct t {
	const struct vmcs_caps *caps;
	struct vmcs_cache v;
	struct entry_ctx c;
	struct entry_diag d;
	struct phys pm;
	uint8_t ram[RAM_SIZE];
};

static struct t *fix(const char *model)
{
	struct t *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->caps = vmcs_caps_for_model(model);
	assert_non_null(t->caps);
	t->pm.ram = t->ram;
	t->pm.size = RAM_SIZE;
	t->pm.maxphyaddr = MAXPA;
	entry_fixture_valid(&t->v, t->caps);
	entry_fixture_ctx(&t->c, &t->v, t->caps, &t->pm, &t->d);
	return t;
}

static void set(struct t *t, uint32_t enc, uint64_t v)
{
	vmcs_write_enc(&t->v, enc, v);
}

static void or_(struct t *t, uint32_t enc, uint64_t bits)
{
	vmcs_write_enc(&t->v, enc, vmcs_read_enc(&t->v, enc) | bits);
}

static void clr(struct t *t, uint32_t enc, uint64_t bits)
{
	vmcs_write_enc(&t->v, enc, vmcs_read_enc(&t->v, enc) & ~bits);
}

/* Activate the secondary (tertiary) controls and set some of them. */
static void sec(struct t *t, uint64_t bits)
{
	or_(t, CPU_BASED_VM_EXEC_CONTROL, PROC_SECONDARY);
	or_(t, SECONDARY_VM_EXEC_CONTROL, bits);
}

static void ter(struct t *t, uint64_t bits)
{
	or_(t, CPU_BASED_VM_EXEC_CONTROL, PROC_TERTIARY);
	or_(t, TERTIARY_VM_EXEC_CONTROL, bits);
}

/* "enable EPT" with a valid EPTP. */
static void ept(struct t *t)
{
	sec(t, PROC2_EPT);
	set(t, EPT_POINTER, EPTP_WB4(0x10000));
}

/* "use TPR shadow" with a valid virtual-APIC page (VTPR 0). */
static void tpr_shadow(struct t *t)
{
	or_(t, CPU_BASED_VM_EXEC_CONTROL, PROC_TPR_SHADOW);
	set(t, VIRTUAL_APIC_PAGE_ADDR, VAPIC_PAGE);
}

/* Virtual-interrupt delivery and what it needs. */
static void vid(struct t *t)
{
	tpr_shadow(t);
	or_(t, PIN_BASED_VM_EXEC_CONTROL, PIN_EXTINT);
	sec(t, PROC2_VID);
}

/* Posted-interrupt processing, valid. */
static void posted(struct t *t)
{
	vid(t);
	or_(t, PIN_BASED_VM_EXEC_CONTROL, PIN_POSTED_INTR);
	or_(t, VM_EXIT_CONTROLS, EXIT_ACK_INTR);
	set(t, POSTED_INTR_NV, 0xf2);
	set(t, POSTED_INTR_DESC_ADDR, 0x3040);
}

static void passes(struct t *t)
{
	const struct entry_check *r = entry_run(&t->c, ENTRY_CTL);

	if (r)
		fail_msg("%s failed: %s", r->id, t->d.rule);
}

static void fails(struct t *t, const char *id, uint32_t field)
{
	const struct entry_check *r = entry_run(&t->c, ENTRY_CTL);

	assert_non_null(r);
	assert_string_equal(r->id, id);
	assert_string_equal(t->d.id, id);
	assert_int_equal(t->d.cls, ENTRY_CTL);
	assert_int_equal(t->d.field, field);
	assert_true(t->d.rule[0] != '\0');
	assert_non_null(t->d.section);
}

/* One row run alone, for rules an earlier row hides on the xeon model. */
static const struct entry_check *row(const char *id)
{
	for (size_t i = 0; i < entry_checks_ctl_count; i++)
		if (strcmp(entry_checks_ctl[i].id, id) == 0)
			return &entry_checks_ctl[i];
	fail_msg("no row %s", id);
	return NULL;
}

static void row_fails(struct t *t, const char *id, uint32_t field)
{
	memset(&t->d, 0, sizeof(t->d));
	assert_false(row(id)->pred(&t->c));
	assert_int_equal(t->d.field, field);
	assert_true(t->d.rule[0] != '\0');
}

static void row_holds(struct t *t, const char *id)
{
	assert_true(row(id)->pred(&t->c));
}

/* ---- the table ---- */

static void test_entry_ctl_fixture_passes(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	passes(t);
	free(t);
	t = fix("minimal");
	passes(t);
	free(t);
}

static void test_entry_ctl_table_order(void **state)
{
	(void)state;
	static const char *const ids[] = {
		"CTL_PIN_RESERVED", "CTL_PROC1_RESERVED", "CTL_PROC2_RESERVED",
		"CTL_PROC3_RESERVED", "CTL_CR3_TARGET_COUNT", "CTL_IO_BITMAP_ADDR",
		"CTL_MSR_BITMAP_ADDR", "CTL_VAPIC_ADDR", "CTL_TPR_THRESHOLD_RSVD",
		"CTL_TPR_THRESHOLD_VTPR", "CTL_VNMI_NEEDS_NMI_EXIT", "CTL_NMIWIN_NEEDS_VNMI",
		"CTL_APIC_ACCESS_ADDR", "CTL_APICV_NEEDS_TPR", "CTL_X2APIC_XOR_APICACC",
		"CTL_VID_NEEDS_EXTINT", "CTL_PI_NEEDS_VID", "CTL_PI_NEEDS_ACK", "CTL_PI_VECTOR",
		"CTL_PI_DESC_ADDR", "CTL_VPID_NONZERO", "CTL_EPTP_VALID", "CTL_PML_NEEDS_EPT",
		"CTL_PML_ADDR", "CTL_UG_NEEDS_EPT", "CTL_SPP", "CTL_MBEC_NEEDS_EPT", "CTL_PT_GPA",
		"CTL_VMFUNC_RSVD", "CTL_EPTP_SWITCH", "CTL_SHADOW_BITMAPS", "CTL_VE_INFO_ADDR",
		"CTL_HLAT", "CTL_IPIV", "CTL_BOCHS_TSC_MULT",
		"CTL_EXIT_RESERVED", "CTL_EXIT2_RESERVED", "CTL_PREEMPT_SAVE",
		"CTL_EXIT_MSR_STORE", "CTL_EXIT_MSR_LOAD",
		"CTL_ENTRY_RESERVED", "CTL_INJ_TYPE", "CTL_INJ_VECTOR", "CTL_INJ_ERRCODE_BIT",
		"CTL_INJ_RSVD", "CTL_INJ_ERRCODE_RSVD", "CTL_INJ_ILEN", "CTL_ENTRY_MSR_LOAD",
		"CTL_SMM_OUTSIDE_SMM", "CTL_SMM_BOTH",
	};
	assert_int_equal(entry_checks_ctl_count, sizeof(ids) / sizeof(ids[0]));
	for (size_t i = 0; i < entry_checks_ctl_count; i++) {
		const struct entry_check *r = &entry_checks_ctl[i];
		assert_string_equal(r->id, ids[i]);
		assert_non_null(r->pred);
		assert_non_null(r->summary);
		assert_true(strcmp(r->section, "2.1.1") == 0 || strcmp(r->section, "2.1.2") == 0 ||
			    strcmp(r->section, "2.1.3") == 0);
	}
}

/* ---- A.1 VM-execution control fields ---- */

static void test_entry_ctl_pin_reserved(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	clr(t, PIN_BASED_VM_EXEC_CONTROL, BIT(1));          /* default1, allowed-0 */
	fails(t, "CTL_PIN_RESERVED", PIN_BASED_VM_EXEC_CONTROL);
	free(t);
	t = fix("xeon");
	or_(t, PIN_BASED_VM_EXEC_CONTROL, BIT(8));          /* reserved, allowed-1 0 */
	fails(t, "CTL_PIN_RESERVED", PIN_BASED_VM_EXEC_CONTROL);
	assert_int_equal(t->d.value, vmcs_caps_allowed0(t->caps, VMCS_CTL_PIN) | BIT(8));
	free(t);
}

static void test_entry_ctl_proc1_reserved(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	or_(t, CPU_BASED_VM_EXEC_CONTROL, BIT(18));
	fails(t, "CTL_PROC1_RESERVED", CPU_BASED_VM_EXEC_CONTROL);
	free(t);
	/* Without TRUE MSRs the CR3-load exit is default1. */
	t = fix("minimal");
	clr(t, CPU_BASED_VM_EXEC_CONTROL, BIT(15));
	fails(t, "CTL_PROC1_RESERVED", CPU_BASED_VM_EXEC_CONTROL);
	free(t);
}

static void test_entry_ctl_proc2_reserved(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	sec(t, PROC2_XSAVES);          /* the models have no XSAVES */
	fails(t, "CTL_PROC2_RESERVED", SECONDARY_VM_EXEC_CONTROL);
	free(t);
	/* Not activated: the field is not looked at. */
	t = fix("xeon");
	set(t, SECONDARY_VM_EXEC_CONTROL, 0xffffffff);
	passes(t);
	free(t);
}

static void test_entry_ctl_proc3_reserved(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	ter(t, PROC3_LOADIWKEY);
	fails(t, "CTL_PROC3_RESERVED", TERTIARY_VM_EXEC_CONTROL);
	free(t);
	t = fix("xeon");
	set(t, TERTIARY_VM_EXEC_CONTROL, ~0ull);
	passes(t);
	free(t);
}

static void test_entry_ctl_cr3_target_count(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	set(t, CR3_TARGET_COUNT, 4);                         /* exactly IA32_VMX_MISC[24:16] */
	passes(t);
	set(t, CR3_TARGET_COUNT, 5);
	fails(t, "CTL_CR3_TARGET_COUNT", CR3_TARGET_COUNT);
	assert_int_equal(t->d.value, 5);
	free(t);
}

static void test_entry_ctl_io_bitmap_addr(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	or_(t, CPU_BASED_VM_EXEC_CONTROL, PROC_IO_BITMAPS);
	set(t, IO_BITMAP_A, 0x1000);
	set(t, IO_BITMAP_B, (1ull << MAXPA) - 0x1000);      /* highest page: passes */
	passes(t);
	set(t, IO_BITMAP_B, 0x2800);
	fails(t, "CTL_IO_BITMAP_ADDR", IO_BITMAP_B);
	set(t, IO_BITMAP_B, 0x2000);
	set(t, IO_BITMAP_A, 1ull << MAXPA);
	fails(t, "CTL_IO_BITMAP_ADDR", IO_BITMAP_A);
	free(t);
}

static void test_entry_ctl_msr_bitmap_addr(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	or_(t, CPU_BASED_VM_EXEC_CONTROL, PROC_MSR_BITMAPS);
	set(t, MSR_BITMAP, 0x4000);
	passes(t);
	set(t, MSR_BITMAP, 0x4004);
	fails(t, "CTL_MSR_BITMAP_ADDR", MSR_BITMAP);
	free(t);
}

static void test_entry_ctl_vapic_addr(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	tpr_shadow(t);
	passes(t);
	set(t, VIRTUAL_APIC_PAGE_ADDR, 1ull << 50);
	fails(t, "CTL_VAPIC_ADDR", VIRTUAL_APIC_PAGE_ADDR);
	free(t);
}

static void test_entry_ctl_tpr_threshold_rsvd(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	tpr_shadow(t);
	t->ram[VAPIC_PAGE + 0x80] = 0xf0;
	set(t, TPR_THRESHOLD, 0xf);
	passes(t);
	set(t, TPR_THRESHOLD, 0x10);
	fails(t, "CTL_TPR_THRESHOLD_RSVD", TPR_THRESHOLD);
	/* With virtual-interrupt delivery the threshold is not checked. */
	or_(t, PIN_BASED_VM_EXEC_CONTROL, PIN_EXTINT);
	sec(t, PROC2_VID);
	passes(t);
	free(t);
}

static void test_entry_ctl_tpr_threshold_vtpr(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	tpr_shadow(t);
	t->ram[VAPIC_PAGE + 0x80] = 0x3f;                    /* VTPR[7:4] = 3 */
	set(t, TPR_THRESHOLD, 3);                            /* equal: passes */
	passes(t);
	set(t, TPR_THRESHOLD, 4);
	fails(t, "CTL_TPR_THRESHOLD_VTPR", TPR_THRESHOLD);
	assert_int_equal(t->ram[VAPIC_PAGE + 0x80], 0x3f);  /* the check only reads */
	/* Not checked when APIC accesses are virtualized. */
	sec(t, PROC2_APIC_ACCESS);
	set(t, APIC_ACCESS_ADDR, 0x9000);
	passes(t);
	free(t);
}

static void test_entry_ctl_vnmi_needs_nmi_exit(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	or_(t, PIN_BASED_VM_EXEC_CONTROL, PIN_VIRTUAL_NMIS);
	fails(t, "CTL_VNMI_NEEDS_NMI_EXIT", PIN_BASED_VM_EXEC_CONTROL);
	or_(t, PIN_BASED_VM_EXEC_CONTROL, PIN_NMI_EXITING);
	passes(t);
	free(t);
}

static void test_entry_ctl_nmiwin_needs_vnmi(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	or_(t, CPU_BASED_VM_EXEC_CONTROL, PROC_NMI_WINDOW);
	fails(t, "CTL_NMIWIN_NEEDS_VNMI", CPU_BASED_VM_EXEC_CONTROL);
	or_(t, PIN_BASED_VM_EXEC_CONTROL, PIN_VIRTUAL_NMIS | PIN_NMI_EXITING);
	passes(t);
	free(t);
}

static void test_entry_ctl_apic_access_addr(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	sec(t, PROC2_APIC_ACCESS);
	set(t, APIC_ACCESS_ADDR, 0xfee00000);
	passes(t);
	set(t, APIC_ACCESS_ADDR, 0xfee00010);
	fails(t, "CTL_APIC_ACCESS_ADDR", APIC_ACCESS_ADDR);
	free(t);
}

static void test_entry_ctl_apicv_needs_tpr(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	sec(t, PROC2_APIC_REG_VIRT);
	fails(t, "CTL_APICV_NEEDS_TPR", SECONDARY_VM_EXEC_CONTROL);
	tpr_shadow(t);
	passes(t);
	free(t);
}

static void test_entry_ctl_x2apic_xor_apicacc(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	tpr_shadow(t);
	sec(t, PROC2_X2APIC_MODE);
	passes(t);                   /* offered by xeon (sim/cpu/apicv.h) */
	sec(t, PROC2_APIC_ACCESS);
	set(t, APIC_ACCESS_ADDR, 0x9000);
	fails(t, "CTL_X2APIC_XOR_APICACC", SECONDARY_VM_EXEC_CONTROL);
	free(t);
}

static void test_entry_ctl_vid_needs_extint(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	tpr_shadow(t);
	sec(t, PROC2_VID);
	fails(t, "CTL_VID_NEEDS_EXTINT", PIN_BASED_VM_EXEC_CONTROL);
	or_(t, PIN_BASED_VM_EXEC_CONTROL, PIN_EXTINT);
	passes(t);
	free(t);
}

static void test_entry_ctl_pi_needs_vid(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	posted(t);
	passes(t);
	clr(t, SECONDARY_VM_EXEC_CONTROL, PROC2_VID);
	fails(t, "CTL_PI_NEEDS_VID", SECONDARY_VM_EXEC_CONTROL);
	free(t);
}

static void test_entry_ctl_pi_needs_ack(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	posted(t);
	clr(t, VM_EXIT_CONTROLS, EXIT_ACK_INTR);
	fails(t, "CTL_PI_NEEDS_ACK", VM_EXIT_CONTROLS);
	free(t);
}

static void test_entry_ctl_pi_vector(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	posted(t);
	set(t, POSTED_INTR_NV, 0xff);
	passes(t);
	set(t, POSTED_INTR_NV, 0x100);
	fails(t, "CTL_PI_VECTOR", POSTED_INTR_NV);
	free(t);
}

static void test_entry_ctl_pi_desc_addr(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	posted(t);
	set(t, POSTED_INTR_DESC_ADDR, 0x3020);
	fails(t, "CTL_PI_DESC_ADDR", POSTED_INTR_DESC_ADDR);
	set(t, POSTED_INTR_DESC_ADDR, (1ull << MAXPA) - 64);
	passes(t);
	free(t);
}

static void test_entry_ctl_vpid_nonzero(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	sec(t, PROC2_VPID);
	fails(t, "CTL_VPID_NONZERO", VIRTUAL_PROCESSOR_ID);
	set(t, VIRTUAL_PROCESSOR_ID, 1);
	passes(t);
	free(t);
}

static void test_entry_ctl_eptp_valid(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	ept(t);
	passes(t);
	set(t, EPT_POINTER, 0x10000 | 0 | (3 << 3));          /* UC: allowed on xeon */
	passes(t);
	set(t, EPT_POINTER, EPTP_WB4(0x10000) | BIT(6));      /* A/D: allowed on xeon */
	passes(t);
	static const uint64_t bad[] = {
		0x10000 | 1 | (3 << 3),                       /* memory type WC */
		0x10000 | 6 | (4 << 3),                       /* 5-level walk: no LA57 on xeon */
		0x10000 | 6 | (2 << 3),                       /* 3-level walk */
		EPTP_WB4(0x10000) | BIT(7),                   /* supervisor shadow stacks */
		EPTP_WB4(0x10000) | BIT(8),                   /* reserved 11:8 */
		EPTP_WB4(1ull << MAXPA),                      /* beyond MAXPHYADDR */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set(t, EPT_POINTER, bad[i]);
		fails(t, "CTL_EPTP_VALID", EPT_POINTER);
		assert_int_equal(t->d.value, bad[i]);
	}
	free(t);
}

static void test_entry_ctl_pml_needs_ept(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	sec(t, PROC2_PML);
	set(t, PML_ADDRESS, 0x6000);
	fails(t, "CTL_PML_NEEDS_EPT", SECONDARY_VM_EXEC_CONTROL);
	ept(t);
	passes(t);
	free(t);
}

static void test_entry_ctl_pml_addr(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	ept(t);
	sec(t, PROC2_PML);
	set(t, PML_ADDRESS, 0x6008);
	fails(t, "CTL_PML_ADDR", PML_ADDRESS);
	free(t);
}

static void test_entry_ctl_ug_needs_ept(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	sec(t, PROC2_UG);
	fails(t, "CTL_UG_NEEDS_EPT", SECONDARY_VM_EXEC_CONTROL);
	ept(t);
	passes(t);
	free(t);
}

/* Sub-page write permissions: not offered by xeon, so CTL_PROC2_RESERVED refuses the
 * control first; the rule itself is checked on its row. */
static void test_entry_ctl_spp(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	sec(t, PROC2_SPP);
	fails(t, "CTL_PROC2_RESERVED", SECONDARY_VM_EXEC_CONTROL);
	row_fails(t, "CTL_SPP", SECONDARY_VM_EXEC_CONTROL);
	ept(t);
	set(t, SPPT_POINTER, 0x7001);
	row_fails(t, "CTL_SPP", SPPT_POINTER);
	set(t, SPPT_POINTER, 0x7000);
	row_holds(t, "CTL_SPP");
	free(t);
}

/* Mode-based execute control: not offered by xeon (as CTL_SPP). */
static void test_entry_ctl_mbec_needs_ept(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	sec(t, PROC2_MBEC);
	fails(t, "CTL_PROC2_RESERVED", SECONDARY_VM_EXEC_CONTROL);
	row_fails(t, "CTL_MBEC_NEEDS_EPT", SECONDARY_VM_EXEC_CONTROL);
	ept(t);
	row_holds(t, "CTL_MBEC_NEEDS_EPT");
	free(t);
}

/* Intel PT using guest-physical addresses: xeon has no Intel PT (as CTL_SPP). */
static void test_entry_ctl_pt_gpa(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	sec(t, PROC2_PT_GPA);
	fails(t, "CTL_PROC2_RESERVED", SECONDARY_VM_EXEC_CONTROL);
	row_fails(t, "CTL_PT_GPA", SECONDARY_VM_EXEC_CONTROL);
	ept(t);
	row_fails(t, "CTL_PT_GPA", VM_ENTRY_CONTROLS);
	or_(t, VM_ENTRY_CONTROLS, ENTRY_LOAD_RTIT);
	row_fails(t, "CTL_PT_GPA", VM_EXIT_CONTROLS);
	or_(t, VM_EXIT_CONTROLS, EXIT_CLEAR_RTIT);
	row_holds(t, "CTL_PT_GPA");
	free(t);
}

static void test_entry_ctl_vmfunc_rsvd(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	sec(t, PROC2_VMFUNC);
	set(t, VM_FUNCTION_CONTROL, BIT(1));
	fails(t, "CTL_VMFUNC_RSVD", VM_FUNCTION_CONTROL);
	set(t, VM_FUNCTION_CONTROL, 0);
	passes(t);
	/* "enable VM functions" 0: the field is not looked at. */
	clr(t, SECONDARY_VM_EXEC_CONTROL, PROC2_VMFUNC);
	set(t, VM_FUNCTION_CONTROL, ~0ull);
	passes(t);
	free(t);
}

static void test_entry_ctl_eptp_switch(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	sec(t, PROC2_VMFUNC);
	set(t, VM_FUNCTION_CONTROL, 1);
	set(t, EPTP_LIST_ADDRESS, 0xa000);
	fails(t, "CTL_EPTP_SWITCH", SECONDARY_VM_EXEC_CONTROL);
	ept(t);
	passes(t);
	set(t, EPTP_LIST_ADDRESS, 0xa008);
	fails(t, "CTL_EPTP_SWITCH", EPTP_LIST_ADDRESS);
	free(t);
}

static void test_entry_ctl_shadow_bitmaps(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	sec(t, PROC2_SHADOW_VMCS);
	set(t, VMREAD_BITMAP, 0xb000);
	set(t, VMWRITE_BITMAP, 0xc000);
	passes(t);
	set(t, VMWRITE_BITMAP, 0xc100);
	fails(t, "CTL_SHADOW_BITMAPS", VMWRITE_BITMAP);
	set(t, VMWRITE_BITMAP, 0xc000);
	set(t, VMREAD_BITMAP, 1ull << 47);
	fails(t, "CTL_SHADOW_BITMAPS", VMREAD_BITMAP);
	free(t);
}

static void test_entry_ctl_ve_info_addr(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	ept(t);
	sec(t, PROC2_EPT_VE);
	set(t, VE_INFORMATION_ADDRESS, 0xd000);
	passes(t);
	set(t, VE_INFORMATION_ADDRESS, 0xd004);
	fails(t, "CTL_VE_INFO_ADDR", VE_INFORMATION_ADDRESS);
	free(t);
}

/* HLAT: xeon's tertiary controls offer IPI virtualization only (as CTL_SPP). */
static void test_entry_ctl_hlat(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	ter(t, PROC3_HLAT);
	fails(t, "CTL_PROC3_RESERVED", TERTIARY_VM_EXEC_CONTROL);
	row_fails(t, "CTL_HLAT", SECONDARY_VM_EXEC_CONTROL);
	ept(t);
	set(t, HLAT_POINTER, 0xe008);                        /* PWT: allowed */
	row_holds(t, "CTL_HLAT");
	set(t, HLAT_POINTER, 0xe020);                        /* bit 5: reserved */
	row_fails(t, "CTL_HLAT", HLAT_POINTER);
	set(t, HLAT_POINTER, 0xe000);
	set(t, HLAT_PREFIX_SIZE, 1);                         /* xeon's maximum is 0 */
	row_fails(t, "CTL_HLAT", HLAT_PREFIX_SIZE);
	free(t);
}

static void test_entry_ctl_ipiv(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	ter(t, PROC3_IPIV);
	set(t, PID_POINTER_TABLE, 0xf008);
	/* Not offered by xeon (IPI virtualization is not modelled). */
	fails(t, "CTL_PROC3_RESERVED", TERTIARY_VM_EXEC_CONTROL);
	row_holds(t, "CTL_IPIV");
	set(t, PID_POINTER_TABLE, 0xf004);
	row_fails(t, "CTL_IPIV", PID_POINTER_TABLE);
	set(t, PID_POINTER_TABLE, 1ull << MAXPA);
	row_fails(t, "CTL_IPIV", PID_POINTER_TABLE);
	free(t);
}

/* Not an SDM rule (Bochs alone refuses a zero multiplier): TSC scaling with multiplier 0
 * enters; the row cannot be violated. */
static void test_entry_ctl_bochs_tsc_mult(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	sec(t, PROC2_TSC_SCALING);
	set(t, TSC_MULTIPLIER, 0);
	passes(t);
	row_holds(t, "CTL_BOCHS_TSC_MULT");
	free(t);
}

/* ---- A.2 VM-exit control fields ---- */

static void test_entry_ctl_exit_reserved(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	clr(t, VM_EXIT_CONTROLS, BIT(0));
	fails(t, "CTL_EXIT_RESERVED", VM_EXIT_CONTROLS);
	free(t);
	t = fix("xeon");
	or_(t, VM_EXIT_CONTROLS, BIT(23));                   /* clear IA32_BNDCFGS: no MPX */
	fails(t, "CTL_EXIT_RESERVED", VM_EXIT_CONTROLS);
	free(t);
}

/* xeon has no secondary VM-exit controls: "activate secondary VM-exit controls" is
 * refused by CTL_EXIT_RESERVED; the rule itself is checked on its row. */
static void test_entry_ctl_exit2_reserved(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	or_(t, VM_EXIT_CONTROLS, EXIT_SECONDARY);
	set(t, SECONDARY_VM_EXIT_CONTROLS, BIT(1));
	fails(t, "CTL_EXIT_RESERVED", VM_EXIT_CONTROLS);
	row_fails(t, "CTL_EXIT2_RESERVED", SECONDARY_VM_EXIT_CONTROLS);
	set(t, SECONDARY_VM_EXIT_CONTROLS, 0);
	row_holds(t, "CTL_EXIT2_RESERVED");
	free(t);
}

static void test_entry_ctl_preempt_save(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	or_(t, VM_EXIT_CONTROLS, EXIT_SAVE_PREEMPT);
	fails(t, "CTL_PREEMPT_SAVE", VM_EXIT_CONTROLS);
	or_(t, PIN_BASED_VM_EXEC_CONTROL, PIN_PREEMPT_TIMER);
	passes(t);
	free(t);
}

/* The three MSR areas share the rule: aligned, first and last byte below MAXPHYADDR. */
static void msr_area(uint32_t addr, uint32_t count, const char *id)
{
	struct t *t = fix("xeon");
	set(t, addr, 0x1008);                                /* count 0: not checked */
	passes(t);
	set(t, count, 1);
	fails(t, id, addr);
	set(t, addr, (1ull << MAXPA) - 16);                  /* last entry ends at the top */
	passes(t);
	set(t, count, 2);
	fails(t, id, addr);
	set(t, addr, 1ull << MAXPA);
	set(t, count, 1);
	fails(t, id, addr);
	set(t, addr, 0x1000);
	set(t, count, 0xffffffff);                           /* 64 GiB list: fits below 2^46 */
	passes(t);
	free(t);
}

static void test_entry_ctl_exit_msr_store(void **state)
{
	(void)state;
	msr_area(VM_EXIT_MSR_STORE_ADDR, VM_EXIT_MSR_STORE_COUNT, "CTL_EXIT_MSR_STORE");
}

static void test_entry_ctl_exit_msr_load(void **state)
{
	(void)state;
	msr_area(VM_EXIT_MSR_LOAD_ADDR, VM_EXIT_MSR_LOAD_COUNT, "CTL_EXIT_MSR_LOAD");
}

/* ---- A.3 VM-entry control fields ---- */

static void test_entry_ctl_entry_reserved(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	or_(t, VM_ENTRY_CONTROLS, BIT(25));
	fails(t, "CTL_ENTRY_RESERVED", VM_ENTRY_CONTROLS);
	free(t);
	t = fix("minimal");
	clr(t, VM_ENTRY_CONTROLS, BIT(2));                   /* default1 without TRUE MSRs */
	fails(t, "CTL_ENTRY_RESERVED", VM_ENTRY_CONTROLS);
	free(t);
}

static void test_entry_ctl_inj_type(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(1, 0x20));
	fails(t, "CTL_INJ_TYPE", VM_ENTRY_INTR_INFO_FIELD);
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(7, 0));       /* pending MTF: xeon has MTF */
	passes(t);
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(1, 0x20) & ~INTR_VALID);  /* not valid */
	passes(t);
	free(t);
	t = fix("minimal");                                  /* no monitor trap flag */
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(7, 0));
	fails(t, "CTL_INJ_TYPE", VM_ENTRY_INTR_INFO_FIELD);
	free(t);
}

static void test_entry_ctl_inj_vector(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	static const uint64_t bad[] = {
		INTR(2, 3),       /* NMI not vector 2 */
		INTR(3, 32),      /* hardware exception above 31 */
		INTR(7, 1),       /* other event 1: SYSCALL needs a FRED guest */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set(t, VM_ENTRY_INTR_INFO_FIELD, bad[i]);
		fails(t, "CTL_INJ_VECTOR", VM_ENTRY_INTR_INFO_FIELD);
	}
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(2, 2));
	passes(t);
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(3, 31));
	passes(t);
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(0, 0xff));    /* external interrupt: any vector */
	passes(t);
	free(t);
}

static void test_entry_ctl_inj_errcode_bit(void **state)
{
	(void)state;
	/* xeon: IA32_VMX_BASIC[56] = 1, an exception may come with or without a code. */
	struct t *t = fix("xeon");
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(3, 13));
	passes(t);
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(3, 6) | INTR_EC);
	passes(t);
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(0, 0x30) | INTR_EC);   /* not an exception */
	fails(t, "CTL_INJ_ERRCODE_BIT", VM_ENTRY_INTR_INFO_FIELD);
	/* Unrestricted guest in real mode: no error codes at all. */
	ept(t);
	sec(t, PROC2_UG);
	set(t, GUEST_CR0, 0x30);
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(3, 13) | INTR_EC);
	fails(t, "CTL_INJ_ERRCODE_BIT", VM_ENTRY_INTR_INFO_FIELD);
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(3, 13));
	passes(t);
	free(t);

	/* minimal: BASIC[56] = 0, the bit must match the vector exactly. */
	t = fix("minimal");
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(3, 13));
	fails(t, "CTL_INJ_ERRCODE_BIT", VM_ENTRY_INTR_INFO_FIELD);
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(3, 6) | INTR_EC);
	fails(t, "CTL_INJ_ERRCODE_BIT", VM_ENTRY_INTR_INFO_FIELD);
	static const unsigned with_code[] = { 8, 10, 11, 12, 13, 14, 17 };
	for (size_t i = 0; i < sizeof(with_code) / sizeof(with_code[0]); i++) {
		set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(3, with_code[i]) | INTR_EC);
		passes(t);
	}
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(3, 6));
	passes(t);
	free(t);
}

static void test_entry_ctl_inj_rsvd(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(0, 0x30) | BIT(12));
	fails(t, "CTL_INJ_RSVD", VM_ENTRY_INTR_INFO_FIELD);
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(3, 6) | BIT(13));    /* no FRED on xeon */
	fails(t, "CTL_INJ_RSVD", VM_ENTRY_INTR_INFO_FIELD);
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(0, 0x30) | BIT(30));
	fails(t, "CTL_INJ_RSVD", VM_ENTRY_INTR_INFO_FIELD);
	/* Reserved bits of an invalid field are not looked at. */
	set(t, VM_ENTRY_INTR_INFO_FIELD, 0x7ffff000);
	passes(t);
	free(t);
}

static void test_entry_ctl_inj_errcode_rsvd(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(3, 13) | INTR_EC);
	set(t, VM_ENTRY_EXCEPTION_ERROR_CODE, 0xffff);
	passes(t);
	set(t, VM_ENTRY_EXCEPTION_ERROR_CODE, 0x10000);
	fails(t, "CTL_INJ_ERRCODE_RSVD", VM_ENTRY_EXCEPTION_ERROR_CODE);
	/* Without deliver-error-code the field is not looked at. */
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(3, 13));
	passes(t);
	free(t);
}

static void test_entry_ctl_inj_ilen(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	for (unsigned type = 4; type <= 6; type++) {
		set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(type, type == 5 ? 1 : 3));
		set(t, VM_ENTRY_INSTRUCTION_LEN, 15);
		passes(t);
		set(t, VM_ENTRY_INSTRUCTION_LEN, 0);             /* IA32_VMX_MISC[30] = 1 */
		passes(t);
		set(t, VM_ENTRY_INSTRUCTION_LEN, 16);
		fails(t, "CTL_INJ_ILEN", VM_ENTRY_INSTRUCTION_LEN);
	}
	/* Not a software event: the length is not looked at. */
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(3, 6));
	passes(t);
	free(t);
	t = fix("minimal");                                  /* IA32_VMX_MISC[30] = 0 */
	set(t, VM_ENTRY_INTR_INFO_FIELD, INTR(4, 0x80));
	set(t, VM_ENTRY_INSTRUCTION_LEN, 0);
	fails(t, "CTL_INJ_ILEN", VM_ENTRY_INSTRUCTION_LEN);
	set(t, VM_ENTRY_INSTRUCTION_LEN, 1);
	passes(t);
	free(t);
}

static void test_entry_ctl_entry_msr_load(void **state)
{
	(void)state;
	msr_area(VM_ENTRY_MSR_LOAD_ADDR, VM_ENTRY_MSR_LOAD_COUNT, "CTL_ENTRY_MSR_LOAD");
}

/* xeon offers the SMM entry controls (the dual-monitor treatment), minimal does not
 * (CTL_ENTRY_RESERVED refuses them first). entry_run's rows are those of an entry
 * outside SMM; in SMM the instruction unit runs smm_entry_run_ctl instead. */
static void test_entry_ctl_smm_outside_smm(void **state)
{
	(void)state;
	struct t *m = fix("minimal");
	or_(m, VM_ENTRY_CONTROLS, ENTRY_SMM);
	fails(m, "CTL_ENTRY_RESERVED", VM_ENTRY_CONTROLS);
	free(m);
	struct t *t = fix("xeon");
	or_(t, VM_ENTRY_CONTROLS, ENTRY_SMM);
	fails(t, "CTL_SMM_OUTSIDE_SMM", VM_ENTRY_CONTROLS);
	row_fails(t, "CTL_SMM_OUTSIDE_SMM", VM_ENTRY_CONTROLS);
	clr(t, VM_ENTRY_CONTROLS, ENTRY_SMM);
	or_(t, VM_ENTRY_CONTROLS, ENTRY_DEACT_DUAL);
	row_fails(t, "CTL_SMM_OUTSIDE_SMM", VM_ENTRY_CONTROLS);
	clr(t, VM_ENTRY_CONTROLS, ENTRY_DEACT_DUAL);
	row_holds(t, "CTL_SMM_OUTSIDE_SMM");
	free(t);
}

static void test_entry_ctl_smm_both(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	or_(t, VM_ENTRY_CONTROLS, ENTRY_SMM | ENTRY_DEACT_DUAL);
	fails(t, "CTL_SMM_OUTSIDE_SMM", VM_ENTRY_CONTROLS);   /* the row before */
	row_fails(t, "CTL_SMM_BOTH", VM_ENTRY_CONTROLS);
	clr(t, VM_ENTRY_CONTROLS, ENTRY_DEACT_DUAL);
	row_holds(t, "CTL_SMM_BOTH");
	free(t);
}

/* ---- bad input ---- */

/* Random field values never crash a predicate, and whatever fails names a row and a
 * rule; no predicate writes memory. */
static void test_entry_ctl_random_vmcs(void **state)
{
	(void)state;
	struct t *t = fix("xeon");
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned failed = 0;

	for (int round = 0; round < 2000; round++) {
		for (size_t i = 0; i < vmcs_field_count(); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			uint64_t v = x;
			if (round & 1)   /* half the rounds: sparse values, closer to valid */
				v &= x >> 23 & x >> 41;
			vmcs_set(&t->v, vmcs_field_at(i), false, v);
		}
		t->c.maxphyaddr = 36 + (unsigned)(x % 17);
		const struct entry_check *r = entry_run(&t->c, ENTRY_CTL);
		if (r) {
			failed++;
			assert_string_equal(t->d.id, r->id);
			assert_true(t->d.rule[0] != '\0');
		}
	}
	assert_true(failed > 0);
	for (size_t i = 0; i < RAM_SIZE; i++)
		assert_int_equal(t->ram[i], 0);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_ctl_fixture_passes),
		cmocka_unit_test(test_entry_ctl_table_order),
		cmocka_unit_test(test_entry_ctl_pin_reserved),
		cmocka_unit_test(test_entry_ctl_proc1_reserved),
		cmocka_unit_test(test_entry_ctl_proc2_reserved),
		cmocka_unit_test(test_entry_ctl_proc3_reserved),
		cmocka_unit_test(test_entry_ctl_cr3_target_count),
		cmocka_unit_test(test_entry_ctl_io_bitmap_addr),
		cmocka_unit_test(test_entry_ctl_msr_bitmap_addr),
		cmocka_unit_test(test_entry_ctl_vapic_addr),
		cmocka_unit_test(test_entry_ctl_tpr_threshold_rsvd),
		cmocka_unit_test(test_entry_ctl_tpr_threshold_vtpr),
		cmocka_unit_test(test_entry_ctl_vnmi_needs_nmi_exit),
		cmocka_unit_test(test_entry_ctl_nmiwin_needs_vnmi),
		cmocka_unit_test(test_entry_ctl_apic_access_addr),
		cmocka_unit_test(test_entry_ctl_apicv_needs_tpr),
		cmocka_unit_test(test_entry_ctl_x2apic_xor_apicacc),
		cmocka_unit_test(test_entry_ctl_vid_needs_extint),
		cmocka_unit_test(test_entry_ctl_pi_needs_vid),
		cmocka_unit_test(test_entry_ctl_pi_needs_ack),
		cmocka_unit_test(test_entry_ctl_pi_vector),
		cmocka_unit_test(test_entry_ctl_pi_desc_addr),
		cmocka_unit_test(test_entry_ctl_vpid_nonzero),
		cmocka_unit_test(test_entry_ctl_eptp_valid),
		cmocka_unit_test(test_entry_ctl_pml_needs_ept),
		cmocka_unit_test(test_entry_ctl_pml_addr),
		cmocka_unit_test(test_entry_ctl_ug_needs_ept),
		cmocka_unit_test(test_entry_ctl_spp),
		cmocka_unit_test(test_entry_ctl_mbec_needs_ept),
		cmocka_unit_test(test_entry_ctl_pt_gpa),
		cmocka_unit_test(test_entry_ctl_vmfunc_rsvd),
		cmocka_unit_test(test_entry_ctl_eptp_switch),
		cmocka_unit_test(test_entry_ctl_shadow_bitmaps),
		cmocka_unit_test(test_entry_ctl_ve_info_addr),
		cmocka_unit_test(test_entry_ctl_hlat),
		cmocka_unit_test(test_entry_ctl_ipiv),
		cmocka_unit_test(test_entry_ctl_bochs_tsc_mult),
		cmocka_unit_test(test_entry_ctl_exit_reserved),
		cmocka_unit_test(test_entry_ctl_exit2_reserved),
		cmocka_unit_test(test_entry_ctl_preempt_save),
		cmocka_unit_test(test_entry_ctl_exit_msr_store),
		cmocka_unit_test(test_entry_ctl_exit_msr_load),
		cmocka_unit_test(test_entry_ctl_entry_reserved),
		cmocka_unit_test(test_entry_ctl_inj_type),
		cmocka_unit_test(test_entry_ctl_inj_vector),
		cmocka_unit_test(test_entry_ctl_inj_errcode_bit),
		cmocka_unit_test(test_entry_ctl_inj_rsvd),
		cmocka_unit_test(test_entry_ctl_inj_errcode_rsvd),
		cmocka_unit_test(test_entry_ctl_inj_ilen),
		cmocka_unit_test(test_entry_ctl_entry_msr_load),
		cmocka_unit_test(test_entry_ctl_smm_outside_smm),
		cmocka_unit_test(test_entry_ctl_smm_both),
		cmocka_unit_test(test_entry_ctl_random_vmcs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
