/**
 * Log paths that may hold personal data or secrets. Request bodies and query strings are
 * never logged by default; these cover headers, cookies and anything a handler logs by mistake.
 */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.email',
  '*.name',
  '*.givenNames',
  '*.familyName',
  '*.dateOfBirth',
  '*.nhsNumber',
  '*.summary',
  '*.narrative',
  'body',
  'query',
];

/**
 * What a request log line says about the request: method, path and id. Never the query string
 * (searches carry names and dates of birth), headers, cookies or body.
 */
export function serializeRequest(req: { method: string; url: string; id: string }): { method: string; path: string; id: string } {
  return { method: req.method, path: req.url.split('?')[0] ?? '', id: req.id };
}
