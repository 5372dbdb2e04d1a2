/**
 * Markdown- and HTML-inert text for one line or table cell of a generated Markdown file (model cards). Text that
 * came from users or files (names, labels, licenses, paths) goes through it: a card may be rendered as HTML (the
 * Hub and dashboards do), and such text must not become markup or break a table there.
 */
export function escapeMarkdown(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    .replace(/[\0-\x08\x0b-\x1f\x7f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#])/g, '\\$1')
    .replace(/\r?\n/g, ' ');
}
