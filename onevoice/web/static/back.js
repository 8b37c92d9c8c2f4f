// "Go back" on the error page: the previous page when there is one, else the link's own address.
// A file, not an inline handler: the pages' Content-Security-Policy runs no inline script.
document.querySelectorAll("a[data-back]").forEach((link) => {
  link.addEventListener("click", (event) => {
    if (window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
});
