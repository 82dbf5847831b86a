/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread: a plain pthread made with rte_ctrl_thread_create
 * (not an lcore, so it sleeps in poll() instead of spinning). It owns the
 * node, the neighbour cache, the state directory and the RPC socket, and
 * loops:
 *
 *   drain the ring from the dataplane, by the kind its lcores tagged:
 *     ARP/ND/ping -> ztdp_underlay_respond, datagrams from unknown peers
 *     -> ztdp_node_process_wire / _packet, verbs and frames the fast path
 *     leaves to the node -> ztdp_node_process_plain / _frame;
 *   teach the dataplane what the node decided (publish.c) and run its
 *     housekeeping (ztdp_dp_maintain);
 *   answer a telemetry snapshot request if one is waiting;
 *   run the node's and the neighbour cache's timers when due;
 *   serve JSON-RPC, waiting at most 1 ms when there was nothing to do.
 *
 * The node's wire_send builds Ethernet/IP/UDP around the datagram, resolves
 * the next hop (parking a few frames while ARP/ND answers) and queues the
 * frame on the ring to the dataplane (lcore 0 sends it). Frames the node
 * delivers go the same way, to the network's L2 port.
 *
 * The node is driven with Unix time in ms (what its RPC views report);
 * timers and the neighbour cache run on the monotonic clock so that a
 * wall-clock step cannot stall them.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "ztdp_app.h"
#include "ztdp_dp.h"
#include "ztdp_netconf.h"
#include "ztdp_rpc.h"
#include "ztdp_state.h"
#include "ztdp_world.h"

#define ERR(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

/* Longest wait in the RPC poll when idle: bounds the latency of frames
 * arriving on the ring, which has no descriptor to wake us. */
#define IDLE_POLL_MS		1
#define NEIGH_TICK_MS		100
/* The node's own tick request is honoured, but never slept past. */
#define NODE_TICK_MAX_MS	250
#define PROBE_FRAME_ROOM	128
/* How often the node's decisions are copied to the dataplane's tables,
 * and its housekeeping run. */
#define PUBLISH_MS		20
#define MAINTAIN_MS		10

struct ztdp_control {
	struct ztdp_control_args a;
	struct ztdp_state *state;
	struct ztdp_node *node;
	struct ztdp_rpc_server *rpc;
	struct ztdp_rpc_node_ctx rpc_ctx;
	struct ztdp_identity identity;
	uint8_t *planet;
	size_t planet_len;
	struct ztdp_neigh_cache neigh;
	uint16_t ip_id;
	pthread_t thread;
	bool running;
	struct ztdp_control_stats stats;
	uint8_t reply[ZTDP_UNDERLAY_FRAME_MAX];

	/* The dataplane and the networks' L2 sides (ztdp_control_attach). */
	struct ztdp_dp *dp;
	struct ztdp_l2 *l2;
	unsigned int l2_count;
	uint64_t nwids[ZTDP_MAX_JOIN];	/* of l2[], the dataplane's networks */
	struct ztdp_publish *pub;

	/* Telemetry's snapshot requests (see ztdp_control_snapshot). */
	pthread_mutex_t snap_lock;
	pthread_cond_t snap_cond;
	uint64_t snap_wanted;	/* atomic; bumped by a requester */
	uint64_t snap_done;	/* written by the control thread, locked */
	struct ztdp_snapshot snap;
};

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

static uint64_t mono_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

static uint64_t rpc_now(void *ctx)
{
	(void)ctx;
	return wall_ms();
}

static inline void count_drop(struct ztdp_control *ctl, enum ztdp_drop_reason r)
{
	ctl->stats.drops[r]++;
}

/* --- Sending ------------------------------------------------------------ */

static int to_dp(struct ztdp_control *ctl, struct rte_mbuf *m)
{
	struct ztdp_dp_meta *meta = ztdp_dp_meta(m);

	/* L2_TX is set by frame_deliver; everything else is underlay. */
	if (meta->kind != ZTDP_DP_KIND_L2_TX)
		meta->kind = ZTDP_DP_KIND_UL_TX;
	if (unlikely(rte_ring_enqueue(ctl->a.to_dp, m) != 0)) {
		count_drop(ctl, ZTDP_DROP_TX_RING_FULL);
		rte_pktmbuf_free(m);
		return -1;
	}
	return 0;
}

