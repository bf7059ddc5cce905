/* The hosted-VMM interface: a hypervisor compiled for the host (kvmlike, tests,
 * fuzzers) runs in VMX root operation on a simulated logical processor and issues
 * its privileged instructions through these calls. Each call has the architected
 * outcome of the instruction: the same unit executes it as when an image's code
 * does (sim/cpu/vmx.c), and VMLAUNCH/VMRESUME run the guest on the software CPU
 * until its next VM exit before they return. */
#ifndef VTSIM_HOSTED_H
#define VTSIM_HOSTED_H

#include <stdbool.h>
#include <stdint.h>

#include "vtsim/vtsim.h"

/* Puts every logical processor in the 64-bit entry state of docs/machine.md (long
 * mode, CPL 0, identity page tables and GDT in the reserved area) with
 * IA32_FEATURE_CONTROL locked and VMX enabled, as firmware leaves it. For a machine
 * with no image loaded. 0, or -1 with a message. */
int vtsim_hosted_start(struct vtsim_machine *m, char *err, size_t errlen);

enum vtsim_vmx_insn {
	VTSIM_VMXON, VTSIM_VMXOFF, VTSIM_VMCLEAR, VTSIM_VMPTRLD, VTSIM_VMPTRST,
	VTSIM_VMREAD, VTSIM_VMWRITE, VTSIM_VMLAUNCH, VTSIM_VMRESUME, VTSIM_VMCALL,
	VTSIM_INVEPT, VTSIM_INVVPID,
};

/* The operands, as the instruction names them. */
struct vtsim_vmx_operands {
	uint64_t reg;          /* ModRM.reg: VMREAD/VMWRITE field encoding, INVEPT/INVVPID type */
	uint64_t rm;           /* the r/m register: VMWRITE's source */
	bool mem;              /* the r/m operand is memory, whose contents are `data`:
				* VMXON/VMCLEAR/VMPTRLD read the 64-bit pointer there,
				* INVEPT/INVVPID the 16-byte descriptor; VMPTRST and VMREAD
				* to memory store there */
	uint8_t data[16];
};

enum vtsim_vmx_outcome {
	VTSIM_VMSUCCEED,
	VTSIM_VMFAIL_INVALID,
	VTSIM_VMFAIL_VALID,    /* `error`: the VM-instruction error number */
	VTSIM_VMX_FAULT,       /* an exception: `vector`, `error_code` */
	VTSIM_VMEXIT,          /* VMLAUNCH/VMRESUME entered the guest, which ran until a VM
				* exit: the exit information is in the VMCS */
	VTSIM_ENTRY_FAILED,    /* VM entry failed on guest state or MSR loading: exit
				* reason 33/34 with bit 31 in the VMCS */
	VTSIM_VMX_STOPPED,     /* the machine stopped (instruction limit, a vtsim
				* limitation): vtsim_machine_stop_message says why */
};

struct vtsim_vmx_result {
	enum vtsim_vmx_outcome outcome;
	uint32_t error;
	uint8_t vector;
	uint32_t error_code;
	uint64_t value;        /* VMREAD to a register */
};

/* Executes one VMX instruction on logical processor `lp` at CPL 0. */
void vtsim_vmx(struct vtsim_machine *m, unsigned lp, enum vtsim_vmx_insn insn,
	       struct vtsim_vmx_operands *ops, struct vtsim_vmx_result *r);

/* The general-purpose registers of the LP (RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
 * R8-R15). In VMX root operation they are what the guest gets at VM entry and
 * what it left at its last VM exit (RSP aside, which the VMCS holds). */
void vtsim_hosted_get_gprs(struct vtsim_machine *m, unsigned lp, uint64_t gpr[16]);
void vtsim_hosted_set_gprs(struct vtsim_machine *m, unsigned lp, const uint64_t gpr[16]);

/* MOV to and from CR0, CR3, CR4; 0, or -1 where MOV to CR would #GP (reserved bits,
 * the VMX fixed bits in VMX operation). */
