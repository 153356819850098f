// Identity journeys: an alumna joins, verifies her address (through the development mail page),
// the secretariat approves her, and she signs in and sees the network; an employee with a company
// address is active as soon as she verifies.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, url } from './lib.mjs';

const PASSWORD = 'a long enough password';
const DEMO_PASSWORD = 'tsunagu-demo-2026';
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function join(page, tenant, { email, kind, name }) {
  await page.goto(url(tenant, '/join'));
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', PASSWORD);
  await page.check(`input[name=kind][value=${kind}]`);
  await page.fill('input[name=name_kanji]', name);
  await page.fill('input[name=joined_year]', '2014');
  await page.click('form[action="/join"] [type=submit]');
  await page.waitForURL(/\/join\/check-email$/);
}

/** Opens the newest verification link for `email` from the development mail page and confirms. */
async function verify(page, tenant, email) {
  await page.goto(url(tenant, '/_dev/mail'));
  const card = page.locator('.card', { hasText: email }).first();
  const link = await card.locator('a[href*="/verify-email?token="]').first().getAttribute('href');
  await page.goto(link);
  await page.click('form[action="/verify-email"] [type=submit]');
  await page.waitForLoadState('load');
}

async function signIn(page, tenant, email, password) {
  await page.goto(url(tenant, '/sign-in'));
  await page.fill('form[action="/sign-in"] input[name=email]', email);
  await page.fill('form[action="/sign-in"] input[name=password]', password);
  await page.click('form[action="/sign-in"] [type=submit]');
  await page.waitForLoadState('load');
}

test('alumni: join, verify, approval by the secretariat, sign in', async () => {
  const email = `misaki.${Date.now()}@example.jp`;
  const name = '高橋 美咲';
  const alumna = await openPage(browser, { locale: 'ja-JP' });
  await join(alumna, 'demo', { email, kind: 'alumni', name });
  await alumna.shot('join-check-email');
  await verify(alumna, 'demo', email);
  await alumna.shot('verified-waiting-for-approval');

  // Not yet: waiting for the secretariat.
  await signIn(alumna, 'demo', email, PASSWORD);
  assert.ok(await alumna.isVisible('[role=alert]'));

  const office = await openPage(browser, { locale: 'ja-JP' });
    await signIn(office, 'demo', 'jimukyoku@demo.example.co.jp', DEMO_PASSWORD);
  // From the workspace home's to-do to the approval: three page loads.
  let loads = 0;
  office.on('framenavigated', (frame) => { if (frame === office.mainFrame()) loads += 1; });
  await office.goto(url('demo', '/secretariat'));
  await office.click('.todo-grid a[href="/secretariat/approvals"]');
  await office.waitForLoadState('load');
  await office.shot('secretariat-approvals');
  const card = office.locator('.card', { hasText: name });
  await card.locator('form[action$="/approve"] [type=submit]').click();
  await office.waitForLoadState('load');
  assert.equal(await office.locator('.card', { hasText: name }).count(), 0);
  assert.ok(loads <= 3, `approving took ${loads} page loads`);
  office.assertClean();

  await signIn(alumna, 'demo', email, PASSWORD);
  assert.equal(new URL(alumna.url()).pathname, '/');
  assert.match(await alumna.textContent('header'), new RegExp(name));
  assert.ok(await alumna.isVisible('#announcements-title'));
  await alumna.shot('member-home-ja');
  alumna.assertClean();
});

test('employee with a company address: active once verified', async () => {
  const email = `jane.${Date.now()}@acme.example.com`;
  const employee = await openPage(browser, { locale: 'en-US' });
  await join(employee, 'acme', { email, kind: 'employee', name: 'Jane Miller' });
  await verify(employee, 'acme', email);
  await signIn(employee, 'acme', email, PASSWORD);
  assert.equal(new URL(employee.url()).pathname, '/');
  assert.match(await employee.textContent('header'), /Jane Miller/);
  await employee.goto(url('acme', '/account'));
  await employee.shot('account-en');
  employee.assertClean();
});
