/* Stackful coroutines (coro.h): coro_switch in assembly for each architecture, and
 * the first frame that coro_init lays on a new stack for it to resume. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cpu/coro.h"

/* The assembly's entry point for a new coroutine: calls fn(arg) from the frame
 * coro_init wrote, and coro_returned if fn comes back. */
void coro_start(void) __attribute__((visibility("hidden")));

/* Reached when a coroutine's entry function returns: the contract forbids it, and
 * there is no caller on the new stack to return to. */
__attribute__((used, noreturn)) static void coro_returned(void (*fn)(void *))
{
	fprintf(stderr, "vtsim: coroutine entry function %p returned\n", (void *)(uintptr_t)fn);
	abort();
}

#if defined(__x86_64__)

/* The frame coro_switch leaves below a suspended context's stack pointer, lowest
 * address first: the pushes in reverse. */
enum {
	F_FPCTL,        /* the MXCSR in the low half, the x87 control word above it */
	F_R15, F_R14, F_R13, F_R12, F_RBX, F_RBP,
	F_RET,          /* where coro_switch returns to */
	F_WORDS,
	/* For coro_start; callee-saved, so fn is still there for coro_returned. */
	F_FN = F_R12,
	F_ARG = F_R13,
};
/* Zero bytes above a new frame, a null return address that ends a debugger's
 * backtrace; a multiple of 16, so that rsp is 16-byte aligned after the ret into
 * coro_start, as the ABI wants it before the call to fn. */
#define TOP_GAP 16

__asm__(
	".pushsection .text\n"
	".globl coro_switch\n"
	".type coro_switch, @function\n"
	".p2align 4\n"
	"coro_switch:\n"
	"	.cfi_startproc\n"
	"	pushq %rbp\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	.cfi_rel_offset %rbp, 0\n"
	"	pushq %rbx\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	.cfi_rel_offset %rbx, 0\n"
	"	pushq %r12\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	.cfi_rel_offset %r12, 0\n"
	"	pushq %r13\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	.cfi_rel_offset %r13, 0\n"
	"	pushq %r14\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	.cfi_rel_offset %r14, 0\n"
	"	pushq %r15\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	.cfi_rel_offset %r15, 0\n"
	"	subq $8, %rsp\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	stmxcsr (%rsp)\n"
	"	fnstcw 4(%rsp)\n"
	/* Both stacks hold the same frame, so the CFI above describes either. */
	"	movq %rsp, (%rdi)\n"
	"	movq (%rsi), %rsp\n"
	"	ldmxcsr (%rsp)\n"
	"	fldcw 4(%rsp)\n"
	"	addq $8, %rsp\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	popq %r15\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	popq %r14\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	popq %r13\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	popq %r12\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	popq %rbx\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	popq %rbp\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size coro_switch, .-coro_switch\n"
	"\n"
	".globl coro_start\n"
	".hidden coro_start\n"
	".type coro_start, @function\n"
	".p2align 4\n"
	"coro_start:\n"
	"	.cfi_startproc\n"
	"	.cfi_undefined %rip\n"   /* the outermost frame: backtraces end here */
	"	movq %r13, %rdi\n"
	"	callq *%r12\n"
	"	movq %r12, %rdi\n"
	"	callq coro_returned\n"
	"	ud2\n"
	"	.cfi_endproc\n"
	".size coro_start, .-coro_start\n"
	".popsection\n"
	".pushsection .note.GNU-stack,\"\",@progbits\n"
	".popsection\n");

/* A new context starts with its creator's floating-point modes. */
static void frame_arch(uint64_t *f)
{
	uint32_t mxcsr;
	uint16_t cw;
	__asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(mxcsr), "=m"(cw));
	f[F_FPCTL] = mxcsr | (uint64_t)cw << 32;
}

#elif defined(__aarch64__)

/* The frame coro_switch leaves at a suspended context's stack pointer, lowest
 * address first. */
