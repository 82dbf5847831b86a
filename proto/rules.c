/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rules engine (section 10): rule list codec and per-frame evaluation.
 *
 * The evaluation follows what ZeroTierOne 1.14.1 does rather than an
 * idealised reading of the notes, because the same rules run on both ends
 * of a flow (sender outbound, receiver inbound) and a 1.14.1 peer must reach
 * the same verdict we do. The places where 1.14.1 is surprising are
 * commented where they are reproduced.
 */
#include "ztdp_rules.h"

#include <string.h>

/* Ethertypes and IP numbers the matches look at. */
#define ETHERTYPE_IPV4		0x0800
#define ETHERTYPE_ARP		0x0806
#define ETHERTYPE_IPV6		0x86dd
#define IPV4_MIN_HDR		20
#define IPV4_IDX_TOS		1
#define IPV4_IDX_PROTO		9
#define IPV4_IDX_SRC		12
#define IPV4_IDX_DST		16
#define IPV6_HDR		40
#define IPV6_IDX_NEXT		6
#define IPV6_IDX_SRC		8
#define IPV6_IDX_DST		24
#define IPV6_EXT_MIN		8
#define ARP_MIN_LEN		28
#define ARP_IDX_SPA		14
#define IPPROTO_ICMP_N		1
#define IPPROTO_TCP_N		6
#define IPPROTO_UDP_N		17
#define IPPROTO_ICMPV6_N	58
#define IPPROTO_SCTP_N		132
#define IPPROTO_UDPLITE_N	136
#define TCP_IDX_OFFSET_FLAGS	12	/* data offset nibble, NS in bit 0 */
#define TCP_IDX_FLAGS		13
#define ICMPV6_NEIGHBOR_SOLICIT	135
#define ICMPV6_NEIGHBOR_ADVERT	136
#define NDP_IDX_TARGET		8	/* from the ICMPv6 header */
#define MAC_BROADCAST		0xffffffffffffULL
#define MAC_GROUP_BIT		(1ULL << 40)	/* I/G bit of the first octet */

/* ---- Codec --------------------------------------------------------------- */

/* Value size of a known type, or -1 for a type we do not know. */
static int rule_value_len(unsigned int type)
{
	switch (type) {
	case ZTDP_RULE_ACTION_DROP:
	case ZTDP_RULE_ACTION_ACCEPT:
	case ZTDP_RULE_ACTION_BREAK:
	case ZTDP_RULE_ACTION_PRIORITY:
		return 0;
	case ZTDP_RULE_ACTION_TEE:
	case ZTDP_RULE_ACTION_WATCH:
	case ZTDP_RULE_ACTION_REDIRECT:
		return ZTDP_RULE_LEN_FWD;
	case ZTDP_RULE_MATCH_SOURCE_ZEROTIER_ADDRESS:
	case ZTDP_RULE_MATCH_DEST_ZEROTIER_ADDRESS:
		return ZTDP_RULE_LEN_ZT_ADDRESS;
	case ZTDP_RULE_MATCH_VLAN_ID:
		return ZTDP_RULE_LEN_VLAN_ID;
	case ZTDP_RULE_MATCH_VLAN_PCP:
		return ZTDP_RULE_LEN_VLAN_PCP;
	case ZTDP_RULE_MATCH_VLAN_DEI:
		return ZTDP_RULE_LEN_VLAN_DEI;
	case ZTDP_RULE_MATCH_MAC_SOURCE:
	case ZTDP_RULE_MATCH_MAC_DEST:
		return ZTDP_RULE_LEN_MAC;
	case ZTDP_RULE_MATCH_IPV4_SOURCE:
	case ZTDP_RULE_MATCH_IPV4_DEST:
		return ZTDP_RULE_LEN_IPV4;
	case ZTDP_RULE_MATCH_IPV6_SOURCE:
	case ZTDP_RULE_MATCH_IPV6_DEST:
		return ZTDP_RULE_LEN_IPV6;
	case ZTDP_RULE_MATCH_IP_TOS:
		return ZTDP_RULE_LEN_IP_TOS;
	case ZTDP_RULE_MATCH_IP_PROTOCOL:
		return ZTDP_RULE_LEN_IP_PROTOCOL;
	case ZTDP_RULE_MATCH_ETHERTYPE:
		return ZTDP_RULE_LEN_ETHERTYPE;
	case ZTDP_RULE_MATCH_ICMP:
		return ZTDP_RULE_LEN_ICMP;
	case ZTDP_RULE_MATCH_IP_SOURCE_PORT_RANGE:
	case ZTDP_RULE_MATCH_IP_DEST_PORT_RANGE:
		return ZTDP_RULE_LEN_PORT_RANGE;
	case ZTDP_RULE_MATCH_CHARACTERISTICS:
		return ZTDP_RULE_LEN_CHARACTERISTICS;
	case ZTDP_RULE_MATCH_FRAME_SIZE_RANGE:
		return ZTDP_RULE_LEN_FRAME_SIZE_RANGE;
	case ZTDP_RULE_MATCH_RANDOM:
		return ZTDP_RULE_LEN_RANDOM;
	case ZTDP_RULE_MATCH_TAGS_DIFFERENCE:
	case ZTDP_RULE_MATCH_TAGS_BITWISE_AND:
	case ZTDP_RULE_MATCH_TAGS_BITWISE_OR:
	case ZTDP_RULE_MATCH_TAGS_BITWISE_XOR:
	case ZTDP_RULE_MATCH_TAGS_EQUAL:
	case ZTDP_RULE_MATCH_TAG_SENDER:
	case ZTDP_RULE_MATCH_TAG_RECEIVER:
		return ZTDP_RULE_LEN_TAG;
	case ZTDP_RULE_MATCH_INTEGER_RANGE:
		return ZTDP_RULE_LEN_INTEGER_RANGE;
	default:
		return -1;
	}
}

