// CSV (RFC 4180): writing a field (quoted when it holds a comma, quote or line break; the
// CLI's tables and the views' exports write the same way) and reading records (the
// user's data for networks, core/nn/data.ts).

export function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export class CsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvError';
  }
}

/** One record: its fields and the line (1-based) it starts on. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * The records of RFC 4180 text: fields split at commas, records at CRLF or LF; a field
 * in double quotes may hold commas, line breaks and quotes (doubled). Empty lines are
 * skipped (a trailing newline, blank lines between records). Throws CsvError naming the
 * line of a quote left open or text after a closing quote. Stops with CsvError once
 * there are more than `maxRecords` records.
 */
export function parseCsv(text: string, maxRecords = Infinity): CsvRecord[] {
  const out: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let start = 1;
  let i = 0;
  /** Whether the current record has anything in it yet (an empty line has not). */
  let any = false;
  const endRecord = () => {
    if (any) {
      fields.push(field);
      out.push({ fields, line: start });
      if (out.length > maxRecords) throw new CsvError(`more than ${maxRecords} records (line ${start})`);
    }
    fields = [];
    field = '';
    any = false;
  };
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // a byte-order mark
  while (i < n) {
    const c = text[i];
    if (!any) start = line;
    if (c === '"' && field === '') {
      // A quoted field: up to the quote not followed by another.
      any = true;
      const open = line;
      i++;
      for (;;) {
        if (i >= n) throw new CsvError(`line ${open}: a quoted field is not closed`);
        const q = text[i];
        if (q === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (q === '\n') line++;
        field += q;
        i++;
      }
      const next = text[i];
      if (i < n && next !== ',' && next !== '\n' && next !== '\r') throw new CsvError(`line ${line}: text after a closing quote`);
      continue;
    }
    if (c === ',') {
      any = true;
      fields.push(field);
      field = '';
      i++;
    } else if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
    } else {
      any = true;
      field += c;
      i++;
    }
  }
  endRecord();
  return out;
}
