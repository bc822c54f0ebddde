/**
 * `keras.layers.Layer`, the base of every layer and model (Keras 3's
 * `layers/layer.py`). One call path, `apply()`:
 *
 *   apply(inputs, { training })
 *     -> check `inputSpec`          (Keras's "Input 0 of layer ... is incompatible")
 *     -> build(inputShape) once     (creates weights with `addWeight`)
 *     -> call(inputs, { training }) (computes; subclasses override this)
 *
 * On KerasTensors (`keras.Input`) the same path computes output shapes
 * instead of values and records a `Node`, which is how functional models are
 * made. The math is core's and nn's: a layer holds `Variable`s (which are
 * `nn.Parameter`s) and calls core ops / `F.*` on them.
 *
 * To write a layer: constructor(mainArg, options) validates and stores its
 * config (`super(options)` first); `build(inputShape)` calls `addWeight`;
 * `call(inputs, options)` computes; `computeOutputShape(inputShape)` (else
 * it is found by running `call` on zeros); `getConfig()` returns
 * `{ ...super.getConfig(), ...ownOptions }`; `static fromConfig(config)` if the
 * constructor takes a positional argument; `registerSerializable('layer', Cls)`.
 */
import { Tensor, enterLibraryCall, exitLibraryCall, markUserReachable, noGrad, scope, tensor, zeros } from '@duet/core';
import { KerasValueError, NotReadyError } from '../errors.js';
import { KerasTensor, flattenSymbolic, isSymbolic, type SymbolicDType } from '../graph/keras_tensor.js';
import { Node } from '../graph/node.js';
import { getConstraint, type ConstraintIdentifier } from '../constraints/constraint.js';
import { getInitializer, type InitializerIdentifier } from '../initializers/initializer.js';
import { getRegularizer, serializeRegularizer, type RegularizerIdentifier, type Regularizer } from '../regularizers/regularizer.js';
import { toSnakeCase, uniqueName } from '../utils/naming.js';
import { shapeToString, standardizeShape, type Shape } from '../utils/shape.js';
import { currentContext, withCallContext } from './call_context.js';
import { checkWeight } from './weight_check.js';
import { InputSpec, assertInputCompatibility } from './input_spec.js';
import { Variable } from './variable.js';
import { flattenTensors, isShapeList, shapesOf, toTensors } from './structure.js';
import { getKerasMask, setKerasMask } from './masking.js';

export { shapesOf };

export interface LayerOptions {
  /** Unique name (default: the class name in snake_case, numbered: `dense`, `dense_1`). */
  name?: string;
  /** Whether its weights are trained. Default true. */
  trainable?: boolean;
  /** Only 'float32' (Duet's float dtype). */
  dtype?: 'float32';
  /** Regularizer applied to the layer's outputs (added to the loss). */
  activityRegularizer?: RegularizerIdentifier;
  /**
   * The input shape without the batch axis, on the first layer of a
   * Sequential (Keras 3 prefers `keras.Input({ shape })` as the first entry).
   */
  inputShape?: (number | null)[];
}

export interface CallOptions {
  /** Training mode (Dropout active, BatchNorm batch statistics). Default: the enclosing call's, else false. */
  training?: boolean;
  /** The input's mask (layers/masking.ts); by default the one attached to the first input. */
  mask?: Tensor | (Tensor | null)[] | null;
  [key: string]: unknown;
}

export interface AddWeightOptions {
  shape: number[];
  /** Name or instance; default 'glorot_uniform' for float weights (Keras's default). */
  initializer?: InitializerIdentifier;
  name?: string;
  trainable?: boolean;
  regularizer?: RegularizerIdentifier;
  constraint?: ConstraintIdentifier;
  dtype?: 'float32';
}

/** A weight value as `setWeights` accepts it: a Tensor or nested arrays of numbers. */
export type WeightValue = Tensor | number | readonly unknown[] | Float32Array;

export type LayerConfig = Record<string, any>;

export class Layer {
  name: string;
  /** True once `build()` has run (weights exist). */
  built = false;
  /** What `apply()` checks its inputs against (one spec per input). */
  inputSpec: InputSpec | InputSpec[] | null = null;
  readonly dtype = 'float32';
  activityRegularizer: Regularizer | null;
  /** The shape `build()` was called with. */
  buildInputShape: Shape | Shape[] | null = null;
  /** The calls of this layer on KerasTensors. */
  inboundNodes: Node[] = [];
  /** The `inputShape` option, for a Sequential's first layer. */
  readonly batchInputShape: Shape | null;
  /** Whether `apply()` attaches `computeMask()`'s result to the outputs (layers that keep the timesteps set it). */
  supportsMasking = false;
  private _trainable: boolean;
  private readonly _ownWeights: Variable[] = [];
  private _callLosses: Tensor[] = [];
  /** Tensors kept by `keepCached`, freed by `dispose()`. */
  private _cached: Tensor[] = [];

