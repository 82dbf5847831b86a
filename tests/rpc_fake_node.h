/* SPDX-License-Identifier: BSD-3-Clause */
/* A stand-in for the node's query API, answering as node "a" of
 * shared/interop/data did (see rpc_fake_node.c). */
#ifndef ZTDP_TEST_RPC_FAKE_NODE_H
#define ZTDP_TEST_RPC_FAKE_NODE_H

#include <stdint.h>

#include "ztdp_node.h"

#define RPC_FAKE_NWID	0x31a462e3d25a2681ULL
#define RPC_FAKE_CLOCK	1795308342050ULL

/* Reset and return the (opaque) node. */
struct ztdp_node *rpc_fake_node(void);
/* Report n more peers (no path, unknown version), for size tests. */
void rpc_fake_node_set_extra_peers(unsigned int n);
unsigned int rpc_fake_node_joins(void);
uint64_t rpc_fake_node_last_now(void);

#endif /* ZTDP_TEST_RPC_FAKE_NODE_H */
