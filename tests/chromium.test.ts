/**
 * The Chromium gradsheet launches (through `puppeteer.launch`): its command line against
 * Puppeteer's own defaults, and the binary behind Debian's launcher script.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { PdfRenderer } from '../src/render/browser.js';
import { chromiumArgs, launchedBinary } from '../src/render/chromium.js';

const SHELL = '/usr/bin/chromium-headless-shell';

describe('the command line gradsheet starts Chromium with', () => {
  const ours = chromiumArgs(SHELL, '/tmp/profile');
  const theirs = puppeteer.defaultArgs({ headless: 'shell', userDataDir: '/tmp/profile', args: [] });

  it("has every one of Puppeteer's defaults but the two for tagged PDFs and outlines, and no initial tab", () => {
    const features = (args: string[], flag: string) => args.filter((a) => a.startsWith(`${flag}=`)).flatMap((a) => a.slice(flag.length + 1).split(','));
    const plain = (args: string[]) => args.filter((a) => a.startsWith('--') && !a.startsWith('--disable-features=') && !a.startsWith('--enable-features='));
    const left = plain(theirs).filter((a) => !ours.includes(a));
    expect(left).toEqual(['--export-tagged-pdf', '--generate-pdf-document-outline']);
    // every feature Puppeteer disables stays disabled
    expect(features(ours, '--disable-features')).toEqual(expect.arrayContaining(features(theirs, '--disable-features')));
    expect(ours).toContain('--remote-debugging-pipe');
    expect(ours.filter((a) => !a.startsWith('--'))).toEqual([]);
  });

  it('asks for begin-frame control in the headless shell only, and turns the omnibox popups off in the full browser only', () => {
    const full = chromiumArgs('/usr/bin/chromium', '/tmp/profile');
    expect(ours).toContain('--enable-begin-frame-control');
    expect(full).not.toContain('--enable-begin-frame-control');
    expect(full.find((a) => a.startsWith('--disable-features='))).toContain('WebUIOmniboxPopup');
    expect(ours.find((a) => a.startsWith('--disable-features='))).not.toContain('WebUIOmniboxPopup');
  });
});

describe('the binary gradsheet runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradsheet-launcher-'));
  const script = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    chmodSync(path, 0o755);
    return path;
  };

  it("is the binary behind a launcher that only runs it, as Debian's chromium-headless-shell is", () => {
    expect(launchedBinary(script('debian', `#!/bin/sh -e\n\n${process.execPath} "$@"\n`))).toBe(process.execPath);
    expect(launchedBinary(script('exec', `#!/bin/sh\n# a comment\nexec ${process.execPath} "$@"\n`))).toBe(process.execPath);
  });

  it('is the launcher itself when it does anything more, runs something that is not there, or is a binary', () => {
    expect(launchedBinary(script('flags', `#!/bin/sh\nFLAGS=--x\n${process.execPath} $FLAGS "$@"\n`))).toBe(join(dir, 'flags'));
    expect(launchedBinary(script('fixed', `#!/bin/sh\n${process.execPath} --fixed "$@"\n`))).toBe(join(dir, 'fixed'));
    expect(launchedBinary(script('missing', '#!/bin/sh\n/nowhere/chromium "$@"\n'))).toBe(join(dir, 'missing'));
    expect(launchedBinary(process.execPath)).toBe(process.execPath);
    expect(launchedBinary('/nowhere/at/all')).toBe('/nowhere/at/all');
  });

  it.runIf(existsSync(SHELL))("starts Debian's headless shell without a shell in front of it", async () => {
    await using renderer = await PdfRenderer.launch({ executablePath: SHELL, pages: 1 });
    const exe = readFileSync(`/proc/${renderer.pid}/cmdline`, 'utf8').split('\0')[0];
    expect(exe).toBe(launchedBinary(SHELL));
    expect(exe).not.toBe(SHELL);
  });
});
