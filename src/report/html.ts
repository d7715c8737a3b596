/** The summary's HTML, escaped: the report and the steps write their cells with these. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

export function code(text: string): string {
  return `<code>${escapeHtml(text)}</code>`
}
