// A customer's Contacts tab (the CDESK seed): MAIN contacts get a copy of messages meant
// for the customer, ADDITIONAL ones are optional recipients. Add, edit, move between the
// two, the reminder flag (set on the form, and only for a contact with an email address:
// nobody else can receive reminders), a warning for a contact without an email address, and
// a customer account (a login that sees the customer's information its permissions allow).

import { RequestError, graphql } from './api.js';
import { MAX_TEXT_LENGTH, announce, ask, aside, checkbox, field, formErrorBox, h, newId, openDialog, phoneHint, showAlert, showPayloadErrors } from './dom.js';
import { t } from './i18n.js';
import * as ops from './operations.js';

const TEXT_FIELDS = ['salutation', 'title', 'firstName', 'lastName', 'email', 'phone'];

/**
 * The contact form, for adding (`customerId` and `role`) or editing (`contact`). Resolves
 * true when something was saved.
 */
export function openContactForm({ customerId = null, role = 'ADDITIONAL', contact = null, customerName = '', title = null }) {
  return new Promise((resolve) => {
    const editing = Boolean(contact);
    const value = (name) => (contact ? contact[name] : '');
    const f = {
      salutation: field({ name: 'salutation', label: t('salutation'), value: value('salutation') }),
      title: field({ name: 'title', label: t('academicTitle'), value: value('title') }),
      firstName: field({ name: 'firstName', label: t('firstName'), value: value('firstName') }),
      lastName: field({ name: 'lastName', label: t('lastName'), value: value('lastName') }),
      email: field({ name: 'email', label: t('email'), type: 'email', value: value('email'), hint: t('noEmailWarning'), inputmode: 'email' }),
      phone: field({ name: 'phone', label: t('phone'), type: 'tel', value: value('phone'), hint: phoneHint(), inputmode: 'tel' }),
    };
    const roleId = newId('f-role');
    const roleSelect = h(
      'select',
      { id: roleId, name: 'role' },
      ['MAIN', 'ADDITIONAL'].map((r) => h('option', { value: r, selected: (contact ? contact.role : role) === r }, t(`role_${r}`))),
    );
    const roleRow = h('div', { class: 'field', dataset: { field: 'role' } }, h('label', { for: roleId }, t('role')), roleSelect);
    const reminder = checkbox({ name: 'reminderContact', label: t('reminderContact'), checked: contact ? contact.reminderContact : false });
    const reminderHint = h('p', { class: 'hint', id: newId('reminder-hint') }, t('reminderHint'));
    // One warning, said once: the email field's own hint while the field is empty (it is
    // tied to the field, and to the reminder flag that it disables).
    const noEmail = f.email.hintEl;
    noEmail.classList.replace('hint', 'warning');
    noEmail.dataset.warning = 'no-email';
    noEmail.setAttribute('aria-live', 'polite');
    let wanted = reminder.input.checked;
    reminder.input.addEventListener('change', () => {
      wanted = reminder.input.checked;
    });
    const updateWarning = () => {
      const missing = !f.email.input.value.trim();
      noEmail.textContent = missing ? t('noEmailWarning') : '';
      noEmail.hidden = !missing;
      // Reminders go by email: without one the flag cannot be set (and is not sent set).
      reminder.input.disabled = missing;
      reminder.input.checked = missing ? false : wanted;
      reminder.input.setAttribute('aria-describedby', missing ? `${reminderHint.id} ${noEmail.id}` : reminderHint.id);
    };
    f.email.input.addEventListener('input', updateWarning);
    updateWarning();
    const formError = formErrorBox();
    const byPath = { ...f, role: { input: roleSelect, showError: (m) => showPayloadErrors({ message: m }, {}, formError), clearError: () => {} } };

    let dlg;
    const save = async () => {
      const input = {};
      for (const name of TEXT_FIELDS) {
        const v = f[name].input.value.trim();
        if (editing) {
          // Send only what changed: fields left out keep their values, "" clears one.
          if (v !== (contact[name] || '')) input[name] = v || null;
        } else if (v) {
          input[name] = v;
        }
      }
      if (!editing || roleSelect.value !== contact.role) input.role = roleSelect.value;
      if (!editing || reminder.input.checked !== contact.reminderContact) input.reminderContact = reminder.input.checked;
      let payload;
      try {
        payload = editing
          ? (await graphql(ops.UPDATE_CONTACT, { id: contact.id, expectedVersion: contact.version, input })).updateContact
          : (await graphql(ops.ADD_CONTACT, { customerId, input })).addContact;
      } catch (err) {
        showPayloadErrors({ message: err instanceof RequestError ? err.message : String(err) }, {}, formError);
        return;
      }
      if (payload.__typename === 'AddContactSuccess' || payload.__typename === 'UpdateContactSuccess') {
        const saved = payload.contact;
        announce(
          saved.warnings.length
            ? `${t('contactSaved', { name: saved.displayName })} ${saved.warnings.map((w) => w.message).join(' ')}`
            : t('contactSaved', { name: saved.displayName }),
        );
        dlg.close();
        resolve(true);
        return;
      }
      if (payload.__typename === 'VersionConflictError') {
        // Someone else changed the contact: say so, and show it as it is now.
        dlg.close();
        showAlert(payload.message);
        resolve(true);
        return;
      }
      showPayloadErrors(payload, byPath, formError);
    };

    const form = h(
      'form',
      {
        class: 'contact-form',
        novalidate: true,
        onsubmit: (event) => {
          event.preventDefault();
          save();
        },
      },
      customerName ? h('p', { class: 'about' }, t('contactOf', { name: customerName })) : null,
      h('p', { class: 'hint' }, t('fieldLimit', { limit: MAX_TEXT_LENGTH })),
      formError,
      f.salutation.row,
      f.title.row,
      f.firstName.row,
      f.lastName.row,
      f.email.row,
      f.phone.row,
      roleRow,
      reminder.row,
      reminderHint,
      editing && contact.owner ? h('p', { class: 'meta owner' }, t('owner', { owner: contact.owner })) : null,
      h(
        'div',
        { class: 'actions sticky-actions' },
        h('button', { type: 'submit', class: 'btn primary', dataset: { action: 'save' } }, t('save')),
        h(
          'button',
          {
            type: 'button',
            class: 'btn',
            dataset: { action: 'cancel' },
            onclick: () => {
              dlg.close();
              resolve(false);
            },
          },
          t('cancel'),
        ),
      ),
    );
    dlg = openDialog({
      title: title || (editing ? t('editContact') : role === 'MAIN' ? t('addMainContact') : t('addAdditionalContact')),
      body: form,
      className: 'wide',
      onEscape: () => {
        dlg.close();
        resolve(false);
      },
    });
  });
}

