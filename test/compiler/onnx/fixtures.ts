/** Small hand-made ONNX models for the import/export and fuzz tests. */
import { type OnnxNs, onnx } from '../../../compiler/onnx/proto.js';

export const T = onnx.AttributeProto.AttributeType;
export const f32 = (name: string, dims: number[], values: number[]) => ({
  name,
  dataType: 1,
  dims,
  floatData: values,
});
export const vi = (name: string, elemType: number, dims: (number | string | null)[]) => ({
  name,
  type: {
    tensorType: {
      elemType,
      shape: {
        dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : d === null ? {} : { dimParam: d })),
      },
    },
  },
});

/**
 * A model that uses every IR feature the importer knows: If subgraphs, every attribute type
 * (tensor, sparse tensor, graphs, type proto, ...), a model-local function with a ref attribute,
 * dense and sparse initializers of several dtypes, metadata, symbolic and unknown dims.
 */
export function featureModel(): OnnxNs.ModelProto {
  const branch = (name: string, value: number) => ({
    name,
    node: [
      {
        opType: 'Constant',
        output: [`${name}_out`],
        attribute: [{ name: 'value', type: T.TENSOR, t: f32('', [1], [value]) }],
      },
    ],
    output: [vi(`${name}_out`, 1, [1])],
  });
  return onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [
      { domain: '', version: 17 },
      { domain: 'com.example', version: 1 },
    ],
    producerName: 'hand',
    producerVersion: '0.1',
    domain: 'org.test',
    modelVersion: 3,
    docString: 'a model',
    metadataProps: [{ key: 'k', value: 'v' }],
    functions: [
      {
        name: 'Twice',
        domain: 'com.example',
        input: ['a'],
        output: ['b'],
        attribute: ['alpha'],
        opsetImport: [{ domain: '', version: 17 }],
        node: [
          { opType: 'Add', input: ['a', 'a'], output: ['s'] },
          {
            opType: 'LeakyRelu',
            input: ['s'],
            output: ['b'],
            attribute: [{ name: 'alpha', type: T.FLOAT, refAttrName: 'alpha' }],
          },
        ],
      },
    ],
    graph: {
      name: 'main',
      docString: 'the graph',
      input: [vi('x', 1, ['batch', 4]), vi('cond', 9, [])],
      output: [vi('y', 1, [null, 4]), vi('z', 1, [1])],
      valueInfo: [vi('t', 1, ['batch', null])],
      initializer: [
        f32('w', [4], [1, -0, NaN, 2 ** -149]),
        { name: 'i', dataType: 7, dims: [2], int64Data: [{ low: -1, high: -2097153 }, 5] },
        { name: 'h', dataType: 10, dims: [2], int32Data: [0x7bff, 0x0001] },
        {
          name: 's',
          dataType: 8,
          dims: [2],
          stringData: [new TextEncoder().encode('é'), new Uint8Array()],
        },
      ],
      sparseInitializer: [
        {
          values: { name: 'sp', dataType: 1, dims: [2], floatData: [3, 4] },
          indices: { dataType: 7, dims: [2], int64Data: [1, 5] },
          dims: [2, 3],
        },
      ],
      node: [
        { opType: 'Add', input: ['x', 'w'], output: ['t'], name: 'add', docString: 'adds' },
        {
          opType: 'Twice',
          domain: 'com.example',
          input: ['t'],
          output: ['y'],
          attribute: [{ name: 'alpha', type: T.FLOAT, f: 0.25 }],
        },
        {
          opType: 'If',
          input: ['cond'],
          output: ['z'],
          attribute: [
            { name: 'then_branch', type: T.GRAPH, g: branch('then', 1) },
            { name: 'else_branch', type: T.GRAPH, g: branch('else', -1) },
          ],
        },
        {
          opType: 'Custom',
          domain: 'com.example',
          input: ['x', ''],
          output: ['unused'],
          attribute: [
            { name: 'f', type: T.FLOAT, f: -0 },
            { name: 'i', type: T.INT, i: { low: 0, high: 0x100000 } },
            { name: 's', type: T.STRING, s: new TextEncoder().encode('日本') },
            { name: 'fs', type: T.FLOATS, floats: [1.5, NaN] },
            { name: 'is', type: T.INTS, ints: [-1, 7] },
            { name: 'ss', type: T.STRINGS, strings: [new TextEncoder().encode('a'), new Uint8Array()] },
            { name: 't', type: T.TENSOR, t: { dataType: 6, dims: [3], int32Data: [1, -2, 3] } },
            { name: 'ts', type: T.TENSORS, tensors: [{ dataType: 11, dims: [1], doubleData: [Math.E] }] },
            { name: 'gs', type: T.GRAPHS, graphs: [branch('g0', 2), branch('g1', 3)] },
            { name: 'tp', type: T.TYPE_PROTO, tp: vi('', 7, [2]).type },
            {
              name: 'sp',
              type: T.SPARSE_TENSOR,
              sparseTensor: {
                values: { dataType: 1, dims: [1], floatData: [9] },
                indices: { dataType: 7, dims: [1], int64Data: [2] },
                dims: [4],
              },
            },
          ],
        },
      ],
    },
  });
}

export function featureModelBytes(): Uint8Array {
  return onnx.ModelProto.encode(featureModel()).finish();
}
