/**
 * `keras.Model`: a layer with training methods. Three ways to make one, as
 * in Keras:
 *
 * - functional: `new keras.Model({ inputs, outputs })` from KerasTensors;
 * - subclassing: `class M extends keras.Model { dense = new Dense(10);
 *   call(inputs, { training }) { ... } }`;
 * - `keras.Sequential` (models/sequential.ts).
 *
 * The training methods (`compile`, `fit`, `evaluate`, `predict`,
 * `*OnBatch`) are one line each here: the trainer lives in `trainers/`.
 */
import { Tensor } from '@duet/core';
import type { SaveModelOptions } from '../saving/saving_lib.js';
import { KerasValueError, NotReadyError } from '../errors.js';
import { FunctionalGraph } from '../graph/functional_graph.js';
import { KerasTensor, type SymbolicStructure } from '../graph/keras_tensor.js';
import { InputSpec } from '../layers/input_spec.js';
import { Layer, type CallOptions, type LayerConfig } from '../layers/layer.js';
import { registerSerializable } from '../registry.js';
import { uniqueName } from '../utils/naming.js';
import type { Shape } from '../utils/shape.js';
import { printSummary, type SummaryOptions } from './summary.js';
import { functionalConfig, functionalFromConfig } from './functional_config.js';
import { compileModel, type CompileOptions, type CompileState } from '../trainers/compile.js';
import { fit, type FitOptions } from '../trainers/fit.js';
import { evaluate, type EvaluateOptions } from '../trainers/evaluate.js';
import { predict, type PredictOptions } from '../trainers/predict.js';
import { predictOnBatch, testOnBatch, trainOnBatch, type OnBatchOptions } from '../trainers/on_batch.js';
import type { History } from '../callbacks/history.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import { isIterableData, type BatchLike, type XData, type YData } from '../trainers/data_adapters/data_adapter.js';
import { builtInSteps, computeLoss, defaultTestStep, defaultTrainStep, requireCompiled, type ComputeLossArgs, type StepData, type StepLogs } from '../trainers/train_step.js';
import type { Metric } from '../metrics/metric.js';
import type { Variable } from '../layers/variable.js';

/** A plain options object (no Tensors in it), as opposed to targets by output name. */
function isOptions(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Tensor) && Object.getPrototypeOf(v) === Object.prototype && !Object.values(v).some((x) => x instanceof Tensor);
}

export interface ModelOptions {
  /** Functional models: the KerasTensor(s) from `keras.Input` (one, an array, or an object by name). */
  inputs?: SymbolicStructure;
  /** Functional models: the KerasTensor(s) computed from `inputs`. */
  outputs?: SymbolicStructure;
  name?: string;
  trainable?: boolean;
}

export class Model extends Layer {
  /** Set to true (e.g. by EarlyStopping) to end `fit` after the current batch. */
  stopTraining = false;
  /** The state `compile()` made (optimizer, losses, metrics), or null. */
  compiled: CompileState | null = null;
  /** The History of the last `fit`. */
  history: History | null = null;
  /** Set by a callback in `onTrainBegin` (BackupAndRestore): the epoch `fit` resumes at. */
  resumeFromEpoch: number | null = null;
  /** Functional models: the graph between `inputs` and `outputs`. */
  protected graph: FunctionalGraph | null = null;
  private _inputStructure: unknown = null;
  private _outputStructure: unknown = null;

  /** `new keras.Model({ inputs, outputs })`, or a subclass's `super(options)`. */
  constructor(options?: ModelOptions);
  /** Keras's positional form: `new keras.Model(inputs, outputs, { name })`. */
  constructor(inputs: SymbolicStructure, outputs: SymbolicStructure, options?: Omit<ModelOptions, 'inputs' | 'outputs'>);
  constructor(first: ModelOptions | SymbolicStructure = {}, outputs?: SymbolicStructure, rest: Omit<ModelOptions, 'inputs' | 'outputs'> = {}) {
    // Two arguments: Keras's positional (inputs, outputs); one: the options object.
    if (outputs !== undefined && !isSymbolicStructure(first)) throw new KerasValueError(`new keras.Model(inputs, outputs): \`inputs\` must be KerasTensors (from keras.Input). Received: ${String(first)}`);
    const options: ModelOptions = outputs !== undefined ? { ...rest, inputs: first as SymbolicStructure, outputs } : (first as ModelOptions);
    const functional = options.inputs !== undefined || options.outputs !== undefined;
    super({ name: options.name ?? (functional && new.target === Model ? uniqueName('functional') : undefined), trainable: options.trainable });
    for (const k of ['graph', '_inputStructure', '_outputStructure', 'compiled', 'history']) Object.defineProperty(this, k, { enumerable: false, writable: true });
    if (functional) this._setGraph(options.inputs, options.outputs);
  }

