/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port set-up for the dataplane: one RX/TX queue pair per lcore when the
 * device can spread flows over them itself (RSS on IP addresses and UDP
 * ports, so that a sender's fragments share a queue), or when the caller
 * says its queues are independent sources anyway (vdevs such as net_null
 * and net_pcap, used by the bench); otherwise one RX queue, which lcore 0
 * reads and dispatches in software (dispatch.c), and as many TX queues as
 * the device has, up to one per lcore.
 */
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "dp_internal.h"

#define ERR(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)
#define RING_DESC	1024

int ztdp_dp_port_setup(uint16_t port_id, unsigned int lcores, struct rte_mempool *pool,
		       uint16_t mtu, bool force_queues, struct ztdp_dp_port *out,
		       char *err, size_t errlen)
{
	const uint64_t want_rss = RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP;
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint16_t nrx = 1, ntx, nb_rxd = RING_DESC, nb_txd = RING_DESC;
	bool rss = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!rte_eth_dev_is_valid_port(port_id))
		ERR("no DPDK port %u", port_id);
	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc != 0)
		ERR("port %u: cannot read device info: %s", port_id, rte_strerror(-rc));
	if (lcores > 1 && info.max_rx_queues >= lcores) {
		if (force_queues) {
			nrx = (uint16_t)lcores;
		} else if (info.flow_type_rss_offloads & want_rss) {
			nrx = (uint16_t)lcores;
			rss = true;
		}
	}
	ntx = (uint16_t)RTE_MIN(lcores, (unsigned int)info.max_tx_queues);
	if (ntx == 0)
		ntx = 1;
	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mq_mode = rss ? RTE_ETH_MQ_RX_RSS : RTE_ETH_MQ_RX_NONE;
	if (rss)
		conf.rx_adv_conf.rss_conf.rss_hf = want_rss & info.flow_type_rss_offloads;
	if (mtu != 0)
		conf.rxmode.mtu = mtu;
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	rc = rte_eth_dev_configure(port_id, nrx, ntx, &conf);
	if (rc != 0)
		ERR("port %u (%s): configure with %u/%u queues failed: %s", port_id,
		    info.driver_name, nrx, ntx, rte_strerror(-rc));
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
	if (rc != 0)
		ERR("port %u: descriptor counts: %s", port_id, rte_strerror(-rc));
	for (uint16_t q = 0; q < nrx; q++) {
		rc = rte_eth_rx_queue_setup(port_id, q, nb_rxd, rte_eth_dev_socket_id(port_id),
					    NULL, pool);
		if (rc != 0)
			ERR("port %u: RX queue %u: %s", port_id, q, rte_strerror(-rc));
	}
	for (uint16_t q = 0; q < ntx; q++) {
		rc = rte_eth_tx_queue_setup(port_id, q, nb_txd, rte_eth_dev_socket_id(port_id),
					    NULL);
		if (rc != 0)
			ERR("port %u: TX queue %u: %s", port_id, q, rte_strerror(-rc));
	}
	rc = rte_eth_dev_start(port_id);
	if (rc != 0)
		ERR("port %u: start failed: %s", port_id, rte_strerror(-rc));
	out->port_id = port_id;
	out->rx_queues = nrx;
	out->tx_queues = ntx;
	return 0;
}
