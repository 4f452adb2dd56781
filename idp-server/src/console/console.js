// Progressive enhancement for the console and the account page, served by
// the binary (no inline script): a copy button beside a one-time secret.
// Every page works without it: the secret can be selected and copied by
// hand (the button stays hidden), and destructive actions confirm on a
// page of their own, not in a dialog.
"use strict";
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy]");
  if (!button) return;
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    button.textContent = "Copied";
  });
});
document.querySelectorAll("button[data-copy]").forEach(function (b) {
  b.hidden = false;
});
