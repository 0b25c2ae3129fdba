/**
 * A user's raw disk image as the target's root volume (`npm run demo -- --root-image FILE`): a
 * whole disk with a partition table, or a bare filesystem. The emulator gets a copy, so FILE is
 * never changed; the demo reads the copy's files (read-only, journal left alone) to show what
 * the reset wrote.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { run } from "./disk/system";
import { FilesystemType, Workspace } from "./disk/images";

/** What reset-ssh-key.sh mounts. */
export const ROOT_FILESYSTEMS = ["ext2", "ext3", "ext4", "xfs", "btrfs"];
export const PARTITION_TABLES = ["gpt", "dos"];

/** What blkid finds at the start of the image: a partition table or a filesystem. */
export function probeImage(file: string): { table?: string; filesystem?: string } {
    const out = spawnSync("blkid", ["-p", "-o", "export", file], { encoding: "utf8" });
    const fields = Object.fromEntries(
        (out.stdout ?? "")
            .split("\n")
            .filter((l) => l.includes("="))
            .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    return { table: fields.PTTYPE, filesystem: fields.TYPE };
}

/** Why FILE cannot be a root volume image, or null. Only reads it. */
export function rootImageProblem(file: string): string | null {
    const accepted = `accepted: a raw disk image with a ${PARTITION_TABLES.join(" or ")} partition table, or a bare ${ROOT_FILESYSTEMS.join("/")} filesystem`;
    if (!fs.existsSync(file)) return `no such file; ${accepted}`;
    if (!fs.statSync(file).isFile()) return `not a regular file; ${accepted}`;
    const { table, filesystem } = probeImage(file);
    if (table && PARTITION_TABLES.includes(table)) return null;
    if (filesystem && ROOT_FILESYSTEMS.includes(filesystem)) return null;
    const found = table
        ? `a ${table} partition table`
        : filesystem
          ? `a ${filesystem} filesystem`
          : "neither a partition table nor a filesystem";
    return `blkid finds ${found}; ${accepted}`;
}

/** The working copy of a root image: registered with the emulator, read by the demo. */
export class RootImageCopy {
    readonly imagePath: string;
    private readonly workspace: Workspace;

    constructor(
        readonly source: string,
        dir: string,
    ) {
        this.workspace = new Workspace(fs.mkdtempSync(path.join(dir, "root-image-")));
        this.imagePath = path.join(this.workspace.dir, "root.img");
        run("cp", ["--sparse=always", source, this.imagePath]);
    }

    /** "a gpt disk image (partitions 1, 14, 15), root on partition 1 (ext4)" and the like. */
    describe(): string {
        return describeImage(this.imagePath, this.workspace);
    }

    /** Reads a file of the image's root filesystem (the one with etc/passwd), or undefined. */
    readFile(relative: string): FileRead | undefined {
        return readRootFile(this.imagePath, this.workspace, relative);
    }

    cleanup(): void {
        this.workspace.cleanup();
    }
}

export interface FileRead {
    content: string;
    uid: number;
    gid: number;
    mode: number;
}

interface Candidate {
    number?: number;
    range?: { offset: number; size: number };
}

function candidates(image: string): Candidate[] {
    const { table } = probeImage(image);
    if (!table) return [{}];
    return run("partx", ["-r", "-g", "-o", "NR,START,SECTORS", image])
        .trim()
        .split("\n")
        .map((line) => line.split(" ").map(Number))
        .map(([number, start, sectors]) => ({
            number,
            range: { offset: start * 512, size: sectors * 512 },
        }));
}

/** Mounts each candidate read-only in turn until `inspect` returns something. */
function onRootFilesystem<T>(
    image: string,
    workspace: Workspace,
    inspect: (root: string, type: string, c: Candidate) => T | undefined,
): T | undefined {
    for (const candidate of candidates(image)) {
        const loop = workspace.attach(image, candidate.range, true);
        try {
            const type = spawnSync("blkid", ["-p", "-o", "value", "-s", "TYPE", loop], {
                encoding: "utf8",
            }).stdout.trim();
            if (!ROOT_FILESYSTEMS.includes(type)) continue;
            const found = workspace.withMount(
                loop,
                type as FilesystemType,
                (root) =>
                    fs.existsSync(path.join(root, "etc/passwd"))
                        ? inspect(root, type, candidate)
                        : undefined,
                READ_ONLY[type],
            );
            if (found !== undefined) return found;
        } finally {
            workspace.detach(loop);
        }
    }
    return undefined;
}

/** Read-only without replaying a journal, as the reset script mounts (nouuid: the helper may share the UUID). */
const READ_ONLY: Record<string, string[]> = {
    ext2: ["ro"],
    ext3: ["ro", "noload"],
    ext4: ["ro", "noload"],
    xfs: ["ro", "nouuid", "norecovery"],
    btrfs: ["ro", "rescue=nologreplay"],
};

function readRootFile(image: string, workspace: Workspace, relative: string): FileRead | undefined {
    const read = onRootFilesystem(image, workspace, (root) => {
        const file = path.join(root, relative);
        if (!fs.existsSync(file)) return null;
        const stat = fs.lstatSync(file);
        return {
            content: fs.readFileSync(file, "utf8"),
            uid: stat.uid,
            gid: stat.gid,
            mode: stat.mode & 0o7777,
        };
    });
    return read ?? undefined;
}

function describeImage(image: string, workspace: Workspace): string {
    const { table } = probeImage(image);
    const where = onRootFilesystem(image, workspace, (_root, type, c) =>
        c.number ? `root on partition ${c.number} (${type})` : `a bare ${type} filesystem`,
    );
    if (!table) return where ?? "a filesystem without etc/passwd";
    const numbers = candidates(image)
        .map((c) => c.number)
        .join(", ");
    return `a ${table === "dos" ? "MBR" : "GPT"} disk image (partitions ${numbers}), ${where ?? "no partition with etc/passwd"}`;
}
