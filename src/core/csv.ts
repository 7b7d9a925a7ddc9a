// CSV: a field quoted when it holds a comma, quote or line break (RFC 4180). The CLI's
// tables and the views' exports write the same way.
export function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
