// Messages journey: an employee finds an alumna in the directory and writes to her; the alumna,
// signed in in a second browser (its own context), has the conversation open and sees the
// message appear without reloading, then answers, and the employee sees the answer the same way.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, url } from './lib.mjs';

const DEMO_PASSWORD = 'tsunagu-demo-2026';
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function signedIn(email) {
  const page = await openPage(browser, { locale: 'ja-JP' });
  await page.goto(url('demo', '/sign-in'));
  await page.fill('form[action="/sign-in"] input[name=email]', email);
  await page.fill('form[action="/sign-in"] input[name=password]', DEMO_PASSWORD);
  await page.click('form[action="/sign-in"] [type=submit]');
  await page.waitForLoadState('load');
  return page;
}

test('an employee writes to an alumna, who sees it without reloading and answers', async () => {
  const aoi = await signedIn('aoi.nakamura@demo.example.co.jp');
  await aoi.goto(url('demo', '/members?q=' + encodeURIComponent('山本')));
  await aoi.click('.member-card-name a:has-text("山本 健太")');
  await aoi.waitForLoadState('load');
  await aoi.click('form[action="/messages/direct"] [type=submit]');
  await aoi.waitForLoadState('load');
  const path = new URL(aoi.url()).pathname;
  assert.match(path, /^\/messages\/[0-9a-f-]+$/);

  const kenta = await signedIn('kenta.yamamoto@example.jp');
  await kenta.goto(url('demo', path));
  // A mark that a reload would wipe.
  await kenta.evaluate(() => { window.__stillTheSamePage = true; });
  // Let the page's event stream connect.
  await kenta.waitForTimeout(1000);

  const hello = `はじめまして、中村です ${Date.now()}`;
  await aoi.fill('form[action="' + path + '"] textarea[name=body]', hello);
  await aoi.click('form[action="' + path + '"] [type=submit]');
  await aoi.waitForLoadState('load');

  await kenta.waitForSelector(`#message-list :text("${hello}")`, { timeout: 10000 });
  assert.equal(await kenta.evaluate(() => window.__stillTheSamePage), true, 'no reload');
  await kenta.shot('messages-conversation-ja');

  await aoi.evaluate(() => { window.__stillTheSamePage = true; });
  const answer = `ありがとうございます！ ${Date.now()}`;
  await kenta.fill('form[action="' + path + '"] textarea[name=body]', answer);
  await kenta.click('form[action="' + path + '"] [type=submit]');
  await kenta.waitForLoadState('load');
  await aoi.waitForSelector(`#message-list :text("${answer}")`, { timeout: 10000 });
  assert.equal(await aoi.evaluate(() => window.__stillTheSamePage), true, 'no reload');

  // Elsewhere in the network, the header's message badge counts a new message without a reload.
  await kenta.goto(url('demo', '/timeline'));
  assert.equal(await kenta.locator('[data-unread-messages]').count(), 0, 'nothing unread yet');
  await kenta.evaluate(() => { window.__stillTheSamePage = true; });
  await kenta.waitForTimeout(1000);
  const more = `もう一つだけ ${Date.now()}`;
  await aoi.fill('form[action="' + path + '"] textarea[name=body]', more);
  await aoi.click('form[action="' + path + '"] [type=submit]');
  await aoi.waitForLoadState('load');
  await kenta.waitForSelector('[data-unread-messages]:text("1")', { timeout: 10000 });
  assert.equal(await kenta.evaluate(() => window.__stillTheSamePage), true, 'no reload');

  await kenta.goto(url('demo', '/messages'));
  await kenta.shot('messages-list-ja');
  aoi.assertClean();
  kenta.assertClean();
});
