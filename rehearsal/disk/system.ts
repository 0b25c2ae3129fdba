/**
 * Synchronous shell helpers and the machine capabilities the script tests depend on.
 * Every probe returns the precise reason a capability is missing, so skipped tests say why.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Runs a command and returns its stdout; throws with the command line and its stderr. */
export function run(command: string, args: string[], input?: string): string {
    try {
        return execFileSync(command, args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
    } catch (error) {
        const failure = error as { stderr?: string; status?: number };
        throw new Error(`${command} ${args.join(" ")} failed (${failure.status}): ${failure.stderr ?? error}`);
    }
}

/** Runs a command and reports success instead of throwing. */
export function succeeds(command: string, args: string[]): { ok: boolean; output: string } {
    const result = spawnSync(command, args, { encoding: "utf8" });
    return { ok: result.status === 0, output: `${result.stdout ?? ""}${result.stderr ?? ""}`.trim() };
}

export function makeTempDir(prefix: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

let loopReason: string | null | undefined;

/** Why loop devices and mounts cannot be used here, or null when they can. */
export function loopUnavailableReason(): string | null {
    if (loopReason !== undefined) return loopReason;
    loopReason = probeLoopAndMount();
    return loopReason;
}

function probeLoopAndMount(): string | null {
    if (process.getuid?.() !== 0) return "not running as root (loop devices and mounts need root)";
    if (!fs.existsSync("/dev/loop-control")) return "no /dev/loop-control";
    const dir = makeTempDir("probe-loop");
    const image = path.join(dir, "probe.img");
    try {
        run("truncate", ["-s", "16M", image]);
        run("mkfs.ext4", ["-q", "-F", image]);
        const loop = run("losetup", ["--find", "--show", image]).trim();
        try {
            const mountpoint = path.join(dir, "mnt");
            fs.mkdirSync(mountpoint);
            run("mount", [loop, mountpoint]);
            run("umount", [mountpoint]);
        } finally {
            run("losetup", ["-d", loop]);
        }
        return null;
    } catch (error) {
        return `loop devices or mounts do not work: ${(error as Error).message.split("\n")[0]}`;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Why a btrfs filesystem cannot be made and mounted here, or null. */
export function btrfsUnavailableReason(): string | null {
    if (!succeeds("which", ["mkfs.btrfs"]).ok) return "mkfs.btrfs not installed (btrfs-progs)";
    if (!fs.readFileSync("/proc/filesystems", "utf8").includes("btrfs")) {
        const probe = succeeds("modprobe", ["btrfs"]);
        if (!probe.ok) return `the kernel has no btrfs support (${probe.output || "modprobe btrfs failed"})`;
    }
    return null;
}

/** Why device-mapper devices cannot be created here, or null. */
export function deviceMapperUnavailableReason(): string | null {
    if (!succeeds("which", ["dmsetup"]).ok) return "dmsetup not installed";
    const version = succeeds("dmsetup", ["version"]);
    if (!version.ok || !fs.existsSync("/dev/mapper/control")) {
        const detail = version.output.split("\n").find((line) => /fail|No such/i.test(line));
        return `device-mapper not available (${detail?.trim() ?? "/dev/mapper/control missing"})`;
    }
    return null;
}

export function lvmUnavailableReason(): string | null {
    if (!succeeds("which", ["lvm"]).ok) return "lvm not installed (lvm2)";
    return null;
}
