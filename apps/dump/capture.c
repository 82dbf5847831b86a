/* SPDX-License-Identifier: BSD-3-Clause */
/* ztdp-dump: link layers, IP and UDP, all bounds-checked. */
#include <string.h>

#include <pcap/dlt.h>

#include "capture.h"
#include "ztdp_buf.h"

/* Link, IP and UDP constants (not ZeroTier's, hence not in ztdp_wire.h). */
#define ETH_ADDRS_LEN		12
#define ETH_HDR_LEN		14
#define ETHERTYPE_MIN		0x0600	/* below: an 802.3 length field */
#define ETHERTYPE_IPV4		0x0800
#define ETHERTYPE_IPV6		0x86dd
#define ETHERTYPE_VLAN		0x8100
#define ETHERTYPE_QINQ		0x88a8
#define ETHERTYPE_QINQ_OLD	0x9100
#define VLAN_TAG_LEN		4
#define SLL_HDR_LEN		16
#define SLL_IDX_PROTOCOL	14
#define SLL2_HDR_LEN		20
#define SLL2_IDX_PROTOCOL	0
#define NULL_HDR_LEN		4
/* AF_INET is 2 everywhere; AF_INET6 differs: Linux, NetBSD/OpenBSD,
 * FreeBSD, Darwin. */
#define NULL_AF_INET		2
#define NULL_AF_INET6_LINUX	10
#define NULL_AF_INET6_BSD	24
#define NULL_AF_INET6_FREEBSD	28
#define NULL_AF_INET6_DARWIN	30
#define IPV4_MIN_HDR_LEN	20
#define IPV4_IDX_TOTAL_LEN	2
#define IPV4_IDX_FRAG		6
#define IPV4_FRAG_MASK		0x3fff	/* MF flag and fragment offset */
#define IPV4_IDX_PROTOCOL	9
#define IPV4_IDX_SRC		12
#define IPV4_IDX_DST		16
#define IPV6_HDR_LEN		40
#define IPV6_IDX_PAYLOAD_LEN	4
#define IPV6_IDX_NEXT		6
#define IPV6_IDX_SRC		8
#define IPV6_IDX_DST		24
#define IPV6_EXT_MIN_LEN	8
#define IPPROTO_HOPOPTS_NUM	0
#define IPPROTO_UDP_NUM		17
#define IPPROTO_ROUTING_NUM	43
#define IPPROTO_FRAGMENT_NUM	44
#define IPPROTO_AH_NUM		51
#define IPPROTO_NONE_NUM	59
#define IPPROTO_DSTOPTS_NUM	60
#define IPPROTO_MOBILITY_NUM	135
/* Extension headers followed before giving up (a loop of them is junk). */
#define IPV6_MAX_EXT		16
#define UDP_HDR_LEN		8

bool ztdp_dump_link_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return true;
	default:
		return false;
	}
}

const char *ztdp_dump_link_str(enum ztdp_dump_link r)
{
	static const char *const names[ZTDP_DUMP_LINK_N] = {
		[ZTDP_DUMP_LINK_UDP] = "UDP",
		[ZTDP_DUMP_LINK_NOT_IP] = "not IP",
		[ZTDP_DUMP_LINK_NOT_UDP] = "not UDP",
		[ZTDP_DUMP_LINK_IP_FRAGMENT] = "IP fragment",
		[ZTDP_DUMP_LINK_TRUNCATED] = "truncated",
		[ZTDP_DUMP_LINK_MALFORMED] = "malformed",
		[ZTDP_DUMP_LINK_UNSUPPORTED] = "unsupported link type",
	};

	return (unsigned int)r < ZTDP_DUMP_LINK_N ? names[r] : "?";
}

/* The UDP header at p (avail bytes of IP payload, as the IP header says,
 * clipped to what was captured: *short_cap tells which). */
static enum ztdp_dump_link take_udp(const uint8_t *p, size_t avail, bool short_cap,
				    struct ztdp_dump_udp *u)
{
	size_t ulen;

