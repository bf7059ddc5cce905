/* PAE paging's PDPTE registers (SDM Vol. 3, "PDPTE Registers"; "Loading Guest
 * State" and "Saving Guest State" for VMX). With PAE paging the processor does not
 * read the four PDPTEs at CR3 on each walk: it loads them into registers when
 * MOV to CR3 runs under PAE paging, when MOV to CR0 or CR4 enters PAE paging or
 * changes CR0.CD/NW/PG or CR4.PAE/PGE/PSE/SMEP under it (a present entry with a
 * reserved bit makes the move #GP(0)), and at VM entry. With "enable EPT" VM entry
 * loads them from the guest PDPTE fields, and VM exit saves them there.
 *
 * The registers steer translation where vtsim's walker is the engine's: in a
 * guest with EPT (mmu_ctx.pdpte). Elsewhere the software CPU walks the table at
 * CR3 itself; the loads still make their #GP check. */
#ifndef VTSIM_PDPTE_H
#define VTSIM_PDPTE_H

#include <stdbool.h>
#include <stdint.h>

struct lp;
struct cpu_view;

/* Is this paging mode PAE paging (CR0.PG, CR4.PAE, not IA-32e mode)? */
bool pdpte_pae_paging(uint64_t cr0, uint64_t cr4, uint64_t efer);

/* After a VM exit's host-state loading (SDM Vol. 3C "Checking and Loading Host
 * Page-Directory-Pointer-Table Entries"): with PAE paging outside IA-32e mode the
 * four PDPTEs at cr3 go into out[]; 1 when a present one has a reserved bit set (a
 * VMX abort), else 0. */
int pdpte_host_check(struct lp *lp, uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer,
		     uint64_t out[4]);

/* MOV to CR`cr` of `v` in the running engine, its checks passed: loads the PDPTE
 * registers when the architecture says so. 0 to go on; -1 when the move ended in
 * #GP(0) or a VM exit (an EPT violation or misconfiguration on the table). */
int pdpte_mov_to_cr(struct lp *lp, const struct cpu_view *cv, unsigned cr, uint64_t v);

/* VM entry with "enable EPT" and a PAE-paging guest: the registers from the
 * VMCS's guest PDPTE fields (checked by GUEST_PDPTE). */
void pdpte_vm_entry(struct lp *lp);

/* VM exit from a guest with EPT in PAE paging: the registers to the VMCS. */
void pdpte_vm_exit(struct lp *lp);

#endif
