/**
 * The editor's shadow-DOM styles. The host is `vertical-align: top`: an inline-block aligns on its
 * last line's baseline, so two editors side by side whose status lines wrap differently would sit
 * staggered. The canvases round their own corners (`border-radius: inherit`) where the stage could
 * clip them (`overflow: hidden`): that would clip the image's focus ring, drawn outside it, too. Pages theme it with CSS custom properties on the element:
 *   --linkgan-size     displayed image size (default 320px; the image is scaled up, pixelated)
 *   --linkgan-accent   buttons, focus ring, region overlay (default #3554d1)
 *   --linkgan-bg       panel background (default #f6f7fb)
 *   --linkgan-fg       text colour (default #1d2330)
 *   --linkgan-radius   corner radius (default 6px)
 *   --linkgan-font     font (default inherit)
 */
export const STYLES = `
:host { display: inline-block; vertical-align: top; font: var(--linkgan-font, inherit); color: var(--linkgan-fg, #1d2330); }
:host([hidden]) { display: none !important; }
.root { display: grid; gap: .5rem; padding: .75rem; background: var(--linkgan-bg, #f6f7fb); border-radius: var(--linkgan-radius, 6px); width: max-content; }
.stage { position: relative; width: var(--linkgan-size, 320px); height: var(--linkgan-size, 320px); background: #0002; border-radius: var(--linkgan-radius, 6px); }
canvas { display: block; width: 100%; height: 100%; image-rendering: pixelated; image-rendering: crisp-edges; border-radius: inherit; }
canvas.overlay { position: absolute; inset: 0; pointer-events: none; opacity: .45; }
canvas.image { cursor: pointer; }
.root.brush canvas.image { cursor: crosshair; }
canvas.image:focus-visible, button:focus-visible { outline: 3px solid var(--linkgan-accent, #3554d1); outline-offset: 2px; }
progress { position: absolute; left: 10%; right: 10%; bottom: 45%; width: 80%; accent-color: var(--linkgan-accent, #3554d1); }
progress[hidden] { display: none; }
.bar { display: flex; flex-wrap: wrap; gap: .35rem; max-width: var(--linkgan-size, 320px); }
button { font: inherit; font-size: .85rem; padding: .3rem .6rem; border: 1px solid var(--linkgan-accent, #3554d1); border-radius: var(--linkgan-radius, 6px);
  background: #fff; color: var(--linkgan-accent, #3554d1); cursor: pointer; }
button:hover:not(:disabled) { background: var(--linkgan-accent, #3554d1); color: #fff; }
button[aria-pressed="true"] { background: var(--linkgan-accent, #3554d1); color: #fff; }
button:disabled { opacity: .45; cursor: default; }
select { font: inherit; font-size: .85rem; border: 1px solid var(--linkgan-accent, #3554d1); border-radius: var(--linkgan-radius, 6px); background: #fff; color: var(--linkgan-accent, #3554d1); }
select:focus-visible { outline: 3px solid var(--linkgan-accent, #3554d1); outline-offset: 2px; }
kbd { font: inherit; font-size: .75em; padding: 0 .3em; border: 1px solid currentColor; border-radius: 3px; margin-right: .3em; }
.root.dropping .stage { outline: 3px dashed var(--linkgan-accent, #3554d1); outline-offset: 2px; }
figure.original { margin: 0; display: flex; align-items: center; gap: .5rem; font-size: .8rem; max-width: var(--linkgan-size, 320px); }
figure.original[hidden] { display: none; }
figure.original canvas { width: 64px; height: 64px; border-radius: var(--linkgan-radius, 6px); }
.status { margin: 0; font-size: .8rem; min-height: 1.2em; max-width: var(--linkgan-size, 320px); }
.status.error { color: #b00020; }
`;
