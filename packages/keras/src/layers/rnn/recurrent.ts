/**
 * What SimpleRNN, LSTM and GRU share (Keras 3's `layers/rnn/rnn.py` with the
 * cell options of `simple_rnn.py`, `lstm.py`, `gru.py`): the options and
 * their checks, the three weights in Keras's layout (kernel `[in, G u]`,
 * recurrent kernel `[u, G u]`, bias), the call path (initial states, masks,
 * `goBackwards`, `returnSequences`, `returnState`, dropout) and the step
 * loop. A subclass says how many gates and states it has and computes one
 * step (`step`) or, where a fused kernel applies, the whole sequence
 * (`runFused`, LSTM).
 *
 * The loop runs time-major: the input projection of every step is one
 * matmul on `[T N, F]` rows before the loop; step t reads rows `[t N, (t+1) N)`.
 * Masks follow Keras's TensorFlow backend (`backend.rnn`): at a masked step
 * the states keep their previous values and the output repeats the previous
 * output (zeros before the first unmasked step, or always zeros with
 * `zeroOutputForMask`, which Bidirectional sets when returning sequences).
 */
import { Tensor, arange, functional as CF, linear, rand, stack, where } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import { getActivation, serializeActivation, type ActivationFn, type ActivationIdentifier } from '../../activations/activations.js';
import { getConstraint, serializeConstraint, type Constraint, type ConstraintIdentifier } from '../../constraints/constraint.js';
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from '../../initializers/initializer.js';
import { getRegularizer, serializeRegularizer, type Regularizer, type RegularizerIdentifier } from '../../regularizers/regularizer.js';
import type { Shape } from '../../utils/shape.js';
import { getKerasMask } from '../masking.js';
import { Layer, type CallOptions, type LayerConfig, type LayerOptions } from '../layer.js';
import type { Variable } from '../variable.js';

export interface RNNOptions extends LayerOptions {
  /** Return the output of every step `[batch, time, units]` instead of the last `[batch, units]`. Default false. */
  returnSequences?: boolean;
  /** Also return the final states: `[output, h]` (SimpleRNN, GRU) or `[output, h, c]` (LSTM). Default false. */
  returnState?: boolean;
  /** Process the sequence from its last step to its first, and return the outputs in that (reversed) order. Default false. */
  goBackwards?: boolean;
  /** Not supported: `true` throws (carry the states yourself with `returnState` + `initialState`). */
  stateful?: boolean;
  /** Accepted for compatibility; Duet always runs the loop eagerly (unrolled). */
  unroll?: boolean;
  /** Masked steps output zeros instead of the previous output. Default false. */
  zeroOutputForMask?: boolean;
}

export interface RecurrentOptions extends RNNOptions {
  /** Default 'tanh'. */
  activation?: ActivationIdentifier;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorot_uniform'. */
  kernelInitializer?: InitializerIdentifier;
  /** Default 'orthogonal'. */
  recurrentInitializer?: InitializerIdentifier;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier;
  recurrentRegularizer?: RegularizerIdentifier;
  biasRegularizer?: RegularizerIdentifier;
  kernelConstraint?: ConstraintIdentifier;
  recurrentConstraint?: ConstraintIdentifier;
  biasConstraint?: ConstraintIdentifier;
  /** Fraction of the input units dropped in training (one mask for all steps, as Keras). Clamped to [0, 1]. Default 0. */
  dropout?: number;
  /** Fraction of the recurrent state's units dropped in training (one mask for all steps). Clamped to [0, 1]. Default 0. */
  recurrentDropout?: number;
  /** Accepted for compatibility; Duet's randomness follows core's `manualSeed`. */
  seed?: number | null;
}

export interface RNNCallOptions extends CallOptions {
  /** Bool `[batch, time]`: false steps are skipped. Default: the Keras mask of the input (Embedding `maskZero`). */
  mask?: Tensor | null;
  /** Initial states `[batch, units]` (h, or h and c for LSTM). Default zeros. In a functional model pass them as inputs: `apply([x, h0, c0])`. */
  initialState?: Tensor | Tensor[] | null;
}

