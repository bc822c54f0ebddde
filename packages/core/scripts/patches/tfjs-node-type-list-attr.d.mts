// Types for tfjs-node-type-list-attr.mjs (plain JavaScript, run by Node at install time).
export declare const MARKER: string;
export declare const FIND: string;
export declare const REPLACE: string;
export declare function patchTypeListAttr(
  source: string,
): { status: 'patched'; text: string } | { status: 'already' } | { status: 'unknown'; reason: string };
