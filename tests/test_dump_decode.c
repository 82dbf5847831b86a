/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ztdp-dump's stages (apps/dump) without the command line:
 *
 * - link layers: the real capture re-encapsulated in every link type the
 *   tool reads (802.1Q/802.1ad, Linux cooked v1/v2, BSD loopback, raw
 *   IPv4, IPv6 with an extension header, over Ethernet and raw) decodes to
 *   exactly what the original does; every prefix of every record is
 *   handled without reading past it;
 * - the decoder: reassembly outcomes (incomplete at the end, timed out,
 *   lone fragment), relay copies, undecryptable and tampered packets,
 *   identities learned from HELLO, the plaintext entry the fuzzer uses
 *   (frames rebuilt with derived and explicit MACs, bad LZ4), and text and
 *   JSON output of every record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "decode.h"
#include "keys.h"
#include "print.h"
#include "test_util.h"
#include "ztdp_buf.h"
#include "ztdp_crypto.h"
#include "ztdp_mac.h"
#include "ztdp_wire.h"

#define UNDERLAY_PCAP	"interop/data/pcap/underlay-join-ping.pcap"
#define IDENTITY_DIR	"interop/data/identities"
#define ETH_HDR_LEN	14
#define MAX_RECORDS	512
#define MAX_REC_LEN	2048
#define ADDR_A		0xdec87a28aaULL
#define ADDR_B		0x3285290482ULL
#define ADDR_ROOT	0x31a462e3d2ULL
#define NWID		0x31a462e3d25a2681ULL

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2	276
#endif

/* The capture's records: the IPv4 packet inside each Ethernet frame. */
struct records {
	size_t n;
	uint64_t time_us[MAX_RECORDS];
	size_t len[MAX_RECORDS];
	uint8_t ip[MAX_RECORDS][MAX_REC_LEN];
};

static struct records *recs;

/* What the callback saw. */
struct seen {
	unsigned int n, by_status[ZTDP_DUMP_ST_N], frames, relay_copies;
	unsigned int configs, hello_learned;
	struct ztdp_dump_pkt last;	/* scalars only: pointers die with the callback */
	uint8_t last_frame[64];
	size_t last_frame_len;
	FILE *sink;			/* text and JSON of every record */
};

static void on_pkt(void *arg, const struct ztdp_dump_pkt *p)
{
	struct seen *s = arg;

	s->n++;
	s->by_status[p->status]++;
	if (p->frame != NULL) {
		s->frames++;
		s->last_frame_len = p->frame_len < sizeof(s->last_frame) ? p->frame_len :
									  sizeof(s->last_frame);
		memcpy(s->last_frame, p->frame, s->last_frame_len);
	}
	s->relay_copies += p->relay_copy;
	s->configs += p->nc != NULL;
	s->hello_learned += p->hello_id == ZTDP_DUMP_ID_NEW;
	s->last = *p;
	if (s->sink != NULL) {
		ztdp_dump_print_text(s->sink, p);
		ztdp_dump_print_json(s->sink, p);
	}
}

static struct ztdp_dump_keys *keys_with(const char *const *names)
{
	struct ztdp_dump_keys *k = ztdp_dump_keys_create();
	char rel[256], why[512];

	assert_non_null(k);
	for (size_t i = 0; names[i] != NULL; i++) {
		snprintf(rel, sizeof(rel), IDENTITY_DIR "/%s.identity.secret", names[i]);
		if (ztdp_dump_keys_load(k, ztdp_test_shared_path(rel), why, sizeof(why)) != 1)
			fail_msg("%s", why);
	}
	return k;
}

static struct ztdp_dump_decoder *decoder(struct ztdp_dump_keys *k, struct seen *s)
{
	struct ztdp_dump_config c;
	struct ztdp_dump_decoder *d;

	ztdp_dump_config_default(&c);
	c.keys = k;
	c.emit = on_pkt;
	c.arg = s;
	d = ztdp_dump_decoder_create(&c);
	assert_non_null(d);
	return d;
}

