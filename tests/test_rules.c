/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rules engine (section 10): codec round trips and malformed input for
 * every rule type; a table of real Ethernet frames x rule sets x expected
 * verdicts covering every match type positively and negatively, NOT and
 * OR, every action, the default, tags; capability fall-through; and the
 * real rule set a 1.14.1 controller pushed in the data-bridge capture,
 * evaluated against the frames that capture saw on the members' TAPs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <pcap/pcap.h>

#include "test_util.h"
#include "ztdp_armor.h"
#include "ztdp_buf.h"
#include "ztdp_crypto.h"
#include "ztdp_hex.h"
#include "ztdp_identity.h"
#include "ztdp_rules.h"
#include "ztdp_wire.h"

/* ---- The network of the data-bridge capture --------------------------- */

#define NODE_A		0x0265755a25ULL	/* "us" in the table */
#define NODE_B		0x9c1c357ba4ULL
#define NODE_C		0x1122334455ULL	/* a third member (TEE/REDIRECT target) */
#define NODE_ROOT	0x7a4d39540cULL
#define NWID		0x7a4d39540c063f74ULL
#define MAC_A		0x763d63790e1cULL
#define MAC_B		0x76a31a392f9dULL
#define MAC_BCAST	0xffffffffffffULL
#define MAC_MCAST_V4	0x01005e0000fbULL	/* 224.0.0.251 */
#define MAC_MCAST_V6_NS	0x3333ff392f9dULL	/* solicited-node of b */

static const uint8_t IP4_A[4] = { 10, 147, 33, 11 };
static const uint8_t IP4_B[4] = { 10, 147, 33, 12 };
static const uint8_t IP6_A[16] = { 0xfd, 0x7a, 0x4d, 0x39, 0x54, 0x0c, 0x06, 0x3f,
				   0x74, 0x99, 0x93, 0x02, 0x65, 0x75, 0x5a, 0x25 };
static const uint8_t IP6_B[16] = { 0xfd, 0x7a, 0x4d, 0x39, 0x54, 0x0c, 0x06, 0x3f,
				   0x74, 0x99, 0x93, 0x9c, 0x1c, 0x35, 0x7b, 0xa4 };

/* Shared data and the checked-in fixture. */
#define BRIDGE_DIR	"interop/data-bridge/"
#define BRIDGE_UNDERLAY	BRIDGE_DIR "pcap/bridge-underlay.pcap"
#define BRIDGE_OVERLAY_A BRIDGE_DIR "pcap/bridge-overlay-a.pcap"
#define BRIDGE_OVERLAY_B BRIDGE_DIR "pcap/bridge-overlay-b.pcap"
#define BRIDGE_RULES_JSON BRIDGE_DIR "api/rules-as-read-back.json"
#define FIXTURE_REL	"tests/data/rules/bridge-R.hex"

/* ---- Ethernet frame builder ---------------------------------------------- */

#define ETH_HDR		14
#define VLAN_TAG	4
#define ET_IPV4		0x0800
#define ET_ARP		0x0806
#define ET_IPV6		0x86dd
#define ET_VLAN		0x8100
#define ET_IPX		0x8137

struct fb {
	uint8_t b[2048];
	size_t n;
};

static void put(struct fb *f, const void *p, size_t n)
{
	assert_true(f->n + n <= sizeof(f->b));
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void put8(struct fb *f, unsigned int v)
{
	uint8_t b = (uint8_t)v;

	put(f, &b, 1);
}

static void put16(struct fb *f, unsigned int v)
{
	put8(f, v >> 8);
	put8(f, v);
}

static void put32(struct fb *f, uint32_t v)
{
	put16(f, v >> 16);
	put16(f, v & 0xffff);
}

static void put_mac(struct fb *f, uint64_t mac)
{
	for (int i = 5; i >= 0; i--)
		put8(f, (unsigned int)(mac >> (8 * i)));
}

static void put_zero(struct fb *f, size_t n)
{
	assert_true(f->n + n <= sizeof(f->b));
	memset(f->b + f->n, 0, n);
	f->n += n;
}

static void eth(struct fb *f, uint64_t dst, uint64_t src, unsigned int et,
		int vlan /* -1: untagged */)
{
	f->n = 0;
	put_mac(f, dst);
	put_mac(f, src);
	if (vlan >= 0) {
		put16(f, ET_VLAN);
		put16(f, (unsigned int)vlan);	/* PCP 0, DEI 0 */
	}
	put16(f, et);
}

/* IPv4 header with `opt_words` 4-byte option words; the caller appends
 * `l4_len` bytes of layer-4 data after it. */
static void ipv4(struct fb *f, unsigned int tos, unsigned int proto,
		 const uint8_t *src, const uint8_t *dst, unsigned int opt_words,
		 size_t l4_len)
{
	put8(f, 0x40 | (5 + opt_words));
	put8(f, tos);
	put16(f, (unsigned int)(20 + 4 * opt_words + l4_len));
	put16(f, 0x1234);	/* id */
	put16(f, 0x4000);	/* DF */
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);		/* checksum: not looked at */
	put(f, src, 4);
	put(f, dst, 4);
	for (unsigned int i = 0; i < opt_words; i++)
		put32(f, 0x01010101);	/* NOPs */
}

static void ipv6(struct fb *f, unsigned int tclass, unsigned int next,
		 const uint8_t *src, const uint8_t *dst, size_t payload_len)
{
	put32(f, 0x60000000u | (uint32_t)tclass << 20 | 0x12345);
	put16(f, (unsigned int)payload_len);
	put8(f, next);
	put8(f, 64);
	put(f, src, 16);
	put(f, dst, 16);
}

static void udp(struct fb *f, unsigned int sport, unsigned int dport,
		size_t data_len)
{
	put16(f, sport);
	put16(f, dport);
	put16(f, (unsigned int)(8 + data_len));
	put16(f, 0);
	for (size_t i = 0; i < data_len; i++)
		put8(f, (unsigned int)('a' + i % 26));
}

/* TCP header; flags are the 12 bits ZeroTier looks at (NS in 0x100). */
static void tcp(struct fb *f, unsigned int sport, unsigned int dport,
		unsigned int flags)
{
	put16(f, sport);
	put16(f, dport);
	put32(f, 1000);		/* seq */
	put32(f, 0);		/* ack */
	put8(f, 0x50 | ((flags >> 8) & 0x0f));	/* offset 5, NS */
	put8(f, flags & 0xff);
	put16(f, 65535);
	put16(f, 0);
	put16(f, 0);
}

static void icmp(struct fb *f, unsigned int type, unsigned int code)
{
	put8(f, type);
	put8(f, code);
	put16(f, 0);
	put32(f, 0x00010001);
	put_zero(f, 8);
}

/* ---- The frames of the table --------------------------------------------- */

enum frame_id {
	F_ARP_BCAST,		/* ARP request a -> who has .12, broadcast */
	F_V4_UDP9,		/* a -> b UDP 40000 -> 9, TOS 0x28 */
	F_V4_UDP10,
	F_V4_TCP_SYN,		/* a -> b TCP 40001 -> 80 SYN */
	F_V4_TCP_ACK_NS,	/* ACK|PSH plus NS */
	F_V4_ICMP_ECHO,		/* type 8 code 0 */
	F_V4_ICMP_UNREACH,	/* type 3 code 1 */
	F_V4_OPTS_UDP53,	/* IHL 6 (options), UDP -> 53 */
	F_V4_SCTP,		/* SCTP 5000 -> 6000 */
	F_V4_GRE,		/* proto 47: no ports */
	F_V4_MCAST,		/* UDP to 224.0.0.251:5353, multicast MAC */
	F_V4_BIG,		/* 1400-byte UDP -> 9 */
	F_V4_TRUNC,		/* ethertype IPv4, 10 bytes of payload */
	F_V6_UDP9,		/* a -> b UDP 40000 -> 9, traffic class 0xb8 */
	F_V6_UDP10,
	F_V6_TCP,		/* a -> b TCP 40002 -> 443 SYN|ACK */
	F_V6_ICMP_ECHO,		/* ICMPv6 128 */
	F_V6_HBH_UDP9,		/* hop-by-hop options, then UDP -> 9 */
	F_V6_FRAG,		/* fragment header (44), not walked */
	F_V6_BAD_EXT,		/* hop-by-hop header running off the end */
	F_V6_NS,		/* neighbor solicitation for b */
	F_V6_NA,		/* neighbor advertisement of a */
	F_VLAN_V4_UDP9,		/* 802.1Q VID 42 around F_V4_UDP9 */
	F_IPX,			/* unknown ethertype */
	F_COUNT
};

static void build_frame(enum frame_id id, struct fb *f)
{
	static const uint8_t mcast4[4] = { 224, 0, 0, 251 };
	static const uint8_t sol_b[16] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0,
					   0, 0, 0, 1, 0xff, 0x39, 0x2f, 0x9d };
	static const uint8_t ll_a[16] = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0,
					  0x74, 0x3d, 0x63, 0xff, 0xfe, 0x79, 0x0e, 0x1c };

	switch (id) {
	case F_ARP_BCAST:
		eth(f, MAC_BCAST, MAC_A, ET_ARP, -1);
		put16(f, 1);
		put16(f, ET_IPV4);
		put8(f, 6);
		put8(f, 4);
		put16(f, 1);		/* request */
		put_mac(f, MAC_A);
		put(f, IP4_A, 4);
		put_mac(f, 0);
		put(f, IP4_B, 4);
		break;
	case F_V4_UDP9:
	case F_V4_UDP10:
	case F_V4_BIG: {
		size_t dlen = id == F_V4_BIG ? 1400 - 28 : 4;

		eth(f, MAC_B, MAC_A, ET_IPV4, -1);
		ipv4(f, 0x28, 17, IP4_A, IP4_B, 0, 8 + dlen);
		udp(f, 40000, id == F_V4_UDP10 ? 10 : 9, dlen);
		break;
	}
	case F_VLAN_V4_UDP9:
		eth(f, MAC_B, MAC_A, ET_IPV4, 42);
		ipv4(f, 0x28, 17, IP4_A, IP4_B, 0, 12);
		udp(f, 40000, 9, 4);
		break;
	case F_V4_TCP_SYN:
	case F_V4_TCP_ACK_NS:
		eth(f, MAC_B, MAC_A, ET_IPV4, -1);
		ipv4(f, 0, 6, IP4_A, IP4_B, 0, 20);
		tcp(f, 40001, 80, id == F_V4_TCP_SYN ? ZTDP_RULE_CHAR_TCP_SYN :
			(ZTDP_RULE_CHAR_TCP_ACK | ZTDP_RULE_CHAR_TCP_PSH |
			 ZTDP_RULE_CHAR_TCP_NS));
		break;
	case F_V4_ICMP_ECHO:
	case F_V4_ICMP_UNREACH:
		eth(f, MAC_B, MAC_A, ET_IPV4, -1);
		ipv4(f, 0, 1, IP4_A, IP4_B, 0, 16);
		if (id == F_V4_ICMP_ECHO)
			icmp(f, 8, 0);
		else
			icmp(f, 3, 1);
		break;
	case F_V4_OPTS_UDP53:
		eth(f, MAC_B, MAC_A, ET_IPV4, -1);
		ipv4(f, 0, 17, IP4_A, IP4_B, 1, 12);
		udp(f, 5353, 53, 4);
		break;
	case F_V4_SCTP:
		eth(f, MAC_B, MAC_A, ET_IPV4, -1);
		ipv4(f, 0, 132, IP4_A, IP4_B, 0, 12);
		put16(f, 5000);
		put16(f, 6000);
		put32(f, 0xdeadbeef);
		put32(f, 0);
		break;
	case F_V4_GRE:
		eth(f, MAC_B, MAC_A, ET_IPV4, -1);
		ipv4(f, 0, 47, IP4_A, IP4_B, 0, 8);
		put32(f, 0x00000800);
		put32(f, 0);
		break;
	case F_V4_MCAST:
		eth(f, MAC_MCAST_V4, MAC_A, ET_IPV4, -1);
		ipv4(f, 0, 17, IP4_A, mcast4, 0, 12);
		udp(f, 5353, 5353, 4);
		break;
	case F_V4_TRUNC:
		eth(f, MAC_B, MAC_A, ET_IPV4, -1);
		put8(f, 0x45);
		put_zero(f, 9);
		break;
	case F_V6_UDP9:
	case F_V6_UDP10:
		eth(f, MAC_B, MAC_A, ET_IPV6, -1);
		ipv6(f, 0xb8, 17, IP6_A, IP6_B, 12);
		udp(f, 40000, id == F_V6_UDP9 ? 9 : 10, 4);
		break;
	case F_V6_TCP:
		eth(f, MAC_B, MAC_A, ET_IPV6, -1);
		ipv6(f, 0, 6, IP6_A, IP6_B, 20);
		tcp(f, 40002, 443, ZTDP_RULE_CHAR_TCP_SYN | ZTDP_RULE_CHAR_TCP_ACK);
		break;
	case F_V6_ICMP_ECHO:
		eth(f, MAC_B, MAC_A, ET_IPV6, -1);
		ipv6(f, 0, 58, IP6_A, IP6_B, 16);
		icmp(f, 128, 0);
		break;
	case F_V6_HBH_UDP9:
		eth(f, MAC_B, MAC_A, ET_IPV6, -1);
		ipv6(f, 0, 0, IP6_A, IP6_B, 8 + 12);
		put8(f, 17);		/* next: UDP */
		put8(f, 0);		/* 8 bytes */
		put16(f, 0x0104);	/* PadN */
		put32(f, 0);
		udp(f, 40000, 9, 4);
		break;
	case F_V6_FRAG:
		eth(f, MAC_B, MAC_A, ET_IPV6, -1);
		ipv6(f, 0, 44, IP6_A, IP6_B, 8 + 12);
		put8(f, 17);
		put8(f, 0);
		put16(f, 0x0001);	/* offset 0, more fragments */
		put32(f, 0xcafe);
		udp(f, 40000, 9, 4);
		break;
	case F_V6_BAD_EXT:
		eth(f, MAC_B, MAC_A, ET_IPV6, -1);
		ipv6(f, 0, 0, IP6_A, IP6_B, 4);
		put32(f, 0x11000000);	/* hop-by-hop cut after 4 bytes */
		break;
	case F_V6_NS:
		eth(f, MAC_MCAST_V6_NS, MAC_A, ET_IPV6, -1);
		ipv6(f, 0, 58, ll_a, sol_b, 24);
		put8(f, 135);
		put8(f, 0);
		put16(f, 0);
		put32(f, 0);
		put(f, IP6_B, 16);
		break;
	case F_V6_NA:
		eth(f, MAC_B, MAC_A, ET_IPV6, -1);
		ipv6(f, 0, 58, ll_a, IP6_B, 24);
		put8(f, 136);
		put8(f, 0);
		put16(f, 0);
		put32(f, 0x60000000);
		put(f, IP6_A, 16);
		break;
	case F_IPX:
		eth(f, MAC_B, MAC_A, ET_IPX, -1);
		put_zero(f, 30);
		break;
	default:
		fail_msg("no frame %d", (int)id);
	}
}

