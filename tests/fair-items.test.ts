import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gradsheet } from './support/cli.js';
import { tempDir } from './support/tmp.js';
import { describe, expect, it } from 'vitest';
import { generateVariant, parseBank, practiceSecret, solveLstm, solveRnn, withinTolerance, type Bank, type KeyVariant, type LstmInstance, type RnnInstance } from '../src/index.js';
import { answerKey, keyVariant } from '../src/problems/key.js';
import { freePoint, numbersIn, printedNumbers } from '../src/problems/printed.js';
import { sizedTolerance } from '../src/problems/generate.js';
import { sheetView } from '../src/render/sheets.js';
import { texNumber } from '../src/problems/format.js';
import { Grader } from '../src/grade/grade.js';
import { loadBank } from '../src/commands/files.js';

/**
 * Generator 2's fair items (issue 7), checked against computations written here from docs/math.md,
 * not against the problem types' own code.
 */
const SECRET = practiceSecret('fair-items');

function bankOf(questions: unknown[], generator = 2, extra: Record<string, unknown> = {}): Bank {
  return parseBank({ format: 'gradsheet.bank/1', id: 'fair', title: 'Fair items', generator, questions, ...extra });
}

function variants(bank: Bank, n: number) {
  return Array.from({ length: n }, (_, i) => generateVariant(bank, SECRET, { id: `s${i + 1}`, name: `S ${i + 1}` }));
}

const log10Product = (factors: number[]) => factors.reduce((a, f) => a + Math.log10(Math.abs(f)), 0);

describe('rnn.long-range under generator 2', () => {
  const bank = bankOf([{ id: 'q', type: 'rnn.long-range', params: { regime: 'any' } }]);
  const drawn = variants(bank, 150);

  it('draws each regime about equally often when the bank leaves it to the draw, and its choice answer is the regime of the instance', () => {
    const counts: Record<string, number> = {};
    for (const v of drawn) {
      const { instance, parts } = v.questions[0]!.generated;
      const inst = instance as RnnInstance;
      // log₁₀|∏_{j=2}^{T} (1 − s_j²)W| from the forward states, docs/math.md §2.3
      const s = solveRnn(inst).s.map((x) => x[0]!);
      const W = inst.W[0]![0]!;
      const log = log10Product(s.slice(1).map((sj) => (1 - sj * sj) * W));
      const expected = log < -2 ? 'vanishing' : log > 2 ? 'exploding' : 'neither';
      const choice = parts.find((p) => p.spec.kind === 'choice')!;
      expect(choice.answer).toBe(expected);
      counts[expected] = (counts[expected] ?? 0) + 1;
    }
    for (const regime of ['vanishing', 'exploding', 'neither']) {
      expect(counts[regime] ?? 0, regime).toBeGreaterThan(150 * 0.2);
      expect(counts[regime] ?? 0, regime).toBeLessThan(150 * 0.5);
    }
  });

  it('asks no choice when the bank fixes the regime, so no sheet has a point for reading the bank', () => {
    const fixed = variants(bankOf([{ id: 'q', type: 'rnn.long-range', params: { regime: 'exploding' } }]), 20);
    for (const v of fixed) expect(v.questions[0]!.generated.parts.map((p) => p.spec.kind)).toEqual(['number', 'number']);
    // generator 1 keeps its choice, the same on every sheet, so its printed sheets still grade
    const old = variants(bankOf([{ id: 'q', type: 'rnn.long-range', params: { regime: 'exploding' } }], 1), 20);
    for (const v of old) expect(v.questions[0]!.generated.parts.find((p) => p.spec.kind === 'choice')!.answer).toBe('exploding');
  });

  it('prints the choices in an order of its own per variant, each a permutation of the three regimes', () => {
    const orders = new Set(drawn.map((v) => v.questions[0]!.generated.parts.find((p) => p.spec.kind === 'choice')!.choices!.join('|')));
    expect(orders.size).toBeGreaterThan(3);
    for (const order of orders) expect(order.split('|').sort()).toEqual(['exploding', 'neither', 'vanishing']);
    const positions = [0, 0, 0];
    for (const v of drawn) {
      const part = v.questions[0]!.generated.parts.find((p) => p.spec.kind === 'choice')!;
      positions[part.choices!.indexOf(part.answer as string)]!++;
    }
    for (const n of positions) expect(n).toBeGreaterThan(150 * 0.2);
  });
});

