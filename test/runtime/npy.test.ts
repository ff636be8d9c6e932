import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DType } from '../../runtime/dtype.js';
import { KilnError } from '../../runtime/errors.js';
import { float16BitsToFloat32 } from '../../runtime/half.js';
import { loadNpy, parseNpy, saveNpy, serializeNpy } from '../../runtime/npy.js';
import { Tensor, tensorFrom } from '../../runtime/tensor.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
const latin1 = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/**
 * Build an .npy file by hand, the way the format spec describes it: magic, version, header length
 * (uint16 for 1.0, uint32 for 2.0/3.0), the header dict text padded with spaces to a 64-byte
 * boundary and ended by '\n', then the raw data. Independent of runtime/npy.ts's writer.
 */
function handMade(dict: string, data: number[], major = 1, pad = true): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  let header = dict;
  if (pad) {
    const total = Math.ceil((prefix + header.length + 1) / 64) * 64;
    header = header.padEnd(total - prefix - 1, ' ');
  }
  header += '\n';
  const len =
    major === 1
      ? [header.length & 0xff, header.length >> 8]
      : [header.length & 0xff, (header.length >> 8) & 0xff, 0, 0];
  return Uint8Array.from([0x93, ...latin1('NUMPY'), major, 0, ...len, ...latin1(header), ...data]);
}

/** Byte-exact files written by numpy 2.4.6's np.save (hex), with the values they hold. */
const NUMPY_FILES: { name: string; hex: string; dtype: DType; shape: number[]; values: unknown[] }[] = [
  {
    name: "np.array([[1.5,-2,3.25],[0,1,2]], '<f4')",
    hex: '934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000c03f000000c000005040000000000000803f00000040',
    dtype: 'float32',
    shape: [2, 3],
    values: [1.5, -2, 3.25, 0, 1, 2],
  },
  {
    name: "np.array(-9007199254740993, '<i8') (a 0-d array)",
    hex: '934e554d5059010076007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200affffffffffffdfff',
    dtype: 'int64',
    shape: [],
    values: [-9007199254740993n],
  },
  {
    name: 'np.array([True, False, True])',
    hex: '934e554d5059010076007b276465736372273a20277c6231272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a010001',
    dtype: 'bool',
    shape: [3],
    values: [1, 0, 1],
  },
  {
    name: "np.array([65504, 2**-24, -0.0, inf], '<f2')",
    hex: '934e554d5059010076007b276465736372273a20273c6632272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028342c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200aff7b01000080007c',
    dtype: 'float16',
    shape: [4],
    values: [65504, 2 ** -24, -0, Infinity],
  },
  {
    name: "np.array([2**64-1, 0], '<u8')",
    hex: '934e554d5059010076007b276465736372273a20273c7538272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200affffffffffffffff0000000000000000',
    dtype: 'uint64',
    shape: [2],
    values: [2n ** 64n - 1n, 0n],
  },
  {
    name: "np.zeros((0, 3), 'i1')",
    hex: '934e554d5059010076007b276465736372273a20277c6931272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028302c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a',
    dtype: 'int8',
    shape: [0, 3],
    values: [],
  },
];

function expectKiln(fn: () => unknown, pattern: RegExp): KilnError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a KilnError').toBeInstanceOf(KilnError);
  expect((caught as KilnError).message).toMatch(pattern);
  return caught as KilnError;
}

describe('parseNpy on files numpy wrote', () => {
  for (const f of NUMPY_FILES) {
    it(`reads ${f.name}`, () => {
      const t = parseNpy(hex(f.hex), 'x.npy');
      expect(t.dtype).toBe(f.dtype);
      expect(t.shape).toEqual(f.shape);
      expect(Array.from(t.data as ArrayLike<unknown>)).toEqual(f.values);
      if (f.dtype === 'float16') expect(Object.is(t.data[2], -0)).toBe(true);
    });
    it(`writes ${f.name} byte for byte as numpy does`, () => {
      const t = parseNpy(hex(f.hex));
      expect(Buffer.from(serializeNpy(t)).toString('hex')).toBe(f.hex);
    });
  }
});

