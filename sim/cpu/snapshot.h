/* The simulator's side of machine snapshots (include/vtsim/snapshot.h). */
#ifndef SIM_CPU_SNAPSHOT_H
#define SIM_CPU_SNAPSHOT_H

struct lp;

/* Before the guest engine runs after a VM launch or a restore (lp->co_flush_tb):
 * the engine's translations of code that may have changed since its last run go.
 * With an armed snapshot that sees every write to RAM, only those of the pages
 * written or restored since the last sync (the rest of the code cache stays);
 * otherwise all of them. Either way the guest's entry block is scanned for sites
 * again when its bytes may differ. */
void snapshot_sync_guest_code(struct lp *lp);

#endif
