/* COM1, a 16550 UART whose transmitter is always empty and which never receives:
 * what an OS or a test kernel programs (the divisor latch, line and modem
 * control, the scratch register) it reads back; bytes written to the transmit
 * holding register go to the console. */
#ifndef VTSIM_UART_H
#define VTSIM_UART_H

#include <stdbool.h>
#include <stdint.h>

struct uart16550 {
	uint8_t ier, lcr, mcr, scr, fcr;
	uint8_t dll, dlm;            /* the divisor latch (LCR.DLAB = 1) */
};

void uart_reset(struct uart16550 *u);
/* A read of register `reg` (0-7). */
uint8_t uart_read(struct uart16550 *u, unsigned reg);
/* A write of register `reg`: true when `v` is a byte to transmit. */
bool uart_write(struct uart16550 *u, unsigned reg, uint8_t v);

#endif
