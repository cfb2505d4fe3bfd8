/**
 * The one error the render pipeline throws, in every runtime. It says what is wrong and which
 * field is at fault, never how to answer: the worker maps `code` to an HTTP status
 * (worker/http/errors.ts), the browser client to its own LinkGanError, so one rule gives the same
 * code and sentence from the API and from a page rendering locally.
 *
 * @example
 * try { normalizeRequest({ seed: 1, w: new Float32Array(8) }, false); }
 * catch (e) { if (e instanceof RenderError) console.log(e.code, e.field); } // "invalid_request" "seed"
 */
export class RenderError extends Error {
  constructor(
    readonly code: RenderErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "RenderError";
  }
}

/**
 * Every code the pipeline uses. A union, so each side's mapping (the worker's status table) is
 * checked for completeness by the compiler when a code is added.
 */
export type RenderErrorCode =
  /** A parameter breaks a rule of the request (the field is named). */
  | "invalid_request"
  /** frames × pixels over the work bound (`WORK_LIMITS`). */
  | "over_work_limit"
  /** A region name the model does not have. */
  | "unknown_region"
  /** A mask with no pixel inside. */
  | "empty_mask"
  /** A mask that covers no region by `COVER_FRACTION`. */
  | "mask_covers_no_region"
  /** Mask bytes that are not a valid PNG (or not at the expected size). */
  | "invalid_mask"
  /** An image over the one size rule (shared/png/limits.ts), judged from its header. */
  | "image_too_large";
