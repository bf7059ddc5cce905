/* VMCS field table: every field of the reference list, the encoding rules (width and
 * type from the encoding, the HIGH access of 64-bit fields, reserved bits) and the
 * names the trace prints. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "sim/vmcs/fields.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The full encodings of sim/vmcs/vmcs_fields.csv (206 rows), in its order. Kept here
 * so the test checks the generated table against the list without reading files. */
static const uint32_t csv_encodings[] = {
	0x0000, 0x0002, 0x0004, 0x0006, 0x0008, 0x000a, 0x0800, 0x0802,
	0x0804, 0x0806, 0x0808, 0x080a, 0x080c, 0x080e, 0x0810, 0x0812,
	0x0814, 0x0c00, 0x0c02, 0x0c04, 0x0c06, 0x0c08, 0x0c0a, 0x0c0c,
	0x2000, 0x2002, 0x2004, 0x2006, 0x2008, 0x200a, 0x200c, 0x200e,
	0x2010, 0x2012, 0x2014, 0x2016, 0x2018, 0x201a, 0x201c, 0x201e,
	0x2020, 0x2022, 0x2024, 0x2026, 0x2028, 0x202a, 0x202c, 0x202e,
	0x2030, 0x2032, 0x2034, 0x2036, 0x2038, 0x203a, 0x203c, 0x203e,
	0x2040, 0x2042, 0x2044, 0x204a, 0x204c, 0x204e, 0x2052, 0x2400,
	0x2402, 0x2404, 0x2800, 0x2802, 0x2804, 0x2806, 0x2808, 0x280a,
	0x280c, 0x280e, 0x2810, 0x2812, 0x2814, 0x2816, 0x2818, 0x281a,
	0x281c, 0x281e, 0x2820, 0x2822, 0x2824, 0x2826, 0x2828, 0x282e,
	0x2830, 0x2c00, 0x2c02, 0x2c04, 0x2c06, 0x2c08, 0x2c0a, 0x2c0c,
	0x2c0e, 0x2c10, 0x2c12, 0x2c14, 0x2c16, 0x2c1a, 0x4000, 0x4002,
	0x4004, 0x4006, 0x4008, 0x400a, 0x400c, 0x400e, 0x4010, 0x4012,
	0x4014, 0x4016, 0x4018, 0x401a, 0x401c, 0x401e, 0x4020, 0x4022,
	0x4024, 0x4026, 0x4400, 0x4402, 0x4404, 0x4406, 0x4408, 0x440a,
	0x440c, 0x440e, 0x4800, 0x4802, 0x4804, 0x4806, 0x4808, 0x480a,
	0x480c, 0x480e, 0x4810, 0x4812, 0x4814, 0x4816, 0x4818, 0x481a,
	0x481c, 0x481e, 0x4820, 0x4822, 0x4824, 0x4826, 0x4828, 0x482a,
	0x482e, 0x4c00, 0x6000, 0x6002, 0x6004, 0x6006, 0x6008, 0x600a,
	0x600c, 0x600e, 0x6400, 0x6402, 0x6404, 0x6406, 0x6408, 0x640a,
	0x6800, 0x6802, 0x6804, 0x6806, 0x6808, 0x680a, 0x680c, 0x680e,
	0x6810, 0x6812, 0x6814, 0x6816, 0x6818, 0x681a, 0x681c, 0x681e,
	0x6820, 0x6822, 0x6824, 0x6826, 0x6828, 0x682a, 0x682c, 0x6c00,
	0x6c02, 0x6c04, 0x6c06, 0x6c08, 0x6c0a, 0x6c0c, 0x6c0e, 0x6c10,
	0x6c12, 0x6c14, 0x6c16, 0x6c18, 0x6c1a, 0x6c1c,
};

static void test_vmcs_fields_count_is_206(void **state)
{
	(void)state;
	assert_int_equal(ARRAY_SIZE(csv_encodings), 206);
	assert_int_equal(vmcs_field_count(), 206);
	assert_null(vmcs_field_at(206));
}

