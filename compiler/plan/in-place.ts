import { KilnError } from '../../runtime/errors.js';
import { type InPlaceHint, type PlanTensor, liveRange, rangesOverlap } from './tensor-lifetime.js';

export interface RejectedHint {
  hint: InPlaceHint;
  reason: string;
}

export interface InPlaceGroups {
  /** Tensors that share one offset: a chain where each member is written over the previous one. */
  groups: PlanTensor[][];
  applied: InPlaceHint[];
  rejected: RejectedHint[];
}

/**
 * Accept the in-place hints that are safe and merge their tensors into groups that will share one
 * offset. A hint is legal when the input is an intermediate (model inputs and outputs must never be
 * overwritten), both tensors have the same size, the input's last read is the step that writes the
 * output, each tensor is overwritten at most once and writes over at most one other, and no other
 * pair of tensors in the merged group is live at the same time.
 */
export function groupInPlace(
  tensors: readonly PlanTensor[],
  hints: readonly InPlaceHint[],
  stepCount: number,
): InPlaceGroups {
  const byId = new Map(tensors.map((t) => [t.id, t]));
  const groupOf = new Map<string, PlanTensor[]>(tensors.map((t) => [t.id, [t]]));
  const overwritten = new Set<string>();
  const writesOver = new Set<string>();
  const applied: InPlaceHint[] = [];
  const rejected: RejectedHint[] = [];

  for (const hint of hints) {
    const out = byId.get(hint.output);
    const inp = byId.get(hint.input);
    if (!out || !inp) {
      const missing = out ? hint.input : hint.output;
      throw new KilnError(`memory plan: in-place hint names unknown tensor '${missing}'`, {
        expected: 'hints that name planned tensors',
      });
    }
    const reason = illegalReason(out, inp, stepCount, groupOf, overwritten, writesOver);
    if (reason) {
      rejected.push({ hint, reason });
      continue;
    }
    const merged = [...groupOf.get(inp.id)!, ...groupOf.get(out.id)!];
    for (const t of merged) groupOf.set(t.id, merged);
    overwritten.add(inp.id);
    writesOver.add(out.id);
    applied.push(hint);
  }

  const groups = [...new Set(groupOf.values())];
  return { groups, applied, rejected };
}

function illegalReason(
  out: PlanTensor,
  inp: PlanTensor,
  stepCount: number,
  groupOf: Map<string, PlanTensor[]>,
  overwritten: Set<string>,
  writesOver: Set<string>,
): string | undefined {
  if (out.id === inp.id) return 'a tensor cannot be written over itself';
  if (inp.kind === 'input') return `'${inp.id}' is a model input, which must never be overwritten`;
  if (inp.kind === 'output') return `'${inp.id}' is a model output, which must stay intact to the end`;
  if (out.bytes !== inp.bytes) return `sizes differ (${out.bytes} vs ${inp.bytes} bytes)`;
  const outLive = liveRange(out, stepCount);
  const inLive = liveRange(inp, stepCount);
  if (inLive.last !== outLive.first) {
    return `'${inp.id}' is last read at step ${inLive.last}, not at step ${outLive.first} where '${out.id}' is written`;
  }
  if (overwritten.has(inp.id)) return `'${inp.id}' is already overwritten by another tensor`;
  if (writesOver.has(out.id)) return `'${out.id}' already writes over another tensor`;
  const inGroup = groupOf.get(inp.id)!;
  const outGroup = groupOf.get(out.id)!;
  if (inGroup === outGroup) return 'the two tensors already share memory';
  for (const a of inGroup) {
    for (const b of outGroup) {
      if (a === inp && b === out) continue;
      if (rangesOverlap(liveRange(a, stepCount), liveRange(b, stepCount))) {
        return `'${a.id}' and '${b.id}' would share memory while both are live`;
      }
    }
  }
  return undefined;
}
