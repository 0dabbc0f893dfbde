import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { installDebianPackage } from '../../lib/testing/debian-package.js';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The system's Chromium (`CHROMIUM_PATH`, or Debian's `chromium`), installed when missing and allowed. */
export function ensureChromium(log: (line: string) => void = () => undefined): string {
  const locate = () => [process.env.CHROMIUM_PATH, ...CANDIDATES].find((path) => path && existsSync(path));
  return (
    locate() ??
    installDebianPackage(
      'chromium',
      'Chromium',
      locate,
      'The console tests need a Chromium: apt-get install chromium, or set CHROMIUM_PATH.',
      log,
    )
  );
}

/** A headless Chromium through playwright-core (no browser download: the system's binary). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: ensureChromium(), headless: true, args: ['--no-sandbox'] });
}
