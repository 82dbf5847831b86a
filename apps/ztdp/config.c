/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ztdp's options: built-in defaults, then the JSON file given with --config
 * (keys documented in config/README.md; "settings" takes ZeroTierOne's
 * local.conf names), then the command line. Every mistake is reported as
 * one line naming the option or key, before DPDK is started.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "ztdp_app.h"
#include "ztdp_version.h"
#include "ztdp_wire.h"

#define ERR(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

/* Before EAL is up, warnings go straight to stderr. */
static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
	va_list ap;

	fputs(ZTDP_PROG ": warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void ztdp_config_usage(FILE *out)
{
	fprintf(out,
		"Usage: " ZTDP_PROG " <EAL options> -- <ztdp options>\n"
		"\n"
		"A ZeroTier node on a DPDK port. EAL options select the port, e.g.\n"
		"  -l 0-1 --no-huge -m 512 --no-pci --vdev=net_af_packet0,iface=eth1\n"
		"\n"
		"ztdp options (the command line overrides --config):\n"
		"  --config FILE          JSON configuration (see config/README.md)\n"
		"  --state-dir DIR        identity, planet, networks (default " ZTDP_DEFAULT_STATE_DIR ")\n"
		"  --planet FILE          planet (binary World) instead of the default\n"
		"  --join NWID            join a network (16 hex digits); repeatable\n"
		"  --underlay-port N      DPDK port id of the underlay (default 0)\n"
		"  --address A.B.C.D/LEN  our IPv4 address on the underlay\n"
		"  --address6 ADDR/LEN    our IPv6 address on the underlay\n"
		"  --gateway IP           next hop off the subnet (once per family)\n"
		"  --port N               ZeroTier UDP port (settings.primaryPort; default 9993)\n"
		"  --rpc-socket PATH      JSON-RPC socket (default <state-dir>/ztdp.sock)\n"
		"  --mtu N                underlay IP MTU (default 1500)\n"
		"  --mbufs N              mbuf pool size (default: from available memory)\n"
		"  --l2 NWID=SPEC         the network's L2 side: veth[:IFNAME] (default for\n"
		"                         joined networks: a kernel interface, IFNAME\n"
		"                         defaults to zt<nwid>), tap[:IFNAME] (net_tap;\n"
		"                         DPDK 22.11 caps its MTU at 1500),\n"
		"                         port:N|NAME (a port EAL has), vdev:DEVARGS\n"
		"                         (e.g. vdev:net_vhost0,iface=/run/vm0.sock) or none\n"
		"  --no-manage-addresses  leave TAP addresses, routes and MTU to the user\n"
		"  --busy-poll            never sleep when idle (default: back off)\n"
		"  --idle-sleep-max US    longest idle sleep of a data lcore (default %u)\n"
		"  --log-level LEVEL      error, warning, notice, info or debug (default info)\n"
		"  --help, --version\n",
		ZTDP_DEFAULT_IDLE_SLEEP_MAX_US);
}

int ztdp_config_parse_log_level(const char *s)
{
	static const char *const names[] = {
		"error", "warning", "notice", "info", "debug"
	};
	char *end;
	long v;

	for (int i = 0; i < 5; i++)
		if (strcasecmp(s, names[i]) == 0)
			return 3 + i;
	if (strcasecmp(s, "err") == 0)
		return 3;
	if (strcasecmp(s, "warn") == 0)
		return 4;
	v = strtol(s, &end, 10);
	if (*s != '\0' && *end == '\0' && v >= 3 && v <= 7)
		return (int)v;
	return -1;
}

static void set_defaults(struct ztdp_app_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", ZTDP_DEFAULT_STATE_DIR);
	cfg->primary_port = ZTDP_DEFAULT_PORT;
	cfg->mtu = ZTDP_DEFAULT_MTU;
	cfg->log_level = 6;
	cfg->idle_backoff = true;
	cfg->manage_addresses = true;
	cfg->idle_sleep_max_us = ZTDP_DEFAULT_IDLE_SLEEP_MAX_US;
}

/* --- Value parsers shared by both sources --------------------------------
 * `what` names the option or key in the message. */

static int set_path(char *dst, size_t cap, const char *v, const char *what,
		    char *err, size_t errlen)
{
	if (*v == '\0')
		ERR("%s: empty path", what);
	if (strlen(v) >= cap)
		ERR("%s: path too long", what);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int parse_uint(const char *v, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	char *end;
	unsigned long n;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

static int parse_nwid(const char *v, size_t len, uint64_t *out);

static int add_join(struct ztdp_app_config *cfg, const char *v, const char *what,
		    char *err, size_t errlen)
{
	uint64_t nwid = 0;

	if (parse_nwid(v, strlen(v), &nwid) < 0)
		ERR("%s '%s': a network ID is 16 hex digits", what, v);
	for (unsigned int i = 0; i < cfg->join_count; i++)
		if (cfg->join[i] == nwid)
			return 0;
	if (cfg->join_count >= ZTDP_MAX_JOIN)
		ERR("%s: more than %d networks", what, ZTDP_MAX_JOIN);
	cfg->join[cfg->join_count++] = nwid;
	return 0;
}

static int set_address(struct ztdp_app_config *cfg, const char *v, int want,
		       const char *what, char *err, size_t errlen)
{
	uint8_t fam, ip[16], pfx;

	if (ztdp_underlay_parse_cidr(v, &fam, ip, &pfx, true) < 0)
		ERR("%s '%s': expected %s/PREFIX", what, v,
		    want == 4 ? "A.B.C.D" : "IPv6-ADDRESS");
	if (fam != want)
		ERR("%s '%s': that is an IPv%d address; use %s", what, v, fam,
		    fam == 4 ? "--address (\"address\")" : "--address6 (\"address6\")");
	if (fam == 4) {
		if (ip[0] == 0 || ip[0] == 127 || ip[0] >= 224)
			ERR("%s '%s': not a unicast host address", what, v);
		memcpy(cfg->ip4, ip, 4);
		cfg->prefix4 = pfx;
		cfg->has_ip4 = true;
	} else {
		if (ip[0] == 0xff || (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80))
			ERR("%s '%s': need a global or unique-local address (link-local is automatic)",
			    what, v);
		memcpy(cfg->ip6, ip, 16);
		cfg->prefix6 = pfx;
		cfg->has_ip6 = true;
	}
	return 0;
}

static int set_gateway(struct ztdp_app_config *cfg, const char *v, int want,
		       const char *what, char *err, size_t errlen)
{
	uint8_t fam, ip[16], pfx;

	if (ztdp_underlay_parse_cidr(v, &fam, ip, &pfx, false) < 0 ||
	    pfx != (fam == 4 ? 32 : 128) || strchr(v, '/') != NULL)
		ERR("%s '%s': expected an IP address", what, v);
	if (want != 0 && fam != want)
		ERR("%s '%s': expected an IPv%d address", what, v, want);
	if (fam == 4) {
		memcpy(cfg->gw4, ip, 4);
		cfg->has_gw4 = true;
	} else {
		memcpy(cfg->gw6, ip, 16);
		cfg->has_gw6 = true;
	}
	return 0;
}

/* --- The JSON file ------------------------------------------------------ */

static int json_str(const json_t *v, const char *key, const char **out,
		    char *err, size_t errlen)
{
	if (!json_is_string(v))
		ERR("config: \"%s\" must be a string", key);
	*out = json_string_value(v);
	return 0;
}

static int json_uint(const json_t *v, const char *key, unsigned long min,
		     unsigned long max, unsigned long *out, char *err,
		     size_t errlen)
{
	json_int_t n;

	if (!json_is_integer(v))
		ERR("config: \"%s\" must be an integer", key);
	n = json_integer_value(v);
	if (n < (json_int_t)min || n > (json_int_t)max)
		ERR("config: \"%s\" must be between %lu and %lu", key, min, max);
	*out = (unsigned long)n;
	return 0;
}

static int load_underlay(struct ztdp_app_config *cfg, const json_t *obj,
			 char *err, size_t errlen)
{
	const char *key, *s;
	json_t *v;
	unsigned long n;

	if (!json_is_object(obj))
		ERR("config: \"underlay\" must be an object");
	json_object_foreach((json_t *)obj, key, v) {
		if (strcmp(key, "port") == 0) {
			if (json_uint(v, "underlay.port", 0, UINT16_MAX - 1, &n, err, errlen) < 0)
				return -1;
			cfg->port_id = (uint16_t)n;
		} else if (strcmp(key, "address") == 0 || strcmp(key, "address6") == 0) {
			if (json_str(v, key, &s, err, errlen) < 0 ||
			    set_address(cfg, s, key[7] == '6' ? 6 : 4, key, err, errlen) < 0)
				return -1;
		} else if (strcmp(key, "gateway") == 0 || strcmp(key, "gateway6") == 0) {
			if (json_str(v, key, &s, err, errlen) < 0 ||
			    set_gateway(cfg, s, key[7] == '6' ? 6 : 4, key, err, errlen) < 0)
				return -1;
		} else if (strcmp(key, "mtu") == 0) {
			if (json_uint(v, "underlay.mtu", 1280, 9000, &n, err, errlen) < 0)
				return -1;
			cfg->mtu = (uint16_t)n;
		} else if (strcmp(key, "mbufs") == 0) {
			if (json_uint(v, "underlay.mbufs", 0, 1u << 22, &n, err, errlen) < 0)
				return -1;
			cfg->mbufs = (unsigned int)n;
		} else {
			ERR("config: unknown key \"underlay.%s\"", key);
		}
	}
	return 0;
}

/* local.conf's "settings": the keys that mean something here, a warning
 * for allowManagementFrom, and silence-but-mention for the rest so that a
 * ZeroTierOne local.conf can be reused. */
static int load_settings(struct ztdp_app_config *cfg, const json_t *obj,
			 char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	unsigned long n;

	if (!json_is_object(obj))
		ERR("config: \"settings\" must be an object");
	json_object_foreach((json_t *)obj, key, v) {
		if (strcmp(key, "primaryPort") == 0) {
			if (json_uint(v, "settings.primaryPort", 1, 65535, &n, err, errlen) < 0)
				return -1;
			cfg->primary_port = (uint16_t)n;
		} else if (strcmp(key, "allowManagementFrom") == 0) {
			warn("settings.allowManagementFrom is ignored: ztdp is managed over its Unix socket (--rpc-socket)");
		} else {
			warn("settings.%s is a ZeroTierOne setting ztdp does not use; ignored", key);
		}
	}
	return 0;
}

static int load_worker(struct ztdp_app_config *cfg, const json_t *obj,
		       char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	unsigned long n;

	if (!json_is_object(obj))
		ERR("config: \"worker\" must be an object");
	json_object_foreach((json_t *)obj, key, v) {
		if (strcmp(key, "idleBackoff") == 0) {
			if (!json_is_boolean(v))
				ERR("config: \"worker.idleBackoff\" must be true or false");
			cfg->idle_backoff = json_is_true(v);
		} else if (strcmp(key, "idleSleepMaxUs") == 0) {
			if (json_uint(v, "worker.idleSleepMaxUs", 1, 100000, &n, err, errlen) < 0)
				return -1;
			cfg->idle_sleep_max_us = (unsigned int)n;
		} else {
			ERR("config: unknown key \"worker.%s\"", key);
		}
	}
	return 0;
}

/* --- L2 sides ------------------------------------------------------------- */

static int parse_nwid(const char *v, size_t len, uint64_t *out)
{
	uint64_t nwid = 0;

	if (len != 16)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = v[i];
		unsigned int d = c >= '0' && c <= '9' ? (unsigned int)(c - '0') :
				 c >= 'a' && c <= 'f' ? (unsigned int)(c - 'a' + 10) :
				 c >= 'A' && c <= 'F' ? (unsigned int)(c - 'A' + 10) : 16;

		if (d == 16)
			return -1;
		nwid = nwid << 4 | d;
	}
	*out = nwid;
	return 0;
}

int ztdp_l2_spec_parse(struct ztdp_l2_spec *spec, const char *v, const char *what,
		       char *err, size_t errlen)
{
	const char *colon = strchr(v, ':');
	size_t klen = colon != NULL ? (size_t)(colon - v) : strlen(v);
	const char *arg = colon != NULL ? colon + 1 : "";

	memset(spec, 0, sizeof(*spec));
	if (strlen(arg) >= sizeof(spec->arg))
		ERR("%s '%s': too long", what, v);
	if ((klen == 3 && strncmp(v, "tap", 3) == 0) || (klen == 4 && strncmp(v, "veth", 4) == 0)) {
		spec->kind = klen == 3 ? ZTDP_L2_TAP : ZTDP_L2_VETH;
		/* veth: the polled end is the name + "p". */
		if (strlen(arg) >= (spec->kind == ZTDP_L2_TAP ? 16u : 15u))
			ERR("%s '%s': an interface name has at most 15 characters", what, v);
		for (const char *c = arg; *c != '\0'; c++)
			if (*c == '/' || *c == ' ' || *c == ',' || *c == '=')
				ERR("%s '%s': bad interface name", what, v);
	} else if (klen == 4 && strncmp(v, "port", 4) == 0 && arg[0] != '\0') {
		spec->kind = ZTDP_L2_PORT;
	} else if (klen == 4 && strncmp(v, "vdev", 4) == 0 && arg[0] != '\0') {
		spec->kind = ZTDP_L2_VDEV;
	} else if (klen == 4 && strncmp(v, "none", 4) == 0 && colon == NULL) {
		spec->kind = ZTDP_L2_NONE;
	} else {
		ERR("%s '%s': expected veth[:IFNAME], tap[:IFNAME], port:N, vdev:DEVARGS or none",
		    what, v);
	}
	snprintf(spec->arg, sizeof(spec->arg), "%s", arg);
	return 0;
}

/* NWID=SPEC; a later one for the same network replaces the earlier. */
static int add_l2(struct ztdp_app_config *cfg, const char *nwid_s, size_t nwid_len,
		  const char *spec, const char *what, char *err, size_t errlen)
{
	struct ztdp_l2_spec s;
	uint64_t nwid;
	unsigned int i;

	if (parse_nwid(nwid_s, nwid_len, &nwid) < 0)
		ERR("%s: '%.*s' is not a network ID (16 hex digits)", what, (int)nwid_len, nwid_s);
	if (ztdp_l2_spec_parse(&s, spec, what, err, errlen) < 0)
		return -1;
	s.nwid = nwid;
	for (i = 0; i < cfg->l2_count; i++)
		if (cfg->l2[i].nwid == nwid)
			break;
	if (i == cfg->l2_count) {
		if (cfg->l2_count >= ZTDP_MAX_JOIN)
			ERR("%s: more than %d networks", what, ZTDP_MAX_JOIN);
		cfg->l2_count++;
	}
	cfg->l2[i] = s;
	return 0;
}

static int json_l2(struct ztdp_app_config *cfg, json_t *obj, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		ERR("config: \"l2\" must be an object of network ID -> \"tap\", \"port:N\", ...");
	json_object_foreach(obj, key, v) {
		if (!json_is_string(v))
			ERR("config: \"l2\".\"%s\" must be a string", key);
		if (add_l2(cfg, key, strlen(key), json_string_value(v), "config: \"l2\"",
			   err, errlen) < 0)
			return -1;
	}
	return 0;
}

static int load_root(struct ztdp_app_config *cfg, const json_t *root,
		     char *err, size_t errlen)
{
	const char *key, *s;
	json_t *v;

	if (!json_is_object(root))
		ERR("config: the top level must be an object");
	json_object_foreach((json_t *)root, key, v) {
		if (strcmp(key, "stateDir") == 0) {
			if (json_str(v, key, &s, err, errlen) < 0 ||
			    set_path(cfg->state_dir, sizeof(cfg->state_dir), s,
				     "config: \"stateDir\"", err, errlen) < 0)
				return -1;
		} else if (strcmp(key, "planet") == 0) {
			if (json_is_null(v)) {
				cfg->planet_path[0] = '\0';
				continue;
			}
			if (json_str(v, key, &s, err, errlen) < 0 ||
			    set_path(cfg->planet_path, sizeof(cfg->planet_path), s,
				     "config: \"planet\"", err, errlen) < 0)
				return -1;
		} else if (strcmp(key, "rpcSocket") == 0) {
			if (json_str(v, key, &s, err, errlen) < 0 ||
			    set_path(cfg->rpc_socket, sizeof(cfg->rpc_socket), s,
				     "config: \"rpcSocket\"", err, errlen) < 0)
				return -1;
		} else if (strcmp(key, "join") == 0) {
			size_t i;
			json_t *nw;

			if (!json_is_array(v))
				ERR("config: \"join\" must be an array of network IDs");
			json_array_foreach(v, i, nw) {
				if (!json_is_string(nw))
					ERR("config: \"join\"[%zu] must be a string", i);
				if (add_join(cfg, json_string_value(nw), "config: \"join\"",
					     err, errlen) < 0)
					return -1;
			}
		} else if (strcmp(key, "logLevel") == 0) {
			if (json_str(v, key, &s, err, errlen) < 0)
				return -1;
			cfg->log_level = ztdp_config_parse_log_level(s);
			if (cfg->log_level < 0)
				ERR("config: \"logLevel\" '%s': use error, warning, notice, info or debug", s);
		} else if (strcmp(key, "l2") == 0) {
			if (json_l2(cfg, v, err, errlen) < 0)
				return -1;
		} else if (strcmp(key, "manageAddresses") == 0) {
			if (!json_is_boolean(v))
				ERR("config: \"manageAddresses\" must be true or false");
			cfg->manage_addresses = json_is_true(v);
		} else if (strcmp(key, "underlay") == 0) {
			if (load_underlay(cfg, v, err, errlen) < 0)
				return -1;
		} else if (strcmp(key, "settings") == 0) {
			if (load_settings(cfg, v, err, errlen) < 0)
				return -1;
		} else if (strcmp(key, "worker") == 0) {
			if (load_worker(cfg, v, err, errlen) < 0)
				return -1;
		} else if (strcmp(key, "physical") == 0 || strcmp(key, "virtual") == 0) {
			warn("\"%s\" is a ZeroTierOne local.conf section ztdp does not use; ignored", key);
		} else {
			ERR("config: unknown key \"%s\"", key);
		}
	}
	return 0;
}

int ztdp_config_load_file(struct ztdp_app_config *cfg, const char *path,
			  char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	char sub[256];
	int rc;

	if (root == NULL) {
		if (jerr.line < 1)
			ERR("config %s: %s", path, jerr.text);
		ERR("config %s: line %d column %d: %s", path, jerr.line,
		    jerr.column, jerr.text);
	}
	rc = load_root(cfg, root, sub, sizeof(sub));
	json_decref(root);
	if (rc < 0)
		/* "config: ..." becomes "config FILE: ..." */
		ERR("config %s%s", path, sub + strlen("config"));
	return 0;
}

/* --- The command line --------------------------------------------------- */

enum {
	OPT_CONFIG = 256, OPT_STATE_DIR, OPT_PLANET, OPT_JOIN, OPT_UNDERLAY_PORT,
	OPT_ADDRESS, OPT_ADDRESS6, OPT_GATEWAY, OPT_PORT, OPT_RPC_SOCKET,
	OPT_MTU, OPT_MBUFS, OPT_BUSY_POLL, OPT_IDLE_SLEEP_MAX, OPT_LOG_LEVEL,
	OPT_L2, OPT_NO_MANAGE, OPT_HELP, OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "planet", required_argument, NULL, OPT_PLANET },
	{ "join", required_argument, NULL, OPT_JOIN },
	{ "underlay-port", required_argument, NULL, OPT_UNDERLAY_PORT },
	{ "address", required_argument, NULL, OPT_ADDRESS },
	{ "address6", required_argument, NULL, OPT_ADDRESS6 },
	{ "gateway", required_argument, NULL, OPT_GATEWAY },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "rpc-socket", required_argument, NULL, OPT_RPC_SOCKET },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "mbufs", required_argument, NULL, OPT_MBUFS },
	{ "busy-poll", no_argument, NULL, OPT_BUSY_POLL },
	{ "idle-sleep-max", required_argument, NULL, OPT_IDLE_SLEEP_MAX },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "l2", required_argument, NULL, OPT_L2 },
	{ "no-manage-addresses", no_argument, NULL, OPT_NO_MANAGE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static int apply_option(struct ztdp_app_config *cfg, int opt, const char *v,
			char *err, size_t errlen)
{
	unsigned long n;

	switch (opt) {
	case OPT_STATE_DIR:
		return set_path(cfg->state_dir, sizeof(cfg->state_dir), v,
				"--state-dir", err, errlen);
	case OPT_PLANET:
		return set_path(cfg->planet_path, sizeof(cfg->planet_path), v,
				"--planet", err, errlen);
	case OPT_RPC_SOCKET:
		return set_path(cfg->rpc_socket, sizeof(cfg->rpc_socket), v,
				"--rpc-socket", err, errlen);
	case OPT_JOIN:
		return add_join(cfg, v, "--join", err, errlen);
	case OPT_UNDERLAY_PORT:
		if (parse_uint(v, 0, UINT16_MAX - 1, &n) < 0)
			ERR("--underlay-port '%s': expected a DPDK port id (0, 1, ...)", v);
		cfg->port_id = (uint16_t)n;
		return 0;
	case OPT_ADDRESS:
		return set_address(cfg, v, 4, "--address", err, errlen);
	case OPT_ADDRESS6:
		return set_address(cfg, v, 6, "--address6", err, errlen);
	case OPT_GATEWAY:
		return set_gateway(cfg, v, 0, "--gateway", err, errlen);
	case OPT_PORT:
		if (parse_uint(v, 1, 65535, &n) < 0)
			ERR("--port '%s': expected a UDP port (1-65535)", v);
		cfg->primary_port = (uint16_t)n;
		return 0;
	case OPT_MTU:
		if (parse_uint(v, 1280, 9000, &n) < 0)
			ERR("--mtu '%s': expected 1280-9000", v);
		cfg->mtu = (uint16_t)n;
		return 0;
	case OPT_MBUFS:
		if (parse_uint(v, 0, 1u << 22, &n) < 0)
			ERR("--mbufs '%s': expected a count (0 = automatic)", v);
		cfg->mbufs = (unsigned int)n;
		return 0;
	case OPT_BUSY_POLL:
		cfg->idle_backoff = false;
		return 0;
	case OPT_L2: {
		const char *eq = strchr(v, '=');

		if (eq == NULL)
			ERR("--l2 '%s': expected NWID=SPEC (e.g. 8056c2e21c000001=tap)", v);
		return add_l2(cfg, v, (size_t)(eq - v), eq + 1, "--l2", err, errlen);
	}
	case OPT_NO_MANAGE:
		cfg->manage_addresses = false;
		return 0;
	case OPT_IDLE_SLEEP_MAX:
		if (parse_uint(v, 1, 100000, &n) < 0)
			ERR("--idle-sleep-max '%s': expected microseconds (1-100000)", v);
		cfg->idle_sleep_max_us = (unsigned int)n;
		return 0;
	case OPT_LOG_LEVEL:
		cfg->log_level = ztdp_config_parse_log_level(v);
		if (cfg->log_level < 0)
			ERR("--log-level '%s': use error, warning, notice, info or debug", v);
		return 0;
	default:
		return 0;
	}
}

/* What only makes sense once every source is in. */
static int check_config(struct ztdp_app_config *cfg, char *err, size_t errlen)
{
	if (!cfg->has_ip4 && !cfg->has_ip6)
		ERR("no underlay address: give --address A.B.C.D/PREFIX and/or --address6 ADDR/PREFIX");
	if (cfg->has_gw4) {
		struct ztdp_underlay probe;
		struct ztdp_inetaddr gw, nh;

		if (!cfg->has_ip4)
			ERR("an IPv4 gateway needs an IPv4 --address");
		/* On the subnet, by the underlay's own next-hop rule. */
		memset(&probe, 0, sizeof(probe));
		probe.has_ip4 = true;
		memcpy(probe.ip4, cfg->ip4, 4);
		probe.prefix4 = cfg->prefix4;
		ztdp_inetaddr_set_v4(&gw, (uint32_t)cfg->gw4[0] << 24 |
				     (uint32_t)cfg->gw4[1] << 16 |
				     (uint32_t)cfg->gw4[2] << 8 | cfg->gw4[3], 0);
		if (ztdp_underlay_next_hop(&probe, &gw, &nh) < 0 ||
		    memcmp(nh.ip, cfg->gw4, 4) != 0 || !memcmp(cfg->gw4, cfg->ip4, 4))
			ERR("gateway %u.%u.%u.%u is not on the subnet of the IPv4 address (/%u)",
			    cfg->gw4[0], cfg->gw4[1], cfg->gw4[2], cfg->gw4[3],
			    cfg->prefix4);
	}
	if (cfg->has_gw6) {
		struct ztdp_underlay probe;
		struct ztdp_inetaddr gw, nh;

		if (!cfg->has_ip6)
			ERR("an IPv6 gateway needs an --address6");
		memset(&probe, 0, sizeof(probe));
		probe.has_ip6 = true;
		memcpy(probe.ip6, cfg->ip6, 16);
		probe.prefix6 = cfg->prefix6;
		ztdp_inetaddr_set_v6(&gw, cfg->gw6, 0);
		if (ztdp_underlay_next_hop(&probe, &gw, &nh) < 0)
			ERR("IPv6 gateway is neither link-local nor on the subnet of --address6");
	}
	if (cfg->rpc_socket[0] == '\0') {
		if (strlen(cfg->state_dir) + strlen("/ztdp.sock") >= sizeof(cfg->rpc_socket))
			ERR("--state-dir: path too long");
		snprintf(cfg->rpc_socket, sizeof(cfg->rpc_socket), "%s/ztdp.sock",
			 cfg->state_dir);
	}
	/* sun_path is 108 bytes: say so now rather than at bind(). */
	if (strlen(cfg->rpc_socket) >= 108)
		ERR("RPC socket path '%s' is longer than a Unix socket allows (107); use --rpc-socket",
		    cfg->rpc_socket);
	return 0;
}

int ztdp_config_from_args(struct ztdp_app_config *cfg, int argc, char **argv,
			  char *err, size_t errlen)
{
	const char *config_file = NULL;
	int opt;

	set_defaults(cfg);
	opterr = 0;
	/* Pass 1: --help, --version and --config, which the rest builds on. */
	optind = 0;
	while ((opt = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			ztdp_config_usage(stdout);
			return 1;
		}
		if (opt == OPT_VERSION) {
			printf(ZTDP_PROG " %s\n", ZTDP_VERSION);
			return 1;
		}
		if (opt == OPT_CONFIG)
			config_file = optarg;
	}
	if (config_file != NULL) {
		if (set_path(cfg->config_path, sizeof(cfg->config_path), config_file,
			     "--config", err, errlen) < 0 ||
		    ztdp_config_load_file(cfg, config_file, err, errlen) < 0)
			return -1;
	}
	/* Pass 2: everything else, over the file's values. */
	optind = 0;
	while ((opt = getopt_long(argc, argv, ":", long_opts, NULL)) != -1) {
		if (opt == '?')
			ERR("unknown option '%s' (see --help)", argv[optind - 1]);
		if (opt == ':')
			ERR("option '%s' needs a value", argv[optind - 1]);
		if (apply_option(cfg, opt, optarg, err, errlen) < 0)
			return -1;
	}
	if (optind < argc)
		ERR("unexpected argument '%s' (ztdp options start with --; see --help)",
		    argv[optind]);
	return check_config(cfg, err, errlen);
}
