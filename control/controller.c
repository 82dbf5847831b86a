/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The embedded network controller (ztdp_controller.h): networks and
 * members, config requests answered as ZeroTierOne 1.14.1's
 * EmbeddedNetworkController answers them, the pushes and revocations a
 * change calls for, and the whole state as one JSON document.
 *
 * A config is built on demand, never kept: the netconf struct is filled
 * from the network and the member (in 1.14.1's order: rfc4193, 6plane,
 * the member's routed addresses, then one address from the pools if it
 * has none of that family), signed credentials are issued for `now` (COM
 * always, one COO over the static IPs), and proto/'s encoder writes the
 * Dictionary exactly as 1.14.1 writes it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "controller_internal.h"
#include "ztdp_dict.h"
#include "ztdp_mac.h"

/* Prefix lengths 1.14.1 gives its generated IPv6 addresses (notes 1.5). */
#define RFC4193_PREFIX		88
#define SIXPLANE_PREFIX		40
/* Tries per pool when looking for a free address (1.14.1's). */
#define ASSIGN_TRIALS		1000
/* Version of the state document. */
#define STATE_VERSION		1

/* Items of one size in [head, count) of an array grown by doubling. */
struct fifo {
	uint8_t *items;
	size_t size;
	unsigned int head, count, cap;
};

struct ztdp_controller {
	struct ztdp_identity id;	/* with the private key: signs everything */
	struct ztdp_identity id_pub;
	struct ctl_network **nets;	/* ascending nwid */
	unsigned int nnets, netcap;
	bool dirty;
	bool broken;			/* state did not load: no changes, no saves */
	char broken_why[200];
	/* Work for the node. */
	struct fifo pushes;		/* struct ztdp_controller_push */
	struct fifo revs;		/* struct ztdp_controller_revocation */
	/* The config being answered (netconf is hundreds of KiB). */
	struct ztdp_netconf *nc;
	uint8_t *dict;
};

const char *ztdp_controller_strerror(int err)
{
	switch (err) {
	case ZTDP_CTL_OK:
		return "ok";
	case ZTDP_CTL_EINVAL:
		return "invalid input";
	case ZTDP_CTL_ENOENT:
		return "no such network or member";
	case ZTDP_CTL_EEXIST:
		return "network exists";
	case ZTDP_CTL_ELIMIT:
		return "over a controller limit";
	case ZTDP_CTL_ENOMEM:
		return "out of memory";
	case ZTDP_CTL_EBROKEN:
		return "controller state did not load";
	}
	return "?";
}

/* ---- Create / destroy ----------------------------------------------------------- */

static void network_free(struct ctl_network *net)
{
	if (net == NULL)
		return;
	free(net->members);
	free(net);
}

static void networks_clear(struct ztdp_controller *c)
{
	for (unsigned int i = 0; i < c->nnets; i++)
		network_free(c->nets[i]);
	c->nnets = 0;
}

struct ztdp_controller *ztdp_controller_create(const struct ztdp_identity *id)
{
	struct ztdp_controller *c;

	if (id == NULL || !id->has_private)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->id = *id;
	c->id_pub = *id;
	memset(c->id_pub.priv, 0, sizeof(c->id_pub.priv));
	c->id_pub.has_private = false;
	c->pushes.size = sizeof(struct ztdp_controller_push);
	c->revs.size = sizeof(struct ztdp_controller_revocation);
	/* The config scratch (nc, dict) comes with the first config: every
	 * node has a controller, few use it. */
	return c;
}

