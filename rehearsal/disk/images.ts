/**
 * Disk images for the script tests: sparse files attached as loop devices, formatted, partitioned
 * or turned into LVM physical volumes, populated through a mount. A Workspace records everything
 * it attaches and mounts and undoes it in `cleanup()` (called from after-hooks).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { run } from "./system";
import { Entry, writeTree } from "./tree";

export type FilesystemType = "ext4" | "xfs" | "btrfs" | "vfat";

export interface FilesystemOptions {
    uuid?: string;
    label?: string;
}

export class Workspace {
    private readonly loops: string[] = [];
    private readonly mounts: string[] = [];
    private counter = 0;

    constructor(readonly dir: string) {}

    /** A sparse file of `mib` MiB. */
    sparseFile(mib: number): string {
        const file = path.join(this.dir, `image-${++this.counter}.img`);
        run("truncate", ["-s", `${mib}M`, file]);
        return file;
    }

    /** Attaches a file or device (or a byte range of it) as a new loop device. */
    attach(source: string, range?: { offset: number; size: number }, readOnly = false): string {
        const args = ["--find", "--show"];
        if (range) args.push("--offset", String(range.offset), "--sizelimit", String(range.size));
        if (readOnly) args.push("--read-only");
        const loop = run("losetup", [...args, source]).trim();
        this.loops.push(loop);
        return loop;
    }

    detach(loop: string): void {
        run("losetup", ["-d", loop]);
        this.loops.splice(this.loops.indexOf(loop), 1);
    }

    mount(device: string, type: FilesystemType, options: string[] = []): string {
        const mountpoint = path.join(this.dir, `mnt-${++this.counter}`);
        fs.mkdirSync(mountpoint);
        const args = ["-t", type];
        if (options.length) args.push("-o", options.join(","));
        run("mount", [...args, device, mountpoint]);
        this.mounts.push(mountpoint);
        return mountpoint;
    }

    unmount(mountpoint: string): void {
        run("umount", [mountpoint]);
        this.mounts.splice(this.mounts.indexOf(mountpoint), 1);
        fs.rmdirSync(mountpoint);
    }

    /** Mounts, runs `inspect`, unmounts (also when `inspect` throws). */
    withMount<T>(
        device: string,
        type: FilesystemType,
        inspect: (root: string) => T,
        options: string[] = [],
    ): T {
        const mountpoint = this.mount(device, type, options);
        try {
            return inspect(mountpoint);
        } finally {
            this.unmount(mountpoint);
        }
    }

    /** Loop devices over `source` that this workspace did not attach (the script must leave none). */
    loopsOver(source: string): string[] {
        return run("losetup", ["-n", "-O", "NAME", "-j", source])
            .split("\n")
            .map((line) => line.trim())
            .filter((loop) => loop && !this.loops.includes(loop));
    }

    cleanup(): void {
        for (const mountpoint of [...this.mounts].reverse()) {
            try {
                this.unmount(mountpoint);
            } catch {
                run("umount", ["-l", mountpoint]);
            }
        }
        for (const loop of [...this.loops].reverse()) {
            try {
                this.detach(loop);
            } catch {
                /* already gone */
            }
        }
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

export function makeFilesystem(
    device: string,
    type: FilesystemType,
    options: FilesystemOptions = {},
): void {
    const args: string[] = [];
    switch (type) {
        case "ext4":
            args.push("-q", "-F", "-m", "0");
            if (options.uuid) args.push("-U", options.uuid);
            if (options.label) args.push("-L", options.label);
            return void run("mkfs.ext4", [...args, device]);
        case "xfs":
            args.push("-q", "-f");
            if (options.uuid) args.push("-m", `uuid=${options.uuid}`);
            if (options.label) args.push("-L", options.label);
            return void run("mkfs.xfs", [...args, device]);
        case "btrfs":
            args.push("-q", "-f");
            if (options.uuid) args.push("-U", options.uuid);
            if (options.label) args.push("-L", options.label);
            return void run("mkfs.btrfs", [...args, device]);
        case "vfat":
            return void run("mkfs.vfat", [device]);
    }
}

export function filesystemUuid(device: string): string {
    return run("blkid", ["-p", "-o", "value", "-s", "UUID", device]).trim();
}

/** Formats a device and writes a tree onto it. */
export function buildFilesystem(
    workspace: Workspace,
    device: string,
    type: FilesystemType,
    entries: Entry[],
    options: FilesystemOptions = {},
): void {
    makeFilesystem(device, type, options);
    if (entries.length) workspace.withMount(device, type, (root) => writeTree(root, entries));
}

export interface PartitionSpec {
    /** Size; 0 takes the rest of the disk (an MBR extended partition holding logical ones). */
    mib: number;
    /** sfdisk type: a GPT GUID or an MBR hex code. */
    type: string;
}

export interface PartitionRange {
    number: number;
    offset: number;
    size: number;
}

export const GPT_EFI = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
export const GPT_LINUX = "0FC63DAF-8483-4772-8E79-3D69C8477DE4";
export const GPT_LVM = "E6D6D379-F507-44C2-A23C-238F2A3DF928";

/** Writes a partition table with sfdisk and returns each partition's byte range. */
export function partition(
    disk: string,
    label: "gpt" | "dos",
    partitions: PartitionSpec[],
): PartitionRange[] {
    const script = [
        `label: ${label}`,
        ...partitions.map((p) => `${p.mib ? `size=${p.mib}MiB, ` : ""}type=${p.type}`),
    ].join("\n");
    run("sfdisk", ["-q", disk], `${script}\n`);
    return run("partx", ["-r", "-g", "-o", "NR,START,SECTORS", disk])
        .trim()
        .split("\n")
        .map((line) => line.split(" ").map(Number))
        .map(([number, start, sectors]) => ({ number, offset: start * 512, size: sectors * 512 }));
}
