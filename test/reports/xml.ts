/**
 * A strict-enough XML well-formedness check for tests (no XML parser is installed): one root, balanced tags,
 * quoted attributes, no raw `<` in values, and every `&` starting a known entity.
 */
export function assertWellFormedXml(xml: string): void {
  const body = xml.replace(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n/, '');
  if (body === xml) throw new Error('missing XML declaration');
  const badAmpersand = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>|([^<]+)/y;
  const stack: string[] = [];
  let roots = 0;
  let index = 0;
  while (index < body.length) {
    token.lastIndex = index;
    const match = token.exec(body);
    if (!match) throw new Error(`malformed XML at ${index}: ${body.slice(index, index + 60)}`);
    index = token.lastIndex;
    const [whole, closing, name, attributes, selfClosing, text] = match;
    if (badAmpersand.test(whole)) throw new Error(`unescaped & in ${whole.slice(0, 80)}`);
    if (text !== undefined) {
      if (stack.length === 0 && text.trim() !== '') throw new Error(`text outside the root: ${text}`);
      continue;
    }
    const names = [...(attributes ?? '').matchAll(/([\w.-]+)=/g)].map((m) => m[1]);
    if (new Set(names).size !== names.length) throw new Error(`duplicate attribute in ${whole}`);
    if (closing) {
      if (stack.pop() !== name) throw new Error(`unbalanced </${name}>`);
    } else {
      if (stack.length === 0 && ++roots > 1) throw new Error('more than one root element');
      if (!selfClosing) stack.push(name);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
  if (roots !== 1) throw new Error('no root element');
}
