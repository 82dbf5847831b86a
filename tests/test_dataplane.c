/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane (dataplane/ztdp_dp.h) on real DPDK ports: EAL without
 * hugepages, net_ring ports whose rings the test reads and writes, and
 * net_pcap for a capture written by one dataplane and replayed into
 * another. Every test builds its own dataplanes ("nodes") with synthetic
 * peers (random 48-byte keys), drives their lcores with ztdp_dp_poll from
 * this one thread, and moves the underlay datagrams between nodes itself
 * (so it can reorder, cut or corrupt them on the way):
 *
 *         L2 in ring -> [ node A ] -> UL out ring --(test)--> UL in ring -> [ node B ] -> L2 out ring
 *
 * Each test ends with every ring drained and checks that the mbuf pool's
 * in-use count is back where it started: nothing leaked.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_random.h>
#include <rte_ring.h>

#include <pcap/pcap.h>

#include "test_util.h"
#include "netconf_capture.h"
#include "pcap_udp.h"
#include "ztdp_armor.h"
#include "ztdp_crypto.h"
#include "ztdp_csum.h"
#include "ztdp_dp.h"
#include "ztdp_mac.h"
#include "ztdp_netconf.h"
#include "ztdp_packet.h"
#include "ztdp_rules.h"

#define NWID		0x8056c2e21c000001ULL
#define ADDR_A		0x0a0a0a0a01ULL
#define ADDR_B		0x0b0b0b0b02ULL
#define ADDR_C		0x0c0c0c0c03ULL
#define ZT_PORT		9993
#define RING_SIZE	4096

static struct rte_mempool *pool;	/* 2 KiB mbufs: frames, datagrams */
static struct rte_mempool *bigpool;	/* 10 KiB mbufs: jumbo L2 frames */
static unsigned int uniq;		/* names of DPDK objects */
static uint8_t key_ab[ZTDP_PEER_KEY_LEN], key_ac[ZTDP_PEER_KEY_LEN],
	key_bc[ZTDP_PEER_KEY_LEN];

/* ---- Nodes ------------------------------------------------------------------- */

struct node {
	struct ztdp_dp *dp;
	uint64_t addr;
	uint8_t mac[6];			/* underlay */
	uint8_t ip4[4];
	char ul_name[32], l2_name[32];
	uint16_t ul_port, l2_port;
	struct rte_ring *ul_in, *ul_out, *l2_in, *l2_out, *to_ctl, *from_ctl;
};

static struct rte_ring *ring_new(const char *what)
{
	char name[RTE_RING_NAMESIZE];
	struct rte_ring *r;

	snprintf(name, sizeof(name), "t%u%s", uniq++, what);
	r = rte_ring_create(name, RING_SIZE, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	assert_non_null(r);
	return r;
}

static uint16_t ring_port(char *name, size_t n, const char *what, struct rte_ring *rx,
			  struct rte_ring *tx, unsigned int lcores, struct ztdp_dp_port *p)
{
	char err[256];
	int port;

	snprintf(name, n, "t%u%s", uniq++, what);
	port = rte_eth_from_rings(name, &rx, 1, &tx, 1, 0);
	assert_true(port >= 0);
	if (ztdp_dp_port_setup((uint16_t)port, lcores, pool, 0, false, p, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	return (uint16_t)port;
}

struct node_opts {
	unsigned int lcores;
	const char *engine;
	bool ip4_udp_cksum;
	bool ip6;		/* also fd00::<host> on the underlay */
	bool relay;		/* a root: datagrams for others go to the node */
};

static void node_init_at(struct node *n, uint64_t addr, const uint8_t ip4[4],
			 const struct node_opts *o)
{
	struct ztdp_dp_config c;
	char name[16], err[256];

	memset(n, 0, sizeof(*n));
	n->addr = addr;
	memcpy(n->mac, (uint8_t[]){ 0x02, 0, 0, 0, 0, ip4[3] }, 6);
	memcpy(n->ip4, ip4, 4);
	n->ul_in = ring_new("ui");
	n->ul_out = ring_new("uo");
	n->l2_in = ring_new("li");
	n->l2_out = ring_new("lo");
	n->to_ctl = rte_ring_create((snprintf(name, sizeof(name), "t%uct", uniq++), name),
				    RING_SIZE, 0, RING_F_SC_DEQ);
	n->from_ctl = ring_new("fc");
	assert_non_null(n->to_ctl);
	memset(&c, 0, sizeof(c));
	n->ul_port = ring_port(n->ul_name, sizeof(n->ul_name), "u", n->ul_in, n->ul_out,
			       o->lcores, &c.ul.port);
	n->l2_port = ring_port(n->l2_name, sizeof(n->l2_name), "l", n->l2_in, n->l2_out,
			       o->lcores, &c.l2[0]);
	snprintf(name, sizeof(name), "dp%u", uniq++);
	c.name = name;
	c.self = addr;
	c.lcores = o->lcores;
	memcpy(c.ul.mac, n->mac, 6);
	c.ul.udp_port = ZT_PORT;
	c.ul.has_ip4 = true;
	memcpy(c.ul.ip4, n->ip4, 4);
	c.ul.ip4_udp_cksum = o->ip4_udp_cksum;
	if (o->ip6) {
		c.ul.has_ip6 = true;
		c.ul.ip6[0] = 0xfd;
		c.ul.ip6[15] = ip4[3];
	}
	c.l2_count = 1;
	c.pool = pool;
	c.to_control = n->to_ctl;
	c.from_control = n->from_ctl;
	c.big_mbufs = 128;
	c.bridge_mac_ttl_ms = 1000;
	c.engine = o->engine;
	c.relay = o->relay;
	c.socket = -1;
	if (ztdp_dp_create(&n->dp, &c, err, sizeof(err)) < 0)
		fail_msg("%s", err);
}

static void node_init(struct node *n, uint64_t addr, uint8_t host, const struct node_opts *o)
{
	node_init_at(n, addr, (uint8_t[]){ 10, 0, 0, host }, o);
}

static void node_init_default(struct node *n, uint64_t addr, uint8_t host)
{
	struct node_opts o = { .lcores = 1 };

	node_init(n, addr, host, &o);
}

static void ring_drain(struct rte_ring *r)
{
	void *m;

	while (rte_ring_dequeue(r, &m) == 0)
		rte_pktmbuf_free(m);
}

static void node_fini(struct node *n)
{
	rte_eth_dev_stop(n->ul_port);
	rte_eth_dev_stop(n->l2_port);
	/* Ports made by rte_eth_from_rings are released by close. */
	assert_int_equal(rte_eth_dev_close(n->ul_port), 0);
	assert_int_equal(rte_eth_dev_close(n->l2_port), 0);
	ring_drain(n->to_ctl);
	ring_drain(n->from_ctl);
	ztdp_dp_destroy(n->dp);
	ring_drain(n->ul_in);
	ring_drain(n->ul_out);
	ring_drain(n->l2_in);
	ring_drain(n->l2_out);
	rte_ring_free(n->ul_in);
	rte_ring_free(n->ul_out);
	rte_ring_free(n->l2_in);
	rte_ring_free(n->l2_out);
	rte_ring_free(n->to_ctl);
	rte_ring_free(n->from_ctl);
}

/* Turn the node's lcores until none has anything left to do. */
static void run(struct node *n)
{
	for (int i = 0; i < 256; i++) {
		unsigned int w = 0;

		for (unsigned int l = 0; l < ZTDP_DP_MAX_LCORES; l++)
			if (ztdp_dp_lcore_arg(n->dp, l) != NULL)
				w += ztdp_dp_poll(n->dp, l);
		if (w == 0)
			return;
	}
}

/* Move every datagram from a's underlay output to b's input. */
static unsigned int wire(struct node *a, struct node *b)
{
	void *m;
	unsigned int n = 0;

	while (rte_ring_dequeue(a->ul_out, &m) == 0) {
		assert_int_equal(rte_ring_enqueue(b->ul_in, m), 0);
		n++;
	}
	return n;
}

static void peer_add(struct node *n, const struct node *other, const uint8_t *key,
		     uint8_t suite, uint16_t mtu)
{
	struct ztdp_dp_peer_conf pc;

	memset(&pc, 0, sizeof(pc));
	pc.address = other->addr;
	pc.key = key;
	pc.suite = suite;
	ztdp_inetaddr_set_v4(&pc.to, ztdp_load_be32(other->ip4), ZT_PORT);
	memcpy(pc.next_hop_mac, other->mac, 6);
	pc.mtu = mtu;
	assert_int_equal(ztdp_dp_peer_upsert(n->dp, &pc), 0);
}

static const struct ztdp_rule accept_all[] = { { .t = ZTDP_RULE_ACTION_ACCEPT } };

struct net_opts {
	bool is_public, bridge, broadcast;
	uint32_t ml, mtu, l2_mtu;
	const struct ztdp_rule *rules;
	unsigned int rule_count;
	const uint64_t *bridges;
	unsigned int bridge_count;
};

static void net_add(struct node *n, const struct net_opts *o)
{
	struct ztdp_dp_network_conf c;

	memset(&c, 0, sizeof(c));
	c.nwid = NWID;
	c.mac = ztdp_mac_from_address(n->addr, NWID);
	c.l2_port = n->l2_port;
	c.mtu = o->mtu != 0 ? o->mtu : 2800;
	c.l2_mtu = o->l2_mtu;
	c.multicast_limit = o->ml;
	c.broadcast = o->broadcast;
	c.is_public = o->is_public;
	c.bridge = o->bridge;
	c.rules = o->rules != NULL ? o->rules : accept_all;
	c.rule_count = o->rules != NULL ? o->rule_count : 1;
	c.bridges = o->bridges;
	c.bridge_count = o->bridge_count;
	assert_int_equal(ztdp_dp_network_upsert(n->dp, &c), 0);
}

static void net_add_default(struct node *n)
{
	struct net_opts o = { .is_public = true, .broadcast = true, .ml = 32 };

	net_add(n, &o);
}

/* ---- Frames ------------------------------------------------------------------- */

static void put48(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 6; i++)
		p[i] = (uint8_t)(v >> (40 - 8 * i));
}

static uint64_t get48(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 6; i++)
		v = v << 8 | p[i];
	return v;
}

/* An Ethernet frame of len bytes (header included) with a payload
 * pattern from seed. */
static struct rte_mbuf *frame(uint64_t dst, uint64_t src, uint16_t et, size_t len,
			      uint32_t seed)
{
	struct rte_mempool *mp = len + RTE_PKTMBUF_HEADROOM > 2048 ? bigpool : pool;
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *f;

	assert_non_null(m);
	f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(f);
	put48(f, dst);
	put48(f + 6, src);
	f[12] = (uint8_t)(et >> 8);
	f[13] = (uint8_t)et;
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(seed * 31 + i * 7);
	return m;
}

/* IPv4/UDP inside an Ethernet frame (for the rules): 20-byte header,
 * ports, payload. */
static struct rte_mbuf *udp_frame(uint64_t dst, uint64_t src, uint16_t dport, size_t len)
{
	struct rte_mbuf *m = frame(dst, src, 0x0800, len, dport);
	uint8_t *ip = rte_pktmbuf_mtod(m, uint8_t *) + 14;

