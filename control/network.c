/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Networks: join and leave, the cached config applied at join, config
 * requests to the controller (protocol notes 6.10) and their refresh
 * (8.5), signed config chunks (6.11), the ERRORs a controller answers with
 * (6.1), credentials (6.9, 9.2) and the membership gate (9.3).
 *
 * A config is applied only if it was issued to us, for this network, and
 * is not older than the one we hold: a lower revision, or the same
 * revision with an earlier timestamp, is stale; on a tie the later arrival
 * wins (errata: the push that follows an OK can carry the same `ts`).
 * The Dictionary text is what gets persisted, exactly as the controller
 * signed it; when read back at the next join it is trusted as it stands,
 * since it was verified when it arrived.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_internal.h"
#include "ztdp_controller.h"
#include "ztdp_dict.h"
#include "ztdp_verbs.h"

#if defined(__x86_64__)
#define ZN_OS_ARCH	"linux/x86_64"
#elif defined(__aarch64__)
#define ZN_OS_ARCH	"linux/arm64"
#else
#define ZN_OS_ARCH	"linux/unknown"
#endif

/* Request metadata values 1.14.1 sends (notes 6.10). */
#define ZN_META_VENDOR_ZEROTIER		1
#define ZN_META_RULES_ENGINE_REV	1

struct zn_network *zn_network_find(struct ztdp_node *n, uint64_t nwid)
{
	if (nwid == 0)
		return NULL;
	for (unsigned int i = 0; i < ZN_MAX_NETWORKS; i++)
		if (n->nets[i].in_use && n->nets[i].nwid == nwid)
			return &n->nets[i];
	return NULL;
}

static void set_status(struct ztdp_node *n, struct zn_network *net,
		       enum ztdp_network_status s)
{
	if (net->status == s)
		return;
	zn_log(n, s == ZTDP_NETWORK_OK ? 6 : 4, "network %016llx: %s",
	       (unsigned long long)net->nwid, ztdp_network_status_name(s));
	net->status = s;
}

/* ---- Applying a config ------------------------------------------------------- */

/* What the data path needs from nc, worked out once per config. */
static void derive(struct ztdp_node *n, struct zn_network *net)
{
	const struct ztdp_netconf *nc = net->nc;

	net->bridge = ztdp_netconf_specialist_has(nc, n->self.address,
						  ZTDP_NETCONF_SPECIALIST_ACTIVE_BRIDGE);
	net->ntags = 0;
	for (unsigned int i = 0; i < nc->tag_count && i < ZTDP_NETCONF_MAX_TAGS; i++) {
		net->tags[net->ntags].id = nc->tags[i].id;
		net->tags[net->ntags].value = nc->tags[i].value;
		net->ntags++;
	}
	net->ncaps = 0;
	for (unsigned int i = 0; i < nc->capability_count &&
	     i < ZTDP_NETCONF_MAX_CAPABILITIES; i++) {
		net->caps[net->ncaps].rules = nc->capabilities[i].rules;
		net->caps[net->ncaps].count = nc->capabilities[i].rule_count;
		net->ncaps++;
	}
}

/* Decode dict and apply it to net. cached: read back from state at join.
 * Returns 1 if applied, 0 if it is ours but stale, -1 if refused. */
