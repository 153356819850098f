// Survey journey: the secretariat builds a 4-question survey and publishes it, two members answer
// (one after a refused, incomplete try), the secretariat reads the results, makes a segment of
// those who said yes, sends them an invitation, one accepts, and the secretariat starts an
// interview article. Counts the page loads from the results to the outreach page.
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

async function addQuestion(page, kind, prompt, { options = '', required = false } = {}) {
  const form = page.locator('#add-question form');
  await form.locator('select[name=kind]').selectOption(kind);
  await form.locator('input[name=prompt]').fill(prompt);
  if (options) await form.locator('textarea[name=options]').fill(options);
  if (required) await form.locator('input[name=required]').check();
  await form.locator('[type=submit]').click();
  await page.waitForLoadState('load');
  assert.ok(await page.isVisible(`h3:has-text("${prompt}")`), `question added: ${prompt}`);
}

test('build, answer, results, segment, outreach, acceptance, interview article', async () => {
  const title = `キャリア調査 ${Date.now()}`;
  const office = await signedIn('jimukyoku@demo.example.co.jp');
  await office.goto(url('demo', '/secretariat/surveys'));
  await office.fill('form[action="/secretariat/surveys"] input[name=title]', title);
  await office.click('form[action="/secretariat/surveys"] [type=submit]');
  await office.waitForLoadState('load');
  assert.match(new URL(office.url()).pathname, /^\/secretariat\/surveys\/[0-9a-f-]+$/);
  const builder = new URL(office.url()).pathname;

  await addQuestion(office, 'single', '現在の業界は？', { options: 'IT・通信\n金融\n製造', required: true });
  await addQuestion(office, 'yes_no', 'インタビューに協力できますか？', { required: true });
  await addQuestion(office, 'scale', '在籍時の満足度');
  await addQuestion(office, 'short_text', 'ひとこと');
  await office.shot('survey-builder-ja');
  await office.click(`form[action="${builder}/publish"] [type=submit]`);
  await office.waitForLoadState('load');
  assert.ok(await office.isVisible('text=受付中'));
  const surveyPath = builder.replace('/secretariat', '');

  // Haruka forgets a required answer first: the page says so and keeps what she chose.
  const haruka = await signedIn('haruka.ito@example.jp');
  await haruka.goto(url('demo', surveyPath));
  await haruka.locator('fieldset', { hasText: '現在の業界は？' }).locator('label', { hasText: 'IT・通信' }).click();
  await haruka.locator('fieldset', { hasText: 'ひとこと' }).locator('input').fill('お役に立てれば');
  await haruka.shot('survey-member-form-ja');
  await haruka.click(`form[action="${surveyPath}"] [type=submit]`);
  await haruka.waitForLoadState('load');
  assert.ok(await haruka.isVisible('.field-error'), 'the missing answer is pointed out');
  assert.equal(await haruka.inputValue('fieldset:has-text("ひとこと") input'), 'お役に立てれば');
  await haruka.locator('fieldset', { hasText: 'インタビューに協力できますか？' }).locator('label', { hasText: 'はい' }).click();
  await haruka.click(`form[action="${surveyPath}"] [type=submit]`);
  await haruka.waitForLoadState('load');
  assert.ok(await haruka.isVisible('text=ご回答ありがとうございました'));

  const kenta = await signedIn('kenta.yamamoto@example.jp');
  await kenta.goto(url('demo', surveyPath));
  await kenta.locator('fieldset', { hasText: '現在の業界は？' }).locator('label', { hasText: '金融' }).click();
  await kenta.locator('fieldset', { hasText: 'インタビューに協力できますか？' }).locator('label', { hasText: 'いいえ' }).click();
  await kenta.click(`form[action="${surveyPath}"] [type=submit]`);
  await kenta.waitForLoadState('load');
  assert.ok(await kenta.isVisible('text=ご回答ありがとうございました'));

  // Results, narrowed to "yes"; then segment → outreach, counting page loads from here.
  await office.goto(url('demo', `${builder}/results`));
  assert.ok(await office.isVisible('text=2人が回答'));
  await office.shot('survey-results-ja');
  const yesQuestion = office.locator('section', { hasText: 'インタビューに協力できますか？' });
  await yesQuestion.locator('a', { hasText: 'はい' }).click();
  await office.waitForLoadState('load');
  let loads = 0;
  office.on('load', () => { loads += 1; });
  await office.fill('.segment-save input[name=name]', 'インタビュー協力可（ブラウザ）');
  await office.click('.segment-save [type=submit]');
  await office.waitForLoadState('load');
  assert.ok(await office.isVisible('text=現在1人が該当しています'));
  await office.fill('#outreach input[name=subject]', 'インタビューのお願い');
  await office.fill('#outreach textarea[name=body]', '30分ほどお話を聞かせてください。');
  await office.click('#outreach [type=submit]');
  await office.waitForLoadState('load');
  assert.match(new URL(office.url()).pathname, /^\/secretariat\/outreach\//);
  assert.ok(loads <= 3, `segment → outreach took ${loads} page loads`);
  console.log(`segment → outreach: ${loads} page loads`);
  const outreachPath = new URL(office.url()).pathname;

  // Haruka gets the invitation in her notifications and accepts.
  await haruka.goto(url('demo', '/notifications'));
  await haruka.locator('a', { hasText: 'インタビューのお願い' }).first().click();
  await haruka.waitForLoadState('load');
  assert.ok(await haruka.isVisible('text=30分ほどお話を聞かせてください。'));
  await haruka.click('button[value=accept]');
  await haruka.waitForLoadState('load');
  assert.ok(await haruka.isVisible('text=承諾しました'));

  await office.goto(url('demo', outreachPath));
  await office.shot('survey-outreach-funnel-ja');
  await office.locator('tr', { hasText: '伊藤' }).locator('button', { hasText: 'インタビュー記事を作成' }).click();
  await office.waitForLoadState('load');
  assert.match(new URL(office.url()).pathname, /^\/articles\/[0-9a-f-]+\/edit$/);
  assert.match(await office.inputValue('input[name=title]'), /インタビュー/);

  office.assertClean();
  haruka.assertClean();
  kenta.assertClean();
});
