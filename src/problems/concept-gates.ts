/**
 * concept.gates — the gates' roles through the notes' exam-week story (期末考试周, docs/math.md §8):
 * one time step is the calculus exam (考高等数学), the next the linear-algebra exam (考线性代数);
 * x_t is the linear-algebra review, c_{t−1} the memory after the calculus exam, h_t the exam score.
 * (a) one of the story's four events is described — letting go of calculus details the next exam
 *     does not need, admitting the useful part of the linear-algebra review, the new content formed
 *     from the review, what of the memory is written on the exam paper — and the student names the
 *     gate that plays it (f_t, i_t, g_t = c̃_t, o_t);
 * (b) a scalar LSTM's values at step τ are printed (c_{τ−1}, f_τ, i_τ, g_τ, o_τ): does the new cell
 *     c_τ = f_τ c_{τ−1} + i_τ g_τ carry mostly the old memory (|f_τ c_{τ−1}| more than twice
 *     |i_τ g_τ|), mostly the new memory (the other way round), or the two comparably?
 *
 * Both answers vary with the variant and are balanced under generator 2: the draw aims at an event
 * (each of the four equally often) and at an answer of (b) (each of the three equally often). The
 * event is a function of the instance — a digest of its targets y, which neither part uses — so the
 * key's instance rebuilds the question; an aimed draw redraws y until the digest names the event.
 * (b) is aimed by drawing the forget gates open ("old"), shut ("new") or freely ("comparable") and
 * accepted only when log₁₀ of the ratio is at least MARGIN away from both thresholds, so the
 * printed (rounded) values give the same answer.
 */
import { z } from 'zod';
import type { LstmInstance } from '../models/instance.js';
import { solveLstm, type LstmSolution } from '../models/lstm.js';
import { networkParamsShape } from './params.js';
import { drawLstm } from './lstm-params.js';
import { gridVector, pick, type Rng } from './random.js';
import { texNumber } from './format.js';
import { arithmeticLine, num, times } from './arithmetic.js';
import { erase } from './erase.js';
import type { PartSpec, ProblemType, SheetStyle } from './types.js';

export const conceptGatesParams = z.object({
  ...networkParamsShape,
  hidden: z.literal(1, { error: 'the exam-week story uses the scalar LSTM: hidden should be 1' }).default(1),
  /** T: the step τ is T by default */
  steps: z.number().int().min(2).max(8).default(3),
  /** the step τ ≥ 2 of part (b); default T */
  step: z.number().int().min(2).max(8).optional(),
}).strict().refine((p) => p.step === undefined || p.step <= p.steps, { message: 'should be at most steps', path: ['step'] });
export type ConceptGatesParams = z.infer<typeof conceptGatesParams>;

/** The gates, in the order of the events below (plain text: the value graded). */
export const GATE_CHOICES = ['the forget gate (f_t)', 'the input gate (i_t)', 'the candidate memory (g_t)', 'the output gate (o_t)'] as const;

/**
 * The story's events, one per gate (GATE_CHOICES order). None names its gate or the gate's word
 * (forget, input, update, candidate, output).
 */
export const EVENTS = [
  'The calculus exam is over. Of the memory $c_{t-1}$ it left, the calculus details that the linear-algebra exam will not need are let go of, and the rest is carried on: a number between 0 and 1 for each entry of $c_{t-1}$ says how much of it stays.',
  'Tonight\'s linear-algebra review is taken in selectively: the useful part is admitted into the memory and the rest is not. A number between 0 and 1 for each entry says how much of the newly formed content is written into $c_t$.',
  'From tonight\'s review $x_t$ and the state after the calculus exam $h_{t-1}$, the new content itself is formed — what could be added to the memory, each entry between −1 and 1 — before anything decides how much of it is kept.',
  'In the exam room, not everything remembered is written down: a number between 0 and 1 for each entry decides how much of the memory (through $\\tanh c_t$) reaches the exam score $h_t$.',
] as const;

export const SHARE_CHOICES = ['mostly the old memory', 'mostly the new memory', 'the two comparably'] as const;
type Share = (typeof SHARE_CHOICES)[number];

/** (b)'s thresholds: "mostly" means more than RATIO times the other term; MARGIN (log₁₀) keeps draws clear-cut. */
const RATIO = 2;
const MARGIN = 0.1;

/**
 * The event a question describes (an index into EVENTS): a digest (FNV-1a) of the instance's
 * targets y, which neither part uses. Exported for the tests.
 */
export function eventOf(inst: Pick<LstmInstance, 'y'>): number {
  let h = 0x811c9dc5;
  for (const ch of JSON.stringify(inst.y)) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % EVENTS.length;
}

/** log₁₀ of |f_τ c_{τ−1}| / |i_τ g_τ|, the old memory kept against the new memory written. */
export function shareLog(f: number, cPrev: number, i: number, g: number): number {
  return Math.log10(Math.abs(f * cPrev)) - Math.log10(Math.abs(i * g));
}

