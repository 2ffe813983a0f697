/**
 * The misconception catalogue, shared by the generator (which keeps every catalogued mistake
 * distinguishable from the right answer) and the grader (which names the mistake a wrong answer
 * matches). Explanations use the notes' terms and never state the right number.
 */
import { EXACT, type Convention } from '../models/convention.js';

export interface Mistake {
  /** short name, shown in reports */
  name: string;
  /** what went wrong and what the notes say instead, for the student */
  explanation: string;
  /** the Convention that reproduces the mistake in the closed forms, if it is one */
  convention?: Partial<Convention>;
  /**
   * The generator version that first catalogued it (default 1): a variant drawn by an older
   * version neither lists it nor was redrawn for it, so its key stays as it was.
   */
  since?: number;
}

export const MISTAKES = {
  'tanh-prime-as-tanh': {
    name: "tanh' taken as tanh",
    explanation: "You used tanh(θ) where the derivative tanh'(θ) = 1 − tanh²(θ) belongs.",
    convention: { tanhPrime: (_a: number, t: number) => t },
  },
  'tanh-prime-of-preactivation': {
    name: "tanh' as 1 − θ²",
    explanation: "You wrote tanh'(θ) as 1 − θ² on the pre-activation; it is 1 − tanh²(θ) = 1 − s², squaring the state, not θ.",
    convention: { tanhPrime: (a: number) => 1 - a * a },
  },
  'missing-tanh-prime': {
    name: "tanh' factor missing",
    explanation: "A factor tanh'(·) = 1 − tanh²(·) is missing: every step through a tanh multiplies by it (in the RNN, ∂s_j/∂s_{j−1} = tanh'(θ_j)·W; in the LSTM, through g_t and through tanh(c_t)).",
    convention: { tanhPrime: () => 1 },
  },
  'sigmoid-prime-as-sigmoid': {
    name: "σ' taken as σ",
    explanation: "You used σ(x) where its derivative σ'(x) = σ(x)(1 − σ(x)) belongs.",
    convention: { sigmoidPrime: (_a: number, s: number) => s },
  },
  'sigma-tanh-prime-swapped': {
    name: "σ' and tanh' swapped",
    explanation: "You swapped the derivatives: σ' = σ(1 − σ) belongs to the f, i, o gates and tanh' = 1 − tanh² to g_t and tanh(c_t).",
    convention: { tanhPrime: (_a: number, t: number) => t * (1 - t), sigmoidPrime: (_a: number, s: number) => 1 - s * s },
  },
  'error-sign': {
    name: '(y − o) sign flipped',
    explanation: 'The sign is flipped: for L = ½‖y − ŷ‖² the derivative with respect to the output is (output − target), o − y (ŷ − y for the LSTM), not y − o.',
    convention: { outputError: (o: number, y: number) => y - o },
  },
  'last-term-only': {
    name: 'only the k = T term',
    explanation: 'This is only the k = T term. The weight is shared across time steps, so the gradient is the sum of its per-step terms, ∂L_T/∂W = Σ_k ∂L_T/∂W^(k): add the terms of every earlier step.',
  },
  'w-power-plus-one': {
    name: "W's power one too high",
    explanation: 'One factor W too many: the term for step k has t − k factors ∂s_j/∂s_{j−1} (j = k+1 … t), each with one W.',
    convention: { wPowerShift: 1 },
  },
  'w-power-minus-one': {
    name: "W's power one too low",
    explanation: 'One factor W too few: the term for step k has t − k factors ∂s_j/∂s_{j−1} (j = k+1 … t), each with one W.',
    convention: { wPowerShift: -1 },
  },
  'w-not-transposed': {
    name: 'W where Wᵀ belongs',
    explanation: 'Going backwards through s_j = tanh(W s_{j−1} + …) multiplies the gradient by Wᵀ (the Jacobian transposed), not by W.',
    convention: { transposeBack: false },
  },
  'cell-direct-only': {
    name: '∂c_t/∂c_{t−1} as f_t alone',
    explanation: 'f_t is only the direct path. The total ∂c_t/∂c_{t−1} adds the paths through h_{t−1} into f_t, i_t and g_t (steered by W_hf, W_hi, W_hg).',
    convention: { cell: { ...EXACT.cell, throughH: false } },
  },
  'cell-missing-output-gate': {
    name: 'o_{t−1} factor missing',
    explanation: 'The factor o_{t−1} is missing: h_{t−1} = o_{t−1} ⊙ tanh(c_{t−1}), so ∂h_{t−1}/∂c_{t−1} = o_{t−1}·(1 − tanh²c_{t−1}).',
    convention: { cell: { ...EXACT.cell, outputGate: false } },
  },
  'cell-missing-tanh-prime': {
    name: "tanh'(c_{t−1}) factor missing",
    explanation: "The factor 1 − tanh²(c_{t−1}) is missing: h_{t−1} = o_{t−1} ⊙ tanh(c_{t−1}) goes through tanh.",
    convention: { cell: { ...EXACT.cell, tanhPrimeCell: false } },
  },
  'cell-current-for-previous': {
    name: 'c_t used for c_{t−1}',
    explanation: 'You used c_t where c_{t−1} belongs: the forget-gate path multiplies by c_{t−1}, and h_{t−1} is computed from c_{t−1}.',
    convention: { cell: { ...EXACT.cell, cellIsCurrent: true } },
  },
  'loss-convention': {
    name: 'last-step and summed loss confused',
    explanation: 'The question uses the other loss: L_T is the loss at the final step only; the summed loss is Σ_t L_t. Check which one it asks for.',
  },
  // generator 2
  'lstm-cell-path-only': {
    name: 'only the cell path back through time',
    explanation: 'You carried the error back along the cell path alone, ∂L/∂c_{t−1} = ∂L/∂c_t · f_t. c_{t−1} also reaches the loss through h_{t−1} = o_{t−1} ⊙ tanh(c_{t−1}), which feeds every gate of step t (f_t, i_t, g_t and o_t, through W_hf, W_hi, W_hg and W_ho): ∂L/∂h_{t−1} collects those paths, and ∂L/∂c_{t−1} gets them through o_{t−1} ⊙ (1 − tanh²c_{t−1}).',
    convention: { lstmBack: { ...EXACT.lstmBack, throughH: false } },
    since: 2,
  },
  'lstm-output-gate-path-missing': {
    name: 'output-gate path dropped',
    explanation: 'The path through the output gate is missing: h_{t−1} also feeds o_t (through W_ho), and h_t = o_t ⊙ tanh(c_t), so ∂L/∂h_{t−1} has the term ∂L/∂h_t · tanh(c_t) · σ\'(a^o_t) · W_ho besides the paths into f_t, i_t and g_t.',
    convention: { lstmBack: { ...EXACT.lstmBack, outputGate: false } },
    since: 2,
  },
  'immediate-state-current': {
    name: 's_k used for s_{k−1} in the W term',
    explanation: 'In θ_k = U x_k + W s_{k−1} + b the weight W multiplies the previous state, so the immediate partial is ∂s_k/∂W^(k) = (1 − s_k²) s_{k−1}ᵀ: the state after tanh\' is s_{k−1}, not s_k.',
    convention: { immediateState: 'current' },
    since: 2,
  },
  'tanh-prime-wrong-step': {
    name: "tanh' taken at the wrong step",
    explanation: "In ∂s_j/∂s_{j−1} = diag(1 − s_j²)·W the tanh' belongs to step j, where s_j = tanh(θ_j) is the state being differentiated: use 1 − s_j², not 1 − s_{j−1}².",
    convention: { jacobianStep: -1 },
    since: 2,
  },
  'jacobian-product-reversed': {
    name: 'Jacobian product in reverse order',
    explanation: 'The factors are multiplied in the wrong order. By the chain rule the latest step stands on the left, ∏_{j=k+1}^{t} ∂s_j/∂s_{j−1} = ∂s_t/∂s_{t−1} ⋯ ∂s_{k+1}/∂s_k (for the LSTM cell, ∂c_T/∂c_{T−1} ⋯ ∂c_2/∂c_1), and matrices do not commute.',
    convention: { productOrder: 'reversed' },
    since: 2,
  },
  'missing-output-weight': {
    name: 'V (∂o/∂s) factor missing',
    explanation: 'The factor ∂o_t/∂s_t = V is missing: the error at the output reaches the state through o_t = V s_t + c, so ∂L/∂s_t = Vᵀ(o_t − y_t) (in the LSTM, ∂L/∂h_t = Vᵀ(ŷ_t − y_t) through ŷ_t = V h_t + b_y).',
    convention: { outputWeight: false },
    since: 2,
  },
  'loss-missing-half': {
    name: '½ missing from the loss',
    explanation: 'The loss is L_t = ½‖y_t − o_t‖² (ŷ_t for the LSTM\'s output): without the ½ the loss doubles, and its derivative with respect to the output picks up a factor 2 that every gradient after it carries. With the ½ the derivative is just the output minus the target.',
    convention: { lossHalf: false, outputError: (o: number, y: number) => 2 * (o - y) },
    since: 2,
  },
  'forward-no-activation': {
    name: 'tanh forgotten in the forward pass',
    explanation: 'The activation is missing: the state is s_t = tanh(θ_t) with θ_t = U x_t + W s_{t−1} + b, not θ_t itself. Apply tanh at every step before going on to the next one and to the output.',
    convention: { forwardTanh: false },
    since: 2,
  },
  // truncated BPTT (rnn.truncated, docs/math.md §6)
  'truncation-first-k': {
    name: 'the first k terms kept',
    explanation: 'k-step truncation keeps the terms of the last k steps, j = T − k + 1 … T, the steps nearest the loss: the backward pass stops k steps back from step T. You kept the first k terms, j = 1 … k.',
    since: 2,
  },
  'truncation-k-plus-one': {
    name: 'k + 1 terms kept',
    explanation: 'One term too many: the truncated sum runs from j = T − k + 1 to T, which is k terms. Starting at j = T − k keeps k + 1.',
    since: 2,
  },
  'truncation-full-gradient': {
    name: 'the full gradient for the truncated one',
    explanation: 'This is the full BPTT gradient, the sum of every per-step term j = 1 … T. Truncation keeps only the terms of the last k steps and drops the others.',
    since: 2,
  },
  'truncation-error-sign': {
    name: 'the error\'s sign flipped',
    explanation: 'The error of the truncation is what it leaves out: the full gradient minus the truncated one, which is the sum of the dropped terms, not the truncated gradient minus the full one.',
    since: 2,
  },
  // gradient clipping by global norm (rnn.clipping, docs/math.md §6)
  'clip-without-min': {
    name: 'c/‖g‖ without min(1, ·)',
    explanation: 'Clipping multiplies by min(1, c/‖g‖): a gradient whose norm is at most c is left as it is. Multiplying by c/‖g‖ whatever the norm scales a small gradient up to length c, which normalises it rather than clipping it.',
    since: 2,
  },
  'clip-unit-normalise': {
    name: 'divided by ‖g‖ without c',
    explanation: 'You divided by the norm ‖g‖ and left the threshold out: the factor is min(1, c/‖g‖), so a clipped gradient has length c, not length one.',
    since: 2,
  },
  'clip-norm-max-abs': {
    name: 'largest entry for the L2 norm',
    explanation: 'The global norm is the Euclidean (L2) norm of all the listed gradients stacked into one vector: the square root of the sum of the squares of all their entries, not the largest absolute entry.',
    since: 2,
  },
  'clip-norm-l1': {
    name: 'L1 norm for the L2 norm',
    explanation: 'The global norm is the Euclidean (L2) norm of all the listed gradients stacked into one vector: the square root of the sum of the squares of all their entries, not the sum of their absolute values.',
    since: 2,
  },
  'clip-per-tensor': {
    name: 'each gradient clipped by its own norm',
    explanation: 'Clipping by global norm takes one norm over all the listed gradients together and multiplies every one of them by the same factor, so the whole gradient keeps its direction. Clipping each gradient by its own norm uses a different factor for each and turns the direction.',
    since: 2,
  },
  'w-power-counted-from-first': {
    name: "W's power counted from the first step",
    explanation: 'The power of W counts the factors ∂s_j/∂s_{j−1} = (1 − s_j²)·W on the path from the loss back to step k, not the steps before k (the notes\' printed w^{k−1} counts those): the term for the last step has no factor W, and the term for step 1 has the most.',
    since: 2,
  },
  // the GRU (docs/math.md §5)
  'gru-update-swapped': {
    name: 'z_t and 1 − z_t swapped',
    explanation: 'You used the other update convention, h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ n_t, which some texts write (Chung et al. 2014 among them). In the notes the update gate keeps the old state: h_t = z_t ⊙ h_{t−1} + (1 − z_t) ⊙ n_t, so z_t multiplies h_{t−1} (the carry path is diag(z_t)), 1 − z_t multiplies the candidate, and ∂h_t/∂z_t = h_{t−1} − n_t.',
    convention: { gru: { ...EXACT.gru, updateSwapped: true } },
    since: 2,
  },
  'gru-reset-after': {
    name: 'reset gate applied after W_hn',
    explanation: 'You applied the reset gate after the recurrent matrix, n_t = tanh(W_xn x_t + r_t ⊙ (W_hn h_{t−1}) + b_n), as PyTorch\'s nn.GRU does. In the notes it is applied to the state before W_hn: n_t = tanh(W_xn x_t + W_hn (r_t ⊙ h_{t−1}) + b_n), so the backward pass goes through W_hnᵀ first and then through r_t ⊙ h_{t−1}.',
    convention: { gru: { ...EXACT.gru, resetAfter: true } },
    since: 2,
  },
  'gru-direct-only': {
    name: '∂h_t/∂h_{t−1} as diag(z_t) alone',
    explanation: 'diag(z_t) is only the direct term, the carry path z_t ⊙ h_{t−1}. h_{t−1} also feeds the update gate z_t (through W_hz), the candidate n_t (through W_hn, with r_t held fixed) and the reset gate r_t (through W_hr): the total ∂h_t/∂h_{t−1} adds those three paths, and the backward pass carries ∂L/∂h_t back along all of them.',
    convention: { gru: { ...EXACT.gru, directOnly: true } },
    since: 2,
  },
  // the paths from L_T back to W_hf^(k) (lstm.paths, docs/math.md §3.3)
  'lstm-gate-paths-missing': {
    name: 'paths through f, i, g of the next step dropped',
    explanation: 'The paths through the gates of the next step are missing: h_k feeds f_{k+1}, i_{k+1} and g_{k+1} (through W_hf, W_hi, W_hg), and each of them feeds c_{k+1}, so besides the cell path c_{k+1} → c_k and the output-gate path o_{k+1} → h_k the error reaches c_k along c_{k+1} → f_{k+1}, i_{k+1}, g_{k+1} → h_k → c_k — the bracket of the total ∂c_{k+1}/∂c_k.',
    since: 2,
  },
  'lstm-path-wrong-gate': {
    name: 'a path into W_hf through another gate',
    explanation: 'W_hf^(k) is the use of W_hf at step k, and W_hf multiplies h_{k−1} into the forget gate only: a path to it must end c_k → f_k → W_hf^(k). i_k, g_k and o_k are computed with W_hi, W_hg and W_ho.',
    since: 2,
  },
  'lstm-path-wrong-step': {
    name: "a gate sent back to its own step's h",
    explanation: 'Each gate of step t is computed from h_{t−1}, the state of the step before (f_t = σ(W_xf x_t + W_hf h_{t−1} + b_f)); h_t comes after it. The notes cross out f₂ → h₂ → c₁ for this reason: the arrow from a gate of step t goes to h_{t−1}.',
    since: 2,
  },
  'lstm-path-skips-node': {
    name: 'a path that skips a node',
    explanation: 'Every arrow of a path must be one direct dependence: h_t depends on o_t and c_t, c_t on f_t, i_t, g_t and c_{t−1}, each gate of step t on h_{t−1}. A path that jumps from c_{t+1} straight to h_t (or from c_{k+1} straight to f_k) leaves out the node in between.',
    since: 2,
  },
  // the saturation counter-example (concept.saturation, docs/math.md §2.3)
  'judged-by-w-alone': {
    name: 'judged by |W| alone',
    explanation: 'You judged the long-range factor by |W| alone. Each factor is (1 − s_j²)·|W|: when the states sit near ±1 (tanh saturated, often because W itself is large), 1 − s_j² is small enough that every factor is below 1 and the product vanishes however large W is; only states near 0 let |W| > 1 compound into an explosion.',
    since: 2,
  },
  // no value of its own: the grader names it when a total departs from the sum of the student's
  // own per-step terms (a part's `departsMistake`)
  'total-not-sum': {
    name: 'total not the sum of the terms',
    explanation: 'This is not the sum of your own per-step terms. The weight is shared across time steps, so the gradient is the sum of every per-step term, ∂L/∂W = Σ_k ∂L/∂W^(k): add up all your per-step terms.',
    since: 2,
  },
} as const satisfies Record<string, Mistake>;

export type MistakeId = keyof typeof MISTAKES;

/** The generator version that first catalogued a mistake. */
export function mistakeSince(id: MistakeId): number {
  return (MISTAKES[id] as Mistake).since ?? 1;
}

const conventions = new Map<MistakeId, Convention | null>();

/** The Convention reproducing a mistake (one object per mistake, so results can be memoised on it). */
export function mistakeConvention(id: MistakeId): Convention | null {
  if (!conventions.has(id)) {
    const m: Mistake = MISTAKES[id];
    conventions.set(id, m.convention ? Object.freeze({ ...EXACT, ...m.convention }) : null);
  }
  return conventions.get(id)!;
}
