/**
 * Building tfjs-node's binding (node-pre-gyp -> node-gyp) and checking that
 * a binding loads, each in a child process.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { ProvisionError, buildErrorSummary, formatDuration, isToolchainFailure } from './provision-lib.mjs';
import { heartbeat, lastLines, log, run } from './provision-io.mjs';
import { patchStringListAttr } from './patches/tfjs-node-string-list-attr.mjs';
import { patchTypeListAttr } from './patches/tfjs-node-type-list-attr.mjs';

/**
 * The child-process check: loads the package, requires the native
 * 'tensorflow' backend, runs one op, prints one JSON line.
 */
const PROBE_SOURCE = `
process.env.TF_CPP_MIN_LOG_LEVEL = process.env.TF_CPP_MIN_LOG_LEVEL || '2';
const tf = require(process.argv[1]);
if (tf.getBackend() !== 'tensorflow') throw new Error('backend is ' + tf.getBackend() + ', not tensorflow');
const sum = tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0];
if (sum !== 3) throw new Error('1 + 2 gave ' + sum);
console.log('DUET_PROBE ' + JSON.stringify({ tfVersion: tf.backend().binding.TF_Version }));
`;

/** First line of an error that says why a load failed (skips stack frames). */
function loadErrorLine(output) {
  const lines = String(output).split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^(Error|TypeError|.*cannot open shared object|.*undefined symbol)/.test(l)) ??
    lines.find((l) => !l.startsWith('at ')) ?? 'unknown error';
}

/**
 * Does the package's binding load? Skips the child process entirely when the
 * binding file does not exist (the fresh-install case).
 * @returns {Promise<{ ok: true, tfVersion: string } | { ok: false, error: string }>}
 */
export async function probeBinding(pkgDir, bindingFile, { timeoutMs = 120_000 } = {}) {
  if (!existsSync(bindingFile)) return { ok: false, error: 'no binding has been built yet' };
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // a user's --require hooks must not break the check
  const res = await run(process.execPath, ['-e', PROBE_SOURCE, pkgDir], { env, timeoutMs, tailLines: 60 });
  const line = res.tail.split('\n').find((l) => l.startsWith('DUET_PROBE '));
  if (res.code === 0 && line) return { ok: true, ...JSON.parse(line.slice('DUET_PROBE '.length)) };
  if (res.timedOut) return { ok: false, error: `loading it took longer than ${formatDuration(timeoutMs)}` };
  return { ok: false, error: `it does not load: ${loadErrorLine(res.tail)}` };
}

/** bin folders to put on PATH: every node_modules/.bin and .pnpm/node_modules/.bin above pkgDir. */
function binDirsAbove(pkgDir) {
  const dirs = [dirname(process.execPath)];
  for (let d = pkgDir; ; d = dirname(d)) {
    for (const candidate of [join(d, 'node_modules', '.bin'), join(d, 'node_modules', '.pnpm', 'node_modules', '.bin')]) {
      if (existsSync(candidate)) dirs.push(candidate);
    }
    if (dirname(d) === d) break;
  }
  return dirs;
}

/**
 * Where node-gyp finds Node's headers without the internet: npm_config_nodedir
 * if set, else `npm config get nodedir`, else the headers installed next to
 * this Node (<prefix>/include/node). Undefined: node-gyp downloads them.
 */
export function findNodedir(env = process.env) {
  const hasHeaders = (dir) => dir && existsSync(join(dir, 'include', 'node', 'node_api.h'));
  if (env.npm_config_nodedir) return env.npm_config_nodedir;
  try {
    const fromNpm = execFileSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (hasHeaders(fromNpm)) return fromNpm;
  } catch {
    // npm absent or slow: fall through
  }
  const prefix = resolve(dirname(process.execPath), '..');
  return hasHeaders(prefix) ? prefix : undefined;
}

