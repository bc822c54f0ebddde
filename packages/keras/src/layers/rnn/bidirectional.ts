/** `keras.layers.Bidirectional`: one recurrent layer forward, a copy of it backward, outputs merged. */
import { cat, type Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import { deserialize, serialize } from '../../registry.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { getKerasMask } from '../masking.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';
import { Recurrent, firstMask, type RNNCallOptions } from './recurrent.js';

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;
const MERGE_MODES: readonly MergeMode[] = ['sum', 'mul', 'ave', 'concat', null];

export interface BidirectionalOptions extends LayerOptions {
  /** How the two outputs combine: 'concat' (default), 'sum', 'mul', 'ave', or null (return both). */
  mergeMode?: MergeMode;
  /** The backward layer (default: a copy of `layer` from its config with `goBackwards: true`). */
  backwardLayer?: Recurrent;
}

function rebuild(layer: Recurrent, name: string, goBackwards?: boolean): Recurrent {
  const s = serialize('layer', layer);
  const config = { ...s.config, name, ...(goBackwards === undefined ? {} : { goBackwards }) };
  return deserialize<Recurrent>('layer', { className: s.className, config });
}
const removePrefix = (s: string, p: string) => (s.startsWith(p) ? s.slice(p.length) : s);

/**
 * Runs `layer` (re-created from its config as `forward_<name>`) over the
 * sequence and a backward copy (`backward_<name>`, `goBackwards: true`)
 * over the reversed sequence; with `returnSequences` the backward outputs
 * are flipped back to time order before merging. Weights: the forward
 * layer's, then the backward layer's (Keras's order). A mask reaches both
 * layers; when returning sequences they output zeros at masked steps (as
 * Keras forces `zero_output_for_mask`).
 *
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * import { randn } from '@duet/core';
 * const bi = new keras.layers.Bidirectional(new keras.layers.LSTM(8, { returnSequences: true }));
 * bi.apply(randn([4, 10, 5])).shape; // [4, 10, 16]
 * ```
 */
export class Bidirectional extends Layer {
  readonly forwardLayer: Recurrent;
  readonly backwardLayer: Recurrent;
  readonly mergeMode: MergeMode;
  readonly returnSequences: boolean;
  readonly returnState: boolean;

  constructor(layer: Recurrent, options: BidirectionalOptions = {}) {
    super(options);
    if (!(layer instanceof Layer)) throw new KerasValueError(`Please initialize \`Bidirectional\` layer with a \`keras.layers.Layer\` instance. Received: ${String(layer)}`);
    if (!(layer instanceof Recurrent)) throw new KerasValueError(`Bidirectional wraps a recurrent layer (SimpleRNN, LSTM, GRU). Received: ${(layer as Layer).constructor.name}`);
    const bl = options.backwardLayer;
    if (bl !== undefined && bl !== null && !(bl instanceof Recurrent)) {
      throw new KerasValueError(`\`backward_layer\` need to be a \`keras.layers.Layer\` instance (a recurrent layer). Received: ${String(bl)}`);
    }
    const mm = options.mergeMode === undefined ? 'concat' : options.mergeMode;
    if (!MERGE_MODES.includes(mm)) throw new KerasValueError(`Invalid merge mode. Received: ${String(mm)}. Merge mode should be one of {"sum", "mul", "ave", "concat", None}`);
    this.mergeMode = mm;
    this.forwardLayer = rebuild(layer, `forward_${removePrefix(layer.name, 'forward_')}`);
    this.backwardLayer = bl ?? rebuild(layer, `backward_${removePrefix(layer.name, 'backward_')}`, true);
    if (this.forwardLayer.goBackwards === this.backwardLayer.goBackwards) {
      throw new KerasValueError(`Forward layer and backward layer should have different \`go_backwards\` value. Received: forward_layer.go_backwards ${this.forwardLayer.goBackwards}, backward_layer.go_backwards: ${this.backwardLayer.goBackwards}`);
    }
    for (const a of ['stateful', 'returnSequences', 'returnState'] as const) {
      if (this.forwardLayer[a] !== this.backwardLayer[a]) {
        throw new KerasValueError(`Forward layer and backward layer are expected to have the same value for attribute "${a}", got "${this.forwardLayer[a]}" for forward layer and "${this.backwardLayer[a]}" for backward layer`);
      }
    }
    this.returnSequences = this.forwardLayer.returnSequences;
    this.returnState = this.forwardLayer.returnState;
    // Keras: masked steps output zeros when returning sequences.
    this.forwardLayer.zeroOutputForMask = this.returnSequences;
    this.backwardLayer.zeroOutputForMask = this.returnSequences;
    this.supportsMasking = true;
  }

  override build(inputShape: Shape | Shape[]): void {
    this.forwardLayer.maybeBuild(inputShape);
    this.backwardLayer.maybeBuild(inputShape);
  }

  override call(inputs: Tensor | Tensor[], options: RNNCallOptions): Tensor | Tensor[] {
    const [seq, ...given] = Array.isArray(inputs) ? inputs : [inputs];
    const opt = options.initialState;
    const initial = given.length > 0 ? given : opt === undefined || opt === null ? [] : Array.isArray(opt) ? opt : [opt];
    const half = initial.length / 2;
    if (!Number.isInteger(half)) throw new KerasValueError(`Bidirectional "${this.name}": initial states come in two equal halves (forward, backward). Received ${initial.length}.`);
    const mask = firstMask(options.mask) ?? getKerasMask(seq!);
    const sub = (states: Tensor[]): RNNCallOptions => ({ training: options.training, mask, initialState: states.length > 0 ? states : null });
    const fy = this.forwardLayer.applyMulti(seq!, sub(initial.slice(0, half)));
    const by = this.backwardLayer.applyMulti(seq!, sub(initial.slice(half)));
    const y = fy[0]!;
    const yRev = this.returnSequences ? by[0]!.flip([1]) : by[0]!;
    const states = this.returnState ? [...fy.slice(1), ...by.slice(1)] : [];
    let out: Tensor[];
    switch (this.mergeMode) {
      case 'concat': out = [cat([y, yRev], -1)]; break;
      case 'sum': out = [y.add(yRev)]; break;
      case 'ave': out = [y.add(yRev).div(2)]; break;
      case 'mul': out = [y.mul(yRev)]; break;
      default: out = [y, yRev];
    }
    const all = [...out, ...states];
    return all.length === 1 ? all[0]! : all;
  }

  /** The merged output(s) keep the input's mask when returning sequences; states have none. */
  override computeMask(_inputs: unknown, previousMask: Tensor | (Tensor | null)[] | null): Tensor | (Tensor | null)[] | null {
    const m = this.returnSequences ? firstMask(previousMask) : null;
    const outs = this.mergeMode === null ? [m, m] : [m];
    if (!this.returnState) return outs.length === 1 ? m : outs;
    return [...outs, ...new Array<null>(2 * this.forwardLayer.stateCount).fill(null)];
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const f = this.forwardLayer.computeOutputShape(inputShape);
    const [y, ...states] = (this.returnState ? f : [f]) as Shape[];
    const last = y!.length - 1;
    const merged: Shape[] = this.mergeMode === null ? [y!, y!]
      : this.mergeMode === 'concat' ? [[...y!.slice(0, last), y![last]! * 2]] : [y!];
    const all = [...merged, ...states, ...states];
    return all.length === 1 ? all[0]! : all;
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), mergeMode: this.mergeMode, layer: serialize('layer', this.forwardLayer), backwardLayer: serialize('layer', this.backwardLayer) };
  }

  static override fromConfig(config: LayerConfig): Bidirectional {
    const { layer, backwardLayer, ...rest } = config;
    const f = deserialize<Recurrent>('layer', layer);
    const b = backwardLayer === undefined || backwardLayer === null ? undefined : deserialize<Recurrent>('layer', backwardLayer);
    return new Bidirectional(f, { ...rest, backwardLayer: b });
  }
}
registerSerializable('layer', Bidirectional);
