// Browser test of the visitor statistics (issue 15, item 4), in Debian's Chromium: a citizen's
// visits to the demo's public pages reach the aggregates (the server flushes them every 30 s);
// an admin opens Formulieren › Statistieken in nl and fr (axe clean, desktop and phone, no
// sideways scroll), sees the chart with its table and "< 5" for small counts, gets a field error
// for an end before the start, and downloads the CSV. Screenshots: e2e/artifacts/stats-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activate, enrolTOTP, deskContext, expectNoAxeViolations, inBothLanguages, invite, login, shot, suite } from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-stats-' });

test('stats: an admin reads the visitor statistics with small counts suppressed', { timeout: 240_000 }, async () => {
  const ctx = await s.browser.newContext(deskContext);
  // Headless Chromium says so in its User-Agent, and bots are not counted: the citizen's
  // context presents itself as the desktop Chrome it is.
  const citizenCtx = await s.browser.newContext({ ...deskContext,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36' });
  try {
    const citizen = await citizenCtx.newPage();
    for (let i = 0; i < 6; i++) assert.equal((await citizen.goto(`${s.baseURL}/demo/vraag`)).status(), 200);
    assert.equal((await citizen.goto(`${s.baseURL}/demo/vraag?lang=fr`)).status(), 200);

    const page = await ctx.newPage();
    await activate(page, invite(s.kluis, 'e2e-stats@demo.example', 'Cijfer Beheerder', 'nl', 'admin'), 'kastanje raadhuis zomerwind');
    await login(page, s.baseURL, 'e2e-stats@demo.example', 'kastanje raadhuis zomerwind');
    await enrolTOTP(page, 'stats-admin-mfa');

    // The counts reach the database at the next flush (30 s): reload until they are there.
    const deadline = Date.now() + 90_000;
    for (;;) {
      await page.goto(`${s.baseURL}/demo/admin/visits`);
      if ((await page.locator('svg[role=img]').count()) > 0) break;
      assert.ok(Date.now() < deadline, 'the visits never reached the statistics');
      await page.waitForTimeout(2_000);
    }
    const chart = page.locator('svg[role=img]');
    assert.equal(await chart.locator('title').first().textContent(), 'Bezoeken per dag');
    assert.match(await chart.locator('desc').textContent(), /tabel eronder/);
    const text = await page.locator('main').textContent();
    assert.match(text, /Computer/);
    assert.match(text, /< 5/, 'the French visit (one) is shown as < 5');
    assert.match(text, /Gestart/);
    await inBothLanguages(page, s.baseURL, '/demo/admin/visits', 'stats');

    // An end before the start: 400, the summary links to the field, in French too.
    for (const [lang, re] of [['nl', /.+/], ['fr', /.+/]]) {
      const response = await page.goto(`${s.baseURL}/demo/admin/visits?from=2026-05-10&to=2026-05-01&lang=${lang}`);
      assert.equal(response.status(), 400);
      assert.equal(await page.locator('.error-summary a[href="#to"]').count(), 1);
      assert.match(await page.locator('#to-error').textContent(), re);
      await expectNoAxeViolations(page, `stats error in ${lang}`);
      await shot(page, `stats-error-${lang}`);
    }

    await page.goto(`${s.baseURL}/demo/admin/visits?lang=nl`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('main a[href*="visits.csv"]')]);
    assert.match(download.suggestedFilename(), /^bezoeken-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv$/);
  } finally {
    await citizenCtx.close();
    await ctx.close();
  }
});
