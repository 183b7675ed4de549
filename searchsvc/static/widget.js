// <records-search>: the search box for city web sites (README "Add the search box to your site").
// Plain ES module, no build step, no inline script, no eval; styles are a constructed sheet in the
// element's shadow root, so a strict CSP needs no 'unsafe-inline'. Text from the API is inserted
// with textContent; only the server's snippet (escaped by the server, <mark> its only markup) is
// inserted as HTML.

const API = new URL(".", import.meta.url).href.replace(/\/$/, "");
const LANGS = ["fi", "sv", "en"];
const FACETS = ["year", "lang", "division", "type"];
const DEBOUNCE_MS = 250;
const ANNOUNCE_MS = 700;
const TIMEOUT_MS = 10000;
const PAGE_SIZE = 10;
const FIXED = ["division", "type", "org"];
const URL_KEYS = ["q", "lang", "year", "division", "type", "org"];

const STRINGS = {
  fi: {
    label: "Hae pöytäkirjoista ja päätöksistä", search: "Hae", suggestions: "Ehdotukset",
    results: { one: "{n} tulos", other: "{n} tulosta" }, none: "Ei tuloksia haulla ”{q}”.",
    loading: "Haetaan…", error: "Haku epäonnistui.", timeout: "Haku kesti liian kauan.",
    retry: "Yritä uudelleen", didYouMean: "Tarkoititko:", more: "Näytä lisää tuloksia",
    filters: "Rajaa hakua", year: "Vuosi", lang: "Kieli", division: "Toimiala", type: "Asiakirjatyyppi",
    title: "Otsikko", tools: "Tulokset muualle:", csv: "CSV", csvSemicolon: "CSV Exceliin (;)",
    jsonl: "JSON Lines", feed: "Uudet tulokset syötteenä (Atom)",
  },
  sv: {
    label: "Sök i protokoll och beslut", search: "Sök", suggestions: "Förslag",
    results: { one: "{n} träff", other: "{n} träffar" }, none: "Inga träffar för ”{q}”.",
    loading: "Söker…", error: "Sökningen misslyckades.", timeout: "Sökningen tog för lång tid.",
    retry: "Försök igen", didYouMean: "Menade du:", more: "Visa fler träffar",
    filters: "Avgränsa sökningen", year: "År", lang: "Språk", division: "Sektor", type: "Dokumenttyp",
    title: "Rubrik", tools: "Träffarna någon annanstans:", csv: "CSV", csvSemicolon: "CSV för Excel (;)",
    jsonl: "JSON Lines", feed: "Nya träffar som flöde (Atom)",
  },
  en: {
    label: "Search minutes and decisions", search: "Search", suggestions: "Suggestions",
    results: { one: "{n} result", other: "{n} results" }, none: "No results for “{q}”.",
    loading: "Searching…", error: "The search failed.", timeout: "The search took too long.",
    retry: "Try again", didYouMean: "Did you mean:", more: "Show more results",
    filters: "Narrow the search", year: "Year", lang: "Language", division: "Division", type: "Document type",
    title: "Title", tools: "Take the results elsewhere:", csv: "CSV", csvSemicolon: "CSV for Excel (;)",
    jsonl: "JSON Lines", feed: "New results as a feed (Atom)",
  },
};