static int config_apply(struct ztdp_node *n, uint64_t now, struct zn_network *net,
			const uint8_t *dict, size_t len, bool cached)
{
	struct ztdp_netconf *nc;
	const char *bad_key = NULL;
	int rc;

	if (n->nc_scratch == NULL)
		n->nc_scratch = ztdp_netconf_alloc();
	if (n->nc_scratch == NULL) {
		zn_log(n, 3, "network %016llx: out of memory for a config",
		       (unsigned long long)net->nwid);
		return -1;
	}
	nc = n->nc_scratch;
	rc = ztdp_netconf_decode(dict, len, nc, &bad_key);
	if (rc != ZTDP_NETCONF_OK) {
		zn_log(n, 4, "network %016llx: config does not parse (%s%s%s)",
		       (unsigned long long)net->nwid, ztdp_netconf_strerror(rc),
		       bad_key ? ", key " : "", bad_key ? bad_key : "");
		return -1;
	}
	if (nc->issued_to != n->self.address || nc->nwid != net->nwid) {
		zn_log(n, 4, "network %016llx: config issued to %010llx for %016llx is not ours",
		       (unsigned long long)net->nwid, (unsigned long long)nc->issued_to,
		       (unsigned long long)nc->nwid);
		return -1;
	}
	if (net->nc != NULL && !cached &&
	    (nc->revision < net->nc->revision ||
	     (nc->revision == net->nc->revision && nc->timestamp < net->nc->timestamp))) {
		zn_log(n, 6, "network %016llx: ignoring an older config (revision %llu)",
		       (unsigned long long)net->nwid, (unsigned long long)nc->revision);
		return 0;
	}
	n->nc_scratch = net->nc;
	net->nc = nc;
	net->last_config = cached ? 0 : now;
	net->config_applied = now;
	net->config_seq++;
	derive(n, net);
	set_status(n, net, ZTDP_NETWORK_OK);
	if (!cached && n->cb.state_put != NULL &&
	    n->cb.state_put(n->cb.ctx, ZTDP_STATE_NETWORK_CONFIG, net->nwid, dict, len) != 0)
		zn_log(n, 4, "network %016llx: cannot store the config",
		       (unsigned long long)net->nwid);
	zn_log(n, 6, "network %016llx: config revision %llu applied%s, %u address(es)",
	       (unsigned long long)net->nwid, (unsigned long long)nc->revision,
	       cached ? " from cache" : "", nc->static_ip_count);
	if (n->cb.network_changed != NULL)
		n->cb.network_changed(n->cb.ctx, net->nwid, nc);
	zn_groups_update(n, now, net);
	return 1;
}

/* ---- Join / leave ------------------------------------------------------------- */

static void load_cached(struct ztdp_node *n, uint64_t now, struct zn_network *net)
{
	uint8_t *buf;
	ssize_t len;

	if (n->cb.state_get == NULL)
		return;
	buf = malloc(ZTDP_DICT_MAX_LEN + 1);
	if (buf == NULL)
		return;
	len = n->cb.state_get(n->cb.ctx, ZTDP_STATE_NETWORK_CONFIG, net->nwid, buf,
			      ZTDP_DICT_MAX_LEN);
	if (len > 0 && (size_t)len <= ZTDP_DICT_MAX_LEN &&
	    config_apply(n, now, net, buf, (size_t)len, true) < 0)
		zn_log(n, 4, "network %016llx: cached config ignored",
		       (unsigned long long)net->nwid);
	free(buf);
}

int ztdp_node_join(struct ztdp_node *n, uint64_t now, uint64_t nwid)
{
	struct zn_network *net = NULL;
	static const uint8_t empty[1];

	n->now = now;
	/* Controller-less ad-hoc networks (0xff...) are not supported. */
	if (nwid == 0 || ztdp_address_is_reserved(zn_controller_of(nwid))) {
		zn_log(n, 3, "cannot join %016llx: not a controller network ID",
		       (unsigned long long)nwid);
		return -1;
	}
	if (zn_network_find(n, nwid) != NULL)
		return 0;
	for (unsigned int i = 0; i < ZN_MAX_NETWORKS && net == NULL; i++)
		if (!n->nets[i].in_use)
			net = &n->nets[i];
	if (net == NULL) {
		zn_log(n, 3, "cannot join %016llx: already on %d networks",
		       (unsigned long long)nwid, ZN_MAX_NETWORKS);
		return -1;
	}
	memset(net, 0, sizeof(*net));
	net->in_use = true;
	net->nwid = nwid;
	net->mac = ztdp_mac_from_address(n->self.address, nwid);
	net->status = ZTDP_NETWORK_REQUESTING_CONFIGURATION;
	ztdp_netconf_asm_init(&net->asm_, 0);
	zn_log(n, 6, "joining network %016llx", (unsigned long long)nwid);
	load_cached(n, now, net);
	/* Joined but not configured: an empty record, so a restart rejoins. */
	if (net->nc == NULL && n->cb.state_put != NULL &&
	    n->cb.state_put(n->cb.ctx, ZTDP_STATE_NETWORK_CONFIG, nwid, empty, 0) != 0)
		zn_log(n, 4, "network %016llx: cannot record the join",
		       (unsigned long long)nwid);
	zn_config_request(n, now, net);
	zn_deferred(n, now);
	return 0;
}