describe('parseNpy on hand-made files', () => {
  it('reads a version 1.0 little-endian float32 matrix', () => {
    // 1.0, 2.5, -3.0, 0.0 as little-endian float32 bytes.
    const data = [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0x40, 0x00, 0x00, 0x40, 0xc0, 0, 0, 0, 0];
    const bytes = handMade("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", data);
    expect(bytes.length).toBe(128 + 16);
    const t = parseNpy(bytes, 'hand.npy');
    expect(t.dtype).toBe('float32');
    expect(t.shape).toEqual([2, 2]);
    expect([...t.data]).toEqual([1, 2.5, -3, 0]);
  });

  it('reads big-endian data of every width', () => {
    const cases: { descr: string; data: number[]; dtype: DType; values: unknown[] }[] = [
      { descr: '>f4', data: [0x3f, 0xc0, 0, 0, 0xc0, 0, 0, 0], dtype: 'float32', values: [1.5, -2] },
      {
        descr: '>f8',
        data: [0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xc0, 0x08, 0, 0, 0, 0, 0, 0],
        dtype: 'float64',
        values: [1, -3],
      },
      { descr: '>f2', data: [0x3c, 0x00, 0xfb, 0xff], dtype: 'float16', values: [1, -65504] },
      { descr: '>i2', data: [0x00, 0x01, 0xff, 0xfe], dtype: 'int16', values: [1, -2] },
      { descr: '>i4', data: [0x01, 0x02, 0x03, 0x04], dtype: 'int32', values: [0x01020304] },
      { descr: '>u2', data: [0xff, 0x00], dtype: 'uint16', values: [0xff00] },
      { descr: '>u4', data: [0xff, 0, 0, 1], dtype: 'uint32', values: [0xff000001] },
      {
        descr: '>i8',
        data: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0, 0, 1, 0, 0, 0, 0, 0],
        dtype: 'int64',
        values: [-2n, 2n ** 40n],
      },
      { descr: '>u8', data: [0x80, 0, 0, 0, 0, 0, 0, 1], dtype: 'uint64', values: [2n ** 63n + 1n] },
    ];
    for (const c of cases) {
      const n = c.values.length;
      const shape = `(${n},)`;
      const t = parseNpy(
        handMade(`{'descr': '${c.descr}', 'fortran_order': False, 'shape': ${shape}, }`, c.data),
      );
      expect(t.dtype, c.descr).toBe(c.dtype);
      expect(Array.from(t.data as ArrayLike<unknown>), c.descr).toEqual(c.values);
    }
  });

  it('reads 1-byte types with any byte-order mark and nonzero bools as true', () => {
    const i1 = parseNpy(
      handMade("{'descr': '<i1', 'fortran_order': False, 'shape': (3,), }", [0xff, 0x7f, 0x80]),
    );
    expect(i1.dtype).toBe('int8');
    expect([...i1.data]).toEqual([-1, 127, -128]);
    const u1 = parseNpy(handMade("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", [0xff, 3]));
    expect([...u1.data]).toEqual([255, 3]);
    const b1 = parseNpy(handMade("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", [0, 2, 255]));
    expect(b1.dtype).toBe('bool');
    expect([...b1.data]).toEqual([0, 1, 1]);
  });

  it('reads float16 subnormals, NaN and infinities from their bits', () => {
    const bits = [0x0001, 0x03ff, 0x0400, 0x7bff, 0xfc00, 0x7e00, 0x8000];
    const data = bits.flatMap((b) => [b & 0xff, b >> 8]);
    const t = parseNpy(handMade("{'descr': '<f2', 'fortran_order': False, 'shape': (7,), }", data));
    expect(t.dtype).toBe('float16');
    expect(t.data).toBeInstanceOf(Float32Array);
    const want = [2 ** -24, 1023 * 2 ** -24, 2 ** -14, 65504, -Infinity, NaN, -0];
    expect([...t.data]).toEqual(want);
    expect(Object.is(t.data[6], -0)).toBe(true);
    for (let i = 0; i < bits.length; i++) expect(t.data[i]).toEqual(float16BitsToFloat32(bits[i]!));
  });

  it('reads format versions 2.0 and 3.0 (uint32 header length, UTF-8 header)', () => {
    const dict = "{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }";
    for (const major of [2, 3]) {
      const t = parseNpy(handMade(dict, [1, 0, 0xff, 0xff], major));
      expect(t.dtype).toBe('uint16');
      expect([...t.data]).toEqual([1, 65535]);
    }
    // numpy 2.4.6, write_array(version=(3, 0)): same layout, header length 0x74 as uint32.
    const v3 = hex('934e554d505903007400000000');
    expect([...v3.subarray(0, 12)]).toEqual([...handMade(dict, [], 3).subarray(0, 12)]);
  });

  it('accepts the header variants older numpy and other writers produce', () => {
    const data = [1, 0, 0, 0, 2, 0, 0, 0];
    const variants = [
      // Python 2 numpy: long ints with an L suffix, 16-byte alignment, keys in another order.
      "{'descr': '<i4', 'fortran_order': False, 'shape': (2L,)}",
      '{"shape": (2,), "fortran_order": False, "descr": "<i4"}',
      "{'descr':'<i4','fortran_order':False,'shape':[2]}",
      "{'descr': '=i4', 'fortran_order': False, 'shape': (2,), }",
    ];
    for (const v of variants) {
      const t = parseNpy(handMade(v, data, 1, v.includes('"')), v);
      expect(t.dtype, v).toBe('int32');
      expect(t.shape, v).toEqual([2]);
      expect([...t.data], v).toEqual([1, 2]);
    }
  });
});