const CSS = `
:host { display: block; }
:host([hidden]) { display: none; }
.root {
  all: initial; display: block; box-sizing: border-box; max-width: 100%;
  font-family: var(--records-search-font-family, system-ui, sans-serif);
  font-size: var(--records-search-font-size, 16px); line-height: 1.5;
  color: var(--records-search-color, #1a1a1a); background: var(--records-search-background, #fff);
  overflow-wrap: anywhere;
}
:where(.root *, .root *::before, .root *::after) { box-sizing: border-box; font: inherit; }
label.main { display: block; font-weight: 600; margin-bottom: .25em; }
.bar { display: flex; gap: .5em; position: relative; }
.box { position: relative; flex: 1 1 auto; min-width: 0; }
input[type=search] { width: 100%; min-height: 44px; padding: .4em .6em; margin: 0;
  border: 2px solid var(--records-search-border, #595959); border-radius: var(--records-search-radius, 4px);
  background: var(--records-search-background, #fff); }
button { min-height: 44px; min-width: 44px; padding: .4em 1em; margin: 0; cursor: pointer;
  border: 2px solid var(--records-search-accent, #0b4f9c); border-radius: var(--records-search-radius, 4px);
  background: var(--records-search-accent, #0b4f9c); color: var(--records-search-accent-text, #fff); }
button.link { background: transparent; color: var(--records-search-accent, #0b4f9c); min-height: 24px;
  padding: 0 .25em; border-color: transparent; text-decoration: underline; }
:focus-visible, input:focus { outline: 3px solid var(--records-search-focus, #0b4f9c); outline-offset: 2px; }
[role=listbox] { position: absolute; z-index: 10; left: 0; right: 0; top: 100%; margin: 2px 0 0; padding: 0;
  list-style: none; background: var(--records-search-background, #fff);
  border: 2px solid var(--records-search-border, #595959); border-radius: var(--records-search-radius, 4px); }
[role=option] { min-height: 44px; padding: .5em .6em; cursor: pointer; }
[role=option].title { font-style: italic; }
[role=option][aria-selected=true] { background: var(--records-search-accent, #0b4f9c);
  color: var(--records-search-accent-text, #fff); outline: 2px solid transparent; }
.meta, .muted { color: var(--records-search-muted, #575757); font-size: .875em; }
fieldset { border: 1px solid var(--records-search-border, #595959); border-radius: var(--records-search-radius, 4px);
  margin: .5em 0; padding: .25em .6em .5em; min-width: 0; }
legend { font-weight: 600; padding: 0 .25em; }
.facets { display: flex; flex-wrap: wrap; gap: 0 .75em; margin-top: .5em; }
.facets fieldset { flex: 1 1 12em; }
.facets fieldset { display: flex; flex-wrap: wrap; gap: 0 1em; }
.facets label { display: flex; align-items: center; gap: .4em; min-height: 28px; cursor: pointer; }
summary { display: list-item; padding: .6em 0; cursor: pointer; font-weight: 600;
  color: var(--records-search-accent, #0b4f9c); }
input[type=checkbox] { width: 24px; height: 24px; margin: 0; flex: none;
  accent-color: var(--records-search-accent, #0b4f9c); }
ol { list-style: none; margin: .5em 0; padding: 0; }
li.hit { padding: .6em 0; border-bottom: 1px solid #ddd; }
li.hit a { font-weight: 600; color: var(--records-search-accent, #0b4f9c); text-decoration: underline;
  display: inline-block; min-height: 24px; }
.snippet { margin: .25em 0 0; }
.tools { margin: .25em 0; }
.tools a { display: inline-block; min-height: 24px; margin-right: .75em; color: var(--records-search-accent, #0b4f9c); }
mark { background: var(--records-search-mark, #ffe58a); color: inherit; padding: 0 .1em; }
.state { margin: .5em 0; }
.error { border-left: 4px solid #b00020; padding: .25em .6em; }
.sr { position: absolute; width: 1px; height: 1px; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
[hidden] { display: none !important; }
@media (forced-colors: active) {
  [role=option][aria-selected=true] { forced-color-adjust: none; background: Highlight; color: HighlightText;
    outline: 2px solid CanvasText; }
  :focus-visible, input:focus { outline: 3px solid Highlight; }
  mark { forced-color-adjust: none; background: Mark; color: MarkText; }
}
@media (prefers-reduced-motion: reduce) { * { animation: none !important; transition: none !important; } }
`;

let sheet = null;
let instances = 0;

function styles() {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  }
  return sheet;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

function list(value) {
  return (value || "").split(",").map((part) => part.trim()).filter(Boolean);
}

// Non-Latin composition (Japanese, Chinese, Korean IMEs) waits for the composed text; Latin
// text composed by an Android keyboard is searched as it is typed (instantsearch PR 6009).
// The word being typed also finds the words it begins: "omaishoit" searches
// "(omaishoit OR omaishoit*)", only for plain words (no syntax), from 3 letters on.
const PLAIN = /^[\p{L}\p{N}\s]*[\p{L}\p{N}]{3,}$/u;
function asTyped(q) {
  if (!PLAIN.test(q)) return q;
  const words = q.split(/\s+/);
  const last = words.pop();
  return [...words, `(${last} OR ${last}*)`].join(" ");
}

