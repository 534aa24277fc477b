import { micromark } from 'micromark'
import { gfm, gfmHtml } from 'micromark-extension-gfm'

/**
 * Markdown rendered as GitHub renders a comment (GFM, raw HTML kept, autolinks on), so a test can
 * assert on what a reader sees rather than on the Markdown's text.
 */
export function renderGfm(markdown: string): string {
  return micromark(markdown, {
    allowDangerousHtml: true,
    extensions: [gfm()],
    htmlExtensions: [gfmHtml()]
  })
}
