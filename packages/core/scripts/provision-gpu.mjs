/**
 * GPU provisioning (DUET_DEVICE=gpu). @tensorflow/tfjs-node-gpu 4.22 links
 * libtensorflow-gpu 2.9.1, which needs CUDA 11.2 and cuDNN 8.1 at run time;
 * only tfjs-node-gpu's own download provides that library, so this runs the
 * package's own install script ("node scripts/install.js gpu download") and
 * then checks that the binding loads. Not testable on machines without such
 * a GPU and without a route to Google's storage (see docs/install.md).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ProvisionError, bindingRelPath, buildErrorSummary, formatDuration } from './provision-lib.mjs';
import { heartbeat, lastLines, log, run } from './provision-io.mjs';
import { buildEnv, probeBinding } from './provision-build.mjs';

export const GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';

/**
 * @param {{ gpuDir: string, logFile: string, timeoutMs?: number }} opts
 * @returns {Promise<{ tfVersion: string }>}
 */
export async function provisionGpu({ gpuDir, logFile, timeoutMs = 30 * 60_000 }) {
  const pkg = JSON.parse(readFileSync(join(gpuDir, 'package.json'), 'utf8'));
  const bindingFile = join(gpuDir, bindingRelPath(pkg, process.versions.napi));

  const before = await probeBinding(gpuDir, bindingFile);
  if (before.ok) {
    log(`GPU: ${GPU_PACKAGE} already loads (TensorFlow ${before.tfVersion}); nothing to do.`);
    return before;
  }
  log(`GPU: ${GPU_PACKAGE} is not ready (${before.error}).`);
  log('GPU: it needs CUDA 11.2 and cuDNN 8.1 on this machine and its own download of');
  log('GPU: libtensorflow-gpu 2.9.1 from Google storage (no wheel or pip route exists for it).');

  const script = pkg.scripts?.install ?? 'node scripts/install.js gpu download';
  const [cmd, ...args] = script.split(/\s+/);
  const argv = cmd === 'node' ? [process.execPath, args] : [cmd, args];
  log(`GPU: running its install script: ${script} (log: ${logFile})`);
  const t0 = Date.now();
  const stop = heartbeat('GPU install script');
  let res;
  try {
    res = await run(argv[0], argv[1], { cwd: gpuDir, env: buildEnv(gpuDir), logFile, timeoutMs, tailLines: 60 });
  } finally {
    stop();
  }
  const after = res.code === 0 ? await probeBinding(gpuDir, bindingFile) : { ok: false, error: 'not built' };
  if (res.code === 0 && after.ok) {
    log(`GPU: ready in ${formatDuration(Date.now() - t0)} (TensorFlow ${after.tfVersion}).`);
    return after;
  }
  // Its script extracts straight into deps/: leave nothing that looks provisioned.
  rmSync(join(gpuDir, 'deps'), { recursive: true, force: true });
  rmSync(bindingFile, { force: true });
  const what = res.code !== 0
    ? `${GPU_PACKAGE}'s install script failed (exit ${res.code}${res.timedOut ? ', timed out' : ''})`
    : `${GPU_PACKAGE} was built but ${after.error}`;
  throw new ProvisionError('gpu', what, { detail: buildErrorSummary(res.tail, 4) || lastLines(res.tail, 8) });
}

/** The message for a failed GPU provisioning: what failed and the one thing to do. */
export function formatGpuFailure(error) {
  return [
    `Could not provision the GPU engine: ${error.message}.`,
    'What to do: on a machine with CUDA 11.2 + cuDNN 8.1 and access to storage.googleapis.com, run `pnpm install` again; ' +
      'or unset DUET_DEVICE to use the CPU engine (already provisioned).',
    'See docs/install.md.',
  ].join('\n');
}