  /** @internal make this a functional model over `inputs` -> `outputs`. */
  protected _setGraph(inputs: unknown, outputs: unknown): void {
    if (inputs === undefined || outputs === undefined) throw new KerasValueError('A functional Model needs both `inputs` and `outputs`.');
    this.graph = new FunctionalGraph(inputs, outputs);
    this._inputStructure = inputs;
    this._outputStructure = outputs;
    this.built = true;
    const specs = this.graph.inputs.map((t) => new InputSpec({ shape: t.shape }));
    this.inputSpec = specs.length === 1 ? specs[0]! : specs;
    this.buildInputShape = this.graph.inputs.length === 1 ? this.graph.inputs[0]!.shape : this.graph.inputs.map((t) => t.shape);
  }

  /** The graph of a functional model (or a built Sequential), else null. */
  get functionalGraph(): FunctionalGraph | null {
    return this.graph;
  }

  /** True for `new keras.Model({ inputs, outputs })` and a built Sequential. */
  get isFunctional(): boolean {
    return this.graph !== null;
  }

  /** The model's input KerasTensors (functional models). */
  get inputs(): KerasTensor[] {
    return this.graph?.inputs ?? [];
  }
  /** The model's output KerasTensors (functional models). */
  get outputs(): KerasTensor[] {
    return this.graph?.outputs ?? [];
  }
  /** Output names (the layers that make them), for per-output losses and metrics. */
  get outputNames(): string[] {
    if (this.graph === null) return [];
    const s = this._outputStructure;
    if (s !== null && typeof s === 'object' && !Array.isArray(s) && !(s instanceof KerasTensor)) return Object.keys(s);
    return this.graph.outputs.map((t) => t.kerasHistory!.layer.name);
  }

  /** The model's layers: the graph's (input layers included) or the subclass's, in order. */
  get layers(): Layer[] {
    return this._sublayers();
  }

  protected override _sublayers(): Layer[] {
    return this.graph !== null ? [...this.graph.layers] : super._sublayers();
  }

  /** A layer by name, or by index in `layers`. */
  getLayer(nameOrIndex: string | number): Layer {
    const layers = this.layers;
    if (typeof nameOrIndex === 'number') {
      const l = layers[nameOrIndex];
      if (l === undefined) throw new KerasValueError(`Was asked to retrieve layer at index ${nameOrIndex} but model only has ${layers.length} layers.`);
      return l;
    }
    const l = layers.find((x) => x.name === nameOrIndex);
    if (l === undefined) throw new KerasValueError(`No such layer: ${nameOrIndex}. Existing layers are: ${JSON.stringify(layers.map((x) => x.name))}.`);
    return l;
  }

  /** Functional models take inputs by name too: an object is put in the graph's input order first. */
  override apply(inputs: KerasTensor | KerasTensor[] | Record<string, KerasTensor>, options?: CallOptions): KerasTensor;
  override apply(inputs: Tensor | Tensor[] | Record<string, Tensor>, options?: CallOptions): Tensor;
  override apply(inputs: unknown, options?: CallOptions): unknown;
  override apply(inputs: unknown, options?: CallOptions): unknown {
    const named = this.graph !== null && inputs !== null && typeof inputs === 'object' && !Array.isArray(inputs) && !(inputs instanceof Tensor) && !(inputs instanceof KerasTensor);
    return super.apply(named ? this._flattenInputs(inputs) : inputs, options);
  }

  override call(inputs: unknown, options: CallOptions): unknown {
    if (this.graph === null) {
      throw new NotReadyError(`Model ${this.constructor.name} has no graph: pass { inputs, outputs } to its constructor, or subclass it and implement \`call(inputs, { training })\`.`);
    }
    const outs = this.graph.run(this._flattenInputs(inputs), options);
    return packLike(this._outputStructure, outs);
  }

  override computeOutputSpec(inputs: unknown, options: CallOptions): unknown {
    if (this.graph === null) return super.computeOutputSpec(inputs, options);
    return packLike(this._outputStructure, this.graph.runSymbolic(this._flattenInputs(inputs) as unknown as KerasTensor[]));
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    if (this.graph === null) return super.computeOutputShape(inputShape);
    const ins = (this.graph.inputs.length === 1 ? [inputShape] : inputShape) as Shape[];
    const outs = this.graph.runSymbolic(ins.map((s) => new KerasTensor(s)));
    return outs.length === 1 ? outs[0]!.shape : outs.map((o) => o.shape);
  }