export function shareAnswer(log: number): Share {
  const t = Math.log10(RATIO);
  return log > t ? 'mostly the old memory' : log < -t ? 'mostly the new memory' : 'the two comparably';
}

interface GatesAim {
  event: number;
  share: Share;
}

function isGatesAim(value: unknown): value is GatesAim {
  return typeof value === 'object' && value !== null && 'event' in value && typeof value.event === 'number' &&
    'share' in value && SHARE_CHOICES.some((s) => s === value.share);
}

/** The values at step τ (1-based) a part reads: c_{τ−1}, f_τ, i_τ, g_τ, o_τ. */
function atStep(sol: LstmSolution, tau: number) {
  const k = tau - 1;
  return { cPrev: sol.c[k - 1]![0]!, f: sol.f[k]![0]!, i: sol.i[k]![0]!, g: sol.g[k]![0]!, o: sol.o[k]![0]! };
}

const aimOf = (style: SheetStyle, target: GatesAim | undefined): GatesAim | null => (style.generator >= 2 && target ? target : null);

export const conceptGatesProblem: ProblemType<ConceptGatesParams, LstmInstance, LstmSolution, GatesAim> = {
  id: 'concept.gates',
  title: 'The gates in exam week',
  summary: 'The notes\' exam-week story: which gate plays a described event; whether a new cell carries mostly old memory, mostly new memory, or both comparably (from the gate values printed).',
  params: conceptGatesParams,
  aim: {
    choose: (rng, _params, _style, missed) => {
      const all = EVENTS.flatMap((_, event) => SHARE_CHOICES.map((share) => ({ event, share })));
      if (missed.length === 0) return { event: Math.floor(rng() * EVENTS.length), share: pick(rng, SHARE_CHOICES) };
      const left = all.filter((a) => !missed.some((m) => m.event === a.event && m.share === a.share));
      return left.length ? pick(rng, left) : undefined;
    },
    is: isGatesAim,
  },
  generate: (rng: Rng, params, style, target) => {
    const aim = aimOf(style, target);
    const regime = !aim ? 'any' : aim.share === 'mostly the old memory' ? 'remember' : aim.share === 'mostly the new memory' ? 'forget' : 'any';
    const inst = drawLstm(rng, { ...params, regime });
    // the described event: redraw the targets (unused by the parts) until their digest names it
    for (let n = 0; aim && eventOf(inst) !== aim.event && n < 64; n++) inst.y = inst.y.map(() => gridVector(rng, params.data, params.outputs));
    return inst;
  },
  accept: (inst, sol, params, style, target) => {
    const aim = aimOf(style, target);
    const tau = params.step ?? inst.x.length;
    const v = atStep(sol, tau);
    if ([v.f, v.cPrev, v.i, v.g].some((x) => Math.abs(x) < 1e-3)) return 'a term too close to 0';
    const log = shareLog(v.f, v.cPrev, v.i, v.g);
    const t = Math.log10(RATIO);
    if (Math.abs(Math.abs(log) - t) < MARGIN) return 'too close to a threshold of (b)';
    if (aim && shareAnswer(log) !== aim.share) return 'another answer of (b)';
    if (aim && eventOf(inst) !== aim.event) return 'another event';
    return null;
  },
  build(inst, params, style) {
    const T = inst.x.length;
    const tau = params.step ?? T;
    const d = style.digits;
    const event = eventOf(inst);
    const parts: PartSpec<LstmSolution>[] = [
      {
        key: 'a',
        kind: 'choice',
        prompt: `${EVENTS[event]} Which part of the LSTM plays this role?`,
        choices: GATE_CHOICES,
        answer: () => GATE_CHOICES[event]!,
        solution: (s) => gateSolution(event, atStep(s, tau), tau, d),
      },
      {
        key: 'b',
        kind: 'choice',
        prompt: `At step ${tau}, what does the new memory $c_{${tau}} = f_{${tau}}\\,c_{${tau - 1}} + i_{${tau}}\\,g_{${tau}}$ carry? Compare the old memory kept, $|f_{${tau}}\\,c_{${tau - 1}}|$, with the new memory written, $|i_{${tau}}\\,g_{${tau}}|$: "mostly" one of them means more than ${RATIO} times the other.`,
        choices: SHARE_CHOICES,
        answer: (s) => {
          const v = atStep(s, tau);
          return shareAnswer(shareLog(v.f, v.cPrev, v.i, v.g));
        },
        solution: (s) => shareSolution(atStep(s, tau), tau, d),
      },
    ];
    return {
      intro: 'The notes tell the LSTM as exam week (期末考试周): one time step is the calculus exam (考高等数学), the next the linear-algebra exam (考线性代数). ' +
        'The input $x_t$ is the night\'s linear-algebra review, $c_{t-1}$ the memory after the calculus exam, $h_{t-1}$ the state just after it, and $h_t$ the exam score. ' +
        'The cell is updated as $c_t = f_t\\,c_{t-1} + i_t\\,g_t$ with $g_t = \\tilde c_t = \\tanh(W_{xg} x_t + W_{hg} h_{t-1} + b_g)$, $f_t, i_t, o_t$ sigmoids of $W_{x\\cdot} x_t + W_{h\\cdot} h_{t-1} + b_\\cdot$, and $h_t = o_t \\tanh c_t$. ' +
        `A scalar LSTM's values at step ${tau} are given (rounded).`,
      given: () => {
        const v = atStep(solveLstm(inst), tau);
        return [`c_{${tau - 1}} = ${texNumber(v.cPrev, d)},\\quad f_{${tau}} = ${texNumber(v.f, d)},\\quad i_{${tau}} = ${texNumber(v.i, d)},\\quad g_{${tau}} = ${texNumber(v.g, d)},\\quad o_{${tau}} = ${texNumber(v.o, d)}`];
      },
      parts,
    };
  },
};

