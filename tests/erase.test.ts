import { describe, expect, it } from 'vitest';
import { isGradsheetError, problemType } from '../src/index.js';

/** The one place problem types' types are erased checks what the types no longer say. */
describe('erased problem types', () => {
  it('refuse an instance of another model in one sentence (a key edited by hand)', () => {
    const type = problemType('rnn.forward')!;
    const params = type.params.parse({});
    let error: unknown;
    try {
      type.build({ model: 'activations', x: [0.5] } as never, params, { digits: 4, generator: 2 });
    } catch (e) {
      error = e;
    }
    expect(isGradsheetError(error)).toBe(true);
    expect((error as Error).message).toBe('The question type rnn.forward needs an instance of model "rnn", not "activations".');
  });

  it('refuse a target the question does not aim at', () => {
    const type = problemType('rnn.long-range')!;
    const params = type.params.parse({ regime: 'any' });
    expect(() => type.generate(() => 0.5, params, { digits: 4, generator: 2 }, 'sideways')).toThrow('rnn.long-range: "sideways" is not a target this question aims at.');
  });
});
