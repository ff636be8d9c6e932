/**
 * Behaviour beyond the conformance data (opset 18/19 Resize features, Pad wrap/axes, Col2Im, Split
 * num_outputs, ScatterND max/min), checked against onnxruntime on random inputs.
 */
import { describe, expect, it } from 'vitest';
import type { Attribute } from '../../../../../compiler/ir/graph.js';
import type { Tensor } from '../../../../../runtime/tensor.js';
import { f32, float, i64, int, ints, iota, ortSingleNode, rand, runN, str, t, vals } from './helpers.js';

async function compare(
  op: string,
  inputs: (Tensor | undefined)[],
  attrs: Record<string, Attribute>,
  opset: number,
  nOut = 1,
  tol = 1e-5,
): Promise<void> {
  const ours = runN(op, inputs, attrs, opset, nOut);
  const ref = await ortSingleNode(op, inputs, attrs, opset, nOut);
  ref.forEach((r, k) => {
    const o = ours[k]!;
    expect([...o.shape], `output ${k} shape`).toEqual([...r.shape]);
    const a = vals(o);
    const b = vals(r);
    for (let i = 0; i < b.length; i++)
      if (!(Math.abs(a[i]! - b[i]!) <= tol * Math.max(1, Math.abs(b[i]!))))
        throw new Error(`output ${k} element ${i}: kiln ${a[i]}, onnxruntime ${b[i]}`);
  });
}

const img = f32([1, 2, 5, 7], rand(70, 7));

describe('Resize against onnxruntime', () => {
  const cases: [string, Record<string, Attribute>, number[] | null, number[] | null][] = [
    ['linear antialias downsample', { mode: str('linear'), antialias: int(1) }, [1, 1, 0.6, 0.45], null],
    ['cubic antialias downsample', { mode: str('cubic'), antialias: int(1) }, [1, 1, 0.5, 0.3], null],
    ['cubic antialias sizes', { mode: str('cubic'), antialias: int(1) }, null, [1, 2, 3, 2]],
    ['linear half_pixel upsample', { mode: str('linear') }, [1, 1, 2, 1.5], null],
    [
      'cubic exclude_outside',
      { mode: str('cubic'), exclude_outside: int(1), cubic_coeff_a: float(-0.5) },
      [1, 1, 1.7, 0.8],
      null,
    ],
    [
      'nearest not_larger',
      { mode: str('nearest'), keep_aspect_ratio_policy: str('not_larger'), axes: ints([2, 3]) },
      null,
      [8, 8],
    ],
    [
      'linear not_smaller',
      { mode: str('linear'), keep_aspect_ratio_policy: str('not_smaller'), axes: ints([2, 3]) },
      null,
      [3, 3],
    ],
    ['axes subset scales', { mode: str('linear'), axes: ints([3]) }, [2.5], null],
    [
      'half_pixel_symmetric',
      { mode: str('linear'), coordinate_transformation_mode: str('half_pixel_symmetric') },
      [1, 1, 1.3, 0.7],
      null,
    ],
    [
      'nearest ceil asymmetric',
      { mode: str('nearest'), coordinate_transformation_mode: str('asymmetric'), nearest_mode: str('ceil') },
      [1, 1, 1.5, 2],
      null,
    ],
    [
      'pytorch_half_pixel down',
      { mode: str('linear'), coordinate_transformation_mode: str('pytorch_half_pixel') },
      null,
      [1, 2, 3, 1],
    ],
  ];
  for (const [name, attrs, scales, sizes] of cases) {
    it(name, async () => {
      const inputs = [
        img,
        undefined,
        scales ? f32([scales.length], scales) : undefined,
        sizes ? i64(sizes) : undefined,
      ];
      await compare('Resize', inputs, attrs, 19);
    });
  }

  it('tf_crop_and_resize with extrapolation', async () => {
    const roi = f32([8], [0, 0, 0.2, -0.3, 1, 1, 1.1, 0.9]);
    const attrs = {
      mode: str('linear'),
      coordinate_transformation_mode: str('tf_crop_and_resize'),
      extrapolation_value: float(7),
    };
    await compare('Resize', [img, roi, undefined, i64([1, 2, 4, 6])], attrs, 19);
  });

  it('opset 10 nearest (down and up)', async () => {
    await compare('Resize', [img, f32([4], [1, 1, 0.6, 1.8])], { mode: str('nearest') }, 10);
    await compare('Resize', [img, f32([4], [1, 1, 2, 0.5])], { mode: str('linear') }, 10);
  });
});

