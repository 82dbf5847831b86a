/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet headers, datagram classification, fragmentation and LZ4 payload
 * compression (ztdp_packet.h), against synthetic packets of every size and
 * against what real 1.14.1 nodes sent (interop/data/pcap).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>

#include "pcap_udp.h"
#include "test_util.h"
#include "ztdp_crypto.h"
#include "ztdp_packet.h"

#define UNDERLAY_PCAP	"interop/data/pcap/underlay-join-ping.pcap"
#define UNDERLAY_HDRS	"interop/data/pcap/underlay-join-ping.headers.txt"
#define BRIDGE_PCAP	"interop/data-bridge/pcap/bridge-underlay.pcap"

static const size_t test_mtus[] = { 576, 1432, 2800 };

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	/* xorshift64*: deterministic so failures reproduce. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rng();
}

static int setup(void **state)
{
	(void)state;
	return ztdp_crypto_init(NULL);
}

/* ---- Classification ----------------------------------------------------- */

static void test_classify(void **state)
{
	uint8_t d[64];

	(void)state;
	memset(d, 0, sizeof(d));
	for (size_t len = 0; len <= sizeof(d); len++) {
		enum ztdp_dgram_kind want;

		if (len == 13)
			want = ZTDP_DGRAM_BEACON;
		else if (len >= 28)
			want = ZTDP_DGRAM_PACKET;
		else if (len == 4)
			want = ZTDP_DGRAM_JUNK;
		else
			want = ZTDP_DGRAM_SHORT;
		assert_int_equal(ztdp_dgram_classify(d, len), want);
	}
	/* The indicator makes a fragment only with at least one payload byte. */
	d[ZTDP_FRAG_IDX_INDICATOR] = 0xff;
	for (size_t len = 14; len <= sizeof(d); len++) {
		enum ztdp_dgram_kind k = ztdp_dgram_classify(d, len);

		if (len > 16)
			assert_int_equal(k, ZTDP_DGRAM_FRAGMENT);
		else
			assert_int_equal(k, ZTDP_DGRAM_SHORT);
	}
	/* A 13-byte datagram is a beacon whatever it holds. */
	memset(d, 0xff, sizeof(d));
	assert_int_equal(ztdp_dgram_classify(d, 13), ZTDP_DGRAM_BEACON);
	assert_string_equal(ztdp_dgram_kind_name(ZTDP_DGRAM_FRAGMENT), "fragment");
	assert_string_equal(ztdp_dgram_kind_name(ZTDP_DGRAM_JUNK), "junk");
	assert_string_equal(ztdp_dgram_kind_name((enum ztdp_dgram_kind)99), "?");
}

/* ---- Header -------------------------------------------------------------- */

