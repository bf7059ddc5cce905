/* Stackful coroutines: a context switch between stacks that saves only what the
 * calling convention says a function must preserve, for the guest/host engine
 * switch. glibc's swapcontext also saves and restores the signal mask (a system
 * call per switch); nothing here touches signals, so the signal mask, like
 * everything else that is per thread, is shared by all the contexts of a thread.
 *
 * What a switch preserves for each context: on x86-64, rbx, rbp, r12-r15, rsp,
 * the MXCSR and the x87 control word (SysV ABI); on arm64, x19-x29, x30, sp and
 * d8-d15 (AAPCS64). On arm64 the FPCR (rounding mode, flush-to-zero) is not
 * switched: it is per thread, shared by the contexts. */
#ifndef VTSIM_CORO_H
#define VTSIM_CORO_H

#include <stddef.h>

/* A context that is not running: where its saved registers are. A thread's own
 * context (the one that first calls coro_switch) needs no coro_init: the first
 * switch away from it fills it in. */
struct coro {
	void *sp;   /* the suspended context's stack pointer, its registers below it */
};

/* Prepares `co` to run fn(arg) on the stack [stack, stack+size) the first time
 * something switches to it. The stack needs no particular alignment (the start is
 * aligned down inside it) and must be large enough for fn and everything it calls;
 * it stays owned by the caller, who frees it once the coroutine is done.
 *
 * fn must never return, as there is nothing to return to: at its end it switches
 * away for good (and the context it switches to never switches back). A return
 * prints a message and aborts. A new context starts with the MXCSR and x87
 * control word of the caller of coro_init (x86-64). */
void coro_init(struct coro *co, void *stack, size_t size, void (*fn)(void *arg), void *arg);

/* Saves the current context in `from` and resumes `to` (started by coro_init or
 * suspended by an earlier coro_switch). Returns when something switches back to
 * `from`. from and to must differ, and `to` must not be running. */
void coro_switch(struct coro *from, struct coro *to);

#endif
