/**
 * One worker of the multi-process tests in test/distributed.test.ts. Reads
 * DUET_CLUSTER / DUET_RANK (or TF_CONFIG) like any worker, runs the scenario
 * named by argv[2], and prints one line `RESULT <json>`, or `ERROR <json>`
 * (the error's class, code and message) and exits 1.
 */
import { distributed, memory, tensor } from '@duet/core';

const scenario = process.argv[2];
const timeoutMs = Number(process.env.DUET_TIMEOUT_MS ?? 20_000);

function report(kind: 'RESULT' | 'ERROR', value: unknown): void {
  process.stdout.write(`${kind} ${JSON.stringify(value)}\n`);
}

function main(): unknown {
  distributed.init({ timeoutMs });
  const rank = distributed.getRank();
  const world = distributed.getWorldSize();
  switch (scenario) {
    case 'collectives': {
      const mine = [rank + 1, 10 * (rank + 1), -0.5 * (rank + 1)];
      const sum = distributed.allReduce(tensor(mine), 'sum').toArray();
      const mean = distributed.allReduce(tensor(mine), 'mean').toArray();
      const max = distributed.allReduce(tensor(mine), 'max').toArray();
      const min = distributed.allReduce(tensor(mine), 'min').toArray();
      const prod = distributed.allReduce(tensor(mine), 'product').toArray();
      const isum = distributed.allReduce(tensor([rank, 1], { dtype: 'int32' }), 'sum').toArray();
      const bcast = distributed.broadcast(tensor([[rank, rank + 0.5], [7 * rank, -1]]), world - 1).toArray();
      const gathered = distributed.allGather(tensor([rank, rank * rank])).map((t) => t.toArray());
      distributed.barrier();
      const host = Array.from(distributed.allReduceArray(Float32Array.from(mine), 'sum'));
      const hostB = Array.from(distributed.broadcastArray(Int32Array.from([rank, 5]), 0));
      // Leak check: collectives on tensors that already exist make no native tensors of their own.
      const a = tensor(mine);
      const count = memory().numTensors;
      distributed.allReduce(a, 'mean');
      distributed.broadcast(a, 0);
      for (const t of distributed.allGather(a)) t.dispose();
      distributed.barrier();
      const leaked = memory().numTensors - count;
      return { rank, world, mine, sum, mean, max, min, prod, isum, bcast, gathered, host, hostB, leaked };
    }
    case 'die': {
      // rank 1 leaves without a word once everyone has joined; the others keep calling collectives.
      if (rank === 1) process.exit(0);
      const t0 = Date.now();
      try {
        distributed.allReduce(tensor([1, 2, 3]), 'sum');
        return { rank, completed: true };
      } catch (e) {
        const err = e as Error & { code?: string; ranks?: number[] };
        const after = (() => {
          try {
            distributed.barrier();
            return 'no error';
          } catch (e2) {
            return (e2 as Error).name;
          }
        })();
        return { rank, name: err.name, code: err.code, ranks: err.ranks, message: err.message, ms: Date.now() - t0, after };
      }
    }
    case 'exit-3':
      // rank 1 fails; rank 0 waits in a collective until the launcher stops it
      if (rank === 1) process.exit(3);
      distributed.barrier();
      return { rank };
    case 'init-only':
      return { rank, world };
    default:
      throw new Error(`unknown scenario ${scenario}`);
  }
}

try {
  report('RESULT', main());
  process.exit(0);
} catch (e) {
  const err = e as Error & { code?: string; ranks?: number[] };
  report('ERROR', { name: err.name, code: err.code, ranks: err.ranks, message: err.message });
  process.exit(1);
}
