/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_telemetry commands, so that `dpdk-telemetry.py -f <prefix>` (or any
 * client of /var/run/dpdk/<prefix>/dpdk_telemetry.v2) sees ztdp next to
 * /ethdev/stats:
 *
 *   /ztdp/stats      node, worker, control-thread and port counters
 *   /ztdp/peers      one entry per peer: role, latency, version, path
 *   /ztdp/networks   one entry per network: name, status, MAC, MTU, IPs
 *   /ztdp/drops      every drop reason with its count (worker + control)
 *
 * Telemetry calls come on telemetry's own threads. Counters are read
 * racily (each has one writer, 64-bit loads do not tear on the targets we
 * build for); what belongs to the node is copied by the control thread on
 * request (ztdp_control_snapshot), since the node is single-threaded.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_telemetry.h>

#include "ztdp_app.h"
#include "ztdp_dp.h"
#include "ztdp_mac.h"

/* How long a telemetry call waits for the control thread. */
#define SNAPSHOT_TIMEOUT_MS	500

static pthread_mutex_t src_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ztdp_telemetry_src src;
static bool attached;

void ztdp_telemetry_attach(const struct ztdp_telemetry_src *s)
{
	pthread_mutex_lock(&src_lock);
	src = *s;
	attached = true;
	pthread_mutex_unlock(&src_lock);
}

void ztdp_telemetry_detach(void)
{
	/* Waits for a call in progress: after this, nothing touches src. */
	pthread_mutex_lock(&src_lock);
	attached = false;
	memset(&src, 0, sizeof(src));
	pthread_mutex_unlock(&src_lock);
}

static struct rte_tel_data *new_dict(void)
{
	struct rte_tel_data *d = rte_tel_data_alloc();

	if (d != NULL)
		rte_tel_data_start_dict(d);
	return d;
}

static void add_container(struct rte_tel_data *d, const char *name,
			  struct rte_tel_data *c)
{
	if (c != NULL && rte_tel_data_add_dict_container(d, name, c, 0) != 0)
		rte_tel_data_free(c);
}

