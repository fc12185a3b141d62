// Drives the gadget (/gadget) in Debian's chromium through playwright-core, one scenario per
// run, against a real server that tests/test_gadget.py started:
//
//   node gadget.mjs '<json config>'
//
// config: {base, scenario, artifacts, tokens: {agent, agent2, admin}, live}. Prints one JSON
// line {ok: true, checks: [...], screenshots: [...]} and exits 0, or prints the failure and
// exits 1 (with a screenshot of the page as it was). Screenshots go to `artifacts`.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const config = JSON.parse(process.argv[2]);
const { base, scenario, artifacts, tokens = {} } = config;
mkdirSync(artifacts, { recursive: true });

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const checks = [];
const screenshots = [];
const check = (what) => checks.push(what);
// Every scenario runs once on a fresh server and uses names no other scenario uses, so the
// screenshots show realistic data (they illustrate docs/gadget.md).

// -- the API, as the test's own client (the page never sees these calls) ------------------

async function api(query, variables = {}, { token = null, lang = null } = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (lang) headers['Accept-Language'] = lang;
  const response = await fetch(`${base}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = await response.json();
  assert.ok(!body.errors, `API error: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const RECORD = `mutation($input: RecordActivityInput!) { recordActivity(input: $input) {
  __typename ... on RecordActivitySuccess { outcome activity { id } openListEntry { id displayName } customer { id } }
  ... on UserError { code message } } }`;
const ENTRY = `query($id: ID!) { openListEntry(id: $id) { status customer { id displayName } } }`;
const CREATE = `mutation($input: CustomerInput!) { createCustomer(input: $input, confirmNotDuplicate: true) {
  __typename ... on CreateCustomerSuccess { customer { id displayName } } ... on UserError { code message } } }`;
const ADD_CONTACT = `mutation($customerId: ID!, $input: ContactInput!) { addContact(customerId: $customerId, input: $input) {
  __typename ... on AddContactSuccess { contact { id displayName } } ... on UserError { code message } } }`;
const UPDATE_CONTACT = `mutation($id: ID!, $v: Int!, $input: ContactInput!) { updateContact(id: $id, expectedVersion: $v, input: $input) {
  __typename ... on UserError { code message } } }`;
const CONTACT = `query($id: ID!) { contact(id: $id) { role reminderContact phone canCommunicate account { permissions } } }`;
const CUSTOMER = `query($id: ID!) { customer(id: $id) { version displayName lastName
  contacts(first: 100) { edges { node { id displayName } } } } }`;
const UPDATE_CUSTOMER = `mutation($id: ID!, $v: Int!, $input: CustomerInput!) { updateCustomer(id: $id, expectedVersion: $v, input: $input) {
  __typename ... on UpdateCustomerSuccess { customer { version displayName } } ... on UserError { code message } } }`;

async function record(input, token) {
  const payload = (await api(RECORD, { input }, { token })).recordActivity;
  assert.equal(payload.__typename, 'RecordActivitySuccess', JSON.stringify(payload));
  return payload;
}

async function createCustomer(input, token) {
  const payload = (await api(CREATE, { input }, { token })).createCustomer;
  assert.equal(payload.__typename, 'CreateCustomerSuccess', JSON.stringify(payload));
  return payload.customer;
}

async function addContact(customerId, input, token) {
  const payload = (await api(ADD_CONTACT, { customerId, input }, { token })).addContact;
  assert.equal(payload.__typename, 'AddContactSuccess', JSON.stringify(payload));
  return payload.contact;
}

// -- the browser ---------------------------------------------------------------------------

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
let page = null;
const pageErrors = [];

async function open({ locale = 'en-GB', width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({ locale, viewport: { width, height }, deviceScaleFactor: 1 });
  page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    // A 401 before signing in is how the page learns it needs a token; a refused WebSocket
    // is how it learns to poll instead.
    if (msg.type() === 'error' && !/status of 401|WebSocket/.test(msg.text())) pageErrors.push(msg.text());
  });
  return page;
}

/** Saves a screenshot of the screen as it is, after axe-core found no WCAG 2.1 A or AA
 *  violation on it. */
async function shot(name, { audit = true } = {}) {
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  screenshots.push(file);
  if (audit) await accessible(name);
}

async function accessible(what) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
  assert.deepEqual(violations, [], `${what}: axe-core finds WCAG violations: ${JSON.stringify(violations, null, 1)}`);
  check(`${what}: no WCAG 2.1 A/AA violation (axe-core)`);
}

async function signIn(token, query = '') {
  await page.goto(`${base}/gadget/${query}`);
  if (!token) return;
  await page.getByLabel(/Access token|Přístupový token|Prístupový token|Zugangstoken|Tilgangstoken|Pristupni token/).fill(token);
  await page.locator('[data-action="sign-in"]').click();
  await page.locator('#viewer').waitFor();
}

const dialog = () => page.locator('dialog[open]').last();

/** The error shown for an input: visible, tied to the input by aria-describedby, input marked invalid. */
async function errorOf(input) {
  const errorId = await input.evaluate((el) => `${el.id}-error`);
  const error = page.locator(`#${errorId}`);
  await error.waitFor({ state: 'visible' });
  assert.equal(await input.getAttribute('aria-invalid'), 'true');
  assert.ok((await input.getAttribute('aria-describedby')).split(' ').includes(errorId), 'error not in aria-describedby');
  return (await error.textContent()).trim();
}

async function noHorizontalScroll(what) {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  assert.ok(scrollWidth <= clientWidth, `${what}: the page scrolls sideways at ${clientWidth}px (${scrollWidth}px wide)`);
  check(`${what}: no horizontal scroll at ${clientWidth}px`);
}

/** Fails when a visible table cell breaks a word: a word (a run of non-space characters)
 *  whose text lies on more than one line. Returns how many words were checked. */
async function noBrokenWords(what) {
  const { broken, words } = await page.evaluate(() => {
    const found = [];
    let counted = 0;
    for (const cell of document.querySelectorAll('table td, table th')) {
      if (!cell.checkVisibility() || cell.closest('.visually-hidden')) continue;
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.parentElement.closest('.visually-hidden')) continue;
        for (const match of node.data.matchAll(/\S+/g)) {
          const range = document.createRange();
          range.setStart(node, match.index);
          range.setEnd(node, match.index + match[0].length);
          const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
          counted += 1;
          if (tops.size > 1) found.push(match[0]);
        }
      }
    }
    return { broken: found, words: counted };
  });
  assert.ok(words > 0, `${what}: no table words to check`);
  assert.deepEqual(broken, [], `${what}: table cells break these words: ${broken.join(', ')}`);
  check(`${what}: no word in a visible table cell is broken (${words} words)`);
  return words;
}

