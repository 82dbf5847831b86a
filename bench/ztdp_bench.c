/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ztdp-bench: the real dataplane (dataplane/) on virtual devices, in the
 * manner of testpmd.
 *
 *   ztdp-bench <EAL options> -- [--mode encap|decap|both|relay|io|crypto]
 *       [--frame-size N] [--suite 1|3] [--peers N] [--burst N]
 *       [--duration S] [--stats-period S] [--no-baseline] [--dir DIR] [--keep]
 *
 * Every worker lcore of EAL's -l list forwards; the main lcore prints.
 * (relay: we are a planet root, the peers' datagrams are for another node
 * and the dataplane relays them, dataplane/relay.c.)
 *
 * Two net_pcap ports with one RX queue per forwarding lcore, replaying
 * forever (infinite_rx) and dropping what is sent to them:
 *
 *   port 0, the underlay: armored datagrams from N synthetic peers to us,
 *           made first by the real encap code (one generator dataplane per
 *           peer, on net_ring ports) and written to a capture;
 *   port 1, L2: Ethernet frames from our MAC to the peers' MACs.
 *
 * One run measures, each for --duration seconds and with the same ports,
 * queues and lcore loop: "io" (bursts forwarded unchanged), "crypto" (the
 * dataplane's crypto engine: armor/dearmor in place with a peer's key,
 * nothing else), then the mode asked for; plus crypto alone without any
 * I/O (ztdp_armor_burst / ztdp_dearmor_burst on packets in memory). So the
 * ratios below come from one run on one machine state.
 *
 * While a pass runs, testpmd's per-port statistics blocks are printed
 * every --stats-period seconds; at the end, testpmd's forward statistics
 * and a summary per pass and lcore: Mpps, Gbit/s (of L2 frames,
 * frame-size bytes each), TSC cycles per packet (wall: all of the lcore's
 * time; busy: only turns that found work).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_ring.h>

#include "ztdp_armor.h"
#include "ztdp_buf.h"
#include "ztdp_crypto.h"
#include "ztdp_dp.h"
#include "ztdp_mac.h"

#define PROG		"ztdp-bench"
#define SELF		0x1a2b3c4d5eULL
#define RELAY_DEST	0x2a3b4c5d6eULL	/* --mode relay: where the peers send */
#define NWID		0xc0ffee0001000042ULL
#define ZT_PORT		9993
#define CAPTURE_FRAMES	1024	/* per capture (each queue replays all) */
#define MAX_PEERS	4096
#define GEN_RING	8192

struct opts {
	const char *mode;
	unsigned int frame_size;
	unsigned int suite;
	unsigned int peers;
	unsigned int burst;
	double duration;
	double period;
	bool baseline;
	bool keep;
	char dir[200];
};

struct peer {
	uint64_t addr;
	uint8_t key[ZTDP_PEER_KEY_LEN];
	uint8_t mac[6];
	uint8_t ip4[4];
};

static struct opts o = {
	.mode = "encap", .frame_size = 1400, .suite = 3, .peers = 1, .burst = 32,
	.duration = 5, .period = 1, .baseline = true, .dir = "/tmp",
};
static struct peer *peers;
static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t our_ip[4] = { 10, 0, 0, 1 };
static volatile bool quit;
static unsigned int gen_uniq;
static bool relay_mode;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static void on_signal(int sig)
{
	(void)sig;
	quit = true;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " <EAL options> -- [options]\n"
		"  -m, --mode M          encap, decap, both, relay, io or crypto (default encap)\n"
		"  -s, --frame-size N    L2 frame bytes, Ethernet header included (default 1400)\n"
		"  -c, --suite N         cipher suite 1 (Salsa20/Poly1305) or 3 (AES-GMAC-SIV, default)\n"
		"  -p, --peers N         synthetic peers the traffic is spread over (default 1)\n"
		"  -b, --burst N         RX burst size, 1..%d (default 32)\n"
		"  -d, --duration S      seconds per pass (default 5)\n"
		"  -t, --stats-period S  seconds between port statistics (default 1; 0 = none)\n"
		"  -n, --no-baseline     skip the io and crypto passes\n"
		"  -D, --dir DIR         where the generated captures go (default /tmp)\n"
		"  -k, --keep            keep the captures\n"
		"Every EAL worker lcore forwards (e.g. -l 0-1: one forwarding lcore).\n",
		ZTDP_DP_BURST);
}

static unsigned long parse_num(const char *s, const char *what, unsigned long lo,
			       unsigned long hi)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi)
		die("%s must be a number from %lu to %lu (got \"%s\")", what, lo, hi, s);
	return v;
}

static double parse_secs(const char *s, const char *what, double lo)
{
	char *end;
	double v = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || !(v >= lo) || v > 3600)
		die("%s must be seconds from %g to 3600 (got \"%s\")", what, lo, s);
	return v;
}

