/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The node (control/) as member a of a real ZeroTierOne 1.14.1 network:
 * it gets the packets the recorded a received (underlay destination
 * 10.99.0.2 in interop/data/pcap/underlay-join-ping.pcap), at the times
 * they were recorded, with a's identity and the private planet. It must
 * authenticate every one, learn the root and b, take the root's
 * OK(HELLO), assemble and verify the recorded network config, and hand the
 * recorded pings to frame_deliver.
 *
 * Reply matching: the recorded replies answer the requests the recorded a
 * sent, not ours (our packet IDs are random), so the test registers the
 * IDs of a's recorded packets (underlay source 10.99.0.2) with
 * ztdp_node_test_expect_reply as it meets them, with their destination as
 * the peer that must answer. Nothing else is relaxed.
 *
 * The oracle for the frames is tests/verbs_capture.c, which decodes the
 * same capture with the three nodes' secrets; each delivered frame is also
 * looked up in the capture of a's TAP (overlay-a-ping.pcap).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "test_util.h"
#include "verbs_capture.h"
#include "ztdp_armor.h"
#include "ztdp_buf.h"
#include "ztdp_crypto.h"
#include "ztdp_mac.h"
#include "ztdp_node.h"
#include "ztdp_netconf_chunk.h"
#include "ztdp_node_test.h"
#include "ztdp_packet.h"
#include "ztdp_verbs.h"

#define DATA		"interop/data/"
#define PCAP_UNDERLAY	DATA "pcap/underlay-join-ping.pcap"
#define PCAP_TAP	DATA "pcap/overlay-a-ping.pcap"
#define A_SECRET	DATA "identities/a.identity.secret"
#define PLANET		DATA "planet/planet"
#define A_IP		0x0a630002u	/* 10.99.0.2 */
#define NWID		0x31a462e3d25a2681ULL
#define ROOT		0x31a462e3d2ULL
#define B		0x3285290482ULL
#define ROOT_IP		0x0a630001u	/* 10.99.0.1 */

/* ---- The capture, with times --------------------------------------------- */

struct rec {
	uint64_t ms;
	uint32_t src_ip, dst_ip;
	uint16_t src_port, dst_port;
	size_t len;
	uint8_t *data;
};

/* IPv4/UDP payload of an Ethernet frame; false if it is something else. */
static bool udp_of(const uint8_t *p, size_t n, struct rec *r)
{
	size_t off = 14, ihl;

	if (n < off + 20 || ztdp_load_be16(p + 12) != 0x0800)
		return false;
	ihl = (size_t)(p[off] & 0x0f) * 4;
	if (ihl < 20 || p[off + 9] != 17 || n < off + ihl + 8)
		return false;
	r->src_ip = ztdp_load_be32(p + off + 12);
	r->dst_ip = ztdp_load_be32(p + off + 16);
	off += ihl;
	r->src_port = ztdp_load_be16(p + off);
	r->dst_port = ztdp_load_be16(p + off + 2);
	r->len = ztdp_load_be16(p + off + 4);
	if (r->len < 8 || n < off + r->len)
		return false;
	r->len -= 8;
	r->data = malloc(r->len + 1);
	assert_non_null(r->data);
	memcpy(r->data, p + off + 8, r->len);
	return true;
}

/* Every frame of a pcap: Ethernet frames (raw) or their UDP payloads. */
static struct rec *load_pcap(const char *rel, size_t *count, bool raw)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *p;
	struct rec *v = NULL;
	size_t n = 0, cap = 0;
	pcap_t *pc = pcap_open_offline(ztdp_test_shared_path(rel), err);

	if (pc == NULL)
		fail_msg("%s: %s", rel, err);
	assert_int_equal(pcap_datalink(pc), DLT_EN10MB);
	while (pcap_next_ex(pc, &h, &p) == 1) {
		struct rec r;

		memset(&r, 0, sizeof(r));
		if (raw) {
			r.len = h->caplen;
			r.data = malloc(r.len + 1);
			assert_non_null(r.data);
			memcpy(r.data, p, r.len);
		} else if (!udp_of(p, h->caplen, &r)) {
			continue;
		}
		r.ms = (uint64_t)h->ts.tv_sec * 1000 + (uint64_t)h->ts.tv_usec / 1000;
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			v = realloc(v, cap * sizeof(*v));
			assert_non_null(v);
		}
		v[n++] = r;
	}
	pcap_close(pc);
	*count = n;
	return v;
}

static void free_recs(struct rec *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].data);
	free(v);
}

/* ---- The oracle: the FRAMEs a received, decoded independently ------------ */