/* What a dataplane hands the rules for an Ethernet frame. With strip_vlan
 * an 802.1Q tag is taken off and its VID passed as vlan_id; without it the
 * frame is seen as ZeroTier sees a tagged frame from a TAP (ethertype
 * 0x8100, VID 0). */
static void frame_view(const uint8_t *eth_frame, size_t len, bool inbound,
		       bool strip_vlan, struct ztdp_rules_frame *v)
{
	size_t off = ETH_HDR;

	assert_true(len >= ETH_HDR);
	memset(v, 0, sizeof(*v));
	v->inbound = inbound;
	v->zt_source = inbound ? NODE_B : NODE_A;
	v->zt_dest = inbound ? NODE_A : NODE_B;
	v->mac_dest = ztdp_load_be40(eth_frame) << 8 | eth_frame[5];
	v->mac_source = ztdp_load_be40(eth_frame + 6) << 8 | eth_frame[11];
	v->ethertype = ztdp_load_be16(eth_frame + 12);
	if (strip_vlan && v->ethertype == ET_VLAN && len >= ETH_HDR + VLAN_TAG) {
		v->vlan_id = ztdp_load_be16(eth_frame + 14) & 0x0fff;
		v->ethertype = ztdp_load_be16(eth_frame + 16);
		off += VLAN_TAG;
	}
	v->data = eth_frame + off;
	v->len = len - off;
}

/* ---- Environment ------------------------------------------------------------ */

static const struct ztdp_rule_tag LOCAL_TAGS[] = {
	{ 1, 5 }, { 2, 0x0f }, { 3, 7 },
};
static const struct ztdp_rule_tag REMOTE_TAGS[] = {
	{ 1, 7 }, { 2, 0xf0 }, { 3, 7 },
};

/* Options of a table case. */
#define O_IN		0x001	/* inbound (from b to us = a) */
#define O_TAGS		0x002	/* both sides' tags known */
#define O_LTAGS		0x004	/* only ours known */
#define O_OWN_IP	0x008	/* sender holds a COO for a's IPs */
#define O_OWN_MAC	0x010	/* sender holds a COO for a's MAC */
#define O_UNSUP		0x020	/* config flag 0x08 set */
#define O_RAND5		0x040	/* random draws return 5 */
#define O_VLAN_RAW	0x080	/* leave an 802.1Q tag in the frame */

static bool test_owns(void *ctx, uint8_t type, const uint8_t *thing)
{
	unsigned int opts = *(const unsigned int *)ctx;

	switch (type) {
	case ZTDP_COO_THING_IPV4:
		return (opts & O_OWN_IP) && memcmp(thing, IP4_A, 4) == 0;
	case ZTDP_COO_THING_IPV6:
		return (opts & O_OWN_IP) && memcmp(thing, IP6_A, 16) == 0;
	case ZTDP_COO_THING_MAC: {
		uint8_t mac[6] = { 0x76, 0x3d, 0x63, 0x79, 0x0e, 0x1c };

		return (opts & O_OWN_MAC) && memcmp(thing, mac, 6) == 0;
	}
	default:
		return false;
	}
}

static uint32_t test_random(void *ctx)
{
	return *(const uint32_t *)ctx;
}

static uint32_t random_five = 5;

static void make_env(struct ztdp_rules_env *env, const unsigned int *opts)
{
	memset(env, 0, sizeof(*env));
	env->self = NODE_A;
	if (*opts & (O_TAGS | O_LTAGS)) {
		env->local_tags = LOCAL_TAGS;
		env->local_tag_count = 3;
	}
	if (*opts & O_TAGS) {
		env->remote_tags = REMOTE_TAGS;
		env->remote_tag_count = 3;
	}
	env->unsupported_match_result = (*opts & O_UNSUP) != 0;
	env->owns = test_owns;
	env->owns_ctx = (void *)opts;
	if (*opts & O_RAND5) {
		env->random = test_random;
		env->random_ctx = &random_five;
	}
}

/* ---- Rule initialisers ------------------------------------------------------ */

#define NOT ZTDP_RULE_FLAG_NOT
#define OR ZTDP_RULE_FLAG_OR
#define R_DROP { .t = ZTDP_RULE_ACTION_DROP }
#define R_ACCEPT { .t = ZTDP_RULE_ACTION_ACCEPT }
#define R_BREAK { .t = ZTDP_RULE_ACTION_BREAK }
#define R_PRIORITY { .t = ZTDP_RULE_ACTION_PRIORITY }
#define R_FWD(type, addr, len) { .t = (type), .v.fwd = { (addr), 0, (len) } }
#define R_TEE(a) R_FWD(ZTDP_RULE_ACTION_TEE, a, 0)
#define R_WATCH(a) R_FWD(ZTDP_RULE_ACTION_WATCH, a, 0)
#define R_REDIRECT(a) R_FWD(ZTDP_RULE_ACTION_REDIRECT, a, 0)
#define M_SRC_ZT(f, a) { .t = (f) | ZTDP_RULE_MATCH_SOURCE_ZEROTIER_ADDRESS, .v.zt = (a) }
#define M_DST_ZT(f, a) { .t = (f) | ZTDP_RULE_MATCH_DEST_ZEROTIER_ADDRESS, .v.zt = (a) }
#define M_VLAN_ID(f, x) { .t = (f) | ZTDP_RULE_MATCH_VLAN_ID, .v.vlan_id = (x) }
#define M_VLAN_PCP(f, x) { .t = (f) | ZTDP_RULE_MATCH_VLAN_PCP, .v.vlan_pcp = (x) }
#define M_VLAN_DEI(f, x) { .t = (f) | ZTDP_RULE_MATCH_VLAN_DEI, .v.vlan_dei = (x) }
#define M_MAC(f, type, ...) { .t = (f) | (type), .v.mac = { __VA_ARGS__ } }
#define M_IP4(f, type, a, b, c, d, m) { .t = (f) | (type), .v.ipv4 = { { a, b, c, d }, m } }
#define M_IP6(f, type, m, ...) { .t = (f) | (type), .v.ipv6 = { { __VA_ARGS__ }, m } }
#define M_TOS(f, m, lo, hi) { .t = (f) | ZTDP_RULE_MATCH_IP_TOS, .v.ip_tos = { m, lo, hi } }
#define M_PROTO(f, p) { .t = (f) | ZTDP_RULE_MATCH_IP_PROTOCOL, .v.ip_protocol = (p) }
#define M_ET(f, e) { .t = (f) | ZTDP_RULE_MATCH_ETHERTYPE, .v.ethertype = (e) }
#define M_ICMP(f, ty, co, fl) { .t = (f) | ZTDP_RULE_MATCH_ICMP, .v.icmp = { ty, co, fl } }
#define M_SPORT(f, lo, hi) { .t = (f) | ZTDP_RULE_MATCH_IP_SOURCE_PORT_RANGE, .v.port = { lo, hi } }
#define M_DPORT(f, lo, hi) { .t = (f) | ZTDP_RULE_MATCH_IP_DEST_PORT_RANGE, .v.port = { lo, hi } }
#define M_CHAR(f, c) { .t = (f) | ZTDP_RULE_MATCH_CHARACTERISTICS, .v.characteristics = (c) }
#define M_SIZE(f, lo, hi) { .t = (f) | ZTDP_RULE_MATCH_FRAME_SIZE_RANGE, .v.frame_size = { lo, hi } }
#define M_RANDOM(f, p) { .t = (f) | ZTDP_RULE_MATCH_RANDOM, .v.random_probability = (p) }
#define M_TAG(f, type, id, val) { .t = (f) | (type), .v.tag = { id, val } }
#define M_INT(f, s, e, i, fmt) { .t = (f) | ZTDP_RULE_MATCH_INTEGER_RANGE, .v.int_range = { s, e, i, fmt } }
#define M_UNKNOWN(f) { .t = (f) | 20 }

#define IP6_A_BYTES 0xfd, 0x7a, 0x4d, 0x39, 0x54, 0x0c, 0x06, 0x3f, \
		    0x74, 0x99, 0x93, 0x02, 0x65, 0x75, 0x5a, 0x25
#define IP6_B_BYTES 0xfd, 0x7a, 0x4d, 0x39, 0x54, 0x0c, 0x06, 0x3f, \
		    0x74, 0x99, 0x93, 0x9c, 0x1c, 0x35, 0x7b, 0xa4
#define IP6_NET64 0xfd, 0x7a, 0x4d, 0x39, 0x54, 0x0c, 0x06, 0x3f, \
		  0, 0, 0, 0, 0, 0, 0, 0

/* ---- The table ---------------------------------------------------------------- */

enum verdict { V_DROP, V_ACCEPT, V_SUPER, V_REDIRECT };

#define MAX_CASE_RULES 6

struct rcase {
	const char *name;
	struct ztdp_rule rules[MAX_CASE_RULES];
	unsigned int n;
	enum frame_id frame;
	unsigned int opts;
	enum verdict expect;
};

/* "match X, then ACCEPT": accepted iff X holds (nothing else accepts). */
#define MATCH(nm, rule, fr, op, ex) { nm, { rule, R_ACCEPT }, 2, fr, op, ex }
#define CASE(nm, fr, op, ex, ...) \
	{ nm, { __VA_ARGS__ }, \
	  sizeof((struct ztdp_rule[]){ __VA_ARGS__ }) / sizeof(struct ztdp_rule), \
	  fr, op, ex }

