/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test helper: extract the controller's network configs from a real
 * capture (see netconf_capture.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lz4.h>
#include <pcap/pcap.h>

#include "netconf_capture.h"
#include "test_util.h"
#include "ztdp_armor.h"
#include "ztdp_buf.h"
#include "ztdp_wire.h"

static const char *const node_names[NC_NODES] = { "root", "a", "b" };

#define ETH_HDR_LEN		14
#define ETHERTYPE_IPV4		0x0800
#define ETHERTYPE_VLAN		0x8100
#define IPV4_MIN_HDR_LEN	20
#define IPPROTO_UDP_NUM		17
#define UDP_HDR_LEN		8

/* Chunk body (section 6.11): the fixed parts around the chunk bytes. */
#define CHUNK_HEAD_LEN		(8 + 2)
#define CHUNK_TAIL_SIGNED_LEN	(1 + 8 + 4 + 4)
#define CHUNK_SIG_TYPE_C25519	1
#define CHUNK_MAX_TOTAL		ZTDP_DICT_MAX_LEN

#define REASM_SLOTS		16
#define ASSEMBLY_SLOTS		8

struct reasm {
	bool used;
	uint8_t id[8];
	uint32_t src_ip;
	unsigned int total;
	uint8_t *part[ZTDP_MAX_FRAGMENTS];
	size_t part_len[ZTDP_MAX_FRAGMENTS];
};

struct assembly {
	bool used;
	uint64_t dest, update_id;
	uint8_t verb;
	uint32_t total;
	uint8_t *buf;
	uint8_t *have;		/* one flag per byte: ranges, not sums */
	size_t got;
};

struct ctx {
	struct nc_capture *c;
	struct ztdp_peer_key keys[NC_NODES][NC_NODES];
	struct reasm reasm[REASM_SLOTS];
	struct assembly asmb[ASSEMBLY_SLOTS];
	uint8_t *pkt, *plain;
	unsigned int record;
};

static uint8_t *xmemdup(const void *p, size_t n)
{
	uint8_t *d = malloc(n + 1);

	assert_non_null(d);
	memcpy(d, p, n);
	d[n] = 0;
	return d;
}

int nc_capture_node(const struct nc_capture *c, uint64_t address)
{
	for (int i = 0; i < NC_NODES; i++)
		if (c->ids[i].address == address)
			return i;
	return -1;
}

const struct nc_config *nc_capture_last_for(const struct nc_capture *c,
					     uint64_t dest)
{
	const struct nc_config *last = NULL;

	for (size_t i = 0; i < c->count; i++)
		if (c->configs[i].dest == dest)
			last = &c->configs[i];
	return last;
}

static void load_identity(struct ztdp_identity *id, const char *dataset,
			  const char *name)
{
	char rel[256];
	size_t len;
	uint8_t *text;
	const char *why = NULL;

	snprintf(rel, sizeof(rel), "%s/identities/%s.identity.secret", dataset, name);
	text = ztdp_test_read_file(ztdp_test_shared_path(rel), &len);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
			   text[len - 1] == ' '))
		text[--len] = '\0';
	if (ztdp_identity_from_string(id, (const char *)text, &why) != 0)
		fail_msg("%s: %s", rel, why ? why : "does not parse");
	free(text);
	assert_true(id->has_private);
}

static uint64_t load_nwid(const char *dataset)
{
	static const char *const where[] = { "network-id.txt", "pcap/network-id.txt" };
	char rel[256];

	for (size_t i = 0; i < 2; i++) {
		size_t len;
		uint8_t *t;
		char *end;
		unsigned long long v;

		snprintf(rel, sizeof(rel), "%s/%s", dataset, where[i]);
		if (access(ztdp_test_shared_path(rel), R_OK) != 0)
			continue;
		t = ztdp_test_read_file(ztdp_test_shared_path(rel), &len);
		v = strtoull((const char *)t, &end, 16);
		if (end - (char *)t != 16)
			fail_msg("%s: not a 16-digit network ID", rel);
		free(t);
		return (uint64_t)v;
	}
	fail_msg("%s: no network-id.txt", dataset);
	return 0;
}