	memset(ip, 0, 28);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((len - 14) >> 8);
	ip[3] = (uint8_t)(len - 14);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, (uint8_t[]){ 10, 147, 17, 11 }, 4);
	memcpy(ip + 16, (uint8_t[]){ 10, 147, 17, 12 }, 4);
	ip[20] = 0x30;
	ip[21] = 0x39;
	ip[22] = (uint8_t)(dport >> 8);
	ip[23] = (uint8_t)dport;
	return m;
}

/* ARP request for target (host order). */
static struct rte_mbuf *arp_request(uint64_t src, uint32_t target)
{
	struct rte_mbuf *m = frame(ZTDP_MAC_BROADCAST, src, 0x0806, 14 + 28, 0);
	uint8_t *a = rte_pktmbuf_mtod(m, uint8_t *) + 14;

	memset(a, 0, 28);
	a[1] = 1;
	a[2] = 0x08;
	a[4] = 6;
	a[5] = 4;
	a[7] = 1;
	put48(a + 8, src);
	a[24] = (uint8_t)(target >> 24);
	a[25] = (uint8_t)(target >> 16);
	a[26] = (uint8_t)(target >> 8);
	a[27] = (uint8_t)target;
	return m;
}

/* A copy of m's bytes (to compare with after m is gone). */
static uint8_t *bytes_of(const struct rte_mbuf *m, size_t *len)
{
	uint8_t *b = malloc(m->pkt_len);

	assert_non_null(b);
	memcpy(b, rte_pktmbuf_mtod(m, const void *), m->pkt_len);
	*len = m->pkt_len;
	return b;
}

static void inject(struct rte_ring *r, struct rte_mbuf *m)
{
	assert_int_equal(rte_ring_enqueue(r, m), 0);
}

/* Take one mbuf from r (fails the test if there is none). */
static struct rte_mbuf *take(struct rte_ring *r)
{
	void *m = NULL;

	assert_int_equal(rte_ring_dequeue(r, &m), 0);
	return m;
}

static void assert_frame(struct rte_mbuf *m, const uint8_t *want, size_t len)
{
	assert_non_null(m);
	assert_int_equal(m->pkt_len, len);
	assert_int_equal(m->nb_segs, 1);
	assert_memory_equal(rte_pktmbuf_mtod(m, const void *), want, len);
}

static uint16_t inet_sum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static const struct ztdp_dp_stats *stats(struct node *n)
{
	static struct ztdp_dp_stats s;

	ztdp_dp_stats_sum(n->dp, &s);
	return &s;
}

/* ---- Fixtures -------------------------------------------------------------------- */

static unsigned int pool_base, big_base;

static int setup(void **state)
{
	(void)state;
	pool_base = rte_mempool_in_use_count(pool);
	big_base = rte_mempool_in_use_count(bigpool);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	/* Every mbuf is back: nothing leaked, in any path. */
	assert_int_equal(rte_mempool_in_use_count(pool), pool_base);
	assert_int_equal(rte_mempool_in_use_count(bigpool), big_base);
	return 0;
}

/* A and B know each other (suite, path MTU) on a public network. */
static void pair(struct node *a, struct node *b, uint8_t suite, uint16_t mtu)
{
	node_init_default(a, ADDR_A, 1);
	node_init_default(b, ADDR_B, 2);
	peer_add(a, b, key_ab, suite, mtu);
	peer_add(b, a, key_ab, suite, mtu);
	net_add_default(a);
	net_add_default(b);
}

/* ---- Tests --------------------------------------------------------------------------- */

/* FRAME both ways, suites 3 and 1, at 64 and 1400 bytes: what leaves B's
 * L2 port is byte for byte what entered A's, and the datagram on the wire
 * has sound headers. */
static void test_frame_roundtrip(void **state)
{
	static const uint8_t suites[] = { ZTDP_CIPHER_AES_GMAC_SIV,
					  ZTDP_CIPHER_POLY1305_SALSA2012 };
	static const size_t sizes[] = { 60, 64, 1400 };

	(void)state;
	for (unsigned int s = 0; s < RTE_DIM(suites); s++) {
		struct node a, b;

		pair(&a, &b, suites[s], 0);
		for (unsigned int z = 0; z < RTE_DIM(sizes); z++) {
			uint64_t ma = ztdp_mac_from_address(ADDR_A, NWID);
			uint64_t mb = ztdp_mac_from_address(ADDR_B, NWID);
			struct rte_mbuf *m = frame(mb, ma, 0x0800, sizes[z], z);
			size_t len, dlen;
			uint8_t *want = bytes_of(m, &len);
			struct rte_mbuf *d;
			const uint8_t *f, *ip, *udp, *zt;

			inject(a.l2_in, m);
			run(&a);
			assert_int_equal(rte_ring_count(a.ul_out), 1);
			d = take(a.ul_out);
			f = rte_pktmbuf_mtod(d, const uint8_t *);
			ip = f + 14;
			udp = ip + 20;
			zt = udp + 8;
			dlen = d->pkt_len;
			/* Ethernet to B's MAC from ours, IPv4 header sound. */
			assert_memory_equal(f, b.mac, 6);
			assert_memory_equal(f + 6, a.mac, 6);
			assert_int_equal(f[12] << 8 | f[13], 0x0800);
			assert_int_equal(ip[0], 0x45);
			assert_int_equal(ip[2] << 8 | ip[3], dlen - 14);
			assert_int_equal(inet_sum(ip, 20), 0xffff);
			assert_memory_equal(ip + 12, a.ip4, 4);
			assert_memory_equal(ip + 16, b.ip4, 4);
			assert_int_equal(ip[9], 17);
			assert_int_equal(udp[0] << 8 | udp[1], ZT_PORT);
			assert_int_equal(udp[2] << 8 | udp[3], ZT_PORT);
			assert_int_equal(udp[4] << 8 | udp[5], dlen - 34);
			assert_int_equal(udp[6] | udp[7], 0);	/* no UDP checksum */
			/* FRAME: 28 + 10 bytes replace the 14-byte header. */
			assert_int_equal(dlen - 42, sizes[z] + 24);
			assert_int_equal(ztdp_packet_dest(zt), ADDR_B);
			assert_int_equal(ztdp_packet_source(zt), ADDR_A);
			assert_int_equal(ztdp_packet_cipher(zt), suites[s]);
			assert_false(ztdp_packet_is_fragmented(zt));
			assert_int_equal(rte_ring_enqueue(b.ul_in, d), 0);
			run(&b);
			d = take(b.l2_out);
			assert_frame(d, want, len);
			assert_int_equal(d->port, b.l2_port);
			rte_pktmbuf_free(d);
			free(want);

			/* And back. */
			m = frame(ma, mb, 0x86dd, sizes[z], z + 100);
			want = bytes_of(m, &len);
			inject(b.l2_in, m);
			run(&b);
			assert_int_equal(wire(&b, &a), 1);
			run(&a);
			d = take(a.l2_out);
			assert_frame(d, want, len);
			rte_pktmbuf_free(d);
			free(want);
		}
		assert_int_equal(stats(&a)->encap, RTE_DIM(sizes));
		assert_int_equal(stats(&a)->decap, RTE_DIM(sizes));
		assert_int_equal(ztdp_dp_drops_total(stats(&a)), 0);
		assert_int_equal(ztdp_dp_drops_total(stats(&b)), 0);
		node_fini(&a);
		node_fini(&b);
	}
}

/* With the IPv4 UDP checksum asked for, it verifies. */
static void test_udp_checksum(void **state)
{
	struct node_opts o = { .lcores = 1, .ip4_udp_cksum = true };
	struct node a, b;
	struct rte_mbuf *d;
	const uint8_t *ip;
	uint8_t ph[12];
	uint32_t s;
	size_t ulen;

	(void)state;
	node_init(&a, ADDR_A, 1, &o);
	node_init_default(&b, ADDR_B, 2);
	peer_add(&a, &b, key_ab, ZTDP_CIPHER_AES_GMAC_SIV, 0);
	net_add_default(&a);
	for (size_t len = 60; len < 70; len++) {
		inject(a.l2_in, frame(ztdp_mac_from_address(ADDR_B, NWID),
				      ztdp_mac_from_address(ADDR_A, NWID), 0x0800, len, 3));
		run(&a);
		d = take(a.ul_out);
		ip = rte_pktmbuf_mtod(d, const uint8_t *) + 14;
		ulen = d->pkt_len - 34;
		memcpy(ph, ip + 12, 8);
		ph[8] = 0;
		ph[9] = 17;
		ph[10] = (uint8_t)(ulen >> 8);
		ph[11] = (uint8_t)ulen;
		assert_int_not_equal(ip[26] | ip[27], 0);
		s = (uint32_t)inet_sum(ph, 12) + inet_sum(ip + 20, ulen);
		while (s >> 16)
			s = (s & 0xffff) + (s >> 16);
		assert_int_equal(s, 0xffff);
		rte_pktmbuf_free(d);
	}
	node_fini(&a);
	node_fini(&b);
}