	if (avail < UDP_HDR_LEN)
		return short_cap ? ZTDP_DUMP_LINK_TRUNCATED : ZTDP_DUMP_LINK_MALFORMED;
	u->src.port = ztdp_load_be16(p);
	u->dst.port = ztdp_load_be16(p + 2);
	ulen = ztdp_load_be16(p + 4);
	if (ulen < UDP_HDR_LEN)
		return ZTDP_DUMP_LINK_MALFORMED;	/* incl. 0: jumbograms */
	if (ulen > avail)
		return short_cap ? ZTDP_DUMP_LINK_TRUNCATED : ZTDP_DUMP_LINK_MALFORMED;
	u->data = p + UDP_HDR_LEN;
	u->len = ulen - UDP_HDR_LEN;
	return ZTDP_DUMP_LINK_UDP;
}

static enum ztdp_dump_link take_ipv4(const uint8_t *p, size_t cap, struct ztdp_dump_udp *u)
{
	size_t ihl, total;

	if (cap < IPV4_MIN_HDR_LEN)
		return ZTDP_DUMP_LINK_TRUNCATED;
	if ((p[0] >> 4) != 4)
		return ZTDP_DUMP_LINK_MALFORMED;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	total = ztdp_load_be16(p + IPV4_IDX_TOTAL_LEN);
	if (ihl < IPV4_MIN_HDR_LEN || total < ihl)
		return ZTDP_DUMP_LINK_MALFORMED;
	if (cap < ihl)
		return ZTDP_DUMP_LINK_TRUNCATED;
	if ((ztdp_load_be16(p + IPV4_IDX_FRAG) & IPV4_FRAG_MASK) != 0)
		return ZTDP_DUMP_LINK_IP_FRAGMENT;
	if (p[IPV4_IDX_PROTOCOL] != IPPROTO_UDP_NUM)
		return ZTDP_DUMP_LINK_NOT_UDP;
	memset(&u->src, 0, sizeof(u->src));
	memset(&u->dst, 0, sizeof(u->dst));
	u->src.family = u->dst.family = 4;
	memcpy(u->src.ip, p + IPV4_IDX_SRC, 4);
	memcpy(u->dst.ip, p + IPV4_IDX_DST, 4);
	/* Ethernet may pad a short packet: total, not cap, ends it. */
	if (total > cap)
		return take_udp(p + ihl, cap - ihl, true, u);
	return take_udp(p + ihl, total - ihl, false, u);
}

static enum ztdp_dump_link take_ipv6(const uint8_t *p, size_t cap, struct ztdp_dump_udp *u)
{
	size_t plen, off = IPV6_HDR_LEN, end;
	bool short_cap = false;
	uint8_t next;

	if (cap < IPV6_HDR_LEN)
		return ZTDP_DUMP_LINK_TRUNCATED;
	if ((p[0] >> 4) != 6)
		return ZTDP_DUMP_LINK_MALFORMED;
	plen = ztdp_load_be16(p + IPV6_IDX_PAYLOAD_LEN);
	if (plen == 0)
		return ZTDP_DUMP_LINK_MALFORMED;	/* jumbogram: not ours */
	end = IPV6_HDR_LEN + plen;
	if (end > cap) {
		end = cap;
		short_cap = true;
	}
	memset(&u->src, 0, sizeof(u->src));
	memset(&u->dst, 0, sizeof(u->dst));
	u->src.family = u->dst.family = 6;
	memcpy(u->src.ip, p + IPV6_IDX_SRC, 16);
	memcpy(u->dst.ip, p + IPV6_IDX_DST, 16);
	next = p[IPV6_IDX_NEXT];
	for (int i = 0; i <= IPV6_MAX_EXT; i++) {
		size_t hl;

		switch (next) {
		case IPPROTO_UDP_NUM:
			return take_udp(p + off, end - off, short_cap, u);
		case IPPROTO_HOPOPTS_NUM:
		case IPPROTO_ROUTING_NUM:
		case IPPROTO_DSTOPTS_NUM:
		case IPPROTO_MOBILITY_NUM:
		case IPPROTO_AH_NUM:
			if (end - off < IPV6_EXT_MIN_LEN)
				return short_cap ? ZTDP_DUMP_LINK_TRUNCATED :
						   ZTDP_DUMP_LINK_MALFORMED;
			hl = next == IPPROTO_AH_NUM ? ((size_t)p[off + 1] + 2) * 4 :
						     ((size_t)p[off + 1] + 1) * 8;
			next = p[off];
			if (hl > end - off)
				return short_cap ? ZTDP_DUMP_LINK_TRUNCATED :
						   ZTDP_DUMP_LINK_MALFORMED;
			off += hl;
			break;
		case IPPROTO_FRAGMENT_NUM:
			return ZTDP_DUMP_LINK_IP_FRAGMENT;
		case IPPROTO_NONE_NUM:
		default:
			return ZTDP_DUMP_LINK_NOT_UDP;
		}
	}
	return ZTDP_DUMP_LINK_MALFORMED;
}

