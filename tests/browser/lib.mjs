// Shared helpers for the browser journeys: one headless Chromium per test file, pages that fail
// the test on any console error (CSP violations included) or failed request, and screenshots.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const port = process.env.TSUNAGU_TEST_PORT;
if (!port) throw new Error('TSUNAGU_TEST_PORT is not set: run these through `just test` (tests/integration/browser.rs)');

export const screenshotDir = process.env.TSUNAGU_SCREENSHOTS || 'target/browser-screenshots';
mkdirSync(screenshotDir, { recursive: true });

/** `http://{sub}.localhost:{port}{path}`; `sub` empty for the apex. Chromium resolves *.localhost to loopback. */
export function url(sub, path = '/') {
  return `http://${sub ? sub + '.' : ''}localhost:${port}${path}`;
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.TSUNAGU_CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
    ],
  });
}

/** A page in a fresh context that records problems; call `assertClean()` at the end. */
export async function openPage(browser, { viewport = { width: 1280, height: 900 }, locale } = {}) {
  const context = await browser.newContext({ viewport, locale });
  const page = await context.newPage();
  const problems = [];
  // Pages answer 4xx on purpose (a refused form, a 404 page); Chromium logs those documents as
  // console errors. Sub-resources (styles, scripts, images) must all load, so those are checked
  // on their responses instead.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource: the server responded with a status of')) {
      problems.push(`console: ${m.text()}`);
    }
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.request().isNavigationRequest()) problems.push(`sub-resource ${r.status()}: ${r.url()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A navigation cancels the previous page's pending loads; that is not a fault.
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.assertClean = () => {
    if (problems.length) throw new Error(`browser reported problems:\n${problems.join('\n')}`);
  };
  page.shot = (name) => page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
  return page;
}

export async function cssVar(page, name) {
  return page.evaluate((n) => getComputedStyle(document.documentElement).getPropertyValue(n).trim(), name);
}
