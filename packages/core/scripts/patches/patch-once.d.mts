// Types for patch-once.mjs (plain JavaScript, run by Node at install time).
export declare function patchOnce(
  source: string,
  patch: { marker: string; find: string; replace: string; what: string },
): { status: 'patched'; text: string } | { status: 'already' } | { status: 'unknown'; reason: string };
