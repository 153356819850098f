// Settings journey: the secretariat tries a colour too pale to read (the contrast check refuses
// it and says why), picks a darker one, and every page takes the new colour at once. The demo
// network's colour is put back at the end for the journeys that follow. Screenshot: the settings
// page with the refused colour.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, url, cssVar } from './lib.mjs';

const DEMO_PASSWORD = 'tsunagu-demo-2026';
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function saveColour(page, colour) {
  await page.goto(url('demo', '/secretariat/settings'));
  await page.fill('#primary_color', colour);
  await page.click('form[action="/secretariat/settings/branding"] [type=submit]');
  await page.waitForLoadState('load');
}

test('the secretariat changes the main colour, checked for contrast', async () => {
  const page = await openPage(browser, { locale: 'ja-JP' });
  await page.goto(url('demo', '/sign-in'));
  await page.fill('form[action="/sign-in"] input[name=email]', 'jimukyoku@demo.example.co.jp');
  await page.fill('form[action="/sign-in"] input[name=password]', DEMO_PASSWORD);
  await page.click('form[action="/sign-in"] [type=submit]');
  await page.waitForLoadState('load');
  const original = await cssVar(page, '--brand');

  await saveColour(page, '#f5e663');
  assert.ok(await page.isVisible('#primary_color-error'), 'the pale colour is refused');
  assert.ok(await page.isVisible('.contrast-row .badge-danger'));
  await page.shot('settings-contrast-ja');
  assert.equal(await cssVar(page, '--brand'), original, 'nothing changed');

  await saveColour(page, '#0b5394');
  assert.ok(await page.isVisible('.flash:has-text("設定を保存しました")'));
  await page.goto(url('demo', '/timeline'));
  assert.equal(await cssVar(page, '--brand'), '#0b5394');

  await saveColour(page, original);
  assert.equal(await cssVar(page, '--brand'), original);
  page.assertClean();
  await page.close();
});
