// Upload progress for the admin's import form (htmx fires htmx:xhr:progress while sending).
document.addEventListener("htmx:xhr:progress", function (event) {
  var bar = document.getElementById("upload-progress");
  if (bar && event.detail.lengthComputable) {
    bar.hidden = false;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  }
});

// After a form answers with the workspace, the message about what happened is next to the card acted
// on (data-focus): bring it into view and give it the focus, so nobody has to look for it 2,000 px up.
// An undo offer (data-expires, seconds) goes away when its time is up.
// (An outerHTML swap replaces the element the event names, so the page is searched instead.)
document.addEventListener("htmx:afterSettle", function () {
  var message = document.querySelector("#workspace [data-focus]");
  if (message && message !== document.activeElement) {
    message.scrollIntoView({ block: "center" });
    message.focus({ preventScroll: true });
  }
  document.querySelectorAll("[data-expires]:not([data-timer])").forEach(function (offer) {
    offer.setAttribute("data-timer", "on");
    setTimeout(function () { offer.remove(); }, 1000 * Number(offer.getAttribute("data-expires")));
  });
});
