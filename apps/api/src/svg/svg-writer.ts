/** A tiny dependency-free SVG writer: elements as strings with escaped attributes and text. */

export type Attributes = Record<string, string | number | undefined>;

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Numbers are rounded to 0.01 px: plenty for a screen and keeps the file small. */
function formatAttribute(value: string | number): string {
  return typeof value === 'number' ? String(Math.round(value * 100) / 100) : escapeXml(value);
}

export function element(name: string, attributes: Attributes, children: string | readonly string[] = []): string {
  const attrs = Object.entries(attributes)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${formatAttribute(v!)}"`)
    .join('');
  const body = typeof children === 'string' ? escapeXml(children) : children.join('');
  return body.length === 0 ? `<${name}${attrs}/>` : `<${name}${attrs}>${body}</${name}>`;
}

export function svgDocument(width: number, height: number, children: readonly string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n` + element('svg', {
    xmlns: 'http://www.w3.org/2000/svg', width, height, viewBox: `0 0 ${width} ${height}`,
    'font-family': 'sans-serif', 'font-size': 12,
  }, children) + '\n';
}

export function polyline(points: ReadonlyArray<readonly [number, number]>, attributes: Attributes): string {
  const coords = points.map(([x, y]) => `${formatAttribute(x)},${formatAttribute(y)}`).join(' ');
  return element('polyline', { points: coords, fill: 'none', ...attributes });
}
