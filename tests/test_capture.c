/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interop test against real traffic: dearmor every ZeroTier packet that
 * three ZeroTierOne 1.14.1 nodes (root, a, b) exchanged in
 * interop/data/pcap/underlay-join-ping.pcap, using those nodes' secret
 * identities, and check that the Ethernet frames they carried are the ones
 * seen in clear on a's TAP (interop/data/pcap/overlay-a-ping.pcap).
 *
 * Steps per AES backend: classify each UDP payload (section 5.1), reassemble
 * fragmented packets with a small table (just enough for this test), pick
 * the peer key by the header's source and destination addresses, dearmor,
 * LZ4-decompress, and rebuild FRAME / EXT_FRAME / MULTICAST_FRAME into
 * Ethernet frames (section 1.3 MACs).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <pcap/pcap.h>

#include "test_util.h"
#include "ztdp_armor.h"
#include "ztdp_crypto.h"
#include "ztdp_identity.h"
#include "ztdp_wire.h"

/* ---- Reference data ---------------------------------------------------- */

#define UNDERLAY_PCAP	"interop/data/pcap/underlay-join-ping.pcap"
#define OVERLAY_PCAP	"interop/data/pcap/overlay-a-ping.pcap"
#define NETWORK_ID_TXT	"interop/data/pcap/network-id.txt"
#define IDENTITY_DIR	"interop/data/identities/"

/* interop/data/README.md: "181 packets" of UDP on the bridge. */
#define UNDERLAY_UDP_DATAGRAMS	181
/* Pings of the recorded run: 10 + 10 of 56 bytes (plus the warm-up ones)
 * and 5 of 2700 bytes, each an echo request and a reply. */
#define PING_SMALL_LEN		56
#define PING_LARGE_LEN		2700
#define PING_SMALL_MIN_FRAMES	40
#define PING_LARGE_MIN_FRAMES	10

enum { NODE_ROOT, NODE_A, NODE_B, NODE_COUNT };
static const char *const node_names[NODE_COUNT] = { "root", "a", "b" };

/* ---- Ethernet / IPv4 / UDP / ICMP (underlay parsing only) --------------- */

#define ETH_ADDRS_LEN		12
#define ETH_HDR_LEN		14
#define ETHERTYPE_IPV4		0x0800
#define ETHERTYPE_VLAN		0x8100
#define ETHERTYPE_QINQ		0x88a8
#define ETHERTYPE_QINQ_OLD	0x9100
#define VLAN_TAG_LEN		4
#define SLL_HDR_LEN		16
#define SLL_IDX_PROTOCOL	14
#define SLL2_HDR_LEN		20
#define SLL2_IDX_PROTOCOL	0
#define NULL_HDR_LEN		4
#define NULL_AF_INET		2
#define IPV4_MIN_HDR_LEN	20
#define IPV4_FRAG_MASK		0x3fff	/* MF flag and fragment offset */
#define IPPROTO_ICMP_NUM	1
#define IPPROTO_UDP_NUM		17
#define UDP_HDR_LEN		8
#define ICMP_HDR_LEN		8
#define ICMP_ECHO_REPLY		0
#define ICMP_ECHO_REQUEST	8

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2		276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4		228
#endif

/* ---- Test state ---------------------------------------------------------- */

struct node {
	struct ztdp_identity id;
	uint8_t addr[ZTDP_ADDRESS_LEN];
	uint32_t ip;		/* underlay IPv4, learned from the capture */
	bool have_ip;
};

struct datagram {
	unsigned int index;	/* 1-based record number in the pcap */
	uint32_t src_ip, dst_ip;
	uint16_t src_port, dst_port;
	uint32_t len;
	uint8_t *data;
};

struct frame {
	uint8_t *data;
	uint32_t len;
	uint8_t verb;		/* the ZeroTier verb that carried it */
	bool used;		/* matched to an overlay frame already */
};

struct vec {
	void *v;
	size_t n, cap, elem;
};

/* Reassembly: just enough for this test (the protocol code has the real
 * one). Keyed by packet ID and the underlay path, so a packet relayed by
 * the root (seen twice on the bridge) cannot mix its two copies. */
#define REASM_SLOTS		32
struct reasm_entry {
	bool in_use;
	uint8_t packet_id[8];
	uint32_t src_ip, dst_ip;
	uint16_t src_port, dst_port;
	unsigned int total;	/* 0 until a fragment told us */
	uint8_t *part[ZTDP_MAX_FRAGMENTS];	/* [0] = head */
	uint32_t part_len[ZTDP_MAX_FRAGMENTS];
};

struct counts {
	unsigned int datagrams, beacons, junk, packets, heads, fragments;
	unsigned int reassembled, dup_fragments;
	unsigned int suite[8], relayed, compressed, hello_checked;
	unsigned int tamper_rejected, hops_ignored;
	unsigned int verbs[32];
	unsigned int frame_pkts, ext_frame_pkts, mc_frame_pkts, delivered_frames;
	unsigned int ov_unicast, ov_unicast_matched;
	unsigned int ov_multicast, ov_multicast_matched, ov_other;
	unsigned int ping_small, ping_small_matched;
	unsigned int ping_large, ping_large_matched;
};

struct capture_ctx {
	struct node nodes[NODE_COUNT];
	struct ztdp_peer_key keys[NODE_COUNT][NODE_COUNT];
	uint8_t raw_keys[NODE_COUNT][NODE_COUNT][ZTDP_PEER_KEY_LEN];
	bool keys_built;
	uint64_t nwid;
	uint8_t mac[NODE_COUNT][ZTDP_MAC_LEN];
	struct vec dgrams;	/* struct datagram, the underlay */
	struct vec overlay;	/* struct frame, a's TAP */
	struct vec frames;	/* struct frame, rebuilt from delivered packets */
	struct reasm_entry reasm[REASM_SLOTS];
	uint8_t *work, *plain, *scratch, *assembled;	/* ZTDP_MAX_PACKET_LEN each */
	unsigned int skipped_non_udp, skipped_ip_fragments;
	struct counts c;
};

