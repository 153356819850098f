// Smoke journey: both demo tenants render with their own branding, one in Japanese and one in
// English; the language switch works in a real browser (a same-origin POST); unknown hosts 404.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, url, cssVar } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('demo renders in Japanese with its branding', async () => {
  const page = await openPage(browser, { locale: 'en-US' });
  const response = await page.goto(url('demo'));
  assert.equal(response.status(), 200);
  assert.equal(await page.getAttribute('html', 'lang'), 'ja');
  assert.equal(await cssVar(page, '--brand'), '#1d4e89');
  assert.match(await page.textContent('.brand-name'), /デモ株式会社/);
  assert.match(await page.textContent('.hero-title'), /おかえりなさい/);
  assert.ok(await page.isVisible('a[href="/join"]'));
  await page.shot('demo-home-ja');
  page.assertClean();
});

test('acme renders in English with its branding', async () => {
  const page = await openPage(browser, { locale: 'ja-JP' });
  await page.goto(url('acme'));
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.equal(await cssVar(page, '--brand'), '#0f766e');
  assert.match(await page.textContent('.brand-name'), /Acme Alumni Network/);
  assert.match(await page.textContent('.hero-title'), /Welcome back to Acme/);
  await page.shot('acme-home-en');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.shot('acme-home-mobile');
  page.assertClean();
});

test('the language switch changes the language for this tenant only', async () => {
  const page = await openPage(browser);
  await page.goto(url('demo'));
  await page.click('.lang-switch button');
  await page.waitForLoadState('load');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  assert.match(await page.textContent('header'), /Sign in|Log in/);
  // The cookie is host-only: acme keeps its own default.
  await page.goto(url('acme'));
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.goto(url('demo'));
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  page.assertClean();
});

test('landing, console and the 404 page render', async () => {
  const page = await openPage(browser, { locale: 'ja-JP' });
  await page.goto(url(''));
  assert.equal(await page.getAttribute('html', 'lang'), 'ja');
  assert.ok(await page.isVisible('.network-list'));
  await page.shot('landing-ja');
    await page.goto(url('console'));
  assert.ok(page.url().endsWith('/sign-in'));
  await page.shot('console-sign-in');
  // The demo seed's staff account sees every network's health, figures only.
  await page.fill('input[name=email]', 'cs@tsunagu.example');
  await page.fill('input[name=password]', 'tsunagu-demo-2026');
  await page.click('form[action="/sign-in"] [type=submit]');
  await page.waitForLoadState('load');
  assert.ok(await page.isVisible('table.console-directory'));
  assert.ok(await page.isVisible('table.console-directory >> text=demo'));
  await page.shot('console-directory-ja');
  const missing = await page.goto(url('nope'));
  assert.equal(missing.status(), 404);
  assert.match(await page.textContent('h1'), /ページが見つかりません/);
  await page.shot('not-found');
});