void ztdp_controller_destroy(struct ztdp_controller *c)
{
	if (c == NULL)
		return;
	networks_clear(c);
	free(c->nets);
	free(c->pushes.items);
	free(c->revs.items);
	ztdp_netconf_free(c->nc);
	free(c->dict);
	ztdp_identity_clear(&c->id);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

uint64_t ztdp_controller_address(const struct ztdp_controller *c)
{
	return c->id.address;
}

unsigned int ztdp_controller_network_count(const struct ztdp_controller *c)
{
	return c->nnets;
}

/* ---- Lookup ------------------------------------------------------------------------ */

static bool is_ours(const struct ztdp_controller *c, uint64_t nwid)
{
	return nwid >> 24 == c->id.address;
}

static uint64_t network_key(const void *ctx, unsigned int i)
{
	return ((const struct ztdp_controller *)ctx)->nets[i]->nwid;
}

static uint64_t member_key(const void *ctx, unsigned int i)
{
	return ((const struct ctl_network *)ctx)->members[i].address;
}

/* Index of key among n ascending keys, or where it would go (*found
 * false). */
static unsigned int slot_of(const void *ctx, unsigned int n,
			    uint64_t (*key_at)(const void *, unsigned int), uint64_t key,
			    bool *found)
{
	unsigned int lo = 0, hi = n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (key_at(ctx, mid) < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < n && key_at(ctx, lo) == key;
	return lo;
}

static unsigned int network_slot(const struct ztdp_controller *c, uint64_t nwid, bool *found)
{
	return slot_of(c, c->nnets, network_key, nwid, found);
}

static struct ctl_network *network_find(const struct ztdp_controller *c, uint64_t nwid)
{
	bool found;
	unsigned int i = network_slot(c, nwid, &found);

	return found ? c->nets[i] : NULL;
}

static unsigned int member_slot(const struct ctl_network *net, uint64_t address, bool *found)
{
	return slot_of(net, net->nmembers, member_key, address, found);
}

static struct ctl_member *member_find(const struct ctl_network *net, uint64_t address)
{
	bool found;
	unsigned int i = member_slot(net, address, &found);

	return found ? &net->members[i] : NULL;
}

/* Make room at index `at` of an array of n items of `size` bytes whose
 * capacity *cap doubles when full: the array (maybe moved), or NULL if out
 * of memory (then unchanged). */
static void *array_open(void *base, unsigned int n, unsigned int *cap, size_t size,
			unsigned int at)
{
	uint8_t *b = base;

	if (n == *cap) {
		unsigned int more = *cap ? *cap * 2 : 8;

		b = realloc(base, (size_t)more * size);
		if (b == NULL)
			return NULL;
		*cap = more;
	}
	memmove(b + (size_t)(at + 1) * size, b + (size_t)at * size, (size_t)(n - at) * size);
	return b;
}

/* Remove item `at` of n. */
static void array_close(void *base, unsigned int n, size_t size, unsigned int at)
{
	uint8_t *b = base;

	memmove(b + (size_t)at * size, b + (size_t)(at + 1) * size, (size_t)(n - at - 1) * size);
}

/* Put m (not yet in net) into its place; returns the stored copy. */
static struct ctl_member *member_insert(struct ctl_network *net, const struct ctl_member *m)
{
	bool found;
	unsigned int i = member_slot(net, m->address, &found);
	struct ctl_member *members;

	if (found || net->nmembers >= ZTDP_CONTROLLER_MAX_MEMBERS)
		return NULL;
	members = array_open(net->members, net->nmembers, &net->cap, sizeof(*members), i);
	if (members == NULL)
		return NULL;
	net->members = members;
	members[i] = *m;
	net->nmembers++;
	return &members[i];
}

static void member_remove(struct ctl_network *net, struct ctl_member *m)
{
	array_close(net->members, net->nmembers, sizeof(*m), (unsigned int)(m - net->members));
	net->nmembers--;
}

static void member_init(struct ctl_member *m, uint64_t address, uint64_t now)
{
	memset(m, 0, sizeof(*m));
	m->address = address;
	m->creation_time = now;
	m->vmajor = m->vminor = m->vrev = m->vproto = -1;
}

static int network_insert(struct ztdp_controller *c, struct ctl_network *net)
{
	bool found;
	unsigned int i = network_slot(c, net->nwid, &found);
	struct ctl_network **nets;

	if (found)
		return ZTDP_CTL_EEXIST;
	if (c->nnets >= ZTDP_CONTROLLER_MAX_NETWORKS)
		return ZTDP_CTL_ELIMIT;
	nets = array_open(c->nets, c->nnets, &c->netcap, sizeof(*nets), i);
	if (nets == NULL)
		return ZTDP_CTL_ENOMEM;
	c->nets = nets;
	nets[i] = net;
	c->nnets++;
	return 0;
}

static bool member_online(const struct ctl_member *m, uint64_t now)
{
	return m->last_request != 0 && now >= m->last_request &&
	       now - m->last_request < ZTDP_CONTROLLER_ONLINE_MS;
}

static bool identity_same(const struct ztdp_identity *a, const struct ztdp_identity *b)
{
	return a->address == b->address && memcmp(a->pub, b->pub, sizeof(a->pub)) == 0;
}

/* ---- Work queues --------------------------------------------------------------------- */

/* Room for one more item at the tail; NULL when the queue is at
 * ZTDP_CONTROLLER_MAX_QUEUED or memory is short. The node drains the
 * queues after every change, so this takes a flood of changes between two
 * drains; then a lost push costs a member at most its 60 s refresh, and a
 * lost revocation leaves the old COM good until it ages past ctmd. */
static void *fifo_append(struct fifo *q)
{
	if (q->head > 0 && q->count == q->cap) {
		memmove(q->items, q->items + (size_t)q->head * q->size,
			(size_t)(q->count - q->head) * q->size);
		q->count -= q->head;
		q->head = 0;
	}
	if (q->count == q->cap) {
		unsigned int cap = q->cap ? q->cap * 2 : 16;
		uint8_t *more;

		if (cap > ZTDP_CONTROLLER_MAX_QUEUED)
			return NULL;
		more = realloc(q->items, (size_t)cap * q->size);
		if (more == NULL)
			return NULL;
		q->items = more;
		q->cap = cap;
	}
	return q->items + (size_t)q->count++ * q->size;
}

static bool fifo_take(struct fifo *q, void *out)
{
	if (q->head >= q->count) {
		q->head = q->count = 0;
		return false;
	}
	memcpy(out, q->items + (size_t)q->head++ * q->size, q->size);
	return true;
}

static void queue_push(struct ztdp_controller *c, uint64_t nwid, uint64_t member)
{
	const struct ztdp_controller_push *queued = (const void *)c->pushes.items;
	struct ztdp_controller_push *p;

	for (unsigned int i = c->pushes.head; i < c->pushes.count; i++)
		if (queued[i].nwid == nwid && queued[i].member == member)
			return;
	p = fifo_append(&c->pushes);
	if (p != NULL) {
		p->nwid = nwid;
		p->member = member;
	}
}

bool ztdp_controller_next_push(struct ztdp_controller *c, struct ztdp_controller_push *out)
{
	return fifo_take(&c->pushes, out);
}

static void queue_revocation(struct ztdp_controller *c, uint64_t to,
			     const struct ztdp_revocation *rev)
{
	struct ztdp_controller_revocation *r = fifo_append(&c->revs);

	if (r != NULL) {
		r->to = to;
		r->rev = *rev;
	}
}

bool ztdp_controller_next_revocation(struct ztdp_controller *c,
				     struct ztdp_controller_revocation *out)
{
	return fifo_take(&c->revs, out);
}

/* A member's config changed: push it if it is listening. */
static void push_member(struct ztdp_controller *c, const struct ctl_network *net,
			const struct ctl_member *m, uint64_t now)
{
	if (member_online(m, now))
		queue_push(c, net->nwid, m->address);
}

static void push_network(struct ztdp_controller *c, const struct ctl_network *net,
			 uint64_t now)
{
	for (unsigned int i = 0; i < net->nmembers; i++)
		push_member(c, net, &net->members[i], now);
}

/*
 * The member at `address` is no longer authorized: revoke every COM issued
 * to it up to now and tell every member that asked recently (1.14.1's
 * onNetworkMemberDeauthorize: credential ID 0, fast-propagate).
 */
static void revoke_member(struct ztdp_controller *c, const struct ctl_network *net,
			  uint64_t address, uint64_t now)
{
	struct ztdp_revocation rev;

	memset(&rev, 0, sizeof(rev));
	rev.id = randombytes_random();
	rev.nwid = net->nwid;
	rev.credential_id = 0;
	rev.threshold = (int64_t)now;
	rev.flags = ZTDP_REVOCATION_FLAG_FAST_PROPAGATE;
	rev.target = address;
	rev.credential_type = ZTDP_CRED_TYPE_COM;
	if (ztdp_revocation_sign(&rev, &c->id) != ZTDP_CRED_OK)
		return;
	for (unsigned int i = 0; i < net->nmembers; i++)
		if (member_online(&net->members[i], now))
			queue_revocation(c, net->members[i].address, &rev);
}

/* ---- Addresses ----------------------------------------------------------------------- */

static int inetaddr_cmp(const void *a, const void *b)
{
	const struct ztdp_inetaddr *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->ip, y->ip, sizeof(x->ip));
}

/* Every address any member of net holds (1.14.1's allocatedIps), sorted;
 * *count set. NULL with *count 0 when there are none or memory is short
 * (then nothing is assigned: better no address than a duplicate). */
static struct ztdp_inetaddr *allocated_ips(const struct ctl_network *net, size_t *count,
					   bool *ok)
{
	struct ztdp_inetaddr *all;
	size_t n = 0;

	*count = 0;
	*ok = true;
	for (unsigned int i = 0; i < net->nmembers; i++)
		n += net->members[i].nips;
	if (n == 0)
		return NULL;
	all = malloc(n * sizeof(*all));
	if (all == NULL) {
		*ok = false;
		return NULL;
	}
	n = 0;
	for (unsigned int i = 0; i < net->nmembers; i++)
		for (unsigned int j = 0; j < net->members[i].nips; j++) {
			all[n] = net->members[i].ips[j];
			all[n].port = 0;
			n++;
		}
	qsort(all, n, sizeof(*all), inetaddr_cmp);
	*count = n;
	return all;
}

static bool ip_taken(const struct ztdp_inetaddr *all, size_t n, const struct ztdp_inetaddr *ip)
{
	return n > 0 && bsearch(ip, all, n, sizeof(*all), inetaddr_cmp) != NULL;
}

/* The longest prefix among the routes containing ip, -1 if none. */
static int routed_bits(const struct ctl_settings *s, const struct ztdp_inetaddr *ip)
{
	int best = -1;

	for (unsigned int i = 0; i < s->nroutes; i++)
		if (ctl_route_contains(&s->routes[i].target, ip) &&
		    (int)s->routes[i].target.port > best)
			best = s->routes[i].target.port;
	return best;
}

/* Does m hold an address of this family inside a route (1.14.1's
 * haveManagedIpv4/6AutoAssignment)? */
static bool has_routed(const struct ctl_settings *s, const struct ctl_member *m,
		       unsigned int family)
{
	for (unsigned int i = 0; i < m->nips; i++)
		if (m->ips[i].family == family && routed_bits(s, &m->ips[i]) >= 0)
			return true;
	return false;
}

/* An IPv4 address from the pools, tried as 1.14.1 tries them: starting
 * at the member address's low 32 bits modulo the pool size, skipping .255,
 * inside the first route that contains it. */
static bool pick_v4(const struct ctl_settings *s, const struct ctl_member *m,
		    const struct ztdp_inetaddr *taken, size_t ntaken, struct ztdp_inetaddr *out)
{
	for (unsigned int p = 0; p < s->npools; p++) {
		uint32_t start, end, len, counter;
		uint64_t k;
		unsigned int trial;

		if (s->pools[p].start.family != 4)
			continue;
		start = ztdp_inetaddr_v4(&s->pools[p].start);
		end = ztdp_inetaddr_v4(&s->pools[p].end);
		if (end < start || start == 0)
			continue;
		len = end - start;
		counter = (uint32_t)(m->address & 0xffffffffu);
		for (k = start, trial = 0; k <= end && trial < ASSIGN_TRIALS; k++, trial++) {
			uint32_t ip = len > 0 ? start + counter % len : start;
			struct ztdp_inetaddr a;
			int bits = -1;

			counter++;
			if ((ip & 0xff) == 0xff)
				continue;
			for (unsigned int r = 0; r < s->nroutes; r++) {
				const struct ztdp_inetaddr *t = &s->routes[r].target;
				uint32_t mask;

				if (t->family != 4)
					continue;
				mask = t->port == 0 ? 0 :
				       0xffffffffu << (32 - (t->port > 32 ? 32 : t->port));
				if ((ip & mask) == ztdp_inetaddr_v4(t)) {
					bits = t->port;
					break;
				}
			}
			ztdp_inetaddr_set_v4(&a, ip, 0);
			if (bits <= 0 || ip_taken(taken, ntaken, &a))
				continue;
			*out = a;
			out->port = (uint16_t)bits;
			return true;
		}
	}
	return false;
}

static uint64_t load_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void store_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* An IPv6 address from the pools: the member address added to the start
 * when the pool's low half spans 40 bits, else random tries (1.14.1's). */
