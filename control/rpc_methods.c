/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The node's JSON-RPC methods: zerotier-one's local HTTP API (service/
 * OneService.cpp's /status, /network, /peer) as JSON-RPC, with the same
 * JSON field names, so that tools written against `zerotier-cli -j` read
 * ztdpctl -j unchanged.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ztdp_inetaddr.h"
#include "ztdp_mac.h"
#include "ztdp_node.h"
#include "ztdp_proto.h"
#include "ztdp_rpc.h"
#include "ztdp_version.h"

/* Fetch lists with one call for the common case and a second, sized one
 * when there are more. */
#define LIST_FIRST	16

static uint64_t node_now(const struct ztdp_rpc_node_ctx *ctx)
{
	struct ztdp_node_info info;

	if (ctx->now != NULL)
		return ctx->now(ctx->now_ctx);
	ztdp_node_info(ctx->node, &info);
	return info.clock;
}

uint64_t ztdp_rpc_node_now(const struct ztdp_rpc_node_ctx *ctx)
{
	return node_now(ctx);
}

static json_t *hex_string(uint64_t v, int digits)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%0*" PRIx64, digits, v);
	return json_string(tmp);
}

/* "10.147.17.11/24": InetAddress::toString, the port being the prefix. */
static json_t *inetaddr_string(const struct ztdp_inetaddr *a)
{
	char tmp[ZTDP_INETADDR_STRLEN];

	if (ztdp_inetaddr_format(a, tmp, sizeof(tmp)) < 0)
		tmp[0] = '\0';
	return json_string(tmp);
}

/* "10.147.17.1": InetAddress::toIpString, no port. */
static json_t *inetaddr_ip_string(const struct ztdp_inetaddr *a)
{
	char tmp[ZTDP_INETADDR_STRLEN];
	char *slash;

	if (ztdp_inetaddr_format(a, tmp, sizeof(tmp)) < 0)
		tmp[0] = '\0';
	slash = strrchr(tmp, '/');
	if (slash != NULL)
		*slash = '\0';
	return json_string(tmp);
}

json_t *ztdp_rpc_node_status_json(const struct ztdp_rpc_node_ctx *ctx)
{
	struct ztdp_node_info info;
	json_t *o;

	ztdp_node_info(ctx->node, &info);
	o = json_object();
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "address", hex_string(info.address, 10));
	json_object_set_new(o, "publicIdentity", json_string(info.public_identity));
	json_object_set_new(o, "online", json_boolean(info.online));
	/* No TCP relay in ztdp. */
	json_object_set_new(o, "tcpFallbackActive", json_false());
	/* ztdp's own version, where zerotier-one reports its own. */
	json_object_set_new(o, "version", json_string(ZTDP_VERSION));
	json_object_set_new(o, "versionMajor", json_integer(ZTDP_VERSION_MAJOR));
	json_object_set_new(o, "versionMinor", json_integer(ZTDP_VERSION_MINOR));
	json_object_set_new(o, "versionRev", json_integer(ZTDP_VERSION_REV));
	json_object_set_new(o, "versionBuild", json_integer(0));
	json_object_set_new(o, "clock", json_integer((json_int_t)node_now(ctx)));
	json_object_set_new(o, "planetWorldId",
			    json_integer((json_int_t)info.planet_world_id));
	json_object_set_new(o, "planetWorldTimestamp",
			    json_integer((json_int_t)info.planet_timestamp));
	json_object_set_new(o, "config", json_pack("{s:{s:b, s:b, s:s, s:b, s:i, s:i, s:i}}",
		"settings",
		"allowTcpFallbackRelay", 0,
		"forceTcpRelay", 0,
		"homeDir", ctx->home_dir != NULL ? ctx->home_dir : "",
		"portMappingEnabled", 0,
		"primaryPort", (int)ctx->primary_port,
		"secondaryPort", 0,
		"tertiaryPort", 0));
	return o;
}

