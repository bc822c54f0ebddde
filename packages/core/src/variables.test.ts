/** Variable-backed tensors (parameters after an optimizer step) re-read inside an op's tfjs tidy stay usable. */
import { describe, expect, it } from 'vitest';
import { functional as CF, noGrad, randn, sgdStep_ } from './index.js';

describe('a parameter refreshed inside a kernel tidy', () => {
  it('stays readable after a no-grad conv forward (the test pass of a train/test loop)', () => {
    const w = randn([4, 1, 3, 3]).requiresGrad_();
    const x = randn([2, 1, 8, 8]).keep();
    const g = randn([4, 1, 3, 3]).keep();
    const expected = noGrad(() => w.sub(g.mul(0.1))).toArray();
    noGrad(() => sgdStep_([w], [g], 0.1)); // w is now a resource variable whose value must be re-read
    noGrad(() => CF.conv2d(x, w, null)); // the first re-read happens inside conv2d's tidy
    expect(CF.conv2d(x, w, null).shape).toEqual([2, 4, 6, 6]);
    expect(w.toArray()).toEqual(expected);
  });
});
