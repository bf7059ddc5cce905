/* The GDB remote serial protocol's transport: one TCP connection on the loopback
 * interface, packets `$data#cs` with their acknowledgements, and the interrupt
 * byte (0x03) gdb sends while the target runs. No knowledge of what packets mean. */
#ifndef VTSIM_RSP_H
#define VTSIM_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RSP_MAX_PACKET 16384

struct rsp {
	int listen_fd;
	int fd;                  /* the debugger's connection, -1 when none */
	uint16_t port;           /* the port listened on (the one picked, for port 0) */
	uint8_t in[4096];        /* bytes received and not consumed yet */
	size_t in_len, in_pos;
	bool interrupted;        /* 0x03 arrived (while running or between packets) */
};

/* Parses "HOST:PORT", refuses anything but a loopback address (the stub gives
 * whoever connects full control of the machine), and listens. 0, or -1 with a
 * one-line reason in err. */
int rsp_listen(struct rsp *r, const char *addr, char *err, size_t errlen);

/* Waits for the debugger to connect. 0, or -1 on failure. */
int rsp_accept(struct rsp *r);

/* Ends the debugger's connection (the listening socket stays); rsp_close ends both. */
void rsp_close_connection(struct rsp *r);
void rsp_close(struct rsp *r);

/* Reads the next packet's data (NUL-terminated, at most RSP_MAX_PACKET - 1 bytes)
 * and acknowledges it. Returns its length, or -1 when the connection is gone. */
int rsp_recv(struct rsp *r, char *buf, size_t cap);

/* Sends one packet. -1 when the connection is gone. */
int rsp_send(struct rsp *r, const char *data, size_t len);
int rsp_send_str(struct rsp *r, const char *s);

/* Waits (up to timeout_ms) for the acknowledgement of the last packet sent, so
 * that closing the connection right after it does not lose it. */
void rsp_wait_ack(struct rsp *r, int timeout_ms);

/* Without waiting: did the debugger send the interrupt byte? Consumes what it reads
 * (acknowledgements). False when nothing came, or the connection is gone. */
bool rsp_poll_interrupt(struct rsp *r);

#endif
