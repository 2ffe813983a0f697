/**
 * How a closed-form computation is carried out: exactly (the default), the way a student with a
 * calculator does it (every written-down quantity rounded), or with one of the catalogued
 * mistakes. The closed forms of rnn.ts and lstm.ts take a Convention, so the generator can ask
 * "what would this mistake give?" and "what does rounding do?" of the same code that is tested
 * against the autodiff engine.
 */

export interface Convention {
  /** applied to every quantity a student writes down (identity when exact) */
  round: (x: number) => number;
  /** tanh'(a), given a and t = tanh(a); correct: 1 − t² */
  tanhPrime: (a: number, t: number) => number;
  /** σ'(a), given a and s = σ(a); correct: s(1 − s) */
  sigmoidPrime: (a: number, s: number) => number;
  /** ∂L_t/∂o_t from o and y; correct: o − y */
  outputError: (o: number, y: number) => number;
  /** back-propagate through (∏ J)ᵀ (correct) or, mistakenly, through ∏ J (W for Wᵀ) */
  transposeBack: boolean;
  /** extra (+1) or missing (−1) factors of W in the long-range product (correct: 0) */
  wPowerShift: -1 | 0 | 1;
  /** LSTM total ∂c_t/∂c_{t−1}: which factors of docs/math.md §3.2 are kept */
  cell: { throughH: boolean; outputGate: boolean; tanhPrimeCell: boolean; cellIsCurrent: boolean };
  /** L_t = ½‖y_t − o_t‖² (correct) or, without the ½, ‖y_t − o_t‖² */
  lossHalf: boolean;
  /** the forward pass applies tanh, s_t = tanh(θ_t) (correct), or forgets it, s_t = θ_t */
  forwardTanh: boolean;
  /** the factor ∂θ_k/∂W^(k) in the W term: s_{k−1} (correct) or, mistakenly, s_k */
  immediateState: 'previous' | 'current';
  /** the tanh' in ∂s_j/∂s_{j−1} taken at step j, 1 − s_j² (correct: 0), or at step j − 1, 1 − s_{j−1}² (−1) */
  jacobianStep: 0 | -1;
  /** ∏_{j=k+1}^{t} ∂s_j/∂s_{j−1} multiplied latest step on the left, J_t···J_{k+1} (correct), or reversed, J_{k+1}···J_t */
  productOrder: 'latest-left' | 'reversed';
  /** the backward pass multiplies the output error by ∂o_t/∂s_t = V (correct) or leaves V out (defined when K = H) */
  outputWeight: boolean;
  /** LSTM BPTT: which paths from step t+1 back to h_t are kept (docs/math.md §3.3: through every gate, o_{t+1} among them) */
  lstmBack: { throughH: boolean; outputGate: boolean };
  /**
   * GRU (docs/math.md §5): `updateSwapped`, the other convention h_t = (1 − z_t) h_{t−1} + z_t n_t
   * (correct: z_t carries h_{t−1}); `resetAfter`, the reset gate applied after W_hn,
   * n_t = tanh(W_xn x_t + r_t ⊙ (W_hn h_{t−1}) + b_n) (correct: before, W_hn (r_t ⊙ h_{t−1}));
   * `directOnly`, ∂h_t/∂h_{t−1} taken as its direct term alone, diag(z_t) (correct: the total)
   */
  gru: { updateSwapped: boolean; resetAfter: boolean; directOnly: boolean };
}

/** The exact convention's rounding: none. Closed forms skip copying arrays through it. */
export const noRounding = (x: number): number => x;

export const EXACT: Convention = Object.freeze({
  round: noRounding,
  tanhPrime: (_a: number, t: number) => 1 - t * t,
  sigmoidPrime: (_a: number, s: number) => s * (1 - s),
  outputError: (o: number, y: number) => o - y,
  transposeBack: true,
  wPowerShift: 0,
  cell: Object.freeze({ throughH: true, outputGate: true, tanhPrimeCell: true, cellIsCurrent: false }),
  lossHalf: true,
  forwardTanh: true,
  immediateState: 'previous',
  jacobianStep: 0,
  productOrder: 'latest-left',
  outputWeight: true,
  lstmBack: Object.freeze({ throughH: true, outputGate: true }),
  gru: Object.freeze({ updateSwapped: false, resetAfter: false, directOnly: false }),
}) as Convention;

/**
 * Rounds to `digits` significant figures, the way a calculator display is copied down.
 * Arithmetic rather than toPrecision (which goes through a string): the generator calls this
 * millions of times; the result may differ from the decimal by an ulp, which no model of a
 * student's rounding cares about.
 */
export function roundSignificant(x: number, digits: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const scale = 10 ** (digits - 1 - Math.floor(Math.log10(Math.abs(x))));
  return Number.isFinite(scale) && scale !== 0 ? Math.round(x * scale) / scale : Number(x.toPrecision(digits));
}

const handConventions = new Map<number, Convention>();

/**
 * The exact convention with every written-down quantity rounded to `digits` significant figures
 * (one object per digits, so results can be memoised on it).
 */
export function byHand(digits: number): Convention {
  let conv = handConventions.get(digits);
  if (!conv) {
    conv = Object.freeze({ ...EXACT, round: (x: number) => roundSignificant(x, digits) });
    handConventions.set(digits, conv);
  }
  return conv;
}

/**
 * Rounding helpers for the closed forms: apply `conv.round` to every entry of a vector or matrix,
 * or hand the array back untouched when the convention does not round (the exact and the
 * mistake conventions), sparing a copy of every intermediate.
 */
export function rounders(conv: Convention): { r: (v: number[]) => number[]; rm: (m: number[][]) => number[][] } {
  if (conv.round === noRounding) return { r: (v) => v, rm: (m) => m };
  const r = (v: number[]) => v.map(conv.round);
  return { r, rm: (m) => m.map(r) };
}