/* ---- Small helpers ------------------------------------------------------- */

static void vec_init(struct vec *v, size_t elem)
{
	memset(v, 0, sizeof(*v));
	v->elem = elem;
}

static void *vec_push(struct vec *v)
{
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 64;
		void *nv = realloc(v->v, ncap * v->elem);

		assert_non_null(nv);
		v->v = nv;
		v->cap = ncap;
	}
	return memset((uint8_t *)v->v + v->n++ * v->elem, 0, v->elem);
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);

	assert_non_null(d);
	memcpy(d, p, n);
	return d;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static uint64_t addr_u64(const uint8_t *p)
{
	uint64_t a = 0;

	for (int i = 0; i < ZTDP_ADDRESS_LEN; i++)
		a = a << 8 | p[i];
	return a;
}

/* Section 1.3: the MAC a member has on a network. */
static void derive_mac(const uint8_t addr[ZTDP_ADDRESS_LEN], uint64_t nwid,
		       uint8_t mac[ZTDP_MAC_LEN])
{
	uint8_t first = (uint8_t)((nwid & 0xfe) | 0x02);

	if (first == ZTDP_MAC_FIRST_OCTET_AVOID)
		first = ZTDP_MAC_FIRST_OCTET_SUBST;
	mac[0] = first;
	for (int i = 0; i < ZTDP_ADDRESS_LEN; i++)
		mac[1 + i] = addr[i] ^ (uint8_t)(nwid >> (8 * (i + 1)));
}

static int node_by_addr(const struct capture_ctx *ctx, const uint8_t *p)
{
	for (int i = 0; i < NODE_COUNT; i++)
		if (memcmp(ctx->nodes[i].addr, p, ZTDP_ADDRESS_LEN) == 0)
			return i;
	return -1;
}

static int node_by_mac(const struct capture_ctx *ctx, const uint8_t *mac)
{
	for (int i = 0; i < NODE_COUNT; i++)
		if (memcmp(ctx->mac[i], mac, ZTDP_MAC_LEN) == 0)
			return i;
	return -1;
}

/* ---- Loading the reference data ------------------------------------------ */

static void load_identity(struct ztdp_identity *id, const char *name)
{
	char rel[128];
	size_t len;
	uint8_t *text;
	const char *why = NULL;

	snprintf(rel, sizeof(rel), IDENTITY_DIR "%s.identity.secret", name);
	text = ztdp_test_read_file(ztdp_test_shared_path(rel), &len);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
			   text[len - 1] == ' ' || text[len - 1] == '\t'))
		text[--len] = '\0';
	if (ztdp_identity_from_string(id, (const char *)text, &why) != 0)
		fail_msg("%s: %s", rel, why ? why : "does not parse");
	free(text);
	if (!id->has_private)
		fail_msg("%s has no private key", rel);
	if (!ztdp_identity_locally_validate(id))
		fail_msg("%s does not validate locally", rel);
}

static uint64_t load_network_id(void)
{
	size_t len;
	uint8_t *text = ztdp_test_read_file(ztdp_test_shared_path(NETWORK_ID_TXT), &len);
	char *end = NULL;
	unsigned long long v = strtoull((const char *)text, &end, 16);

	if (end == (char *)text || end - (char *)text != 16)
		fail_msg("%s: not a 16-digit network ID", NETWORK_ID_TXT);
	free(text);
	return (uint64_t)v;
}

/* Find the IPv4 header in a link-layer record: *off set on success. Returns
 * false for anything that is not IPv4 (ARP, IPv6, ...). */
static bool link_to_ipv4(int dlt, const uint8_t *p, uint32_t caplen,
			 uint32_t *off)
{
	uint32_t o;
	uint16_t type;

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < ETH_HDR_LEN)
			return false;
		o = ETH_ADDRS_LEN;
		type = be16(p + o);
		while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ ||
		       type == ETHERTYPE_QINQ_OLD) {
			o += VLAN_TAG_LEN;
			if (caplen < o + 2)
				return false;
			type = be16(p + o);
		}
		o += 2;
		break;
	case DLT_LINUX_SLL:
		if (caplen < SLL_HDR_LEN)
			return false;
		type = be16(p + SLL_IDX_PROTOCOL);
		o = SLL_HDR_LEN;
		break;
	case DLT_LINUX_SLL2:
		if (caplen < SLL2_HDR_LEN)
			return false;
		type = be16(p + SLL2_IDX_PROTOCOL);
		o = SLL2_HDR_LEN;
		break;
	case DLT_NULL:
	case DLT_LOOP:
		/* 4-byte address family, host order (NULL) or big-endian
		 * (LOOP); AF_INET is 2 everywhere. */
		if (caplen < NULL_HDR_LEN)
			return false;
		if (!(p[0] == NULL_AF_INET && p[1] == 0 && p[2] == 0 && p[3] == 0) &&
		    !(p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == NULL_AF_INET))
			return false;
		type = ETHERTYPE_IPV4;
		o = NULL_HDR_LEN;
		break;
	case DLT_RAW:
	case DLT_IPV4:
		type = ETHERTYPE_IPV4;
		o = 0;
		break;
	default:
		fail_msg("unsupported pcap link type %d (%s)", dlt,
			 pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?");
		return false;
	}
	if (type != ETHERTYPE_IPV4 || o >= caplen || (p[o] >> 4) != 4)
		return false;
	*off = o;
	return true;
}

