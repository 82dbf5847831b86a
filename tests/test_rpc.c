/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control/rpc.c and rpc_methods.c: the JSON-RPC server driven from this
 * single thread (as the control thread drives it), with real sockets as
 * clients. Bad input of every kind must get the right error and never
 * crash or stall the server; limits must hold; the node methods must
 * answer with ZeroTierOne's JSON (compared with shared/interop/data/cli).
 *
 * The node behind the methods is rpc_fake_node.c (node "a" of the
 * recorded run), so these tests do not depend on the protocol engine.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "rpc_fake_node.h"
#include "test_util.h"
#include "ztdp_rpc.h"

struct cli {
	int fd;
	char *buf;
	size_t len, cap;
	bool eof;
};

struct fx {
	char dir[64];
	char path[128];
	struct ztdp_rpc_server *srv;
	struct ztdp_rpc_node_ctx nctx;
	uint64_t now;
};


/* Every network's device is the one name the test gives. */
static const char *fixed_device_name(void *ctx, uint64_t nwid)
{
	(void)nwid;
	return ctx;
}

static uint64_t test_now(void *ctx)
{
	return ((struct fx *)ctx)->now;
}

static int open_server(struct fx *f, const struct ztdp_rpc_config *extra)
{
	struct ztdp_rpc_config cfg = { 0 };
	char err[256] = "";

	if (extra != NULL)
		cfg = *extra;
	cfg.path = f->path;
	if (ztdp_rpc_open(&f->srv, &cfg, err, sizeof(err)) != 0)
		fail_msg("ztdp_rpc_open: %s", err);
	f->nctx.node = rpc_fake_node();
	f->nctx.now = test_now;
	f->nctx.now_ctx = f;
	f->nctx.primary_port = 9993;
	f->nctx.home_dir = f->dir;
	f->nctx.device_name = fixed_device_name;
	f->nctx.device_ctx = (void *)"zt2j3drrkt";
	f->nctx.rpc = f->srv;
	f->now = RPC_FAKE_CLOCK + 1;
	assert_int_equal(ztdp_rpc_register_node_methods(f->srv, &f->nctx), 0);
	return 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/ztdp-test-rpc.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/ztdp.sock", f->dir);
	open_server(f, NULL);
	*state = f;
	return 0;
}

/* The descriptor limit at start, put back after every test in case one
 * failed while it was lowered. */
static struct rlimit initial_nofile;

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	setrlimit(RLIMIT_NOFILE, &initial_nofile);

	ztdp_rpc_close(f->srv);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void pump(struct fx *f, int rounds)
{
	for (int i = 0; i < rounds; i++)
		assert_true(ztdp_rpc_poll(f->srv, 0) >= 0);
}

static void set_sun_path(struct sockaddr_un *sa, const char *path)
{
	assert_true(strlen(path) < sizeof(sa->sun_path));
	memcpy(sa->sun_path, path, strlen(path) + 1);
}

static struct cli *cli_connect(struct fx *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct cli *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	set_sun_path(&sa, f->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c->fd >= 0);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(fcntl(c->fd, F_SETFL, O_NONBLOCK), 0);
	pump(f, 1);
	return c;
}

static void cli_close(struct cli *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Write everything, letting the server run whenever the socket is full. */
static void cli_write(struct fx *f, struct cli *c, const void *data, size_t len)
{
	const char *p = data;
	long long deadline = ms_now() + 5000;

	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		assert_true(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
		assert_true(ms_now() < deadline);
		ztdp_rpc_poll(f->srv, 1);
	}
}

static void cli_puts(struct fx *f, struct cli *c, const char *s)
{
	cli_write(f, c, s, strlen(s));
}

/* Take whatever the server has sent; false once the stream has ended. */
static bool cli_fill(struct cli *c)
{
	for (;;) {
		ssize_t n;

		if (c->cap - c->len < 65536) {
			c->cap = c->cap ? c->cap * 2 : 131072;
			c->buf = realloc(c->buf, c->cap);
			assert_non_null(c->buf);
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, MSG_DONTWAIT);
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n == 0 || (n < 0 && errno == ECONNRESET)) {
			c->eof = true;
			return false;
		}
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
		return true;
	}
}

/* Next response line, parsed; NULL if the stream ended first. */
static json_t *cli_read(struct fx *f, struct cli *c)
{
	long long deadline = ms_now() + 5000;

	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;

		if (nl != NULL) {
			json_error_t e;
			size_t n = (size_t)(nl - c->buf);
			json_t *j = json_loadb(c->buf, n, 0, &e);

			if (j == NULL)
				fail_msg("unparsable response line: %.*s (%s)", (int)n, c->buf, e.text);
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			return j;
		}
		if (c->eof)
			return NULL;
		ztdp_rpc_poll(f->srv, 1);
		cli_fill(c);
		if (ms_now() > deadline)
			fail_msg("no response within 5 s");
	}
}

static json_t *call(struct fx *f, struct cli *c, const char *req)
{
	cli_puts(f, c, req);
	cli_puts(f, c, "\n");
	return cli_read(f, c);
}

/* The server must stay silent (a notification). */
static void cli_expect_nothing(struct fx *f, struct cli *c)
{
	for (int i = 0; i < 20; i++) {
		ztdp_rpc_poll(f->srv, 1);
		cli_fill(c);
	}
	if (c->len != 0)
		fail_msg("unexpected reply: %.*s", (int)c->len, c->buf);
	assert_false(c->eof);
}

static void cli_expect_eof(struct fx *f, struct cli *c)
{
	long long deadline = ms_now() + 5000;

	while (!c->eof) {
		ztdp_rpc_poll(f->srv, 1);
		cli_fill(c);
		assert_true(ms_now() < deadline);
	}
}

