/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The underlay port: one RX and one TX queue on any ethdev (a NIC, or
 * net_af_packet, net_af_xdp, net_pcap, net_ring, net_tap ...), with no RSS
 * and no offloads asked for, since vdevs have neither and the underlay
 * computes its checksums itself. The mbuf pool is sized from the memory EAL
 * was given, so `--no-huge -m 256` works as well as hugepages.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "ztdp_app.h"

#define ERR(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

/* Pool bounds: below MIN nothing works; MAX is plenty for a control path
 * plus one worker (descriptors + rings + bursts in flight). */
#define POOL_MIN		511
#define POOL_MAX		8191
/* Share of the free heap the pool may take (the rest: rings, rte_hash,
 * the node's allocations are plain malloc, not EAL memory). */
#define POOL_HEAP_SHARE		2

static unsigned int pow2_floor(unsigned int v)
{
	unsigned int p = 1;

	while (p * 2 <= v)
		p *= 2;
	return p;
}

/* Mbufs that fit in about half of the largest free EAL block. */
static unsigned int pool_fit(int socket, uint32_t elt_size)
{
	struct rte_malloc_socket_stats st;
	size_t per = elt_size + sizeof(struct rte_mbuf) + 64;

	if (rte_malloc_get_socket_stats(socket < 0 ? 0 : socket, &st) < 0)
		return POOL_MAX;
	return (unsigned int)RTE_MIN((size_t)POOL_MAX,
				     st.greatest_free_size / POOL_HEAP_SHARE / per);
}

static struct rte_mempool *create_pool(struct ztdp_port *p, unsigned int n,
				       uint16_t data_room, int socket)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	/* A cache per lcore; the control thread (no lcore id) goes to the
	 * ring directly. */
	unsigned int cache = RTE_MIN(64u, n / 16);

	snprintf(name, sizeof(name), "ztdp_mbuf_p%u", p->port_id);
	return rte_pktmbuf_pool_create(name, n, cache, 0, data_room, socket);
}

