/**
 * The duet_dist addon (native/duet_dist.c): TensorFlow's collective ops in an
 * eager context of its own. Loaded after tfjs-node's binding so that both use
 * the one libtensorflow in the process.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { tf } from '../engine.js';
import { NativeEngineError } from '../errors.js';

export type HostArray = Float32Array | Float64Array | Int32Array;
export type CollectiveKind = 'reduce' | 'gather' | 'send' | 'recv';

export interface CollectiveKeys {
  groupSize: number;
  groupKey: number;
  instanceKey: number;
  timeoutSeconds: number;
  device: string;
  mergeOp?: 'Add' | 'Mul' | 'Min' | 'Max';
  finalOp?: 'Id' | 'Div';
  /** For 'recv': the dtype to receive. */
  dtype?: 'float32' | 'float64' | 'int32';
  /** Peers' task names to health-check while the op runs (a refused connection aborts it). */
  watch?: string[];
}

export interface DistAddon {
  enable(serverDef: Uint8Array): void;
  checkPeer(task: string, timeoutMs: number): [number, string];
  collective(kind: CollectiveKind, data: HostArray | null, shape: readonly number[], keys: CollectiveKeys): { data: HostArray; shape: number[] };
  abort(message: string): void;
}

/** An Error thrown by the addon: TensorFlow's status code (TF_Code) and message. */
export interface TfStatusError extends Error {
  tfCode?: number;
}

/** TF_Code values the error mapping reads. */
export const TF_CODE = { DEADLINE_EXCEEDED: 4, FAILED_PRECONDITION: 9, ABORTED: 10, INTERNAL: 13, UNAVAILABLE: 14 } as const;

let addon: DistAddon | undefined;

export function distAddon(): DistAddon {
  if (addon !== undefined) return addon;
  tf(); // the binding first: it loads libtensorflow, which the addon then shares
  const path = fileURLToPath(new URL('../../build/duet_dist.node', import.meta.url));
  try {
    addon = createRequire(import.meta.url)(path) as DistAddon;
  } catch (cause) {
    throw new NativeEngineError(
      `distributed: the addon with TensorFlow's collective ops could not be loaded from ${path}: ${(cause as Error).message}. ` +
        "It is built by @duet/core's postinstall step from native/duet_dist.c; run `pnpm install` (or `node packages/core/scripts/provision.mjs --force`) and read its output.",
      { cause },
    );
  }
  return addon;
}
