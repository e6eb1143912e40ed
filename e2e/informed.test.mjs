// The citizen kept informed, in Debian's Chromium: a citizen sends the demo's question form,
// the receipt says what became of the confirmation mail and links to "look up my request";
// the look-up refuses bad input field by field, answers a wrong address like an unknown
// reference, and shows the status only. Then a clerk replies from the submission's page and
// moves the case, and the citizen looks it up again. Dutch and French, desktop and phone,
// axe on every state, screenshots in e2e/artifacts/informed-*.png.
//
//   KLUIS_E2E_CHROMIUM=/usr/bin/chromium node --test e2e/informed.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  activate,
  artifactsDir,
  enrolTOTP,
  expectNoAxeViolations,
  invite,
  login,
  submit,
  suite,
} from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-informed-' }, { extraArgs: ['--disable-quic'] });

const VIEWPORTS = {
  desktop: { viewport: { width: 1280, height: 900 } },
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
};

const LANGS = {
  nl: { locale: 'nl-BE', form: 'Vraag of melding', queued: /Een bevestiging per e-mail is onderweg naar [a-z]\*\*\*@example\.be\./,
    lookup: 'Mijn aanvraag opzoeken', required: /Vul het referentienummer in/, email: /Vul een geldig e-mailadres in/,
    notFound: /We vinden geen aanvraag/, status: { new: 'Nieuw', in_progress: 'In behandeling' } },
  fr: { locale: 'fr-BE', form: 'Question ou signalement', queued: /Une confirmation par e-mail est en route vers [a-z]\*\*\*@example\.be\./,
    lookup: 'Consulter ma demande', required: /Saisissez le numéro de référence/, email: /adresse e-mail valable/,
    notFound: /Nous ne trouvons aucune demande/, status: { new: 'Nouveau', in_progress: 'En cours' } },
};

// The references sent, by test case, for the clerk's part.
const sent = {};

async function noSidewaysScroll(page, what) {
  const o = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  assert.ok(o.scroll <= o.client, `${what} scrolls sideways: ${o.scroll} > ${o.client}`);
}

// A page as it is now: screenshot, axe, no sideways scrolling.
async function check(page, name, what) {
  await page.screenshot({ path: join(artifactsDir, `informed-${name}.png`), fullPage: true });
  await expectNoAxeViolations(page, what);
  await noSidewaysScroll(page, what);
}

// Looks a request up on the page that is open; returns the response.
async function lookUp(page, reference, email) {
  await page.fill('#reference', reference);
  await page.fill('#email', email);
  return submit(page, 'main form button[type=submit]');
}