describe('other ops against onnxruntime', () => {
  it('Pad wrap, reflect and edge with axes and negative pads (opset 19)', async () => {
    const x = f32([3, 4], iota(12));
    for (const mode of ['wrap', 'reflect', 'edge', 'constant']) {
      await compare('Pad', [x, i64([2, -1, 1, 2]), f32([], [9]), undefined], { mode: str(mode) }, 19);
      await compare('Pad', [x, i64([3, 2]), undefined, i64([-1])], { mode: str(mode) }, 19);
    }
  });

  it('Col2Im with strides, pads and dilations', async () => {
    const attrs = { strides: ints([1, 2]), pads: ints([1, 0, 1, 1]), dilations: ints([2, 1]) };
    // image 5x6, block 2x3: positions ((5+2-2-1)/1+1)=5, ((6+1-2-1)/2+1)=3 -> L = 15
    const x = f32([1, 2 * 6, 15], rand(180, 3));
    await compare('Col2Im', [x, i64([5, 6]), i64([2, 3])], attrs, 18);
  });

  it('Split num_outputs with an uneven last chunk', async () => {
    await compare('Split', [f32([7, 2], iota(14))], { num_outputs: int(3), axis: int(0) }, 18, 3);
  });

  it('ScatterND and ScatterElements max/min reductions', async () => {
    const data = f32([4, 3], rand(12, 5));
    const upd = f32([3, 3], rand(9, 9));
    for (const r of ['max', 'min', 'add', 'mul']) {
      await compare('ScatterND', [data, i64([1, 3, 1], [3, 1]), upd], { reduction: str(r) }, 18);
      await compare(
        'ScatterElements',
        [data, i64([0, 2, 1, 0, 0, 3, 3, 1, 2], [3, 3]), upd],
        { reduction: str(r), axis: int(0) },
        18,
      );
    }
  });

  it('GatherND with batch_dims and Gather with negative indices on int64 data', async () => {
    const data = t('int64', [2, 3, 4], iota(24));
    await compare(
      'GatherND',
      [data, i64([2, 1, 0, 3, 1, 1, 0, 0, 2, 3, 1, 2], [2, 3, 2])],
      { batch_dims: int(1) },
      13,
    );
    await compare('Gather', [data, i64([-1, 0, 1, -3], [2, 2])], { axis: int(1) }, 13);
  });

  it('Slice with negative steps and int64 extremes', async () => {
    const x = f32([5, 6], iota(30));
    const big = 2 ** 63;
    const starts = t('int64', [2], [-1n, BigInt(-big)]);
    const ends = t('int64', [2], [BigInt(-big), BigInt(big) - 1n]);
    await compare('Slice', [x, starts, ends, i64([0, 1]), i64([-2, 3])], {}, 13);
  });
});

/**
 * A sweep over mode × coordinate mode × nearest mode × antialias × exclude_outside on scales and sizes.
 * Scales (and sizes / input sizes) are dyadic so float32 (onnxruntime) and float64 (Kiln) coordinates agree on exact ties.
 * align_corners runs only where scale * length is integral: for other scales the conformance data
 * (generated by the ONNX reference) uses the fractional length and onnxruntime the integer one.
 */
