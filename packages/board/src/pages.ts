// Whole HTML documents: the board (its state rendered in, so nothing is blank while the script loads), the
// login form that turns an API key into a session, and the small pages of the subscription flow.
import { type BoardViewer, escapeHtml as h, renderBoardMain } from './render.js'
import type { BoardSnapshot } from './snapshot.js'

/** Paths under which the built assets (board.js, board.css) are served. */
export const ASSETS_PREFIX = '/board/assets/'

function document(title: string, header: string, body: string, script = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${ASSETS_PREFIX}board.css">
${script}
</head>
<body>
<header>${header}</header>
<main id="main">${body}</main>
</body>
</html>
`
}

/**
 * The operator board with the snapshot rendered in; its script keeps it live, with the same buttons
 * (`data-can-operate` tells it which).
 */
export function renderBoardPage(
  snapshot: BoardSnapshot,
  viewer: BoardViewer = { canOperate: false },
): string {
  return document(
    `${snapshot.name}: board`,
    `<h1>${h(snapshot.name)}: board</h1>
<span id="connection" class="stale" role="status" aria-live="polite">Connecting…</span>
<form method="post" action="/logout"><button type="submit">Log out</button></form>`,
    `<div id="board" data-can-operate="${viewer.canOperate}">${renderBoardMain(snapshot, viewer)}</div>`,
    `<script type="module" src="${ASSETS_PREFIX}board.js"></script>`,
  ).replace('<main id="main">', '<main id="main" data-live="board">')
}

/** The login form: an API key (scope read or higher) in, a session cookie out. */
export function renderLoginPage(name: string, error?: string): string {
  return document(
    `${name}: log in`,
    `<h1>${h(name)}</h1>`,
    `<h2>Log in to the board</h2>
${error ? `<p class="notice" role="alert">${h(error)}</p>` : ''}
<form class="login" method="post" action="/login">
<label for="key">API key (scope read or higher)</label>
<input id="key" name="key" type="password" autocomplete="current-password" required maxlength="200">
<button type="submit">Log in</button>
</form>
<p>Create a key with <code>vigil api-key create --name NAME --scope read</code>. The key is sent once; the
browser then holds only a session cookie.</p>`,
  )
}

/** A short page (of the status site, or the board's): a heading, a message, optionally a form with one button. */
export function renderNoticePage(
  name: string,
  heading: string,
  message: string,
  form?: { action: string; fields: Record<string, string>; button: string },
  back: { href: string; label: string } = { href: '/status', label: 'Back to the status page' },
): string {
  const formHtml = form
    ? `<form method="post" action="${h(form.action)}">${Object.entries(form.fields)
        .map(([key, value]) => `<input type="hidden" name="${h(key)}" value="${h(value)}">`)
        .join('')}<button type="submit">${h(form.button)}</button></form>`
    : ''
  return document(
    `${name}: ${heading}`,
    `<h1>${h(name)}</h1>`,
    `<h2>${h(heading)}</h2><p class="notice">${h(message)}</p>${formHtml}<p><a href="${h(back.href)}">${h(back.label)}</a></p>`,
  )
}

export { document as renderDocument }