describe('concept.memory under generator 2', () => {
  const bank = bankOf([{ id: 'm', type: 'concept.memory', params: { regime: 'any' } }]);
  const drawn = variants(bank, 120);

  it('answers (a) from the instance, with each path the largest in 20–50% of variants', () => {
    const counts = [0, 0, 0];
    for (const v of drawn) {
      const { instance, parts } = v.questions[0]!.generated;
      const inst = instance as LstmInstance;
      const r = solveLstm(inst);
      const T = inst.x.length, k = T - 1; // step τ = T, 0-based
      const f = r.f[k]![0]!, i = r.i[k]![0]!, g = r.g[k]![0]!, c = r.c[k - 1]![0]!, o = r.o[k - 1]![0]!;
      const kappa = o * (1 - Math.tanh(c) ** 2);
      const paths = [c * f * (1 - f) * inst.Whf[0]![0]! * kappa, g * i * (1 - i) * inst.Whi[0]![0]! * kappa, i * (1 - g * g) * inst.Whg[0]![0]! * kappa];
      const largest = paths.map(Math.abs).indexOf(Math.max(...paths.map(Math.abs)));
      counts[largest]!++;
      expect(parts[0]!.answer).toBe(['the forget-gate path (through W_hf)', 'the input-gate path (through W_hi)', 'the candidate path (through W_hg)'][largest]);
      // (b): the three paths together are the total minus the direct term f_τ
      expect(parts[1]!.spec.kind).toBe('number');
      expect(parts[1]!.answer as number).toBeCloseTo(paths[0]! + paths[1]! + paths[2]!, 12);
      expect(parts[1]!.answer as number).toBeCloseTo(r.dc_dc_prev[k]![0]![0]! - f, 12);
    }
    for (const n of counts) {
      expect(n).toBeGreaterThan(120 * 0.2);
      expect(n).toBeLessThan(120 * 0.5);
    }
  });

  it('balances (c) between a cell factor that stays near 1 and one that does not, and no answer is the same on every sheet', () => {
    const near = drawn.map((v) => {
      const inst = v.questions[0]!.generated.instance as LstmInstance;
      const totals = solveLstm(inst).dc_dc_prev.slice(1).map((m) => m[0]![0]!);
      return Math.abs(log10Product(totals)) <= 1;
    });
    const share = near.filter(Boolean).length / near.length;
    expect(share).toBeGreaterThan(0.35);
    expect(share).toBeLessThan(0.65);
    drawn.forEach((v, n) => expect(v.questions[0]!.generated.parts[2]!.answer === 'the LSTM cell factor' || v.questions[0]!.generated.parts[2]!.answer === 'both').toBe(near[n]));
  });

  it('does not print the factor at step τ, which the student builds from f_τ and (b)', () => {
    const { built, instance } = drawn[0]!.questions[0]!.generated;
    const T = (instance as LstmInstance).x.length;
    const lines = built.given().join('\n');
    expect(lines).toContain(`\\partial c_{${T}}/\\partial c_{${T - 1}} = \\text{from (b)}`);
    expect(lines).toMatch(new RegExp(`\\\\partial c_\\{${T - 1}\\}/\\\\partial c_\\{${T - 2}\\} = -?\\d`));
  });

  it('explains (c) with the numbers of its own instance, not a canned sentence', () => {
    for (const v of drawn.slice(0, 30)) {
      const { parts, solution, instance } = v.questions[0]!.generated;
      const text = parts[2]!.spec.solution(solution).map((s) => s.text ?? '').join(' ');
      expect(text).not.toContain('stays close to $f_t$');
      const inst = instance as LstmInstance;
      expect(text).toContain(`W_{hg} = ${texNumber(inst.Whg[0]![0]!, 4)}`); // the instance's own W_hg
    }
  });
});