static const struct rcase cases[] = {
	/* Defaults and bare actions. */
	{ "no rules: drop", { R_DROP }, 0, F_V4_UDP10, 0, V_DROP },
	CASE("accept", F_V4_UDP10, 0, V_ACCEPT, R_ACCEPT),
	CASE("drop", F_V4_UDP10, 0, V_DROP, R_DROP, R_ACCEPT),
	CASE("only a match: falls off the end", F_V4_UDP10, 0, V_DROP, M_PROTO(0, 17)),
	CASE("break ends with no match", F_V4_UDP10, 0, V_DROP, R_BREAK, R_ACCEPT),
	CASE("break in a false set is skipped", F_V4_UDP10, 0, V_ACCEPT,
	     M_PROTO(0, 6), R_BREAK, R_ACCEPT),
	CASE("priority accepts", F_V4_UDP10, 0, V_ACCEPT, R_PRIORITY, R_DROP),
	CASE("unknown action is a no-op", F_V4_UDP10, 0, V_ACCEPT,
	     { .t = 7 }, R_ACCEPT),
	CASE("unknown action resets a false set", F_V4_UDP10, 0, V_ACCEPT,
	     M_PROTO(0, 6), { .t = 7 }, R_ACCEPT),
	CASE("tee continues", F_V4_UDP10, 0, V_ACCEPT, R_TEE(NODE_C), R_ACCEPT),
	CASE("watch continues", F_V4_UDP10, 0, V_ACCEPT, R_WATCH(NODE_C), R_ACCEPT),
	CASE("redirect", F_V4_UDP10, 0, V_REDIRECT, R_REDIRECT(NODE_C), R_DROP),
	CASE("redirect to the source is ignored", F_V4_UDP10, 0, V_DROP,
	     R_REDIRECT(NODE_A), R_DROP),
	CASE("redirect to the destination is ignored", F_V4_UDP10, 0, V_ACCEPT,
	     R_REDIRECT(NODE_B), R_ACCEPT),
	CASE("tee to us inbound: super-accept", F_V4_UDP10, O_IN, V_SUPER,
	     R_TEE(NODE_A), R_DROP),
	CASE("watch to us inbound: super-accept", F_V4_UDP10, O_IN, V_SUPER,
	     R_WATCH(NODE_A), R_DROP),
	CASE("redirect to us inbound: super-accept", F_V4_UDP10, O_IN, V_SUPER,
	     R_REDIRECT(NODE_A), R_DROP),
	CASE("skipped tee to us marks a later accept super", F_V4_UDP10, O_IN,
	     V_SUPER, M_PROTO(0, 6), R_TEE(NODE_A), R_ACCEPT),
	CASE("skipped tee to us outbound: plain accept", F_V4_UDP10, 0, V_ACCEPT,
	     M_PROTO(0, 6), R_TEE(NODE_A), R_ACCEPT),

	/* Source / destination ZeroTier address. */
	MATCH("src zt +", M_SRC_ZT(0, NODE_A), F_V4_UDP10, 0, V_ACCEPT),
	MATCH("src zt -", M_SRC_ZT(0, NODE_B), F_V4_UDP10, 0, V_DROP),
	MATCH("src zt inbound +", M_SRC_ZT(0, NODE_B), F_V4_UDP10, O_IN, V_ACCEPT),
	MATCH("NOT src zt", M_SRC_ZT(NOT, NODE_B), F_V4_UDP10, 0, V_ACCEPT),
	MATCH("dst zt +", M_DST_ZT(0, NODE_B), F_V4_UDP10, 0, V_ACCEPT),
	MATCH("dst zt -", M_DST_ZT(0, NODE_A), F_V4_UDP10, 0, V_DROP),

	/* VLAN. */
	MATCH("vlan id +", M_VLAN_ID(0, 42), F_VLAN_V4_UDP9, 0, V_ACCEPT),
	MATCH("vlan id -", M_VLAN_ID(0, 42), F_V4_UDP9, 0, V_DROP),
	MATCH("vlan id 0 on untagged", M_VLAN_ID(0, 0), F_V4_UDP9, 0, V_ACCEPT),
	MATCH("vlan id raw 802.1Q frame is VID 0", M_VLAN_ID(0, 42), F_VLAN_V4_UDP9,
	      O_VLAN_RAW, V_DROP),
	MATCH("vlan pcp 0 +", M_VLAN_PCP(0, 0), F_V4_UDP9, 0, V_ACCEPT),
	MATCH("vlan pcp 3 -", M_VLAN_PCP(0, 3), F_VLAN_V4_UDP9, 0, V_DROP),
	MATCH("vlan dei 0 +", M_VLAN_DEI(0, 0), F_V4_UDP9, 0, V_ACCEPT),
	MATCH("vlan dei 1 -", M_VLAN_DEI(0, 1), F_V4_UDP9, 0, V_DROP),

	/* MACs. */
	MATCH("mac src +", M_MAC(0, ZTDP_RULE_MATCH_MAC_SOURCE, 0x76, 0x3d, 0x63, 0x79, 0x0e, 0x1c),
	      F_V4_UDP9, 0, V_ACCEPT),
	MATCH("mac src -", M_MAC(0, ZTDP_RULE_MATCH_MAC_SOURCE, 0x76, 0xa3, 0x1a, 0x39, 0x2f, 0x9d),
	      F_V4_UDP9, 0, V_DROP),
	MATCH("mac dst +", M_MAC(0, ZTDP_RULE_MATCH_MAC_DEST, 0x76, 0xa3, 0x1a, 0x39, 0x2f, 0x9d),
	      F_V4_UDP9, 0, V_ACCEPT),
	MATCH("mac dst broadcast +", M_MAC(0, ZTDP_RULE_MATCH_MAC_DEST, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
	      F_ARP_BCAST, 0, V_ACCEPT),
	MATCH("mac dst broadcast -", M_MAC(0, ZTDP_RULE_MATCH_MAC_DEST, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
	      F_V4_UDP9, 0, V_DROP),

	/* IPv4 source / destination. */
	MATCH("ipv4 src /24 +", M_IP4(0, ZTDP_RULE_MATCH_IPV4_SOURCE, 10, 147, 33, 0, 24),
	      F_V4_UDP9, 0, V_ACCEPT),
	MATCH("ipv4 src /24 -", M_IP4(0, ZTDP_RULE_MATCH_IPV4_SOURCE, 10, 147, 34, 0, 24),
	      F_V4_UDP9, 0, V_DROP),
	MATCH("ipv4 src /32 +", M_IP4(0, ZTDP_RULE_MATCH_IPV4_SOURCE, 10, 147, 33, 11, 32),
	      F_V4_UDP9, 0, V_ACCEPT),
	MATCH("ipv4 src /0 matches any IPv4", M_IP4(0, ZTDP_RULE_MATCH_IPV4_SOURCE, 1, 2, 3, 4, 0),
	      F_V4_UDP9, 0, V_ACCEPT),
	MATCH("ipv4 src host bits ignored", M_IP4(0, ZTDP_RULE_MATCH_IPV4_SOURCE, 10, 147, 33, 99, 24),
	      F_V4_UDP9, 0, V_ACCEPT),
	MATCH("NOT ipv4 src -> +", M_IP4(NOT, ZTDP_RULE_MATCH_IPV4_SOURCE, 10, 147, 34, 0, 24),
	      F_V4_UDP9, 0, V_ACCEPT),
	MATCH("ipv4 src on IPv6: no", M_IP4(0, ZTDP_RULE_MATCH_IPV4_SOURCE, 0, 0, 0, 0, 0),
	      F_V6_UDP9, 0, V_DROP),
	MATCH("NOT ipv4 src on IPv6: still no", M_IP4(NOT, ZTDP_RULE_MATCH_IPV4_SOURCE, 10, 147, 34, 0, 24),
	      F_V6_UDP9, 0, V_DROP),
	MATCH("ipv4 src on truncated IPv4: no", M_IP4(0, ZTDP_RULE_MATCH_IPV4_SOURCE, 0, 0, 0, 0, 0),
	      F_V4_TRUNC, 0, V_DROP),
	MATCH("ipv4 dst +", M_IP4(0, ZTDP_RULE_MATCH_IPV4_DEST, 10, 147, 33, 12, 32),
	      F_V4_UDP9, 0, V_ACCEPT),
	MATCH("ipv4 dst -", M_IP4(0, ZTDP_RULE_MATCH_IPV4_DEST, 10, 147, 33, 13, 32),
	      F_V4_UDP9, 0, V_DROP),

	/* IPv6 source / destination. */
	MATCH("ipv6 src /64 +", M_IP6(0, ZTDP_RULE_MATCH_IPV6_SOURCE, 64, IP6_NET64),
	      F_V6_UDP9, 0, V_ACCEPT),
	MATCH("ipv6 src /128 -", M_IP6(0, ZTDP_RULE_MATCH_IPV6_SOURCE, 128, IP6_B_BYTES),
	      F_V6_UDP9, 0, V_DROP),
	MATCH("ipv6 src with host bits past the prefix never matches",
	      M_IP6(0, ZTDP_RULE_MATCH_IPV6_SOURCE, 64, IP6_A_BYTES), F_V6_UDP9, 0, V_DROP),
	MATCH("ipv6 src /125 +", M_IP6(0, ZTDP_RULE_MATCH_IPV6_SOURCE, 125,
				     0xfd, 0x7a, 0x4d, 0x39, 0x54, 0x0c, 0x06, 0x3f,
				     0x74, 0x99, 0x93, 0x02, 0x65, 0x75, 0x5a, 0x20),
	      F_V6_UDP9, 0, V_ACCEPT),
	MATCH("ipv6 src on IPv4: no", M_IP6(0, ZTDP_RULE_MATCH_IPV6_SOURCE, 0, 0),
	      F_V4_UDP9, 0, V_DROP),
	MATCH("NOT ipv6 src on IPv4: still no", M_IP6(NOT, ZTDP_RULE_MATCH_IPV6_SOURCE, 128, IP6_B_BYTES),
	      F_V4_UDP9, 0, V_DROP),
	MATCH("ipv6 dst +", M_IP6(0, ZTDP_RULE_MATCH_IPV6_DEST, 128, IP6_B_BYTES),
	      F_V6_UDP9, 0, V_ACCEPT),
	MATCH("ipv6 dst -", M_IP6(0, ZTDP_RULE_MATCH_IPV6_DEST, 128, IP6_A_BYTES),
	      F_V6_UDP9, 0, V_DROP),

	/* IP TOS / traffic class. */
	MATCH("tos v4 +", M_TOS(0, 0xfc, 0x28, 0x28), F_V4_UDP9, 0, V_ACCEPT),
	MATCH("tos v4 -", M_TOS(0, 0xfc, 0x30, 0x40), F_V4_UDP9, 0, V_DROP),
	MATCH("tos v6 +", M_TOS(0, 0xff, 0xb8, 0xb8), F_V6_UDP9, 0, V_ACCEPT),
	MATCH("tos v6 -", M_TOS(0, 0xff, 0x00, 0x10), F_V6_UDP9, 0, V_DROP),
	MATCH("tos on ARP: no", M_TOS(0, 0, 0, 255), F_ARP_BCAST, 0, V_DROP),
	MATCH("NOT tos on ARP: still no", M_TOS(NOT, 0xff, 0x30, 0x40), F_ARP_BCAST, 0, V_DROP),

	/* IP protocol. */
	MATCH("proto v4 +", M_PROTO(0, 17), F_V4_UDP9, 0, V_ACCEPT),
	MATCH("proto v4 -", M_PROTO(0, 6), F_V4_UDP9, 0, V_DROP),
	MATCH("NOT proto v4", M_PROTO(NOT, 6), F_V4_UDP9, 0, V_ACCEPT),
	MATCH("proto v6 +", M_PROTO(0, 17), F_V6_UDP9, 0, V_ACCEPT),
	MATCH("proto v6 through hop-by-hop +", M_PROTO(0, 17), F_V6_HBH_UDP9, 0, V_ACCEPT),
	MATCH("proto v6 hop-by-hop itself -", M_PROTO(0, 0), F_V6_HBH_UDP9, 0, V_DROP),
	MATCH("proto v6 stops at fragment header", M_PROTO(0, 44), F_V6_FRAG, 0, V_ACCEPT),
	MATCH("proto v6 broken ext chain: no", M_PROTO(NOT, 17), F_V6_BAD_EXT, 0, V_DROP),
	MATCH("proto on ARP: no", M_PROTO(0, 17), F_ARP_BCAST, 0, V_DROP),
	MATCH("NOT proto on ARP: still no", M_PROTO(NOT, 17), F_ARP_BCAST, 0, V_DROP),

	/* Ethertype. */
	MATCH("ethertype +", M_ET(0, ET_ARP), F_ARP_BCAST, 0, V_ACCEPT),
	MATCH("ethertype -", M_ET(0, ET_IPV4), F_ARP_BCAST, 0, V_DROP),
	MATCH("NOT ethertype", M_ET(NOT, ET_IPV4), F_ARP_BCAST, 0, V_ACCEPT),
	MATCH("ethertype of a raw 802.1Q frame", M_ET(0, ET_VLAN), F_VLAN_V4_UDP9,
	      O_VLAN_RAW, V_ACCEPT),
	MATCH("raw 802.1Q frame is not IPv4", M_PROTO(0, 17), F_VLAN_V4_UDP9,
	      O_VLAN_RAW, V_DROP),

	/* ICMP. */
	MATCH("icmp type +", M_ICMP(0, 8, 0, 0), F_V4_ICMP_ECHO, 0, V_ACCEPT),
	MATCH("icmp type -", M_ICMP(0, 0, 0, 0), F_V4_ICMP_ECHO, 0, V_DROP),
	MATCH("icmp type+code +", M_ICMP(0, 3, 1, ZTDP_RULE_ICMP_FLAG_CODE),
	      F_V4_ICMP_UNREACH, 0, V_ACCEPT),
	MATCH("icmp type+code -", M_ICMP(0, 3, 2, ZTDP_RULE_ICMP_FLAG_CODE),
	      F_V4_ICMP_UNREACH, 0, V_DROP),
	MATCH("icmp code ignored without flag", M_ICMP(0, 3, 2, 0),
	      F_V4_ICMP_UNREACH, 0, V_ACCEPT),
	MATCH("NOT icmp code mismatch -> +", M_ICMP(NOT, 3, 2, ZTDP_RULE_ICMP_FLAG_CODE),
	      F_V4_ICMP_UNREACH, 0, V_ACCEPT),
	MATCH("NOT icmp type-only match stays a match", M_ICMP(NOT, 8, 0, 0),
	      F_V4_ICMP_ECHO, 0, V_ACCEPT),
	MATCH("NOT icmp type mismatch stays no", M_ICMP(NOT, 0, 0, 0),
	      F_V4_ICMP_ECHO, 0, V_DROP),
	MATCH("icmp on UDP: no", M_ICMP(0, 8, 0, 0), F_V4_UDP9, 0, V_DROP),
	MATCH("icmpv6 +", M_ICMP(0, 128, 0, ZTDP_RULE_ICMP_FLAG_CODE), F_V6_ICMP_ECHO, 0, V_ACCEPT),
	MATCH("icmpv6 -", M_ICMP(0, 129, 0, 0), F_V6_ICMP_ECHO, 0, V_DROP),
	MATCH("icmp on ARP: no", M_ICMP(NOT, 8, 0, 0), F_ARP_BCAST, 0, V_DROP),

	/* Port ranges. */
	MATCH("sport v4 +", M_SPORT(0, 40000, 40010), F_V4_UDP9, 0, V_ACCEPT),
	MATCH("sport v4 -", M_SPORT(0, 1, 1000), F_V4_UDP9, 0, V_DROP),
	MATCH("sport v6 +", M_SPORT(0, 40000, 40000), F_V6_UDP9, 0, V_ACCEPT),
	MATCH("sport v6 -", M_SPORT(0, 1, 39999), F_V6_UDP9, 0, V_DROP),
	MATCH("dport v4 +", M_DPORT(0, 9, 9), F_V4_UDP9, 0, V_ACCEPT),
	MATCH("dport v4 -", M_DPORT(0, 9, 9), F_V4_UDP10, 0, V_DROP),
	MATCH("dport v6 +", M_DPORT(0, 9, 9), F_V6_UDP9, 0, V_ACCEPT),
	MATCH("dport v6 -", M_DPORT(0, 9, 9), F_V6_UDP10, 0, V_DROP),
	MATCH("dport tcp +", M_DPORT(0, 80, 80), F_V4_TCP_SYN, 0, V_ACCEPT),
	MATCH("dport tcp v6 +", M_DPORT(0, 443, 443), F_V6_TCP, 0, V_ACCEPT),
	MATCH("dport after IPv4 options +", M_DPORT(0, 53, 53), F_V4_OPTS_UDP53, 0, V_ACCEPT),
	MATCH("dport sctp +", M_DPORT(0, 6000, 6000), F_V4_SCTP, 0, V_ACCEPT),
	MATCH("dport through hop-by-hop +", M_DPORT(0, 9, 9), F_V6_HBH_UDP9, 0, V_ACCEPT),
	MATCH("dport on GRE: no", M_DPORT(0, 0, 65535), F_V4_GRE, 0, V_DROP),
	MATCH("NOT dport on IPv4 without ports: yes", M_DPORT(NOT, 0, 65535),
	      F_V4_ICMP_ECHO, 0, V_ACCEPT),
	MATCH("NOT dport on ARP: no", M_DPORT(NOT, 9, 9), F_ARP_BCAST, 0, V_DROP),

	/* Characteristics. */
	MATCH("char SYN +", M_CHAR(0, ZTDP_RULE_CHAR_TCP_SYN), F_V4_TCP_SYN, 0, V_ACCEPT),
	MATCH("char SYN -", M_CHAR(0, ZTDP_RULE_CHAR_TCP_SYN), F_V4_TCP_ACK_NS, 0, V_DROP),
	MATCH("char NS +", M_CHAR(0, ZTDP_RULE_CHAR_TCP_NS), F_V4_TCP_ACK_NS, 0, V_ACCEPT),
	MATCH("char v6 ACK +", M_CHAR(0, ZTDP_RULE_CHAR_TCP_ACK), F_V6_TCP, 0, V_ACCEPT),
	MATCH("char TCP flags on UDP -", M_CHAR(0, ZTDP_RULE_CHAR_TCP_FLAGS_MASK), F_V4_UDP9, 0, V_DROP),
	MATCH("char inbound -", M_CHAR(0, ZTDP_RULE_CHAR_INBOUND), F_V4_UDP9, 0, V_DROP),
	MATCH("char inbound +", M_CHAR(0, ZTDP_RULE_CHAR_INBOUND), F_V4_UDP9, O_IN, V_ACCEPT),
	MATCH("char multicast +", M_CHAR(0, ZTDP_RULE_CHAR_MULTICAST), F_V4_MCAST, 0, V_ACCEPT),
	MATCH("char multicast -", M_CHAR(0, ZTDP_RULE_CHAR_MULTICAST), F_V4_UDP9, 0, V_DROP),
	MATCH("char broadcast +", M_CHAR(0, ZTDP_RULE_CHAR_BROADCAST), F_ARP_BCAST, 0, V_ACCEPT),
	MATCH("char broadcast not for multicast", M_CHAR(0, ZTDP_RULE_CHAR_BROADCAST), F_V4_MCAST, 0, V_DROP),
	MATCH("char ip auth +", M_CHAR(0, ZTDP_RULE_CHAR_SENDER_IP_AUTH), F_V4_UDP9, O_OWN_IP, V_ACCEPT),
	MATCH("char ip auth -", M_CHAR(0, ZTDP_RULE_CHAR_SENDER_IP_AUTH), F_V4_UDP9, 0, V_DROP),
	MATCH("char ip auth v6 +", M_CHAR(0, ZTDP_RULE_CHAR_SENDER_IP_AUTH), F_V6_UDP9, O_OWN_IP, V_ACCEPT),
	MATCH("char ip auth from ARP sender +", M_CHAR(0, ZTDP_RULE_CHAR_SENDER_IP_AUTH), F_ARP_BCAST, O_OWN_IP, V_ACCEPT),
	MATCH("char ip auth: neighbor solicitation always", M_CHAR(0, ZTDP_RULE_CHAR_SENDER_IP_AUTH), F_V6_NS, 0, V_ACCEPT),
	MATCH("char ip auth: advertisement by its target +", M_CHAR(0, ZTDP_RULE_CHAR_SENDER_IP_AUTH), F_V6_NA, O_OWN_IP, V_ACCEPT),
	MATCH("char ip auth: advertisement -", M_CHAR(0, ZTDP_RULE_CHAR_SENDER_IP_AUTH), F_V6_NA, 0, V_DROP),
	MATCH("char mac auth +", M_CHAR(0, ZTDP_RULE_CHAR_SENDER_MAC_AUTH), F_V4_UDP9, O_OWN_MAC, V_ACCEPT),
	MATCH("char mac auth -", M_CHAR(0, ZTDP_RULE_CHAR_SENDER_MAC_AUTH), F_V4_UDP9, O_OWN_IP, V_DROP),
	MATCH("NOT char", M_CHAR(NOT, ZTDP_RULE_CHAR_TCP_SYN), F_V4_UDP9, 0, V_ACCEPT),

	/* Frame size (of the Ethernet payload). */
	MATCH("size +", M_SIZE(0, 0, 100), F_V4_UDP9, 0, V_ACCEPT),
	MATCH("size -", M_SIZE(0, 1000, 2000), F_V4_UDP9, 0, V_DROP),
	MATCH("size big +", M_SIZE(0, 1400, 1400), F_V4_BIG, 0, V_ACCEPT),
	MATCH("size edge: 32-byte payload", M_SIZE(0, 32, 32), F_V4_UDP9, 0, V_ACCEPT),

	/* Random. */
	MATCH("random always", M_RANDOM(0, UINT32_MAX), F_V4_UDP9, 0, V_ACCEPT),
	MATCH("random never without a source", M_RANDOM(0, UINT32_MAX - 1), F_V4_UDP9, 0, V_DROP),
	MATCH("random draw 5 <= 5", M_RANDOM(0, 5), F_V4_UDP9, O_RAND5, V_ACCEPT),
	MATCH("random draw 5 > 4", M_RANDOM(0, 4), F_V4_UDP9, O_RAND5, V_DROP),

	/* Tags: ours {1:5, 2:0x0f, 3:7}, theirs {1:7, 2:0xf0, 3:7}. */
	MATCH("tags difference +", M_TAG(0, ZTDP_RULE_MATCH_TAGS_DIFFERENCE, 1, 2), F_V4_UDP9, O_TAGS, V_ACCEPT),
	MATCH("tags difference -", M_TAG(0, ZTDP_RULE_MATCH_TAGS_DIFFERENCE, 1, 1), F_V4_UDP9, O_TAGS, V_DROP),
	MATCH("tags and +", M_TAG(0, ZTDP_RULE_MATCH_TAGS_BITWISE_AND, 2, 0), F_V4_UDP9, O_TAGS, V_ACCEPT),
	MATCH("tags and -", M_TAG(0, ZTDP_RULE_MATCH_TAGS_BITWISE_AND, 2, 1), F_V4_UDP9, O_TAGS, V_DROP),
	MATCH("tags or +", M_TAG(0, ZTDP_RULE_MATCH_TAGS_BITWISE_OR, 2, 0xff), F_V4_UDP9, O_TAGS, V_ACCEPT),
	MATCH("tags or -", M_TAG(0, ZTDP_RULE_MATCH_TAGS_BITWISE_OR, 2, 0x0f), F_V4_UDP9, O_TAGS, V_DROP),
	MATCH("tags xor +", M_TAG(0, ZTDP_RULE_MATCH_TAGS_BITWISE_XOR, 2, 0xff), F_V4_UDP9, O_TAGS, V_ACCEPT),
	MATCH("tags xor -", M_TAG(0, ZTDP_RULE_MATCH_TAGS_BITWISE_XOR, 2, 0), F_V4_UDP9, O_TAGS, V_DROP),
	MATCH("tags equal +", M_TAG(0, ZTDP_RULE_MATCH_TAGS_EQUAL, 3, 7), F_V4_UDP9, O_TAGS, V_ACCEPT),
	MATCH("tags equal -", M_TAG(0, ZTDP_RULE_MATCH_TAGS_EQUAL, 1, 5), F_V4_UDP9, O_TAGS, V_DROP),
	MATCH("NOT tags equal", M_TAG(NOT, ZTDP_RULE_MATCH_TAGS_EQUAL, 1, 5), F_V4_UDP9, O_TAGS, V_ACCEPT),
	MATCH("tags: no local tag", M_TAG(NOT, ZTDP_RULE_MATCH_TAGS_EQUAL, 9, 0), F_V4_UDP9, O_TAGS, V_DROP),
	MATCH("tags: remote unknown outbound passes", M_TAG(0, ZTDP_RULE_MATCH_TAGS_EQUAL, 1, 99),
	      F_V4_UDP9, O_LTAGS, V_ACCEPT),
	MATCH("tags: remote unknown inbound fails", M_TAG(NOT, ZTDP_RULE_MATCH_TAGS_EQUAL, 1, 99),
	      F_V4_UDP9, O_LTAGS | O_IN, V_DROP),
	CASE("tags: known remote, drop taken", F_V4_UDP9, O_TAGS, V_DROP,
	     M_TAG(0, ZTDP_RULE_MATCH_TAGS_EQUAL, 3, 7), R_DROP, R_ACCEPT),
	CASE("tags: unknown remote spares the next drop", F_V4_UDP9, O_LTAGS, V_ACCEPT,
	     M_TAG(0, ZTDP_RULE_MATCH_TAGS_EQUAL, 3, 7), R_DROP, R_ACCEPT),
	CASE("tags: only one drop is spared", F_V4_UDP9, O_LTAGS, V_DROP,
	     M_TAG(0, ZTDP_RULE_MATCH_TAGS_EQUAL, 3, 7), R_DROP, R_DROP, R_ACCEPT),
	MATCH("tag sender outbound = ours +", M_TAG(0, ZTDP_RULE_MATCH_TAG_SENDER, 1, 5), F_V4_UDP9, O_TAGS, V_ACCEPT),
	MATCH("tag sender outbound = ours -", M_TAG(0, ZTDP_RULE_MATCH_TAG_SENDER, 1, 7), F_V4_UDP9, O_TAGS, V_DROP),
	MATCH("tag sender inbound = theirs +", M_TAG(0, ZTDP_RULE_MATCH_TAG_SENDER, 1, 7), F_V4_UDP9, O_TAGS | O_IN, V_ACCEPT),
	MATCH("tag sender inbound unknown -", M_TAG(NOT, ZTDP_RULE_MATCH_TAG_SENDER, 1, 7), F_V4_UDP9, O_LTAGS | O_IN, V_DROP),
	MATCH("tag receiver outbound = theirs +", M_TAG(0, ZTDP_RULE_MATCH_TAG_RECEIVER, 1, 7), F_V4_UDP9, O_TAGS, V_ACCEPT),
	MATCH("tag receiver outbound = theirs -", M_TAG(0, ZTDP_RULE_MATCH_TAG_RECEIVER, 1, 5), F_V4_UDP9, O_TAGS, V_DROP),
	MATCH("tag receiver outbound unknown passes", M_TAG(0, ZTDP_RULE_MATCH_TAG_RECEIVER, 1, 1234), F_V4_UDP9, O_LTAGS, V_ACCEPT),
	MATCH("tag receiver inbound = ours +", M_TAG(0, ZTDP_RULE_MATCH_TAG_RECEIVER, 1, 5), F_V4_UDP9, O_TAGS | O_IN, V_ACCEPT),
	MATCH("tag receiver inbound = ours -", M_TAG(0, ZTDP_RULE_MATCH_TAG_RECEIVER, 2, 5), F_V4_UDP9, O_TAGS | O_IN, V_DROP),
	CASE("tag sender as a TEE target passes", F_V4_UDP9, O_IN, V_SUPER,
	     M_PROTO(0, 6), R_TEE(NODE_A), M_TAG(0, ZTDP_RULE_MATCH_TAG_SENDER, 1, 7), R_ACCEPT),

	/* Integer range: 1.14.1 reads big-endian values from idx + 8 - bytes;
	 * the UDP destination port of an option-less IPv4 packet is at 22. */
	MATCH("int BE16 +", M_INT(0, 9, 9, 16, 15), F_V4_UDP9, 0, V_ACCEPT),
	MATCH("int BE16 -", M_INT(0, 10, 20, 16, 15), F_V4_UDP9, 0, V_DROP),
	MATCH("int LE16 +", M_INT(0, 0x0900, 0x0900, 22, 0x80 | 15), F_V4_UDP9, 0, V_ACCEPT),
	MATCH("int LE16 -", M_INT(0, 9, 9, 22, 0x80 | 15), F_V4_UDP9, 0, V_DROP),
	MATCH("int BE idx + 8 - bytes does not wrap", M_INT(0, 4, 4, (uint16_t)-7, 3), F_V4_UDP9, 0, V_DROP),
	MATCH("int past the end reads 0 +", M_INT(0, 0, 0, 2000, 7), F_V4_UDP9, 0, V_ACCEPT),
	MATCH("int past the end reads 0 -", M_INT(0, 1, 5, 2000, 7), F_V4_UDP9, 0, V_DROP),
	MATCH("int end held as 32-bit offset", M_INT(0, 0, 0x100000005ULL, 16, 15), F_V4_UDP9, 0, V_DROP),
	MATCH("int BE64 +", M_INT(0, 0x9c400009000c0000ULL, 0x9c400009000c0000ULL, 20, 63),
	      F_V4_UDP9, 0, V_ACCEPT),
	MATCH("int LE12 drops the low nibble", M_INT(0, 0x090, 0x090, 22, 0x80 | 11), F_V4_UDP9, 0, V_ACCEPT),

	/* Unknown match types. */
	MATCH("unknown match, flag off", M_UNKNOWN(0), F_V4_UDP9, 0, V_DROP),
	MATCH("unknown match, flag on", M_UNKNOWN(0), F_V4_UDP9, O_UNSUP, V_ACCEPT),
	MATCH("NOT unknown match, flag off", M_UNKNOWN(NOT), F_V4_UDP9, 0, V_ACCEPT),

	/* AND / OR chaining. */
	CASE("OR: second alternative", F_V6_UDP9, 0, V_ACCEPT,
	     M_ET(0, ET_IPV4), M_ET(OR, ET_IPV6), R_ACCEPT),
	CASE("OR: neither", F_ARP_BCAST, 0, V_DROP,
	     M_ET(0, ET_IPV4), M_ET(OR, ET_IPV6), R_ACCEPT),
	CASE("AND: both", F_V4_UDP9, 0, V_DROP, M_PROTO(0, 17), M_DPORT(0, 9, 9), R_DROP, R_ACCEPT),
	CASE("AND: second fails", F_V4_UDP10, 0, V_ACCEPT, M_PROTO(0, 17), M_DPORT(0, 9, 9), R_DROP, R_ACCEPT),
	CASE("AND: first fails", F_V4_TCP_SYN, 0, V_ACCEPT, M_PROTO(0, 17), M_DPORT(0, 0, 65535), R_DROP, R_ACCEPT),
	CASE("OR rescues a false set", F_V4_UDP9, 0, V_ACCEPT,
	     M_PROTO(0, 6), M_DPORT(0, 9, 9), M_ET(OR, ET_IPV4), R_ACCEPT),
	CASE("NOT|OR", F_ARP_BCAST, 0, V_ACCEPT, M_ET(0, ET_IPV4), M_ET(NOT | OR, ET_IPV6), R_ACCEPT),
	CASE("AND after OR", F_V6_UDP9, 0, V_DROP,
	     M_ET(0, ET_IPV4), M_ET(OR, ET_IPV6), M_DPORT(0, 10, 10), R_ACCEPT),
	CASE("default rules: ARP passes", F_ARP_BCAST, 0, V_ACCEPT,
	     M_ET(NOT, ET_IPV4), M_ET(NOT, ET_ARP), M_ET(NOT, ET_IPV6), R_DROP, R_ACCEPT),
	CASE("default rules: IPX dropped", F_IPX, 0, V_DROP,
	     M_ET(NOT, ET_IPV4), M_ET(NOT, ET_ARP), M_ET(NOT, ET_IPV6), R_DROP, R_ACCEPT),
	CASE("new set after an action", F_V4_UDP9, 0, V_ACCEPT,
	     M_PROTO(0, 6), R_DROP, M_PROTO(0, 17), R_ACCEPT),
};

static enum verdict verdict_kind(const struct ztdp_rules_verdict *v)
{
	if (v->redirect_to != 0)
		return V_REDIRECT;
	if (!v->accept)
		return V_DROP;
	return v->super_accept ? V_SUPER : V_ACCEPT;
}

static const char *verdict_name(enum verdict v)
{
	static const char *const n[] = { "DROP", "ACCEPT", "SUPER_ACCEPT", "REDIRECT" };

	return n[v];
}

/* Evaluate case c on its frame; also through an encode/decode round trip
 * of its rules, which must give the same bytes and the same verdict. */
static void run_case(const struct rcase *c)
{
	struct ztdp_rule decoded[MAX_CASE_RULES];
	uint8_t wire[MAX_CASE_RULES * 32], wire2[sizeof(wire)];
	struct ztdp_rules_verdict v;
	struct ztdp_rules_frame fv;
	struct ztdp_rules_env env;
	struct ztdp_wr w;
	struct ztdp_rd r;
	unsigned int n = 0;
	struct fb f;

	build_frame(c->frame, &f);
	frame_view(f.b, f.n, (c->opts & O_IN) != 0, !(c->opts & O_VLAN_RAW), &fv);
	make_env(&env, &c->opts);
	ztdp_rules_filter(c->rules, c->n, NULL, 0, &fv, &env, false, &v);
	if (verdict_kind(&v) != c->expect)
		fail_msg("case \"%s\": got %s, want %s", c->name,
			 verdict_name(verdict_kind(&v)), verdict_name(c->expect));

	ztdp_wr_init(&w, wire, sizeof(wire));
	assert_int_equal(ztdp_rules_encode(&w, c->rules, c->n), ZTDP_RULES_OK);
	ztdp_rd_init(&r, wire, w.off);
	assert_int_equal(ztdp_rules_decode_all(&r, decoded, MAX_CASE_RULES, &n),
			 ZTDP_RULES_OK);
	assert_int_equal(n, c->n);
	for (unsigned int i = 0; i < n; i++)
		assert_true(ztdp_rule_equal(&decoded[i], &c->rules[i]));
	{
		struct ztdp_wr w2;

		ztdp_wr_init(&w2, wire2, sizeof(wire2));
		assert_int_equal(ztdp_rules_encode(&w2, decoded, n), ZTDP_RULES_OK);
		assert_int_equal(w2.off, w.off);
		assert_memory_equal(wire, wire2, w.off);
	}
	ztdp_rules_filter(decoded, n, NULL, 0, &fv, &env, false, &v);
	if (verdict_kind(&v) != c->expect)
		fail_msg("case \"%s\" after round trip: got %s", c->name,
			 verdict_name(verdict_kind(&v)));
}

static void test_verdict_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* Every match type of section 10.1 appears in the table both as a match
 * that holds (accepted "match, ACCEPT" case) and one that does not. */
static void test_table_covers_every_match_type(void **state)
{
	bool pos[64] = { false }, neg[64] = { false }, actions[16] = { false };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rcase *c = &cases[i];

		for (unsigned int k = 0; k < c->n; k++) {
			unsigned int t = c->rules[k].t & ZTDP_RULE_TYPE_MASK;

			if (t <= ZTDP_RULE_ACTION_MAX_ID) {
				actions[t] = true;
				continue;
			}
			if (c->n == 2 && k == 0 &&
			    !(c->rules[0].t & ZTDP_RULE_FLAG_NOT)) {
				if (c->expect == V_ACCEPT)
					pos[t] = true;
				else if (c->expect == V_DROP)
					neg[t] = true;
			}
		}
	}
	for (unsigned int t = ZTDP_RULE_MATCH_SOURCE_ZEROTIER_ADDRESS;
	     t <= ZTDP_RULE_MATCH_INTEGER_RANGE; t++) {
		if (!pos[t] || !neg[t])
			fail_msg("%s lacks a %s case", ztdp_rule_type_name(t),
				 pos[t] ? "negative" : "positive");
	}
	for (unsigned int t = ZTDP_RULE_ACTION_DROP; t <= ZTDP_RULE_ACTION_PRIORITY; t++)
		if (!actions[t])
			fail_msg("%s not exercised", ztdp_rule_type_name(t));
}

/* ---- Side outputs: copies, redirects, QoS, capabilities ------------------- */

static void filter_frame(const struct ztdp_rule *rules, unsigned int n,
			 const struct ztdp_rules_set *caps, unsigned int ncaps,
			 enum frame_id id, unsigned int opts, bool no_tee,
			 struct ztdp_rules_verdict *v)
{
	static unsigned int o;
	struct ztdp_rules_frame fv;
	struct ztdp_rules_env env;
	static struct fb f;

	o = opts;
	build_frame(id, &f);
	frame_view(f.b, f.n, (opts & O_IN) != 0, true, &fv);
	make_env(&env, &o);
	ztdp_rules_filter(rules, n, caps, ncaps, &fv, &env, no_tee, v);
}

static void test_copies_and_redirects(void **state)
{
	const struct ztdp_rule tee[] = { R_FWD(ZTDP_RULE_ACTION_TEE, NODE_C, 16), R_ACCEPT };
	const struct ztdp_rule tee_big[] = { R_FWD(ZTDP_RULE_ACTION_TEE, NODE_C, 5000), R_ACCEPT };
	const struct ztdp_rule watch[] = { R_WATCH(NODE_C), R_ACCEPT };
	const struct ztdp_rule two_tees[] = { R_TEE(NODE_C), R_TEE(NODE_ROOT), R_ACCEPT };
	const struct ztdp_rule tee_zero[] = { R_TEE(NODE_C), R_TEE(0), R_ACCEPT };
	const struct ztdp_rule tee_drop[] = { R_TEE(NODE_C), R_DROP };
	const struct ztdp_rule redirect[] = { R_TEE(NODE_ROOT), R_REDIRECT(NODE_C) };
	const struct ztdp_rule redirect_zero[] = { R_REDIRECT(0) };
	const struct ztdp_rule prio[] = { R_PRIORITY };
	struct ztdp_rules_verdict v;

	(void)state;
	filter_frame(tee, 2, NULL, 0, F_V4_UDP9, 0, false, &v);
	assert_true(v.accept);
	assert_int_equal(v.copy_count, 1);
	assert_int_equal(v.copies[0].address, NODE_C);
	assert_int_equal(v.copies[0].length, 16);
	assert_int_equal(v.copies[0].ext_flags, ZTDP_EXT_FRAME_FLAGS_TEE_OUT);

	/* The copy length is capped at the frame (32-byte payload here). */
	filter_frame(tee_big, 2, NULL, 0, F_V4_UDP9, O_IN, false, &v);
	assert_int_equal(v.copy_count, 1);
	assert_int_equal(v.copies[0].length, 32);
	assert_int_equal(v.copies[0].ext_flags, ZTDP_EXT_FRAME_FLAGS_TEE_IN);

	filter_frame(watch, 2, NULL, 0, F_V4_UDP9, 0, false, &v);
	assert_int_equal(v.copies[0].length, 32);
	assert_int_equal(v.copies[0].ext_flags, ZTDP_EXT_FRAME_FLAGS_WATCH_OUT);
	filter_frame(watch, 2, NULL, 0, F_V4_UDP9, O_IN, false, &v);
	assert_int_equal(v.copies[0].ext_flags, ZTDP_EXT_FRAME_FLAGS_WATCH_IN);

	/* no_tee suppresses outbound copies only (1.14.1 has no such switch
	 * inbound). */
	filter_frame(tee, 2, NULL, 0, F_V4_UDP9, 0, true, &v);
	assert_true(v.accept);
	assert_int_equal(v.copy_count, 0);

	/* The last TEE wins, even a TEE to 0 that cancels the copy. */
	filter_frame(two_tees, 3, NULL, 0, F_V4_UDP9, 0, false, &v);
	assert_int_equal(v.copy_count, 1);
	assert_int_equal(v.copies[0].address, NODE_ROOT);
	filter_frame(tee_zero, 3, NULL, 0, F_V4_UDP9, 0, false, &v);
	assert_int_equal(v.copy_count, 0);

	/* No copy of a dropped frame. */
	filter_frame(tee_drop, 2, NULL, 0, F_V4_UDP9, 0, false, &v);
	assert_false(v.accept);
	assert_int_equal(v.copy_count, 0);

	/* Redirect: not sent normally, forwarded whole; earlier TEE kept. */
	filter_frame(redirect, 2, NULL, 0, F_V4_UDP9, 0, false, &v);
	assert_false(v.accept);
	assert_int_equal(v.redirect_to, NODE_C);
	assert_int_equal(v.redirect_flags, ZTDP_EXT_FRAME_FLAGS_REDIRECT_OUT);
	assert_int_equal(v.copy_count, 1);
	assert_int_equal(v.copies[0].address, NODE_ROOT);
	filter_frame(redirect, 2, NULL, 0, F_V4_UDP9, O_IN, false, &v);
	assert_int_equal(v.redirect_flags, ZTDP_EXT_FRAME_FLAGS_REDIRECT_IN);

	/* A redirect to address 0 is an accept of the unchanged frame. */
	filter_frame(redirect_zero, 1, NULL, 0, F_V4_UDP9, 0, false, &v);
	assert_true(v.accept);
	assert_int_equal(v.redirect_to, 0);

	/* PRIORITY: bucket 0 (the value never travels). */
	filter_frame(prio, 1, NULL, 0, F_V4_UDP9, 0, false, &v);
	assert_true(v.accept);
	assert_int_equal(v.qos_bucket, 0);
	filter_frame(tee, 2, NULL, 0, F_V4_UDP9, 0, false, &v);
	assert_int_equal(v.qos_bucket, ZTDP_RULE_QOS_BUCKET_DEFAULT);
}

static void test_capabilities_after_rules(void **state)
{
	const struct ztdp_rule net_fall[] = { M_PROTO(0, 6), R_ACCEPT };
	const struct ztdp_rule net_fall_tee[] = { R_TEE(NODE_ROOT), M_PROTO(0, 6), R_ACCEPT };
	const struct ztdp_rule net_drop[] = { R_DROP };
	const struct ztdp_rule cap_tcp[] = { M_PROTO(0, 6), R_ACCEPT };
	const struct ztdp_rule cap_drop_udp[] = { M_PROTO(0, 17), R_DROP, R_ACCEPT };
	const struct ztdp_rule cap_udp9[] = { M_DPORT(0, 9, 9), R_TEE(NODE_C), R_ACCEPT };
	const struct ztdp_rule cap_redirect[] = { R_REDIRECT(NODE_C) };
	const struct ztdp_rule cap_tee_us[] = { R_TEE(NODE_A) };
	struct ztdp_rules_set caps[3];
	struct ztdp_rules_verdict v;

	(void)state;
	/* Nothing accepts: dropped. */
	caps[0] = (struct ztdp_rules_set){ cap_tcp, 2 };
	filter_frame(net_fall, 2, caps, 1, F_V4_UDP9, 0, false, &v);
	assert_false(v.accept);
	assert_int_equal(v.capability, -1);

	/* A capability's DROP only ends that capability; the next accepts,
	 * and its TEE is sent first, then the network rules' TEE. */
	caps[0] = (struct ztdp_rules_set){ cap_drop_udp, 3 };
	caps[1] = (struct ztdp_rules_set){ cap_tcp, 2 };
	caps[2] = (struct ztdp_rules_set){ cap_udp9, 3 };
	filter_frame(net_fall_tee, 3, caps, 3, F_V4_UDP9, 0, false, &v);
	assert_true(v.accept);
	assert_int_equal(v.capability, 2);
	assert_int_equal(v.copy_count, 2);
	assert_int_equal(v.copies[0].address, NODE_C);
	assert_int_equal(v.copies[1].address, NODE_ROOT);

	/* The network rules' DROP is final: capabilities are not asked. */
	filter_frame(net_drop, 1, caps, 3, F_V4_UDP9, 0, false, &v);
	assert_false(v.accept);
	assert_int_equal(v.capability, -1);

	/* Redirect from a capability. */
	caps[0] = (struct ztdp_rules_set){ cap_redirect, 1 };
	filter_frame(net_fall, 2, caps, 1, F_V4_UDP9, 0, false, &v);
	assert_false(v.accept);
	assert_int_equal(v.redirect_to, NODE_C);
	assert_int_equal(v.capability, 0);

	/* A capability naming us as TEE target: super inbound, plain out. */
	caps[0] = (struct ztdp_rules_set){ cap_tee_us, 1 };
	filter_frame(net_fall, 2, caps, 1, F_V4_UDP9, O_IN, false, &v);
	assert_true(v.accept);
	assert_true(v.super_accept);
	filter_frame(net_fall, 2, caps, 1, F_V4_UDP9, 0, false, &v);
	assert_false(v.accept);	/* outbound the TEE to us is ignored */
}

/* ---- Codec: every type round trips; malformed input -------------------------- */

struct codec_vec {
	const char *hex;	/* one canonical rule record */
	unsigned int type;
};

static const struct codec_vec codec_vecs[] = {
	{ "0000", ZTDP_RULE_ACTION_DROP },
	{ "0100", ZTDP_RULE_ACTION_ACCEPT },
	{ "020e0000001122334455deadbeef0040", ZTDP_RULE_ACTION_TEE },
	{ "030e00000011223344550000000105dc", ZTDP_RULE_ACTION_WATCH },
	{ "040e000000112233445500000000 0000", ZTDP_RULE_ACTION_REDIRECT },
	{ "0500", ZTDP_RULE_ACTION_BREAK },
	{ "0600", ZTDP_RULE_ACTION_PRIORITY },
	{ "18050265755a25", ZTDP_RULE_MATCH_SOURCE_ZEROTIER_ADDRESS },
	{ "99059c1c357ba4", ZTDP_RULE_MATCH_DEST_ZEROTIER_ADDRESS },
	{ "1a02002a", ZTDP_RULE_MATCH_VLAN_ID },
	{ "1b0103", ZTDP_RULE_MATCH_VLAN_PCP },
	{ "1c0101", ZTDP_RULE_MATCH_VLAN_DEI },
	{ "1d06763d63790e1c", ZTDP_RULE_MATCH_MAC_SOURCE },
	{ "5e06ffffffffffff", ZTDP_RULE_MATCH_MAC_DEST },
	{ "1f050a93210018", ZTDP_RULE_MATCH_IPV4_SOURCE },
	{ "20050a93210c20", ZTDP_RULE_MATCH_IPV4_DEST },
	{ "2111fd7a4d39540c063f0000000000000000 40", ZTDP_RULE_MATCH_IPV6_SOURCE },
	{ "2211fd7a4d39540c063f7499939c1c357ba4 80", ZTDP_RULE_MATCH_IPV6_DEST },
	{ "2303fc2828", ZTDP_RULE_MATCH_IP_TOS },
	{ "240111", ZTDP_RULE_MATCH_IP_PROTOCOL },
	{ "a5020800", ZTDP_RULE_MATCH_ETHERTYPE },
	{ "2603030101", ZTDP_RULE_MATCH_ICMP },
	{ "270400500050", ZTDP_RULE_MATCH_IP_SOURCE_PORT_RANGE },
	{ "280400090009", ZTDP_RULE_MATCH_IP_DEST_PORT_RANGE },
	{ "29089000000000000002", ZTDP_RULE_MATCH_CHARACTERISTICS },
	{ "2a04004005dc", ZTDP_RULE_MATCH_FRAME_SIZE_RANGE },
	{ "2b047fffffff", ZTDP_RULE_MATCH_RANDOM },
	{ "2c080000000100000002", ZTDP_RULE_MATCH_TAGS_DIFFERENCE },
	{ "2d080000000200000000", ZTDP_RULE_MATCH_TAGS_BITWISE_AND },
	{ "2e0800000002000000ff", ZTDP_RULE_MATCH_TAGS_BITWISE_OR },
	{ "6f0800000002000000ff", ZTDP_RULE_MATCH_TAGS_BITWISE_XOR },
	{ "300800000003 00000007", ZTDP_RULE_MATCH_TAGS_EQUAL },
	{ "31080000000100000005", ZTDP_RULE_MATCH_TAG_SENDER },
	{ "f2080000000100000007", ZTDP_RULE_MATCH_TAG_RECEIVER },
	{ "3313000000000000000900000000000000140010 0f", ZTDP_RULE_MATCH_INTEGER_RANGE },
	/* Unknown types keep their value. */
	{ "1403abcdef", 20 },
	{ "0700", 7 },
	{ "3f00", 63 },
};

/* Hex with optional spaces. */
static size_t unhex_spaced(const char *hex, uint8_t *out, size_t cap)
{
	char clean[512];
	size_t n = 0;

	for (const char *p = hex; *p; p++)
		if (*p != ' ') {
			assert_true(n + 1 < sizeof(clean));
			clean[n++] = *p;
		}
	clean[n] = '\0';
	assert_true(n / 2 <= cap);
	ztdp_test_unhex_exact(clean, out, n / 2);
	return n / 2;
}

static void test_codec_every_type(void **state)
{
	bool seen[64] = { false };

	(void)state;
	for (size_t i = 0; i < sizeof(codec_vecs) / sizeof(codec_vecs[0]); i++) {
		uint8_t in[64], out[64];
		struct ztdp_rule rule, again, scratch;
		struct ztdp_rd r;
		struct ztdp_wr w;
		size_t n = unhex_spaced(codec_vecs[i].hex, in, sizeof(in));
		unsigned int cnt = 0;

		ztdp_rd_init(&r, in, n);
		assert_int_equal(ztdp_rules_decode(&r, 1, &rule, 1), ZTDP_RULES_OK);
		assert_int_equal(ztdp_rd_left(&r), 0);
		assert_int_equal(rule.t & ZTDP_RULE_TYPE_MASK, codec_vecs[i].type);
		assert_int_equal(ztdp_rule_encoded_len(&rule), (int)n);
		ztdp_wr_init(&w, out, sizeof(out));
		assert_int_equal(ztdp_rules_encode(&w, &rule, 1), ZTDP_RULES_OK);
		assert_int_equal(w.off, n);
		assert_memory_equal(in, out, n);
		/* decode(encode(x)) == x */
		ztdp_rd_init(&r, out, w.off);
		assert_int_equal(ztdp_rules_decode_all(&r, &again, 1, &cnt), ZTDP_RULES_OK);
		assert_int_equal(cnt, 1);
		assert_true(ztdp_rule_equal(&rule, &again));
		seen[codec_vecs[i].type] = true;

		/* Every proper prefix is truncated. */
		for (size_t k = 0; k < n; k++) {
			ztdp_rd_init(&r, in, k);
			assert_int_equal(ztdp_rules_decode(&r, 1, &scratch, 1),
					 ZTDP_RULES_E_TRUNCATED);
			assert_false(ztdp_rd_ok(&r));
		}
		/* A length byte one short of the type's value. */
		if (n > 2 && codec_vecs[i].type < 52 &&
		    ztdp_rule_type_name(codec_vecs[i].type)[0] != 'U') {
			uint8_t bad[64];

			memcpy(bad, in, n);
			bad[1]--;
			ztdp_rd_init(&r, bad, n - 1);
			assert_int_equal(ztdp_rules_decode(&r, 1, &scratch, 1),
					 ZTDP_RULES_E_SHORT_VALUE);
			/* Still an error with the value's last byte present. */
			ztdp_rd_init(&r, bad, n);
			assert_int_equal(ztdp_rules_decode(&r, 1, &scratch, 1),
					 ZTDP_RULES_E_SHORT_VALUE);
		}
		/* A longer value: accepted, tail ignored, canonical again. */
		if (ztdp_rule_type_name(codec_vecs[i].type)[0] != 'U') {
			uint8_t longer[64];

			memcpy(longer, in, n);
			longer[1]++;
			longer[n] = 0xee;
			ztdp_rd_init(&r, longer, n + 1);
			assert_int_equal(ztdp_rules_decode(&r, 1, &again, 1), ZTDP_RULES_OK);
			assert_int_equal(ztdp_rd_left(&r), 0);
			assert_true(ztdp_rule_equal(&rule, &again));
			ztdp_wr_init(&w, out, sizeof(out));
			assert_int_equal(ztdp_rules_encode(&w, &again, 1), ZTDP_RULES_OK);
			assert_memory_equal(in, out, n);
		}
	}
	for (unsigned int t = 0; t <= ZTDP_RULE_MATCH_INTEGER_RANGE; t++)
		if (strcmp(ztdp_rule_type_name(t), "UNKNOWN") != 0 && !seen[t])
			fail_msg("no codec vector for %s", ztdp_rule_type_name(t));
}

static void test_codec_fields(void **state)
{
	uint8_t in[64];
	struct ztdp_rule rule;
	struct ztdp_rd r;
	size_t n;

	(void)state;
	n = unhex_spaced("020e0000001122334455deadbeef0040", in, sizeof(in));
	ztdp_rd_init(&r, in, n);
	assert_int_equal(ztdp_rules_decode(&r, 1, &rule, 1), 0);
	assert_int_equal(rule.v.fwd.address, NODE_C);
	assert_int_equal(rule.v.fwd.flags, 0xdeadbeef);
	assert_int_equal(rule.v.fwd.length, 0x40);

	n = unhex_spaced("a5020800", in, sizeof(in));
	ztdp_rd_init(&r, in, n);
	assert_int_equal(ztdp_rules_decode(&r, 1, &rule, 1), 0);
	assert_int_equal(rule.t, ZTDP_RULE_FLAG_NOT | ZTDP_RULE_MATCH_ETHERTYPE);
	assert_int_equal(rule.v.ethertype, ET_IPV4);

	n = unhex_spaced("1f050a93210018", in, sizeof(in));
	ztdp_rd_init(&r, in, n);
	assert_int_equal(ztdp_rules_decode(&r, 1, &rule, 1), 0);
	assert_memory_equal(rule.v.ipv4.ip, IP4_A, 3);
	assert_int_equal(rule.v.ipv4.mask, 24);

	n = unhex_spaced("3313000000000000000900000000000000140010 8f", in, sizeof(in));
	ztdp_rd_init(&r, in, n);
	assert_int_equal(ztdp_rules_decode(&r, 1, &rule, 1), 0);
	assert_int_equal(rule.v.int_range.start, 9);
	assert_int_equal(rule.v.int_range.end, 0x14);
	assert_int_equal(rule.v.int_range.idx, 16);
	assert_int_equal(rule.v.int_range.format, 0x8f);

	n = unhex_spaced("6f0800000002000000ff", in, sizeof(in));
	ztdp_rd_init(&r, in, n);
	assert_int_equal(ztdp_rules_decode(&r, 1, &rule, 1), 0);
	assert_int_equal(rule.t, ZTDP_RULE_FLAG_OR | ZTDP_RULE_MATCH_TAGS_BITWISE_XOR);
	assert_int_equal(rule.v.tag.id, 2);
	assert_int_equal(rule.v.tag.value, 0xff);
}

static void test_codec_malformed(void **state)
{
	uint8_t buf[300], out[300];
	struct ztdp_rule rules[4];
	struct ztdp_rd r;
	struct ztdp_wr w;
	unsigned int n;

	(void)state;
	/* Count larger than the room. */
	ztdp_rd_init(&r, "\x01\x00\x01\x00", 4);
	assert_int_equal(ztdp_rules_decode(&r, 2, rules, 1), ZTDP_RULES_E_TOO_MANY);
	ztdp_rd_init(&r, "\x01\x00\x01\x00", 4);
	assert_int_equal(ztdp_rules_decode_all(&r, rules, 1, &n), ZTDP_RULES_E_TOO_MANY);
	/* Count larger than the input. */
	ztdp_rd_init(&r, "\x01\x00", 2);
	assert_int_equal(ztdp_rules_decode(&r, 2, rules, 4), ZTDP_RULES_E_TRUNCATED);
	/* Exactly count rules are read; the rest is left. */
	ztdp_rd_init(&r, "\x01\x00\x00\x00", 4);
	assert_int_equal(ztdp_rules_decode(&r, 1, rules, 4), ZTDP_RULES_OK);
	assert_int_equal(ztdp_rd_left(&r), 2);
	/* Empty list. */
	ztdp_rd_init(&r, buf, 0);
	assert_int_equal(ztdp_rules_decode_all(&r, rules, 4, &n), ZTDP_RULES_OK);
	assert_int_equal(n, 0);
	/* A lone type byte. */
	ztdp_rd_init(&r, "\x25", 1);
	assert_int_equal(ztdp_rules_decode_all(&r, rules, 4, &n), ZTDP_RULES_E_TRUNCATED);
	/* A length running past the end, after a good rule. */
	ztdp_rd_init(&r, "\x01\x00\x25\x05\x08\x00", 6);
	assert_int_equal(ztdp_rules_decode_all(&r, rules, 4, &n), ZTDP_RULES_E_TRUNCATED);
	assert_int_equal(n, 1);

	/* An unknown type with a long value: accepted and skipped, kept for
	 * evaluation, but it cannot be re-encoded. */
	memset(buf, 0xab, sizeof(buf));
	buf[0] = 21;
	buf[1] = 200;
	buf[202] = ZTDP_RULE_ACTION_ACCEPT;
	buf[203] = 0;
	ztdp_rd_init(&r, buf, 204);
	assert_int_equal(ztdp_rules_decode_all(&r, rules, 4, &n), ZTDP_RULES_OK);
	assert_int_equal(n, 2);
	assert_int_equal(rules[0].raw_len, 200);
	assert_int_equal(rules[1].t, ZTDP_RULE_ACTION_ACCEPT);
	assert_int_equal(ztdp_rule_encoded_len(&rules[0]), ZTDP_RULES_E_UNENCODABLE);
	ztdp_wr_init(&w, out, sizeof(out));
	assert_int_equal(ztdp_rules_encode(&w, rules, 2), ZTDP_RULES_E_UNENCODABLE);
	/* The longest keepable unknown value round trips. */
	buf[1] = ZTDP_RULE_RAW_MAX;
	buf[2 + ZTDP_RULE_RAW_MAX] = 0x01;
	buf[3 + ZTDP_RULE_RAW_MAX] = 0x00;
	ztdp_rd_init(&r, buf, 4 + ZTDP_RULE_RAW_MAX);
	assert_int_equal(ztdp_rules_decode_all(&r, rules, 4, &n), ZTDP_RULES_OK);
	ztdp_wr_init(&w, out, sizeof(out));
	assert_int_equal(ztdp_rules_encode(&w, rules, n), ZTDP_RULES_OK);
	assert_int_equal(w.off, 4 + ZTDP_RULE_RAW_MAX);
	assert_memory_equal(buf, out, w.off);

	/* Encoder out of room. */
	ztdp_wr_init(&w, out, 3);
	rules[0] = (struct ztdp_rule)M_PROTO(0, 17);
	rules[1] = (struct ztdp_rule)R_ACCEPT;
	assert_int_equal(ztdp_rules_encode(&w, rules, 2), ZTDP_RULES_E_NOSPACE);

	assert_string_equal(ztdp_rule_type_name(ZTDP_RULE_MATCH_IP_PROTOCOL),
			    "MATCH_IP_PROTOCOL");
	assert_string_equal(ztdp_rule_type_name(22), "UNKNOWN");
	assert_non_null(ztdp_rules_strerror(ZTDP_RULES_E_SHORT_VALUE));
}

/* Frames whose headers point past their end: every match type is evaluated
 * on exact-size heap copies (so ASan would see an overread) and must give a
 * verdict. These are the places 1.14.1 itself reads out of bounds (TCP
 * flags behind a long IHL) or where lengths come from the frame (IHL, IPv6
 * extension header lengths, INTEGER_RANGE index). No fuzzing crash so far;
 * any becomes a case here. */
static void test_hostile_frames(void **state)
{
	static const char *const frames_hex[] = {
		"",						/* empty */
		"4f",						/* 1 byte */
		"4f000014000000004006000001020304050607 08",	/* IHL 15, TCP, 20 bytes */
		"4f000014000000004001000001020304050607 08",	/* IHL 15, ICMP */
		"41000014000000004011000001020304050607 08 0000",	/* IHL 1 */
		"6000000000080040 fd7a4d39540c063f7499930265755a25 fd7a4d39540c063f7499939c1c357ba4 11ff000000000000",
		"6000000000080000 fd7a4d39540c063f7499930265755a25 fd7a4d39540c063f7499939c1c357ba4 3a01000000000000",
		"6000000000000006 fd7a4d39540c063f7499930265755a25 fd7a4d39540c063f7499939c1c357ba4",
		"600000000000003a fd7a4d39540c063f7499930265755a25 fd7a4d39540c063f7499939c1c357ba4 87",
	};
	static const uint16_t ets[] = { ET_IPV4, ET_IPV6, ET_ARP, ET_VLAN };
	struct ztdp_rule rules[64];
	unsigned int n = 0, opts = O_TAGS | O_OWN_IP | O_OWN_MAC;

	(void)state;
	/* Every known type (negated too), ending in ACCEPT. */
	for (size_t i = 0; i < sizeof(codec_vecs) / sizeof(codec_vecs[0]); i++) {
		uint8_t in[64];
		size_t len = unhex_spaced(codec_vecs[i].hex, in, sizeof(in));
		struct ztdp_rd r;

		if (codec_vecs[i].type <= ZTDP_RULE_ACTION_MAX_ID)
			continue;
		ztdp_rd_init(&r, in, len);
		assert_int_equal(ztdp_rules_decode(&r, 1, &rules[n], 1), 0);
		rules[n].t |= ZTDP_RULE_FLAG_OR;
		n++;
	}
	rules[n++] = (struct ztdp_rule)M_INT(0, 0, UINT64_MAX, 65535, 63);
	rules[n++] = (struct ztdp_rule)M_INT(OR, 0, UINT64_MAX, 65535, 0x80 | 63);
	rules[n++] = (struct ztdp_rule)R_ACCEPT;

	for (size_t i = 0; i < sizeof(frames_hex) / sizeof(frames_hex[0]); i++) {
		uint8_t tmp[256];
		size_t len = unhex_spaced(frames_hex[i], tmp, sizeof(tmp));

		for (size_t e = 0; e < sizeof(ets) / sizeof(ets[0]); e++) {
			for (size_t k = 0; k <= len; k++) {
				uint8_t *exact = malloc(k ? k : 1);
				struct ztdp_rules_frame fv;
				struct ztdp_rules_env env;
				struct ztdp_rules_verdict v;

				memcpy(exact, tmp, k);
				memset(&fv, 0, sizeof(fv));
				fv.inbound = (k & 1) != 0;
				fv.zt_source = fv.inbound ? NODE_B : NODE_A;
				fv.zt_dest = fv.inbound ? NODE_A : NODE_B;
				fv.ethertype = ets[e];
				fv.data = k ? exact : NULL;
				fv.len = k;
				make_env(&env, &opts);
				ztdp_rules_filter(rules, n, NULL, 0, &fv, &env, false, &v);
				free(exact);
			}
		}
	}
}

/* ---- Real data: the data-bridge capture ------------------------------------ */

/* Find the fixture in the source tree. */
static const char *source_path(const char *rel)
{
	static char path[4096];
	const char *dir = getenv("ZTDP_SOURCE_DIR");

	snprintf(path, sizeof(path), "%s/%s", dir != NULL ? dir : "..", rel);
	return path;
}

static uint8_t *load_fixture(size_t *len)
{
	size_t tlen, n = 0;
	uint8_t *text = ztdp_test_read_file(source_path(FIXTURE_REL), &tlen);
	char *hex = malloc(tlen + 1);
	uint8_t *bin;

	assert_non_null(hex);
	/* Lines starting with '#' are comments; the rest is hex. */
	for (size_t i = 0; i < tlen; i++) {
		if (text[i] == '#') {
			while (i < tlen && text[i] != '\n')
				i++;
			continue;
		}
		if ((text[i] >= '0' && text[i] <= '9') ||
		    (text[i] >= 'a' && text[i] <= 'f'))
			hex[n++] = (char)text[i];
	}
	hex[n] = '\0';
	bin = ztdp_test_unhex(hex, len);
	free(hex);
	free(text);
	return bin;
}

/* Rules from the controller's JSON (the subset of fields it uses). */
static unsigned int rules_from_json(json_t *arr, struct ztdp_rule *rules,
				    unsigned int max)
{
	size_t i;
	json_t *o;
	unsigned int n = 0;

	json_array_foreach(arr, i, o) {
		const char *type = ztdp_test_json_str(o, "type");
		struct ztdp_rule *r = &rules[n++];
		unsigned int t;

		assert_true(n <= max);
		memset(r, 0, sizeof(*r));
		for (t = 0; t < 64; t++)
			if (strcmp(ztdp_rule_type_name(t), type) == 0)
				break;
		assert_true(t < 64);
		r->t = (uint8_t)t;
		if (json_is_true(json_object_get(o, "not")))
			r->t |= ZTDP_RULE_FLAG_NOT;
		if (json_is_true(json_object_get(o, "or")))
			r->t |= ZTDP_RULE_FLAG_OR;
		switch (t) {
		case ZTDP_RULE_MATCH_IP_PROTOCOL:
			r->v.ip_protocol = (uint8_t)json_integer_value(
				json_object_get(o, "ipProtocol"));
			break;
		case ZTDP_RULE_MATCH_IP_SOURCE_PORT_RANGE:
		case ZTDP_RULE_MATCH_IP_DEST_PORT_RANGE:
			r->v.port[0] = (uint16_t)json_integer_value(json_object_get(o, "start"));
			r->v.port[1] = (uint16_t)json_integer_value(json_object_get(o, "end"));
			break;
		case ZTDP_RULE_ACTION_DROP:
		case ZTDP_RULE_ACTION_ACCEPT:
			break;
		default:
			fail_msg("rule type %s not expected in this capture", type);
		}
	}
	return n;
}

static void test_real_bridge_rules(void **state)
{
	struct ztdp_rule rules[16], want[16];
	uint8_t out[64];
	unsigned int n = 0, nwant;
	struct ztdp_rd r;
	struct ztdp_wr w;
	json_t *json;
	uint8_t *bin;
	size_t len;

	(void)state;
	bin = load_fixture(&len);
	ztdp_rd_init(&r, bin, len);
	assert_int_equal(ztdp_rules_decode_all(&r, rules, 16, &n), ZTDP_RULES_OK);
	/* Section 10.2 "observed": types 36 (len 1), 40 (len 4), 0, 1. */
	assert_int_equal(n, 4);
	assert_int_equal(rules[0].t, ZTDP_RULE_MATCH_IP_PROTOCOL);
	assert_int_equal(rules[0].v.ip_protocol, 17);
	assert_int_equal(rules[1].t, ZTDP_RULE_MATCH_IP_DEST_PORT_RANGE);
	assert_int_equal(rules[1].v.port[0], 9);
	assert_int_equal(rules[1].v.port[1], 9);
	assert_int_equal(rules[2].t, ZTDP_RULE_ACTION_DROP);
	assert_int_equal(rules[3].t, ZTDP_RULE_ACTION_ACCEPT);

	/* Byte-identical re-encoding. */
	ztdp_wr_init(&w, out, sizeof(out));
	assert_int_equal(ztdp_rules_encode(&w, rules, n), ZTDP_RULES_OK);
	assert_int_equal(w.off, len);
	assert_memory_equal(out, bin, len);

	/* The same rules as the controller reports them. */
	if (ztdp_test_have_shared(BRIDGE_RULES_JSON)) {
		json = ztdp_test_load_json(BRIDGE_RULES_JSON);
		nwant = rules_from_json(json, want, 16);
		assert_int_equal(nwant, n);
		for (unsigned int i = 0; i < n; i++)
			assert_true(ztdp_rule_equal(&rules[i], &want[i]));
		json_decref(json);
	}

	/* UDP/9 dropped, UDP/10 and everything else passes, both families. */
	{
		static const struct { enum frame_id f; bool ok; } exp[] = {
			{ F_V4_UDP9, false }, { F_V6_UDP9, false },
			{ F_V6_HBH_UDP9, false }, { F_V4_BIG, false },
			{ F_V4_UDP10, true }, { F_V6_UDP10, true },
			{ F_V4_TCP_SYN, true }, { F_V6_TCP, true },
			{ F_V4_ICMP_ECHO, true }, { F_V6_ICMP_ECHO, true },
			{ F_ARP_BCAST, true }, { F_V6_NS, true },
			{ F_V4_SCTP, true },
		};
		struct ztdp_rules_verdict v;

		for (size_t i = 0; i < sizeof(exp) / sizeof(exp[0]); i++) {
			filter_frame(rules, n, NULL, 0, exp[i].f, 0, false, &v);
			assert_int_equal(v.accept, exp[i].ok);
			filter_frame(rules, n, NULL, 0, exp[i].f, O_IN, false, &v);
			assert_int_equal(v.accept, exp[i].ok);
		}
	}
	free(bin);
}

/* Per-capture tallies of the real-frame check. */
struct tap_counts {
	unsigned int frames, dropped;
	unsigned int udp9_v4, udp9_v6, udp10_v4, udp10_v6;
	unsigned int dropped_udp9;
};

/* UDP destination port of an untagged Ethernet frame, or -1. */
static int eth_udp_dport(const uint8_t *p, size_t len, bool *v6)
{
	unsigned int et;
	size_t l4;

	if (len < ETH_HDR)
		return -1;
	et = ztdp_load_be16(p + 12);
	if (et == ET_IPV4 && len >= ETH_HDR + 20 && p[ETH_HDR + 9] == 17) {
		l4 = ETH_HDR + (size_t)(p[ETH_HDR] & 0x0f) * 4;
		*v6 = false;
	} else if (et == ET_IPV6 && len >= ETH_HDR + 40 && p[ETH_HDR + 6] == 17) {
		l4 = ETH_HDR + 40;
		*v6 = true;
	} else {
		return -1;
	}
	if (len < l4 + 4)
		return -1;
	return ztdp_load_be16(p + l4 + 2);
}

/* Run every frame of a member's TAP capture through the real rules, as
 * that member sends it (outbound; frames it sent) or receives it. */
static void run_tap(const char *rel, uint64_t self, uint64_t peer,
		    uint64_t self_mac, const struct ztdp_rule *rules,
		    unsigned int n, struct tap_counts *tc)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *p;
	pcap_t *pc;
	int rc;

	memset(tc, 0, sizeof(*tc));
	pc = pcap_open_offline(ztdp_test_shared_path(rel), errbuf);
	if (pc == NULL)
		fail_msg("%s: %s", rel, errbuf);
	assert_int_equal(pcap_datalink(pc), DLT_EN10MB);
	while ((rc = pcap_next_ex(pc, &h, &p)) == 1) {
		struct ztdp_rules_verdict v;
		struct ztdp_rules_frame fv;
		struct ztdp_rules_env env;
		bool v6 = false;
		int dport;

		if (h->caplen < ETH_HDR || h->caplen != h->len)
			continue;
		tc->frames++;
		memset(&fv, 0, sizeof(fv));
		fv.mac_dest = ztdp_load_be40(p) << 8 | p[5];
		fv.mac_source = ztdp_load_be40(p + 6) << 8 | p[11];
		fv.ethertype = ztdp_load_be16(p + 12);
		fv.data = p + ETH_HDR;
		fv.len = h->caplen - ETH_HDR;
		/* Frames from our own MAC leave through the rules outbound;
		 * the others arrived through them inbound. */
		fv.inbound = fv.mac_source != self_mac;
		fv.zt_source = fv.inbound ? peer : self;
		fv.zt_dest = fv.inbound ? self : peer;
		memset(&env, 0, sizeof(env));
		env.self = self;
		ztdp_rules_filter(rules, n, NULL, 0, &fv, &env, false, &v);
		dport = eth_udp_dport(p, h->caplen, &v6);
		if (dport == 9)
			*(v6 ? &tc->udp9_v6 : &tc->udp9_v4) += 1;
		if (dport == 10)
			*(v6 ? &tc->udp10_v6 : &tc->udp10_v4) += 1;
		if (!v.accept) {
			tc->dropped++;
			if (dport == 9)
				tc->dropped_udp9++;
		}
	}
	assert_int_equal(rc, PCAP_ERROR_BREAK);
	pcap_close(pc);
}