const LATIN = /^[\p{Script=Latin}\p{Script=Common}\p{M}]*$/u;

class RecordsSearch extends HTMLElement {
  static get observedAttributes() {
    return ["lang", "api", "division", "type", "org", "year-from", "year-to"];
  }

  constructor() {
    super();
    this.uid = `rs${++instances}`;
    this.seq = 0;
    this.controller = null;
    this.suggestController = null;
    this.timer = 0;
    this.announceTimer = 0;
    this.composing = false;
    this.options = [];
    this.active = -1;
    this.answer = null;
    this.hits = [];
    this.selected = Object.fromEntries(FACETS.map((name) => [name, new Set()]));
    this.lastQuery = "";
    this.built = false;
  }

  get ui() {
    const own = (this.getAttribute("lang") || "").slice(0, 2).toLowerCase();
    const page = (document.documentElement.lang || "").slice(0, 2).toLowerCase();
    return LANGS.includes(own) ? own : LANGS.includes(page) ? page : "en";
  }

  get t() {
    return STRINGS[this.ui];
  }

  get api() {
    return (this.getAttribute("api") || API).replace(/\/$/, "");
  }

  connectedCallback() {
    if (!this.built) this.build();
    if (this.hasAttribute("url-state")) {
      this.onPopState = () => this.readUrl(true);
      window.addEventListener("popstate", this.onPopState);
      this.readUrl(false);
    } else if (LANGS.includes((this.getAttribute("lang") || "").slice(0, 2))) {
      this.selected.lang.add(this.getAttribute("lang").slice(0, 2));
    }
    this.pageLang = new MutationObserver(() => this.hasAttribute("lang") || this.relabel());
    this.pageLang.observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
  }

  disconnectedCallback() {
    if (this.onPopState) window.removeEventListener("popstate", this.onPopState);
    this.pageLang?.disconnect();
    this.controller?.abort();
    this.suggestController?.abort();
  }

  attributeChangedCallback(name, old, value) {
    if (!this.built || old === value) return;
    if (name === "lang") this.relabel();
    else if (this.input.value.trim()) this.search();
  }

  build() {
    this.built = true;
    const id = (name) => `${this.uid}-${name}`;
    const root = this.attachShadow({ mode: "open" });
    root.adoptedStyleSheets = [styles()];
    this.label = el("label", { class: "main", for: id("q") });
    this.input = el("input", {
      id: id("q"), type: "search", role: "combobox", autocomplete: "off", spellcheck: "false",
      "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": id("list"),
      enterkeyhint: "search",
      oninput: (event) => this.onInput(event),
      onkeydown: (event) => this.onKeyDown(event),
      oncompositionstart: () => { this.composing = true; },
      oncompositionend: () => { this.composing = false; this.schedule(); },
      onblur: () => this.close(),
    });
    this.listbox = el("ul", { id: id("list"), role: "listbox", hidden: "", tabindex: "-1",
      // keeps the focus in the input, so a click on an option is not lost to its blur
      onmousedown: (event) => event.preventDefault(),
      onclick: (event) => {
        const option = event.target.closest("[role=option]");
        if (option) this.accept(Number(option.dataset.index));
      },
    });
    this.button = el("button", { type: "submit" });
    this.form = el("form", { role: "search", onsubmit: (event) => {
      event.preventDefault();
      this.close();
      this.search({ push: true });
    } }, this.label, el("div", { class: "bar" }, el("div", { class: "box" }, this.input, this.listbox), this.button));
    this.status = el("div", { role: "status", class: "state" });
    this.loading = el("p", { class: "state muted", hidden: "" });
    this.alert = el("div", { role: "alert" });
    this.didYouMean = el("p", { class: "state", hidden: "" });
    this.tools = el("p", { class: "tools muted", hidden: "" });
    this.facets = el("div", { class: "facets" });
    this.filtersLabel = el("summary");
    this.filters = el("details", { class: "filters", hidden: "" }, this.filtersLabel, this.facets);
    this.results = el("ol", { class: "results" });
    this.more = el("button", { type: "button", hidden: "", onclick: () => this.search({ more: true }) });
    this.root = el("div", { class: "root", part: "root" },
      this.form, this.loading, this.status, this.alert, this.didYouMean, this.tools, this.filters, this.results, this.more);
    root.append(this.root);
    this.relabel(false);
  }

