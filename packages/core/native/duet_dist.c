/*
 * duet_dist: TensorFlow's collective runtime for Duet's data-parallel training
 * (issue 13; design in docs/design/distributed.md).
 *
 * The addon owns its own eager context (TFE_Context), separate from the one
 * tfjs-node's binding uses, and turns collective ops on in it with
 * TFE_EnableCollectiveOps: that starts TensorFlow's gRPC server for this task
 * and lets CollectiveReduceV2 / CollectiveGatherV2 / CollectiveBcastSendV2 /
 * CollectiveBcastRecvV2 run between the tasks of the cluster (ring reduction
 * on CPU). Tensors cross between tfjs and this context as host bytes: the JS
 * side hands a typed array, the addon copies it into a TF_Tensor, runs the
 * collective with TFE_Execute and copies the result into a new ArrayBuffer.
 *
 * Exports (all synchronous; they block the calling thread like PyTorch's
 * collectives without async_op):
 *   enable(serverDef: Uint8Array)            create the context, start the server
 *   checkPeer(task: string, timeoutMs)       -> [code, message] (0 = healthy)
 *   collective(kind, data, shape, keys)      -> { data, shape }
 *       kind: 'reduce' | 'gather' | 'send' | 'recv'
 *       keys: { groupSize, groupKey, instanceKey, timeoutSeconds,
 *               device, mergeOp?, finalOp?, dtype? (for recv),
 *               watch?: string[] (peer task names, see below) }
 *     While a collective with `watch` runs, a watchdog thread asks each
 *     peer's health every 500 ms; a peer whose port refuses connections
 *     (UNAVAILABLE: its process is gone) aborts the collectives at once, so
 *     the survivors fail in about a second instead of after the timeout.
 *     A slow answer is not treated as death (the op's timeout covers that).
 *   abort(message)                           fail every pending/future collective
 * Errors are thrown as Error objects with `tfCode` (TF_Code) set.
 *
 * Built by packages/core/scripts/provision-build.mjs (buildDistAddon) against
 * the same headers (deps/include) and library (deps/lib) as tfjs's binding.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <node_api.h>

#include "tensorflow/c/c_api.h"
#include "tensorflow/c/c_api_experimental.h"
#include "tensorflow/c/eager/c_api.h"

static TFE_Context* g_ctx = NULL;

#define NAPI_CALL(env, call)                                  \
  do {                                                        \
    if ((call) != napi_ok) {                                  \
      napi_throw_error((env), NULL, "duet_dist: N-API call failed: " #call); \
      return NULL;                                            \
    }                                                         \
  } while (0)

static void throw_tf(napi_env env, int code, const char* message) {
  napi_value msg, err, code_v;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &err);
  napi_create_int32(env, code, &code_v);
  napi_set_named_property(env, err, "tfCode", code_v);
  napi_throw(env, err);
}

static void throw_status(napi_env env, TF_Status* s) {
  throw_tf(env, (int)TF_GetCode(s), TF_Message(s));
}

static int get_string(napi_env env, napi_value v, char* buf, size_t cap) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, cap, &len) != napi_ok) return 0;
  return len < cap - 1;
}

static int get_named_int(napi_env env, napi_value obj, const char* name, int64_t* out) {
  napi_value v;
  bool has = false;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return 0;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return 0;
  return napi_get_value_int64(env, v, out) == napi_ok;
}

static int get_named_double(napi_env env, napi_value obj, const char* name, double* out) {
  napi_value v;
  bool has = false;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return 0;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return 0;
  return napi_get_value_double(env, v, out) == napi_ok;
}

static int get_named_string(napi_env env, napi_value obj, const char* name, char* buf, size_t cap) {
  napi_value v;
  bool has = false;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return 0;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return 0;
  return get_string(env, v, buf, cap);
}

static napi_value enable(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (g_ctx != NULL) {
    throw_tf(env, TF_FAILED_PRECONDITION, "collective ops are already enabled in this process");
    return NULL;
  }
  bool is_ta = false;
  if (argc < 1 || napi_is_typedarray(env, argv[0], &is_ta) != napi_ok || !is_ta) {
    napi_throw_type_error(env, NULL, "enable(serverDef): expected a Uint8Array");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length;
  void* data;
  NAPI_CALL(env, napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL));
  TF_Status* s = TF_NewStatus();
  TFE_ContextOptions* opts = TFE_NewContextOptions();
  TFE_Context* ctx = TFE_NewContext(opts, s);
  TFE_DeleteContextOptions(opts);
  if (TF_GetCode(s) != TF_OK) {
    throw_status(env, s);
    TF_DeleteStatus(s);
    return NULL;
  }
  TFE_EnableCollectiveOps(ctx, data, length, s);
  if (TF_GetCode(s) != TF_OK) {
    /* TensorFlow cannot destroy a context whose server failed half-way
       reliably either; the failed context is only deleted when no server
       was stored, which is the case on every error path of
       EnableCollectiveOps before the server starts. */
    throw_status(env, s);
    TF_DeleteStatus(s);
    TFE_DeleteContext(ctx);
    return NULL;
  }
  TF_DeleteStatus(s);
  g_ctx = ctx;
  return NULL;
}

