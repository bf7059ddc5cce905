/* How kvmlike issues the privileged instructions of VMX root operation: VMXON,
 * VMCS accesses, VMLAUNCH/VMRESUME, INVEPT/INVVPID, and the CPUID, control-register
 * and MSR accesses around them. This header is the contract; vmx_insn_hosted.c
 * issues them as calls into a simulated logical processor (include/vtsim/hosted.h).
 * A failure that should not happen is reported in one place (vmx_insn_failed). */
#ifndef KVMLIKE_VMX_INSN_H
#define KVMLIKE_VMX_INSN_H

#include <stdbool.h>
#include <stdint.h>

/* 0, or -EIO (VMfail: the VMXON region or CR state was refused). */
int kvm_cpu_vmxon(uint64_t vmxon_pa);
void kvm_cpu_vmxoff(void);

void vmcs_clear(uint64_t vmcs_pa);
void vmcs_load(uint64_t vmcs_pa);

uint64_t vmcs_read64(unsigned long field);
static inline uint32_t vmcs_read32(unsigned long field) { return (uint32_t)vmcs_read64(field); }
static inline uint16_t vmcs_read16(unsigned long field) { return (uint16_t)vmcs_read64(field); }
static inline uint64_t vmcs_readl(unsigned long field) { return vmcs_read64(field); }
void vmcs_write64(unsigned long field, uint64_t value);
static inline void vmcs_write32(unsigned long field, uint32_t v) { vmcs_write64(field, v); }
static inline void vmcs_write16(unsigned long field, uint16_t v) { vmcs_write64(field, v); }
static inline void vmcs_writel(unsigned long field, uint64_t v) { vmcs_write64(field, v); }
static inline void vmcs_set_bits(unsigned long f, uint32_t m) { vmcs_write32(f, vmcs_read32(f) | m); }
static inline void vmcs_clear_bits(unsigned long f, uint32_t m) { vmcs_write32(f, vmcs_read32(f) & ~m); }

/* VMLAUNCH (launched = false) or VMRESUME with the guest's general-purpose
 * registers, which come back as the guest left them. 0 after a VM exit (or an
 * entry that failed on guest state: the exit reason says), 1 for VMfail (the
 * VM-instruction error says why), -1 when the machine underneath stopped. */
int __vmx_vcpu_run(uint64_t regs[16], bool launched);

void ept_sync_context(uint64_t eptp);     /* INVEPT single-context */
void ept_sync_global(void);               /* INVEPT all-context */
void vpid_sync_context(uint16_t vpid);    /* INVVPID single-context */

void native_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4]);
uint64_t native_read_cr(unsigned cr);
int native_write_cr(unsigned cr, uint64_t val);   /* 0, or -1 for #GP */
/* 0, or -1 for #GP. */
int rdmsrl_safe(uint32_t msr, uint64_t *val);
int wrmsrl_safe(uint32_t msr, uint64_t val);
/* The LP's x87/SSE state as FXSAVE64 stores it (`image` 16-byte aligned) and
 * FXRSTOR64 loads it; XSETBV of XCR0 (0, or -1 for #GP). What a vCPU leaves in
 * the LP's register file, which VM entry and exit do not switch. */
void native_fxsave(uint8_t image[512]);
void native_fxrstor(const uint8_t image[512]);
int native_xsetbv(uint64_t xcr0);
/* SEAMCALL: the registers of Linux's struct tdx_module_args. RAX = leaf (and
 * version) in; the status comes back. A SEAMCALL that does not reach the module
 * gives Linux's software codes: TDX_SEAMCALL_VMFAILINVALID, or TDX_SW_ERROR with
 * the vector of the #UD or #GP. */
struct tdx_module_args {
	uint64_t rcx, rdx, r8, r9, r10, r11, r12, r13, r14, r15, rbx, rdi, rsi;
};
uint64_t __seamcall_ret(uint64_t fn, struct tdx_module_args *args);

/* The host's segment selectors and descriptor-table bases, for the VMCS host area. */
struct host_tables {
	uint64_t gdt_base, idt_base, tr_base, fs_base, gs_base;
	uint16_t cs, ss, ds, es, fs, gs, tr;
};
void native_host_tables(struct host_tables *t);

#endif
