/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The underlay's L2/L3 (see ztdp_underlay.h): classification of received
 * frames, ARP, IPv6 neighbour discovery, echo replies, the neighbour cache
 * and the headers of what we send. Byte buffers only: no DPDK, no clock.
 */
#include "ztdp_underlay.h"
#include "ztdp_csum.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ETHERTYPE_IPV4		0x0800
#define ETHERTYPE_ARP		0x0806
#define ETHERTYPE_VLAN		0x8100
#define ETHERTYPE_QINQ		0x88a8
#define ETHERTYPE_IPV6		0x86dd

#define IPPROTO_ICMP4		1
#define IPPROTO_UDP_		17
#define IPPROTO_ICMP6		58

#define ARP_LEN			28
#define ARP_OP_REQUEST		1
#define ARP_OP_REPLY		2

#define ICMP4_ECHO_REPLY	0
#define ICMP4_ECHO_REQUEST	8
#define ICMP6_ECHO_REQUEST	128
#define ICMP6_ECHO_REPLY	129
#define ND_NS			135
#define ND_NA			136
#define ND_OPT_SLLA		1
#define ND_OPT_TLLA		2
#define ND_NA_FLAG_SOLICITED	0x40
#define ND_NA_FLAG_OVERRIDE	0x20
/* NS and NA: type, code, checksum, 4 bytes, 16-byte target. */
#define ND_MIN_LEN		24
#define ND_HOP_LIMIT		255

#define DEFAULT_TTL		64
/* Shortest Ethernet frame without FCS; some NICs do not pad for us. */
#define ETH_MIN_FRAME		60

static const char *const drop_keys[ZTDP_DROP_MAX] = {
#define ZTDP_DROP_KEY_(id, key, what) [ZTDP_DROP_##id] = key,
	ZTDP_DROP_REASONS(ZTDP_DROP_KEY_)
#undef ZTDP_DROP_KEY_
};

static const char *const drop_texts[ZTDP_DROP_MAX] = {
#define ZTDP_DROP_TEXT_(id, key, what) [ZTDP_DROP_##id] = what,
	ZTDP_DROP_REASONS(ZTDP_DROP_TEXT_)
#undef ZTDP_DROP_TEXT_
};

const char *ztdp_drop_reason_key(enum ztdp_drop_reason r)
{
	return (unsigned int)r < ZTDP_DROP_MAX ? drop_keys[r] : "?";
}

const char *ztdp_drop_reason_text(enum ztdp_drop_reason r)
{
	return (unsigned int)r < ZTDP_DROP_MAX ? drop_texts[r] : "?";
}

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* --- Checksums -----------------------------------------------------------
 * The one's-complement sum does not care about byte order as long as the
 * result is stored in the order it was summed in, so words are loaded
 * natively and the result stored natively. Every piece but the last must
 * have an even length. */

static uint64_t csum_add(uint64_t sum, const void *data, size_t len)
{
	return sum + ztdp_csum_partial(data, len, 0);
}

static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* A sum over data that includes its checksum field folds to all ones. */
static bool csum_verifies(uint64_t sum)
{
	return csum_fold(sum) == 0xffff;
}

static void csum_store(uint8_t *field, uint64_t sum, bool zero_is_ffff)
{
	uint16_t c = (uint16_t)~csum_fold(sum);

	/* UDP sends 0 as all ones: 0 means "no checksum". */
	if (zero_is_ffff && c == 0)
		c = 0xffff;
	memcpy(field, &c, 2);
}

uint16_t ztdp_inet_checksum(const void *data, size_t len)
{
	uint8_t out[2];

	csum_store(out, csum_add(0, data, len), false);
	return rd16(out);
}

static uint64_t pseudo4(const uint8_t *src, const uint8_t *dst, uint8_t proto,
			uint16_t len)
{
	uint8_t ph[12];

	memcpy(ph, src, 4);
	memcpy(ph + 4, dst, 4);
	ph[8] = 0;
	ph[9] = proto;
	wr16(ph + 10, len);
	return csum_add(0, ph, sizeof(ph));
}

static uint64_t pseudo6(const uint8_t *src, const uint8_t *dst, uint8_t next,
			uint32_t len)
{
	uint8_t ph[40];

	memcpy(ph, src, 16);
	memcpy(ph + 16, dst, 16);
	ph[32] = (uint8_t)(len >> 24);
	ph[33] = (uint8_t)(len >> 16);
	ph[34] = (uint8_t)(len >> 8);
	ph[35] = (uint8_t)len;
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = next;
	return csum_add(0, ph, sizeof(ph));
}

/* --- Addresses ---------------------------------------------------------- */