static bool pick_v6(const struct ctl_settings *s, const struct ctl_member *m,
		    const struct ztdp_inetaddr *taken, size_t ntaken, struct ztdp_inetaddr *out)
{
	for (unsigned int p = 0; p < s->npools; p++) {
		uint64_t st[2], en[2];

		if (s->pools[p].start.family != 6)
			continue;
		st[0] = load_be64(s->pools[p].start.ip);
		st[1] = load_be64(s->pools[p].start.ip + 8);
		en[0] = load_be64(s->pools[p].end.ip);
		en[1] = load_be64(s->pools[p].end.ip + 8);
		for (unsigned int trial = 0; trial < ASSIGN_TRIALS; trial++) {
			uint64_t x[2];
			uint8_t ip[16];
			struct ztdp_inetaddr a;
			int bits = 0;

			if (trial == 0 && en[1] > st[1] && en[1] - st[1] >= 0xffffffffffULL) {
				x[0] = st[0];
				x[1] = st[1] + m->address;
			} else {
				randombytes_buf(x, sizeof(x));
				x[0] = st[0] + (en[0] > st[0] ? x[0] % (en[0] - st[0]) : 0);
				x[1] = st[1] + (en[1] > st[1] ? x[1] % (en[1] - st[1]) : 0);
			}
			store_be64(ip, x[0]);
			store_be64(ip + 8, x[1]);
			ztdp_inetaddr_set_v6(&a, ip, 0);
			/* Routed on the LAN (no gateway); the last such route wins. */
			for (unsigned int r = 0; r < s->nroutes; r++)
				if (s->routes[r].via.family == 0 &&
				    ctl_route_contains(&s->routes[r].target, &a))
					bits = s->routes[r].target.port;
			if (bits <= 0 || ip_taken(taken, ntaken, &a))
				continue;
			*out = a;
			out->port = (uint16_t)bits;
			return true;
		}
	}
	return false;
}

/*
 * Give m an address of each family the network auto-assigns and m lacks
 * (1.14.1 does this while building a config; so do we, and also when m is
 * authorized, so that the administrator sees the address at once). The
 * picks are appended to m->ips (port 0) and, if nc is not NULL, to its
 * static IPs with their route's prefix.
 */
static void auto_assign(const struct ctl_network *net, struct ctl_member *m,
			struct ztdp_netconf *nc)
{
	const struct ctl_settings *s = &net->s;
	bool want6 = s->v6_zt && !has_routed(s, m, 6), want4 = s->v4_zt && !has_routed(s, m, 4);
	struct ztdp_inetaddr *taken, pick;
	size_t ntaken;
	bool ok;

