import { describe, expect, it } from 'vitest';
import * as keras from '../index.js';
import { TerminateOnNaN } from './terminate_on_nan.js';

describe('TerminateOnNaN', () => {
  it('sets model.stopTraining on a NaN or infinite batch loss, and only then', () => {
    const m = new keras.Sequential([keras.Input({ shape: [2] }), new keras.layers.Dense(1)]);
    const cb = new TerminateOnNaN();
    cb.setModel(m);
    cb.onTrainBegin();
    cb.onTrainBatchEnd(0, { loss: 1.5 });
    cb.onTrainBatchEnd(1, {});
    expect(m.stopTraining).toBe(false);
    cb.onTrainBatchEnd(2, { loss: Infinity });
    expect(m.stopTraining).toBe(true);
    expect(cb.terminatedAtBatch).toBe(2);
    m.stopTraining = false;
    cb.onTrainBatchEnd(3, { loss: NaN });
    expect(m.stopTraining).toBe(true);
  });
});