for (const [lang, L] of Object.entries(LANGS)) {
  for (const [vp, opts] of Object.entries(VIEWPORTS)) {
    const name = `${lang}-${vp}`;
    test(`citizen-${name}: sends a question, the receipt tells of the mail, the look-up shows the status only`, { timeout: 120_000 }, async () => {
      const context = await s.browser.newContext({ ...opts, bypassCSP: true, locale: L.locale, reducedMotion: 'reduce' });
      try {
        const page = await context.newPage();
        const email = `${lang}.${vp}@example.be`;
        await page.goto(`${s.baseURL}/demo/?lang=${lang}`);
        assert.equal(await page.locator(`main a[href="/demo/lookup"]`).count(), 1, 'the e-loket links the look-up');
        let response = await submit(page, `main a:text-is("${L.form}")`);
        assert.equal(response.status(), 200);
        await page.fill('#name', `Burger ${name}`);
        await page.fill('#email', email);
        await page.check('input[name=topic][value=waste]');
        await page.fill('#message', `MARKER-ANSWER ${name}: de container is niet opgehaald.`);
        await page.check('#confirm_mail');
        response = await submit(page, 'main form button[type=submit]');
        assert.equal(response.status(), 200);
        assert.match(page.url(), /\/demo\/receipt\/vraag$/);
        const reference = (await page.locator('.reference-number').textContent()).trim();
        assert.match(reference, /^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
        assert.match(await page.locator('main').textContent(), L.queued);
        await check(page, `receipt-${name}`, 'the receipt');

        // The receipt's link; empty and malformed input refused field by field.
        response = await submit(page, 'main a[href="/demo/lookup"]');
        assert.equal(response.status(), 200);
        await check(page, `lookup-${name}`, 'the look-up page');
        response = await submit(page, 'main form button[type=submit]');
        assert.equal(response.status(), 422);
        assert.match(await page.locator('.error-summary').textContent(), L.required);
        assert.equal(await page.locator('.error-summary a[href="#reference"]').count(), 1);
        assert.equal(await page.locator('.error-summary a[href="#email"]').count(), 1);
        assert.equal(await page.locator('#reference').getAttribute('aria-invalid'), 'true');
        await check(page, `lookup-errors-${name}`, 'the look-up with errors');
        response = await lookUp(page, reference, 'not-an-address');
        assert.equal(response.status(), 422);
        assert.match(await page.locator('#email-error').textContent(), L.email);

        // A wrong address: the same answer as an unknown reference.
        response = await lookUp(page, reference, `someone.else@example.be`);
        assert.equal(response.status(), 404);
        const wrong = await page.locator('main .notice').textContent();
        assert.match(wrong, L.notFound);
        await check(page, `lookup-notfound-${name}`, 'the look-up that found nothing');
        response = await lookUp(page, '00000-00000', email);
        assert.equal(response.status(), 404);
        assert.equal(await page.locator('main .notice').textContent(), wrong);

        // The right pair, typed loosely: the status, nothing of the answers, no URL.
        response = await lookUp(page, reference.toLowerCase().replace('-', ' '), email.toUpperCase());
        assert.equal(response.status(), 200);
        const main = await page.locator('main').textContent();
        assert.ok(main.includes(L.status.new), `status ${L.status.new} shown`);
        assert.ok(main.includes(reference) && main.includes(L.form));
        assert.ok(!main.includes('MARKER-ANSWER') && !main.includes(email), 'no answers, no address');
        assert.ok(!page.url().includes(reference) && !page.url().includes('@'), `nothing in the URL: ${page.url()}`);
        await check(page, `lookup-found-${name}`, 'the look-up result');
        sent[name] = { reference, email };
      } finally {
        await context.close();
      }
    });
  }
}

// A clerk replies to the French citizen from the submission's page and moves the case; the
// citizen then sees "in progress". The form's settings page shows the status mail's fieldset.
test('clerk: reply form, history, status change, status mail settings; the citizen sees the new status', { timeout: 180_000 }, async () => {
  assert.ok(sent['fr-desktop'], 'the French citizen sent a question first');
  const context = await s.browser.newContext({ ...VIEWPORTS.desktop, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce' });
  const shot = async (page, name, what) => {
    await page.screenshot({ path: join(artifactsDir, `informed-${name}.png`), fullPage: true });
    await expectNoAxeViolations(page, what);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(artifactsDir, `informed-${name}-phone.png`), fullPage: true });
    await noSidewaysScroll(page, `${what} on a phone`);
    await page.setViewportSize({ width: 1280, height: 900 });
  };
  try {
    const admin = { email: 'e2e-informed-admin@demo.example', password: 'kastanjelaan regenboog fietsbel' };
    const page = await context.newPage();
    await activate(page, invite(s.kluis, admin.email, 'Informed Admin', 'nl', 'admin'), admin.password);
    await login(page, s.baseURL, admin.email, admin.password);
    await enrolTOTP(page, 'informed-admin-mfa');

    // Admins need a grant on the form too: the admin ticks the question form for themself.
    await page.goto(`${s.baseURL}/demo/admin/users`);
    await submit(page, `main a:text-is("Informed Admin")`);
    await page.check('main input[name=form][value=vraag]');
    let response = await submit(page, 'main form:has(input[name=form]) button[type=submit]');
    assert.equal(response.status(), 200);

    // The French citizen's submission, found by its reference in the inbox.
    const { reference } = sent['fr-desktop'];
    await page.goto(`${s.baseURL}/demo/inbox`);
    response = await submit(page, `main a:text-is("${reference}")`);
    assert.equal(response.status(), 200);
    assert.match(await page.locator('#message-hint').textContent(), /in het Frans/);
    await shot(page, 'submission-reply', 'the submission page with the reply form');
    response = await submit(page, 'form:has(#message) button[type=submit]');
    assert.equal(response.status(), 422);
    assert.equal(await page.locator('.error-summary a[href="#message"]').count(), 1);
    await expectNoAxeViolations(page, 'the reply refused');
    await page.fill('#message', 'Bonjour, votre conteneur sera vidé lundi.');
    response = await submit(page, 'form:has(#message) button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(await page.locator('main .history').textContent(), /Antwoord per e-mail aan de burger \(Frans\): klaar voor verzending[\s\S]*votre conteneur sera vidé lundi/);
    await page.check('main input[name=status][value=in_progress]');
    response = await submit(page, 'form:has(input[name=status]) button[type=submit]');
    assert.equal(response.status(), 200);
    await shot(page, 'submission-history', 'the submission page after the reply and the move');

    // The status mail's settings on the form's settings page.
    response = await page.goto(`${s.baseURL}/demo/admin/forms/vraag/settings`);
    assert.equal(response.status(), 200);
    assert.equal(await page.locator('#status_mail_on').count(), 1);
    await shot(page, 'form-settings', 'the form settings with the status mail');

    // The citizen, later, in French: in progress.
    const citizen = await context.newPage();
    await citizen.goto(`${s.baseURL}/demo/lookup?lang=fr`);
    response = await lookUp(citizen, reference, sent['fr-desktop'].email);
    assert.equal(response.status(), 200);
    assert.ok((await citizen.locator('main').textContent()).includes(LANGS.fr.status.in_progress));
    await check(citizen, 'lookup-in-progress-fr-desktop', 'the look-up after the move');
  } finally {
    await context.close();
  }
});