static int load_records(void **state)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;

	(void)state;
	if (!ztdp_test_have_shared(UNDERLAY_PCAP) || !ztdp_test_have_shared(IDENTITY_DIR))
		return 0;
	recs = calloc(1, sizeof(*recs));
	assert_non_null(recs);
	pc = pcap_open_offline(ztdp_test_shared_path(UNDERLAY_PCAP), err);
	assert_non_null(pc);
	assert_int_equal(pcap_datalink(pc), DLT_EN10MB);
	while (pcap_next_ex(pc, &h, &data) == 1) {
		assert_true(recs->n < MAX_RECORDS);
		assert_true(h->caplen > ETH_HDR_LEN && h->caplen - ETH_HDR_LEN <= MAX_REC_LEN);
		assert_int_equal(ztdp_load_be16(data + 12), 0x0800);
		recs->time_us[recs->n] = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		recs->len[recs->n] = h->caplen - ETH_HDR_LEN;
		memcpy(recs->ip[recs->n], data + ETH_HDR_LEN, recs->len[recs->n]);
		recs->n++;
	}
	pcap_close(pc);
	return 0;
}

static int free_records(void **state)
{
	(void)state;
	free(recs);
	recs = NULL;
	return 0;
}

#define NEED_DATA()							\
	do {								\
		if (recs == NULL)					\
			skip();						\
	} while (0)

/* ---- Link layers -------------------------------------------------------- */

enum encap {
	ENC_ETH, ENC_VLAN2, ENC_SLL, ENC_SLL2, ENC_NULL, ENC_LOOP, ENC_RAW, ENC_IPV4,
	ENC_ETH_V6, ENC_IPV6, ENC_N
};

static const int encap_dlt[ENC_N] = {
	[ENC_ETH] = DLT_EN10MB, [ENC_VLAN2] = DLT_EN10MB, [ENC_SLL] = DLT_LINUX_SLL,
	[ENC_SLL2] = DLT_LINUX_SLL2, [ENC_NULL] = DLT_NULL, [ENC_LOOP] = DLT_LOOP,
	[ENC_RAW] = DLT_RAW, [ENC_IPV4] = DLT_IPV4, [ENC_ETH_V6] = DLT_EN10MB,
	[ENC_IPV6] = DLT_IPV6,
};

/* IPv4 packet -> IPv6 with a hop-by-hop options header before the UDP
 * header (addresses fd00::<v4>). Returns the length. */
static size_t to_ipv6(const uint8_t *ip, size_t len, uint8_t *out)
{
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4, l4 = ztdp_load_be16(ip + 2) - ihl;

	memset(out, 0, 48);
	out[0] = 0x60;
	ztdp_store_be16(out + 4, (uint16_t)(l4 + 8));
	out[6] = 0;		/* hop-by-hop */
	out[7] = 64;
	out[8] = 0xfd;
	memcpy(out + 20, ip + 12, 4);
	out[24] = 0xfd;
	memcpy(out + 36, ip + 16, 4);
	out[40] = 17;		/* next: UDP */
	out[41] = 0;		/* 8 bytes; PadN fills them */
	out[42] = 1;
	out[43] = 4;
	assert_true(ihl + l4 <= len);
	memcpy(out + 48, ip + ihl, l4);
	return 48 + l4;
}

static size_t encapsulate(enum encap e, const uint8_t *ip, size_t len, uint8_t *out)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	size_t o = 0;

	switch (e) {
	case ENC_ETH:
		memcpy(out, macs, 12);
		ztdp_store_be16(out + 12, 0x0800);
		o = 14;
		break;
	case ENC_VLAN2:
		memcpy(out, macs, 12);
		ztdp_store_be16(out + 12, 0x88a8);
		ztdp_store_be16(out + 14, 100);
		ztdp_store_be16(out + 16, 0x8100);
		ztdp_store_be16(out + 18, 200);
		ztdp_store_be16(out + 20, 0x0800);
		o = 22;
		break;
	case ENC_SLL:
		memset(out, 0, 16);
		ztdp_store_be16(out + 2, 1);	/* ARPHRD_ETHER */
		ztdp_store_be16(out + 4, 6);
		ztdp_store_be16(out + 14, 0x0800);
		o = 16;
		break;
	case ENC_SLL2:
		memset(out, 0, 20);
		ztdp_store_be16(out, 0x0800);
		o = 20;
		break;
	case ENC_NULL:
		out[0] = 2;		/* AF_INET, little endian host */
		out[1] = out[2] = out[3] = 0;
		o = 4;
		break;
	case ENC_LOOP:
		ztdp_store_be32(out, 2);
		o = 4;
		break;
	case ENC_RAW:
	case ENC_IPV4:
		break;
	case ENC_ETH_V6:
		memcpy(out, macs, 12);
		ztdp_store_be16(out + 12, 0x86dd);
		return 14 + to_ipv6(ip, len, out + 14);
	case ENC_IPV6:
		return to_ipv6(ip, len, out);
	default:
		fail();
	}
	memcpy(out + o, ip, len);
	return o + len;
}

