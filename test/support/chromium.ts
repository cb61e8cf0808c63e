import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** The system Chromium (`apt-get install chromium`), or CHROMIUM_PATH; undefined when absent. */
export const chromiumPath = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
].find((path): path is string => !!path && existsSync(path));

// Playwright gives every launch a fresh profile directory (it refuses --user-data-dir in args).
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Headless system Chromium, as the browser tests and the screenshot script use it. */
export function launchChromium(): Promise<Browser> {
  if (!chromiumPath) throw new Error('no Chromium: install it or set CHROMIUM_PATH');
  return chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS, timeout: 60_000 });
}
