/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON-RPC 2.0 server on a Unix stream socket (see ztdp_rpc.h for the
 * protocol and limits). Level-triggered epoll; every socket is non-blocking
 * and every send uses MSG_NOSIGNAL, so no client can stall or kill the
 * control thread.
 */
#include "ztdp_msg.h"
#include "ztdp_rpc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <syslog.h>
#include <unistd.h>

/* Accepts and reads per ztdp_rpc_poll call and client, so one busy client
 * cannot monopolise a poll. */
#define ACCEPT_BURST		16
#define EPOLL_BATCH		64
#define IN_INITIAL		4096
/* Retry accepting this long after running out of file descriptors. */
#define ACCEPT_RETRY_MS		1000
/* Output buffers above this are freed once drained, not kept. */
#define OUT_KEEP		(256 * 1024)
/* Longest method name or value quoted back in an error message. */
#define QUOTE_MAX		64

static const char *const drop_names[ZTDP_RPC_DROP_COUNT] = {
#define ZTDP_RPC_DROP_STR(name, text) [ZTDP_RPC_DROP_##name] = text,
	ZTDP_RPC_DROP_REASONS(ZTDP_RPC_DROP_STR)
#undef ZTDP_RPC_DROP_STR
};

const char *ztdp_rpc_drop_name(enum ztdp_rpc_drop reason)
{
	return (unsigned int)reason < ZTDP_RPC_DROP_COUNT ? drop_names[reason] : "?";
}

/* Where the scanner is inside the value it is framing. */
enum scan_mode {
	SCAN_IDLE,		/* between values, skipping whitespace */
	SCAN_NESTED,		/* inside an object or array */
	SCAN_STRING,		/* inside a top-level string */
	SCAN_SCALAR,		/* inside a top-level number, literal or garbage */
};

struct rpc_client {
	int fd;
	unsigned int slot;
	uint64_t serial;	/* for log lines */
	uint8_t *in;
	size_t in_len, in_cap;
	/* Incremental framing: in[frame_start..scan_pos) has been scanned. */
	size_t frame_start, scan_pos;
	enum scan_mode mode;
	size_t depth;
	bool in_str, esc;
	char *out;
	size_t out_off, out_len, out_cap;
	bool eof;		/* the client shut down its sending side */
	bool closing;		/* close once the output is flushed */
	uint32_t events;	/* current epoll interest */
};

struct rpc_registration {
	const struct ztdp_rpc_method *methods;
	size_t count;
	void *ctx;
};

struct ztdp_rpc_server {
	char *path;
	dev_t sock_dev;
	ino_t sock_ino;
	int listen_fd;
	int epfd;
	unsigned int max_clients;
	size_t max_request, max_output;
	struct rpc_client **clients;	/* max_clients slots */
	struct rpc_registration *regs;
	size_t nregs;
	void (*log)(void *ctx, int level, const char *msg);
	void *log_ctx;
	struct ztdp_rpc_stats stats;
	uint64_t next_serial;
	int handled;		/* requests in the current ztdp_rpc_poll */
	/* Out of descriptors: the listener is out of the epoll set (it would
	 * stay readable and spin the control loop) until a client leaves or
	 * ACCEPT_RETRY_MS pass. */
	bool accept_paused;
	uint64_t paused_at;
};



