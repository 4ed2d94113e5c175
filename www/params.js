// The address bar <-> the engine's query string. Only strings live here: the engine validates
// every value (Config::from_query) and returns the canonical query with the non-default keys.

/** The query string of the page's address, without the leading "?" (raw: the engine decodes). */
export function queryFromLocation(loc = window.location) {
  return loc.search.replace(/^\?/, "");
}

/** Writes the canonical `query` to the address bar without adding a history entry. */
export function writeQuery(query) {
  const url = new URL(window.location.href);
  url.search = query ? `?${query}` : "";
  if (url.href !== window.location.href) history.replaceState(null, "", url.href);
}

/** The text a control shows for a setting's value from `lab.config()` (null = "auto"). */
export function valueText(value) {
  if (value === null || value === undefined) return "auto";
  return String(value);
}

/**
 * A query string from `values` (key -> text), leaving out keys whose text equals the schema
 * default; keys follow the schema's order.
 */
export function buildQuery(schema, values) {
  const parts = [];
  for (const knob of schema) {
    if (!(knob.key in values)) continue;
    const text = String(values[knob.key]);
    if (text === knob.default) continue;
    parts.push(`${encodeURIComponent(knob.key)}=${encodeURIComponent(text)}`);
  }
  return parts.join("&");
}

/** Every setting of `config` as text, with `changes` (key -> text) applied on top. */
export function valuesFrom(schema, config, changes = {}) {
  const values = {};
  for (const knob of schema) values[knob.key] = valueText(config[knob.key]);
  return Object.assign(values, changes);
}
