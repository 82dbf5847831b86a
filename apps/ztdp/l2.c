/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The L2 side of each network: a DPDK port the dataplane polls, bridged to
 * the network. By default a net_tap interface ztdp creates, with the
 * network's MAC, MTU, managed addresses and routes, as zerotier-one does
 * with its tap; or any port EAL has (net_vhost for a QEMU guest,
 * af_packet/af_xdp onto a LAN, net_ring/net_pcap in tests); or a vdev
 * made from devargs when the network is set up.
 *
 * Addresses and routes go through rtnetlink so that several of each can be
 * added and taken off again when the controller changes them; MTU and
 * link state through the port (net_tap passes them to its interface).
 */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <linux/rtnetlink.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "ztdp_app.h"
#include "ztdp_dp.h"
#include "ztdp_mac.h"

#define ERR(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

/* Route metric for managed routes: above the kernel's prefix routes, as
 * zerotier-one's are, so a LAN route to the same prefix wins. */
#define L2_ROUTE_METRIC		5000
/* veth: af_packet's slot must fit one mbuf (ZTDP_MBUF_DATA_ROOM), which
 * holds a frame at ZeroTier's default MTU of 2800 with room to spare;
 * the polled end's MTU is what a slot takes. */
#define ZTDP_L2_VETH_FRAMESZ	ZTDP_MBUF_DATA_ROOM
#define ZTDP_L2_VETH_BLOCKSZ	(4 * ZTDP_L2_VETH_FRAMESZ)	/* pages; frames contiguous */
#define ZTDP_L2_VETH_MTU	(ZTDP_L2_VETH_FRAMESZ - 96)

/* ---- rtnetlink ---------------------------------------------------------------- */

struct nl_req {
	struct nlmsghdr h;
	union {
		struct ifaddrmsg ifa;
		struct rtmsg rt;
		struct ifinfomsg ifi;
	};
	char attrs[256];
};

static struct rtattr *nl_attr(struct nl_req *r, unsigned short type, const void *data,
			      size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->h.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len > 0)
		memcpy(RTA_DATA(a), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

/* Close a nested attribute opened with nl_attr(r, type, NULL, 0). */
static void nl_nest_end(struct nl_req *r, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)r + r->h.nlmsg_len - (char *)nest);
}

/* Send one request and read its ack: 0, or a negative errno. */
static int nl_talk(struct nl_req *r)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[1024];
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	ssize_t n;
	int rc = -EIO;

	if (fd < 0)
		return -errno;
	r->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r->h.nlmsg_seq = 1;
	if (sendto(fd, r, r->h.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;

		if (h->nlmsg_type == NLMSG_ERROR)
			rc = ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
	}
out:
	close(fd);
	return rc;
}

static int nl_addr(bool add, int ifindex, const struct ztdp_inetaddr *a)
{
	struct nl_req r;
	size_t alen = a->family == 4 ? 4 : 16;

	memset(&r, 0, sizeof(r));
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	r.h.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	r.h.nlmsg_flags = add ? NLM_F_CREATE | NLM_F_REPLACE : 0;
	r.ifa.ifa_family = a->family == 4 ? AF_INET : AF_INET6;
	r.ifa.ifa_prefixlen = (unsigned char)a->port;
	r.ifa.ifa_index = (unsigned int)ifindex;
	nl_attr(&r, IFA_LOCAL, a->ip, alen);
	nl_attr(&r, IFA_ADDRESS, a->ip, alen);
	return nl_talk(&r);
}

static int nl_route(bool add, int ifindex, const struct ztdp_inetaddr *target,
		    const struct ztdp_inetaddr *via)
{
	struct nl_req r;
	size_t alen = target->family == 4 ? 4 : 16;
	uint32_t oif = (uint32_t)ifindex, metric = L2_ROUTE_METRIC;

	memset(&r, 0, sizeof(r));
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	r.h.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	r.h.nlmsg_flags = add ? NLM_F_CREATE | NLM_F_REPLACE : 0;
	r.rt.rtm_family = target->family == 4 ? AF_INET : AF_INET6;
	r.rt.rtm_dst_len = (unsigned char)target->port;
	r.rt.rtm_table = RT_TABLE_MAIN;
	r.rt.rtm_protocol = RTPROT_STATIC;
	r.rt.rtm_scope = via->family != 0 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	r.rt.rtm_type = RTN_UNICAST;
	nl_attr(&r, RTA_DST, target->ip, alen);
	nl_attr(&r, RTA_OIF, &oif, sizeof(oif));
	nl_attr(&r, RTA_PRIORITY, &metric, sizeof(metric));
	if (via->family == target->family)
		nl_attr(&r, RTA_GATEWAY, via->ip, alen);
	return nl_talk(&r);
}