static void test_header_build_decode(void **state)
{
	uint8_t buf[64];
	struct ztdp_pkt_header h;
	struct ztdp_wr w;

	(void)state;
	ztdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(ztdp_packet_begin(&w, 0x0102030405060708ULL, 0x3285290482ULL,
					   0xdec87a28aaULL, ZTDP_VERB_EXT_FRAME), 0);
	assert_int_equal(w.off, ZTDP_PKT_HEADER_LEN);
	ztdp_wr_u32(&w, 0xdeadbeef);
	assert_int_equal(ztdp_packet_header_decode(buf, w.off, &h), 0);
	assert_true(h.id == 0x0102030405060708ULL);
	assert_true(h.dest == 0x3285290482ULL);
	assert_true(h.source == 0xdec87a28aaULL);
	assert_int_equal(h.flags, 0);
	assert_int_equal(h.verb, ZTDP_VERB_EXT_FRAME);
	assert_false(h.compressed);
	assert_false(h.fragmented);
	assert_memory_equal(buf + ZTDP_PKT_IDX_MAC, "\0\0\0\0\0\0\0\0", 8);

	/* Wire order, byte by byte. */
	assert_int_equal(buf[0], 0x01);
	assert_int_equal(buf[7], 0x08);
	assert_int_equal(buf[8], 0x32);
	assert_int_equal(buf[12], 0x82);
	assert_int_equal(buf[13], 0xde);
	assert_int_equal(buf[17], 0xaa);

	/* Flags: cipher 3, fragmented, hops 5; compressed verb. */
	buf[ZTDP_PKT_IDX_FLAGS] = 3 << ZTDP_PKT_FLAGS_CIPHER_SHIFT;
	ztdp_packet_set_fragmented(buf, true);
	ztdp_packet_set_hops(buf, 5);
	buf[ZTDP_PKT_IDX_VERB] |= ZTDP_PKT_VERB_FLAG_COMPRESSED;
	assert_int_equal(buf[ZTDP_PKT_IDX_FLAGS], 0x5d);
	assert_int_equal(ztdp_packet_header_decode(buf, ZTDP_PKT_HEADER_LEN, &h), 0);
	assert_int_equal(h.cipher, 3);
	assert_int_equal(h.hops, 5);
	assert_true(h.fragmented);
	assert_true(h.compressed);
	assert_int_equal(h.verb, ZTDP_VERB_EXT_FRAME);
	assert_int_equal(ztdp_packet_cipher(buf), 3);
	assert_int_equal(ztdp_packet_hops(buf), 5);
	assert_true(ztdp_packet_is_fragmented(buf));
	assert_true(ztdp_packet_is_compressed(buf));
	assert_int_equal(ztdp_packet_verb(buf), ZTDP_VERB_EXT_FRAME);
	assert_true(ztdp_packet_id(buf) == 0x0102030405060708ULL);
	assert_true(ztdp_packet_dest(buf) == 0x3285290482ULL);
	assert_true(ztdp_packet_source(buf) == 0xdec87a28aaULL);
	/* Hops wrap within their 3 bits and leave the rest alone. */
	ztdp_packet_set_hops(buf, 9);
	assert_int_equal(buf[ZTDP_PKT_IDX_FLAGS], 0x59);
	ztdp_packet_set_fragmented(buf, false);
	assert_int_equal(buf[ZTDP_PKT_IDX_FLAGS], 0x19);

	/* Errors. */
	for (size_t len = 0; len < ZTDP_PKT_HEADER_LEN; len++)
		assert_int_equal(ztdp_packet_header_decode(buf, len, &h), ZTDP_PKT_ESHORT);
	ztdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(ztdp_packet_begin(&w, 1, 2, 3, 32), ZTDP_PKT_EINVAL);
	assert_int_equal(ztdp_packet_begin(&w, 1, 1ULL << 40, 3, 1), ZTDP_PKT_EINVAL);
	assert_int_equal(ztdp_packet_begin(&w, 1, 2, 1ULL << 40, 1), ZTDP_PKT_EINVAL);
	ztdp_wr_init(&w, buf, ZTDP_PKT_HEADER_LEN - 1);
	assert_int_equal(ztdp_packet_begin(&w, 1, 2, 3, 1), ZTDP_PKT_ERANGE);
}

/* Every datagram of the real capture, against the header summary the
 * harness wrote with an independent decoder (one line per datagram:
 * time, ip>ip, UDP length, then the fields). */
