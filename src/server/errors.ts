/** A problem whose message is safe to show to the person who caused it. */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: { field: string; message: string }[],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** Missing and forbidden look the same, so nobody learns that a record exists. */
export class NotFoundError extends AppError {
  constructor() {
    super(404, 'not_found', 'Page not found');
  }
}

/** The request is not signed in (or the API key is missing or revoked). */
export class UnauthenticatedError extends AppError {
  constructor() {
    super(401, 'unauthenticated', 'Sign in to continue');
  }
}

/** Input failed validation; `details` names each field and why. */
export class ValidationError extends AppError {
  constructor(details: { field: string; message: string }[], message = 'There is a problem with the request') {
    super(400, 'invalid_request', message, details);
  }
}
