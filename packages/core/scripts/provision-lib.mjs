/**
 * Pure decisions of the native-engine provisioning (see provision.mjs and
 * docs/install.md): which sources to try and in what order, whether an
 * existing binding is good enough, what a user-named library looks like,
 * where tfjs-node's official archive lives, and what to tell the user when
 * everything failed. Nothing here downloads, builds or writes anything, so
 * all of it is unit-tested (provision.test.ts).
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The TensorFlow CPU wheel whose C library was verified with tfjs-node 4.22. */
export const WHEEL_NAME = 'tensorflow-cpu';
export const WHEEL_VERSION = '2.21.0';
export const WHEEL_SPEC = `${WHEEL_NAME}==${WHEEL_VERSION}`;
/** File-name prefix of that wheel (pip normalises '-' to '_'). */
export const WHEEL_FILE_PREFIX = `tensorflow_cpu-${WHEEL_VERSION}-`;

/**
 * Members of the wheel that make a libtensorflow tree. The C headers of
 * TF 2.21 include a few headers outside tensorflow/c (tsl status, ctstring),
 * so those are extracted too; all keep their path below tensorflow/include/.
 */
export const WHEEL_MEMBERS = [
  'tensorflow/libtensorflow_cc.so.2',
  'tensorflow/libtensorflow_framework.so.2',
  'tensorflow/include/tensorflow/c/*',
  'tensorflow/include/xla/tsl/c/*',
  'tensorflow/include/tensorflow/core/platform/ctstring.h',
  'tensorflow/include/tensorflow/core/platform/ctstring_internal.h',
  'tensorflow/include/tsl/platform/ctstring.h',
  'tensorflow/include/tsl/platform/ctstring_internal.h',
];

/** Headers binding.gyp of tfjs-node compiles against (relative to include/). */
export const REQUIRED_HEADERS = ['tensorflow/c/c_api.h', 'tensorflow/c/eager/c_api.h'];

/** Names used next to tfjs-node's deps/ folder. */
export const STAGING_DIR = 'deps.duet-staging';
export const PREVIOUS_DIR = 'deps.duet-previous';
export const PROVENANCE_FILE = '.duet-provenance.json';

/** Error with a `kind` that the failure message and the source loop act on. */
export class ProvisionError extends Error {
  /**
   * @param {string} kind one of: not-found, layout, network, http, download,
   *   extract, pip-missing, pip-no-package, pip-failed, toolchain, build, load,
   *   not-installed, unsupported, gpu
   * @param {string} message what failed, in one line
   * @param {{ detail?: string, cause?: unknown }} [extra] detail: output tail
   */
  constructor(kind, message, extra = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'ProvisionError';
    this.kind = kind;
    this.detail = extra.detail;
  }
}

/** True for "1", "true", "yes", "on" (any case); false for unset, "", "0", "false". */
export function isTruthy(value) {
  return value !== undefined && /^(1|true|yes|on)$/i.test(String(value).trim());
}

/** DUET_DEVICE, normalised; unknown values fall back to cpu with a warning. */
export function deviceFromEnv(env) {
  const raw = (env.DUET_DEVICE ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'cpu') return { device: 'cpu' };
  if (raw === 'gpu') return { device: 'gpu' };
  return { device: 'cpu', warning: `DUET_DEVICE='${env.DUET_DEVICE}' is neither 'cpu' nor 'gpu'; provisioning the CPU engine.` };
}

/**
 * The ordered plan. 'existing' (a binding that already loads) always comes
 * first. A library named by the user is then the only other source: an
 * explicit choice that fails must not be hidden by a silent fallback.
 * Otherwise: tfjs-node's official archive, then the CPU wheel through pip
 * (Linux x86-64 only: that is the platform of tensorflow-cpu's wheel).
 */
export function planSources({ env, platform, arch }) {
  const user = (env.DUET_LIBTENSORFLOW ?? '').trim();
  if (user !== '') return [{ kind: 'existing' }, { kind: 'user', path: user }];
  const plan = [{ kind: 'existing' }, { kind: 'official' }];
  if (platform === 'linux' && arch === 'x64') plan.push({ kind: 'wheel', spec: WHEEL_SPEC });
  return plan;
}

/** One-line human name of a source, used in progress lines and failures. */
export function describeSource(source) {
  switch (source.kind) {
    case 'existing': return 'the binding already built';
    case 'user': return `DUET_LIBTENSORFLOW=${source.path}`;
    case 'official': return "tfjs-node's official libtensorflow download" + (source.url ? ` (${source.url})` : '');
    case 'wheel': return `the TensorFlow CPU wheel through pip (${source.spec ?? WHEEL_SPEC})`;
    default: return source.kind;
  }
}

