/**
 * The one way the binding patches (tfjs-node-*-attr.mjs) edit a source file:
 * replace `find`, which must occur exactly once, by `replace`, unless
 * `marker` shows the patch is already in.
 * @param {string} source the file's text
 * @param {{ marker: string, find: string, replace: string, what: string }} patch `what` names the code `find` is, for the reasons
 * @returns {{ status: 'patched', text: string } | { status: 'already' } | { status: 'unknown', reason: string }}
 */
export function patchOnce(source, { marker, find, replace, what }) {
  if (source.includes(marker)) return { status: 'already' };
  const at = source.indexOf(find);
  if (at < 0) return { status: 'unknown', reason: `${what} of AssignOpAttr is not the one tfjs-node 4.22 ships` };
  if (source.indexOf(find, at + 1) >= 0) return { status: 'unknown', reason: `${what} occurs twice` };
  return { status: 'patched', text: source.slice(0, at) + replace + source.slice(at + find.length) };
}
