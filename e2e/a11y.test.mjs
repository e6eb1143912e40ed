// Browser accessibility tests (WCAG 2.1 AA) of the pages Kluis serves, in Debian's Chromium.
//
//   npm ci && node --test e2e/          (or: npm run test:e2e; `make test` runs them too)
//
// Builds ./cmd/kluis (or uses KLUIS_E2E_BIN), starts `kluis serve --demo` on a free port with
// data, keys and master key in a fresh temp dir, and for every page x language x viewport:
//   - runs axe-core (tags wcag2a, wcag2aa, wcag21a, wcag21aa) and expects 0 violations;
//   - presses Tab once and expects the skip link to get focus, on screen, with a visible
//     focus indicator (outline >= 2px, or a box-shadow);
//   - expects <html lang> to match the language, and no sideways scrolling on a phone;
//   - saves a full-page screenshot to e2e/artifacts/<page>-<lang>-<viewport>.png.
// Server, Chromium and axe come from harness.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  KluisServer,
  activate,
  artifactsDir,
  unQP,
  enrolTOTP,
  expectNoAxeViolations,
  formatViolations,
  invite,
  launchChromium,
  login,
  makeArtifactsDir,
  runAxe,
  shot,
  startClamd,
  startSMTPCapture,
  submit,
  totp,
} from './harness.mjs';

const PAGES = [
  { name: 'home', path: '/', status: 200 },
  { name: 'demo', path: '/demo/', status: 200 },
  { name: 'privacy', path: '/demo/privacy', status: 200 },
  { name: 'notfound', path: '/nope', status: 404 },
];

const LANGS = [
  { code: 'nl', htmlLang: 'nl-BE', locale: 'nl-BE', skip: /^Naar de hoofdinhoud$/ },
  { code: 'fr', htmlLang: 'fr-BE', locale: 'fr-BE', skip: /^Aller au contenu principal$/ },
  { code: 'en', htmlLang: 'en', locale: 'en-GB', skip: /^Skip to main content$/ },
];

const VIEWPORTS = [
  { name: 'desktop', options: { viewport: { width: 1280, height: 900 } } },
  {
    name: 'phone',
    options: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
  },
];

let kluis;
let baseURL;
let browser;
let smtp;

let clamd;

before(async () => {
  makeArtifactsDir();
  smtp = await startSMTPCapture();
  clamd = await startClamd();
  kluis = new KluisServer({
    env: {
      KLUIS_SMTP_HOST: '127.0.0.1',
      KLUIS_SMTP_PORT: String(smtp.port),
      KLUIS_SMTP_TLS: 'none',
      KLUIS_SMTP_FROM: 'Kluis <noreply@demo.example>',
      ...(clamd ? { KLUIS_CLAMD: `unix:${clamd.socket}` } : {}),
    },
  });
  await kluis.start();
  baseURL = kluis.baseURL;
  browser = await launchChromium({ extraArgs: ['--disable-quic'] });
});

after(async () => {
  await browser?.close();
  await kluis?.stop();
  clamd?.stop();
  if (smtp) smtp.close();
});

for (const pg of PAGES) {
  for (const lang of LANGS) {
    for (const vp of VIEWPORTS) {
      const name = `${pg.name}-${lang.code}-${vp.name}`;
      test(`${name} (${pg.path}?lang=${lang.code}, ${vp.options.viewport.width}x${vp.options.viewport.height})`, { timeout: 90_000 }, async (t) => {
        const context = await browser.newContext({
          ...vp.options,
          bypassCSP: true, // the CSP allows only script-src 'self'; axe is injected
          locale: lang.locale,
          reducedMotion: 'reduce',
        });
        try {
          const page = await context.newPage();
          const url = `${baseURL}${pg.path}?lang=${lang.code}`;
          const response = await page.goto(url, { waitUntil: 'load' });
          assert.equal(response.status(), pg.status, `HTTP status of ${url}`);

          // <html lang>
          const htmlLang = await page.evaluate(() => document.documentElement.getAttribute('lang'));
          assert.equal(htmlLang, lang.htmlLang, `<html lang> of ${url}`);

          // Screenshot before any interaction, for humans to look at.
          await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true });

          // axe-core, WCAG 2.0/2.1 A and AA.
          const results = await runAxe(page);
          if (results.incomplete.length > 0) {
            t.diagnostic(`axe needs review (not failures): ${results.incomplete.map((r) => r.id).join(', ')}`);
          }
          assert.equal(
            results.violations.length,
            0,
            `axe found ${results.violations.length} violation(s) on ${url} at ${vp.name}:\n${formatViolations(results.violations)}`,
          );

          // No sideways scrolling of the page itself (WCAG 1.4.10 reflow); wide tables may
          // scroll inside their own region.
          const overflow = await page.evaluate(() => ({
            scroll: document.documentElement.scrollWidth,
            client: document.documentElement.clientWidth,
          }));
          assert.ok(
            overflow.scroll <= overflow.client,
            `page scrolls sideways at ${vp.name}: scrollWidth ${overflow.scroll} > clientWidth ${overflow.client}`,
          );

          // First Tab: the skip link, visibly focused and on screen.
          await page.keyboard.press('Tab');
          const focused = await page.evaluate(() => {
            const el = document.activeElement;
            if (!el || el === document.body) return null;
            const cs = getComputedStyle(el);
            const r = el.getBoundingClientRect();
            return {
              tag: el.tagName.toLowerCase(),
              cls: el.className,
              href: el.getAttribute('href'),
              text: (el.textContent || '').trim(),
              outlineStyle: cs.outlineStyle,
              outlineWidth: parseFloat(cs.outlineWidth) || 0,
              boxShadow: cs.boxShadow,
              rect: { top: r.top, left: r.left, bottom: r.bottom, right: r.right, width: r.width, height: r.height },
              viewport: { width: window.innerWidth, height: window.innerHeight },
              target: (el.getAttribute('href') || '').startsWith('#') &&
                document.getElementById(el.getAttribute('href').slice(1)) !== null,
            };
          });
          assert.ok(focused, 'the first Tab press focused nothing');
          assert.equal(focused.tag, 'a', `the first Tab press focused <${focused.tag} class="${focused.cls}">, not the skip link`);
          assert.match(focused.text, lang.skip, `the first focused element is "${focused.text}", not the skip link`);
          assert.ok(focused.target, `the skip link points to ${focused.href}, which is not on the page`);
          const outlined = focused.outlineStyle !== 'none' && focused.outlineWidth >= 2;
          const shadowed = focused.boxShadow && focused.boxShadow !== 'none';
          assert.ok(
            outlined || shadowed,
            `the focused skip link has no visible focus indicator: outline ${focused.outlineStyle} ${focused.outlineWidth}px, box-shadow ${focused.boxShadow}`,
          );
          const { rect, viewport } = focused;
          assert.ok(
            rect.width > 0 && rect.height > 0 && rect.top >= 0 && rect.left >= 0 &&
              rect.bottom <= viewport.height && rect.right <= viewport.width,
            `the focused skip link is not on screen: ${JSON.stringify(rect)} in ${viewport.width}x${viewport.height}`,
          );
        } finally {
          await context.close();
        }
      });
    }
  }
}