const PERMISSIONS = ['VIEW_CUSTOMER', 'VIEW_CONTACTS', 'VIEW_ACTIVITIES'];

/** Creates a customer account for the contact; shows its credential once. */
function openAccountForm(contact) {
  return new Promise((resolve) => {
    const boxes = PERMISSIONS.map((p) => checkbox({ name: p, label: t(`permission_${p}`), checked: p !== 'VIEW_ACTIVITIES' }));
    const formError = formErrorBox();
    const fieldset = h('fieldset', {}, h('legend', {}, t('permissions')), boxes.map((b) => b.row));
    let dlg;
    const done = (saved) => {
      dlg.close();
      resolve(saved);
    };
    const showCredential = (credential) => {
      const id = newId('credential');
      const input = h('input', { id, type: 'text', readonly: true, value: credential, class: 'credential' });
      dlg.dialog.querySelector('form').replaceChildren(
        h('p', {}, t('accountCreated', { name: contact.displayName })),
        h('div', { class: 'field' }, h('label', { for: id }, t('credential')), input),
        h('p', { class: 'warning' }, t('credentialOnce')),
        h(
          'div',
          { class: 'actions' },
          h(
            'button',
            {
              type: 'button',
              class: 'btn',
              onclick: async () => {
                try {
                  await navigator.clipboard.writeText(credential);
                  announce(t('copied'));
                } catch {
                  input.select();
                }
              },
            },
            t('copy'),
          ),
          h('button', { type: 'button', class: 'btn primary', dataset: { action: 'done' }, onclick: () => done(true) }, t('done')),
        ),
      );
      input.focus();
      input.select();
    };
    const form = h(
      'form',
      {
        novalidate: true,
        onsubmit: async (event) => {
          event.preventDefault();
          const permissions = PERMISSIONS.filter((_, i) => boxes[i].input.checked);
          try {
            const payload = (await graphql(ops.CREATE_ACCOUNT, { contactId: contact.id, permissions })).createCustomerAccount;
            if (payload.__typename === 'CustomerAccountCredentialSuccess') showCredential(payload.credential);
            else showPayloadErrors(payload, {}, formError);
          } catch (err) {
            showPayloadErrors({ message: err.message }, {}, formError);
          }
        },
      },
      h('p', {}, t('accountExplained')),
      formError,
      fieldset,
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'submit', class: 'btn primary', dataset: { action: 'create-account' } }, t('createCustomerAccount')),
        h('button', { type: 'button', class: 'btn', onclick: () => done(false) }, t('cancel')),
      ),
    );
    dlg = openDialog({ title: t('customerAccountFor', { name: contact.displayName }), body: form, onEscape: () => done(false) });
  });
}

