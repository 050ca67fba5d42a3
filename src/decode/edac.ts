/**
 * EDAC error reports (drivers/edac) in fields, from what the grammar's edac-*
 * recognizers captured (grammars/kinds/hardware.yaml):
 *
 *  - a memory controller's, edac_mc.c edac_ce_error/edac_ue_error:
 *    "EDAC MC0: 1 CE memory read error on DIMM_A1 or DIMM_A2 (channel:0 slot:0 page:0x12345
 *    offset:0x440 grain:32 syndrome:0x5a - <driver detail>)", and its panic
 *    "UE memory read error on ... (...)" (edac_mc_panic_on_ue);
 *  - an edac_device's, edac_device.c: "EDAC DEVICE0: CE: <ctl> instance: <i> block: <b>
 *    count: 1 '<msg>'", and its panic "EDAC <ctl>: UE instance: <i> block <b> count: 1 '<msg>'".
 *
 * The kernel's page is in its own PAGE_SIZE units, so no physical address is
 * computed here (4 KiB on x86, 4/16/64 KiB on arm64).
 */

import type { EdacInfo } from "../types.js";

export type { EdacInfo };

/** "12345" / "0x12345" -> "0x12345" (lower case); null when absent. */
function hex(v: string | undefined): string | null {
  return v === undefined ? null : "0x" + v.replace(/^0x/i, "").toLowerCase();
}

function int(v: string | undefined): number | null {
  if (v === undefined) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

/** The layers a controller placed an error in, as printed: "channel:1 slot:0" -> {channel: "1", slot: "0"}. */
export function edacLayers(location: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tok of location.split(" ")) {
    const m = /^([A-Za-z_]{1,32}):([^\s:]{1,64})$/.exec(tok);
    if (m && !(m[1]! in out)) out[m[1]!] = m[2]!;
  }
  return out;
}

/** The report's fields; null when the captures are not an EDAC report's. */
export function decodeEdac(caps: Record<string, string>): EdacInfo | null {
  const type = caps["edactype"];
  if (type !== "CE" && type !== "UE") return null;
  const device = caps["controller"] !== undefined;
  const label = caps["label"];
  const location = caps["location"]?.trim() || null;
  return {
    source: device ? "device" : "mc",
    index: int(device ? caps["device"] : caps["mc"]),
    corrected: type === "CE",
    count: int(caps["count"]),
    message: caps["edacmsg"]?.trim() || null,
    labels: label ? label.split(" or ").map((l) => l.trim()).filter(Boolean) : [],
    location,
    layers: location ? edacLayers(location) : {},
    page: hex(caps["page"]),
    offset: hex(caps["offset"]),
    grain: int(caps["grain"]),
    syndrome: hex(caps["syndrome"]),
    detail: caps["detail"]?.trim() || null,
    controller: caps["controller"] ?? null,
    instance: caps["instance"] ?? null,
    block: caps["block"] ?? null,
  };
}

/** One line in words, for the text report. */
export function describeEdac(e: EdacInfo): string {
  const what = e.corrected ? "corrected" : "uncorrected";
  const n = e.count === null ? `an ${what} error` : `${e.count} ${what} error${e.count === 1 ? "" : "s"}`;
  const msg = e.message ? ` (${e.message})` : "";
  if (e.source === "device") {
    return `${n}${msg} in ${e.controller ?? "?"} instance ${e.instance ?? "?"} block ${e.block ?? "?"}${e.index !== null ? ` (EDAC DEVICE${e.index})` : ""}`;
  }
  const where = Object.entries(e.layers).map(([k, v]) => `${k} ${v}`).join(", ");
  const parts = [
    `${n}${msg} on ${e.labels.join(" or ") || "?"}${e.index !== null ? ` of memory controller ${e.index}` : ""}${where ? ` (${where})` : ""}`,
    e.page !== null ? `page ${e.page} offset ${e.offset ?? "?"}` : "",
    e.grain !== null ? `grain ${e.grain} bytes` : "",
    e.syndrome !== null ? `syndrome ${e.syndrome}` : "",
  ].filter(Boolean);
  return parts.join(", ") + (e.detail ? `; the driver: ${e.detail}` : "");
}
