/** The pure decisions of provision-ops.mjs: whether the staged engine can take Duet's kernels, and with which flags. */
import { describe, expect, it } from 'vitest';
import { opsCompileFlags, opsUnsupportedReason, opSources } from './provision-ops.mjs';
import { WHEEL_VERSION } from './provision-lib.mjs';

describe('opsUnsupportedReason', () => {
  it('accepts only the tensorflow-cpu wheel of the version the kernels are written for', () => {
    expect(opsUnsupportedReason({ source: 'wheel', tfVersion: WHEEL_VERSION })).toBeUndefined();
    expect(opsUnsupportedReason(undefined)).toMatch(/no provenance record/);
    expect(opsUnsupportedReason({ source: 'official', tfVersion: '2.9.1' })).toMatch(/came from 'official'.*C\+\+ headers/);
    expect(opsUnsupportedReason({ source: 'wheel', tfVersion: '2.20.0' })).toMatch(/is 2\.20\.0, the kernels are built for 2\.21\.0/);
  });
});

describe('opsCompileFlags', () => {
  it("uses TensorFlow's ABI flags, keeps float rounding (no contraction, no errno), and AVX2+FMA only where the CPU has both", () => {
    const base = opsCompileFlags({ cpuFlags: new Set(['avx']), arch: 'x64' });
    expect(base).toEqual(expect.arrayContaining(['-std=c++17', '-D_GLIBCXX_USE_CXX11_ABI=1', '-DEIGEN_MAX_ALIGN_BYTES=64', '-ffp-contract=off', '-fno-math-errno']));
    expect(base).not.toContain('-march=x86-64-v3');
    expect(opsCompileFlags({ cpuFlags: new Set(['avx2', 'fma']), arch: 'x64' })).toContain('-march=x86-64-v3');
    expect(opsCompileFlags({ cpuFlags: new Set(['avx2', 'fma']), arch: 'arm64' })).not.toContain('-march=x86-64-v3');
  });
});

describe('opSources', () => {
  it('lists the module entry and every kernel file of native/ops', () => {
    const files = opSources(new URL('..', import.meta.url).pathname).map((f) => f.slice(f.lastIndexOf('/') + 1));
    expect(files).toContain('module.cc');
    expect(files).toContain('adam.cc');
    expect(files).toEqual([...files].sort());
  });
});