/* results.txt: 3 UDP datagrams per port and family left a's kernel; the
 * port 9 ones never reached b, the port 10 ones did. Every frame on a's TAP
 * other than UDP/9 passed, and b's TAP has nothing the rules drop. */
static void test_real_frames_through_real_rules(void **state)
{
	struct ztdp_rule rules[16];
	struct tap_counts a, b;
	unsigned int n = 0;
	struct ztdp_rd r;
	uint8_t *bin;
	size_t len;

	(void)state;
	if (!ztdp_test_have_shared(BRIDGE_OVERLAY_A) ||
	    !ztdp_test_have_shared(BRIDGE_OVERLAY_B))
		skip();
	bin = load_fixture(&len);
	ztdp_rd_init(&r, bin, len);
	assert_int_equal(ztdp_rules_decode_all(&r, rules, 16, &n), ZTDP_RULES_OK);

	run_tap(BRIDGE_OVERLAY_A, NODE_A, NODE_B, MAC_A, rules, n, &a);
	print_message("a's TAP: %u frames, %u dropped (UDP/9 v4 %u v6 %u, UDP/10 v4 %u v6 %u)\n",
		      a.frames, a.dropped, a.udp9_v4, a.udp9_v6, a.udp10_v4, a.udp10_v6);
	assert_int_equal(a.frames, 147);
	assert_int_equal(a.udp9_v4, 3);
	assert_int_equal(a.udp9_v6, 3);
	assert_int_equal(a.udp10_v4, 3);
	assert_int_equal(a.udp10_v6, 3);
	assert_int_equal(a.dropped_udp9, 6);
	assert_int_equal(a.dropped, 6);

	run_tap(BRIDGE_OVERLAY_B, NODE_B, NODE_A, MAC_B, rules, n, &b);
	print_message("b's TAP: %u frames, %u dropped (UDP/10 v4 %u v6 %u)\n",
		      b.frames, b.dropped, b.udp10_v4, b.udp10_v6);
	assert_int_equal(b.frames, 139);
	assert_int_equal(b.udp9_v4 + b.udp9_v6, 0);
	assert_int_equal(b.udp10_v4, 3);
	assert_int_equal(b.udp10_v6, 3);
	assert_int_equal(b.dropped, 0);
	free(bin);
}

