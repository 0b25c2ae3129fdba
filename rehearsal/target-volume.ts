/**
 * Disk images for the end-to-end tests: the target's root volume as a real XFS filesystem
 * holding a small cloud-image root, and a mounted XFS with the same UUID standing for the
 * helper's own root (same image lineage, as on EC2), so the script must mount with nouuid.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { makeFilesystem, Workspace } from "./disk/images";
import { writeTree } from "./disk/tree";
import { rootTree, EC2_USER } from "./disk/root-tree";
import { makeTempDir } from "./disk/system";

export { EC2_USER };
export const SHARED_XFS_UUID = "5c1a3e8e-8d0b-4c7e-9a51-2f1d2a6b7c01";
const XFS_MIB = 320; // mkfs.xfs refuses filesystems under 300 MiB

export class TargetVolume {
    readonly workspace = new Workspace(makeTempDir("reset-access-e2e-"));
    /** The target's root volume: register it with the emulator's POST /_emulator/disks. */
    readonly imagePath: string;
    private helperRoot?: string;

    constructor() {
        this.imagePath = this.xfsImage(rootTree());
    }

    /** Mounts an empty XFS with the target's UUID, as the helper's own root would be. */
    mountHelperLookalike(): void {
        const image = this.xfsImage([]);
        this.helperRoot = this.workspace.mount(this.workspace.attach(image), "xfs", ["nouuid"]);
    }

    /** Reads a file of the target's volume (mounted read-only, nouuid, for the moment of the read). */
    readFile(
        relative: string,
    ): { content: string; uid: number; gid: number; mode: number } | undefined {
        const loop = this.workspace.attach(this.imagePath, undefined, true);
        try {
            return this.workspace.withMount(
                loop,
                "xfs",
                (root) => {
                    const file = path.join(root, relative);
                    if (!fs.existsSync(file)) return undefined;
                    const stat = fs.lstatSync(file);
                    return {
                        content: fs.readFileSync(file, "utf8"),
                        uid: stat.uid,
                        gid: stat.gid,
                        mode: stat.mode & 0o7777,
                    };
                },
                ["ro", "nouuid", "norecovery"],
            );
        } finally {
            this.workspace.detach(loop);
        }
    }

    /** Copies the image out (the demo's --keep) before cleanup removes it. */
    copyTo(destination: string): void {
        fs.copyFileSync(this.imagePath, destination);
    }

    cleanup(): void {
        if (this.helperRoot) this.workspace.unmount(this.helperRoot);
        this.workspace.cleanup();
    }

    private xfsImage(entries: ReturnType<typeof rootTree>): string {
        const file = this.workspace.sparseFile(XFS_MIB);
        const loop = this.workspace.attach(file);
        try {
            makeFilesystem(loop, "xfs", { uuid: SHARED_XFS_UUID });
            // nouuid: another XFS with this UUID may be mounted (the helper look-alike, a parallel run)
            if (entries.length)
                this.workspace.withMount(loop, "xfs", (root) => writeTree(root, entries), [
                    "nouuid",
                ]);
        } finally {
            this.workspace.detach(loop);
        }
        return file;
    }
}