describe('free points under generator 2', () => {
  it('reads the numbers a sheet prints: data, scientific forms, ½; not indices or powers', () => {
    expect(numbersIn('s_{3} = -0.7,\\quad W = 1.25,\\quad x_2 = 3')).toEqual([-0.7, 1.25, 3]);
    expect(numbersIn('-3.2 \\times 10^{-5} + \\tfrac12 \\lVert y_{20} - o_{20}\\rVert^2')).toEqual([-3.2e-5, 0.5]);
    expect(numbersIn('\\begin{bmatrix}0.5 & -0.25\\\\0.125 & 1\\end{bmatrix}')).toEqual([0.5, -0.25, 0.125, 1]);
  });

  it('sizes every {rtol, atol} tolerance so that 0 never scores a non-zero answer', () => {
    for (const answer of [3.249e-4, -1e-7, [0.5, -2e-6], [[1, 2], [3e-5, 4]]]) {
      const tol = sizedTolerance({ rtol: 0.01, atol: 1e-4 }, answer);
      const entries = ([answer] as unknown[]).flat(2) as number[];
      for (const e of entries) {
        expect(withinTolerance(e, 0, tol)).toBe(false);
        expect(withinTolerance(e, e * 1.0099, tol)).toBe(true); // every answer within rtol is still accepted
      }
    }
    expect(sizedTolerance({ rtol: 0.01, atol: 1e-4 }, 5)).toEqual({ rtol: 0.01, atol: 0 });
    // an answer with a zero entry is a free point the draw redraws; it keeps the bank's tolerance
    expect(sizedTolerance({ rtol: 0.01, atol: 1e-4 }, [0, 2])).toEqual({ rtol: 0.01, atol: 1e-4 });
  });

  const shipped = readdirSync('question-banks').filter((f) => f.endsWith('.json'));
  it.each(shipped)('gives no free point in 100 variants of the shipped bank %s: no answer 0, none printed, none that 0 or a printed number scores', (file) => {
    const bank = parseBank(JSON.parse(readFileSync(`question-banks/${file}`, 'utf8')));
    expect(bank.generator).toBe(2);
    for (const v of variants(bank, 100)) {
      for (const { generated } of v.questions) {
        const printed = printedNumbers(generated.built);
        for (const p of generated.parts) {
          if (typeof p.answer === 'string') continue;
          const entries = ([p.answer] as unknown[]).flat(2) as number[];
          for (const e of entries) {
            expect(e, p.spec.key).not.toBe(0);
            expect(withinTolerance(e, 0, p.tolerance), `${p.spec.key}: 0 scores ${e}`).toBe(false);
          }
          expect(freePoint(p.answer, p.tolerance, printed, bank.digits), `${v.code} ${p.spec.key}`).toBeNull();
        }
      }
    }
  });

  it('does not ask ∂L/∂W^(1) when s_0 = 0 (it is 0), says why, and still follows the total through from the terms asked', () => {
    const bank = bankOf([{ id: 'w', type: 'rnn.bptt', params: { steps: 3, wrt: 'W' } }]);
    const [v] = variants(bank, 1);
    const { built, parts } = v!.questions[0]!.generated;
    expect(parts.map((p) => p.spec.prompt)).not.toContain('$\\dfrac{\\partial L_{3}}{\\partial W^{(1)}}$');
    expect(built.intro).toContain('Since $s_0 = 0$');
    const total = parts[parts.length - 1]!;
    expect(total.spec.dependsOn).toEqual(['b', 'c']);
    expect(total.spec.followThrough!({ b: 0.25, c: -0.5 })).toBeCloseTo(-0.25, 15);
  });

  it('does not ask the direct term of ∂c_s/∂c_{s−1} when f_s is printed, and the total follows through from the printed f_s', () => {
    const bank = bankOf([{ id: 'c', type: 'lstm.cell-jacobian', params: { steps: 3 } }]);
    const [v] = variants(bank, 1);
    const { parts, solution } = v!.questions[0]!.generated;
    expect(parts[0]!.spec.prompt).toContain('the paths through');
    const f3 = Number((solution as { f: number[][] }).f[2]![0]!.toPrecision(4));
    expect(parts[1]!.spec.followThrough!({ a: 0.125 })).toBeCloseTo(f3 + 0.125, 12);
  });
});

