/**
 * Tensors backed by TensorFlow resource variables (the variables themselves
 * are kernels/variables.ts), and the one-kernel optimizer updates that run on
 * them (ResourceApplyAdam & co.). A parameter moved into
 * a variable keeps its Tensor identity: `_v()` re-reads it (ReadVariableOp,
 * one kernel) after an update. See NATIVE_ENGINE.md "Levers".
 *
 * Kernel count per parameter per step: 1 update + 1 read on the next forward,
 * against ~12 for Adam written with elementwise ops.
 */
import { runKernelN, typeAttr, boolAttr, intAttr, customKernel, tf, nodeBackend, scalarConst, slotScalar, newVariable, readVariable, assignVariable, type TfTensor, type OpAttr } from '../kernels/index.js';
import { DTypeError, NativeEngineError, ShapeError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { shapeStr } from './util.js';

/**
 * Move a tensor's value into a resource variable (idempotent). The tensor stays
 * the same object, with the same values, grad and ownership.
 */
export function toVariable_(t: Tensor): Tensor {
  if (t._res !== null) return t;
  checkAnonymousVariables();
  const v = t._v();
  const res = newVariable(t.dtype, t.shape);
  assignVariable(res, v);
  t._res = res;
  return t;
}

let anonymousChecked = false;
/**
 * Once per process: two anonymous variables must be distinct. A TensorFlow
 * library that treated the name as an ordinary shared name would make every
 * parameter alias one variable; fail loudly instead of training garbage.
 */
function checkAnonymousVariables(): void {
  if (anonymousChecked) return;
  const T = tf();
  const [a, b] = [newVariable('float32', [1]), newVariable('float32', [1])];
  const [one, two] = [T.tensor1d([1]), T.tensor1d([2])];
  try {
    assignVariable(a, one);
    assignVariable(b, two);
    const ra = readVariable(a, 'float32');
    const va = ra.dataSync()[0];
    ra.dispose();
    if (va !== 1) {
      throw new NativeEngineError(`This TensorFlow library (${nodeBackend().binding.TF_Version}) does not create anonymous resource variables, which Duet's optimizers need; use TensorFlow 2.9 or newer (see docs/install.md).`);
    }
    anonymousChecked = true;
  } finally {
    for (const x of [a, b, one, two]) x.dispose();
  }
}

/** A new variable-backed tensor of `like`'s shape filled with `value` (optimizer state). */
export function slotLike(like: Tensor, value = 0): Tensor {
  const t = new Tensor(tf().fill(like.shape as number[], value, 'float32'));
  t.keep();
  return toVariable_(t);
}

function checkPair(p: Tensor, g: Tensor, what: string): void {
  if (p.dtype !== 'float32' || g.dtype !== 'float32') throw new DTypeError(`${what}: expected float32 parameter and gradient, received ${p.dtype} and ${g.dtype}.`);
  if (p.shape.length !== g.shape.length || p.shape.some((d, i) => d !== g.shape[i])) {
    throw new ShapeError(`${what}: gradient shape ${shapeStr(g.shape)} does not match parameter shape ${shapeStr(p.shape)}.`);
  }
}

const F32 = () => typeAttr('T', 'float32');
const LOCK = () => boolAttr('use_locking', false);

function apply(op: string, attrs: OpAttr[], vars: Tensor[], rest: TfTensor[]): void {
  for (const v of vars) {
    toVariable_(v);
    v._dropCache();
  }
  runKernelN(op, attrs, [...vars.map((v) => v._res!), ...rest], 0);
}

/** Per-step scalars: made once per call of a *Step_ function, released at its end. */
function withScalars<R>(values: number[], fn: (s: TfTensor[]) => R): R {
  const s = values.map((v) => tf().scalar(v, 'float32'));
  try {
    return fn(s);
  } finally {
    for (const x of s) x.dispose();
  }
}

export interface AdamKernelOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** 1-based step count after this update. */
  step: number;
  /** 'torch': eps added to the bias-corrected sqrt(v) (PyTorch); 'keras': to sqrt(v) (Keras/TF). */
  epsMode: 'torch' | 'keras';
  amsgrad?: boolean;
  /** PyTorch's decoupled weight decay (AdamW): each parameter is multiplied by this factor, `1 - lr * weightDecay`, before the update. */
  decay?: number;
}

/**
 * Adam on many parameters: one DuetApplyAdam kernel for all of them when Duet's
 * kernels are built (kernels/custom.ts), else one ResourceApplyAdam (or
 * ...WithAmsgrad) kernel each; the same update either way.
 */
