// jpeg-js's decoder alone (its package root also bundles the encoder, which only tests use).
declare module "jpeg-js/lib/decoder.js" {
  import type { decode } from "jpeg-js";
  const decodeJpegJs: typeof decode;
  export default decodeJpegJs;
}
