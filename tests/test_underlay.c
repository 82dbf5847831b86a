/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * apps/ztdp/underlay.c: ARP, ND, echo replies, UDP headers, the neighbour
 * cache, and that malformed frames are dropped under a named reason at
 * every truncation length. Checksums are verified by a second, deliberately
 * naive implementation (16-bit big-endian words), not by the module's own.
 */
#include "test_util.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "ztdp_underlay.h"

static const uint8_t mac_us[6] = { 0x02, 0x00, 0x00, 0xaa, 0xbb, 0x01 };
static const uint8_t mac_peer[6] = { 0x02, 0x00, 0x00, 0xaa, 0xbb, 0x02 };
static const uint8_t mac_gw[6] = { 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xfe };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* Us 10.9.0.1/24 and 2001:db8::1/64; the peer .2 and ::2; gateways .254
 * and 2001:db8::fe. */
static void make_ul(struct ztdp_underlay *ul, const uint8_t *mac, int host)
{
	uint8_t fam, pfx;

	ztdp_underlay_init(ul, mac, 9993, 1500);
	ul->has_ip4 = true;
	ul->ip4[0] = 10; ul->ip4[1] = 9; ul->ip4[2] = 0; ul->ip4[3] = (uint8_t)host;
	ul->prefix4 = 24;
	ul->has_gw4 = true;
	memcpy(ul->gw4, (uint8_t[]){ 10, 9, 0, 254 }, 4);
	ul->has_ip6 = true;
	assert_int_equal(ztdp_underlay_parse_cidr("2001:db8::1/64", &fam, ul->ip6, &pfx, true), 0);
	ul->ip6[15] = (uint8_t)host;
	ul->prefix6 = pfx;
	ul->has_gw6 = true;
	assert_int_equal(ztdp_underlay_parse_cidr("2001:db8::fe", &fam, ul->gw6, &pfx, false), 0);
}

/* --- An independent checksum -------------------------------------------- */

static uint32_t ref_add(uint32_t acc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

static uint16_t ref_finish(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Checksum field at seg[off] matches the naive computation over the
 * segment with that field zeroed, plus the pseudo-header when given. */
static void check_csum(const uint8_t *pseudo, size_t plen, const uint8_t *seg,
		       size_t slen, size_t off, bool udp)
{
	uint8_t *copy = malloc(slen);
	uint16_t want;

	assert_non_null(copy);
	memcpy(copy, seg, slen);
	copy[off] = copy[off + 1] = 0;
	want = ref_finish(ref_add(pseudo != NULL ? ref_add(0, pseudo, plen) : 0,
				  copy, slen));
	if (udp && want == 0)
		want = 0xffff;
	assert_int_equal(rd16(seg + off), want);
	free(copy);
}

static void check_ip4_csum(const uint8_t *ip)
{
	check_csum(NULL, 0, ip, (size_t)(ip[0] & 15) * 4, 10, false);
}

static void check_l4_csum4(const uint8_t *ip, bool udp)
{
	uint8_t ph[12];
	size_t ihl = (size_t)(ip[0] & 15) * 4, len = rd16(ip + 2) - ihl;

	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = ip[9];
	wr16(ph + 10, (uint16_t)len);
	check_csum(udp ? ph : NULL, udp ? 12 : 0, ip + ihl, len, udp ? 6 : 2, udp);
}

static void check_l4_csum6(const uint8_t *ip)
{
	uint8_t ph[40] = { 0 };
	size_t len = rd16(ip + 4);

	memcpy(ph, ip + 8, 32);
	wr16(ph + 34, (uint16_t)len);
	ph[39] = ip[6];
	check_csum(ph, 40, ip + 40, len, ip[6] == 17 ? 6 : 2, ip[6] == 17);
}

/* --- Frame builders, written out by hand (the way a peer's stack would) -- */

static size_t eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	wr16(f + 12, type);
	return 14;
}

static size_t arp_frame(uint8_t *f, uint16_t op, const uint8_t *sha,
			const uint8_t *spa, const uint8_t *tpa, const uint8_t *eth_dst)
{
	uint8_t *a = f + eth(f, eth_dst, sha, 0x0806);

	memset(a, 0, 28);
	wr16(a, 1);
	wr16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	wr16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, spa, 4);
	memcpy(a + 24, tpa, 4);
	memset(f + 42, 0, 18);	/* padding, as on the wire */
	return 60;
}

static void ip4_csum(uint8_t *ip)
{
	ip[10] = ip[11] = 0;
	wr16(ip + 10, ref_finish(ref_add(0, ip, (size_t)(ip[0] & 15) * 4)));
}

static size_t ip4_frame(uint8_t *f, const uint8_t *src, const uint8_t *dst,
			uint8_t proto, const uint8_t *l4, size_t l4len)
{
	uint8_t *ip = f + eth(f, mac_us, mac_peer, 0x0800);

	memset(ip, 0, 20);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(20 + l4len));
	wr16(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	ip4_csum(ip);
	memcpy(ip + 20, l4, l4len);
	return 14 + 20 + l4len;
}

static void l4_csum6(uint8_t *ip)
{
	uint8_t ph[40] = { 0 };
	size_t len = rd16(ip + 4);
	size_t off = ip[6] == 17 ? 6 : 2;
	uint16_t c;

	memcpy(ph, ip + 8, 32);
	wr16(ph + 34, (uint16_t)len);
	ph[39] = ip[6];
	ip[40 + off] = ip[40 + off + 1] = 0;
	c = ref_finish(ref_add(ref_add(0, ph, 40), ip + 40, len));
	wr16(ip + 40 + off, c);
}

