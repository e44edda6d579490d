/** Escaping for every place scenario-provided text lands in a report. */

const HTML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text safe in HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]);
}

/** Characters XML 1.0 cannot represent at all, even escaped (controls, lone surrogates, U+FFFE/U+FFFF). */
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const XML_ENTITIES: Readonly<Record<string, string>> = {
  ...HTML_ENTITIES,
  "'": '&apos;',
  // Attribute-value normalisation would turn raw line breaks and tabs into spaces.
  '\n': '&#10;',
  '\r': '&#13;',
  '\t': '&#9;',
};

/** Text safe in XML attribute values and element content; unrepresentable characters become U+FFFD. */
export function escapeXml(text: string): string {
  return text.replace(XML_INVALID, '\uFFFD').replace(/[&<>"'\n\r\t]/g, (c) => XML_ENTITIES[c]);
}

/** Text for one Markdown table cell: no cell breaks, line breaks, raw HTML, or accidental emphasis/links. */
export function escapeMarkdownCell(text: string): string {
  return text
    .replace(/\r?\n|\r/g, ' ')
    .replace(/[\\`*_[\]|#]/g, '\\$&')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/**
 * JSON that can sit inside a <script> element: `<`, `>` and `&` become \u escapes (so `</script>` or `<!--` in
 * a scenario name cannot end or confuse the element), as do U+2028/U+2029 for older JavaScript parsers.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
