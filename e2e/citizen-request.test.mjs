// The citizen's own data-subject request (DSR-1), in Debian's Chromium: a citizen who sent
// a question through the e-loket asks on /demo/privacy/request for access with the e-mail
// address used; the one-time code arrives through a real SMTP conversation with a small
// capture server started here (Kluis delivers to it over loopback); a wrong code is a field
// error, the right one files the request and shows the receipt; the DPO then finds it in
// the back office, approves and executes it, and the citizen is mailed that the answer is
// ready. Dutch and French, desktop and phone, axe clean. Screenshots: e2e/artifacts/citizen-*.png.
//
//   KLUIS_E2E_CHROMIUM=/usr/bin/chromium node --test e2e/citizen-request.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activate, codeOf, enrolTOTP, expectNoAxeViolations, invite, login, shot, startSMTPCapture, submit, suite } from './harness.mjs';

const { received, port: smtpPort, close: closeSMTP, waitForMail } = await startSMTPCapture();

const s = suite({ tmpPrefix: 'kluis-e2e-citizen-', env: {
  KLUIS_SMTP_HOST: '127.0.0.1', KLUIS_SMTP_PORT: String(smtpPort), KLUIS_SMTP_TLS: 'none', KLUIS_SMTP_FROM: 'Kluis <noreply@demo.example>' } });

const address = 'citizen.e2e@example.be';
const LANGS = [
  { code: 'nl', locale: 'nl-BE', kind: 'access', heading: 'Vraag iets over uw gegevens', sent: 'Kijk in uw mailbox',
    emailError: 'Vul een geldig e-mailadres in', codeError: 'Deze code klopt niet of is verlopen', done: 'Uw verzoek is ingediend' },
  { code: 'fr', locale: 'fr-BE', kind: 'portability', heading: 'Faites une demande sur vos données', sent: 'Consultez votre boîte mail',
    emailError: 'Indiquez une adresse e-mail valide', codeError: 'Ce code est incorrect ou a expiré', done: 'Votre demande a été introduite' },
];

test('citizen: asks with a one-time code, the DPO approves and executes, the citizen is told', { timeout: 300_000 }, async () => {
  const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce' });
  try {
    const page = await ctx.newPage();
    // The citizen's data: a question sent through the e-loket with the address.
    await page.goto(`${s.baseURL}/demo/vraag?lang=nl`);
    await page.fill('#name', 'Burger E2E');
    await page.fill('#email', address);
    await page.check('input[name=topic][value=waste]');
    await page.fill('#message', 'De container is niet opgehaald.');
    let response = await submit(page, 'main form button[type=submit]');
    assert.equal(response.status(), 200);

    let codes = 0;
    const references = [];
    for (const L of LANGS) {
      response = await page.goto(`${s.baseURL}/demo/privacy?lang=${L.code}`);
      assert.equal(response.status(), 200);
      response = await submit(page, 'main a[href="/demo/privacy/request"]');
      assert.equal(response.status(), 200);
      assert.equal((await page.locator('h1').textContent()).trim(), L.heading);
      await expectNoAxeViolations(page, `the request page (${L.code})`);
      await shot(page, `citizen-ask-${L.code}`);

      await page.fill('#email', 'geen-adres');
      response = await submit(page, 'main form button[type=submit]');
      assert.equal(response.status(), 422);
      assert.ok((await page.locator('.error-summary a[href="#email"]').textContent()).includes(L.emailError));
      assert.equal(await page.locator('#email[aria-invalid=true]').getAttribute('aria-describedby'), 'email-hint email-error');
      await expectNoAxeViolations(page, `the request page with an error (${L.code})`);
      await shot(page, `citizen-ask-error-${L.code}`);

      // An address the municipality holds nothing under: the same page, and no mail.
      await page.fill('#email', 'nobody.e2e@example.be');
      response = await submit(page, 'main form button[type=submit]');
      assert.equal(response.status(), 200);
      assert.equal((await page.locator('h1').textContent()).trim(), L.sent);
      const unknownPage = await page.locator('main p.lead').textContent();

      await page.goto(`${s.baseURL}/demo/privacy/request?lang=${L.code}`);
      await page.fill('#email', address.toUpperCase());
      await page.check(`#kind-${L.kind}`);
      response = await submit(page, 'main form button[type=submit]');
      assert.equal(response.status(), 200);
      assert.equal((await page.locator('h1').textContent()).trim(), L.sent);
      assert.equal(await page.locator('main p.lead').textContent(), unknownPage, 'the same answer for a known and an unknown address');
      await expectNoAxeViolations(page, `the code step (${L.code})`);
      await shot(page, `citizen-code-${L.code}`);

      const code = codeOf(await waitForMail(address, ++codes));
      await page.fill('#code', code === '000000' ? '000001' : '000000');
      response = await submit(page, 'main form button[type=submit]');
      assert.equal(response.status(), 422);
      assert.ok((await page.locator('#code-error').textContent()).includes(L.codeError));
      await expectNoAxeViolations(page, `a wrong code (${L.code})`);
      await shot(page, `citizen-code-error-${L.code}`);

      await page.fill('#code', code);
      response = await submit(page, 'main form button[type=submit]');
      assert.equal(response.status(), 200);
      assert.equal((await page.locator('h1').textContent()).trim(), L.done);
      references.push((await page.locator('.reference-number').textContent()).trim());
      await expectNoAxeViolations(page, `the receipt (${L.code})`);
      await shot(page, `citizen-done-${L.code}`);
    }
    assert.equal(received.filter((m) => m.to.includes('nobody.e2e@example.be')).length, 0, 'an unknown address got mail');

    // The DPO approves and executes the access request in the back office.
    const dpo = { email: 'e2e-citizen-dpo@demo.example', name: 'Privacy DPO', password: 'kastanje raadhuis vijver' };
    const staff = await ctx.newPage();
    await activate(staff, invite(s.kluis, dpo.email, dpo.name, 'nl', 'dpo'), dpo.password);
    await login(staff, s.baseURL, dpo.email, dpo.password);
    await enrolTOTP(staff, 'citizen-dpo-mfa');
    response = await staff.goto(`${s.baseURL}/demo/admin/requests/${references[0]}?lang=nl`);
    assert.equal(response.status(), 200);
    assert.ok((await staff.locator('main').textContent()).includes(address));
    await expectNoAxeViolations(staff, 'the citizen\'s request in the back office');
    await shot(staff, 'citizen-staff-request-nl');
    await staff.check('#decision-approve');
    await staff.fill('#reason', 'Adres bevestigd met een eenmalige code');
    response = await submit(staff, 'form[action$="/decide"] button[type=submit]');
    assert.equal(response.status(), 200);
    response = await submit(staff, 'form[action$="/execute"] button[type=submit]');
    assert.equal(response.status(), 200);
    const ready = await waitForMail(address, ++codes);
    assert.ok(ready.includes(references[0]), 'the answer-ready mail names the reference');
  } finally {
    await ctx.close();
    closeSMTP();
  }
});