/** The element is on screen without scrolling the page or its dialog. */
async function inSight(locator, what) {
  const box = await locator.boundingBox();
  const { height, width } = page.viewportSize();
  assert.ok(box && box.y >= 0 && box.y + box.height <= height && box.x + box.width <= width, `${what} is out of sight: ${JSON.stringify(box)}`);
}

async function focusVisible() {
  return page.evaluate(() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return el.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  });
}

// -- scenarios -----------------------------------------------------------------------------

const scenarios = {
  /** The open list, live, the customer information form, Create, Close + Discard, picking a
   *  candidate, and the customer management pane's Create and Cancel: as agent `agent`. */
  async 'open-list'() {
    const token = tokens.agent;
    const agentId = config.agentId;
    const eva = await record({ channel: 'EMAIL', sender: { name: 'Svobodová, Eva', email: 'eva.svobodova@example.com' }, subject: 'Nabídka', agentId }, token);
    const petr = await record({ channel: 'CHAT', sender: { email: 'petr@example.org' }, agentId }, token);
    await record({ channel: 'CALL', sender: { phone: '777 888 999' }, agentId }, token);
    await record({ channel: 'CALL', agentId }, token);

    await open();
    await page.goto(`${base}/gadget/`);
    await page.locator('[data-action="sign-in"]').waitFor();
    await shot('01-sign-in');
    await signIn(token);
    const list = page.locator('#open-list');
    await list.locator('.entry').nth(3).waitFor();
    const names = await list.locator('.entry-name').allTextContents();
    for (const expected of ['Eva Svobodová', 'petr@example.org', '777 888 999', 'Unknown customer']) {
      assert.ok(names.includes(expected), `open list shows ${JSON.stringify(names)}, not ${expected}`);
    }
    check('open list shows name, else email, else phone, else "Unknown customer"');

    // Live: the socket's mode, then an activity recorded over HTTP appears without reload.
    const expected = config.live ? 'subscription' : 'polling';
    await page.locator(`#live-mode[data-live="${expected}"]`).waitFor({ timeout: 15000 });
    await page.evaluate(() => {
      window.__notReloaded = true;
    });
    const openListQueries = [];
    page.on('request', (req) => {
      if (req.url().endsWith('/graphql') && req.method() === 'POST' && (req.postData() || '').includes('GadgetOpenList(')) openListQueries.push(req.url());
    });
    const live = await record({ channel: 'CALL', sender: { name: 'Ingrid Jørgensen', phone: '+47 412 34 567' }, agentId }, token);
    await list.locator(`[data-entry-id="${live.openListEntry.id}"]`).waitFor({ timeout: config.live ? 5000 : 15000 });
    assert.equal(await page.evaluate(() => window.__notReloaded), true, 'the page reloaded');
    if (config.live) {
      assert.deepEqual(openListQueries, [], 'the entry came by re-querying the list, not by the subscription');
      check('live: an activity recorded over HTTP appeared through the openListChanged subscription, without reload or re-query');
    } else {
      check('live (fallback): an activity recorded over HTTP appeared by re-querying the list, without reload');
    }
    await shot('02-open-list');

    // The same caller again (the number written otherwise): one entry, its activities counted.
    const again = await record({ channel: 'CALL', sender: { phone: '+4741234567' }, agentId }, token);
    assert.equal(again.openListEntry.id, live.openListEntry.id, 'a second entry for the same caller');
    const joined = list.locator(`[data-entry-id="${live.openListEntry.id}"]`);
    await joined.locator('.entry-activities', { hasText: '2 activities' }).waitFor({ timeout: 15000 });
    assert.equal(await list.locator(`[data-entry-id="${live.openListEntry.id}"]`).count(), 1, 'the entry shows twice');
    check('the same caller again: one entry, with a badge counting its 2 activities (openListChanged JOINED)');

    // Keyboard: Tab to Eva's entry, Enter opens the pre-filled form.
    await page.locator('body').click({ position: { x: 1, y: 1 } });
    let found = false;
    for (let i = 0; i < 40 && !found; i++) {
      await page.keyboard.press('Tab');
      found = await page.evaluate((id) => document.activeElement && document.activeElement.dataset.entryId === id, eva.openListEntry.id);
    }
    assert.ok(found, 'Tab never reached the entry');
    assert.ok(await focusVisible(), 'the focused entry shows no focus outline');
    check('keyboard: Tab reaches an entry, its focus is visible');
    await page.keyboard.press('Enter');
    const form = dialog();
    await form.waitFor();
    assert.equal(await form.getByLabel('First name').inputValue(), 'Eva');
    assert.equal(await form.getByLabel('Last name').inputValue(), 'Svobodová');
    assert.equal(await form.getByLabel('Email').inputValue(), 'eva.svobodova@example.com');
    check('Enter opens the customer information form, pre-filled');
    await shot('03-customer-form');

    // Field limits and typed errors next to their fields.
    const firstName = form.getByLabel('First name');
    assert.equal(await firstName.getAttribute('maxlength'), '2000');
    await firstName.evaluate((el) => {
      el.value = 'x'.repeat(2001); // maxlength stops typing, not scripts: the service's own check answers
    });
    await form.getByLabel('Email').fill('eva(at)example.com');
    await form.getByLabel('Phone').fill('12345');
    await form.locator('[data-action="create"]').click();
    const tooLong = await errorOf(firstName);
    assert.match(tooLong, /2,000/);
    assert.match(await errorOf(form.getByLabel('Email')), /email/i);
    assert.match(await errorOf(form.getByLabel('Phone')), /phone/i);
    assert.equal(await page.evaluate(() => document.activeElement.name), 'firstName', 'focus should go to the first field in error');
    check('FIELD_TOO_LONG, INVALID_EMAIL, INVALID_PHONE shown next to their fields (aria-describedby, aria-invalid)');
    await shot('04-field-errors');

    await firstName.fill('Eva');
    await form.getByLabel('Email').fill('eva.svobodova@example.com');
    await form.getByLabel('Phone').fill('+420 603 555 111');
    await form.locator('[data-action="create"]').click();
    await page.locator('.notice').waitFor();
    assert.match(await page.locator('#customer-title').textContent(), /Eva Svobodová/);
    await page.locator(`#customer-activities [data-activity-id="${eva.activity.id}"].highlight`).waitFor();
    const created = (await api(ENTRY, { id: eva.openListEntry.id }, { token })).openListEntry;
    assert.equal(created.status, 'CREATED');
    check('Create saves the customer and shows the activity associated with it');
    await shot('05-customer-created');

    // Close, then Discard.
    await page.locator('a[data-route="open-list"]').click();
    await list.locator(`[data-entry-id="${petr.openListEntry.id}"]`).click();
    await dialog().locator('[data-action="close"]').click();
    const confirm = page.locator('dialog.confirm[open]');
    await confirm.waitFor();
    await shot('06-close-discard');
    await confirm.locator('[data-action="discard"]').click();
    await list.locator(`[data-entry-id="${petr.openListEntry.id}"]`).waitFor({ state: 'detached' });
    assert.equal((await api(ENTRY, { id: petr.openListEntry.id }, { token })).openListEntry.status, 'DISCARDED');
    check('Close asks, Discard takes the entry off the open list and creates no customer');

    // Candidates: two customers share a switchboard; the agent picks one.
    const switchboard = '+420 222 333 444';
    await createCustomer({ organizationName: 'Dvořák & synové s.r.o.', phones: [{ number: switchboard }] }, token);
    const marie = await createCustomer({ firstName: 'Marie', lastName: 'Dvořáková', phones: [{ number: switchboard }] }, token);
    const shared = await record({ channel: 'CALL', sender: { phone: switchboard }, agentId }, token);
    assert.equal(shared.openListEntry !== null, true, 'two equal candidates should not be associated automatically');
    const sharedEntry = list.locator(`[data-entry-id="${shared.openListEntry.id}"]`);
    await sharedEntry.waitFor({ timeout: 15000 });
    assert.match(await sharedEntry.textContent(), /2 possible matches/);
    await sharedEntry.click();
    await dialog().locator('.candidates-box').waitFor();
    await shot('07-candidates');
    await dialog().locator(`[data-pick="${marie.id}"]`).click();
    await page.locator('.notice').waitFor();
    assert.match(await page.locator('#customer-title').textContent(), /Marie/);
    assert.equal((await api(ENTRY, { id: shared.openListEntry.id }, { token })).openListEntry.status, 'ASSOCIATED');
    check('a candidate can be picked instead of creating a new customer (entry ASSOCIATED)');

    // The customer management pane: the discarded chat has no customer. Cancel, then Create.
    await page.locator('a[data-route="customers"]').click();
    const row = page.locator(`#unassociated [data-activity-id="${petr.activity.id}"]`);
    await row.waitFor();
    await shot('08-management-pane');
    await row.locator('[data-action="create"]').click();
    assert.equal(await dialog().getByLabel('Email').inputValue(), 'petr@example.org');
    await dialog().locator('[data-action="cancel"]').click();
    await dialog().waitFor({ state: 'detached' });
    assert.equal(await row.count(), 1, 'Cancel must create nothing');
    check('the pane\'s Create opens the form; Cancel creates nothing');
    await row.locator('[data-action="create"]').click();
    await dialog().getByLabel('First name').fill('Petr');
    await dialog().getByLabel('Last name').fill('Malý');
    await shot('09-pane-form');
    await dialog().locator('[data-action="create"]').click();
    await page.locator('.notice').waitFor();
    await page.locator(`#customer-activities [data-activity-id="${petr.activity.id}"]`).waitFor();
    check('the pane\'s Create saves the customer and associates the activity');
  },

  /** A customer's contacts tab, as an administrator. */
  async contacts() {
    const token = tokens.admin;
    const customer = await createCustomer({ organizationName: 'Strojírny Brno a.s.', emails: [{ address: 'info@strojirny-brno.cz' }] }, token);
    const martin = await addContact(customer.id, { firstName: 'Martin', lastName: 'Cibulka', email: 'martin.cibulka@strojirny-brno.cz' }, token);
    await open();
    await signIn(token);
    await page.goto(`${base}/gadget/#/customer/${encodeURIComponent(customer.id)}?tab=contacts`);
    const mainGroup = page.locator('[data-group="MAIN"]');
    const additional = page.locator('[data-group="ADDITIONAL"]');
    await additional.locator(`[data-contact-id="${martin.id}"]`).waitFor();

    // Add a main contact, first with an invalid email (error next to it), then valid.
    await mainGroup.locator('[data-action="add-main"]').click();
    let form = dialog();
    await form.getByLabel('Salutation').fill('Vážený pane');
    await form.getByLabel('Title').fill('Ing.');
    await form.getByLabel('First name').fill('Petr');
    await form.getByLabel('Last name').fill('Kováč');
    await form.getByLabel('Email').fill('petr.kovac(at)strojirny');
    await form.getByLabel('Phone').fill('601 222 333');
    await form.getByLabel('Reminder contact').check();
    await form.locator('[data-action="save"]').click();
    assert.match(await errorOf(form.getByLabel('Email')), /email/i);
    check('a contact\'s invalid email is shown next to the email field');
    await form.getByLabel('Email').fill('petr.kovac@strojirny-brno.cz');
    await form.locator('[data-action="save"]').click();
    await form.waitFor({ state: 'detached' });
    const petr = mainGroup.locator('.contact', { hasText: 'Ing. Petr Kováč' });
    await petr.waitFor();
    check('Add main contact saves a MAIN contact');

    // An additional contact without an email, with the keyboard only: the form warns
    // before saving, the row after.
    await additional.locator('[data-action="add-additional"]').focus();
    await page.keyboard.press('Enter');
    form = dialog();
    await form.waitFor();
    const focusedName = () => page.evaluate(() => document.activeElement.name);
    assert.equal(await focusedName(), 'salutation', 'the dialog should put the focus on its first field');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await focusedName(), 'firstName');
    await page.keyboard.type('Karel');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Čapek');
    await page.keyboard.press('Tab'); // the email stays empty
    await page.keyboard.press('Tab');
    assert.equal(await focusedName(), 'phone');
    await page.keyboard.type('+420 602 444 555');
    assert.match(await form.locator('[data-warning="no-email"]').textContent(), /nobody can communicate/);
    assert.equal(await form.locator('[data-warning="no-email"]').count(), 1, 'the no-email warning is shown once');
    assert.equal(await form.getByLabel('Reminder contact').isDisabled(), true, 'without an email the reminder flag cannot be set');
    await shot('10-contact-form-no-email');
    await page.keyboard.press('Enter');
    await form.waitFor({ state: 'detached' });
    const karel = additional.locator('.contact', { hasText: 'Karel Čapek' });
    await karel.locator('[data-warning="MISSING_EMAIL"]').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.dataset.action), 'add-additional', 'focus should return to the button');
    check('keyboard only: add a contact (focus into the dialog, Tab, Enter saves, focus returns)');
    check('a contact without an email is saved with a visible MISSING_EMAIL warning');

    // Switch Martin to MAIN (a clearly labelled action); set his reminder flag on the form
    // (the row shows it, one click there saves nothing).
    const move = additional.locator(`[data-contact-id="${martin.id}"] [data-action="move"]`);
    assert.match(await move.textContent(), /^Move to main contacts/);
    await move.click();
    await mainGroup.locator(`[data-contact-id="${martin.id}"][data-version="2"]`).waitFor();
    assert.equal(await page.locator('.contact [data-action="reminder"]').count(), 0, 'no one-click reminder box on the rows');
    await mainGroup.locator(`[data-contact-id="${martin.id}"] [data-action="edit"]`).click();
    form = dialog();
    await form.getByLabel('Reminder contact').check();
    await form.locator('[data-action="save"]').click();
    await form.waitFor({ state: 'detached' });
    await mainGroup.locator(`[data-contact-id="${martin.id}"][data-version="3"] [data-flag="reminder"]`).waitFor();
    let stored = (await api(CONTACT, { id: martin.id }, { token })).contact;
    assert.equal(stored.role, 'MAIN');
    assert.equal(stored.reminderContact, true);
    check('a contact moves from ADDITIONAL to MAIN; the reminder flag is set on the form and shown on the row');
    await shot('11-contacts-tab');

    // Edit from the tab.
    await mainGroup.locator(`[data-contact-id="${martin.id}"] [data-action="edit"]`).click();
    form = dialog();
    assert.match(await form.locator('.owner').textContent(), /Owner: admin/);
    await form.getByLabel('Phone').fill('+420 777 123 456');
    await form.locator('[data-action="save"]').click();
    await form.waitFor({ state: 'detached' });
    await mainGroup.locator(`[data-contact-id="${martin.id}"][data-version="4"]`).waitFor();
    stored = (await api(CONTACT, { id: martin.id }, { token })).contact;
    assert.equal(stored.phone, '+420 777 123 456');
    check('Edit changes a contact (shows its owner)');

    // Someone else saves the contact while the form is open: VERSION_CONFLICT, said, and
    // the tab shows the contact as it is now; nothing is overwritten.
    await mainGroup.locator(`[data-contact-id="${martin.id}"] [data-action="edit"]`).click();
    form = dialog();
    const other = (await api(UPDATE_CONTACT, { id: martin.id, v: 4, input: { title: 'Ing.' } }, { token })).updateContact;
    assert.equal(other.__typename, 'UpdateContactSuccess');
    await form.getByLabel('Salutation').fill('Pane');
    await form.locator('[data-action="save"]').click();
    await page.locator('#alert', { hasText: 'changed by someone else' }).waitFor();
    await mainGroup.locator(`[data-contact-id="${martin.id}"][data-version="5"]`, { hasText: 'Ing. Martin Cibulka' }).waitFor();
    check('a stale save is refused (VERSION_CONFLICT), said, and the tab reloads');

    // A customer account for Petr.
    await petr.locator('[data-action="account"]').click();
    form = dialog();
    await shot('12-customer-account-form');
    await form.locator('[data-action="create-account"]').click();
    const credential = form.locator('input.credential');
    await credential.waitFor();
    assert.match(await credential.inputValue(), /^cca_/);
    await shot('13-customer-account-credential');
    await form.locator('[data-action="done"]').click();
    await petr.getByText('Has a customer account').waitFor();
    check('Create customer account issues a credential, shown once');
  },

  /** The contact directory: search, advanced filter, sorting, Edit, paging. */
  async directory() {
    const token = tokens.admin;
    const customer = await createCustomer({ organizationName: 'Nordlys AS' }, token);
    const people = [
      ['Ingrid', 'Ærlig', 'ingrid.aerlig'], ['Lars', 'Zahl', 'lars.zahl'], ['Ola', 'Østby', 'ola.ostby'],
      ['Kari', 'Åsen', 'kari.asen'], ['Magnus', 'Berg', 'magnus.berg'], ['Bergljot', 'Dahl', 'bergljot.dahl'],
      ['Eirik', 'Eide', 'eirik.eide'], ['Siri', 'Fjeld', 'siri.fjeld'], ['Henrik', 'Hauge', 'henrik.hauge'],
      ['Nora', 'Lunde', 'nora.lunde'], ['Per', 'Moe', 'per.moe'], ['Astrid', 'Nygård', 'astrid.nygard'],
      ['Jonas', 'Strand', 'jonas.strand'],
    ];
    for (const [i, [firstName, lastName, mailbox]] of people.entries()) {
      await addContact(
        customer.id,
        { firstName, lastName, email: `${mailbox}@nordlys.no`, title: i === 8 ? 'Dr.' : null, role: i % 3 === 0 ? 'MAIN' : 'ADDITIONAL' },
        token,
      );
    }
    await open();
    await signIn(token);
    await page.locator('a[data-route="contacts"]').click();
    const table = page.locator('#directory');
    const search = page.getByLabel('Search contacts');
    await search.fill('nordlys');
    await search.press('Enter');
    await page.locator('#directory-summary', { hasText: '13 contacts' }).waitFor();
    assert.equal(await table.locator('tbody tr').count(), 10);
    assert.match(await page.locator('.pager .page').textContent(), /Page 1 of 2/);
    // Sorted by last name as a reader of the page's language expects: in English Æ is AE,
    // so Ærlig comes first (a Norwegian reader gets Æ, Ø, Å last).
    assert.match(await table.locator('tbody tr').first().textContent(), /Ingrid Ærlig/);
    await shot('14-directory');
    check('search finds the contacts; the first page holds 10 of 13');

    await page.locator('[data-action="next"]').click();
    await page.locator('.pager .page', { hasText: 'Page 2 of 2' }).waitFor();
    assert.equal(await table.locator('tbody tr').count(), 3);
    assert.equal(await page.locator('[data-action="next"]').isDisabled(), true);
    await page.locator('[data-action="previous"]').click();
    await page.locator('.pager .page', { hasText: 'Page 1 of 2' }).waitFor();
    check('paging: Next shows the rest, Previous goes back');

    // Sort by clicking the Email header: ascending, then descending.
    await table.locator('th[data-column="EMAIL"] button').click();
    await page.waitForFunction(() => document.querySelector('th[data-column="EMAIL"]')?.getAttribute('aria-sort') === 'ascending');
    const ascending = await table.locator('tbody tr td:nth-child(2)').allTextContents();
    assert.deepEqual(ascending, [...ascending].sort(), `not ascending: ${ascending}`);
    assert.match(ascending[0], /^astrid/);
    await table.locator('th[data-column="EMAIL"] button').click();
    await page.waitForFunction(() => document.querySelector('th[data-column="EMAIL"]')?.getAttribute('aria-sort') === 'descending');
    // The header keeps the keyboard focus after the table is redrawn.
    assert.equal(await page.evaluate(() => document.activeElement.closest('th')?.dataset.column), 'EMAIL');
    const descending = await table.locator('tbody tr td:nth-child(2)').allTextContents();
    assert.deepEqual(descending, [...descending].sort().reverse(), `not descending: ${descending}`);
    assert.match(descending[0], /^siri/);
    check('clicking a column header sorts by it, again reverses it (aria-sort)');
    await shot('15-directory-sorted');

    // Advanced filter: "berg" finds Magnus Berg and Bergljot Dahl; in last names only, Berg.
    await search.fill('berg');
    await search.press('Enter');
    await page.locator('#directory-summary', { hasText: /^2 contacts$/ }).waitFor();
    await page.locator('[data-action="advanced"]').click();
    assert.equal(await page.locator('[data-action="advanced"]').getAttribute('aria-expanded'), 'true');
    await page.getByLabel('Last name', { exact: true }).check();
    await page.locator('#directory-summary', { hasText: /^1 contact$/ }).waitFor();
    assert.match(await table.locator('tbody tr').first().textContent(), /Magnus Berg/);
    await shot('16-directory-advanced-filter');
    check('the advanced filter restricts the search to the chosen attributes');

    // Edit from the list.
    await table.locator('tbody tr').first().locator('[data-action="edit"]').click();
    const form = dialog();
    await form.getByLabel('Phone').fill('+47 913 45 678');
    await shot('17-directory-edit');
    await form.locator('[data-action="save"]').click();
    await form.waitFor({ state: 'detached' });
    await table.locator('tbody tr', { hasText: '+47 913 45 678' }).waitFor();
    check('Edit on a row changes the contact and the list shows it');
  },

  /** 320 px wide: no sideways scrolling on any screen; the form and dialogs fit. */
  async narrow() {
    const token = tokens.admin;
    const customer = await createCustomer({ organizationName: 'Pekárna U Zlatého klasu s.r.o.' }, token);
    await addContact(customer.id, { firstName: 'Karel', lastName: 'Čapek', phone: '+420 602 444 555', role: 'MAIN' }, token);
    await addContact(customer.id, { firstName: 'Jana', lastName: 'Nováková', email: 'jana.novakova@pekarna-klas.cz' }, token);
    await record({ channel: 'EMAIL', sender: { name: 'Ingrid Jørgensen-Løvås', email: 'ingrid.jorgensen-lovas@example.no' } }, token);
    await open({ width: 320, height: 640 });
    await signIn(token);
    await page.locator('#open-list .entry').first().waitFor();
    await noHorizontalScroll('open list');
    await shot('20-narrow-open-list');
    await page.locator('#open-list .entry').first().click();
    await dialog().waitFor();
    await noHorizontalScroll('customer information form');
    const box = await dialog().boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 320, 'the dialog is wider than the screen');
    await shot('21-narrow-customer-form');
    await page.keyboard.press('Escape'); // Close asks
    await page.locator('dialog.confirm[open] [data-action="keep"]').click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    assert.ok(await page.evaluate(() => Boolean(document.activeElement.dataset.entryId)), 'focus did not return to the entry');
    check('Escape on the form asks; keeping the entry closes the form and focus returns to the entry');
    await page.goto(`${base}/gadget/#/customer/${encodeURIComponent(customer.id)}?tab=contacts`);
    await page.locator('[data-group="MAIN"] .contact').first().waitFor();
    await noHorizontalScroll('contacts tab');
    await shot('22-narrow-contacts-tab');
    await page.goto(`${base}/gadget/#/contacts`);
    await page.locator('#directory tbody tr').first().waitFor();
    await noHorizontalScroll('contact directory');
    await shot('23-narrow-directory');
    await page.goto(`${base}/gadget/#/customers`);
    await page.locator('#unassociated').waitFor();
    await noHorizontalScroll('customer management pane');
  },

  /** The page's language follows the browser's; the service's messages come in it too. */
  async languages() {
    const token = tokens.agent2;
    const agentId = config.agent2Id;
    await record({ channel: 'CALL', agentId }, token);
    const expected = {
      'cs-CZ': { openList: 'Otevřený seznam', unknown: 'Neznámý zákazník', create: 'Vytvořit', close: 'Zavřít', discard: 'Zahodit' },
      'sk-SK': { openList: 'Otvorený zoznam', unknown: 'Neznámy zákazník', create: 'Vytvoriť', close: 'Zavrieť', discard: 'Zahodiť' },
      'de-AT': { openList: 'Offene Liste', unknown: 'Unbekannter Kunde', create: 'Erstellen', close: 'Schließen', discard: 'Verwerfen' },
      no: { openList: 'Åpen liste', unknown: 'Ukjent kunde', create: 'Opprett', close: 'Lukk', discard: 'Fjern' },
      'sr-RS': { openList: 'Otvorena lista', unknown: 'Nepoznati kupac', create: 'Kreiraj', close: 'Zatvori', discard: 'Odbaci' },
      'en-US': { openList: 'Open list', unknown: 'Unknown customer', create: 'Create', close: 'Close', discard: 'Discard' },
    };
    for (const [locale, words] of Object.entries(expected)) {
      await open({ locale });
      await signIn(token);
      assert.equal((await page.locator('a[data-route="open-list"]').textContent()).trim(), words.openList, locale);
      const entry = page.locator('#open-list .entry', { hasText: words.unknown }).first();
      await entry.waitFor();
      await entry.click();
      assert.equal((await dialog().locator('[data-action="create"]').textContent()).trim(), words.create, locale);
      await dialog().locator('[data-action="close"]').click();
      assert.equal((await page.locator('dialog.confirm[open] [data-action="discard"]').textContent()).trim(), words.discard, locale);
      if (locale === 'cs-CZ') await shot('30-cs-close-discard');
      await page.locator('dialog.confirm[open] [data-action="back"]').click();
      if (locale === 'cs-CZ') {
        // The service's own message, in the page's language (Accept-Language).
        await dialog().getByLabel('Telefon').fill('12345');
        await dialog().locator('[data-action="create"]').click();
        assert.match(await errorOf(dialog().getByLabel('Telefon')), /neplatné|telefonní/i);
        await shot('31-cs-field-error');
      }
      assert.equal(await page.evaluate(() => document.documentElement.lang), locale === 'no' ? 'nb' : locale === 'sr-RS' ? 'sr-Latn' : locale.split('-')[0]);
      await page.context().close();
      check(`${locale}: the page and the service's words in the browser's language`);
    }

    // ?lang= overrides the browser's language, for the subscription's words too (the
    // handshake's Accept-Language is the browser's; connection_init says the page's).
    await open({ locale: 'en-US' });
    await signIn(token, '?lang=de');
    assert.equal((await page.locator('a[data-route="open-list"]').textContent()).trim(), 'Offene Liste');
    if (config.live) {
      await page.locator('#live-mode[data-live="subscription"]').waitFor({ timeout: 15000 });
      const arrived = await record({ channel: 'CHAT', agentId }, token);
      const entry = page.locator(`[data-entry-id="${arrived.openListEntry.id}"] .entry-name`);
      await entry.waitFor();
      assert.equal((await entry.textContent()).trim(), 'Unbekannter Kunde');
      check('?lang=de on an English browser: the page and live entries in German');
    }
  },

  /** A service without subscriptions (simulated: the socket refuses the subscribe as such a
   *  service does): the open list falls back to re-querying, and still updates itself. */
  async fallback() {
    const token = tokens.agent2;
    const agentId = config.agent2Id;
    await open();
    await page.routeWebSocket(/\/graphql$/, (ws) => {
      ws.onMessage((raw) => {
        const message = JSON.parse(raw);
        if (message.type === 'connection_init') ws.send(JSON.stringify({ type: 'connection_ack' }));
        if (message.type === 'subscribe') {
          ws.send(JSON.stringify({ id: message.id, type: 'error', payload: [{ message: "Cannot query field 'openListChanged' on type 'Subscription'." }] }));
        }
      });
    });
    await signIn(token);
    await page.locator('#live-mode[data-live="polling"]').waitFor();
    await page.evaluate(() => {
      window.__notReloaded = true;
    });
    const arrived = await record({ channel: 'EMAIL', sender: { name: 'Åse Fallback-Nilsen', email: 'ase@example.no' }, agentId }, token);
    await page.locator(`[data-entry-id="${arrived.openListEntry.id}"]`).waitFor({ timeout: 15000 });
    assert.equal(await page.evaluate(() => window.__notReloaded), true, 'the page reloaded');
    check('without subscriptions the open list re-queries itself: a new entry appears without reload');
  },

  /** An agent mid-call, at 1280 px and at a gadget-like 800 px (config.width). */
  async 'mid-call'() {
    const width = config.width || 1280;
    const narrow = width < 1000;
    const token = tokens.agent;
    const agentId = config.agentId;
    // Each width runs on a server of its own (tests/test_gadget.py), so the screenshots show
    // one agent's realistic day.
    const phone = '+420 604 111 128';
    const jan = await createCustomer(
      { firstName: 'Jan', lastName: `Novák`, organizationName: 'Pekárna U Zlatého klasu s.r.o.', phones: [{ number: phone }] },
      token,
    );
    const waiting = [];
    for (const name of ['Alžběta Kratochvílová', 'Bohumil Šťastný', 'Cecílie Dvořáková']) {
      waiting.push(await record({ channel: 'CHAT', sender: { name: `${name}` }, agentId }, token));
    }

    // -- The caller first: the screen pop on top, headed and timed; the waiting entries in
    //    the order the agent chooses.
    await open({ width, height: 900 });
    await signIn(token);
    await page.locator(`#live-mode[data-live="${config.live ? 'subscription' : 'polling'}"]`).waitFor({ timeout: 15000 });
    const list = page.locator('#open-list');
    await list.locator(`[data-entry-id="${waiting[2].openListEntry.id}"]`).waitFor();
    const names = async () => list.locator('.entry-name').allTextContents();
    assert.deepEqual(await names(), [`Cecílie Dvořáková`, `Bohumil Šťastný`, `Alžběta Kratochvílová`], 'newest first by default');
    await page.locator('select[data-action="order"]').selectOption('oldest');
    assert.deepEqual(await names(), [`Alžběta Kratochvílová`, `Bohumil Šťastný`, `Cecílie Dvořáková`]);
    await page.reload();
    await list.locator(`[data-entry-id="${waiting[0].openListEntry.id}"]`).waitFor();
    assert.equal(await page.locator('select[data-action="order"]').inputValue(), 'oldest', 'the choice is kept');
    assert.equal((await names())[0], `Alžběta Kratochvílová`);
    await page.locator('select[data-action="order"]').selectOption('newest');
    check('the waiting entries: newest first, or oldest first as the agent chooses (kept on reload)');
    if (config.live) {
      await page.locator('#live-mode[data-live="subscription"]').waitFor({ timeout: 15000 });
      const call = await record({ channel: 'CALL', sender: { phone }, agentId, subject: 'Objednávka' }, token);
      assert.equal(call.outcome, 'ASSOCIATED');
      const caller = page.locator(`#current-caller [data-activity-id="${call.activity.id}"]`);
      await caller.waitFor({ timeout: 5000 });
      assert.match(await caller.textContent(), new RegExp(`Jan Novák.*Call`));
      assert.match(await caller.locator('time').getAttribute('datetime'), /^\d{4}-\d\d-\d\dT/);
      assert.ok((await caller.locator('time').textContent()).trim(), 'the pop says when');
      assert.equal((await page.locator('#caller-title').textContent()).trim(), 'Contacting you now');
      const popBox = await caller.boundingBox();
      const listBox = await list.boundingBox();
      assert.ok(popBox.y < listBox.y, 'the caller is above the open list');
      await inSight(caller, 'the current caller');
      check('the screen pop is on top, headed and timed, above the open list and in sight');
    }
    await noHorizontalScroll('open list');
    await (narrow ? shot('41-caller-first-800') : shot('40-caller-first'));

    // -- Candidates that tell themselves apart; the form's actions in sight.
    const switchboard = '+420 222 333 444';
    const dvorak = await createCustomer({ organizationName: `Dvořák & synové`, phones: [{ number: switchboard }], emails: [{ address: `info@dvorak-synove.cz` }] }, token);
    const marie = await createCustomer({ firstName: 'Marie', lastName: `Dvořáková`, phones: [{ number: switchboard }], emails: [{ address: `marie@example.cz` }] }, token);
    const shared = await record({ channel: 'CALL', sender: { phone: switchboard }, agentId }, token);
    await list.locator(`[data-entry-id="${shared.openListEntry.id}"]`).click();
    const form = dialog();
    for (const [candidate, email] of [[dvorak, `info@dvorak-synove.cz`], [marie, `marie@example.cz`]]) {
      const row = form.locator(`.candidates-box [data-candidate="${candidate.id}"]`);
      const text = await row.textContent();
      assert.ok(text.includes(email) && text.includes(switchboard), `the candidate shows what tells it apart: ${text}`);
      assert.match(text, /Matched on: Phone \(exact match\)/);
    }
    await inSight(form.locator('[data-action="create"]'), 'Create');
    await inSight(form.locator('[data-action="close"]'), 'Close');
    check('candidates show phone, email, organisation and why they matched; Create and Close are in sight');
    await (narrow ? shot('43-candidates-800') : shot('42-candidates'));
    await page.keyboard.press('Escape');
    await page.locator('dialog.confirm[open] [data-action="keep"]').click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' });

    // -- The management pane: finding a customer first; Create only where the viewer may use
    //    it (the service refuses it to read-only staff; an agent never sees another agent's
    //    waiting callers at all).
    const others = await record({ channel: 'EMAIL', sender: { email: `someone@example.org` }, agentId: config.agent2Id }, tokens.agent2);
    const own = await record({ channel: 'EMAIL', sender: { email: `mine@example.org` }, agentId }, token);
    await page.locator('a[data-route="customers"]').click();
    const ownRow = page.locator(`#unassociated [data-activity-id="${own.activity.id}"]`);
    await ownRow.waitFor();
    assert.equal(await ownRow.locator('[data-action="create"]').count(), 1);
    assert.equal(await page.locator(`#unassociated [data-activity-id="${others.activity.id}"]`).count(), 0);
    assert.equal(await page.locator('#unassociated .btn.primary').count(), 0, 'Create is not a primary button on every row');
    const findBox = await page.locator('#find-title').boundingBox();
    assert.ok(findBox.y < (await page.locator('#unassociated-title').boundingBox()).y, 'Find a customer comes first');
    await (narrow ? shot('45-management-pane-800') : shot('44-management-pane'));
    const readOnly = await browser.newContext({ locale: 'en-GB', viewport: { width, height: 900 } });
    const reader = await readOnly.newPage();
    await reader.goto(`${base}/gadget/`);
    await reader.getByLabel('Access token').fill(tokens.readOnly);
    await reader.locator('[data-action="sign-in"]').click();
    await reader.goto(`${base}/gadget/#/customers`);
    await reader.locator(`#unassociated [data-activity-id="${own.activity.id}"]`).waitFor();
    assert.equal(await reader.locator('#unassociated [data-action="create"]').count(), 0, 'read-only staff are offered no Create');
    assert.equal(await reader.locator('[data-action="new-customer"]').count(), 0);
    await readOnly.close();
    check('the pane: finding a customer first; Create only where the viewer may use it');

    // -- Edit the customer; a stale save says so and reloads; another open screen follows.
    const other = await browser.newContext({ locale: 'en-GB', viewport: { width, height: 900 } });
    const watcher = await other.newPage();
    await watcher.goto(`${base}/gadget/`);
    await watcher.getByLabel('Access token').fill(token);
    await watcher.locator('[data-action="sign-in"]').click();
    await watcher.goto(`${base}/gadget/#/customer/${encodeURIComponent(jan.id)}`);
    await watcher.locator('#customer-title', { hasText: `Jan Novák` }).waitFor();
    await page.goto(`${base}/gadget/#/customer/${encodeURIComponent(jan.id)}`);
    await page.locator('#customer-title', { hasText: `Jan Novák` }).waitFor();
    await page.locator('[data-action="edit-customer"]').click();
    let edit = dialog();
    assert.equal(await edit.getByLabel('Organisation').inputValue(), 'Pekárna U Zlatého klasu s.r.o.');
    assert.equal(await edit.getByLabel('Phone').inputValue(), phone);
    for (const label of ['First name', 'Last name', 'Email', 'Street', 'City', 'Postcode', 'Country', 'ID in another system']) {
      assert.equal(await edit.getByLabel(label, { exact: true }).count(), 1, `the edit form has ${label}`);
    }
    assert.equal(await edit.getByLabel('First name').getAttribute('maxlength'), '2000');
    await edit.getByLabel('Last name').fill(`Nováček`);
    await edit.getByLabel('City').fill('Brno');
    await edit.getByLabel('Email').fill('jan(at)example');
    await edit.locator('[data-action="save"]').click();
    assert.equal(await errorOf(edit.getByLabel('Email')), 'This is not a valid email address.', 'the field error has no API path');
    await edit.getByLabel('Email').fill(`jan.novacek@example.cz`);
    await (narrow ? shot('47-edit-customer-800') : shot('46-edit-customer'));
    await edit.locator('[data-action="save"]').click();
    await edit.waitFor({ state: 'detached' });
    await page.locator('#customer-title', { hasText: `Jan Nováček` }).waitFor();
    let stored = (await api(CUSTOMER, { id: jan.id }, { token })).customer;
    assert.equal(stored.lastName, `Nováček`);
    assert.equal(stored.version, 2);
    check('Edit customer saves what was changed; its field errors name no API path');
    await watcher.locator('#customer-title', { hasText: `Jan Nováček` }).waitFor({ timeout: 15000 });
    check('another open screen of the customer shows the change without a reload');
    await page.locator('[data-action="edit-customer"]').click();
    edit = dialog();
    const meanwhile = (await api(UPDATE_CUSTOMER, { id: jan.id, v: 2, input: { firstName: 'Jaroslav' } }, { token })).updateCustomer;
    assert.equal(meanwhile.__typename, 'UpdateCustomerSuccess');
    await edit.getByLabel('Last name').fill('Overwritten');
    await edit.locator('[data-action="save"]').click();
    await page.locator('#alert', { hasText: 'changed by someone else' }).waitFor();
    await page.locator('#customer-title', { hasText: `Jaroslav Nováček` }).waitFor();
    stored = (await api(CUSTOMER, { id: jan.id }, { token })).customer;
    assert.equal(stored.lastName, `Nováček`, 'the stale save overwrote nothing');
    check('a stale save says so (VERSION_CONFLICT), overwrites nothing and shows the customer as it is now');
    await other.close();

    // -- The activities tab: direction, subject, text, agent; page after page.
    for (let i = 1; i <= 11; i++) {
      await record(
        { channel: i % 2 ? 'EMAIL' : 'CALL', direction: i % 3 ? 'INBOUND' : 'OUTBOUND', sender: { phone }, agentId, subject: `Reklamace č. ${i}`, text: `Zboží dorazilo poškozené (${i}).` },
        token,
      );
    }
    await page.reload();
    const activities = page.locator('#customer-activities > li');
    await activities.nth(9).waitFor();
    assert.equal(await activities.count(), 10);
    const newest = await activities.first().textContent();
    assert.match(newest, /Reklamace č\. 11/);
    assert.match(newest, /Zboží dorazilo poškozené \(11\)/);
    assert.match(newest, /Email, incoming/);
    assert.match(newest, /Agent: agent-7/);
    assert.match(await page.locator('#customer-activities').textContent(), /Call, outgoing/);
    assert.match(await page.locator('#activities-count').textContent(), /10 of 1[23] activities/);
    await page.locator('[data-action="more-activities"]').click();
    await activities.nth(10).waitFor();
    const total = config.live ? 12 : 11;
    assert.equal(await activities.count(), total);
    assert.equal(await page.locator('[data-action="more-activities"]').count(), 0, 'no more pages');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.activityId !== undefined), true, 'focus moves to the first activity shown');
    check('the activities tab shows direction, subject, text and agent, and pages on to older activities');
    await (narrow ? shot('49-activities-800') : shot('48-activities'));

    // -- New contact from the directory: find the customer, then the contact form.
    await page.goto(`${base}/gadget/#/contacts`);
    const newContact = page.locator('[data-action="new-contact"]');
    await newContact.waitFor();
    const head = await newContact.boundingBox();
    const title = await page.locator('#directory-title').boundingBox();
    assert.ok(head.x > title.x + title.width && Math.abs(head.y - title.y) < 40, 'New contact sits at the top right');
    await newContact.click();
    const picker = dialog();
    await picker.getByLabel('Name, email or phone').fill(`Nováček`);
    await picker.locator(`[data-pick="${jan.id}"]`).waitFor();
    await (narrow ? shot('51-new-contact-customer-800') : shot('50-new-contact-customer'));
    await picker.locator(`[data-pick="${jan.id}"]`).click();
    const contactForm = dialog();
    await contactForm.getByLabel('First name').waitFor();
    assert.match(await contactForm.locator('.about').textContent(), new RegExp(`Customer: Jaroslav Nováček`));
    await contactForm.getByLabel('First name').fill('Věra');
    await contactForm.getByLabel('Last name').fill(`Nováčková`);
    assert.equal(await contactForm.getByLabel('Reminder contact').isDisabled(), true);
    await contactForm.getByLabel('Email').fill(`vera@example.cz`);
    assert.equal(await contactForm.getByLabel('Reminder contact').isDisabled(), false, 'an email makes the reminder flag available');
    assert.match(await contactForm.getByLabel('Phone').getAttribute('aria-describedby'), /hint/);
    assert.match(await contactForm.locator('.field[data-field="phone"] .hint').textContent(), /601 123 456/);
    await (narrow ? shot('53-new-contact-form-800') : shot('52-new-contact-form'));
    await contactForm.locator('[data-action="save"]').click();
    await contactForm.waitFor({ state: 'detached' });
    const search = page.getByLabel('Search contacts');
    await search.fill(`Nováčková`);
    await search.press('Enter');
    await page.locator('#directory tbody tr', { hasText: `Věra Nováčková` }).waitFor();
    const contacts = (await api(CUSTOMER, { id: jan.id }, { token })).customer.contacts.edges.map((e) => e.node.displayName);
    assert.ok(contacts.includes(`Věra Nováčková`), `the customer has the contact: ${contacts}`);
    await page.locator('#directory tbody tr a', { hasText: `Jaroslav Nováček` }).click();
    await page.locator('[data-group="ADDITIONAL"] .contact', { hasText: `Věra Nováčková` }).waitFor();
    check('New contact (top right): find the customer as you type, then the contact form; the directory and the contacts tab show it');

    // -- Tables never break a word, in English and in German, with long names and addresses.
    for (const [firstName, lastName, mailbox, title] of [
      ['Ingrid', 'Jørgensen-Løvås', 'ingrid.lovas', null],
      ['Bartholomäus', 'Schwarzenegger-Oberhofer', 'b.schwarzenegger', 'Dipl.-Ing.'],
      ['Zdeňka', 'Vondráčková-Procházková', 'zdenka.prochazkova', 'Ing. Mgr.'],
    ]) {
      await addContact(
        dvorak.id,
        { firstName, lastName: `${lastName}`, title, email: `${mailbox}@dvorak-synove.cz`, phone: '+420 604 123 456', role: 'MAIN', reminderContact: true },
        token,
      );
    }
    await page.goto(`${base}/gadget/#/contacts`);
    await page.locator('#directory tbody tr').nth(2).waitFor();
    await noBrokenWords(`directory at ${width} px`);
    await noHorizontalScroll('contact directory');
    await (narrow ? shot('55-directory-800') : shot('54-directory'));
    for (const [lang, edit] of [['de', 'Bearbeiten'], ['cs', 'Upravit'], ['sk', 'Editovať'], ['nb', 'Rediger'], ['sr', 'Uredi']]) {
      await page.goto(`${base}/gadget/?lang=${lang}#/contacts`);
      await page.locator('#directory tbody tr').nth(2).waitFor();
      assert.equal((await page.locator('#directory tbody [data-action="edit"]').first().textContent()).startsWith(edit), true, lang);
      await noBrokenWords(`directory in ${lang} at ${width} px`);
    }
  },

  /** A service whose default region is Slovakia (--default-region SK): the phone hint shows
   *  a Slovak number, and the national form it shows is accepted. */
  async 'phone-region'() {
    await open({ locale: 'sk-SK' });
    await page.goto(`${base}/gadget/#/customers`);
    await page.locator('[data-action="new-customer"]').click();
    const form = dialog();
    const hint = (await form.locator('.field[data-field="phone"] .hint').textContent()).trim();
    assert.equal(hint, 'Medzinárodný tvar (+421 912 123 456) alebo národný (0912 123 456).');
    await form.getByLabel('Priezvisko').fill('Kováčová');
    await form.getByLabel('Telefón').fill('0912 123 456');
    await form.locator('[data-action="create"]').click();
    await page.locator('.notice').waitFor();
    assert.match(await page.locator('.details').textContent(), /0912 123 456/);
    check('--default-region SK: the phone hint shows a Slovak number, and its national form is accepted');
  },

  /** Local development mode: no token, no sign-in. */
  async 'dev-mode'() {
    await open();
    await page.goto(`${base}/gadget`);
    await page.locator('#viewer', { hasText: 'local-developer' }).waitFor();
    assert.equal(await page.locator('[data-action="sign-in"]').count(), 0);
    await page.locator(`#live-mode[data-live="${config.live ? 'subscription' : 'polling'}"]`).waitFor({ timeout: 15000 });
    check('in local development mode the gadget needs no sign-in, and is live all the same');
  },
};

let exitCode = 0;
try {
  assert.ok(scenarios[scenario], `no scenario ${scenario}`);
  await scenarios[scenario]();
  assert.deepEqual(pageErrors, [], 'the page logged errors');
  console.log(JSON.stringify({ ok: true, checks, screenshots }));
} catch (err) {
  exitCode = 1;
  if (page && !page.isClosed()) {
    try {
      await shot(`FAILED-${scenario}`, { audit: false });
    } catch {
      /* the page is gone */
    }
  }
  console.log(JSON.stringify({ ok: false, error: err.stack || String(err), checks, screenshots, pageErrors }));
} finally {
  await browser.close();
}
process.exit(exitCode);