/**
 * Idempotence: is the binding that already loads good enough?
 * @param {{ probe: { ok: boolean, error?: string, tfVersion?: string },
 *           provenance?: { source?: string, path?: string } | null,
 *           userLibrary?: string }} input userLibrary: DUET_LIBTENSORFLOW, resolved
 * @returns {{ action: 'done' | 'provision', reason: string }}
 */
export function decideExisting({ probe, provenance, userLibrary }) {
  if (!probe.ok) return { action: 'provision', reason: probe.error ?? 'the binding does not load' };
  if (userLibrary !== undefined && userLibrary !== '') {
    const same = provenance?.source === 'user' && provenance.path === userLibrary;
    if (!same) {
      const from = provenance?.source ? `was built from ${provenance.path ?? provenance.source}` : 'has no record of its library';
      return { action: 'provision', reason: `the working binding ${from}; DUET_LIBTENSORFLOW asks for ${userLibrary}` };
    }
  }
  return { action: 'done', reason: `the binding loads (TensorFlow ${probe.tfVersion ?? '?'})` };
}

function statOrNull(p, stat) {
  try {
    return stat(p);
  } catch {
    return null;
  }
}

/**
 * What DUET_LIBTENSORFLOW points at: a folder with lib/ and include/, or a
 * libtensorflow .tar.gz / .tgz archive. Throws a ProvisionError that says
 * exactly what is wrong. `stat` is injectable for tests.
 * @returns {{ type: 'dir' | 'tar.gz', path: string }}
 */
export function describeUserLibrary(rawPath, { cwd = process.cwd(), stat = statSync } = {}) {
  const given = (rawPath ?? '').trim();
  if (given === '') throw new ProvisionError('not-found', 'DUET_LIBTENSORFLOW is set but empty.');
  const path = resolve(cwd, given);
  const st = statOrNull(path, stat);
  if (st === null) throw new ProvisionError('not-found', `DUET_LIBTENSORFLOW=${given}: no such file or folder (${path}).`);
  if (st.isDirectory()) {
    const missing = ['lib', 'include'].filter((d) => !statOrNull(join(path, d), stat)?.isDirectory());
    if (missing.length > 0) {
      throw new ProvisionError(
        'layout',
        `DUET_LIBTENSORFLOW=${given} has no ${missing.map((d) => `${d}/`).join(' and no ')} folder; ` +
          'a libtensorflow folder holds lib/ (libtensorflow*.so) and include/ (tensorflow/c/c_api.h).',
      );
    }
    return { type: 'dir', path };
  }
  if (st.isFile() && /\.(tar\.gz|tgz)$/i.test(path)) return { type: 'tar.gz', path };
  throw new ProvisionError(
    'layout',
    `DUET_LIBTENSORFLOW=${given} is neither a folder nor a .tar.gz archive (libtensorflow-*.tar.gz).`,
  );
}

/**
 * Checks a libtensorflow tree (lib/ + include/) from its file listing.
 * @param {{ libFiles: string[], hasHeader: (rel: string) => boolean, platform: string }} tree
 * @returns {string[]} problems; empty when the tree is usable
 */
export function libTreeProblems({ libFiles, hasHeader, platform }) {
  const problems = [];
  const ext = platform === 'darwin' ? '.dylib' : platform === 'win32' ? '.dll' : '.so';
  const isLib = (prefix) => libFiles.some((f) => f.startsWith(prefix) && f.includes(ext));
  if (platform === 'win32') {
    if (!libFiles.some((f) => /tensorflow.*\.dll$/i.test(f))) problems.push('lib/ holds no tensorflow .dll');
  } else {
    if (!isLib('libtensorflow.') && !isLib('libtensorflow_cc.')) problems.push(`lib/ holds no libtensorflow${ext}* or libtensorflow_cc${ext}*`);
    if (!isLib('libtensorflow_framework.')) problems.push(`lib/ holds no libtensorflow_framework${ext}*`);
  }
  for (const h of REQUIRED_HEADERS) if (!hasHeader(h)) problems.push(`include/${h} is missing`);
  return problems;
}

/**
 * Symlinks to add in deps/lib so that binding.gyp (-ltensorflow
 * -ltensorflow_framework) links, and so that tfjs-node's own install script
 * sees a "downloaded" 2.9.1 library and does not wipe deps/ if it ever runs.
 * Only Linux needs names fixed; an existing file is never replaced.
 * @returns {Array<{ name: string, target: string }>}
 */
