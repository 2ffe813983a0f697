/**
 * Joining PDFs as Chromium (Skia) writes them, without parsing their content: every object is
 * copied byte for byte, streams untouched, with its number and the references in its dictionary
 * renumbered; the pages get one new page tree. pdf-lib took ~8 ms of CPU a worksheet for the
 * same, on a machine where Chromium needs every cycle; this takes well under 1 ms.
 *
 * Only the plain structure Skia writes is accepted: one classic cross-reference table, no
 * incremental updates, no object or cross-reference streams, a catalog with nothing but its
 * pages, page-tree nodes with nothing to inherit, and nothing else pointing at the catalog, the
 * page tree or the document information. Anything else throws `UnsupportedPdf`, and the caller
 * uses a general PDF library instead.
 */

export class UnsupportedPdf extends Error {}

const enc = new TextEncoder();

interface SourceObject {
  /** the object's value, from after `N G obj` up to its stream data or `endobj`, as latin1 text */
  head: string;
  /** the stream keyword, data and `endstream` as they were (empty without a stream) */
  stream: Uint8Array;
}

interface ParsedPdf {
  version: number;
  objects: Map<number, SourceObject>;
  pages: number[];
  /** the catalog, the page-tree nodes and the document information: not copied */
  dropped: Set<number>;
  treeNodes: Set<number>;
}

/** Bytes `start`..`end` as latin1 text (one character a byte); out of range is an unsupported file. */
function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  if (!(start >= 0 && start <= end && end <= bytes.length)) throw new UnsupportedPdf('an offset outside the file');
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