function contactRow(contact, ctx, reload) {
  const isAdmin = ctx.viewer.role === 'ADMIN';
  const canWrite = ctx.viewer.role === 'ADMIN' || ctx.viewer.role === 'AGENT';
  // MISSING_EMAIL, as Contact.warnings says it: told here from canCommunicate, in the
  // gadget's own words (the tab's query stays small; see operations.js).
  const warning = contact.canCommunicate ? null : { code: 'MISSING_EMAIL', message: t('noEmailWarning') };
  const warningId = warning ? newId('contact-warning') : null;
  const otherRole = contact.role === 'MAIN' ? 'ADDITIONAL' : 'MAIN';
  const moveRole = async () => {
    try {
      const payload = (
        await graphql(ops.UPDATE_CONTACT, { id: contact.id, expectedVersion: contact.version, input: { role: otherRole } })
      ).updateContact;
      if (payload.__typename === 'UpdateContactSuccess') {
        announce(t('movedTo', { name: contact.displayName, group: t(otherRole === 'MAIN' ? 'mainContacts' : 'additionalContacts') }));
        await reload();
      } else {
        ctx.alert(payload.message);
        if (payload.__typename === 'VersionConflictError') await reload();
      }
    } catch (err) {
      ctx.failed(err);
    }
  };
  const remove = async () => {
    const choice = await ask({
      title: t('removeContactTitle'),
      message: t('removeContactMessage', { name: contact.displayName }),
      choices: [
        { label: t('remove'), value: true, danger: true, action: 'confirm-remove' },
        { label: t('cancel'), value: false, focus: true },
      ],
    });
    if (!choice) return;
    try {
      const payload = (await graphql(ops.REMOVE_CONTACT, { id: contact.id })).removeContact;
      if (payload.__typename !== 'RemoveContactSuccess') ctx.alert(payload.message);
      await reload();
    } catch (err) {
      ctx.failed(err);
    }
  };
  return h(
    'li',
    { class: 'contact', dataset: { contactId: contact.id, role: contact.role, version: contact.version } },
    h(
      'div',
      { class: 'contact-main' },
      h('strong', { class: 'contact-name' }, contact.displayName),
      h('span', { class: 'meta' }, [contact.email, contact.phone].filter(Boolean).join(' · ')),
      warning
        ? h('p', { class: 'warning', id: warningId, dataset: { warning: warning.code } }, h('span', { 'aria-hidden': 'true' }, '⚠ '), warning.message)
        : null,
      contact.reminderContact ? h('span', { class: 'tag', dataset: { flag: 'reminder' } }, t('reminderContact')) : null,
      contact.account
        ? h('p', { class: 'meta' }, t(contact.account.enabled ? 'hasAccount' : 'accountDisabled'))
        : null,
    ),
    h(
      'div',
      { class: 'contact-actions' },
      canWrite
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn',
              dataset: { action: 'edit' },
              onclick: async () => {
                if (await openContactForm({ contact })) await reload();
              },
            },
            t('edit'),
            aside(`: ${contact.displayName}`),
          )
        : null,
      canWrite
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn',
              dataset: { action: 'move' },
              onclick: moveRole,
            },
            t(otherRole === 'MAIN' ? 'makeMain' : 'makeAdditional'),
            aside(`: ${contact.displayName}`),
          )
        : null,
      isAdmin && !contact.account
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn',
              dataset: { action: 'account' },
              onclick: async () => {
                if (await openAccountForm(contact)) await reload();
              },
            },
            t('createCustomerAccount'),
            aside(`: ${contact.displayName}`),
          )
        : null,
      canWrite
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn link',
              dataset: { action: 'remove' },
              onclick: remove,
            },
            t('remove'),
            aside(`: ${contact.displayName}`),
          )
        : null,
    ),
  );
}

/** Draws the tab into `panel` from the customer as loaded; `reload` reloads the customer
 *  (and redraws this tab). */
export function renderContactsTab(panel, ctx, customer, reload) {
  const canWrite = ctx.viewer.role === 'ADMIN' || ctx.viewer.role === 'AGENT';
  const group = (key, connection, role) =>
    h(
      'section',
      { class: 'contact-group', 'aria-labelledby': `${key}-title`, dataset: { group: role } },
      h(
        'div',
        { class: 'group-head' },
        h('h3', { id: `${key}-title` }, t(role === 'MAIN' ? 'mainContacts' : 'additionalContacts'), ` (${connection.totalCount})`),
        canWrite
          ? h(
              'button',
              {
                type: 'button',
                class: 'btn primary',
                dataset: { action: role === 'MAIN' ? 'add-main' : 'add-additional' },
                onclick: async () => {
                  if (await openContactForm({ customerId: customer.id, role, customerName: customer.displayName })) await reload();
                },
              },
              t(role === 'MAIN' ? 'addMainContact' : 'addAdditionalContact'),
            )
          : null,
      ),
      h('p', { class: 'hint' }, t(role === 'MAIN' ? 'mainHint' : 'additionalHint')),
      connection.edges.length
        ? h('ul', { class: 'contacts' }, connection.edges.map((e) => contactRow(e.node, ctx, reload)))
        : h('p', { class: 'empty' }, t('noContacts')),
    );
  // Redrawing replaces the buttons: keep the keyboard where it was (the same action on the
  // same contact, else the same add button).
  const active = document.activeElement;
  const row = active && panel.contains(active) ? active.closest('[data-contact-id]') : null;
  const action = active && panel.contains(active) ? active.dataset.action : null;
  panel.replaceChildren(group('main', customer.main, 'MAIN'), group('additional', customer.additional, 'ADDITIONAL'));
  if (action) {
    const selector = row ? `[data-contact-id="${CSS.escape(row.dataset.contactId)}"] [data-action="${action}"]` : `[data-action="${action}"]`;
    const again = panel.querySelector(selector);
    if (again) again.focus();
  }
}