int ztdp_rpc_set_error(struct ztdp_rpc_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

/* Quote s back in a message only if it is short printable ASCII; anything
 * else could be a terminal escape or simply noise. */
static const char *printable_or(const char *s, const char *alt)
{
	size_t n = 0;

	for (const char *p = s; *p != '\0'; p++, n++)
		if (*p < 0x20 || *p > 0x7e || n >= QUOTE_MAX)
			return alt;
	return s;
}

/* --- Parameter helpers ------------------------------------------------ */

int ztdp_rpc_check_params(const json_t *params, const char *const *names,
			  struct ztdp_rpc_error *err)
{
	const char *key;
	json_t *value;

	if (params != NULL && json_is_array(params) && json_array_size(params) > 0)
		return ztdp_rpc_set_error(err, ZTDP_RPC_INVALID_PARAMS,
					  "params must be an object (named parameters)");
	if (params != NULL && json_is_object(params)) {
		json_object_foreach((json_t *)params, key, value) {
			bool known = false;

			(void)value;
			for (const char *const *n = names; n != NULL && *n != NULL; n++) {
				const char *bare = **n == '!' ? *n + 1 : *n;

				if (strcmp(bare, key) == 0) {
					known = true;
					break;
				}
			}
			if (!known)
				return ztdp_rpc_set_error(err, ZTDP_RPC_INVALID_PARAMS,
							  "unknown parameter '%s'",
							  printable_or(key, "?"));
		}
	}
	for (const char *const *n = names; n != NULL && *n != NULL; n++) {
		if (**n != '!')
			continue;
		if (params == NULL || !json_is_object(params) ||
		    json_object_get(params, *n + 1) == NULL)
			return ztdp_rpc_set_error(err, ZTDP_RPC_INVALID_PARAMS,
						  "missing parameter '%s'", *n + 1);
	}
	return 0;
}

int ztdp_rpc_param_hex(const json_t *params, const char *name,
		       unsigned int digits, uint64_t *out,
		       struct ztdp_rpc_error *err)
{
	const json_t *v = params != NULL && json_is_object(params) ?
			  json_object_get(params, name) : NULL;
	const char *s;
	uint64_t x = 0;

	if (v == NULL)
		return ztdp_rpc_set_error(err, ZTDP_RPC_INVALID_PARAMS,
					  "missing parameter '%s'", name);
	if (!json_is_string(v))
		return ztdp_rpc_set_error(err, ZTDP_RPC_INVALID_PARAMS,
					  "'%s' must be a string of %u hex digits",
					  name, digits);
	s = json_string_value(v);
	if (json_string_length(v) != digits || strlen(s) != digits)
		goto bad;
	for (unsigned int i = 0; i < digits; i++) {
		char c = s[i];
		unsigned int d;

		if (c >= '0' && c <= '9')
			d = (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned int)(c - 'A' + 10);
		else
			goto bad;
		x = x << 4 | d;
	}
	*out = x;
	return 0;
bad:
	return ztdp_rpc_set_error(err, ZTDP_RPC_INVALID_PARAMS,
				  "'%s' must be %u hex digits, not \"%s\"", name,
				  digits, printable_or(s, "..."));
}

/* --- Method registry -------------------------------------------------- */

static const struct ztdp_rpc_method *find_method(const struct ztdp_rpc_server *srv,
						 const char *name, void **ctx)
{
	for (size_t r = 0; r < srv->nregs; r++) {
		for (size_t i = 0; i < srv->regs[r].count; i++) {
			if (strcmp(srv->regs[r].methods[i].name, name) == 0) {
				*ctx = srv->regs[r].ctx;
				return &srv->regs[r].methods[i];
			}
		}
	}
	return NULL;
}

int ztdp_rpc_register(struct ztdp_rpc_server *srv,
		      const struct ztdp_rpc_method *methods, size_t count,
		      void *ctx)
{
	struct rpc_registration *regs;
	void *unused;

	for (size_t i = 0; i < count; i++) {
		if (methods[i].name == NULL || methods[i].handler == NULL) {
			errno = EINVAL;
			return -1;
		}
		if (find_method(srv, methods[i].name, &unused) != NULL) {
			ztdp_logf(srv->log, srv->log_ctx, LOG_ERR, "rpc: method %s registered twice",
				methods[i].name);
			errno = EEXIST;
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(methods[i].name, methods[j].name) == 0) {
				errno = EEXIST;
				return -1;
			}
		}
	}
	regs = realloc(srv->regs, (srv->nregs + 1) * sizeof(*regs));
	if (regs == NULL)
		return -1;
	srv->regs = regs;
	regs[srv->nregs].methods = methods;
	regs[srv->nregs].count = count;
	regs[srv->nregs].ctx = ctx;
	srv->nregs++;
	return 0;
}

static int rpc_get_methods(void *ctx, const json_t *params, json_t **result,
			   struct ztdp_rpc_error *err)
{
	const struct ztdp_rpc_server *srv = ctx;
	json_t *arr;

	if (ztdp_rpc_check_params(params, NULL, err) != 0)
		return -1;
	arr = json_array();
	if (arr == NULL)
		return ztdp_rpc_set_error(err, ZTDP_RPC_INTERNAL_ERROR, "out of memory");
	for (size_t r = 0; r < srv->nregs; r++) {
		for (size_t i = 0; i < srv->regs[r].count; i++) {
			const struct ztdp_rpc_method *m = &srv->regs[r].methods[i];

			json_array_append_new(arr, json_pack("{s:s, s:s}", "name", m->name,
							     "help", m->help ? m->help : ""));
		}
	}
	*result = arr;
	return 0;
}