static void expect_error(json_t *resp, int code)
{
	json_t *err;

	assert_non_null(resp);
	assert_string_equal(json_string_value(json_object_get(resp, "jsonrpc")), "2.0");
	err = json_object_get(resp, "error");
	if (err == NULL) {
		char *s = json_dumps(resp, 0);

		fail_msg("expected error %d, got %s", code, s);
	}
	if (json_integer_value(json_object_get(err, "code")) != code)
		fail_msg("expected error %d, got %d: %s", code,
			 (int)json_integer_value(json_object_get(err, "code")),
			 json_string_value(json_object_get(err, "message")));
	assert_true(json_is_string(json_object_get(err, "message")));
	assert_null(json_object_get(resp, "result"));
	assert_non_null(json_object_get(resp, "id"));
}

/* Error `code`, id null, and the message contains `text`. */
static void call_expect(struct fx *f, struct cli *c, const char *req, int code,
			const char *text)
{
	json_t *r = call(f, c, req);
	const char *msg;

	expect_error(r, code);
	msg = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
	if (text != NULL && strstr(msg, text) == NULL)
		fail_msg("request %s: message \"%s\" lacks \"%s\"", req, msg, text);
	json_decref(r);
}

static json_t *result_of(json_t *resp)
{
	json_t *r;

	assert_non_null(resp);
	if (json_object_get(resp, "error") != NULL) {
		char *s = json_dumps(resp, 0);

		fail_msg("unexpected error: %s", s);
	}
	r = json_object_get(resp, "result");
	assert_non_null(r);
	return r;
}

static uint64_t rpc_stat_drop(struct fx *f, enum ztdp_rpc_drop d)
{
	struct ztdp_rpc_stats s;

	ztdp_rpc_get_stats(f->srv, &s);
	return s.dropped[d];
}

/* --- Protocol -------------------------------------------------------- */

static void test_ids_and_notifications(void **state)
{
	struct fx *f = *state;
	struct cli *c = cli_connect(f);
	json_t *r;

	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"node_status\"}");
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
	assert_string_equal(json_string_value(json_object_get(result_of(r), "address")),
			    "dec87a28aa");
	json_decref(r);
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"node_status\"}");
	assert_string_equal(json_string_value(json_object_get(r, "id")), "abc");
	json_decref(r);
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"node_status\"}");
	assert_true(json_is_null(json_object_get(r, "id")));
	result_of(r);
	json_decref(r);
	r = call(f, c, "{\"id\":-1.5,\"method\":\"node_status\",\"jsonrpc\":\"2.0\",\"params\":{}}");
	assert_true(json_is_real(json_object_get(r, "id")));
	json_decref(r);
	/* Big ids come back exactly. */
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":9007199254740993,\"method\":\"node_status\"}");
	assert_true(json_integer_value(json_object_get(r, "id")) == 9007199254740993LL);
	json_decref(r);
	/* An id that is an object or array: invalid, answered with id null. */
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"node_status\"}");
	expect_error(r, ZTDP_RPC_INVALID_REQUEST);
	assert_true(json_is_null(json_object_get(r, "id")));
	json_decref(r);
	call_expect(f, c, "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"node_status\"}",
		    ZTDP_RPC_INVALID_REQUEST, "id");
	call_expect(f, c, "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"node_status\"}",
		    ZTDP_RPC_INVALID_REQUEST, "id");

	/* Notifications get nothing back, whatever happens to them. */
	cli_puts(f, c, "{\"jsonrpc\":\"2.0\",\"method\":\"node_status\"}\n");
	cli_expect_nothing(f, c);
	cli_puts(f, c, "{\"jsonrpc\":\"2.0\",\"method\":\"no_such_method\"}\n");
	cli_expect_nothing(f, c);
	cli_puts(f, c, "{\"jsonrpc\":\"2.0\",\"method\":\"network_get\",\"params\":{\"nwid\":1}}\n");
	cli_expect_nothing(f, c);
	/* A notification still acts. */
	cli_puts(f, c, "{\"jsonrpc\":\"2.0\",\"method\":\"network_join\",\"params\":{\"nwid\":\"00000000000000aa\"}}\n");
	cli_expect_nothing(f, c);
	assert_int_equal(rpc_fake_node_joins(), 1);
	cli_close(c);
}

static void test_malformed_json(void **state)
{
	struct fx *f = *state;
	struct cli *c = cli_connect(f);
	static const char *const bad[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,}",
		"{\"jsonrpc\":\"2.0\" \"id\":1}",
		"{'jsonrpc':'2.0'}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_status\",\"id\":2}", /* duplicate key */
		"{\"a\":\"\\x\"}",
		"{\"a\":tru}",
		"[1,2,]",
		"}",
		"]]]",
		",",
		"\x01\x02\xff\xfe",
		"nul",
		"01",
		"{\"a\":\"\xff\xfe\"}",	/* invalid UTF-8 */
	};
	json_t *r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = call(f, c, bad[i]);
		expect_error(r, ZTDP_RPC_PARSE_ERROR);
		assert_true(json_is_null(json_object_get(r, "id")));
		json_decref(r);
	}
	/* A NUL inside a request. */
	cli_write(f, c, "{\"a\":\"x\0y\"}\n", 12);
	r = cli_read(f, c);
	expect_error(r, ZTDP_RPC_PARSE_ERROR);
	json_decref(r);
	/* Deep nesting beyond jansson's limit: an error, not a crash. */
	{
		char *deep = malloc(20001);

		memset(deep, '[', 10000);
		memset(deep + 10000, ']', 10000);
		deep[20000] = '\0';
		r = call(f, c, deep);
		expect_error(r, ZTDP_RPC_PARSE_ERROR);
		json_decref(r);
		free(deep);
	}
	/* The stream is still in step afterwards. */
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_status\"}");
	result_of(r);
	json_decref(r);
	cli_close(c);
}

