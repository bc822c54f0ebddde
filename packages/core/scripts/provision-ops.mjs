/**
 * Builds Duet's own TensorFlow kernels (native/ops/*.cc) into
 * build/duet_ops.node: custom TensorFlow ops, registered in the one
 * libtensorflow the process loads, then run through tfjs-node's binding like
 * any TensorFlow op (docs/design/custom-ops.md). They exist where TensorFlow's
 * eager CPU kernels are slow for the shapes Duet runs (max-pool gradient,
 * whole-sequence LSTM, one Adam kernel for many parameters).
 *
 * A custom op is compiled against TensorFlow's C++ headers, which must be
 * those of the very library it loads into: they come from the same
 * tensorflow-cpu wheel as the staged library (provenance source 'wheel'),
 * extracted once from the cached wheel into build/tf-include/. With any other
 * library (a user's DUET_LIBTENSORFLOW, tfjs-node's 2.9.1 archive) the ops are
 * not built and Duet runs TensorFlow's stock kernels instead.
 *
 * Not fatal: on any failure the caller logs the reason, Duet works without.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { WHEEL_FILE_PREFIX, WHEEL_VERSION, PROVENANCE_FILE } from './provision-lib.mjs';
import { lastLines, log, run } from './provision-io.mjs';
import { findNodedir } from './provision-build.mjs';

/** Wheel members that hold the C++ headers a kernel needs (all of include/ but the 6,000 files of external/). */
const HEADER_MEMBERS = ['tensorflow/include/*'];
const HEADER_EXCLUDE = ['tensorflow/include/external/*'];
/** The header every kernel includes: its presence marks a complete extraction. */
const MARK_HEADER = join('tensorflow', 'core', 'framework', 'op_kernel.h');

/**
 * The compiler flags TensorFlow 2.21's own `tf.sysconfig.get_compile_flags()`
 * gives (ABI, C++ standard, Eigen alignment), plus optimisation. On x86-64 with
 * AVX2 and FMA the kernels use them (x86-64-v3): the library itself is built
 * for AVX only, and the kernels are compiled on the machine that runs them.
 */
export function opsCompileFlags({ cpuFlags = readCpuFlags(), arch = process.arch } = {}) {
  const flags = ['-std=c++17', '-O3', '-fno-math-errno', '-ffp-contract=off', '-fPIC', '-pthread', '-D_GLIBCXX_USE_CXX11_ABI=1', '-DEIGEN_MAX_ALIGN_BYTES=64', '-DEIGEN_USE_THREADS', '-w'];
  if (arch === 'x64' && cpuFlags.has('avx2') && cpuFlags.has('fma')) flags.push('-march=x86-64-v3');
  return flags;
}

function readCpuFlags() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    return new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []);
  } catch {
    return new Set();
  }
}

/** The .cc files to compile, sorted; `module.cc` (the N-API entry) among them. */
export function opSources(coreDir) {
  const dir = join(coreDir, 'native', 'ops');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.cc')).sort().map((f) => join(dir, f));
}

/** Why the staged library cannot take the ops, or undefined when it can. */
export function opsUnsupportedReason(provenance) {
  if (provenance === undefined) return 'the staged TensorFlow library has no provenance record';
  if (provenance.source !== 'wheel') return `the staged TensorFlow library came from '${provenance.source}', not the tensorflow-cpu wheel whose C++ headers the kernels need`;
  if (provenance.tfVersion !== WHEEL_VERSION) return `the staged TensorFlow library is ${provenance.tfVersion}, the kernels are built for ${WHEEL_VERSION}`;
  return undefined;
}

function readProvenance(deps) {
  try {
    return JSON.parse(readFileSync(join(deps, PROVENANCE_FILE), 'utf8'));
  } catch {
    return undefined;
  }
}

/** TensorFlow's C++ headers in build/tf-include, extracted from the cached wheel once. */
async function ensureHeaders(coreDir, cacheDir, logFile) {
  const dest = join(coreDir, 'build', 'tf-include');
  if (existsSync(join(dest, MARK_HEADER))) return { ok: true, dir: dest };
  const wheelDir = join(cacheDir, 'wheels');
  const name = existsSync(wheelDir) ? readdirSync(wheelDir).find((f) => f.startsWith(WHEEL_FILE_PREFIX) && f.endsWith('.whl')) : undefined;
  if (name === undefined) return { ok: false, error: `TensorFlow's C++ headers come from the cached wheel, and ${wheelDir} holds none (run \`node packages/core/scripts/provision.mjs --force\`)` };
  const scratch = `${dest}.${process.pid}.tmp`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const res = await run('unzip', ['-q', '-o', join(wheelDir, name), ...HEADER_MEMBERS, '-x', ...HEADER_EXCLUDE, '-d', scratch], { logFile }).catch((err) => ({ code: -1, tail: err.message }));
  const inc = join(scratch, 'tensorflow', 'include');
  if (res.code !== 0 || !existsSync(join(inc, MARK_HEADER))) {
    rmSync(scratch, { recursive: true, force: true });
    return { ok: false, error: `could not extract the C++ headers from ${name} (unzip exit ${res.code}): ${lastLines(res.tail, 3)}` };
  }
  rmSync(dest, { recursive: true, force: true });
  renameSync(inc, dest);
  rmSync(scratch, { recursive: true, force: true });
  return { ok: true, dir: dest };
}

/** Runs `jobs` (thunks returning promises) at most `width` at a time; resolves with their results in order. */
async function pool(jobs, width) {
  const out = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return out;
}

/**
 * Loads the built module in a child process with every symbol bound at load
 * (LD_BIND_NOW): a kernel that calls something libtensorflow_framework does
 * not export fails here, at install, instead of crashing a training run.
 */
