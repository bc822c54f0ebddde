/**
 * docs/interop.md's TypeScript snippets, one per route, run as one program
 * against the committed fixtures (imports pointed at the sources), so the
 * guide cannot drift from the code.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('docs/interop.md', () => {
  it('runs its snippets: safetensors, sharded, torch.save, loadTorch', () => {
    const md = readFileSync(join(root, 'docs', 'interop.md'), 'utf8');
    const blocks = [...md.matchAll(/```ts[^\n]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const program = blocks
      .join('\n')
      .replaceAll("'@duet/nn'", `'${join(root, 'packages/nn/src/index.ts')}'`)
      .replaceAll("'@duet/core'", `'${join(root, 'packages/core/src/index.ts')}'`)
      // what the comments promise
      .concat("\nif (ckpt.epoch !== 3 || ckpt.model.w.shape.join() !== '2,2') throw new Error('docs/interop.md: ckpt differs');\nconsole.log('ok', Object.keys(sd).length);\n");
    const file = join(mkdtempSync(join(tmpdir(), 'duet-docs-')), 'interop-snippets.mts');
    writeFileSync(file, program);
    const out = execFileSync('pnpm', ['exec', 'tsx', '--conditions=source', file], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out.trim()).toBe('ok 4');
  });
});