const char *ztdp_rule_type_name(unsigned int type)
{
	static const char *const names[] = {
		[ZTDP_RULE_ACTION_DROP] = "ACTION_DROP",
		[ZTDP_RULE_ACTION_ACCEPT] = "ACTION_ACCEPT",
		[ZTDP_RULE_ACTION_TEE] = "ACTION_TEE",
		[ZTDP_RULE_ACTION_WATCH] = "ACTION_WATCH",
		[ZTDP_RULE_ACTION_REDIRECT] = "ACTION_REDIRECT",
		[ZTDP_RULE_ACTION_BREAK] = "ACTION_BREAK",
		[ZTDP_RULE_ACTION_PRIORITY] = "ACTION_PRIORITY",
		[ZTDP_RULE_MATCH_SOURCE_ZEROTIER_ADDRESS] = "MATCH_SOURCE_ZEROTIER_ADDRESS",
		[ZTDP_RULE_MATCH_DEST_ZEROTIER_ADDRESS] = "MATCH_DEST_ZEROTIER_ADDRESS",
		[ZTDP_RULE_MATCH_VLAN_ID] = "MATCH_VLAN_ID",
		[ZTDP_RULE_MATCH_VLAN_PCP] = "MATCH_VLAN_PCP",
		[ZTDP_RULE_MATCH_VLAN_DEI] = "MATCH_VLAN_DEI",
		[ZTDP_RULE_MATCH_MAC_SOURCE] = "MATCH_MAC_SOURCE",
		[ZTDP_RULE_MATCH_MAC_DEST] = "MATCH_MAC_DEST",
		[ZTDP_RULE_MATCH_IPV4_SOURCE] = "MATCH_IPV4_SOURCE",
		[ZTDP_RULE_MATCH_IPV4_DEST] = "MATCH_IPV4_DEST",
		[ZTDP_RULE_MATCH_IPV6_SOURCE] = "MATCH_IPV6_SOURCE",
		[ZTDP_RULE_MATCH_IPV6_DEST] = "MATCH_IPV6_DEST",
		[ZTDP_RULE_MATCH_IP_TOS] = "MATCH_IP_TOS",
		[ZTDP_RULE_MATCH_IP_PROTOCOL] = "MATCH_IP_PROTOCOL",
		[ZTDP_RULE_MATCH_ETHERTYPE] = "MATCH_ETHERTYPE",
		[ZTDP_RULE_MATCH_ICMP] = "MATCH_ICMP",
		[ZTDP_RULE_MATCH_IP_SOURCE_PORT_RANGE] = "MATCH_IP_SOURCE_PORT_RANGE",
		[ZTDP_RULE_MATCH_IP_DEST_PORT_RANGE] = "MATCH_IP_DEST_PORT_RANGE",
		[ZTDP_RULE_MATCH_CHARACTERISTICS] = "MATCH_CHARACTERISTICS",
		[ZTDP_RULE_MATCH_FRAME_SIZE_RANGE] = "MATCH_FRAME_SIZE_RANGE",
		[ZTDP_RULE_MATCH_RANDOM] = "MATCH_RANDOM",
		[ZTDP_RULE_MATCH_TAGS_DIFFERENCE] = "MATCH_TAGS_DIFFERENCE",
		[ZTDP_RULE_MATCH_TAGS_BITWISE_AND] = "MATCH_TAGS_BITWISE_AND",
		[ZTDP_RULE_MATCH_TAGS_BITWISE_OR] = "MATCH_TAGS_BITWISE_OR",
		[ZTDP_RULE_MATCH_TAGS_BITWISE_XOR] = "MATCH_TAGS_BITWISE_XOR",
		[ZTDP_RULE_MATCH_TAGS_EQUAL] = "MATCH_TAGS_EQUAL",
		[ZTDP_RULE_MATCH_TAG_SENDER] = "MATCH_TAG_SENDER",
		[ZTDP_RULE_MATCH_TAG_RECEIVER] = "MATCH_TAG_RECEIVER",
		[ZTDP_RULE_MATCH_INTEGER_RANGE] = "MATCH_INTEGER_RANGE",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type] != NULL)
		return names[type];
	return "UNKNOWN";
}

const char *ztdp_rules_strerror(int err)
{
	switch (err) {
	case ZTDP_RULES_OK:
		return "ok";
	case ZTDP_RULES_E_TRUNCATED:
		return "rule record truncated";
	case ZTDP_RULES_E_SHORT_VALUE:
		return "rule value shorter than its type needs";
	case ZTDP_RULES_E_TOO_MANY:
		return "too many rules";
	case ZTDP_RULES_E_UNENCODABLE:
		return "unknown rule value too long to re-encode";
	case ZTDP_RULES_E_NOSPACE:
		return "output buffer full";
	case ZTDP_RULES_E_INVAL:
		return "invalid argument";
	default:
		return "unknown error";
	}
}

/* Fill the type-specific fields of a known rule from exactly its value. */
static void parse_value(struct ztdp_rule *rule, struct ztdp_rd *v)
{
	switch (rule->t & ZTDP_RULE_TYPE_MASK) {
	case ZTDP_RULE_ACTION_TEE:
	case ZTDP_RULE_ACTION_WATCH:
	case ZTDP_RULE_ACTION_REDIRECT:
		rule->v.fwd.address = ztdp_rd_u64(v);
		rule->v.fwd.flags = ztdp_rd_u32(v);
		rule->v.fwd.length = ztdp_rd_u16(v);
		break;
	case ZTDP_RULE_MATCH_SOURCE_ZEROTIER_ADDRESS:
	case ZTDP_RULE_MATCH_DEST_ZEROTIER_ADDRESS:
		rule->v.zt = ztdp_rd_u40(v);
		break;
	case ZTDP_RULE_MATCH_VLAN_ID:
		rule->v.vlan_id = ztdp_rd_u16(v);
		break;
	case ZTDP_RULE_MATCH_VLAN_PCP:
		rule->v.vlan_pcp = ztdp_rd_u8(v);
		break;
	case ZTDP_RULE_MATCH_VLAN_DEI:
		rule->v.vlan_dei = ztdp_rd_u8(v);
		break;
	case ZTDP_RULE_MATCH_MAC_SOURCE:
	case ZTDP_RULE_MATCH_MAC_DEST:
		ztdp_rd_copy(v, rule->v.mac, sizeof(rule->v.mac));
		break;
	case ZTDP_RULE_MATCH_IPV4_SOURCE:
	case ZTDP_RULE_MATCH_IPV4_DEST:
		ztdp_rd_copy(v, rule->v.ipv4.ip, sizeof(rule->v.ipv4.ip));
		rule->v.ipv4.mask = ztdp_rd_u8(v);
		break;
	case ZTDP_RULE_MATCH_IPV6_SOURCE:
	case ZTDP_RULE_MATCH_IPV6_DEST:
		ztdp_rd_copy(v, rule->v.ipv6.ip, sizeof(rule->v.ipv6.ip));
		rule->v.ipv6.mask = ztdp_rd_u8(v);
		break;
	case ZTDP_RULE_MATCH_IP_TOS:
		rule->v.ip_tos.mask = ztdp_rd_u8(v);
		rule->v.ip_tos.low = ztdp_rd_u8(v);
		rule->v.ip_tos.high = ztdp_rd_u8(v);
		break;
	case ZTDP_RULE_MATCH_IP_PROTOCOL:
		rule->v.ip_protocol = ztdp_rd_u8(v);
		break;
	case ZTDP_RULE_MATCH_ETHERTYPE:
		rule->v.ethertype = ztdp_rd_u16(v);
		break;
	case ZTDP_RULE_MATCH_ICMP:
		rule->v.icmp.type = ztdp_rd_u8(v);
		rule->v.icmp.code = ztdp_rd_u8(v);
		rule->v.icmp.flags = ztdp_rd_u8(v);
		break;
	case ZTDP_RULE_MATCH_IP_SOURCE_PORT_RANGE:
	case ZTDP_RULE_MATCH_IP_DEST_PORT_RANGE:
		rule->v.port[0] = ztdp_rd_u16(v);
		rule->v.port[1] = ztdp_rd_u16(v);
		break;
	case ZTDP_RULE_MATCH_CHARACTERISTICS:
		rule->v.characteristics = ztdp_rd_u64(v);
		break;
	case ZTDP_RULE_MATCH_FRAME_SIZE_RANGE:
		rule->v.frame_size[0] = ztdp_rd_u16(v);
		rule->v.frame_size[1] = ztdp_rd_u16(v);
		break;
	case ZTDP_RULE_MATCH_RANDOM:
		rule->v.random_probability = ztdp_rd_u32(v);
		break;
	case ZTDP_RULE_MATCH_TAGS_DIFFERENCE:
	case ZTDP_RULE_MATCH_TAGS_BITWISE_AND:
	case ZTDP_RULE_MATCH_TAGS_BITWISE_OR:
	case ZTDP_RULE_MATCH_TAGS_BITWISE_XOR:
	case ZTDP_RULE_MATCH_TAGS_EQUAL:
	case ZTDP_RULE_MATCH_TAG_SENDER:
	case ZTDP_RULE_MATCH_TAG_RECEIVER:
		rule->v.tag.id = ztdp_rd_u32(v);
		rule->v.tag.value = ztdp_rd_u32(v);
		break;
	case ZTDP_RULE_MATCH_INTEGER_RANGE:
		rule->v.int_range.start = ztdp_rd_u64(v);
		rule->v.int_range.end = ztdp_rd_u64(v);
		rule->v.int_range.idx = ztdp_rd_u16(v);
		rule->v.int_range.format = ztdp_rd_u8(v);
		break;
	default:	/* DROP, ACCEPT, BREAK, PRIORITY: no value */
		break;
	}
}

