// Live screening: as the author types, the draft is checked through the API and the
// offending spans are shown with their clause and suggested fix. Works without it too:
// the server screens again on submit and shows the same findings.
(function () {
  const box = document.querySelector("textarea[data-screen]");
  const out = document.getElementById("live-screening");
  if (!box || !out) return;
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  let timer = null, seq = 0;
  const esc = (s) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  function render(text, report) {
    const spans = report.findings.filter((f) => f.end > f.start).sort((a, b) => a.start - b.start);
    let html = "", pos = 0;
    spans.forEach((f, i) => {
      if (f.start < pos) return;
      html += esc(text.slice(pos, f.start)) +
        `<mark class="sev-${f.severity}" title="${esc(f.clause + " " + f.clause_title)}">${esc(text.slice(f.start, f.end))}</mark>`;
      pos = f.end;
    });
    html = `<div class="preview">${html + esc(text.slice(pos))}</div>`;
    html += `<p>Decision: <span class="decision decision-${report.decision}">${report.decision}</span></p>`;
    if (report.findings.length) {
      html += "<ol class=\"findings\">" + report.findings.map((f) =>
        `<li class="finding sev-${f.severity}"><strong>${f.severity}</strong> · <span class="clause">${esc(f.clause + " " + f.clause_title)}</span>` +
        (f.end > f.start ? `: “${esc(f.text)}”` : "") + `<div>${esc(f.explanation)}</div>` +
        `<div class="fix"><span>Suggested fix:</span> ${esc(f.fix)}</div></li>`).join("") + "</ol>";
    }
    out.innerHTML = html;
  }
  async function check() {
    const text = box.value, mine = ++seq;
    if (!text.trim()) { out.innerHTML = ""; return; }
    const res = await fetch("/api/v1/screen", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ text, kind: box.dataset.screen || "official" }),
    });
    if (mine !== seq || !res.ok) return;
    render(text, await res.json());
  }
  box.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, 250); });
  if (box.value.trim()) check();
})();