/** Parses the structure of one PDF (not its content). */
function parse(bytes: Uint8Array): ParsedPdf {
  try {
    return parseStructure(bytes);
  } catch (e) {
    // damage this reader did not foresee is still just a file to leave to the general library
    if (e instanceof UnsupportedPdf) throw e;
    throw new UnsupportedPdf(`unreadable: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function parseStructure(bytes: Uint8Array): ParsedPdf {
  const tail = latin1(bytes, Math.max(0, bytes.length - 1024));
  const start = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail);
  if (!start) throw new UnsupportedPdf('no startxref at the end');
  const xrefAt = Number(start[1]);
  if (xrefAt >= bytes.length) throw new UnsupportedPdf('startxref points past the end');
  const version = Number(/^%PDF-(\d\.\d)/.exec(latin1(bytes, 0, Math.min(16, bytes.length)))?.[1] ?? NaN);
  if (!Number.isFinite(version)) throw new UnsupportedPdf('no %PDF header');
  const xrefText = latin1(bytes, xrefAt);
  if (!xrefText.startsWith('xref')) throw new UnsupportedPdf('a cross-reference stream, not a table');
  const trailerAt = xrefText.indexOf('trailer');
  if (trailerAt < 0) throw new UnsupportedPdf('no trailer');
  const offsets = new Map<number, number>();
  const lines = xrefText.slice(4, trailerAt).trim().split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length;) {
    const section = /^(\d+) (\d+)\s*$/.exec(lines[i]!);
    if (!section) throw new UnsupportedPdf(`a malformed cross-reference table at "${lines[i]}"`);
    const first = Number(section[1]), count = Number(section[2]);
    for (let k = 0; k < count; k++) {
      const entry = /^(\d{10}) (\d{5}) ([nf])\s*$/.exec(lines[i + 1 + k] ?? '');
      if (!entry) throw new UnsupportedPdf('a malformed cross-reference entry');
      if (entry[3] === 'n') {
        if (entry[2] !== '00000') throw new UnsupportedPdf('an object of a generation other than 0');
        const at = Number(entry[1]);
        if (at >= xrefAt) throw new UnsupportedPdf('an object listed past the cross-reference table');
        offsets.set(first + k, at);
      }
    }
    i += 1 + count;
  }
  const trailer = topLevel(dictionaryText(xrefText, trailerAt + 'trailer'.length));
  if (['Prev', 'XRefStm', 'Encrypt'].some((k) => trailer.has(k))) throw new UnsupportedPdf('an updated, hybrid or encrypted file');
  const root = refTo(trailer.get('Root'), 'Root');
  const info = trailer.has('Info') ? refTo(trailer.get('Info'), 'Info') : undefined;

  // Pass 1: each object's value (only the value is decoded and read, not any stream data after
  // it: a font is ~10 kB), and where its stream data starts.
  const starts = [...offsets.entries()].sort((a, b) => a[1] - b[1]);
  const heads = new Map<number, { head: string; valueEndAt: number; end: number; dataAt: number | undefined }>();
  starts.forEach(([num, at], i) => {
    const end = i + 1 < starts.length ? starts[i + 1]![1] : xrefAt;
    const raw = Buffer.from(bytes.buffer, bytes.byteOffset + at, end - at);
    const streamAt = raw.indexOf('stream');
    let text = latin1(bytes, at, streamAt >= 0 ? at + streamAt : end);
    const header = /^(\d+) 0 obj\b/.exec(text);
    if (!header || Number(header[1]) !== num) throw new UnsupportedPdf(`object ${num} is not where the table says`);
    const body = header[0].length;
    let valueEnd: number;
    try {
      valueEnd = endOfValue(text, body);
    } catch {
      // "stream" inside the value itself: read the whole object
      text = latin1(bytes, at, end);
      valueEnd = endOfValue(text, body);
    }
    const after = latin1(bytes, at + valueEnd, Math.min(end, at + valueEnd + 16));
    const stream = /^[\0\t\f ]*(?:\r\n|\r|\n)?[\0\t\n\f\r ]*stream(\r\n|\n)/.exec(after);
    if (!stream && !/^\s*endobj/.test(after)) throw new UnsupportedPdf(`object ${num} does not end with endobj`);
    heads.set(num, { head: text.slice(body, valueEnd), valueEndAt: at + valueEnd, end, dataAt: stream ? at + valueEnd + stream[0].length : undefined });
  });
  // Pass 2: streams end where their /Length says (direct, or an object holding the number), and
  // exactly "endstream" must follow; whatever lies after an object's endobj is not copied.
  const objects = new Map<number, SourceObject>();
  for (const [num, { head, valueEndAt, end, dataAt }] of heads) {
    if (dataAt === undefined) {
      objects.set(num, { head, stream: new Uint8Array(0) });
      continue;
    }
    const lengthValue = topLevel(head).get('Length');
    const lengthRef = refIn(lengthValue);
    const lengthText = lengthRef !== undefined ? heads.get(lengthRef)?.head.trim() : lengthValue;
    if (lengthText === undefined || !/^\d+$/.test(lengthText)) throw new UnsupportedPdf(`object ${num} has a stream without a usable /Length`);
    const dataEnd = dataAt + Number(lengthText);
    const closing = dataEnd <= end ? /^(?:\r\n|\r|\n)?endstream/.exec(latin1(bytes, dataEnd, Math.min(end, dataEnd + 11))) : null;
    if (!closing) throw new UnsupportedPdf(`object ${num} has a stream whose /Length does not lead to endstream`);
    objects.set(num, { head, stream: bytes.subarray(valueEndAt, dataEnd + closing[0].length) });
  }

  const catalogObject = objects.get(root);
  const catalog = catalogObject && topLevel(catalogObject.head);
  if (!catalog || typeOf(catalog) !== 'Catalog') throw new UnsupportedPdf('the root is not a catalog');
  if ([...catalog.keys()].some((k) => k !== 'Type' && k !== 'Pages')) throw new UnsupportedPdf('a catalog with more than pages (links, outline, tags…)');
  const dropped = new Set<number>([root]);
  const treeNodes = new Set<number>();
  const pages: number[] = [];
  const seen = new Set<number>();
  const walk = (num: number, depth: number) => {
    const node = objects.get(num);
    if (!node || depth > 64 || seen.has(num)) throw new UnsupportedPdf('a broken page tree');
    seen.add(num);
    const entries = topLevel(node.head);
    const type = typeOf(entries);
    if (type === 'Pages' && entries.has('Kids')) {
      if ([...entries.keys()].some((k) => !['Type', 'Kids', 'Count', 'Parent'].includes(k))) throw new UnsupportedPdf('a page-tree node with attributes to inherit');
      dropped.add(num);
      treeNodes.add(num);
      const kids = [...tokens(entries.get('Kids')!)].map((t) => t.text);
      if (kids[0] !== '[' || kids[kids.length - 1] !== ']' || (kids.length - 2) % 3 !== 0) throw new UnsupportedPdf('a page-tree node whose kids are not a list of references');
      for (let k = 1; k + 2 < kids.length; k += 3) {
        if (!/^\d+$/.test(kids[k]!) || kids[k + 1] !== '0' || kids[k + 2] !== 'R') throw new UnsupportedPdf('a page-tree node whose kids are not a list of references');
        walk(Number(kids[k]), depth + 1);
      }
    } else if (type === 'Page' && !entries.has('Kids')) {
      pages.push(num);
    } else {
      throw new UnsupportedPdf('a page tree with something other than pages in it');
    }
  };
  walk(refTo(catalog.get('Pages'), 'Pages'), 0);
  if (info !== undefined) {
    if (info === root || seen.has(info) || !objects.has(info)) throw new UnsupportedPdf('document information that is not a dictionary of its own');
    dropped.add(info);
  }
  return { version, objects, pages, dropped, treeNodes };
}

/** Joins PDFs into one, their pages in order. Throws `UnsupportedPdf` for a structure it does not copy. */
export class PdfJoiner {
  readonly #chunks: Uint8Array[] = [];
  readonly #offsets: number[] = [0, 0, 0, 0]; // 1: page tree, 2: catalog, 3: information
  readonly #pages: number[] = [];
  #length = 0;
  #version = 1.4;
  #finished = false;

  constructor() {
    this.#emit(enc.encode('%PDF-1.7\n%\xE2\xE3\xCF\xD3\n'));
  }

  get pageCount(): number {
    return this.#pages.length;
  }

  /** Appends every page of a PDF. Nothing is appended if it throws. */
  add(bytes: Uint8Array): void {
    if (this.#finished) throw new Error('PdfJoiner.add() after finish()');
    const pdf = parse(bytes);
    const renumber = new Map<number, number>();
    let next = this.#offsets.length;
    for (const num of [...pdf.objects.keys()].sort((a, b) => a - b)) if (!pdf.dropped.has(num)) renumber.set(num, next++);
    const pageSet = new Set(pdf.pages);
    const out: { head: string; stream: Uint8Array }[] = [];
    for (const [num, object] of [...pdf.objects.entries()].sort((a, b) => a[0] - b[0])) {
      if (pdf.dropped.has(num)) continue;
      const head = rewriteRefs(object.head, (ref) => {
        const to = renumber.get(ref);
        if (to !== undefined) return to;
        // a page's /Parent: the one new page tree
        if (pageSet.has(num) && pdf.treeNodes.has(ref)) return 1;
        throw new UnsupportedPdf(`object ${num} refers to ${pdf.dropped.has(ref) ? 'the catalog, the page tree or the information' : `object ${ref}, which is not there`}`);
      });
      out.push({ head, stream: object.stream });
    }
    // only now, when nothing more can throw, does it change the output
    for (const object of out) {
      this.#offsets.push(this.#length);
      this.#emit(enc.encode(`${this.#offsets.length - 1} 0 obj`));
      this.#emit(Buffer.from(object.head, 'latin1'));
      if (object.stream.length > 0) this.#emit(object.stream);
      this.#emit(enc.encode('\nendobj\n'));
    }
    for (const page of pdf.pages) this.#pages.push(renumber.get(page)!);
    this.#version = Math.max(this.#version, pdf.version);
  }

  /** The joined PDF. */
  finish(): Uint8Array {
    if (this.#finished) throw new Error('PdfJoiner.finish() was already called');
    this.#finished = true;
    const kids = this.#pages.map((p) => `${p} 0 R`).join(' ');
    const tail: [number, string][] = [
      [1, `<</Type /Pages /Kids [${kids}] /Count ${this.#pages.length}>>`],
      [2, '<</Type /Catalog /Pages 1 0 R>>'],
      [3, '<</Producer (gradsheet)>>'],
    ];
    for (const [num, value] of tail) {
      this.#offsets[num] = this.#length;
      this.#emit(enc.encode(`${num} 0 obj\n${value}\nendobj\n`));
    }
    const xrefAt = this.#length;
    const size = this.#offsets.length;
    let xref = `xref\n0 ${size}\n0000000000 65535 f \n`;
    for (let n = 1; n < size; n++) xref += `${String(this.#offsets[n]).padStart(10, '0')} 00000 n \n`;
    xref += `trailer\n<</Size ${size} /Root 2 0 R /Info 3 0 R>>\nstartxref\n${xrefAt}\n%%EOF\n`;
    this.#emit(enc.encode(xref));
    const out = Buffer.concat(this.#chunks);
    // the header claims the newest version among the inputs
    out.write(`%PDF-${this.#version.toFixed(1)}`, 0, 'latin1');
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  }

  #emit(bytes: Uint8Array): void {
    this.#chunks.push(bytes);
    this.#length += bytes.length;
  }
}

interface Token {
  text: string;
  start: number;
  end: number;
}

/** Character classes by code: 1 whitespace, 2 delimiter. */
const CLASS = new Uint8Array(256);
for (const c of [0, 9, 10, 12, 13, 32]) CLASS[c] = 1;
for (const c of '()<>[]{}/%') CLASS[c.charCodeAt(0)] = 2;

/** PDF tokens from `from` on: strings and hex strings are single tokens, so nothing inside them is ever read as a reference. */
function* tokens(text: string, from = 0): Generator<Token> {
  let i = from;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (CLASS[c] === 1) { i += 1; continue; }
    if (c === 0x25 /* % */) {
      while (i < n && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) i += 1;
      continue;
    }
    const start = i;
    if (c === 0x28 /* ( */) {
      let depth = 0;
      for (; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \\ */) i += 1;
        else if (d === 0x28) depth += 1;
        else if (d === 0x29 && --depth === 0) break;
      }
      if (i >= n) throw new UnsupportedPdf('an unterminated string');
      i += 1;
    } else if (c === 0x3c /* < */) {
      if (text.charCodeAt(i + 1) === 0x3c) i += 2;
      else {
        const close = text.indexOf('>', i);
        if (close < 0) throw new UnsupportedPdf('an unterminated hex string');
        i = close + 1;
      }
    } else if (c === 0x3e /* > */) {
      if (text.charCodeAt(i + 1) !== 0x3e) throw new UnsupportedPdf('a stray ">"');
      i += 2;
    } else if (c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d /* [ ] { } */) {
      i += 1;
    } else if (c === 0x29) {
      throw new UnsupportedPdf('a stray ")"');
    } else if (c === 0x2f /* / */) {
      i += 1;
      while (i < n && CLASS[text.charCodeAt(i)] === 0) i += 1;
    } else if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e /* digit + - . */) {
      // a number ends where its characters do, as readers take it: "0R" is 0, then R
      i += 1;
      while (i < n && ((text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) || text.charCodeAt(i) === 0x2e)) i += 1;
    } else {
      i += 1; // a keyword
      while (i < n && CLASS[text.charCodeAt(i)] === 0) i += 1;
    }
    yield { text: text.slice(start, i), start, end: i };
  }
}

