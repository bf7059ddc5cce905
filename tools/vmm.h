/* A small user-space VMM on kvmlike's API (what kvmtool is to KVM): it gives a
 * flat 64-bit guest memory, long-mode page tables and a GDT, runs its vCPU, and
 * serves its port I/O console and one MMIO device; for a TD it does what QEMU's
 * tdx-guest does with the KVM_TDX_* commands. `vtsim demo` and `vtsim vm` use it. */
#ifndef VTSIM_TOOLS_VMM_H
#define VTSIM_TOOLS_VMM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vtsim/vtsim.h"
#include "kvmlike/kvm_host.h"

struct vmm_report {
	bool ok;                      /* the guest halted */
	char error[256];              /* why not */
	bool bad_image;               /* the guest image was refused (a usage error) */
	struct kvm_vcpu_stat stat;
	unsigned ept_pages_mapped;
	uint32_t device_command;      /* the last value written to the device */
	/* A TD: the MRTD the VMM expects from the pages it added (computed here, as a
	 * verifier would), and what the host sees of the TD's private memory. */
	uint8_t mrtd[48];
	uint64_t private_bytes;       /* bytes of the TD's image in private memory */
	uint64_t image_nonzero;       /* of them, nonzero in the image itself */
	uint64_t host_visible;        /* nonzero bytes the host reads there: in the memslot's
	                               * memory or the guest_memfd's pages (KeyID 0) */
	char shared_msg[64];          /* what the TD left in the shared page at 0x1ff000 */
	unsigned quotes;              /* GetQuote requests the quoting service answered */
	unsigned memory_faults;       /* KVM_EXIT_MEMORY_FAULTs the VMM converted a page for */
	unsigned exits;               /* KVM_RUNs that returned (exits to user space) */
};

/* MSIs user space sends the guest (`vtsim vm --msi`): KVM_SIGNAL_MSI, fixed
 * delivery in physical destination mode to the vCPU's APIC ID 0, each before the
 * KVM_RUN that follows the guest's `after`-th exit to user space (0: before the
 * first). kvmlike posts a TD's (PIR) and keeps a VM's in its IRR. */
#define VMM_MAX_MSIS 16
#define VMM_MAX_EXITS 1000000         /* a guest not halted by then has failed */
struct vmm_msis {
	unsigned n;
	struct vmm_msi {
		uint8_t vector;       /* 16-255 */
		unsigned after;
	} msi[VMM_MAX_MSIS];
};

/* Creates a machine from `cfg`, loads kvmlike on it, and runs `img` as a VM to
 * its HLT. Console bytes and kvmlike's log go to `console`. 0, or -1 with report->error. */
int vmm_run_flat(const struct vtsim_config *cfg, const uint8_t *img, size_t len, FILE *console,
		 struct vmm_report *report);

/* vmm_run_flat or, for type KVM_X86_TDX_VM, vmm_run_flat_td, sending `msis` on
 * the way (NULL: none): those due after report->exits exits were not sent. */
int vmm_run_guest(unsigned long type, const struct vtsim_config *cfg, const uint8_t *img, size_t len,
		  const struct vmm_msis *msis, FILE *console, struct vmm_report *report);

/* The same for a TD (KVM_X86_TDX_VM; the machine needs cfg->tdx): `img` is
 * firmware that ends at 4 GiB, the TD's reset vector in its last 16 bytes, or an
 * ELF whose segments lie in the 1 MiB below 4 GiB (with a page at FFFFF000H
 * jumping to e_entry unless that is the reset vector); it is added as measured
 * private memory, with 6 MiB more at 0 for the TD to accept. */
int vmm_run_flat_td(const struct vtsim_config *cfg, const uint8_t *img, size_t len, FILE *console,
		    struct vmm_report *report);

/* A VM and a TD on one machine, run by turns (an exit each) on the same logical
 * processor to their HLTs; their consoles are printed line by line, "[vm] " and
 * "[td] " before each. 0, or -1 when either failed (its report says why). */
int vmm_run_side_by_side(const struct vtsim_config *cfg, const uint8_t *vm_img, size_t vm_len,
			 const uint8_t *td_img, size_t td_len, FILE *console,
			 struct vmm_report *vm_report, struct vmm_report *td_report);

/* Two VMs (each its own EPT and VPID) on one machine, run by turns on the same
 * logical processor as vmm_run_side_by_side runs a VM and a TD; consoles prefixed
 * "[a] " and "[b] ". */
int vmm_run_two_vms(const struct vtsim_config *cfg, const uint8_t *img_a, size_t len_a,
		    const uint8_t *img_b, size_t len_b, FILE *console, struct vmm_report *ra,
		    struct vmm_report *rb);

#endif