static void parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "frame-size", required_argument, NULL, 's' },
		{ "suite", required_argument, NULL, 'c' },
		{ "peers", required_argument, NULL, 'p' },
		{ "burst", required_argument, NULL, 'b' },
		{ "duration", required_argument, NULL, 'd' },
		{ "stats-period", required_argument, NULL, 't' },
		{ "no-baseline", no_argument, NULL, 'n' },
		{ "dir", required_argument, NULL, 'D' },
		{ "keep", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "m:s:c:p:b:d:t:nD:kh", lo, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (strcmp(optarg, "encap") && strcmp(optarg, "decap") &&
			    strcmp(optarg, "both") && strcmp(optarg, "io") &&
			    strcmp(optarg, "crypto") && strcmp(optarg, "relay"))
				die("--mode must be encap, decap, both, relay, io or crypto (got \"%s\")",
				    optarg);
			o.mode = optarg;
			relay_mode = strcmp(optarg, "relay") == 0;
			break;
		case 's':
			o.frame_size = (unsigned int)parse_num(optarg, "--frame-size", 60, 9000);
			break;
		case 'c':
			o.suite = (unsigned int)parse_num(optarg, "--suite", 1, 3);
			if (o.suite == 2)
				die("--suite must be 1 or 3");
			break;
		case 'p':
			o.peers = (unsigned int)parse_num(optarg, "--peers", 1, MAX_PEERS);
			break;
		case 'b':
			o.burst = (unsigned int)parse_num(optarg, "--burst", 1, ZTDP_DP_BURST);
			break;
		case 'd':
			o.duration = parse_secs(optarg, "--duration", 0.1);
			break;
		case 't':
			o.period = parse_secs(optarg, "--stats-period", 0);
			break;
		case 'n':
			o.baseline = false;
			break;
		case 'D':
			snprintf(o.dir, sizeof(o.dir), "%s", optarg);
			break;
		case 'k':
			o.keep = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(1);
		}
	}
	if (optind < argc)
		die("unexpected argument \"%s\" (see --help)", argv[optind]);
}

/* ---- Synthetic world ---------------------------------------------------------- */

static void world_init(void)
{
	peers = calloc(o.peers, sizeof(*peers));
	if (peers == NULL)
		die("out of memory");
	for (unsigned int i = 0; i < o.peers; i++) {
		struct peer *p = &peers[i];

		p->addr = 0x2000000000ULL + (uint64_t)i * 0x10001ULL;
		for (size_t j = 0; j < sizeof(p->key); j++)
			p->key[j] = (uint8_t)rte_rand();
		memcpy(p->mac, (uint8_t[]){ 0x02, 0x01, 0, 0, (uint8_t)(i >> 8), (uint8_t)i }, 6);
		memcpy(p->ip4, (uint8_t[]){ 10, 1, (uint8_t)(i >> 8), (uint8_t)(i + 1) }, 4);
	}
}

static void put48(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 6; i++)
		p[i] = (uint8_t)(v >> (40 - 8 * i));
}

/* An IPv4-looking Ethernet frame from src to dst, frame_size bytes. */
static void make_frame(uint8_t *f, uint64_t dst, uint64_t src, unsigned int n)
{
	put48(f, dst);
	put48(f + 6, src);
	f[12] = 0x08;
	f[13] = 0x00;
	for (unsigned int i = 14; i < o.frame_size; i++)
		f[i] = (uint8_t)(i * 13 + n);
	if (o.frame_size >= 34) {
		f[14] = 0x45;
		f[16] = (uint8_t)((o.frame_size - 14) >> 8);
		f[17] = (uint8_t)(o.frame_size - 14);
		f[23] = 17;
	}
}

static pcap_dumper_t *capture_create(const char *path, pcap_t **pc)
{
	pcap_dumper_t *d;

	*pc = pcap_open_dead(DLT_EN10MB, 65535);
	if (*pc == NULL)
		die("libpcap: cannot make a capture handle");
	d = pcap_dump_open(*pc, path);
	if (d == NULL)
		die("cannot write %s: %s", path, pcap_geterr(*pc));
	return d;
}

static void pcap_put(pcap_dumper_t *d, const uint8_t *data, uint32_t len)
{
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof(h));
	h.caplen = h.len = len;
	pcap_dump((u_char *)d, &h, data);
}

/* L2 input: frames from our MAC to the peers' MACs, round robin. */
static void gen_l2_capture(const char *path)
{
	uint8_t *f = malloc(o.frame_size);
	pcap_t *pc;
	pcap_dumper_t *d = capture_create(path, &pc);

	for (unsigned int n = 0; n < CAPTURE_FRAMES; n++) {
		make_frame(f, ztdp_mac_from_address(peers[n % o.peers].addr, NWID),
			   ztdp_mac_from_address(SELF, NWID), n);
		pcap_put(d, f, o.frame_size);
	}
	pcap_dump_close(d);
	pcap_close(pc);
	free(f);
}

/* One generator dataplane per peer: the peer's side of the link, built
 * with the same code, encapsulating frames to us. */
