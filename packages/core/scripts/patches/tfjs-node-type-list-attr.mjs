/**
 * A source patch for @tensorflow/tfjs-node 4.22's binding (binding/tfjs_backend.cc),
 * applied by provision-build.mjs before every build of the binding, after
 * tfjs-node-string-list-attr.mjs.
 *
 * Why: the binding's AssignOpAttr reads a TF_ATTR_TYPE attribute as one int32,
 * so a list(type) attribute (a JS array of dtype enums) fails with "A number
 * was expected". TensorFlow's `_FusedConv2D` (Conv2D + BiasAdd (+ Relu) in
 * one oneDNN kernel, what TensorFlow's graph rewrite gives Keras's compiled
 * steps) takes `TArgs: list(type)`, the dtypes of its extra inputs. The patch
 * adds the array case, calling the C API's TFE_OpSetAttrTypeList, as the
 * INT/FLOAT/BOOL cases already do for their lists. A single dtype behaves
 * exactly as before.
 *
 * Duet never relies on the patch: core probes the binding at run time and
 * uses Conv2D + its bias-and-ReLU kernel when `_FusedConv2D` cannot run
 * (docs/design/custom-ops.md).
 */

import { patchOnce } from './patch-once.mjs';

/** Present in a patched file: makes the patch idempotent. */
export const MARKER = 'DUET_PATCH(type-list-attr)';

/** The unpatched code, exactly as tfjs-node 4.22 ships it. */
export const FIND = `    case TF_ATTR_TYPE: {
      TF_DataType tf_data_type;`;

export const REPLACE = `    case TF_ATTR_TYPE: {
      // ${MARKER}: list(type) attributes, e.g. TArgs of
      // _FusedConv2D. Added by @duet/core's provisioning.
      if (IsArray(env, nstatus, &js_value)) {
        uint32_t length;
        nstatus = napi_get_array_length(env, js_value, &length);
        ENSURE_NAPI_OK(env, nstatus);
        std::vector<TF_DataType> types(length);
        for (uint32_t i = 0; i < length; ++i) {
          napi_value element;
          nstatus = napi_get_element(env, js_value, i, &element);
          ENSURE_NAPI_OK(env, nstatus);
          int32_t value;
          nstatus = napi_get_value_int32(env, element, &value);
          ENSURE_NAPI_OK(env, nstatus);
          types[i] = static_cast<TF_DataType>(value);
        }
        TFE_OpSetAttrTypeList(tfe_op, attr_name, types.data(),
                              static_cast<int>(length));
        break;
      }
      TF_DataType tf_data_type;`;

/**
 * The patched source text, or a reason it cannot be patched.
 * @param {string} source the content of binding/tfjs_backend.cc
 * @returns {{ status: 'patched', text: string } | { status: 'already' } | { status: 'unknown', reason: string }}
 */
export function patchTypeListAttr(source) {
  return patchOnce(source, { marker: MARKER, find: FIND, replace: REPLACE, what: 'the TF_ATTR_TYPE case' });
}
