/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * InetAddress codec and text form (protocol notes section 6.16).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ztdp_inetaddr.h"

int ztdp_inetaddr_decode(struct ztdp_rd *r, struct ztdp_inetaddr *a)
{
	uint8_t type;

	memset(a, 0, sizeof(*a));
	type = ztdp_rd_u8(r);
	switch (type) {
	case ZTDP_INETADDR_TYPE_NIL:
		break;
	case ZTDP_INETADDR_TYPE_ETHERNET:
	case ZTDP_INETADDR_TYPE_BLUETOOTH:
		/* Reserved for forward compatibility: skip. 1.14.1 skips
		 * without looking whether the bytes are there; we insist, so
		 * a truncated one is an error here rather than later. */
		ztdp_rd_skip(r, ZTDP_INETADDR_RESERVED_SKIP);
		break;
	case ZTDP_INETADDR_TYPE_OTHER:
		ztdp_rd_skip(r, ztdp_rd_u16(r));
		break;
	case ZTDP_INETADDR_TYPE_IPV4:
		a->family = 4;
		ztdp_rd_copy(r, a->ip, 4);
		a->port = ztdp_rd_u16(r);
		break;
	case ZTDP_INETADDR_TYPE_IPV6:
		a->family = 6;
		ztdp_rd_copy(r, a->ip, 16);
		a->port = ztdp_rd_u16(r);
		break;
	default:
		r->err = true;
		break;
	}
	if (!ztdp_rd_ok(r)) {
		memset(a, 0, sizeof(*a));
		return -1;
	}
	return 0;
}

size_t ztdp_inetaddr_encoded_len(const struct ztdp_inetaddr *a)
{
	switch (a->family) {
	case 0:
		return 1;
	case 4:
		return 7;
	case 6:
		return 19;
	}
	return 0;
}

int ztdp_inetaddr_encode(struct ztdp_wr *w, const struct ztdp_inetaddr *a)
{
	switch (a->family) {
	case 0:
		ztdp_wr_u8(w, ZTDP_INETADDR_TYPE_NIL);
		break;
	case 4:
		ztdp_wr_u8(w, ZTDP_INETADDR_TYPE_IPV4);
		ztdp_wr_bytes(w, a->ip, 4);
		ztdp_wr_u16(w, a->port);
		break;
	case 6:
		ztdp_wr_u8(w, ZTDP_INETADDR_TYPE_IPV6);
		ztdp_wr_bytes(w, a->ip, 16);
		ztdp_wr_u16(w, a->port);
		break;
	default:
		w->err = true;
		break;
	}
	return ztdp_wr_ok(w) ? 0 : -1;
}

int ztdp_inetaddr_format(const struct ztdp_inetaddr *a, char *buf, size_t n)
{
	char ip[INET6_ADDRSTRLEN];
	int len;

	if (n == 0)
		return -1;
	buf[0] = '\0';
	switch (a->family) {
	case 0:
		return 0;
	case 4:
		if (inet_ntop(AF_INET, a->ip, ip, sizeof(ip)) == NULL)
			return -1;
		break;
	case 6:
		if (inet_ntop(AF_INET6, a->ip, ip, sizeof(ip)) == NULL)
			return -1;
		break;
	default:
		return -1;
	}
	len = snprintf(buf, n, "%s/%u", ip, (unsigned int)a->port);
	if (len < 0 || (size_t)len >= n) {
		buf[0] = '\0';
		return -1;
	}
	return len;
}

int ztdp_inetaddr_parse(struct ztdp_inetaddr *a, const char *s)
{
	char ip[INET6_ADDRSTRLEN + 2];
	const char *slash, *end;
	unsigned long port = 0;
	size_t iplen;
	char *stop;

	memset(a, 0, sizeof(*a));
	slash = strchr(s, '/');
	end = slash != NULL ? slash : s + strlen(s);
	iplen = (size_t)(end - s);
	if (iplen >= 2 && s[0] == '[' && s[iplen - 1] == ']') {
		s++;
		iplen -= 2;
	}
	if (iplen == 0 || iplen >= sizeof(ip))
		return -1;
	memcpy(ip, s, iplen);
	ip[iplen] = '\0';
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		port = strtoul(slash + 1, &stop, 10);
		if (*stop != '\0' || port > 65535)
			return -1;
	}
	if (inet_pton(AF_INET, ip, a->ip) == 1) {
		a->family = 4;
	} else if (inet_pton(AF_INET6, ip, a->ip) == 1) {
		a->family = 6;
	} else {
		memset(a, 0, sizeof(*a));
		return -1;
	}
	a->port = (uint16_t)port;
	return 0;
}

void ztdp_inetaddr_set_v4(struct ztdp_inetaddr *a, uint32_t ip_host_order, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	ztdp_store_be32(a->ip, ip_host_order);
	a->port = port;
}

void ztdp_inetaddr_set_v6(struct ztdp_inetaddr *a, const uint8_t ip[16], uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = 6;
	memcpy(a->ip, ip, 16);
	a->port = port;
}

uint32_t ztdp_inetaddr_v4(const struct ztdp_inetaddr *a)
{
	return a->family == 4 ? ztdp_load_be32(a->ip) : 0;
}

bool ztdp_inetaddr_equal(const struct ztdp_inetaddr *a, const struct ztdp_inetaddr *b)
{
	if (a->family != b->family)
		return false;
	switch (a->family) {
	case 0:
		return true;
	case 4:
		return a->port == b->port && memcmp(a->ip, b->ip, 4) == 0;
	case 6:
		return a->port == b->port && memcmp(a->ip, b->ip, 16) == 0;
	}
	return false;
}