static void test_invalid_requests(void **state)
{
	struct fx *f = *state;
	struct cli *c = cli_connect(f);
	json_t *r;

	/* JSON, but not a request object. */
	call_expect(f, c, "1 ", ZTDP_RPC_INVALID_REQUEST, "not an object");
	call_expect(f, c, "\"node_status\"", ZTDP_RPC_INVALID_REQUEST, NULL);
	call_expect(f, c, "true", ZTDP_RPC_INVALID_REQUEST, NULL);
	call_expect(f, c, "null", ZTDP_RPC_INVALID_REQUEST, NULL);
	call_expect(f, c, "-2.5e3", ZTDP_RPC_INVALID_REQUEST, NULL);
	call_expect(f, c, "{}", ZTDP_RPC_INVALID_REQUEST, "jsonrpc");
	call_expect(f, c, "{\"id\":1,\"method\":\"node_status\"}", ZTDP_RPC_INVALID_REQUEST, "jsonrpc");
	call_expect(f, c, "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"node_status\"}",
		    ZTDP_RPC_INVALID_REQUEST, "jsonrpc");
	call_expect(f, c, "{\"jsonrpc\":2.0,\"id\":1,\"method\":\"node_status\"}",
		    ZTDP_RPC_INVALID_REQUEST, "jsonrpc");
	call_expect(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1}", ZTDP_RPC_INVALID_REQUEST, "method");
	call_expect(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", ZTDP_RPC_INVALID_REQUEST,
		    "method");
	call_expect(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_status\",\"params\":\"x\"}",
		    ZTDP_RPC_INVALID_REQUEST, "params");
	call_expect(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_status\",\"params\":3}",
		    ZTDP_RPC_INVALID_REQUEST, "params");
	call_expect(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_status\",\"params\":null}",
		    ZTDP_RPC_INVALID_REQUEST, "params");
	/* The id survives when the request names one. */
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":44,\"method\":5}");
	expect_error(r, ZTDP_RPC_INVALID_REQUEST);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 44);
	json_decref(r);

	/* Unknown methods, even odd ones. */
	call_expect(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"nope\"}",
		    ZTDP_RPC_METHOD_NOT_FOUND, "nope");
	call_expect(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\"}",
		    ZTDP_RPC_METHOD_NOT_FOUND, NULL);
	/* jansson refuses \u0000 in strings: a parse error. */
	call_expect(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_status\\u0000x\"}",
		    ZTDP_RPC_PARSE_ERROR, NULL);
	call_expect(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\\u001b[31mred\"}",
		    ZTDP_RPC_METHOD_NOT_FOUND, "(unprintable)");
	cli_close(c);
}

static void test_params_checked(void **state)
{
	struct fx *f = *state;
	struct cli *c = cli_connect(f);
	static const char *const bad_nwids[] = {
		"{\"nwid\":12345}",
		"{\"nwid\":null}",
		"{\"nwid\":[\"31a462e3d25a2681\"]}",
		"{\"nwid\":\"\"}",
		"{\"nwid\":\"31a462e3d25a268\"}",		/* 15 digits */
		"{\"nwid\":\"31a462e3d25a26810\"}",	/* 17 digits */
		"{\"nwid\":\"31a462e3d25a268g\"}",
		"{\"nwid\":\"0x1a462e3d25a2681\"}",
		"{\"nwid\":\" 1a462e3d25a2681\"}",
	};
	static const char *const methods[] = { "network_get", "network_join", "network_leave" };
	char req[256];
	json_t *r;

	for (size_t m = 0; m < 3; m++) {
		for (size_t i = 0; i < sizeof(bad_nwids) / sizeof(bad_nwids[0]); i++) {
			snprintf(req, sizeof(req),
				 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}",
				 methods[m], bad_nwids[i]);
			call_expect(f, c, req, ZTDP_RPC_INVALID_PARAMS, "nwid");
		}
		snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\"}",
			 methods[m]);
		call_expect(f, c, req, ZTDP_RPC_INVALID_PARAMS, "missing parameter 'nwid'");
		snprintf(req, sizeof(req),
			 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":{}}", methods[m]);
		call_expect(f, c, req, ZTDP_RPC_INVALID_PARAMS, "missing parameter 'nwid'");
		snprintf(req, sizeof(req),
			 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":[\"31a462e3d25a2681\"]}",
			 methods[m]);
		call_expect(f, c, req, ZTDP_RPC_INVALID_PARAMS, "object");
		snprintf(req, sizeof(req),
			 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":{\"nwid\":\"31a462e3d25a2681\",\"extra\":1}}",
			 methods[m]);
		call_expect(f, c, req, ZTDP_RPC_INVALID_PARAMS, "unknown parameter 'extra'");
	}
	call_expect(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"peer_get\",\"params\":{\"address\":\"31a462e3d\"}}",
		    ZTDP_RPC_INVALID_PARAMS, "10 hex digits");
	call_expect(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"peer_get\",\"params\":{\"address\":\"31a462e3d2a\"}}",
		    ZTDP_RPC_INVALID_PARAMS, "10 hex digits");
	call_expect(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"peer_get\",\"params\":{\"nwid\":\"31a462e3d2\"}}",
		    ZTDP_RPC_INVALID_PARAMS, "unknown parameter");
	call_expect(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_status\",\"params\":{\"verbose\":true}}",
		    ZTDP_RPC_INVALID_PARAMS, "unknown parameter 'verbose'");
	call_expect(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"peer_list\",\"params\":[1]}",
		    ZTDP_RPC_INVALID_PARAMS, NULL);
	/* Network ID 0 passes the syntax but the node refuses it. */
	call_expect(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"network_join\",\"params\":{\"nwid\":\"0000000000000000\"}}",
		    ZTDP_RPC_INVALID_PARAMS, "invalid network ID");
	/* Absent, {} and [] params all mean none. */
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"peer_list\",\"params\":[]}");
	result_of(r);
	json_decref(r);
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"peer_list\",\"params\":{}}");
	result_of(r);
	json_decref(r);
	/* Upper-case hex is accepted. */
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"network_get\",\"params\":{\"nwid\":\"31A462E3D25A2681\"}}");
	assert_string_equal(json_string_value(json_object_get(result_of(r), "nwid")),
			    "31a462e3d25a2681");
	json_decref(r);
	/* Well-formed but absent. */
	call_expect(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"network_get\",\"params\":{\"nwid\":\"1111111111111111\"}}",
		    ZTDP_RPC_NOT_FOUND, "1111111111111111");
	call_expect(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"peer_get\",\"params\":{\"address\":\"0123456789\"}}",
		    ZTDP_RPC_NOT_FOUND, "0123456789");
	cli_close(c);
}