static size_t ip6_frame(uint8_t *f, const uint8_t *eth_dst, const uint8_t *src,
			const uint8_t *dst, uint8_t next, uint8_t hlim,
			const uint8_t *l4, size_t l4len)
{
	uint8_t *ip = f + eth(f, eth_dst, mac_peer, 0x86dd);

	memset(ip, 0, 40);
	ip[0] = 0x60;
	wr16(ip + 4, (uint16_t)l4len);
	ip[6] = next;
	ip[7] = hlim;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	memcpy(ip + 40, l4, l4len);
	l4_csum6(ip);
	return 14 + 40 + l4len;
}

static const uint8_t ip4_us[4] = { 10, 9, 0, 1 };
static const uint8_t ip4_peer[4] = { 10, 9, 0, 2 };
static const uint8_t ip4_other[4] = { 10, 9, 0, 77 };

static void ip6_addr(uint8_t out[16], uint8_t host)
{
	static const uint8_t base[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	memcpy(out, base, 16);
	out[15] = host;
}

static size_t ns_frame(uint8_t *f, const uint8_t *src, const uint8_t *target,
		       bool slla)
{
	uint8_t icmp[32] = { 135, 0 }, dst[16] = { 0xff, 0x02, [11] = 1, [12] = 0xff };
	uint8_t emac[6] = { 0x33, 0x33, 0xff };

	memcpy(icmp + 8, target, 16);
	icmp[24] = 1;
	icmp[25] = 1;
	memcpy(icmp + 26, mac_peer, 6);
	memcpy(dst + 13, target + 13, 3);
	memcpy(emac + 3, target + 13, 3);
	return ip6_frame(f, emac, src, dst, 58, 255, icmp, slla ? 32 : 24);
}

/* --- Tests -------------------------------------------------------------- */

static void test_arp_request_for_us(void **state)
{
	struct ztdp_underlay ul;
	struct ztdp_neigh_cache nc = { 0 };
	struct ztdp_neigh *learned;
	enum ztdp_drop_reason why;
	uint8_t in[64], out[ZTDP_UNDERLAY_FRAME_MAX];
	size_t n = arp_frame(in, 1, mac_peer, ip4_peer, ip4_us, bcast), out_len;

	(void)state;
	make_ul(&ul, mac_us, 1);
	assert_int_equal(ztdp_underlay_respond(&ul, &nc, 1000, in, n, out,
					       sizeof(out), &out_len, &learned,
					       &why), ZTDP_UL_REPLY);
	assert_int_equal(out_len, 60);
	assert_memory_equal(out, mac_peer, 6);		/* to the asker */
	assert_memory_equal(out + 6, mac_us, 6);
	assert_int_equal(rd16(out + 12), 0x0806);
	assert_int_equal(rd16(out + 14), 1);
	assert_int_equal(rd16(out + 16), 0x0800);
	assert_int_equal(out[18], 6);
	assert_int_equal(out[19], 4);
	assert_int_equal(rd16(out + 20), 2);		/* reply */
	assert_memory_equal(out + 22, mac_us, 6);	/* sha: us */
	assert_memory_equal(out + 28, ip4_us, 4);
	assert_memory_equal(out + 32, mac_peer, 6);	/* tha: asker */
	assert_memory_equal(out + 38, ip4_peer, 4);
	/* The asker will talk to us: its MAC is learned. */
	assert_non_null(learned);
	assert_int_equal(learned->state, ZTDP_NEIGH_REACHABLE);
	assert_memory_equal(learned->mac, mac_peer, 6);
}

static void test_arp_not_for_us(void **state)
{
	struct ztdp_underlay ul;
	struct ztdp_neigh_cache nc = { 0 };
	struct ztdp_neigh *learned;
	struct ztdp_ul_parsed p;
	enum ztdp_drop_reason why = ZTDP_DROP_MAX;
	uint8_t in[64], out[256];
	size_t n = arp_frame(in, 1, mac_peer, ip4_peer, ip4_other, bcast), out_len;

	(void)state;
	make_ul(&ul, mac_us, 1);
	assert_int_equal(ztdp_underlay_classify(&ul, in, n, &p, &why), ZTDP_UL_DROP);
	assert_int_equal(why, ZTDP_DROP_ARP_NOT_FOR_US);
	assert_int_equal(ztdp_underlay_respond(&ul, &nc, 0, in, n, out, sizeof(out),
					       &out_len, &learned, &why), -1);
	assert_int_equal(why, ZTDP_DROP_ARP_NOT_FOR_US);
	assert_int_equal(out_len, 0);
	assert_null(learned);
	assert_null(ztdp_neigh_find(&nc, 4, ip4_peer));
	assert_string_equal(ztdp_drop_reason_key(why), "arp_not_for_us");

	/* Without an IPv4 address, no ARP is for us. */
	ul.has_ip4 = false;
	n = arp_frame(in, 1, mac_peer, ip4_peer, ip4_us, bcast);
	assert_int_equal(ztdp_underlay_classify(&ul, in, n, &p, &why), ZTDP_UL_DROP);
	assert_int_equal(why, ZTDP_DROP_ARP_NOT_FOR_US);
	/* Hardware type other than Ethernet. */
	ul.has_ip4 = true;
	in[15] = 6;
	assert_int_equal(ztdp_underlay_classify(&ul, in, n, &p, &why), ZTDP_UL_DROP);
	assert_int_equal(why, ZTDP_DROP_ARP_MALFORMED);
}

static void test_ns_to_na(void **state)
{
	struct ztdp_underlay ul;
	struct ztdp_neigh_cache nc = { 0 };
	struct ztdp_neigh *learned;
	enum ztdp_drop_reason why;
	uint8_t in[128], out[ZTDP_UNDERLAY_FRAME_MAX], src[16], target[16];
	size_t n, out_len;
	const uint8_t *ip = out + 14, *icmp = ip + 40;

	(void)state;
	make_ul(&ul, mac_us, 1);
	ip6_addr(src, 2);
	ip6_addr(target, 1);
	n = ns_frame(in, src, target, true);
	assert_int_equal(ztdp_underlay_respond(&ul, &nc, 5, in, n, out, sizeof(out),
					       &out_len, &learned, &why),
			 ZTDP_UL_REPLY);
	assert_int_equal(out_len, 14 + 40 + 32);
	assert_memory_equal(out, mac_peer, 6);	/* to the SLLA */
	assert_memory_equal(out + 6, mac_us, 6);
	assert_int_equal(rd16(out + 12), 0x86dd);
	assert_int_equal(ip[0] >> 4, 6);
	assert_int_equal(rd16(ip + 4), 32);
	assert_int_equal(ip[6], 58);
	assert_int_equal(ip[7], 255);
	assert_memory_equal(ip + 8, target, 16);	/* from the target */
	assert_memory_equal(ip + 24, src, 16);	/* to the solicitor */
	assert_int_equal(icmp[0], 136);
	assert_int_equal(icmp[1], 0);
	assert_int_equal(icmp[4], 0x60);		/* solicited, override */
	assert_memory_equal(icmp + 8, target, 16);
	assert_int_equal(icmp[24], 2);		/* TLLA */
	assert_int_equal(icmp[25], 1);
	assert_memory_equal(icmp + 26, mac_us, 6);
	check_l4_csum6(ip);
	assert_non_null(learned);
	assert_memory_equal(learned->mac, mac_peer, 6);

	/* Our link-local address is answered too. */
	n = ns_frame(in, src, ul.ll6, false);
	assert_int_equal(ztdp_underlay_respond(&ul, &nc, 5, in, n, out, sizeof(out),
					       &out_len, &learned, &why),
			 ZTDP_UL_REPLY);
	assert_memory_equal(out, mac_peer, 6);	/* no SLLA: Ethernet source */
	check_l4_csum6(ip);

	/* Duplicate address detection: from ::, answered to all nodes. */
	memset(src, 0, 16);
	n = ns_frame(in, src, target, false);
	assert_int_equal(ztdp_underlay_respond(&ul, &nc, 5, in, n, out, sizeof(out),
					       &out_len, &learned, &why),
			 ZTDP_UL_REPLY);
	assert_memory_equal(out, ((uint8_t[]){ 0x33, 0x33, 0, 0, 0, 1 }), 6);
	assert_int_equal(ip[24], 0xff);
	assert_int_equal(icmp[4], 0x20);		/* not solicited */
	check_l4_csum6(ip);
	/* A DAD probe may not carry an SLLA. */
	n = ns_frame(in, src, target, true);
	assert_int_equal(ztdp_underlay_respond(&ul, &nc, 5, in, n, out, sizeof(out),
					       &out_len, &learned, &why), -1);
	assert_int_equal(why, ZTDP_DROP_ND_MALFORMED);
}

static void test_ns_rejected(void **state)
{
	struct ztdp_underlay ul;
	struct ztdp_ul_parsed p;
	enum ztdp_drop_reason why;
	uint8_t in[128], src[16], target[16];
	size_t n;

	(void)state;
	make_ul(&ul, mac_us, 1);
	ip6_addr(src, 2);
	/* For someone else (its solicited-node group is not ours either). */
	ip6_addr(target, 3);
	n = ns_frame(in, src, target, true);
	assert_int_equal(ztdp_underlay_classify(&ul, in, n, &p, &why), ZTDP_UL_DROP);
	assert_int_equal(why, ZTDP_DROP_IP6_NOT_FOR_US);
	/* Same group (last 24 bits equal), other target. */
	target[15] = 1;
	target[8] = 0x42;
	n = ns_frame(in, src, target, true);
	assert_int_equal(ztdp_underlay_classify(&ul, in, n, &p, &why), ZTDP_UL_DROP);
	assert_int_equal(why, ZTDP_DROP_ND_NOT_FOR_US);
	/* Hop limit not 255: may have crossed a router. */
	ip6_addr(target, 1);
	n = ns_frame(in, src, target, true);
	in[14 + 7] = 64;
	assert_int_equal(ztdp_underlay_classify(&ul, in, n, &p, &why), ZTDP_UL_DROP);
	assert_int_equal(why, ZTDP_DROP_ND_MALFORMED);
	/* Option of length 0. */
	n = ns_frame(in, src, target, true);
	in[14 + 40 + 25] = 0;
	l4_csum6(in + 14);
	assert_int_equal(ztdp_underlay_classify(&ul, in, n, &p, &why), ZTDP_UL_DROP);
	assert_int_equal(why, ZTDP_DROP_ND_MALFORMED);
	/* Bad checksum. */
	n = ns_frame(in, src, target, true);
	in[14 + 40 + 2] ^= 1;
	assert_int_equal(ztdp_underlay_classify(&ul, in, n, &p, &why), ZTDP_UL_DROP);
	assert_int_equal(why, ZTDP_DROP_ICMP_BAD_CSUM);
}

static size_t echo4_frame(uint8_t *f, size_t payload)
{
	uint8_t icmp[128] = { 8, 0, 0, 0, 0x12, 0x34, 0x00, 0x07 };

	for (size_t i = 8; i < 8 + payload; i++)
		icmp[i] = (uint8_t)(i * 7);
	wr16(icmp + 2, ref_finish(ref_add(0, icmp, 8 + payload)));
	return ip4_frame(f, ip4_peer, ip4_us, 1, icmp, 8 + payload);
}

static void test_echo4(void **state)
{
	struct ztdp_underlay ul;
	struct ztdp_neigh_cache nc = { 0 };
	struct ztdp_neigh *learned;
	enum ztdp_drop_reason why;
	uint8_t in[256], out[ZTDP_UNDERLAY_FRAME_MAX];
	size_t out_len;
	const uint8_t *ip = out + 14, *icmp = ip + 20;

	(void)state;
	make_ul(&ul, mac_us, 1);
	/* Odd payload length exercises the checksum's last byte. */
	for (size_t payload = 0; payload <= 57; payload += 19) {
		size_t n = echo4_frame(in, payload);

		assert_int_equal(ztdp_underlay_respond(&ul, &nc, 0, in, n, out,
						       sizeof(out), &out_len,
						       &learned, &why),
				 ZTDP_UL_REPLY);
		assert_true(out_len >= 60 && out_len >= n);
		assert_memory_equal(out, mac_peer, 6);
		assert_memory_equal(out + 6, mac_us, 6);
		assert_int_equal(ip[0], 0x45);
		assert_int_equal(rd16(ip + 2), 20 + 8 + payload);
		assert_int_equal(ip[9], 1);
		assert_memory_equal(ip + 12, ip4_us, 4);
		assert_memory_equal(ip + 16, ip4_peer, 4);
		check_ip4_csum(ip);
		assert_int_equal(icmp[0], 0);
		assert_int_equal(icmp[1], 0);
		assert_memory_equal(icmp + 4, in + 14 + 20 + 4, 4 + payload);
		check_l4_csum4(ip, false);
		assert_null(learned);
	}
	/* Other ICMP types are counted, not answered. */
	{
		size_t n = echo4_frame(in, 8);
		struct ztdp_ul_parsed p;

		in[34] = 13;	/* timestamp */
		wr16(in + 36, 0);
		wr16(in + 36, ref_finish(ref_add(0, in + 34, n - 34)));
		assert_int_equal(ztdp_underlay_classify(&ul, in, n, &p, &why), ZTDP_UL_DROP);
		assert_int_equal(why, ZTDP_DROP_ICMP_UNHANDLED);
	}
}

static void test_echo6(void **state)
{
	struct ztdp_underlay ul;
	struct ztdp_neigh_cache nc = { 0 };
	struct ztdp_neigh *learned;
	enum ztdp_drop_reason why;
	uint8_t in[256], out[ZTDP_UNDERLAY_FRAME_MAX], src[16], dst[16];
	uint8_t icmp[64] = { 128, 0, 0, 0, 0xbe, 0xef, 0, 1, 'h', 'e', 'l', 'l', 'o' };
	size_t n, out_len;
	const uint8_t *ip = out + 14;

	(void)state;
	make_ul(&ul, mac_us, 1);
	ip6_addr(src, 2);
	ip6_addr(dst, 1);
	n = ip6_frame(in, mac_us, src, dst, 58, 64, icmp, 13);
	assert_int_equal(ztdp_underlay_respond(&ul, &nc, 0, in, n, out, sizeof(out),
					       &out_len, &learned, &why),
			 ZTDP_UL_REPLY);
	assert_memory_equal(out, mac_peer, 6);
	assert_memory_equal(ip + 8, dst, 16);
	assert_memory_equal(ip + 24, src, 16);
	assert_int_equal(rd16(ip + 4), 13);
	assert_int_equal(ip[40], 129);
	assert_memory_equal(ip + 44, icmp + 4, 9);
	check_l4_csum6(ip);
	/* Pings to all-nodes are not answered. */
	dst[0] = 0xff; dst[1] = 0x02; memset(dst + 2, 0, 13); dst[15] = 1;
	n = ip6_frame(in, (uint8_t[]){ 0x33, 0x33, 0, 0, 0, 1 }, src, dst, 58, 64, icmp, 13);
	assert_int_equal(ztdp_underlay_respond(&ul, &nc, 0, in, n, out, sizeof(out),
					       &out_len, &learned, &why), -1);
	assert_int_equal(why, ZTDP_DROP_IP6_NOT_FOR_US);
}

/* UDP built by one side is checked independently, then accepted by the
 * other side's classifier with the right source and payload. */
static void test_udp_build(void **state)
{
	struct ztdp_underlay us, peer;
	struct ztdp_ul_parsed p;
	enum ztdp_drop_reason why;
	uint8_t frame[2048];
	struct ztdp_inetaddr to;
	int n;

	(void)state;
	make_ul(&us, mac_us, 1);
	make_ul(&peer, mac_peer, 2);
	peer.port = 19993;
	for (int fam = 4; fam <= 6; fam += 2) {
		for (size_t len = 0; len <= 1401; len += 467) {
			size_t hr = ztdp_underlay_udp_headroom((uint8_t)fam);
			const uint8_t *ip = frame + 14;
			struct ztdp_inetaddr want;

			if (fam == 4)
				ztdp_inetaddr_set_v4(&to, 0x0a090002, 19993);
			else
				ztdp_inetaddr_set_v6(&to, peer.ip6, 19993);
			for (size_t i = 0; i < len; i++)
				frame[hr + i] = (uint8_t)(i ^ 0x5a);
			n = ztdp_underlay_write_udp(&us, frame, len, mac_peer, &to, 0,
						    0x4242, &why);
			assert_int_equal(n, (int)(hr + len));
			assert_memory_equal(frame, mac_peer, 6);
			assert_memory_equal(frame + 6, mac_us, 6);
			if (fam == 4) {
				assert_int_equal(rd16(frame + 12), 0x0800);
				assert_int_equal(ip[8], 64);
				assert_int_equal(rd16(ip + 4), 0x4242);
				assert_int_equal(rd16(ip + 6) & 0x4000, 0);
				check_ip4_csum(ip);
				check_l4_csum4(ip, true);
				assert_int_equal(rd16(ip + 20), 9993);
				assert_int_equal(rd16(ip + 22), 19993);
			} else {
				assert_int_equal(rd16(frame + 12), 0x86dd);
				assert_int_equal(ip[7], 64);
				assert_memory_equal(ip + 8, us.ip6, 16);
				check_l4_csum6(ip);
			}
			assert_int_equal(ztdp_underlay_classify(&peer, frame, (size_t)n,
								&p, &why),
					 ZTDP_UL_ZEROTIER);
			assert_int_equal(p.payload_off, hr);
			assert_int_equal(p.payload_len, len);
			if (fam == 4)
				ztdp_inetaddr_set_v4(&want, 0x0a090001, 9993);
			else
				ztdp_inetaddr_set_v6(&want, us.ip6, 9993);
			assert_true(ztdp_inetaddr_equal(&p.src, &want));
			ztdp_underlay_udp_source(frame, p.l3_len, &want);
			assert_true(ztdp_inetaddr_equal(&p.src, &want));
			/* A flipped payload bit breaks the UDP checksum. */
			frame[n - 1] ^= 0x10;
			if (len > 0) {
				assert_int_equal(ztdp_underlay_classify(&peer, frame,
									(size_t)n,
									&p, &why),
						 ZTDP_UL_DROP);
				assert_int_equal(why, ZTDP_DROP_UDP_BAD_CSUM);
			}
		}
	}
	/* TTL is honoured (RENDEZVOUS junk goes out with 2). */
	ztdp_inetaddr_set_v4(&to, 0x0a090002, 19993);
	n = ztdp_underlay_write_udp(&us, frame, 4, NULL, &to, 2, 0, &why);
	assert_int_equal(frame[14 + 8], 2);
	/* Too big for the MTU; no IPv6 address. */
	assert_int_equal(ztdp_underlay_write_udp(&us, frame, 1500 - 28 + 1, NULL,
						 &to, 0, 0, &why), -1);
	assert_int_equal(why, ZTDP_DROP_TOO_BIG);
	us.has_ip6 = false;
	ztdp_inetaddr_set_v6(&to, peer.ip6, 9993);
	assert_int_equal(ztdp_underlay_write_udp(&us, frame, 10, NULL, &to, 0, 0,
						 &why), -1);
	assert_int_equal(why, ZTDP_DROP_NO_ROUTE);
	/* Wrong port, foreign MAC, VLAN, fragment. */
	ztdp_inetaddr_set_v4(&to, 0x0a090002, 9994);
	n = ztdp_underlay_write_udp(&us, frame, 10, mac_peer, &to, 0, 0, &why);
	assert_int_equal(ztdp_underlay_classify(&peer, frame, (size_t)n, &p, &why), ZTDP_UL_DROP);
	assert_int_equal(why, ZTDP_DROP_UDP_PORT_CLOSED);
	assert_int_equal(ztdp_underlay_classify(&us, frame, (size_t)n, &p, &why), ZTDP_UL_DROP);
	assert_int_equal(why, ZTDP_DROP_ETH_FOREIGN_DST);
	wr16(frame + 12, 0x8100);
	assert_int_equal(ztdp_underlay_classify(&peer, frame, (size_t)n, &p, &why), ZTDP_UL_DROP);
	assert_int_equal(why, ZTDP_DROP_ETH_VLAN);
	ztdp_inetaddr_set_v4(&to, 0x0a090002, 19993);
	n = ztdp_underlay_write_udp(&us, frame, 10, mac_peer, &to, 0, 0, &why);
	frame[14 + 6] = 0x20;	/* more fragments */
	ip4_csum(frame + 14);
	assert_int_equal(ztdp_underlay_classify(&peer, frame, (size_t)n, &p, &why), ZTDP_UL_DROP);
	assert_int_equal(why, ZTDP_DROP_IP4_FRAGMENT);
	frame[14 + 6] = 0;
	frame[14 + 12] = 127;	/* from loopback */
	ip4_csum(frame + 14);
	assert_int_equal(ztdp_underlay_classify(&peer, frame, (size_t)n, &p, &why), ZTDP_UL_DROP);
	assert_int_equal(why, ZTDP_DROP_IP4_MARTIAN);
	frame[14 + 10] ^= 1;
	assert_int_equal(ztdp_underlay_classify(&peer, frame, (size_t)n, &p, &why), ZTDP_UL_DROP);
	assert_int_equal(why, ZTDP_DROP_IP4_BAD_CSUM);
}

/* Every valid frame, cut at every length short of its IP length, is
 * dropped under a named reason; from there on it passes. Each cut sits in
 * a buffer of exactly that size so that ASan sees any overread. */
static void test_truncation(void **state)
{
	struct ztdp_underlay ul;
	struct ztdp_neigh_cache nc = { 0 };
	uint8_t frames[9][2048], src[16], dst[16], out[ZTDP_UNDERLAY_FRAME_MAX];
	size_t lens[9];
	uint64_t drops[ZTDP_DROP_MAX] = { 0 };
	struct ztdp_inetaddr to;
	struct ztdp_underlay peer;
	enum ztdp_drop_reason why;
	uint8_t icmp6[16] = { 128, 0, 0, 0, 1, 2, 3, 4, 5 };
	uint8_t na[32] = { 136, 0, 0, 0, 0x60 };
	unsigned int total = 0;

	(void)state;
	make_ul(&ul, mac_us, 1);
	make_ul(&peer, mac_peer, 2);
	ip6_addr(src, 2);
	ip6_addr(dst, 1);
	lens[0] = arp_frame(frames[0], 1, mac_peer, ip4_peer, ip4_us, bcast);
	lens[1] = arp_frame(frames[1], 2, mac_peer, ip4_peer, ip4_us, mac_us);
	lens[2] = echo4_frame(frames[2], 33);
	lens[3] = ns_frame(frames[3], src, dst, true);
	lens[4] = ip6_frame(frames[4], mac_us, src, dst, 58, 64, icmp6, 9);
	memcpy(na + 8, src, 16);
	na[24] = 2;
	na[25] = 1;
	memcpy(na + 26, mac_peer, 6);
	lens[5] = ip6_frame(frames[5], mac_us, src, dst, 58, 255, na, 32);
	ztdp_inetaddr_set_v4(&to, 0x0a090001, 9993);
	memset(frames[6], 0x77, sizeof(frames[6]));
	lens[6] = (size_t)ztdp_underlay_write_udp(&peer, frames[6], 100, mac_us,
						  &to, 0, 1, &why);
	ztdp_inetaddr_set_v6(&to, ul.ip6, 9993);
	memset(frames[7], 0x66, sizeof(frames[7]));
	lens[7] = (size_t)ztdp_underlay_write_udp(&peer, frames[7], 99, mac_us,
						  &to, 0, 1, &why);
	lens[8] = ns_frame(frames[8], src, ul.ll6, false);

	for (unsigned int k = 0; k < 9; k++) {
		struct ztdp_ul_parsed p;

		assert_int_not_equal(ztdp_underlay_classify(&ul, frames[k], lens[k],
							    &p, &why), ZTDP_UL_DROP);
		size_t meaningful = p.frame_len;

		assert_true(meaningful > 0 && meaningful <= lens[k]);
		for (size_t len = 0; len <= lens[k]; len++) {
			uint8_t *cut = malloc(len > 0 ? len : 1);
			struct ztdp_neigh *learned;
			size_t out_len;
			int rc;

			assert_non_null(cut);
			memcpy(cut, frames[k], len);
			rc = ztdp_underlay_respond(&ul, &nc, 0, cut, len, out,
						   sizeof(out), &out_len,
						   &learned, &why);
			if (len < meaningful) {
				assert_int_equal(rc, -1);
				assert_true(why < ZTDP_DROP_MAX);
				assert_string_not_equal(ztdp_drop_reason_key(why), "?");
				drops[why]++;
				total++;
			} else {
				assert_int_not_equal(rc, -1);
			}
			free(cut);
		}
	}
	/* The reasons seen are the specific ones, not one catch-all. */
	assert_true(drops[ZTDP_DROP_ETH_RUNT] == 9 * 14);
	assert_true(drops[ZTDP_DROP_ARP_MALFORMED] > 0);
	assert_true(drops[ZTDP_DROP_IP4_MALFORMED] > 0);
	assert_true(drops[ZTDP_DROP_IP6_MALFORMED] > 0);
	print_message("%u truncated frames dropped\n", total);
}

/* Random corruption of valid frames: no crash, no overread, and whatever
 * passes still classifies. */
static void test_corruption(void **state)
{
	struct ztdp_underlay ul;
	struct ztdp_neigh_cache nc = { 0 };
	uint8_t base[4][256], out[ZTDP_UNDERLAY_FRAME_MAX], src[16], dst[16];
	size_t lens[4];
	unsigned int seed = 12345, replies = 0;

	(void)state;
	make_ul(&ul, mac_us, 1);
	ip6_addr(src, 2);
	ip6_addr(dst, 1);
	lens[0] = arp_frame(base[0], 1, mac_peer, ip4_peer, ip4_us, bcast);
	lens[1] = echo4_frame(base[1], 20);
	lens[2] = ns_frame(base[2], src, dst, true);
	lens[3] = ns_frame(base[3], src, ul.ll6, true);
	for (unsigned int i = 0; i < 40000; i++) {
		unsigned int k = i % 4;
		uint8_t *f = malloc(lens[k]);
		struct ztdp_neigh *learned;
		enum ztdp_drop_reason why;
		size_t out_len;

		assert_non_null(f);
		memcpy(f, base[k], lens[k]);
		for (int flips = 1 + (int)(rand_r(&seed) % 3); flips > 0; flips--)
			f[rand_r(&seed) % lens[k]] = (uint8_t)rand_r(&seed);
		if (ztdp_underlay_respond(&ul, &nc, i, f, lens[k], out, sizeof(out),
					  &out_len, &learned, &why) == ZTDP_UL_REPLY)
			replies++;
		free(f);
	}
	print_message("%u of 40000 corrupted frames still answered\n", replies);
}

static void test_next_hop(void **state)
{
	struct ztdp_underlay ul;
	struct ztdp_inetaddr dst, nh;

	(void)state;
	make_ul(&ul, mac_us, 1);
	ztdp_inetaddr_set_v4(&dst, 0x0a090002, 9993);	/* on-link */
	assert_int_equal(ztdp_underlay_next_hop(&ul, &dst, &nh), 0);
	assert_int_equal(nh.family, 4);
	assert_memory_equal(nh.ip, ip4_peer, 4);
	ztdp_inetaddr_set_v4(&dst, 0x08080808, 9993);	/* via the gateway */
	assert_int_equal(ztdp_underlay_next_hop(&ul, &dst, &nh), 0);
	assert_memory_equal(nh.ip, ((uint8_t[]){ 10, 9, 0, 254 }), 4);
	ul.has_gw4 = false;
	assert_int_equal(ztdp_underlay_next_hop(&ul, &dst, &nh), -1);
	ztdp_inetaddr_set_v4(&dst, 0x0a090001, 9993);	/* ourselves */
	assert_int_equal(ztdp_underlay_next_hop(&ul, &dst, &nh), -1);

	ztdp_inetaddr_set_v6(&dst, ul.gw6, 9993);
	dst.ip[15] = 9;				/* on-link /64 */
	assert_int_equal(ztdp_underlay_next_hop(&ul, &dst, &nh), 0);
	assert_memory_equal(nh.ip, dst.ip, 16);
	dst.ip[3] = 0xb9;			/* off-link */
	assert_int_equal(ztdp_underlay_next_hop(&ul, &dst, &nh), 0);
	assert_memory_equal(nh.ip, ul.gw6, 16);
	dst.ip[0] = 0xfe; dst.ip[1] = 0x80;	/* link-local: on-link */
	assert_int_equal(ztdp_underlay_next_hop(&ul, &dst, &nh), 0);
	assert_memory_equal(nh.ip, dst.ip, 16);
	ul.has_ip6 = false;
	dst.ip[0] = 0x20; dst.ip[1] = 0x01;
	assert_int_equal(ztdp_underlay_next_hop(&ul, &dst, &nh), -1);
	dst.family = 0;
	assert_int_equal(ztdp_underlay_next_hop(&ul, &dst, &nh), -1);
}

struct tick_log {
	unsigned int probes, drops;
	void *dropped[8];
};

static void on_probe(void *ctx, struct ztdp_neigh *e)
{
	(void)e;
	((struct tick_log *)ctx)->probes++;
}

static void on_drop(void *ctx, void *frame)
{
	struct tick_log *t = ctx;

	t->dropped[t->drops++ % 8] = frame;
}

/* Resolution end to end between two underlays: our probe, the peer's
 * answer, and the parked frames released. Then give-up and expiry. */
static void test_neighbours(void **state)
{
	struct ztdp_underlay us, peer;
	struct ztdp_neigh_cache nc = { 0 }, pnc = { 0 };
	struct ztdp_neigh *e, *learned;
	struct ztdp_inetaddr dst, nh;
	struct tick_log log = { 0 };
	enum ztdp_drop_reason why;
	uint8_t probe[256], reply[ZTDP_UNDERLAY_FRAME_MAX];
	void *parked[ZTDP_NEIGH_PENDING_MAX];
	int tags[6];
	size_t reply_len;
	int n;

	(void)state;
	make_ul(&us, mac_us, 1);
	make_ul(&peer, mac_peer, 2);
	for (int fam = 4; fam <= 6; fam += 2) {
		uint64_t t = 1000;

		memset(&nc, 0, sizeof(nc));
		if (fam == 4)
			ztdp_inetaddr_set_v4(&dst, 0x0a090002, 9993);
		else
			ztdp_inetaddr_set_v6(&dst, peer.ip6, 9993);
		assert_int_equal(ztdp_underlay_next_hop(&us, &dst, &nh), 0);
		assert_int_equal(ztdp_neigh_resolve(&nc, t, &nh, &e), ZTDP_NEIGH_SEND_PROBE);
		assert_non_null(e);
		for (int i = 0; i < 6; i++)
			assert_int_equal(ztdp_neigh_park(e, &tags[i]), i < 4 ? 0 : -1);
		assert_int_equal(ztdp_neigh_resolve(&nc, t + 10, &nh, &e), 0);
		n = ztdp_underlay_build_probe(&us, &nh, probe, sizeof(probe));
		assert_true(n >= 60);
		if (fam == 6)
			check_l4_csum6(probe + 14);
		/* The peer answers our probe ... */
		assert_int_equal(ztdp_underlay_respond(&peer, &pnc, t, probe, (size_t)n,
						       reply, sizeof(reply), &reply_len,
						       &learned, &why), ZTDP_UL_REPLY);
		assert_non_null(learned);	/* and learned us */
		assert_memory_equal(learned->mac, mac_us, 6);
		/* ... and we learn its MAC; the parked frames are ours to send. */
		assert_int_equal(ztdp_underlay_respond(&us, &nc, t + 20, reply, reply_len,
						       probe, sizeof(probe), &reply_len,
						       &learned, &why), 0);
		assert_ptr_equal(learned, e);
		assert_int_equal(e->state, ZTDP_NEIGH_REACHABLE);
		assert_memory_equal(e->mac, mac_peer, 6);
		assert_int_equal(ztdp_neigh_take(e, parked), 4);
		assert_ptr_equal(parked[0], &tags[0]);
		assert_int_equal(ztdp_neigh_resolve(&nc, t + 30, &nh, &e), ZTDP_NEIGH_HAVE_MAC);
		/* Past REFRESH it is still used, and re-probed once a second. */
		t += 20 + ZTDP_NEIGH_REFRESH_MS;
		assert_int_equal(ztdp_neigh_resolve(&nc, t, &nh, &e),
				 ZTDP_NEIGH_HAVE_MAC | ZTDP_NEIGH_SEND_PROBE);
		assert_int_equal(ztdp_neigh_resolve(&nc, t + 1, &nh, &e), ZTDP_NEIGH_HAVE_MAC);
		/* Past EXPIRE, unused: forgotten. */
		ztdp_neigh_tick(&nc, t + ZTDP_NEIGH_EXPIRE_MS, on_probe, on_drop, &log);
		assert_null(ztdp_neigh_find(&nc, nh.family, nh.ip));
	}
	/* Nobody answers: two retries, then the parked frames are dropped. */
	memset(&log, 0, sizeof(log));
	ztdp_inetaddr_set_v4(&nh, 0x0a090063, 0);
	assert_int_equal(ztdp_neigh_resolve(&nc, 0, &nh, &e), ZTDP_NEIGH_SEND_PROBE);
	assert_int_equal(ztdp_neigh_park(e, &tags[5]), 0);
	ztdp_neigh_tick(&nc, 500, on_probe, on_drop, &log);
	assert_int_equal(log.probes, 0);
	ztdp_neigh_tick(&nc, 1000, on_probe, on_drop, &log);
	ztdp_neigh_tick(&nc, 2000, on_probe, on_drop, &log);
	assert_int_equal(log.probes, 2);
	assert_int_equal(log.drops, 0);
	ztdp_neigh_tick(&nc, 3000, on_probe, on_drop, &log);
	assert_int_equal(log.drops, 1);
	assert_ptr_equal(log.dropped[0], &tags[5]);
	assert_null(ztdp_neigh_find(&nc, 4, nh.ip));
	/* Unsolicited ARP replies do not create entries. */
	assert_null(ztdp_neigh_learn(&nc, 0, 4, ip4_other, mac_gw, false));
	assert_non_null(ztdp_neigh_learn(&nc, 0, 4, ip4_other, mac_gw, true));
	assert_null(ztdp_neigh_learn(&nc, 0, 4, ip4_peer, bcast, true));
}

/* The table never evicts an entry that holds parked frames. */
static void test_neigh_table_full(void **state)
{
	struct ztdp_neigh_cache nc = { 0 };
	struct ztdp_neigh *e;
	struct ztdp_inetaddr nh;
	int tag;

	(void)state;
	for (unsigned int i = 0; i < ZTDP_NEIGH_MAX; i++) {
		ztdp_inetaddr_set_v4(&nh, 0x0a000000 + i, 0);
		ztdp_neigh_resolve(&nc, i, &nh, &e);
		assert_non_null(e);
		assert_int_equal(ztdp_neigh_park(e, &tag), 0);
	}
	ztdp_inetaddr_set_v4(&nh, 0x0b000000, 0);
	assert_int_equal(ztdp_neigh_resolve(&nc, 100, &nh, &e), 0);
	assert_null(e);
	/* One without parked frames is evicted, least recently used first. */
	ztdp_inetaddr_set_v4(&nh, 0x0a000005, 0);
	ztdp_neigh_resolve(&nc, 200, &nh, &e);
	ztdp_neigh_take(e, (void *[ZTDP_NEIGH_PENDING_MAX]){ 0 });
	ztdp_inetaddr_set_v4(&nh, 0x0b000000, 0);
	assert_int_equal(ztdp_neigh_resolve(&nc, 300, &nh, &e), ZTDP_NEIGH_SEND_PROBE);
	assert_non_null(e);
	assert_null(ztdp_neigh_find(&nc, 4, (uint8_t[]){ 10, 0, 0, 5 }));
}

static void test_cidr_and_reasons(void **state)
{
	uint8_t fam, ip[16], pfx;

	(void)state;
	assert_int_equal(ztdp_underlay_parse_cidr("192.0.2.1/24", &fam, ip, &pfx, true), 0);
	assert_int_equal(fam, 4);
	assert_int_equal(pfx, 24);
	assert_int_equal(ztdp_underlay_parse_cidr("2001:db8::1/48", &fam, ip, &pfx, true), 0);
	assert_int_equal(fam, 6);
	assert_int_equal(pfx, 48);
	assert_int_equal(ztdp_underlay_parse_cidr("192.0.2.1", &fam, ip, &pfx, false), 0);
	assert_int_equal(pfx, 32);
	assert_int_equal(ztdp_underlay_parse_cidr("192.0.2.1", &fam, ip, &pfx, true), -1);
	assert_int_equal(ztdp_underlay_parse_cidr("192.0.2.1/33", &fam, ip, &pfx, true), -1);
	assert_int_equal(ztdp_underlay_parse_cidr("192.0.2.1/", &fam, ip, &pfx, true), -1);
	assert_int_equal(ztdp_underlay_parse_cidr("192.0.2.1/2x", &fam, ip, &pfx, true), -1);
	assert_int_equal(ztdp_underlay_parse_cidr("::1/129", &fam, ip, &pfx, true), -1);
	assert_int_equal(ztdp_underlay_parse_cidr("host/24", &fam, ip, &pfx, true), -1);
	assert_int_equal(ztdp_underlay_parse_cidr("", &fam, ip, &pfx, false), -1);
	/* Every reason has a distinct telemetry key made of [a-z0-9_]. */
	for (int i = 0; i < ZTDP_DROP_MAX; i++) {
		const char *k = ztdp_drop_reason_key((enum ztdp_drop_reason)i);

		assert_true(strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(k));
		assert_true(strlen(ztdp_drop_reason_text((enum ztdp_drop_reason)i)) > 0);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(k, ztdp_drop_reason_key((enum ztdp_drop_reason)j));
	}
	assert_string_equal(ztdp_drop_reason_key(ZTDP_DROP_MAX), "?");
	/* RFC 1071's example bytes. */
	assert_int_equal(ztdp_inet_checksum((uint8_t[]){ 0x00, 0x01, 0xf2, 0x03,
							 0xf4, 0xf5, 0xf6, 0xf7 }, 8),
			 (uint16_t)~0xddf2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arp_request_for_us),
		cmocka_unit_test(test_arp_not_for_us),
		cmocka_unit_test(test_ns_to_na),
		cmocka_unit_test(test_ns_rejected),
		cmocka_unit_test(test_echo4),
		cmocka_unit_test(test_echo6),
		cmocka_unit_test(test_udp_build),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_corruption),
		cmocka_unit_test(test_next_hop),
		cmocka_unit_test(test_neighbours),
		cmocka_unit_test(test_neigh_table_full),
		cmocka_unit_test(test_cidr_and_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