static void test_vmcs_fields_every_csv_encoding_found(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(csv_encodings); i++) {
		bool high = true;
		const struct vmcs_field_info *f = vmcs_field_find(csv_encodings[i], &high);

		assert_non_null(f);
		assert_int_equal(f->encoding, csv_encodings[i]);
		assert_false(high);
	}
}

static void test_vmcs_fields_table_sorted_and_unique(void **state)
{
	(void)state;
	for (size_t i = 1; i < vmcs_field_count(); i++)
		assert_true(vmcs_field_at(i - 1)->encoding < vmcs_field_at(i)->encoding);
	for (size_t i = 0; i < vmcs_field_count(); i++)
		for (size_t j = i + 1; j < vmcs_field_count(); j++)
			assert_string_not_equal(vmcs_field_at(i)->name, vmcs_field_at(j)->name);
}

/* Width, type and read-only come from the encoding: bits 14:13, bits 11:10, type 1. */
static void test_vmcs_fields_attributes_match_encoding(void **state)
{
	(void)state;
	for (size_t i = 0; i < vmcs_field_count(); i++) {
		const struct vmcs_field_info *f = vmcs_field_at(i);

		assert_int_equal(f->encoding & 1, 0);
		assert_int_equal(f->encoding & ~0x6FFFu, 0);
		assert_int_equal(f->width, (f->encoding >> 13) & 3);
		assert_int_equal(f->type, (f->encoding >> 10) & 3);
		assert_int_equal(f->read_only, f->type == VMCS_TYPE_EXIT_INFO);
		assert_non_null(vmcs_feature_info(f->feature));
		assert_true(strlen(f->description) > 0);
	}
}

/* Per width and type, as the reference list counts them. */
static void test_vmcs_fields_class_counts(void **state)
{
	unsigned n[4][4] = { { 0 } };

	(void)state;
	for (size_t i = 0; i < vmcs_field_count(); i++)
		n[vmcs_field_at(i)->width][vmcs_field_at(i)->type]++;
	assert_int_equal(n[VMCS_WIDTH_16][VMCS_TYPE_CONTROL], 6);
	assert_int_equal(n[VMCS_WIDTH_16][VMCS_TYPE_EXIT_INFO], 0);
	assert_int_equal(n[VMCS_WIDTH_16][VMCS_TYPE_GUEST], 11);
	assert_int_equal(n[VMCS_WIDTH_16][VMCS_TYPE_HOST], 7);
	assert_int_equal(n[VMCS_WIDTH_64][VMCS_TYPE_CONTROL], 39);
	assert_int_equal(n[VMCS_WIDTH_64][VMCS_TYPE_EXIT_INFO], 3);
	assert_int_equal(n[VMCS_WIDTH_64][VMCS_TYPE_GUEST], 23);
	assert_int_equal(n[VMCS_WIDTH_64][VMCS_TYPE_HOST], 13);
	assert_int_equal(n[VMCS_WIDTH_32][VMCS_TYPE_CONTROL], 20);
	assert_int_equal(n[VMCS_WIDTH_32][VMCS_TYPE_EXIT_INFO], 8);
	assert_int_equal(n[VMCS_WIDTH_32][VMCS_TYPE_GUEST], 23);
	assert_int_equal(n[VMCS_WIDTH_32][VMCS_TYPE_HOST], 1);
	assert_int_equal(n[VMCS_WIDTH_NATURAL][VMCS_TYPE_CONTROL], 8);
	assert_int_equal(n[VMCS_WIDTH_NATURAL][VMCS_TYPE_EXIT_INFO], 6);
	assert_int_equal(n[VMCS_WIDTH_NATURAL][VMCS_TYPE_GUEST], 23);
	assert_int_equal(n[VMCS_WIDTH_NATURAL][VMCS_TYPE_HOST], 15);
}