static int decode_one(struct ztdp_rd *r, struct ztdp_rule *rule)
{
	const uint8_t *val;
	struct ztdp_rd v;
	uint8_t t, len;
	int need;

	t = ztdp_rd_u8(r);
	len = ztdp_rd_u8(r);
	val = ztdp_rd_take(r, len);
	if (!ztdp_rd_ok(r))
		return ZTDP_RULES_E_TRUNCATED;

	memset(rule, 0, sizeof(*rule));
	rule->t = t;
	need = rule_value_len(t & ZTDP_RULE_TYPE_MASK);
	if (need < 0) {
		/* Unknown: it still takes part in evaluation (as a no-op
		 * action or as the configured result of an unknown match),
		 * so keep it, with as much of its value as fits. */
		rule->raw_len = len;
		memcpy(rule->v.raw, val,
		       len < ZTDP_RULE_RAW_MAX ? len : ZTDP_RULE_RAW_MAX);
		return ZTDP_RULES_OK;
	}
	if (len < need) {
		/* 1.14.1 would read the value from the bytes after the
		 * record; nothing it writes looks like this. */
		r->err = true;
		return ZTDP_RULES_E_SHORT_VALUE;
	}
	/* A longer value is accepted and its tail ignored, as 1.14.1 does,
	 * so a future controller can extend a type. */
	ztdp_rd_init(&v, val, (size_t)need);
	parse_value(rule, &v);
	return ZTDP_RULES_OK;
}

int ztdp_rules_decode(struct ztdp_rd *r, unsigned int count,
		      struct ztdp_rule *rules, unsigned int max)
{
	int rc;

	if (r == NULL || (rules == NULL && count > 0))
		return ZTDP_RULES_E_INVAL;
	if (count > max) {
		r->err = true;
		return ZTDP_RULES_E_TOO_MANY;
	}
	for (unsigned int i = 0; i < count; i++) {
		rc = decode_one(r, &rules[i]);
		if (rc != ZTDP_RULES_OK)
			return rc;
	}
	return ZTDP_RULES_OK;
}

int ztdp_rules_decode_all(struct ztdp_rd *r, struct ztdp_rule *rules,
			  unsigned int max, unsigned int *count)
{
	unsigned int n = 0;
	int rc;

	if (r == NULL || count == NULL)
		return ZTDP_RULES_E_INVAL;
	*count = 0;
	if (!ztdp_rd_ok(r))
		return ZTDP_RULES_E_TRUNCATED;
	while (ztdp_rd_left(r) > 0) {
		if (n >= max || rules == NULL) {
			r->err = true;
			return ZTDP_RULES_E_TOO_MANY;
		}
		rc = decode_one(r, &rules[n]);
		if (rc != ZTDP_RULES_OK)
			return rc;
		*count = ++n;
	}
	return ZTDP_RULES_OK;
}

int ztdp_rule_encoded_len(const struct ztdp_rule *rule)
{
	int need = rule_value_len(rule->t & ZTDP_RULE_TYPE_MASK);

	if (need < 0) {
		if (rule->raw_len > ZTDP_RULE_RAW_MAX)
			return ZTDP_RULES_E_UNENCODABLE;
		need = rule->raw_len;
	}
	return ZTDP_RULE_RECORD_HEADER_LEN + need;
}

