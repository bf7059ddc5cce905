/* VMCS fields: the table built from fields.def, and lookup by encoding.
 *
 * Lookup is on the VMREAD/VMWRITE path, so it is one index into a constant table:
 * an encoding with no reserved bit set is fully described by its width (bits 14:13),
 * type and index (bits 11:1), 13 bits in all, and `slot_of` maps those 13 bits to the
 * field's position in `fields` plus one (0: no field). Bit 0 is handled apart (the HIGH
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

static const struct vmcs_field_info fields[] = {
#define VMCS_FIELD(n, enc, w, t, a, f, desc)                                       \
	{ .encoding = (enc), .name = #n, .high_name = #n "_HIGH", .description = desc, \
	  .width = VMCS_WIDTH_##w, .type = VMCS_TYPE_##t, .read_only = ACCESS_##a,  \
	  .feature = f },
#include "sim/vmcs/fields.def"
#undef VMCS_FIELD
};

/* Position of each field in `fields`, by symbol. */
enum field_pos {
#define VMCS_FIELD(n, enc, w, t, a, f, desc) POS_##n,
#include "sim/vmcs/fields.def"
#undef VMCS_FIELD
	NR_FIELDS
};

_Static_assert(NR_FIELDS == ARRAY_SIZE(fields), "one position per field");
_Static_assert(NR_FIELDS < 255, "slot_of stores position + 1 in a byte");

/* Width (bits 14:13) over type and index (bits 11:1): 13 bits. */
#define SLOT(enc) ((unsigned)((((enc) >> 13) & 3u) << 11 | (((enc) >> 1) & 0x7FFu)))
#define NR_SLOTS (1u << 13)

static const uint8_t slot_of[NR_SLOTS] = {
#define VMCS_FIELD(n, enc, w, t, a, f, desc) [SLOT(enc)] = POS_##n + 1,
#include "sim/vmcs/fields.def"
#undef VMCS_FIELD
};

const struct vmcs_field_info *vmcs_field_find(uint64_t enc, bool *is_high)
{
	bool high = enc & 1;
	unsigned slot;

	if (enc & VMCS_ENC_RESERVED_MASK)
		return NULL;
	if (high && vmcs_enc_width(enc) != VMCS_WIDTH_64)
		return NULL;  /* only 64-bit fields have a high half */
	slot = slot_of[SLOT(enc)];
	if (!slot)
		return NULL;
	if (is_high)
		*is_high = high;
	return &fields[slot - 1];
}

size_t vmcs_field_count(void)
{
	return ARRAY_SIZE(fields);
}

const struct vmcs_field_info *vmcs_field_at(size_t i)
{
	return i < ARRAY_SIZE(fields) ? &fields[i] : NULL;
}

const struct vmcs_field_info *vmcs_field_by_name(const char *name, bool *is_high)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		const struct vmcs_field_info *f = &fields[i];
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