/** The result of running a layer over a (time-major, processing-order) sequence. */
export interface SequenceResult {
  /** Outputs of every step `[T, N, units]`, processing order (only when asked for). */
  outputs: Tensor | null;
  /** Output of the last step `[N, units]`. */
  last: Tensor;
  /** Final states, each `[N, units]`. */
  states: Tensor[];
}

/** One step: the step's input projection `g` [N, G u] and the states (null = zeros) -> output and new states. */
export type StepFn = (g: Tensor, states: (Tensor | null)[]) => [Tensor, Tensor[]];

function flag(name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw new KerasValueError(`Expected \`${name}\` to be a boolean. Received: ${name}=${String(v)}`);
  return v;
}

function rate(name: string, v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || Number.isNaN(v)) throw new KerasValueError(`Expected \`${name}\` to be a float between 0 and 1. Received: ${name}=${String(v)}`);
  return Math.min(1, Math.max(0, v)); // Keras clamps
}

export abstract class Recurrent extends Layer {
  readonly units: number;
  readonly activation: ActivationFn;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly recurrentInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly recurrentRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  readonly kernelConstraint: Constraint | null;
  readonly recurrentConstraint: Constraint | null;
  readonly biasConstraint: Constraint | null;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly seed: number | null;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  goBackwards: boolean;
  readonly stateful: boolean;
  readonly unroll: boolean;
  zeroOutputForMask: boolean;
  protected _kernel: Variable | null = null;
  protected _recurrentKernel: Variable | null = null;
  protected _bias: Variable | null = null;

  /** Gates per unit in the kernels (SimpleRNN 1, GRU 3, LSTM 4). */
  protected abstract readonly gates: number;
  /** Number of states (h; LSTM: h and c). */
  abstract readonly stateCount: number;

  constructor(units: number, options: RecurrentOptions) {
    super(options);
    if (typeof units !== 'number' || !Number.isInteger(units) || units <= 0) {
      throw new KerasValueError(`Received an invalid value for argument \`units\`, expected a positive integer, got ${String(units)}.`);
    }
    this.units = units;
    this.activation = getActivation(options.activation === undefined ? 'tanh' : options.activation);
    this.useBias = flag('use_bias', options.useBias, true);
    this.kernelInitializer = getInitializer(options.kernelInitializer ?? 'glorot_uniform');
    this.recurrentInitializer = getInitializer(options.recurrentInitializer ?? 'orthogonal');
    this.biasInitializer = getInitializer(options.biasInitializer ?? 'zeros');
    this.kernelRegularizer = getRegularizer(options.kernelRegularizer);
    this.recurrentRegularizer = getRegularizer(options.recurrentRegularizer);
    this.biasRegularizer = getRegularizer(options.biasRegularizer);
    this.kernelConstraint = getConstraint(options.kernelConstraint);
    this.recurrentConstraint = getConstraint(options.recurrentConstraint);
    this.biasConstraint = getConstraint(options.biasConstraint);
    this.dropout = rate('dropout', options.dropout);
    this.recurrentDropout = rate('recurrent_dropout', options.recurrentDropout);
    this.seed = options.seed ?? null;
    this.returnSequences = flag('return_sequences', options.returnSequences, false);
    this.returnState = flag('return_state', options.returnState, false);
    this.goBackwards = flag('go_backwards', options.goBackwards, false);
    this.stateful = flag('stateful', options.stateful, false);
    this.unroll = flag('unroll', options.unroll, false);
    this.zeroOutputForMask = flag('zero_output_for_mask', options.zeroOutputForMask, false);
    this.supportsMasking = true;
    if (this.stateful) {
      throw new KerasValueError(`\`stateful=True\` is not supported by Duet's ${new.target.name} (layer "${this.name}"). Carry the states yourself: \`returnState: true\` and pass them back as \`initialState\`.`);
    }
  }