static napi_value check_peer(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (g_ctx == NULL) {
    throw_tf(env, TF_FAILED_PRECONDITION, "collective ops are not enabled");
    return NULL;
  }
  char task[256];
  int64_t timeout_ms = 0;
  if (argc < 2 || !get_string(env, argv[0], task, sizeof task) || napi_get_value_int64(env, argv[1], &timeout_ms) != napi_ok) {
    napi_throw_type_error(env, NULL, "checkPeer(task: string, timeoutMs: number)");
    return NULL;
  }
  TF_Status* s = TF_NewStatus();
  TFE_CollectiveOpsCheckPeerHealth(g_ctx, task, timeout_ms, s);
  napi_value out, code, msg;
  napi_create_array_with_length(env, 2, &out);
  napi_create_int32(env, (int)TF_GetCode(s), &code);
  napi_create_string_utf8(env, TF_Message(s), NAPI_AUTO_LENGTH, &msg);
  napi_set_element(env, out, 0, code);
  napi_set_element(env, out, 1, msg);
  TF_DeleteStatus(s);
  return out;
}

static napi_value do_abort(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (g_ctx == NULL) return NULL;
  char message[1024] = "collective ops were aborted";
  if (argc >= 1) get_string(env, argv[0], message, sizeof message);
  TF_Status* s = TF_NewStatus();
  TF_SetStatus(s, TF_ABORTED, message);
  TFE_AbortCollectiveOps(g_ctx, s);
  TF_DeleteStatus(s);
  return NULL;
}

static TF_DataType dtype_of(napi_typedarray_type t, size_t* elem) {
  switch (t) {
    case napi_float32_array: *elem = 4; return TF_FLOAT;
    case napi_float64_array: *elem = 8; return TF_DOUBLE;
    case napi_int32_array: *elem = 4; return TF_INT32;
    default: *elem = 0; return (TF_DataType)0;
  }
}

static TF_DataType dtype_named(const char* name, size_t* elem) {
  if (strcmp(name, "float32") == 0) { *elem = 4; return TF_FLOAT; }
  if (strcmp(name, "float64") == 0) { *elem = 8; return TF_DOUBLE; }
  if (strcmp(name, "int32") == 0) { *elem = 4; return TF_INT32; }
  *elem = 0;
  return (TF_DataType)0;
}

static TFE_TensorHandle* scalar_i32(int32_t v, TF_Status* s) {
  TF_Tensor* t = TF_AllocateTensor(TF_INT32, NULL, 0, sizeof(int32_t));
  memcpy(TF_TensorData(t), &v, sizeof v);
  TFE_TensorHandle* h = TFE_NewTensorHandle(t, s);
  TF_DeleteTensor(t);
  return h;
}

