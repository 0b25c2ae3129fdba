/**
 * A Debian-style cloud disk image (`npm run demo -- --make-debian-image FILE`): a GPT disk laid
 * out as Debian's official AMIs are (partition 14 BIOS boot, 15 the EFI system partition in
 * FAT, 1 the ext4 root after them), with Debian 12's accounts (the cloud user `admin`, uid 1000),
 * its sshd_config and cloud-init's default user. Small (256 MiB, sparse); no kernel, no
 * bootloader: what a reset reads and writes is there, nothing else.
 */
import { randomUUID } from "node:crypto";
import * as path from "node:path";
import { makeFilesystem, Workspace } from "./images";
import { Entry, writeTree } from "./tree";
import { makeTempDir, run } from "./system";

const SECTOR = 512;
const MIB = 1024 * 1024;
const DISK_MIB = 256;
const BIOS_BOOT = "21686148-6449-6E6F-744E-656564454649";
const EFI_SYSTEM = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
const LINUX_FILESYSTEM = "0FC63DAF-8483-4772-8E79-3D69C8477DE4";

export const DEBIAN_USER = { name: "admin", uid: 1000, gid: 1000, home: "/home/admin" };

/** Debian's layout: 14 and 15 first on the disk, the root (1) after them to the end. */
const LAYOUT = [
    { number: 14, startMiB: 1, mib: 2, type: BIOS_BOOT },
    { number: 15, startMiB: 3, mib: 32, type: EFI_SYSTEM },
    { number: 1, startMiB: 35, mib: 0, type: LINUX_FILESYSTEM },
];

/** Writes the image to `file` (a new path: the demo refuses an existing one). Needs root and loop devices. */
export function makeDebianImage(file: string): void {
    const workspace = new Workspace(makeTempDir("debian-image"));
    const building = path.join(workspace.dir, "disk.img");
    try {
        run("truncate", ["-s", `${DISK_MIB}M`, building]);
        const script = [
            "label: gpt",
            ...LAYOUT.map(
                (p) =>
                    `disk${p.number} : start=${(p.startMiB * MIB) / SECTOR}${p.mib ? `, size=${(p.mib * MIB) / SECTOR}` : ""}, type=${p.type}`,
            ),
        ];
        run("sfdisk", ["-q", building], `${script.join("\n")}\n`);
        const ranges = partitionRanges(building);
        const rootUuid = randomUUID();
        const efiSerial = randomUUID().slice(0, 8).toUpperCase();
        const efi = workspace.attach(building, ranges.get(15));
        run("mkfs.vfat", ["-F", "32", "-n", "UEFI", "-i", efiSerial, efi]);
        workspace.detach(efi);
        const root = workspace.attach(building, ranges.get(1));
        makeFilesystem(root, "ext4", { uuid: rootUuid });
        workspace.withMount(root, "ext4", (dir) =>
            writeTree(dir, debianTree(rootUuid, `${efiSerial.slice(0, 4)}-${efiSerial.slice(4)}`)),
        );
        workspace.detach(root);
        run("cp", ["--sparse=always", building, file]);
    } finally {
        workspace.cleanup();
    }
}

function partitionRanges(disk: string): Map<number, { offset: number; size: number }> {
    const rows = run("partx", ["-r", "-g", "-o", "NR,START,SECTORS", disk])
        .trim()
        .split("\n")
        .map((l) => l.split(" ").map(Number));
    return new Map(
        rows.map(([number, start, sectors]) => [
            number,
            { offset: start * SECTOR, size: sectors * SECTOR },
        ]),
    );
}

const PASSWD = [
    "root:x:0:0:root:/root:/bin/bash",
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
    "bin:x:2:2:bin:/bin:/usr/sbin/nologin",
    "sys:x:3:3:sys:/dev:/usr/sbin/nologin",
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
    "systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin",
    "_chrony:x:100:102:Chrony daemon,,,:/var/lib/chrony:/usr/sbin/nologin",
    "sshd:x:101:65534::/run/sshd:/usr/sbin/nologin",
    "admin:x:1000:1000:Debian:/home/admin:/bin/bash",
];

