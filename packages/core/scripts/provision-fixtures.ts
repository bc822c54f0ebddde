/** Test fixtures shared by the provisioning tests: a temp folder per test and a fake libtensorflow tree. */
import { afterEach, beforeEach } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temp folder for each test (removed after it); call at module level, read `.path` inside tests. */
export function useTempDir(): { path: string } {
  const dir = { path: '' };
  beforeEach(() => {
    dir.path = mkdtempSync(join(tmpdir(), 'duet-provision-'));
  });
  afterEach(() => {
    rmSync(dir.path, { recursive: true, force: true });
  });
  return dir;
}

/** Writes a minimal libtensorflow tree (wheel layout) under root. */
export function writeLibTree(root: string, marker = 'new'): void {
  mkdirSync(join(root, 'lib'), { recursive: true });
  mkdirSync(join(root, 'include', 'tensorflow', 'c', 'eager'), { recursive: true });
  writeFileSync(join(root, 'lib', 'libtensorflow_cc.so.2'), marker);
  writeFileSync(join(root, 'lib', 'libtensorflow_framework.so.2'), marker);
  writeFileSync(join(root, 'include', 'tensorflow', 'c', 'c_api.h'), '');
  writeFileSync(join(root, 'include', 'tensorflow', 'c', 'eager', 'c_api.h'), '');
}
