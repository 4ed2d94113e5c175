// Runs before the page is first drawn (classic scripts in <head>), two layout hints.
//
// A link with a `view` key (only some cards, for a frame on a slide) starts in the embed layout
// with every card hidden, so the whole page is not drawn first and then collapsed. Only a hint:
// the engine validates the key, and classroom.js shows the cards it kept (or the whole page if
// none).
if (/(^|[?&])view=/.test(window.location.search)) document.documentElement.classList.add("embed", "embed-pending");

// The story is left out of the page's first layout (style.css) and laid out a part at a time
// once the page runs (story.js revealStory); should the page's code not run, it shows after 8 s.
document.documentElement.classList.add("story-later");
setTimeout(() => document.documentElement.classList.remove("story-later"), 8000);
