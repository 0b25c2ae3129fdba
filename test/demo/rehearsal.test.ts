/**
 * `npm run demo` for real (the command itself, in a child process with its own emulator): a
 * sequence of steps on one stack against the demo's own XFS image, and on a Debian-style GPT
 * disk image it builds, with what --keep leaves: steps.json, root.img and id_reset.
 */
import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { StepRecord } from "../../demo/changes";
import { RootImageCopy } from "../../rehearsal/root-image";
import { requireCapability } from "../support/requirements";

const REPO = path.join(__dirname, "..", "..");
const TS_NODE = path.join(REPO, "node_modules", ".bin", "ts-node");
const KEY_LINE = /^ssh-ed25519 AAAA\S+ ec2-reset-access@i-\w+$/;

function demo(args: string[]): { status: number | null; stdout: string; stderr: string } {
    // Its own emulator and sandbox: the test's emulator settings must not leak into it.
    const env = { ...process.env };
    delete env.AWS_ENDPOINT_URL;
    delete env.EC2_RESET_ACCESS_TIME_SCALE;
    return spawnSync(TS_NODE, ["--transpile-only", "demo/demo.ts", ...args], {
        cwd: REPO,
        encoding: "utf8",
        env,
        timeout: 600_000,
    });
}

function stepsOf(dir: string): StepRecord[] {
    return JSON.parse(fs.readFileSync(path.join(dir, "steps.json"), "utf8"));
}

/** `needles` appear in `list` in this order (other items between them allowed). */
function inOrder(list: string[], needles: string[]): boolean {
    let at = 0;
    for (const item of list) if (item === needles[at]) at++;
    return at === needles.length;
}

function publicKeyOfPrivate(file: string): string {
    return execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" })
        .trim()
        .split(" ")
        .slice(0, 2)
        .join(" ");
}

function twoFields(key: string | null): string {
    return (key ?? "").split(" ").slice(0, 2).join(" ");
}

function keysOn(image: string, relative: string, scratch: string): string {
    const copy = new RootImageCopy(image, scratch);
    try {
        return copy.readFile(relative)?.content ?? "";
    } finally {
        copy.cleanup();
    }
}