json_t *ztdp_rpc_network_json(const struct ztdp_network_info *n,
			      const char *port_device_name)
{
	char mac[ZTDP_MAC_STRLEN];
	json_t *o, *aa, *ra;

	o = json_object();
	aa = json_array();
	ra = json_array();
	if (o == NULL || aa == NULL || ra == NULL) {
		json_decref(o);
		json_decref(aa);
		json_decref(ra);
		return NULL;
	}
	if (ztdp_mac_format(n->mac, mac, sizeof(mac)) < 0)
		mac[0] = '\0';
	json_object_set_new(o, "id", hex_string(n->nwid, 16));
	json_object_set_new(o, "nwid", hex_string(n->nwid, 16));
	json_object_set_new(o, "mac", json_string(mac));
	json_object_set_new(o, "name", json_string(n->name));
	json_object_set_new(o, "status", json_string(ztdp_network_status_name(n->status)));
	json_object_set_new(o, "type", json_string(n->is_public ? "PUBLIC" : "PRIVATE"));
	json_object_set_new(o, "mtu", json_integer(n->mtu));
	json_object_set_new(o, "dhcp", json_false());
	json_object_set_new(o, "bridge", json_boolean(n->bridge));
	json_object_set_new(o, "broadcastEnabled", json_boolean(n->broadcast_enabled));
	json_object_set_new(o, "portError", json_integer(0));
	json_object_set_new(o, "netconfRevision", json_integer((json_int_t)n->netconf_revision));
	json_object_set_new(o, "portDeviceName",
			    json_string(port_device_name != NULL ? port_device_name : "-"));
	/* zerotier-one's per-network local settings, at their defaults:
	 * ztdp applies managed addresses and nothing else. */
	json_object_set_new(o, "allowManaged", json_true());
	json_object_set_new(o, "allowGlobal", json_false());
	json_object_set_new(o, "allowDefault", json_false());
	json_object_set_new(o, "allowDNS", json_false());
	for (unsigned int i = 0; i < n->assigned_count && i < 16; i++)
		json_array_append_new(aa, inetaddr_string(&n->assigned[i]));
	json_object_set_new(o, "assignedAddresses", aa);
	for (unsigned int i = 0; i < n->route_count && i < 32; i++) {
		const struct ztdp_inetaddr *via = &n->routes[i].via;
		json_t *r = json_object();

		json_object_set_new(r, "target", inetaddr_string(&n->routes[i].target));
		/* As zerotier-one: a via of another family means none. */
		json_object_set_new(r, "via", via->family != 0 &&
				    via->family == n->routes[i].target.family ?
				    inetaddr_ip_string(via) : json_null());
		json_object_set_new(r, "flags", json_integer(n->routes[i].flags));
		json_object_set_new(r, "metric", json_integer(n->routes[i].metric));
		json_array_append_new(ra, r);
	}
	json_object_set_new(o, "routes", ra);
	json_object_set_new(o, "multicastSubscriptions", json_array());
	json_object_set_new(o, "dns", json_pack("{s:s, s:[]}", "domain", "", "servers"));
	return o;
}

json_t *ztdp_rpc_peer_json(const struct ztdp_peer_info *p)
{
	char ver[48];
	json_t *o, *pa;

	o = json_object();
	pa = json_array();
	if (o == NULL || pa == NULL) {
		json_decref(o);
		json_decref(pa);
		return NULL;
	}
	json_object_set_new(o, "address", hex_string(p->address, 10));
	json_object_set_new(o, "versionMajor", json_integer(p->version_major));
	json_object_set_new(o, "versionMinor", json_integer(p->version_minor));
	json_object_set_new(o, "versionRev", json_integer(p->version_revision));
	/* zerotier-one prints unknown as "-1.-1.-1"; so do we. */
	snprintf(ver, sizeof(ver), "%d.%d.%d", p->version_major, p->version_minor,
		 p->version_revision);
	json_object_set_new(o, "version", json_string(ver));
	json_object_set_new(o, "latency", json_integer(p->latency));
	json_object_set_new(o, "role", json_string(ztdp_peer_role_name(p->role)));
	json_object_set_new(o, "isBonded", json_false());
	json_object_set_new(o, "tunneled", json_false());
	for (unsigned int i = 0; i < p->path_count && i < 8; i++) {
		const struct ztdp_path_info *path = &p->paths[i];

		json_array_append_new(pa, json_pack("{s:o, s:I, s:I, s:i, s:b, s:b, s:b, s:i, s:i}",
			"address", inetaddr_string(&path->addr),
			"lastSend", (json_int_t)path->last_send,
			"lastReceive", (json_int_t)path->last_receive,
			"trustedPathId", 0,
			"active", (int)path->active,
			"expired", (int)!path->active,
			"preferred", (int)path->preferred,
			/* One UDP socket, no local port numbering. */
			"localSocket", 0,
			"localPort", 0));
	}
	json_object_set_new(o, "paths", pa);
	return o;
}

