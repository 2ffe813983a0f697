/**
 * Where JSON text first goes wrong, for error messages: V8's JSON.parse names the position of
 * most syntax errors, but not of an unexpected token ("Unexpected token ']', "[1,]" is not valid
 * JSON"). This walks the grammar of RFC 8259 without building anything.
 */

class At {
  constructor(readonly offset: number) {}
}

/** The offset of the first character at which `text` is not valid JSON (text.length: it ends too soon); -1 if it is valid. */
export function syntaxErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw new At(i);
  };
  const space = (): void => {
    for (let c = text.charCodeAt(i); c === 32 || c === 10 || c === 13 || c === 9; c = text.charCodeAt(++i));
  };
  const expect = (ch: string): void => {
    if (text[i] !== ch) fail();
    i++;
  };
  const digits = (): void => {
    const start = i;
    while (text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    if (i === start) fail();
  };
  const string = (): void => {
    expect('"');
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c) || c < 0x20) fail();
      i++;
      if (c === 34) return;
      if (c === 92) {
        const e = text[i];
        if (e === 'u') {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) (i += k), fail();
          i += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i++;
        } else {
          fail();
        }
      }
    }
  };
  const scalar = (): void => {
    const c = text[i];
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (c === word[0]) {
        for (const ch of word) expect(ch);
        return;
      }
    }
    if (c === '-') i++;
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits();
    }
  };
  const memberName = (): void => {
    space();
    string();
    space();
    expect(':');
  };
  /** Walks one value: with a stack of the arrays and objects open, not by recursion, as V8 takes nesting thousands deep. */
  const value = (): void => {
    const open: ('[' | '{')[] = [];
    for (;;) {
      space();
      const c = text[i];
      if ((c === '[' || c === '{') && (i++, space(), text[i] !== (c === '[' ? ']' : '}'))) {
        open.push(c);
        if (c === '{') memberName();
        continue;
      }
      if (c === '[' || c === '{') i++; // an empty one, closed
      else scalar();
      // after a value: a comma, or the end of the innermost array or object
      for (;;) {
        const inner = open.at(-1);
        if (inner === undefined) return;
        space();
        if (text[i] === ',') {
          i++;
          if (inner === '{') memberName();
          break;
        }
        expect(inner === '[' ? ']' : '}');
        open.pop();
      }
    }
  };
  try {
    value();
    space();
    return i === text.length ? -1 : i;
  } catch (e) {
    if (e instanceof At) return e.offset;
    throw e;
  }
}