  // --- language -------------------------------------------------------------------------------

  relabel(refresh = true) {
    const t = this.t;
    this.root.lang = this.ui;
    this.label.textContent = t.label;
    this.listbox.setAttribute("aria-label", t.suggestions);
    this.button.textContent = t.search;
    this.more.textContent = t.more;
    this.loading.textContent = t.loading;
    this.filtersLabel.textContent = t.filters;
    if (refresh && this.input.value.trim()) this.search({ announce: true });
    else this.render();
  }

  plural(template, n) {
    const form = new Intl.PluralRules(this.ui).select(n);
    const count = new Intl.NumberFormat(this.ui).format(n);
    return (template[form] || template.other).replace("{n}", count);
  }

  // --- URL state (opt in with the url-state attribute) ----------------------------------------

  readUrl(run) {
    const params = new URLSearchParams(location.search);
    this.input.value = params.get("q") || "";
    for (const name of FACETS) this.selected[name] = new Set(params.getAll(name).flatMap(list));
    this.hits = [];
    if (this.input.value.trim()) this.search({ history: false });
    else if (run) { this.answer = null; this.render(); }
  }

  writeUrl(push) {
    const url = new URL(location.href);
    for (const key of URL_KEYS) url.searchParams.delete(key);
    const q = this.input.value.trim();
    if (q) url.searchParams.set("q", q);
    for (const name of FACETS) {
      if (this.selected[name].size) url.searchParams.set(name, [...this.selected[name]].join(","));
    }
    if (url.href === location.href) return;
    history[push ? "pushState" : "replaceState"](null, "", url);
  }

  // --- typing, suggestions ---------------------------------------------------------------------

