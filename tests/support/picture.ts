/**
 * PDFs as pictures, for tests that print the same content two ways and compare: each page
 * rasterised with pdftoppm, the text pdftotext reads, the glyphs a PDF prints, and how far each
 * pixel is from ink.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The resolution pages are rasterised at (1 px is a quarter of a millimetre). */
export const DPI = 110;
/** A grey level (0 black … 255 white) under which a pixel is dark, and under which it has any ink. */
export const DARK = 100;
export const INK = 200;

export interface Bitmap { width: number; height: number; pixels: Uint8Array }

let files = 0;

/** Writes `pdf` into `dir` under a name of its own and returns the path without `.pdf`. */
function save(pdf: Uint8Array, dir: string): string {
  const base = join(dir, `pdf-${process.pid}-${++files}`);
  writeFileSync(`${base}.pdf`, pdf);
  return base;
}

/** Each page of a PDF as a grey bitmap (pdftoppm at DPI); the files go in `dir`. */
export async function rasterise(pdf: Uint8Array, dir: string): Promise<Bitmap[]> {
  const base = save(pdf, dir);
  await run('pdftoppm', ['-r', String(DPI), '-gray', `${base}.pdf`, base]);
  const prefix = base.split('/').pop()!;
  return readdirSync(dir).filter((f) => f.startsWith(`${prefix}-`) && f.endsWith('.pgm')).sort().map((f) => {
    const data = readFileSync(join(dir, f));
    // P5\n<w> <h>\n255\n<pixels>
    const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(data.subarray(0, 40).toString('latin1'))!;
    return { width: Number(header[1]), height: Number(header[2]), pixels: data.subarray(header[0].length) };
  });
}

/** What pdftotext reads from a PDF (with `args`, e.g. `-bbox`); the file goes in `dir`. */
export async function pdfText(pdf: Uint8Array, dir: string, args: string[] = []): Promise<string> {
  const base = save(pdf, dir);
  return (await run('pdftotext', [...args, `${base}.pdf`, '-'], { encoding: 'utf8', maxBuffer: 64 << 20 })).stdout;
}

/**
 * The characters of a text, sorted, without white space and KaTeX's zero-width spaces (which
 * print nothing): the same glyphs, wherever they stand (pdftotext's reading order follows
 * positions that a pixel can change).
 */
export const sortedGlyphs = (text: string): string => [...text.replace(/[\u200b\s]/g, '')].sort().join('');

/** Chebyshev distance from every pixel to the nearest ink (< INK) of `b`, capped at 255. */
export function inkDistance(b: Uint8Array, width: number, height: number): Uint8Array {
  const d = new Uint8Array(width * height);
  for (let i = 0; i < d.length; i++) d[i] = b[i]! < INK ? 0 : 255;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      let v = d[i]!;
      if (v === 0) continue;
      if (x > 0) v = Math.min(v, d[i - 1]! + 1);
      if (y > 0) {
        v = Math.min(v, d[i - width]! + 1);
        if (x > 0) v = Math.min(v, d[i - width - 1]! + 1);
        if (x < width - 1) v = Math.min(v, d[i - width + 1]! + 1);
      }
      d[i] = v;
    }
  }
  for (let y = height - 1; y >= 0; y--) {
    for (let x = width - 1; x >= 0; x--) {
      const i = y * width + x;
      let v = d[i]!;
      if (v === 0) continue;
      if (x < width - 1) v = Math.min(v, d[i + 1]! + 1);
      if (y < height - 1) {
        v = Math.min(v, d[i + width]! + 1);
        if (x < width - 1) v = Math.min(v, d[i + width + 1]! + 1);
        if (x > 0) v = Math.min(v, d[i + width - 1]! + 1);
      }
      d[i] = v;
    }
  }
  return d;
}

/**
 * The dark pixels of `a`, and how many of them have no ink of `b` within one pixel. Ink, not dark:
 * a stroke moved by a fraction of a pixel is anti-aliased differently (one dark column, or two
 * grey ones), and is still the same stroke.
 */
export function strayCount(a: Bitmap, b: Bitmap, within = 1): { strays: number; dark: number } {
  const dist = inkDistance(b.pixels, a.width, a.height);
  let strays = 0, dark = 0;
  for (let i = 0; i < a.pixels.length; i++) {
    if (a.pixels[i]! >= DARK) continue;
    dark += 1;
    if (dist[i]! > within) strays += 1;
  }
  return { strays, dark };
}