static void test_batches(void **state)
{
	struct fx *f = *state;
	struct cli *c = cli_connect(f);
	json_t *r;
	char *big;
	size_t off = 0;

	r = call(f, c, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_status\"},"
		 "{\"jsonrpc\":\"2.0\",\"method\":\"node_status\"},"
		 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nope\"},"
		 "7]");
	assert_true(json_is_array(r));
	assert_int_equal(json_array_size(r), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 0), "id")), 1);
	result_of(json_array_get(r, 0));
	expect_error(json_array_get(r, 1), ZTDP_RPC_METHOD_NOT_FOUND);
	expect_error(json_array_get(r, 2), ZTDP_RPC_INVALID_REQUEST);
	json_decref(r);
	call_expect(f, c, "[]", ZTDP_RPC_INVALID_REQUEST, "empty batch");
	r = call(f, c, "[1,2]");
	assert_int_equal(json_array_size(r), 2);
	expect_error(json_array_get(r, 0), ZTDP_RPC_INVALID_REQUEST);
	json_decref(r);
	/* All notifications: no answer at all. */
	cli_puts(f, c, "[{\"jsonrpc\":\"2.0\",\"method\":\"node_status\"},"
		 "{\"jsonrpc\":\"2.0\",\"method\":\"stats\"}]\n");
	cli_expect_nothing(f, c);
	/* Longer than the limit: one error. */
	big = malloc(65 * 64 + 16);
	big[off++] = '[';
	for (int i = 0; i < ZTDP_RPC_MAX_BATCH + 1; i++)
		off += (size_t)sprintf(big + off, "%s{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"stats\"}",
				       i ? "," : "", i);
	big[off++] = ']';
	big[off] = '\0';
	call_expect(f, c, big, ZTDP_RPC_INVALID_REQUEST, "batch");
	free(big);
	cli_close(c);
}

static void test_framing(void **state)
{
	struct fx *f = *state;
	struct cli *c = cli_connect(f);
	const char *req = "{\"jsonrpc\":\"2.0\",\"id\":\"}{\\\"]\",\"method\":\"node_status\"}";
	char *many;
	size_t off = 0;
	json_t *r;

	/* Byte at a time, with the server running between bytes. */
	for (const char *p = req; *p != '\0'; p++) {
		cli_write(f, c, p, 1);
		pump(f, 1);
	}
	r = cli_read(f, c);
	assert_string_equal(json_string_value(json_object_get(r, "id")), "}{\"]");
	result_of(r);
	json_decref(r);

	/* 200 requests back to back (no separator), then 200 with CRLF, in
	 * one write: 400 answers, in order. */
	many = malloc(400 * 80);
	for (int i = 0; i < 400; i++)
		off += (size_t)sprintf(many + off,
				       "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"node_status\"}%s",
				       i, i >= 200 ? "\r\n" : "");
	cli_write(f, c, many, off);
	for (int i = 0; i < 400; i++) {
		r = cli_read(f, c);
		assert_int_equal(json_integer_value(json_object_get(r, "id")), i);
		json_decref(r);
	}
	free(many);

	/* Whitespace between requests does not count towards the size
	 * limit. */
	many = malloc(200001);
	memset(many, ' ', 200000);
	for (int i = 0; i < 200000; i += 100)
		many[i] = '\n';
	cli_write(f, c, many, 200000);
	free(many);
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"node_status\"}");
	result_of(r);
	json_decref(r);

	/* A number at the end of the stream is complete at EOF. */
	cli_puts(f, c, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"node_status\"} 42");
	assert_int_equal(shutdown(c->fd, SHUT_WR), 0);
	r = cli_read(f, c);
	result_of(r);
	json_decref(r);
	r = cli_read(f, c);
	expect_error(r, ZTDP_RPC_INVALID_REQUEST);
	json_decref(r);
	cli_expect_eof(f, c);
	cli_close(c);
}

static char *padded_request(size_t total)
{
	static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_status\",\"params\":{\"pad\":\"";
	static const char tail[] = "\"}}";
	char *s = malloc(total + 1);

	assert_non_null(s);
	assert_true(total > sizeof(head) + sizeof(tail));
	memcpy(s, head, sizeof(head) - 1);
	/* A loop, not memset: gcc 12 with ASan misjudges the bounds. */
	for (size_t i = sizeof(head) - 1; i < total - (sizeof(tail) - 1); i++)
		s[i] = 'x';
	memcpy(s + total - (sizeof(tail) - 1), tail, sizeof(tail));
	assert_int_equal(strlen(s), total);
	return s;
}

static void test_request_size_limit(void **state)
{
	struct fx *f = *state;
	struct cli *c = cli_connect(f);
	char *req;
	json_t *r;

	/* Exactly the limit: parsed (and refused for its unknown param). */
	req = padded_request(ZTDP_RPC_DEFAULT_MAX_REQUEST);
	call_expect(f, c, req, ZTDP_RPC_INVALID_PARAMS, "pad");
	free(req);
	/* One byte more: "too large", then the connection closes. */
	req = padded_request(ZTDP_RPC_DEFAULT_MAX_REQUEST + 1);
	r = call(f, c, req);
	expect_error(r, ZTDP_RPC_INVALID_REQUEST);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(r, "error"),
								  "message")), "too large"));
	json_decref(r);
	free(req);
	cli_expect_eof(f, c);
	cli_close(c);
	assert_int_equal(rpc_stat_drop(f, ZTDP_RPC_DROP_REQUEST_TOO_LARGE), 1);

	/* A client that keeps streaming an endless string. */
	c = cli_connect(f);
	cli_puts(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"");
	req = malloc(8192);
	memset(req, 'a', 8192);
	for (int i = 0; i < 64 && !c->eof; i++) {
		ssize_t n = send(c->fd, req, 8192, MSG_NOSIGNAL | MSG_DONTWAIT);

		(void)n;
		pump(f, 2);
		cli_fill(c);
	}
	free(req);
	r = cli_read(f, c);
	expect_error(r, ZTDP_RPC_INVALID_REQUEST);
	json_decref(r);
	cli_expect_eof(f, c);
	cli_close(c);
	assert_int_equal(rpc_stat_drop(f, ZTDP_RPC_DROP_REQUEST_TOO_LARGE), 2);

	/* The server is fine. */
	c = cli_connect(f);
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_status\"}");
	result_of(r);
	json_decref(r);
	cli_close(c);
}

