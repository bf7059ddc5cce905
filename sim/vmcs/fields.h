/* VMCS fields: the one table of every field the simulator knows, built from
 * sim/vmcs/fields.def (generated from sim/vmcs/vmcs_fields.csv by
 * tools/gen_vmcs_fields.py). VMREAD/VMWRITE validation, width truncation, dumps, the
 * trace and the fuzzers' field dictionary all read it.
 *
 * Encoding rules (SDM Vol. 3 Appendix B and "Field Encoding in VMCS"):
 *  - bit 0: access type, 0 = full, 1 = high. Only a 64-bit field has a high access: E | 1
 *    reads or writes bits 63:32 of field E as a 32-bit value. Bit 0 = 1 on any other
 *    width names no field;
 *  - bits 9:1 index, bits 11:10 type (control, VM-exit information, guest, host),
 *    bits 14:13 width (16-bit, 64-bit, 32-bit, natural);
 *  - bit 12 and bits 31:15 are 0 in every field's encoding; and VMREAD/VMWRITE in
 *    64-bit mode take the encoding from a 64-bit register whose bits 63:32 must be 0 too.
 *
 * Whether a field exists on a given CPU model (its feature gate) is decided against
 * the model's capability MSRs: sim/vmcs/caps.h, vmcs_caps_field_supported().
 *
 * The field symbols (GUEST_RIP, VM_EXIT_REASON ...) are Linux's `enum vmcs_field` names
 * with the same values; kvmlike has its own copy of that enum, so a file must not
 * include both this header and kvmlike's.
 */
#ifndef VTSIM_VMCS_FIELDS_H
#define VTSIM_VMCS_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Encoding bits 14:13. */
enum vmcs_width {
	VMCS_WIDTH_16 = 0,
	VMCS_WIDTH_64 = 1,
	VMCS_WIDTH_32 = 2,
	VMCS_WIDTH_NATURAL = 3,  /* 64 bits on Intel 64 processors */
};

/* Encoding bits 11:10. */
enum vmcs_type {
	VMCS_TYPE_CONTROL = 0,
	VMCS_TYPE_EXIT_INFO = 1,  /* VM-exit information ("read-only data") */
	VMCS_TYPE_GUEST = 2,
	VMCS_TYPE_HOST = 3,
};

/* Where the bit that gates a field lives: the allowed-1 half of a VMX control's
 * capability MSR, IA32_VMX_BASIC, or the model's SEAM (TDX) support. */
enum vmcs_ctl {
	VMCS_CTL_NONE = 0,  /* no gate */
	VMCS_CTL_PIN,       /* pin-based VM-execution controls */
	VMCS_CTL_PROC,      /* primary processor-based VM-execution controls */
	VMCS_CTL_PROC2,     /* secondary processor-based VM-execution controls */
	VMCS_CTL_PROC3,     /* tertiary processor-based VM-execution controls (64 bits) */
	VMCS_CTL_EXIT,      /* primary VM-exit controls */
	VMCS_CTL_EXIT2,     /* secondary VM-exit controls (64 bits) */
	VMCS_CTL_ENTRY,     /* VM-entry controls */
	VMCS_CTL_VMFUNC,    /* VM-function controls (64 bits) */
	VMCS_CTL_BASIC,     /* not a control: a bit of IA32_VMX_BASIC */
	VMCS_CTL_SEAM,      /* not a control: the field exists only in a TD's VMCS */
};

/* The features that gate fields: X(name, ctl, bit, alt_ctl, alt_bit, what). A field
 * gated by a feature exists only on a processor that supports the 1-setting of
 * control `bit` of `ctl`, or of `alt_bit` of `alt_ctl` when there is an alternative
 * (the "load on entry / save on exit" pairs: either control brings the field). */
