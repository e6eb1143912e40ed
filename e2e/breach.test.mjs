// The breach register (BRE-1…BRE-5) in the browser: a supplier operator, signed in on the
// operators' realm with TOTP, opens a breach for the demo with only a description (the
// discovery time is filled in) → the demo's admin gets the mail with the link → sees the
// breach with its clocks in words → completes the annex-2 form (a class letter that is not
// on the list cannot be ticked, so the refused case is an end before its start and a count
// "at least 10, at most 3", each named in the error summary) → records the GBA notification
// → exports the PDF. axe on every page, nl and fr; screenshots desktop and phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  expectNoAxeViolations, inBothLanguages, KluisServer, launchChromium, makeArtifactsDir, operatorAndAdmin, shot, startSMTPCapture, submit, unQP,
} from './harness.mjs';

let kluis;
let browser;
let smtp;

before(async () => {
  makeArtifactsDir();
  smtp = await startSMTPCapture();
  kluis = new KluisServer({
    tmpPrefix: 'kluis-e2e-breach-',
    env: {
      KLUIS_SMTP_HOST: '127.0.0.1',
      KLUIS_SMTP_PORT: String(smtp.port),
      KLUIS_SMTP_TLS: 'none',
      KLUIS_SMTP_FROM: 'Kluis <noreply@demo.example>',
      KLUIS_SECURITY_OFFICER: 'security@leverancier.example',
    },
  });
  await kluis.start();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await kluis?.stop();
  if (smtp) smtp.close();
});


const bothLanguages = (page, path, name) => inBothLanguages(page, kluis.baseURL, path, name);

// The newest mail to `email` with `subject` in it, waiting for the mail job (every 30 s).
async function mailTo(email, subject) {
  const deadline = Date.now() + 75_000;
  while (Date.now() < deadline) {
    const msg = smtp.received.findLast((m) => m.to.some((to) => to.includes(email)) && unQP(m.data).includes(subject));
    if (msg) return unQP(msg.data);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`no mail to ${email} within 75s (${smtp.received.length} message(s))\n${kluis.logTail(20)}`);
}

test('breach: opened by the supplier with a description, completed and exported by the controller', { timeout: 300_000 }, async () => {
  const baseURL = kluis.baseURL;
  const { opCtx, adminCtx, op, admin, adminEmail: email } = await operatorAndAdmin(kluis, browser, 'breach');
  try {

    // The operator opens a breach with only its description.
    let response = await op.goto(`${baseURL}/operator/signed-in`);
    response = await submit(op, 'main a:text-is("Datalekken melden")');
    assert.equal(response.status(), 200);
    await bothLanguages(op, '/operator/breaches/new', 'breach-operator-new');
    await op.goto(`${baseURL}/operator/breaches/new`);
    response = await submit(op, 'main button[type=submit]');
    assert.equal(response.status(), 422, 'without a description');
    assert.deepEqual(await op.locator('.error-summary a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))), ['#description']);
    await expectNoAxeViolations(op, 'the operator form with errors');
    await shot(op, 'breach-operator-error-nl');
    await op.selectOption('#tenant', 'demo');
    await op.fill('#description', 'Een bijlage met aanvragen werd naar een verkeerde ontvanger gestuurd.');
    response = await submit(op, 'main button[type=submit]');
    assert.equal(response.status(), 200);
    assert.ok(op.url().endsWith('/operator/breaches?done=saved'), op.url());
    await bothLanguages(op, '/operator/breaches', 'breach-operator-list');

    // The admin gets the mail with the link.
    const mail = await mailTo(email, 'Datalek gemeld');
    const link = /https?:\/\/\S+?(\/demo\/admin\/breaches\/[0-9a-z]+)/.exec(mail);
    assert.ok(link, `no link in the mail:\n${mail}`);

    // The list with its clocks, in nl and fr.
    await bothLanguages(admin, '/demo/admin/breaches', 'breach-list');
    await admin.goto(`${baseURL}/demo/admin/breaches`);
    assert.match(await admin.locator('main table').innerText(), /gemeld op/);
    assert.match(await admin.locator('main table').innerText(), /nog (7[01]|72) uur om de GBA te melden/);
    await bothLanguages(admin, link[1], 'breach-show');

    // The admin completes the form; an end before the start and at least 10, at most 3 are refused.
    await admin.goto(`${baseURL}${link[1]}/edit`);
    await expectNoAxeViolations(admin, 'the breach form');
    await admin.fill('#contact_name', 'Ilse Intern');
    await admin.check('#occurred-B');
    await admin.fill('#occurred_from', '01.01.2026 10:00');
    await admin.fill('#occurred_until', '31.12.2025 10:00');
    await admin.check('#classes-B');
    await admin.check('#classes-G');
    await admin.check('#people-C');
    await admin.fill('#people_min', '10');
    await admin.fill('#people_max', '3');
    await admin.check('#circumstances-A');
    await admin.check('#encrypted-no');
    await admin.fill('#measures', 'Ontvanger gevraagd de bijlage te wissen.');
    response = await submit(admin, 'main button[type=submit]');
    assert.equal(response.status(), 422);
    assert.deepEqual(await admin.locator('.error-summary a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))),
      ['#occurred_until', '#people_max']);
    assert.equal(await admin.locator('#classes-G').isChecked(), true, 'the ticked classes stay ticked');
    await expectNoAxeViolations(admin, 'the breach form with errors');
    await shot(admin, 'breach-form-error-nl');
    await admin.fill('#occurred_until', '02.01.2026 10:00');
    await admin.fill('#people_max', '40');
    response = await submit(admin, 'main button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(await admin.locator('main').innerText(), /Meldingsformulier \(versie 2\)/);
    assert.match(await admin.locator('main').innerText(), /G\. rijksregisternummer/);
    await bothLanguages(admin, `${link[1]}/edit`, 'breach-form');

    // The GBA notice, then the PDF.
    await admin.goto(`${baseURL}${link[1]}`);
    await admin.fill('#gba_at', new Intl.DateTimeFormat('nl-BE', { timeZone: 'Europe/Brussels', day: '2-digit', month: '2-digit', year: 'numeric',
      hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date()).replace(/\//g, '.').replace(',', ''));
    response = await submit(admin, 'form:has(#gba_at) button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(await admin.locator('main').innerText(), /GBA gemeld op/);
    await bothLanguages(admin, link[1], 'breach-show-complete');
    const [download] = await Promise.all([admin.waitForEvent('download'), admin.click('main a[href$="/pdf"]')]);
    assert.match(download.suggestedFilename(), /^datalek-[0-9a-z]+-v2\.pdf$/);
  } finally {
    await opCtx.close();
    await adminCtx.close();
  }
});
