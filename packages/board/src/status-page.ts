// The public status page's HTML: region states, feed links, the subscription form and the history.
import { renderDocument } from './pages.js'
import { feedEntries, type PublicStatus } from './public-status.js'
import { escapeHtml as h, utcTime } from './render.js'

/**
 * The page; with `region`, its history lists only what concerned that region (as the region's feed does).
 * `region` must be one of status.regions (the route checks).
 */
export function renderStatusPage(status: PublicStatus, message?: string, region?: string): string {
  const entries = region === undefined ? status.entries : feedEntries(status, 'region', region)
  const regions = `<section aria-labelledby="h-regions"><h2 id="h-regions">Regions</h2>
<ul class="tiles">${status.regions
    .map(
      (
        region,
      ) => `<li class="tile tile-${h(region.state)}" data-region="${h(region.name)}"><h3>${h(region.name)}</h3>
<p><span class="state state-${h(region.state)}">${h(region.stateTitle)}</span>${region.since ? ` <span class="since">since <time datetime="${h(region.since)}">${h(utcTime(region.since))}</time></span>` : ''}</p>
<p class="figures"><a href="/status?region=${encodeURIComponent(region.name)}#h-history">History</a> · Feeds: <a href="/status/feeds/region/${encodeURIComponent(region.name)}.atom">Atom</a> · <a href="/status/feeds/region/${encodeURIComponent(region.name)}.rss">RSS</a></p></li>`,
    )
    .join('')}</ul>
<p>Whole country: ${status.countries
    .map(
      (country) =>
        `${h(country)} <a href="/status/feeds/country/${encodeURIComponent(country)}.atom">Atom</a> · <a href="/status/feeds/country/${encodeURIComponent(country)}.rss">RSS</a>`,
    )
    .join('; ')}</p></section>`

  const subscribe = status.subscriptions
    ? `<section aria-labelledby="h-subscribe"><h2 id="h-subscribe">Subscribe by email</h2>
${message ? `<p class="notice" role="status">${h(message)}</p>` : ''}
<form class="subscribe" method="post" action="/status/subscribe">
<label for="email">Email address</label>
<input id="email" name="email" type="email" autocomplete="email" required maxlength="254">
<label for="scope">Follow</label>
<select id="scope" name="scope">${status.countries
        .map((country) => `<option value="country:${h(country)}">All of ${h(country)}</option>`)
        .join(
          '',
        )}${status.regions.map((region) => `<option value="region:${h(region.name)}">${h(region.name)}</option>`).join('')}</select>
<button type="submit">Subscribe</button>
</form>
<p>We send a message with a link to confirm; nothing else is sent until you follow it. Every message has a
link to unsubscribe.</p></section>`
    : ''

  const history = `<section aria-labelledby="h-history"><h2 id="h-history">History${region === undefined ? '' : ` of ${h(region)}`}</h2>
${region === undefined ? '' : '<p><a href="/status#h-history">All regions</a></p>'}
${
  entries.length === 0
    ? '<p>Nothing to report.</p>'
    : `<ul class="cards">${entries
        .map(
          (entry) => `<li class="card" id="${h(entry.anchor)}"><h3>${h(entry.title)}</h3>
<ul>${entry.lines.map((line) => `<li>${h(line)}</li>`).join('')}</ul>
${entry.links.length > 0 ? `<ul class="links">${entry.links.map((link) => `<li><a href="${h(link.url)}" rel="noopener noreferrer">${h(link.title)}</a></li>`).join('')}</ul>` : ''}
</li>`,
        )
        .join('')}</ul>`
}</section>`

  return renderDocument(
    status.title,
    `<h1>${h(status.title)}</h1><span>Updated <time datetime="${h(status.generatedAt)}">${h(utcTime(status.generatedAt))}</time></span>`,
    `${regions}${subscribe}${history}`,
  )
}
