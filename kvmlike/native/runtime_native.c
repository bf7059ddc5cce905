/* The runtime of runtime.h on the bare machine (docs/machine.md): kvmlike is the
 * kernel of a bare-metal image that `vtsim run --tdx` boots. The boot-info block
 * gives the RAM; the pages from the image's end to the SEAM range (or the
 * reserved area) are the pool; printk writes to COM1; the host IDT reports
 * exceptions and resumes faulting instructions at their fixups (the exception
 * table); the boot GDT and TSS are the host's. vtsim starts only the boot LP, so
 * kvmlike runs on one LP here. The image's "user space" (the scenario driver) is
 * linked in and called once kvmlike's runtime is up. */
#include "kvmlike/runtime.h"

#include <stdarg.h>
#include <string.h>

#include "kvmlike/native/lib.h"
#include "kvmlike/page_pool.h"
#include "kvmlike/vmx_insn.h"
#include "tests/scenarios/scenarios.h"

#define COM1 0x3f8
#define DEBUG_EXIT 0xf4
#define MSR_IA32_SEAMRR_PHYS_BASE 0x1400

struct boot_info {
	char magic[8];
	uint64_t ram_size, reserved_base;
	uint32_t nr_lps, flags;
	uint64_t nr_tdx_keyids, first_tdx_keyid;
};

/* The runtime's one state object (the hosted runtime's `rt`). */
static struct {
	struct page_pool pool;     /* from the image's end up to the SEAM range */
	uint64_t top;
} rt;

extern char _end[];

static void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

