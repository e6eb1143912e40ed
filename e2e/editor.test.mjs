// Browser test of the site editor (issue 15, item 1 and its combined "Done when" line), in
// Debian's Chromium: an admin makes a medewerker a site editor on the user's page (Beheer ›
// Gebruikers); the editor signs in, must enrol a second factor first, uploads an image (first
// without alternative text: the field's error), writes and publishes a page with it; a citizen
// reaches the page on the tenant's own host name (www.demo.localhost, see hosts.test.mjs)
// and the editor's dashboard (Bezoeken) shows the visit after the statistics' flush (30 s, see
// stats.test.mjs). Deleting the image the page shows is refused, naming the page. axe finds
// nothing on every page, in nl and fr, on a desktop and a 390 px phone.
// Screenshots: e2e/artifacts/editor-*.png.
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
  png,
  shot,
  submit,
  suite,
} from './harness.mjs';

const HOST = 'www.demo.localhost';
const SLUG = 'nieuw-park';
const s = suite({ tmpPrefix: 'kluis-e2e-editor-' });

// onPhone opens each url (absolute) in nl and fr in a 390 px wide context with the given
// session: axe clean, no sideways scroll.
async function onPhone(browser, storageState, urls, what) {
  const ctx = await browser.newContext({ ...deskContext, viewport: { width: 390, height: 844 }, storageState });
  try {
    const page = await ctx.newPage();
    for (const url of urls) {
      for (const lang of ['nl', 'fr']) {
        const response = await page.goto(`${url}${url.includes('?') ? '&' : '?'}lang=${lang}`);
        assert.equal(response.status(), 200, `${url} in ${lang} on a phone`);
        await expectNoAxeViolations(page, `${what} ${url} in ${lang} on a phone`);
        const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(over <= 0, `${url} (${lang}) scrolls sideways by ${over}px on a phone`);
      }
    }
  } finally {
    await ctx.close();
  }
}

