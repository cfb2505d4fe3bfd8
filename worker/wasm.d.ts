// wrangler (and the vitest workerd pool) import a .wasm file as a compiled WebAssembly.Module:
// Workers forbid compiling WebAssembly at run time.
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
