/* Modal dialogs: the shared yes/no confirmation (#confirm-dialog), and the "cancel"
 * buttons ([data-close]) of every <dialog> on the page. */
import { $, setText } from "./dom.js";

/** Ask a yes/no question; resolves true when the agent confirms. */
export function confirmDialog(title, text) {
  return new Promise((resolve) => {
    const dialog = $("confirm-dialog");
    setText($("confirm-title"), title);
    setText($("confirm-text"), text);
    dialog.returnValue = "";
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
    dialog.showModal();
    dialog.querySelector("[data-testid=confirm-ok]").focus();
  });
}

for (const button of document.querySelectorAll("dialog [data-close]")) {
  button.addEventListener("click", () => button.closest("dialog").close(""));
}
