// Runs before the page is first drawn (a classic script in <head>): a link with a `view` key
// (only some cards, for a frame on a slide) starts in the embed layout with every card hidden,
// so the whole page is not drawn first and then collapsed. Only a layout hint: the engine
// validates the key, and classroom.js shows the cards it kept (or the whole page if none).
if (/(^|[?&])view=/.test(window.location.search)) document.documentElement.classList.add("embed", "embed-pending");
