/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The embedded controller (ztdp_controller.h) on the wire: config
 * requests for our networks answered with signed chunks in
 * OK(NETWORK_CONFIG_REQUEST) or with an ERROR, config pushes as
 * NETWORK_CONFIG, revocations in NETWORK_CREDENTIALS, all as 1.14.1's
 * Node::ncSend* send them; and the controller's state through
 * state_get / state_put (ZTDP_STATE_CONTROLLER).
 *
 * The controller itself only queues what a change calls for;
 * zn_controller_send drains the queues, revocations first (so that the
 * other members stop trusting a member before anything else happens), and
 * zn_controller_sync also stores the state when it changed.
 */
#include <errno.h>
#include <stdlib.h>

#include "node_internal.h"
#include "ztdp_controller.h"
#include "ztdp_verbs.h"

int zn_controller_init(struct ztdp_node *n)
{
	n->ctl = ztdp_controller_create(&n->self);
	if (n->ctl == NULL) {
		zn_log(n, 3, "out of memory for the controller");
		return -1;
	}
	return 0;
}

/* Read the state on first use, not at create: most nodes control nothing,
 * and a state file may be megabytes. */
struct ztdp_controller *zn_controller(struct ztdp_node *n)
{
	char err[256];
	uint8_t *buf;
	ssize_t len;

	if (n->ctl_loaded)
		return n->ctl;
	n->ctl_loaded = true;
	if (n->cb.state_get == NULL)
		return n->ctl;
	buf = malloc(ZTDP_CONTROLLER_STATE_MAX);
	if (buf == NULL) {
		/* Serving nothing beats overwriting the state with nothing. */
		ztdp_controller_set_unreadable(n->ctl, "out of memory reading it");
		zn_log(n, 2, "out of memory reading the controller state: the controller is "
		       "read-only");
		return n->ctl;
	}
	errno = 0;
	len = n->cb.state_get(n->cb.ctx, ZTDP_STATE_CONTROLLER, 0, buf,
			      ZTDP_CONTROLLER_STATE_MAX);
	/* Too big to read (control/state.c says EFBIG) is not absent: an
	 * empty controller would overwrite it at its first change. */
	if (len < 0 && errno == EFBIG) {
		ztdp_controller_set_unreadable(n->ctl, "larger than the limit");
		zn_log(n, 2, "controller state over %u bytes: the controller is read-only",
		       ZTDP_CONTROLLER_STATE_MAX);
	}
	if (len > 0) {
		if (ztdp_controller_load(n->ctl, buf, (size_t)len, err, sizeof(err)) != 0)
			zn_log(n, 2, "controller state refused (%s): the controller serves no "
			       "network and keeps the state as it is until it is fixed or removed",
			       err);
		else
			zn_log(n, 6, "controller: %u network(s)",
			       ztdp_controller_network_count(n->ctl));
	}
	free(buf);
	return n->ctl;
}

/* reply's Dictionary as signed chunks to p: in OK(NETWORK_CONFIG_REQUEST)
 * answering in_re, or (push) as NETWORK_CONFIG. */
static void send_config(struct ztdp_node *n, uint64_t now, struct zn_peer *p, bool push,
			uint64_t in_re, const struct ztdp_controller_reply *reply)
{
	struct ztdp_netconf_chunker ch;

	if (ztdp_controller_chunker_init(n->ctl, reply, zn_random_u64(n), &ch) != ZTDP_NCC_OK) {
		zn_drop(n, ZN_DROP_TX_TOO_BIG);
		return;
	}
	for (;;) {
		struct ztdp_wr *w;
		int rc;

		if (push)
			w = zn_tx_begin(n, p->address, ZTDP_VERB_NETWORK_CONFIG);
		else
			w = zn_ok_begin(n, p, ZTDP_VERB_NETWORK_CONFIG_REQUEST, in_re);
		rc = ztdp_netconf_chunker_next(&ch, w);

		if (rc == 0)
			break;
		if (rc < 0) {
			zn_drop(n, ZN_DROP_TX_TOO_BIG);
			break;
		}
		if (zn_tx_send(n, now, p, NULL, ZN_TX_COMPRESS, NULL) != 0)
			break;
	}
}