static void test_header_capture(void **state)
{
	struct pcap_udp *d;
	size_t n, len, i = 0;
	uint8_t *text;
	char *line, *save = NULL;

	(void)state;
	if (!ztdp_test_have_shared(UNDERLAY_PCAP) || !ztdp_test_have_shared(UNDERLAY_HDRS))
		skip();
	d = pcap_udp_load(ztdp_test_shared_path(UNDERLAY_PCAP), &n);
	assert_non_null(d);
	assert_int_equal(n, 181);
	text = ztdp_test_read_file(ztdp_test_shared_path(UNDERLAY_HDRS), &len);
	text = realloc(text, len + 1);
	assert_non_null(text);
	text[len] = '\0';
	for (line = strtok_r((char *)text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save), i++) {
		char ips[64], f1[64], f2[64];
		unsigned int udplen;
		int fields;

		assert_true(i < n);
		fields = sscanf(line, "%*s %63s %u %63s %63s", ips, &udplen, f1, f2);
		assert_true(fields >= 3);
		assert_int_equal(udplen, d[i].len + 8);
		if (strcmp(f1, "short") == 0) {
			/* The RENDEZVOUS junk: 4 bytes. */
			assert_int_equal(ztdp_dgram_classify(d[i].data, d[i].len), ZTDP_DGRAM_JUNK);
		} else if (strcmp(f1, "FRAGMENT") == 0) {
			struct ztdp_fragment f;
			char idhex[32], dest[16];

			assert_int_equal(ztdp_dgram_classify(d[i].data, d[i].len),
					 ZTDP_DGRAM_FRAGMENT);
			assert_int_equal(sscanf(line, "%*s %*s %*u FRAGMENT pkt %31s -> %15s",
						idhex, dest), 2);
			assert_int_equal(ztdp_fragment_decode(d[i].data, d[i].len, &f), 0);
			assert_true(f.packet_id == strtoull(idhex, NULL, 16));
			assert_true(f.dest == strtoull(dest, NULL, 16));
			assert_int_equal(f.total, 2);
			assert_int_equal(f.number, 1);
			assert_int_equal(f.hops, 0);
			assert_true(ztdp_fragment_numbers_ok(f.total, f.number));
			assert_int_equal(f.payload_len, d[i].len - 16);
		} else {
			struct ztdp_pkt_header h;
			unsigned long long src, dst;
			unsigned int cipher, hops, frag, verb;
			const char *v;

			assert_int_equal(ztdp_dgram_classify(d[i].data, d[i].len), ZTDP_DGRAM_PACKET);
			assert_int_equal(sscanf(f1, "%llx->%llx", &src, &dst), 2);
			assert_int_equal(sscanf(f2, "cipher=%u", &cipher), 1);
			assert_int_equal(sscanf(strstr(line, "hops="), "hops=%u frag=%u", &hops, &frag), 2);
			assert_int_equal(ztdp_packet_header_decode(d[i].data, d[i].len, &h), 0);
			assert_true(h.source == src);
			assert_true(h.dest == dst);
			assert_int_equal(h.cipher, cipher);
			assert_int_equal(h.hops, hops);
			assert_int_equal(h.fragmented, frag);
			/* Legacy bit 0x80 set iff suite 1 (section 3.1). */
			assert_int_equal((h.flags & ZTDP_PKT_FLAG_ENCRYPTED_LEGACY) != 0, cipher == 1);
			v = strstr(line, "verb=");
			if (v != NULL) {
				assert_int_equal(sscanf(v, "verb=%u", &verb), 1);
				assert_int_equal(h.verb, verb);
			}
		}
	}
	assert_int_equal(i, n);
	free(text);
	pcap_udp_free(d, n);
}

/* ---- Fragmentation ------------------------------------------------------- */

/* Split pkt at mtu with ztdp_fragment_encode, check every datagram, and
 * join them back. */
