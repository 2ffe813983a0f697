/**
 * How much of each printed page a document uses: the lowest ink inside the page's content area (the
 * margins hold the running header and footer), as a fraction of the area's height.
 */
import { INK, DPI, rasterise, type Bitmap } from './picture.js';

import { MARGIN } from '../../src/render/class-set.js';

const mm = (length: string) => Number(/^([\d.]+)mm$/.exec(length)![1]);

export function usedFraction(page: Bitmap): number {
  const px = (mm: number) => Math.round((mm / 25.4) * DPI);
  const top = px(mm(MARGIN.top)), bottom = page.height - px(mm(MARGIN.bottom));
  for (let y = bottom - 1; y >= top; y--) {
    const row = page.pixels.subarray(y * page.width, (y + 1) * page.width);
    if (row.some((v) => v < INK)) return (y - top + 1) / (bottom - top);
  }
  return 0;
}

/** The used fraction of every page of a PDF. */
export async function pageFill(pdf: Uint8Array, dir: string): Promise<number[]> {
  return (await rasterise(pdf, dir)).map(usedFraction);
}
