/* SPDX-License-Identifier: BSD-3-Clause */
/* Test helper: plaintext ZeroTier packets of a real capture. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "test_util.h"
#include "verbs_capture.h"
#include "ztdp_buf.h"
#include "ztdp_packet.h"
#include "ztdp_reasm.h"
#include "ztdp_verbs.h"
#include "ztdp_wire.h"

#define ETH_HDR_LEN	14
#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_VLAN	0x8100
#define IPV4_MIN_HDR	20
#define IPPROTO_UDP_NUM	17
#define UDP_HDR_LEN	8

static const char *const vc_names[VC_NODES] = { "root", "a", "b" };

bool vc_nodes_load(struct vc_nodes *n, const char *dir)
{
	char rel[256];

	memset(n, 0, sizeof(*n));
	for (int i = 0; i < VC_NODES; i++) {
		const char *why = NULL;
		uint8_t *text;
		size_t len;

		snprintf(rel, sizeof(rel), "%s/%s.identity.secret", dir, vc_names[i]);
		if (!ztdp_test_have_shared(rel))
			return false;
		text = ztdp_test_read_file(ztdp_test_shared_path(rel), &len);
		while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
				   text[len - 1] == ' '))
			text[--len] = '\0';
		if (ztdp_identity_from_string(&n->id[i], (const char *)text, &why) != 0)
			fail_msg("%s: %s", rel, why ? why : "bad identity");
		free(text);
		assert_true(n->id[i].has_private);
	}
	for (int i = 0; i < VC_NODES; i++) {
		for (int j = 0; j < VC_NODES; j++) {
			uint8_t key[ZTDP_PEER_KEY_LEN];

			if (i == j)
				continue;
			assert_int_equal(ztdp_identity_agree(&n->id[i], &n->id[j], key), 0);
			assert_int_equal(ztdp_peer_key_init(&n->key[i][j], key), 0);
		}
	}
	return true;
}

void vc_nodes_free(struct vc_nodes *n)
{
	for (int i = 0; i < VC_NODES; i++) {
		for (int j = 0; j < VC_NODES; j++)
			if (i != j)
				ztdp_peer_key_clear(&n->key[i][j]);
		ztdp_identity_clear(&n->id[i]);
	}
}

int vc_node_by_address(const struct vc_nodes *n, uint64_t address)
{
	for (int i = 0; i < VC_NODES; i++)
		if (n->id[i].address == address)
			return i;
	return -1;
}

struct vc_udp {
	uint32_t src_ip, dst_ip;
	uint16_t src_port, dst_port;
	const uint8_t *data;
	size_t len;
};

/* Ethernet (+VLAN) / IPv4 / UDP, every length checked. */
static bool parse_udp(const uint8_t *p, size_t n, struct vc_udp *u)
{
	size_t off = ETH_HDR_LEN, ihl, tot, ulen;
	uint16_t et;

	if (n < ETH_HDR_LEN)
		return false;
	et = ztdp_load_be16(p + 12);
	while (et == ETHERTYPE_VLAN && n >= off + 4) {
		et = ztdp_load_be16(p + off + 2);
		off += 4;
	}
	if (et != ETHERTYPE_IPV4 || n < off + IPV4_MIN_HDR || (p[off] >> 4) != 4)
		return false;
	ihl = (size_t)(p[off] & 0x0f) * 4;
	tot = ztdp_load_be16(p + off + 2);
	if (ihl < IPV4_MIN_HDR || tot < ihl + UDP_HDR_LEN || n < off + tot ||
	    p[off + 9] != IPPROTO_UDP_NUM || (ztdp_load_be16(p + off + 6) & 0x3fff) != 0)
		return false;
	u->src_ip = ztdp_load_be32(p + off + 12);
	u->dst_ip = ztdp_load_be32(p + off + 16);
	off += ihl;
	u->src_port = ztdp_load_be16(p + off);
	u->dst_port = ztdp_load_be16(p + off + 2);
	ulen = ztdp_load_be16(p + off + 4);
	if (ulen < UDP_HDR_LEN || ulen > tot - ihl)
		return false;
	u->data = p + off + UDP_HDR_LEN;
	u->len = ulen - UDP_HDR_LEN;
	return true;
}

struct vc_run_state {
	const struct vc_nodes *n;
	vc_packet_fn fn;
	void *ctx;
	struct vc_stats *st;
	uint8_t *work, *plain;
};