describe('rnn.jacobian under generator 2', () => {
  it('never lets a row of W, copied from the sheet, score a row of ∂s_j/∂s_{j−1} (a state near 0 makes tanh\' ≈ 1)', () => {
    const drawn = variants(bankOf([{ id: 'j', type: 'rnn.jacobian', params: { hidden: 2, steps: 3 } }]), 100);
    let rows = 0;
    for (const v of drawn) {
      const { instance, parts } = v.questions[0]!.generated;
      const inst = instance as RnnInstance;
      const s = solveRnn(inst).s;
      parts.slice(0, -1).forEach((p, n) => {
        const j = n + 2; // parts are ∂s_2/∂s_1, ∂s_3/∂s_2 (from = 1)
        (p.answer as number[][]).forEach((row, a) => {
          rows++;
          // docs/math.md §2: row a of diag(1 − s_j²)·W is (1 − s_j[a]²)·W[a]
          row.forEach((e, b) => expect(e).toBeCloseTo((1 - s[j - 1]![a]! ** 2) * inst.W[a]![b]!, 12));
          expect(row.every((e, b) => withinTolerance(e, inst.W[a]![b]!, p.tolerance)), `${v.code} ${p.spec.key} row ${a + 1}`).toBe(false);
        });
      });
    }
    expect(rows).toBe(100 * 2 * 2);
  });
});

describe('worksheets already printed keep grading', () => {
  it('keeps the shipped banks as generator 1 drew them, byte for byte, loadable as NAME@1', async () => {
    for (const file of readdirSync('question-banks/generator-1')) {
      const name = file.replace(/\.json$/, '');
      const old = await loadBank(`${name}@1`);
      expect(old.generator).toBe(1);
      expect(old.id).toBe(name);
      const current = await loadBank(name);
      expect(current.generator).toBe(2);
      expect(current.id).toBe(old.id); // the same codes for the same students
    }
  });

  it('grades a generator-1 key with generator 1\'s parts and a generator-2 key with generator 2\'s', () => {
    const questions = [{ id: 'm', type: 'concept.memory', params: {} }];
    for (const generator of [1, 2]) {
      const bank = bankOf(questions, generator);
      const keyed = variants(bank, 1).map(keyVariant) as KeyVariant[];
      const key = answerKey(bank, keyed);
      expect(key.generator).toBe(generator);
      const grader = Grader.fromKey(JSON.parse(JSON.stringify(key)));
      const parts = key.variants[0]!.questions[0]!.parts;
      const answers = Object.fromEntries(parts.map((p) => [p.id, p.answer]));
      const result = grader.grade({ format: 'gradsheet.submission/1', worksheet: key.variants[0]!.code, student: 's1', answers });
      expect(result.score).toBe(result.max);
      // generator 2 with the bank's fixed regime (the default, remember) drops the near-1 choice
      expect(parts.map((p) => p.kind)).toEqual(generator === 1 ? ['choice', 'choice', 'choice'] : ['choice', 'number']);
    }
  });

  it('states on the worksheet what it accepts, once, and on each part whose rule differs', () => {
    const bank = bankOf([{ id: 'f', type: 'rnn.forward', params: { steps: 3 } }, { id: 'l', type: 'rnn.long-range', params: { regime: 'any' } }]);
    const [v] = variants(bank, 1);
    const view = sheetView(bank, keyVariant(v!), false);
    expect(view.acceptance).toBe('within 1% of the exact value');
    expect(view.questions[0]!.parts.every((p) => p.acceptNote === '')).toBe(true);
    const notes = view.questions[1]!.parts.map((p) => p.acceptNote);
    expect(notes[0]).toBe('accepted: within 0.02 plus 1% of the exact value');
    expect(notes[1]).toBe('accepted: within 0.05 of the exact value in log₁₀ (a factor of 1.12)');
  });
});

