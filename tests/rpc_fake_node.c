/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A stand-in for the node's query API (ztdp_node.h), for the JSON-RPC
 * tests: it answers with what node "a" of shared/interop/data reported
 * through zerotier-cli after the recorded run (cli/cli-a-*.json), so the
 * RPC's JSON can be compared field by field with ZeroTierOne's, and it
 * keeps a small joined-network list for join/leave. The test links this
 * instead of the node library, so the RPC tests do not depend on the
 * node's protocol state machine.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rpc_fake_node.h"
#include "ztdp_inetaddr.h"

#define FAKE_MAX_NETWORKS 8

static struct {
	unsigned int count;
	uint64_t nwids[FAKE_MAX_NETWORKS];
	unsigned int joins, leaves;
	uint64_t last_now;
	unsigned int extra_peers;
} fake;

struct ztdp_node *rpc_fake_node(void)
{
	/* Never dereferenced: every call below ignores it. */
	static char token;

	memset(&fake, 0, sizeof(fake));
	fake.count = 1;
	fake.nwids[0] = RPC_FAKE_NWID;
	return (struct ztdp_node *)&token;
}

void rpc_fake_node_set_extra_peers(unsigned int n)
{
	fake.extra_peers = n;
}

unsigned int rpc_fake_node_joins(void)
{
	return fake.joins;
}

uint64_t rpc_fake_node_last_now(void)
{
	return fake.last_now;
}

void ztdp_node_info(const struct ztdp_node *node, struct ztdp_node_info *info)
{
	(void)node;
	memset(info, 0, sizeof(*info));
	info->address = 0xdec87a28aaULL;
	snprintf(info->public_identity, sizeof(info->public_identity), "%s",
		 "dec87a28aa:0:1beac155562c9a1d2d8af4fcc13c5ea6d2b1b99e923e48b8d03c0d3a"
		 "2320825782d01d94bed9e981da2b17183388ed6e4255e8f9f14268b81212c0b36cfbed92");
	info->online = true;
	info->clock = RPC_FAKE_CLOCK;
	info->planet_world_id = 3405643777ULL;
	info->planet_timestamp = 1795308312761ULL;
}

static void fill_network(uint64_t nwid, struct ztdp_network_info *n)
{
	memset(n, 0, sizeof(*n));
	n->nwid = nwid;
	if (nwid != RPC_FAKE_NWID) {
		/* Joined, no config yet. */
		n->mac = 0;
		n->status = ZTDP_NETWORK_REQUESTING_CONFIGURATION;
		return;
	}
	n->mac = 0x82f892a8cbc8ULL;
	snprintf(n->name, sizeof(n->name), "interop");
	n->status = ZTDP_NETWORK_OK;
	n->is_public = false;
	n->bridge = false;
	n->broadcast_enabled = true;
	n->mtu = 2800;
	n->netconf_revision = 1;
	n->assigned_count = 1;
	ztdp_inetaddr_set_v4(&n->assigned[0], 0x0a93110b, 24);	/* 10.147.17.11/24 */
	n->route_count = 1;
	ztdp_inetaddr_set_v4(&n->routes[0].target, 0x0a931100, 24);
}

unsigned int ztdp_node_networks(const struct ztdp_node *node,
				struct ztdp_network_info *out, unsigned int max)
{
	(void)node;
	for (unsigned int i = 0; i < fake.count && i < max; i++)
		fill_network(fake.nwids[i], &out[i]);
	return fake.count;
}

int ztdp_node_network(const struct ztdp_node *node, uint64_t nwid,
		      struct ztdp_network_info *out)
{
	(void)node;
	for (unsigned int i = 0; i < fake.count; i++) {
		if (fake.nwids[i] == nwid) {
			fill_network(nwid, out);
			return 0;
		}
	}
	return -1;
}