describe('Resize sweep against onnxruntime', () => {
  const x = f32([1, 1, 4, 8], rand(32, 11));
  const coords = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'half_pixel_symmetric'];
  const targets: { scales?: number[]; sizes?: number[] }[] = [
    { scales: [1, 1, 0.75, 0.625] },
    { scales: [1, 1, 1.75, 2.5] },
    { scales: [1, 1, 0.5, 3] },
    { scales: [1, 1, 0.25, 0.25] },
    { scales: [1, 1, 0.625, 0.3125] },
    { sizes: [1, 1, 1, 1] },
    { sizes: [1, 1, 7, 3] },
    { sizes: [1, 1, 2, 9] },
  ];
  const integral = (s: number[]) => s.every((v, i) => Number.isInteger(v * x.shape[i]!));
  for (const mode of ['nearest', 'linear', 'cubic'])
    for (const cm of coords)
      it(`${mode} ${cm}`, async () => {
        const nearestModes =
          mode === 'nearest' ? ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] : [''];
        for (const nm of nearestModes)
          for (const aa of mode === 'nearest' ? [0] : [0, 1])
            for (const ex of mode === 'cubic' ? [0, 1] : [0])
              for (const { scales, sizes } of targets) {
                if (cm === 'align_corners' && scales && !integral(scales)) continue;
                const attrs: Record<string, Attribute> = {
                  mode: str(mode),
                  coordinate_transformation_mode: str(cm),
                  antialias: int(aa),
                  exclude_outside: int(ex),
                };
                if (nm) attrs.nearest_mode = str(nm);
                const inputs = [
                  x,
                  undefined,
                  scales ? f32([4], scales) : undefined,
                  sizes ? i64(sizes) : undefined,
                ];
                await compare('Resize', inputs, attrs, 19);
              }
      });
});

/** Seeded random configurations of the data-movement ops, each checked against onnxruntime. */
describe('random data-movement cases against onnxruntime', () => {
  let seed = 12345;
  const rnd = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const ri = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const randShape = (rank: number) => Array.from({ length: rank }, () => ri(1, 4));
  const randTensor = (shape: number[]) =>
    f32(
      shape,
      rand(
        shape.reduce((a, b) => a * b, 1),
        ri(1, 1000),
      ),
    );

  it('Slice', async () => {
    for (let k = 0; k < 40; k++) {
      const shape = randShape(ri(1, 4));
      const axes = shape.map((_, i) => i).filter(() => rnd() < 0.7);
      if (axes.length === 0) axes.push(0);
      const starts = axes.map((a) => ri(-shape[a]! - 2, shape[a]! + 2));
      const ends = axes.map((a) => ri(-shape[a]! - 2, shape[a]! + 2));
      const steps = axes.map(() => (rnd() < 0.5 ? -1 : 1) * ri(1, 3));
      const negAxes = axes.map((a) => (rnd() < 0.5 ? a - shape.length : a));
      await compare('Slice', [randTensor(shape), i64(starts), i64(ends), i64(negAxes), i64(steps)], {}, 13);
    }
  });

  it('Pad (constant, edge, reflect, wrap)', async () => {
    for (let k = 0; k < 40; k++) {
      const shape = randShape(ri(1, 3)).map((d) => d + 1);
      const mode = ['constant', 'edge', 'reflect', 'wrap'][ri(0, 3)]!;
      // onnxruntime limits reflect pads to dim - 1 and rejects crops in non-constant modes on small dims.
      const limit = (d: number) => (mode === 'reflect' ? d - 1 : mode === 'wrap' ? d : 3);
      const pads = [...shape, ...shape].map((d) => ri(mode === 'constant' ? -1 : 0, limit(d)));
      await compare('Pad', [randTensor(shape), i64(pads), f32([], [2.5])], { mode: str(mode) }, 19);
    }
  });

  it('Transpose, Tile, Expand, Gather, GatherElements', async () => {
    for (let k = 0; k < 25; k++) {
      const shape = randShape(ri(1, 4));
      const x = randTensor(shape);
      const perm = shape.map((_, i) => i).sort(() => rnd() - 0.5);
      await compare('Transpose', [x], { perm: ints(perm) }, 13);
      await compare('Tile', [x, i64(shape.map(() => ri(0, 3)))], {}, 13);
      const target = [
        ...Array.from({ length: ri(0, 2) }, () => ri(1, 3)),
        ...shape.map((d) => (d === 1 ? ri(1, 3) : rnd() < 0.5 ? 1 : d)),
      ];
      await compare('Expand', [x, i64(target)], {}, 13);
      const axis = ri(0, shape.length - 1);
      const d = shape[axis]!;
      const idx = Array.from({ length: 4 }, () => ri(-d, d - 1));
      await compare(
        'Gather',
        [x, i64(idx, [2, 2])],
        { axis: int(axis - (rnd() < 0.5 ? shape.length : 0)) },
        13,
      );
      const eshape = shape.map((s) => ri(1, s));
      const eidx = Array.from({ length: eshape.reduce((a, b) => a * b, 1) }, () => ri(-d, d - 1));
      await compare('GatherElements', [x, i64(eidx, eshape)], { axis: int(axis) }, 13);
    }
  });

  it('DepthToSpace, SpaceToDepth, ReverseSequence, Col2Im', async () => {
    for (let k = 0; k < 10; k++) {
      const b = ri(1, 3);
      const x = randTensor([ri(1, 2), b * b * ri(1, 2), ri(1, 3), ri(1, 3)]);
      for (const mode of ['DCR', 'CRD'])
        await compare('DepthToSpace', [x], { blocksize: int(b), mode: str(mode) }, 13);
      const y = randTensor([ri(1, 2), ri(1, 3), b * ri(1, 3), b * ri(1, 3)]);
      await compare('SpaceToDepth', [y], { blocksize: int(b) }, 13);
      const [tlen, batch] = [ri(1, 5), ri(1, 4)];
      const lens = Array.from({ length: batch }, () => ri(1, tlen));
      await compare('ReverseSequence', [randTensor([tlen, batch, 2]), i64(lens)], {}, 13);
      await compare(
        'ReverseSequence',
        [randTensor([batch, tlen]), i64(lens)],
        { batch_axis: int(0), time_axis: int(1) },
        13,
      );
      const img = [ri(3, 6), ri(3, 6)];
      const block = [ri(1, 3), ri(1, 3)];
      const strides = [ri(1, 2), ri(1, 2)];
      const dil = [ri(1, 2), ri(1, 2)];
      const pads = [ri(0, 1), ri(0, 1), ri(0, 1), ri(0, 1)];
      const L = [0, 1]
        .map(
          (i) =>
            Math.floor((img[i]! + pads[i]! + pads[i + 2]! - dil[i]! * (block[i]! - 1) - 1) / strides[i]!) + 1,
        )
        .reduce((a, c) => a * c, 1);
      const cols = randTensor([1, 2 * block[0]! * block[1]!, L]);
      const attrs = { strides: ints(strides), dilations: ints(dil), pads: ints(pads) };
      await compare('Col2Im', [cols, i64(img), i64(block)], attrs, 18);
    }
  });
});

