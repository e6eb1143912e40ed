// Casework in the staff inbox, in Debian's Chromium: citizens ask two questions on the
// demo e-loket, one in Dutch and one in French; an admin grants a clerk the question form;
// the clerk's inbox shows the counts per status, each case's due date (the form's handling
// time of 14 days) and the citizen's language, sorts by due date, opens a case and prints
// it as PDF; an admin refuses a handling time of "abc" on the form's settings page.
// Dutch and French, desktop and phone (no sideways scrolling), axe clean; screenshots in
// e2e/artifacts/casework-*.png.
//
//   KLUIS_E2E_CHROMIUM=/usr/bin/chromium node --test e2e/casework.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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

const s = suite({ tmpPrefix: 'kluis-e2e-casework-' });

// A citizen's question on the demo e-loket in lang; returns its reference.
async function ask(ctx, lang, name) {
  const page = await ctx.newPage();
  let response = await page.goto(`${s.baseURL}/demo/vraag?lang=${lang}`);
  assert.equal(response.status(), 200);
  await page.fill('#name', name);
  await page.fill('#email', `${name.toLowerCase().replace(/\W+/g, '.')}@example.be`);
  await page.check('input[name=topic][value=street]');
  await page.fill('#message', lang === 'fr' ? "L'éclairage de la rue de l'Église ne fonctionne plus." : 'De straatverlichting in de Kerkstraat brandt niet.');
  response = await submit(page, 'main form button[type=submit]');
  assert.equal(response.status(), 200, `the ${lang} question is taken`);
  const reference = (await page.locator('.reference-number').textContent()).trim();
  await page.close();
  return reference;
}

// The due date a case received today with a handling time of days gets, as the inbox
// writes it (dd.mm.yyyy, Belgian time).
function dueDate(days) {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Brussels' }).format(new Date());
  const [y, m, d] = today.split('-').map(Number);
  const due = new Date(Date.UTC(y, m - 1, d + days));
  return `${String(due.getUTCDate()).padStart(2, '0')}.${String(due.getUTCMonth() + 1).padStart(2, '0')}.${due.getUTCFullYear()}`;
}

