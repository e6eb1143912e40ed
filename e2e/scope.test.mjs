// Scope from evidence on a breach (BRE-1, BRE-5) in the browser: the demo's admin opens a
// breach with only a description, goes to "compute scope", is refused an end before its start
// (named in the error summary, linked to the field), computes the scope of an API key for a
// window and applies it as a new version. axe on every page, nl and fr; screenshots desktop and
// phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  activate, deskContext, enrolTOTP, expectNoAxeViolations, inBothLanguages, invite, login, shot, submit, suite,
} from './harness.mjs';

const s = suite({ tmpPrefix: 'kluis-e2e-scope-' });

const bothLanguages = (page, path, name) => inBothLanguages(page, s.baseURL, path, name);

test('scope: computed from the audit log on a breach and applied as a new version', { timeout: 240_000 }, async () => {
  const ctx = await s.browser.newContext(deskContext);
  try {
    const admin = await ctx.newPage();
    const email = 'e2e-scope-admin@demo.example';
    await activate(admin, invite(s.kluis, email, 'Scope Admin', 'nl', 'admin'), 'kastanje raadhuis lenteregen');
    await login(admin, s.baseURL, email, 'kastanje raadhuis lenteregen');
    await enrolTOTP(admin, 'scope-admin-mfa');

    await admin.goto(`${s.baseURL}/demo/admin/breaches/new`);
    await admin.fill('#description', 'Een API-sleutel van het zaaksysteem werd in een publieke repository gevonden.');
    let response = await submit(admin, 'main button[type=submit]');
    assert.equal(response.status(), 200);
    const breach = new URL(admin.url()).pathname;
    assert.match(breach, /^\/demo\/admin\/breaches\/[0-9a-z]+$/);

    response = await submit(admin, 'main a:text-is("Omvang berekenen uit het logboek")');
    assert.equal(response.status(), 200);
    await bothLanguages(admin, `${breach}/scope`, 'scope-form');

    // An end before its start, no actor, no id: each named and linked.
    await admin.goto(`${s.baseURL}${breach}/scope`);
    const from = await admin.inputValue('#scope_from');
    const until = await admin.inputValue('#scope_until');
    await admin.fill('#scope_from', until);
    await admin.fill('#scope_until', from);
    response = await submit(admin, 'main form button[type=submit]');
    assert.equal(response.status(), 422);
    assert.deepEqual(await admin.locator('.error-summary a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))),
      ['#scope_until', '#scope_actor-user', '#scope_actor_id']);
    await expectNoAxeViolations(admin, 'the scope form with errors');
    await shot(admin, 'scope-form-error-nl');

    await admin.fill('#scope_from', from);
    await admin.fill('#scope_until', until);
    await admin.check('#scope_actor-apikey');
    await admin.fill('#scope_actor_id', 'sleutel-zaaksysteem');
    response = await submit(admin, 'main form button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(await admin.locator('main').innerText(), /Inzendingen geraakt\s*0/);
    await expectNoAxeViolations(admin, 'the scope result');
    await shot(admin, 'scope-result-nl');

    response = await submit(admin, 'main button:text-is("Toepassen op het datalek (nieuwe versie)")');
    assert.equal(response.status(), 200);
    const text = await admin.locator('main').innerText();
    assert.match(text, /De omvang uit het logboek is toegepast/);
    assert.match(text, /Meldingsformulier \(versie 2\)/);
    await expectNoAxeViolations(admin, 'the breach after applying');
    await shot(admin, 'scope-applied-nl');
    await bothLanguages(admin, '/demo/admin/breaches', 'scope-breach-list');
  } finally {
    await ctx.close();
  }
});