static int not_ready(struct rte_tel_data *d, const char *why)
{
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "error", why);
	return 0;
}

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ztdp_dp_stats w;
	const struct ztdp_control_stats *c;
	const struct ztdp_publish_stats *pub;
	const struct ztdp_snapshot *snap;
	struct rte_tel_data *t;
	struct rte_eth_stats ps;
	uint64_t drops = 0;
	char addr[16];

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&src_lock);
	if (!attached) {
		pthread_mutex_unlock(&src_lock);
		return not_ready(d, "ztdp is starting or stopping");
	}
	rte_tel_data_start_dict(d);

	snap = ztdp_control_snapshot(src.ctl, SNAPSHOT_TIMEOUT_MS);
	t = new_dict();
	if (t != NULL && snap != NULL) {
		snprintf(addr, sizeof(addr), "%010" PRIx64, snap->info.address);
		rte_tel_data_add_dict_string(t, "address", addr);
		rte_tel_data_add_dict_int(t, "online", snap->info.online);
		rte_tel_data_add_dict_u64(t, "networks", snap->network_count);
		rte_tel_data_add_dict_u64(t, "peers", snap->peer_count);
		rte_tel_data_add_dict_u64(t, "rx_packets", snap->stats.rx_packets);
		rte_tel_data_add_dict_u64(t, "tx_packets", snap->stats.tx_packets);
		rte_tel_data_add_dict_u64(t, "rx_auth_failed", snap->stats.rx_auth_failed);
		rte_tel_data_add_dict_u64(t, "rx_dropped", snap->stats.rx_dropped);
		rte_tel_data_add_dict_u64(t, "whois_sent", snap->stats.whois_sent);
		rte_tel_data_add_dict_u64(t, "hello_sent", snap->stats.hello_sent);
		rte_tel_data_add_dict_u64(t, "rate_limited", snap->stats.rate_limited);
	} else if (t != NULL) {
		rte_tel_data_add_dict_string(t, "error", "control thread busy");
	}
	if (snap != NULL)
		ztdp_snapshot_release(src.ctl);
	add_container(d, "node", t);

	ztdp_dp_stats_sum(src.dp, &w);
	t = new_dict();
	if (t != NULL) {
		rte_tel_data_add_dict_u64(t, "ul_rx", w.ul_rx);
		rte_tel_data_add_dict_u64(t, "ul_rx_bytes", w.ul_rx_bytes);
		rte_tel_data_add_dict_u64(t, "ul_tx", w.ul_tx);
		rte_tel_data_add_dict_u64(t, "ul_tx_bytes", w.ul_tx_bytes);
		rte_tel_data_add_dict_u64(t, "l2_rx", w.l2_rx);
		rte_tel_data_add_dict_u64(t, "l2_rx_bytes", w.l2_rx_bytes);
		rte_tel_data_add_dict_u64(t, "l2_tx", w.l2_tx);
		rte_tel_data_add_dict_u64(t, "l2_tx_bytes", w.l2_tx_bytes);
		rte_tel_data_add_dict_u64(t, "decap", w.decap);
		rte_tel_data_add_dict_u64(t, "encap", w.encap);
		rte_tel_data_add_dict_u64(t, "fragments_tx", w.fragments_tx);
		rte_tel_data_add_dict_u64(t, "reassembled", w.reassembled);
		rte_tel_data_add_dict_u64(t, "relayed", w.relayed);
		rte_tel_data_add_dict_u64(t, "to_control", w.to_control);
		rte_tel_data_add_dict_u64(t, "from_control", w.from_control);
		rte_tel_data_add_dict_u64(t, "polls", w.polls);
		rte_tel_data_add_dict_u64(t, "idle_polls", w.idle_polls);
		rte_tel_data_add_dict_u64(t, "sleeps", w.sleeps);
		rte_tel_data_add_dict_u64(t, "l2_ports", src.l2_count);
		rte_tel_data_add_dict_u64(t, "drops", ztdp_dp_drops_total(&w));
	}
	add_container(d, "dataplane", t);

	c = ztdp_control_stats(src.ctl);
	t = new_dict();
	if (t != NULL) {
		rte_tel_data_add_dict_u64(t, "rx_zerotier", c->rx_zerotier);
		rte_tel_data_add_dict_u64(t, "rx_control", c->rx_control);
		rte_tel_data_add_dict_u64(t, "rx_plain", c->rx_plain);
		rte_tel_data_add_dict_u64(t, "rx_l2", c->rx_l2);
		rte_tel_data_add_dict_u64(t, "l2_delivered", c->l2_delivered);
		rte_tel_data_add_dict_u64(t, "replies", c->replies);
		rte_tel_data_add_dict_u64(t, "wire_sent", c->wire_sent);
		rte_tel_data_add_dict_u64(t, "neigh_parked", c->neigh_parked);
		rte_tel_data_add_dict_u64(t, "neigh_probes", c->neigh_probes);
		rte_tel_data_add_dict_u64(t, "loops", c->loops);
		rte_tel_data_add_dict_u64(t, "node_ticks", c->node_ticks);
		rte_tel_data_add_dict_u64(t, "rpc_requests", c->rpc_requests);
	}
	add_container(d, "control", t);

	pub = ztdp_control_publish_stats(src.ctl);
	t = pub != NULL ? new_dict() : NULL;
	if (t != NULL) {
		rte_tel_data_add_dict_u64(t, "passes", pub->passes);
		rte_tel_data_add_dict_u64(t, "peer_writes", pub->peer_writes);
		rte_tel_data_add_dict_u64(t, "peer_removals", pub->peer_removals);
		rte_tel_data_add_dict_u64(t, "peer_write_failures", pub->peer_write_failures);
		rte_tel_data_add_dict_u64(t, "gate_writes", pub->gate_writes);
		rte_tel_data_add_dict_u64(t, "group_writes", pub->group_writes);
	}
	add_container(d, "publish", t);

	t = new_dict();
	if (t != NULL && rte_eth_stats_get(src.port->port_id, &ps) == 0) {
		char text[64];

		rte_tel_data_add_dict_u64(t, "port_id", src.port->port_id);
		rte_tel_data_add_dict_string(t, "driver", src.port->driver);
		snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x",
			 src.ul->mac[0], src.ul->mac[1], src.ul->mac[2],
			 src.ul->mac[3], src.ul->mac[4], src.ul->mac[5]);
		rte_tel_data_add_dict_string(t, "mac", text);
		if (src.ul->has_ip4) {
			snprintf(text, sizeof(text), "%u.%u.%u.%u/%u", src.ul->ip4[0],
				 src.ul->ip4[1], src.ul->ip4[2], src.ul->ip4[3],
				 src.ul->prefix4);
			rte_tel_data_add_dict_string(t, "address", text);
		}
		if (src.ul->has_ip6 && inet_ntop(AF_INET6, src.ul->ip6, text,
						 sizeof(text) - 5) != NULL) {
			snprintf(text + strlen(text), 5, "/%u", src.ul->prefix6);
			rte_tel_data_add_dict_string(t, "address6", text);
		}
		rte_tel_data_add_dict_u64(t, "mtu", src.ul->mtu);
		rte_tel_data_add_dict_u64(t, "ipackets", ps.ipackets);
		rte_tel_data_add_dict_u64(t, "opackets", ps.opackets);
		rte_tel_data_add_dict_u64(t, "ibytes", ps.ibytes);
		rte_tel_data_add_dict_u64(t, "obytes", ps.obytes);
		rte_tel_data_add_dict_u64(t, "imissed", ps.imissed);
		rte_tel_data_add_dict_u64(t, "ierrors", ps.ierrors);
		rte_tel_data_add_dict_u64(t, "oerrors", ps.oerrors);
		rte_tel_data_add_dict_u64(t, "rx_nombuf", ps.rx_nombuf);
		rte_tel_data_add_dict_u64(t, "mbufs", src.port->nb_mbufs);
		rte_tel_data_add_dict_u64(t, "mbufs_free",
					  rte_mempool_avail_count(src.port->pool));
	}
	add_container(d, "port", t);

	drops = ztdp_dp_drops_total(&w);
	for (int r = 0; r < ZTDP_DROP_MAX; r++)
		drops += c->drops[r];
	rte_tel_data_add_dict_u64(d, "drops", drops);
	pthread_mutex_unlock(&src_lock);
	return 0;
}

