// `pnpm --filter @vigil/board build`: builds the board's browser assets (for images built ahead of time).
import { buildBoardAssets } from './build.js'

const dir = await buildBoardAssets({ force: true })
console.log(`board assets built in ${dir}`)
