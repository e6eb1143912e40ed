// The back office as one product, in Chromium: a civil servant goes from the home page's to-do
// to a submission and back using only the navigation; an admin tours every page of the staff
// navigation in Dutch and French, on a desktop and a phone — each inside the staff layout,
// axe clean, never scrolling sideways, screenshot saved to e2e/artifacts/staff-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  activate,
  enrolTOTP,
  expectNoAxeViolations,
  invite,
  login,
  shot,
  submit,
  suite,
} from './harness.mjs';

const s = suite();

const context = (lang = 'nl-BE') =>
  s.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: lang, reducedMotion: 'reduce' });

test('back office: from the home to-do to a submission and back by the navigation; every page in the staff layout, nl and fr', { timeout: 300_000 }, async () => {
  const ctx = await context();
  try {
    // Two citizens ask a question, one in Dutch and one in French (a browser of their own:
    // the language they choose is theirs).
    const citizenCtx = await context();
    const citizen = await citizenCtx.newPage();
    const references = {};
    for (const [lang, name] of [['nl', 'Navigatie Burger'], ['fr', 'Citoyenne Navigation']]) {
      let response = await citizen.goto(`${s.baseURL}/demo/vraag?lang=${lang}`);
      assert.equal(response.status(), 200);
      await citizen.fill('#name', name);
      await citizen.fill('#email', `navigatie.${lang}@example.be`);
      await citizen.check('input[name=topic][value=waste]');
      await citizen.fill('#message', 'De glasbol in de Veldstraat is vol.');
      response = await submit(citizen, 'main form button[type=submit]');
      assert.equal(response.status(), 200);
      references[lang] = { reference: (await citizen.locator('.reference-number').textContent()).trim(), name };
    }
    await citizenCtx.close();
    let response;

    // The admin signs in, finds on the home page that they have no forms, and follows the
    // to-do's link to give a clerk the question form.
    const admin = { email: 'e2e-staff-admin@demo.example', password: 'torenhaan stadspark kaaimuur' };
    const clerk = { email: 'e2e-staff-clerk@demo.example', name: 'Nav Klerk', password: 'marktkraam speelplein bakker' };
    const clerkLink = invite(s.kluis, clerk.email, clerk.name, 'nl');
    const page = await ctx.newPage();
    await activate(page, invite(s.kluis, admin.email, 'Staff Admin', 'nl', 'admin'), admin.password);
    await login(page, s.baseURL, admin.email, admin.password);
    await enrolTOTP(page, 'staff-admin-mfa');
    assert.equal(await page.locator('nav.staff-nav[data-layout=staff] a[aria-current=page]').textContent(), 'Start');
    await shot(page, 'staff-home-nl');
    await expectNoAxeViolations(page, 'the staff home');
    const clerkCtx = await context();
    const clerkPage = await clerkCtx.newPage();
    await activate(clerkPage, clerkLink, clerk.password);
    response = await submit(page, 'nav.staff-nav a:text-is("Beheer")');
    assert.equal(response.status(), 200);
    response = await submit(page, `main a:text-is("${clerk.name}")`);
    assert.equal(response.status(), 200);
    assert.equal(await page.locator('.breadcrumbs a').allTextContents().then((a) => a.join(' › ')), 'Start › Gebruikers');
    await page.check('input[name=form][value=vraag]');
    response = await submit(page, 'form[action$="/forms"] button[type=submit]');
    assert.equal(response.status(), 200);

    // The clerk, in Dutch on a desktop and in French on a phone: the home's to-do names the
    // new submissions of the form; its link opens the inbox on them, the reference opens the
    // submission, the breadcrumbs lead back — the navigation only, no typed address.
    await login(clerkPage, s.baseURL, clerk.email, clerk.password);
    const passes = [
      { lang: 'nl', viewport: { width: 1280, height: 900 }, newCount: /2 nieuwe inzendingen wachten/, inbox: 'Postvak',
        list: 'Inzendingen', home: 'Start', forbidden: /Beheer|Logboek|Formulieren/ },
      { lang: 'fr', viewport: { width: 390, height: 844 }, newCount: /2 nouvelles demandes attendent/, inbox: 'Boîte de réception',
        list: 'Demandes reçues', home: 'Accueil', forbidden: /Administration|Journal|Formulaires/ },
    ];
    for (const p of passes) {
      await clerkPage.setViewportSize(p.viewport);
      response = await clerkPage.goto(`${s.baseURL}/demo/signed-in?lang=${p.lang}`);
      assert.equal(response.status(), 200);
      assert.match(await clerkPage.locator('main .todo-card').first().textContent(), p.newCount);
      await shot(clerkPage, `staff-home-clerk-${p.lang}`);
      await expectNoAxeViolations(clerkPage, `the clerk's home (${p.lang})`);
      response = await submit(clerkPage, 'main .todo-card a[href*="/demo/inbox?form=vraag"]');
      assert.equal(response.status(), 200);
      assert.equal(await clerkPage.locator('nav.staff-nav a[aria-current=page]').textContent(), p.inbox);
      const { reference, name } = references[p.lang];
      response = await submit(clerkPage, `main a:text-is("${reference}")`);
      assert.equal(response.status(), 200);
      assert.ok((await clerkPage.locator('main').textContent()).includes(name), `the submission of ${name}`);
      assert.equal(await clerkPage.locator('nav.staff-nav a[aria-current=page]').textContent(), p.inbox, 'a submission belongs to the inbox');
      await shot(clerkPage, `staff-submission-${p.lang}`);
      await expectNoAxeViolations(clerkPage, `the submission in the staff layout (${p.lang})`);
      response = await submit(clerkPage, `.breadcrumbs a:text-is("${p.list}")`);
      assert.ok(clerkPage.url().endsWith('/demo/inbox'), `the breadcrumb leads to the inbox: ${clerkPage.url()}`);
      response = await submit(clerkPage, `.breadcrumbs a:text-is("${p.home}")`);
      assert.ok(clerkPage.url().endsWith('/demo/signed-in'), `the breadcrumb leads home: ${clerkPage.url()}`);
      // The clerk's navigation has no administration, audit log or forms.
      const clerkNav = await clerkPage.locator('nav.staff-nav').textContent();
      assert.ok(!p.forbidden.test(clerkNav), `the clerk sees no doors they may not open: ${clerkNav}`);
    }
    await clerkCtx.close();

    // The admin tours every page of the navigation, in Dutch and in French: each in the staff
    // layout with its section marked, axe clean, screenshot at desktop and phone width.
    const seen = new Set();
    for (const lang of ['nl', 'fr']) {
      response = await page.goto(`${s.baseURL}/demo/signed-in?lang=${lang}`);
      assert.equal(response.status(), 200);
      const sections = await page.locator('nav.staff-nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      assert.ok(sections.length >= 6, `the admin's navigation: ${sections}`);
      const pages = [];
      for (const href of sections) {
        await page.goto(`${s.baseURL}${href}`);
        const sub = await page.locator('.sub-nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
        pages.push(...(sub.length ? sub : [href]));
      }
      pages.push(...(await page.locator('.account-menu a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))));
      for (const href of pages) {
        response = await page.goto(`${s.baseURL}${href}`);
        assert.equal(response.status(), 200, `${href}`);
        assert.equal(await page.locator('nav.staff-nav[data-layout=staff]').count(), 1, `${href} is in the staff layout`);
        assert.equal(await page.evaluate(() => document.documentElement.lang), lang === 'nl' ? 'nl-BE' : 'fr-BE', `${href} speaks ${lang}`);
        if (!href.includes('/account/')) {
          assert.equal(await page.locator('nav.staff-nav a[aria-current=page]').count(), 1, `${href} marks its section`);
        }
        const name = `staff-${lang}${href.replace(/^\/demo/, '').replace(/[^a-z0-9]+/g, '-')}`;
        await shot(page, name);
        await expectNoAxeViolations(page, `${href} (${lang})`);
        seen.add(href);
      }
    }
    assert.ok(seen.size >= 16, `pages toured: ${[...seen].join(' ')}`);

    // An error in the back office stays in it and leads home.
    response = await page.goto(`${s.baseURL}/demo/inbox/submissions/unknown?lang=nl`);
    assert.equal(response.status(), 404);
    assert.equal(await page.locator('nav.staff-nav').count(), 1);
    await shot(page, 'staff-error-nl');
    await expectNoAxeViolations(page, 'the 404 page in the back office');
    response = await submit(page, 'main a:text-is("Terug naar de startpagina van de backoffice")');
    assert.ok(page.url().endsWith('/demo/signed-in'));
  } finally {
    await ctx.close();
  }
});
