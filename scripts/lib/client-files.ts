/**
 * The files of the browser client that pages load (dist/client/, by `npm run build:client`): the
 * two bundles and the SIMD binary the client fetches from beside its bundle (client/backend.ts).
 * The versioned hot-link folder and the npm package hold exactly these.
 */
export const CLIENT_FILES = ["linkgan-client.js", "linkgan-editor.js", "tfjs-backend-wasm-simd.wasm"] as const;