  /** Inputs in the graph's order, from a tensor, an array, or an object keyed by input name. */
  private _flattenInputs(inputs: unknown): Tensor[] {
    const g = this.graph!;
    if (inputs instanceof Tensor || inputs instanceof KerasTensor) return [inputs as Tensor];
    if (Array.isArray(inputs)) {
      if (inputs.length !== g.inputs.length) {
        throw new KerasValueError(`Layer "${this.name}" expects ${g.inputs.length} input(s), but it received ${inputs.length} input tensors.`);
      }
      return inputs as Tensor[];
    }
    if (inputs !== null && typeof inputs === 'object') {
      const o = inputs as Record<string, Tensor>;
      const s = this._inputStructure;
      const keys = s !== null && typeof s === 'object' && !Array.isArray(s) && !(s instanceof KerasTensor) ? Object.keys(s) : g.inputNames;
      const missing = keys.filter((k) => !(k in o));
      if (missing.length > 0) {
        throw new KerasValueError(`Missing data for input(s) ${JSON.stringify(missing)} of model "${this.name}". Received keys: ${JSON.stringify(Object.keys(o))}. Expected the following keys: ${JSON.stringify(keys)}`);
      }
      return keys.map((k) => o[k]!);
    }
    throw new KerasValueError(`Model "${this.name}" expects Tensors as inputs. Received: ${String(inputs)}`);
  }

  override build(inputShape: Shape | Shape[]): void {
    // Subclassed models create their weights when their layers are first called.
    void inputShape;
  }

  /** Print Keras's summary table (to `options.printFn`, default console.log). */
  summary(options: SummaryOptions = {}): void {
    printSummary(this, options);
  }

  // ------------------------------------------------------------- training
  /**
   * Configure training: `compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] })`.
   * Without a loss the model trains on the losses its layers add (`addLoss`).
   */
  compile(options: CompileOptions): void {
    this.compiled = compileModel(this, options);
  }

  /**
   * One training step on `data` (`[x]`, `[x, y]` or `[x, y, sampleWeight]`),
   * which `fit` calls for every batch; returns the logs (metric name ->
   * value). Override it to change what `fit` does (Keras's `train_step`):
   *
   * ```ts
   * override trainStep(data: keras.StepData) {
   *   const [x, y] = data;
   *   const yPred = this.apply(x, { training: true });
   *   const loss = this.computeLoss({ y, yPred });
   *   const gradients = grad(loss, this.trainableVariables);
   *   this.optimizer!.apply(gradients, this.trainableVariables);
   *   ...
   * ```
   */
  trainStep(data: StepData<any, any>): StepLogs {
    return defaultTrainStep(this, requireCompiled(this, 'trainStep'), data);
  }
  /** One evaluation step (Keras's `test_step`), which `evaluate` and validation call for every batch. */
  testStep(data: StepData<any, any>): StepLogs {
    return defaultTestStep(this, requireCompiled(this, 'testStep'), data);
  }
  /** The compiled loss of `yPred` against `y`, plus the losses the layers added (Keras's `compute_loss`). */
  computeLoss(args: ComputeLossArgs): Tensor {
    return computeLoss(this, args);
  }
  /**
   * The metrics `fit` and `evaluate` reset at each epoch (Keras's
   * `model.metrics`): the loss tracker (`name` 'loss') and the compiled
   * metrics. Override the getter to list your own trackers.
   */
  get metrics(): Metric[] {
    return this.compiled?.modelMetrics(this) ?? [];
  }
  /** The trainable weights (Keras's `trainable_variables`, the same list as `trainableWeights`). */
  get trainableVariables(): Variable[] {
    return this.trainableWeights;
  }
  get optimizer(): Optimizer | null {
    return this.compiled?.optimizer ?? null;
  }
  /**
   * Train; resolves to the History (`history.history.loss`, `.accuracy`,
   * `.val_loss`). With a DataLoader or another iterable of batches, the
   * options may come second: `fit(loader, { epochs: 5 })`.
   */
  fit(x: Iterable<BatchLike> | AsyncIterable<BatchLike>, options?: FitOptions): Promise<History>;
  fit(x?: XData, y?: YData, options?: FitOptions): Promise<History>;
  fit(x?: XData, y?: YData | FitOptions, options: FitOptions = {}): Promise<History> {
    if (isIterableData(x) && isOptions(y)) return fit(this, x, undefined, y);
    return fit(this, x, y as YData | undefined, options);
  }
  /**
   * `[loss, ...metrics]`, or the loss alone when there are no metrics (or an
   * object with `returnDict`). `evaluate(loader, { verbose: 0 })` for iterables.
   */
  evaluate(x: Iterable<BatchLike> | AsyncIterable<BatchLike>, options?: EvaluateOptions): Promise<number | number[] | Record<string, number>>;
  evaluate(x?: XData, y?: YData, options?: EvaluateOptions): Promise<number | number[] | Record<string, number>>;
  evaluate(x?: XData, y?: YData | EvaluateOptions, options: EvaluateOptions = {}): Promise<number | number[] | Record<string, number>> {
    if (isIterableData(x) && isOptions(y)) return evaluate(this, x, undefined, y);
    return evaluate(this, x, y as YData | undefined, options);
  }
  /** Outputs for all of `x`, batch by batch (yours: the result is kept). */
  predict(x: XData, options: PredictOptions = {}): Promise<Tensor | Tensor[]> {
    return predict(this, x, options);
  }
  trainOnBatch(x: XData, y?: YData, options: OnBatchOptions = {}): number | number[] | Record<string, number> {
    return trainOnBatch(this, x, y, options);
  }
  testOnBatch(x: XData, y?: YData, options: OnBatchOptions = {}): number | number[] | Record<string, number> {
    return testOnBatch(this, x, y, options);
  }
  predictOnBatch(x: XData): Tensor | Tensor[] {
    return predictOnBatch(this, x);
  }

