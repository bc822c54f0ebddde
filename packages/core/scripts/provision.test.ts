/**
 * Tests of the native-engine provisioning's decisions: source order,
 * DUET_LIBTENSORFLOW detection, idempotence, URLs and failure messages.
 * Nothing here downloads or compiles (the staging transaction is tested in
 * provision-stage.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ProvisionError, WHEEL_MEMBERS, WHEEL_SPEC, bindingRelPath, buildErrorSummary,
  cacheDirFor, decideExisting, describeUserLibrary, deviceFromEnv, formatFailure, isToolchainFailure, isTruthy, libLinkPlan,
  libTreeProblems, officialLibUrl, pickNapiVersion, planSources, remedyFor, shouldTryNext,
} from './provision-lib.mjs';
import { useTempDir, writeLibTree } from './provision-fixtures.js';

const temp = useTempDir();

const kinds = (plan: Array<{ kind: string }>) => plan.map((s) => s.kind);

describe('planSources: order of sources', () => {
  it('tries the existing binding, the official download, then the wheel on Linux x86-64', () => {
    expect(kinds(planSources({ env: {}, platform: 'linux', arch: 'x64' }))).toEqual(['existing', 'official', 'wheel']);
    expect(planSources({ env: {}, platform: 'linux', arch: 'x64' })[2]).toEqual({ kind: 'wheel', spec: WHEEL_SPEC });
  });

  it('has no wheel source where tensorflow-cpu has no wheel', () => {
    expect(kinds(planSources({ env: {}, platform: 'darwin', arch: 'arm64' }))).toEqual(['existing', 'official']);
    expect(kinds(planSources({ env: {}, platform: 'linux', arch: 'arm64' }))).toEqual(['existing', 'official']);
  });

  it('uses only the library the user named, after the existing binding', () => {
    const plan = planSources({ env: { DUET_LIBTENSORFLOW: ' /opt/tf ' }, platform: 'linux', arch: 'x64' });
    expect(plan).toEqual([{ kind: 'existing' }, { kind: 'user', path: '/opt/tf' }]);
  });

  it('ignores an empty DUET_LIBTENSORFLOW', () => {
    expect(kinds(planSources({ env: { DUET_LIBTENSORFLOW: '' }, platform: 'linux', arch: 'x64' }))).toEqual(['existing', 'official', 'wheel']);
  });
});

describe('environment switches', () => {
  it('reads DUET_SKIP_PROVISION as a boolean', () => {
    for (const v of ['1', 'true', 'YES', 'on']) expect(isTruthy(v)).toBe(true);
    for (const v of [undefined, '', '0', 'false', 'no']) expect(isTruthy(v)).toBe(false);
  });

  it('reads DUET_DEVICE', () => {
    expect(deviceFromEnv({})).toEqual({ device: 'cpu' });
    expect(deviceFromEnv({ DUET_DEVICE: 'GPU' })).toEqual({ device: 'gpu' });
    const odd = deviceFromEnv({ DUET_DEVICE: 'tpu' });
    expect(odd.device).toBe('cpu');
    expect(odd.warning).toContain("'tpu'");
  });

  it('puts the cache under DUET_CACHE_DIR, XDG_CACHE_HOME or ~/.cache', () => {
    expect(cacheDirFor({ DUET_CACHE_DIR: '/c' }, '/home/u')).toBe('/c');
    expect(cacheDirFor({ XDG_CACHE_HOME: '/x' }, '/home/u')).toBe(join('/x', 'duet'));
    expect(cacheDirFor({}, '/home/u')).toBe(join('/home/u', '.cache', 'duet'));
  });
});

describe('decideExisting: idempotence', () => {
  const ok = { ok: true, tfVersion: '2.21.0' };

  it('does nothing when the binding loads', () => {
    expect(decideExisting({ probe: ok, provenance: null }).action).toBe('done');
    expect(decideExisting({ probe: ok, provenance: { source: 'wheel' } }).reason).toContain('2.21.0');
  });

  it('provisions when the binding does not load, and says why', () => {
    const d = decideExisting({ probe: { ok: false, error: 'no binding has been built yet' } });
    expect(d).toEqual({ action: 'provision', reason: 'no binding has been built yet' });
  });

  it('keeps a binding built from the same DUET_LIBTENSORFLOW', () => {
    const d = decideExisting({ probe: ok, provenance: { source: 'user', path: '/opt/tf' }, userLibrary: '/opt/tf' });
    expect(d.action).toBe('done');
  });

  it('rebuilds when DUET_LIBTENSORFLOW names another library than the working binding used', () => {
    const d = decideExisting({ probe: ok, provenance: { source: 'wheel' }, userLibrary: '/opt/tf' });
    expect(d.action).toBe('provision');
    expect(d.reason).toContain('/opt/tf');
    expect(decideExisting({ probe: ok, provenance: null, userLibrary: '/opt/tf' }).action).toBe('provision');
  });
});

describe('describeUserLibrary: DUET_LIBTENSORFLOW detection', () => {
  it('accepts a folder with lib/ and include/', () => {
    writeLibTree(join(temp.path, 'tf'));
    expect(describeUserLibrary(join(temp.path, 'tf'))).toEqual({ type: 'dir', path: join(temp.path, 'tf') });
  });

  it('resolves a relative path against cwd', () => {
    writeLibTree(join(temp.path, 'tf'));
    expect(describeUserLibrary('tf', { cwd: temp.path }).path).toBe(join(temp.path, 'tf'));
  });

  it('accepts a .tar.gz or .tgz archive', () => {
    writeFileSync(join(temp.path, 'libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz'), '');
    writeFileSync(join(temp.path, 'tf.tgz'), '');
    expect(describeUserLibrary(join(temp.path, 'libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz')).type).toBe('tar.gz');
    expect(describeUserLibrary(join(temp.path, 'tf.tgz')).type).toBe('tar.gz');
  });

  const failure = (fn: () => unknown): ProvisionError => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(ProvisionError);
      return e as ProvisionError;
    }
    throw new Error('expected a ProvisionError');
  };

  it('says when the path does not exist', () => {
    const e = failure(() => describeUserLibrary(join(temp.path, 'nope')));
    expect(e.kind).toBe('not-found');
    expect(e.message).toContain('no such file or folder');
  });

  it('says which of lib/ and include/ is missing', () => {
    mkdirSync(join(temp.path, 'onlyinclude', 'include'), { recursive: true });
    mkdirSync(join(temp.path, 'onlylib', 'lib'), { recursive: true });
    mkdirSync(join(temp.path, 'empty'));
    expect(failure(() => describeUserLibrary(join(temp.path, 'onlyinclude'))).message).toMatch(/has no lib\/ folder/);
    expect(failure(() => describeUserLibrary(join(temp.path, 'onlylib'))).message).toMatch(/has no include\/ folder/);
    const both = failure(() => describeUserLibrary(join(temp.path, 'empty')));
    expect(both.kind).toBe('layout');
    expect(both.message).toMatch(/no lib\/ and no include\//);
  });

  it('rejects a file that is not a .tar.gz, and an empty value', () => {
    writeFileSync(join(temp.path, 'tf.zip'), '');
    expect(failure(() => describeUserLibrary(join(temp.path, 'tf.zip'))).message).toContain('neither a folder nor a .tar.gz');
    expect(failure(() => describeUserLibrary('  ')).kind).toBe('not-found');
  });
});

describe('library tree checks and lib/ names', () => {
  it('finds nothing wrong with the wheel layout or the official layout', () => {
    const all = () => true;
    expect(libTreeProblems({ libFiles: ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'], hasHeader: all, platform: 'linux' })).toEqual([]);
    expect(libTreeProblems({ libFiles: ['libtensorflow.so.2.9.1', 'libtensorflow_framework.so.2.9.1'], hasHeader: all, platform: 'linux' })).toEqual([]);
  });

  it('lists missing libraries and headers', () => {
    const problems = libTreeProblems({ libFiles: [], hasHeader: (h) => h !== 'tensorflow/c/eager/c_api.h', platform: 'linux' });
    expect(problems.join('\n')).toMatch(/no libtensorflow\.so/);
    expect(problems.join('\n')).toMatch(/no libtensorflow_framework/);
    expect(problems.join('\n')).toMatch(/include\/tensorflow\/c\/eager\/c_api\.h is missing/);
  });

  it('links the wheel libraries under the names binding.gyp and install.js expect', () => {
    expect(libLinkPlan(['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'], { platform: 'linux' })).toEqual([
      { name: 'libtensorflow.so', target: 'libtensorflow_cc.so.2' },
      { name: 'libtensorflow_framework.so', target: 'libtensorflow_framework.so.2' },
      { name: 'libtensorflow.so.2.9.1', target: 'libtensorflow_cc.so.2' },
      { name: 'libtensorflow_framework.so.2.9.1', target: 'libtensorflow_framework.so.2' },
    ]);
  });

  it('adds nothing to the official 2.9.1 layout, and nothing off Linux', () => {
    const official = ['libtensorflow.so', 'libtensorflow.so.2', 'libtensorflow.so.2.9.1', 'libtensorflow_framework.so',
      'libtensorflow_framework.so.2', 'libtensorflow_framework.so.2.9.1'];
    expect(libLinkPlan(official, { platform: 'linux' })).toEqual([]);
    expect(libLinkPlan(['libtensorflow.2.dylib'], { platform: 'darwin' })).toEqual([]);
  });

  it('extracts the extra TF 2.21 headers from the wheel', () => {
    expect(WHEEL_MEMBERS).toEqual(expect.arrayContaining([
      'tensorflow/include/tensorflow/c/*', 'tensorflow/include/xla/tsl/c/*', 'tensorflow/include/tsl/platform/ctstring.h',
    ]));
  });
});

describe('officialLibUrl: the archive tfjs-node downloads', () => {
  const base = { platform: 'linux', arch: 'x64', version: '2.9.1' };
  it('is Google storage by default', () => {
    expect(officialLibUrl({ env: {}, ...base })).toBe(
      'https://storage.googleapis.com/tensorflow/libtensorflow/libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz',
    );
  });
  it('honours tfjs-node overrides', () => {
    expect(officialLibUrl({ env: { TFJS_NODE_CDN_STORAGE: 'https://mirror/' }, ...base })).toBe(
      'https://mirror/tensorflow/libtensorflow/libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz',
    );
    expect(officialLibUrl({ env: { TFJS_NODE_BASE_URI: 'http://h/x-' }, ...base })).toBe('http://h/x-cpu-linux-x86_64-2.9.1.tar.gz');
    expect(officialLibUrl({ env: {}, ...base, customTFLibUri: 'http://c/lib.tar.gz' })).toBe('http://c/lib.tar.gz');
  });
  it('follows install.js for other platforms', () => {
    expect(officialLibUrl({ env: {}, ...base, arch: 'arm64' })).toContain('libtensorflow_r2_7_linux_arm64.tar.gz');
    expect(officialLibUrl({ env: {}, ...base, platform: 'win32' })).toMatch(/cpu-windows-x86_64-2\.9\.1\.zip$/);
    expect(officialLibUrl({ env: {}, ...base, platform: 'freebsd' })).toBeNull();
  });
});

describe('binding location', () => {
  it('uses the highest napi version both sides support', () => {
    expect(pickNapiVersion([3, 4, 5, 6, 7, 8], '9')).toBe(8);
    expect(pickNapiVersion([3, 4, 5, 6, 7, 8], 6)).toBe(6);
    const pkg = { binary: { module_name: 'tfjs_binding', module_path: './lib/napi-v{napi_build_version}', napi_versions: [3, 8] } };
    expect(bindingRelPath(pkg, '9')).toBe(join('lib', 'napi-v8', 'tfjs_binding.node'));
  });
});

describe('failures: what failed and the one thing to do', () => {
  const official = { kind: 'official' as const, url: 'https://storage.googleapis.com/x.tar.gz' };
  const wheel = { kind: 'wheel' as const, spec: WHEEL_SPEC };

  it('lists every source tried with its error, then one remedy', () => {
    const text = formatFailure([
      { source: official, error: new ProvisionError('network', 'cannot reach storage.googleapis.com (ENOTFOUND)') },
      { source: wheel, error: new ProvisionError('pip-no-package', 'pip found no tensorflow-cpu==2.21.0 wheel') },
    ], { logFile: '/temp.path/provision.log' });
    expect(text).toContain("1. tfjs-node's official libtensorflow download (https://storage.googleapis.com/x.tar.gz)");
    expect(text).toContain('-> cannot reach storage.googleapis.com (ENOTFOUND)');
    expect(text).toContain('2. the TensorFlow CPU wheel through pip (tensorflow-cpu==2.21.0)');
    expect(text).toContain('Full log: /temp.path/provision.log');
    expect(text.match(/What to do:/g)).toHaveLength(1);
    expect(text).toMatch(/What to do: Make pip reach an index that has tensorflow-cpu==2\.21\.0.*DUET_LIBTENSORFLOW/);
    expect(text).toContain('docs/install.md');
  });

  it('picks the remedy from what failed', () => {
    const user = { kind: 'user' as const, path: '/opt/tf' };
    expect(remedyFor([{ source: user, error: new ProvisionError('layout', 'x') }])).toMatch(/^Point DUET_LIBTENSORFLOW at a libtensorflow folder/);
    expect(remedyFor([{ source: wheel, error: new ProvisionError('toolchain', 'x') }])).toMatch(/C\+\+ toolchain/);
    expect(remedyFor([{ source: wheel, error: new ProvisionError('pip-missing', 'x') }])).toMatch(/Install python3 with pip/);
    expect(remedyFor([{ source: official, error: new ProvisionError('network', 'x') }])).toMatch(/^Set DUET_LIBTENSORFLOW/);
    expect(remedyFor([{ source: wheel, error: new ProvisionError('load', 'x') }])).toMatch(/^Set DUET_LIBTENSORFLOW/);
  });

  it('stops trying sources after a build failure, not after a download failure', () => {
    expect(shouldTryNext(new ProvisionError('network', 'x'))).toBe(true);
    expect(shouldTryNext(new ProvisionError('load', 'x'))).toBe(true);
    expect(shouldTryNext(new ProvisionError('build', 'x'))).toBe(false);
    expect(shouldTryNext(new ProvisionError('toolchain', 'x'))).toBe(false);
  });

  it('recognises a missing compiler and keeps the useful build lines', () => {
    const out = [
      "FileNotFoundError: [Errno 2] No such file or directory: '/nonexistent/g++'",
      'gyp ERR! configure error',
      'gyp ERR! stack Error: `gyp` failed with exit code: 1',
      'gyp ERR! stack at ChildProcess.<anonymous> (configure.js:317:18)',
      'gyp ERR! not ok',
    ].join('\n');
    expect(isToolchainFailure(out)).toBe(true);
    expect(isToolchainFailure('/bin/sh: 1: make: not found')).toBe(true);
    const compileError = '../binding/tfjs_backend.cc:20:10: fatal error: tensorflow/c/c_api.h: No such file or directory';
    expect(isToolchainFailure(compileError)).toBe(false);
    const summary = buildErrorSummary(`${out}\n${compileError}`);
    expect(summary).toContain('/nonexistent/g++');
    expect(summary).toContain('fatal error: tensorflow/c/c_api.h');
    expect(summary).not.toContain('ChildProcess');
  });
});
