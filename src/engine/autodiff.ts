/**
 * A small reverse-mode automatic differentiation engine over dense matrices (micrograd's idea,
 * on small dense tensors). One node type; ops are functions; gradients are accumulated with
 * `+=`, so a weight used at every time step receives the sum of its per-use gradients.
 *
 * Per-use gradients (∂L/∂U^(k), MATH.md §2) come from `use(p)`: an identity node standing for
 * one use of a parameter. Its own `.grad` after `backward` is the gradient with respect to that
 * use alone; its backward step adds that into the parameter's `.grad`.
 *
 * Every value is a rows×cols matrix stored row-major; a vector is a column (n×1), a scalar 1×1.
 *
 * Built for graphs of thousands of tiny tensors, where allocation, not arithmetic, is the cost
 * (measured): storage is a plain number[] (V8 keeps it as packed doubles; allocating a small
 * Float64Array took ~1 µs against ~0.2 µs), and a node records its op as a code with at most two
 * inputs, its backward rule living in one switch, rather than carrying a closure and a parents
 * array of its own.
 */

/** The values of one tensor, row-major. */
export type Data = number[];

/** n zeros. */
export function zeros(n: number): Data {
  const out: Data = [];
  for (let i = 0; i < n; i++) out.push(0);
  return out;
}

export type Op = 'leaf' | 'use' | 'matmul' | 'add' | 'sub' | 'mul' | 'tanh' | 'sigmoid' | 'halfSquaredNorm' | 'sum';

const NO_GRAD: Data = [];
let visitEpoch = 0;

export class Node {
  /** ∂(objective)/∂(this node), filled by `backward`; allocated there, for the nodes it reaches */
  grad: Data = NO_GRAD;
  /** the last topological sort that reached this node (cheaper than a Set per sort) */
  visited = 0;

  constructor(
    readonly value: Data,
    readonly rows: number,
    readonly cols: number,
    readonly op: Op = 'leaf',
    /** the op's inputs (`terms` holds them for `sum`) */
    readonly a: Node | null = null,
    readonly b: Node | null = null,
    readonly terms: readonly Node[] | null = null,
  ) {}

  get size(): number {
    return this.value.length;
  }

  /** The op's inputs, in order. */
  get parents(): readonly Node[] {
    if (this.terms) return this.terms;
    return this.b ? [this.a!, this.b] : this.a ? [this.a] : [];
  }

  /** The value as an array of rows. */
  toRows(): number[][] {
    return toRows(this.value, this.rows, this.cols);
  }

  /** The gradient as an array of rows. */
  gradRows(): number[][] {
    return toRows(this.grad, this.rows, this.cols);
  }
}

/** Plain arrays of rows. */
function toRows(data: Data, rows: number, cols: number): number[][] {
  const out: number[][] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    const row: number[] = new Array(cols);
    for (let c = 0; c < cols; c++) row[c] = data[r * cols + c]!;
    out[r] = row;
  }
  return out;
}

/** A copy of a column's values. */
export function toArray(data: Data): number[] {
  return data.slice();
}

/** A leaf from an array of rows (a matrix) — parameters and inputs. */
export function matrix(rows: readonly (readonly number[])[]): Node {
  const r = rows.length;
  const c = r === 0 ? 0 : rows[0]!.length;
  const data: Data = [];
  for (const row of rows) for (let j = 0; j < c; j++) data.push(row[j]!);
  return new Node(data, r, c);
}

/** A leaf column vector. */
export function vector(values: readonly number[]): Node {
  return new Node(values.slice(), values.length, 1);
}

/** One use of a parameter: identity forward; its gradient is the per-use gradient. */
export function use(p: Node): Node {
  return new Node(p.value, p.rows, p.cols, 'use', p);
}

function sameShape(a: Node, b: Node, op: string): void {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new RangeError(`${op}: shapes ${a.rows}×${a.cols} and ${b.rows}×${b.cols} differ`);
  }
}

/** A·B (matrix product; A·x when B is a column). */
export function matmul(a: Node, b: Node): Node {
  if (a.cols !== b.rows) throw new RangeError(`matmul: ${a.rows}×${a.cols} · ${b.rows}×${b.cols}`);
  const n = a.rows, m = a.cols, p = b.cols;
  const out = zeros(n * p);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a.value[i * m + k]!;
      for (let j = 0; j < p; j++) out[i * p + j]! += aik * b.value[k * p + j]!;
    }
  }
  return new Node(out, n, p, 'matmul', a, b);
}

function elementwise(a: Node, b: Node, op: 'add' | 'sub' | 'mul'): Node {
  sameShape(a, b, op);
  const x = a.value, y = b.value;
  const out: Data = [];
  for (let i = 0; i < x.length; i++) out.push(op === 'add' ? x[i]! + y[i]! : op === 'sub' ? x[i]! - y[i]! : x[i]! * y[i]!);
  return new Node(out, a.rows, a.cols, op, a, b);
}

export const add = (a: Node, b: Node): Node => elementwise(a, b, 'add');
export const sub = (a: Node, b: Node): Node => elementwise(a, b, 'sub');
/** Elementwise (Hadamard) product a ⊙ b. */
export const mul = (a: Node, b: Node): Node => elementwise(a, b, 'mul');