int ztdp_node_leave(struct ztdp_node *n, uint64_t now, uint64_t nwid)
{
	struct zn_network *net = zn_network_find(n, nwid);

	n->now = now;
	if (net == NULL)
		return -1;
	if (n->cb.state_put != NULL)
		(void)n->cb.state_put(n->cb.ctx, ZTDP_STATE_NETWORK_CONFIG, nwid, NULL, 0);
	for (unsigned int k = 0; k < n->peer_count; k++) {
		struct zn_peer *p = zn_peer_at(n, k);

		for (unsigned int j = 0; j < ZN_PEER_MEMBERSHIPS; j++)
			if (p->mship[j].nwid == nwid)
				memset(&p->mship[j], 0, sizeof(p->mship[j]));
	}
	zn_mc_forget_network(n, nwid);
	ztdp_netconf_asm_fini(&net->asm_);
	ztdp_netconf_free(net->nc);
	memset(net, 0, sizeof(*net));
	zn_log(n, 6, "left network %016llx", (unsigned long long)nwid);
	if (n->cb.network_changed != NULL)
		n->cb.network_changed(n->cb.ctx, nwid, NULL);
	return 0;
}

/* ---- Requests -------------------------------------------------------------------- */

static size_t request_metadata(char *buf, size_t cap)
{
	struct ztdp_dict_wr d;
	size_t len = 0;

	ztdp_dict_wr_init(&d, buf, cap);
	ztdp_dict_set_u64(&d, "v", ZTDP_NETCONF_VERSION);
	ztdp_dict_set_u64(&d, "vend", ZN_META_VENDOR_ZEROTIER);
	ztdp_dict_set_u64(&d, "pv", ZTDP_PROTO_VERSION);
	ztdp_dict_set_u64(&d, "majv", ZN_VERSION_MAJOR);
	ztdp_dict_set_u64(&d, "minv", ZN_VERSION_MINOR);
	ztdp_dict_set_u64(&d, "revv", ZN_VERSION_REVISION);
	ztdp_dict_set_u64(&d, "mr", ZTDP_NETCONF_MAX_RULES);
	ztdp_dict_set_u64(&d, "mc", ZTDP_NETCONF_MAX_CAPABILITIES);
	ztdp_dict_set_u64(&d, "mcr", ZTDP_NETCONF_MAX_CAPABILITY_RULES);
	ztdp_dict_set_u64(&d, "mt", ZTDP_NETCONF_MAX_TAGS);
	ztdp_dict_set_u64(&d, "f", 0);
	ztdp_dict_set_u64(&d, "revr", ZN_META_RULES_ENGINE_REV);
	ztdp_dict_set_str(&d, "o", ZN_OS_ARCH);
	if (ztdp_dict_wr_finish(&d, &len) != ZTDP_DICT_OK)
		return 0;
	return len;
}