/* A veth pair: `name` for the kernel (with our MAC), `peer` for DPDK. */
static int nl_veth_create(const char *name, const char *peer, const uint8_t mac[6])
{
	struct nl_req r;
	struct rtattr *info, *data, *pa;
	struct ifinfomsg pi;

	memset(&r, 0, sizeof(r));
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	r.h.nlmsg_type = RTM_NEWLINK;
	r.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	r.ifi.ifi_family = AF_UNSPEC;
	nl_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
	nl_attr(&r, IFLA_ADDRESS, mac, 6);
	info = nl_attr(&r, IFLA_LINKINFO, NULL, 0);
	nl_attr(&r, IFLA_INFO_KIND, "veth", 4);
	data = nl_attr(&r, IFLA_INFO_DATA, NULL, 0);
	pa = nl_attr(&r, 1 /* VETH_INFO_PEER */, NULL, 0);
	memset(&pi, 0, sizeof(pi));
	memcpy(RTA_DATA(pa), &pi, sizeof(pi));
	r.h.nlmsg_len += NLMSG_ALIGN(sizeof(pi));
	nl_attr(&r, IFLA_IFNAME, peer, strlen(peer) + 1);
	nl_nest_end(&r, pa);
	nl_nest_end(&r, data);
	nl_nest_end(&r, info);
	return nl_talk(&r);
}

static int nl_link_delete(const char *name)
{
	struct nl_req r;

	memset(&r, 0, sizeof(r));
	r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	r.h.nlmsg_type = RTM_DELLINK;
	r.ifi.ifi_family = AF_UNSPEC;
	nl_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
	return nl_talk(&r);
}

/* Link up, MTU, and no checksum/segmentation offloads: af_packet hands
 * DPDK frames exactly as the kernel queued them, so offloaded checksums
 * would leave unfinished and GSO frames would exceed the MTU. */
static int link_prepare(const char *name, unsigned int mtu)
{
	static const uint32_t off_cmds[] = {
		ETHTOOL_STXCSUM, ETHTOOL_SSG, ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_SGRO,
	};
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	for (size_t i = 0; i < sizeof(off_cmds) / sizeof(off_cmds[0]); i++) {
		struct ethtool_value ev = { .cmd = off_cmds[i], .data = 0 };

		ifr.ifr_data = (char *)&ev;
		(void)ioctl(fd, SIOCETHTOOL, &ifr);	/* best effort */
	}
	if (mtu != 0) {
		ifr.ifr_mtu = (int)mtu;
		if (ioctl(fd, SIOCSIFMTU, &ifr) < 0)
			rc = -errno;
	}
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0 && rc == 0)
			rc = -errno;
	}
	close(fd);
	return rc;
}

/* ---- Opening ------------------------------------------------------------------- */

/* Make a vdev from "name,args" and find its port. */
static int probe_vdev(struct ztdp_l2 *l2, const char *devargs, char *err, size_t errlen)
{
	const char *comma = strchr(devargs, ',');
	size_t nlen = comma != NULL ? (size_t)(comma - devargs) : strlen(devargs);
	int rc;

	if (nlen == 0 || nlen >= sizeof(l2->devname))
		ERR("network %016" PRIx64 ": bad vdev '%s'", l2->nwid, devargs);
	memcpy(l2->devname, devargs, nlen);
	l2->devname[nlen] = '\0';
	rc = rte_dev_probe(devargs);
	if (rc != 0)
		ERR("network %016" PRIx64 ": cannot create %s: %s", l2->nwid, devargs,
		    rte_strerror(rc < 0 ? -rc : rc));
	l2->created = true;
	if (rte_eth_dev_get_port_by_name(l2->devname, &l2->port_id) != 0)
		ERR("network %016" PRIx64 ": %s made no ethdev port", l2->nwid, l2->devname);
	return 0;
fail:
	return -1;
}

