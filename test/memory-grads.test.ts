/**
 * Issue 7 ("memory stays flat"), the service pattern: a model made outside
 * scope(), forward + backward inside `scope(() => ...)`, then the optimizer
 * step and `zeroGrad()` outside. Before the fix each run left one native
 * tensor per parameter (its reset gradient) behind. Counts are compared
 * between run 2 and run 30.
 */
import { describe, expect, it } from 'vitest';
import { manualSeed, memory, randn, scope } from '@duet/core';
import { F, nn, optim } from '@duet/nn';

function flatOver(run: () => void): [number, number] {
  run();
  run();
  const a = memory().numTensors;
  for (let i = 0; i < 28; i++) run();
  return [a, memory().numTensors];
}

describe('gradients computed inside scope() and reset outside are freed (issue 7)', () => {
  manualSeed(0);
  const x = randn([16, 8]);
  const y = randn([16, 2]);

  it.each([
    ['optimizer.zeroGrad()', 'opt'],
    ['model.zeroGrad()', 'model'],
    ['p.grad = null', 'none'],
  ] as const)('step outside the scope, then %s', (_n, how) => {
    const model = new nn.Sequential(new nn.Linear(8, 16), new nn.ReLU(), new nn.Linear(16, 2));
    const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    const losses: number[] = [];
    const [a, b] = flatOver(() => {
      losses.push(scope(() => {
        const loss = F.mseLoss(model.forward(x), y);
        loss.backward();
        return loss.item();
      }));
      opt.step();
      if (how === 'opt') opt.zeroGrad();
      else if (how === 'model') model.zeroGrad();
      else for (const p of model.parameters()) p.grad = null;
    });
    expect(b).toBe(a);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!); // it trained: the gradients were there for step()
  });

  it('step inside the scope, zeroGrad() outside (Adam)', () => {
    const model = new nn.Linear(8, 2);
    const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
    const [a, b] = flatOver(() => {
      scope(() => {
        F.mseLoss(model.forward(x), y).backward();
        opt.step();
      });
      opt.zeroGrad();
    });
    expect(b).toBe(a);
  });
});