/** The environment for node-pre-gyp / node-gyp / a package's install script. */
export function buildEnv(pkgDir, env = process.env) {
  const out = { ...env };
  out.PATH = [...binDirsAbove(pkgDir), env.PATH ?? ''].join(delimiter);
  const nodedir = findNodedir(env);
  if (nodedir) out.npm_config_nodedir = nodedir;
  return out;
}

/** node-pre-gyp's bin script, resolved from tfjs-node's own dependencies. */
export function findNodePreGyp(pkgDir) {
  try {
    return createRequire(join(pkgDir, 'package.json')).resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp');
  } catch {
    throw new ProvisionError('toolchain', `@mapbox/node-pre-gyp is not installed next to ${pkgDir}; reinstall @tensorflow/tfjs-node.`);
  }
}

/**
 * Compiles the binding in place (deps/ must hold the library) with
 * `node-pre-gyp install --build-from-source`. Always from source: tfjs-node's
 * prebuilt binding is made for its own libtensorflow 2.9.1, and fetching it
 * needs its install script to rewrite its package.json (the prebuilt's
 * name), which under pnpm can write through a hard link into the store.
 * @param {{ pkgDir: string, logFile: string }} opts
 */
export async function buildBinding({ pkgDir, logFile }) {
  const nodePreGyp = findNodePreGyp(pkgDir);
  const patch = patchBindingSource(pkgDir);
  if (patch.status === 'patched') log('Patched the binding source: list(string) and list(type) op attributes (for TensorFlow\'s fused kernels).');
  else if (patch.status === 'unknown') log(`Note: the binding source was not patched (${patch.reason}); Duet will use its unfused kernels.`);
  const flag = '--build-from-source';
  const env = buildEnv(pkgDir);
  log(`Building the tfjs-node binding (node-pre-gyp install ${flag}; ~20 s to compile; log: ${logFile})`);
  const t0 = Date.now();
  const stop = heartbeat('building tfjs_binding.node');
  let res;
  try {
    res = await run(process.execPath, [nodePreGyp, 'install', flag], { cwd: pkgDir, env, logFile, tailLines: 80 });
  } catch (err) {
    throw new ProvisionError('toolchain', `cannot start node-pre-gyp: ${err.message}`, { cause: err });
  } finally {
    stop();
  }
  if (res.code !== 0) {
    // A missing compiler, make or Python fails every library alike: say so.
    throw new ProvisionError(isToolchainFailure(res.tail) ? 'toolchain' : 'build', `building the binding failed (node-pre-gyp exit ${res.code})`, {
      detail: buildErrorSummary(res.tail) || lastLines(res.tail, 8),
    });
  }
  log(`Built the binding in ${formatDuration(Date.now() - t0)}.`);
}

/**
 * Applies patches/tfjs-node-string-list-attr.mjs and tfjs-node-type-list-attr.mjs
 * to binding/tfjs_backend.cc (list(string) and list(type) op attributes, for
 * TensorFlow's fused kernels _FusedMatMul / _FusedConv2D; issues 8 and 9).
 * Writes a temp file then renames it: under pnpm the file is a hard link into
 * the store, and a rename replaces the link instead of writing through it.
 * Never fatal: a source a patch does not recognise is left as it is for that
 * patch (Duet detects what the binding can do at run time).
 * @returns {{ status: 'patched' | 'already' } | { status: 'unknown', reason: string }}
 */
export function patchBindingSource(pkgDir) {
  const file = join(pkgDir, 'binding', 'tfjs_backend.cc');
  let source;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    return { status: 'unknown', reason: `cannot read ${file}: ${err.message}` };
  }
  let text = source;
  const unknown = [];
  for (const patch of [patchStringListAttr, patchTypeListAttr]) {
    const res = patch(text);
    if (res.status === 'patched') text = res.text;
    else if (res.status === 'unknown') unknown.push(res.reason);
  }
  if (text !== source) {
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, text);
      renameSync(tmp, file);
    } catch (err) {
      rmSync(tmp, { force: true });
      return { status: 'unknown', reason: `cannot write ${file}: ${err.message}` };
    }
  }
  if (unknown.length > 0) return { status: 'unknown', reason: unknown.join('; ') };
  return { status: text !== source ? 'patched' : 'already' };
}

