// Moderation journey: a member reports a post from its page; the secretariat goes from its
// workspace home's to-do to the queue and hides the post — three page loads — and members no
// longer see it. Screenshot: the queue.
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

test('a reported post is hidden from the to-do in three page loads', async () => {
  const text = `高収入の副業、今だけ ${Date.now()}`;
  const kenta = await signedIn('kenta.yamamoto@example.jp');
  await kenta.goto(url('demo', '/timeline'));
  await kenta.fill('form[action="/posts"] textarea[name=body]', text);
  await kenta.click('form[action="/posts"] [type=submit]');
  await kenta.waitForLoadState('load');
  const permalink = await kenta
    .locator('article', { hasText: text })
    .first()
    .locator('a.post-permalink')
    .getAttribute('href');

  // Another member reports it from the post's page, with a reason.
  const haruka = await signedIn('haruka.ito@example.jp');
  await haruka.goto(url('demo', permalink));
  await haruka.click('details.report summary');
  await haruka.fill('details.report textarea[name=reason]', '勧誘のように見えます');
  await haruka.click('details.report [type=submit]');
  await haruka.waitForLoadState('load');
  assert.ok(await haruka.isVisible('.flash:has-text("通報しました")'));
  haruka.assertClean();

  const office = await signedIn('jimukyoku@demo.example.co.jp');
  let loads = 0;
  office.on('framenavigated', (frame) => { if (frame === office.mainFrame()) loads += 1; });
  await office.goto(url('demo', '/secretariat'));
  await office.click('.todo-grid a[href="/secretariat/moderation"]');
  await office.waitForLoadState('load');
  const card = office.locator('.moderation-item', { hasText: text });
  assert.ok(await card.isVisible());
  assert.ok(await card.locator('text=勧誘のように見えます').isVisible());
  await office.shot('moderation-queue');
  await card.locator('button[value=hide]').click();
  await office.waitForLoadState('load');
  assert.ok(await office.isVisible('.flash:has-text("非表示にしました")'));
  assert.equal(await office.locator('.moderation-item', { hasText: text }).count(), 0);
  assert.ok(loads <= 3, `hiding took ${loads} page loads`);
  office.assertClean();

  // Members no longer see it.
  await haruka.goto(url('demo', '/timeline'));
  assert.equal(await haruka.locator('article', { hasText: text }).count(), 0);
  for (const page of [kenta, haruka, office]) await page.close();
});