void ztdp_underlay_init(struct ztdp_underlay *ul,
			const uint8_t mac[ZTDP_ETH_ALEN], uint16_t port,
			uint16_t mtu)
{
	memset(ul, 0, sizeof(*ul));
	memcpy(ul->mac, mac, ZTDP_ETH_ALEN);
	ul->port = port;
	ul->mtu = mtu;
	/* Modified EUI-64 (RFC 4291 appendix A): flip the U/L bit, put
	 * ff:fe in the middle. */
	ul->ll6[0] = 0xfe;
	ul->ll6[1] = 0x80;
	ul->ll6[8] = mac[0] ^ 0x02;
	ul->ll6[9] = mac[1];
	ul->ll6[10] = mac[2];
	ul->ll6[11] = 0xff;
	ul->ll6[12] = 0xfe;
	ul->ll6[13] = mac[3];
	ul->ll6[14] = mac[4];
	ul->ll6[15] = mac[5];
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[whole] ^ b[whole]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static bool is_link_local6(const uint8_t *ip)
{
	return ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80;
}

static bool is_unspecified6(const uint8_t *ip)
{
	static const uint8_t zero[16];

	return memcmp(ip, zero, 16) == 0;
}

static bool is_loopback6(const uint8_t *ip)
{
	static const uint8_t one[16] = { [15] = 1 };

	return memcmp(ip, one, 16) == 0;
}

/* ff02::1:ffXX:XXXX, the group an NS for ip goes to. */
static void solicited_node(const uint8_t *ip, uint8_t out[16])
{
	static const uint8_t base[13] = {
		0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff
	};

	memcpy(out, base, 13);
	memcpy(out + 13, ip + 13, 3);
}

static bool is_our_ip6(const struct ztdp_underlay *ul, const uint8_t *ip)
{
	return (ul->has_ip6 && memcmp(ip, ul->ip6, 16) == 0) ||
	       memcmp(ip, ul->ll6, 16) == 0;
}

static bool is_our_solicited_node(const struct ztdp_underlay *ul,
				  const uint8_t *ip)
{
	uint8_t sn[16];

	solicited_node(ul->ll6, sn);
	if (memcmp(ip, sn, 16) == 0)
		return true;
	if (!ul->has_ip6)
		return false;
	solicited_node(ul->ip6, sn);
	return memcmp(ip, sn, 16) == 0;
}

static bool is_martian4(const struct ztdp_underlay *ul, const uint8_t *src)
{
	/* 0/8, loopback, multicast, reserved and broadcast, or ourselves. */
	return src[0] == 0 || src[0] == 127 || src[0] >= 224 ||
	       memcmp(src, ul->ip4, 4) == 0;
}

int ztdp_underlay_parse_cidr(const char *s, uint8_t *family, uint8_t ip[16],
			     uint8_t *prefix, bool need_prefix)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned long len;
	char *end;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(ip, 0, 16);
	if (inet_pton(AF_INET, buf, ip) == 1)
		*family = 4;
	else if (inet_pton(AF_INET6, buf, ip) == 1)
		*family = 6;
	else
		return -1;
	if (slash == NULL) {
		if (need_prefix)
			return -1;
		*prefix = *family == 4 ? 32 : 128;
		return 0;
	}
	if (slash[1] < '0' || slash[1] > '9')
		return -1;
	len = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || len > (*family == 4 ? 32u : 128u))
		return -1;
	*prefix = (uint8_t)len;
	return 0;
}

/* --- Classification ----------------------------------------------------- */

#define DROP(reason) do { *why = ZTDP_DROP_##reason; return ZTDP_UL_DROP; } while (0)

/* Walk ND options; each must be a whole number of 8-byte units and fit.
 * Returns -1 if they do not; *lla is the first option of lla_type. */
static int nd_options(const uint8_t *opt, size_t len, uint8_t lla_type,
		      const uint8_t **lla)
{
	*lla = NULL;
	while (len > 0) {
		size_t olen;

		if (len < 2)
			return -1;
		olen = (size_t)opt[1] * 8;
		if (olen == 0 || olen > len)
			return -1;
		if (opt[0] == lla_type && *lla == NULL)
			*lla = opt + 2;
		opt += olen;
		len -= olen;
	}
	return 0;
}

static enum ztdp_ul_kind classify_arp(const struct ztdp_underlay *ul,
				      const uint8_t *a, size_t rem,
				      struct ztdp_ul_parsed *p,
				      enum ztdp_drop_reason *why)
{
	uint16_t op;

	if (rem < ARP_LEN || rd16(a) != 1 || rd16(a + 2) != ETHERTYPE_IPV4 ||
	    a[4] != ZTDP_ETH_ALEN || a[5] != 4)
		DROP(ARP_MALFORMED);
	op = rd16(a + 6);
	if ((op != ARP_OP_REQUEST && op != ARP_OP_REPLY) || (a[8] & 1))
		DROP(ARP_MALFORMED);
	if (!ul->has_ip4 || memcmp(a + 24, ul->ip4, 4) != 0)
		DROP(ARP_NOT_FOR_US);
	p->l3_len = 0;
	p->frame_len = ZTDP_ETH_HDR_LEN + ARP_LEN;
	return ZTDP_UL_CONTROL;
}

static enum ztdp_ul_kind classify_ip4(const struct ztdp_underlay *ul,
				      const uint8_t *ip, size_t rem,
				      struct ztdp_ul_parsed *p,
				      enum ztdp_drop_reason *why)
{
	size_t ihl, tot, l4len;
	const uint8_t *l4;