static struct rte_mbuf **gen_peer(struct rte_mempool *mp, unsigned int pi, unsigned int frames,
				  unsigned int *count)
{
	const struct peer *p = &peers[pi];
	struct rte_ring *rings[4];
	struct ztdp_dp_config c;
	struct ztdp_dp_network_conf nc;
	struct ztdp_dp_peer_conf pcf;
	struct ztdp_rule accept = { .t = ZTDP_RULE_ACTION_ACCEPT };
	struct ztdp_dp *g;
	struct rte_mbuf **out;
	char name[32], err[256];
	int ports[2];
	unsigned int n = 0;
	uint8_t *f = malloc(o.frame_size);

	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "gen%u_%d", gen_uniq, i);
		rings[i] = rte_ring_create(name, GEN_RING, SOCKET_ID_ANY,
					   RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (rings[i] == NULL)
			die("cannot create ring %s: %s", name, rte_strerror(rte_errno));
	}
	memset(&c, 0, sizeof(c));
	for (int i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "gen%u_p%d", gen_uniq, i);
		ports[i] = rte_eth_from_rings(name, &rings[2 * i], 1, &rings[2 * i + 1], 1, 0);
		if (ports[i] < 0 ||
		    ztdp_dp_port_setup((uint16_t)ports[i], 1, mp, 0, false,
				       i == 0 ? &c.ul.port : &c.l2[0], err, sizeof(err)) < 0)
			die("generator port: %s", ports[i] < 0 ? "cannot create" : err);
	}
	snprintf(name, sizeof(name), "gen%u", gen_uniq++);
	c.name = name;
	c.self = p->addr;
	c.lcores = 1;
	memcpy(c.ul.mac, p->mac, 6);
	c.ul.udp_port = ZT_PORT;
	c.ul.has_ip4 = true;
	memcpy(c.ul.ip4, p->ip4, 4);
	c.l2_count = 1;
	c.pool = mp;
	c.big_mbufs = 64;
	c.max_peers = c.max_groups = c.max_bridge_macs = 64;
	c.engine = "encap";
	if (ztdp_dp_create(&g, &c, err, sizeof(err)) < 0)
		die("generator dataplane: %s", err);
	memset(&pcf, 0, sizeof(pcf));
	pcf.address = relay_mode ? RELAY_DEST : SELF;
	pcf.key = p->key;
	pcf.suite = (uint8_t)o.suite;
	ztdp_inetaddr_set_v4(&pcf.to, ztdp_load_be32(our_ip), ZT_PORT);
	memcpy(pcf.next_hop_mac, our_mac, 6);
	memset(&nc, 0, sizeof(nc));
	nc.nwid = NWID;
	nc.mac = ztdp_mac_from_address(p->addr, NWID);
	nc.l2_port = (uint16_t)ports[1];
	nc.mtu = RTE_MAX(2800u, o.frame_size);
	nc.multicast_limit = 32;
	nc.is_public = true;
	nc.rules = &accept;
	nc.rule_count = 1;
	if (ztdp_dp_peer_upsert(g, &pcf) < 0 || ztdp_dp_network_upsert(g, &nc) < 0)
		die("generator tables");
	out = calloc(frames * 8, sizeof(*out));
	for (unsigned int k = 0; k < frames; k++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

		if (m == NULL)
			die("generator: out of mbufs");
		make_frame(f, ztdp_mac_from_address(pcf.address, NWID),
			   ztdp_mac_from_address(p->addr, NWID), k);
		memcpy(rte_pktmbuf_append(m, (uint16_t)o.frame_size), f, o.frame_size);
		if (rte_ring_enqueue(rings[2], m) != 0)
			die("generator ring full");
		while (ztdp_dp_poll(g, 0) > 0)
			;
		while (n < frames * 8 && rte_ring_dequeue(rings[1], (void **)&out[n]) == 0)
			n++;
	}
	ztdp_dp_destroy(g);
	for (int i = 0; i < 2; i++) {
		rte_eth_dev_stop((uint16_t)ports[i]);
		rte_eth_dev_close((uint16_t)ports[i]);
	}
	for (int i = 0; i < 4; i++) {
		void *m = NULL;

		while (rte_ring_dequeue(rings[i], &m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(rings[i]);
	}
	free(f);
	*count = n;
	return out;
}

/* Underlay input: what the peers send us, interleaved peer by peer (a
 * fragmented packet's datagrams kept together). */
static void gen_ul_capture(struct rte_mempool *mp, const char *path)
{
	unsigned int per = (CAPTURE_FRAMES + o.peers - 1) / o.peers;
	struct rte_mbuf ***dg = calloc(o.peers, sizeof(*dg));
	unsigned int *cnt = calloc(o.peers, sizeof(*cnt)), *pos = calloc(o.peers, sizeof(*pos));
	pcap_t *pc;
	pcap_dumper_t *d;
	unsigned int left = 0;

	for (unsigned int i = 0; i < o.peers; i++) {
		dg[i] = gen_peer(mp, i, per, &cnt[i]);
		left += cnt[i];
	}
	d = capture_create(path, &pc);
	while (left > 0) {
		for (unsigned int i = 0; i < o.peers; i++) {
			/* One packet: a datagram and its fragments (byte 13 of
			 * the UDP payload is 0xff in fragments). */
			while (pos[i] < cnt[i]) {
				struct rte_mbuf *m = dg[i][pos[i]];
				const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);

				pcap_put(d, b, m->pkt_len);
				rte_pktmbuf_free(m);
				pos[i]++;
				left--;
				if (pos[i] == cnt[i] ||
				    rte_pktmbuf_mtod(dg[i][pos[i]], const uint8_t *)[42 + 13] != 0xff)
					break;
			}
		}
	}
	pcap_dump_close(d);
	pcap_close(pc);
	for (unsigned int i = 0; i < o.peers; i++)
		free(dg[i]);
	free(dg);
	free(cnt);
	free(pos);
}

