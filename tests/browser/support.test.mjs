// Support journey (issue #18): the secretariat lets CS help for 24 hours with surveys; a CS staff
// member enters the network from the console, pushes the "career survey" playbook as a draft;
// the secretariat approves and publishes it, then revokes access, and the staff member's next
// request is refused. Screenshots: the console directory with the entry button, the staff bar,
// the secretariat's banner.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, url } from './lib.mjs';

const DEMO_PASSWORD = 'tsunagu-demo-2026';
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('CS helps under a grant: a playbook draft, approved, then access revoked', async () => {
  const office = await openPage(browser, { locale: 'ja-JP' });
  await office.goto(url('demo', '/sign-in'));
  await office.fill('form[action="/sign-in"] input[name=email]', 'jimukyoku@demo.example.co.jp');
  await office.fill('form[action="/sign-in"] input[name=password]', DEMO_PASSWORD);
  await office.click('form[action="/sign-in"] [type=submit]');
  await office.waitForLoadState('load');

  // The secretariat opens access for 24 hours, for content and surveys.
  await office.goto(url('demo', '/secretariat/support'));
  await office.check('form[action="/secretariat/support"] input[name=duration][value="24h"]');
  await office.check('form[action="/secretariat/support"] input[name=scope][value=surveys]');
  await office.click('form[action="/secretariat/support"] [type=submit]');
  await office.waitForLoadState('load');
  assert.ok(await office.isVisible('.support-bar:has-text("Tsunagu CS が")'), 'the banner says CS is helping');
  await office.shot('support-secretariat-banner-ja');

  // CS staff enter from the console.
  const staff = await openPage(browser, { locale: 'ja-JP' });
  await staff.goto(url('console', '/sign-in'));
  await staff.fill('input[name=email]', 'cs@tsunagu.example');
  await staff.fill('input[name=password]', DEMO_PASSWORD);
  await staff.click('form[action="/sign-in"] [type=submit]');
  await staff.waitForLoadState('load');
  const enter = staff.locator('form[action="/tenants/demo/enter"] [type=submit]');
  assert.ok(await enter.isVisible(), 'the directory offers to enter demo');
  await staff.shot('support-console-directory-ja');
    await enter.click();
  // The console's page follows its one-time link to the network by itself.
  await staff.waitForURL((u) => u.hostname.startsWith('demo.') && u.pathname === '/support');
  assert.equal(new URL(staff.url()).pathname, '/support', staff.url());
  assert.ok(await staff.isVisible('.support-bar:has-text("Tsunagu CS")'));
  assert.ok(!(await staff.isVisible('a[href="/messages"]')), 'no messages for support');
  await staff.shot('support-staff-home-ja');

  // Staff push the career survey playbook: a draft that waits for the secretariat.
  await staff.goto(url('demo', '/secretariat/playbooks'));
    await staff.click('form[action="/secretariat/playbooks/career-survey"] [type=submit]');
  await staff.waitForURL(/\/secretariat\/surveys\//);
  const builder = new URL(staff.url()).pathname;
  assert.match(builder, /^\/secretariat\/surveys\/[0-9a-f-]+$/);
  assert.ok(await staff.isVisible('text=事務局の承認待ち'));
  assert.equal(await staff.locator(`form[action="${builder}/publish"]`).count(), 0, 'staff cannot publish');

  // The secretariat approves and publishes it in one click.
  await office.goto(url('demo', builder));
  assert.ok(await office.isVisible('text=Tsunagu CS が作成した下書き'));
  await office.click(`form[action="${builder}/publish"] [type=submit]`);
  await office.waitForLoadState('load');
  await office.goto(url('demo', '/surveys'));
  assert.ok(await office.isVisible('text=キャリア調査'), 'members can answer it now');

  // The audit log names the staff member; then the secretariat revokes access.
  await office.goto(url('demo', '/secretariat/audit'));
  assert.ok(await office.isVisible('text=Tsunagu CS · CS Demo'));
  await office.goto(url('demo', '/secretariat/support'));
  await office.click('form[action$="/revoke"] [type=submit]');
  await office.waitForLoadState('load');
  assert.ok(!(await office.isVisible('.support-bar')), 'the banner is gone');

  // The staff member's next request is refused.
  const refused = await staff.goto(url('demo', '/support'));
  assert.equal(refused.status(), 404);
  office.assertClean();
  staff.assertClean();
  await office.close();
  await staff.close();
});