static void split_and_join(const uint8_t *pkt, size_t len, size_t mtu, uint8_t *joined)
{
	uint8_t dg[ZTDP_MAX_PACKET_LEN + ZTDP_FRAG_HEADER_LEN];
	int count = ztdp_fragment_count(len, mtu);
	size_t at = 0;

	assert_true(count >= 1 && count <= ZTDP_MAX_FRAGMENTS);
	for (int f = 0; f < count; f++) {
		int n = ztdp_fragment_encode(pkt, len, mtu, (unsigned int)f, dg, sizeof(dg));
		size_t off, slen;

		assert_true(n > 0);
		assert_true((size_t)n <= mtu);
		assert_int_equal(ztdp_fragment_slice(len, mtu, (unsigned int)f, &off, &slen), 0);
		assert_int_equal(off, at);
		if (f == 0) {
			assert_int_equal(ztdp_dgram_classify(dg, (size_t)n), ZTDP_DGRAM_PACKET);
			assert_int_equal((size_t)n, count == 1 ? len : mtu);
			memcpy(joined, dg, (size_t)n);
			at = (size_t)n;
		} else {
			struct ztdp_fragment fr;

			assert_int_equal(ztdp_dgram_classify(dg, (size_t)n), ZTDP_DGRAM_FRAGMENT);
			assert_int_equal(ztdp_fragment_decode(dg, (size_t)n, &fr), 0);
			assert_int_equal(fr.total, count);
			assert_int_equal(fr.number, f);
			assert_int_equal(fr.hops, 0);
			assert_true(fr.packet_id == ztdp_packet_id(pkt));
			assert_true(fr.dest == ztdp_packet_dest(pkt));
			assert_int_equal(fr.payload_len, slen);
			/* Every slice but the last is full. */
			if (f < count - 1)
				assert_int_equal(slen, mtu - ZTDP_FRAG_HEADER_LEN);
			memcpy(joined + at, fr.payload, fr.payload_len);
			at += fr.payload_len;
		}
	}
	assert_int_equal(at, len);
	assert_memory_equal(joined, pkt, len);
	assert_int_equal(ztdp_fragment_encode(pkt, len, mtu, (unsigned int)count, dg, sizeof(dg)),
			 ZTDP_PKT_ERANGE);
}

static void test_fragment_round_trip(void **state)
{
	uint8_t *pkt = malloc(ZTDP_MAX_PACKET_LEN), *joined = malloc(ZTDP_MAX_PACKET_LEN);

	(void)state;
	assert_non_null(pkt);
	assert_non_null(joined);
	fill_random(pkt, ZTDP_MAX_PACKET_LEN);
	pkt[ZTDP_PKT_IDX_SOURCE] = 0x12;	/* a valid source never begins 0xff */
	for (size_t m = 0; m < sizeof(test_mtus) / sizeof(test_mtus[0]); m++) {
		size_t mtu = test_mtus[m], per = mtu - ZTDP_FRAG_HEADER_LEN;
		/* The most a receiver will assemble at this MTU. */
		size_t max_len = mtu + (ZTDP_MAX_FRAGMENTS - 1) * per;
		unsigned int multi = 0;

		for (size_t len = ZTDP_PKT_MIN_LEN; len <= ZTDP_MAX_PACKET_LEN; len++) {
			int count;

			pkt[ZTDP_PKT_IDX_FLAGS] = 0x18;
			count = ztdp_packet_prepare_fragments(pkt, len, mtu);
			if (len > max_len) {
				assert_int_equal(count, ZTDP_PKT_ERANGE);
				continue;
			}
			assert_int_equal(count, len <= mtu ? 1 : 1 + (len - mtu + per - 1) / per);
			/* The flag says "more follow", and only that bit moved. */
			assert_int_equal(pkt[ZTDP_PKT_IDX_FLAGS], count > 1 ? 0x58 : 0x18);
			if (count > 1)
				multi++;
			split_and_join(pkt, len, mtu, joined);
		}
		assert_true(multi > 0);
		/* Only MTUs above ~1446 carry a full-size packet in 7 datagrams:
		 * the fragment headers eat 6 x 16 bytes (section 3.2's 10024
		 * is the buffer, not what 1432-byte datagrams can carry). */
		if (max_len < ZTDP_MAX_PACKET_LEN)
			assert_int_equal(ztdp_fragment_count(ZTDP_MAX_PACKET_LEN, mtu), ZTDP_PKT_ERANGE);
		else
			assert_true(ztdp_fragment_count(ZTDP_MAX_PACKET_LEN, mtu) > 0);
	}
	/* The limits. */
	assert_int_equal(ztdp_fragment_count(1432 + 6 * 1416, ZTDP_DEFAULT_PHYSMTU), 7);
	assert_int_equal(ztdp_fragment_count(1432 + 6 * 1416 + 1, ZTDP_DEFAULT_PHYSMTU),
			 ZTDP_PKT_ERANGE);
	assert_int_equal(ztdp_fragment_count(ZTDP_MAX_PACKET_LEN, ZTDP_DEFAULT_PHYSMTU),
			 ZTDP_PKT_ERANGE);
	assert_int_equal(ztdp_fragment_count(ZTDP_MAX_PACKET_LEN, 1448), 7);
	assert_int_equal(ztdp_fragment_count(ZTDP_MAX_PACKET_LEN + 1, 100000), ZTDP_PKT_ERANGE);
	assert_int_equal(ztdp_fragment_count(27, 1432), ZTDP_PKT_ERANGE);
	assert_int_equal(ztdp_fragment_count(100, 27), ZTDP_PKT_ERANGE);
	assert_int_equal(ztdp_fragment_count(28, 28), 1);
	assert_int_equal(ztdp_fragment_count(29, 28), 2);
	free(pkt);
	free(joined);
}