struct oracle {
	/* a's first config request metadata, and the push a answered. */
	uint8_t meta[512];
	size_t meta_len;
	uint64_t push_id, push_update;
	unsigned int frames;
	uint16_t ethertype[64];
	size_t len[64];
	uint8_t *data[64];
};

static void oracle_fn(void *ctx, const struct vc_packet *p)
{
	struct oracle *o = ctx;
	const uint8_t *pl = p->pkt + ZTDP_PKT_IDX_PAYLOAD;

	if (p->src == VC_A && p->verb == ZTDP_VERB_NETWORK_CONFIG_REQUEST && o->meta_len == 0) {
		struct ztdp_netconf_request r;

		assert_int_equal(ztdp_netconf_request_decode(pl, p->len - ZTDP_PKT_IDX_PAYLOAD, &r),
				 0);
		assert_true(r.meta_len <= sizeof(o->meta));
		memcpy(o->meta, r.meta, r.meta_len);
		o->meta_len = r.meta_len;
	}
	if (p->dst == VC_A && p->dst_ip == A_IP && p->verb == ZTDP_VERB_NETWORK_CONFIG) {
		struct ztdp_netconf_chunk ch;

		assert_int_equal(ztdp_netconf_chunk_decode(pl, p->len - ZTDP_PKT_IDX_PAYLOAD, &ch),
				 0);
		o->push_id = p->wire_id;
		o->push_update = ch.update_id;
	}
	if (p->dst != VC_A || p->dst_ip != A_IP || p->verb != ZTDP_VERB_FRAME)
		return;
	assert_true(o->frames < 64);
	assert_true(p->len >= ZTDP_PKT_IDX_PAYLOAD + 10);
	assert_int_equal(ztdp_load_be64(pl), NWID);
	o->ethertype[o->frames] = ztdp_load_be16(pl + 8);
	o->len[o->frames] = p->len - ZTDP_PKT_IDX_PAYLOAD - 10;
	o->data[o->frames] = malloc(o->len[o->frames] + 1);
	assert_non_null(o->data[o->frames]);
	memcpy(o->data[o->frames], pl + 10, o->len[o->frames]);
	o->frames++;
}

/* ---- The node under test ------------------------------------------------------- */

struct delivered {
	uint64_t at;
	uint64_t src, dst;
	uint16_t ethertype;
	size_t len;
	uint8_t data[4096];
};

struct ctx {
	uint64_t now;
	unsigned int sent;
	/* What we sent to the root, to compare with what a sent. */
	unsigned int nto_root;
	size_t to_root_len[64];
	uint8_t to_root[64][ZTDP_DEFAULT_PHYSMTU];
	unsigned int frames;
	struct delivered *got;		/* 64 */
	unsigned int changed;
	bool verbose;
};

static int cb_send(void *vctx, const struct ztdp_inetaddr *to, const void *data, size_t len,
		   unsigned int ttl)
{
	struct ctx *c = vctx;

	(void)ttl;
	/* Our own packets go nowhere (the recording answers a's); those to
	 * the root are kept for comparison. */
	c->sent++;
	if (ztdp_inetaddr_v4(to) == ROOT_IP && c->nto_root < 64 && len <= ZTDP_DEFAULT_PHYSMTU) {
		memcpy(c->to_root[c->nto_root], data, len);
		c->to_root_len[c->nto_root++] = len;
	}
	return 0;
}

static void cb_frame(void *vctx, uint64_t nwid, uint64_t src, uint64_t dst,
		     uint16_t ethertype, const void *payload, size_t len)
{
	struct ctx *c = vctx;

	assert_int_equal(nwid, NWID);
	if (c->frames < 64) {
		struct delivered *d = &c->got[c->frames];

		d->at = c->now;
		d->src = src;
		d->dst = dst;
		d->ethertype = ethertype;
		d->len = len;
		assert_true(len <= sizeof(d->data));
		memcpy(d->data, payload, len);
	}
	c->frames++;
}

static void cb_changed(void *vctx, uint64_t nwid, const struct ztdp_netconf *nc)
{
	struct ctx *c = vctx;

	assert_int_equal(nwid, NWID);
	assert_non_null(nc);
	c->changed++;
}

static int cb_put(void *vctx, enum ztdp_state_kind kind, uint64_t id, const void *data,
		  size_t len)
{
	(void)vctx;
	(void)kind;
	(void)id;
	(void)data;
	(void)len;
	return 0;
}

static ssize_t cb_get(void *vctx, enum ztdp_state_kind kind, uint64_t id, void *buf,
		      size_t cap)
{
	(void)vctx;
	(void)kind;
	(void)id;
	(void)buf;
	(void)cap;
	return -1;
}