static int send_copy(struct ztdp_control *ctl, const uint8_t *frame, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(ctl->a.pool);
	char *p;

	if (m != NULL)
		ztdp_dp_meta(m)->kind = ZTDP_DP_KIND_UL_TX;

	if (unlikely(m == NULL)) {
		count_drop(ctl, ZTDP_DROP_NO_MBUF);
		return -1;
	}
	p = rte_pktmbuf_append(m, (uint16_t)len);
	if (unlikely(p == NULL)) {
		count_drop(ctl, ZTDP_DROP_TOO_BIG);
		rte_pktmbuf_free(m);
		return -1;
	}
	memcpy(p, frame, len);
	return to_dp(ctl, m);
}

static void send_probe(struct ztdp_control *ctl, const struct ztdp_neigh *e)
{
	uint8_t buf[PROBE_FRAME_ROOM];
	struct ztdp_inetaddr nh = { .family = e->family };
	int n;

	memcpy(nh.ip, e->ip, e->family == 4 ? 4 : 16);
	n = ztdp_underlay_build_probe(ctl->a.ul, &nh, buf, sizeof(buf));
	if (n < 0)
		return;
	if (send_copy(ctl, buf, (size_t)n) == 0)
		ctl->stats.neigh_probes++;
}

/* The next hop answered: its parked frames go out with its MAC. */
static void flush_parked(struct ztdp_control *ctl, struct ztdp_neigh *e)
{
	void *parked[ZTDP_NEIGH_PENDING_MAX];
	unsigned int n = ztdp_neigh_take(e, parked);

	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = parked[i];

		ztdp_underlay_set_dst_mac(rte_pktmbuf_mtod(m, uint8_t *), e->mac);
		if (to_dp(ctl, m) == 0)
			ctl->stats.wire_sent++;
	}
}

static void neigh_probe_cb(void *ctx, struct ztdp_neigh *e)
{
	send_probe(ctx, e);
}

static void neigh_drop_cb(void *ctx, void *frame)
{
	count_drop(ctx, ZTDP_DROP_NEIGH_UNRESOLVED);
	rte_pktmbuf_free(frame);
}

/* The node's wire_send: one UDP datagram from our primary port. */
static int wire_send(void *ctx, const struct ztdp_inetaddr *to,
		     const void *data, size_t len, unsigned int ttl)
{
	struct ztdp_control *ctl = ctx;
	const struct ztdp_underlay *ul = ctl->a.ul;
	struct ztdp_inetaddr nh;
	struct ztdp_neigh *e;
	enum ztdp_drop_reason why;
	struct rte_mbuf *m;
	size_t hr;
	uint8_t *frame;
	unsigned int flags;
	int rc = 0;

	if (ztdp_underlay_next_hop(ul, to, &nh) < 0) {
		count_drop(ctl, ZTDP_DROP_NO_ROUTE);
		return -1;
	}
	m = rte_pktmbuf_alloc(ctl->a.pool);
	if (unlikely(m == NULL)) {
		count_drop(ctl, ZTDP_DROP_NO_MBUF);
		return -1;
	}
	ztdp_dp_meta(m)->kind = ZTDP_DP_KIND_UL_TX;
	hr = ztdp_underlay_udp_headroom(to->family);
	frame = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)RTE_MIN(hr + len, (size_t)UINT16_MAX));
	if (frame == NULL || hr + len > UINT16_MAX) {
		why = ZTDP_DROP_TOO_BIG;
		goto drop;
	}
	memcpy(frame + hr, data, len);
	if (ztdp_underlay_write_udp(ul, frame, len, NULL, to, ttl, ctl->ip_id++,
				    &why) < 0)
		goto drop;

	flags = ztdp_neigh_resolve(&ctl->neigh, mono_ms(), &nh, &e);
	if (e == NULL) {
		why = ZTDP_DROP_NEIGH_TABLE_FULL;
		goto drop;
	}
	if (flags & ZTDP_NEIGH_HAVE_MAC) {
		ztdp_underlay_set_dst_mac(frame, e->mac);
		rc = to_dp(ctl, m);		/* counts and frees on failure */
		if (rc == 0)
			ctl->stats.wire_sent++;
	} else if (ztdp_neigh_park(e, m) < 0) {
		why = ZTDP_DROP_NEIGH_QUEUE_FULL;
		goto drop;
	} else {
		ctl->stats.neigh_parked++;
	}
	if (flags & ZTDP_NEIGH_SEND_PROBE)
		send_probe(ctl, e);
	return rc;
