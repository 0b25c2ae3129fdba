/**
 * The reset program --device: the script finds the OS root on real disk images attached as loop
 * devices (whole-disk ext4, GPT and MBR disks mapped with losetup offsets, a partition given
 * directly, XFS whose UUID the helper already mounts), mounts it read-write, writes the key with
 * the volume's ids, and leaves no mount or loop device behind. The other partitions stay intact.
 */
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    assertExit,
    assertKeysFile,
    assertNoTraces,
    requireImageTools,
    transcript,
} from "./helpers/checks";
import { DEPLOY, DEPLOY_EXISTING_KEYS, EC2_USER, rootTree } from "../../rehearsal/disk/root-tree";
import {
    buildFilesystem,
    filesystemUuid,
    GPT_LINUX,
    partition,
    Workspace,
} from "../../rehearsal/disk/images";
import { ed25519, removeGeneratedKeys } from "./helpers/keys";
import { runScript } from "./helpers/sandbox";
import { makeTempDir } from "../../rehearsal/disk/system";
import { listTree } from "../../rehearsal/disk/tree";

const BIOS_BOOT = "21686148-6449-6E6F-744E-656564454649";

/** sha256 of a byte range of an image: proves a partition was not written at all. */
function hashRange(image: string, range: { offset: number; size: number }): string {
    const descriptor = fs.openSync(image, "r");
    try {
        const buffer = Buffer.alloc(range.size);
        fs.readSync(descriptor, buffer, 0, range.size, range.offset);
        return createHash("sha256").update(buffer).digest("hex");
    } finally {
        fs.closeSync(descriptor);
    }
}

const BOOT_TREE = [
    { path: "grub2/grub.cfg", file: "set default=0\n" },
    { path: "vmlinuz", file: "kernel" },
];