enum {
	F_X19, F_X20, F_X21, F_X22, F_X23, F_X24, F_X25, F_X26, F_X27, F_X28,
	F_X29,
	F_RET,          /* x30: where coro_switch returns to */
	F_D8, F_D9, F_D10, F_D11, F_D12, F_D13, F_D14, F_D15,
	F_WORDS,        /* 160 bytes: sp stays 16-byte aligned */
	/* For coro_start; callee-saved, so fn is still there for coro_returned. */
	F_FN = F_X19,
	F_ARG = F_X20,
};
/* sp is the aligned top of the stack at the call to fn; the zero x29 ends the
 * frame-record chain there. */
#define TOP_GAP 0

__asm__(
	".pushsection .text\n"
	".globl coro_switch\n"
	".type coro_switch, %function\n"
	".p2align 4\n"
	"coro_switch:\n"
	"	.cfi_startproc\n"
	"	sub sp, sp, #160\n"
	"	.cfi_adjust_cfa_offset 160\n"
	"	stp x19, x20, [sp, #0]\n"
	"	stp x21, x22, [sp, #16]\n"
	"	stp x23, x24, [sp, #32]\n"
	"	stp x25, x26, [sp, #48]\n"
	"	stp x27, x28, [sp, #64]\n"
	"	stp x29, x30, [sp, #80]\n"
	"	.cfi_rel_offset x19, 0\n"
	"	.cfi_rel_offset x20, 8\n"
	"	.cfi_rel_offset x21, 16\n"
	"	.cfi_rel_offset x22, 24\n"
	"	.cfi_rel_offset x23, 32\n"
	"	.cfi_rel_offset x24, 40\n"
	"	.cfi_rel_offset x25, 48\n"
	"	.cfi_rel_offset x26, 56\n"
	"	.cfi_rel_offset x27, 64\n"
	"	.cfi_rel_offset x28, 72\n"
	"	.cfi_rel_offset x29, 80\n"
	"	.cfi_rel_offset x30, 88\n"
	"	stp d8, d9, [sp, #96]\n"
	"	stp d10, d11, [sp, #112]\n"
	"	stp d12, d13, [sp, #128]\n"
	"	stp d14, d15, [sp, #144]\n"
	/* Both stacks hold the same frame, so the CFI above describes either. */
	"	mov x9, sp\n"
	"	str x9, [x0]\n"
	"	ldr x9, [x1]\n"
	"	mov sp, x9\n"
	"	ldp x19, x20, [sp, #0]\n"
	"	ldp x21, x22, [sp, #16]\n"
	"	ldp x23, x24, [sp, #32]\n"
	"	ldp x25, x26, [sp, #48]\n"
	"	ldp x27, x28, [sp, #64]\n"
	"	ldp x29, x30, [sp, #80]\n"
	"	ldp d8, d9, [sp, #96]\n"
	"	ldp d10, d11, [sp, #112]\n"
	"	ldp d12, d13, [sp, #128]\n"
	"	ldp d14, d15, [sp, #144]\n"
	"	add sp, sp, #160\n"
	"	.cfi_adjust_cfa_offset -160\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size coro_switch, .-coro_switch\n"
	"\n"
	".globl coro_start\n"
	".hidden coro_start\n"
	".type coro_start, %function\n"
	".p2align 4\n"
	"coro_start:\n"
	"	.cfi_startproc\n"
	"	.cfi_undefined x30\n"   /* the outermost frame: backtraces end here */
	"	mov x0, x20\n"
	"	blr x19\n"
	"	mov x0, x19\n"
	"	bl coro_returned\n"
	"	brk #1\n"
	"	.cfi_endproc\n"
	".size coro_start, .-coro_start\n"
	".popsection\n"
	".pushsection .note.GNU-stack,\"\",%progbits\n"
	".popsection\n");

static void frame_arch(uint64_t *f)
{
	(void)f;
}

#else
#error "coro.c: coro_switch is written for x86-64 and arm64 only"
#endif

void coro_init(struct coro *co, void *stack, size_t size, void (*fn)(void *arg), void *arg)
{
	uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
	uint64_t *f = (uint64_t *)(top - TOP_GAP) - F_WORDS;
	/* Zero: a null frame pointer and return address end the backtraces. */
	memset(f, 0, F_WORDS * sizeof(*f) + TOP_GAP);
	f[F_FN] = (uintptr_t)fn;
	f[F_ARG] = (uintptr_t)arg;
	f[F_RET] = (uintptr_t)coro_start;
	frame_arch(f);
	co->sp = f;
}
