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
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = require('axe-core').source;
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const artifactsDir = join(repoRoot, 'e2e', 'artifacts');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

function findChromium() {
  const candidates = [process.env.KLUIS_E2E_CHROMIUM, '/usr/bin/chromium'];
  for (const dir of (process.env.PATH || '').split(delimiter)) if (dir) candidates.push(join(dir, 'chromium'));
  for (const c of candidates) {
    if (!c) continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {}
  }
  throw new Error('Chromium not found: apt-get install chromium (or set KLUIS_E2E_CHROMIUM)');
}

// The same watchdog as a11y.test.mjs: kluis gets SIGTERM when our stdin closes, however we die.
const WATCHDOG = `
trap '' INT HUP
exec 3<&0
"$1" serve --demo </dev/null 3<&- &
pid=$!
{ read -r _ <&3 || true; kill -TERM "$pid" 2>/dev/null; } &
exec 3<&-
wait "$pid"
status=$?
rm -rf "$2"
exit "$status"
`;

let workDir;
let kluisBin;
let kluisEnv;
let server;
let serverLog = [];
let baseURL;
let browser;

const tail = (lines, max = 40) => lines.slice(-max).join('\n');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startKluis() {
  workDir = mkdtempSync(join(tmpdir(), 'kluis-e2e-passkey-'));
  kluisBin = process.env.KLUIS_E2E_BIN;
  if (!kluisBin) {
    kluisBin = join(workDir, 'kluis');
    const build = spawnSync('go', ['build', '-o', kluisBin, './cmd/kluis'], {
      cwd: repoRoot,
      env: { ...process.env, CGO_ENABLED: '0' },
      encoding: 'utf8',
    });
    if (build.error || build.status !== 0) throw new Error(`go build failed: ${build.error ?? ''}\n${build.stdout}${build.stderr}`);
  }
  const port = await freePort();
  baseURL = `http://localhost:${port}`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KLUIS_')));
  kluisEnv = {
    ...env,
    KLUIS_DATA_DIR: join(workDir, 'data'),
    KLUIS_KEYS_DIR: join(workDir, 'keys'),
    KLUIS_MASTER_KEY_FILE: join(workDir, 'master.key'),
    KLUIS_LISTEN: `127.0.0.1:${port}`,
    KLUIS_BASE_URL: baseURL,
  };
  server = spawn('bash', ['-c', WATCHDOG, 'kluis-e2e-watchdog', kluisBin, workDir], {
    cwd: workDir,
    env: kluisEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  createInterface({ input: server.stderr }).on('line', (l) => {
    serverLog.push(l);
    if (serverLog.length > 500) serverLog = serverLog.slice(-200);
  });
  const stdout = createInterface({ input: server.stdout });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kluis did not start within 60s\n${tail(serverLog)}`)), 60_000);
    server.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`kluis serve exited early (code ${code}, signal ${signal})\n${tail(serverLog)}`));
    });
    stdout.on('line', (l) => {
      serverLog.push(l);
      if (/^Kluis \S+ serves /.test(l)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

async function stopKluis() {
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server.once('exit', (code) => resolve(code)));
    server.stdin.end();
    let timer;
    const code = await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), 30_000)))]);
    clearTimeout(timer);
    if (code !== 0) throw new Error(`kluis serve stopped with ${code}\n${tail(serverLog, 20)}`);
  }
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}

before(async () => {
  mkdirSync(artifactsDir, { recursive: true });
  await startKluis();
  browser = await chromium.launch({
    executablePath: findChromium(),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
  });
});

after(async () => {
  await browser?.close();
  await stopKluis();
});

function formatViolations(violations) {
  return violations
    .map((v) => `  - ${v.id} [${v.impact}] ${v.help}\n${v.nodes.map((n) => `      ${JSON.stringify(n.target)}`).join('\n')}`)
    .join('\n');
}

// axe over CDP (page.evaluate is not subject to the page's CSP, which stays on).
async function expectNoAxeViolations(page, what) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    AXE_TAGS,
  );
  assert.equal(results.violations.length, 0, `axe found violations on ${what}:\n${formatViolations(results.violations)}`);
}

function invite(email, name, role) {
  const res = spawnSync(kluisBin, ['user', 'invite', '--tenant', 'demo', '--email', email, '--name', name, '--role', role, '--lang', 'nl'], {
    cwd: workDir,
    env: kluisEnv,
    encoding: 'utf8',
  });
  assert.equal(res.status, 0, `kluis user invite failed: ${res.stderr}`);
  const link = res.stdout.trim().split('\n').pop();
  assert.match(link, /^http:\/\/localhost:\d+\/demo\/activate\/[A-Za-z0-9_-]{43}$/, `no activation link in: ${res.stdout}`);
  return link;
}

async function passwordLogin(page, email, password) {
  await page.goto(`${baseURL}/demo/login`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('form:has(#password) button[type=submit]')]);
}

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
    let response = await page.goto(invite(admin.email, 'E2E Passkey', 'admin'));
    assert.equal(response.status(), 200);
    await page.fill('#password', admin.password);
    await page.fill('#password_confirm', admin.password);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    assert.match(page.url(), /\/demo\/activated$/);

    // An admin must enrol a second factor: the page offers a passkey next to the app.
    await passwordLogin(page, admin.email, admin.password);
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
    await passwordLogin(page, admin.email, admin.password);
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
