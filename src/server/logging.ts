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
