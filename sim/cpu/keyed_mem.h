/* TDX private memory, as memory encryption keyed by KeyID makes it (TDX module
 * ABI; Intel TDX whitepaper): each TDX KeyID has its own view of RAM, reached with
 * the KeyID in the physical address bits from keyid_shift up (struct phys). A page
 * a TD owns holds its data only in its KeyID's view; seen with KeyID 0 (the host,
 * a VM, DMA) it reads as zeros and never shows the TD's data. A write through
 * KeyID 0 re-keys the line: the TD's data there is lost and the page is
 * poisoned, which the TD meets as a machine check (its HKID is marked; the TDX
 * module makes the TD fatal).
 *
 * Writes are caught by write-protecting the KeyID-0 page of every private page in
 * the host process; the fault handler (one for the process: a signal cannot carry
 * a machine) marks the poison and lets the write through. */
#ifndef VTSIM_KEYED_MEM_H
#define VTSIM_KEYED_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/cpu/phys.h"

/* Gives `pm` views for KeyIDs [first, first + n) with KeyIDs at bit `shift`. 0, or
 * -1 (out of address space). */
int keyed_mem_init(struct phys *pm, unsigned shift, unsigned first, unsigned n);
void keyed_mem_fini(struct phys *pm);

/* The 4 KiB page at `pa` (no KeyID bits) becomes private to `keyid`: zero in
 * every view, KeyID 0 write-protected. */
void keyed_mem_make_private(struct phys *pm, uint64_t pa, unsigned keyid);
/* It is an ordinary page again: zero, writable, no poison. */
void keyed_mem_make_shared(struct phys *pm, uint64_t pa);
/* The KeyID the page is private to (0: none), and whether it was poisoned. */
unsigned keyed_mem_owner(const struct phys *pm, uint64_t pa);
bool keyed_mem_page_poisoned(const struct phys *pm, uint64_t pa);
/* Has any page private to `keyid` been written through another KeyID? (Cleared
 * when the KeyID is given to a new TD.) */
bool keyed_mem_key_poisoned(const struct phys *pm, unsigned keyid);
void keyed_mem_key_reset(struct phys *pm, unsigned keyid);

/* For snapshots: the page's owner and poison mark as given, with KeyID 0's write
 * protection to match; the pages' contents stay as they are. */
void keyed_mem_set_state(struct phys *pm, uint64_t pa, unsigned keyid, bool poisoned);
void keyed_mem_set_key_poisoned(struct phys *pm, unsigned keyid, bool poisoned);

/* The same fault handler serves a snapshot's write protection of RAM
 * (sim/cpu/snapshot.c): a machine without KeyIDs is watched while a snapshot is
 * armed. ram_fault_watch gives 0, or -1 when too many machines are watched. */
int ram_fault_watch(struct phys *pm);
void ram_fault_unwatch(struct phys *pm);

#endif
