/**
 * Probes of what the tests and the demo need from the machine. Each returns why the thing is
 * unusable here, or null when it works; they install nothing and leave nothing behind.
 * Commands are looked up on PATH only, as the tests will run them.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export type Reason = string | null;

/** The full path of an executable named `name` on PATH, or undefined. */
export function findCommand(name: string, searchPath = process.env.PATH ?? ""): string | undefined {
    for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
        const candidate = path.join(dir, name);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            if (fs.statSync(candidate).isFile()) return candidate;
        } catch {
            // not in this directory
        }
    }
    return undefined;
}

export function commandReason(command: string): Reason {
    return findCommand(command) ? null : `${command} not found on PATH`;
}

export function rootReason(): Reason {
    return process.getuid?.() === 0
        ? null
        : "not running as root (loop devices, mounts and apt-get need root)";
}

/** Runs a command; throws with its first line of stderr when it fails. */
function run(command: string, args: string[]): string {
    const result = spawnSync(command, args, { encoding: "utf8" });
    if (result.error) throw new Error(`${command}: ${result.error.message}`);
    if (result.status !== 0)
        throw new Error(
            `${command} ${args.join(" ")}: ${(result.stderr || result.stdout).trim().split("\n")[0]}`,
        );
    return result.stdout;
}

/** Makes, loop-attaches and mounts a small ext4 image, then undoes it all. */
export function loopDevicesReason(): Reason {
    const root = rootReason();
    if (root) return root;
    if (!fs.existsSync("/dev/loop-control"))
        return "no /dev/loop-control (a container needs the loop devices passed in, or --privileged)";
    for (const command of ["losetup", "mount", "umount", "truncate", "mkfs.ext4"]) {
        if (!findCommand(command))
            return `${command} not found on PATH (needed to probe loop devices)`;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deps-probe-loop-"));
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
            spawnSync("losetup", ["-d", loop]);
        }
        return null;
    } catch (error) {
        return `loop devices or mounts do not work: ${(error as Error).message}`;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** mkfs.btrfs, and a kernel that mounts btrfs. */
export function btrfsReason(): Reason {
    const command = commandReason("mkfs.btrfs");
    if (command) return command;
    if (fs.readFileSync("/proc/filesystems", "utf8").includes("btrfs")) return null;
    const probe = spawnSync("modprobe", ["btrfs"], { encoding: "utf8" });
    if (probe.status === 0) return null;
    return `the kernel has no btrfs support (${(probe.stderr ?? "").trim() || "modprobe btrfs failed"})`;
}

/** dmsetup and the kernel's device-mapper control node. */
export function deviceMapperReason(): Reason {
    const command = commandReason("dmsetup");
    if (command) return command;
    if (!fs.existsSync("/dev/mapper/control"))
        return "no /dev/mapper/control (the kernel's device-mapper is not available here)";
    const version = spawnSync("dmsetup", ["version"], { encoding: "utf8" });
    if (version.status !== 0)
        return `dmsetup version failed: ${(version.stderr ?? "").trim().split("\n")[0]}`;
    return null;
}

/** ntfs-3g mounts through FUSE: its command and /dev/fuse. */
export function ntfs3gReason(): Reason {
    return (
        commandReason("ntfs-3g") ??
        (fs.existsSync("/dev/fuse") ? null : "no /dev/fuse (ntfs-3g mounts through FUSE)")
    );
}

/** Where `dotnet tool install --global` puts its commands. */
export function dotnetToolsDir(): string {
    return path.join(os.homedir(), ".dotnet", "tools");
}

/** pwsh on PATH, else where `dotnet tool install --global PowerShell` put it. */
export function locatePwsh(): string | undefined {
    const onPath = findCommand("pwsh");
    if (onPath) return onPath;
    const tool = path.join(dotnetToolsDir(), "pwsh");
    return fs.existsSync(tool) ? tool : undefined;
}

export function pwshReason(): Reason {
    const pwsh = locatePwsh();
    if (!pwsh) return `pwsh not found on PATH nor in ${dotnetToolsDir()}`;
    const version = spawnSync(pwsh, ["--version"], { encoding: "utf8", timeout: 60_000 });
    if (version.status !== 0)
        return `${pwsh} --version failed: ${(version.stderr || String(version.error ?? "")).trim().split("\n")[0]}`;
    return /^PowerShell 7\./.test(version.stdout.trim())
        ? null
        : `${pwsh} is ${version.stdout.trim()}, not PowerShell 7`;
}

/** The user's PowerShell module folder, as pwsh computes it on Linux. */
export function userModulesDir(): string {
    const dataHome = process.env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share");
    return path.join(dataHome, "powershell", "Modules");
}

/** The folder a module version lives in, if any of pwsh's module folders has it. */
export function findModule(name: string, version: string): string | undefined {
    const dirs = [
        userModulesDir(),
        "/usr/local/share/powershell/Modules",
        ...(process.env.PSModulePath ?? "").split(path.delimiter),
    ];
    return dirs
        .filter(Boolean)
        .map((dir) => path.join(dir, name, version))
        .find((dir) => fs.existsSync(path.join(dir, `${name}.psd1`)));
}

export function moduleReason(name: string, version: string): Reason {
    return findModule(name, version)
        ? null
        : `PowerShell module ${name} ${version} not found in ${userModulesDir()}`;
}

/**
 * Runs the emulator's own dependency script, which installs with pip where it can.
 * Its notes pass through to stderr; its first "error:" line is the reason when it fails.
 */
export function pythonDepsReason(script: string): Reason {
    const bash = findCommand("bash");
    if (!bash) return "bash not found on PATH";
    const result = spawnSync(bash, [script], {
        encoding: "utf8",
        stdio: ["ignore", "inherit", "pipe"],
    });
    if (result.status === 0) {
        process.stderr.write(result.stderr ?? "");
        return null;
    }
    const error = (result.stderr ?? "").split("\n").find((line) => line.startsWith("error:"));
    return error?.replace(/^error: /, "") ?? `${script} failed (exit ${result.status})`;
}