describe("demo: a rehearsal on one stack (npm run demo --steps, real disk images)", function () {
    this.timeout(900_000);
    let dir: string;

    before(function () {
        requireCapability(
            this,
            "root",
            "loop-devices",
            "xfsprogs",
            "e2fsprogs",
            "fdisk",
            "dosfstools",
            "openssh-client",
        );
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "demo-rehearsal-"));
    });
    after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    it("up, preview, refresh, rotate, destroy on the demo's image: steps.json, the key at the end, the volume", () => {
        const keep = path.join(dir, "own");
        const run = demo([
            "--steps",
            "up,preview,refresh,rotate,destroy",
            "--time-scale",
            "0.02",
            "--keep",
            keep,
        ]);
        assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
        const steps = stepsOf(keep);
        assert.deepEqual(
            steps.map((s) => s.step),
            ["up", "preview", "refresh", "rotate", "destroy"],
        );
        for (const s of steps) {
            assert.deepEqual(Object.keys(s).sort(), ["publicKey", "step", "writes"]);
            assert.ok(
                s.writes.every((op) => typeof op === "string" && !/^(Describe|Get|List)/.test(op)),
                `${s.step}: ${s.writes}`,
            );
        }
        const [up, preview, refresh, rotate, destroy] = steps;
        assert.ok(
            inOrder(up.writes, [
                "PutParameter",
                "RunInstances",
                "StopInstances",
                "CreateImage",
                "DetachVolume",
                "AttachVolume",
                "SendCommand",
                "DetachVolume",
                "AttachVolume",
                "StartInstances",
            ]),
            `up: ${up.writes}`,
        );
        assert.deepEqual(preview.writes, [], "a preview writes nothing");
        assert.deepEqual(refresh.writes, [], "a refresh only reads");
        assert.ok(
            inOrder(rotate.writes, [
                "PutParameter",
                "StopInstances",
                "CreateImage",
                "SendCommand",
                "StartInstances",
            ]),
            `rotate: ${rotate.writes}`,
        );
        // A helper that once mounted a target volume is never given another (issue 13): a fresh one.
        assert.ok(
            inOrder(rotate.writes, ["RunInstances", "StopInstances", "TerminateInstances"]),
            `rotation runs on a fresh helper, the old one terminated: ${rotate.writes}`,
        );
        assert.ok(
            inOrder(destroy.writes, ["TerminateInstances", "DeleteVpc"]),
            `destroy: ${destroy.writes}`,
        );
        assert.match(up.publicKey ?? "", KEY_LINE);
        assert.equal(preview.publicKey, up.publicKey);
        assert.equal(refresh.publicKey, up.publicKey);
        assert.match(rotate.publicKey ?? "", KEY_LINE);
        assert.notEqual(rotate.publicKey, up.publicKey, "rotate made a new key");
        assert.equal(destroy.publicKey, null);
        // The parameter stays after destroy (deleteKeyParameterOnDestroy defaults to false): its key is kept.
        const key = path.join(keep, "id_reset");
        assert.equal(fs.statSync(key).mode & 0o777, 0o600);
        assert.equal(publicKeyOfPrivate(key), twoFields(rotate.publicKey));
        const keys = keysOn(path.join(keep, "root.img"), "home/ec2-user/.ssh/authorized_keys", dir);
        assert.ok(
            keys.includes(twoFields(rotate.publicKey)),
            `the rotated key is on the kept volume:\n${keys}`,
        );
        assert.match(run.stdout, /── step 2 of 5: preview ──\n\n\$ pulumi preview\n/);
        assert.match(run.stdout, /\$ pulumi config set rotation \S+\n\$ pulumi up\n/);
        assert.match(run.stdout, / \+- ec2-reset-access:GeneratedSshKey +reset-key +replaced/);
    });

    it("on a Debian-style GPT disk with an ext4 root, through a copy; no id_reset when destroy deletes the parameter", () => {
        const image = path.join(dir, "debian.img");
        const made = demo(["--make-debian-image", image]);
        assert.equal(made.status, 0, `${made.stdout}\n${made.stderr}`);
        const table = execFileSync("sfdisk", ["-d", image], { encoding: "utf8" });
        assert.match(table, /^label: gpt$/m);
        for (const [n, type] of [
            [1, "0FC63DAF-8483-4772-8E79-3D69C8477DE4"],
            [14, "21686148-6449-6E6F-744E-656564454649"],
            [15, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"],
        ]) {
            assert.match(table, new RegExp(`debian\\.img${n} : .*type=${type}`), `partition ${n}`);
        }
        const before = crypto.createHash("sha256").update(fs.readFileSync(image)).digest("hex");
        const keep = path.join(dir, "debian");
        const run = demo([
            "--root-image",
            image,
            "--steps",
            "up,preview,destroy",
            "--config",
            "deleteKeyParameterOnDestroy=true",
            "--time-scale",
            "0.02",
            "--keep",
            keep,
        ]);
        assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
        assert.match(
            run.stdout,
            /a GPT disk image \(partitions 1, 14, 15\), root on partition 1 \(ext4\)/,
        );
        assert.match(run.stdout, /\$ pulumi config set deleteKeyParameterOnDestroy true\n/);
        assert.equal(
            crypto.createHash("sha256").update(fs.readFileSync(image)).digest("hex"),
            before,
            "the image given is never changed",
        );
        const [up, preview, destroy] = stepsOf(keep);
        assert.ok(up.writes.includes("SendCommand"), `up: ${up.writes}`);
        assert.deepEqual(preview.writes, []);
        assert.ok(destroy.writes.includes("DeleteParameter"), `destroy: ${destroy.writes}`);
        assert.equal(destroy.publicKey, null);
        assert.equal(
            fs.existsSync(path.join(keep, "id_reset")),
            false,
            "no parameter remains: no id_reset",
        );
        const keys = keysOn(path.join(keep, "root.img"), "home/admin/.ssh/authorized_keys", dir);
        assert.ok(
            keys.includes(twoFields(up.publicKey)),
            `the key is in admin's authorized_keys on the kept volume:\n${keys}`,
        );
    });
});
