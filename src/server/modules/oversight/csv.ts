/**
 * CSV for the dashboards' tables (RFC 4180: CRLF lines, fields quoted when they hold a comma, quote or
 * line break). A field starting with =, +, - or @ is prefixed with an apostrophe so a spreadsheet does
 * not run it as a formula (agency and service names come from users).
 */
export function toCsv(rows: readonly (readonly string[])[]): string {
  const field = (raw: string) => {
    const v = /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
    return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  };
  return `${rows.map((r) => r.map(field).join(',')).join('\r\n')}\r\n`;
}