static const struct {
	const char *name;
	uint32_t encoding;
	enum vmcs_width width;
	enum vmcs_type type;
	bool read_only;
	enum vmcs_feature feature;
} known[] = {
	{ "VIRTUAL_PROCESSOR_ID", 0x0000, VMCS_WIDTH_16, VMCS_TYPE_CONTROL, false, FEAT_VPID },
	{ "POSTED_INTR_NV", 0x0002, VMCS_WIDTH_16, VMCS_TYPE_CONTROL, false, FEAT_POSTED_INTR },
	{ "GUEST_CS_SELECTOR", 0x0802, VMCS_WIDTH_16, VMCS_TYPE_GUEST, false, FEAT_NONE },
	{ "GUEST_INTR_STATUS", 0x0810, VMCS_WIDTH_16, VMCS_TYPE_GUEST, false, FEAT_VID },
	{ "GUEST_PML_INDEX", 0x0812, VMCS_WIDTH_16, VMCS_TYPE_GUEST, false, FEAT_PML },
	{ "HOST_TR_SELECTOR", 0x0c0c, VMCS_WIDTH_16, VMCS_TYPE_HOST, false, FEAT_NONE },
	{ "IO_BITMAP_A", 0x2000, VMCS_WIDTH_64, VMCS_TYPE_CONTROL, false, FEAT_NONE },
	{ "MSR_BITMAP", 0x2004, VMCS_WIDTH_64, VMCS_TYPE_CONTROL, false, FEAT_MSR_BITMAPS },
	{ "TSC_OFFSET", 0x2010, VMCS_WIDTH_64, VMCS_TYPE_CONTROL, false, FEAT_NONE },
	{ "VIRTUAL_APIC_PAGE_ADDR", 0x2012, VMCS_WIDTH_64, VMCS_TYPE_CONTROL, false, FEAT_TPR_SHADOW },
	{ "VM_FUNCTION_CONTROL", 0x2018, VMCS_WIDTH_64, VMCS_TYPE_CONTROL, false, FEAT_VMFUNC },
	{ "EPT_POINTER", 0x201a, VMCS_WIDTH_64, VMCS_TYPE_CONTROL, false, FEAT_EPT },
	{ "EPTP_LIST_ADDRESS", 0x2024, VMCS_WIDTH_64, VMCS_TYPE_CONTROL, false, FEAT_EPTP_SWITCHING },
	{ "VMREAD_BITMAP", 0x2026, VMCS_WIDTH_64, VMCS_TYPE_CONTROL, false, FEAT_SHADOW_VMCS },
	{ "TSC_MULTIPLIER", 0x2032, VMCS_WIDTH_64, VMCS_TYPE_CONTROL, false, FEAT_TSC_SCALING },
	{ "TERTIARY_VM_EXEC_CONTROL", 0x2034, VMCS_WIDTH_64, VMCS_TYPE_CONTROL, false, FEAT_TERTIARY },
	{ "SHARED_EPT_POINTER", 0x203c, VMCS_WIDTH_64, VMCS_TYPE_CONTROL, false, FEAT_SEAM },
	{ "GUEST_PHYSICAL_ADDRESS", 0x2400, VMCS_WIDTH_64, VMCS_TYPE_EXIT_INFO, true, FEAT_EPT },
	{ "VMCS_LINK_POINTER", 0x2800, VMCS_WIDTH_64, VMCS_TYPE_GUEST, false, FEAT_NONE },
	{ "GUEST_IA32_PAT", 0x2804, VMCS_WIDTH_64, VMCS_TYPE_GUEST, false, FEAT_GUEST_PAT },
	{ "GUEST_PDPTR0", 0x280a, VMCS_WIDTH_64, VMCS_TYPE_GUEST, false, FEAT_EPT },
	{ "HOST_IA32_EFER", 0x2c02, VMCS_WIDTH_64, VMCS_TYPE_HOST, false, FEAT_HOST_EFER },
	{ "PIN_BASED_VM_EXEC_CONTROL", 0x4000, VMCS_WIDTH_32, VMCS_TYPE_CONTROL, false, FEAT_NONE },
	{ "CPU_BASED_VM_EXEC_CONTROL", 0x4002, VMCS_WIDTH_32, VMCS_TYPE_CONTROL, false, FEAT_NONE },
	{ "SECONDARY_VM_EXEC_CONTROL", 0x401e, VMCS_WIDTH_32, VMCS_TYPE_CONTROL, false, FEAT_SECONDARY },
	{ "VM_INSTRUCTION_ERROR", 0x4400, VMCS_WIDTH_32, VMCS_TYPE_EXIT_INFO, true, FEAT_NONE },
	{ "VM_EXIT_REASON", 0x4402, VMCS_WIDTH_32, VMCS_TYPE_EXIT_INFO, true, FEAT_NONE },
	{ "VMX_INSTRUCTION_INFO", 0x440e, VMCS_WIDTH_32, VMCS_TYPE_EXIT_INFO, true, FEAT_NONE },
	{ "GUEST_CS_AR_BYTES", 0x4816, VMCS_WIDTH_32, VMCS_TYPE_GUEST, false, FEAT_NONE },
	{ "VMX_PREEMPTION_TIMER_VALUE", 0x482e, VMCS_WIDTH_32, VMCS_TYPE_GUEST, false, FEAT_PREEMPTION_TIMER },
	{ "HOST_IA32_SYSENTER_CS", 0x4c00, VMCS_WIDTH_32, VMCS_TYPE_HOST, false, FEAT_NONE },
	{ "CR0_GUEST_HOST_MASK", 0x6000, VMCS_WIDTH_NATURAL, VMCS_TYPE_CONTROL, false, FEAT_NONE },
	{ "EXIT_QUALIFICATION", 0x6400, VMCS_WIDTH_NATURAL, VMCS_TYPE_EXIT_INFO, true, FEAT_NONE },
	{ "GUEST_LINEAR_ADDRESS", 0x640a, VMCS_WIDTH_NATURAL, VMCS_TYPE_EXIT_INFO, true, FEAT_NONE },
	{ "GUEST_CR0", 0x6800, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, false, FEAT_NONE },
	{ "GUEST_RIP", 0x681e, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, false, FEAT_NONE },
	{ "GUEST_RFLAGS", 0x6820, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, false, FEAT_NONE },
	{ "GUEST_S_CET", 0x6828, VMCS_WIDTH_NATURAL, VMCS_TYPE_GUEST, false, FEAT_GUEST_CET },
	{ "HOST_RIP", 0x6c16, VMCS_WIDTH_NATURAL, VMCS_TYPE_HOST, false, FEAT_NONE },
};

