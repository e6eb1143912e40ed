// The citizen's own view, "Mijn gegevens" / "Mes données" (DSR-1), in Debian's Chromium: a
// citizen who sent a question through the e-loket, whose submission an admin then opened in
// the inbox, follows the link on the privacy statement, signs in with a one-time code that
// arrives through a real SMTP conversation (a wrong code is a field error), sees the
// submission and the admin's access as sentences, reports the access as suspicious (no reason:
// a field error) and asks for a restriction in the same step, files a request from the view
// without a second code, downloads its package from the view once the DPO executed it, and
// signs out; the DPO finds the report in the back office. Dutch and French, desktop and
// phone, axe clean. Screenshots: e2e/artifacts/portal-*.png.
//
//   KLUIS_E2E_CHROMIUM=/usr/bin/chromium node --test e2e/portal.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { activate, codeOf, enrolTOTP, expectNoAxeViolations, invite, login, shot, startSMTPCapture, submit, suite } from './harness.mjs';

const { port: smtpPort, close: closeSMTP, waitForMail } = await startSMTPCapture();

const s = suite({ tmpPrefix: 'kluis-e2e-portal-', env: {
  KLUIS_SMTP_HOST: '127.0.0.1', KLUIS_SMTP_PORT: String(smtpPort), KLUIS_SMTP_TLS: 'none', KLUIS_SMTP_FROM: 'Kluis <noreply@demo.example>' } });

const address = 'portal.e2e@example.be';
const LANGS = [
  { code: 'nl', locale: 'nl-BE', link: 'Mijn gegevens', title: 'Mijn gegevens', sent: 'Kijk in uw mailbox', codeError: 'Deze code klopt niet of is verlopen',
    access: 'heeft een medewerker van', reported: 'U meldde dit als verdacht.', reasonError: 'Schrijf waarom', out: 'U bent afgemeld.',
    kind: 'access', filed: 'Uw verzoek is ingediend', download: 'Download uw gegevens', reportedRequest: 'uw melding en uw verzoek ontvangen' },
  { code: 'fr', locale: 'fr-BE', link: 'Mes données', title: 'Mes données', sent: 'Consultez votre boîte mail', codeError: 'Ce code est incorrect ou a expiré',
    access: 'un agent de', reported: 'Vous avez signalé ceci comme suspect.', reasonError: 'Écrivez pourquoi', out: 'Vous êtes déconnecté.',
    kind: 'portability', filed: 'Votre demande a été introduite', download: 'Téléchargez vos données' },
];

