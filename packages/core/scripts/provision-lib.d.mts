// Types for provision-lib.mjs (plain JavaScript, run by Node at install time).
export declare const WHEEL_NAME: string;
export declare const WHEEL_VERSION: string;
export declare const WHEEL_SPEC: string;
export declare const WHEEL_FILE_PREFIX: string;
export declare const WHEEL_MEMBERS: string[];
export declare const REQUIRED_HEADERS: string[];
export declare const STAGING_DIR: string;
export declare const PREVIOUS_DIR: string;
export declare const PROVENANCE_FILE: string;

export type ErrorKind =
  | 'not-found' | 'layout' | 'network' | 'http' | 'download' | 'extract' | 'pip-missing' | 'pip-no-package'
  | 'pip-failed' | 'toolchain' | 'build' | 'load' | 'not-installed' | 'unsupported' | 'gpu';

export declare class ProvisionError extends Error {
  constructor(kind: ErrorKind, message: string, extra?: { detail?: string; cause?: unknown });
  kind: ErrorKind;
  detail: string | undefined;
}

export type Env = Record<string, string | undefined>;
export type Source =
  | { kind: 'existing' }
  | { kind: 'user'; path: string }
  | { kind: 'official'; url?: string }
  | { kind: 'wheel'; spec: string };
export interface Probe { ok: boolean; error?: string; tfVersion?: string }
export interface Attempt { source: Source; error: unknown }

export declare function isTruthy(value: string | undefined): boolean;
export declare function deviceFromEnv(env: Env): { device: 'cpu' | 'gpu'; warning?: string };
export declare function planSources(input: { env: Env; platform: string; arch: string }): Source[];
export declare function describeSource(source: Source): string;
export declare function decideExisting(input: {
  probe: Probe;
  provenance?: { source?: string; path?: string } | null;
  userLibrary?: string;
}): { action: 'done' | 'provision'; reason: string };
export declare function describeUserLibrary(
  rawPath: string | undefined,
  opts?: { cwd?: string; stat?: (p: string) => { isDirectory(): boolean; isFile(): boolean } },
): { type: 'dir' | 'tar.gz'; path: string };
export declare function libTreeProblems(tree: { libFiles: string[]; hasHeader: (rel: string) => boolean; platform: string }): string[];
export declare function libLinkPlan(libFiles: string[], opts: { platform: string; tfjsLibVersion?: string }): Array<{ name: string; target: string }>;
export declare function officialLibUrl(input: {
  env: Env; platform: string; arch: string; version?: string; customTFLibUri?: string; libType?: 'cpu' | 'gpu';
}): string | null;
export declare function pickNapiVersion(napiVersions: number[] | undefined, nodeNapi: string | number): number | undefined;
export declare function bindingRelPath(pkgJson: { binary?: Record<string, unknown> }, nodeNapi: string | number): string;
export declare function cacheDirFor(env: Env, home: string): string;
export declare function shouldTryNext(error: unknown): boolean;
export declare function isToolchainFailure(output: string): boolean;
export declare function buildErrorSummary(output: string, max?: number): string;
export declare function remedyFor(attempts: Attempt[]): string;
export declare function formatFailure(attempts: Attempt[], ctx?: { packageName?: string; logFile?: string }): string;
export declare function formatBytes(n: number): string;
export declare function formatDuration(ms: number): string;