	if (rem < 20 || (ip[0] >> 4) != 4)
		DROP(IP4_MALFORMED);
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	tot = rd16(ip + 2);
	if (ihl < 20 || ihl > rem || tot < ihl || tot > rem)
		DROP(IP4_MALFORMED);
	if (!csum_verifies(csum_add(0, ip, ihl)))
		DROP(IP4_BAD_CSUM);
	/* ZeroTier fragments its own packets; IP fragments only come from
	 * paths with a small MTU, and reassembling them is a DoS surface. */
	if (rd16(ip + 6) & 0x3fff)
		DROP(IP4_FRAGMENT);
	if (!ul->has_ip4 || memcmp(ip + 16, ul->ip4, 4) != 0)
		DROP(IP4_NOT_FOR_US);
	if (is_martian4(ul, ip + 12))
		DROP(IP4_MARTIAN);
	p->l3_len = (uint16_t)ihl;
	p->frame_len = (uint16_t)(ZTDP_ETH_HDR_LEN + tot);
	l4 = ip + ihl;
	l4len = tot - ihl;

	switch (ip[9]) {
	case IPPROTO_UDP_: {
		size_t ulen;

		if (l4len < 8)
			DROP(UDP_MALFORMED);
		ulen = rd16(l4 + 4);
		if (ulen < 8 || ulen > l4len || rd16(l4) == 0)
			DROP(UDP_MALFORMED);
		if (rd16(l4 + 2) != ul->port)
			DROP(UDP_PORT_CLOSED);
		if (rd16(l4 + 6) != 0 &&
		    !csum_verifies(pseudo4(ip + 12, ip + 16, IPPROTO_UDP_,
					   (uint16_t)ulen) +
				   csum_add(0, l4, ulen)))
			DROP(UDP_BAD_CSUM);
		p->payload_off = (uint16_t)(ZTDP_ETH_HDR_LEN + ihl + 8);
		p->payload_len = (uint16_t)(ulen - 8);
		ztdp_inetaddr_set_v4(&p->src, (uint32_t)ip[12] << 24 |
				     (uint32_t)ip[13] << 16 |
				     (uint32_t)ip[14] << 8 | ip[15], rd16(l4));
		return ZTDP_UL_ZEROTIER;
	}
	case IPPROTO_ICMP4:
		if (l4len < 8)
			DROP(ICMP_MALFORMED);
		if (!csum_verifies(csum_add(0, l4, l4len)))
			DROP(ICMP_BAD_CSUM);
		if (l4[0] != ICMP4_ECHO_REQUEST || l4[1] != 0)
			DROP(ICMP_UNHANDLED);
		return ZTDP_UL_CONTROL;
	default:
		DROP(IP_UNKNOWN_PROTO);
	}
}

static bool is_ip6_ext_header(uint8_t nh)
{
	switch (nh) {
	case 0: case 43: case 44: case 50: case 51: case 60:
	case 135: case 139: case 140: case 253: case 254:
		return true;
	default:
		return false;
	}
}

/* RFC 4861 7.1.1 and 7.1.2: what a node must check before it believes
 * an NS or NA. */
static enum ztdp_ul_kind classify_nd(const struct ztdp_underlay *ul,
				     const uint8_t *ip, const uint8_t *l4,
				     size_t l4len, enum ztdp_drop_reason *why)
{
	const uint8_t *lla;
	const uint8_t *target = l4 + 8;
	bool dst_multicast = ip[24] == 0xff;

	if (ip[7] != ND_HOP_LIMIT || l4[1] != 0 || l4len < ND_MIN_LEN ||
	    target[0] == 0xff)
		DROP(ND_MALFORMED);
	if (nd_options(l4 + ND_MIN_LEN, l4len - ND_MIN_LEN,
		       l4[0] == ND_NS ? ND_OPT_SLLA : ND_OPT_TLLA, &lla) < 0)
		DROP(ND_MALFORMED);
	if (l4[0] == ND_NS) {
		if (is_unspecified6(ip + 8) && (!dst_multicast || lla != NULL))
			DROP(ND_MALFORMED);
		if (!is_our_ip6(ul, target))
			DROP(ND_NOT_FOR_US);
		return ZTDP_UL_CONTROL;
	}
	/* NA: solicited ones are unicast; multicast ones cannot claim S. */
	if (dst_multicast && (l4[4] & ND_NA_FLAG_SOLICITED))
		DROP(ND_MALFORMED);
	if (dst_multicast)
		DROP(IP6_NOT_FOR_US);
	return ZTDP_UL_CONTROL;
}

static enum ztdp_ul_kind classify_ip6(const struct ztdp_underlay *ul,
				      const uint8_t *ip, size_t rem,
				      struct ztdp_ul_parsed *p,
				      enum ztdp_drop_reason *why)
{
	size_t plen;
	const uint8_t *src = ip + 8, *dst = ip + 24, *l4 = ip + 40;
	bool dst_multicast;

	if (rem < 40 || (ip[0] >> 4) != 6)
		DROP(IP6_MALFORMED);
	plen = rd16(ip + 4);
	if (40 + plen > rem)
		DROP(IP6_MALFORMED);
	dst_multicast = dst[0] == 0xff;
	/* Multicast is only for neighbour solicitations, checked below. */
	if (!(dst_multicast ? is_our_solicited_node(ul, dst) : is_our_ip6(ul, dst)))
		DROP(IP6_NOT_FOR_US);
	if (src[0] == 0xff || is_loopback6(src) || is_our_ip6(ul, src))
		DROP(IP6_MARTIAN);
	p->l3_len = 40;
	p->frame_len = (uint16_t)(ZTDP_ETH_HDR_LEN + 40 + plen);