#define VMCS_FEATURES(X)                                                                   \
	X(FEAT_NONE,                   NONE,   0,  NONE,  0, "always present")                \
	/* pin-based */                                                                    \
	X(FEAT_PREEMPTION_TIMER,       PIN,    6,  NONE,  0, "VMX-preemption timer")          \
	X(FEAT_POSTED_INTR,            PIN,    7,  NONE,  0, "posted-interrupt processing")   \
	/* primary processor-based */                                                      \
	X(FEAT_TERTIARY,               PROC,  17,  NONE,  0, "tertiary controls")             \
	X(FEAT_TPR_SHADOW,             PROC,  21,  NONE,  0, "TPR shadow")                    \
	X(FEAT_MSR_BITMAPS,            PROC,  28,  NONE,  0, "MSR bitmaps")                   \
	X(FEAT_SECONDARY,              PROC,  31,  NONE,  0, "secondary controls")            \
	/* secondary processor-based */                                                    \
	X(FEAT_APIC_ACCESS,            PROC2,  0,  NONE,  0, "APIC-access virtualization")    \
	X(FEAT_EPT,                    PROC2,  1,  NONE,  0, "EPT")                           \
	X(FEAT_VPID,                   PROC2,  5,  NONE,  0, "VPID")                          \
	X(FEAT_VID,                    PROC2,  9,  NONE,  0, "virtual-interrupt delivery")    \
	X(FEAT_PLE,                    PROC2, 10,  NONE,  0, "PAUSE-loop exiting")            \
	X(FEAT_VMFUNC,                 PROC2, 13,  NONE,  0, "VM functions")                  \
	X(FEAT_SHADOW_VMCS,            PROC2, 14,  NONE,  0, "VMCS shadowing")                \
	X(FEAT_ENCLS_EXITING,          PROC2, 15,  NONE,  0, "ENCLS exiting")                 \
	X(FEAT_PML,                    PROC2, 17,  NONE,  0, "page-modification logging")     \
	X(FEAT_EPT_VE,                 PROC2, 18,  NONE,  0, "EPT-violation #VE")             \
	X(FEAT_XSAVES,                 PROC2, 20,  NONE,  0, "XSAVES/XRSTORS in the guest")   \
	X(FEAT_PASID,                  PROC2, 21,  NONE,  0, "PASID translation")             \
	X(FEAT_SPP,                    PROC2, 23,  NONE,  0, "EPT sub-page write permissions") \
	X(FEAT_TSC_SCALING,            PROC2, 25,  NONE,  0, "TSC scaling")                   \
	X(FEAT_PCONFIG,                PROC2, 27,  NONE,  0, "PCONFIG in the guest")          \
	X(FEAT_ENCLV_EXITING,          PROC2, 28,  NONE,  0, "ENCLV exiting")                 \
	X(FEAT_NOTIFY,                 PROC2, 31,  NONE,  0, "instruction timeout (notify)")  \
	/* tertiary processor-based */                                                     \
	X(FEAT_HLAT,                   PROC3,  1,  NONE,  0, "HLAT")                          \
	X(FEAT_IPI_VIRT,               PROC3,  4,  NONE,  0, "IPI virtualization")            \
	X(FEAT_MSRLIST,                PROC3,  6,  NONE,  0, "RDMSRLIST/WRMSRLIST")           \
	X(FEAT_SPEC_CTRL_VIRT,         PROC3,  7,  NONE,  0, "IA32_SPEC_CTRL virtualization") \
	X(FEAT_APIC_TIMER_VIRT,        PROC3,  8,  NONE,  0, "APIC-timer virtualization")     \
	/* VM functions */                                                                 \
	X(FEAT_EPTP_SWITCHING,         VMFUNC, 0,  NONE,  0, "EPTP switching")                \
	/* VM-exit and VM-entry controls */                                                \
	X(FEAT_EXIT_CTLS2,             EXIT,  31,  NONE,  0, "secondary VM-exit controls")    \
	X(FEAT_HOST_PERF_GLOBAL_CTRL,  EXIT,  12,  NONE,  0, "host IA32_PERF_GLOBAL_CTRL")    \
	X(FEAT_GUEST_PERF_GLOBAL_CTRL, ENTRY, 13,  EXIT, 30, "guest IA32_PERF_GLOBAL_CTRL")   \
	X(FEAT_GUEST_PAT,              ENTRY, 14,  EXIT, 18, "guest IA32_PAT")                \
	X(FEAT_HOST_PAT,               EXIT,  19,  NONE,  0, "host IA32_PAT")                 \
	X(FEAT_GUEST_EFER,             ENTRY, 15,  EXIT, 20, "guest IA32_EFER")               \
	X(FEAT_HOST_EFER,              EXIT,  21,  NONE,  0, "host IA32_EFER")                \
	X(FEAT_BNDCFGS,                ENTRY, 16,  EXIT, 23, "guest IA32_BNDCFGS (MPX)")      \
	X(FEAT_RTIT_CTL,               ENTRY, 18,  EXIT, 25, "guest IA32_RTIT_CTL (Intel PT)") \
	X(FEAT_UINV,                   ENTRY, 19,  EXIT, 27, "guest UINV (user interrupts)")  \
	X(FEAT_GUEST_CET,              ENTRY, 20,  NONE,  0, "guest CET state")               \
	X(FEAT_HOST_CET,               EXIT,  28,  NONE,  0, "host CET state")                \
	X(FEAT_LBR_CTL,                ENTRY, 21,  EXIT, 26, "guest IA32_LBR_CTL")            \
	X(FEAT_GUEST_PKRS,             ENTRY, 22,  NONE,  0, "guest IA32_PKRS")               \
	X(FEAT_HOST_PKRS,              EXIT,  29,  NONE,  0, "host IA32_PKRS")                \
	X(FEAT_GUEST_FRED,             ENTRY, 23,  EXIT2, 0, "guest FRED state")              \
	X(FEAT_HOST_FRED,              EXIT2,  1,  NONE,  0, "host FRED state")               \
	X(FEAT_GUEST_SPEC_CTRL,        ENTRY, 24,  NONE,  0, "guest IA32_SPEC_CTRL")          \
	X(FEAT_HOST_SPEC_CTRL,         EXIT2,  2,  NONE,  0, "host IA32_SPEC_CTRL")           \
	/* capabilities that are not controls */                                          \
	X(FEAT_FRED_EVENT_DATA,        BASIC, 58,  NONE,  0, "FRED event data")               \
	X(FEAT_SEAM,                   SEAM,   0,  NONE,  0, "TD VMCS (SEAM)")