static struct assembly *assembly_for(struct ctx *x, uint64_t dest,
				     uint64_t update_id, uint8_t verb,
				     uint32_t total)
{
	struct assembly *free_slot = NULL;

	for (int i = 0; i < ASSEMBLY_SLOTS; i++) {
		struct assembly *a = &x->asmb[i];

		if (!a->used) {
			if (free_slot == NULL)
				free_slot = a;
			continue;
		}
		if (a->dest == dest && a->update_id == update_id) {
			if (a->total != total)
				fail_msg("record %u: chunks of one update disagree on the total",
					 x->record);
			return a;
		}
	}
	if (free_slot == NULL)
		fail_msg("record %u: too many config updates in flight", x->record);
	free_slot->used = true;
	free_slot->dest = dest;
	free_slot->update_id = update_id;
	free_slot->verb = verb;
	free_slot->total = total;
	free_slot->buf = calloc(1, total + 1);
	free_slot->have = calloc(1, total + 1);
	free_slot->got = 0;
	assert_true(free_slot->buf && free_slot->have);
	return free_slot;
}

static void assembly_done(struct ctx *x, struct assembly *a)
{
	struct nc_capture *c = x->c;
	struct nc_config *cfg;

	/* A config seen twice (e.g. re-sent) is kept once. */
	for (size_t i = 0; i < c->count; i++) {
		if (c->configs[i].dest == a->dest &&
		    c->configs[i].update_id == a->update_id)
			goto out;
	}
	c->configs = realloc(c->configs, (c->count + 1) * sizeof(*c->configs));
	assert_non_null(c->configs);
	cfg = &c->configs[c->count++];
	cfg->dest = a->dest;
	cfg->verb = a->verb;
	cfg->update_id = a->update_id;
	cfg->record = x->record;
	cfg->dict = xmemdup(a->buf, a->total);
	cfg->len = a->total;
out:
	free(a->buf);
	free(a->have);
	memset(a, 0, sizeof(*a));
}

/* One chunk body (section 6.11), from the controller to dest. */
static void take_chunk(struct ctx *x, uint64_t dest, uint8_t verb,
		       const uint8_t *p, size_t n)
{
	struct nc_capture *c = x->c;
	struct ztdp_rd r;
	const uint8_t *chunk, *sig;
	uint64_t nwid, update_id;
	uint32_t total, index;
	uint16_t clen, siglen;
	uint8_t flags, sigtype;
	size_t signed_len;
	struct assembly *a;

	ztdp_rd_init(&r, p, n);
	nwid = ztdp_rd_u64(&r);
	clen = ztdp_rd_u16(&r);
	chunk = ztdp_rd_take(&r, clen);
	flags = ztdp_rd_u8(&r);
	update_id = ztdp_rd_u64(&r);
	total = ztdp_rd_u32(&r);
	index = ztdp_rd_u32(&r);
	signed_len = r.off;
	sigtype = ztdp_rd_u8(&r);
	siglen = ztdp_rd_u16(&r);
	sig = ztdp_rd_take(&r, siglen);
	if (!ztdp_rd_ok(&r))
		fail_msg("record %u: truncated config chunk (legacy form?)", x->record);
	(void)flags;
	assert_int_equal(nwid, c->nwid);
	assert_int_equal(sigtype, CHUNK_SIG_TYPE_C25519);
	assert_int_equal(siglen, ZTDP_C25519_SIGNATURE_LEN);
	if (total == 0 || total > CHUNK_MAX_TOTAL || index > total ||
	    clen > total - index)
		fail_msg("record %u: chunk %u+%u of %u", x->record, index, clen, total);
	c->chunks++;
	if (!ztdp_identity_verify(&c->ids[NC_NODE_ROOT], p, signed_len, sig, siglen)) {
		c->bad_chunk_sigs++;
		fail_msg("record %u: config chunk signature does not verify", x->record);
	}
	a = assembly_for(x, dest, update_id, verb, total);
	for (uint32_t i = 0; i < clen; i++) {
		if (!a->have[index + i]) {
			a->have[index + i] = 1;
			a->got++;
		}
		a->buf[index + i] = chunk[i];
	}
	if (a->got == a->total)
		assembly_done(x, a);
}

