/* TD-scope metadata (TDX module ABI): a vCPU's fields (the TD VMCS's, class 0,
 * and the TDVPS's management fields) as the host reads and writes them
 * (TDH.VP.RD/WR) and as the TD itself does (TDG.VP.RD/WR), and TDH.MNG.WR on the
 * TDCS. One table says what each field is and who may touch it: a non-debug TD
 * shows the host only what a VMM needs (the shared EPT, posted interrupts, a
 * pending NMI); a debug TD shows its guest state too; the guest sees its vCPU
 * index and its CPUID #VE controls. A field id is class << 56 | field code (bits
 * 23:0), bit 63 for non-architectural fields; the element-size and context bits
 * are not checked. */
#include "sim/tdx_module_stub/td.h"

#include "sim/tdx_module_stub/md_fields.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/fields.h"

enum md_kind {
	MD_VMCS, MD_PEND_NMI, MD_STATE_DETAILS, MD_VCPU_INDEX, MD_CPUID_SUPERVISOR_VE, MD_CPUID_USER_VE,
};
/* MD_NULL_PA: a physical address that starts as NULL_PA (all ones); until the
 * first write its bits outside the write mask read as 0 for that write.
 * MD_SHARED_HPA: a shared HPA (the module's field attributes HPA and SHARED):
 * the value written must pass td_shared_hpa_ok over 4 KiB, or over the 64 bytes
 * of a posted-interrupt descriptor; else FIELD_VALUE_NOT_VALID. */
enum { MD_DEBUG_ONLY = 1, MD_NULL_PA = 2, MD_SHARED_HPA = 4 };
#define POSTED_INTR_DESC_SIZE 64

struct vp_field {
	uint64_t id;
	enum md_kind kind;
	uint32_t enc;                /* MD_VMCS: the VMCS field */
	uint64_t write_mask;         /* bits the host may write (0: read-only); it reads all */
	bool guest_readable;         /* TDG.VP.RD */
	uint64_t guest_write_mask;   /* TDG.VP.WR */
	unsigned flags;
	/* The value a host write would leave: 0 or the status refusing it. */
	uint64_t (*check)(struct td_run *r, uint64_t value);
};

static uint64_t check_pi_vector(struct td_run *r, uint64_t value);
static uint64_t check_pin_based(struct td_run *r, uint64_t value);

#define VMCS_MD(enc, wmask, flags) { (uint64_t)(enc), MD_VMCS, (enc), (wmask), false, 0, (flags), NULL }
#define VMCS_MD_CHECKED(enc, wmask, flags, check) \
	{ (uint64_t)(enc), MD_VMCS, (enc), (wmask), false, 0, (flags), (check) }
/* The write masks are the module's (TD VMCS field list): the shared EPT's root
 * address alone (bits 51:12; the module fills in the rest from the TD's EPTP), the
 * whole 16-bit vector, a 64-byte aligned descriptor address. */
static const struct vp_field vp_fields[] = {
	VMCS_MD(SHARED_EPT_POINTER, 0x000ffffffffff000ull, MD_SHARED_HPA),
	VMCS_MD_CHECKED(POSTED_INTR_NV, 0xffff, 0, check_pi_vector),
	VMCS_MD(POSTED_INTR_DESC_ADDR, ~0x3full, MD_NULL_PA | MD_SHARED_HPA),
	/* The VMM may turn posted interrupts (bit 7) on or off, nothing else. */
	VMCS_MD_CHECKED(PIN_BASED_VM_EXEC_CONTROL, PIN_BASED_POSTED_INTR, 0, check_pin_based),
	VMCS_MD(GUEST_RIP, ~0ull, MD_DEBUG_ONLY),
	VMCS_MD(GUEST_RSP, ~0ull, MD_DEBUG_ONLY),
	VMCS_MD(GUEST_RFLAGS, ~0ull, MD_DEBUG_ONLY),
	VMCS_MD(GUEST_CR0, 0, MD_DEBUG_ONLY),
	VMCS_MD(GUEST_CR3, 0, MD_DEBUG_ONLY),
	VMCS_MD(GUEST_CR4, 0, MD_DEBUG_ONLY),
	VMCS_MD(GUEST_IA32_EFER, 0, MD_DEBUG_ONLY),
	VMCS_MD(GUEST_CS_SELECTOR, 0, MD_DEBUG_ONLY),
	VMCS_MD(GUEST_CS_AR_BYTES, 0, MD_DEBUG_ONLY),
	VMCS_MD(VM_EXIT_REASON, 0, MD_DEBUG_ONLY),
	{ 0x202000000000000Bull, MD_PEND_NMI, 0, 1, false, 0, 0 },
	{ 0x9120000300000100ull, MD_STATE_DETAILS, 0, 0, false, 0, 0 },
	{ 0xA020000200000002ull, MD_VCPU_INDEX, 0, 0, true, 0, 0 },
	{ 0xA020000000000007ull, MD_CPUID_SUPERVISOR_VE, 0, 0, true, 0xff, 0 },
	{ 0xA020000000000008ull, MD_CPUID_USER_VE, 0, 0, true, 0xff, 0 },
};
#define NR_VP_FIELDS (sizeof(vp_fields) / sizeof(vp_fields[0]))