/* ---- Fixture extraction from the underlay capture ------------------------- */

/*
 * How tests/data/rules/bridge-R.hex was made (and is re-checked here):
 * decrypt every packet the controller (root) sent to a or b in
 * bridge-underlay.pcap with the peer keys from identities/, LZ4-decompress,
 * take the config chunk of NETWORK_CONFIG and OK(NETWORK_CONFIG_REQUEST)
 * (section 6.11; every config there is a single chunk), unescape the
 * Dictionary's `R` value (section 8.1). Run with ZTDP_RULES_WRITE_FIXTURE
 * set to a path to write the fixture file.
 */

enum { N_ROOT, N_A, N_B, N_COUNT };

struct extract_ctx {
	struct ztdp_identity id[N_COUNT];
	struct ztdp_peer_key key[N_COUNT];	/* root <-> node */
	unsigned int configs, with_rules;
	uint8_t r_value[256];
	size_t r_len;
	bool have_r;
};

static void load_identity(struct ztdp_identity *id, const char *name)
{
	char rel[256], *text;
	const char *why = NULL;
	size_t len;
	uint8_t *raw;

	snprintf(rel, sizeof(rel), BRIDGE_DIR "identities/%s.identity.secret", name);
	raw = ztdp_test_read_file(ztdp_test_shared_path(rel), &len);
	text = (char *)raw;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	if (ztdp_identity_from_string(id, text, &why) != 0)
		fail_msg("%s: %s", rel, why);
	free(raw);
}