describe('shipped bank files', () => {
  it('keep their generator-1 copies unchanged (a printed sheet regenerates only from the bank it was drawn from)', () => {
    const sums = Object.fromEntries(readdirSync('question-banks/generator-1').map((f) => [f, createHash('sha256').update(readFileSync(`question-banks/generator-1/${f}`)).digest('hex').slice(0, 16)]));
    // sha256 of the files as the release before generator 2 shipped them (git show 2dfc4c7:question-banks/…)
    expect(sums).toEqual({
      'bptt-basics.json': '88037f8931e8097a',
      'lstm-memory.json': '4baa3beffce6de6b',
      'midterm.json': '36652e1fda8405cd',
      'vanishing-exploding.json': 'c5b7f757260fd79d',
    });
  });
});

describe('the CLI with banks of two generator versions', () => {
  it('generates from NAME@1 exactly the sheets the release before drew, says which version it drew with, and grades them with the same bank name', () => {
    const dir = tempDir('gradsheet-fair-');
    const old = gradsheet(['generate', '--bank', 'midterm@1', '--seed', 'printed-last-term', '--count', '2', '--out', join(dir, 'old')]);
    expect(old.code, old.stderr).toBe(0);
    expect(old.stderr).toContain('midterm@1 is the copy of bank midterm kept to regrade and reprint sheets printed under generator version 1; for new sheets use --bank midterm');
    // byte for byte the key the release before generator 2 wrote for the same command
    // (tests/golden/midterm-generator1-key.json: `gradsheet generate --bank midterm --seed printed-last-term --count 2` at 2dfc4c7)
    // — but for the line keys have carried since the hardening issue, saying the secret came from a practice seed
    const written = readFileSync(join(dir, 'old', 'key.json'), 'utf8');
    expect(written).toContain('\n  "practice": true,\n');
    expect(written.replace('\n  "practice": true,\n', '\n')).toBe(readFileSync('tests/golden/midterm-generator1-key.json', 'utf8'));
    const key = JSON.parse(readFileSync(join(dir, 'old', 'key.json'), 'utf8')) as { generator: number; bank: { id: string }; variants: KeyVariant[] };
    expect(key.generator).toBe(1);
    expect(key.bank.id).toBe('midterm');
    // the generator-1 long-range question still asks its choice, as printed
    expect(key.variants[0]!.questions.find((q) => q.id === 'q5')!.parts.map((p) => p.kind)).toEqual(['number', 'number', 'choice']);
    const v = key.variants[0]!;
    const submission = { format: 'gradsheet.submission/1', worksheet: v.code, student: v.student, answers: Object.fromEntries(v.questions.flatMap((q) => q.parts.map((p) => [p.id, p.answer]))) };
    const file = join(dir, 'answers.json');
    writeFileSync(file, JSON.stringify(submission));
    const graded = gradsheet(['check', file, '--bank', 'midterm@1', '--seed', 'printed-last-term', '--json']);
    expect(graded.code, graded.stderr).toBe(0);
    const result = JSON.parse(graded.stdout) as { score: number; max: number };
    expect(result.score).toBe(result.max);
    // graded against the generator-2 bank of the same name, the sheet is not taken for another
    // variant: its code says which version issued it, and the sentence says what to use
    const now = gradsheet(['check', file, '--bank', 'midterm', '--seed', 'printed-last-term', '--json']);
    const nowResult = JSON.parse(now.stdout) as { score: number; errors: string[] };
    expect(nowResult.score).toBe(0);
    expect(nowResult.errors).toEqual([`The worksheet code ${v.code} was issued to student "${v.student}" by generator version 1 of bank midterm; grade it with that version of the bank (for a default bank, --bank midterm@1).`]);
    const fresh = gradsheet(['generate', '--bank', 'midterm', '--seed', 'printed-last-term', '--count', '2', '--out', join(dir, 'new')]);
    expect(fresh.code).toBe(0);
    expect(fresh.stderr).not.toContain('generator version');
    expect(gradsheet(['generate', '--bank', 'midterm@7', '--seed', 'x', '--out', join(dir, 'x')]).stderr).toBe('gradsheet generate: The default bank "midterm" was never shipped for generator version 7; it is midterm (generator 2) or midterm@1.\n');
  });
});