/* Decode the whole capture in one encapsulation; the statistics. */
static struct ztdp_dump_stats run_encap(enum encap e, struct seen *s)
{
	static const char *const all[] = { "root", "a", "b", NULL };
	struct ztdp_dump_keys *k = keys_with(all);
	struct ztdp_dump_decoder *d = decoder(k, s);
	struct ztdp_dump_stats st;
	uint8_t *buf = malloc(MAX_REC_LEN + 64);

	assert_non_null(buf);
	for (size_t i = 0; i < recs->n; i++) {
		size_t n = encapsulate(e, recs->ip[i], recs->len[i], buf);
		struct ztdp_dump_udp u;
		struct ztdp_dump_dgram g;

		assert_int_equal(ztdp_dump_link_to_udp(encap_dlt[e], buf, n, &u), ZTDP_DUMP_LINK_UDP);
		assert_int_equal(u.src.family, e >= ENC_ETH_V6 ? 6 : 4);
		assert_int_equal(u.dst.port, 9993);
		g.time_us = recs->time_us[i];
		g.record = i + 1;
		g.src = u.src;
		g.dst = u.dst;
		g.data = u.data;
		g.len = u.len;
		ztdp_dump_decode_datagram(d, &g);
	}
	ztdp_dump_decoder_finish(d);
	st = *ztdp_dump_decoder_stats(d);
	ztdp_dump_decoder_destroy(d);
	ztdp_dump_keys_destroy(k);
	free(buf);
	return st;
}

static void test_link_layers(void **state)
{
	struct ztdp_dump_stats first;

	(void)state;
	NEED_DATA();
	for (int e = 0; e < ENC_N; e++) {
		struct seen s;
		struct ztdp_dump_stats st;

		memset(&s, 0, sizeof(s));
		st = run_encap((enum encap)e, &s);
		assert_int_equal(st.datagrams, 181);
		assert_int_equal(st.packets, 170);
		assert_int_equal(st.authenticated, 170);
		assert_int_equal(st.reassembled, 10);
		assert_int_equal(st.not_zerotier, 1);
		assert_int_equal(st.configs, 4);
		assert_int_equal(s.n, 170);
		if (e == 0) {
			first = st;
		} else {
			/* Same outcome whatever carried the datagrams. */
			assert_memory_equal(&first, &st, sizeof(st));
		}
	}
}

/* Every prefix of every record in every encapsulation: a UDP payload is
 * reported only within the bytes given; cut headers say "truncated". */
static void test_link_prefixes(void **state)
{
	uint8_t *buf = malloc(MAX_REC_LEN + 64);
	unsigned long truncated = 0;

	(void)state;
	NEED_DATA();
	assert_non_null(buf);
	for (int e = 0; e < ENC_N; e++) {
		for (size_t i = 0; i < recs->n; i += 3) {
			size_t n = encapsulate((enum encap)e, recs->ip[i], recs->len[i], buf);

			for (size_t cut = 0; cut < n; cut++) {
				/* A copy of exactly cut bytes, so ASan sees any overread. */
				uint8_t *p = malloc(cut ? cut : 1);
				struct ztdp_dump_udp u;
				enum ztdp_dump_link r;

				assert_non_null(p);
				memcpy(p, buf, cut);
				r = ztdp_dump_link_to_udp(encap_dlt[e], p, cut, &u);
				if (r == ZTDP_DUMP_LINK_UDP)
					assert_true(u.data >= p && u.data + u.len <= p + cut);
				else
					truncated += r == ZTDP_DUMP_LINK_TRUNCATED;
				free(p);
			}
		}
	}
	assert_true(truncated > 0);
	free(buf);
}