	if (ip[6] == IPPROTO_UDP_) {
		size_t ulen;

		if (dst_multicast)
			DROP(IP6_NOT_FOR_US);
		if (is_unspecified6(src))
			DROP(IP6_MARTIAN);
		if (plen < 8)
			DROP(UDP_MALFORMED);
		ulen = rd16(l4 + 4);
		if (ulen < 8 || ulen > plen || rd16(l4) == 0)
			DROP(UDP_MALFORMED);
		if (rd16(l4 + 2) != ul->port)
			DROP(UDP_PORT_CLOSED);
		/* Mandatory over IPv6 (RFC 8200 8.1): 0 is not "none". */
		if (!csum_verifies(pseudo6(src, dst, IPPROTO_UDP_, (uint32_t)ulen) +
				   csum_add(0, l4, ulen)))
			DROP(UDP_BAD_CSUM);
		p->payload_off = ZTDP_ETH_HDR_LEN + 40 + 8;
		p->payload_len = (uint16_t)(ulen - 8);
		ztdp_inetaddr_set_v6(&p->src, src, rd16(l4));
		return ZTDP_UL_ZEROTIER;
	}
	if (ip[6] != IPPROTO_ICMP6) {
		if (is_ip6_ext_header(ip[6]))
			DROP(IP6_EXT_HEADER);
		DROP(IP_UNKNOWN_PROTO);
	}
	if (plen < 8)
		DROP(ICMP_MALFORMED);
	if (!csum_verifies(pseudo6(src, dst, IPPROTO_ICMP6, (uint32_t)plen) +
			   csum_add(0, l4, plen)))
		DROP(ICMP_BAD_CSUM);
	switch (l4[0]) {
	case ICMP6_ECHO_REQUEST:
		if (l4[1] != 0)
			DROP(ICMP_UNHANDLED);
		if (dst_multicast)
			DROP(IP6_NOT_FOR_US);
		if (is_unspecified6(src))
			DROP(IP6_MARTIAN);
		return ZTDP_UL_CONTROL;
	case ND_NS:
	case ND_NA:
		return classify_nd(ul, ip, l4, plen, why);
	default:
		DROP(ICMP_UNHANDLED);
	}
}

enum ztdp_ul_kind ztdp_underlay_classify(const struct ztdp_underlay *ul,
					 const uint8_t *f, size_t len,
					 struct ztdp_ul_parsed *p,
					 enum ztdp_drop_reason *why)
{
	uint16_t type;

	memset(p, 0, sizeof(*p));
	if (len < ZTDP_ETH_HDR_LEN)
		DROP(ETH_RUNT);
	/* Group addresses pass; the L3 checks decide whether they are ours. */
	if (!(f[0] & 1) && memcmp(f, ul->mac, ZTDP_ETH_ALEN) != 0)
		DROP(ETH_FOREIGN_DST);
	type = rd16(f + 12);
	switch (type) {
	case ETHERTYPE_ARP:
		return classify_arp(ul, f + ZTDP_ETH_HDR_LEN,
				    len - ZTDP_ETH_HDR_LEN, p, why);
	case ETHERTYPE_IPV4:
		return classify_ip4(ul, f + ZTDP_ETH_HDR_LEN,
				    len - ZTDP_ETH_HDR_LEN, p, why);
	case ETHERTYPE_IPV6:
		return classify_ip6(ul, f + ZTDP_ETH_HDR_LEN,
				    len - ZTDP_ETH_HDR_LEN, p, why);
	case ETHERTYPE_VLAN:
	case ETHERTYPE_QINQ:
		DROP(ETH_VLAN);
	default:
		DROP(ETH_UNKNOWN_TYPE);
	}
}

void ztdp_underlay_udp_source(const uint8_t *f, uint16_t l3_len,
			      struct ztdp_inetaddr *src)
{
	const uint8_t *ip = f + ZTDP_ETH_HDR_LEN;
	const uint8_t *udp = ip + l3_len;

	if (rd16(f + 12) == ETHERTYPE_IPV6)
		ztdp_inetaddr_set_v6(src, ip + 8, rd16(udp));
	else
		ztdp_inetaddr_set_v4(src, (uint32_t)ip[12] << 24 |
				     (uint32_t)ip[13] << 16 |
				     (uint32_t)ip[14] << 8 | ip[15], rd16(udp));
}

/* --- Neighbours --------------------------------------------------------- */

struct ztdp_neigh *ztdp_neigh_find(struct ztdp_neigh_cache *nc,
				   uint8_t family, const uint8_t *ip)
{
	size_t n = family == 4 ? 4 : 16;

	for (unsigned int i = 0; i < ZTDP_NEIGH_MAX; i++) {
		struct ztdp_neigh *e = &nc->e[i];

		if (e->state != ZTDP_NEIGH_FREE && e->family == family &&
		    memcmp(e->ip, ip, n) == 0)
			return e;
	}
	return NULL;
}

