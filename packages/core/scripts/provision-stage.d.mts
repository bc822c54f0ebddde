// Types for provision-stage.mjs (plain JavaScript, run by Node at install time).
export declare function sweepLeftovers(pkgDir: string): void;
export declare function checkLibTree(root: string, platform?: string): void;
export declare function readProvenance(pkgDir: string): Record<string, unknown> | null;
export declare function installStaged(opts: {
  pkgDir: string;
  bindingFile: string;
  fill: (stagingDir: string) => Promise<Record<string, unknown> | void>;
  build: () => Promise<void>;
  verify: () => Promise<Record<string, unknown>>;
  restorePreviousOnFailure?: boolean;
  platform?: string;
}): Promise<Record<string, unknown>>;