int ztdp_l2_open(struct ztdp_l2 *l2, const struct ztdp_l2_spec *spec, uint64_t mac,
		 unsigned int index, char *err, size_t errlen)
{
	char devargs[512], mtext[32];
	unsigned long n;
	char *end;

	memset(l2, 0, sizeof(*l2));
	l2->nwid = spec->nwid;
	l2->kind = spec->kind;
	l2->mac = mac;
	switch (spec->kind) {
	case ZTDP_L2_VETH: {
		uint8_t m6[6];
		int rc;

		if (spec->arg[0] != '\0')
			snprintf(l2->ifname, sizeof(l2->ifname), "%.14s", spec->arg);
		else
			snprintf(l2->ifname, sizeof(l2->ifname), "zt%010" PRIx64,
				 (uint64_t)(spec->nwid & 0xffffffffffULL));
		snprintf(l2->peername, sizeof(l2->peername), "%.14sp", l2->ifname);
		for (int i = 0; i < 6; i++)
			m6[i] = (uint8_t)(mac >> (40 - 8 * i));
		(void)nl_link_delete(l2->ifname);	/* left by a killed run */
		rc = nl_veth_create(l2->ifname, l2->peername, m6);
		if (rc < 0)
			ERR("network %016" PRIx64 ": cannot create veth %s/%s: %s", spec->nwid,
			    l2->ifname, l2->peername, strerror(-rc));
		l2->is_veth = true;
		l2->is_tap = true;
		(void)link_prepare(l2->peername, ZTDP_L2_VETH_MTU);
		(void)link_prepare(l2->ifname, 0);
		/* Frames up to the largest ZeroTier MTU fit one af_packet slot. */
		snprintf(devargs, sizeof(devargs),
			 "net_af_packet_ztdp%u,iface=%s,framesz=%u,blocksz=%u,framecnt=512,qpairs=1",
			 index, l2->peername, ZTDP_L2_VETH_FRAMESZ, ZTDP_L2_VETH_BLOCKSZ);
		if (probe_vdev(l2, devargs, err, errlen) < 0) {
			(void)nl_link_delete(l2->ifname);
			l2->is_veth = false;
			return -1;
		}
		return 0;
	}
	case ZTDP_L2_TAP:
		/* zt + the network ID's low 40 bits: unique per network,
		 * within IFNAMSIZ, and recognisable next to zerotier-one's. */
		if (spec->arg[0] != '\0')
			snprintf(l2->ifname, sizeof(l2->ifname), "%.15s", spec->arg);
		else
			snprintf(l2->ifname, sizeof(l2->ifname), "zt%010" PRIx64,
				 (uint64_t)(spec->nwid & 0xffffffffffULL));
		ztdp_mac_format(mac, mtext, sizeof(mtext));
		snprintf(devargs, sizeof(devargs), "net_tap_ztdp%u,iface=%s,mac=%s", index,
			 l2->ifname, mtext);
		l2->is_tap = true;
		return probe_vdev(l2, devargs, err, errlen);
	case ZTDP_L2_VDEV:
		return probe_vdev(l2, spec->arg, err, errlen);
	case ZTDP_L2_PORT:
		errno = 0;
		n = strtoul(spec->arg, &end, 10);
		if (errno == 0 && *end == '\0' && n < RTE_MAX_ETHPORTS) {
			l2->port_id = (uint16_t)n;
			if (!rte_eth_dev_is_valid_port(l2->port_id))
				ERR("network %016" PRIx64 ": no DPDK port %lu", spec->nwid, (unsigned long)n);
		} else if (rte_eth_dev_get_port_by_name(spec->arg, &l2->port_id) != 0) {
			ERR("network %016" PRIx64 ": no DPDK port named '%s'", spec->nwid, spec->arg);
		}
		rte_eth_dev_get_name_by_port(l2->port_id, l2->devname);
		return 0;
	default:
		ERR("network %016" PRIx64 ": no L2 side", spec->nwid);
	}
fail:
	return -1;
}

int ztdp_l2_start(struct ztdp_l2 *l2, unsigned int lcores, struct rte_mempool *pool,
		  char *err, size_t errlen)
{
	struct ztdp_dp_port dpp;
	int rc;

	if (ztdp_dp_port_setup(l2->port_id, lcores, pool, 0, false, &dpp, err, errlen) < 0)
		return -1;
	l2->started = true;
	l2->rx_queues = dpp.rx_queues;
	l2->tx_queues = dpp.tx_queues;
	/* A bridge hears every MAC behind it; a TAP hands over everything
	 * anyway, and some PMDs refuse the call. */
	if (!l2->is_tap) {
		rc = rte_eth_promiscuous_enable(l2->port_id);
		if (rc != 0 && rc != -ENOTSUP)
			ztdp_log(4, "port %u (%s): cannot enable promiscuous mode: %s",
				 l2->port_id, l2->devname, rte_strerror(-rc));
	}
	if (l2->is_tap)
		l2->ifindex = (int)if_nametoindex(l2->ifname);
	return 0;
}

void ztdp_l2_close(struct ztdp_l2 *l2)
{
	if (l2->started) {
		(void)rte_eth_dev_stop(l2->port_id);
		l2->started = false;
	}
	if (l2->created) {
		struct rte_eth_dev_info info;
		struct rte_device *dev = NULL;

		if (rte_eth_dev_info_get(l2->port_id, &info) == 0)
			dev = info.device;
		(void)rte_eth_dev_close(l2->port_id);
		if (dev != NULL)
			(void)rte_dev_remove(dev);
		l2->created = false;
	}
	if (l2->is_veth) {
		(void)nl_link_delete(l2->ifname);	/* takes the peer too */
		l2->is_veth = false;
	}
}