/* ---- Ports ---------------------------------------------------------------------- */

static uint16_t pcap_port(const char *name, const char *path, unsigned int queues,
			  struct rte_mempool *mp, struct ztdp_dp_port *out)
{
	char args[4096], err[256];
	size_t off = 0;
	uint16_t port;

	for (unsigned int q = 0; q < queues; q++)
		off += (size_t)snprintf(args + off, sizeof(args) - off, "rx_pcap=%s,", path);
	snprintf(args + off, sizeof(args) - off, "infinite_rx=1");
	if (rte_vdev_init(name, args) != 0)
		die("cannot create %s (%s)", name, args);
	if (rte_eth_dev_get_port_by_name(name, &port) != 0)
		die("no port for %s", name);
	if (ztdp_dp_port_setup(port, queues, mp, 0, true, out, err, sizeof(err)) < 0)
		die("%s", err);
	if (out->rx_queues < queues)
		die("%s: %u RX queues for %u lcores", name, out->rx_queues, queues);
	return port;
}

/* ---- Statistics in testpmd's format ------------------------------------------------ */

#define BORDER "########################"

struct port_prev {
	uint64_t ipackets, opackets, ibytes, obytes, tsc;
};

static void show_port(uint16_t port, struct port_prev *prev)
{
	struct rte_eth_stats s;
	uint64_t now = rte_rdtsc(), dt = now - prev->tsc, hz = rte_get_tsc_hz();
	uint64_t rx_pps = 0, tx_pps = 0, rx_bps = 0, tx_bps = 0;

	rte_eth_stats_get(port, &s);
	if (prev->tsc != 0 && dt > 0) {
		rx_pps = (uint64_t)((double)(s.ipackets - prev->ipackets) * hz / dt);
		tx_pps = (uint64_t)((double)(s.opackets - prev->opackets) * hz / dt);
		rx_bps = (uint64_t)((double)(s.ibytes - prev->ibytes) * 8 * hz / dt);
		tx_bps = (uint64_t)((double)(s.obytes - prev->obytes) * 8 * hz / dt);
	}
	printf("\n  %s NIC statistics for port %-2u %s\n", BORDER, port, BORDER);
	printf("  RX-packets: %-10" PRIu64 " RX-missed: %-10" PRIu64 " RX-bytes:  %-" PRIu64 "\n",
	       s.ipackets, s.imissed, s.ibytes);
	printf("  RX-errors: %-" PRIu64 "\n", s.ierrors);
	printf("  RX-nombuf:  %-10" PRIu64 "\n", s.rx_nombuf);
	printf("  TX-packets: %-10" PRIu64 " TX-errors: %-10" PRIu64 " TX-bytes:  %-" PRIu64 "\n",
	       s.opackets, s.oerrors, s.obytes);
	printf("\n  Throughput (since last show)\n");
	printf("  Rx-pps: %12" PRIu64 "          Rx-bps: %12" PRIu64 "\n", rx_pps, rx_bps);
	printf("  Tx-pps: %12" PRIu64 "          Tx-bps: %12" PRIu64 "\n", tx_pps, tx_bps);
	printf("  %s############################%s\n", BORDER, BORDER);
	prev->ipackets = s.ipackets;
	prev->opackets = s.opackets;
	prev->ibytes = s.ibytes;
	prev->obytes = s.obytes;
	prev->tsc = now;
}

static void show_forward(uint16_t port, const char *role, const struct rte_eth_stats *s,
			 uint64_t drops)
{
	printf("\n  ---------------------- Forward statistics for port %-2u (%s) ----------------------\n",
	       port, role);
	printf("  RX-packets: %-14" PRIu64 " RX-dropped: %-14" PRIu64 " RX-total: %-" PRIu64 "\n",
	       s->ipackets, s->imissed, s->ipackets + s->imissed);
	printf("  TX-packets: %-14" PRIu64 " TX-dropped: %-14" PRIu64 " TX-total: %-" PRIu64 "\n",
	       s->opackets, s->oerrors, s->opackets + s->oerrors);
	printf("  dataplane drops (all reasons): %" PRIu64 "\n", drops);
	printf("  ----------------------------------------------------------------------------------\n");
}

