/* vmx_insn.h for the instruction-level build: each one is the real instruction,
 * executed by the (simulated) CPU kvmlike runs on in VMX root operation. An
 * instruction that may fault (RDMSR, WRMSR, MOV to CR, SEAMCALL) has an entry in
 * the exception table (runtime_native.h): the #GP or #UD handler resumes at its
 * fixup with the vector in RAX, as Linux's _ASM_EXTABLE does. */
#include "kvmlike/vmx_insn.h"

#include "kvmlike/runtime.h"
#include "kvmlike/vmx.h"
#include "sim/tdx_module_stub/status.h"

/* "1: INSN" may fault: on a fault, continue at "3:" (in .fixup) with the vector
 * in RAX. */
#define EXTABLE(from, to) ".pushsection __ex_table,\"a\"\n .quad " #from ", " #to "\n .popsection\n"

static const char *const insn_names[] = { "vmxon", "vmxoff", "vmclear", "vmptrld", "vmread",
					  "vmwrite", "invept", "invvpid" };
enum { I_VMXON, I_VMXOFF, I_VMCLEAR, I_VMPTRLD, I_VMREAD, I_VMWRITE, I_INVEPT, I_INVVPID };

static uint32_t vm_instruction_error(void)
{
	uint64_t v = 0;
	bool ok;
	__asm__ volatile("vmread %[f], %[v]" : [v] "=r"(v), "=@cca"(ok) : [f] "r"((uint64_t)VM_INSTRUCTION_ERROR) : "cc");
	return ok ? (uint32_t)v : 0;
}

/* The one place a VMX instruction that should not fail is reported (as the
 * hosted build words it). VMfailValid sets ZF, VMfailInvalid CF. */
static void vmx_insn_failed(unsigned insn, uint64_t operand, bool zf)
{
	static unsigned reported;
	if (reported++ >= 16)
		return;
	if (zf)
		printk("kvmlike: %s (0x%llx) failed: VM-instruction error %u\n", insn_names[insn],
		       (unsigned long long)operand, vm_instruction_error());
	else
		printk("kvmlike: %s (0x%llx) failed (VMfailInvalid or machine stopped)\n",
		       insn_names[insn], (unsigned long long)operand);
}

#define VMX_PTR_INSN(name, mnemonic)                                                      \
	static int name(uint64_t pa, unsigned id)                                         \
	{                                                                                 \
		bool ok, zf;                                                              \
		__asm__ volatile(mnemonic " %[pa]" : "=@cca"(ok), "=@ccz"(zf) : [pa] "m"(pa) : "cc", "memory"); \
		if (!ok)                                                                  \
			vmx_insn_failed(id, pa, zf);                                      \
		return ok ? 0 : -EIO;                                                     \
	}
VMX_PTR_INSN(do_vmxon, "vmxon")
VMX_PTR_INSN(do_vmclear, "vmclear")
VMX_PTR_INSN(do_vmptrld, "vmptrld")

int kvm_cpu_vmxon(uint64_t vmxon_pa)
{
	return do_vmxon(vmxon_pa, I_VMXON);
}

void kvm_cpu_vmxoff(void)
{
	bool ok, zf;
	__asm__ volatile("vmxoff" : "=@cca"(ok), "=@ccz"(zf) : : "cc", "memory");
	if (!ok)
		vmx_insn_failed(I_VMXOFF, 0, zf);
}

void vmcs_clear(uint64_t vmcs_pa)
{
	do_vmclear(vmcs_pa, I_VMCLEAR);
}

void vmcs_load(uint64_t vmcs_pa)
{
	do_vmptrld(vmcs_pa, I_VMPTRLD);
}

uint64_t vmcs_read64(unsigned long field)
{
	uint64_t v;
	bool ok, zf;
	__asm__ volatile("vmread %[f], %[v]" : [v] "=r"(v), "=@cca"(ok), "=@ccz"(zf) : [f] "r"((uint64_t)field) : "cc");
	if (!ok) {
		vmx_insn_failed(I_VMREAD, field, zf);
		return 0;
	}
	return v;
}