describe("reset program --device: finding and mounting the OS root", function () {
    let workspace: Workspace;
    const key = () => ed25519();
    const newKeys = () => `${key().publicLine}\n`;
    const deployKeys = () => `${DEPLOY_EXISTING_KEYS}\n${key().publicLine}\n`;

    before(function () {
        requireImageTools(this, "fdisk");
        workspace = new Workspace(makeTempDir("script-devices"));
    });
    after(() => {
        workspace?.cleanup();
        removeGeneratedKeys();
    });

    /** The state every successful run must leave on the root filesystem. */
    function assertStandardResult(root: string): void {
        assertKeysFile(path.join(root, "home/ec2-user/.ssh/authorized_keys"), newKeys(), {
            ...EC2_USER,
            mode: 0o600,
        });
        assertKeysFile(path.join(root, "home/deploy/.ssh/authorized_keys"), deployKeys(), {
            ...DEPLOY,
            mode: 0o600,
        });
    }

    it("ext4 on the whole disk: ~/.ssh and the keys file get the volume's uid and gid", async () => {
        const disk = workspace.attach(workspace.sparseFile(48));
        buildFilesystem(workspace, disk, "ext4", rootTree());

        const result = await runScript(["--device", disk, "--public-key", key().publicLine]);

        assertExit(result, 0, "ok");
        assert.equal(result.json.device, disk);
        assert.equal(result.json.filesystem, "ext4");
        assert.deepEqual(
            result.json.users.map((user) => [user.name, user.action, user.file]),
            [
                ["ec2-user", "created", "/home/ec2-user/.ssh/authorized_keys"],
                ["deploy", "appended", "/home/deploy/.ssh/authorized_keys"],
            ],
        );
        workspace.withMount(disk, "ext4", assertStandardResult);
        assertNoTraces(result, workspace, [disk]);
    });

    it("GPT disk without partition nodes: maps each partition with losetup and leaves the others untouched", async () => {
        const image = workspace.sparseFile(96);
        const ranges = partition(image, "gpt", [
            { mib: 1, type: BIOS_BOOT },
            { mib: 24, type: GPT_LINUX },
            { mib: 48, type: GPT_LINUX },
        ]);
        const disk = workspace.attach(image);
        const [, boot, root] = ranges.map((range) => workspace.attach(disk, range));
        buildFilesystem(workspace, boot, "ext4", BOOT_TREE);
        buildFilesystem(workspace, root, "ext4", rootTree());
        const bootHash = hashRange(image, ranges[1]);

        const result = await runScript(["--device", disk, "--public-key", key().publicLine]);

        assertExit(result, 0, "ok");
        assert.match(result.stdout, /OS root: partition 3 \(\/dev\/loop\d+\), mounted read-write/);
        assert.equal(hashRange(image, ranges[1]), bootHash, "the boot partition was written to");
        workspace.withMount(root, "ext4", assertStandardResult);
        assertNoTraces(result, workspace, [disk]);
    });

    it("MBR disk with a logical partition, given through a symlink like /dev/sdf", async () => {
        const image = workspace.sparseFile(96);
        const ranges = partition(image, "dos", [
            { mib: 16, type: "83" },
            { mib: 0, type: "5" },
            { mib: 8, type: "82" },
            { mib: 48, type: "83" },
        ]);
        assert.deepEqual(
            ranges.map((range) => range.number),
            [1, 2, 5, 6],
        );
        const disk = workspace.attach(image);
        const boot = workspace.attach(disk, ranges[0]);
        const root = workspace.attach(disk, ranges[3]);
        buildFilesystem(workspace, boot, "ext4", BOOT_TREE);
        buildFilesystem(workspace, root, "ext4", rootTree());
        const link = path.join(workspace.dir, "sdf");
        fs.symlinkSync(disk, link);

        const result = await runScript(["--device", link, "--public-key", key().publicLine]);

        assertExit(result, 0, "ok");
        assert.match(result.stdout, /dos partition table/);
        assert.match(result.stdout, /partition 5 .*: no filesystem, skipped/);
        workspace.withMount(root, "ext4", assertStandardResult);
        assertNoTraces(result, workspace, [disk]);
    });

    it("a partition given directly (like /dev/xvdf1)", async () => {
        const image = workspace.sparseFile(64);
        const ranges = partition(image, "gpt", [{ mib: 48, type: GPT_LINUX }]);
        const disk = workspace.attach(image);
        const root = workspace.attach(disk, ranges[0]);
        buildFilesystem(workspace, root, "ext4", rootTree());

        const result = await runScript(["--device", root, "--public-key", key().publicLine]);

        assertExit(result, 0, "ok");
        assert.equal(result.json.device, root);
        workspace.withMount(root, "ext4", assertStandardResult);
        assertNoTraces(result, workspace, [root, disk]);
    });

    it("XFS whose UUID the helper has mounted already: mounts it with nouuid", async () => {
        const disk = workspace.attach(workspace.sparseFile(320));
        buildFilesystem(workspace, disk, "xfs", rootTree());
        const uuid = filesystemUuid(disk);
        const helperDisk = workspace.attach(workspace.sparseFile(320));
        buildFilesystem(workspace, helperDisk, "xfs", [], { uuid });
        assert.equal(filesystemUuid(helperDisk), uuid);
        const helperRoot = workspace.mount(helperDisk, "xfs");

        try {
            const result = await runScript(["--device", disk, "--public-key", key().publicLine]);

            assertExit(result, 0, "ok");
            assert.equal(result.json.filesystem, "xfs");
            assert.match(
                result.stdout,
                /XFS UUID of .* is already mounted on this helper: using nouuid/,
            );
            workspace.withMount(disk, "xfs", assertStandardResult, ["nouuid"]);
            assertNoTraces(result, workspace, [disk]);
        } finally {
            workspace.unmount(helperRoot);
        }
    });

    it("a device without an OS root: error, nothing left mounted", async () => {
        const disk = workspace.attach(workspace.sparseFile(32));
        buildFilesystem(workspace, disk, "ext4", [{ path: "data/readme", file: "not an OS\n" }]);

        const result = await runScript(["--device", disk, "--public-key", key().publicLine]);

        assertExit(result, 1, "error");
        assert.match(
            result.json.error ?? "",
            /no filesystem on .* holds an OS root \(etc\/passwd and etc\/os-release\)/,
        );
        workspace.withMount(disk, "ext4", (root) =>
            assert.deepEqual(listTree(root), ["data", "data/readme"]),
        );
        assertNoTraces(result, workspace, [disk]);
    });

    it("a read-only device: error naming the read-write mount, nothing left mounted", async () => {
        const image = workspace.sparseFile(48);
        const writable = workspace.attach(image);
        buildFilesystem(workspace, writable, "ext4", rootTree());
        workspace.detach(writable);
        const disk = workspace.attach(image, undefined, true);

        const result = await runScript(["--device", disk, "--public-key", key().publicLine]);

        assertExit(result, 1, "error");
        assert.match(
            result.json.error ?? "",
            /cannot mount the root filesystem read-write/,
            transcript(result),
        );
        assertNoTraces(result, workspace, [disk]);
    });

    it("a device that is mounted already: refused, untouched", async () => {
        const disk = workspace.attach(workspace.sparseFile(48));
        buildFilesystem(workspace, disk, "ext4", rootTree());
        const mounted = workspace.mount(disk, "ext4");
        try {
            const result = await runScript(["--device", disk, "--public-key", key().publicLine]);

            assertExit(result, 1, "error");
            assert.match(
                result.json.error ?? "",
                /is mounted at .*refusing to use a device in use/,
            );
            assert.equal(fs.existsSync(path.join(mounted, "home/ec2-user/.ssh")), false);
            assertNoTraces(result, workspace, [disk]);
        } finally {
            workspace.unmount(mounted);
        }
    });
});