static void cb_log(void *vctx, int level, const char *msg)
{
	struct ctx *c = vctx;

	if (c->verbose)
		fprintf(stderr, "[%llu %d] %s\n", (unsigned long long)c->now, level, msg);
}

static bool tap_has(const struct rec *tap, size_t ntap, const struct delivered *d)
{
	for (size_t i = 0; i < ntap; i++) {
		const uint8_t *f = tap[i].data;

		if (tap[i].len != 14 + d->len || ztdp_load_be16(f + 12) != d->ethertype)
			continue;
		if (ztdp_mac_from_bytes(f) == d->dst && ztdp_mac_from_bytes(f + 6) == d->src &&
		    memcmp(f + 14, d->data, d->len) == 0)
			return true;
	}
	return false;
}

/* Offer one recorded datagram the way the appliance would: with
 * fastpath, a whole packet from a peer the node published is dearmored
 * here with the published key (as the dataplane does) and handed over
 * with ztdp_node_process_plain, and a HELLO with ztdp_node_process_packet;
 * everything else (and everything without fastpath) goes to
 * ztdp_node_process_wire. Returns 1 when it took the plain path. */
static int offer(struct ztdp_node *node, uint64_t now, const struct ztdp_inetaddr *from,
		 const uint8_t *data, size_t len, bool fastpath, unsigned int *as_packet)
{
	static struct ztdp_node_fastpath_peer fp[16];
	uint8_t pkt[ZTDP_MAX_PACKET_LEN];
	unsigned int n;

	if (!fastpath || ztdp_dgram_classify(data, len) != ZTDP_DGRAM_PACKET ||
	    ztdp_packet_is_fragmented(data)) {
		ztdp_node_process_wire(node, now, from, data, len);
		return 0;
	}
	if (ztdp_packet_cipher(data) == ZTDP_CIPHER_POLY1305_NONE) {
		ztdp_node_process_packet(node, now, from, data, len);
		(*as_packet)++;
		return 0;
	}
	n = ztdp_node_fastpath_peers(node, now, fp, 16);
	for (unsigned int i = 0; i < n && i < 16; i++) {
		struct ztdp_peer_key k;
		int rc;

		if (fp[i].address != ztdp_packet_source(data))
			continue;
		memcpy(pkt, data, len);
		assert_int_equal(ztdp_peer_key_init(&k, fp[i].key), 0);
		rc = ztdp_dearmor(&k, pkt, len);
		ztdp_peer_key_clear(&k);
		assert_true(rc > 0);
		ztdp_node_process_plain(node, now, from, pkt, len);
		return 1;
	}
	ztdp_node_process_wire(node, now, from, data, len);
	return 0;
}

