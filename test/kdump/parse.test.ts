import { describe, expect, it } from "vitest";
import {
  buildIdFromNotes,
  countCpuList,
  distroFromOsRelease,
  dumpLevel,
  iomemCrashKernel,
  iomemHidden,
  iomemSystemRam,
  parseIomem,
  parseKdumpConf,
  parseKernelConfig,
  parseMeminfo,
  parseShellVars,
} from "../../src/kdump/parse.js";
import { MiB } from "../../src/kdump/units.js";

describe("host file parsers", () => {
  it("kernel config: y, m, strings, not set", () => {
    const c = parseKernelConfig('CONFIG_CRASH_DUMP=y\nCONFIG_PSTORE_RAM=m\nCONFIG_LOCALVERSION="-x"\n# CONFIG_KEXEC_FILE is not set\n# comment\n');
    expect(c.get("CONFIG_CRASH_DUMP")).toBe("y");
    expect(c.get("CONFIG_PSTORE_RAM")).toBe("m");
    expect(c.get("CONFIG_LOCALVERSION")).toBe("-x");
    expect(c.get("CONFIG_KEXEC_FILE")).toBe("n");
    expect(c.has("CONFIG_DEBUG_INFO")).toBe(false);
  });

  it("shell vars: quotes, comments, last one wins", () => {
    const v = parseShellVars('# USE_KDUMP=1\nUSE_KDUMP=0\nUSE_KDUMP=1\nKDUMP_COREDIR="/srv/crash"\nMAKEDUMP_ARGS=\'-c -d 31\'\nX=a # note\nexport Y=2\n');
    expect(Object.fromEntries(v)).toEqual({ USE_KDUMP: "1", KDUMP_COREDIR: "/srv/crash", MAKEDUMP_ARGS: "-c -d 31", X: "a", Y: "2" });
  });

  it("kdump.conf directives", () => {
    const c = parseKdumpConf("#path /x\npath /var/crash\ncore_collector makedumpfile -l --message-level 7 -d 31\nfailure_action reboot\n");
    expect(c.get("path")).toBe("/var/crash");
    expect(c.get("core_collector")).toBe("makedumpfile -l --message-level 7 -d 31");
    expect(c.has("#path")).toBe(false);
  });

  it("meminfo in bytes", () => {
    const m = parseMeminfo("MemTotal:       16043520 kB\nHugePages_Total:       0\n");
    expect(m.get("MemTotal")).toBe(16043520 * 1024);
    expect(m.get("HugePages_Total")).toBe(0);
  });

  it("iomem: crash kernel range, System RAM, hidden ranges", () => {
    const text = "00001000-0009ffff : System RAM\n00100000-7fedffff : System RAM\n  2e000000-2f001fff : Kernel code\n  61000000-78ffffff : Crash kernel\n100000000-47fffffff : System RAM\n";
    const r = parseIomem(text);
    expect(iomemCrashKernel(r)).toEqual({ bytes: 384 * MiB, ranges: ["61000000-78ffffff"] });
    expect(iomemSystemRam(r)).toBe(0x9f000 + 0x7fde0000 + 0x380000000);
    expect(iomemHidden(r)).toBe(false);
    expect(iomemHidden(parseIomem("00000000-00000000 : System RAM\n  00000000-00000000 : Crash kernel\n"))).toBe(true);
    expect(iomemCrashKernel(parseIomem("00001000-0009ffff : System RAM\n"))).toBeNull();
  });

  it("cpu lists", () => {
    expect(countCpuList("0-7\n")).toBe(8);
    expect(countCpuList("0-3,8-11")).toBe(8);
    expect(countCpuList("0")).toBe(1);
    expect(countCpuList("")).toBeNull();
    expect(countCpuList("3-1")).toBeNull();
  });

  it("build-id from an ELF note blob (/sys/kernel/notes)", () => {
    const xen = [4, 0, 0, 0, 4, 0, 0, 0, 6, 0, 0, 0, ...Buffer.from("Xen\0"), 1, 2, 3, 4];
    const gnu = [4, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0, ...Buffer.from("GNU\0"), 0xde, 0xad, 0xbe, 0xef];
    expect(buildIdFromNotes(new Uint8Array([...xen, ...gnu]))).toBe("deadbeef");
    expect(buildIdFromNotes(new Uint8Array([1, 2, 3]))).toBeNull();
  });

  it("distribution family", () => {
    expect(distroFromOsRelease('ID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')).toEqual({ family: "debian", id: "debian", name: "Debian GNU/Linux 12 (bookworm)" });
    expect(distroFromOsRelease('ID=ubuntu\nID_LIKE=debian\n').family).toBe("debian");
    expect(distroFromOsRelease('ID="rocky"\nID_LIKE="rhel centos fedora"\n').family).toBe("rhel");
    expect(distroFromOsRelease('ID=fedora\n').family).toBe("rhel");
    expect(distroFromOsRelease("ID=arch\n").family).toBe("unknown");
    expect(distroFromOsRelease(null).family).toBe("unknown");
  });

  it("makedumpfile dump level", () => {
    expect(dumpLevel("-c -d 31")).toBe(31);
    expect(dumpLevel("makedumpfile -l --message-level 7 -d 31")).toBe(31);
    expect(dumpLevel("-d1 -c")).toBe(1);
    expect(dumpLevel("--dump-level 17")).toBe(17);
    expect(dumpLevel("-c")).toBeNull();
  });
});