static void handle_packet(struct vc_run_state *s, struct vc_packet *vp,
			  const uint8_t *wire, size_t len)
{
	uint8_t *pkt = s->work;
	int rc;

	if (len < ZTDP_PKT_MIN_LEN || len > ZTDP_MAX_PACKET_LEN)
		fail_msg("record %u: packet of %zu bytes", vp->record, len);
	vp->src = vc_node_by_address(s->n, ztdp_packet_source(wire));
	vp->dst = vc_node_by_address(s->n, ztdp_packet_dest(wire));
	if (vp->src < 0 || vp->dst < 0 || vp->src == vp->dst)
		fail_msg("record %u: %010" PRIx64 " -> %010" PRIx64 " is not between two nodes",
			 vp->record, ztdp_packet_source(wire), ztdp_packet_dest(wire));
	vp->wire_id = ztdp_packet_id(wire);
	vp->cipher = ztdp_packet_cipher(wire);
	vp->hops = ztdp_packet_hops(wire);
	memcpy(pkt, wire, len);
	rc = ztdp_dearmor(&s->n->key[vp->dst][vp->src], pkt, len);
	if (rc < 0)
		fail_msg("record %u: %s -> %s: dearmor %d", vp->record,
			 vc_names[vp->src], vc_names[vp->dst], rc);
	vp->compressed = ztdp_packet_is_compressed(pkt);
	if (vp->compressed) {
		int n = ztdp_packet_decompress(pkt, len, s->plain, ZTDP_MAX_PACKET_LEN);

		if (n < 0)
			fail_msg("record %u: LZ4 payload does not decompress (%d)",
				 vp->record, n);
		pkt = s->plain;
		len = (size_t)n;
		s->st->compressed++;
	}
	vp->verb = (uint8_t)ztdp_packet_verb(pkt);
	pkt[ZTDP_PKT_IDX_VERB] = vp->verb;
	vp->hello_crypt_off = 0;
	if (vp->verb == ZTDP_VERB_HELLO) {
		size_t off;

		rc = ztdp_hello_crypt_offset(pkt + ZTDP_PKT_IDX_PAYLOAD,
					     len - ZTDP_PKT_IDX_PAYLOAD, &off);
		if (rc != 0)
			fail_msg("record %u: HELLO clear part does not parse (%d)",
				 vp->record, rc);
		vp->hello_crypt_off = off;
		ztdp_hello_cryptfield(&s->n->key[vp->dst][vp->src], pkt,
				      ZTDP_PKT_IDX_PAYLOAD + off, len);
	}
	vp->pkt = pkt;
	vp->len = len;
	s->st->packets++;
	s->st->verbs[vp->verb]++;
	s->fn(s->ctx, vp);
}

void vc_run(const struct vc_nodes *n, const char *pcap_rel, vc_packet_fn fn,
	    void *ctx, struct vc_stats *st)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	struct ztdp_reasm_config cfg;
	struct vc_run_state s = { .n = n, .fn = fn, .ctx = ctx, .st = st };
	struct ztdp_reasm *reasm;
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned int record = 0;
	uint8_t *assembled;
	pcap_t *pc;

	memset(st, 0, sizeof(*st));
	pc = pcap_open_offline(ztdp_test_shared_path(pcap_rel), err);
	if (pc == NULL)
		fail_msg("%s: %s", pcap_rel, err);
	assert_int_equal(pcap_datalink(pc), DLT_EN10MB);
	ztdp_reasm_config_default(&cfg);
	cfg.hash_seed = 0x5eed;
	reasm = ztdp_reasm_create(&cfg);
	assert_non_null(reasm);
	s.work = malloc(ZTDP_MAX_PACKET_LEN);
	s.plain = malloc(ZTDP_MAX_PACKET_LEN);
	assembled = malloc(ZTDP_MAX_PACKET_LEN);
	assert_true(s.work && s.plain && assembled);

	while (pcap_next_ex(pc, &h, &data) == 1) {
		struct vc_packet vp;
		struct vc_udp u;
		uint64_t now_ms;
		size_t alen = 0;
		int rc;

		record++;
		if (!parse_udp(data, h->caplen, &u))
			continue;
		st->datagrams++;
		memset(&vp, 0, sizeof(vp));
		vp.record = record;
		vp.time_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		vp.src_ip = u.src_ip;
		vp.dst_ip = u.dst_ip;
		vp.src_port = u.src_port;
		vp.dst_port = u.dst_port;
		now_ms = vp.time_us / 1000;

		switch (ztdp_dgram_classify(u.data, u.len)) {
		case ZTDP_DGRAM_BEACON:
			st->beacons++;
			break;
		case ZTDP_DGRAM_JUNK:
			st->junk++;
			break;
		case ZTDP_DGRAM_SHORT:
			fail_msg("record %u: %zu-byte datagram", record, u.len);
			break;
		case ZTDP_DGRAM_FRAGMENT:
		case ZTDP_DGRAM_PACKET:
			if (ztdp_dgram_classify(u.data, u.len) == ZTDP_DGRAM_PACKET &&
			    !ztdp_packet_is_fragmented(u.data)) {
				handle_packet(&s, &vp, u.data, u.len);
				break;
			}
			if (ztdp_dgram_classify(u.data, u.len) == ZTDP_DGRAM_PACKET)
				st->heads++;
			else
				st->fragments++;
			/* The underlay path keeps a relayed packet's two copies
			 * apart. */
			rc = ztdp_reasm_add(reasm,
					    (uint64_t)u.src_ip << 32 ^ (uint64_t)u.dst_ip << 16 ^
					    u.src_port ^ (uint64_t)u.dst_port << 48,
					    u.data, u.len, now_ms, assembled,
					    ZTDP_MAX_PACKET_LEN, &alen);
			if (rc < 0)
				fail_msg("record %u: reassembly dropped it: %s", record,
					 ztdp_reasm_drop_name((enum ztdp_reasm_drop)-rc));
			if (rc == ZTDP_REASM_COMPLETE) {
				st->reassembled++;
				vp.reassembled = true;
				handle_packet(&s, &vp, assembled, alen);
			}
			break;
		}
	}
	assert_int_equal(ztdp_reasm_live(reasm), 0);
	ztdp_reasm_destroy(reasm);
	pcap_close(pc);
	free(s.work);
	free(s.plain);
	free(assembled);
}