enum vmcs_feature {
#define VMCS_FEATURE_ENUM(name, ctl, bit, alt_ctl, alt_bit, what) name,
	VMCS_FEATURES(VMCS_FEATURE_ENUM)
#undef VMCS_FEATURE_ENUM
	VMCS_NR_FEATURES
};

struct vmcs_feature_info {
	const char *name;     /* "FEAT_EPT" */
	const char *what;     /* "EPT" */
	enum vmcs_ctl ctl;    /* VMCS_CTL_NONE: the field always exists */
	uint8_t bit;
	enum vmcs_ctl alt_ctl;  /* VMCS_CTL_NONE: no alternative */
	uint8_t alt_bit;
};

/* NULL for a value outside the enum. */
const struct vmcs_feature_info *vmcs_feature_info(enum vmcs_feature f);

/* The symbols of the fields, with their full encodings as values. */
enum vmcs_encoding {
#define VMCS_FIELD(name, enc, width, type, access, feature, desc) name = enc,
#include "sim/vmcs/fields.def"
#undef VMCS_FIELD
};

struct vmcs_field_info {
	uint32_t encoding;         /* full encoding (bit 0 clear) */
	const char *name;          /* "GUEST_RIP" */
	const char *high_name;     /* "<name>_HIGH": the name of E | 1, for 64-bit fields */
	const char *description;   /* the SDM's wording, from the CSV */
	enum vmcs_width width;
	enum vmcs_type type;
	bool read_only;            /* VM-exit information (VMWRITE: error 13 unless
	                            * IA32_VMX_MISC[29] allows it) */
	enum vmcs_feature feature;
};

/* Encoding bits that no field has set: bit 12 and bits 63:15 (bits 63:32 only exist in
 * a 64-bit register operand). */
#define VMCS_ENC_RESERVED_MASK (~(uint64_t)0x6FFF)

static inline enum vmcs_width vmcs_enc_width(uint64_t enc)
{
	return (enum vmcs_width)((enc >> 13) & 3);
}

static inline enum vmcs_type vmcs_enc_type(uint64_t enc)
{
	return (enum vmcs_type)((enc >> 10) & 3);
}

static inline unsigned vmcs_enc_index(uint64_t enc)
{
	return (unsigned)(enc >> 1) & 0x1FF;
}

/* The tables behind vmcs_field_find (fields.c): every field, and for the 13 bits that
 * tell fields apart (width over type and index) the field's position plus one, 0 for
 * none. Inline, because VM entries and exits look fields up by the hundred. */
