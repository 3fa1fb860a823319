/* Moderation pages: "select all" for bulk actions and the queue's keyboard shortcuts.
 * Plain JavaScript, no framework; every action still works without it. */
(() => {
  "use strict";

  const ready = (fn) => {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  };

  // Text-entry controls keep their keys: shortcuts must never eat what someone types.
  const TYPING = new Set(["text", "search", "email", "number", "password", "url", "tel", "date"]);
  const isTyping = (el) => {
    if (!el || !(el instanceof Element)) return false;
    if (el.isContentEditable) return true;
    const tag = el.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    return tag === "INPUT" && TYPING.has((el.getAttribute("type") || "text").toLowerCase());
  };

  function setUpSelectAll() {
    const all = document.querySelector("[data-select-all]");
    if (!all) return;
    const wrap = document.querySelector("[data-select-all-wrap]");
    if (wrap) wrap.hidden = false;
    const boxes = () => Array.from(document.querySelectorAll(".mod-pick-box"));
    const sync = () => {
      const list = boxes();
      const ticked = list.filter((b) => b.checked).length;
      all.checked = list.length > 0 && ticked === list.length;
      all.indeterminate = ticked > 0 && ticked < list.length;
    };
    all.addEventListener("change", () => {
      boxes().forEach((b) => { b.checked = all.checked; });
      sync();
    });
    document.addEventListener("change", (event) => {
      if (event.target instanceof Element && event.target.classList.contains("mod-pick-box")) sync();
    });
    sync();
  }

  function setUpShortcuts() {
    const help = document.getElementById("mod-shortcuts");
    const queue = document.querySelector("[data-queue]");
    const items = () => Array.from(document.querySelectorAll("[data-queue] .mod-item"));
    let current = null;

    const mark = (item) => {
      if (current === item) return;
      if (current) {
        current.classList.remove("is-current");
        current.removeAttribute("aria-current");
      }
      current = item;
      if (current) {
        current.classList.add("is-current");
        current.setAttribute("aria-current", "true");
      }
    };

    const move = (step) => {
      const list = items();
      if (!list.length) return;
      const at = current ? list.indexOf(current) : -1;
      const next = at < 0 ? (step > 0 ? 0 : list.length - 1)
        : Math.min(list.length - 1, Math.max(0, at + step));
      mark(list[next]);
      list[next].focus();
      list[next].scrollIntoView({ block: "nearest" });
    };

    const press = (key) => {
      if (!current) return;
      const button = current.querySelector(`button[data-key="${key}"]`);
      if (!button || !button.form) return;
      if (typeof button.form.requestSubmit === "function") button.form.requestSubmit(button);
      else button.click();
    };

    const toggle = () => {
      if (!current) return;
      const box = current.querySelector(".mod-pick-box");
      if (!box) return;
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change", { bubbles: true }));
    };

    // Clicking or tabbing into an item makes it the current one.
    document.addEventListener("focusin", (event) => {
      const item = event.target instanceof Element ? event.target.closest("[data-queue] .mod-item") : null;
      if (item) mark(item);
    });

    document.addEventListener("keydown", (event) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (isTyping(event.target)) return;
      if (event.key === "?" && help) {
        help.open = !help.open;
        if (help.open) help.querySelector("summary")?.focus();
        event.preventDefault();
        return;
      }
      if (!queue) return;
      const action = new Map([
        ["j", () => move(1)],
        ["k", () => move(-1)],
        ["a", () => press("a")],
        ["h", () => press("h")],
        ["s", () => press("s")],
        ["x", toggle],
      ]).get(event.key);
      if (!action) return;
      event.preventDefault();
      action();
    });
  }

  function setUpTokenField() {
    document.querySelectorAll("[data-select-on-focus]").forEach((field) => {
      field.addEventListener("focus", () => field.select());
    });
  }

  ready(() => {
    setUpSelectAll();
    setUpShortcuts();
    setUpTokenField();
  });
})();
