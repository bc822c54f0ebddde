/** Keras's constant initializers: Zeros, Ones, Constant, Identity. */
import { eye, full, zeros, type Tensor } from '@duet/core';
import { KerasValueError } from '../errors.js';
import { registerSerializable } from '../registry.js';
import { Initializer } from './initializer.js';

export class Zeros extends Initializer {
  constructor(_config: Record<string, never> = {}) {
    super();
  }
  call(shape: number[], dtype: 'float32' | 'int32' = 'float32'): Tensor {
    return zeros(shape, { dtype });
  }
}

export class Ones extends Initializer {
  constructor(_config: Record<string, never> = {}) {
    super();
  }
  call(shape: number[], dtype: 'float32' | 'int32' = 'float32'): Tensor {
    return full(shape, 1, { dtype });
  }
}

/** Every element = `value` (default 0). */
export class Constant extends Initializer {
  readonly value: number;
  constructor(config: { value?: number } | number = {}) {
    super();
    this.value = typeof config === 'number' ? config : config.value ?? 0;
  }
  call(shape: number[], dtype: 'float32' | 'int32' = 'float32'): Tensor {
    return full(shape, this.value, { dtype });
  }
  override getConfig(): Record<string, unknown> {
    return { value: this.value };
  }
}

/** `gain` times the identity matrix (2-d shapes only). */
export class Identity extends Initializer {
  readonly gain: number;
  constructor(config: { gain?: number } = {}) {
    super();
    this.gain = config.gain ?? 1;
  }
  call(shape: number[]): Tensor {
    if (shape.length !== 2) throw new KerasValueError(`Identity matrix initializer can only be used for 2D matrices. Received: shape=${JSON.stringify(shape)} of rank ${shape.length}.`);
    const i = eye(shape[0]!, shape[1]!);
    if (this.gain === 1) return i;
    const out = i.mul(this.gain);
    i.dispose();
    return out;
  }
  override getConfig(): Record<string, unknown> {
    return { gain: this.gain };
  }
}

registerSerializable('initializer', Zeros);
registerSerializable('initializer', Ones);
registerSerializable('initializer', Constant);
registerSerializable('initializer', Identity);
