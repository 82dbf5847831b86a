/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The embedded controller's JSON-RPC methods: zerotier-one's /controller
 * HTTP API (controller/EmbeddedNetworkController.cpp's routes) as JSON-RPC.
 * The path parts become params ("nwid", "address"), the POST body becomes
 * "config", and the results are the objects zerotier-one returns, so a
 * script written against its API needs only the transport changed:
 *
 *   GET    /controller                              controller_status
 *   GET    /controller/network                      controller_network_list
 *   POST   /controller/network/<address>______      controller_network_create
 *   GET    /controller/network/<nwid>               controller_network_get
 *   POST   /controller/network/<nwid>               controller_network_update
 *   DELETE /controller/network/<nwid>               controller_network_delete
 *   GET    /controller/network/<nwid>/member        controller_member_list
 *   GET    .../member/<address>                     controller_member_get
 *   POST   .../member/<address>                     controller_member_update
 *   DELETE .../member/<address>                     controller_member_delete
 */
#include <inttypes.h>
#include <stdio.h>

#include "ztdp_controller.h"
#include "ztdp_node.h"
#include "ztdp_rpc.h"

/* A controller result code as a JSON-RPC error, with its one line. */
static int ctl_error(int rc, const char *msg, struct ztdp_rpc_error *err)
{
	int code;

	switch (rc) {
	case ZTDP_CTL_EINVAL:
		code = ZTDP_RPC_INVALID_PARAMS;
		break;
	case ZTDP_CTL_ENOENT:
		code = ZTDP_RPC_NOT_FOUND;
		break;
	case ZTDP_CTL_ENOMEM:
		code = ZTDP_RPC_INTERNAL_ERROR;
		break;
	default:
		code = ZTDP_RPC_FAILED;
		break;
	}
	return ztdp_rpc_set_error(err, code, "%s", msg[0] != '\0' ? msg :
				  ztdp_controller_strerror(rc));
}

static struct ztdp_controller *controller_of(void *vctx)
{
	return ztdp_node_controller(((struct ztdp_rpc_node_ctx *)vctx)->node);
}

/* The controller's answer: its error, or, for a change that went
 * through, store it and tell the members now. */
static int finish(void *vctx, int rc, const char *msg, bool change,
		  struct ztdp_rpc_error *err)
{
	struct ztdp_rpc_node_ctx *ctx = vctx;

	if (rc != 0)
		return ctl_error(rc, msg, err);
	if (change)
		ztdp_node_controller_sync(ctx->node, ztdp_rpc_node_now(ctx));
	return 0;
}

/* The POST body: an object. */
static int config_param(const json_t *params, bool required, const json_t **out,
			struct ztdp_rpc_error *err)
{
	const json_t *v = json_object_get(params, "config");

	*out = NULL;
	if (v == NULL && !required)
		return 0;
	if (!json_is_object(v))
		return ztdp_rpc_set_error(err, ZTDP_RPC_INVALID_PARAMS,
					  "'config' must be a JSON object");
	*out = v;
	return 0;
}

static int m_status(void *vctx, const json_t *params, json_t **result,
		    struct ztdp_rpc_error *err)
{
	if (ztdp_rpc_check_params(params, NULL, err) != 0)
		return -1;
	*result = ztdp_controller_status_json(controller_of(vctx),
					      ztdp_rpc_node_now(vctx));
	return *result != NULL ? 0 : ctl_error(ZTDP_CTL_ENOMEM, "", err);
}

static int m_network_list(void *vctx, const json_t *params, json_t **result,
			  struct ztdp_rpc_error *err)
{
	if (ztdp_rpc_check_params(params, NULL, err) != 0)
		return -1;
	*result = ztdp_controller_network_list_json(controller_of(vctx));
	return *result != NULL ? 0 : ctl_error(ZTDP_CTL_ENOMEM, "", err);
}

/* Check params against names, then read "nwid" and (if address is not
 * NULL) "address". */
static int ids_param(const json_t *params, const char *const *names, uint64_t *nwid,
		     uint64_t *address, struct ztdp_rpc_error *err)
{
	if (ztdp_rpc_check_params(params, names, err) != 0 ||
	    ztdp_rpc_param_hex(params, "nwid", 16, nwid, err) != 0 ||
	    (address != NULL && ztdp_rpc_param_hex(params, "address", 10, address, err) != 0))
		return -1;
	return 0;
}

static const char *const nwid_params[] = { "!nwid", NULL };

static int m_network_get(void *vctx, const json_t *params, json_t **result,
			 struct ztdp_rpc_error *err)
{
	char msg[256] = "";
	uint64_t nwid;
	int rc;

	if (ids_param(params, nwid_params, &nwid, NULL, err) != 0)
		return -1;
	rc = ztdp_controller_network_get(controller_of(vctx), nwid, result, msg, sizeof(msg));
	return finish(vctx, rc, msg, false, err);
}

static int m_network_create(void *vctx, const json_t *params, json_t **result,
			    struct ztdp_rpc_error *err)
{
	static const char *const names[] = { "nwid", "config", NULL };
	const json_t *config;
	char msg[256] = "";
	uint64_t nwid = 0;
	int rc;

	if (ztdp_rpc_check_params(params, names, err) != 0 ||
	    (json_object_get(params, "nwid") != NULL &&
	     ztdp_rpc_param_hex(params, "nwid", 16, &nwid, err) != 0) ||
	    config_param(params, false, &config, err) != 0)
		return -1;
	if (json_object_get(params, "nwid") != NULL && nwid == 0)
		return ztdp_rpc_set_error(err, ZTDP_RPC_INVALID_PARAMS,
					  "network ID 0000000000000000 is not valid");
	rc = ztdp_controller_network_create(controller_of(vctx), nwid, config,
					    ztdp_rpc_node_now(vctx), result, msg, sizeof(msg));
	return finish(vctx, rc, msg, true, err);
}

static int m_network_update(void *vctx, const json_t *params, json_t **result,
			    struct ztdp_rpc_error *err)
{
	static const char *const names[] = { "!nwid", "!config", NULL };
	const json_t *config;
	char msg[256] = "";
	uint64_t nwid;
	int rc;

	if (ids_param(params, names, &nwid, NULL, err) != 0 ||
	    config_param(params, true, &config, err) != 0)
		return -1;
	rc = ztdp_controller_network_update(controller_of(vctx), nwid, config,
					    ztdp_rpc_node_now(vctx), result, msg, sizeof(msg));
	return finish(vctx, rc, msg, true, err);
}

static int m_network_delete(void *vctx, const json_t *params, json_t **result,
			    struct ztdp_rpc_error *err)
{
	char msg[256] = "";
	uint64_t nwid;
	int rc;

	if (ids_param(params, nwid_params, &nwid, NULL, err) != 0)
		return -1;
	rc = ztdp_controller_network_delete(controller_of(vctx), nwid, ztdp_rpc_node_now(vctx),
					    result, msg, sizeof(msg));
	return finish(vctx, rc, msg, true, err);
}

static int m_member_list(void *vctx, const json_t *params, json_t **result,
			 struct ztdp_rpc_error *err)
{
	static const char *const names[] = { "!nwid", "details", NULL };
	const json_t *details = json_object_get(params, "details");
	char msg[256] = "";
	uint64_t nwid;
	int rc;

	if (ids_param(params, names, &nwid, NULL, err) != 0)
		return -1;
	if (details != NULL && !json_is_boolean(details))
		return ztdp_rpc_set_error(err, ZTDP_RPC_INVALID_PARAMS,
					  "'details' must be true or false");
	rc = ztdp_controller_member_list(controller_of(vctx), nwid, json_is_true(details),
					 result, msg, sizeof(msg));
	return finish(vctx, rc, msg, false, err);
}

static const char *const member_params[] = { "!nwid", "!address", NULL };

static int m_member_get(void *vctx, const json_t *params, json_t **result,
			struct ztdp_rpc_error *err)
{
	char msg[256] = "";
	uint64_t nwid, address;
	int rc;

	if (ids_param(params, member_params, &nwid, &address, err) != 0)
		return -1;
	rc = ztdp_controller_member_get(controller_of(vctx), nwid, address, result, msg,
					sizeof(msg));
	return finish(vctx, rc, msg, false, err);
}

static int m_member_update(void *vctx, const json_t *params, json_t **result,
			   struct ztdp_rpc_error *err)
{
	static const char *const names[] = { "!nwid", "!address", "!config", NULL };
	const json_t *config;
	char msg[256] = "";
	uint64_t nwid, address;
	int rc;

	if (ids_param(params, names, &nwid, &address, err) != 0 ||
	    config_param(params, true, &config, err) != 0)
		return -1;
	rc = ztdp_controller_member_update(controller_of(vctx), nwid, address, config,
					   ztdp_rpc_node_now(vctx), result, msg, sizeof(msg));
	return finish(vctx, rc, msg, true, err);
}

static int m_member_delete(void *vctx, const json_t *params, json_t **result,
			   struct ztdp_rpc_error *err)
{
	char msg[256] = "";
	uint64_t nwid, address;
	int rc;

	if (ids_param(params, member_params, &nwid, &address, err) != 0)
		return -1;
	rc = ztdp_controller_member_delete(controller_of(vctx), nwid, address,
					   ztdp_rpc_node_now(vctx), result, msg, sizeof(msg));
	return finish(vctx, rc, msg, true, err);
}

static const struct ztdp_rpc_method controller_methods[] = {
	{ "controller_status", m_status,
	  "the embedded controller: {controller, apiVersion, clock, databaseReady}" },
	{ "controller_network_list", m_network_list,
	  "IDs of the networks this node controls" },
	{ "controller_network_get", m_network_get,
	  "one controlled network: {\"nwid\": \"<16 hex>\"}" },
	{ "controller_network_create", m_network_create,
	  "new network: {\"nwid\"?: \"<16 hex>\" (else random), "
	  "\"config\"?: {name, private, ...}}" },
	{ "controller_network_update", m_network_update,
	  "change a network: {\"nwid\": \"<16 hex>\", \"config\": {...}}" },
	{ "controller_network_delete", m_network_delete,
	  "delete a network and revoke its members: {\"nwid\": \"<16 hex>\"}" },
	{ "controller_member_list", m_member_list,
	  "members: {\"nwid\": \"<16 hex>\", \"details\"?: bool} -> {address: revision} "
	  "or [member]" },
	{ "controller_member_get", m_member_get,
	  "one member: {\"nwid\": \"<16 hex>\", \"address\": \"<10 hex>\"}" },
	{ "controller_member_update", m_member_update,
	  "change a member: {\"nwid\", \"address\", \"config\": {authorized, activeBridge, "
	  "ipAssignments, noAutoAssignIps, name}}" },
	{ "controller_member_delete", m_member_delete,
	  "delete a member (revoked if it was authorized): {\"nwid\", \"address\"}" },
};

int ztdp_rpc_register_controller_methods(struct ztdp_rpc_server *srv,
					 struct ztdp_rpc_node_ctx *ctx)
{
	return ztdp_rpc_register(srv, controller_methods,
				 sizeof(controller_methods) / sizeof(controller_methods[0]), ctx);
}