void zn_config_request(struct ztdp_node *n, uint64_t now, struct zn_network *net)
{
	uint64_t ctrl = zn_controller_of(net->nwid);
	struct ztdp_netconf_request r;
	char meta[512];
	struct zn_peer *p;
	struct ztdp_wr *w;
	size_t mlen;

	net->last_request = now;
	if (ctrl == n->self.address) {
		zn_config_from_self(n, now, net, false);
		zn_controller_send(n, now);
		return;
	}
	p = zn_peer_lookup(n, now, ctrl);
	if (p == NULL) {
		/* Its key is needed to talk to it and to check the chunks. */
		net->request_owed = true;
		zn_whois_want(n, now, ctrl);
		return;
	}
	net->request_owed = false;
	/* A controller that has never heard from us (a join before the
	 * first tick) gets our HELLO first, or it could not read the
	 * request. */
	if (p->last_receive == 0 && p->last_hello_sent == 0)
		zn_hello_send(n, now, p, NULL);
	mlen = request_metadata(meta, sizeof(meta));
	memset(&r, 0, sizeof(r));
	r.nwid = net->nwid;
	r.has_meta = true;
	r.meta = (const uint8_t *)meta;
	r.meta_len = (uint16_t)mlen;
	r.has_revision = true;
	if (net->nc != NULL) {
		r.revision = net->nc->revision;
		r.timestamp = net->nc->timestamp;
	}
	w = zn_tx_begin(n, ctrl, ZTDP_VERB_NETWORK_CONFIG_REQUEST);
	if (ztdp_netconf_request_encode(w, &r) != ZTDP_VERBS_OK)
		w->err = true;
	(void)zn_tx_send(n, now, p, NULL, ZN_TX_COMPRESS | ZN_TX_EXPECT_REPLY, NULL);
}

void zn_config_from_self(struct ztdp_node *n, uint64_t now, struct zn_network *net,
			 bool push)
{
	struct ztdp_controller_reply rep;
	char meta[512];
	size_t mlen;

	/* 1.14.1 hands its own request to its controller and applies the
	 * answer directly: no chunks, no signatures to check. */
	if (push) {
		ztdp_controller_config(zn_controller(n), now, net->nwid, n->self.address, &rep);
	} else {
		mlen = request_metadata(meta, sizeof(meta));
		ztdp_controller_request(zn_controller(n), now, net->nwid, &n->self_pub, meta, mlen,
					&rep);
	}
	switch (rep.answer) {
	case ZTDP_CTL_ANSWER_CONFIG:
		if (config_apply(n, now, net, rep.dict, rep.dict_len, false) >= 0)
			net->last_config = now;
		break;
	case ZTDP_CTL_ANSWER_NOT_FOUND:
		set_status(n, net, ZTDP_NETWORK_NOT_FOUND);
		break;
	case ZTDP_CTL_ANSWER_ACCESS_DENIED:
		set_status(n, net, ZTDP_NETWORK_ACCESS_DENIED);
		break;
	case ZTDP_CTL_ANSWER_ERROR:
		zn_log(n, 3, "network %016llx: our controller cannot build our config",
		       (unsigned long long)net->nwid);
		break;
	default:
		break;
	}
}

void zn_network_owed(struct ztdp_node *n, uint64_t now)
{
	for (unsigned int i = 0; i < ZN_MAX_NETWORKS; i++) {
		struct zn_network *net = &n->nets[i];

		if (net->in_use && net->request_owed &&
		    zn_peer_find(n, zn_controller_of(net->nwid)) != NULL)
			zn_config_request(n, now, net);
	}
}

void zn_network_tick(struct ztdp_node *n, uint64_t now)
{
	for (unsigned int i = 0; i < ZN_MAX_NETWORKS; i++) {
		struct zn_network *net = &n->nets[i];

		if (!net->in_use)
			continue;
		/* Unconfigured (or configured from cache): every tick until the
		 * controller answers; configured: every 60 s (notes 8.5). */
		if (net->nc == NULL || net->last_config == 0 ||
		    now - net->last_config >= ZN_CONFIG_REFRESH_MS)
			zn_config_request(n, now, net);
	}
}

/* ---- Config chunks ----------------------------------------------------------------- */