static void encode_value(struct ztdp_wr *w, const struct ztdp_rule *rule)
{
	switch (rule->t & ZTDP_RULE_TYPE_MASK) {
	case ZTDP_RULE_ACTION_TEE:
	case ZTDP_RULE_ACTION_WATCH:
	case ZTDP_RULE_ACTION_REDIRECT:
		ztdp_wr_u64(w, rule->v.fwd.address);
		ztdp_wr_u32(w, rule->v.fwd.flags);
		ztdp_wr_u16(w, rule->v.fwd.length);
		break;
	case ZTDP_RULE_MATCH_SOURCE_ZEROTIER_ADDRESS:
	case ZTDP_RULE_MATCH_DEST_ZEROTIER_ADDRESS:
		ztdp_wr_u40(w, rule->v.zt);
		break;
	case ZTDP_RULE_MATCH_VLAN_ID:
		ztdp_wr_u16(w, rule->v.vlan_id);
		break;
	case ZTDP_RULE_MATCH_VLAN_PCP:
		ztdp_wr_u8(w, rule->v.vlan_pcp);
		break;
	case ZTDP_RULE_MATCH_VLAN_DEI:
		ztdp_wr_u8(w, rule->v.vlan_dei);
		break;
	case ZTDP_RULE_MATCH_MAC_SOURCE:
	case ZTDP_RULE_MATCH_MAC_DEST:
		ztdp_wr_bytes(w, rule->v.mac, sizeof(rule->v.mac));
		break;
	case ZTDP_RULE_MATCH_IPV4_SOURCE:
	case ZTDP_RULE_MATCH_IPV4_DEST:
		ztdp_wr_bytes(w, rule->v.ipv4.ip, sizeof(rule->v.ipv4.ip));
		ztdp_wr_u8(w, rule->v.ipv4.mask);
		break;
	case ZTDP_RULE_MATCH_IPV6_SOURCE:
	case ZTDP_RULE_MATCH_IPV6_DEST:
		ztdp_wr_bytes(w, rule->v.ipv6.ip, sizeof(rule->v.ipv6.ip));
		ztdp_wr_u8(w, rule->v.ipv6.mask);
		break;
	case ZTDP_RULE_MATCH_IP_TOS:
		ztdp_wr_u8(w, rule->v.ip_tos.mask);
		ztdp_wr_u8(w, rule->v.ip_tos.low);
		ztdp_wr_u8(w, rule->v.ip_tos.high);
		break;
	case ZTDP_RULE_MATCH_IP_PROTOCOL:
		ztdp_wr_u8(w, rule->v.ip_protocol);
		break;
	case ZTDP_RULE_MATCH_ETHERTYPE:
		ztdp_wr_u16(w, rule->v.ethertype);
		break;
	case ZTDP_RULE_MATCH_ICMP:
		ztdp_wr_u8(w, rule->v.icmp.type);
		ztdp_wr_u8(w, rule->v.icmp.code);
		ztdp_wr_u8(w, rule->v.icmp.flags);
		break;
	case ZTDP_RULE_MATCH_IP_SOURCE_PORT_RANGE:
	case ZTDP_RULE_MATCH_IP_DEST_PORT_RANGE:
		ztdp_wr_u16(w, rule->v.port[0]);
		ztdp_wr_u16(w, rule->v.port[1]);
		break;
	case ZTDP_RULE_MATCH_CHARACTERISTICS:
		ztdp_wr_u64(w, rule->v.characteristics);
		break;
	case ZTDP_RULE_MATCH_FRAME_SIZE_RANGE:
		ztdp_wr_u16(w, rule->v.frame_size[0]);
		ztdp_wr_u16(w, rule->v.frame_size[1]);
		break;
	case ZTDP_RULE_MATCH_RANDOM:
		ztdp_wr_u32(w, rule->v.random_probability);
		break;
	case ZTDP_RULE_MATCH_TAGS_DIFFERENCE:
	case ZTDP_RULE_MATCH_TAGS_BITWISE_AND:
	case ZTDP_RULE_MATCH_TAGS_BITWISE_OR:
	case ZTDP_RULE_MATCH_TAGS_BITWISE_XOR:
	case ZTDP_RULE_MATCH_TAGS_EQUAL:
	case ZTDP_RULE_MATCH_TAG_SENDER:
	case ZTDP_RULE_MATCH_TAG_RECEIVER:
		ztdp_wr_u32(w, rule->v.tag.id);
		ztdp_wr_u32(w, rule->v.tag.value);
		break;
	case ZTDP_RULE_MATCH_INTEGER_RANGE:
		ztdp_wr_u64(w, rule->v.int_range.start);
		ztdp_wr_u64(w, rule->v.int_range.end);
		ztdp_wr_u16(w, rule->v.int_range.idx);
		ztdp_wr_u8(w, rule->v.int_range.format);
		break;
	default:
		if (rule_value_len(rule->t & ZTDP_RULE_TYPE_MASK) < 0)
			ztdp_wr_bytes(w, rule->v.raw, rule->raw_len);
		break;
	}
}

int ztdp_rules_encode(struct ztdp_wr *w, const struct ztdp_rule *rules,
		      unsigned int count)
{
	int len;

	if (w == NULL || (rules == NULL && count > 0))
		return ZTDP_RULES_E_INVAL;
	for (unsigned int i = 0; i < count; i++) {
		len = ztdp_rule_encoded_len(&rules[i]);
		if (len < 0)
			return len;
		ztdp_wr_u8(w, rules[i].t);
		ztdp_wr_u8(w, (uint8_t)(len - ZTDP_RULE_RECORD_HEADER_LEN));
		encode_value(w, &rules[i]);
		if (!ztdp_wr_ok(w))
			return ZTDP_RULES_E_NOSPACE;
	}
	return ZTDP_RULES_OK;
}

bool ztdp_rule_equal(const struct ztdp_rule *a, const struct ztdp_rule *b)
{
	/* Two rules are equal when their wire forms are: that compares
	 * exactly the fields each type uses and ignores the rest of the
	 * union. Unencodable (over-long unknown) rules compare by what was
	 * kept. */
	uint8_t ba[ZTDP_RULE_RECORD_HEADER_LEN + ZTDP_RULE_LEN_INTEGER_RANGE +
		   ZTDP_RULE_RAW_MAX];
	uint8_t bb[sizeof(ba)];
	struct ztdp_wr wa, wb;
	int la = ztdp_rule_encoded_len(a);
	int lb = ztdp_rule_encoded_len(b);

	if (a->t != b->t)
		return false;
	if (la < 0 || lb < 0)
		return la == lb && a->raw_len == b->raw_len &&
		       memcmp(a->v.raw, b->v.raw, ZTDP_RULE_RAW_MAX) == 0;
	ztdp_wr_init(&wa, ba, sizeof(ba));
	ztdp_wr_init(&wb, bb, sizeof(bb));
	ztdp_rules_encode(&wa, a, 1);
	ztdp_rules_encode(&wb, b, 1);
	return ztdp_wr_ok(&wa) && ztdp_wr_ok(&wb) && wa.off == wb.off &&
	       memcmp(ba, bb, wa.off) == 0;
}

/* ---- Frame parsing --------------------------------------------------------- */

/* Find the upper-layer protocol of an IPv6 packet by walking the extension
 * headers 1.14.1 knows (hop-by-hop, routing, destination options,
 * mobility). True with *pos at the payload and *proto its number; false if
 * the chain is cut short. Like 1.14.1 this stops at any other header
 * (fragment, ESP, AH are not walked) and accepts a payload that starts
 * exactly at the end of the frame. */
static bool ipv6_payload(const uint8_t *d, size_t len, size_t *pos,
			 unsigned int *proto)
{
	size_t p = IPV6_HDR;
	unsigned int nh;

	if (len < IPV6_HDR)
		return false;
	nh = d[IPV6_IDX_NEXT];
	while (p <= len) {
		switch (nh) {
		case 0:		/* hop-by-hop options */
		case 43:	/* routing */
		case 60:	/* destination options */
		case 135:	/* mobility */
			if (p + IPV6_EXT_MIN > len)
				return false;
			nh = d[p];
			p += (size_t)d[p + 1] * 8 + 8;
			break;
		default:
			*pos = p;
			*proto = nh;
			return true;
		}
	}
	return false;
}

static bool is_ipv4(const struct ztdp_rules_frame *f)
{
	return f->ethertype == ETHERTYPE_IPV4 && f->len >= IPV4_MIN_HDR;
}

static bool is_ipv6(const struct ztdp_rules_frame *f)
{
	return f->ethertype == ETHERTYPE_IPV6 && f->len >= IPV6_HDR;
}

static bool ipv4_in_prefix(const uint8_t *rule_ip, unsigned int bits,
			   const uint8_t *ip)
{
	uint32_t a, b;

	if (bits == 0)
		return true;
	/* 1.14.1 shifts by 32 - bits, undefined above 32; its controller
	 * never writes more than 32, so treat larger as a host match. */
	if (bits > 32)
		bits = 32;
	a = ztdp_load_be32(rule_ip);
	b = ztdp_load_be32(ip);
	return (a >> (32 - bits)) == (b >> (32 - bits));
}

