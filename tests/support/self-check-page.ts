/** Driving the self-check page in a real browser: what the page tests share. */
import type { Page } from 'puppeteer';
import { expect } from 'vitest';

/**
 * Opens a worksheet on a fresh start (no draft, no last worksheet kept on this device). Storage is
 * cleared on a page of the same origin without the page's script: the page, loaded, reopens the
 * last worksheet and saves it again once it arrives, after the clear (then the code typed below
 * would be appended to the last one's).
 */
export async function openWorksheet(page: Page, base: string, code: string, student: string): Promise<void> {
  await page.goto(`${base}/healthz`);
  await page.evaluate(() => localStorage.clear());
  await page.goto(`${base}/`);
  expect(await page.$eval('#code', (e) => (e as HTMLInputElement).value)).toBe('');
  await page.type('#code', code);
  await page.type('#student', student);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#sheet:not([hidden]) input[data-part]');
}

/** The values in the page's answer boxes, in page order. */
export const answerValues = (page: Page): Promise<string[]> => page.$$eval('input[data-part]', (els) => els.map((e) => (e as HTMLInputElement).value));