static void keep_credentials(struct ctx *x, uint64_t src, const uint8_t *p, size_t n)
{
	struct nc_capture *c = x->c;
	size_t k = c->creds_count + 1;

	c->creds = realloc(c->creds, k * sizeof(*c->creds));
	c->creds_len = realloc(c->creds_len, k * sizeof(*c->creds_len));
	c->creds_src = realloc(c->creds_src, k * sizeof(*c->creds_src));
	assert_true(c->creds && c->creds_len && c->creds_src);
	c->creds[c->creds_count] = xmemdup(p, n);
	c->creds_len[c->creds_count] = n;
	c->creds_src[c->creds_count] = src;
	c->creds_count++;
}

static void take_packet(struct ctx *x, const uint8_t *wire, size_t len)
{
	struct nc_capture *c = x->c;
	uint64_t dst_a = ztdp_load_be40(wire + ZTDP_PKT_IDX_DEST);
	uint64_t src_a = ztdp_load_be40(wire + ZTDP_PKT_IDX_SOURCE);
	int dst = nc_capture_node(c, dst_a), src = nc_capture_node(c, src_a);
	uint8_t *pkt = x->pkt;
	size_t plen = len;
	uint8_t verb;
	int rc;

	if (dst < 0 || src < 0)
		fail_msg("record %u: packet between unknown nodes", x->record);
	memcpy(pkt, wire, len);
	rc = ztdp_dearmor(&x->keys[src][dst], pkt, len);
	if (rc < 0)
		fail_msg("record %u: does not dearmor (%d)", x->record, rc);
	c->packets++;
	verb = pkt[ZTDP_PKT_IDX_VERB];
	if (verb & ZTDP_PKT_VERB_FLAG_COMPRESSED) {
		int n;

		memcpy(x->plain, pkt, ZTDP_PKT_IDX_PAYLOAD);
		n = LZ4_decompress_safe((const char *)pkt + ZTDP_PKT_IDX_PAYLOAD,
					(char *)x->plain + ZTDP_PKT_IDX_PAYLOAD,
					(int)(len - ZTDP_PKT_IDX_PAYLOAD),
					ZTDP_MAX_PACKET_LEN - ZTDP_PKT_IDX_PAYLOAD);
		if (n < 0)
			fail_msg("record %u: LZ4 payload does not decompress", x->record);
		pkt = x->plain;
		plen = ZTDP_PKT_IDX_PAYLOAD + (size_t)n;
	}
	verb &= ZTDP_PKT_VERB_MASK;
	if (src == NC_NODE_ROOT && verb == ZTDP_VERB_OK &&
	    plen > ZTDP_PKT_IDX_PAYLOAD + ZTDP_OK_IDX_PAYLOAD &&
	    pkt[ZTDP_PKT_IDX_PAYLOAD + ZTDP_OK_IDX_IN_RE_VERB] ==
	    ZTDP_VERB_NETWORK_CONFIG_REQUEST) {
		take_chunk(x, dst_a, verb, pkt + ZTDP_PKT_IDX_PAYLOAD + ZTDP_OK_IDX_PAYLOAD,
			   plen - ZTDP_PKT_IDX_PAYLOAD - ZTDP_OK_IDX_PAYLOAD);
	} else if (src == NC_NODE_ROOT && verb == ZTDP_VERB_NETWORK_CONFIG) {
		take_chunk(x, dst_a, verb, pkt + ZTDP_PKT_IDX_PAYLOAD,
			   plen - ZTDP_PKT_IDX_PAYLOAD);
	} else if (verb == ZTDP_VERB_NETWORK_CREDENTIALS) {
		keep_credentials(x, src_a, pkt + ZTDP_PKT_IDX_PAYLOAD,
				 plen - ZTDP_PKT_IDX_PAYLOAD);
	}
}