/* Unescaped value of `key` in a dictionary of len bytes; -1 if absent. */
static long dict_value(const uint8_t *d, size_t len, const char *key,
		       uint8_t *out, size_t cap)
{
	size_t klen = strlen(key), i = 0;

	while (i < len) {
		size_t line = i;

		if (len - line > klen && memcmp(d + line, key, klen) == 0 &&
		    d[line + klen] == '=') {
			size_t n = 0;

			for (i = line + klen + 1; i < len && d[i] != '\n' &&
			     d[i] != '\r' && d[i] != 0; i++) {
				uint8_t c = d[i];

				if (c == '\\' && i + 1 < len) {
					c = d[++i];
					c = c == '0' ? 0 : c == 'r' ? '\r' :
					    c == 'n' ? '\n' : c == 'e' ? '=' : c;
				}
				assert_true(n < cap);
				out[n++] = c;
			}
			return (long)n;
		}
		/* Skip to the next line (escaped values hold no raw LF). */
		while (i < len && d[i] != '\n')
			i++;
		i++;
	}
	return -1;
}

static void handle_chunk(struct extract_ctx *x, const uint8_t *body, size_t len)
{
	uint8_t value[256], rev[32];
	uint32_t clen, total, index;
	const uint8_t *chunk;
	long n, rn;

	assert_true(len >= 8 + 2);
	assert_int_equal(ztdp_load_be64(body), NWID);
	clen = ztdp_load_be16(body + 8);
	assert_true(len >= 10 + clen + 1 + 8 + 4 + 4);
	chunk = body + 10;
	total = ztdp_load_be32(body + 10 + clen + 1 + 8);
	index = ztdp_load_be32(body + 10 + clen + 1 + 8 + 4);
	assert_int_equal(index, 0);
	assert_int_equal(total, clen);
	x->configs++;
	rn = dict_value(chunk, clen, "r", rev, sizeof(rev) - 1);
	assert_true(rn > 0);
	rev[rn] = '\0';
	n = dict_value(chunk, clen, "R", value, sizeof(value));
	print_message("config r=%s: R %ld bytes\n", (char *)rev, n);
	if (n <= 0 || strtoul((char *)rev, NULL, 16) < 2)
		return;	/* before the rules were set */
	x->with_rules++;
	if (!x->have_r) {
		memcpy(x->r_value, value, (size_t)n);
		x->r_len = (size_t)n;
		x->have_r = true;
	} else {
		/* Every config since revision 2 carries the same rules. */
		assert_int_equal((size_t)n, x->r_len);
		assert_memory_equal(value, x->r_value, x->r_len);
	}
}

