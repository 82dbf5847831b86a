/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ztdp-dump: from a captured link-layer record to the UDP payload inside.
 *
 * Link types: Ethernet (802.1Q / 802.1ad tags, stacked), Linux cooked
 * capture v1 and v2, BSD loopback (NULL and LOOP), and raw IP (DLT_RAW,
 * DLT_IPV4, DLT_IPV6). IPv4 and IPv6 (extension headers skipped). Every
 * length is checked against what was captured; nothing here trusts a length
 * field, and a record cut short by the snap length is reported as such.
 * Pure functions over bytes: no libpcap calls, so the fuzzer can drive them.
 */
#ifndef ZTDP_DUMP_CAPTURE_H
#define ZTDP_DUMP_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_inetaddr.h"

/* What a record held. */
enum ztdp_dump_link {
	ZTDP_DUMP_LINK_UDP = 0,		/* a UDP datagram: the output is filled */
	ZTDP_DUMP_LINK_NOT_IP,		/* ARP, LLDP, 802.3/LLC, ... */
	ZTDP_DUMP_LINK_NOT_UDP,		/* IP, but TCP, ICMP, ... */
	ZTDP_DUMP_LINK_IP_FRAGMENT,	/* an IP fragment (ZeroTier never sends them) */
	ZTDP_DUMP_LINK_TRUNCATED,	/* the capture holds less than the headers claim */
	ZTDP_DUMP_LINK_MALFORMED,	/* a header field with an impossible value */
	ZTDP_DUMP_LINK_UNSUPPORTED,	/* a link type this tool does not read */
	ZTDP_DUMP_LINK_N
};

struct ztdp_dump_udp {
	struct ztdp_inetaddr src, dst;	/* IP and UDP port */
	const uint8_t *data;		/* the UDP payload, inside the record */
	size_t len;
};

/* True for the link types ztdp_dump_link_to_udp reads. */
bool ztdp_dump_link_supported(int dlt);
/* "not IP", "truncated", ... */
const char *ztdp_dump_link_str(enum ztdp_dump_link r);

/* Find the UDP datagram in a record of caplen captured bytes with libpcap
 * link type dlt. */
enum ztdp_dump_link ztdp_dump_link_to_udp(int dlt, const uint8_t *p, size_t caplen,
					  struct ztdp_dump_udp *u);

#endif /* ZTDP_DUMP_CAPTURE_H */
