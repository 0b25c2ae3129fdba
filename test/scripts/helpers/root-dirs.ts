/**
 * Root directories for `--root` runs: one real ext4 image per suite, mounted once, with a fresh
 * directory tree per test (the script sees a real filesystem: owners, modes, xattrs, rename).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { buildFilesystem, Workspace } from "../../../rehearsal/disk/images";
import { makeTempDir } from "../../../rehearsal/disk/system";
import { Entry, writeTree } from "../../../rehearsal/disk/tree";

export class RootDirs {
    readonly workspace: Workspace;
    private readonly mountpoint: string;
    private count = 0;

    constructor(prefix: string, mib = 96) {
        this.workspace = new Workspace(makeTempDir(prefix));
        const device = this.workspace.attach(this.workspace.sparseFile(mib));
        buildFilesystem(this.workspace, device, "ext4", []);
        this.mountpoint = this.workspace.mount(device, "ext4");
    }

    /** A new directory on the image holding `entries`. */
    create(entries: Entry[]): string {
        const root = path.join(this.mountpoint, `root-${++this.count}`);
        fs.mkdirSync(root, { mode: 0o755 });
        writeTree(root, entries);
        return root;
    }

    cleanup(): void {
        this.workspace.cleanup();
    }
}
