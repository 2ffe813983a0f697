/**
 * The vanishing gradient as a picture: |∂L_T/∂U^(k)| against k on a log scale, as an SVG (no
 * script, no fonts beyond the page's). Pure: numbers in, markup out; every label is escaped.
 * Math in labels is set as SVG text (tex-plain.ts): variables italic, ∂ and digits upright,
 * scripts smaller and shifted — the page's fonts, printed by Chromium like any text.
 */
import { escapeHtml } from '../html.js';
import { texToSvg, texToUnicode } from './tex-plain.js';

export interface ChartOptions {
  width?: number;
  height?: number;
  /** the y axis title, in TeX (tex-plain.ts's subset), e.g. `|\partial L_{20}/\partial U^{(k)}|` */
  yLabel?: string;
}

export function perStepChart(values: readonly number[], options: ChartOptions = {}): string {
  const width = options.width ?? 440, height = options.height ?? 180;
  const left = 56, right = 12, top = 12, bottom = 34;
  const logs = values.map((v) => (v > 0 ? Math.log10(v) : Number.NaN));
  const finite = logs.filter(Number.isFinite);
  if (finite.length === 0) return '';
  let lo = Math.floor(Math.min(...finite)), hi = Math.ceil(Math.max(...finite));
  if (hi === lo) { hi += 1; lo -= 1; }
  const T = values.length;
  const x = (k: number) => left + ((k - 1) / Math.max(T - 1, 1)) * (width - left - right);
  const y = (l: number) => top + ((hi - l) / (hi - lo)) * (height - top - bottom);
  const parts: string[] = [];
  const step = Math.max(1, Math.ceil((hi - lo) / 6));
  for (let e = lo; e <= hi; e += step) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(e).toFixed(1)}" y2="${y(e).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${(y(e) + 4).toFixed(1)}" text-anchor="end">${texToSvg(`10^{${e}}`)}</text>`);
  }
  const tickEvery = Math.max(1, Math.ceil(T / 10));
  for (let k = 1; k <= T; k += tickEvery) parts.push(`<text x="${x(k).toFixed(1)}" y="${height - bottom + 14}" text-anchor="middle">${k}</text>`);
  const points = logs.map((l, i) => (Number.isFinite(l) ? `${x(i + 1).toFixed(1)},${y(l).toFixed(1)}` : null)).filter(Boolean);
  parts.push(`<polyline points="${points.join(' ')}" class="line"/>`);
  logs.forEach((l, i) => { if (Number.isFinite(l)) parts.push(`<circle cx="${x(i + 1).toFixed(1)}" cy="${y(l).toFixed(1)}" r="2.5" class="dot"/>`); });
  parts.push(`<text x="${(left + width - right) / 2}" y="${height - 4}" text-anchor="middle">step ${texToSvg('k')}</text>`);
  const yLabel = options.yLabel ?? '|\\text{term } k|';
  parts.push(`<text x="12" y="${(top + height - bottom) / 2}" text-anchor="middle" transform="rotate(-90 12 ${(top + height - bottom) / 2})">${texToSvg(yLabel)}</text>`);
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(texToUnicode(yLabel))} against step k on a log scale">${parts.join('')}</svg>`;
}