static const struct ztdp_rpc_method builtin_methods[] = {
	{ "rpc_get_methods", rpc_get_methods,
	  "list the methods this server answers, with one line of help each" },
};

/* --- Responses -------------------------------------------------------- */

static json_t *make_error(json_t *id, int code, const char *message)
{
	return json_pack("{s:s, s:{s:i, s:s}, s:O}", "jsonrpc", "2.0",
			 "error", "code", code, "message", message,
			 "id", id != NULL ? id : json_null());
}

static void drop_client(struct ztdp_rpc_server *srv, struct rpc_client *c,
			int reason);

/* Append one serialized response and a newline to the output buffer. */
static int queue_response(struct ztdp_rpc_server *srv, struct rpc_client *c,
			  json_t *resp)
{
	char *text = json_dumps(resp, JSON_COMPACT);
	size_t len;

	if (text == NULL)
		return -1;
	len = strlen(text);
	if (len > srv->max_output) {
		/* Keep the id so the client can tell which request failed. */
		json_t *id = json_is_object(resp) ? json_object_get(resp, "id") : NULL;
		json_t *e;
		char msg[128];

		free(text);
		snprintf(msg, sizeof(msg), "response too large (%zu bytes, at most %zu)",
			 len, srv->max_output);
		e = make_error(id, ZTDP_RPC_INTERNAL_ERROR, msg);
		text = e != NULL ? json_dumps(e, JSON_COMPACT) : NULL;
		json_decref(e);
		if (text == NULL)
			return -1;
		len = strlen(text);
		srv->stats.errors++;
	}
	if (c->out_len + len + 1 > c->out_cap) {
		size_t need = c->out_len - c->out_off + len + 1;
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *n;

		/* Compact first: the flushed prefix is dead. */
		if (c->out_off > 0) {
			memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
			c->out_len -= c->out_off;
			c->out_off = 0;
		}
		while (cap < need)
			cap *= 2;
		if (cap > c->out_cap) {
			n = realloc(c->out, cap);
			if (n == NULL) {
				free(text);
				return -1;
			}
			c->out = n;
			c->out_cap = cap;
		}
	}
	memcpy(c->out + c->out_len, text, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	free(text);
	return 0;
}

/* --- Requests --------------------------------------------------------- */

/*
 * One request object; returns the response, or NULL for a notification
 * (or when out of memory). Follows the specification's order: a request
 * that is not valid JSON-RPC gets -32600 with id null even without an id.
 */
static json_t *handle_one(struct ztdp_rpc_server *srv, json_t *req)
{
	struct ztdp_rpc_error err = { 0 };
	const struct ztdp_rpc_method *m;
	json_t *id, *ver, *method, *params, *result = NULL, *resp;
	const char *name;
	void *ctx = NULL;
	bool notification;
	char msg[160];

	srv->stats.requests++;
	srv->handled++;
	if (!json_is_object(req)) {
		srv->stats.errors++;
		return make_error(NULL, ZTDP_RPC_INVALID_REQUEST,
				  "Invalid Request: not an object");
	}
	id = json_object_get(req, "id");
	notification = id == NULL;
	if (id != NULL && !json_is_string(id) && !json_is_number(id) &&
	    !json_is_null(id)) {
		srv->stats.errors++;
		return make_error(NULL, ZTDP_RPC_INVALID_REQUEST,
				  "Invalid Request: id must be a string, a number or null");
	}
	ver = json_object_get(req, "jsonrpc");
	if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0 ||
	    json_string_length(ver) != 3) {
		srv->stats.errors++;
		return make_error(id, ZTDP_RPC_INVALID_REQUEST,
				  "Invalid Request: \"jsonrpc\" must be \"2.0\"");
	}
	method = json_object_get(req, "method");
	if (!json_is_string(method)) {
		srv->stats.errors++;
		return make_error(id, ZTDP_RPC_INVALID_REQUEST,
				  "Invalid Request: \"method\" must be a string");
	}
	params = json_object_get(req, "params");
	if (params != NULL && !json_is_object(params) && !json_is_array(params)) {
		srv->stats.errors++;
		return make_error(id, ZTDP_RPC_INVALID_REQUEST,
				  "Invalid Request: \"params\" must be an object or an array");
	}
	name = json_string_value(method);
	m = strlen(name) == json_string_length(method) ? find_method(srv, name, &ctx) : NULL;
	if (m == NULL) {
		if (notification)
			return NULL;
		srv->stats.errors++;
		snprintf(msg, sizeof(msg), "Method not found: %s",
			 printable_or(name, "(unprintable)"));
		return make_error(id, ZTDP_RPC_METHOD_NOT_FOUND, msg);
	}
	if (m->handler(ctx, params, &result, &err) != 0) {
		json_decref(result);
		if (notification)
			return NULL;
		srv->stats.errors++;
		if (err.code == 0)
			ztdp_rpc_set_error(&err, ZTDP_RPC_INTERNAL_ERROR,
					   "Internal error in %s", m->name);
		return make_error(id, err.code, err.message);
	}
	if (notification) {
		json_decref(result);
		return NULL;
	}
	resp = json_pack("{s:s, s:o, s:O}", "jsonrpc", "2.0",
			 "result", result != NULL ? result : json_null(), "id", id);
	return resp;
}

