/* Private notes on the open conversation (#notes-panel): the list and the form that
 * adds one (POST /api/conversations/{id}/notes; Ctrl/⌘+Enter submits). Customers never
 * see notes. */
import { $, clear, h } from "../core/dom.js";
import { api, errorText } from "../core/api.js";
import { clock, parseTime } from "../core/format.js";
import { emit, state } from "../core/store.js";
import { toast } from "../core/toast.js";

/** Draw the notes of state.current. */
export function renderNotes() {
  const list = $("notes-list");
  clear(list);
  const notes = (state.current && state.current.notes) || [];
  if (!notes.length) list.appendChild(h("li", { class: "empty-note muted" }, "暂无备注"));
  for (const note of notes) {
    list.appendChild(h("li", { "data-testid": "note" },
      h("div", { class: "note-meta" }, (note.agent || "系统") + " · " + clock(parseTime(note.created_at))),
      h("div", { class: "note-text" }, note.text || "")));
  }
  list.scrollTop = list.scrollHeight;
}

async function addNote(event) {
  event.preventDefault();
  const cur = state.current;
  const input = $("note-input");
  const text = input.value.trim();
  if (!cur || !text) return;
  try {
    const data = await api("POST", "/api/conversations/" + encodeURIComponent(cur.id) + "/notes", { text });
    input.value = "";
    const note = data && (data.note || (data.text ? data : null));
    if (note && state.current && state.current.id === cur.id) {
      state.current.notes.push(note);
      renderNotes();
    } else {
      emit("current:stale");
    }
    toast("备注已保存");
  } catch (error) {
    toast(errorText(error, "备注保存失败"), "error");
  }
}

$("note-form").addEventListener("submit", addNote);
$("note-input").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    $("note-form").requestSubmit();
  }
});