/* IPv6 underlay: header, mandatory UDP checksum, delivery. */
static void test_ipv6(void **state)
{
	struct node_opts o = { .lcores = 1, .ip6 = true };
	uint64_t ma = ztdp_mac_from_address(ADDR_A, NWID);
	uint64_t mb = ztdp_mac_from_address(ADDR_B, NWID);
	uint8_t ip6_b[16] = { 0xfd, [15] = 2 };
	struct ztdp_dp_peer_conf pc;
	struct node a, b;
	struct rte_mbuf *m, *d;
	const uint8_t *ip, *udp;
	uint8_t *want;
	size_t len, ulen;
	uint32_t sum;
	uint8_t ph[40];

	(void)state;
	node_init(&a, ADDR_A, 1, &o);
	node_init(&b, ADDR_B, 2, &o);
	memset(&pc, 0, sizeof(pc));
	pc.address = ADDR_B;
	pc.key = key_ab;
	pc.suite = ZTDP_CIPHER_AES_GMAC_SIV;
	ztdp_inetaddr_set_v6(&pc.to, ip6_b, ZT_PORT);
	memcpy(pc.next_hop_mac, b.mac, 6);
	assert_int_equal(ztdp_dp_peer_upsert(a.dp, &pc), 0);
	pc.address = ADDR_A;
	ip6_b[15] = 1;
	ztdp_inetaddr_set_v6(&pc.to, ip6_b, ZT_PORT);
	memcpy(pc.next_hop_mac, a.mac, 6);
	assert_int_equal(ztdp_dp_peer_upsert(b.dp, &pc), 0);
	net_add_default(&a);
	net_add_default(&b);
	for (size_t fl = 60; fl < 64; fl++) {
		m = frame(mb, ma, 0x0800, fl, 5);
		want = bytes_of(m, &len);
		inject(a.l2_in, m);
		run(&a);
		d = take(a.ul_out);
		ip = rte_pktmbuf_mtod(d, const uint8_t *) + 14;
		udp = ip + 40;
		ulen = d->pkt_len - 54;
		assert_int_equal(rte_pktmbuf_mtod(d, uint8_t *)[12], 0x86);
		assert_int_equal(ip[0] >> 4, 6);
		assert_int_equal(ip[4] << 8 | ip[5], ulen);
		assert_int_equal(ip[6], 17);
		assert_int_equal(ip[8], 0xfd);
		assert_int_equal(ip[23], 1);
		assert_int_equal(ip[39], 2);
		/* Pseudo-header + UDP: sums to all ones; 0 is not allowed. */
		memset(ph, 0, sizeof(ph));
		memcpy(ph, ip + 8, 32);
		ph[34] = (uint8_t)(ulen >> 8);
		ph[35] = (uint8_t)ulen;
		ph[39] = 17;
		assert_int_not_equal(udp[6] | udp[7], 0);
		sum = (uint32_t)inet_sum(ph, 40) + inet_sum(udp, ulen);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		assert_int_equal(sum, 0xffff);
		inject(b.ul_in, d);
		run(&b);
		m = take(b.l2_out);
		assert_frame(m, want, len);
		rte_pktmbuf_free(m);
		free(want);
	}
	node_fini(&a);
	node_fini(&b);
}

/* 2800-byte frames over a 1432 path MTU: a head and one fragment, which B
 * puts back together whichever arrives first; at MTU 1000 three pieces.
 * A duplicate piece is refused. */
static void test_fragments(void **state)
{
	static const uint16_t mtus[] = { 1432, 1000 };

	(void)state;
	for (unsigned int t = 0; t < RTE_DIM(mtus); t++) {
		uint64_t ma = ztdp_mac_from_address(ADDR_A, NWID);
		uint64_t mb = ztdp_mac_from_address(ADDR_B, NWID);
		struct rte_mbuf *m, *d[8];
		unsigned int nd, want_pieces = mtus[t] == 1432 ? 2 : 3;
		struct node a, b;
		uint8_t *want;
		size_t len;

		pair(&a, &b, ZTDP_CIPHER_AES_GMAC_SIV, mtus[t]);
		for (int order = 0; order < 3; order++) {
			m = frame(mb, ma, 0x0800, 14 + 2800, 7 + order);
			want = bytes_of(m, &len);
			inject(a.l2_in, m);
			run(&a);
			nd = rte_ring_dequeue_burst(a.ul_out, (void **)d, 8, NULL);
			assert_int_equal(nd, want_pieces);
			/* Head: a whole MTU of packet; fragments: 0xff at 13. */
			assert_int_equal(d[0]->pkt_len, 42 + mtus[t]);
			assert_true(ztdp_packet_is_fragmented(rte_pktmbuf_mtod(d[0], uint8_t *) + 42));
			for (unsigned int i = 1; i < nd; i++)
				assert_int_equal(rte_pktmbuf_mtod(d[i], uint8_t *)[42 + 13], 0xff);
			if (order == 1) {		/* fragments first */
				for (unsigned int i = 0; i < nd; i++)
					inject(b.ul_in, d[nd - 1 - i]);
			} else if (order == 2) {	/* a duplicate fragment too */
				struct rte_mbuf *dup = rte_pktmbuf_copy(d[1], pool, 0, UINT32_MAX);

				assert_non_null(dup);
				inject(b.ul_in, d[1]);
				inject(b.ul_in, dup);
				inject(b.ul_in, d[0]);
				for (unsigned int i = 2; i < nd; i++)
					inject(b.ul_in, d[i]);
			} else {
				for (unsigned int i = 0; i < nd; i++)
					inject(b.ul_in, d[i]);
			}
			run(&b);
			assert_int_equal(rte_ring_count(b.l2_out), 1);
			m = take(b.l2_out);
			assert_frame(m, want, len);
			rte_pktmbuf_free(m);
			free(want);
		}
		assert_int_equal(stats(&a)->fragments_tx, 3 * (want_pieces - 1));
		assert_int_equal(stats(&b)->reassembled, 3);
		assert_int_equal(stats(&b)->drops[ZTDP_DP_DROP_ZT_FRAGMENT], 1);
		node_fini(&a);
		node_fini(&b);
	}
}

/* Relay flags byte / fragment byte 15 hold the hop count. */
static unsigned int hops_of(const uint8_t *zt)
{
	return zt[ZTDP_FRAG_IDX_INDICATOR] == ZTDP_FRAG_INDICATOR ? ztdp_fragment_hops(zt)
								   : ztdp_packet_hops(zt);
}

static void copy_all(struct rte_mbuf **from, struct rte_mbuf **to, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		to[i] = rte_pktmbuf_copy(from[i], pool, 0, UINT32_MAX);
		assert_non_null(to[i]);
	}
}

/* Datagrams for another node (A's packets to B sent through R: one whole,
 * one head with two fragments). A root's lcores relay them to B's path
 * unread, hops + 1 and otherwise byte for byte, B authenticates them; the
 * first packet of the pair, and everything for a node R's tables lack, go
 * to R's node instead (it introduces / looks up); three hops are the
 * limit. A leaf drops them all as ZT_NOT_FOR_US. */
static void test_relay(void **state)
{
	uint64_t ma = ztdp_mac_from_address(ADDR_A, NWID);
	uint64_t mb = ztdp_mac_from_address(ADDR_B, NWID);
	struct node_opts ro = { .lcores = 1, .relay = true };
	struct rte_mbuf *d[8], *c1[8], *c2[8], *c3[8], *m;
	struct ztdp_dp_peer_conf pc;
	struct node a, b, r;
	unsigned int nd;

	(void)state;
	pair(&a, &b, ZTDP_CIPHER_AES_GMAC_SIV, 1000);
	node_init(&r, ADDR_C, 3, &ro);
	/* A reaches B only through R. */
	memset(&pc, 0, sizeof(pc));
	pc.address = ADDR_B;
	pc.key = key_ab;
	pc.suite = ZTDP_CIPHER_AES_GMAC_SIV;
	ztdp_inetaddr_set_v4(&pc.to, ztdp_load_be32(r.ip4), ZT_PORT);
	memcpy(pc.next_hop_mac, r.mac, 6);
	pc.mtu = 1000;
	assert_int_equal(ztdp_dp_peer_upsert(a.dp, &pc), 0);

	inject(a.l2_in, frame(mb, ma, 0x0800, 80, 1));
	inject(a.l2_in, frame(mb, ma, 0x0800, 14 + 2000, 2));
	run(&a);
	nd = rte_ring_dequeue_burst(a.ul_out, (void **)d, 8, NULL);
	assert_int_equal(nd, 4);		/* one whole, a head and two fragments */
	copy_all(d, c1, nd);
	copy_all(d, c2, nd);
	copy_all(d, c3, nd);

	/* R does not know B: all to its node, unread and unchanged. */
	for (unsigned int i = 0; i < nd; i++)
		inject(r.ul_in, d[i]);
	run(&r);
	assert_int_equal(rte_ring_count(r.to_ctl), nd);
	for (unsigned int i = 0; i < nd; i++) {
		const uint8_t *sent = rte_pktmbuf_mtod(c3[i], const uint8_t *) + 42;

		m = take(r.to_ctl);
		assert_int_equal(ztdp_dp_meta(m)->kind, ZTDP_DP_KIND_WIRE);
		assert_int_equal(m->data_len, c3[i]->data_len - 42);
		assert_memory_equal(rte_pktmbuf_mtod(m, const uint8_t *), sent, m->data_len);
		rte_pktmbuf_free(m);
	}

	/* R knows B: the pair's first packet goes to the node, the rest on. */
	peer_add(&r, &b, key_ab, ZTDP_CIPHER_AES_GMAC_SIV, 1000);
	for (unsigned int i = 0; i < nd; i++)
		inject(r.ul_in, c1[i]);
	run(&r);
	assert_int_equal(rte_ring_count(r.to_ctl), 1);
	m = take(r.to_ctl);
	assert_int_equal(ztdp_dp_meta(m)->kind, ZTDP_DP_KIND_WIRE);
	assert_int_equal(ztdp_packet_dest(rte_pktmbuf_mtod(m, uint8_t *)), ADDR_B);
	rte_pktmbuf_free(m);
	assert_int_equal(stats(&r)->relayed, 3);
	assert_int_equal(rte_ring_count(r.ul_out), 3);
	for (unsigned int i = 1; i < nd; i++) {
		const uint8_t *sent = rte_pktmbuf_mtod(c3[i], const uint8_t *);
		const uint8_t *got;

		m = take(r.ul_out);
		got = rte_pktmbuf_mtod(m, const uint8_t *);
		assert_int_equal(m->data_len, c3[i]->data_len);
		assert_memory_equal(got, b.mac, 6);		/* to B's path */
		assert_memory_equal(got + 30, b.ip4, 4);
		assert_int_equal(hops_of(got + 42), hops_of(sent + 42) + 1);
		/* Only the hop count changed in the ZeroTier bytes. */
		for (unsigned int k = 42; k < m->data_len; k++)
			if (got[k] != sent[k])
				assert_true(k == 42 + ZTDP_PKT_IDX_FLAGS ||
					    k == 42 + ZTDP_FRAG_IDX_HOPS);
		inject(b.ul_in, m);
	}
	/* B puts the relayed head and fragments together and authenticates
	 * them; they came from R's address, so B's node hears of the path. */
	run(&b);
	assert_int_equal(stats(&b)->drops[ZTDP_DP_DROP_ZT_AUTH], 0);
	assert_int_equal(stats(&b)->reassembled, 1);
	assert_int_equal(rte_ring_count(b.to_ctl), 1);
	m = take(b.to_ctl);
	assert_int_equal(ztdp_dp_meta(m)->kind, ZTDP_DP_KIND_PLAIN);
	rte_pktmbuf_free(m);

	/* Three hops already: dropped. */
	m = c3[0];
	ztdp_packet_set_hops(rte_pktmbuf_mtod(m, uint8_t *) + 42, ZTDP_RELAY_MAX_HOPS);
	inject(r.ul_in, m);
	run(&r);
	assert_int_equal(stats(&r)->drops[ZTDP_DP_DROP_RELAY_HOPS], 1);
	node_fini(&r);

	/* The same datagrams at a leaf on R's address: dropped, counted. */
	node_init_default(&r, ADDR_C, 3);
	for (unsigned int i = 0; i < nd; i++)
		inject(r.ul_in, c2[i]);
	run(&r);
	assert_int_equal(rte_ring_count(r.to_ctl), 0);
	assert_int_equal(stats(&r)->drops[ZTDP_DP_DROP_ZT_NOT_FOR_US], nd);
	rte_pktmbuf_free_bulk(c3 + 1, nd - 1);
	node_fini(&r);
	node_fini(&a);
	node_fini(&b);
}

