// Keeps the acknowledge countdowns ("due in 14 min", "overdue by 5 min") current while the page
// is open. The server writes the same words at load time, so without this script they are right
// as of then; each <time class="countdown"> carries its deadline in `datetime`.
(() => {
  function amount(seconds) {
    const n = Math.abs(seconds);
    if (n < 3600) return `${Math.floor(n / 60)} min`;
    if (n < 48 * 3600) return `${Math.floor(n / 3600)} h`;
    return `${Math.floor(n / 86400)} days`;
  }
  function words(deadline, now) {
    const seconds = (deadline - now) / 1000;
    if (Math.abs(seconds) < 60) return "due now";
    return seconds > 0 ? `due in ${amount(seconds)}` : `overdue by ${amount(seconds)}`;
  }
  function tick() {
    const now = Date.now();
    for (const el of document.querySelectorAll("time.countdown[datetime]")) {
      let iso = el.getAttribute("datetime");
      if (!/[zZ]|[+-]\d\d:\d\d$/.test(iso)) iso += "Z";  // stored times are UTC
      const deadline = Date.parse(iso);
      if (Number.isNaN(deadline)) continue;
      const text = words(deadline, now);
      if (el.textContent !== text) el.textContent = text;
      el.classList.toggle("overdue", deadline <= now);
    }
  }
  document.addEventListener("DOMContentLoaded", () => {
    tick();
    setInterval(tick, 15000);
  });
})();