int vtsim_hosted_read_cr(struct vtsim_machine *m, unsigned lp, unsigned cr, uint64_t *val);
int vtsim_hosted_write_cr(struct vtsim_machine *m, unsigned lp, unsigned cr, uint64_t val);

/* FXSAVE64/FXRSTOR64 of the LP's x87 and SSE state: the 512-byte image of the SDM
 * (FCW, FSW, abridged FTW, FOP, FIP, FDP, MXCSR, MXCSR_MASK, ST0-ST7, XMM0-XMM15).
 * XSETBV of XCR0: 0, or -1 where it would #GP (bit 0 clear, AVX without SSE, a
 * component the CPU model lacks) or where this Unicorn build's XCR0 is out of
 * reach (no calibrated layout). */
void vtsim_hosted_fxsave(struct vtsim_machine *m, unsigned lp, uint8_t image[512]);
void vtsim_hosted_fxrstor(struct vtsim_machine *m, unsigned lp, const uint8_t image[512]);
int vtsim_hosted_xsetbv(struct vtsim_machine *m, unsigned lp, uint64_t xcr0);

/* RDMSR/WRMSR at CPL 0 (including the VMX capability MSRs); 0, or -1 for #GP. */
int vtsim_hosted_rdmsr(struct vtsim_machine *m, unsigned lp, uint32_t msr, uint64_t *val);
int vtsim_hosted_wrmsr(struct vtsim_machine *m, unsigned lp, uint32_t msr, uint64_t val);

/* A doubleword read or write of the LP's local APIC register at `offset` in its
 * xAPIC page, as a MOV to or from that physical address does (all ones and no
 * effect while IA32_APIC_BASE does not map the page at 0xFEE00000). */
uint32_t vtsim_hosted_apic_read(struct vtsim_machine *m, unsigned lp, uint32_t offset);
void vtsim_hosted_apic_write(struct vtsim_machine *m, unsigned lp, uint32_t offset, uint32_t val);

/* CPUID on the LP: the CPU model's answer. */
void vtsim_hosted_cpuid(struct vtsim_machine *m, unsigned lp, uint32_t leaf, uint32_t sub,
			uint32_t out[4]);

/* The LP's descriptor tables and segment selectors, as SGDT, SIDT, STR and MOV
 * from the segment registers give them, with the TR, FS and GS bases. */
struct vtsim_host_tables {
	uint64_t gdt_base, idt_base, tr_base, fs_base, gs_base;
	uint16_t cs, ss, ds, es, fs, gs, tr;
};
void vtsim_hosted_tables(struct vtsim_machine *m, unsigned lp, struct vtsim_host_tables *t);

/* SEAMCALL (a machine created with cfg.tdx): the registers in the order of Linux's
 * struct tdx_module_args, with RAX = leaf and version in, status out. */
struct vtsim_seamcall_args {
	uint64_t rax, rcx, rdx, r8, r9, r10, r11, r12, r13, r14, r15, rbx, rdi, rsi;
};

enum vtsim_seamcall_outcome {
	VTSIM_SEAMCALL_DONE,            /* the module ran: rax is its status */
	VTSIM_SEAMCALL_VMFAIL_INVALID,  /* no module loaded (CF = 1, RAX unchanged) */
	VTSIM_SEAMCALL_UD,              /* not in VMX operation, or no SEAM on this CPU */
	VTSIM_SEAMCALL_GP,
	VTSIM_SEAMCALL_STOPPED,
};

enum vtsim_seamcall_outcome vtsim_seamcall(struct vtsim_machine *m, unsigned lp,
					   struct vtsim_seamcall_args *a);

/* The number of logical processors. */
unsigned vtsim_machine_nr_cpus(const struct vtsim_machine *m);

/* Why the machine stopped (empty while it runs). */
const char *vtsim_machine_stop_message(const struct vtsim_machine *m);
bool vtsim_machine_stopped(const struct vtsim_machine *m);

#endif
