/**
 * NonMaxSuppression (opset 10/11): per batch and class, greedily keep the highest-scoring boxes whose
 * IoU with every kept box is at most iou_threshold. Scores must exceed score_threshold (when given);
 * equal scores keep the lower box index first; boxes of zero area never suppress.
 */
import { Tensor, toNumbers } from '../../../../runtime/tensor.js';
import { attrInt } from '../../../ir/attrs.js';
import type { OpDef } from '../../op.js';
import { opError, requireInput } from '../common.js';
import { scalarInput } from './util.js';

/** [xmin, ymin, xmax, ymax] of a box in either encoding. */
function corners(b: ArrayLike<number>, o: number, centerPoint: boolean): [number, number, number, number] {
  if (centerPoint) {
    const [cx, cy, w, h] = [b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!];
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
  }
  // [y1, x1, y2, x2] with either corner order
  const [y1, x1, y2, x2] = [b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!];
  return [Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2)];
}

function suppresses(a: number[], b: number[], threshold: number): boolean {
  const iw = Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!);
  const ih = Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!);
  if (iw <= 0 || ih <= 0) return false;
  const inter = iw * ih;
  const areaA = (a[2]! - a[0]!) * (a[3]! - a[1]!);
  const areaB = (b[2]! - b[0]!) * (b[3]! - b[1]!);
  const union = areaA + areaB - inter;
  if (areaA <= 0 || areaB <= 0 || union <= 0) return false;
  return inter / union > threshold;
}

export const nmsOps: OpDef[] = [
  {
    op: 'NonMaxSuppression',
    versions: [10, 21],
    run: (inputs, { node }) => {
      const boxes = requireInput(node, inputs, 0, 'boxes');
      const scores = requireInput(node, inputs, 1, 'scores');
      if (boxes.rank !== 3 || boxes.shape[2] !== 4)
        throw opError(node, `boxes shape [${boxes.shape.join(',')}]`, '[num_batches, spatial_dimension, 4]');
      const [B, N] = boxes.shape as [number, number];
      if (scores.rank !== 3 || scores.shape[0] !== B || scores.shape[2] !== N)
        throw opError(
          node,
          `scores shape [${scores.shape.join(',')}] does not match boxes`,
          `[${B}, num_classes, ${N}]`,
        );
      const C = scores.shape[1]!;
      const opt = (i: number, what: string) =>
        inputs[i] && inputs[i].size > 0 ? scalarInput(node, inputs[i], what) : undefined;
      const maxOut = Math.max(opt(2, 'max_output_boxes_per_class') ?? 0, 0);
      const iou = opt(3, 'iou_threshold') ?? 0;
      const scoreThreshold = opt(4, 'score_threshold');
      if (!(iou >= 0 && iou <= 1)) throw opError(node, `iou_threshold ${iou} is out of range`, '0..1');
      const centerPoint = attrInt(node, 'center_point_box', 0) !== 0;
      const bx = toNumbers(boxes);
      const sc = toNumbers(scores);
      const selected: number[] = [];
      for (let b = 0; b < B; b++) {
        const box = Array.from({ length: N }, (_, i) => corners(bx, (b * N + i) * 4, centerPoint));
        for (let c = 0; c < C; c++) {
          const s = (i: number) => sc[(b * C + c) * N + i]!;
          const cand: number[] = [];
          for (let i = 0; i < N; i++) if (scoreThreshold === undefined || s(i) > scoreThreshold) cand.push(i);
          cand.sort((i, j) => s(j) - s(i) || i - j);
          const kept: number[] = [];
          for (const i of cand) {
            if (kept.length >= maxOut) break;
            if (kept.every((k) => !suppresses(box[i]!, box[k]!, iou))) {
              kept.push(i);
              selected.push(b, c, i);
            }
          }
        }
      }
      return [new Tensor('int64', [selected.length / 3, 3], BigInt64Array.from(selected, BigInt))];
    },
    infer: (ctx) => [{ dtype: 'int64', shape: [ctx.freshDim(), 3] }],
  },
];
