/** `keras.layers.Lambda`: wraps a function of the inputs as a layer (no weights). */
import type { Tensor } from '@duet/core';
import { KerasValueError } from '../../errors.js';
import { registerSerializable } from '../../registry.js';
import type { Shape } from '../../utils/shape.js';
import { Layer, type LayerConfig, type LayerOptions } from '../layer.js';

export interface LambdaOptions extends LayerOptions {
  /** The output shape (without batch axis), or a function of the input shape; default: found by running `fn`. */
  outputShape?: (number | null)[] | ((inputShape: Shape | Shape[]) => Shape) | null;
  /** Extra arguments passed to `fn` as its second parameter. */
  arguments?: Record<string, unknown>;
}

/**
 * @example
 * ```ts
 * import * as keras from '@duet/keras';
 * const double = new keras.layers.Lambda((x) => x.mul(2));
 * ```
 */
export class Lambda extends Layer {
  readonly fn: (inputs: any, args: Record<string, unknown>) => Tensor | Tensor[];
  readonly outputShape: LambdaOptions['outputShape'];
  readonly arguments: Record<string, unknown>;
  constructor(fn: (inputs: any, args: Record<string, unknown>) => Tensor | Tensor[], options: LambdaOptions = {}) {
    super(options);
    if (typeof fn !== 'function') throw new KerasValueError(`Argument \`function\` must be a callable. Received: ${String(fn)}`);
    this.fn = fn;
    this.outputShape = options.outputShape ?? null;
    this.arguments = options.arguments ?? {};
  }
  override call(inputs: unknown): Tensor | Tensor[] {
    return this.fn(inputs, this.arguments);
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const o = this.outputShape;
    if (typeof o === 'function') return o(inputShape);
    if (Array.isArray(o)) return [(inputShape[0] as number | null) ?? null, ...o];
    return super.computeOutputShape(inputShape);
  }
  /** A Lambda's function cannot be serialized: its config names it, and `fromConfig` needs it back (`{ fn }`). */
  override getConfig(): LayerConfig {
    return { ...super.getConfig(), function: this.fn.name || '<lambda>', outputShape: Array.isArray(this.outputShape) ? this.outputShape : null, arguments: this.arguments };
  }
  static override fromConfig(config: LayerConfig): Lambda {
    if (typeof config.fn !== 'function') {
      throw new KerasValueError(`Lambda layer "${config.name}" cannot be rebuilt from its config: functions are not serialized. Pass the function as \`fn\` in the config.`);
    }
    return new Lambda(config.fn, config);
  }
}
registerSerializable('layer', Lambda);
