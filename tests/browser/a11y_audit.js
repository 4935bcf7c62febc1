// The audit run by a11y.py inside the page; returns a list of problems in French.
() => {
  const problems = [];
  const visible = (el) => {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") return false;
    const rect = el.getBoundingClientRect();
    return rect.width > 0 && rect.height > 0;
  };
  const describe = (el) => {
    const id = el.id ? `#${el.id}` : "";
    const cls = el.className && typeof el.className === "string"
      ? "." + el.className.trim().split(/\s+/).join(".") : "";
    const text = (el.textContent || "").trim().slice(0, 40);
    return `<${el.tagName.toLowerCase()}${id}${cls}> « ${text} »`;
  };
  const byIds = (ids) => ids.split(/\s+/).map((id) => document.getElementById(id))
    .filter(Boolean).map((el) => el.textContent.trim()).join(" ").trim();
  const accessibleName = (el) => {
    if (el.getAttribute("aria-labelledby")) {
      const name = byIds(el.getAttribute("aria-labelledby"));
      if (name) return name;
    }
    if ((el.getAttribute("aria-label") || "").trim()) return el.getAttribute("aria-label").trim();
    if (el.labels && el.labels.length) {
      const name = [...el.labels].map((l) => l.textContent.trim()).join(" ").trim();
      if (name) return name;
    }
    if (el.tagName === "IMG") return (el.getAttribute("alt") || "").trim();
    if (["BUTTON", "A", "SUMMARY"].includes(el.tagName)) {
      const own = (el.innerText || el.textContent || "").trim();
      if (own) return own;
      const img = el.querySelector("img[alt]");
      if (img) return img.getAttribute("alt").trim();
    }
    return (el.getAttribute("title") || "").trim();
  };

  // Language and title
  if (!document.documentElement.lang) problems.push("<html> sans attribut lang");
  if (!document.title.trim()) problems.push("document sans <title>");

  // Landmarks
  const count = (selector) => [...document.querySelectorAll(selector)].filter(visible).length;
  if (count("main, [role=main]") !== 1) problems.push("il faut exactement un <main>");
  if (count("body > #app > header, [role=banner]") < 1) problems.push("pas d'en-tête (banner)");
  if (count("body > #app > footer, [role=contentinfo]") < 1) problems.push("pas de pied de page (contentinfo)");
  const navs = [...document.querySelectorAll("nav")].filter(visible);
  if (navs.length < 1) problems.push("pas de <nav>");
  if (navs.length > 1 && navs.some((n) => !accessibleName(n)))
    problems.push("plusieurs <nav> dont une sans nom");
  for (const nav of navs) if (!accessibleName(nav)) problems.push("<nav> sans aria-label");

  // Headings
  const h1s = [...document.querySelectorAll("h1")].filter(visible);
  if (h1s.length !== 1) problems.push(`${h1s.length} titres <h1> (il en faut un)`);
  let previous = 0;
  for (const h of [...document.querySelectorAll("h1,h2,h3,h4,h5,h6")].filter(visible)) {
    const level = Number(h.tagName[1]);
    if (previous && level > previous + 1) problems.push(`saut de niveau de titre : ${describe(h)}`);
    if (!h.textContent.trim()) problems.push(`titre vide : ${describe(h)}`);
    previous = level;
  }

  // Skip link: the first focusable element, pointing at an existing target
  const focusable = [...document.querySelectorAll("a[href], button, input, select, textarea, [tabindex]")]
    .filter((el) => el.tabIndex >= 0 && !el.disabled);
  const first = focusable[0];
  if (!first || first.tagName !== "A" || !first.getAttribute("href").startsWith("#"))
    problems.push("le premier élément focalisable n'est pas un lien d'évitement");
  else if (!document.getElementById(first.getAttribute("href").slice(1)))
    problems.push("le lien d'évitement pointe vers une cible absente");

  // Form controls have labels
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden" || !visible(el)) continue;
    if (!accessibleName(el)) problems.push(`champ sans étiquette : ${describe(el)}`);
  }
  // Buttons, links and images have names
  for (const el of document.querySelectorAll("button, a[href], [role=button]")) {
    if (!visible(el)) continue;
    if (!accessibleName(el)) problems.push(`bouton ou lien sans nom : ${describe(el)}`);
  }
  for (const el of document.querySelectorAll("img")) {
    if (!el.hasAttribute("alt")) problems.push(`image sans alt : ${describe(el)}`);
  }
  // aria references resolve, ids are unique
  const ids = new Map();
  for (const el of document.querySelectorAll("[id]")) ids.set(el.id, (ids.get(el.id) || 0) + 1);
  for (const [id, n] of ids) if (n > 1) problems.push(`id en double : ${id}`);
  for (const attr of ["aria-labelledby", "aria-describedby", "aria-controls"]) {
    for (const el of document.querySelectorAll(`[${attr}]`)) {
      for (const id of el.getAttribute(attr).split(/\s+/).filter(Boolean))
        if (!document.getElementById(id)) problems.push(`${attr} vers un id absent (${id}) : ${describe(el)}`);
    }
  }
  // A live region exists for status messages
  if (!document.querySelector("[aria-live], [role=status], [role=alert]"))
    problems.push("aucune zone aria-live pour les messages d'état");

  // Touch targets: 44 × 44 CSS px at least (we aim for 48)
  for (const el of document.querySelectorAll("button, .button, input[type=checkbox], select, input[type=text], input[type=email]")) {
    if (!visible(el)) continue;
    const rect = el.getBoundingClientRect();
    const min = el.type === "checkbox" ? 24 : 44;
    if (rect.height < min - 0.5 || rect.width < min - 0.5)
      problems.push(`cible tactile trop petite (${Math.round(rect.width)}×${Math.round(rect.height)}) : ${describe(el)}`);
  }

  // Text contrast (WCAG 1.4.3): 4.5:1, or 3:1 for large text
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const parts = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const bg = parse(getComputedStyle(node).backgroundColor);
      if (bg && bg.a >= 0.95) return bg;
      if (getComputedStyle(node).backgroundImage !== "none") return null;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const text = walker.currentNode;
    const el = text.parentElement;
    if (!el || seen.has(el) || !text.textContent.trim() || !visible(el)) continue;
    if (el.closest("[aria-hidden=true], .skip-link, option, svg")) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    const fg = parse(style.color);
    const bg = background(el);
    if (!fg || !bg) continue;
    const opacity = Number(style.opacity);
    const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    const size = parseFloat(style.fontSize);
    const bold = Number(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const disabled = el.closest("button[disabled]");
    if (!disabled && opacity === 1 && ratio < (large ? 3 : 4.5))
      problems.push(`contraste ${ratio.toFixed(2)}:1 insuffisant : ${describe(el)}`);
  }
  return problems;
}