test('casework: counts, due dates, language, sorting and the PDF in the inbox', { timeout: 240_000 }, async () => {
  const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce' });
  try {
    const refNL = await ask(ctx, 'nl', 'Jan Peeters');
    const refFR = await ask(ctx, 'fr', 'Marie Dubois');

    // An admin grants the clerk the question form.
    const admin = { email: 'e2e-case-admin@demo.example', password: 'lindeboom stadhuis belfort' };
    const clerk = { email: 'e2e-case-clerk@demo.example', name: 'Case Klerk', password: 'kastanje waterput tuinbank' };
    const clerkLink = invite(s.kluis, clerk.email, clerk.name, 'nl');
    const page = await ctx.newPage();
    await activate(page, invite(s.kluis, admin.email, 'Case Admin', 'nl', 'admin'), admin.password);
    await login(page, s.baseURL, admin.email, admin.password);
    await enrolTOTP(page, 'casework-admin-mfa');
    const clerkPage = await ctx.newPage();
    await activate(clerkPage, clerkLink, clerk.password);
    await page.goto(`${s.baseURL}/demo/admin/users`);
    let response = await submit(page, `main a:text-is("${clerk.name}")`);
    assert.equal(response.status(), 200);
    await page.check('input[name=form][value=vraag]');
    response = await submit(page, 'form[action$="/forms"] button[type=submit]');
    assert.equal(response.status(), 200);

    // The admin (before the clerk signs in: pages of one context share the session): a
    // handling time of "abc" is refused at its field.
    response = await page.goto(`${s.baseURL}/demo/admin/forms/vraag/settings?lang=nl`);
    assert.equal(response.status(), 200);
    assert.equal(await page.inputValue('#handling_days'), '14');
    await page.fill('#handling_days', 'abc');
    response = await submit(page, 'main form button[type=submit]');
    assert.equal(response.status(), 422);
    assert.match(await page.locator('.error-summary').textContent(), /geheel aantal kalenderdagen/);
    assert.equal(await page.getAttribute('#handling_days', 'aria-invalid'), 'true');
    await shot(page, 'casework-settings-error-nl');
    await expectNoAxeViolations(page, 'the form settings with a bad handling time');
    response = await page.goto(`${s.baseURL}/demo/admin/forms/vraag/settings?lang=fr`);
    assert.equal(response.status(), 200);
    assert.match(await page.locator('main').textContent(), /Délai de traitement/);
    await shot(page, 'casework-settings-fr');
    await expectNoAxeViolations(page, 'the form settings (fr)');

    // The clerk's inbox in Dutch: counts, due dates, languages.
    await login(clerkPage, s.baseURL, clerk.email, clerk.password);
    response = await clerkPage.goto(`${s.baseURL}/demo/inbox?lang=nl`);
    assert.equal(response.status(), 200);
    const counts = await clerkPage.locator('.inbox-counts').textContent();
    assert.match(counts.replace(/\s+/g, ' '), /2 Nieuw.*0 In behandeling.*0 Afgehandeld.*0 Geweigerd.*0 Te laat/);
    const due = dueDate(14);
    const rowNL = await clerkPage.locator(`main tbody tr:has-text("${refNL}")`).textContent();
    const rowFR = await clerkPage.locator(`main tbody tr:has-text("${refFR}")`).textContent();
    assert.ok(rowNL.includes(due) && rowNL.includes('Nederlands'), `the Dutch row: ${rowNL}`);
    assert.ok(rowFR.includes(due) && rowFR.includes('Frans'), `the French row: ${rowFR}`);
    await shot(clerkPage, 'casework-inbox-nl');
    await expectNoAxeViolations(clerkPage, 'the inbox with counts and due dates (nl)');

    // Sorted by due date, from the filter form.
    await clerkPage.click('.filters summary');
    await clerkPage.selectOption('#sort', 'due');
    response = await submit(clerkPage, '.filter-form button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(clerkPage.url(), /sort=due/);
    const first = await clerkPage.locator('main tbody tr').first().textContent();
    assert.ok(first.includes(refNL), 'the older question, due first, comes first');
    await shot(clerkPage, 'casework-inbox-due-nl');
    await expectNoAxeViolations(clerkPage, 'the inbox sorted by due date');

    // A bad sort: named at its field.
    response = await clerkPage.goto(`${s.baseURL}/demo/inbox?sort=sideways`);
    assert.equal(response.status(), 400);
    assert.match(await clerkPage.locator('.error-summary').textContent(), /Kies een sortering/);
    await expectNoAxeViolations(clerkPage, 'the inbox with a bad sort');

    // In French.
    response = await clerkPage.goto(`${s.baseURL}/demo/inbox?lang=fr`);
    assert.equal(response.status(), 200);
    assert.match((await clerkPage.locator('.inbox-counts').textContent()).replace(/\s+/g, ' '), /2 Nouveau.*0 En retard/);
    assert.ok((await clerkPage.locator(`main tbody tr:has-text("${refNL}")`).textContent()).includes('Néerlandais'));
    assert.ok((await clerkPage.locator('main thead').textContent()).includes('Date limite'));
    await shot(clerkPage, 'casework-inbox-fr');
    await expectNoAxeViolations(clerkPage, 'the inbox with counts and due dates (fr)');

    // The French citizen's case, and its PDF.
    response = await submit(clerkPage, `main a:text-is("${refFR}")`);
    assert.equal(response.status(), 200);
    const facts = await clerkPage.locator('main dl.facts').first().textContent();
    assert.ok(facts.includes(due) && facts.includes('Français'), `the case's facts: ${facts}`);
    await shot(clerkPage, 'casework-submission-fr');
    await expectNoAxeViolations(clerkPage, 'the submission page (fr)');
    response = await clerkPage.goto(clerkPage.url().replace(/\?.*$/, '') + '?lang=nl');
    assert.equal(response.status(), 200);
    await shot(clerkPage, 'casework-submission-nl');
    await expectNoAxeViolations(clerkPage, 'the submission page (nl)');
    const [download] = await Promise.all([clerkPage.waitForEvent('download'), clerkPage.click('a[href$="/pdf"]')]);
    assert.equal(download.suggestedFilename(), `inzending-${refFR}.pdf`);
    const pdf = readFileSync(await download.path());
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');

  } finally {
    await ctx.close();
  }
});