drop:
	count_drop(ctl, why);
	rte_pktmbuf_free(m);
	return -1;
}

/* --- Receiving ---------------------------------------------------------- */

static void handle_control_frame(struct ztdp_control *ctl, struct rte_mbuf *m)
{
	struct ztdp_neigh *learned;
	enum ztdp_drop_reason why;
	size_t out_len;
	int rc;

	ctl->stats.rx_control++;
	rc = ztdp_underlay_respond(ctl->a.ul, &ctl->neigh, mono_ms(),
				   rte_pktmbuf_mtod(m, const uint8_t *), m->data_len,
				   ctl->reply, sizeof(ctl->reply), &out_len,
				   &learned, &why);
	if (rc < 0) {
		count_drop(ctl, why);
		return;
	}
	if (rc == ZTDP_UL_REPLY && send_copy(ctl, ctl->reply, out_len) == 0)
		ctl->stats.replies++;
	if (learned != NULL && learned->npending > 0)
		flush_parked(ctl, learned);
}

static const struct ztdp_l2 *l2_by_port(const struct ztdp_control *ctl, uint16_t port)
{
	for (unsigned int i = 0; i < ctl->l2_count; i++)
		if (ctl->l2[i].port_id == port)
			return &ctl->l2[i];
	return NULL;
}

static const struct ztdp_l2 *l2_by_nwid(const struct ztdp_control *ctl, uint64_t nwid)
{
	for (unsigned int i = 0; i < ctl->l2_count; i++)
		if (ctl->l2[i].nwid == nwid)
			return &ctl->l2[i];
	return NULL;
}

static inline uint64_t load_mac(const uint8_t *p)
{
	return (uint64_t)p[0] << 40 | (uint64_t)p[1] << 32 | (uint64_t)p[2] << 24 |
	       (uint64_t)p[3] << 16 | (uint64_t)p[4] << 8 | p[5];
}

/* An Ethernet frame from an L2 port that the fast path could not send. */
static void handle_l2_frame(struct ztdp_control *ctl, uint64_t now, struct rte_mbuf *m)
{
	const struct ztdp_l2 *l2 = l2_by_port(ctl, ztdp_dp_meta(m)->port);
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);

	if (l2 == NULL || m->data_len < ZTDP_ETH_HDR_LEN) {
		count_drop(ctl, ZTDP_DROP_L2_UNKNOWN);
		return;
	}
	ctl->stats.rx_l2++;
	(void)ztdp_node_process_frame(ctl->node, now, l2->nwid, load_mac(f + 6), load_mac(f),
				      (uint16_t)(f[12] << 8 | f[13]), f + ZTDP_ETH_HDR_LEN,
				      m->data_len - ZTDP_ETH_HDR_LEN);
}

static unsigned int drain_from_dp(struct ztdp_control *ctl)
{
	struct rte_mbuf *pkts[ZTDP_BURST];
	unsigned int n = rte_ring_dequeue_burst(ctl->a.from_dp, (void **)pkts,
						ZTDP_BURST, NULL);
	uint64_t now = n > 0 ? wall_ms() : 0;

	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct ztdp_dp_meta *meta = ztdp_dp_meta(m);
		const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);

		/* The dataplane hands over single segments (it linearizes). */
		switch (meta->kind) {
		case ZTDP_DP_KIND_UL_RAW:
			handle_control_frame(ctl, m);
			break;
		case ZTDP_DP_KIND_WIRE:
			ctl->stats.rx_zerotier++;
			ztdp_node_process_wire(ctl->node, now, &meta->from, d, m->data_len);
			break;
		case ZTDP_DP_KIND_PACKET:
			ctl->stats.rx_zerotier++;
			ztdp_node_process_packet(ctl->node, now, &meta->from, d, m->data_len);
			break;
		case ZTDP_DP_KIND_PLAIN:
			ctl->stats.rx_plain++;
			ztdp_node_process_plain(ctl->node, now, &meta->from, d, m->data_len);
			break;
		case ZTDP_DP_KIND_L2:
			handle_l2_frame(ctl, now, m);
			break;
		default:
			count_drop(ctl, ZTDP_DROP_BAD_KIND);
			break;
		}
		rte_pktmbuf_free(m);
	}
	return n;
}

/* --- Telemetry snapshots ------------------------------------------------ */