/* One link-layer record to a UDP datagram; bounds-checked at each layer. */
static void take_record(struct capture_ctx *ctx, int dlt, unsigned int index,
			const uint8_t *p, uint32_t caplen)
{
	uint32_t ip, ihl, total, ulen;
	struct datagram *d;

	if (!link_to_ipv4(dlt, p, caplen, &ip)) {
		ctx->skipped_non_udp++;
		return;
	}
	if (caplen - ip < IPV4_MIN_HDR_LEN)
		fail_msg("record %u: truncated IPv4 header", index);
	ihl = (uint32_t)(p[ip] & 0x0f) * 4;
	total = be16(p + ip + 2);
	/* total may be below caplen - ip (Ethernet padding), never above. */
	if (ihl < IPV4_MIN_HDR_LEN || total < ihl || total > caplen - ip)
		fail_msg("record %u: bad IPv4 lengths (ihl %u total %u cap %u)",
			 index, ihl, total, caplen - ip);
	if (p[ip + 9] != IPPROTO_UDP_NUM) {
		ctx->skipped_non_udp++;
		return;
	}
	if ((be16(p + ip + 6) & IPV4_FRAG_MASK) != 0) {
		/* ZeroTier never relies on IP fragmentation. */
		ctx->skipped_ip_fragments++;
		return;
	}
	if (total - ihl < UDP_HDR_LEN)
		fail_msg("record %u: truncated UDP header", index);
	ulen = be16(p + ip + ihl + 4);
	if (ulen < UDP_HDR_LEN || ulen > total - ihl)
		fail_msg("record %u: bad UDP length %u", index, ulen);
	d = vec_push(&ctx->dgrams);
	d->index = index;
	d->src_ip = be32(p + ip + 12);
	d->dst_ip = be32(p + ip + 16);
	d->src_port = be16(p + ip + ihl);
	d->dst_port = be16(p + ip + ihl + 2);
	d->len = ulen - UDP_HDR_LEN;
	d->data = dup_bytes(p + ip + ihl + UDP_HDR_LEN, d->len);
}

/* Read every record of a pcap file. Underlay: UDP datagrams into
 * ctx->dgrams. Overlay: whole Ethernet frames into ctx->overlay. */
static void read_pcap(struct capture_ctx *ctx, const char *rel, bool overlay)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc = pcap_open_offline(ztdp_test_shared_path(rel), errbuf);
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned int index = 0;
	int dlt, rc;

	if (pc == NULL)
		fail_msg("%s: %s", rel, errbuf);
	dlt = pcap_datalink(pc);
	if (overlay && dlt != DLT_EN10MB)
		fail_msg("%s: link type %d, expected Ethernet", rel, dlt);
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		index++;
		if (h->caplen != h->len)
			fail_msg("%s: record %u truncated (%u of %u bytes)", rel,
				 index, h->caplen, h->len);
		if (overlay) {
			struct frame *f;

			if (h->caplen < ETH_HDR_LEN)
				fail_msg("%s: record %u shorter than Ethernet", rel, index);
			f = vec_push(&ctx->overlay);
			f->data = dup_bytes(data, h->caplen);
			f->len = h->caplen;
		} else {
			take_record(ctx, dlt, index, data, h->caplen);
		}
	}
	if (rc != PCAP_ERROR_BREAK)
		fail_msg("%s: %s", rel, pcap_geterr(pc));
	pcap_close(pc);
}

/* Learn each node's underlay address from unrelayed packet heads: hops 0
 * means the UDP source is the node named in the header's source field. */
static void learn_underlay_ips(struct capture_ctx *ctx)
{
	const struct datagram *d = ctx->dgrams.v;

	for (size_t i = 0; i < ctx->dgrams.n; i++) {
		int n;

		if (d[i].len < ZTDP_PKT_MIN_LEN ||
		    d[i].data[ZTDP_FRAG_IDX_INDICATOR] == ZTDP_FRAG_INDICATOR ||
		    (d[i].data[ZTDP_PKT_IDX_FLAGS] & ZTDP_PKT_FLAGS_HOPS_MASK) != 0)
			continue;
		n = node_by_addr(ctx, d[i].data + ZTDP_PKT_IDX_SOURCE);
		if (n < 0)
			continue;	/* reported when the packet is handled */
		if (ctx->nodes[n].have_ip && ctx->nodes[n].ip != d[i].src_ip)
			fail_msg("%s seen at two underlay addresses", node_names[n]);
		ctx->nodes[n].ip = d[i].src_ip;
		ctx->nodes[n].have_ip = true;
	}
}

/* ---- Keys ----------------------------------------------------------------- */

static void build_keys(struct capture_ctx *ctx)
{
	for (int i = 0; i < NODE_COUNT; i++) {
		for (int j = 0; j < NODE_COUNT; j++) {
			uint8_t back[ZTDP_PEER_KEY_LEN];

			if (i == j)
				continue;
			assert_int_equal(ztdp_identity_agree(&ctx->nodes[i].id,
							     &ctx->nodes[j].id,
							     ctx->raw_keys[i][j]), 0);
			/* Agreement is symmetric. */
			assert_int_equal(ztdp_identity_agree(&ctx->nodes[j].id,
							     &ctx->nodes[i].id, back), 0);
			assert_memory_equal(ctx->raw_keys[i][j], back, sizeof(back));
			assert_int_equal(ztdp_peer_key_init(&ctx->keys[i][j],
							    ctx->raw_keys[i][j]),
					 ZTDP_ARMOR_OK);
		}
	}
	ctx->keys_built = true;
}

