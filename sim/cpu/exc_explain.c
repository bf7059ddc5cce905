/* Triple-fault causes, in our words (SDM Vol. 3A, "Interrupt and Exception Handling":
 * "Error Code", "Interrupt 8 - Double Fault Exception (#DF)", "Interrupt 14 - Page-
 * Fault Exception (#PF)"). */
#include "sim/cpu/exc_explain.h"

#include <stdarg.h>
#include <stdio.h>

#include "sim/cpu/exception.h"

static size_t put(char *buf, size_t size, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static size_t put(char *buf, size_t size, size_t n, const char *fmt, ...)
{
	if (n >= size)
		return n;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
	return k > 0 ? n + (size_t)k : n;
}

/* #TS, #NP, #SS, #GP with an error code: bit 0 EXT, bit 1 IDT, bit 2 TI, 15:3 index. */
static bool selector_error(unsigned vector)
{
	return vector == VEC_TS || vector == VEC_NP || vector == VEC_SS || vector == VEC_GP;
}

static size_t explain_selector(const struct exc_step *s, uint32_t idt_limit, unsigned gate_size,
			       char *buf, size_t size, size_t n)
{
	uint32_t e = s->error_code, index = (e >> 3) & 0x1fff;
	const char *ext = (e & 1) ? " while delivering an earlier event" : "";
	if (e & 2) {
		n = put(buf, size, n, "%s error 0x%x names IDT vector %u%s: ", exc_name(s->vector), e, index, ext);
		if ((uint64_t)index * gate_size + gate_size - 1 > idt_limit)
			n = put(buf, size, n, "its gate lies beyond the IDT limit 0x%x (it needs a limit of at "
				"least 0x%x)", idt_limit, index * gate_size + gate_size - 1);
		else if (s->vector == VEC_NP)
			n = put(buf, size, n, "its gate is not present (P = 0)");
		else
			n = put(buf, size, n, "its gate could not be used (not an interrupt, trap or task "
				"gate, a DPL the event may not use, or a bad code-segment selector in it)");
	} else {
		n = put(buf, size, n, "%s error 0x%x names %s selector 0x%x%s: that descriptor could not "
			"be used (%s)", exc_name(s->vector), e, (e & 4) ? "LDT" : "GDT", e & ~7u, ext,
			s->vector == VEC_NP ? "not present" : s->vector == VEC_SS ? "not a usable stack segment"
			: "outside the table or of the wrong type");
	}
	return put(buf, size, n, "; ");
}

static size_t explain_pf(const struct exc_step *s, char *buf, size_t size, size_t n)
{
	uint32_t e = s->error_code;
	return put(buf, size, n, "#PF error 0x%x: a %s %s access found %s; ", e,
		   (e & 4) ? "user-mode" : "supervisor-mode", (e & 16) ? "instruction-fetch" : (e & 2) ? "write" : "read",
		   (e & 1) ? "a protection violation" : "a page not present");
}

void exc_chain_explain(const struct exc_step *chain, int n_steps, uint32_t idt_limit, unsigned gate_size,
		       char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = 0;
	n = put(buf, size, n, "Why: ");
	for (int i = 0; i < n_steps; i++) {
		const struct exc_step *s = &chain[i];
		if (s->has_error && s->error_code && selector_error(s->vector))
			n = explain_selector(s, idt_limit, gate_size, buf, size, n);
		else if (s->has_error && s->vector == VEC_PF)
			n = explain_pf(s, buf, size, n);
	}
	put(buf, size, n, "a fault while the processor delivers a #DF cannot be handled, so it shuts "
	    "down (SDM Vol. 3A, \"Interrupt 8 - Double Fault Exception (#DF)\" and \"Error Code\").");
}