/* ---- Passes ---------------------------------------------------------------------------- */

struct pass_result {
	char name[24];
	unsigned int lcores;
	double secs;
	uint64_t pkts[RTE_MAX_LCORE];		/* per forwarding lcore */
	uint64_t busy[RTE_MAX_LCORE];
	uint64_t total, drops;
	uint64_t enc, dec;			/* both: per direction */
	double mpps;
};

static unsigned int fwd_lcores[RTE_MAX_LCORE], n_fwd;

/* Packets a pass counts for lcore stats s under engine e. */
static uint64_t pass_packets(const char *engine, const struct ztdp_dp_stats *s)
{
	if (strcmp(engine, "encap") == 0)
		return s->encap;
	if (strcmp(engine, "decap") == 0)
		return s->decap;
	if (strcmp(engine, "both") == 0)
		return s->encap + s->decap;
	if (strcmp(engine, "relay") == 0)
		return s->relayed;
	return s->ul_tx + s->l2_tx;	/* io, crypto: one out per in */
}

static void run_pass(struct ztdp_dp *dp, const char *label, const char *engine,
		     unsigned int dirs, uint16_t ul_port, uint16_t l2_port,
		     struct pass_result *r)
{
	struct ztdp_dp_stats start[RTE_MAX_LCORE], end;
	struct rte_eth_stats ps[2];
	struct port_prev prev[2];
	uint64_t hz = rte_get_tsc_hz(), t0, t1, next_show;
	const uint16_t ports[2] = { ul_port, l2_port };

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", label);
	r->lcores = n_fwd;
	if (ztdp_dp_set_engine(dp, engine) < 0)
		die("no engine %s", engine);
	ztdp_dp_set_directions(dp, dirs);
	ztdp_dp_stats_reset(dp);
	ztdp_dp_arm(dp);
	printf("\n=== pass %s: engine %s, %u forwarding lcore%s, %.1f s ===\n", label, engine,
	       n_fwd, n_fwd == 1 ? "" : "s", o.duration);
	fflush(stdout);
	for (unsigned int i = 0; i < n_fwd; i++)
		if (rte_eal_remote_launch(ztdp_dp_lcore_main, ztdp_dp_lcore_arg(dp, i),
					  fwd_lcores[i]) != 0)
			die("cannot launch lcore %u", fwd_lcores[i]);
	/* Warm up (caches, pool), then measure from here. */
	rte_delay_us_sleep(300 * 1000);
	for (int i = 0; i < 2; i++) {
		rte_eth_stats_reset(ports[i]);
		memset(&prev[i], 0, sizeof(prev[i]));
		prev[i].tsc = rte_rdtsc();
	}
	for (unsigned int i = 0; i < n_fwd; i++)
		start[i] = *ztdp_dp_stats_lcore(dp, i);
	t0 = rte_rdtsc();
	next_show = o.period > 0 ? t0 + (uint64_t)(o.period * hz) : UINT64_MAX;
	while (!quit && rte_rdtsc() - t0 < (uint64_t)(o.duration * hz)) {
		rte_delay_us_sleep(20 * 1000);
		if (rte_rdtsc() >= next_show) {
			for (int i = 0; i < 2; i++)
				show_port(ports[i], &prev[i]);
			fflush(stdout);
			next_show += (uint64_t)(o.period * hz);
		}
	}
	t1 = rte_rdtsc();
	for (unsigned int i = 0; i < n_fwd; i++) {
		const struct ztdp_dp_stats *s = ztdp_dp_stats_lcore(dp, i);

		end = *s;
		r->pkts[i] = pass_packets(label, &end) - pass_packets(label, &start[i]);
		r->busy[i] = end.busy_cycles - start[i].busy_cycles;
		r->total += r->pkts[i];
		r->enc += end.encap - start[i].encap;
		r->dec += end.decap - start[i].decap;
		r->drops += ztdp_dp_drops_total(&end) - ztdp_dp_drops_total(&start[i]);
	}
	for (int i = 0; i < 2; i++)
		rte_eth_stats_get(ports[i], &ps[i]);
	ztdp_dp_stop(dp);
	rte_eal_mp_wait_lcore();
	r->secs = (double)(t1 - t0) / hz;
	r->mpps = r->total / r->secs / 1e6;
	show_forward(ul_port, "underlay", &ps[0], r->drops);
	show_forward(l2_port, "L2", &ps[1], r->drops);
	printf("\n  +++++++++++++++ Accumulated forward statistics for all ports +++++++++++++++\n");
	printf("  RX-packets: %-14" PRIu64 " TX-packets: %-14" PRIu64 " pass %s: %" PRIu64
	       " packets, %.3f Mpps\n",
	       ps[0].ipackets + ps[1].ipackets, ps[0].opackets + ps[1].opackets, label, r->total,
	       r->mpps);
	printf("  ++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++\n");
	if (r->drops > 0) {
		struct ztdp_dp_stats sum;

		ztdp_dp_stats_sum(dp, &sum);
		for (unsigned int i = 0; i < ZTDP_DP_N_DROP; i++)
			if (sum.drops[i] > 0)
				printf("  drops %-20s %" PRIu64 "  (%s)\n", ztdp_dp_drop_key(i),
				       sum.drops[i], ztdp_dp_drop_text(i));
	}
	fflush(stdout);
}