// An invited person opens the link, trips over the password rule, reads the
// error summary, fixes it and activates the account (USR-1, USR-3), with axe
// on every state of the page.
for (const lang of LANGS) {
  test(`activation-${lang.code}: invite, weak password refused, account activated, sign in and out`, { timeout: 90_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, bypassCSP: true, locale: lang.locale });
    try {
      const page = await context.newPage();
      const link = invite(kluis, `e2e-${lang.code}@demo.example`, `Test ${lang.code.toUpperCase()}`, lang.code);
      let response = await page.goto(`${link}?lang=${lang.code}`);
      assert.equal(response.status(), 200);
      await page.screenshot({ path: join(artifactsDir, `activate-${lang.code}-phone.png`), fullPage: true });
      await expectNoAxeViolations(page, 'the activation form');

      await page.fill('#password', 'te kort');
      await page.fill('#password_confirm', 'te kort');
      [response] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      assert.equal(response.status(), 422);
      const summary = await page.locator('.error-summary a[href="#password"]').textContent();
      assert.match(summary, /15/, 'the error summary names the minimum length');
      assert.equal(await page.getAttribute('#password', 'aria-invalid'), 'true');
      await page.screenshot({ path: join(artifactsDir, `activate-error-${lang.code}-phone.png`), fullPage: true });
      await expectNoAxeViolations(page, 'the activation form with errors');

      const good = 'paardenbloem kastanjeboom vijver';
      await page.fill('#password', good);
      await page.fill('#password_confirm', good);
      [response] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      assert.equal(response.status(), 200);
      assert.match(page.url(), /\/demo\/activated$/);
      await page.screenshot({ path: join(artifactsDir, `activated-${lang.code}-phone.png`), fullPage: true });
      await expectNoAxeViolations(page, 'the activated page');

      // Sign in with the new password: the session cookie (__Host-, Secure) works on
      // http://127.0.0.1, which browsers treat as a secure context.
      [response] = await Promise.all([page.waitForNavigation(), page.click('a.button')]);
      assert.match(page.url(), /\/demo\/login$/);
      await expectNoAxeViolations(page, 'the login form');
      await page.fill('#email', `e2e-${lang.code}@demo.example`);
      await page.fill('#password', 'wrong password, twenty chars');
      [response] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      assert.equal(response.status(), 401);
      await page.screenshot({ path: join(artifactsDir, `login-error-${lang.code}-phone.png`), fullPage: true });
      await expectNoAxeViolations(page, 'the login form with an error');
      await page.fill('#password', good);
      [response] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      assert.match(page.url(), /\/demo\/signed-in$/);
      assert.match(await page.locator('main').textContent(), new RegExp(`Test ${lang.code.toUpperCase()}`));
      await page.screenshot({ path: join(artifactsDir, `signed-in-${lang.code}-phone.png`), fullPage: true });
      await expectNoAxeViolations(page, 'the signed-in page');
      [response] = await Promise.all([page.waitForNavigation(), page.click('form[action$="/logout"] button')]);
      response = await page.goto(`${baseURL}/demo/signed-in`);
      assert.match(page.url(), /\/demo\/login\?next=/, 'after logout the session is gone');

      response = await page.goto(link);
      assert.equal(response.status(), 410, 'a used link no longer works');
    } finally {
      await context.close();
    }
  });
}

