// Passkeys (WebAuthn) for Kluis: shows the passkey parts of a page (hidden
// without this script or without WebAuthn in the browser) and runs a
// ceremony when their button is pressed: POST data-options (JSON) → the
// options for navigator.credentials, then POST data-finish with the
// browser's answer → {"redirect": "…"}. Errors come back as
// {"error": "<localized message>", "field": "<id>"}.
//
// Markup: <div data-passkey hidden data-msg-cancelled="…"> holding a
// <button data-passkey-action="register|mfa|login" data-options="…"
// data-finish="…" data-next="…">, a [data-passkey-error] paragraph and,
// for register, an input#passkey_name.
(function () {
  'use strict';
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function decode(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function encode(buf) {
    var bytes = new Uint8Array(buf);
    var s = '';
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function ids(list) {
    (list || []).forEach(function (c) { c.id = decode(c.id); });
  }

  function credentialJSON(cred) {
    var r = cred.response;
    var out = {
      id: cred.id,
      rawId: encode(cred.rawId),
      type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: encode(r.clientDataJSON) },
    };
    if (cred.authenticatorAttachment) out.authenticatorAttachment = cred.authenticatorAttachment;
    if (r.attestationObject) {
      out.response.attestationObject = encode(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    }
    if (r.authenticatorData) {
      out.response.authenticatorData = encode(r.authenticatorData);
      out.response.signature = encode(r.signature);
      if (r.userHandle) out.response.userHandle = encode(r.userHandle);
    }
    return out;
  }

  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body || {}),
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) {
          var err = new Error(data.error || '');
          err.server = true;
          err.field = data.field || '';
          throw err;
        }
        return data;
      });
    });
  }

  function setup(block) {
    var button = block.querySelector('[data-passkey-action]');
    var errorEl = block.querySelector('[data-passkey-error]');
    var nameInput = block.querySelector('#passkey_name');
    if (!button || !errorEl) return;
    var kind = button.getAttribute('data-passkey-action');
    block.hidden = false;

    function showError(message, field) {
      errorEl.textContent = message;
      errorEl.hidden = false;
      if (nameInput) {
        var onName = field === 'passkey_name';
        nameInput.setAttribute('aria-invalid', onName ? 'true' : 'false');
        var describedBy = 'passkey_name-hint' + (onName ? ' passkey-error-' + kind : '');
        nameInput.setAttribute('aria-describedby', describedBy);
        if (onName) nameInput.focus();
      }
    }

    button.addEventListener('click', function () {
      errorEl.hidden = true;
      errorEl.textContent = '';
      button.disabled = true;
      var body = { next: button.getAttribute('data-next') || '' };
      if (nameInput) body.name = nameInput.value;
      post(button.getAttribute('data-options'), body)
        .then(function (opts) {
          var pk = opts.publicKey;
          pk.challenge = decode(pk.challenge);
          if (kind === 'register') {
            pk.user.id = decode(pk.user.id);
            ids(pk.excludeCredentials);
            return navigator.credentials.create({ publicKey: pk });
          }
          ids(pk.allowCredentials);
          return navigator.credentials.get({ publicKey: pk });
        })
        .then(function (cred) {
          body.credential = credentialJSON(cred);
          return post(button.getAttribute('data-finish'), body);
        })
        .then(function (done) {
          window.location.assign(done.redirect);
        })
        .catch(function (err) {
          button.disabled = false;
          showError(err.server && err.message ? err.message : block.getAttribute('data-msg-cancelled'), err.field);
        });
    });
  }

  document.querySelectorAll('[data-passkey]').forEach(setup);
})();
