/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Token buckets for what a remote peer can make us do: verify an unknown
 * identity, answer WHOIS or ECHO, take credentials, chase pushed paths.
 *
 * Each bucket is one word, the "theoretical arrival time" of the generic
 * cell rate algorithm: an event is allowed when it is no more than
 * (burst - 1) intervals ahead of schedule, and then pushes the schedule one
 * interval on. A zeroed bucket is full, so tables need no set-up.
 */
#include "node_internal.h"

bool zn_rl_allow(struct zn_rl *rl, uint64_t now, uint32_t interval_ms,
		 uint32_t burst)
{
	uint64_t slack = (uint64_t)(burst > 0 ? burst - 1 : 0) * interval_ms;
	uint64_t tat = rl->tat > now ? rl->tat : now;

	if (rl->tat > now + slack)
		return false;
	rl->tat = tat + interval_ms;
	return true;
}
