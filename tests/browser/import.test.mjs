// CSV import journey: the secretariat imports an alumni list saved from Excel — the import
// page, the preview with every row's problems, the confirmation, and the progress that reaches
// "finished" by itself — in three page loads. Screenshot: the preview.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, url } from './lib.mjs';

const DEMO_PASSWORD = 'tsunagu-demo-2026';
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('the secretariat imports a CSV: preview, confirm, done in three page loads', async () => {
  const page = await openPage(browser, { locale: 'ja-JP' });
  await page.goto(url('demo', '/sign-in'));
  await page.fill('form[action^="/sign-in"] input[name=email]', 'jimukyoku@demo.example.co.jp');
  await page.fill('form[action^="/sign-in"] input[name=password]', DEMO_PASSWORD);
  await page.click('form[action^="/sign-in"] [type=submit]');
  await page.waitForLoadState('load');

  let loads = 0;
  page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) loads += 1; });
  const stamp = Date.now();
  const csv = [
    '氏名,フリガナ,メール,入社年,退職年,部署',
    `髙橋 美咲,タカハシ ミサキ,misaki.${stamp}@example.jp,2008,2019,営業部`,
    `中村 翔,ナカムラ ショウ,sho.${stamp}@example.jp,2012,2021,開発部`,
    `,ナナシ,noname.${stamp}@example.jp,2015,2020,総務部`,
  ].join('\r\n');
  await page.goto(url('demo', '/secretariat/import'));
  await page.setInputFiles('#import-file', {
    name: '卒業生名簿.csv',
    mimeType: 'text/csv',
    buffer: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv, 'utf8')]),
  });
  await page.click('form[action="/secretariat/import"] button[type=submit]');
  await page.waitForLoadState('load');
  assert.match(new URL(page.url()).pathname, /^\/secretariat\/import\/[0-9a-f-]+$/);
  assert.equal(await page.textContent('#import-ready'), '2');
  assert.equal(await page.textContent('#import-failed'), '1');
  assert.ok(await page.isVisible('text=氏名がありません'));
  await page.shot('import-preview-ja');

  await page.click('form[action$="/start"] button[type=submit]');
  await page.waitForLoadState('load');
  await page.waitForSelector('text=取り込みが完了しました', { timeout: 20000 });
  assert.equal(await page.textContent('#import-invited'), '2');
  assert.ok(await page.isVisible('a[href$="/failed.csv"]'));
  assert.ok(loads <= 3, `the import took ${loads} page loads`);
  await page.close();
});
