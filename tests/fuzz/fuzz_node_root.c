/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: fuzz_node with the node as one of the planet's roots,
 * so that its relay and introductions (control/root.c) see the input too.
 * Same input format; see fuzz_node.c.
 */
#define FUZZ_NODE_AS_ROOT 1
#include "fuzz_node.c"
