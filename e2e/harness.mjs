// Shared harness of the browser tests in e2e/: a throwaway `kluis serve --demo`, Debian's
// Chromium through playwright-core, and axe-core. It registers no tests (suite() registers a
// file's hooks when that file calls it): `node --test e2e/` runs only the *.test.mjs files, and
// this file's name matches none of node's test patterns.
//
// Chromium: KLUIS_E2E_CHROMIUM, else /usr/bin/chromium, else `chromium` on PATH.
// kluis: KLUIS_E2E_BIN, else built from ./cmd/kluis into the server's temp dir.
// Playwright never downloads a browser here: only playwright-core is installed.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { accessSync, appendFileSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { deflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { after, before } from 'node:test';

const require = createRequire(import.meta.url);
const axeSource = require('axe-core').source;

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const artifactsDir = join(repoRoot, 'e2e', 'artifacts');

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function findChromium() {
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

// Headless Chromium with the flags every test file uses, plus extraArgs.
export function launchChromium({ extraArgs = [] } = {}) {
  return chromium.launch({
    executablePath: findChromium(),
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
    timeout: 60_000,
  });
}

// Creates e2e/artifacts/ for the screenshots.
export function makeArtifactsDir() {
  mkdirSync(artifactsDir, { recursive: true });
}

// Keeps the last part of a stream (the server's log) for error messages.
export function tail(lines, max = 60) {
  return lines.slice(-max).join('\n');
}

// A TCP port on 127.0.0.1 that was free a moment ago.
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// kluis runs under this small bash watchdog. It stops kluis with SIGTERM (a graceful
// shutdown) as soon as its stdin closes: when stop() closes it, and also when the test
// process dies in any way at all (Ctrl-C, a timeout, a closed stdout pipe, SIGKILL), so
// no server is ever left running. It exits with kluis's status, then removes $2.
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

// A `kluis serve --demo` with data, keys and master key in a fresh temp dir.
//   tmpPrefix: the temp dir's name prefix.
//   host:      null -> KLUIS_LISTEN=127.0.0.1:0 and baseURL is what kluis says it serves;
//              a host name (e.g. 'localhost', which WebAuthn needs as relying party ID) ->
//              a free port, KLUIS_BASE_URL=http://<host>:<port> and baseURL is that.
//   env:       more KLUIS_* settings (e.g. SMTP).
// After start(): bin, env (to run the CLI against the same data), workDir, baseURL.
export class KluisServer {
  constructor({ tmpPrefix = 'kluis-e2e-', host = null, env = {} } = {}) {
    this.tmpPrefix = tmpPrefix;
    this.host = host;
    this.extraEnv = env;
    this.log = [];
  }

  logTail(max) {
    return tail(this.log, max);
  }

  async start() {
    this.workDir = mkdtempSync(join(tmpdir(), this.tmpPrefix));
    let bin = process.env.KLUIS_E2E_BIN;
    if (!bin) {
      bin = join(this.workDir, 'kluis');
      const build = spawnSync('go', ['build', '-o', bin, './cmd/kluis'], {
        cwd: repoRoot,
        env: { ...process.env, CGO_ENABLED: '0' },
        encoding: 'utf8',
      });
      if (build.error || build.status !== 0) {
        throw new Error(`go build ./cmd/kluis failed: ${build.error ?? ''}\n${build.stdout}${build.stderr}`);
      }
    }
    this.bin = bin;
    let listen = '127.0.0.1:0';
    let fixedBaseURL = null;
    if (this.host) {
      const port = await freePort();
      listen = `127.0.0.1:${port}`;
      fixedBaseURL = `http://${this.host}:${port}`;
    }
    // Only our own KLUIS_* settings: a developer's KLUIS_MASTER_KEY or KLUIS_DATABASE_URL
    // must not leak into the throwaway server.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KLUIS_')));
    this.env = {
      ...env,
      KLUIS_DATA_DIR: join(this.workDir, 'data'),
      KLUIS_KEYS_DIR: join(this.workDir, 'keys'),
      KLUIS_MASTER_KEY_FILE: join(this.workDir, 'master.key'),
      KLUIS_LISTEN: listen,
      ...(fixedBaseURL ? { KLUIS_BASE_URL: fixedBaseURL } : {}),
      ...this.extraEnv,
    };
    const server = spawn('bash', ['-c', WATCHDOG, 'kluis-e2e-watchdog', bin, this.workDir], {
      cwd: this.workDir,
      env: this.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.server = server;
    // Always drain both pipes so the server never blocks on a full pipe.
    createInterface({ input: server.stderr }).on('line', (l) => {
      this.log.push(l);
      if (this.log.length > 500) this.log = this.log.slice(-200);
    });
    const stdout = createInterface({ input: server.stdout });
    const served = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`kluis did not say "serves http://..." within 60s\n${this.logTail()}`));
      }, 60_000);
      server.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      server.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`kluis serve exited early (code ${code}, signal ${signal})\n${this.logTail()}`));
      });
      stdout.on('line', (l) => {
        this.log.push(l);
        const m = /^Kluis \S+ serves (https?:\/\/\S+?)\/? /.exec(l);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    // kluis names its listen address; KLUIS_BASE_URL, when set, is the name to use.
    this.baseURL = fixedBaseURL ?? served;
    // `serve --demo` gives its demo operator a grant of the demo tenant and names both in
    // demo-operator.env (docs/operations.md): the CLI works on the demo's data under that
    // grant, like any operator under a controller's grant (AUD-4).
    this.demoGrant = Object.fromEntries(
      readFileSync(join(this.env.KLUIS_DATA_DIR, 'demo-operator.env'), 'utf8')
        .trim().split('\n').map((l) => l.split('=', 2)),
    );
  }

  // Runs the kluis CLI as the demo operator, under its grant of the demo tenant: the grant
  // goes in after the command and subcommand (args[0], args[1]).
  cliGranted(args) {
    const res = spawnSync(this.bin, [args[0], args[1], '--grant', this.demoGrant.KLUIS_GRANT, ...args.slice(2)], {
      cwd: this.workDir,
      env: { ...this.env, KLUIS_BASE_URL: this.baseURL, KLUIS_OPERATOR: this.demoGrant.KLUIS_OPERATOR },
      encoding: 'utf8',
    });
    return res;
  }

  async stop() {
    const server = this.server;
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once('exit', (code, signal) => resolve({ code, signal })));
      server.stdin.end(); // the watchdog sends kluis SIGTERM and waits for it
      let timer;
      const timeout = new Promise((resolve) => {
        timer = setTimeout(() => resolve(null), 30_000);
      });
      const result = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (result === null) throw new Error(`kluis serve did not stop within 30s of SIGTERM\n${this.logTail(20)}`);
      if (result.code !== 0) {
        throw new Error(`kluis serve stopped with code ${result.code}, signal ${result.signal}\n${this.logTail(20)}`);
      }
    } else {
      server?.stdin.end();
    }
    if (this.workDir) rmSync(this.workDir, { recursive: true, force: true });
  }

  // Runs the kluis CLI against the server's data, with KLUIS_BASE_URL set to baseURL.
  cli(args) {
    return spawnSync(this.bin, args, {
      cwd: this.workDir,
      env: { ...this.env, KLUIS_BASE_URL: this.baseURL },
      encoding: 'utf8',
    });
  }
}