void vmcs_write64(unsigned long field, uint64_t value)
{
	bool ok, zf;
	__asm__ volatile("vmwrite %[v], %[f]" : "=@cca"(ok), "=@ccz"(zf) : [v] "r"(value), [f] "r"((uint64_t)field) : "cc");
	if (!ok)
		vmx_insn_failed(I_VMWRITE, field, zf);
}

/* VMLAUNCH/VMRESUME: the host's RSP and the exit label go into the VMCS, the
 * guest's GPRs (regs[], VCPU_REGS_* order; RSP is the VMCS's) are loaded, and
 * the VM exit comes back to the label on the same stack, where the guest's GPRs
 * are stored back. 0 after a VM exit, 1 after VMfail. */
_Static_assert(HOST_RSP == 0x6c14 && HOST_RIP == 0x6c16, "host-state field encodings");
int __vmx_vcpu_run(uint64_t regs[16], bool launched);
__asm__(
	".text\n"
	".globl __vmx_vcpu_run\n"
	"__vmx_vcpu_run:\n"
	"	push %rbp\n	push %rbx\n	push %r12\n	push %r13\n	push %r14\n	push %r15\n"
	"	push %rdi\n"                          /* regs, found again at the exit */
	"	mov $0x6c14, %eax\n	mov %rsp, %rcx\n	vmwrite %rcx, %rax\n"
	"	mov $0x6c16, %eax\n	lea .Lvmx_vmexit(%rip), %rcx\n	vmwrite %rcx, %rax\n"
	"	test %esi, %esi\n"                     /* MOVs keep ZF for the choice below */
	"	mov 0x00(%rdi), %rax\n	mov 0x08(%rdi), %rcx\n	mov 0x10(%rdi), %rdx\n"
	"	mov 0x18(%rdi), %rbx\n	mov 0x28(%rdi), %rbp\n	mov 0x30(%rdi), %rsi\n"
	"	mov 0x40(%rdi), %r8\n	mov 0x48(%rdi), %r9\n	mov 0x50(%rdi), %r10\n"
	"	mov 0x58(%rdi), %r11\n	mov 0x60(%rdi), %r12\n	mov 0x68(%rdi), %r13\n"
	"	mov 0x70(%rdi), %r14\n	mov 0x78(%rdi), %r15\n	mov 0x38(%rdi), %rdi\n"
	"	jnz 1f\n"
	"	vmlaunch\n"
	"	jmp 2f\n"
	"1:	vmresume\n"
	"2:	pop %rdi\n"                            /* VMfail: the host's registers come back */
	"	mov $1, %eax\n"
	"	jmp 3f\n"
	".Lvmx_vmexit:\n"
	"	push %rdi\n"                           /* the guest's RDI; regs is above it */
	"	mov 8(%rsp), %rdi\n"
	"	mov %rax, 0x00(%rdi)\n	mov %rcx, 0x08(%rdi)\n	mov %rdx, 0x10(%rdi)\n"
	"	mov %rbx, 0x18(%rdi)\n	mov %rbp, 0x28(%rdi)\n	mov %rsi, 0x30(%rdi)\n"
	"	mov %r8, 0x40(%rdi)\n	mov %r9, 0x48(%rdi)\n	mov %r10, 0x50(%rdi)\n"
	"	mov %r11, 0x58(%rdi)\n	mov %r12, 0x60(%rdi)\n	mov %r13, 0x68(%rdi)\n"
	"	mov %r14, 0x70(%rdi)\n	mov %r15, 0x78(%rdi)\n"
	"	pop %rax\n	mov %rax, 0x38(%rdi)\n"
	"	pop %rdi\n"
	"	xor %eax, %eax\n"
	"3:	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n	pop %rbx\n	pop %rbp\n"
	"	ret\n");

static void invalidate(unsigned id, bool ept, uint64_t type, uint64_t lo)
{
	struct { uint64_t lo, hi; } desc = { lo, 0 };
	bool ok, zf;
	if (ept)
		__asm__ volatile("invept %[d], %[t]" : "=@cca"(ok), "=@ccz"(zf) : [d] "m"(desc), [t] "r"(type) : "cc", "memory");
	else
		__asm__ volatile("invvpid %[d], %[t]" : "=@cca"(ok), "=@ccz"(zf) : [d] "m"(desc), [t] "r"(type) : "cc", "memory");
	if (!ok)
		vmx_insn_failed(id, type, zf);
}

