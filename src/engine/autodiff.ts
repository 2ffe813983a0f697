/**
 * A small reverse-mode automatic differentiation engine over dense matrices, kept as a tape (a
 * Wengert list): every op appends one record, and its value and gradient live in two shared
 * Float64Arrays. Records are only ever made from earlier records, so the tape's order is already
 * a topological order and `backward` is one reverse sweep. Gradients are accumulated with `+=`,
 * so a weight used at every time step receives the sum of its per-use gradients.
 *
 * Per-use gradients (∂L/∂U^(k), docs/math.md §2) come from `use(p)`: an identity record standing for
 * one use of a parameter. Its own gradient after `backward` is the gradient with respect to that
 * use alone; its backward step adds that into the parameter's gradient.
 *
 * Every value is a rows×cols matrix stored row-major; a vector is a column (n×1), a scalar 1×1.
 *
 * Why a tape: solving thousands of instances built hundreds of thousands of tiny node objects
 * and arrays, and garbage collection, not arithmetic, was the cost (measured). A tape is reset
 * and reused, so a whole batch allocates almost nothing; one tape serves one graph at a time.
 */

/** A record on a tape: its index. */
export type NodeId = number;

const enum Op { Leaf, Use, MatMul, Add, Sub, Mul, Tanh, Sigmoid, HalfSquaredNorm, Sum }

