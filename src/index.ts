/** gradsheet's public API, listed explicitly. */
export { GradsheetError, isGradsheetError } from './errors.js';
export type { ErrorCode, InputIssue } from './errors.js';
export { parseInstance, instanceSchema, dims, LSTM_WEIGHTS, LSTM_BIASES, LSTM_GATES } from './models/instance.js';
export type { Instance, RnnInstance, LstmInstance, Mat, Vec, LossKind, Gate, LstmWeight, LstmBias } from './models/instance.js';
export { solve, solveInput, solveToJson } from './models/solve.js';
export type { Solution } from './models/solve.js';
export { solveRnn, rnnForward, rnnClosedForm, rnnStateJacobians, jacobianProduct } from './models/rnn.js';
export type { RnnSolution, RnnForward, RnnGradients } from './models/rnn.js';
export { solveLstm, lstmForward, lstmClosedForm, lstmCellJacobians } from './models/lstm.js';
export type { LstmSolution, LstmForward, LstmGradients } from './models/lstm.js';
export { version } from './version.js';
