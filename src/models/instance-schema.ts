/**
 * The zod schemas of the instance contract (docs/math.md §4): what decides whether an instance is
 * valid, and words every problem with its JSON path. Dimensions are read from the data itself —
 * D from x_1, K from y_1, H from the recurrent weight (W for the RNN, W_hf for the LSTM, W_hn for
 * the GRU) — and
 * every other field is checked against them, so a mismatch is reported at the field that
 * disagrees, with the dimension it should have had.
 */
import { z } from 'zod';
import { invalidInput, toInputIssues } from '../validation.js';
import {
  GRU_BIASES, GRU_WEIGHTS, LSTM_BIASES, LSTM_WEIGHTS, instanceLabel, isWellFormedInstance, type Instance, type Mat, type Vec,
} from './instance.js';

const num = z.number();
const vec = z.array(num).min(1);
const mat = z.array(vec).min(1);
const seq = z.array(vec).min(1);
const loss = z.enum(['last', 'sum']).optional();

type Ctx = z.core.$RefinementCtx;

/** Checks one field's shape; `rows`/`cols` name where the expected size comes from. */
function expectShape(ctx: Ctx, value: Mat, key: string, rows: [number, string], cols: [number, string]): void {
  if (value.length !== rows[0]) {
    ctx.addIssue({ code: 'custom', path: [key], message: `should have ${rows[0]} ${rows[0] === 1 ? 'row' : 'rows'} (${rows[1]}), not ${value.length}` });
    return;
  }
  value.forEach((row, r) => {
    if (row.length !== cols[0]) {
      ctx.addIssue({ code: 'custom', path: [key, r], message: `should have ${cols[0]} ${cols[0] === 1 ? 'column' : 'columns'} (${cols[1]}), not ${row.length}` });
    }
  });
}

function expectLength(ctx: Ctx, value: Vec, key: string, length: [number, string]): void {
  if (value.length !== length[0]) {
    ctx.addIssue({ code: 'custom', path: [key], message: `should have ${length[0]} ${length[0] === 1 ? 'entry' : 'entries'} (${length[1]}), not ${value.length}` });
  }
}

function expectSequences(ctx: Ctx, data: { x: Vec[]; y: Vec[] }): { D: number; K: number; T: number } {
  const T = data.x.length;
  const D = data.x[0]!.length;
  const K = data.y[0]!.length;
  if (data.y.length !== T) {
    ctx.addIssue({ code: 'custom', path: ['y'], message: `should have one target per time step, ${T} (the length of x), not ${data.y.length}` });
  }
  data.x.forEach((xt, t) => {
    if (xt.length !== D) ctx.addIssue({ code: 'custom', path: ['x', t], message: `should have ${D} entries (D, the length of x[0]), not ${xt.length}` });
  });
  data.y.forEach((yt, t) => {
    if (yt.length !== K) ctx.addIssue({ code: 'custom', path: ['y', t], message: `should have ${K} entries (K, the length of y[0]), not ${yt.length}` });
  });
  return { D, K, T };
}

/**
 * Shape checks need every array to have at least one entry (D, K, H are read off the first);
 * zod still runs refinements after a too-small issue, so they wait until the arrays are sound,
 * and an empty array is reported once, by the schema.
 */
function allNonEmpty(data: Record<string, unknown>): boolean {
  return Object.values(data).every((v) => !Array.isArray(v) || (v.length > 0 && v.every((row) => !Array.isArray(row) || row.length > 0)));
}

const rnnSchema = z
  .object({ model: z.literal('rnn'), U: mat, W: mat, V: mat, b: vec, c: vec, s0: vec, x: seq, y: seq, loss })
  .superRefine((data, ctx) => {
    if (!allNonEmpty(data)) return;
    const { D, K } = expectSequences(ctx, data);
    const H = data.W.length;
    const h: [number, string] = [H, 'H, the number of rows of W'];
    expectShape(ctx, data.W, 'W', h, [H, 'H, W is square']);
    expectShape(ctx, data.U, 'U', h, [D, 'D, the length of each x_t']);
    expectShape(ctx, data.V, 'V', [K, 'K, the length of each y_t'], h);
    expectLength(ctx, data.b, 'b', h);
    expectLength(ctx, data.s0, 's0', h);
    expectLength(ctx, data.c, 'c', [K, 'K, the length of each y_t']);
  });

const lstmShape = {
  model: z.literal('lstm'),
  Wxf: mat, Wxi: mat, Wxg: mat, Wxo: mat, Whf: mat, Whi: mat, Whg: mat, Who: mat,
  bf: vec, bi: vec, bg: vec, bo: vec,
  V: mat, by: vec, h0: vec, c0: vec, x: seq, y: seq, loss,
};

const lstmSchema = z.object(lstmShape).superRefine((data, ctx) => {
  if (!allNonEmpty(data)) return;
  const { D, K } = expectSequences(ctx, data);
  const H = data.Whf.length;
  const h: [number, string] = [H, 'H, the number of rows of Whf'];
  for (const w of LSTM_WEIGHTS) {
    expectShape(ctx, data[w], w, h, w.startsWith('Wx') ? [D, 'D, the length of each x_t'] : [H, 'H, recurrent weights are square']);
  }
  for (const b of LSTM_BIASES) expectLength(ctx, data[b], b, h);
  expectShape(ctx, data.V, 'V', [K, 'K, the length of each y_t'], h);
  expectLength(ctx, data.by, 'by', [K, 'K, the length of each y_t']);
  expectLength(ctx, data.h0, 'h0', h);
  expectLength(ctx, data.c0, 'c0', h);
});

const gruShape = {
  model: z.literal('gru'),
  Wxr: mat, Wxz: mat, Wxn: mat, Whr: mat, Whz: mat, Whn: mat,
  br: vec, bz: vec, bn: vec,
  V: mat, by: vec, h0: vec, x: seq, y: seq, loss,
};

const gruSchema = z.object(gruShape).superRefine((data, ctx) => {
  if (!allNonEmpty(data)) return;
  const { D, K } = expectSequences(ctx, data);
  const H = data.Whn.length;
  const h: [number, string] = [H, 'H, the number of rows of Whn'];
  for (const w of GRU_WEIGHTS) {
    expectShape(ctx, data[w], w, h, w.startsWith('Wx') ? [D, 'D, the length of each x_t'] : [H, 'H, recurrent weights are square']);
  }
  for (const b of GRU_BIASES) expectLength(ctx, data[b], b, h);
  expectShape(ctx, data.V, 'V', [K, 'K, the length of each y_t'], h);
  expectLength(ctx, data.by, 'by', [K, 'K, the length of each y_t']);
  expectLength(ctx, data.h0, 'h0', h);
});

const activationsSchema = z.object({ model: z.literal('activations'), x: z.array(num).min(1) });

export const instanceSchema = z.discriminatedUnion('model', [rnnSchema, lstmSchema, gruSchema, activationsSchema]);

/** Parses one instance or throws a GradsheetError whose message names each problem's JSON path. */
export function parseInstance(input: unknown, root = '$'): Instance {
  if (isWellFormedInstance(input)) return input as Instance;
  const result = instanceSchema.safeParse(input);
  // the input itself, not zod's copy of it: the schema has no defaults or transforms, and a batch
  // of thousands of instances kept twice over measurably slows garbage collection
  if (result.success) return input as Instance;
  throw invalidInput(instanceLabel(root), toInputIssues(result.error, input, root), result.error);
}