describe('serializeNpy / parseNpy round trips', () => {
  const values: Record<string, (number | bigint | boolean)[]> = {
    float32: [0, -0, 1.5, -3.4028234663852886e38, 1e-45, Infinity, -Infinity, NaN],
    float64: [0, -0, Math.PI, -1e308, 5e-324, Infinity, NaN, 1 / 3],
    float16: [0, -0, 65504, -65504, 2 ** -24, 2 ** -14, Infinity, NaN],
    int8: [-128, 127, 0, -1, 5, 6, 7, 8],
    int16: [-32768, 32767, 0, -1, 300, 6, 7, 8],
    int32: [-(2 ** 31), 2 ** 31 - 1, 0, -1, 70000, 6, 7, 8],
    int64: [-(2n ** 63n), 2n ** 63n - 1n, -9007199254740993n, 9007199254740993n, 0n, -1n, 7n, 8n],
    uint8: [0, 255, 1, 2, 3, 4, 5, 6],
    uint16: [0, 65535, 1, 2, 3, 4, 5, 6],
    uint32: [0, 2 ** 32 - 1, 1, 2, 3, 4, 5, 6],
    uint64: [0n, 2n ** 64n - 1n, 2n ** 63n, 2n ** 53n + 1n, 3n, 4n, 5n, 6n],
    bool: [true, false, true, true, false, false, true, false],
  };
  for (const [dtype, vals] of Object.entries(values)) {
    for (const shape of [[8], [2, 4], [2, 2, 2]]) {
      it(`${dtype} ${JSON.stringify(shape)}`, () => {
        const t = tensorFrom(dtype as DType, shape, vals);
        const bytes = serializeNpy(t);
        expect(bytes.length % 64).toBe(
          (t.size * (dtype.endsWith('64') ? 8 : dtype.endsWith('32') ? 4 : dtype.endsWith('16') ? 2 : 1)) %
            64,
        );
        const back = parseNpy(bytes);
        expect(back.dtype).toBe(dtype);
        expect(back.shape).toEqual(shape);
        expect(back.data.constructor).toBe(t.data.constructor);
        // Object.is semantics: -0 and NaN must survive exactly.
        expect(Array.from(back.data as ArrayLike<unknown>)).toEqual(Array.from(t.data as ArrayLike<unknown>));
        for (let i = 0; i < t.size; i++) expect(Object.is(back.data[i], t.data[i])).toBe(true);
      });
    }
  }

  it('round trips scalars and empty tensors', () => {
    for (const t of [
      tensorFrom('float64', [], [2.5]),
      tensorFrom('int32', [0], []),
      tensorFrom('float32', [3, 0, 2], []),
    ]) {
      const back = parseNpy(serializeNpy(t));
      expect(back.shape).toEqual(t.shape);
      expect([...back.data]).toEqual([...t.data]);
    }
  });

  it('writes version 2.0 when the header does not fit in 64 KiB', () => {
    const shape = new Array<number>(25000).fill(1);
    const t = tensorFrom('float32', shape, [4.25]);
    const bytes = serializeNpy(t);
    expect(bytes[6]).toBe(2);
    expect((12 + new DataView(bytes.buffer).getUint32(8, true)) % 64).toBe(0);
    const back = parseNpy(bytes);
    expect(back.shape).toEqual(shape);
    expect([...back.data]).toEqual([4.25]);
  });

  it('saves and loads files on disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-npy-'));
    try {
      const t = tensorFrom('int16', [2, 3], [1, -2, 3, -4, 5, -6]);
      saveNpy(join(dir, 'a.npy'), t);
      const back = loadNpy(join(dir, 'a.npy'));
      expect([...back.data]).toEqual([1, -2, 3, -4, 5, -6]);
      expectKiln(() => loadNpy(join(dir, 'missing.npy')), /missing\.npy.*cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses dtypes numpy has no form for', () => {
    expectKiln(() => serializeNpy(tensorFrom('bfloat16', [1], [1])), /cannot write a bfloat16/);
    expectKiln(() => serializeNpy(new Tensor('string', [1], ['a'])), /cannot write a string/);
  });
});