static void serve_snapshot(struct ztdp_control *ctl)
{
	struct ztdp_snapshot *s = &ctl->snap;
	uint64_t wanted = __atomic_load_n(&ctl->snap_wanted, __ATOMIC_ACQUIRE);

	if (wanted == ctl->snap_done)
		return;
	pthread_mutex_lock(&ctl->snap_lock);
	ztdp_node_info(ctl->node, &s->info);
	ztdp_node_stats(ctl->node, &s->stats);
	s->network_count = ztdp_node_networks(ctl->node, s->networks,
					      ZTDP_SNAPSHOT_NETWORKS);
	s->peer_count = ztdp_node_peers(ctl->node, s->peers, ZTDP_SNAPSHOT_PEERS);
	ctl->snap_done = __atomic_load_n(&ctl->snap_wanted, __ATOMIC_ACQUIRE);
	pthread_cond_broadcast(&ctl->snap_cond);
	pthread_mutex_unlock(&ctl->snap_lock);
}

const struct ztdp_snapshot *ztdp_control_snapshot(struct ztdp_control *ctl,
						  unsigned int timeout_ms)
{
	struct timespec deadline;
	uint64_t want;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&ctl->snap_lock);
	if (!ctl->running) {
		pthread_mutex_unlock(&ctl->snap_lock);
		return NULL;
	}
	want = __atomic_add_fetch(&ctl->snap_wanted, 1, __ATOMIC_ACQ_REL);
	while (ctl->snap_done < want && ctl->running)
		if (pthread_cond_timedwait(&ctl->snap_cond, &ctl->snap_lock,
					   &deadline) == ETIMEDOUT)
			break;
	if (ctl->snap_done < want) {
		pthread_mutex_unlock(&ctl->snap_lock);
		return NULL;
	}
	return &ctl->snap;
}

void ztdp_snapshot_release(struct ztdp_control *ctl)
{
	pthread_mutex_unlock(&ctl->snap_lock);
}

const struct ztdp_control_stats *ztdp_control_stats(const struct ztdp_control *ctl)
{
	return &ctl->stats;
}

const struct ztdp_publish_stats *ztdp_control_publish_stats(const struct ztdp_control *ctl)
{
	return ctl->pub != NULL ? ztdp_publish_stats(ctl->pub) : NULL;
}

bool ztdp_control_is_root(const struct ztdp_control *ctl)
{
	return ztdp_node_is_root(ctl->node);
}

uint64_t ztdp_control_address(const struct ztdp_control *ctl)
{
	return ctl->identity.address;
}

unsigned int ztdp_control_networks(struct ztdp_control *ctl, struct ztdp_network_info *out,
				   unsigned int max)
{
	return ztdp_node_networks(ctl->node, out, max);
}

/* --- The loop ----------------------------------------------------------- */

static void *control_main(void *arg)
{
	struct ztdp_control *ctl = arg;
	uint64_t next_node = 0, next_neigh = 0, next_publish = 0, next_maintain = 0;

	ztdp_log(6, "control thread running; JSON-RPC on %s", ztdp_rpc_path(ctl->rpc));
	while (!__atomic_load_n(ctl->a.quit, __ATOMIC_RELAXED)) {
		unsigned int n = drain_from_dp(ctl);
		uint64_t mono = mono_ms();
		int served;

		ctl->stats.loops++;
		serve_snapshot(ctl);
		if (mono >= next_node) {
			uint64_t wait = ztdp_node_tick(ctl->node, wall_ms());

			ctl->stats.node_ticks++;
			next_node = mono + RTE_MIN(wait, (uint64_t)NODE_TICK_MAX_MS);
		}
		if (ctl->dp != NULL && mono >= next_maintain) {
			ztdp_dp_maintain(ctl->dp, ztdp_dp_now_ms());
			next_maintain = mono + MAINTAIN_MS;
		}
		if (ctl->pub != NULL && mono >= next_publish) {
			ztdp_publish_run(ctl->pub, wall_ms(), mono);
			next_publish = mono + PUBLISH_MS;
		}
		if (mono >= next_neigh) {
			ztdp_neigh_tick(&ctl->neigh, mono, neigh_probe_cb,
					neigh_drop_cb, ctl);
			next_neigh = mono + NEIGH_TICK_MS;
		}
		served = ztdp_rpc_poll(ctl->rpc, n > 0 ? 0 : IDLE_POLL_MS);
		if (served > 0)
			ctl->stats.rpc_requests += (uint64_t)served;
	}
	ztdp_log(6, "control thread stopped");
	return NULL;
}