static void clear_keys(struct capture_ctx *ctx)
{
	if (!ctx->keys_built)
		return;
	for (int i = 0; i < NODE_COUNT; i++)
		for (int j = 0; j < NODE_COUNT; j++)
			if (i != j)
				ztdp_peer_key_clear(&ctx->keys[i][j]);
	ctx->keys_built = false;
}

/* ---- Frames ---------------------------------------------------------------- */

/* Length of a certificate of membership at p (section 9.1), 0 if bad. */
static size_t com_len(const uint8_t *p, size_t avail)
{
	size_t q, n;

	if (avail < ZTDP_COM_FIXED_LEN || p[0] != ZTDP_COM_TYPE)
		return 0;
	q = be16(p + 1);
	if (q > ZTDP_COM_MAX_QUALIFIERS)
		return 0;
	n = 3 + q * ZTDP_COM_QUALIFIER_LEN;
	if (avail < n + ZTDP_ADDRESS_LEN)
		return 0;
	if (addr_u64(p + n) != 0)
		n += ZTDP_C25519_SIGNATURE_LEN;
	n += ZTDP_ADDRESS_LEN;
	return n <= avail ? n : 0;
}

static void add_frame(struct capture_ctx *ctx, uint8_t verb,
		      const uint8_t *dst, const uint8_t *src,
		      const uint8_t *ethertype, const uint8_t *data, size_t dlen)
{
	struct frame *f = vec_push(&ctx->frames);

	f->len = (uint32_t)(ETH_HDR_LEN + dlen);
	f->data = malloc(f->len);
	assert_non_null(f->data);
	memcpy(f->data, dst, ZTDP_MAC_LEN);
	memcpy(f->data + ZTDP_MAC_LEN, src, ZTDP_MAC_LEN);
	memcpy(f->data + ETH_ADDRS_LEN, ethertype, 2);
	memcpy(f->data + ETH_HDR_LEN, data, dlen);
	f->verb = verb;
	ctx->c.delivered_frames++;
}

/* Rebuild the Ethernet frame a FRAME, EXT_FRAME or MULTICAST_FRAME carries
 * (pkt is dearmored and decompressed). Kept only if delivered. */
static void take_frame(struct capture_ctx *ctx, const struct datagram *d,
		       const uint8_t *pkt, size_t len, uint8_t verb,
		       int src, int dst, bool delivered)
{
	const uint8_t *p = pkt + ZTDP_PKT_IDX_PAYLOAD;
	size_t plen = len - ZTDP_PKT_IDX_PAYLOAD, o;
	uint8_t dmac[ZTDP_MAC_LEN], smac[ZTDP_MAC_LEN];
	const uint8_t *dm, *sm;
	uint8_t flags;
	uint64_t nwid;

	if (plen < ZTDP_NWID_LEN + 1)
		fail_msg("record %u: frame verb %#x too short", d->index, verb);
	nwid = be64(p);
	if (nwid != ctx->nwid)
		fail_msg("record %u: frame for network %016" PRIx64, d->index, nwid);
	derive_mac(ctx->nodes[src].addr, nwid, smac);
	derive_mac(ctx->nodes[dst].addr, nwid, dmac);

	switch (verb) {
	case ZTDP_VERB_FRAME:
		ctx->c.frame_pkts++;
		if (plen < ZTDP_FRAME_IDX_DATA)
			fail_msg("record %u: FRAME too short", d->index);
		if (delivered)
			add_frame(ctx, verb, dmac, smac, p + ZTDP_FRAME_IDX_ETHERTYPE,
				  p + ZTDP_FRAME_IDX_DATA, plen - ZTDP_FRAME_IDX_DATA);
		break;
	case ZTDP_VERB_EXT_FRAME:
		ctx->c.ext_frame_pkts++;
		flags = p[ZTDP_EXT_FRAME_IDX_FLAGS];
		o = ZTDP_EXT_FRAME_IDX_COM;
		if (flags & ZTDP_EXT_FRAME_FLAG_COM) {
			size_t n = com_len(p + o, plen - o);

			if (n == 0)
				fail_msg("record %u: EXT_FRAME with a bad COM", d->index);
			o += n;
		}
		if (plen < o + 2 * ZTDP_MAC_LEN + 2)
			fail_msg("record %u: EXT_FRAME too short", d->index);
		if (delivered)
			add_frame(ctx, verb, p + o, p + o + ZTDP_MAC_LEN,
				  p + o + 2 * ZTDP_MAC_LEN, p + o + ETH_HDR_LEN,
				  plen - o - ETH_HDR_LEN);
		break;
	case ZTDP_VERB_MULTICAST_FRAME:
		ctx->c.mc_frame_pkts++;
		flags = p[ZTDP_MC_FRAME_IDX_FLAGS];
		o = ZTDP_MC_FRAME_IDX_OPTIONAL;
		if (flags & ZTDP_MC_FRAME_FLAG_COM) {
			size_t n = com_len(p + o, plen - o);

			if (n == 0)
				fail_msg("record %u: MULTICAST_FRAME with a bad COM", d->index);
			o += n;
		}
		if (flags & ZTDP_MC_FRAME_FLAG_GATHER_LIMIT)
			o += ZTDP_MC_GATHER_LIMIT_LEN;
		if (flags & ZTDP_MC_FRAME_FLAG_SOURCE_MAC)
			o += ZTDP_MAC_LEN;
		if (plen < o + ZTDP_MAC_LEN + ZTDP_MC_ADI_LEN + 2)
			fail_msg("record %u: MULTICAST_FRAME too short", d->index);
		sm = smac;
		if (flags & ZTDP_MC_FRAME_FLAG_SOURCE_MAC)
			sm = p + o - ZTDP_MAC_LEN;
		dm = p + o;
		o += ZTDP_MAC_LEN + ZTDP_MC_ADI_LEN;
		if (!(dm[0] & 0x01))
			fail_msg("record %u: MULTICAST_FRAME to a unicast MAC", d->index);
		if (delivered)
			add_frame(ctx, verb, dm, sm, p + o, p + o + 2, plen - o - 2);
		break;
	default:
		break;
	}
}