static void test_vmcs_fields_well_known_by_name(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
		bool high = true;
		const struct vmcs_field_info *f = vmcs_field_by_name(known[i].name, &high);

		assert_non_null(f);
		assert_false(high);
		assert_string_equal(f->name, known[i].name);
		assert_int_equal(f->encoding, known[i].encoding);
		assert_int_equal(f->width, known[i].width);
		assert_int_equal(f->type, known[i].type);
		assert_int_equal(f->read_only, known[i].read_only);
		assert_int_equal(f->feature, known[i].feature);
		assert_ptr_equal(vmcs_field_find(known[i].encoding, NULL), f);
	}
	assert_null(vmcs_field_by_name("GUEST_RIP_HIGH", NULL));  /* natural width */
	assert_null(vmcs_field_by_name("NO_SUCH_FIELD", NULL));
	assert_null(vmcs_field_by_name(NULL, NULL));
}

/* The generated enum carries the architected names with their encodings. */
static void test_vmcs_fields_enum_constants(void **state)
{
	(void)state;
	assert_int_equal(GUEST_RIP, 0x681e);
	assert_int_equal(VM_EXIT_REASON, 0x4402);
	assert_int_equal(EPT_POINTER, 0x201a);
	assert_int_equal(CPU_BASED_VM_EXEC_CONTROL, 0x4002);
	assert_int_equal(VMCS_LINK_POINTER, 0x2800);
	assert_int_equal(HOST_RIP, 0x6c16);
}

/* Every 64-bit field answers at E | 1 as its high half; no other field does. */
static void test_vmcs_fields_high_access_rule(void **state)
{
	unsigned n64 = 0;

	(void)state;
	for (size_t i = 0; i < vmcs_field_count(); i++) {
		const struct vmcs_field_info *f = vmcs_field_at(i);
		bool high = false;
		const struct vmcs_field_info *g = vmcs_field_find(f->encoding | 1, &high);

		if (f->width == VMCS_WIDTH_64) {
			n64++;
			assert_ptr_equal(g, f);
			assert_true(high);
			assert_int_equal(strncmp(f->high_name, f->name, strlen(f->name)), 0);
			assert_string_equal(f->high_name + strlen(f->name), "_HIGH");
			assert_string_equal(vmcs_field_name(f->encoding | 1), f->high_name);
			assert_ptr_equal(vmcs_field_by_name(f->high_name, &high), f);
			assert_true(high);
		} else {
			assert_null(g);
			assert_null(vmcs_field_name(f->encoding | 1));
		}
		assert_string_equal(vmcs_field_name(f->encoding), f->name);
	}
	assert_int_equal(n64, 78);
}

