/* The runtime of runtime.h on the bare machine (docs/machine.md): kvmlike is the
 * kernel of a bare-metal image that `vtsim run --tdx` boots. The boot-info block
 * gives the RAM; the pages from the image's end to the SEAM range (or the
 * reserved area) are the pool; printk writes to COM1; the host IDT reports
 * exceptions and resumes faulting instructions at their fixups (the exception
 * table); the boot GDT and TSS are the host's. With several LPs (`vtsim run --cpus
 * N`) the runtime starts the APs (INIT, start-up IPI, a trampoline to long mode),
 * each with a GDT and TSS of its own, and kvmlike's one flow of control moves
 * between them when it asks for another LP (kvm_set_current_cpu), as a kernel
 * thread migrates. The image's "user space" (the scenario driver) is linked in and
 * called once kvmlike's runtime is up. */
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

#define MAX_LPS 8

/* The runtime's one state object (the hosted runtime's `rt`). */
static struct {
	struct page_pool pool;     /* from the image's end up to the SEAM range */
	uint64_t top;
	unsigned nr_lps;           /* online: the BSP and the APs that reached their idle loop */
	unsigned cur;              /* the LP kvmlike's flow runs on */
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

/* kvmlike runs as one flow of control, on one LP at a time. To move it, the LP it
 * is on saves its callee-saved registers and stack pointer in `handoff`, names the
 * target LP in handoff_to and wakes it with a fixed IPI (vector WAKE_VECTOR), then
 * idles on its own stack; the target, idling too, finds its number in handoff_to,
 * takes the saved stack and returns into kvm_set_current_cpu there. Interrupts stay
 * disabled while the flow runs; idle LPs wait with STI; HLT. APIC IDs are the LP
 * numbers (docs/machine.md). */
#define APIC_BASE       0xfee00000ul
#define APIC_ID         0x20
#define APIC_EOI        0xb0
#define APIC_SPIV       0xf0
#define APIC_ICR_LO     0x300
#define APIC_ICR_HI     0x310
#define WAKE_VECTOR     0x40
#define TRAMPOLINE      0x8000          /* start-up IPI vector 08H */
#define IDLE_STACK      4096

volatile uint64_t handoff_rsp;
volatile int32_t handoff_to = -1;
uint8_t idle_stacks[MAX_LPS][IDLE_STACK] __attribute__((aligned(16)));

uint32_t apic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(APIC_BASE + reg);
}

void apic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(APIC_BASE + reg) = v;
}

/* cpu_handoff(target, me): the flow goes to LP `target`; this LP idles until it
 * comes back. lp_idle(me) (RBX = me, on the LP's idle stack) waits for the flow. */
void cpu_handoff(unsigned target, unsigned me);
__asm__(".text\n"
	".globl cpu_handoff\n"
	"cpu_handoff:\n"
	" push %rbp\n push %rbx\n push %r12\n push %r13\n push %r14\n push %r15\n"
	" mov %rsp, handoff_rsp(%rip)\n"
	" mov %esi, %ebx\n"
	" mov $0xfee00000, %edx\n"
	" mov %edi, %eax\n shl $24, %eax\n"
	" movl %eax, 0x310(%rdx)\n"                     /* ICR high: the target's APIC ID */
	" movl %edi, handoff_to(%rip)\n"
	" movl $0x4040, 0x300(%rdx)\n"                  /* fixed, vector 40H, physical */
	" lea idle_stacks(%rip), %rsp\n"
	" mov %rbx, %rax\n inc %rax\n shl $12, %rax\n add %rax, %rsp\n"
	"lp_idle:\n"
	" cli\n"
	" cmp handoff_to(%rip), %ebx\n"
	" jne 1f\n"
	" movl $-1, handoff_to(%rip)\n"
	" mov handoff_rsp(%rip), %rsp\n"
	" pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbx\n pop %rbp\n"
	" ret\n"
	"1: sti\n hlt\n jmp lp_idle\n"
	/* The wake-up IPI: nothing to do but retire it. */
	".globl wake_isr\n"
	"wake_isr:\n"
	" push %rdx\n mov $0xfee00000, %edx\n movl $0, 0xb0(%rdx)\n pop %rdx\n"
	" iretq\n");