/* ---- Packets ----------------------------------------------------------- */

/* HELLO carries the sender's identity (section 6.2): it must be the one we
 * know, and the key a receiver would compute from it must be ours. */
static void check_hello(struct capture_ctx *ctx, const struct datagram *d,
			const uint8_t *pkt, size_t len, int src, int dst)
{
	struct ztdp_identity hid;
	uint8_t key[ZTDP_PEER_KEY_LEN];
	size_t off = ZTDP_PKT_IDX_PAYLOAD + ZTDP_HELLO_IDX_IDENTITY;
	int n;

	if (len < off + ZTDP_IDENTITY_PUBLIC_BIN_LEN)
		fail_msg("record %u: HELLO too short", d->index);
	memset(&hid, 0, sizeof(hid));
	n = ztdp_identity_deserialize(&hid, pkt + off, len - off);
	if (n != ZTDP_IDENTITY_PUBLIC_BIN_LEN)
		fail_msg("record %u: HELLO identity does not parse (%d)", d->index, n);
	assert_false(hid.has_private);
	assert_true(hid.address == addr_u64(ctx->nodes[src].addr));
	assert_memory_equal(hid.pub, ctx->nodes[src].id.pub, ZTDP_C25519_PUBLIC_LEN);
	assert_int_equal(ztdp_identity_agree(&ctx->nodes[dst].id, &hid, key), 0);
	assert_memory_equal(key, ctx->raw_keys[dst][src], sizeof(key));
	ctx->c.hello_checked++;
}

/* A whole (reassembled if need be) packet as it came off the wire. */
static void handle_packet(struct capture_ctx *ctx, const struct datagram *d,
			  const uint8_t *wire, size_t len, bool reassembled)
{
	const uint8_t flags = wire[ZTDP_PKT_IDX_FLAGS];
	const unsigned int cipher = (flags & ZTDP_PKT_FLAGS_CIPHER_MASK) >>
				    ZTDP_PKT_FLAGS_CIPHER_SHIFT;
	const unsigned int hops = flags & ZTDP_PKT_FLAGS_HOPS_MASK;
	const int src = node_by_addr(ctx, wire + ZTDP_PKT_IDX_SOURCE);
	const int dst = node_by_addr(ctx, wire + ZTDP_PKT_IDX_DEST);
	const struct ztdp_peer_key *pk;
	uint8_t *pkt = ctx->work;
	size_t plen = len;
	uint8_t verb;
	bool delivered;
	int rc;

	if (len < ZTDP_PKT_MIN_LEN || len > ZTDP_MAX_PACKET_LEN)
		fail_msg("record %u: packet of %zu bytes", d->index, len);
	if (src < 0 || dst < 0 || src == dst)
		fail_msg("record %u: packet %010" PRIx64 " -> %010" PRIx64
			 " is not between two known nodes", d->index,
			 addr_u64(wire + ZTDP_PKT_IDX_SOURCE),
			 addr_u64(wire + ZTDP_PKT_IDX_DEST));
	pk = &ctx->keys[dst][src];
	ctx->c.packets++;

	if (cipher == ZTDP_CIPHER_POLY1305_NONE &&
	    (wire[ZTDP_PKT_IDX_VERB] & ZTDP_PKT_VERB_MASK) == ZTDP_VERB_HELLO)
		check_hello(ctx, d, wire, len, src, dst);

	memcpy(pkt, wire, len);
	rc = ztdp_dearmor(pk, pkt, len);
	if (rc < 0)
		fail_msg("record %u: %s -> %s suite %u hops %u len %zu%s: dearmor %d",
			 d->index, node_names[src], node_names[dst], cipher, hops,
			 len, reassembled ? " (reassembled)" : "", rc);
	assert_int_equal(rc, (int)cipher);
	ctx->c.suite[cipher]++;
	if (hops > 0)
		ctx->c.relayed++;
	if (reassembled)
		ctx->c.reassembled++;

	/* The same packet with one bit flipped at the end must not
	 * authenticate... */
	memcpy(ctx->scratch, wire, len);
	ctx->scratch[len - 1] ^= 0x01;
	if (ztdp_dearmor(pk, ctx->scratch, len) != ZTDP_ARMOR_EAUTH)
		fail_msg("record %u: tampered packet not rejected", d->index);
	ctx->c.tamper_rejected++;
	/* ...but a different hop count (not authenticated) changes nothing. */
	memcpy(ctx->scratch, wire, len);
	ctx->scratch[ZTDP_PKT_IDX_FLAGS] =
		(uint8_t)((flags & ~ZTDP_PKT_FLAGS_HOPS_MASK) | ((hops + 3) & ZTDP_PKT_FLAGS_HOPS_MASK));
	if (ztdp_dearmor(pk, ctx->scratch, len) != rc ||
	    memcmp(ctx->scratch + ZTDP_PKT_IDX_VERB, pkt + ZTDP_PKT_IDX_VERB,
		   len - ZTDP_PKT_IDX_VERB) != 0)
		fail_msg("record %u: hop count changed the outcome", d->index);
	ctx->c.hops_ignored++;

	verb = pkt[ZTDP_PKT_IDX_VERB];
	if (verb & ZTDP_PKT_VERB_FLAG_COMPRESSED) {
		int n;

		memcpy(ctx->plain, pkt, ZTDP_PKT_IDX_PAYLOAD);
		n = LZ4_decompress_safe((const char *)pkt + ZTDP_PKT_IDX_PAYLOAD,
					(char *)ctx->plain + ZTDP_PKT_IDX_PAYLOAD,
					(int)(len - ZTDP_PKT_IDX_PAYLOAD),
					ZTDP_MAX_PACKET_LEN - ZTDP_PKT_IDX_PAYLOAD);
		if (n <= 0)
			fail_msg("record %u: LZ4 payload does not decompress", d->index);
		pkt = ctx->plain;
		plen = ZTDP_PKT_IDX_PAYLOAD + (size_t)n;
		ctx->c.compressed++;
	}
	verb &= ZTDP_PKT_VERB_MASK;
	ctx->c.verbs[verb]++;
	if (cipher == ZTDP_CIPHER_POLY1305_NONE)
		assert_int_equal(verb, ZTDP_VERB_HELLO);

	/* The copy that reached its destination, not the one on its way to
	 * the relay. */
	delivered = ctx->nodes[dst].have_ip && d->dst_ip == ctx->nodes[dst].ip;
	if (verb == ZTDP_VERB_FRAME || verb == ZTDP_VERB_EXT_FRAME ||
	    verb == ZTDP_VERB_MULTICAST_FRAME)
		take_frame(ctx, d, pkt, plen, verb, src, dst, delivered);
}

