/* VMCS fields: the table built from fields.def, and lookup by encoding.
 *
 * Lookup is on the VMREAD/VMWRITE path, so it is one index into a constant table:
 * an encoding with no reserved bit set is fully described by its width (bits 14:13),
 * type and index (bits 11:1), 13 bits in all, and `vmcs_slot_of` maps those 13 bits to the
 * field's position in `vmcs_fields` plus one (0: no field). Bit 0 is handled apart (the HIGH
 * rule). Both tables are built by the preprocessor from the same list.
 */
#include "sim/vmcs/fields.h"

#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct vmcs_feature_info features[] = {
#define VMCS_FEATURE_ROW(n, c, b, ac, ab, w)                                      \
	[n] = { .name = #n, .what = w, .ctl = VMCS_CTL_##c, .bit = b,            \
		.alt_ctl = VMCS_CTL_##ac, .alt_bit = ab },
	VMCS_FEATURES(VMCS_FEATURE_ROW)
#undef VMCS_FEATURE_ROW
};

const struct vmcs_feature_info *vmcs_feature_info(enum vmcs_feature f)
{
	return (unsigned)f < ARRAY_SIZE(features) ? &features[f] : NULL;
}

#define ACCESS_RO true
#define ACCESS_RW false

const struct vmcs_field_info vmcs_fields[] = {
#define VMCS_FIELD(n, enc, w, t, a, f, desc)                                       \
	{ .encoding = (enc), .name = #n, .high_name = #n "_HIGH", .description = desc, \
	  .width = VMCS_WIDTH_##w, .type = VMCS_TYPE_##t, .read_only = ACCESS_##a,  \
	  .feature = f },
#include "sim/vmcs/fields.def"
#undef VMCS_FIELD
};

_Static_assert(VMCS_NR_FIELDS == ARRAY_SIZE(vmcs_fields), "one position per field");
_Static_assert(VMCS_NR_FIELDS < 255, "vmcs_slot_of stores position + 1 in a byte");

/* A field's width and type are those its encoding says (bits 14:13, 11:10), which
 * the accesses with a constant encoding (vmcs.h) rely on. */
#define VMCS_FIELD(n, enc, w, t, a, f, desc)                                        \
	_Static_assert(VMCS_WIDTH_##w == (((enc) >> 13) & 3) && VMCS_TYPE_##t == (((enc) >> 10) & 3), \
		       #n ": width and type as the encoding says");
#include "sim/vmcs/fields.def"
#undef VMCS_FIELD

const uint8_t vmcs_slot_of[VMCS_NR_SLOTS] = {
#define VMCS_FIELD(n, enc, w, t, a, f, desc) [VMCS_SLOT(enc)] = VMCS_POS_##n + 1,
#include "sim/vmcs/fields.def"
#undef VMCS_FIELD
};

size_t vmcs_field_count(void)
{
	return ARRAY_SIZE(vmcs_fields);
}

const struct vmcs_field_info *vmcs_field_at(size_t i)
{
	return i < ARRAY_SIZE(vmcs_fields) ? &vmcs_fields[i] : NULL;
}

const struct vmcs_field_info *vmcs_field_by_name(const char *name, bool *is_high)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(vmcs_fields); i++) {
		const struct vmcs_field_info *f = &vmcs_fields[i];
		bool high = f->width == VMCS_WIDTH_64 && strcmp(name, f->high_name) == 0;

		if (high || strcmp(name, f->name) == 0) {
			if (is_high)
				*is_high = high;
			return f;
		}
	}
	return NULL;
}

const char *vmcs_field_name(uint64_t enc)
{
	bool high = false;
	const struct vmcs_field_info *f = vmcs_field_find(enc, &high);

	if (!f)
		return NULL;
	return high ? f->high_name : f->name;
}

const char *vmcs_width_name(enum vmcs_width w)
{
	static const char *const names[] = {
		[VMCS_WIDTH_16] = "16", [VMCS_WIDTH_64] = "64",
		[VMCS_WIDTH_32] = "32", [VMCS_WIDTH_NATURAL] = "natural",
	};
	return (unsigned)w < ARRAY_SIZE(names) ? names[w] : "?";
}

const char *vmcs_type_name(enum vmcs_type t)
{
	static const char *const names[] = {
		[VMCS_TYPE_CONTROL] = "control", [VMCS_TYPE_EXIT_INFO] = "exit-info",
		[VMCS_TYPE_GUEST] = "guest", [VMCS_TYPE_HOST] = "host",
	};
	return (unsigned)t < ARRAY_SIZE(names) ? names[t] : "?";
}
