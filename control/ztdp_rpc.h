/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON-RPC 2.0 over a Unix stream socket, for ztdpctl and scripts.
 *
 * The server never blocks: the control thread either calls
 * ztdp_rpc_poll(srv, 0) from its loop, or adds ztdp_rpc_fd() (an epoll
 * descriptor that becomes readable when a client needs service) to its own
 * poll set and calls ztdp_rpc_poll(srv, 0) when it fires. Handlers run on
 * that thread, so they may call the (single-threaded) node directly.
 *
 * Wire format: each request is one JSON value; requests may be separated by
 * newlines or anything else, or sent back to back, and may arrive in any
 * number of pieces. The server finds each value's end with an incremental
 * scanner (strings, escapes, nesting), then parses it with jansson, so a
 * value that is malformed inside still leaves the stream in step: it gets
 * -32700 and the next request is served. Each response is one compact JSON
 * object followed by "\n".
 *
 * JSON-RPC 2.0 as specified: "jsonrpc" must be "2.0", "method" a string,
 * "params" (optional) an object or array, "id" (optional) a string, number
 * or null. A request without "id" is a notification and gets no response,
 * not even an error. Batches (arrays) are supported, up to
 * ZTDP_RPC_MAX_BATCH entries; an empty or longer batch gets one -32600.
 * Anything that is not an object or array gets -32600.
 *
 * Limits (ztdp_rpc_config): a request larger than max_request bytes gets
 * -32600 "request too large" and the connection is closed; a client beyond
 * max_clients gets a -32000 "too many clients" line and is closed; a
 * client is not served new requests while more than ZTDP_RPC_OUT_HIGH bytes
 * of its responses are unread (back-pressure), and a single response larger
 * than max_output is replaced by -32603. Clients that go away mid-request
 * or mid-response are dropped and counted; SIGPIPE is never raised.
 */
#ifndef ZTDP_RPC_H
#define ZTDP_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ztdp_node.h"

#define ZTDP_RPC_DEFAULT_SOCKET		"/var/lib/ztdp/ztdp.sock"
#define ZTDP_RPC_DEFAULT_MAX_CLIENTS	32
#define ZTDP_RPC_DEFAULT_MAX_REQUEST	(64 * 1024)
#define ZTDP_RPC_DEFAULT_MAX_OUTPUT	(4 * 1024 * 1024)
/* Unread response bytes above which a client's further requests wait. */
#define ZTDP_RPC_OUT_HIGH		(64 * 1024)
#define ZTDP_RPC_MAX_BATCH		64

/* Error codes: the JSON-RPC 2.0 ones, then ours (-32000 .. -32099 is the
 * range the specification leaves to servers). */
enum ztdp_rpc_error_code {
	ZTDP_RPC_PARSE_ERROR = -32700,
	ZTDP_RPC_INVALID_REQUEST = -32600,
	ZTDP_RPC_METHOD_NOT_FOUND = -32601,
	ZTDP_RPC_INVALID_PARAMS = -32602,
	ZTDP_RPC_INTERNAL_ERROR = -32603,
	ZTDP_RPC_SERVER_BUSY = -32000,		/* too many clients */
	ZTDP_RPC_NOT_FOUND = -32001,		/* no such network or peer */
	ZTDP_RPC_FAILED = -32002,		/* the node refused the operation */
};

/* Why a client was dropped; counted in ztdp_rpc_stats. */
#define ZTDP_RPC_DROP_REASONS(X) \
	X(TOO_MANY_CLIENTS, "too many clients") \
	X(REQUEST_TOO_LARGE, "request too large") \
	X(CLOSED_MID_REQUEST, "closed mid-request") \
	X(CLOSED_MID_RESPONSE, "closed mid-response") \
	X(IO_ERROR, "socket error") \
	X(OUT_OF_MEMORY, "out of memory")

enum ztdp_rpc_drop {
#define ZTDP_RPC_DROP_ENUM(name, text) ZTDP_RPC_DROP_##name,
	ZTDP_RPC_DROP_REASONS(ZTDP_RPC_DROP_ENUM)
#undef ZTDP_RPC_DROP_ENUM
	ZTDP_RPC_DROP_COUNT
};

const char *ztdp_rpc_drop_name(enum ztdp_rpc_drop reason);

struct ztdp_rpc_error {
	int code;
	char message[256];
};

/*
 * A method. The handler gets the ctx given at registration, the request's
 * params (NULL when absent; otherwise an object or an array) and returns 0
 * with *result set to a new reference (NULL means JSON null), or -1 with
 * err filled (ztdp_rpc_set_error). An err->code of 0 becomes -32603.
 */
typedef int (*ztdp_rpc_handler_fn)(void *ctx, const json_t *params,
				   json_t **result, struct ztdp_rpc_error *err);

struct ztdp_rpc_method {
	const char *name;
	ztdp_rpc_handler_fn handler;
	const char *help;	/* one line, shown by rpc_get_methods */
};

struct ztdp_rpc_config {
	const char *path;		/* NULL = ZTDP_RPC_DEFAULT_SOCKET */
	unsigned int max_clients;	/* 0 = ZTDP_RPC_DEFAULT_MAX_CLIENTS */
	size_t max_request;		/* 0 = ZTDP_RPC_DEFAULT_MAX_REQUEST */
	size_t max_output;		/* 0 = ZTDP_RPC_DEFAULT_MAX_OUTPUT */
	/* One line without newline, level as syslog. May be NULL. */
	void (*log)(void *ctx, int level, const char *msg);
	void *log_ctx;
};