int ztdp_port_open(struct ztdp_port *p, uint16_t port_id, uint16_t mtu,
		   unsigned int want_mbufs, char *err, size_t errlen)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	struct rte_ether_addr mac;
	struct rte_eth_link link;
	uint16_t frame_room, data_room, max_mtu;
	unsigned int n;
	int socket, rc;

	memset(p, 0, sizeof(*p));
	p->port_id = port_id;
	if (!rte_eth_dev_is_valid_port(port_id)) {
		if (rte_eth_dev_count_avail() == 0)
			ERR("no DPDK port: give one to EAL (e.g. --vdev=net_af_packet0,iface=eth1 or a PCI device)");
		ERR("no DPDK port %u (%u port%s, numbered from 0); use --underlay-port",
		    port_id, rte_eth_dev_count_avail(),
		    rte_eth_dev_count_avail() == 1 ? "" : "s");
	}
	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc != 0)
		ERR("port %u: cannot read device info: %s", port_id, rte_strerror(-rc));
	rte_eth_dev_get_name_by_port(port_id, p->name);
	snprintf(p->driver, sizeof(p->driver), "%s",
		 info.driver_name != NULL ? info.driver_name : "?");
	socket = rte_eth_dev_socket_id(port_id);
	if (socket < 0)
		socket = (int)rte_socket_id();

	/* MTU: what was asked, within what the device and one mbuf take (no
	 * scatter: vdevs rarely support it and underlay frames are small). */
	max_mtu = info.max_mtu;
	if (info.max_rx_pktlen > RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN)
		max_mtu = (uint16_t)RTE_MIN((uint32_t)max_mtu, info.max_rx_pktlen -
					    RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN);
	p->mtu = RTE_MIN(mtu, max_mtu);
	if (p->mtu < mtu)
		ztdp_log(4, "port %u (%s): MTU %u is above the device's %u; using %u",
			 port_id, p->driver, mtu, max_mtu, p->mtu);
	if (p->mtu < 1280)
		ERR("port %u (%s): MTU %u is too small for ZeroTier (1280)",
		    port_id, p->driver, p->mtu);
	frame_room = (uint16_t)RTE_ALIGN_CEIL(p->mtu + RTE_ETHER_HDR_LEN +
					      RTE_ETHER_CRC_LEN + 4 /* VLAN */, 64);
	data_room = (uint16_t)(RTE_PKTMBUF_HEADROOM +
			       RTE_MAX(frame_room, (uint16_t)ZTDP_MBUF_DATA_ROOM));

	/* Pool: asked for, or what memory allows; halve on ENOMEM. */
	n = want_mbufs != 0 ? want_mbufs : pool_fit(socket, data_room);
	if (n < POOL_MIN)
		n = POOL_MIN;
	for (;;) {
		p->pool = create_pool(p, n, data_room, socket);
		if (p->pool != NULL || rte_errno != ENOMEM || want_mbufs != 0 ||
		    n <= POOL_MIN)
			break;
		n = (n + 1) / 2 - 1;
		if (n < POOL_MIN)
			n = POOL_MIN;
	}
	if (p->pool == NULL)
		ERR("cannot create a pool of %u mbufs: %s (give EAL more memory with -m, or fewer --mbufs)",
		    n, rte_strerror(rte_errno));
	p->nb_mbufs = n;
	/* Descriptors and rings in proportion, so that they cannot hold the
	 * whole pool between them and starve RX. */
	p->nb_rxd = (uint16_t)RTE_MAX(64u, RTE_MIN(1024u, pow2_floor(n / 8)));
	p->nb_txd = p->nb_rxd;
	p->ring_size = RTE_MAX(128u, RTE_MIN(1024u, pow2_floor(n / 8)));

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	conf.rxmode.mtu = p->mtu;
	conf.txmode.mq_mode = RTE_ETH_MQ_TX_NONE;
	rc = rte_eth_dev_configure(port_id, 1, 1, &conf);
	if (rc != 0)
		ERR("port %u (%s): configure failed: %s", port_id, p->driver,
		    rte_strerror(-rc));
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &p->nb_rxd, &p->nb_txd);
	if (rc != 0)
		ERR("port %u (%s): descriptor counts: %s", port_id, p->driver,
		    rte_strerror(-rc));
	rc = rte_eth_rx_queue_setup(port_id, 0, p->nb_rxd, (unsigned int)socket,
				    NULL, p->pool);
	if (rc != 0)
		ERR("port %u (%s): RX queue: %s", port_id, p->driver, rte_strerror(-rc));
	rc = rte_eth_tx_queue_setup(port_id, 0, p->nb_txd, (unsigned int)socket, NULL);
	if (rc != 0)
		ERR("port %u (%s): TX queue: %s", port_id, p->driver, rte_strerror(-rc));
	rc = rte_eth_dev_start(port_id);
	if (rc != 0)
		ERR("port %u (%s): start failed: %s", port_id, p->driver, rte_strerror(-rc));
	p->started = true;
	rc = rte_eth_macaddr_get(port_id, &mac);
	if (rc != 0)
		ERR("port %u (%s): no MAC address: %s", port_id, p->driver, rte_strerror(-rc));
	if (rte_is_zero_ether_addr(&mac)) {
		/* net_ring, net_null: no MAC of their own. A random locally
		 * administered one serves; they do not filter anyway. */
		rte_eth_random_addr(mac.addr_bytes);
		rc = rte_eth_dev_default_mac_addr_set(port_id, &mac);
		ztdp_log(5, "port %u (%s) has no MAC; using " RTE_ETHER_ADDR_PRT_FMT "%s",
			 port_id, p->driver, RTE_ETHER_ADDR_BYTES(&mac),
			 rc == 0 ? "" : " (in software only)");
	}
	if (!rte_is_unicast_ether_addr(&mac))
		ERR("port %u (%s): MAC " RTE_ETHER_ADDR_PRT_FMT " is not a unicast address",
		    port_id, p->driver, RTE_ETHER_ADDR_BYTES(&mac));
	memcpy(p->mac, mac.addr_bytes, ZTDP_ETH_ALEN);
	/* Broadcast ARP and solicited-node multicast must reach us; a NIC
	 * filters multicast unless told. Not every vdev implements this. */
	rc = rte_eth_allmulticast_enable(port_id);
	if (rc != 0 && rc != -ENOTSUP)
		ztdp_log(5, "port %u (%s): cannot enable all-multicast: %s", port_id,
			 p->driver, rte_strerror(-rc));
	memset(&link, 0, sizeof(link));
	rte_eth_link_get_nowait(port_id, &link);
	ztdp_log(6, "port %u: %s (%s) MAC " RTE_ETHER_ADDR_PRT_FMT ", MTU %u, link %s, %u mbufs, %u/%u descriptors",
		 port_id, p->name, p->driver, RTE_ETHER_ADDR_BYTES(&mac), p->mtu,
		 link.link_status ? "up" : "down", n, p->nb_rxd, p->nb_txd);
	return 0;
fail:
	ztdp_port_close(p);
	return -1;
}

void ztdp_port_close(struct ztdp_port *p)
{
	if (p->started) {
		rte_eth_dev_stop(p->port_id);
		p->started = false;
	}
	if (p->pool != NULL && rte_eth_dev_is_valid_port(p->port_id))
		rte_eth_dev_close(p->port_id);
	rte_mempool_free(p->pool);
	p->pool = NULL;
}