/* Ends the run: status 0 by HLT, anything else through the debug-exit port. */
static __attribute__((noreturn)) void native_exit(unsigned status)
{
	if (status)
		outl(DEBUG_EXIT, status);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void printk(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (int i = 0; i < n && i < (int)sizeof(buf) - 1; i++)
		outb(COM1, (uint8_t)buf[i]);
}

/* ---- pages ------------------------------------------------------------------- */

static uint64_t alloc_pages(unsigned n, uint8_t owner)
{
	uint64_t pa = page_pool_take(&rt.pool, n, owner);
	if (pa)
		memset((void *)(uintptr_t)pa, 0, (size_t)n << PAGE_SHIFT);
	return pa;
}

uint64_t kvm_alloc_pages(unsigned n)
{
	return alloc_pages(n, PAGE_KERNEL);
}

uint64_t kvm_alloc_user_pages(unsigned n)
{
	return alloc_pages(n, PAGE_USER);
}

void kvm_free_pages(uint64_t pa, unsigned n)
{
	page_pool_give(&rt.pool, pa, n);
}

uint64_t kvm_pages_in_use(void)
{
	return page_pool_in_use(&rt.pool);
}

/* kmalloc: whole pages with the page count in front (kvmlike's objects are few). */
void *kzalloc(size_t size)
{
	unsigned n = (unsigned)((size + 16 + PAGE_SIZE - 1) >> PAGE_SHIFT);
	uint64_t pa = alloc_pages(n, PAGE_HEAP);
	if (!pa)
		return NULL;
	*(uint64_t *)(uintptr_t)pa = n;
	return (uint8_t *)(uintptr_t)pa + 16;
}

void kfree(void *p)
{
	if (!p)
		return;
	uint64_t pa = (uint64_t)(uintptr_t)p - 16;
	kvm_free_pages(pa, (unsigned)*(uint64_t *)(uintptr_t)pa);
}

/* The boot page tables map all of RAM one to one. */
void *__va(uint64_t pa)
{
	return (void *)(uintptr_t)pa;
}

uint64_t __pa(const void *va)
{
	return (uint64_t)(uintptr_t)va;
}

uint64_t kvm_memory_top(void)
{
	return rt.top;
}

bool kvm_is_guest_memory(const void *va, uint64_t size)
{
	return page_pool_owned_by(&rt.pool, (uint64_t)(uintptr_t)va, size, PAGE_USER);
}

/* ---- processors ---------------------------------------------------------------- */

unsigned num_online_cpus(void)
{
	return 1;                  /* vtsim runs only the boot LP of an image */
}

unsigned smp_processor_id(void)
{
	return 0;
}

void kvm_set_current_cpu(unsigned cpu)
{
	if (cpu != 0) {
		printk("native: kvmlike asked for LP %u; only the boot LP runs\n", cpu);
		native_exit(2);
	}
}

/* ---- exceptions ---------------------------------------------------------------- */

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rdi, rsi, rbp, rbx, rdx, rcx, rax;
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

struct extable_entry { uint64_t insn, fixup; };
extern const struct extable_entry __start___ex_table[], __stop___ex_table[];

void native_trap(struct trap_frame *f);
void native_trap(struct trap_frame *f)
{
	for (const struct extable_entry *e = __start___ex_table; e < __stop___ex_table; e++)
		if (e->insn == f->rip && (f->vector == 6 || f->vector == 13)) {
			f->rip = e->fixup;
			f->rax = f->vector;
			return;
		}
	printk("native: exception %llu, error code 0x%llx, at RIP=0x%llx\n", (unsigned long long)f->vector,
	       (unsigned long long)f->error, (unsigned long long)f->rip);
	native_exit(3);
}

/* The 32 exception stubs: the CPU pushes an error code for 8, 10-14, 17, 21, 29, 30;
 * the others push 0 in its place. Then the vector, the GPRs, and native_trap. */
#define STUB_N(n) ".align 16\nisr" #n ":\n pushq $0\n pushq $" #n "\n jmp isr_common\n"
#define STUB_E(n) ".align 16\nisr" #n ":\n pushq $" #n "\n jmp isr_common\n"
__asm__(".text\n"
	STUB_N(0) STUB_N(1) STUB_N(2) STUB_N(3) STUB_N(4) STUB_N(5) STUB_N(6) STUB_N(7)
	STUB_E(8) STUB_N(9) STUB_E(10) STUB_E(11) STUB_E(12) STUB_E(13) STUB_E(14) STUB_N(15)
	STUB_N(16) STUB_E(17) STUB_N(18) STUB_N(19) STUB_N(20) STUB_E(21) STUB_N(22) STUB_N(23)
	STUB_N(24) STUB_N(25) STUB_N(26) STUB_N(27) STUB_N(28) STUB_E(29) STUB_E(30) STUB_N(31)
	"isr_common:\n"
	" push %rax\n push %rcx\n push %rdx\n push %rbx\n push %rbp\n push %rsi\n push %rdi\n"
	" push %r8\n push %r9\n push %r10\n push %r11\n push %r12\n push %r13\n push %r14\n push %r15\n"
	" mov %rsp, %rdi\n call native_trap\n"
	" pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %r11\n pop %r10\n pop %r9\n pop %r8\n"
	" pop %rdi\n pop %rsi\n pop %rbp\n pop %rbx\n pop %rdx\n pop %rcx\n pop %rax\n"
	" add $16, %rsp\n iretq\n"
	".section .rodata\n"
	"isr_table:\n"
	" .quad isr0, isr1, isr2, isr3, isr4, isr5, isr6, isr7, isr8, isr9, isr10, isr11\n"
	" .quad isr12, isr13, isr14, isr15, isr16, isr17, isr18, isr19, isr20, isr21, isr22\n"
	" .quad isr23, isr24, isr25, isr26, isr27, isr28, isr29, isr30, isr31\n"
	".text\n");
extern const uint64_t isr_table[32];

static struct { uint64_t lo, hi; } idt[32];

static void install_idt(void)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	for (unsigned v = 0; v < 32; v++) {
		uint64_t a = isr_table[v];
		idt[v].lo = (a & 0xffff) | (uint64_t)cs << 16 | 0x8eull << 40 | ((a >> 16) & 0xffff) << 48;
		idt[v].hi = a >> 32;
	}
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr = {
		sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

/* ---- boot -------------------------------------------------------------------------- */

/* The pool: from the image's end to the SEAM range (IA32_SEAMRR_PHYS_BASE[51:25])
 * with TDX, else to the reserved area; its owner map in its own first pages. */
static int pool_init(const struct boot_info *bi)
{
	uint64_t top = bi->reserved_base, seamrr;
	if ((bi->flags & 1) && !rdmsrl_safe(MSR_IA32_SEAMRR_PHYS_BASE, &seamrr))
		top = seamrr & 0x000ffffffe000000ull;
	uint64_t base = ((uint64_t)(uintptr_t)_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	if (top <= base + 16 * PAGE_SIZE)
		return -1;
	uint64_t pages = (top - base) >> PAGE_SHIFT;
	uint64_t map_pages = (pages + PAGE_SIZE - 1) >> PAGE_SHIFT;
	rt.pool = (struct page_pool){ .base = base + (map_pages << PAGE_SHIFT), .pages = pages - map_pages,
				      .owner = (uint8_t *)(uintptr_t)base };
	memset(rt.pool.owner, PAGE_FREE, rt.pool.pages);
	rt.top = top;
	return 0;
}

void native_main(const struct boot_info *bi);
void native_main(const struct boot_info *bi)
{
	install_idt();
	if (memcmp(bi->magic, "VTSIMBI1", 8) || pool_init(bi)) {
		printk("native: no boot-info block or no memory for the page pool\n");
		native_exit(2);
	}
	native_exit(kvm_scenarios_main() ? 1 : 0);
}

/* The entry (RDI = the boot-info block): our own stack, then native_main. */
static uint8_t boot_stack[256 * 1024] __attribute__((aligned(16), used));
__asm__(".section .text.start, \"ax\"\n"
	".globl _start\n"
	"_start:\n"
	" lea boot_stack+262144(%rip), %rsp\n"
	" call native_main\n"
	"1: cli\n hlt\n jmp 1b\n"
	".text\n");