void ept_sync_context(uint64_t eptp)
{
	invalidate(I_INVEPT, true, 1, eptp);
}

void ept_sync_global(void)
{
	invalidate(I_INVEPT, true, 2, 0);
}

void vpid_sync_context(uint16_t vpid)
{
	invalidate(I_INVVPID, false, 1, vpid);
}

void native_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	__asm__ volatile("cpuid" : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3]) : "a"(leaf), "c"(sub));
}

uint64_t native_read_cr(unsigned cr)
{
	uint64_t v = 0;
	switch (cr) {
	case 0: __asm__ volatile("mov %%cr0, %0" : "=r"(v)); break;
	case 2: __asm__ volatile("mov %%cr2, %0" : "=r"(v)); break;
	case 3: __asm__ volatile("mov %%cr3, %0" : "=r"(v)); break;
	case 4: __asm__ volatile("mov %%cr4, %0" : "=r"(v)); break;
	}
	return v;
}

/* MOV to CRn with the #GP caught: 0, or -1. */
#define WRITE_CR(n, val, err)                                                           \
	__asm__ volatile("1: mov %[v], %%cr" #n "\n xor %k[e], %k[e]\n2:\n"              \
			 ".pushsection .fixup,\"ax\"\n3: mov $-1, %k[e]\n jmp 2b\n .popsection\n" \
			 EXTABLE(1b, 3b)                                                 \
			 : [e] "=r"(err) : [v] "r"(val) : "rax", "memory")

int native_write_cr(unsigned cr, uint64_t val)
{
	int err = -1;
	switch (cr) {
	case 0: WRITE_CR(0, val, err); break;
	case 3: WRITE_CR(3, val, err); break;
	case 4: WRITE_CR(4, val, err); break;
	}
	return err;
}

int rdmsrl_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo, hi;
	int err;
	__asm__ volatile("1: rdmsr\n xor %k[e], %k[e]\n2:\n"
			 ".pushsection .fixup,\"ax\"\n3: mov $-1, %k[e]\n xor %%edx, %%edx\n jmp 2b\n .popsection\n"
			 EXTABLE(1b, 3b)
			 : [e] "=r"(err), "=a"(lo), "=d"(hi) : "c"(msr));
	*val = err ? 0 : (uint64_t)hi << 32 | lo;
	return err;
}

int wrmsrl_safe(uint32_t msr, uint64_t val)
{
	int err;
	uint32_t lo = (uint32_t)val;
	__asm__ volatile("1: wrmsr\n xor %k[e], %k[e]\n2:\n"
			 ".pushsection .fixup,\"ax\"\n3: mov $-1, %k[e]\n jmp 2b\n .popsection\n"
			 EXTABLE(1b, 3b)
			 : [e] "=r"(err), "+a"(lo) : "c"(msr), "d"((uint32_t)(val >> 32)) : "memory");
	return err;
}

void native_fxsave(uint8_t image[512])
{
	__asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[512])image));
}

void native_fxrstor(const uint8_t image[512])
{
	__asm__ volatile("fxrstor64 %0" : : "m"(*(const uint8_t(*)[512])image));
}

int native_xsetbv(uint64_t xcr0)
{
	int err;
	uint32_t lo = (uint32_t)xcr0;
	__asm__ volatile("1: xsetbv\n xor %k[e], %k[e]\n2:\n"
			 ".pushsection .fixup,\"ax\"\n3: mov $-1, %k[e]\n jmp 2b\n .popsection\n"
			 EXTABLE(1b, 3b)
			 : [e] "=r"(err), "+a"(lo) : "c"(0), "d"((uint32_t)(xcr0 >> 32)) : "memory");
	return err;
}

/* The TSS descriptor's base (a 16-byte system descriptor in the GDT). */
static uint64_t tss_base(uint64_t gdt, uint16_t tr)
{
	const uint8_t *d = (const uint8_t *)(uintptr_t)(gdt + (tr & ~7u));
	return (uint64_t)d[2] | (uint64_t)d[3] << 8 | (uint64_t)d[4] << 16 | (uint64_t)d[7] << 24 |
	       (uint64_t)d[8] << 32 | (uint64_t)d[9] << 40 | (uint64_t)d[10] << 48 | (uint64_t)d[11] << 56;
}