void zn_config_chunk_receive(struct ztdp_node *n, const struct zn_rx *rx,
			     const uint8_t *body, size_t len, bool is_push,
			     bool via_ok)
{
	struct ztdp_netconf_chunk c;
	struct zn_network *net;
	struct zn_peer *ctrl;
	const uint8_t *dict = NULL;
	size_t dict_len = 0;
	bool legacy_ok;
	int rc;

	if (ztdp_netconf_chunk_decode(body, len, &c) != ZTDP_NCC_OK) {
		zn_drop(n, ZN_DROP_MALFORMED);
		return;
	}
	net = zn_network_find(n, c.nwid);
	if (net == NULL) {
		zn_drop(n, ZN_DROP_UNKNOWN_NETWORK);
		return;
	}
	ctrl = zn_peer_lookup(n, rx->now, zn_controller_of(c.nwid));
	if (ctrl == NULL) {
		zn_whois_want(n, rx->now, zn_controller_of(c.nwid));
		zn_drop(n, ZN_DROP_CONTROLLER_UNKNOWN);
		return;
	}
	/* Signed chunks may come from anyone (fast propagation); unsigned
	 * legacy ones only from the controller, answering our request. */
	legacy_ok = via_ok && rx->peer == ctrl;
	rc = ztdp_netconf_asm_add(&net->asm_, &c, &ctrl->id, legacy_ok, rx->id, &dict,
				  &dict_len);
	if (rc < 0) {
		zn_log(n, 5, "network %016llx: config chunk from %010llx refused: %s",
		       (unsigned long long)c.nwid, (unsigned long long)rx->peer->address,
		       ztdp_netconf_chunk_strerror(rc));
		zn_drop(n, ZN_DROP_CHUNK_REJECTED);
		return;
	}
	if (rc != ZTDP_NCASM_COMPLETE)
		return;
	rc = config_apply(n, rx->now, net, dict, dict_len, false);
	if (rc < 0) {
		zn_drop(n, ZN_DROP_CONFIG_REJECTED);
		return;
	}
	/* Ours, applied or not: the controller has answered. */
	net->last_config = rx->now;
	if (rc == 0)
		zn_drop(n, ZN_DROP_CONFIG_REJECTED);
	if (is_push) {
		/* 1.14.1 answers a push with OK in re ECHO (not 0x0c), with
		 * the network and the update ID; we do the same. */
		struct ztdp_ok_config_push o = { .nwid = c.nwid, .update_id = c.update_id };
		struct ztdp_wr *w = zn_ok_begin(n, rx->peer, ZTDP_OK_CONFIG_PUSH_IN_RE_VERB,
						rx->id);

		if (ztdp_ok_config_push_encode(w, &o) != ZTDP_VERBS_OK)
			w->err = true;
		(void)zn_tx_send(n, rx->now, rx->peer, NULL, 0, NULL);
	}
}

/* ---- ERROR ----------------------------------------------------------------------------- */

/* A network-scoped ERROR counts only from that network's controller. */
static struct zn_network *error_network(struct ztdp_node *n, const struct zn_rx *rx,
					const struct ztdp_error *e)
{
	struct zn_network *net;

	if (!e->has_nwid) {
		zn_drop(n, ZN_DROP_MALFORMED);
		return NULL;
	}
	net = zn_network_find(n, e->nwid);
	if (net == NULL) {
		zn_drop(n, ZN_DROP_UNKNOWN_NETWORK);
		return NULL;
	}
	if (rx->peer->address != zn_controller_of(e->nwid)) {
		zn_drop(n, ZN_DROP_NOT_CONTROLLER);
		return NULL;
	}
	return net;
}