export const conceptGatesType = erase('lstm', conceptGatesProblem);


/** Why each event is its gate, in the notes' terms, and what the gate does on this instance at τ. */
function gateSolution(event: number, v: ReturnType<typeof atStep>, tau: number, d: number): { text?: string; math?: string }[] {
  const c = v.f * v.cPrev + v.i * v.g;
  const why = [
    'Letting go of what the next exam does not need is the forget gate (遗忘门): $f_t = \\sigma(\\cdot) \\in (0, 1)$ multiplies the old memory, $f_t\\,c_{t-1}$, so 0 drops an entry and 1 keeps it whole.',
    'Admitting the useful part of the review is the input gate (输入门, the notes\' 更新门, update gate): $i_t = \\sigma(\\cdot) \\in (0, 1)$ multiplies the new content, $i_t\\,g_t$, deciding how much of it is written into $c_t$.',
    'The new content itself is the candidate memory $g_t = \\tilde c_t = \\tanh(\\cdot) \\in (-1, 1)$ (候选记忆, the notes\' "new memory" from the review); the gates are sigmoids in (0, 1) that only scale it.',
    'What reaches the exam score is chosen by the output gate (输出门): $h_t = o_t \\tanh c_t$ with $o_t = \\sigma(\\cdot) \\in (0, 1)$, so the memory is kept in $c_t$ but only the part $o_t$ lets through is shown.',
  ][event]!;
  const here = [
    `Here $f_{${tau}} = ${texNumber(v.f, d)}$ keeps that share of $c_{${tau - 1}}$:`,
    `Here $i_{${tau}} = ${texNumber(v.i, d)}$ admits that share of $g_{${tau}}$:`,
    `Here $g_{${tau}} = ${texNumber(v.g, d)}$, of which $i_{${tau}} = ${texNumber(v.i, d)}$ is written:`,
    `Here $o_{${tau}} = ${texNumber(v.o, d)}$ lets that share of $\\tanh c_{${tau}}$ through, with $c_{${tau}} = f_{${tau}}\\,c_{${tau - 1}} + i_{${tau}}\\,g_{${tau}} = ${texNumber(c, d)}$:`,
  ][event]!;
  const line = event === 0
    ? `f_{${tau}}\\,c_{${tau - 1}} = ${arithmeticLine(times(num(v.f), num(v.cPrev)), v.f * v.cPrev, d)}`
    : event === 3
      ? `h_{${tau}} = o_{${tau}} \\tanh c_{${tau}} = ${arithmeticLine(times(num(v.o), num(Math.tanh(c))), v.o * Math.tanh(c), d)}`
      : `i_{${tau}}\\,g_{${tau}} = ${arithmeticLine(times(num(v.i), num(v.g)), v.i * v.g, d)}`;
  return [{ text: `${why} So the answer is ${GATE_CHOICES[event]!.replace(/\(([figo])_t\)/, '($$$1_t$$)')}.` }, { text: here }, { math: line }];
}

function shareSolution(v: ReturnType<typeof atStep>, tau: number, d: number): { text?: string; math?: string }[] {
  const old = v.f * v.cPrev, fresh = v.i * v.g;
  const log = shareLog(v.f, v.cPrev, v.i, v.g);
  const answer = shareAnswer(log);
  const ratio = Math.abs(old) / Math.abs(fresh);
  const story = answer === 'mostly the old memory'
    ? `the forget gate kept most of the calculus memory and little of the review was written in: the cell path $c_{${tau - 1}} \\to c_{${tau}}$ carries the old memory on.`
    : answer === 'mostly the new memory'
      ? `the forget gate let most of the old memory go and the review was written in: the step's memory is mostly new.`
      : 'old memory kept and new memory written are of a size: neither is more than twice the other.';
  return [
    { math: `f_{${tau}}\\,c_{${tau - 1}} = ${arithmeticLine(times(num(v.f), num(v.cPrev)), old, d)},\\qquad i_{${tau}}\\,g_{${tau}} = ${arithmeticLine(times(num(v.i), num(v.g)), fresh, d)}` },
    { text: `The ratio $|f_{${tau}}\\,c_{${tau - 1}}| / |i_{${tau}}\\,g_{${tau}}| = ${texNumber(ratio, d)}$: ${story} So the answer is: ${answer}.` },
  ];
}
