// The sign-up form's proof of work (idp_core::signup::pow): find a nonce
// such that SHA-256(challenge ":" nonce) starts with `bits` zero bits, put
// it in the form's `pow_nonce` field, and submit once it is found. Served
// by the server at {BASE_URL}/signup/pow.js under a CSP that allows only
// this file; no inline script, no third party, no network request.
(function () {
  "use strict";
  var K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ]);
  var W = new Int32Array(64);

  // One SHA-256 compression of the 64 bytes at `off` into state `h`.
  function block(h, bytes, off) {
    var i, t1, t2, a, b, c, d, e, f, g, k, x, y;
    for (i = 0; i < 16; i++) {
      W[i] = (bytes[off + 4 * i] << 24) | (bytes[off + 4 * i + 1] << 16) |
        (bytes[off + 4 * i + 2] << 8) | bytes[off + 4 * i + 3];
    }
    for (i = 16; i < 64; i++) {
      x = W[i - 15]; y = W[i - 2];
      W[i] = (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) +
        W[i - 7] + (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) +
        W[i - 16] | 0;
    }
    a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4]; f = h[5]; g = h[6]; k = h[7];
    for (i = 0; i < 64; i++) {
      t1 = k + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
        ((e & f) ^ (~e & g)) + K[i] + W[i] | 0;
      t2 = (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) +
        ((a & b) ^ (a & c) ^ (b & c)) | 0;
      k = g; g = f; f = e; e = d + t1 | 0; d = c; c = b; b = a; a = t1 + t2 | 0;
    }
    h[0] = h[0] + a | 0; h[1] = h[1] + b | 0; h[2] = h[2] + c | 0; h[3] = h[3] + d | 0;
    h[4] = h[4] + e | 0; h[5] = h[5] + f | 0; h[6] = h[6] + g | 0; h[7] = h[7] + k | 0;
  }

  function ascii(s) {
    var out = new Uint8Array(s.length), i;
    for (i = 0; i < s.length; i++) { out[i] = s.charCodeAt(i) & 0xff; }
    return out;
  }

  // A solver for one challenge: the whole 64-byte blocks of the prefix
  // are hashed once (the midstate); each try hashes only the tail.
  function Solver(challenge, bits) {
    var prefix = ascii(challenge + ":");
    var whole = prefix.length - (prefix.length % 64);
    this.mid = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    for (var off = 0; off < whole; off += 64) { block(this.mid, prefix, off); }
    this.rest = prefix.subarray(whole);
    this.total = prefix.length;
    this.bits = bits;
    this.h = new Int32Array(8);
    this.buf = new Uint8Array(128);
  }

  // Whether `nonce` (a decimal string) solves the challenge.
  Solver.prototype.tries = function (nonce) {
    var buf = this.buf, h = this.h, n = this.rest.length, i, len, bitLen, blocks;
    buf.fill(0);
    buf.set(this.rest, 0);
    for (i = 0; i < nonce.length; i++) { buf[n + i] = nonce.charCodeAt(i); }
    len = n + nonce.length;
    buf[len] = 0x80;
    blocks = len + 9 <= 64 ? 1 : 2;
    bitLen = (this.total + nonce.length) * 8;
    buf[blocks * 64 - 4] = (bitLen >>> 24) & 0xff;
    buf[blocks * 64 - 3] = (bitLen >>> 16) & 0xff;
    buf[blocks * 64 - 2] = (bitLen >>> 8) & 0xff;
    buf[blocks * 64 - 1] = bitLen & 0xff;
    h.set(this.mid);
    block(h, buf, 0);
    if (blocks === 2) { block(h, buf, 64); }
    var need = this.bits, word = 0;
    while (need >= 32) { if (h[word] !== 0) { return false; } need -= 32; word++; }
    return need === 0 || (h[word] >>> (32 - need)) === 0;
  };

  function start() {
    var form = document.getElementById("signup-form");
    var field = document.getElementById("pow_nonce");
    var status = document.getElementById("pow-status");
    if (!form || !field) { return; }
    var solver = new Solver(form.getAttribute("data-challenge") || "",
      parseInt(form.getAttribute("data-bits") || "0", 10));
    var counter = 0, found = false, submitting = false;
    if (status) { status.textContent = "Checking that this is a browser, not a script\u2026"; }
    function work() {
      var until = Date.now() + 40;
      while (Date.now() < until) {
        for (var i = 0; i < 2000; i++, counter++) {
          if (solver.tries(String(counter))) {
            field.value = String(counter);
            found = true;
            if (status) { status.textContent = "Ready."; }
            if (submitting) { form.submit(); }
            return;
          }
        }
      }
      setTimeout(work, 0);
    }
    form.addEventListener("submit", function (event) {
      if (!found) {
        event.preventDefault();
        submitting = true;
        if (status) { status.textContent = "Almost ready: the form is sent in a moment\u2026"; }
      }
    });
    setTimeout(work, 0);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