  // ---------------------------------------------------------------- weights
  /** The bias shape (`[G u]`; GRU with `resetAfter`: `[2, 3 u]`). */
  protected biasShape(): number[] {
    return [this.gates * this.units];
  }
  /** The bias initializer as built (LSTM wraps it for `unitForgetBias`). */
  protected biasInitializerForBuild(): Initializer {
    return this.biasInitializer;
  }

  override build(inputShape: Shape | Shape[]): void {
    const seq = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    if (seq.length !== 3) throw new KerasValueError(`Layer "${this.name}" expects 3D inputs [batch, timesteps, features]. Received input shape: ${JSON.stringify(seq)}`);
    const inputDim = seq[2];
    if (inputDim === null || inputDim === undefined) throw new KerasValueError(`The last dimension of the inputs to ${this.constructor.name} should be defined. Found None (input shape ${JSON.stringify(seq)}).`);
    const g = this.gates * this.units;
    this._kernel = this.addWeight({ name: 'kernel', shape: [inputDim, g], initializer: this.kernelInitializer, regularizer: this.kernelRegularizer, constraint: this.kernelConstraint });
    this._recurrentKernel = this.addWeight({ name: 'recurrent_kernel', shape: [this.units, g], initializer: this.recurrentInitializer, regularizer: this.recurrentRegularizer, constraint: this.recurrentConstraint });
    if (this.useBias) this._bias = this.addWeight({ name: 'bias', shape: this.biasShape(), initializer: this.biasInitializerForBuild(), regularizer: this.biasRegularizer, constraint: this.biasConstraint });
  }

  /** `[in, G units]` (after build). */
  get kernel(): Variable {
    return this._need(this._kernel, 'kernel');
  }
  /** `[units, G units]` (after build). */
  get recurrentKernel(): Variable {
    return this._need(this._recurrentKernel, 'recurrent_kernel');
  }
  /** The bias, or null with `useBias: false`. */
  get bias(): Variable | null {
    return this._bias;
  }
  private _need(v: Variable | null, what: string): Variable {
    if (v === null) throw new KerasValueError(`${this.constructor.name} layer "${this.name}" has no ${what} yet: it is built on its first call (or call build(inputShape)).`);
    return v;
  }