/** Elementwise tanh; its derivative 1 − tanh² (MATH.md §1). */
export function tanh(a: Node): Node {
  return new Node(a.value.map(Math.tanh), a.rows, a.cols, 'tanh', a);
}

/** Elementwise logistic σ(x) = 1/(1 + e^−x); its derivative σ(1 − σ) (MATH.md §1). */
export function sigmoid(a: Node): Node {
  return new Node(a.value.map(logistic), a.rows, a.cols, 'sigmoid', a);
}

export function logistic(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** ½‖a‖², a 1×1 scalar. */
export function halfSquaredNorm(a: Node): Node {
  let s = 0;
  for (const v of a.value) s += v * v;
  return new Node([0.5 * s], 1, 1, 'halfSquaredNorm', a);
}

/** Sum of nodes of one shape (the summed loss Σ_t L_t). */
export function sum(terms: readonly Node[]): Node {
  const first = terms[0];
  if (!first) throw new RangeError('sum: no terms');
  const out = zeros(first.size);
  for (const t of terms) {
    sameShape(first, t, 'sum');
    for (let i = 0; i < out.length; i++) out[i]! += t.value[i]!;
  }
  return new Node(out, first.rows, first.cols, 'sum', null, null, terms.slice());
}

/** Adds node's gradient, through its op, into its inputs' gradients. */
function backwardStep(node: Node): void {
  const g = node.grad;
  const a = node.a, b = node.b;
  switch (node.op) {
    case 'leaf':
      return;
    case 'use':
      for (let i = 0; i < g.length; i++) a!.grad[i]! += g[i]!;
      return;
    case 'matmul': {
      // dA = dOut · Bᵀ, dB = Aᵀ · dOut
      const n = a!.rows, m = a!.cols, p = b!.cols;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < p; j++) {
          const gij = g[i * p + j]!;
          if (gij === 0) continue;
          for (let k = 0; k < m; k++) {
            a!.grad[i * m + k]! += gij * b!.value[k * p + j]!;
            b!.grad[k * p + j]! += a!.value[i * m + k]! * gij;
          }
        }
      }
      return;
    }
    case 'add':
      for (let i = 0; i < g.length; i++) {
        a!.grad[i]! += g[i]!;
        b!.grad[i]! += g[i]!;
      }
      return;
    case 'sub':
      for (let i = 0; i < g.length; i++) {
        a!.grad[i]! += g[i]!;
        b!.grad[i]! -= g[i]!;
      }
      return;
    case 'mul':
      for (let i = 0; i < g.length; i++) {
        a!.grad[i]! += g[i]! * b!.value[i]!;
        b!.grad[i]! += g[i]! * a!.value[i]!;
      }
      return;
    case 'tanh':
      for (let i = 0; i < g.length; i++) a!.grad[i]! += g[i]! * (1 - node.value[i]! * node.value[i]!);
      return;
    case 'sigmoid':
      for (let i = 0; i < g.length; i++) a!.grad[i]! += g[i]! * node.value[i]! * (1 - node.value[i]!);
      return;
    case 'halfSquaredNorm':
      for (let i = 0; i < a!.size; i++) a!.grad[i]! += g[0]! * a!.value[i]!;
      return;
    case 'sum':
      for (const t of node.terms!) for (let i = 0; i < g.length; i++) t.grad[i]! += g[i]!;
      return;
  }
}

/** Nodes reachable from `root`, each after all of its inputs (iterative: long sequences are deep). */
export function topologicalOrder(root: Node): Node[] {
  const epoch = ++visitEpoch;
  const order: Node[] = [];
  const nodes: Node[] = [root];
  const next: number[] = [0];
  root.visited = epoch;
  while (nodes.length > 0) {
    const top = nodes.length - 1;
    const node = nodes[top]!;
    const i = next[top]!;
    const parent = i === 0 ? (node.terms ? node.terms[0] : node.a) : i === 1 && !node.terms ? node.b : node.terms?.[i];
    if (parent) {
      next[top] = i + 1;
      if (parent.visited !== epoch) {
        parent.visited = epoch;
        nodes.push(parent);
        next.push(0);
      }
    } else {
      nodes.pop();
      next.pop();
      order.push(node);
    }
  }
  return order;
}

/**
 * Reverse pass from `root`. Starts every gradient in the graph at zero, so it can be run again
 * from another root or seed; `seed` is ∂(objective)/∂root (default 1 for a scalar root).
 */
export function backward(root: Node, seed?: ArrayLike<number>): void {
  const order = topologicalOrder(root);
  for (const node of order) node.grad = zeros(node.value.length);
  if (seed) {
    if (seed.length !== root.size) throw new RangeError('backward: seed size differs from root');
    for (let i = 0; i < seed.length; i++) root.grad[i] = seed[i]!;
  } else {
    if (root.size !== 1) throw new RangeError('backward: a non-scalar root needs a seed');
    root.grad[0] = 1;
  }
  for (let i = order.length - 1; i >= 0; i--) backwardStep(order[i]!);
}