static bool csum_ok(const uint8_t *p, size_t len, uint32_t sum)
{
	return ztdp_csum_fold(ztdp_csum_partial(p, len, sum)) == 0xffff;
}

/* B's L2 port takes 1500 bytes (as net_tap does) on a 2800-byte network:
 * IPv4 without DF arrives in fragments that add up to the packet, each
 * with a sound header; with DF, and IPv6, it is dropped and an ICMP
 * fragmentation-needed / ICMPv6 packet-too-big with MTU 1500 goes to B's
 * node, addressed back to A; other big frames are dropped; small frames
 * pass untouched. */
static void test_l2_port_mtu(void **state)
{
	uint64_t ma = ztdp_mac_from_address(ADDR_A, NWID);
	uint64_t mb = ztdp_mac_from_address(ADDR_B, NWID);
	struct net_opts no = { .is_public = true, .broadcast = true, .ml = 32, .l2_mtu = 1500 };
	struct rte_mbuf *m, *fr[4];
	struct node a, b;
	uint8_t *ip, *want;
	size_t wlen;
	unsigned int n;

	(void)state;
	pair(&a, &b, ZTDP_CIPHER_AES_GMAC_SIV, 0);
	net_add(&b, &no);

	/* IPv4, no DF: 2780 bytes of payload in 1480 + 1300. */
	m = udp_frame(mb, ma, 9, 14 + 2800);
	want = bytes_of(m, &wlen);
	inject(a.l2_in, m);
	run(&a);
	wire(&a, &b);
	run(&b);
	n = rte_ring_dequeue_burst(b.l2_out, (void **)fr, 4, NULL);
	assert_int_equal(n, 2);
	assert_int_equal(stats(&b)->l2_fragments, 2);
	for (unsigned int i = 0, off = 0; i < n; i++) {
		const uint8_t *f = rte_pktmbuf_mtod(fr[i], const uint8_t *);
		unsigned int plen = fr[i]->data_len - 34;

		assert_true(fr[i]->data_len <= 1514);
		assert_memory_equal(f, want, 12);			/* MACs */
		assert_true(csum_ok(f + 14, 20, 0));
		assert_int_equal((f[16] << 8 | f[17]), 20 + plen);
		assert_int_equal(((f[20] << 8 | f[21]) & 0x1fff) * 8, off);
		assert_int_equal(!!(f[20] & 0x20), i + 1 < n);		/* MF */
		assert_memory_equal(f + 34, want + 34 + off, plen);
		off += plen;
		if (i + 1 == n)
			assert_int_equal(off, 2780);
		rte_pktmbuf_free(fr[i]);
	}
	free(want);

	/* IPv4 with DF: ICMP fragmentation needed, MTU 1500, back to A. */
	m = udp_frame(mb, ma, 9, 14 + 2800);
	ip = rte_pktmbuf_mtod(m, uint8_t *) + 14;
	ip[6] = 0x40;
	want = bytes_of(m, &wlen);
	inject(a.l2_in, m);
	run(&a);
	wire(&a, &b);
	run(&b);
	assert_int_equal(rte_ring_count(b.l2_out), 0);
	assert_int_equal(stats(&b)->drops[ZTDP_DP_DROP_L2_PORT_MTU], 1);
	m = take(b.to_ctl);
	assert_int_equal(ztdp_dp_meta(m)->kind, ZTDP_DP_KIND_L2);
	assert_int_equal(ztdp_dp_meta(m)->port, b.l2_port);
	{
		const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *), *icmp = f + 34;

		assert_int_equal(get48(f), ma);
		assert_int_equal(get48(f + 6), mb);
		assert_true(csum_ok(f + 14, 20, 0));
		assert_int_equal(f[23], 1);
		assert_memory_equal(f + 26, want + 30, 4);	/* from the destination */
		assert_memory_equal(f + 30, want + 26, 4);	/* to the source */
		assert_int_equal(icmp[0], 3);
		assert_int_equal(icmp[1], 4);
		assert_int_equal(icmp[6] << 8 | icmp[7], 1500);
		assert_memory_equal(icmp + 8, want + 14, 28);	/* header + 8 */
		assert_int_equal(m->data_len, 34 + 8 + 28);
		assert_true(csum_ok(icmp, 8 + 28, 0));
	}
	rte_pktmbuf_free(m);
	free(want);

	/* IPv6: packet too big. */
	m = frame(mb, ma, 0x86dd, 14 + 2000, 5);
	ip = rte_pktmbuf_mtod(m, uint8_t *) + 14;
	ip[0] = 0x60;
	ip[4] = (uint8_t)((2000 - 40) >> 8);
	ip[5] = (uint8_t)(2000 - 40);
	ip[6] = 17;
	want = bytes_of(m, &wlen);
	inject(a.l2_in, m);
	run(&a);
	wire(&a, &b);
	run(&b);
	assert_int_equal(rte_ring_count(b.l2_out), 0);
	m = take(b.to_ctl);
	{
		const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *), *icmp = f + 54;
		unsigned int plen = m->data_len - 54;
		uint8_t ph[40] = { 0 };

		assert_int_equal(f[12] << 8 | f[13], 0x86dd);
		assert_int_equal(f[20], 58);
		assert_memory_equal(f + 22, want + 38, 16);
		assert_memory_equal(f + 38, want + 22, 16);
		assert_int_equal(icmp[0], 2);
		assert_int_equal(icmp[4] << 24 | icmp[5] << 16 | icmp[6] << 8 | icmp[7], 1500);
		assert_true(40 + plen <= 1280);
		assert_memory_equal(icmp + 8, want + 14, plen - 8);
		memcpy(ph, f + 22, 32);
		ph[34] = (uint8_t)(plen >> 8);
		ph[35] = (uint8_t)plen;
		ph[39] = 58;
		assert_true(csum_ok(icmp, plen, ztdp_csum_partial(ph, 40, 0)));
	}
	rte_pktmbuf_free(m);
	free(want);

	/* A frame the node delivers (control ring) follows the same rules. */
	m = udp_frame(mb, ma, 9, 14 + 2800);
	ztdp_dp_meta(m)->kind = ZTDP_DP_KIND_L2_TX;
	ztdp_dp_meta(m)->port = b.l2_port;
	inject(b.from_ctl, m);
	run(&b);
	assert_int_equal(rte_ring_count(b.l2_out), 2);
	assert_int_equal(stats(&b)->l2_fragments, 4);
	ring_drain(b.l2_out);

	/* Neither: dropped. Small: untouched. */
	inject(a.l2_in, frame(mb, ma, 0x88b5, 14 + 2000, 6));
	m = udp_frame(mb, ma, 9, 14 + 1400);
	want = bytes_of(m, &wlen);
	inject(a.l2_in, m);
	run(&a);
	wire(&a, &b);
	run(&b);
	assert_int_equal(stats(&b)->drops[ZTDP_DP_DROP_L2_PORT_MTU], 3);
	assert_int_equal(rte_ring_count(b.to_ctl), 0);
	m = take(b.l2_out);
	assert_frame(m, want, wlen);
	rte_pktmbuf_free(m);
	free(want);
	node_fini(&a);
	node_fini(&b);
}

/* Multicast: ARP requests go to the ARP group of the address asked for,
 * as one MULTICAST_FRAME per subscriber (fresh packet ID each) plus every
 * active bridge, at most `ml` subscribers; subscribers decode them back
 * into the same frame. Unknown groups go to the control thread; broadcast
 * off drops plain broadcasts. */
static void test_multicast(void **state)
{
	uint64_t ma = ztdp_mac_from_address(ADDR_A, NWID);
	uint64_t members[2] = { ADDR_B, ADDR_C };
	struct ztdp_mcast_group g = ztdp_mcast_group_arp(0x0a931102);
	struct net_opts o = { .is_public = true, .ml = 32 };
	struct node a, b, c;
	struct rte_mbuf *d[8], *m;
	unsigned int nd;
	uint8_t *want;
	size_t len;
	uint64_t id0, id1;

	(void)state;
	node_init_default(&a, ADDR_A, 1);
	node_init_default(&b, ADDR_B, 2);
	node_init_default(&c, ADDR_C, 3);
	peer_add(&a, &b, key_ab, ZTDP_CIPHER_AES_GMAC_SIV, 0);
	peer_add(&a, &c, key_ac, ZTDP_CIPHER_POLY1305_SALSA2012, 0);
	peer_add(&b, &a, key_ab, ZTDP_CIPHER_AES_GMAC_SIV, 0);
	peer_add(&c, &a, key_ac, ZTDP_CIPHER_POLY1305_SALSA2012, 0);
	net_add(&a, &o);
	net_add(&b, &o);
	net_add(&c, &o);

	/* Nobody published yet: the node gathers. */
	inject(a.l2_in, arp_request(ma, 0x0a931102));
	run(&a);
	assert_int_equal(rte_ring_count(a.ul_out), 0);
	m = take(a.to_ctl);
	assert_int_equal(ztdp_dp_meta(m)->kind, ZTDP_DP_KIND_L2);
	assert_int_equal(ztdp_dp_meta(m)->port, a.l2_port);
	assert_int_equal(m->pkt_len, 42);
	rte_pktmbuf_free(m);

	assert_int_equal(ztdp_dp_group_set(a.dp, NWID, g, members, 2), 0);
	m = arp_request(ma, 0x0a931102);
	want = bytes_of(m, &len);
	inject(a.l2_in, m);
	run(&a);
	nd = rte_ring_dequeue_burst(a.ul_out, (void **)d, 8, NULL);
	assert_int_equal(nd, 2);
	assert_int_equal(ztdp_packet_dest(rte_pktmbuf_mtod(d[0], uint8_t *) + 42), ADDR_B);
	assert_int_equal(ztdp_packet_dest(rte_pktmbuf_mtod(d[1], uint8_t *) + 42), ADDR_C);
	id0 = ztdp_packet_id(rte_pktmbuf_mtod(d[0], uint8_t *) + 42);
	id1 = ztdp_packet_id(rte_pktmbuf_mtod(d[1], uint8_t *) + 42);
	assert_true(id0 != id1);
	inject(b.ul_in, d[0]);
	inject(c.ul_in, d[1]);
	run(&b);
	run(&c);
	m = take(b.l2_out);
	assert_frame(m, want, len);
	rte_pktmbuf_free(m);
	m = take(c.l2_out);
	assert_frame(m, want, len);
	rte_pktmbuf_free(m);
	free(want);
	{
		uint64_t used = 0;

		assert_int_equal(ztdp_dp_group_last_used(a.dp, NWID, g, &used), 0);
		assert_true(used != 0);
	}

	/* ml 1: one subscriber; an active bridge (c) always, beyond it. */
	o.ml = 1;
	o.bridges = (uint64_t[]){ ADDR_C };
	o.bridge_count = 1;
	net_add(&a, &o);
	assert_int_equal(ztdp_dp_group_set(a.dp, NWID, g, members, 1), 0);
	inject(a.l2_in, arp_request(ma, 0x0a931102));
	run(&a);
	nd = rte_ring_dequeue_burst(a.ul_out, (void **)d, 8, NULL);
	assert_int_equal(nd, 2);
	assert_int_equal(ztdp_packet_dest(rte_pktmbuf_mtod(d[0], uint8_t *) + 42), ADDR_C);
	assert_int_equal(ztdp_packet_dest(rte_pktmbuf_mtod(d[1], uint8_t *) + 42), ADDR_B);
	rte_pktmbuf_free_bulk(d, nd);

	/* Broadcast disabled: plain broadcasts go nowhere; ml 0: nothing. */
	inject(a.l2_in, frame(ZTDP_MAC_BROADCAST, ma, 0x0800, 100, 1));
	run(&a);
	assert_int_equal(stats(&a)->drops[ZTDP_DP_DROP_BCAST_DISABLED], 1);
	o.ml = 0;
	net_add(&a, &o);
	inject(a.l2_in, arp_request(ma, 0x0a931102));
	run(&a);
	assert_int_equal(stats(&a)->drops[ZTDP_DP_DROP_MC_DISABLED], 1);
	assert_int_equal(rte_ring_count(a.ul_out), 0);

	node_fini(&a);
	node_fini(&b);
	node_fini(&c);
}

