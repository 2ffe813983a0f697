/**
 * JSON for files people open: objects indented, arrays of numbers (vectors, matrices) kept on one
 * line. Deterministic, so the same key is byte-identical every time it is generated.
 */
export function prettyJson(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (isNumeric(value)) return JSON.stringify(value);
    if (value.length === 0) return '[]';
    const inner = indent + '  ';
    return `[\n${value.map((v) => inner + prettyJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const inner = indent + '  ';
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${prettyJson(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

function isNumeric(value: unknown): boolean {
  return Array.isArray(value) ? value.every(isNumeric) : typeof value === 'number' || value === null;
}