static void reasm_free(struct reasm *e)
{
	for (int i = 0; i < ZTDP_MAX_FRAGMENTS; i++)
		free(e->part[i]);
	memset(e, 0, sizeof(*e));
}

static void reasm_add(struct ctx *x, uint32_t src_ip, const uint8_t *id,
		      unsigned int number, unsigned int total,
		      const uint8_t *p, size_t n)
{
	struct reasm *e = NULL, *free_slot = NULL;
	size_t len = 0;

	for (int i = 0; i < REASM_SLOTS; i++) {
		if (!x->reasm[i].used) {
			if (free_slot == NULL)
				free_slot = &x->reasm[i];
		} else if (memcmp(x->reasm[i].id, id, 8) == 0 &&
			   x->reasm[i].src_ip == src_ip) {
			e = &x->reasm[i];
		}
	}
	if (e == NULL) {
		if (free_slot == NULL)
			fail_msg("record %u: reassembly table full", x->record);
		e = free_slot;
		e->used = true;
		memcpy(e->id, id, 8);
		e->src_ip = src_ip;
	}
	if (total != 0)
		e->total = total;
	if (e->part[number] != NULL)
		return;
	e->part[number] = xmemdup(p, n);
	e->part_len[number] = n;
	if (e->total == 0)
		return;
	for (unsigned int i = 0; i < e->total; i++) {
		if (e->part[i] == NULL)
			return;
		len += e->part_len[i];
	}
	assert_true(len <= ZTDP_MAX_PACKET_LEN);
	len = 0;
	for (unsigned int i = 0; i < e->total; i++) {
		memcpy(x->pkt + len, e->part[i], e->part_len[i]);
		len += e->part_len[i];
	}
	{
		uint8_t *whole = xmemdup(x->pkt, len);

		reasm_free(e);
		take_packet(x, whole, len);
		free(whole);
	}
}

static void take_udp(struct ctx *x, uint32_t src_ip, const uint8_t *p, size_t n)
{
	if (n == ZTDP_BEACON_LEN || n == ZTDP_JUNK_LEN)
		return;
	if (n > ZTDP_FRAG_HEADER_LEN && p[ZTDP_FRAG_IDX_INDICATOR] == ZTDP_FRAG_INDICATOR) {
		unsigned int total = p[ZTDP_FRAG_IDX_COUNTS] >> ZTDP_FRAG_COUNTS_TOTAL_SHIFT;
		unsigned int number = p[ZTDP_FRAG_IDX_COUNTS] & ZTDP_FRAG_COUNTS_NUMBER_MASK;

		if (total < 2 || total > ZTDP_MAX_FRAGMENTS || number < 1 || number >= total)
			fail_msg("record %u: bad fragment", x->record);
		reasm_add(x, src_ip, p, number, total, p + ZTDP_FRAG_IDX_PAYLOAD,
			  n - ZTDP_FRAG_HEADER_LEN);
		return;
	}
	if (n < ZTDP_PKT_MIN_LEN)
		fail_msg("record %u: %zu-byte datagram", x->record, n);
	if (p[ZTDP_PKT_IDX_FLAGS] & ZTDP_PKT_FLAG_FRAGMENTED) {
		reasm_add(x, src_ip, p, 0, 0, p, n);
		return;
	}
	/* A packet the root relays is seen twice; the copy with hops > 0 is
	 * the same packet, so take each only once. */
	if ((p[ZTDP_PKT_IDX_FLAGS] & ZTDP_PKT_FLAGS_HOPS_MASK) != 0)
		return;
	{
		uint8_t *copy = xmemdup(p, n);

		take_packet(x, copy, n);
		free(copy);
	}
}

