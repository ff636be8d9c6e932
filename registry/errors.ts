import { KilnError } from '../runtime/errors.js';

/**
 * Registry errors that callers (the HTTP API above all) tell apart: a name or version that does not
 * exist (404), a state that forbids the operation (409), and an upload over the size limit (413).
 * Every other bad input is a plain KilnError (400).
 */
export class NotFoundError extends KilnError {}
export class ConflictError extends KilnError {}
export class TooLargeError extends KilnError {}
