/* Machine snapshots: a fuzz target boots a platform once, takes a snapshot, and
 * brings the machine back to it before every input instead of booting again.
 *
 * A snapshot holds every logical processor's state (the software CPU's registers,
 * control registers, MSRs and segment caches; the MSRs the simulator owns; virtual
 * time; the VMX state: VMX operation, the current VMCS and its cache, the entry
 * checks' cache, launch state), the devices on the I/O bus (COM1, the PICs, PCI's
 * CONFIG_ADDRESS, fw_cfg's selector), the RAM, the TDX KeyID views and which pages are
 * private, the TDX module's state, and whether the run had stopped.
 *
 * Restoring copies back only what changed: RAM pages the simulator itself wrote
 * since the snapshot (VMCS regions, MSR-store areas, the module's PAMT, TDCS and
 * S-EPT, private pages) are logged as it writes them; writes by other hands (code
 * run on a software CPU, a hosted VMM writing RAM through its own pointers) are
 * caught by keeping RAM and the KeyID views write-protected in the host process
 * while the snapshot is armed: the first write to a page (a TD's store to its
 * private page included) faults once and logs it. Page ownership and poison change
 * only with a logged write, so a restore walks the log alone: its cost follows
 * the pages written, not the size of RAM. Without the protection (more than 16
 * machines armed at once), or after a note of unknown extent, a restore after code
 * ran compares every page instead (slower, always right). vtsim_snapshot_note_write still
 * declares a write of new code, for the translations. RAM must not be handed to
 * a system call that writes it (read(2) into RAM fails with EFAULT) while armed,
 * nor a view.
 *
 * Snapshots are taken and restored with every LP outside VMX non-root operation
 * (no guest running: between hosted calls, or before a run). One snapshot is armed
 * per machine at a time: the last one taken; free it before the machine. */
#ifndef VTSIM_SNAPSHOT_H
#define VTSIM_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "vtsim/vtsim.h"

struct vtsim_snapshot;

/* NULL with a message when an LP runs a guest or memory is short. */
struct vtsim_snapshot *vtsim_snapshot_take(struct vtsim_machine *m, char *err, size_t errlen);
/* The machine as it was at `s` (the armed snapshot). 0, or -1 with a message. */
int vtsim_snapshot_restore(struct vtsim_machine *m, struct vtsim_snapshot *s, char *err,
			   size_t errlen);
/* Disarms and frees (NULL: nothing). */
void vtsim_snapshot_free(struct vtsim_machine *m, struct vtsim_snapshot *s);

/* Someone outside the simulator wrote [pa, pa + n) of RAM (n = 0: anywhere). The
 * software CPUs' translations of code are dropped, so that new code written there
 * (a fuzz target's next input) is what runs. */
void vtsim_snapshot_note_write(struct vtsim_machine *m, uint64_t pa, uint64_t n);

/* What the last restore did: pages copied back, and whether it compared every
 * page. */
struct vtsim_snapshot_stats {
	uint64_t restores, pages_restored, full_compares;
};
void vtsim_snapshot_stats(const struct vtsim_snapshot *s, struct vtsim_snapshot_stats *out);

#endif