/* Two dictionaries: the data lcores' reasons and the control thread's
 * (some keys exist in both, e.g. no_mbuf). */
static int cmd_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct ztdp_dp_stats w;
	const struct ztdp_control_stats *c;
	struct rte_tel_data *t;

	(void)cmd;
	(void)params;
	pthread_mutex_lock(&src_lock);
	if (!attached) {
		pthread_mutex_unlock(&src_lock);
		return not_ready(d, "ztdp is starting or stopping");
	}
	ztdp_dp_stats_sum(src.dp, &w);
	c = ztdp_control_stats(src.ctl);
	rte_tel_data_start_dict(d);
	t = new_dict();
	for (unsigned int r = 0; t != NULL && r < ZTDP_DP_N_DROP; r++)
		rte_tel_data_add_dict_u64(t, ztdp_dp_drop_key(r), w.drops[r]);
	add_container(d, "dataplane", t);
	t = new_dict();
	for (int r = 0; t != NULL && r < ZTDP_DROP_MAX; r++)
		rte_tel_data_add_dict_u64(t, ztdp_drop_reason_key((enum ztdp_drop_reason)r),
					  c->drops[r]);
	add_container(d, "control", t);
	pthread_mutex_unlock(&src_lock);
	return 0;
}

/* The node's snapshot with src_lock held (release both with
 * unlock_snapshot), or NULL with nothing held. */
static const struct ztdp_snapshot *lock_snapshot(void)
{
	const struct ztdp_snapshot *snap;

	pthread_mutex_lock(&src_lock);
	snap = attached ? ztdp_control_snapshot(src.ctl, SNAPSHOT_TIMEOUT_MS) : NULL;
	if (snap == NULL)
		pthread_mutex_unlock(&src_lock);
	return snap;
}

static void unlock_snapshot(void)
{
	ztdp_snapshot_release(src.ctl);
	pthread_mutex_unlock(&src_lock);
}

static const char *path_text(const struct ztdp_path_info *p, char *buf, size_t n)
{
	if (ztdp_inetaddr_format(&p->addr, buf, n) < 0)
		snprintf(buf, n, "-");
	return buf;
}