/* One framed JSON value from the stream: a request or a batch. */
static int handle_frame(struct ztdp_rpc_server *srv, struct rpc_client *c,
			const uint8_t *buf, size_t len)
{
	json_error_t jerr;
	json_t *req, *resp = NULL;
	char msg[256];
	int rc = 0;

	req = json_loadb((const char *)buf, len,
			 JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (req == NULL) {
		srv->stats.requests++;
		srv->stats.errors++;
		srv->handled++;
		snprintf(msg, sizeof(msg), "Parse error: %s (byte %d)", jerr.text,
			 jerr.position);
		resp = make_error(NULL, ZTDP_RPC_PARSE_ERROR, msg);
	} else if (json_is_array(req)) {
		size_t n = json_array_size(req);

		if (n == 0 || n > ZTDP_RPC_MAX_BATCH) {
			srv->stats.requests++;
			srv->stats.errors++;
			srv->handled++;
			snprintf(msg, sizeof(msg), "Invalid Request: %s",
				 n == 0 ? "empty batch" : "batch longer than "
				 "ZTDP_RPC_MAX_BATCH (64) requests");
			resp = make_error(NULL, ZTDP_RPC_INVALID_REQUEST, msg);
		} else {
			resp = json_array();
			for (size_t i = 0; resp != NULL && i < n; i++) {
				json_t *r = handle_one(srv, json_array_get(req, i));

				if (r != NULL)
					json_array_append_new(resp, r);
			}
			/* A batch of notifications gets nothing back at all. */
			if (resp != NULL && json_array_size(resp) == 0) {
				json_decref(resp);
				resp = NULL;
			}
		}
	} else {
		resp = handle_one(srv, req);
	}
	if (resp != NULL && queue_response(srv, c, resp) != 0)
		rc = -1;
	json_decref(resp);
	json_decref(req);
	return rc;
}

static bool is_space(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/*
 * Bytes of a top-level token that is not an object, array or string: a
 * number or literal, or garbage. A run of garbage without whitespace is
 * one frame and gets one -32700, not one per byte.
 */
static bool is_token_char(uint8_t ch)
{
	return !is_space(ch) && ch != '{' && ch != '[' && ch != '"';
}

/*
 * Advance the scanner over new bytes. Returns true with *end set when the
 * value starting at frame_start is complete. Each byte is looked at once,
 * so byte-at-a-time clients cost linear time, not quadratic re-parsing.
 */
static bool scan_frame(struct rpc_client *c, size_t *end)
{
	while (c->scan_pos < c->in_len) {
		uint8_t ch = c->in[c->scan_pos];

		switch (c->mode) {
		case SCAN_IDLE:
			c->scan_pos++;
			if (is_space(ch)) {
				c->frame_start = c->scan_pos;
				break;
			}
			c->frame_start = c->scan_pos - 1;
			if (ch == '{' || ch == '[') {
				c->mode = SCAN_NESTED;
				c->depth = 1;
				c->in_str = false;
				c->esc = false;
			} else if (ch == '"') {
				c->mode = SCAN_STRING;
				c->esc = false;
			} else {
				c->mode = SCAN_SCALAR;
			}
			break;
		case SCAN_NESTED:
			c->scan_pos++;
			if (c->in_str) {
				if (c->esc)
					c->esc = false;
				else if (ch == '\\')
					c->esc = true;
				else if (ch == '"')
					c->in_str = false;
			} else if (ch == '"') {
				c->in_str = true;
			} else if (ch == '{' || ch == '[') {
				c->depth++;
			} else if (ch == '}' || ch == ']') {
				if (--c->depth == 0) {
					c->mode = SCAN_IDLE;
					*end = c->scan_pos;
					return true;
				}
			}
			break;
		case SCAN_STRING:
			c->scan_pos++;
			if (c->esc) {
				c->esc = false;
			} else if (ch == '\\') {
				c->esc = true;
			} else if (ch == '"') {
				c->mode = SCAN_IDLE;
				*end = c->scan_pos;
				return true;
			}
			break;
		case SCAN_SCALAR:
			if (!is_token_char(ch)) {
				/* The delimiter belongs to what follows. */
				c->mode = SCAN_IDLE;
				*end = c->scan_pos;
				return true;
			}
			c->scan_pos++;
			break;
		}
	}
	/* At end of stream a number or literal is complete. */
	if (c->eof && c->mode == SCAN_SCALAR) {
		c->mode = SCAN_IDLE;
		*end = c->scan_pos;
		return true;
	}
	return false;
}

static size_t out_pending(const struct rpc_client *c)
{
	return c->out_len - c->out_off;
}

/* Serve every complete request in the input buffer, unless the client's
 * unread responses are over the high-water mark. Returns how many frames
 * were served, or -1 if the client was dropped. */
static int process_input(struct ztdp_rpc_server *srv, struct rpc_client *c)
{
	int served = 0;
	size_t end;

	while (!c->closing && out_pending(c) <= ZTDP_RPC_OUT_HIGH) {
		if (!scan_frame(c, &end))
			break;
		if (handle_frame(srv, c, c->in + c->frame_start,
				 end - c->frame_start) != 0) {
			drop_client(srv, c, ZTDP_RPC_DROP_OUT_OF_MEMORY);
			return -1;
		}
		c->frame_start = end;
		served++;
	}
	/* Drop the consumed prefix so that the next request starts at 0. */
	if (c->frame_start > 0) {
		memmove(c->in, c->in + c->frame_start, c->in_len - c->frame_start);
		c->in_len -= c->frame_start;
		c->scan_pos -= c->frame_start;
		c->frame_start = 0;
	}
	if (c->closing)
		return served;
	if (c->mode != SCAN_IDLE && c->in_len >= srv->max_request) {
		json_t *e;
		char msg[128];

		srv->stats.errors++;
		snprintf(msg, sizeof(msg), "Invalid Request: request too large (more than %zu bytes)",
			 srv->max_request);
		e = make_error(NULL, ZTDP_RPC_INVALID_REQUEST, msg);
		if (e == NULL || queue_response(srv, c, e) != 0) {
			json_decref(e);
			drop_client(srv, c, ZTDP_RPC_DROP_OUT_OF_MEMORY);
			return -1;
		}
		json_decref(e);
		srv->stats.dropped[ZTDP_RPC_DROP_REQUEST_TOO_LARGE]++;
		ztdp_logf(srv->log, srv->log_ctx, LOG_INFO, "rpc: client %llu: request too large, closing",
			(unsigned long long)c->serial);
		c->closing = true;
		return served;
	}
	if (c->eof && out_pending(c) <= ZTDP_RPC_OUT_HIGH && c->mode != SCAN_IDLE) {
		/* The client went away with half a request: answer what it
		 * did send, then close. */
		srv->stats.dropped[ZTDP_RPC_DROP_CLOSED_MID_REQUEST]++;
		ztdp_logf(srv->log, srv->log_ctx, LOG_INFO, "rpc: client %llu closed mid-request",
			(unsigned long long)c->serial);
		c->closing = true;
	}
	return served;
}

/* --- Clients ---------------------------------------------------------- */

static uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void resume_accept(struct ztdp_rpc_server *srv)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	if (srv->accept_paused &&
	    epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->listen_fd, &ev) == 0)
		srv->accept_paused = false;
}