// The activation link of the newest mail to `email`, waiting up to 75 s for the
// mail job (every 30 s). Its origin is replaced by the test server's: kluis makes
// links with KLUIS_BASE_URL, which is not known before the server listens.
async function activationLinkFromMail(email) {
  const deadline = Date.now() + 75_000;
  while (Date.now() < deadline) {
    const msg = smtp.received.findLast((m) => m.to.some((to) => to.includes(email)));
    if (msg) {
      const m = /https?:\/\/\S+?(\/demo\/activate\/[A-Za-z0-9_-]{43})/.exec(unQP(msg.data));
      assert.ok(m, `no activation link in the mail to ${email}:\n${msg.data}`);
      return `${baseURL}${m[1]}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`no mail to ${email} within 75s (${smtp.received.length} message(s) in the sink)\n${kluis.logTail(20)}`);
}

// The whole flow: an admin invites a user, who activates, sets a password,
// enrols TOTP, signs out, signs in with TOTP; the admin disables the user, whose
// session ends and whose next login is refused.
test('identity: invite, activate, enrol TOTP, sign in with TOTP, disabled user refused', { timeout: 180_000 }, async () => {
  const opts = { viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'en-GB', reducedMotion: 'reduce' };
  const adminCtx = await browser.newContext(opts);
  const userCtx = await browser.newContext(opts);
  try {
    // The first admin, bootstrapped with the CLI, must enrol a second factor.
    const admin = { email: 'e2e-admin@demo.example', name: 'E2E Admin', password: 'beukenhaag regenton zonnewijzer' };
    const admin_ = await adminCtx.newPage();
    await activate(admin_, invite(kluis, admin.email, admin.name, 'en', 'admin'), admin.password);
    let response = await login(admin_, baseURL, admin.email, admin.password);
    assert.match(admin_.url(), /\/demo\/account\/mfa$/, 'an admin without a second factor is sent to enrolment');
    await enrolTOTP(admin_, 'identity-admin-mfa-enrol');

    // The admin invites a user on the users page; the link goes out by mail only.
    const user = { email: 'e2e-user@demo.example', name: 'E2E User', password: 'lindeboom waterput tuinbank' };
    response = await admin_.goto(`${baseURL}/demo/admin/users`);
    assert.equal(response.status(), 200);
    await admin_.fill('#email', user.email);
    await admin_.fill('#name', user.name);
    await admin_.selectOption('#role', 'user');
    await admin_.selectOption('#lang', 'en');
    [response] = await Promise.all([admin_.waitForNavigation(), admin_.click('form:has(#email) button[type=submit]')]);
    assert.equal(response.status(), 200);
    assert.match(admin_.url(), /\/demo\/admin\/users\?invited=/);
    assert.match(await admin_.locator('.notice[role=status]').textContent(), /E2E User/);
    await admin_.screenshot({ path: join(artifactsDir, 'identity-users.png'), fullPage: true });
    await expectNoAxeViolations(admin_, 'the users page');

    // The user activates from the mail, signs in and enrols voluntarily.
    const link = await activationLinkFromMail(user.email);
    const user_ = await userCtx.newPage();
    await activate(user_, link, user.password);
    response = await login(user_, baseURL, user.email, user.password);
    assert.match(user_.url(), /\/demo\/signed-in$/, 'a user needs no second factor to sign in');
    await user_.goto(`${baseURL}/demo/account/mfa`);
    const secret = await enrolTOTP(user_, 'identity-user-mfa-enrol');
    [response] = await Promise.all([user_.waitForNavigation(), user_.click('form[action$="/logout"] button')]);

    // Signing in again asks for the code. The enrolment used this step's code, which
    // is not accepted twice: the next step's code is (one step of skew is allowed).
    response = await login(user_, baseURL, user.email, user.password);
    assert.match(user_.url(), /\/demo\/login\/mfa/, 'with TOTP the login goes to the second step');
    await user_.screenshot({ path: join(artifactsDir, 'identity-mfa-step.png'), fullPage: true });
    await expectNoAxeViolations(user_, 'the MFA step page');
    await user_.fill('#code', totp(secret, 1));
    [response] = await Promise.all([user_.waitForNavigation(), user_.click('form:has(#code) button[type=submit]')]);
    assert.match(user_.url(), /\/demo\/signed-in$/, 'the TOTP code completes the login');
    assert.match(await user_.locator('main').textContent(), /E2E User/);

    // The admin opens the user's page from the list and disables the user.
    await admin_.goto(`${baseURL}/demo/admin/users`);
    [response] = await Promise.all([admin_.waitForNavigation(), admin_.locator('table a', { hasText: user.name }).click()]);
    assert.equal(response.status(), 200);
    assert.match(admin_.url(), /\/demo\/admin\/users\/[^/?]+$/);
    await expectNoAxeViolations(admin_, 'the user page');
    [response] = await Promise.all([admin_.waitForNavigation(), admin_.click('form[action$="/disable"] button')]);
    assert.equal(response.status(), 200);
    const status = admin_.locator('dl.facts dt:text-is("Status") + dd');
    assert.equal((await status.textContent()).trim(), 'disabled');
    await admin_.screenshot({ path: join(artifactsDir, 'identity-user-disabled.png'), fullPage: true });
    await expectNoAxeViolations(admin_, 'the user page after disabling');

    // The user's session is gone and a new login is refused.
    await user_.goto(`${baseURL}/demo/signed-in`);
    assert.match(user_.url(), /\/demo\/login\?next=/, 'the disabled user\'s session has ended');
    response = await login(user_, baseURL, user.email, user.password);
    assert.equal(response.status(), 401, 'a disabled user cannot sign in');
    assert.match(user_.url(), /\/demo\/login$/);
  } finally {
    await adminCtx.close();
    await userCtx.close();
  }
});

// Supplier staff: `kluis operator add` → the operator activates on /operator/,
// must enrol TOTP, and sees no tenant; the demo's admin grants access, the
// operator reads the users page (read-only), the admin ends the grant and the
// operator is out at once. axe on the realm's and the grant pages.
test('operators: no standing access, time-boxed grant given and ended by the tenant admin', { timeout: 180_000 }, async () => {
  const opts = { viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce' };
  const adminCtx = await browser.newContext(opts);
  const opCtx = await browser.newContext(opts);
  try {
    const res = kluis.cli(['operator', 'add', '--email', 'e2e-op@leverancier.example', '--name', 'E2E Operator']);
    assert.equal(res.status, 0, `kluis operator add failed: ${res.stderr}`);
    const link = res.stdout.trim().split('\n').pop();
    assert.match(link, /\/operator\/activate\/[A-Za-z0-9_-]{43}$/, `no activation link in: ${res.stdout}`);
    const op = await opCtx.newPage();
    const opPassword = 'meidoorn klimop vlinderstruik';
    await activate(op, link, opPassword, 'operator');
    await login(op, baseURL, 'e2e-op@leverancier.example', opPassword, 'operator');
    await op.screenshot({ path: join(artifactsDir, 'operator-mfa-enrol.png'), fullPage: true });
    await enrolTOTP(op, 'operator-mfa', 'operator');
    assert.match(await op.locator('main').textContent(), /Geen enkel bestuur geeft u op dit moment toegang/);
    await op.screenshot({ path: join(artifactsDir, 'operator-home.png'), fullPage: true });
    await expectNoAxeViolations(op, "the operator's home page");
    let response = await op.goto(`${baseURL}/demo/admin/users`);
    assert.match(op.url(), /\/demo\/login\?next=/, 'without a grant the operator is a stranger to the demo');

    const admin_ = await adminCtx.newPage();
    const admin = { email: 'e2e-grant-admin@demo.example', password: 'hazelaar vijverrand eikenlaan' };
    await activate(admin_, invite(kluis, admin.email, 'Grant Admin', 'nl', 'admin'), admin.password);
    await login(admin_, baseURL, admin.email, admin.password);
    await enrolTOTP(admin_, 'operator-admin-mfa');
    response = await admin_.goto(`${baseURL}/demo/admin/operators`);
    assert.equal(response.status(), 200);
    // An empty form: every field named in the error summary.
    [response] = await Promise.all([admin_.waitForNavigation(), admin_.click('form:has(#reason) button[type=submit]')]);
    assert.equal(response.status(), 422);
    assert.equal(await admin_.locator('.error-summary li').count(), 2);
    await admin_.screenshot({ path: join(artifactsDir, 'operators-errors.png'), fullPage: true });
    await expectNoAxeViolations(admin_, 'the grant form with errors');
    await admin_.fill('#email', 'e2e-op@leverancier.example');
    await admin_.fill('#reason', 'Supportvraag 2026-118');
    await admin_.selectOption('#hours', '4');
    [response] = await Promise.all([admin_.waitForNavigation(), admin_.click('form:has(#reason) button[type=submit]')]);
    assert.equal(response.status(), 200);
    assert.match(await admin_.locator('table').textContent(), /Supportvraag 2026-118[\s\S]*actief/);
    await admin_.screenshot({ path: join(artifactsDir, 'operators-granted.png'), fullPage: true });
    await expectNoAxeViolations(admin_, 'the supplier access page');

    await op.goto(`${baseURL}/operator/signed-in`);
    [response] = await Promise.all([op.waitForNavigation(), op.click('main a:text("Gemeente Demo")')]);
    assert.equal(response.status(), 200, 'under the grant the operator reads the users page');
    assert.match(await op.locator('main').textContent(), /e2e-grant-admin@demo\.example/);
    assert.equal(await op.locator('form:has(#email)').count(), 0, 'and cannot invite');

    [response] = await Promise.all([admin_.waitForNavigation(), admin_.click('form[action$="/revoke"] button')]);
    assert.equal(response.status(), 200);
    assert.match(await admin_.locator('table').textContent(), /ingetrokken/);
    await op.goto(`${baseURL}/demo/admin/users`);
    assert.match(op.url(), /\/demo\/login\?next=/, 'an ended grant ends the access at once');
  } finally {
    await adminCtx.close();
    await opCtx.close();
  }
});

// The account and policy pages of issue 3 as a DPO's and an admin's habits use them: the
// signed-in hub, the tenant's security policy (a value below the floor refused with the
// field named, then saved), the user's own sessions (a second sign-in listed and ended), the
// step-up confirmation, the sign-in methods page, and removing a user (name erased, shown as
// a pseudonym). axe on every state; screenshots for review.
test('account pages: hub, tenant policy, own sessions, step-up, sign-in methods, user removal', { timeout: 180_000 }, async () => {
  const opts = { viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce' };
  const ctx = await browser.newContext(opts);
  const second = await browser.newContext({ ...opts, viewport: { width: 390, height: 844 }, isMobile: true });
  const shot = (page, name) => page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true });
  try {
    const admin = { email: 'e2e-policy-admin@demo.example', password: 'notelaar kerkplein beiaard' };
    const page = await ctx.newPage();
    await activate(page, invite(kluis, admin.email, 'Policy Admin', 'nl', 'admin'), admin.password);
    await login(page, baseURL, admin.email, admin.password);
    const secret = await enrolTOTP(page, 'account-admin-mfa');
    await shot(page, 'account-hub');
    await expectNoAxeViolations(page, 'the signed-in hub');
    // The staff layout's account menu and navigation lead to every page of the account and
    // of the administration.
    for (const href of ['/demo/account/password', '/demo/account/mfa', '/demo/account/oidc', '/demo/account/sessions']) {
      assert.equal(await page.locator(`.account-menu a[href="${href}"]`).count(), 1, `the account menu links ${href}`);
    }
    await submit(page, 'nav.staff-nav a[href="/demo/admin/users"]');
    for (const href of ['/demo/admin/users', '/demo/admin/operators', '/demo/admin/policy']) {
      assert.equal(await page.locator(`.sub-nav a[href="${href}"]`).count(), 1, `the administration links ${href}`);
    }

    // The tenant's policy: below the floor is refused, field by field; within it is saved.
    let response = await page.goto(`${baseURL}/demo/admin/policy`);
    assert.equal(response.status(), 200);
    await shot(page, 'policy');
    await expectNoAxeViolations(page, 'the policy page');
    await page.fill('#password_min_length', '8');
    [response] = await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
    assert.equal(response.status(), 422);
    assert.equal(await page.locator('.error-summary a[href="#password_min_length"]').count(), 1, 'the summary links the field');
    assert.equal(await page.locator('#password_min_length').getAttribute('aria-invalid'), 'true');
    await shot(page, 'policy-errors');
    await expectNoAxeViolations(page, 'the policy page with errors');
    await page.fill('#password_min_length', '16');
    [response] = await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
    assert.equal(response.status(), 200);
    assert.equal(await page.locator('#password_min_length').inputValue(), '16');

    // A second sign-in (on a phone) is listed on the sessions page and can be ended.
    const phone = await second.newPage();
    await login(phone, baseURL, admin.email, admin.password);
    assert.match(phone.url(), /\/demo\/login\/mfa/);
    await phone.fill('#code', totp(secret, 1));
    await Promise.all([phone.waitForNavigation(), phone.click('form:has(#code) button[type=submit]')]);
    response = await page.goto(`${baseURL}/demo/account/sessions`);
    assert.equal(response.status(), 200);
    assert.equal(await page.locator('main tbody tr').count(), 2, 'both sessions are listed');
    await shot(page, 'sessions');
    await expectNoAxeViolations(page, 'the sessions page');
    [response] = await Promise.all([page.waitForNavigation(), page.click('form[action$="/revoke-others"] button')]);
    assert.equal(response.status(), 200);
    assert.equal(await page.locator('main tbody tr').count(), 1, 'the other session is gone');
    await phone.goto(`${baseURL}/demo/signed-in`);
    assert.match(phone.url(), /\/demo\/login\?next=/, 'the ended session no longer signs in');

    // The step-up page, empty and then answered: back to where the admin was going.
    response = await page.goto(`${baseURL}/demo/account/confirm?next=%2Fdemo%2Fadmin%2Fusers`);
    assert.equal(response.status(), 200);
    await shot(page, 'stepup');
    await expectNoAxeViolations(page, 'the step-up page');
    [response] = await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
    assert.equal(response.status(), 422);
    await expectNoAxeViolations(page, 'the step-up page with errors');
    // The phone's login spent the next step's code, and a code is accepted once and at most
    // one step ahead: wait for the next step, then use the one after it.
    await new Promise((resolve) => setTimeout(resolve, 30_000 - (Date.now() % 30_000) + 500));
    await page.fill('#password', admin.password);
    await page.fill('#code', totp(secret, 1));
    [response] = await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
    assert.equal(response.status(), 200);
    assert.match(page.url(), /\/demo\/admin\/users$/);

    // Changing the password (the login is fresh: no step-up): a weak one is refused with
    // the rule named, a good one is saved.
    response = await page.goto(`${baseURL}/demo/account/password`);
    assert.equal(response.status(), 200);
    await page.fill('#password', 'kort');
    await page.fill('#password_confirm', 'kort');
    [response] = await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
    assert.equal(response.status(), 422);
    await shot(page, 'password-change-errors');
    await expectNoAxeViolations(page, 'the password change page with errors');
    admin.password = 'kastanjelaan molenwiek zonnebloem';
    await page.fill('#password', admin.password);
    await page.fill('#password_confirm', admin.password);
    [response] = await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
    assert.equal(response.status(), 200);
    assert.match(page.url(), /\/demo\/account\/sessions\?done=password$/);
    assert.match(await page.locator('.notice').textContent(), /wachtwoord is gewijzigd/);

    response = await page.goto(`${baseURL}/demo/account/oidc`);
    assert.equal(response.status(), 200);
    await shot(page, 'account-oidc');
    await expectNoAxeViolations(page, 'the sign-in methods page');

    // Removing a user: the name and address are gone, a pseudonym remains.
    invite(kluis, 'e2e-leaver@demo.example', 'Vertrekkende Medewerker', 'nl', 'user');
    await page.goto(`${baseURL}/demo/admin/users`);
    [response] = await Promise.all([page.waitForNavigation(), page.locator('table a', { hasText: 'Vertrekkende Medewerker' }).click()]);
    assert.equal(response.status(), 200);
    await page.check('#confirm');
    [response] = await Promise.all([page.waitForNavigation(), page.click('form[action$="/remove"] button')]);
    assert.equal(response.status(), 200);
    const main = await page.locator('main').textContent();
    assert.match(main, /Verwijderde gebruiker [0-9A-F]{4}/);
    assert.doesNotMatch(main, /Vertrekkende Medewerker|e2e-leaver@demo\.example/);
    await shot(page, 'user-removed');
    await expectNoAxeViolations(page, 'the page of a removed user');
  } finally {
    await ctx.close();
    await second.close();
  }
});

// The citizen flow: the demo's social allowance form, in Dutch on a phone and in
// French on a desktop, with a national register number and an attachment scanned by a real
// clamd; the empty form's errors, the notice, the receipt; the EICAR file refused. axe on
// every page.
const MINIMAL_PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
for (const c of [
  { lang: 'nl', locale: 'nl-BE', opts: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
    link: 'Aanvraag sociale toelage', error: /Vul dit veld in/, received: /heeft uw aanvraag goed ontvangen/, infected: /virus/ },
  { lang: 'fr', locale: 'fr-BE', opts: { viewport: { width: 1280, height: 900 } },
    link: "Demande d'allocation sociale", error: /Complétez ce champ/, received: /a bien reçu votre demande/, infected: /virus/ },
]) {
  test(`e-loket-${c.lang}: a citizen applies with INSZ and attachment and gets a receipt`, { timeout: 120_000 }, async (t) => {
    if (!clamd) {
      t.skip('clamd not installed (apt-get install clamav-daemon): uploads are refused without a scanner');
      return;
    }
    const context = await browser.newContext({ ...c.opts, bypassCSP: true, locale: c.locale, reducedMotion: 'reduce' });
    const shot = (page, name) => page.screenshot({ path: join(artifactsDir, `eloket-${c.lang}-${name}.png`), fullPage: true });
    try {
      const page = await context.newPage();
      await page.goto(`${baseURL}/demo/?lang=${c.lang}`);
      let response;
      [response] = await Promise.all([page.waitForNavigation(), page.click(`main a:text-is("${c.link}")`)]);
      assert.equal(response.status(), 200);
      await shot(page, 'form');
      await expectNoAxeViolations(page, 'the first page of the form');
      // The form has two pages: it is filled in steps (issue 10), "next" judging each page.
      const next = () => Promise.all([page.waitForNavigation(), page.click('main form button[value=next]')]);

      // Sent empty: every required field of the page named in the summary, linked.
      [response] = await next();
      assert.equal(response.status(), 422);
      assert.match(await page.locator('.error-summary').textContent(), c.error);
      assert.ok((await page.locator('.error-summary li').count()) >= 6, 'every required field of the page is listed');
      await shot(page, 'errors');
      await expectNoAxeViolations(page, 'the form with errors');

      const fill = async (id, v) => page.fill(`#${id}`, v);
      await fill('insz', '85.07.15-123.97');
      await fill('name', 'Marie Dubois');
      await fill('email', 'marie@example.be');
      await fill('phone', '0470 12 34 56');
      await fill('address_street', 'Rue de la Station');
      await fill('address_number', '12');
      await fill('address_postcode', '1000');
      await fill('address_municipality', 'Bruxelles');
      if (c.lang === 'fr') {
        // Switching language halfway keeps what was typed, and back.
        for (const to of ['en', 'fr']) {
          [response] = await Promise.all([page.waitForNavigation(), page.click(`.lang-switch button[value=${to}]`)]);
          assert.equal(response.status(), 200);
          assert.match(await page.locator('html').getAttribute('lang'), new RegExp(`^${to}`));
          assert.equal(await page.locator('#insz').inputValue(), '85.07.15-123.97', `typed values kept after switching to ${to}`);
          assert.equal(await page.locator('#address_postcode').inputValue(), '1000');
          assert.equal(await page.locator('.error-summary').count(), 0, 'a switch does not judge the form');
        }
        await expectNoAxeViolations(page, 'the form after a language switch');
      }
      [response] = await next();
      assert.equal(response.status(), 200);
      await fill('household', '3');
      await fill('income', '1650,75');
      await fill('iban', 'BE68 5390 0754 7034');
      await page.check('#truthful');
      // The EICAR test file first: refused, nothing kept.
      await page.setInputFiles('#certificate', { name: 'attest.pdf', mimeType: 'application/pdf',
        buffer: Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*')]) });
      [response] = await next();
      assert.equal(response.status(), 422, 'the EICAR file is refused');
      assert.match(await page.locator('#certificate-error').textContent(), c.infected);
      assert.equal(await page.locator('#income').inputValue(), '1650,75', 'what was typed is kept');
      await shot(page, 'infected');
      await expectNoAxeViolations(page, 'the form with a refused file');

      await page.setInputFiles('#certificate', { name: 'inkomensattest.pdf', mimeType: 'application/pdf', buffer: MINIMAL_PDF });
      [response] = await next();
      assert.equal(response.status(), 200);
      assert.equal(await page.locator('.notice-art13 h2').count(), 1, 'the art. 13 notice is on the review page');
      assert.match(await page.locator('main').textContent(), /85\.07\.15-123\.97[\s\S]*inkomensattest\.pdf/);
      await shot(page, 'review');
      await expectNoAxeViolations(page, 'the review page with its notice');
      [response] = await Promise.all([page.waitForNavigation(), page.click('main form button[value=send]')]);
      assert.equal(response.status(), 200);
      assert.match(page.url(), /\/demo\/receipt\/toelage$/);
      assert.match(await page.locator('.notice[role=status]').textContent(), c.received);
      assert.match(await page.locator('.reference-number').textContent(), /^[0-9A-Z]{5}-[0-9A-Z]{5}$/);
      assert.match(await page.locator('main').textContent(), /85\.07\.15-123\.97[\s\S]*inkomensattest\.pdf/);
      await shot(page, 'receipt');
      await expectNoAxeViolations(page, 'the receipt page');
    } finally {
      await context.close();
    }
  });
}
// The processing register of issue 4 as an admin and a DPO use it: the hub's link, the
// register page with its history, annex 1 in Dutch and French and at phone width (the
// wide tables stack there; the page itself never scrolls sideways), a broken YAML refused
// with every problem listed, and the PDF download. axe on every state; screenshots for
// review.
test('register pages: register, annex 1, broken upload listed, PDF download', { timeout: 180_000 }, async () => {
  const opts = { viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce', acceptDownloads: true };
  const ctx = await browser.newContext(opts);
  const shot = (page, name) => page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true });
  const noSidewaysScroll = async (page, what) => {
    const o = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    assert.ok(o.scroll <= o.client, `${what} scrolls sideways: scrollWidth ${o.scroll} > clientWidth ${o.client}`);
  };
  try {
    const admin = { email: 'e2e-register-admin@demo.example', password: 'beukenhaag zandloper vuurtoren' };
    const page = await ctx.newPage();
    await activate(page, invite(kluis, admin.email, 'Register Admin', 'nl', 'admin'), admin.password);
    await login(page, baseURL, admin.email, admin.password);
    await enrolTOTP(page, 'register-admin-mfa');
    assert.equal(await page.locator('nav.staff-nav a[href="/demo/admin/register"]').count(), 1, 'the navigation links the register');

    let response = await page.goto(`${baseURL}/demo/admin/register`);
    assert.equal(response.status(), 200);
    assert.match(await page.locator('main').textContent(), /Huidige versie: versie 1/);
    assert.equal(await page.locator('ol.history li').count(), 1, 'the history lists version 1');
    await shot(page, 'register');
    await expectNoAxeViolations(page, 'the register page');

    response = await page.goto(`${baseURL}/demo/admin/register/annex`);
    assert.equal(response.status(), 200);
    assert.equal(await page.locator('main table').count(), 4, 'purposes, categories, sub-processors, applications');
    await shot(page, 'register-annex');
    await expectNoAxeViolations(page, 'the annex page');
    await noSidewaysScroll(page, 'the annex page');

    response = await page.goto(`${baseURL}/demo/admin/register/annex?lang=fr`);
    assert.equal(response.status(), 200);
    assert.match(await page.locator('h1').textContent(), /Annexe 1/);
    await shot(page, 'register-annex-fr');
    await expectNoAxeViolations(page, 'the annex page in French');

    // The PDF in the page's language, as a download.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('main a[href*="annex.pdf"]')]);
    assert.equal(download.suggestedFilename(), 'annexe-1-demo-version-1.pdf');

    // On a phone the tables stack; the page does not scroll sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    response = await page.goto(`${baseURL}/demo/admin/register/annex?lang=nl`);
    assert.equal(response.status(), 200);
    await shot(page, 'register-annex-phone');
    await expectNoAxeViolations(page, 'the annex page on a phone');
    await noSidewaysScroll(page, 'the annex page on a phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    // A broken register: refused, every problem in the summary, the file field marked.
    await page.goto(`${baseURL}/demo/admin/register`);
    const broken = [
      'subject:', '  nl: Test', 'duration:', '  nl: Test', 'purposes:', '  - key: Bad Key', '    name:', '      nl: Doel',
      '    legal_basis: because', 'categories: []', 'data_subjects: []', '',
    ].join('\n');
    await page.setInputFiles('#register-file', { name: 'register.yaml', mimeType: 'application/yaml', buffer: Buffer.from(broken) });
    [response] = await Promise.all([page.waitForNavigation(), page.click('form:has(#register-file) button[type=submit]')]);
    assert.equal(response.status(), 422);
    const summary = await page.locator('.error-summary').textContent();
    for (const path of ['purposes[0].key', 'purposes[0].legal_basis', 'categories', 'data_subjects']) {
      assert.ok(summary.includes(`${path}: `), `the summary names ${path}`);
    }
    assert.equal(await page.locator('#register-file').getAttribute('aria-invalid'), 'true');
    await shot(page, 'register-upload-errors');
    await expectNoAxeViolations(page, 'the register page with upload errors');
    await page.goto(`${baseURL}/demo/admin/register`);
    assert.equal(await page.locator('ol.history li').count(), 1, 'nothing was saved');
  } finally {
    await ctx.close();
  }
});

// The form builder (issue 4, items 3 and 4) as an admin uses it, without JavaScript: a new form,
// a page, two questions (a text and a choice with its answers) given their register category and
// purpose, the publish checklist, the privacy notice approved, published. axe on the list, the
// form, the field edit page and the checklist; screenshots at desktop and phone width, and no
// sideways scrolling on the phone.
test('form builder: create a form with two fields, checklist, approve the notice, publish', { timeout: 180_000 }, async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce' });
  try {
    const admin = { email: 'e2e-forms-admin@demo.example', password: 'lindeboom marktplein belfort' };
    const page = await ctx.newPage();
    await activate(page, invite(kluis, admin.email, 'Forms Admin', 'nl', 'admin'), admin.password);
    await login(page, baseURL, admin.email, admin.password);
    await enrolTOTP(page, 'forms-admin-mfa');
    assert.equal(await page.locator('nav.staff-nav a[href="/demo/admin/forms"]').count(), 1, 'the navigation links the forms');

    let response = await page.goto(`${baseURL}/demo/admin/forms`);
    assert.equal(response.status(), 200);
    // An empty new form: both inputs named in the error summary.
    response = await submit(page, 'form:has(#key) button[type=submit]');
    assert.equal(response.status(), 422);
    assert.equal(await page.locator('.error-summary li').count(), 2);
    await expectNoAxeViolations(page, 'the forms list with errors');
    await page.fill('#title', 'Aanvraag bewonerskaart');
    await page.fill('#key', 'bewonerskaart');
    response = await submit(page, 'form:has(#key) button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(page.url(), /\/demo\/admin\/forms\/bewonerskaart$/);

    await page.fill('#page_title', 'Uw gegevens');
    response = await submit(page, '#add-page button[type=submit]');
    assert.equal(response.status(), 200);
    await page.fill('#new-uw-gegevens-label', 'Naam en voornaam');
    await page.selectOption('#new-uw-gegevens-type', 'text');
    response = await submit(page, 'form.add-field button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(page.url(), /\/fields\/naam_en_voornaam$/, 'a new question opens on its own page');
    await shot(page, 'forms-field-edit');
    await expectNoAxeViolations(page, 'the field edit page');
    await page.fill('#label_fr', 'Nom et prénom');
    await page.check('#required');
    await page.selectOption('#category', 'contact');
    await page.selectOption('#purpose', 'online-services');
    response = await submit(page, '#field-form button[type=submit]');
    assert.equal(response.status(), 200);

    await page.fill('#new-uw-gegevens-label', 'Soort kaart');
    await page.selectOption('#new-uw-gegevens-type', 'choice');
    response = await submit(page, 'form.add-field button[type=submit]');
    assert.equal(response.status(), 200);
    // A purpose the category does not serve is refused at the input.
    await page.fill('#options', 'bewoner | Bewonerskaart | Carte de riverain | Resident permit\nbezoeker | Bezoekerskaart | Carte de visiteur | Visitor permit');
    await page.selectOption('#category', 'web-forms');
    await page.selectOption('#purpose', 'social-support');
    response = await submit(page, '#field-form button[type=submit]');
    assert.equal(response.status(), 422);
    assert.match(await page.locator('.error-summary').textContent(), /kies een van de doelen van deze categorie/);
    await shot(page, 'forms-field-errors');
    await expectNoAxeViolations(page, 'the field edit page with errors');
    await page.selectOption('#purpose', 'online-services');
    response = await submit(page, '#field-form button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(page.url(), /\/demo\/admin\/forms\/bewonerskaart\?done=saved/);

    // The checklist: no problems, the notice to approve, publishing not yet possible.
    assert.match(await page.locator('.ok').textContent(), /In orde/);
    assert.equal(await page.locator('form[action$="/publish"] button').isDisabled(), true);
    await shot(page, 'forms-checklist');
    await expectNoAxeViolations(page, 'the form page with its checklist');
    response = await submit(page, 'form[action$="/notice"] button');
    assert.equal(response.status(), 200);
    assert.match(await page.locator('.notice[role=status]').textContent(), /privacyverklaring goed/);
    response = await submit(page, 'form[action$="/publish"] button');
    assert.equal(response.status(), 200);
    assert.match(await page.locator('.notice[role=status]').textContent(), /gepubliceerd/);
    await shot(page, 'forms-published');
    await expectNoAxeViolations(page, 'the published form');

    response = await page.goto(`${baseURL}/demo/admin/forms`);
    assert.match(await page.locator('table').textContent(), /Aanvraag bewonerskaart[\s\S]*versie 1/);
    await shot(page, 'forms-list');
    await expectNoAxeViolations(page, 'the forms list');
    response = await page.goto(`${baseURL}/demo/admin/forms/bewonerskaart/settings`);
    assert.equal(response.status(), 200);
    await shot(page, 'forms-settings');
    await expectNoAxeViolations(page, 'the form settings page');
  } finally {
    await ctx.close();
  }
});

// The staff inbox (issue 5): a citizen applies; an admin grants one clerk the allowance
// form; the clerk finds the citizen by national register number, opens the submission and
// moves it to "in behandeling"; a colleague without the grant sees neither the form nor
// the submission. axe on every page; no sideways scrolling on a phone.
test('inbox: search by INSZ, open, change status; no grant, nothing seen', { timeout: 180_000 }, async (t) => {
  if (!clamd) {
    t.skip('clamd not installed (apt-get install clamav-daemon): the allowance form takes an attachment');
    return;
  }
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce' });
  try {
    // The citizen's application.
    const citizen = await ctx.newPage();
    let response = await citizen.goto(`${baseURL}/demo/toelage`);
    assert.equal(response.status(), 200);
    // Two pages, filled in steps (issue 10), then the review's send button.
    for (const [id, v] of Object.entries({ insz: '90.02.01-997.04', name: 'Inbox Burger', email: 'inbox.burger@example.be',
      address_street: 'Veldstraat', address_number: '3', address_postcode: '9000', address_municipality: 'Gent' })) {
      await citizen.fill(`#${id}`, v);
    }
    response = await submit(citizen, 'main form button[value=next]');
    assert.equal(response.status(), 200);
    for (const [id, v] of Object.entries({ household: '2', income: '1200', iban: 'BE68 5390 0754 7034' })) {
      await citizen.fill(`#${id}`, v);
    }
    await citizen.check('#truthful');
    await citizen.setInputFiles('#certificate', { name: 'loonfiche.pdf', mimeType: 'application/pdf', buffer: MINIMAL_PDF });
    response = await submit(citizen, 'main form button[value=next]');
    assert.equal(response.status(), 200);
    response = await submit(citizen, 'main form button[value=send]');
    assert.equal(response.status(), 200);
    const reference = (await citizen.locator('.reference-number').textContent()).trim();

    // The admin grants the clerk (not the colleague) the allowance form.
    const admin = { email: 'e2e-inbox-admin@demo.example', password: 'lindeboom stadhuis belfort' };
    const clerk = { email: 'e2e-inbox-clerk@demo.example', name: 'Inbox Klerk', password: 'kastanje waterput tuinbank' };
    const other = { email: 'e2e-inbox-other@demo.example', name: 'Andere Collega', password: 'beuk vijver marktplein' };
    const clerkLink = invite(kluis, clerk.email, clerk.name, 'nl');
    const otherLink = invite(kluis, other.email, other.name, 'nl');
    const page = await ctx.newPage();
    await activate(page, invite(kluis, admin.email, 'Inbox Admin', 'nl', 'admin'), admin.password);
    await login(page, baseURL, admin.email, admin.password);
    await enrolTOTP(page, 'inbox-admin-mfa');
    const clerkPage = await ctx.newPage();
    await activate(clerkPage, clerkLink, clerk.password);
    await page.goto(`${baseURL}/demo/admin/users`);
    response = await submit(page, `main a:text-is("${clerk.name}")`);
    assert.equal(response.status(), 200);
    await page.check('input[name=form][value=toelage]');
    response = await submit(page, 'form[action$="/forms"] button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(await page.locator('.notice[role=status]').textContent(), /toegang van Inbox Klerk tot formulieren/);
    await shot(page, 'inbox-user-forms');
    await expectNoAxeViolations(page, 'the user page with form access');

    // The clerk: inbox, search by INSZ typed with separators, the submission, a status.
    await login(clerkPage, baseURL, clerk.email, clerk.password);
    response = await submit(clerkPage, 'main a[href="/demo/inbox"]');
    assert.equal(response.status(), 200);
    assert.match(await clerkPage.locator('main table').textContent(), new RegExp(reference));
    await shot(clerkPage, 'inbox-list');
    await expectNoAxeViolations(clerkPage, 'the inbox');
    await clerkPage.fill('#q', '90.02.01-997.04');
    response = await submit(clerkPage, 'form[action$="/inbox/search"] button[type=submit]');
    assert.equal(response.status(), 200);
    assert.ok(!/9002|90\.02/.test(new URL(clerkPage.url()).pathname + new URL(clerkPage.url()).search), 'the national register number is in no URL');
    assert.equal(await clerkPage.locator('main tbody tr').count(), 1);
    await shot(clerkPage, 'inbox-search');
    await expectNoAxeViolations(clerkPage, 'the search results');
    response = await submit(clerkPage, `main a:text-is("${reference}")`);
    assert.equal(response.status(), 200);
    const detail = await clerkPage.locator('main').textContent();
    for (const want of ['Inbox Burger', '90.02.01-997.04', 'BE68 5390 0754 7034', 'loonfiche.pdf']) {
      assert.ok(detail.includes(want), `the submission page shows ${want}`);
    }
    await shot(clerkPage, 'inbox-submission');
    await expectNoAxeViolations(clerkPage, 'the submission page');
    response = await submit(clerkPage, 'form[action$="/status"] button[type=submit]');
    assert.equal(response.status(), 422, 'no status chosen');
    await expectNoAxeViolations(clerkPage, 'the submission page with an error');
    await clerkPage.check('input[name=status][value=in_progress]');
    response = await submit(clerkPage, 'form[action$="/status"] button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(await clerkPage.locator('.notice[role=status]').textContent(), /status is gewijzigd/);
    assert.match(await clerkPage.locator('.history').textContent(), /Status: In behandeling[\s\S]*Inbox Klerk/);
    const submissionURL = clerkPage.url().replace(/\?.*$/, '');
    await shot(clerkPage, 'inbox-handled');
    await expectNoAxeViolations(clerkPage, 'the handled submission');

    // The clerk exports the form to XLSX: one form filtered, a reason, progress, download.
    response = await clerkPage.goto(`${baseURL}/demo/inbox?form=toelage`);
    assert.equal(response.status(), 200);
    await clerkPage.check(`input[name=id][aria-label$="${reference}"]`);
    response = await submit(clerkPage, '#export-selection button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(clerkPage.url(), /\/demo\/inbox\/forms\/toelage\/export\?id=/);
    await shot(clerkPage, 'export-new');
    await expectNoAxeViolations(clerkPage, 'the export page');
    await clerkPage.check('#format-xlsx');
    response = await submit(clerkPage, 'main form button[type=submit]');
    assert.equal(response.status(), 422, 'a reason is required');
    assert.match(await clerkPage.locator('.error-summary').textContent(), /reden|Reden/);
    await clerkPage.check('#format-xlsx');
    await clerkPage.fill('#reason', 'Overzicht voor het OCMW-comité van december');
    response = await submit(clerkPage, 'main form button[type=submit]');
    assert.ok(response.status() === 200, `export started: ${response.status()}`);
    await shot(clerkPage, 'export-progress');
    await expectNoAxeViolations(clerkPage, 'the export progress page');
    // The page refreshes itself until the worker has written the file.
    await clerkPage.waitForSelector('a[href$="/download"]', { timeout: 60_000 });
    await shot(clerkPage, 'export-ready');
    await expectNoAxeViolations(clerkPage, 'the finished export');
    const [download] = await Promise.all([clerkPage.waitForEvent('download'), clerkPage.click('a[href$="/download"]')]);
    assert.match(download.suggestedFilename(), /\.xlsx$/);
    const file = readFileSync(await download.path());
    assert.equal(file.subarray(0, 2).toString(), 'PK', 'an XLSX is a zip');
    assert.ok(file.length > 1000, `the XLSX has content (${file.length} bytes)`);

    // The colleague without the grant: neither the form nor its submissions.
    const otherPage = await ctx.newPage();
    await activate(otherPage, otherLink, other.password);
    await login(otherPage, baseURL, other.email, other.password);
    response = await otherPage.goto(`${baseURL}/demo/inbox`);
    assert.equal(response.status(), 200);
    const text = await otherPage.locator('main').textContent();
    assert.match(text, /Vraag een beheerder/);
    assert.ok(!text.includes(reference) && !text.includes('sociale toelage'), 'no trace of the form or its submissions');
    await expectNoAxeViolations(otherPage, 'the inbox without grants');
    response = await otherPage.goto(submissionURL);
    assert.equal(response.status(), 404);
  } finally {
    await ctx.close();
  }
});

// The integrations a DPO and an admin set up (issue 5): a webhook refused for a destination
// outside the register (the rule named) and accepted for the registered case system, its
// secret shown once; an API key made and used against /api/v1 at once; the figures per
// form. axe on every page; no sideways scrolling on a phone.
test('integrations: webhooks, API keys and figures pages', { timeout: 180_000 }, async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce' });
  try {
    const admin = { email: 'e2e-integrations@demo.example', password: 'lindeboom raadhuis kaai' };
    const page = await ctx.newPage();
    await activate(page, invite(kluis, admin.email, 'Integratie Admin', 'nl', 'admin'), admin.password);
    await login(page, baseURL, admin.email, admin.password);
    await enrolTOTP(page, 'integrations-admin-mfa');

    // Webhooks: outside the register refused with the rule named, then the case system.
    let response = await submit(page, 'nav.staff-nav a[href="/demo/admin/users"]');
    response = await submit(page, '.sub-nav a[href="/demo/admin/webhooks"]');
    assert.equal(response.status(), 200);
    await page.fill('#webhook-url', 'https://elders.example.com/hook');
    response = await submit(page, 'form:has(#webhook-url) button[type=submit]');
    assert.equal(response.status(), 422);
    assert.match(await page.locator('.error-summary').textContent(), /REG-2/);
    await shot(page, 'webhooks-refused');
    await expectNoAxeViolations(page, 'the webhooks page with a refused destination');
    await page.fill('#webhook-url', 'https://zaken.demo.example/kluis');
    await page.check('input[name=events][value="submission.created"]');
    response = await submit(page, 'form:has(#webhook-url) button[type=submit]');
    assert.ok(response.status() < 300, `webhook created: ${response.status()}`);
    assert.match(await page.inputValue('#webhook-secret'), /^whsec_/);
    await shot(page, 'webhooks-created');
    await expectNoAxeViolations(page, 'the webhooks page with its secret');

    // API keys: made, shown once, and used at once.
    response = await page.goto(`${baseURL}/demo/admin/api-keys`);
    assert.equal(response.status(), 200);
    response = await submit(page, 'form:has(#name) button[type=submit]');
    assert.equal(response.status(), 422);
    await expectNoAxeViolations(page, 'the API keys page with errors');
    await page.fill('#name', 'Zaaksysteem');
    await page.check('input[name=scope][value="submissions:read"]');
    await page.check('input[name=form][value="vraag"]');
    response = await submit(page, 'form:has(#name) button[type=submit]');
    assert.ok(response.status() < 300, `API key created: ${response.status()}`);
    const token = await page.inputValue('#token');
    assert.match(token, /^kluis_/);
    await shot(page, 'apikeys-created');
    await expectNoAxeViolations(page, 'the API keys page with a new key');
    const api = await fetch(`${baseURL}/api/v1/demo/submissions`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(api.status, 200);
    assert.ok(Array.isArray((await api.json()).items), 'the API lists submissions');
    const refused = await fetch(`${baseURL}/api/v1/demo/submissions`, { headers: { Authorization: 'Bearer kluis_nope_nope' } });
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('content-type'), /application\/problem\+json/);

    // The controller's own audit log: the key just used is in it; a citizen search.
    response = await page.goto(`${baseURL}/demo/admin/audit`);
    assert.equal(response.status(), 200);
    assert.match(await page.locator('main table').textContent(), /De koppeling Zaaksysteem \(API-sleutel\) bekeek een lijst met[\s\S]*maakte een API-sleutel aan/);
    await shot(page, 'audit-log');
    await expectNoAxeViolations(page, 'the audit log');
    await page.fill('#q', '85.07.15-123.97');
    response = await submit(page, 'form[action$="/audit/search"] button[type=submit]');
    assert.equal(response.status(), 200);
    assert.ok(!/8507|85\.07/.test(new URL(page.url()).pathname + new URL(page.url()).search), 'the national register number is in no URL');
    await expectNoAxeViolations(page, 'the audit log searched by citizen');

    // The figures per form.
    response = await page.goto(`${baseURL}/demo/admin/stats`);
    assert.equal(response.status(), 200);
    await shot(page, 'stats');
    await expectNoAxeViolations(page, 'the figures page');
  } finally {
    await ctx.close();
  }
});