static void test_link_other(void **state)
{
	uint8_t f[64];
	struct ztdp_dump_udp u;

	(void)state;
	memset(f, 0, sizeof(f));
	ztdp_store_be16(f + 12, 0x0806);	/* ARP */
	assert_int_equal(ztdp_dump_link_to_udp(DLT_EN10MB, f, 60, &u), ZTDP_DUMP_LINK_NOT_IP);
	ztdp_store_be16(f + 12, 0x0020);	/* 802.3 length */
	assert_int_equal(ztdp_dump_link_to_udp(DLT_EN10MB, f, 60, &u), ZTDP_DUMP_LINK_NOT_IP);
	ztdp_store_be16(f + 12, 0x0800);	/* IPv4 TCP */
	f[14] = 0x45;
	ztdp_store_be16(f + 16, 40);
	f[23] = 6;
	assert_int_equal(ztdp_dump_link_to_udp(DLT_EN10MB, f, 60, &u), ZTDP_DUMP_LINK_NOT_UDP);
	f[23] = 17;				/* UDP, but a fragment */
	ztdp_store_be16(f + 20, 0x2000);
	assert_int_equal(ztdp_dump_link_to_udp(DLT_EN10MB, f, 60, &u), ZTDP_DUMP_LINK_IP_FRAGMENT);
	ztdp_store_be16(f + 20, 0);
	f[14] = 0x44;				/* IHL 16: impossible */
	assert_int_equal(ztdp_dump_link_to_udp(DLT_EN10MB, f, 60, &u), ZTDP_DUMP_LINK_MALFORMED);
	f[14] = 0x45;
	ztdp_store_be16(f + 38, 4);		/* UDP length below its header */
	assert_int_equal(ztdp_dump_link_to_udp(DLT_EN10MB, f, 60, &u), ZTDP_DUMP_LINK_MALFORMED);
	ztdp_store_be16(f + 38, 20);		/* fits the IP total length */
	assert_int_equal(ztdp_dump_link_to_udp(DLT_EN10MB, f, 60, &u), ZTDP_DUMP_LINK_UDP);
	assert_int_equal(u.len, 12);
	assert_int_equal(ztdp_dump_link_to_udp(147 /* DLT_USER0 */, f, 60, &u),
			 ZTDP_DUMP_LINK_UNSUPPORTED);
	assert_false(ztdp_dump_link_supported(147));
}

/* ---- The decoder ---------------------------------------------------------- */

static void feed(struct ztdp_dump_decoder *d, size_t i, uint64_t time_us)
{
	struct ztdp_dump_udp u;
	struct ztdp_dump_dgram g;

	assert_int_equal(ztdp_dump_link_to_udp(DLT_RAW, recs->ip[i], recs->len[i], &u),
			 ZTDP_DUMP_LINK_UDP);
	g.time_us = time_us ? time_us : recs->time_us[i];
	g.record = i + 1;
	g.src = u.src;
	g.dst = u.dst;
	g.data = u.data;
	g.len = u.len;
	ztdp_dump_decode_datagram(d, &g);
}

/* Index of the first fragmented head and of its fragment. */
static void find_fragmented(size_t *head, size_t *frag)
{
	*head = *frag = SIZE_MAX;
	for (size_t i = 0; i < recs->n; i++) {
		const uint8_t *udp = recs->ip[i] + 20 + 8;
		size_t n = recs->len[i] - 28;

		if (*head == SIZE_MAX && n >= ZTDP_PKT_MIN_LEN && udp[13] != 0xff &&
		    (udp[ZTDP_PKT_IDX_FLAGS] & ZTDP_PKT_FLAG_FRAGMENTED))
			*head = i;
		else if (*head != SIZE_MAX && n > 16 && udp[13] == 0xff &&
			 memcmp(udp, recs->ip[*head] + 28, 8) == 0) {
			*frag = i;
			return;
		}
	}
	fail_msg("no fragmented packet in the capture");
}