void zn_config_request_receive(struct ztdp_node *n, const struct zn_rx *rx)
{
	struct ztdp_controller_reply reply;
	struct ztdp_netconf_request r;
	bool ok = ztdp_netconf_request_decode(rx->payload, rx->plen, &r) == ZTDP_VERBS_OK;

	if (!ok || zn_controller_of(r.nwid) != n->self.address) {
		/* Not a network of ours: say so, as a node without a
		 * controller does (1.14.1 with one stays silent). */
		zn_error_send(n, rx->now, rx->peer, rx->verb, rx->id,
			      ZTDP_ERROR_UNSUPPORTED_OPERATION, ok, ok ? r.nwid : 0);
		return;
	}
	ztdp_controller_request(zn_controller(n), rx->now, r.nwid, &rx->peer->id,
				r.has_meta ? r.meta : NULL, r.has_meta ? r.meta_len : 0, &reply);
	switch (reply.answer) {
	case ZTDP_CTL_ANSWER_CONFIG:
		send_config(n, rx->now, rx->peer, false, rx->id, &reply);
		break;
	case ZTDP_CTL_ANSWER_NOT_FOUND:
		zn_error_send(n, rx->now, rx->peer, rx->verb, rx->id, ZTDP_ERROR_OBJ_NOT_FOUND,
			      true, r.nwid);
		break;
	case ZTDP_CTL_ANSWER_ACCESS_DENIED:
		zn_error_send(n, rx->now, rx->peer, rx->verb, rx->id,
			      ZTDP_ERROR_NETWORK_ACCESS_DENIED, true, r.nwid);
		break;
	case ZTDP_CTL_ANSWER_IGNORE:
		/* A repeat within a second (1.14.1 ignores those too). */
		zn_drop(n, ZN_DROP_RATE_LIMITED);
		break;
	default:
		zn_log(n, 3, "network %016llx: cannot build the config of %010llx",
		       (unsigned long long)r.nwid, (unsigned long long)rx->peer->address);
		break;
	}
	/* What a request changes (a new member, its versions) is stored at
	 * the next housekeeping: a burst of strangers costs one write, not
	 * one per request. */
	zn_controller_send(n, rx->now);
}

static void send_revocation(struct ztdp_node *n, uint64_t now,
			    const struct ztdp_controller_revocation *cr)
{
	struct zn_peer *p;
	struct ztdp_wr *w;

	if (cr->to == n->self.address) {
		/* We are a member too: our gate must stop trusting it. */
		zn_revocation_accept(n, now, &cr->rev);
		return;
	}
	p = zn_peer_lookup(n, now, cr->to);
	if (p == NULL)
		return;	/* forgotten since it asked: nothing to tell */
	w = zn_tx_begin(n, p->address, ZTDP_VERB_NETWORK_CREDENTIALS);
	if (ztdp_network_credentials_build(w, NULL, 0, NULL, 0, NULL, 0, &cr->rev, 1,
					   NULL, 0) != ZTDP_VERBS_OK)
		w->err = true;
	(void)zn_tx_send(n, now, p, NULL, 0, NULL);
}

static void send_push(struct ztdp_node *n, uint64_t now, const struct ztdp_controller_push *push)
{
	struct ztdp_controller_reply reply;
	struct zn_network *net;
	struct zn_peer *p;

	if (push->member == n->self.address) {
		net = zn_network_find(n, push->nwid);
		if (net != NULL)
			zn_config_from_self(n, now, net, true);
		return;
	}
	ztdp_controller_config(zn_controller(n), now, push->nwid, push->member, &reply);
	/* An error cannot be pushed (1.14.1 neither): the member learns it
	 * at its next request. */
	if (reply.answer != ZTDP_CTL_ANSWER_CONFIG)
		return;
	p = zn_peer_lookup(n, now, push->member);
	if (p != NULL)
		send_config(n, now, p, true, 0, &reply);
}

static void store_state(struct ztdp_node *n)
{
	size_t len;
	char *text;

	if (!ztdp_controller_dirty(n->ctl) || n->cb.state_put == NULL)
		return;
	text = ztdp_controller_save(n->ctl, &len);
	if (text == NULL) {
		zn_log(n, 3, "controller state cannot be written out");
		return;
	}
	/* Stays dirty on failure: the next sync (housekeeping) retries. */
	if (n->cb.state_put(n->cb.ctx, ZTDP_STATE_CONTROLLER, 0, text, len) == 0)
		ztdp_controller_mark_saved(n->ctl);
	else
		zn_log(n, 3, "cannot store the controller state");
	free(text);
}

void zn_controller_fini(struct ztdp_node *n)
{
	/* What requests changed since the last housekeeping. */
	if (n->ctl != NULL && n->ctl_loaded)
		store_state(n);
	ztdp_controller_destroy(n->ctl);
	n->ctl = NULL;
}

void zn_controller_send(struct ztdp_node *n, uint64_t now)
{
	struct ztdp_controller_revocation cr;
	struct ztdp_controller_push push;

	/* Unused so far: nothing can be waiting. */
	if (!n->ctl_loaded)
		return;
	while (ztdp_controller_next_revocation(n->ctl, &cr))
		send_revocation(n, now, &cr);
	while (ztdp_controller_next_push(n->ctl, &push))
		send_push(n, now, &push);
}

void zn_controller_sync(struct ztdp_node *n, uint64_t now)
{
	zn_controller_send(n, now);
	/* After the pushes: building a config may assign an address. */
	if (n->ctl_loaded)
		store_state(n);
}

struct ztdp_controller *ztdp_node_controller(struct ztdp_node *n)
{
	return zn_controller(n);
}

void ztdp_node_controller_sync(struct ztdp_node *n, uint64_t now)
{
	n->now = now;
	zn_controller_sync(n, now);
	zn_deferred(n, now);
}