_Static_assert(IDLE_STACK == 1 << 12, "lp_idle computes the idle stack with a shift of 12");
_Static_assert(APIC_ICR_HI == 0x310 && APIC_ICR_LO == 0x300 && WAKE_VECTOR == 0x40 && APIC_EOI == 0xb0,
	       "the APIC registers and vector written in cpu_handoff and wake_isr");
extern char wake_isr[];

unsigned num_online_cpus(void)
{
	return rt.nr_lps;
}

unsigned smp_processor_id(void)
{
	return rt.cur;
}

void kvm_set_current_cpu(unsigned cpu)
{
	if (cpu == rt.cur)
		return;
	if (cpu >= rt.nr_lps) {
		printk("native: kvmlike asked for LP %u; %u online\n", cpu, rt.nr_lps);
		native_exit(2);
	}
	cpu_handoff(cpu, rt.cur);
	rt.cur = cpu;
}

/* The AP's start: real mode at 8000H (copied there), protected mode through the
 * trampoline's own GDT, then long mode with the BSP's page tables (tramp_cr3, set
 * by the BSP) and a far jump to ap_long in the image. */
__asm__(".section .rodata\n"
	".globl tramp_start, tramp_end, tramp_cr3\n"
	"tramp_start:\n"
	".code16\n"
	" cli\n"
	" xor %ax, %ax\n mov %ax, %ds\n"
	" lgdtl tramp_gdtr - tramp_start + 0x8000\n"
	" mov %cr0, %eax\n or $1, %eax\n mov %eax, %cr0\n"
	" ljmpl $0x18, $(tramp_pm - tramp_start + 0x8000)\n"
	".code32\n"
	"tramp_pm:\n"
	" mov $0x10, %ax\n mov %ax, %ds\n mov %ax, %es\n mov %ax, %ss\n"
	" mov $0x620, %eax\n mov %eax, %cr4\n"          /* PAE, OSFXSR, OSXMMEXCPT */
	" mov tramp_cr3 - tramp_start + 0x8000, %eax\n mov %eax, %cr3\n"
	" mov $0xc0000080, %ecx\n mov $0xd01, %eax\n xor %edx, %edx\n wrmsr\n"   /* EFER */
	" mov $0x80010033, %eax\n mov %eax, %cr0\n"
	" ljmpl $0x08, $ap_long\n"
	".code64\n"
	" .balign 8\n"
	"tramp_gdt:\n"
	" .quad 0\n"
	" .quad 0x00af9a000000ffff\n"                   /* 08: 64-bit code */
	" .quad 0x00cf92000000ffff\n"                   /* 10: data */
	" .quad 0x00cf9a000000ffff\n"                   /* 18: 32-bit code */
	"tramp_gdtr:\n"
	" .word 4 * 8 - 1\n"
	" .long tramp_gdt - tramp_start + 0x8000\n"
	" .balign 4\n"
	"tramp_cr3: .long 0\n"
	"tramp_end:\n"
	".text\n"
	"ap_long:\n"
	" mov $0xfee00000, %edx\n mov 0x20(%rdx), %ebx\n shr $24, %ebx\n"
	" lea idle_stacks(%rip), %rsp\n"
	" mov %rbx, %rax\n inc %rax\n shl $12, %rax\n add %rax, %rsp\n"
	" mov %ebx, %edi\n"
	" call ap_main\n"
	" jmp lp_idle\n");
extern char tramp_start[], tramp_end[], tramp_cr3[];

/* Each AP's GDT (the boot GDT's layout: 08 code, 10 data, 18 TSS) and TSS. */
struct gdt { uint64_t null, code, data, tss_lo, tss_hi; };
static struct gdt ap_gdt[MAX_LPS] __attribute__((aligned(16)));
static uint8_t ap_tss[MAX_LPS][104] __attribute__((aligned(16)));
static volatile unsigned aps_online;

static void load_idt(void);