static void test_fragment_decode_errors(void **state)
{
	uint8_t d[40] = { 0 };
	struct ztdp_fragment f;
	uint8_t hdr[ZTDP_FRAG_HEADER_LEN], pkt[ZTDP_PKT_HEADER_LEN];

	(void)state;
	for (size_t len = 0; len <= ZTDP_FRAG_HEADER_LEN; len++)
		assert_int_equal(ztdp_fragment_decode(d, len, &f), ZTDP_PKT_ESHORT);
	assert_int_equal(ztdp_fragment_decode(d, sizeof(d), &f), ZTDP_PKT_EINVAL);
	d[13] = 0xff;
	d[14] = 0xf0;		/* total 15, number 0: decoded raw, judged elsewhere */
	d[15] = 0xfd;		/* hops: only the low 3 bits count */
	assert_int_equal(ztdp_fragment_decode(d, 17, &f), 0);
	assert_int_equal(f.total, 15);
	assert_int_equal(f.number, 0);
	assert_int_equal(f.hops, 5);
	assert_int_equal(f.payload_len, 1);
	assert_ptr_equal(f.payload, d + 16);
	assert_int_equal(ztdp_fragment_hops(d), 5);
	ztdp_fragment_set_hops(d, 2);
	assert_int_equal(d[15], 2);

	/* Acceptable numbers are exactly 1 < total <= 7, 1 <= number < total. */
	for (unsigned int t = 0; t < 16; t++)
		for (unsigned int n = 0; n < 16; n++)
			assert_int_equal(ztdp_fragment_numbers_ok(t, n),
					 t >= 2 && t <= 7 && n >= 1 && n < t);

	/* Header writer. */
	memset(pkt, 0, sizeof(pkt));
	for (int i = 0; i < 13; i++)
		pkt[i] = (uint8_t)(0xa0 + i);
	ztdp_fragment_header_write(hdr, pkt, 3, 5);
	assert_memory_equal(hdr, pkt, 13);
	assert_int_equal(hdr[13], 0xff);
	assert_int_equal(hdr[14], 0x53);
	assert_int_equal(hdr[15], 0);
}

/* The real fragmented packets: joining head and fragment, then splitting
 * again at 1432 must give the captured datagrams byte for byte (1.14.1's
 * split rule is ours). */
