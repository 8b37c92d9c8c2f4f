// The composer and a draft's edit form, as the author types: the length counter for the channel's
// platform, the preview of the post, and the screening panel, asked of the server (/drafts/check)
// through the same check as the Check button, so it shows what saving would find. Everything here
// also works without this script: the server counts, previews, screens and asks for confirmation.
(function () {
  const form = document.querySelector("form[data-check]");
  const box = form && form.querySelector("textarea[data-screen]");
  const out = document.getElementById("live-screening");
  if (!form || !box || !out) return;
  const channel = form.querySelector("select[name=channel]");  // the composer; a saved draft keeps its channel
  const counter = document.getElementById("counter");
  const counterStatus = document.getElementById("counter-status");
  const status = document.getElementById("screening-status");
  const csrf = form.querySelector("input[name=csrf_token]")?.value || "";
  // The server gives the limits (limits.LIMITS) and the link pattern: nothing is typed again here.
  const links = box.dataset.urlPattern ? new RegExp(box.dataset.urlPattern, "gu") : null;
  const graphemes = "Segmenter" in Intl ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;
  let timer = null, seq = 0, checkedText = null, wasOver = null;

  function rules() {
    const src = channel ? channel.selectedOptions[0] : box;
    if (!src || !src.dataset.maxChars) return null;
    return { platform: src.dataset.platform, handle: src.dataset.handle, max: Number(src.dataset.maxChars),
             urlLength: src.dataset.urlLength ? Number(src.dataset.urlLength) : null,
             graphemes: src.dataset.graphemes === "yes" };
  }

  // As limits.text_length counts: graphemes (Bluesky), or code points with every link as urlLength (Mastodon).
  function length(text, r) {
    if (r.graphemes) return graphemes ? [...graphemes.segment(text)].length : [...text].length;
    if (r.urlLength !== null && links) text = text.replace(links, "x".repeat(r.urlLength));
    return [...text].length;
  }

  const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  function span(cls, text) { const e = document.createElement("span"); e.className = cls; e.textContent = text; return e; }

  function count() {
    const r = rules();
    if (!counter || !r) return;
    const n = length(box.value, r), over = n - r.max, unit = r.graphemes ? "graphemes" : "characters";
    const rule = r.urlLength !== null ? `: every link counts as ${r.urlLength}` : r.graphemes ? ": an emoji counts as one" : "";
    counter.replaceChildren(span("count", `${n} of ${r.max} ${unit}`), " · ",
      span("counter-note", over > 0 ? `${over} over the limit` : `${-over} left`), " ",
      span("counter-rule hint", `(${cap(r.platform)}${rule})`));
    counter.classList.toggle("over", over > 0);
    if (wasOver !== null && wasOver !== over > 0 && counterStatus) {  // say it when the limit is crossed, not on every key
      counterStatus.textContent = over > 0 ? `Over the ${cap(r.platform)} limit by ${over} ${unit}.` : `Within the ${cap(r.platform)} limit again.`;
    }
    wasOver = over > 0;
  }

  // The post as it will look, drawn at once; the marks of the findings come back with the next check.
  function linked(target, text) {
    let pos = 0;
    target.replaceChildren();
    if (links) {
      for (const m of text.matchAll(links)) {
        target.append(text.slice(pos, m.index));
        const a = document.createElement("a");
        a.href = m[0]; a.textContent = m[0]; a.rel = "noopener noreferrer nofollow"; a.target = "_blank";
        target.append(a);
        pos = m.index + m[0].length;
      }
    }
    target.append(text.slice(pos));
  }

  function images() {
    const url = form.querySelector("[name=image1_url]");
    if (!url) return null;
    if (!url.value.trim()) return [];
    return [{ alt: form.querySelector("[name=image1_alt]").value.trim(),
              credit: form.querySelector("[name=image1_credit]").value.trim() }];
  }

  function preview() {
    const r = rules(), view = out.querySelector(".preview");
    if (!view) return;
    if (box.value.trim()) linked(view, box.value);
    else view.replaceChildren(span("hint", "Your post appears here as you write it."));
    const title = out.querySelector(".post-preview h3"), handle = out.querySelector(".post-handle");
    if (r && title) title.textContent = `Preview on ${cap(r.platform)}`;
    if (r && handle) handle.textContent = "@" + r.handle.replace(/^@/, "");
    const shown = images(), holder = out.querySelector(".post-images");
    if (shown && holder) {
      holder.replaceChildren(...shown.map((a) => {
        const p = document.createElement("p");
        p.className = "post-image";
        p.append(span("post-image-label", "Image"), " ");
        if (a.alt) p.append(`alt text: “${a.alt}”`);
        else { const s = document.createElement("strong"); s.className = "error"; s.textContent = "no alt text"; p.append(s); }
        if (a.credit) p.append(` · credit: ${a.credit}`);
        return p;
      }));
    }
  }

  function say(text) { if (status) status.textContent = text; }

  async function check() {
    const text = box.value, mine = ++seq;
    const body = new URLSearchParams({ csrf_token: csrf, text });
    if (form.dataset.draft) body.set("draft", form.dataset.draft);
    for (const name of ["channel", "image1_url", "image1_alt", "image1_credit"]) {
      const field = form.querySelector(`[name=${name}]`);
      if (field) body.set(name, field.value);
    }
    const confirm = out.querySelector("input[name=confirm_block]");
    if (confirm && confirm.checked) body.set("confirm_block", "yes");
    let res;
    try {
      res = await fetch(form.dataset.check, { method: "POST", credentials: "same-origin", body,
                                              headers: { "X-CSRF-Token": csrf, Accept: "text/html" } });
    } catch (e) {
      if (mine === seq) say("The live check is not reachable; the draft is screened when you save or submit it.");
      return;
    }
    const html = await res.text();
    if (mine !== seq || box.value !== text) return;  // an answer for text that has changed since
    if (!html.includes("screening-panel")) {  // not the panel: a whole error page (an expired form, say)
      say("The live check could not run: reload the page. The draft is still screened when you save or submit it.");
      return;
    }
    out.innerHTML = html;  // the server's own panel, escaped by its templates
    checkedText = text;
    const panel = out.querySelector(".screening-panel"), decision = panel && panel.dataset.decision;
    const badge = document.getElementById("decision-badge");
    if (badge && decision) { badge.textContent = decision; badge.className = `decision decision-${decision}`; }
    const note = document.getElementById("screening-of");
    if (note) note.textContent = "Screening of your changes below, not saved yet.";
    const found = out.querySelectorAll("ol.findings > li").length;
    say(decision ? `Screening: ${decision}, ${found === 1 ? "1 finding" : `${found} findings`}.` : "");
  }

  function changed() {
    count();
    preview();
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  }

  // Finding offsets count code points (Python's); a text box counts UTF-16 units.
  function unitIndex(text, points) {
    let i = 0, n = 0;
    for (const ch of text) { if (n === points) break; i += ch.length; n += 1; }
    return i;
  }

  out.addEventListener("click", (event) => {
    const button = event.target.closest("button.fix-button");
    if (!button) return;
    event.preventDefault();
    const text = box.value, start = unitIndex(text, Number(button.dataset.start)), end = unitIndex(text, Number(button.dataset.end));
    if (checkedText !== null && checkedText !== text || text.slice(start, end) !== button.dataset.text) {
      say("The text changed since it was checked: wait for the new check, then apply the fix.");
      return;
    }
    box.value = text.slice(0, start) + button.dataset.redaction + text.slice(end);
    box.focus();
    box.setSelectionRange(start, start + button.dataset.redaction.length);
    say(`Fix applied: “${button.dataset.text}” is now ${button.dataset.redaction}. Check the sentence still reads well.`);
    changed();
  });

  form.addEventListener("submit", (event) => {
    const action = event.submitter && event.submitter.value;
    if (action === "check") { event.preventDefault(); clearTimeout(timer); check(); return; }
    // The server asks again in any case; this saves the round trip when the panel is current.
    const confirm = out.querySelector("input[name=confirm_block]");
    if (action === "submit" && confirm && !confirm.checked && checkedText === box.value) {
      event.preventDefault();
      confirm.closest(".block-confirm").classList.add("attention");
      confirm.focus();
      say("This will need the chair's override: tick the box to submit it anyway, or fix it first.");
    }
  });

  box.addEventListener("input", changed);
  for (const field of form.querySelectorAll("select[name=channel], [name^=image1_]")) field.addEventListener("input", changed);
  count();
  wasOver = counter && counter.classList.contains("over");
  // A composer opened with text (sent back by the server) that no check has screened yet.
  const panel = out.querySelector(".screening-panel");
  if (!form.dataset.draft && box.value.trim() && panel && !panel.dataset.decision) check();
  else if (panel && panel.dataset.decision) checkedText = box.value;
})();