/* What identifies a field: class 61:56, the field code 23:0, non-architectural
 * bit 63. */
static uint64_t field_key(uint64_t id)
{
	return id & (0xbfull << 56 | 0xffffff);
}

static const struct vp_field *vp_field_of(uint64_t id)
{
	for (size_t i = 0; i < NR_VP_FIELDS; i++)
		if (field_key(vp_fields[i].id) == field_key(id))
			return &vp_fields[i];
	return NULL;
}

/* The guest-readable field after `f` (NULL: the first), as its full id; the null
 * id after the last. */
static uint64_t next_guest_field(const struct vp_field *f)
{
	for (size_t i = f ? (size_t)(f - vp_fields) + 1 : 0; i < NR_VP_FIELDS; i++)
		if (vp_fields[i].guest_readable)
			return vp_fields[i].id;
	return MD_FIELD_ID_NONE;
}

/* The field's value for the host, or the status. */
/* VCPU_STATE_DETAILS bit 0: a virtual interrupt is pending, RVI[7:4] above
 * VPPR[7:4] (what wakes a TD halted with interrupts open). */
static uint64_t vapic_intr_pending(struct td_run *r)
{
	unsigned rvi = (unsigned)td_vmread(r, GUEST_INTR_STATUS) & 0xff;
	unsigned vppr = phys_read32(r->mod->pm, td_vcpu_page(r, TDVPS_VAPIC_PAGE) + 0xa0) & 0xff;
	return (rvi >> 4) > (vppr >> 4);
}

static uint64_t vp_field_read(struct td_run *r, const struct vp_field *f, uint64_t *value)
{
	switch (f->kind) {
	case MD_VMCS:
		if (td_vmcs_make_current(r, false))
			return TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE;
		*value = td_vmread(r, f->enc);
		return TDX_SUCCESS;
	case MD_PEND_NMI:
		*value = r->v.pend_nmi;
		return TDX_SUCCESS;
	case MD_STATE_DETAILS:
		if (td_vmcs_make_current(r, false))
			return TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE;
		*value = vapic_intr_pending(r);      /* bit 0 */
		return TDX_SUCCESS;
	case MD_VCPU_INDEX:
		*value = r->v.vcpu_index;
		return TDX_SUCCESS;
	case MD_CPUID_SUPERVISOR_VE:
		*value = r->v.cpuid_supervisor_ve;
		return TDX_SUCCESS;
	case MD_CPUID_USER_VE:
		*value = r->v.cpuid_user_ve;
		return TDX_SUCCESS;
	}
	return TDX_METADATA_FIELD_ID_INCORRECT;
}

/* Posted interrupts need "acknowledge interrupt on exit" (a VM-entry check): the
 * module sets it with them, so the VMM finds the vector of an interrupt that made
 * the TD exit in R9 (its exit interruption information). */
static void vp_vmcs_write(struct td_run *r, uint32_t enc, uint64_t value)
{
	td_vmwrite(r, enc, value);
	if (enc != PIN_BASED_VM_EXEC_CONTROL)
		return;
	uint64_t exit = td_vmread(r, VM_EXIT_CONTROLS);
	td_vmwrite(r, VM_EXIT_CONTROLS, value & PIN_BASED_POSTED_INTR ? exit | VM_EXIT_ACK_INTR_ON_EXIT
								  : exit & ~(uint64_t)VM_EXIT_ACK_INTR_ON_EXIT);
}

