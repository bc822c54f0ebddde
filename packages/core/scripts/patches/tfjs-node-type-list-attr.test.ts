/** The binding patch for list(type) op attributes (issue 9): applied in place, once, beside the list(string) one. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FIND, MARKER, REPLACE, patchTypeListAttr } from './tfjs-node-type-list-attr.mjs';
import * as stringList from './tfjs-node-string-list-attr.mjs';

/** tfjs-node's binding source as it ships (undoing both patches if this install already has them). */
function shippedSource(): string {
  const req = createRequire(new URL('../../package.json', import.meta.url));
  const pkgDir = dirname(req.resolve('@tensorflow/tfjs-node/package.json'));
  return readFileSync(join(pkgDir, 'binding', 'tfjs_backend.cc'), 'utf8').replace(REPLACE, FIND).replace(stringList.REPLACE, stringList.FIND);
}

describe('patchTypeListAttr', () => {
  it('recognises the shipped tfjs-node source (with or without the list(string) patch), patches it once, then reports it as patched', () => {
    const shipped = shippedSource();
    expect(shipped.includes(MARKER)).toBe(false);
    for (const source of [shipped, (stringList.patchStringListAttr(shipped) as { text: string }).text]) {
      const first = patchTypeListAttr(source);
      expect(first.status).toBe('patched');
      const text = first.status === 'patched' ? first.text : '';
      expect(text).toContain('TFE_OpSetAttrTypeList');
      // Only the TF_ATTR_TYPE case changed: removing the addition gives the original back.
      expect(text.replace(REPLACE, FIND)).toBe(source);
      expect(patchTypeListAttr(text)).toEqual({ status: 'already' });
    }
  });

  it('leaves an unknown source alone and says why', () => {
    const r = patchTypeListAttr('void AssignOpAttr() {}');
    expect(r.status).toBe('unknown');
    expect(r.status === 'unknown' && r.reason).toMatch(/TF_ATTR_TYPE/);
  });
});