void zn_error_receive(struct ztdp_node *n, const struct zn_rx *rx)
{
	struct zn_network *net;
	struct ztdp_error e;

	if (ztdp_error_decode(rx->payload, rx->plen, &e) != ZTDP_VERBS_OK) {
		zn_drop(n, ZN_DROP_MALFORMED);
		return;
	}
	switch (e.code) {
	case ZTDP_ERROR_OBJ_NOT_FOUND:
	case ZTDP_ERROR_UNSUPPORTED_OPERATION:
		/* Only meaningful in answer to a config request. */
		if (e.in_re_verb != ZTDP_VERB_NETWORK_CONFIG_REQUEST)
			break;
		net = error_network(n, rx, &e);
		if (net != NULL)
			set_status(n, net, ZTDP_NETWORK_NOT_FOUND);
		break;
	case ZTDP_ERROR_NETWORK_ACCESS_DENIED:
		net = error_network(n, rx, &e);
		if (net != NULL)
			set_status(n, net, ZTDP_NETWORK_ACCESS_DENIED);
		break;
	case ZTDP_ERROR_NETWORK_AUTHENTICATION_REQUIRED:
		net = error_network(n, rx, &e);
		if (net != NULL)
			set_status(n, net, ZTDP_NETWORK_AUTHENTICATION_REQUIRED);
		break;
	case ZTDP_ERROR_IDENTITY_COLLISION:
		if (zn_peer_is_root(rx->peer))
			zn_log(n, 2, "root %010llx says our address %010llx belongs to another "
			       "identity: generate a new identity",
			       (unsigned long long)rx->peer->address,
			       (unsigned long long)n->self.address);
		break;
	case ZTDP_ERROR_NEED_MEMBERSHIP_CERTIFICATE:
		net = e.has_nwid ? zn_network_find(n, e.nwid) : NULL;
		if (net != NULL)
			zn_credentials_push(n, rx->now, net, rx->peer, true);
		break;
	case ZTDP_ERROR_UNWANTED_MULTICAST:
		net = e.has_nwid ? zn_network_find(n, e.nwid) : NULL;
		if (net != NULL && zn_gate(n, rx->now, net, rx->peer))
			zn_mc_sub_remove(n, net->nwid, e.group, rx->peer->address);
		break;
	default:
		break;
	}
}

/* ---- Credentials and the gate ---------------------------------------------------------- */

bool zn_com_accept(struct ztdp_node *n, uint64_t now, struct zn_network *net,
		   struct zn_peer *p, const struct ztdp_com *com)
{
	uint64_t ctrl_addr = zn_controller_of(net->nwid);
	struct zn_membership *m;
	struct zn_peer *ctrl;

	m = zn_membership(p, net->nwid, now, false);
	if (m != NULL && m->has_com && memcmp(&m->com, com, sizeof(*com)) == 0)
		return true;
	if (ztdp_com_issued_to(com) != p->address ||
	    ztdp_com_network_id(com) != net->nwid || com->signed_by != ctrl_addr)
		return false;
	if (m != NULL && m->has_com && ztdp_com_timestamp(com) < ztdp_com_timestamp(&m->com))
		return false;	/* only the newest is kept */
	if (m != NULL && m->com_revoked_before != 0 &&
	    (int64_t)ztdp_com_timestamp(com) <= m->com_revoked_before)
		return false;
	/* On a network we control, we signed it. */
	ctrl = ctrl_addr == n->self.address ? NULL : zn_peer_lookup(n, now, ctrl_addr);
	if (ctrl == NULL && ctrl_addr != n->self.address) {
		zn_whois_want(n, now, ctrl_addr);
		return false;
	}
	if (!ztdp_com_verify(com, ctrl != NULL ? &ctrl->id : &n->self_pub))
		return false;
	if (m == NULL)
		m = zn_membership(p, net->nwid, now, true);
	m->com = *com;
	m->has_com = true;
	m->gate_seq = 0;
	return true;
}

void zn_revocation_accept(struct ztdp_node *n, uint64_t now,
			  const struct ztdp_revocation *rev)
{
	struct zn_network *net = zn_network_find(n, rev->nwid);
	const struct ztdp_identity *signer = &n->self_pub;
	struct zn_membership *m;
	struct zn_peer *ctrl, *target;

	if (net == NULL || rev->credential_type != ZTDP_CRED_TYPE_COM)
		return;
	if (zn_controller_of(rev->nwid) != n->self.address) {
		ctrl = zn_peer_lookup(n, now, zn_controller_of(rev->nwid));
		signer = ctrl != NULL ? &ctrl->id : NULL;
	}
	target = zn_peer_find(n, rev->target);
	if (signer == NULL || target == NULL || !ztdp_revocation_verify(rev, signer))
		return;
	m = zn_membership(target, rev->nwid, now, true);
	if (rev->threshold > m->com_revoked_before)
		m->com_revoked_before = rev->threshold;
	m->gate_seq = 0;
	if (m->has_com && (int64_t)ztdp_com_timestamp(&m->com) <= m->com_revoked_before)
		m->has_com = false;
}