export function adamStep_(params: Tensor[], grads: Tensor[], m: Tensor[], v: Tensor[], o: AdamKernelOptions, vhat?: Tensor[]): void {
  const b1p = Math.pow(o.beta1, o.step);
  const b2p = Math.pow(o.beta2, o.step);
  // TF's kernel computes lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps); PyTorch adds eps
  // to sqrt(v)/sqrt(1-b2^t): the same update when eps is scaled by sqrt(1-b2^t).
  const eps = o.epsMode === 'torch' ? o.eps * Math.sqrt(1 - b2p) : o.eps;
  if (!o.amsgrad && customKernel('DuetApplyAdam')) {
    params.forEach((p, i) => checkPair(p, grads[i]!, 'adamStep_'));
    const hyper = tf().tensor1d([o.lr, o.beta1, o.beta2, eps, b1p, b2p, o.decay ?? 1], 'float32');
    try {
      // Duet's kernel (native/ops/adam.cc): ResourceApplyAdam's update on every parameter in one kernel.
      apply('DuetApplyAdam', [intAttr('N', params.length)], [...params, ...m, ...v], [...grads.map((g) => g._v()), hyper]);
    } finally {
      hyper.dispose();
    }
    return;
  }
  if (o.decay !== undefined && o.decay !== 1) {
    // A per-call scalar: lr changes under schedulers, so the factor must not become a cached constant.
    const f = new Tensor(tf().scalar(o.decay, 'float32'));
    try {
      for (const p of params) p.mul_(f);
    } finally {
      f.dispose();
    }
  }
  withScalars([b1p, b2p, eps, o.lr], ([sb1p, sb2p, seps, lr]) => {
    // Schedulers change beta1 (OneCycleLR's cycleMomentum): slots, not cached by value.
    const b1 = slotScalar('adamStep_.beta1', o.beta1);
    const b2 = slotScalar('adamStep_.beta2', o.beta2);
    params.forEach((p, i) => {
      const g = grads[i]!;
      checkPair(p, g, 'adamStep_');
      const scalars = [sb1p!, sb2p!, lr!, b1, b2, seps!, g._v()];
      if (o.amsgrad) apply('ResourceApplyAdamWithAmsgrad', [F32(), LOCK()], [p, m[i]!, v[i]!, vhat![i]!], scalars);
      else apply('ResourceApplyAdam', [F32(), LOCK(), boolAttr('use_nesterov', false)], [p, m[i]!, v[i]!], scalars);
    });
  });
}

/** Plain SGD: p -= lr * g (ResourceApplyGradientDescent). */
export function sgdStep_(params: Tensor[], grads: Tensor[], lr: number): void {
  withScalars([lr], ([a]) => {
    params.forEach((p, i) => {
      checkPair(p, grads[i]!, 'sgdStep_');
      apply('ResourceApplyGradientDescent', [F32(), LOCK()], [p], [a!, grads[i]!._v()]);
    });
  });
}

/**
 * SGD with momentum, PyTorch's rule with dampening 0: buf = momentum*buf + g;
 * p -= lr*buf (nesterov: p -= lr*(g + momentum*buf)). ResourceApplyMomentum.
 */
export function momentumStep_(params: Tensor[], grads: Tensor[], bufs: Tensor[], o: { lr: number; momentum: number; nesterov: boolean }): void {
  // Schedulers change the momentum (OneCycleLR, CyclicLR): a slot, not cached by value.
  const mom = slotScalar('momentumStep_.momentum', o.momentum);
  // lr changes under schedulers: a per-call scalar, not a cached one.
  withScalars([o.lr], ([lr]) => {
    params.forEach((p, i) => {
      checkPair(p, grads[i]!, 'momentumStep_');
      apply('ResourceApplyMomentum', [F32(), LOCK(), boolAttr('use_nesterov', o.nesterov)], [p, bufs[i]!], [lr!, grads[i]!._v(), mom]);
    });
  });
}

/** Adagrad: acc += g^2; p -= lr * g / (sqrt(acc) + eps) (ResourceApplyAdagradV2; PyTorch's and Keras's rule). */
export function adagradStep_(params: Tensor[], grads: Tensor[], accs: Tensor[], o: { lr: number; eps: number }): void {
  const eps = scalarConst(o.eps, 'float32');
  // lr changes under schedulers: a per-call scalar, not a cached one.
  withScalars([o.lr], ([lr]) => {
    params.forEach((p, i) => {
      checkPair(p, grads[i]!, 'adagradStep_');
      apply('ResourceApplyAdagradV2', [F32(), LOCK(), boolAttr('update_slots', true)], [p, accs[i]!], [lr!, eps, grads[i]!._v()]);
    });
  });
}