static void handle_datagram(struct extract_ctx *x, const uint8_t *udp_payload,
			    size_t len)
{
	static uint8_t pkt[ZTDP_MAX_PACKET_LEN], plain[ZTDP_MAX_PACKET_LEN];
	uint64_t src, dst;
	int node = -1;
	size_t plen;
	uint8_t verb;

	if (len < ZTDP_PKT_MIN_LEN || len > sizeof(pkt) ||
	    udp_payload[ZTDP_FRAG_IDX_INDICATOR] == ZTDP_FRAG_INDICATOR)
		return;
	src = ztdp_load_be40(udp_payload + ZTDP_PKT_IDX_SOURCE);
	dst = ztdp_load_be40(udp_payload + ZTDP_PKT_IDX_DEST);
	if (src != x->id[N_ROOT].address)
		return;
	for (int i = N_A; i < N_COUNT; i++)
		if (dst == x->id[i].address)
			node = i;
	if (node < 0)
		return;
	/* Configs in this capture are never fragmented. */
	if (udp_payload[ZTDP_PKT_IDX_FLAGS] & ZTDP_PKT_FLAG_FRAGMENTED)
		return;
	memcpy(pkt, udp_payload, len);
	if (ztdp_dearmor(&x->key[node], pkt, len) < 0)
		fail_msg("a packet from the controller did not dearmor");
	verb = pkt[ZTDP_PKT_IDX_VERB];
	plen = len;
	memcpy(plain, pkt, ZTDP_PKT_HEADER_LEN);
	if (verb & ZTDP_PKT_VERB_FLAG_COMPRESSED) {
		int d = LZ4_decompress_safe((const char *)pkt + ZTDP_PKT_IDX_PAYLOAD,
					    (char *)plain + ZTDP_PKT_IDX_PAYLOAD,
					    (int)(len - ZTDP_PKT_IDX_PAYLOAD),
					    (int)(sizeof(plain) - ZTDP_PKT_IDX_PAYLOAD));

		assert_true(d >= 0);
		plen = ZTDP_PKT_IDX_PAYLOAD + (size_t)d;
	} else {
		memcpy(plain, pkt, len);
	}
	verb &= ZTDP_PKT_VERB_MASK;
	if (verb == ZTDP_VERB_NETWORK_CONFIG)
		handle_chunk(x, plain + ZTDP_PKT_IDX_PAYLOAD, plen - ZTDP_PKT_IDX_PAYLOAD);
	else if (verb == ZTDP_VERB_OK && plen > ZTDP_PKT_IDX_PAYLOAD + ZTDP_OK_IDX_PAYLOAD &&
		 plain[ZTDP_PKT_IDX_PAYLOAD] == ZTDP_VERB_NETWORK_CONFIG_REQUEST)
		handle_chunk(x, plain + ZTDP_PKT_IDX_PAYLOAD + ZTDP_OK_IDX_PAYLOAD,
			     plen - ZTDP_PKT_IDX_PAYLOAD - ZTDP_OK_IDX_PAYLOAD);
}

