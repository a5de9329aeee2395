/**
 * CSV fields of one line (RFC 4180 quoting: "a, b" is one field, "" inside quotes
 * is a quote), for the label files operators write by hand or export from a
 * spreadsheet. Pure module.
 */

/** The fields of one CSV line, as written (not trimmed). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}