static void check_real_split(const char *rel)
{
	struct pcap_udp *d;
	size_t n, checked = 0;
	uint8_t pkt[ZTDP_MAX_PACKET_LEN], dg[ZTDP_MAX_PACKET_LEN];

	d = pcap_udp_load(ztdp_test_shared_path(rel), &n);
	assert_non_null(d);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		int count, total = 0;
		size_t idx[ZTDP_MAX_FRAGMENTS];

		if (ztdp_dgram_classify(d[i].data, d[i].len) != ZTDP_DGRAM_PACKET ||
		    !ztdp_packet_is_fragmented(d[i].data))
			continue;
		/* Fragments follow their head within a few datagrams here. */
		memcpy(pkt, d[i].data, d[i].len);
		len = d[i].len;
		idx[0] = i;
		for (size_t j = 0; j < n; j++) {
			struct ztdp_fragment f;

			if (ztdp_dgram_classify(d[j].data, d[j].len) != ZTDP_DGRAM_FRAGMENT)
				continue;
			assert_int_equal(ztdp_fragment_decode(d[j].data, d[j].len, &f), 0);
			if (f.packet_id != ztdp_packet_id(d[i].data))
				continue;
			total = f.total;
			idx[f.number] = j;
		}
		assert_true(total >= 2);
		for (int f = 1; f < total; f++) {
			memcpy(pkt + len, d[idx[f]].data + 16, d[idx[f]].len - 16);
			len += d[idx[f]].len - 16;
		}
		count = ztdp_fragment_count(len, d[i].len);
		assert_int_equal(count, total);
		for (int f = 0; f < count; f++) {
			int m = ztdp_fragment_encode(pkt, len, d[i].len, (unsigned int)f, dg, sizeof(dg));

			assert_int_equal(m, d[idx[f]].len);
			assert_memory_equal(dg, d[idx[f]].data, (size_t)m);
		}
		checked++;
	}
	printf("# %s: %zu fragmented packets re-split identically\n", rel, checked);
	assert_true(checked >= 10);
	pcap_udp_free(d, n);
}

static void test_fragment_capture(void **state)
{
	(void)state;
	if (!ztdp_test_have_shared(UNDERLAY_PCAP) || !ztdp_test_have_shared(BRIDGE_PCAP))
		skip();
	check_real_split(UNDERLAY_PCAP);
	check_real_split(BRIDGE_PCAP);
}

/* ---- LZ4 ------------------------------------------------------------------ */

static size_t make_packet(uint8_t *pkt, size_t len, unsigned int verb, int kind)
{
	struct ztdp_wr w;

	ztdp_wr_init(&w, pkt, len);
	assert_int_equal(ztdp_packet_begin(&w, rng(), 0x1122334455ULL, 0x2233445566ULL, verb), 0);
	switch (kind) {
	case 0:		/* compressible text-like */
		for (size_t i = 28; i < len; i++)
			pkt[i] = (uint8_t)("abcdefgh"[(i / 7) % 8]);
		break;
	case 1:		/* incompressible */
		fill_random(pkt + 28, len - 28);
		break;
	default:	/* zeros */
		memset(pkt + 28, 0, len - 28);
		break;
	}
	return len;
}

static void test_lz4_round_trip(void **state)
{
	static const size_t sizes[] = { 28, 29, 92, 93, 94, 200, 1432, 2800, 5000, 10023, 10024 };
	uint8_t *pkt = malloc(ZTDP_MAX_PACKET_LEN), *c = malloc(ZTDP_MAX_PACKET_LEN);
	uint8_t *u = malloc(ZTDP_MAX_PACKET_LEN);

	(void)state;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (int kind = 0; kind < 3; kind++) {
			size_t len = make_packet(pkt, sizes[s], ZTDP_VERB_NETWORK_CONFIG, kind);
			int cl = ztdp_packet_compress(pkt, len, c, ZTDP_MAX_PACKET_LEN);

			if (len - 28 <= 64 || kind == 1) {
				/* Too small to try, or not smaller: send as is. */
				assert_int_equal(cl, 0);
				continue;
			}
			assert_true(cl > 28 && (size_t)cl < len);
			assert_true(ztdp_packet_is_compressed(c));
			assert_int_equal(ztdp_packet_verb(c), ZTDP_VERB_NETWORK_CONFIG);
			assert_memory_equal(c, pkt, 27);
			/* It is a plain LZ4 block. */
			assert_int_equal(LZ4_decompress_safe((const char *)c + 28, (char *)u,
							     cl - 28, ZTDP_MAX_PACKET_LEN),
					 (int)(len - 28));
			assert_int_equal(ztdp_packet_decompress(c, (size_t)cl, u, ZTDP_MAX_PACKET_LEN),
					 (int)len);
			assert_memory_equal(u, pkt, len);
			/* A cap of exactly len is enough; one less is ERANGE. */
			assert_int_equal(ztdp_packet_decompress(c, (size_t)cl, u, len), (int)len);
			assert_int_equal(ztdp_packet_decompress(c, (size_t)cl, u, len - 1),
					 ZTDP_PKT_ERANGE);
			/* Compressing into a cap of len always works. */
			assert_int_equal(ztdp_packet_compress(pkt, len, u, len), cl);
			/* Already compressed. */
			assert_int_equal(ztdp_packet_compress(c, (size_t)cl, u, len), ZTDP_PKT_EINVAL);
		}
	}
	/* Errors. */
	make_packet(pkt, 100, 1, 0);
	assert_int_equal(ztdp_packet_compress(pkt, 27, c, 100), ZTDP_PKT_ESHORT);
	assert_int_equal(ztdp_packet_compress(pkt, ZTDP_MAX_PACKET_LEN + 1, c, 100000),
			 ZTDP_PKT_ERANGE);
	assert_int_equal(ztdp_packet_compress(pkt, 100, c, 28), ZTDP_PKT_ERANGE);
	assert_int_equal(ztdp_packet_decompress(pkt, 27, c, 100), ZTDP_PKT_ESHORT);
	assert_int_equal(ztdp_packet_decompress(pkt, 100, c, 100), ZTDP_PKT_EINVAL);
	free(pkt);
	free(c);
	free(u);
}