void native_host_tables(struct host_tables *t)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } gdtr, idtr;
	uint16_t cs, ss, ds, es, fs, gs, tr;
	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	__asm__ volatile("sidt %0" : "=m"(idtr));
	__asm__ volatile("str %0" : "=r"(tr));
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	__asm__ volatile("mov %%ss, %0" : "=r"(ss));
	__asm__ volatile("mov %%ds, %0" : "=r"(ds));
	__asm__ volatile("mov %%es, %0" : "=r"(es));
	__asm__ volatile("mov %%fs, %0" : "=r"(fs));
	__asm__ volatile("mov %%gs, %0" : "=r"(gs));
	uint64_t fs_base = 0, gs_base = 0;
	rdmsrl_safe(MSR_FS_BASE, &fs_base);
	rdmsrl_safe(MSR_GS_BASE, &gs_base);
	*t = (struct host_tables){ gdtr.base, idtr.base, tss_base(gdtr.base, tr), fs_base, gs_base,
				   cs, ss, ds, es, fs, gs, tr };
}

/* SEAMCALL (66 0F 01 CF): RAX = fn, the other registers from args, all of them
 * back into args. CF after it is VMfailInvalid (no module); a #UD or #GP comes
 * to the fixup with its vector in RAX (Linux's TDX_SW_ERROR | vector). */
uint64_t __seamcall_ret(uint64_t fn, struct tdx_module_args *args);
__asm__(
	".text\n"
	".globl __seamcall_ret\n"
	"__seamcall_ret:\n"
	"	push %rbp\n	push %rbx\n	push %r12\n	push %r13\n	push %r14\n	push %r15\n"
	"	push %rsi\n"
	"	mov %rdi, %rax\n"
	"	mov 0(%rsi), %rcx\n	mov 8(%rsi), %rdx\n	mov 16(%rsi), %r8\n	mov 24(%rsi), %r9\n"
	"	mov 32(%rsi), %r10\n	mov 40(%rsi), %r11\n	mov 48(%rsi), %r12\n	mov 56(%rsi), %r13\n"
	"	mov 64(%rsi), %r14\n	mov 72(%rsi), %r15\n	mov 80(%rsi), %rbx\n	mov 88(%rsi), %rdi\n"
	"	mov 96(%rsi), %rsi\n"
	"1:	.byte 0x66, 0x0f, 0x01, 0xcf\n"
	"	xchg %rsi, (%rsp)\n"                    /* XCHG, MOV and POP keep CF */
	"	mov %rcx, 0(%rsi)\n	mov %rdx, 8(%rsi)\n	mov %r8, 16(%rsi)\n	mov %r9, 24(%rsi)\n"
	"	mov %r10, 32(%rsi)\n	mov %r11, 40(%rsi)\n	mov %r12, 48(%rsi)\n	mov %r13, 56(%rsi)\n"
	"	mov %r14, 64(%rsi)\n	mov %r15, 72(%rsi)\n	mov %rbx, 80(%rsi)\n	mov %rdi, 88(%rsi)\n"
	"	popq 96(%rsi)\n"
	"	jnc 2f\n"
	"	movabs $0x8000FF00FFFF0000, %rax\n"     /* TDX_SEAMCALL_VMFAILINVALID */
	"2:	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n	pop %rbx\n	pop %rbp\n"
	"	ret\n"
	".pushsection .fixup,\"ax\"\n"
	"3:	pop %rsi\n"
	"	movabs $0x8000FF0000000000, %rcx\n"     /* TDX_SW_ERROR | vector */
	"	or %rcx, %rax\n"
	"	jmp 2b\n"
	".popsection\n"
	EXTABLE(1b, 3b));
_Static_assert(TDX_SEAMCALL_VMFAILINVALID == 0x8000FF00FFFF0000ull && TDX_SW_ERROR == 0x8000FF0000000000ull,
	       "the status values written in __seamcall_ret");
