/**
 * Reads the arithmetic a worked solution prints, the way a student checks it by hand: each
 * equation of a TeX line is split at its top-level "=" and "\approx"; a segment made only of
 * printed numbers (a \times 10^{k} included), + and -, \cdot, products of brackets written side by
 * side, squares and matrices is evaluated from the numbers as printed, and the segment after it,
 * when it is a single number or matrix, is the total it has to give. Written independently of
 * src/problems/arithmetic.ts, which prints those lines.
 */

export type Value = number | number[][];

export interface ArithmeticCheck {
  equation: string;
  expression: string;
  total: string;
  /** the expression evaluated from its printed numbers */
  value: Value;
  ok: boolean;
}

/** ± sequences no printed arithmetic should contain: "+ -", "\cdot -", "- -". */
export const BAD_SIGNS = /\+\s*-|\\cdot\s*-|(?:^|[\s([{=])-\s*-/;

/** Splits at top-level separators (outside braces, brackets, parentheses and environments). */
function splitTopLevel(tex: string, separators: RegExp): string[] {
  const out: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < tex.length; i++) {
    const rest = tex.slice(i);
    const env = /^\\(begin|end)\{[A-Za-z*]+\}/.exec(rest);
    if (env) {
      depth += env[1] === 'begin' ? 1 : -1;
      i += env[0].length - 1;
      continue;
    }
    const ch = tex[i]!;
    if (ch === '\\') {
      // a command: skip its name, so \{ \} \left( … are read as what they are
      const m = /^\\([A-Za-z]+|.)/.exec(rest)!;
      if (m[1] === 'left') depth++;
      if (m[1] === 'right') depth--;
      const sep = depth === 0 ? separators.exec(rest) : null;
      if (sep && sep.index === 0) {
        out.push(tex.slice(start, i));
        start = i + sep[0].length;
        i = start - 1;
        continue;
      }
      i += m[0].length - 1;
      continue;
    }
    if ('{[('.includes(ch)) depth++;
    else if ('}])'.includes(ch)) depth--;
    else if (depth === 0) {
      const sep = separators.exec(rest);
      if (sep && sep.index === 0) {
        out.push(tex.slice(start, i));
        start = i + sep[0].length;
        i = start - 1;
      }
    }
  }
  out.push(tex.slice(start));
  return out.map((s) => s.trim());
}

/** The equations of one displayed line: pieces set apart by \quad, \qquad (and a comma before them). */
export function equationsOf(math: string): string[] {
  return splitTopLevel(math, /^(?:,?\s*\\q?quad\b)/).filter((e) => e.length > 0);
}

/** The sides of an equation, at its top-level = and \approx. */
export function sidesOf(equation: string): string[] {
  return splitTopLevel(equation, /^(?:=|\\approx\b)/);
}

type Token =
  | { kind: 'number'; value: number; text: string }
  | { kind: 'matrix'; value: number[][]; texts: string[] }
  | { kind: 'op'; op: '+' | '-' | '*' | '(' | ')' | '^2' };

const NUMBER = /^(\d+(?:\.\d+)?|\.\d+)(?:\s*\\times\s*10\^\{(-?\d+)\})?/;

function numberText(m: RegExpExecArray): { value: number; text: string } {
  return { value: Number(m[2] !== undefined ? `${m[1]}e${m[2]}` : m[1]), text: m[2] !== undefined ? `${m[1]}e${m[2]}` : m[1]! };
}

/** A matrix's entries: each a number with an optional minus, nothing else. */
function matrixEntries(body: string): { value: number[][]; texts: string[] } | null {
  const texts: string[] = [];
  const value = body.split('\\\\').map((row) => row.split('&').map((cell) => {
    const c = cell.trim();
    const m = /^(-?)\s*(.*)$/.exec(c)!;
    const n = NUMBER.exec(m[2]!);
    if (!n || n[0].length !== m[2]!.length) return NaN;
    const { value: v, text } = numberText(n);
    texts.push(`${m[1]}${text}`);
    return m[1] ? -v : v;
  }));
  if (value.some((row) => row.some((v) => Number.isNaN(v))) || value.some((row) => row.length !== value[0]!.length)) return null;
  return { value, texts };
}

function tokenize(segment: string): Token[] | null {
  const tokens: Token[] = [];
  let s = segment
    .replace(/\\(?:big|Big|bigg|Bigg)[lr]?\s*([[\]()])/g, '$1')
    .replace(/\\(?:left|right)\s*([[\]()])/g, '$1')
    .replace(/\\[,;!]|\\ /g, ' ')
    .trim();
  while (s.length > 0) {
    let m: RegExpExecArray | null;
    if ((m = /^\s+/.exec(s))) { s = s.slice(m[0].length); continue; }
    if ((m = /^\\begin\{bmatrix\}([\s\S]*?)\\end\{bmatrix\}/.exec(s))) {
      const entries = matrixEntries(m[1]!);
      if (!entries) return null;
      tokens.push({ kind: 'matrix', ...entries });
    } else if ((m = NUMBER.exec(s))) {
      tokens.push({ kind: 'number', ...numberText(m) });
    } else if ((m = /^\\cdot\b/.exec(s))) {
      tokens.push({ kind: 'op', op: '*' });
    } else if ((m = /^\^(?:2|\{2\})/.exec(s))) {
      tokens.push({ kind: 'op', op: '^2' });
    } else if ((m = /^[-+]/.exec(s))) {
      tokens.push({ kind: 'op', op: m[0] as '+' | '-' });
    } else if ((m = /^[([]/.exec(s))) {
      tokens.push({ kind: 'op', op: '(' });
    } else if ((m = /^[)\]]/.exec(s))) {
      tokens.push({ kind: 'op', op: ')' });
    } else {
      return null; // a symbol, a function, a fraction: not plain arithmetic
    }
    s = s.slice(m[0].length);
  }
  return tokens;
}

function add(a: Value, b: Value, sign: 1 | -1): Value {
  if (typeof a === 'number' && typeof b === 'number') return a + sign * b;
  if (typeof a === 'number' || typeof b === 'number' || a.length !== b.length || a[0]!.length !== b[0]!.length) throw new Error('shape');
  return a.map((row, i) => row.map((v, j) => v + sign * b[i]![j]!));
}

function mul(a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (typeof a === 'number') return (b as number[][]).map((row) => row.map((v) => a * v));
  if (typeof b === 'number') return a.map((row) => row.map((v) => v * b));
  if (a[0]!.length !== b.length) throw new Error('shape');
  return a.map((row) => b[0]!.map((_, j) => row.reduce((acc, v, k) => acc + v * b[k]![j]!, 0)));
}

/**
 * The value of a segment of plain arithmetic from its printed numbers, and how many operations it
 * has (0: a lone number); null when it is not plain arithmetic.
 */
export function evaluate(segment: string): { value: Value; operations: number } | null {
  const parsed = tokenize(segment);
  if (!parsed || parsed.length === 0) return null;
  const tokens: Token[] = parsed;
  let pos = 0, operations = 0;
  const peek = () => tokens[pos];
  const isOp = (t: Token | undefined, op: string) => t?.kind === 'op' && t.op === op;
  const startsFactor = (t: Token | undefined) => t !== undefined && (t.kind !== 'op' || t.op === '(');
  function expr(): Value {
    let v = term();
    for (;;) {
      const t = peek();
      if (isOp(t, '+') || isOp(t, '-')) {
        pos++;
        operations++;
        v = add(v, term(), (t as { op: string }).op === '+' ? 1 : -1);
      } else return v;
    }
  }
  function term(): Value {
    let v = signed();
    for (;;) {
      const t = peek();
      if (isOp(t, '*')) { pos++; operations++; v = mul(v, signed()); }
      else if (startsFactor(t)) { operations++; v = mul(v, signed()); }
      else return v;
    }
  }
  function signed(): Value {
    if (isOp(peek(), '-')) { pos++; return mul(-1, signed()); }
    return power();
  }
  function power(): Value {
    const v = atom();
    if (isOp(peek(), '^2')) { pos++; operations++; return mul(v, v); }
    return v;
  }
  function atom(): Value {
    const t = tokens[pos++];
    if (!t) throw new Error('end');
    if (t.kind === 'number' || t.kind === 'matrix') return t.value;
    if (t.op === '(') {
      const v = expr();
      if (!isOp(tokens[pos++], ')')) throw new Error('bracket');
      return v;
    }
    throw new Error(`unexpected ${t.op}`);
  }
  try {
    const value = expr();
    return pos === tokens.length ? { value, operations } : null;
  } catch {
    return null;
  }
}

/** A segment that is a single printed number or matrix: its value and each entry's text. */
export function totalOf(segment: string): { value: Value; texts: string[] } | null {
  const tokens = tokenize(segment);
  if (!tokens) return null;
  if (tokens.length === 1 && tokens[0]!.kind === 'matrix') return { value: tokens[0]!.value, texts: tokens[0]!.texts };
  const neg = tokens.length === 2 && tokens[0]!.kind === 'op' && tokens[0]!.op === '-';
  const n = tokens[neg ? 1 : 0];
  if (tokens.length !== (neg ? 2 : 1) || n?.kind !== 'number') return null;
  return { value: neg ? -n.value : n.value, texts: [`${neg ? '-' : ''}${n.text}`] };
}

/** One unit in the last digit a number's text shows ("0.001723" → 1e-6, "-2.500e-5" → 1e-8, "0" → 0). */
export function unitOfLastDigit(text: string): number {
  if (Number(text) === 0) return 0;
  const [mant, exp] = text.replace('-', '').split('e') as [string, string | undefined];
  const decimals = mant.includes('.') ? mant.split('.')[1]!.length : 0;
  return 10 ** (Number(exp ?? 0) - decimals);
}

/** Whether a value reproduces a printed total: within one unit of its last digit, or 1e-3 of it. */
export function reproduces(value: Value, total: { value: Value; texts: string[] }): boolean {
  const vs = typeof value === 'number' ? [value] : value.flat();
  const ts = typeof total.value === 'number' ? [total.value] : total.value.flat();
  if (vs.length !== ts.length) return false;
  if (typeof value !== typeof total.value) return false;
  return vs.every((v, n) => {
    const off = Math.abs(v - ts[n]!);
    return off <= unitOfLastDigit(total.texts[n]!) * (1 + 1e-9) + 1e-15 || off <= 1e-3 * Math.abs(ts[n]!);
  });
}

/** Every "arithmetic = total" of a displayed line, checked. */
export function arithmeticChecks(math: string): ArithmeticCheck[] {
  const checks: ArithmeticCheck[] = [];
  for (const equation of equationsOf(math)) {
    const sides = sidesOf(equation);
    for (let n = 0; n + 1 < sides.length; n++) {
      const expr = evaluate(sides[n]!);
      if (!expr || expr.operations === 0) continue;
      const total = totalOf(sides[n + 1]!);
      if (!total) continue;
      checks.push({ equation, expression: sides[n]!, total: sides[n + 1]!, value: expr.value, ok: reproduces(expr.value, total) });
    }
  }
  return checks;
}