static void replay_member_a(bool fastpath)
{
	struct ztdp_identity id;
	struct ztdp_network_info ni;
	struct ztdp_peer_info pi;
	struct ztdp_node_stats st;
	struct ztdp_node *node;
	struct vc_stats vst;
	struct vc_nodes vn;
	struct oracle o;
	struct ctx c;
	struct rec *recs, *tap;
	size_t nrecs, ntap, planet_len, len;
	uint8_t *planet;
	char *text, addr[64], why[256];
	const char *bad;
	uint64_t next_tick;
	unsigned int to_a = 0, plain = 0, as_packet = 0;

	memset(&c, 0, sizeof(c));
	c.verbose = getenv("ZTDP_TEST_VERBOSE") != NULL;
	c.got = calloc(64, sizeof(*c.got));
	assert_non_null(c.got);

	/* The oracle first. */
	memset(&o, 0, sizeof(o));
	memset(&vst, 0, sizeof(vst));
	assert_true(vc_nodes_load(&vn, DATA "identities"));
	vc_run(&vn, PCAP_UNDERLAY, oracle_fn, &o, &vst);
	assert_true(o.frames >= 30);
	assert_true(o.meta_len > 0 && o.push_id != 0);

	text = (char *)ztdp_test_read_file(ztdp_test_shared_path(A_SECRET), &len);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	assert_int_equal(ztdp_identity_from_string(&id, text, &bad), 0);
	free(text);
	planet = ztdp_test_read_file(ztdp_test_shared_path(PLANET), &planet_len);
	recs = load_pcap(PCAP_UNDERLAY, &nrecs, false);
	tap = load_pcap(PCAP_TAP, &ntap, true);
	assert_true(nrecs > 100);

	{
		struct ztdp_node_callbacks cb = {
			.ctx = &c, .wire_send = cb_send, .frame_deliver = cb_frame,
			.network_changed = cb_changed, .state_put = cb_put, .state_get = cb_get,
			.log = cb_log,
		};
		struct ztdp_node_config cfg = {
			.identity = &id, .planet = planet, .planet_len = planet_len,
			.primary_port = 9993, .local_addr_count = 1,
		};

		ztdp_inetaddr_set_v4(&cfg.local_addrs[0], A_IP, 9993);
		c.now = recs[0].ms;
		assert_int_equal(ztdp_node_create(&node, &cfg, &cb, c.now), 0);
	}
	assert_int_equal(ztdp_node_join(node, c.now, NWID), 0);
	next_tick = c.now;

	for (size_t i = 0; i < nrecs; i++) {
		const struct rec *r = &recs[i];
		struct ztdp_inetaddr from;

		while (next_tick <= r->ms) {
			c.now = next_tick;
			next_tick += ztdp_node_tick(node, next_tick);
		}
		c.now = r->ms;
		if (r->src_ip == A_IP &&
		    ztdp_dgram_classify(r->data, r->len) == ZTDP_DGRAM_PACKET)
			ztdp_node_test_expect_reply(node, c.now, ztdp_packet_id(r->data),
						    ztdp_packet_dest(r->data));
		if (r->dst_ip != A_IP)
			continue;
		ztdp_inetaddr_set_v4(&from, r->src_ip, r->src_port);
		plain += (unsigned int)offer(node, c.now, &from, r->data, r->len, fastpath,
					     &as_packet);
		to_a++;
	}
	ztdp_node_tick(node, c.now);

	ztdp_node_stats(node, &st);
	if (c.verbose)
		for (unsigned int i = 0; i < ztdp_node_drop_reasons(); i++)
			if (ztdp_node_drop_count(node, i))
				fprintf(stderr, "drop %s %llu\n", ztdp_node_drop_id(i),
					(unsigned long long)ztdp_node_drop_count(node, i));
	if (fastpath) {
		/* b's FRAMEs and the HELLOs took the appliance's entries. */
		print_message("fast path: %u dearmored outside the node, %u HELLOs as packets\n",
			      plain, as_packet);
		assert_true(plain >= 20);
		assert_true(as_packet >= 1);
	}
	print_message("%u datagrams to a; %llu packets authenticated, %llu dropped, "
		      "%u frames delivered, %u sent\n", to_a,
		      (unsigned long long)st.rx_packets, (unsigned long long)st.rx_dropped,
		      c.frames, c.sent);
	if (!ztdp_node_test_stats_consistent(node, why, sizeof(why)))
		fail_msg("%s", why);
	/* Every recorded packet authenticated: no MAC failures, nothing left
	 * waiting for an identity, no OK refused as unsolicited. */
	assert_int_equal(st.rx_auth_failed, 0);
	assert_int_equal(ztdp_node_test_pending(node), 0);
	assert_int_equal(st.rx_dropped, 0);

	/* Root and b learned, with their roles and versions. */
	assert_int_equal(ztdp_node_peer(node, ROOT, &pi), 0);
	assert_int_equal(pi.role, ZTDP_PEER_PLANET);
	assert_int_equal(pi.version_minor, 14);
	assert_true(pi.latency >= 0 && pi.latency < 100);
	assert_int_equal(ztdp_node_peer(node, B, &pi), 0);
	assert_int_equal(pi.role, ZTDP_PEER_LEAF);
	assert_int_equal(pi.proto_version, 12);
	assert_int_equal(pi.path_count, 1);
	assert_true(ztdp_inetaddr_format(&pi.paths[0].addr, addr, sizeof(addr)) > 0);
	assert_string_equal(addr, "10.99.0.3/9993");

	/* The recorded config, verified and applied. */
	assert_int_equal(ztdp_node_network(node, NWID, &ni), 0);
	assert_int_equal(ni.status, ZTDP_NETWORK_OK);
	assert_int_equal(ni.assigned_count, 1);
	assert_true(ztdp_inetaddr_format(&ni.assigned[0], addr, sizeof(addr)) > 0);
	assert_string_equal(addr, "10.147.17.11/24");
	assert_int_equal(ni.mtu, 2800);
	assert_int_equal(ni.mac, 0x82f892a8cbc8ULL);	/* as zerotier-cli listnetworks */
	assert_true(c.changed >= 1);

	/* The pings: every FRAME to a delivered, as the oracle decoded it,
	 * with b's MAC to a's, and each one seen on a's TAP while that was
	 * being recorded. */
	assert_int_equal(c.frames, o.frames);
	for (unsigned int i = 0; i < o.frames && i < 64; i++) {
		const struct delivered *d = &c.got[i];

		assert_int_equal(d->src, ztdp_mac_from_address(B, NWID));
		assert_int_equal(d->dst, ni.mac);
		assert_int_equal(d->ethertype, o.ethertype[i]);
		assert_int_equal(d->len, o.len[i]);
		assert_memory_equal(d->data, o.data[i], d->len);
		/* The TAP capture stopped a moment before the underlay one. */
		if (d->at <= tap[ntap - 1].ms && !tap_has(tap, ntap, d))
			fail_msg("frame %u (%zu bytes, ethertype %04x) is not on a's TAP", i, d->len,
				 d->ethertype);
	}

	/* What we said to the root/controller, decrypted with a's key: our
	 * config request carries the very metadata 1.14.1 sent, byte for
	 * byte, and the recorded push got its OK in re ECHO (the quirk) with
	 * the network and the push's update ID. */
	{
		bool saw_request = false, saw_push_ok = false;

		for (unsigned int i = 0; i < c.nto_root; i++) {
			uint8_t *pkt = c.to_root[i], dec[ZTDP_MAX_PACKET_LEN];
			size_t plen = c.to_root_len[i];
			const uint8_t *pl;

			if (ztdp_dgram_classify(pkt, plen) != ZTDP_DGRAM_PACKET ||
			    ztdp_packet_is_fragmented(pkt))
				continue;
			assert_true(ztdp_dearmor(&vn.key[VC_A][VC_ROOT], pkt, plen) >= 0);
			if (ztdp_packet_is_compressed(pkt)) {
				int dl = ztdp_packet_decompress(pkt, plen, dec, sizeof(dec));

				assert_true(dl > 0);
				pkt = dec;
				plen = (size_t)dl;
			}
			pl = pkt + ZTDP_PKT_IDX_PAYLOAD;
			if (ztdp_packet_verb(pkt) == ZTDP_VERB_NETWORK_CONFIG_REQUEST) {
				struct ztdp_netconf_request r;

				assert_int_equal(ztdp_netconf_request_decode(
						 pl, plen - ZTDP_PKT_IDX_PAYLOAD, &r), 0);
				assert_int_equal(r.nwid, NWID);
				assert_int_equal(r.meta_len, o.meta_len);
				assert_memory_equal(r.meta, o.meta, o.meta_len);
				saw_request = true;
			}
			if (ztdp_packet_verb(pkt) == ZTDP_VERB_OK &&
			    pl[0] == ZTDP_OK_CONFIG_PUSH_IN_RE_VERB) {
				struct ztdp_ok_config_push push;

				assert_int_equal(ztdp_load_be64(pl + 1), o.push_id);
				assert_int_equal(ztdp_ok_config_push_decode(
						 pl + ZTDP_OK_IDX_PAYLOAD,
						 plen - ZTDP_PKT_IDX_PAYLOAD - ZTDP_OK_IDX_PAYLOAD,
						 &push), 0);
				assert_int_equal(push.nwid, NWID);
				assert_int_equal(push.update_id, o.push_update);
				saw_push_ok = true;
			}
		}
		assert_true(saw_request);
		assert_true(saw_push_ok);
	}

	vc_nodes_free(&vn);
	ztdp_node_destroy(node);
	for (unsigned int i = 0; i < o.frames; i++)
		free(o.data[i]);
	free_recs(recs, nrecs);
	free_recs(tap, ntap);
	free(planet);
	free(c.got);
	ztdp_identity_clear(&id);
}

static void test_replay_member_a(void **state)
{
	(void)state;
	replay_member_a(false);
}

/* The same capture through the entries the appliance uses when its
 * dataplane already reassembled or dearmored a packet. */
static void test_replay_member_a_fastpath(void **state)
{
	(void)state;
	replay_member_a(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_member_a),
		cmocka_unit_test(test_replay_member_a_fastpath),
	};

	if (ztdp_crypto_init(NULL) != 0) {
		fprintf(stderr, "ztdp_crypto_init failed\n");
		return 1;
	}
	/* Without the recorded run there is nothing to replay: tell meson
	 * (exit 77) rather than pass. */
	if (!ztdp_test_have_shared(PCAP_UNDERLAY) || !ztdp_test_have_shared(PCAP_TAP) ||
	    !ztdp_test_have_shared(A_SECRET) || !ztdp_test_have_shared(PLANET) ||
	    !ztdp_test_have_shared(DATA "identities/b.identity.secret"))
		return 77;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
