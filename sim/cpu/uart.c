/* COM1's registers (uart.h), as a 16550 lays them out: with LCR.DLAB set,
 * offsets 0 and 1 are the divisor latch instead of THR/RBR and IER. */
#include "sim/cpu/uart.h"

enum { UART_DATA, UART_IER, UART_IIR_FCR, UART_LCR, UART_MCR, UART_LSR, UART_MSR, UART_SCR };
#define LCR_DLAB       0x80
#define LSR_THRE_TEMT  0x60          /* transmitter empty; no byte received */
#define MSR_CTS_DSR_DCD 0xb0
#define IIR_NONE       0x01          /* no interrupt pending */
#define IIR_FIFOS_ON   0xc0

void uart_reset(struct uart16550 *u)
{
	*u = (struct uart16550){ .dll = 0x0c };   /* 9600 baud, as a BIOS leaves it */
}

uint8_t uart_read(struct uart16550 *u, unsigned reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	switch (reg) {
	case UART_DATA:    return dlab ? u->dll : 0x00;
	case UART_IER:     return dlab ? u->dlm : u->ier;
	case UART_IIR_FCR: return IIR_NONE | ((u->fcr & 1) ? IIR_FIFOS_ON : 0);
	case UART_LCR:     return u->lcr;
	case UART_MCR:     return u->mcr;
	case UART_LSR:     return LSR_THRE_TEMT;
	case UART_MSR:     return MSR_CTS_DSR_DCD;
	default:           return u->scr;
	}
}

bool uart_write(struct uart16550 *u, unsigned reg, uint8_t v)
{
	bool dlab = u->lcr & LCR_DLAB;
	switch (reg) {
	case UART_DATA:
		if (!dlab)
			return true;
		u->dll = v;
		break;
	case UART_IER:
		if (dlab)
			u->dlm = v;
		else
			u->ier = v & 0x0f;
		break;
	case UART_IIR_FCR: u->fcr = v & 0xc9; break;   /* trigger level, DMA mode, enable */
	case UART_LCR:     u->lcr = v; break;
	case UART_MCR:     u->mcr = v & 0x1f; break;
	case UART_SCR:     u->scr = v; break;
	default:           break;                       /* LSR, MSR: read-only here */
	}
	return false;
}