static void fill_peer(unsigned int i, struct ztdp_peer_info *p)
{
	memset(p, 0, sizeof(*p));
	p->version_major = 1;
	p->version_minor = 14;
	p->version_revision = 1;
	p->proto_version = 12;
	p->path_count = 1;
	p->paths[0].active = true;
	p->paths[0].preferred = true;
	switch (i) {
	case 0:
		p->address = 0x31a462e3d2ULL;
		p->role = ZTDP_PEER_PLANET;
		p->latency = 16;
		ztdp_inetaddr_set_v4(&p->paths[0].addr, 0x0a630001, 9993);
		p->paths[0].last_send = p->paths[0].last_receive = 1795308338097ULL;
		break;
	case 1:
		p->address = 0x3285290482ULL;
		p->role = ZTDP_PEER_LEAF;
		p->latency = 12;
		ztdp_inetaddr_set_v4(&p->paths[0].addr, 0x0a630003, 9993);
		p->paths[0].last_send = p->paths[0].last_receive = 1795308338876ULL;
		break;
	default:
		/* Extra peers for size tests: unknown version, no path. */
		p->address = 0x1000000000ULL + i;
		p->role = ZTDP_PEER_LEAF;
		p->latency = -1;
		p->version_major = p->version_minor = p->version_revision = -1;
		p->path_count = 0;
		break;
	}
}

unsigned int ztdp_node_peers(const struct ztdp_node *node,
			     struct ztdp_peer_info *out, unsigned int max)
{
	unsigned int total = 2 + fake.extra_peers;

	(void)node;
	for (unsigned int i = 0; i < total && i < max; i++)
		fill_peer(i, &out[i]);
	return total;
}

int ztdp_node_peer(const struct ztdp_node *node, uint64_t address,
		   struct ztdp_peer_info *out)
{
	unsigned int total = 2 + fake.extra_peers;

	(void)node;
	for (unsigned int i = 0; i < total; i++) {
		fill_peer(i, out);
		if (out->address == address)
			return 0;
	}
	return -1;
}

void ztdp_node_stats(const struct ztdp_node *node, struct ztdp_node_stats *out)
{
	(void)node;
	memset(out, 0, sizeof(*out));
	out->rx_packets = 181;
	out->tx_packets = 90;
	out->rx_by_verb[0x01] = 3;
	out->rx_by_verb[0x1f] = 1;
	out->tx_by_verb[0x01] = 4;
	out->hello_sent = 4;
}

int ztdp_node_join(struct ztdp_node *node, uint64_t now, uint64_t nwid)
{
	(void)node;
	fake.last_now = now;
	/* As the node: network ID 0 is not one. */
	if (nwid == 0)
		return -1;
	for (unsigned int i = 0; i < fake.count; i++)
		if (fake.nwids[i] == nwid)
			return 0;
	if (fake.count == FAKE_MAX_NETWORKS)
		return -1;
	fake.nwids[fake.count++] = nwid;
	fake.joins++;
	return 0;
}

int ztdp_node_leave(struct ztdp_node *node, uint64_t now, uint64_t nwid)
{
	(void)node;
	fake.last_now = now;
	for (unsigned int i = 0; i < fake.count; i++) {
		if (fake.nwids[i] == nwid) {
			fake.nwids[i] = fake.nwids[--fake.count];
			fake.leaves++;
			return 0;
		}
	}
	return -1;
}

const char *ztdp_network_status_name(enum ztdp_network_status s)
{
	switch (s) {
	case ZTDP_NETWORK_REQUESTING_CONFIGURATION: return "REQUESTING_CONFIGURATION";
	case ZTDP_NETWORK_OK: return "OK";
	case ZTDP_NETWORK_ACCESS_DENIED: return "ACCESS_DENIED";
	case ZTDP_NETWORK_NOT_FOUND: return "NOT_FOUND";
	case ZTDP_NETWORK_PORT_ERROR: return "PORT_ERROR";
	case ZTDP_NETWORK_CLIENT_TOO_OLD: return "CLIENT_TOO_OLD";
	case ZTDP_NETWORK_AUTHENTICATION_REQUIRED: return "AUTHENTICATION_REQUIRED";
	}
	return "";
}

const char *ztdp_peer_role_name(enum ztdp_peer_role r)
{
	switch (r) {
	case ZTDP_PEER_LEAF: return "LEAF";
	case ZTDP_PEER_MOON: return "MOON";
	case ZTDP_PEER_PLANET: return "PLANET";
	}
	return "";
}