/** Attribute forms of older opsets, as onnxruntime runs them. */
describe('older opset forms against onnxruntime', () => {
  const x = f32([2, 3, 4], rand(24, 21));
  it('Upsample 9 and Resize 10/11', async () => {
    const y = f32([1, 1, 2, 3], rand(6, 4));
    await compare('Upsample', [y, f32([4], [1, 1, 2, 3])], { mode: str('nearest') }, 9);
    await compare('Upsample', [y, f32([4], [1, 1, 2.5, 1.5])], { mode: str('linear') }, 9);
    await compare('Resize', [y, f32([0], []), f32([4], [1, 1, 1.5, 0.7])], { mode: str('linear') }, 11);
    const tfnn = { mode: str('nearest'), coordinate_transformation_mode: str('tf_half_pixel_for_nn') };
    await compare('Resize', [y, f32([0], []), f32([4], [1, 1, 2, 1.5])], tfnn, 11);
  });
  it('Pad 2, Slice 9, Squeeze/Unsqueeze 11, Split 11, Reshape 5, Tile 6', async () => {
    await compare('Pad', [x], { pads: ints([0, 1, 2, 0, 2, 1]), mode: str('edge') }, 2);
    await compare('Pad', [x], { pads: ints([1, 0, 0, 1, 0, 2]), value: float(3) }, 2);
    await compare('Slice', [x], { starts: ints([1, -3]), ends: ints([100, -1]), axes: ints([1, 2]) }, 9);
    await compare('Squeeze', [f32([1, 3, 1], [1, 2, 3])], { axes: ints([0]) }, 11);
    await compare('Unsqueeze', [x], { axes: ints([-1, 1]) }, 11);
    await compare('Split', [x], { split: ints([1, 3]), axis: int(-1) }, 11, 2);
    await compare('Split', [x], { axis: int(2) }, 11, 2);
    await compare('Reshape', [x, i64([0, -1, 2])], {}, 5);
    await compare('Tile', [x, i64([2, 1, 3])], {}, 6);
    await compare('DepthToSpace', [f32([1, 4, 2, 1], rand(8, 2))], { blocksize: int(2) }, 1);
  });
});
