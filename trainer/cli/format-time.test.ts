import { describe, expect, it } from "vitest";
import { formatTime } from "./format-time.ts";

describe("formatTime", () => {
  it("never prints 60 minutes or seconds", () => {
    expect(formatTime(7199)).toBe("2h00m");
    expect(formatTime(3599.6)).toBe("1h00m");
    expect(formatTime(3930)).toBe("1h06m");
    expect(formatTime(119.7)).toBe("2m00s");
    expect(formatTime(65)).toBe("1m05s");
    expect(formatTime(9.4)).toBe("9s");
    expect(formatTime(Number.NaN)).toBe("…");
  });
});
