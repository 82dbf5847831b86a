/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hooks for tests and fuzzers only: not part of the appliance's API.
 */
#ifndef ZTDP_NODE_TEST_H
#define ZTDP_NODE_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ztdp_node.h"

/* Accept OKs in re packet_id from peer (0 = anyone), for any in-re verb,
 * as if we had sent that request. A test replaying a capture uses it: the
 * recorded replies answer the recorded node's requests, not ours. */
void ztdp_node_test_expect_reply(struct ztdp_node *node, uint64_t now,
				 uint64_t packet_id, uint64_t peer);

/* Check the counter invariants: every datagram ends up a reassembly piece,
 * a packet, relayed (roots) or a datagram drop; every packet authenticated, dropped before
 * that, or queued for its sender's identity; every queued packet replayed,
 * dropped or still queued; verb counts add up. On failure writes the first
 * broken one to why. */
bool ztdp_node_test_stats_consistent(const struct ztdp_node *node, char *why,
				     size_t len);

/* Packets waiting for a sender's identity. */
unsigned int ztdp_node_test_pending(const struct ztdp_node *node);

/* The reassembly table's counters. */
struct ztdp_reasm_stats;
const struct ztdp_reasm_stats *ztdp_node_test_reasm_stats(const struct ztdp_node *node);

#endif /* ZTDP_NODE_TEST_H */
