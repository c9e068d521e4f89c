// After an htmx swap, move the focus to what the answer marks (`data-focus-after-swap`: the
// message saying what happened), so that keyboard and screen-reader users are not left on <body>.
document.addEventListener("htmx:afterSettle", function (event) {
  var target = event.detail && event.detail.elt ? event.detail.elt.querySelector("[data-focus-after-swap]") : null;
  if (!target) { target = document.querySelector("[data-focus-after-swap]"); }
  if (target) { target.focus(); }
});

// A download that can take a while (an invoice PDF made the first time): `data-sd-download` on a
// link shows that the file is being made, in the link's live region (`data-sd-status`: the id of
// a role="status" element), fetches it and saves it under its own name. Without JavaScript, or if
// the answer is not the file (an error page), the link is followed as an ordinary link.
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("a[data-sd-download]") : null;
  if (!link || event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
  if (!window.fetch || !window.URL || !URL.createObjectURL) { return; }
  event.preventDefault();
  if (link.getAttribute("aria-busy") === "true") { return; }
  var status = document.getElementById(link.getAttribute("data-sd-status"));
  var say = function (text) { if (status) { status.textContent = text; } };
  link.setAttribute("aria-busy", "true");
  link.classList.add("disabled");
  say(link.getAttribute("data-sd-busy"));
  var done = function () { link.removeAttribute("aria-busy"); link.classList.remove("disabled"); };
  fetch(link.href, { credentials: "same-origin" }).then(function (response) {
    var type = response.headers.get("Content-Type") || "";
    if (!response.ok || type.indexOf(link.getAttribute("data-sd-download")) !== 0) {
      done(); window.location.href = link.href; return null;  // an error page: show it as a page
    }
    var disposition = response.headers.get("Content-Disposition") || "";
    var name = (disposition.match(/filename="?([^";]+)"?/) || [])[1] || "";
    return response.blob().then(function (blob) {
      var url = URL.createObjectURL(blob), save = document.createElement("a");
      save.href = url; save.download = name; document.body.appendChild(save); save.click(); save.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
      done(); say(link.getAttribute("data-sd-done"));
    });
  }).catch(function () { done(); say(link.getAttribute("data-sd-failed")); });
});