static void test_fixture_from_capture(void **state)
{
	static const char *const names[N_COUNT] = { "root", "a", "b" };
	char errbuf[PCAP_ERRBUF_SIZE];
	struct extract_ctx x;
	struct pcap_pkthdr *h;
	const char *write_to;
	const u_char *p;
	uint8_t *fixture;
	size_t flen;
	pcap_t *pc;

	(void)state;
	if (!ztdp_test_have_shared(BRIDGE_UNDERLAY) ||
	    !ztdp_test_have_shared(BRIDGE_DIR "identities/root.identity.secret"))
		skip();
	memset(&x, 0, sizeof(x));
	assert_int_equal(ztdp_crypto_init(NULL), 0);
	for (int i = 0; i < N_COUNT; i++)
		load_identity(&x.id[i], names[i]);
	for (int i = N_A; i < N_COUNT; i++) {
		uint8_t k[ZTDP_PEER_KEY_LEN];

		assert_int_equal(ztdp_identity_agree(&x.id[N_ROOT], &x.id[i], k), 0);
		assert_int_equal(ztdp_peer_key_init(&x.key[i], k), 0);
	}

	pc = pcap_open_offline(ztdp_test_shared_path(BRIDGE_UNDERLAY), errbuf);
	if (pc == NULL)
		fail_msg("%s", errbuf);
	assert_int_equal(pcap_datalink(pc), DLT_EN10MB);
	while (pcap_next_ex(pc, &h, &p) == 1) {
		size_t ihl, ulen;

		/* Ethernet / IPv4 / UDP, no IP fragments in this capture. */
		if (h->caplen < ETH_HDR + 20 + 8 || ztdp_load_be16(p + 12) != ET_IPV4 ||
		    p[ETH_HDR + 9] != 17)
			continue;
		ihl = (size_t)(p[ETH_HDR] & 0x0f) * 4;
		if (h->caplen < ETH_HDR + ihl + 8)
			continue;
		ulen = ztdp_load_be16(p + ETH_HDR + ihl + 4);
		if (ulen < 8 || ETH_HDR + ihl + ulen > h->caplen)
			continue;
		handle_datagram(&x, p + ETH_HDR + ihl + 8, ulen - 8);
	}
	pcap_close(pc);
	for (int i = N_A; i < N_COUNT; i++)
		ztdp_peer_key_clear(&x.key[i]);

	print_message("%u configs from the controller, %u with the rules\n",
		      x.configs, x.with_rules);
	assert_true(x.with_rules >= 2);	/* pushed to both members */
	assert_true(x.have_r);

	write_to = getenv("ZTDP_RULES_WRITE_FIXTURE");
	if (write_to != NULL && *write_to != '\0') {
		FILE *f = fopen(write_to, "w");

		assert_non_null(f);
		fprintf(f, "# Netconf `R` (rules) of network %016" PRIx64 ", revision 2+,\n"
			   "# from interop/data-bridge/pcap/bridge-underlay.pcap: made by\n"
			   "# ZTDP_RULES_WRITE_FIXTURE=<this file> build/tests/test_rules\n"
			   "# (test_fixture_from_capture in tests/test_rules.c).\n", (uint64_t)NWID);
		for (size_t i = 0; i < x.r_len; i++)
			fprintf(f, "%02x", x.r_value[i]);
		fprintf(f, "\n");
		fclose(f);
	}
	fixture = load_fixture(&flen);
	assert_int_equal(flen, x.r_len);
	assert_memory_equal(fixture, x.r_value, flen);
	free(fixture);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_table),
		cmocka_unit_test(test_table_covers_every_match_type),
		cmocka_unit_test(test_copies_and_redirects),
		cmocka_unit_test(test_capabilities_after_rules),
		cmocka_unit_test(test_codec_every_type),
		cmocka_unit_test(test_codec_fields),
		cmocka_unit_test(test_codec_malformed),
		cmocka_unit_test(test_hostile_frames),
		cmocka_unit_test(test_fixture_from_capture),
		cmocka_unit_test(test_real_bridge_rules),
		cmocka_unit_test(test_real_frames_through_real_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
