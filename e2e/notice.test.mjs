// Maintenance notices (AUD-4) in the browser: an operator announces maintenance with
// `kluis operator notice` (a start too soon refused with exit status 2, naming --from and the
// first allowed day) → the demo's admin sees it on the supplier-access page → the operator
// cannot reach the demo before the window → the admin's bad window is refused with the field
// named, then the admin opens it now → the operator reads the demo's pages → the reads are in
// the demo's audit log under the notice → the admin ends it → the operator is out again.
// Screenshots (nl and fr, desktop and phone) of the supplier-access page in each state and of
// the audit page; axe on each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activate, enrolTOTP, expectNoAxeViolations, invite, login, shot, submit, suite } from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-notice-' });
const opts = { viewport: { width: 1280, height: 900 }, bypassCSP: true, locale: 'nl-BE', reducedMotion: 'reduce' };

// Both languages of a page, desktop and phone.
async function shotsOf(page, path, name) {
  for (const lang of ['fr', 'nl']) {
    const response = await page.goto(`${s.baseURL}${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
    assert.equal(response.status(), 200, `${path} in ${lang}`);
    assert.equal(await page.getAttribute('html', 'lang'), lang === 'nl' ? 'nl-BE' : 'fr-BE');
    await shot(page, `${name}-${lang}`);
    await expectNoAxeViolations(page, `${name} in ${lang}`);
  }
}

test('maintenance notice: announced, seen, opened now, read under it, ended', { timeout: 240_000 }, async () => {
  const { kluis, baseURL } = s;
  const adminCtx = await s.browser.newContext(opts);
  const opCtx = await s.browser.newContext(opts);
  try {
    // The operator: activated on the realm, TOTP enrolled.
    let response;
    let res = kluis.cli(['operator', 'add', '--email', 'e2e-notice-op@leverancier.example', '--name', 'Notice Operator']);
    assert.equal(res.status, 0, `kluis operator add failed: ${res.stderr}`);
    const op = await opCtx.newPage();
    const opPassword = 'lindeboom waterkant zomerregen';
    await activate(op, res.stdout.trim().split('\n').pop(), opPassword, 'operator');
    await login(op, baseURL, 'e2e-notice-op@leverancier.example', opPassword, 'operator');
    await enrolTOTP(op, 'notice-operator-mfa', 'operator');

    // The demo's admin.
    const admin = await adminCtx.newPage();
    const adminUser = { email: 'e2e-notice-admin@demo.example', password: 'beukenhaag marktplein toren' };
    await activate(admin, invite(kluis, adminUser.email, 'Notice Admin', 'nl', 'admin'), adminUser.password);
    await login(admin, baseURL, adminUser.email, adminUser.password);
    await enrolTOTP(admin, 'notice-admin-mfa');

    // Announced too soon: refused, exit 2, naming --from and the first allowed day.
    const notice = (from, until) => kluis.cli(['operator', 'notice', '--tenant', 'demo', '--operator', 'e2e-notice-op@leverancier.example',
      '--from', from, '--until', until, '--scope', 'Upgrade van de databank', '--reason', 'Wijziging CHG-2207']);
    const today = new Date().toISOString().slice(0, 10);
    res = notice(`${today}T23:00`, `${today}T23:30`);
    assert.equal(res.status, 2, `a notice too soon: exit ${res.status}\n${res.stderr}`);
    const m = res.stderr.match(/--from: The start must be announced at least 5 working days ahead: on \w{3} (\d\d)\.(\d\d)\.(\d{4}) at the earliest/);
    assert.ok(m, `no earliest day in: ${res.stderr}`);
    const day = `${m[3]}-${m[2]}-${m[1]}`;
    res = notice(`${day}T09:00`, `${day}T17:00`);
    assert.equal(res.status, 0, `kluis operator notice failed: ${res.stderr}`);

    // The operator's own page in the realm lists it; a start too soon there is refused too.
    response = await op.goto(`${baseURL}/operator/maintenance`);
    assert.equal(response.status(), 200);
    assert.match(await op.locator('table').textContent(), /Gemeente Demo[\s\S]*gepland/);
    await op.selectOption('#tenant', 'demo');
    await op.fill('#from', new Date().toLocaleDateString('nl-BE', { day: '2-digit', month: '2-digit', year: 'numeric' }).replaceAll('/', '.') + ' 23:00');
    await op.fill('#until', `${m[1]}.${m[2]}.${m[3]} 10:00`);
    await op.fill('#scope', 'Upgrade');
    await op.fill('#reason', 'CHG-2208');
    response = await submit(op, 'form:has(#scope) button[type=submit]');
    assert.equal(response.status(), 422);
    assert.match(await op.locator('.error-summary').textContent(), new RegExp(`ten vroegste op ${m[1]}\\.${m[2]}\\.${m[3]}`));
    await shot(op, 'notice-operator-error-nl');
    await expectNoAxeViolations(op, "the operator's announcement with an error");
    await shotsOf(op, '/operator/maintenance', 'notice-operator');

    // The admin sees it, planned: on the home page and the supplier-access page.
    response = await admin.goto(`${baseURL}/demo/signed-in`);
    assert.match(await admin.locator('#todo-supplier + p + p').textContent(), /Gepland onderhoud door de leverancier: 1 aankondiging\(en\)/);
    await shotsOf(admin, '/demo/signed-in', 'notice-home');
    response = await admin.goto(`${baseURL}/demo/admin/operators`);
    assert.equal(response.status(), 200);
    const notices = () => admin.locator('section.maintenance-notice').first().textContent();
    assert.match(await notices(), /Upgrade van de databank[\s\S]*Wijziging CHG-2207/);
    assert.match(await notices(), /gepland: nog geen toegang/);
    await shotsOf(admin, '/demo/admin/operators', 'notice-planned');

    // Before the window the operator is a stranger.
    await op.goto(`${baseURL}/demo/admin/users`);
    assert.match(op.url(), /\/demo\/login\?next=/, 'before the window the operator has no access');

    // A later end than announced: refused, the field named in the summary.
    await admin.click('section.maintenance-notice summary');
    const until = admin.locator('section.maintenance-notice input[name=until]');
    await until.fill(`${m[1]}.${m[2]}.${m[3]} 18:00`);
    response = await submit(admin, 'section.maintenance-notice form:has(input[name=until]) button[type=submit]');
    assert.equal(response.status(), 422);
    assert.match(await admin.locator('.error-summary').textContent(), /Het einde kan niet later zijn dan aangekondigd/);
    assert.equal(await until.getAttribute('aria-invalid'), 'true');
    await shot(admin, 'notice-window-error-nl');
    await expectNoAxeViolations(admin, 'the window form with an error');

    // Open now: the controller's consent to less notice.
    response = await submit(admin, 'section.maintenance-notice form:has(input[name=open]) button');
    assert.equal(response.status(), 200);
    assert.match(await notices(), /bezig: de medewerker heeft nu toegang/);
    await shotsOf(admin, '/demo/admin/operators', 'notice-active');

    // The operator reaches the demo's pages now.
    await op.goto(`${baseURL}/operator/signed-in`);
    response = await submit(op, 'main a:text("Gemeente Demo")');
    assert.equal(response.status(), 200, 'during maintenance the operator reads the users page');
    assert.match(await op.locator('main').textContent(), /e2e-notice-admin@demo\.example/);

    // The reads are in the demo's log under the notice.
    response = await admin.goto(`${baseURL}/demo/admin/audit`);
    assert.equal(response.status(), 200);
    const log = await admin.locator('main').textContent();
    assert.match(log, /onder de onderhoudsmelding van \d\d\.\d\d\.\d{4} \d\d:\d\d tot \d\d\.\d\d\.\d{4} 17:00, opende een pagina tijdens aangekondigd onderhoud/);
    await shotsOf(admin, '/demo/admin/audit', 'notice-audit');

    // The admin ends it: the operator is out at once.
    await admin.goto(`${baseURL}/demo/admin/operators`);
    response = await submit(admin, 'section.maintenance-notice form[action$="/object"] button');
    assert.equal(response.status(), 200);
    assert.match(await admin.locator('[role=status]').textContent(), /U heeft bezwaar gemaakt/);
    assert.match(await notices(), /geannuleerd na bezwaar op \d\d\.\d\d\.\d{4} \d\d:\d\d/);
    await shotsOf(admin, '/demo/admin/operators', 'notice-ended');
    await op.goto(`${baseURL}/demo/admin/users`);
    assert.match(op.url(), /\/demo\/login\?next=/, 'an ended notice ends the access at once');
    await op.goto(`${baseURL}/operator/maintenance`);
    assert.match(await op.locator('table').textContent(), /Gemeente Demo[\s\S]*geannuleerd na bezwaar op \d\d\.\d\d\.\d{4}/);
  } finally {
    await adminCtx.close();
    await opCtx.close();
  }
});
