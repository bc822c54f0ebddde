/**
 * distributed's configuration, with no process group: the cluster spec
 * checks (typed errors), TF_CONFIG ranks as TensorFlow gives them, and the
 * ServerDef bytes against protobuf's own (fixture from
 * test/distributed-golden/gen_distributed.py).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { distributed } from '@duet/core';

const golden: { server_defs: any[]; tf_config: any[]; samplers: any[] } = JSON.parse(readFileSync(new URL('./distributed-golden/distributed.json', import.meta.url), 'utf8'));
const { resolveConfig, parseTfConfig, encodeServerDef, ClusterSpecError, DistributedStateError } = distributed;

/** Protobuf wire format -> a canonical tree: message fields at the known paths decoded, entries sorted. */
const MESSAGES = new Set(['1', '1.1', '1.1.2', '4', '4.16']);
function decode(bytes: Uint8Array, path = ''): unknown[] {
  const out: [number, unknown][] = [];
  let i = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = bytes[i++]!;
      v += (b & 127) * mul;
      mul *= 128;
      if (b < 128) return v;
    }
  };
  while (i < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    const sub = path === '' ? String(field) : `${path}.${field}`;
    if (wire === 0) out.push([field, varint()]);
    else if (wire === 2) {
      const len = varint();
      const body = bytes.subarray(i, i + len);
      i += len;
      out.push([field, MESSAGES.has(sub) ? decode(body, sub) : Buffer.from(body).toString('utf8')]);
    } else throw new Error(`unexpected wire type ${wire} at ${sub}`);
  }
  return out.map((e) => JSON.stringify(e)).sort();
}
const fromHex = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

describe('ServerDef', () => {
  it.each(golden.server_defs.map((c: any): [string, number, any] => [c.cluster.join(','), c.rank, c]))('%s rank %i is the message TensorFlow serializes', (_c, _r, c: any) => {
    expect(decode(encodeServerDef(c.cluster, c.rank))).toEqual(decode(fromHex(c.hex)));
  });
});

describe('resolveConfig', () => {
  it('takes options, then DUET_CLUSTER / DUET_RANK', () => {
    expect(resolveConfig({ cluster: ['a:1', 'b:2'], rank: 1, timeoutMs: 5 }, {})).toEqual({ cluster: ['a:1', 'b:2'], rank: 1, timeoutMs: 5, source: 'options' });
    expect(resolveConfig({}, { DUET_CLUSTER: 'a:1, b:2', DUET_RANK: '0', DUET_TIMEOUT_MS: '900' })).toEqual({ cluster: ['a:1', 'b:2'], rank: 0, timeoutMs: 900, source: 'DUET_CLUSTER' });
    expect(resolveConfig({ rank: 1 }, { DUET_CLUSTER: 'a:1,b:2', DUET_RANK: '0' }).rank).toBe(1);
    expect(resolveConfig({}, { DUET_CLUSTER: 'a:1', DUET_RANK: '0' }).timeoutMs).toBe(distributed.DEFAULT_TIMEOUT_MS);
  });

  it.each(golden.tf_config.map((c: any): [string, any] => [JSON.stringify(c.tf_config.task), c]))('TF_CONFIG task %s gets TensorFlow\'s rank', (_t, c: any) => {
    const r = resolveConfig({}, { TF_CONFIG: JSON.stringify(c.tf_config) });
    expect(r.rank).toBe(c.rank);
    expect(r.source).toBe('TF_CONFIG');
    const { chief = [], worker = [] } = c.tf_config.cluster;
    expect(r.cluster).toEqual([...chief, ...worker]);
  });

  it.each([
    [{ cluster: ['localhost'], rank: 0 }, /host:port/],
    [{ cluster: ['localhost:0'], rank: 0 }, /port in 1\.\.65535/],
    [{ cluster: ['localhost:70000'], rank: 0 }, /received "localhost:70000"/],
    [{ cluster: ['a:1', 'a:1'], rank: 0 }, /both rank 0 and rank 1/],
    [{ cluster: [], rank: 0 }, /non-empty list/],
    [{ cluster: ['a:1', 'b:1'], rank: 2 }, /rank in 0\.\.1 .*received number 2/],
    [{ cluster: ['a:1', 'b:1'], rank: 0.5 }, /integer rank/],
    [{ cluster: ['a:1', 'b:1'] }, /no rank was given/],
    [{ cluster: ['a:1'], rank: 0, timeoutMs: -1 }, /positive number of milliseconds/],
    [{ cluster: [42 as unknown as string], rank: 0 }, /received number 42/],
  ])('%j is a ClusterSpecError', (options, message) => {
    expect(() => resolveConfig(options, {})).toThrow(ClusterSpecError);
    expect(() => resolveConfig(options, {})).toThrow(message);
  });

  it('says where a cluster comes from when none is given', () => {
    expect(() => resolveConfig({}, {})).toThrow(/DUET_CLUSTER .* TF_CONFIG/);
  });

  it.each([
    ['not json', /expected JSON/],
    [JSON.stringify({ cluster: { ps: ['p:1'], worker: ['w:1'] }, task: { type: 'worker', index: 0 } }), /job "ps" is not supported/],
    [JSON.stringify({ cluster: { worker: ['w:1'] }, task: { type: 'worker', index: 3 } }), /rank in 0\.\.0/],
    [JSON.stringify({ cluster: { worker: ['w:1'], evaluator: ['e:1'] }, task: { type: 'evaluator', index: 0 } }), /evaluator/],
    [JSON.stringify({ cluster: { chief: ['c:1', 'd:1'] }, task: { type: 'chief', index: 0 } }), /at most one chief/],
    [JSON.stringify({ task: { type: 'worker' } }), /"cluster" object/],
  ])('TF_CONFIG %s is a ClusterSpecError', (text, message) => {
    expect(() => parseTfConfig(text)).toThrow(ClusterSpecError);
    expect(() => parseTfConfig(text)).toThrow(message);
  });

  it('collectives before init() are a DistributedStateError', () => {
    expect(distributed.isInitialized()).toBe(false);
    expect(() => distributed.barrier()).toThrow(DistributedStateError);
    expect(() => distributed.getRank()).toThrow(/call distributed.init\(\) first/);
  });

  it('init() with a bad spec fails before starting anything', () => {
    expect(() => distributed.init({ cluster: ['nope'], rank: 0 })).toThrow(ClusterSpecError);
    expect(distributed.isInitialized()).toBe(false);
  });
});
