// Community journeys: a member posts, another comments and likes (in place, with htmx); the
// secretariat publishes a 募集, two members say they are interested, and the secretariat gathers
// them into a follow-up list; the directory finds a member by kana.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, url } from './lib.mjs';

const DEMO_PASSWORD = 'tsunagu-demo-2026';
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function signedIn(email, tenant = 'demo') {
  const page = await openPage(browser, { locale: 'ja-JP' });
  await page.goto(url(tenant, '/sign-in'));
  await page.fill('form[action="/sign-in"] input[name=email]', email);
  await page.fill('form[action="/sign-in"] input[name=password]', DEMO_PASSWORD);
  await page.click('form[action="/sign-in"] [type=submit]');
  await page.waitForLoadState('load');
  assert.equal(new URL(page.url()).pathname, '/');
  return page;
}

test('a member posts, another comments and likes', async () => {
  const text = `週末の勉強会、参加してよかったです ${Date.now()}`;
  const kenta = await signedIn('kenta.yamamoto@example.jp');
  await kenta.goto(url('demo', '/timeline'));
  await kenta.fill('form[action="/posts"] textarea[name=body]', text);
  await kenta.click('form[action="/posts"] [type=submit]');
  await kenta.waitForLoadState('load');
  assert.ok(await kenta.isVisible(`text=${text}`));

  const haruka = await signedIn('haruka.ito@example.jp');
  await haruka.goto(url('demo', '/timeline'));
  const post = haruka.locator('article', { hasText: text }).first();
  const like = post.locator('form[action$="/like"] button');
  assert.equal(await like.getAttribute('aria-pressed'), 'false');
  const before = haruka.url();
  await like.click();
  await haruka.waitForFunction((t) => {
    const article = [...document.querySelectorAll('article')].find((a) => a.textContent.includes(t));
    return article?.querySelector('form[action$="/like"] button')?.getAttribute('aria-pressed') === 'true';
  }, text);
  assert.equal(haruka.url(), before, 'liked in place, without a reload');
  await haruka.shot('timeline-ja');

    await post.locator('a[href*="#comments"]').first().click();
  await haruka.waitForLoadState('load');
  const postUrl = haruka.url();
  await haruka.fill('textarea[name=body]', 'いいですね！次回はぜひ私も参加します。');
  await haruka.click('form[action$="/comments"] [type=submit]');
  await haruka.waitForSelector('text=いいですね！次回はぜひ私も参加します。');
  assert.equal(haruka.url(), postUrl, 'commented in place, without a reload');
  assert.equal(await haruka.inputValue('textarea[name=body]'), '', 'the form is fresh again');
  await haruka.shot('post-with-comment-ja');
  kenta.assertClean();
  haruka.assertClean();
});

test('the secretariat publishes a 募集, two members are interested, and they are gathered', async () => {
  const title = `OB・OG座談会の登壇者を募集します ${Date.now()}`;
  const office = await signedIn('jimukyoku@demo.example.co.jp');
  await office.goto(url('demo', '/recruitments/new'));
  await office.fill('input[name=title]', title);
  await office.fill('textarea[name=body]', '12月の座談会で、退職後のキャリアについてお話しいただける方を募集します。');
  await office.click('form[action="/recruitments"] [type=submit]');
  await office.waitForLoadState('load');
  const recruitmentUrl = office.url().split('?')[0];

  for (const email of ['kenta.yamamoto@example.jp', 'daisuke.watanabe@example.jp']) {
    const member = await signedIn(email);
    await member.goto(recruitmentUrl);
    const interested = member.locator('form[action$="/react"]:has(input[value=interested]) button');
    await interested.click();
    await member.waitForFunction(() =>
      document.querySelector('form[action$="/react"] input[value=interested]')
        ?.closest('form')?.querySelector('button')?.getAttribute('aria-pressed') === 'true');
    member.assertClean();
  }

  await office.goto(recruitmentUrl);
  await office.click('form[action$="/gather"] [type=submit]');
  await office.waitForLoadState('load');
  const followups = office.locator('#followups');
  assert.ok(await followups.getByRole('link', { name: '山本 健太' }).isVisible());
  assert.ok(await followups.getByRole('link', { name: '渡辺 大輔' }).isVisible());
  await office.shot('recruitment-followups-ja');
  office.assertClean();
});

test('the directory finds a member by kana', async () => {
  const page = await signedIn('kenta.yamamoto@example.jp');
  await page.goto(url('demo', '/members'));
  await page.fill('input[name=q]', 'わたなべ');
  await page.press('input[name=q]', 'Enter');
  await page.waitForLoadState('load');
  assert.ok(await page.isVisible('text=渡辺 大輔'));
  assert.equal(await page.locator('text=伊藤 遥').count(), 0);
  await page.shot('directory-search-ja');
  page.assertClean();
});

test('the secretariat publishes an interview article featuring a member', async () => {
  const title = `アルムナイインタビュー：渡辺 大輔さん ${Date.now()}`;
  const office = await signedIn('jimukyoku@demo.example.co.jp');
  await office.goto(url('demo', '/articles/new'));
  await office.fill('input[name=title]', title);
  await office.fill('textarea[name=summary]', '独立して5年、技術顧問として活躍する渡辺さんに伺いました。');
  await office.fill('textarea[name=body]', '在籍時に学んだことは何ですか。\n\n「お客様の現場に行くこと」です。今も大切にしています。');
  await office.selectOption('select[name=featured]', { label: '渡辺 大輔' });
  await office.check('input[name=status][value=publish]');
  await office.click('form[action="/articles"] [type=submit]');
  await office.waitForLoadState('load');
  assert.match(await office.textContent('h1'), /アルムナイインタビュー/);
  await office.shot('article-ja');
  office.assertClean();

  const reader = await signedIn('kenta.yamamoto@example.jp');
  await reader.goto(url('demo', '/articles'));
  await reader.click(`a:has-text("${title}")`);
  await reader.waitForLoadState('load');
  const featured = reader.locator('a[href^="/members/"]', { hasText: '渡辺 大輔' }).first();
  assert.ok(await featured.isVisible());
  await featured.click();
  await reader.waitForLoadState('load');
  assert.match(reader.url(), /\/members\//);
  reader.assertClean();
});