/* A free entry, else the least recently used one with nothing parked. */
static struct ztdp_neigh *neigh_alloc(struct ztdp_neigh_cache *nc,
				      uint8_t family, const uint8_t *ip)
{
	struct ztdp_neigh *victim = NULL;

	for (unsigned int i = 0; i < ZTDP_NEIGH_MAX; i++) {
		struct ztdp_neigh *e = &nc->e[i];

		if (e->state == ZTDP_NEIGH_FREE) {
			victim = e;
			break;
		}
		if (e->npending == 0 &&
		    (victim == NULL || e->last_used < victim->last_used))
			victim = e;
	}
	if (victim == NULL)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	victim->state = ZTDP_NEIGH_INCOMPLETE;
	victim->family = family;
	memcpy(victim->ip, ip, family == 4 ? 4 : 16);
	return victim;
}

int ztdp_underlay_next_hop(const struct ztdp_underlay *ul,
			   const struct ztdp_inetaddr *dst,
			   struct ztdp_inetaddr *nh)
{
	memset(nh, 0, sizeof(*nh));
	if (dst->family == 4) {
		if (!ul->has_ip4 || memcmp(dst->ip, ul->ip4, 4) == 0)
			return -1;
		nh->family = 4;
		if (prefix_match(dst->ip, ul->ip4, ul->prefix4) && ul->prefix4 < 32)
			memcpy(nh->ip, dst->ip, 4);
		else if (ul->has_gw4)
			memcpy(nh->ip, ul->gw4, 4);
		else
			return -1;
		return 0;
	}
	if (dst->family == 6) {
		if (is_our_ip6(ul, dst->ip))
			return -1;
		nh->family = 6;
		if (is_link_local6(dst->ip) ||
		    (ul->has_ip6 && ul->prefix6 < 128 &&
		     prefix_match(dst->ip, ul->ip6, ul->prefix6)))
			memcpy(nh->ip, dst->ip, 16);
		else if (ul->has_ip6 && ul->has_gw6)
			memcpy(nh->ip, ul->gw6, 16);
		else
			return -1;
		return 0;
	}
	return -1;
}

unsigned int ztdp_neigh_resolve(struct ztdp_neigh_cache *nc, uint64_t now,
				const struct ztdp_inetaddr *nh,
				struct ztdp_neigh **out)
{
	struct ztdp_neigh *e = ztdp_neigh_find(nc, nh->family, nh->ip);

	if (e == NULL) {
		e = neigh_alloc(nc, nh->family, nh->ip);
		*out = e;
		if (e == NULL)
			return 0;
	}
	*out = e;
	e->last_used = now;
	if (e->state == ZTDP_NEIGH_REACHABLE) {
		unsigned int flags = ZTDP_NEIGH_HAVE_MAC;

		if (now - e->confirmed < ZTDP_NEIGH_EXPIRE_MS) {
			if (now - e->confirmed >= ZTDP_NEIGH_REFRESH_MS &&
			    now - e->last_probe >= ZTDP_NEIGH_PROBE_MS) {
				e->last_probe = now;
				flags |= ZTDP_NEIGH_SEND_PROBE;
			}
			return flags;
		}
		/* Nobody confirmed it for too long: ask afresh. */
		e->state = ZTDP_NEIGH_INCOMPLETE;
		e->probes = 0;
	}
	if (e->probes == 0) {
		e->probes = 1;
		e->last_probe = now;
		return ZTDP_NEIGH_SEND_PROBE;
	}
	return 0;
}

int ztdp_neigh_park(struct ztdp_neigh *e, void *frame)
{
	if (e->npending >= ZTDP_NEIGH_PENDING_MAX)
		return -1;
	e->pending[e->npending++] = frame;
	return 0;
}

unsigned int ztdp_neigh_take(struct ztdp_neigh *e,
			     void *out[ZTDP_NEIGH_PENDING_MAX])
{
	unsigned int n = e->npending;

	memcpy(out, e->pending, n * sizeof(void *));
	e->npending = 0;
	return n;
}

struct ztdp_neigh *ztdp_neigh_learn(struct ztdp_neigh_cache *nc, uint64_t now,
				    uint8_t family, const uint8_t *ip,
				    const uint8_t mac[ZTDP_ETH_ALEN],
				    bool create)
{
	struct ztdp_neigh *e = ztdp_neigh_find(nc, family, ip);

	if (mac[0] & 1)
		return NULL;
	if (e == NULL) {
		if (!create)
			return NULL;
		e = neigh_alloc(nc, family, ip);
		if (e == NULL)
			return NULL;
		e->last_used = now;
	}
	memcpy(e->mac, mac, ZTDP_ETH_ALEN);
	e->state = ZTDP_NEIGH_REACHABLE;
	e->confirmed = now;
	e->probes = 0;
	return e;
}

