/** FdOutput, the lean path's stdout and stderr: whole writes, EAGAIN waited out, EPIPE ends output quietly. */
import { describe, expect, it, vi } from "vitest";

const calls: Array<{ fd: number; bytes: string }> = [];
const script: Array<number | string> = [];

vi.mock("node:fs", async (orig) => {
  const real = await orig<typeof import("node:fs")>();
  return {
    ...real,
    // Each call takes the next scripted outcome: a byte count to accept, or an errno code to throw.
    writeSync: (fd: number, b: Uint8Array, off: number, len: number) => {
      const next = script.shift() ?? len;
      if (typeof next === "string") throw Object.assign(new Error(next), { code: next });
      const n = Math.min(next, len);
      calls.push({ fd, bytes: Buffer.from(b.subarray(off, off + n)).toString("latin1") });
      return n;
    },
  };
});

const { FdOutput } = await import("../../src/cli/output.js");

describe("FdOutput", () => {
  it("writes the whole text across short writes and EAGAIN", () => {
    calls.length = 0;
    script.push(3, "EAGAIN", "EAGAIN", 2);
    new FdOutput(7).write("hello, world");
    expect(calls.map((c) => c.bytes).join("")).toBe("hello, world");
    expect(calls.every((c) => c.fd === 7)).toBe(true);
    expect(calls.map((c) => c.bytes)).toEqual(["hel", "lo", ", world"]);
  });

  it("writes UTF-8", () => {
    calls.length = 0;
    new FdOutput(1).write("é");
    expect(Buffer.from(calls[0]!.bytes, "latin1").toString("utf8")).toBe("é");
  });

  it("after EPIPE writes nothing more and throws nothing", () => {
    calls.length = 0;
    script.push("EPIPE");
    const o = new FdOutput(1);
    o.write("lost");
    o.write("also lost");
    expect(calls).toEqual([]);
  });

  it("throws any other error", () => {
    script.push("EIO");
    expect(() => new FdOutput(1).write("x")).toThrow(/EIO/);
  });
});