/* Blocks that expand past the limit, truncated blocks and garbage. */
static void test_lz4_bombs_and_garbage(void **state)
{
	uint8_t *zeros = calloc(1, 65536), *pkt = malloc(70000), *out = malloc(70000);
	int n;

	(void)state;
	assert_non_null(zeros);
	memset(pkt, 0, 28);
	pkt[ZTDP_PKT_IDX_VERB] = ZTDP_VERB_NETWORK_CONFIG | ZTDP_PKT_VERB_FLAG_COMPRESSED;

	/* Exactly the limit decodes, one byte more does not, nor 64 KiB. */
	static const size_t plain[] = { ZTDP_MAX_PACKET_LEN - 28, ZTDP_MAX_PACKET_LEN - 27, 65536 };
	for (size_t i = 0; i < 3; i++) {
		n = LZ4_compress_default((const char *)zeros, (char *)pkt + 28, (int)plain[i],
					 70000 - 28);
		assert_true(n > 0 && n < 400);
		/* Even with a huge output buffer the cap is the protocol's. */
		int rc = ztdp_packet_decompress(pkt, 28 + (size_t)n, out, 70000);
		if (plain[i] <= ZTDP_MAX_PACKET_LEN - 28) {
			assert_int_equal(rc, ZTDP_MAX_PACKET_LEN);
			assert_int_equal(out[ZTDP_PKT_IDX_VERB], ZTDP_VERB_NETWORK_CONFIG);
		} else {
			assert_int_equal(rc, ZTDP_PKT_ELZ4);
		}
	}

	/* Truncations of a valid block never succeed with the full length. */
	{
		uint8_t src[3000];

		make_packet(src, sizeof(src), 0x0c, 0);
		n = ztdp_packet_compress(src, sizeof(src), pkt, sizeof(src));
		assert_true(n > 28);
		for (int cut = 29; cut < n; cut++) {
			int rc = ztdp_packet_decompress(pkt, (size_t)cut, out, 70000);

			assert_true(rc < 0 || (rc >= 28 && rc <= ZTDP_MAX_PACKET_LEN));
			assert_int_not_equal(rc, (int)sizeof(src));
		}
	}

	/* Empty payload with the flag: the bare header, flag cleared. */
	pkt[ZTDP_PKT_IDX_VERB] = 0x83;
	assert_int_equal(ztdp_packet_decompress(pkt, 28, out, 28), 28);
	assert_int_equal(out[ZTDP_PKT_IDX_VERB], 0x03);

	/* Random garbage: never a crash, never beyond the limit. A literal
	 * length of zero with nothing else decodes to an empty result,
	 * which is refused as 1.14.1 does (it wants > 0 bytes). */
	for (int i = 0; i < 20000; i++) {
		size_t len = 29 + rng() % 300;
		int rc;

		fill_random(pkt + 28, len - 28);
		pkt[ZTDP_PKT_IDX_VERB] = 0x8c;
		rc = ztdp_packet_decompress(pkt, len, out, 70000);
		assert_true(rc == ZTDP_PKT_ELZ4 || (rc > 28 && rc <= ZTDP_MAX_PACKET_LEN));
	}
	pkt[28] = 0x00;		/* token: 0 literals, then end */
	assert_int_equal(ztdp_packet_decompress(pkt, 29, out, 70000), ZTDP_PKT_ELZ4);
	free(zeros);
	free(pkt);
	free(out);
}

