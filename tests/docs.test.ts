/**
 * The documentation is the specification (docs/math.md, docs/formats.md), so it is held to the
 * code: every relative link in the README and docs/ resolves to a file in the repository (and a
 * heading, when it names one); every field of the published schemas, the bank and the problem
 * types' parameters is named in formats.md; every instance field and every key `solve` prints is
 * named in math.md; every problem type is documented; and the source cites docs/, never a
 * specification outside the repository, with section numbers math.md has.
 */
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { keySchema, resultSchema, submissionSchema } from '../src/grade/schemas.js';
import { bankSchema } from '../src/problems/bank.js';
import { PROBLEM_TYPES, PROBLEM_TYPE_IDS } from '../src/problems/registry.js';
import { instanceSchema } from '../src/models/instance-schema.js';
import { PRINTED } from '../src/models/solve.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const docFiles = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const math = read('docs/math.md');
const formats = read('docs/formats.md');

/** Markdown without fenced code blocks and code spans, where `[a](b)` is not a link. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const body = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, '');
  for (const m of body.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const slug = m[1]!.toLowerCase().replace(/[^\p{L}\p{N}\p{M} _-]/gu, '').replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
    seen.set(slug, n + 1);
  }
  return anchors;
}

/** Every inline link and image target of a Markdown file, outside code. */
function linkTargets(markdown: string): string[] {
  return [...prose(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);
}

/** The field names of a zod schema, at every depth (objects inside arrays, unions, optionals). */
function fieldNames(schema: z.ZodType, into = new Set<string>()): Set<string> {
  const def = (schema as unknown as { def: Record<string, unknown> & { type: string } }).def;
  switch (def.type) {
    case 'object':
      for (const [name, field] of Object.entries(def.shape as Record<string, z.ZodType>)) {
        into.add(name);
        fieldNames(field, into);
      }
      break;
    case 'optional': case 'nullable': case 'default': case 'nonoptional': case 'readonly': case 'catch':
      fieldNames(def.innerType as z.ZodType, into);
      break;
    case 'array':
      fieldNames(def.element as z.ZodType, into);
      break;
    case 'union':
      for (const option of def.options as z.ZodType[]) fieldNames(option, into);
      break;
    case 'record':
      fieldNames(def.valueType as z.ZodType, into);
      break;
    case 'pipe':
      fieldNames(def.in as z.ZodType, into);
      break;
  }
  return into;
}

/** The values of every enum and literal in a schema (statuses, kinds, reasons, format names). */
function enumValues(schema: z.ZodType, into = new Set<string>()): Set<string> {
  const def = (schema as unknown as { def: Record<string, unknown> & { type: string } }).def;
  if (def.type === 'enum') for (const v of Object.values(def.entries as Record<string, string>)) into.add(String(v));
  if (def.type === 'literal') for (const v of def.values as unknown[]) into.add(String(v));
  if (def.type === 'object') for (const field of Object.values(def.shape as Record<string, z.ZodType>)) enumValues(field, into);
  for (const inner of ['innerType', 'element', 'valueType', 'in'] as const) if (def[inner]) enumValues(def[inner] as z.ZodType, into);
  if (def.type === 'union') for (const option of def.options as z.ZodType[]) enumValues(option, into);
  return into;
}

const inCode = (doc: string, name: string) => doc.includes(`\`${name}\``) || doc.includes(`"${name}"`);
const undocumented = (doc: string, names: Iterable<string>) => [...names].filter((n) => !inCode(doc, n));

describe('links in the README and docs/', () => {
  for (const file of docFiles) {
    it(`${file}: every relative link resolves inside the repository`, () => {
      const problems: string[] = [];
      const text = read(file);
      for (const target of linkTargets(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path = '', anchor] = target.split('#', 2) as [string, string | undefined];
        const resolved = path === '' ? join(root, file) : resolve(join(root, dirname(file)), decodeURIComponent(path));
        if (relative(root, resolved).startsWith('..') || !resolved.startsWith(root + sep)) {
          problems.push(`${target}: leaves the repository (a clone does not have it)`);
          continue;
        }
        if (!existsSync(resolved)) {
          problems.push(`${target}: no such file`);
          continue;
        }
        if (anchor !== undefined && statSync(resolved).isFile() && resolved.endsWith('.md')) {
          if (!headingAnchors(readFileSync(resolved, 'utf8')).has(anchor)) problems.push(`${target}: no heading #${anchor} in ${relative(root, resolved)}`);
        }
      }
      expect(problems).toEqual([]);
    });
  }

  it('finds the links it checks (the checker reads Markdown links at all)', () => {
    expect(linkTargets(read('docs/README.md'))).toEqual(expect.arrayContaining(['math.md', 'formats.md', '../README.md']));
    expect(linkTargets('see `[a](nowhere.md)` and\n```\n[b](nowhere.md)\n```\n[c](here.md#x)')).toEqual(['here.md#x']);
    expect(headingAnchors('## 4. The instance contract\n### 4.5 What `gradsheet solve` prints\n## Notes\n## Notes')).toEqual(
      new Set(['4-the-instance-contract', '45-what-gradsheet-solve-prints', 'notes', 'notes-1']));
  });

  it('no document points outside the repository for its specification', () => {
    for (const file of docFiles) {
      const text = read(file);
      expect(text, file).not.toMatch(/\.\.\/shared\b|shared\/spec/);
      expect(text, file).not.toMatch(/\b(MATH|FORMATS)\.md\b/);
    }
  });
});

describe('docs/formats.md names every field of the public formats', () => {
  const schemas = { submission: submissionSchema, result: resultSchema, key: keySchema, bank: bankSchema } as const;
  for (const [name, schema] of Object.entries(schemas)) {
    it(`the ${name} format's fields`, () => {
      const fields = fieldNames(schema as z.ZodType);
      expect(fields.size).toBeGreaterThan(3);
      expect(undocumented(formats, fields)).toEqual([]);
    });
    it(`the ${name} format's enumerated values (format names, statuses, kinds, reasons)`, () => {
      expect(undocumented(formats, enumValues(schema as z.ZodType))).toEqual([]);
    });
  }

  it('the walk reaches nested fields (parts of a result, parts and mistakes of a key)', () => {
    expect([...fieldNames(resultSchema)]).toEqual(expect.arrayContaining(['parts', 'status', 'feedback', 'carried', 'reason']));
    expect([...fieldNames(keySchema)]).toEqual(expect.arrayContaining(['variants', 'questions', 'instance', 'dependsOn', 'mistakes', 'rtol', 'sigfigs', 'log10']));
    expect([...fieldNames(bankSchema)]).toEqual(expect.arrayContaining(['workingSpace', 'partPoints', 'count', 'params']));
    expect([...enumValues(resultSchema)]).toEqual(expect.arrayContaining(['gradsheet.result/1', 'invalid', 'unknown-code']));
  });

  it('the gradebook header', () => {
    expect(formats).toContain('student,worksheet,score,max,percent');
  });

  it('`gradsheet schema` and its three formats', () => {
    for (const name of ['submission', 'result', 'key']) expect(formats).toContain(`gradsheet schema ${name}`);
  });

  for (const type of PROBLEM_TYPES) {
    it(`the parameters of ${type.id}`, () => {
      const params = Object.keys((type.params as unknown as { shape: Record<string, unknown> }).shape);
      expect(params.length).toBeGreaterThan(0);
      expect(undocumented(formats, params)).toEqual([]);
    });
  }
});

describe('docs/ documents every problem type', () => {
  it('has the registry to check', () => {
    expect(PROBLEM_TYPE_IDS.length).toBeGreaterThan(5);
  });
  for (const id of PROBLEM_TYPE_IDS) {
    it(id, () => {
      // the bank's `type` table and the mathematics' table both list it
      expect(inCode(formats, id)).toBe(true);
      expect(inCode(math, id)).toBe(true);
    });
  }
});

describe('docs/math.md names the instance contract and solve\'s output', () => {
  it('every field of every instance model', () => {
    const fields = new Set<string>();
    for (const option of (instanceSchema as unknown as { options: z.ZodType[] }).options) fieldNames(option, fields);
    expect(fields).toContain('Whf');
    expect(undocumented(math, fields)).toEqual([]);
  });
  for (const [model, keys] of Object.entries(PRINTED)) {
    it(`every key solve prints for ${model}`, () => {
      expect(undocumented(math, keys)).toEqual([]);
    });
  }
});

describe('the source cites docs/, with sections that exist', () => {
  const sections = new Set([...math.matchAll(/^##+ (\d+(?:\.\d+)?)\.? /gm)].map((m) => m[1]!));
  const sourceFiles = (dir: string): string[] => readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.(ts|mjs|cjs|js|py|sh|hbs)$/.test(e.name) ? [join(dir, e.name)] : []);
  const files = ['src', 'tests', 'scripts', 'bench', 'templates'].filter((d) => existsSync(join(root, d))).flatMap(sourceFiles)
    .filter((f) => f !== join('tests', 'docs.test.ts'));

  it('math.md has its numbered sections', () => {
    expect([...sections]).toEqual(expect.arrayContaining(['1', '2', '2.2', '3', '3.2', '4', '5', '6']));
  });

  it('no source file cites a specification outside the repository', () => {
    const outside = files.filter((f) => /\b(MATH|FORMATS)\.md\b|shared\/spec/.test(read(f)));
    expect(outside).toEqual([]);
  });

  it('every "docs/math.md §n" names a section math.md has', () => {
    const bad: string[] = [];
    for (const f of files) {
      for (const m of read(f).matchAll(/docs\/math\.md (§[\d.–, §-]+)/g)) {
        for (const n of m[1]!.match(/\d+(?:\.\d+)?/g) ?? []) if (!sections.has(n)) bad.push(`${f}: ${m[0]}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