static int cmd_peers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct ztdp_snapshot *snap;
	unsigned int n;

	(void)cmd;
	(void)params;
	snap = lock_snapshot();
	if (snap == NULL)
		return not_ready(d, "control thread not answering");
	rte_tel_data_start_dict(d);
	n = RTE_MIN(snap->peer_count, (unsigned int)ZTDP_SNAPSHOT_PEERS);
	n = RTE_MIN(n, (unsigned int)RTE_TEL_MAX_DICT_ENTRIES);
	for (unsigned int i = 0; i < n; i++) {
		const struct ztdp_peer_info *p = &snap->peers[i];
		struct rte_tel_data *t = new_dict();
		char key[16], text[ZTDP_INETADDR_STRLEN];
		int best = -1;

		if (t == NULL)
			break;
		snprintf(key, sizeof(key), "%010" PRIx64, p->address);
		rte_tel_data_add_dict_string(t, "role", ztdp_peer_role_name(p->role));
		rte_tel_data_add_dict_int(t, "latency", p->latency);
		if (p->version_major >= 0) {
			snprintf(text, sizeof(text), "%d.%d.%d", p->version_major,
				 p->version_minor, p->version_revision);
			rte_tel_data_add_dict_string(t, "version", text);
		} else {
			rte_tel_data_add_dict_string(t, "version", "-");
		}
		rte_tel_data_add_dict_u64(t, "paths", p->path_count);
		for (unsigned int j = 0; j < p->path_count && j < 8; j++)
			if (best < 0 || p->paths[j].preferred)
				best = (int)j;
		rte_tel_data_add_dict_string(t, "path", best < 0 ? "relay" :
					     path_text(&p->paths[best], text, sizeof(text)));
		if (best >= 0)
			rte_tel_data_add_dict_u64(t, "last_receive",
						  p->paths[best].last_receive);
		add_container(d, key, t);
	}
	unlock_snapshot();
	return 0;
}

static int cmd_networks(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct ztdp_snapshot *snap;
	unsigned int n;

	(void)cmd;
	(void)params;
	snap = lock_snapshot();
	if (snap == NULL)
		return not_ready(d, "control thread not answering");
	rte_tel_data_start_dict(d);
	n = RTE_MIN(snap->network_count, (unsigned int)ZTDP_SNAPSHOT_NETWORKS);
	for (unsigned int i = 0; i < n; i++) {
		const struct ztdp_network_info *nw = &snap->networks[i];
		struct rte_tel_data *t = new_dict();
		char key[20], text[RTE_TEL_MAX_STRING_LEN];
		size_t off = 0;

		if (t == NULL)
			break;
		snprintf(key, sizeof(key), "%016" PRIx64, nw->nwid);
		rte_tel_data_add_dict_string(t, "name", nw->name);
		rte_tel_data_add_dict_string(t, "status", ztdp_network_status_name(nw->status));
		rte_tel_data_add_dict_string(t, "type", nw->is_public ? "PUBLIC" : "PRIVATE");
		ztdp_mac_format(nw->mac, text, sizeof(text));
		rte_tel_data_add_dict_string(t, "mac", text);
		rte_tel_data_add_dict_u64(t, "mtu", nw->mtu);
		rte_tel_data_add_dict_u64(t, "revision", nw->netconf_revision);
		rte_tel_data_add_dict_int(t, "bridge", nw->bridge);
		/* Addresses as one string: telemetry nests only one level. */
		text[0] = '\0';
		for (unsigned int j = 0; j < nw->assigned_count && j < 16; j++) {
			char a[ZTDP_INETADDR_STRLEN];

			if (ztdp_inetaddr_format(&nw->assigned[j], a, sizeof(a)) < 0)
				continue;
			off += (size_t)snprintf(text + off, sizeof(text) - off, "%s%s",
						off > 0 ? "," : "", a);
			if (off >= sizeof(text))
				break;
		}
		rte_tel_data_add_dict_string(t, "assigned", text[0] ? text : "-");
		add_container(d, key, t);
	}
	unlock_snapshot();
	return 0;
}

int ztdp_telemetry_register(void)
{
	if (rte_telemetry_register_cmd("/ztdp/stats", cmd_stats,
			"ztdp node, worker, control thread and port counters") != 0 ||
	    rte_telemetry_register_cmd("/ztdp/peers", cmd_peers,
			"ZeroTier peers: role, latency, version, active path") != 0 ||
	    rte_telemetry_register_cmd("/ztdp/networks", cmd_networks,
			"joined ZeroTier networks: name, status, MAC, MTU, addresses") != 0 ||
	    rte_telemetry_register_cmd("/ztdp/drops", cmd_drops,
			"underlay packets dropped, per reason") != 0)
		return -1;
	return 0;
}