static void test_incomplete(void **state)
{
	static const char *const all[] = { "root", "a", "b", NULL };
	struct ztdp_dump_keys *k;
	struct ztdp_dump_decoder *d;
	struct seen s;
	size_t head, frag;

	(void)state;
	NEED_DATA();
	k = keys_with(all);
	find_fragmented(&head, &frag);
	memset(&s, 0, sizeof(s));
	s.sink = fopen("/dev/null", "w");
	d = decoder(k, &s);

	/* A head alone, then the end of the capture. */
	feed(d, head, 0);
	assert_int_equal(s.n, 0);
	ztdp_dump_decoder_finish(d);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.last.status, ZTDP_DUMP_ST_INCOMPLETE);
	assert_true(s.last.have_src);
	assert_int_equal(s.last.pieces, 1);
	assert_int_equal(s.last.total, 0);
	assert_string_equal(s.last.why, "fragments missing at end of capture");

	/* A fragment alone, timed out by a datagram 6 s later. */
	ztdp_dump_decoder_reset(d);
	feed(d, frag, 0);
	feed(d, 0, recs->time_us[frag] + 6000000);
	assert_int_equal(s.by_status[ZTDP_DUMP_ST_INCOMPLETE], 2);
	assert_int_equal(ztdp_dump_decoder_stats(d)->incomplete, 1);
	assert_int_equal(ztdp_dump_decoder_stats(d)->authenticated, 1);	/* the HELLO */

	/* Both, fragment first: one packet of two datagrams. */
	ztdp_dump_decoder_reset(d);
	s.n = 0;
	feed(d, frag, 0);
	feed(d, head, 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.last.status, ZTDP_DUMP_ST_OK);
	assert_int_equal(s.last.pieces, 2);
	assert_int_equal(s.last.verb, ZTDP_VERB_FRAME);

	/* The same fragment twice: the second is a dropped duplicate. */
	ztdp_dump_decoder_reset(d);
	s.n = 0;
	feed(d, frag, 0);
	feed(d, frag, 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.last.status, ZTDP_DUMP_ST_DROPPED);
	ztdp_dump_decoder_finish(d);
	assert_int_equal(s.last.status, ZTDP_DUMP_ST_INCOMPLETE);
	assert_int_equal(s.last.pieces, 1);
	assert_int_equal(s.last.total, 2);
	assert_false(s.last.have_src);

	ztdp_dump_decoder_destroy(d);
	ztdp_dump_keys_destroy(k);
	fclose(s.sink);
}

static void test_keys_and_learning(void **state)
{
	static const char *const only_a[] = { "a", NULL };
	static const char *const none[] = { NULL };
	struct ztdp_dump_keys *k;
	struct ztdp_dump_decoder *d;
	struct seen s;

	(void)state;
	NEED_DATA();
	/* a's secret: root and b are learned from their HELLOs. */
	k = keys_with(only_a);
	memset(&s, 0, sizeof(s));
	d = decoder(k, &s);
	for (size_t i = 0; i < recs->n; i++)
		feed(d, i, 0);
	ztdp_dump_decoder_finish(d);
	assert_int_equal(ztdp_dump_keys_learned(k), 2);
	assert_non_null(ztdp_dump_keys_find(k, ADDR_ROOT));
	assert_non_null(ztdp_dump_keys_find(k, ADDR_B));
	assert_int_equal(ztdp_dump_keys_origin(k, ADDR_B), ZTDP_DUMP_ID_HELLO);
	assert_int_equal(s.hello_learned, 2);
	assert_true(s.by_status[ZTDP_DUMP_ST_OK] > 100);
	assert_true(s.by_status[ZTDP_DUMP_ST_UNDECRYPTABLE] > 0);
	assert_int_equal(s.by_status[ZTDP_DUMP_ST_OK] + s.by_status[ZTDP_DUMP_ST_UNDECRYPTABLE], 170);
	assert_int_equal(s.by_status[ZTDP_DUMP_ST_AUTH_FAILED], 0);
	/* A second pass knows everything from the start: one more packet
	 * (root -> a before root's first HELLO) decrypts. */
	{
		unsigned int first_ok = s.by_status[ZTDP_DUMP_ST_OK];

		ztdp_dump_decoder_reset(d);
		memset(&s, 0, sizeof(s));
		for (size_t i = 0; i < recs->n; i++)
			feed(d, i, 0);
		ztdp_dump_decoder_finish(d);
		assert_true(s.by_status[ZTDP_DUMP_ST_OK] >= first_ok);
		assert_int_equal(s.hello_learned, 0);
	}
	ztdp_dump_decoder_destroy(d);
	ztdp_dump_keys_destroy(k);

	/* No secrets: every packet undecryptable, with its reason. */
	k = keys_with(none);
	memset(&s, 0, sizeof(s));
	d = decoder(k, &s);
	for (size_t i = 0; i < recs->n; i++)
		feed(d, i, 0);
	ztdp_dump_decoder_finish(d);
	assert_int_equal(s.by_status[ZTDP_DUMP_ST_UNDECRYPTABLE], 170);
	assert_int_equal(s.n, 170);
	ztdp_dump_decoder_destroy(d);
	ztdp_dump_keys_destroy(k);
}

