/**
 * The reset program --device on layouts where the home directories live apart from the root:
 * btrfs subvolumes, a /home partition named in the volume's fstab, LVM logical volumes (mapped
 * without activating the volume group, whose name may also be the helper's), and a /home that is
 * not on the volume at all (NFS), where the key must not go into the hidden directory.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { assertExit, assertKeysFile, assertNoTraces, requireImageTools } from "./helpers/checks";
import { requireCapability } from "../support/requirements";
import { EC2_USER, rootTree } from "../../rehearsal/disk/root-tree";
import {
    buildFilesystem,
    filesystemUuid,
    GPT_LINUX,
    makeFilesystem,
    partition,
    Workspace,
} from "../../rehearsal/disk/images";
import { ed25519, removeGeneratedKeys } from "./helpers/keys";
import { buildVolumeGroup, logicalVolumeRanges } from "./helpers/lvm";
import { runScript } from "./helpers/sandbox";
import { makeTempDir, run } from "../../rehearsal/disk/system";
import { Entry, listTree, writeTree } from "../../rehearsal/disk/tree";

/** The standard tree split in two: the root without home contents, and /home's contents. */
function splitHome(extra: Entry[] = []): { root: Entry[]; home: Entry[] } {
    const all = rootTree({ extra });
    const underHome = (entry: Entry) => entry.path.startsWith("home/");
    return {
        root: all.filter((entry) => !underHome(entry)),
        home: all
            .filter(underHome)
            .map((entry) => ({ ...entry, path: entry.path.slice("home/".length) })),
    };
}

const fstab = (lines: string[]): Entry => ({ path: "etc/fstab", file: `${lines.join("\n")}\n` });

