/*
 * duet_stdio: mutes the process's stderr (file descriptor 2) while
 * TensorFlow's library loads. TensorFlow 2.16+ logs through absl before
 * absl::InitializeLog() runs, so TF_CPP_MIN_LOG_LEVEL cannot hide its start-up
 * lines (e.g. "oneDNN custom operations are on", printed on CPUs where oneDNN
 * turns itself on). The lines are written by C++ to fd 2 directly, so only a
 * file-descriptor redirect reaches them; Node has no API for dup2.
 *
 * mute()      -> a saved copy of fd 2 (a number), with fd 2 now /dev/null
 * restore(fd) -> fd 2 is the saved descriptor again; the copy is closed
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <node_api.h>

static napi_value mute(napi_env env, napi_callback_info info) {
  (void)info;
  fflush(stderr);
  int saved = dup(2);
  int null_fd = open("/dev/null", O_WRONLY);
  if (saved >= 0 && null_fd >= 0) dup2(null_fd, 2);
  if (null_fd >= 0) close(null_fd);
  napi_value result;
  napi_create_int32(env, saved, &result);
  return result;
}

static napi_value restore(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t saved = -1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc >= 1) napi_get_value_int32(env, argv[0], &saved);
  if (saved >= 0) {
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"mute", NULL, mute, NULL, NULL, NULL, napi_default, NULL},
    {"restore", NULL, restore, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 2, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
