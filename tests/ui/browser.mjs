// Shared by the browser test and the UI benchmark: finds playwright-core (installed by
// scripts/setup under /opt/ferry/ui-test) and Debian's Chromium, and starts a headless browser
// with the flags this machine needs (no background networking: the network is closed).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

export const CHROMIUM = process.env.FERRY_CHROMIUM || '/usr/bin/chromium';
const PLAYWRIGHT_DIRS = [process.env.FERRY_PLAYWRIGHT_DIR, '/opt/ferry/ui-test', path.resolve('node_modules', '..')].filter(Boolean);

// Why the browser cannot run here, or '' when it can.
export function missingBrowser() {
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} is not installed (apt-get install chromium; scripts/setup does it)`;
  if (!findPlaywright()) return 'playwright-core is not installed (scripts/setup puts it in /opt/ferry/ui-test)';
  return '';
}

function findPlaywright() {
  for (const dir of PLAYWRIGHT_DIRS) {
    try {
      return createRequire(path.join(dir, 'package.json')).resolve('playwright-core');
    } catch {
      // next
    }
  }
  return null;
}

export async function launch() {
  const entry = findPlaywright();
  if (!entry) throw new Error(missingBrowser());
  const { chromium } = createRequire(entry)(entry);
  // launch() gives every run a fresh, temporary profile (it refuses --user-data-dir).
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

// Collects what must never happen on a page: console errors, uncaught exceptions, CSP
// violations and JavaScript dialogs (alert/confirm/prompt — an XSS payload's usual proof).
export function watchPage(page, { ignore = [] } = {}) {
  const problems = [];
  const dialogs = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (ignore.some((re) => re.test(text))) return;
    problems.push(`console error: ${text}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', async (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    await d.dismiss().catch(() => {});
  });
  return { problems, dialogs };
}