static int oom(struct ztdp_rpc_error *err)
{
	return ztdp_rpc_set_error(err, ZTDP_RPC_INTERNAL_ERROR, "out of memory");
}

static int m_node_status(void *vctx, const json_t *params, json_t **result,
			 struct ztdp_rpc_error *err)
{
	if (ztdp_rpc_check_params(params, NULL, err) != 0)
		return -1;
	*result = ztdp_rpc_node_status_json(vctx);
	return *result != NULL ? 0 : oom(err);
}

/* The node's list queries fill up to max and return how many exist. */
typedef unsigned int (*list_fn)(const struct ztdp_node *node, void *out, unsigned int max);

static unsigned int list_networks(const struct ztdp_node *node, void *out, unsigned int max)
{
	return ztdp_node_networks(node, out, max);
}

static unsigned int list_peers(const struct ztdp_node *node, void *out, unsigned int max)
{
	return ztdp_node_peers(node, out, max);
}

/* All of a list (asked again once if it outgrew the first guess): a
 * malloc'd array of *count elements, or NULL when out of memory. */
static void *list_all(const struct ztdp_node *node, list_fn fn, size_t size,
		      unsigned int first, unsigned int *count)
{
	void *v = malloc(first * size), *more;
	unsigned int n;

	if (v == NULL)
		return NULL;
	n = fn(node, v, first);
	if (n > first) {
		more = realloc(v, n * size);
		if (more == NULL) {
			free(v);
			return NULL;
		}
		v = more;
		first = n;
		n = fn(node, v, first);
	}
	*count = n < first ? n : first;
	return v;
}

static const char *device_name(const struct ztdp_rpc_node_ctx *ctx, uint64_t nwid)
{
	return ctx->device_name != NULL ? ctx->device_name(ctx->device_ctx, nwid) : NULL;
}

static int m_network_list(void *vctx, const json_t *params, json_t **result,
			  struct ztdp_rpc_error *err)
{
	struct ztdp_rpc_node_ctx *ctx = vctx;
	struct ztdp_network_info *nets;
	unsigned int n;
	json_t *arr;

	if (ztdp_rpc_check_params(params, NULL, err) != 0)
		return -1;
	nets = list_all(ctx->node, list_networks, sizeof(*nets), LIST_FIRST, &n);
	if (nets == NULL)
		return oom(err);
	arr = json_array();
	for (unsigned int i = 0; arr != NULL && i < n; i++)
		json_array_append_new(arr, ztdp_rpc_network_json(&nets[i],
								 device_name(ctx, nets[i].nwid)));
	free(nets);
	if (arr == NULL)
		return oom(err);
	*result = arr;
	return 0;
}

static const char *const nwid_params[] = { "!nwid", NULL };
static const char *const address_params[] = { "!address", NULL };

static int m_network_get(void *vctx, const json_t *params, json_t **result,
			 struct ztdp_rpc_error *err)
{
	struct ztdp_rpc_node_ctx *ctx = vctx;
	struct ztdp_network_info *n;
	uint64_t nwid;

	if (ztdp_rpc_check_params(params, nwid_params, err) != 0 ||
	    ztdp_rpc_param_hex(params, "nwid", 16, &nwid, err) != 0)
		return -1;
	/* ~2 KiB: keep it off the control thread's stack. */
	n = malloc(sizeof(*n));
	if (n == NULL)
		return oom(err);
	if (ztdp_node_network(ctx->node, nwid, n) != 0) {
		free(n);
		return ztdp_rpc_set_error(err, ZTDP_RPC_NOT_FOUND,
					  "not a member of network %016" PRIx64, nwid);
	}
	*result = ztdp_rpc_network_json(n, device_name(ctx, nwid));
	free(n);
	return *result != NULL ? 0 : oom(err);
}