// `kluis user invite` against the running demo, under the demo operator's grant: the
// activation link it prints.
export function invite(kluis, email, name, lang, role = 'user') {
  const res = kluis.cliGranted(['user', 'invite', '--tenant', 'demo', '--email', email, '--name', name, '--role', role, '--lang', lang]);
  assert.equal(res.status, 0, `kluis user invite failed: ${res.stderr}`);
  const link = res.stdout.trim().split('\n').pop();
  assert.match(link, /\/demo\/activate\/[A-Za-z0-9_-]{43}$/, `no activation link in: ${res.stdout}`);
  return link;
}

// Signs in at /<slug>/login; returns the response of the form's POST (after redirects).
export async function login(page, baseURL, email, password, slug = 'demo') {
  await page.goto(`${baseURL}/${slug}/login`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  const [response] = await Promise.all([page.waitForNavigation(), page.click('form:has(#password) button[type=submit]')]);
  return response;
}

export function formatViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .map((n) => `      ${JSON.stringify(n.target)}  ${n.failureSummary?.replace(/\s*\n\s*/g, ' | ') ?? ''}`)
        .join('\n');
      return `  - ${v.id} [${v.impact}] ${v.help}\n    ${v.helpUrl}\n${nodes}`;
    })
    .join('\n');
}