static void free_client(struct ztdp_rpc_server *srv, struct rpc_client *c)
{
	epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	srv->clients[c->slot] = NULL;
	srv->stats.clients--;
	free(c->in);
	free(c->out);
	free(c);
	resume_accept(srv);
}

static void drop_client(struct ztdp_rpc_server *srv, struct rpc_client *c,
			int reason)
{
	if (reason >= 0) {
		srv->stats.dropped[reason]++;
		ztdp_logf(srv->log, srv->log_ctx, LOG_INFO, "rpc: client %llu dropped: %s",
			(unsigned long long)c->serial,
			ztdp_rpc_drop_name((enum ztdp_rpc_drop)reason));
	}
	free_client(srv, c);
}

/* Write what the socket takes. Returns -1 if the client was dropped. */
static int flush_output(struct ztdp_rpc_server *srv, struct rpc_client *c)
{
	while (out_pending(c) > 0) {
		ssize_t n = send(c->fd, c->out + c->out_off, out_pending(c),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			drop_client(srv, c, (errno == EPIPE || errno == ECONNRESET) ?
					    ZTDP_RPC_DROP_CLOSED_MID_RESPONSE :
					    ZTDP_RPC_DROP_IO_ERROR);
			return -1;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	if (c->out_cap > OUT_KEEP) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
	return 0;
}

/*
 * Make the epoll interest match what the client needs, or close it when it
 * needs nothing more. Returns -1 if the client is gone.
 */
static int update_interest(struct ztdp_rpc_server *srv, struct rpc_client *c)
{
	struct epoll_event ev = { 0 };
	uint32_t want = 0;

	if (!c->closing && !c->eof && out_pending(c) <= ZTDP_RPC_OUT_HIGH)
		want |= EPOLLIN | EPOLLRDHUP;
	if (out_pending(c) > 0)
		want |= EPOLLOUT;
	if (want == 0) {
		/* Closing or finished (EOF, all answered, all written). */
		free_client(srv, c);
		return -1;
	}
	if (want != c->events) {
		ev.events = want;
		ev.data.ptr = c;
		if (epoll_ctl(srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
			drop_client(srv, c, ZTDP_RPC_DROP_IO_ERROR);
			return -1;
		}
		c->events = want;
	}
	return 0;
}

/* One read; returns -1 if the client was dropped. */
static int read_input(struct ztdp_rpc_server *srv, struct rpc_client *c)
{
	ssize_t n;

	if (c->in_len == c->in_cap) {
		size_t cap = c->in_cap ? c->in_cap * 2 : IN_INITIAL;
		uint8_t *p;

		if (cap > srv->max_request)
			cap = srv->max_request;
		if (cap <= c->in_len)
			return 0;	/* full: process_input says too large */
		p = realloc(c->in, cap);
		if (p == NULL) {
			drop_client(srv, c, ZTDP_RPC_DROP_OUT_OF_MEMORY);
			return -1;
		}
		c->in = p;
		c->in_cap = cap;
	}
	do {
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len,
			 MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n > 0) {
		c->in_len += (size_t)n;
		return 0;
	}
	if (n == 0) {
		c->eof = true;
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	drop_client(srv, c, errno == ECONNRESET ?
			    (c->mode != SCAN_IDLE ? ZTDP_RPC_DROP_CLOSED_MID_REQUEST :
			     ZTDP_RPC_DROP_CLOSED_MID_RESPONSE) :
			    ZTDP_RPC_DROP_IO_ERROR);
	return -1;
}

static void service_client(struct ztdp_rpc_server *srv, struct rpc_client *c,
			   uint32_t events)
{
	if ((events & EPOLLOUT) && flush_output(srv, c) != 0)
		return;
	if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) &&
	    (c->events & EPOLLIN) && read_input(srv, c) != 0)
		return;
	/*
	 * Serve and write until nothing more can be served: when a flush
	 * drains the output below the mark, requests still waiting in the
	 * input buffer must be served now, since no new event may come for
	 * them (the client may have sent everything already).
	 */
	for (;;) {
		int served = process_input(srv, c);

		if (served < 0 || flush_output(srv, c) != 0)
			return;
		if (served == 0 || out_pending(c) > ZTDP_RPC_OUT_HIGH)
			break;
	}
	if ((events & (EPOLLHUP | EPOLLERR)) && !(c->events & EPOLLIN) &&
	    out_pending(c) > 0) {
		/* Gone while we could not read: nothing will drain. */
		drop_client(srv, c, ZTDP_RPC_DROP_CLOSED_MID_RESPONSE);
		return;
	}
	update_interest(srv, c);
}

/* Tell a client over the limit why, in one line, without waiting. */
static void refuse_client(struct ztdp_rpc_server *srv, int fd)
{
	char line[160];
	int n = snprintf(line, sizeof(line),
			 "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":%d,\"message\":"
			 "\"too many clients (at most %u)\"},\"id\":null}\n",
			 ZTDP_RPC_SERVER_BUSY, srv->max_clients);

	(void)!send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
	srv->stats.dropped[ZTDP_RPC_DROP_TOO_MANY_CLIENTS]++;
}

static void accept_clients(struct ztdp_rpc_server *srv)
{
	for (int i = 0; i < ACCEPT_BURST; i++) {
		struct epoll_event ev = { 0 };
		struct rpc_client *c;
		unsigned int slot;
		int fd = accept4(srv->listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if ((errno == EMFILE || errno == ENFILE) && srv->stats.clients > 0 &&
			    epoll_ctl(srv->epfd, EPOLL_CTL_DEL, srv->listen_fd, NULL) == 0) {
				srv->accept_paused = true;
				srv->paused_at = monotonic_ms();
				ztdp_logf(srv->log, srv->log_ctx, LOG_WARNING,
					"rpc: out of file descriptors; not accepting until a client leaves");
				return;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				ztdp_logf(srv->log, srv->log_ctx, LOG_WARNING, "rpc: accept: %s", strerror(errno));
			return;
		}
		for (slot = 0; slot < srv->max_clients; slot++)
			if (srv->clients[slot] == NULL)
				break;
		if (slot == srv->max_clients) {
			refuse_client(srv, fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			srv->stats.dropped[ZTDP_RPC_DROP_OUT_OF_MEMORY]++;
			continue;
		}
		c->fd = fd;
		c->slot = slot;
		c->serial = ++srv->next_serial;
		c->events = EPOLLIN | EPOLLRDHUP;
		ev.events = c->events;
		ev.data.ptr = c;
		if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			free(c);
			srv->stats.dropped[ZTDP_RPC_DROP_IO_ERROR]++;
			continue;
		}
		srv->clients[slot] = c;
		srv->stats.clients++;
		srv->stats.accepted++;
	}
}

int ztdp_rpc_poll(struct ztdp_rpc_server *srv, int timeout_ms)
{
	struct epoll_event evs[EPOLL_BATCH];
	int n;

	if (srv->accept_paused) {
		uint64_t since = monotonic_ms() - srv->paused_at;

		if (since >= ACCEPT_RETRY_MS)
			resume_accept(srv);
		else if (timeout_ms < 0 || (uint64_t)timeout_ms > ACCEPT_RETRY_MS - since)
			timeout_ms = (int)(ACCEPT_RETRY_MS - since);
	}
	do {
		n = epoll_wait(srv->epfd, evs, EPOLL_BATCH, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	srv->handled = 0;
	for (int i = 0; i < n; i++) {
		/* The listener is registered with a NULL pointer. A client
		 * dropped earlier in this batch cannot appear later in it:
		 * each descriptor is reported once, and dropping only ever
		 * affects the client being serviced. */
		if (evs[i].data.ptr == NULL)
			accept_clients(srv);
		else
			service_client(srv, evs[i].data.ptr, evs[i].events);
	}
	return srv->handled;
}

int ztdp_rpc_fd(const struct ztdp_rpc_server *srv)
{
	return srv->epfd;
}

const char *ztdp_rpc_path(const struct ztdp_rpc_server *srv)
{
	return srv->path;
}

void ztdp_rpc_get_stats(const struct ztdp_rpc_server *srv,
			struct ztdp_rpc_stats *st)
{
	*st = srv->stats;
}

/* --- Listener --------------------------------------------------------- */

/*
 * Remove a socket file left by a server that died, but never a live
 * server's socket (someone accepts on it) and never a file that is not a
 * socket.
 */
static int remove_stale_socket(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat sb;
	int fd, rc;

	if (lstat(path, &sb) != 0)
		return errno == ENOENT ? 0 : (ztdp_set_err(err, errlen, "cannot stat %s: %s",
						      path, strerror(errno)), -1);
	if (!S_ISSOCK(sb.st_mode)) {
		ztdp_set_err(err, errlen, "%s exists and is not a socket; not removing it",
			path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ztdp_set_err(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (rc == 0 || errno == EAGAIN) {
		ztdp_set_err(err, errlen, "%s is in use: another server is listening on it",
			path);
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		ztdp_set_err(err, errlen, "cannot remove stale socket %s: %s", path,
			strerror(errno));
		return -1;
	}
	return 0;
}

int ztdp_rpc_open(struct ztdp_rpc_server **out, const struct ztdp_rpc_config *cfg,
		  char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { 0 };
	struct ztdp_rpc_server *srv;
	const char *path = cfg->path ? cfg->path : ZTDP_RPC_DEFAULT_SOCKET;
	struct stat sb;

	*out = NULL;
	if (*path == '\0' || strlen(path) >= sizeof(sa.sun_path)) {
		ztdp_set_err(err, errlen, "socket path is %s (%zu bytes, at most %zu): %s",
			*path ? "too long" : "empty", strlen(path),
			sizeof(sa.sun_path) - 1, path);
		return -1;
	}
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL) {
		ztdp_set_err(err, errlen, "out of memory");
		return -1;
	}
	srv->listen_fd = -1;
	srv->epfd = -1;
	srv->max_clients = cfg->max_clients ? cfg->max_clients : ZTDP_RPC_DEFAULT_MAX_CLIENTS;
	srv->max_request = cfg->max_request ? cfg->max_request : ZTDP_RPC_DEFAULT_MAX_REQUEST;
	srv->max_output = cfg->max_output ? cfg->max_output : ZTDP_RPC_DEFAULT_MAX_OUTPUT;
	srv->log = cfg->log;
	srv->log_ctx = cfg->log_ctx;
	srv->path = strdup(path);
	srv->clients = calloc(srv->max_clients, sizeof(*srv->clients));
	if (srv->path == NULL || srv->clients == NULL) {
		ztdp_set_err(err, errlen, "out of memory");
		goto fail;
	}
	if (remove_stale_socket(path, err, errlen) != 0)
		goto fail;
	srv->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->listen_fd < 0) {
		ztdp_set_err(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (bind(srv->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		ztdp_set_err(err, errlen, "cannot bind %s: %s", path, strerror(errno));
		goto fail;
	}
	/* Between bind and chmod the file has umask's mode; the default
	 * path lies in the 0700 state directory, which covers that window. */
	if (chmod(path, 0600) != 0 || stat(path, &sb) != 0) {
		ztdp_set_err(err, errlen, "cannot set mode 0600 on %s: %s", path,
			strerror(errno));
		unlink(path);
		goto fail;
	}
	srv->sock_dev = sb.st_dev;
	srv->sock_ino = sb.st_ino;
	if (listen(srv->listen_fd, SOMAXCONN) != 0) {
		ztdp_set_err(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (srv->epfd < 0 ||
	    epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->listen_fd, &ev) != 0) {
		ztdp_set_err(err, errlen, "epoll: %s", strerror(errno));
		unlink(path);
		goto fail;
	}
	if (ztdp_rpc_register(srv, builtin_methods,
			      sizeof(builtin_methods) / sizeof(builtin_methods[0]),
			      srv) != 0) {
		ztdp_set_err(err, errlen, "out of memory");
		unlink(path);
		goto fail;
	}
	ztdp_logf(srv->log, srv->log_ctx, LOG_INFO, "rpc: listening on %s", path);
	*out = srv;
	return 0;
fail:
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	free(srv->clients);
	free(srv->regs);
	free(srv->path);
	free(srv);
	return -1;
}

void ztdp_rpc_close(struct ztdp_rpc_server *srv)
{
	struct stat sb;

	if (srv == NULL)
		return;
	for (unsigned int i = 0; i < srv->max_clients; i++)
		if (srv->clients[i] != NULL)
			free_client(srv, srv->clients[i]);
	/* Remove the socket only if it is still ours: a newer server may
	 * have replaced it. */
	if (stat(srv->path, &sb) == 0 && sb.st_dev == srv->sock_dev &&
	    sb.st_ino == srv->sock_ino)
		unlink(srv->path);
	close(srv->listen_fd);
	close(srv->epfd);
	free(srv->clients);
	free(srv->regs);
	free(srv->path);
	free(srv);
}
