/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * InetAddress, the IP-and-port encoding used across the protocol (HELLO,
 * OK(HELLO), RENDEZVOUS, PUSH_DIRECT_PATHS, worlds, netconf IPs and routes;
 * protocol notes section 6.16). In netconf the port carries a prefix length.
 */
#ifndef ZTDP_INETADDR_H
#define ZTDP_INETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_buf.h"
#include "ztdp_wire.h"	/* ZTDP_INETADDR_TYPE_*, ZTDP_INETADDR_MAX_LEN */

/* Longest ztdp_inetaddr_format output: "[" 39 "]/" 5 and NUL. */
#define ZTDP_INETADDR_STRLEN		48

struct ztdp_inetaddr {
	uint8_t family;		/* 0 none, 4, 6 */
	uint8_t ip[16];		/* IPv4 in ip[0..3], network order */
	uint16_t port;		/* host order; a prefix length in netconf */
};

/* Read one InetAddress. Returns 0 (reserved types 1, 2, 3 are skipped and
 * give family 0, like the null address) or -1 for an unknown type or
 * truncated input (r's error flag is then set). */
int ztdp_inetaddr_decode(struct ztdp_rd *r, struct ztdp_inetaddr *a);
/* Append a in wire form (family 0 -> the single byte 0). -1 on a bad
 * family or no room. */
int ztdp_inetaddr_encode(struct ztdp_wr *w, const struct ztdp_inetaddr *a);
/* Bytes ztdp_inetaddr_encode writes for a (1, 7 or 19), 0 for a bad family. */
size_t ztdp_inetaddr_encoded_len(const struct ztdp_inetaddr *a);
/* ZeroTier's text form: "10.0.0.1/9993", "fc00::1/9993" (no brackets, as
 * InetAddress::toString), "" for family 0. Returns the length written
 * (excluding NUL) or -1 if n is too small or a is invalid. */
int ztdp_inetaddr_format(const struct ztdp_inetaddr *a, char *buf, size_t n);
/* Parse "ip/port" (or a bare ip, port 0) in the form format writes; also
 * accepts "[v6]/port". Returns 0 or -1. */
int ztdp_inetaddr_parse(struct ztdp_inetaddr *a, const char *s);

/* Constructors and predicates. */
void ztdp_inetaddr_set_v4(struct ztdp_inetaddr *a, uint32_t ip_host_order, uint16_t port);
void ztdp_inetaddr_set_v6(struct ztdp_inetaddr *a, const uint8_t ip[16], uint16_t port);
/* IPv4 address as a host-order u32 (0 if not IPv4). */
uint32_t ztdp_inetaddr_v4(const struct ztdp_inetaddr *a);
/* Same family, address and port (unused bytes ignored). */
bool ztdp_inetaddr_equal(const struct ztdp_inetaddr *a, const struct ztdp_inetaddr *b);

#endif /* ZTDP_INETADDR_H */
