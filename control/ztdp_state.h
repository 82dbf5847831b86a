/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Persisted state: one directory (default /var/lib/ztdp, mode 0700) laid out
 * like a ZeroTierOne home so that an operator finds things where they
 * expect them:
 *
 *   identity.secret              text identity with private key, 0600
 *   identity.public              text identity, public half
 *   planet                       binary World, when not the default one
 *   networks.d/<16 hex>.conf     last good config Dictionary of a joined
 *                                network; empty = joined, not configured yet
 *   peers.d/<10 hex>.peer        a peer's public identity, text
 *   controller.json              the embedded controller's networks and
 *                                members (ztdp_controller.h), 0600
 *
 * Every write goes to a temporary file in the same directory, is fsynced,
 * renamed over the target and the directory fsynced, so that a crash or a
 * SIGKILL at any moment leaves either the old or the new file, never a torn
 * one. Temporaries a killed writer left behind are removed on open. Reads
 * are bounded per kind: an oversized file is refused, not read.
 *
 * One process owns a state directory: ztdp_state_open takes an exclusive
 * lock on <dir>/lock and fails if another process holds it.
 *
 * Not thread-safe; the control thread owns it.
 */
#ifndef ZTDP_STATE_H
#define ZTDP_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ztdp_identity.h"
#include "ztdp_node.h"

#define ZTDP_STATE_DEFAULT_DIR	"/var/lib/ztdp"
/* Prefix of every temporary file; anything carrying it is removed on open. */
#define ZTDP_STATE_TMP_PREFIX	".ztdp-tmp."

/* Largest file accepted per kind on read (and on write). */
#define ZTDP_STATE_IDENTITY_MAX	1024
#define ZTDP_STATE_PEER_MAX	1024
/* ZTDP_WORLD_MAX_LEN and ZTDP_DICT_MAX_LEN, from ztdp_wire.h;
 * ZTDP_CONTROLLER_STATE_MAX, from ztdp_controller.h. */

struct ztdp_state;

/* Log sink: one line without newline, level as syslog (3 err .. 7 debug). */
typedef void (*ztdp_state_log_fn)(void *ctx, int level, const char *msg);

/*
 * Open (and create, 0700, if absent) the state directory dir, or
 * ZTDP_STATE_DEFAULT_DIR when dir is NULL. Creates networks.d and peers.d,
 * takes the directory lock and removes stale temporary files. On failure
 * returns -1 and writes one line into err (errlen bytes; err may be NULL).
 * log may be NULL.
 */
int ztdp_state_open(struct ztdp_state **out, const char *dir,
		    ztdp_state_log_fn log, void *log_ctx,
		    char *err, size_t errlen);
void ztdp_state_close(struct ztdp_state *st);
const char *ztdp_state_dir(const struct ztdp_state *st);
/* How many stale temporary files ztdp_state_open removed (for tests). */
unsigned int ztdp_state_stale_removed(const struct ztdp_state *st);

/*
 * Our identity: read and validate identity.secret, or generate one on first
 * start (*created = true) and write identity.secret (0600) and
 * identity.public. A present but corrupt identity.secret is refused with
 * one line in err and never overwritten. identity.public is rewritten if it
 * is missing or does not match. Returns 0 or -1.
 */
int ztdp_state_load_or_create_identity(struct ztdp_state *st,
				       struct ztdp_identity *id, bool *created,
				       char *err, size_t errlen);

/*
 * The node's state_put / state_get callbacks (struct ztdp_node_callbacks);
 * ctx is the struct ztdp_state *.
 *
 * put: data != NULL writes len bytes (len 0 writes an empty file: a joined
 * but unconfigured network); data == NULL deletes (absent is not an error).
 * Returns 0 or -1 (errno set, one line logged).
 *
 * get: returns the length read into buf, or -1 if absent (errno ENOENT), if
 * larger than cap or the kind's limit (EFBIG, logged), not a regular file or
 * unreadable.
 */
int ztdp_state_put(void *ctx, enum ztdp_state_kind kind, uint64_t id,
		   const void *data, size_t len);
ssize_t ztdp_state_get(void *ctx, enum ztdp_state_kind kind, uint64_t id,
		       void *buf, size_t cap);

/*
 * Networks with a file in networks.d, for rejoining at start: fills up to
 * max IDs in ascending order and returns how many there are in all, or -1.
 * Files whose names are not <16 hex>.conf are ignored.
 */
int ztdp_state_list_networks(struct ztdp_state *st, uint64_t *nwids,
			     unsigned int max);

/* Path of a kind's file relative to the state directory ("networks.d/
 * 0123456789abcdef.conf"); -1 for a bad kind or id (a peer address over
 * 40 bits). */
int ztdp_state_relpath(enum ztdp_state_kind kind, uint64_t id, char *buf,
		       size_t n);

/*
 * Write path atomically (temporary beside it, fsync, rename, fsync of the
 * directory) with the given mode. For other files the appliance keeps
 * (ztdp-idtool has its own copy). Returns 0 or -1 with errno set.
 */
int ztdp_file_write_atomic(const char *path, const void *data, size_t len,
			   mode_t mode);

#endif /* ZTDP_STATE_H */
