/**
 * Keras's progress bar (`keras/src/utils/progbar.py`), drawn with
 * cli-progress on a terminal:
 *
 *   1875/1875 ━━━━━━━━━━━━━━━━━━━━ 3s 2ms/step - accuracy: 0.9251 - loss: 0.2602
 *
 * cli-progress owns the terminal side (redraw in place, throttling at 10 fps
 * even inside a synchronous loop, restoring the cursor); this file owns
 * Keras's line format. The line reads the logs only when it is drawn, so
 * metrics held on the device are synced a few times a second, not per step.
 * Without a terminal (or with verbose 2) it prints one line at the end.
 */
import cliProgress from 'cli-progress';
import type { Logs } from '../callbacks/callback.js';

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

const BOLD = (s: string) => `\x1b[1m${s}\x1b[0m`;

/** Python's `f"{v:.4f}"` above 1e-3 in magnitude, else `f"{v:.4e}"` (two-digit exponent). */
export function formatValue(v: number, absolute = true): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if ((absolute ? Math.abs(v) : v) > 1e-3) return v.toFixed(4);
  const [m, e] = v.toExponential(4).split('e') as [string, string];
  const sign = e.startsWith('-') ? '-' : '+';
  return `${m}e${sign}${e.replace(/^[-+]/, '').padStart(2, '0')}`;
}

/** ` 2ms/step` (Keras's `_format_time`). */
export function formatTimePerUnit(seconds: number, unit = 'step'): string {
  if (seconds >= 1 || seconds === 0) return ` ${seconds.toFixed(0)}s/${unit}`;
  if (seconds >= 1e-3) return ` ${(seconds * 1e3).toFixed(0)}ms/${unit}`;
  return ` ${(seconds * 1e6).toFixed(0)}us/${unit}`;
}

function formatEta(eta: number): string {
  const pad = (n: number) => String(Math.floor(n)).padStart(2, '0');
  if (eta > 3600) return `${Math.floor(eta / 3600)}:${pad((eta % 3600) / 60)}:${pad(eta % 60)}`;
  if (eta > 60) return `${Math.floor(eta / 60)}:${pad(eta % 60)}`;
  return `${Math.floor(eta)}s`;
}

function formatLogs(logs: Logs, absolute: boolean): string {
  let s = '';
  for (const k of Object.keys(logs)) s += ` - ${k}: ${formatValue(logs[k]!, absolute)}`;
  return s;
}

export class Progbar {
  /** Number of steps, or null if unknown (set it before the final update). */
  target: number | null;
  readonly verbose: number;
  readonly width: number;
  private readonly stream: Stream;
  private readonly start = performance.now();
  private bar: cliProgress.SingleBar | null = null;
  private logs: Logs = {};
  private current = 0;
  private finalized = false;

  constructor(target: number | null, options: { verbose?: number; stream?: Stream; width?: number } = {}) {
    this.target = target;
    this.verbose = options.verbose ?? 1;
    this.stream = options.stream ?? process.stdout;
    this.width = options.width ?? 20;
  }

  /** Draw a live bar (verbose 1 on a terminal) or print one line at the end. */
  private get dynamic(): boolean {
    return this.verbose === 1 && this.stream.isTTY === true;
  }

  /** Keras's line for the current state. */
  line(final: boolean): string {
    const now = performance.now();
    const elapsed = (now - this.start) / 1000;
    const perUnit = this.current > 0 ? elapsed / this.current : 0;
    const t = this.target;
    let bar: string;
    if (t !== null && t > 0) {
      const digits = String(t).length;
      const prog = Math.floor((this.width * Math.min(this.current, t)) / t);
      bar = `${BOLD(`${String(this.current).padStart(digits)}/${t}`)} `;
      if (prog > 0) bar += `\x1b[32m${'━'.repeat(prog)}\x1b[0m`;
      bar += `\x1b[37m${'━'.repeat(this.width - prog)}\x1b[0m`;
    } else bar = `${String(this.current).padStart(7)}/Unknown`;
    const time = t !== null && t > 0 && !final ? formatEta(perUnit * (t - this.current)) : `${elapsed.toFixed(0)}s`;
    return `${bar} ${BOLD(time)}${formatTimePerUnit(perUnit)}${formatLogs(this.logs, true)}`;
  }

  /** Keras's verbose-2 line: `1875/1875 - 3s - 2ms/step - loss: 0.2602`. */
  plainLine(): string {
    const elapsed = (performance.now() - this.start) / 1000;
    const perUnit = this.current > 0 ? elapsed / this.current : 0;
    const t = this.target ?? this.current;
    const count = `${String(this.current).padStart(String(t).length)}/${t}`;
    return `${count} - ${elapsed.toFixed(0)}s -${formatTimePerUnit(perUnit)}${formatLogs(this.logs, false)}`;
  }

  /** Step `current` done; `logs` may be lazy (read only when drawn). */
  update(current: number, logs: Logs, finalize: boolean): void {
    if (this.finalized || this.verbose === 0) return;
    this.current = current;
    this.logs = logs;
    if (!this.dynamic) {
      if (finalize) {
        this.stream.write(`${this.plainLine()}\n`);
        this.finalized = true;
      }
      return;
    }
    if (this.bar === null) {
      this.bar = new cliProgress.SingleBar({
        stream: this.stream,
        format: () => this.line(this.finalized),
        linewrap: false,
        hideCursor: false,
        clearOnComplete: false,
        stopOnComplete: false,
        // Not cli-progress's own handler: it would swallow Ctrl-C. Ours restores the terminal, then lets the signal kill.
        gracefulExit: false,
      });
      this.bar.start(this.target ?? 0, current);
      process.once('SIGINT', this.onSignal);
    }
    if (finalize) {
      this.finalized = true;
      this.bar.update(current);
      this.stopBar();
    } else this.bar.update(current);
  }

  /** Stop drawing without a final line (e.g. a new epoch began, or training failed). */
  close(): void {
    this.stopBar();
  }

  private stopBar(): void {
    process.removeListener('SIGINT', this.onSignal);
    if (this.bar !== null) this.bar.stop();
    this.bar = null;
  }

  /** Ctrl-C while drawing: restore line wrapping and the cursor, then die of the signal as usual. */
  private readonly onSignal = (): void => {
    this.stopBar();
    process.kill(process.pid, 'SIGINT');
  };
}