	if (m->no_auto_assign || (!want4 && !want6) || s->npools == 0)
		return;
	taken = allocated_ips(net, &ntaken, &ok);
	if (!ok)
		return;
	if (want6 && m->nips < ZTDP_CONTROLLER_MAX_IPS && pick_v6(s, m, taken, ntaken, &pick)) {
		m->ips[m->nips] = pick;
		m->ips[m->nips++].port = 0;
		if (nc != NULL && nc->static_ip_count < ZTDP_NETCONF_MAX_STATIC_IPS)
			nc->static_ips[nc->static_ip_count++] = pick;
	}
	if (want4 && m->nips < ZTDP_CONTROLLER_MAX_IPS && pick_v4(s, m, taken, ntaken, &pick)) {
		m->ips[m->nips] = pick;
		m->ips[m->nips++].port = 0;
		if (nc != NULL && nc->static_ip_count < ZTDP_NETCONF_MAX_STATIC_IPS)
			nc->static_ips[nc->static_ip_count++] = pick;
	}
	free(taken);
}

/* ---- Configs ---------------------------------------------------------------------------- */

static void add_static_ip(struct ztdp_netconf *nc, const struct ztdp_inetaddr *a)
{
	if (nc->static_ip_count < ZTDP_NETCONF_MAX_STATIC_IPS)
		nc->static_ips[nc->static_ip_count++] = *a;
}

/* The member's addresses, in 1.14.1's order and with its prefixes. */
static void config_addresses(const struct ctl_network *net, struct ctl_member *m,
			     struct ztdp_netconf *nc)
{
	const struct ctl_settings *s = &net->s;
	struct ztdp_inetaddr a;
	uint8_t ip6[16];

	if (!m->no_auto_assign && s->v6_rfc4193) {
		ztdp_ip6_rfc4193(net->nwid, m->address, ip6);
		ztdp_inetaddr_set_v6(&a, ip6, RFC4193_PREFIX);
		add_static_ip(nc, &a);
		nc->flags |= ZTDP_NETCONF_FLAG_NDP_EMULATION;
	}
	if (!m->no_auto_assign && s->v6_6plane) {
		ztdp_ip6_6plane(net->nwid, m->address, ip6);
		ztdp_inetaddr_set_v6(&a, ip6, SIXPLANE_PREFIX);
		add_static_ip(nc, &a);
		nc->flags |= ZTDP_NETCONF_FLAG_NDP_EMULATION;
	}
	/* Assigned addresses count only inside a route: that route's prefix
	 * is the interface's netmask. */
	for (unsigned int i = 0; i < m->nips; i++) {
		int bits = routed_bits(s, &m->ips[i]);

		if (bits < 0)
			continue;
		a = m->ips[i];
		a.port = (uint16_t)bits;
		add_static_ip(nc, &a);
	}
	auto_assign(net, m, nc);
}

/* One certificate of ownership over every static IP (1.14.1: ID 1; past
 * 16 things it drops the rest, and so do we). */
static int config_coo(const struct ztdp_controller *c, struct ztdp_netconf *nc, uint64_t now)
{
	struct ztdp_coo *coo = &nc->coos[0];

	if (nc->static_ip_count == 0)
		return 0;
	memset(coo, 0, sizeof(*coo));
	coo->nwid = nc->nwid;
	coo->timestamp = now;
	coo->id = 1;
	coo->issued_to = nc->issued_to;
	for (unsigned int i = 0; i < nc->static_ip_count; i++) {
		const struct ztdp_inetaddr *a = &nc->static_ips[i];

		(void)ztdp_coo_add_thing(coo, a->family == 4 ? ZTDP_COO_THING_IPV4
							     : ZTDP_COO_THING_IPV6,
					 a->ip, a->family == 4 ? 4 : 16);
	}
	if (ztdp_coo_sign(coo, &c->id) != ZTDP_CRED_OK)
		return -1;
	nc->coo_count = 1;
	return 0;
}

/* Build and encode the config of authorized member m into c->nc / c->dict. */
static int build_config(struct ztdp_controller *c, uint64_t now, const struct ctl_network *net,
			struct ctl_member *m, uint64_t rules_rev,
			struct ztdp_controller_reply *out)
{
	const struct ctl_settings *s = &net->s;
	struct ztdp_netconf *nc;
	size_t len = 0;

	if (c->nc == NULL)
		c->nc = ztdp_netconf_alloc();
	if (c->dict == NULL)
		c->dict = malloc(ZTDP_DICT_MAX_LEN);
	if (c->nc == NULL || c->dict == NULL)
		return -1;
	nc = c->nc;
	ztdp_netconf_init(nc);
	nc->nwid = net->nwid;
	nc->timestamp = now;
	nc->credential_time_max_delta = ZTDP_NETCONF_CTMD_DEFAULT;
	nc->revision = net->revision;
	nc->issued_to = m->address;
	nc->type = s->is_private ? ZTDP_NETCONF_TYPE_PRIVATE : ZTDP_NETCONF_TYPE_PUBLIC;
	nc->flags = s->enable_broadcast ? ZTDP_NETCONF_FLAG_ENABLE_BROADCAST : 0;
	snprintf(nc->name, sizeof(nc->name), "%s", s->name);
	nc->mtu = s->mtu;
	nc->multicast_limit = s->multicast_limit;
	/* Active bridges, ascending address (members are kept sorted). */
	for (unsigned int i = 0; i < net->nmembers &&
	     nc->specialist_count < ZTDP_NETCONF_MAX_SPECIALISTS; i++)
		if (net->members[i].active_bridge)
			nc->specialists[nc->specialist_count++] =
				net->members[i].address | ZTDP_NETCONF_SPECIALIST_ACTIVE_BRIDGE;
	/* A member without a rules engine (no "revr") gets accept-all; it is
	 * still filtered on the receiving side (1.14.1's reasoning). */
	if (rules_rev == 0) {
		nc->rule_count = 1;
		memset(&nc->rules[0], 0, sizeof(nc->rules[0]));
		nc->rules[0].t = ZTDP_RULE_ACTION_ACCEPT;
	} else {
		nc->rule_count = s->nrules;
		memcpy(nc->rules, s->rules, s->nrules * sizeof(s->rules[0]));
	}
	for (unsigned int i = 0; i < s->nroutes; i++) {
		nc->routes[i].target = s->routes[i].target;
		nc->routes[i].via = s->routes[i].via;
	}
	nc->route_count = s->nroutes;
	config_addresses(net, m, nc);
	nc->has_dns = true;
	if (s->has_dns) {
		snprintf(nc->dns.domain, sizeof(nc->dns.domain), "%s", s->dns_domain);
		for (unsigned int i = 0; i < s->ndns; i++)
			nc->dns.servers[i] = s->dns_servers[i];
	}
	if (config_coo(c, nc, now) != 0)
		return -1;
	ztdp_com_issue(&nc->com, now, nc->credential_time_max_delta, net->nwid, &m->identity);
	if (ztdp_com_sign(&nc->com, &c->id) != ZTDP_CRED_OK)
		return -1;
	nc->has_com = true;
	if (ztdp_netconf_encode(nc, c->dict, ZTDP_DICT_MAX_LEN, &len) != ZTDP_NETCONF_OK)
		return -1;
	out->answer = ZTDP_CTL_ANSWER_CONFIG;
	out->dict = c->dict;
	out->dict_len = len;
	out->nc = nc;
	return 0;
}

