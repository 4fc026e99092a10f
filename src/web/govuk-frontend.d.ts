declare module 'govuk-frontend' {
  /** Starts every GOV.UK Frontend component on the page. */
  export function initAll(config?: Record<string, unknown>): void;
}