describe('parseNpy refuses bad input with a KilnError naming the file', () => {
  const good = handMade("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", new Array(16).fill(0));
  const bad = (dict: string, data: number[] = []) => handMade(dict, data);

  it('truncated files at every length', () => {
    for (let len = 0; len < good.length; len++) {
      const e = expectKiln(() => parseNpy(good.subarray(0, len), 'cut.npy'), /cut\.npy/);
      expect(e.message).toMatch(/too short|truncated|header says|data holds/);
    }
  });

  it('bad magic', () => {
    const b = good.slice();
    b[1] = 0x4f;
    expectKiln(() => parseNpy(b, 'm.npy'), /\[file m\.npy\] npy: bad magic string/);
    expectKiln(() => parseNpy(new TextEncoder().encode('not an npy file at all'), 'm.npy'), /bad magic/);
  });

  it('unsupported versions', () => {
    const b = good.slice();
    b[6] = 4;
    expectKiln(() => parseNpy(b, 'v.npy'), /v\.npy.*unsupported format version 4\.0/);
  });

  it('bad headers', () => {
    const cases: [string, RegExp][] = [
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), ", /unexpected end/],
      ["{'descr': '<f4', 'fortran_order': False}", /no 'shape'/],
      ["{'descr': '<f4', 'shape': (2, 2)}", /no 'fortran_order'/],
      ["{'fortran_order': False, 'shape': (2, 2)}", /no 'descr'/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2, -2), }", /invalid dimension -2/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2, 'x'), }", /invalid dimension "x"/],
      ["{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 2), }", /no 'fortran_order' True\/False/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), } junk", /trailing characters/],
      ["['descr', '<f4']", /not a dict/],
      ["{'descr: '<f4'}", /expected ':'/],
      ["{'descr': __import__('os'), }", /unexpected character/],
      ['(((((((((((((((((((((((((((((((((((((((((((((((((((', /nested too deeply/],
    ];
    for (const [dict, re] of cases) {
      const e = expectKiln(() => parseNpy(bad(dict, new Array(16).fill(0)), 'h.npy'), re);
      expect(e.message, dict).toMatch(/\[file h\.npy\] npy: bad header/);
      expect(e.message).toMatch(/expected: a dict like/);
    }
  });

  it('Fortran order and unsupported dtypes', () => {
    expectKiln(
      () =>
        parseNpy(
          bad("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new Array(16).fill(0)),
          'f.npy',
        ),
      /f\.npy.*Fortran-ordered arrays are not supported.*expected: fortran_order False/,
    );
    for (const descr of ['<c8', '<U3', '|O', '<M8[ns]', '<f16', 'f4', '<V4']) {
      expectKiln(
        () =>
          parseNpy(
            bad(`{'descr': '${descr}', 'fortran_order': False, 'shape': (1,), }`, [0, 0, 0, 0]),
            'd.npy',
          ),
        /d\.npy.*unsupported dtype/,
      );
    }
    expectKiln(
      () =>
        parseNpy(
          bad("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0]),
          's.npy',
        ),
      /structured arrays are not supported/,
    );
  });

  it('data length mismatches', () => {
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
    expectKiln(
      () => parseNpy(bad(dict, new Array(15).fill(0)), 'l.npy'),
      /l\.npy.*data holds 15 bytes but .* needs 16/,
    );
    expectKiln(() => parseNpy(bad(dict, new Array(17).fill(0)), 'l.npy'), /data holds 17 bytes/);
    expectKiln(() => parseNpy(bad(dict, []), 'l.npy'), /data holds 0 bytes/);
  });

  it('absurd shapes before allocating', () => {
    const e = expectKiln(
      () =>
        parseNpy(
          bad("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }", [0]),
          'big.npy',
        ),
      /big\.npy.*larger than the largest supported tensor/,
    );
    expect(e.context.expected).toMatch(/elements/);
    expectKiln(
      () =>
        parseNpy(
          bad("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }", [0]),
          'big.npy',
        ),
      /invalid dimension/,
    );
  });

  it('a header length that runs past the end of the file', () => {
    const b = good.slice(0, 40);
    expectKiln(() => parseNpy(b, 't.npy'), /t\.npy.*header says it is 118 bytes long/);
  });

  it('a version 3.0 header that is not UTF-8', () => {
    const b = handMade("{'descr': '<u1', 'fortran_order': False, 'shape': (1,), }", [7], 3);
    b[20] = 0xff;
    expectKiln(() => parseNpy(b, 'u.npy'), /u\.npy.*not valid UTF-8/);
  });
});