/* Did anything persisted about m change? (Compared as the API shows it.) */
static bool member_changed(const struct ctl_network *net, const struct ctl_member *a,
			   const struct ctl_member *b)
{
	json_t *ja = ctl_member_json(net, a), *jb = ctl_member_json(net, b);
	bool changed = ja == NULL || jb == NULL || !json_equal(ja, jb);

	json_decref(ja);
	json_decref(jb);
	return changed;
}

/* Metadata values the controller uses (1.14.1 reads missing ones as 0). */
struct request_meta {
	uint64_t rules_rev;
	uint64_t vmajor, vminor, vrev, vproto;
};

static void read_meta(const void *meta, size_t len, struct request_meta *rm)
{
	struct ztdp_dict d;

	memset(rm, 0, sizeof(*rm));
	if (meta == NULL || len == 0 || ztdp_dict_init(&d, meta, len) != ZTDP_DICT_OK)
		return;
	(void)ztdp_dict_get_u64(&d, "revr", &rm->rules_rev);
	(void)ztdp_dict_get_u64(&d, "majv", &rm->vmajor);
	(void)ztdp_dict_get_u64(&d, "minv", &rm->vminor);
	(void)ztdp_dict_get_u64(&d, "revv", &rm->vrev);
	(void)ztdp_dict_get_u64(&d, "pv", &rm->vproto);
}

static int version_of(uint64_t v)
{
	return v > 0xffff ? 0xffff : (int)v;
}

/* The network a request or push is about; NULL, with the answer set, if
 * it is not ours or does not exist. */
static struct ctl_network *reply_network(const struct ztdp_controller *c, uint64_t nwid,
					 uint64_t member, struct ztdp_controller_reply *out)
{
	struct ctl_network *net = NULL;

	memset(out, 0, sizeof(*out));
	out->nwid = nwid;
	out->member = member;
	out->answer = ZTDP_CTL_ANSWER_ERROR;
	if (!is_ours(c, nwid))
		out->answer = ZTDP_CTL_ANSWER_NOT_OURS;
	else if ((net = network_find(c, nwid)) == NULL)
		out->answer = ZTDP_CTL_ANSWER_NOT_FOUND;
	return net;
}

void ztdp_controller_request(struct ztdp_controller *c, uint64_t now, uint64_t nwid,
			     const struct ztdp_identity *who, const void *meta,
			     size_t meta_len, struct ztdp_controller_reply *out)
{
	struct ctl_member fresh, before, *m;
	struct ctl_network *net;
	struct request_meta rm;
	bool created = false;

	net = reply_network(c, nwid, who->address, out);
	if (net == NULL)
		return;
	m = member_find(net, who->address);
	if (m != NULL && m->last_request != 0 && now >= m->last_request &&
	    now - m->last_request <= ZTDP_CONTROLLER_MIN_REQUEST_MS) {
		out->answer = ZTDP_CTL_ANSWER_IGNORE;
		return;
	}
	if (m == NULL) {
		member_init(&fresh, who->address, now);
		m = &fresh;
		created = true;
	}
	/* A known member whose identity changed is someone else claiming its
	 * address: no config, and nothing of theirs recorded. */
	if (m->has_identity && !identity_same(&m->identity, who)) {
		out->answer = ZTDP_CTL_ANSWER_ACCESS_DENIED;
		return;
	}
	before = *m;
	if (!m->has_identity) {
		m->identity = *who;
		memset(m->identity.priv, 0, sizeof(m->identity.priv));
		m->identity.has_private = false;
		m->has_identity = true;
	}
	read_meta(meta, meta_len, &rm);
	m->last_request = now;
	m->meta_rules_rev = rm.rules_rev;
	if (!m->authorized && !net->s.is_private) {
		m->authorized = true;
		m->last_authorized_time = now;
		m->auth_type = CTL_AUTH_PUBLIC;
	}
	if (m->authorized) {
		m->vmajor = version_of(rm.vmajor);
		m->vminor = version_of(rm.vminor);
		m->vrev = version_of(rm.vrev);
		m->vproto = version_of(rm.vproto);
	}
	if (created) {
		m = member_insert(net, &fresh);
		if (m == NULL)
			return;	/* full: ERROR, nothing recorded */
	}
	if (m->authorized && build_config(c, now, net, m, rm.rules_rev, out) != 0) {
		out->answer = ZTDP_CTL_ANSWER_ERROR;
		return;
	}
	if (!m->authorized)
		out->answer = ZTDP_CTL_ANSWER_ACCESS_DENIED;
	if (created || member_changed(net, &before, m)) {
		m->revision++;
		c->dirty = true;
		/* 1.14.1 pushes a member's config whenever its record changes,
		 * so a first request is answered twice: the OK, then a push. */
		if (m->authorized)
			queue_push(c, nwid, m->address);
	}
}

void ztdp_controller_config(struct ztdp_controller *c, uint64_t now, uint64_t nwid,
			    uint64_t member, struct ztdp_controller_reply *out)
{
	struct ctl_network *net;
	struct ctl_member before, *m;

	net = reply_network(c, nwid, member, out);
	if (net == NULL)
		return;
	m = member_find(net, member);
	if (m == NULL || !m->has_identity) {
		/* Deleted, or never asked: its next request decides. */
		out->answer = net->s.is_private ? ZTDP_CTL_ANSWER_ACCESS_DENIED
						: ZTDP_CTL_ANSWER_IGNORE;
		return;
	}
	if (!m->authorized) {
		out->answer = ZTDP_CTL_ANSWER_ACCESS_DENIED;
		return;
	}
	before = *m;
	if (build_config(c, now, net, m, m->meta_rules_rev, out) != 0) {
		out->answer = ZTDP_CTL_ANSWER_ERROR;
		return;
	}
	/* Building may have assigned an address. */
	if (member_changed(net, &before, m)) {
		m->revision++;
		c->dirty = true;
	}
}