export function libLinkPlan(libFiles, { platform, tfjsLibVersion = '2.9.1' }) {
  if (platform !== 'linux') return [];
  const have = new Set(libFiles);
  const pick = (candidates) => candidates.find((c) => have.has(c));
  const main = pick(['libtensorflow.so', 'libtensorflow.so.2', `libtensorflow.so.${tfjsLibVersion}`, 'libtensorflow_cc.so.2', 'libtensorflow_cc.so']) ??
    libFiles.filter((f) => /^libtensorflow(_cc)?\.so\.\d/.test(f)).sort()[0];
  const framework = pick(['libtensorflow_framework.so', 'libtensorflow_framework.so.2', `libtensorflow_framework.so.${tfjsLibVersion}`]) ??
    libFiles.filter((f) => /^libtensorflow_framework\.so\.\d/.test(f)).sort()[0];
  const links = [];
  const want = (name, target) => {
    if (target !== undefined && !have.has(name) && name !== target) links.push({ name, target });
  };
  want('libtensorflow.so', main);
  want('libtensorflow_framework.so', framework);
  want(`libtensorflow.so.${tfjsLibVersion}`, main);
  want(`libtensorflow_framework.so.${tfjsLibVersion}`, framework);
  return links;
}

const PLATFORM_MAPPING = { darwin: 'darwin', linux: 'linux', win32: 'windows' };
const ARCH_MAPPING = { x64: 'x86_64', arm64: 'arm64' };
const SUPPORTED = ['cpu-darwin-x86_64', 'gpu-linux-x86_64', 'cpu-linux-x86_64', 'cpu-windows-x86_64', 'gpu-windows-x86_64'];

/**
 * The libtensorflow archive URL that tfjs-node 4.22's scripts/install.js
 * downloads, with the same overrides (TFJS_NODE_CDN_STORAGE,
 * TFJS_NODE_BASE_URI, scripts/custom-binary.json's tf-lib). null when
 * tfjs-node supports no download for this platform.
 */
export function officialLibUrl({ env, platform, arch, version = '2.9.1', customTFLibUri, libType = 'cpu' }) {
  const host = env.TFJS_NODE_CDN_STORAGE || env.npm_config_TFJS_NODE_CDN_STORAGE || env.CDN_STORAGE || 'https://storage.googleapis.com/';
  const base = env.TFJS_NODE_BASE_URI || env.npm_config_TFJS_NODE_BASE_URI || `${host}tensorflow/libtensorflow/libtensorflow-`;
  let system = `${libType}-${PLATFORM_MAPPING[platform]}-${ARCH_MAPPING[arch]}`;
  if (platform === 'darwin') {
    if (arch === 'arm64') return `${host}tf-builds/libtensorflow_r2_7_darwin_arm64_cpu.tar.gz`;
    system = `cpu-darwin-${ARCH_MAPPING[arch]}`;
  }
  if (customTFLibUri !== undefined) return customTFLibUri;
  if (platform === 'linux' && arch === 'arm') return `${host}tf-builds/libtensorflow_r2_5_linux_arm7l.tar.gz`;
  if (platform === 'linux' && arch === 'arm64') return `${host}tf-builds/libtensorflow_r2_7_linux_arm64.tar.gz`;
  if (!SUPPORTED.includes(system)) return null;
  return `${base}${system}-${version}.${platform === 'win32' ? 'zip' : 'tar.gz'}`;
}

/**
 * node-pre-gyp's N-API version: the highest of the package's napi_versions
 * that this Node supports. The binding lands in lib/napi-v<N>/.
 */
export function pickNapiVersion(napiVersions, nodeNapi) {
  const ok = (napiVersions ?? []).map(Number).filter((v) => v <= Number(nodeNapi));
  return ok.length === 0 ? undefined : Math.max(...ok);
}

/** Relative path of the compiled binding inside tfjs-node's folder. */
export function bindingRelPath(pkgJson, nodeNapi) {
  const binary = pkgJson.binary ?? {};
  const napi = pickNapiVersion(binary.napi_versions, nodeNapi);
  const dir = String(binary.module_path ?? './lib/napi-v{napi_build_version}').replace('{napi_build_version}', String(napi));
  return join(dir, `${binary.module_name ?? 'tfjs_binding'}.node`);
}

/**
 * Where downloads are cached: DUET_CACHE_DIR, else $XDG_CACHE_HOME/duet,
 * else ~/.cache/duet.
 */
export function cacheDirFor(env, home) {
  if (env.DUET_CACHE_DIR) return resolve(env.DUET_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'duet');
  return join(home, '.cache', 'duet');
}

/**
 * Whether the next source is worth trying after this error. A failed
 * compile or a missing compiler will fail the same way for every library,
 * so the loop stops there instead of downloading 270 MB for nothing.
 */