/* Walk every 15-bit encoding: exactly the 206 full encodings and the 78 high ones are
 * fields, and each answer is consistent with the encoding. */
static void test_vmcs_fields_exhaustive_encoding_space(void **state)
{
	unsigned full = 0, high_n = 0;

	(void)state;
	for (uint32_t enc = 0; enc < 0x8000; enc++) {
		bool high = false;
		const struct vmcs_field_info *f = vmcs_field_find(enc, &high);

		if (!f)
			continue;
		assert_int_equal(enc & (1u << 12), 0);
		assert_int_equal(f->encoding, enc & ~1u);
		assert_int_equal(high, enc & 1);
		if (high)
			high_n++;
		else
			full++;
	}
	assert_int_equal(full, 206);
	assert_int_equal(high_n, 78);
}

/* The compile-time lookup (vmcs_const_slot, behind every simulator access with a
 * constant encoding) names the same field as the table, or none, for every encoding
 * of the space and some with reserved bits set. */
static void test_vmcs_fields_const_slot_matches_table(void **state)
{
	(void)state;
	static const uint64_t extra[] = { 0x681e | (1ull << 12), 0x681e | (1ull << 15),
					  0x2000 | (1ull << 32), 0x2001 | (1ull << 40), ~0ull };
	for (uint64_t i = 0; i < 0x10000 + sizeof(extra) / sizeof(extra[0]); i++) {
		uint64_t enc = i < 0x10000 ? i : extra[i - 0x10000];
		const struct vmcs_field_info *f = vmcs_field_find(enc, NULL);
		assert_int_equal(vmcs_const_slot(enc), f ? (int)(f - vmcs_fields) : -1);
	}
	assert_int_equal(vmcs_const_slot(GUEST_RIP), VMCS_POS_GUEST_RIP);
	assert_int_equal(vmcs_const_slot(EPT_POINTER | 1), VMCS_POS_EPT_POINTER);
	assert_int_equal(vmcs_const_slot(GUEST_RIP | 1), -1);   /* natural width: no HIGH */
}

/* Bit 12, bits 31:15 and (for a 64-bit register operand) bits 63:32 must be 0. */
static void test_vmcs_fields_reserved_bits_rejected(void **state)
{
	(void)state;
	for (size_t i = 0; i < vmcs_field_count(); i++) {
		uint64_t enc = vmcs_field_at(i)->encoding;

		assert_null(vmcs_field_find(enc | (1u << 12), NULL));
		for (unsigned b = 15; b < 64; b++) {
			assert_null(vmcs_field_find(enc | (1ull << b), NULL));
			assert_null(vmcs_field_name(enc | (1ull << b)));
		}
	}
	assert_null(vmcs_field_find(UINT64_MAX, NULL));
	assert_null(vmcs_field_find(0xFFFFFFFFu, NULL));
}

/* Encodings inside the field space that the table does not list. */
static void test_vmcs_fields_unknown_encodings(void **state)
{
	(void)state;
	assert_null(vmcs_field_find(0x000c, NULL));  /* 16-bit control index 6 */
	assert_null(vmcs_field_find(0x0001, NULL));  /* VPID with the high bit */
	assert_null(vmcs_field_find(0x4401, NULL));  /* a 32-bit field's odd encoding */
	assert_null(vmcs_field_find(0x681f, NULL));  /* GUEST_RIP | 1: natural width */
	assert_null(vmcs_field_find(0x482c, NULL));  /* between SYSENTER_CS and the timer */
	assert_null(vmcs_field_find(0x2046, NULL));
	assert_null(vmcs_field_find(0x6c1e, NULL));
	assert_null(vmcs_field_name(0x000c));
}