void zn_credentials_receive(struct ztdp_node *n, const struct zn_rx *rx)
{
	struct ztdp_network_credentials m;
	bool refused = false;
	struct ztdp_rd r;

	if (ztdp_network_credentials_decode(rx->payload, rx->plen, &m) != ZTDP_VERBS_OK) {
		zn_drop(n, ZN_DROP_MALFORMED);
		return;
	}
	if (!zn_rl_allow(&rx->peer->rl_cred_rx, rx->now, ZN_RL_CRED_RX_MS, ZN_RL_CRED_RX_BURST)) {
		zn_drop(n, ZN_DROP_RATE_LIMITED);
		n->stats.rate_limited++;
		return;
	}
	ztdp_rd_init(&r, m.coms, m.coms_len);
	for (unsigned int i = 0; i < m.com_count; i++) {
		struct ztdp_com com;
		struct zn_network *net;

		if (ztdp_com_decode(&r, &com) != ZTDP_CRED_OK)
			break;
		net = zn_network_find(n, ztdp_com_network_id(&com));
		if (net != NULL && !zn_com_accept(n, rx->now, net, rx->peer, &com)) {
			zn_log(n, 7, "network %016llx: COM from %010llx refused",
			       (unsigned long long)net->nwid,
			       (unsigned long long)rx->peer->address);
			refused = true;
		}
	}
	if (m.has_revocations) {
		ztdp_rd_init(&r, m.revocations, m.revocations_len);
		for (unsigned int i = 0; i < m.revocation_count; i++) {
			struct ztdp_revocation rev;

			if (ztdp_revocation_decode(&r, &rev) != ZTDP_CRED_OK)
				break;
			zn_revocation_accept(n, rx->now, &rev);
		}
	}
	/* Capabilities, tags and COOs of peers are not kept: inbound rules
	 * see no remote tags and no presented capabilities (see README). */
	if (refused)
		zn_drop(n, ZN_DROP_CREDENTIAL_REJECTED);
}

bool zn_gate(struct ztdp_node *n, uint64_t now, struct zn_network *net,
	     struct zn_peer *p)
{
	const struct ztdp_netconf *nc = net->nc;
	struct zn_membership *m;

	if (nc == NULL)
		return false;
	if (!ztdp_netconf_is_public(nc)) {
		m = zn_membership(p, net->nwid, now, false);
		if (m == NULL || !m->has_com || !nc->has_com)
			return false;
		if (m->gate_seq != net->config_seq) {
			m->gate_seq = net->config_seq;
			m->gate_ok = (m->com_revoked_before == 0 ||
				      (int64_t)ztdp_com_timestamp(&m->com) > m->com_revoked_before) &&
				     ztdp_com_agree(&nc->com, &m->com) &&
				     ztdp_com_agree_identity(&nc->com, &m->com, &p->id);
		}
		if (!m->gate_ok)
			return false;
	}
	m = zn_membership(p, net->nwid, now, true);
	m->last_gate_ok = now;
	/* A member that passes the gate hears our groups, at most every
	 * 60 s (notes 9.3). */
	if (m->last_like_sent == 0 || now - m->last_like_sent >= ZN_MC_ANNOUNCE_MS)
		zn_like_send(n, now, net, p);
	return true;
}

bool zn_peer_trusted(const struct zn_peer *p, uint64_t now)
{
	for (unsigned int i = 0; i < ZN_PEER_MEMBERSHIPS; i++)
		if (p->mship[i].nwid != 0 && p->mship[i].last_gate_ok != 0 &&
		    now - p->mship[i].last_gate_ok < ZN_TRUST_MS)
			return true;
	return false;
}

void zn_credentials_push(struct ztdp_node *n, uint64_t now, struct zn_network *net,
			 struct zn_peer *p, bool force)
{
	const struct ztdp_netconf *nc = net->nc;
	struct zn_membership *m;
	struct ztdp_wr *w;