describe("reset program --device: home directories on other filesystems", function () {
    let workspace: Workspace;
    const key = () => ed25519();
    const ec2UserKeys = (home: string) => path.join(home, "ec2-user/.ssh/authorized_keys");

    before(function () {
        requireImageTools(this, "fdisk");
        workspace = new Workspace(makeTempDir("script-volumes"));
    });
    after(() => {
        workspace?.cleanup();
        removeGeneratedKeys();
    });

    it("a /home partition named by UUID in the volume's fstab is mounted, and the key goes there", async () => {
        const image = workspace.sparseFile(96);
        const ranges = partition(image, "gpt", [
            { mib: 48, type: GPT_LINUX },
            { mib: 32, type: GPT_LINUX },
        ]);
        const disk = workspace.attach(image);
        const [rootPart, homePart] = ranges.map((range) => workspace.attach(disk, range));
        const tree = splitHome();
        buildFilesystem(workspace, homePart, "ext4", tree.home);
        const homeUuid = filesystemUuid(homePart);
        const staleHome: Entry = {
            path: "home/ec2-user",
            dir: true,
            mode: 0o700,
            uid: EC2_USER.uid,
            gid: EC2_USER.gid,
        };
        const rootEntries = [
            ...tree.root,
            staleHome,
            fstab([`UUID=${homeUuid} /home ext4 defaults 0 2`]),
        ];
        buildFilesystem(workspace, rootPart, "ext4", rootEntries);

        const result = await runScript(["--device", disk, "--public-key", key().publicLine]);

        assertExit(result, 0, "ok");
        assert.match(result.stdout, /mounted partition 2 .* at \/home/);
        workspace.withMount(homePart, "ext4", (home) =>
            assertKeysFile(ec2UserKeys(home), `${key().publicLine}\n`, {
                ...EC2_USER,
                mode: 0o600,
            }),
        );
        workspace.withMount(rootPart, "ext4", (root) =>
            assert.deepEqual(
                fs.readdirSync(path.join(root, "home/ec2-user")),
                [],
                "the hidden /home was written",
            ),
        );
        assertNoTraces(result, workspace, [disk]);
    });

    it("a /home that is not on the volume (NFS): the users are refused, the hidden directory untouched", async () => {
        const disk = workspace.attach(workspace.sparseFile(48));
        buildFilesystem(
            workspace,
            disk,
            "ext4",
            rootTree({ extra: [fstab(["nfs.example:/export/home /home nfs defaults 0 0"])] }),
        );

        const result = await runScript(["--device", disk, "--public-key", key().publicLine]);

        assertExit(result, 1, "error");
        assert.equal(result.user("ec2-user").action, "refused");
        assert.match(
            result.user("ec2-user").reason ?? "",
            /\/home is a separate filesystem not mounted here \(nfs filesystem\)/,
        );
        workspace.withMount(disk, "ext4", (root) =>
            assert.equal(fs.existsSync(path.join(root, "home/ec2-user/.ssh")), false),
        );
        assertNoTraces(result, workspace, [disk]);
    });

    it("btrfs with root and home subvolumes (Fedora layout): subvol=root, then subvol=home from fstab", async function () {
        requireCapability(this, "btrfs-progs");
        const disk = workspace.attach(workspace.sparseFile(256));
        makeFilesystem(disk, "btrfs");
        const uuid = filesystemUuid(disk);
        const tree = splitHome([
            fstab([
                `UUID=${uuid} / btrfs subvol=root,compress=zstd:1 0 0`,
                `UUID=${uuid} /home btrfs subvol=home,compress=zstd:1 0 0`,
            ]),
        ]);
        workspace.withMount(disk, "btrfs", (top) => {
            run("btrfs", ["-q", "subvolume", "create", path.join(top, "root")]);
            run("btrfs", ["-q", "subvolume", "create", path.join(top, "home")]);
            writeTree(path.join(top, "root"), tree.root);
            writeTree(path.join(top, "home"), tree.home);
        });

        const result = await runScript(["--device", disk, "--public-key", key().publicLine]);

        assertExit(result, 0, "ok");
        assert.equal(result.json.filesystem, "btrfs");
        assert.match(result.stdout, /OS root: .*subvolume root, mounted read-write/);
        workspace.withMount(
            disk,
            "btrfs",
            (home) =>
                assertKeysFile(ec2UserKeys(home), `${key().publicLine}\n`, {
                    ...EC2_USER,
                    mode: 0o600,
                }),
            ["subvol=home"],
        );
        workspace.withMount(
            disk,
            "btrfs",
            (root) => assert.deepEqual(listTree(path.join(root, "home")), []),
            ["subvol=root"],
        );
        assertNoTraces(result, workspace, [disk]);
    });

    it("LVM: LVs mapped without activating the volume group, though the helper has one of the same name", async function () {
        requireCapability(this, "lvm2");
        const helperPv = workspace.attach(workspace.sparseFile(16));
        buildVolumeGroup(workspace, helperPv, "vg0", [{ name: "root", mib: 8 }]);
        const image = workspace.sparseFile(128);
        const ranges = partition(image, "dos", [
            { mib: 16, type: "83" },
            { mib: 100, type: "8e" },
        ]);
        const disk = workspace.attach(image);
        const pv = workspace.attach(disk, ranges[1]);
        const tree = splitHome([
            fstab([
                "/dev/mapper/vg0-root / ext4 defaults 0 1",
                "/dev/mapper/vg0-home /home ext4 defaults 0 2",
            ]),
        ]);
        buildVolumeGroup(workspace, pv, "vg0", [
            { name: "root", mib: 48, fs: "ext4", entries: tree.root },
            { name: "swap", mib: 8 },
            { name: "home", mib: 32, fs: "ext4", entries: tree.home },
        ]);

        const result = await runScript(["--device", disk, "--public-key", key().publicLine]);

        assertExit(result, 0, "ok");
        assert.match(result.stdout, /partition 2 .*: LVM physical volume/);
        assert.match(result.stdout, /OS root: logical volume vg0\/root/);
        assert.match(result.stdout, /mounted logical volume vg0\/home .* at \/home/);
        const home = workspace.attach(pv, logicalVolumeRanges(pv).get("home"));
        workspace.withMount(home, "ext4", (mounted) =>
            assertKeysFile(ec2UserKeys(mounted), `${key().publicLine}\n`, {
                ...EC2_USER,
                mode: 0o600,
            }),
        );
        assertNoTraces(result, workspace, [disk, pv]);
    });

    it("LVM: a logical volume in several segments is mapped with device-mapper", async function () {
        requireCapability(this, "lvm2", "device-mapper");
        const vg = `rskt${process.pid}`;
        const disk = workspace.attach(workspace.sparseFile(96));
        const lvm = (command: string, ...args: string[]) =>
            run("lvm", [command, "--devices", disk, ...args]);
        lvm("pvcreate", "-q", "-ff", "-y", disk);
        lvm("vgcreate", "-q", vg, disk);
        lvm("lvcreate", "-q", "-an", "-Zn", "-L", "32M", "-n", "root", vg);
        lvm("lvcreate", "-q", "-an", "-Zn", "-L", "8M", "-n", "gap", vg);
        lvm("lvextend", "-q", "-L", "+16M", `${vg}/root`);
        lvm("vgchange", "-q", "-ay", vg);
        try {
            buildFilesystem(workspace, `/dev/${vg}/root`, "ext4", rootTree());
        } finally {
            lvm("vgchange", "-q", "-an", vg);
        }

        const result = await runScript(["--device", disk, "--public-key", key().publicLine]);

        assertExit(result, 0, "ok");
        lvm("vgchange", "-q", "-ay", vg);
        try {
            workspace.withMount(`/dev/${vg}/root`, "ext4", (root) =>
                assertKeysFile(ec2UserKeys(path.join(root, "home")), `${key().publicLine}\n`, {
                    ...EC2_USER,
                    mode: 0o600,
                }),
            );
        } finally {
            lvm("vgchange", "-q", "-an", vg);
        }
        assert.equal(
            run("dmsetup", ["ls"]).includes("reset-ssh-key"),
            false,
            "device-mapper devices left behind",
        );
        assertNoTraces(result, workspace, [disk]);
    });
});