/* --- Node callbacks ----------------------------------------------------- */

static int state_put_cb(void *ctx, enum ztdp_state_kind kind, uint64_t id,
			const void *data, size_t len)
{
	return ztdp_state_put(((struct ztdp_control *)ctx)->state, kind, id, data, len);
}

static ssize_t state_get_cb(void *ctx, enum ztdp_state_kind kind, uint64_t id,
			    void *buf, size_t cap)
{
	return ztdp_state_get(((struct ztdp_control *)ctx)->state, kind, id, buf, cap);
}

/* Put one network's config onto the dataplane and its L2 side. */
static void apply_network(struct ztdp_control *ctl, uint64_t nwid, const struct ztdp_netconf *nc)
{
	struct ztdp_l2 *l2 = (struct ztdp_l2 *)l2_by_nwid(ctl, nwid);
	struct ztdp_network_info ni;
	bool have = nc != NULL && ztdp_node_network(ctl->node, nwid, &ni) == 0;

	if (l2 == NULL)
		return;
	/* The port first: what MTU it takes decides what the dataplane
	 * fragments. */
	ztdp_l2_apply(l2, have ? &ni : NULL, ctl->a.cfg->manage_addresses);
	if (nc != NULL) {
		if (ztdp_dp_network_upsert_netconf(ctl->dp, nc, ctl->identity.address,
						   l2->port_id, l2->port_mtu) < 0)
			ztdp_log(3, "network %016" PRIx64 ": the dataplane refused its config",
				 nwid);
	} else {
		(void)ztdp_dp_network_remove(ctl->dp, nwid);
	}
}

static void network_changed_cb(void *ctx, uint64_t nwid,
			       const struct ztdp_netconf *nc)
{
	struct ztdp_control *ctl = ctx;
	struct ztdp_network_info ni;

	if (nc == NULL)
		ztdp_log(5, "network %016" PRIx64 ": left", nwid);
	else if (ztdp_node_network(ctl->node, nwid, &ni) == 0)
		ztdp_log(5, "network %016" PRIx64 " \"%s\": %s, MTU %u, %u address(es), %u route(s)",
			 nwid, ni.name, ztdp_network_status_name(ni.status), ni.mtu,
			 ni.assigned_count, ni.route_count);
	if (ctl->dp == NULL)
		return;		/* ztdp_control_attach applies what the node has */
	if (l2_by_nwid(ctl, nwid) == NULL && nc != NULL)
		ztdp_log(4, "network %016" PRIx64 " has no L2 port (joined after start-up; "
			 "restart ztdp, or give --l2 %016" PRIx64 "=..., to attach one)", nwid, nwid);
	apply_network(ctl, nwid, nc);
}

/* The node delivers a frame (from a peer the fast path did not know, or
 * a multicast it handled): to the network's L2 port through lcore 0. */
static void frame_deliver_cb(void *ctx, uint64_t nwid, uint64_t src_mac, uint64_t dst_mac,
			     uint16_t ethertype, const void *payload, size_t len)
{
	struct ztdp_control *ctl = ctx;
	const struct ztdp_l2 *l2 = l2_by_nwid(ctl, nwid);
	struct rte_mbuf *m;
	uint8_t *f;

	if (l2 == NULL || ctl->dp == NULL) {
		count_drop(ctl, ZTDP_DROP_L2_UNKNOWN);
		return;
	}
	m = rte_pktmbuf_alloc(ctl->a.pool);
	if (unlikely(m == NULL)) {
		count_drop(ctl, ZTDP_DROP_NO_MBUF);
		return;
	}
	f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)RTE_MIN(len + ZTDP_ETH_HDR_LEN,
							       (size_t)UINT16_MAX));
	if (f == NULL || len + ZTDP_ETH_HDR_LEN > UINT16_MAX) {
		count_drop(ctl, ZTDP_DROP_TOO_BIG);
		rte_pktmbuf_free(m);
		return;
	}
	for (int i = 0; i < 6; i++) {
		f[i] = (uint8_t)(dst_mac >> (40 - 8 * i));
		f[6 + i] = (uint8_t)(src_mac >> (40 - 8 * i));
	}
	f[12] = (uint8_t)(ethertype >> 8);
	f[13] = (uint8_t)ethertype;
	memcpy(f + ZTDP_ETH_HDR_LEN, payload, len);
	ztdp_dp_meta(m)->kind = ZTDP_DP_KIND_L2_TX;
	ztdp_dp_meta(m)->port = l2->port_id;
	if (to_dp(ctl, m) == 0)
		ctl->stats.l2_delivered++;
}