  constructor(options: LayerOptions = {}) {
    const o = options ?? {};
    if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '' || o.name.includes('/'))) {
      throw new KerasValueError(`Argument \`name\` must be a string and cannot contain character \`/\`. Received: name=${JSON.stringify(o.name)} (of type ${typeof o.name})`);
    }
    if (o.trainable !== undefined && typeof o.trainable !== 'boolean') {
      throw new KerasValueError(`Expected \`trainable\` argument to be a boolean, but got: ${String(o.trainable)}`);
    }
    if (o.dtype !== undefined && o.dtype !== 'float32') throw new KerasValueError(`Duet layers compute in float32. Received: dtype=${String(o.dtype)}`);
    this.name = o.name ?? uniqueName(toSnakeCase(new.target.name));
    this._trainable = o.trainable ?? true;
    this.activityRegularizer = getRegularizer(o.activityRegularizer);
    this.batchInputShape = o.inputShape !== undefined ? [null, ...standardizeShape(o.inputShape, 'inputShape')] : null;
    // Keep the bookkeeping out of the sublayer scan and of util.inspect.
    for (const k of ['_ownWeights', '_callLosses', 'inboundNodes']) Object.defineProperty(this, k, { enumerable: false });
    // As Keras wraps `build`: calling it (by hand or on the first call) builds once, without autograd,
    // releases the initializers' temporaries, and marks the layer built.
    const subclassBuild = this.build;
    Object.defineProperty(this, 'build', {
      enumerable: false,
      writable: true,
      value: (inputShape: Shape | Shape[]) => {
        if (this.built) return;
        noGrad(() => scope(() => subclassBuild.call(this, inputShape)));
        this.buildInputShape = inputShape;
        this.built = true;
      },
    });
  }

  // ------------------------------------------------------------- lifecycle
  /**
   * Create the weights for inputs of `inputShape` (batch axis included, null
   * if unknown). Runs once: on the first call, or when called by hand.
   */
  build(_inputShape: Shape | Shape[]): void {}

  /** The computation. Subclasses override it; `apply()` is what callers use. */
  call(_inputs: unknown, _options: CallOptions): unknown {
    throw new NotReadyError(`Layer ${this.constructor.name} does not have a \`call()\` method implemented.`);
  }

  /**
   * The output shape for inputs of `inputShape`. The default runs `call` on
   * zeros (unknown sizes as 1) and reads the result's shape; layers override
   * it when that is not right or too costly.
   */
  computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const { shapes, list } = this._trace(inputShape);
    return list ? shapes.map((o) => o.shape) : shapes[0]!.shape;
  }

  /** Symbolic outputs for symbolic inputs (shape and dtype). */
  computeOutputSpec(inputs: unknown, _options: CallOptions): unknown {
    const out = this.computeOutputShape(shapesOf(inputs));
    const dtype = this.outputDtype(flattenSymbolic(inputs));
    if (isShapeList(out)) return (out as Shape[]).map((s) => new KerasTensor(s, { dtype }));
    return new KerasTensor(out as Shape, { dtype });
  }

  /** The dtype of the symbolic outputs: float32 (the compute dtype); layers that only move values keep their input's. */
  protected outputDtype(_inputs: KerasTensor[]): SymbolicDType {
    return 'float32';
  }

  /** Run `call` on zeros of `inputShape` (unknown sizes as 1); the outputs' shapes, batch axis unknown again. */
  private _trace(inputShape: Shape | Shape[]): { shapes: { shape: Shape; dtype: SymbolicDType }[]; list: boolean } {
    const multi = isShapeList(inputShape);
    const ins = (multi ? inputShape : [inputShape]) as Shape[];
    let list = false;
    const shapes = scope(() =>
      noGrad(() => {
        const xs = ins.map((s) => zeros(s.map((d) => d ?? 1)));
        const out = withCallContext(false, () => this.call(multi ? xs : xs[0], { training: false }));
        list = Array.isArray(out);
        const outs = flattenTensors(out);
        return outs.map((t) => ({ shape: [...t.shape] as Shape, dtype: t.dtype as SymbolicDType }));
      }),
    );
    if (ins[0]?.[0] === null) for (const r of shapes) if (r.shape.length > 0) r.shape[0] = null;
    return { shapes, list };
  }

  /** Build once, from the shapes of the first inputs. */
  maybeBuild(inputShape: Shape | Shape[]): void {
    if (!this.built) this.build(inputShape);
  }

  /**
   * Call the layer: on Tensors it computes (building first if needed); on
   * KerasTensors it records the call and returns symbolic outputs.
   */
  apply(inputs: KerasTensor | KerasTensor[] | Record<string, KerasTensor>, options?: CallOptions): KerasTensor;
  apply(inputs: Tensor | Tensor[] | Record<string, Tensor>, options?: CallOptions): Tensor;
  apply(inputs: unknown, options?: CallOptions): unknown;
  apply(inputs: unknown, options: CallOptions = {}): unknown {
    if (isSymbolic(inputs)) return this._symbolicApply(inputs, options);
    const xs = toTensors(inputs, this.name);
    this._checkInputs(shapesOf(xs));
    this.maybeBuild(shapesOf(xs));
    const previousMask = options.mask !== undefined ? options.mask : maskOfFirst(xs);
    // A library call of core's memory manager, as nn's Module forward is: what the
    // call makes and does not hand out is freed early (docs/design/memory.md).
    // Handed out: the outputs, their masks, and the losses the call added.
    enterLibraryCall(this, 'call');
    // As Keras, the outermost call clears the losses of every layer inside it: `losses` holds this call's only.
    const outermost = currentContext() === null;
    let out: unknown;
    try {
      out = withCallContext(options.training, (ctx) => {
        if (outermost) for (const l of this.flattenLayers()) l._callLosses = [];
        this._callLosses = [];
        const callOptions: CallOptions = { ...options, training: ctx.training };
        if (previousMask !== null) callOptions.mask = previousMask;
        const result = this.call(xs, callOptions);
        if (this.supportsMasking) this._setMasks(xs, result, previousMask ?? null);
        // Keras 3 divides the activity penalty by the batch size (consistent strength across batch sizes).
        if (this.activityRegularizer !== null) {
          for (const t of flattenTensors(result)) {
            const penalty = this.activityRegularizer.call(t);
            this.addLoss(t.ndim > 0 ? penalty.div(t.shape[0]!) : penalty);
          }
        }
        return result;
      });
      markUserReachable(this._callLosses);
      markUserReachable(flattenTensors(out).map(getKerasMask));
    } catch (e) {
      exitLibraryCall(undefined);
      throw e;
    }
    return exitLibraryCall(out);
  }

  /**
   * The mask of the outputs for these inputs (Keras's `compute_mask`): by
   * default the input's mask, unchanged. Used when `supportsMasking`.
   */
  computeMask(_inputs: unknown, previousMask: Tensor | (Tensor | null)[] | null): Tensor | (Tensor | null)[] | null {
    return previousMask;
  }

  private _setMasks(inputs: unknown, outputs: unknown, previousMask: Tensor | (Tensor | null)[] | null): void {
    const outs = flattenTensors(outputs);
    if (outs.length === 0 || outs.every((t) => getKerasMask(t) !== null)) return;
    const m = this.computeMask(inputs, previousMask);
    if (m === null) return;
    const ms = Array.isArray(m) ? m : [m];
    outs.forEach((t, i) => {
      const mi = ms[i] ?? null;
      if (mi !== null && getKerasMask(t) === null) setKerasMask(t, mi);
    });
  }

  /** `apply` for layers that return several outputs (typed as an array). */
  applyMulti(inputs: KerasTensor | KerasTensor[] | Record<string, KerasTensor>, options?: CallOptions): KerasTensor[];
  applyMulti(inputs: Tensor | Tensor[] | Record<string, Tensor>, options?: CallOptions): Tensor[];
  applyMulti(inputs: unknown, options: CallOptions = {}): unknown[] {
    const out = this.apply(inputs, options);
    return Array.isArray(out) ? out : [out];
  }

  private _symbolicApply(inputs: unknown, options: CallOptions): unknown {
    const shapes = shapesOf(inputs);
    this._checkInputs(shapes);
    this.maybeBuild(shapes);
    const { training: _t, ...rest } = options;
    const outputs = this.computeOutputSpec(inputs, options);
    this.inboundNodes.push(new Node(this, inputs, outputs, rest));
    return outputs;
  }

  private _checkInputs(shapes: Shape | Shape[]): void {
    if (this.inputSpec === null) return;
    const specs = Array.isArray(this.inputSpec) ? this.inputSpec : [this.inputSpec];
    const list = (isShapeList(shapes) ? shapes : [shapes]) as Shape[];
    if (specs.length !== list.length && specs.length > 1) {
      throw new KerasValueError(`Layer "${this.name}" expects ${specs.length} input(s), but it received ${list.length} input tensors.`);
    }
    specs.forEach((s, i) => list[i] !== undefined && assertInputCompatibility(s, list[i]!, this.name, i));
  }

  // --------------------------------------------------------------- weights
  /** Create a weight (Keras's `add_weight`); call it from `build()`. */
  addWeight(options: AddWeightOptions): Variable {
    const { shape, name = 'variable', trainable = true } = options;
    const path = `${this.name}/${name}`;
    checkWeight(path, shape);
    const init = getInitializer(options.initializer ?? 'glorot_uniform');
    const value = init.call([...shape], 'float32');
    const v = new Variable(value, {
      name, path, trainable,
      regularizer: getRegularizer(options.regularizer), constraint: getConstraint(options.constraint),
    });
    value.dispose();
    this._ownWeights.push(v);
    return v;
  }

  /** Layers held by this one (properties holding a Layer or an array of Layers), each once. */
  protected _sublayers(): Layer[] {
    const out: Layer[] = [];
    const add = (l: unknown) => l instanceof Layer && l !== this && !out.includes(l) && out.push(l);
    for (const v of Object.values(this)) {
      if (Array.isArray(v)) v.forEach(add);
      else add(v);
    }
    return out;
  }

  /** Sublayers, recursively, each once (Keras's `_flatten_layers(include_self=False)`). */
  flattenLayers(): Layer[] {
    const out: Layer[] = [];
    const visit = (l: Layer) => {
      for (const s of l._sublayers()) {
        if (out.includes(s)) continue;
        out.push(s);
        visit(s);
      }
    };
    visit(this);
    return out;
  }

  /** All weights: own (trainable first, in creation order), then the sublayers', each once. */
  get weights(): Variable[] {
    const own = [...this._ownWeights.filter((w) => w.trainable), ...this._ownWeights.filter((w) => !w.trainable)];
    const out = [...own];
    for (const l of this._sublayers()) for (const w of l.weights) if (!out.includes(w)) out.push(w);
    return out;
  }
  get trainableWeights(): Variable[] {
    if (!this.trainable) return [];
    const out = this._ownWeights.filter((w) => w.trainable);
    for (const l of this._sublayers()) for (const w of l.trainableWeights) if (!out.includes(w)) out.push(w);
    return out;
  }
  get nonTrainableWeights(): Variable[] {
    const t = new Set(this.trainableWeights);
    return this.weights.filter((w) => !t.has(w));
  }

  /** Freezing a layer (false) freezes its sublayers' weights too. */
  get trainable(): boolean {
    return this._trainable;
  }
  set trainable(v: boolean) {
    this._trainable = v;
    for (const l of this._sublayers()) l.trainable = v;
  }

  /**
   * Free the native memory of the weights now (this layer's and its
   * sublayers', each once), as nn's optimizers' `dispose()`. The layer cannot
   * be called afterwards: reading a freed weight throws core's error. The
   * garbage collector frees them too, later. Model.dispose() also frees the
   * optimizer's slots and the metrics' state.
   */
  dispose(): void {
    for (const w of this.weights) if (!w.isDisposed) w.dispose();
    for (const l of [this as Layer, ...this.flattenLayers()]) {
      for (const t of l._cached) if (!t.isDisposed) t.dispose();
      l._cached = [];
    }
  }

  /**
   * Keep `t` for the layer's life and return it: a tensor the layer holds
   * besides its weights (a constant made once for its calls, such as
   * Normalization's fixed statistics). It outlives step scopes (`keep()`),
   * and `dispose()` frees it with the weights, for this layer and each sublayer.
   */
  protected keepCached<T extends Tensor>(t: T): T {
    this._cached.push(t.keep());
    return t;
  }

  /**
   * Copies of the weights' values, in `weights` order. They are yours (kept
   * across training steps, as Keras's NumPy copies): `dispose()` them when done.
   */
  getWeights(): Tensor[] {
    return this.weights.map((w) => noGrad(() => w.clone()).keep());
  }

  /** Set every weight, in `weights` order, from Tensors or nested arrays of the same shapes. */
  setWeights(values: readonly WeightValue[]): void {
    const ws = this.weights;
    if (!Array.isArray(values) || values.length !== ws.length) {
      throw new KerasValueError(`You called \`set_weights(weights)\` on layer "${this.name}" with a weight list of length ${Array.isArray(values) ? values.length : String(values)}, but the layer was expecting ${ws.length} weights.`);
    }
    const ts = values.map((v) => (v instanceof Tensor ? v : tensor(v as number[])));
    try {
      ws.forEach((w, i) => {
        const t = ts[i]!;
        if (t.shape.length !== w.shape.length || t.shape.some((d, j) => d !== w.shape[j])) {
          throw new KerasValueError(`Layer ${this.name} weight shape ${shapeToString(w.shape)} is not compatible with provided weight shape ${shapeToString(t.shape)}.`);
        }
      });
      ws.forEach((w, i) => w.assign(ts[i]!));
    } finally {
      ts.forEach((t, i) => t !== values[i] && t.dispose());
    }
  }

  /** Number of weight elements (Keras raises if the layer is not built). */
  countParams(): number {
    if (!this.built) {
      throw new NotReadyError(`You tried to call \`count_params\` on layer '${this.name}', but the layer isn't built. You can build it manually via: \`layer.build(inputShape)\`.`);
    }
    return this.weights.reduce((n, w) => n + w.numel(), 0);
  }

  // ---------------------------------------------------------------- losses
  /** Add a loss (a 0-d tensor) from inside `call`; the trainer adds it to the training loss. */
  addLoss(loss: Tensor): void {
    this._callLosses.push(loss);
  }

  /** Losses of the last call (`addLoss`, activity regularizers) and the weight regularizers' penalties, recursively. */
  get losses(): Tensor[] {
    const out: Tensor[] = [...this._callLosses.filter((t) => !t.isDisposed)];
    for (const w of this._ownWeights) if (w.regularizer !== null && w.trainable) out.push(w.regularizer.call(w));
    for (const l of this._sublayers()) out.push(...l.losses);
    return out;
  }

  // ---------------------------------------------------------------- config
  /** The options that rebuild this layer (`Cls.fromConfig(layer.getConfig())`), camelCase. */
  getConfig(): LayerConfig {
    const c: LayerConfig = { name: this.name, trainable: this.trainable, dtype: this.dtype };
    if (this.activityRegularizer !== null) c.activityRegularizer = serializeRegularizer(this.activityRegularizer);
    if (this.batchInputShape !== null) c.inputShape = this.batchInputShape.slice(1);
    return c;
  }

  /**
   * A new layer from `getConfig()`'s output: `new Cls(config)` (Keras's
   * `cls(**config)`). A constructor with positional parameters
   * (`constructor(units = 32, options = {})`) cannot take the config that
   * way: override `fromConfig` to pass them (`new Linear(config.units, config)`).
   * If the whole config landed in a positional parameter, that is an error.
   */
  static fromConfig(config: LayerConfig): Layer {
    const layer = new (this as unknown as new (c: LayerConfig) => Layer)(config);
    const field = Object.entries(layer).find(([, v]) => v === config)?.[0];
    if (field !== undefined) {
      throw new KerasValueError(`${this.name}.fromConfig(config) passed the whole config to the constructor, which stored it as \`${field}\`: Keras's \`cls(**config)\` cannot fill positional parameters in JavaScript. Override \`static fromConfig(config)\` in ${this.name} to pass them, e.g. \`return new ${this.name}(config.${field}, config);\`. Received: config=${JSON.stringify(config)}`);
    }
    return layer;
  }

  // ------------------------------------------------------- graph accessors
  /** The input KerasTensor(s) of the layer's first symbolic call. */
  get input(): KerasTensor | KerasTensor[] {
    const n = this._firstNode('input');
    return n.inputTensors.length === 1 ? n.inputTensors[0]! : n.inputTensors;
  }
  /** The output KerasTensor(s) of the layer's first symbolic call. */
  get output(): KerasTensor | KerasTensor[] {
    const n = this._firstNode('output');
    return n.outputTensors.length === 1 ? n.outputTensors[0]! : n.outputTensors;
  }
  private _firstNode(what: string): Node {
    const n = this.inboundNodes[0];
    if (n === undefined) throw new NotReadyError(`The layer ${this.name} has never been called and thus has no defined ${what}.`);
    return n;
  }

  toString(): string {
    return `<${this.constructor.name} name=${this.name}, built=${this.built ? 'True' : 'False'}>`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** The mask of the first input (Keras passes the first argument's mask), or null. */
function maskOfFirst(xs: unknown): Tensor | (Tensor | null)[] | null {
  if (xs instanceof Tensor) return getKerasMask(xs);
  if (Array.isArray(xs)) {
    const ms = xs.map((x) => (x instanceof Tensor ? getKerasMask(x) : null));
    return ms.some((m) => m !== null) ? ms : null;
  }
  return null;
}