static void test_tamper_and_relay(void **state)
{
	static const char *const all[] = { "root", "a", "b", NULL };
	struct ztdp_dump_keys *k;
	struct ztdp_dump_decoder *d;
	struct seen s;
	size_t i = recs ? recs->n - 1 : 0;	/* the last record: a unicast FRAME */
	uint8_t saved;

	(void)state;
	NEED_DATA();
	k = keys_with(all);
	memset(&s, 0, sizeof(s));
	d = decoder(k, &s);
	feed(d, i, 0);
	assert_int_equal(s.last.status, ZTDP_DUMP_ST_OK);
	assert_false(s.last.relay_copy);
	feed(d, i, 0);
	assert_true(s.last.relay_copy);
	assert_int_equal(s.frames, 2);
	/* One payload bit: the MAC no longer verifies. */
	saved = recs->ip[i][recs->len[i] - 1];
	recs->ip[i][recs->len[i] - 1] ^= 1;
	ztdp_dump_decoder_reset(d);
	feed(d, i, 0);
	recs->ip[i][recs->len[i] - 1] = saved;
	assert_int_equal(s.last.status, ZTDP_DUMP_ST_AUTH_FAILED);
	assert_string_equal(s.last.why, "MAC does not verify");
	ztdp_dump_decoder_destroy(d);
	ztdp_dump_keys_destroy(k);
}

/* A plaintext packet: header (ID, dest, source, flags), verb, payload. */
static size_t plain(uint8_t *p, uint64_t src, uint64_t dst, uint8_t verb,
		    const uint8_t *payload, size_t n)
{
	memset(p, 0, ZTDP_PKT_HEADER_LEN);
	ztdp_store_be64(p, 0x1122334455667788ULL);
	ztdp_store_be40(p + ZTDP_PKT_IDX_DEST, dst);
	ztdp_store_be40(p + ZTDP_PKT_IDX_SOURCE, src);
	p[ZTDP_PKT_IDX_FLAGS] = ZTDP_CIPHER_AES_GMAC_SIV << ZTDP_PKT_FLAGS_CIPHER_SHIFT;
	p[ZTDP_PKT_IDX_VERB] = verb;
	memcpy(p + ZTDP_PKT_HEADER_LEN, payload, n);
	return ZTDP_PKT_HEADER_LEN + n;
}

static void run_plain(struct ztdp_dump_decoder *d, const uint8_t *p, size_t n)
{
	struct ztdp_dump_dgram g;

	memset(&g, 0, sizeof(g));
	g.data = p;
	g.len = n;
	ztdp_dump_decode_plain(d, &g);
}

