// SO_PEERCRED for Node: getPeerCred(fd) -> { pid, uid, gid } of the process at the other end of a
// connected UNIX socket. Plain N-API, no dependencies.
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <node_api.h>

static napi_value throw_errno(napi_env env, int err) {
  napi_throw_error(env, NULL, strerror(err));
  return NULL;
}

static napi_value get_peer_cred(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "getPeerCred(fd: number)");
    return NULL;
  }
  struct ucred cred;
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return throw_errno(env, errno);
  napi_value obj, pid, uid, gid;
  napi_create_object(env, &obj);
  napi_create_int32(env, cred.pid, &pid);
  napi_create_uint32(env, cred.uid, &uid);
  napi_create_uint32(env, cred.gid, &gid);
  napi_set_named_property(env, obj, "pid", pid);
  napi_set_named_property(env, obj, "uid", uid);
  napi_set_named_property(env, obj, "gid", gid);
  return obj;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "getPeerCred", NAPI_AUTO_LENGTH, get_peer_cred, NULL, &fn);
  napi_set_named_property(env, exports, "getPeerCred", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