/* ---- Reassembly ------------------------------------------------------------ */

static struct reasm_entry *reasm_find(struct capture_ctx *ctx,
				      const struct datagram *d)
{
	struct reasm_entry *free_slot = NULL;

	for (int i = 0; i < REASM_SLOTS; i++) {
		struct reasm_entry *e = &ctx->reasm[i];

		if (!e->in_use) {
			if (free_slot == NULL)
				free_slot = e;
			continue;
		}
		if (memcmp(e->packet_id, d->data, 8) == 0 &&
		    e->src_ip == d->src_ip && e->dst_ip == d->dst_ip &&
		    e->src_port == d->src_port && e->dst_port == d->dst_port)
			return e;
	}
	if (free_slot == NULL)
		fail_msg("record %u: reassembly table full", d->index);
	free_slot->in_use = true;
	memcpy(free_slot->packet_id, d->data, 8);
	free_slot->src_ip = d->src_ip;
	free_slot->dst_ip = d->dst_ip;
	free_slot->src_port = d->src_port;
	free_slot->dst_port = d->dst_port;
	free_slot->total = 0;
	return free_slot;
}

static void reasm_free(struct reasm_entry *e)
{
	for (int i = 0; i < ZTDP_MAX_FRAGMENTS; i++) {
		free(e->part[i]);
		e->part[i] = NULL;
		e->part_len[i] = 0;
	}
	e->in_use = false;
}

/* Store one piece (number 0 = head); hand the packet on once complete. */
static void reasm_add(struct capture_ctx *ctx, const struct datagram *d,
		      unsigned int number, unsigned int total,
		      const uint8_t *p, size_t n)
{
	struct reasm_entry *e = reasm_find(ctx, d);
	size_t len = 0;

	if (total != 0) {
		if (e->total != 0 && e->total != total)
			fail_msg("record %u: fragments disagree on the total", d->index);
		e->total = total;
	}
	if (e->part[number] != NULL) {
		ctx->c.dup_fragments++;
		return;
	}
	e->part[number] = dup_bytes(p, n);
	e->part_len[number] = (uint32_t)n;
	if (e->total == 0)
		return;
	for (unsigned int i = 0; i < e->total; i++) {
		if (e->part[i] == NULL)
			return;
		len += e->part_len[i];
	}
	if (len > ZTDP_MAX_PACKET_LEN)
		fail_msg("record %u: reassembled packet of %zu bytes", d->index, len);
	len = 0;
	for (unsigned int i = 0; i < e->total; i++) {
		memcpy(ctx->assembled + len, e->part[i], e->part_len[i]);
		len += e->part_len[i];
	}
	reasm_free(e);
	handle_packet(ctx, d, ctx->assembled, len, true);
}

/* Section 5.1 classification of one UDP payload. */
static void handle_datagram(struct capture_ctx *ctx, const struct datagram *d)
{
	const uint8_t *p = d->data;

	ctx->c.datagrams++;
	if (d->len == ZTDP_BEACON_LEN) {
		ctx->c.beacons++;
	} else if (d->len > ZTDP_FRAG_HEADER_LEN &&
		   p[ZTDP_FRAG_IDX_INDICATOR] == ZTDP_FRAG_INDICATOR) {
		unsigned int total = p[ZTDP_FRAG_IDX_COUNTS] >> ZTDP_FRAG_COUNTS_TOTAL_SHIFT;
		unsigned int number = p[ZTDP_FRAG_IDX_COUNTS] & ZTDP_FRAG_COUNTS_NUMBER_MASK;

		if (total < 2 || total > ZTDP_MAX_FRAGMENTS || number < 1 ||
		    number >= total)
			fail_msg("record %u: fragment %u of %u", d->index, number, total);
		ctx->c.fragments++;
		reasm_add(ctx, d, number, total, p + ZTDP_FRAG_IDX_PAYLOAD,
			  d->len - ZTDP_FRAG_HEADER_LEN);
	} else if (d->len >= ZTDP_PKT_MIN_LEN) {
		if (p[ZTDP_PKT_IDX_FLAGS] & ZTDP_PKT_FLAG_FRAGMENTED) {
			ctx->c.heads++;
			reasm_add(ctx, d, 0, 0, p, d->len);
		} else {
			handle_packet(ctx, d, p, d->len, false);
		}
	} else if (d->len == ZTDP_JUNK_LEN) {
		ctx->c.junk++;
	} else {
		fail_msg("record %u: %u-byte datagram is nothing ZeroTier sends",
			 d->index, d->len);
	}
}