static void test_plain_frames(void **state)
{
	struct ztdp_dump_keys *k = ztdp_dump_keys_create();
	struct ztdp_dump_decoder *d;
	struct seen s;
	uint8_t pay[64], pkt[128], mac[6];
	struct ztdp_wr w;
	size_t n;

	(void)state;
	assert_non_null(k);
	memset(&s, 0, sizeof(s));
	s.sink = fopen("/dev/null", "w");
	d = decoder(k, &s);

	/* FRAME: both MACs derived from the addresses (section 1.3). */
	ztdp_wr_init(&w, pay, sizeof(pay));
	ztdp_wr_u64(&w, NWID);
	ztdp_wr_u16(&w, 0x0800);
	ztdp_wr_bytes(&w, "\x45\x00", 2);
	n = plain(pkt, ADDR_A, ADDR_B, ZTDP_VERB_FRAME, pay, w.off);
	run_plain(d, pkt, n);
	assert_int_equal(s.last.status, ZTDP_DUMP_ST_OK);
	assert_int_equal(s.last_frame_len, 16);
	ztdp_mac_to_bytes(ztdp_mac_from_address(ADDR_B, NWID), mac);
	assert_memory_equal(s.last_frame, mac, 6);
	ztdp_mac_to_bytes(ztdp_mac_from_address(ADDR_A, NWID), mac);
	assert_memory_equal(s.last_frame + 6, mac, 6);
	assert_memory_equal(s.last_frame + 12, "\x08\x00\x45\x00", 4);

	/* MULTICAST_FRAME with an explicit source MAC (flag 0x04). */
	ztdp_wr_init(&w, pay, sizeof(pay));
	ztdp_wr_u64(&w, NWID);
	ztdp_wr_u8(&w, ZTDP_MC_FRAME_FLAG_SOURCE_MAC);
	ztdp_wr_bytes(&w, "\x02\x1a\x00\x00\x00\x31", 6);
	ztdp_wr_bytes(&w, "\xff\xff\xff\xff\xff\xff", 6);
	ztdp_wr_u32(&w, 0x0a93210c);
	ztdp_wr_u16(&w, 0x0806);
	ztdp_wr_bytes(&w, "\x00\x01", 2);
	n = plain(pkt, ADDR_A, ADDR_B, ZTDP_VERB_MULTICAST_FRAME, pay, w.off);
	run_plain(d, pkt, n);
	assert_int_equal(s.last.status, ZTDP_DUMP_ST_OK);
	assert_memory_equal(s.last_frame, "\xff\xff\xff\xff\xff\xff\x02\x1a\x00\x00\x00\x31\x08\x06\x00\x01",
			    16);
	/* Without it: the sender's derived MAC. */
	pkt[ZTDP_PKT_HEADER_LEN + 8] = 0;
	memmove(pkt + ZTDP_PKT_HEADER_LEN + 9, pkt + ZTDP_PKT_HEADER_LEN + 15, n - 43);
	run_plain(d, pkt, n - 6);
	assert_int_equal(s.last.status, ZTDP_DUMP_ST_OK);
	ztdp_mac_to_bytes(ztdp_mac_from_address(ADDR_A, NWID), mac);
	assert_memory_equal(s.last_frame + 6, mac, 6);

	/* A truncated EXT_FRAME: no frame, the decode error is reported. */
	n = plain(pkt, ADDR_A, ADDR_B, ZTDP_VERB_EXT_FRAME, pay, 12);
	s.frames = 0;
	run_plain(d, pkt, n);
	assert_int_equal(s.last.status, ZTDP_DUMP_ST_OK);
	assert_int_not_equal(s.last.body_err, 0);
	assert_int_equal(s.frames, 0);

	/* Compression flag over bytes that are not LZ4. */
	n = plain(pkt, ADDR_A, ADDR_B, ZTDP_VERB_FRAME | ZTDP_PKT_VERB_FLAG_COMPRESSED,
		  (const uint8_t *)"\xff\xff\xff\xff\xff\xff\xff\xff", 8);
	run_plain(d, pkt, n);
	assert_int_equal(s.last.status, ZTDP_DUMP_ST_MALFORMED);
	assert_true(s.last.authenticated);

	/* Runts never reach the decoder. */
	s.n = 0;
	run_plain(d, pkt, ZTDP_PKT_HEADER_LEN - 1);
	assert_int_equal(s.n, 0);

	ztdp_dump_decoder_destroy(d);
	ztdp_dump_keys_destroy(k);
	fclose(s.sink);
}

/* Text and JSON of every record of the capture (the JSON must parse). */
static void test_output(void **state)
{
	static const char *const all[] = { "root", "a", "b", NULL };
	struct ztdp_dump_keys *k;
	struct ztdp_dump_decoder *d;
	struct seen s;
	char *buf = NULL;
	size_t len = 0, lines = 0;
	FILE *mem;

	(void)state;
	NEED_DATA();
	k = keys_with(all);
	memset(&s, 0, sizeof(s));
	mem = open_memstream(&buf, &len);
	assert_non_null(mem);
	s.sink = mem;
	d = decoder(k, &s);
	for (size_t i = 0; i < recs->n; i++)
		feed(d, i, 0);
	ztdp_dump_decoder_finish(d);
	fclose(mem);
	for (char *line = strtok(buf, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if (line[0] == '{') {
			json_error_t err;
			json_t *o = json_loads(line, 0, &err);

			if (o == NULL)
				fail_msg("bad JSON (%s): %s", err.text, line);
			assert_true(json_is_string(json_object_get(o, "verb")));
			assert_true(json_is_true(json_object_get(o, "authenticated")));
			json_decref(o);
			lines++;
		}
	}
	assert_int_equal(lines, 170);
	free(buf);
	ztdp_dump_decoder_destroy(d);
	ztdp_dump_keys_destroy(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_layers),
		cmocka_unit_test(test_link_prefixes),
		cmocka_unit_test(test_link_other),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_keys_and_learning),
		cmocka_unit_test(test_tamper_and_relay),
		cmocka_unit_test(test_plain_frames),
		cmocka_unit_test(test_output),
	};

	if (ztdp_crypto_init(NULL) != 0) {
		fprintf(stderr, "ztdp_crypto_init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, load_records, free_records);
}
