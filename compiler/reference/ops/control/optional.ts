/**
 * Optional, OptionalHasElement, OptionalGetElement (opset 15-22). From opset 18 the latter two also
 * accept a plain tensor or sequence (taken as present), and OptionalHasElement an omitted input (absent).
 */
import { scalar } from '../../../../runtime/tensor.js';
import type { Attribute } from '../../../ir/graph.js';
import type { OpDef } from '../../op.js';
import { OptionalValue } from '../../value.js';
import { opError } from '../common.js';
import { kindOf } from './values.js';

/** Inference describes an optional by the type of its element. */
export const optionalOps: OpDef[] = [
  {
    op: 'Optional',
    versions: [15, 22],
    runValues: (inputs, { node }) => {
      const v = inputs[0];
      if (v instanceof OptionalValue) throw opError(node, 'input is an optional', 'a tensor or sequence');
      if (v !== undefined) return [new OptionalValue(v)];
      const type = node.attrs['type'] as Attribute | undefined;
      if (!type || type.type !== 'type_proto') {
        throw opError(
          node,
          'no input and no type attribute',
          'an input, or a type attribute for an empty optional',
        );
      }
      return [new OptionalValue(undefined, type.value.type?.dtype)];
    },
    infer: (ctx) => {
      const t = ctx.inputs[0];
      if (t) return [{ ...t }];
      const type = ctx.node.attrs['type'];
      return [type?.type === 'type_proto' && type.value.type ? { dtype: type.value.type.dtype } : undefined];
    },
  },
  {
    op: 'OptionalHasElement',
    versions: [15, 22],
    runValues: (inputs, { node, opset }) => {
      const v = inputs[0];
      if (v instanceof OptionalValue) return [scalar('bool', v.value !== undefined)];
      if (opset >= 18) return [scalar('bool', v !== undefined)];
      throw opError(node, `input is ${kindOf(v)}`, 'an optional (opset < 18)');
    },
    infer: () => [{ dtype: 'bool', shape: [] }],
  },
  {
    op: 'OptionalGetElement',
    versions: [15, 22],
    runValues: (inputs, { node, opset }) => {
      const v = inputs[0];
      if (v instanceof OptionalValue) {
        if (v.value === undefined)
          throw opError(node, 'the optional input is empty', 'an optional holding a value');
        return [v.value];
      }
      if (opset >= 18 && v !== undefined) return [v];
      throw opError(
        node,
        `input is ${kindOf(v)}`,
        opset >= 18 ? 'an optional, tensor or sequence' : 'an optional',
      );
    },
    infer: (ctx) => [ctx.inputs[0] ? { ...ctx.inputs[0] } : undefined],
  },
];
