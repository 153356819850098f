// Secretariat workspace journey: the secretariat signs in and reads the level-3 trend on its
// workspace home — the sign-in page, the sign-in and the workspace: three page loads. The
// charts are SVG drawn on the server, each with its figures as a table. Screenshots: the
// workspace in Japanese (demo) and English (acme), and on a phone.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, url } from './lib.mjs';

const DEMO_PASSWORD = 'tsunagu-demo-2026';
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Counts the documents a page loads (navigations of its main frame). */
function countLoads(page) {
  const counter = { loads: 0 };
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) counter.loads += 1;
  });
  return counter;
}

async function readTheTrend(slug, email, options) {
  const page = await openPage(browser, options);
  const counter = countLoads(page);
  await page.goto(url(slug, '/sign-in?next=/secretariat'));
  await page.fill('form[action^="/sign-in"] input[name=email]', email);
  await page.fill('form[action^="/sign-in"] input[name=password]', DEMO_PASSWORD);
  await page.click('form[action^="/sign-in"] [type=submit]');
  await page.waitForLoadState('load');
  if (new URL(page.url()).pathname !== '/secretariat') {
    await page.goto(url(slug, '/secretariat'));
  }
  assert.ok(counter.loads <= 3, `the trend is ${counter.loads} page loads away`);
  assert.ok(await page.isVisible('#level-title'));
  assert.equal(await page.locator('table.level-trend tbody tr').count(), 12, 'twelve months');
    assert.equal(await page.locator('figure.chart').count(), 4, 'four charts');
  // The demo content is from this week: members are drawn (other charts may say "nothing yet").
  assert.ok(await page.isVisible('#chart-members-caption + svg.chart-svg'));
  // Every chart's figures are a table away, without JavaScript.
  const first = page.locator('figure.chart details').first();
  await first.locator('summary').click();
  assert.ok(await first.locator('table').isVisible());
  return page;
}

test('the secretariat reads the level-3 trend in three page loads (ja)', async () => {
  const page = await readTheTrend('demo', 'jimukyoku@demo.example.co.jp', { locale: 'ja-JP' });
  assert.ok(await page.isVisible('h2:has-text("レベル3指標")'));
  assert.ok(await page.isVisible('.todo-grid'));
  await page.shot('workspace-ja');
  await page.close();
});

test('the workspace reads in English and fits a phone', async () => {
  const page = await readTheTrend('acme', 'alumni-office@acme.example.com', { locale: 'en-US' });
  assert.ok(await page.isVisible('h2:has-text("Level-3 indicator")'));
  await page.shot('workspace-en');
      await page.setViewportSize({ width: 390, height: 844 });
    // Signed-in pages once scrolled sideways on a phone: the header's screen-reader labels
  // escaped the scrolling nav row. Check a few, the workspace last.
  for (const path of ['/', '/events', '/secretariat/members', '/secretariat']) {
    await page.goto(url('acme', path));
    const wide = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.ok(wide <= 1, `${path} scrolls sideways on a phone by ${wide}px`);
  }
    const { overflow, widest } = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    // The outermost elements that stick out, to say what to fix.
        const clipped = (e) => {
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
        if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX)) return true;
      }
      return false;
    };
    const name = (e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`;
    const widest = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > width + 1 && !clipped(e))
            .filter((e) => {
        const parent = e.parentElement;
        return !parent || parent === document.body || parent.getBoundingClientRect().right <= width + 1;
      })
      .slice(0, 5)
      .map((e) => `${name(e.parentElement)} > ${name(e)}`);
        if (widest.length === 0) {
      // Nothing outside a scroll box sticks out: say what sticks out furthest anyway.
      widest.push(
        ...[...document.querySelectorAll('body *')]
          .map((e) => [e.getBoundingClientRect().right, e])
          .sort((a, b) => b[0] - a[0])
          .slice(0, 4)
          .map(([right, e]) => `${name(e.parentElement)} > ${name(e)} (${Math.round(right)}${clipped(e) ? ', in a scroll box' : ''})`),
      );
    }
    return { overflow: document.documentElement.scrollWidth - width, widest };
  });
  assert.ok(overflow <= 1, `no sideways scrolling on a phone (${overflow}px: ${widest.join(', ')})`);
  await page.shot('workspace-en-mobile');
  await page.close();
});