static bool ipv6_in_prefix(const uint8_t *rule_ip, unsigned int bits,
			   const uint8_t *ip)
{
	/* 1.14.1 masks only the frame's address: a rule address with bits
	 * set past its prefix never matches. Kept as is. Masks above 128
	 * (undefined shifts in 1.14.1, never written by its controller)
	 * count as 128. */
	if (bits > 128)
		bits = 128;
	for (unsigned int i = 0; i < 16; i++) {
		unsigned int take = bits > 8 * i ? bits - 8 * i : 0;
		uint8_t m = take >= 8 ? 0xff :
			    (uint8_t)(0xff00u >> take);

		if ((ip[i] & m) != rule_ip[i])
			return false;
	}
	return true;
}

/* Source or destination port of a TCP/UDP/SCTP/UDP-Lite packet, or -1. */
static int l4_port(const struct ztdp_rules_frame *f, bool dest, bool *applies)
{
	const uint8_t *d = f->data;
	unsigned int proto;
	size_t pos;

	*applies = true;
	if (is_ipv4(f)) {
		pos = (size_t)(d[0] & 0x0f) * 4;
		proto = d[IPV4_IDX_PROTO];
	} else if (f->ethertype == ETHERTYPE_IPV6) {
		if (!ipv6_payload(d, f->len, &pos, &proto)) {
			*applies = false;
			return -1;
		}
	} else {
		*applies = false;
		return -1;
	}
	switch (proto) {
	case IPPROTO_TCP_N:
	case IPPROTO_UDP_N:
	case IPPROTO_SCTP_N:
	case IPPROTO_UDPLITE_N:
		/* 1.14.1 wants strictly more than the two ports. */
		if (f->len > pos + 4)
			return ztdp_load_be16(d + pos + (dest ? 2 : 0));
		break;
	default:
		break;
	}
	return -1;
}

/* ---- Evaluation ------------------------------------------------------------ */

/* Per-evaluation state besides the set result. */
struct eval_state {
	bool super_accept;	/* inbound: a TEE/WATCH/REDIRECT names us */
	bool skip_drop;		/* an unknown remote tag let a match pass */
	bool have_owner_bits;
	uint64_t owner_bits;	/* SENDER_IP_AUTH / SENDER_MAC_AUTH */
};

/* Match outcomes before the NOT bit: YES/NO are inverted by NOT, HARD_YES
 * and HARD_NO are what 1.14.1 calls hardYes/hardNo: the result after
 * inversion is fixed (true / false). */
enum match_outcome { M_NO, M_YES, M_HARD_NO, M_HARD_YES };

static enum match_outcome as_match(bool b)
{
	return b ? M_YES : M_NO;
}

static const struct ztdp_rule_tag *find_tag(const struct ztdp_rule_tag *tags,
					    unsigned int n, uint32_t id)
{
	if (tags == NULL)
		return NULL;
	for (unsigned int i = 0; i < n; i++)
		if (tags[i].id == id)
			return &tags[i];
	return NULL;
}

static bool env_owns(const struct ztdp_rules_env *env, uint8_t type,
		     const uint8_t *thing)
{
	return env != NULL && env->owns != NULL &&
	       env->owns(env->owns_ctx, type, thing);
}

/* The "sender authenticated" characteristics: does the sender hold a COO
 * for the frame's source IP (ARP: sender protocol address; NDP neighbor
 * advertisement: its target) and for its source MAC. 1.14.1 counts every
 * neighbor solicitation as IP-authenticated, since it carries no usable
 * source address. */
static uint64_t owner_bits(const struct ztdp_rules_frame *f,
			   const struct ztdp_rules_env *env)
{
	const uint8_t *d = f->data;
	const uint8_t *src = NULL;
	uint8_t type = 0, mac[ZTDP_MAC_LEN];
	uint64_t bits = 0;

	if (is_ipv4(f)) {
		src = d + IPV4_IDX_SRC;
		type = ZTDP_COO_THING_IPV4;
	} else if (is_ipv6(f)) {
		if (f->len >= IPV6_HDR + NDP_IDX_TARGET + 16 &&
		    d[IPV6_IDX_NEXT] == IPPROTO_ICMPV6_N &&
		    (d[IPV6_HDR] == ICMPV6_NEIGHBOR_SOLICIT ||
		     d[IPV6_HDR] == ICMPV6_NEIGHBOR_ADVERT)) {
			if (d[IPV6_HDR] == ICMPV6_NEIGHBOR_SOLICIT) {
				bits |= ZTDP_RULE_CHAR_SENDER_IP_AUTH;
			} else {
				src = d + IPV6_HDR + NDP_IDX_TARGET;
				type = ZTDP_COO_THING_IPV6;
			}
		} else {
			src = d + IPV6_IDX_SRC;
			type = ZTDP_COO_THING_IPV6;
		}
	} else if (f->ethertype == ETHERTYPE_ARP && f->len >= ARP_MIN_LEN) {
		src = d + ARP_IDX_SPA;
		type = ZTDP_COO_THING_IPV4;
	}
	if (src != NULL && env_owns(env, type, src))
		bits |= ZTDP_RULE_CHAR_SENDER_IP_AUTH;
	for (unsigned int i = 0; i < ZTDP_MAC_LEN; i++)
		mac[i] = (uint8_t)(f->mac_source >> (8 * (ZTDP_MAC_LEN - 1 - i)));
	if (env_owns(env, ZTDP_COO_THING_MAC, mac))
		bits |= ZTDP_RULE_CHAR_SENDER_MAC_AUTH;
	return bits;
}

static uint64_t characteristics(const struct ztdp_rules_frame *f,
				const struct ztdp_rules_env *env,
				struct eval_state *st)
{
	const uint8_t *d = f->data;
	uint64_t cf = f->inbound ? ZTDP_RULE_CHAR_INBOUND : 0;
	unsigned int proto;
	size_t pos;

	if (f->mac_dest & MAC_GROUP_BIT)
		cf |= ZTDP_RULE_CHAR_MULTICAST;
	if ((f->mac_dest & MAC_BROADCAST) == MAC_BROADCAST)
		cf |= ZTDP_RULE_CHAR_BROADCAST;
	if (!st->have_owner_bits) {
		st->owner_bits = owner_bits(f, env);
		st->have_owner_bits = true;
	}
	cf |= st->owner_bits;

	/* TCP flags. 1.14.1 reads them from IPv4 without checking that the
	 * TCP header is inside the frame; here they only count if it is. */
	if (is_ipv4(f) && d[IPV4_IDX_PROTO] == IPPROTO_TCP_N) {
		pos = (size_t)(d[0] & 0x0f) * 4;
		if (f->len > pos + TCP_IDX_FLAGS) {
			cf |= d[pos + TCP_IDX_FLAGS];
			cf |= (uint64_t)(d[pos + TCP_IDX_OFFSET_FLAGS] & 0x0f)
			      << 8;
		}
	} else if (f->ethertype == ETHERTYPE_IPV6 &&
		   ipv6_payload(d, f->len, &pos, &proto) &&
		   proto == IPPROTO_TCP_N && f->len > pos + 14) {
		cf |= d[pos + TCP_IDX_FLAGS];
		cf |= (uint64_t)(d[pos + TCP_IDX_OFFSET_FLAGS] & 0x0f) << 8;
	}
	return cf;
}

