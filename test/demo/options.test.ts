/**
 * `npm run demo` arguments: --steps, --config, --root-image, --make-debian-image, and the one line
 * (exit 2) a bad one gets, naming it and what is accepted, before anything is started or touched.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    acceptedConfigKeys,
    parseDemoOptions,
    programConfigKeys,
    STEPS,
    UsageError,
} from "../../demo/options";
import { requireCapability } from "../support/requirements";

const REPO = path.join(__dirname, "..", "..");
const TS_NODE = path.join(REPO, "node_modules", ".bin", "ts-node");

function usageError(argv: string[]): string {
    try {
        parseDemoOptions(argv, "/");
    } catch (err) {
        assert.ok(err instanceof UsageError, `a UsageError, not ${err}`);
        assert.ok(!err.message.includes("\n"), `one line: ${err.message}`);
        return err.message;
    }
    assert.fail(`accepted: ${argv.join(" ")}`);
}

function sha256(file: string): string {
    return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

describe("demo: options", function () {
    this.timeout(120_000);
    let dir: string;

    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "demo-options-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("defaults to today's demo: up then destroy, no config, no image", () => {
        assert.deepEqual(parseDemoOptions([]), {
            timeScale: 0.05,
            steps: ["up", "destroy"],
            config: {},
        });
    });

    it("reads --steps in order, words repeated", () => {
        assert.deepEqual(parseDemoOptions(["--steps", "up,refresh,up,rotate,destroy"]).steps, [
            "up",
            "refresh",
            "up",
            "rotate",
            "destroy",
        ]);
        assert.deepEqual(parseDemoOptions(["--steps", "preview"]).steps, ["preview"]);
    });

    it("refuses a bad --steps word, naming it and the accepted words", () => {
        assert.equal(
            usageError(["--steps", "up,deploy,destroy"]),
            `--steps: "deploy" is not a step; accepted: ${STEPS.join(", ")} (comma-separated, e.g. up,refresh,up,rotate,destroy)`,
        );
        assert.match(
            usageError(["--steps", "up,,destroy"]),
            /^--steps: "" is not a step; accepted: up, preview, refresh, rotate, destroy/,
        );
    });

    it("reads --config as pulumi config set stores it: bare keys get the project's prefix, repeated flags add up", () => {
        const { config } = parseDemoOptions([
            "--config",
            "users=admin,deploy",
            "--config",
            "ec2-reset-access:deleteKeyParameterOnDestroy=true",
            "--config",
            "rotation=a=b",
        ]);
        assert.deepEqual(config, {
            "ec2-reset-access:users": "admin,deploy",
            "ec2-reset-access:deleteKeyParameterOnDestroy": "true",
            "ec2-reset-access:rotation": "a=b",
        });
    });

    it("refuses an unknown --config key, instanceId (the demo's own) and a pair without =, listing the accepted keys", () => {
        const list = `accepted: ${acceptedConfigKeys().join(", ")} (bare or as ec2-reset-access:KEY)`;
        assert.equal(
            usageError(["--config", "userz=admin"]),
            `--config userz: not a config key of this program; ${list}`,
        );
        assert.equal(
            usageError(["--config", "aws:region=eu-west-1"]),
            `--config aws:region: not a config key of this program; ${list}`,
        );
        assert.equal(
            usageError(["--config", "instanceId=i-0123"]),
            `--config instanceId: the demo sets instanceId to its own target; ${list}`,
        );
        assert.equal(
            usageError(["--config", "users"]),
            `--config users: expected KEY=VALUE; ${list}`,
        );
    });

    it("accepts exactly the keys the program reads (lib/config-args.ts), but instanceId", () => {
        const source = fs.readFileSync(path.join(REPO, "lib", "config-args.ts"), "utf8");
        const read = [...source.matchAll(/config\.\w+\("(\w+)"/g)].map((m) => m[1]);
        assert.ok(
            read.includes("rotation") && read.includes("users"),
            `found in the source: ${read}`,
        );
        assert.deepEqual([...programConfigKeys()].sort(), [...new Set(read)].sort());
        assert.deepEqual(
            [...acceptedConfigKeys()].sort(),
            [...new Set(read)].filter((k) => k !== "instanceId").sort(),
        );
    });

    it("accepts a bare ext4 filesystem and a GPT disk as --root-image, without changing them", function () {
        requireCapability(this, "e2fsprogs", "fdisk");
        const bare = path.join(dir, "bare.img");
        spawnSync("truncate", ["-s", "16M", bare]);
        assert.equal(spawnSync("mkfs.ext4", ["-q", "-F", bare]).status, 0);
        const disk = path.join(dir, "disk.img");
        spawnSync("truncate", ["-s", "16M", disk]);
        assert.equal(
            spawnSync("sfdisk", ["-q", disk], {
                input: "label: gpt\ntype=0FC63DAF-8483-4772-8E79-3D69C8477DE4\n",
            }).status,
            0,
        );
        for (const image of [bare, disk]) {
            const before = sha256(image);
            assert.equal(
                parseDemoOptions(["--root-image", path.basename(image)], dir).rootImage,
                image,
                "relative to where npm run was typed",
            );
            assert.equal(sha256(image), before);
        }
    });

    it("refuses a --root-image that is missing, a folder, or neither a partition table nor a filesystem", () => {
        const accepted =
            "accepted: a raw disk image with a gpt or dos partition table, or a bare ext2/ext3/ext4/xfs/btrfs filesystem";
        const zeros = path.join(dir, "zeros.img");
        fs.writeFileSync(zeros, Buffer.alloc(1 << 20));
        assert.equal(
            usageError(["--root-image", zeros]),
            `--root-image ${zeros}: blkid finds neither a partition table nor a filesystem; ${accepted}`,
        );
        assert.equal(
            usageError(["--root-image", path.join(dir, "absent.img")]),
            `--root-image ${path.join(dir, "absent.img")}: no such file; ${accepted}`,
        );
        assert.equal(
            usageError(["--root-image", dir]),
            `--root-image ${dir}: not a regular file; ${accepted}`,
        );
    });

    it("refuses to build the Debian image over an existing file, or with other options", () => {
        const existing = path.join(dir, "existing.img");
        fs.writeFileSync(existing, "someone's image");
        assert.equal(
            usageError(["--make-debian-image", existing]),
            `--make-debian-image ${existing}: exists; accepted: a path where no file is yet`,
        );
        assert.equal(fs.readFileSync(existing, "utf8"), "someone's image");
        assert.match(
            usageError(["--make-debian-image", path.join(dir, "new.img"), "--steps", "up"]),
            /^--make-debian-image builds an image and exits: give it alone/,
        );
        assert.equal(
            parseDemoOptions(["--make-debian-image", "new.img"], dir).makeDebianImage,
            path.join(dir, "new.img"),
        );
    });

    it("refuses an unknown flag and a flag without its value", () => {
        assert.match(
            usageError(["--stepz", "up"]),
            /^unknown argument --stepz; usage: npm run demo -- \[--steps /,
        );
        assert.match(usageError(["--keep"]), /^--keep needs a value; usage: /);
        assert.match(
            usageError(["--steps", "--keep", "/tmp/x"]),
            /^--steps needs a value; usage: /,
        );
        assert.match(
            usageError(["--time-scale", "0"]),
            /^--time-scale 0: accepted: a number above 0, at most 1/,
        );
    });

    it("the command line prints the one line on stderr and exits 2, having started nothing", () => {
        for (const [args, named] of [
            [["--steps", "up,deploy"], '"deploy" is not a step'],
            [["--config", "userz=x"], "--config userz: not a config key"],
        ] as const) {
            const run = spawnSync(TS_NODE, ["--transpile-only", "demo/demo.ts", ...args], {
                cwd: REPO,
                encoding: "utf8",
                timeout: 90_000,
            });
            assert.equal(run.status, 2, run.stderr);
            assert.equal(run.stdout, "", "nothing started: no header printed");
            const lines = run.stderr.trim().split("\n");
            assert.equal(lines.length, 1, run.stderr);
            assert.ok(lines[0].includes(named) && lines[0].includes("accepted: "), lines[0]);
        }
    });
});
