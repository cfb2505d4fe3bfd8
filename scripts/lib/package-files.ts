/**
 * What `npm run build:package` writes beside the bundles: the package's package.json and its
 * README, derived from the project's package.json (name, version and links have one definition
 * each) and from the build's hot-link folder (dist/client/client.json), so that the README names
 * the URL that serves the same bytes.
 */
import { CLIENT_FILES } from "../../worker/http/client-files.ts";

/** The package's name on npm. */
export const PACKAGE_NAME = "linkgan-client";

/** The fields of the project's package.json that the package's own derives from. */
export interface ProjectPackage {
  version: string;
  dependencies: Record<string, string>;
  license?: string;
  repository?: string | { type: string; url: string; directory?: string };
  homepage?: string;
  bugs?: string | { url: string };
}

/**
 * npm's word for "no licence granted" (docs.npmjs.com, package.json, `license`): without a licence
 * in the project, nobody has been given the right to use the code, and the package says so rather
 * than naming a licence nobody chose.
 */
export const NO_LICENCE = "UNLICENSED";

/**
 * The package's package.json: the project's version, licence and links (repository, homepage,
 * bugs, those it has), the entry points and the files.
 *
 * @example
 * const manifest = packageManifest(JSON.parse(await readFile("package.json", "utf8")));
 */
export function packageManifest(root: ProjectPackage): Record<string, unknown> {
  return {
    name: PACKAGE_NAME,
    version: root.version,
    description: "LinkGAN in the browser: a client that renders on the page's GPU or through the API, and the <linkgan-editor> element",
    license: root.license ?? NO_LICENCE,
    ...(root.repository ? { repository: root.repository } : {}),
    ...(root.homepage ? { homepage: root.homepage } : {}),
    ...(root.bugs ? { bugs: root.bugs } : {}),
    type: "module",
    exports: {
      ".": { types: "./types/client/client.d.ts", default: "./linkgan-client.js" },
      "./editor": { types: "./types/client/widget/editor.d.ts", default: "./linkgan-editor.js" },
      "./tfjs-backend-wasm-simd.wasm": "./tfjs-backend-wasm-simd.wasm",
      "./package.json": "./package.json",
    },
    // The bundles carry their own zod and TensorFlow.js; the .d.ts files name zod's types.
    dependencies: { zod: root.dependencies.zod },
    files: [...CLIENT_FILES, "types/", "README.md"],
  };
}

/** The project's page for a reader of the package: its homepage, else its repository's URL, else none. */
export function projectUrl(root: ProjectPackage): string | undefined {
  const repo = typeof root.repository === "string" ? root.repository : root.repository?.url;
  return root.homepage ?? repo?.replace(/^git\+/, "").replace(/\.git$/, "");
}

/**
 * The package's README: install, the client, the element, bundlers, the hot-link URL of the same
 * bytes (`pinned`, e.g. `/v0.1.0-1a2b3c4d/`), the licence and where the project is. Its ```ts block
 * is type-checked against the packed package by scripts/build-package.test.ts.
 *
 * @example
 * await writeFile("dist/package/README.md", packageReadme(root, "/v0.1.0-1a2b3c4d/"));
 */
export function packageReadme(root: ProjectPackage, pinned: string): string {
  const url = projectUrl(root);
  const project = url ? `the LinkGAN project (${url})` : "the LinkGAN project (linkgan-web)";
  const licence = root.license
    ? `${root.license}.`
    : `None granted yet: the project has no licence, so this package says \`"license": "${NO_LICENCE}"\` (npm's word for no licence), and nobody has been given the right to use it.`;
  return `# ${PACKAGE_NAME}

LinkGAN in the browser: a client that generates faces with a LinkGAN model and resamples one
linked region of a face (an eye, the mouth, a painted mask), rendering on the page's GPU
(TensorFlow.js: WebGPU, WebAssembly, WebGL or cpu, weights fetched from a LinkGAN API and cached)
or through the API itself; and \`<linkgan-editor>\`, a custom element that puts it on a page.
Version ${root.version}; it needs a LinkGAN API (the project's Cloudflare Worker) to serve models.

## Install

\`\`\`sh
npm install ${PACKAGE_NAME}
\`\`\`

## The client

\`\`\`ts
import { type ClientOptions, LinkGanClient } from "${PACKAGE_NAME}";

const options: ClientOptions = { apiOrigin: "https://linkgan.example", model: "faces64", mode: "auto" };
const client = await LinkGanClient.create(options);
const img = await client.generate({ seed: 7, truncation: 0.7 }); // { width, height, rgba, w, noise }
const edited = await client.resample({ w: img.w, noise: img.noise, regions: ["mouth"], resampleSeed: 3 });
console.log(client.mode, edited.width);
\`\`\`

\`mode\`: \`"local"\` renders in the page, \`"remote"\` asks the API for PNGs, \`"auto"\` (the
default) renders in the page unless no backend starts there or the API measures faster. The
parameters have the HTTP API's names and bounds; errors are \`LinkGanError\`s with the API's codes. The module also imports in Node (a
framework's server-side render), where it renders nothing until a browser runs it.

## The element

\`\`\`js
import "${PACKAGE_NAME}/editor"; // defines <linkgan-editor>; re-exports the client too
\`\`\`

\`\`\`html
<linkgan-editor api-origin="https://linkgan.example" model="faces64" seed="7" mode="auto"></linkgan-editor>
\`\`\`

Attributes \`api-origin\`, \`model\`, \`seed\` and \`mode\` set the properties of the same names
(\`apiOrigin\`, …). Events: \`ready\`, \`progress\` (\`detail.fraction\`), \`render\` and \`error\`
(\`detail.code\`, \`message\`, \`field\`). Theme it with \`--linkgan-size\`, \`--linkgan-accent\`,
\`--linkgan-bg\`, \`--linkgan-fg\`, \`--linkgan-radius\` and \`--linkgan-font\`. Import
\`${PACKAGE_NAME}\` or \`${PACKAGE_NAME}/editor\`, not both: each bundle holds its own
TensorFlow.js.

## Bundlers

The client fetches its WebAssembly backend from beside its bundle, as
\`new URL("./tfjs-backend-wasm-simd.wasm", import.meta.url)\`. Vite emits the file on its own
(webpack 5 and Parcel document the same form as an asset reference). With esbuild, copy it:

\`\`\`sh
npx esbuild app.js --bundle --format=esm --outdir=public
cp node_modules/${PACKAGE_NAME}/tfjs-backend-wasm-simd.wasm public/
\`\`\`

Without the file the wasm backend is skipped (the \`ready\` event says why) and the next one is used.
The file is also exported as \`${PACKAGE_NAME}/tfjs-backend-wasm-simd.wasm\`.

## Without a bundler

A LinkGAN API deployed from the same build serves these files, byte for byte, in a folder named by
their hash and cached immutably: \`https://<api origin>${pinned}linkgan-editor.js\` (and
\`linkgan-client.js\`). An API's \`/client.json\` names the folder it serves now; its
\`/linkgan-editor.js\` is its latest deploy, revalidated.

\`\`\`html
<script type="module" src="https://linkgan.example${pinned}linkgan-editor.js"></script>
\`\`\`

## Licence

${licence}

## More

The API, the model, the training and the tests: the README of ${project}, sections "The browser
client and widget" and "The npm package".
`;
}