/* listnetworks' <dev>: the kernel interface, else the DPDK device. */
static const char *device_name_cb(void *ctx, uint64_t nwid)
{
	const struct ztdp_l2 *l2 = l2_by_nwid(ctx, nwid);

	if (l2 == NULL)
		return NULL;
	return l2->is_tap ? l2->ifname : l2->devname;
}

/* publish.c's next hop: the MAC of the neighbour towards `to`. */
static int next_hop_mac_cb(void *ctx, const struct ztdp_inetaddr *to, uint8_t mac[6])
{
	struct ztdp_control *ctl = ctx;
	struct ztdp_inetaddr nh;
	struct ztdp_neigh *e;
	unsigned int flags;

	if (ztdp_underlay_next_hop(ctl->a.ul, to, &nh) < 0)
		return -1;
	flags = ztdp_neigh_resolve(&ctl->neigh, mono_ms(), &nh, &e);
	if (e == NULL)
		return -1;
	if (flags & ZTDP_NEIGH_SEND_PROBE)
		send_probe(ctl, e);
	if (!(flags & ZTDP_NEIGH_HAVE_MAC))
		return -1;
	memcpy(mac, e->mac, 6);
	return 0;
}

int ztdp_control_attach(struct ztdp_control *ctl, struct ztdp_dp *dp, struct ztdp_l2 *l2,
			unsigned int l2_count, char *err, size_t errlen)
{
	struct ztdp_publish_env env;

	ctl->dp = dp;
	ctl->l2 = l2;
	ctl->l2_count = RTE_MIN(l2_count, (unsigned int)ZTDP_MAX_JOIN);
	for (unsigned int i = 0; i < ctl->l2_count; i++)
		ctl->nwids[i] = l2[i].nwid;
	memset(&env, 0, sizeof(env));
	env.node = ctl->node;
	env.dp = dp;
	env.next_hop_mac = next_hop_mac_cb;
	env.ctx = ctl;
	env.nwids = ctl->nwids;
	env.nwid_count = ctl->l2_count;
	if (ztdp_publish_create(&ctl->pub, &env) < 0) {
		snprintf(err, errlen, "out of memory for the dataplane's tables");
		return -1;
	}
	/* Configs the node applied while opening (cached ones). */
	for (unsigned int i = 0; i < ctl->l2_count; i++) {
		const struct ztdp_netconf *nc = ztdp_node_network_config(ctl->node, l2[i].nwid);

		if (nc != NULL)
			apply_network(ctl, l2[i].nwid, nc);
	}
	return 0;
}

static void node_log_cb(void *ctx, int level, const char *msg)
{
	(void)ctx;
	ztdp_log(level, "node: %s", msg);
}

/* --- Start-up and shutdown ---------------------------------------------- */

/* --planet FILE, else the state directory's planet, else NULL (the node's
 * embedded default). A planet that does not parse is an error when named,
 * and ignored with a warning when found in the state directory. */
