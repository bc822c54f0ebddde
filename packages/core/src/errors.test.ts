/** TensorFlow's failures as Duet's typed errors (engine.ts opError), and the error classes' codes. */
import { describe, expect, it } from 'vitest';
import { opError } from './engine.js';
import { ArgumentError, DuetError, IndexError, NativeEngineError, OutOfMemoryError, ShapeError } from './errors.js';
import { tensor } from './creation.js';

const tfError = (status: number, message: string) => new Error(`Invalid TF_Status: ${status}\nMessage: ${message}`);
const inputs = [tensor([[1, 2]])._v(), tensor([0], { dtype: 'int32' })._v()];

describe('opError: a TensorFlow status as a typed error naming the op and its inputs', () => {
  it.each([
    [8, 'OOM when allocating tensor with shape[1000000,1000000] and type float on /job:localhost/replica:0/task:0/device:CPU:0 by allocator mklcpu', OutOfMemoryError, 'ERR_OUT_OF_MEMORY'],
    [3, 'indices[0] = 7 is not in [0, 3)', IndexError, 'ERR_INDEX'],
    [3, 'indices[0,1] = [0, 5] does not index into param shape [3,4], node name: GatherNd', IndexError, 'ERR_INDEX'],
    [3, 'Received a label value of 10 which is outside the valid range of [0, 10).  Label values: 10', IndexError, 'ERR_INDEX'],
    [3, 'Reduction axis 0 is empty in shape [0,3]', ShapeError, 'ERR_SHAPE'],
    [3, 'Integers to negative integer powers are not allowed', ArgumentError, 'ERR_ARGUMENT'],
    [13, 'some internal failure', NativeEngineError, 'ERR_NATIVE_ENGINE'],
  ] as const)('status %i: %s', (status, message, type, code) => {
    const cause = tfError(status, message);
    const e = opError('SomeOp', inputs, cause);
    expect(e).toBeInstanceOf(type);
    expect(e).toBeInstanceOf(DuetError);
    expect(e.code).toBe(code);
    expect(e.cause).toBe(cause);
    expect(e.message).toMatch(/^TensorFlow op SomeOp failed on inputs \(float32\[1, 2\], int32\[1\]\): /);
    expect(e.message).toContain(message.split(', node name')[0]);
    expect(e.message).not.toMatch(/TF_Status|node name/);
  });

  it('passes a Duet error through unchanged', () => {
    const e = new ShapeError('already typed');
    expect(opError('SomeOp', [], e)).toBe(e);
  });
});

describe('error classes', () => {
  it('IndexError is an ArgumentError with its own code', () => {
    const e = new IndexError('x');
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.code).toBe('ERR_INDEX');
    expect(e.name).toBe('IndexError');
  });
});
