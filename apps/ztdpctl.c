/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ztdpctl: the appliance's command line, over its JSON-RPC socket. The
 * commands and their output lines are zerotier-cli's (info, listnetworks,
 * listpeers, peers, join, leave, -j), so scripts that parse one parse the
 * other; the version in `info` is ztdp's own.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ztdp_rpc.h"
#include "ztdp_version.h"

#define PROG "ztdpctl"
/* A peer list of thousands is a few MiB; anything beyond this is not a
 * response of ours. */
#define RESPONSE_MAX	(64u << 20)
/* The server answers from its control loop within milliseconds; a server
 * that says nothing for this long is wedged. */
#define TIMEOUT_S	30

static void print_usage(FILE *out)
{
	fprintf(out,
		"Usage: " PROG " [-s <socket>] [-j] <command> [<args>]\n"
		"\n"
		"Options:\n"
		"  -s, --socket <path>   control socket (default $ZTDP_SOCKET, else\n"
		"                        " ZTDP_RPC_DEFAULT_SOCKET ")\n"
		"  -j                    print the JSON the appliance returns\n"
		"  -v, --version         print ztdpctl's version\n"
		"  -h, --help            this help\n"
		"\n"
		"Commands (as zerotier-cli):\n"
		"  info                  node address, version and status\n"
		"  listnetworks          joined networks\n"
		"  listpeers             peers and their preferred path\n"
		"  peers                 peers, as a table\n"
		"  join <network ID>     join a network (16 hex digits)\n"
		"  leave <network ID>    leave a network\n"
		"Also:\n"
		"  stats                 control-plane counters (JSON)\n"
		"  methods               the RPC methods the appliance answers\n"
		"  call <method> [<params JSON>]   any RPC method; prints its result\n"
		"\n"
		"Controller (networks this node controls; zerotier-one's /controller API):\n"
		"  controller status                           {controller, apiVersion, clock, ...}\n"
		"  controller network list                     networks: <nwid> <name> <type>\n"
		"  controller network create [<nwid>] [<JSON>]  new network (random ID under our\n"
		"                                              address unless given)\n"
		"  controller network get <nwid>               the network (JSON)\n"
		"  controller network set <nwid> <JSON>        change fields, e.g. '{\"private\": false}'\n"
		"  controller network delete <nwid>            delete it (members are revoked)\n"
		"  controller member list <nwid>               members: <address> <authorized>\n"
		"                                              <activeBridge> <ipAssignments>\n"
		"  controller member get <nwid> <address>      the member (JSON)\n"
		"  controller member set <nwid> <address> <JSON>  e.g. '{\"ipAssignments\": [...]}'\n"
		"  controller member authorize <nwid> <address>\n"
		"  controller member deauthorize <nwid> <address>\n"
		"  controller member delete <nwid> <address>\n"
		"JSON fields are zerotier-one's (name, private, ipAssignmentPools, routes, rules,\n"
		"v4AssignMode, v6AssignMode, ...; authorized, activeBridge, ipAssignments, ...).\n"
		"With -j every controller command prints the JSON the appliance returns.\n");
}

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int die(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int connect_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = TIMEOUT_S };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		die("socket path %s is too long (at most %zu bytes)", path,
		    sizeof(sa.sun_path) - 1);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		die("socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		close(fd);
		die("cannot connect to %s: %s%s", path, strerror(e),
		    (e == ENOENT || e == ECONNREFUSED) ? " (is ztdp running?)" :
		    e == EACCES ? " (try as root)" : "");
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * One call: send the request, read one newline-terminated response line.
 * Returns the result (new reference) or NULL after printing one error line.
 */
static json_t *rpc_call(const char *sock, const char *method, json_t *params)
{
	json_t *req, *resp = NULL, *result = NULL, *error;
	char *text = NULL, *buf = NULL;
	size_t len = 0, cap = 0;
	json_error_t jerr;
	int fd, send_errno = 0;

	fd = connect_socket(sock);
	if (fd < 0) {
		json_decref(params);
		return NULL;
	}
	req = json_pack("{s:s, s:i, s:s}", "jsonrpc", "2.0", "id", 1, "method", method);
	if (req != NULL && params != NULL)
		json_object_set(req, "params", params);
	json_decref(params);
	text = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (text == NULL) {
		die("out of memory");
		goto out;
	}
	if (send_all(fd, text, strlen(text)) != 0 || send_all(fd, "\n", 1) != 0) {
		/* A server that refused us (too many clients) has closed after
		 * saying why: read that rather than report the broken pipe. */
		send_errno = errno;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *p;

			cap = cap ? cap * 2 : 65536;
			if (cap > RESPONSE_MAX) {
				die("response from %s larger than %u bytes", sock, RESPONSE_MAX);
				goto out;
			}
			p = realloc(buf, cap);
			if (p == NULL) {
				die("out of memory");
				goto out;
			}
			buf = p;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ECONNRESET && len == 0 && send_errno != 0)
			break;
		if (n < 0) {
			die("no response from %s: %s", sock,
			    errno == EAGAIN ? "timed out" : strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (memchr(buf + len - (size_t)n, '\n', (size_t)n) != NULL)
			break;
	}
	if (len == 0) {
		if (send_errno != 0)
			die("cannot send to %s: %s", sock, strerror(send_errno));
		else
			die("%s closed the connection without answering", sock);
		goto out;
	}
	resp = json_loadb(buf, len, JSON_DISABLE_EOF_CHECK, &jerr);
	if (resp == NULL || !json_is_object(resp)) {
		die("invalid response from %s: %s", sock,
		    resp == NULL ? jerr.text : "not an object");
		goto out;
	}
	error = json_object_get(resp, "error");
	if (error != NULL) {
		const char *msg = json_string_value(json_object_get(error, "message"));

		die("%s: %s (error %" JSON_INTEGER_FORMAT ")", method,
		    msg != NULL ? msg : "unknown error",
		    json_integer_value(json_object_get(error, "code")));
		goto out;
	}
	result = json_object_get(resp, "result");
	if (result == NULL) {
		die("invalid response from %s: no result", sock);
		goto out;
	}
	json_incref(result);
out:
	json_decref(resp);
	free(buf);
	free(text);
	close(fd);
	return result;
}

/* zerotier-cli prints JSON with nlohmann's dump(1): one-space indent,
 * keys sorted. jansson's JSON_INDENT(1) | JSON_SORT_KEYS is the same. */
static void print_json(const json_t *j)
{
	char *text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	if (text != NULL) {
		printf("%s\n", text);
		free(text);
	}
}

/* OSUtils::jsonString(v, dflt): the string, or dflt if not a string. */
static const char *jstr(const json_t *obj, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : dflt;
}

/* An integer field; 0 for anything else, as nlohmann's conversions do for
 * the fields zerotier-cli reads. */
static long long jint(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (json_is_integer(v))
		return (long long)json_integer_value(v);
	if (json_is_real(v))
		return (long long)json_real_value(v);
	return 0;
}

static long long wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Call a method whose answer prints as text: with -j (json) print it as
 * JSON here and return NULL with *rc 0; NULL with *rc 1 when the call
 * failed (it said why); else the answer, for the caller to print. */
static json_t *call_for_text(const char *sock, const char *method, bool json, int *rc)
{
	json_t *r = rpc_call(sock, method, NULL);

	*rc = 1;
	if (r == NULL)
		return NULL;
	*rc = 0;
	if (json) {
		print_json(r);
		json_decref(r);
		return NULL;
	}
	return r;
}

static int cmd_info(const char *sock, bool json)
{
	json_t *r = rpc_call(sock, "node_status", NULL);

	if (r == NULL)
		return 1;
	if (json) {
		print_json(r);
	} else if (json_is_object(r)) {
		printf("200 info %s %s %s\n", jstr(r, "address", "-"),
		       jstr(r, "version", "-"),
		       json_is_true(json_object_get(r, "tcpFallbackActive")) ? "TUNNELED" :
		       json_is_true(json_object_get(r, "online")) ? "ONLINE" : "OFFLINE");
	}
	json_decref(r);
	return 0;
}

static int cmd_listnetworks(const char *sock, bool json)
{
	json_t *r;
	json_t *n;
	size_t i;
	int rc;

	r = call_for_text(sock, "network_list", json, &rc);
	if (r == NULL)
		return rc;
	printf("200 listnetworks <nwid> <name> <mac> <status> <type> <dev> <ZT assigned ips>\n");
	json_array_foreach(r, i, n) {
		const json_t *aa = json_object_get(n, "assignedAddresses");
		char ips[4096] = "";
		size_t len = 0, j;
		json_t *a;

		if (!json_is_object(n))
			continue;
		json_array_foreach(aa, j, a) {
			const char *s = json_string_value(a);

			if (s == NULL)
				continue;
			len += (size_t)snprintf(ips + len, len < sizeof(ips) ? sizeof(ips) - len : 0,
						"%s%s", len > 0 ? "," : "", s);
			if (len >= sizeof(ips))
				len = sizeof(ips) - 1;
		}
		printf("200 listnetworks %s %s %s %s %s %s %s\n",
		       jstr(n, "nwid", "-"), jstr(n, "name", "-"), jstr(n, "mac", "-"),
		       jstr(n, "status", "-"), jstr(n, "type", "-"),
		       jstr(n, "portDeviceName", "-"), len > 0 ? ips : "-");
	}
	json_decref(r);
	return 0;
}

/* The first preferred path and its ages, computed as zerotier-cli does:
 * now - lastSend against the local wall clock, -1 for never. */
static const json_t *preferred_path(const json_t *peer, long long *send_age,
				    long long *recv_age)
{
	const json_t *paths = json_object_get(peer, "paths");
	size_t i;
	json_t *path;

	json_array_foreach(paths, i, path) {
		if (json_is_true(json_object_get(path, "preferred"))) {
			long long now = wall_ms();
			long long ls = jint(path, "lastSend");
			long long lr = jint(path, "lastReceive");

			*send_age = ls != 0 ? now - ls : -1;
			*recv_age = lr != 0 ? now - lr : -1;
			return path;
		}
	}
	return NULL;
}

static void peer_version(const json_t *p, char *ver, size_t n)
{
	if (jint(p, "versionMajor") >= 0)
		snprintf(ver, n, "%lld.%lld.%lld", jint(p, "versionMajor"),
			 jint(p, "versionMinor"), jint(p, "versionRev"));
	else
		snprintf(ver, n, "-");
}

static int cmd_listpeers(const char *sock, bool json)
{
	json_t *r;
	json_t *p;
	size_t i;
	int rc;

	r = call_for_text(sock, "peer_list", json, &rc);
	if (r == NULL)
		return rc;
	printf("200 listpeers <ztaddr> <path> <latency> <version> <role>\n");
	json_array_foreach(r, i, p) {
		long long sa, ra;
		const json_t *path = preferred_path(p, &sa, &ra);
		char best[256], ver[64];

		if (path != NULL)
			snprintf(best, sizeof(best), "%s;%lld;%lld",
				 jstr(path, "address", ""), sa, ra);
		else
			snprintf(best, sizeof(best), "-");
		peer_version(p, ver, sizeof(ver));
		printf("200 listpeers %s %s %d %s %s\n", jstr(p, "address", "-"), best,
		       (int)jint(p, "latency"), ver, jstr(p, "role", "-"));
	}
	json_decref(r);
	return 0;
}

static int cmd_peers(const char *sock, bool json)
{
	json_t *r;
	bool any_tunneled = false;
	json_t *p;
	size_t i;
	int rc;

	r = call_for_text(sock, "peer_list", json, &rc);
	if (r == NULL)
		return rc;
	printf("200 peers\n<ztaddr>   <ver>  <role> <lat> <link>   <lastTX> <lastRX> <path>\n");
	json_array_foreach(r, i, p) {
		bool tunneled = json_is_true(json_object_get(p, "tunneled"));
		long long sa, ra;
		const json_t *path = preferred_path(p, &sa, &ra);
		char best[320], ver[64];

		any_tunneled |= tunneled;
		if (path != NULL)
			snprintf(best, sizeof(best), "%s%-8lld %-8lld %s",
				 tunneled ? "RELAY " : "DIRECT   ", sa, ra,
				 jstr(path, "address", ""));
		else
			snprintf(best, sizeof(best), "RELAY");
		peer_version(p, ver, sizeof(ver));
		printf("%s %-6s %-6s %5d %s\n", jstr(p, "address", "-"), ver,
		       jstr(p, "role", "-"), (int)jint(p, "latency"), best);
	}
	if (any_tunneled)
		printf("NOTE: Currently tunneling through a TCP relay. Ensure that UDP is not blocked.\n");
	json_decref(r);
	return 0;
}

static bool valid_hex(const char *s, size_t digits)
{
	if (strlen(s) != digits)
		return false;
	for (size_t i = 0; i < digits; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

static bool valid_nwid(const char *s)
{
	return valid_hex(s, 16);
}

static int cmd_join_leave(const char *sock, bool json, const char *cmd,
			  const char *nwid)
{
	char lower[17];
	json_t *r;

	if (nwid == NULL)
		return die("%s: missing network ID (16 hex digits)", cmd);
	if (!valid_nwid(nwid))
		return die("invalid network ID '%s': expected 16 hex digits", nwid);
	for (int i = 0; i < 16; i++)
		lower[i] = (char)(nwid[i] >= 'A' && nwid[i] <= 'F' ? nwid[i] + 32 : nwid[i]);
	lower[16] = '\0';
	r = rpc_call(sock, strcmp(cmd, "join") == 0 ? "network_join" : "network_leave",
		     json_pack("{s:s}", "nwid", lower));
	if (r == NULL)
		return 1;
	if (json)
		print_json(r);
	else
		printf("200 %s OK\n", cmd);
	json_decref(r);
	return 0;
}

/* ---- controller ... ----------------------------------------------------------- */

/* A network ID or address argument, lowercased into out (digits + 1). */
static int hex_arg(const char *what, const char *s, size_t digits, char *out)
{
	if (s == NULL)
		return die("controller: missing %s (%zu hex digits)", what, digits);
	if (!valid_hex(s, digits))
		return die("invalid %s '%s': expected %zu hex digits", what, s, digits);
	for (size_t i = 0; i <= digits; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] + 32 : s[i]);
	return 0;
}

/* A JSON object argument. */
static json_t *json_arg(const char *what, const char *text)
{
	json_error_t jerr;
	json_t *j;

	if (text == NULL) {
		die("controller: missing %s (a JSON object)", what);
		return NULL;
	}
	j = json_loads(text, 0, &jerr);
	if (j == NULL || !json_is_object(j)) {
		die("%s is not a JSON object: %s", what, j == NULL ? jerr.text : "another JSON value");
		json_decref(j);
		return NULL;
	}
	return j;
}

/* Print a controller result: the JSON with -j or when asked to show an
 * object, else "200 controller <what> OK <id>". */
static int controller_result(json_t *r, bool json, bool show, const char *what)
{
	if (r == NULL)
		return 1;
	if (json || show)
		print_json(r);
	else
		printf("200 controller %s OK %s\n", what, jstr(r, "id", ""));
	json_decref(r);
	return 0;
}

static int controller_network_list(const char *sock, bool json)
{
	json_t *list, *id;
	size_t i;
	int rc;

	list = call_for_text(sock, "controller_network_list", json, &rc);
	if (list == NULL)
		return rc;
	printf("200 controller network list <nwid> <name> <type>\n");
	json_array_foreach(list, i, id) {
		json_t *n = rpc_call(sock, "controller_network_get",
				     json_pack("{s:O}", "nwid", id));

		if (n == NULL)
			continue;
		printf("200 controller network list %s %s %s\n", jstr(n, "id", "-"),
		       jstr(n, "name", "")[0] != '\0' ? jstr(n, "name", "") : "-",
		       json_is_false(json_object_get(n, "private")) ? "PUBLIC" : "PRIVATE");
		json_decref(n);
	}
	json_decref(list);
	return 0;
}

static int controller_member_list(const char *sock, bool json, const char *nwid)
{
	json_t *r, *m;
	size_t i;

	if (json)
		return controller_result(rpc_call(sock, "controller_member_list",
						  json_pack("{s:s}", "nwid", nwid)), true, true, "");
	r = rpc_call(sock, "controller_member_list",
		     json_pack("{s:s, s:b}", "nwid", nwid, "details", 1));
	if (r == NULL)
		return 1;
	printf("200 controller member list <address> <authorized> <activeBridge> <ipAssignments>\n");
	json_array_foreach(r, i, m) {
		const json_t *ips = json_object_get(m, "ipAssignments");
		char list[1024] = "";
		size_t len = 0, j;
		json_t *ip;

		json_array_foreach(ips, j, ip) {
			len += (size_t)snprintf(list + len, len < sizeof(list) ? sizeof(list) - len : 0,
						"%s%s", len > 0 ? "," : "", json_string_value(ip));
			if (len >= sizeof(list))
				len = sizeof(list) - 1;
		}
		printf("200 controller member list %s %s %s %s\n", jstr(m, "address", "-"),
		       json_is_true(json_object_get(m, "authorized")) ? "true" : "false",
		       json_is_true(json_object_get(m, "activeBridge")) ? "true" : "false",
		       len > 0 ? list : "-");
	}
	json_decref(r);
	return 0;
}

static int cmd_controller(const char *sock, bool json, int argc, char **argv)
{
	const char *what = argc > 0 ? argv[0] : "status";
	const char *verb = argc > 1 ? argv[1] : NULL;
	char nwid[17], addr[11], label[64];
	json_t *body;

	if (strcmp(what, "status") == 0)
		return controller_result(rpc_call(sock, "controller_status", NULL), json, true, "");
	if (strcmp(what, "network") != 0 && strcmp(what, "member") != 0)
		return die("controller: unknown object '%s' (network, member or status)", what);
	if (verb == NULL)
		return die("controller %s: missing command (try " PROG " -h)", what);
	snprintf(label, sizeof(label), "%s %s", what, verb);
	if (strcmp(what, "network") == 0) {
		if (strcmp(verb, "list") == 0)
			return controller_network_list(sock, json);
		if (strcmp(verb, "create") == 0) {
			json_t *params = json_object();
			int a = 2;

			if (argc > a && valid_hex(argv[a], 16)) {
				hex_arg("network ID", argv[a++], 16, nwid);
				json_object_set_new(params, "nwid", json_string(nwid));
			}
			if (argc > a) {
				body = json_arg("network JSON", argv[a++]);
				if (body == NULL) {
					json_decref(params);
					return 1;
				}
				json_object_set_new(params, "config", body);
			}
			if (argc > a) {
				json_decref(params);
				return die("controller network create: unexpected '%s'", argv[a]);
			}
			return controller_result(rpc_call(sock, "controller_network_create", params),
						 json, false, label);
		}
		if (strcmp(verb, "get") != 0 && strcmp(verb, "set") != 0 &&
		    strcmp(verb, "delete") != 0)
			return die("controller network: unknown command '%s' (list, create, get, "
				   "set, delete)", verb);
		if (hex_arg("network ID", argc > 2 ? argv[2] : NULL, 16, nwid) != 0)
			return 1;
		if (strcmp(verb, "get") == 0)
			return controller_result(rpc_call(sock, "controller_network_get",
							  json_pack("{s:s}", "nwid", nwid)),
						 json, true, label);
		if (strcmp(verb, "delete") == 0)
			return controller_result(rpc_call(sock, "controller_network_delete",
							  json_pack("{s:s}", "nwid", nwid)),
						 json, false, label);
		body = json_arg("network JSON", argc > 3 ? argv[3] : NULL);
		if (body == NULL)
			return 1;
		return controller_result(rpc_call(sock, "controller_network_update",
						  json_pack("{s:s, s:o}", "nwid", nwid, "config", body)),
					 json, false, label);
	}
	if (strcmp(verb, "list") != 0 && strcmp(verb, "get") != 0 && strcmp(verb, "set") != 0 &&
	    strcmp(verb, "authorize") != 0 && strcmp(verb, "deauthorize") != 0 &&
	    strcmp(verb, "delete") != 0)
		return die("controller member: unknown command '%s' (list, get, set, authorize, "
			   "deauthorize, delete)", verb);
	if (hex_arg("network ID", argc > 2 ? argv[2] : NULL, 16, nwid) != 0)
		return 1;
	if (strcmp(verb, "list") == 0)
		return controller_member_list(sock, json, nwid);
	if (hex_arg("member address", argc > 3 ? argv[3] : NULL, 10, addr) != 0)
		return 1;
	if (strcmp(verb, "get") == 0)
		return controller_result(rpc_call(sock, "controller_member_get",
						  json_pack("{s:s, s:s}", "nwid", nwid, "address",
							    addr)), json, true, label);
	if (strcmp(verb, "delete") == 0)
		return controller_result(rpc_call(sock, "controller_member_delete",
						  json_pack("{s:s, s:s}", "nwid", nwid, "address",
							    addr)), json, false, label);
	if (strcmp(verb, "set") == 0)
		body = json_arg("member JSON", argc > 4 ? argv[4] : NULL);
	else
		body = json_pack("{s:b}", "authorized", verb[0] == 'a');
	if (body == NULL)
		return 1;
	return controller_result(rpc_call(sock, "controller_member_update",
					  json_pack("{s:s, s:s, s:o}", "nwid", nwid, "address", addr,
						    "config", body)), json, false, label);
}

static int cmd_call(const char *sock, const char *method, const char *params_text)
{
	json_t *params = NULL, *r;
	json_error_t jerr;

	if (method == NULL)
		return die("call: missing method name");
	if (params_text != NULL) {
		params = json_loads(params_text, 0, &jerr);
		if (params == NULL)
			return die("call: params are not valid JSON: %s", jerr.text);
	}
	r = rpc_call(sock, method, params);
	if (r == NULL)
		return 1;
	print_json(r);
	json_decref(r);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = getenv("ZTDP_SOCKET");
	const char *cmd, *arg1, *arg2;
	bool json = false;
	int c;

	if (sock == NULL || *sock == '\0')
		sock = ZTDP_RPC_DEFAULT_SOCKET;
	/* Options anywhere, as zerotier-cli takes them ("listpeers -j"). */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "s:jvh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'v':
			printf("%s\n", ZTDP_VERSION);
			return 0;
		case 'h':
			print_usage(stdout);
			return 0;
		default:
			if (optopt == 's')
				return die("-s needs a socket path");
			return die("unknown option '%s' (try " PROG " -h)", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		print_usage(stderr);
		return 1;
	}
	cmd = argv[optind];
	arg1 = optind + 1 < argc ? argv[optind + 1] : NULL;
	arg2 = optind + 2 < argc ? argv[optind + 2] : NULL;
	if (strcmp(cmd, "info") == 0 || strcmp(cmd, "status") == 0)
		return cmd_info(sock, json);
	if (strcmp(cmd, "listnetworks") == 0)
		return cmd_listnetworks(sock, json);
	if (strcmp(cmd, "listpeers") == 0)
		return cmd_listpeers(sock, json);
	if (strcmp(cmd, "peers") == 0)
		return cmd_peers(sock, json);
	if (strcmp(cmd, "join") == 0 || strcmp(cmd, "leave") == 0)
		return cmd_join_leave(sock, json, cmd, arg1);
	if (strcmp(cmd, "stats") == 0)
		return cmd_call(sock, "stats", NULL);
	if (strcmp(cmd, "methods") == 0)
		return cmd_call(sock, "rpc_get_methods", NULL);
	if (strcmp(cmd, "call") == 0)
		return cmd_call(sock, arg1, arg2);
	if (strcmp(cmd, "controller") == 0)
		return cmd_controller(sock, json, argc - optind - 1, argv + optind + 1);
	return die("unknown command '%s' (try " PROG " -h)", cmd);
}