static void test_client_limit(void **state)
{
	struct fx *f = *state;
	struct cli *c[40];
	unsigned int refused = 0, served = 0;
	struct ztdp_rpc_stats st;
	json_t *r;

	for (int i = 0; i < 40; i++)
		c[i] = cli_connect(f);
	pump(f, 5);
	ztdp_rpc_get_stats(f->srv, &st);
	assert_int_equal(st.clients, ZTDP_RPC_DEFAULT_MAX_CLIENTS);
	assert_int_equal(st.dropped[ZTDP_RPC_DROP_TOO_MANY_CLIENTS], 8);
	for (int i = 0; i < 40; i++) {
		cli_fill(c[i]);
		if (c[i]->len > 0) {
			/* Refused: one error line, then closed. */
			r = cli_read(f, c[i]);
			expect_error(r, ZTDP_RPC_SERVER_BUSY);
			assert_non_null(strstr(json_string_value(json_object_get(
				json_object_get(r, "error"), "message")), "too many clients"));
			json_decref(r);
			cli_expect_eof(f, c[i]);
			refused++;
			continue;
		}
		r = call(f, c[i], "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_status\"}");
		result_of(r);
		json_decref(r);
		served++;
	}
	assert_int_equal(refused, 8);
	assert_int_equal(served, 32);
	/* Room again once some leave. */
	for (int i = 0; i < 40; i++)
		cli_close(c[i]);
	pump(f, 5);
	ztdp_rpc_get_stats(f->srv, &st);
	assert_int_equal(st.clients, 0);
	c[0] = cli_connect(f);
	r = call(f, c[0], "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_status\"}");
	result_of(r);
	json_decref(r);
	cli_close(c[0]);
}

static void test_disconnects(void **state)
{
	struct fx *f = *state;
	struct cli *c, *other = cli_connect(f);
	struct ztdp_rpc_stats st;
	char *reqs;
	size_t off = 0, sent = 0;
	json_t *r;

	/* Half a request, then gone. */
	c = cli_connect(f);
	cli_puts(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"meth");
	pump(f, 2);
	cli_close(c);
	pump(f, 3);
	assert_int_equal(rpc_stat_drop(f, ZTDP_RPC_DROP_CLOSED_MID_REQUEST), 1);

	/* Many requests whose answers are never read, then gone: the
	 * server's sends fail with EPIPE/ECONNRESET and it must survive
	 * (SIGPIPE would kill this test process). */
	rpc_fake_node_set_extra_peers(50);
	c = cli_connect(f);
	reqs = malloc(20000 * 64);
	for (int i = 0; i < 20000; i++)
		off += (size_t)sprintf(reqs + off,
				       "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"peer_list\"}\n", i);
	/* Send what fits while the server works; it stops reading once its
	 * unread output is over the high-water mark. */
	for (int i = 0; i < 200 && sent < off; i++) {
		ssize_t n = send(c->fd, reqs + sent, off - sent, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0)
			sent += (size_t)n;
		pump(f, 1);
	}
	free(reqs);
	assert_true(sent < off);	/* back-pressure held */
	ztdp_rpc_get_stats(f->srv, &st);
	assert_int_equal(st.clients, 2);
	cli_close(c);
	pump(f, 5);
	assert_int_equal(rpc_stat_drop(f, ZTDP_RPC_DROP_CLOSED_MID_RESPONSE), 1);
	ztdp_rpc_get_stats(f->srv, &st);
	assert_int_equal(st.clients, 1);

	/* Request then half-close: the answer still comes, then EOF. */
	c = cli_connect(f);
	cli_puts(f, c, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"node_status\"}");
	assert_int_equal(shutdown(c->fd, SHUT_WR), 0);
	r = cli_read(f, c);
	result_of(r);
	json_decref(r);
	cli_expect_eof(f, c);
	cli_close(c);

	/* The bystander never noticed. */
	r = call(f, other, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_status\"}");
	result_of(r);
	json_decref(r);
	cli_close(other);
}

/* A client that pipelines thousands of requests and reads slowly gets
 * every answer, in order. */
static void test_backpressure(void **state)
{
	struct fx *f = *state;
	struct cli *c = cli_connect(f);
	const int count = 3000;
	char *reqs = malloc((size_t)count * 64);
	size_t off = 0, sent = 0;
	int got = 0;
	long long deadline = ms_now() + 20000;

	rpc_fake_node_set_extra_peers(20);
	for (int i = 0; i < count; i++)
		off += (size_t)sprintf(reqs + off,
				       "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"peer_list\"}", i);
	while (got < count) {
		if (sent < off) {
			ssize_t n = send(c->fd, reqs + sent, off - sent,
					 MSG_NOSIGNAL | MSG_DONTWAIT);

			if (n > 0)
				sent += (size_t)n;
		}
		ztdp_rpc_poll(f->srv, 0);
		cli_fill(c);
		for (;;) {
			char *nl = memchr(c->buf, '\n', c->len);
			json_t *r;

			if (nl == NULL)
				break;
			r = json_loadb(c->buf, (size_t)(nl - c->buf), 0, NULL);
			assert_non_null(r);
			assert_int_equal(json_integer_value(json_object_get(r, "id")), got);
			assert_int_equal(json_array_size(result_of(r)), 22);
			json_decref(r);
			got++;
			memmove(c->buf, nl + 1, c->len - (size_t)(nl + 1 - c->buf));
			c->len -= (size_t)(nl + 1 - c->buf);
		}
		assert_false(c->eof);
		if (ms_now() > deadline)
			fail_msg("stalled: %d of %d answers, %zu of %zu bytes sent", got, count,
				 sent, off);
	}
	free(reqs);
	cli_close(c);
}

