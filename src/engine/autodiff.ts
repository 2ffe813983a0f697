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
 * Storage is a plain number[] (V8 keeps it as packed doubles), not Float64Array: the tensors here
 * have at most a few dozen entries, and allocating a small Float64Array was measured at ~1 µs
 * against ~0.2 µs for an array — allocation, not arithmetic, dominates a graph of tiny tensors.
 */

/** The values of one tensor, row-major. */
export type Data = number[];

/** n zeros. */
export function zeros(n: number): Data {
  const out: Data = [];
  for (let i = 0; i < n; i++) out.push(0);
  return out;
}

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
    readonly parents: readonly Node[] = [],
    /** Adds this node's gradient, through the op, into its parents' gradients. */
    readonly backwardStep: ((self: Node) => void) | null = null,
    readonly op: string = 'leaf',
  ) {}

  get size(): number {
    return this.value.length;
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
  return new Node(p.value, p.rows, p.cols, [p], (self) => addInto(p.grad, self.grad), 'use');
}

function addInto(target: Data, source: Data): void {
  for (let i = 0; i < target.length; i++) target[i]! += source[i]!;
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
  return new Node(out, n, p, [a, b], (self) => {
    // dA = dOut · Bᵀ, dB = Aᵀ · dOut
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++) {
        const g = self.grad[i * p + j]!;
        if (g === 0) continue;
        for (let k = 0; k < m; k++) {
          a.grad[i * m + k]! += g * b.value[k * p + j]!;
          b.grad[k * p + j]! += a.value[i * m + k]! * g;
        }
      }
    }
  }, 'matmul');
}

export function add(a: Node, b: Node): Node {
  sameShape(a, b, 'add');
  const out = zeros(a.size);
  for (let i = 0; i < out.length; i++) out[i] = a.value[i]! + b.value[i]!;
  return new Node(out, a.rows, a.cols, [a, b], (self) => {
    addInto(a.grad, self.grad);
    addInto(b.grad, self.grad);
  }, 'add');
}

export function sub(a: Node, b: Node): Node {
  sameShape(a, b, 'sub');
  const out = zeros(a.size);
  for (let i = 0; i < out.length; i++) out[i] = a.value[i]! - b.value[i]!;
  return new Node(out, a.rows, a.cols, [a, b], (self) => {
    for (let i = 0; i < out.length; i++) {
      a.grad[i]! += self.grad[i]!;
      b.grad[i]! -= self.grad[i]!;
    }
  }, 'sub');
}

/** Elementwise (Hadamard) product a ⊙ b. */
export function mul(a: Node, b: Node): Node {
  sameShape(a, b, 'mul');
  const out = zeros(a.size);
  for (let i = 0; i < out.length; i++) out[i] = a.value[i]! * b.value[i]!;
  return new Node(out, a.rows, a.cols, [a, b], (self) => {
    for (let i = 0; i < out.length; i++) {
      a.grad[i]! += self.grad[i]! * b.value[i]!;
      b.grad[i]! += self.grad[i]! * a.value[i]!;
    }
  }, 'mul');
}

/** Elementwise tanh; its derivative 1 − tanh² (MATH.md §1). */
export function tanh(a: Node): Node {
  const out = a.value.map(Math.tanh);
  return new Node(out, a.rows, a.cols, [a], (self) => {
    for (let i = 0; i < out.length; i++) a.grad[i]! += self.grad[i]! * (1 - out[i]! * out[i]!);
  }, 'tanh');
}

/** Elementwise logistic σ(x) = 1/(1 + e^−x); its derivative σ(1 − σ) (MATH.md §1). */
export function sigmoid(a: Node): Node {
  const out = a.value.map(logistic);
  return new Node(out, a.rows, a.cols, [a], (self) => {
    for (let i = 0; i < out.length; i++) a.grad[i]! += self.grad[i]! * out[i]! * (1 - out[i]!);
  }, 'sigmoid');
}

export function logistic(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** ½‖a‖², a 1×1 scalar. */
export function halfSquaredNorm(a: Node): Node {
  let s = 0;
  for (const v of a.value) s += v * v;
  return new Node([0.5 * s], 1, 1, [a], (self) => {
    const g = self.grad[0]!;
    for (let i = 0; i < a.size; i++) a.grad[i]! += g * a.value[i]!;
  }, 'halfSquaredNorm');
}

/** Sum of nodes of one shape (the summed loss Σ_t L_t). */
export function sum(terms: readonly Node[]): Node {
  const first = terms[0];
  if (!first) throw new RangeError('sum: no terms');
  const out = zeros(first.size);
  for (const t of terms) {
    sameShape(first, t, 'sum');
    addInto(out, t.value);
  }
  return new Node(out, first.rows, first.cols, terms, (self) => {
    for (const t of terms) addInto(t.grad, self.grad);
  }, 'sum');
}

/** Nodes reachable from `root`, each after all of its parents (iterative: long sequences are deep). */
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
    if (i < node.parents.length) {
      next[top] = i + 1;
      const parent = node.parents[i]!;
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
 * Reverse pass from `root`. Zeroes every gradient in the graph first, so it can be run again
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
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i]!;
    node.backwardStep?.(node);
  }
}
