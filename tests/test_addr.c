/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Addressing: member MACs, multicast groups and controller-assigned IPv6
 * addresses (ztdp_mac.h) against what real 1.14.1 nodes reported in
 * `zerotier-cli listnetworks -j` (interop/data and data-bridge), and the
 * InetAddress codec (ztdp_inetaddr.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "ztdp_inetaddr.h"
#include "ztdp_mac.h"

/* ---- MACs ------------------------------------------------------------------ */

static void test_mac_rules(void **state)
{
	uint8_t b[6];
	char s[ZTDP_MAC_STRLEN];
	uint64_t m;

	(void)state;
	/* First octet: low nwid byte, multicast bit cleared, local bit set. */
	assert_int_equal(ztdp_mac_first_octet(0x31a462e3d25a2681ULL), 0x82);
	assert_int_equal(ztdp_mac_first_octet(0x7a4d39540c063f74ULL), 0x76);
	assert_int_equal(ztdp_mac_first_octet(0x00), 0x02);
	assert_int_equal(ztdp_mac_first_octet(0xff), 0xfe);
	/* 0x52 (KVM/libvirt) is replaced by 0x32, from every byte that maps
	 * to it; 0x32's own networks share it. */
	for (unsigned int lo = 0x50; lo <= 0x53; lo++)
		assert_int_equal(ztdp_mac_first_octet(0x1122334455667700ULL | lo), 0x32);
	assert_int_equal(ztdp_mac_first_octet(0x30), 0x32);
	assert_int_equal(ztdp_mac_first_octet(0x33), 0x32);
	assert_int_equal(ztdp_mac_first_octet(0x54), 0x56);

	/* The doc's byte rule, byte by byte, for a 0x52 network. */
	m = ztdp_mac_from_address(0x0102030405ULL, 0x8877665544332251ULL);
	ztdp_mac_to_bytes(m, b);
	assert_int_equal(b[0], 0x32);
	assert_int_equal(b[1], 0x01 ^ 0x22);
	assert_int_equal(b[2], 0x02 ^ 0x33);
	assert_int_equal(b[3], 0x03 ^ 0x44);
	assert_int_equal(b[4], 0x04 ^ 0x55);
	assert_int_equal(b[5], 0x05 ^ 0x66);
	assert_true(ztdp_mac_is_zerotier(m, 0x8877665544332251ULL));
	assert_true(ztdp_mac_to_address(m, 0x8877665544332251ULL) == 0x0102030405ULL);
	/* A MAC starting 0x52 is a foreign one on that network. */
	assert_false(ztdp_mac_is_zerotier(0x520102030405ULL, 0x8877665544332251ULL));
	assert_false(ztdp_mac_is_multicast(m));
	assert_true(ztdp_mac_is_multicast(ZTDP_MAC_BROADCAST));
	assert_true(ztdp_mac_is_multicast(0x3333ff000001ULL));

	/* Round trips over many addresses and networks. */
	for (uint64_t i = 1; i < 5000; i++) {
		uint64_t nwid = i * 0x9e3779b97f4a7c15ULL, addr = (i * 0xd1b54a32d192ed03ULL) >> 24;
		uint64_t mac = ztdp_mac_from_address(addr, nwid);

		assert_true(mac >> 48 == 0);
		assert_true(ztdp_mac_is_zerotier(mac, nwid));
		assert_true(ztdp_mac_to_address(mac, nwid) == addr);
		assert_false(ztdp_mac_is_multicast(mac));
		/* Locally administered. */
		assert_true((mac >> 40) & 0x02);
	}

	/* Text. */
	assert_int_equal(ztdp_mac_format(0x82f892a8cbc8ULL, s, sizeof(s)), 17);
	assert_string_equal(s, "82:f8:92:a8:cb:c8");
	assert_int_equal(ztdp_mac_format(1, s, 17), -1);
	assert_int_equal(ztdp_mac_parse(&m, "82:F8:92:a8:cb:c8"), 0);
	assert_true(m == 0x82f892a8cbc8ULL);
	assert_int_equal(ztdp_mac_parse(&m, "82-f8-92-a8-cb-c8"), 0);
	assert_int_equal(ztdp_mac_parse(&m, "82:f8:92:a8:cb"), -1);
	assert_int_equal(ztdp_mac_parse(&m, "82:f8:92:a8:cb:c8:00"), -1);
	assert_int_equal(ztdp_mac_parse(&m, "82:f8:92:a8:cb:cg"), -1);
	assert_int_equal(ztdp_mac_parse(&m, "82f892a8cbc8"), -1);
	assert_int_equal(ztdp_mac_parse(&m, ""), -1);
	assert_true(ztdp_mac_from_bytes((const uint8_t *)"\x82\xf8\x92\xa8\xcb\xc8") ==
		    0x82f892a8cbc8ULL);
}

/* ---- Groups -------------------------------------------------------------------- */

static void test_groups(void **state)
{
	struct ztdp_mcast_group g;
	uint8_t ip6[16], arp[46];

	(void)state;
	g = ztdp_mcast_group_broadcast();
	assert_true(g.mac == 0xffffffffffffULL && g.adi == 0);
	/* 10.147.33.11 -> ADI 177414411 as the node reported. */
	g = ztdp_mcast_group_arp(0x0a93210bU);
	assert_true(g.mac == 0xffffffffffffULL);
	assert_int_equal(g.adi, 177414411);
	inet_pton(AF_INET6, "fc76:4b06:2002:6575:5a25::1", ip6);
	g = ztdp_mcast_group_ndp(ip6);
	assert_true(g.mac == 0x3333ff000001ULL && g.adi == 0);
	assert_true(ztdp_mcast_group_equal(g, ztdp_mcast_group_ndp(ip6)));
	assert_false(ztdp_mcast_group_equal(g, ztdp_mcast_group_broadcast()));

	/* An ARP request for 10.147.17.12 goes to its group; a reply, a
	 * non-IPv4 ARP, a short one or a unicast stays as it is. */
	memset(arp, 0, sizeof(arp));
	memcpy(arp, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
	memcpy(arp + 24, "\x0a\x93\x11\x0c", 4);
	g = ztdp_mcast_group_for_frame(ZTDP_MAC_BROADCAST, 0x0806, arp, 28);
	assert_true(g.mac == ZTDP_MAC_BROADCAST && g.adi == 0x0a93110c);
	g = ztdp_mcast_group_for_frame(ZTDP_MAC_BROADCAST, 0x0806, arp, sizeof(arp));
	assert_int_equal(g.adi, 0x0a93110c);	/* padding carried along */
	assert_int_equal(ztdp_mcast_group_for_frame(ZTDP_MAC_BROADCAST, 0x0806, arp, 27).adi, 0);
	assert_int_equal(ztdp_mcast_group_for_frame(ZTDP_MAC_BROADCAST, 0x0800, arp, 28).adi, 0);
	assert_int_equal(ztdp_mcast_group_for_frame(0x01005e000001ULL, 0x0806, arp, 28).adi, 0);
	assert_int_equal(ztdp_mcast_group_for_frame(ZTDP_MAC_BROADCAST, 0x0806, NULL, 0).adi, 0);
	arp[7] = 2;
	assert_int_equal(ztdp_mcast_group_for_frame(ZTDP_MAC_BROADCAST, 0x0806, arp, 28).adi, 0);
	arp[7] = 1;
	arp[5] = 16;
	assert_int_equal(ztdp_mcast_group_for_frame(ZTDP_MAC_BROADCAST, 0x0806, arp, 28).adi, 0);
	g = ztdp_mcast_group_for_frame(0x3333ff000001ULL | (1ULL << 48), 0x86dd, NULL, 0);
	assert_true(g.mac == 0x3333ff000001ULL && g.adi == 0);
}

/* ---- IPv6 assignment --------------------------------------------------------------- */

static void check_v6(uint8_t got[16], const char *want)
{
	uint8_t w[16];

	assert_int_equal(inet_pton(AF_INET6, want, w), 1);
	assert_memory_equal(got, w, 16);
}

static void test_ip6_assign(void **state)
{
	uint8_t ip[16];
	uint64_t a;

	(void)state;
	/* The doc's example (section 1.5). */
	ztdp_ip6_rfc4193(0x7a4d39540c063f74ULL, 0x0265755a25ULL, ip);
	check_v6(ip, "fd7a:4d39:540c:63f:7499:9302:6575:5a25");
	assert_true(ztdp_ip6_rfc4193_member(0x7a4d39540c063f74ULL, ip, &a));
	assert_true(a == 0x0265755a25ULL);
	assert_false(ztdp_ip6_rfc4193_member(0x7a4d39540c063f75ULL, ip, &a));
	ztdp_ip6_6plane(0x7a4d39540c063f74ULL, 0x0265755a25ULL, ip);
	check_v6(ip, "fc76:4b06:2002:6575:5a25::1");
	assert_true(ztdp_ip6_6plane_member(0x7a4d39540c063f74ULL, ip, &a));
	assert_true(a == 0x0265755a25ULL);
	ip[15] = 0x42;	/* anything in the member's /80 */
	assert_true(ztdp_ip6_6plane_member(0x7a4d39540c063f74ULL, ip, &a));
	ip[1] ^= 1;
	assert_false(ztdp_ip6_6plane_member(0x7a4d39540c063f74ULL, ip, &a));
	assert_false(ztdp_ip6_rfc4193_member(0x7a4d39540c063f74ULL, ip, &a));
}

/* ---- Real nodes ------------------------------------------------------------------------ */

static uint64_t hex64(const char *s)
{
	return strtoull(s, NULL, 16);
}

/* IPv6 link-local from a MAC (EUI-64), as the host OS made it. */
static void link_local(uint64_t mac, uint8_t ip[16])
{
	uint8_t b[6];

	ztdp_mac_to_bytes(mac, b);
	memset(ip, 0, 16);
	ip[0] = 0xfe;
	ip[1] = 0x80;
	ip[8] = b[0] ^ 0x02;
	ip[9] = b[1];
	ip[10] = b[2];
	ip[11] = 0xff;
	ip[12] = 0xfe;
	ip[13] = b[3];
	ip[14] = b[4];
	ip[15] = b[5];
}

static bool subscribed(json_t *subs, struct ztdp_mcast_group g)
{
	size_t i;
	json_t *s;

	json_array_foreach(subs, i, s) {
		uint64_t mac;

		assert_int_equal(ztdp_mac_parse(&mac, ztdp_test_json_str(s, "mac")), 0);
		if (mac == g.mac && json_integer_value(json_object_get(s, "adi")) == g.adi)
			return true;
	}
	return false;
}

static unsigned int check_node(const char *dir, const char *node)
{
	char rel[256];
	json_t *info, *nets, *net, *addrs, *v;
	uint64_t address;
	size_t i, j;
	unsigned int checks = 0;

	snprintf(rel, sizeof(rel), "%s/cli-%s-info.json", dir, node);
	info = ztdp_test_load_json(rel);
	address = hex64(ztdp_test_json_str(info, "address"));
	snprintf(rel, sizeof(rel), "%s/cli-%s-listnetworks.json", dir, node);
	nets = ztdp_test_load_json(rel);
	json_array_foreach(nets, i, net) {
		uint64_t nwid = hex64(ztdp_test_json_str(net, "nwid")), mac, m;
		json_t *subs = json_object_get(net, "multicastSubscriptions");
		uint8_t ll[16];

		assert_int_equal(ztdp_mac_parse(&mac, ztdp_test_json_str(net, "mac")), 0);
		m = ztdp_mac_from_address(address, nwid);
		if (m != mac)
			fail_msg("%s: member %010llx on %016llx: MAC %012llx, node says %012llx",
				 node, (unsigned long long)address, (unsigned long long)nwid,
				 (unsigned long long)m, (unsigned long long)mac);
		assert_true(ztdp_mac_is_zerotier(mac, nwid));
		assert_true(ztdp_mac_to_address(mac, nwid) == address);
		checks++;

		/* Every assigned address: its group is subscribed; IPv6 ones
		 * are our rfc4193 / 6plane computations. */
		addrs = json_object_get(net, "assignedAddresses");
		json_array_foreach(addrs, j, v) {
			struct ztdp_inetaddr a;
			char back[ZTDP_INETADDR_STRLEN];
			uint8_t want[16];

			assert_int_equal(ztdp_inetaddr_parse(&a, json_string_value(v)), 0);
			assert_true(ztdp_inetaddr_format(&a, back, sizeof(back)) > 0);
			assert_string_equal(back, json_string_value(v));
			if (a.family == 4) {
				struct ztdp_mcast_group g = ztdp_mcast_group_arp(ztdp_inetaddr_v4(&a));

				/* 1.14.1 lists the ARP group only when broadcast
				 * is on and it has been LIKEd; data-bridge shows it. */
				if (json_array_size(subs) > 2)
					assert_true(subscribed(subs, g));
				continue;
			}
			assert_true(subscribed(subs, ztdp_mcast_group_ndp(a.ip)));
			if (a.port == ZTDP_RFC4193_PREFIX_LEN) {
				ztdp_ip6_rfc4193(nwid, address, want);
			} else {
				assert_int_equal(a.port, ZTDP_6PLANE_PREFIX_LEN);
				ztdp_ip6_6plane(nwid, address, want);
			}
			assert_memory_equal(a.ip, want, 16);
			checks++;
		}
		/* The link-local address's NDP group, when IPv6 is in use. */
		link_local(mac, ll);
		if (json_array_size(subs) > 2)
			assert_true(subscribed(subs, ztdp_mcast_group_ndp(ll)));
	}
	json_decref(info);
	json_decref(nets);
	return checks;
}

static void test_real_nodes(void **state)
{
	unsigned int n = 0;

	(void)state;
	if (!ztdp_test_have_shared("interop/data/cli/cli-a-listnetworks.json") ||
	    !ztdp_test_have_shared("interop/data-bridge/cli/cli-a-listnetworks.json"))
		skip();
	n += check_node("interop/data/cli", "a");
	n += check_node("interop/data/cli", "b");
	n += check_node("interop/data-bridge/cli", "a");
	n += check_node("interop/data-bridge/cli", "b");
	/* 4 MACs and 2 x 2 IPv6 assignments. */
	assert_int_equal(n, 8);
}

/* ---- InetAddress ------------------------------------------------------------------------- */

static void test_inetaddr_codec(void **state)
{
	struct ztdp_inetaddr a, b;
	uint8_t buf[64];
	char s[ZTDP_INETADDR_STRLEN];
	struct ztdp_wr w;
	struct ztdp_rd r;

	(void)state;
	/* IPv4. */
	ztdp_inetaddr_set_v4(&a, 0x0a630001U, 9993);
	ztdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(ztdp_inetaddr_encode(&w, &a), 0);
	assert_int_equal(w.off, 7);
	assert_memory_equal(buf, "\x04\x0a\x63\x00\x01\x27\x09", 7);
	assert_int_equal(ztdp_inetaddr_encoded_len(&a), 7);
	ztdp_rd_init(&r, buf, 7);
	assert_int_equal(ztdp_inetaddr_decode(&r, &b), 0);
	assert_true(ztdp_inetaddr_equal(&a, &b));
	assert_int_equal(ztdp_inetaddr_v4(&b), 0x0a630001U);
	assert_int_equal(ztdp_inetaddr_format(&b, s, sizeof(s)), 14);
	assert_string_equal(s, "10.99.0.1/9993");

	/* IPv6. */
	assert_int_equal(ztdp_inetaddr_parse(&a, "fd7a:4d39:540c:63f:7499:9302:6575:5a25/88"), 0);
	assert_int_equal(a.family, 6);
	assert_int_equal(a.port, 88);
	ztdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(ztdp_inetaddr_encode(&w, &a), 0);
	assert_int_equal(w.off, 19);
	assert_int_equal(buf[0], 6);
	assert_int_equal(buf[1], 0xfd);
	assert_int_equal(buf[17], 0);
	assert_int_equal(buf[18], 88);
	ztdp_rd_init(&r, buf, 19);
	assert_int_equal(ztdp_inetaddr_decode(&r, &b), 0);
	assert_true(ztdp_inetaddr_equal(&a, &b));
	assert_int_equal(ztdp_inetaddr_v4(&b), 0);
	assert_true(ztdp_inetaddr_format(&b, s, sizeof(s)) > 0);
	assert_string_equal(s, "fd7a:4d39:540c:63f:7499:9302:6575:5a25/88");
	/* Too small a buffer for the text. */
	assert_int_equal(ztdp_inetaddr_format(&b, s, 10), -1);
	assert_string_equal(s, "");
	assert_int_equal(ztdp_inetaddr_parse(&a, "[::1]/9993"), 0);
	assert_int_equal(ztdp_inetaddr_format(&a, s, sizeof(s)), 8);
	assert_string_equal(s, "::1/9993");
	assert_int_equal(ztdp_inetaddr_parse(&a, "10.0.0.1"), 0);
	assert_int_equal(a.port, 0);

	/* Nil. */
	memset(&a, 0, sizeof(a));
	ztdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(ztdp_inetaddr_encode(&w, &a), 0);
	assert_int_equal(w.off, 1);
	assert_int_equal(buf[0], 0);
	assert_int_equal(ztdp_inetaddr_format(&a, s, sizeof(s)), 0);
	assert_string_equal(s, "");

	/* Encoder errors: bad family, no room. */
	a.family = 5;
	ztdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(ztdp_inetaddr_encode(&w, &a), -1);
	assert_int_equal(ztdp_inetaddr_encoded_len(&a), 0);
	assert_int_equal(ztdp_inetaddr_format(&a, s, sizeof(s)), -1);
	ztdp_inetaddr_set_v4(&a, 1, 2);
	ztdp_wr_init(&w, buf, 6);
	assert_int_equal(ztdp_inetaddr_encode(&w, &a), -1);

	/* Parser errors. */
	static const char *const bad[] = { "", "/9993", "10.0.0.1/", "10.0.0.1/65536",
					   "10.0.0.1/-1", "10.0.0.1/99x", "10.0.0.256/1",
					   "::g/1", "[10.0.0.1/1", "hello", "1.2.3.4 /5",
					   "fd7a:4d39:540c:63f:7499:9302:6575:5a25:1234:5678/1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ztdp_inetaddr_parse(&a, bad[i]), -1);
}

static void test_inetaddr_decode_edges(void **state)
{
	struct ztdp_inetaddr a;
	struct ztdp_rd r;
	/* Reserved types skipped, then a following IPv4 is read. */
	static const uint8_t seq[] = {
		0x01, 1, 2, 3, 4, 5, 6,			/* Ethernet: 6 bytes */
		0x02, 1, 2, 3, 4, 5, 6,			/* Bluetooth */
		0x03, 0x00, 0x03, 'a', 'b', 'c',	/* other: u16 length */
		0x03, 0x00, 0x00,			/* other, empty */
		0x00,					/* nil */
		0x04, 192, 168, 1, 2, 0x00, 0x50,
	};

	(void)state;
	ztdp_rd_init(&r, seq, sizeof(seq));
	for (int i = 0; i < 5; i++) {
		assert_int_equal(ztdp_inetaddr_decode(&r, &a), 0);
		assert_int_equal(a.family, 0);
	}
	assert_int_equal(ztdp_inetaddr_decode(&r, &a), 0);
	assert_int_equal(a.family, 4);
	assert_int_equal(a.port, 80);
	assert_int_equal(ztdp_rd_left(&r), 0);
	/* Past the end. */
	assert_int_equal(ztdp_inetaddr_decode(&r, &a), -1);

	/* Every truncation of every kind fails cleanly. */
	for (size_t off = 0; off < sizeof(seq); off++) {
		size_t end;

		/* Find each element's extent by decoding from its start. */
		ztdp_rd_init(&r, seq + off, sizeof(seq) - off);
		if (ztdp_inetaddr_decode(&r, &a) != 0)
			continue;
		end = r.off;
		for (size_t cut = 0; cut < end; cut++) {
			ztdp_rd_init(&r, seq + off, cut);
			assert_int_equal(ztdp_inetaddr_decode(&r, &a), -1);
			assert_false(ztdp_rd_ok(&r));
			assert_int_equal(a.family, 0);
		}
	}
	/* Unknown types. */
	for (unsigned int t = 5; t < 256; t++) {
		uint8_t d[32] = { (uint8_t)t };

		if (t == 6)
			continue;
		ztdp_rd_init(&r, d, sizeof(d));
		assert_int_equal(ztdp_inetaddr_decode(&r, &a), -1);
	}
	/* Type 3 with a length beyond the input. */
	{
		static const uint8_t d[] = { 0x03, 0xff, 0xff, 1, 2, 3 };

		ztdp_rd_init(&r, d, sizeof(d));
		assert_int_equal(ztdp_inetaddr_decode(&r, &a), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac_rules),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_ip6_assign),
		cmocka_unit_test(test_real_nodes),
		cmocka_unit_test(test_inetaddr_codec),
		cmocka_unit_test(test_inetaddr_decode_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