test('editor: a medewerker made site editor publishes a page with an image, a citizen visits it on the host, the dashboard counts it', { timeout: 420_000 }, async () => {
  const adminCtx = await s.browser.newContext(deskContext);
  const editorCtx = await s.browser.newContext(deskContext);
  // Headless Chromium says so in its User-Agent, and bots are not counted: the citizen
  // presents itself as the desktop Chrome it is.
  const citizenCtx = await s.browser.newContext({ ...deskContext,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36' });
  try {
    // The admin, and the medewerker who will edit the site.
    const admin = await adminCtx.newPage();
    await activate(admin, invite(s.kluis, 'e2e-editor-admin@demo.example', 'Web Beheerder', 'nl', 'admin'), 'kastanje raadhuis lenteregen');
    await login(admin, s.baseURL, 'e2e-editor-admin@demo.example', 'kastanje raadhuis lenteregen');
    await enrolTOTP(admin, 'editor-admin-mfa');
    const editor = await editorCtx.newPage();
    await activate(editor, invite(s.kluis, 'e2e-editor@demo.example', 'Wendy Redacteur', 'nl', 'user'), 'linde vijver zomeravond');

    // Beheer › Gebruikers › the medewerker: the site-editor control, in nl and fr.
    await admin.goto(`${s.baseURL}/demo/admin/users?lang=nl`);
    await admin.click('main a:text("Wendy Redacteur")');
    const userPath = new URL(admin.url()).pathname;
    assert.match(userPath, /^\/demo\/admin\/users\/[^/]+$/);
    assert.equal(await admin.locator('#site_editor').isChecked(), false);
    await inBothLanguages(admin, s.baseURL, userPath, 'editor-user-page');
    await admin.check('#site_editor');
    let response = await submit(admin, 'form[action$="/site-editor"] button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(await admin.locator('.notice[role=status]').textContent(), /De rechten van Wendy Redacteur op de website zijn opgeslagen/);
    assert.equal(await admin.locator('#site_editor').isChecked(), true);
    assert.match(await admin.locator('main dl').textContent(), /medewerker, websiteredacteur/);
    await inBothLanguages(admin, s.baseURL, userPath, 'editor-user-page-granted');
    await onPhone(s.browser, await adminCtx.storageState(), [`${s.baseURL}${userPath}`], 'the user page');

    // The editor signs in: a site editor must enrol a second factor first (USR-2).
    await login(editor, s.baseURL, 'e2e-editor@demo.example', 'linde vijver zomeravond');
    await enrolTOTP(editor, 'editor-editor-mfa');
    const nav = editor.locator('nav.staff-nav');
    assert.equal(await nav.locator('a[href="/demo/admin/site"]').count(), 1, 'the Website section is in the navigation');
    assert.equal(await nav.locator('a[href="/demo/admin/users"]').count(), 0, 'no user management for an editor');

    // An image: first without alternative text (the field's error), then with it.
    await editor.goto(`${s.baseURL}/demo/admin/site/images?lang=nl`);
    const image = png(480, 240);
    await editor.setInputFiles('#file', { name: 'park.png', mimeType: 'image/png', buffer: image });
    response = await submit(editor, 'form.form button[type=submit]');
    assert.equal(response.status(), 422);
    assert.match(await editor.locator('.error-summary a[href="#alt-nl"]').textContent(), /alternatieve tekst/);
    assert.match(await editor.locator('#alt-nl-error').textContent(), /alternatieve tekst/);
    assert.equal(await editor.locator('#alt-nl').getAttribute('aria-invalid'), 'true');
    await expectNoAxeViolations(editor, 'the images page with the alt text error');
    await shot(editor, 'editor-image-error-nl');
    await editor.setInputFiles('#file', { name: 'park.png', mimeType: 'image/png', buffer: image });
    await editor.fill('#alt-nl', 'Het nieuwe park met speeltuin');
    await editor.fill('#alt-fr', 'Le nouveau parc avec plaine de jeux');
    response = await submit(editor, 'form.form button[type=submit]');
    assert.equal(response.status(), 200);
    const snippet = await editor.locator('.site-images input[readonly]').first().inputValue();
    const m = snippet.match(/^!\[Het nieuwe park met speeltuin\]\((\/demo\/site\/images\/[0-9a-f]+)\)$/);
    assert.ok(m, `snippet ${snippet}`);
    const src = m[1];
    await inBothLanguages(editor, s.baseURL, '/demo/admin/site/images', 'editor-images');

    // The page, written in nl and fr, saved and published.
    await editor.goto(`${s.baseURL}/demo/admin/site/new?lang=nl`);
    await editor.fill('#slug', SLUG);
    await editor.fill('#nl-title', 'Het nieuwe park');
    await editor.fill('#nl-body', `## Openingsuren\n\nHet park is elke dag open van 8 tot 20 uur.\n\n${snippet}\n`);
    await editor.fill('#fr-title', 'Le nouveau parc');
    await editor.fill('#fr-body', `## Heures d’ouverture\n\nLe parc est ouvert tous les jours de 8 à 20 heures.\n\n![Le nouveau parc avec plaine de jeux](${src})\n`);
    response = await submit(editor, 'form.form button[type=submit]');
    assert.equal(response.status(), 200);
    const editPath = new URL(editor.url()).pathname;
    await inBothLanguages(editor, s.baseURL, editPath, 'editor-page-saved');
    await editor.goto(`${s.baseURL}${editPath}?lang=nl`);
    response = await submit(editor, 'form[action$="/publish"] button');
    assert.equal(response.status(), 200);
    await expectNoAxeViolations(editor, 'the page editor after publishing');
    await shot(editor, 'editor-page-published-nl');
    await inBothLanguages(editor, s.baseURL, '/demo/admin/site', 'editor-pages');

    // The image the page shows cannot be deleted: the refusal names the page.
    await editor.goto(`${s.baseURL}/demo/admin/site/images?lang=nl`);
    const deleteAction = `${src.replace('/site/images/', '/admin/site/images/')}/delete`;
    response = await submit(editor, `form[action="${deleteAction}"] button`);
    assert.equal(response.status(), 409);
    assert.match(await editor.locator('.error-summary[role=alert]').textContent(), /Het nieuwe park/);
    await expectNoAxeViolations(editor, 'the refused image delete');
    await shot(editor, 'editor-image-in-use-nl');

    // The tenant's own host name (an admin's setting).
    await admin.goto(`${s.baseURL}/demo/admin/hosts?lang=nl`);
    await admin.fill('#host', HOST);
    response = await submit(admin, 'main form button[type=submit]');
    assert.equal(response.status(), 200);

    // The citizen on the host: no /demo prefix, the page with its image and alt text.
    const port = new URL(s.baseURL).port;
    const hostURL = `http://${HOST}:${port}/site/${SLUG}`;
    const citizen = await citizenCtx.newPage();
    for (const lang of ['nl', 'fr']) {
      response = await citizen.goto(`${hostURL}?lang=${lang}`);
      assert.equal(response.status(), 200, `the page on the host in ${lang}`);
      assert.equal(new URL(citizen.url()).host, `${HOST}:${port}`);
      await expectNoAxeViolations(citizen, `the public page in ${lang}`);
      await shot(citizen, `editor-public-${lang}`);
    }
    await citizen.goto(`${hostURL}?lang=nl`);
    assert.match(await citizen.locator('main h1').textContent(), /Het nieuwe park/);
    const shown = citizen.locator(`main img[src="${src}"]`);
    assert.equal(await shown.getAttribute('alt'), 'Het nieuwe park met speeltuin');
    assert.ok(await shown.evaluate((el) => el.complete && el.naturalWidth === 480), 'the image loads on the host');
    await onPhone(s.browser, await citizenCtx.storageState(), [hostURL], 'the public page');

    // The editor's dashboard shows the visit once the counts are flushed (every 30 s).
    const deadline = Date.now() + 120_000;
    for (;;) {
      response = await editor.goto(`${s.baseURL}/demo/admin/visits?lang=nl`);
      assert.equal(response.status(), 200, 'an editor reads the visitor statistics');
      if ((await editor.locator('main').textContent()).includes(`/site/${SLUG}`)) break;
      assert.ok(Date.now() < deadline, 'the visit never reached the dashboard');
      await editor.waitForTimeout(2_000);
    }
    assert.equal(await editor.locator('svg[role=img]').count() > 0, true, 'the chart is drawn');
    await inBothLanguages(editor, s.baseURL, '/demo/admin/visits', 'editor-visits');

    // Every editor page on a phone, in nl and fr.
    await onPhone(s.browser, await editorCtx.storageState(), ['/demo/admin/site', '/demo/admin/site/images', editPath, '/demo/admin/visits']
      .map((p) => `${s.baseURL}${p}`), 'the editor');
  } finally {
    await citizenCtx.close();
    await editorCtx.close();
    await adminCtx.close();
  }
});