/**
 * RMSprop with TensorFlow's (and Keras's) rule: ms = rho*ms + (1-rho)*g^2;
 * mom = momentum*mom + lr*g/sqrt(ms + eps); p -= mom (ResourceApplyRMSProp).
 * PyTorch adds eps outside the sqrt, so @duet/nn's RMSprop does not use this.
 */
export function rmspropStep_(params: Tensor[], grads: Tensor[], ms: Tensor[], moms: Tensor[], o: { lr: number; rho: number; momentum: number; eps: number }): void {
  const rho = scalarConst(o.rho, 'float32');
  // Schedulers change the momentum (OneCycleLR, CyclicLR): a slot, not cached by value.
  const mom = slotScalar('rmspropStep_.momentum', o.momentum);
  const eps = scalarConst(o.eps, 'float32');
  // lr changes under schedulers: a per-call scalar, not a cached one.
  withScalars([o.lr], ([lr]) => {
    params.forEach((p, i) => {
      checkPair(p, grads[i]!, 'rmspropStep_');
      apply('ResourceApplyRMSProp', [F32(), LOCK()], [p, ms[i]!, moms[i]!], [lr!, rho, mom, eps, grads[i]!._v()]);
    });
  });
}

/**
 * Adadelta, PyTorch's and TensorFlow's rule (the same): sq = rho*sq + (1-rho)*g^2;
 * d = sqrt(acc + eps) / sqrt(sq + eps) * g; acc = rho*acc + (1-rho)*d^2; p -= lr*d
 * (ResourceApplyAdadelta: one kernel updates the parameter and both accumulators).
 */
export function adadeltaStep_(params: Tensor[], grads: Tensor[], squareAvgs: Tensor[], accDeltas: Tensor[], o: { lr: number; rho: number; eps: number }): void {
  // lr changes under schedulers: a per-call scalar, not a cached one.
  withScalars([o.lr], ([lr]) => {
    const rho = scalarConst(o.rho, 'float32');
    const eps = scalarConst(o.eps, 'float32');
    params.forEach((p, i) => {
      checkPair(p, grads[i]!, 'adadeltaStep_');
      apply('ResourceApplyAdadelta', [F32(), LOCK()], [p, squareAvgs[i]!, accDeltas[i]!], [lr!, rho, eps, grads[i]!._v()]);
    });
  });
}

/**
 * SGD with Keras's momentum rule: m = momentum*m - lr*g; p += m (nesterov:
 * p += momentum*m - lr*g). ResourceApplyKerasMomentum. Unlike PyTorch's
 * form, a learning rate that changes (a schedule) scales only the new
 * gradient, not the accumulated velocity.
 */
export function kerasMomentumStep_(params: Tensor[], grads: Tensor[], moms: Tensor[], o: { lr: number; momentum: number; nesterov: boolean }): void {
  // Schedulers change the momentum (OneCycleLR, CyclicLR): a slot, not cached by value.
  const mom = slotScalar('kerasMomentumStep_.momentum', o.momentum);
  withScalars([o.lr], ([lr]) => {
    params.forEach((p, i) => {
      checkPair(p, grads[i]!, 'kerasMomentumStep_');
      apply('ResourceApplyKerasMomentum', [F32(), LOCK(), boolAttr('use_nesterov', o.nesterov)], [p, moms[i]!], [lr!, grads[i]!._v(), mom]);
    });
  });
}

/**
 * Centered RMSprop with TensorFlow's (and Keras's) rule: mg = rho*mg + (1-rho)*g;
 * ms = rho*ms + (1-rho)*g^2; mom = momentum*mom + lr*g/sqrt(ms - mg^2 + eps);
 * p -= mom (ResourceApplyCenteredRMSProp).
 */
export function centeredRmspropStep_(params: Tensor[], grads: Tensor[], mgs: Tensor[], ms: Tensor[], moms: Tensor[], o: { lr: number; rho: number; momentum: number; eps: number }): void {
  const rho = scalarConst(o.rho, 'float32');
  // Schedulers change the momentum (OneCycleLR, CyclicLR): a slot, not cached by value.
  const mom = slotScalar('centeredRmspropStep_.momentum', o.momentum);
  const eps = scalarConst(o.eps, 'float32');
  withScalars([o.lr], ([lr]) => {
    params.forEach((p, i) => {
      checkPair(p, grads[i]!, 'centeredRmspropStep_');
      apply('ResourceApplyCenteredRMSProp', [F32(), LOCK()], [p, mgs[i]!, ms[i]!, moms[i]!], [lr!, rho, mom, eps, grads[i]!._v()]);
    });
  });
}
