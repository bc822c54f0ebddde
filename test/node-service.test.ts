/** The packages build to ESM JavaScript that a plain `node service.mjs` can import. */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;

describe('built ESM packages', () => {
  it('load in plain Node without tsx', () => {
    execFileSync('pnpm', ['run', '--silent', 'build'], { cwd: root, stdio: 'pipe' });
    const out = execFileSync(process.execPath, ['examples/service-smoke.mjs'], { cwd: root, encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r.backend).toBe('tensorflow');
    expect(r.y).toEqual([[3], [7]]);
  });
});