static int m_network_join(void *vctx, const json_t *params, json_t **result,
			  struct ztdp_rpc_error *err)
{
	struct ztdp_rpc_node_ctx *ctx = vctx;
	struct ztdp_network_info *n;
	uint64_t nwid;

	if (ztdp_rpc_check_params(params, nwid_params, err) != 0 ||
	    ztdp_rpc_param_hex(params, "nwid", 16, &nwid, err) != 0)
		return -1;
	if (ztdp_node_join(ctx->node, node_now(ctx), nwid) != 0)
		return ztdp_rpc_set_error(err, ZTDP_RPC_INVALID_PARAMS,
					  "invalid network ID %016" PRIx64, nwid);
	/* As POST /network/<id>: answer with the network as it is now. */
	n = malloc(sizeof(*n));
	if (n == NULL)
		return oom(err);
	if (ztdp_node_network(ctx->node, nwid, n) != 0) {
		free(n);
		return ztdp_rpc_set_error(err, ZTDP_RPC_FAILED,
					  "joined %016" PRIx64 " but cannot find it", nwid);
	}
	*result = ztdp_rpc_network_json(n, device_name(ctx, nwid));
	free(n);
	return *result != NULL ? 0 : oom(err);
}

static int m_network_leave(void *vctx, const json_t *params, json_t **result,
			   struct ztdp_rpc_error *err)
{
	struct ztdp_rpc_node_ctx *ctx = vctx;
	struct ztdp_network_info *n;
	uint64_t nwid;
	bool member;

	if (ztdp_rpc_check_params(params, nwid_params, err) != 0 ||
	    ztdp_rpc_param_hex(params, "nwid", 16, &nwid, err) != 0)
		return -1;
	n = malloc(sizeof(*n));
	if (n == NULL)
		return oom(err);
	member = ztdp_node_network(ctx->node, nwid, n) == 0;
	free(n);
	/* As DELETE /network/<id>: leaving a network we are not in is not
	 * an error; "result" says whether we were in it. */
	if (member && ztdp_node_leave(ctx->node, node_now(ctx), nwid) != 0)
		return ztdp_rpc_set_error(err, ZTDP_RPC_FAILED,
					  "cannot leave network %016" PRIx64, nwid);
	*result = json_pack("{s:b}", "result", (int)member);
	return *result != NULL ? 0 : oom(err);
}

static int m_peer_list(void *vctx, const json_t *params, json_t **result,
		       struct ztdp_rpc_error *err)
{
	struct ztdp_rpc_node_ctx *ctx = vctx;
	struct ztdp_peer_info *peers;
	unsigned int n;
	json_t *arr;

	if (ztdp_rpc_check_params(params, NULL, err) != 0)
		return -1;
	peers = list_all(ctx->node, list_peers, sizeof(*peers), LIST_FIRST * 4, &n);
	if (peers == NULL)
		return oom(err);
	arr = json_array();
	for (unsigned int i = 0; arr != NULL && i < n; i++)
		json_array_append_new(arr, ztdp_rpc_peer_json(&peers[i]));
	free(peers);
	if (arr == NULL)
		return oom(err);
	*result = arr;
	return 0;
}

static int m_peer_get(void *vctx, const json_t *params, json_t **result,
		      struct ztdp_rpc_error *err)
{
	struct ztdp_rpc_node_ctx *ctx = vctx;
	struct ztdp_peer_info p;
	uint64_t address;

	if (ztdp_rpc_check_params(params, address_params, err) != 0 ||
	    ztdp_rpc_param_hex(params, "address", 10, &address, err) != 0)
		return -1;
	if (ztdp_node_peer(ctx->node, address, &p) != 0)
		return ztdp_rpc_set_error(err, ZTDP_RPC_NOT_FOUND,
					  "no peer %010" PRIx64, address);
	*result = ztdp_rpc_peer_json(&p);
	return *result != NULL ? 0 : oom(err);
}