void ztdp_neigh_tick(struct ztdp_neigh_cache *nc, uint64_t now,
		     void (*probe)(void *ctx, struct ztdp_neigh *e),
		     void (*drop)(void *ctx, void *frame), void *ctx)
{
	for (unsigned int i = 0; i < ZTDP_NEIGH_MAX; i++) {
		struct ztdp_neigh *e = &nc->e[i];

		if (e->state == ZTDP_NEIGH_INCOMPLETE &&
		    now - e->last_probe >= ZTDP_NEIGH_PROBE_MS) {
			if (e->probes >= ZTDP_NEIGH_PROBES) {
				void *parked[ZTDP_NEIGH_PENDING_MAX];
				unsigned int n = ztdp_neigh_take(e, parked);

				for (unsigned int j = 0; j < n; j++)
					drop(ctx, parked[j]);
				memset(e, 0, sizeof(*e));
				continue;
			}
			e->probes++;
			e->last_probe = now;
			probe(ctx, e);
		} else if (e->state == ZTDP_NEIGH_REACHABLE &&
			   now - e->confirmed >= ZTDP_NEIGH_EXPIRE_MS) {
			memset(e, 0, sizeof(*e));
		}
	}
}

/* --- Building frames ---------------------------------------------------- */

static size_t pad_frame(uint8_t *out, size_t len, size_t cap)
{
	if (len < ETH_MIN_FRAME && cap >= ETH_MIN_FRAME) {
		memset(out + len, 0, ETH_MIN_FRAME - len);
		len = ETH_MIN_FRAME;
	}
	return len;
}

static void write_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src,
		      uint16_t type)
{
	if (dst != NULL)
		memcpy(f, dst, ZTDP_ETH_ALEN);
	else
		memset(f, 0, ZTDP_ETH_ALEN);
	memcpy(f + 6, src, ZTDP_ETH_ALEN);
	wr16(f + 12, type);
}

static void write_ip4(uint8_t *ip, size_t tot, uint16_t id, uint8_t ttl,
		      uint8_t proto, const uint8_t *src, const uint8_t *dst)
{
	ip[0] = 0x45;
	ip[1] = 0;
	wr16(ip + 2, (uint16_t)tot);
	wr16(ip + 4, id);
	/* No DF: like ZeroTierOne, let a narrow path fragment rather than
	 * black-hole (ZeroTier's own packets stay under 1500 anyway). */
	wr16(ip + 6, 0);
	ip[8] = ttl;
	ip[9] = proto;
	ip[10] = ip[11] = 0;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	csum_store(ip + 10, csum_add(0, ip, 20), false);
}

static void write_ip6(uint8_t *ip, size_t plen, uint8_t next, uint8_t hlim,
		      const uint8_t *src, const uint8_t *dst)
{
	ip[0] = 0x60;
	ip[1] = ip[2] = ip[3] = 0;
	wr16(ip + 4, (uint16_t)plen);
	ip[6] = next;
	ip[7] = hlim;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
}

size_t ztdp_underlay_udp_headroom(uint8_t family)
{
	return family == 6 ? ZTDP_UDP6_HEADROOM : ZTDP_UDP4_HEADROOM;
}

void ztdp_underlay_set_dst_mac(uint8_t *frame, const uint8_t mac[ZTDP_ETH_ALEN])
{
	memcpy(frame, mac, ZTDP_ETH_ALEN);
}

int ztdp_underlay_write_udp(const struct ztdp_underlay *ul, uint8_t *frame,
			    size_t payload_len, const uint8_t *dst_mac,
			    const struct ztdp_inetaddr *to, unsigned int ttl,
			    uint16_t ip_id, enum ztdp_drop_reason *why)
{
	uint8_t hops = ttl == 0 || ttl > 255 ? DEFAULT_TTL : (uint8_t)ttl;
	size_t ulen = 8 + payload_len;
	uint8_t *ip = frame + ZTDP_ETH_HDR_LEN, *udp;

	if (to->family == 4) {
		if (!ul->has_ip4) {
			*why = ZTDP_DROP_NO_ROUTE;
			return -1;
		}
		if (20 + ulen > ul->mtu) {
			*why = ZTDP_DROP_TOO_BIG;
			return -1;
		}
		write_eth(frame, dst_mac, ul->mac, ETHERTYPE_IPV4);
		write_ip4(ip, 20 + ulen, ip_id, hops, IPPROTO_UDP_, ul->ip4, to->ip);
		udp = ip + 20;
		wr16(udp, ul->port);
		wr16(udp + 2, to->port);
		wr16(udp + 4, (uint16_t)ulen);
		udp[6] = udp[7] = 0;
		csum_store(udp + 6, pseudo4(ul->ip4, to->ip, IPPROTO_UDP_,
					    (uint16_t)ulen) +
			   csum_add(0, udp, ulen), true);
		return (int)(ZTDP_UDP4_HEADROOM + payload_len);
	}
	if (to->family == 6) {
		const uint8_t *src = is_link_local6(to->ip) ? ul->ll6 :
				     ul->has_ip6 ? ul->ip6 : NULL;

		if (src == NULL) {
			*why = ZTDP_DROP_NO_ROUTE;
			return -1;
		}
		if (40 + ulen > ul->mtu) {
			*why = ZTDP_DROP_TOO_BIG;
			return -1;
		}
		write_eth(frame, dst_mac, ul->mac, ETHERTYPE_IPV6);
		write_ip6(ip, ulen, IPPROTO_UDP_, hops, src, to->ip);
		udp = ip + 40;
		wr16(udp, ul->port);
		wr16(udp + 2, to->port);
		wr16(udp + 4, (uint16_t)ulen);
		udp[6] = udp[7] = 0;
		csum_store(udp + 6, pseudo6(src, to->ip, IPPROTO_UDP_,
					    (uint32_t)ulen) +
			   csum_add(0, udp, ulen), true);
		return (int)(ZTDP_UDP6_HEADROOM + payload_len);
	}
	*why = ZTDP_DROP_NO_ROUTE;
	return -1;
}

