// Events journey: an employee creates a study session (the demo network lets members create
// events); two alumni answer "going" for its one place, so the second is waitlisted; the first
// cancels and the second is promoted; the organiser checks her in at the door from a phone and
// sends the post-event survey. Screenshots: the event page in Japanese and English, on a phone.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, url } from './lib.mjs';

const DEMO_PASSWORD = 'tsunagu-demo-2026';
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function signedIn(email, options = { locale: 'ja-JP' }) {
  const page = await openPage(browser, options);
  await page.goto(url('demo', '/sign-in'));
  await page.fill('form[action="/sign-in"] input[name=email]', email);
  await page.fill('form[action="/sign-in"] input[name=password]', DEMO_PASSWORD);
  await page.click('form[action="/sign-in"] [type=submit]');
  await page.waitForLoadState('load');
  return page;
}

/** `YYYY-MM-DDTHH:MM` in Japan time, `days` from now (the network's zone). */
function japanTime(days, hours = 0) {
  const at = new Date(Date.now() + (days * 24 + hours) * 3600 * 1000 + 9 * 3600 * 1000);
  return at.toISOString().slice(0, 16);
}

test('a member holds a study session: waitlist, promotion, check-in, post-event survey', async () => {
  const sho = await signedIn('sho.kobayashi@demo.example.co.jp');
  await sho.goto(url('demo', '/events'));
  await sho.click('a[href="/events/new"]');
  await sho.waitForLoadState('load');
  const title = `Rust勉強会 ${Date.now()}`;
  await sho.fill('input[name=title]', title);
  await sho.fill('textarea[name=description]', '社内のRust勉強会です。卒業生の方もどうぞ。');
  await sho.fill('input[name=starts_at]', japanTime(3));
  await sho.fill('input[name=ends_at]', japanTime(3, 2));
  await sho.check('#format-offline');
  await sho.fill('input[name=venue_name]', '本社 3階 会議室');
  await sho.fill('input[name=venue_address]', '東京都千代田区丸の内1-1-1');
  await sho.fill('input[name=capacity]', '1');
  await sho.click('form[action="/events"] button[type=submit]');
  await sho.waitForLoadState('load');
  const path = new URL(sho.url()).pathname;
  assert.match(path, /^\/events\/[0-9a-f-]+$/);
  assert.ok(await sho.isVisible(`h1:has-text("${title}")`));

  // Kenta takes the one place (the answer box swaps in place); Haruka is waitlisted.
  const kenta = await signedIn('kenta.yamamoto@example.jp');
  await kenta.goto(url('demo', path));
  await kenta.click('#rsvp button[value=going]');
  await kenta.waitForSelector('#rsvp .badge-success');
  const haruka = await signedIn('haruka.ito@example.jp');
  await haruka.goto(url('demo', path));
  assert.ok(await haruka.isVisible('#rsvp button:has-text("キャンセル待ちに登録")'));
  await haruka.click('#rsvp button[value=going]');
  await haruka.waitForSelector('#rsvp .badge-warning:has-text("キャンセル待ち")');

  // Kenta cannot come after all: Haruka gets the place.
  await kenta.click('#rsvp button[value=not_going]');
  await kenta.waitForSelector('#rsvp .badge:has-text("不参加")');
  await haruka.reload();
  await haruka.waitForSelector('#rsvp .badge-success:has-text("参加")');
  await haruka.shot('event-page-ja');

  // The same page in English, on a phone.
    const phoneEn = await signedIn('haruka.ito@example.jp', { viewport: { width: 390, height: 844 } });
  await phoneEn.goto(url('demo', path));
  await phoneEn.click('.lang-switch button');
  await phoneEn.waitForLoadState('load');
  assert.equal(await phoneEn.getAttribute('html', 'lang'), 'en');
  assert.ok(await phoneEn.isVisible('#rsvp :text("Going")'));
    await phoneEn.shot('event-page-en-mobile');
  // Her account keeps the choice: back to Japanese, as the other journeys expect her.
  await phoneEn.click('.lang-switch button');
  await phoneEn.waitForLoadState('load');
  assert.equal(await phoneEn.getAttribute('html', 'lang'), 'ja');

  // The day comes (the organiser moves the start to this morning), and at the door he checks
  // Haruka in from his phone, then sends the post-event survey with one action.
  await sho.goto(url('demo', `${path}/edit`));
  await sho.fill('input[name=starts_at]', japanTime(0, -3));
  await sho.fill('input[name=ends_at]', japanTime(0, -1));
  await sho.click(`form[action="${path}/edit"] button[type=submit]`);
  await sho.waitForLoadState('load');
  await sho.setViewportSize({ width: 390, height: 844 });
  await sho.goto(url('demo', `${path}/attendees`));
  await sho.click('button.event-check-in');
  await sho.waitForLoadState('load');
  assert.ok(await sho.isVisible('.event-attendee-in'));
  await sho.shot('event-check-in-mobile');
  await sho.click(`form[action="${path}/survey"] button[type=submit]`);
  await sho.waitForLoadState('load');
  assert.ok(await sho.isVisible('.badge-success:has-text("事後アンケート送信済み")'));

  // Haruka finds it among her surveys.
  await haruka.goto(url('demo', '/surveys'));
  assert.ok(await haruka.isVisible(`text=${title}`));

  for (const page of [sho, kenta, haruka, phoneEn]) page.assertClean();
});
