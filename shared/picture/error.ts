/**
 * The one error a user's picture is refused with. In its own module so that jpeg.ts and
 * picture.ts (which re-exports it) can both throw it without importing each other.
 */

/**
 * Why a picture is refused:
 * - `not_an_image`: neither a PNG nor a JPEG (the message says what it looks like, when cheap to tell);
 * - `corrupt`: a PNG or JPEG that is truncated or does not follow its format;
 * - `too_large`: over `IMAGE_LIMITS` (shared/png/limits.ts), from the header alone;
 * - `too_small`: a side under `MIN_PICTURE_SIDE`;
 * - `animated`: an animated PNG;
 * - `unsupported`: a valid file of a kind not read (CMYK, arithmetic-coded, lossless, 12-bit JPEG,
 *   one of more than `MAX_JPEG_SCANS` scans, …).
 */
export type PictureErrorCode = "not_an_image" | "corrupt" | "too_large" | "too_small" | "animated" | "unsupported";

/**
 * A picture that is not read, with a `code` for the API's error body and a message naming the
 * problem. The message never names the file: callers prefix theirs (`photo.jpg: a CMYK JPEG; …`).
 *
 * @example
 * try {
 *   readPictureHeader(bytes);
 * } catch (e) {
 *   if (e instanceof PictureError) return c.json({ error: e.code, message: e.message }, e.code === "too_large" ? 413 : 422);
 *   throw e;
 * }
 */
export class PictureError extends Error {
  readonly code: PictureErrorCode;
  constructor(code: PictureErrorCode, message: string) {
    super(message);
    this.name = "PictureError";
    this.code = code;
  }
}