/* The notification vector is an interrupt vector (0-255). */
static uint64_t check_pi_vector(struct td_run *r, uint64_t value)
{
	(void)r;
	return value > 0xff ? TDX_METADATA_FIELD_VALUE_NOT_VALID : TDX_SUCCESS;
}

/* Posted interrupts go on only after the vector and the descriptor were written:
 * the field still at its initial value is named in the status. */
static uint64_t check_pin_based(struct td_run *r, uint64_t value)
{
	if (!(value & PIN_BASED_POSTED_INTR))
		return TDX_SUCCESS;
	if ((td_vmread(r, POSTED_INTR_NV) & 0xffff) == 0xffff)
		return tdx_err(TDX_TD_VMCS_FIELD_NOT_INITIALIZED, POSTED_INTR_NV);
	if (td_vmread(r, POSTED_INTR_DESC_ADDR) == ~0ull)
		return tdx_err(TDX_TD_VMCS_FIELD_NOT_INITIALIZED, POSTED_INTR_DESC_ADDR);
	return TDX_SUCCESS;
}

/* The module checks a written shared HPA after merging the bits, before the
 * field's own checks. */
static uint64_t check_shared_hpa(const struct td_run *r, const struct vp_field *f, uint64_t value)
{
	if (!(f->flags & MD_SHARED_HPA))
		return TDX_SUCCESS;
	uint64_t size = f->enc == POSTED_INTR_DESC_ADDR ? POSTED_INTR_DESC_SIZE : 4096;
	return td_shared_hpa_ok(r->mod, value, size) ? TDX_SUCCESS : TDX_METADATA_FIELD_VALUE_NOT_VALID;
}

/* A masked write (TDH.VP.WR, TDG.VP.WR, TDG.VM.WR; the ABI's metadata write): the bits the
 * request selects and the field lets the caller write take the new value. None
 * such: FIELD_NOT_WRITABLE. A selected bit the caller may not write must keep its
 * value (so a request wider than the field, as Linux's ~0, succeeds when those
 * bits are unchanged): else FIELD_VALUE_NOT_VALID. */
uint64_t td_md_masked_write(uint64_t old, uint64_t value, uint64_t mask, uint64_t writable, uint64_t *out)
{
	uint64_t bits = mask & writable;
	if (!bits)
		return TDX_METADATA_FIELD_NOT_WRITABLE;
	if ((value ^ old) & mask & ~writable)
		return TDX_METADATA_FIELD_VALUE_NOT_VALID;
	*out = (old & ~bits) | (value & bits);
	return TDX_SUCCESS;
}

static void vp_field_write(struct td_run *r, const struct vp_field *f, uint64_t value)
{
	if (f->kind == MD_VMCS)
		vp_vmcs_write(r, f->enc, value);
	else if (f->kind == MD_PEND_NMI)
		r->v.pend_nmi = (uint32_t)(value & 1);
	else if (f->kind == MD_CPUID_SUPERVISOR_VE)
		r->v.cpuid_supervisor_ve = (uint8_t)value;
	else if (f->kind == MD_CPUID_USER_VE)
		r->v.cpuid_user_ve = (uint8_t)value;
}

/* The checks TDH.VP.RD and TDH.VP.WR share: the vCPU, the field, its access. */
static uint64_t vp_md_begin(struct tdx_module *mod, unsigned lp, unsigned leaf, uint64_t gpr[16],
			    struct td_run *r, const struct vp_field **f)
{
	*r = (struct td_run){ .mod = mod, .lp = lp, .vmm = gpr, .tdvpr_pa = gpr[R_RCX] };
	uint64_t st = td_enter_vcpu_leaf(mod, leaf, r->tdvpr_pa, TDX_OPERAND_ID_RCX, &r->v, &r->t, &r->c);
	if (st)
		return st;
	if (r->v.state == VCPU_UNINITIALIZED)
		return TDX_VCPU_STATE_INCORRECT;
	if (r->v.assoc_lp && r->v.assoc_lp != lp + 1)
		return TDX_VCPU_ASSOCIATED;      /* its VMCS is current on another LP */
	if (!(*f = vp_field_of(gpr[R_RDX])))
		return TDX_METADATA_FIELD_ID_INCORRECT;
	if (((*f)->flags & MD_DEBUG_ONLY) && !(r->c.attributes & TD_ATTR_DEBUG))
		return leaf == TDH_VP_RD ? TDX_METADATA_FIELD_NOT_READABLE : TDX_METADATA_FIELD_NOT_WRITABLE;
	return TDX_SUCCESS;
}

