/**
 * Root trees written onto real filesystems: files, directories, symlinks and hard links with the
 * owner, mode and SELinux label each test needs (labels are plain xattrs: no SELinux needed).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { run } from "./system";

interface Owned {
    path: string;
    mode?: number;
    uid?: number;
    gid?: number;
    label?: string;
}
export type Entry =
    | (Owned & { dir: true })
    | (Owned & { file: string | Buffer })
    | { path: string; symlink: string | Buffer }
    | { path: string; hardlink: string }
    | { path: string; fifo: true };

/**
 * Writes entries under `root` in order; missing parents are created root-owned 0755. A link or
 * FIFO replaces whatever an earlier entry put at its path.
 */
export function writeTree(root: string, entries: Entry[]): void {
    for (const entry of entries) {
        const target = path.join(root, entry.path);
        fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
        if ("symlink" in entry || "hardlink" in entry || "fifo" in entry)
            fs.rmSync(target, { recursive: true, force: true });
        if ("symlink" in entry) {
            fs.symlinkSync(entry.symlink, target);
        } else if ("hardlink" in entry) {
            fs.linkSync(path.join(root, entry.hardlink), target);
        } else if ("fifo" in entry) {
            run("mkfifo", [target]);
        } else {
            if ("dir" in entry) fs.mkdirSync(target, { recursive: true });
            else fs.writeFileSync(target, entry.file);
            fs.chownSync(target, entry.uid ?? 0, entry.gid ?? 0);
            fs.chmodSync(target, entry.mode ?? ("dir" in entry ? 0o755 : 0o644));
            if (entry.label) setLabel(target, entry.label);
        }
    }
}

export function setLabel(file: string, label: string): void {
    run("setfattr", ["-h", "-n", "security.selinux", "-v", label, file]);
}

/** The SELinux label stored on a file, or null when it has none. */
export function labelOf(file: string): string | null {
    const result = run("getfattr", [
        "-h",
        "--absolute-names",
        "-d",
        "-m",
        "security.selinux",
        file,
    ]);
    const match = /security\.selinux="([^"]*)"/.exec(result);
    return match ? match[1].replace(/\0$/, "") : null;
}

export interface Ownership {
    uid: number;
    gid: number;
    mode: number;
    ino: number;
}

export function ownershipOf(file: string): Ownership {
    const stat = fs.lstatSync(file);
    return { uid: stat.uid, gid: stat.gid, mode: stat.mode & 0o7777, ino: stat.ino };
}

/** Every path below `root` (relative), for "nothing else changed" checks. */
export function listTree(root: string): string[] {
    const found: string[] = [];
    const walk = (dir: string): void => {
        for (const name of fs.readdirSync(dir)) {
            if (name === "lost+found") continue;
            const full = path.join(dir, name);
            found.push(path.relative(root, full));
            if (fs.lstatSync(full).isDirectory()) walk(full);
        }
    };
    walk(root);
    return found.sort();
}