const INTEGER = /^\d+$/;
/** any number token: a reference made of one that is not a plain integer is refused, not misread */
const NUMBER = /^[+-]?[\d.]+$/;

/** Where the one PDF value starting at `from` ends (a reference `N G R` is one value). */
function endOfValue(text: string, from: number): number {
  let depth = 0;
  const pending: Token[] = [];
  for (const t of tokens(text, from)) {
    if (t.text === '<<' || t.text === '[') depth += 1;
    else if (t.text === '>>' || t.text === ']') {
      // the bracket that closes the enclosing dictionary or array: the number before it was the value
      if (depth === 0 && pending.length > 0) return pending[0]!.end;
      depth -= 1;
    }
    if (depth > 0) continue;
    if (depth < 0) throw new UnsupportedPdf('unbalanced brackets');
    // at depth 0: a complete value, unless it is the number that may start a reference
    pending.push(t);
    if (pending.length === 1 && INTEGER.test(t.text)) continue;
    if (pending.length === 2 && INTEGER.test(pending[0]!.text) && INTEGER.test(t.text)) continue;
    if (pending.length === 3 && t.text === 'R') return t.end;
    if (pending.length === 1) return t.end;
    return pending[0]!.end; // a plain number
  }
  if (pending.length > 0 && depth === 0) return pending[0]!.end;
  throw new UnsupportedPdf('a value that does not end');
}

