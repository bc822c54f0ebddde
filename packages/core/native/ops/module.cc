// The N-API entry of build/duet_ops.node: Duet's own TensorFlow kernels
// (docs/design/custom-ops.md). Loading the module runs the static
// REGISTER_OP / REGISTER_KERNEL_BUILDER of every other file in this folder,
// which put the ops into the process's one TensorFlow op and kernel
// registries; tfjs-node's binding then runs them by name like any other op.
// The module exports `ops`: the names of the registered ops that start
// with "Duet", read back from TensorFlow's registry; and `onednn`: whether
// TensorFlow runs its oneDNN kernels in this process.
#include <node_api.h>

#include <string>
#include <vector>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/util/util.h"

static napi_value RegisteredDuetOps(napi_env env) {
  std::vector<tensorflow::OpDef> defs;
  tensorflow::OpRegistry::Global()->GetRegisteredOps(&defs);
  napi_value list;
  napi_create_array(env, &list);
  uint32_t n = 0;
  for (const auto& def : defs) {
    const std::string& name = def.name();
    if (name.rfind("Duet", 0) != 0) continue;
    napi_value s;
    napi_create_string_utf8(env, name.c_str(), name.size(), &s);
    napi_set_element(env, list, n++, s);
  }
  return list;
}

NAPI_MODULE_INIT() {
  napi_set_named_property(env, exports, "ops", RegisteredDuetOps(env));
  // Whether TensorFlow runs its oneDNN kernels (TF_ENABLE_ONEDNN_OPTS, else its CPU default): some Duet kernels only pay off without.
  napi_value onednn;
  napi_get_boolean(env, tensorflow::IsMKLEnabled(), &onednn);
  napi_set_named_property(env, exports, "onednn", onednn);
  return exports;
}
