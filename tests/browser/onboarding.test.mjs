// Onboarding and billing journey (issue #19): a company signs up on the apex site, picks
// `example-corp` (availability shown as it types), confirms its address from the development
// outbox, lands signed in as the secretariat with the first-week checklist, upgrades to Standard
// through the stand-in Stripe Checkout, and the billing page shows Standard. Screenshots of each
// step, desktop and mobile.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, url } from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a company signs up, opens its network and upgrades through Checkout', async () => {
  const page = await openPage(browser, { locale: 'ja-JP' });
  await page.goto(url('', '/'));
  await page.click('a[href="/start"]');
  await page.waitForURL(/\/start$/);

  await page.fill('input[name=company]', 'Example Corp アルムナイ');
  // A taken address is refused as it is typed.
  await page.fill('input[name=slug]', 'demo');
  await page.waitForSelector('#slug-availability [data-availability="taken"]');
  await page.fill('input[name=slug]', 'example-corp');
  await page.waitForSelector('#slug-availability [data-availability="available"]');
  await page.fill('input[name=name]', '山田 花子');
  await page.fill('input[name=email]', 'hanako@example-corp.example');
  await page.fill('input[name=password]', 'a long enough password');
  assert.ok(await page.isChecked('input[name=language][value=ja]'), 'the visitor language is chosen');
  await page.check('input[name=plan][value=free]');
  await page.shot('onboarding-start-ja');
  await page.click('form[action="/start"] [type=submit]');
  await page.waitForURL(/\/start\/check-email/);
  assert.ok(await page.isVisible('text=example-corp.localhost'));
  await page.shot('onboarding-check-email-ja');

  // Not open yet: the network's address shows nothing but the confirmation.
  const early = await page.goto(url('example-corp', '/'));
  assert.equal(early.status(), 404);

  // The confirmation link from the development outbox.
  await page.goto(url('example-corp', '/_dev/mail'));
  const link = await page.locator('a[href*="/verify-email?token="]').first().getAttribute('href');
    await page.goto(link);
  await page.fill('form[action="/verify-email"] input[name=password]', 'a long enough password');
  await page.shot('onboarding-confirm-ja');
  await page.click('form[action="/verify-email"] [type=submit]');
  await page.waitForURL(/\/secretariat\?notice=network_ready$/);
  assert.ok(await page.isVisible('text=ネットワークを開設しました'));
  assert.ok(await page.isVisible('text=最初の1週間'), 'the first-week checklist');
  await page.shot('onboarding-network-open-checklist-ja');

  // Plan & billing: Free, with the upgrade.
  await page.click('.secretariat-tabs a[href="/secretariat/billing"]');
  await page.waitForURL(/\/secretariat\/billing$/);
  assert.equal(await page.getAttribute('.plan-current', 'data-plan'), 'free');
  await page.shot('billing-free-ja');
  await page.click('form[action="/secretariat/billing/checkout"] [type=submit]');
  // The stand-in's Checkout (Stripe's hosted page in production).
  await page.waitForURL(/127\.0\.0\.1:\d+\/checkout\/cs_test_/);
  await page.shot('billing-standin-checkout');
  await page.click('form[action$="/pay"] [type=submit]');
  await page.waitForURL(/example-corp\.localhost:\d+\/secretariat\/billing\?checkout=success$/);
  assert.equal(await page.getAttribute('.plan-current', 'data-plan'), 'standard');
  assert.ok(await page.isVisible('text=スタンダード'));
  assert.ok(await page.isVisible('form[action="/secretariat/billing/portal"]'), 'the customer portal is offered');
  await page.shot('billing-standard-ja');
  page.assertClean();

  // The same page on a phone.
  const phone = await openPage(browser, { locale: 'ja-JP', viewport: { width: 390, height: 844 } });
  await phone.goto(url('', '/start'));
  await phone.shot('onboarding-start-mobile-ja');
  phone.assertClean();
});
