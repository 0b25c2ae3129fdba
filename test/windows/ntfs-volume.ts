/**
 * Runs scripts/windows/enable-password-reset.ps1 under pwsh with -Root on a real NTFS
 * filesystem: a fresh image made by mkntfs, mounted with ntfs-3g (FUSE) inside a private mount
 * namespace (unshare --mount), so the mount is never visible to the host and goes away with the
 * namespace. The volume is filled from a tree staged by the test, which may hold symbolic links
 * (ntfs-3g stores them as Interix links) and real NTFS junctions (reparse tag 0xA0000003, set
 * through ntfs-3g's system.ntfs_reparse_data attribute). What links point at lies in a
 * "helper" folder of the sandbox, outside the volume, whose content is compared before and after.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SCRIPT_PATH } from "../../lib/windows-document";
import { pwshPath } from "./pwsh";

/**
 * Relative Windows path ("A\\B\\c.yml") -> content; a `{ symlink }` makes a link there instead,
 * whose target "@helper/..." stands for a path in the helper folder (outside the volume).
 */
export type VolumeTree = Record<string, string | Buffer | { symlink: string }>;

export interface NtfsRunOptions {
    /** Files of the helper's own folder, outside the volume (links may point into it). */
    helper?: Record<string, string>;
    /** Relative Windows paths made NTFS junctions to the helper folder's path of the same name. */
    junctions?: string[];
    /** How many times the script runs on the same mounted volume (default 1). */
    runs?: number;
    /** Arguments after -Root (default none). */
    args?: string[];
}

export interface ScriptRun {
    status: number | null;
    stdout: string;
    stderr: string;
    json: {
        status: string;
        agent: string | null;
        windowsVolume: string | null;
        changes: { file: string; action: string; backup: string | null }[];
        warnings: string[];
        error: string | null;
    };
}

export interface NtfsResult {
    runs: ScriptRun[];
    /** The volume after the last run: relative Windows path -> file bytes, "<dir>" or "-> target". */
    after: Map<string, Buffer | string>;
    /** The staged tree in the same form (what the volume held before the first run). */
    before: Map<string, Buffer | string>;
    /** Helper-folder files whose content changed, appeared or vanished. */
    helperChanges: string[];
}

const MIB = 1024 * 1024;

/** Inside the namespace: mount, fill, make the junctions, run the script, copy the volume out. */
const WRAPPER = `set -euo pipefail
sandbox=$1 runs=$2; shift 2
mnt=$sandbox/mnt
ntfs-3g "$sandbox/ntfs.img" "$mnt"
trap 'umount "$mnt"' EXIT
cp -R -P "$sandbox/stage/." "$mnt/"
while IFS=$'\\t' read -r link hex; do
  [[ -n $link ]] || continue
  mkdir -p "$mnt/$link"
  python3 -c 'import os, sys; os.setxattr(sys.argv[1], "system.ntfs_reparse_data", bytes.fromhex(sys.argv[2]))' "$mnt/$link" "$hex"
done < "$sandbox/junctions"
for run in $(seq 1 "$runs"); do
  status=0
  "$@" > "$sandbox/out.$run" 2> "$sandbox/err.$run" || status=$?
  echo "$status" > "$sandbox/status.$run"
done
cp -R -P "$mnt/." "$sandbox/after/"
`;

/** An NTFS mount-point (junction) reparse buffer for `target` ("C:\\..."). */
export function junctionReparseData(target: string): Buffer {
    const substitute = Buffer.from(`\\??\\${target}`, "utf16le");
    const print = Buffer.from(target, "utf16le");
    const names = Buffer.concat([substitute, Buffer.alloc(2), print, Buffer.alloc(2)]);
    const header = Buffer.alloc(8);
    header.writeUInt16LE(0, 0);
    header.writeUInt16LE(substitute.length, 2);
    header.writeUInt16LE(substitute.length + 2, 4);
    header.writeUInt16LE(print.length, 6);
    const data = Buffer.concat([header, names]);
    const prefix = Buffer.alloc(8);
    prefix.writeUInt32LE(0xa0000003, 0);
    prefix.writeUInt16LE(data.length, 4);
    return Buffer.concat([prefix, data]);
}

const toLocal = (windowsPath: string) => windowsPath.split("\\").join(path.sep);

