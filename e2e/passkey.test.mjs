// Passkeys (WebAuthn, contract USR-2) in Debian's Chromium with its virtual authenticator.
//
//   npm ci && node --test e2e/passkey.test.mjs      (`make test` runs it with the rest of e2e/)
//
// Builds ./cmd/kluis (or uses KLUIS_E2E_BIN) and starts `kluis serve --demo` on a free port
// with KLUIS_BASE_URL=http://localhost:<port>: WebAuthn needs a host name as relying party ID
// (not an IP address), and browsers treat http://localhost as a secure context. Through CDP
// (WebAuthn.addVirtualAuthenticator: CTAP2, internal transport, resident keys, user
// verification) an admin enrols a passkey as their second factor, signs out, signs in with the
// passkey alone, then with password + passkey as second step. The page's CSP stays on
// (script-src 'self'), so static/passkey.js runs as in production; axe-core (evaluated over CDP,
// which the CSP does not govern) finds 0 WCAG 2.1 AA violations on every page changed.
// Server, Chromium and axe come from harness.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  KluisServer,
  artifactsDir,
  expectNoAxeViolations as expectNoAxeViolationsIn,
  invite,
  launchChromium,
  login as passwordLogin,
  makeArtifactsDir,
} from './harness.mjs';

let kluis;
let baseURL;
let browser;

before(async () => {
  makeArtifactsDir();
  // WebAuthn wants a host name as relying party ID: KLUIS_BASE_URL=http://localhost:<port>.
  kluis = new KluisServer({ tmpPrefix: 'kluis-e2e-passkey-', host: 'localhost' });
  await kluis.start();
  baseURL = kluis.baseURL;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await kluis?.stop();
});

// axe over CDP (page.evaluate is not subject to the page's CSP, which stays on).
const expectNoAxeViolations = (page, what) => expectNoAxeViolationsIn(page, what, { keepCSP: true });

async function signOut(page) {
  await page.goto(`${baseURL}/demo/signed-in`);
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/logout"] button')]);
  assert.match(page.url(), /\/demo\/login$/);
}

test('passkey: an admin enrols a passkey, signs in with it alone, and as second step', { timeout: 180_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'nl-BE', reducedMotion: 'reduce' });
  try {
    const page = await context.newPage();
    const cspErrors = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/.test(m.text())) cspErrors.push(m.text());
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });

    const admin = { email: 'e2e-passkey@demo.example', password: 'beukenhaag regenton zonnewijzer' };
    const link = invite(kluis, admin.email, 'E2E Passkey', 'nl', 'admin');
    assert.match(link, /^http:\/\/localhost:\d+\/demo\/activate\/[A-Za-z0-9_-]{43}$/, `not a localhost activation link: ${link}`);
    let response = await page.goto(link);
    assert.equal(response.status(), 200);
    await page.fill('#password', admin.password);
    await page.fill('#password_confirm', admin.password);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    assert.match(page.url(), /\/demo\/activated$/);

    // An admin must enrol a second factor: the page offers a passkey next to the app.
    await passwordLogin(page, baseURL, admin.email, admin.password);
    assert.match(page.url(), /\/demo\/account\/mfa/);
    const add = page.locator('button[data-passkey-action="register"]');
    await add.waitFor({ state: 'visible' });
    await expectNoAxeViolations(page, 'the account MFA page with passkeys');

    // An empty name: the precise message, tied to the field.
    await add.click();
    await page.locator('#passkey-error-register').waitFor({ state: 'visible' });
    assert.match(await page.locator('#passkey-error-register').textContent(), /Geef de passkey een naam/);
    assert.equal(await page.getAttribute('#passkey_name', 'aria-invalid'), 'true');
    await expectNoAxeViolations(page, 'the account MFA page with a passkey name error');

    await page.fill('#passkey_name', 'Laptop werk');
    await Promise.all([page.waitForURL(/passkey=added/), add.click()]);
    assert.match(await page.locator('main').textContent(), /Uw passkey is toegevoegd\./);
    assert.match(await page.locator('.passkey-list').textContent(), /Laptop werk/);
    await page.screenshot({ path: join(artifactsDir, 'passkey-added.png'), fullPage: true });
    await expectNoAxeViolations(page, 'the account MFA page after adding a passkey');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1, 'the virtual authenticator holds the passkey');
    assert.equal(credentials[0].isResidentCredential, true, 'the passkey is discoverable');

    // The passkey passed the admin's MFA requirement.
    response = await page.goto(`${baseURL}/demo/admin/users`);
    assert.equal(response.status(), 200);
    await signOut(page);

    // Passwordless.
    const login = page.locator('button[data-passkey-action="login"]');
    await login.waitFor({ state: 'visible' });
    await expectNoAxeViolations(page, 'the login page with the passkey button');
    await page.screenshot({ path: join(artifactsDir, 'passkey-login.png'), fullPage: true });
    await Promise.all([page.waitForURL(/\/demo\/signed-in$/), login.click()]);
    assert.match(await page.locator('main').textContent(), /E2E Passkey/);
    response = await page.goto(`${baseURL}/demo/admin/users`);
    assert.equal(response.status(), 200, 'a passkey login has passed the second factor');
    await signOut(page);

    // Password, then the passkey as second step.
    await passwordLogin(page, baseURL, admin.email, admin.password);
    assert.match(page.url(), /\/demo\/login\/mfa/);
    const step = page.locator('button[data-passkey-action="mfa"]');
    await step.waitFor({ state: 'visible' });
    await expectNoAxeViolations(page, 'the second login step with a passkey');
    await page.screenshot({ path: join(artifactsDir, 'passkey-step.png'), fullPage: true });
    await Promise.all([page.waitForURL(/\/demo\/signed-in$/), step.click()]);

    assert.deepEqual(cspErrors, [], 'no CSP violations');
  } finally {
    await context.close();
  }
});
