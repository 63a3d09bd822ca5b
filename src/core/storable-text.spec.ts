import { jsonProblem, textProblem } from './storable-text.js';

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('text PostgreSQL cannot store', () => {
  it('finds NUL and lone surrogates in plain text, accepts everything else', () => {
    expect(textProblem('a\u0000b')).toMatch(/NUL/);
    expect(textProblem('x\uD800')).toMatch(/surrogate/);
    expect(textProblem('\uDC00x')).toMatch(/surrogate/);
    expect(textProblem('ü 😀 : * ? [ \\u0000')).toBeUndefined();
  });

  it('finds the jsonb-refused escapes in serialized JSON, not their look-alikes', () => {
    expect(jsonProblem(json({ note: 'a\u0000b' }))).toMatch(/NUL/);
    expect(jsonProblem(json({ ['ch\u0000']: 1 }))).toMatch(/NUL/);
    expect(jsonProblem(json({ note: 'x\uDC00' }))).toMatch(/surrogate/);
    expect(jsonProblem(json({ note: 'x\uD83D' }))).toMatch(/surrogate/);
    expect(jsonProblem(json({ note: 'a\u0001b', emoji: '😀', ctl: '\t\n' }))).toBeUndefined();
    // The six characters \u0000 in a string are serialized with an escaped backslash: fine.
    expect(jsonProblem(json({ note: '\\u0000', also: '\\\\\\ud800' }))).toBeUndefined();
    expect(jsonProblem(new TextEncoder().encode('{"pair":"\\ud83d\\ude00"}'))).toBeUndefined();
  });
});
