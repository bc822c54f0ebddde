/**
 * The command line of `pnpm mnist` (examples/mnist/main.ts), checked before
 * anything loads: a bad option is an `OptionError` that says what was
 * expected and what was received.
 */
import { DuetError } from '@duet/core';

export interface MnistOptions {
  /** Epochs per style (default 5). */
  epochs: number;
  /** Batch size of both runs (default 32, the seed's). */
  batchSize: number;
  /** Engine device: 'cpu' (default) or 'gpu' (tfjs-node-gpu). */
  device: 'cpu' | 'gpu' | undefined;
  /** 6000 training and 1000 test images, 1 epoch unless --epochs is given. */
  quick: boolean;
  /** Where the report and the models go (default out/). */
  out: string;
}

export const TRAIN_QUICK = 6000;
export const TEST_QUICK = 1000;

export const USAGE = `Usage: pnpm mnist [--epochs N] [--batch-size N] [--device cpu|gpu] [--quick] [--out DIR]

Trains the seed's Keras-style and PyTorch-style MLPs on MNIST one after the
other, prints a side-by-side table, and writes DIR/mnist-report.svg,
DIR/mnist-keras.keras and DIR/mnist-nn.safetensors (DIR defaults to out/).

  --epochs N       epochs per style (default 5; 1 with --quick)
  --batch-size N   batch size of both runs (default 32)
  --device D       cpu (default) or gpu (needs @tensorflow/tfjs-node-gpu)
  --quick          6000 training and 1000 test images, 1 epoch
  --out DIR        output folder (default out)
  --help           this text`;

/** A command-line option that is unknown, missing its value or out of range. */
export class OptionError extends DuetError {
  constructor(message: string) {
    super('ERR_MNIST_OPTION', message);
  }
}

/** `--help` was asked for: not an error, but nothing to run. */
export class HelpRequested extends Error {}

function positiveInt(name: string, raw: string | undefined): number {
  if (raw === undefined || raw.startsWith('--')) throw new OptionError(`${name} expected a positive integer, received nothing.`);
  const n = Number(raw);
  if (!/^\s*[+-]?\d+\s*$/.test(raw) || !Number.isSafeInteger(n) || n < 1) throw new OptionError(`${name} expected a positive integer, received ${raw}.`);
  return n;
}

export function parseOptions(argv: readonly string[]): MnistOptions {
  let epochs: number | undefined;
  let batchSize = 32;
  let device: 'cpu' | 'gpu' | undefined;
  let quick = false;
  let out = 'out';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string | undefined => inline ?? argv[++i];
    switch (name) {
      case '--epochs':
        epochs = positiveInt('--epochs', value());
        break;
      case '--batch-size':
        batchSize = positiveInt('--batch-size', value());
        break;
      case '--device': {
        const d = value();
        if (d !== 'cpu' && d !== 'gpu') throw new OptionError(`--device expected cpu or gpu, received ${d ?? 'nothing'}.`);
        device = d;
        break;
      }
      case '--quick':
        quick = true;
        break;
      case '--out': {
        const d = value();
        if (d === undefined || d === '' || d.startsWith('--')) throw new OptionError('--out expected a folder, received nothing.');
        out = d;
        break;
      }
      case '--help':
      case '-h':
        throw new HelpRequested();
      default:
        throw new OptionError(`Unknown option ${arg}; expected one of --epochs, --batch-size, --device, --quick, --out, --help.`);
    }
  }
  return { epochs: epochs ?? (quick ? 1 : 5), batchSize, device, quick, out };
}
