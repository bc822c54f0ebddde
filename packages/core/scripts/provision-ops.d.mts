// Types for provision-ops.mjs (plain JavaScript, run by Node at install time).
export declare function opsCompileFlags(options?: { cpuFlags?: Set<string>; arch?: string }): string[];
export declare function opSources(coreDir: string): string[];
export declare function opsUnsupportedReason(provenance: { source?: string; tfVersion?: string } | undefined): string | undefined;
export declare function buildOpsAddon(
  coreDir: string,
  pkgDir: string,
  options: { cacheDir: string; logFile?: string; force?: boolean },
): Promise<{ ok: true; built: boolean; ops?: string[]; seconds?: number } | { ok: false; error: string }>;
