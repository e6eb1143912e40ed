// A minimal SMTP receiver for browser tests: enough of RFC 5321 for Kluis's client without TLS
// on loopback. Kluis delivers to it through a real SMTP conversation; tests read what arrived.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';

// startSMTPCapture listens on a free loopback port and returns { port, received, waitForMail, close }.
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
  return {
    port: smtp.address().port,
    received,
    // waitForMail waits for the n-th mail to address (the mail job runs every 30 s).
    async waitForMail(address, n) {
      for (let i = 0; i < 150; i++) {
        const mine = received.filter((m) => m.to.includes(address));
        if (mine.length >= n) return mine[n - 1].data;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(`no mail ${n} to ${address}`);
    },
    close() { smtp.close(); },
  };
}

// unQP undoes quoted-printable soft line breaks and the escapes a link or code may carry.
export function unQP(data) {
  return data.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

// codeOf finds the six-digit one-time code on a line of its own.
export function codeOf(data) {
  const m = unQP(data).match(/^\s*(\d{6})\s*$/m);
  assert.ok(m, `no code in ${data}`);
  return m[1];
}
