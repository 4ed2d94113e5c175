// The page's two DOM helpers: make an element, and set a text only when it changes (so an
// unchanged text costs no layout or paint).

/** A new `tag` element with the attributes `attrs` (name -> value) and, if given, `text`. */
export function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Sets `node`'s text to `text`, touching the DOM only when it differs. */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
