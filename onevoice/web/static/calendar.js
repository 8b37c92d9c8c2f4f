// Drag a scheduled post onto another day of the calendar: it moves there and keeps its time of
// day. The drop posts the page's hidden form (with the CSRF token); the server answers with the
// calendar again. Without this script, the agenda's date-time fields do the same.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("cal-move");
  if (!form) return;
  let dragged = null;
  document.querySelectorAll(".cal-post[draggable=true]").forEach(post => {
    post.addEventListener("dragstart", ev => {
      dragged = post.dataset.draft;
      ev.dataTransfer.effectAllowed = "move";
      ev.dataTransfer.setData("text/plain", dragged);
      post.classList.add("cal-dragging");
    });
    post.addEventListener("dragend", () => post.classList.remove("cal-dragging"));
  });
  document.querySelectorAll(".cal-day[data-day]").forEach(day => {
    day.addEventListener("dragover", ev => {
      if (!dragged) return;
      ev.preventDefault();
      ev.dataTransfer.dropEffect = "move";
      day.classList.add("cal-drop");
    });
    day.addEventListener("dragleave", () => day.classList.remove("cal-drop"));
    day.addEventListener("drop", ev => {
      ev.preventDefault();
      day.classList.remove("cal-drop");
      const id = dragged || ev.dataTransfer.getData("text/plain");
      dragged = null;
      if (!id || !/^\d+$/.test(id)) return;
      const from = document.querySelector(`.cal-post[data-draft="${id}"]`);
      if (from && from.closest(".cal-day") === day) return;  // dropped where it was
      form.action = `/calendar/posts/${id}/reschedule`;
      form.elements.day.value = day.dataset.day;
      form.submit();
    });
  });
});