static int load_planet(struct ztdp_control *ctl, char *err, size_t errlen)
{
	const char *path = ctl->a.cfg->planet_path;
	struct ztdp_world *w = NULL;
	uint8_t *buf = malloc(ZTDP_WORLD_MAX_LEN + 1);
	ssize_t n = -1;
	int rc;

	w = malloc(sizeof(*w));
	if (buf == NULL || w == NULL)
		ERR("out of memory");
	if (path[0] != '\0') {
		FILE *f = fopen(path, "rb");

		if (f == NULL)
			ERR("--planet %s: %s", path, strerror(errno));
		n = (ssize_t)fread(buf, 1, ZTDP_WORLD_MAX_LEN + 1, f);
		fclose(f);
		if (n > (ssize_t)ZTDP_WORLD_MAX_LEN)
			ERR("--planet %s: larger than any planet (%d bytes)", path,
			    (int)ZTDP_WORLD_MAX_LEN);
		rc = ztdp_world_parse(buf, (size_t)n, w);
		if (rc != 0)
			ERR("--planet %s: not a planet: %s", path, ztdp_world_strerror(rc));
	} else {
		n = ztdp_state_get(ctl->state, ZTDP_STATE_PLANET, 0, buf,
				   ZTDP_WORLD_MAX_LEN);
		if (n >= 0 && (rc = ztdp_world_parse(buf, (size_t)n, w)) != 0) {
			ztdp_log(4, "%s/planet is not a planet (%s); using the default",
				 ztdp_state_dir(ctl->state), ztdp_world_strerror(rc));
			n = -1;
		}
	}
	if (n >= 0) {
		ctl->planet = buf;
		ctl->planet_len = (size_t)n;
		buf = NULL;
		ztdp_log(6, "planet %" PRIu64 " (timestamp %" PRIu64 ", %u roots) from %s",
			 w->id, w->timestamp, w->root_count,
			 path[0] != '\0' ? path : "the state directory");
	}
	free(buf);
	free(w);
	return 0;
fail:
	free(buf);
	free(w);
	return -1;
}

static bool nwid_in(const uint64_t *list, int n, uint64_t nwid)
{
	for (int i = 0; i < n; i++)
		if (list[i] == nwid)
			return true;
	return false;
}

static int join_networks(struct ztdp_control *ctl, char *err, size_t errlen)
{
	const struct ztdp_app_config *cfg = ctl->a.cfg;
	uint64_t saved[ZTDP_MAX_JOIN];
	int n = ztdp_state_list_networks(ctl->state, saved, ZTDP_MAX_JOIN);

	if (n < 0)
		ERR("cannot list %s/networks.d: %s", cfg->state_dir, strerror(errno));
	if (n > ZTDP_MAX_JOIN) {
		ztdp_log(4, "%d networks saved; rejoining the first %d", n, ZTDP_MAX_JOIN);
		n = ZTDP_MAX_JOIN;
	}
	/* Saved ones first: their cached configs apply at once. */
	for (int i = 0; i < n; i++) {
		if (ztdp_node_join(ctl->node, wall_ms(), saved[i]) < 0)
			ztdp_log(4, "cannot rejoin network %016" PRIx64, saved[i]);
		else
			ztdp_log(6, "rejoined network %016" PRIx64, saved[i]);
	}
	for (unsigned int i = 0; i < cfg->join_count; i++) {
		if (nwid_in(saved, n, cfg->join[i]))
			continue;
		if (ztdp_node_join(ctl->node, wall_ms(), cfg->join[i]) < 0)
			ERR("cannot join network %016" PRIx64 " (not a valid network ID)",
			    cfg->join[i]);
		ztdp_log(6, "joining network %016" PRIx64, cfg->join[i]);
	}
	return 0;
fail:
	return -1;
}