struct ztdp_rpc_stats {
	uint64_t clients;		/* connected now */
	uint64_t accepted;
	uint64_t requests;		/* JSON-RPC requests and notifications */
	uint64_t errors;		/* error responses sent */
	uint64_t dropped[ZTDP_RPC_DROP_COUNT];
};

struct ztdp_rpc_server;

/*
 * Listen on cfg->path (mode 0600). A stale socket (nobody accepting) is
 * removed first; a live one, or a path that is not a socket, is an error.
 * Registers the built-in rpc_get_methods. Returns 0, or -1 with one line
 * in err.
 */
int ztdp_rpc_open(struct ztdp_rpc_server **out, const struct ztdp_rpc_config *cfg,
		  char *err, size_t errlen);
/* Close every client and the listener, and remove the socket file. */
void ztdp_rpc_close(struct ztdp_rpc_server *srv);

/* Add count methods served with ctx. The table must outlive the server.
 * -1 (errno EEXIST) if a name is taken, ENOMEM. */
int ztdp_rpc_register(struct ztdp_rpc_server *srv,
		      const struct ztdp_rpc_method *methods, size_t count,
		      void *ctx);

/* Readable when ztdp_rpc_poll has work to do. */
int ztdp_rpc_fd(const struct ztdp_rpc_server *srv);
/* Accept, read, answer and write whatever is ready, waiting up to
 * timeout_ms (0 = don't wait, -1 = forever) for something to be. Returns
 * the number of requests handled, or -1 on an epoll failure. */
int ztdp_rpc_poll(struct ztdp_rpc_server *srv, int timeout_ms);

void ztdp_rpc_get_stats(const struct ztdp_rpc_server *srv,
			struct ztdp_rpc_stats *st);
const char *ztdp_rpc_path(const struct ztdp_rpc_server *srv);

/* Fill err; returns -1 so that handlers can `return ztdp_rpc_set_error()`. */
int ztdp_rpc_set_error(struct ztdp_rpc_error *err, int code, const char *fmt,
		       ...) __attribute__((format(printf, 3, 4)));

/* --- Parameter helpers for handlers --------------------------------- */

/*
 * Check that params holds only the named members (NULL-terminated list)
 * and that every one marked required ('!' prefix, e.g. "!nwid") is
 * present. Absent params, null or [] count as {}. Returns 0 or fills err
 * with -32602 and returns -1.
 */
int ztdp_rpc_check_params(const json_t *params, const char *const *names,
			  struct ztdp_rpc_error *err);
/* A member that must be a string of exactly `digits` hex digits (16 for a
 * network ID, 10 for an address). 0, or -1 with -32602 in err. */
int ztdp_rpc_param_hex(const json_t *params, const char *name,
		       unsigned int digits, uint64_t *out,
		       struct ztdp_rpc_error *err);

/* --- The node's methods (rpc_methods.c) ------------------------------ */

/*
 * node_status, network_list, network_get, network_join, network_leave,
 * peer_list, peer_get, stats: zerotier-one's local API (/status, /network,
 * /network/<id> GET/POST/DELETE, /peer, /peer/<id>) with its JSON field
 * names.
 *
 * Times (clock, lastSend, lastReceive) are the node's own `now` values,
 * reported as they are, as ZeroTierOne does; zerotier-cli and ztdpctl turn
 * them into ages against the wall clock, so the control thread should drive
 * the node with Unix time in ms.
 */
struct ztdp_rpc_node_ctx {
	struct ztdp_node *node;
	/* Time for join/leave; NULL = the node's last `now`. */
	uint64_t (*now)(void *now_ctx);
	void *now_ctx;
	/* Shown by node_status under config.settings; may be 0 / NULL. */
	uint16_t primary_port;
	const char *home_dir;
	/* A network's portDeviceName (listnetworks' <dev>), or NULL for "-";
	 * the callback may be NULL. */
	const char *(*device_name)(void *device_ctx, uint64_t nwid);
	void *device_ctx;
	/* Optional: the RPC server, whose counters `stats` then includes. */
	const struct ztdp_rpc_server *rpc;
};

int ztdp_rpc_register_node_methods(struct ztdp_rpc_server *srv,
				   struct ztdp_rpc_node_ctx *ctx);

/* The time node methods run at (ctx->now, else the node's last `now`). */
uint64_t ztdp_rpc_node_now(const struct ztdp_rpc_node_ctx *ctx);

/*
 * controller_status, controller_network_list/get/create/update/delete,
 * controller_member_list/get/update/delete: the embedded controller of
 * ctx->node (ztdp_node_controller), as zerotier-one's /controller API
 * (GET /controller, /controller/network[/<nwid>[/member[/<address>]]],
 * POST and DELETE), with its JSON. Changes are synced to the node at once
 * (stored, pushed to members). rpc_controller.c.
 */
int ztdp_rpc_register_controller_methods(struct ztdp_rpc_server *srv,
					 struct ztdp_rpc_node_ctx *ctx);

/* The JSON objects, for telemetry or other methods (new references). */
json_t *ztdp_rpc_node_status_json(const struct ztdp_rpc_node_ctx *ctx);
json_t *ztdp_rpc_network_json(const struct ztdp_network_info *n,
			      const char *port_device_name);
json_t *ztdp_rpc_peer_json(const struct ztdp_peer_info *p);

#endif /* ZTDP_RPC_H */