void ap_main(unsigned id);
void ap_main(unsigned id)
{
	struct gdt *g = &ap_gdt[id];
	uint64_t tss = (uint64_t)(uintptr_t)ap_tss[id];
	g->code = 0x00af9a000000ffffull;
	g->data = 0x00cf92000000ffffull;
	g->tss_lo = (sizeof(ap_tss[id]) - 1) | (tss & 0xffffff) << 16 | 0x89ull << 40 | ((tss >> 24) & 0xff) << 56;
	g->tss_hi = tss >> 32;
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } gdtr = { sizeof(*g) - 1,
									    (uint64_t)(uintptr_t)g };
	__asm__ volatile("lgdt %0\n"
			 " mov $0x10, %%ax\n mov %%ax, %%ds\n mov %%ax, %%es\n mov %%ax, %%ss\n"
			 " xor %%eax, %%eax\n mov %%ax, %%fs\n mov %%ax, %%gs\n"
			 " pushq $0x08\n lea 1f(%%rip), %%rax\n push %%rax\n lretq\n1:\n"
			 " mov $0x18, %%ax\n ltr %%ax\n"
			 : : "m"(gdtr) : "rax", "memory");
	load_idt();
	apic_write(APIC_SPIV, 0x1ff);                   /* software-enabled */
	__atomic_add_fetch(&aps_online, 1, __ATOMIC_SEQ_CST);
}

/* The boot page tables map RAM only: the APIC's 2 MiB page (uncached) is added,
 * with a page directory of its own for the fourth GiB if RAM does not reach it. */
static uint64_t apic_pd[512] __attribute__((aligned(4096)));

static void map_apic(void)
{
	uint64_t cr3;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	uint64_t *pml4 = (uint64_t *)(uintptr_t)(cr3 & ~0xfffull);
	uint64_t *pdpt = (uint64_t *)(uintptr_t)(pml4[0] & 0x000ffffffffff000ull);
	unsigned gib = (unsigned)(APIC_BASE >> 30), i = (unsigned)((APIC_BASE >> 21) & 511);
	if (!(pdpt[gib] & 1))
		pdpt[gib] = (uint64_t)(uintptr_t)apic_pd | 0x3;
	uint64_t *pd = (uint64_t *)(uintptr_t)(pdpt[gib] & 0x000ffffffffff000ull);
	pd[i] = APIC_BASE | 0x9b;                       /* P, RW, PWT, PCD, PS */
	__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

/* INIT and a start-up IPI to all but the BSP; each AP counts itself and idles. */
static void start_aps(unsigned want)
{
	uint64_t cr3;
	rt.nr_lps = 1;
	map_apic();                     /* also for apic_read and apic_write */
	if (want <= 1)
		return;
	apic_write(APIC_SPIV, 0x1ff);
	if (want > MAX_LPS)
		want = MAX_LPS;
	memcpy((void *)TRAMPOLINE, tramp_start, (size_t)(tramp_end - tramp_start));
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	*(volatile uint32_t *)(TRAMPOLINE + (tramp_cr3 - tramp_start)) = (uint32_t)cr3;
	apic_write(APIC_ICR_HI, 0);
	apic_write(APIC_ICR_LO, 0x000c4500);            /* INIT, all excluding self */
	apic_write(APIC_ICR_LO, 0x000c4600 | TRAMPOLINE >> 12);   /* start-up */
	for (unsigned spins = 0; aps_online < want - 1 && spins < 10000000; spins++)
		__asm__ volatile("pause");
	rt.nr_lps = 1 + aps_online;
	if (rt.nr_lps != want)
		printk("native: %u of %u LPs came up\n", rt.nr_lps, want);
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

/* The exceptions, and the IPI that wakes an idle LP; shared by every LP. */
static struct { uint64_t lo, hi; } idt[WAKE_VECTOR + 1];

static void set_gate(unsigned v, uint64_t a, uint16_t cs)
{
	idt[v].lo = (a & 0xffff) | (uint64_t)cs << 16 | 0x8eull << 40 | ((a >> 16) & 0xffff) << 48;
	idt[v].hi = a >> 32;
}

static void load_idt(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr = {
		sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

static void install_idt(void)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	for (unsigned v = 0; v < 32; v++)
		set_gate(v, isr_table[v], cs);
	set_gate(WAKE_VECTOR, (uint64_t)(uintptr_t)wake_isr, cs);
	load_idt();
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
	start_aps(bi->nr_lps);
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
