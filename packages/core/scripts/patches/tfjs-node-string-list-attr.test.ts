/** The binding patch for list(string) op attributes (issue 8): applied in place, once, never through a hard link. */
import { describe, expect, it } from 'vitest';
import { existsSync, linkSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FIND, MARKER, REPLACE, patchStringListAttr } from './tfjs-node-string-list-attr.mjs';
import * as typeList from './tfjs-node-type-list-attr.mjs';
import { patchBindingSource } from '../provision-build.mjs';
import { useTempDir } from '../provision-fixtures.js';

const tmp = useTempDir();

/** tfjs-node's binding source as it ships (undoing the patches if this install already has them). */
function shippedSource(): string {
  const req = createRequire(new URL('../../package.json', import.meta.url));
  const pkgDir = dirname(req.resolve('@tensorflow/tfjs-node/package.json'));
  return readFileSync(join(pkgDir, 'binding', 'tfjs_backend.cc'), 'utf8').replace(REPLACE, FIND).replace(typeList.REPLACE, typeList.FIND);
}

describe('patchStringListAttr', () => {
  it('recognises the shipped tfjs-node source, patches it once, then reports it as patched', () => {
    const shipped = shippedSource();
    expect(shipped.includes(MARKER)).toBe(false);
    const first = patchStringListAttr(shipped);
    expect(first.status).toBe('patched');
    const text = first.status === 'patched' ? first.text : '';
    expect(text).toContain('TFE_OpSetAttrStringList');
    // Only the TF_ATTR_STRING case changed: removing the addition gives the original back.
    expect(text.replace(REPLACE, FIND)).toBe(shipped);
    expect(patchStringListAttr(text)).toEqual({ status: 'already' });
  });

  it('leaves an unknown source alone and says why', () => {
    const r = patchStringListAttr('void AssignOpAttr() {}');
    expect(r.status).toBe('unknown');
    expect(r.status === 'unknown' && r.reason).toMatch(/TF_ATTR_STRING/);
  });
});

describe('patchBindingSource', () => {
  it('replaces a hard-linked file instead of writing through the link (pnpm store)', () => {
    const shipped = shippedSource();
    const store = join(tmp.path, 'store.cc');
    writeFileSync(store, shipped);
    mkdirSync(join(tmp.path, 'pkg', 'binding'), { recursive: true });
    const file = join(tmp.path, 'pkg', 'binding', 'tfjs_backend.cc');
    linkSync(store, file);
    expect(patchBindingSource(join(tmp.path, 'pkg'))).toEqual({ status: 'patched' });
    expect(readFileSync(file, 'utf8')).toContain(MARKER);
    expect(readFileSync(file, 'utf8')).toContain(typeList.MARKER);
    expect(readFileSync(store, 'utf8')).toBe(shipped);
    expect(patchBindingSource(join(tmp.path, 'pkg'))).toEqual({ status: 'already' });
  });

  it('reports a missing source without throwing', () => {
    const r = patchBindingSource(join(tmp.path, 'nothing'));
    expect(r.status).toBe('unknown');
    expect(existsSync(join(tmp.path, 'nothing'))).toBe(false);
  });
});
