/**
 * A worksheet drawn from one version of a bank, graded with another's tolerances and points.
 *
 * The draw itself depends on the tolerance (a variant is redrawn while a catalogued mistake would
 * score, generate.ts), so a bank whose tolerance changes would draw other numbers for the same
 * worksheet code: the worksheets the students hold would no longer be the ones graded. A store of
 * submissions therefore keeps the bank its worksheets were drawn from (Store.pinBank); the variant
 * is drawn from that one and rebased here onto the bank as it is now — the same instance and
 * answers, the new bank's tolerance and points. The questions themselves (ids, types, parameters)
 * must not change once worksheets are out: that would be another assignment.
 */
import { GradsheetError } from '../errors.js';
import type { Bank } from './bank.js';
import { canonicalJson, partTolerance } from './bank.js';
import { sizedTolerance } from './generate.js';
import { partId, type KeyVariant } from './key.js';
import { problemType } from './registry.js';
import type { SheetStyle } from './types.js';

/** Why `current` cannot grade worksheets drawn from `drawn` (null: it can). */
export function rebaseProblem(drawn: Bank, current: Bank): string | null {
  if (drawn.id !== current.id) return `the bank is ${current.id}, not ${drawn.id}`;
  if (drawn.generator !== current.generator) return `its generator version changed from ${drawn.generator} to ${current.generator}`;
  if (drawn.digits !== current.digits) return `its digits changed from ${drawn.digits} to ${current.digits}`;
  const ids = (b: Bank) => b.questions.map((q) => `${q.id}:${q.type.id}:${canonicalJson(q.params)}`).join('|');
  if (ids(drawn) !== ids(current)) return 'its questions (ids, types or parameters) changed';
  return null;
}

/** The variant with each part's tolerance and points as `current` sets them; the instance and answers unchanged. */
export function rebaseVariant(variant: KeyVariant, current: Bank, style: SheetStyle): KeyVariant {
  const byId = new Map(current.questions.map((q) => [q.id, q]));
  return {
    ...variant,
    questions: variant.questions.map((kq) => {
      const q = byId.get(kq.id);
      const type = problemType(kq.type);
      if (!q || !type) throw new GradsheetError('invalid-input', `The bank ${current.id} has no question ${kq.id} of type ${kq.type}, which its worksheets were drawn with.`);
      const specs = new Map(type.build(kq.instance, kq.params, style).parts.map((spec) => [partId(kq.id, spec.key), spec]));
      return {
        ...kq,
        parts: kq.parts.map((p) => {
          const spec = specs.get(p.id);
          if (!spec) return p;
          const points = q.partPoints[spec.key] ?? q.points;
          if (p.kind === 'choice') return { ...p, points };
          const tolerance = spec.tolerance ?? (style.generator >= 2 ? sizedTolerance(partTolerance(q, spec), p.answer) : partTolerance(q, spec));
          return { ...p, points, tolerance };
        }),
      };
    }),
  };
}