  onInput(event) {
    if ((event.isComposing || this.composing) && !LATIN.test(this.input.value)) return;
    this.schedule();
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.suggest();
      this.search();
    }, DEBOUNCE_MS);
  }

  async suggest() {
    this.suggestController?.abort();
    const q = this.input.value;
    if (q.trim().length < 2) return this.close();
    const controller = (this.suggestController = new AbortController());
    const params = new URLSearchParams({ q, size: "5", titles: "3" });
    for (const lang of this.selected.lang) params.append("lang", lang);
    try {
      const answer = await this.fetchJson(`/suggest?${params}`, controller);
      if (controller !== this.suggestController || document.activeElement !== this) return;
      const options = [
        ...answer.suggestions.map((item) => ({ text: item.text, kind: "word" })),
        ...answer.titles.map((item) => ({ text: item.text, kind: "title", lang: item.lang })),
      ];
      this.open(options);
    } catch {
      // suggestions are a help: the search itself reports errors
    }
  }

  open(options) {
    this.options = options;
    this.active = -1;
    this.listbox.replaceChildren(...options.map((option, index) => el("li", {
      id: `${this.uid}-opt${index}`, role: "option", "aria-selected": "false",
      class: option.kind, "data-index": index, lang: option.lang, text: option.text,
    })));
    const shown = options.length > 0;
    this.listbox.hidden = !shown;
    this.input.setAttribute("aria-expanded", String(shown));
    this.input.removeAttribute("aria-activedescendant");
  }

  close() {
    this.options = [];
    this.active = -1;
    this.listbox.hidden = true;
    this.listbox.replaceChildren();
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  }

  move(step) {
    if (!this.options.length) return;
    const count = this.options.length;
    this.active = this.active < 0 && step < 0 ? count - 1 : (this.active + step + count) % count;
    this.listbox.querySelectorAll("[role=option]").forEach((option, index) => {
      option.setAttribute("aria-selected", String(index === this.active));
      if (index === this.active) option.scrollIntoView({ block: "nearest" });
    });
    this.input.setAttribute("aria-activedescendant", `${this.uid}-opt${this.active}`);
  }

  accept(index) {
    const option = this.options[index];
    if (!option) return;
    this.input.value = option.text;
    this.close();
    this.input.focus();
    this.search({ push: true });
  }

  onKeyDown(event) {
    if (event.isComposing) return;
    const open = !this.listbox.hidden;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (open) this.move(1);
      else this.suggest();
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      this.move(-1);
    } else if (event.key === "Enter" && open && this.active >= 0) {
      event.preventDefault();
      this.accept(this.active);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      this.close();
    }
  }

  // --- searching -------------------------------------------------------------------------------

  async fetchJson(path, controller) {
    const timeout = setTimeout(() => controller.abort(new DOMException("timeout", "TimeoutError")),
      TIMEOUT_MS);
    try {
      const response = await fetch(this.api + path, { signal: controller.signal,
        headers: { Accept: "application/json" } });
      if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { status: response.status });
      return await response.json();
    } finally {
      clearTimeout(timeout);
    }
  }

  params(q, page) {
    const params = new URLSearchParams({ q, ui: this.ui,
      size: String(PAGE_SIZE), page: String(page), facets: FACETS.join(",") });
    for (const name of FACETS) for (const value of this.selected[name]) params.append(name, value);
    for (const name of FIXED) {
      for (const value of list(this.getAttribute(name))) params.append(name, value);
    }
    for (const name of ["year-from", "year-to"]) {
      const value = this.getAttribute(name);
      if (value) params.set(name.replace("-", "_"), value);
    }
    return params;
  }

  async search({ more = false, push = false, history = true, announce = true } = {}) {
    clearTimeout(this.timer);
    const q = this.input.value.trim();
    if (history && this.hasAttribute("url-state")) this.writeUrl(push);
    this.controller?.abort();
    const seq = ++this.seq;
    if (!q) {
      this.controller = null;
      this.answer = null;
      this.hits = [];
      this.state = "idle";
      this.render();
      return;
    }
    const controller = (this.controller = new AbortController());
    const page = more && this.answer ? this.answer.page + 1 : 1;
    this.state = "loading";
    this.renderState();
    try {
      let answer;
      let sent = asTyped(q);
      try {
        answer = await this.fetchJson(`/search?${this.params(sent, page)}`, controller);
      } catch (error) {
        // a prefix refused (it begins too many words): the word as it is
        if (error.status !== 400 || sent === q) throw error;
        sent = q;
        answer = await this.fetchJson(`/search?${this.params(q, page)}`, controller);
      }
      if (seq !== this.seq) return; // a later search was started: this answer is stale
      const firstNew = more ? this.hits.length : 0;
      this.hits = more ? [...this.hits, ...answer.hits] : answer.hits;
      // did_you_mean of "(word OR word*)" is a spelling of the word typed
      if (answer.did_you_mean) answer.did_you_mean = answer.did_you_mean.replace(/\((\S+) OR \S+\*\)$/u, "$1");
      this.answer = answer;
      this.lastQuery = q;
      this.sentQuery = sent; // what the answer is for: the exports and feed ask the same
      this.state = "done";
      this.render();
      if (more) this.results.children[firstNew]?.querySelector("a")?.focus();
      if (announce) this.announce();
    } catch (error) {
      if (seq !== this.seq) return;
      this.state = "error";
      this.failure = controller.signal.reason?.name === "TimeoutError" ? "timeout" : "error";
      this.retry = () => this.search({ more });
      this.render();
    }
  }

  announce() {
    clearTimeout(this.announceTimer);
    this.announceTimer = setTimeout(() => {
      this.status.textContent = this.summary();
    }, ANNOUNCE_MS);
  }

  summary() {
    if (!this.answer) return "";
    if (this.answer.total === 0) return this.t.none.replace("{q}", this.lastQuery);
    return this.plural(this.t.results, this.answer.total);
  }

  // --- rendering -------------------------------------------------------------------------------

  renderState() {
    this.loading.hidden = this.state !== "loading";
  }

  render() {
    const t = this.t;
    this.renderState();
    this.alert.replaceChildren();
    if (this.state === "error") {
      this.status.textContent = "";
      this.alert.append(el("div", { class: "error" },
        el("p", { text: `${t[this.failure]} ` }),
        el("button", { type: "button", text: t.retry, onclick: () => this.retry() })));
    }
    const answer = this.state === "error" ? null : this.answer;
    if (!answer) {
      clearTimeout(this.announceTimer);
      this.status.textContent = "";
    }
    this.didYouMean.hidden = !answer?.did_you_mean;
    this.didYouMean.replaceChildren();
    if (answer?.did_you_mean) {
      this.didYouMean.append(`${t.didYouMean} `, el("button", {
        type: "button", class: "link", text: answer.did_you_mean,
        onclick: () => { this.input.value = answer.did_you_mean; this.search({ push: true }); },
      }));
    }
    this.renderFacets(answer);
    this.renderTools(answer);
    this.results.replaceChildren(...(answer ? this.hits.map((hit) => this.renderHit(hit)) : []));
    this.more.hidden = !answer || this.hits.length >= answer.total;
  }

  renderFacets(answer) {
    const t = this.t;
    this.filters.hidden = !answer?.facets;
    if (!answer || !answer.facets) return this.facets.replaceChildren();
    // a filter the page fixes (division="…") is not the reader's to widen: no checkboxes for it
    const open = FACETS.filter((name) => answer.facets[name] && !(FIXED.includes(name) && this.getAttribute(name)));
    this.facets.replaceChildren(...open.map((name) => {
      const values = answer.facets[name].filter((v) => v.count > 0 || this.selected[name].has(String(v.value)));
      if (name === "year") values.sort((a, b) => Number(b.value) - Number(a.value));
      const shown = values.slice(0, 12);
      for (const value of values.slice(12)) if (this.selected[name].has(String(value.value))) shown.push(value);
      if (!shown.length) return "";
      return el("fieldset", {}, el("legend", { text: t[name] }), ...shown.map((value) => {
        const key = String(value.value);
        const count = new Intl.NumberFormat(this.ui).format(value.count);
        const box = el("input", { type: "checkbox", value: key, "data-facet": name,
          onchange: (event) => {
            this.selected[name][event.target.checked ? "add" : "delete"](key);
            this.search({ push: true });
          } });
        box.checked = this.selected[name].has(key);
        return el("label", {}, box, el("span", { text: `${value.label ?? key} (${count})` }));
      }));
    }));
  }

  // Opt in with the tools attribute (the service's own page has it): the whole result as CSV
  // or JSON Lines (GET /search?format=…) and its newest records as an Atom feed (GET /feed),
  // under the same query and filters.
  renderTools(answer) {
    const t = this.t;
    this.tools.hidden = !this.hasAttribute("tools") || !answer || answer.total === 0;
    if (this.tools.hidden) return this.tools.replaceChildren();
    const params = this.params(this.sentQuery, 1);
    for (const name of ["page", "size", "facets"]) params.delete(name);
    const link = (text, path, extra, type) => el("a", { href: `${this.api}${path}?${new URLSearchParams([...params, ...extra])}`,
      type, text });
    this.tools.replaceChildren(`${t.tools} `,
      link(t.csv, "/search", [["format", "csv"]], "text/csv"),
      link(t.csvSemicolon, "/search", [["format", "csv"], ["delimiter", "semicolon"]], "text/csv"),
      link(t.jsonl, "/search", [["format", "jsonl"]], "application/x-ndjson"),
      link(t.feed, "/feed", [], "application/atom+xml"));
  }

  renderHit(hit) {
    const href = /^https?:\/\//i.test(hit.url || "") ? hit.url
      : `${this.api}/documents/${encodeURIComponent(hit.id)}?${new URLSearchParams({ q: this.lastQuery, ui: this.ui })}`;
    const meta = [];
    if (hit.date) {
      meta.push(new Intl.DateTimeFormat(this.ui, { dateStyle: "medium", timeZone: "UTC" })
        .format(new Date(`${hit.date}T00:00:00Z`)));
    } else if (hit.year) meta.push(String(hit.year));
    for (const facet of [hit.division, hit.type]) if (facet?.label) meta.push(facet.label);
    const snippet = el("p", { class: "snippet" });
    snippet.innerHTML = hit.snippet || ""; // escaped by the server; <mark> its only markup
    return el("li", { class: "hit" },
      el("a", { href, lang: hit.lang, text: hit.title || hit.id }),
      el("div", { class: "meta", text: meta.join(" · ") }),
      snippet);
  }
}

if (!customElements.get("records-search")) customElements.define("records-search", RecordsSearch);