/**
 * Compiles Duet's own small addon, native/duet_stdio.c, into build/duet_stdio.node:
 * it mutes fd 2 while TensorFlow's library loads, because TF logs its start-up
 * lines through absl before TF_CPP_MIN_LOG_LEVEL applies (see that file). One
 * C file against Node's N-API headers: a plain `cc` call, well under a second.
 * Not fatal: without it the engine works and only prints TensorFlow's lines.
 * @returns {Promise<{ ok: true, built: boolean } | { ok: false, error: string }>}
 */
export async function buildStdioAddon(coreDir, { force = false } = {}) {
  const src = join(coreDir, 'native', 'duet_stdio.c');
  const out = join(coreDir, 'build', 'duet_stdio.node');
  if (!force && existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) return { ok: true, built: false };
  const nodedir = findNodedir();
  if (nodedir === undefined) return { ok: false, error: "Node's headers (node_api.h) were not found" };
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const cc = process.env.CC || 'cc';
  const res = await run(cc, ['-shared', '-fPIC', '-O2', '-DNODE_GYP_MODULE_NAME=duet_stdio', '-I', join(nodedir, 'include', 'node'), src, '-o', tmp], { tailLines: 20 }).catch(
    (err) => ({ code: -1, tail: err.message }),
  );
  if (res.code !== 0) {
    rmSync(tmp, { force: true });
    return { ok: false, error: `${cc} failed: ${lastLines(res.tail, 4)}` };
  }
  renameSync(tmp, out);
  return { ok: true, built: true };
}

/**
 * Compiles native/duet_dist.c (TensorFlow's collective ops for
 * distributed training, issue 13; docs/design/distributed.md) into
 * build/duet_dist.node, against the TensorFlow C headers (deps/include) and
 * library (deps/lib) staged for tfjs-node's binding, so that both use the one
 * libtensorflow loaded in the process. One C file, a plain `cc` call (~5 s).
 * Not fatal: only `distributed.init()` needs it, and it says what to do.
 * @param {string} coreDir
 * @param {string} pkgDir tfjs-node's package directory (holds deps/)
 * @returns {Promise<{ ok: true, built: boolean } | { ok: false, error: string }>}
 */
export async function buildDistAddon(coreDir, pkgDir, { force = false } = {}) {
  const src = join(coreDir, 'native', 'duet_dist.c');
  const out = join(coreDir, 'build', 'duet_dist.node');
  const deps = resolve(pkgDir, 'deps');
  const lib = join(deps, 'lib');
  const include = join(deps, 'include');
  if (!existsSync(join(include, 'tensorflow', 'c', 'c_api_experimental.h'))) {
    return { ok: false, error: `TensorFlow's C headers are not in ${include}` };
  }
  if (!existsSync(join(lib, 'libtensorflow.so'))) return { ok: false, error: `libtensorflow.so is not in ${lib}` };
  if (!force && existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) return { ok: true, built: false };
  const nodedir = findNodedir();
  if (nodedir === undefined) return { ok: false, error: "Node's headers (node_api.h) were not found" };
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const cc = process.env.CC || 'cc';
  const args = [
    '-shared', '-fPIC', '-O2', '-pthread', '-DNODE_GYP_MODULE_NAME=duet_dist',
    '-I', join(nodedir, 'include', 'node'), '-I', include,
    src, '-o', tmp, '-L', lib, '-ltensorflow', `-Wl,-rpath,${lib}`,
  ];
  const res = await run(cc, args, { tailLines: 20 }).catch((err) => ({ code: -1, tail: err.message }));
  if (res.code !== 0) {
    rmSync(tmp, { force: true });
    return { ok: false, error: `${cc} failed: ${lastLines(res.tail, 4)}` };
  }
  renameSync(tmp, out);
  return { ok: true, built: true };
}