  // --------------------------------------------------------------- saving
  // (saving/ is imported when used: it imports this file.)
  /** Save to a `.keras` file, Keras 3's format: config, weights, compile config and optimizer state. */
  async save(path: string, options: SaveModelOptions = {}): Promise<void> {
    return (await import('../saving/saving_lib.js')).saveModel(this, path, options);
  }
  /** Save the weights (and optimizer state) to a `.weights.h5` file, Keras 3's layout. */
  async saveWeights(path: string): Promise<void> {
    return (await import('../saving/saving_lib.js')).saveWeights(this, path);
  }
  /** Load weights from a `.weights.h5` (or `.keras`) file; every shape is checked before any is set. */
  async loadWeights(path: string): Promise<void> {
    return (await import('../saving/saving_lib.js')).loadWeights(this, path);
  }

  // --------------------------------------------------------------- config
  /** Functional models: the layers and how they are connected (models/functional_config.ts). */
  override getConfig(): LayerConfig {
    if (this.graph === null) return { name: this.name, trainable: this.trainable };
    return functionalConfig(this, this.graph.layers, this.graph.nodes, this._inputStructure, this._outputStructure);
  }

  static override fromConfig(config: LayerConfig): Model {
    if (!Array.isArray(config.layers)) return new Model({ name: config.name, trainable: config.trainable });
    const { inputs, outputs } = functionalFromConfig(config);
    return new Model({ inputs: inputs as SymbolicStructure, outputs: outputs as SymbolicStructure, name: config.name, trainable: config.trainable });
  }

  /** Reset every metric in `metrics` and the compiled ones (Keras's `model.reset_metrics()`). */
  resetMetrics(): void {
    for (const m of this.metrics) m.resetState();
    this.compiled?.resetMetrics();
  }

  /**
   * Free the model's native memory now: every layer's weights (nested models
   * included, shared layers once), and if compiled, the optimizer's slots
   * and the metrics' state; the model is no longer compiled. The model
   * cannot be called or trained afterwards (a freed weight throws core's
   * error). An optimizer shared with another model loses its slots too
   * (they restart from zero there, as after `optimizer.dispose()`).
   */
  override dispose(): void {
    const compiled = this.compiled;
    if (compiled !== null) {
      compiled.optimizer.dispose();
      for (const [, m] of compiled.trackers()) m.dispose();
      this.compiled = null;
    }
    super.dispose();
  }

  /**
   * Names of the values `evaluate` returns, in their order (after the first
   * step, when the metrics are built). Keras 3 lists its top-level trackers
   * here (`['loss', 'compile_metrics']`), which do not name `evaluate`'s
   * values; Duet names each value.
   */
  get metricsNames(): string[] {
    return this.compiled?.namesInOrder() ?? [];
  }
}
registerSerializable('layer', Model);
builtInSteps.add(Model.prototype.trainStep).add(Model.prototype.testStep);

/** KerasTensors (one, an array, or an object of them): the positional `inputs` of `new keras.Model(inputs, outputs)`. */
function isSymbolicStructure(v: unknown): v is SymbolicStructure {
  if (v instanceof KerasTensor) return true;
  if (Array.isArray(v)) return v.length > 0 && v.every((e) => e instanceof KerasTensor || Array.isArray(e));
  if (v === null || typeof v !== 'object') return false;
  const values = Object.values(v);
  return values.length > 0 && values.every((e) => e instanceof KerasTensor);
}

/** `values` (flat, in order) packed like `structure` (a KerasTensor, an array or an object of them). */
export function packLike(structure: unknown, values: unknown[]): unknown {
  let i = 0;
  const pack = (s: unknown): unknown => {
    if (s instanceof KerasTensor) return values[i++];
    if (Array.isArray(s)) return s.map(pack);
    if (s !== null && typeof s === 'object') return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, pack(v)]));
    return s;
  };
  return pack(structure);
}