static size_t write_arp(const struct ztdp_underlay *ul, uint8_t *out,
			const uint8_t *eth_dst, uint16_t op,
			const uint8_t *tha, const uint8_t *tpa)
{
	uint8_t *a = out + ZTDP_ETH_HDR_LEN;

	write_eth(out, eth_dst, ul->mac, ETHERTYPE_ARP);
	wr16(a, 1);
	wr16(a + 2, ETHERTYPE_IPV4);
	a[4] = ZTDP_ETH_ALEN;
	a[5] = 4;
	wr16(a + 6, op);
	memcpy(a + 8, ul->mac, ZTDP_ETH_ALEN);
	memcpy(a + 14, ul->ip4, 4);
	memcpy(a + 18, tha, ZTDP_ETH_ALEN);
	memcpy(a + 24, tpa, 4);
	return ZTDP_ETH_HDR_LEN + ARP_LEN;
}

/* NS or NA with one link-layer address option: 32 bytes of ICMPv6. */
static size_t write_nd(const struct ztdp_underlay *ul, uint8_t *out,
		       const uint8_t *eth_dst, uint8_t type, uint8_t flags,
		       const uint8_t *src, const uint8_t *dst,
		       const uint8_t *target)
{
	uint8_t *ip = out + ZTDP_ETH_HDR_LEN, *icmp = ip + 40;
	const size_t icmp_len = ND_MIN_LEN + 8;

	write_eth(out, eth_dst, ul->mac, ETHERTYPE_IPV6);
	write_ip6(ip, icmp_len, IPPROTO_ICMP6, ND_HOP_LIMIT, src, dst);
	memset(icmp, 0, icmp_len);
	icmp[0] = type;
	icmp[4] = flags;
	memcpy(icmp + 8, target, 16);
	icmp[24] = type == ND_NS ? ND_OPT_SLLA : ND_OPT_TLLA;
	icmp[25] = 1;
	memcpy(icmp + 26, ul->mac, ZTDP_ETH_ALEN);
	csum_store(icmp + 2, pseudo6(src, dst, IPPROTO_ICMP6, icmp_len) +
		   csum_add(0, icmp, icmp_len), false);
	return ZTDP_ETH_HDR_LEN + 40 + icmp_len;
}

int ztdp_underlay_build_probe(const struct ztdp_underlay *ul,
			      const struct ztdp_inetaddr *nh,
			      uint8_t *out, size_t cap)
{
	static const uint8_t bcast[ZTDP_ETH_ALEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff
	};
	static const uint8_t zero_mac[ZTDP_ETH_ALEN];

	if (cap < ETH_MIN_FRAME + 40)
		return -1;
	if (nh->family == 4) {
		if (!ul->has_ip4)
			return -1;
		return (int)pad_frame(out, write_arp(ul, out, bcast, ARP_OP_REQUEST,
						     zero_mac, nh->ip), cap);
	}
	if (nh->family == 6) {
		uint8_t group[16], mac[ZTDP_ETH_ALEN] = { 0x33, 0x33 };
		const uint8_t *src = is_link_local6(nh->ip) || !ul->has_ip6 ?
				     ul->ll6 : ul->ip6;

		solicited_node(nh->ip, group);
		memcpy(mac + 2, group + 12, 4);
		return (int)write_nd(ul, out, mac, ND_NS, 0, src, group, nh->ip);
	}
	return -1;
}

/* --- Answering ---------------------------------------------------------- */

static int respond_arp(const struct ztdp_underlay *ul,
		       struct ztdp_neigh_cache *nc, uint64_t now,
		       const uint8_t *in, uint8_t *out, size_t cap,
		       size_t *out_len, struct ztdp_neigh **learned)
{
	const uint8_t *a = in + ZTDP_ETH_HDR_LEN;
	const uint8_t *sha = a + 8, *spa = a + 14;
	bool sender_known = spa[0] != 0;	/* 0.0.0.0: an RFC 5227 probe */

	if (rd16(a + 6) == ARP_OP_REPLY) {
		if (sender_known)
			*learned = ztdp_neigh_learn(nc, now, 4, spa, sha, false);
		return 0;
	}
	/* A request for us: the sender will talk to us, so remember it. */
	if (sender_known)
		*learned = ztdp_neigh_learn(nc, now, 4, spa, sha, true);
	if (cap < ETH_MIN_FRAME)
		return 0;
	*out_len = pad_frame(out, write_arp(ul, out, sha, ARP_OP_REPLY, sha, spa),
			     cap);
	return ZTDP_UL_REPLY;
}