/* Crypto alone, no I/O: each forwarding lcore armors (or dearmors) bursts
 * of packets in memory, of the size the dataplane produces. */
struct noio {
	bool dearmor;
	uint64_t pkts, cycles;
} __rte_cache_aligned;

static struct noio noio[RTE_MAX_LCORE];
static volatile bool noio_stop;

static int noio_main(void *arg)
{
	struct noio *w = arg;
	enum { NPKT = 128 };
	size_t len = o.frame_size + 24;	/* a FRAME of frame-size bytes */
	uint8_t *buf = rte_malloc("noio", NPKT * RTE_ALIGN_CEIL(len, 64), 64);
	struct ztdp_peer_key pk;
	struct ztdp_crypto_op ops[ZTDP_DP_BURST];

	if (buf == NULL || ztdp_peer_key_init(&pk, peers[0].key) != ZTDP_ARMOR_OK)
		return -1;
	for (unsigned int i = 0; i < NPKT; i++) {
		uint8_t *p = buf + i * RTE_ALIGN_CEIL(len, 64);

		memset(p, (int)i, len);
		ztdp_store_be40(p + 8, SELF);
		ztdp_store_be40(p + 13, peers[0].addr);
		p[18] = 0;
		p[27] = 0x06;
		if (w->dearmor)
			ztdp_armor(&pk, p, len, o.suite);
	}
	while (!noio_stop) {
		for (unsigned int b = 0; b < NPKT / ZTDP_DP_BURST; b++) {
			uint64_t t;

			for (unsigned int i = 0; i < ZTDP_DP_BURST; i++) {
				ops[i].pkt = buf + (b * ZTDP_DP_BURST + i) * RTE_ALIGN_CEIL(len, 64);
				ops[i].key = &pk;
				ops[i].len = (uint32_t)len;
				ops[i].suite = (uint8_t)o.suite;
			}
			t = rte_rdtsc();
			if (w->dearmor) {
				if (ztdp_dearmor_burst(ops, ZTDP_DP_BURST) != ZTDP_DP_BURST)
					return -1;
				w->cycles += rte_rdtsc() - t;
				/* Armored again for the next round, untimed. */
				ztdp_armor_burst(ops, ZTDP_DP_BURST);
			} else {
				ztdp_armor_burst(ops, ZTDP_DP_BURST);
				w->cycles += rte_rdtsc() - t;
			}
			w->pkts += ZTDP_DP_BURST;
		}
	}
	ztdp_peer_key_clear(&pk);
	rte_free(buf);
	return 0;
}

/* Per-lcore Mpps of crypto alone (on the time spent in the calls). */
static double run_noio(bool dearmor)
{
	uint64_t hz = rte_get_tsc_hz();
	double sum = 0;

	noio_stop = false;
	for (unsigned int i = 0; i < n_fwd; i++) {
		memset(&noio[i], 0, sizeof(noio[i]));
		noio[i].dearmor = dearmor;
		rte_eal_remote_launch(noio_main, &noio[i], fwd_lcores[i]);
	}
	rte_delay_us_sleep((unsigned int)(RTE_MIN(o.duration, 3.0) * 1e6));
	noio_stop = true;
	rte_eal_mp_wait_lcore();
	for (unsigned int i = 0; i < n_fwd; i++)
		if (noio[i].cycles > 0)
			sum += noio[i].pkts / ((double)noio[i].cycles / hz) / 1e6;
	return sum / n_fwd;
}

