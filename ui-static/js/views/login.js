// The login page: a local account's name and password, POST /api/v1/session. The server answers
// with the HttpOnly `ferry_session` cookie; the token in the body is not kept anywhere.
import { api } from '../api.js';
import { h, replace, setText } from '../dom.js';

export function mount(container, params) {
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const username = h('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'btn primary' }, 'Log in');
  const form = h('form', { class: 'login-form', novalidate: true },
    h('h1', null, 'Log in to Ferry'),
    params.notice ? h('p', { class: 'notice' }, params.notice) : null,
    h('label', { for: 'login-username' }, 'Username'), username,
    h('label', { for: 'login-password' }, 'Password'), password,
    error, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.hidden = true;
    if (!username.value || !password.value) {
      setText(error, 'Enter a username and a password.');
      error.hidden = false;
      return;
    }
    submit.disabled = true;
    setText(submit, 'Logging in…');
    try {
      await api.login(username.value, password.value);
      password.value = '';
      await params.onLogin();
    } catch (err) {
      setText(error, err.status === 401 ? 'Wrong username or password.' : err.message);
      error.hidden = false;
      submit.disabled = false;
      setText(submit, 'Log in');
      password.focus();
    }
  });
  replace(container, h('section', { class: 'login' }, form));
  username.focus();
  return { unmount() {} };
}
