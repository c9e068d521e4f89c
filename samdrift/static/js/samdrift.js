// After an htmx swap, move the focus to what the answer marks (`data-focus-after-swap`: the
// message saying what happened), so that keyboard and screen-reader users are not left on <body>.
document.addEventListener("htmx:afterSettle", function (event) {
  var target = event.detail && event.detail.elt ? event.detail.elt.querySelector("[data-focus-after-swap]") : null;
  if (!target) { target = document.querySelector("[data-focus-after-swap]"); }
  if (target) { target.focus(); }
});