	if (nc == NULL || !nc->has_com || p->address == n->self.address)
		return;
	m = zn_membership(p, net->nwid, now, true);
	if (m->last_cred_push == 0 || m->last_cred_push < net->config_applied) {
		/* Never pushed, or not since the config changed: go. */
	} else if (force) {
		if (!zn_rl_allow(&p->rl_cred_push, now, ZN_RL_CRED_PUSH_MS,
				 ZN_RL_CRED_PUSH_BURST)) {
			n->stats.rate_limited++;
			return;
		}
	} else if (now - m->last_cred_push < ZN_CRED_PUSH_MS) {
		return;
	}
	m->last_cred_push = now;
	w = zn_tx_begin(n, p->address, ZTDP_VERB_NETWORK_CREDENTIALS);
	if (ztdp_network_credentials_build(w, &nc->com, 1, nc->capabilities,
					   nc->capability_count, nc->tags, nc->tag_count,
					   NULL, 0, nc->coos, nc->coo_count) != ZTDP_VERBS_OK)
		w->err = true;
	(void)zn_tx_send(n, now, p, NULL, ZN_TX_COMPRESS, NULL);
}

/* ---- Queries ------------------------------------------------------------------------------ */

const char *ztdp_network_status_name(enum ztdp_network_status s)
{
	switch (s) {
	case ZTDP_NETWORK_REQUESTING_CONFIGURATION:
		return "REQUESTING_CONFIGURATION";
	case ZTDP_NETWORK_OK:
		return "OK";
	case ZTDP_NETWORK_ACCESS_DENIED:
		return "ACCESS_DENIED";
	case ZTDP_NETWORK_NOT_FOUND:
		return "NOT_FOUND";
	case ZTDP_NETWORK_PORT_ERROR:
		return "PORT_ERROR";
	case ZTDP_NETWORK_CLIENT_TOO_OLD:
		return "CLIENT_TOO_OLD";
	case ZTDP_NETWORK_AUTHENTICATION_REQUIRED:
		return "AUTHENTICATION_REQUIRED";
	}
	return "?";
}

static void network_info(const struct zn_network *net, struct ztdp_network_info *out)
{
	const struct ztdp_netconf *nc = net->nc;

	memset(out, 0, sizeof(*out));
	out->nwid = net->nwid;
	out->mac = net->mac;
	out->status = net->status;
	out->bridge = net->bridge;
	out->mtu = ZTDP_VIRTUAL_MTU_DEFAULT;
	if (nc == NULL)
		return;
	snprintf(out->name, sizeof(out->name), "%s", nc->name);
	out->is_public = ztdp_netconf_is_public(nc);
	out->broadcast_enabled = ztdp_netconf_broadcast_enabled(nc);
	out->mtu = nc->mtu;
	out->netconf_revision = nc->revision;
	for (unsigned int i = 0; i < nc->static_ip_count && out->assigned_count < 16; i++)
		out->assigned[out->assigned_count++] = nc->static_ips[i];
	for (unsigned int i = 0; i < nc->route_count && out->route_count < 32; i++) {
		out->routes[out->route_count].target = nc->routes[i].target;
		out->routes[out->route_count].via = nc->routes[i].via;
		out->routes[out->route_count].flags = nc->routes[i].flags;
		out->routes[out->route_count].metric = nc->routes[i].metric;
		out->route_count++;
	}
}

unsigned int ztdp_node_networks(const struct ztdp_node *n,
				struct ztdp_network_info *out, unsigned int max)
{
	unsigned int count = 0;

	for (unsigned int i = 0; i < ZN_MAX_NETWORKS; i++) {
		if (!n->nets[i].in_use)
			continue;
		if (count < max)
			network_info(&n->nets[i], &out[count]);
		count++;
	}
	return count;
}

int ztdp_node_network(const struct ztdp_node *n, uint64_t nwid,
		      struct ztdp_network_info *out)
{
	for (unsigned int i = 0; i < ZN_MAX_NETWORKS; i++) {
		if (n->nets[i].in_use && n->nets[i].nwid == nwid) {
			network_info(&n->nets[i], out);
			return 0;
		}
	}
	return -1;
}