static enum match_outcome match_icmp(const struct ztdp_rule *rule,
				     const struct ztdp_rules_frame *f)
{
	const uint8_t *d = f->data;
	unsigned int proto;
	size_t pos;

	if (is_ipv4(f)) {
		if (d[IPV4_IDX_PROTO] != IPPROTO_ICMP_N)
			return M_HARD_NO;
		pos = (size_t)(d[0] & 0x0f) * 4;
	} else if (f->ethertype == ETHERTYPE_IPV6) {
		if (!ipv6_payload(d, f->len, &pos, &proto) ||
		    proto != IPPROTO_ICMPV6_N)
			return M_HARD_NO;
	} else {
		return M_HARD_NO;
	}
	if (f->len < pos + 2 || d[pos] != rule->v.icmp.type)
		return M_HARD_NO;
	/* A type-only match is a hard yes in 1.14.1: NOT cannot invert it,
	 * while a code mismatch can be inverted. */
	if (rule->v.icmp.flags & ZTDP_RULE_ICMP_FLAG_CODE)
		return as_match(d[pos + 1] == rule->v.icmp.code);
	return M_HARD_YES;
}

static enum match_outcome match_ip_tos(const struct ztdp_rule *rule,
				       const struct ztdp_rules_frame *f)
{
	const uint8_t *d = f->data;
	uint8_t tos;

	if (is_ipv4(f))
		tos = d[IPV4_IDX_TOS];
	else if (is_ipv6(f))
		tos = (uint8_t)(((d[0] << 4) & 0xf0) | ((d[1] >> 4) & 0x0f));
	else
		return M_HARD_NO;
	tos &= rule->v.ip_tos.mask;
	return as_match(tos >= rule->v.ip_tos.low && tos <= rule->v.ip_tos.high);
}

static enum match_outcome match_ip_protocol(const struct ztdp_rule *rule,
					    const struct ztdp_rules_frame *f)
{
	unsigned int proto;
	size_t pos;

	if (is_ipv4(f))
		return as_match(rule->v.ip_protocol == f->data[IPV4_IDX_PROTO]);
	if (f->ethertype == ETHERTYPE_IPV6 &&
	    ipv6_payload(f->data, f->len, &pos, &proto))
		return as_match(rule->v.ip_protocol == proto);
	return M_HARD_NO;
}

static enum match_outcome match_port(const struct ztdp_rule *rule,
				     const struct ztdp_rules_frame *f,
				     bool dest)
{
	bool applies;
	int p = l4_port(f, dest, &applies);

	if (!applies)
		return M_HARD_NO;
	/* An IPv4 packet without ports is a plain "no" (NOT turns it into a
	 * match); over IPv6 1.14.1 also treats port 0 as "no port". */
	if (p < 0 || (p == 0 && f->ethertype == ETHERTYPE_IPV6))
		return M_NO;
	return as_match(p >= rule->v.port[0] && p <= rule->v.port[1]);
}

static enum match_outcome match_int_range(const struct ztdp_rule *rule,
					  const struct ztdp_rules_frame *f)
{
	const unsigned int bits =
		(rule->v.int_range.format & ZTDP_RULE_INT_FORMAT_BITS_MASK) + 1;
	const unsigned int bytes = (bits + 7) / 8;
	uint64_t x = 0, upper;
	size_t idx, eof;

	if (!(rule->v.int_range.format & ZTDP_RULE_INT_FORMAT_LITTLE_ENDIAN)) {
		/* 1.14.1 starts a big-endian read at idx + (8 - bytes): a
		 * 16-bit field "at" idx is read from idx+6..idx+7. Kept,
		 * since both ends must agree. */
		idx = (size_t)rule->v.int_range.idx + (8 - bytes);
		eof = idx + bytes;
		if (eof <= f->len)
			while (idx < eof)
				x = (x << 8) | f->data[idx++];
		x &= UINT64_MAX >> (64 - bits);
	} else {
		idx = rule->v.int_range.idx;
		eof = idx + bytes;
		if (eof <= f->len)
			while (idx < eof)
				x = (x >> 8) | ((uint64_t)f->data[idx++] << 56);
		x >>= 64 - bits;
	}
	/* 1.14.1 holds the end as a 32-bit offset from the start. */
	upper = rule->v.int_range.start +
		(uint64_t)(uint32_t)(rule->v.int_range.end -
				     rule->v.int_range.start);
	return as_match(x >= rule->v.int_range.start && x <= upper);
}

static enum match_outcome match_tags(const struct ztdp_rule *rule,
				     unsigned int type,
				     const struct ztdp_rules_frame *f,
				     const struct ztdp_rules_env *env,
				     struct eval_state *st)
{
	const struct ztdp_rule_tag *lt, *rt;
	uint32_t l, r, want = rule->v.tag.value;

	lt = find_tag(env ? env->local_tags : NULL,
		      env ? env->local_tag_count : 0, rule->v.tag.id);
	if (lt == NULL)
		return M_HARD_NO;
	rt = find_tag(env ? env->remote_tags : NULL,
		      env ? env->remote_tag_count : 0, rule->v.tag.id);
	if (rt == NULL) {
		/* Outbound (or as a TEE/REDIRECT target) we may not know the
		 * peer's tag yet: let it pass and spare the next DROP; the
		 * peer filters inbound. */
		if (f->inbound && !st->super_accept)
			return M_HARD_NO;
		st->skip_drop = true;
		return M_HARD_YES;
	}
	l = lt->value;
	r = rt->value;
	switch (type) {
	case ZTDP_RULE_MATCH_TAGS_DIFFERENCE:
		return as_match((l > r ? l - r : r - l) <= want);
	case ZTDP_RULE_MATCH_TAGS_BITWISE_AND:
		return as_match((l & r) == want);
	case ZTDP_RULE_MATCH_TAGS_BITWISE_OR:
		return as_match((l | r) == want);
	case ZTDP_RULE_MATCH_TAGS_BITWISE_XOR:
		return as_match((l ^ r) == want);
	default:	/* TAGS_EQUAL */
		return as_match(l == want && r == want);
	}
}

static enum match_outcome match_tag_side(const struct ztdp_rule *rule,
					 unsigned int type,
					 const struct ztdp_rules_frame *f,
					 const struct ztdp_rules_env *env,
					 struct eval_state *st)
{
	const struct ztdp_rule_tag *t;
	bool remote_side;