/* Bridging (notes 11.9): A, an active bridge, sends a LAN host's frame as
 * EXT_FRAME; B learns where that MAC lives and sends its answer straight
 * there; the route ages out; a non-bridge cannot use a foreign MAC. */
static void test_bridge_learning(void **state)
{
	uint64_t ma = ztdp_mac_from_address(ADDR_A, NWID);
	uint64_t mb = ztdp_mac_from_address(ADDR_B, NWID);
	uint64_t lan = 0x06aabbccdd01ULL;	/* not a member MAC of NWID (0x02..) */
	uint64_t bridges[1] = { ADDR_A };
	struct net_opts oa = { .is_public = true, .ml = 32, .bridge = true,
			       .bridges = bridges, .bridge_count = 1 };
	struct net_opts ob = { .is_public = true, .ml = 32, .bridges = bridges,
			       .bridge_count = 1 };
	struct node a, b;
	struct rte_mbuf *m, *d;
	uint8_t *want;
	size_t len;

	(void)state;
	node_init_default(&a, ADDR_A, 1);
	node_init_default(&b, ADDR_B, 2);
	peer_add(&a, &b, key_ab, ZTDP_CIPHER_AES_GMAC_SIV, 0);
	peer_add(&b, &a, key_ab, ZTDP_CIPHER_AES_GMAC_SIV, 0);
	net_add(&a, &oa);
	net_add(&b, &ob);

	m = frame(mb, lan, 0x0800, 200, 1);
	want = bytes_of(m, &len);
	inject(a.l2_in, m);
	run(&a);
	d = take(a.ul_out);
	/* EXT_FRAME: 28 + 8 + 1 bytes in front of the whole frame. */
	assert_int_equal(d->pkt_len, 42 + 37 + 200);
	inject(b.ul_in, d);
	run(&b);
	d = take(b.l2_out);
	assert_frame(d, want, len);
	rte_pktmbuf_free(d);
	free(want);
	assert_int_equal(ztdp_dp_bridge_mac_lookup(b.dp, NWID, lan), 0);	/* not yet */
	ztdp_dp_maintain(b.dp, ztdp_dp_now_ms());
	assert_int_equal(ztdp_dp_bridge_mac_lookup(b.dp, NWID, lan), ADDR_A);
	assert_int_equal(ztdp_dp_bridge_mac_count(b.dp), 1);

	/* B answers the LAN host: straight to A, which emits it. */
	m = frame(lan, mb, 0x0800, 300, 2);
	want = bytes_of(m, &len);
	inject(b.l2_in, m);
	run(&b);
	assert_int_equal(wire(&b, &a), 1);
	run(&a);
	d = take(a.l2_out);
	assert_frame(d, want, len);
	rte_pktmbuf_free(d);
	free(want);

	/* Ageing: gone after the TTL (1 s here). */
	ztdp_dp_maintain(b.dp, ztdp_dp_now_ms() + 5000);
	assert_int_equal(ztdp_dp_bridge_mac_count(b.dp), 0);
	assert_int_equal(ztdp_dp_bridge_mac_lookup(b.dp, NWID, lan), 0);
	/* Unknown MAC: flooded to every active bridge (A). */
	inject(b.l2_in, frame(lan, mb, 0x0800, 300, 3));
	run(&b);
	assert_int_equal(rte_ring_count(b.ul_out), 1);
	ring_drain(b.ul_out);

	/* A not a bridge in B's config: B refuses the foreign source. */
	ob.bridge_count = 0;
	net_add(&b, &ob);
	inject(a.l2_in, frame(mb, lan, 0x0800, 200, 4));
	run(&a);
	wire(&a, &b);
	run(&b);
	assert_int_equal(rte_ring_count(b.l2_out), 0);
	assert_int_equal(stats(&b)->drops[ZTDP_DP_DROP_BAD_MAC], 1);
	/* No bridge at all: nowhere to flood. */
	inject(b.l2_in, frame(lan, mb, 0x0800, 300, 5));
	run(&b);
	assert_int_equal(stats(&b)->drops[ZTDP_DP_DROP_NO_RECIPIENTS], 1);
	/* A without the bridge flag may only send from its own MAC. */
	oa.bridge = false;
	net_add(&a, &oa);
	inject(a.l2_in, frame(mb, lan, 0x0800, 200, 6));
	run(&a);
	assert_int_equal(stats(&a)->drops[ZTDP_DP_DROP_L2_BAD_SRC_MAC], 1);
	(void)ma;
	node_fini(&a);
	node_fini(&b);
}

/* The membership gate: on a private network B hands A's frames to the
 * node (which answers ERROR NEED_MEMBERSHIP_CERTIFICATE) until the node
 * says A passes; a packet from an address that is not A's path goes to
 * the node too. */
static void test_gate(void **state)
{
	uint64_t ma = ztdp_mac_from_address(ADDR_A, NWID);
	uint64_t mb = ztdp_mac_from_address(ADDR_B, NWID);
	struct net_opts priv = { .ml = 32 };
	struct node a, b;
	struct rte_mbuf *m;
	const uint8_t *p;

	(void)state;
	pair(&a, &b, ZTDP_CIPHER_AES_GMAC_SIV, 0);
	net_add(&b, &priv);
	inject(a.l2_in, frame(mb, ma, 0x0800, 100, 1));
	run(&a);
	wire(&a, &b);
	run(&b);
	assert_int_equal(rte_ring_count(b.l2_out), 0);
	m = take(b.to_ctl);
	assert_int_equal(ztdp_dp_meta(m)->kind, ZTDP_DP_KIND_PLAIN);
	assert_int_equal(ztdp_dp_meta(m)->from.family, 4);
	assert_int_equal(ztdp_dp_meta(m)->from.port, ZT_PORT);
	assert_memory_equal(ztdp_dp_meta(m)->from.ip, a.ip4, 4);
	/* Authenticated and in clear: FRAME from A, then nwid. */
	p = rte_pktmbuf_mtod(m, const uint8_t *);
	assert_int_equal(m->pkt_len, 28 + 10 + 86);
	assert_int_equal(ztdp_packet_verb(p), ZTDP_VERB_FRAME);
	assert_int_equal(ztdp_packet_source(p), ADDR_A);
	assert_int_equal(ztdp_load_be64(p + 28), NWID);
	rte_pktmbuf_free(m);

	assert_int_equal(ztdp_dp_peer_gate(b.dp, ADDR_A, NWID, true), 0);
	inject(a.l2_in, frame(mb, ma, 0x0800, 100, 2));
	run(&a);
	wire(&a, &b);
	run(&b);
	m = take(b.l2_out);
	rte_pktmbuf_free(m);
	/* The gate survives a path change; a packet from elsewhere (here:
	 * the path now says port 9994) goes to the node. */
	{
		struct ztdp_dp_peer_conf pc;

		memset(&pc, 0, sizeof(pc));
		pc.address = ADDR_A;
		pc.key = key_ab;
		pc.suite = ZTDP_CIPHER_AES_GMAC_SIV;
		ztdp_inetaddr_set_v4(&pc.to, 0x0a000001, 9994);
		memcpy(pc.next_hop_mac, a.mac, 6);
		assert_int_equal(ztdp_dp_peer_upsert(b.dp, &pc), 0);
	}
	inject(a.l2_in, frame(mb, ma, 0x0800, 100, 3));
	run(&a);
	wire(&a, &b);
	run(&b);
	assert_int_equal(rte_ring_count(b.l2_out), 0);
	m = take(b.to_ctl);
	assert_int_equal(ztdp_dp_meta(m)->kind, ZTDP_DP_KIND_PLAIN);
	rte_pktmbuf_free(m);
	/* Gate withdrawn. */
	peer_add(&b, &a, key_ab, ZTDP_CIPHER_AES_GMAC_SIV, 0);
	assert_int_equal(ztdp_dp_peer_gate(b.dp, ADDR_A, NWID, false), 0);
	inject(a.l2_in, frame(mb, ma, 0x0800, 100, 4));
	run(&a);
	wire(&a, &b);
	run(&b);
	assert_int_equal(rte_ring_count(b.l2_out), 0);
	assert_int_equal(rte_ring_count(b.to_ctl), 1);
	/* Activity stamps for the control thread. */
	{
		uint64_t rx = 0, tx = 0;

		assert_int_equal(ztdp_dp_peer_activity(b.dp, ADDR_A, &rx, &tx), 0);
		assert_true(rx != 0);
		assert_int_equal(ztdp_dp_peer_activity(a.dp, ADDR_B, &rx, &tx), 0);
		assert_true(tx != 0);
	}
	node_fini(&a);
	node_fini(&b);
}