/* Per-verb counters as {"HELLO": n, ...}, leaving out the zeros. */
static json_t *verb_counts(const uint64_t counts[32])
{
	json_t *o = json_object();

	for (unsigned int v = 0; o != NULL && v < 32; v++) {
		char unknown[16];
		const char *name = ztdp_verb_name(v);

		if (counts[v] == 0)
			continue;
		if (strcmp(name, "UNKNOWN") == 0) {
			snprintf(unknown, sizeof(unknown), "0x%02x", v);
			name = unknown;
		}
		json_object_set_new(o, name, json_integer((json_int_t)counts[v]));
	}
	return o;
}

static int m_stats(void *vctx, const json_t *params, json_t **result,
		   struct ztdp_rpc_error *err)
{
	struct ztdp_rpc_node_ctx *ctx = vctx;
	struct ztdp_node_stats s;
	json_t *o;

	if (ztdp_rpc_check_params(params, NULL, err) != 0)
		return -1;
	ztdp_node_stats(ctx->node, &s);
	o = json_pack("{s:I, s:I, s:I, s:I, s:o, s:o, s:I, s:I, s:I, s:I}",
		      "rxPackets", (json_int_t)s.rx_packets,
		      "txPackets", (json_int_t)s.tx_packets,
		      "rxAuthFailed", (json_int_t)s.rx_auth_failed,
		      "rxDropped", (json_int_t)s.rx_dropped,
		      "rxByVerb", verb_counts(s.rx_by_verb),
		      "txByVerb", verb_counts(s.tx_by_verb),
		      "whoisSent", (json_int_t)s.whois_sent,
		      "helloSent", (json_int_t)s.hello_sent,
		      "rateLimited", (json_int_t)s.rate_limited,
		      "relayed", (json_int_t)s.relayed);
	if (o == NULL)
		return oom(err);
	if (ctx->rpc != NULL) {
		struct ztdp_rpc_stats rs;
		json_t *drops = json_object();

		ztdp_rpc_get_stats(ctx->rpc, &rs);
		for (int i = 0; drops != NULL && i < ZTDP_RPC_DROP_COUNT; i++)
			json_object_set_new(drops, ztdp_rpc_drop_name((enum ztdp_rpc_drop)i),
					    json_integer((json_int_t)rs.dropped[i]));
		json_object_set_new(o, "rpc", json_pack("{s:I, s:I, s:I, s:I, s:o}",
			"clients", (json_int_t)rs.clients,
			"accepted", (json_int_t)rs.accepted,
			"requests", (json_int_t)rs.requests,
			"errors", (json_int_t)rs.errors,
			"dropped", drops != NULL ? drops : json_object()));
	}
	*result = o;
	return 0;
}

static const struct ztdp_rpc_method node_methods[] = {
	{ "node_status", m_node_status,
	  "this node: address, identity, online, version, planet (zerotier-cli info)" },
	{ "network_list", m_network_list,
	  "joined networks (zerotier-cli listnetworks)" },
	{ "network_get", m_network_get,
	  "one joined network: {\"nwid\": \"<16 hex>\"}" },
	{ "network_join", m_network_join,
	  "join a network: {\"nwid\": \"<16 hex>\"} (zerotier-cli join)" },
	{ "network_leave", m_network_leave,
	  "leave a network: {\"nwid\": \"<16 hex>\"} (zerotier-cli leave)" },
	{ "peer_list", m_peer_list,
	  "known peers and their paths (zerotier-cli listpeers)" },
	{ "peer_get", m_peer_get,
	  "one peer: {\"address\": \"<10 hex>\"}" },
	{ "stats", m_stats,
	  "control-plane counters: packets, per-verb, drops, RPC" },
};

int ztdp_rpc_register_node_methods(struct ztdp_rpc_server *srv,
				   struct ztdp_rpc_node_ctx *ctx)
{
	return ztdp_rpc_register(srv, node_methods,
				 sizeof(node_methods) / sizeof(node_methods[0]), ctx);
}