/* ---- Overlay matching ------------------------------------------------------ */

/* ICMP echo payload length of an Ethernet/IPv4 frame, or -1. */
static long icmp_echo_len(const struct frame *f)
{
	const uint8_t *ip = f->data + ETH_HDR_LEN;
	uint32_t avail = f->len - ETH_HDR_LEN, ihl, total;

	if (be16(f->data + ETH_ADDRS_LEN) != ETHERTYPE_IPV4 ||
	    avail < IPV4_MIN_HDR_LEN || (ip[0] >> 4) != 4)
		return -1;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	total = be16(ip + 2);
	if (ihl < IPV4_MIN_HDR_LEN || total > avail || total < ihl + ICMP_HDR_LEN ||
	    ip[9] != IPPROTO_ICMP_NUM)
		return -1;
	if (ip[ihl] != ICMP_ECHO_REQUEST && ip[ihl] != ICMP_ECHO_REPLY)
		return -1;
	return (long)(total - ihl - ICMP_HDR_LEN);
}

static bool match_frame(struct capture_ctx *ctx, const struct frame *o)
{
	struct frame *f = ctx->frames.v;

	for (size_t i = 0; i < ctx->frames.n; i++) {
		if (!f[i].used && f[i].len == o->len &&
		    memcmp(f[i].data, o->data, o->len) == 0) {
			f[i].used = true;
			return true;
		}
	}
	return false;
}

/* Every frame on a's TAP that went between a and b must be one of the
 * frames rebuilt from the packets delivered to a or b. */
static void match_overlay(struct capture_ctx *ctx)
{
	const struct frame *o = ctx->overlay.v;
	struct counts *c = &ctx->c;

	for (size_t i = 0; i < ctx->overlay.n; i++) {
		int dn = node_by_mac(ctx, o[i].data);
		int sn = node_by_mac(ctx, o[i].data + ZTDP_MAC_LEN);
		bool multicast = o[i].data[0] & 0x01;
		bool ok;
		long echo;

		if (sn != NODE_A && sn != NODE_B) {
			c->ov_other++;
			continue;
		}
		if (multicast) {
			c->ov_multicast++;
			if (match_frame(ctx, &o[i]))
				c->ov_multicast_matched++;
			continue;
		}
		if ((dn != NODE_A && dn != NODE_B) || dn == sn) {
			c->ov_other++;
			continue;
		}
		c->ov_unicast++;
		ok = match_frame(ctx, &o[i]);
		if (ok)
			c->ov_unicast_matched++;
		else
			print_message("overlay frame %zu (%u bytes, %s -> %s) not found\n",
				      i + 1, o[i].len, node_names[sn], node_names[dn]);
		echo = icmp_echo_len(&o[i]);
		if (echo == PING_SMALL_LEN) {
			c->ping_small++;
			c->ping_small_matched += ok;
		} else if (echo == PING_LARGE_LEN) {
			c->ping_large++;
			c->ping_large_matched += ok;
		}
	}
}

/* ---- The test ---------------------------------------------------------------- */

static void ctx_free(struct capture_ctx *ctx)
{
	struct datagram *d = ctx->dgrams.v;
	struct frame *f;

	clear_keys(ctx);
	for (size_t i = 0; i < ctx->dgrams.n; i++)
		free(d[i].data);
	free(ctx->dgrams.v);
	f = ctx->overlay.v;
	for (size_t i = 0; i < ctx->overlay.n; i++)
		free(f[i].data);
	free(ctx->overlay.v);
	f = ctx->frames.v;
	for (size_t i = 0; i < ctx->frames.n; i++)
		free(f[i].data);
	free(ctx->frames.v);
	for (int i = 0; i < REASM_SLOTS; i++)
		reasm_free(&ctx->reasm[i]);
	for (int i = 0; i < NODE_COUNT; i++)
		ztdp_identity_clear(&ctx->nodes[i].id);
	free(ctx->work);
	free(ctx->plain);
	free(ctx->scratch);
	free(ctx->assembled);
	free(ctx);
}