static void read_pcap(struct ctx *x, const char *rel)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc = pcap_open_offline(ztdp_test_shared_path(rel), errbuf);
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc;

	if (pc == NULL)
		fail_msg("%s: %s", rel, errbuf);
	if (pcap_datalink(pc) != DLT_EN10MB)
		fail_msg("%s: not Ethernet", rel);
	while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
		uint32_t o = 12, ihl, total, ulen;
		uint16_t type;

		x->record++;
		if (h->caplen < ETH_HDR_LEN)
			continue;
		type = ztdp_load_be16(d + o);
		while (type == ETHERTYPE_VLAN && h->caplen >= o + 6) {
			o += 4;
			type = ztdp_load_be16(d + o);
		}
		o += 2;
		if (type != ETHERTYPE_IPV4 || h->caplen < o + IPV4_MIN_HDR_LEN ||
		    d[o + 9] != IPPROTO_UDP_NUM)
			continue;
		ihl = (uint32_t)(d[o] & 0x0f) * 4;
		total = ztdp_load_be16(d + o + 2);
		if (ihl < IPV4_MIN_HDR_LEN || total > h->caplen - o ||
		    total < ihl + UDP_HDR_LEN)
			fail_msg("%s: record %u: bad IPv4", rel, x->record);
		ulen = ztdp_load_be16(d + o + ihl + 4);
		if (ulen < UDP_HDR_LEN || ulen > total - ihl)
			fail_msg("%s: record %u: bad UDP", rel, x->record);
		take_udp(x, ztdp_load_be32(d + o + 12), d + o + ihl + UDP_HDR_LEN,
			 ulen - UDP_HDR_LEN);
	}
	pcap_close(pc);
}

bool nc_capture_load(struct nc_capture *c, const char *dataset,
		     const char *pcap_rel)
{
	char rel[256];
	struct ctx *x;

	memset(c, 0, sizeof(*c));
	snprintf(rel, sizeof(rel), "%s/%s", dataset, pcap_rel);
	if (!ztdp_test_have_shared(rel))
		return false;
	for (int i = 0; i < NC_NODES; i++) {
		char idrel[256];

		snprintf(idrel, sizeof(idrel), "%s/identities/%s.identity.secret",
			 dataset, node_names[i]);
		if (!ztdp_test_have_shared(idrel))
			return false;
	}
	x = calloc(1, sizeof(*x));
	assert_non_null(x);
	x->c = c;
	x->pkt = malloc(ZTDP_MAX_PACKET_LEN);
	x->plain = malloc(ZTDP_MAX_PACKET_LEN);
	assert_true(x->pkt && x->plain);
	for (int i = 0; i < NC_NODES; i++)
		load_identity(&c->ids[i], dataset, node_names[i]);
	c->nwid = load_nwid(dataset);
	for (int i = 0; i < NC_NODES; i++) {
		for (int j = 0; j < NC_NODES; j++) {
			uint8_t k[ZTDP_PEER_KEY_LEN];

			if (i == j)
				continue;
			assert_int_equal(ztdp_identity_agree(&c->ids[i], &c->ids[j], k), 0);
			assert_int_equal(ztdp_peer_key_init(&x->keys[i][j], k), ZTDP_ARMOR_OK);
		}
	}
	read_pcap(x, rel);
	for (int i = 0; i < NC_NODES; i++)
		for (int j = 0; j < NC_NODES; j++)
			if (i != j)
				ztdp_peer_key_clear(&x->keys[i][j]);
	for (int i = 0; i < REASM_SLOTS; i++)
		reasm_free(&x->reasm[i]);
	for (int i = 0; i < ASSEMBLY_SLOTS; i++) {
		if (x->asmb[i].used)
			fail_msg("%s: a config update never completed", rel);
	}
	free(x->pkt);
	free(x->plain);
	free(x);
	return true;
}

void nc_capture_free(struct nc_capture *c)
{
	for (size_t i = 0; i < c->count; i++)
		free(c->configs[i].dict);
	free(c->configs);
	for (size_t i = 0; i < c->creds_count; i++)
		free(c->creds[i]);
	free(c->creds);
	free(c->creds_len);
	free(c->creds_src);
	for (int i = 0; i < NC_NODES; i++)
		ztdp_identity_clear(&c->ids[i]);
	memset(c, 0, sizeof(*c));
}