function writeStage(stage: string, tree: VolumeTree, helper: string): void {
    for (const [relative, content] of Object.entries(tree)) {
        const target = path.join(stage, toLocal(relative));
        fs.mkdirSync(path.dirname(target), { recursive: true });
        if (typeof content === "object" && !Buffer.isBuffer(content))
            fs.symlinkSync(content.symlink.replace(/^@helper\//, helper + "/"), target);
        else fs.writeFileSync(target, content);
    }
}

/** Every entry below `root` by relative Windows path: bytes for files, "<dir>", "-> target" for links. */
export function snapshot(root: string): Map<string, Buffer | string> {
    const entries = new Map<string, Buffer | string>();
    const walk = (dir: string, prefix: string) => {
        for (const name of fs.readdirSync(dir).sort()) {
            const full = path.join(dir, name);
            const relative = prefix ? `${prefix}\\${name}` : name;
            const stat = fs.lstatSync(full);
            if (stat.isSymbolicLink()) entries.set(relative, `-> ${fs.readlinkSync(full)}`);
            else if (stat.isDirectory()) {
                entries.set(relative, "<dir>");
                walk(full, relative);
            } else entries.set(relative, fs.readFileSync(full));
        }
    };
    if (fs.existsSync(root)) walk(root, "");
    return entries;
}

function fingerprint(root: string): Map<string, string> {
    const prints = new Map<string, string>();
    for (const [relative, value] of snapshot(root)) {
        prints.set(
            relative,
            Buffer.isBuffer(value) ? createHash("sha256").update(value).digest("hex") : value,
        );
    }
    return prints;
}

function parseJson(stdout: string, stderr: string): ScriptRun["json"] {
    const lines = stdout.trimEnd().split("\n");
    try {
        return JSON.parse(lines[lines.length - 1]);
    } catch {
        throw new Error(
            `the script's last line is not JSON.\nstdout:\n${stdout}\nstderr:\n${stderr}`,
        );
    }
}

/** Makes an NTFS volume holding `tree`, runs the script on it with -Root, returns what happened. */
export function runOnNtfs(tree: VolumeTree, options: NtfsRunOptions = {}): NtfsResult {
    const sandbox = fs.mkdtempSync(path.join(os.tmpdir(), "ntfs-volume-"));
    try {
        const image = path.join(sandbox, "ntfs.img");
        fs.writeFileSync(image, "");
        fs.truncateSync(image, 16 * MIB);
        const made = spawnSync("mkntfs", ["-F", "-f", "-q", "-L", "target", image], {
            encoding: "utf8",
        });
        if (made.status !== 0) throw new Error(`mkntfs failed (${made.status}): ${made.stderr}`);
        for (const dir of ["mnt", "stage", "after", "helper"])
            fs.mkdirSync(path.join(sandbox, dir));
        const helper = path.join(sandbox, "helper");
        writeStage(path.join(sandbox, "stage"), tree, helper);
        writeStage(helper, options.helper ?? {}, helper);
        // ntfs-3g shows a junction to C:\X as a link to <mount>/.NTFS-3G/C:/X; this volume maps C: to the helper folder.
        const junctions = options.junctions ?? [];
        if (junctions.length > 0) {
            fs.mkdirSync(path.join(sandbox, "stage", ".NTFS-3G"));
            fs.symlinkSync(helper, path.join(sandbox, "stage", ".NTFS-3G", "C:"));
        }
        fs.writeFileSync(
            path.join(sandbox, "junctions"),
            junctions
                .map(
                    (link) =>
                        `${toLocal(link)}\t${junctionReparseData(`C:\\${link}`).toString("hex")}\n`,
                )
                .join(""),
        );
        const before = snapshot(path.join(sandbox, "stage"));
        const helperBefore = fingerprint(helper);
        const runs = options.runs ?? 1;
        const command = [
            pwshPath()!,
            "-NoProfile",
            "-NonInteractive",
            "-File",
            SCRIPT_PATH,
            "-Root",
            path.join(sandbox, "mnt"),
            ...(options.args ?? []),
        ];
        const wrapper = path.join(sandbox, "wrapper.sh");
        fs.writeFileSync(wrapper, WRAPPER);
        const done = spawnSync(
            "unshare",
            [
                "--mount",
                "--propagation",
                "private",
                "bash",
                wrapper,
                sandbox,
                String(runs),
                ...command,
            ],
            { encoding: "utf8", timeout: 300_000 },
        );
        if (done.status !== 0)
            throw new Error(
                `the NTFS sandbox failed (${done.status ?? done.signal}): ${done.stderr}`,
            );
        const results: ScriptRun[] = [];
        for (let run = 1; run <= runs; run++) {
            const stdout = fs.readFileSync(path.join(sandbox, `out.${run}`), "latin1");
            const stderr = fs.readFileSync(path.join(sandbox, `err.${run}`), "latin1");
            const status = Number(fs.readFileSync(path.join(sandbox, `status.${run}`), "utf8"));
            if (process.env.SCRIPT_TRANSCRIPTS)
                console.log(
                    `$ enable-password-reset.ps1 -Root <ntfs> (run ${run})\n${stdout}${stderr}`,
                );
            results.push({ status, stdout, stderr, json: parseJson(stdout, stderr) });
        }
        const helperAfter = fingerprint(helper);
        const helperChanges = [...new Set([...helperBefore.keys(), ...helperAfter.keys()])].filter(
            (key) => helperBefore.get(key) !== helperAfter.get(key),
        );
        return {
            runs: results,
            after: snapshot(path.join(sandbox, "after")),
            before,
            helperChanges,
        };
    } finally {
        fs.rmSync(sandbox, { recursive: true, force: true });
    }
}

// ---------------------------------------------------------------------------------------------
// Whole-disk images, as an EBS root volume holds Windows: an MBR partition table and one NTFS
// partition from sector 2048. The partition is reached through a loop device at its offset
// (the kernel's partition scan does not work in every container).

const PARTITION_START = 2048 * 512;

/** Runs `script` in a private mount namespace with the partition of `image` (formatted first when `format`) mounted at $mnt. */
function withPartitionMounted(
    image: string,
    script: string,
    args: string[],
    format = false,
): string {
    const wrapper = `set -euo pipefail
image=$1; shift
mnt=$(mktemp -d)
size=$(( $(stat -c %s "$image") - ${PARTITION_START} ))
part=$(losetup --find --show --offset ${PARTITION_START} --sizelimit "$size" "$image")
trap 'umount "$mnt" 2>/dev/null || true; losetup -d "$part"; rmdir "$mnt"' EXIT
${format ? 'mkntfs -F -f -q -L Windows "$part" >/dev/null 2>&1' : ""}
ntfs-3g "$part" "$mnt"
${script}
umount "$mnt"
`;
    const done = spawnSync(
        "unshare",
        ["--mount", "--propagation", "private", "bash", "-c", wrapper, "bash", image, ...args],
        {
            encoding: "utf8",
            timeout: 120_000,
        },
    );
    if (done.status !== 0)
        throw new Error(`mounting ${image} failed (${done.status ?? done.signal}): ${done.stderr}`);
    return done.stdout;
}

/** A 64 MiB disk image at `image`: MBR, one NTFS partition holding `tree` (no links). */
export function makeWindowsDiskImage(image: string, tree: VolumeTree): void {
    fs.writeFileSync(image, "");
    fs.truncateSync(image, 64 * MIB);
    const table = spawnSync("sfdisk", ["-q", image], {
        input: "label: dos\nstart=2048, type=7\n",
        encoding: "utf8",
    });
    if (table.status !== 0) throw new Error(`sfdisk failed: ${table.stderr}`);
    const stage = fs.mkdtempSync(path.join(os.tmpdir(), "windows-disk-stage-"));
    try {
        writeStage(stage, tree, stage);
        withPartitionMounted(image, 'cp -R -P "$1/." "$mnt/"', [stage], true);
    } finally {
        fs.rmSync(stage, { recursive: true, force: true });
    }
}

/** What the image's NTFS partition holds, by relative Windows path (see snapshot). */
export function readWindowsDiskImage(image: string): Map<string, Buffer | string> {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), "windows-disk-copy-"));
    try {
        withPartitionMounted(image, 'cp -R -P "$mnt/." "$1/"', [copy]);
        return snapshot(copy);
    } finally {
        fs.rmSync(copy, { recursive: true, force: true });
    }
}
