/**
 * The restricted unpickler on hand-built opcode strings (the byte values are
 * Python's, from Lib/pickletools.py): data comes out, anything that would run
 * code or build objects is refused with the name it asked for.
 */
import { describe, expect, it } from 'vitest';
import { TorchFileError } from './errors.js';
import { unpickle, type PyValue } from './pickle.js';

const P = (...parts: (string | number[])[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)));
const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
const str = (s: string) => [0x58, ...u32(Buffer.byteLength(s)), ...Buffer.from(s)]; // BINUNICODE
const err = (bytes: Uint8Array): TorchFileError => {
  try {
    unpickle(bytes, 'x.pt');
  } catch (e) {
    expect(e).toBeInstanceOf(TorchFileError);
    return e as TorchFileError;
  }
  throw new Error('expected an error');
};

describe('unpickle: data', () => {
  it('dicts, lists, tuples, ints, floats, strings, bools, None, bytes', () => {
    // {'a': [1, -2, 300, 70000], 'b': (1.5, True, None), 'c': b'xy'}
    const v = unpickle(P([0x80, 2, 0x7d], str('a'), [0x5d, 0x28, 0x4b, 1, 0x4a, ...u32(-2), 0x4d, 44, 1, 0x4a, ...u32(70000), 0x65, 0x73],
      str('b'), [0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x88, 0x4e, 0x87, 0x73], str('c'), [0x43, 2], 'xy', [0x73, 0x2e]), 'x.pt') as Map<PyValue, PyValue>;
    expect(v.get('a')).toEqual([1, -2, 300, 70000]);
    expect(v.get('b')).toEqual([1.5, true, null]);
    expect(Object.isFrozen(v.get('b'))).toBe(true);
    expect(v.get('c')).toEqual(Uint8Array.from([0x78, 0x79]));
  });

  it('LONG1 of any sign and width; beyond 2^53 as bigint', () => {
    expect(unpickle(P([0x80, 2, 0x8a, 2, 0xff, 0x7f, 0x2e]), 'x')).toBe(32767);
    expect(unpickle(P([0x80, 2, 0x8a, 1, 0xff, 0x2e]), 'x')).toBe(-1);
    expect(unpickle(P([0x80, 2, 0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x2e]), 'x')).toBe(2n ** 64n);
  });

  it('memo, MEMOIZE and a list that contains itself', () => {
    // l = []; l.append(l)  -> EMPTY_LIST MEMOIZE BINGET 0 APPEND
    const l = unpickle(P([0x80, 4, 0x5d, 0x94, 0x68, 0, 0x61, 0x2e]), 'x') as PyValue[];
    expect(l[0]).toBe(l);
  });

  it('OrderedDict by REDUCE and by NEWOBJ, with the _metadata BUILD of state_dict()', () => {
    const od = [0x63, ...Buffer.from('collections\nOrderedDict\n')];
    expect(unpickle(P([0x80, 2], od, [0x29, 0x52, 0x2e]), 'x')).toEqual(new Map());
    expect(unpickle(P([0x80, 2], od, [0x29, 0x81, 0x2e]), 'x')).toEqual(new Map());
    expect(unpickle(P([0x80, 2], od, [0x29, 0x52, 0x7d], str('_metadata'), [0x7d, 0x73, 0x62, 0x2e]), 'x')).toEqual(new Map());
  });
});

describe('unpickle: refused', () => {
  it.each([
    ['GLOBAL builtins.getattr', P([0x80, 2, 0x63], 'builtins\ngetattr\n', [0x2e]), 'ERR_UNSAFE_PICKLE', "global 'builtins.getattr'"],
    ['GLOBAL torch.load (a torch name that is not a tensor builder)', P([0x80, 2, 0x63], 'torch\nload\n', [0x2e]), 'ERR_UNSAFE_PICKLE', "global 'torch.load'"],
    ['STACK_GLOBAL subprocess.Popen', P([0x80, 4, 0x8c, 10], 'subprocess', [0x8c, 5], 'Popen', [0x93, 0x2e]), 'ERR_UNSAFE_PICKLE', "global 'subprocess.Popen'"],
    ['a storage type as a value', P([0x80, 2, 0x63], 'torch\nFloatStorage\n', [0x85, 0x2e]), 'ERR_UNSAFE_PICKLE', "global 'torch.FloatStorage' as a value"],
    ['calling a storage type', P([0x80, 2, 0x63], 'torch\nFloatStorage\n', [0x29, 0x52, 0x2e]), 'ERR_UNSAFE_PICKLE', "calling 'torch.FloatStorage'"],
    ['NEWOBJ of a storage type', P([0x80, 2, 0x63], 'torch\nFloatStorage\n', [0x29, 0x81, 0x2e]), 'ERR_UNSAFE_PICKLE', "NEWOBJ of 'torch.FloatStorage'"],
    ['BUILD on a list', P([0x80, 2, 0x5d, 0x7d, 0x62, 0x2e]), 'ERR_UNSAFE_PICKLE', 'BUILD (setting attributes)'],
    ['EXT1', P([0x80, 2, 0x82, 1, 0x2e]), 'ERR_UNSAFE_PICKLE', 'extension-registry'],
    ['NEWOBJ_EX', P([0x80, 4, 0x92, 0x2e]), 'ERR_UNSAFE_PICKLE', 'NEWOBJ_EX'],
    ['a protocol-0 INT', P([0x80, 2], 'I1\n.'), 'ERR_PICKLE', "opcode 0x49 (\"I\")"],
    ['protocol 1', P([0x80, 1, 0x4e, 0x2e]), 'ERR_PICKLE', 'pickle protocol 1'],
    ['a string longer than the data', P([0x80, 2, 0x58, ...u32(1 << 30), 0x2e]), 'ERR_PICKLE', 'truncated'],
    ['no STOP', P([0x80, 2, 0x4e]), 'ERR_PICKLE', 'truncated'],
    ['values left at STOP', P([0x80, 2, 0x4e, 0x4e, 0x2e]), 'ERR_PICKLE', '1 values left on the stack'],
    ['POP past a MARK', P([0x80, 2, 0x4e, 0x28, 0x30, 0x2e]), 'ERR_PICKLE', 'pop from an empty stack'],
    ['lists nested 100000 deep', P([0x80, 2], Array(100_000).fill(0x5d), Array(99_999).fill(0x61), [0x2e]), 'ERR_PICKLE', 'nested deeper than 1000'],
    ['a persistent id that is not a storage', P([0x80, 2], str('os'), [0x85, 0x51, 0x2e]), 'ERR_PICKLE', "a persistent id that is not ('storage'"],
  ])('%s', (_name, bytes, code, message) => {
    const e = err(bytes);
    expect(e.code).toBe(code);
    expect(e.message).toContain(message);
    expect(e.message.startsWith('x.pt: data.pkl: ')).toBe(true);
  });
});