	if (st->super_accept) {
		st->skip_drop = true;
		return M_HARD_YES;
	}
	/* The sender's tag is the peer's inbound and ours outbound; the
	 * receiver's the other way round. */
	remote_side = (type == ZTDP_RULE_MATCH_TAG_SENDER) == f->inbound;
	if (remote_side) {
		t = find_tag(env ? env->remote_tags : NULL,
			     env ? env->remote_tag_count : 0, rule->v.tag.id);
		if (t != NULL)
			return as_match(t->value == rule->v.tag.value);
		if (type == ZTDP_RULE_MATCH_TAG_RECEIVER) {
			st->skip_drop = true;
			return M_HARD_YES;
		}
		return M_HARD_NO;
	}
	t = find_tag(env ? env->local_tags : NULL,
		     env ? env->local_tag_count : 0, rule->v.tag.id);
	if (t == NULL)
		return M_HARD_NO;
	return as_match(t->value == rule->v.tag.value);
}

static enum match_outcome match_rule(const struct ztdp_rule *rule,
				     const struct ztdp_rules_frame *f,
				     const struct ztdp_rules_env *env,
				     struct eval_state *st)
{
	const unsigned int type = rule->t & ZTDP_RULE_TYPE_MASK;
	const uint8_t *d = f->data;
	uint64_t mac;
	uint32_t draw;

	switch (type) {
	case ZTDP_RULE_MATCH_SOURCE_ZEROTIER_ADDRESS:
		return as_match(rule->v.zt == f->zt_source);
	case ZTDP_RULE_MATCH_DEST_ZEROTIER_ADDRESS:
		return as_match(rule->v.zt == f->zt_dest);
	case ZTDP_RULE_MATCH_VLAN_ID:
		return as_match(rule->v.vlan_id == f->vlan_id);
	case ZTDP_RULE_MATCH_VLAN_PCP:
		/* Not supported by 1.14.1: matches iff the rule asks for 0. */
		return as_match(rule->v.vlan_pcp == 0);
	case ZTDP_RULE_MATCH_VLAN_DEI:
		return as_match(rule->v.vlan_dei == 0);
	case ZTDP_RULE_MATCH_MAC_SOURCE:
	case ZTDP_RULE_MATCH_MAC_DEST:
		mac = 0;
		for (unsigned int i = 0; i < ZTDP_MAC_LEN; i++)
			mac = (mac << 8) | rule->v.mac[i];
		return as_match(mac == ((type == ZTDP_RULE_MATCH_MAC_SOURCE ?
					 f->mac_source : f->mac_dest) &
					MAC_BROADCAST));
	case ZTDP_RULE_MATCH_IPV4_SOURCE:
	case ZTDP_RULE_MATCH_IPV4_DEST:
		if (!is_ipv4(f))
			return M_HARD_NO;
		return as_match(ipv4_in_prefix(
			rule->v.ipv4.ip, rule->v.ipv4.mask,
			d + (type == ZTDP_RULE_MATCH_IPV4_SOURCE ?
			     IPV4_IDX_SRC : IPV4_IDX_DST)));
	case ZTDP_RULE_MATCH_IPV6_SOURCE:
	case ZTDP_RULE_MATCH_IPV6_DEST:
		if (!is_ipv6(f))
			return M_HARD_NO;
		return as_match(ipv6_in_prefix(
			rule->v.ipv6.ip, rule->v.ipv6.mask,
			d + (type == ZTDP_RULE_MATCH_IPV6_SOURCE ?
			     IPV6_IDX_SRC : IPV6_IDX_DST)));
	case ZTDP_RULE_MATCH_IP_TOS:
		return match_ip_tos(rule, f);
	case ZTDP_RULE_MATCH_IP_PROTOCOL:
		return match_ip_protocol(rule, f);
	case ZTDP_RULE_MATCH_ETHERTYPE:
		return as_match(rule->v.ethertype == f->ethertype);
	case ZTDP_RULE_MATCH_ICMP:
		return match_icmp(rule, f);
	case ZTDP_RULE_MATCH_IP_SOURCE_PORT_RANGE:
		return match_port(rule, f, false);
	case ZTDP_RULE_MATCH_IP_DEST_PORT_RANGE:
		return match_port(rule, f, true);
	case ZTDP_RULE_MATCH_CHARACTERISTICS:
		return as_match((characteristics(f, env, st) &
				 rule->v.characteristics) != 0);
	case ZTDP_RULE_MATCH_FRAME_SIZE_RANGE:
		return as_match(f->len >= rule->v.frame_size[0] &&
				f->len <= rule->v.frame_size[1]);
	case ZTDP_RULE_MATCH_RANDOM:
		draw = (env != NULL && env->random != NULL) ?
			       env->random(env->random_ctx) : UINT32_MAX;
		return as_match(draw <= rule->v.random_probability);
	case ZTDP_RULE_MATCH_TAGS_DIFFERENCE:
	case ZTDP_RULE_MATCH_TAGS_BITWISE_AND:
	case ZTDP_RULE_MATCH_TAGS_BITWISE_OR:
	case ZTDP_RULE_MATCH_TAGS_BITWISE_XOR:
	case ZTDP_RULE_MATCH_TAGS_EQUAL:
		return match_tags(rule, type, f, env, st);
	case ZTDP_RULE_MATCH_TAG_SENDER:
	case ZTDP_RULE_MATCH_TAG_RECEIVER:
		return match_tag_side(rule, type, f, env, st);
	case ZTDP_RULE_MATCH_INTEGER_RANGE:
		return match_int_range(rule, f);
	default:
		/* Unknown match: the network decides (config flag 0x08). */
		return as_match(env != NULL && env->unsupported_match_result);
	}
}

void ztdp_rules_out_init(struct ztdp_rules_out *out,
			 const struct ztdp_rules_frame *frame)
{
	memset(out, 0, sizeof(*out));
	out->dest = frame->zt_dest;
	out->qos_bucket = ZTDP_RULE_QOS_BUCKET_DEFAULT;
}

/* An action in a set whose matches held. Returns true (and *res) if the
 * evaluation ends here. */
static bool take_action(const struct ztdp_rule *rule,
			const struct ztdp_rules_frame *f,
			const struct ztdp_rules_env *env,
			struct eval_state *st, struct ztdp_rules_out *out,
			enum ztdp_rules_result *res)
{
	const unsigned int type = rule->t & ZTDP_RULE_TYPE_MASK;
	const uint64_t self = env != NULL ? env->self : 0;
	uint64_t target;

