/* The GDB remote serial protocol's transport (rsp.h). */
#include "sim/debug/rsp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int rsp_listen(struct rsp *r, const char *addr, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->listen_fd = r->fd = -1;
	const char *colon = strrchr(addr, ':');
	if (!colon || colon == addr) {
		snprintf(err, errlen, "--gdb: '%s' is not HOST:PORT (e.g. 127.0.0.1:1234)", addr);
		return -1;
	}
	char host[64];
	size_t hl = (size_t)(colon - addr);
	if (hl >= sizeof(host)) {
		snprintf(err, errlen, "--gdb: host name too long in '%s'", addr);
		return -1;
	}
	memcpy(host, addr, hl);
	host[hl] = 0;
	char *end;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port > 65535) {
		snprintf(err, errlen, "--gdb: '%s' is not a port number (0 to 65535)", colon + 1);
		return -1;
	}
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (!strcmp(host, "localhost"))
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
		 (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
		snprintf(err, errlen, "--gdb: '%s' is not a loopback address: the gdb stub gives whoever "
			 "connects full control of the machine, so it listens on 127.0.0.1 only", host);
		return -1;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1)) {
		snprintf(err, errlen, "--gdb: cannot listen on %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	socklen_t sl = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	r->port = ntohs(sa.sin_port);
	r->listen_fd = fd;
	return 0;
}

int rsp_accept(struct rsp *r)
{
	int fd;
	do
		fd = accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	r->fd = fd;
	r->in_len = r->in_pos = 0;
	r->interrupted = false;
	return 0;
}

void rsp_close_connection(struct rsp *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

void rsp_close(struct rsp *r)
{
	if (r->fd >= 0)
		close(r->fd);
	if (r->listen_fd >= 0)
		close(r->listen_fd);
	r->fd = r->listen_fd = -1;
}


/* The next byte received, waiting for it if `wait`; -1 when none (or gone). */
static int next_byte(struct rsp *r, bool wait)
{
	if (r->in_pos == r->in_len) {
		if (r->fd < 0)
			return -1;
		ssize_t n;
		do
			n = recv(r->fd, r->in, sizeof(r->in), wait ? 0 : MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		if (n < 0 && !wait && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -1;
		if (n <= 0) {
			rsp_close_connection(r);
			return -1;
		}
		r->in_len = (size_t)n;
		r->in_pos = 0;
	}
	return r->in[r->in_pos++];
}

static int hex_digit(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int send_all(struct rsp *r, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len && r->fd >= 0) {
		ssize_t n = send(r->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rsp_close_connection(r);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return r->fd >= 0 ? 0 : -1;
}

int rsp_recv(struct rsp *r, char *buf, size_t cap)
{
	for (;;) {
		int c = next_byte(r, true);
		if (c < 0)
			return -1;
		if (c == 0x03) {
			r->interrupted = true;
			continue;
		}
		if (c != '$')
			continue;           /* acknowledgements and noise between packets */
		size_t n = 0;
		uint8_t sum = 0;
		while ((c = next_byte(r, true)) >= 0 && c != '#') {
			sum += (uint8_t)c;
			if (n + 1 < cap)
				buf[n++] = (char)c;
		}
		int h = c < 0 ? -1 : hex_digit(next_byte(r, true));
		int l = h < 0 ? -1 : hex_digit(next_byte(r, true));
		if (l < 0)
			return r->fd < 0 ? -1 : (send_all(r, "-", 1), -1);
		buf[n] = 0;
		if (((h << 4) | l) != sum) {
			if (send_all(r, "-", 1))
				return -1;
			continue;           /* gdb sends it again */
		}
		if (send_all(r, "+", 1))
			return -1;
		return (int)n;
	}
}

int rsp_send(struct rsp *r, const char *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char *pkt = malloc(len + 4);
	if (!pkt)
		return -1;
	uint8_t sum = 0;
	pkt[0] = '$';
	for (size_t i = 0; i < len; i++) {
		pkt[1 + i] = data[i];
		sum += (uint8_t)data[i];
	}
	pkt[len + 1] = '#';
	pkt[len + 2] = hex[sum >> 4];
	pkt[len + 3] = hex[sum & 15];
	int rc = send_all(r, pkt, len + 4);
	free(pkt);
	return rc;
}

int rsp_send_str(struct rsp *r, const char *s)
{
	return rsp_send(r, s, strlen(s));
}

void rsp_wait_ack(struct rsp *r, int timeout_ms)
{
	while (r->fd >= 0) {
		if (r->in_pos == r->in_len) {
			struct pollfd p = { .fd = r->fd, .events = POLLIN };
			if (poll(&p, 1, timeout_ms) <= 0)
				return;
		}
		int c = next_byte(r, false);
		if (c < 0 || c == '+' || c == '-')
			return;
	}
}

bool rsp_poll_interrupt(struct rsp *r)
{
	int c;
	while (!r->interrupted && (c = next_byte(r, false)) >= 0)
		if (c == 0x03)
			r->interrupted = true;
	bool was = r->interrupted;
	r->interrupted = false;
	return was;
}