static TFE_TensorHandle* vector_i32(const int64_t* vals, int n, TF_Status* s) {
  int64_t dims[1] = {n};
  TF_Tensor* t = TF_AllocateTensor(TF_INT32, dims, 1, sizeof(int32_t) * (size_t)n);
  int32_t* d = (int32_t*)TF_TensorData(t);
  for (int i = 0; i < n; i++) d[i] = (int32_t)vals[i];
  TFE_TensorHandle* h = TFE_NewTensorHandle(t, s);
  TF_DeleteTensor(t);
  return h;
}


#define MAX_WATCH 64

typedef struct {
  char tasks[MAX_WATCH][128];
  int n;
  int done;
  pthread_mutex_t mu;
  pthread_cond_t cv;
} Watch;

static void* watch_main(void* arg) {
  Watch* w = (Watch*)arg;
  TF_Status* s = TF_NewStatus();
  pthread_mutex_lock(&w->mu);
  while (!w->done) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 500 * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec += 1;
      until.tv_nsec -= 1000000000L;
    }
    int rc = 0;
    while (!w->done && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&w->cv, &w->mu, &until);
    if (w->done) break;
    pthread_mutex_unlock(&w->mu);
    int dead = -1;
    for (int i = 0; i < w->n && dead < 0; i++) {
      TFE_CollectiveOpsCheckPeerHealth(g_ctx, w->tasks[i], 2000, s);
      if (TF_GetCode(s) == TF_UNAVAILABLE) dead = i;
    }
    pthread_mutex_lock(&w->mu);
    if (dead >= 0 && !w->done) {
      char message[512];
      snprintf(message, sizeof message, "peer %s is unreachable (its process is gone): %s", w->tasks[dead], TF_Message(s));
      TF_Status* abort_status = TF_NewStatus();
      TF_SetStatus(abort_status, TF_UNAVAILABLE, message);
      TFE_AbortCollectiveOps(g_ctx, abort_status);
      TF_DeleteStatus(abort_status);
      break;
    }
  }
  pthread_mutex_unlock(&w->mu);
  TF_DeleteStatus(s);
  return NULL;
}

/* Read keys.watch (an array of task names) into w; returns the count. */
static int read_watch(napi_env env, napi_value keys, Watch* w) {
  bool has = false;
  napi_value arr;
  uint32_t n = 0;
  w->n = 0;
  if (napi_has_named_property(env, keys, "watch", &has) != napi_ok || !has) return 0;
  if (napi_get_named_property(env, keys, "watch", &arr) != napi_ok) return 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return 0;
  for (uint32_t i = 0; i < n && w->n < MAX_WATCH; i++) {
    napi_value v;
    if (napi_get_element(env, arr, i, &v) != napi_ok) continue;
    if (get_string(env, v, w->tasks[w->n], sizeof w->tasks[0])) w->n++;
  }
  return w->n;
}

#define MAX_DIMS 16