  // ------------------------------------------------------------------- call
  override call(inputs: Tensor | Tensor[], options: RNNCallOptions): Tensor | Tensor[] {
    const [seq, ...given] = Array.isArray(inputs) ? inputs : [inputs];
    if (seq === undefined) throw new KerasValueError(`Layer "${this.name}" received no inputs.`);
    const opt = options.initialState;
    const initial = given.length > 0 ? given : opt === undefined || opt === null ? [] : Array.isArray(opt) ? opt : [opt];
    const [n, t] = seq.shape as [number, number, number];
    if (initial.length !== 0 && initial.length !== this.stateCount) {
      throw new KerasValueError(`An \`initial_state\` was passed that is not compatible with \`cell.state_size\`. Received \`state_spec\`=${initial.length} states; however \`cell.state_size\` is [${new Array(this.stateCount).fill(this.units).join(', ')}] (layer "${this.name}").`);
    }
    for (const s of initial) {
      if (s.ndim !== 2 || s.shape[0] !== n || s.shape[1] !== this.units) {
        throw new KerasValueError(`Layer "${this.name}": each initial state must have shape [${n}, ${this.units}]. Received: [${s.shape.join(', ')}]`);
      }
    }
    const mask = firstMask(options.mask) ?? getKerasMask(seq);
    if (mask !== null && (mask.ndim !== 2 || mask.shape[0] !== n || mask.shape[1] !== t)) {
      throw new KerasValueError(`Layer "${this.name}": the mask must have shape [${n}, ${t}] (batch, timesteps). Received: [${mask.shape.join(', ')}]`);
    }
    const training = options.training === true;
    let x = (seq.dtype === 'float32' ? seq : seq.float()).transpose(0, 1); // [T, N, F]
    let m = mask === null ? null : (mask.dtype === 'bool' ? mask : mask.bool()).transpose(0, 1); // [T, N]
    // goBackwards over right padding: Keras's reversed rows start with their padding (states kept, outputs 0).
    // Reverse each row's real steps in place instead, which is right-padded again (the fused paths take it),
    // and move the outputs back behind the padding after.
    const states: (Tensor | null)[] = initial.length > 0 ? [...initial] : new Array<null>(this.stateCount).fill(null);
    // Right-padded lengths of `m` when known here (null: m is not right-padded; undefined: runSequence checks).
    let known: Tensor | null | undefined;
    let lengths: Tensor | null = null;
    if (this.goBackwards) {
      lengths = m !== null ? this.rightPaddedLengths(m) : null;
      if (lengths !== null) x = reverseRealSteps(x, lengths);
      else {
        x = x.flip([0]);
        m = m?.flip([0]) ?? null;
      }
    } else if (m !== null && this.fusesRightPadded(states, training)) {
      // Left padding (Keras's pad_sequences default, padding='pre'): the padding keeps the zero states and
      // outputs zeros, so moving each row's real steps to the front gives a right-padded problem with the
      // same real outputs and final states (the fused paths take it); the outputs go back behind the padding after.
      const padded = this.paddedLengths(m);
      known = padded?.lengths ?? null;
      if (padded?.left === true) {
        lengths = padded.lengths;
        x = realStepsFirst(x, lengths);
        m = arange(t).unsqueeze(1).lt(lengths.unsqueeze(0)); // [T, N], right-padded
      }
    }
    if (training && this.dropout > 0) x = x.mul(dropoutMask([n, x.shape[2]!], this.dropout));
    const res = this.runSequence(x, states, m, training, known);
    const outputs = this.returnSequences && lengths !== null ? afterPadding(res.outputs!, lengths) : res.outputs;
    const output = this.returnSequences ? outputs!.transpose(0, 1) : res.last;
    return this.returnState ? [output, ...res.states] : output;
  }

  /**
   * Run over x `[T, N, F]` (processing order, dropout applied) from `states`
   * (null = zeros), honouring mask `[T, N]` (processing order). The default
   * projects every step in one matmul and loops over `step`. `rightLengths`:
   * the mask's lengths when `call` already found it right-padded, null when
   * it found it is not, undefined when it did not check.
   */
  protected runSequence(x: Tensor, states: (Tensor | null)[], mask: Tensor | null, training: boolean, _rightLengths?: Tensor | null): SequenceResult {
    const [t, n, f] = x.shape as [number, number, number];
    const gx = linear(x.reshape([t * n, f]), this.kernel, this.inputBias(), { weightLayout: 'in_out' });
    const recurrentMask = training && this.recurrentDropout > 0 ? dropoutMask([n, this.units], this.recurrentDropout) : null;
    return this.scan(gx, t, n, states, mask, this.stepFn(recurrentMask));
  }

  /**
   * The lengths [N] when `mask` [T, N] (processing order) is right-padded
   * (each row: its real steps, then only padding: what Embedding(maskZero)
   * gives for padded batches), else null. Reads one boolean back from the
   * device.
   */
  protected rightPaddedLengths(mask: Tensor): Tensor | null {
    const lengths = mask.int().sum(0); // [N]
    const expected = arange(mask.shape[0]!).unsqueeze(1).lt(lengths.unsqueeze(0)); // [T, N]
    return expected.eq(mask).all().item() !== 0 ? lengths : null;
  }

