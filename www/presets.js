// The engine's named presets on the page: which preset a query is (the same settings in any
// order), and the title and description to show for it. Pure data, no DOM; unit-tested in Node.

const OWN_TITLE = "Your own settings.";
const OWN_DESCRIPTION = "Every one of them is in the link: copy it to share this exact run.";

/** `query` as its sorted key=value pairs (decoded), so that equal settings compare equal. */
export function canonicalPairs(query) {
  return [...new URLSearchParams(query)]
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join("&");
}

/** The preset of `presets` whose query has the same settings as `query`, or undefined. */
export function presetForQuery(presets, query) {
  const want = canonicalPairs(query);
  return presets.find((p) => canonicalPairs(p.query) === want);
}

/** The preset named `name`, or undefined. */
export function presetNamed(presets, name) {
  return presets.find((p) => p.name === name);
}

/** What the preset picker shows for preset `p` (undefined: settings of one's own). */
export function presetCaption(p) {
  return p ? { value: p.name, title: `${p.title}.`, description: p.description } : { value: "", title: OWN_TITLE, description: OWN_DESCRIPTION };
}
