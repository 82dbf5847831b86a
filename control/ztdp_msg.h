/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Formatting for the control libraries' two ways of speaking: a log line
 * through the caller's callback, and the one-line error a failed call
 * leaves in the caller's buffer.
 */
#ifndef ZTDP_MSG_H
#define ZTDP_MSG_H

#include <stddef.h>

/* Levels are syslog's (3 err .. 7 debug). */
typedef void (*ztdp_log_fn)(void *ctx, int level, const char *msg);

/* Format one line (up to 511 bytes) and hand it to fn; nothing if fn is
 * NULL. */
void ztdp_logf(ztdp_log_fn fn, void *ctx, int level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Format into err[errlen]; nothing if err is NULL or errlen 0. */
void ztdp_set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* ZTDP_MSG_H */
