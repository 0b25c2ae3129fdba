/**
 * Runs the reset program exactly as the helper instance will (the zipapp the document carries,
 * `python3 -E -s`, as root, with arguments), but
 * inside a private mount namespace where the host paths hostile symlinks point at (/etc/passwd,
 * /etc/shadow, /etc/group, /root, /home) are covered by throwaway copies first. A script that
 * followed such a link writes to a copy; the result reports any change to the copies and to the
 * real files, plus the mounts and work files the script left behind.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { resetZipapp } from "../../../lib/python-zipapp";
import { makeTempDir } from "../../../rehearsal/disk/system";
import { listTree } from "../../../rehearsal/disk/tree";

/** The zipapp the document carries, built from scripts/linux/reset_ssh_key once per test process. */
let zipapp: Buffer | undefined;
function program(): Buffer {
    zipapp ??= resetZipapp();
    return zipapp;
}

const GUARDED_FILES = ["/etc/passwd", "/etc/shadow", "/etc/group"];
const GUARDED_DIRS = ["/root", "/home"];

/** Inside the namespace: cover the guarded paths, run the script, list the mounts it left. */
const WRAPPER = `set -euo pipefail
decoys=$1 script=$2 report=$3
shift 3
for path in ${GUARDED_FILES.join(" ")}; do [[ ! -e $path ]] || mount --bind "$decoys$path" "$path"; done
for path in ${GUARDED_DIRS.join(" ")}; do mount --bind "$decoys$path" "$path"; done
trap : TERM INT  # outlive a signal to the group, so the report below is still written
status=0
"\${RESET_SSH_KEY_PYTHON:-python3}" -E -s "$script" "$@" || status=$?
findmnt -rn -o TARGET > "$report"
exit "$status"
`;

export interface ScriptUser {
    name: string;
    file: string | null;
    action: "created" | "appended" | "present" | "refused";
    reason: string | null;
    /** With --revoke-comment: the fingerprints of the keys removed for the user. */
    revoked?: string[];
}

export interface ScriptJson {
    status: "ok" | "error";
    device: string | null;
    filesystem: string | null;
    users: ScriptUser[];
    warnings: string[];
    error: string | null;
}

export interface ScriptResult {
    status: number | null;
    stdout: string;
    stderr: string;
    /** The final JSON line, parsed (JSON.parse throws if the script printed invalid JSON). */
    json: ScriptJson;
    user(name: string): ScriptUser;
    /** Mounts still present below the script's TMPDIR when it exited. */
    leftoverMounts: string[];
    /** Files the script left in its TMPDIR. */
    leftoverFiles: string[];
    /** Decoys or real guarded files whose content, owner or mode changed. */
    guardedChanges: string[];
}

export interface RunOptions {
    /** Replaces the decoy /etc/passwd (for `--root /` runs, where it is the volume's). */
    decoyFiles?: Record<string, string>;
    /** Directories created in the decoy /home, with owner. */
    decoyHomes?: { name: string; uid: number; gid: number }[];
    env?: Record<string, string>;
    /** Looks at the decoy directory (its /root, /home...) after the run, before it is removed. */
    inspectDecoys?: (decoys: string) => void;
    /** Called once the script runs; `signal` reaches its whole process group. */
    onStart?: (control: { signal(name: NodeJS.Signals): void }) => void;
}

/** Content, owner and mode of every file below a directory, for before/after comparison. */
function fingerprintTree(root: string): Map<string, string> {
    const prints = new Map<string, string>();
    for (const relative of listTree(root)) {
        const full = path.join(root, relative);
        const stat = fs.lstatSync(full);
        const content = stat.isFile()
            ? createHash("sha256").update(fs.readFileSync(full)).digest("hex")
            : "";
        prints.set(relative, `${stat.mode}:${stat.uid}:${stat.gid}:${content}`);
    }
    return prints;
}

function fingerprintRealFiles(): Map<string, string> {
    const prints = new Map<string, string>();
    for (const file of GUARDED_FILES) {
        if (fs.existsSync(file))
            prints.set(file, createHash("sha256").update(fs.readFileSync(file)).digest("hex"));
    }
    prints.set(
        "/root/.ssh",
        fs.existsSync("/root/.ssh") ? JSON.stringify(listTree("/root/.ssh")) : "absent",
    );
    prints.set("/home", JSON.stringify(fs.readdirSync("/home")));
    return prints;
}

