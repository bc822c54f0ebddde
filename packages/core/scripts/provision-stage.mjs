/**
 * The staging transaction that puts a libtensorflow tree into tfjs-node's
 * deps/ folder and builds the binding against it, so that no run ever leaves
 * a half-provisioned deps/ behind.
 *
 *   1. fill   : download/extract/copy into deps.duet-staging/ (next to deps/,
 *               same file system). Partial files only ever live here.
 *   2. check  : the staged tree must hold the libraries and the C headers.
 *   3. swap   : the old deps/ (if any) and the old binding move aside to
 *               deps.duet-previous/; the staging folder is renamed to deps/.
 *               binding.gyp and the binding's rpath ($ORIGIN/../../deps/lib)
 *               name deps/ literally, so the build has to happen in place;
 *               what lands there is a complete, checked tree.
 *   4. build  : node-pre-gyp / node-gyp compiles lib/napi-vN/tfjs_binding.node.
 *   5. verify : a child process loads it and runs an op.
 *   6. commit : deps/.duet-provenance.json records the source; the previous
 *               tree is deleted.
 * Any failure removes the staging folder, the new deps/ and the new binding
 * (and puts the previous ones back when asked to: they were known to work).
 * A crash mid-build leaves a complete deps/ without a binding: the next run's
 * load check fails and provisions again, first sweeping leftovers.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PREVIOUS_DIR, PROVENANCE_FILE, ProvisionError, STAGING_DIR, libTreeProblems } from './provision-lib.mjs';

const rmrf = (p) => rmSync(p, { recursive: true, force: true });

/** Removes what a crashed earlier run may have left next to deps/. */
export function sweepLeftovers(pkgDir) {
  rmrf(join(pkgDir, STAGING_DIR));
  rmrf(join(pkgDir, PREVIOUS_DIR));
}

/** Checks a staged lib/ + include/ tree on disk; throws ProvisionError('layout'). */
export function checkLibTree(root, platform = process.platform) {
  let libFiles = [];
  try {
    libFiles = readdirSync(join(root, 'lib'));
  } catch {
    libFiles = [];
  }
  const problems = libTreeProblems({
    libFiles,
    hasHeader: (rel) => existsSync(join(root, 'include', rel)),
    platform,
  });
  if (problems.length > 0) {
    throw new ProvisionError('layout', `The library is incomplete: ${problems.join('; ')}.`);
  }
}

/** The provenance record of deps/, or null when there is none (or it is unreadable). */
export function readProvenance(pkgDir) {
  try {
    return JSON.parse(readFileSync(join(pkgDir, 'deps', PROVENANCE_FILE), 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Runs the transaction described at the top of this file.
 * @param {{
 *   pkgDir: string,                     tfjs-node's folder (holds deps/)
 *   bindingFile: string,                absolute path of the compiled binding
 *   fill: (stagingDir: string) => Promise<object | void>,   may return provenance fields
 *   build: () => Promise<void>,
 *   verify: () => Promise<object>,      resolves with facts to record (e.g. tfVersion)
 *   restorePreviousOnFailure?: boolean, true when the previous deps/ + binding worked
 *   platform?: string,
 * }} opts
 * @returns {Promise<object>} the provenance record written into deps/
 */
export async function installStaged(opts) {
  const { pkgDir, bindingFile, fill, build, verify, restorePreviousOnFailure = false, platform = process.platform } = opts;
  const deps = join(pkgDir, 'deps');
  const staging = join(pkgDir, STAGING_DIR);
  const previous = join(pkgDir, PREVIOUS_DIR);
  const stashedBinding = join(previous, '.previous-binding.node');

  sweepLeftovers(pkgDir);
  mkdirSync(staging, { recursive: true });
  let swapped = false;
  let hasPrevious = false;
  try {
    const filled = (await fill(staging)) ?? {};
    checkLibTree(staging, platform);

    // Swap: move the previous deps/ and binding aside, then the staged tree in.
    if (existsSync(deps)) {
      renameSync(deps, previous);
      hasPrevious = true;
    }
    if (existsSync(bindingFile)) {
      if (hasPrevious) renameSync(bindingFile, stashedBinding);
      else rmrf(bindingFile);
    }
    renameSync(staging, deps);
    swapped = true;

    await build();
    if (!existsSync(bindingFile)) {
      throw new ProvisionError('build', `The build finished but produced no ${bindingFile}.`);
    }
    const verified = (await verify()) ?? {};

    const record = { ...filled, ...verified, provisionedAt: new Date().toISOString() };
    writeFileSync(join(deps, PROVENANCE_FILE), `${JSON.stringify(record, null, 2)}\n`);
    rmrf(previous);
    return record;
  } catch (err) {
    rmrf(staging);
    if (swapped) {
      rmrf(deps);
      rmrf(bindingFile);
    }
    if (hasPrevious) {
      if (restorePreviousOnFailure) {
        renameSync(previous, deps);
        const stashed = join(deps, '.previous-binding.node');
        if (existsSync(stashed)) {
          mkdirSync(dirname(bindingFile), { recursive: true });
          renameSync(stashed, bindingFile);
        }
      } else {
        rmrf(previous);
      }
    }
    throw err;
  }
}