static void print_summary(const struct pass_result *res, unsigned int nres,
			  double noio_armor, double noio_dearmor)
{
	uint64_t hz = rte_get_tsc_hz();
	const struct pass_result *main_r = &res[nres - 1], *io = NULL, *cr = NULL;

	printf("\n================================ ztdp-bench summary ================================\n");
	printf("frame %u B, suite %u (%s, AES backend %s), %u peer%s, burst %u, %u forwarding lcore%s, TSC %.3f GHz\n",
	       o.frame_size, o.suite, o.suite == 3 ? "AES-GMAC-SIV" : "Salsa20/12-Poly1305",
	       ztdp_crypto_aes_backend_name(), o.peers, o.peers == 1 ? "" : "s", o.burst, n_fwd,
	       n_fwd == 1 ? "" : "s", hz / 1e9);
	printf("%-8s %5s %12s %9s %9s %10s %10s %8s\n", "pass", "lcore", "packets", "Mpps",
	       "Gbit/s", "cyc/pkt", "busy c/p", "drops");
	for (unsigned int k = 0; k < nres; k++) {
		const struct pass_result *r = &res[k];

		if (strcmp(r->name, "io") == 0)
			io = r;
		if (strcmp(r->name, "crypto") == 0)
			cr = r;
		for (unsigned int i = 0; i < r->lcores; i++) {
			double mpps = r->pkts[i] / r->secs / 1e6;

			printf("%-8s %5u %12" PRIu64 " %9.3f %9.2f %10.0f %10.0f %8s\n", r->name,
			       fwd_lcores[i], r->pkts[i], mpps, mpps * o.frame_size * 8 / 1e3,
			       r->pkts[i] ? r->secs * hz / r->pkts[i] : 0.0,
			       r->pkts[i] ? (double)r->busy[i] / r->pkts[i] : 0.0, "");
		}
		printf("%-8s %5s %12" PRIu64 " %9.3f %9.2f %10s %10s %8" PRIu64 "\n", r->name, "all",
		       r->total, r->mpps, r->mpps * o.frame_size * 8 / 1e3, "", "", r->drops);
		if (strcmp(r->name, "both") == 0)
			printf("%-8s %5s encap %.3f Mpps + decap %.3f Mpps\n", "", "",
			       r->enc / r->secs / 1e6, r->dec / r->secs / 1e6);
	}
	printf("crypto without I/O, per lcore: armor %.3f Mpps, dearmor %.3f Mpps (%zu-byte packets)\n",
	       noio_armor, noio_dearmor, (size_t)o.frame_size + 24);
	if (strcmp(main_r->name, "io") != 0 && strcmp(main_r->name, "crypto") != 0) {
		double base = strcmp(main_r->name, "encap") == 0 ? noio_armor :
			      strcmp(main_r->name, "decap") == 0 ? noio_dearmor :
			      2 / (1 / noio_armor + 1 / noio_dearmor);

		printf("ratios (%s): ", main_r->name);
		/* The crypto engine drops what it cannot dearmor alone
		 * (fragments): then it is no yardstick. */
		if (cr != NULL && cr->drops * 100 <= cr->total)
			printf("%.1f %% of the crypto engine, ", 100 * main_r->mpps / cr->mpps);
		else if (cr != NULL)
			printf("crypto engine n/a (fragmented traffic), ");
		printf("%.1f %% of crypto without I/O", 100 * main_r->mpps / (base * n_fwd));
		if (io != NULL)
			printf(", %.1f %% of io", 100 * main_r->mpps / io->mpps);
		printf("\n");
		/* What the dataplane adds to the vdevs' own per-packet I/O (a
		 * memcpy of every frame for net_pcap's replay), and how much
		 * of that is the crypto itself. Not with fragments: io then
		 * counts datagrams, not frames. */
		if (io != NULL && (cr == NULL || cr->drops * 100 <= cr->total)) {
			double per = n_fwd * hz / (main_r->mpps * 1e6);
			double io_per = n_fwd * hz / (io->mpps * 1e6);
			double cr_per = hz / (base * 1e6);

			printf("net of I/O: %.0f cycles/packet of dataplane work beyond io's %.0f, of which crypto %.0f (%.1f %%)\n",
			       per - io_per, io_per, cr_per, 100 * cr_per / (per - io_per));
		}
	}
	printf("(Gbit/s: L2 frames of %u bytes; cyc/pkt: TSC cycles of the whole lcore per packet; busy c/p: of turns that found work)\n",
	       o.frame_size);
}