  /**
   * The lengths [N] when `mask` [T, N] (processing order) is right-padded
   * (`left` false) or, failing that, left-padded (each row: only padding,
   * then its real steps: what Embedding(maskZero) gives for batches from
   * Keras's `pad_sequences`, whose default is padding='pre'), else null.
   * Reads one number back from the device.
   */
  protected paddedLengths(mask: Tensor): { lengths: Tensor; left: boolean } | null {
    const t = mask.shape[0]!;
    const lengths = mask.int().sum(0); // [N]
    const steps = arange(t).unsqueeze(1); // [T, 1]
    const len = lengths.unsqueeze(0); // [1, N]
    const right = steps.lt(len).eq(mask).all().int();
    const left = steps.ge(len.neg().add(t)).eq(mask).all().int(); // k >= T - length
    const code = right.add(left.mul(2)).item();
    return (code & 1) !== 0 ? { lengths, left: false } : (code & 2) !== 0 ? { lengths, left: true } : null;
  }

  /**
   * True when `runSequence` runs a right-padded mask fused from these states
   * (LSTM, GRU); then `call` also turns a left-padded mask into a right-padded
   * one, and passes `runSequence` the right-padded lengths it found.
   */
  protected fusesRightPadded(_states: (Tensor | null)[], _training: boolean): boolean {
    return false;
  }

  /**
   * Keras's masked outputs from a fused run over a whole right-padded
   * sequence from zero states: a row's steps past its length repeat its last
   * real output (zeros with `zeroOutputForMask`; zeros for an empty row). The
   * padded steps' outputs are discarded, so values and gradients are those of
   * the step-by-step loop.
   */
  protected fromRightPadded(out: Tensor, mask: Tensor, lengths: Tensor): { outputs: Tensor | null; last: Tensor } {
    const lastStep = arange(out.shape[0]!).unsqueeze(1).eq(lengths.sub(1).unsqueeze(0)).float().unsqueeze(2); // [T, N, 1] one-hot
    const last = out.mul(lastStep).sum(0); // [N, u]
    const outputs = this.returnSequences ? where(mask.unsqueeze(2), out, this.zeroOutputForMask ? 0 : last.unsqueeze(0)) : null;
    return { outputs, last };
  }

  /** The bias added to the input projection (GRU with `resetAfter`: its first row). */
  protected inputBias(): Tensor | null {
    return this._bias;
  }

  /** The step function, with `recurrentMask` ([N, units], or null) multiplying h before the recurrent matmul. */
  protected abstract stepFn(recurrentMask: Tensor | null): StepFn;

  /** The loop over steps, with Keras's mask semantics. */
  protected scan(gx: Tensor, t: number, n: number, initial: (Tensor | null)[], mask: Tensor | null, step: StepFn): SequenceResult {
    const outs: Tensor[] = [];
    let states = initial;
    let prev: Tensor | null = null;
    const m3 = mask?.unsqueeze(2) ?? null; // [T, N, 1]
    for (let k = 0; k < t; k++) {
      const g = t === 1 ? gx : gx.narrow(0, k * n, n);
      let [out, next] = step(g, states);
      if (m3 !== null) {
        const mk = m3.select(0, k);
        next = next.map((s, i) => where(mk, s, states[i] ?? 0));
        out = where(mk, out, this.zeroOutputForMask || prev === null ? 0 : prev);
      }
      states = next;
      prev = out;
      if (this.returnSequences) outs.push(out);
    }
    return { outputs: this.returnSequences ? stack(outs, 0) : null, last: prev!, states: states as Tensor[] };
  }

