/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-lcore counters: each lcore writes only its own cache-aligned block,
 * so counting costs a plain increment; readers sum the blocks racily (a
 * figure may be one burst behind, never torn on x86-64).
 */
#include <string.h>

#include "dp_internal.h"

static const char *const drop_keys[ZTDP_DP_N_DROP] = {
#define DP_KEY_(id, key, what) [ZTDP_DP_DROP_##id] = key,
	ZTDP_DP_DROPS(DP_KEY_)
#undef DP_KEY_
};

static const char *const drop_texts[ZTDP_DP_N_DROP] = {
#define DP_TEXT_(id, key, what) [ZTDP_DP_DROP_##id] = what,
	ZTDP_DP_DROPS(DP_TEXT_)
#undef DP_TEXT_
};

const char *ztdp_dp_drop_key(unsigned int reason)
{
	return reason < ZTDP_DP_N_DROP ? drop_keys[reason] : "?";
}

const char *ztdp_dp_drop_text(unsigned int reason)
{
	return reason < ZTDP_DP_N_DROP ? drop_texts[reason] : "?";
}

/* Every field is a uint64_t: sum them as an array. */
static void stats_add(struct ztdp_dp_stats *to, const struct ztdp_dp_stats *from)
{
	uint64_t *t = (uint64_t *)to;
	const volatile uint64_t *f = (const volatile uint64_t *)from;

	for (size_t i = 0; i < offsetof(struct ztdp_dp_stats, drops) / sizeof(uint64_t) +
			       ZTDP_DP_N_DROP; i++)
		t[i] += f[i];
}

void ztdp_dp_stats_sum(const struct ztdp_dp *dp, struct ztdp_dp_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < dp->lcores; i++)
		stats_add(out, &dp->stats[i]);
}

const struct ztdp_dp_stats *ztdp_dp_stats_lcore(const struct ztdp_dp *dp, unsigned int idx)
{
	return idx < dp->lcores ? &dp->stats[idx] : NULL;
}

void ztdp_dp_stats_reset(struct ztdp_dp *dp)
{
	memset(dp->stats, 0, sizeof(dp->stats));
}

uint64_t ztdp_dp_drops_total(const struct ztdp_dp_stats *s)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < ZTDP_DP_N_DROP; i++)
		n += s->drops[i];
	return n;
}
