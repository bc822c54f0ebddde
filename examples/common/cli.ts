/**
 * The command line the examples share: `--epochs N`, `--quick` (a small
 * subset, for a first look and for the tests), `--limit N` (this many
 * training samples) and `--help`. A bad option is an `ExampleOptionError`
 * that says what was expected and what was received.
 */
import { DuetError } from '@duet/core';

export interface ExampleOptions {
  /** Epochs (each example has its own default; 1 with --quick unless given). */
  epochs: number;
  /** A small subset of the data. */
  quick: boolean;
  /** At most this many training samples (undefined: the example's default). */
  limit: number | undefined;
}

/** A command-line option that is unknown, missing its value or out of range. */
export class ExampleOptionError extends DuetError {
  constructor(message: string) {
    super('ERR_EXAMPLE_OPTION', message);
  }
}

function positiveInt(name: string, raw: string | undefined): number {
  if (raw === undefined || raw.startsWith('--')) throw new ExampleOptionError(`${name} expected a positive integer, received nothing.`);
  const n = Number(raw);
  if (!/^\s*\+?\d+\s*$/.test(raw) || !Number.isSafeInteger(n) || n < 1) throw new ExampleOptionError(`${name} expected a positive integer, received ${raw}.`);
  return n;
}

/** Parse `argv` (without node and the script); `defaultEpochs` applies without --quick. */
export function parseExampleArgs(argv: readonly string[], defaultEpochs: number): ExampleOptions | 'help' {
  let epochs: number | undefined;
  let quick = false;
  let limit: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string | undefined => (arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : argv[++i]);
    switch (name) {
      case '--epochs':
        epochs = positiveInt('--epochs', value());
        break;
      case '--limit':
        limit = positiveInt('--limit', value());
        break;
      case '--quick':
        quick = true;
        break;
      case '--help':
      case '-h':
        return 'help';
      default:
        throw new ExampleOptionError(`Unknown option ${arg}; expected one of --epochs N, --quick, --limit N, --help.`);
    }
  }
  return { epochs: epochs ?? (quick ? 1 : defaultEpochs), quick, limit };
}

/**
 * What an example runs when it is the program: parse the arguments, print
 * `usage` for --help, exit 2 on a bad option, else await `main`.
 */
export async function runExample(usage: string, defaultEpochs: number, main: (o: ExampleOptions) => Promise<unknown>): Promise<void> {
  let options: ExampleOptions | 'help';
  try {
    options = parseExampleArgs(process.argv.slice(2), defaultEpochs);
  } catch (e) {
    if (e instanceof ExampleOptionError) {
      console.error(`${e.message}\n\n${usage}`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
  if (options === 'help') {
    console.log(usage);
    return;
  }
  await main(options);
}
