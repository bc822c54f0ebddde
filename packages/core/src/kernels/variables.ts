/**
 * TensorFlow resource variables in eager mode: make one, read it, assign it.
 * The one-kernel optimizer updates that run on them are in ../ops/variables.ts.
 */
import { runOp, runOpN, typeAttr, shapeAttr, stringAttr, type TfTensor } from '../engine.js';

/**
 * TensorFlow's ResourceHandle::ANONYMOUS_NAME: a VarHandleOp with this shared
 * name makes a new variable owned by its handle, freed when the handle is
 * (an empty name would make every handle alias one variable).
 */
const ANONYMOUS_NAME = 'cd2c89b7-88b7-44c8-ad83-06c2a9158347';

/** A new anonymous resource variable of `dtype` and `shape` (uninitialised): one VarHandleOp. */
export function newVariable(dtype: string, shape: readonly number[]): TfTensor {
  return runOp('VarHandleOp', [typeAttr('dtype', dtype), shapeAttr('shape', [...shape]), stringAttr('container', ''), stringAttr('shared_name', ANONYMOUS_NAME)], []);
}

/** The variable's current value (a new handle): one ReadVariableOp. */
export function readVariable(res: TfTensor, dtype: string): TfTensor {
  return runOp('ReadVariableOp', [typeAttr('dtype', dtype)], [res]);
}

/** Store `value` in the variable: one AssignVariableOp. */
export function assignVariable(res: TfTensor, value: TfTensor): void {
  runOpN('AssignVariableOp', [typeAttr('dtype', value.dtype)], [res, value], 0);
}
