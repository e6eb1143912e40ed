// Backups and the restore test in the browser (SEC-4, SEC-5, SEC-6): the demo server is
// configured with a backup target, a second site and an age identity, so its worker catches up
// on the day's backup (replicated to the second site) and restore test at start; `kluis backup`
// makes one more while it serves; the operator asks for another restore test on the Back-ups
// page (refused until ticked), the worker runs it, and the page shows the backups at each site
// and the passed tests with what they checked. The demo's admin reads the facts on "Back-ups en hersteltest"
// without the operators' locations. axe on every page, nl and fr; screenshots desktop and phone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  expectNoAxeViolations, inBothLanguages, operatorAndAdmin, repoRoot, shot, submit, suite,
} from './harness.mjs';

// An age key pair for the backups, made with age's own keygen (built from the module cache).
const keyDir = mkdtempSync(join(tmpdir(), 'kluis-e2e-backupkeys-'));
const keygen = join(keyDir, 'age-keygen');
const build = spawnSync('go', ['build', '-o', keygen, 'filippo.io/age/cmd/age-keygen'], { cwd: repoRoot, encoding: 'utf8' });
assert.equal(build.status, 0, `building age-keygen failed: ${build.stderr}`);
const identityFile = join(keyDir, 'backup.key');
const made = spawnSync(keygen, ['-o', identityFile], { encoding: 'utf8' });
assert.equal(made.status, 0, `age-keygen failed: ${made.stderr}`);
const recipient = /public key: (age1\S+)/.exec(readFileSync(identityFile, 'utf8'))[1];
const site1 = join(keyDir, 'site1');
const site2 = join(keyDir, 'site2');

const s = suite({
  tmpPrefix: 'kluis-e2e-backups-',
  env: {
    KLUIS_BACKUP_TARGETS: site1,
    KLUIS_BACKUP_SECOND_SITE: site2,
    KLUIS_BACKUP_RECIPIENTS: recipient,
    KLUIS_BACKUP_IDENTITY_FILE: identityFile,
    KLUIS_BACKUP_AT: '03:30',
    KLUIS_BACKUP_KEEP: '7,4,6',
  },
});

test('backups: the operators\' page, the restore test on request, the controller\'s facts', { timeout: 300_000 }, async (t) => {
  t.after(() => rmSync(keyDir, { recursive: true, force: true }));
  const baseURL = s.kluis.baseURL;
  const res = s.kluis.cli(['backup']);
  assert.equal(res.status, 0, `kluis backup failed: ${res.stderr}`);
  const backupID = /^backup (\S+):/.exec(res.stdout)[1];
  const { opCtx, adminCtx, op, admin } = await operatorAndAdmin(s.kluis, s.browser, 'backups');
  try {
    // The day's scheduled backup and restore test ran at start; the backup reached both sites.
    const restoreTests = async () => {
      await op.goto(`${baseURL}/operator/backups`);
      return op.locator('#runs-caption').locator('xpath=..').locator('tbody tr', { hasText: 'Hersteltest' }).count();
    };
    const waitForTests = async (n) => {
      const deadline = Date.now() + 120_000;
      while ((await restoreTests()) < n) {
        assert.ok(Date.now() < deadline, `fewer than ${n} restore tests within 2 minutes\n${s.kluis.logTail(30)}`);
        await op.waitForTimeout(1000); // the worker looks for work every 2 s
      }
    };
    await waitForTests(1);
    const before = await restoreTests();
    let main = await op.locator('main').innerText();
    assert.match(main, new RegExp(backupID));
    assert.match(main, /Tweede locatie/);
    assert.doesNotMatch(main, /kan niet gelezen worden/);

    // Another restore test on request: refused until ticked, then queued and run.
    let response = await submit(op, 'form[action$="/backups/restore-test"] button[type=submit]');
    assert.equal(response.status(), 422);
    assert.deepEqual(await op.locator('.error-summary a').evaluateAll((as) => as.map((a) => a.getAttribute('href'))), ['#confirm']);
    await expectNoAxeViolations(op, 'the unconfirmed restore test');
    await shot(op, 'backups-operator-refused-nl');
    await op.check('#confirm');
    response = await submit(op, 'form[action$="/backups/restore-test"] button[type=submit]');
    assert.equal(response.status(), 200);
    assert.match(await op.locator('[role=status]').first().innerText(), /De hersteltest staat klaar/);
    await waitForTests(before + 1);
    main = await op.locator('main').innerText();
    assert.match(main, /ondertekende checkpoints geverifieerd/);
    assert.match(main, /Hersteltest\s+geslaagd/);
    assert.match(main, /rijen van \d+ organisaties geteld/);
    assert.match(main, /De back-upcontrole van de bewaking \(\/readyz\) slaagt/);
    await inBothLanguages(op, baseURL, '/operator/backups', 'backups-operator');

    // The controller's facts: no locations of the operators.
    await inBothLanguages(admin, baseURL, '/demo/admin/backups', 'backups-tenant');
    main = await admin.locator('main').innerText();
    assert.match(main, /Back-ups en hersteltest/);
    assert.match(main, /2 locaties in de Europese Economische Ruimte/);
    assert.match(main, /geslaagd/);
    assert.ok(!main.includes(keyDir), 'the controller\'s page shows an operator location');
    assert.match(main, /ook de uwe/);
    assert.doesNotMatch(main, /organisaties geteld/, 'the controller\'s page shows the platform\'s counts');
    const nav = await admin.locator('nav').allInnerTexts();
    assert.ok(nav.join(' ').includes('Back-ups en hersteltest'), 'the page is not in the navigation');
  } finally {
    await opCtx.close();
    await adminCtx.close();
  }
});