static int respond_echo4(const struct ztdp_underlay *ul, const uint8_t *in,
			 const struct ztdp_ul_parsed *p, uint8_t *out,
			 size_t cap, size_t *out_len)
{
	const uint8_t *ip = in + ZTDP_ETH_HDR_LEN;
	const uint8_t *icmp = ip + p->l3_len;
	size_t icmp_len = p->frame_len - ZTDP_ETH_HDR_LEN - p->l3_len;
	uint8_t *oip = out + ZTDP_ETH_HDR_LEN, *oicmp = oip + 20;

	if (cap < ZTDP_ETH_HDR_LEN + 20 + icmp_len)
		return 0;
	write_eth(out, in + 6, ul->mac, ETHERTYPE_IPV4);
	/* Options of the request are not echoed. */
	write_ip4(oip, 20 + icmp_len, rd16(ip + 4), DEFAULT_TTL, IPPROTO_ICMP4,
		  ul->ip4, ip + 12);
	memcpy(oicmp, icmp, icmp_len);
	oicmp[0] = ICMP4_ECHO_REPLY;
	oicmp[2] = oicmp[3] = 0;
	csum_store(oicmp + 2, csum_add(0, oicmp, icmp_len), false);
	*out_len = pad_frame(out, ZTDP_ETH_HDR_LEN + 20 + icmp_len, cap);
	return ZTDP_UL_REPLY;
}

static int respond_icmp6(const struct ztdp_underlay *ul,
			 struct ztdp_neigh_cache *nc, uint64_t now,
			 const uint8_t *in, const struct ztdp_ul_parsed *p,
			 uint8_t *out, size_t cap, size_t *out_len,
			 struct ztdp_neigh **learned)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	static const uint8_t all_nodes_mac[ZTDP_ETH_ALEN] = {
		0x33, 0x33, 0, 0, 0, 1
	};
	const uint8_t *ip = in + ZTDP_ETH_HDR_LEN, *l4 = ip + 40;
	const uint8_t *src = ip + 8, *dst = ip + 24;
	size_t l4len = p->frame_len - ZTDP_ETH_HDR_LEN - 40;
	const uint8_t *lla;

	if (l4[0] == ICMP6_ECHO_REQUEST) {
		uint8_t *oip = out + ZTDP_ETH_HDR_LEN, *oicmp = oip + 40;

		if (cap < ZTDP_ETH_HDR_LEN + 40 + l4len)
			return 0;
		write_eth(out, in + 6, ul->mac, ETHERTYPE_IPV6);
		write_ip6(oip, l4len, IPPROTO_ICMP6, DEFAULT_TTL, dst, src);
		memcpy(oicmp, l4, l4len);
		oicmp[0] = ICMP6_ECHO_REPLY;
		oicmp[2] = oicmp[3] = 0;
		csum_store(oicmp + 2, pseudo6(dst, src, IPPROTO_ICMP6,
					      (uint32_t)l4len) +
			   csum_add(0, oicmp, l4len), false);
		*out_len = pad_frame(out, ZTDP_ETH_HDR_LEN + 40 + l4len, cap);
		return ZTDP_UL_REPLY;
	}
	if (l4[0] == ND_NA) {
		/* Classify checked the options; a unicast NA may omit TLLA. */
		(void)nd_options(l4 + ND_MIN_LEN, l4len - ND_MIN_LEN,
				 ND_OPT_TLLA, &lla);
		*learned = ztdp_neigh_learn(nc, now, 6, l4 + 8,
					    lla != NULL ? lla : in + 6, false);
		return 0;
	}
	/* NS for one of our addresses. */
	(void)nd_options(l4 + ND_MIN_LEN, l4len - ND_MIN_LEN, ND_OPT_SLLA, &lla);
	if (cap < ETH_MIN_FRAME + 40)
		return 0;
	if (is_unspecified6(src)) {
		/* Someone's duplicate address detection: defend to all. */
		*out_len = write_nd(ul, out, all_nodes_mac, ND_NA,
				    ND_NA_FLAG_OVERRIDE, l4 + 8, all_nodes,
				    l4 + 8);
		return ZTDP_UL_REPLY;
	}
	if (lla != NULL)
		*learned = ztdp_neigh_learn(nc, now, 6, src, lla, true);
	*out_len = write_nd(ul, out, lla != NULL ? lla : in + 6, ND_NA,
			    ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE,
			    l4 + 8, src, l4 + 8);
	return ZTDP_UL_REPLY;
}

int ztdp_underlay_respond(const struct ztdp_underlay *ul,
			  struct ztdp_neigh_cache *nc, uint64_t now,
			  const uint8_t *in, size_t len,
			  uint8_t *out, size_t cap, size_t *out_len,
			  struct ztdp_neigh **learned,
			  enum ztdp_drop_reason *why)
{
	struct ztdp_ul_parsed p;

	*learned = NULL;
	*out_len = 0;
	/* Checked again: respond must be safe on any input, not only on
	 * what the worker let through. */
	switch (ztdp_underlay_classify(ul, in, len, &p, why)) {
	case ZTDP_UL_DROP:
		return -1;
	case ZTDP_UL_ZEROTIER:
		return 0;
	case ZTDP_UL_CONTROL:
		break;
	}
	switch (rd16(in + 12)) {
	case ETHERTYPE_ARP:
		return respond_arp(ul, nc, now, in, out, cap, out_len, learned);
	case ETHERTYPE_IPV4:
		return respond_echo4(ul, in, &p, out, cap, out_len);
	default:
		return respond_icmp6(ul, nc, now, in, &p, out, cap, out_len,
				     learned);
	}
}