/* One complete pass with the AES backend that is current. */
static void run_capture(const char *backend, struct counts *out)
{
	struct capture_ctx *ctx = calloc(1, sizeof(*ctx));
	const struct datagram *d;
	struct counts *c;

	assert_non_null(ctx);
	c = &ctx->c;
	vec_init(&ctx->dgrams, sizeof(struct datagram));
	vec_init(&ctx->overlay, sizeof(struct frame));
	vec_init(&ctx->frames, sizeof(struct frame));
	ctx->work = malloc(ZTDP_MAX_PACKET_LEN);
	ctx->plain = malloc(ZTDP_MAX_PACKET_LEN);
	ctx->scratch = malloc(ZTDP_MAX_PACKET_LEN);
	ctx->assembled = malloc(ZTDP_MAX_PACKET_LEN);
	assert_true(ctx->work && ctx->plain && ctx->scratch && ctx->assembled);

	for (int i = 0; i < NODE_COUNT; i++) {
		load_identity(&ctx->nodes[i].id, node_names[i]);
		ztdp_address_to_bytes(ctx->nodes[i].id.address, ctx->nodes[i].addr);
	}
	ctx->nwid = load_network_id();
	for (int i = 0; i < NODE_COUNT; i++)
		derive_mac(ctx->nodes[i].addr, ctx->nwid, ctx->mac[i]);
	build_keys(ctx);

	read_pcap(ctx, UNDERLAY_PCAP, false);
	read_pcap(ctx, OVERLAY_PCAP, true);
	assert_int_equal(ctx->dgrams.n, UNDERLAY_UDP_DATAGRAMS);
	assert_int_equal(ctx->skipped_ip_fragments, 0);
	learn_underlay_ips(ctx);
	for (int i = 0; i < NODE_COUNT; i++)
		if (!ctx->nodes[i].have_ip)
			fail_msg("no unrelayed packet from %s", node_names[i]);

	d = ctx->dgrams.v;
	for (size_t i = 0; i < ctx->dgrams.n; i++)
		handle_datagram(ctx, &d[i]);
	for (int i = 0; i < REASM_SLOTS; i++)
		if (ctx->reasm[i].in_use)
			fail_msg("a fragmented packet never completed");
	match_overlay(ctx);

	print_message("capture[%s]: %u datagrams (%u beacon, %u junk), %u packets "
		      "authenticated: suite0 %u, suite1 %u, suite3 %u; %u relayed, "
		      "%u LZ4, %u HELLO identities checked; %u heads + %u fragments -> "
		      "%u reassembled; FRAME %u, EXT_FRAME %u, MULTICAST_FRAME %u "
		      "(%u delivered frames); overlay a<->b unicast %u/%u matched, "
		      "multicast %u/%u, other %u; pings %uB %u/%u, %uB %u/%u\n",
		      backend, c->datagrams, c->beacons, c->junk, c->packets,
		      c->suite[0], c->suite[1], c->suite[3], c->relayed,
		      c->compressed, c->hello_checked, c->heads, c->fragments,
		      c->reassembled, c->frame_pkts, c->ext_frame_pkts,
		      c->mc_frame_pkts, c->delivered_frames, c->ov_unicast_matched,
		      c->ov_unicast, c->ov_multicast_matched, c->ov_multicast,
		      c->ov_other, PING_SMALL_LEN, c->ping_small_matched,
		      c->ping_small, PING_LARGE_LEN, c->ping_large_matched,
		      c->ping_large);

	/* Every datagram was a packet, a piece of one, a beacon or junk, and
	 * every packet authenticated (asserted per packet above). */
	assert_int_equal(c->datagrams, UNDERLAY_UDP_DATAGRAMS);
	assert_int_equal(c->packets + c->heads + c->fragments + c->beacons + c->junk -
			 c->reassembled, c->datagrams);
	assert_int_equal(c->suite[0] + c->suite[1] + c->suite[3], c->packets);
	assert_true(c->suite[0] > 0);
	assert_true(c->suite[1] > 0);
	assert_true(c->suite[3] > 0);
	assert_int_equal(c->suite[0], c->hello_checked);
	assert_true(c->fragments > 0);
	assert_true(c->reassembled > 0);
	assert_int_equal(c->reassembled, c->heads);
	assert_true(c->relayed > 0);
	assert_int_equal(c->tamper_rejected, c->packets);
	assert_int_equal(c->hops_ignored, c->packets);
	assert_true(c->frame_pkts > 0);
	/* The frames on a's TAP. */
	assert_true(c->ov_unicast > 0);
	assert_int_equal(c->ov_unicast_matched, c->ov_unicast);
	assert_int_equal(c->ov_multicast_matched, c->ov_multicast);
	assert_true(c->ping_small >= PING_SMALL_MIN_FRAMES);
	assert_int_equal(c->ping_small_matched, c->ping_small);
	assert_true(c->ping_large >= PING_LARGE_MIN_FRAMES);
	assert_int_equal(c->ping_large_matched, c->ping_large);

	*out = *c;
	ctx_free(ctx);
}

static bool have_shared_data(void)
{
	static const char *const files[] = {
		UNDERLAY_PCAP, OVERLAY_PCAP, NETWORK_ID_TXT,
		IDENTITY_DIR "root.identity.secret",
		IDENTITY_DIR "a.identity.secret",
		IDENTITY_DIR "b.identity.secret",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (!ztdp_test_have_shared(files[i]))
			return false;
	return true;
}

/* The whole capture once per AES backend this CPU can run; all backends
 * must see the same thing. */
static void test_capture_all_backends(void **state)
{
	const char *const *names = ztdp_crypto_aes_backend_names();
	struct counts first, now;
	unsigned int runs = 0;

	(void)state;
	assert_non_null(names);
	for (size_t i = 0; names[i] != NULL; i++) {
		if (!ztdp_crypto_aes_backend_usable(names[i])) {
			print_message("capture: AES backend %s cannot run here, skipped\n",
				      names[i]);
			continue;
		}
		assert_int_equal(ztdp_crypto_select_aes_backend(names[i]), 0);
		assert_string_equal(ztdp_crypto_aes_backend_name(), names[i]);
		memset(&now, 0, sizeof(now));
		run_capture(names[i], &now);
		if (runs++ == 0)
			first = now;
		else
			assert_memory_equal(&first, &now, sizeof(now));
	}
	assert_true(runs > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_all_backends),
	};

	if (ztdp_crypto_init(NULL) != 0) {
		fprintf(stderr, "ztdp_crypto_init failed\n");
		return 1;
	}
	/* Without the reference data there is nothing to test: tell meson
	 * (exit 77) rather than pass. */
	if (!have_shared_data())
		return 77;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