int ztdp_control_open(struct ztdp_control **out,
		      const struct ztdp_control_args *args,
		      char *err, size_t errlen)
{
	const struct ztdp_app_config *cfg = args->cfg;
	struct ztdp_control *ctl = calloc(1, sizeof(*ctl));
	struct ztdp_node_config ncfg;
	struct ztdp_node_callbacks cb;
	struct ztdp_rpc_config rcfg;
	pthread_condattr_t ca;
	bool created = false;

	*out = NULL;
	if (ctl == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ctl->a = *args;
	pthread_mutex_init(&ctl->snap_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ctl->snap_cond, &ca);
	pthread_condattr_destroy(&ca);

	if (ztdp_state_open(&ctl->state, cfg->state_dir, ztdp_log_line, NULL,
			    err, errlen) < 0)
		goto fail;
	if (ztdp_state_load_or_create_identity(ctl->state, &ctl->identity,
					       &created, err, errlen) < 0)
		goto fail;
	if (!created)	/* the state module announces new ones */
		ztdp_log(6, "identity %010" PRIx64 " from %s", ctl->identity.address,
			 ztdp_state_dir(ctl->state));
	if (load_planet(ctl, err, errlen) < 0)
		goto fail;

	memset(&rcfg, 0, sizeof(rcfg));
	rcfg.path = cfg->rpc_socket;
	rcfg.log = ztdp_log_line;
	if (ztdp_rpc_open(&ctl->rpc, &rcfg, err, errlen) < 0)
		goto fail;

	memset(&ncfg, 0, sizeof(ncfg));
	ncfg.identity = &ctl->identity;
	ncfg.planet = ctl->planet;
	ncfg.planet_len = ctl->planet_len;
	ncfg.primary_port = cfg->primary_port;
	if (args->ul->has_ip4)
		ztdp_inetaddr_set_v4(&ncfg.local_addrs[ncfg.local_addr_count++],
				     (uint32_t)args->ul->ip4[0] << 24 |
				     (uint32_t)args->ul->ip4[1] << 16 |
				     (uint32_t)args->ul->ip4[2] << 8 | args->ul->ip4[3],
				     cfg->primary_port);
	if (args->ul->has_ip6)
		ztdp_inetaddr_set_v6(&ncfg.local_addrs[ncfg.local_addr_count++],
				     args->ul->ip6, cfg->primary_port);
	memset(&cb, 0, sizeof(cb));
	cb.ctx = ctl;
	cb.wire_send = wire_send;
	cb.network_changed = network_changed_cb;
	cb.frame_deliver = frame_deliver_cb;
	cb.state_put = state_put_cb;
	cb.state_get = state_get_cb;
	cb.log = node_log_cb;
	if (ztdp_node_create(&ctl->node, &ncfg, &cb, wall_ms()) != 0) {
		snprintf(err, errlen, "cannot create the ZeroTier node (bad planet or identity?)");
		goto fail;
	}

	ctl->rpc_ctx.node = ctl->node;
	ctl->rpc_ctx.now = rpc_now;
	ctl->rpc_ctx.primary_port = cfg->primary_port;
	ctl->rpc_ctx.home_dir = ztdp_state_dir(ctl->state);
	ctl->rpc_ctx.rpc = ctl->rpc;
	ctl->rpc_ctx.device_name = device_name_cb;
	ctl->rpc_ctx.device_ctx = ctl;
	if (ztdp_rpc_register_node_methods(ctl->rpc, &ctl->rpc_ctx) < 0 ||
	    ztdp_rpc_register_controller_methods(ctl->rpc, &ctl->rpc_ctx) < 0) {
		snprintf(err, errlen, "cannot register the JSON-RPC methods");
		goto fail;
	}
	if (join_networks(ctl, err, errlen) < 0)
		goto fail;
	*out = ctl;
	return 0;
fail:
	ztdp_control_close(ctl);
	return -1;
}

int ztdp_control_start(struct ztdp_control *ctl, char *err, size_t errlen)
{
	int rc;

	pthread_mutex_lock(&ctl->snap_lock);
	ctl->running = true;
	pthread_mutex_unlock(&ctl->snap_lock);
	rc = rte_ctrl_thread_create(&ctl->thread, "ztdp-ctrl", NULL,
				    control_main, ctl);
	if (rc != 0) {
		ctl->running = false;
		snprintf(err, errlen, "cannot start the control thread: %s", strerror(rc));
		return -1;
	}
	return 0;
}

void ztdp_control_join(struct ztdp_control *ctl)
{
	bool was_running;

	if (ctl == NULL)
		return;
	pthread_mutex_lock(&ctl->snap_lock);
	was_running = ctl->running;
	ctl->running = false;
	pthread_cond_broadcast(&ctl->snap_cond);
	pthread_mutex_unlock(&ctl->snap_lock);
	if (was_running)
		pthread_join(ctl->thread, NULL);
}

void ztdp_control_close(struct ztdp_control *ctl)
{
	if (ctl == NULL)
		return;
	ztdp_control_join(ctl);
	ztdp_publish_destroy(ctl->pub);
	if (ctl->node != NULL)
		ztdp_node_destroy(ctl->node);
	if (ctl->rpc != NULL)
		ztdp_rpc_close(ctl->rpc);
	/* Frames still parked for a next hop that never answered. */
	for (unsigned int i = 0; i < ZTDP_NEIGH_MAX; i++) {
		void *parked[ZTDP_NEIGH_PENDING_MAX];
		unsigned int n = ztdp_neigh_take(&ctl->neigh.e[i], parked);

		for (unsigned int j = 0; j < n; j++)
			rte_pktmbuf_free(parked[j]);
	}
	if (ctl->state != NULL)
		ztdp_state_close(ctl->state);
	ztdp_identity_clear(&ctl->identity);
	free(ctl->planet);
	pthread_cond_destroy(&ctl->snap_cond);
	pthread_mutex_destroy(&ctl->snap_lock);
	free(ctl);
}