int ztdp_controller_chunker_init(const struct ztdp_controller *c,
				 const struct ztdp_controller_reply *reply,
				 uint64_t update_id, struct ztdp_netconf_chunker *ch)
{
	if (reply->answer != ZTDP_CTL_ANSWER_CONFIG || reply->dict == NULL)
		return ZTDP_NCC_EINVAL;
	/* Flags 0: 1.14.1's controller never asks members to propagate. */
	return ztdp_netconf_chunker_init(ch, &c->id, reply->nwid, update_id, 0, reply->dict,
					 reply->dict_len, 0);
}

/* ---- The /controller API ------------------------------------------------------------------ */

static int check_writable(const struct ztdp_controller *c, char *err, size_t errlen)
{
	if (c->broken)
		return ctl_fail(err, errlen, ZTDP_CTL_EBROKEN,
				"the controller's saved state did not load (%s): fix or remove it "
				"and restart; until then it is read-only", c->broken_why);
	return 0;
}

static int no_network(uint64_t nwid, char *err, size_t errlen)
{
	return ctl_fail(err, errlen, ZTDP_CTL_ENOENT,
			"no network %016" PRIx64 " on this controller", nwid);
}

static int out_of_memory(char *err, size_t errlen)
{
	return ctl_fail(err, errlen, ZTDP_CTL_ENOMEM, "out of memory");
}

/* *out = j if the caller wants it (NULL j: out of memory). */
static int give(json_t *j, json_t **out, char *err, size_t errlen)
{
	if (j == NULL)
		return out_of_memory(err, errlen);
	if (out != NULL)
		*out = j;
	else
		json_decref(j);
	return 0;
}

json_t *ztdp_controller_status_json(const struct ztdp_controller *c, uint64_t now)
{
	return json_pack("{s:b, s:i, s:I, s:b}", "controller", 1, "apiVersion",
			 ZTDP_CONTROLLER_API_VERSION, "clock", (json_int_t)now,
			 "databaseReady", !c->broken);
}

json_t *ztdp_controller_network_list_json(const struct ztdp_controller *c)
{
	json_t *a = json_array();

	for (unsigned int i = 0; a != NULL && i < c->nnets; i++)
		json_array_append_new(a, ctl_hex_json(c->nets[i]->nwid, 16));
	return a;
}

int ztdp_controller_network_get(const struct ztdp_controller *c, uint64_t nwid,
				json_t **out, char *err, size_t errlen)
{
	const struct ctl_network *net = network_find(c, nwid);

	if (net == NULL)
		return no_network(nwid, err, errlen);
	return give(ctl_network_json(net), out, err, errlen);
}

/* A network with the defaults and body's settings; NULL with *rc and err
 * set if body is refused or memory is short. */
static struct ctl_network *network_new(uint64_t nwid, const json_t *body, int *rc, char *err,
				       size_t errlen)
{
	struct ctl_network *net = calloc(1, sizeof(*net));

	if (net == NULL) {
		*rc = out_of_memory(err, errlen);
		return NULL;
	}
	net->nwid = nwid;
	ctl_settings_default(&net->s);
	*rc = ctl_settings_apply_json(&net->s, body, err, errlen);
	if (*rc != 0) {
		network_free(net);
		return NULL;
	}
	return net;
}

static uint64_t free_nwid(const struct ztdp_controller *c)
{
	for (unsigned int k = 0; k < 100000; k++) {
		uint64_t nwid = c->id.address << 24 | (randombytes_random() & 0xffffffu);

		/* Number 0 is never handed out (1.14.1 neither). */
		if ((nwid & 0xffffff) == 0)
			nwid |= 1;
		if (network_find(c, nwid) == NULL)
			return nwid;
	}
	return 0;
}

int ztdp_controller_network_create(struct ztdp_controller *c, uint64_t nwid,
				   const json_t *body, uint64_t now, json_t **out,
				   char *err, size_t errlen)
{
	struct ctl_network *net;
	int rc = check_writable(c, err, errlen);

	if (rc != 0)
		return rc;
	if (nwid == 0) {
		if (c->nnets >= ZTDP_CONTROLLER_MAX_NETWORKS || (nwid = free_nwid(c)) == 0)
			return ctl_fail(err, errlen, ZTDP_CTL_ELIMIT,
					"no free network ID (at most %d networks)",
					ZTDP_CONTROLLER_MAX_NETWORKS);
	} else if (!is_ours(c, nwid)) {
		return ctl_fail(err, errlen, ZTDP_CTL_EINVAL,
				"network %016" PRIx64 " belongs to controller %010" PRIx64 ", not "
				"to this one (%010" PRIx64 ")", nwid, nwid >> 24, c->id.address);
	} else if ((nwid & 0xffffff) == 0) {
		return ctl_fail(err, errlen, ZTDP_CTL_EINVAL,
				"network number 000000 is reserved: use %016" PRIx64 " to %016"
				PRIx64, nwid | 1, nwid | 0xffffff);
	} else if (network_find(c, nwid) != NULL) {
		return ctl_fail(err, errlen, ZTDP_CTL_EEXIST,
				"network %016" PRIx64 " exists", nwid);
	}
	net = network_new(nwid, body, &rc, err, errlen);
	if (net == NULL)
		return rc;
	net->creation_time = now;
	net->revision = 1;	/* the first save (1.14.1's counting) */
	rc = network_insert(c, net);
	if (rc != 0) {
		network_free(net);
		return ctl_fail(err, errlen, rc, "cannot add network %016" PRIx64 ": %s", nwid,
				ztdp_controller_strerror(rc));
	}
	c->dirty = true;
	return give(ctl_network_json(net), out, err, errlen);
}

int ztdp_controller_network_update(struct ztdp_controller *c, uint64_t nwid,
				   const json_t *body, uint64_t now, json_t **out,
				   char *err, size_t errlen)
{
	struct ctl_network *net = network_find(c, nwid);
	struct ctl_settings *s;
	json_t *before, *after;
	int rc = check_writable(c, err, errlen);

	if (rc != 0)
		return rc;
	if (net == NULL)
		return no_network(nwid, err, errlen);
	/* Parse into a copy: a refused update changes nothing. */
	s = malloc(sizeof(*s));
	if (s == NULL)
		return out_of_memory(err, errlen);
	*s = net->s;
	rc = ctl_settings_apply_json(s, body, err, errlen);
	if (rc != 0) {
		free(s);
		return rc;
	}
	before = ctl_network_json(net);
	net->s = *s;
	free(s);
	after = ctl_network_json(net);
	if (before == NULL || after == NULL || !json_equal(before, after)) {
		net->revision++;
		c->dirty = true;
		push_network(c, net, now);
		json_decref(after);
		after = ctl_network_json(net);
	}
	json_decref(before);
	return give(after, out, err, errlen);
}

