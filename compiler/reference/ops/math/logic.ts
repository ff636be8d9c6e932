/** Comparisons (to bool), boolean logic and Where, all with broadcasting. */
import type { DType } from '../../../../runtime/dtype.js';
import type { OpDef } from '../../op.js';
import { broadcastDims, requireInput, sameAsInput } from '../common.js';
import {
  BOOL,
  NUMERIC,
  binaryInferShape,
  checkDType,
  checkSameDType,
  inferDTypes,
  map1,
  mapN,
  sameTypeOperands,
  type Scalar,
} from './util.js';

/**
 * A binary op whose inputs share a type in `types` and whose output is bool. Opset 1-6 forms use the
 * legacy `broadcast`/`axis` attributes (handled by binaryOperands) where the op existed then.
 */
function boolBinary(
  op: string,
  versions: [number, number],
  types: readonly DType[],
  f: (a: Scalar, b: Scalar) => boolean,
): OpDef {
  return {
    op,
    versions,
    run: (inputs, { node, opset }) => {
      const [a, b] = sameTypeOperands(node, inputs, opset, types);
      return [mapN(node, [a, b], 'bool', f)];
    },
    infer: (ctx) => {
      const [a, b] = ctx.inputs;
      inferDTypes(ctx.node, [a, b], types);
      return [{ dtype: 'bool', shape: a && b ? binaryInferShape(ctx, a, b) : undefined }];
    },
  };
}

const EQUAL_TYPES: readonly DType[] = [...NUMERIC, 'bool', 'string'];

const notOp: OpDef = {
  op: 'Not',
  versions: [1, 21],
  run: (inputs, { node }) => {
    const x = requireInput(node, inputs, 0, 'X');
    checkDType(node, x.dtype, BOOL, 'X');
    return [map1(x, 'bool', (v) => !v)];
  },
  infer: (ctx) => {
    if (ctx.inputs[0]) checkDType(ctx.node, ctx.inputs[0].dtype, BOOL, 'X');
    return sameAsInput(0)(ctx);
  },
};

/** Where(condition, X, Y): X where condition else Y, for any element type (strings included). */
const whereOp: OpDef = {
  op: 'Where',
  versions: [9, 21],
  run: (inputs, { node }) => {
    const c = requireInput(node, inputs, 0, 'condition');
    const x = requireInput(node, inputs, 1, 'X');
    const y = requireInput(node, inputs, 2, 'Y');
    checkDType(node, c.dtype, BOOL, 'condition');
    checkSameDType(node, [x.dtype, y.dtype], 'X and Y');
    return [mapN(node, [c, x, y], x.dtype, (cv, xv, yv) => (cv ? xv : yv))];
  },
  infer: (ctx) => {
    const [c, x, y] = ctx.inputs;
    if (c) checkDType(ctx.node, c.dtype, BOOL, 'condition');
    checkSameDType(ctx.node, [x?.dtype, y?.dtype], 'X and Y');
    const dtype = x?.dtype ?? y?.dtype;
    return [dtype && { dtype, shape: broadcastDims(ctx, c?.shape, x?.shape, y?.shape) }];
  },
};

export const logicOps: OpDef[] = [
  boolBinary('Equal', [1, 21], EQUAL_TYPES, (a, b) => a === b),
  boolBinary('Greater', [1, 21], NUMERIC, (a, b) => a > b),
  boolBinary('GreaterOrEqual', [12, 21], NUMERIC, (a, b) => a >= b),
  boolBinary('Less', [1, 21], NUMERIC, (a, b) => a < b),
  boolBinary('LessOrEqual', [12, 21], NUMERIC, (a, b) => a <= b),
  boolBinary('And', [1, 21], BOOL, (a, b) => !!a && !!b),
  boolBinary('Or', [1, 21], BOOL, (a, b) => !!a || !!b),
  boolBinary('Xor', [1, 21], BOOL, (a, b) => !!a !== !!b),
  notOp,
  whereOp,
];
