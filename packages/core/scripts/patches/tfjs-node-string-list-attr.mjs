/**
 * A source patch for @tensorflow/tfjs-node 4.22's binding (binding/tfjs_backend.cc),
 * applied by provision-build.mjs before every build of the binding (issue 8).
 *
 * Why: the binding's AssignOpAttr sets a TF_ATTR_STRING attribute with
 * GetStringParam on the JS value, so a list(string) attribute (a JS array)
 * fails with "Argument is not a string". TensorFlow's fused kernels need
 * one: `_FusedMatMul` and `_FusedConv2D` take `fused_ops: list(string)`
 * (e.g. ['BiasAdd', 'Relu']). The patch adds the array case, calling the C
 * API's TFE_OpSetAttrStringList, as the INT/FLOAT/BOOL cases already do for
 * their lists. A single string behaves exactly as before.
 *
 * Duet never relies on the patch: the binding may come from elsewhere (an
 * existing build that already loads, tfjs-node-gpu's own prebuilt binding),
 * so core detects the capability at run time and falls back to the unfused
 * kernels (docs/design/performance.md).
 */

import { patchOnce } from './patch-once.mjs';

/** Present in a patched file: makes the patch idempotent. */
export const MARKER = 'DUET_PATCH(string-list-attr)';

/** The unpatched code, exactly as tfjs-node 4.22 ships it. */
export const FIND = `    case TF_ATTR_STRING: {
      // NOTE: String attribute values do not have to be utf8 encoded strings
      // (could be arbitrary byte sequences).
      std::string str_value;`;

export const REPLACE = `    case TF_ATTR_STRING: {
      // ${MARKER}: list(string) attributes, e.g. fused_ops of
      // _FusedMatMul / _FusedConv2D. Added by @duet/core's provisioning.
      if (IsArray(env, nstatus, &js_value)) {
        uint32_t length;
        nstatus = napi_get_array_length(env, js_value, &length);
        ENSURE_NAPI_OK(env, nstatus);
        std::vector<std::string> strings(length);
        std::vector<const void *> values(length);
        std::vector<size_t> lengths(length);
        for (uint32_t i = 0; i < length; ++i) {
          napi_value element;
          nstatus = napi_get_element(env, js_value, i, &element);
          ENSURE_NAPI_OK(env, nstatus);
          nstatus = GetStringParam(env, element, strings[i]);
          ENSURE_NAPI_OK(env, nstatus);
        }
        for (uint32_t i = 0; i < length; ++i) {
          values[i] = strings[i].data();
          lengths[i] = strings[i].size();
        }
        TFE_OpSetAttrStringList(tfe_op, attr_name, values.data(),
                                lengths.data(), static_cast<int>(length));
        break;
      }
      // NOTE: String attribute values do not have to be utf8 encoded strings
      // (could be arbitrary byte sequences).
      std::string str_value;`;

/**
 * The patched source text, or a reason it cannot be patched.
 * @param {string} source the content of binding/tfjs_backend.cc
 * @returns {{ status: 'patched', text: string } | { status: 'already' } | { status: 'unknown', reason: string }}
 */
export function patchStringListAttr(source) {
  return patchOnce(source, { marker: MARKER, find: FIND, replace: REPLACE, what: 'the TF_ATTR_STRING case' });
}
