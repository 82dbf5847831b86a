/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reply matching (protocol notes section 3.3): an OK is taken only if it
 * answers a packet we sent and expect a reply to, from the peer we sent it
 * to. This keeps a peer from feeding us OK(WHOIS) identities or configs we
 * never asked for. ERRORs are not gated here; each ERROR handler checks
 * who sent it.
 *
 * The table is a fixed set of buckets (by packet ID) of a few ways each,
 * written round-robin: an old entry is simply overwritten, as 1.14.1 does,
 * and entries also lapse after ZN_EXPECT_TIMEOUT_MS. Entries are not
 * removed on a match because one request can have several replies (a
 * config in several chunks, gather results from several OKs).
 */
#include "node_internal.h"

static unsigned int expect_bucket(uint64_t id)
{
	/* The ID is random (or an AES block for suite 3): any bits will do. */
	return (unsigned int)((id ^ (id >> 29)) & (ZN_EXPECT_BUCKETS - 1));
}

void zn_expect_add(struct ztdp_node *n, uint64_t now, uint64_t id,
		   uint64_t peer, unsigned int verb)
{
	unsigned int b = expect_bucket(id);
	struct zn_expect *e = &n->expect[b][n->expect_next[b]++ % ZN_EXPECT_WAYS];

	e->id = id;
	e->peer = peer;
	e->verb = (uint8_t)verb;
	e->expires = now + ZN_EXPECT_TIMEOUT_MS;
}

bool zn_expect_match(const struct ztdp_node *n, uint64_t now, uint64_t id,
		     uint64_t peer, unsigned int in_re_verb)
{
	unsigned int b = expect_bucket(id);

	for (unsigned int i = 0; i < ZN_EXPECT_WAYS; i++) {
		const struct zn_expect *e = &n->expect[b][i];

		if (e->expires == 0 || e->expires < now || e->id != id)
			continue;
		if (e->peer != 0 && e->peer != peer)
			continue;
		if (e->verb != 0xff && e->verb != in_re_verb)
			continue;
		return true;
	}
	return false;
}