/** The text of the dictionary that starts at or after `from`. */
function dictionaryText(text: string, from: number): string {
  const open = text.indexOf('<<', from);
  if (open < 0) throw new UnsupportedPdf('no dictionary');
  return text.slice(open, endOfValue(text, open));
}

/** The object number of a value that is a reference `N 0 R`, else undefined. */
function refIn(value: string | undefined): number | undefined {
  const m = value === undefined ? null : /^(\d+)\s+0\s+R$/.exec(value);
  return m ? Number(m[1]) : undefined;
}

/** The object number of a value that must be a reference `N 0 R`. */
function refTo(value: string | undefined, key: string): number {
  const ref = refIn(value);
  if (ref === undefined) throw new UnsupportedPdf(`no /${key} reference`);
  return ref;
}

/** A name token's name, its #xx escapes decoded (/Page#73 is /Pages). */
function nameOf(token: string): string {
  return token.slice(1).replace(/#([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The /Type of a dictionary's entries, decoded ('' when it has none). */
function typeOf(entries: Map<string, string>): string {
  const type = entries.get('Type');
  return type?.startsWith('/') ? nameOf(type) : '';
}

/** The keys of a dictionary's top level, each with the text of its value. */
function topLevel(dict: string): Map<string, string> {
  const entries = new Map<string, string>();
  const open = dict.indexOf('<<');
  if (open < 0) throw new UnsupportedPdf('not a dictionary');
  let at = open + 2;
  for (;;) {
    const key = tokens(dict, at).next().value as Token | undefined;
    if (!key) throw new UnsupportedPdf('an unterminated dictionary');
    if (key.text === '>>') return entries;
    if (!key.text.startsWith('/')) throw new UnsupportedPdf(`a dictionary key that is not a name: ${key.text}`);
    const valueStart = (tokens(dict, key.end).next().value as Token | undefined)?.start;
    if (valueStart === undefined) throw new UnsupportedPdf('a key without a value');
    const valueEnd = endOfValue(dict, valueStart);
    entries.set(nameOf(key.text), dict.slice(valueStart, valueEnd));
    at = valueEnd;
  }
}

/** The text with every reference `N 0 R` renumbered by `to` (strings are left as they are). */
function rewriteRefs(text: string, to: (ref: number) => number): string {
  const list = [...tokens(text)];
  let out = '';
  let copied = 0;
  for (let i = 0; i + 2 < list.length; i++) {
    const [a, g, r] = [list[i]!, list[i + 1]!, list[i + 2]!];
    if (r.text === 'R' && NUMBER.test(a.text) && NUMBER.test(g.text)) {
      if (!INTEGER.test(a.text) || g.text !== '0') throw new UnsupportedPdf(`a reference written "${a.text} ${g.text} R"`);
      out += text.slice(copied, a.start) + String(to(Number(a.text)));
      copied = a.end;
      i += 2;
    }
  }
  return out + text.slice(copied);
}
