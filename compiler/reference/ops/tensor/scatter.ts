/** ScatterElements, Scatter (its deprecated name) and ScatterND, with the opset 16/18 reductions. */
import { Tensor } from '../../../../runtime/tensor.js';
import { attrInt, attrString } from '../../../ir/attrs.js';
import type { Node } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { normalizeAxis, opError, requireInput, sameAsInput } from '../common.js';
import { checkIndex } from './gather.js';
import { copyData, forEachIndex, stridesOf } from './util.js';

type Num = number | bigint | string;
type Reduce = (old: Num, upd: Num) => Num;

/** The combine function for a reduction attribute (opset 16 added add/mul, 18 max/min). */
function reducer(node: Node, opset: number, dtype: string): Reduce {
  const r = opset >= 16 ? attrString(node, 'reduction', 'none') : 'none';
  const allowed = opset >= 18 ? ['none', 'add', 'mul', 'max', 'min'] : ['none', 'add', 'mul'];
  if (!allowed.includes(r)) throw opError(node, `unknown reduction '${r}'`, allowed.join(', '));
  if (r !== 'none' && dtype === 'string')
    throw opError(node, `reduction '${r}' on strings`, "reduction 'none'");
  const bool = dtype === 'bool';
  switch (r) {
    case 'add':
      return bool ? (a, b) => (a || b ? 1 : 0) : (a, b) => (a as number) + (b as number);
    case 'mul':
      return bool ? (a, b) => (a && b ? 1 : 0) : (a, b) => (a as number) * (b as number);
    case 'max':
      return (a, b) => (a >= b ? a : b);
    case 'min':
      return (a, b) => (a <= b ? a : b);
    default:
      return (_a, b) => b;
  }
}

function checkUpdates(node: Node, x: Tensor, upd: Tensor): void {
  if (upd.dtype !== x.dtype)
    throw opError(node, `updates dtype ${upd.dtype} != data dtype ${x.dtype}`, 'equal dtypes');
}

function requireIntIndices(node: Node, t: Tensor): void {
  if (t.dtype !== 'int64' && t.dtype !== 'int32')
    throw opError(node, `indices have dtype ${t.dtype}`, 'int32 or int64 indices');
}

function scatterElements(op: string, versions: [number, number]): OpDef {
  return {
    op,
    versions,
    run: (inputs, { node, opset }) => {
      const x = requireInput(node, inputs, 0, 'data');
      const ind = requireInput(node, inputs, 1, 'indices');
      const upd = requireInput(node, inputs, 2, 'updates');
      requireIntIndices(node, ind);
      checkUpdates(node, x, upd);
      if (ind.rank !== x.rank || upd.shape.join() !== ind.shape.join())
        throw opError(
          node,
          'indices/updates shapes do not match data rank',
          'updates shaped like indices, rank of data',
        );
      const axis = normalizeAxis(node, attrInt(node, 'axis', 0), x.rank);
      const red = reducer(node, opset, x.dtype);
      const out = copyData(x.data);
      const o = out as unknown as Num[];
      const strides = stridesOf(x.shape);
      const d = ind.data as ArrayLike<number | bigint>;
      const u = upd.data as ArrayLike<Num>;
      forEachIndex(ind.shape, (idx, k) => {
        let off = 0;
        for (let a = 0; a < idx.length; a++) {
          const v = a === axis ? checkIndex(node, Number(d[k]), x.shape[a]!) : idx[a]!;
          if (v >= x.shape[a]!) throw opError(node, `indices dim ${a} exceeds data dim ${x.shape[a]}`);
          off += v * strides[a]!;
        }
        o[off] = red(o[off]!, u[k]!);
      });
      return [new Tensor(x.dtype, x.shape, out)];
    },
    infer: sameAsInput(0),
  };
}

const ScatterND: OpDef = {
  op: 'ScatterND',
  versions: [11, 21],
  run: (inputs, { node, opset }) => {
    const x = requireInput(node, inputs, 0, 'data');
    const ind = requireInput(node, inputs, 1, 'indices');
    const upd = requireInput(node, inputs, 2, 'updates');
    requireIntIndices(node, ind);
    checkUpdates(node, x, upd);
    const k = ind.rank ? ind.shape[ind.rank - 1]! : 0;
    if (ind.rank < 1 || k > x.rank) throw opError(node, `indices last dim ${k} exceeds data rank ${x.rank}`);
    const expect = [...ind.shape.slice(0, -1), ...x.shape.slice(k)];
    if (upd.shape.join() !== expect.join())
      throw opError(node, `updates shape [${upd.shape.join(',')}]`, `[${expect.join(',')}]`);
    const red = reducer(node, opset, x.dtype);
    const out = copyData(x.data);
    const o = out as unknown as Num[];
    const strides = stridesOf(x.shape);
    const slice = x.shape.slice(k).reduce((p, v) => p * v, 1);
    const tuples = ind.shape.slice(0, -1).reduce((p, v) => p * v, 1);
    const d = ind.data as ArrayLike<number | bigint>;
    const u = upd.data as ArrayLike<Num>;
    for (let t = 0; t < tuples; t++) {
      let off = 0;
      for (let j = 0; j < k; j++) off += checkIndex(node, Number(d[t * k + j]), x.shape[j]!) * strides[j]!;
      for (let s = 0; s < slice; s++) o[off + s] = red(o[off + s]!, u[t * slice + s]!);
    }
    return [new Tensor(x.dtype, x.shape, out)];
  },
  infer: sameAsInput(0),
};

export const scatterOps: OpDef[] = [
  scatterElements('ScatterElements', [11, 21]),
  scatterElements('Scatter', [9, 10]),
  ScatterND,
];