const GROUP = [
    "root:x:0:",
    "daemon:x:1:",
    "bin:x:2:",
    "sys:x:3:",
    "adm:x:4:admin",
    "sudo:x:27:admin",
    "dip:x:30:admin",
    "netdev:x:109:admin",
    "nogroup:x:65534:",
    "systemd-network:x:998:",
    "_chrony:x:102:",
    "admin:x:1000:",
];

/** Debian 12's /etc/ssh/sshd_config, as shipped (comments shortened). */
const SSHD_CONFIG = [
    "# This is the sshd server system-wide configuration file.  See sshd_config(5)",
    "Include /etc/ssh/sshd_config.d/*.conf",
    "KbdInteractiveAuthentication no",
    "UsePAM yes",
    "X11Forwarding yes",
    "PrintMotd no",
    "AcceptEnv LANG LC_* COLORTERM NO_COLOR",
    "Subsystem\tsftp\t/usr/lib/openssh/sftp-server",
    "ClientAliveInterval 120",
];

const OS_RELEASE = [
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
    'NAME="Debian GNU/Linux"',
    'VERSION_ID="12"',
    'VERSION="12 (bookworm)"',
    "VERSION_CODENAME=bookworm",
    "ID=debian",
    'HOME_URL="https://www.debian.org/"',
];

function lines(list: string[]): string {
    return `${list.join("\n")}\n`;
}

function debianTree(rootUuid: string, efiUuid: string): Entry[] {
    const admin = { uid: DEBIAN_USER.uid, gid: DEBIAN_USER.gid };
    return [
        { path: "etc", dir: true },
        { path: "usr/lib/os-release", file: lines(OS_RELEASE) },
        { path: "etc/os-release", symlink: "../usr/lib/os-release" },
        { path: "etc/debian_version", file: "12.8\n" },
        { path: "etc/hostname", file: "localhost\n" },
        { path: "etc/passwd", file: lines(PASSWD) },
        { path: "etc/group", file: lines(GROUP) },
        {
            path: "etc/shadow",
            file: lines(
                PASSWD.map(
                    (l) =>
                        `${l.split(":")[0]}:${l.startsWith("root:") || l.startsWith("admin:") ? "*" : "!*"}:19700:0:99999:7:::`,
                ),
            ),
            mode: 0o640,
        },
        {
            path: "etc/fstab",
            file: lines([
                `UUID=${rootUuid} / ext4 rw,discard,errors=remount-ro,x-systemd.growfs 0 1`,
                `UUID=${efiUuid} /boot/efi vfat defaults 0 0`,
            ]),
        },
        { path: "etc/ssh/sshd_config", file: lines(SSHD_CONFIG), mode: 0o644 },
        { path: "etc/ssh/sshd_config.d", dir: true },
        {
            path: "etc/cloud/cloud.cfg.d/01_debian_cloud.cfg",
            file: lines([
                "system_info:",
                "  default_user:",
                "    name: admin",
                "    sudo: ALL=(ALL) NOPASSWD:ALL",
                "    shell: /bin/bash",
                "    lock_passwd: True",
                "    gecos: Debian",
                "    groups: [adm, dip, netdev]",
            ]),
        },
        {
            path: "etc/sudoers.d/90-cloud-init-users",
            file: "admin ALL=(ALL) NOPASSWD:ALL\n",
            mode: 0o440,
        },
        { path: "boot/efi", dir: true },
        { path: "root", dir: true, mode: 0o700 },
        { path: "home", dir: true },
        { path: "home/admin", dir: true, mode: 0o700, ...admin },
        {
            path: "home/admin/.bashrc",
            file: "# ~/.bashrc: executed by bash(1) for non-login shells.\n",
            mode: 0o644,
            ...admin,
        },
        { path: "var/lib/cloud", dir: true },
    ];
}