/* By IP version nibble, for link types that do not say. */
static enum ztdp_dump_link take_ip(const uint8_t *p, size_t cap, struct ztdp_dump_udp *u)
{
	if (cap < 1)
		return ZTDP_DUMP_LINK_TRUNCATED;
	switch (p[0] >> 4) {
	case 4:
		return take_ipv4(p, cap, u);
	case 6:
		return take_ipv6(p, cap, u);
	default:
		return ZTDP_DUMP_LINK_NOT_IP;
	}
}

static enum ztdp_dump_link take_ethertype(uint16_t type, const uint8_t *p, size_t cap,
					  struct ztdp_dump_udp *u)
{
	switch (type) {
	case ETHERTYPE_IPV4:
		return take_ipv4(p, cap, u);
	case ETHERTYPE_IPV6:
		return take_ipv6(p, cap, u);
	default:
		return ZTDP_DUMP_LINK_NOT_IP;
	}
}

static bool null_af_is_ip(uint32_t af)
{
	return af == NULL_AF_INET || af == NULL_AF_INET6_LINUX || af == NULL_AF_INET6_BSD ||
	       af == NULL_AF_INET6_FREEBSD || af == NULL_AF_INET6_DARWIN;
}

enum ztdp_dump_link ztdp_dump_link_to_udp(int dlt, const uint8_t *p, size_t caplen,
					  struct ztdp_dump_udp *u)
{
	size_t off;
	uint16_t type;
	uint32_t af_le, af_be;

	memset(u, 0, sizeof(*u));
	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < ETH_HDR_LEN)
			return ZTDP_DUMP_LINK_TRUNCATED;
		off = ETH_ADDRS_LEN;
		type = ztdp_load_be16(p + off);
		while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ ||
		       type == ETHERTYPE_QINQ_OLD) {
			off += VLAN_TAG_LEN;
			if (caplen < off + 2)
				return ZTDP_DUMP_LINK_TRUNCATED;
			type = ztdp_load_be16(p + off);
		}
		off += 2;
		if (type < ETHERTYPE_MIN)
			return ZTDP_DUMP_LINK_NOT_IP;	/* 802.3 length + LLC */
		return take_ethertype(type, p + off, caplen - off, u);
	case DLT_LINUX_SLL:
		if (caplen < SLL_HDR_LEN)
			return ZTDP_DUMP_LINK_TRUNCATED;
		type = ztdp_load_be16(p + SLL_IDX_PROTOCOL);
		return take_ethertype(type, p + SLL_HDR_LEN, caplen - SLL_HDR_LEN, u);
	case DLT_LINUX_SLL2:
		if (caplen < SLL2_HDR_LEN)
			return ZTDP_DUMP_LINK_TRUNCATED;
		type = ztdp_load_be16(p + SLL2_IDX_PROTOCOL);
		return take_ethertype(type, p + SLL2_HDR_LEN, caplen - SLL2_HDR_LEN, u);
	case DLT_NULL:
	case DLT_LOOP:
		/* The family is in the capturing host's order (NULL) or big
		 * endian (LOOP); a file may come from either kind of host. */
		if (caplen < NULL_HDR_LEN)
			return ZTDP_DUMP_LINK_TRUNCATED;
		af_be = ztdp_load_be32(p);
		af_le = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			(uint32_t)p[3] << 24;
		if (!null_af_is_ip(af_be) && !null_af_is_ip(af_le))
			return ZTDP_DUMP_LINK_NOT_IP;
		return take_ip(p + NULL_HDR_LEN, caplen - NULL_HDR_LEN, u);
	case DLT_RAW:
		return take_ip(p, caplen, u);
	case DLT_IPV4:
		return take_ipv4(p, caplen, u);
	case DLT_IPV6:
		return take_ipv6(p, caplen, u);
	default:
		return ZTDP_DUMP_LINK_UNSUPPORTED;
	}
}
