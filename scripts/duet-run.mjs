#!/usr/bin/env node
/**
 * duet-run: start N workers of a Duet script on this machine, as `torchrun
 * --nproc-per-node N` does (issue 13; docs/distributed.md).
 *
 *   pnpm duet-run --nproc 2 examples/ddp-mnist.ts [script args...]
 *
 * Picks N free localhost ports, sets DUET_CLUSTER (every worker's host:port,
 * rank order), DUET_RANK, DUET_WORLD_SIZE and DUET_LOCAL_RANK for each worker
 * (plus DUET_TIMEOUT_MS with --timeout-ms), starts them (`.ts` scripts through
 * tsx with the "source" condition, as the repo's other scripts run), prefixes
 * their output lines with `[rank r]`, forwards SIGINT/SIGTERM, and when one
 * worker fails stops the others and exits with that worker's code.
 *
 * Exports `freePorts` and `launch` for tests and benches.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `n` distinct ports that were free on 127.0.0.1 a moment ago (bound once, then released). */
export async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      await new Promise((ok, fail) => {
        s.once('error', fail);
        s.listen(0, '127.0.0.1', ok);
      });
      servers.push(s);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  }
}

/** How to run `script` with node: `.ts` through tsx from source. */
export function nodeArgs(script) {
  return /\.[cm]?ts$/.test(script) ? ['--import', 'tsx', '--conditions=source', script] : [script];
}

/**
 * Start `nproc` workers of `script`. Resolves when all have exited:
 * `{ codes, signals, exitCode, cluster }` (exitCode 0 only if every worker
 * exited 0). `onLine(rank, stream, line)` receives every output line
 * (default: printed with a `[rank r]` prefix). When a worker fails, the
 * others get SIGTERM (SIGKILL after `killAfterMs`).
 * @param {{ nproc: number, script: string, args?: string[], env?: NodeJS.ProcessEnv, cwd?: string,
 *   timeoutMs?: number, killAfterMs?: number, onLine?: (rank: number, stream: 'stdout' | 'stderr', line: string) => void,
 *   onSpawn?: (children: import('node:child_process').ChildProcess[], cluster: string) => void }} opts
 */
export async function launch(opts) {
  const { nproc, script, args = [], env = process.env, cwd = process.cwd(), timeoutMs, killAfterMs = 5000 } = opts;
  if (!Number.isInteger(nproc) || nproc < 1) throw new Error(`duet-run: --nproc must be a positive integer, received ${nproc}`);
  const onLine = opts.onLine ?? ((rank, stream, line) => (stream === 'stdout' ? process.stdout : process.stderr).write(`[rank ${rank}] ${line}\n`));
  const ports = await freePorts(nproc);
  const cluster = ports.map((p) => `localhost:${p}`).join(',');
  const children = [];
  const codes = new Array(nproc).fill(null);
  const signals = new Array(nproc).fill(null);
  let failed = false;
  let firstFailed = -1;
  const stopOthers = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    const t = setTimeout(() => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }, killAfterMs);
    t.unref();
  };
  const exits = [];
  for (let rank = 0; rank < nproc; rank++) {
    const childEnv = {
      ...env,
      DUET_CLUSTER: cluster,
      DUET_RANK: String(rank),
      DUET_WORLD_SIZE: String(nproc),
      DUET_LOCAL_RANK: String(rank),
      ...(timeoutMs !== undefined ? { DUET_TIMEOUT_MS: String(timeoutMs) } : {}),
    };
    const child = spawn(process.execPath, [...nodeArgs(script), ...args], { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    for (const stream of ['stdout', 'stderr']) {
      let buf = '';
      child[stream].setEncoding('utf8');
      child[stream].on('data', (d) => {
        buf += d;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          onLine(rank, stream, buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
      });
      child[stream].on('end', () => {
        if (buf !== '') onLine(rank, stream, buf);
        buf = '';
      });
    }
    exits.push(
      new Promise((ok) => {
        child.on('error', (err) => {
          onLine(rank, 'stderr', `duet-run: cannot start worker: ${err.message}`);
          codes[rank] = 127;
          if (!failed) {
            failed = true;
            firstFailed = rank;
            stopOthers();
          }
          ok();
        });
        child.on('close', (code, signal) => {
          codes[rank] = code;
          signals[rank] = signal;
          if ((code !== 0 || signal !== null) && !failed) {
            failed = true;
            firstFailed = rank;
            stopOthers();
          }
          ok();
        });
      }),
    );
  }
  opts.onSpawn?.(children, cluster);
  await Promise.all(exits);
  // the code of the worker that failed first (the others were stopped because of it)
  const exitCode = firstFailed < 0 ? 0 : codes[firstFailed] || 1;
  return { codes, signals, exitCode, cluster };
}

function usage() {
  return 'usage: pnpm duet-run [--nproc N] [--timeout-ms MS] <script.ts|script.js> [script args...]';
}

async function main(argv) {
  let nproc = 2;
  let timeoutMs;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (a === '--help' || a === '-h') {
      console.log(usage());
      return 0;
    }
    const [flag, inline] = a.split('=', 2);
    if (flag === '--nproc' || flag === '--nproc-per-node' || flag === '--timeout-ms') {
      const v = inline ?? argv[++i];
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) {
        console.error(`duet-run: ${flag} expects a positive integer, received ${JSON.stringify(v)}\n${usage()}`);
        return 2;
      }
      if (flag === '--timeout-ms') timeoutMs = n;
      else nproc = n;
      continue;
    }
    if (a.startsWith('--')) {
      console.error(`duet-run: unknown option ${a}\n${usage()}`);
      return 2;
    }
    break;
  }
  const script = argv[i];
  if (script === undefined) {
    console.error(`duet-run: no script given\n${usage()}`);
    return 2;
  }
  let children = [];
  const forward = (sig) => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill(sig);
  };
  process.on('SIGINT', () => forward('SIGINT'));
  process.on('SIGTERM', () => forward('SIGTERM'));
  const { codes, signals, exitCode } = await launch({
    nproc, script: resolve(script), args: argv.slice(i + 1), timeoutMs,
    onSpawn: (c, cluster) => {
      children = c;
      console.error(`duet-run: ${nproc} workers of ${script} on ${cluster}`);
    },
  });
  if (exitCode !== 0) {
    const why = codes.map((c, r) => (c === 0 && signals[r] === null ? null : `rank ${r}: ${signals[r] ? `signal ${signals[r]}` : `exit ${c}`}`)).filter(Boolean);
    console.error(`duet-run: failed (${why.join(', ')})`);
  }
  return exitCode;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