/* Rules (section 10) with the controller's example: drop UDP to port 9,
 * accept the rest. Outbound at A; inbound at B (A accepts all). A TEE
 * rule sends the frame to the node. */
static void test_rules(void **state)
{
	static const struct ztdp_rule drop_udp9[] = {
		{ .t = ZTDP_RULE_MATCH_IP_PROTOCOL, .v.ip_protocol = 17 },
		{ .t = ZTDP_RULE_MATCH_IP_DEST_PORT_RANGE, .v.port = { 9, 9 } },
		{ .t = ZTDP_RULE_ACTION_DROP },
		{ .t = ZTDP_RULE_ACTION_ACCEPT },
	};
	static const struct ztdp_rule tee[] = {
		{ .t = ZTDP_RULE_ACTION_TEE, .v.fwd = { .address = ADDR_C } },
		{ .t = ZTDP_RULE_ACTION_ACCEPT },
	};
	uint64_t ma = ztdp_mac_from_address(ADDR_A, NWID);
	uint64_t mb = ztdp_mac_from_address(ADDR_B, NWID);
	struct net_opts o = { .is_public = true, .ml = 32, .rules = drop_udp9, .rule_count = 4 };
	struct node a, b;
	struct rte_mbuf *m;

	(void)state;
	pair(&a, &b, ZTDP_CIPHER_AES_GMAC_SIV, 0);
	net_add(&a, &o);
	inject(a.l2_in, udp_frame(mb, ma, 9, 100));
	inject(a.l2_in, udp_frame(mb, ma, 10, 100));
	run(&a);
	assert_int_equal(stats(&a)->drops[ZTDP_DP_DROP_RULES_OUT], 1);
	assert_int_equal(wire(&a, &b), 1);
	run(&b);
	m = take(b.l2_out);
	assert_int_equal(rte_pktmbuf_mtod(m, uint8_t *)[14 + 23], 10);
	rte_pktmbuf_free(m);

	net_add_default(&a);
	net_add(&b, &o);
	inject(a.l2_in, udp_frame(mb, ma, 9, 100));
	inject(a.l2_in, udp_frame(mb, ma, 10, 100));
	run(&a);
	assert_int_equal(wire(&a, &b), 2);
	run(&b);
	assert_int_equal(stats(&b)->drops[ZTDP_DP_DROP_RULES_IN], 1);
	assert_int_equal(rte_ring_count(b.l2_out), 1);
	ring_drain(b.l2_out);

	o.rules = tee;
	o.rule_count = 2;
	net_add(&a, &o);
	inject(a.l2_in, udp_frame(mb, ma, 10, 100));
	run(&a);
	assert_int_equal(rte_ring_count(a.ul_out), 0);
	m = take(a.to_ctl);
	assert_int_equal(ztdp_dp_meta(m)->kind, ZTDP_DP_KIND_L2);
	rte_pktmbuf_free(m);
	node_fini(&a);
	node_fini(&b);
}

/* What goes to the control thread, and what comes from it. */
static void test_control_paths(void **state)
{
	uint64_t ma = ztdp_mac_from_address(ADDR_A, NWID);
	uint64_t mb = ztdp_mac_from_address(ADDR_B, NWID);
	struct node a, b;
	struct rte_mbuf *m, *d;
	uint8_t *p;

	(void)state;
	pair(&a, &b, ZTDP_CIPHER_AES_GMAC_SIV, 0);
	/* A frame to a member not in the tables: the node WHOISes. */
	inject(a.l2_in, frame(ztdp_mac_from_address(ADDR_C, NWID), ma, 0x0800, 80, 1));
	run(&a);
	m = take(a.to_ctl);
	assert_int_equal(ztdp_dp_meta(m)->kind, ZTDP_DP_KIND_L2);
	rte_pktmbuf_free(m);
	/* A frame to ourselves or a reserved address: dropped. */
	inject(a.l2_in, frame(ma, ma, 0x0800, 80, 1));
	run(&a);
	assert_int_equal(stats(&a)->drops[ZTDP_DP_DROP_L2_BAD_DST], 1);

	/* A packet from a sender B does not know: the raw datagram. */
	assert_int_equal(ztdp_dp_peer_remove(b.dp, ADDR_A), 0);
	inject(a.l2_in, frame(mb, ma, 0x0800, 80, 2));
	run(&a);
	wire(&a, &b);
	run(&b);
	m = take(b.to_ctl);
	assert_int_equal(ztdp_dp_meta(m)->kind, ZTDP_DP_KIND_WIRE);
	p = rte_pktmbuf_mtod(m, uint8_t *);
	assert_int_equal(ztdp_packet_source(p), ADDR_A);
	assert_int_equal(m->pkt_len, 80 + 24);
	rte_pktmbuf_free(m);
	/* Suite 0 (HELLO) goes to the node as well, even from a known
	 * peer; so does an authenticated verb that is not a frame. */
	peer_add(&b, &a, key_ab, ZTDP_CIPHER_AES_GMAC_SIV, 0);
	{
		struct rte_mbuf *e = frame(mb, ma, 0x0800, 80, 3);

		inject(a.l2_in, e);
		run(&a);
		d = take(a.ul_out);
		p = rte_pktmbuf_mtod(d, uint8_t *) + 42;
		/* Flip it to suite 0: B's fast path hands it over unread. */
		p[ZTDP_PKT_IDX_FLAGS] &= (uint8_t)~ZTDP_PKT_FLAGS_CIPHER_MASK;
		inject(b.ul_in, d);
		run(&b);
		m = take(b.to_ctl);
		assert_int_equal(ztdp_dp_meta(m)->kind, ZTDP_DP_KIND_WIRE);
		rte_pktmbuf_free(m);
	}
	{
		/* ECHO, armored by hand as A would. */
		struct ztdp_peer_key k;
		struct rte_mbuf *e = rte_pktmbuf_alloc(pool);
		uint8_t *f = (uint8_t *)rte_pktmbuf_append(e, 42 + 28 + 4);
		uint8_t *ip = f + 14, *udp = ip + 20, *zt = udp + 8;

		assert_int_equal(ztdp_peer_key_init(&k, key_ab), 0);
		memset(f, 0, 42 + 32);
		memcpy(f, b.mac, 6);
		memcpy(f + 6, a.mac, 6);
		f[12] = 0x08;
		ip[0] = 0x45;
		ip[2] = 0;
		ip[3] = 20 + 8 + 32;
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, a.ip4, 4);
		memcpy(ip + 16, b.ip4, 4);
		{
			uint16_t c = (uint16_t)~inet_sum(ip, 20);

			ip[10] = (uint8_t)(c >> 8);
			ip[11] = (uint8_t)c;
		}
		udp[0] = udp[2] = ZT_PORT >> 8;
		udp[1] = udp[3] = ZT_PORT & 0xff;
		udp[5] = 8 + 32;
		ztdp_store_be64(zt, 0x1122334455667788ULL);
		ztdp_store_be40(zt + 8, ADDR_B);
		ztdp_store_be40(zt + 13, ADDR_A);
		zt[27] = ZTDP_VERB_ECHO;
		memcpy(zt + 28, "ping", 4);
		assert_int_equal(ztdp_armor(&k, zt, 32, ZTDP_CIPHER_AES_GMAC_SIV), 0);
		ztdp_peer_key_clear(&k);
		inject(b.ul_in, e);
		run(&b);
		m = take(b.to_ctl);
		assert_int_equal(ztdp_dp_meta(m)->kind, ZTDP_DP_KIND_PLAIN);
		assert_int_equal(m->pkt_len, 32);
		assert_int_equal(ztdp_packet_verb(rte_pktmbuf_mtod(m, uint8_t *)), ZTDP_VERB_ECHO);
		assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *) + 28, "ping", 4);
		rte_pktmbuf_free(m);
	}
	/* ARP on the underlay: the control thread answers it. */
	{
		struct rte_mbuf *e = arp_request(get48((uint8_t[]){ 2, 0, 0, 0, 0, 1 }), 0x0a000002);

		inject(b.ul_in, e);
		run(&b);
		m = take(b.to_ctl);
		assert_int_equal(ztdp_dp_meta(m)->kind, ZTDP_DP_KIND_UL_RAW);
		rte_pktmbuf_free(m);
	}
	/* From the control thread: an underlay frame and an L2 frame go out
	 * on lcore 0; anything else is refused. */
	m = frame(get48(b.mac), get48(a.mac), 0x0800, 60, 9);
	ztdp_dp_meta(m)->kind = ZTDP_DP_KIND_UL_TX;
	inject(a.from_ctl, m);
	m = frame(mb, ma, 0x0800, 60, 9);
	ztdp_dp_meta(m)->kind = ZTDP_DP_KIND_L2_TX;
	ztdp_dp_meta(m)->port = a.l2_port;
	inject(a.from_ctl, m);
	m = frame(mb, ma, 0x0800, 60, 9);
	ztdp_dp_meta(m)->kind = ZTDP_DP_KIND_WIRE;
	inject(a.from_ctl, m);
	run(&a);
	assert_int_equal(rte_ring_count(a.ul_out), 1);
	assert_int_equal(rte_ring_count(a.l2_out), 1);
	assert_int_equal(stats(&a)->from_control, 3);
	assert_int_equal(stats(&a)->drops[ZTDP_DP_DROP_CONTROL_TX_BAD], 1);
	node_fini(&a);
	node_fini(&b);
}

/* An IPv4/UDP datagram from A to B around a ZeroTier payload. */
static struct rte_mbuf *wrap(const struct node *a, const struct node *b, const uint8_t *zt,
			     size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *f, *ip, *udp;
	uint16_t c;

	if (m == NULL || len > 2000) {
		fail_msg("no mbuf for %zu bytes", len);
		return NULL;
	}
	f = rte_pktmbuf_mtod(m, uint8_t *);
	m->data_len = (uint16_t)(42 + len);
	m->pkt_len = m->data_len;
	memcpy(f, b->mac, 6);
	memcpy(f + 6, a->mac, 6);
	f[12] = 0x08;
	f[13] = 0;
	ip = f + 14;
	memset(ip, 0, 28);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((28 + len) >> 8);
	ip[3] = (uint8_t)(28 + len);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, a->ip4, 4);
	memcpy(ip + 16, b->ip4, 4);
	c = (uint16_t)~inet_sum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	udp = ip + 20;
	udp[0] = udp[2] = ZT_PORT >> 8;
	udp[1] = udp[3] = ZT_PORT & 0xff;
	udp[4] = (uint8_t)((8 + len) >> 8);
	udp[5] = (uint8_t)(8 + len);
	memcpy(udp + 8, zt, len);
	return m;
}

