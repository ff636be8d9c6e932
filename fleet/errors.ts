import { KilnError } from '../runtime/errors.js';

/** A credential that is missing, unknown or used up (401). */
export class UnauthorizedError extends KilnError {}
/** A valid credential asking for something it may not see or do (403). */
export class ForbiddenError extends KilnError {}