function differences(
    before: Map<string, string>,
    after: Map<string, string>,
    prefix: string,
): string[] {
    const keys = new Set([...before.keys(), ...after.keys()]);
    return [...keys]
        .filter((key) => before.get(key) !== after.get(key))
        .map((key) => `${prefix}${key}`);
}

function prepareDecoys(sandbox: string, options: RunOptions): string {
    const decoys = path.join(sandbox, "decoys");
    for (const file of GUARDED_FILES) {
        if (!fs.existsSync(file)) continue;
        fs.mkdirSync(path.dirname(decoys + file), { recursive: true });
        fs.writeFileSync(decoys + file, options.decoyFiles?.[file] ?? fs.readFileSync(file));
    }
    fs.mkdirSync(`${decoys}/root/.ssh`, { recursive: true, mode: 0o700 });
    fs.writeFileSync(`${decoys}/root/.ssh/authorized_keys`, "ssh-ed25519 AAAAdecoy root-decoy\n", {
        mode: 0o600,
    });
    fs.mkdirSync(`${decoys}/home`, { recursive: true });
    for (const home of options.decoyHomes ?? []) {
        fs.mkdirSync(`${decoys}/home/${home.name}`, { mode: 0o700 });
        fs.chownSync(`${decoys}/home/${home.name}`, home.uid, home.gid);
    }
    return decoys;
}

export async function runScript(args: string[], options: RunOptions = {}): Promise<ScriptResult> {
    const sandbox = makeTempDir("script-sandbox");
    try {
        const decoys = prepareDecoys(sandbox, options);
        const scriptTmp = path.join(sandbox, "tmp");
        fs.mkdirSync(scriptTmp);
        const wrapper = path.join(sandbox, "wrapper.sh");
        fs.writeFileSync(wrapper, WRAPPER);
        const script = path.join(sandbox, "reset-ssh-key.pyz");
        fs.writeFileSync(script, program());
        const report = path.join(sandbox, "mounts");
        const decoysBefore = fingerprintTree(decoys);
        const realBefore = fingerprintRealFiles();
        const { status, stdout, stderr } = await spawnInNamespace(
            ["bash", wrapper, decoys, script, report, ...args],
            { ...process.env, TMPDIR: scriptTmp, ...options.env },
            options.onStart,
        );
        options.inspectDecoys?.(decoys);
        const mounts = fs.existsSync(report) ? fs.readFileSync(report, "utf8").split("\n") : [];
        const guardedChanges = [
            ...differences(decoysBefore, fingerprintTree(decoys), "decoy:"),
            ...differences(realBefore, fingerprintRealFiles(), "host:"),
        ];
        if (process.env.SCRIPT_TRANSCRIPTS)
            console.log(`$ reset-ssh-key.pyz ${args.join(" ")}\n${stdout}${stderr}`);
        const json = parseLastLine(stdout, stderr);
        return {
            status,
            stdout,
            stderr,
            json,
            user: (name) => {
                const found = json.users.find((user) => user.name === name);
                if (!found)
                    throw new Error(`no result for user ${name} in ${JSON.stringify(json)}`);
                return found;
            },
            leftoverMounts: mounts.filter((mount) => mount.startsWith(scriptTmp)),
            leftoverFiles: listTree(scriptTmp),
            guardedChanges,
        };
    } finally {
        fs.rmSync(sandbox, { recursive: true, force: true });
    }
}

function parseLastLine(stdout: string, stderr: string): ScriptJson {
    const lines = stdout.trimEnd().split("\n");
    try {
        return JSON.parse(lines[lines.length - 1]) as ScriptJson;
    } catch {
        throw new Error(`the last line is not JSON.\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    }
}

function spawnInNamespace(
    command: string[],
    env: NodeJS.ProcessEnv,
    onStart?: RunOptions["onStart"],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn("unshare", ["--mount", "--propagation", "private", ...command], {
            env,
            detached: true,
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("latin1")));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("latin1")));
        const deadline = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 120_000);
        child.on("error", reject);
        child.on("close", (status) => {
            clearTimeout(deadline);
            resolve({ status, stdout, stderr });
        });
        onStart?.({ signal: (name) => process.kill(-child.pid!, name) });
    });
}