/* Random bytes from several clients at once: the server answers or drops
 * them and keeps serving a well-behaved client. */
static void test_garbage_storm(void **state)
{
	struct fx *f = *state;
	struct cli *good = cli_connect(f);
	unsigned int seed = 1234;
	json_t *r;

	for (int round = 0; round < 60; round++) {
		struct cli *c = cli_connect(f);
		char buf[2048];
		size_t len = (size_t)(rand_r(&seed) % sizeof(buf));

		for (size_t i = 0; i < len; i++) {
			/* Mostly JSON punctuation, to reach the framer's
			 * corners. */
			static const char alpha[] = "{}[]\",:\\ \n0123456789truefalsnul-+.eE\x01\xff";

			buf[i] = (rand_r(&seed) & 1) ? alpha[rand_r(&seed) % (sizeof(alpha) - 1)] :
						   (char)rand_r(&seed);
		}
		(void)!send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		pump(f, 2);
		cli_fill(c);
		if (round % 2)
			(void)!shutdown(c->fd, SHUT_WR);
		pump(f, 2);
		cli_fill(c);
		cli_close(c);
		pump(f, 1);
	}
	r = call(f, good, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_status\"}");
	result_of(r);
	json_decref(r);
	cli_close(good);
	pump(f, 3);
	{
		struct ztdp_rpc_stats st;

		ztdp_rpc_get_stats(f->srv, &st);
		assert_int_equal(st.clients, 0);
	}
}

/*
 * Mutated requests: valid requests with bytes flipped, dropped, duplicated
 * or cut, each on its own connection that then half-closes. Whatever the
 * server makes of them, every line it sends must be a JSON-RPC 2.0
 * response object, and it must close the connection cleanly.
 */
static void check_response(json_t *r)
{
	json_t *err;

	assert_true(json_is_object(r) || json_is_array(r));
	if (json_is_array(r)) {
		size_t i;
		json_t *e;

		assert_true(json_array_size(r) > 0);
		json_array_foreach(r, i, e)
			check_response(e);
		return;
	}
	assert_string_equal(json_string_value(json_object_get(r, "jsonrpc")), "2.0");
	assert_non_null(json_object_get(r, "id"));
	err = json_object_get(r, "error");
	assert_true((err != NULL) != (json_object_get(r, "result") != NULL));
	if (err != NULL) {
		assert_true(json_is_integer(json_object_get(err, "code")));
		assert_true(json_is_string(json_object_get(err, "message")));
	}
}

static void test_mutated_requests(void **state)
{
	static const char *const seeds[] = {
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_status\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"network_get\",\"params\":{\"nwid\":\"31a462e3d25a2681\"}}",
		"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"peer_list\"},{\"jsonrpc\":\"2.0\",\"method\":\"stats\"}]",
		"{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"network_join\",\"params\":{\"nwid\":\"8056c2e21c000001\"}}",
		/* Two requests in one input. */
		("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"peer_get\",\"params\":{\"address\":\"3285290482\"}}\n"
		 "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"network_leave\",\"params\":{\"nwid\":\"8056c2e21c000001\"}}"),
	};
	struct fx *f = *state;
	unsigned int seed = 99, lines = 0;
	const char *env = getenv("ZTDP_RPC_MUTATIONS");
	int rounds = env != NULL ? atoi(env) : 1500;

	for (int round = 0; round < rounds; round++) {
		const char *src = seeds[rand_r(&seed) % (sizeof(seeds) / sizeof(seeds[0]))];
		char buf[512];
		size_t len = strlen(src);
		int edits = 1 + rand_r(&seed) % 4;
		struct cli *c;
		json_t *r;

		memcpy(buf, src, len);
		for (int e = 0; e < edits && len > 1; e++) {
			size_t at = (size_t)rand_r(&seed) % len;

			switch (rand_r(&seed) % 4) {
			case 0:		/* flip a byte */
				buf[at] = (char)(buf[at] ^ (1 << (rand_r(&seed) % 8)));
				break;
			case 1:		/* drop one */
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
				break;
			case 2:		/* duplicate a run */
				if (len + 16 < sizeof(buf)) {
					size_t n = 1 + (size_t)rand_r(&seed) % 16;

					if (at + n > len)
						n = len - at;
					memmove(buf + at + n, buf + at, len - at);
					len += n;
				}
				break;
			default:	/* cut */
				len = at + 1;
				break;
			}
		}
		c = cli_connect(f);
		cli_write(f, c, buf, len);
		assert_int_equal(shutdown(c->fd, SHUT_WR), 0);
		while ((r = cli_read(f, c)) != NULL) {
			check_response(r);
			json_decref(r);
			lines++;
		}
		assert_int_equal(c->len, 0);	/* no partial line left */
		cli_close(c);
	}
	print_message("mutated requests: %d connections, %u responses\n", rounds, lines);
	pump(f, 2);
	{
		struct ztdp_rpc_stats st;

		ztdp_rpc_get_stats(f->srv, &st);
		assert_int_equal(st.clients, 0);
	}
}

/* Out of file descriptors: the server stops accepting instead of spinning
 * on a listener that stays readable, and resumes when a client leaves. */
