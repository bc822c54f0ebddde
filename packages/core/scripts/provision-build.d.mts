// Types for provision-build.mjs (plain JavaScript, run by Node at install time).
export declare function buildStdioAddon(
  coreDir: string,
  options?: { force?: boolean },
): Promise<{ ok: true; built: boolean } | { ok: false; error: string }>;
export declare function findNodedir(env?: NodeJS.ProcessEnv): string | undefined;
export declare function buildDistAddon(
  coreDir: string,
  pkgDir: string,
  options?: { force?: boolean },
): Promise<{ ok: true; built: boolean } | { ok: false; error: string }>;
export declare function patchBindingSource(pkgDir: string): { status: 'patched' | 'already' } | { status: 'unknown'; reason: string };
