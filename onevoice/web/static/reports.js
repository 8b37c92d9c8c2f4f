// While a report is being made, the reports page fetches itself every two seconds, puts the
// rows that changed in place (their progress, then their files) and says in the page's status
// message when a report is done or failed. Without this script the page says to refresh it;
// either way every word comes from the server.
(() => {
  const EVERY_MS = 2000;
  const GIVE_UP_MS = 30 * 60 * 1000; // a report that long has stalled; the page says so on a refresh

  const running = () => document.querySelectorAll("tr[data-state=running]").length > 0;

  function say(text) {
    // The flash ("Report … is being made") is a status message already: it becomes the news.
    const target = document.querySelector("main .flash[role=status]") || document.getElementById("report-news");
    if (!target) return;
    target.classList.remove("sr-only");
    target.textContent = text;
  }

  async function poll(started) {
    let response;
    try {
      response = await fetch(window.location.pathname, { headers: { accept: "text/html" }, credentials: "same-origin" });
    } catch (err) {
      setTimeout(() => poll(started), EVERY_MS * 2); // the server restarting: try again a little later
      return;
    }
    if (!response.ok) return; // signed out or gone: the rows stay as they are, a refresh tells why
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    const news = [];
    for (const row of fresh.querySelectorAll("tr[data-period]")) {
      const old = document.querySelector(`tr[data-period="${CSS.escape(row.dataset.period)}"]`);
      if (!old || (old.dataset.state === row.dataset.state && old.dataset.progress === row.dataset.progress)) continue;
      if (old.dataset.state === "running" && row.dataset.state !== "running") news.push(row.dataset.announce);
      old.replaceWith(document.adoptNode(row));
    }
    if (news.length) say(news.join(" "));
    if (running() && Date.now() - started < GIVE_UP_MS) setTimeout(() => poll(started), EVERY_MS);
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!running()) return;
    const hint = document.getElementById("report-refresh");
    if (hint) hint.hidden = true; // the rows keep themselves up to date
    setTimeout(() => poll(Date.now()), EVERY_MS);
  });
})();
