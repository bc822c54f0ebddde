/**
 * Small I/O helpers of the provisioning: prefixed log lines, a heartbeat
 * for long steps, running a child process with a bounded output tail and a
 * log file, and folder sizes for progress lines.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatDuration } from './provision-lib.mjs';

/** Every line this script prints starts with this tag. */
export function log(message) {
  for (const line of String(message).split('\n')) console.log(`[duet] ${line}`);
}

export function logError(message) {
  for (const line of String(message).split('\n')) console.error(`[duet] ${line}`);
}

/**
 * Prints "label: <extra>, 12 s" every `everyMs` until stopped. The timer is
 * unref'd so a forgotten heartbeat never keeps Node alive.
 * @returns {() => void} stop
 */
export function heartbeat(label, { everyMs = 5000, extra } = {}) {
  const t0 = Date.now();
  const timer = setInterval(() => {
    let more = '';
    try {
      more = extra ? extra() : '';
    } catch {
      more = '';
    }
    log(`  ... ${label}${more ? `: ${more}` : ''} (${formatDuration(Date.now() - t0)})`);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** Total size in bytes of the regular files below `dir` (0 if missing). */
export function dirSize(dir) {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += dirSize(p);
    else if (e.isFile()) {
      try {
        total += lstatSync(p).size;
      } catch {
        // the file vanished between readdir and stat: ignore it
      }
    }
  }
  return total;
}

/**
 * Runs a command without a shell. Resolves with { code, signal, tail } where
 * tail is the last lines of stdout+stderr; never rejects except when the
 * command cannot be started (error.code === 'ENOENT' etc.).
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, timeoutMs?: number,
 *           logFile?: string, tailLines?: number, echo?: boolean }} [opts]
 *   logFile: every output line is appended there; echo: also print it
 */
export function run(cmd, args, opts = {}) {
  const { cwd, env = process.env, timeoutMs, logFile, tailLines = 40, echo = false } = opts;
  return new Promise((resolvePromise, reject) => {
    const tail = [];
    let partial = '';
    const onData = (chunk) => {
      const text = partial + chunk.toString();
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) keep(line);
    };
    const keep = (line) => {
      tail.push(line);
      if (tail.length > tailLines) tail.shift();
      if (logFile) appendFileSync(logFile, `${line}\n`);
      if (echo) log(`  ${line}`);
    };
    if (logFile) appendFileSync(logFile, `\n$ ${cmd} ${args.join(' ')}  (cwd ${cwd ?? process.cwd()})\n`);
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let timedOut = false;
    const timer = timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGTERM');
        }, timeoutMs)
      : undefined;
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (partial) keep(partial);
      resolvePromise({ code, signal, timedOut, tail: tail.join('\n') });
    });
  });
}

/** Last `n` non-empty lines of a text, indented, for error details. */
export function lastLines(text, n = 12) {
  return String(text ?? '')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-n)
    .map((l) => `    ${l}`)
    .join('\n');
}
