/* SPDX-License-Identifier: BSD-3-Clause */
/* proto/: small shared helpers. */
#ifndef ZTDP_PROTO_H
#define ZTDP_PROTO_H

/* Upper-case verb name as in the protocol notes ("HELLO", "EXT_FRAME"),
 * "UNKNOWN" for unassigned numbers. */
const char *ztdp_verb_name(unsigned int verb);

#endif /* ZTDP_PROTO_H */
