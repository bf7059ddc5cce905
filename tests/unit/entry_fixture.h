/* A VMCS that passes every VM-entry check on the "xeon" model: a 64-bit host and a
 * 64-bit guest, the controls at their required (default-1) settings plus
 * "host address-space size" and "IA-32e mode guest". Tests of a check start from it
 * and break exactly that check's rule. */
#ifndef VTSIM_TEST_ENTRY_FIXTURE_H
#define VTSIM_TEST_ENTRY_FIXTURE_H

#include "sim/vmcs/caps.h"
#include <stddef.h>
#include <string.h>

#include "sim/cpu/phys.h"

#include "sim/vmcs/entry.h"
#include "sim/vmcs/vmcs.h"

#define FIX_HOST_CR3  0x100000
#define FIX_GUEST_CR3 0x200000   /* the guest's PML4, then its PDPT and PD */
#define FIX_GUEST_RIP 0x400000

static inline void fixture_set(struct vmcs_cache *v, uint32_t enc, uint64_t val)
{
	vmcs_write_enc(v, enc, val);
}

static inline void entry_fixture_valid(struct vmcs_cache *v, const struct vmcs_caps *caps)
{
	vmcs_cache_init(v);
	v->ptr = 0x5000;
	/* Controls: what the capability MSRs require, plus 64-bit host and guest. */
	fixture_set(v, PIN_BASED_VM_EXEC_CONTROL, vmcs_caps_allowed0(caps, VMCS_CTL_PIN));
	fixture_set(v, CPU_BASED_VM_EXEC_CONTROL, vmcs_caps_allowed0(caps, VMCS_CTL_PROC));
	fixture_set(v, VM_EXIT_CONTROLS, vmcs_caps_allowed0(caps, VMCS_CTL_EXIT) | (1u << 9));
	fixture_set(v, VM_ENTRY_CONTROLS, vmcs_caps_allowed0(caps, VMCS_CTL_ENTRY) | (1u << 9));
	fixture_set(v, CR3_TARGET_COUNT, 0);
	fixture_set(v, VMCS_LINK_POINTER, ~0ull);

	/* Host: long mode, flat segments, a TSS. */
	fixture_set(v, HOST_CR0, 0x80050033);
	fixture_set(v, HOST_CR3, FIX_HOST_CR3);
	fixture_set(v, HOST_CR4, 0x2620);
	fixture_set(v, HOST_CS_SELECTOR, 0x08);
	fixture_set(v, HOST_SS_SELECTOR, 0x10);
	fixture_set(v, HOST_DS_SELECTOR, 0x10);
	fixture_set(v, HOST_ES_SELECTOR, 0x10);
	fixture_set(v, HOST_FS_SELECTOR, 0);
	fixture_set(v, HOST_GS_SELECTOR, 0);
	fixture_set(v, HOST_TR_SELECTOR, 0x18);
	fixture_set(v, HOST_TR_BASE, 0x3000);
	fixture_set(v, HOST_GDTR_BASE, 0x2000);
	fixture_set(v, HOST_IDTR_BASE, 0x2800);
	fixture_set(v, HOST_RSP, 0x8000);
	fixture_set(v, HOST_RIP, 0x101000);

	/* Guest: long mode, CPL 0, flat segments, a busy 64-bit TSS, no LDT. */
	fixture_set(v, GUEST_CR0, 0x80050033);
	fixture_set(v, GUEST_CR3, FIX_GUEST_CR3);
	fixture_set(v, GUEST_CR4, 0x2620);
	fixture_set(v, GUEST_DR7, 0x400);
	fixture_set(v, GUEST_RFLAGS, 0x2);
	fixture_set(v, GUEST_RIP, FIX_GUEST_RIP);
	fixture_set(v, GUEST_RSP, 0x500000);
	fixture_set(v, GUEST_CS_SELECTOR, 0x08);
	fixture_set(v, GUEST_CS_LIMIT, 0xffffffff);
	fixture_set(v, GUEST_CS_AR_BYTES, 0xa09b);
	static const uint32_t data_sel[] = { GUEST_SS_SELECTOR, GUEST_DS_SELECTOR, GUEST_ES_SELECTOR,
					     GUEST_FS_SELECTOR, GUEST_GS_SELECTOR };
	static const uint32_t data_lim[] = { GUEST_SS_LIMIT, GUEST_DS_LIMIT, GUEST_ES_LIMIT,
					     GUEST_FS_LIMIT, GUEST_GS_LIMIT };
	static const uint32_t data_ar[] = { GUEST_SS_AR_BYTES, GUEST_DS_AR_BYTES, GUEST_ES_AR_BYTES,
					    GUEST_FS_AR_BYTES, GUEST_GS_AR_BYTES };
	for (int i = 0; i < 5; i++) {
		fixture_set(v, data_sel[i], 0x10);
		fixture_set(v, data_lim[i], 0xffffffff);
		fixture_set(v, data_ar[i], 0xc093);
	}
	fixture_set(v, GUEST_TR_SELECTOR, 0x18);
	fixture_set(v, GUEST_TR_BASE, 0x3000);
	fixture_set(v, GUEST_TR_LIMIT, 0x67);
	fixture_set(v, GUEST_TR_AR_BYTES, 0x8b);
	fixture_set(v, GUEST_LDTR_SELECTOR, 0);
	fixture_set(v, GUEST_LDTR_AR_BYTES, 0x10000);     /* unusable */
	fixture_set(v, GUEST_GDTR_BASE, 0x2000);
	fixture_set(v, GUEST_GDTR_LIMIT, 0x2f);
	fixture_set(v, GUEST_IDTR_BASE, 0x2800);
	fixture_set(v, GUEST_IDTR_LIMIT, 0xfff);
	fixture_set(v, GUEST_ACTIVITY_STATE, 0);
	fixture_set(v, GUEST_INTERRUPTIBILITY_INFO, 0);
	fixture_set(v, GUEST_PENDING_DBG_EXCEPTIONS, 0);
	fixture_set(v, GUEST_IA32_PAT, 0x0007040600070406ull);
	fixture_set(v, GUEST_IA32_EFER, 0xd01);
	fixture_set(v, HOST_IA32_PAT, 0x0007040600070406ull);
	fixture_set(v, HOST_IA32_EFER, 0xd01);
	v->dirty = false;
}

/* What the fixture's guest needs to run: identity page tables over the first
 * 16 MiB (2 MiB pages) at its CR3, and `code` at its RIP. */
static inline void entry_fixture_guest(struct phys *pm, const uint8_t *code, size_t n)
{
	phys_write64(pm, FIX_GUEST_CR3, (FIX_GUEST_CR3 + 0x1000) | 7);
	phys_write64(pm, FIX_GUEST_CR3 + 0x1000, (FIX_GUEST_CR3 + 0x2000) | 7);
	for (uint64_t i = 0; i < 8; i++)
		phys_write64(pm, FIX_GUEST_CR3 + 0x2000 + i * 8, (i << 21) | 0x87);
	phys_write(pm, FIX_GUEST_RIP, code, n);
}

/* An entry context over `v` for the xeon model. */
static inline void entry_fixture_ctx(struct entry_ctx *c, struct vmcs_cache *v,
				     const struct vmcs_caps *caps, struct phys *pm,
				     struct entry_diag *d)
{
	memset(c, 0, sizeof(*c));
	c->vmcs = v;
	c->caps = caps;
	c->pm = pm;
	c->maxphyaddr = 46;
	c->launch = true;
	c->lma = true;
	c->diag = d;
}

#endif
