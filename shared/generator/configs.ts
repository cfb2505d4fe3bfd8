import { GeneratorConfig } from "./config.ts";

/**
 * Named generator configurations. `faces64` is the architecture of the default model (64 px cartoon
 * faces); `tiny` exists for tests and fixtures only.
 */
export const CONFIGS = {
  faces64: GeneratorConfig.parse({ resolution: 64, zDim: 256, wDim: 256, mappingLayers: 4, channelBase: 2048, channelMax: 128 }),
  tiny: GeneratorConfig.parse({ resolution: 16, zDim: 32, wDim: 32, mappingLayers: 2, channelBase: 256, channelMax: 32 }),
} as const;
export type ConfigName = keyof typeof CONFIGS;