export function logistic(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function grown<A extends Float64Array | Int32Array>(array: A, needed: number): A {
  if (needed <= array.length) return array;
  let length = array.length * 2;
  while (length < needed) length *= 2;
  const out = new (array.constructor as new (n: number) => A)(length);
  out.set(array);
  return out;
}

export class Tape {
  /** per record: op, inputs a and b (for `sum`: start and count in `terms`), shape, storage offset */
  // Sized for an LSTM with H = 4 over 50 steps, so the solvers' tape rarely grows: growing swaps
  // the arrays under code V8 has optimised for the old ones, and it deoptimises.
  private ops = new Int32Array(4096);
  private as = new Int32Array(4096);
  private bs = new Int32Array(4096);
  private rowCount = new Int32Array(4096);
  private colCount = new Int32Array(4096);
  private offsets = new Int32Array(4096);
  private terms = new Int32Array(64);
  /** during `backward`: 1 for the records the root depends on */
  private reached = new Int32Array(4096);
  /** every record's value, at its offset */
  values = new Float64Array(1 << 15);
  /** every record's gradient, at the same offset; filled by `backward` */
  grads = new Float64Array(1 << 15);
  private count = 0;
  private used = 0;
  private termCount = 0;

  /** Forgets every record; the storage is kept for the next graph. */
  reset(): void {
    this.count = 0;
    this.used = 0;
    this.termCount = 0;
  }

  /** Number of records. */
  get length(): number {
    return this.count;
  }

  rows(id: NodeId): number {
    return this.rowCount[id]!;
  }

  cols(id: NodeId): number {
    return this.colCount[id]!;
  }

  size(id: NodeId): number {
    return this.rowCount[id]! * this.colCount[id]!;
  }

  /** Where the record's entries start in `values` and `grads`. */
  offset(id: NodeId): number {
    return this.offsets[id]!;
  }

  /** Appends a record with zeroed storage; returns its id. */
  private record(op: Op, rows: number, cols: number, a = -1, b = -1): NodeId {
    const id = this.count++;
    if (id >= this.ops.length) {
      const n = id + 1;
      this.ops = grown(this.ops, n); this.as = grown(this.as, n); this.bs = grown(this.bs, n);
      this.rowCount = grown(this.rowCount, n); this.colCount = grown(this.colCount, n); this.offsets = grown(this.offsets, n);
    }
    const size = rows * cols;
    const offset = this.used;
    this.used += size;
    if (this.used > this.values.length) {
      this.values = grown(this.values, this.used);
      this.grads = grown(this.grads, this.used);
    }
    this.values.fill(0, offset, offset + size);
    this.ops[id] = op; this.as[id] = a; this.bs[id] = b;
    this.rowCount[id] = rows; this.colCount[id] = cols; this.offsets[id] = offset;
    return id;
  }

  /** A leaf from an array of rows (a matrix): parameters and inputs. */
  matrix(rows: readonly (readonly number[])[]): NodeId {
    const r = rows.length;
    const c = r === 0 ? 0 : rows[0]!.length;
    const id = this.record(Op.Leaf, r, c);
    const v = this.values;
    let o = this.offsets[id]!;
    for (let i = 0; i < r; i++) {
      const row = rows[i]!;
      for (let j = 0; j < c; j++) v[o++] = row[j]!;
    }
    return id;
  }

  /** A leaf column vector. */
  vector(entries: readonly number[]): NodeId {
    const id = this.record(Op.Leaf, entries.length, 1);
    this.values.set(entries, this.offsets[id]!);
    return id;
  }

  /** One use of a parameter: identity forward; its gradient is the per-use gradient. */
  use(p: NodeId): NodeId {
    const id = this.record(Op.Use, this.rowCount[p]!, this.colCount[p]!, p);
    const o = this.offsets[p]!;
    this.values.copyWithin(this.offsets[id]!, o, o + this.size(p));
    return id;
  }

  /** A·B (matrix product; A·x when B is a column). */
  matmul(a: NodeId, b: NodeId): NodeId {
    const n = this.rowCount[a]!, m = this.colCount[a]!, p = this.colCount[b]!;
    if (m !== this.rowCount[b]) throw new RangeError(`matmul: ${n}×${m} · ${this.rowCount[b]}×${p}`);
    const id = this.record(Op.MatMul, n, p, a, b);
    const v = this.values, oa = this.offsets[a]!, ob = this.offsets[b]!, out = this.offsets[id]!;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < m; k++) {
        const aik = v[oa + i * m + k]!;
        for (let j = 0; j < p; j++) v[out + i * p + j] = v[out + i * p + j]! + aik * v[ob + k * p + j]!;
      }
    }
    return id;
  }

  private elementwise(a: NodeId, b: NodeId, op: Op.Add | Op.Sub | Op.Mul, name: string): NodeId {
    const rows = this.rowCount[a]!, cols = this.colCount[a]!;
    if (rows !== this.rowCount[b] || cols !== this.colCount[b]) {
      throw new RangeError(`${name}: shapes ${rows}×${cols} and ${this.rowCount[b]}×${this.colCount[b]} differ`);
    }
    const id = this.record(op, rows, cols, a, b);
    const v = this.values, oa = this.offsets[a]!, ob = this.offsets[b]!, out = this.offsets[id]!;
    const n = rows * cols;
    if (op === Op.Add) for (let i = 0; i < n; i++) v[out + i] = v[oa + i]! + v[ob + i]!;
    else if (op === Op.Sub) for (let i = 0; i < n; i++) v[out + i] = v[oa + i]! - v[ob + i]!;
    else for (let i = 0; i < n; i++) v[out + i] = v[oa + i]! * v[ob + i]!;
    return id;
  }

  add(a: NodeId, b: NodeId): NodeId {
    return this.elementwise(a, b, Op.Add, 'add');
  }

  sub(a: NodeId, b: NodeId): NodeId {
    return this.elementwise(a, b, Op.Sub, 'sub');
  }

  /** Elementwise (Hadamard) product a ⊙ b. */
  mul(a: NodeId, b: NodeId): NodeId {
    return this.elementwise(a, b, Op.Mul, 'mul');
  }

  /** Elementwise tanh; its derivative 1 − tanh² (docs/math.md §1). */
  tanh(a: NodeId): NodeId {
    const id = this.record(Op.Tanh, this.rowCount[a]!, this.colCount[a]!, a);
    const v = this.values, oa = this.offsets[a]!, out = this.offsets[id]!, n = this.size(a);
    for (let i = 0; i < n; i++) v[out + i] = Math.tanh(v[oa + i]!);
    return id;
  }

  /** Elementwise logistic σ(x) = 1/(1 + e^−x); its derivative σ(1 − σ) (docs/math.md §1). */
  sigmoid(a: NodeId): NodeId {
    const id = this.record(Op.Sigmoid, this.rowCount[a]!, this.colCount[a]!, a);
    const v = this.values, oa = this.offsets[a]!, out = this.offsets[id]!, n = this.size(a);
    for (let i = 0; i < n; i++) v[out + i] = logistic(v[oa + i]!);
    return id;
  }

  /** ½‖a‖², a 1×1 scalar. */
  halfSquaredNorm(a: NodeId): NodeId {
    const id = this.record(Op.HalfSquaredNorm, 1, 1, a);
    const v = this.values, oa = this.offsets[a]!, n = this.size(a);
    let s = 0;
    for (let i = 0; i < n; i++) s += v[oa + i]! * v[oa + i]!;
    v[this.offsets[id]!] = 0.5 * s;
    return id;
  }

  /** Sum of records of one shape (the summed loss Σ_t L_t). */
  sum(ids: readonly NodeId[]): NodeId {
    const first = ids[0];
    if (first === undefined) throw new RangeError('sum: no terms');
    const rows = this.rowCount[first]!, cols = this.colCount[first]!;
    for (const t of ids) {
      if (this.rowCount[t] !== rows || this.colCount[t] !== cols) {
        throw new RangeError(`sum: shapes ${rows}×${cols} and ${this.rowCount[t]}×${this.colCount[t]} differ`);
      }
    }
    const start = this.termCount;
    this.terms = grown(this.terms, start + ids.length);
    for (let k = 0; k < ids.length; k++) this.terms[start + k] = ids[k]!;
    this.termCount += ids.length;
    const id = this.record(Op.Sum, rows, cols, start, ids.length);
    const v = this.values, out = this.offsets[id]!, n = rows * cols;
    for (const t of ids) {
      const o = this.offsets[t]!;
      for (let i = 0; i < n; i++) v[out + i] = v[out + i]! + v[o + i]!;
    }
    return id;
  }

  /**
   * Reverse sweep from `root`: every gradient on the tape starts at zero (so it can be run again
   * from another root or seed); `seed` is ∂(objective)/∂root (default 1 for a scalar root).
   */
  backward(root: NodeId, seed?: ArrayLike<number>): void {
    const g = this.grads, v = this.values;
    g.fill(0, 0, this.used);
    // Only records the root depends on are swept: another record's gradient is zero, but zero
    // times an infinite value (a loss the root does not count, say) would still be NaN.
    this.reached = grown(this.reached, this.count);
    const reached = this.reached;
    reached.fill(0, 0, root + 1);
    reached[root] = 1;
    const o = this.offsets[root]!;
    if (seed) {
      if (seed.length !== this.size(root)) throw new RangeError('backward: seed size differs from root');
      for (let i = 0; i < seed.length; i++) g[o + i] = seed[i]!;
    } else {
      if (this.size(root) !== 1) throw new RangeError('backward: a non-scalar root needs a seed');
      g[o] = 1;
    }
    for (let id = root; id >= 0; id--) {
      if (reached[id] === 0) continue;
      const a = this.as[id]!, b = this.bs[id]!;
      if (this.ops[id] === Op.Sum) for (let k = a; k < a + b; k++) reached[this.terms[k]!] = 1;
      else {
        if (a >= 0) reached[a] = 1;
        if (b >= 0) reached[b] = 1;
      }
      const out = this.offsets[id]!, n = this.size(id);
      const oa = a >= 0 ? this.offsets[a]! : 0, ob = b >= 0 ? this.offsets[b]! : 0;
      switch (this.ops[id] as Op) {
        case Op.Leaf:
          break;
        case Op.Use:
          for (let i = 0; i < n; i++) g[oa + i] = g[oa + i]! + g[out + i]!;
          break;
        case Op.MatMul: {
          // dA = dOut · Bᵀ, dB = Aᵀ · dOut
          const rows = this.rowCount[a]!, m = this.colCount[a]!, p = this.colCount[b]!;
          for (let i = 0; i < rows; i++) {
            for (let j = 0; j < p; j++) {
              const gij = g[out + i * p + j]!;
              if (gij === 0) continue;
              for (let k = 0; k < m; k++) {
                g[oa + i * m + k] = g[oa + i * m + k]! + gij * v[ob + k * p + j]!;
                g[ob + k * p + j] = g[ob + k * p + j]! + v[oa + i * m + k]! * gij;
              }
            }
          }
          break;
        }
        case Op.Add:
          for (let i = 0; i < n; i++) {
            g[oa + i] = g[oa + i]! + g[out + i]!;
            g[ob + i] = g[ob + i]! + g[out + i]!;
          }
          break;
        case Op.Sub:
          for (let i = 0; i < n; i++) {
            g[oa + i] = g[oa + i]! + g[out + i]!;
            g[ob + i] = g[ob + i]! - g[out + i]!;
          }
          break;
        case Op.Mul:
          for (let i = 0; i < n; i++) {
            g[oa + i] = g[oa + i]! + g[out + i]! * v[ob + i]!;
            g[ob + i] = g[ob + i]! + g[out + i]! * v[oa + i]!;
          }
          break;
        case Op.Tanh:
          for (let i = 0; i < n; i++) g[oa + i] = g[oa + i]! + g[out + i]! * (1 - v[out + i]! * v[out + i]!);
          break;
        case Op.Sigmoid:
          for (let i = 0; i < n; i++) g[oa + i] = g[oa + i]! + g[out + i]! * v[out + i]! * (1 - v[out + i]!);
          break;
        case Op.HalfSquaredNorm: {
          const m = this.size(a);
          for (let i = 0; i < m; i++) g[oa + i] = g[oa + i]! + g[out]! * v[oa + i]!;
          break;
        }
        case Op.Sum:
          for (let k = a; k < a + b; k++) {
            const ot = this.offsets[this.terms[k]!]!;
            for (let i = 0; i < n; i++) g[ot + i] = g[ot + i]! + g[out + i]!;
          }
          break;
      }
    }
  }

  /** The record's value: a 1×1 as a number. */
  scalar(id: NodeId): number {
    return this.values[this.offsets[id]!]!;
  }

  /** A copy of the record's entries (a column's values). */
  valueArray(id: NodeId): number[] {
    return toArray(this.values, this.offsets[id]!, this.size(id));
  }

  /** A copy of the record's gradient entries. */
  gradArray(id: NodeId): number[] {
    return toArray(this.grads, this.offsets[id]!, this.size(id));
  }

  /** The value as an array of rows. */
  valueRows(id: NodeId): number[][] {
    return toRows(this.values, this.offsets[id]!, this.rowCount[id]!, this.colCount[id]!);
  }

  /** The gradient as an array of rows. */
  gradRows(id: NodeId): number[][] {
    return toRows(this.grads, this.offsets[id]!, this.rowCount[id]!, this.colCount[id]!);
  }
}

function toArray(data: Float64Array, offset: number, n: number): number[] {
  const out: number[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = data[offset + i]!;
  return out;
}

function toRows(data: Float64Array, offset: number, rows: number, cols: number): number[][] {
  const out: number[][] = new Array(rows);
  for (let r = 0; r < rows; r++) out[r] = toArray(data, offset + r * cols, cols);
  return out;
}

let shared: Tape | null = null;

/**
 * The tape the solvers reuse from one instance to the next (they are synchronous, so one graph
 * is built at a time); after a batch it holds storage for the largest graph seen.
 */
export function sharedTape(): Tape {
  shared ??= new Tape();
  return shared;
}