/* ---- Following the network's config -------------------------------------------------- */

static bool addr_in(const struct ztdp_inetaddr *list, unsigned int n, const struct ztdp_inetaddr *a)
{
	for (unsigned int i = 0; i < n; i++)
		if (ztdp_inetaddr_equal(&list[i], a))
			return true;
	return false;
}

/* Is target the on-link prefix of one of our addresses (the kernel adds
 * that route with the address)? */
static bool route_is_prefix(const struct ztdp_network_info *ni, const struct ztdp_inetaddr *t,
			    const struct ztdp_inetaddr *via)
{
	if (via->family != 0)
		return false;
	for (unsigned int i = 0; i < ni->assigned_count; i++) {
		const struct ztdp_inetaddr *a = &ni->assigned[i];
		unsigned int bits = t->port, whole = bits / 8;

		if (a->family != t->family || a->port != t->port)
			continue;
		if (memcmp(a->ip, t->ip, whole) != 0)
			continue;
		if (bits % 8 != 0 &&
		    ((a->ip[whole] ^ t->ip[whole]) & (0xff00 >> (bits % 8)) & 0xff) != 0)
			continue;
		return true;
	}
	return false;
}

void ztdp_l2_apply(struct ztdp_l2 *l2, const struct ztdp_network_info *ni, bool manage)
{
	char text[64];
	int rc;

	if (ni != NULL && ni->mtu != 0 && ni->mtu != l2->mtu) {
		uint16_t have = 0;

		l2->mtu = ni->mtu;
		l2->port_mtu = ni->mtu;
		if (l2->is_veth) {
			/* The polled end takes any size (ZTDP_L2_VETH_MTU). */
			rc = link_prepare(l2->ifname, ni->mtu);
		} else {
			rc = rte_eth_dev_set_mtu(l2->port_id, (uint16_t)ni->mtu);
			/* Refused: the port keeps its MTU and the dataplane
			 * fragments or answers ICMP too-big (l2_mtu.c). */
			if (rc != 0 && rte_eth_dev_get_mtu(l2->port_id, &have) == 0 && have < ni->mtu)
				l2->port_mtu = have;
		}
		if (rc != 0)
			ztdp_log(4, "network %016" PRIx64 ": %s takes MTU %u, not the network's %u: "
				 "larger IPv4 is fragmented, else ICMP too-big goes back%s",
				 l2->nwid, l2->is_tap ? l2->ifname : l2->devname, l2->port_mtu,
				 ni->mtu, l2->is_tap && !l2->is_veth ?
				 " (net_tap in DPDK 22.11 stops at 1500; --l2 NWID=veth has none)" : "");
	}
	if (!l2->is_tap || !manage || l2->ifindex <= 0)
		return;
	/* Take off what the controller no longer assigns, then add. */
	for (unsigned int i = 0; i < l2->route_count; i++)
		(void)nl_route(false, l2->ifindex, &l2->routes[i].target, &l2->routes[i].via);
	l2->route_count = 0;
	for (unsigned int i = 0; i < l2->addr_count; i++) {
		if (ni != NULL && addr_in(ni->assigned, ni->assigned_count, &l2->addrs[i]))
			continue;
		(void)nl_addr(false, l2->ifindex, &l2->addrs[i]);
	}
	l2->addr_count = 0;
	if (ni == NULL)
		return;
	for (unsigned int i = 0; i < ni->assigned_count && l2->addr_count < ZTDP_L2_MAX_ADDRS; i++) {
		const struct ztdp_inetaddr *a = &ni->assigned[i];

		rc = nl_addr(true, l2->ifindex, a);
		ztdp_inetaddr_format(a, text, sizeof(text));
		if (rc < 0 && rc != -EEXIST) {
			ztdp_log(4, "network %016" PRIx64 ": %s: cannot add address %s: %s",
				 l2->nwid, l2->ifname, text, strerror(-rc));
			continue;
		}
		l2->addrs[l2->addr_count++] = *a;
	}
	for (unsigned int i = 0; i < ni->route_count && l2->route_count < ZTDP_L2_MAX_ROUTES; i++) {
		const struct ztdp_inetaddr *t = &ni->routes[i].target, *via = &ni->routes[i].via;

		if (route_is_prefix(ni, t, via))
			continue;
		rc = nl_route(true, l2->ifindex, t, via);
		if (rc < 0 && rc != -EEXIST) {
			ztdp_inetaddr_format(t, text, sizeof(text));
			ztdp_log(4, "network %016" PRIx64 ": %s: cannot add route %s: %s",
				 l2->nwid, l2->ifname, text, strerror(-rc));
			continue;
		}
		l2->routes[l2->route_count].target = *t;
		l2->routes[l2->route_count++].via = *via;
	}
}