/* collective(kind, data | null, shape, keys) -> { data, shape } */
static napi_value collective(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (g_ctx == NULL) {
    throw_tf(env, TF_FAILED_PRECONDITION, "collective ops are not enabled");
    return NULL;
  }
  char kind[16];
  if (argc < 4 || !get_string(env, argv[0], kind, sizeof kind)) {
    napi_throw_type_error(env, NULL, "collective(kind, data, shape, keys)");
    return NULL;
  }
  int is_recv = strcmp(kind, "recv") == 0;
  const char* op_name = strcmp(kind, "reduce") == 0 ? "CollectiveReduceV2"
                        : strcmp(kind, "gather") == 0 ? "CollectiveGatherV2"
                        : strcmp(kind, "send") == 0   ? "CollectiveBcastSendV2"
                        : is_recv                     ? "CollectiveBcastRecvV2"
                                                      : NULL;
  if (op_name == NULL) {
    napi_throw_type_error(env, NULL, "collective: kind must be reduce, gather, send or recv");
    return NULL;
  }

  /* shape */
  uint32_t ndims = 0;
  NAPI_CALL(env, napi_get_array_length(env, argv[2], &ndims));
  if (ndims > MAX_DIMS) {
    napi_throw_range_error(env, NULL, "collective: at most 16 dimensions");
    return NULL;
  }
  int64_t dims[MAX_DIMS];
  size_t count = 1;
  for (uint32_t i = 0; i < ndims; i++) {
    napi_value d;
    NAPI_CALL(env, napi_get_element(env, argv[2], i, &d));
    NAPI_CALL(env, napi_get_value_int64(env, d, &dims[i]));
    if (dims[i] < 0) {
      napi_throw_range_error(env, NULL, "collective: negative dimension");
      return NULL;
    }
    count *= (size_t)dims[i];
  }

  /* keys */
  napi_value keys = argv[3];
  int64_t group_size, group_key, instance_key;
  double timeout_s = 0;
  char device[256], merge_op[16] = "Add", final_op[16] = "Id", dtype_name[16] = "float32";
  if (!get_named_int(env, keys, "groupSize", &group_size) || !get_named_int(env, keys, "groupKey", &group_key) ||
      !get_named_int(env, keys, "instanceKey", &instance_key) || !get_named_string(env, keys, "device", device, sizeof device)) {
    napi_throw_type_error(env, NULL, "collective: keys needs groupSize, groupKey, instanceKey, device");
    return NULL;
  }
  get_named_double(env, keys, "timeoutSeconds", &timeout_s);
  get_named_string(env, keys, "mergeOp", merge_op, sizeof merge_op);
  get_named_string(env, keys, "finalOp", final_op, sizeof final_op);
  get_named_string(env, keys, "dtype", dtype_name, sizeof dtype_name);

  /* input data */
  TF_DataType dtype;
  size_t elem = 0;
  void* in_data = NULL;
  if (is_recv) {
    dtype = dtype_named(dtype_name, &elem);
  } else {
    bool is_ta = false;
    NAPI_CALL(env, napi_is_typedarray(env, argv[1], &is_ta));
    if (!is_ta) {
      napi_throw_type_error(env, NULL, "collective: data must be a Float32Array, Float64Array or Int32Array");
      return NULL;
    }
    napi_typedarray_type ta_type;
    size_t length;
    NAPI_CALL(env, napi_get_typedarray_info(env, argv[1], &ta_type, &length, &in_data, NULL, NULL));
    dtype = dtype_of(ta_type, &elem);
    if (elem != 0 && length != count) {
      napi_throw_range_error(env, NULL, "collective: data length does not match shape");
      return NULL;
    }
  }
  if (elem == 0) {
    napi_throw_type_error(env, NULL, "collective: dtype must be float32, float64 or int32");
    return NULL;
  }

  TF_Status* s = TF_NewStatus();
  TFE_TensorHandle* handles[5] = {NULL, NULL, NULL, NULL, NULL};
  int nh = 0;
  TFE_Op* op = NULL;
  napi_value result = NULL;

#define CHECK_S()                 \
  if (TF_GetCode(s) != TF_OK) {   \
    throw_status(env, s);         \
    goto cleanup;                 \
  }

  op = TFE_NewOp(g_ctx, op_name, s);
  CHECK_S();
  TFE_OpSetDevice(op, device, s);
  CHECK_S();
  if (!is_recv) {
    TF_Tensor* t = TF_AllocateTensor(dtype, dims, (int)ndims, elem * count);
    if (count > 0) memcpy(TF_TensorData(t), in_data, elem * count);
    handles[nh] = TFE_NewTensorHandle(t, s);
    TF_DeleteTensor(t);
    CHECK_S();
    TFE_OpAddInput(op, handles[nh++], s);
    CHECK_S();
  }
  handles[nh] = scalar_i32((int32_t)group_size, s);
  CHECK_S();
  TFE_OpAddInput(op, handles[nh++], s);
  CHECK_S();
  handles[nh] = scalar_i32((int32_t)group_key, s);
  CHECK_S();
  TFE_OpAddInput(op, handles[nh++], s);
  CHECK_S();
  handles[nh] = scalar_i32((int32_t)instance_key, s);
  CHECK_S();
  TFE_OpAddInput(op, handles[nh++], s);
  CHECK_S();
  if (is_recv) {
    handles[nh] = vector_i32(dims, (int)ndims, s);
    CHECK_S();
    TFE_OpAddInput(op, handles[nh++], s);
    CHECK_S();
    TFE_OpSetAttrType(op, "Tshape", TF_INT32);
  }
  if (strcmp(kind, "reduce") == 0 || strcmp(kind, "gather") == 0) {
    TFE_OpAddInputList(op, NULL, 0, s); /* ordering_token: none */
    CHECK_S();
  }
  TFE_OpSetAttrType(op, "T", dtype);
  TFE_OpSetAttrString(op, "communication_hint", "auto", 4);
  TFE_OpSetAttrFloat(op, "timeout_seconds", (float)timeout_s);
  if (strcmp(kind, "reduce") == 0) {
    TFE_OpSetAttrString(op, "merge_op", merge_op, strlen(merge_op));
    TFE_OpSetAttrString(op, "final_op", final_op, strlen(final_op));
  }

  {
    TFE_TensorHandle* out = NULL;
    int num_out = 1;
    Watch* w = (Watch*)calloc(1, sizeof(Watch));
    pthread_t watcher;
    int watching = w != NULL && read_watch(env, keys, w) > 0;
    if (watching) {
      pthread_mutex_init(&w->mu, NULL);
      pthread_cond_init(&w->cv, NULL);
      watching = pthread_create(&watcher, NULL, watch_main, w) == 0;
      if (!watching) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
      }
    }
    TFE_Execute(op, &out, &num_out, s);
    if (watching) {
      pthread_mutex_lock(&w->mu);
      w->done = 1;
      pthread_cond_signal(&w->cv);
      pthread_mutex_unlock(&w->mu);
      pthread_join(watcher, NULL);
      pthread_mutex_destroy(&w->mu);
      pthread_cond_destroy(&w->cv);
    }
    free(w);
    CHECK_S();
    TF_Tensor* t = TFE_TensorHandleResolve(out, s);
    TFE_DeleteTensorHandle(out);
    CHECK_S();
    int ond = TF_NumDims(t);
    size_t bytes = TF_TensorByteSize(t);
    void* buf = NULL;
    napi_value ab, ta, shape_v, dim_v;
    if (napi_create_arraybuffer(env, bytes, &buf, &ab) != napi_ok) {
      TF_DeleteTensor(t);
      napi_throw_error(env, NULL, "duet_dist: cannot allocate the result buffer");
      goto cleanup;
    }
    if (bytes > 0) memcpy(buf, TF_TensorData(t), bytes);
    napi_typedarray_type out_type = dtype == TF_FLOAT ? napi_float32_array : dtype == TF_DOUBLE ? napi_float64_array : napi_int32_array;
    napi_create_typedarray(env, out_type, bytes / elem, ab, 0, &ta);
    napi_create_array_with_length(env, (size_t)ond, &shape_v);
    for (int i = 0; i < ond; i++) {
      napi_create_int64(env, TF_Dim(t, i), &dim_v);
      napi_set_element(env, shape_v, (uint32_t)i, dim_v);
    }
    TF_DeleteTensor(t);
    napi_create_object(env, &result);
    napi_set_named_property(env, result, "data", ta);
    napi_set_named_property(env, result, "shape", shape_v);
  }

cleanup:
#undef CHECK_S
  if (op != NULL) TFE_DeleteOp(op);
  for (int i = 0; i < nh; i++) TFE_DeleteTensorHandle(handles[i]);
  TF_DeleteStatus(s);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"enable", NULL, enable, NULL, NULL, NULL, napi_default, NULL},
    {"checkPeer", NULL, check_peer, NULL, NULL, NULL, napi_default, NULL},
    {"collective", NULL, collective, NULL, NULL, NULL, napi_default, NULL},
    {"abort", NULL, do_abort, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