static void test_out_of_descriptors(void **state)
{
	struct fx *f = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct cli *first = cli_connect(f);
	struct ztdp_rpc_stats st;
	struct rlimit old, low;
	int raw[3], probe;
	json_t *r;

	set_sun_path(&sa, f->path);
	for (int i = 0; i < 3; i++) {
		raw[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(raw[i] >= 0);
		assert_int_equal(connect(raw[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	/* No descriptor left for accept. */
	probe = dup(0);
	assert_true(probe >= 0);
	close(probe);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)probe;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	pump(f, 3);
	/* Paused: nothing ready, nothing accepted. */
	assert_int_equal(ztdp_rpc_poll(f->srv, 0), 0);
	ztdp_rpc_get_stats(f->srv, &st);
	assert_int_equal(st.clients, 1);
	/* The client leaves: its two descriptors (ours and the server's, one
	 * process here) free, and two waiting clients are accepted. */
	cli_close(first);
	pump(f, 3);
	ztdp_rpc_get_stats(f->srv, &st);
	assert_int_equal(st.clients, 2);
	/* Descriptors come back from elsewhere: accepting resumes within a
	 * second even though no client left. */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	pump(f, 1);
	ztdp_rpc_get_stats(f->srv, &st);
	assert_int_equal(st.clients, 2);
	assert_true(ztdp_rpc_poll(f->srv, 5000) >= 0);	/* returns after <= 1 s */
	pump(f, 2);
	ztdp_rpc_get_stats(f->srv, &st);
	assert_int_equal(st.clients, 3);
	for (int i = 0; i < 3; i++)
		close(raw[i]);
	pump(f, 3);
	first = cli_connect(f);
	r = call(f, first, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_status\"}");
	result_of(r);
	json_decref(r);
	cli_close(first);
}

/* --- Socket ---------------------------------------------------------- */

static void test_socket_file(void **state)
{
	struct fx *f = *state;
	struct ztdp_rpc_server *second = NULL;
	struct ztdp_rpc_config cfg = { 0 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat sb;
	char err[256], p[300];
	int fd;

	assert_int_equal(stat(f->path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);

	/* A live server's socket is not taken over. */
	cfg.path = f->path;
	assert_int_equal(ztdp_rpc_open(&second, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "in use"));
	assert_null(second);

	/* A stale socket (nobody accepting) is replaced. */
	snprintf(p, sizeof(p), "%s/stale.sock", f->dir);
	set_sun_path(&sa, p);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	cfg.path = p;
	if (ztdp_rpc_open(&second, &cfg, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	ztdp_rpc_close(second);
	/* ... and removed on close. */
	assert_int_equal(stat(p, &sb), -1);

	/* Not a socket: refused, left alone. */
	snprintf(p, sizeof(p), "%s/file", f->dir);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	close(fd);
	cfg.path = p;
	assert_int_equal(ztdp_rpc_open(&second, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a socket"));
	assert_int_equal(stat(p, &sb), 0);

	/* Too long for sun_path; missing directory. */
	memset(p, 'a', sizeof(p) - 1);
	p[0] = '/';
	p[sizeof(p) - 1] = '\0';
	cfg.path = p;
	assert_int_equal(ztdp_rpc_open(&second, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
	snprintf(p, sizeof(p), "%s/no/such/dir.sock", f->dir);
	assert_int_equal(ztdp_rpc_open(&second, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot bind"));
}

/* --- Methods --------------------------------------------------------- */

static int app_echo(void *ctx, const json_t *params, json_t **result,
		    struct ztdp_rpc_error *err)
{
	(void)ctx;
	(void)err;
	*result = params != NULL ? json_deep_copy(params) : NULL;
	return 0;
}

static int app_fail(void *ctx, const json_t *params, json_t **result,
		    struct ztdp_rpc_error *err)
{
	(void)ctx;
	(void)params;
	(void)result;
	(void)err;
	return -1;	/* no code: becomes -32603 */
}

static int app_big(void *ctx, const json_t *params, json_t **result,
		   struct ztdp_rpc_error *err)
{
	size_t n = *(size_t *)ctx;
	char *s = malloc(n + 1);

	(void)params;
	(void)err;
	memset(s, 'b', n);
	s[n] = '\0';
	*result = json_string(s);
	free(s);
	return 0;
}

static void test_app_methods(void **state)
{
	struct fx *f = *state;
	static size_t big_len = 2 * ZTDP_RPC_DEFAULT_MAX_OUTPUT;
	static const struct ztdp_rpc_method app[] = {
		{ "dp_echo", app_echo, "echo params" },
		{ "dp_fail", app_fail, "always fails" },
		{ "dp_big", app_big, "a string bigger than the output cap" },
	};
	static const struct ztdp_rpc_method dup[] = {
		{ "node_status", app_echo, "clash" },
	};
	static const struct ztdp_rpc_method selfdup[] = {
		{ "x_one", app_echo, "" }, { "x_one", app_echo, "" },
	};
	struct cli *c;
	json_t *r, *names;
	size_t i;
	json_t *m;
	bool seen_echo = false, seen_status = false;

	assert_int_equal(ztdp_rpc_register(f->srv, app, 3, &big_len), 0);
	errno = 0;
	assert_int_equal(ztdp_rpc_register(f->srv, dup, 1, NULL), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(ztdp_rpc_register(f->srv, selfdup, 2, NULL), -1);
	c = cli_connect(f);
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"dp_echo\",\"params\":{\"a\":[1,2]}}");
	assert_int_equal(json_integer_value(json_array_get(json_object_get(result_of(r), "a"), 1)), 2);
	json_decref(r);
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"dp_echo\"}");
	assert_true(json_is_null(result_of(r)));
	json_decref(r);
	call_expect(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"dp_fail\"}",
		    ZTDP_RPC_INTERNAL_ERROR, "dp_fail");
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"dp_big\"}");
	expect_error(r, ZTDP_RPC_INTERNAL_ERROR);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 9);
	json_decref(r);
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"rpc_get_methods\"}");
	names = result_of(r);
	json_array_foreach(names, i, m) {
		const char *n = json_string_value(json_object_get(m, "name"));

		assert_non_null(json_string_value(json_object_get(m, "help")));
		seen_echo |= strcmp(n, "dp_echo") == 0;
		seen_status |= strcmp(n, "node_status") == 0;
	}
	assert_true(seen_echo && seen_status);
	assert_int_equal(json_array_size(names), 1 + 8 + 3);
	json_decref(r);
	cli_close(c);
}

/* node_status against zerotier-cli -j info of node a. */
static void test_node_status_json(void **state)
{
	struct fx *f = *state;
	struct cli *c = cli_connect(f);
	static const char *const same[] = { "address", "publicIdentity", "online",
		"planetWorldId", "planetWorldTimestamp", "tcpFallbackActive" };
	json_t *zt, *r, *res, *settings;

	if (!ztdp_test_have_shared("interop/data/cli/cli-a-info.json"))
		skip();
	zt = ztdp_test_load_json("interop/data/cli/cli-a-info.json");
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_status\"}");
	res = result_of(r);
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		if (!json_equal(json_object_get(zt, same[i]), json_object_get(res, same[i])))
			fail_msg("node_status field %s differs from ZeroTierOne's", same[i]);
	/* Every top-level field ZeroTierOne has, we have, with its type. */
	{
		const char *key;
		json_t *v;

		json_object_foreach(zt, key, v) {
			json_t *ours = json_object_get(res, key);

			if (ours == NULL || json_typeof(ours) != json_typeof(v))
				fail_msg("node_status lacks %s or its type differs", key);
		}
	}
	/* ztdp's own version, and the clock from the now callback. */
	assert_string_equal(json_string_value(json_object_get(res, "version")), "0.1.0");
	assert_int_equal(json_integer_value(json_object_get(res, "versionMinor")), 1);
	assert_true(json_integer_value(json_object_get(res, "clock")) == (json_int_t)f->now);
	settings = json_object_get(json_object_get(res, "config"), "settings");
	assert_int_equal(json_integer_value(json_object_get(settings, "primaryPort")), 9993);
	assert_string_equal(json_string_value(json_object_get(settings, "homeDir")), f->dir);
	json_decref(r);
	json_decref(zt);
	cli_close(c);
}

/* Drop the members ZeroTierOne fills from things ztdp has no notion of. */
static void strip(json_t *o, const char *const *keys)
{
	for (; *keys != NULL; keys++)
		json_object_del(o, *keys);
}

static void test_network_and_peer_json(void **state)
{
	struct fx *f = *state;
	struct cli *c = cli_connect(f);
	static const char *const net_local[] = { "multicastSubscriptions", NULL };
	static const char *const path_local[] = { "localSocket", NULL };
	json_t *zt, *r, *res;
	size_t i;
	json_t *p;

	if (!ztdp_test_have_shared("interop/data/cli/cli-a-listnetworks.json"))
		skip();
	zt = ztdp_test_load_json("interop/data/cli/cli-a-listnetworks.json");
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"network_list\"}");
	res = result_of(r);
	assert_int_equal(json_array_size(res), 1);
	strip(json_array_get(zt, 0), net_local);
	strip(json_array_get(res, 0), net_local);
	if (!json_equal(zt, res)) {
		char *a = json_dumps(zt, JSON_SORT_KEYS), *b = json_dumps(res, JSON_SORT_KEYS);

		fail_msg("network_list differs from ZeroTierOne's:\n%s\n%s", a, b);
	}
	json_decref(r);
	json_decref(zt);

	zt = ztdp_test_load_json("interop/data/cli/cli-a-listpeers.json");
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"peer_list\"}");
	res = result_of(r);
	json_array_foreach(zt, i, p)
		strip(json_array_get(json_object_get(p, "paths"), 0), path_local);
	json_array_foreach(res, i, p)
		strip(json_array_get(json_object_get(p, "paths"), 0), path_local);
	if (!json_equal(zt, res)) {
		char *a = json_dumps(zt, JSON_SORT_KEYS), *b = json_dumps(res, JSON_SORT_KEYS);

		fail_msg("peer_list differs from ZeroTierOne's:\n%s\n%s", a, b);
	}
	json_decref(r);
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"peer_get\",\"params\":{\"address\":\"3285290482\"}}");
	strip(json_array_get(json_object_get(result_of(r), "paths"), 0), path_local);
	assert_true(json_equal(result_of(r), json_array_get(zt, 1)));
	json_decref(r);
	json_decref(zt);
	cli_close(c);
}

static void test_join_leave_stats(void **state)
{
	struct fx *f = *state;
	struct cli *c = cli_connect(f);
	json_t *r, *res;

	f->now = 5555;
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"network_join\",\"params\":{\"nwid\":\"8056c2e21c000001\"}}");
	res = result_of(r);
	assert_string_equal(json_string_value(json_object_get(res, "id")), "8056c2e21c000001");
	assert_string_equal(json_string_value(json_object_get(res, "status")),
			    "REQUESTING_CONFIGURATION");
	assert_true(rpc_fake_node_last_now() == 5555);
	json_decref(r);
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"network_list\"}");
	assert_int_equal(json_array_size(result_of(r)), 2);
	json_decref(r);
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"network_leave\",\"params\":{\"nwid\":\"8056c2e21c000001\"}}");
	assert_true(json_is_true(json_object_get(result_of(r), "result")));
	json_decref(r);
	/* Leaving again is not an error (as DELETE /network/<id>). */
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"network_leave\",\"params\":{\"nwid\":\"8056c2e21c000001\"}}");
	assert_true(json_is_false(json_object_get(result_of(r), "result")));
	json_decref(r);
	r = call(f, c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"stats\"}");
	res = result_of(r);
	assert_int_equal(json_integer_value(json_object_get(res, "rxPackets")), 181);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "rxByVerb"),
							     "HELLO")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "rxByVerb"),
							     "0x1f")), 1);
	assert_null(json_object_get(json_object_get(res, "rxByVerb"), "NOP"));
	assert_true(json_integer_value(json_object_get(json_object_get(res, "rpc"),
							"requests")) >= 5);
	assert_non_null(json_object_get(json_object_get(json_object_get(res, "rpc"), "dropped"),
					"too many clients"));
	json_decref(r);
	cli_close(c);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ids_and_notifications),
		T(test_malformed_json),
		T(test_invalid_requests),
		T(test_params_checked),
		T(test_batches),
		T(test_framing),
		T(test_request_size_limit),
		T(test_client_limit),
		T(test_disconnects),
		T(test_backpressure),
		T(test_garbage_storm),
		T(test_mutated_requests),
		T(test_out_of_descriptors),
		T(test_socket_file),
		T(test_app_methods),
		T(test_node_status_json),
		T(test_network_and_peer_json),
		T(test_join_leave_stats),
	};
#undef T

	getrlimit(RLIMIT_NOFILE, &initial_nofile);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