/* Malformed input at full bursts: every truncation of real datagrams
 * (whole packets, heads, fragments), the same with bit flips, random
 * junk with and without valid headers around it. Everything is counted
 * exactly once (delivered, handed to the control thread, kept by
 * reassembly or dropped under a reason) and no mbuf is lost. */
static void test_malformed(void **state)
{
	uint64_t ma = ztdp_mac_from_address(ADDR_A, NWID);
	uint64_t mb = ztdp_mac_from_address(ADDR_B, NWID);
	struct node a, b;
	struct rte_mbuf *d[8];
	uint8_t *dg[8];
	size_t dlen[8];
	unsigned int nd, injected = 0, in_ring = 0;
	const struct ztdp_dp_stats *s;
	uint64_t ctl;

	(void)state;
	pair(&a, &b, ZTDP_CIPHER_AES_GMAC_SIV, 0);
	/* Three real datagrams: a whole FRAME, a head and a fragment. */
	inject(a.l2_in, frame(mb, ma, 0x0800, 300, 1));
	inject(a.l2_in, frame(mb, ma, 0x0800, 2814, 2));
	run(&a);
	nd = rte_ring_dequeue_burst(a.ul_out, (void **)d, 8, NULL);
	assert_int_equal(nd, 3);
	for (unsigned int i = 0; i < nd; i++) {
		dg[i] = malloc(d[i]->pkt_len - 42);
		dlen[i] = d[i]->pkt_len - 42;
		memcpy(dg[i], rte_pktmbuf_mtod(d[i], uint8_t *) + 42, dlen[i]);
	}
	rte_pktmbuf_free_bulk(d, nd);

#define FEED(mbuf) do { \
		inject(b.ul_in, (mbuf)); \
		injected++; \
		if (++in_ring == ZTDP_DP_BURST) { \
			run(&b); \
			in_ring = 0; \
		} \
	} while (0)
	for (unsigned int i = 0; i < nd; i++) {
		for (size_t cut = 0; cut <= dlen[i]; cut++) {
			FEED(wrap(&a, &b, dg[i], cut));
			/* And the whole frame cut at the Ethernet level. */
			if (cut <= 42 + dlen[i]) {
				struct rte_mbuf *m = wrap(&a, &b, dg[i], dlen[i]);

				rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - cut));
				FEED(m);
			}
		}
		for (size_t bit = 0; bit < dlen[i] * 8; bit += 37) {
			dg[i][bit / 8] ^= (uint8_t)(1 << (bit % 8));
			FEED(wrap(&a, &b, dg[i], dlen[i]));
			dg[i][bit / 8] ^= (uint8_t)(1 << (bit % 8));
		}
	}
	for (int i = 0; i < 3000; i++) {
		uint8_t junk[1500];
		size_t len = rte_rand() % sizeof(junk);
		struct rte_mbuf *m;

		for (size_t j = 0; j < len; j++)
			junk[j] = (uint8_t)rte_rand();
		if (i % 3 == 0) {
			/* A fragment-looking one now and then. */
			if (len > 16)
				junk[13] = 0xff;
			FEED(wrap(&a, &b, junk, len));
		} else if (i % 3 == 1) {
			/* Aimed at B, with a source B knows. */
			if (len >= 28) {
				ztdp_store_be40(junk + 8, ADDR_B);
				ztdp_store_be40(junk + 13, ADDR_A);
			}
			FEED(wrap(&a, &b, junk, len));
		} else {
			m = rte_pktmbuf_alloc(pool);
			memcpy(rte_pktmbuf_append(m, (uint16_t)len), junk, len);
			FEED(m);
		}
	}
#undef FEED
	run(&b);
	for (unsigned int i = 0; i < nd; i++)
		free(dg[i]);

	s = stats(&b);
	ctl = rte_ring_count(b.to_ctl);
	assert_int_equal(s->ul_rx, injected);
	assert_int_equal(s->to_control, ctl);
	/* Exactly one fate per packet (reassembled packets are new ones). */
	assert_int_equal(s->ul_rx + s->reassembled,
			 s->decap + s->to_control + ztdp_dp_drops_total(s) + s->reasm_pieces);
	/* The untouched whole datagram was delivered. (The head's earlier
	 * cuts, all with its packet ID, took its reassembly entry.) */
	assert_true(s->decap >= 1);
	assert_int_equal(s->decap, rte_ring_count(b.l2_out));
	assert_true(s->drops[ZTDP_DP_DROP_ZT_AUTH] > 0);
	assert_true(s->drops[ZTDP_DP_DROP_UL_IP_MALFORMED] > 0);
	assert_true(s->drops[ZTDP_DP_DROP_ZT_SHORT] > 0);
	assert_true(s->drops[ZTDP_DP_DROP_ZT_FRAGMENT] > 0);
	node_fini(&a);
	node_fini(&b);
}

/* Two lcores on ports with one queue: lcore 0 dispatches by flow, each
 * flow stays in order on one lcore; both lcores encapsulate. */
static void test_dispatch(void **state)
{
	struct node_opts o = { .lcores = 2 };
	uint64_t ma = ztdp_mac_from_address(ADDR_A, NWID);
	uint64_t mb = ztdp_mac_from_address(ADDR_B, NWID);
	struct node a, b;
	struct rte_mbuf *m;
	uint16_t last[16];
	unsigned int got = 0;

	(void)state;
	node_init(&a, ADDR_A, 1, &o);
	node_init(&b, ADDR_B, 2, &o);
	peer_add(&a, &b, key_ab, ZTDP_CIPHER_AES_GMAC_SIV, 0);
	peer_add(&b, &a, key_ab, ZTDP_CIPHER_AES_GMAC_SIV, 0);
	net_add_default(&a);
	net_add_default(&b);
	/* 16 flows (UDP source ports) of 8 frames, interleaved; the
	 * payload after the ports numbers each frame of its flow. */
	for (uint16_t k = 0; k < 8; k++) {
		for (uint16_t f = 0; f < 16; f++) {
			m = udp_frame(mb, ma, 1000, 100);
			uint8_t *ip = rte_pktmbuf_mtod(m, uint8_t *) + 14;

			ip[20] = (uint8_t)(f >> 8);
			ip[21] = (uint8_t)(1000 + f);
			ip[28] = (uint8_t)k;
			inject(a.l2_in, m);
		}
		/* Turn both lcores between batches, as they would run. */
		(void)ztdp_dp_poll(a.dp, 0);
		(void)ztdp_dp_poll(a.dp, 1);
	}
	run(&a);
	assert_true(ztdp_dp_stats_lcore(a.dp, 0)->dispatched > 0);
	assert_true(ztdp_dp_stats_lcore(a.dp, 0)->encap > 0);
	assert_true(ztdp_dp_stats_lcore(a.dp, 1)->encap > 0);
	assert_int_equal(wire(&a, &b), 128);
	run(&b);
	memset(last, 0xff, sizeof(last));
	while (rte_ring_dequeue(b.l2_out, (void **)&m) == 0) {
		uint8_t *ip = rte_pktmbuf_mtod(m, uint8_t *) + 14;
		unsigned int f = (uint8_t)(ip[21] - (1000 & 0xff));

		assert_true(f < 16);
		/* In order within the flow. */
		assert_true(last[f] == 0xffff ? ip[28] == 0 : ip[28] == last[f] + 1);
		last[f] = ip[28];
		got++;
		rte_pktmbuf_free(m);
	}
	assert_int_equal(got, 128);
	node_fini(&a);
	node_fini(&b);
}

/* net_pcap: A writes what it sends to a capture (fragments included);
 * B reads the capture back and delivers every frame. */
