/**
 * Tests of the staging transaction that fills tfjs-node's deps/ (and of the
 * downloader's temp-then-rename rule). The build and the load check are
 * injected as functions; the download test talks to a loopback server.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PREVIOUS_DIR, PROVENANCE_FILE, ProvisionError, STAGING_DIR } from './provision-lib.mjs';
import { checkLibTree, installStaged, readProvenance, sweepLeftovers } from './provision-stage.mjs';
import { downloadFile, proxyFor } from './provision-download.mjs';
import { useTempDir, writeLibTree } from './provision-fixtures.js';

const temp = useTempDir();

describe('installStaged: no half-provisioned deps/', () => {
  let pkgDir: string;
  let bindingFile: string;
  beforeEach(() => {
    pkgDir = join(temp.path, 'tfjs-node');
    bindingFile = join(pkgDir, 'lib', 'napi-v8', 'tfjs_binding.node');
    mkdirSync(pkgDir, { recursive: true });
  });
  const fakeBuild = async () => {
    mkdirSync(join(pkgDir, 'lib', 'napi-v8'), { recursive: true });
    writeFileSync(bindingFile, 'binding');
  };
  const leftovers = () => readdirSync(pkgDir).filter((n) => n.startsWith('deps'));

  it('swaps a checked tree into deps/, builds, verifies and records the source', async () => {
    let depsAtBuild: string[] = [];
    const record = await installStaged({
      pkgDir,
      bindingFile,
      fill: async (staging) => {
        expect(staging).toBe(join(pkgDir, STAGING_DIR));
        writeLibTree(staging);
        return { source: 'wheel' };
      },
      build: async () => {
        depsAtBuild = readdirSync(join(pkgDir, 'deps', 'lib'));
        await fakeBuild();
      },
      verify: async () => ({ tfVersion: '2.21.0' }),
    });
    expect(depsAtBuild).toContain('libtensorflow_cc.so.2');
    expect(record).toMatchObject({ source: 'wheel', tfVersion: '2.21.0' });
    expect(leftovers()).toEqual(['deps']);
    expect(readProvenance(pkgDir)).toMatchObject({ source: 'wheel', tfVersion: '2.21.0' });
  });

  it('leaves no deps/, staging or binding when the build fails', async () => {
    await expect(installStaged({
      pkgDir,
      bindingFile,
      fill: async (s) => writeLibTree(s),
      build: async () => {
        mkdirSync(join(pkgDir, 'lib', 'napi-v8'), { recursive: true });
        writeFileSync(bindingFile, 'half');
        throw new ProvisionError('build', 'compile failed');
      },
      verify: async () => ({}),
    })).rejects.toThrow('compile failed');
    expect(leftovers()).toEqual([]);
    expect(existsSync(bindingFile)).toBe(false);
  });

  it('leaves no deps/ when the built binding does not load', async () => {
    await expect(installStaged({
      pkgDir, bindingFile, fill: async (s) => writeLibTree(s), build: fakeBuild,
      verify: async () => {
        throw new ProvisionError('load', 'undefined symbol: TF_Foo');
      },
    })).rejects.toThrow('undefined symbol');
    expect(leftovers()).toEqual([]);
    expect(existsSync(bindingFile)).toBe(false);
  });

  it('fails before touching deps/ when the staged tree is incomplete, and removes the staging folder', async () => {
    writeLibTree(join(pkgDir, 'deps'), 'old');
    let built = false;
    const err = await installStaged({
      pkgDir,
      bindingFile,
      fill: async (s) => {
        mkdirSync(join(s, 'lib'), { recursive: true });
        writeFileSync(join(s, 'lib', 'libtensorflow_cc.so.2'), 'partial');
      },
      build: async () => {
        built = true;
      },
      verify: async () => ({}),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProvisionError);
    expect((err as ProvisionError).kind).toBe('layout');
    expect(built).toBe(false);
    expect(leftovers()).toEqual(['deps']);
    expect(readFileSync(join(pkgDir, 'deps', 'lib', 'libtensorflow_cc.so.2'), 'utf8')).toBe('old');
  });

  it('removes a previous deps/ that did not work when the new one fails too', async () => {
    writeLibTree(join(pkgDir, 'deps'), 'old');
    await expect(installStaged({
      pkgDir, bindingFile, fill: async (s) => writeLibTree(s),
      build: async () => {
        throw new ProvisionError('build', 'nope');
      },
      verify: async () => ({}),
    })).rejects.toThrow('nope');
    expect(leftovers()).toEqual([]);
  });

  it('puts back a previous deps/ and binding that worked when asked to', async () => {
    writeLibTree(join(pkgDir, 'deps'), 'old');
    await fakeBuild();
    writeFileSync(bindingFile, 'old binding');
    await expect(installStaged({
      pkgDir, bindingFile, fill: async (s) => writeLibTree(s), build: fakeBuild,
      verify: async () => {
        throw new ProvisionError('load', 'does not load');
      },
      restorePreviousOnFailure: true,
    })).rejects.toThrow('does not load');
    expect(leftovers()).toEqual(['deps']);
    expect(readFileSync(join(pkgDir, 'deps', 'lib', 'libtensorflow_cc.so.2'), 'utf8')).toBe('old');
    expect(readFileSync(bindingFile, 'utf8')).toBe('old binding');
  });

  it('replaces a previous deps/ on success and sweeps a crashed run\'s leftovers first', async () => {
    writeLibTree(join(pkgDir, 'deps'), 'old');
    mkdirSync(join(pkgDir, STAGING_DIR, 'lib'), { recursive: true });
    mkdirSync(join(pkgDir, PREVIOUS_DIR), { recursive: true });
    await installStaged({
      pkgDir, bindingFile, fill: async (s) => writeLibTree(s, 'new'), build: fakeBuild, verify: async () => ({ tfVersion: 'x' }),
    });
    expect(leftovers()).toEqual(['deps']);
    expect(readFileSync(join(pkgDir, 'deps', 'lib', 'libtensorflow_cc.so.2'), 'utf8')).toBe('new');
    expect(existsSync(join(pkgDir, 'deps', PROVENANCE_FILE))).toBe(true);
  });

  it('checkLibTree and sweepLeftovers work on disk', () => {
    writeLibTree(join(temp.path, 'good'));
    expect(() => checkLibTree(join(temp.path, 'good'), 'linux')).not.toThrow();
    expect(() => checkLibTree(join(temp.path, 'missing'), 'linux')).toThrow(/incomplete/);
    mkdirSync(join(pkgDir, STAGING_DIR));
    sweepLeftovers(pkgDir);
    expect(leftovers()).toEqual([]);
  });
});

describe('downloadFile (loopback server)', () => {
  it('never leaves a truncated file under the final name', async () => {
    const server = http.createServer((req, res) => {
      if (req.url === '/ok') {
        res.writeHead(200, { 'content-length': 5 });
        res.end('hello');
      } else {
        res.writeHead(200, { 'content-length': 1000 });
        res.write('partial');
        setTimeout(() => res.socket?.destroy(), 20);
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const ok = await downloadFile(`${base}/ok`, join(temp.path, 'ok.bin'), { env: {} });
      expect(ok.bytes).toBe(5);
      expect(readFileSync(join(temp.path, 'ok.bin'), 'utf8')).toBe('hello');
      const err = await downloadFile(`${base}/cut`, join(temp.path, 'cut.bin'), { env: {} }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProvisionError);
      expect(readdirSync(temp.path).filter((n) => n.startsWith('cut'))).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('honours NO_PROXY', () => {
    expect(proxyFor('https://a.example.com/x', { HTTPS_PROXY: 'http://p:1' })).toBe('http://p:1');
    expect(proxyFor('https://a.example.com/x', { HTTPS_PROXY: 'http://p:1', NO_PROXY: '.example.com' })).toBeUndefined();
    expect(proxyFor('http://localhost/x', { HTTP_PROXY: 'http://p:1', no_proxy: 'localhost' })).toBeUndefined();
  });
});
