/**
 * Downloads one file over HTTP(S) with Node's builtins: a short timeout to
 * reach the host and get an answer, an idle timeout while receiving,
 * redirects, HTTPS_PROXY / HTTP_PROXY (+ NO_PROXY) like tfjs-node's own
 * downloader, and progress callbacks. The body goes to `<dest>.part-<pid>`
 * and is renamed to `dest` only when complete, so a cache never holds a
 * truncated file under its real name.
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { ProvisionError } from './provision-lib.mjs';

/** The proxy URL to use for `url`, or undefined (NO_PROXY honoured). */
export function proxyFor(url, env = process.env) {
  const target = new URL(url);
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const host = target.hostname.toLowerCase();
  if (noProxy.some((p) => p === '*' || host === p.replace(/^\./, '') || host.endsWith(p.startsWith('.') ? p : `.${p}`))) return undefined;
  const proxy = target.protocol === 'https:'
    ? env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy
    : env.HTTP_PROXY ?? env.http_proxy;
  return proxy ? proxy : undefined;
}

/** Opens a TLS socket to target through an HTTP CONNECT proxy. */
function tunnel(proxyUrl, target, timeoutMs) {
  return new Promise((resolvePromise, reject) => {
    const proxy = new URL(proxyUrl);
    const port = target.port || 443;
    const headers = { host: `${target.hostname}:${port}` };
    if (proxy.username) {
      const auth = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
      headers['proxy-authorization'] = `Basic ${Buffer.from(auth).toString('base64')}`;
    }
    const req = http.request({
      host: proxy.hostname,
      port: proxy.port || 80,
      method: 'CONNECT',
      path: `${target.hostname}:${port}`,
      headers,
      timeout: timeoutMs,
    });
    req.on('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new ProvisionError('network', `proxy ${proxy.host} refused CONNECT to ${target.host}: HTTP ${res.statusCode}`));
        return;
      }
      resolvePromise(tls.connect({ socket, servername: target.hostname }));
    });
    req.on('timeout', () => req.destroy(new ProvisionError('network', `proxy ${proxy.host} did not answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Turns a socket/DNS error into a one-line ProvisionError. */
function networkError(err, url) {
  if (err instanceof ProvisionError) return err;
  const host = new URL(url).host;
  const code = err?.code ? ` (${err.code})` : '';
  return new ProvisionError('network', `cannot reach ${host}${code}: ${err?.message ?? err}`, { cause: err });
}

/** One GET; resolves with the response (status 2xx/3xx) or rejects. */
async function get(url, { connectTimeoutMs, env }) {
  const target = new URL(url);
  const proxy = proxyFor(url, env);
  const options = { method: 'GET', headers: { 'user-agent': 'duet-provision' } };
  let client = target.protocol === 'https:' ? https : http;
  let requestUrl = target;
  if (proxy && target.protocol === 'https:') {
    const socket = await tunnel(proxy, target, connectTimeoutMs).catch((e) => {
      throw networkError(e, url);
    });
    options.createConnection = () => socket;
    options.agent = false;
  } else if (proxy) {
    requestUrl = new URL(proxy);
    options.path = url; // absolute-form request line for a plain HTTP proxy
    client = http;
  }
  return new Promise((resolvePromise, reject) => {
    const req = client.request(requestUrl, options, (res) => {
      clearTimeout(timer);
      resolvePromise(res);
    });
    // One deadline for DNS + connect + the response headers.
    const timer = setTimeout(() => {
      req.destroy(new ProvisionError('network', `no answer from ${target.host} within ${Math.round(connectTimeoutMs / 1000)} s`));
    }, connectTimeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(networkError(e, url));
    });
    req.end();
  });
}

/**
 * Downloads `url` to `dest`.
 * @param {string} url
 * @param {string} dest final path; `<dest>.part-<pid>` while downloading
 * @param {{ connectTimeoutMs?: number, idleTimeoutMs?: number,
 *           onProgress?: (received: number, total: number | undefined) => void,
 *           env?: NodeJS.ProcessEnv }} [opts]
 * @returns {Promise<{ bytes: number, url: string }>} url: after redirects
 */
export async function downloadFile(url, dest, opts = {}) {
  const { connectTimeoutMs = 15_000, idleTimeoutMs = 60_000, onProgress, env = process.env } = opts;
  let current = url;
  let res;
  for (let hop = 0; ; hop++) {
    res = await get(current, { connectTimeoutMs, env });
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      if (hop >= 5) throw new ProvisionError('http', `too many redirects from ${url}`);
      current = new URL(res.headers.location, current).toString();
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw new ProvisionError('http', `GET ${current} answered HTTP ${status}`);
    }
    break;
  }

  const total = Number(res.headers['content-length']) || undefined;
  const part = `${dest}.part-${process.pid}`;
  let received = 0;
  try {
    await new Promise((resolvePromise, reject) => {
      const out = createWriteStream(part);
      res.setTimeout(idleTimeoutMs, () => {
        res.destroy(new ProvisionError('download', `download stalled: nothing received for ${Math.round(idleTimeoutMs / 1000)} s`));
      });
      res.on('data', (chunk) => {
        received += chunk.length;
        onProgress?.(received, total);
      });
      res.on('error', (e) => {
        out.destroy();
        reject(e instanceof ProvisionError ? e : new ProvisionError('download', `download of ${current} broke off: ${e.message}`));
      });
      res.on('close', () => {
        if (!res.complete) reject(new ProvisionError('download', `download of ${current} broke off after ${received} bytes`));
      });
      out.on('error', (e) => reject(new ProvisionError('download', `cannot write ${part}: ${e.message}`)));
      out.on('finish', resolvePromise);
      res.pipe(out);
    });
    if (total !== undefined && received !== total) {
      throw new ProvisionError('download', `download of ${current} is truncated: ${received} of ${total} bytes`);
    }
    renameSync(part, dest);
  } catch (err) {
    rmSync(part, { force: true });
    throw err;
  }
  return { bytes: received, url: current };
}