// axe-core (tags AXE_TAGS) on the page as it is now; returns its results.
//   keepCSP false: axe goes in as a <script> tag, which needs a context with bypassCSP
//                  (the CSP allows only script-src 'self').
//   keepCSP true:  axe is evaluated over CDP, which the page's CSP does not govern, so
//                  the page keeps its CSP and runs its own scripts as in production.
export async function runAxe(page, { keepCSP = false } = {}) {
  if (keepCSP) await page.evaluate(axeSource);
  else await page.addScriptTag({ content: axeSource });
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    AXE_TAGS,
  );
  logAudit(page, results);
  return results;
}

// The browser suite's audit log: one JSON line per page view axe checked (time, page with its
// language and viewport width, number of violations, axe's version). A full run starts from an
// empty log (scripts/test.sh, npm run test:e2e); `kluis accessibility record --from
// e2e/artifacts/axe-audit.jsonl` records its summary for the tenants' accessibility statements.
// Appends are single small writes, so test files running in parallel do not interleave lines.
export const auditLogPath = join(artifactsDir, 'axe-audit.jsonl');

function logAudit(page, results) {
  const u = new URL(page.url());
  const lang = u.searchParams.get('lang');
  const width = page.viewportSize()?.width ?? 0;
  mkdirSync(artifactsDir, { recursive: true });
  appendFileSync(auditLogPath, JSON.stringify({
    at: new Date().toISOString(),
    page: `${u.pathname}${lang ? ` ${lang}` : ''} ${width}px`, // the path only: no query string, no token
    violations: results.violations.length,
    tool: `axe-core ${results.testEngine?.version ?? 'unknown'}`,
  }) + '\n');
}

// axe on the page as it is now; fails the test with the violations listed.
export async function expectNoAxeViolations(page, what, { keepCSP = false } = {}) {
  const results = await runAxe(page, { keepCSP });
  assert.equal(results.violations.length, 0, `axe found violations on ${what}:\n${formatViolations(results.violations)}`);
}

