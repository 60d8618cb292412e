// The board's script: keeps the page as served up to date from server-sent events, and says so plainly
// when the connection is lost or quiet for too long, instead of leaving the last state looking current.
import { renderBoardMain } from '../src/render.js'
import type { BoardSnapshot } from '../src/snapshot.js'

// The server sends a heartbeat every 5 s; three missed ones make the page stale.
const STALE_AFTER_MS = 15_000

const main = document.getElementById('board')
// The server says whether this session may acknowledge; the api checks again on every post.
const viewer = { canOperate: main?.dataset.canOperate === 'true' }
const connection = document.getElementById('connection')
let lastMessageAt = Date.now()

function show(fresh: boolean, text: string): void {
  if (!connection) return
  connection.textContent = text
  connection.classList.toggle('stale', !fresh)
  document.body.dataset.connection = fresh ? 'live' : 'stale'
}

function heard(): void {
  lastMessageAt = Date.now()
  show(true, 'Live')
}

const events = new EventSource('/v1/board/events')
events.addEventListener('board', (event) => {
  const snapshot = JSON.parse((event as MessageEvent<string>).data) as BoardSnapshot
  if (main) main.innerHTML = renderBoardMain(snapshot, viewer)
  heard()
})
events.addEventListener('heartbeat', heard)
events.addEventListener('open', heard)
events.addEventListener('error', () => {
  // EventSource reconnects by itself; until a message arrives the page is not current.
  show(false, 'Stale: connection lost, reconnecting')
})
setInterval(() => {
  if (Date.now() - lastMessageAt > STALE_AFTER_MS) {
    show(false, `Stale: no update since ${new Date(lastMessageAt).toISOString().slice(11, 19)} UTC`)
  }
}, 2_000)
