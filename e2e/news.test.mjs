// Browser test of the site's news items and composed home page (issue 15, item 1), in Debian's
// Chromium: an editor gets the date field's message for a date that does not parse (nothing
// saved), writes and publishes a news item, composes the front page (intro, a featured page, the
// latest news) and publishes it; a citizen without JavaScript sees the intro, the page, the news
// item with its date and the forms on the front page, and follows the news. axe clean in nl and
// fr on a desktop and a phone, no sideways scroll. Screenshots: e2e/artifacts/news-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  activate,
  deskContext,
  enrolTOTP,
  expectNoAxeViolations,
  invite,
  login,
  shot,
  submit,
  suite,
} from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-news-' });

// everywhere checks a page in nl and fr, on a desktop and on a phone: axe clean, screenshots.
async function everywhere(page, path, name) {
  for (const lang of ['fr', 'nl']) {
    const response = await page.goto(`${s.baseURL}${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
    assert.equal(response.status(), 200, `${path} in ${lang}`);
    await expectNoAxeViolations(page, `${name} in ${lang}, desktop`);
    await page.setViewportSize({ width: 390, height: 844 });
    await expectNoAxeViolations(page, `${name} in ${lang}, phone`);
    await page.setViewportSize(deskContext.viewport);
    await shot(page, `${name}-${lang}`);
  }
}

test('news: an editor publishes a news item and composes the home page, a citizen sees them (nl, fr, desktop, phone)', { timeout: 300_000 }, async () => {
  const ctx = await s.browser.newContext(deskContext);
  const page = await ctx.newPage();
  try {
    const email = 'e2e-news-admin@demo.example';
    await activate(page, invite(s.kluis, email, 'Nieuws Redacteur', 'nl', 'admin'), 'kastanje raadhuis lenteregen');
    await login(page, s.baseURL, email, 'kastanje raadhuis lenteregen');
    await enrolTOTP(page, 'news-admin-mfa');

    // A content page to feature on the front page.
    await page.goto(`${s.baseURL}/demo/admin/site/new?lang=nl`);
    await page.fill('#slug', 'afval');
    await page.fill('#nl-title', 'Afvalophaling');
    await page.fill('#nl-summary', 'Wanneer welk afval wordt opgehaald.');
    await page.fill('#nl-body', '## Kalender\n\nElke dinsdag restafval.');
    await submit(page, 'form.form button[type=submit]');
    await submit(page, `form[action$="/publish"] button`);

    await everywhere(page, '/demo/admin/site/news', 'news-staff-list');
    await everywhere(page, '/demo/admin/site/news/new', 'news-staff-new');

    // A date that does not parse: 422, the summary links to the date, nothing saved.
    await page.goto(`${s.baseURL}/demo/admin/site/news/new?lang=nl`);
    await page.fill('#slug', 'kerstmarkt');
    await page.fill('#date', '31.02.2026');
    await page.fill('#nl-title', 'Kerstmarkt op het marktplein');
    await page.fill('#nl-summary', 'Van 5 tot 24 december, elke avond.');
    await page.fill('#nl-body', '## Waar\n\nOp het marktplein, met een schaatsbaan.');
    let response = await submit(page, 'form.form button[type=submit]');
    assert.equal(response.status(), 422);
    assert.match(await page.locator('.error-summary a[href="#date"]').first().textContent(), /bestaande datum/);
    assert.equal(await page.locator('#date').getAttribute('aria-invalid'), 'true');
    await expectNoAxeViolations(page, 'news edit with errors');
    await shot(page, 'news-errors-nl');
    assert.equal((await page.request.get(`${s.baseURL}/demo/admin/site/news`)).ok(), true);
    assert.equal(await page.locator('#date').inputValue(), '31.02.2026');

    // A good date: saved, previewed, published.
    await page.fill('#date', '05.12.2026');
    await page.fill('#fr-title', 'Marché de Noël');
    await page.fill('#fr-body', '## Où\n\nSur la place du marché.');
    response = await submit(page, 'form.form button[type=submit]');
    assert.equal(response.status(), 200);
    const newsURL = page.url().replace(/\?.*$/, '');
    await shot(page, 'news-edit-nl');
    await expectNoAxeViolations(page, 'news edit');
    await everywhere(page, newsURL.replace(s.baseURL, '') + '/preview', 'news-preview');
    await page.goto(newsURL);
    response = await submit(page, `form[action$="/publish"] button`);
    assert.equal(response.status(), 200);
    assert.match(await page.locator('.notice[role=status]').textContent(), /gepubliceerd/);

    // The home page: an intro, the featured page, two news items.
    await everywhere(page, '/demo/admin/site/home', 'news-home-new');
    await page.goto(`${s.baseURL}/demo/admin/site/home?lang=nl`);
    await page.fill('#nl-body', 'Welkom op de website van **Demo**. Hier vindt u het nieuws en de e-loketformulieren.');
    await page.fill('#fr-body', 'Bienvenue sur le site de **Demo**.');
    await page.selectOption('select[id^="feature-"]', '1');
    await page.fill('#news', '2');
    response = await submit(page, 'form.form button[type=submit]');
    assert.equal(response.status(), 200);
    const homeURL = page.url().replace(/\?.*$/, '');
    await everywhere(page, homeURL.replace(s.baseURL, ''), 'news-home-edit');
    await everywhere(page, homeURL.replace(s.baseURL, '') + '/preview', 'news-home-preview');
    await page.goto(homeURL);
    response = await submit(page, `form[action$="/publish"] button`);
    assert.equal(response.status(), 200);
    assert.match(await page.locator('.notice[role=status]').first().textContent(), /gepubliceerd/);

    // A citizen without JavaScript.
    const visitorCtx = await s.browser.newContext({ ...deskContext, javaScriptEnabled: false });
    const visitor = await visitorCtx.newPage();
    await visitor.goto(`${s.baseURL}/demo/?lang=nl`);
    assert.match(await visitor.locator('main').textContent(), /Welkom op de website van Demo/);
    assert.equal(await visitor.locator('a[href="/demo/site/afval"]').count(), 1, 'the featured page');
    assert.ok(await visitor.locator('main a[href^="/demo/"]').count() > 3, 'the forms are linked');
    assert.equal(await visitor.locator('time[datetime="2026-12-05"]').textContent(), '05.12.2026');
    await submit(visitor, 'a[href="/demo/site/news/kerstmarkt"]');
    assert.equal(await visitor.locator('h1').textContent(), 'Kerstmarkt op het marktplein');
    await submit(visitor, 'main a[href="/demo/site/news"]');
    assert.equal(await visitor.locator('h1').textContent(), 'Nieuws');
    await visitorCtx.close();

    const checkCtx = await s.browser.newContext(deskContext);
    const check = await checkCtx.newPage();
    await everywhere(check, '/demo/', 'news-front');
    await check.goto(`${s.baseURL}/demo/?lang=fr`);
    assert.match(await check.locator('main .site-body').textContent(), /Bienvenue sur le site de Demo/, 'the French intro');
    await everywhere(check, '/demo/site/news', 'news-list');
    await everywhere(check, '/demo/site/news/kerstmarkt', 'news-item');
    const feed = await check.request.get(`${s.baseURL}/demo/site/news/feed.atom`);
    assert.equal(feed.status(), 200);
    assert.match(await feed.text(), /<title>Kerstmarkt op het marktplein<\/title>/);
    await checkCtx.close();
  } finally {
    await ctx.close();
  }
});