// A real clamd for upload tests, on a Unix socket in a temp dir, with a one-line signature
// database (built with sigtool) that detects the EICAR test file: no network, no official
// databases. Returns { socket, stop() }, or null when clamd or sigtool is not installed
// (throws instead when KLUIS_TEST_REQUIRE_CLAMD=1, as in CI).
export async function startClamd() {
  const which = (cmd) => {
    for (const c of [`/usr/sbin/${cmd}`, `/usr/bin/${cmd}`]) {
      try {
        accessSync(c, constants.X_OK);
        return c;
      } catch {}
    }
    return null;
  };
  const clamd = which('clamd');
  const sigtool = which('sigtool');
  if (!clamd || !sigtool) {
    if (process.env.KLUIS_TEST_REQUIRE_CLAMD === '1') throw new Error('clamd/sigtool missing: apt-get install clamav-daemon');
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'kluis-clamd-'));
  mkdirSync(join(dir, 'db'));
  const hex = spawnSync(sigtool, ['--hex-dump'], { input: 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE', encoding: 'utf8' }).stdout.trim();
  writeFileSync(join(dir, 'db', 'kluis-test.ndb'), `Kluis.Test.EICAR:0:*:${hex}\n`);
  const socket = join(dir, 'clamd.sock');
  let conf = `LocalSocket ${socket}\nDatabaseDirectory ${join(dir, 'db')}\nForeground yes\nLogFile ${join(dir, 'clamd.log')}\n`;
  if (process.getuid && process.getuid() === 0) conf += 'User root\n';
  writeFileSync(join(dir, 'clamd.conf'), conf);
  const proc = spawn(clamd, ['-c', join(dir, 'clamd.conf')], { stdio: 'ignore' });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      accessSync(socket);
      break;
    } catch {}
    if (proc.exitCode !== null || Date.now() > deadline) {
      throw new Error(`clamd did not start: ${proc.exitCode}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    socket,
    stop() {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// RFC 4648 base32 (the secret shown on the enrolment page, spaces removed).
export function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of s.replace(/[\s=]/g, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

// RFC 6238 TOTP (HMAC-SHA1, 30 s, 6 digits) for the step `offset` steps after now.
export function totp(secret, offset = 0) {
  const counter = BigInt(Math.floor(Date.now() / 1000 / 30) + offset);
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(counter);
  const h = createHmac('sha1', base32Decode(secret)).update(msg).digest();
  const o = h[h.length - 1] & 0x0f;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

// Activates the account behind link with password, on page.
export async function activate(page, link, password, slug = 'demo') {
  let response = await page.goto(link);
  assert.equal(response.status(), 200, `activation page ${link}`);
  await page.fill('#password', password);
  await page.fill('#password_confirm', password);
  [response] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.equal(response.status(), 200);
  assert.ok(page.url().endsWith(`/${slug}/activated`), `activated page: ${page.url()}`);
}

// On the enrolment page: reads the secret, confirms with the current code, sees the
// recovery codes and continues. Returns the secret.
export async function enrolTOTP(page, shot, slug = 'demo') {
  assert.ok(page.url().includes(`/${slug}/account/mfa`), `enrolment page: ${page.url()}`);
  const secret = (await page.locator('#secret').textContent()).replace(/\s+/g, '');
  assert.match(secret, /^[A-Z2-7]{16,}$/, `secret on the page: ${secret}`);
  await page.screenshot({ path: join(artifactsDir, `${shot}.png`), fullPage: true });
  await expectNoAxeViolations(page, 'the MFA enrolment page');
  await page.fill('#code', totp(secret));
  let response;
  [response] = await Promise.all([page.waitForNavigation(), page.click('form:has(#code) button[type=submit]')]);
  assert.equal(response.status(), 200, 'the first code confirms the enrolment');
  assert.equal(await page.locator('.recovery-codes li').count() > 0, true, 'recovery codes are shown');
  await page.screenshot({ path: join(artifactsDir, `${shot}-codes.png`), fullPage: true });
  await expectNoAxeViolations(page, 'the recovery codes page');
  [response] = await Promise.all([page.waitForNavigation(), page.click('main a.button')]);
  assert.ok(page.url().endsWith(`/${slug}/signed-in`), `after enrolment: ${page.url()}`);
  return secret;
}

// Screenshots of a page on a desktop and on a phone (390 px), failing when the
// phone has to scroll sideways (WCAG 1.4.10 reflow).
export async function shot(page, name) {
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  await page.screenshot({ path: join(artifactsDir, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  assert.ok(overflow.scroll <= overflow.client, `${name} scrolls sideways on a phone: ${overflow.scroll} > ${overflow.client}`);
}

// Clicks selector and returns the response of the navigation it starts.
export async function submit(page, selector) {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return response;
}

// suite registers the hooks of a test file that needs a throwaway `kluis serve --demo` (started
// with serverOptions, see KluisServer) and one headless Chromium (chromiumOptions, see
// launchChromium): started before its tests, stopped after them. The returned object's kluis,
// baseURL and browser are set once the hook has run.
export function suite(serverOptions = {}, chromiumOptions = {}) {
  const s = { kluis: undefined, baseURL: undefined, browser: undefined };
  before(async () => {
    makeArtifactsDir();
    s.kluis = new KluisServer(serverOptions);
    await s.kluis.start();
    s.baseURL = s.kluis.baseURL;
    s.browser = await launchChromium(chromiumOptions);
  });
  after(async () => {
    await s.browser?.close();
    await s.kluis?.stop();
  });
  return s;
}

// A minimal SMTP receiver on loopback, enough of RFC 5321 for Kluis's client without TLS:
// received holds each message ({ to, data }); waitForMail(address, n) waits for the n-th
// mail to address (the mail job runs every 30 s) and returns its data.
export async function startSMTPCapture() {
  const received = [];
  const smtp = createServer((sock) => {
    let buf = '';
    let inData = false;
    let msg = { to: [], data: '' };
    sock.write('220 capture ESMTP\r\n');
    sock.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            received.push(msg);
            msg = { to: [], data: '' };
            sock.write('250 OK\r\n');
          } else {
            msg.data += (line.startsWith('..') ? line.slice(1) : line) + '\n';
          }
          continue;
        }
        const cmd = line.slice(0, 4).toUpperCase();
        if (cmd === 'EHLO') sock.write('250-capture\r\n250 8BITMIME\r\n');
        else if (cmd === 'HELO') sock.write('250 capture\r\n');
        else if (cmd === 'RCPT') { msg.to.push(line.replace(/^.*<(.*)>.*$/, '$1').toLowerCase()); sock.write('250 OK\r\n'); }
        else if (cmd === 'DATA') { inData = true; sock.write('354 go on\r\n'); }
        else if (cmd === 'QUIT') { sock.write('221 bye\r\n'); sock.end(); }
        else sock.write('250 OK\r\n'); // MAIL, RSET, NOOP
      }
    });
    sock.on('error', () => {});
  });
  await new Promise((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  async function waitForMail(address, n) {
    for (let i = 0; i < 150; i++) {
      const mine = received.filter((m) => m.to.includes(address));
      if (mine.length >= n) return mine[n - 1].data;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`no mail ${n} to ${address}`);
  }
  return { received, port: smtp.address().port, close: () => smtp.close(), waitForMail };
}

// unQP undoes quoted-printable soft line breaks and the escapes a link or code may carry.
export function unQP(data) {
  return data.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

// The one-time code in a mail's data: six digits on a line of their own (the body may be
// quoted-printable).
export function codeOf(data) {
  const m = unQP(data).match(/^\s*(\d{6})\s*$/m);
  assert.ok(m, `no code in ${data}`);
  return m[1];
}

// The desktop browser context of the back-office tests: Dutch, no motion, downloads accepted.
export const deskContext = { viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce', acceptDownloads: true };

// inBothLanguages opens path on page in French, then Dutch: 200, axe clean, and a screenshot
// each (name-fr, name-nl; shot also fails on sideways scroll).
export async function inBothLanguages(page, baseURL, path, name) {
  for (const lang of ['fr', 'nl']) {
    const response = await page.goto(`${baseURL}${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
    assert.equal(response.status(), 200, `${path} in ${lang}`);
    await expectNoAxeViolations(page, `${name} in ${lang}`);
    await shot(page, `${name}-${lang}`);
  }
}

// operatorAndAdmin makes a supplier operator (signed in on the operators' realm) and an admin of
// the demo tenant, each in a browser context of its own with TOTP enrolled; name tells the
// addresses and screenshots apart. The caller closes opCtx and adminCtx.
export async function operatorAndAdmin(kluis, browser, name) {
  const baseURL = kluis.baseURL;
  const opCtx = await browser.newContext(deskContext);
  const adminCtx = await browser.newContext(deskContext);
  const title = name.charAt(0).toUpperCase() + name.slice(1);
  const opEmail = `e2e-${name}-op@leverancier.example`;
  const res = kluis.cli(['operator', 'add', '--email', opEmail, '--name', `${title} Operator`]);
  assert.equal(res.status, 0, `kluis operator add failed: ${res.stderr}`);
  const op = await opCtx.newPage();
  await activate(op, res.stdout.trim().split('\n').pop(), 'lindeboom waterkant najaarsstorm', 'operator');
  await login(op, baseURL, opEmail, 'lindeboom waterkant najaarsstorm', 'operator');
  await enrolTOTP(op, `${name}-operator-mfa`, 'operator');
  const admin = await adminCtx.newPage();
  const adminEmail = `e2e-${name}-admin@demo.example`;
  await activate(admin, invite(kluis, adminEmail, `${title} Admin`, 'nl', 'admin'), 'kastanje raadhuis lenteregen');
  await login(admin, baseURL, adminEmail, 'kastanje raadhuis lenteregen');
  await enrolTOTP(admin, `${name}-admin-mfa`);
  return { opCtx, adminCtx, op, admin, adminEmail };
}

// png encodes a w×h RGB image in two colours (a green field under a blue sky), for upload tests.
export function png(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    const [r, g, b] = y < h / 2 ? [70, 130, 200] : [60, 150, 70];
    for (let x = 0; x < w; x++) raw.set([r, g, b], y * (w * 3 + 1) + 1 + x * 3);
  }
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
