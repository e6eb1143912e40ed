// Browser test of the site's content pages (issue 15, item 1), in Debian's Chromium: an admin
// writes a page, gets the field's message for raw HTML (nothing saved), saves a good version,
// previews it, publishes it; a visitor reads it in Dutch and French (the Dutch text marked with
// lang) from the front page's link, without JavaScript; axe clean in nl and fr on a desktop and
// a phone, no sideways scroll. Screenshots: e2e/artifacts/site-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  activate,
  deskContext,
  enrolTOTP,
  expectNoAxeViolations,
  inBothLanguages,
  invite,
  login,
  shot,
  submit,
  suite,
} from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-site-' });

test('site: an editor writes and publishes a page, a visitor reads it (nl, fr, desktop, phone)', { timeout: 240_000 }, async () => {
  const ctx = await s.browser.newContext(deskContext);
  const page = await ctx.newPage();
  try {
    const email = 'e2e-site-admin@demo.example';
    await activate(page, invite(s.kluis, email, 'Site Redacteur', 'nl', 'admin'), 'kastanje raadhuis lenteregen');
    await login(page, s.baseURL, email, 'kastanje raadhuis lenteregen');
    await enrolTOTP(page, 'site-admin-mfa');

    await inBothLanguages(page, s.baseURL, '/demo/admin/site', 'site-list');
    await inBothLanguages(page, s.baseURL, '/demo/admin/site/new', 'site-new');

    // Raw HTML: 422, the summary links to the field, nothing saved.
    await page.goto(`${s.baseURL}/demo/admin/site/new?lang=nl`);
    await page.fill('#slug', 'openingsuren');
    await page.fill('#nl-title', 'Openingsuren');
    await page.fill('#nl-summary', 'Wanneer het loket van het gemeentehuis open is.');
    await page.fill('#nl-body', '## Loket\n\n<b>Open</b> van 9 tot 12.');
    let response = await submit(page, 'form.form button[type=submit]');
    assert.equal(response.status(), 422);
    assert.match(await page.locator('.error-summary a[href="#nl-body"]').first().textContent(), /HTML is niet toegelaten/);
    assert.equal(await page.locator('#nl-body').getAttribute('aria-invalid'), 'true');
    await expectNoAxeViolations(page, 'site edit with errors');
    await shot(page, 'site-errors-nl');

    // A good version: saved as a draft, previewed, published.
    await page.fill('#nl-body', '## Loket\n\nOpen van **9 tot 12 uur**, op woensdag ook van 14 tot 19 uur.\n\n' +
      '### Afspraak\n\nMaak een afspraak via [het e-loket](/demo/).\n');
    await page.fill('#fr-title', 'Heures d’ouverture');
    await page.fill('#fr-body', '## Guichet\n\nOuvert de **9 à 12 heures**.');
    response = await submit(page, 'form.form button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(page.url(), /\/demo\/admin\/site\/[0-9a-f]{32}\?saved=1$/);
    const editURL = page.url().replace(/\?.*$/, '');
    assert.equal((await page.request.get(`${s.baseURL}/demo/site/openingsuren`)).status(), 404, 'a draft is not public');
    await shot(page, 'site-edit-nl');
    await expectNoAxeViolations(page, 'site edit');
    await inBothLanguages(page, s.baseURL, editURL.replace(s.baseURL, '') + '/preview', 'site-preview');
    await page.goto(editURL);
    response = await submit(page, `form[action$="/publish"] button`);
    assert.equal(response.status(), 200);
    assert.match(await page.locator('.notice[role=status]').textContent(), /gepubliceerd/);

    // A visitor, without JavaScript, from the front page.
    const visitorCtx = await s.browser.newContext({ ...deskContext, javaScriptEnabled: false });
    const visitor = await visitorCtx.newPage();
    await visitor.goto(`${s.baseURL}/demo/?lang=nl`);
    await submit(visitor, 'a[href="/demo/site/openingsuren"]');
    assert.equal(await visitor.locator('h1').textContent(), 'Openingsuren');
    assert.equal(await visitor.locator('.site-body strong').first().textContent(), '9 tot 12 uur');
    await visitorCtx.close();
    // axe needs a script of its own: the checks run in a context with JavaScript.
    const checkCtx = await s.browser.newContext(deskContext);
    const check = await checkCtx.newPage();
    await inBothLanguages(check, s.baseURL, '/demo/site/openingsuren', 'site-public');
    await check.goto(`${s.baseURL}/demo/site/openingsuren?lang=fr`);
    assert.equal(await check.locator('h1').textContent(), 'Heures d’ouverture');
    await check.goto(`${s.baseURL}/demo/site/openingsuren?lang=en`);
    assert.equal(await check.locator('article.site-page').getAttribute('lang'), 'nl', 'the Dutch text is marked as Dutch');
    await expectNoAxeViolations(check, 'site page, English visitor');
    await inBothLanguages(check, s.baseURL, '/demo/', 'site-front');
    await checkCtx.close();
  } finally {
    await ctx.close();
  }
});