/* Real compressed packets: dearmor every packet of the capture with the
 * nodes' keys, and decompress those with flag 0x80. */
static void test_lz4_capture(void **state)
{
	struct interop_keys *k = calloc(1, sizeof(*k));
	struct pcap_udp *d;
	size_t n, compressed = 0, dearmored = 0;
	uint8_t *pkt = malloc(ZTDP_MAX_PACKET_LEN), *out = malloc(ZTDP_MAX_PACKET_LEN);
	uint8_t *again = malloc(ZTDP_MAX_PACKET_LEN);

	(void)state;
	if (!ztdp_test_have_shared(UNDERLAY_PCAP) || interop_keys_load(k, "interop/data/identities") != 0) {
		free(k);
		free(pkt);
		free(out);
		free(again);
		skip();
	}
	d = pcap_udp_load(ztdp_test_shared_path(UNDERLAY_PCAP), &n);
	assert_non_null(d);
	for (size_t i = 0; i < n; i++) {
		const struct ztdp_peer_key *pk;
		size_t len = d[i].len, plen;
		int rc;

		if (ztdp_dgram_classify(d[i].data, len) != ZTDP_DGRAM_PACKET)
			continue;
		memcpy(pkt, d[i].data, len);
		if (ztdp_packet_is_fragmented(pkt)) {
			/* The fragment follows its head in this capture. */
			struct ztdp_fragment f;

			assert_true(i + 1 < n);
			assert_int_equal(ztdp_fragment_decode(d[i + 1].data, d[i + 1].len, &f), 0);
			assert_true(f.packet_id == ztdp_packet_id(pkt));
			memcpy(pkt + len, f.payload, f.payload_len);
			len += f.payload_len;
		}
		pk = interop_keys_find(k, ztdp_packet_source(pkt), ztdp_packet_dest(pkt));
		assert_non_null(pk);
		rc = ztdp_dearmor(pk, pkt, len);
		assert_true(rc >= 0);
		dearmored++;
		if (!ztdp_packet_is_compressed(pkt))
			continue;
		compressed++;
		rc = ztdp_packet_decompress(pkt, len, out, ZTDP_MAX_PACKET_LEN);
		assert_true(rc > (int)len);
		assert_false(ztdp_packet_is_compressed(out));
		plen = (size_t)rc;
		/* Our compressor on their plaintext round-trips. */
		rc = ztdp_packet_compress(out, plen, again, ZTDP_MAX_PACKET_LEN);
		assert_true(rc > 28);
		assert_int_equal(ztdp_packet_decompress(again, (size_t)rc, pkt, ZTDP_MAX_PACKET_LEN),
				 (int)plen);
		assert_memory_equal(pkt, out, plen);
	}
	printf("# %zu packets dearmored, %zu of them LZ4-compressed\n", dearmored, compressed);
	assert_true(compressed >= 3);
	pcap_udp_free(d, n);
	interop_keys_free(k);
	free(k);
	free(pkt);
	free(out);
	free(again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_header_build_decode),
		cmocka_unit_test(test_header_capture),
		cmocka_unit_test(test_fragment_round_trip),
		cmocka_unit_test(test_fragment_decode_errors),
		cmocka_unit_test(test_fragment_capture),
		cmocka_unit_test(test_lz4_round_trip),
		cmocka_unit_test(test_lz4_bombs_and_garbage),
		cmocka_unit_test(test_lz4_capture),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