static void test_pcap(void **state)
{
	char path[64], args[128], wname[32], rname[32], err[256];
	uint64_t ma = ztdp_mac_from_address(ADDR_A, NWID);
	uint64_t mb = ztdp_mac_from_address(ADDR_B, NWID);
	struct ztdp_dp_config c;
	struct ztdp_dp *pa, *pb;
	struct node a, b;
	uint8_t *want[10];
	size_t wlen[10];
	uint16_t wport, rport, l2;
	struct rte_mbuf *m;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/ztdp_test_dp_%d.pcap", (int)getpid());
	pair(&a, &b, ZTDP_CIPHER_AES_GMAC_SIV, 0);
	/* A second dataplane for A whose underlay is a pcap writer. */
	snprintf(wname, sizeof(wname), "net_pcap_w%u", uniq++);
	snprintf(args, sizeof(args), "tx_pcap=%s", path);
	assert_int_equal(rte_vdev_init(wname, args), 0);
	assert_int_equal(rte_eth_dev_get_port_by_name(wname, &wport), 0);
	memset(&c, 0, sizeof(c));
	if (ztdp_dp_port_setup(wport, 1, pool, 0, false, &c.ul.port, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	c.name = "pcapA";
	c.self = ADDR_A;
	c.lcores = 1;
	memcpy(c.ul.mac, a.mac, 6);
	c.ul.udp_port = ZT_PORT;
	c.ul.has_ip4 = true;
	memcpy(c.ul.ip4, a.ip4, 4);
	c.l2_count = 1;
	c.l2[0].port_id = a.l2_port;
	c.l2[0].rx_queues = c.l2[0].tx_queues = 1;
	c.pool = pool;
	c.big_mbufs = 64;
	assert_int_equal(ztdp_dp_create(&pa, &c, err, sizeof(err)), 0);
	{
		struct ztdp_dp *keep = a.dp;

		a.dp = pa;
		peer_add(&a, &b, key_ab, ZTDP_CIPHER_AES_GMAC_SIV, 0);
		net_add_default(&a);
		for (unsigned int i = 0; i < 10; i++) {
			m = frame(mb, ma, 0x0800, i % 2 ? 2000 : 100 + i, i);
			want[i] = bytes_of(m, &wlen[i]);
			inject(a.l2_in, m);
		}
		run(&a);
		assert_int_equal(stats(&a)->ul_tx, 15);
		a.dp = keep;
	}
	rte_eth_dev_stop(wport);
	rte_eth_dev_close(wport);
	rte_vdev_uninit(wname);
	ztdp_dp_destroy(pa);

	/* B reads it. */
	snprintf(rname, sizeof(rname), "net_pcap_r%u", uniq++);
	snprintf(args, sizeof(args), "rx_pcap=%s", path);
	assert_int_equal(rte_vdev_init(rname, args), 0);
	assert_int_equal(rte_eth_dev_get_port_by_name(rname, &rport), 0);
	memset(&c, 0, sizeof(c));
	if (ztdp_dp_port_setup(rport, 1, pool, 0, false, &c.ul.port, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	l2 = b.l2_port;
	c.name = "pcapB";
	c.self = ADDR_B;
	c.lcores = 1;
	memcpy(c.ul.mac, b.mac, 6);
	c.ul.udp_port = ZT_PORT;
	c.ul.has_ip4 = true;
	memcpy(c.ul.ip4, b.ip4, 4);
	c.l2_count = 1;
	c.l2[0].port_id = l2;
	c.l2[0].rx_queues = c.l2[0].tx_queues = 1;
	c.pool = pool;
	c.big_mbufs = 64;
	assert_int_equal(ztdp_dp_create(&pb, &c, err, sizeof(err)), 0);
	{
		struct ztdp_dp *keep = b.dp;

		b.dp = pb;
		peer_add(&b, &a, key_ab, ZTDP_CIPHER_AES_GMAC_SIV, 0);
		net_add_default(&b);
		for (int i = 0; i < 50 && rte_ring_count(b.l2_out) < 10; i++)
			run(&b);
		for (unsigned int i = 0; i < 10; i++) {
			m = take(b.l2_out);
			assert_frame(m, want[i], wlen[i]);
			rte_pktmbuf_free(m);
			free(want[i]);
		}
		assert_int_equal(stats(&b)->reassembled, 5);
		b.dp = keep;
	}
	ztdp_dp_destroy(pb);
	rte_eth_dev_stop(rport);
	rte_eth_dev_close(rport);
	rte_vdev_uninit(rname);
	unlink(path);
	node_fini(&a);
	node_fini(&b);
}

/* Real traffic: an underlay capture made by 1.14.1 nodes, replayed into a
 * dataplane that is one of them (its address and underlay IP, the other
 * member's key and path, the last config the 1.14.1 controller signed for
 * it, the gate open): every frame the fast path delivers must be one the
 * real node's TAP got over ZeroTier, byte for byte (each used once; the
 * two captures' orders differ slightly). The rest went to the node:
 * relayed packets, multicasts with implicit gather, control verbs. */
struct interop_case {
	const char *set;		/* interop/data or interop/data-bridge */
	const char *underlay, *tap;	/* pcaps under <set>/pcap/ */
	int me, other;			/* node index: 1 = a, 2 = b */
	size_t min_frames;
};

static void interop_decap(const struct interop_case *ic)
{
	char path[256], ul_rel[128], tap_rel[128];
	uint8_t my_ip[4] = { 10, 99, 0, (uint8_t)(ic->me + 1) };
	struct interop_keys *k;
	struct nc_capture cap;
	const struct nc_config *cfg;
	struct ztdp_netconf *nc;
	struct ztdp_dp_peer_conf pc;
	struct node_opts o = { .lcores = 1 };
	struct node a;
	uint8_t **tap;
	size_t *taplen, ntap = 0, matched = 0;
	uint64_t me, other, my_mac;
	double tap_end = 0;
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *pkt;
	pcap_t *pc_in;

	snprintf(ul_rel, sizeof(ul_rel), "%s/pcap/%s", ic->set, ic->underlay);
	snprintf(tap_rel, sizeof(tap_rel), "%s/pcap/%s", ic->set, ic->tap);
	if (!ztdp_test_have_shared(ul_rel) || !ztdp_test_have_shared(tap_rel))
		skip();
	k = calloc(1, sizeof(*k));
	assert_non_null(k);
	snprintf(path, sizeof(path), "%s/identities", ic->set);
	assert_int_equal(interop_keys_load(k, path), 0);
	me = k->id[ic->me].address;
	other = k->id[ic->other].address;
	snprintf(path, sizeof(path), "pcap/%s", ic->underlay);
	assert_true(nc_capture_load(&cap, ic->set, path));
	cfg = nc_capture_last_for(&cap, me);
	assert_non_null(cfg);
	nc = ztdp_netconf_alloc();
	assert_int_equal(ztdp_netconf_decode(cfg->dict, cfg->len, nc, NULL), 0);

	node_init_at(&a, me, my_ip, &o);
	memset(&pc, 0, sizeof(pc));
	pc.address = other;
	pc.key = k->key[ic->me][ic->other].key;
	pc.suite = ZTDP_CIPHER_AES_GMAC_SIV;
	ztdp_inetaddr_set_v4(&pc.to, 0x0a630001 + (uint32_t)ic->other, ZT_PORT);
	assert_int_equal(ztdp_dp_peer_upsert(a.dp, &pc), 0);
	assert_int_equal(ztdp_dp_network_upsert_netconf(a.dp, nc, me, a.l2_port, 0), 0);
	assert_int_equal(ztdp_dp_peer_gate(a.dp, other, nc->nwid, true), 0);
	my_mac = ztdp_mac_from_address(me, nc->nwid);

	/* The TAP: frames that came over ZeroTier (source not our MAC). */
	tap = calloc(1024, sizeof(*tap));
	taplen = calloc(1024, sizeof(*taplen));
	pc_in = pcap_open_offline(ztdp_test_shared_path(tap_rel), ebuf);
	assert_non_null(pc_in);
	while (pcap_next_ex(pc_in, &h, &pkt) == 1) {
		tap_end = (double)h->ts.tv_sec + h->ts.tv_usec / 1e6;
		if (h->caplen >= 14 && get48(pkt + 6) != my_mac && ntap < 1024) {
			tap[ntap] = malloc(h->caplen);
			memcpy(tap[ntap], pkt, h->caplen);
			taplen[ntap++] = h->caplen;
		}
	}
	pcap_close(pc_in);

	/* Every frame the bridge carried to our UDP port, up to the end of
	 * the TAP capture (the underlay capture runs a little longer). */
	pc_in = pcap_open_offline(ztdp_test_shared_path(ul_rel), ebuf);
	assert_non_null(pc_in);
	assert_int_equal(pcap_datalink(pc_in), DLT_EN10MB);
	while (pcap_next_ex(pc_in, &h, &pkt) == 1) {
		const uint8_t *ip = pkt + 14;
		struct rte_mbuf *m;

		if ((double)h->ts.tv_sec + h->ts.tv_usec / 1e6 > tap_end)
			break;
		if (h->caplen < 42 || pkt[12] != 0x08 || pkt[13] != 0 || ip[9] != 17 ||
		    memcmp(ip + 16, my_ip, 4) != 0)
			continue;
		m = rte_pktmbuf_alloc(pool);
		assert_non_null(m);
		memcpy(rte_pktmbuf_append(m, (uint16_t)h->caplen), pkt, h->caplen);
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), a.mac, 6);
		inject(a.ul_in, m);
		run(&a);
		ztdp_dp_maintain(a.dp, ztdp_dp_now_ms());
	}
	pcap_close(pc_in);

	{
		struct rte_mbuf *m;
		bool *used = calloc(ntap + 1, sizeof(*used));

		while (rte_ring_dequeue(a.l2_out, (void **)&m) == 0) {
			bool found = false;

			for (size_t t = 0; t < ntap && !found; t++) {
				if (!used[t] && taplen[t] == m->pkt_len &&
				    memcmp(tap[t], rte_pktmbuf_mtod(m, void *), m->pkt_len) == 0)
					found = used[t] = true;
			}
			assert_true(found);
			matched++;
			rte_pktmbuf_free(m);
		}
		free(used);
	}
	printf("interop %s as %010llx: %zu frames delivered by the fast path, all byte-identical to frames on its TAP (%zu arrived there over ZeroTier); %llu handed to the node, %llu bridge MACs learned\n",
	       ic->set, (unsigned long long)me, matched, ntap,
	       (unsigned long long)stats(&a)->to_control,
	       (unsigned long long)ztdp_dp_bridge_mac_count(a.dp));
	assert_true(matched >= ic->min_frames);
	assert_int_equal(stats(&a)->drops[ZTDP_DP_DROP_ZT_AUTH], 0);
	for (size_t i = 0; i < ntap; i++)
		free(tap[i]);
	free(tap);
	free(taplen);
	ztdp_netconf_free(nc);
	nc_capture_free(&cap);
	interop_keys_free(k);
	free(k);
	node_fini(&a);
}

/* interop/data: member a, pings from b (10 x 56 B, 5 x 2700 B, ARP). */
static void test_interop_decap(void **state)
{
	static const struct interop_case ic = {
		"interop/data", "underlay-join-ping.pcap", "overlay-a-ping.pcap", 1, 2, 30,
	};

	(void)state;
	interop_decap(&ic);
}

/* interop/data-bridge: member b, with a an active bridge sending its LAN
 * host's frames as EXT_FRAME (notes 11.9); IPv6 too. */
static void test_interop_bridge(void **state)
{
	static const struct interop_case ic = {
		"interop/data-bridge", "bridge-underlay.pcap", "bridge-overlay-b.pcap", 2, 1, 30,
	};

	(void)state;
	interop_decap(&ic);
}

int main(void)
{
	char prefix[64];
	char *eal_argv[] = {
		"test_dataplane", "-l", "0", "--no-huge", "--no-pci", "--no-shconf", "-m", "256",
		prefix, "--no-telemetry", "--log-level=lib.eal:notice",
		"--log-level=pmd.net.ring:warning", NULL,
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_frame_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_checksum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fragments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_l2_port_mtu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multicast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bridge_learning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dispatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pcap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interop_decap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interop_bridge, setup, teardown),
	};
	int rc;

	snprintf(prefix, sizeof(prefix), "--file-prefix=ztdp_test_dp_%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal_argv) - 1, eal_argv) < 0) {
		printf("cannot start DPDK's EAL: %s; skipping\n", rte_strerror(rte_errno));
		return 77;
	}
	if (ztdp_crypto_init(NULL) < 0) {
		printf("crypto init failed\n");
		return 1;
	}
	pool = rte_pktmbuf_pool_create("tdp_pool", 16383, 64, 0,
				       RTE_PKTMBUF_HEADROOM + 2048, SOCKET_ID_ANY);
	bigpool = rte_pktmbuf_pool_create("tdp_big", 255, 16, 0,
					  RTE_PKTMBUF_HEADROOM + 10240, SOCKET_ID_ANY);
	if (pool == NULL || bigpool == NULL) {
		printf("cannot create mbuf pools: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	for (size_t i = 0; i < sizeof(key_ab); i++) {
		key_ab[i] = (uint8_t)rte_rand();
		key_ac[i] = (uint8_t)rte_rand();
		key_bc[i] = (uint8_t)rte_rand();
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_mempool_free(pool);
	rte_mempool_free(bigpool);
	/* EAL leaves its (by now empty) runtime directory behind. */
	snprintf(prefix, sizeof(prefix), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(prefix);
	return rc;
}