int ztdp_controller_network_delete(struct ztdp_controller *c, uint64_t nwid, uint64_t now,
				   json_t **out, char *err, size_t errlen)
{
	bool found;
	unsigned int i = network_slot(c, nwid, &found);
	struct ctl_network *net;
	json_t *j;
	int rc = check_writable(c, err, errlen);

	if (rc != 0)
		return rc;
	if (!found)
		return no_network(nwid, err, errlen);
	net = c->nets[i];
	j = ctl_network_json(net);
	if (j == NULL)
		return out_of_memory(err, errlen);
	/* As 1.14.1: every member is deauthorized; the listening ones hear
	 * it, and their next config answer is "not found". */
	for (unsigned int k = 0; k < net->nmembers; k++)
		if (net->members[k].authorized)
			revoke_member(c, net, net->members[k].address, now);
	push_network(c, net, now);
	array_close(c->nets, c->nnets, sizeof(*c->nets), i);
	c->nnets--;
	network_free(net);
	c->dirty = true;
	return give(j, out, err, errlen);
}

int ztdp_controller_member_list(const struct ztdp_controller *c, uint64_t nwid, bool details,
				json_t **out, char *err, size_t errlen)
{
	const struct ctl_network *net = network_find(c, nwid);
	json_t *j;

	if (net == NULL)
		return no_network(nwid, err, errlen);
	j = details ? json_array() : json_object();
	for (unsigned int i = 0; j != NULL && i < net->nmembers; i++) {
		const struct ctl_member *m = &net->members[i];
		char addr[16];

		if (details) {
			json_array_append_new(j, ctl_member_json(net, m));
		} else {
			snprintf(addr, sizeof(addr), "%010" PRIx64, m->address);
			json_object_set_new(j, addr, json_integer((json_int_t)m->revision));
		}
	}
	return give(j, out, err, errlen);
}

int ztdp_controller_member_get(const struct ztdp_controller *c, uint64_t nwid,
			       uint64_t address, json_t **out, char *err, size_t errlen)
{
	const struct ctl_network *net = network_find(c, nwid);
	const struct ctl_member *m;

	if (net == NULL)
		return no_network(nwid, err, errlen);
	m = member_find(net, address);
	if (m == NULL)
		return ctl_fail(err, errlen, ZTDP_CTL_ENOENT,
				"no member %010" PRIx64 " on network %016" PRIx64, address, nwid);
	return give(ctl_member_json(net, m), out, err, errlen);
}

int ztdp_controller_member_update(struct ztdp_controller *c, uint64_t nwid,
				  uint64_t address, const json_t *body, uint64_t now,
				  json_t **out, char *err, size_t errlen)
{
	struct ctl_network *net = network_find(c, nwid);
	struct ctl_member copy, *m;
	bool created = false, revoke = false, bridge_changed;
	int authorized, rc = check_writable(c, err, errlen);

	if (rc != 0)
		return rc;
	if (net == NULL)
		return no_network(nwid, err, errlen);
	if (address == 0 || ztdp_address_is_reserved(address) || address >> 40 != 0)
		return ctl_fail(err, errlen, ZTDP_CTL_EINVAL,
				"%010" PRIx64 " is not a member address", address);
	m = member_find(net, address);
	if (m == NULL) {
		if (net->nmembers >= ZTDP_CONTROLLER_MAX_MEMBERS)
			return ctl_fail(err, errlen, ZTDP_CTL_ELIMIT,
					"network %016" PRIx64 " has %d members already", nwid,
					ZTDP_CONTROLLER_MAX_MEMBERS);
		member_init(&copy, address, now);
		created = true;
	} else {
		copy = *m;
	}
	rc = ctl_member_apply_json(&copy, body, false, &authorized, err, errlen);
	if (rc != 0)
		return rc;
	if (authorized == 1 && !copy.authorized) {
		copy.authorized = true;
		copy.last_authorized_time = now;
		copy.auth_type = CTL_AUTH_API;
		auto_assign(net, &copy, NULL);
	} else if (authorized == 0 && copy.authorized) {
		copy.authorized = false;
		copy.last_deauthorized_time = now;
		revoke = true;
	}
	bridge_changed = m != NULL ? m->active_bridge != copy.active_bridge : copy.active_bridge;
	if (created) {
		m = member_insert(net, &copy);
		if (m == NULL)
			return out_of_memory(err, errlen);
	} else if (member_changed(net, m, &copy)) {
		*m = copy;
	} else {
		return give(ctl_member_json(net, m), out, err, errlen);
	}
	m->revision++;
	c->dirty = true;
	if (revoke)
		revoke_member(c, net, address, now);
	/* The bridge list is in every member's config: tell them all (1.14.1
	 * tells only this member, leaving the others up to 60 s behind). */
	if (bridge_changed)
		push_network(c, net, now);
	else
		push_member(c, net, m, now);
	return give(ctl_member_json(net, m), out, err, errlen);
}

int ztdp_controller_member_delete(struct ztdp_controller *c, uint64_t nwid,
				  uint64_t address, uint64_t now, json_t **out,
				  char *err, size_t errlen)
{
	struct ctl_network *net = network_find(c, nwid);
	struct ctl_member *m;
	bool was_authorized, online;
	json_t *j;
	int rc = check_writable(c, err, errlen);

	if (rc != 0)
		return rc;
	if (net == NULL)
		return no_network(nwid, err, errlen);
	m = member_find(net, address);
	if (m == NULL)
		return ctl_fail(err, errlen, ZTDP_CTL_ENOENT,
				"no member %010" PRIx64 " on network %016" PRIx64, address, nwid);
	j = ctl_member_json(net, m);
	if (j == NULL)
		return out_of_memory(err, errlen);
	was_authorized = m->authorized;
	online = member_online(m, now);
	/* Revoke while it is still listed, so that it hears it too. */
	if (was_authorized)
		revoke_member(c, net, address, now);
	member_remove(net, m);
	if (online)
		queue_push(c, nwid, address);
	c->dirty = true;
	return give(j, out, err, errlen);
}

/* ---- Persistence ----------------------------------------------------------------------------- */

