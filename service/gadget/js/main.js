// The gadget's entry point: language, sign-in, who is signed in, and the screens by URL
// fragment (#/open-list, #/customers, #/customer/<id>, #/contacts).

import { RequestError, graphql, setToken, token } from './api.js';
import * as customers from './customers.js';
import * as directory from './directory.js';
import { clearAlert, field, formErrorBox, h, setPhoneRegion, setTextLimit, showAlert } from './dom.js';
import { locale, t, translatePage } from './i18n.js';
import * as openList from './open-list.js';
import * as ops from './operations.js';

const main = document.getElementById('main');
const nav = document.querySelector('.tabs');
const who = document.getElementById('who');

let viewer = null;
let cleanup = () => {};

const ctx = {
  get viewer() {
    return viewer;
  },
  navigate(hash) {
    if (window.location.hash === hash) route();
    else window.location.hash = hash;
  },
  alert: showAlert,
  /** A request failed as a whole: sign in again on 401, else say what happened. */
  failed(err) {
    if (err instanceof RequestError && err.status === 401) {
      setToken('');
      viewer = null;
      signIn(err.message);
      return;
    }
    const id = err && err.requestId ? ` (${t('requestId', { id: err.requestId })})` : '';
    showAlert(`${err.message || err}${id}`);
  },
};

function signIn(message = '') {
  cleanup();
  cleanup = () => {};
  nav.hidden = true;
  who.replaceChildren();
  const tokenField = field({ name: 'token', label: t('accessToken'), type: 'password', hint: t('accessTokenHint'), autocomplete: 'current-password' });
  const formError = formErrorBox();
  if (message) tokenField.showError(message);
  main.replaceChildren(
    h(
      'section',
      { class: 'screen sign-in', 'aria-labelledby': 'sign-in-title' },
      h('h2', { id: 'sign-in-title' }, t('signIn')),
      h(
        'form',
        {
          novalidate: true,
          onsubmit: async (event) => {
            event.preventDefault();
            setToken(tokenField.input.value.trim());
            await start();
          },
        },
        formError,
        tokenField.row,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary', dataset: { action: 'sign-in' } }, t('signIn'))),
      ),
    ),
  );
  tokenField.input.focus();
}

async function start() {
  clearAlert();
  try {
    const data = await graphql(ops.VIEWER);
    viewer = data.viewer;
    setTextLimit(data.limits?.textLength);
    setPhoneRegion(data.limits?.phoneRegion);
  } catch (err) {
    if (err instanceof RequestError && err.status === 401) {
      const hadToken = Boolean(token());
      setToken('');
      signIn(hadToken ? err.message : '');
      return;
    }
    showAlert(err.message);
    return;
  }
  if (viewer.role === 'CUSTOMER') {
    // The screens are for staff; a customer account sees only its own customer.
    main.replaceChildren(h('section', { class: 'screen' }, h('h2', {}, t('staffOnly'))));
    return;
  }
  nav.hidden = false;
  who.replaceChildren(
    ...[
      h('span', { class: 'viewer', id: 'viewer' }, t('signedInAs', { id: viewer.id, role: t(`roleName_${viewer.role}`) })),
      token()
      ? h(
          'button',
          {
            type: 'button',
            class: 'btn link',
            onclick: () => {
              setToken('');
              viewer = null;
              signIn();
            },
          },
            t('signOut'),
          )
        : null,
    ].filter(Boolean),
  );
  route();
}

function route() {
  if (!viewer) return;
  cleanup();
  clearAlert();
  const [path, query = ''] = (window.location.hash.replace(/^#/, '') || '/open-list').split('?');
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean);
  const screen = parts[0] || 'open-list';
  for (const link of nav.querySelectorAll('a')) {
    if (link.dataset.route === screen || (screen === 'customer' && link.dataset.route === 'customers')) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (screen === 'customers') cleanup = customers.renderPane(main, ctx);
  else if (screen === 'customer' && parts[1]) cleanup = customers.renderCustomer(main, ctx, decodeURIComponent(parts[1]), params);
  else if (screen === 'contacts') cleanup = directory.render(main, ctx);
  else cleanup = openList.render(main, ctx);
  const title = main.querySelector('h2');
  document.title = `${title ? `${title.textContent} · ` : ''}${t('appName')}`;
}

window.addEventListener('hashchange', () => {
  route();
  // A new screen: move the keyboard and screen reader to it.
  main.focus();
});

document.documentElement.lang = locale();
translatePage();
start();