static void test_vmcs_fields_is_high_optional(void **state)
{
	(void)state;
	assert_non_null(vmcs_field_find(EPT_POINTER | 1, NULL));
	assert_string_equal(vmcs_field_name(EPT_POINTER | 1), "EPT_POINTER_HIGH");
	assert_string_equal(vmcs_field_name(GUEST_RIP), "GUEST_RIP");
}

static void test_vmcs_fields_feature_table(void **state)
{
	(void)state;
	for (int f = 0; f < VMCS_NR_FEATURES; f++) {
		const struct vmcs_feature_info *fi = vmcs_feature_info((enum vmcs_feature)f);

		assert_non_null(fi);
		assert_non_null(fi->name);
		assert_int_equal(strncmp(fi->name, "FEAT_", 5), 0);
		assert_true(fi->bit < 64);
		assert_true(fi->alt_ctl != VMCS_CTL_SEAM && fi->alt_ctl != VMCS_CTL_BASIC);
	}
	assert_null(vmcs_feature_info(VMCS_NR_FEATURES));
	assert_int_equal(vmcs_feature_info(FEAT_NONE)->ctl, VMCS_CTL_NONE);
	assert_int_equal(vmcs_feature_info(FEAT_VPID)->ctl, VMCS_CTL_PROC2);
	assert_int_equal(vmcs_feature_info(FEAT_VPID)->bit, 5);
	assert_int_equal(vmcs_feature_info(FEAT_EPT)->bit, 1);
	assert_int_equal(vmcs_feature_info(FEAT_TERTIARY)->ctl, VMCS_CTL_PROC);
	assert_int_equal(vmcs_feature_info(FEAT_TERTIARY)->bit, 17);
	assert_int_equal(vmcs_feature_info(FEAT_GUEST_PAT)->ctl, VMCS_CTL_ENTRY);
	assert_int_equal(vmcs_feature_info(FEAT_GUEST_PAT)->alt_ctl, VMCS_CTL_EXIT);
	assert_int_equal(vmcs_feature_info(FEAT_GUEST_PAT)->alt_bit, 18);
}

static void test_vmcs_fields_names_of_width_and_type(void **state)
{
	(void)state;
	assert_string_equal(vmcs_width_name(VMCS_WIDTH_NATURAL), "natural");
	assert_string_equal(vmcs_width_name(VMCS_WIDTH_64), "64");
	assert_string_equal(vmcs_type_name(VMCS_TYPE_EXIT_INFO), "exit-info");
	assert_string_equal(vmcs_type_name(VMCS_TYPE_HOST), "host");
	assert_int_equal(vmcs_width_bytes(VMCS_WIDTH_16), 2);
	assert_int_equal(vmcs_width_bytes(VMCS_WIDTH_32), 4);
	assert_int_equal(vmcs_width_bytes(VMCS_WIDTH_64), 8);
	assert_int_equal(vmcs_width_bytes(VMCS_WIDTH_NATURAL), 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vmcs_fields_count_is_206),
		cmocka_unit_test(test_vmcs_fields_every_csv_encoding_found),
		cmocka_unit_test(test_vmcs_fields_table_sorted_and_unique),
		cmocka_unit_test(test_vmcs_fields_attributes_match_encoding),
		cmocka_unit_test(test_vmcs_fields_class_counts),
		cmocka_unit_test(test_vmcs_fields_well_known_by_name),
		cmocka_unit_test(test_vmcs_fields_enum_constants),
		cmocka_unit_test(test_vmcs_fields_high_access_rule),
		cmocka_unit_test(test_vmcs_fields_exhaustive_encoding_space),
		cmocka_unit_test(test_vmcs_fields_const_slot_matches_table),
		cmocka_unit_test(test_vmcs_fields_reserved_bits_rejected),
		cmocka_unit_test(test_vmcs_fields_unknown_encodings),
		cmocka_unit_test(test_vmcs_fields_is_high_optional),
		cmocka_unit_test(test_vmcs_fields_feature_table),
		cmocka_unit_test(test_vmcs_fields_names_of_width_and_type),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
