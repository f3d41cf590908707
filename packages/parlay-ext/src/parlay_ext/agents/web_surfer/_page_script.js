// Injected into every page the web surfer opens. It numbers the elements a person could
// interact with (the "set of marks"), and reports their boxes, the viewport, the focused
// element, the visible text and the page's metadata to Python. Evaluating it twice is harmless.
window.__parlaySurfer = window.__parlaySurfer || (function () {
  const ID_ATTRIBUTE = "data-parlay-id";
  let nextId = 1;

  const INTERACTIVE_SELECTOR = [
    "a[href]", "area[href]", "button", "input:not([type=hidden])", "select", "textarea",
    "summary", "[onclick]", "[contenteditable=''], [contenteditable=true]",
    "[tabindex]:not([tabindex='-1'])",
  ].join(", ");
  const INTERACTIVE_ROLES = new Set([
    "button", "checkbox", "combobox", "gridcell", "link", "listbox", "menu", "menuitem",
    "menuitemcheckbox", "menuitemradio", "option", "radio", "scrollbar", "searchbox", "slider",
    "spinbutton", "switch", "tab", "textbox", "treeitem",
  ]);
  const INPUT_ROLES = {
    button: "button", submit: "button", reset: "button", image: "button",
    checkbox: "checkbox", radio: "radio", range: "slider", number: "spinbutton",
    search: "searchbox", email: "textbox", tel: "textbox", text: "textbox", url: "textbox",
    password: "textbox", date: "textbox", "datetime-local": "textbox", month: "textbox",
    time: "textbox", week: "textbox", file: "button", color: "button",
  };

  function roleOf(element) {
    const explicit = element.getAttribute("role");
    if (explicit) return explicit;
    const tag = element.tagName.toLowerCase();
    if (tag === "a" || tag === "area") return "link";
    if (tag === "button" || tag === "summary") return "button";
    if (tag === "select") return "combobox";
    if (tag === "textarea") return "textbox";
    if (tag === "input") return INPUT_ROLES[(element.getAttribute("type") || "text").toLowerCase()] || "textbox";
    if (element.isContentEditable) return "textbox";
    return "";
  }

  function clean(text) {
    return (text || "").replace(/\s+/g, " ").trim().slice(0, 120);
  }

  // The accessible name, approximately: what a screen reader would announce.
  function nameOf(element) {
    const label = element.getAttribute("aria-label");
    if (label) return clean(label);
    const labelledBy = element.getAttribute("aria-labelledby");
    if (labelledBy) {
      const parts = labelledBy.split(/\s+/).map((id) => document.getElementById(id)).filter(Boolean);
      if (parts.length) return clean(parts.map((part) => part.innerText).join(" "));
    }
    if (element.labels && element.labels.length) {
      return clean(Array.from(element.labels).map((l) => l.innerText).join(" "));
    }
    const tag = element.tagName.toLowerCase();
    if (tag === "input") {
      const type = (element.getAttribute("type") || "text").toLowerCase();
      if (["button", "submit", "reset"].includes(type)) return clean(element.value || type);
      return clean(element.getAttribute("placeholder") || element.getAttribute("title") || element.getAttribute("name"));
    }
    if (tag === "select") {
      const chosen = element.selectedOptions && element.selectedOptions[0];
      return clean(element.getAttribute("title") || element.getAttribute("name") || (chosen ? chosen.text : ""));
    }
    if (tag === "img") return clean(element.getAttribute("alt"));
    return clean(element.innerText || element.getAttribute("title") || element.getAttribute("alt"));
  }

  function isShown(element) {
    const style = window.getComputedStyle(element);
    if (style.visibility === "hidden" || style.display === "none" || Number(style.opacity) === 0) return false;
    return element.getClientRects().length > 0;
  }

  function isScrollable(element) {
    const overflow = window.getComputedStyle(element).overflowY;
    return (overflow === "auto" || overflow === "scroll") && element.scrollHeight > element.clientHeight;
  }

  function interactiveElements() {
    const found = new Set(document.querySelectorAll(INTERACTIVE_SELECTOR));
    for (const element of document.querySelectorAll("[role]")) {
      if (INTERACTIVE_ROLES.has(element.getAttribute("role"))) found.add(element);
    }
    // Scrollable boxes (menus, panes) can be scrolled by id, so they get an id too.
    for (const element of document.querySelectorAll("div, ul, ol, section, main, aside, nav")) {
      if (isScrollable(element)) found.add(element);
    }
    return Array.from(found).filter(isShown);
  }

  function idOf(element) {
    let id = element.getAttribute(ID_ATTRIBUTE);
    if (!id) {
      id = String(nextId++);
      element.setAttribute(ID_ATTRIBUTE, id);
    }
    return id;
  }

  function box(rect) {
    return {
      x: rect.x, y: rect.y, width: rect.width, height: rect.height,
      top: rect.top, right: rect.right, bottom: rect.bottom, left: rect.left,
    };
  }

  function getInteractiveRects() {
    const regions = {};
    for (const element of interactiveElements()) {
      const rects = Array.from(element.getClientRects()).filter((r) => r.width * r.height > 0).map(box);
      if (!rects.length) continue;
      regions[idOf(element)] = {
        tag_name: element.tagName.toLowerCase(),
        role: roleOf(element),
        "aria-name": nameOf(element),
        "v-scrollable": isScrollable(element),
        rects: rects,
      };
    }
    return regions;
  }

  function getVisualViewport() {
    const viewport = window.visualViewport;
    const root = document.documentElement;
    const body = document.body || root;
    return {
      height: viewport ? viewport.height : window.innerHeight,
      width: viewport ? viewport.width : window.innerWidth,
      offsetLeft: viewport ? viewport.offsetLeft : 0,
      offsetTop: viewport ? viewport.offsetTop : 0,
      pageLeft: viewport ? viewport.pageLeft : window.scrollX,
      pageTop: viewport ? viewport.pageTop : window.scrollY,
      scale: viewport ? viewport.scale : 1,
      clientWidth: root.clientWidth,
      clientHeight: root.clientHeight,
      scrollWidth: Math.max(root.scrollWidth, body.scrollWidth),
      scrollHeight: Math.max(root.scrollHeight, body.scrollHeight),
    };
  }

  function getFocusedElementId() {
    const element = document.activeElement;
    if (!element || element === document.body || element === document.documentElement) return null;
    return element.getAttribute(ID_ATTRIBUTE);
  }

  // The text of the text nodes that lie at least partly inside the viewport, in page order.
  function getVisibleText() {
    if (!document.body) return "";
    const lines = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    let line = "";
    let lastBlock = null;
    while (walker.nextNode()) {
      const node = walker.currentNode;
      const text = node.textContent.replace(/\s+/g, " ");
      if (!text.trim()) continue;
      const parent = node.parentElement;
      if (!parent || !isShown(parent)) continue;
      const tag = parent.tagName.toLowerCase();
      if (tag === "script" || tag === "style" || tag === "noscript") continue;
      range.selectNodeContents(node);
      const rect = range.getBoundingClientRect();
      const inside = rect.bottom > 0 && rect.top < window.innerHeight && rect.right > 0 && rect.left < window.innerWidth;
      if (!inside) continue;
      let block = parent;
      while (block && window.getComputedStyle(block).display.startsWith("inline")) block = block.parentElement;
      if (block !== lastBlock && line.trim()) {
        lines.push(line.trim());
        line = "";
      }
      lastBlock = block;
      line += text;
    }
    if (line.trim()) lines.push(line.trim());
    return lines.join("\n");
  }

  function getPageMetadata() {
    const metadata = {};
    const meta = {};
    for (const element of document.querySelectorAll("meta[name], meta[property]")) {
      const key = element.getAttribute("name") || element.getAttribute("property");
      const content = element.getAttribute("content");
      if (key && content) meta[key] = content;
    }
    if (Object.keys(meta).length) metadata.meta_tags = meta;
    const linked = [];
    for (const script of document.querySelectorAll("script[type='application/ld+json']")) {
      try {
        linked.push(JSON.parse(script.textContent));
      } catch (error) {
        // A page's broken JSON-LD is its own problem; the rest of the metadata still helps.
      }
    }
    if (linked.length) metadata.jsonld = linked;
    return metadata;
  }

  // Everything the agent describes a page with, in one round trip.
  function getPageState() {
    return {
      title: document.title,
      viewport: getVisualViewport(),
      focused: getFocusedElementId(),
      visibleText: getVisibleText(),
      metadata: getPageMetadata(),
    };
  }

  return {
    getInteractiveRects, getVisualViewport, getFocusedElementId, getVisibleText, getPageMetadata,
    getPageState,
  };
})();
