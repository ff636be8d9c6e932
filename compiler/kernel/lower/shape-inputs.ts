import { KilnError } from '../../../runtime/errors.js';
import { shapeOperands } from '../../analysis/shape-operands.js';
import type { Node } from '../../ir/graph.js';

/**
 * Refuse a node whose shape-deciding input is not a compile-time constant. The wasm target is
 * shape-specialised, so such an input fed at run time is refused even when the model declares the
 * output shape, since a different feed would need different code (`kiln compile --bind` freezes it).
 */
export function checkShapeInputs(node: Node, isConstant: (v: string) => boolean): void {
  for (const [, what, v] of shapeOperands(node)) {
    if (!isConstant(v))
      throw new KilnError(`${what} ('${v}') is fed at run time but decides the output's shape`, {
        node: node.name,
        op: node.op,
        expected:
          'a constant (the wasm target compiles shape-specialised code; bind the graph input feeding it with kiln compile --bind NAME=FILE.npy)',
      });
  }
}