bool ztdp_controller_dirty(const struct ztdp_controller *c)
{
	return c->dirty;
}

void ztdp_controller_mark_saved(struct ztdp_controller *c)
{
	c->dirty = false;
}

char *ztdp_controller_save(const struct ztdp_controller *c, size_t *len)
{
	json_t *root, *nets;
	char *text;

	*len = 0;
	if (c->broken)
		return NULL;
	nets = json_array();
	root = json_pack("{s:i, s:o, s:o}", "ztdpController", STATE_VERSION, "address",
			 ctl_hex_json(c->id.address, 10), "networks", nets);
	if (root == NULL)
		return NULL;
	for (unsigned int i = 0; i < c->nnets; i++) {
		const struct ctl_network *net = c->nets[i];
		json_t *members = json_array(), *entry;

		for (unsigned int k = 0; members != NULL && k < net->nmembers; k++)
			json_array_append_new(members, ctl_member_json(net, &net->members[k]));
		entry = json_pack("{s:o, s:o}", "network", ctl_network_json(net), "members",
				  members != NULL ? members : json_array());
		if (entry == NULL || json_array_append_new(nets, entry) != 0) {
			json_decref(root);
			return NULL;
		}
	}
	text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	if (text == NULL)
		return NULL;
	*len = strlen(text);
	return text;
}

static int load_member(struct ctl_network *net, const json_t *o, size_t k,
		       char *err, size_t errlen)
{
	char why[200];
	struct ctl_member m;
	uint64_t address;
	int authorized;

	if (!json_is_object(o) || ctl_parse_hex(json_string_value(json_object_get(o, "id")), 10,
						&address) != 0)
		return ctl_fail(err, errlen, ZTDP_CTL_EINVAL,
				"network %016" PRIx64 ": member %zu has no 10-hex-digit \"id\"",
				net->nwid, k);
	member_init(&m, address, 0);
	if (ctl_member_apply_json(&m, o, true, &authorized, why, sizeof(why)) != 0)
		return ctl_fail(err, errlen, ZTDP_CTL_EINVAL,
				"network %016" PRIx64 " member %010" PRIx64 ": %s", net->nwid,
				address, why);
	if (member_insert(net, &m) == NULL)
		return ctl_fail(err, errlen, ZTDP_CTL_EINVAL,
				"network %016" PRIx64 ": member %010" PRIx64 " is listed twice, or "
				"too many members", net->nwid, address);
	return 0;
}

static int load_network(struct ztdp_controller *c, const json_t *entry, size_t i,
			char *err, size_t errlen)
{
	const json_t *o = json_object_get(entry, "network"), *members, *m;
	struct ctl_network *net;
	json_int_t rev, ct;
	char why[200];
	uint64_t nwid;
	size_t k;
	int rc;

	if (!json_is_object(o) ||
	    ctl_parse_hex(json_string_value(json_object_get(o, "id")), 16, &nwid) != 0)
		return ctl_fail(err, errlen, ZTDP_CTL_EINVAL,
				"networks[%zu] has no network with a 16-hex-digit \"id\"", i);
	if (!is_ours(c, nwid))
		return ctl_fail(err, errlen, ZTDP_CTL_EINVAL,
				"network %016" PRIx64 " is not this controller's", nwid);
	members = json_object_get(entry, "members");
	if (members != NULL && !json_is_array(members))
		return ctl_fail(err, errlen, ZTDP_CTL_EINVAL,
				"network %016" PRIx64 ": \"members\" is not an array", nwid);
	net = network_new(nwid, o, &rc, why, sizeof(why));
	if (net == NULL)
		return ctl_fail(err, errlen, rc, "network %016" PRIx64 ": %s", nwid, why);
	/* jansson reads a missing or non-integer field as 0. */
	rev = json_integer_value(json_object_get(o, "revision"));
	ct = json_integer_value(json_object_get(o, "creationTime"));
	net->revision = rev > 0 ? (uint64_t)rev : 0;
	net->creation_time = ct > 0 ? (uint64_t)ct : 0;
	json_array_foreach(members, k, m) {
		rc = load_member(net, m, k, err, errlen);
		if (rc != 0) {
			network_free(net);
			return rc;
		}
	}
	rc = network_insert(c, net);
	if (rc != 0) {
		network_free(net);
		return ctl_fail(err, errlen, rc,
				"network %016" PRIx64 " is listed twice, or too many networks",
				nwid);
	}
	return 0;
}

void ztdp_controller_set_unreadable(struct ztdp_controller *c, const char *why)
{
	networks_clear(c);
	c->pushes.head = c->pushes.count = 0;
	c->revs.head = c->revs.count = 0;
	c->dirty = false;
	c->broken = true;
	snprintf(c->broken_why, sizeof(c->broken_why), "%s", why);
}

int ztdp_controller_load(struct ztdp_controller *c, const void *text, size_t len,
			 char *err, size_t errlen)
{
	json_error_t jerr;
	const json_t *nets, *entry;
	const char *owner;
	json_t *root;
	uint64_t addr;
	size_t i;
	int rc = 0;

	networks_clear(c);
	c->pushes.head = c->pushes.count = 0;
	c->revs.head = c->revs.count = 0;
	c->broken = false;
	c->dirty = false;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		rc = ctl_fail(err, errlen, ZTDP_CTL_EINVAL,
			      "not JSON: %s (line %d)", jerr.text, jerr.line);
		goto out;
	}
	if (!json_is_object(root) ||
	    json_integer_value(json_object_get(root, "ztdpController")) != STATE_VERSION) {
		rc = ctl_fail(err, errlen, ZTDP_CTL_EINVAL,
			      "not a ztdp controller state (version %d)", STATE_VERSION);
		goto out;
	}
	owner = json_string_value(json_object_get(root, "address"));
	if (ctl_parse_hex(owner, 10, &addr) != 0 || addr != c->id.address) {
		rc = ctl_fail(err, errlen, ZTDP_CTL_EINVAL,
			      "the state belongs to controller %s, not to %010" PRIx64,
			      owner != NULL ? owner : "?", c->id.address);
		goto out;
	}
	nets = json_object_get(root, "networks");
	if (!json_is_array(nets)) {
		rc = ctl_fail(err, errlen, ZTDP_CTL_EINVAL, "\"networks\" is not an array");
		goto out;
	}
	json_array_foreach(nets, i, entry) {
		rc = load_network(c, entry, i, err, errlen);
		if (rc != 0)
			goto out;
	}
out:
	json_decref(root);
	if (rc != 0)
		ztdp_controller_set_unreadable(c, err != NULL ? err : "?");
	return rc;
}