uint64_t tdh_vp_rd(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct td_run r;
	const struct vp_field *f;
	uint64_t value = 0, st = vp_md_begin(mod, lp, TDH_VP_RD, gpr, &r, &f);
	if (!st)
		st = vp_field_read(&r, f, &value);
	gpr[R_R8] = st ? 0 : value;
	return st;
}

/* R8 the value, R9 the bits of it to write (td_md_masked_write); R8 returns the old
 * value. A field no bit of which the host may write is refused first. */
uint64_t tdh_vp_wr(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct td_run r;
	const struct vp_field *f;
	uint64_t value = gpr[R_R8], mask = gpr[R_R9], old = 0, base, next = 0;
	uint64_t st = vp_md_begin(mod, lp, TDH_VP_WR, gpr, &r, &f);
	if (!st && !(mask & f->write_mask))
		st = TDX_METADATA_FIELD_NOT_WRITABLE;
	if (!st)
		st = vp_field_read(&r, f, &old);
	base = (f && (f->flags & MD_NULL_PA) && (old >> 63)) ? old & f->write_mask : old;
	if (!st)
		st = td_md_masked_write(base, value, mask, f->write_mask, &next);
	if (!st)
		st = check_shared_hpa(&r, f, next);
	if (!st && f->check)
		st = f->check(&r, next);
	gpr[R_R8] = 0;
	if (st)
		return st;
	vp_field_write(&r, f, next);
	tdvps_put(mod, &r.t, r.tdvpr_pa, &r.v);
	gpr[R_R8] = old;
	return TDX_SUCCESS;
}

/* TDG.VP.RD (9) and TDG.VP.WR (10), from the running vCPU. The module's order:
 * RCX must be 0; RDX = field id (RD of the null id: the first guest-readable
 * field, METADATA_FIRST_FIELD_ID_IN_CONTEXT); a field the table does not know is
 * FIELD_ID_INCORRECT, one the guest may not read NOT_READABLE; WR writes the bits
 * of R8 that R9 selects and the guest may write (none: NOT_WRITABLE; a selected
 * bit it may not write must keep its value: FIELD_VALUE_NOT_VALID). R8 returns
 * the value (WR: the old one), RD the next field id in RDX. */
uint64_t td_vp_md_guest(struct td_run *r, bool write)
{
	uint64_t id = r->guest[R_RDX], value = r->guest[R_R8], mask = r->guest[R_R9], old;
	if (!write)
		r->guest[R_RDX] = MD_FIELD_ID_NONE;
	r->guest[R_R8] = 0;
	if (r->guest[R_RCX])
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	if (!write && id == MD_FIELD_ID_NONE) {
		r->guest[R_RDX] = next_guest_field(NULL);
		return TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT;
	}
	const struct vp_field *f = vp_field_of(id);
	if (!f)
		return TDX_METADATA_FIELD_ID_INCORRECT;
	if (!f->guest_readable)
		return TDX_METADATA_FIELD_NOT_READABLE;
	uint64_t st = vp_field_read(r, f, &old);
	if (st)
		return st;
	if (!write) {
		r->guest[R_R8] = old;
		r->guest[R_RDX] = next_guest_field(f);
		return TDX_SUCCESS;
	}
	uint64_t next;
	st = td_md_masked_write(old, value, mask, f->guest_write_mask, &next);
	if (st)
		return st;
	vp_field_write(r, f, next);
	r->guest[R_R8] = old;
	return TDX_SUCCESS;
}

/* TDH.MNG.WR: the TDCS fields the host may read (TDH.MNG.RD) are the module's to
 * set; none is writable by the host here. */
uint64_t tdh_mng_wr(struct tdx_module *mod, unsigned lp, uint64_t gpr[16])
{
	struct tdr t;
	struct tdcs c;
	uint64_t st = td_enter_leaf(mod, TDH_MNG_WR, gpr[R_RCX], TDX_OPERAND_ID_RCX, &t, &c);
	gpr[R_R8] = 0;
	if (st)
		return st;
	switch (gpr[R_RDX]) {
	case 0x110000000000000Aull:            /* TSC_OFFSET */
	case 0x110000000000000Bull:            /* TSC_MULTIPLIER */
		return TDX_METADATA_FIELD_NOT_WRITABLE;
	default:
		return TDX_METADATA_FIELD_ID_INCORRECT;
	}
}
