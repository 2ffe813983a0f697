/**
 * The class-set scheduling of src/render/class-set.ts, without a browser: `inOrderPool` with
 * tasks of chosen lengths, and `printClassSet` with a Printer that makes one-page PDFs whose
 * width names the document.
 */
import { PDFDocument } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import type { PdfPageOptions, Printer, RenderInput } from '../src/render/browser.js';
import { inOrderPool, printClassSet, type RenderedDocument } from '../src/render/class-set.js';
import type { Templates } from '../src/render/templates.js';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('inOrderPool', () => {
  it('starts every task once, in index order, never more than `width` at once', async () => {
    const started: number[] = [];
    let running = 0, most = 0;
    await inOrderPool(9, 3, async (i) => {
      started.push(i);
      most = Math.max(most, ++running);
      await tick((i * 7) % 5); // uneven lengths: tasks end out of order
      running -= 1;
    });
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(most).toBe(3);
  });

  it('starts nothing for no tasks and no more workers than tasks', async () => {
    let calls = 0;
    await inOrderPool(0, 4, async () => { calls += 1; });
    expect(calls).toBe(0);
    let running = 0, most = 0;
    await inOrderPool(2, 5, async () => { most = Math.max(most, ++running); await tick(1); running -= 1; });
    expect(most).toBe(2);
  });

  it('starts no task after a failure, lets the running ones end, and throws the failure', async () => {
    const started: number[] = [];
    const ended: number[] = [];
    const run = inOrderPool(10, 2, async (i) => {
      started.push(i);
      await tick(i === 3 ? 1 : 5);
      if (i === 3) throw new Error('task 3 failed');
      ended.push(i);
    });
    await expect(run).rejects.toThrow('task 3 failed');
    await tick(20);
    expect(started).toEqual([0, 1, 2, 3]);
    expect(ended).toEqual([0, 1, 2]);
  });
});

/** A Printer whose PDF for a document is one page `100 + n` points wide, n read from the body; it counts what it prints at once. */
function fakePrinter(poolSize: number): Printer & { most: number; printed: string[] } {
  let running = 0;
  const printer = {
    poolSize, most: 0, printed: [] as string[],
    async print(doc: RenderInput, pdf: PdfPageOptions): Promise<Uint8Array> {
      expect(pdf.format).toBe('A4');
      printer.most = Math.max(printer.most, ++running);
      printer.printed.push(doc.body);
      await tick(Number(/\d+/.exec(doc.body)![0]) % 3);
      const out = await PDFDocument.create();
      out.addPage([100 + Number(/\d+/.exec(doc.body)![0]), 200]);
      running -= 1;
      return out.save();
    },
    async close() {},
  };
  return printer;
}

const doc = (n: number): RenderedDocument => ({ html: `<p>${n}</p>`, head: '', pdf: { format: 'A4' } });
const widths = async (pdf: Uint8Array) => (await PDFDocument.load(pdf)).getPages().map((p) => p.getWidth() - 100);
const templates = { css: '' } as Templates;

describe('printClassSet', () => {
  it('prints each sheet, then the key cover and each key, one more at a time than the pool holds, and joins each set in order', async () => {
    const printer = fakePrinter(2);
    const sheets = new Map<number, number[]>();
    let printed = 0;
    const result = await printClassSet(printer, templates, { count: 5, sheet: (i) => doc(i), key: { cover: () => doc(50), sheet: (i) => doc(60 + i) } }, {
      sheet: async (i, pdf) => { sheets.set(i, await widths(pdf)); },
      printed: () => { printed += 1; },
    });
    expect(printer.printed).toEqual(['<p>0</p>', '<p>1</p>', '<p>2</p>', '<p>3</p>', '<p>4</p>', '<p>50</p>', '<p>60</p>', '<p>61</p>', '<p>62</p>', '<p>63</p>', '<p>64</p>']);
    expect(printer.most).toBe(3);
    expect(printed).toBe(11);
    expect([...sheets].sort(([a], [b]) => a - b)).toEqual([[0, [0]], [1, [1]], [2, [2]], [3, [3]], [4, [4]]]);
    expect(await widths(result.classSet)).toEqual([0, 1, 2, 3, 4]);
    expect(await widths(result.answerKey!)).toEqual([50, 60, 61, 62, 63, 64]);
  });

  it('prints no key when none is asked for', async () => {
    const printer = fakePrinter(1);
    const result = await printClassSet(printer, templates, { count: 2, sheet: (i) => doc(i) }, { sheet: async () => {}, printed: () => {} });
    expect(result.answerKey).toBeUndefined();
    expect(printer.printed).toEqual(['<p>0</p>', '<p>1</p>']);
    expect(await widths(result.classSet)).toEqual([0, 1]);
  });
});