async function probeOps(pkgDir, file) {
  // tfjs-node first: it loads libtensorflow, which the kernels register into.
  const src = `require(${JSON.stringify(pkgDir)}); const m = require(${JSON.stringify(file)}); console.log('DUET_OPS ' + JSON.stringify(m.ops));`;
  const env = { ...process.env, LD_BIND_NOW: '1', TF_CPP_MIN_LOG_LEVEL: '3' };
  delete env.NODE_OPTIONS;
  const res = await run(process.execPath, ['-e', src], { env, timeoutMs: 120_000, tailLines: 30 });
  const line = res.tail.split('\n').find((l) => l.startsWith('DUET_OPS '));
  if (res.code === 0 && line) return { ok: true, ops: JSON.parse(line.slice('DUET_OPS '.length)) };
  return { ok: false, error: `it does not load: ${lastLines(res.tail, 4)}` };
}

/**
 * Compiles native/ops/*.cc into build/duet_ops.node (each file to an object in
 * build/ops-obj/, up to one compiler per core, then one link), unless the
 * module is newer than every source. The module is written to a temp file,
 * probed, and renamed into place.
 * @param {string} coreDir
 * @param {string} pkgDir tfjs-node's package directory (holds deps/)
 * @param {{ cacheDir: string, logFile?: string, force?: boolean }} opts
 * @returns {Promise<{ ok: true, built: boolean, ops?: string[], seconds?: number } | { ok: false, error: string }>}
 */
export async function buildOpsAddon(coreDir, pkgDir, { cacheDir, logFile, force = false }) {
  const sources = opSources(coreDir);
  if (sources.length === 0) return { ok: false, error: `no kernel sources in ${join(coreDir, 'native', 'ops')}` };
  const deps = resolve(pkgDir, 'deps');
  const lib = join(deps, 'lib');
  const why = opsUnsupportedReason(readProvenance(deps));
  if (why !== undefined) return { ok: false, error: why };
  if (!existsSync(join(lib, 'libtensorflow_framework.so.2'))) return { ok: false, error: `libtensorflow_framework.so.2 is not in ${lib}` };
  const out = join(coreDir, 'build', 'duet_ops.node');
  const objDir = join(coreDir, 'build', 'ops-obj');
  const flags = opsCompileFlags();
  // Built with other flags (another compiler setting, another CPU) or from another set of files (one removed): rebuild.
  const flagsFile = join(objDir, 'flags.txt');
  const stamp = `${flags.join(' ')}\n${sources.map((f) => f.slice(f.lastIndexOf('/') + 1)).join(' ')}`;
  if (!existsSync(flagsFile) || readFileSync(flagsFile, 'utf8') !== stamp) force = true;
  const newest = Math.max(...sources.map((s) => statSync(s).mtimeMs), ...headerMtimes(coreDir));
  if (!force && existsSync(out) && statSync(out).mtimeMs >= newest) return { ok: true, built: false };
  const nodedir = findNodedir();
  if (nodedir === undefined) return { ok: false, error: "Node's headers (node_api.h) were not found" };
  const headers = await ensureHeaders(coreDir, cacheDir, logFile);
  if (!headers.ok) return headers;

  const t0 = Date.now();
  const cxx = process.env.CXX || 'g++';
  mkdirSync(objDir, { recursive: true });
  rmSync(flagsFile, { force: true });
  const includes = ['-I', headers.dir, '-I', join(nodedir, 'include', 'node'), '-I', join(coreDir, 'native', 'ops')];
  const compile = sources.map((src) => async () => {
    const obj = join(objDir, src.slice(src.lastIndexOf('/') + 1).replace(/\.cc$/, '.o'));
    if (!force && existsSync(obj) && statSync(obj).mtimeMs >= Math.max(statSync(src).mtimeMs, ...headerMtimes(coreDir))) return { ok: true, obj };
    const res = await run(cxx, [...flags, '-DNODE_GYP_MODULE_NAME=duet_ops', ...includes, '-c', src, '-o', `${obj}.tmp`], { logFile, tailLines: 30 }).catch((err) => ({ code: -1, tail: err.message }));
    if (res.code !== 0) {
      rmSync(`${obj}.tmp`, { force: true });
      return { ok: false, error: `${cxx} failed on ${src}: ${lastLines(res.tail, 6)}` };
    }
    renameSync(`${obj}.tmp`, obj);
    return { ok: true, obj };
  });
  const objs = await pool(compile, Math.max(1, availableParallelism()));
  const failed = objs.find((o) => !o.ok);
  if (failed) return failed;
  // Node loads a file as an addon only by its .node ending.
  const tmp = out.replace(/\.node$/, `.${process.pid}.tmp.node`);
  const link = await run(cxx, ['-shared', '-pthread', ...objs.map((o) => o.obj), '-o', tmp, '-L', lib, '-l:libtensorflow_framework.so.2', `-Wl,-rpath,${lib}`], { logFile, tailLines: 20 }).catch((err) => ({ code: -1, tail: err.message }));
  if (link.code !== 0) {
    rmSync(tmp, { force: true });
    return { ok: false, error: `linking failed: ${lastLines(link.tail, 6)}` };
  }
  const probe = await probeOps(pkgDir, tmp);
  if (!probe.ok) {
    rmSync(tmp, { force: true });
    return { ok: false, error: `the built kernels ${probe.error}` };
  }
  renameSync(tmp, out);
  writeFileSync(flagsFile, stamp);
  return { ok: true, built: true, ops: probe.ops, seconds: (Date.now() - t0) / 1000 };
}

/** Modification times of the shared headers in native/ops/ (a change there rebuilds every object). */
function headerMtimes(coreDir) {
  const dir = join(coreDir, 'native', 'ops');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.h')).map((f) => statSync(join(dir, f)).mtimeMs);
}