	switch (type) {
	case ZTDP_RULE_ACTION_PRIORITY:
		/* The bucket is not on the wire, so a received PRIORITY
		 * carries bucket 0 (1.14.1 zeroes its rule tables). */
		out->qos_bucket = rule->v.qos_bucket <= ZTDP_RULE_QOS_BUCKET_MAX ?
					  rule->v.qos_bucket :
					  ZTDP_RULE_QOS_BUCKET_DEFAULT;
		*res = ZTDP_RULES_ACCEPT;
		return true;
	case ZTDP_RULE_ACTION_DROP:
		if (st->skip_drop) {
			st->skip_drop = false;
			return false;
		}
		*res = ZTDP_RULES_DROP;
		return true;
	case ZTDP_RULE_ACTION_ACCEPT:
		*res = st->super_accept ? ZTDP_RULES_SUPER_ACCEPT :
					  ZTDP_RULES_ACCEPT;
		return true;
	case ZTDP_RULE_ACTION_TEE:
	case ZTDP_RULE_ACTION_WATCH:
	case ZTDP_RULE_ACTION_REDIRECT:
		/* Order matters: "us" is checked before "the destination",
		 * so inbound a rule naming us super-accepts even though we
		 * are also the frame's destination. */
		target = rule->v.fwd.address;
		if (target == f->zt_source)
			return false;
		/* self == 0 means "not told": never a real address. */
		if (self != 0 && target == self) {
			if (f->inbound) {
				*res = ZTDP_RULES_SUPER_ACCEPT;
				return true;
			}
			return false;
		}
		if (target == out->dest)
			return false;
		if (type == ZTDP_RULE_ACTION_REDIRECT) {
			out->dest = target;
			*res = ZTDP_RULES_REDIRECT;
			return true;
		}
		out->copy_to = target;
		out->copy_len = (rule->v.fwd.length != 0 &&
				 rule->v.fwd.length < f->len) ?
					rule->v.fwd.length :
					(uint32_t)f->len;
		out->copy_watch = type == ZTDP_RULE_ACTION_WATCH;
		return false;
	case ZTDP_RULE_ACTION_BREAK:
		*res = ZTDP_RULES_NO_MATCH;
		return true;
	default:	/* unknown actions are no-ops */
		return false;
	}
}

enum ztdp_rules_result ztdp_rules_evaluate(const struct ztdp_rule *rules,
					   unsigned int count,
					   const struct ztdp_rules_frame *frame,
					   const struct ztdp_rules_env *env,
					   struct ztdp_rules_out *out)
{
	static const uint8_t empty[1];
	struct ztdp_rules_frame f = *frame;
	struct eval_state st = { 0 };
	enum ztdp_rules_result res;
	bool set = true;	/* an action with no match before it is taken */

	if (f.data == NULL)
		f.data = empty, f.len = 0;
	for (unsigned int i = 0; i < count; i++) {
		const struct ztdp_rule *rule = &rules[i];
		const unsigned int type = rule->t & ZTDP_RULE_TYPE_MASK;
		const bool not_bit = (rule->t & ZTDP_RULE_FLAG_NOT) != 0;
		enum match_outcome m;
		bool result;

		if (type <= ZTDP_RULE_ACTION_MAX_ID) {
			if (set) {
				if (take_action(rule, &f, env, &st, out, &res))
					return res;
				continue;
			}
			/* A skipped TEE/WATCH/REDIRECT naming us still makes a
			 * later inbound ACCEPT a super-accept. */
			if (f.inbound && env != NULL && env->self != 0 &&
			    (type == ZTDP_RULE_ACTION_TEE ||
			     type == ZTDP_RULE_ACTION_WATCH ||
			     type == ZTDP_RULE_ACTION_REDIRECT) &&
			    rule->v.fwd.address == env->self)
				st.super_accept = true;
			set = true;
			continue;
		}

		/* AND into a false set cannot change it. */
		if (!set && !(rule->t & ZTDP_RULE_FLAG_OR))
			continue;
		m = match_rule(rule, &f, env, &st);
		switch (m) {
		case M_HARD_NO:
			result = false;
			break;
		case M_HARD_YES:
			result = true;
			break;
		default:
			result = (m == M_YES) != not_bit;
			break;
		}
		if (rule->t & ZTDP_RULE_FLAG_OR)
			set = set || result;
		else
			set = set && result;
	}
	return ZTDP_RULES_NO_MATCH;
}

static void add_copy(struct ztdp_rules_verdict *v, uint64_t to, uint32_t len,
		     bool watch, bool inbound)
{
	struct ztdp_rules_copy *c;

	if (to == 0 || v->copy_count >= sizeof(v->copies) / sizeof(v->copies[0]))
		return;
	c = &v->copies[v->copy_count++];
	c->address = to;
	c->length = len;
	if (inbound)
		c->ext_flags = watch ? ZTDP_EXT_FRAME_FLAGS_WATCH_IN :
				       ZTDP_EXT_FRAME_FLAGS_TEE_IN;
	else
		c->ext_flags = watch ? ZTDP_EXT_FRAME_FLAGS_WATCH_OUT :
				       ZTDP_EXT_FRAME_FLAGS_TEE_OUT;
}

bool ztdp_rules_filter(const struct ztdp_rule *rules, unsigned int count,
		       const struct ztdp_rules_set *caps, unsigned int ncaps,
		       const struct ztdp_rules_frame *frame,
		       const struct ztdp_rules_env *env, bool no_tee,
		       struct ztdp_rules_verdict *verdict)
{
	struct ztdp_rules_out out, cout;
	enum ztdp_rules_result res;
	uint64_t final_dest;
	int accept = 0;		/* 0 drop, 1 accept, 2 super-accept */

	memset(verdict, 0, sizeof(*verdict));
	verdict->capability = -1;
	ztdp_rules_out_init(&out, frame);
	res = ztdp_rules_evaluate(rules, count, frame, env, &out);
	final_dest = out.dest;

	switch (res) {
	case ZTDP_RULES_NO_MATCH:
		for (unsigned int c = 0; c < ncaps && caps != NULL; c++) {
			enum ztdp_rules_result cr;

			ztdp_rules_out_init(&cout, frame);
			cout.qos_bucket = out.qos_bucket;
			cr = ztdp_rules_evaluate(caps[c].rules, caps[c].count,
						 frame, env, &cout);
			out.qos_bucket = cout.qos_bucket;
			/* A DROP in a capability only ends that capability. */
			if (cr == ZTDP_RULES_NO_MATCH || cr == ZTDP_RULES_DROP)
				continue;
			/* Outbound a capability's super-accept is a plain
			 * accept. */
			accept = (cr == ZTDP_RULES_SUPER_ACCEPT && frame->inbound) ?
					 2 : 1;
			verdict->capability = (int)c;
			final_dest = cout.dest;
			if (!(no_tee && !frame->inbound))
				add_copy(verdict, cout.copy_to, cout.copy_len,
					 cout.copy_watch, frame->inbound);
			break;
		}
		break;
	case ZTDP_RULES_DROP:
		break;
	case ZTDP_RULES_REDIRECT:
	case ZTDP_RULES_ACCEPT:
		accept = 1;
		break;
	case ZTDP_RULES_SUPER_ACCEPT:
		accept = 2;
		break;
	}

	verdict->qos_bucket = out.qos_bucket;
	if (!accept)
		return false;
	/* The network rules' own TEE/WATCH (remembered even if they fell
	 * through to a capability) goes out on any accept. */
	if (!(no_tee && !frame->inbound))
		add_copy(verdict, out.copy_to, out.copy_len, out.copy_watch,
			 frame->inbound);
	verdict->super_accept = accept == 2;
	if (final_dest != frame->zt_dest && final_dest != 0) {
		verdict->redirect_to = final_dest;
		verdict->redirect_flags = frame->inbound ?
						  ZTDP_EXT_FRAME_FLAGS_REDIRECT_IN :
						  ZTDP_EXT_FRAME_FLAGS_REDIRECT_OUT;
		return false;
	}
	verdict->accept = true;
	return true;
}