#define VMCS_SLOT(enc) ((unsigned)((((enc) >> 13) & 3u) << 11 | (((enc) >> 1) & 0x7FFu)))
#define VMCS_NR_SLOTS (1u << 13)
extern const struct vmcs_field_info vmcs_fields[];
extern const uint8_t vmcs_slot_of[VMCS_NR_SLOTS];

/* The field an encoding (a VMREAD/VMWRITE operand) names, or NULL if none: reserved
 * bits set, unknown encoding, or bit 0 set on a field that is not 64 bits wide. On
 * success *is_high (if is_high is not NULL) says whether the access is to bits 63:32.
 * Whether the CPU model supports the field is a separate question (caps.h). */
static inline const struct vmcs_field_info *vmcs_field_find(uint64_t enc, bool *is_high)
{
	bool high = enc & 1;
	if (enc & VMCS_ENC_RESERVED_MASK)
		return NULL;
	if (high && vmcs_enc_width(enc) != VMCS_WIDTH_64)
		return NULL;  /* only 64-bit fields have a high half */
	unsigned slot = vmcs_slot_of[VMCS_SLOT(enc)];
	if (!slot)
		return NULL;
	if (is_high)
		*is_high = high;
	return &vmcs_fields[slot - 1];
}

/* One encoding's lookup kept for next time (a VMREAD or VMWRITE site's last field):
 * `f` NULL when nothing is kept. */
struct vmcs_field_memo {
	const struct vmcs_field_info *f;
	uint64_t enc;
	bool high;
};

/* Each field's position in vmcs_fields (its slot), by symbol: VMCS_POS_GUEST_RIP. */
enum vmcs_field_pos {
#define VMCS_FIELD(name, enc, width, type, access, feature, desc) VMCS_POS_##name,
#include "sim/vmcs/fields.def"
#undef VMCS_FIELD
	VMCS_NR_FIELDS
};

/* The slot of a full encoding (bit 0 clear), -1 for none: a switch that folds to a
 * constant when the encoding is one, as the simulator's own accesses' are. */
static inline int vmcs_pos_of(uint64_t enc)
{
	switch (enc) {
#define VMCS_FIELD(name, enc, width, type, access, feature, desc) case enc: return VMCS_POS_##name;
#include "sim/vmcs/fields.def"
#undef VMCS_FIELD
	default:
		return -1;
	}
}

/* The slot of the field an encoding names, with vmcs_field_find's rules (bit 0 may
 * select the HIGH half); -1 for none. For encodings the compiler knows, where it
 * folds to a constant (vmcs.h); a field's width and type are then those its
 * encoding gives, which fields.c asserts for every field. */
static inline int vmcs_const_slot(uint64_t enc)
{
	if ((enc & VMCS_ENC_RESERVED_MASK) || ((enc & 1) && vmcs_enc_width(enc) != VMCS_WIDTH_64))
		return -1;
	return vmcs_pos_of(enc & ~1ull);
}

/* All fields, in ascending order of encoding: index 0 .. vmcs_field_count() - 1
 * (NULL past the end). */
size_t vmcs_field_count(void);
const struct vmcs_field_info *vmcs_field_at(size_t i);

/* By symbol ("GUEST_RIP"; "IO_BITMAP_A_HIGH" gives the 64-bit field with *is_high set),
 * for the command line and tests; NULL if unknown. Linear: not for hot paths. */
const struct vmcs_field_info *vmcs_field_by_name(const char *name, bool *is_high);

/* The name of an encoding for traces: "GUEST_RIP", "EPT_POINTER_HIGH", or NULL if it
 * names no field. */
const char *vmcs_field_name(uint64_t enc);

/* Short names for dumps: "16", "64", "32", "natural" / "control", "exit-info", "guest",
 * "host". */
const char *vmcs_width_name(enum vmcs_width w);
const char *vmcs_type_name(enum vmcs_type t);

/* Size in bytes of a field of this width (natural = 8: vtsim models Intel 64 parts). */
static inline unsigned vmcs_width_bytes(enum vmcs_width w)
{
	static const unsigned char bytes[4] = { 2, 8, 4, 8 };
	return bytes[w & 3];
}

#endif