// axe on the page at phone width too (the layout changes there).
async function axeBoth(page, what) {
  await expectNoAxeViolations(page, `${what} (desktop)`);
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoAxeViolations(page, `${what} (phone)`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

test('portal: a citizen signs in with a code, sees who used their data, reports an access', { timeout: 300_000 }, async () => {
  const ctx = await s.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce' });
  try {
    const page = await ctx.newPage();
    await page.goto(`${s.baseURL}/demo/vraag?lang=nl`);
    await page.fill('#name', 'Burger Portaal');
    await page.fill('#email', address);
    await page.check('input[name=topic][value=waste]');
    await page.fill('#message', 'Het voetpad is kapot.');
    let response = await submit(page, 'main form button[type=submit]');
    assert.equal(response.status(), 200);

    // An admin opens the inbox and the newest submission: accesses the citizen will see.
    const admin = { email: 'e2e-portal-admin@demo.example', name: 'Admin Portaal', password: 'kastanje raadhuis vijver' };
    const staff = await ctx.newPage();
    await activate(staff, invite(s.kluis, admin.email, admin.name, 'nl', 'admin'), admin.password);
    await login(staff, s.baseURL, admin.email, admin.password);
    await enrolTOTP(staff, 'portal-admin-mfa');
    await staff.goto(`${s.baseURL}/demo/admin/users`);
    response = await submit(staff, `main a:text-is("${admin.name}")`);
    assert.equal(response.status(), 200);
    await staff.check('input[name=form][value=vraag]'); // the inbox shows granted forms only (ORG-6)
    response = await submit(staff, 'form[action$="/forms"] button[type=submit]');
    assert.equal(response.status(), 200);
    response = await staff.goto(`${s.baseURL}/demo/inbox?lang=nl`);
    assert.equal(response.status(), 200);
    response = await submit(staff, 'main a[href*="/inbox/submissions/"]');
    assert.equal(response.status(), 200);

    // FAS eID and itsme configured for the municipality: the sign-in page offers them too.
    const secretFile = join(s.kluis.workDir, 'fas-secret');
    writeFileSync(secretFile, 'e2e-secret\n', { mode: 0o600 });
    for (const preset of ['fas-eid', 'fas-itsme']) {
      const res = s.kluis.cliGranted(['oidc', 'add', '--tenant', 'demo', '--preset', preset, '--client-id', 'kluis-e2e', '--client-secret-file', secretFile]);
      assert.equal(res.status, 0, `kluis oidc add ${preset}: ${res.stderr}`);
    }
    // The request page offers them too, leading through the view's sign-in back to filing.
    for (const L of LANGS) {
      response = await page.goto(`${s.baseURL}/demo/privacy/request?lang=${L.code}`);
      assert.equal(response.status(), 200);
      assert.equal(await page.locator('main a[href="/demo/privacy/mine/fas/fas-eid?next=request"]').count(), 1, 'no eID button on the request page');
      await axeBoth(page, `the request page with eID (${L.code})`);
      await shot(page, `portal-request-page-fas-${L.code}`);
    }

    const dpo = { email: 'e2e-portal-dpo@demo.example', name: 'Privacy DPO', password: 'kastanje raadhuis vijver' };
    const priv = await ctx.newPage();
    await activate(priv, invite(s.kluis, dpo.email, dpo.name, 'nl', 'dpo'), dpo.password);
    await login(priv, s.baseURL, dpo.email, dpo.password);
    await enrolTOTP(priv, 'portal-dpo-mfa');

    let codes = 0;
    for (const L of LANGS) {
      response = await page.goto(`${s.baseURL}/demo/privacy?lang=${L.code}`);
      assert.equal(response.status(), 200);
      response = await submit(page, 'main a[href="/demo/privacy/mine"]');
      assert.equal(response.status(), 200);
      assert.equal((await page.locator('h1').textContent()).trim(), L.title);
      assert.equal(await page.locator('main a[href="/demo/privacy/mine/fas/fas-eid"]').count(), 1, 'no eID button');
      await axeBoth(page, `the sign-in page (${L.code})`);
      await shot(page, `portal-signin-${L.code}`);

      await page.fill('#email', address.toUpperCase());
      response = await submit(page, 'main form button[type=submit]');
      assert.equal(response.status(), 200);
      assert.equal((await page.locator('h1').textContent()).trim(), L.sent);
      await axeBoth(page, `the code step (${L.code})`);
      await shot(page, `portal-code-${L.code}`);

      const code = codeOf(await waitForMail(address, ++codes));
      await page.fill('#code', code === '000000' ? '000001' : '000000');
      response = await submit(page, 'main form button[type=submit]');
      assert.equal(response.status(), 422);
      assert.ok((await page.locator('#code-error').textContent()).includes(L.codeError));
      await axeBoth(page, `a wrong code (${L.code})`);
      await shot(page, `portal-code-error-${L.code}`);

      await page.fill('#code', code);
      response = await submit(page, 'main form button[type=submit]');
      assert.equal(response.status(), 200);
      assert.equal((await page.locator('h1').textContent()).trim(), L.title);
      const main = await page.locator('main').textContent();
      assert.ok(main.includes(L.access), `no access sentence in ${main}`);
      assert.ok(!main.includes(admin.name), 'the admin\'s name is shown');
      await axeBoth(page, `the view (${L.code})`);
      await shot(page, `portal-view-${L.code}`);

      if (L.code === 'nl') {
        response = await submit(page, 'main .access-list a[href*="/report/"]');
        assert.equal(response.status(), 200);
        await axeBoth(page, 'the report page');
        await shot(page, 'portal-report-nl');
        response = await submit(page, 'main form button[type=submit]');
        assert.equal(response.status(), 422);
        assert.ok((await page.locator('.error-summary a[href="#reason"]').textContent()).includes(L.reasonError));
        await axeBoth(page, 'the report page with an error');
        await shot(page, 'portal-report-error-nl');
        await page.fill('#reason', 'Ik ken deze medewerker niet.');
        // The report also asks for a restriction, in the same step.
        await page.check('#ask-restriction');
        response = await submit(page, 'main form button[type=submit]');
        assert.equal(response.status(), 200);
        assert.ok((await page.locator('main .notice').textContent()).includes(L.reportedRequest));
      }
      assert.ok((await page.locator('main').textContent()).includes(L.reported));
      await shot(page, `portal-view-reported-${L.code}`);

      // Signed in, the citizen files a request without a second code.
      response = await submit(page, 'main a[href="/demo/privacy/mine/request"]');
      assert.equal(response.status(), 200);
      assert.equal(await page.locator('main input[name=email]').count(), 0, 'the view asks an address again');
      await axeBoth(page, `the view's request form (${L.code})`);
      await shot(page, `portal-request-${L.code}`);
      await page.check(`#kind-${L.kind}`);
      response = await submit(page, 'main form button[type=submit]');
      assert.equal(response.status(), 200);
      assert.equal((await page.locator('h1').textContent()).trim(), L.filed);
      const reference = (await page.locator('.reference-number').textContent()).trim();
      await axeBoth(page, `the view's receipt (${L.code})`);
      await shot(page, `portal-request-done-${L.code}`);

      // The DPO approves and executes; the view offers the package.
      response = await priv.goto(`${s.baseURL}/demo/admin/requests/${reference}?lang=nl`);
      assert.equal(response.status(), 200);
      await priv.check('#decision-approve');
      await priv.fill('#reason', 'Aangemeld in Mijn gegevens');
      assert.equal((await submit(priv, 'form[action$="/decide"] button[type=submit]')).status(), 200);
      assert.equal((await submit(priv, 'form[action$="/execute"] button[type=submit]')).status(), 200);
      await waitForMail(address, ++codes); // the answer-ready mail: its link keeps working (dsr-download.test.mjs)
      response = await page.goto(`${s.baseURL}/demo/privacy/mine?lang=${L.code}`);
      assert.equal(response.status(), 200);
      const button = page.locator(`main form[action$="/package"] button:has-text("${reference}")`);
      assert.equal(await button.count(), 1, 'no download in the view');
      assert.ok((await button.textContent()).includes(L.download));
      await axeBoth(page, `the view with a package (${L.code})`);
      await shot(page, `portal-view-package-${L.code}`);
      const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
      assert.ok(download.suggestedFilename().endsWith('.zip'), download.suggestedFilename());

      response = await submit(page, 'main form[action$="/signout"] button[type=submit]');
      assert.equal(response.status(), 200);
      assert.ok((await page.locator('main').textContent()).includes(L.out));
    }

    // The DPO finds the report to judge.
    response = await priv.goto(`${s.baseURL}/demo/admin/access-reports?lang=nl`);
    assert.equal(response.status(), 200);
    assert.ok((await priv.locator('main').textContent()).includes('Ik ken deze medewerker niet.'));
    await axeBoth(priv, 'the reports page');
    await shot(priv, 'portal-staff-reports-nl');
    await priv.locator('main input[value=no_issue]').first().check();
    await priv.locator('main textarea[name=reason]').first().fill('Medewerker van de dienst, behandeling van de vraag.');
    response = await submit(priv, 'main form[action$="/decide"] button[type=submit]');
    assert.equal(response.status(), 200);
    assert.ok((await priv.locator('main').textContent()).includes('Geen probleem'));
    await shot(priv, 'portal-staff-reports-decided-nl');
  } finally {
    await ctx.close();
    closeSMTP();
  }
});