  // ------------------------------------------------------------------ shapes
  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const seq = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const out: Shape = this.returnSequences ? [seq[0]!, seq[1]!, this.units] : [seq[0]!, this.units];
    if (!this.returnState) return out;
    return [out, ...new Array(this.stateCount).fill(null).map((): Shape => [seq[0]!, this.units])];
  }

  /** The output's mask: the input's with `returnSequences`, else none; states have none (Keras's `compute_mask`). */
  override computeMask(_inputs: unknown, previousMask: Tensor | (Tensor | null)[] | null): Tensor | (Tensor | null)[] | null {
    const out = this.returnSequences ? firstMask(previousMask) : null;
    return this.returnState ? [out, ...new Array<null>(this.stateCount).fill(null)] : out;
  }

  override getConfig(): LayerConfig {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: serializeActivation(this.activation),
      useBias: this.useBias,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      recurrentInitializer: serializeInitializer(this.recurrentInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
      kernelRegularizer: serializeRegularizer(this.kernelRegularizer),
      recurrentRegularizer: serializeRegularizer(this.recurrentRegularizer),
      biasRegularizer: serializeRegularizer(this.biasRegularizer),
      kernelConstraint: serializeConstraint(this.kernelConstraint),
      recurrentConstraint: serializeConstraint(this.recurrentConstraint),
      biasConstraint: serializeConstraint(this.biasConstraint),
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
      seed: this.seed,
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: this.stateful,
      unroll: this.unroll,
      zeroOutputForMask: this.zeroOutputForMask,
    };
  }
}

/** x [T, N, F] with the steps picked per row: out[t, n] = x[src[t, n], n] (src int [T, N]); one GatherV2. */
function gatherSteps(x: Tensor, src: Tensor): Tensor {
  const [t, n, f] = x.shape as [number, number, number];
  const rows = src.mul(n).add(arange(n).unsqueeze(0)); // [T, N] rows of x as [T N, F]
  return CF.embedding(rows, x.reshape([t * n, f]));
}

/** Each row's first `lengths[n]` steps reversed in place, the padding after them kept. */
function reverseRealSteps(x: Tensor, lengths: Tensor): Tensor {
  const steps = arange(x.shape[0]!).unsqueeze(1); // [T, 1]
  const len = lengths.unsqueeze(0); // [1, N]
  return gatherSteps(x, where(steps.lt(len), len.sub(1).sub(steps), steps));
}

/** Each row's last `lengths[n]` (real) steps moved to the front, its leading padding after them: a rotation of the row. */
function realStepsFirst(x: Tensor, lengths: Tensor): Tensor {
  const t = x.shape[0]!;
  const steps = arange(t).unsqueeze(1); // [T, 1]
  const shift = lengths.unsqueeze(0).neg().add(t); // [1, N]: T - length
  const src = steps.add(shift); // k + T - length
  return gatherSteps(x, where(src.lt(t), src, src.sub(t)));
}

/** Outputs of right-padded rows moved behind `T - length` leading zeros: Keras's order for a reversed, right-padded row. */
function afterPadding(out: Tensor, lengths: Tensor): Tensor {
  const t = out.shape[0]!;
  const src = arange(t).unsqueeze(1).sub(t).add(lengths.unsqueeze(0)); // [T, N]: k - T + length
  const real = src.ge(0);
  return where(real.unsqueeze(2), gatherSteps(out, where(real, src, 0)), 0);
}

/** The sequence's mask from `options.mask` (a list holds one mask per input: the first is the sequence's). */
export function firstMask(m: Tensor | (Tensor | null)[] | null | undefined): Tensor | null {
  return Array.isArray(m) ? m[0] ?? null : m ?? null;
}

/** Keras's dropout mask: kept units scaled by 1 / (1 - rate), dropped ones 0. */
export function dropoutMask(shape: number[], r: number): Tensor {
  if (r >= 1) return rand(shape).mul(0);
  return rand(shape).ge(r).float().div(1 - r);
}

/** `h W` (null when h is zeros), with the recurrent dropout mask applied to h first. */
export function recurrentMatmul(h: Tensor | null, w: Tensor, recurrentMask: Tensor | null): Tensor | null {
  if (h === null) return null;
  return linear(recurrentMask === null ? h : h.mul(recurrentMask), w, null, { weightLayout: 'in_out' });
}