int main(int argc, char **argv)
{
	struct pass_result res[4];
	unsigned int nres = 0, dirs, lc;
	struct ztdp_dp_config c;
	struct ztdp_dp *dp;
	struct rte_mempool *mp;
	char ul_path[256], l2_path[256], err[256];
	uint16_t ul_port, l2_port;
	struct ztdp_rule accept = { .t = ZTDP_RULE_ACTION_ACCEPT };
	struct ztdp_dp_network_conf nc;
	double noio_armor, noio_dearmor;
	int rc;

	rc = rte_eal_init(argc, argv);
	if (rc < 0)
		die("cannot start DPDK: %s (EAL options come before '--')", rte_strerror(rte_errno));
	argc -= rc;
	argv += rc;
	optind = 1;
	parse_args(argc, argv);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (ztdp_crypto_init(NULL) < 0)
		die("crypto initialisation failed");
	RTE_LCORE_FOREACH_WORKER(lc)
		fwd_lcores[n_fwd++] = lc;
	if (n_fwd == 0)
		die("no worker lcore: give EAL at least two (-l 0-1); the main lcore only prints");
	if (n_fwd > ZTDP_DP_MAX_LCORES)
		die("at most %d forwarding lcores", ZTDP_DP_MAX_LCORES);
	world_init();

	/* Pool: two ports' captures preloaded per queue, bursts in flight,
	 * descriptors; data room for a frame plus every header. */
	mp = rte_pktmbuf_pool_create("bench_pool", RTE_MAX(16383u, n_fwd * 4 * 4096u - 1), 256, 0,
				     (uint16_t)(RTE_PKTMBUF_HEADROOM +
						RTE_MAX(2048u, RTE_ALIGN_CEIL(o.frame_size + 128, 64))),
				     SOCKET_ID_ANY);
	if (mp == NULL)
		die("cannot create the mbuf pool: %s (give EAL more memory: -m 1024)",
		    rte_strerror(rte_errno));
	snprintf(ul_path, sizeof(ul_path), "%s/ztdp-bench-ul-%d.pcap", o.dir, (int)getpid());
	snprintf(l2_path, sizeof(l2_path), "%s/ztdp-bench-l2-%d.pcap", o.dir, (int)getpid());
	printf("generating %s (L2 frames) and %s (datagrams from %u peer%s, made by the encap code)\n",
	       l2_path, ul_path, o.peers, o.peers == 1 ? "" : "s");
	gen_l2_capture(l2_path);
	gen_ul_capture(mp, ul_path);

	memset(&c, 0, sizeof(c));
	ul_port = pcap_port("net_pcap_ul", ul_path, n_fwd, mp, &c.ul.port);
	l2_port = pcap_port("net_pcap_l2", l2_path, n_fwd, mp, &c.l2[0]);
	c.name = "bench";
	c.self = SELF;
	c.lcores = n_fwd;
	memcpy(c.ul.mac, our_mac, 6);
	c.ul.udp_port = ZT_PORT;
	c.ul.has_ip4 = true;
	memcpy(c.ul.ip4, our_ip, 4);
	c.l2_count = 1;
	c.pool = mp;
	c.max_peers = RTE_MAX(1024u, o.peers * 2);
	c.burst = o.burst;
	c.crypto_peer = peers[0].addr;
	c.relay = relay_mode;
	c.socket = -1;
	if (ztdp_dp_create(&dp, &c, err, sizeof(err)) < 0)
		die("%s", err);
	for (unsigned int i = 0; i < o.peers; i++) {
		struct ztdp_dp_peer_conf pc;

		memset(&pc, 0, sizeof(pc));
		pc.address = peers[i].addr;
		pc.key = peers[i].key;
		pc.suite = (uint8_t)o.suite;
		ztdp_inetaddr_set_v4(&pc.to, ztdp_load_be32(peers[i].ip4), ZT_PORT);
		memcpy(pc.next_hop_mac, peers[i].mac, 6);
		if (ztdp_dp_peer_upsert(dp, &pc) < 0)
			die("cannot add peer %u", i);
	}
	if (relay_mode) {
		/* The node the peers' datagrams are for, behind 10.0.0.254. */
		struct ztdp_dp_peer_conf pc = { .address = RELAY_DEST, .key = peers[0].key,
						.suite = (uint8_t)o.suite };

		ztdp_inetaddr_set_v4(&pc.to, 0x0a0000feu, ZT_PORT);
		memcpy(pc.next_hop_mac, (const uint8_t[6]){ 0x02, 0, 0, 0, 0, 0xfe }, 6);
		if (ztdp_dp_peer_upsert(dp, &pc) < 0)
			die("cannot add the relay destination");
	}
	memset(&nc, 0, sizeof(nc));
	nc.nwid = NWID;
	nc.mac = ztdp_mac_from_address(SELF, NWID);
	nc.l2_port = l2_port;
	nc.mtu = RTE_MAX(2800u, o.frame_size);
	nc.multicast_limit = 32;
	nc.is_public = true;
	nc.rules = &accept;
	nc.rule_count = 1;
	if (ztdp_dp_network_upsert(dp, &nc) < 0)
		die("cannot add the network");

	dirs = strcmp(o.mode, "encap") == 0 ? ZTDP_DP_DIR_ENCAP :
	       strcmp(o.mode, "decap") == 0 || relay_mode ? ZTDP_DP_DIR_DECAP :
	       ZTDP_DP_DIR_ENCAP | ZTDP_DP_DIR_DECAP;
	noio_armor = run_noio(false);
	noio_dearmor = run_noio(true);
	if (o.baseline && strcmp(o.mode, "io") != 0 && strcmp(o.mode, "crypto") != 0) {
		run_pass(dp, "io", "io", dirs, ul_port, l2_port, &res[nres++]);
		if (!quit)
			run_pass(dp, "crypto", "crypto", dirs, ul_port, l2_port, &res[nres++]);
	}
	if (!quit)
		run_pass(dp, o.mode, relay_mode ? "decap" : o.mode, dirs, ul_port, l2_port,
			 &res[nres++]);
	print_summary(res, nres, noio_armor, noio_dearmor);

	ztdp_dp_destroy(dp);
	rte_eth_dev_stop(ul_port);
	rte_eth_dev_stop(l2_port);
	rte_eth_dev_close(ul_port);
	rte_eth_dev_close(l2_port);
	rte_mempool_free(mp);
	if (!o.keep) {
		unlink(ul_path);
		unlink(l2_path);
	}
	free(peers);
	/* EAL leaves its (by now empty) runtime directory behind. */
	snprintf(ul_path, sizeof(ul_path), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(ul_path);
	return 0;
}