export function shouldTryNext(error) {
  return !(error instanceof ProvisionError && (error.kind === 'toolchain' || error.kind === 'build'));
}

/** Is a failed node-gyp build's output about a missing compiler, make or Python? */
export function isToolchainFailure(output) {
  return /not found: (make|g\+\+|c\+\+)|\b(g\+\+|c\+\+|cc|gcc|make|python3?): (command )?not found|\b(g\+\+|c\+\+|cc|gcc|make): No such file|No such file or directory: '[^']*\b(g\+\+|c\+\+|cc|gcc|clang\+\+|make)'|Could not find any Python/i.test(
    String(output),
  );
}

const BUILD_NOISE = /(gyp|node-pre-gyp) ERR! (stack|System|command|cwd|node -v|node-gyp -v|node-pre-gyp -v|not ok)|^\s*at |^Failed to execute|^\s*File "|^\s*\^+\s*$/;

/** The lines of a build's output that say what went wrong (compiler errors, missing files). */
export function buildErrorSummary(output, max = 8) {
  return String(output ?? '')
    .split('\n')
    .filter((l) => l.trim() !== '' && !BUILD_NOISE.test(l))
    .filter((l) => /error|No such file|not found|undefined reference|cannot|fatal/i.test(l))
    .slice(-max)
    .map((l) => `    ${l.trim()}`)
    .join('\n');
}

/** The one thing to do, chosen from what failed (most specific first). */
export function remedyFor(attempts) {
  const kinds = attempts.map((a) => (a.error instanceof ProvisionError ? a.error.kind : 'unknown'));
  const userIndex = attempts.findIndex((a) => a.source.kind === 'user');
  if (userIndex >= 0 && ['not-found', 'layout', 'extract'].includes(kinds[userIndex])) {
    return 'Point DUET_LIBTENSORFLOW at a libtensorflow folder (with lib/ and include/) or a libtensorflow .tar.gz, then run `pnpm install` again.';
  }
  if (kinds.includes('toolchain')) {
    return 'Install a C++ toolchain for node-gyp (g++, make and python3), then run `pnpm install` again.';
  }
  if (userIndex >= 0) {
    return 'Point DUET_LIBTENSORFLOW at a libtensorflow 2.x built for this platform (or unset it to use the download and pip sources), then run `pnpm install` again.';
  }
  if (kinds.includes('build') || kinds.includes('load')) {
    return 'Set DUET_LIBTENSORFLOW to a libtensorflow 2.x folder (lib/ + include/) or .tar.gz built for this machine, then run `pnpm install` again.';
  }
  if (kinds.includes('pip-missing')) {
    return `Install python3 with pip (so \`python3 -m pip download ${WHEEL_SPEC}\` works), or set DUET_LIBTENSORFLOW=/path/to/libtensorflow, then run \`pnpm install\` again.`;
  }
  if (kinds.includes('pip-no-package') || kinds.includes('pip-failed')) {
    return `Make pip reach an index that has ${WHEEL_SPEC} (pip config / PIP_INDEX_URL), or set DUET_LIBTENSORFLOW=/path/to/libtensorflow, then run \`pnpm install\` again.`;
  }
  return 'Set DUET_LIBTENSORFLOW=/path/to/libtensorflow (a folder with lib/ and include/, or a libtensorflow .tar.gz), then run `pnpm install` again.';
}

/**
 * The message printed when no source worked: what was tried, how each
 * failed, and the one thing to do.
 * @param {Array<{ source: object, error: unknown }>} attempts in order
 * @param {{ packageName?: string, logFile?: string }} [ctx]
 */
export function formatFailure(attempts, ctx = {}) {
  const lines = [`Could not provision TensorFlow's native engine for ${ctx.packageName ?? '@tensorflow/tfjs-node'}.`];
  if (attempts.length === 0) {
    lines.push('No source of the TensorFlow C library applies to this platform.');
  } else {
    lines.push('Tried, in order:');
    attempts.forEach((a, i) => {
      const msg = a.error instanceof Error ? a.error.message : String(a.error);
      lines.push(`  ${i + 1}. ${describeSource(a.source)}`);
      lines.push(`     -> ${msg}`);
    });
  }
  if (ctx.logFile) lines.push(`Full log: ${ctx.logFile}`);
  lines.push(`What to do: ${remedyFor(attempts)}`);
  lines.push('See docs/install.md.');
  return lines.join('\n');
}

/** 274829956 -> "262 MB". */
export function formatBytes(n) {
  if (!Number.isFinite(n) || n < 0) return '? B';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} kB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(0)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/** 1234 -> "1.2 s", 65000 -> "65 s". */
export function formatDuration(ms) {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
